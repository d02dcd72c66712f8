"""grokwidgets.serving's functions, directly (the CLI is in test_cli.py)."""

from __future__ import annotations

import os

import pytest

from grokwidgets import serving


def test_voila_env_puts_our_data_dir_first_and_keeps_the_rest():
    env = serving.voila_env({"PATH": "/bin", "JUPYTER_PATH": "/x" + os.pathsep + "/y"})
    assert env["PATH"] == "/bin"
    assert env["JUPYTER_PATH"].split(os.pathsep) == [str(serving.JUPYTER_DATA_DIR), "/x", "/y"]
    assert (serving.JUPYTER_DATA_DIR / "voila" / "templates" / serving.TEMPLATE).is_dir()


def test_voila_env_without_jupyter_path_and_does_not_mutate_its_input():
    given = {"HOME": "/home/t"}
    env = serving.voila_env(given)
    assert env["JUPYTER_PATH"] == str(serving.JUPYTER_DATA_DIR)
    assert given == {"HOME": "/home/t"}
    assert env is not given


def test_voila_env_defaults_to_os_environ(monkeypatch):
    monkeypatch.setenv("GW_SERVING_PROBE", "1")
    monkeypatch.delenv("JUPYTER_PATH", raising=False)
    env = serving.voila_env()
    assert env["GW_SERVING_PROBE"] == "1"
    assert env["JUPYTER_PATH"] == str(serving.JUPYTER_DATA_DIR)


def test_voila_command_puts_the_notebook_last():
    cmd = serving.voila_command(
        "nb.ipynb", 9000, ip="0.0.0.0", python="py", extra=["--debug"], preheat=3, theme="dark"
    )
    assert cmd[:3] == ["py", "-m", "voila"]
    assert cmd[-1] == "nb.ipynb"
    for arg in (
        "--port=9000",
        "--Voila.ip=0.0.0.0",
        f"--template={serving.TEMPLATE}",
        "--preheat_kernel=True",
        "--pool_size=3",
        "--VoilaConfiguration.theme=dark",
        "--debug",
    ):
        assert arg in cmd


@pytest.mark.parametrize("bad", ["pink", "", "Light"])
def test_theme_args_refuse_unknown_themes(bad):
    with pytest.raises(ValueError, match="theme must be one of"):
        serving.theme_args(bad)


def test_preheat_args_refuse_negative_pools():
    assert serving.preheat_args(0) == []
    with pytest.raises(ValueError, match="pool size must be >= 0"):
        serving.preheat_args(-1)


def test_connection_class_is_reachable_by_its_dotted_name():
    cls = serving.V1OnlyWebsocketConnection
    assert cls.__module__ == "grokwidgets.serving"
    assert cls.kernel_ws_protocol == serving.V1_PROTOCOL
    with pytest.raises(AttributeError):
        serving.no_such_name  # noqa: B018
