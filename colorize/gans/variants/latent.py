"""Shared machinery of noise-driven GANs (dcgan family, cgan, acgan, infogan, began).

`LatentGAN` implements the Variant contract once: the D-then-G update order with n_critic critic
updates, freezing D while G steps, D-input transforms (DiffAugment, annealed instance noise),
optimizers (Adam or RMSProp, separate G/D learning rates for TTUR), fixed-noise sample grids,
sampling and interpolation. A concrete variant builds its discriminator and writes two losses:

    d_loss(real, labels) -> (scalar, logs)      one critic update on a slice of the real batch
    g_loss(n, device)    -> (scalar, logs)      one generator update on n fresh samples

A "latent" is a dict of the generator's inputs: "z" (B x z_dim), optionally "y" (B class labels),
"codes" (B x code_dim, InfoGAN) or "class_vec" (B x embed_dim, replaces y when interpolating).

n_critic: the real batch is cut into n_critic equal slices and critic update i uses slice i (like
WGAN's loop, which draws a fresh minibatch per critic iteration), so set the Trainer's batch_size
to n_critic x the per-update batch. The generator update then uses batch_size fresh samples.
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar, Literal

import torch
from torch import nn

from colorize.errors import ConfigError
from colorize.gans.augment import DiffAugment
from colorize.gans.variant import DataInfo, StepContext, Variant
from colorize.gans.visual import make_grid
from colorize.nets.blocks import InitKind, NormKind, init_weights
from colorize.nets.dcgan import DCGANGenerator, GeneratorUp

Latent = dict[str, torch.Tensor]


@dataclasses.dataclass
class LatentGANConfig:
    """Options every noise-driven variant takes (the `[model]` table)."""

    z_dim: int = 64
    g_base: int = 32                # generator width at full resolution (doubles per halving, max x8)
    d_base: int = 32
    g_up: GeneratorUp = "upconv"    # transposed (classic DCGAN) | upconv (no checkerboards) | residual
    g_norm: NormKind = "batch"
    embed_dim: int = 32             # class-embedding size of conditional generators
    init: InitKind = "normal"
    optimizer: Literal["adam", "rmsprop"] = "adam"
    lr_g: float = 2e-4              # separate G/D rates: TTUR is lr_d > lr_g
    lr_d: float = 2e-4
    betas: tuple[float, float] = (0.5, 0.999)
    n_critic: int = 1               # D updates per G update (see module docstring)
    augment: str = ""               # DiffAugment policy for D's inputs, e.g. "color,translation,cutout"
    instance_noise: float = 0.0     # std of Gaussian noise on D's inputs, annealed linearly to 0 ...
    noise_anneal_steps: int = 5000  # ... over this many steps
    grid_size: int = 64             # images in the Trainer's sample grids (fixed noise)

    def __post_init__(self):
        if self.z_dim < 1 or self.g_base < 1 or self.d_base < 1 or self.n_critic < 1:
            raise ValueError("z_dim, g_base, d_base and n_critic must be at least 1")
        if self.lr_g <= 0 or self.lr_d <= 0:
            raise ValueError("learning rates must be positive")
        if self.instance_noise < 0 or self.noise_anneal_steps < 1:
            raise ValueError("instance_noise must be >= 0 and noise_anneal_steps >= 1")


def unpack_batch(batch: Any) -> tuple[torch.Tensor, torch.Tensor | None]:
    """(images, labels) from a collated (images, labels) pair or a bare image tensor."""
    if isinstance(batch, torch.Tensor):
        return batch, None
    images, labels = batch[0], batch[1]
    return images, labels if isinstance(labels, torch.Tensor) else None


def seeded_normal(rows: int, dim: int, seed: int, device: torch.device) -> torch.Tensor:
    """Reproducible N(0, 1) noise (rows x dim) that does not touch the global RNG."""
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(rows, dim, generator=gen).to(device)


class LatentGAN(Variant):
    """Base class of noise-driven variants: see the module docstring. Subclasses set self.D."""

    Config: ClassVar[type] = LatentGANConfig
    conditional: ClassVar[bool] = False   # G (and usually D) take class labels
    code_dim: ClassVar[int] = 0           # extra latent inputs besides z (InfoGAN's codes)

    def __init__(self, cfg: LatentGANConfig, data: DataInfo):
        super().__init__()
        if self.conditional and data.num_classes < 2:
            raise ConfigError(f"variant {self.name} is class-conditional and needs labelled data "
                              f"(--data digits, or a folder with one subfolder per class)")
        self.cfg, self.data = cfg, data
        self.num_classes = data.num_classes if self.conditional else 0
        self.augment = DiffAugment(cfg.augment, data.channels)
        self.G = self.build_generator()
        self.current_step = 0
        self.register_buffer("fixed_z", seeded_normal(cfg.grid_size, cfg.z_dim, 0, torch.device("cpu")))

    def build_generator(self) -> nn.Module:
        cfg = self.cfg
        g = DCGANGenerator(cfg.z_dim + self.code_dim, self.data.channels, self.data.size, cfg.g_base,
                           cfg.g_up, cfg.g_norm, self.num_classes, cfg.embed_dim)
        return init_weights(g, cfg.init)

    # ----------------------------------------------------------------------------- hooks
    def d_parameters(self) -> list[nn.Parameter]:
        """Everything D's optimizer updates (trunk and heads); frozen while G steps."""
        return list(self.D.parameters())

    def g_parameters(self) -> list[nn.Parameter]:
        return list(self.G.parameters())

    def d_loss(self, real: torch.Tensor, labels: torch.Tensor | None) -> tuple[torch.Tensor, dict]:
        raise NotImplementedError

    def g_loss(self, n: int, device: torch.device) -> tuple[torch.Tensor, dict]:
        raise NotImplementedError

    def after_d_step(self) -> None:
        """Called after every critic update (WGAN clips weights here)."""

    def after_g_step(self, logs: dict[str, float]) -> None:
        """Called after every generator update (BEGAN updates k_t here)."""

    # ----------------------------------------------------------------------------- latents
    def sample_latent(self, n: int, device: torch.device, labels: torch.Tensor | None = None) -> Latent:
        """Fresh generator inputs; uniformly drawn labels for conditional variants unless given."""
        latent = {"z": torch.randn(n, self.cfg.z_dim, device=device)}
        if self.num_classes:
            latent["y"] = labels if labels is not None else torch.randint(self.num_classes, (n,), device=device)
        return latent

    def generate(self, latent: Latent) -> torch.Tensor:
        """Latent -> B x C x H x W images in [-1, 1]."""
        z = latent["z"] if "codes" not in latent else torch.cat([latent["z"], latent["codes"]], dim=1)
        return self.G(z, latent.get("y"), latent.get("class_vec"))

    def fixed_latent(self, n: int) -> Latent:
        """The same inputs at every grid: fixed noise; class k in column k for conditional variants."""
        z = self.fixed_z[:n]
        latent = {"z": z}
        if self.num_classes:
            latent["y"] = torch.arange(z.shape[0], device=z.device) % self.num_classes
        return latent

    def endpoint_latent(self, key: int, z: torch.Tensor) -> Latent:
        """One end of an interpolation: class `key` with shared noise `z` when conditional, else the
        noise drawn from seed `key`."""
        if self.num_classes:
            y = torch.full((z.shape[0],), key, dtype=torch.long, device=z.device)
            return {"z": z, "class_vec": self.G.class_vector(y)}
        return {"z": seeded_normal(z.shape[0], z.shape[1], key, z.device)}

    # ----------------------------------------------------------------------------- D inputs
    def d_input(self, x: torch.Tensor) -> torch.Tensor:
        """What D sees: DiffAugment, then instance noise whose std decays linearly to 0."""
        x = self.augment(x)
        sigma = self.cfg.instance_noise * max(0.0, 1.0 - self.current_step / self.cfg.noise_anneal_steps)
        return x + sigma * torch.randn_like(x) if sigma > 0 else x

    # ----------------------------------------------------------------------------- contract
    def configure_optimizers(self) -> dict[str, torch.optim.Optimizer]:
        cfg = self.cfg

        def make(params, lr):
            if cfg.optimizer == "rmsprop":
                return torch.optim.RMSprop(params, lr=lr)
            return torch.optim.Adam(params, lr=lr, betas=tuple(cfg.betas))

        return {"d": make(self.d_parameters(), cfg.lr_d), "g": make(self.g_parameters(), cfg.lr_g)}

    def critic_slices(self, real: torch.Tensor, labels: torch.Tensor | None):
        """n_critic (images, labels) slices of the batch; reused cyclically if the batch is smaller."""
        n = self.cfg.n_critic
        chunks = list(torch.chunk(torch.arange(real.shape[0], device=real.device), n))
        for i in range(n):
            idx = chunks[i % len(chunks)]
            yield real[idx], (labels[idx] if labels is not None else None)

    def train_step(self, batch: Any, ctx: StepContext) -> dict[str, float]:
        real, labels = unpack_batch(batch)
        self.current_step = ctx.iteration
        d_params = self.d_parameters()
        for p in d_params:
            p.requires_grad_(True)
        for real_slice, label_slice in self.critic_slices(real, labels):
            with ctx.autocast():
                d_loss, d_logs = self.d_loss(real_slice, label_slice)
            ctx.backward(d_loss, "d")
            ctx.step("d")
            self.after_d_step()
        for p in d_params:  # D is fixed while G learns to fool it: no wasted D gradients
            p.requires_grad_(False)
        with ctx.autocast():
            g_loss, g_logs = self.g_loss(real.shape[0], real.device)
        ctx.backward(g_loss, "g")
        ctx.step("g")
        for p in d_params:
            p.requires_grad_(True)
        logs = {k: float(v) for k, v in {**d_logs, **g_logs}.items()}
        self.after_g_step(logs)
        return logs

    @torch.no_grad()
    def sample(self, n: int, labels: torch.Tensor | None = None, batch: int = 256) -> torch.Tensor:
        """n fresh samples as n x C x H x W in [0, 1]; `labels` (n ints) for conditional variants."""
        was_training = self.training
        self.eval()
        out = []
        for start in range(0, n, batch):
            m = min(batch, n - start)
            part = labels[start:start + m].to(self.device) if labels is not None else None
            out.append(self.generate(self.sample_latent(m, self.device, part)))
        self.train(was_training)
        return (torch.cat(out) + 1.0) * 0.5

    @torch.no_grad()
    def interpolate(self, start: int, end: int, steps: int = 8, rows: int = 4) -> torch.Tensor:
        """rows x steps images (row-major, [0, 1]) going from `start` to `end`: between class
        embeddings (conditional) or categorical codes (InfoGAN) with fixed noise per row, else
        between the noise vectors drawn from seeds `start` and `end`."""
        was_training = self.training
        self.eval()
        z = seeded_normal(rows, self.cfg.z_dim, 10_000, self.device)
        a, b = self.endpoint_latent(start, z), self.endpoint_latent(end, z)
        frames = [self.generate({k: torch.lerp(a[k], b[k], float(t)) for k in a})
                  for t in torch.linspace(0, 1, steps)]
        self.train(was_training)
        return (torch.stack(frames, dim=1).flatten(0, 1) + 1.0) * 0.5

    @torch.no_grad()
    def visualize(self, batch: Any) -> torch.Tensor:
        """Grid of samples from the fixed noise (one class per column when conditional)."""
        cols = self.grid_columns
        n = self.cfg.grid_size // cols * cols or self.cfg.grid_size  # whole rows when possible
        images = self.generate(self.fixed_latent(n))
        return make_grid((images + 1.0) * 0.5, ncol=cols)

    @property
    def grid_columns(self) -> int:
        """Images per grid row: one column per class when conditional."""
        return self.num_classes or 8

    def ema_module(self) -> nn.Module:
        return self.G
