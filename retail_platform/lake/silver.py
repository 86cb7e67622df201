"""Silver: typed, validated, deduplicated tables; CDC applied for orders.

Generated from the registry: a batch table gets one asset; a CDC table gets its change history
(``<table>_history``) and its current state (``<table>``), the state built from yesterday's state
plus today's changes.
"""

import time
from datetime import date, timedelta

import dagster as dg
import polars as pl

from retail_platform.lake import paths
from retail_platform.lake.bronze import bronze_key
from retail_platform.lake.common import partition_day, preview, previous_day, table_metadata
from retail_platform.lake.paths import partition_file, quarantine_file
from retail_platform.lake.storage import LakeResource
from retail_platform.partitions import daily_partitions
from retail_platform.quality.checks import row_count_anomaly_result, silver_check_results, silver_check_specs
from retail_platform.sources.registry import TABLES, TableSpec
from retail_platform.transforms.cdc import apply_changes
from retail_platform.transforms.silver import SilverResult, clean, conservation_report, duplicate_keys, null_keys

CONSERVATION = "row_conservation"
# How far back a self-dependent asset looks for an earlier state before treating a day as the first.
GAP_LOOKBACK_DAYS = 31
UNIQUE_KEY = "unique_key"


def silver_key(table: str) -> dg.AssetKey:
    return dg.AssetKey(["silver", table])


def history_table(spec: TableSpec) -> str:
    return paths.history_table(spec.table)


def _cleaned_table(spec: TableSpec) -> str:
    return paths.cleaned_table(spec.table, cdc=spec.cdc is not None)


def _quality_checks(key: dg.AssetKey, keys: tuple[str, ...]) -> list[dg.AssetCheckSpec]:
    return [
        # Blocking: a partition that lost or invented rows must not feed gold or the warehouse.
        dg.AssetCheckSpec(
            CONSERVATION,
            asset=key,
            blocking=True,
            description="bronze rows = silver rows + duplicates removed + quarantined rows, traced by lineage",
        ),
        dg.AssetCheckSpec(
            UNIQUE_KEY, asset=key, blocking=True, description=f"exactly one row per ({', '.join(keys)}), no null key"
        ),
    ]


def _key_check(key: dg.AssetKey, frame: pl.DataFrame, keys: tuple[str, ...]) -> dg.AssetCheckResult:
    duplicated, nulls = duplicate_keys(frame, keys), null_keys(frame, keys)
    return dg.AssetCheckResult(
        check_name=UNIQUE_KEY,
        asset_key=key,
        passed=duplicated == 0 and nulls == 0,
        metadata={"duplicate_key_rows": duplicated, "null_key_rows": nulls, "key": ", ".join(keys)},
    )


def clean_partition(lake: LakeResource, spec: TableSpec, day: str) -> tuple[SilverResult, dict[str, object], list]:
    """Clean one bronze partition, write silver and quarantine, and check what was written."""
    bronze = lake.read_parquet(partition_file("bronze", spec.table, day))
    result = clean(spec, bronze.lazy())
    table = _cleaned_table(spec)
    silver_path, quarantine_path = partition_file("silver", table, day), quarantine_file(spec.table, day)
    size = lake.write_parquet(silver_path, result.silver)
    lake.write_parquet(quarantine_path, result.quarantine)

    # The checks read back what was written, not the in-memory frames.
    written, quarantined = lake.read_parquet(silver_path), lake.read_parquet(quarantine_path)
    report = conservation_report(spec, bronze, written, quarantined, result.duplicates_removed)
    key = silver_key(table)
    checks = [
        dg.AssetCheckResult(
            check_name=CONSERVATION,
            asset_key=key,
            passed=bool(report["passed"]),
            metadata={k: v for k, v in report.items() if k != "passed"},
        ),
        _key_check(key, written, spec.primary_key),
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
    key = silver_key(_cleaned_table(spec))
    keys = spec.primary_key

    @dg.asset(
        key=key,
        deps=[bronze_key(spec)],
        partitions_def=daily_partitions,
        group_name="silver",
        kinds={"polars", "parquet"},
        check_specs=_quality_checks(key, keys) + silver_check_specs(spec, key),
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
    key, history = silver_key(spec.table), silver_key(history_table(spec))

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
        check_specs=[
            dg.AssetCheckSpec(
                UNIQUE_KEY, asset=key, blocking=True, description=f"exactly one row per ({', '.join(cdc.entity_key)})"
            ),
            *silver_check_specs(spec, key, state=True),
        ],
        description=f"Current state of every `{spec.table}` row at the end of the day: the event with the "
        f"greatest `{cdc.sequence_column}` per ({', '.join(cdc.entity_key)}); deletes kept as `is_deleted` tombstones.",
    )
    def _state(context: dg.AssetExecutionContext, lake: LakeResource):
        started, day = time.monotonic(), partition_day(context)
        changes = lake.read_parquet(partition_file("silver", history_table(spec), day.isoformat()))
        previous = read_previous_partition(lake, spec, spec.table, day.isoformat(), previous_day(day).isoformat())
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
        yield _key_check(key, written, cdc.entity_key)
        yield from silver_check_results(spec, key, written, state=True)

    return _state


def read_previous_partition(
    lake: LakeResource, spec: TableSpec, table: str, day: str, previous: str, layer: str = "silver"
) -> pl.DataFrame | None:
    """Yesterday's partition of a self-dependent asset, or None when there is nothing before
    this day (the first landed day). Missing while yesterday was landed, or while an earlier
    partition exists (a gap), is an error: starting from empty would silently drop every row
    not touched today."""
    path = partition_file(layer, table, previous)
    if lake.exists(path):
        return lake.read_parquet(path)
    if lake.exists(partition_file("bronze", spec.table, previous)):
        raise dg.Failure(
            f"{layer}/{table} for {day} needs yesterday's partition ({previous}), which is missing at "
            f"{lake.uri(path)} although bronze/{spec.table} has data for {previous}. "
            f"Materialize {layer}/{table} for {previous} first (or backfill the range in order)."
        )
    earlier = date.fromisoformat(previous)
    for _ in range(GAP_LOOKBACK_DAYS):
        earlier -= timedelta(days=1)
        if lake.exists(partition_file(layer, table, earlier.isoformat())):
            raise dg.Failure(
                f"{layer}/{table} for {day} needs yesterday's partition ({previous}), but the state stops at "
                f"{earlier}: days {earlier + timedelta(days=1)} .. {previous} are missing. Backfill them in order "
                f"(landing through {layer}/{table}) before {day}."
            )
    return None


silver_assets = [build_silver_asset(spec) for spec in TABLES] + [
    build_cdc_state_asset(spec) for spec in TABLES if spec.cdc
]
