"""colorize.pipeline and `colorize run`: strict TOML pipelines, dry runs, and a real end-to-end run."""

from __future__ import annotations

import dataclasses
import re
import tomllib
from pathlib import Path

import cv2
import numpy as np
import pytest

from colorize import pipeline as pl
from colorize.cli import main
from colorize.config import load_toml
from colorize.data.toon import ToonClip, ToonConfig, write_toon_video
from colorize.errors import ConfigError, InputError
from colorize.images import list_images, read_rgb
from colorize.jobs.train import TrainConfig
from colorize.media.video import probe
from colorize.resources import config_path

REPO = Path(__file__).resolve().parents[1]
SHIPPED = sorted((REPO / "pipelines").glob("**/*.toml"))  # only [[steps]] pipelines live there


def is_pipeline(path: Path) -> bool:
    with path.open("rb") as fh:
        return "steps" in tomllib.load(fh)


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    """Run `colorize ARGV` in-process exactly as the console script does; (exit code, stdout, stderr)."""
    with pytest.raises(SystemExit) as exit_info:
        main(["-q", *argv])
    out, err = capsys.readouterr()
    return exit_info.value.code, out, err


def write(tmp_path: Path, text: str, name: str = "p.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def assert_one_line_error(err: str, *fragments: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ") and "Traceback" not in err
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


# ------------------------------------------------------------------------------- shipped pipelines


def test_there_are_shipped_pipelines():
    names = {p.name for p in SHIPPED}
    assert {"lineart_sample.toml", "extract_lineart.toml"} <= names


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_every_shipped_pipeline_loads_strictly(path):
    """Every TOML in pipelines/ is a [[steps]] pipeline (training configs ship in the package): none can rot."""
    assert is_pipeline(path), f"{path.name} has no [[steps]]; command configs belong in colorize/assets/configs/"
    pipeline = pl.load_pipeline(path)
    assert pipeline.steps and all(step.stage in pl.STAGES for step in pipeline.steps)


def test_lineart_sample_reads_the_committed_sample_and_chains_its_steps(monkeypatch):
    monkeypatch.chdir(REPO)
    pipeline = pl.load_pipeline("pipelines/lineart_sample.toml")
    assert [s.stage for s in pipeline.steps] == ["lineart", "assemble"]
    assert pipeline.steps[0].config.input == Path("samples/sample.mp4")
    assert pipeline.steps[1].config.input == pipeline.steps[0].config.output
    if (REPO / "samples" / "sample.mp4").exists():
        pl.check_inputs(pipeline)  # everything it reads exists or is made by an earlier step


# ---------------------------------------------------------------------------------- strictness

TOON_STEP = """
[[steps]]
stage = "toon"
output = "clip.mp4"
"""


def test_unknown_key_in_a_nested_stage_table_exits_2_naming_file_step_and_key(tmp_path, capsys):
    path = write(tmp_path, TOON_STEP + "[steps.toon]\nwidht = 64\n")
    code, out, err = run_cli(capsys, "run", str(path), "--dry-run")
    assert code == 2 and out == ""
    assert_one_line_error(err, str(path), "step 1 (toon)", "toon.widht")


def test_unknown_flat_key_exits_2(tmp_path, capsys):
    path = write(tmp_path, TOON_STEP + "colour = 'red'\n")
    code, _, err = run_cli(capsys, "run", str(path))
    assert code == 2
    assert_one_line_error(err, "step 1 (toon)", "colour")


def test_unknown_stage_exits_2_listing_the_known_ones(tmp_path, capsys):
    path = write(tmp_path, TOON_STEP + '\n[[steps]]\nstage = "paint"\noutput = "x"\n')
    code, _, err = run_cli(capsys, "run", str(path), "--dry-run")
    assert code == 2
    assert_one_line_error(err, "step 2", "'paint'", "lineart")


@pytest.mark.parametrize("text, fragment", [
    ('[[steps]]\nstage = "assemble"\ninput = "f"\noutput = "o.mp4"\n', "'fps'"),
    ('[[steps]]\noutput = "o.mp4"\n', "no stage"),
    ('[[steps]]\nstage = "toon"\noutput = "o.mp4"\n[steps.toon]\nwidth = "big"\n', "toon.width"),
    ('[[steps]]\nstage = "toon"\noutput = "o.mp4"\n[steps.toon]\nwidth = 2\n', "8x8"),
    ('steps = []\n', "no steps"),
    ('name = "x"\n' + TOON_STEP, "'name'"),
    ('[[steps]\nstage = "toon"\n', "not valid TOML"),
])
def test_malformed_pipelines_are_config_errors(tmp_path, capsys, text, fragment):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError, match=fragment.replace("(", r"\(")):
        pl.load_pipeline(path)
    code, _, err = run_cli(capsys, "run", str(path), "--dry-run")
    assert code == 2
    assert_one_line_error(err, fragment)


def test_missing_pipeline_file_exits_2(tmp_path, capsys):
    code, _, err = run_cli(capsys, "run", str(tmp_path / "nope.toml"))
    assert code == 2
    assert_one_line_error(err, "nope.toml")


def test_an_input_no_step_makes_is_an_input_error_before_anything_runs(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = write(tmp_path, TOON_STEP + '\n[[steps]]\nstage = "lineart"\ninput = "missing.mp4"\n'
                                       'output = "art"\n')
    code, out, err = run_cli(capsys, "run", str(path))
    assert code == 1 and out == ""
    assert_one_line_error(err, "step 2 (lineart)", "missing.mp4")
    assert not (tmp_path / "clip.mp4").exists()  # step 1 did not run either


# ------------------------------------------------------------------------------------ dry run

CHAIN = """
description = "toon -> line-art frames -> line-art video"

[[steps]]
stage = "toon"
output = "clip.mp4"
[steps.toon]
width = 64
height = 48
n_frames = 8
tone_hz = 440.0

[[steps]]
stage = "lineart"
input = "clip.mp4"
output = "art"
device = "cpu"
[steps.lineart]
backend = "opencv"
sigma = 0.8

[[steps]]
stage = "assemble"
input = "art"
output = "art.mp4"
fps = 12.0
audio_from = "clip.mp4"
"""


def test_dry_run_prints_the_plan_and_writes_nothing(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = write(tmp_path, CHAIN)
    code, out, err = run_cli(capsys, "run", str(path), "--dry-run")
    assert code == 0, err
    lines = out.strip().splitlines()
    assert len(lines) == 4 and "3 steps" in lines[0]
    assert lines[1].startswith("step 1/3 toon: clip.mp4") and "toon.width=64" in lines[1]
    assert lines[2].startswith("step 2/3 lineart: clip.mp4 -> art") and "lineart.sigma=0.8" in lines[2]
    assert lines[3].startswith("step 3/3 assemble: art -> art.mp4") and "fps=12.0" in lines[3]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.toml"]


def test_loaded_steps_are_the_stage_dataclasses_with_defaults_filled(tmp_path):
    pipeline = pl.load_pipeline(write(tmp_path, CHAIN))
    toon, lineart, assemble = (s.config for s in pipeline.steps)
    assert toon.toon == ToonConfig(width=64, height=48, n_frames=8, tone_hz=440.0)
    assert lineart.lineart.backend == "opencv" and lineart.lineart.sigma == 0.8
    assert lineart.lineart.high == type(lineart.lineart)().high  # omitted keys keep defaults
    assert assemble.audio_from == tmp_path / "clip.mp4" and assemble.crf == 18  # relative to the file
    assert pipeline.description.startswith("toon")


def test_register_stage_adds_a_stage_that_runs_with_its_built_config(tmp_path, monkeypatch):
    @dataclasses.dataclass
    class EchoStep:
        output: Path
        text: str = "hi"

    def run_echo(step: EchoStep) -> Path:
        step.output.write_text(step.text)
        return step.output

    monkeypatch.setattr(pl, "STAGES", dict(pl.STAGES))
    pl.register_stage("echo", EchoStep, run_echo)
    path = write(tmp_path, f'[[steps]]\nstage = "echo"\noutput = "{tmp_path / "e.txt"}"\ntext = "yo"\n')
    results = list(pl.run_pipeline(pl.load_pipeline(path)))
    assert [r.step.stage for r in results] == ["echo"]
    assert (tmp_path / "e.txt").read_text() == "yo"
    with pytest.raises(ConfigError, match="unknown config key"):
        pl.parse_pipeline({"steps": [{"stage": "echo", "output": "x", "txt": "typo"}]})


# ---------------------------------------------------------------------------------- end to end


def _ink_near_outlines(art: np.ndarray, outline: np.ndarray, radius: int = 1) -> float:
    """Share of line-art ink pixels (0) within `radius` px of a toon outline pixel."""
    near = cv2.dilate(outline.astype(np.uint8), np.ones((2 * radius + 1,) * 2, np.uint8)) > 0
    ink = art < 128
    return float(near[ink].mean())


def test_toon_lineart_assemble_pipeline_runs_end_to_end(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = write(tmp_path, CHAIN)
    code, out, err = run_cli(capsys, "run", str(path))
    assert code == 0, err
    lines = out.strip().splitlines()
    assert len(lines) == 4 and lines[-1].startswith("done: 3 steps")
    assert [line.split(":")[0] for line in lines[:3]] == ["step 1/3 toon", "step 2/3 lineart",
                                                          "step 3/3 assemble"]

    clip_info = probe(tmp_path / "clip.mp4")
    assert (clip_info.frame_count, clip_info.width, clip_info.height) == (8, 64, 48)
    assert clip_info.has_audio

    frames = list_images(tmp_path / "art")
    assert len(frames) == 8
    art = read_rgb(frames[3])[:, :, 0]
    # The line-art traces the toon's outlines (through H.264 and Canny, so not pixel-exact).
    toon = ToonClip(ToonConfig(width=64, height=48, n_frames=8, tone_hz=440.0))
    assert (art < 128).mean() > 0.02
    matched = _ink_near_outlines(art, toon.outline_mask(3))
    assert matched > 0.85  # measured 0.93
    assert matched > _ink_near_outlines(art, toon.outline_mask(7)) + 0.15  # another frame: ~0.63

    video = probe(tmp_path / "art.mp4")
    assert (video.frame_count, video.width, video.height, video.fps) == (8, 64, 48, 12.0)
    assert video.has_audio  # the toon's tone, carried over by audio_from
    assert not [p for p in tmp_path.rglob("*") if ".partial" in p.name]


def test_a_failing_step_stops_the_pipeline_with_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "frames").mkdir()
    (tmp_path / "frames" / "junk.png").write_bytes(b"not a png")
    path = write(tmp_path, '[[steps]]\nstage = "assemble"\ninput = "frames"\noutput = "v.mp4"\nfps = 5.0\n'
                 + TOON_STEP)
    code, out, err = run_cli(capsys, "run", str(path))
    assert code == 1 and out == ""
    assert_one_line_error(err, "junk.png")
    assert not (tmp_path / "v.mp4").exists() and not (tmp_path / "clip.mp4").exists()


def test_check_inputs_accepts_outputs_of_earlier_steps_only(tmp_path):
    later_first = {"steps": [
        {"stage": "lineart", "input": str(tmp_path / "clip.mp4"), "output": str(tmp_path / "art")},
        {"stage": "toon", "output": str(tmp_path / "clip.mp4")},
    ]}
    with pytest.raises(InputError, match="step 1 \\(lineart\\)"):
        pl.check_inputs(pl.parse_pipeline(later_first))
    pl.check_inputs(pl.parse_pipeline({"steps": later_first["steps"][::-1]}))


def test_toon_step_writes_a_png_folder_when_the_output_is_not_a_video(tmp_path):
    data = {"steps": [{"stage": "toon", "output": str(tmp_path / "frames"),
                       "toon": {"width": 32, "height": 32, "n_frames": 3}}]}
    (result,) = pl.run_pipeline(pl.parse_pipeline(data))
    assert result.output == tmp_path / "frames"
    assert [p.name for p in list_images(result.output)] == [f"frame_00000{i}.png" for i in range(3)]


# ------------------------------------------------------------- issue 13: whole file checked first


BAD_LATER_STEP = """
[[steps]]
stage = "toon"
output = "toon"
[steps.toon]
width = 32
height = 32
n_frames = 2

[[steps]]
stage = "assemble"
input = "toon"
output = "toon.mp4"
fps = {fps}
"""


@pytest.mark.parametrize("fps", ["0", "-12", "nan", "inf"])
@pytest.mark.parametrize("dry_run", [True, False])
def test_a_bad_number_in_a_later_step_stops_before_the_first_step(tmp_path, capsys, monkeypatch, fps, dry_run):
    monkeypatch.chdir(tmp_path)
    path = write(tmp_path, BAD_LATER_STEP.format(fps=fps))
    code, out, err = run_cli(capsys, "run", str(path), *(["--dry-run"] if dry_run else []))
    assert code == 2
    assert_one_line_error(err, "step 2 (assemble)", "fps")
    assert not (tmp_path / "toon").exists() and not (tmp_path / "toon.mp4").exists()


def test_nan_anywhere_in_a_nested_stage_table_is_refused(tmp_path, capsys):
    path = write(tmp_path, """
[[steps]]
stage = "toon"
output = "toon"
[steps.toon]
tone_hz = nan
""")
    code, _, err = run_cli(capsys, "run", str(path), "--dry-run")
    assert code == 2
    assert_one_line_error(err, "step 1 (toon)", "tone_hz")


def test_a_bad_training_config_of_a_later_step_is_caught_by_the_dry_run(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "train.toml").write_text("[trainer]\nno_such_key = 1\n")
    path = write(tmp_path, """
[[steps]]
stage = "toon"
output = "toon"
[[steps]]
stage = "train"
inputs = ["toon"]
output = "run"
config = "train.toml"
""")
    code, _, err = run_cli(capsys, "run", str(path), "--dry-run")
    assert code == 2
    assert_one_line_error(err, "step 2 (train)", "no_such_key")


def test_a_step_writing_onto_its_input_is_refused_before_anything_runs(tmp_path, capsys, monkeypatch):
    # issue 13 case 1, through a pipeline: the check runs for the dry run too.
    monkeypatch.chdir(tmp_path)
    frames = tmp_path / "frames"
    frames.mkdir()
    cv2.imwrite(str(frames / "a.png"), np.zeros((16, 16, 3), np.uint8))
    path = write(tmp_path, """
[[steps]]
stage = "toon"
output = "toon.mp4"
[[steps]]
stage = "lineart"
input = "frames"
output = "frames/lines"
""")
    for extra in (["--dry-run"], []):
        code, _, err = run_cli(capsys, "run", str(path), *extra)
        assert code == 1
        assert_one_line_error(err, "step 2 (lineart)", "inside the input folder")
        assert not (tmp_path / "toon.mp4").exists() and sorted(p.name for p in frames.iterdir()) == ["a.png"]


# ------------------------------------------------------------- paths, the colorize stage, configs


def test_a_full_extract_colorize_assemble_pipeline_runs_from_another_folder(tmp_path, capsys, monkeypatch):
    """Relative paths (inputs, outputs, the model) resolve against the pipeline file, not the cwd."""
    from tests.jobs.colorize._models import save_tiny_model

    project, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    elsewhere.mkdir()
    write_toon_video(project / "clip.mp4", ToonConfig(width=64, height=48, n_frames=6, fps=12.0, tone_hz=440.0))
    save_tiny_model(project / "model.safetensors")
    path = write(project, """
[[steps]]
stage = "extract"
input = "clip.mp4"
output = "out/frames"

[[steps]]
stage = "colorize"
input = "out/frames"
output = "out/colour"
model = "model.safetensors"

[[steps]]
stage = "assemble"
input = "out/colour"
output = "out/colour.mp4"
fps = 12.0
audio_from = "clip.mp4"
""")
    monkeypatch.chdir(elsewhere)
    code, out, err = run_cli(capsys, "run", str(path))
    assert code == 0, err
    assert len(list_images(project / "out" / "colour")) == 6
    info = probe(project / "out" / "colour.mp4")
    assert (info.frame_count, info.width, info.height, info.has_audio) == (6, 64, 48, True)
    assert list(elsewhere.iterdir()) == []  # nothing written where it was run from
    assert "step 3/3 assemble" in out


def test_colorize_step_runs_video_to_video_with_a_train_steps_model_path_checked_up_front(tmp_path):
    data = {"steps": [
        {"stage": "toon", "output": "clip.mp4", "toon": {"width": 64, "height": 48, "n_frames": 4}},
        {"stage": "train", "inputs": ["clip.mp4"], "output": "run"},
        {"stage": "colorize", "input": "clip.mp4", "output": "colour.mp4", "smooth": 0.3,
         "model": "run/generator.safetensors"}]}
    pipeline = pl.parse_pipeline(data, "p.toml", base=tmp_path)
    assert pipeline.steps[2].config.model == tmp_path / "run" / "generator.safetensors"
    assert pipeline.steps[2].config.options().temporal is None  # left out: the model decides
    pl.check_inputs(pipeline)  # the model lies inside an earlier step's output: accepted
    data["steps"][2]["model"] = "elsewhere/generator.safetensors"
    with pytest.raises(InputError, match="elsewhere"):
        pl.check_inputs(pl.parse_pipeline(data, "p.toml", base=tmp_path))


def test_a_folder_colorize_step_takes_keyframes_and_the_temporal_mode_as_colorize_frames_does(tmp_path):
    step = {"stage": "colorize", "input": "frames", "output": "colour", "temporal": False, "references": "keys"}
    (parsed,) = pl.parse_pipeline({"steps": [step]}, "p.toml", base=tmp_path).steps
    options = parsed.config.options()
    assert (options.temporal, options.references) == (False, tmp_path / "keys")


@pytest.mark.parametrize("keys, fragment", [
    ({"output": "colour"}, "both be videos or both be folders"),
    ({"input": "frames", "output": "colour", "smooth": 0.3}, "video input only"),
    ({"output": "colour.mp4", "smooth": 1.5}, "smooth must be in [0, 1)"),
    ({"input": "frames", "output": "colour", "side_by_side": True}, "video input only"),
    ({"output": "colour.mp4", "temporal": "yes"}, "temporal"),
])
def test_a_bad_colorize_step_fails_before_anything_runs(tmp_path, keys, fragment):
    step = {"stage": "colorize", "input": "clip.mp4", **keys}
    with pytest.raises(ConfigError, match=re.escape(fragment)):
        pl.parse_pipeline({"steps": [step]}, "p.toml", base=tmp_path)


def test_a_train_step_takes_a_shipped_config_name_and_dotted_overrides(tmp_path):
    steps = [{"stage": "train", "inputs": ["clips"], "output": "run", "config": "train_cpu",
              "set": {"trainer": {"steps": 7}, "data.crop": 64}}]
    (step,) = pl.parse_pipeline({"steps": steps}, "p.toml", base=tmp_path).steps
    cfg = pl.train_config(step.config)
    cpu = load_toml(TrainConfig, config_path("train_cpu"))
    assert cfg.trainer.steps == 7 and cfg.data.crop == 64 and cfg.model == cpu.model
    steps[0]["set"] = {"trainer.stepz": 7}
    with pytest.raises(ConfigError, match="unknown config key trainer.stepz"):
        pl.parse_pipeline({"steps": steps}, "p.toml", base=tmp_path)


@pytest.mark.parametrize("text, command", [
    ("[trainer]\nsteps = 5\n", "colorize train --config"),
    ("variant = \"wgan\"\n", "colorize gan train --config"),
])
def test_run_on_a_training_config_says_which_command_takes_it(tmp_path, capsys, text, command):
    path = write(tmp_path, text, "cfg.toml")
    code, _, err = run_cli(capsys, "run", str(path))
    assert code == 2
    assert_one_line_error(err, "is a training config, not a pipeline", f"{command} {path}")


def test_the_shipped_colorize_sample_resolves_from_any_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    pipeline = pl.load_pipeline(REPO / "pipelines" / "colorize_sample.toml")
    assert [s.stage for s in pipeline.steps] == ["extract", "colorize", "assemble"]
    assert pipeline.steps[0].config.input == REPO / "samples" / "sample.mp4"
    assert pipeline.steps[2].config.output == REPO / "out" / "colorize_sample" / "colorized.mp4"
    pl.check_inputs(pipeline)
