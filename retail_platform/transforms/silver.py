"""Bronze -> silver: normalise, cast, validate, dedup. Pure Polars, no I/O, no Dagster.

Every bronze row ends in exactly one of three places: the silver table, the duplicates removed,
or the quarantine (with the reason). ``bronze = silver + duplicates + quarantined`` by construction.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from retail_platform.sources.registry import Column, TableSpec
from retail_platform.transforms.bronze import LINEAGE_COLUMNS

REASON = "_quarantine_reason"
# Deterministic tie-break when two versions share the ordering value: the later row in the later file.
_TIE_BREAK = ("_source_file", "_row_number")

_TIMESTAMP_FORMATS = ("%Y-%m-%dT%H:%M:%S%.fZ", "%Y-%m-%dT%H:%M:%S%.f%:z", "%Y-%m-%dT%H:%M:%S%.f")
_TRUE = ("true", "t", "yes", "y", "1")
_FALSE = ("false", "f", "no", "n", "0")


@dataclass(frozen=True)
class SilverResult:
    silver: pl.DataFrame
    quarantine: pl.DataFrame
    rows_in: int
    duplicates_removed: int

    @property
    def rows_out(self) -> int:
        return self.silver.height

    @property
    def rows_quarantined(self) -> int:
        return self.quarantine.height


def normalised_text(column: Column) -> pl.Expr:
    """Trim, turn empty strings into null, apply the declared case."""
    text = pl.col(column.name).cast(pl.String).str.strip_chars()
    text = pl.when(text == "").then(None).otherwise(text)
    if column.case == "lower":
        text = text.str.to_lowercase()
    elif column.case == "upper":
        text = text.str.to_uppercase()
    return text


def parse_timestamp(text: pl.Expr) -> pl.Expr:
    """ISO 8601 in the variants exports use (``T`` or space, optional fraction, ``Z``/offset/naive=UTC)."""
    iso = text.str.replace(r"^(\d{4}-\d{2}-\d{2}) ", "${1}T")
    return pl.coalesce(
        [iso.str.to_datetime(fmt, strict=False, time_unit="us", time_zone="UTC") for fmt in _TIMESTAMP_FORMATS]
    )


def typed(column: Column, text: pl.Expr) -> pl.Expr:
    """The text cast to the declared type; null where it does not parse."""
    dtype = column.dtype
    if dtype == pl.String:
        return text
    if isinstance(dtype, pl.Datetime) or dtype == pl.Datetime:
        return parse_timestamp(text)
    if dtype == pl.Date:
        return text.str.to_date("%Y-%m-%d", strict=False)
    if dtype == pl.Boolean:
        lowered = text.str.to_lowercase()
        return pl.when(lowered.is_in(_TRUE)).then(True).when(lowered.is_in(_FALSE)).then(False).otherwise(None)
    if isinstance(dtype, pl.Decimal):
        # A cast would silently truncate extra digits ("12.345" -> 12.34): more precision than the
        # column holds is invalid, not rounded.
        scale = dtype.scale or 0
        fraction = rf"(\.\d{{1,{scale}}})?" if scale else ""
        return pl.when(text.str.contains(rf"^[+-]?\d+{fraction}$")).then(text.cast(dtype, strict=False))
    return text.cast(dtype, strict=False)


def quarantine_reasons(spec: TableSpec, frame: pl.LazyFrame) -> pl.LazyFrame:
    """Add normalised text, typed values and the reasons a row cannot enter silver.

    Keeps the raw columns as they are and adds ``<col>__text`` (normalised), ``<col>__value``
    (typed) and ``_quarantine_reason`` (null for a valid row, otherwise every failed rule joined
    by ``; ``). A declared column missing from the file counts as all null.
    """
    present = set(frame.collect_schema().names())
    frame = frame.with_columns(
        pl.lit(None, dtype=pl.String).alias(c.name) for c in spec.columns if c.name not in present
    )
    frame = frame.with_columns(normalised_text(c).alias(f"{c.name}__text") for c in spec.columns)
    frame = frame.with_columns(typed(c, pl.col(f"{c.name}__text")).alias(f"{c.name}__value") for c in spec.columns)

    reasons: list[pl.Expr] = []
    for c in spec.columns:
        text, value = pl.col(f"{c.name}__text"), pl.col(f"{c.name}__value")
        if c.required:
            reasons.append(pl.when(text.is_null()).then(pl.lit(f"missing required {c.name}")))
        if c.dtype != pl.String:
            reasons.append(
                pl.when(text.is_not_null() & value.is_null()).then(
                    pl.format("invalid {} for {}: '{}'", pl.lit(_type_name(c)), pl.lit(c.name), text)
                )
            )
        if c.accepted is not None:
            reasons.append(
                pl.when(value.is_not_null() & ~value.is_in(c.accepted)).then(
                    pl.format("unexpected {}: '{}'", pl.lit(c.name), text)
                )
            )
        if c.min_value is not None:
            reasons.append(
                pl.when(value.is_not_null() & (value < c.min_value)).then(
                    pl.format("{} below {}: {}", pl.lit(c.name), pl.lit(c.min_value), text)
                )
            )
    reason = pl.concat_str(reasons, separator="; ", ignore_nulls=True) if reasons else pl.lit(None)
    return frame.with_columns(pl.when(reason != "").then(reason).otherwise(None).alias(REASON))


def _type_name(column: Column) -> str:
    dtype = column.dtype
    if isinstance(dtype, pl.Decimal):
        return "decimal"
    if isinstance(dtype, pl.Datetime) or dtype == pl.Datetime:
        return "timestamp"
    return str(dtype).lower()


def latest_per_key(frame: pl.LazyFrame, keys: tuple[str, ...] | list[str], ordering: str) -> pl.LazyFrame:
    """Keep one row per key: the one with the greatest ordering value (re-sent rows carry a later
    ``updated_at`` and the corrected values). Idempotent, and independent of input order."""
    tie_break = [c for c in _TIE_BREAK if c in frame.collect_schema().names()]
    return (
        frame.sort(
            [*keys, ordering, *tie_break],
            descending=[False] * len(keys) + [True] * (1 + len(tie_break)),
            nulls_last=True,
        )
        .unique(subset=list(keys), keep="first", maintain_order=True)
        .sort(list(keys))
    )


def clean(spec: TableSpec, bronze: pl.LazyFrame) -> SilverResult:
    """Split a bronze partition into silver rows, duplicates removed and quarantined rows."""
    checked = quarantine_reasons(spec, bronze)
    names = checked.collect_schema().names()
    lineage = [c for c in LINEAGE_COLUMNS if c in names]
    bronze_columns = [c for c in bronze.collect_schema().names() if c not in LINEAGE_COLUMNS]

    quarantine = checked.filter(pl.col(REASON).is_not_null()).select(
        # Quarantine keeps the raw text exactly as it landed, so the row can be fixed and replayed.
        *bronze_columns,
        *lineage,
        REASON,
    )
    valid = checked.filter(pl.col(REASON).is_null()).select(
        *(pl.col(f"{name}__value").alias(name) for name in spec.column_names), *lineage
    )
    silver = latest_per_key(valid, spec.primary_key, spec.ordering_column)
    # One plan, shared work (the parse/validate runs once), on the streaming engine: measured by
    # bench/bench_silver.py on 2M pos lines it cleans 1.55x faster and peaks ~40% lower than the
    # in-memory engine for this query.
    silver_df, quarantine_df, rows_in, valid_rows = pl.collect_all(
        [silver, quarantine, checked.select(pl.len()), valid.select(pl.len())], engine="streaming"
    )
    return SilverResult(
        silver=silver_df,
        quarantine=quarantine_df,
        rows_in=rows_in.item(),
        duplicates_removed=valid_rows.item() - silver_df.height,
    )


def conservation_report(
    spec: TableSpec, bronze: pl.DataFrame, silver: pl.DataFrame, quarantine: pl.DataFrame, duplicates_removed: int
) -> dict[str, int | bool]:
    """Check ``bronze = silver + duplicates + quarantined`` on the written data, through lineage:
    every silver and quarantined row traces back to a distinct bronze row, and every bronze row
    in neither is a valid older/identical version of a key that silver kept (a real duplicate)."""
    lineage = list(_TIE_BREAK)
    bronze_rows = bronze.select(lineage).unique()
    kept = pl.concat([silver.select(lineage), quarantine.select(lineage)])
    untraceable = kept.join(bronze_rows, on=lineage, how="anti").height
    repeated = kept.height - kept.unique().height
    removed = bronze.join(kept, on=lineage, how="anti")
    keys = list(spec.primary_key)
    removed_keys = (
        quarantine_reasons(spec, removed.lazy())
        .select(*(pl.col(f"{k}__value").alias(k) for k in keys), REASON)
        .collect()
    )
    lost = (
        removed_keys.filter(pl.col(REASON).is_not_null()).height
        + removed_keys.filter(pl.col(REASON).is_null())
        .select(keys)
        .join(silver.select(keys).unique(), on=keys, how="anti")
        .height
    )
    unexplained = bronze.height - silver.height - quarantine.height - duplicates_removed
    return {
        "bronze_rows": bronze.height,
        "silver_rows": silver.height,
        "quarantined_rows": quarantine.height,
        "duplicates_removed": duplicates_removed,
        "unexplained_rows": unexplained,
        "untraceable_rows": untraceable,
        "rows_kept_twice": repeated,
        "lost_rows": lost,
        "passed": unexplained == 0
        and untraceable == 0
        and repeated == 0
        and lost == 0
        and duplicates_removed == removed.height,
    }


def duplicate_keys(frame: pl.DataFrame, keys: tuple[str, ...] | list[str]) -> int:
    """How many rows share their key with an earlier row (0 for a table with unique keys)."""
    return frame.height - frame.select(list(keys)).unique().height


def null_keys(frame: pl.DataFrame, keys: tuple[str, ...] | list[str]) -> int:
    return frame.filter(pl.any_horizontal(pl.col(k).is_null() for k in keys)).height
