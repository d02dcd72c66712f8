"""What a visitor of the page must not be able to do: run code, read files, learn internals.

The page talks to its kernel only through widget messages (comms): Voila's kernel
websocket drops ``execute_request`` and every other message type it does not allow.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import pytest

from ._server import ROOT

pytestmark = pytest.mark.browser

# Opens a second websocket on the page's own kernel, the way the page does, sends an
# execute_request (which must be dropped) and a kernel_info_request (which Voila
# allows: its reply proves the channel works), and reports the replies' types.
# ``v1`` uses Jupyter's binary v1.kernel.websocket.jupyter.org subprotocol; otherwise
# the legacy JSON one. Both go through the same filter on the server.
KERNEL_PROBE_JS = r"""
async ({kernelId, code, v1, waitMs, settleMs}) => {
  const enc = new TextEncoder(), dec = new TextDecoder();
  const session = crypto.randomUUID();
  const header = (msg_type) => ({
    msg_id: crypto.randomUUID(), msg_type, session, username: 'probe',
    date: new Date().toISOString(), version: '5.3',
  });
  const url = location.origin.replace(/^http/, 'ws')
    + `/api/kernels/${kernelId}/channels?session_id=${session}`;
  const ws = v1 ? new WebSocket(url, ['v1.kernel.websocket.jupyter.org']) : new WebSocket(url);
  ws.binaryType = 'arraybuffer';
  const got = [];
  const decodeV1 = (buf) => {
    const view = new DataView(buf);
    const n = Number(view.getBigUint64(0, true));
    const offs = [];
    for (let i = 0; i < n; i++) offs.push(Number(view.getBigUint64(8 * (i + 1), true)));
    offs.push(buf.byteLength);
    const part = (i) => dec.decode(new Uint8Array(buf, offs[i], offs[i + 1] - offs[i]));
    const hdr = JSON.parse(part(1)), parent = JSON.parse(part(2));
    return {channel: part(0), msg_type: hdr.msg_type, parent_type: parent.msg_type};
  };
  ws.onmessage = (e) => {
    if (typeof e.data === 'string') {
      const m = JSON.parse(e.data);
      got.push({channel: m.channel, msg_type: m.header.msg_type,
                parent_type: (m.parent_header || {}).msg_type});
    } else {
      got.push(decodeV1(e.data));
    }
  };
  const opened = await new Promise((resolve) => {
    ws.onopen = () => resolve(true);
    ws.onerror = () => resolve(false);
  });
  if (!opened) return {opened, protocol: null, got};
  const send = (msg_type, content) => {
    const h = header(msg_type);
    if (!v1) {
      ws.send(JSON.stringify({header: h, parent_header: {}, metadata: {}, content,
                              channel: 'shell', buffers: []}));
      return;
    }
    const parts = ['shell', JSON.stringify(h), '{}', '{}', JSON.stringify(content)]
      .map(s => enc.encode(s));
    // n offsets (each part's start, then the end), then the parts: see
    // jupyter_server.services.kernels.connection.base.serialize_msg_to_ws_v1.
    const offsets = [8 * (1 + parts.length + 1)];
    for (const p of parts) offsets.push(offsets[offsets.length - 1] + p.byteLength);
    const head = new DataView(new ArrayBuffer(8 * (1 + offsets.length)));
    head.setBigUint64(0, BigInt(offsets.length), true);
    offsets.forEach((o, i) => head.setBigUint64(8 * (i + 1), BigInt(o), true));
    ws.send(new Blob([head.buffer, ...parts]));
  };
  // execute_request first: the kernel handles shell requests in order, so once the
  // kernel_info_reply is back, an execute_request that got through has run.
  send('execute_request', {code, silent: false, store_history: false,
                           user_expressions: {}, allow_stdin: false, stop_on_error: true});
  send('kernel_info_request', {});
  const t0 = performance.now();
  while (performance.now() - t0 < waitMs
         && !got.some(m => m.msg_type === 'kernel_info_reply' && m.channel === 'shell')) {
    await new Promise(r => setTimeout(r, 50));
  }
  await new Promise(r => setTimeout(r, settleMs));
  ws.close();
  return {opened, protocol: ws.protocol, got};
}
"""


def _kernel_id(page: Any) -> str:
    config = json.loads(page.locator("#jupyter-config-data").first.text_content())
    return config["kernelId"]


def _probe(essay: Any, browser: Any, code: str, *, v1: bool) -> dict[str, Any]:
    """Run KERNEL_PROBE_JS on the essay's kernel from a page of the same origin.

    A separate context, so that the probe's failures (a refused handshake is a
    console error) do not land in the essay page's record.
    """
    kernel_id = _kernel_id(essay.page)
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(essay.server.url + "voila/static/voila.js")  # any same-origin document
        return page.evaluate(
            KERNEL_PROBE_JS,
            {"kernelId": kernel_id, "code": code, "v1": v1, "waitMs": 20_000, "settleMs": 1500},
        )
    finally:
        context.close()


def test_kernel_refuses_execute_request(essay: Any, browser: Any, tmp_path: Path) -> None:
    target = tmp_path / f"pwned-{uuid.uuid4().hex}"
    result = _probe(essay, browser, f"open({str(target)!r}, 'w').write('x')", v1=True)
    assert result["opened"], "could not open a kernel websocket the way the page does"
    assert result["protocol"] == "v1.kernel.websocket.jupyter.org"
    types = {(m["msg_type"], m["parent_type"]) for m in result["got"]}
    # The channel works: Voila lets kernel_info_request through and the kernel answers.
    assert ("kernel_info_reply", "kernel_info_request") in types, result
    # ...but the code never ran and nothing answered the execute_request.
    assert not target.exists(), "a page visitor ran code in the kernel"
    assert not any(parent == "execute_request" for _, parent in types), result


def test_kernel_websocket_refuses_legacy_protocol(
    essay: Any, browser: Any, voila_server: Any, tmp_path: Path
) -> None:
    """No websocket without the v1 subprotocol (grokwidgets.serving.V1OnlyWebsocketConnection).

    With the legacy protocol, Voila 0.5.13 misreads binary widget messages and the
    server process grows without bound: a denial of service for every reader.
    """
    target = tmp_path / f"pwned-{uuid.uuid4().hex}"
    result = _probe(essay, browser, f"open({str(target)!r}, 'w').write('x')", v1=False)
    assert not result["opened"], f"a legacy-protocol kernel websocket was accepted: {result}"
    assert not target.exists()
    status, _, _ = _get(voila_server.url + "voila/static/voila.js")
    assert status == 200, "the server stopped answering"


def _get(url: str) -> tuple[int, str, dict[str, str]]:
    req = urllib.request.Request(url, headers={"Accept": "text/html,application/json,*/*"})
    try:
        with urllib.request.urlopen(req, timeout=20) as resp:  # follows redirects
            return resp.status, resp.read(200_000).decode("utf-8", "replace"), dict(resp.headers)
    except urllib.error.HTTPError as err:
        body = err.read(200_000).decode("utf-8", "replace")
        headers = dict(err.headers)
        err.close()
        return err.code, body, headers


# Paths a curious visitor might try; all must be refused (or at least leak nothing).
PROBES = [
    "voila/files/pyproject.toml",
    "voila/files/../pyproject.toml",
    "voila/files/%2E%2E/pyproject.toml",
    "voila/files/essay/grokking.ipynb",
    "voila/files/grokking.ipynb",
    "voila/files/../grokwidgets/__init__.py",
    "voila/files/../.git/config",
    "voila/files/../tasks.py",
    "files/pyproject.toml",
    "files/essay/grokking.ipynb",
    "api/contents",
    "api/contents/essay/grokking.ipynb",
    "api/kernels",
    "api/sessions",
    "api/kernelspecs",
    "api/terminals",
    "tree",
    "voila/tree",
    "voila/render/essay/grokking.ipynb",
    "lab",
    "notebooks/essay/grokking.ipynb",
    "voila/static/../../pyproject.toml",
    "voila/labextensions/../../../pyproject.toml",
    "voila/templates/grokwidgets/static/../../../../../pyproject.toml",
    "voila/templates/..%2F..%2F..%2F/static/pyproject.toml",
    "voila/templates/grokwidgets/notstatic/x",
    "api/kernels/00000000-0000-0000-0000-000000000000",
    "no-such-page",
]

# What must never show in an answer: our sources, a notebook, tracebacks, paths.
LEAKS = {
    "pyproject.toml": "[build-system]",
    "a notebook": '"nbformat"',
    "the package source": "grokwidgets: an explorable essay",
    "tasks.py": "def ensure_chromium",
    "git config": "[core]",
    "a traceback": "Traceback (most recent call last)",
    "the repository path": str(ROOT),
    "a site-packages path": "site-packages",
}


def _leaks(body: str) -> list[str]:
    return [what for what, needle in LEAKS.items() if needle in body]


@pytest.mark.parametrize("path", PROBES)
def test_server_refuses_files_and_apis(voila_server: Any, path: str) -> None:
    # urllib keeps "..": the server, not the client, must refuse them.
    status, body, _ = _get(voila_server.url + path)
    assert status >= 400, f"/{path} answered {status}: {body[:300]!r}"
    assert not _leaks(body), f"/{path} leaks {_leaks(body)}"


VERSION_RE = re.compile(
    r"\b(?:python|voil[aà]|tornado|jupyter[_ -]?server|ipykernel)[/ ]v?\d+\.\d+", re.IGNORECASE
)


@pytest.mark.parametrize(
    "path",
    [
        "no-such-page",
        "voila/templates/grokwidgets/notstatic/x",  # a 500 inside Voila
        "voila/static/nope.js",
        "api/kernels/00000000-0000-0000-0000-000000000000",
    ],
)
def test_error_pages_show_no_internals(voila_server: Any, path: str) -> None:
    status, body, _ = _get(voila_server.url + path)
    assert status >= 400
    assert not _leaks(body), f"/{path} error page leaks {_leaks(body)}"
    assert not VERSION_RE.search(body), f"/{path} error page shows a version: {body[:500]!r}"
    assert 'File "' not in body and '.py"' not in body


def test_html_error_page_links_no_other_host(voila_server: Any) -> None:
    """Voila's own HTML error page (here a 403: a POST without XSRF token) is offline too.

    Voila's stock base/page.html links Font Awesome 4 from a CDN; our template's
    page.html replaces it.
    """
    req = urllib.request.Request(voila_server.url, data=b"", method="POST")
    try:
        with urllib.request.urlopen(req, timeout=20) as resp:
            status, body = resp.status, resp.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as err:
        status, body = err.code, err.read().decode("utf-8", "replace")
        err.close()
    assert status == 403
    assert "<html" in body.lower()
    external = re.findall(r"""(?:href|src)\s*=\s*["']((?:https?:)?//[^"']+)""", body)
    assert external == [], f"the error page loads from other hosts: {external}"
    assert not _leaks(body)
