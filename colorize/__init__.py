"""colorize: line-art video colorization.

Data flow (floors from the bottom up; see docs/ARCHITECTURE.md):

    video --media.video--> frames --lineart.recipes--> line-art
    line-art + frames --data + gans (pix2pix trainer), wired by jobs.train--> model (nets.files)
    frames --media.shots.mark_cuts--> jobs.colorize (keyframes, generator, smoothing) --media.encode--> video
"""

__version__ = "0.1.0"
