"""Image files in and out: any format users have becomes RGB uint8, and writes are atomic.

    read_rgb(path)            -> H x W x 3 uint8 RGB (RGBA composited on white, gray expanded,
                                 16-bit scaled to 8-bit); InputError on a missing or corrupt file
    to_rgb_uint8(array)       the same conversion for an array already in memory (BGR(A) from OpenCV)
    write_image(path, rgb)    PNG/JPEG/WebP by suffix, written to a temporary name then renamed
    list_images(folder)       sorted image files below a folder (recursive), InputError when none
    output_paths(in, out, files)  IN/<rel path> -> OUT/<rel path>.png without collisions (a.jpg, a.png)
    atomic_path(path)         context manager yielding a temporary sibling path, renamed on success
"""

from __future__ import annotations

import contextlib
import os
import uuid
from pathlib import Path
from typing import Iterator

import cv2
import numpy as np

from colorize.errors import InputError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff")


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside `path`; rename it onto `path` only if the block succeeds.

    The temporary name keeps the suffix (encoders pick the format from it) and starts with a dot
    so folder listings and resumable jobs never mistake it for a finished output.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create output folder {path.parent}: {exc.strerror}") from None
    tmp = path.with_name(f".{path.stem}.{uuid.uuid4().hex[:8]}.partial{path.suffix}")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def check_writable(path: str | os.PathLike) -> Path:
    """Fail early, before hours of work, when `path`'s folder cannot be created or written."""
    path = Path(path)
    parent = path.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create output folder {parent}: {exc.strerror}") from None
    if not os.access(parent, os.W_OK):
        raise InputError(f"output folder {parent} is not writable")
    return path


def to_rgb_uint8(img: np.ndarray) -> np.ndarray:
    """OpenCV-decoded array (gray, BGR or BGRA; uint8, uint16 or float) -> H x W x 3 uint8 RGB.

    Alpha is composited over white, because line-art with transparent background means paper.
    """
    if img.dtype == np.uint16:
        img = (img.astype(np.float32) * (255.0 / 65535.0) + 0.5).astype(np.uint8)
    elif img.dtype in (np.float32, np.float64):
        img = (np.clip(img, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    elif img.dtype != np.uint8:
        img = np.clip(img, 0, 255).astype(np.uint8)
    if img.ndim == 2:
        return cv2.cvtColor(img, cv2.COLOR_GRAY2RGB)
    if img.shape[2] == 1:
        return cv2.cvtColor(img[:, :, 0], cv2.COLOR_GRAY2RGB)
    if img.shape[2] == 4:
        alpha = img[:, :, 3:4].astype(np.float32) / 255.0
        bgr = img[:, :, :3].astype(np.float32) * alpha + 255.0 * (1.0 - alpha)
        return cv2.cvtColor((bgr + 0.5).astype(np.uint8), cv2.COLOR_BGR2RGB)
    return cv2.cvtColor(img[:, :, :3], cv2.COLOR_BGR2RGB)


def read_rgb(path: str | os.PathLike) -> np.ndarray:
    """Read any supported image file as H x W x 3 uint8 RGB; InputError if missing or undecodable."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"image not found: {path}")
    data = np.fromfile(str(path), dtype=np.uint8)
    img = cv2.imdecode(data, cv2.IMREAD_UNCHANGED) if data.size else None
    if img is None:
        raise InputError(f"cannot decode image {path} (empty, truncated or not an image)")
    return to_rgb_uint8(img)


def write_image(path: str | os.PathLike, rgb: np.ndarray, params: list[int] | None = None) -> Path:
    """Write an RGB (H x W x 3) or gray (H x W) uint8 image atomically; returns the final path."""
    path = Path(path)
    arr = rgb if rgb.ndim == 2 else cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2BGR)
    ok, buf = cv2.imencode(path.suffix or ".png", arr, params or [])
    if not ok:
        raise InputError(f"cannot encode an image as {path.suffix!r} for {path}")
    with atomic_path(path) as tmp:
        try:
            buf.tofile(str(tmp))
        except OSError as exc:
            raise InputError(f"cannot write {path}: {exc.strerror}") from None
    return path


def is_image(path: Path) -> bool:
    """True for a visible file with an image suffix (temporary `.name.partial.png` files excluded)."""
    return path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES and not path.name.startswith(".")


def list_images(folder: str | os.PathLike, recursive: bool = True) -> list[Path]:
    """Image files below `folder`, sorted by relative path; InputError if missing or empty."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"folder not found: {folder}")
    pattern = "**/*" if recursive else "*"
    files = sorted(p for p in folder.glob(pattern) if is_image(p))
    if not files:
        raise InputError(f"no images ({', '.join(IMAGE_SUFFIXES)}) in {folder}")
    return files


def output_paths(in_dir: Path, out_dir: Path, files: list[Path]) -> dict[Path, Path]:
    """Map each input to OUT_DIR/<relative path>.png.

    Two inputs that differ only by suffix (a.jpg, a.png) would both become a.png; those keep their
    suffix in the name instead (a.jpg.png, a.png.png) so no output overwrites another.
    """
    plain = {f: out_dir / f.relative_to(in_dir).with_suffix(".png") for f in files}
    counts: dict[Path, int] = {}
    for target in plain.values():
        counts[target] = counts.get(target, 0) + 1
    return {f: (t if counts[t] == 1 else out_dir / f"{f.relative_to(in_dir)}.png") for f, t in plain.items()}
