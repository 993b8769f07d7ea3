"""Data-loading helpers shared by the training scripts.

Small, framework-light utilities: seeding, train/validation splits, a
reproducible DataLoader factory, a packed-token dataset for language modelling
and a cached Hugging Face ``load_dataset`` wrapper.
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Subset

DATA_ROOT = Path(os.environ.get("DATA_ROOT", "./data"))


def seed_everything(seed: int = 0) -> None:
    """Seed python, numpy and torch (CPU and CUDA) for reproducible runs."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.cuda.manual_seed_all(seed)


def train_val_split(dataset: Dataset, val_fraction: float = 0.1, seed: int = 0) -> tuple[Subset, Subset]:
    """Random split of a map-style dataset into train and validation subsets."""
    n = len(dataset)
    idx = np.random.default_rng(seed).permutation(n)
    n_val = int(n * val_fraction)
    return Subset(dataset, idx[n_val:].tolist()), Subset(dataset, idx[:n_val].tolist())


def make_loader(dataset: Dataset, batch_size: int, shuffle: bool = True, seed: int = 0, **kwargs) -> DataLoader:
    """DataLoader whose shuffling and worker seeds are reproducible."""
    generator = torch.Generator().manual_seed(seed)

    def worker_init(worker_id: int) -> None:
        np.random.seed(seed + worker_id)
        random.seed(seed + worker_id)

    kwargs.setdefault("num_workers", min(8, os.cpu_count() or 1))
    kwargs.setdefault("pin_memory", torch.cuda.is_available())
    return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, generator=generator,
                      worker_init_fn=worker_init, **kwargs)


class PackedTokenDataset(Dataset):
    """Fixed-length (input, target) windows over one long token array."""

    def __init__(self, tokens: np.ndarray, block_size: int):
        self.tokens = tokens
        self.block_size = block_size

    def __len__(self) -> int:
        return (len(self.tokens) - 1) // self.block_size

    def __getitem__(self, i: int):
        start = i * self.block_size
        chunk = torch.from_numpy(self.tokens[start : start + self.block_size + 1].astype(np.int64))
        return chunk[:-1], chunk[1:]


def cached_hf_dataset(name: str, config: str | None = None, split: str | None = None):
    """``datasets.load_dataset`` with the cache directory under ``DATA_ROOT``."""
    from datasets import load_dataset

    return load_dataset(name, config, split=split, cache_dir=str(DATA_ROOT / "hf"))


def batched(items: Sequence, size: int) -> Iterable[Sequence]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
