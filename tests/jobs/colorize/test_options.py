"""ColorizeOptions is the one declaration of the colour jobs' settings: the CLI flags of `colorize video` /
`colorize frames`, the API keywords of colorize_video / colorize_folder and the pipeline's colorize
step all use its names and defaults."""

from __future__ import annotations

import dataclasses
import inspect
from pathlib import Path

import pytest

from colorize import api
from colorize.cli.video import frames_command, video_command
from colorize.jobs.colorize.options import DEFAULTS, ColorizeOptions
from colorize.pipeline import ColorizeStep

# arguments that name the job's input and output, not options
_PATHS = {"input", "output", "in_dir", "out_dir"}


def _cli_options(command) -> dict[str, object]:
    return {p.name: p.default for p in command.params if p.name not in _PATHS}


@pytest.mark.parametrize("command, function", [(video_command, api.colorize_video),
                                               (frames_command, api.colorize_folder)])
def test_every_cli_option_is_an_option_field_and_an_api_keyword_with_its_default(command, function):
    keywords = inspect.signature(function).parameters
    for name, default in _cli_options(command).items():
        assert name in DEFAULTS, f"--{name} of `colorize {command.name}` is not a ColorizeOptions field"
        assert name in keywords, f"--{name} of `colorize {command.name}` is not a keyword of {function.__name__}"
        if name == "size":  # None on the CLI and in the API: the default working size
            assert default is None and keywords[name].default is None and DEFAULTS["size"] == api.working_size(None)
        elif name != "model":  # the API's model also takes a loaded Colorizer
            assert default == DEFAULTS[name], name
            assert keywords[name].default == DEFAULTS[name], name


def test_the_pipeline_step_keys_are_options_with_their_defaults():
    for f in dataclasses.fields(ColorizeStep):
        if f.name in _PATHS:
            continue
        assert f.name in DEFAULTS, f"[colorize] key {f.name} is not a ColorizeOptions field"
        assert f.default == (None if f.name == "size" else DEFAULTS[f.name]), f.name


def test_one_spelling_and_one_working_size_parser():
    assert "is_lineart" not in DEFAULTS and "lineart" in DEFAULTS
    assert api.working_size("full") == 0 and api.working_size("96") == 96
    with pytest.raises(ValueError, match="backend"):
        ColorizeOptions(backend="nope")


def test_auto_paint_and_lines_follow_the_input():
    """The measured defaults (docs/cel.md): cel paint and the drawing's lines for line-art input, the
    colour path as before ink and paint (no filter at all) for colour input; explicit settings win."""
    from colorize.jobs.colorize.stream import ColourPlan, filters

    assert DEFAULTS["paint"] == "auto" and DEFAULTS["lines"] == "auto"
    drawn = ColorizeOptions(lineart=True).cel()
    assert (drawn.paint, drawn.lines) == ("flat", "keep")
    keyed = ColorizeOptions(lineart=True, references=Path("keys")).cel()     # the keys' colours as carried
    assert (keyed.paint, keyed.lines) == ("free", "colour")
    sheet = ColorizeOptions(lineart=True, sheet=(Path("sheet.png"),)).cel()
    assert (sheet.paint, sheet.lines) == ("free", "colour")
    colour = ColorizeOptions().cel()
    assert (colour.paint, colour.lines) == ("free", "drop") and filters(ColourPlan(cel=colour)) == []
    asked = ColorizeOptions(paint="shaded", lines="keep").cel()
    assert (asked.paint, asked.lines) == ("shaded", "keep")
    with pytest.raises(ValueError, match="paint"):
        ColorizeOptions(paint="auto-ish")
