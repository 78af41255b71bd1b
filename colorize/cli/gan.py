"""`colorize gan ...`: train, sample, interpolate and score the classic GAN variants (see colorize.gans).

    colorize gan list
    colorize gan train --variant wgan-gp --data digits --out runs/wgan-gp [--steps N] [--config TOML] [--resume]
    colorize gan sample runs/cgan -n 64 --label 3 -o threes.png
    colorize gan interpolate runs/cgan --from 3 --to 8 -o strip.png
    colorize gan evaluate runs/cgan

Data: `--data digits` (scikit-learn's digits, built in) or an image folder (one subfolder per class
for conditional variants). cyclegan takes two folders: `--data A_DIR --data-b B_DIR`, or one folder
holding A/ and B/; on digits its domains are plain and bold digits.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from colorize.errors import ColorizeError, ConfigError, WeightsUnavailable


def _train_config(variant, data, data_b, size, steps, batch_size, device, config, sets, out: Path, resume: bool):
    """The run config: RUN/config.json when resuming without --config, else --config / defaults;
    then the flags (which win)."""
    from colorize.config import parse_sets
    from colorize.jobs.gan import load_run_config, run_config_from_dict

    overrides = {"variant": variant, "data.source": data, "data.source_b": data_b, "data.size": size,
                 "trainer.steps": steps, "trainer.batch_size": batch_size, "trainer.device": device,
                 **parse_sets(sets)}
    saved = out / "config.json"
    if resume and config is None and saved.is_file():
        from colorize.config import override

        cfg = run_config_from_dict(json.loads(saved.read_text()))
        return override(cfg, {k: v for k, v in overrides.items() if v is not None})
    if not resume and (out / "last.pt").is_file():
        raise ColorizeError(f"{out} already holds a training run; pass --resume to continue it or choose another --out")
    return load_run_config(config, overrides)


@click.group("gan")
def gan() -> None:
    """Classic GAN variants (DCGAN ... CycleGAN) on the shared trainer, with offline digits data."""


@gan.command("list")
def list_command() -> None:
    """List the registered variants."""
    from colorize.gans.registry import describe, list_variants

    for name in list_variants():
        click.echo(f"{name:10s} {describe(name)}")


@gan.command("train")
@click.option("--variant", help="Variant name (see `colorize gan list`); default: the config's, else dcgan.")
@click.option("--data", help="'digits' (built in) or an image folder.")
@click.option("--data-b", type=click.Path(file_okay=False, path_type=Path), help="cyclegan: the B-domain folder.")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path), help="Run folder.")
@click.option("--steps", type=click.IntRange(min=1), help="Total optimisation steps.")
@click.option("--batch-size", type=click.IntRange(min=1))
@click.option("--size", type=click.IntRange(min=8), help="Image size (power of two).")
@click.option("--config", metavar="FILE|NAME",
              help="Run config TOML, or the name of a shipped one (the variants: dcgan, wgan-gp, cyclegan, ...).")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE", help="Override any config key, e.g. model.z_dim=32.")
@click.option("--resume", is_flag=True, help="Continue RUN/last.pt.")
@click.option("--device", help="auto | cpu | cuda | cuda:N")
def train_command(variant, data, data_b, out, steps, batch_size, size, config, sets, resume, device) -> None:
    """Train a GAN variant; checkpoints, sample grids and loss plots go to --out."""
    from colorize.jobs.gan import train_run

    cfg = _train_config(variant, data, str(data_b) if data_b else None, size, steps, batch_size, device, config,
                        sets, out, resume)
    summary = train_run(cfg, out, resume=resume)
    click.echo(f"{cfg.variant}: {summary['steps']} steps ({summary['steps_run']} run, {summary['seconds']:.1f} s); "
               f"checkpoint {out / 'last.pt'}, grids in {out / 'samples'}")


def _load(run: Path, device: str, no_ema: bool):
    from colorize.jobs.gan import load_run
    from colorize.runtime import resolve_device

    return load_run(run, resolve_device(device), use_ema=not no_ema)


_run_argument = click.argument("run", type=click.Path(file_okay=False, path_type=Path))
_device_option = click.option("--device", default="cpu", show_default=True, help="auto | cpu | cuda | cuda:N")
_ema_option = click.option("--no-ema", is_flag=True, help="Use the raw generator, not its EMA.")


@gan.command("sample")
@_run_argument
@click.option("-n", "count", default=64, show_default=True, type=click.IntRange(min=1))
@click.option("--label", type=click.IntRange(min=0), help="Class to draw (cgan, acgan) or InfoGAN category.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--seed", default=0, show_default=True)
@_device_option
@_ema_option
def sample_command(run, count, label, output, seed, device, no_ema) -> None:
    """Write a grid of samples (cyclegan: test digits | their translations)."""
    import torch

    from colorize.jobs.gan import has_codes, is_conditional, translation_sources
    from colorize.gans.visual import columns_grid, make_grid, save_grid
    from colorize.images import check_writable

    check_writable(output)
    variant, cfg = _load(run, device, no_ema)
    torch.manual_seed(seed)
    if cfg.variant == "cyclegan":
        source = translation_sources(cfg, count)[0][:count]
        fake = variant.translate(source).cpu()
        grid = columns_grid([(source + 1) * 0.5, (fake + 1) * 0.5], max_rows=count)
    else:
        labels = None
        if label is not None:
            classes = variant.num_classes or (variant.cfg.n_cat if has_codes(variant) else 0)
            if not classes:
                raise ConfigError(f"--label needs a conditional variant (cgan, acgan, infogan), not {cfg.variant}")
            if label >= classes:
                raise ConfigError(f"--label {label} is out of range: {run} has classes 0-{classes - 1}")
            labels = torch.full((count,), label, dtype=torch.long)
        images = variant.sample(count, labels)
        ncol = variant.grid_columns if labels is None and is_conditional(variant) else 8
        grid = make_grid(images, ncol=ncol)
    save_grid(output, grid)
    click.echo(f"wrote {output}")


@gan.command("interpolate")
@_run_argument
@click.option("--from", "start", required=True, type=click.IntRange(min=0), help="Start class (or seed).")
@click.option("--to", "end", required=True, type=click.IntRange(min=0), help="End class (or seed).")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--steps", default=8, show_default=True, type=click.IntRange(min=2))
@click.option("--rows", default=4, show_default=True, type=click.IntRange(min=1))
@_device_option
@_ema_option
def interpolate_command(run, start, end, output, steps, rows, device, no_ema) -> None:
    """Walk between two classes (class embeddings / InfoGAN codes) or two noise seeds."""
    from colorize.gans.visual import make_grid, save_grid
    from colorize.images import check_writable

    check_writable(output)
    variant, cfg = _load(run, device, no_ema)
    if not hasattr(variant, "interpolate"):
        raise ConfigError(f"{cfg.variant} translates images and has no latent space to interpolate")
    classes = variant.num_classes or getattr(variant.cfg, "n_cat", 0)
    if classes and max(start, end) >= classes:
        raise ConfigError(f"--from/--to must be classes 0-{classes - 1} for {run}")
    save_grid(output, make_grid(variant.interpolate(start, end, steps, rows), ncol=steps))
    click.echo(f"wrote {output}")


@gan.command("evaluate")
@_run_argument
@click.option("-n", "count", default=1000, show_default=True, type=click.IntRange(min=2), help="Samples to score.")
@click.option("--inception-weights", type=click.Path(dir_okay=False, path_type=Path),
              help="Local torchvision inception_v3 state dict for FID.")
@click.option("--seed", default=0, show_default=True)
@_device_option
@_ema_option
def evaluate_command(run, count, inception_weights, seed, device, no_ema) -> None:
    """Print offline scores (classifier-space Fréchet distance, class accuracy) and FID when possible."""
    import torch

    from colorize.jobs.gan import evaluate_variant

    variant, cfg = _load(run, device, no_ema)
    torch.manual_seed(seed)
    try:
        scores = evaluate_variant(variant, cfg, count, run, inception_weights, inception=True)
    except WeightsUnavailable as exc:
        if inception_weights is not None:
            raise
        scores = evaluate_variant(variant, cfg, count, run)
        click.echo(str(exc), err=True)
    for key, value in scores.items():
        click.echo(f"{key}: {value:.4f}" if isinstance(value, float) else f"{key}: {value}")


def register(group: click.Group) -> None:
    """Add this family's commands to the top-level group."""
    group.add_command(gan)
