"""Steps that materialize a partition range: the days in order, and what each day reports.

Every daily lake asset has a single-run backfill policy: a 30-day backfill is one run with one step
per asset, and the step walks the days in order with one day in memory. What is true of a day stays
with that day: each partition gets its own materialization metadata (row counts, duplicates removed,
rows quarantined: the UI's plots and the row-count history), and each check one result per
partition. A blocking check that fails fails the step after every day has reported, naming the days.
"""

import warnings
from collections.abc import Iterable, Iterator, Mapping
from datetime import date

import dagster as dg

# Dagster builds this pointer itself for an AssetCheckResult of a single-partition step; a result
# per partition of a range step is yielded as an AssetCheckEvaluation, which needs it explicitly.
from dagster._core.definitions.asset_checks.asset_check_evaluation import (
    AssetCheckEvaluationTargetMaterializationData,
)

RANGE_BACKFILL = dg.BackfillPolicy.single_run()
# `@asset(backfill_policy=...)` is marked beta in Dagster 1.13 (multi_asset's is not): this run shape
# is a deliberate choice of the platform, so exactly that warning is acknowledged here, once.
warnings.filterwarnings("ignore", category=dg.BetaWarning, message="Parameter `backfill_policy` of function `asset`")


def step_days(context: dg.AssetExecutionContext | dg.AssetCheckExecutionContext) -> list[date]:
    """The step's business dates, oldest first: one for a partition, every day for a range."""
    return sorted(date.fromisoformat(key) for key in context.op_execution_context.partition_keys)


class DailyResults:
    """Collects what each day of a range step materialized and checked, and yields it as Dagster
    events once the days are done: per-partition metadata, then one check result per partition."""

    def __init__(self, context: dg.AssetExecutionContext | dg.AssetCheckExecutionContext):
        self._context = context.op_execution_context
        self._asset_context = context if isinstance(context, dg.AssetExecutionContext) else None
        self._materialized: list[dg.AssetKey] = []
        self._checks: dict[dg.AssetCheckKey, dict[str, dg.AssetCheckResult]] = {}

    def materialized(self, key: dg.AssetKey, day: date, metadata: Mapping[str, object]) -> None:
        assert self._asset_context is not None, "only an asset step materializes"
        self._asset_context.add_asset_metadata(dict(metadata), asset_key=key, partition_key=day.isoformat())
        if key not in self._materialized:
            self._materialized.append(key)

    def checked(self, day: date, results: Iterable[dg.AssetCheckResult], *, check_key: dg.AssetCheckKey | None = None):
        """Each result names its asset and check, or ``check_key`` does (a separate check step)."""
        for result in results:
            key = check_key or dg.AssetCheckKey(dg.AssetKey.from_coercible(result.asset_key), str(result.check_name))
            self._checks.setdefault(key, {})[day.isoformat()] = result

    def events(self) -> Iterator:
        for key in self._materialized:
            yield dg.MaterializeResult(asset_key=key)
        yield from self._check_events()

    def _check_events(self) -> Iterator:
        selected = self._context.selected_asset_check_keys
        failed: list[str] = []
        targets: dict[dg.AssetKey, dict[str, AssetCheckEvaluationTargetMaterializationData]] = {}
        for check_key, by_day in self._checks.items():
            if check_key not in selected:
                continue
            spec = self._context.assets_def.get_spec_for_check_key(check_key)
            if check_key.asset_key not in targets:
                targets[check_key.asset_key] = self._latest_materializations(check_key.asset_key, list(by_day))
            # The check's output, so that steps gated on it run; its results are the evaluations.
            yield dg.Output(None, output_name=self._context.assets_def.get_output_name_for_asset_check_key(check_key))
            for day, result in sorted(by_day.items()):
                yield dg.AssetCheckEvaluation(
                    asset_key=check_key.asset_key,
                    check_name=check_key.name,
                    passed=result.passed,
                    metadata=result.metadata,
                    severity=result.severity,
                    description=result.description,
                    blocking=spec.blocking,
                    partition=day if spec.partitions_def is not None else None,
                    target_materialization_data=targets[check_key.asset_key].get(day),
                )
                if spec.blocking and not result.passed and result.severity == dg.AssetCheckSeverity.ERROR:
                    failed.append(f"{check_key.asset_key.to_user_string()} {check_key.name} on {day}")
        if failed:
            raise dg.Failure(
                "Blocking check(s) failed: "
                + "; ".join(failed)
                + ". Those days are written but nothing downstream of them ran. See each check's metadata "
                "in the UI (Checks tab, by partition), fix the input, then re-materialize the days named.",
                allow_retries=False,  # the same data fails the same checks
            )

    def _latest_materializations(
        self, key: dg.AssetKey, days: list[str]
    ) -> dict[str, AssetCheckEvaluationTargetMaterializationData]:
        """The materialization each day's result is about (the newest of each partition)."""
        records = self._context.instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=key, asset_partitions=days), limit=len(days) * 4
        ).records
        latest: dict[str, AssetCheckEvaluationTargetMaterializationData] = {}
        for record in records:  # newest first
            partition = record.partition_key
            if partition is not None and partition not in latest:
                latest[partition] = AssetCheckEvaluationTargetMaterializationData(
                    storage_id=record.storage_id, run_id=record.run_id, timestamp=record.timestamp
                )
        return latest
