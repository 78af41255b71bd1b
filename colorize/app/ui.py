"""The page of the preview app (Gradio): the controls of colorize.app.session laid out in four steps.

    1 Clip      upload a video, upload a cut's frames, or open a path on this machine
    2 Frame     scrub with the slider: the frame and its line-art
    3 Keyframe  take the current frame, paint it with the bucket (ui_keys), take the model's guess or upload one
    4 Preview   a few seconds from the keyframe, line-art | colour | original; then render and download

Every handler is a thin wrapper: session.py and keying.py do the work (through colorize.api), a
ColorizeError becomes a message on the page (gr.Error, colorize.app.messages), and the long steps report progress from the library's
own progress bars (gr.Progress(track_tqdm=True); a render's from its child process). Each step is
its own queued event, so the page keeps answering (scrubbing, previews) while a render runs, and
Stop ends a render. Imported only once gradio is known to be
installed (colorize.app.launch checks).
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gradio as gr

import colorize.app.render as render
import colorize.app.session as session
import colorize.app.guard as guard
import colorize.app.keying as keying
from colorize.app.messages import hide_internal_paths, reported  # noqa: F401  (re-exported for tests)
from colorize.app.ui_keys import (BucketHandlers, _forget_paints, bucket_controls, canvas_image, palette_image,
                                  timeline)
from colorize.errors import ColorizeError

if TYPE_CHECKING:
    from colorize.engine.model import Colorizer

INTRO = ("**colorize preview** — open a clip, key a frame of each shot (paint it with the bucket, take the "
         "model's guess or upload your colouring), preview a few seconds, then render the whole clip. Everything runs on this machine.")
IMAGE_HEIGHT = 210  # px on the page; images keep their aspect ratio inside
FRAME_HEIGHT = 170  # the frame and its line-art: smaller, so the key canvas fits above the fold too


NO_KEYS = ("this model cannot follow keyframes (it was trained without references): it colours from the "
           "line-art alone — preview and render need no key")
SIZES = ["default (384)", "256", "512", "768", "full"]
DEFAULT_SIZE = SIZES[0]
KEY_STATUS = 13  # the key's message among the outputs of opening a clip (build's `opened`)


class Handlers(BucketHandlers):
    """The page's event handlers, bound to one loaded model (and its file, for renders, which run in a
    child process), a root folder for the sessions' work and the folder "path on this machine" may open.

    Each browser session (Gradio's session hash) works in its own folder work_root/s-<hash> (mode 0700):
    its uploads (moved there from Gradio's upload folder), its clip's scrub images, keys, previews and
    renders. Opening a clip empties the folder of the last one; the session's end (tab closed) removes it.
    """

    def __init__(self, model: "Colorizer", work_root: Path, model_path: str | os.PathLike | None = None,
                 device: str = "auto", root: Path | None = None):
        self.model = model
        self.work_root = work_root
        self.model_path = model_path
        self.device = device
        self.root = root
        self.renders: dict[Path, render.Render] = {}  # running renders by their clip's work folder

    # -- sessions -----------------------------------------------------------------------------------
    def session_dir(self, request: gr.Request | None) -> Path:
        """This browser session's private work folder (created mode 0700)."""
        name = re.sub(r"[^A-Za-z0-9_-]", "", getattr(request, "session_hash", None) or "") or "local"
        folder = self.work_root / f"s-{name[:64]}"
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        return folder

    def end_session(self, request: gr.Request) -> None:
        """The tab closed: stop its render and remove its folder."""
        folder = self.session_dir(request)
        self._stop_all(folder)
        shutil.rmtree(folder, ignore_errors=True)

    def _stop_all(self, folder: Path) -> None:
        for workdir, job in list(self.renders.items()):
            if folder in workdir.parents:
                job.stop()

    def _adopt(self, files: list[str], request: gr.Request | None) -> tuple[list[Path], Path]:
        """Uploaded files moved from Gradio's upload folder into this session's (one subfolder each,
        so two uploads of one name do not collide); returns their new paths and the folder holding them."""
        folder = self.session_dir(request) / f"upload-{uuid.uuid4().hex[:12]}"
        folder.mkdir(mode=0o700)
        moved = []
        for index, name in enumerate(files):
            target = folder / str(index) / Path(name).name
            target.parent.mkdir()
            if self.work_root.resolve() in Path(name).resolve().parents:
                shutil.move(name, target)  # out of Gradio's upload folder (work_root/uploads)
            else:
                shutil.copyfile(name, target)  # anything else (an example) is left where it is
            moved.append(target)
        return moved, folder

    def _opened(self, clip: session.Clip, request: gr.Request | None) -> tuple:
        """Outputs after a clip opens (build's `opened`): the clip, the slider over its frames, frame 0,
        its line-art, a summary, the timeline; the last clip's keys, preview, result, model sheets and
        palette cleared, its render stopped and its folders gone."""
        folder = self.session_dir(request)
        self._stop_all(folder)
        for other in folder.iterdir():
            if other not in (clip.workdir, clip.upload):
                shutil.rmtree(other, ignore_errors=True)
        frame, lines = session.frame_view(clip, 0, self.model)
        slider = gr.Slider(minimum=0, maximum=max(clip.frame_count - 1, 1), value=0, step=1, interactive=True)
        summary = clip.describe()
        if not self.model.takes_reference:
            summary += "\n\n" + NO_KEYS
        return ((clip, slider, frame, lines, summary, timeline(clip)) + (None,) * 6
                + (gr.File(value=None, visible=False), "", "", None, palette_image(None)))

    def _clip_dir(self, request: gr.Request | None) -> Path:
        return self.session_dir(request) / f"clip-{uuid.uuid4().hex[:12]}"

    # -- opening ------------------------------------------------------------------------------------
    @reported
    def open_video(self, path: str | None, request: gr.Request = None, progress=gr.Progress(track_tqdm=True)) -> tuple:
        if not path:
            raise ColorizeError("choose a video file first")
        [video], folder = self._adopt([path], request)
        clip = session.open_video(video, self._clip_dir(request))
        clip.upload = folder
        return self._opened(clip, request)

    @reported
    def open_frames(self, files: list[str] | None, fps: float, request: gr.Request = None,
                    progress=gr.Progress(track_tqdm=True)) -> tuple:
        if not files:
            raise ColorizeError("choose the frames of one cut first")
        moved, folder = self._adopt(list(files), request)
        clip = session.open_frames(moved, self._clip_dir(request), _fps(fps))
        clip.upload = folder
        return self._opened(clip, request)

    @reported
    def open_path(self, path: str, fps: float, request: gr.Request = None,
                  progress=gr.Progress(track_tqdm=True)) -> tuple:
        try:
            clip = session.open_path(path or "", self._clip_dir(request), _fps(fps), root=self.root)
        except guard.Refused:
            raise
        except ColorizeError as exc:  # name files relative to the served folder, not by where it lies
            raise ColorizeError(str(exc).replace(f"{self.root}{os.sep}", "")) if self.root else exc from None
        return self._opened(clip, request)

    @reported
    def open_example(self, video: str, keys: str, request: gr.Request = None,
                     progress=gr.Progress(track_tqdm=True)) -> tuple:
        """The bundled sample (a copy of the example file Gradio hands over) with its artist's keys. `keys`
        (the example's hidden text) is not read: the keys come from the sample's own folder only, so a
        crafted call cannot name another folder."""
        outputs = list(self.open_video(video, request))
        clip = outputs[0]
        if self.model.takes_reference:
            for key in sorted((SAMPLE / "keys").glob("*.png")):
                if key.stem.isdigit() and int(key.stem) in clip.numbers:
                    session.save_keyframe(clip, clip.numbers.index(int(key.stem)), key, keep_others=True)
            outputs[5] = timeline(clip)
            outputs[KEY_STATUS] = f"the sample's {len(clip.keys())} keys are set — preview or render"
        return tuple(outputs)

    # -- frames and keys ----------------------------------------------------------------------------
    @reported
    def show_frame(self, clip: session.Clip | None, index: float, is_lineart: bool) -> tuple:
        if clip is None:
            return None, None
        return session.frame_view(clip, int(index), self.model, is_lineart)

    def _need_keys(self) -> None:
        if not self.model.takes_reference:
            raise ColorizeError(NO_KEYS)

    @reported
    def take_keyframe(self, clip: session.Clip | None, index: float, is_lineart: bool = False,
                      swatches: dict | None = None, progress=gr.Progress(track_tqdm=True)) -> tuple:
        """The current frame becomes the keyframe to colour: its key canvas (the line-art's regions, filled
        with its key's colours if it has one), its key, and the model's guess as swatches."""
        clip = _need_clip(clip)
        self._need_keys()
        position = session.check_index(clip, index)
        existing = clip.keys().get(position)
        colour = str(existing) if existing is not None else None
        todo = ("keyed: paint over it or upload another colouring" if colour
                else "now colour it: click its regions, fill all from the guess, or upload a colouring")
        canvas, swatches, palette = self.start_bucket(clip, position, is_lineart, swatches)
        return (position, colour, canvas, colour,
                f"keyframe: frame {position} (shot {clip.shot_of(position) + 1}) — {todo}", swatches, palette)

    @reported
    def guess_key(self, clip: session.Clip | None, position: int | None, is_lineart: bool) -> tuple:
        """Every region of the key takes the model's flat guess, and that is the key (as `--paint flat`)."""
        clip, position = _need_clip(clip), _need_position(position)
        self._need_keys()
        paint = keying.key_paint(clip, position, self.model, is_lineart)
        keying.fill_from_guess(clip, position, paint, self.model, is_lineart)
        key = keying.use_as_key(clip, position, paint)
        return (str(key), str(key), f"keyframe: frame {position}, coloured by the model", timeline(clip),
                canvas_image(paint))

    @reported
    def upload_key(self, clip: session.Clip | None, position: int | None, colour: Any, is_lineart: bool = False
                   ) -> tuple:
        if colour is None:
            return gr.skip(), gr.skip(), gr.skip(), gr.skip()
        clip, position = _need_clip(clip), _need_position(position)
        self._need_keys()
        key = session.save_keyframe(clip, position, colour, keep_others=True)
        note = session.fit_note((colour.shape[1], colour.shape[0]), clip)
        _forget_paints(clip, position)  # the canvas starts again from the new key's colours
        canvas = canvas_image(keying.key_paint(clip, position, self.model, is_lineart))
        return (str(key), f"keyframe: frame {position}, your colouring" + (f" — {note}" if note else ""),
                timeline(clip), canvas)

    @reported
    def use_key(self, clip: session.Clip | None, position: int | None, is_lineart: bool) -> tuple:
        self._need_keys()
        key, colour, status = self.use_painted_key(clip, position, is_lineart)
        return key, colour, status, timeline(clip)

    @reported
    def clear_keys(self, clip: session.Clip | None) -> tuple:
        clip = _need_clip(clip)
        session.remove_keyframes(clip)
        clip.paints.clear()
        return None, None, "keys cleared", timeline(clip), None

    # -- preview and render -------------------------------------------------------------------------
    @reported
    def preview(self, clip: session.Clip | None, key: str | None, seconds: float, is_lineart: bool,
                temporal: bool = True, smooth: float = 0.0, size: str = DEFAULT_SIZE, index: float = 0,
                paint: str = "auto", lines: str = "auto", progress=gr.Progress(track_tqdm=True)) -> tuple:
        clip = _need_clip(clip)
        if self.model.takes_reference:
            key = _need_key(key)
        else:
            key = None  # line-art only: from the frame on the slider
        path = session.preview_clip(clip, self.model, key, float(seconds), is_lineart,
                                    settings(temporal, smooth, size, paint, lines), start=int(index))
        return str(path), session.middle_frame(path), ""

    @reported
    def render(self, clip: session.Clip | None, is_lineart: bool, temporal: bool = True, smooth: float = 0.0,
               size: str = DEFAULT_SIZE, paint: str = "auto", lines: str = "auto", progress=gr.Progress()) -> tuple:
        """Render the whole clip (in a child process, see render.Render) with a progress bar."""
        clip = _need_clip(clip)
        keyed = bool(clip.keys()) and self.model.takes_reference
        job = render.Render(clip, self.model_path, clip.keys_dir if keyed else None, is_lineart, self.device,
                             settings(temporal, smooth, size, paint, lines), sheets=self.model.takes_reference)
        self.renders[clip.workdir] = job
        try:
            outputs = job.run(lambda done, total: progress((done, total), desc="rendering", unit="frames"))
        except render.RenderStopped as stopped:
            return gr.File(value=None, visible=False), str(stopped)
        finally:
            self.renders.pop(clip.workdir, None)
        return (gr.File(value=[str(p) for p in outputs], visible=True),
                "\n\n".join([session.describe_outputs(outputs), *job.notes]))

    def stop(self, clip: session.Clip | None) -> None:
        """Stop this session's render, if one runs (the render's own event then reports it)."""
        job = self.renders.get(clip.workdir) if clip is not None else None
        if job is not None:
            job.stop()


def settings(temporal: bool, smooth: float, size: str, paint: str = "auto", lines: str = "auto") -> session.Settings:
    """The page's settings as the session's."""
    size = str(size or DEFAULT_SIZE)
    working = None if size == DEFAULT_SIZE else 0 if size == "full" else int(size)
    return session.Settings(temporal=bool(temporal), smooth=float(smooth or 0.0), size=working,
                            paint=paint or "auto", lines=lines or "auto")


def forget(clip: session.Clip | None) -> None:
    """Delete a clip's work folder (its scrub images, keyframe, previews and renders) and its upload."""
    if clip is not None:
        shutil.rmtree(clip.workdir, ignore_errors=True)
        if clip.upload is not None:
            shutil.rmtree(clip.upload, ignore_errors=True)


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
        raise ColorizeError("pick the keyframe first: scrub to a frame and press 'Key this frame'")
    return int(position)


def _need_key(key: str | None) -> str:
    if not key or not Path(key).is_file():
        raise ColorizeError("colour the keyframe first: upload a coloured key or press 'Model's guess'")
    return key


SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "real"
# The red "Error" badges Gradio leaves on a failed step's outputs go at the user's next click or key
# (the message itself is the toast): a badge must not outlive the action it was about.
CLEAR_ERROR_BADGES = """
() => {
  const clear = (event) => {
    if (!event.target.closest('button, input, textarea, label, select, [role=tab]')) return;
    document.querySelectorAll('.error').forEach((badge) => {
      if (!badge.closest('.toast-body, .toast-wrap')) badge.style.display = 'none';
    });
  };
  document.addEventListener('click', clear, true);
  document.addEventListener('keydown', clear, true);
}
"""
CSS = """
#timeline p {margin: 0; font-size: 0.85em}
#clip-summary p, #key-status p, #result-status p {margin: 0.2em 0}
"""


def build(model: "Colorizer", work_root: Path, model_path: str | os.PathLike | None = None,
          device: str = "auto", root: Path | None = None, max_upload: int | None = None) -> gr.Blocks:
    """The app's page, its components named by elem_id (the browser test finds them so). model_path:
    the file `model` was loaded from (None: the shipped model), for renders; root: the folder "path on
    this machine" may open (None: any). Laid out in three columns so that the frame, the keys, the
    progress and the result fit a 1440 x 900 screen without scrolling."""
    h = Handlers(model, work_root, model_path, device, root)
    cap = f" (up to {guard.describe_bytes(max_upload)})" if max_upload else ""
    with gr.Blocks(title="colorize preview", analytics_enabled=False, delete_cache=(600, 3600)) as page:
        # a closed tab's clip takes its work folder with it; the session's folder goes on unload
        clip = gr.State(None, delete_callback=forget)
        position, key = gr.State(None), gr.State(None)
        gr.Markdown(INTRO)
        with gr.Row(equal_height=False):
            with gr.Column(scale=1, min_width=280):
                gr.Markdown("### 1 · Clip")
                with gr.Tab("Video"):
                    video_file = gr.File(label=f"Video clip{cap}", file_types=["video"], elem_id="clip-upload", height=130)
                with gr.Tab("Frames"):
                    frame_files = gr.File(label=f"The frames of one cut{cap}", file_count="multiple",
                                          file_types=["image"], elem_id="frames-upload", height=130)
                    fps = gr.Number(value=session.DEFAULT_FOLDER_FPS, label="fps (of frames, and of a folder in Path)",
                                    minimum=0.1, elem_id="folder-fps", min_width=80)
                with gr.Tab("Path"):
                    server_path = gr.Textbox(label="Video file or frame folder (in the served folder)",
                                             elem_id="server-path")
                    open_button = gr.Button("Open", elem_id="open-path", size="sm")
                summary = gr.Markdown("", elem_id="clip-summary")
                examples_slot = gr.Column()  # the sample's example goes here, above the settings
                with gr.Accordion("Settings", open=True):
                    with gr.Row():
                        temporal = gr.Checkbox(label="Temporal mode", value=True, elem_id="temporal", min_width=90)
                        is_lineart = gr.Checkbox(label="Line-art input", value=False, elem_id="is-lineart",
                                                 min_width=90)
                    smooth = gr.Slider(0, 0.9, value=0.0, step=0.1, label="Smoothing (videos)", elem_id="smooth")
                    size = gr.Dropdown(SIZES, value=DEFAULT_SIZE, label="Working size (px, longer side)",
                                       elem_id="working-size")
                    with gr.Row():
                        paint_mode = gr.Dropdown(["auto", "flat", "shaded", "free"], value="auto", label="Paint",
                                                 elem_id="paint-mode", min_width=100)
                        lines_mode = gr.Dropdown(["auto", "keep", "colour", "drop"], value="auto", label="Lines", elem_id="lines-mode",
                                                 min_width=90)
                example_keys = gr.Textbox(visible=False)
            with gr.Column(scale=2):
                gr.Markdown("### 2 · Frames and keys")
                slider = gr.Slider(0, 1, value=0, step=1, label="Frame", interactive=False, elem_id="frame-slider")
                timeline_text = gr.Markdown("", elem_id="timeline")
                with gr.Row():
                    frame_image = gr.Image(label="Frame", format="png", interactive=False, height=FRAME_HEIGHT,
                                           elem_id="frame-image")
                    lines_image = gr.Image(label="Line-art", format="png", interactive=False, height=FRAME_HEIGHT,
                                           elem_id="lineart-image")
                with gr.Row():
                    take_button = gr.Button("Key this frame", elem_id="take-key", size="sm", min_width=90)
                    guess_button = gr.Button("Model's guess", elem_id="guess-key", size="sm", min_width=90)
                    clear_button = gr.Button("Clear keys", elem_id="clear-keys", size="sm", min_width=90)
                key_status = gr.Markdown("", elem_id="key-status")
                with gr.Row():
                    key_canvas = gr.Image(label="Key: click a region to fill it", format="png", interactive=False,
                                          height=IMAGE_HEIGHT, elem_id="key-canvas", scale=3, buttons=["fullscreen"])
                    key_colour = gr.Image(label="Key (upload yours)", format="png", sources=["upload", "clipboard"],
                                          height=IMAGE_HEIGHT, elem_id="key-colour", scale=2)
                tools = bucket_controls()
                swatches = gr.State(None)
            with gr.Column(scale=2):
                gr.Markdown("### 3 · Preview and render")
                with gr.Row():
                    seconds = gr.Slider(0.5, 10, value=2, step=0.5, label="Preview (seconds)", elem_id="preview-seconds",
                                        scale=2)
                    preview_button = gr.Button("Preview", variant="primary", elem_id="preview", scale=1)
                with gr.Row():
                    render_button = gr.Button("Render the whole clip", variant="primary", scale=3, elem_id="render")
                    stop_button = gr.Button("Stop", variant="stop", scale=1, elem_id="stop")
                result_status = gr.Markdown("", elem_id="result-status")
                # shown once there is a result: an empty file box would push the preview below the fold
                result = gr.File(label="Result", file_count="multiple", interactive=False, elem_id="result",
                                 visible=False)
                preview_video = gr.Video(label="Preview: line-art | colour | original", interactive=False,
                                         height=IMAGE_HEIGHT, autoplay=True, loop=True, elem_id="preview-video")
                preview_still = gr.Image(label="Preview, middle frame", format="png", interactive=False,
                                         height=IMAGE_HEIGHT // 2, elem_id="preview-still")

        opened = [clip, slider, frame_image, lines_image, summary, timeline_text,
                  position, key, key_canvas, key_colour, preview_still, preview_video, result, key_status, result_status,
                  swatches, tools["palette"]]
        if (SAMPLE / "sample.mp4").is_file():
            with examples_slot:
                gr.Examples([[str(SAMPLE / "sample.mp4"), str(SAMPLE / "keys")]], [video_file, example_keys],
                            opened, fn=h.open_example, run_on_click=True, cache_examples=False,
                            label="Example: a two-shot clip with the artist's keys (frames 0 and 21)",
                            example_labels=["sample.mp4 + keys"])
        video_file.upload(h.open_video, [video_file], opened)
        frame_files.upload(h.open_frames, [frame_files, fps], opened)
        open_button.click(h.open_path, [server_path, fps], opened)
        slider.change(h.show_frame, [clip, slider, is_lineart], [frame_image, lines_image],
                      trigger_mode="always_last", show_progress="hidden")
        is_lineart.change(h.show_frame, [clip, slider, is_lineart], [frame_image, lines_image])
        take_button.click(h.take_keyframe, [clip, slider, is_lineart, swatches],
                          [position, key, key_canvas, key_colour, key_status, swatches, tools["palette"]])
        guess_button.click(h.guess_key, [clip, position, is_lineart],
                           [key_colour, key, key_status, timeline_text, key_canvas])
        key_colour.upload(h.upload_key, [clip, position, key_colour, is_lineart], [key, key_status, timeline_text, key_canvas])
        clear_button.click(h.clear_keys, [clip], [key, key_colour, key_status, timeline_text, key_canvas])
        # the paint bucket (colorize.app.ui_keys)
        bucket_state = [clip, position, is_lineart]
        key_canvas.select(h.paint_click, [*bucket_state, tools["colour"]], [key_canvas, key_status],
                          trigger_mode="always_last", show_progress="hidden")
        tools["fill_all"].click(h.fill_from_guess, bucket_state, [key_canvas, key_status])
        tools["undo"].click(h.undo, bucket_state, [key_canvas, key_status], show_progress="hidden")
        tools["use"].click(h.use_key, bucket_state, [key, key_colour, key_status, timeline_text])
        tools["palette"].select(h.pick_swatch, [swatches], [tools["colour"]], show_progress="hidden")
        sheet_outputs = [swatches, tools["palette"], key_status, timeline_text]
        tools["sheet"].upload(h.load_sheet, [clip, tools["sheet"], swatches], sheet_outputs)
        tools["clear_sheets"].click(h.clear_sheets, [clip, swatches], sheet_outputs)
        preview_button.click(h.preview, [clip, key, seconds, is_lineart, temporal, smooth, size, slider, paint_mode,
                                         lines_mode],
                             [preview_video, preview_still, result_status],
                             concurrency_limit=1, concurrency_id="preview")
        render_button.click(h.render, [clip, is_lineart, temporal, smooth, size, paint_mode, lines_mode],
                            [result, result_status],
                            concurrency_limit=1, concurrency_id="render")
        stop_button.click(h.stop, [clip], None, queue=False)
        page.unload(h.end_session)
    return page


def serve(page: gr.Blocks, host: str, port: int, work_root: Path, auth: tuple[str, str] | None = None,
          max_upload: int | None = None):
    """Start the page's server on host:port in a background thread and return (no share link, no
    server-side rendering, MCP or monitoring routes; the files the page may fetch are under work_root).
    auth: Gradio's login page for (user, password); max_upload: Gradio refuses larger uploads (bytes).
    Renders run one at a time (others wait in Gradio's queue), as do previews."""
    page.queue(default_concurrency_limit=4)
    return page.launch(server_name=host, server_port=port, share=False, inbrowser=False,
                       prevent_thread_lock=True, show_error=True, quiet=True, ssr_mode=False,
                       mcp_server=False, pwa=False, enable_monitoring=False, footer_links=[],
                       allowed_paths=[str(work_root)], auth=[auth] if auth else None,
                       auth_message="colorize: log in with the user and password the app was started with",
                       max_file_size=max_upload, css=CSS, js=CLEAR_ERROR_BADGES)
