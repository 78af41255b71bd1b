"""Pipelines: a strict TOML list of steps, each one stage of the package, checked before anything runs.

A pipeline file is an array of tables `[[steps]]`. Every step names its `stage` and gives flat keys
for its paths and run arguments; the stage's own config dataclass (the one the library function
takes) is a nested table named after the stage:

    [[steps]]
    stage = "lineart"
    input = "../samples/sample.mp4"     # relative paths resolve against the pipeline file's folder
    output = "out/lineart"
    device = "auto"
    [steps.lineart]                     # LineArtConfig; omitted keys keep their defaults
    sigma = 1.2

Unknown stages, unknown keys, wrong types and missing required keys are ConfigError (exit 2), all
reported with the file and step number before any step runs. Inputs must exist or be written by (or
inside the output of) an earlier step. Every relative path in a step, inputs and outputs alike, is
taken relative to the folder of the pipeline file, so a pipeline runs the same from any working folder;
absolute paths stay as they are. A train step's `config` may also name a shipped config (`train_cpu`).
New stages join through `register_stage(name, StepDataclass, runner)`.

    pipeline = load_pipeline("pipelines/lineart_sample.toml")
    for line in plan(pipeline): print(line)             # what --dry-run shows
    for result in run_pipeline(pipeline): ...           # runs the steps in order, one result each
"""

from __future__ import annotations

import dataclasses
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from colorize.config import from_dict, read_toml, to_dict
from colorize.data.clips import ClipConfig
from colorize.data.toon import ToonConfig, write_toon_frames, write_toon_video
from colorize.errors import ConfigError, InputError
from colorize.images import refuse_input_as_output
from colorize.jobs.assemble import assemble_folder
from colorize.jobs.extract import extract_to_folder
from colorize.jobs.lineart import run_lineart
from colorize.lineart.recipes import LineArtConfig
from colorize.media.encode import VIDEO_SUFFIXES, X264_PRESETS
from colorize.media.video import ExtractConfig

# Keys of a step dataclass that name files or folders the step reads (checked before running).
INPUT_KEYS = ("input", "audio_from", "model", "reference", "references", "init")
TOP_LEVEL_KEYS = ("description", "steps")
# Top-level tables that mark a command's config rather than a pipeline: -> the command that takes it.
CONFIG_COMMANDS = {"data": "colorize train --config", "model": "colorize train --config",
                   "trainer": "colorize train --config", "reference": "colorize train --config",
                   "variant": "colorize gan train --config"}

# ------------------------------------------------------------------------------------ step configs


@dataclass
class ExtractStep:
    """Video `input` -> folder `output` of frame_NNNNNN.png + manifest.json (new or empty folder)."""

    input: Path
    output: Path
    extract: ExtractConfig = field(default_factory=ExtractConfig)


@dataclass
class LineartStep:
    """Video or image folder `input` -> line-art PNG folder, or an .mp4 (keeping a video's audio)."""

    input: Path
    output: Path
    device: str = "auto"
    lineart: LineArtConfig = field(default_factory=LineArtConfig)


@dataclass
class AssembleStep:
    """Image folder `input` -> H.264 video `output` at `fps`, with `audio_from`'s audio if given."""

    input: Path
    output: Path
    fps: float
    audio_from: Path | None = None
    audio_start: float = 0.0
    crf: int = 18
    preset: str = "veryfast"

    def __post_init__(self) -> None:
        if not (math.isfinite(self.fps) and self.fps > 0):
            raise ValueError(f"fps must be a positive frame rate, got {self.fps!r}")
        if not (math.isfinite(self.audio_start) and self.audio_start >= 0):
            raise ValueError(f"audio_start must be >= 0 seconds, got {self.audio_start!r}")
        if not 0 <= self.crf <= 51:
            raise ValueError(f"crf must be from 0 to 51, got {self.crf!r}")
        if self.preset not in X264_PRESETS:
            raise ValueError(f"preset must be one of {', '.join(X264_PRESETS)}, got {self.preset!r}")


@dataclass
class ToonStep:
    """A generated toon clip -> `output`: a video (.mp4/.m4v/.mov) or else a folder of PNG frames."""

    output: Path
    toon: ToonConfig = field(default_factory=ToonConfig)


def _run_extract(step: ExtractStep) -> Path:
    return extract_to_folder(step.input, step.output, step.extract)


def _run_lineart(step: LineartStep) -> Path:
    return run_lineart(step.input, step.output, step.lineart, step.device)


def _run_assemble(step: AssembleStep) -> Path:
    return assemble_folder(step.input, step.output, step.fps, audio_from=step.audio_from, crf=step.crf,
                           preset=step.preset, audio_start=step.audio_start)


@dataclass
class ClipsStep:
    """Art folders `inputs` -> folder `output` of `n_clips` real-art clips (resumable; see jobs.clips)."""

    inputs: list[Path]
    output: Path
    n_clips: int = 1
    clips: ClipConfig = field(default_factory=ClipConfig)


def _run_clips(step: ClipsStep) -> Path:
    from colorize.jobs.clips import write_clips

    return write_clips(step.inputs, step.output, step.clips, n_clips=step.n_clips)


def _run_toon(step: ToonStep) -> Path:
    if step.output.suffix.lower() in VIDEO_SUFFIXES:
        return write_toon_video(step.output, step.toon)
    write_toon_frames(step.output, step.toon)
    return step.output


@dataclass
class TrainStep:
    """Train the colorizer on `inputs` (videos/folders) into the run folder `output`.

    `config` is a training TOML or a shipped config's name (default: the shipped train.toml); `set`
    overrides dotted keys as `colorize train --set` does (`set = {"trainer.steps" = 500}`); `init` is a
    generator file to fine-tune from (`colorize train --init`; an earlier train step's
    output/generator.safetensors works); `resume` continues output/last.pt.
    """

    inputs: list[Path]
    output: Path
    config: Path | None = None
    set: dict[str, Any] = field(default_factory=dict)
    init: Path | None = None
    resume: bool = False


def train_config(step: TrainStep):
    """The step's TrainConfig: its config file (or shipped name, default "train") with `set` applied."""
    from colorize.config import load_toml, override
    from colorize.jobs.train import TrainConfig
    from colorize.resources import config_path

    cfg = override(load_toml(TrainConfig, config_path(step.config or "train")), _dotted(step.set))
    return override(cfg, {"init": str(step.init) if step.init else None})


def _dotted(table: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """{"trainer": {"steps": 5}} (a [steps.set] table) and {"trainer.steps": 5} alike -> dotted keys."""
    out: dict[str, Any] = {}
    for key, value in table.items():
        if isinstance(value, dict):
            out.update(_dotted(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def _run_train(step: TrainStep) -> Path:
    from colorize.jobs.train import train_colorizer

    train_colorizer(step.inputs, step.output, train_config(step), resume=step.resume)
    return step.output


@dataclass
class ColorizeStep:
    """Colour or line-art (`lineart = true`) frames in, colorized frames out: a video `input` gives a
    video `output` (.mp4, the source's fps, times and audio), a folder of images gives a folder.

    `model` defaults to the shipped model (a train step's output/generator.safetensors works too);
    `reference` / `references` are keyframes for a reference-guided model and `temporal` the temporal
    mode (left out: on for reference-guided models), for a video as in `colorize video`, for a folder
    (each folder a sequence) as in `colorize frames`; `smooth` (temporal smoothing strength) and
    `side_by_side` are for a video only.
    `size` is the working resolution (`colorize video --size`; left out: the default, 0: full
    resolution); `backend` where the generator runs (`--backend`: auto, torch, onnxruntime, openvino);
    `paint` (auto, flat, shaded, free) and `lines` (auto, keep, colour, drop) the ink and paint, as
    `--paint` / `--lines` (auto: flat + keep for line-art input, free + colour for keyed line-art, free +
    drop for colour input).
    `sheet` a list of model sheet images or folders (`--sheet`).
    """

    input: Path
    output: Path
    model: Path | None = None
    lineart: bool = False
    reference: Path | None = None
    references: Path | None = None
    self_reference: bool = True
    smooth: float = 0.0
    temporal: bool | None = None
    side_by_side: bool = False
    device: str = "auto"
    batch_size: int = 4
    size: int | None = None
    backend: str = "auto"
    paint: str = "auto"
    lines: str = "auto"
    sheet: tuple[Path, ...] = ()

    def __post_init__(self) -> None:
        video_in = self.input.suffix.lower() in VIDEO_SUFFIXES
        if video_in != (self.output.suffix.lower() in VIDEO_SUFFIXES):
            raise ValueError("input and output must both be videos or both be folders (add an extract or "
                             "assemble step to change between them)")
        if not video_in and (self.smooth or self.side_by_side):
            raise ValueError("smooth and side_by_side apply to a video input only")
        self.options()  # ColorizeOptions checks the numbers now, before any step runs

    def options(self):
        """The step's ColorizeOptions: its keys are ColorizeOptions fields of the same name and default
        (tests/jobs/colorize/test_options.py checks it); `size` left out keeps the default."""
        from colorize.jobs.colorize.options import ColorizeOptions

        keys = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
                if f.name not in ("input", "output") and not (f.name == "size" and self.size is None)}
        return ColorizeOptions(**keys)


def _run_colorize(step: ColorizeStep) -> Path:
    from colorize.jobs.colorize.run import colorize_folder, colorize_video

    if step.input.suffix.lower() in VIDEO_SUFFIXES:
        return colorize_video(step.input, step.output, step.options())
    colorize_folder(step.input, step.output, step.options())
    return step.output


# --------------------------------------------------------------------------------------- registry


@dataclass(frozen=True)
class Stage:
    """A pipeline stage: the dataclass a step's keys build, and the function that runs it."""

    config: type
    run: Callable[[Any], Path]


STAGES: dict[str, Stage] = {
    "extract": Stage(ExtractStep, _run_extract),
    "lineart": Stage(LineartStep, _run_lineart),
    "assemble": Stage(AssembleStep, _run_assemble),
    "toon": Stage(ToonStep, _run_toon),
    "clips": Stage(ClipsStep, _run_clips),
    "train": Stage(TrainStep, _run_train),
    "colorize": Stage(ColorizeStep, _run_colorize),
}


def register_stage(name: str, config: type, run: Callable[[Any], Path]) -> None:
    """Make `stage = "<name>"` available to pipelines: `config` is a dataclass, `run(cfg) -> Path`."""
    if not dataclasses.is_dataclass(config):
        raise TypeError(f"stage {name!r}: config must be a dataclass, got {config!r}")
    STAGES[name] = Stage(config, run)


# ----------------------------------------------------------------------------------------- loading


@dataclass(frozen=True)
class Step:
    """One validated step: its 1-based position, stage name and built config dataclass."""

    number: int
    stage: str
    config: Any


@dataclass(frozen=True)
class Pipeline:
    source: str  # the file it came from (for messages)
    steps: tuple[Step, ...]
    description: str = ""


def load_pipeline(path: str | os.PathLike) -> Pipeline:
    """Read and validate a pipeline TOML file; ConfigError (one line, naming the file) on any problem.

    Relative paths in its steps are taken relative to the file's folder."""
    return parse_pipeline(read_toml(path, kind="pipeline"), str(path), base=Path(path).parent)


def parse_pipeline(data: dict[str, Any], source: str = "<pipeline>", base: Path | None = None) -> Pipeline:
    """Validate already-parsed TOML data (see load_pipeline); `source` names it in messages. With a
    `base` folder, relative paths of the steps are joined to it (else they stay relative to the cwd)."""
    command = next((CONFIG_COMMANDS[k] for k in data if k in CONFIG_COMMANDS and "steps" not in data), None)
    if command is not None:
        raise ConfigError(f"{source} is a training config, not a pipeline: use `{command} {source}`")
    unknown = sorted(set(data) - set(TOP_LEVEL_KEYS))
    if unknown:
        raise ConfigError(f"{source}: unknown top-level key {unknown[0]!r} "
                          f"(known: {', '.join(TOP_LEVEL_KEYS)})")
    steps = data.get("steps")
    if not isinstance(steps, list) or not steps or not all(isinstance(s, dict) for s in steps):
        raise ConfigError(f"{source}: no steps; add at least one [[steps]] table with a stage key")
    description = data.get("description", "")
    if not isinstance(description, str):
        raise ConfigError(f"{source}: description must be a string, got {description!r}")
    built = tuple(_parse_step(table, number, source, base) for number, table in enumerate(steps, start=1))
    return Pipeline(source=source, steps=built, description=description)


def _parse_step(table: dict[str, Any], number: int, source: str, base: Path | None = None) -> Step:
    keys = dict(table)
    stage = keys.pop("stage", None)
    known = ", ".join(sorted(STAGES))
    if stage is None:
        raise ConfigError(f"{source}: step {number} has no stage key (one of {known})")
    if stage not in STAGES:
        raise ConfigError(f"{source}: step {number} has unknown stage {stage!r} (one of {known})")
    config_cls = STAGES[stage].config
    where = f"{source}: step {number} ({stage})"
    missing = [f.name for f in dataclasses.fields(config_cls) if f.init and f.name not in keys
               and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
    if missing:
        raise ConfigError(f"{where} needs the key {missing[0]!r}")
    try:
        config = from_dict(config_cls, keys)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {_strip_class_prefix(str(exc), config_cls)}") from None
    bad = _first_non_finite(dataclasses.asdict(config))
    if bad is not None:
        raise ConfigError(f"{where}: {bad[0]} = {bad[1]!r} is not a finite number")
    if base is not None:
        config = _rebased(config, base)
    if isinstance(config, TrainStep):
        _check_train_config(config, where)
    return Step(number=number, stage=stage, config=config)


def _rebased(config: Any, base: Path) -> Any:
    """`config` with every relative Path (and list of Paths) joined to `base`, the pipeline's folder.
    A train step's `config` that is no file there is left as it is: it may name a shipped config."""
    def rebase(value: Any) -> Any:
        if isinstance(value, Path) and not value.is_absolute():
            return Path(os.path.normpath(base / value))
        if isinstance(value, (list, tuple)):
            return type(value)(rebase(v) for v in value)
        return value

    changes = {f.name: rebase(getattr(config, f.name)) for f in dataclasses.fields(config) if f.init}
    if isinstance(config, TrainStep) and config.config is not None and not changes["config"].is_file():
        changes["config"] = config.config
    return dataclasses.replace(config, **changes)


def _first_non_finite(values: dict[str, Any], prefix: str = "") -> tuple[str, float] | None:
    """(dotted key, value) of the first nan/inf anywhere in a step's settings (TOML allows both)."""
    for key, value in values.items():
        if isinstance(value, dict):
            found = _first_non_finite(value, f"{prefix}{key}.")
            if found:
                return found
        elif isinstance(value, float) and not math.isfinite(value):
            return f"{prefix}{key}", value
    return None


def _check_train_config(step: TrainStep, where: str) -> None:
    """Build a train step's training config now, so its mistakes stop the pipeline before step 1."""
    try:
        train_config(step)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def _strip_class_prefix(message: str, cls: type) -> str:
    """from_dict prefixes validation errors with the class name; the step already says which stage."""
    prefix = f"{cls.__name__}: "
    return message[len(prefix):] if message.startswith(prefix) else message


# ------------------------------------------------------------------------------- checking, running


def step_paths(step: Step, keys: tuple[str, ...]) -> list[Path]:
    """The Path values of `step.config` under `keys` (absent or None ones skipped)."""
    values = (getattr(step.config, k, None) for k in keys)
    return [Path(v) for v in values if isinstance(v, Path)]


def check_inputs(pipeline: Pipeline) -> None:
    """InputError unless every step's inputs exist now or are the output of an earlier step, and no
    step writes onto (or, from a folder, into) what it reads."""
    produced: set[Path] = set()
    for step in pipeline.steps:
        reads = step_paths(step, INPUT_KEYS) + [Path(p) for p in getattr(step.config, "inputs", None) or []]
        for output in step_paths(step, ("output",)):
            try:
                # a folder output must also lie outside a folder input (outputs would mix with inputs)
                refuse_input_as_output(output, reads, folder_job=output.suffix.lower() not in VIDEO_SUFFIXES)
            except InputError as exc:
                raise InputError(f"{pipeline.source}: step {step.number} ({step.stage}): {exc}") from None
        for path in step_paths(step, INPUT_KEYS):
            made = path.resolve() in produced or any(p in produced for p in path.resolve().parents)
            if not made and not path.exists():
                raise InputError(f"{pipeline.source}: step {step.number} ({step.stage}) reads {path}, "
                                 "which does not exist and no earlier step writes it")
        produced.update(p.resolve() for p in step_paths(step, ("output",)))


def describe(step: Step, total: int) -> str:
    """`step 2/3 lineart: in -> out` (the one line printed per step)."""
    inputs = step_paths(step, ("input",))
    outputs = step_paths(step, ("output",))
    source = f"{_shown(inputs[0])} -> " if inputs else ""
    target = _shown(outputs[0]) if outputs else "?"
    return f"step {step.number}/{total} {step.stage}: {source}{target}"


def _shown(path: Path) -> Path:
    """A step's path as printed: relative to the working folder when it lies below it."""
    try:
        return path.relative_to(Path.cwd()) if path.is_absolute() else path
    except ValueError:
        return path


def settings(step: Step) -> str:
    """The step's remaining keys as `k=v` pairs, nested tables dotted (`lineart.sigma=1.0`)."""
    flat: dict[str, Any] = {}
    for key, value in to_dict(step.config).items():
        if key in ("input", "output"):
            continue
        if isinstance(value, dict):
            flat.update({f"{key}.{k}": v for k, v in value.items()})
        else:
            flat[key] = value
    return " ".join(f"{k}={v}" for k, v in flat.items())


def plan(pipeline: Pipeline) -> list[str]:
    """Lines describing what the pipeline would do (the --dry-run output), after checking inputs."""
    check_inputs(pipeline)
    total = len(pipeline.steps)
    return [f"{describe(step, total)}  [{settings(step)}]" for step in pipeline.steps]


@dataclass(frozen=True)
class StepResult:
    step: Step
    output: Path
    seconds: float


def run_pipeline(pipeline: Pipeline) -> Iterator[StepResult]:
    """Check inputs, then run the steps in order, yielding each step's result as it finishes."""
    check_inputs(pipeline)
    for step in pipeline.steps:
        started = time.perf_counter()
        output = STAGES[step.stage].run(step.config)
        yield StepResult(step=step, output=Path(output), seconds=time.perf_counter() - started)


__all__ = [
    "AssembleStep", "ColorizeStep", "ExtractStep", "LineartStep", "Pipeline", "STAGES", "Stage", "Step",
    "StepResult", "ToonStep", "TrainStep", "check_inputs", "describe", "load_pipeline", "parse_pipeline", "plan",
    "register_stage", "run_pipeline", "settings", "train_config",
]
