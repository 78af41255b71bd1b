"""InfoGAN (Chen et al. 2016): structured latent codes the generator must make recoverable.

G's input is z plus a categorical code (one-hot over `n_cat` values) and `n_cont` continuous codes
in U(-1, 1). A Q head on D's features predicts the codes back; maximising this lower bound on the
mutual information I(codes; G(z, codes)) is the loss
    info = CE(q_cat, cat) + cont_weight * MSE(q_cont, cont)     (Gaussian Q with fixed variance)
added, with weight info_weight, to D's step (trains D's trunk and Q on detached fakes) and to G's step
(trains G to make its codes visible). Labels are never used: on digits the categorical code tends
to discover the digit classes unsupervised. `sample --label K` and `interpolate --from K --to J`
address the categorical code.
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
class InfoGANConfig(DCGANConfig):
    n_cat: int = 10            # values of the categorical code (10 for digits)
    n_cont: int = 2            # continuous codes
    info_weight: float = 1.0
    cont_weight: float = 0.5

    def __post_init__(self):
        super().__post_init__()
        if self.n_cat < 2 or self.n_cont < 0:
            raise ValueError("n_cat must be at least 2 and n_cont at least 0")


class InfoGAN(DCGAN):
    """DCGAN whose G also takes codes, with a Q head (trained with D's optimizer) recovering them."""

    name = "infogan"
    Config = InfoGANConfig

    @property
    def code_dim(self) -> int:
        return self.cfg.n_cat + self.cfg.n_cont

    def __init__(self, cfg: InfoGANConfig, data: DataInfo):
        super().__init__(cfg, data)
        self.q_head = nn.Sequential(nn.Linear(self.D.feature_dim, 64), nn.LeakyReLU(0.2),
                                    nn.Linear(64, self.code_dim))

    def d_parameters(self) -> list[nn.Parameter]:
        return [*self.D.parameters(), *self.q_head.parameters()]

    def make_codes(self, cat: torch.Tensor, cont: torch.Tensor) -> torch.Tensor:
        """B int categories + B x n_cont values -> B x code_dim generator codes."""
        return torch.cat([F.one_hot(cat, self.cfg.n_cat).float(), cont], dim=1)

    def sample_latent(self, n: int, device: torch.device, labels: torch.Tensor | None = None) -> Latent:
        """Noise and random codes; `labels`, when given, fix the categorical code."""
        cat = labels if labels is not None else torch.randint(self.cfg.n_cat, (n,), device=device)
        cont = torch.rand(n, self.cfg.n_cont, device=device) * 2 - 1
        return {"z": torch.randn(n, self.cfg.z_dim, device=device), "codes": self.make_codes(cat, cont),
                "cat": cat, "cont": cont}

    def fixed_latent(self, n: int) -> Latent:
        """Fixed noise, category k in column k, continuous codes at 0."""
        z = self.fixed_z[:n]
        cat = torch.arange(z.shape[0], device=z.device) % self.cfg.n_cat
        cont = torch.zeros(z.shape[0], self.cfg.n_cont, device=z.device)
        return {"z": z, "codes": self.make_codes(cat, cont)}

    @property
    def grid_columns(self) -> int:
        return self.cfg.n_cat

    def endpoint_latent(self, key: int, z: torch.Tensor) -> Latent:
        cat = torch.full((z.shape[0],), key % self.cfg.n_cat, dtype=torch.long, device=z.device)
        return {"z": z, "codes": self.make_codes(cat, torch.zeros(z.shape[0], self.cfg.n_cont, device=z.device))}

    def info_loss(self, feat: torch.Tensor, latent: Latent) -> torch.Tensor:
        q = self.q_head(feat).float()
        cat_loss = F.cross_entropy(q[:, :self.cfg.n_cat], latent["cat"])
        cont_loss = F.mse_loss(q[:, self.cfg.n_cat:], latent["cont"]) if self.cfg.n_cont else 0.0
        return cat_loss + self.cfg.cont_weight * cont_loss

    def d_aux_loss(self, real_feat, labels, fake_feat, latent) -> tuple[torch.Tensor, dict]:
        info = self.info_loss(fake_feat, latent)
        return self.cfg.info_weight * info, {"d_info": info.detach()}

    def g_aux_loss(self, fake_feat: torch.Tensor, latent: Latent) -> tuple[torch.Tensor, dict]:
        info = self.info_loss(fake_feat, latent)
        return self.cfg.info_weight * info, {"g_info": info.detach()}
