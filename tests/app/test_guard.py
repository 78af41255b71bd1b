"""colorize/app/guard.py: the root folder, the login, the network host check and the upload cap."""

from __future__ import annotations

import pytest

from colorize.app import guard
from colorize.errors import ConfigError, InputError


def test_paths_resolve_inside_the_root_or_are_refused_alike(tmp_path):
    root = (tmp_path / "root").resolve()
    (root / "a").mkdir(parents=True)
    (root / "a" / "clip.mp4").write_bytes(b"x")
    (tmp_path / "secret.mp4").write_bytes(b"x")
    (root / "a" / "link.mp4").symlink_to(tmp_path / "secret.mp4")
    assert guard.inside(root, "a/clip.mp4") == root / "a" / "clip.mp4"
    assert guard.inside(root, str(root / "a" / ".." / "a")) == root / "a"
    for text in ["../secret.mp4", str(tmp_path / "secret.mp4"), "a/link.mp4", "a/missing.mp4", "~", "", "a/\x00"]:
        with pytest.raises(InputError) as caught:
            guard.inside(root, text)
        assert str(caught.value) == f"no video or frame folder at {text.strip()!r} in the folder this app serves"


def test_the_login_comes_from_the_flag_a_file_or_the_environment(tmp_path, monkeypatch):
    monkeypatch.delenv(guard.AUTH_ENV, raising=False)
    assert guard.read_auth(None, None) is None
    assert guard.read_auth("anna:s3:cret", None) == ("anna", "s3:cret")
    (tmp_path / "login").write_text("ben:pw\n")
    assert guard.read_auth(None, tmp_path / "login") == ("ben", "pw")
    monkeypatch.setenv(guard.AUTH_ENV, "cleo:pw2")
    assert guard.read_auth(None, None) == ("cleo", "pw2")
    for bad in ["anna", "anna:", ":pw"]:
        with pytest.raises(ConfigError, match="--auth must be USER:PASSWORD"):
            guard.read_auth(bad, None)
    with pytest.raises(ConfigError, match="cannot read the --auth-file 'missing'"):
        guard.read_auth(None, tmp_path / "missing")


def test_a_network_host_needs_a_login():
    for host in ["127.0.0.1", "localhost", "::1", "127.0.0.2"]:
        guard.check_exposure(host, None)
    guard.check_exposure("0.0.0.0", ("a", "b"))
    with pytest.raises(ConfigError, match="--host 0.0.0.0 opens the app to other machines") as caught:
        guard.check_exposure("0.0.0.0", None)
    assert caught.value.exit_code == 2


def test_upload_sizes():
    assert guard.max_upload_bytes("500MB") == 500_000_000
    assert guard.max_upload_bytes("1.5GiB") == int(1.5 * 2**30)
    assert guard.max_upload_bytes("2g") == 2_000_000_000
    assert guard.max_upload_bytes(1024) == 1024
    for bad in ["0", "5XB", "-1MB", "lots"]:
        with pytest.raises(ConfigError, match="--max-upload must be a size"):
            guard.max_upload_bytes(bad)
    assert guard.describe_bytes(500_000_000) == "500 MB"
