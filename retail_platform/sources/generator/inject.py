"""How defects are put into a table's rows (text frames, one row per exported record)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from retail_platform.sources import registry

from .calendar import date_of
from .defects import Defect, rows_affected
from .text_columns import TextColumn, encode, set_rows, timestamp
from .text_frames import TextFrame, concat_frames

Values = TextColumn | pl.Series | Sequence[str | None] | str | None


def _column_of(values: Values) -> TextColumn | Sequence[str | None] | str | None:
    if isinstance(values, pl.Series):
        return values.cast(pl.String).to_list()
    return values


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


def set_values(frame: TextFrame, column: str, rows: np.ndarray, values: Values) -> TextFrame:
    """``frame[column][rows] = values`` (one value for all rows, or one per row; None = null)."""
    if len(rows) == 0:
        return frame
    values = _column_of(values)
    if isinstance(values, TextColumn):
        values = values.values()
    return frame.replace(**{column: set_rows(frame[column], rows, values)})


def cycle_values(options: Sequence[str], k: int, offset: int = 0) -> list[str]:
    return [options[(offset + j) % len(options)] for j in range(k)]


def messy_text(values: list[str | None], rng: np.random.Generator) -> list[str | None]:
    """Same values with surrounding spaces and/or wrong case (never identical to the input)."""
    out = []
    for value, variant in zip(values, rng.integers(0, 4, len(values)).tolist(), strict=True):
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


def inject_bad_numbers(frame: TextFrame, d: Defect, rows: np.ndarray, offset: int = 0) -> TextFrame:
    return set_values(frame, d.columns[0], rows, cycle_values(d.values, len(rows), offset))


def inject_bad_timestamps(frame: TextFrame, d: Defect, rows: np.ndarray, day_number: int) -> TextFrame:
    year, day = f"{date_of(day_number):%Y}", f"{date_of(day_number):%Y-%m-%d}"
    return set_values(
        frame, d.columns[0], rows, [d.values[j % len(d.values)].format(y=year, d=day) for j in range(len(rows))]
    )


def inject_negative(frame: TextFrame, d: Defect, rows: np.ndarray, magnitudes: Sequence | None = None) -> TextFrame:
    """``-<magnitude>``; by default the magnitude is the row's current value."""
    if magnitudes is None:
        magnitudes = frame[d.columns[0]].values(rows)
    return set_values(frame, d.columns[0], rows, [f"-{v}" for v in magnitudes])


def inject_empty(frame: TextFrame, d: Defect, rows: np.ndarray) -> TextFrame:
    """A null in CSV (an empty field), ``""`` in JSON (null would be a different defect there)."""
    empty = None if registry.table_spec(d.table).file_format == "csv" else ""
    return set_values(frame, d.columns[0], rows, empty)


def inject_unknown_enum(frame: TextFrame, d: Defect, rows: np.ndarray) -> TextFrame:
    return set_values(frame, d.columns[0], rows, d.values[0])


def inject_messy_text(frame: TextFrame, d: Defect, rows: np.ndarray, rng: np.random.Generator) -> TextFrame:
    column = d.columns[0]
    return set_values(frame, column, rows, messy_text(frame[column].values(rows), rng))


def insert_rows(frame: TextFrame, extra: TextFrame, positions: np.ndarray) -> TextFrame:
    """Insert ``extra`` rows at fractional positions among the existing rows (2.5 = between rows 2 and 3)."""
    if extra.height == 0:
        return frame
    keys = np.concatenate([np.arange(frame.height, dtype=np.float64), np.asarray(positions, dtype=np.float64)])
    order = np.argsort(keys, kind="stable")
    return concat_frames([frame, TextFrame({name: extra[name] for name in frame.names})]).take(order)


def duplicate_rows(frame: TextFrame, rng: np.random.Generator, rows: np.ndarray) -> TextFrame:
    """Exact copies of ``rows`` re-sent a little later in the file."""
    positions = np.minimum(rows + 0.5 + rng.integers(0, 40, len(rows)), frame.height + 0.5)
    return insert_rows(frame, frame.take(rows), positions)


def stale_copies(
    frame: TextFrame, rows: np.ndarray, stale_ts: np.ndarray, wrong_values: dict[str, Values]
) -> TextFrame:
    """Copies of ``rows`` with wrong values and an ``updated_at`` of ``stale_ts`` (older than the row's)."""
    copies = frame.take(np.asarray(rows, dtype=np.int64))
    if len(rows) == 0:
        return copies
    replaced = {}
    for name, v in wrong_values.items():
        v = _column_of(v)
        replaced[name] = v if isinstance(v, TextColumn) else encode(v)
    return copies.replace(**replaced, updated_at=timestamp(stale_ts))


def insert_stale_copies(frame: TextFrame, rng: np.random.Generator, rows: np.ndarray, copies: TextFrame) -> TextFrame:
    """Place each stale copy next to its row, before it or after it: file order must not tell which is right."""
    rows = np.asarray(rows, dtype=np.int64)
    before = rng.random(len(rows)) < 0.6
    return insert_rows(frame, copies, np.where(before, rows - 0.5, rows + 0.5))


def add_drift_column(frame: TextFrame, name: str, values: TextColumn) -> TextFrame:
    """An undeclared extra column, placed before updated_at (or last)."""
    return frame.insert(name, values, before="updated_at")
