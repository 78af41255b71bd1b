"""pix2pix with a colour reference: G(line-art t, reference colour s, reference line-art s) -> colour t.

The same losses, discriminator and step as pix2pix (the D judges line-art + colour pairs; the
reference is the generator's business). Batches carry "ref_color", "ref_lineart" and "has_ref" (see
colorize.data.reference); samples whose reference was dropped train the reference-free mode, so one
generator file serves both `colorize video` with and without keyframes. With `[reference] temporal`
above 0, batches also carry a neighbouring frame and the true flow to it, and the generator pays
for outputs that do not move with the drawing (gans.losses.temporal).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import torch
from torch import nn

from colorize.gans.losses.temporal import warp_consistency
from colorize.gans.variant import DataInfo, StepContext
from colorize.gans.variants.pix2pix import GeneratorConfig, Pix2Pix, Pix2PixConfig, image_scores, to_signed
from colorize.gans.visual import columns_grid
from colorize.nets.reference import ReferenceUNet


@dataclasses.dataclass
class ReferenceModelConfig:
    """The reference-guided generator's own keys: the matching encoder (see nets.reference) and the
    weight of the warp-consistency loss between neighbouring frames (0 = off)."""

    feature_channels: int = 64
    feature_stride: int = 4
    temporal: float = 0.0

    def __post_init__(self) -> None:
        if self.temporal < 0:
            raise ValueError(f"temporal must be 0 (off) or positive, got {self.temporal}")


class ReferencePix2Pix(Pix2Pix):
    """Pix2Pix whose generator is a ReferenceUNet. `reference` sizes the matching encoder."""

    name = "pix2pix-ref"
    Config = Pix2PixConfig

    def __init__(self, cfg: Pix2PixConfig, data: DataInfo | None = None, vgg: nn.Module | None = None,
                 reference: ReferenceModelConfig | None = None):
        self.reference = reference or ReferenceModelConfig()
        super().__init__(cfg, data, vgg=vgg)

    def build_generator(self, g: GeneratorConfig) -> nn.Module:
        return ReferenceUNet(g.depth, g.base_channels, g.max_channels, g.norm, g.dropout, g.dropout_layers,
                             feature_channels=self.reference.feature_channels,
                             feature_stride=self.reference.feature_stride)

    def generate(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        if "ref_color" not in batch:
            return self.G(to_signed(batch["lineart"]))
        return self.G(to_signed(batch["lineart"]), to_signed(batch["ref_color"]),
                      to_signed(batch["ref_lineart"]), batch["has_ref"])

    def extra_generator_terms(self, batch: dict[str, torch.Tensor], fake: torch.Tensor, ctx: StepContext
                              ) -> dict[str, tuple[float, torch.Tensor]]:
        """The warp-consistency term (reference.temporal > 0): the neighbouring frame's output, with the
        same reference, against this frame's output moved along the true flow."""
        if self.reference.temporal <= 0 or "pair_lineart" not in batch:
            return {}
        pair = {**batch, "lineart": batch["pair_lineart"]}
        with ctx.autocast():
            fake_pair = self.generate(pair)
        return {"temporal": (self.reference.temporal,
                             warp_consistency(fake_pair, fake, batch["pair_flow"], batch["pair_mask"]))}

    @torch.no_grad()
    def validate(self, batch: dict[str, torch.Tensor]) -> dict[str, float]:
        """psnr/ssim/l1 with the batch's references, and noref_* with none (both modes of the one G)."""
        real = batch["color"].float()
        with_ref = image_scores(self.colorize(batch), real)
        without = image_scores(self.colorize({"lineart": batch["lineart"]}), real, prefix="noref_")
        return {**with_ref, **without}

    @torch.no_grad()
    def visualize(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """Grid rows of reference | line-art | output without reference | output with it | ground truth."""
        return columns_grid([batch["ref_color"].float(), batch["lineart"].float(),
                             self.colorize({"lineart": batch["lineart"]}), self.colorize(batch),
                             batch["color"].float()],
                            labels=["reference", "line-art", "no ref", "with ref", "truth"])

    def export_generator(self) -> tuple[nn.Module, dict[str, Any]]:
        meta = {"architecture": {"name": "reference_unet", "kwargs": dict(self.G.config)},
                "stride": self.G.stride, "variant": self.name, "takes_reference": True, **self.data.extra}
        return self.G, meta
