"""The one training loop every GAN variant runs on.

The Trainer owns: device placement, AMP (bf16/fp16 + GradScaler), channels_last, torch.compile,
data-parallel training under torchrun (gradient averaging, SyncBatchNorm on GPU, buffer broadcast,
sharded sampling, rank-0-only I/O), linear LR decay, EMA, progress, metrics.jsonl, sample grids,
validation, loss-curve plot, `last`/`best` checkpoints, exact resume and Ctrl-C. Variants implement
only the step contract in colorize.gans.variant.

Run-folder layout:
    RUN_DIR/config.json            resolved config
    RUN_DIR/last.pt, best.pt       training checkpoints (torch.load(weights_only=True))
    RUN_DIR/generator.safetensors  the generator to share (best by validation, else last)
    RUN_DIR/metrics.jsonl          one JSON record per log interval / validation
    RUN_DIR/tensorboard/           the same scalars and the sample grids (when tensorboard is installed)
    RUN_DIR/samples/step_NNNNNNN.png, RUN_DIR/loss.png
    RUN_DIR/index.html             results page: latest metrics, loss plot, grids (newest first), config

Validation, sample grids and the choice of `best` use exactly the weights that are exported: the
EMA copy when `ema_decay` > 0, else the raw generator. `last.pt` holds everything needed to resume;
`best.pt` holds the networks only (no optimizer, scheduler or RNG state).
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import itertools
import math
import random
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any, Iterator, Literal

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset
from tqdm import tqdm

from colorize import runtime
from colorize.config import save_json, to_dict
from colorize.errors import ColorizeError
from colorize.gans.run_folder import RESUME_SAFE_KEYS, MetricsLog, check_start
from colorize.gans.sampling import ResumableSampler, SeededDataset
from colorize.gans.variant import StepContext, Variant
from colorize.gans.visual import plot_history, save_grid, write_index
from colorize.nets import files as ckpt
from colorize.progress import bar, is_quiet


@dataclasses.dataclass
class TrainerConfig:
    """Loop settings shared by every variant (the `[trainer]` table of a training config)."""

    steps: int = 20000              # optimisation steps in total (not epochs: clips vary in length)
    batch_size: int = 8             # per process
    num_workers: int = 2            # DataLoader worker processes
    device: str = "auto"            # auto | cpu | cuda | cuda:N
    precision: Literal["fp32", "bf16", "fp16"] = "bf16"   # autocast on GPU; CPU always runs fp32
    channels_last: bool = True      # GPU only: faster convolutions on tensor cores
    compile: bool = False           # GPU only: torch.compile each network
    seed: int = 0
    log_every: int = 25             # steps between metrics.jsonl records
    sample_every: int = 500         # steps between sample grids + validation
    checkpoint_every: int = 1000    # steps between `last` checkpoints
    lr_decay_start: float = 0.5     # fraction of steps after which LR decays linearly to zero (pix2pix)
    ema_decay: float = 0.0          # EMA of the generator (warmed up: see EMA); 0 = off, 0.999 typical
    val_batches: int = 8            # validation batches per evaluation (0 = all)
    grid_rows: int = 8

    def __post_init__(self):
        if self.steps < 1 or self.batch_size < 1:
            raise ValueError("steps and batch_size must be at least 1")
        if not 0.0 <= self.lr_decay_start <= 1.0:
            raise ValueError("lr_decay_start must be within [0, 1]")
        if not 0.0 <= self.ema_decay < 1.0:
            raise ValueError("ema_decay must be within [0, 1)")


class TrainingInterrupted(ColorizeError):
    """Ctrl-C during training: the checkpoint was saved; exit like an interrupted command."""

    exit_code = 130


class EMA:
    """Exponential moving average of a network's parameters, kept on its device.

    The decay warms up: after n updates it is min(decay, (1 + n) / (10 + n)), so the average forgets
    the random initial weights within the first steps (at a fixed 0.999, 300 steps would still leave
    ~74% of them, and a short run would ship noise). Buffers (BatchNorm running statistics) are
    copied from the trained network: they describe its activations, and the warmed-up average stays
    close to it.
    """

    def __init__(self, net: nn.Module, decay: float):
        self.decay = decay
        self.shadow = copy.deepcopy(net).eval().requires_grad_(False)

    def decay_at(self, updates: int) -> float:
        """The decay used for update number `updates` (0-based)."""
        return min(self.decay, (1.0 + updates) / (10.0 + updates))

    @torch.no_grad()
    def update(self, net: nn.Module, updates: int) -> None:
        """Blend `net` into the average; `updates` = updates made before (the trainer's step)."""
        weight = 1.0 - self.decay_at(updates)
        for s, p in zip(self.shadow.parameters(), net.parameters()):
            s.lerp_(p.detach(), weight)
        for s, b in zip(self.shadow.buffers(), net.buffers()):
            s.copy_(b)


def move_batch(batch: Any, device: torch.device, channels_last: bool = False) -> Any:
    """Move tensors (in dicts, lists, tuples) to `device`; 4-D ones in the expected memory format."""
    if isinstance(batch, torch.Tensor):
        return runtime.to_device(batch, device, channels_last) if batch.is_floating_point() else batch.to(device)
    if isinstance(batch, dict):
        return {k: move_batch(v, device, channels_last) for k, v in batch.items()}
    if isinstance(batch, (list, tuple)):
        return type(batch)(move_batch(v, device, channels_last) for v in batch)
    return batch


def _rng_state() -> dict[str, Any]:
    """All RNG states as tensors and plain data, so weights_only loading can restore them."""
    np_state = np.random.get_state()
    state = {
        "torch": torch.get_rng_state(),
        "numpy": [np_state[0], torch.from_numpy(np_state[1].astype(np.int64)), *np_state[2:]],
        "python": random.getstate(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _set_rng_state(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    kind, keys, *rest = state["numpy"]
    np.random.set_state((kind, keys.numpy().astype(np.uint32), *rest))
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


class _StopRequest:
    """Ctrl-C / SIGTERM during training: finish the current step, then save and stop.

    Stopping at a step boundary keeps the checkpoint consistent (never D updated but not G), so
    `--resume` continues exactly. A second signal aborts at once. On exit the process's SIGINT, SIGTERM
    and SIGCHLD handlers are what they were on entry: a DataLoader with worker processes installs a
    SIGCHLD handler for good, and left in place it crashed (SIGSEGV) a later OpenVINO inference in the
    same process once that process waited on a child (ffmpeg) -- a pipeline's train then colorize steps.
    """

    def __init__(self):
        self.requested = False
        self._previous: dict[int, Any] = {}

    def _handle(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True
        tqdm.write("stopping after this step and saving a checkpoint (press Ctrl-C again to abort)",
                   file=sys.stderr)

    def __enter__(self) -> "_StopRequest":
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._previous[sig] = signal.signal(sig, self._handle)
            self._previous[signal.SIGCHLD] = signal.getsignal(signal.SIGCHLD)
        return self

    def __exit__(self, *exc) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)


def linear_decay(total_steps: int, decay_start: float):
    """LR multiplier: 1 until `decay_start` * total, then linearly to 0 at the last step (pix2pix)."""
    start = int(total_steps * decay_start)
    span = max(1, total_steps - start)

    def factor(step: int) -> float:
        return 1.0 if step < start else max(0.0, 1.0 - (step - start) / span)

    return factor


class Trainer:
    """Runs `variant` on `train_set` for `cfg.steps` steps, writing everything under `run_dir`.

    `full_config` is the resolved run config (all sections) saved as config.json and in checkpoints.
    `resume_safe_keys`: the dotted config keys a resume may change (see run_folder.check_start).
    """

    def __init__(self, variant: Variant, train_set: Dataset, run_dir: str | Path, cfg: TrainerConfig,
                 full_config: Any = None, val_set: Dataset | None = None,
                 collate_fn=None, resume_safe_keys: tuple[str, ...] = RESUME_SAFE_KEYS):
        self.cfg = cfg
        self.run_dir = Path(run_dir)
        self.full_config = full_config if full_config is not None else cfg
        self.device = runtime.resolve_device(cfg.device)
        self.dist = runtime.init_distributed(self.device)
        self.variant = self._place(variant)
        self.optimizers = self.variant.configure_optimizers()
        factor = linear_decay(cfg.steps, cfg.lr_decay_start)
        self.schedulers = {k: torch.optim.lr_scheduler.LambdaLR(o, factor) for k, o in self.optimizers.items()}
        self.scaler = runtime.make_grad_scaler(self.device, cfg.precision)
        ema_target = self.variant.ema_module()
        self.ema = EMA(ema_target, cfg.ema_decay) if (cfg.ema_decay > 0 and ema_target is not None) else None
        self.train_set, self.val_set, self.collate_fn = train_set, val_set, collate_fn
        self.step = 0
        self.best: dict[str, Any] = {}
        self._val_batch = None
        self.resume_safe_keys = resume_safe_keys
        self.log: MetricsLog | None = None

    # ----------------------------------------------------------------------------- set-up
    def _place(self, variant: Variant) -> Variant:
        """Device, SyncBatchNorm (multi-GPU), channels_last, compile, identical start on every rank."""
        if self.dist.enabled and self.device.type == "cuda":
            variant = nn.SyncBatchNorm.convert_sync_batchnorm(variant)
        variant = runtime.prepare_module(variant, self.device, channels_last=self.cfg.channels_last)
        if self.cfg.compile and self.device.type == "cuda":
            for child in variant.children():
                if any(p.requires_grad for p in child.parameters()):
                    child.compile()  # in place: state_dict keys stay portable
        if self.dist.enabled:
            self._broadcast(variant.parameters())
            self._broadcast(variant.buffers())
        return variant

    def _broadcast(self, tensors) -> None:
        import torch.distributed as dist

        for t in tensors:
            dist.broadcast(t.data, src=0)

    def _loader(self, start_sample: int) -> Iterator[Any]:
        sampler = ResumableSampler(len(self.train_set), self.cfg.seed, self.dist.rank,
                                   self.dist.world_size, start=start_sample)
        loader = DataLoader(SeededDataset(self.train_set), batch_size=self.cfg.batch_size, sampler=sampler,
                            num_workers=self.cfg.num_workers, pin_memory=self.device.type == "cuda",
                            drop_last=True, collate_fn=self.collate_fn,
                            persistent_workers=self.cfg.num_workers > 0)
        return iter(loader)

    # ----------------------------------------------------------------------------- checkpoints
    def state_dict(self, resumable: bool = True) -> dict[str, Any]:
        """Networks, EMA, step, best and config; with `resumable` also optimizers, schedulers, scaler
        and RNG states (several times the networks' size with Adam), which only `last` needs."""
        state = {
            "variant": self.variant.name,
            "step": self.step,
            "model": self.variant.state_dict(),
            "ema": self.ema.shadow.state_dict() if self.ema else None,
            "best": self.best,
            "config": to_dict(self.full_config),
        }
        if resumable:
            state.update({
                "optimizers": {k: o.state_dict() for k, o in self.optimizers.items()},
                "schedulers": {k: s.state_dict() for k, s in self.schedulers.items()},
                "scaler": self.scaler.state_dict(),
                "rng": _rng_state(),
            })
        exported = self._export()
        if exported is not None:
            state["generator"] = ckpt.generator_record(*exported)
        return state

    def _export(self) -> tuple[nn.Module, dict] | None:
        exported = self.variant.export_generator()
        if exported is None:
            return None
        net, meta = exported
        if self.ema is not None and self.variant.ema_module() is net:
            net = self.ema.shadow  # share the smoother weights (the ones validation measured)
        return net, {**meta, "step": self.step}

    @contextlib.contextmanager
    def exported_weights(self) -> Iterator[None]:
        """Within the block the variant runs with the weights that are exported (the EMA copy, when on).

        The EMA weights are copied into the variant's network and the trained ones put back after,
        so the variant's own validate/visualize code measures exactly what generator.safetensors holds.
        """
        net = self.variant.ema_module() if self.ema is not None else None
        if net is None:
            yield
            return
        trained = {k: v.clone() for k, v in net.state_dict().items()}
        net.load_state_dict(self.ema.shadow.state_dict())
        try:
            yield
        finally:
            net.load_state_dict(trained)

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if "optimizers" not in state:
            raise ColorizeError("checkpoint holds no optimizer state (a `best` checkpoint?): resume from last.pt")
        if state.get("variant") != self.variant.name:
            raise ColorizeError(f"checkpoint is for variant {state.get('variant')!r}, not {self.variant.name!r}")
        try:
            self.variant.load_state_dict(state["model"])
        except RuntimeError as exc:
            raise ColorizeError(f"checkpoint does not fit this model ({str(exc).splitlines()[0][:160]})") from None
        for k, o in self.optimizers.items():
            o.load_state_dict(state["optimizers"][k])
        for k, s in self.schedulers.items():
            s.load_state_dict(state["schedulers"][k])
        self.scaler.load_state_dict(state["scaler"])
        if self.ema and state.get("ema") is not None:
            self.ema.shadow.load_state_dict(state["ema"])
        self.step = int(state["step"])
        self.best = dict(state.get("best") or {})
        _set_rng_state(state["rng"])

    def save(self, name: str) -> Path | None:
        """Write RUN_DIR/<name>.pt (rank 0 only) and refresh generator.safetensors."""
        path = None
        if self.dist.is_main:
            path = ckpt.save_checkpoint(self.run_dir / f"{name}.pt", self.state_dict(resumable=name != "best"))
            exported = self._export()
            if exported is not None and (name == "best" or not self.best):
                ckpt.save_generator(self.run_dir / "generator.safetensors", *exported)
        runtime.barrier()
        return path

    def resume(self) -> bool:
        """Load RUN_DIR/last.pt if it exists (else start at step 0). True when a checkpoint was loaded."""
        last = self.run_dir / "last.pt"
        if not last.is_file():
            return False
        self.load_state_dict(ckpt.load_checkpoint(last, map_location=self.device))
        return True

    # ----------------------------------------------------------------------------- logging
    def _log(self, record: dict[str, Any]) -> None:
        self.log.scalars(self.step, record)

    def _write_report(self) -> None:
        """loss.png and index.html (the results page: metrics, loss plot, sample grids, config); rank 0."""
        plot_history(self.run_dir / "metrics.jsonl", self.run_dir / "loss.png")
        write_index(self.run_dir)

    def _note(self, message: str) -> None:
        """One informational line on stderr (rank 0, not under `colorize -q`)."""
        if self.dist.is_main and not is_quiet():
            tqdm.write(message, file=sys.stderr)

    @torch.no_grad()
    def evaluate(self) -> dict[str, float]:
        """Sample grid from the first validation (else training) batch, and mean validation metrics,
        both with the exported weights (see exported_weights)."""
        self.variant.eval()
        with self.exported_weights():
            metrics = self._validate_and_draw()
        self.variant.train()
        return {f"val_{k}": float(np.mean(v)) for k, v in metrics.items()}

    def _validate_and_draw(self) -> dict[str, list[float]]:
        metrics: dict[str, list[float]] = {}
        if self.val_set is not None and len(self.val_set) > 0:
            loader = DataLoader(self.val_set, batch_size=self.cfg.batch_size, shuffle=False,
                                collate_fn=self.collate_fn)
            limit = self.cfg.val_batches or None
            for i, batch in enumerate(itertools.islice(loader, limit)):
                batch = move_batch(batch, self.device, self.cfg.channels_last)
                if i == 0:
                    self._val_batch = batch
                for k, v in self.variant.validate(batch).items():
                    metrics.setdefault(k, []).append(float(v))
        batch = self._val_batch if self._val_batch is not None else self._grid_batch
        if self.dist.is_main and batch is not None:
            grid = self.variant.visualize(batch)
            save_grid(self.run_dir / "samples" / f"step_{self.step:07d}.png", grid)
            self.log.image(self.step, "samples", grid)
        return metrics

    def _maybe_best(self, val: dict[str, float]) -> None:
        spec = self.variant.best_metric
        if spec is None or f"val_{spec[0]}" not in val:
            return
        key, mode = f"val_{spec[0]}", spec[1]
        value = val[key]
        old = self.best.get("value")
        better = old is None or (value > old if mode == "max" else value < old)
        if better and math.isfinite(value):
            self.best = {"metric": key, "value": value, "step": self.step}
            self.save("best")

    # ----------------------------------------------------------------------------- the loop
    def fit(self, resume: bool = False) -> dict[str, Any]:
        """Train until cfg.steps; returns a summary (steps, seconds, last losses, best)."""
        cfg = self.cfg
        check_start(self.run_dir, to_dict(self.full_config), resume, self.resume_safe_keys)
        runtime.barrier()  # every rank has checked the folder before rank 0 writes into it
        if self.dist.is_main:
            self.run_dir.mkdir(parents=True, exist_ok=True)
            save_json(self.full_config, self.run_dir / "config.json")
        runtime.seed_everything(cfg.seed + self.dist.rank)
        if resume:
            self.resume()
        self.log = MetricsLog(self.run_dir, enabled=self.dist.is_main, resume_step=self.step if resume else None)
        if self.log.tensorboard_missing:
            self._note("TensorBoard logs off (pip install tensorboard to get them); metrics go to metrics.jsonl")
        try:
            return self._fit(cfg)
        finally:
            self.log.close()

    def _fit(self, cfg: TrainerConfig) -> dict[str, Any]:
        data = self._loader(start_sample=self.step * cfg.batch_size)
        self._grid_batch = None
        running: dict[str, list[float]] = {}
        autocast = lambda: runtime.autocast(self.device, cfg.precision)  # noqa: E731
        progress = bar(total=cfg.steps, initial=self.step, desc="train", unit="step",
                       enabled=self.dist.is_main)
        started, first_step = time.perf_counter(), self.step
        self.variant.train()
        try:
            with _StopRequest() as stop:
                self._loop(data, progress, running, autocast, stop)
        except KeyboardInterrupt:
            progress.close()
            self.save("last")
            raise TrainingInterrupted(f"interrupted at step {self.step}; saved {self.run_dir / 'last.pt'} "
                                      f"(continue with --resume)") from None
        progress.close()
        if self.step % cfg.checkpoint_every:
            self.save("last")
        if self.dist.is_main:
            self._write_report()
        seconds = time.perf_counter() - started
        return {"steps": self.step, "seconds": seconds, "steps_run": self.step - first_step,
                "best": self.best, "run_dir": str(self.run_dir)}

    def _loop(self, data, progress, running: dict[str, list[float]], autocast, stop: _StopRequest) -> None:
        """Steps until cfg.steps: batch -> variant step -> bookkeeping -> periodic logs/grids/saves."""
        cfg = self.cfg
        while self.step < cfg.steps:
            batch = move_batch(next(data), self.device, cfg.channels_last)
            if self._grid_batch is None:
                self._grid_batch = batch
            ctx = StepContext(self.step, self.device, self.optimizers, self.scaler, autocast,
                              self.dist.world_size)
            logs = self.variant.train_step(batch, ctx)
            self._after_step()
            for k, v in logs.items():
                running.setdefault(k, []).append(float(v))
            progress.update(1)
            progress.set_postfix({k: f"{v:.3g}" for k, v in logs.items()}, refresh=False)
            self._periodic(running)
            if stop.requested:
                raise KeyboardInterrupt

    def _after_step(self) -> None:
        """Bookkeeping after a variant step: LR schedules, buffer sync, EMA, step counter."""
        for s in self.schedulers.values():
            s.step()
        if self.dist.enabled:
            # BatchNorm running stats differ per shard; like DDP, rank 0's buffers win.
            self._broadcast(self.variant.buffers())
        if self.ema is not None:
            self.ema.update(self.variant.ema_module(), updates=self.step)
        self.step += 1

    def _periodic(self, running: dict[str, list[float]]) -> None:
        cfg = self.cfg
        if self.step % cfg.log_every == 0 or self.step == cfg.steps:
            lr = {f"lr_{k}": o.param_groups[0]["lr"] for k, o in self.optimizers.items()}
            self._log({**{k: float(np.mean(v)) for k, v in running.items()}, **lr})
            running.clear()
        if self.step % cfg.sample_every == 0 or self.step == cfg.steps:
            val = self.evaluate()
            if val:
                self._log(val)
                self._maybe_best(val)
            if self.dist.is_main:
                self._write_report()
        if self.step % cfg.checkpoint_every == 0:
            self.save("last")
