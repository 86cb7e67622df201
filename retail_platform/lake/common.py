"""Small helpers shared by the lake layers' assets."""


from datetime import date

import dagster as dg
import polars as pl

PREVIEW_ROWS = 5


def partition_day(context: dg.AssetExecutionContext | dg.OpExecutionContext) -> date:
    return date.fromisoformat(context.partition_key)


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


def table_metadata(df: pl.DataFrame, *, uri: str, size_bytes: int) -> dict[str, object]:
    return {
        "dagster/row_count": df.height,
        "dagster/uri": uri,
        "bytes": size_bytes,
        "preview": preview(df),
    }
