"""Image metrics against closed-form answers and Sharma et al.'s published CIEDE2000 test data."""

from __future__ import annotations

import math

import pytest
import torch

from colorize.errors import WeightsUnavailable
from colorize.metrics.image import (LPIPSMetric, delta_e2000, delta_e2000_lab, delta_e2000_map, psnr, ssim,
                                    torchvision_problem)

# Sharma, Wu & Dalal (2005), "The CIEDE2000 color-difference formula: implementation notes,
# supplementary test data, and mathematical observations", Table 1: (Lab1, Lab2, ΔE00).
SHARMA_PAIRS = [
    ((50.0000, 2.6772, -79.7751), (50.0000, 0.0000, -82.7485), 2.0425),
    ((50.0000, 3.1571, -77.2803), (50.0000, 0.0000, -82.7485), 2.8615),
    ((50.0000, 2.8361, -74.0200), (50.0000, 0.0000, -82.7485), 3.4412),
    ((50.0000, -1.3802, -84.2814), (50.0000, 0.0000, -82.7485), 1.0000),
    ((50.0000, -1.1848, -84.8006), (50.0000, 0.0000, -82.7485), 1.0000),
    ((50.0000, -0.9009, -85.5211), (50.0000, 0.0000, -82.7485), 1.0000),
    ((50.0000, 0.0000, 0.0000), (50.0000, -1.0000, 2.0000), 2.3669),
    ((50.0000, -1.0000, 2.0000), (50.0000, 0.0000, 0.0000), 2.3669),
    ((50.0000, 2.4900, -0.0010), (50.0000, -2.4900, 0.0009), 7.1792),
    ((50.0000, 2.4900, -0.0010), (50.0000, -2.4900, 0.0010), 7.1792),
    ((50.0000, 2.4900, -0.0010), (50.0000, -2.4900, 0.0011), 7.2195),
    ((50.0000, 2.4900, -0.0010), (50.0000, -2.4900, 0.0012), 7.2195),
    ((50.0000, -0.0010, 2.4900), (50.0000, 0.0009, -2.4900), 4.8045),
    ((50.0000, -0.0010, 2.4900), (50.0000, 0.0010, -2.4900), 4.8045),
    ((50.0000, -0.0010, 2.4900), (50.0000, 0.0011, -2.4900), 4.7461),
    ((50.0000, 2.5000, 0.0000), (50.0000, 0.0000, -2.5000), 4.3065),
    ((50.0000, 2.5000, 0.0000), (73.0000, 25.0000, -18.0000), 27.1492),
    ((50.0000, 2.5000, 0.0000), (61.0000, -5.0000, 29.0000), 22.8977),
    ((50.0000, 2.5000, 0.0000), (56.0000, -27.0000, -3.0000), 31.9030),
    ((50.0000, 2.5000, 0.0000), (58.0000, 24.0000, 15.0000), 19.4535),
    ((50.0000, 2.5000, 0.0000), (50.0000, 3.1736, 0.5854), 1.0000),
    ((50.0000, 2.5000, 0.0000), (50.0000, 3.2972, 0.0000), 1.0000),
    ((50.0000, 2.5000, 0.0000), (50.0000, 1.8634, 0.5757), 1.0000),
    ((50.0000, 2.5000, 0.0000), (50.0000, 3.2592, 0.3350), 1.0000),
    ((60.2574, -34.0099, 36.2677), (60.4626, -34.1751, 39.4387), 1.2644),
    ((63.0109, -31.0961, -5.8663), (62.8187, -29.7946, -4.0864), 1.2630),
    ((61.2901, 3.7196, -5.3901), (61.4292, 2.2480, -4.9620), 1.8731),
    ((35.0831, -44.1164, 3.7933), (35.0232, -40.0716, 1.5901), 1.8645),
    ((22.7233, 20.0904, -46.6940), (23.0331, 14.9730, -42.5619), 2.0373),
    ((36.4612, 47.8580, 18.3852), (36.2715, 50.5065, 21.2231), 1.4146),
    ((90.8027, -2.0831, 1.4410), (91.1528, -1.6435, 0.0447), 1.4441),
    ((90.9257, -0.5406, -0.9208), (88.6381, -0.8985, -0.7239), 1.5381),
    ((6.7747, -0.2908, -2.4247), (5.8714, -0.0985, -2.2286), 0.6377),
    ((2.0776, 0.0795, -1.1350), (0.9033, -0.0636, -0.5514), 0.9082),
]


def _lab_image(values: list[tuple[float, float, float]], dtype=torch.float64) -> torch.Tensor:
    """A 1 x 3 x 1 x N Lab 'image' holding one colour per pixel."""
    return torch.tensor(values, dtype=dtype).T.reshape(1, 3, 1, len(values))


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_delta_e2000_matches_sharma_table(dtype):
    lab1 = _lab_image([p[0] for p in SHARMA_PAIRS], dtype)
    lab2 = _lab_image([p[1] for p in SHARMA_PAIRS], dtype)
    expected = torch.tensor([p[2] for p in SHARMA_PAIRS], dtype=torch.float64)
    got = delta_e2000_lab(lab1, lab2).reshape(-1).double()
    # The table is rounded to 4 decimals; float32 keeps ~7 significant digits.
    assert torch.allclose(got, expected, atol=1e-4 if dtype == torch.float64 else 2e-4, rtol=0), \
        (got - expected).abs().max()


def test_delta_e2000_is_symmetric_and_zero_on_identity():
    lab1 = _lab_image([p[0] for p in SHARMA_PAIRS])
    lab2 = _lab_image([p[1] for p in SHARMA_PAIRS])
    assert torch.allclose(delta_e2000_lab(lab1, lab2), delta_e2000_lab(lab2, lab1), atol=1e-9)
    assert delta_e2000_lab(lab1, lab1).abs().max() == 0


def test_delta_e2000_on_rgb_images_per_image_mean():
    gt = torch.rand(3, 3, 16, 16)
    pred = gt.clone()
    pred[1] = (pred[1] + 0.2).clamp(0, 1)  # only image 1 differs
    pred[2, :, :8] = 1 - pred[2, :, :8]    # image 2 differs on half its pixels, strongly
    de = delta_e2000(pred, gt)
    assert de.shape == (3,)
    assert de[0] == 0
    assert 1 < de[1] < 30 and de[2] > de[1]


def test_delta_e2000_map_is_per_pixel_and_its_mean_is_the_per_image_figure():
    """The map (B x H x W) is 0 where the images agree, so the mean over a part (a figure without its
    ground) is that part's difference alone."""
    gt = torch.rand(2, 3, 16, 16)
    pred = gt.clone()
    pred[:, :, :8] = 1 - pred[:, :, :8]    # the top half differs
    de_map = delta_e2000_map(pred, gt)
    assert de_map.shape == (2, 16, 16)
    assert de_map[:, 8:].abs().max() == 0 and (de_map[:, :8] > 0).float().mean() > 0.9
    assert torch.allclose(de_map.flatten(1).mean(dim=1), delta_e2000(pred, gt))


def test_psnr_identical_is_infinite_and_known_noise_matches_formula():
    gt = torch.full((2, 3, 32, 32), 0.5)
    assert torch.isinf(psnr(gt, gt)).all()
    # A uniform offset of 0.1 has MSE 0.01: exactly 20 dB.
    assert torch.allclose(psnr(gt + 0.1, gt), torch.tensor([20.0, 20.0]), atol=1e-4)
    # Gaussian noise of sigma 0.05 (no clipping near 0.5): about 10 log10(1 / 0.0025) = 26.02 dB.
    noisy = gt + 0.05 * torch.randn_like(gt)
    assert torch.allclose(psnr(noisy, gt), torch.full((2,), 26.02), atol=0.2)


def test_psnr_is_per_image_not_per_batch():
    gt = torch.zeros(2, 3, 8, 8)
    pred = gt.clone()
    pred[1] += 0.1
    values = psnr(pred, gt)
    assert torch.isinf(values[0]) and abs(values[1].item() - 20.0) < 1e-4


def test_ssim_identical_is_one_and_drops_with_noise():
    gt = torch.rand(2, 3, 32, 32)
    assert torch.allclose(ssim(gt, gt), torch.ones(2), atol=1e-5)
    mild = ssim((gt + 0.02 * torch.randn_like(gt)).clamp(0, 1), gt)
    strong = ssim((gt + 0.3 * torch.randn_like(gt)).clamp(0, 1), gt)
    assert (strong < mild).all() and (mild < 1).all()


def test_ssim_accepts_images_smaller_than_the_window():
    img = torch.rand(1, 3, 6, 9)
    assert torch.allclose(ssim(img, img), torch.ones(1), atol=1e-5)


def test_metrics_reject_mismatched_shapes():
    with pytest.raises(ValueError):
        psnr(torch.rand(1, 3, 8, 8), torch.rand(1, 3, 8, 9))


def test_lpips_with_injected_net_gets_minus_one_to_one_inputs():
    seen = []

    def l1_distance(x, y):
        seen.append((x.min().item(), x.max().item()))
        return (x - y).abs().mean(dim=(1, 2, 3), keepdim=True)  # B x 1 x 1 x 1, like lpips

    metric = LPIPSMetric(net=l1_distance)
    gt = torch.zeros(2, 3, 8, 8)
    pred = torch.ones(2, 3, 8, 8)
    pred[0] = 0
    dist = metric(pred, gt)
    assert dist.shape == (2,)
    assert dist[0] == 0 and math.isclose(dist[1].item(), 2.0)  # 1 - (-1) in network units
    assert seen[0] == (-1.0, 1.0)


def test_lpips_without_weights_raises_one_line_weights_unavailable():
    # lpips imports torchvision, which cannot load on this CPU-only torch; offline machines without
    # cached weights fail too. Either way the error is one line saying so.
    try:
        metric = LPIPSMetric()
    except WeightsUnavailable as exc:
        message = str(exc)
        assert message.startswith("LPIPS unavailable")
        assert "\n" not in message
        # the real cause is named: a broken torchvision needs another build, not weights
        assert ("torchvision build made for this torch" in message) == (torchvision_problem() is not None)
    else:  # a machine with lpips and cached weights: the real network must work
        d = metric(torch.rand(1, 3, 64, 64), torch.rand(1, 3, 64, 64))
        assert d.shape == (1,) and d.item() > 0


def test_lpips_missing_local_backbone_file_is_weights_unavailable(tmp_path):
    with pytest.raises(WeightsUnavailable, match="unavailable offline: backbone weights file not found"):
        LPIPSMetric(backbone_weights=tmp_path / "missing.pth")


def test_local_backbone_state_dict_is_mapped_onto_lpips_slices(tmp_path):
    from collections import OrderedDict

    from colorize.metrics.image import _load_backbone

    # lpips keeps torchvision's layer indices as names inside slice1..sliceN.
    slices = torch.nn.Module()
    nn = torch.nn
    slices.slice1 = nn.Sequential(OrderedDict([("0", nn.Conv2d(3, 4, 3)), ("1", nn.ReLU())]))
    slices.slice2 = nn.Sequential(OrderedDict([("2", nn.MaxPool2d(2)), ("3", nn.Conv2d(4, 5, 3))]))
    source = {"features.0.weight": torch.randn(4, 3, 3, 3), "features.0.bias": torch.randn(4),
              "features.3.weight": torch.randn(5, 4, 3, 3), "features.3.bias": torch.randn(5),
              "classifier.1.weight": torch.randn(2, 2)}  # the classifier head is not part of LPIPS
    torch.save(source, tmp_path / "alexnet.pth")
    _load_backbone(slices, tmp_path / "alexnet.pth")
    assert torch.equal(slices.slice1[0].weight, source["features.0.weight"])
    assert torch.equal(slices.slice2[1].bias, source["features.3.bias"])

    torch.save({"features.0.weight": torch.randn(4, 3, 3, 3)}, tmp_path / "partial.pth")
    with pytest.raises(WeightsUnavailable, match="not a torchvision backbone state dict"):
        _load_backbone(slices, tmp_path / "partial.pth")


def test_lpips_names_a_mismatched_torchvision_not_missing_weights(monkeypatch):
    # issue 13 case 12: lpips imports torchvision; when that fails because torch and torchvision are
    # builds for different platforms, the message names that cause and the fix.
    import builtins
    import sys

    import colorize.metrics.image as image_module

    real_import = builtins.__import__

    def broken(name, *args, **kwargs):
        if name.split(".")[0] in ("torchvision", "lpips"):
            if name.split(".")[0] == "lpips":
                broken("torchvision")  # lpips imports torchvision first thing
            raise RuntimeError("operator torchvision::nms does not exist")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(image_module, "_IMPORT_FAILURE", [])
    for name in ("torchvision", "lpips"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    monkeypatch.setattr(builtins, "__import__", broken)
    with pytest.raises(WeightsUnavailable) as info:
        LPIPSMetric()
    message = str(info.value)
    assert message.startswith("LPIPS unavailable: torchvision ") and "torchvision::nms" in message
    assert "install the torchvision build made for this torch" in message
    assert "offline" not in message and "\n" not in message
