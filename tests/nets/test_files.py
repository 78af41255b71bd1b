"""Loading side of colorize.nets.files: malformed or hostile model files are one clear line (issue 13,
cases 2 and 3), never a traceback, never a torch warning, and a pickle's code never runs."""

from __future__ import annotations

import json
import os
import pickle
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from colorize.errors import InputError
from colorize.nets.files import GENERATOR_FORMAT, load_checkpoint, load_generator, save_checkpoint
from tests.cli.test_video_cli import run_main


def fake_generator(path: Path, metadata: dict[str, str]) -> Path:
    save_file({"w": torch.zeros(2)}, str(path), metadata=metadata)
    return path


@pytest.mark.parametrize("metadata, needle", [
    ({"format": GENERATOR_FORMAT}, "without its metadata"),
    ({"format": GENERATOR_FORMAT, "meta": "{not json"}, "not valid JSON"),
    ({"format": GENERATOR_FORMAT, "meta": "[1, 2]"}, "malformed generator metadata"),
    ({"format": GENERATOR_FORMAT, "meta": json.dumps({"architecture": "unet"})}, "malformed generator metadata"),
    ({"format": GENERATOR_FORMAT, "meta": json.dumps({"architecture": {"name": "unet", "kwargs": [1]}})},
     "malformed generator metadata"),
])
def test_generator_file_with_bad_meta_is_one_input_error(tmp_path, metadata, needle):
    path = fake_generator(tmp_path / "g.safetensors", metadata)
    with pytest.raises(InputError, match=needle):
        load_generator(path)


def test_checkpoint_with_bad_generator_meta_is_one_input_error(tmp_path):
    path = save_checkpoint(tmp_path / "last.pt", {"generator": {"weights": {}, "meta": "nonsense"}})
    with pytest.raises(InputError, match="malformed generator metadata"):
        load_generator(path)


class _Payload:
    """A pickle that would create a marker file if it were ever unpickled without weights_only."""

    marker = ""

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


def test_hostile_pickle_is_refused_silently_and_its_code_never_runs(tmp_path, capfd):
    marker = tmp_path / "code_ran"
    _Payload.marker = str(marker)
    for name, dump in (("legacy.pt", lambda p: p.write_bytes(pickle.dumps(_Payload()))),
                       ("zipped.pt", lambda p: torch.save({"format": "colorize-train", "x": _Payload()}, p))):
        path = tmp_path / name
        dump(path)
        capfd.readouterr()
        with pytest.raises(InputError) as info:
            load_checkpoint(path)
        captured = capfd.readouterr()
        message = str(info.value)
        assert "refused without running any of it" in message and "\n" not in message
        assert "torch." not in message and "weights_only" not in message
        assert "Warning" not in captured.err + captured.out
        assert not marker.exists()


def test_text_file_as_model_is_said_in_our_words(tmp_path, capfd):
    path = tmp_path / "notes.pt"
    path.write_text("these are not weights\n" * 20)
    clip = tmp_path / "clip.mp4"
    from colorize.data.toon import ToonConfig, write_toon_video

    write_toon_video(clip, ToonConfig(width=32, height=32, n_frames=2))
    capfd.readouterr()
    code, _, err = run_main(["-q", "video", str(clip), "-o", str(tmp_path / "o.mp4"), "--model", str(path),
                             "--device", "cpu"])
    err += capfd.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 1 and len(lines) == 1, err
    assert lines[0] == f"error: {path} is not a loadable colorize checkpoint (not a PyTorch checkpoint, or damaged)"
    assert not (tmp_path / "o.mp4").exists()


def test_saving_on_a_full_disk_names_the_reason_and_leaves_nothing(tmp_path, monkeypatch):
    # issue 13 case 8 (train): torch.save on a full disk said "unexpected pos 704 vs 598".
    import errno

    import colorize.images
    from colorize.nets.files import save_generator
    from colorize.nets.unet import UNetGenerator

    def full(fd, data):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    net = UNetGenerator(depth=2, base_channels=4, max_channels=8)
    meta = {"architecture": {"name": "unet", "kwargs": net.config}}
    monkeypatch.setattr(colorize.images.os, "write", full)
    with pytest.raises(InputError, match="last.pt: No space left on device"):
        save_checkpoint(tmp_path / "last.pt", {"step": 1})
    with pytest.raises(InputError, match="generator.safetensors: No space left on device"):
        save_generator(tmp_path / "generator.safetensors", net, meta)
    assert list(tmp_path.iterdir()) == []
    monkeypatch.undo()
    loaded, _ = load_generator(save_generator(tmp_path / "generator.safetensors", net, meta))
    assert load_checkpoint(save_checkpoint(tmp_path / "last.pt", {"step": 1}))["step"] == 1
