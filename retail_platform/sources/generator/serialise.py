"""Writing a table's text frame as the file its source system exports (CSV, JSON lines or JSON).

JSON(L): money and integers are JSON numbers (``12.50``, ``3``), booleans JSON booleans, everything
else, and every malformed value, a JSON string; a null is ``null``.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from retail_platform.sources import registry

from .text_frames import TextFrame, csv_blocks, json_lines_blocks

_INTEGER_DTYPES = (pl.Int32, pl.Int64)
_NUMERIC_DRIFT_COLUMNS = ("loyalty_points",)  # undeclared columns written as JSON numbers


def _json_value_kinds(table: str, columns: list[str]) -> tuple[set[str], set[str]]:
    """(numeric columns, boolean columns) of the table, by the registry's dtypes."""
    numeric, boolean = set(), set()
    for column in registry.table_spec(table).columns:
        if column.dtype == pl.Boolean:
            boolean.add(column.name)
        elif column.dtype in _INTEGER_DTYPES or isinstance(column.dtype, pl.Decimal) or column.dtype == pl.Decimal:
            numeric.add(column.name)
    numeric |= {name for name in columns if name in _NUMERIC_DRIFT_COLUMNS}
    return numeric, boolean


def _json_kinds(table: str, columns: list[str]) -> dict[str, str]:
    numeric, boolean = _json_value_kinds(table, columns)
    return {**dict.fromkeys(numeric, "number"), **dict.fromkeys(boolean, "boolean")}


def serialise_part(table: str, frame: TextFrame, first: bool) -> list[bytes | np.ndarray]:
    """One chunk of a CSV or JSON lines file, in blocks to write in order (the CSV header only in the first chunk)."""
    file_format = registry.table_spec(table).file_format
    if file_format == "csv":
        return csv_blocks(frame, header=first)
    if file_format == "jsonl":
        return json_lines_blocks(frame, _json_kinds(table, frame.names))
    raise ValueError(f"{table}: a {file_format} file is written whole, not in chunks")


def serialise(table: str, frame: TextFrame) -> bytes:
    """The whole file of a table."""
    if registry.table_spec(table).file_format != "json":
        return b"".join(serialise_part(table, frame, first=True))
    if frame.height == 0:
        return b"[]\n"
    lines = b"".join(json_lines_blocks(frame, _json_kinds(table, frame.names)))
    # one pre-rendered JSON document per line: a comma after every line but the last
    return b"[\n" + lines[:-1].replace(b"}\n{", b"},\n{") + b"\n]\n"
