"""The colour path reproduces, pixel for pixel, what `colorize video` / `colorize frames` wrote before
the colour-stream refactor (golden.npz, made by make_golden.py at commit 99fba7c; its temporal cases
remade when the chains began sampling their start once and when the frame's rim began to be
sampled from its edge, make_golden's docstring)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.golden import make_golden


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    work = tmp_path_factory.mktemp("golden")
    return work, make_golden._inputs(work), make_golden._models(work)


@pytest.fixture(scope="module")
def golden():
    with np.load(make_golden.GOLDEN) as data:
        return {name: data[name] for name in data.files}


@pytest.mark.parametrize("name", list(make_golden.TOON_CASES))
def test_toon_outputs_are_bit_identical(runs, golden, name):
    got = make_golden.run_case(*runs[:1], name, *runs[1:])
    want = golden[name]
    assert got.shape == want.shape
    diff = np.abs(got.astype(np.int16) - want).max()
    assert np.array_equal(got, want), f"{name}: max difference {diff}"


@pytest.mark.slow
@pytest.mark.parametrize("name", list(make_golden.REAL_CASES))
def test_real_sample_outputs_are_bit_identical(runs, golden, name):
    got = make_golden.digests(make_golden.run_case(*runs[:1], name, *runs[1:]))
    assert np.array_equal(got, golden[name]), f"{name}: frames differ: {np.flatnonzero(got != golden[name])}"
