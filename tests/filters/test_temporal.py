"""The temporal mode: colours carried along line-art motion, generator colours where motion fails."""

from __future__ import annotations

import dataclasses
import tracemalloc

import cv2
import numpy as np
import pytest

from colorize.data.toon import ToonClip, ToonConfig
from colorize.errors import InputError
from colorize.engine.model import ColorizedFrame
from colorize.filters.flow import EDGE_SLACK
from colorize.filters.temporal import TemporalConfig, TemporalPropagator, carry_colours, flatten_regions
from colorize.lineart.recipes import LineArtConfig, lineart_numpy
from colorize.media.frames import Frame

H, W = 96, 128
GRAY = (128, 128, 128)


def _scene(seed: int = 3, n_shapes: int = 4, width: int = W, height: int = H) -> tuple[np.ndarray, np.ndarray]:
    """A toon frame (height x width x 3 RGB) and its shape labels (height x width int, 0 = background)."""
    clip = ToonClip(ToonConfig(width=width, height=height, n_frames=1, seed=seed, n_shapes=n_shapes))
    return clip.frame(0), clip.labels(0)


def _moved(image: np.ndarray, k: int, motion: str) -> np.ndarray:
    """Frame k of a camera move over `image`: 3 px right and 2 px down per frame, or a 4 %/frame zoom
    about the centre (nearest neighbour, so labels move exactly like the pixels)."""
    if motion == "pan":
        matrix = np.float32([[1, 0, -3 * k], [0, 1, -2 * k]])
    else:
        matrix = cv2.getRotationMatrix2D((W / 2, H / 2), 0.0, 1.04**k)
    border = cv2.BORDER_REPLICATE
    return cv2.warpAffine(image, matrix, (W, H), flags=cv2.INTER_NEAREST, borderMode=border)


def _lineart(rgb: np.ndarray) -> np.ndarray:
    return lineart_numpy(rgb, LineArtConfig())


def _flat(colour=GRAY) -> np.ndarray:
    return np.full((H, W, 3), colour, np.uint8)


def _error(a: np.ndarray, b: np.ndarray, where: np.ndarray) -> float:
    return float(np.abs(a[where].astype(np.float32) - b[where].astype(np.float32)).mean())


@pytest.mark.parametrize("motion", ["pan", "zoom"])
def test_the_keyframe_colours_follow_the_moving_drawing(motion):
    """A generator that knows nothing (flat gray): the keyframe's colours must land where the shapes
    moved, not where they were."""
    scene, labels = _scene()
    propagator = TemporalPropagator(TemporalConfig(carry=0.97))
    for k in range(6):
        frame = _moved(scene, k, motion)
        result = propagator(_lineart(frame), _flat(), keyframe=frame if k == 0 else None)
    moved_labels = _moved(labels.astype(np.uint8), 5, motion)
    # the shapes' interiors (lines change under a zoom, and a line that fails the check is the generator's)
    shapes = cv2.erode((moved_labels > 0).astype(np.uint8), np.ones((9, 9), np.uint8)) > 0
    assert shapes.sum() > 300
    carried = _error(result, frame, shapes)
    assert carried < 0.5 * _error(_flat(), frame, shapes), carried
    assert carried < 0.7 * _error(result, scene, shapes)  # at the shapes' new place, not the old one


def test_new_content_entering_the_frame_takes_the_generators_colour():
    """A pan: the strip entering at the right/bottom edges was never seen, so it is the generator's
    (beyond the EDGE_SLACK px by which a flow may point out of the frame and still be sampled)."""
    step = 2 * int(EDGE_SLACK)
    scene, _ = _scene(width=W + 4 * step, height=H + 40)
    propagator = TemporalPropagator()
    red, blue = _flat((220, 30, 30)), _flat((30, 30, 220))
    for k in range(4):
        frame = np.ascontiguousarray(scene[2 * k:2 * k + H, step * k:step * k + W])
        result = propagator(_lineart(frame), blue, keyframe=red if k == 0 else None)
    entered = np.zeros((H, W), bool)
    entered[:, -(step - int(EDGE_SLACK)):] = True  # entered in the last frame, from beyond the slack
    assert np.array_equal(result[entered], blue[entered])
    inside = np.zeros((H, W), bool)
    inside[20:-20, 20:-20] = True
    assert result[inside][:, 0].mean() > 120  # the interior still carries the red keyframe


def test_a_character_entering_over_a_still_background_is_coloured_by_the_generator():
    """A disc slides in from the left over a static drawing; the generator knows both colours."""
    background, _ = _scene(n_shapes=0)
    propagator = TemporalPropagator()
    for k in range(8):
        frame = background.copy()
        centre = (-20 + 9 * k, H // 2)
        cv2.circle(frame, centre, 18, (40, 200, 40), -1)
        cv2.circle(frame, centre, 18, (0, 0, 0), 2)
        disc = np.zeros((H, W), np.uint8)
        cv2.circle(disc, centre, 14, 1, -1)
        result = propagator(_lineart(frame), frame, keyframe=background if k == 0 else None)
        if disc.sum() > 150:  # (the first sliver, a few pixels wide, may keep some background: see README)
            inside = disc > 0
            assert _error(result, frame, inside) < 0.25 * _error(background, frame, inside), k


def test_the_background_a_character_uncovers_is_not_smeared_with_the_characters_colour():
    """A disc crosses a still drawing: where it was (disocclusion), the generator's background returns."""
    background, _ = _scene(n_shapes=0)
    propagator = TemporalPropagator()

    def disc(k: int, radius: int) -> np.ndarray:
        mask = np.zeros((H, W), np.uint8)
        cv2.circle(mask, (20 + 8 * k, H // 2), radius, 1, -1)
        return mask > 0

    for k in range(10):
        frame = background.copy()
        frame[disc(k, 18)] = (0, 0, 0)
        frame[disc(k, 16)] = (40, 200, 40)
        result = propagator(_lineart(frame), frame, keyframe=frame if k == 0 else None)
        if k >= 3:
            uncovered = (disc(k - 1, 15) | disc(k - 2, 15) | disc(k - 3, 15)) & ~disc(k, 22)
            smear = _error(np.broadcast_to(np.uint8((40, 200, 40)), frame.shape), frame, uncovered)
            assert _error(result, frame, uncovered) < 0.08 * smear, k


def _items(frames: list[np.ndarray], outputs: list[np.ndarray], cuts: set[int]) -> list[ColorizedFrame]:
    return [ColorizedFrame(Frame(i, i / 12, f, cut=i in cuts), _lineart(f), o)
            for i, (f, o) in enumerate(zip(frames, outputs))]


def test_nothing_crosses_a_cut_and_keyframes_start_their_shot():
    first, _ = _scene(seed=3)
    second, _ = _scene(seed=8)
    frames = [first] * 4 + [second] * 4
    outputs = [_flat((200, 40, 40))] * 4 + [_flat((40, 40, 200))] * 4
    items = _items(frames, outputs, cuts={0, 4})
    items[0] = dataclasses.replace(items[0], source=dataclasses.replace(items[0].source, key=first))  # Frame.key
    results = [item.colour for item in carry_colours(iter(items))]
    assert np.array_equal(results[0], first)          # the keyframe's frame is the keyframe
    assert not np.array_equal(results[3], outputs[3])  # its colours are carried through the shot
    assert np.array_equal(results[4], outputs[4])      # the cut: nothing of the first shot
    assert all(np.array_equal(r, outputs[4]) for r in results[4:])  # a flat output stays itself
    unmarked = [dataclasses.replace(item, source=dataclasses.replace(item.source, cut=None)) for item in items]
    with pytest.raises(ValueError, match="mark_cuts"):
        list(carry_colours(iter(unmarked)))


def test_a_long_still_shot_does_not_drift_from_the_generator():
    """60 frames of one drawing: the keyframe is off by a tint, the generator flickers around the
    truth. The result re-anchors to the generator (no drift, no blur building up)."""
    scene, _ = _scene()
    rng = np.random.default_rng(0)
    line = _lineart(scene)
    tinted = np.clip(scene.astype(np.int16) + (40, -30, 20), 0, 255).astype(np.uint8)
    propagator, everywhere = TemporalPropagator(), np.ones((H, W), bool)
    errors, flicker = [], []
    for k in range(60):
        noisy = np.clip(scene.astype(np.float32) * rng.uniform(0.9, 1.1), 0, 255).astype(np.uint8)
        result = propagator(line, noisy, keyframe=tinted if k == 0 else None)
        errors.append(_error(result, scene, everywhere))
        flicker.append(_error(noisy, scene, everywhere))
    assert errors[0] > 25                      # the keyframe's tint ...
    assert max(errors[30:]) < max(flicker)     # ... is gone, and what remains stays put,
    assert np.mean(errors[30:]) < 0.6 * np.mean(flicker[30:])  # steadier than the flickering generator


def _array_bytes(propagator: TemporalPropagator) -> int:
    held = [v for v in vars(propagator).values() if v is not None]
    held += [getattr(v, f.name) for v in held if dataclasses.is_dataclass(v) for f in dataclasses.fields(v)]
    return sum(v.nbytes for v in held if isinstance(v, np.ndarray))


def test_memory_holds_one_previous_frame():
    scene, _ = _scene()
    # the previous result, its line-art prepared for the flow and for the line check (the flow runs at
    # full size on frames this small), and, once colour is carried, the chain's state (chain.ChainState:
    # anchor uint8, coordinates 2 x float32, gain float32, rest 3 x float32, the anchor's lines uint8)
    propagator, peaks = TemporalPropagator(), {}
    first_frame, one_frame = 2 * H * W + H * W * 3, 2 * H * W + H * W * 3 + H * W * (3 + 8 + 4 + 12 + 1)
    tracemalloc.start()
    try:
        for k in range(40):
            frame = _moved(scene, k % 8, "pan")
            propagator(_lineart(frame), frame)
            assert _array_bytes(propagator) == (first_frame if k == 0 else one_frame)
            if k + 1 in (10, 40):
                peaks[k + 1] = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert peaks[40] - peaks[10] < one_frame  # 30 more frames leave nothing behind
    propagator.reset()
    assert _array_bytes(propagator) == 0


def test_first_frame_and_carry_zero_return_the_output_and_inputs_are_untouched():
    scene, _ = _scene()
    line, output = _lineart(scene), _flat()
    before = output.copy()
    first = TemporalPropagator()(line, output)
    assert np.array_equal(first, output) and first is not output
    still = TemporalPropagator(TemporalConfig(carry=0.0))
    still(line, scene)
    assert np.array_equal(still(line, output), output)
    assert np.array_equal(output, before)


def test_region_mode_flattens_reliable_regions_only():
    guide = np.full((20, 20), 255, np.uint8)
    guide[:, 10] = 0                                   # two paper regions split by a line
    carried = np.zeros((20, 20, 3), np.uint8)
    carried[:, :10] = (100, 0, 0)
    carried[:, 3] = (200, 0, 0)                         # outliers inside the left region
    mask = np.ones((20, 20), np.float32)
    mask[:, 11:] = 0.0                                 # the right region is unreliable
    flat, new_mask = flatten_regions(guide, carried, mask, 0.6)
    assert np.all(flat[:, :10, 0] == 110)              # mean of the reliable left pixels
    assert np.array_equal(flat[:, 11:], carried[:, 11:]) and np.all(new_mask[:, 11:] == 0)


@pytest.mark.parametrize("bad", [dict(carry=1.0), dict(carry=-0.1), dict(carry=float("nan")),
                                 dict(region_reliable=1.5), dict(flow_side=5), dict(feather=-1.0)])
def test_config_is_validated(bad):
    with pytest.raises(ValueError):
        TemporalConfig(**bad)


def test_a_size_change_inside_a_shot_and_a_wrong_keyframe_are_clear_errors():
    scene, _ = _scene()
    propagator = TemporalPropagator()
    propagator(_lineart(scene), scene)
    small = np.ascontiguousarray(scene[:64, :64])
    with pytest.raises(InputError, match="one size"):
        propagator(_lineart(small), small)
    with pytest.raises(InputError, match="keyframe"):
        TemporalPropagator()(_lineart(scene), scene, keyframe=small)


# ------------------------------------------------------------------------------- the video command

@pytest.fixture(scope="module")
def cli_files(tmp_path_factory):
    """A tiny toon video, a tiny reference-guided model and a tiny plain model."""
    import torch

    from colorize.config import to_dict
    from colorize.data.toon import write_toon_video
    from colorize.nets.files import save_generator
    from colorize.nets.reference import ReferenceUNet
    from tests.jobs.colorize._models import save_tiny_model

    folder = tmp_path_factory.mktemp("temporal_cli")
    torch.manual_seed(0)
    net = ReferenceUNet(depth=3, base_channels=8, max_channels=16, norm="none", dropout=0.0, dropout_layers=0,
                        feature_channels=16, feature_stride=4)
    meta = {"architecture": {"name": "reference_unet", "kwargs": net.config}, "stride": net.stride,
            "lineart": to_dict(LineArtConfig(backend="opencv"))}
    return {"video": write_toon_video(folder / "clip.mp4", ToonConfig(width=64, height=48, n_frames=6, seed=2)),
            "reference": save_generator(folder / "reference.safetensors", net, meta),
            "plain": save_tiny_model(folder / "plain.safetensors"), "folder": folder}


def _count_calls(monkeypatch, module, name: str) -> list:
    """Wrap module.name so each call appends to the returned list (the wrapped function still runs)."""
    calls, original = [], getattr(module, name)

    def recording(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, recording)
    return calls


@pytest.mark.parametrize("model, flags, expected", [("reference", [], True), ("reference", ["--no-temporal"], False),
                                                    ("plain", [], False), ("plain", ["--temporal"], True)])
def test_video_command_runs_the_temporal_mode_by_default_for_reference_guided_models(
        cli_files, monkeypatch, model, flags, expected):
    from click.testing import CliRunner

    from colorize.cli import cli
    from colorize.jobs.colorize import stream

    calls = _count_calls(monkeypatch, stream, "carry_colours")
    out = cli_files["folder"] / f"{model}_{'_'.join(flags) or 'default'}.mp4"
    result = CliRunner().invoke(cli, ["video", str(cli_files["video"]), "-o", str(out), "--model",
                                      str(cli_files[model]), "--device", "cpu", *flags])
    assert result.exit_code == 0, result.output
    assert bool(calls) is expected and out.is_file()


@pytest.mark.parametrize("command", ["video", "frames"])
def test_video_and_frames_help_describe_the_temporal_switch(command):
    from click.testing import CliRunner

    from colorize.cli import cli

    result = CliRunner().invoke(cli, [command, "--help"], terminal_width=200)
    text = " ".join(result.output.split())  # (click wraps help at 80 columns)
    assert "--temporal / --no-temporal" in text
    assert "Default: on for reference-guided models" in text


@pytest.mark.parametrize("model, flags, expected", [("reference", [], True), ("reference", ["--no-temporal"], False),
                                                    ("plain", [], False), ("plain", ["--temporal"], True)])
def test_frames_command_runs_the_temporal_mode_by_default_for_reference_guided_models(
        cli_files, monkeypatch, model, flags, expected):
    from click.testing import CliRunner

    from colorize.cli import cli
    from colorize.data.toon import write_toon_frames
    from colorize.jobs.colorize import stream

    frames = cli_files["folder"] / "frames"
    if not frames.is_dir():
        write_toon_frames(frames, ToonConfig(width=64, height=48, n_frames=6, seed=2))
    calls = _count_calls(monkeypatch, stream, "carry_colours")
    out = cli_files["folder"] / f"frames_{model}_{'_'.join(flags) or 'default'}"
    result = CliRunner().invoke(cli, ["frames", str(frames), str(out), "--model", str(cli_files[model]),
                                      "--device", "cpu", *flags])
    assert result.exit_code == 0, result.output
    assert bool(calls) is expected and len(list(out.glob("*.png"))) == 6


@pytest.mark.parametrize("cfg", [TemporalConfig(carry=0.97), TemporalConfig.at_working_size(48, carry=0.97)],
                         ids=["flow at full size", "flow at working size 48"])
def test_carried_colour_stops_at_the_full_resolution_lines(cfg):
    """A magenta disc crosses a still drawing; the generator knows nothing (flat gray), so every colour
    in the result was carried from the keyframe. Flow at a working size is coarse at the disc's
    outline, but the line check at full resolution keeps each colour on its own side of the line."""
    background, _ = _scene(n_shapes=0)
    magenta = np.uint8((220, 40, 220))

    def disc(k: int, radius: int) -> np.ndarray:
        mask = np.zeros((H, W), np.uint8)
        cv2.circle(mask, (30 + 5 * k, H // 2), radius, 1, -1)
        return mask > 0

    propagator = TemporalPropagator(cfg)
    for k in range(6):
        frame = background.copy()
        frame[disc(k, 20)] = (0, 0, 0)
        frame[disc(k, 18)] = magenta
        result = propagator(_lineart(frame), _flat(), keyframe=frame if k == 0 else None)
    outside = disc(5, 24) & ~disc(5, 20)   # background paper just outside the outline
    inside = disc(5, 17) & ~disc(5, 14)    # the disc's paper just inside it
    is_magenta = lambda rgb: (rgb[..., 0].astype(int) - rgb[..., 1] > 90) & (rgb[..., 2].astype(int) - rgb[..., 1] > 90)
    assert not is_magenta(background[outside]).any()  # (the test's premise: no magenta in the drawing)
    # (the whole fusion run at 48 px and upsampled bilinearly gives 0.011 and 0.61 here)
    assert is_magenta(result[outside]).mean() < 0.005  # the disc's colour does not leak out...
    assert is_magenta(result[inside]).mean() > 0.8     # ...and stays inside, carried with the disc


def test_the_flow_runs_at_the_working_size():
    assert TemporalConfig.at_working_size(0).flow_side == 640       # full resolution: the default
    assert TemporalConfig.at_working_size(384).flow_side == 384
    assert TemporalConfig.at_working_size(1024).flow_side == 640    # never above the default
    assert TemporalConfig.at_working_size(8).flow_side == 24        # the smallest flow the check accepts
    assert TemporalConfig.at_working_size(384, carry=0.5).carry == 0.5
