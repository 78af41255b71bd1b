"""colorize/app/session.py: what the preview app does, without a browser (tiny reference-guided model)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest

from colorize import api
from colorize.app import render, session
from colorize.data.toon import ToonConfig, write_toon_video
from colorize.errors import ColorizeError, InputError
from colorize.images import read_rgb, write_image
from colorize.media.video import iter_frames, probe
# The tiny reference-guided generator of the video CLI tests.
from tests.cli.test_video_cli import reference_model  # noqa: F401  (a fixture)

# 96 x 64, 16 frames at 8 fps with a cut at frame 8
CLIP = ToonConfig(width=96, height=64, n_frames=16, fps=8.0, cut_every=8)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("app_session")


@pytest.fixture(scope="module")
def clip_file(workdir) -> Path:
    return write_toon_video(workdir / "toon.mp4", CLIP)


@pytest.fixture(scope="module")
def model(reference_model):
    return api.load_model(reference_model, device="cpu")


@pytest.fixture(scope="module")
def frames_dir(workdir, clip_file) -> Path:
    """The clip's frames as PNGs named frame_<n> (unpadded, so natural order matters)."""
    folder = workdir / "frames"
    for frame in iter_frames(clip_file):
        write_image(folder / f"frame_{frame.index}.png", frame.image)
    return folder


def test_a_video_opens_with_its_frames_size_and_rate_and_scrubs(clip_file, model, tmp_path):
    clip = session.open_video(clip_file, tmp_path / "work")
    assert (clip.kind, clip.frame_count, clip.size, clip.fps) == ("video", 16, (96, 64), 8.0)
    assert clip.numbers == list(range(16))
    frame, lines = session.frame_view(clip, 5, model)
    assert frame.shape == (64, 96, 3) and lines.shape == (64, 96) and lines.dtype == np.uint8
    assert lines.min() == 0 and lines.max() == 255  # ink on paper
    decoded = [f.image for f in iter_frames(clip_file)]
    assert np.array_equal(session.full_frame(clip, 11), decoded[11])
    with pytest.raises(InputError, match="outside the clip"):
        session.frame_view(clip, 16, model)


def test_scrub_images_are_small_and_keep_the_aspect():
    assert session.scrub_size((1920, 1080)) == (512, 288)
    assert session.scrub_size((96, 64)) == (96, 64)


def test_a_cut_is_named_after_its_frames():
    assert render.cut_name([Path("cut01_0001.png")]) == "cut01"
    assert render.cut_name([Path("0001.png")]) == "frames"


def test_frames_open_in_natural_order_with_the_numbers_of_their_names(frames_dir, tmp_path):
    files = sorted(frames_dir.glob("*.png"))  # frame_0, frame_1, frame_10, ... as a browser may send them
    clip = session.open_frames(files, tmp_path / "work", fps=8)
    assert [p.name for p in clip.frames][:3] == ["frame_0.png", "frame_1.png", "frame_2.png"]
    assert clip.numbers == list(range(16)) and clip.size == (96, 64)
    assert np.array_equal(session.full_frame(clip, 10), read_rgb(frames_dir / "frame_10.png"))
    opened = session.open_path(frames_dir, tmp_path / "again", fps=8)  # a folder on the machine
    assert opened.kind == "frames" and opened.frame_count == 16


def test_frame_mistakes_are_input_errors(frames_dir, tmp_path):
    other = tmp_path / "other"
    write_image(other / "frame_3.png", np.zeros((64, 96, 3), np.uint8))
    with pytest.raises(InputError, match="two frames are named frame_3.png"):
        session.open_frames([frames_dir / "frame_3.png", other / "frame_3.png"], tmp_path / "w1")
    write_image(other / "frame_99.png", np.zeros((32, 32, 3), np.uint8))
    with pytest.raises(InputError, match="share one size"):
        session.open_frames([frames_dir / "frame_3.png", other / "frame_99.png"], tmp_path / "w2")
    with pytest.raises(InputError, match="no image files"):
        session.open_frames([tmp_path / "notes.txt"], tmp_path / "w3")
    with pytest.raises(InputError, match="no video or frame folder at"):
        session.open_path(tmp_path / "missing", tmp_path / "w4")


def test_a_path_outside_the_root_is_refused_in_the_words_of_a_missing_one(clip_file, frames_dir, tmp_path):
    root = tmp_path / "root"
    (root / "shots").mkdir(parents=True)
    (root / "shots" / "outside.mp4").symlink_to(clip_file)  # a link inside root to a file outside it
    (root / "clip.mp4").write_bytes(clip_file.read_bytes())

    def message(path: str) -> str:
        with pytest.raises(InputError) as caught:
            session.open_path(path, tmp_path / "work", root=root)
        return str(caught.value).replace(repr(path), "PATH")

    existing = [str(clip_file), str(frames_dir), "../" * 12 + str(clip_file).lstrip("/"), "shots/outside.mp4",
                "~", str(root / ".." / clip_file.parent.name)]
    missing = [str(tmp_path / "missing.mp4"), "missing.mp4", "", "/no/such/folder"]
    assert {message(p) for p in existing + missing} == {"no video or frame folder at PATH in the folder this app serves"}
    opened = session.open_path("clip.mp4", tmp_path / "ok", root=root)  # relative to the root
    assert opened.frame_count == 16
    (root / "frames").mkdir()
    (root / "frames" / "frame_1.png").symlink_to(frames_dir / "frame_1.png")  # frames linking outside are left out
    with pytest.raises(InputError, match="no image files in the folder 'frames'"):
        session.open_path("frames", tmp_path / "w5", root=root)


def test_shot_cuts_are_found_while_opening_and_each_shot_keeps_its_own_key(clip_file, frames_dir, tmp_path):
    clip = session.open_video(clip_file, tmp_path / "work")
    assert clip.cuts == [0, 8] and [list(s) for s in clip.shots()] == [list(range(8)), list(range(8, 16))]
    assert session.open_frames(frames_dir, tmp_path / "frames").cuts == [0, 8]
    session.save_keyframe(clip, 3, np.zeros((64, 96, 3), np.uint8), keep_others=True)
    session.save_keyframe(clip, 9, np.zeros((64, 96, 3), np.uint8), keep_others=True)
    assert list(clip.keys()) == [3, 9] and clip.shot_of(9) == 1
    assert "shot 1 (frames 0–7): key at 3" in session.coverage(clip)
    session.remove_keyframes(clip)
    assert clip.keys() == {} and "no key" in session.coverage(clip)
    assert session.fit_note((96, 64), clip) == ""
    assert "stretched" in session.fit_note((64, 64), clip)


def test_an_odd_size_clip_previews_and_renders_as_yuv420p(model, reference_model, tmp_path):
    odd = write_toon_video(tmp_path / "odd.mp4", ToonConfig(width=63, height=45, n_frames=6, fps=6.0))
    clip = session.open_video(odd, tmp_path / "work")
    key = session.save_keyframe(clip, 0, session.guess_keyframe(clip, 0, model))
    preview = session.preview_clip(clip, model, key, seconds=1)
    info = probe(preview)
    assert (info.width, info.height, info.frame_count) == (3 * 63 + 1, 46, 6)
    assert "yuv420p" in _pixel_format(preview)
    job = render.Render(clip, reference_model, clip.keys_dir, device="cpu")
    [out] = job.run()
    assert (probe(out).width, probe(out).height) == (64, 46) and "yuv420p" in _pixel_format(out)
    assert job.notes == ["odd_colour.mp4: padded from 63x45 to 64x46 (one black pixel) so that browsers play it"]


def _pixel_format(video: Path) -> str:
    import subprocess

    import imageio_ffmpeg

    report = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-i", str(video)],
                            capture_output=True, text=True).stderr
    return next(line for line in report.splitlines() if "Video:" in line)


def test_a_keyframe_named_by_its_frame_number_replaces_the_others_unless_kept(clip_file, tmp_path):
    clip = session.open_video(clip_file, tmp_path / "work")
    session.save_keyframe(clip, 3, np.zeros((10, 10, 3), np.uint8))
    key = session.save_keyframe(clip, 9, np.full((32, 48), 200, np.uint8))  # gray, another size
    assert [p.name for p in clip.keys_dir.iterdir()] == ["000009.png"]
    assert read_rgb(key).shape == (64, 96, 3) and session.keyframe_position(clip, key) == 9


def test_the_preview_is_line_art_colour_original_from_the_keyframe_on(clip_file, model, tmp_path):
    clip = session.open_video(clip_file, tmp_path / "work")
    key = session.save_keyframe(clip, 12, session.guess_keyframe(clip, 12, model))
    info = probe(session.preview_clip(clip, model, key, seconds=10))
    assert (info.frame_count, info.width, info.height) == (4, 3 * 96, 64)  # frames 12..15: the clip ends
    first = session.first_frame(info.path)
    original = session.full_frame(clip, 12).astype(int)
    assert np.abs(first[:, 192:].astype(int) - original).mean() < 6  # the third panel is the frame itself


@pytest.mark.slow
def test_a_rendered_video_follows_the_keyframe_as_colorize_video_references_does(clip_file, model,
                                                                                   reference_model, tmp_path):
    clip = session.open_video(clip_file, tmp_path / "work")
    key = session.save_keyframe(clip, 10, np.full((64, 96, 3), (230, 40, 40), np.uint8))
    reported: list[tuple[int, int]] = []
    [out] = render.Render(clip, reference_model, key, device="cpu").run(lambda *counts: reported.append(counts))
    info = probe(out)
    assert (out.name, info.frame_count, info.width, info.height, info.fps) == ("toon_colour.mp4", 16, 96, 64, 8.0)
    assert reported and reported[-1][1] == 16 and all(0 <= done <= 16 for done, _ in reported)
    expected = api.colorize_video(clip_file, tmp_path / "api.mp4", model, references=clip.keys_dir)
    rendered, direct = ([f.image.astype(int) for f in iter_frames(p)] for p in (out, expected))
    assert all(np.abs(a - b).max() <= 1 for a, b in zip(rendered, direct))
    unkeyed = [f.image.astype(int) for f in iter_frames(api.colorize_video(clip_file, tmp_path / "self.mp4", model))]
    # the keyframe changes its own shot from frame 10 on, not the first shot
    assert np.abs(unkeyed[12] - rendered[12]).mean() > 1
    assert np.abs(unkeyed[3] - rendered[3]).max() <= 1
    assert "16 frames, 96x64 at 8 fps" in session.describe_outputs([out])


@pytest.mark.slow
def test_a_stopped_render_leaves_no_result_and_a_failed_one_says_why(clip_file, reference_model, tmp_path):
    clip = session.open_video(clip_file, tmp_path / "work")
    job = render.Render(clip, reference_model, device="cpu")
    job.stop()  # before the child even starts: it is ended as soon as it does
    with pytest.raises(render.RenderStopped):
        job.run()
    assert not list((clip.workdir / "render").glob("*.mp4"))
    with pytest.raises(ColorizeError, match="render failed: .*missing.safetensors"):
        render.Render(clip, tmp_path / "missing.safetensors", device="cpu").run()


@pytest.mark.slow
def test_rendered_frames_come_back_as_pngs_in_a_zip_and_as_a_video(frames_dir, reference_model, tmp_path):
    clip = session.open_frames(frames_dir, tmp_path / "work", fps=8)
    key = session.save_keyframe(clip, 2, np.full((64, 96, 3), (40, 40, 230), np.uint8))
    archive, video = render.Render(clip, reference_model, key, device="cpu").run()
    assert (archive.name, video.name) == ("frame_colour.zip", "frame_colour.mp4")
    with zipfile.ZipFile(archive) as zf:
        assert sorted(zf.namelist()) == sorted(f"frame_{i}.png" for i in range(16))
    info = probe(video)
    assert (info.frame_count, info.width, info.height, info.fps) == (16, 96, 64, 8.0)
    assert sorted(p.name for p in frames_dir.iterdir()) == sorted(f"frame_{i}.png" for i in range(16))  # inputs untouched


def test_each_shot_follows_its_own_key_in_the_render_and_the_preview(clip_file, model, reference_model, tmp_path):
    clip = session.open_video(clip_file, tmp_path / "work")
    first = session.save_keyframe(clip, 0, np.full((64, 96, 3), (230, 40, 40), np.uint8), keep_others=True)
    session.save_keyframe(clip, 8, np.full((64, 96, 3), (40, 40, 230), np.uint8), keep_others=True)
    [out] = render.Render(clip, reference_model, clip.keys_dir, device="cpu").run()
    rendered = [f.image.astype(int) for f in iter_frames(out)]
    both = api.colorize_video(clip_file, tmp_path / "both.mp4", model, references=clip.keys_dir)
    assert all(np.abs(a - f.image.astype(int)).max() <= 1 for a, f in zip(rendered, iter_frames(both)))
    only_first = tmp_path / "only_first"
    only_first.mkdir()
    (only_first / first.name).write_bytes(first.read_bytes())
    one = [f.image.astype(int) for f in iter_frames(api.colorize_video(clip_file, tmp_path / "one.mp4", model,
                                                                         references=only_first))]
    assert np.abs(one[3] - rendered[3]).max() <= 1  # shot 1: the same key
    assert np.abs(one[10] - rendered[10]).mean() > 1  # shot 2 follows its own key
    session.preview_clip(clip, model, first, seconds=2)  # 16 frames from frame 0: crosses the second key
    assert sorted(p.name for p in (clip.workdir / "preview" / "keys").iterdir()) == ["000000.png", "000008.png"]


def test_a_late_keyframe_is_reached_by_seeking_not_by_decoding_from_frame_0(clip_file, tmp_path, monkeypatch):
    import colorize.media.video as video

    clip = session.open_video(clip_file, tmp_path / "work")
    decoded = [f.image for f in iter_frames(clip_file)]
    monkeypatch.setattr(video, "iter_frames", lambda *a, **k: pytest.fail("decoded the video from frame 0"))
    assert all(np.array_equal(session.full_frame(clip, i), decoded[i]) for i in (0, 7, 8, 15))
