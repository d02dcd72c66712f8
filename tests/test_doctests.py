"""Every ``>>>`` example in the package's docstrings runs, and prints what it says.

One test per module of the package, run by the standard library's ``doctest``.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import grokwidgets

MODULES = sorted(
    info.name
    for info in pkgutil.walk_packages(grokwidgets.__path__, prefix="grokwidgets.")
    if not info.name.rsplit(".", 1)[-1].startswith("__")
)


#: Modules whose examples are out of date, for their owners to fix (strict xfail: the
#: test fails once the example is right, so the entry is removed then).
KNOWN_STALE = {
}


def _examples(name: str) -> list[doctest.DocTest]:
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    return [t for t in finder.find(module, name) if t.examples]


def test_modules_are_found() -> None:
    assert "grokwidgets.widgets.canvas" in MODULES
    assert "grokwidgets.serving" in MODULES


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(n, marks=pytest.mark.xfail(reason=KNOWN_STALE[n], strict=True))
        if n in KNOWN_STALE
        else n
        for n in MODULES
    ],
)
def test_docstring_examples_run(name: str) -> None:
    tests = _examples(name)
    if not tests:
        return  # nothing to run in this module
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    out: list[str] = []
    for test in tests:
        runner.run(test, out=out.append)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, "".join(out)


def test_some_modules_have_examples() -> None:
    # The suite must not pass because it found nothing.
    with_examples = [name for name in MODULES if _examples(name)]
    assert "grokwidgets.widgets.canvas" in with_examples
    assert len(with_examples) >= 5, with_examples
