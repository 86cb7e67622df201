"""Silver: typed, validated, deduplicated tables; CDC applied for orders.

Generated from the registry: a batch table gets one asset; a CDC table gets its change history
(``<table>_history``) and its current state (``<table>``), the state built from yesterday's state
plus today's changes.
"""

import time

import dagster as dg
import polars as pl

from retail_platform.lake.keys import bronze_key, cleaned_key, silver_key
from retail_platform.lake.metadata import preview, previous_day, table_metadata
from retail_platform.lake.paths import cleaned_table, history_table, partition_file, quarantine_file
from retail_platform.lake.ranges import RANGE_BACKFILL, DailyResults, step_days
from retail_platform.lake.state import read_previous_partition
from retail_platform.lake.storage import LakeResource
from retail_platform.partitions import daily_partitions
from retail_platform.quality.checks import (
    CONSERVATION,
    conservation_specs,
    row_count_anomaly_results,
    silver_check_results,
    silver_check_specs,
    unique_key_result,
    unique_key_spec,
)
from retail_platform.sources.registry import TABLES, TableSpec
from retail_platform.transforms.cdc import apply_changes
from retail_platform.transforms.silver import SilverResult, clean, conservation_report


def clean_partition(lake: LakeResource, spec: TableSpec, day: str) -> tuple[SilverResult, dict[str, object], list]:
    """Clean one bronze partition, write silver and quarantine, and check what was written."""
    bronze = lake.read_parquet(partition_file("bronze", spec.table, day))
    result = clean(spec, bronze.lazy())
    table = cleaned_table(spec.table, cdc=spec.cdc is not None)
    silver_path, quarantine_path = partition_file("silver", table, day), quarantine_file(spec.table, day)
    size = lake.write_parquet(silver_path, result.silver)
    lake.write_parquet(quarantine_path, result.quarantine)

    # The checks read back what was written, not the in-memory frames.
    written, quarantined = lake.read_parquet(silver_path), lake.read_parquet(quarantine_path)
    report = conservation_report(spec, bronze, written, quarantined, result.duplicates_removed)
    key = cleaned_key(spec)
    checks = [
        dg.AssetCheckResult(
            check_name=CONSERVATION,
            asset_key=key,
            passed=bool(report["passed"]),
            metadata={k: v for k, v in report.items() if k != "passed"},
        ),
        unique_key_result(key, written, spec.primary_key),
        *silver_check_results(spec, key, written),
    ]
    reasons = (
        quarantined.group_by(pl.col("_quarantine_reason").str.split("; ").list.first().str.replace(r": .*$", ""))
        .len()
        .sort("len", descending=True)
    )
    metadata = {
        **table_metadata(written, uri=lake.uri(silver_path), size_bytes=size),
        "rows_in": result.rows_in,
        "rows_out": result.rows_out,
        "duplicates_removed": result.duplicates_removed,
        "rows_quarantined": result.rows_quarantined,
        "quarantine_uri": lake.uri(quarantine_path),
        "quarantine_reasons": preview(reasons.rename({"_quarantine_reason": "reason", "len": "rows"})),
    }
    return result, metadata, checks


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
        check_specs=conservation_specs(key, keys) + silver_check_specs(spec, key),
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
            _, metadata, checks = clean_partition(lake, spec, day.isoformat())
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
        check_specs=[unique_key_spec(key, cdc.entity_key), *silver_check_specs(spec, key, state=True)],
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
                [unique_key_result(key, state, cdc.entity_key), *silver_check_results(spec, key, state, state=True)],
            )
        yield from daily.events()

    return _state


silver_assets = [build_silver_asset(spec) for spec in TABLES] + [
    build_cdc_state_asset(spec) for spec in TABLES if spec.cdc
]
