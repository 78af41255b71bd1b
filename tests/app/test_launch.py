"""colorize/app/__init__.py: gradio imported lazily with the network off, and the port chosen before serving."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from colorize import app
from colorize.errors import InputError
# The tiny reference-guided generator of the video CLI tests.
from tests.cli.test_video_cli import reference_model  # noqa: F401  (a fixture)


def test_without_gradio_the_app_says_which_extra_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "gradio", None)  # `import gradio` raises ImportError
    with pytest.raises(app.AppUnavailable) as caught:
        app.import_gradio()
    assert str(caught.value) == "the app needs the [app] extra: pip install 'colorize[app]'"
    assert caught.value.exit_code == 1


def test_gradio_is_imported_with_analytics_and_telemetry_off(monkeypatch):
    pytest.importorskip("gradio", reason="the [app] extra (gradio) is not installed")
    for name in app.OFFLINE_ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    app.import_gradio()
    assert os.environ["GRADIO_ANALYTICS_ENABLED"] == "False" and os.environ["HF_HUB_DISABLE_TELEMETRY"] == "1"


def test_a_taken_port_is_refused_and_none_or_zero_find_a_free_one():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(InputError, match=f"port {port} on 127.0.0.1 is taken"):
            app.choose_port("127.0.0.1", port)
        assert app.choose_port("127.0.0.1", 0) != port
    chosen = app.choose_port("127.0.0.1", None)
    assert chosen == app.DEFAULT_PORT or app.port_is_free("127.0.0.1", chosen)


def test_a_network_host_without_a_login_exits_2_in_one_line(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "COLORIZE_APP_AUTH"}
    done = subprocess.run([sys.executable, "-m", "colorize", "app", "--host", "0.0.0.0", "--port", "0"],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("error: --host 0.0.0.0 opens the app")


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("launch")


@pytest.fixture(scope="module")
def served(tmp_path_factory, reference_model):
    """The app in this process, with a login and a root folder holding one clip; yields (url, root, outside)."""
    pytest.importorskip("gradio", reason="the [app] extra (gradio) is not installed")
    from colorize.data.toon import ToonConfig, write_toon_video

    folder = tmp_path_factory.mktemp("served")
    root, outside = folder / "root", folder / "outside"
    root.mkdir()
    outside.mkdir()
    write_toon_video(root / "clip.mp4", ToonConfig(width=64, height=48, n_frames=4, fps=4.0))
    write_toon_video(outside / "secret.mp4", ToonConfig(width=64, height=48, n_frames=4, fps=4.0))
    port = app.free_port()
    page = app.launch(reference_model, port=port, device="cpu", block=False, root=root, auth=("anna", "pw"))
    try:
        yield f"http://127.0.0.1:{port}/", root, outside
    finally:
        page.close()
        shutil.rmtree(page.work_root, ignore_errors=True)


def test_with_a_login_the_page_asks_for_it(served):
    url, _, _ = served
    with urllib.request.urlopen(url) as reply:  # the page embeds its config: a login form, no components
        page = reply.read().decode()
    config = json.loads(re.search(r"window.gradio_config = (\{.*?\});</script>", page, re.S).group(1))
    assert config["auth_required"] is True and config["components"] == []
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(url + "config")
    assert refused.value.code == 401


def test_open_path_through_the_api_is_refused_outside_the_root(served):
    from gradio_client import Client

    url, root, outside = served
    client = Client(url, auth=("anna", "pw"), verbose=False)

    def refusal(path: str) -> str:
        with pytest.raises(Exception) as caught:
            client.predict(path, 12, api_name="/open_path")
        return str(caught.value).replace(repr(path), "PATH")

    messages = {refusal(p) for p in [str(outside / "secret.mp4"), f"../{outside.name}/secret.mp4", str(outside),
                                     str(outside / "missing.mp4"), "missing.mp4", "/etc/passwd"]}
    assert len(messages) == 1 and "no video or frame folder at PATH in the folder this app serves" in messages.pop()
    opened = client.predict("clip.mp4", 12, api_name="/open_path")
    assert "clip.mp4: 4 frames, 64x48" in str(opened)
