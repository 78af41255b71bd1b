"""`colorize train`: train the colorizer on the user's own clips (see colorize.jobs.train)."""

from __future__ import annotations

from pathlib import Path

import click

from colorize.config import changed_keys, from_dict, load_toml, override, parse_sets, to_dict
from colorize.resources import config_path

def _load_config(config: str | None, out: Path, resume: bool):
    """--resume: the run's saved config.json (or --config, which must then match it); else --config (a
    file, or a shipped config's name), else the shipped train.toml (TrainConfig's defaults are the same)."""
    from colorize.jobs.train import TrainConfig, resolved_config_for_resume

    if resume:
        saved = from_dict(TrainConfig, resolved_config_for_resume(out))
        return load_toml(TrainConfig, config_path(config)) if config is not None else saved, saved
    return load_toml(TrainConfig, config_path(config or "train")), None


def _resume_note(out: Path, saved, cfg) -> str:
    """The one line a resume prints: which config it keeps and what (safe) keys it changes."""
    changed = [k for k in changed_keys(to_dict(saved), to_dict(cfg)) if k != "data.cache_dir"]
    old, new = to_dict(saved), to_dict(cfg)
    detail = ", ".join(f"{k} {_get(old, k)} -> {_get(new, k)}" for k in changed)
    return f"resuming {out} with its saved config ({out / 'config.json'})" + (f"; changed: {detail}" if detail else "")


def _get(data: dict, dotted: str):
    for part in dotted.split("."):
        data = data.get(part) if isinstance(data, dict) else None
    return data


@click.command("train")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", "-o", "out", required=True, type=click.Path(path_type=Path),
              help="Run folder: checkpoints (last.pt, best.pt), generator.safetensors, config.json, "
                   "samples/, metrics.jsonl, loss.png.")
@click.option("--config", "config", metavar="FILE|NAME",
              help="Training config TOML ([data], [model], [trainer], [reference]), or the name of a shipped "
                   "one: train (every default; used without --config), train_cpu (CPU preset), "
                   "train_default_model.")
@click.option("--resume", is_flag=True,
              help="Continue RUN_DIR/last.pt exactly (same step, LR, data order) with the run's saved "
                   "config.json. Only these keys may differ from it (by flag, --set or --config): "
                   "trainer.steps, trainer.device, trainer.num_workers, trainer.log_every, trainer.sample_every, "
                   "trainer.checkpoint_every, trainer.val_batches, trainer.grid_rows, data.cache_dir, "
                   "model.loss.vgg_weights; any other change is refused. Without --resume, a folder that "
                   "already holds a run is refused.")
@click.option("--set", "sets", multiple=True, metavar="SECTION.KEY=VALUE",
              help="Override one config key, typed as in the TOML (e.g. --set data.crop=128 --set "
                   "model.generator.base_channels=32 --set 'data.scale=[0.9, 1.1]'); repeatable; applied "
                   "after --config and before the flags below. Unknown keys are errors.")
@click.option("--steps", type=int, help="Override trainer.steps (total steps, also when resuming).")
@click.option("--batch-size", type=int, help="Override trainer.batch_size (per process).")
@click.option("--device", help="Override trainer.device: auto, cpu, cuda, cuda:N.")
@click.option("--precision", type=click.Choice(["fp32", "bf16", "fp16"]), help="Override trainer.precision (GPU).")
@click.option("--workers", type=int, help="Override trainer.num_workers.")
@click.option("--vgg-weights", type=click.Path(path_type=Path),
              help="Local VGG19 state dict for the perceptual/style losses (else torchvision's cache).")
@click.option("--no-vgg", is_flag=True, help="Turn the perceptual and style terms off (no VGG needed).")
@click.option("--init", "init", type=click.Path(path_type=Path), metavar="MODEL",
              help="Start the generator from MODEL's weights (fine-tune, e.g. the default model "
                   "colorize/assets/model/generator.safetensors); its architecture must match the config's.")
@click.option("--reference/--no-reference", "reference", default=None,
              help="Train the reference-guided colorizer, which also follows a colour keyframe of the shot "
                   "(overrides reference.enabled; default: the config's, off in the shipped train.toml).")
def train_cmd(inputs, out, config, resume, sets, steps, batch_size, device, precision, workers, vgg_weights,
              no_vgg, init, reference):
    """Train the colorizer on INPUTS (videos and/or folders of frames).

    Pairs (line-art, colour) are made with the line-art stage and cached in RUN_DIR/cache; short runs
    of frames spread over each clip are held out for validation. Every trainer.sample_every steps a
    labelled grid (line-art | output | truth; with --reference: reference | line-art | output without
    and with it | truth) and validation PSNR/SSIM are written, measured with the weights that are
    exported (the EMA copy when trainer.ema_decay > 0); loss.png plots each family of figures in its
    own panel; with `tensorboard` installed, RUN_DIR/tensorboard holds the same live. Ctrl-C saves last.pt.

    \b
    GPU default:  colorize train clips/ --out runs/mine
    CPU preset:   colorize train clips/ --out runs/cpu --config train_cpu
    Multi-GPU or multi-process: torchrun --nproc_per_node N -m colorize train ...
    """
    from colorize.jobs.train import check_run_folder, train_colorizer

    cfg, saved = _load_config(config, out, resume)
    cfg = override(cfg, parse_sets(sets))
    cfg = override(cfg, {"trainer.steps": steps, "trainer.batch_size": batch_size, "trainer.device": device,
                         "trainer.precision": precision, "trainer.num_workers": workers,
                         "model.loss.vgg_weights": str(vgg_weights) if vgg_weights else None,
                         "reference.enabled": reference, "init": str(init) if init else None})
    if no_vgg:
        cfg = override(cfg, {"model.loss.perceptual": 0.0, "model.loss.style": 0.0})
    check_run_folder(out, cfg, resume)  # the run-folder rules, before the note and any work
    if resume:
        click.echo(_resume_note(out, saved, cfg), err=True)
    summary = train_colorizer(inputs, out, cfg, resume=resume)
    best = summary["best"]
    best_text = f", best {best['metric']} {best['value']:.3f} at step {best['step']}" if best else ""
    click.echo(f"trained to step {summary['steps']} in {summary['seconds']:.0f} s{best_text}; "
               f"model: {out / 'generator.safetensors'}")


def register(group: click.Group) -> None:
    """Add this family's commands to the top-level group."""
    group.add_command(train_cmd)
