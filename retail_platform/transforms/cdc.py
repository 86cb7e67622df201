"""Change-data-capture application. Pure Polars.

Each event carries the full after-image of the row, so the state of an entity is its event with
the greatest log sequence number. Deletes are kept as tombstones (``is_deleted``) rather than
dropped: a late event with a smaller LSN must not resurrect a deleted order, which makes
``apply_changes`` associative, commutative and idempotent: replay order and repeats don't matter.
"""

from __future__ import annotations

import polars as pl

from retail_platform.sources.registry import CdcSpec


def apply_changes(state: pl.DataFrame | None, changes: pl.DataFrame, cdc: CdcSpec) -> pl.DataFrame:
    """Merge a batch of change events into the current state (one row per entity).

    ``changes`` are cleaned events (the silver change history); ``state`` is the previous
    state as returned by this function, or None for the first batch.
    """
    events = changes.with_columns(
        (pl.col(cdc.operation_column) == "delete").alias("is_deleted"),
    )
    frames = [events] if state is None or state.is_empty() else [state.select(events.columns), events]
    return (
        pl.concat(frames, how="vertical_relaxed")
        .sort([*cdc.entity_key, cdc.sequence_column])
        .unique(subset=list(cdc.entity_key), keep="last", maintain_order=True)
    )


def current_rows(state: pl.DataFrame) -> pl.DataFrame:
    """The live entities: state without tombstones."""
    return state.filter(~pl.col("is_deleted"))
