"""Built-in digits (scikit-learn, offline) and image folders as GAN datasets."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from colorize.data.digits import DigitsDataset, UnpairedDigits, digit_tensors, stylize_digits
from colorize.data.folders import ImageFolderDataset, UnpairedFolders, unpaired_roots
from colorize.errors import ConfigError, InputError
from colorize.images import write_image


def test_digits_are_labelled_images_in_range():
    train, test = DigitsDataset(16, "train"), DigitsDataset(16, "test")
    assert len(train) + len(test) == len(DigitsDataset(16, "all")) == 1797
    image, label = train[0]
    assert image.shape == (1, 16, 16) and image.dtype == torch.float32
    assert image.min() >= -1 and image.max() <= 1 and image.max() > 0.5  # ink present
    assert isinstance(label, int) and set(train.labels.tolist()) == set(range(10))


def test_digits_upsampling_keeps_the_8x8_content():
    small, big = digit_tensors(8)[0], digit_tensors(32)[0]
    down = torch.nn.functional.avg_pool2d(big, 4)
    assert torch.corrcoef(torch.stack([small.flatten(), down.flatten()]))[0, 1] > 0.95


def test_digits_reject_tiny_sizes_and_unknown_splits():
    with pytest.raises(ConfigError):
        digit_tensors(4)
    with pytest.raises(ConfigError, match="split"):
        DigitsDataset(16, "validation")


def test_bold_digits_have_more_ink_and_inverted_swap_paper():
    x = DigitsDataset(16).images[:20]
    bold = stylize_digits(x, "bold")
    assert (bold > 0).float().mean() > (x > 0).float().mean() * 1.2
    assert torch.equal(stylize_digits(x, "inverted"), -x)


def test_unpaired_digits_are_not_aligned():
    pair = UnpairedDigits(16, "train", "inverted")
    a, b = pair[3]
    assert a.shape == b.shape == (1, 16, 16)
    # B is an inverted *other* digit: un-inverting it does not give back A
    matches = sum(torch.equal(pair.a[i], -pair.b[i]) for i in range(50))
    assert matches < 5


def _write(path, value, size=20):
    write_image(path, np.full((size, size + 6, 3), value, dtype=np.uint8))


def test_image_folder_classes_from_subfolders(tmp_path):
    for cls, value in (("cat", 0), ("dog", 255)):
        for i in range(2):
            _write(tmp_path / cls / f"{i}.png", value)
    ds = ImageFolderDataset(tmp_path, size=8, channels=3)
    assert ds.class_names == ["cat", "dog"] and ds.num_classes == 2 and len(ds) == 4
    image, label = ds[3]
    assert image.shape == (3, 8, 8) and label == 1 and torch.allclose(image, torch.ones_like(image))
    assert ds[0][0].min() == -1
    gray, _ = ImageFolderDataset(tmp_path, size=8, channels=1)[0]
    assert gray.shape == (1, 8, 8)


def test_image_folder_without_subfolders_is_unlabelled(tmp_path):
    _write(tmp_path / "a.png", 10)
    ds = ImageFolderDataset(tmp_path, size=8)
    assert ds.num_classes == 0 and ds[0][1] == 0


def test_image_folder_errors_name_the_problem(tmp_path):
    with pytest.raises(InputError, match="no images"):
        ImageFolderDataset(tmp_path)
    _write(tmp_path / "cls" / "a.png", 1)
    _write(tmp_path / "loose.png", 1)
    with pytest.raises(InputError, match="loose.png"):
        ImageFolderDataset(tmp_path)
    with pytest.raises(ConfigError):
        ImageFolderDataset(tmp_path / "cls", channels=2)


def test_unpaired_folders_and_their_layouts(tmp_path):
    for i in range(3):
        _write(tmp_path / "A" / f"{i}.png", 0)
    _write(tmp_path / "B" / "0.png", 255)
    a_root, b_root = unpaired_roots(tmp_path, None)
    pair = UnpairedFolders(a_root, b_root, size=8)
    assert len(pair) == 3
    a, b = pair[2]
    assert a.max() == -1 and b.min() == 1
    assert unpaired_roots(tmp_path / "A", tmp_path / "B") == (tmp_path / "A", tmp_path / "B")
    with pytest.raises(InputError, match="--data-b"):
        unpaired_roots(tmp_path / "A", None)
