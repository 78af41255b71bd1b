"""The public Python API, re-exported by `colorize` itself (`import colorize; colorize.colorize_image(...)`).

    model = colorize.load_model()                                  # the shipped model, loaded once
    colour = colorize.colorize_image("frame.png", model)           # H x W x 3 uint8 RGB
    colour = colorize.colorize_image(drawing, model, reference=key, lineart=True)
    colorize.colorize_video("clip.mp4", "colour.mp4", model, reference="key.png")
    colorize.colorize_folder("cut01/", "colour/", model, references="keys/")
    lines = colorize.draw_lineart("frame.png", method="ink")       # H x W uint8, 255 = paper

Images in and out are numpy arrays, H x W x 3 uint8 **RGB** (H x W uint8 accepted for line-art and
gray), or paths of image files. The video and folder functions take the options of `colorize video`
and `colorize frames` (the CLI calls these same functions) and leave their work to the jobs in
colorize.jobs.colorize. Heavy modules (torch, the networks) load on first use, not on `import colorize`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Literal, Union

import numpy as np

from colorize.engine.sizes import parse_working_size
from colorize.errors import InputError
from colorize.jobs.colorize.options import DEFAULTS as _D

if TYPE_CHECKING:
    import PIL.Image

    from colorize.engine.model import Colorizer
    from colorize.jobs.colorize.run import FolderSummary

#: An image as an H x W x 3 uint8 RGB (or H x W uint8) array, a PIL image, or the path of an image file.
ImageLike = Union[np.ndarray, "PIL.Image.Image", str, os.PathLike]
#: A model loaded with `load_model`, the path of a generator file, or None for the shipped model.
ModelLike = Union["Colorizer", str, os.PathLike, None]

__all__ = ["load_model", "colorize_image", "colorize_video", "colorize_folder", "lineart", "draw_lineart"]


def load_model(path: str | os.PathLike | None = None, device: str = "auto", lineart: bool = False,
               **settings: Any) -> "Colorizer":
    """Load a generator file once and return the colorizer that applies it (pass it as `model=`).

    path: a `.safetensors` generator or a training checkpoint; None loads the shipped model for the
    input: the drawings model when `lineart` (an artist's line-art will be given), else the default.
    device: "auto" (CUDA when available), "cpu", "cuda" or "cuda:N".
    settings: precision ("bf16" | "fp16" | "fp32", GPU only), tile, tile_overlap, max_pixels, backend
    ("auto" | "torch" | "onnxruntime" | "openvino": where the generator runs on the CPU; `colorize_video`
    and `colorize_folder` take it too) (see colorize.engine.model.Colorizer). InputError for a
    missing or unusable file.
    """
    from colorize.images import IMAGE_SUFFIXES
    from colorize.engine.model import Colorizer

    if path is not None and not isinstance(path, (str, os.PathLike)):
        raise InputError(f"model must be the path of a generator file or None (the shipped model); "
                         f"got {_kind(path)}")
    if path is not None and Path(path).suffix.lower() in IMAGE_SUFFIXES and Path(path).is_file():
        raise InputError(f"{path} is an image, not a model file: give a .safetensors generator or a training "
                         f"checkpoint (None: the shipped model)")
    return Colorizer.from_file(path, device=device, lineart=lineart, **settings)


def _colorizer(model: ModelLike, device: str = "auto", lineart: bool = False) -> "Colorizer":
    from colorize.engine.model import Colorizer

    return model if isinstance(model, Colorizer) else load_model(model, device, lineart=lineart)


def _read_image(image: ImageLike, what: str = "image") -> np.ndarray:
    """An ImageLike as H x W x 3 (or H x W) uint8; InputError naming what was given and what is expected.

    A PIL image is converted as its mode says (gray "L" stays H x W; RGBA, palette and 16-bit become RGB)."""
    if isinstance(image, (str, os.PathLike)):
        from colorize.images import read_rgb

        path = Path(image)
        if path.is_dir():
            raise InputError(f"{what} {path} is a folder, not an image file (colorize_folder colours a folder)")
        if path.exists() and not path.is_file():
            raise InputError(f"{what} {path} is not a regular file (a device or a pipe), not an image file")
        return read_rgb(path)
    if _is_pil(image):
        image = np.array(image if image.mode in ("L", "RGB") else image.convert("RGB"))  # a writable copy
    if not isinstance(image, np.ndarray):
        raise InputError(f"{what} must be a path, a numpy array or a PIL image; got {_kind(image)}")
    if image.dtype != np.uint8 or not (image.ndim == 2 or (image.ndim == 3 and image.shape[2] == 3)) \
            or min(image.shape[:2]) < 1:
        raise InputError(f"{what} must be an H x W x 3 uint8 RGB array or an H x W uint8 array; got a "
                         f"{image.dtype} array of shape {image.shape}")
    return image


def _is_pil(image: Any) -> bool:
    """True for a PIL image (without importing PIL when the caller never did)."""
    import sys

    pil = sys.modules.get("PIL.Image")
    return pil is not None and isinstance(image, pil.Image)


def _a(name: str) -> str:
    return f"an {name}" if name[:1].lower() in "aeiou" else f"a {name}"


def _kind(value: Any) -> str:
    """What a wrong argument is, for messages: 'a numpy array', 'a dict', 'an int'."""
    return "a numpy array" if isinstance(value, np.ndarray) else _a(type(value).__name__)


def colorize_image(image_or_path: ImageLike, model: ModelLike = None, reference: ImageLike | None = None,
                   lineart: bool = False, size: int | str | None = None, paint: str = _D["paint"],
                   lines: str = _D["lines"]) -> np.ndarray:
    """Colorize one image; returns H x W x 3 uint8 RGB of the input's size.

    image_or_path: a colour or gray image (its line-art is drawn with the model's recipe) or, with
        `lineart=True`, line-art (dark lines on light paper; light lines on a dark ground are inverted,
        a drawing heavy with solid blacks is not: colorize.lineart.polarity).
    model: from `load_model` (load once, reuse), a generator path, or None for the shipped model
        (for `lineart=True` the drawings model; see load_model).
    reference: a colour keyframe, H x W x 3 uint8 RGB or a path (reference-guided models such as the
        shipped one): a colouring of this drawing, or of one close to it, whose colours the result
        takes, as a keyframe does in `colorize_video` (resized to the image when its size differs).
    size: working resolution, the longer side in pixels the generator sees; the colour is put back at
        full size under the full-resolution lines. None: the default (384); 0 or "full": full resolution.
    paint, lines: ink and paint, as for `colorize_video` ("auto": flat paint per closed region and the
        drawing's own lines in black for line-art input; with a `reference`, free paint under the
        drawing's lines in the reference's line colours; the model's colour as it is for a colour
        image). For line-art without a `reference`, flat and shaded
        paint leave the paper around a drawing on paper white and keep 0.7 of the model's guessed
        chroma, less where its hues within a region disagree (colorize.cel.CelConfig.surround,
        .chroma, .doubt).
    """
    import torch

    from colorize.cel import cel_config, render_cel
    from colorize.engine.model import tensor_to_uint8, uint8_to_tensor
    from colorize.media.frames import resize_to

    colorizer = _colorizer(model, lineart=lineart)
    image = _read_image(image_or_path)
    cel = cel_config(paint, lines, lineart, keyed=reference is not None)  # checked before the model runs
    drawn = colorizer.lineart_of(image[None], lineart)
    guide = None
    if reference is not None:
        key = _read_image(reference, "reference")
        key = np.repeat(key[..., None], 3, axis=2) if key.ndim == 2 else key
        key = resize_to(key, (image.shape[1], image.shape[0]))
        # as for a video keyframe: the key colours this drawing, so its line-art is the drawing's
        guide = torch.cat([uint8_to_tensor(key[None], colorizer.device), drawn], dim=1)
    colour = tensor_to_uint8(colorizer.colorize_batch(drawn, guide, size=working_size(size)))[0]
    return render_cel(colour, tensor_to_uint8(drawn)[0, ..., 0], cel)


def colorize_video(input: str | os.PathLike, output: str | os.PathLike, model: ModelLike = None,
                   reference: str | os.PathLike | None = None, references: str | os.PathLike | None = None,
                   smooth: float = _D["smooth"], *, self_reference: bool = _D["self_reference"],
                   temporal: bool | None = _D["temporal"], lineart: bool = _D["lineart"],
                   side_by_side: bool = _D["side_by_side"], device: str = _D["device"],
                   batch_size: int = _D["batch_size"], size: int | str | None = None, backend: str = _D["backend"],
                   precision: str = _D["precision"], tile: int = _D["tile"], crf: int = _D["crf"],
                   preset: str = _D["preset"], even: bool = _D["even"], paint: str = _D["paint"],
                   lines: str = _D["lines"], sheet: Iterable[str | os.PathLike] = _D["sheet"],
                   **settings: Any) -> Path:
    """Colorize video `input` into MP4 `output` (frame count, fps, size and audio kept); returns `output`.

    The keywords are the options of `colorize video` (colorize.jobs.colorize.options.ColorizeOptions,
    which declares them and their defaults). model: as for `colorize_image`. reference: colour
    keyframe of frame 0; references: folder of keyframes named by frame number (000120.png colours
    frame 120 on, until the next cut or key). smooth: temporal smoothing in [0, 1). self_reference:
    a shot without a keyframe keeps its first output's colours. temporal: carry colours along the
    motion (None: on for reference-guided models). lineart: the video is line-art already.
    side_by_side: write line-art | colour | original. size: working resolution, as for
    `colorize_image`. backend, precision, tile: where and how the generator runs. crf, preset: x264.
    even: an odd width or height gets one black pixel column / row (right / bottom) and the video
    is 4:2:0, which every player decodes (default: the size kept exactly, 4:4:4 when a side is odd).
    paint: "flat" (one colour per closed region of the line-art), "shaded" (flat + the model's soft
    shading) or "free" (the model's colour per pixel); lines: "keep" (the line-art's own lines over
    the paint, black), "colour" (the same lines in the colours the keys give them) or "drop"; "auto"
    (both): flat + keep for line-art input (free + colour when keys or sheets colour it), free + drop
    for colour video.
    sheet: model sheet images or folders of them, followed by shots no keyframe covers.
    settings: the remaining ColorizeOptions fields (queue_size, tile_overlap, max_pixels). The
    output appears only complete.
    """
    from colorize.jobs.colorize import run

    colorizer, path = _model_and_path(model, size)
    options = run.ColorizeOptions(model=path, device=device, batch_size=batch_size, lineart=lineart,
                                  size=working_size(size), side_by_side=side_by_side, smooth=smooth,
                                  reference=_path(reference), references=_path(references),
                                  self_reference=self_reference, temporal=temporal, backend=backend,
                                  precision=precision, tile=tile, crf=crf, preset=preset, even=even, paint=paint,
                                  lines=lines, sheet=_paths(sheet), **settings)
    return run.colorize_video(input, output, options, colorizer)


def colorize_folder(input: str | os.PathLike, output: str | os.PathLike, model: ModelLike = None,
                    reference: str | os.PathLike | None = None, references: str | os.PathLike | None = None,
                    *, shots: bool = _D["shots"], self_reference: bool = _D["self_reference"],
                    temporal: bool | None = _D["temporal"], lineart: bool = _D["lineart"],
                    device: str = _D["device"], batch_size: int = _D["batch_size"],
                    size: int | str | None = None, backend: str = _D["backend"], precision: str = _D["precision"],
                    tile: int = _D["tile"], paint: str = _D["paint"], lines: str = _D["lines"],
                    sheet: Iterable[str | os.PathLike] = _D["sheet"],
                    **settings: Any) -> "FolderSummary":
    """Colorize every image below folder `input` into `output` (same relative paths, PNG); resumable.

    The keywords are the options of `colorize frames` (ColorizeOptions declares them). With a
    reference-guided model each folder is a sequence in natural frame order (frame_2 before
    frame_10), coloured like a video: shots detected within it (`shots`), keyframes by the frame
    number in their names (`reference`: every sequence's first frame; `references`: DIR, or
    DIR/<subfolder> per subfolder), self-reference, and the temporal mode (`temporal`: colours
    carried along the motion; None: on for reference-guided models, as in `colorize_video`).
    Finished outputs are kept; a rerun resumes at the shot of the first missing frame. size: working
    resolution, as for `colorize_image`; backend, precision, tile, paint, lines, sheet as for `colorize_video`.
    Returns a
    FolderSummary (assigned, written, skipped).
    """
    from colorize.jobs.colorize import run

    colorizer, path = _model_and_path(model, size)
    options = run.ColorizeOptions(model=path, device=device, batch_size=batch_size, lineart=lineart,
                                  size=working_size(size), reference=_path(reference), references=_path(references),
                                  self_reference=self_reference, shots=shots, temporal=temporal, backend=backend,
                                  precision=precision, tile=tile, paint=paint, lines=lines,
                                  sheet=_paths(sheet), **settings)
    return run.colorize_folder(input, output, options, colorizer)


def lineart(image_or_path: ImageLike, method: Literal["canny", "ink"] = "canny", **settings: Any) -> np.ndarray:
    """Line-art of a colour image: H x W uint8, 255 = paper, 0 = ink (what the models are trained on).

    method: "canny" (edges of the colour image) or "ink" (dark pixels plus colour boundaries without
    ink). settings: the other fields of colorize.lineart.recipes.LineArtConfig (sigma, low, high,
    thickness, ...).
    """
    from colorize.lineart.recipes import LineArtConfig, lineart_numpy

    return lineart_numpy(_read_image(image_or_path), LineArtConfig(method=method, backend="opencv", **settings))


# The package re-exports `lineart` under this name: `colorize.lineart` is the subpackage of recipes,
# and importing it (as the jobs do) would replace a function of that name on the package.
draw_lineart = lineart


def _model_and_path(model: ModelLike, size: int | str | None) -> tuple["Colorizer | None", Path | None]:
    """A loaded model is used with its settings but this call's working size (a shallow copy: the
    caller's model is not changed); a path is loaded by the job (with its settings)."""
    import copy

    from colorize.engine.model import Colorizer

    if isinstance(model, Colorizer):
        model = copy.copy(model)
        model.size = working_size(size)
        return model, None
    return None, _path(model)


#: The one working-size parser (None: the default 384; "full" or 0: full resolution).
working_size = parse_working_size


def _path(value: str | os.PathLike | None) -> Path | None:
    if value is not None and not isinstance(value, (str, os.PathLike)):
        raise InputError(f"reference, references and model take paths here (a keyframe image file, a folder of "
                         f"them, a generator file); got {_kind(value)} -- write an array to an image "
                         f"file first (colorize_image takes arrays)")
    return None if value is None else Path(value)


def _paths(values: str | os.PathLike | Iterable[str | os.PathLike]) -> tuple[Path, ...]:
    """One path or several as a tuple of Paths (a lone str or PathLike is one path, not its letters)."""
    if isinstance(values, (str, os.PathLike)):
        return (Path(values),)
    return tuple(Path(v) for v in values)
