"""The command lines: bad input exits 2 with one line naming the option and the value.

Every case here fails before anything is installed or served (no set-up, no Voila).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from grokwidgets import serving

ROOT = Path(__file__).resolve().parents[1]


def _run(cmd: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=60)


def _assert_usage_error(proc: subprocess.CompletedProcess[str], *words: str) -> None:
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout
    for word in words:
        assert word in lines[0], (word, lines[0])


SERVE_CASES = [
    (["--port"], ["--port"]),
    (["--port=abc"], ["--port", "'abc'"]),
    (["--port", "70000"], ["--port", "'70000'"]),
    (["--preheat=x"], ["--preheat", "'x'"]),
    (["--preheat=-1"], ["--preheat", "'-1'"]),
    (["--theme=pink"], ["--theme", "'pink'"]),
    (["--theme"], ["--theme"]),
]


@pytest.mark.parametrize(("args", "words"), SERVE_CASES, ids=lambda v: " ".join(v))
def test_serving_bad_input_is_one_line(args: list[str], words: list[str]) -> None:
    _assert_usage_error(_run([sys.executable, "-m", "grokwidgets.serving", *args]), *words)


@pytest.mark.parametrize(("args", "words"), SERVE_CASES, ids=lambda v: " ".join(v))
def test_tasks_serve_bad_input_is_one_line(args: list[str], words: list[str]) -> None:
    # Checked before set-up: nothing is installed and no server starts.
    proc = _run([sys.executable, "tasks.py", "serve", *args])
    _assert_usage_error(proc, "tasks.py serve", *words)
    assert "[tasks]" not in proc.stdout


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["frobnicate"], ["command", "'frobnicate'"]),
        (["-x"], ["'-x'"]),
        (["bench"], ["NAME"]),
        (["bench", "no_such_benchmark"], ["NAME", "'no_such_benchmark'"]),
        (["setup", "--fast"], ["--fast"]),
    ],
    ids=lambda v: " ".join(v),
)
def test_tasks_bad_input_is_one_line(args: list[str], words: list[str]) -> None:
    proc = _run([sys.executable, "tasks.py", *args])
    _assert_usage_error(proc, *words)
    assert "[tasks]" not in proc.stdout


def test_tasks_help_and_no_command_exit_0() -> None:
    for args in ([], ["--help"]):
        proc = _run([sys.executable, "tasks.py", *args])
        assert proc.returncode == 0, proc.stderr
        assert "serve" in proc.stdout and "build" in proc.stdout


def test_tasks_build_without_its_script_says_so(tmp_path: Path) -> None:
    # A copy of tasks.py in a folder with no scripts/build_site.py.
    (tmp_path / "tasks.py").write_text((ROOT / "tasks.py").read_text())
    proc = subprocess.run(
        [sys.executable, "tasks.py", "build"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    _assert_usage_error(proc, "the static build is not available yet")
    assert not (tmp_path / ".venv").exists()


def test_tasks_is_standard_library_only() -> None:
    import ast

    tree = ast.parse((ROOT / "tasks.py").read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    assert names <= set(sys.stdlib_module_names) | {"__future__"}, names


def test_serving_parser_keeps_voila_arguments() -> None:
    args, rest = serving.parse_args(
        ["--port", "9000", "--preheat", "--Voila.ip=0.0.0.0", "--debug", "--theme=dark"]
    )
    assert (args.port, args.preheat, args.ip, args.theme) == (
        9000,
        serving.PREHEAT_POOL,
        "0.0.0.0",
        "dark",
    )
    assert rest == ["--debug"]
    args, rest = serving.parse_args(["--preheat=3", "--ip=10.0.0.1"])
    assert (args.port, args.preheat, args.ip, args.theme) == (serving.PORT, 3, "10.0.0.1", "auto")
    assert rest == []
