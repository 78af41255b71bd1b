"""Where the generator runs: eager torch, ONNX Runtime or OpenVINO, behind one small interface.

    backend = make_backend(generator, "auto", device)       # the fastest installed runtime that works
    code = backend.encode_reference(ref_colour, ref_lineart)  # once per keyframe (or shot), 1 x 3 / 1 x 1
    colour = backend.run(lineart, code)                     # B x 1 x h x w -> B x 3 x h x w, all in [-1, 1]

A reference-guided generator (nets.reference.ReferenceUNet) is run in its parts: the line-art encoder
and the U-Net go through the runtime, the attention between them (small: at most
`attention_positions` positions) stays in torch. So one reference is encoded once and its keys serve
every later frame of its shot, and the two exported graphs have dynamic batch, height and width: one
export per model serves every frame size. A plain U-Net is one graph.

Exports go to ONNX once per model and are cached on disk (COLORIZE_CACHE, else
$XDG_CACHE_HOME/colorize or ~/.cache/colorize; file names carry a digest of the weights, the
architecture and the torch version), so only the first run of a model pays the export (about 10-20 s
on 2 CPU cores). The runtimes run on the CPU; a CUDA device always uses torch. ONNX Runtime computes
in fp32. OpenVINO follows the Colorizer's precision: "bf16" (the default) lets it compute in bf16 on
CPUs that do so natively (AMX / AVX512-BF16; elsewhere it stays fp32), "fp32" keeps fp32. Measured on
such a CPU (loaded, 2 threads, batch 4 at 384 x 224): encoder 70 -> 25 ms/frame, U-Net 70 -> 56,
outputs within 0.002-0.013 of fp32 on the [-1, 1] scale (at most ~2 of 255 levels).

"auto" picks, on the CPU, the first of AUTO_ORDER that is installed and exports the model, else
torch; the environment variable COLORIZE_BACKEND, when set, names what "auto" means instead (the
test suite sets it to torch, so its many tiny models are not exported). The order is measured (benchmarks/bench_colorize.py, default model, 2-core CPU): OpenVINO ran
the U-Net and the encoder fastest, ONNX Runtime next, eager torch last.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import io
import json
import os
import re
import tempfile
import warnings
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from torch import nn

from colorize.errors import ColorizeError, InputError
from colorize.images import atomic_path

BACKENDS = ("auto", "torch", "onnxruntime", "openvino")
AUTO_ORDER = ("openvino", "onnxruntime")  # fastest first (measured); torch is the fallback
_PACKAGES = {"onnxruntime": "onnxruntime", "openvino": "openvino"}
_COMPILED_SHAPES = 8  # OpenVINO: static-shape compilations kept per graph (a video uses one or two)


@dataclass(frozen=True)
class ReferenceCode:
    """A reference encoded for the attention: keys (1 x C x h' x w') and colours (1 x 3 x h' x w') on
    the matching grid, for frames of `size` = (h, w). Made by Backend.encode_reference. For a
    reference-taking generator without the encoder/U-Net split (`raw`), the reference itself: its
    line-art (1 x 1 x h x w) as `key` and its colour (1 x 3 x h x w), in [-1, 1]."""

    key: torch.Tensor
    colours: torch.Tensor
    size: tuple[int, int]
    raw: bool = False


def installed(name: str) -> bool:
    """Whether backend `name` can run here: torch always; a runtime when its package and the ONNX
    exporter's (onnx, onnxscript) can be imported."""
    if name == "torch":
        return True
    return all(importlib.util.find_spec(package) is not None for package in (_PACKAGES[name], "onnx", "onnxscript"))


def check_backend(name: str) -> str:
    """`name` if it is a known backend; ValueError otherwise."""
    if name not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, got {name!r}")
    return name


class TorchBackend:
    """The generator in eager torch, on any device: the reference path split as described above
    (any other reference-taking generator is called whole, net(lineart, colour, line-art))."""

    name = "torch"

    def __init__(self, net: nn.Module):
        self.net = net
        self.takes_reference = bool(getattr(net, "takes_reference", False))
        self.split = self.takes_reference and is_split(net)

    # The two graphs; the exported backends override these.
    def encoder(self, lineart: torch.Tensor) -> torch.Tensor:
        return self.net.encoder(lineart)

    def unet(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.net.unet(inputs) if self.takes_reference else self.net(inputs)

    def encode_reference(self, colour: torch.Tensor, lineart: torch.Tensor) -> ReferenceCode:
        """1 x 3 x h x w colour and 1 x 1 x h x w line-art of a reference, in [-1, 1] -> its ReferenceCode."""
        size = tuple(lineart.shape[-2:])
        if not self.split:
            return ReferenceCode(lineart, colour, size, raw=True)
        key, colours = self.net.pool_reference(self.encoder(lineart), colour)
        return ReferenceCode(key, colours, size)

    def run(self, lineart: torch.Tensor, code: ReferenceCode | None = None) -> torch.Tensor:
        """B x 1 x h x w line-art in [-1, 1] (h, w multiples of the stride) -> B x 3 x h x w in [-1, 1],
        following the reference `code` was made from (reference-guided models only)."""
        if not self.split:
            if code is None:
                return self.net(lineart)
            if not code.raw:
                raise ValueError("this generator takes no encoded reference")
            b = lineart.shape[0]
            return self.net(lineart, code.colours.expand(b, -1, -1, -1), code.key.expand(b, -1, -1, -1))
        b, _, h, w = lineart.shape
        if code is None:  # no reference: the U-Net's extra inputs are zero, as in ReferenceUNet.forward
            return self.unet(torch.cat([lineart, lineart.new_zeros(b, 5, h, w)], 1))
        if code.size != (h, w):
            raise ValueError(f"the reference was encoded for {code.size}, the frames are {(h, w)}")
        guide = self.net.carry(self.encoder(lineart), code.key, code.colours, (h, w)).to(lineart.dtype)
        return self.unet(torch.cat([lineart, guide, lineart.new_ones(b, 1, h, w)], 1))


class ExportedBackend(TorchBackend):
    """The encoder and the U-Net exported to ONNX and run by `runtime` ("onnxruntime" or "openvino")
    on the CPU; the attention glue stays in torch. Inputs and outputs are CPU float32 tensors."""

    def __init__(self, net: nn.Module, runtime: str, precision: str = "fp32", threads: int | None = None):
        super().__init__(net)
        self.name = runtime
        threads = threads or torch.get_num_threads()
        paths = export_parts(net)
        if runtime == "onnxruntime":
            self._graphs = {part: _ort_session(path, threads) for part, path in paths.items()}
        else:
            self._graphs = {part: _openvino_session(path, threads, precision) for part, path in paths.items()}

    def encoder(self, lineart: torch.Tensor) -> torch.Tensor:
        return self._graphs["encoder"](lineart)

    def unet(self, inputs: torch.Tensor) -> torch.Tensor:
        return self._graphs["unet"](inputs)


def is_split(net: nn.Module) -> bool:
    """Whether a reference-taking generator has the parts the backends run separately
    (nets.reference.ReferenceUNet: encoder, unet, pool_reference, carry)."""
    return all(hasattr(net, part) for part in ("encoder", "unet", "pool_reference", "carry"))


def make_backend(net: nn.Module, name: str, device: torch.device, precision: str = "fp32") -> TorchBackend:
    """The backend `name` for generator `net` (eval mode) on `device`; `precision` ("bf16", "fp16",
    "fp32") is what OpenVINO may compute in (see the module docstring; torch applies it itself, on GPU).

    "auto": on the CPU the first of AUTO_ORDER that is installed and can export the model (a warning
    names the reason when an installed one cannot), else torch. An explicit runtime that is missing,
    asked for on a GPU, or that cannot take the model is an InputError / ColorizeError (one line).
    """
    check_backend(name)
    if name == "auto" and os.environ.get("COLORIZE_BACKEND", "auto") != "auto":
        name = check_backend(os.environ["COLORIZE_BACKEND"])
    if name == "torch":
        return TorchBackend(net)
    if device.type != "cpu":
        if name == "auto":
            return TorchBackend(net)
        raise InputError(f"backend {name} runs on the CPU only; use --device cpu or --backend torch")
    if name != "auto":
        if not installed(name):
            raise InputError(f"backend {name} is not installed (pip install {_PACKAGES[name]} onnx onnxscript), "
                             f"or use --backend torch")
        return _exported(net, name, precision)
    for candidate in AUTO_ORDER:
        if not installed(candidate):
            continue
        try:
            return _exported(net, candidate, precision)
        except ColorizeError as exc:
            warnings.warn(f"{exc}; trying the next backend", RuntimeWarning, stacklevel=2)
    return TorchBackend(net)


def _exported(net: nn.Module, runtime: str, precision: str = "fp32") -> ExportedBackend:
    try:
        return ExportedBackend(net, runtime, precision)
    except Exception as exc:  # exporters and runtimes raise many types; the user needs one line
        raise ColorizeError(f"backend {runtime} cannot run this model ({_first_line(exc)})") from None


# ------------------------------------------------------------------------------------------ export

def export_parts(net: nn.Module) -> dict[str, Path]:
    """ONNX files of the model's graphs ({"unet": ...} plus "encoder" for a reference-guided model),
    from the disk cache or exported now (dynamic batch, height and width). ColorizeError when the
    exporter is missing or fails."""
    reference = getattr(net, "takes_reference", False)
    if reference and not is_split(net):
        raise ColorizeError(f"{type(net).__name__} takes a reference but has no encoder/U-Net split to export")
    parts = {"unet": net.unet if reference else net}
    if reference:
        parts["encoder"] = net.encoder
    folder = cache_dir()
    digest = model_digest(net)
    paths = {}
    for part, module in parts.items():
        path = folder / f"{digest}-{part}.onnx"
        if not path.is_file():
            _export(module, _example(net, part), path)
        paths[part] = path
    return paths


def cache_dir() -> Path:
    """Where exported graphs are kept: COLORIZE_CACHE, else $XDG_CACHE_HOME/colorize, else
    ~/.cache/colorize, each + /backends; a temporary folder when none of these can be created."""
    root = os.environ.get("COLORIZE_CACHE") or Path(
        os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "colorize"
    folder = Path(root) / "backends"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        return folder
    except OSError:
        fallback = Path(tempfile.gettempdir()) / f"colorize-backends-{os.getuid() if hasattr(os, 'getuid') else 0}"
        fallback.mkdir(parents=True, exist_ok=True)
        return fallback


def model_digest(net: nn.Module) -> str:
    """Hex digest of the weights, the architecture and the torch version: the cache key of its export."""
    h = hashlib.sha256()
    h.update(json.dumps({"class": type(net).__name__, "config": getattr(net, "config", None),
                         "torch": torch.__version__}, sort_keys=True, default=str).encode())
    for name, tensor in net.state_dict().items():
        h.update(name.encode())
        h.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()[:24]


def _example(net: nn.Module, part: str) -> torch.Tensor:
    """A tracing input for `part`: 2 x C x S x S, S a multiple of the stride (dims exported dynamic)."""
    stride = int(getattr(net, "stride", 1))
    side = max(stride, 64)
    channels = 1 if part == "encoder" or not getattr(net, "takes_reference", False) else 6
    return torch.zeros(2, channels, side, side)


def _export(module: nn.Module, example: torch.Tensor, path: Path) -> None:
    """Export `module` (eval) to ONNX at `path` (atomically), batch/height/width dynamic."""
    try:
        import onnx  # noqa: F401
        import onnxscript  # noqa: F401
    except ImportError:
        raise ColorizeError('exporting the model needs the onnx and onnxscript packages '
                            '(pip install "colorize[export]")') from None
    dynamic = torch.export.Dim.DYNAMIC
    # the exporter reports its steps (and a failing graph) on stdout/stderr: library code stays quiet
    quiet = io.StringIO()
    with warnings.catch_warnings(), contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet), \
            atomic_path(path) as tmp:
        warnings.simplefilter("ignore")
        try:
            program = torch.onnx.export(module.eval(), (example,), dynamo=True, optimize=False,
                                        input_names=["x"], output_names=["y"],
                                        dynamic_shapes=({0: dynamic, 2: dynamic, 3: dynamic},),
                                        external_data=False, verbose=False)
            program.save(str(tmp))
        except Exception as exc:
            raise ColorizeError(f"cannot export the model to ONNX ({_first_line(exc)})") from None


def _first_line(exc: BaseException) -> str:
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(exc)).strip()  # the exporter colours its messages
    return text.splitlines()[0][:200] if text else type(exc).__name__


# ---------------------------------------------------------------------------------------- runtimes

Graph = Callable[[torch.Tensor], torch.Tensor]


def _ort_session(path: Path, threads: int) -> Graph:
    """An ONNX Runtime CPU session of `path` as a tensor -> tensor function."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def run(x: torch.Tensor) -> torch.Tensor:
        return torch.from_numpy(session.run(None, {"x": _numpy(x)})[0])

    return run


_OPENVINO_PRECISION = {"bf16": "bf16", "fp16": "f16", "fp32": "f32"}


def _openvino_session(path: Path, threads: int, precision: str = "fp32") -> Graph:
    """An OpenVINO CPU model of `path` as a tensor -> tensor function, compiled once per input shape
    (static shapes ran faster than a dynamic compilation; compiling takes ~0.2 s). `precision` is a
    hint: OpenVINO computes in bf16/f16 only where the CPU does so natively."""
    import openvino as ov

    core = ov.Core()
    model = core.read_model(str(path))
    config = {"INFERENCE_NUM_THREADS": threads, "INFERENCE_PRECISION_HINT": _OPENVINO_PRECISION[precision],
              "PERFORMANCE_HINT": "LATENCY"}
    compiled: OrderedDict[tuple, object] = OrderedDict()

    def request(shape: tuple) -> object:
        if shape in compiled:
            compiled.move_to_end(shape)
            return compiled[shape]
        static = model.clone()
        static.reshape(list(shape))
        compiled[shape] = core.compile_model(static, "CPU", config).create_infer_request()
        if len(compiled) > _COMPILED_SHAPES:
            compiled.popitem(last=False)
        return compiled[shape]

    def run(x: torch.Tensor) -> torch.Tensor:
        array = _numpy(x)
        result = request(array.shape).infer([array])
        return torch.from_numpy(np.array(result[0], copy=True))

    return run


def _numpy(x: torch.Tensor) -> np.ndarray:
    return np.ascontiguousarray(x.detach().to("cpu", torch.float32).numpy())
