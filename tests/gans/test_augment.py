"""DiffAugment: kornia augmentation of D's inputs keeps shape and range, changes images, passes gradients."""

from __future__ import annotations

import pytest
import torch

from colorize.errors import ConfigError
from colorize.gans.augment import DiffAugment, parse_policy


def test_empty_policy_is_identity():
    x = torch.rand(2, 3, 16, 16) * 2 - 1
    assert DiffAugment("", 3)(x) is x


def test_policy_parsing():
    assert parse_policy(" color, cutout ") == ["color", "cutout"]
    with pytest.raises(ConfigError, match="rotate"):
        parse_policy("color,rotate")


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("policy", ["color", "translation", "cutout", "color,translation,cutout"])
def test_each_op_changes_images_within_range(policy, channels):
    torch.manual_seed(0)
    x = torch.rand(4, channels, 16, 16) * 2 - 1
    y = DiffAugment(policy, channels)(x)
    assert y.shape == x.shape and y.dtype == x.dtype
    assert y.min() >= -1 - 1e-5 and y.max() <= 1 + 1e-5
    assert not torch.allclose(x, y)


def test_gradients_flow_to_the_generator_side():
    x = (torch.rand(4, 1, 16, 16) * 2 - 1).requires_grad_(True)
    DiffAugment("color,translation,cutout", 1)(x).square().sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0


def test_augmentation_is_repeatable_under_a_seed():
    aug = DiffAugment("translation,cutout", 1)
    x = torch.rand(3, 1, 16, 16)
    torch.manual_seed(5)
    a = aug(x)
    torch.manual_seed(5)
    assert torch.equal(a, aug(x))
