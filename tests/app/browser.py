"""Drive `colorize app` in headless Chromium: start it in a subprocess, open a page, do the app's steps.

Shared by tests/app/test_app_browser.py and docs/make_app_screenshot.py. Playwright drives Debian's
Chromium (/usr/bin/chromium, `apt-get install chromium`) through executable_path: nothing downloads a
browser, and the flags below keep Chromium itself off the network (no background updates, sync or
QUIC probing). Components are found by the elem_id colorize/app/ui.py gives them.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Iterator

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
REPO = Path(__file__).resolve().parents[2]
# ms: the app's steps on a loaded 2-core machine take seconds; these only stop a hung test
STEP_TIMEOUT_MS = 120_000


@contextlib.contextmanager
def running_app(model: Path | None, port: int, log_dir: Path, tmpdir: Path | None = None,
                startup_s: float = 120.0, args: list[str] = ()) -> Iterator[subprocess.Popen]:
    """`python -m colorize app` on 127.0.0.1:port until the block ends (then SIGTERM, as Ctrl-C).

    Waits until the page answers; the app's output goes to log_dir/app.log (shown if it fails to
    start). tmpdir: the app's TMPDIR (its work folders and Gradio's file cache go there). args: more
    flags (--root, ...); the app starts in the repository, so that is its root by default.
    """
    env = {**os.environ}
    if tmpdir is not None:
        tmpdir.mkdir(parents=True, exist_ok=True)
        env["TMPDIR"] = str(tmpdir)
    log = open(log_dir / "app.log", "w")
    command = [sys.executable, "-m", "colorize", "app", "--port", str(port), "--device", "cpu", *args]
    command += ["--model", str(model)] if model is not None else []
    proc = subprocess.Popen(command, cwd=REPO, stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        _wait_until_served(proc, f"http://127.0.0.1:{port}/", startup_s, log_dir / "app.log")
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.close()


def _wait_until_served(proc: subprocess.Popen, url: str, timeout_s: float, log: Path) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"colorize app exited with {proc.returncode}:\n{log.read_text()}")
        with contextlib.suppress(OSError):
            with urllib.request.urlopen(url, timeout=2) as reply:
                if reply.status == 200:
                    return
        time.sleep(0.5)
    raise RuntimeError(f"colorize app did not answer at {url} within {timeout_s:.0f} s:\n{log.read_text()}")


@contextlib.contextmanager
def chromium_page(width: int = 1400, height: int = 1000):
    """A Playwright page in headless Chromium with a fresh profile; yields (page, requested URLs)."""
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="colorize-chromium-") as profile, sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            profile, executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS,
            viewport={"width": width, "height": height}, accept_downloads=True)
        try:
            page = context.pages[0] if context.pages else context.new_page()
            requested: list[str] = []
            page.on("request", lambda request: requested.append(request.url))
            yield page, requested
        finally:
            context.close()


def wait_text(page, elem_id: str, text: str, timeout_ms: int = STEP_TIMEOUT_MS) -> str:
    """Wait until the element #elem_id shows `text`; returns its text."""
    page.wait_for_function("([id, text]) => (document.getElementById(id)?.innerText || '').includes(text)",
                           arg=[elem_id, text], timeout=timeout_ms)
    return page.locator(f"#{elem_id}").inner_text()


def open_clip(page, url: str, video: Path) -> str:
    """Load the page, upload `video` in the Video tab; returns the clip summary line."""
    page.goto(url)
    page.locator("#clip-upload input[type=file]").set_input_files(str(video))
    return wait_text(page, "clip-summary", "frames")


def scrub_to(page, index: int) -> None:
    """Type a frame number into the slider's box (as a user would after dragging) and wait for it."""
    box = page.locator("#frame-slider input[type=number]")
    box.fill(str(index))
    box.press("Enter")
    page.wait_for_function("(i) => document.querySelector('#frame-slider input[type=range]').value == String(i)",
                           arg=index, timeout=STEP_TIMEOUT_MS)


def take_keyframe(page, index: int) -> None:
    page.click("#take-key")
    wait_text(page, "key-status", f"keyframe: frame {index}")


def guess_keyframe(page) -> None:
    page.click("#guess-key")
    wait_text(page, "key-status", "coloured by the model")


def upload_keyframe(page, image: Path) -> None:
    page.locator("#key-colour input[type=file]").set_input_files(str(image))
    wait_text(page, "key-status", "your colouring")


def click_key_pixel(page, x: int, y: int, key_width: int) -> None:
    """Click the key canvas over the key's pixel (x, y) (key_width: the key's width in pixels; the canvas
    shows it enlarged or shrunk). Gradio maps a click on an image to its natural pixels with the image
    contained (centred, never enlarged past its size) in the <img> box; this inverts that mapping."""
    image = page.locator("#key-canvas img")
    image.wait_for(timeout=STEP_TIMEOUT_MS)
    width, height, box_w, box_h = image.evaluate(
        "img => [img.naturalWidth, img.naturalHeight, img.getBoundingClientRect().width, "
        "img.getBoundingClientRect().height]")
    scale = width / key_width
    r = min(box_w / width, box_h / height, 1.0)
    px, py = (x + 0.5) * scale, (y + 0.5) * scale
    image.click(position={"x": (box_w - width * r) / 2 + px * r, "y": (box_h - height * r) / 2 + py * r})


def preview(page) -> None:
    """Press Preview and wait for the side-by-side still and the preview video to arrive."""
    page.click("#preview")
    page.wait_for_selector("#preview-still img", timeout=STEP_TIMEOUT_MS)
    page.wait_for_selector("#preview-video video", timeout=STEP_TIMEOUT_MS)


def render_and_download(page, folder: Path, expected: str) -> list[Path]:
    """Press Render, wait for the result summary to name `expected` (a file name) and download every
    file the Result box offers into `folder`."""
    page.click("#render")
    # the summary names the files with their frames and rate (the progress bar shown meanwhile has no "fps")
    wait_text(page, "result-status", f"{expected}: ")
    wait_text(page, "result-status", " fps")
    page.wait_for_selector("#result a[download]", timeout=STEP_TIMEOUT_MS)
    saved = []
    links = page.locator("#result a[download]")
    for i in range(links.count()):
        with page.expect_download(timeout=STEP_TIMEOUT_MS) as download:
            links.nth(i).click()
        path = folder / download.value.suggested_filename
        download.value.save_as(path)
        saved.append(path)
    return saved


def error_toast(page, timeout_ms: int = 30_000) -> str:
    """The text of the error message the page shows (a Gradio toast)."""
    toast = page.locator("[data-testid='toast-body']").first
    toast.wait_for(timeout=timeout_ms)
    return toast.inner_text()


def close_toasts(page, timeout_ms: int = 10_000) -> None:
    """Close every toast on the page and wait until none is left (Gradio can show one message twice,
    and a toast left open would be read as the next action's message)."""
    close = page.locator("[data-testid='toast-close']")
    deadline = time.monotonic() + timeout_ms / 1000
    while close.count() and time.monotonic() < deadline:
        try:
            close.first.click(timeout=1_000)
        except Exception:  # noqa: BLE001  (the toast went by itself between count() and click())
            pass
        page.wait_for_timeout(100)
    page.locator("[data-testid='toast-body']").first.wait_for(state="detached", timeout=timeout_ms)


def open_example(page, url: str) -> str:
    """Load the page and click the bundled sample's example (the clip and its keys); returns the timeline."""
    page.goto(url)
    page.locator(".gallery-item, [data-testid='examples'] button, table.examples-table tr, .examples button").first.click()
    return wait_text(page, "timeline", "key")


def video_duration(page, elem_id: str, timeout_ms: int = STEP_TIMEOUT_MS) -> float:
    """The duration the browser reports for the <video> in #elem_id once it has loaded its metadata
    (NaN or Infinity where Chromium cannot decode it)."""
    page.wait_for_function(
        "(id) => { const v = document.querySelector('#' + id + ' video'); return v && v.readyState >= 1 "
        "|| (v && v.error); }", arg=elem_id, timeout=timeout_ms)
    return page.evaluate("(id) => { const v = document.querySelector('#' + id + ' video'); "
                         "return v.error ? NaN : v.duration; }", elem_id)
