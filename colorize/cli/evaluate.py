"""CLI commands of the evaluate family (see colorize.cli): `colorize evaluate PRED GT`.

Prints an aligned table of PSNR, SSIM, CIEDE2000, LPIPS and temporal consistency, and optionally
writes the same numbers as JSON. Input paths are not checked by click (no exists=True) so that a
missing file gets the library's one-line message and exit code 1.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import click


def _number(value: float | None, digits: int) -> str:
    """A metric value for the table: fixed digits, 'inf' / 'n/a' where there is no finite number."""
    if value is None or math.isnan(value):
        return "n/a"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return f"{value:.{digits}f}"


def _tc_cell(result: dict) -> str:
    if result["tc"] is None:
        return result["tc_note"]
    if math.isnan(result["tc"]):
        return f"n/a ({result['tc_note']})"
    return (f"{result['tc']:.3f}  (warp error: prediction {result['pred_warp_error']:.3g}, ground truth "
            f"{result['gt_warp_error']:.3g}, over {result['tc_pairs']} frame pairs)")


def format_table(result: dict) -> str:
    """The evaluate result as aligned 'name  value' lines (what `colorize evaluate` prints)."""
    lpips = _number(result["lpips"], 4) if result["lpips"] is not None else result["lpips_note"]
    rows = [
        ("frames", str(result["frames"])),
        ("PSNR (dB, higher better)", _number(result["psnr"], 2)),
        ("SSIM (higher better)", _number(result["ssim"], 4)),
        ("ΔE2000 (lower better)", _number(result["delta_e2000"], 3)),
        ("LPIPS (lower better)", lpips),
        ("TC (1 = as stable as GT)", _tc_cell(result)),
    ]
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)


def _json_safe(value):
    """JSON has no inf/nan: write them as the strings 'inf', '-inf', 'nan' (float() reads them back)."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def write_json(result: dict, path: Path) -> None:
    """Write the result atomically as pretty JSON."""
    from colorize.images import write_bytes

    text = json.dumps({k: _json_safe(v) for k, v in result.items()}, indent=2, ensure_ascii=False)
    write_bytes(path, (text + "\n").encode("utf-8"))


@click.command("evaluate")
@click.argument("pred", type=click.Path())
@click.argument("gt", type=click.Path())
@click.option("--device", default="auto", show_default=True, help="auto, cpu, cuda or cuda:N.")
@click.option("--no-lpips", is_flag=True, help="Skip LPIPS (it needs pretrained backbone weights).")
@click.option("--lpips-weights", type=click.Path(dir_okay=False), default=None, metavar="FILE",
              help="Local torchvision AlexNet state dict for LPIPS, when the torch hub cache lacks it.")
@click.option("--temporal/--no-temporal", default=None,
              help="Compute temporal consistency (default: when either input is a video; pass "
                   "--temporal when two folders hold frame sequences).")
@click.option("--batch-size", type=click.IntRange(min=1), default=8, show_default=True, metavar="N",
              help="Frames scored at once (lower it if the GPU runs out of memory).")
@click.option("--json", "json_out", type=click.Path(dir_okay=False), default=None, metavar="OUT.json",
              help="Also write the numbers as JSON (inf/nan written as strings).")
def evaluate_command(pred: str, gt: str, device: str, no_lpips: bool, lpips_weights: str | None,
                     temporal: bool | None, batch_size: int, json_out: str | None) -> None:
    """Compare PRED (colorized) with GT (ground truth): each a video, a frame folder or an image.

    Frames are paired in order and must have the same count and size. Prints PSNR, SSIM, CIEDE2000
    colour difference and LPIPS (means over frames) and TC, the optical-flow warp error of PRED
    divided by that of GT (flow from GT; 1 = no added flicker).
    """
    from colorize.cli.params import created_note, new_folder
    from colorize.images import check_writable, refuse_input_as_output
    from colorize.jobs.evaluate import evaluate

    created = new_folder(json_out) if json_out is not None else None
    if json_out is not None:
        refuse_input_as_output(json_out, [pred, gt, lpips_weights])
        check_writable(json_out)  # fail before decoding two videos, not after
    result = evaluate(pred, gt, device=device, lpips=not no_lpips, lpips_weights=lpips_weights,
                      temporal=temporal, batch_size=batch_size)
    click.echo(format_table(result))
    if json_out is not None:
        write_json(result, Path(json_out))
        click.echo(f"wrote {json_out}{created_note(created)}")


def register(group: click.Group) -> None:
    """Add this family's commands to the top-level group."""
    group.add_command(evaluate_command)
