"""Deterministic, resumable sampling for the Trainer: which sample each process sees at each step.

ResumableSampler yields (index, sample seed) keys; SeededDataset turns a key into a sample whose
augmentation depends only on the key, so a resumed or multi-worker run sees exactly the same data.
"""

from __future__ import annotations

import itertools
import random
from typing import Iterator

import numpy as np
import torch
from torch.utils.data import Dataset, Sampler

from colorize.errors import ColorizeError


class ResumableSampler(Sampler):
    """An endless, deterministic stream of (index, sample_seed) keys, sharded across ranks.

    Epoch e is a permutation seeded by (seed, e); rank r takes every world-th key. Starting at
    `start` (samples already consumed by this rank) reproduces exactly the keys an uninterrupted run
    would see next. The per-sample seed lets datasets draw augmentations as a function of the key,
    so results do not depend on which worker process loaded the sample.
    """

    def __init__(self, n: int, seed: int, rank: int = 0, world: int = 1, start: int = 0):
        if n < 1:
            raise ColorizeError("the training set is empty")
        self.n, self.seed, self.rank, self.world, self.start = n, seed, rank, world, start
        self.per_rank = max(1, n // world)

    def __iter__(self) -> Iterator[tuple[int, int]]:
        epoch, offset = divmod(self.start, self.per_rank)
        for e in itertools.count(epoch):
            g = torch.Generator().manual_seed(self.seed * 100003 + e)
            perm = torch.randperm(self.n, generator=g)[self.rank::self.world][: self.per_rank]
            for pos in range(offset, self.per_rank):
                yield int(perm[pos]), (self.seed * 1_000_003 + e * 7919 + pos * self.world + self.rank) % 2**31
            offset = 0


class SeededDataset(Dataset):
    """Adapts a dataset to (index, seed) keys: `get_seeded(i, seed)` if it has one, else global seeding."""

    def __init__(self, dataset: Dataset):
        self.dataset = dataset

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, key):
        index, seed = key
        if hasattr(self.dataset, "get_seeded"):
            return self.dataset.get_seeded(index, seed)
        random.seed(seed)
        np.random.seed(seed)
        torch.manual_seed(seed)
        return self.dataset[index]
