"""Every landing file the source systems export for one day: in memory, or streamed to disk in chunks.

:func:`iter_parts` is the one generator: the pieces of every file, in order, a chunk of rows at a
time. :func:`generate_day` joins them into bytes (for callers that want the files in memory) and
:func:`write_day` appends them to files as they come, so its memory stays bounded at any volume.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

from retail_platform.sources import registry
from retail_platform.sources.registry import DEFAULT_SEED, DEFAULT_VOLUME

from .calendar import date_of, day_index
from .defects import drift_table
from .serialise import serialise, serialise_part
from .tables.customers import customers_table
from .tables.inventory import inventory_table
from .tables.orders import order_items_chunks, orders_chunks
from .tables.pos import pos_chunks
from .tables.products import products_table
from .tables.stores import stores_table
from .tables.support_tickets import support_tickets_table
from .tables.web_sessions import web_sessions_chunks


@dataclass(frozen=True)
class LandingFile:
    table: str  # registry table name
    name: str  # file name, e.g. "pos_transactions_20261101.csv"
    content: bytes


@dataclass(frozen=True)
class FilePart:
    """A piece of a table's file: a file is its parts' blocks in the order they come."""

    table: str
    blocks: list  # bytes-like (bytes, numpy uint8 arrays): write or join them, never modify them

    @property
    def content(self) -> bytes:
        return b"".join(self.blocks)


def file_name(table: str, day: date) -> str:
    spec = registry.table_spec(table)
    return f"{table}_{day:%Y%m%d}.{spec.file_format}"


def _checked(seed, volume) -> tuple[int, int]:
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    if not isinstance(volume, (int, np.integer)) or volume < 1:
        raise ValueError(f"volume must be a positive integer, got {volume!r}")
    return int(seed), int(volume)


def iter_parts(day: date, *, seed: int = DEFAULT_SEED, volume: int = DEFAULT_VOLUME) -> Iterator[FilePart]:
    """The pieces of every table's file for ``day``, a chunk of rows at a time.

    Tables come one after the other, except the two POS files, whose chunks alternate.
    """
    day_number = day_index(day)
    seed, volume = _checked(seed, volume)
    drift = drift_table(seed, day_number)
    emitted: set[str] = set()

    def parts(table: str, frame) -> FilePart:
        first = table not in emitted
        emitted.add(table)
        return FilePart(table, serialise_part(table, frame, first))

    for transactions, lines in pos_chunks(seed, volume, day_number, drift):
        yield parts("pos_transactions", transactions)
        yield parts("pos_transaction_lines", lines)
    for frame in orders_chunks(seed, volume, day_number, drift):
        yield parts("orders", frame)
    for frame in order_items_chunks(seed, volume, day_number):
        yield parts("order_items", frame)
    for frame in web_sessions_chunks(seed, volume, day_number, drift):
        yield parts("web_sessions", frame)
    whole = {
        "inventory_snapshots": lambda: inventory_table(seed, volume, day_number),
        "customers": lambda: customers_table(seed, volume, day_number, drift),
        "products": lambda: products_table(seed, volume, day_number),
        "stores": lambda: stores_table(seed),
        "support_tickets": lambda: support_tickets_table(seed, volume, day_number),
    }
    for table, build in whole.items():
        emitted.add(table)
        yield FilePart(table, [serialise(table, build())])
    missing = [t.table for t in registry.TABLES if t.table not in emitted]
    if missing:
        raise NotImplementedError(f"the generator does not emit registry tables {missing}")


def generate_day(day: date, *, seed: int = DEFAULT_SEED, volume: int = DEFAULT_VOLUME) -> list[LandingFile]:
    """All landing files the source systems export for ``day`` (one per registry table), in memory."""
    pieces: dict[str, list] = {t.table: [] for t in registry.TABLES}
    for part in iter_parts(day, seed=seed, volume=volume):
        pieces[part.table].extend(part.blocks)
    file_day = date_of(day_index(day))
    return [
        LandingFile(table=t.table, name=file_name(t.table, file_day), content=b"".join(pieces[t.table]))
        for t in registry.TABLES
    ]


def write_day(
    day: date, directory: str | os.PathLike, *, seed: int = DEFAULT_SEED, volume: int = DEFAULT_VOLUME
) -> dict[str, Path]:
    """Write every landing file for ``day`` into ``directory``, chunk by chunk; {table: path}.

    The same bytes as :func:`generate_day`, with the memory of one chunk instead of the whole day.
    Each file is written under a temporary name and renamed when complete, so a failed run never
    leaves a half-written file under a real name.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    file_day = date_of(day_index(day))
    paths = {t.table: directory / file_name(t.table, file_day) for t in registry.TABLES}
    partial = {table: path.with_name(f".{path.name}.partial") for table, path in paths.items()}
    handles = {}
    try:
        for part in iter_parts(day, seed=seed, volume=volume):
            if part.table not in handles:
                handles[part.table] = partial[part.table].open("wb")
            handles[part.table].writelines(part.blocks)
        for handle in handles.values():
            handle.close()
        for table, path in paths.items():
            os.replace(partial[table], path)
    finally:
        for handle in handles.values():
            handle.close()
        for path in partial.values():
            path.unlink(missing_ok=True)
    return paths
