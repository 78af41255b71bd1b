"""colorize/app/__init__.py: gradio imported lazily with the network off, and the port chosen before serving."""

from __future__ import annotations

import os
import socket
import sys

import pytest

from colorize import app
from colorize.errors import InputError


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
