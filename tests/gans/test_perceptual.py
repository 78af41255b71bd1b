"""VGG19 perceptual/style loss with randomly initialised VGGs, and weight loading that never goes online."""

from __future__ import annotations

import urllib.error

import pytest
import torch
from torch import nn

from colorize.errors import ConfigError, InputError, WeightsUnavailable
from colorize.gans.losses import perceptual
from colorize.gans.losses.perceptual import (VGG19_FILENAME, VGG19_LAYERS, VGGLoss, deepest_layer, gram_matrix,
                                             load_vgg19, vgg19_features)


@pytest.fixture
def offline(monkeypatch, tmp_path):
    """No torchvision, an empty torch.hub cache, and a download that fails (and records that it was tried)."""
    attempts = []

    def blocked_download(url, *args, **kwargs):
        attempts.append(url)
        raise urllib.error.URLError("network blocked in tests")

    hub_dir = tmp_path / "hub"
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(hub_dir))
    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", blocked_download)
    monkeypatch.setattr(perceptual, "_torchvision_weights", lambda: None)
    return hub_dir, attempts


def save_random_features(path, until="relu2_1", prefix="features."):
    """A torchvision-style state dict of a random VGG prefix (plus a classifier key to be ignored)."""
    state = {prefix + key: value for key, value in vgg19_features(until).state_dict().items()}
    state["classifier.0.weight"] = torch.zeros(2, 2)
    torch.save(state, path)
    return state


# --- architecture -----------------------------------------------------------------------------------

def test_layer_names_match_torchvision_indices():
    assert len(VGG19_LAYERS) == 16
    expected = {"relu1_1": 1, "relu1_2": 3, "relu2_1": 6, "relu3_1": 11, "relu3_4": 17, "relu4_1": 20,
                "relu4_4": 26, "relu5_1": 29, "relu5_4": 35}
    assert {name: VGG19_LAYERS[name] for name in expected} == expected


def test_features_have_torchvision_layout():
    features = vgg19_features("relu5_4")
    assert len(features) == 36  # torchvision's 37 minus the final pool
    shapes = {key: tuple(v.shape) for key, v in features.state_dict().items()}
    assert shapes["0.weight"] == (64, 3, 3, 3)
    assert shapes["10.weight"] == (256, 128, 3, 3)
    assert shapes["28.weight"] == (512, 512, 3, 3)
    assert isinstance(features[4], nn.MaxPool2d) and isinstance(features[29], nn.ReLU)
    assert len(vgg19_features("relu3_1")) == 12


def test_unknown_layer_is_a_config_error():
    with pytest.raises(ConfigError, match="relu1_1"):
        vgg19_features("conv4_1")


def test_deepest_layer():
    assert deepest_layer(["relu3_1", "relu1_2", "relu4_1", "relu2_1"]) == "relu4_1"
    assert deepest_layer(["relu5_1"]) == "relu5_1"
    with pytest.raises(ConfigError):
        deepest_layer([])


# --- loading ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("prefix", ["features.", ""])
def test_load_local_state_dict_both_key_styles(tmp_path, offline, prefix):
    path = tmp_path / "vgg.pth"
    state = save_random_features(path, "relu3_1", prefix)
    net = load_vgg19(str(path), until="relu2_1")
    assert len(net) == 7
    assert torch.equal(net[5].weight, state[prefix + "5.weight"])
    assert not net.training and not any(p.requires_grad for p in net.parameters())
    assert offline[1] == []  # an explicit file is the only source tried


def test_load_safetensors(tmp_path):
    from safetensors.torch import save_file

    state = vgg19_features("relu1_2").state_dict()
    save_file(state, str(tmp_path / "vgg.safetensors"))
    net = load_vgg19(tmp_path / "vgg.safetensors", until="relu1_2")
    assert torch.equal(net[2].weight, state["2.weight"])


def test_wrong_files_are_input_errors_naming_the_file(tmp_path):
    text = tmp_path / "notes.pth"
    text.write_text("not weights")
    with pytest.raises(InputError, match="notes.pth"):
        load_vgg19(text)
    tensor = tmp_path / "tensor.pth"
    torch.save(torch.zeros(3), tensor)
    with pytest.raises(InputError, match="tensor.pth is not a VGG19 state dict"):
        load_vgg19(tensor)
    short = tmp_path / "short.pth"
    save_random_features(short, "relu1_1")
    with pytest.raises(InputError, match="short.pth.*no tensor for layer '2.weight'"):
        load_vgg19(short, until="relu1_2")
    wrong = tmp_path / "wrong.pth"
    torch.save({"features.0.weight": torch.zeros(64, 1, 3, 3), "features.0.bias": torch.zeros(64)}, wrong)
    with pytest.raises(InputError, match=r"wrong.pth does not fit VGG19: '0.weight' has shape \(64, 1, 3, 3\)"):
        load_vgg19(wrong, until="relu1_1")
    with pytest.raises(InputError, match="not found"):
        load_vgg19(tmp_path / "missing.pth")


def test_no_weights_anywhere_is_weights_unavailable(offline):
    hub_dir, attempts = offline
    with pytest.raises(WeightsUnavailable) as info:
        load_vgg19(until="relu1_1")
    message = str(info.value)
    assert "\n" not in message
    assert "--vgg-weights PATH" in message and "run once online" in message and "--no-vgg" in message
    assert str(hub_dir / "checkpoints") in message
    assert attempts == [perceptual.VGG19_URL]  # tried torch.hub's download once, which the test blocked


def test_hub_cache_is_used_before_any_download(offline):
    hub_dir, attempts = offline
    (hub_dir / "checkpoints").mkdir(parents=True)
    state = save_random_features(hub_dir / "checkpoints" / VGG19_FILENAME, "relu1_1")
    net = load_vgg19(until="relu1_1")
    assert torch.equal(net[0].weight, state["features.0.weight"])
    assert attempts == []


class FakeTorchvisionWeights:
    """Stands in for VGG19_Weights.IMAGENET1K_V1 where torchvision cannot import."""

    def __init__(self, state=None):
        self.state, self.calls = state, 0

    def get_state_dict(self, progress=True, check_hash=False):
        self.calls += 1
        if self.state is None:
            raise urllib.error.URLError("offline")
        return self.state


def test_torchvision_api_is_tried_first(offline, monkeypatch):
    state = {"features." + k: v for k, v in vgg19_features("relu1_1").state_dict().items()}
    weights = FakeTorchvisionWeights(state)
    monkeypatch.setattr(perceptual, "_torchvision_weights", lambda: weights)
    net = load_vgg19(until="relu1_1")
    assert weights.calls == 1 and torch.equal(net[0].weight, state["features.0.weight"])


def test_offline_torchvision_falls_back_to_cache_without_a_second_download(offline, monkeypatch):
    hub_dir, attempts = offline
    weights = FakeTorchvisionWeights(None)
    monkeypatch.setattr(perceptual, "_torchvision_weights", lambda: weights)
    with pytest.raises(WeightsUnavailable):
        load_vgg19(until="relu1_1")
    assert weights.calls == 1 and attempts == []  # torchvision already tried the network
    (hub_dir / "checkpoints").mkdir(parents=True)
    save_random_features(hub_dir / "checkpoints" / VGG19_FILENAME, "relu1_1")
    assert len(load_vgg19(until="relu1_1")) == 2


# --- VGGLoss ----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def random_vgg():
    torch.manual_seed(0)
    return vgg19_features("relu4_1")


def images(batch=2, size=32):
    return torch.rand(batch, 3, size, size) * 2 - 1


def test_identical_inputs_give_zero_loss(random_vgg):
    x = images()
    terms = VGGLoss(random_vgg)(x, x.clone())
    assert terms["perceptual"].item() < 1e-6 and terms["style"].item() < 1e-9


def test_different_inputs_give_positive_losses_and_gradients_reach_fake_only(random_vgg):
    loss = VGGLoss(random_vgg)
    fake = images().requires_grad_(True)
    real = images().requires_grad_(True)
    terms = loss(fake, real)
    assert terms["perceptual"].item() > 0 and terms["style"].item() > 0
    assert terms["perceptual"].dtype == terms["style"].dtype == torch.float32
    (terms["perceptual"] + terms["style"]).backward()
    assert fake.grad is not None and fake.grad.abs().sum() > 0
    assert real.grad is None  # target features are detached
    assert all(p.grad is None and not p.requires_grad for p in loss.parameters())


def test_only_the_needed_prefix_runs(random_vgg):
    loss = VGGLoss(random_vgg, perceptual_layers=("relu1_1", "relu2_1"), style_layers=())
    assert len(loss.features) == VGG19_LAYERS["relu2_1"] + 1
    terms = loss(images(), images())
    assert terms["style"].item() == 0.0 and terms["perceptual"].item() > 0
    with pytest.raises(ConfigError, match="until='relu5_1'"):
        VGGLoss(random_vgg, perceptual_layers=("relu5_1",))


def test_layer_weights_scale_the_perceptual_term(random_vgg):
    fake, real = images(), images()
    one = VGGLoss(random_vgg, perceptual_layers=("relu2_1",), perceptual_weights=(1.0,), style_layers=())
    three = VGGLoss(random_vgg, perceptual_layers=("relu2_1",), perceptual_weights=(3.0,), style_layers=())
    assert three(fake, real)["perceptual"].item() == pytest.approx(3 * one(fake, real)["perceptual"].item(), rel=1e-5)
    with pytest.raises(ConfigError, match="2 perceptual weights given for 1"):
        VGGLoss(random_vgg, perceptual_layers=("relu2_1",), perceptual_weights=(1.0, 2.0))


def test_resize_downscales_before_vgg(random_vgg):
    loss = VGGLoss(random_vgg, resize=32)
    seen = []
    handle = loss.features[0].register_forward_pre_hook(lambda module, args: seen.append(args[0].shape))
    try:
        loss(images(size=64)[:, :, :, :48], images(size=64)[:, :, :, :48])
        loss(images(size=16), images(size=16))  # never upscales
    finally:
        handle.remove()
    assert seen == [(4, 3, 43, 32), (4, 3, 16, 16)]  # fake and real in one batch, aspect kept


def test_float32_under_cpu_bf16_autocast(random_vgg):
    loss = VGGLoss(random_vgg)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        terms = loss(images(), images())
    assert all(t.dtype == torch.float32 and torch.isfinite(t) for t in terms.values())


def test_vgg_stays_in_eval_mode(random_vgg):
    holder = nn.ModuleDict({"vgg": VGGLoss(random_vgg)})
    holder.train()
    assert holder.training and not holder["vgg"].features.training


def test_bad_image_shapes():
    loss = VGGLoss(vgg19_features("relu4_1"))
    with pytest.raises(ValueError, match="B x 3 x H x W"):
        loss(torch.zeros(1, 1, 32, 32), torch.zeros(1, 1, 32, 32))


def test_gram_matrix_value_and_precision():
    features = torch.ones(1, 2, 2, 2)
    assert torch.allclose(gram_matrix(features), torch.full((1, 2, 2), 0.5))  # 4 / (2 * 2 * 2)
    big = torch.full((1, 4, 64, 64), 300.0, dtype=torch.float16)  # 300^2 * 4096 overflows fp16
    gram = gram_matrix(big)
    assert gram.dtype == torch.float32 and torch.isfinite(gram).all()
    assert gram[0, 0, 0].item() == pytest.approx(300.0 ** 2 / 4)
