#!/usr/bin/env python3
"""Set up grokwidgets and serve the essay, run the tests, or run a benchmark.

Needs only Python 3.11+ (standard library). Each command first makes sure the
project's virtual environment ``.venv`` exists and holds the package with its test
extras; the install is redone only when ``pyproject.toml`` changes, so once set up
the commands work offline (a teacher in a classroom with no network).

    python3 tasks.py serve            # the essay with Voila at http://127.0.0.1:8866
    python3 tasks.py serve --preheat  # ... keeping 2 kernels ready (for a class)
    python3 tasks.py test [ARGS...]   # the whole test suite (ARGS go to pytest)
    python3 tasks.py bench NAME       # a script in benchmarks/, e.g. latency
    python3 tasks.py setup            # just the set-up step

Browser tests need Debian's ``chromium`` at /usr/bin/chromium; ``test`` installs it
with apt-get when it is missing and we run as root, and otherwise says how.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

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
    want = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
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
            f"{CHROMIUM} is missing: browser tests will be skipped "
            "(install it with: sudo apt-get install chromium)"
        )


def serve(extra: list[str]) -> int:
    setup()
    say(f"serving the essay at http://127.0.0.1:{PORT}  (Ctrl-C stops)")
    # grokwidgets.serving adds our offline Voila template and the hardened websocket.
    cmd = [PY, "-m", "grokwidgets.serving", f"--port={PORT}", *extra]
    try:
        return subprocess.call([str(c) for c in cmd], cwd=ROOT)
    except KeyboardInterrupt:
        return 130


def test(extra: list[str]) -> int:
    setup()
    ensure_chromium()
    return subprocess.call([str(PY), "-m", "pytest", *extra], cwd=ROOT)


def bench(extra: list[str]) -> int:
    setup()
    if not extra:
        names = sorted(p.stem for p in (ROOT / "benchmarks").glob("*.py"))
        sys.exit("usage: python3 tasks.py bench NAME [ARGS]; NAME is one of: " + ", ".join(names))
    script = ROOT / "benchmarks" / f"{extra[0]}.py"
    if not script.exists():
        sys.exit(f"no benchmark named {extra[0]!r} in benchmarks/")
    ensure_chromium()
    return subprocess.call([str(PY), str(script), *extra[1:]], cwd=ROOT)


def main(argv: list[str]) -> int:
    commands = {"serve": serve, "test": test, "bench": bench}
    if not argv or argv[0] in {"-h", "--help"}:
        print(__doc__)
        return 0
    if argv[0] == "setup":
        setup()
        ensure_chromium()
        return 0
    if argv[0] not in commands:
        print(
            f"unknown command {argv[0]!r}; use one of: setup, serve, test, bench", file=sys.stderr
        )
        return 2
    return commands[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
