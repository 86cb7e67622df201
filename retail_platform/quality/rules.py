"""Data-quality rules on written partitions. Pure Polars: no Dagster, no I/O.

Each returns the numbers a check reports; the check decides pass/fail from them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime

import polars as pl


def null_counts(frame: pl.DataFrame, columns: Sequence[str]) -> dict[str, int]:
    """Null values per column (a column absent from the frame counts as all null)."""
    return {c: (frame[c].null_count() if c in frame.columns else frame.height) for c in columns}


def unexpected_values(frame: pl.DataFrame, accepted: Mapping[str, Sequence[str]]) -> dict[str, dict[str, int]]:
    """Per column, the values outside its accepted set and how many rows carry them (nulls allowed)."""
    found: dict[str, dict[str, int]] = {}
    for column, values in accepted.items():
        if column not in frame.columns:
            continue
        bad = frame.filter(pl.col(column).is_not_null() & ~pl.col(column).is_in(list(values)))
        if not bad.is_empty():
            found[column] = dict(bad.group_by(column).len().sort(column).iter_rows())
    return found


def orphans(
    child: pl.DataFrame,
    parent: pl.DataFrame,
    column: str,
    *,
    parent_column: str | None = None,
    quarantined_parent: pl.DataFrame | None = None,
) -> dict[str, int]:
    """Rows of ``child`` whose ``column`` has no row in ``parent``.

    A child whose parent row was quarantined the same day is counted apart
    (``orphans_with_quarantined_parent``): the parent is accounted for, with its reason, in
    quarantine; only the rest (``orphans``) are broken references.
    """
    parent_column = parent_column or column
    keyed = child.filter(pl.col(column).is_not_null())
    missing = keyed.join(parent.select(pl.col(parent_column).alias(column)).unique(), on=column, how="anti")
    explained = 0
    if quarantined_parent is not None and parent_column in quarantined_parent.columns and not missing.is_empty():
        ids = quarantined_parent[parent_column].cast(pl.String).str.strip_chars().drop_nulls().unique()
        explained = missing.filter(pl.col(column).cast(pl.String).is_in(ids.implode())).height
    return {
        "child_rows": child.height,
        "parent_rows": parent.height,
        "orphans": missing.height - explained,
        "orphans_with_quarantined_parent": explained,
        "distinct_missing_keys": missing[column].n_unique() if not missing.is_empty() else 0,
    }


def column_drift(declared: Sequence[str], present: Sequence[str]) -> dict[str, list]:
    """The declared columns a feed lacks, the undeclared ones it carries, and the likely renames
    among them (a missing declared column paired with the closest-named undeclared one)."""
    import difflib

    missing = [c for c in declared if c not in present]
    undeclared = [c for c in present if c not in declared]
    renamed = []
    for column in missing:
        close = difflib.get_close_matches(column, undeclared, n=1, cutoff=0.0) if undeclared else []
        if close:
            renamed.append([column, close[0]])
    return {"missing": missing, "undeclared": undeclared, "renamed": renamed}


def sequence_step(previous_max: int | None, sequence: pl.Series, max_step: int) -> dict[str, int | bool | None]:
    """Where a CDC day's events lie against the state they are applied to: the day's median
    sequence number must be ahead of yesterday's greatest, by at most ``max_step``. Behind it, the
    day's events lose to older ones (a log restarted, an old export replayed); too far ahead, they
    win against every later day's (the numbers jumped). Not judged without a previous state or events."""
    median = sequence.median() if sequence.len() else None
    judged = previous_max is not None and median is not None
    step = int(median - previous_max) if judged else None
    return {
        "previous_max": previous_max,
        "median": None if median is None else int(median),
        "step": step,
        "max_step": max_step,
        "judged": judged,
        "passed": not judged or 0 < step <= max_step,
    }


def late_rows(frame: pl.DataFrame, column: str | None, day: date) -> int:
    """Rows whose ``column`` (a timestamp or date) falls before ``day``; 0 without a column."""
    if column is None or column not in frame.columns or frame.is_empty():
        return 0
    start = datetime(day.year, day.month, day.day, tzinfo=UTC) if frame[column].dtype != pl.Date else day
    return int(frame.select((pl.col(column) < start).sum()).item())
