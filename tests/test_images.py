"""colorize.images: EXIF orientation, damaged PNGs, OS reasons on failed writes, the input-as-output
check and stale temporary files (issue 13, cases 1, 5, 6, 7, 8)."""

from __future__ import annotations

import os
import stat
import struct
from pathlib import Path

import cv2
import numpy as np
import pytest

from colorize.errors import InputError
from colorize.images import (read_rgb, refuse_input_as_output, remove_stale_partials, write_all, write_bytes,
                             write_image)


def jpeg_with_orientation(path: Path, rgb: np.ndarray, orientation: int) -> Path:
    """A JPEG whose EXIF says how to turn it (6: rotate 90 degrees clockwise to display)."""
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 95])
    tiff = b"MM\x00\x2a" + struct.pack(">I", 8) + struct.pack(">H", 1) \
        + struct.pack(">HHIHH", 0x0112, 3, 1, orientation, 0) + struct.pack(">I", 0)
    payload = b"Exif\x00\x00" + tiff
    app1 = b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload
    data = buf.tobytes()
    path.write_bytes(data[:2] + app1 + data[2:])
    return path


def test_jpeg_exif_orientation_is_applied(tmp_path):
    rgb = np.zeros((20, 40, 3), np.uint8)  # 40 wide, 20 high; the left half red
    rgb[:, :20] = (255, 0, 0)
    upright = read_rgb(jpeg_with_orientation(tmp_path / "phone.jpg", rgb, orientation=6))
    assert upright.shape == (40, 20, 3)  # turned: 20 wide, 40 high
    # Rotating clockwise puts the left half on top.
    assert upright[:18, :, 0].mean() > 200 and upright[22:, :, 0].mean() < 50
    plain = read_rgb(jpeg_with_orientation(tmp_path / "plain.jpg", rgb, orientation=1))
    assert plain.shape == (20, 40, 3)


def test_png_alpha_and_16_bit_still_read_unchanged(tmp_path):
    rgba = np.zeros((8, 8, 4), np.uint8)  # fully transparent: paper (white)
    cv2.imwrite(str(tmp_path / "a.png"), rgba)
    assert read_rgb(tmp_path / "a.png").min() == 255
    cv2.imwrite(str(tmp_path / "b.png"), np.full((8, 8, 3), 65535, np.uint16))
    assert read_rgb(tmp_path / "b.png").min() == 255


@pytest.mark.parametrize("damage", ["flip", "cut"])
def test_damaged_png_is_one_input_error_and_nothing_on_stderr(tmp_path, capfd, damage):
    ok, buf = cv2.imencode(".png", np.random.default_rng(1).integers(0, 256, (32, 32, 3), dtype=np.uint8))
    data = bytearray(buf.tobytes())
    if damage == "flip":
        data[70] ^= 0xFF
    else:
        data = data[:len(data) // 2]
    (tmp_path / "bad.png").write_bytes(bytes(data))
    with pytest.raises(InputError, match="cannot decode image"):
        read_rgb(tmp_path / "bad.png")
    captured = capfd.readouterr()
    assert captured.err == "" and captured.out == ""


def test_a_full_disk_is_reported_with_the_os_reason(tmp_path):
    if not (os.path.exists("/dev/full") and stat.S_ISCHR(os.stat("/dev/full").st_mode)):
        pytest.skip("no /dev/full device here")
    with pytest.raises(OSError) as info:
        write_all("/dev/full", b"x" * 10)  # the kernel's always-full device
    assert info.value.strerror == "No space left on device"


def test_write_failure_leaves_nothing_and_names_the_reason(tmp_path, monkeypatch):
    import colorize.images as images

    def full(fd, data):
        raise OSError(28, os.strerror(28))

    monkeypatch.setattr(images.os, "write", full)
    with pytest.raises(InputError, match=r"cannot write .*a\.png: No space left on device$"):
        write_image(tmp_path / "a.png", np.zeros((4, 4, 3), np.uint8))
    with pytest.raises(InputError, match="No space left on device"):
        write_bytes(tmp_path / "m.json", b"{}")
    assert list(tmp_path.iterdir()) == []


def test_refuse_input_as_output_sees_through_spellings_and_links(tmp_path, monkeypatch):
    source = tmp_path / "in.mp4"
    source.write_bytes(b"video")
    os.link(source, tmp_path / "hard.mp4")
    (tmp_path / "soft.mp4").symlink_to(source)
    monkeypatch.chdir(tmp_path)
    for output in ("in.mp4", "./in.mp4", tmp_path / "in.mp4", "hard.mp4", "soft.mp4"):
        with pytest.raises(InputError, match="is the input"):
            refuse_input_as_output(output, [None, "in.mp4"])
    refuse_input_as_output("out.mp4", ["in.mp4"])  # another name: fine
    folder = tmp_path / "frames"
    folder.mkdir()
    for output in (folder, folder / "out", folder / "a" / "b"):
        with pytest.raises(InputError, match="the input folder"):
            refuse_input_as_output(output, [folder], folder_job=True)
    refuse_input_as_output(tmp_path / "colour", [folder], folder_job=True)
    refuse_input_as_output(folder / "x.mp4", [folder])  # a file job may write beside its frames


def test_remove_stale_partials_keeps_live_writers_and_other_outputs(tmp_path):
    out = tmp_path / "clip.mp4"
    dead = tmp_path / ".clip.999999999-0123abcd.partial.mp4"
    dead_dir = tmp_path / ".clip.999999999-0123abcd.partial"
    live = tmp_path / f".clip.{os.getpid()}-0123abcd.partial.mp4"
    other = tmp_path / ".clip2.999999999-0123abcd.partial.mp4"
    for path in (dead, live, other):
        path.write_bytes(b"x")
    dead_dir.mkdir()
    (dead_dir / "frame_000000.png").write_bytes(b"x")
    removed = remove_stale_partials(out)
    assert sorted(removed) == sorted([dead, dead_dir])
    assert live.exists() and other.exists() and not dead.exists() and not dead_dir.exists()
