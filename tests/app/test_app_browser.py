"""`colorize app` for real: the command started on a free port, driven in headless Chromium.

Load a toon clip, scrub, take a keyframe and let the model colour it, preview, render, download, and
check the downloaded video (frame count, size, fps) and that the page never left 127.0.0.1. Skipped
only where Debian's Chromium is not installed (.ci/run installs it).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from colorize.app import free_port
from colorize.data.toon import ToonConfig, write_toon_video
from colorize.media.video import probe
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


@pytest.mark.slow
def test_a_clip_is_keyed_previewed_rendered_and_downloaded_in_the_browser(workdir, clip, reference_model, tmp_path):
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

        downloads = browser.render_and_download(page, tmp_path)
        assert app.poll() is None, "the app stopped while serving"
        outside = sorted({u for u in requested if not u.startswith(url) and not u.startswith("data:")
                          and not u.startswith("blob:")})
        assert not outside, f"the page fetched from outside the app: {outside}"

    assert [p.name for p in downloads] == ["toon_colour.mp4"]
    info = probe(downloads[0])
    assert (info.frame_count, info.width, info.height, info.fps) == (CLIP.n_frames, CLIP.width, CLIP.height, CLIP.fps)
    assert app.returncode == 143  # SIGTERM: stopped as after Ctrl-C, its work folder cleaned up
    assert "Traceback" not in (tmp_path / "app.log").read_text()
    assert not list((tmp_path / "tmp").glob("colorize-app-*")), "the app left its work folder"
