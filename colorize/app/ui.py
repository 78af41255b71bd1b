"""The page of the preview app (Gradio): the controls of colorize.app.session laid out in four steps.

    1 Clip      upload a video, upload a cut's frames, or open a path on this machine
    2 Frame     scrub with the slider: the frame and its line-art
    3 Keyframe  take the current frame, colour it (upload a coloured key, or the model's guess)
    4 Preview   a few seconds from the keyframe, line-art | colour | original; then render and download

Every handler is a thin wrapper: session.py does the work (through colorize.api), a ColorizeError
becomes a message on the page (gr.Error), and the long steps report progress from the library's
own progress bars (gr.Progress(track_tqdm=True); a render's from its child process). Each step is
its own queued event, so the page keeps answering (scrubbing, previews) while a render runs, and
Stop ends a render. Imported only once gradio is known to be
installed (colorize.app.launch checks).
"""

from __future__ import annotations

import functools
import os
import shutil
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import gradio as gr

import colorize.app.session as session
from colorize.errors import ColorizeError

if TYPE_CHECKING:
    from colorize.engine.model import Colorizer

INTRO = ("**colorize preview** — open a clip, pick a frame as the keyframe, colour it, preview a few "
         "seconds, then render the whole clip. Everything runs on this machine.")
IMAGE_HEIGHT = 280  # px on the page; images keep their aspect ratio inside


def reported(fn: Callable) -> Callable:
    """Show a ColorizeError (bad input, a model that cannot follow keyframes, ...) as a message on
    the page instead of a traceback; anything else is a bug and keeps its traceback in the log."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except ColorizeError as exc:
            raise gr.Error(str(exc), print_exception=False) from None

    return wrapper


class Handlers:
    """The page's event handlers, bound to one loaded model (and its file, for renders, which run in a
    child process) and a root folder for the sessions' work."""

    def __init__(self, model: "Colorizer", work_root: Path, model_path: str | os.PathLike | None = None,
                 device: str = "auto"):
        self.model = model
        self.work_root = work_root
        self.model_path = model_path
        self.device = device
        self.renders: dict[Path, session.Render] = {}  # running renders by their clip's work folder

    def _workdir(self) -> Path:
        return self.work_root / uuid.uuid4().hex[:12]

    def _opened(self, clip: session.Clip, previous: session.Clip | None) -> tuple:
        """Outputs after a clip opens (build's `opened`): the clip, the slider over its frames, frame 0,
        its line-art, a summary; the last clip's keyframe, preview and result cleared, its render
        stopped and its work folder gone."""
        self.stop(previous)
        forget(previous)
        frame, lines = session.frame_view(clip, 0, self.model)
        slider = gr.Slider(minimum=0, maximum=max(clip.frame_count - 1, 1), value=0, step=1, interactive=True)
        return (clip, slider, frame, lines, clip.describe()) + (None,) * 7 + ("",) * 2

    @reported
    def open_video(self, path: str | None, previous: session.Clip | None,
                   progress=gr.Progress(track_tqdm=True)) -> tuple:
        if not path:
            raise ColorizeError("choose a video file first")
        return self._opened(session.open_video(path, self._workdir()), previous)

    @reported
    def open_frames(self, files: list[str] | None, fps: float, previous: session.Clip | None,
                    progress=gr.Progress(track_tqdm=True)) -> tuple:
        if not files:
            raise ColorizeError("choose the frames of one cut first")
        return self._opened(session.open_frames(files, self._workdir(), _fps(fps)), previous)

    @reported
    def open_path(self, path: str, fps: float, previous: session.Clip | None,
                  progress=gr.Progress(track_tqdm=True)) -> tuple:
        return self._opened(session.open_path(path or "", self._workdir(), _fps(fps)), previous)

    @reported
    def show_frame(self, clip: session.Clip | None, index: float, is_lineart: bool) -> tuple:
        if clip is None:
            return None, None
        return session.frame_view(clip, int(index), self.model, is_lineart)

    @reported
    def take_keyframe(self, clip: session.Clip | None, index: float) -> tuple:
        """The current frame becomes the keyframe to colour: shown full size, the previous colouring cleared."""
        clip = _need_clip(clip)
        position = session.check_index(clip, index)
        return (position, None, session.full_frame(clip, position), None,
                f"keyframe: frame {position} — now colour it")

    @reported
    def guess_key(self, clip: session.Clip | None, position: int | None, is_lineart: bool) -> tuple:
        clip, position = _need_clip(clip), _need_position(position)
        colour = session.guess_keyframe(clip, position, self.model, is_lineart)
        key = session.save_keyframe(clip, position, colour)
        return colour, str(key), f"keyframe: frame {position}, coloured by the model"

    @reported
    def upload_key(self, clip: session.Clip | None, position: int | None, colour: Any) -> tuple:
        if colour is None:
            return gr.skip(), gr.skip()
        clip, position = _need_clip(clip), _need_position(position)
        key = session.save_keyframe(clip, position, colour)
        return str(key), f"keyframe: frame {position}, your colouring"

    @reported
    def preview(self, clip: session.Clip | None, key: str | None, seconds: float, is_lineart: bool,
                progress=gr.Progress(track_tqdm=True)) -> tuple:
        clip, key = _need_clip(clip), _need_key(key)
        path = session.preview_clip(clip, self.model, key, float(seconds), is_lineart)
        return str(path), session.first_frame(path)

    @reported
    def render(self, clip: session.Clip | None, key: str | None, is_lineart: bool,
               progress=gr.Progress()) -> tuple:
        """Render the whole clip (in a child process, see session.Render) with a progress bar."""
        clip = _need_clip(clip)
        job = session.Render(clip, self.model_path, key, is_lineart, self.device)
        self.renders[clip.workdir] = job
        try:
            outputs = job.run(lambda done, total: progress((done, total), desc="rendering", unit="frames"))
        except session.RenderStopped as stopped:
            return None, str(stopped)
        finally:
            self.renders.pop(clip.workdir, None)
        return [str(p) for p in outputs], session.describe_outputs(outputs)

    def stop(self, clip: session.Clip | None) -> None:
        """Stop this session's render, if one runs (the render's own event then reports it)."""
        job = self.renders.get(clip.workdir) if clip is not None else None
        if job is not None:
            job.stop()


def forget(clip: session.Clip | None) -> None:
    """Delete a clip's work folder (its scrub images, keyframe, previews and renders)."""
    if clip is not None:
        shutil.rmtree(clip.workdir, ignore_errors=True)


def _fps(value: float | None) -> float:
    if value is None:
        raise ColorizeError("give the frames per second of the frame folder")
    return float(value)


def _need_clip(clip: session.Clip | None) -> session.Clip:
    if clip is None:
        raise ColorizeError("open a clip first (step 1)")
    return clip


def _need_position(position: int | None) -> int:
    if position is None:
        raise ColorizeError("pick the keyframe first: scrub to a frame and press 'Use this frame'")
    return int(position)


def _need_key(key: str | None) -> str:
    if not key or not Path(key).is_file():
        raise ColorizeError("colour the keyframe first: upload a coloured key or press 'Model's guess'")
    return key


def build(model: "Colorizer", work_root: Path, model_path: str | os.PathLike | None = None,
          device: str = "auto") -> gr.Blocks:
    """The app's page, its components named by elem_id (the browser test finds them so). model_path:
    the file `model` was loaded from (None: the shipped model), for renders."""
    h = Handlers(model, work_root, model_path, device)
    # Gradio keeps a copy of every file it hands the page; files older than a day go, checked hourly
    with gr.Blocks(title="colorize preview", analytics_enabled=False, delete_cache=(3600, 86400)) as page:
        # a closed tab's clip takes its work folder with it
        clip = gr.State(None, delete_callback=forget)
        position, key = gr.State(None), gr.State(None)
        gr.Markdown(INTRO)
        with gr.Row():
            with gr.Column(scale=1):
                gr.Markdown("### 1 · Clip")
                with gr.Tab("Video"):
                    video_file = gr.File(label="Video clip", file_types=["video"], elem_id="clip-upload")
                with gr.Tab("Frames"):
                    frame_files = gr.File(label="The frames of one cut", file_count="multiple",
                                          file_types=["image"], elem_id="frames-upload")
                with gr.Tab("Path on this machine"):
                    server_path = gr.Textbox(label="Video file or frame folder", elem_id="server-path")
                    open_button = gr.Button("Open", elem_id="open-path")
                fps = gr.Number(value=session.DEFAULT_FOLDER_FPS, label="Frames per second (frame folders)",
                                minimum=0.1, elem_id="folder-fps")
                is_lineart = gr.Checkbox(label="The clip is line-art already", value=False, elem_id="is-lineart")
                summary = gr.Markdown("", elem_id="clip-summary")
            with gr.Column(scale=2):
                gr.Markdown("### 2 · Frame")
                slider = gr.Slider(0, 1, value=0, step=1, label="Frame", interactive=False, elem_id="frame-slider")
                with gr.Row():
                    frame_image = gr.Image(label="Frame", format="png", interactive=False, height=IMAGE_HEIGHT,
                                           elem_id="frame-image")
                    lines_image = gr.Image(label="Line-art", format="png", interactive=False, height=IMAGE_HEIGHT,
                                           elem_id="lineart-image")
        gr.Markdown("### 3 · Keyframe")
        with gr.Row():
            with gr.Column(scale=1):
                take_button = gr.Button("Use this frame as the keyframe", elem_id="take-key")
                guess_button = gr.Button("Model's guess", elem_id="guess-key")
                key_status = gr.Markdown("", elem_id="key-status")
            key_frame = gr.Image(label="Keyframe (original)", format="png", interactive=False, height=IMAGE_HEIGHT,
                                 elem_id="key-frame")
            key_colour = gr.Image(label="Coloured keyframe (upload your colouring, or use the model's guess)",
                                  format="png", sources=["upload", "clipboard"], height=IMAGE_HEIGHT,
                                  elem_id="key-colour")
        gr.Markdown("### 4 · Preview and render")
        with gr.Row():
            with gr.Column(scale=1):
                seconds = gr.Slider(0.5, 10, value=2, step=0.5, label="Preview length (seconds)", elem_id="preview-seconds")
                preview_button = gr.Button("Preview from the keyframe", variant="primary", elem_id="preview")
                with gr.Row():
                    render_button = gr.Button("Render the whole clip", variant="primary", scale=3, elem_id="render")
                    stop_button = gr.Button("Stop", variant="stop", scale=1, elem_id="stop")
                result = gr.File(label="Result", file_count="multiple", interactive=False, elem_id="result")
                result_status = gr.Markdown("", elem_id="result-status")
            with gr.Column(scale=2):
                preview_still = gr.Image(label="Preview: line-art | colour | original (first frame)", format="png",
                                         interactive=False, height=IMAGE_HEIGHT, elem_id="preview-still")
                preview_video = gr.Video(label="Preview", interactive=False, height=IMAGE_HEIGHT, autoplay=True,
                                         loop=True, elem_id="preview-video")

        opened = [clip, slider, frame_image, lines_image, summary,
                  position, key, key_frame, key_colour, preview_still, preview_video, result, key_status, result_status]
        video_file.upload(h.open_video, [video_file, clip], opened)
        frame_files.upload(h.open_frames, [frame_files, fps, clip], opened)
        open_button.click(h.open_path, [server_path, fps, clip], opened)
        slider.change(h.show_frame, [clip, slider, is_lineart], [frame_image, lines_image],
                      trigger_mode="always_last", show_progress="hidden")
        is_lineart.change(h.show_frame, [clip, slider, is_lineart], [frame_image, lines_image])
        take_button.click(h.take_keyframe, [clip, slider], [position, key, key_frame, key_colour, key_status])
        guess_button.click(h.guess_key, [clip, position, is_lineart], [key_colour, key, key_status])
        key_colour.upload(h.upload_key, [clip, position, key_colour], [key, key_status])
        preview_button.click(h.preview, [clip, key, seconds, is_lineart], [preview_video, preview_still])
        render_button.click(h.render, [clip, key, is_lineart], [result, result_status])
        stop_button.click(h.stop, [clip], None, queue=False)
    return page


def serve(page: gr.Blocks, host: str, port: int, work_root: Path):
    """Start the page's server on host:port in a background thread and return (no share link, no
    server-side rendering, MCP or monitoring routes; the files the page may fetch are under work_root)."""
    page.queue(default_concurrency_limit=1)
    return page.launch(server_name=host, server_port=port, share=False, inbrowser=False,
                       prevent_thread_lock=True, show_error=True, quiet=True, ssr_mode=False,
                       mcp_server=False, pwa=False, enable_monitoring=False, footer_links=[],
                       allowed_paths=[str(work_root)])
