"""Silver: typed, validated, deduplicated tables; CDC applied for orders.

Generated from the registry: a batch table gets one asset; a CDC table gets its change history
(``<table>_history``) and its current state (``<table>``), the state built from yesterday's state
plus today's changes.
"""

import time

import dagster as dg
import polars as pl

from retail_platform.lake.keys import bronze_key, cleaned_key, silver_key
from retail_platform.lake.metadata import partition_day, preview, previous_day, table_metadata
from retail_platform.lake.paths import cleaned_table, history_table, partition_file, quarantine_file
from retail_platform.lake.state import read_previous_partition
from retail_platform.lake.storage import LakeResource
from retail_platform.partitions import daily_partitions
from retail_platform.quality.checks import (
    CONSERVATION,
    conservation_specs,
    row_count_anomaly_result,
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
        started, day = time.monotonic(), partition_day(context)
        _, metadata, checks = clean_partition(lake, spec, day.isoformat())
        yield dg.MaterializeResult(metadata={**metadata, "duration_s": round(time.monotonic() - started, 3)})
        yield from checks
        yield row_count_anomaly_result(context.instance, key, day, int(metadata["dagster/row_count"]))

    return _silver


def build_cdc_state_asset(spec: TableSpec) -> dg.AssetsDefinition:
    cdc = spec.cdc
    assert cdc is not None
    key, history = silver_key(spec.table), cleaned_key(spec)

    @dg.asset(
        key=key,
        deps=[
            history,
            # Yesterday's state: a self-dependency, so backfills build the days in order.
            dg.AssetDep(key, partition_mapping=dg.TimeWindowPartitionMapping(start_offset=-1, end_offset=-1)),
        ],
        partitions_def=daily_partitions,
        group_name="silver",
        kinds={"polars", "parquet"},
        check_specs=[unique_key_spec(key, cdc.entity_key), *silver_check_specs(spec, key, state=True)],
        description=f"Current state of every `{spec.table}` row at the end of the day: the event with the "
        f"greatest `{cdc.sequence_column}` per ({', '.join(cdc.entity_key)}); deletes kept as `is_deleted` tombstones.",
    )
    def _state(context: dg.AssetExecutionContext, lake: LakeResource):
        started, day = time.monotonic(), partition_day(context)
        changes = lake.read_parquet(partition_file("silver", history_table(spec.table), day.isoformat()))
        previous = read_previous_partition(lake, spec.table, spec.table, day.isoformat(), previous_day(day).isoformat())
        state = apply_changes(previous, changes, cdc)
        path = partition_file("silver", spec.table, day.isoformat())
        size = lake.write_parquet(path, state)
        written = lake.read_parquet(path)
        touched = changes.select(cdc.entity_key).unique().height
        yield dg.MaterializeResult(
            metadata={
                **table_metadata(written, uri=lake.uri(path), size_bytes=size, started=started),
                "rows_in": changes.height,
                "rows_out": written.height,
                "entities_changed": touched,
                "entities_deleted": int(written["is_deleted"].sum()),
                "previous_state_rows": 0 if previous is None else previous.height,
            }
        )
        yield unique_key_result(key, written, cdc.entity_key)
        yield from silver_check_results(spec, key, written, state=True)

    return _state


silver_assets = [build_silver_asset(spec) for spec in TABLES] + [
    build_cdc_state_asset(spec) for spec in TABLES if spec.cdc
]
