"""colorize/app/ui.py: the page's handlers turn library errors into messages and keep the steps in order."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np

import pytest

gr = pytest.importorskip("gradio", reason="the [app] extra (gradio) is not installed")

from colorize import api  # noqa: E402
from colorize.app import render, session, ui  # noqa: E402
from colorize.data.toon import ToonConfig, write_toon_video  # noqa: E402
from colorize.errors import InputError  # noqa: E402
from colorize.images import write_image  # noqa: E402
from tests.cli.test_video_cli import model as plain_model  # noqa: E402,F401  (a fixture: no references)
from tests.cli.test_video_cli import reference_model  # noqa: E402,F401  (a fixture)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("app_ui")


@pytest.fixture(scope="module")
def handlers(workdir, reference_model) -> ui.Handlers:
    return ui.Handlers(api.load_model(reference_model, device="cpu"), workdir / "sessions", reference_model, "cpu")


@pytest.fixture(scope="module")
def clip(workdir, handlers) -> session.Clip:
    video = write_toon_video(workdir / "toon.mp4", ToonConfig(width=64, height=48, n_frames=6, fps=6.0))
    return handlers.open_video(str(video))[0]


def test_library_errors_become_messages_and_bugs_keep_their_traceback():
    def refuse():
        raise InputError("cannot decode image x.png")

    with pytest.raises(gr.Error, match="cannot decode image x.png"):
        ui.reported(refuse)()
    with pytest.raises(ZeroDivisionError):
        ui.reported(lambda: 1 / 0)()


def test_steps_out_of_order_say_what_to_do_first(handlers, clip):
    with pytest.raises(gr.Error, match="open a clip first"):
        handlers.preview(None, None, 2.0, False)
    with pytest.raises(gr.Error, match="open a clip first"):
        handlers.render(None, False)
    with pytest.raises(gr.Error, match="pick the keyframe first"):
        handlers.guess_key(clip, None, False)
    with pytest.raises(gr.Error, match="colour the keyframe first"):
        handlers.preview(clip, None, 2.0, False)
    with pytest.raises(gr.Error, match="outside the clip"):
        handlers.take_keyframe(clip, 6)


def test_a_keyframe_is_taken_coloured_and_previewed(handlers, clip):
    position, key, canvas, colour, status, swatches, palette = handlers.take_keyframe(clip, 2)
    assert (position, key, colour) == (2, None, None)
    assert canvas.shape == (48 * 12, 64 * 12, 3)  # the key canvas, enlarged by a whole factor
    assert 1 <= len(swatches["guess"]) <= 8 and palette.shape[0] == 28
    guessed, key, status, timeline, canvas = handlers.guess_key(clip, position, False)
    assert Path(guessed).is_file() and Path(key).name == "000002.png" and "frame 2" in status
    assert "key 2" in timeline
    video, still, _ = handlers.preview(clip, key, 1.0, False, False, 0.0, "256")
    assert Path(video).is_file() and still.shape == (48, 3 * 64, 3)
    handlers.stop(clip)  # no render runs: nothing to stop, no error
    # a 4:3 clip, a 1:1 key: fitted as the command line fits it, and said so
    _, status, _, _ = handlers.upload_key(clip, 4, np.zeros((32, 32, 3), np.uint8))
    assert "stretched to the frame's shape" in status and list(clip.keys()) == [2, 4]


def test_settings_reach_the_render_command():
    paint = ["--paint", "auto", "--lines", "auto"]   # the options' defaults (docs/cel.md)
    assert ui.settings(False, 0.3, "512").cli_args("video") == ["--no-temporal", "--size", "512", "--smooth", "0.3",
                                                                *paint]
    assert ui.settings(True, 0.3, "full").cli_args("frames") == ["--temporal", "--size", "0", *paint]
    assert ui.settings(True, 0.0, ui.DEFAULT_SIZE, "shaded", "drop").cli_args("video") == [
        "--temporal", "--paint", "shaded", "--lines", "drop"]
    assert ui.settings(True, 0.0, "256", "free", "keep").api_kwargs()["paint"] == "free"
    with pytest.raises(InputError, match="paint must be"):
        ui.settings(True, 0.0, "256", "glossy")


def test_the_bucket_on_the_page_fills_undoes_picks_and_keys(handlers, clip, tmp_path):
    position, *_, swatches, _ = handlers.take_keyframe(clip, 1)
    paint = clip.paints[(1, False)]
    largest = int(np.argmax(paint.regions.areas[1:])) + 1
    y, x = np.argwhere(paint.regions.labels == largest)[0]
    click = gr.SelectData(None, {"index": [int(x) * 12 + 5, int(y) * 12 + 5], "value": None})  # shown x12
    canvas, status = handlers.paint_click(clip, position, False, "#0000ff", click)
    assert f"filled region {largest} with #0000ff" in status and tuple(canvas[y * 12 + 5, x * 12 + 5]) == (0, 0, 255)
    canvas, status = handlers.undo(clip, position, False)
    assert "undone" in status and tuple(canvas[y * 12 + 5, x * 12 + 5]) != (0, 0, 255)
    canvas, status = handlers.fill_from_guess(clip, position, False)
    assert "model's guess" in status
    picked = handlers.pick_swatch(swatches, gr.SelectData(None, {"index": [3, 3], "value": None}))
    assert picked == "#{:02x}{:02x}{:02x}".format(*swatches["guess"][0])
    handlers.paint_click(clip, position, False, picked, click)
    key, colour, status, timeline = handlers.use_key(clip, position, False)
    assert Path(key).name == "000001.png" and "painted with the bucket" in status and "key 1" in timeline
    from colorize.images import read_rgb, write_image
    assert tuple(read_rgb(key)[y, x]) == tuple(swatches["guess"][0])
    sheet = np.full((40, 60, 3), 255, np.uint8)
    sheet[5:35, 5:30], sheet[5:35, 32:55] = (200, 60, 50), (60, 120, 200)
    swatches, strip, status, _ = handlers.load_sheet(clip, str(write_image(tmp_path / "sheet.png", sheet)), swatches)
    assert swatches["sheet"][:2] == [[200, 60, 50], [60, 120, 200]] and strip.shape[1] == 28 * (
        len(swatches["guess"]) + len(swatches["sheet"]))
    assert "model sheet added" in status
    handlers.clear_sheets(clip, swatches)


def test_model_sheets_are_kept_with_the_clip_and_reach_the_render_and_the_preview(handlers, tmp_path, monkeypatch):
    own = SimpleNamespace(session_hash="sheets")  # a session of its own: opening a clip there leaves `clip` be
    video = write_toon_video(tmp_path / "sheets.mp4", ToonConfig(width=64, height=48, n_frames=4, fps=4.0))
    work = handlers.open_video(str(video), own)[0]
    red, blue = (np.full((40, 60, 3), 255, np.uint8) for _ in range(2))
    red[5:35, 5:55], blue[5:35, 5:55] = (200, 60, 50), (60, 120, 200)
    swatches, _, status, timeline = handlers.load_sheet(work, str(write_image(tmp_path / "hero.png", red)), None)
    assert "model sheet added:" in status and swatches["sheet"][0] == [200, 60, 50]
    assert "no key (follows the model sheets)" in timeline
    swatches, strip, status, _ = handlers.load_sheet(work, str(write_image(tmp_path / "prop.png", blue)), swatches)
    assert "added to the other 1 (2 in all)" in status  # a second sheet adds to the first, colours too
    assert [200, 60, 50] in swatches["sheet"] and [60, 120, 200] in swatches["sheet"]
    assert [p.name for p in work.sheets()] == ["001-hero.png", "002-prop.png"]
    assert work.sheets_dir.stat().st_mode & 0o777 == 0o700
    command = render.Render(work, handlers.model_path, None, device="cpu").command()
    folder = Path(command[command.index("--sheet") + 1])
    assert folder == work.sheets_dir and work.workdir in folder.parents  # inside the clip's private work folder
    assert "--sheet" not in render.Render(work, handlers.model_path, sheets=False).command()
    given = {}
    real = session.api.colorize_video
    monkeypatch.setattr(session.api, "colorize_video", lambda *a, **kw: given.update(kw) or real(*a, **kw))
    session.preview_clip(work, handlers.model, None, seconds=0.5)
    assert given["sheet"] == [work.sheets_dir]
    swatches, _, status, timeline = handlers.clear_sheets(work, swatches)
    assert work.sheets() == [] and swatches["sheet"] == [] and "cleared" in status and "its first frame" in timeline
    assert "--sheet" not in render.Render(work, handlers.model_path).command()
    handlers.load_sheet(work, str(tmp_path / "hero.png"), swatches)
    outputs = handlers.open_video(str(video), own)  # another clip starts with no sheet and no sheet swatch
    assert outputs[0].sheets() == [] and outputs[-2] is None and not work.workdir.exists()
    handlers.end_session(own)


def test_internal_paths_never_reach_a_message():
    def refuse():
        raise InputError("cannot read /tmp/colorize-app-x1y2/s-abc/upload-9/0/film.mp4: not a video")

    with pytest.raises(gr.Error) as caught:
        ui.reported(refuse)()
    assert caught.value.message == "cannot read film.mp4: not a video"


def test_opening_another_clip_drops_the_last_ones_work_folder(handlers, clip, workdir):
    again = handlers.open_video(str(clip.source))[0]
    assert again.workdir != clip.workdir and not clip.workdir.exists() and again.workdir.is_dir()
    assert again.workdir.parent.stat().st_mode & 0o777 == 0o700  # the session's private folder
    ui.forget(again)
    assert not again.workdir.exists()


def test_each_browser_session_works_in_its_own_folder_removed_when_it_ends(handlers, workdir):
    video = write_toon_video(workdir / "two.mp4", ToonConfig(width=64, height=48, n_frames=4, fps=4.0))
    one, two = (SimpleNamespace(session_hash=name) for name in ("aaa", "bbb"))
    first = handlers.open_video(str(video), one)[0]
    second = handlers.open_video(str(video), two)[0]
    assert first.workdir.parent != second.workdir.parent
    handlers.end_session(one)
    assert not first.workdir.parent.exists() and second.workdir.is_dir()


def test_the_page_builds_with_every_control_the_browser_test_uses(handlers):
    page = ui.build(handlers.model, handlers.work_root)
    ids = {block.elem_id for block in page.blocks.values() if getattr(block, "elem_id", None)}
    assert {"clip-upload", "frames-upload", "server-path", "frame-slider", "take-key", "guess-key", "key-colour",
            "preview", "preview-still", "preview-video", "render", "result", "key-canvas", "bucket-colour", "palette",
            "model-sheet", "fill-guess", "bucket-undo", "use-key", "paint-mode", "lines-mode"} <= ids


def test_a_model_that_cannot_follow_keys_says_so_when_the_clip_opens(workdir, plain_model, clip):
    plain = ui.Handlers(api.load_model(plain_model, device="cpu"), workdir / "plain", plain_model, "cpu")
    opened = plain.open_video(str(write_toon_video(workdir / "plain.mp4", ToonConfig(width=64, height=48,
                                                                                     n_frames=4, fps=4.0))))
    assert "cannot follow keyframes" in opened[4]
    with pytest.raises(gr.Error, match="cannot follow keyframes"):
        plain.take_keyframe(opened[0], 1)
    sheet = write_image(workdir / "plain_sheet.png", np.full((20, 20, 3), (200, 60, 50), np.uint8))
    with pytest.raises(gr.Error, match="cannot follow model sheets"):  # said once, and nothing kept
        plain.load_sheet(opened[0], str(sheet), None)
    assert opened[0].sheets() == []
    session.add_sheet(opened[0], sheet)  # and a render the page starts for it leaves sheets out (sheets=False)
    assert "--sheet" not in render.Render(opened[0], plain_model, sheets=False).command()
    video, still, _ = plain.preview(opened[0], None, 1.0, False, True, 0.0, ui.DEFAULT_SIZE, 1)  # no key needed
    assert Path(video).is_file() and still.shape == (48, 3 * 64, 3)
