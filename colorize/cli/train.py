"""`colorize train`: train the colorizer on the user's own clips (see colorize.gans.colorizer)."""

from __future__ import annotations

from pathlib import Path

import click

from colorize.config import from_dict, load_toml, override

DEFAULT_CONFIG = Path(__file__).resolve().parents[2] / "pipelines" / "train.toml"


def _load_config(config: Path | None, out: Path, resume: bool):
    from colorize.gans.colorizer import TrainConfig, resolved_config_for_resume

    if resume and (out / "last.pt").is_file():
        if config is not None:
            click.echo(f"note: resuming with the run's own config ({out / 'config.json'}); --config ignored",
                       err=True)
        return from_dict(TrainConfig, resolved_config_for_resume(out))
    if config is not None:
        return load_toml(TrainConfig, config)
    if DEFAULT_CONFIG.is_file():
        return load_toml(TrainConfig, DEFAULT_CONFIG)
    return TrainConfig()


@click.command("train")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", "-o", "out", required=True, type=click.Path(path_type=Path),
              help="Run folder: checkpoints (last.pt, best.pt), generator.safetensors, config.json, "
                   "samples/, metrics.jsonl, loss.png.")
@click.option("--config", "config", type=click.Path(path_type=Path),
              help="Training config TOML ([data], [model], [trainer]); default pipelines/train.toml.")
@click.option("--resume", is_flag=True, help="Continue RUN_DIR/last.pt exactly (same step, LR, data order).")
@click.option("--steps", type=int, help="Override trainer.steps (total steps, also when resuming).")
@click.option("--batch-size", type=int, help="Override trainer.batch_size (per process).")
@click.option("--device", help="Override trainer.device: auto, cpu, cuda, cuda:N.")
@click.option("--precision", type=click.Choice(["fp32", "bf16", "fp16"]), help="Override trainer.precision (GPU).")
@click.option("--workers", type=int, help="Override trainer.num_workers.")
@click.option("--vgg-weights", type=click.Path(path_type=Path),
              help="Local VGG19 state dict for the perceptual/style losses (else torchvision's cache).")
@click.option("--no-vgg", is_flag=True, help="Turn the perceptual and style terms off (no VGG needed).")
@click.option("--reference/--no-reference", "reference", default=None,
              help="Train the reference-guided colorizer, which also follows a colour keyframe of the shot "
                   "(overrides reference.enabled; default: the config's, off in pipelines/train.toml).")
def train_cmd(inputs, out, config, resume, steps, batch_size, device, precision, workers, vgg_weights, no_vgg,
              reference):
    """Train the colorizer on INPUTS (videos and/or folders of frames).

    Pairs (line-art, colour) are made with the line-art stage and cached in RUN_DIR/cache; the last
    frames of each clip are held out for validation. Every trainer.sample_every steps a grid
    (line-art | output | truth; with --reference: reference | line-art | output without and with it |
    truth) and validation PSNR/SSIM are written; Ctrl-C saves last.pt.
    Multi-GPU or multi-process: torchrun --nproc_per_node N -m colorize train ...
    """
    from colorize.gans.colorizer import train_colorizer

    cfg = _load_config(config, out, resume)
    cfg = override(cfg, {"trainer.steps": steps, "trainer.batch_size": batch_size, "trainer.device": device,
                         "trainer.precision": precision, "trainer.num_workers": workers,
                         "model.loss.vgg_weights": str(vgg_weights) if vgg_weights else None,
                         "reference.enabled": reference})
    if no_vgg:
        cfg = override(cfg, {"model.loss.perceptual": 0.0, "model.loss.style": 0.0})
    summary = train_colorizer(inputs, out, cfg, resume=resume)
    best = summary["best"]
    best_text = f", best {best['metric']} {best['value']:.3f} at step {best['step']}" if best else ""
    click.echo(f"trained to step {summary['steps']} in {summary['seconds']:.0f} s{best_text}; "
               f"model: {out / 'generator.safetensors'}")


def register(group: click.Group) -> None:
    """Add this family's commands to the top-level group."""
    group.add_command(train_cmd)
