"""CycleGAN (Zhu et al. 2017): translation between two unpaired image domains A and B.

Networks: G_ab, G_ba (ResNet generators), D_a, D_b (PatchGAN discriminators). One training step:
    G step (both D frozen):
        adv.g(D_b(G_ab(a))) + adv.g(D_a(G_ba(b)))
        + lambda_cycle * (|G_ba(G_ab(a)) - a| + |G_ab(G_ba(b)) - b|)            cycle consistency
        + lambda_cycle * lambda_identity * (|G_ab(b) - b| + |G_ba(a) - a|)      identity (keeps tones)
    D step: D_b judges b against a fake drawn from an image history pool of G_ab's outputs (and D_a
        likewise); each D loss is halved so D learns at half G's rate, as in the paper.
Batches are (a, b) pairs from colorize.data.digits.UnpairedDigits or colorize.data.folders.UnpairedFolders.
The history pools live in memory only: a resumed run restarts them empty (they refill in pool_size
images). The Trainer's EMA, when enabled, follows G_ab (the A -> B direction users sample).
"""

from __future__ import annotations

import dataclasses
from typing import Any, Literal

import torch
from torch import nn

from colorize.errors import ConfigError
from colorize.gans.augment import DiffAugment
from colorize.gans.losses.adversarial import get_adversarial
from colorize.gans.variant import DataInfo, StepContext, Variant, set_requires_grad
from colorize.gans.visual import columns_grid
from colorize.nets.blocks import InitKind, NormKind, init_weights
from colorize.nets.patchgan import PatchDiscriminator
from colorize.nets.resnet import ResnetGenerator


@dataclasses.dataclass
class CycleGANConfig:
    g_base: int = 32
    n_down: int = 2                 # generator downsamplings (image sides divisible by 2^n_down)
    n_blocks: int = 6               # residual blocks (9 in the paper at 256 px)
    d_base: int = 32
    d_layers: int = 3               # PatchGAN depth (2 suits 32 px images)
    norm: NormKind = "instance"
    spectral: bool = False
    init: InitKind = "normal"
    loss: Literal["vanilla", "lsgan", "hinge"] = "lsgan"
    lambda_cycle: float = 10.0
    lambda_identity: float = 0.5    # fraction of lambda_cycle; 0 turns the identity loss off
    pool_size: int = 50             # image history per discriminator; 0 = always the newest fakes
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    betas: tuple[float, float] = (0.5, 0.999)
    augment: str = ""               # DiffAugment policy for D's inputs

    def __post_init__(self):
        if min(self.g_base, self.d_base, self.d_layers) < 1 or self.n_down < 0 or self.n_blocks < 0:
            raise ValueError("widths and d_layers must be >= 1, n_down and n_blocks >= 0")
        if self.lambda_cycle < 0 or self.lambda_identity < 0 or self.pool_size < 0:
            raise ValueError("lambda_cycle, lambda_identity and pool_size must be >= 0")


class ImagePool:
    """History of generated images (Shrivastava et al. 2017): D sees older fakes too, which damps
    oscillation. query(B x ...) returns B images, each either the new one or (p = 0.5, once the pool
    is full) a stored one that the new image replaces. Draws from torch's global RNG (seeded)."""

    def __init__(self, size: int):
        self.size = size
        self.images: list[torch.Tensor] = []

    def query(self, images: torch.Tensor) -> torch.Tensor:
        if self.size == 0:
            return images
        out = []
        for image in images.detach():
            if len(self.images) < self.size:
                self.images.append(image)
                out.append(image)
            elif torch.rand(()) < 0.5:
                slot = int(torch.randint(self.size, ()))
                out.append(self.images[slot])
                self.images[slot] = image
            else:
                out.append(image)
        return torch.stack(out)


class CycleGAN(Variant):
    name = "cyclegan"
    Config = CycleGANConfig

    def __init__(self, cfg: CycleGANConfig, data: DataInfo):
        super().__init__()
        if data.size % (2 ** cfg.n_down):
            raise ConfigError(f"cyclegan: image size {data.size} must be divisible by 2^n_down = {2 ** cfg.n_down}")
        self.cfg, self.data = cfg, data
        c = data.channels

        def generator():
            return init_weights(ResnetGenerator(c, c, cfg.g_base, cfg.n_down, cfg.n_blocks, cfg.norm), cfg.init)

        def discriminator():
            return init_weights(PatchDiscriminator(c, cfg.d_base, cfg.d_layers, cfg.norm, cfg.spectral), cfg.init)

        self.G_ab, self.G_ba = generator(), generator()
        self.D_a, self.D_b = discriminator(), discriminator()
        self.adversarial = get_adversarial(cfg.loss)
        self.augment = DiffAugment(cfg.augment, c)
        self.pool_a, self.pool_b = ImagePool(cfg.pool_size), ImagePool(cfg.pool_size)

    def configure_optimizers(self) -> dict[str, torch.optim.Optimizer]:
        cfg = self.cfg
        g = [*self.G_ab.parameters(), *self.G_ba.parameters()]
        d = [*self.D_a.parameters(), *self.D_b.parameters()]
        return {"g": torch.optim.Adam(g, lr=cfg.lr_g, betas=tuple(cfg.betas)),
                "d": torch.optim.Adam(d, lr=cfg.lr_d, betas=tuple(cfg.betas))}

    def _g_loss(self, a: torch.Tensor, b: torch.Tensor) -> tuple[torch.Tensor, dict, torch.Tensor, torch.Tensor]:
        cfg = self.cfg
        fake_b, fake_a = self.G_ab(a), self.G_ba(b)
        adv = self.adversarial.g(self.D_b(self.augment(fake_b))) + self.adversarial.g(self.D_a(self.augment(fake_a)))
        cycle = (self.G_ba(fake_b) - a).abs().mean() + (self.G_ab(fake_a) - b).abs().mean()
        loss = adv + cfg.lambda_cycle * cycle
        logs = {"g_adv": adv.detach(), "cycle": cycle.detach()}
        if cfg.lambda_identity > 0:
            identity = (self.G_ab(b) - b).abs().mean() + (self.G_ba(a) - a).abs().mean()
            loss = loss + cfg.lambda_cycle * cfg.lambda_identity * identity
            logs["identity"] = identity.detach()
        return loss, logs, fake_a.detach(), fake_b.detach()

    def _d_loss(self, disc: nn.Module, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        return 0.5 * self.adversarial.d(disc(self.augment(real)), disc(self.augment(fake)))

    def train_step(self, batch: Any, ctx: StepContext) -> dict[str, float]:
        a, b = batch[0], batch[1]
        discriminators = (self.D_a, self.D_b)
        for d in discriminators:
            set_requires_grad(d, False)
        with ctx.autocast():
            g_loss, logs, fake_a, fake_b = self._g_loss(a, b)
        ctx.backward(g_loss, "g")
        ctx.step("g")
        for d in discriminators:
            set_requires_grad(d, True)
        with ctx.autocast():
            d_a = self._d_loss(self.D_a, a, self.pool_a.query(fake_a))
            d_b = self._d_loss(self.D_b, b, self.pool_b.query(fake_b))
        ctx.backward(d_a + d_b, "d")
        ctx.step("d")
        return {k: float(v) for k, v in {**logs, "g_loss": g_loss.detach(), "d_a": d_a.detach(),
                                         "d_b": d_b.detach()}.items()}

    @torch.no_grad()
    def translate(self, images: torch.Tensor, direction: Literal["ab", "ba"] = "ab") -> torch.Tensor:
        """B x C x H x W in [-1, 1] of one domain -> the other domain, same shape and range."""
        net = self.G_ab if direction == "ab" else self.G_ba
        return net(images.to(self.device))

    @torch.no_grad()
    def visualize(self, batch: Any) -> torch.Tensor:
        """Columns: a | G_ab(a) | G_ba(G_ab(a)) | b | G_ba(b)."""
        a, b = batch[0], batch[1]
        fake_b, fake_a = self.G_ab(a), self.G_ba(b)
        cols = [a, fake_b, self.G_ba(fake_b), b, fake_a]
        return columns_grid([(c + 1.0) * 0.5 for c in cols])

    def ema_module(self) -> nn.Module:
        return self.G_ab
