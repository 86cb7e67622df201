"""Where things live in the lake. Pure key builders: no I/O, no Dagster."""

from __future__ import annotations

from datetime import date

LAYERS = ("landing", "bronze", "silver", "gold")
GOLD_DATASETS = ("sales", "order_lifecycle", "inventory_position")


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
    if layer == "landing":
        if not source:
            raise ValueError("landing paths need the source system")
        return f"landing/{source}/{table}/dt={day}"
    return f"{layer}/{table}/dt={day}"


def partition_file(layer: str, table: str, day: date | str) -> str:
    """One Parquet file per partition: replacing it is the atomic unit of a (re)run."""
    return f"{partition_dir(layer, table, day)}/{PART_FILE}"


def quarantine_file(table: str, day: date | str) -> str:
    return f"silver/_quarantine/{table}/dt={day}/{PART_FILE}"
