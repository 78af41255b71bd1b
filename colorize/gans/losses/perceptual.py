"""Perceptual and style losses on VGG19 features, with pretrained weights found offline or explained.

    vgg = load_vgg19(cfg.vgg_weights, until="relu4_1")      # frozen, eval; WeightsUnavailable if none
    vgg_loss = VGGLoss(vgg).to(device)
    terms = vgg_loss(fake, real)                             # {"perceptual": ..., "style": ...}
    g_loss = adv + 10 * terms["perceptual"] + 250 * terms["style"]

The network is built here with exactly torchvision's `vgg19().features` layer indices, so a
torchvision state dict loads without importing torchvision (which fails to import on CPU-only torch
builds). Cost: VGG19 up to relu5_1 is ~47 GFLOP per 256 x 256 image, about four times the pix2pix
U-Net's forward (12 GFLOP), and the loss runs it on fake and real; so the default layers stop at
relu4_1 and `resize` can downscale first (benchmarks/bench_vgg.py measures this).
"""

from __future__ import annotations

import contextlib
import http.client
import os
from pathlib import Path
from typing import Callable, Literal, Mapping, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from colorize.errors import ConfigError, InputError, WeightsUnavailable
from colorize.progress import is_quiet

# torchvision's "E" configuration: numbers are 3x3 conv widths (each followed by a ReLU), "M" a 2x2 max-pool.
VGG19_CONFIG = (64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M",
                512, 512, 512, 512, "M", 512, 512, 512, 512, "M")
VGG19_URL = "https://download.pytorch.org/models/vgg19-dcbb9e9d.pth"  # what VGG19_Weights.IMAGENET1K_V1 fetches
VGG19_FILENAME = VGG19_URL.rsplit("/", 1)[1]
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def _relu_indices() -> dict[str, int]:
    """'reluB_N' (block B, conv N) -> index of that ReLU in torchvision's vgg19().features."""
    names, index, block, conv = {}, 0, 1, 0
    for item in VGG19_CONFIG:
        if item == "M":
            index, block, conv = index + 1, block + 1, 0
            continue
        conv += 1
        names[f"relu{block}_{conv}"] = index + 1  # the conv is at `index`, its ReLU right after
        index += 2
    return names


VGG19_LAYERS: dict[str, int] = _relu_indices()  # relu1_1 -> 1, relu2_1 -> 6, ..., relu5_1 -> 29, relu5_4 -> 35


def layer_index(name: str) -> int:
    """Index of a named ReLU layer in vgg19().features; ConfigError naming the known names otherwise."""
    try:
        return VGG19_LAYERS[name]
    except KeyError:
        raise ConfigError(f"unknown VGG19 layer {name!r} (known: {', '.join(VGG19_LAYERS)})") from None


def deepest_layer(names: Sequence[str]) -> str:
    """The deepest of some VGG19 layer names: what load_vgg19(until=...) must reach for all of them."""
    if not names:
        raise ConfigError("no VGG19 layers given (name at least one perceptual or style layer)")
    return max(names, key=layer_index)


def vgg19_features(until: str = "relu5_1") -> nn.Sequential:
    """torchvision's vgg19().features, randomly initialised, cut after layer `until`.

    Module indices equal torchvision's, so `features.N.weight` / `N.weight` state dict keys load.
    Input: B x 3 x H x W, ImageNet-normalised.
    """
    last = layer_index(until)
    layers: list[nn.Module] = []
    channels = 3
    for item in VGG19_CONFIG:
        if item == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
        else:
            layers += [nn.Conv2d(channels, item, kernel_size=3, padding=1), nn.ReLU(inplace=True)]
            channels = item
    return nn.Sequential(*layers[:last + 1])


def freeze(net: nn.Module) -> nn.Module:
    """Eval mode and no parameter gradients: a fixed feature extractor."""
    net.eval()
    net.requires_grad_(False)
    return net


# --- weights --------------------------------------------------------------------------------------

def _load_file(path: Path) -> object:
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        return load_file(str(path), device="cpu")
    return torch.load(path, map_location="cpu", weights_only=True)


def read_state_dict(path: str | os.PathLike) -> dict[str, torch.Tensor]:
    """A state dict from a .pth/.pt (torch.load, weights_only) or .safetensors file; InputError if unusable."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"VGG19 weights file not found: {path}")
    try:
        state = _load_file(path)
    except Exception as exc:  # unpickling, zip and safetensors errors have no common base class
        raise InputError(f"cannot read VGG19 weights {path}: not a PyTorch or safetensors state dict "
                         f"({type(exc).__name__})") from exc
    if isinstance(state, Mapping) and isinstance(state.get("state_dict"), Mapping):
        state = state["state_dict"]  # a training checkpoint wrapping the weights
    if not isinstance(state, Mapping) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise InputError(f"{path} is not a VGG19 state dict (expected parameter names mapped to tensors)")
    return dict(state)


def _features_keys(state: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """torchvision full-model keys ('features.0.weight', DataParallel's 'module.' too) -> bare '0.weight'."""
    out = {}
    for key, value in state.items():
        key = key.removeprefix("module.")
        if key.startswith("classifier."):
            continue
        out[key.removeprefix("features.")] = value
    return out


def load_features_state(net: nn.Sequential, state: Mapping[str, torch.Tensor], source: str) -> None:
    """Copy `state` into `net` (a vgg19_features() prefix); InputError naming `source` on a wrong file."""
    state = _features_keys(state)
    for key, expected in net.state_dict().items():
        if key not in state:
            raise InputError(f"{source} is not a VGG19 state dict: it has no tensor for layer {key!r} "
                             "(expected torchvision's vgg19 keys 'features.N.weight' or 'N.weight')")
        if state[key].shape != expected.shape:
            raise InputError(f"{source} does not fit VGG19: {key!r} has shape {tuple(state[key].shape)} "
                             f"where VGG19 needs {tuple(expected.shape)}")
    net.load_state_dict({key: state[key] for key in net.state_dict()})


def _torchvision_weights():
    """torchvision's VGG19_Weights.IMAGENET1K_V1, or None when torchvision is missing or broken."""
    try:
        from torchvision.models import VGG19_Weights
    except (ImportError, RuntimeError, AttributeError, OSError):  # CPU-only torch breaks its compiled ops
        return None
    return VGG19_Weights.IMAGENET1K_V1


def _try_download(fetch: Callable[[], object]) -> dict[str, torch.Tensor] | None:
    """Run a fetch that may hit the network; None when offline, blocked, or the download is corrupt."""
    try:
        state = fetch()
    except (OSError, RuntimeError, ValueError, http.client.HTTPException):
        return None
    return dict(state) if isinstance(state, Mapping) else None


def hub_cache_file() -> Path:
    """Where torchvision's weights API and torch.hub keep the downloaded VGG19 file."""
    return Path(torch.hub.get_dir()) / "checkpoints" / VGG19_FILENAME


def _unavailable_message() -> str:
    return (f"VGG19 weights are not available offline: pass --vgg-weights PATH (a local torchvision vgg19 "
            f"state dict such as {VGG19_FILENAME}) or run once online so torchvision caches it in "
            f"{hub_cache_file().parent}; or train without them (--no-vgg, or perceptual = style = 0 in the config)")


def find_pretrained_state() -> tuple[dict[str, torch.Tensor], str]:
    """ImageNet VGG19 weights from torchvision's API, the torch.hub cache, or torch.hub's download.

    Returns (state dict, description of the source). The network is tried once at most: by
    torchvision when it imports (it reads the same cache first), else by torch.hub directly.
    """
    progress = not is_quiet()
    weights = _torchvision_weights()
    if weights is not None:
        state = _try_download(lambda: weights.get_state_dict(progress=progress, check_hash=True))
        if state is not None:
            return state, "torchvision's VGG19_Weights.IMAGENET1K_V1"
    cached = hub_cache_file()
    if cached.is_file():
        return read_state_dict(cached), str(cached)
    if weights is None:
        state = _try_download(lambda: torch.hub.load_state_dict_from_url(
            VGG19_URL, map_location="cpu", progress=progress, check_hash=True, weights_only=True))
        if state is not None:
            return state, VGG19_URL
    raise WeightsUnavailable(_unavailable_message())


def load_vgg19(weights_path: str | os.PathLike | None = None, until: str = "relu5_1") -> nn.Sequential:
    """Pretrained VGG19 features up to `until`, frozen and in eval mode, on the CPU.

    weights_path: a local torchvision vgg19 state dict (.pth/.pt or .safetensors; full-model keys
    'features.N.weight' or bare 'N.weight'); when given it is the only source tried. Otherwise see
    find_pretrained_state(). Raises WeightsUnavailable when nothing is found, InputError for a file
    that is not a fitting VGG19 state dict.
    """
    net = vgg19_features(until)
    if weights_path is not None:
        state, source = read_state_dict(weights_path), str(weights_path)
    else:
        state, source = find_pretrained_state()
    load_features_state(net, state, source)
    return freeze(net)


# --- losses ---------------------------------------------------------------------------------------

def _full_precision(device: torch.device):
    """A context with autocast off on `device`: inside, matmuls run in their inputs' (float32) dtype."""
    if torch.amp.is_autocast_available(device.type):
        return torch.autocast(device_type=device.type, enabled=False)
    return contextlib.nullcontext()


def gram_matrix(features: torch.Tensor) -> torch.Tensor:
    """B x C x H x W -> B x C x C float32 Gram matrices, normalised by C * H * W.

    In float32 with autocast off: the sums over H * W products overflow fp16 (max 65504) on
    early, large feature maps, and autocast would otherwise run the bmm in half precision.
    """
    batch, channels, height, width = features.shape
    with _full_precision(features.device):
        flat = features.float().reshape(batch, channels, height * width)
        return torch.bmm(flat, flat.transpose(1, 2)) / (channels * height * width)


def _check_images(fake: torch.Tensor, real: torch.Tensor) -> None:
    if fake.shape != real.shape or fake.dim() != 4 or fake.shape[1] != 3:
        raise ValueError(f"VGGLoss expects fake and real both B x 3 x H x W, got {tuple(fake.shape)} "
                         f"and {tuple(real.shape)}")


class VGGLoss(nn.Module):
    """Perceptual (feature L1) and style (Gram) losses between generated and target colour images.

    features: a vgg19_features()/load_vgg19() Sequential deep enough for every layer named; only the
    prefix up to the deepest needed layer is kept (and run). It is frozen here.
    perceptual_weights: one per perceptual layer; None -> equal weights summing to 1.
    style_layers: () turns the style term off (it is then a zero tensor).
    resize: downscale (antialiased) so the shorter side is at most `resize` px before VGG; None keeps size.
    style_distance: "l1" or "mse" between the normalised Gram matrices.
    """

    def __init__(self, features: nn.Sequential,
                 perceptual_layers: Sequence[str] = ("relu1_1", "relu2_1", "relu3_1", "relu4_1"),
                 perceptual_weights: Sequence[float] | None = None,
                 style_layers: Sequence[str] = ("relu2_1", "relu3_1", "relu4_1"),
                 resize: int | None = None, style_distance: Literal["l1", "mse"] = "l1"):
        super().__init__()
        if not perceptual_layers and not style_layers:
            raise ConfigError("VGGLoss needs at least one perceptual or style layer")
        if perceptual_weights is None:
            perceptual_weights = [1.0 / max(len(perceptual_layers), 1)] * len(perceptual_layers)
        if len(perceptual_weights) != len(perceptual_layers):
            raise ConfigError(f"{len(perceptual_weights)} perceptual weights given for "
                              f"{len(perceptual_layers)} perceptual layers")
        if resize is not None and resize < 16:
            raise ConfigError(f"VGGLoss resize must be at least 16 px (VGG pools 4 times), got {resize}")
        if style_distance not in ("l1", "mse"):
            raise ConfigError(f"unknown style distance {style_distance!r} (known: l1, mse)")
        self.perceptual = {layer_index(n): float(w) for n, w in zip(perceptual_layers, perceptual_weights)}
        self.style = [layer_index(n) for n in style_layers]
        self.resize, self.style_distance = resize, style_distance
        self.features = freeze(self._prefix(features, list(perceptual_layers) + list(style_layers)))

    @staticmethod
    def _prefix(features: nn.Sequential, names: list[str]) -> nn.Sequential:
        """Layers 0..deepest needed: anything deeper would cost FLOPs for features nobody reads."""
        deepest = deepest_layer(names)
        if len(features) <= layer_index(deepest):
            raise ConfigError(f"the VGG19 features given stop at layer {len(features) - 1}, but {deepest} is "
                              f"layer {layer_index(deepest)}: load them with until={deepest!r} or deeper")
        return features[:layer_index(deepest) + 1]

    def train(self, mode: bool = True) -> VGGLoss:
        """Follow the parent's mode, but the frozen VGG always stays in eval mode."""
        super().train(mode)
        self.features.eval()
        return self

    def _prepare(self, images: torch.Tensor) -> torch.Tensor:
        """[-1, 1] images -> (downscaled) ImageNet-normalised VGG input; constants on the input's device/dtype."""
        if self.resize is not None and min(images.shape[-2:]) > self.resize:
            scale = self.resize / min(images.shape[-2:])
            size = [max(1, round(side * scale)) for side in images.shape[-2:]]
            images = F.interpolate(images, size=size, mode="bilinear", align_corners=False, antialias=True)
        mean = torch.tensor(IMAGENET_MEAN, device=images.device, dtype=images.dtype).view(1, 3, 1, 1)
        std = torch.tensor(IMAGENET_STD, device=images.device, dtype=images.dtype).view(1, 3, 1, 1)
        return ((images + 1.0) * 0.5 - mean) / std

    def _run(self, x: torch.Tensor) -> dict[int, torch.Tensor]:
        """One pass through the prefix, keeping the outputs of the layers the losses read."""
        wanted = set(self.perceptual) | set(self.style)
        outputs = {}
        for index, layer in enumerate(self.features):
            x = layer(x)
            if index in wanted:
                outputs[index] = x
        return outputs

    def forward(self, fake: torch.Tensor, real: torch.Tensor) -> dict[str, torch.Tensor]:
        """fake, real: B x 3 x H x W in [-1, 1] -> {"perceptual": float32 scalar, "style": float32 scalar}.

        fake and real go through VGG as one batch (one pass, better device utilisation); the real
        half's features are detached, so only `fake` receives gradients.
        """
        _check_images(fake, real)
        batch = fake.shape[0]
        outputs = self._run(self._prepare(torch.cat([fake, real.detach()])))
        zero = torch.zeros((), device=fake.device, dtype=torch.float32)
        perceptual, style = zero, zero
        for index, weight in self.perceptual.items():
            fake_f, real_f = outputs[index][:batch].float(), outputs[index][batch:].detach().float()
            perceptual = perceptual + weight * F.l1_loss(fake_f, real_f)
        for index in self.style:
            fake_g, real_g = gram_matrix(outputs[index][:batch]), gram_matrix(outputs[index][batch:].detach())
            distance = F.l1_loss if self.style_distance == "l1" else F.mse_loss
            style = style + distance(fake_g, real_g)
        return {"perceptual": perceptual, "style": style}
