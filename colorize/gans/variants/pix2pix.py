"""pix2pix, the colorizer: U-Net G(line-art) -> colour vs a PatchGAN D(line-art, colour).

Generator loss = adv * adversarial + l1 * |G(x) - y| + perceptual * VGG feature distance
                 + style * Gram-matrix distance, each weight in the config (0 turns a term off).
The VGG runs once per step for both the perceptual and the style terms, frozen, in eval mode; it is
not part of checkpoints (it is the same pretrained network every time).
"""

from __future__ import annotations

import dataclasses
from typing import Any, Literal

import torch
import torch.nn.functional as F
from torch import nn

from colorize.gans.losses.adversarial import get_adversarial
from colorize.gans.variant import DataInfo, StepContext, Variant, set_requires_grad
from colorize.gans.visual import columns_grid
from colorize.nets.blocks import init_weights
from colorize.nets.patchgan import PatchDiscriminator
from colorize.nets.unet import UNetGenerator

NormKind = Literal["batch", "instance", "group", "none"]


@dataclasses.dataclass
class GeneratorConfig:
    depth: int = 8                  # stride-2 levels; frames must be multiples of 2**depth
    base_channels: int = 64
    max_channels: int = 512
    norm: NormKind = "batch"
    dropout: float = 0.5            # training noise only: inference runs in eval mode, no dropout
    dropout_layers: int = 3


@dataclasses.dataclass
class DiscriminatorConfig:
    base_channels: int = 64
    n_layers: int = 3               # 3 -> 70x70 receptive field, as in pix2pix
    norm: NormKind = "batch"
    spectral_norm: bool = False


@dataclasses.dataclass
class LossConfig:
    adversarial: str = "vanilla"    # vanilla | lsgan | hinge | wasserstein
    adv: float = 1.0
    l1: float = 100.0
    perceptual: float = 1.0         # 0 turns the VGG perceptual term off
    style: float = 0.0              # Gram-matrix style term; 0 = off
    perceptual_layers: tuple[str, ...] = ("relu1_1", "relu2_1", "relu3_1", "relu4_1")
    style_layers: tuple[str, ...] = ("relu2_1", "relu3_1", "relu4_1")
    vgg_resize: int | None = None   # run the VGG on frames resized to this size (cost grows with pixels)
    vgg_weights: str | None = None  # local VGG19 state dict; else torchvision's cache / download
    label_smoothing: float = 0.0    # one-sided: real targets become 1 - smoothing (vanilla only)

    @property
    def uses_vgg(self) -> bool:
        return self.perceptual > 0 or self.style > 0


@dataclasses.dataclass
class OptimConfig:
    lr_g: float = 2e-4
    lr_d: float = 2e-4              # separate rates allow TTUR
    beta1: float = 0.5
    beta2: float = 0.999


@dataclasses.dataclass
class Pix2PixConfig:
    generator: GeneratorConfig = dataclasses.field(default_factory=GeneratorConfig)
    discriminator: DiscriminatorConfig = dataclasses.field(default_factory=DiscriminatorConfig)
    loss: LossConfig = dataclasses.field(default_factory=LossConfig)
    optim: OptimConfig = dataclasses.field(default_factory=OptimConfig)


def to_signed(x: torch.Tensor) -> torch.Tensor:
    """[0, 1] -> [-1, 1], the networks' range."""
    return x * 2 - 1


def to_unit(x: torch.Tensor) -> torch.Tensor:
    """[-1, 1] -> [0, 1], clamped."""
    return ((x.float() + 1) / 2).clamp(0, 1)


def image_scores(fake: torch.Tensor, real: torch.Tensor, prefix: str = "") -> dict[str, float]:
    """Batch-mean PSNR, SSIM and L1 of B x 3 x H x W [0, 1] images, keys prefixed by `prefix`."""
    from colorize.metrics.image import psnr, ssim

    return {f"{prefix}psnr": psnr(fake, real).mean().item(), f"{prefix}ssim": ssim(fake, real).mean().item(),
            f"{prefix}l1": F.l1_loss(fake, real).item()}


class Pix2Pix(Variant):
    """Batches are dicts with "lineart" (B x 1 x H x W, 1 = paper) and "color" (B x 3 x H x W), in [0, 1].

    `vgg` injects the feature network for the perceptual/style terms (tests pass a randomly
    initialised one); when None and those terms are on, pretrained VGG19 weights are loaded.
    """

    name = "pix2pix"
    Config = Pix2PixConfig
    best_metric = ("psnr", "max")

    def __init__(self, cfg: Pix2PixConfig, data: DataInfo | None = None, vgg: nn.Module | None = None):
        super().__init__()
        self.cfg = cfg
        self.data = data or DataInfo()
        g, d = cfg.generator, cfg.discriminator
        self.G = self.build_generator(g)
        self.D = PatchDiscriminator(1 + 3, d.base_channels, d.n_layers, d.norm, d.spectral_norm)
        init_weights(self.G)
        init_weights(self.D)
        self.adversarial = get_adversarial(cfg.loss.adversarial)
        self.vgg_loss = self._build_vgg_loss(cfg.loss, vgg) if cfg.loss.uses_vgg else None

    def build_generator(self, g: GeneratorConfig) -> nn.Module:
        """The generator network (subclasses swap in another architecture)."""
        return UNetGenerator(1, 3, g.depth, g.base_channels, g.max_channels, g.norm, g.dropout, g.dropout_layers)

    def generate(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """G's output for a batch, in [-1, 1] (B x 3 x H x W). Subclasses add their extra inputs here."""
        return self.G(to_signed(batch["lineart"]))

    @staticmethod
    def _build_vgg_loss(loss: LossConfig, vgg: nn.Module | None) -> nn.Module:
        from colorize.gans.losses.perceptual import VGGLoss, deepest_layer, load_vgg19

        if vgg is None:
            layers = [*(loss.perceptual_layers if loss.perceptual > 0 else ()),
                      *(loss.style_layers if loss.style > 0 else ())]
            vgg = load_vgg19(loss.vgg_weights, until=deepest_layer(layers))
        return VGGLoss(vgg, perceptual_layers=loss.perceptual_layers if loss.perceptual > 0 else (),
                       style_layers=loss.style_layers if loss.style > 0 else (), resize=loss.vgg_resize)

    # The frozen VGG is not part of a checkpoint: it is large and always the same pretrained network.
    def state_dict(self, *args, **kwargs):
        sd = super().state_dict(*args, **kwargs)
        for key in [k for k in sd if k.startswith("vgg_loss.")]:
            del sd[key]
        return sd

    def load_state_dict(self, state_dict, strict: bool = True, assign: bool = False):
        result = super().load_state_dict(state_dict, strict=False, assign=assign)
        missing = [k for k in result.missing_keys if not k.startswith("vgg_loss.")]
        if strict and (missing or result.unexpected_keys):
            raise RuntimeError(f"missing keys {missing[:5]}, unexpected keys {result.unexpected_keys[:5]}")
        return result

    def configure_optimizers(self) -> dict[str, torch.optim.Optimizer]:
        o = self.cfg.optim
        betas = (o.beta1, o.beta2)
        return {"g": torch.optim.Adam(self.G.parameters(), lr=o.lr_g, betas=betas),
                "d": torch.optim.Adam(self.D.parameters(), lr=o.lr_d, betas=betas)}

    def _d_loss(self, real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
        if self.cfg.loss.adversarial == "vanilla" and self.cfg.loss.label_smoothing > 0:
            return self.adversarial.d(real_logits, fake_logits, smooth=self.cfg.loss.label_smoothing)
        return self.adversarial.d(real_logits, fake_logits)

    def train_step(self, batch: dict[str, torch.Tensor], ctx: StepContext) -> dict[str, float]:
        lineart, real = to_signed(batch["lineart"]), to_signed(batch["color"])
        w = self.cfg.loss
        with ctx.autocast():
            fake = self.generate(batch)

        # D: real pairs up, generated pairs down (fake detached: this step must not move G).
        with ctx.autocast():
            d_real = self.D(torch.cat([lineart, real], 1))
            d_fake = self.D(torch.cat([lineart, fake.detach()], 1))
        loss_d = self._d_loss(d_real, d_fake)
        ctx.backward(loss_d, "d")
        ctx.step("d")

        # G: fool the (frozen) D while staying close to the truth.
        set_requires_grad(self.D, False)
        with ctx.autocast():
            g_fake = self.D(torch.cat([lineart, fake], 1))
        terms = {"g_adv": self.adversarial.g(g_fake), "l1": F.l1_loss(fake.float(), real.float())}
        if self.vgg_loss is not None:
            with ctx.autocast():
                vgg_terms = self.vgg_loss(fake, real)
            if w.perceptual > 0:
                terms["perceptual"] = vgg_terms["perceptual"].float()
            if w.style > 0:
                terms["style"] = vgg_terms["style"].float()
        weights = {"g_adv": w.adv, "l1": w.l1, "perceptual": w.perceptual, "style": w.style}
        for name, (weight, value) in self.extra_generator_terms(batch, fake, ctx).items():
            terms[name], weights[name] = value, weight
        loss_g = sum(weights[k] * v for k, v in terms.items())
        ctx.backward(loss_g, "g")
        ctx.step("g")
        set_requires_grad(self.D, True)
        return {"d": loss_d.item(), "g": loss_g.item(), **{k: v.item() for k, v in terms.items()}}

    def extra_generator_terms(self, batch: dict[str, torch.Tensor], fake: torch.Tensor, ctx: StepContext
                              ) -> dict[str, tuple[float, torch.Tensor]]:
        """More generator loss terms, name -> (weight, value); subclasses add theirs (none here)."""
        return {}

    @torch.no_grad()
    def colorize(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """A batch's colorization, B x 3 x H x W in [0, 1] (in whatever mode G is in)."""
        return to_unit(self.generate(batch))

    @torch.no_grad()
    def validate(self, batch: dict[str, torch.Tensor]) -> dict[str, float]:
        return image_scores(self.colorize(batch), batch["color"].float())

    @torch.no_grad()
    def visualize(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """Grid rows of line-art | output | ground truth."""
        return columns_grid([batch["lineart"].float(), self.colorize(batch), batch["color"].float()],
                            labels=["line-art", "output", "truth"])

    def ema_module(self) -> nn.Module:
        return self.G

    def export_generator(self) -> tuple[nn.Module, dict[str, Any]]:
        meta = {"architecture": {"name": "unet", "kwargs": dict(self.G.config)}, "stride": self.G.stride,
                "variant": self.name, **self.data.extra}
        return self.G, meta
