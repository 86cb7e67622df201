"""Silver: typed, validated, deduplicated tables; CDC applied for orders.

Generated from the registry: a batch table gets one asset; a CDC table gets its change history
(``<table>_history``) and its current state (``<table>``), the state built from yesterday's state
plus today's changes.
"""

import time
from dataclasses import dataclass
from datetime import date

import dagster as dg
import polars as pl

from retail_platform.lake.buckets import ROWS_PER_BUCKET, bucket_count, key_buckets, merged_check_results, parquet_rows
from retail_platform.lake.keys import bronze_key, cleaned_key, silver_key
from retail_platform.lake.metadata import PREVIEW_ROWS, preview, previous_day, table_metadata
from retail_platform.lake.paths import cleaned_table, history_table, partition_dir, partition_file, quarantine_file
from retail_platform.lake.ranges import RANGE_BACKFILL, DailyResults, step_days
from retail_platform.lake.state import read_previous_partition
from retail_platform.lake.storage import LakeResource
from retail_platform.partitions import daily_partitions
from retail_platform.quality import rules
from retail_platform.quality.checks import (
    CONSERVATION,
    Feed,
    conservation_specs,
    feed_check_results,
    feed_check_specs,
    row_count_anomaly_results,
    sequence_step_result,
    sequence_step_spec,
    silver_check_results,
    silver_check_specs,
    unique_key_result,
    unique_key_spec,
)
from retail_platform.sources.registry import TABLES, TableSpec
from retail_platform.transforms.bronze import LINEAGE_COLUMNS, skip_reason
from retail_platform.transforms.cdc import apply_changes
from retail_platform.transforms.silver import SilverResult, clean, conservation_report


def clean_partition(
    lake: LakeResource, spec: TableSpec, day: str, rows_per_bucket: int = ROWS_PER_BUCKET
) -> tuple[dict[str, object], list[dg.AssetCheckResult]]:
    """Clean one bronze partition, write silver and quarantine, and check what was written.
    A partition of more than ``rows_per_bucket`` rows in a local lake is cleaned in key-hash
    buckets, one in memory at a time (``lake/buckets.py``)."""
    bronze_key = partition_file("bronze", spec.table, day)
    table = cleaned_table(spec.table, cdc=spec.cdc is not None)
    silver_path, quarantine_path = partition_file("silver", table, day), quarantine_file(spec.table, day)
    business_day = date.fromisoformat(day)
    local = lake.local_path(bronze_key)
    buckets = bucket_count(parquet_rows(local), rows_per_bucket) if local is not None else 1
    if buckets == 1:
        bronze = lake.read_parquet(bronze_key)
        result = clean(spec, bronze.lazy(), business_day)
        size = lake.write_parquet(silver_path, result.silver)
        lake.write_parquet(quarantine_path, result.quarantine)
        checks = check_results(spec, bronze, result, business_day)
        cleaned = [Cleaned.of(result, spec, business_day)]
        feed = feed_of(lake, spec, day, cleaned, bronze.columns, bronze["_source_file"].unique().sort().to_list())
        return partition_metadata(lake, silver_path, quarantine_path, size, cleaned), [
            *checks,
            *feed_check_results(spec, cleaned_key(spec), feed, day),
        ]

    results, checks = [], []
    with lake.parquet_parts(silver_path) as silver, lake.parquet_parts(quarantine_path) as quarantine:
        for bronze in key_buckets(spec, local, buckets):
            result = clean(spec, bronze.lazy(), business_day)
            checks.append(check_results(spec, bronze, result, business_day))
            silver.append(result.silver)
            quarantine.append(result.quarantine)
            results.append(Cleaned.of(result, spec, business_day))
            del bronze, result
    scan = pl.scan_parquet(local)
    files = scan.select(pl.col("_source_file").unique().sort()).collect()["_source_file"].to_list()
    feed = feed_of(lake, spec, day, results, scan.collect_schema().names(), files)
    return partition_metadata(lake, silver_path, quarantine_path, silver.size, results), [
        *merged_check_results(checks),
        *feed_check_results(spec, cleaned_key(spec), feed, day),
    ]


def feed_of(
    lake: LakeResource, spec: TableSpec, day: str, results: list["Cleaned"], columns: list[str], files: list[str]
) -> Feed:
    """The day's feed as the feed checks judge it. An empty feed has no lineage to name its
    files: they are listed from the landing folder, as bronze reads it (the files it skips are
    not the feed's)."""
    if not files:
        found = lake.list_files(partition_dir("landing", spec.table, day, source=spec.source))
        files = [key for key in found if skip_reason(key.rsplit("/", 1)[-1], spec.file_format) is None]
    return Feed(
        rows=sum(r.rows_in for r in results),
        quarantined=sum(r.rows_quarantined for r in results),
        silver_rows=sum(r.rows_out for r in results),
        late_rows=sum(r.late_rows for r in results),
        columns=tuple(c for c in columns if c not in LINEAGE_COLUMNS),
        files=tuple(files),
    )


def check_results(
    spec: TableSpec, bronze: pl.DataFrame, result: SilverResult, day: date | None = None
) -> list[dg.AssetCheckResult]:
    """The silver checks of one cleaned partition (or bucket). They run on the frames just
    written, not on a read-back: the write is atomic and Parquet round-trips these types, so a
    read-back would only cost its time and memory."""
    key = cleaned_key(spec)
    report = conservation_report(spec, bronze, result.silver, result.quarantine, result.duplicates_removed, day)
    return [
        dg.AssetCheckResult(
            check_name=CONSERVATION,
            asset_key=key,
            passed=bool(report["passed"]),
            metadata={k: v for k, v in report.items() if k != "passed"},
        ),
        unique_key_result(key, result.silver, spec.primary_key),
        *silver_check_results(spec, key, result.silver),
    ]


@dataclass(frozen=True)
class Cleaned:
    """What the metadata needs of a cleaned partition or bucket once it is written: counts and a
    few rows, copied (a slice or a group-by of a bucket's frames would keep its buffers alive)."""

    rows_in: int
    rows_out: int
    duplicates_removed: int
    rows_quarantined: int
    reasons: dict[str, int]  # rows quarantined per first reason
    head: pl.DataFrame  # the first silver rows: the preview, and the schema
    late_rows: int = 0  # silver rows whose declared business time is before the day

    @classmethod
    def of(cls, result: SilverResult, spec: TableSpec | None = None, day: date | None = None) -> "Cleaned":
        head = result.silver.head(PREVIEW_ROWS)
        first_reason = pl.col("_quarantine_reason").str.split("; ").list.first().str.replace(r": .*$", "")
        reasons = result.quarantine.group_by(first_reason).len()
        return cls(
            rows_in=result.rows_in,
            rows_out=result.rows_out,
            duplicates_removed=result.duplicates_removed,
            rows_quarantined=result.rows_quarantined,
            reasons=dict(reasons.iter_rows()),
            head=pl.DataFrame(head.to_dicts(), schema=head.schema),
            late_rows=rules.late_rows(result.silver, spec.feed.late_column, day) if spec and day else 0,
        )


def partition_metadata(
    lake: LakeResource, silver_path: str, quarantine_path: str, size: int, results: list[Cleaned]
) -> dict[str, object]:
    reasons: dict[str, int] = {}
    for result in results:
        for reason, rows in result.reasons.items():
            reasons[reason] = reasons.get(reason, 0) + rows
    by_rows = pl.DataFrame(
        sorted(reasons.items(), key=lambda item: -item[1]),
        schema={"reason": pl.String, "rows": pl.UInt32},
        orient="row",
    )
    rows_out = sum(r.rows_out for r in results)
    return {
        **table_metadata(results[0].head, uri=lake.uri(silver_path), size_bytes=size),
        "dagster/row_count": rows_out,
        "rows_in": sum(r.rows_in for r in results),
        "rows_out": rows_out,
        "duplicates_removed": sum(r.duplicates_removed for r in results),
        "rows_quarantined": sum(r.rows_quarantined for r in results),
        "quarantine_uri": lake.uri(quarantine_path),
        "quarantine_reasons": preview(by_rows),
        **({"buckets": len(results)} if len(results) > 1 else {}),
    }


def build_silver_asset(spec: TableSpec) -> dg.AssetsDefinition:
    key = cleaned_key(spec)
    keys = spec.primary_key

    @dg.asset(
        key=key,
        deps=[bronze_key(spec)],
        partitions_def=daily_partitions,
        backfill_policy=RANGE_BACKFILL,
        group_name="silver",
        kinds={"polars", "parquet"},
        check_specs=conservation_specs(key, keys) + silver_check_specs(spec, key) + feed_check_specs(spec, key),
        description=(
            f"`{spec.table}` change events, cleaned and deduplicated by LSN (the change history)."
            if spec.cdc
            else f"`{spec.table}` typed, validated, latest version per ({', '.join(keys)}) by `{spec.ordering_column}`."
        )
        + f" Rejected rows go to silver/_quarantine/{spec.table} with a reason.",
    )
    def _silver(context: dg.AssetExecutionContext, lake: LakeResource):
        daily, row_counts = DailyResults(context), {}
        for day in step_days(context):
            started = time.monotonic()
            metadata, checks = clean_partition(lake, spec, day.isoformat())
            daily.materialized(key, day, {**metadata, "duration_s": round(time.monotonic() - started, 3)})
            daily.checked(day, checks)
            row_counts[day] = int(metadata["dagster/row_count"])
        for day, result in row_count_anomaly_results(context.instance, key, row_counts).items():
            daily.checked(day, [result])
        yield from daily.events()

    return _silver


def build_cdc_state_asset(spec: TableSpec) -> dg.AssetsDefinition:
    cdc = spec.cdc
    assert cdc is not None
    key, history = silver_key(spec.table), cleaned_key(spec)

    @dg.asset(
        key=key,
        # Yesterday's state is read from the lake, not declared as a self-dependency: Dagster's
        # backfill planner runs a self-dependent asset alone, one run per layer. A range step builds
        # its days in order, and a day whose yesterday is missing fails, naming it.
        deps=[history],
        partitions_def=daily_partitions,
        backfill_policy=RANGE_BACKFILL,
        group_name="silver",
        kinds={"polars", "parquet"},
        check_specs=[
            unique_key_spec(key, cdc.entity_key),
            *silver_check_specs(spec, key, state=True),
            sequence_step_spec(key, cdc),
        ],
        description=f"Current state of every `{spec.table}` row at the end of the day: the event with the "
        f"greatest `{cdc.sequence_column}` per ({', '.join(cdc.entity_key)}); deletes kept as `is_deleted` tombstones.",
    )
    def _state(context: dg.AssetExecutionContext, lake: LakeResource):
        daily, days = DailyResults(context), step_days(context)
        # The first day starts from the lake's yesterday; every later day from the day before it,
        # carried in memory: one day's state at a time.
        state = read_previous_partition(
            lake, spec.table, spec.table, days[0].isoformat(), previous_day(days[0]).isoformat()
        )
        for day in days:
            started, previous = time.monotonic(), state
            changes = lake.read_parquet(partition_file("silver", history_table(spec.table), day.isoformat()))
            path = partition_file("silver", spec.table, day.isoformat())
            size = lake.write_parquet(path, apply_changes(previous, changes, cdc))
            state = lake.read_parquet(path)  # what was written is what is checked and carried forward
            metadata = {
                **table_metadata(state, uri=lake.uri(path), size_bytes=size, started=started),
                "rows_in": changes.height,
                "rows_out": state.height,
                "entities_changed": changes.select(cdc.entity_key).unique().height,
                "entities_deleted": int(state["is_deleted"].sum()),
                "previous_state_rows": 0 if previous is None else previous.height,
            }
            daily.materialized(key, day, metadata)
            daily.checked(
                day,
                [
                    unique_key_result(key, state, cdc.entity_key),
                    *silver_check_results(spec, key, state, state=True),
                    sequence_step_result(key, cdc, previous, changes, day.isoformat()),
                ],
            )
        yield from daily.events()

    return _state


silver_assets = [build_silver_asset(spec) for spec in TABLES] + [
    build_cdc_state_asset(spec) for spec in TABLES if spec.cdc
]
