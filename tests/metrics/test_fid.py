"""Fréchet distance maths, Inception FID plumbing (random network injected) and the offline classifier metrics."""

from __future__ import annotations

import sys

import numpy as np
import pytest
import torch
from scipy import linalg

from colorize.errors import WeightsUnavailable
from colorize.metrics import classifier as clf
from colorize.metrics.fid import feature_stats, fid, fid_from_features, frechet_distance, inception_extractor


def test_identical_statistics_give_zero():
    rng = np.random.default_rng(0)
    feats = rng.normal(size=(200, 5))
    assert fid_from_features(feats, feats) == pytest.approx(0.0, abs=1e-8)


def test_one_dimensional_closed_form():
    # W2^2 between N(m1, s1^2) and N(m2, s2^2) is (m1 - m2)^2 + (s1 - s2)^2
    d = frechet_distance(np.array([1.0]), np.array([[4.0]]), np.array([-2.0]), np.array([[9.0]]))
    assert d == pytest.approx(9.0 + 1.0)


def test_matches_the_scipy_sqrtm_formula_on_random_covariances():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(6, 6)), rng.normal(size=(6, 6))
    s1, s2 = a @ a.T + 0.1 * np.eye(6), b @ b.T + 0.1 * np.eye(6)
    m1, m2 = rng.normal(size=6), rng.normal(size=6)
    covmean = linalg.sqrtm(s1 @ s2).real
    expected = np.sum((m1 - m2) ** 2) + np.trace(s1 + s2 - 2 * covmean)
    assert frechet_distance(m1, s1, m2, s2) == pytest.approx(expected, rel=1e-6)
    assert frechet_distance(m2, s2, m1, s1) == pytest.approx(expected, rel=1e-6)


def test_distance_grows_with_the_shift():
    rng = np.random.default_rng(2)
    base = rng.normal(size=(500, 4))
    near, far = fid_from_features(base, base + 0.1), fid_from_features(base, base + 1.0)
    assert near == pytest.approx(4 * 0.01, rel=1e-6) and far == pytest.approx(4.0, rel=1e-6)


def test_feature_stats_needs_two_samples():
    with pytest.raises(ValueError):
        feature_stats(np.zeros((1, 3)))


def test_missing_torchvision_is_named_as_the_cause(monkeypatch):
    monkeypatch.setitem(sys.modules, "torchvision", None)  # not installed at all
    with pytest.raises(WeightsUnavailable, match="FID unavailable: torchvision is not installed"):
        inception_extractor()


def test_mismatched_torchvision_is_named_with_the_fix(monkeypatch):
    # issue 13 case 12: a CUDA torchvision beside a CPU-only torch fails on import; the message must
    # say that (and how to fix it), not "put the weights in the cache".
    import builtins

    real_import = builtins.__import__

    def broken_torchvision(name, *args, **kwargs):
        if name == "torchvision" or name.startswith("torchvision."):
            raise RuntimeError("operator torchvision::nms does not exist")
        return real_import(name, *args, **kwargs)

    monkeypatch.delitem(sys.modules, "torchvision", raising=False)
    monkeypatch.setattr(builtins, "__import__", broken_torchvision)
    with pytest.raises(WeightsUnavailable) as info:
        inception_extractor()
    message = str(info.value)
    assert message.startswith("FID unavailable: torchvision ") and "torchvision::nms" in message
    assert "torchvision build made for this torch" in message and "cache" not in message
    assert "\n" not in message


class _TinyInception(torch.nn.Module):
    """Stands in for Inception-v3 (random weights): pooled conv features, then an fc that FID drops."""

    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 8, 5, stride=8)
        self.fc = torch.nn.Linear(8, 1000)

    def forward(self, x):
        return self.fc(self.conv(x).mean(dim=(2, 3)))


def test_fid_pipeline_with_an_injected_network():
    torch.manual_seed(0)
    extract = inception_extractor(network=_TinyInception())
    gray = torch.rand(4, 1, 20, 20)
    assert extract(gray).shape == (4, 8)  # grey expanded to RGB, resized, fc removed
    a = torch.rand(40, 3, 16, 16)
    assert fid(a, a, extract) == pytest.approx(0.0, abs=1e-6)
    assert fid(a, a * 0.2, extract) > fid(a, a * 0.9, extract)


@pytest.fixture(scope="module")
def digits_classifier():
    from colorize.data.digits import DigitsDataset

    before = torch.get_num_threads()
    torch.set_num_threads(1)  # a shared 2-core machine: one thread avoids contention
    train = DigitsDataset(16, "train")
    yield clf.train_classifier(train.images, train.labels, 10, steps=150)
    torch.set_num_threads(before)


def test_classifier_learns_digits_and_scores_samples(digits_classifier):
    from colorize.data.digits import DigitsDataset

    test = DigitsDataset(16, "test")
    assert clf.class_accuracy(digits_classifier, test.images, test.labels) > 0.7
    shuffled = test.labels[torch.randperm(len(test.labels))]
    assert clf.class_accuracy(digits_classifier, test.images, shuffled) < 0.3
    noise = torch.rand_like(test.images) * 2 - 1
    train = DigitsDataset(16, "train").images
    assert clf.classifier_fd(digits_classifier, train, test.images) < clf.classifier_fd(digits_classifier, train, noise)


def test_best_match_accuracy_undoes_a_permutation(digits_classifier):
    from colorize.data.digits import DigitsDataset

    test = DigitsDataset(16, "test")
    permuted_codes = (test.labels + 3) % 10
    acc = clf.best_match_accuracy(digits_classifier, test.images, permuted_codes, 10)
    assert acc == pytest.approx(clf.class_accuracy(digits_classifier, test.images, test.labels))


def test_classifier_cache_round_trip(tmp_path):
    images = torch.rand(20, 1, 8, 8) * 2 - 1
    labels = torch.arange(20) % 2
    path = tmp_path / "c.safetensors"
    first = clf.load_or_train_classifier(images, labels, 2, path, steps=2)
    assert path.is_file()
    again = clf.load_or_train_classifier(images, labels, 2, path, steps=2)
    assert all(torch.equal(a, b) for a, b in zip(first.state_dict().values(), again.state_dict().values()))
    path.write_bytes(b"junk")  # a corrupt cache is retrained, not an error
    clf.load_or_train_classifier(images, labels, 2, path, steps=2)
    assert path.stat().st_size > 100
