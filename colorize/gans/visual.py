"""Sample grids, loss curves and the run's results page (index.html) written by the Trainer (atomic writes)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import torch

from colorize.images import atomic_path, write_bytes, write_image


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


def columns_grid(columns: list[torch.Tensor], max_rows: int = 8, labels: list[str] | None = None) -> torch.Tensor:
    """Side-by-side columns (each N x C x H x W, e.g. line-art | output | truth) -> 3 x H' x W'.

    With `labels` (one per column) a white band above the grid names each column.
    """
    rows = min(max_rows, min(c.shape[0] for c in columns))
    cols = [c[:rows].float().expand(-1, 3, -1, -1) if c.shape[1] == 1 else c[:rows].float() for c in columns]
    interleaved = torch.stack(cols, dim=1).flatten(0, 1)  # row-major: sample i's columns together
    grid = make_grid(interleaved, ncol=len(columns))
    if labels is None:
        return grid
    if len(labels) != len(columns):
        raise ValueError(f"{len(labels)} labels for {len(columns)} columns")
    return _with_header(grid, labels, cell_width=cols[0].shape[-1])


def _with_header(grid: torch.Tensor, labels: list[str], cell_width: int, pad: int = 2) -> torch.Tensor:
    """Prepend a white band with each label centred over its column (OpenCV's Hershey font, black)."""
    import cv2

    scale = max(0.3, min(0.5, cell_width / 160))
    sizes = [cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 1) for text in labels]
    height = max(h + base for (_, h), base in sizes) + 6
    band = np.full((height, grid.shape[-1], 3), 255, np.uint8)
    for i, (text, ((w, h), _)) in enumerate(zip(labels, sizes)):
        x = pad + i * (cell_width + pad) + max(0, (cell_width - w) // 2)
        cv2.putText(band, text, (x, 3 + h), cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), 1, cv2.LINE_AA)
    header = torch.from_numpy(band).permute(2, 0, 1).to(grid).div(255.0)
    return torch.cat([header, grid], dim=1)


def save_grid(path: str | os.PathLike, grid: torch.Tensor) -> Path:
    """Write a 3 x H x W [0, 1] tensor as an RGB PNG."""
    arr = (grid.detach().cpu().clamp(0, 1).permute(1, 2, 0).numpy() * 255 + 0.5).astype(np.uint8)
    return write_image(path, arr)


def read_history(history_path: str | os.PathLike) -> dict[str, tuple[list[int], list[float]]]:
    """metrics.jsonl -> {key: (steps, values)} for every finite number logged."""
    series: dict[str, tuple[list[int], list[float]]] = {}
    for line in Path(history_path).read_text().splitlines():
        if not line.strip():
            continue
        rec = json.loads(line)
        for key, value in rec.items():
            if key == "step" or not isinstance(value, (int, float)) or not np.isfinite(value):
                continue
            xs, ys = series.setdefault(key, ([], []))
            xs.append(rec["step"])
            ys.append(value)
    return series


def panels(keys: list[str]) -> dict[str, list[str]]:
    """Logged keys grouped into one plot panel per quantity family (run_folder.family), in a fixed
    order; learning rates are left out (a known schedule, and a flat line next to the losses)."""
    from colorize.gans.run_folder import family

    order = ["adversarial", "generator total", "reconstruction", "validation PSNR (dB)", "validation"]
    groups: dict[str, list[str]] = {}
    for key in sorted(keys):
        name = family(key, keys)
        if name in order:
            groups.setdefault(name, []).append(key)
    return {name: groups[name] for name in order if name in groups}


def plot_history(history_path: str | os.PathLike, out_path: str | os.PathLike) -> Path | None:
    """Plot a metrics.jsonl against step into one PNG (Agg backend): one labelled panel per family
    (adversarial, generator total, reconstruction, validation PSNR, validation SSIM / L1 ...)."""
    history_path = Path(history_path)
    if not history_path.is_file():
        return None
    series = read_history(history_path)
    groups = panels(list(series))
    if not groups:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(groups), figsize=(4.2 * len(groups), 3.6), squeeze=False)
    for ax, (title, keys) in zip(axes[0], groups.items()):
        validation = title.startswith("validation")
        for key in keys:
            ax.plot(*series[key], label=key.removeprefix("val_"), linewidth=1, marker="o" if validation else None,
                    markersize=3)
        ax.set(xlabel="step", ylabel="dB" if "PSNR" in title else "value", title=title)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    out_path = Path(out_path)
    with atomic_path(out_path) as tmp:
        fig.savefig(tmp, dpi=100)
    plt.close(fig)
    return out_path


# ------------------------------------------------------------------------------- results page

_PAGE_STYLE = """body{font-family:sans-serif;margin:1.5em;max-width:1200px}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}
th{background:#eee}td:first-child,th:first-child{text-align:left}
img{max-width:100%;image-rendering:pixelated;border:1px solid #ddd}
pre{background:#f6f6f6;padding:8px;overflow:auto;font-size:12px}"""


def latest_metrics(history: dict[str, tuple[list[int], list[float]]]) -> list[tuple[str, float, int]]:
    """(key, latest value, its step) for each logged quantity, sorted by key (from read_history)."""
    return [(key, ys[-1], xs[-1]) for key, (xs, ys) in sorted(history.items())]


def write_index(run_dir: str | os.PathLike) -> Path:
    """Write RUN_DIR/index.html (atomically), a results page in the manner of pix2pix's: the latest
    metrics, the loss plot, every sample grid newest first, and the resolved config. It only links
    what the folder holds (loss.png, samples/step_NNNNNNN.png), by relative path, so the page works
    when the folder is copied or served as it is."""
    from html import escape

    run_dir = Path(run_dir)
    history = read_history(run_dir / "metrics.jsonl") if (run_dir / "metrics.jsonl").is_file() else {}
    grids = sorted((run_dir / "samples").glob("step_*.png"), reverse=True) if (run_dir / "samples").is_dir() else []
    config = (run_dir / "config.json").read_text() if (run_dir / "config.json").is_file() else "{}"
    step = max((xs[-1] for xs, _ in history.values()), default=0)
    parts = [f"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
             f"<title>{escape(run_dir.name)}: training results</title>\n<style>{_PAGE_STYLE}</style>\n</head>\n<body>\n"
             f"<h1>{escape(run_dir.name)}</h1>\n<p>Training run, step {step}. This page is rewritten at every "
             f"sample step.</p>\n<h2>Latest metrics</h2>\n"]
    rows = "".join(f"<tr><td>{escape(key)}</td><td>{value:.5g}</td><td>{at}</td></tr>\n"
                   for key, value, at in latest_metrics(history))
    parts.append(f"<table>\n<tr><th>quantity</th><th>value</th><th>step</th></tr>\n{rows}</table>\n"
                 if rows else "<p>Nothing logged yet.</p>\n")
    if (run_dir / "loss.png").is_file():
        parts.append('<h2>Loss curves</h2>\n<p><img src="loss.png" alt="loss curves"></p>\n')
    parts.append("<h2>Samples (newest first)</h2>\n")
    for grid in grids:
        label = f"step {int(grid.stem.removeprefix('step_'))}" if grid.stem[5:].isdigit() else grid.stem
        parts.append(f'<h3>{escape(label)}</h3>\n<p><img src="samples/{escape(grid.name)}" alt="{escape(label)}" '
                     'loading="lazy"></p>\n')
    parts.append(f"<h2>Config</h2>\n<pre>{escape(config)}</pre>\n</body>\n</html>\n")
    return write_bytes(run_dir / "index.html", "".join(parts).encode("utf-8"))
