"""colorize/app/keying.py: a key painted with the bucket on a clip, and the keys' coverage per shot."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from colorize import api
from colorize.app import keying, session
from colorize.cel import CelConfig, composite_lines, render_cel
from colorize.data.toon import ToonConfig, write_toon_video
from colorize.images import read_rgb
# The tiny reference-guided generator of the video CLI tests.
from tests.cli.test_video_cli import reference_model  # noqa: F401  (a fixture)

# 96 x 64, 16 frames at 8 fps with a cut at frame 8
CLIP = ToonConfig(width=96, height=64, n_frames=16, fps=8.0, cut_every=8)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("keying")


@pytest.fixture(scope="module")
def model(reference_model):
    return api.load_model(reference_model, device="cpu")


@pytest.fixture(scope="module")
def clip_file(workdir) -> Path:
    return write_toon_video(workdir / "toon.mp4", CLIP)


def test_a_key_painted_with_the_bucket_is_written_with_the_drawings_lines(clip_file, model, tmp_path):
    clip = session.open_video(clip_file, tmp_path / "work")
    paint = keying.key_paint(clip, 3, model)
    assert keying.key_paint(clip, 3, model) is paint  # regions computed once per key frame
    lineart = session.lineart_of(session.full_frame(clip, 3), model)
    assert np.array_equal(paint.lineart, lineart) and paint.shape == (64, 96)
    largest = int(np.argmax(paint.regions.areas[1:])) + 1
    y, x = np.argwhere(paint.regions.labels == largest)[0]
    paint.fill_at(int(x), int(y), (224, 90, 71))
    key = keying.use_as_key(clip, 3, paint)
    written = read_rgb(key)
    assert list(clip.keys()) == [3] and key.name == "000003.png"
    clean = (paint.regions.fill == largest) & (lineart == 255)
    assert (written[clean] == (224, 90, 71)).all()
    assert np.array_equal(written, composite_lines(paint.table()[paint.regions.fill], lineart))  # lines exact

    # fill all from the guess: the model's colouring painted flat, as `--paint flat` paints it
    keying.fill_from_guess(clip, 3, paint, model)
    free = api.colorize_image(session.full_frame(clip, 3), model, paint="free", lines="drop")
    assert np.array_equal(paint.render(), render_cel(free, lineart, CelConfig(paint="flat", lines="keep")))
    assert paint.undo() and (paint.render()[clean] == (224, 90, 71)).all()

    # a frame that has a key opens the bucket with the key's colours
    clip.paints.clear()
    again = keying.key_paint(clip, 3, model)
    assert np.array_equal(again.render(), written)


def test_the_timeline_coverage_names_the_frame_to_key_next(clip_file, tmp_path):
    clip = session.open_video(clip_file, tmp_path / "work")
    tables = keying.coverage_tables(clip)
    assert keying.coverage_tables(clip) is tables  # made once per clip
    assert [(t.positions[0], t.positions[-1]) for t in tables] == [(0, 7), (8, 15)]
    bare = keying.shot_coverage(clip, tables)
    assert [(c.first, c.last, c.keys, c.covered) for c in bare] == [(0, 7, [], 0.0), (8, 15, [], 0.0)]
    assert all(c.first <= c.next_key <= c.last for c in bare)
    for shot in bare:  # key every frame the coverage asks for: each shot ends fully covered
        for _ in range(8):
            cover = keying.shot_coverage(clip, tables)[shot.shot]
            if cover.next_key is None:
                break
            session.save_keyframe(clip, cover.next_key, np.zeros((64, 96, 3), np.uint8), keep_others=True)
    final = keying.shot_coverage(clip, tables)
    assert [c.covered for c in final] == [1.0, 1.0] and all(c.next_key is None for c in final)
    assert sorted(k for c in final for k in c.keys) == sorted(clip.keys())
