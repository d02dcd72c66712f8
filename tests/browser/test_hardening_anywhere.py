"""Our Voila hardening holds wherever Voila starts, not only from the repository root.

The package installs ``voila.json`` as ``<prefix>/etc/jupyter/voila.json`` (hatch
shared-data, see pyproject.toml), a Jupyter config directory Voila always reads. Here
a bare ``python -m voila`` (no ``grokwidgets.serving`` arguments, no ``JUPYTER_PATH``)
runs from another folder, and a client sends the legacy-protocol kernel websocket
handshake (no subprotocol): it must be refused, and the server's memory stay flat.
Plain HTTP and sockets: no browser needed.
"""

from __future__ import annotations

import base64
import json
import os
import re
import socket
import sys
import time
import urllib.request
from pathlib import Path

import psutil
import pytest

from ._server import ROOT, VoilaServer, write_notebook

pytestmark = pytest.mark.browser

V1 = "v1.kernel.websocket.jupyter.org"
# A widget with a binary buffer (an image), so the kernel sends buffered messages.
CELLS = [
    ("markdown", "# hardening check"),
    ("code", "import ipywidgets as w\nw.Image(value=b'\\x89PNG' + bytes(64))"),
]


def _handshake(port: int, kernel_id: str, protocol: str | None) -> str:
    """Send a websocket upgrade request for the kernel's channels; the status line."""
    key = base64.b64encode(os.urandom(16)).decode()
    lines = [
        f"GET /api/kernels/{kernel_id}/channels?session_id=probe HTTP/1.1",
        f"Host: 127.0.0.1:{port}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {key}",
        "Sec-WebSocket-Version: 13",
    ]
    if protocol:
        lines.append(f"Sec-WebSocket-Protocol: {protocol}")
    with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        data = b""
        while b"\r\n" not in data:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
        return data.split(b"\r\n", 1)[0].decode("latin-1")


def _installed_config() -> Path:
    return Path(sys.prefix) / "etc" / "jupyter" / "voila.json"


def test_installed_config_is_voila_json() -> None:
    """The config Voila reads from the environment is the repository's voila.json.

    Fails when the install is older than voila.json: rerun ``python3 tasks.py setup``
    (it re-installs when voila.json changes) or ``.venv/bin/pip install -e .``.
    """
    installed = _installed_config()
    assert installed.exists(), f"{installed} is missing: reinstall grokwidgets"
    assert json.loads(installed.read_text()) == json.loads((ROOT / "voila.json").read_text())


@pytest.mark.parametrize("where", ["tmp", "essay"])
def test_plain_voila_elsewhere_refuses_legacy_websocket(tmp_path: Path, where: str) -> None:
    notebook = write_notebook(tmp_path / "check.ipynb", CELLS)
    cwd = tmp_path if where == "tmp" else ROOT / "essay"
    assert not (cwd / "voila.json").exists()
    server = VoilaServer(notebook, log_path=tmp_path / "voila.log", cwd=cwd, plain=True)
    with server:
        with urllib.request.urlopen(server.url, timeout=60) as resp:
            html = resp.read().decode("utf-8", "replace")
        # Our template (no CDN link), though no --template was given.
        assert "grokwidgets.css" in html, "the grokwidgets template was not applied"
        assert "cdnjs" not in html and "font-awesome" not in html.lower()
        match = re.search(r'"kernelId":\s*"([0-9a-f-]+)"', html)
        assert match, "no kernel id in the page"
        kernel_id = match.group(1)
        assert server.proc is not None
        proc = psutil.Process(server.proc.pid)
        rss0 = proc.memory_info().rss
        # The page's own protocol is served (the kernel id is right)...
        assert " 101 " in _handshake(server.port, kernel_id, V1) + " "
        # ...the legacy one is refused, however often it is tried.
        for _ in range(5):
            status = _handshake(server.port, kernel_id, None)
            assert " 400 " in status + " ", f"legacy handshake not refused: {status!r}"
        peak = rss0
        deadline = time.monotonic() + 4.0
        while time.monotonic() < deadline:  # bounded: a few seconds
            peak = max(peak, proc.memory_info().rss)
            time.sleep(0.2)
        growth_mb = (peak - rss0) / 2**20
        assert growth_mb < 50, f"Voila grew by {growth_mb:.0f} MB after the handshakes"
