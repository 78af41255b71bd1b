"""Export the generator for use outside Python's colorize package: TorchScript (.pt) or ONNX (.onnx).

    export_generator("generator.safetensors", "colorizer.pt")     # torch.jit.load(...) runs it
    export_generator(None, "colorizer.onnx")                        # the default model, as ONNX

The exported network is the bare generator: input B x 1 x H x W line-art in [-1, 1] (1 = paper), H and
W multiples of its stride; output B x 3 x H x W colour in [-1, 1]. Batch, height and width are dynamic.
A reference-guided model (the default one) is exported in its no-keyframe mode: the same one input.
The model's metadata (stride, line-art recipe, architecture) travels inside the file: as the
TorchScript extra file `meta.json`, or as ONNX metadata_props["colorize"].
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path

import torch
from torch import nn

from colorize.errors import ColorizeError, InputError
from colorize.images import atomic_path, check_writable

EXPORT_SUFFIXES = (".pt", ".onnx")
ONNX_MISSING = 'ONNX export needs the onnx and onnxscript packages: pip install "colorize[export]"'


def export_generator(model: str | os.PathLike | None, output: str | os.PathLike,
                     example_size: int | None = None) -> Path:
    """Load the generator (default model when `model` is None) on the CPU and export it to `output`.

    The format follows the suffix (.pt TorchScript, .onnx ONNX). `example_size` is the square side of
    the tracing input (default: the stride, at least 64). Returns `output`; the file appears only when
    the export succeeded.
    """
    from colorize.nets.files import load_generator
    from colorize.engine.model import resolve_model_path

    output = Path(output)
    if output.suffix.lower() not in EXPORT_SUFFIXES:
        raise InputError(f"cannot export to {output}: the name must end in .pt (TorchScript) or .onnx (ONNX)")
    if output.suffix.lower() == ".onnx":
        _require_onnx()
    check_writable(output)
    path = resolve_model_path(model)
    net, meta = load_generator(path, "cpu")
    stride = int(meta.get("stride") or getattr(net, "stride", 1))
    side = example_size or max(stride, 64)
    example = torch.zeros(1, 1, side, side)
    if output.suffix.lower() == ".pt":
        return export_torchscript(net, example, output, meta)
    return export_onnx(net, example, output, meta)


def _require_onnx() -> None:
    """ColorizeError with the install line when the optional export extra is missing."""
    try:
        import onnx  # noqa: F401
        import onnxscript  # noqa: F401
    except ImportError:
        raise ColorizeError(ONNX_MISSING) from None


def export_torchscript(net: nn.Module, example: torch.Tensor, output: Path, meta: dict) -> Path:
    """Trace `net` (eval mode) on `example` and save it with `meta` as the extra file meta.json.

    Tracing rather than scripting: the U-Net is a fixed graph, and tracing works for any module.
    """
    net = net.eval()
    with warnings.catch_warnings():
        # The generator's input-shape checks are Python conditionals: tracing warns that they become
        # constants, which is harmless (the exported graph is shape-generic convolutions). TorchScript
        # itself is deprecated in recent torch, but it is still what C++/mobile runtimes load.
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        with torch.no_grad():
            traced = torch.jit.trace(net, example, check_trace=False)
        with atomic_path(output) as tmp:
            torch.jit.save(traced, str(tmp), _extra_files={"meta.json": json.dumps(meta)})
    return output


def export_onnx(net: nn.Module, example: torch.Tensor, output: Path, meta: dict) -> Path:
    """Export `net` to ONNX with dynamic batch/height/width and `meta` in metadata_props["colorize"]."""
    import onnx

    net = net.eval()
    # DYNAMIC (not named Dims) lets the exporter derive the stride constraints the skips impose.
    dynamic = torch.export.Dim.DYNAMIC
    shapes = ({0: dynamic, 2: dynamic, 3: dynamic},)
    with atomic_path(output) as tmp:
        try:
            program = torch.onnx.export(net, (example,), dynamo=True, input_names=["lineart"],
                                        output_names=["colour"], dynamic_shapes=shapes, external_data=False)
        except Exception as exc:  # the exporter raises many types; the user needs one line
            first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
            raise ColorizeError(f"cannot export the generator to ONNX for {output} ({first})") from None
        proto = program.model_proto
        onnx.helper.set_model_props(proto, {"colorize": json.dumps(meta)})
        onnx.save(proto, str(tmp))
    return output
