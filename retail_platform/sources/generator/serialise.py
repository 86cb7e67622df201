"""Writing a table's all-String frame as the file its source system exports (CSV, JSON lines or JSON).

JSON(L): money and integers are JSON numbers (``12.50``, ``3``), booleans JSON booleans, everything
else, and every malformed value, a JSON string; a null is ``null``.
"""

from __future__ import annotations

import io

import polars as pl

from retail_platform.sources import registry

_INTEGER_DTYPES = (pl.Int32, pl.Int64)
_NUMBER_PATTERN = r"^-?[0-9]+(\.[0-9]+)?$"
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


def _json_value_expr(name: str, numeric: set[str], boolean: set[str]) -> pl.Expr:
    column = pl.col(name)
    escaped = column.str.replace_all("\\", "\\\\", literal=True).str.replace_all('"', '\\"', literal=True)
    quoted = pl.concat_str([pl.lit('"'), escaped, pl.lit('"')])
    if name in numeric:
        value = pl.when(column.str.contains(_NUMBER_PATTERN)).then(column).otherwise(quoted)
    elif name in boolean:
        value = pl.when(column.is_in(["true", "false"])).then(column).otherwise(quoted)
    else:
        value = quoted
    return pl.when(column.is_null()).then(pl.lit("null")).otherwise(value)


def _json_lines(table: str, frame: pl.DataFrame) -> pl.Series:
    """One JSON object per row, rendered by polars expressions (no per-row Python)."""
    numeric, boolean = _json_value_kinds(table, frame.columns)
    parts: list[pl.Expr] = []
    for j, name in enumerate(frame.columns):
        parts.append(pl.lit(("{" if j == 0 else ", ") + f'"{name}": '))
        parts.append(_json_value_expr(name, numeric, boolean))
    parts.append(pl.lit("}"))
    return frame.select(pl.concat_str(parts).alias("line")).get_column("line")


def serialise(table: str, frame: pl.DataFrame) -> bytes:
    file_format = registry.table_spec(table).file_format
    buffer = io.BytesIO()
    if file_format == "csv":
        frame.write_csv(buffer, line_terminator="\n")
        return buffer.getvalue()
    lines = _json_lines(table, frame).to_frame()
    if file_format == "json":
        if lines.height == 0:
            return b"[]\n"
        lines = lines.with_columns(pl.col("line") + pl.lit(","))
        lines[-1, "line"] = lines[-1, "line"][:-1]
        buffer.write(b"[\n")
    # one pre-rendered JSON document per line, written verbatim
    lines.write_csv(buffer, include_header=False, quote_style="never", line_terminator="\n")
    if file_format == "json":
        buffer.write(b"]\n")
    return buffer.getvalue()
