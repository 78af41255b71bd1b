"""Frame folders as sequences (colorize/jobs/colorize/sequences.py): keyframes, shots and resume as for videos."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from colorize.data.toon import ToonConfig, write_toon_video
from colorize.errors import InputError
from colorize.images import read_rgb, write_image
from colorize.jobs.colorize import run as colorize_jobs
from colorize.jobs.colorize.run import ColorizeOptions, colorize_folder, colorize_video
from colorize.jobs.colorize.sequences import frame_numbers, natural_key, plan_sequences, resume_start
from colorize.media.video import iter_frames

# The tiny reference-guided generator of the video CLI tests, so both compare the same model.
from tests.cli.test_video_cli import reference_model  # noqa: E402,F401  (a fixture)

# 100 x 60, 12 frames with a hard cut at frame 6 (the shot detector's shortest shot)
CLIP = ToonConfig(width=100, height=60, n_frames=12, fps=10.0, cut_every=6)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("sequences")


@pytest.fixture(scope="module")
def clip(workdir) -> Path:
    return write_toon_video(workdir / "clip.mp4", CLIP)


@pytest.fixture(scope="module")
def frames_dir(workdir, clip) -> Path:
    """The clip's decoded frames as PNGs: exactly the pixels the video job colours."""
    folder = workdir / "frames"
    for frame in iter_frames(clip):
        write_image(folder / f"frame_{frame.index}.png", frame.image)  # unpadded: natural order matters
    return folder


@pytest.fixture(scope="module")
def keys(workdir) -> Path:
    folder = workdir / "keys"
    folder.mkdir()
    for number, rgb in ((0, (220, 30, 30)), (8, (30, 30, 220))):
        write_image(folder / f"key_{number:04d}.png", np.full((60, 100, 3), rgb, np.uint8))
    return folder


def options(model: Path, **kw) -> ColorizeOptions:
    return ColorizeOptions(model=model, device="cpu", batch_size=4, **kw)


def video_job_frames(clip: Path, opts: ColorizeOptions, monkeypatch, colorizer=None) -> list[np.ndarray]:
    """What `colorize_video` (with `colorizer`, if given) hands its encoder, frame by frame (before any
    compression)."""
    recorded: list[np.ndarray] = []

    class RecordingWriter:
        def __init__(self, *args, **kwargs):
            pass

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def write(self, rgb):
            recorded.append(np.array(rgb))

    with monkeypatch.context() as patch:
        patch.setattr("colorize.media.encode.VideoWriter", RecordingWriter)
        colorize_video(clip, clip.with_name("unused.mp4"), opts, colorizer)
    return recorded


def folder_outputs(out: Path) -> list[np.ndarray]:
    return [read_rgb(out / f"frame_{i}.png") for i in range(CLIP.n_frames)]


def test_natural_order_and_frame_numbers():
    names = [Path(n) for n in ("frame_10.png", "frame_2.png", "Frame_1.png")]
    assert [p.name for p in sorted(names, key=natural_key)] == ["Frame_1.png", "frame_2.png", "frame_10.png"]
    assert frame_numbers([Path("cut1_0001.png"), Path("cut1_0002.png")]) == [1, 2]
    assert frame_numbers([Path("a.png"), Path("b_3.png")]) == [0, 1]  # a name without a number
    assert frame_numbers([Path("x_1.png"), Path("y_1.png")]) == [0, 1]  # two frames claim one number


@pytest.mark.parametrize("flags", [
    {"references": "keys", "temporal": False}, {"reference": "keys/key_0000.png", "temporal": False},
    {"self_reference": True, "temporal": False}, {"references": "keys", "shots": False, "temporal": False},
    # the temporal mode (the default for a reference-guided model) on top of keyframes / self-reference
    {"references": "keys"}, {"reference": "keys/key_0000.png", "temporal": True}, {"self_reference": True},
    {"self_reference": False, "temporal": True},
    {"references": "keys", "size": 64},  # a working size below the frames': generator and flow run at 64 px
], ids=lambda flags: ",".join(f"{k}={v}" for k, v in flags.items()))
def test_folder_matches_the_video_job_on_the_same_frames(workdir, clip, frames_dir, keys, reference_model,
                                                         monkeypatch, flags):
    flags = {k: workdir / v if isinstance(v, str) else v for k, v in flags.items()}
    out = workdir / f"out_{'_'.join(f'{k}{v}'.replace('/', '') for k, v in flags.items())}"
    summary = colorize_folder(frames_dir, out, options(reference_model, **flags))
    assert (summary.written, summary.skipped) == (CLIP.n_frames, 0)
    folder = folder_outputs(out)
    if flags.get("shots") is False:
        # the whole folder is one shot: the second shot keeps the keyframe's colours until frame 8
        video = video_job_frames(clip, options(reference_model, references=keys, temporal=False), monkeypatch)
        assert all(np.array_equal(a, b) for a, b in zip(folder[:6], video[:6]))
        assert not np.array_equal(folder[6], video[6])
        return
    video = video_job_frames(clip, options(reference_model, **flags), monkeypatch)
    assert len(video) == len(folder) == CLIP.n_frames
    for i, (a, b) in enumerate(zip(folder, video)):
        assert np.array_equal(a, b), f"frame {i} differs from the video job's"
    if flags.get("temporal") is not False:  # the mode really ran: it changed frames inside each shot
        still = video_job_frames(clip, options(reference_model, **{**flags, "temporal": False}), monkeypatch)
        changed = [i for i in range(CLIP.n_frames) if not np.array_equal(folder[i], still[i])]
        assert set(changed) - {0, 6}, "the temporal mode changed no frame after a shot's first"


def test_keyframes_change_their_own_shots_only(workdir, frames_dir, reference_model, tmp_path):
    late_key = tmp_path / "keys"
    write_image(late_key / "key_0008.png", np.full((60, 100, 3), (30, 30, 220), np.uint8))
    colorize_folder(frames_dir, tmp_path / "self", options(reference_model))
    colorize_folder(frames_dir, tmp_path / "keyed", options(reference_model, references=late_key))
    plain, keyed = folder_outputs(tmp_path / "self"), folder_outputs(tmp_path / "keyed")
    assert all(np.array_equal(plain[i], keyed[i]) for i in range(6))  # the shot before the key's: untouched
    # the key's shot (cut at 6): its frames before the key take it backwards (filters/keyed.py), the rest forwards
    assert not any(np.array_equal(plain[i], keyed[i]) for i in range(6, 12))


@pytest.mark.parametrize("temporal, keyed", [(False, False), (True, False), (True, True)])
def test_a_resumed_sequence_restarts_at_its_shot_start(workdir, frames_dir, keys, reference_model, monkeypatch,
                                                       temporal, keyed):
    """Killed after 8 outputs, rerun: the same files. With keys at 0 and 8 the second shot's frames
    6-7 wait for key 8 (carried backwards) before they are written."""
    opts = options(reference_model, temporal=temporal, references=keys if keyed else None)
    name = f"{temporal}_{keyed}"
    colorize_folder(frames_dir, workdir / f"whole_{name}", opts)
    whole = folder_outputs(workdir / f"whole_{name}")

    out = workdir / f"resumed_{name}"
    real_write = colorize_jobs.write_image
    written: list[Path] = []

    def dying_write(path, rgb):
        if len(written) == 8:
            raise KeyboardInterrupt  # killed after frames 0-7: frame 8 lies in the shot of frames 6-11
        written.append(Path(path))
        return real_write(path, rgb)

    monkeypatch.setattr(colorize_jobs, "write_image", dying_write)
    with pytest.raises(KeyboardInterrupt):
        colorize_folder(frames_dir, out, opts)
    monkeypatch.setattr(colorize_jobs, "write_image", real_write)
    assert sorted(p.name for p in out.glob("*.png")) == sorted(f"frame_{i}.png" for i in range(8))
    stamps = {p: p.stat().st_mtime_ns for p in out.glob("*.png")}

    seq = plan_sequences(frames_dir, out)[0]
    assert resume_start(seq, seq.pending()[0], shots=True) == 6
    read: list[str] = []
    real_read = colorize_jobs.read_rgb

    def spying_read(path):
        read.append(Path(path).name)
        return real_read(path)

    monkeypatch.setattr("colorize.jobs.colorize.sequences.read_rgb", spying_read)
    summary = colorize_folder(frames_dir, out, opts)
    assert (summary.written, summary.skipped) == (4, 8)
    assert [n for n in read if n in {f"frame_{i}.png" for i in range(6, 12)}][-6:] == \
        [f"frame_{i}.png" for i in range(6, 12)]  # coloured again from the shot's first frame
    assert all(p.stat().st_mtime_ns == t for p, t in stamps.items())  # finished frames not rewritten
    for i, (a, b) in enumerate(zip(folder_outputs(out), whole)):
        # batches start elsewhere after a resume, which may move float sums by a rounding step
        # (on this CPU the files come out identical, carried colours included)
        assert np.abs(a.astype(int) - b.astype(int)).max() <= 1, f"frame {i}"
    if temporal and not keyed:  # the colours carried into frames 8-11 came from frames 6-7: a chain begun at 8 differs
        late = workdir / "late_frames"
        for i in range(8, 12):
            write_image(late / f"frame_{i}.png", read_rgb(frames_dir / f"frame_{i}.png"))
        colorize_folder(late, workdir / "late_out", opts)
        restarted = [read_rgb(workdir / "late_out" / f"frame_{i}.png") for i in range(9, 12)]
        assert max(np.abs(a.astype(int) - b.astype(int)).max() for a, b in zip(restarted, whole[9:])) > 1


def test_each_subfolder_is_a_sequence_with_its_own_keyframes(workdir, frames_dir, reference_model):
    cuts, keys = workdir / "cuts", workdir / "cut_keys"
    for name, numbers in (("c01", range(0, 4)), ("c02", range(1, 5))):
        for n in numbers:
            image = read_rgb(frames_dir / f"frame_{n}.png")
            write_image(cuts / name / f"{name}_{n:04d}.png", image)
    write_image(keys / "c02" / "k_0003.png", np.full((60, 100, 3), (30, 200, 30), np.uint8))
    seqs = plan_sequences(cuts, workdir / "cuts_out", workdir / "keys" / "key_0000.png", keys)
    assert [s.relative.as_posix() for s in seqs] == ["c01", "c02"]
    assert [s.numbers for s in seqs] == [[0, 1, 2, 3], [1, 2, 3, 4]]
    assert [sorted(s.keyframes.by_frame) for s in seqs] == [[0], [1, 3]]  # --reference: each first frame
    summary = colorize_folder(cuts, workdir / "cuts_out", options(reference_model, references=keys))
    assert summary.written == 8
    assert read_rgb(workdir / "cuts_out" / "c02" / "c02_0004.png").shape == (60, 100, 3)


def test_keyframe_mistakes_are_input_errors(workdir, frames_dir, keys, tmp_path):
    late = tmp_path / "late"
    write_image(late / "key_0040.png", np.zeros((60, 100, 3), np.uint8))
    with pytest.raises(InputError, match="no frame 40"):
        plan_sequences(frames_dir, tmp_path / "out", references=late)
    with pytest.raises(InputError, match="two keyframes"):
        plan_sequences(frames_dir, tmp_path / "out", keys / "key_0000.png", keys)
    elsewhere = tmp_path / "nested"
    write_image(elsewhere / "other_cut" / "key_0001.png", np.zeros((60, 100, 3), np.uint8))
    with pytest.raises(InputError, match="holds no keyframes"):
        plan_sequences(frames_dir, tmp_path / "out", references=elsewhere)


def test_a_plain_model_refuses_keyframes_but_colours_a_folder_frame_by_frame(workdir, frames_dir, keys, model_file):
    with pytest.raises(InputError, match="reference-guided"):
        colorize_folder(frames_dir, workdir / "plain", options(model_file, references=keys))
    summary = colorize_folder(frames_dir, workdir / "plain", options(model_file))
    assert summary.written == CLIP.n_frames
