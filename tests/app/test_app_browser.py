"""`colorize app` for real: the command started on a free port, driven in headless Chromium.

Load a toon clip, scrub, take a keyframe and let the model colour it, preview, render, download, and
check the downloaded video (frame count, size, fps); a second render is stopped; then the same cut as
uploaded frames (a zip of PNGs and an MP4 come back); and that the page never left 127.0.0.1. Then:
two tabs render at once without mixing, an odd-size clip's preview plays, a path outside --root reads
as a missing one and an upload over --max-upload is refused, two shots keyed separately, and the
bundled sample's example. Skipped only where Debian's Chromium is not installed (.ci/run installs it).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest

from colorize.app import free_port
from colorize.data.toon import ToonConfig, write_toon_video
from colorize.images import read_rgb, write_image
from colorize.media.video import iter_frames, probe
from tests.app import browser
# The tiny reference-guided generator of the video CLI tests (keyframes need a reference-guided model).
from tests.cli.test_video_cli import reference_model  # noqa: F401  (a fixture)

pytestmark = pytest.mark.skipif(not browser.CHROMIUM.exists(),
                                reason=f"Debian's Chromium ({browser.CHROMIUM}) is not installed: apt-get install chromium")

# 96 x 64, 24 frames at 12 fps, a cut at frame 12
CLIP = ToonConfig(width=96, height=64, n_frames=24, fps=12.0, cut_every=12)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("app_browser")


@pytest.fixture(scope="module")
def clip(workdir) -> Path:
    return write_toon_video(workdir / "toon.mp4", CLIP)


@pytest.fixture(scope="module")
def frames(workdir, clip) -> list[Path]:
    """The clip's frames as PNG files, cut_0.png ... cut_23.png."""
    return [write_image(workdir / "frames" / f"cut_{f.index}.png", f.image) for f in iter_frames(clip)]


@pytest.mark.slow
def test_a_clip_is_keyed_previewed_rendered_and_downloaded_in_the_browser(workdir, clip, frames, reference_model,
                                                                          tmp_path):
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    with browser.running_app(reference_model, port, tmp_path, tmpdir=tmp_path / "tmp") as app, browser.chromium_page() as (page, requested):
        page.goto(url)
        page.click("#preview")  # nothing opened yet: a message on the page, not a traceback
        assert "open a clip first" in browser.error_toast(page)

        summary = browser.open_clip(page, url, clip)
        assert "24 frames, 96x64 at 12 fps" in summary
        browser.scrub_to(page, 15)
        browser.take_keyframe(page, 15)
        browser.guess_keyframe(page)
        browser.preview(page)
        still = page.locator("#preview-still img")
        # line-art | colour | original of the keyframe's frame, at the clip's size
        assert still.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [3 * CLIP.width, CLIP.height]

        downloads = browser.render_and_download(page, tmp_path, "toon_colour.mp4")
        page.click("#render")
        page.wait_for_timeout(500)  # the render's child process takes seconds to start: Stop ends it
        page.click("#stop")
        browser.wait_text(page, "result-status", "render stopped")

        # a cut as a folder of frames, uploaded as images: rendered to PNGs (zipped) and an MP4
        page.get_by_role("tab", name="Frames").click()
        page.locator("#frames-upload input[type=file]").set_input_files([str(p) for p in frames])
        assert "cut_0.png … cut_23.png: 24 frames" in browser.wait_text(page, "clip-summary", "cut_0.png")
        browser.scrub_to(page, 4)
        browser.take_keyframe(page, 4)
        browser.guess_keyframe(page)
        frame_downloads = browser.render_and_download(page, tmp_path / "frames_out", "cut_colour.mp4")
        assert app.poll() is None, "the app stopped while serving"
        outside = sorted({u for u in requested if not u.startswith(url) and not u.startswith("data:")
                          and not u.startswith("blob:")})
        assert not outside, f"the page fetched from outside the app: {outside}"

    assert [p.name for p in downloads] == ["toon_colour.mp4"]
    info = probe(downloads[0])
    assert (info.frame_count, info.width, info.height, info.fps) == (CLIP.n_frames, CLIP.width, CLIP.height, CLIP.fps)
    archive, video = frame_downloads
    with zipfile.ZipFile(archive) as zf:
        assert sorted(zf.namelist()) == sorted(p.name for p in frames)
    info = probe(video)
    assert (info.frame_count, info.width, info.height) == (CLIP.n_frames, CLIP.width, CLIP.height)
    assert app.returncode == 143  # SIGTERM: stopped as after Ctrl-C, its work folder cleaned up
    assert "Traceback" not in (tmp_path / "app.log").read_text()
    assert not list((tmp_path / "tmp").glob("colorize-app-*")), "the app left its work folder"


@pytest.mark.slow
def test_two_browser_sessions_render_at_once_without_mixing(workdir, clip, reference_model, tmp_path):
    """Two pages (two Gradio sessions) open different clips, key them and press Render together: each
    gets its own clip back (by size), and neither's work folder holds the other's files."""
    other = write_toon_video(workdir / "other.mp4", ToonConfig(width=64, height=48, n_frames=12, fps=12.0))
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    with browser.running_app(reference_model, port, tmp_path, tmpdir=tmp_path / "tmp") as app, \
            browser.chromium_page() as (first, _):
        second = first.context.new_page()  # a second tab: its own Gradio session
        for page, video in ((first, clip), (second, other)):
            browser.open_clip(page, url, video)
            browser.take_keyframe(page, 0)
            browser.guess_keyframe(page)
        first.click("#render")
        second.click("#render")
        browser.wait_text(first, "result-status", "toon_colour.mp4: 24 frames, 96x64")
        browser.wait_text(second, "result-status", "other_colour.mp4: 12 frames, 64x48")
        sessions = sorted((tmp_path / "tmp").glob("colorize-app-*/s-*"))
        assert len(sessions) == 2
        names = [{p.name for p in s.rglob("*.mp4")} for s in sessions]
        assert sorted(("toon.mp4" in n, "other.mp4" in n) for n in names) == [(False, True), (True, False)]
        assert all(s.stat().st_mode & 0o777 == 0o700 for s in sessions)
        assert app.poll() is None


@pytest.mark.slow
def test_an_odd_size_clip_previews_in_chromium(workdir, reference_model, tmp_path):
    odd = write_toon_video(workdir / "odd.mp4", ToonConfig(width=63, height=45, n_frames=8, fps=8.0))
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    with browser.running_app(reference_model, port, tmp_path, tmpdir=tmp_path / "tmp"), \
            browser.chromium_page() as (page, _):
        assert "8 frames, 63x45" in browser.open_clip(page, url, odd)
        browser.take_keyframe(page, 0)
        browser.guess_keyframe(page)
        browser.preview(page)
        duration = browser.video_duration(page, "preview-video")
    assert duration == pytest.approx(1.0, abs=0.2)  # 8 frames at 8 fps: the video decodes


@pytest.mark.slow
def test_a_path_outside_the_root_is_refused_as_a_missing_one_and_uploads_are_capped(workdir, clip, reference_model, tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    big = root / "big.mp4"
    big.write_bytes(bytes(30_000))
    with browser.running_app(reference_model, port, tmp_path, tmpdir=tmp_path / "tmp",
                             args=["--root", str(root), "--max-upload", "20KB"]), \
            browser.chromium_page() as (page, _):
        page.goto(url)
        assert "up to 20 KB" in page.locator("#clip-upload").inner_text()
        page.locator("#clip-upload input[type=file]").set_input_files(str(big))  # over the cap: refused
        assert "exceed the maximum allowed size" in browser.error_toast(page)
        browser.close_toasts(page)
        messages = []
        for path in (str(clip), str(root / "missing.mp4")):
            page.get_by_role("tab", name="Path").click()
            page.fill("#server-path textarea, #server-path input", path)
            page.click("#open-path")
            messages.append(browser.error_toast(page).replace(path, "PATH"))
            browser.close_toasts(page)
    assert messages[0] == messages[1] and "no video or frame folder at 'PATH'" in messages[0]


@pytest.mark.slow
def test_two_shots_keyed_separately_and_the_sample_example(workdir, clip, reference_model, tmp_path):
    """Key a frame in each shot of the clip (the timeline shows both), render; then the bundled sample's
    example opens with the artist's key of each of its two shots."""
    blue = write_image(tmp_path / "blue.png", np.full((64, 96, 3), (40, 40, 230), np.uint8))
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    with browser.running_app(reference_model, port, tmp_path, tmpdir=tmp_path / "tmp") as app, \
            browser.chromium_page(width=1440, height=900) as (page, _):
        assert "2 shots" in browser.open_clip(page, url, clip)
        browser.scrub_to(page, 2)
        browser.take_keyframe(page, 2)
        browser.guess_keyframe(page)
        browser.scrub_to(page, 15)
        browser.take_keyframe(page, 15)
        browser.upload_keyframe(page, blue)
        line = browser.wait_text(page, "timeline", "key 15")
        assert "shot 1 0–11: key 2" in line and "shot 2 12–23: key 15" in line
        browser.render_and_download(page, tmp_path, "toon_colour.mp4")
        # progress and result sit above the fold at 1440 x 900
        assert page.locator("#result-status").bounding_box()["y"] < 900
        assert page.locator("#result").bounding_box()["y"] < 900

        line = browser.open_example(page, url)
        browser.wait_text(page, "timeline", "key 21")
        assert "shot 1 0–20: key 0" in page.locator("#timeline").inner_text()
        assert app.poll() is None


def _paper_pixel(model_path: Path, video: Path, index: int) -> tuple[int, int, np.ndarray]:
    """A pixel (x, y) deep inside the largest closed region of frame `index`'s line-art, as the app
    finds the regions (the model's recipe at full size, colorize.cel's defaults), and the line-art."""
    import cv2

    from colorize import api
    from colorize.app import session
    from colorize.app.bucket import KeyPaint

    frame = next(f.image for f in iter_frames(video) if f.index == index)
    paint = KeyPaint.start(session.lineart_of(frame, api.load_model(model_path, device="cpu")))
    largest = (paint.regions.labels == int(np.argmax(paint.regions.areas[1:])) + 1).astype(np.uint8)
    depth = cv2.distanceTransform(largest, cv2.DIST_L2, 3)
    y, x = np.unravel_index(int(np.argmax(depth)), depth.shape)
    return int(x), int(y), paint.lineart


@pytest.mark.slow
def test_a_key_painted_with_the_bucket_and_rendered(workdir, clip, reference_model, tmp_path):
    """Key frame 3, click a closed region of its canvas (the picker's colour fills it), use it as the key:
    the key written has that colour there and the drawing's lines. Upload a model sheet (kept in the clip's
    work folder, its colours in the palette): the render follows key and sheet (its result line says so)
    and probes right."""
    x, y, lineart = _paper_pixel(reference_model, clip, 3)
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    with browser.running_app(reference_model, port, tmp_path, tmpdir=tmp_path / "tmp") as app, \
            browser.chromium_page(width=1440, height=900) as (page, _):
        browser.open_clip(page, url, clip)
        browser.scrub_to(page, 3)
        browser.take_keyframe(page, 3)
        browser.click_key_pixel(page, x, y, key_width=CLIP.width)
        assert "with #e05a47" in browser.wait_text(page, "key-status", "filled region")
        page.click("#use-key")
        browser.wait_text(page, "key-status", "painted with the bucket")
        assert "key 3" in browser.wait_text(page, "timeline", "covered")
        [key] = (tmp_path / "tmp").glob("colorize-app-*/s-*/clip-*/keys/000003.png")
        written = read_rgb(key)
        sheet = np.full((80, 120, 3), 255, np.uint8)  # two paints on white paper: the second shot has no key
        sheet[10:70, 10:55], sheet[10:70, 65:110] = (40, 150, 90), (230, 200, 40)
        with page.expect_file_chooser(timeout=browser.STEP_TIMEOUT_MS) as chooser:
            page.click("#model-sheet")  # as a user does: the button opens the file chooser
        chooser.value.set_files(str(write_image(tmp_path / "hero sheet.png", sheet)))
        browser.wait_text(page, "key-status", "model sheet added")
        page.screenshot(path=str(tmp_path / "sheet_uploaded.png"))
        [kept] = (tmp_path / "tmp").glob("colorize-app-*/s-*/clip-*/sheets/*.png")
        assert kept.name == "001-hero_sheet.png" and (read_rgb(kept) == sheet).all()  # a lossless copy
        [video] = browser.render_and_download(page, tmp_path, "toon_colour.mp4")
        assert "1 model sheet for the shots no key covers" in page.locator("#result-status").inner_text()
        assert page.locator("#result-status").bounding_box()["y"] < 900  # above the fold
        assert app.poll() is None
    assert tuple(written[y, x]) == (0xE0, 0x5A, 0x47)  # the picker's default colour, where the click landed
    assert written.shape == (CLIP.height, CLIP.width, 3)
    assert (lineart == 0).any() and (written[lineart == 0] == 0).all()  # the drawing's full ink stays black
    info = probe(video)
    assert (info.frame_count, info.width, info.height, info.fps) == (CLIP.n_frames, CLIP.width, CLIP.height, CLIP.fps)
    assert "Traceback" not in (tmp_path / "app.log").read_text()
