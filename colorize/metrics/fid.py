"""Fréchet distances between image sets: the maths, and FID through Inception-v3 when its weights exist.

    mu, sigma = feature_stats(features)                  # N x D -> (D, D x D), float64 numpy
    d = frechet_distance(mu1, sigma1, mu2, sigma2)       # >= 0, 0 for identical statistics
    d = fid_from_features(real_feats, fake_feats)

    extract = inception_extractor(weights="inception.pth")   # or None: torchvision's cached weights
    score = fid(real_images, fake_images, extract)           # B x C x H x W in [0, 1]

FID proper needs Inception-v3's ImageNet weights, which cannot be downloaded offline and come from
torchvision (which may not import on CPU-only torch builds). `inception_extractor` raises
WeightsUnavailable ("FID unavailable offline: ...") naming both ways to provide them. The classifier
space of colorize.metrics.classifier gives a Fréchet distance that needs no download.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Iterable

import numpy as np
import torch
import torch.nn.functional as F

from colorize.errors import InputError, WeightsUnavailable
from colorize.metrics.image import torchvision_problem

FeatureFn = Callable[[torch.Tensor], torch.Tensor]
INCEPTION_SIZE = 299
# torchvision's Inception-v3 expects ImageNet-normalised input.
_IMAGENET_MEAN = (0.485, 0.456, 0.406)
_IMAGENET_STD = (0.229, 0.224, 0.225)


def feature_stats(features: np.ndarray | torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """N x D features -> (mean D, covariance D x D), float64. Needs N >= 2."""
    feats = features.detach().cpu().double().numpy() if isinstance(features, torch.Tensor) else np.asarray(
        features, dtype=np.float64)
    if feats.ndim != 2 or feats.shape[0] < 2:
        raise ValueError(f"feature_stats needs an N x D array with N >= 2, got shape {feats.shape}")
    return feats.mean(axis=0), np.cov(feats, rowvar=False)


def _sqrtm_psd(matrix: np.ndarray) -> np.ndarray:
    """Square root of a symmetric positive semi-definite matrix (negative round-off eigenvalues -> 0)."""
    values, vectors = np.linalg.eigh((matrix + matrix.T) * 0.5)
    return (vectors * np.sqrt(np.clip(values, 0.0, None))) @ vectors.T


def frechet_distance(mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray) -> float:
    """||mu1 - mu2||^2 + tr(S1 + S2 - 2 (S1 S2)^(1/2)) between Gaussians N(mu1, S1) and N(mu2, S2).

    tr((S1 S2)^(1/2)) is computed as tr((S1^(1/2) S2 S1^(1/2))^(1/2)), a symmetric PSD matrix with the
    same eigenvalues, so only symmetric eigendecompositions are needed (no complex round-off as with
    a general sqrtm). Result clamped at 0 against round-off.
    """
    mu1, mu2 = np.atleast_1d(mu1), np.atleast_1d(mu2)
    sigma1, sigma2 = np.atleast_2d(sigma1), np.atleast_2d(sigma2)
    if mu1.shape != mu2.shape or sigma1.shape != sigma2.shape:
        raise ValueError("frechet_distance needs statistics of the same dimension")
    root1 = _sqrtm_psd(sigma1)
    cross = _sqrtm_psd(root1 @ sigma2 @ root1)
    diff = mu1 - mu2
    value = diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2.0 * np.trace(cross)
    return float(max(value, 0.0))


def fid_from_features(real: np.ndarray | torch.Tensor, fake: np.ndarray | torch.Tensor) -> float:
    """Fréchet distance between the Gaussian fits of two N x D feature sets."""
    return frechet_distance(*feature_stats(real), *feature_stats(fake))


def _load_inception(weights: str | os.PathLike | None) -> torch.nn.Module:
    """torchvision's Inception-v3, from a local state-dict file or torchvision's cached download."""
    hint = ("pass --inception-weights PATH (a torchvision inception_v3 state dict) or install a torchvision "
            "that imports here and cache its IMAGENET1K_V1 weights")
    problem = torchvision_problem()
    if problem is not None:  # no weights file helps when torchvision itself is broken: say so
        raise WeightsUnavailable(f"FID unavailable: {problem}")
    from torchvision.models import Inception_V3_Weights, inception_v3
    if weights is not None:
        path = Path(weights)
        if not path.is_file():
            raise InputError(f"Inception weights not found: {path}")
        net = inception_v3(weights=None, aux_logits=True, init_weights=False)
        try:
            net.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
        except (RuntimeError, ValueError, OSError) as exc:
            raise InputError(f"{path} is not an inception_v3 state dict ({str(exc).splitlines()[0][:120]})") from None
        return net
    try:
        return inception_v3(weights=Inception_V3_Weights.IMAGENET1K_V1)
    except Exception as exc:  # noqa: BLE001 - any download/cache failure means the same to the user
        raise WeightsUnavailable(f"FID unavailable offline: Inception-v3 weights are not cached "
                                 f"({type(exc).__name__}); {hint}") from None


def inception_extractor(weights: str | os.PathLike | None = None, device: torch.device | str = "cpu",
                        network: torch.nn.Module | None = None) -> FeatureFn:
    """A function B x C x H x W in [0, 1] (C = 1 or 3) -> B x 2048 pool features.

    `network` injects an already built Inception-like module (tests use random weights); otherwise
    the weights come from `weights` or torchvision's cache (WeightsUnavailable when neither works).
    """
    net = network if network is not None else _load_inception(weights)
    net = net.to(device).eval()
    net.fc = torch.nn.Identity()  # the 2048-d pool features are what FID compares
    mean = torch.tensor(_IMAGENET_MEAN, device=device).view(1, 3, 1, 1)
    std = torch.tensor(_IMAGENET_STD, device=device).view(1, 3, 1, 1)

    @torch.no_grad()
    def extract(images: torch.Tensor) -> torch.Tensor:
        x = images.to(device).float()
        if x.shape[1] == 1:
            x = x.expand(-1, 3, -1, -1)
        x = F.interpolate(x, size=(INCEPTION_SIZE, INCEPTION_SIZE), mode="bilinear", align_corners=False)
        out = net((x - mean) / std)
        out = out[0] if isinstance(out, tuple) else out
        return out.flatten(1).float()

    return extract


def features_of(batches: Iterable[torch.Tensor], extract: FeatureFn) -> torch.Tensor:
    """Concatenate extract(batch) over an iterable of image batches -> N x D (on CPU)."""
    return torch.cat([extract(b).cpu() for b in batches])


def fid(real: torch.Tensor | Iterable[torch.Tensor], fake: torch.Tensor | Iterable[torch.Tensor],
        extract: FeatureFn, batch_size: int = 64) -> float:
    """Fréchet distance between two image sets (tensors N x C x H x W in [0, 1], or iterables of batches)
    in the feature space of `extract`."""

    def batches(x):
        if isinstance(x, torch.Tensor):
            return (x[i:i + batch_size] for i in range(0, len(x), batch_size))
        return x

    return fid_from_features(features_of(batches(real), extract), features_of(batches(fake), extract))
