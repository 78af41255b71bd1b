"""What a training run folder holds, the rules for starting or resuming in one, and its live logs.

    check_start(run_dir, config_dict, resume)   refuse a fresh run over an old one, or a resume whose
                                                config differs from RUN_DIR/config.json (beyond safe keys)
    log = MetricsLog(run_dir, resume_step)     metrics.jsonl, plus TensorBoard events under
                                                RUN_DIR/tensorboard when the `tensorboard` package is installed

Generic: configs are compared as plain dicts (config.to_dict), whatever the variant and its data.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterable

import torch

from colorize.config import changed_keys
from colorize.errors import ColorizeError, ConfigError

# Keys a resumed run may change: they steer how long and how the loop reports, not what it learns.
# (`colorize train --help` lists them; tests/cli/test_train_cli.py checks that it does.)
RESUME_SAFE_KEYS: tuple[str, ...] = (
    "trainer.steps", "trainer.device", "trainer.num_workers", "trainer.log_every", "trainer.sample_every",
    "trainer.checkpoint_every", "trainer.val_batches", "trainer.grid_rows",
)

RUN_MARKERS = ("config.json", "last.pt", "metrics.jsonl")


def holds_run(run_dir: str | Path) -> bool:
    """True when `run_dir` already has a run's config, checkpoint or log."""
    return any((Path(run_dir) / name).exists() for name in RUN_MARKERS)


def saved_config(run_dir: str | Path) -> dict[str, Any] | None:
    """RUN_DIR/config.json as a dict, None when absent; ConfigError when unreadable."""
    path = Path(run_dir) / "config.json"
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path} is not valid JSON ({exc.msg})") from None


def check_start(run_dir: str | Path, config: dict[str, Any], resume: bool,
                safe_keys: Iterable[str] = RESUME_SAFE_KEYS) -> list[str]:
    """Enforce the run-folder rules before any work; returns the (safe) keys a resume changes.

    Fresh run: the folder must not hold a run (its log and best model would be mixed with the new
    one). Resume: `config` may differ from the saved one only in `safe_keys`.
    """
    run_dir = Path(run_dir)
    if not resume:
        if holds_run(run_dir):
            raise ColorizeError(f"{run_dir} already holds a training run; pass --resume to continue it "
                                f"or choose another --out")
        return []
    saved = saved_config(run_dir)
    if saved is None:
        return []
    changed = changed_keys(saved, config)
    unsafe = [k for k in changed if k not in set(safe_keys)]
    if unsafe:
        raise ConfigError(f"cannot resume {run_dir} with a different config: {', '.join(unsafe)} "
                          f"differ from its config.json (a resume may change only {', '.join(safe_keys)}); "
                          f"drop those changes or train into another --out")
    return changed


class MetricsLog:
    """One JSON record per line in RUN_DIR/metrics.jsonl, mirrored to TensorBoard when available.

    Scalars go to TensorBoard under "<family>/<key>" (see `family`), images under their tag. On
    resume, records newer than `resume_step` are dropped from both, so curves never double back.
    `enabled` is False on every process but rank 0 (nothing is written there).
    """

    def __init__(self, run_dir: str | Path, enabled: bool = True, resume_step: int | None = None):
        self.path = Path(run_dir) / "metrics.jsonl"
        self.enabled = enabled
        self.writer = None
        self.tensorboard_missing = False
        if not enabled:
            return
        if resume_step is not None:
            self._truncate(resume_step)
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError:  # optional: pip install 'colorize[tensorboard]'
            self.tensorboard_missing = True
            return
        self.writer = SummaryWriter(str(Path(run_dir) / "tensorboard"), purge_step=resume_step)

    def _truncate(self, step: int) -> None:
        if self.path.is_file():
            keep = [ln for ln in self.path.read_text().splitlines() if ln.strip() and json.loads(ln)["step"] <= step]
            self.path.write_text("".join(ln + "\n" for ln in keep))

    def scalars(self, step: int, record: dict[str, float]) -> None:
        if not self.enabled:
            return
        with self.path.open("a") as fh:
            fh.write(json.dumps({"step": step, **record}) + "\n")
        if self.writer is not None:
            for key, value in record.items():
                section = family(key, record).split(" (")[0].replace(" ", "_")
                self.writer.add_scalar(f"{section}/{key}", value, step)
            self.writer.flush()

    def image(self, step: int, tag: str, grid: torch.Tensor) -> None:
        """A 3 x H x W [0, 1] image (a sample grid) to TensorBoard; metrics.jsonl holds no images."""
        if self.enabled and self.writer is not None:
            self.writer.add_image(tag, grid.detach().float().clamp(0, 1).cpu(), step)
            self.writer.flush()

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


# Quantity families: each gets its own panel in loss.png and its own section in TensorBoard, so
# numbers of different scales (PSNR in dB, SSIM in [0, 1], a generator total with L1 x 100) never share an axis.
_RECONSTRUCTION = ("l1", "l2", "perceptual", "style", "temporal", "cycle", "identity", "recon")


def _is_reconstruction(key: str) -> bool:
    return any(key == r or key.startswith(f"{r}_") or key.endswith(f"_{r}") for r in _RECONSTRUCTION)


def family(key: str, keys: Iterable[str] = ()) -> str:
    """The family of a logged quantity, given all logged `keys`: "validation PSNR (dB)", "validation",
    "learning rate", "reconstruction" (L1, VGG, ...), "generator total" (g when it sums reconstruction
    terms too) or "adversarial"."""
    if key.startswith("val_"):
        return "validation PSNR (dB)" if "psnr" in key else "validation"
    if key.startswith("lr_"):
        return "learning rate"
    if _is_reconstruction(key):
        return "reconstruction"
    if key == "g" and any(_is_reconstruction(k) for k in keys):
        return "generator total"
    return "adversarial"
