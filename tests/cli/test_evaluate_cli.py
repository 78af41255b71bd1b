"""`colorize evaluate PRED GT`: the table, the JSON file, and one-line failures with exit code 1."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest
import torch

from colorize.cli import main
from colorize.cli.evaluate import format_table
from colorize.data.toon import ToonClip, ToonConfig, write_toon_frames, write_toon_video
from colorize.images import write_image

CFG = ToonConfig(width=64, height=48, n_frames=4, fps=12.0)


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    root = tmp_path_factory.mktemp("evalcli")
    write_toon_frames(root / "gt", CFG)
    for i, frame in enumerate(ToonClip(CFG)):
        write_image(root / "shifted" / f"frame_{i:06d}.png", (frame // 2 + 64).astype(np.uint8))
    write_toon_frames(root / "short", ToonConfig(width=64, height=48, n_frames=3))
    write_toon_frames(root / "wide", ToonConfig(width=96, height=48, n_frames=4))
    write_toon_video(root / "gt.mp4", CFG)
    return root


def _run(capsys, *args: str) -> tuple[int, str, str]:
    """Run the real entry point in-process; returns (exit code, stdout, stderr)."""
    with pytest.raises(SystemExit) as exit_info:
        main(["-q", "evaluate", *args])
    out, err = capsys.readouterr()
    return exit_info.value.code, out, err


def _assert_one_line_error(code: int, err: str, *needles: str) -> None:
    assert code == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in err
    for needle in needles:
        assert needle in lines[0]


def test_table_lists_every_metric_aligned(clips, capsys):
    code, out, _ = _run(capsys, str(clips / "shifted"), str(clips / "gt"), "--device", "cpu")
    assert code == 0
    rows = [re.match(r"^(\S.*?)\s{2,}(\S.*)$", row) for row in out.strip().splitlines()]
    assert [r.group(1).split(" (")[0] for r in rows] == ["frames", "PSNR", "SSIM", "ΔE2000", "LPIPS", "TC"]
    assert len({r.start(2) for r in rows}) == 1  # every value starts in the same column
    assert rows[0].group(2) == "4" and 0 < float(rows[1].group(2)) < 30
    rows = [r.group(0) for r in rows]
    lpips_row = rows[4]
    assert "unavailable (" in lpips_row or float(lpips_row.split()[-1]) > 0
    assert "not computed" in rows[5]  # two folders: stills unless --temporal


def test_json_output_holds_the_numbers(clips, capsys, tmp_path):
    out_json = tmp_path / "report" / "metrics.json"
    code, out, _ = _run(capsys, str(clips / "gt.mp4"), str(clips / "gt.mp4"), "--no-lpips",
                        "--json", str(out_json))
    assert code == 0 and f"wrote {out_json}" in out
    data = json.loads(out_json.read_text())
    assert data["frames"] == CFG.n_frames and data["psnr"] == "inf" and float(data["psnr"]) == math.inf
    assert data["ssim"] == pytest.approx(1.0, abs=1e-5) and data["delta_e2000"] == 0
    assert data["tc"] == pytest.approx(1.0) and data["lpips"] is None
    assert [p.name for p in out_json.parent.iterdir()] == ["metrics.json"]  # no temporary left over


def test_temporal_flag_computes_tc_for_folders(clips, capsys):
    code, out, _ = _run(capsys, str(clips / "gt"), str(clips / "gt"), "--no-lpips", "--temporal")
    assert code == 0
    tc_row = out.strip().splitlines()[-1]
    assert tc_row.startswith("TC") and "1.000  (warp error: prediction" in tc_row


def test_missing_input_exits_1_with_one_line(clips, capsys, tmp_path):
    out_json = tmp_path / "m.json"
    code, _, err = _run(capsys, str(tmp_path / "nope.mp4"), str(clips / "gt"), "--json", str(out_json))
    _assert_one_line_error(code, err, "prediction not found", "nope.mp4")
    assert not out_json.exists()


def test_frame_count_mismatch_exits_1_with_one_line(clips, capsys, tmp_path):
    out_json = tmp_path / "m.json"
    code, _, err = _run(capsys, str(clips / "short"), str(clips / "gt"), "--no-lpips",
                        "--json", str(out_json))
    _assert_one_line_error(code, err, "has 3 frames", "has 4")
    assert not out_json.exists()


def test_frame_count_mismatch_against_a_video_exits_1(clips, capsys):
    code, _, err = _run(capsys, str(clips / "short"), str(clips / "gt.mp4"), "--no-lpips")
    _assert_one_line_error(code, err, "has 3 frames", "has more")


def test_size_mismatch_exits_1_with_one_line(clips, capsys):
    code, _, err = _run(capsys, str(clips / "wide"), str(clips / "gt"), "--no-lpips")
    _assert_one_line_error(code, err, "96x48", "64x48")


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_unusable_device_exits_1(clips, capsys):
    code, _, err = _run(capsys, str(clips / "gt"), str(clips / "gt"), "--device", "cuda")
    _assert_one_line_error(code, err, "no CUDA GPU")


def test_bad_batch_size_is_a_usage_error(clips, capsys):
    code, _, err = _run(capsys, str(clips / "gt"), str(clips / "gt"), "--batch-size", "0")
    assert code == 2 and "Traceback" not in err


def test_format_table_shows_nan_tc_with_its_note():
    result = {"frames": 2, "psnr": 30.0, "ssim": 0.9, "delta_e2000": 1.5, "lpips": 0.12,
              "lpips_note": None, "tc": math.nan, "pred_warp_error": 0.01, "gt_warp_error": 0.0,
              "tc_pairs": 1, "tc_note": "ground truth is static"}
    table = format_table(result)
    assert "30.00" in table and "0.1200" in table and "n/a (ground truth is static)" in table
