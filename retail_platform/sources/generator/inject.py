"""How defects are put into a table's rows (all-String frames, one row per exported record)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from retail_platform.sources import registry

from .calendar import date_of
from .defects import Defect, rows_affected
from .render import ts_text


def split_rows(rng: np.random.Generator, candidates: np.ndarray, sizes: list[int]) -> list[np.ndarray]:
    """Disjoint random subsets of ``candidates`` of the given sizes (truncated if too few), each sorted."""
    shuffled = rng.permutation(np.asarray(candidates, dtype=np.int64))
    subsets, start = [], 0
    for size in sizes:
        subsets.append(np.sort(shuffled[start : start + size]))
        start += size
    return subsets


def pick_rows(
    rng: np.random.Generator, candidates: np.ndarray, table_rows: int, defects: Sequence[Defect]
) -> list[np.ndarray]:
    """One disjoint row set per defect, sized by the defect's rate of ``table_rows``.

    Disjoint so that every damaged row carries exactly one defect and each stays detectable.
    """
    return split_rows(rng, candidates, [rows_affected(d, table_rows) for d in defects])


def set_values(frame: pl.DataFrame, column: str, rows: np.ndarray, values) -> pl.DataFrame:
    """``frame[column][rows] = values`` (one value for all rows, or one per row; None = null)."""
    if len(rows) == 0:
        return frame
    if isinstance(values, str) or values is None:
        values = [values] * len(rows)
    series = frame.get_column(column).clone()
    series.scatter(np.asarray(rows, dtype=np.int64), pl.Series(values, dtype=pl.String))
    return frame.with_columns(series)


def cycle_values(options: Sequence[str], k: int, offset: int = 0) -> list[str]:
    return [options[(offset + j) % len(options)] for j in range(k)]


def messy_text(values: pl.Series, rng: np.random.Generator) -> list[str | None]:
    """Same values with surrounding spaces and/or wrong case (never identical to the input)."""
    out = []
    for value, variant in zip(values.to_list(), rng.integers(0, 4, len(values)), strict=True):
        if value is None:
            out.append(None)
        elif variant == 0:
            out.append(f" {value.upper() if value.islower() else value.lower()} ")
        elif variant == 1:
            out.append(value.upper() + " " if value.islower() else value.lower() + " ")
        elif variant == 2:
            out.append(value.title() if value.title() != value else value.lower())
        else:
            out.append(f"  {value}")
    return out


# One function per column-value defect: the column and the texts come from the DEFECTS row.


def inject_bad_numbers(frame: pl.DataFrame, d: Defect, rows: np.ndarray, offset: int = 0) -> pl.DataFrame:
    return set_values(frame, d.columns[0], rows, cycle_values(d.values, len(rows), offset))


def inject_bad_timestamps(frame: pl.DataFrame, d: Defect, rows: np.ndarray, day_number: int) -> pl.DataFrame:
    year, day = f"{date_of(day_number):%Y}", f"{date_of(day_number):%Y-%m-%d}"
    return set_values(
        frame, d.columns[0], rows, [d.values[j % len(d.values)].format(y=year, d=day) for j in range(len(rows))]
    )


def inject_negative(
    frame: pl.DataFrame, d: Defect, rows: np.ndarray, magnitudes: Sequence | None = None
) -> pl.DataFrame:
    """``-<magnitude>``; by default the magnitude is the row's current value."""
    if magnitudes is None:
        magnitudes = frame.get_column(d.columns[0]).gather(rows).to_list()
    return set_values(frame, d.columns[0], rows, [f"-{v}" for v in magnitudes])


def inject_empty(frame: pl.DataFrame, d: Defect, rows: np.ndarray) -> pl.DataFrame:
    """A null in CSV (an empty field), ``""`` in JSON (null would be a different defect there)."""
    empty = None if registry.table_spec(d.table).file_format == "csv" else ""
    return set_values(frame, d.columns[0], rows, empty)


def inject_unknown_enum(frame: pl.DataFrame, d: Defect, rows: np.ndarray) -> pl.DataFrame:
    return set_values(frame, d.columns[0], rows, d.values[0])


def inject_messy_text(frame: pl.DataFrame, d: Defect, rows: np.ndarray, rng: np.random.Generator) -> pl.DataFrame:
    column = d.columns[0]
    return set_values(frame, column, rows, messy_text(frame.get_column(column).gather(rows), rng))


def insert_rows(frame: pl.DataFrame, extra: pl.DataFrame, positions: np.ndarray) -> pl.DataFrame:
    """Insert ``extra`` rows at fractional positions among the existing rows (2.5 = between rows 2 and 3)."""
    if extra.height == 0:
        return frame
    keys = np.concatenate([np.arange(frame.height, dtype=np.float64), np.asarray(positions, dtype=np.float64)])
    order = np.argsort(keys, kind="stable")
    return pl.concat([frame, extra.select(frame.columns)], how="vertical").select(pl.all().gather(order))


def duplicate_rows(frame: pl.DataFrame, rng: np.random.Generator, rows: np.ndarray) -> pl.DataFrame:
    """Exact copies of ``rows`` re-sent a little later in the file."""
    positions = np.minimum(rows + 0.5 + rng.integers(0, 40, len(rows)), frame.height + 0.5)
    return insert_rows(frame, frame.select(pl.all().gather(rows)), positions)


def stale_copies(
    frame: pl.DataFrame, rows: np.ndarray, stale_ts: np.ndarray, wrong_values: dict[str, pl.Series | list]
) -> pl.DataFrame:
    """Copies of ``rows`` with wrong values and an ``updated_at`` of ``stale_ts`` (older than the row's)."""
    copies = frame.select(pl.all().gather(np.asarray(rows, dtype=np.int64)))
    if len(rows) == 0:
        return copies
    return copies.with_columns(
        *[
            v.alias(name).cast(pl.String) if isinstance(v, pl.Series) else pl.Series(name, v, dtype=pl.String)
            for name, v in wrong_values.items()
        ],
        updated_at=ts_text(stale_ts),
    )


def insert_stale_copies(
    frame: pl.DataFrame, rng: np.random.Generator, rows: np.ndarray, copies: pl.DataFrame
) -> pl.DataFrame:
    """Place each stale copy next to its row, before it or after it: file order must not tell which is right."""
    rows = np.asarray(rows, dtype=np.int64)
    before = rng.random(len(rows)) < 0.6
    return insert_rows(frame, copies, np.where(before, rows - 0.5, rows + 0.5))


def add_drift_column(frame: pl.DataFrame, name: str, values: pl.Series) -> pl.DataFrame:
    """An undeclared extra column, placed before updated_at (or last)."""
    columns = frame.columns
    at = columns.index("updated_at") if "updated_at" in columns else len(columns)
    frame = frame.with_columns(values.alias(name).cast(pl.String))
    return frame.select(columns[:at] + [name] + columns[at:])
