"""Raw file -> bronze frame: every column as text, plus lineage. Nothing is dropped."""

from __future__ import annotations

import io
import json
from datetime import datetime

import polars as pl

LINEAGE_COLUMNS = ("_source_file", "_row_number", "_ingested_at")


class MalformedFileError(ValueError):
    """A landing file that cannot be read at all (as opposed to bad values inside it)."""


def read_raw_text(content: bytes, file_format: str) -> pl.DataFrame:
    """Parse a landing file into a frame of String columns, keeping undeclared columns too."""
    if not content.strip():
        return pl.DataFrame()
    if file_format == "csv":
        # Every value stays text; the silver layer decides what it means.
        return pl.read_csv(io.BytesIO(content), infer_schema=False)
    if file_format == "jsonl":
        columns = _json_columns(content, lines=True)
        return pl.read_ndjson(io.BytesIO(content), schema=dict.fromkeys(columns, pl.String))
    if file_format == "json":
        columns = _json_columns(content, lines=False)
        return pl.read_json(io.BytesIO(content), schema=dict.fromkeys(columns, pl.String))
    raise ValueError(f"unsupported file format {file_format!r}")


def _json_columns(content: bytes, *, lines: bool) -> list[str]:
    # The union of keys over the whole file, in first-seen order: a column that only appears
    # late in the file (schema drift) must not be dropped by a sampled schema inference.
    columns: dict[str, None] = {}
    records = (json.loads(line) for line in content.splitlines() if line.strip()) if lines else json.loads(content)
    for record in records:
        if not isinstance(record, dict):
            raise MalformedFileError(f"expected JSON objects, found {type(record).__name__}")
        columns.update(dict.fromkeys(record))
    return list(columns)


def to_bronze(raw: pl.DataFrame, *, source_file: str, ingested_at: datetime) -> pl.DataFrame:
    """Add lineage columns: the file a row came from, its 1-based position, when the file landed."""
    return raw.select(
        pl.all().cast(pl.String),
        pl.lit(source_file, dtype=pl.String).alias("_source_file"),
        pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("_row_number"),
        pl.lit(ingested_at, dtype=pl.Datetime("us", "UTC")).alias("_ingested_at"),
    )


def concat_bronze(frames: list[pl.DataFrame]) -> pl.DataFrame:
    """Stack files whose columns may differ (schema drift): missing columns become null."""
    if not frames:
        return pl.DataFrame(
            schema={"_source_file": pl.String, "_row_number": pl.Int64, "_ingested_at": pl.Datetime("us", "UTC")}
        )
    return pl.concat(frames, how="diagonal_relaxed")
