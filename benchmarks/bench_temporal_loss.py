"""Does the warp-consistency training loss help? Two equal fine-tunes of a trained reference model, scored alike.

    colorize run pipelines/default_model.toml                      # the base run (runs/default_model)
    python benchmarks/bench_temporal_loss.py --steps 800 --weight 50

From the base run's last.pt, trains two arms for `--steps` more steps on the same clips, with the
same config, seed and learning-rate schedule: one without and one with `[reference] temporal =
--weight`. Then scores each arm's last weights with benchmarks/bench_reference.py's clips and modes
(PSNR, char PSNR, ΔE, TC). Never run by the tests.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import torch

from colorize.config import from_dict, override
from colorize.jobs.train import TrainConfig, train_colorizer
from colorize.progress import set_quiet
from colorize.engine.model import Colorizer

import bench_reference


def fine_tune(base: Path, out: Path, inputs: list[Path], steps: int, weight: float) -> Path:
    """Copy base/last.pt into `out`, train `steps` more with reference.temporal = weight; returns out/last.pt."""
    cfg = from_dict(TrainConfig, json.loads((base / "config.json").read_text()))
    start = torch.load(base / "last.pt", map_location="cpu", weights_only=True)["step"]
    cfg = override(cfg, {"reference.temporal": weight, "trainer.steps": start + steps,
                         "data.cache_dir": str(base / "cache")})
    out.mkdir(parents=True, exist_ok=True)
    shutil.copy(base / "last.pt", out / "last.pt")
    summary = train_colorizer(inputs, out, cfg, resume=True)
    print(f"  {out.name}: steps {start} -> {summary['steps']} in {summary['seconds']:.0f} s", flush=True)
    return out / "last.pt"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=Path, default=Path("runs/default_model"))
    parser.add_argument("--out", type=Path, default=Path("runs/temporal_loss"))
    parser.add_argument("--steps", type=int, default=800)
    parser.add_argument("--weight", type=float, default=50.0)
    parser.add_argument("--clips", type=int, default=3)
    parser.add_argument("--frames", type=int, default=48)
    parser.add_argument("--smooth", type=float, default=0.5)
    args = parser.parse_args()
    set_quiet(True)
    inputs = sorted(p for p in (args.base / "clips").iterdir() if p.is_dir())
    for arm, weight in (("without", 0.0), ("with", args.weight)):
        model = fine_tune(args.base, args.out / arm, inputs, args.steps, weight)
        print(f"\n=== {arm} the temporal loss (weight {weight:g}), {args.steps} steps from the base run")
        table, _ = bench_reference.score(Colorizer.from_file(model, device="cpu"), args)
        bench_reference.print_table(table)


if __name__ == "__main__":
    main()
