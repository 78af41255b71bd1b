"""The whole clip rendered as the command line renders it, in a child process that can be stopped.

    job = Render(clip, "generator.safetensors", clip.keys_dir)   # clip: colorize.app.session.Clip
    outputs = job.run(on_progress)                               # on_progress(done, total); job.stop() ends it

The child is `python -m colorize video|frames` with the clip's keys (--references), model sheets
(--sheet) and the page's settings, so the result is exactly what the command gives. Nothing here
imports gradio; errors are colorize.errors.ColorizeError with one sentence.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import zipfile
from pathlib import Path
from typing import Callable, Iterator

from colorize.app.media import playable
from colorize.app.session import Clip, Settings
from colorize.errors import ColorizeError
from colorize.images import atomic_path, read_rgb


class RenderStopped(ColorizeError):
    """The user stopped a render; nothing was written under the result's name."""


class Render:
    """The whole clip coloured with the keyframe (none: each shot follows its own first frame) and,
    with `sheets`, the clip's model sheets (add_sheet: a shot no key covers follows them; False for a
    model without references, which the command line would refuse them), in a child process that
    `stop()` can end at any frame.

    The child is the command line itself (`python -m colorize video|frames`, the same functions as
    colorize.api with the same defaults): the page's server keeps its cores' time for scrubbing
    and previews, and a stopped render cleans up as after Ctrl-C (SIGTERM: no output under its final
    name). A video becomes render/<name>_colour.mp4 (frame count, fps, size and audio kept); a cut's
    frames become render/frames/ (PNG, same names), zipped as render/<cut>_colour.zip, plus an MP4 of
    them at the clip's fps (<cut>: the first frame's name without its number).
    """

    def __init__(self, clip: Clip, model: str | os.PathLike | None, key: str | os.PathLike | None = None,
                 is_lineart: bool = False, device: str = "auto", settings: Settings | None = None,
                 sheets: bool = True):
        self.clip, self.model, self.key, self.is_lineart, self.device = clip, model, key, is_lineart, device
        self.settings, self.sheets = settings, sheets
        self.notes: list[str] = []  # said in the result line (a video padded to even sides)
        self.folder = clip.workdir / "render"
        self._process: subprocess.Popen | None = None
        self._stopped = threading.Event()

    def command(self) -> list[str]:
        """The child's command line."""
        clip = self.clip
        if clip.kind == "video":  # --even: an odd size is padded as it is encoded, so browsers play it
            args = ["video", str(clip.source), "-o", str(self.folder / f"{clip.source.stem}_colour.mp4"), "--even"]
        else:
            args = ["frames", str(clip.source), str(self.folder / "frames")]
        args += ["--device", self.device]
        args += ["--model", str(self.model)] if self.model is not None else []
        args += ["--references", str(clip.keys_dir)] if self.key is not None else []
        args += ["--sheet", str(clip.sheets_dir)] if self.sheets and clip.sheets() else []
        args += ["--lineart"] if self.is_lineart else []
        args += self.settings.cli_args(clip.kind) if self.settings is not None else []
        return [sys.executable, "-m", "colorize", *args]

    def run(self, on_progress: Callable[[int, int], None] | None = None) -> list[Path]:
        """Render, calling on_progress(frames done, total) as the child reports; returns the files to
        download. ColorizeError with the child's one-line message if it fails, RenderStopped if stopped."""
        if self.folder.exists():
            shutil.rmtree(self.folder)
        self.folder.mkdir()
        on_progress = on_progress or (lambda done, total: None)
        on_progress(0, self.clip.frame_count)  # the child takes seconds to import torch and load the model
        errors = self._run_child(on_progress)
        if self._stopped.is_set():
            raise RenderStopped("render stopped; nothing was written")
        if self._process.returncode != 0:
            message = errors[-1].removeprefix("error: ") if errors else f"exit code {self._process.returncode}"
            raise ColorizeError(f"render failed: {message}")
        outputs = sorted(self.folder.glob("*_colour.mp4")) if self.clip.kind == "video" else self._pack_frames()
        sheets = len(self.clip.sheets()) if self.sheets else 0
        if sheets:
            self.notes.append(f"with {sheets} model sheet{'s' if sheets > 1 else ''} for the shots no key covers")
        for video in outputs:
            if video.suffix == ".mp4":
                note = playable(video, self.clip.size if self.clip.kind == "video" else None)[1]
                self.notes += [note] if note else []
        return outputs

    def stop(self) -> None:
        """End the render as Ctrl-C would (the child cleans up its partial output)."""
        self._stopped.set()
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGTERM)

    def _run_child(self, on_progress: Callable[[int, int], None]) -> list[str]:
        """Run the child, turning its progress bar (tqdm's `N/M` on stderr) into on_progress calls;
        returns the lines of its stderr that are not progress."""
        self._process = subprocess.Popen(self.command(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                         text=True, errors="replace")
        if self._stopped.is_set():  # stopped while starting
            self._process.send_signal(signal.SIGTERM)
        other: list[str] = []
        for line in _stderr_lines(self._process.stderr):
            counts = _PROGRESS.findall(line)
            if counts:
                on_progress(int(counts[-1][0]), int(counts[-1][1]))
            elif line.strip():
                other.append(line.strip())
        self._process.wait()
        return other

    def _pack_frames(self) -> list[Path]:
        """The coloured frames of a cut as a zip of PNGs and an MP4 at the clip's fps."""
        from colorize.media.encode import write_video

        # output names follow the inputs' (frame_2.jpg -> frame_2.png): order them as the inputs
        order = {p.with_suffix(".png").name: i for i, p in enumerate(self.clip.frames)}
        outputs = sorted((self.folder / "frames").glob("*.png"), key=lambda p: order.get(p.name, len(order)))
        name = f"{cut_name(self.clip.frames)}_colour"
        video = write_video((read_rgb(p) for p in outputs), self.folder / f"{name}.mp4", self.clip.fps, even=True)
        return [_zip(outputs, self.folder / f"{name}.zip"), video]


# tqdm's count: "12/42" (a rate such as "3.2frame/s" has no digit after its slash)
_PROGRESS = re.compile(r"(\d+)/(\d+)")


def _stderr_lines(stream) -> Iterator[str]:
    """A child's stderr line by line as it arrives; a text stream reads tqdm's carriage returns as
    line ends too (universal newlines), so each redraw of the bar is a line."""
    for line in stream:
        yield line.rstrip("\n")


def cut_name(frames: list[Path]) -> str:
    """A name for a cut's outputs: its first frame's name without the frame number (cut01_0001 -> cut01)."""
    return re.sub(r"[\W_]*\d+$", "", frames[0].stem) or "frames"


def _zip(files: list[Path], path: Path) -> Path:
    """The files in one zip (stored: PNGs do not compress further), written under a temporary name."""
    with atomic_path(path) as tmp:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED) as archive:
            for file in files:
                archive.write(file, file.name)
    return path
