"""Where things live in the lake. Pure key builders: no I/O, no Dagster.

Every part of a key is checked before it is joined: a partition key is a real ``YYYY-MM-DD`` date
and a table or source name is a lower-case name, so no value (a partition key typed in the UI, a
tag, a sensor's cursor) can point a read or a write outside its own partition folder."""

from __future__ import annotations

import re
from datetime import date, datetime

LAYERS = ("landing", "bronze", "silver", "gold")
GOLD_DATASETS = ("sales", "order_lifecycle", "inventory_position")

PARTITION_KEY = re.compile(r"\d{4}-\d{2}-\d{2}")
# Registry tables, gold datasets, source systems: snake_case, the way the registry declares them.
NAME = re.compile(r"[a-z][a-z0-9_]{0,62}")


class InvalidPartitionKey(ValueError):
    """A partition key that is not a real business date."""


def partition_day(day: date | str) -> str:
    """The partition key of ``day`` as ``YYYY-MM-DD``, refusing anything that is not a real date
    (``2026-02-30``, ``../../etc``, ``2026-03-02/../x``, a datetime)."""
    if isinstance(day, datetime):
        raise InvalidPartitionKey(f"partition key {day!r} is a timestamp; expected a date like 2026-03-02")
    if isinstance(day, date):
        return day.isoformat()
    if isinstance(day, str) and PARTITION_KEY.fullmatch(day):
        try:
            return date.fromisoformat(day).isoformat()
        except ValueError:
            pass
    raise InvalidPartitionKey(
        f"partition key {day!r} is not a date like 2026-03-02 (YYYY-MM-DD, a real day): "
        "refusing to build a lake path from it"
    )


def lake_name(name: str, what: str = "table") -> str:
    """``name`` if it is a snake_case name that can be one segment of a lake path."""
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise ValueError(
            f"{what} name {name!r} is not a lower-case name (a-z, 0-9, _): refusing to build a lake path from it"
        )
    return name


def history_table(table: str) -> str:
    """A CDC table's cleaned change events live beside its current state, as ``<table>_history``."""
    return f"{table}_history"


def cleaned_table(table: str, *, cdc: bool) -> str:
    """Where the cleaned rows of a bronze table go: the table itself, or the CDC history."""
    return history_table(table) if cdc else table


PART_FILE = "part-0.parquet"


def partition_dir(layer: str, table: str, day: date | str, *, source: str | None = None) -> str:
    """``landing/<source>/<table>/dt=D`` for landing, ``<layer>/<table>/dt=D`` otherwise."""
    if layer not in LAYERS:
        raise ValueError(f"unknown lake layer {layer!r}; expected one of {LAYERS}")
    table, key = lake_name(table), partition_day(day)
    if layer == "landing":
        if not source:
            raise ValueError("landing paths need the source system")
        return f"landing/{lake_name(source, 'source')}/{table}/dt={key}"
    return f"{layer}/{table}/dt={key}"


def partition_file(layer: str, table: str, day: date | str) -> str:
    """One Parquet file per partition: replacing it is the atomic unit of a (re)run."""
    return f"{partition_dir(layer, table, day)}/{PART_FILE}"


def quarantine_file(table: str, day: date | str) -> str:
    return f"silver/_quarantine/{lake_name(table)}/dt={partition_day(day)}/{PART_FILE}"
