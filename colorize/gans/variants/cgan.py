"""cGAN: class-conditional generator (label embedding concatenated to z) and projection discriminator.

`colorize gan sample RUN --label 3` draws 3s; `colorize gan interpolate RUN --from 3 --to 8` walks the
generator's class-embedding space with the noise held fixed.
"""

from __future__ import annotations

from colorize.gans.variants.dcgan import DCGAN, DCGANConfig


class CGAN(DCGAN):
    """DCGAN conditioned on class labels in G (embedding) and D (projection term)."""

    name = "cgan"
    Config = DCGANConfig
    conditional = True
    projection = True
