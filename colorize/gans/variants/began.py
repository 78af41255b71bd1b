"""BEGAN (Berthelot et al. 2017): an autoencoder discriminator and an equilibrium controller.

With L(x) = mean |x - D(x)| (the autoencoder's L1 reconstruction error):
    D minimises  L(real) - k_t * L(G(z))
    G minimises  L(G(z))
    k_{t+1} = clip(k_t + lambda_k * (gamma * L(real) - L(G(z))), 0, 1)
gamma (diversity ratio) sets the balance E[L(fake)] = gamma * E[L(real)] the controller steers to;
the convergence measure M_global = L(real) + |gamma * L(real) - L(G(z))| is logged as `m_global`
(it falls as training converges, which vanilla GAN losses do not tell you). k_t is a buffer, so it
is checkpointed and resumes exactly.
"""

from __future__ import annotations

import dataclasses

import torch

from colorize.gans.variant import DataInfo
from colorize.gans.variants.latent import LatentGAN, LatentGANConfig
from colorize.nets.began import BEGANAutoencoder
from colorize.nets.blocks import init_weights


@dataclasses.dataclass
class BEGANConfig(LatentGANConfig):
    hidden: int = 64           # autoencoder bottleneck
    gamma: float = 0.5         # diversity ratio
    lambda_k: float = 0.001    # k_t learning rate
    lr_g: float = 1e-4
    lr_d: float = 1e-4
    g_norm: str = "none"       # BEGAN uses no normalisation

    def __post_init__(self):
        super().__post_init__()
        if not 0.0 < self.gamma <= 1.0 or self.lambda_k < 0:
            raise ValueError("gamma must be in (0, 1] and lambda_k >= 0")


class BEGAN(LatentGAN):
    """Noise-driven GAN with an autoencoder D and k_t balance control."""

    name = "began"
    Config = BEGANConfig

    def __init__(self, cfg: BEGANConfig, data: DataInfo):
        super().__init__(cfg, data)
        self.D = init_weights(BEGANAutoencoder(data.channels, data.size, cfg.d_base, cfg.hidden), cfg.init)
        self.register_buffer("k", torch.zeros(()))
        self._real_error = 0.0

    def reconstruction_error(self, x: torch.Tensor) -> torch.Tensor:
        """Mean L1 error of D's reconstruction of what D sees (float32 scalar)."""
        seen = self.d_input(x)
        return (self.D(seen).float() - seen.float()).abs().mean()

    def d_loss(self, real: torch.Tensor, labels: torch.Tensor | None) -> tuple[torch.Tensor, dict]:
        with torch.no_grad():
            fake = self.generate(self.sample_latent(real.shape[0], real.device))
        real_error, fake_error = self.reconstruction_error(real), self.reconstruction_error(fake)
        self._real_error = float(real_error.detach())
        loss = real_error - self.k * fake_error
        return loss, {"d_loss": loss.detach(), "l_real": real_error.detach(), "l_fake_d": fake_error.detach()}

    def g_loss(self, n: int, device: torch.device) -> tuple[torch.Tensor, dict]:
        error = self.reconstruction_error(self.generate(self.sample_latent(n, device)))
        return error, {"g_loss": error.detach()}

    @torch.no_grad()
    def after_g_step(self, logs: dict[str, float]) -> None:
        """Proportional control of k_t; adds k and the convergence measure M_global to the logs."""
        balance = self.cfg.gamma * self._real_error - logs["g_loss"]
        self.k.copy_((self.k + self.cfg.lambda_k * balance).clamp(0.0, 1.0))
        logs["k"] = float(self.k)
        logs["m_global"] = self._real_error + abs(balance)
