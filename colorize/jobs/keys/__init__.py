"""Where to key: how much of each frame's drawing is seen in some key of its shot, and which frames to key.

    for fc in coverage(lineart_frames, keys={0, 40}):       # Frames with line-art and cuts marked
        print(fc.index, fc.shot, fc.coverage)                # share of the frame's drawing seen in a key
    suggest_keys("clip.mp4")                 # [0, 14, 57]: every frame >= cfg.threshold covered
    suggest_keys("frames/", max_keys=3)      # per shot: first, last, then the frame that covers most
    advisor = CoverageAdvisor({0, 40}); advisor.update(index, lineart, cut) ... advisor.finish()

Three modules, each using the ones before it:
* coverage.py: KeysConfig, small line-art and its drawn content, the seen-mask carry along line-art
  motion (shot_scores: the per-shot table score[key, frame]), coverage() per frame;
* suggest.py: greedy key choice per shot (greedy_keys, plan_shots, ShotPlan), clips and folders in
  (plan_clip, suggest_keys: what `colorize keys` prints);
* advice.py: the one line for a shot its keys cover poorly (poorly_covered, CoverageAdvisor,
  advise_keys: what `colorize video` / `frames` say).
"""

from colorize.jobs.keys.advice import CoverageAdvisor, advise_keys, poorly_covered
from colorize.jobs.keys.coverage import (FrameCoverage, KeysConfig, ShotLinearts, content_weights, coverage,
                                         iter_shot_linearts, pull_step, shot_scores, shrink, small_lineart)
from colorize.jobs.keys.suggest import (ShotPlan, bracket_keys, folder_numbers, greedy_keys, lineart_frames, open_clip,
                                        plan_clip, plan_shots, suggest_keys)

__all__ = ["CoverageAdvisor", "FrameCoverage", "KeysConfig", "ShotLinearts", "ShotPlan", "advise_keys", "bracket_keys",
           "content_weights", "coverage", "folder_numbers", "greedy_keys", "iter_shot_linearts",
           "lineart_frames", "open_clip", "plan_clip", "plan_shots", "poorly_covered", "pull_step",
           "shot_scores", "shrink", "small_lineart", "suggest_keys"]
