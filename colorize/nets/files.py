"""Checkpoints and model files that cannot run code when loaded.

Two kinds of file:
- a training checkpoint (`last.pt`, `best.pt`): a dict of tensors and plain data saved with torch.save
  and loaded only with `torch.load(weights_only=True)`; holds the variant's networks, optimizers,
  schedulers, scaler, step, RNG states and the resolved config, enough to resume exactly.
- a generator file (`generator.safetensors`): safetensors weights plus JSON metadata (architecture,
  line-art recipe, stride). This is what users share and what `colorize video` loads by default.

`load_generator` accepts either kind, rebuilds the architecture named in the metadata and refuses
files of another architecture with one clear sentence.
"""

from __future__ import annotations

import io
import json
import os
import pickle
import warnings
from pathlib import Path
from typing import Any, Callable

import torch
from torch import nn

from colorize.errors import InputError
from colorize.images import remove_stale_partials, write_bytes

TRAIN_FORMAT = "colorize-train"
GENERATOR_FORMAT = "colorize-generator"


def _unet(**kwargs) -> nn.Module:
    from colorize.nets.unet import UNetGenerator

    return UNetGenerator(**kwargs)


def _reference_unet(**kwargs) -> nn.Module:
    from colorize.nets.reference import ReferenceUNet

    return ReferenceUNet(**kwargs)


# Architectures a generator file may name. Explicit, so a file cannot ask us to build arbitrary classes.
GENERATOR_ARCHITECTURES: dict[str, Callable[..., nn.Module]] = {"unet": _unet, "reference_unet": _reference_unet}


def register_generator_architecture(name: str, build: Callable[..., nn.Module]) -> None:
    """Let a variant's generator (e.g. a reference-guided U-Net) be saved and loaded by name."""
    GENERATOR_ARCHITECTURES[name] = build


def save_checkpoint(path: str | os.PathLike, state: dict[str, Any]) -> Path:
    """Atomically write a training checkpoint (tensors and plain data only).

    Serialised in memory first: torch.save on a full disk fails with an opaque "unexpected pos"
    error, while write_bytes names the OS's reason. Leftovers of killed saves are removed first.
    """
    state = {"format": TRAIN_FORMAT, **state}
    buffer = io.BytesIO()
    torch.save(state, buffer)
    remove_stale_partials(path)
    return write_bytes(path, buffer.getbuffer())


def load_checkpoint(path: str | os.PathLike, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Load a training checkpoint safely; InputError when missing, corrupt or not ours."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"checkpoint not found: {path}")
    try:
        with warnings.catch_warnings():  # torch warns about pickles before refusing them; we say it once
            warnings.simplefilter("ignore")
            state = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:  # arbitrary bytes can fail anywhere in the unpickler (KeyError, EOFError, ...)
        raise InputError(f"{path} is not a loadable colorize checkpoint ({_load_failure(exc)})") from None
    if not isinstance(state, dict) or state.get("format") != TRAIN_FORMAT:
        raise InputError(f"{path} is not a colorize training checkpoint")
    return state


def _load_failure(exc: Exception) -> str:
    """Why torch.load refused a file, in our words (torch's own advice is long and suggests turning
    the safety check off, which we never do)."""
    if isinstance(exc, pickle.UnpicklingError) and "weights only" in str(exc).lower():
        return "it holds Python objects besides tensors, which could run code; refused without running any of it"
    if isinstance(exc, (EOFError, RuntimeError)) and "zip" in str(exc).lower():
        return "a damaged or truncated PyTorch file"
    return "not a PyTorch checkpoint, or damaged"


def save_generator(path: str | os.PathLike, net: nn.Module, meta: dict[str, Any]) -> Path:
    """Write generator weights as safetensors with JSON metadata.

    `meta` must hold "architecture": {"name": ..., "kwargs": {...}} (see GENERATOR_ARCHITECTURES);
    other keys (line-art recipe, stride, training step) are kept as they are.
    """
    from safetensors.torch import save

    arch = meta.get("architecture", {})
    if arch.get("name") not in GENERATOR_ARCHITECTURES:
        raise ValueError(f"meta['architecture']['name'] must be one of {sorted(GENERATOR_ARCHITECTURES)}")
    tensors = {k: v.detach().contiguous().cpu() for k, v in _plain_state_dict(net).items()}
    header = {"format": GENERATOR_FORMAT, "meta": json.dumps(meta)}
    remove_stale_partials(path)
    return write_bytes(path, save(tensors, metadata=header))  # in memory first: see save_checkpoint


def _plain_state_dict(net: nn.Module) -> dict[str, torch.Tensor]:
    """State dict without torch.compile's `_orig_mod.` prefix (so compiled runs save portable files)."""
    net = getattr(net, "_orig_mod", net)
    return net.state_dict()


def _read_generator_file(path: Path) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    from safetensors import SafetensorError
    from safetensors.torch import load_file
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="pt") as fh:
            header = fh.metadata() or {}
        tensors = load_file(str(path))
    except (SafetensorError, OSError, ValueError) as exc:
        raise InputError(f"{path} is not a readable safetensors model file ({exc})") from None
    if header.get("format") != GENERATOR_FORMAT:
        raise InputError(f"{path} is a safetensors file but not a colorize generator")
    try:
        meta = json.loads(header["meta"])
    except KeyError:
        raise InputError(f"{path} is a colorize generator file without its metadata (no 'meta' entry)") from None
    except json.JSONDecodeError:
        raise InputError(f"{path} is a colorize generator file whose metadata is not valid JSON") from None
    return tensors, meta


def _generator_from_checkpoint(path: Path) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    state = load_checkpoint(path)
    gen = state.get("generator")
    if not isinstance(gen, dict) or "weights" not in gen or "meta" not in gen:
        raise InputError(f"{path} is a training checkpoint without an exportable generator")
    return gen["weights"], gen["meta"]


def load_generator(path: str | os.PathLike, device: torch.device | str = "cpu"
                   ) -> tuple[nn.Module, dict[str, Any]]:
    """Rebuild and load a generator from a .safetensors model file or a training checkpoint.

    Returns (network in eval mode on `device`, metadata). InputError for a missing file, a file that
    is not a model, an unknown architecture, or weights that do not fit the named architecture.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"model file not found: {path}")
    if path.suffix == ".safetensors":
        weights, meta = _read_generator_file(path)
    else:
        weights, meta = _generator_from_checkpoint(path)
    arch = _architecture(path, meta)
    build = GENERATOR_ARCHITECTURES.get(arch.get("name"))
    if build is None:
        raise InputError(f"{path} holds a generator of architecture {arch.get('name')!r}, which this "
                         f"version cannot build (known: {', '.join(sorted(GENERATOR_ARCHITECTURES))})")
    try:
        net = build(**arch.get("kwargs", {}))
        net.load_state_dict(weights, strict=True)
    except (RuntimeError, TypeError, ValueError) as exc:
        detail = str(exc).strip().splitlines()[0][:160]
        raise InputError(f"{path} does not match its declared {arch['name']} architecture ({detail})") from None
    return net.to(device).eval(), meta


def _architecture(path: Path, meta: Any) -> dict[str, Any]:
    """meta["architecture"] checked for shape: {"name": str, "kwargs": {str: ...}}; InputError otherwise."""
    arch = meta.get("architecture") if isinstance(meta, dict) else None
    if not isinstance(arch, dict) or not isinstance(arch.get("name"), str) \
            or not isinstance(arch.get("kwargs", {}), dict):
        raise InputError(f"{path} has malformed generator metadata (it needs an architecture with a name "
                         "and kwargs)")
    return arch


def generator_record(net: nn.Module, meta: dict[str, Any]) -> dict[str, Any]:
    """The {"weights", "meta"} entry a training checkpoint carries so load_generator can use it."""
    weights = {k: v.detach().cpu().clone() for k, v in _plain_state_dict(net).items()}
    return {"weights": weights, "meta": meta}
