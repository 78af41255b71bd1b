"""Image files in and out: any format users have becomes RGB uint8, and writes are atomic.

    read_rgb(path)            -> H x W x 3 uint8 RGB (RGBA composited on white, gray expanded,
                                 16-bit scaled to 8-bit); InputError on a missing or corrupt file
    to_rgb_uint8(array)       the same conversion for an array already in memory (BGR(A) from OpenCV)
    write_image(path, rgb)    PNG/JPEG/WebP by suffix, written to a temporary name then renamed
    list_images(folder)       sorted image files below a folder (recursive), InputError when none
    output_paths(in, out, files)  IN/<rel path> -> OUT/<rel path>.png without collisions (a.jpg, a.png)
    atomic_path(path)         context manager yielding a temporary sibling path, renamed on success
    write_bytes(path, data)   atomic write whose failure names the OS's reason ("No space left on device")
    refuse_input_as_output(output, inputs)  InputError when an output is (or lies inside) an input
    remove_stale_partials(path)  delete temporary siblings left by killed runs of the same output
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import uuid
import zlib
from pathlib import Path
from typing import Iterator

import cv2
import numpy as np

from colorize.errors import InputError

# OpenCV's own warnings ("[ WARN:0@0.07] ... PNG input buffer is incomplete") would repeat what our
# InputError says; errors still print.
cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)

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
    tmp = path.with_name(f".{path.stem}.{os.getpid()}-{uuid.uuid4().hex[:8]}.partial{path.suffix}")
    try:
        yield tmp
        if tmp.is_file():  # some writers (safetensors) create 0600 files: give the usual mode
            os.chmod(tmp, _FILE_MODE)
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def _umask_file_mode() -> int:
    """The mode open() gives a new file under this process's umask (0644 under the usual 022)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


_FILE_MODE = _umask_file_mode()


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


def write_bytes(path: str | os.PathLike, data: bytes | memoryview) -> Path:
    """Write `data` to `path` atomically; InputError naming the OS's reason when the write fails.

    os.write is used rather than numpy's tofile or cv2.imwrite, which lose errno (a full disk came
    out as "None" or a bare False).
    """
    path = Path(path)
    with atomic_path(path) as tmp:
        try:
            write_all(tmp, data)
        except OSError as exc:
            raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None
    return path


def write_all(path: str | os.PathLike, data: bytes | memoryview) -> None:
    """Write every byte of `data` to `path` (created or truncated); OSError carries errno/strerror."""
    view = memoryview(data).cast("B")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
    try:
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)


def _real(path: Path) -> Path:
    return Path(os.path.realpath(path))


def refuse_input_as_output(output: str | os.PathLike, inputs, folder_job: bool = False) -> None:
    """InputError, before any work, when `output` is one of `inputs` (also spelled differently,
    through a symlink or as a hard link), or, for a folder job, lies inside an input folder.

    `inputs` may hold None and paths that do not exist (skipped). Every command calls this.
    """
    output = Path(output)
    for source in inputs:
        if source is None or not Path(source).exists():
            continue
        source = Path(source)
        if folder_job and source.is_dir() and _real(source) in (_real(output), *_real(output).parents):
            where = "is" if _real(source) == _real(output) else "lies inside"
            raise InputError(f"output folder {output} {where} the input folder {source}; choose a folder "
                             "outside it")
        if output.exists() and os.path.samefile(output, source):
            raise InputError(f"output {output} is the input {source}; writing it would destroy the "
                             "input, so choose another output name")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: alive, another user's
        return True
    return True


def remove_stale_partials(path: str | os.PathLike, whole_folder: bool = False) -> list[Path]:
    """Delete the hidden temporary siblings of `path` (files or staging folders) that a killed run
    left behind: those whose writer process is gone. Returns what was removed.

    Temporary names are `.<stem>.<pid>-<random>.partial<suffix...>`; a live writer's are kept, so
    two runs writing the same output do not break each other. whole_folder: `path` is a folder, and
    the leftovers of every output in it go (one scan for a folder job, not one per image).
    """
    path = Path(path)
    stem = ".+" if whole_folder else re.escape(path.stem)
    pattern = re.compile(rf"^\.{stem}\.(\d+)-[0-9a-f]{{8}}\.partial(\..*)?$")
    removed = []
    with contextlib.suppress(OSError):
        for entry in os.scandir(path if whole_folder else path.parent):
            match = pattern.match(entry.name)
            if not match or _pid_alive(int(match.group(1))):
                continue
            with contextlib.suppress(OSError):
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path)
                else:
                    os.unlink(entry.path)
                removed.append(Path(entry.path))
    return removed


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


def _read_flags(data: np.ndarray) -> int:
    """IMREAD_UNCHANGED keeps alpha and 16 bits but ignores EXIF orientation; JPEGs have neither
    alpha nor (in practice) 16 bits, so they are decoded with IMREAD_COLOR, which turns phone photos
    upright as their EXIF says."""
    is_jpeg = data.size >= 2 and data[0] == 0xFF and data[1] == 0xD8
    return cv2.IMREAD_COLOR if is_jpeg else cv2.IMREAD_UNCHANGED


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _png_is_intact(data: np.ndarray) -> bool:
    """True unless `data` is a PNG with a bad chunk checksum or no IEND (cut short).

    Checked before decoding because libpng prints its complaint about a damaged file straight to
    stderr, which no OpenCV setting silences; a CRC over the bytes costs far less than the decode.
    """
    raw = data.tobytes()
    if not raw.startswith(_PNG_SIGNATURE):
        return True  # not a PNG: OpenCV judges it
    at = len(_PNG_SIGNATURE)
    while at + 12 <= len(raw):
        length = int.from_bytes(raw[at:at + 4], "big")
        end = at + 8 + length
        if end + 4 > len(raw):
            return False
        kind_and_body = raw[at + 4:end]
        if zlib.crc32(kind_and_body) != int.from_bytes(raw[end:end + 4], "big"):
            return False
        if kind_and_body[:4] == b"IEND":
            return True
        at = end + 4
    return False


def read_rgb(path: str | os.PathLike) -> np.ndarray:
    """Read any supported image file as H x W x 3 uint8 RGB; InputError if missing or undecodable."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"image not found: {path}")
    data = np.fromfile(str(path), dtype=np.uint8)
    intact = data.size > 0 and _png_is_intact(data)
    img = cv2.imdecode(data, _read_flags(data)) if intact else None
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
    return write_bytes(path, buf.data)


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
