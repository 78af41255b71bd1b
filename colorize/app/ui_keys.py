"""The page's paint bucket: the key canvas, the colour picker and palette, fill all, undo, use as key.

The handlers are mixed into colorize.app.ui.Handlers (they need its model and message wrapper); the
work is colorize.app.keying and colorize.app.bucket. The canvas is shown at bucket.display_scale
(small keys enlarged by a whole factor, large ones shrunk), so a click's pixel is mapped back to the key.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import gradio as gr
import numpy as np

import colorize.app.bucket as bucket
import colorize.app.keying as keying
import colorize.app.session as session
from colorize.app.messages import reported
from colorize.errors import ColorizeError
from colorize.images import read_rgb

if TYPE_CHECKING:
    from colorize.engine.model import Colorizer

DEFAULT_COLOUR = "#e05a47"
SWATCH = 28  # px per palette square
MAX_SHEET_SWATCHES = 3 * bucket.PALETTE_SIZE  # the model sheets' colours, all sheets together
NO_SHEETS = ("this model cannot follow model sheets (it was trained without references): it colours from the "
             "line-art alone, so the sheet was not kept")


def canvas_image(paint: bucket.KeyPaint) -> np.ndarray:
    """The key as the page shows it (see bucket.display_scale)."""
    return bucket.display(paint.render(), bucket.display_scale(paint.shape))


def palette_image(swatches: dict | None) -> np.ndarray:
    """The palette strip: the guess's swatches, then the model sheet's."""
    return bucket.swatch_strip(_colours(swatches), SWATCH)


def _colours(swatches: dict | None) -> list[bucket.RGB]:
    swatches = swatches or {}
    return [tuple(c) for c in swatches.get("guess", []) + swatches.get("sheet", [])]


def timeline(clip: session.Clip | None) -> str:
    """The shots, their keys and how well the keys cover them (colorize.app.keying), as text:
    'shot 1 0–20: key 0 · 19 % covered, key 14 next │ shot 2 21–41: no key …, key 33 next'."""
    if clip is None:
        return ""
    keys = clip.keys()
    unkeyed = "*no key (follows the model sheets)*" if clip.sheets() else "*no key (follows its first frame)*"
    covered = {c.first: c for c in keying.shot_coverage(clip, keying.coverage_tables(clip))}
    marks = []
    for number, shot in enumerate(clip.shots(), 1):
        keyed = [p for p in keys if p in shot]
        mark = (f"**shot {number}** {shot.start}–{shot.stop - 1}: "
                + (f"key {', '.join(map(str, keyed))}" if keyed else unkeyed))
        cover = covered.get(shot.start)
        if cover is not None and keyed:
            mark += f" · {cover.covered:.0%} covered"
        if cover is not None and cover.next_key is not None:
            mark += f", key frame {cover.next_key} next" if keyed else f" · key frame {cover.next_key} next"
        marks.append(mark)
    return "Timeline · " + " │ ".join(marks)


def _forget_paints(clip: session.Clip, position: int) -> None:
    """Drop the bucket cached for a key frame (its key changed outside the bucket)."""
    for cached in [k for k in clip.paints if k[0] == position]:
        clip.paints.pop(cached)


class BucketHandlers:
    """Paint-bucket handlers of ui.Handlers (self.model: the loaded Colorizer)."""

    model: "Colorizer"

    def _bucket(self, clip: session.Clip | None, position: int | None, is_lineart: bool
                ) -> tuple[session.Clip, int, bucket.KeyPaint]:
        if clip is None:
            raise ColorizeError("open a clip first (step 1)")
        if position is None:
            raise ColorizeError("pick the keyframe first: scrub to a frame and press 'Key this frame'")
        return clip, int(position), keying.key_paint(clip, int(position), self.model, bool(is_lineart))

    def start_bucket(self, clip: session.Clip, position: int, is_lineart: bool, swatches: dict | None) -> tuple:
        """(canvas, swatches, palette) for a newly taken key frame: its regions, the model's guess as swatches."""
        _, _, paint = self._bucket(clip, position, is_lineart)
        table = keying.model_guess(clip, position, paint, self.model, bool(is_lineart))
        swatches = {"guess": [list(c) for c in bucket.guess_palette(table, paint.regions)],
                    "sheet": (swatches or {}).get("sheet", [])}
        return canvas_image(paint), swatches, palette_image(swatches)

    @reported
    def paint_click(self, clip: session.Clip | None, position: int | None, is_lineart: bool, colour: str,
                    event: gr.SelectData) -> tuple:
        clip, position, paint = self._bucket(clip, position, is_lineart)
        if event is None or event.index is None:
            return gr.skip(), gr.skip()
        x, y = bucket.from_display(event.index[0], event.index[1], bucket.display_scale(paint.shape), paint.shape)
        rgb = bucket.parse_colour(colour or DEFAULT_COLOUR)
        label = paint.fill_at(x, y, rgb)
        return canvas_image(paint), (f"filled region {label} with {bucket.hex_colour(rgb)} — {paint.describe()}; "
                                     "'Use as key' keys the frame")

    @reported
    def fill_from_guess(self, clip: session.Clip | None, position: int | None, is_lineart: bool) -> tuple:
        clip, position, paint = self._bucket(clip, position, is_lineart)
        keying.fill_from_guess(clip, position, paint, self.model, bool(is_lineart))
        return canvas_image(paint), f"every region takes the model's guess — fix any region with a click; {paint.describe()}"

    @reported
    def undo(self, clip: session.Clip | None, position: int | None, is_lineart: bool) -> tuple:
        clip, position, paint = self._bucket(clip, position, is_lineart)
        said = "undone" if paint.undo() else "nothing to undo"
        return canvas_image(paint), f"{said} — {paint.describe()}"

    @reported
    def use_painted_key(self, clip: session.Clip | None, position: int | None, is_lineart: bool) -> tuple:
        """Write the painted key into the clip's keys, as an uploaded key (the timeline is updated by ui)."""
        clip, position, paint = self._bucket(clip, position, is_lineart)
        if not getattr(self.model, "takes_reference", True):
            raise ColorizeError("this model cannot follow keyframes (it was trained without references)")
        key = keying.use_as_key(clip, position, paint)
        return str(key), str(key), f"keyframe: frame {position}, painted with the bucket ({paint.describe()})"

    @reported
    def pick_swatch(self, swatches: dict | None, event: gr.SelectData) -> Any:
        colour = bucket.swatch_at(_colours(swatches), event.index[0], SWATCH) if event and event.index else None
        return bucket.hex_colour(colour) if colour is not None else gr.skip()

    @reported
    def load_sheet(self, clip: session.Clip | None, sheet: str | None, swatches: dict | None) -> tuple:
        """A model sheet joins the clip's (session.add_sheet: the preview and the render follow them where no
        key covers a shot) and its main colours join the palette; (swatches, palette, message, timeline)."""
        if not sheet:
            return gr.skip(), gr.skip(), gr.skip(), gr.skip()
        if clip is None:
            raise ColorizeError("open a clip first (step 1): a model sheet is kept with its clip")
        if not getattr(self.model, "takes_reference", True):
            raise ColorizeError(NO_SHEETS)
        path = sheet if isinstance(sheet, str) else getattr(sheet, "name", str(sheet))
        colours = bucket.sheet_palette(read_rgb(path))
        session.add_sheet(clip, path)
        had = [list(c) for c in (swatches or {}).get("sheet", [])]
        merged = (had + [list(c) for c in colours if list(c) not in had])[:MAX_SHEET_SWATCHES]
        swatches = {"guess": (swatches or {}).get("guess", []), "sheet": merged}
        return swatches, palette_image(swatches), sheets_note(clip), timeline(clip)

    @reported
    def clear_sheets(self, clip: session.Clip | None, swatches: dict | None) -> tuple:
        """Forget the clip's model sheets and their swatches."""
        if clip is not None:
            session.remove_sheets(clip)
        swatches = {"guess": (swatches or {}).get("guess", []), "sheet": []}
        return (swatches, palette_image(swatches), "model sheets cleared: a shot without a key follows its first frame",
                timeline(clip))


def sheets_note(clip: session.Clip) -> str:
    """The clip's model sheets in one line for the page."""
    count = len(clip.sheets())
    added = "model sheet added" if count == 1 else f"model sheet added to the other {count - 1} ({count} in all)"
    return (f"{added}: in preview and render, a shot no key covers follows "
            f"{'it' if count == 1 else 'them'}; {'its' if count == 1 else 'their'} colours are in the palette")


def bucket_controls() -> dict[str, gr.components.Component]:
    """The bucket's controls, laid out where they are called (inside column 2 of ui.build)."""
    with gr.Row():
        colour = gr.ColorPicker(value=DEFAULT_COLOUR, label="Colour", elem_id="bucket-colour", scale=1, min_width=90)
        palette = gr.Image(value=palette_image(None), label="Palette: click a swatch", format="png",
                           interactive=False, height=56, elem_id="palette", scale=3, buttons=[])
        with gr.Column(scale=1, min_width=90):
            sheet = gr.UploadButton("Model sheet…", file_types=["image"], elem_id="model-sheet", size="sm",
                                    min_width=90)
            clear_sheets = gr.Button("Clear sheets", elem_id="clear-sheets", size="sm", min_width=90)
    with gr.Row():
        fill_all = gr.Button("Fill all from the guess", elem_id="fill-guess", size="sm", min_width=90, scale=2)
        undo = gr.Button("Undo", elem_id="bucket-undo", size="sm", min_width=60, scale=1)
        use = gr.Button("Use as key", elem_id="use-key", size="sm", variant="primary", min_width=90, scale=2)
    return {"colour": colour, "palette": palette, "sheet": sheet, "clear_sheets": clear_sheets, "fill_all": fill_all,
            "undo": undo, "use": use}
