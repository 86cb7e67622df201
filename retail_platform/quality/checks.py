"""Asset check specs and results generated from the source registry, on top of the pure rules in
``rules`` and ``stats``. The silver assets run these per-partition checks in their own step (they
already hold the written frame); checks that need another asset (referential integrity) are
separate steps, defined in ``defs/quality``.

Blocking (a failure stops the partition's downstream assets, dbt included): not-null keys,
accepted values, referential integrity, and the feed expectations of the tables gold is built
from. Not blocking (severity WARN): row-count anomaly and schema change, and the feed
expectations of the other tables: an unusual day or a new column deserves a look, not a stopped
pipeline.
"""

import contextlib
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import dagster as dg
import polars as pl

from retail_platform.partitions import daily_partitions
from retail_platform.quality import rules, stats
from retail_platform.sources.registry import CdcSpec, TableSpec
from retail_platform.transforms.silver import duplicate_keys, null_keys

CONSERVATION = "row_conservation"
UNIQUE_KEY = "unique_key"
NOT_NULL_KEYS = "not_null_keys"
ACCEPTED_VALUES = "accepted_values"
ROW_COUNT_ANOMALY = "row_count_anomaly"
FEED_NOT_EMPTY = "feed_not_empty"
FEED_COLUMNS = "feed_columns"
FEED_QUARANTINE_SHARE = "feed_quarantine_share"
FEED_LATE_SHARE = "feed_late_share"
SEQUENCE_STEP = "sequence_step"


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


# --- feed expectations: the day's feed of a table as a whole ------------------------------------


@dataclass(frozen=True)
class Feed:
    """A day's feed of a table as bronze holds it and silver split it."""

    rows: int  # bronze rows
    quarantined: int
    columns: tuple[str, ...]  # bronze's columns, lineage excluded (bronze keeps undeclared ones)
    files: tuple[str, ...]  # the landing files the rows came from (or found, for an empty feed)
    silver_rows: int = 0
    late_rows: int = 0  # silver rows whose declared business time is before the day


def feed_check_specs(spec: TableSpec, key: dg.AssetKey) -> list[dg.AssetCheckSpec]:
    # Blocking for the tables gold is built from: without their feed gold is wrong, not late.
    blocking, expected = spec.feed.blocking, spec.feed
    return [
        daily_check_spec(FEED_NOT_EMPTY, asset=key, blocking=blocking, description="the day's feed has rows"),
        daily_check_spec(
            FEED_COLUMNS,
            asset=key,
            blocking=blocking,
            description="every declared column is in the day's files (a missing one would be null on "
            "every row; a renamed one is reported as such); undeclared extra columns are listed, not failed",
        ),
        daily_check_spec(
            FEED_QUARANTINE_SHARE,
            asset=key,
            blocking=blocking,
            description=f"at most {expected.max_quarantined_share:.0%} of the day's rows quarantined "
            f"(judged from {expected.min_rows} rows on)",
        ),
        *(
            [
                daily_check_spec(
                    FEED_LATE_SHARE,
                    asset=key,
                    blocking=blocking,
                    description=f"at most {expected.max_late_share:.0%} of the day's rows with "
                    f"`{expected.late_column}` before the day (late rows; more is another day's export in "
                    f"this folder), judged from {expected.min_rows} rows on",
                )
            ]
            if expected.late_column
            else []
        ),
    ]


def _files(feed: Feed) -> str:
    return ", ".join(feed.files) or "none found"


def feed_check_results(spec: TableSpec, key: dg.AssetKey, feed: Feed, day: str) -> list[dg.AssetCheckResult]:
    severity = dg.AssetCheckSeverity.ERROR if spec.feed.blocking else dg.AssetCheckSeverity.WARN
    rerun = f"then re-materialize bronze/{spec.table} and silver for {day}"
    drift = rules.column_drift(spec.column_names, feed.columns)
    if not feed.columns:  # an empty file has no header either: feed_not_empty says so
        drift = {"missing": [], "undeclared": [], "renamed": []}
    renamed = ", ".join(f"{old} -> {new}?" for old, new in drift["renamed"])
    share = feed.quarantined / feed.rows if feed.rows else 0.0
    expected = spec.feed
    judged = feed.rows >= expected.min_rows
    return [
        dg.AssetCheckResult(
            check_name=FEED_NOT_EMPTY,
            asset_key=key,
            passed=feed.rows > 0,
            severity=severity,
            metadata={
                "rows": feed.rows,
                "files": _files(feed),
                **(
                    {}
                    if feed.rows
                    else {
                        "action": f"The {spec.source} export of {spec.table} for {day} has no rows: ask the "
                        f"source for the day's export, replace the file(s), {rerun}."
                    }
                ),
            },
        ),
        dg.AssetCheckResult(
            check_name=FEED_COLUMNS,
            asset_key=key,
            passed=not drift["missing"],
            severity=severity,
            metadata={
                "missing_columns": ", ".join(drift["missing"]) or "none",
                "undeclared_columns": ", ".join(drift["undeclared"]) or "none",
                "possibly_renamed": renamed or "none",
                "files": _files(feed),
                **(
                    {
                        "action": f"Declared column(s) {', '.join(drift['missing'])} missing from the file(s): "
                        + (f"renamed ({renamed}) in the export? " if renamed else "")
                        + f"fix the export, or change the declaration in the registry "
                        f"(retail_platform/sources/registry.py), {rerun}."
                    }
                    if drift["missing"]
                    else {}
                ),
            },
        ),
        dg.AssetCheckResult(
            check_name=FEED_QUARANTINE_SHARE,
            asset_key=key,
            passed=not judged or share <= expected.max_quarantined_share,
            severity=severity,
            description=None if judged else f"fewer than {expected.min_rows} rows: not judged",
            metadata={
                "rows": feed.rows,
                "rows_quarantined": feed.quarantined,
                "quarantined_share": round(share, 4),
                "max_quarantined_share": expected.max_quarantined_share,
                "files": _files(feed),
                **(
                    {
                        "action": f"Most rows were refused: read the reasons in silver/_quarantine/{spec.table}/"
                        f"dt={day} (the materialization's quarantine_reasons), fix the export, {rerun}."
                    }
                    if judged and share > expected.max_quarantined_share
                    else {}
                ),
            },
        ),
        *([late_share_result(spec, key, feed, day, severity, rerun)] if expected.late_column else []),
    ]


def late_share_result(
    spec: TableSpec, key: dg.AssetKey, feed: Feed, day: str, severity: dg.AssetCheckSeverity, rerun: str
) -> dg.AssetCheckResult:
    expected = spec.feed
    judged = feed.silver_rows >= expected.min_rows
    share = feed.late_rows / feed.silver_rows if feed.silver_rows else 0.0
    failed = judged and share > expected.max_late_share
    return dg.AssetCheckResult(
        check_name=FEED_LATE_SHARE,
        asset_key=key,
        passed=not failed,
        severity=severity,
        description=None if judged else f"fewer than {expected.min_rows} rows: not judged",
        metadata={
            "rows": feed.silver_rows,
            "late_rows": feed.late_rows,
            "late_share": round(share, 4),
            "max_late_share": expected.max_late_share,
            "column": expected.late_column,
            "files": _files(feed),
            **(
                {
                    "action": f"{share:.0%} of the rows have {expected.late_column} before {day}: is another day's "
                    f"export in this day's folder? Move it to its own day's folder (landing/{spec.source}/"
                    f"{spec.table}/dt=<its day>), {rerun} and its own day."
                }
                if failed
                else {}
            ),
        },
    )


# --- CDC: the day's sequence numbers against the state they are applied to ---------------------


def sequence_step_spec(key: dg.AssetKey, cdc: CdcSpec) -> dg.AssetCheckSpec:
    # Blocking: events behind the state lose to older ones, events far ahead freeze their entity.
    return daily_check_spec(
        SEQUENCE_STEP,
        asset=key,
        blocking=True,
        description=f"the day's median `{cdc.sequence_column}` is ahead of yesterday's greatest by at most "
        f"{cdc.max_sequence_step:.0e}",
    )


def sequence_step_result(
    key: dg.AssetKey, cdc: CdcSpec, previous: pl.DataFrame | None, changes: pl.DataFrame, day: str
) -> dg.AssetCheckResult:
    column = cdc.sequence_column
    previous_max = None if previous is None or previous.is_empty() else int(previous[column].max())
    verdict = rules.sequence_step(previous_max, changes[column], cdc.max_sequence_step)
    metadata = {k: v for k, v in verdict.items() if k not in ("passed", "judged") and v is not None}
    if not verdict["passed"]:
        metadata["action"] = (
            f"The {column} numbers of {day} are {'behind' if verdict['step'] <= 0 else 'far ahead of'} yesterday's: "
            "an old export replayed, or the source's log restarted or jumped. Check the day's landing files; if the "
            f"numbering really changed, rebuild the state from a day before it. Then re-materialize from {day}."
        )
    return dg.AssetCheckResult(
        check_name=SEQUENCE_STEP,
        asset_key=key,
        passed=bool(verdict["passed"]),
        metadata=metadata,
        description=None if verdict["judged"] else "no previous state or no events: not judged",
    )
