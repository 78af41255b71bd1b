"""Per-image quality metrics: PSNR, SSIM, CIEDE2000 colour difference, LPIPS.

Every function takes `pred` and `gt` as B x 3 x H x W float tensors in [0, 1] (sRGB, RGB order) on
any device and returns one value per image, a Tensor[B] on that device, so callers can average over
a video however they like. Nothing is downloaded: PSNR, SSIM and ΔE2000 are closed formulas; LPIPS
needs pretrained backbone weights and raises WeightsUnavailable when they are not on disk.

    psnr(pred, gt)          dB, +inf for identical images (higher is better)
    ssim(pred, gt)          Wang et al. 2004, Gaussian 11 x 11 window, sigma 1.5, 'valid' region
    delta_e2000(pred, gt)   mean CIEDE2000 over pixels, in CIELAB (D65) units (lower is better)
    LPIPSMetric(...)(pred, gt)   learned perceptual distance (lower is better)
"""

from __future__ import annotations

import os
from typing import Callable

import kornia
import torch

from colorize.errors import WeightsUnavailable

SSIM_WINDOW = 11
_POW25_7 = 25.0**7


def _check_pair(pred: torch.Tensor, gt: torch.Tensor) -> None:
    """Both tensors B x 3 x H x W with the same shape (a programming error otherwise)."""
    if pred.shape != gt.shape or pred.dim() != 4 or pred.shape[1] != 3:
        raise ValueError(f"expected two B x 3 x H x W tensors of one shape, got {tuple(pred.shape)} "
                         f"and {tuple(gt.shape)}")


def _as_float(x: torch.Tensor) -> torch.Tensor:
    """Half and bfloat16 lose too much precision for squared errors; compute those in float32."""
    return x if x.dtype in (torch.float32, torch.float64) else x.float()


def psnr(pred: torch.Tensor, gt: torch.Tensor, max_val: float = 1.0) -> torch.Tensor:
    """Peak signal-to-noise ratio per image: 10 log10(max_val² / MSE), Tensor[B] in dB.

    Computed per image (kornia.metrics.psnr averages the MSE over the whole batch instead);
    identical images give +inf.
    """
    _check_pair(pred, gt)
    mse = (_as_float(pred) - _as_float(gt)).pow(2).flatten(1).mean(dim=1)
    return 10.0 * torch.log10(max_val**2 / mse)  # mse == 0 -> +inf, as IEEE division gives


def _ssim_window(height: int, width: int) -> int:
    """The standard 11-tap window, shrunk to the largest odd size that fits tiny images."""
    size = min(SSIM_WINDOW, height, width)
    return size if size % 2 == 1 else size - 1


def ssim(pred: torch.Tensor, gt: torch.Tensor) -> torch.Tensor:
    """Mean structural similarity per image (all channels, 'valid' window positions), Tensor[B].

    1 for identical images; the map comes from kornia.metrics.ssim with max_val 1.
    """
    _check_pair(pred, gt)
    window = _ssim_window(pred.shape[-2], pred.shape[-1])
    ssim_map = kornia.metrics.ssim(_as_float(pred), _as_float(gt), window, max_val=1.0,
                                   padding="valid")
    return ssim_map.flatten(1).mean(dim=1)


def _hue_degrees(b: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
    """Hue angle in [0, 360); atan2(0, 0) is 0, which is the formula's convention for grey."""
    return torch.remainder(torch.rad2deg(torch.atan2(b, a)), 360.0)


def _mean_hue(h1: torch.Tensor, h2: torch.Tensor, chroma_product: torch.Tensor) -> torch.Tensor:
    """Mean of two hue angles across the 0/360 seam (Sharma et al. 2005, eq. 14)."""
    total = h1 + h2
    far = (h1 - h2).abs() > 180.0
    mean = torch.where(far & (total < 360.0), (total + 360.0) / 2,
                       torch.where(far, (total - 360.0) / 2, total / 2))
    return torch.where(chroma_product == 0, total, mean)


def _hue_difference(h1: torch.Tensor, h2: torch.Tensor, chroma_product: torch.Tensor) -> torch.Tensor:
    """Signed hue difference h2 - h1 wrapped into [-180, 180]; 0 when either colour is grey."""
    dh = h2 - h1
    dh = torch.where(dh > 180.0, dh - 360.0, torch.where(dh < -180.0, dh + 360.0, dh))
    return torch.where(chroma_product == 0, torch.zeros_like(dh), dh)


def _cos_deg(angle: torch.Tensor) -> torch.Tensor:
    return torch.cos(torch.deg2rad(angle))


def _primed_chroma_hue(lab1: torch.Tensor, lab2: torch.Tensor):
    """L, C' and h' (degrees) of both colours: a* is stretched by (1 + G) near the grey axis (eqs 2-7)."""
    l1, a1, b1 = lab1.unbind(dim=-3)
    l2, a2, b2 = lab2.unbind(dim=-3)
    c_mean = (torch.hypot(a1, b1) + torch.hypot(a2, b2)) / 2
    g = 0.5 * (1 - torch.sqrt(c_mean**7 / (c_mean**7 + _POW25_7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    first = (l1, torch.hypot(a1p, b1), _hue_degrees(b1, a1p))
    second = (l2, torch.hypot(a2p, b2), _hue_degrees(b2, a2p))
    return first, second


def _weights(l_mean: torch.Tensor, cp_mean: torch.Tensor, hp_mean: torch.Tensor):
    """The weighting functions S_L, S_C, S_H and the rotation term R_T (eqs 15-22)."""
    t = (1 - 0.17 * _cos_deg(hp_mean - 30) + 0.24 * _cos_deg(2 * hp_mean)
         + 0.32 * _cos_deg(3 * hp_mean + 6) - 0.20 * _cos_deg(4 * hp_mean - 63))
    d_theta = 30 * torch.exp(-(((hp_mean - 275) / 25) ** 2))
    r_c = 2 * torch.sqrt(cp_mean**7 / (cp_mean**7 + _POW25_7))
    s_l = 1 + 0.015 * (l_mean - 50) ** 2 / torch.sqrt(20 + (l_mean - 50) ** 2)
    s_c = 1 + 0.045 * cp_mean
    s_h = 1 + 0.015 * cp_mean * t
    r_t = -torch.sin(torch.deg2rad(2 * d_theta)) * r_c
    return s_l, s_c, s_h, r_t


def delta_e2000_lab(lab1: torch.Tensor, lab2: torch.Tensor) -> torch.Tensor:
    """CIEDE2000 colour difference per pixel between two CIELAB tensors (..., 3, H, W) -> (..., H, W).

    The standard formula with k_L = k_C = k_H = 1, following Sharma, Wu & Dalal (2005),
    "The CIEDE2000 color-difference formula: implementation notes", equations 2-22.
    """
    (l1, c1p, h1p), (l2, c2p, h2p) = _primed_chroma_hue(lab1, lab2)
    chroma_product = c1p * c2p
    dh = _hue_difference(h1p, h2p, chroma_product)
    dh_big = 2 * torch.sqrt(chroma_product) * torch.sin(torch.deg2rad(dh) / 2)
    cp_mean = (c1p + c2p) / 2
    s_l, s_c, s_h, r_t = _weights((l1 + l2) / 2, cp_mean, _mean_hue(h1p, h2p, chroma_product))

    tl, tc, th = (l2 - l1) / s_l, (c2p - c1p) / s_c, dh_big / s_h
    # The sum can dip a hair below 0 by rounding for near-identical colours; sqrt would give nan.
    return torch.sqrt((tl**2 + tc**2 + th**2 + r_t * tc * th).clamp_min(0))


def delta_e2000(pred: torch.Tensor, gt: torch.Tensor) -> torch.Tensor:
    """Mean CIEDE2000 difference per image, Tensor[B]; sRGB [0, 1] -> CIELAB (D65) via kornia.

    Roughly: < 1 invisible, 2-10 visible at a glance, > 20 a different colour.
    """
    return delta_e2000_map(pred, gt).flatten(1).mean(dim=1)


def delta_e2000_map(pred: torch.Tensor, gt: torch.Tensor) -> torch.Tensor:
    """CIEDE2000 difference per pixel, Tensor[B, H, W], of two B x 3 x H x W sRGB [0, 1] batches (to
    average over part of an image, e.g. a figure without its ground)."""
    _check_pair(pred, gt)
    lab_pred = kornia.color.rgb_to_lab(_as_float(pred).clamp(0, 1))
    lab_gt = kornia.color.rgb_to_lab(_as_float(gt).clamp(0, 1))
    return delta_e2000_lab(lab_pred, lab_gt)


DistanceNet = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


class LPIPSMetric:
    """LPIPS distance (Zhang et al. 2018) per image pair, Tensor[B]; lower is more similar.

    The real network comes from the `lpips` package with its pretrained linear heads and a
    torchvision backbone (AlexNet by default). The backbone weights come from torch's hub cache
    ($TORCH_HOME/hub/checkpoints) or from `backbone_weights`, a local torchvision state-dict file.
    Anything missing (package, torchvision, weights, network) raises WeightsUnavailable with one
    line. Tests pass `net`: any callable mapping two B x 3 x H x W batches in [-1, 1] to distances
    of B elements (shape B or B x 1 x 1 x 1), which replaces the pretrained network entirely.
    """

    def __init__(self, device: torch.device | str = "cpu", backbone: str = "alex",
                 backbone_weights: str | os.PathLike | None = None, net: DistanceNet | None = None):
        self.device = torch.device(device)
        self.net = net if net is not None else _load_lpips(backbone, backbone_weights, self.device)

    @torch.no_grad()
    def __call__(self, pred: torch.Tensor, gt: torch.Tensor) -> torch.Tensor:
        """[0, 1] images -> LPIPS distance per image, Tensor[B] (networks take [-1, 1])."""
        _check_pair(pred, gt)
        dist = self.net(_as_float(pred) * 2 - 1, _as_float(gt) * 2 - 1)
        return dist.reshape(pred.shape[0], -1).mean(dim=1)


def _unavailable(reason: str) -> WeightsUnavailable:
    """The one-line error naming both ways to make LPIPS work offline."""
    cache = os.path.join(torch.hub.get_dir(), "checkpoints")
    reason = " ".join(str(reason).split()) or "unknown error"
    return WeightsUnavailable(f"LPIPS unavailable offline: {reason}; put the torchvision backbone weights "
                              f"in {cache} or pass a local file (backbone_weights= / --lpips-weights)")


_IMPORT_FAILURE: list[WeightsUnavailable] = []  # remembered: retrying a failed import costs seconds


def torchvision_problem() -> str | None:
    """None when torchvision imports; otherwise one sentence naming the cause and the fix.

    The usual cause is a torchvision wheel built for another torch (a CUDA torchvision beside a
    CPU-only torch fails with "operator torchvision::nms does not exist"); no weights file helps then.
    """
    try:
        import torchvision  # noqa: F401
    except ImportError:
        return "torchvision is not installed; install the torchvision release that matches this torch"
    except (RuntimeError, OSError, AttributeError) as exc:
        from importlib.metadata import PackageNotFoundError, version

        try:
            tv_version = version("torchvision")
        except PackageNotFoundError:
            tv_version = "?"
        detail = " ".join(str(exc).split())[:80] or type(exc).__name__
        return (f"torchvision {tv_version} does not import with torch {torch.__version__} ({detail}), so "
                "they are builds for different platforms (e.g. CPU torch, CUDA torchvision); install the "
                "torchvision build made for this torch (same index, e.g. --index-url "
                "https://download.pytorch.org/whl/cpu for CPU-only torch)")
    return None


def _import_lpips():
    """The lpips module, or WeightsUnavailable: lpips imports torchvision, which fails where torch and
    torchvision are builds for different platforms; that cause, not missing weights, is then named."""
    if _IMPORT_FAILURE:
        raise _IMPORT_FAILURE[0]
    try:
        import lpips
    except (ImportError, RuntimeError, OSError) as exc:
        problem = torchvision_problem()
        error = (WeightsUnavailable(f"LPIPS unavailable: {problem}") if problem is not None
                 else _unavailable(f"cannot import the lpips package: {exc}"))
        _IMPORT_FAILURE.append(error)
        raise error from None
    return lpips


def _load_lpips(backbone: str, backbone_weights, device: torch.device) -> torch.nn.Module:
    """Build lpips.LPIPS with pretrained heads and backbone, in eval mode on `device`."""
    if backbone_weights is not None and not os.path.isfile(backbone_weights):
        raise _unavailable(f"backbone weights file not found: {backbone_weights}")
    lpips = _import_lpips()
    try:
        if backbone_weights is None:
            model = lpips.LPIPS(net=backbone, pretrained=True, verbose=False)
        else:
            model = lpips.LPIPS(net=backbone, pretrained=True, pnet_rand=True, verbose=False)
            _load_backbone(model.net, backbone_weights)
    except WeightsUnavailable:
        raise
    except Exception as exc:  # URLError, hub download failures, bad files: all mean "no weights here"
        raise _unavailable(f"{type(exc).__name__}: {exc}") from None
    return model.eval().to(device)


def _load_backbone(slices: torch.nn.Module, path: str | os.PathLike) -> None:
    """Load a torchvision classifier state dict ('features.<i>.<param>') into lpips's slices.

    lpips splits torchvision's `features` Sequential into slice1..sliceN but keeps each layer's
    index as its name, so 'features.3.weight' lives at 'slice<k>.3.weight' for exactly one k.
    """
    state = torch.load(path, map_location="cpu", weights_only=True)
    by_layer = {key.split(".", 1)[1]: key for key in slices.state_dict()}
    remapped = {by_layer[key[len("features."):]]: value for key, value in state.items()
                if key.startswith("features.") and key[len("features."):] in by_layer}
    missing = set(by_layer.values()) - set(remapped)
    if missing:
        raise _unavailable(f"{path} is not a torchvision backbone state dict (missing {sorted(missing)[0]})")
    slices.load_state_dict(remapped)
