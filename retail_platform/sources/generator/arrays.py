"""Helpers for the dicts of equally long numpy columns the table builders work with."""

from __future__ import annotations

import dataclasses

import numpy as np

Columns = dict[str, np.ndarray]


def freeze(*arrays: np.ndarray) -> None:
    """Make arrays read-only: they are shared through ``lru_cache`` and must never be edited in place."""
    for array in arrays:
        array.flags.writeable = False


def freeze_fields(instance) -> None:
    """Freeze every numpy array field of a dataclass instance."""
    freeze(*(v for v in (getattr(instance, f.name) for f in dataclasses.fields(instance)) if isinstance(v, np.ndarray)))


def concat_columns(batches: list[Columns]) -> Columns:
    return {name: np.concatenate([batch[name] for batch in batches]) for name in batches[0]}


def empty_columns(names: tuple[str, ...]) -> Columns:
    return {name: np.zeros(0, dtype=np.int64) for name in names}


def take_rows(columns: Columns, rows: np.ndarray) -> Columns:
    return {name: values[rows] for name, values in columns.items()}


def running_number(group_sizes: np.ndarray) -> np.ndarray:
    """1, 2, ... within each group of consecutive rows (line numbers within a transaction, ...)."""
    return np.arange(int(group_sizes.sum())) - np.repeat(np.cumsum(group_sizes) - group_sizes, group_sizes) + 1
