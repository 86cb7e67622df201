"""``generate_day``: every landing file the source systems export for one day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from retail_platform.sources import registry
from retail_platform.sources.registry import DEFAULT_SEED, DEFAULT_VOLUME

from .calendar import date_of, day_index
from .defects import drift_table
from .serialise import serialise
from .tables.customers import customers_table
from .tables.inventory import inventory_table
from .tables.orders import order_items_table, orders_table
from .tables.pos import pos_tables
from .tables.products import products_table
from .tables.stores import stores_table
from .tables.support_tickets import support_tickets_table
from .tables.web_sessions import web_sessions_table


@dataclass(frozen=True)
class LandingFile:
    table: str  # registry table name
    name: str  # file name, e.g. "pos_transactions_20261101.csv"
    content: bytes


def file_name(table: str, day: date) -> str:
    spec = registry.table_spec(table)
    return f"{table}_{day:%Y%m%d}.{spec.file_format}"


def _checked(seed, volume) -> tuple[int, int]:
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    if not isinstance(volume, (int, np.integer)) or volume < 1:
        raise ValueError(f"volume must be a positive integer, got {volume!r}")
    return int(seed), int(volume)


def generate_day(day: date, *, seed: int = DEFAULT_SEED, volume: int = DEFAULT_VOLUME) -> list[LandingFile]:
    """All landing files the source systems export for ``day`` (one per registry table)."""
    day_number = day_index(day)
    seed, volume = _checked(seed, volume)
    drift = drift_table(seed, day_number)
    builders = {
        "orders": lambda: orders_table(seed, volume, day_number, drift),
        "order_items": lambda: order_items_table(seed, volume, day_number),
        "inventory_snapshots": lambda: inventory_table(seed, volume, day_number),
        "customers": lambda: customers_table(seed, volume, day_number, drift),
        "products": lambda: products_table(seed, volume, day_number),
        "stores": lambda: stores_table(seed),
        "web_sessions": lambda: web_sessions_table(seed, volume, day_number, drift),
        "support_tickets": lambda: support_tickets_table(seed, volume, day_number),
    }
    content: dict[str, bytes] = {}
    # one table at a time, each frame dropped once serialised: keeps the peak memory down
    transactions, lines = pos_tables(seed, volume, day_number, drift)
    content["pos_transactions"] = serialise("pos_transactions", transactions)
    content["pos_transaction_lines"] = serialise("pos_transaction_lines", lines)
    del transactions, lines
    for table, build in builders.items():
        content[table] = serialise(table, build())
    missing = [t.table for t in registry.TABLES if t.table not in content]
    if missing:
        raise NotImplementedError(f"the generator does not emit registry tables {missing}")
    file_day = date_of(day_number)
    return [
        LandingFile(table=t.table, name=file_name(t.table, file_day), content=content[t.table]) for t in registry.TABLES
    ]
