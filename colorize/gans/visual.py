"""Sample grids and loss curves written by the Trainer (PNG, atomic)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import torch

from colorize.images import atomic_path, write_image


def make_grid(images: torch.Tensor, ncol: int = 8, pad: int = 2, pad_value: float = 1.0) -> torch.Tensor:
    """N x C x H x W in [0, 1] (C = 1 or 3) -> 3 x H' x W' grid, row-major, `ncol` images per row."""
    if images.dim() != 4:
        raise ValueError(f"make_grid expects N x C x H x W, got {tuple(images.shape)}")
    images = images.detach().float().clamp(0, 1)
    if images.shape[1] == 1:
        images = images.expand(-1, 3, -1, -1)
    n, _, h, w = images.shape
    ncol = max(1, min(ncol, n))
    nrow = (n + ncol - 1) // ncol
    grid = images.new_full((3, nrow * (h + pad) + pad, ncol * (w + pad) + pad), pad_value)
    for i in range(n):
        r, c = divmod(i, ncol)
        y, x = pad + r * (h + pad), pad + c * (w + pad)
        grid[:, y:y + h, x:x + w] = images[i]
    return grid


def columns_grid(columns: list[torch.Tensor], max_rows: int = 8) -> torch.Tensor:
    """Side-by-side columns (each N x C x H x W, e.g. line-art | output | truth) -> 3 x H' x W'."""
    rows = min(max_rows, min(c.shape[0] for c in columns))
    cols = [c[:rows].float().expand(-1, 3, -1, -1) if c.shape[1] == 1 else c[:rows].float() for c in columns]
    interleaved = torch.stack(cols, dim=1).flatten(0, 1)  # row-major: sample i's columns together
    return make_grid(interleaved, ncol=len(columns))


def save_grid(path: str | os.PathLike, grid: torch.Tensor) -> Path:
    """Write a 3 x H x W [0, 1] tensor as an RGB PNG."""
    arr = (grid.detach().cpu().clamp(0, 1).permute(1, 2, 0).numpy() * 255 + 0.5).astype(np.uint8)
    return write_image(path, arr)


def plot_history(history_path: str | os.PathLike, out_path: str | os.PathLike) -> Path | None:
    """Plot every logged loss/metric from a metrics.jsonl against step into one PNG (Agg backend)."""
    history_path = Path(history_path)
    if not history_path.is_file():
        return None
    series: dict[str, tuple[list[int], list[float]]] = {}
    for line in history_path.read_text().splitlines():
        if not line.strip():
            continue
        rec = json.loads(line)
        for key, value in rec.items():
            if key == "step" or not isinstance(value, (int, float)) or not np.isfinite(value):
                continue
            xs, ys = series.setdefault(key, ([], []))
            xs.append(rec["step"])
            ys.append(value)
    if not series:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # Learning rates follow a known schedule and would flatten the loss axis: left out of the plot.
    train_keys = sorted(k for k in series if not k.startswith(("val_", "lr_")))
    val_keys = sorted(k for k in series if k.startswith("val_"))
    fig, axes = plt.subplots(1, 2 if val_keys else 1, figsize=(12 if val_keys else 7, 4), squeeze=False)
    for key in train_keys:
        axes[0][0].plot(*series[key], label=key, linewidth=1)
    axes[0][0].set(xlabel="step", title="training losses")
    if train_keys:
        axes[0][0].legend(fontsize=7)
    if val_keys:
        for key in val_keys:
            axes[0][1].plot(*series[key], marker="o", label=key)
        axes[0][1].set(xlabel="step", title="validation")
        axes[0][1].legend(fontsize=7)
    fig.tight_layout()
    out_path = Path(out_path)
    with atomic_path(out_path) as tmp:
        fig.savefig(tmp, dpi=100)
    plt.close(fig)
    return out_path
