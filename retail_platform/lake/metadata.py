"""What lake steps share: the I/O retry policy, the day before, and the metadata every
materialization reports (row count, URI, schema, a preview)."""

import time
from datetime import date

import dagster as dg
import polars as pl

PREVIEW_ROWS = 5

# I/O steps (landing, bronze, warehouse load) retry transient store/network errors: 1s, 2s, 4s,
# each +-jitter so that parallel steps hitting the same store do not retry in lockstep. This is the
# second layer: the S3 client already retries each request (lake/s3.py, RETRY_MODE), so a step
# fails on S3 only when one request kept failing for its 8 attempts (~35 s of throttling); its
# error names the object. A step retry re-runs the whole step: every lake write is idempotent.
IO_RETRY_POLICY = dg.RetryPolicy(max_retries=3, delay=1, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS)


def previous_day(day: date) -> date:
    return date.fromordinal(day.toordinal() - 1)


def preview(df: pl.DataFrame) -> dg.MetadataValue:
    """A markdown table of the first rows, for the UI."""
    head = df.head(PREVIEW_ROWS)
    if head.is_empty():
        return dg.MetadataValue.md("_no rows_")
    cells = head.select(pl.all().cast(pl.String).fill_null(""))
    lines = ["| " + " | ".join(cells.columns) + " |", "|" + "---|" * len(cells.columns)]
    lines += ["| " + " | ".join(str(v).replace("|", "\\|") for v in row) + " |" for row in cells.iter_rows()]
    return dg.MetadataValue.md("\n".join(lines))


def column_schema(df: pl.DataFrame) -> dg.TableSchema:
    """The frame's columns and Polars types, as the UI shows them and the schema-change check compares them."""
    return dg.TableSchema(columns=[dg.TableColumn(name, str(dtype)) for name, dtype in df.schema.items()])


def table_metadata(df: pl.DataFrame, *, uri: str, size_bytes: int, started: float | None = None) -> dict[str, object]:
    """``started``: ``time.monotonic()`` when the step began; reported as ``duration_s`` (a number, plotted)."""
    metadata: dict[str, object] = {
        "dagster/row_count": df.height,
        "dagster/uri": uri,
        "dagster/column_schema": column_schema(df),
        "bytes": size_bytes,
        "preview": preview(df),
    }
    if started is not None:
        metadata["duration_s"] = round(time.monotonic() - started, 3)
    return metadata
