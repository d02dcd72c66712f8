#!/usr/bin/env python3
"""Set up grokwidgets and serve the essay, run the tests, or run a benchmark.

Needs only Python 3.11+ (standard library). Each command first makes sure the
project's virtual environment ``.venv`` exists and holds the package with its test
extras; the install is redone only when ``pyproject.toml`` or ``voila.json`` changes,
so once set up the commands work offline (a teacher in a classroom with no network).

    python3 tasks.py serve            # the essay with Voila at http://127.0.0.1:8866
    python3 tasks.py serve --preheat  # ... keeping 2 kernels ready (for a class)
    python3 tasks.py test [ARGS...]   # the whole test suite (ARGS go to pytest)
    python3 tasks.py bench NAME       # a script in benchmarks/, e.g. latency
    python3 tasks.py build [ARGS...]  # the static site (scripts/build_site.py)
    python3 tasks.py setup            # just the set-up step

Bad input (an unknown command, a malformed option) exits with code 2 and one line
on stderr naming the option and the value.

Browser tests need Debian's ``chromium`` at /usr/bin/chromium; ``test`` installs it
with apt-get when it is missing and we run as root, and otherwise says how.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path
from typing import NoReturn

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".grokwidgets-setup"
CHROMIUM = Path("/usr/bin/chromium")
PORT = 8866


def say(msg: str) -> None:
    print(f"[tasks] {msg}", flush=True)


def run(cmd: list[str], **kw) -> None:
    subprocess.run([str(c) for c in cmd], check=True, **kw)


def setup() -> None:
    """Create .venv and install the package (editable) with its test extras."""
    if sys.version_info < (3, 11):  # noqa: UP036 (a user may run it with an older python3)
        sys.exit(f"grokwidgets needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    # voila.json is installed too (as <prefix>/etc/jupyter/voila.json): a change to it
    # needs a re-install, as one to pyproject.toml does.
    digest = hashlib.sha256()
    for name in ("pyproject.toml", "voila.json"):
        digest.update((ROOT / name).read_bytes())
    want = digest.hexdigest()
    if PY.exists() and STAMP.exists() and STAMP.read_text().strip() == want:
        return
    if not PY.exists():
        say(f"creating a virtual environment in {VENV}")
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    say("installing grokwidgets and its test tools (first time only; takes a minute or two)")
    run(
        [PY, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-e", ".[test]"],
        cwd=ROOT,
    )
    STAMP.write_text(want + "\n")


STATIC = ROOT / "static"


def ensure_browser_libs() -> None:
    """Install the static edition's pinned browser libraries (npm ci, once, online).

    ``static/package-lock.json`` pins them; after this the build needs no network.
    """
    if (STATIC / "node_modules" / "@jupyter-widgets" / "html-manager").exists():
        return
    npm = shutil.which("npm")
    if npm is None:
        msg = "npm is missing: the static edition's build and its tests need it (install Node.js)"
        if os.environ.get("CI") == "true":
            sys.exit(f"[tasks] {msg}")
        say(msg + "; its tests will be skipped")
        return
    say("installing the static edition's browser libraries (npm ci, first time only)")
    run([npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund"], cwd=STATIC)


def ensure_chromium() -> None:
    """Install Debian's chromium for the browser tests when missing and we are root."""
    if CHROMIUM.exists():
        return
    apt = shutil.which("apt-get")
    if apt and hasattr(os, "geteuid") and os.geteuid() == 0:
        say("installing Debian's chromium for the browser tests")
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        run([apt, "update", "-qq"], env=env)
        run([apt, "install", "-y", "-qq", "chromium"], env=env)
    else:
        say(
            f"{CHROMIUM} is missing: browser tests will be skipped, or fail with CI=true "
            "(install it with: sudo apt-get install chromium)"
        )


class UsageError(Exception):
    """Bad input on the command line: one line for stderr, exit code 2."""


class _OneLineParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}")


def _serving_module():
    """grokwidgets/serving.py of this checkout, loaded by path: it needs the standard
    library only, so its argument parser checks ``serve``'s arguments before set-up."""
    spec = importlib.util.spec_from_file_location(
        "_grokwidgets_serving_cli", ROOT / "grokwidgets" / "serving.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def serve(extra: list[str]) -> int:
    # Its parser prints one line and exits 2 on bad input, as ours does.
    parser = _serving_module().argument_parser(prog="tasks.py serve")
    args, _ = parser.parse_known_args(extra)
    setup()
    say(f"serving the essay at http://{args.ip}:{args.port}  (Ctrl-C stops)")
    # grokwidgets.serving adds our offline Voila template and the hardened websocket.
    cmd = [PY, "-m", "grokwidgets.serving", f"--port={PORT}", *extra]
    try:
        return subprocess.call([str(c) for c in cmd], cwd=ROOT)
    except KeyboardInterrupt:
        return 130


def test(extra: list[str]) -> int:
    setup()
    ensure_browser_libs()
    ensure_chromium()
    return subprocess.call([str(PY), "-m", "pytest", *extra], cwd=ROOT)


def bench(extra: list[str]) -> int:
    names = sorted(p.stem for p in (ROOT / "benchmarks").glob("*.py") if not p.stem.startswith("_"))
    if not extra:
        raise UsageError(
            "tasks.py bench: a benchmark NAME is required, one of: " + ", ".join(names)
        )
    if extra[0] not in names:
        raise UsageError(
            f"tasks.py bench: argument NAME: no benchmark named {extra[0]!r}; "
            "use one of: " + ", ".join(names)
        )
    setup()
    ensure_chromium()
    script = ROOT / "benchmarks" / f"{extra[0]}.py"
    return subprocess.call([str(PY), str(script), *extra[1:]], cwd=ROOT)


BUILD_SCRIPT = ROOT / "scripts" / "build_site.py"


def build(extra: list[str]) -> int:
    """The static site, by ``scripts/build_site.py`` in the project's environment."""
    if not BUILD_SCRIPT.exists():
        raise UsageError("tasks.py build: the static build is not available yet")
    setup()
    ensure_browser_libs()
    return subprocess.call([str(PY), str(BUILD_SCRIPT), *extra], cwd=ROOT)


def setup_command(extra: list[str]) -> int:
    if extra:
        raise UsageError(f"tasks.py setup: unrecognized arguments: {' '.join(extra)}")
    setup()
    ensure_browser_libs()
    ensure_chromium()
    return 0


COMMANDS = {"setup": setup_command, "serve": serve, "test": test, "bench": bench, "build": build}


def argument_parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(
        prog="tasks.py",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1],
        allow_abbrev=False,
    )
    parser.add_argument("command", choices=list(COMMANDS), help="what to do")
    parser.add_argument(
        "args", nargs=argparse.REMAINDER, help="passed on (to Voila, pytest, the benchmark)"
    )
    return parser


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 0
    try:
        if argv[0].startswith("-") and argv[0] not in {"-h", "--help"}:
            raise UsageError(
                f"tasks.py: unrecognized option {argv[0]!r} before the command; "
                "use one of: " + ", ".join(COMMANDS)
            )
        ns = argument_parser().parse_args(argv)
        return COMMANDS[ns.command](ns.args)
    except UsageError as err:
        print(err, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
