"""Serve the essay with Voila and drive it in Chromium, for the benchmarks.

The code is shared with the browser tests: this loads ``tests/browser/_server.py``
by path (``tests`` is not an installed package) and re-exports it.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

_PATH = Path(__file__).resolve().parents[1] / "tests" / "browser" / "_server.py"
_NAME = "grokwidgets_browser_server"


def _load():
    if _NAME in sys.modules:
        return sys.modules[_NAME]
    spec = importlib.util.spec_from_file_location(_NAME, _PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[_NAME] = module  # dataclasses look their module up while building
    spec.loader.exec_module(module)
    return module


_server = _load()

CHROMIUM = _server.CHROMIUM
NOTEBOOK = _server.NOTEBOOK
REG_HANDLE = _server.REG_HANDLE
PageWatch = _server.PageWatch
VoilaServer = _server.VoilaServer
chromium = _server.chromium
figure_states = _server.figure_states
wait_for_essay = _server.wait_for_essay
wait_for_settled_frames = _server.wait_for_settled_frames
write_notebook = _server.write_notebook

__all__ = [
    "CHROMIUM",
    "NOTEBOOK",
    "REG_HANDLE",
    "PageWatch",
    "VoilaServer",
    "chromium",
    "figure_states",
    "wait_for_essay",
    "wait_for_settled_frames",
    "write_notebook",
]
