"""AC-GAN (Odena et al. 2017): a class-conditional generator and a discriminator with an auxiliary
classifier head that must name the class of real and generated images alike.

D minimises adversarial + aux_weight * (CE(real class) + CE(fake's intended class));
G minimises adversarial + aux_weight * CE(fake's intended class), so its images must be recognisable.
"""

from __future__ import annotations

import dataclasses

import torch
import torch.nn.functional as F
from torch import nn

from colorize.gans.variant import DataInfo
from colorize.gans.variants.dcgan import DCGAN, DCGANConfig
from colorize.gans.variants.latent import Latent


@dataclasses.dataclass
class ACGANConfig(DCGANConfig):
    aux_weight: float = 1.0   # weight of the classification terms (both players)


class ACGAN(DCGAN):
    """DCGAN + conditional G + a linear class head on D's features (trained with D's optimizer)."""

    name = "acgan"
    Config = ACGANConfig
    conditional = True

    def __init__(self, cfg: ACGANConfig, data: DataInfo):
        super().__init__(cfg, data)
        self.aux = nn.Linear(self.D.feature_dim, self.num_classes)

    def d_parameters(self) -> list[nn.Parameter]:
        return [*self.D.parameters(), *self.aux.parameters()]

    def d_aux_loss(self, real_feat: torch.Tensor, labels: torch.Tensor | None, fake_feat: torch.Tensor,
                   latent: Latent) -> tuple[torch.Tensor, dict]:
        real_ce = F.cross_entropy(self.aux(real_feat).float(), labels)
        fake_ce = F.cross_entropy(self.aux(fake_feat).float(), latent["y"])
        with torch.no_grad():
            acc = (self.aux(real_feat).argmax(1) == labels).float().mean()
        return self.cfg.aux_weight * (real_ce + fake_ce), {"d_aux": (real_ce + fake_ce).detach(), "d_acc": acc}

    def g_aux_loss(self, fake_feat: torch.Tensor, latent: Latent) -> tuple[torch.Tensor, dict]:
        ce = F.cross_entropy(self.aux(fake_feat).float(), latent["y"])
        return self.cfg.aux_weight * ce, {"g_aux": ce.detach()}
