"""Serve the essay with Voila so that the page works with no network.

``python -m grokwidgets.serving [--port=8866] [--ip=ADDR] [--preheat[=N]]
[--theme=auto|light|dark] [VOILA ARGS...]``
runs Voila on the essay, bound to 127.0.0.1 unless ``--ip`` says otherwise, from the
repository root (where Voila reads ``voila.json``; the install also puts a copy in
``<prefix>/etc/jupyter/``, so a plain ``voila`` elsewhere in this environment gets the
same settings). Bad input exits 2 with one line naming the option and the value.

``--preheat`` (``--preheat=N``: N kernels, default :data:`PREHEAT_POOL`) keeps kernels
that have already run the notebook waiting for the next readers (Voila's
``--preheat_kernel=True --pool_size=N``): a reader gets the rendered page at once
instead of waiting for a kernel to start and run every cell, and Voila starts a
replacement a second later. Each waiting kernel holds the essay's memory (about
what a reader's kernel does), whether or not anyone comes. Measured with
``python3 tasks.py bench page_load``.

What this adds to a plain ``voila essay/grokking.ipynb``: the ``grokwidgets`` Voila
template (in ``grokwidgets/jupyter_data``, put on ``JUPYTER_PATH``). Voila 0.5's stock
``lab`` template links Font Awesome's CSS from a public CDN; Voila already bundles the
same fonts, so the link is only a render-blocking request to the internet, which
stalls or fails in a classroom without a network. Our template is ``lab`` without
those links (see its ``index.html.j2``), so the page asks nothing of another host.

It also holds :class:`V1OnlyWebsocketConnection`, which ``voila.json`` names as Voila's
kernel websocket connection class (see its docstring: it closes a denial of service).

Importing this module needs the standard library only (the connection class, which
needs jupyter_server, is built on first access).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import NoReturn

PACKAGE_DIR = Path(__file__).resolve().parent
#: A Jupyter data directory: holds ``voila/templates/grokwidgets``.
JUPYTER_DATA_DIR = PACKAGE_DIR / "jupyter_data"
TEMPLATE = "grokwidgets"
#: The repository root in a source checkout (where ``voila.json`` and ``essay/`` are).
REPO_ROOT = PACKAGE_DIR.parent
NOTEBOOK = "essay/grokking.ipynb"
PORT = 8866
#: Kernels kept ready by ``--preheat`` without a number.
PREHEAT_POOL = 2


def voila_env(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """A copy of ``environ`` (default: ``os.environ``) that lets Voila find our template."""
    env = dict(os.environ if environ is None else environ)
    paths = [str(JUPYTER_DATA_DIR)]
    if env.get("JUPYTER_PATH"):
        paths.append(env["JUPYTER_PATH"])
    env["JUPYTER_PATH"] = os.pathsep.join(paths)
    return env


def voila_command(
    notebook: str | os.PathLike[str] = NOTEBOOK,
    port: int = PORT,
    *,
    ip: str = "127.0.0.1",
    python: str | os.PathLike[str] | None = None,
    extra: Sequence[str] = (),
    preheat: int = 0,
    theme: str = "auto",
) -> list[str]:
    """The command line that serves ``notebook``; run it with ``env=voila_env()``.

    ``preheat``: keep that many kernels ready, the notebook already run in them
    (see :func:`preheat_args`); 0 starts a kernel per request.
    ``theme``: see :func:`theme_args`.
    """
    return [
        str(python or sys.executable),
        "-m",
        "voila",
        "--no-browser",
        f"--port={int(port)}",
        f"--Voila.ip={ip}",
        f"--template={TEMPLATE}",
        *preheat_args(preheat),
        *theme_args(theme),
        *extra,
        str(notebook),
    ]


#: ``--theme`` values: follow each reader's browser, or the same for every reader.
THEMES = ("auto", "light", "dark")


def theme_args(theme: str) -> list[str]:
    """Voila's arguments for the page's colours: ``"auto"``, ``"light"`` or ``"dark"``.

    ``"auto"`` (``voila.json``'s ``"light"``, nothing to add) follows each reader's
    browser (``prefers-color-scheme``). ``"light"`` keeps every page light whatever the
    browser prefers, as a teacher may want on a projector; it reaches our template
    through Voila's ``extension_config`` (the page config), since Voila's own
    ``theme`` only knows JupyterLab theme names. ``"dark"`` is Voila's dark theme.
    """
    if theme == "auto":
        return []
    if theme == "light":
        return ['--VoilaConfiguration.extension_config={"grokwidgets": {"theme": "light"}}']
    if theme == "dark":
        return ["--VoilaConfiguration.theme=dark"]
    raise ValueError(f"theme must be one of {', '.join(THEMES)}, got {theme!r}")


def preheat_args(pool_size: int) -> list[str]:
    """Voila's arguments for a pool of ``pool_size`` preheated kernels (none for 0).

    Voila renders the notebook in each pooled kernel ahead of time, refills the
    pool ``VoilaKernelManager.fill_delay`` (1 s) after a kernel is taken, and never
    culls pooled kernels. It serves a request from the pool only when the request
    asks for no other template or theme (``?template=``/``?theme=``); otherwise it
    starts a kernel as without preheating.
    """
    n = int(pool_size)
    if n < 0:
        raise ValueError(f"pool size must be >= 0, got {pool_size!r}")
    return ["--preheat_kernel=True", f"--pool_size={n}"] if n else []


V1_PROTOCOL = "v1.kernel.websocket.jupyter.org"


def _make_v1_only_connection() -> type:
    from jupyter_server.services.kernels.connection.channels import (
        ZMQChannelsWebsocketConnection,
    )
    from tornado import web

    class V1OnlyWebsocketConnection(ZMQChannelsWebsocketConnection):
        """A kernel websocket that speaks only Jupyter's v1 binary protocol.

        Voila 0.5.13's kernel websocket handler reads every binary message it sends
        as a v1 message. A client that asks for the legacy protocol (no subprotocol)
        gets widget messages with binary buffers in the legacy framing, which that
        code misreads as a count of some 10**17 offsets: one Voila process then eats
        all the memory it can get, and every reader's page dies with it. Anyone who
        can load the page can open such a websocket on their own kernel. The page
        itself (JupyterLab services 7) always asks for v1, so legacy is refused.
        """

        kernel_ws_protocol = V1_PROTOCOL

        async def prepare(self) -> None:
            offered = self.websocket_handler.request.headers.get("Sec-WebSocket-Protocol", "")
            if V1_PROTOCOL not in [p.strip() for p in offered.split(",")]:
                raise web.HTTPError(400, f"only the {V1_PROTOCOL} protocol is served")
            await super().prepare()

    V1OnlyWebsocketConnection.__module__ = __name__
    V1OnlyWebsocketConnection.__qualname__ = "V1OnlyWebsocketConnection"
    return V1OnlyWebsocketConnection


def __getattr__(name: str) -> type:
    # Built lazily so that importing this module needs no jupyter_server.
    if name == "V1OnlyWebsocketConnection":
        cls = _make_v1_only_connection()
        globals()[name] = cls
        return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class _OneLineParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors are one line on stderr and exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message}\n")


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number, got {text!r}") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port in 1-65535, got {text!r}")
    return port


def _pool_size(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a number of kernels >= 0, got {text!r}"
        ) from None
    if n < 0:
        raise argparse.ArgumentTypeError(f"expected a number of kernels >= 0, got {text!r}")
    return n


def _theme(text: str) -> str:
    if text not in THEMES:
        raise argparse.ArgumentTypeError(f"expected one of {', '.join(THEMES)}, got {text!r}")
    return text


def argument_parser(prog: str = "python -m grokwidgets.serving") -> argparse.ArgumentParser:
    """The serving command line: our options; every other argument goes to Voila.

    Errors (a missing or malformed value) are one line naming the option and the
    value, exit code 2. ``tasks.py serve`` checks its arguments with this parser too.
    """
    parser = _OneLineParser(
        prog=prog,
        description="Serve the grokwidgets essay with Voila (offline template, hardened "
        "kernel websocket). Arguments not listed here are passed to Voila.",
        allow_abbrev=False,
    )
    parser.add_argument("--port", type=_port, default=PORT, help=f"default {PORT}")
    parser.add_argument(
        "--ip",
        "--Voila.ip",
        dest="ip",
        default="127.0.0.1",
        help="the address to listen on (default 127.0.0.1; 0.0.0.0 for a class)",
    )
    parser.add_argument(
        "--preheat",
        type=_pool_size,
        nargs="?",
        const=PREHEAT_POOL,
        default=0,
        metavar="N",
        help=f"keep N kernels ready with the essay already run (alone: {PREHEAT_POOL})",
    )
    parser.add_argument(
        "--theme",
        type=_theme,
        default="auto",
        metavar="|".join(THEMES),
        help="the page's colours: follow each reader's browser (auto), or fixed",
    )
    return parser


def parse_args(argv: Sequence[str]) -> tuple[argparse.Namespace, list[str]]:
    """Our options and the arguments left for Voila; exits 2 on bad input."""
    return argument_parser().parse_known_args(list(argv))


def main(argv: Sequence[str] | None = None) -> int:
    args, rest = parse_args(sys.argv[1:] if argv is None else argv)
    cmd = voila_command(
        port=args.port, ip=args.ip, extra=rest, preheat=args.preheat, theme=args.theme
    )
    if os.name == "posix":
        # Become Voila, so that Ctrl-C and signals reach it directly.
        os.chdir(REPO_ROOT)
        os.execve(cmd[0], cmd, voila_env())
    try:
        return subprocess.call(cmd, cwd=REPO_ROOT, env=voila_env())
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
