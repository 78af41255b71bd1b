"""DCGAN and its objective presets: lsgan, wgan and wgan-gp are this class with other options.

    dcgan    vanilla (BCE with logits) loss, Adam(0.5, 0.999), BatchNorm D
    lsgan    least-squares loss                                  (preset in colorize.gans.registry)
    wgan     Wasserstein loss, weight clipping 0.01, RMSProp 5e-5, n_critic 5
    wgan-gp  Wasserstein loss, gradient penalty 10, Adam(0, 0.9), n_critic 5, no norm in the critic

The conditional variants (cgan, acgan) and InfoGAN subclass DCGAN and add only their heads and terms
through `d_aux_loss` / `g_aux_loss`; the update order lives in LatentGAN.train_step.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar, Literal

import torch

from colorize.gans.losses.adversarial import get_adversarial
from colorize.gans.variant import DataInfo
from colorize.gans.variants.latent import Latent, LatentGAN, LatentGANConfig
from colorize.nets.blocks import NormKind, init_weights
from colorize.nets.dcgan import DCGANDiscriminator, DiscriminatorBlock


@dataclasses.dataclass
class DCGANConfig(LatentGANConfig):
    """[model] options of dcgan, lsgan, wgan, wgan-gp (and, extended, cgan, acgan, infogan)."""

    loss: Literal["vanilla", "lsgan", "hinge", "wasserstein"] = "vanilla"
    d_block: DiscriminatorBlock = "conv"   # conv (strided 4x4) | residual (ResidualDown)
    d_norm: NormKind = "batch"             # use "none" or "instance" with a gradient penalty
    spectral: bool = False                 # spectral norm on every D layer
    penalty: Literal["none", "gp"] = "none"  # gp: WGAN-GP's penalty on real/fake interpolates
    penalty_weight: float = 10.0
    clip: float = 0.0                      # WGAN weight clipping to [-clip, clip] after each D step; 0 = off
    label_smoothing: float = 0.0           # one-sided (real targets 1 - s); vanilla loss only

    def __post_init__(self):
        super().__post_init__()
        if self.label_smoothing and self.loss != "vanilla":
            raise ValueError("label_smoothing applies to the vanilla loss only")
        if self.clip < 0 or self.penalty_weight < 0:
            raise ValueError("clip and penalty_weight must be >= 0")


class DCGAN(LatentGAN):
    """Unconditional GAN with a DCGAN generator and discriminator; objective chosen by config."""

    name = "dcgan"
    Config = DCGANConfig
    projection: ClassVar[bool] = False   # D conditioned by projection (cgan)

    def __init__(self, cfg: DCGANConfig, data: DataInfo):
        super().__init__(cfg, data)
        self.D = init_weights(DCGANDiscriminator(
            data.channels, data.size, cfg.d_base, cfg.d_block, cfg.d_norm, cfg.spectral,
            num_classes=self.num_classes if self.projection else 0), cfg.init)
        self.adversarial = get_adversarial(cfg.loss)

    # ----------------------------------------------------------------------------- extension points
    def d_aux_loss(self, real_feat: torch.Tensor, labels: torch.Tensor | None, fake_feat: torch.Tensor,
                   latent: Latent) -> tuple[torch.Tensor | float, dict]:
        """Extra D terms from D's features (AC-GAN's classifier, InfoGAN's Q); none here."""
        return 0.0, {}

    def g_aux_loss(self, fake_feat: torch.Tensor, latent: Latent) -> tuple[torch.Tensor | float, dict]:
        """Extra G terms from D's features of the fakes; none here."""
        return 0.0, {}

    # ----------------------------------------------------------------------------- losses
    def _critic(self, x: torch.Tensor, y: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        return self.D(self.d_input(x), y if self.projection else None)

    def _adversarial_d(self, real_score: torch.Tensor, fake_score: torch.Tensor) -> torch.Tensor:
        if self.cfg.label_smoothing:
            return self.adversarial.d(real_score, fake_score, smooth=self.cfg.label_smoothing)
        return self.adversarial.d(real_score, fake_score)

    def _penalty(self, real: torch.Tensor, fake: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor:
        """WGAN-GP's gradient penalty on interpolates; fakes share the real labels, so it is defined."""
        from colorize.gans.losses.penalties import gradient_penalty

        return gradient_penalty(lambda x: self.D(x, y if self.projection else None)[0], real, fake)

    def d_loss(self, real: torch.Tensor, labels: torch.Tensor | None) -> tuple[torch.Tensor, dict]:
        # Fakes are drawn with the real slice's labels: the conditional terms and the penalty then
        # compare like with like.
        latent = self.sample_latent(real.shape[0], real.device, labels if self.num_classes else None)
        with torch.no_grad():
            fake = self.generate(latent)
        real_score, real_feat = self._critic(real, latent.get("y"))
        fake_score, fake_feat = self._critic(fake, latent.get("y"))
        adv = self._adversarial_d(real_score, fake_score)
        logs = {"d_loss": adv.detach(), "d_real": real_score.detach().float().mean(),
                "d_fake": fake_score.detach().float().mean()}
        loss = adv
        if self.cfg.penalty == "gp":
            gp = self._penalty(real, fake, latent.get("y"))
            loss = loss + self.cfg.penalty_weight * gp
            logs["gp"] = gp.detach()
        aux, aux_logs = self.d_aux_loss(real_feat, labels, fake_feat, latent)
        return loss + aux, {**logs, **aux_logs}

    def g_loss(self, n: int, device: torch.device) -> tuple[torch.Tensor, dict]:
        latent = self.sample_latent(n, device)
        score, feat = self._critic(self.generate(latent), latent.get("y"))
        adv = self.adversarial.g(score)
        aux, aux_logs = self.g_aux_loss(feat, latent)
        return adv + aux, {"g_loss": adv.detach(), **aux_logs}

    @torch.no_grad()
    def after_d_step(self) -> None:
        """WGAN's weight clipping keeps the critic (roughly) Lipschitz."""
        if self.cfg.clip > 0:
            for p in self.D.parameters():
                p.clamp_(-self.cfg.clip, self.cfg.clip)
