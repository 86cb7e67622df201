"""Data-quality checks: the pure rules and statistics, and the checks on materialized partitions."""

from datetime import date, timedelta

import dagster as dg
import polars as pl
import pytest
from dagster_dbt import DbtCliResource

from retail_platform.defs.quality.integrity import referential_integrity_checks
from retail_platform.defs.warehouse.dbt import dbt_model_assets
from retail_platform.quality import rules, stats
from retail_platform.sources.simulator import SourceSimulator
from retail_platform.transforms import silver as silver_transforms
from retail_platform_tests.platform import lake_assets

FRIDAY, SATURDAY = date(2026, 11, 6), date(2026, 11, 7)


def checks_of(result: dg.ExecuteInProcessResult) -> dict[tuple[str, str], dg.AssetCheckEvaluation]:
    return {
        (
            e.asset_check_evaluation_data.asset_key.to_user_string(),
            e.asset_check_evaluation_data.check_name,
        ): e.asset_check_evaluation_data
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    }


def materialized(result: dg.ExecuteInProcessResult) -> set[str]:
    return {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}


# --- pure statistics ----------------------------------------------------------------------------


def weekday_history(day: date, counts: list[int]) -> dict[date, int]:
    days = stats.comparable_days(day)
    return dict(zip(days, counts, strict=False))


def test_comparable_days_are_the_same_kind_of_day_newest_first():
    days = stats.comparable_days(FRIDAY)
    assert days[0] == FRIDAY - timedelta(days=1) and all(d.weekday() < 5 for d in days)
    assert len(days) == 20  # 28 days back, weekdays only
    weekend = stats.comparable_days(SATURDAY)
    assert weekend[:2] == [SATURDAY - timedelta(days=6), SATURDAY - timedelta(days=7)]  # last Sun, Sat
    assert all(d.weekday() >= 5 for d in weekend) and len(weekend) == 8


def test_a_tenth_of_the_usual_volume_is_an_anomaly_and_a_normal_day_is_not():
    history = weekday_history(FRIDAY, [1000, 1040, 980, 1010, 995, 1020, 970, 1005, 990, 1030])
    low = stats.row_count_anomaly(FRIDAY, 100, history)
    assert low.anomalous and not low.skipped and low.median == 1002.5 and low.deviations > 30
    normal = stats.row_count_anomaly(FRIDAY, 1015, history)
    assert not normal.anomalous and normal.deviations < 1
    # 3 robust deviations is the line: MAD here is 15, so 1.4826 * 15 = 22.2 rows each, 66.7 in all.
    assert low.robust_deviation == pytest.approx(22.239)
    assert not stats.row_count_anomaly(FRIDAY, 1002 + 66, history).anomalous
    assert stats.row_count_anomaly(FRIDAY, 1002 + 68, history).anomalous


def test_weekends_are_compared_with_weekends_only():
    # Busy weekends (2000) and quiet weekdays (1000): a normal Saturday must not look anomalous.
    history = {
        d: (2000 if d.weekday() >= 5 else 1000) + (d.day % 3)
        for d in (SATURDAY - timedelta(days=n) for n in range(1, 29))
    }
    assert not stats.row_count_anomaly(SATURDAY, 2001, history).anomalous
    assert stats.row_count_anomaly(SATURDAY, 1001, history).anomalous


def test_too_little_history_skips_and_identical_history_tolerates_one_row():
    few = weekday_history(FRIDAY, [1000, 1000, 1000, 1000])
    verdict = stats.row_count_anomaly(FRIDAY, 10, few)
    assert verdict.skipped and not verdict.anomalous and verdict.history_days == 4
    same = weekday_history(FRIDAY, [20] * 10)  # a full master-data export: MAD = 0
    assert not stats.row_count_anomaly(FRIDAY, 21, same).anomalous
    assert stats.row_count_anomaly(FRIDAY, 30, same).anomalous


# --- pure rules ----------------------------------------------------------------------------------


def test_rules_count_nulls_unexpected_values_and_orphans():
    frame = pl.DataFrame({"id": ["a", None, "c", "d"], "status": ["paid", "lost", None, "lost"]})
    assert rules.null_counts(frame, ["id", "status", "absent"]) == {"id": 1, "status": 1, "absent": 4}
    assert rules.unexpected_values(frame, {"status": ("paid", "shipped")}) == {"status": {"lost": 2}}
    parent = pl.DataFrame({"id": ["a"]})
    quarantined = pl.DataFrame({"id": [" c "], "_quarantine_reason": ["bad"]})
    counts = rules.orphans(frame, parent, "id", quarantined_parent=quarantined)
    assert counts == {
        "child_rows": 4,
        "parent_rows": 1,
        "orphans": 1,
        "orphans_with_quarantined_parent": 1,
        "distinct_missing_keys": 2,
    }


# --- checks on materialized partitions -----------------------------------------------------------


def test_a_duplicate_order_key_blocks_gold_warehouse_and_dbt_of_that_day_only(resources, monkeypatch, tmp_path):
    from retail_platform.warehouse.project import dbt_executable, retail_dbt_project

    all_resources = {
        **resources,
        "dbt": DbtCliResource(project_dir=retail_dbt_project, target="local", dbt_executable=dbt_executable()),
    }
    clean = dg.materialize(lake_assets, partition_key=FRIDAY.isoformat(), resources=resources)
    assert clean.success and {"gold/sales", "warehouse/gold/sales"} <= materialized(clean)
    assert checks_of(clean)[("silver/orders_history", "unique_key")].passed

    # A regression in the dedup step for the CDC feed: repeated events (same LSN) reach silver.
    latest = silver_transforms.latest_mask
    monkeypatch.setattr(
        silver_transforms,
        "latest_mask",
        lambda frame, keys, ordering, among: among if tuple(keys) == ("lsn",) else latest(frame, keys, ordering, among),
    )
    bad = dg.materialize(
        [*lake_assets, *dbt_model_assets()],
        partition_key=SATURDAY.isoformat(),
        resources=all_resources,
        raise_on_error=False,
    )
    checks = checks_of(bad)
    failed = {k for k, c in checks.items() if not c.passed and c.severity == dg.AssetCheckSeverity.ERROR}
    assert failed == {("silver/orders_history", "unique_key")}
    assert checks[("silver/orders_history", "unique_key")].metadata["duplicate_key_rows"].value > 0
    done = materialized(bad)
    assert "silver/orders_history" in done and "silver/products" in done  # written, then flagged
    # Everything downstream of the failed check did not run: orders state, gold, warehouse load, dbt.
    assert not done & {"silver/orders", "gold/sales", "gold/order_lifecycle", "gold/inventory_position"}
    assert not any(k.startswith("warehouse/") for k in done)
    started = {e.step_key for e in bad.all_events if e.event_type_value == "STEP_START"}
    assert not started & {"dbt_models", "warehouse_load"}


def test_the_anomaly_check_reads_history_from_the_instance_and_flags_a_tenth_of_the_volume(lake, warehouse):
    instance = dg.DagsterInstance.ephemeral()
    key = dg.AssetKey(["silver", "pos_transactions"])
    selection = dg.AssetSelection.assets(["landing", "pos_transactions"], ["bronze", "pos_transactions"], key)

    def run(volume: int) -> dg.AssetCheckEvaluation:
        resources = {"lake": lake, "warehouse": warehouse, "sources": SourceSimulator(seed=11, volume=volume)}
        result = dg.materialize(
            lake_assets, partition_key=FRIDAY.isoformat(), resources=resources, selection=selection, instance=instance
        )
        return checks_of(result)[("silver/pos_transactions", "row_count_anomaly")]

    first = run(300)
    assert first.passed and first.metadata["skipped"].value is True and first.metadata["history_days"].value == 0
    usual = first.metadata["row_count"].value
    # Ten earlier weekdays with about the usual volume, as their materializations recorded it.
    for offset, day in enumerate(stats.comparable_days(FRIDAY)[:10]):
        instance.report_runless_asset_event(
            dg.AssetMaterialization(
                key, partition=day.isoformat(), metadata={"dagster/row_count": usual + (offset % 5) - 2}
            )
        )
    normal = run(300)
    assert normal.passed and normal.metadata["skipped"].value is False and normal.metadata["history_days"].value == 10
    low = run(30)
    assert not low.passed and low.severity == dg.AssetCheckSeverity.WARN
    assert low.metadata["row_count"].value < usual / 5 and low.metadata["deviations"].value > 3


def test_silver_and_gold_report_column_schema_duration_and_reference_counts(resources):
    result = dg.materialize(
        [*lake_assets, *referential_integrity_checks], partition_key=FRIDAY.isoformat(), resources=resources
    )
    by_key = {
        e.asset_key.to_user_string(): e.materialization.metadata for e in result.get_asset_materialization_events()
    }
    schema = by_key["silver/orders"]["dagster/column_schema"].value
    assert {"order_id", "status", "is_deleted"} <= {c.name for c in schema.columns}
    for key in ("bronze/orders", "silver/orders", "silver/orders_history", "gold/sales"):
        assert by_key[key]["duration_s"].value >= 0, key
    checks = checks_of(result)
    lines = checks[("silver/pos_transaction_lines", "referential_integrity_transaction_id")]
    # Lines whose header was quarantined are accounted for, not broken references.
    assert lines.passed and lines.metadata["orphans"].value == 0
    assert lines.metadata["orphans_with_quarantined_parent"].value > 0
    assert checks[("silver/orders", "accepted_values")].passed
    assert checks[("silver/pos_transactions", "not_null_keys")].metadata["nulls_store_id"].value == 0


@pytest.mark.parametrize("table", ["orders", "pos_transactions"])
def test_every_silver_table_gets_its_generated_checks(table):
    from retail_platform.definitions import defs

    checks = {(k.asset_key.to_user_string(), k.name) for k in defs.resolve_asset_graph().asset_check_keys}
    silver = f"{table}_history" if table == "orders" else table
    for name in (
        "row_conservation",
        "unique_key",
        "not_null_keys",
        "accepted_values",
        "row_count_anomaly",
        "column_schema_change",
        "freshness_check",
    ):
        assert (f"silver/{silver}", name) in checks, name
