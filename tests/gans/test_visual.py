"""Sample grids with labelled columns, a loss plot with one panel per quantity family, and the run's index.html."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import torch

from colorize.gans.visual import columns_grid, panels, plot_history, save_grid, write_index


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


class _Page(HTMLParser):
    """Collects a page's image sources, its tags' nesting errors and its text."""

    VOID = {"meta", "img", "br", "hr", "link", "input"}

    def __init__(self):
        super().__init__()
        self.images: list[str] = []
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.images.append(dict(attrs)["src"])
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack.pop() != tag:
            self.errors.append(tag)

    def handle_data(self, data):
        self.text.append(data)


def parse_page(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    page.close()
    assert not page.errors and not page.stack, (page.errors, page.stack)  # every tag closed, in order
    return page


def test_index_page_lists_metrics_loss_plot_grids_newest_first_and_config(tmp_path):
    run = tmp_path / "run <1>"
    (run / "samples").mkdir(parents=True)
    (run / "config.json").write_text(json.dumps({"trainer": {"steps": 50}, "note": "a < b & c"}))
    records = [{"step": 25, "g": 2.0, "l1": 0.5}, {"step": 50, "g": 1.5, "l1": 0.25}, {"step": 50, "val_psnr": 17.25}]
    (run / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    for step in (25, 50):
        save_grid(run / "samples" / f"step_{step:07d}.png", torch.rand(3, 8, 8))
    plot_history(run / "metrics.jsonl", run / "loss.png")

    page = parse_page(write_index(run))
    assert page.images == ["loss.png", "samples/step_0000050.png", "samples/step_0000025.png"]
    assert all((run / src).is_file() for src in page.images)
    text = " ".join(page.text)
    assert "run <1>" in text and "a < b & c" in text  # escaped in the source, read back as written
    assert "val_psnr 17.25 50" in " ".join(text.split()) and "l1 0.25 50" in " ".join(text.split())
    assert not [p for p in run.iterdir() if p.name.startswith(".")]  # written through a temporary name


def test_index_page_of_an_empty_run_folder_is_valid(tmp_path):
    page = parse_page(write_index(tmp_path))
    assert page.images == [] and "Nothing logged yet." in "".join(page.text)
