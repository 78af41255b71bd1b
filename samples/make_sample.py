"""Write samples/sample.mp4: a 5 s toon clip (192x128, 12 fps, 440 Hz tone) for demos and pipelines,
and samples/keys/: an artist's colour keyframes for its two shots (frames 0 and 36).

Reproducible: the frames are a pure function of the ToonConfig below and the encoder settings are
fixed, so rerunning gives the same picture and sound. The keyframes are the same drawings in other
colours (the same seed with palette "random" draws the same shapes and motion), the way an artist
picks a palette the model has never seen. Run from anywhere:

    python samples/make_sample.py [OUTPUT.mp4]
"""

from __future__ import annotations

import sys
from pathlib import Path

import dataclasses

from colorize.data.toon import ToonClip, ToonConfig, write_toon_video
from colorize.images import write_image

SAMPLE = ToonConfig(width=192, height=128, n_frames=60, fps=12.0, seed=2024, n_shapes=5, outline_px=2,
                    tone_hz=440.0, cut_every=36, antialias=False, palette="by_kind")
KEYFRAMES = dataclasses.replace(SAMPLE, palette="random")
KEYFRAME_NUMBERS = (0, 36)  # the first frame of each shot


def main(argv: list[str]) -> None:
    out = Path(argv[0]) if argv else Path(__file__).resolve().parent / "sample.mp4"
    path = write_toon_video(out, SAMPLE)
    print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KiB, {SAMPLE.n_frames} frames, "
          f"{SAMPLE.width}x{SAMPLE.height} at {SAMPLE.fps:g} fps, {SAMPLE.tone_hz:g} Hz tone)")
    clip = ToonClip(KEYFRAMES)
    for number in KEYFRAME_NUMBERS:
        print(f"wrote {write_image(out.parent / 'keys' / f'{number:06d}.png', clip.frame(number))}")


if __name__ == "__main__":
    main(sys.argv[1:])
