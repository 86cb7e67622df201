"""Asset check specs and results generated from the source registry, on top of the pure rules in
``rules`` and ``stats``. The silver assets run these per-partition checks in their own step (they
already hold the written frame); checks that need another asset (referential integrity) are
separate steps, defined in ``defs/quality``.

Blocking (a failure stops the partition's downstream assets, dbt included): not-null keys,
accepted values, referential integrity. Not blocking (severity WARN): row-count anomaly and
schema change: an unusual day or a new column deserves a look, not a stopped pipeline.
"""

import contextlib
import warnings
from collections.abc import Mapping
from datetime import date

import dagster as dg
import polars as pl

from retail_platform.partitions import daily_partitions
from retail_platform.quality import rules, stats
from retail_platform.sources.registry import TableSpec
from retail_platform.transforms.silver import duplicate_keys, null_keys

CONSERVATION = "row_conservation"
UNIQUE_KEY = "unique_key"
NOT_NULL_KEYS = "not_null_keys"
ACCEPTED_VALUES = "accepted_values"
ROW_COUNT_ANOMALY = "row_count_anomaly"


@contextlib.contextmanager
def partitioned_checks():
    """Checks with a result per day (a failed day is named in the UI's Partition column). The
    feature is marked preview in Dagster 1.13: exactly that warning is filtered."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", category=dg.PreviewWarning, message="Specifying a partitions_def on an AssetCheckSpec"
        )
        yield


def daily_check_spec(name: str, *, asset: dg.AssetKey, **kwargs) -> dg.AssetCheckSpec:
    with partitioned_checks():
        return dg.AssetCheckSpec(name, asset=asset, partitions_def=daily_partitions, **kwargs)


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


def conservation_specs(key: dg.AssetKey, primary_key: tuple[str, ...]) -> list[dg.AssetCheckSpec]:
    return [
        # Blocking: a partition that lost or invented rows must not feed gold or the warehouse.
        daily_check_spec(
            CONSERVATION,
            asset=key,
            blocking=True,
            description="bronze rows = silver rows + duplicates removed + quarantined rows, traced by lineage",
        ),
        unique_key_spec(key, primary_key),
    ]


def unique_key_spec(key: dg.AssetKey, columns: tuple[str, ...]) -> dg.AssetCheckSpec:
    return daily_check_spec(
        UNIQUE_KEY, asset=key, blocking=True, description=f"exactly one row per ({', '.join(columns)}), no null key"
    )


def unique_key_result(key: dg.AssetKey, frame: pl.DataFrame, columns: tuple[str, ...]) -> dg.AssetCheckResult:
    duplicated, nulls = duplicate_keys(frame, columns), null_keys(frame, columns)
    return dg.AssetCheckResult(
        check_name=UNIQUE_KEY,
        asset_key=key,
        passed=duplicated == 0 and nulls == 0,
        metadata={"duplicate_key_rows": duplicated, "null_key_rows": nulls, "key": ", ".join(columns)},
    )


def silver_check_specs(spec: TableSpec, key: dg.AssetKey, *, state: bool = False) -> list[dg.AssetCheckSpec]:
    specs = [
        # Blocking: gold and the warehouse join on these keys; a null one silently drops rows there.
        daily_check_spec(
            NOT_NULL_KEYS,
            asset=key,
            blocking=True,
            description=f"no null in ({', '.join(key_columns(spec, state=state))})",
        ),
    ]
    if accepted_values(spec):
        # Blocking: status and currency drive the FX conversion and the order KPIs downstream.
        specs.append(
            daily_check_spec(
                ACCEPTED_VALUES,
                asset=key,
                blocking=True,
                description="only declared values in " + ", ".join(accepted_values(spec)),
            )
        )
    if not state:  # the CDC state is cumulative: its size follows the history, not the day's feed
        specs.append(
            daily_check_spec(
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


def row_count_anomaly_results(
    instance: dg.DagsterInstance, key: dg.AssetKey, row_counts: Mapping[date, int]
) -> dict[date, dg.AssetCheckResult]:
    """The anomaly verdict of each day of a step, against the history recorded in the instance and
    the step's own earlier days (a backfilled month is judged against itself as it goes)."""
    comparable = {day: stats.comparable_days(day) for day in row_counts}
    recorded = row_count_history(
        instance, key, sorted({d for days in comparable.values() for d in days} - set(row_counts))
    )
    known = {**recorded, **row_counts}
    results = {}
    for day, row_count in row_counts.items():
        verdict = stats.row_count_anomaly(day, row_count, {d: known[d] for d in comparable[day] if d in known})
        results[day] = dg.AssetCheckResult(
            check_name=ROW_COUNT_ANOMALY,
            asset_key=key,
            passed=not verdict.anomalous,
            severity=dg.AssetCheckSeverity.WARN,
            metadata=verdict.as_metadata(),
            description="not enough comparable days of history: skipped" if verdict.skipped else None,
        )
    return results
