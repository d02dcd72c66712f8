"""Binder's install, simulated: a fresh venv from binder/requirements.txt, then the
Voila page that the README's Binder badge opens renders the essay, with our template.

repo2docker runs ``pip install -r binder/requirements.txt`` from the repository root
and starts a Jupyter server there; the badge opens ``/voila/render/essay/grokking.ipynb``
through Voila's server extension. We do the same on loopback.
"""

import os
import re
import shutil
import socket
import subprocess
import time
import urllib.request
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_binder_requirements_install_the_package():
    lines = (ROOT / "binder" / "requirements.txt").read_text().split()
    assert "." in lines  # repo2docker does not install the repo itself when binder/ exists
    # The Python Binder runs must satisfy pyproject's requires-python (>=3.11):
    # "python-3.10" or "python-3.1" must fail here.
    runtime = (ROOT / "binder" / "runtime.txt").read_text().strip()
    match = re.fullmatch(r"python-(\d+)\.(\d+)", runtime)
    assert match, f"binder/runtime.txt is not python-X.Y: {runtime!r}"
    assert (int(match[1]), int(match[2])) >= (3, 11), runtime
    pyproject = (ROOT / "pyproject.toml").read_text()
    requires = re.search(r'requires-python = ">=(\d+)\.(\d+)"', pyproject)
    assert requires and (int(match[1]), int(match[2])) >= (int(requires[1]), int(requires[2]))


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git to copy the repository")
def test_fresh_binder_environment_renders_the_voila_page(tmp_path):
    # Binder builds from a clean checkout: copy what git tracks, not this work tree's venv.
    repo = tmp_path / "repo"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(repo)], check=True, timeout=120)
    for changed in subprocess.run(
        ["git", "ls-files", "-m", "-o", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split():
        # Uncommitted work counts too, so the test checks the tree under test.
        src, dst = ROOT / changed, repo / changed
        if src.is_file():
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)
    env_dir = tmp_path / "binder-env"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    py = env_dir / "bin" / "python"
    subprocess.run(
        [
            str(py),
            "-m",
            "pip",
            "install",
            "-q",
            "--disable-pip-version-check",
            "-r",
            "binder/requirements.txt",
        ],
        cwd=repo,
        check=True,
        timeout=900,
    )
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "PYTHON"))}
    log = open(tmp_path / "server.log", "wb")
    server = subprocess.Popen(
        [
            str(py),
            "-m",
            "jupyter",
            "server",
            "--no-browser",
            f"--port={port}",
            "--ServerApp.ip=127.0.0.1",
            "--IdentityProvider.token=",
            "--ServerApp.password=",
            "--allow-root",
        ],
        cwd=repo,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        url = f"http://127.0.0.1:{port}/voila/render/essay/grokking.ipynb"
        deadline = time.monotonic() + 120
        html = None
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(url, timeout=120) as response:
                    html = response.read().decode("utf-8", "replace")
                break
            except OSError:
                time.sleep(1)
        assert html is not None, (tmp_path / "server.log").read_text()[-2000:]
        assert "Grokking: when a network stops memorizing" in html
        assert html.count("application/vnd.jupyter.widget-view+json") >= 5
        assert not re.search(r"Traceback \(most recent call last\)|\w+Error: ", html)
        # Our template (voila.json), installed by `pip install .`: the reading layout,
        # and no style or script from another host (the stock template links a CDN).
        assert "/voila/templates/grokwidgets/static/grokwidgets.css" in html
        external = re.findall(r"<(?:link|script)\b[^>]*(?:href|src)=\"(?:https?:)?//[^\"]+", html)
        assert external == []
        with urllib.request.urlopen(
            f"http://127.0.0.1:{port}/voila/templates/grokwidgets/static/grokwidgets.css",
            timeout=30,
        ) as response:
            assert b".gw-figure" in response.read()
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(10)
        log.close()
