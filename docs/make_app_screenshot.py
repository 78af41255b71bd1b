"""Take docs/app.png: `colorize app` with the shipped model on the real-art sample, after a preview.

    python docs/make_app_screenshot.py [--out docs/app.png]

Starts the app on a free port, opens the page in headless Chromium at 1440 x 900 (Debian's
/usr/bin/chromium, driven by Playwright as in tests/app/test_app_browser.py), clicks the bundled
sample's example (samples/real/sample.mp4 with the artist's keys of frames 0 and 21, one per shot),
scrubs to frame 21, keys it (the key canvas shows the artist's colours, flat per closed region),
paints the rock with the bucket (a click on its pixel ROCK), uses that as the key, previews two
seconds from it and photographs the screen as it is, without scrolling.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from colorize.app import free_port  # noqa: E402
from tests.app import browser  # noqa: E402

KEY_FRAME = 21
ROCK = (126, 125)  # a pixel of the rock's closed region in frame 21 (256 x 192)
WIDTH = 256


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "app.png")
    args = parser.parse_args()
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    with tempfile.TemporaryDirectory() as tmp, browser.running_app(None, port, Path(tmp)), \
            browser.chromium_page(width=1440, height=900) as (page, _):
        print(browser.open_example(page, url))
        browser.scrub_to(page, KEY_FRAME)
        browser.take_keyframe(page, KEY_FRAME)
        browser.click_key_pixel(page, *ROCK, key_width=WIDTH)
        browser.wait_text(page, "key-status", "filled region")
        page.click("#use-key")
        browser.wait_text(page, "key-status", "painted with the bucket")
        browser.preview(page)
        page.evaluate("window.scrollTo(0, 0)")  # the clicks scrolled the canvas into view
        page.wait_for_timeout(1500)  # the preview video shows its first frame
        page.screenshot(path=str(args.out))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
