"""Data-quality rules on written partitions. Pure Polars: no Dagster, no I/O.

Each returns the numbers a check reports; the check decides pass/fail from them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

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
