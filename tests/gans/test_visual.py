"""Sample grids with labelled columns, and a loss plot with one panel per quantity family."""

from __future__ import annotations

import json

import torch

from colorize.gans.visual import columns_grid, panels, plot_history


def test_labelled_columns_get_a_header_with_text():
    columns = [torch.zeros(2, 1, 32, 32), torch.full((2, 3, 32, 32), 0.5), torch.ones(2, 3, 32, 32)]
    plain = columns_grid(columns)
    labelled = columns_grid(columns, labels=["line-art", "output", "truth"])
    extra = labelled.shape[1] - plain.shape[1]
    assert labelled.shape[2] == plain.shape[2] and 8 <= extra <= 30
    assert torch.equal(labelled[:, extra:], plain)
    header = labelled[:, :extra]
    for col in range(3):  # some ink above each column
        x = 2 + col * 34
        assert (header[:, :, x:x + 32] < 0.5).any(), col


def test_loss_plot_has_one_panel_per_family(tmp_path):
    records = [{"step": s, "d": 0.7, "g": 30.0, "g_adv": 0.9, "l1": 0.3, "lr_g": 2e-4} for s in (25, 50)]
    records += [{"step": 50, "val_psnr": 17.0, "val_ssim": 0.6, "val_l1": 0.1}]
    history = tmp_path / "metrics.jsonl"
    history.write_text("".join(json.dumps(r) + "\n" for r in records))
    assert panels(["d", "g", "g_adv", "l1", "lr_g", "val_psnr", "val_ssim", "val_l1"]) == {
        "adversarial": ["d", "g_adv"], "generator total": ["g"], "reconstruction": ["l1"],
        "validation PSNR (dB)": ["val_psnr"], "validation": ["val_l1", "val_ssim"]}
    out = plot_history(history, tmp_path / "loss.png")
    assert out.is_file() and out.stat().st_size > 10_000
