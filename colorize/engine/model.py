"""Line-art in, colour out: the trained generator applied to frames, batched, on any device.

    colorizer = Colorizer.from_file("generator.safetensors", device="auto")
    colour = colorizer.colorize_batch(lineart)            # B x 1 x H x W [0,1] -> B x 3 x H x W [0,1]
    for frame in colorizer.colorize_frames(iter_frames("clip.mp4"), is_lineart=False):
        ...                                               # Frame(index, time, H x W x 3 uint8 RGB)

Inputs are either colour frames (their line-art is drawn first with the recipe stored in the model's
metadata, exactly as at training time) or line-art already (`is_lineart=True`: dark lines on light
paper; light-on-dark images are inverted automatically). Any size works: frames are padded to the
network's stride and cropped back, and frames above a pixel budget go through overlapping tiles
(see colorize.engine.tiling). With a working size (`size` > 0) frames whose longer side is
above it are colorized downscaled and their colour is put back under the full-resolution lines
(colorize.engine.upsample): much faster at video sizes, for a small quality cost. The generator runs in eval mode (dropout at test time makes video
flicker) under torch.inference_mode, with autocast on GPU, through a backend (`backend`: eager torch,
ONNX Runtime or OpenVINO on the CPU; "auto" picks the fastest installed, see
colorize.engine.backends).

Video frames stream through `iter_colorized` as uint8 arrays: line-art is drawn (or taken from
`Frame.lineart`, drawn by `draw_lineart` in another thread), scaled to the working size, coloured,
and put back under the full-resolution lines without a full-resolution float tensor; a shot's
reference (keyframe or own first output) is encoded once at the working size and reused for every
frame of the shot.

The colour stream and the video and folder jobs built on this live in colorize.jobs.colorize.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Sequence

import numpy as np
import torch
from torch import nn

from colorize import resources
from colorize.errors import InputError
from colorize.engine.backends import ReferenceCode, TorchBackend, check_backend, make_backend
from colorize.engine.sizes import DEFAULT_MAX_PIXELS, DEFAULT_TILE, DEFAULT_TILE_OVERLAP
from colorize.engine.tiling import crop, pad_to_multiple, tiled_apply
from colorize.engine.upsample import line_guided_upsample, working_size
from colorize.lineart.polarity import light_on_dark
from colorize.media.frames import batch_by_size
from colorize.runtime import Precision, autocast, prepare_module, resolve_device, to_device



def resolve_model_path(model: str | os.PathLike | None, lineart: bool = False) -> Path:
    """The model file to load: `model` if given, else the shipped one for the input (the drawings
    model for line-art input when it is installed, the default model otherwise); InputError if it
    is missing."""
    if model is not None:
        path = Path(model)
        if not path.is_file():
            raise InputError(f"model file not found: {path}")
        return path
    drawings = resources.drawings_model_path()
    if lineart and drawings.is_file():
        return drawings
    path = resources.default_model_path()  # shipped in the package (colorize/assets/model/)
    if not path.is_file():
        raise InputError(f"no --model given and the default model {path} is missing "
                         f"(train one with `colorize train` or pass --model FILE)")
    return path


@dataclass(frozen=True)
class ColorizedFrame:
    """One frame through the colorizer: the source Frame, its line-art (H x W uint8, 255 = paper) and
    the colour result (H x W x 3 uint8 RGB). Whether it starts a shot is `source.cut`.

    `key_reach`: H x W float32 in [0, 1], how surely each pixel's colour was carried from a keyframe
    (1 on a key's frame, falling where the motion from the keys is lost: content that enters or is
    uncovered after the key; set by colorize.filters.keyed); None where no key colours the frame."""

    source: object  # colorize.media.frames.Frame (or anything with .image)
    lineart: np.ndarray
    colour: np.ndarray
    key_reach: np.ndarray | None = None


class Colorizer:
    """A loaded generator plus everything needed to apply it to frames of any size.

    `generator` maps B x 1 x H x W line-art in [-1, 1] (1 = paper) to B x 3 x H x W colour in [-1, 1];
    H and W must be multiples of `stride`. `lineart_config` (a LineArtConfig) draws line-art from
    colour input; without it only line-art input is accepted. `tile` > 0 forces tiles of that size;
    0 tiles only frames above `max_pixels`. `size` > 0 runs the generator on frames scaled so their
    longer side is at most `size` (0: full resolution; the library default, the jobs pass their own).
    `backend`: where the generator runs ("auto", "torch", "onnxruntime", "openvino"; see
    colorize.engine.backends), built on first use (an exported runtime may export the model
    once, cached on disk). `precision`: autocast on GPU; on the CPU only OpenVINO uses it (bf16 where
    the CPU computes bf16 natively), torch and ONNX Runtime compute in fp32.
    """

    def __init__(self, generator: nn.Module, device: torch.device | str = "cpu", stride: int = 1,
                 lineart_config=None, precision: Precision = "bf16", tile: int = 0,
                 tile_overlap: int = DEFAULT_TILE_OVERLAP, max_pixels: int = DEFAULT_MAX_PIXELS, size: int = 0,
                 backend: str = "auto"):
        if tile < 0 or tile_overlap < 0 or max_pixels < 1 or size < 0:
            raise ValueError("tile, tile_overlap and size must be >= 0 and max_pixels >= 1")
        self.device = resolve_device(device)
        # eval(): no dropout (flicker) and BatchNorm's running statistics, so frames are independent.
        # channels_last (CUDA only) lets cuDNN pick its fastest convolution kernels.
        self.generator = prepare_module(generator, self.device, channels_last=True).eval().requires_grad_(False)
        self.stride = max(1, int(stride))
        self.lineart_config = lineart_config
        self.precision = precision
        self.tile = tile
        self.tile_overlap = tile_overlap
        self.max_pixels = max_pixels
        self.size = size
        self.backend_name = check_backend(backend)
        self._backend: TorchBackend | None = None

    @property
    def backend(self) -> TorchBackend:
        """The runtime the generator runs on, made on first use (see colorize.engine.backends)."""
        if self._backend is None:
            self._backend = make_backend(self.generator, self.backend_name, self.device, self.precision)
        return self._backend

    @classmethod
    def from_file(cls, model: str | os.PathLike | None = None, device: torch.device | str = "auto",
                  lineart: bool = False, **settings) -> "Colorizer":
        """Load a generator file once, with its stride and recipe. `model` None: the shipped model
        for the input (`lineart`: an artist's line-art is given; see resolve_model_path)."""
        from colorize.nets.files import load_generator

        path = resolve_model_path(model, lineart)
        dev = resolve_device(device)
        net, meta = load_generator(path, dev)
        stride = int(meta.get("stride") or getattr(net, "stride", 1))
        return cls(net, dev, stride=stride, lineart_config=_lineart_config(meta, path), **settings)

    # ------------------------------------------------------------------------------ tensors

    @property
    def takes_reference(self) -> bool:
        """True when the generator accepts a colour reference (a reference-guided model)."""
        return bool(getattr(self.generator, "takes_reference", False))

    def check_takes_reference(self) -> None:
        """InputError unless the generator accepts a colour reference."""
        if not self.takes_reference:
            raise InputError("this model takes no colour reference (train one with [reference] "
                             "enabled = true, or use the default model)")

    def _forward(self, inputs: torch.Tensor) -> torch.Tensor:
        """B x C x h x w [0,1] (h, w multiples of the stride) -> B x 3 x h x w float32 [0,1].

        C = 1: line-art alone. C = 5: line-art, reference colour (3), reference line-art, stacked so
        that padding and tiling cut the frame and its reference identically; the reference is the
        same for every frame of the batch (colorize_batch's contract), so the first one is encoded.
        The same core as the uint8 path: encode_reference, then _run.
        """
        code = self.encode_reference(inputs[:1, 1:5]) if inputs.shape[1] == 5 else None
        return self._run(inputs[:, :1], code)

    def _forward_padded(self, lineart: torch.Tensor) -> torch.Tensor:
        """_forward for any h, w: pad to the stride, run, crop back."""
        padded, (h, w) = pad_to_multiple(lineart, self.stride)
        return crop(self._forward(padded), h, w)

    def needs_tiles(self, height: int, width: int) -> bool:
        """True when frames of this size go through tiles (forced, or above the pixel budget)."""
        return self.tile > 0 or height * width > self.max_pixels

    @torch.inference_mode()
    def colorize_batch(self, lineart: torch.Tensor, reference: torch.Tensor | None = None,
                       size: int | None = None) -> torch.Tensor:
        """B x 1 x H x W line-art in [0,1] (1 = paper), any H and W -> B x 3 x H x W colour in [0,1].

        `reference` (reference-guided models only): 1 x 4 x H x W, a colour keyframe (3 channels) and
        its line-art, in [0,1], used for every frame of the batch. The result is on this colorizer's
        device. Large batches are split so one forward pass stays under the pixel budget; frames
        above it (or every frame, with `tile` set) are tiled, the reference with them. `size` (None:
        this colorizer's) is the working size: larger frames, and the reference with them, are
        colorized downscaled and upsampled under their full-resolution lines.
        """
        if lineart.dim() != 4 or lineart.shape[1] != 1:
            raise ValueError(f"expected B x 1 x H x W line-art, got shape {tuple(lineart.shape)}")
        x = lineart.to(self.device, torch.float32)
        if reference is not None:
            self.check_takes_reference()
            if reference.shape != (1, 4, *x.shape[-2:]):
                raise ValueError(f"expected a 1 x 4 x {x.shape[-2]} x {x.shape[-1]} reference, "
                                 f"got {tuple(reference.shape)}")
            x = torch.cat([x, reference.to(self.device, torch.float32).expand(x.shape[0], -1, -1, -1)], 1)
        small = working_size(*x.shape[-2:], self.size if size is None else size)
        if small != tuple(x.shape[-2:]):
            return self._colorize_small(x, small)
        return self._colorize_full(x)

    def _colorize_small(self, x: torch.Tensor, small: tuple[int, int]) -> torch.Tensor:
        """B x C x H x W inputs (line-art first) -> B x 3 x H x W colour computed at `small` = (h, w).

        Area downscaling keeps thin lines as lighter strokes rather than dropping them; the colour
        comes back up under the full-resolution line-art (line_guided_upsample), on the CPU.
        """
        colour = self._colorize_full(nn.functional.interpolate(x, size=small, mode="area"))
        colour = colour.permute(0, 2, 3, 1).float().cpu().numpy()
        lines = tensor_to_uint8(x[:, :1])[..., 0]
        full = np.stack([line_guided_upsample(c, g) for c, g in zip(colour, lines)])
        return torch.from_numpy(full).to(self.device).permute(0, 3, 1, 2).clamp_(0.0, 1.0)

    def _colorize_full(self, x: torch.Tensor) -> torch.Tensor:
        """B x C x H x W inputs -> B x 3 x H x W colour at their own size: tiled or in batches."""
        h, w = x.shape[-2:]
        if self.needs_tiles(h, w):
            tile = self.tile or DEFAULT_TILE
            return torch.cat([tiled_apply(self._forward, x[i:i + 1], tile, self.tile_overlap, self.stride)
                              for i in range(x.shape[0])])
        per_pass = max(1, self.max_pixels // (h * w))
        return torch.cat([self._forward_padded(x[i:i + per_pass]) for i in range(0, x.shape[0], per_pass)])

    @torch.inference_mode()
    def lineart_of(self, images: np.ndarray, is_lineart: bool) -> torch.Tensor:
        """B x H x W x 3 (or B x H x W) uint8 images -> B x 1 x H x W line-art [0,1] (1 = paper) on the device.

        Line-art input is made gray and inverted where it is light on dark. Colour input goes through
        the model's line-art recipe with the backend it names ("auto": OpenCV on the CPU, where it is
        far faster, kornia on a GPU; the two draw the same lines).
        """
        if is_lineart:
            return normalize_lineart(uint8_to_tensor(images, self.device))
        if self.lineart_config is None:
            raise InputError("the model file stores no line-art recipe, so it can only colorize line-art "
                             "input (pass --lineart with line-art frames)")
        from colorize.lineart.recipes import choose_backend, lineart_numpy, lineart_tensor

        if choose_backend(self.lineart_config, self.device) == "opencv":
            drawn = np.stack([lineart_numpy(image, self.lineart_config) for image in images])
            return uint8_to_tensor(drawn, self.device)
        batch = uint8_to_tensor(images, self.device)
        if batch.shape[1] == 1:  # gray colour frames
            batch = batch.expand(-1, 3, -1, -1)
        return lineart_tensor(batch, self.lineart_config).clamp(0.0, 1.0)

    # ------------------------------------------------------------------------------- frames

    def lineart_arrays(self, images: np.ndarray, is_lineart: bool) -> np.ndarray:
        """B x H x W x 3 (or B x H x W) uint8 images -> B x H x W uint8 line-art (255 = paper), as
        lineart_of draws it (the OpenCV recipe directly in uint8, without a tensor round trip)."""
        if not is_lineart and self.lineart_config is not None:
            from colorize.lineart.recipes import choose_backend, lineart_numpy

            if choose_backend(self.lineart_config, self.device) == "opencv":
                return np.stack([lineart_numpy(image, self.lineart_config) for image in images])
        return tensor_to_uint8(self.lineart_of(images, is_lineart))[..., 0]

    def draw_lineart(self, frames: Iterable, is_lineart: bool) -> Iterator:
        """Frames (media.frames.Frame) with `.lineart` drawn, one by one: run it in another thread
        (media.threads.prefetch) and the line-art is drawn while the generator works."""
        for frame in frames:
            yield dataclasses.replace(frame, lineart=self.lineart_arrays(frame.image[None], is_lineart)[0])

    @torch.inference_mode()
    def colour_arrays(self, lines: np.ndarray, reference: "Reference | None" = None) -> np.ndarray:
        """B x H x W uint8 line-art (255 = paper) -> B x H x W x 3 uint8 RGB colour.

        Equal to colorize_batch on the same inputs (up to float rounding), but at a working size the
        colour goes from the generator's size to uint8 under the full-resolution lines without a
        full-resolution float tensor, and `reference` (a Reference: one for all frames) is encoded
        once per working shape and kept.
        """
        height, width = lines.shape[1:]
        small = working_size(height, width, self.size)
        if small == (height, width) and self.needs_tiles(height, width):
            # tiles cut the reference with each tile: nothing to keep between batches
            ref = reference.tensor(self.device) if reference is not None else None
            return tensor_to_uint8(self.colorize_batch(uint8_to_tensor(lines, self.device), ref, size=0))
        x = _scaled(uint8_to_tensor(lines, self.device), small)
        code = reference.code(self, small) if reference is not None else None
        per_pass = max(1, self.max_pixels // (small[0] * small[1]))
        colour = torch.cat([self._run(x[i:i + per_pass], code) for i in range(0, x.shape[0], per_pass)])
        if small == (height, width):
            return tensor_to_uint8(colour)
        colour = colour.permute(0, 2, 3, 1).mul_(255.0).cpu().numpy()  # 0..255 float, rounded once below
        return np.stack([line_guided_upsample(c, g, out_dtype=np.uint8) for c, g in zip(colour, lines)])

    def _run(self, x: torch.Tensor, code: ReferenceCode | None) -> torch.Tensor:
        """B x 1 x h x w [0,1] line-art -> B x 3 x h x w [0,1] colour, padded to the stride and back."""
        padded, (h, w) = pad_to_multiple(x, self.stride)
        with autocast(self.device, self.precision):
            out = self.backend.run(to_device(padded * 2.0 - 1.0, self.device, channels_last=True), code)
        return crop(((out.float() + 1.0) * 0.5).clamp_(0.0, 1.0), h, w)

    def encode_reference(self, reference: torch.Tensor) -> ReferenceCode:
        """1 x 4 x h x w [0,1] (colour, line-art) at the size the frames will have -> its ReferenceCode."""
        padded, _ = pad_to_multiple(reference.to(self.device, torch.float32), self.stride)
        x = to_device(padded * 2.0 - 1.0, self.device, channels_last=True)
        with torch.inference_mode(), autocast(self.device, self.precision):
            return self.backend.encode_reference(x[:, :3], x[:, 3:4])

    def colorize_arrays(self, images: Sequence[np.ndarray], is_lineart: bool
                        ) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Same-size H x W x 3 (or H x W) uint8 images -> (line-art H x W uint8 list, colour H x W x 3 uint8 list)."""
        lines = self.lineart_arrays(np.stack(images), is_lineart)
        return list(lines), list(self.colour_arrays(lines))

    def iter_colorized(self, frames: Iterable, is_lineart: bool, batch_size: int = 4) -> Iterator[ColorizedFrame]:
        """Stream ColorizedFrames for `frames` (objects with an H x W x 3 uint8 RGB `.image`), in order,
        every frame alone (no reference; colorize.jobs.colorize.stream follows keyframes and shots).

        Consecutive frames of the same size are batched (up to `batch_size`), so mixed-size folders
        work and a video's frames go through the device `batch_size` at a time. A frame's `.lineart`
        (H x W uint8, from draw_lineart) is used when present, else the line-art is drawn here.
        """
        for group in batch_by_size(frames, batch_size):
            lines = self.group_lineart(group, is_lineart)
            for frame, line, col in zip(group, lines, self.colour_arrays(lines)):
                yield ColorizedFrame(frame, line, col)

    def group_lineart(self, group: list, is_lineart: bool) -> np.ndarray:
        """B x H x W uint8 line-art of a batch: the frames' own `.lineart` if they all have it."""
        drawn = [getattr(f, "lineart", None) for f in group]
        if all(d is not None for d in drawn):
            return np.stack(drawn)
        return self.lineart_arrays(np.stack([f.image for f in group]), is_lineart)

    def colorize_frames(self, frames: Iterable, is_lineart: bool, batch_size: int = 4) -> Iterator:
        """Frames in, Frames out: the same index and time, the image replaced by its colorization."""
        from colorize.media.frames import Frame

        for item in self.iter_colorized(frames, is_lineart, batch_size):
            yield Frame(index=item.source.index, time=item.source.time, image=item.colour)


# ------------------------------------------------------------------------------------ helpers

class Reference:
    """A shot's reference: its colour (H x W x 3 uint8 RGB) and line-art (H x W uint8) at full size,
    with its encoding kept per working shape, so a shot's frames share one encoder pass."""

    def __init__(self, colour: np.ndarray, lineart: np.ndarray):
        self.colour, self.lineart = colour, lineart
        self._codes: dict[tuple[int, int], ReferenceCode] = {}

    def tensor(self, device: torch.device) -> torch.Tensor:
        """1 x 4 x H x W [0,1]: colour and line-art, as colorize_batch takes a reference."""
        return torch.cat([uint8_to_tensor(self.colour[None], device), uint8_to_tensor(self.lineart[None], device)], 1)

    def code(self, colorizer: Colorizer, size: tuple[int, int]) -> ReferenceCode:
        """The reference scaled to `size` = (h, w) (as the frames are) and encoded, once per size."""
        if size not in self._codes:
            self._codes[size] = colorizer.encode_reference(_scaled(self.tensor(colorizer.device), size))
        return self._codes[size]


def _scaled(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """B x C x H x W -> B x C x h x w, `size` = (h, w), by area averaging (thin lines stay as lighter
    strokes rather than vanish); unchanged when already that size."""
    if tuple(x.shape[-2:]) == tuple(size):
        return x
    return nn.functional.interpolate(x, size=size, mode="area")


def _lineart_config(meta: dict, path: Path):
    """The LineArtConfig stored in a model's metadata, or None when the model has none."""
    recipe = meta.get("lineart")
    if not recipe:
        return None
    from colorize.config import from_dict
    from colorize.errors import ConfigError
    from colorize.lineart.recipes import LineArtConfig

    try:
        return from_dict(LineArtConfig, dict(recipe))
    except ConfigError as exc:
        raise InputError(f"{path} stores a line-art recipe this version cannot use ({exc})") from None


def normalize_lineart(images: torch.Tensor) -> torch.Tensor:
    """B x C x H x W [0,1] line-art images -> B x 1 x H x W gray, dark lines on light paper.

    Light lines on a dark ground are inverted; an ink drawing heavy with solid blacks is not
    (colorize.lineart.polarity.light_on_dark).
    """
    gray = images.mean(dim=1, keepdim=True) if images.shape[1] > 1 else images
    return torch.where(light_on_dark(gray).view(-1, 1, 1, 1), 1.0 - gray, gray)


def uint8_to_tensor(images: np.ndarray, device: torch.device) -> torch.Tensor:
    """B x H x W x C (or B x H x W) uint8 -> B x C x H x W float32 [0,1] on `device`.

    The uint8 -> float conversion happens on the device: a quarter of the bytes cross the bus.
    """
    if images.ndim == 3:  # B x H x W gray
        images = images[..., None]
    t = torch.from_numpy(np.ascontiguousarray(images))
    if device.type == "cuda":
        t = t.pin_memory()
    t = t.to(device, non_blocking=True).permute(0, 3, 1, 2)
    return t.float().div_(255.0)


def tensor_to_uint8(images: torch.Tensor) -> np.ndarray:
    """B x C x H x W [0,1] -> B x H x W x C uint8 numpy (rounded)."""
    return (images.clamp(0.0, 1.0) * 255.0 + 0.5).to(torch.uint8).permute(0, 2, 3, 1).contiguous().cpu().numpy()


