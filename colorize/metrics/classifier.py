"""Offline GAN metrics from a small classifier the project trains itself (no download, seconds on a CPU).

    clf = load_or_train_classifier(images, labels, 10, cache=Path("~/.cache/colorize/x.safetensors"))
    acc = class_accuracy(clf, samples, intended_labels)    # does `--label 3` draw a 3?
    fd = classifier_fd(clf, real_images, samples)          # Fréchet distance in its 64-d feature space

Images are B x C x H x W in [-1, 1] (the GAN datasets' range). The classifier's Fréchet distance
plays FID's role where Inception weights are unavailable: lower is better, 0 for identical
statistics; it is comparable only between runs scored by the same classifier weights.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from colorize.images import atomic_path
from colorize.metrics.fid import fid_from_features

FEATURE_DIM = 64
INPUT_SIZE = 16  # every input is resized to 16 x 16 first: cost independent of the GAN's size


def cache_dir() -> Path:
    """Where trained metric classifiers are kept: $COLORIZE_CACHE or ~/.cache/colorize."""
    return Path(os.environ.get("COLORIZE_CACHE", Path.home() / ".cache" / "colorize"))


class SmallClassifier(nn.Module):
    """B x channels x H x W (any size, resized to 16 x 16) -> B x num_classes logits; `features` -> B x 64.

    The last feature map is flattened rather than pooled: where the strokes are is what tells digits apart.
    """

    def __init__(self, channels: int, num_classes: int):
        super().__init__()
        self.channels, self.num_classes = channels, num_classes
        self.trunk = nn.Sequential(
            nn.Conv2d(channels, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(),
            nn.Flatten(), nn.Linear(64 * (INPUT_SIZE // 4) ** 2, FEATURE_DIM), nn.ReLU(),
        )
        self.head = nn.Linear(FEATURE_DIM, num_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-2:] != (INPUT_SIZE, INPUT_SIZE):
            x = F.interpolate(x, size=(INPUT_SIZE, INPUT_SIZE), mode="bilinear", align_corners=False, antialias=True)
        return self.trunk(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


def _jitter(x: torch.Tensor) -> torch.Tensor:
    """Random shifts of up to 1/16 of the side (paper padded), so samples slightly off-centre still count."""
    pad = max(1, x.shape[-1] // 16)
    padded = F.pad(x, (pad, pad, pad, pad), value=-1.0)
    dy, dx = (int(v) for v in torch.randint(0, 2 * pad + 1, (2,)))
    return padded[..., dy:dy + x.shape[-2], dx:dx + x.shape[-1]]


def train_classifier(images: torch.Tensor, labels: torch.Tensor, num_classes: int, steps: int = 600,
                     batch_size: int = 128, seed: int = 0) -> SmallClassifier:
    """Fit a SmallClassifier to N x C x H x W images in [-1, 1] and N labels (Adam, random shifts).

    Uses its own torch.Generator-seeded order and restores the global RNG afterwards, so training
    it inside a GAN run does not change the run's random stream.
    """
    state = torch.get_rng_state()
    torch.manual_seed(seed)
    try:
        net = SmallClassifier(images.shape[1], num_classes)
        opt = torch.optim.Adam(net.parameters(), lr=2e-3)
        for _ in range(steps):
            idx = torch.randint(len(images), (batch_size,))
            loss = F.cross_entropy(net(_jitter(images[idx])), labels[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    finally:
        torch.set_rng_state(state)
    return net.eval()


def load_or_train_classifier(images: torch.Tensor, labels: torch.Tensor, num_classes: int,
                             cache: str | os.PathLike, steps: int = 600) -> SmallClassifier:
    """The classifier cached at `cache` (safetensors), or a freshly trained one saved there atomically.

    A cache file that does not load (other shape, corrupt) is retrained and replaced.
    """
    from safetensors import SafetensorError
    from safetensors.torch import load_file, save_file

    cache = Path(cache)
    net = SmallClassifier(images.shape[1], num_classes)
    if cache.is_file():
        try:
            net.load_state_dict(load_file(str(cache)))
            return net.eval()
        except (SafetensorError, RuntimeError, OSError):
            pass  # stale or foreign file: retrain below
    net = train_classifier(images, labels, num_classes, steps=steps)
    with atomic_path(cache) as tmp:
        save_file({k: v.contiguous() for k, v in net.state_dict().items()}, str(tmp))
    return net


@torch.no_grad()
def _batched(fn, images: torch.Tensor, batch_size: int = 256) -> torch.Tensor:
    return torch.cat([fn(images[i:i + batch_size]) for i in range(0, len(images), batch_size)])


@torch.no_grad()
def class_accuracy(net: SmallClassifier, images: torch.Tensor, labels: torch.Tensor) -> float:
    """Fraction of images (N x C x H x W in [-1, 1]) the classifier assigns to `labels` (N ints)."""
    predictions = _batched(net, images.cpu()).argmax(1)
    return float((predictions == labels.cpu()).float().mean())


@torch.no_grad()
def classifier_fd(net: SmallClassifier, real: torch.Tensor, fake: torch.Tensor) -> float:
    """Fréchet distance between two image sets in the classifier's 64-d feature space (lower is better)."""
    return fid_from_features(_batched(net.features, real.cpu()), _batched(net.features, fake.cpu()))


@torch.no_grad()
def best_match_accuracy(net: SmallClassifier, images: torch.Tensor, codes: torch.Tensor, num_classes: int) -> float:
    """Accuracy under the best one-to-one map from codes to classes (unsupervised: InfoGAN's category).

    Hungarian matching on the code x class confusion counts (scipy's linear_sum_assignment).
    """
    from scipy.optimize import linear_sum_assignment

    predictions = _batched(net, images.cpu()).argmax(1).numpy()
    codes = codes.cpu().numpy()
    n_codes = int(codes.max()) + 1
    counts = np.zeros((n_codes, num_classes))
    np.add.at(counts, (codes, predictions), 1)
    rows, cols = linear_sum_assignment(-counts)
    return float(counts[rows, cols].sum() / len(codes))
