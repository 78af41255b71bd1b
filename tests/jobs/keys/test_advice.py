"""jobs/keys/advice.py: the one line for a shot its keys cover poorly, and the advisor beside a stream."""

from __future__ import annotations

from colorize.jobs.keys import CoverageAdvisor, KeysConfig, lineart_frames, plan_shots, poorly_covered, shot_scores
from colorize.media.frames import Frame
from tests.jobs.keys.clips import pan_clip


def test_poorly_covered_names_the_frames_and_the_next_key():
    cfg = KeysConfig()
    arts = [f.image for f in lineart_frames(pan_clip(), cfg)]
    numbers = list(range(100, 124))
    scores = shot_scores(arts, list(range(len(arts))), cfg)
    line = poorly_covered(3, numbers, scores, keys={100}, threshold=0.9)
    assert line.startswith("shot 3 (frames 100-123): frames 1") and "poorly covered by its keys; key frame" in line
    assert 112 <= int(line.rsplit(" ", 2)[-2]) <= 123  # the character walks in at 112
    (plan,) = plan_shots(iter(Frame(n, 0.0, art, cut=n == 100) for n, art in zip(numbers, arts)), cfg=cfg)
    assert poorly_covered(3, numbers, scores, keys=plan.keys, threshold=0.9) is None


def test_the_advisor_speaks_at_the_end_of_each_poorly_covered_shot():
    clip = pan_clip(n=12, enter=None, seed=1) + pan_clip(seed=2, first_index=12)
    advisor = CoverageAdvisor(keys={0, 12})
    lines = [advisor.update(f.index, f.image, f.index in (0, 12)) for f in lineart_frames(clip, KeysConfig())]
    lines.append(advisor.finish())
    said = [line for line in lines if line]
    assert len(said) == 1 and said[0].startswith("shot 1 (frames 12-35)")
