"""Asset checks generated from the source registry, on top of the pure rules in ``rules`` and
``stats``. The silver assets run the per-partition checks in their own step (they already hold
the written frame); checks that need another asset (referential integrity) are separate steps.

Blocking (a failure stops the partition's downstream assets, dbt included): not-null keys,
accepted values, referential integrity. Not blocking (severity WARN): row-count anomaly and
schema change: an unusual day or a new column deserves a look, not a stopped pipeline.
"""

from datetime import date

import dagster as dg
import polars as pl

from retail_platform.lake.paths import partition_file, quarantine_file
from retail_platform.lake.storage import LakeResource
from retail_platform.partitions import daily_partitions
from retail_platform.quality import rules, stats
from retail_platform.sources.registry import TABLES, TableSpec

NOT_NULL_KEYS = "not_null_keys"
ACCEPTED_VALUES = "accepted_values"
ROW_COUNT_ANOMALY = "row_count_anomaly"
REFERENTIAL_INTEGRITY = "referential_integrity"


# --- what the registry says -------------------------------------------------------------------


def key_columns(spec: TableSpec, *, state: bool = False) -> list[str]:
    """The columns a row cannot do without to be joined: the key, declared foreign keys and every
    required ``*_id``. The CDC state is keyed by its entity key instead of the event's LSN."""
    primary = list(spec.cdc.entity_key) if state and spec.cdc else list(spec.primary_key)
    ids = [c.name for c in spec.columns if c.required and c.name.endswith("_id")]
    return list(dict.fromkeys([*primary, *spec.foreign_keys, *ids]))


def accepted_values(spec: TableSpec) -> dict[str, tuple[str, ...]]:
    return {c.name: c.accepted for c in spec.columns if c.accepted is not None}


# --- checks run by the silver assets' own step ------------------------------------------------


def silver_check_specs(spec: TableSpec, key: dg.AssetKey, *, state: bool = False) -> list[dg.AssetCheckSpec]:
    specs = [
        # Blocking: gold and the warehouse join on these keys; a null one silently drops rows there.
        dg.AssetCheckSpec(
            NOT_NULL_KEYS,
            asset=key,
            blocking=True,
            description=f"no null in ({', '.join(key_columns(spec, state=state))})",
        ),
    ]
    if accepted_values(spec):
        # Blocking: status and currency drive the FX conversion and the order KPIs downstream.
        specs.append(
            dg.AssetCheckSpec(
                ACCEPTED_VALUES,
                asset=key,
                blocking=True,
                description="only declared values in " + ", ".join(accepted_values(spec)),
            )
        )
    if not state:  # the CDC state is cumulative: its size follows the history, not the day's feed
        specs.append(
            dg.AssetCheckSpec(
                ROW_COUNT_ANOMALY,
                asset=key,
                description=f"row count within {stats.THRESHOLD:g} robust deviations (MAD) of the median of the last "
                f"{stats.COMPARABLE_DAYS} same-kind days (weekday/weekend); skipped with fewer than "
                f"{stats.MIN_HISTORY} such days",
            )
        )
    return specs


def silver_check_results(
    spec: TableSpec, key: dg.AssetKey, written: pl.DataFrame, *, state: bool = False
) -> list[dg.AssetCheckResult]:
    nulls = rules.null_counts(written, key_columns(spec, state=state))
    results = [
        dg.AssetCheckResult(
            check_name=NOT_NULL_KEYS,
            asset_key=key,
            passed=sum(nulls.values()) == 0,
            metadata={
                "rows": written.height,
                "null_key_values": sum(nulls.values()),
                **{f"nulls_{c}": n for c, n in nulls.items()},
            },
        )
    ]
    if accepted_values(spec):
        unexpected = rules.unexpected_values(written, accepted_values(spec))
        results.append(
            dg.AssetCheckResult(
                check_name=ACCEPTED_VALUES,
                asset_key=key,
                passed=not unexpected,
                metadata={
                    "rows": written.height,
                    "unexpected_rows": sum(n for found in unexpected.values() for n in found.values()),
                    "unexpected_values": dg.MetadataValue.json(unexpected),
                    "columns": ", ".join(accepted_values(spec)),
                },
            )
        )
    return results


def row_count_history(instance: dg.DagsterInstance, key: dg.AssetKey, days: list[date]) -> dict[date, int]:
    """``dagster/row_count`` of the latest materialization of each of ``days`` (when there is one)."""
    if not days:
        return {}
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=key, asset_partitions=[d.isoformat() for d in days]),
        limit=10 * len(days),
    ).records
    history: dict[date, int] = {}
    for record in records:  # newest first: the first seen per partition is its current state
        materialization = record.asset_materialization
        if materialization is None or materialization.partition is None:
            continue
        day = date.fromisoformat(materialization.partition)
        count = materialization.metadata.get("dagster/row_count")
        if day not in history and count is not None:
            history[day] = int(count.value)
    return history


def row_count_anomaly_result(
    instance: dg.DagsterInstance, key: dg.AssetKey, day: date, row_count: int
) -> dg.AssetCheckResult:
    history = row_count_history(instance, key, stats.comparable_days(day))
    verdict = stats.row_count_anomaly(day, row_count, history)
    return dg.AssetCheckResult(
        check_name=ROW_COUNT_ANOMALY,
        asset_key=key,
        passed=not verdict.anomalous,
        severity=dg.AssetCheckSeverity.WARN,
        metadata=verdict.as_metadata(),
        description="not enough comparable days of history: skipped" if verdict.skipped else None,
    )


# --- referential integrity: separate steps, they need the parent asset ------------------------


def _reference(
    child: tuple[str, str], column: str, parent: tuple[str, str], quarantine_of: str, parent_column: str | None = None
) -> dict:
    return {
        "child": child,
        "column": column,
        "parent": parent,
        "quarantine_of": quarantine_of,
        "parent_column": parent_column or column,
    }


REFERENCES: tuple[dict, ...] = (
    # Declared in the registry: silver child -> silver parent of the same day.
    *(
        _reference(("silver", spec.table), column, ("silver", parent), parent)
        for spec in TABLES
        for column, parent in spec.foreign_keys.items()
    ),
    # Items of an order must belong to an order in the day's orders state.
    _reference(("silver", "order_items"), "order_id", ("silver", "orders"), "orders"),
    # Every sale line must name a product of the day's catalog (products land as a full export).
    _reference(("gold", "sales"), "product_id", ("silver", "products"), "products"),
)


def _reference_check(ref: dict) -> dg.AssetChecksDefinition:
    child_key, parent_key = dg.AssetKey(list(ref["child"])), dg.AssetKey(list(ref["parent"]))
    column, parent_column = ref["column"], ref["parent_column"]

    @dg.asset_check(
        asset=child_key,
        name=f"{REFERENTIAL_INTEGRITY}_{column}",
        additional_deps=[parent_key],
        partitions_def=daily_partitions,
        # Blocking: a row pointing nowhere is lost (or mis-attributed) by every join downstream.
        blocking=True,
        description=f"every `{column}` of {child_key.to_user_string()} exists in {parent_key.to_user_string()} "
        f"of the same day (a parent quarantined that day is reported, not failed)",
    )
    def _check(context: dg.AssetCheckExecutionContext, lake: LakeResource) -> dg.AssetCheckResult:
        day = context.partition_key
        counts = rules.orphans(
            lake.read_parquet(partition_file(*ref["child"], day)),
            lake.read_parquet(partition_file(*ref["parent"], day)),
            column,
            parent_column=parent_column,
            quarantined_parent=_read_if_exists(lake, quarantine_file(ref["quarantine_of"], day)),
        )
        return dg.AssetCheckResult(passed=counts["orphans"] == 0, metadata=counts)

    return _check


def _read_if_exists(lake: LakeResource, key: str) -> pl.DataFrame | None:
    return lake.read_parquet(key) if lake.exists(key) else None


referential_integrity_checks = [_reference_check(ref) for ref in REFERENCES]


def schema_change_checks(assets) -> list[dg.AssetChecksDefinition]:
    """Dagster's own check: the latest ``dagster/column_schema`` against the previous one."""
    return list(dg.build_column_schema_change_checks(assets=assets))
