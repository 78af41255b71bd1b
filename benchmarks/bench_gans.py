"""Train every GAN variant on the built-in digits for a fixed CPU time budget and print a score table.

    python benchmarks/bench_gans.py --seconds 60                      # all variants, 16 px, ~12 min
    python benchmarks/bench_gans.py --seconds 30 --variants cgan acgan --grids docs/gans

Each variant runs its shipped config (colorize/assets/configs/gans/NAME.toml) with the
size/width/device overrides below. The Trainer has no wall-clock stop, so the run starts with a few
steps, measures its rate and is extended with
--resume (exactly the interrupted run's continuation) until the budget is spent; "seconds" in the
table is the measured training time, within a few steps of the budget.
Scores (colorize.jobs.gan.evaluate_variant, 1000 samples, raw generator):
    cls_fd    Fréchet distance to held-out digits in the project classifier's feature space (lower is better)
    real_fd   the same distance between real training and held-out digits (the floor)
    class_acc fraction of conditional samples classified as the class asked for (chance: 10%)
    other     InfoGAN: code accuracy under the best code -> class matching; CycleGAN: digits kept
Writes a sample grid per variant to --grids/NAME.png. Figures are for information, never asserted.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from colorize.config import override  # noqa: E402
from colorize.gans.registry import list_variants  # noqa: E402
from colorize.jobs.gan import GanRunConfig, evaluate_variant, load_run, load_run_config, train_run  # noqa: E402
from colorize.gans.visual import columns_grid, save_grid  # noqa: E402
from colorize.progress import set_quiet  # noqa: E402

FIRST_STEPS = 10
MAX_EXTENSIONS = 4


def bench_config(name: str, size: int, base: int, steps: int, model_options: dict | None = None) -> GanRunConfig:
    """The variant's pipeline config, shrunk for a CPU budget (no EMA: too few steps for it to settle)."""
    cfg = load_run_config(name)
    changes = {"data.size": size, "trainer.device": "cpu", "trainer.ema_decay": 0.0, "trainer.steps": steps,
               "trainer.sample_every": max(steps, 1), "trainer.checkpoint_every": 10 ** 9, "trainer.log_every": 25}
    model = dict(cfg.model, g_base=base, d_base=base * (2 if name == "cyclegan" else 1))
    if name == "cyclegan":
        model["d_layers"] = 2
    model.update(model_options or {})
    return override(override(cfg, changes), {"model": model})


def grid_for(variant, cfg: GanRunConfig) -> torch.Tensor:
    """The picture for the README: the fixed-noise grid, or test digits | translations for cyclegan."""
    if cfg.variant == "cyclegan":
        from colorize.data.digits import UnpairedDigits

        a = UnpairedDigits(cfg.data.size, "test", cfg.data.digit_style).a[:8]
        return columns_grid([(a + 1) * 0.5, (variant.translate(a).cpu() + 1) * 0.5])
    return variant.visualize(None)


def train_for(name: str, args, run: Path) -> tuple[int, float]:
    """Train `name` for about args.seconds of training time; returns (steps, seconds)."""
    steps, seconds = FIRST_STEPS, 0.0
    for extension in range(MAX_EXTENSIONS + 1):
        cfg = bench_config(name, args.size, args.base, steps, args.model_options)
        summary = train_run(cfg, run, resume=extension > 0)
        seconds += summary["seconds"]
        rate = summary["steps_run"] / max(summary["seconds"], 1e-6)
        remaining = args.seconds - seconds
        if remaining < 0.1 * args.seconds or remaining * rate < 1:
            break
        steps += max(1, int(0.8 * remaining * rate))  # under-shoot: the next extension can top up
    return summary["steps"], seconds


def bench_variant(name: str, args, work: Path) -> dict:
    steps, seconds = train_for(name, args, work / name)
    variant, cfg = load_run(work / name)
    torch.manual_seed(0)
    scores = evaluate_variant(variant, cfg, n=args.samples)
    if args.grids:
        grid = grid_for(variant, cfg)
        zoom = max(1, 64 // args.size)  # small digits are enlarged (nearest) to be visible in the README
        save_grid(Path(args.grids) / f"{name}.png", grid.repeat_interleave(zoom, 1).repeat_interleave(zoom, 2))
    return {"variant": name, "steps": steps, "seconds": seconds, **scores}


def _number(text: str):
    """'0.01' -> 0.01, '5' -> 5, anything else stays a string."""
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def print_table(rows: list[dict]) -> None:
    print(f"{'variant':10s} {'steps':>6s} {'seconds':>8s} {'cls_fd':>8s} {'real_fd':>8s} {'class_acc':>9s} {'other':>14s}")
    for r in rows:
        acc = f"{r['class_accuracy']:.1%}" if "class_accuracy" in r else "-"
        other = (f"code {r['code_accuracy']:.1%}" if "code_accuracy" in r
                 else f"kept {r['label_kept']:.1%}" if "label_kept" in r else "-")
        real = f"{r['real_fd']:.2f}" if "real_fd" in r else "-"
        print(f"{r['variant']:10s} {r['steps']:6d} {r['seconds']:8.1f} {r.get('classifier_fd', float('nan')):8.2f} "
              f"{real:>8s} {acc:>9s} {other:>14s}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60.0, help="training budget per variant")
    parser.add_argument("--variants", nargs="*", default=None, help="default: every variant but pix2pix")
    parser.add_argument("--size", type=int, default=16, help="digit size (16 keeps CPU steps cheap)")
    parser.add_argument("--base", type=int, default=16, help="network base width")
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (1 avoids contention on shared CPUs)")
    parser.add_argument("--grids", default=str(ROOT / "docs" / "gans"), help="folder for NAME.png grids ('' = none)")
    parser.add_argument("--work", default=None, help="run folders (default: a temporary folder)")
    parser.add_argument("--model", nargs="*", default=[], metavar="KEY=VALUE",
                        help="[model] options for every variant benchmarked, e.g. lambda_k=0.01")
    args = parser.parse_args()
    args.model_options = {k: _number(v) for k, v in (kv.split("=", 1) for kv in args.model)}
    torch.set_num_threads(args.threads)
    set_quiet(True)
    names = args.variants or [n for n in list_variants() if n != "pix2pix"]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(args.work or tmp)
        for name in names:
            rows.append(bench_variant(name, args, work))
            print(f"done {name}: {rows[-1]}", file=sys.stderr, flush=True)
    print(f"digits {args.size}px, base width {args.base}, {args.seconds:.0f} s budget per variant, "
          f"{args.threads} thread(s), {args.samples} samples")
    print_table(rows)


if __name__ == "__main__":
    main()
