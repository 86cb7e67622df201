"""Rendering typed columns as the text the source systems write (polars expressions).

Canonical formats: timestamps ``2026-11-01T10:15:03Z`` (UTC), dates ``2026-11-01``, money ``12.50``,
booleans ``true``/``false``; a null is an empty CSV field or a JSON ``null``. The big fact tables
render the same formats with numpy (:mod:`.text_columns`); the small ones use these expressions.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from retail_platform.sources import registry

from .calendar import EPOCH_UNIX_DAYS
from .text_columns import TextColumn
from .text_frames import TextFrame, from_polars

_TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def ts_expr(column: str) -> pl.Expr:
    return pl.from_epoch(pl.col(column), time_unit="s").dt.strftime(_TIMESTAMP_FORMAT)


def date_expr(day_number_column: str) -> pl.Expr:
    return pl.from_epoch(pl.col(day_number_column) + EPOCH_UNIX_DAYS, time_unit="d").dt.strftime("%Y-%m-%d")


def compact_date_expr(day_number_column: str) -> pl.Expr:
    """``20261101``: the date inside transaction, order, session and ticket ids."""
    return pl.from_epoch(pl.col(day_number_column) + EPOCH_UNIX_DAYS, time_unit="d").dt.strftime("%Y%m%d")


def money_expr(cents_column: str) -> pl.Expr:
    cents = pl.col(cents_column)
    magnitude = cents.abs()
    sign = pl.when(cents < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    return pl.concat_str(
        [sign, (magnitude // 100).cast(pl.String), pl.lit("."), (magnitude % 100).cast(pl.String).str.zfill(2)]
    )


def bool_expr(column: str) -> pl.Expr:
    return pl.when(pl.col(column)).then(pl.lit("true")).otherwise(pl.lit("false"))


def id_expr(index_column: str, prefix: str, width: int) -> pl.Expr:
    """``P00042`` for index 41; null for a negative index (no entity)."""
    index = pl.col(index_column)
    return pl.when(index >= 0).then(pl.lit(prefix) + (index + 1).cast(pl.String).str.zfill(width))


def order_id_expr(day_column: str, index_column: str) -> pl.Expr:
    return pl.concat_str(
        [pl.lit("O"), compact_date_expr(day_column), (pl.col(index_column) + 1).cast(pl.String).str.zfill(6)]
    )


def lookup(values, index: np.ndarray) -> pl.Series:
    """``values[index]`` for an array of indices, as a String series."""
    return pl.Series(list(values), dtype=pl.String).gather(np.asarray(index, dtype=np.int64))


def as_registry_text(frame: pl.DataFrame, table: str) -> TextFrame:
    """The table's declared columns, in registry order, as text (defects are injected as text)."""
    spec = registry.table_spec(table)
    return from_polars(frame.select([pl.col(name).cast(pl.String) for name in spec.column_names]))


def registry_frame(table: str, columns: dict[str, TextColumn]) -> TextFrame:
    """The table's declared columns, in registry order, from rendered text columns."""
    return TextFrame({name: columns[name] for name in registry.table_spec(table).column_names})
