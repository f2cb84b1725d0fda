"""``make_loader``: batches that a seed fixes, whatever the number of workers; pinned memory."""

from __future__ import annotations

import random
from collections.abc import Iterator, Sized

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Sampler


def sample_rng(key: int | tuple[int, int]) -> tuple[int, np.random.Generator]:
    """The index and random generator of one sample: ``(index, seed)`` from :class:`SeededSampler`,
    or a plain index, whose randomness then comes from torch's global generator."""
    if isinstance(key, tuple):
        index, seed = key
    else:
        index, seed = key, int(torch.randint(0, 2**62, ()))
    return int(index), np.random.default_rng(seed)


class SeededSampler(Sampler):
    """Yields ``(index, seed)``: the order and a seed for every sample, both drawn in the main
    process from one generator, so that the workers' number and scheduling change nothing."""

    def __init__(self, data: Sized, shuffle: bool, generator: torch.Generator) -> None:
        self.size, self.shuffle, self.generator = len(data), shuffle, generator

    def __len__(self) -> int:
        return self.size

    def __iter__(self) -> Iterator[tuple[int, int]]:
        if self.shuffle:
            order = torch.randperm(self.size, generator=self.generator)
        else:
            order = torch.arange(self.size)
        seeds = torch.randint(0, 2**62, (self.size,), generator=self.generator)
        yield from zip(order.tolist(), seeds.tolist(), strict=True)


def seed_worker(worker_id: int) -> None:
    """Seed Python's and NumPy's global generators of a worker from torch's (for user code that uses them)."""
    seed = torch.initial_seed() % 2**32
    random.seed(seed)
    np.random.seed(seed)


def make_loader(
    dataset: Dataset,
    batch_size: int,
    *,
    shuffle: bool = True,
    seed: int = 0,
    num_workers: int = 0,
    pin_memory: bool | None = None,
    drop_last: bool = False,
) -> DataLoader:
    """A DataLoader over one of ``durn_teach.data``'s datasets whose batches ``seed`` fixes.

    The order and every sample's random choices (crop, noise level, variant, flip) are drawn
    from a generator seeded with ``seed``, in the main process: the same seed gives the same
    batches with any ``num_workers``, and each epoch draws fresh ones. Memory is pinned when
    CUDA is available unless ``pin_memory`` says otherwise.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    generator = torch.Generator().manual_seed(seed)
    return DataLoader(
        dataset,
        batch_size=batch_size,
        sampler=SeededSampler(dataset, shuffle, generator),
        num_workers=num_workers,
        pin_memory=torch.cuda.is_available() if pin_memory is None else pin_memory,
        drop_last=drop_last,
        worker_init_fn=seed_worker,
        generator=generator,
    )
