"""mypy over the package: the annotations must agree with the code.

Configured in pyproject.toml ([tool.mypy]): untyped dependencies are Any; every
module of the package is checked (no module is exempt).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_mypy_passes_over_the_package() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "grokwidgets"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=570,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
