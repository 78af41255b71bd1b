"""`colorize app`: accurate --help, and the ways it cannot start are one line and exit 1 (the browser
test, tests/app/test_app_browser.py, runs the command for real)."""

from __future__ import annotations

import socket
import sys

from tests.cli.test_video_cli import assert_one_line_error, run_main


def test_help_names_every_option_and_the_local_default():
    code, out, _ = run_main(["app", "--help"])
    assert code == 0
    for needle in ("--model", "--host", "--port", "--device", "127.0.0.1", "7860", "[app]", "Ctrl-C"):
        assert needle in out, needle


def test_without_gradio_one_line_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "gradio", None)
    code, _, err = run_main(["app"])
    assert_one_line_error(code, err)
    assert err.strip() == "error: the app needs the [app] extra: pip install 'colorize[app]'"


def test_a_taken_port_and_a_missing_model_are_one_line(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        code, _, err = run_main(["app", "--port", str(taken.getsockname()[1])])
    assert_one_line_error(code, err)
    assert "is taken" in err
    code, _, err = run_main(["app", "--port", "0", "--model", str(tmp_path / "missing.safetensors")])
    assert_one_line_error(code, err)
    assert "missing.safetensors" in err
