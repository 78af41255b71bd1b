"""colorize: line-art video colorization.

    import colorize
    model = colorize.load_model()                          # the shipped model (see colorize.api)
    colour = colorize.colorize_image("drawing.png", model, reference="key.png")

Data flow (floors from the bottom up; see docs/ARCHITECTURE.md):

    video --media.video--> frames --lineart.recipes--> line-art
    line-art + frames --data + gans (pix2pix trainer), wired by jobs.train--> model (nets.files)
    frames --media.shots.mark_cuts--> jobs.colorize (keyframes, generator, smoothing) --media.encode--> video

The public functions live in colorize.api and are imported on first use, so `import colorize` stays
light (no torch) until one is called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# `draw_lineart` is colorize.api.lineart: `colorize.lineart` names the subpackage of line-art recipes.
__all__ = ["__version__", "load_model", "colorize_image", "colorize_video", "colorize_folder", "draw_lineart"]

if TYPE_CHECKING:
    from colorize.api import colorize_folder, colorize_image, colorize_video, draw_lineart, load_model


def __getattr__(name: str) -> Any:
    """The API functions of colorize.api, imported when first asked for (PEP 562)."""
    if name in __all__:
        from colorize import api

        return getattr(api, name)
    raise AttributeError(f"module 'colorize' has no attribute {name!r}")
