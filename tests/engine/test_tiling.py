"""engine.tiling: tile positions and padding to the stride."""

from __future__ import annotations

import torch

from colorize.engine.tiling import pad_to_multiple, tile_starts, tiled_apply



# ---------------------------------------------------------------------------------------- tiling

def test_tile_starts_cover_the_length_with_full_tiles_and_the_overlap():
    starts = tile_starts(300, tile=128, overlap=32)
    assert starts[0] == 0 and starts[-1] == 300 - 128
    assert all(b - a <= 128 - 32 for a, b in zip(starts, starts[1:]))  # neighbours overlap >= 32
    assert tile_starts(100, tile=128, overlap=32) == [0]


def test_an_overlap_as_large_as_the_tile_is_capped_not_a_tile_per_pixel():
    calls = []

    def identity(x):
        calls.append(x.shape[-2:])
        return x

    x = torch.rand(1, 1, 100, 130)
    out = tiled_apply(identity, x, tile=64, overlap=64, stride=16)  # overlap capped to 32
    assert len(calls) == 3 * 4  # 112 x 144 padded: starts 0, 32, 48 (rows) and 0, 32, 64, 80 (cols)
    assert all(tuple(c) == (64, 64) for c in calls)
    assert torch.allclose(out, x, atol=1e-6)  # weights are normalised: identity stays identity


def test_pad_to_multiple_reflects_and_falls_back_to_replicate_on_tiny_images():
    x = torch.arange(2 * 1 * 5 * 7, dtype=torch.float32).view(2, 1, 5, 7)
    padded, (h, w) = pad_to_multiple(x, 4)
    assert padded.shape[-2:] == (8, 8) and (h, w) == (5, 7)
    assert torch.equal(padded[..., :5, :7], x)
    assert torch.equal(padded[..., 5, :7], x[..., 3, :])  # reflect: row 5 mirrors row 3
    tiny, _ = pad_to_multiple(torch.rand(1, 1, 3, 3), 16)  # pad 13 > side 3: reflect impossible
    assert tiny.shape[-2:] == (16, 16)
