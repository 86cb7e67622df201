"""Materialize the lake assets into a temporary folder and read back what they wrote."""

from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from retail_platform.lake.paths import partition_file, quarantine_file
from retail_platform.sources.registry import TABLES, table_spec
from retail_platform_tests.platform import lake_assets

DAYS = ["2026-11-06", "2026-11-07"]  # a Friday and a Saturday
ALL_ASSETS = lake_assets  # landing -> bronze -> silver -> gold -> warehouse load


def materialize_day(resources: dict, day: str, selection=None) -> dg.ExecuteInProcessResult:
    return dg.materialize(ALL_ASSETS, partition_key=day, resources=resources, selection=selection)


def check_results(result: dg.ExecuteInProcessResult) -> list[dg.AssetCheckEvaluation]:
    return [e.asset_check_evaluation_data for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"]


@pytest.fixture
def two_days(resources, lake):
    results = [materialize_day(resources, day) for day in DAYS]
    return results


def test_every_layer_is_written_for_every_table_and_day(two_days, lake):
    assert all(r.success for r in two_days)
    for day in DAYS:
        for spec in TABLES:
            silver_table = f"{spec.table}_history" if spec.cdc else spec.table
            for key in (
                partition_file("bronze", spec.table, day),
                partition_file("silver", silver_table, day),
                quarantine_file(spec.table, day),
            ):
                assert lake.exists(key), key
        for dataset in ("sales", "order_lifecycle", "inventory_position"):
            assert not lake.read_parquet(partition_file("gold", dataset, day)).is_empty()


def test_checks_pass_and_rows_are_conserved(two_days, lake):
    evaluations = [e for r in two_days for e in check_results(r)]
    # + the feed expectations (not empty, columns, quarantined share per table; late share where declared),
    # + the orders state's sequence_step
    feed, sequence = 3 * len(TABLES) + sum(1 for t in TABLES if t.feed.late_column), 1
    assert len(evaluations) == 2 * (2 * len(TABLES) + 1 + (len(TABLES) + 1) + 8 + len(TABLES) + feed + sequence)
    assert [e for e in evaluations if not e.passed] == []
    for day in DAYS:
        for spec in TABLES:
            silver_table = f"{spec.table}_history" if spec.cdc else spec.table
            bronze = lake.read_parquet(partition_file("bronze", spec.table, day))
            silver = lake.read_parquet(partition_file("silver", silver_table, day))
            quarantine = lake.read_parquet(quarantine_file(spec.table, day))
            assert silver.select(spec.primary_key).is_unique().all(), (spec.table, day)
            duplicates = bronze.height - silver.height - quarantine.height
            assert duplicates >= 0
            # Every quarantined row says why.
            assert quarantine["_quarantine_reason"].null_count() == 0


def test_materialization_metadata_reports_the_story(two_days):
    mats = {
        (m.asset_key.to_user_string(), m.partition): m.metadata
        for r in two_days
        for m in r.asset_materializations_for_node("silver__pos_transaction_lines") or []
    }
    meta = mats[("silver/pos_transaction_lines", DAYS[0])]
    rows_in = meta["rows_in"].value
    assert rows_in == meta["rows_out"].value + meta["duplicates_removed"].value + meta["rows_quarantined"].value
    assert meta["duplicates_removed"].value > 0 and meta["rows_quarantined"].value > 0
    assert "| transaction_id |" in meta["preview"].value


def test_silver_values_are_typed_and_normalised(two_days, lake):
    tx = lake.read_parquet(partition_file("silver", "pos_transactions", DAYS[0]))
    assert tx.schema["transaction_ts"] == pl.Datetime("us", "UTC")
    assert set(tx["currency"].unique()) <= {"USD", "EUR", "GBP"}
    customers = lake.read_parquet(partition_file("silver", "customers", DAYS[0]))
    assert customers.filter(pl.col("email") != pl.col("email").str.strip_chars().str.to_lowercase()).is_empty()


def test_orders_state_carries_yesterday_forward_and_gold_sales_reconcile(two_days, lake):
    day1 = lake.read_parquet(partition_file("silver", "orders", DAYS[0]))
    day2 = lake.read_parquet(partition_file("silver", "orders", DAYS[1]))
    history2 = lake.read_parquet(partition_file("silver", "orders_history", DAYS[1]))
    untouched = set(day1["order_id"]) - set(history2["order_id"])
    assert untouched and untouched <= set(day2["order_id"])
    assert day2.height == len(set(day1["order_id"]) | set(history2["order_id"]))
    # Each order's state is its greatest-LSN event.
    latest = history2.sort("lsn").group_by("order_id").agg(pl.col("lsn").last())
    joined = latest.join(day2.select("order_id", pl.col("lsn").alias("state_lsn")), on="order_id")
    assert (joined["lsn"] == joined["state_lsn"]).all()

    sales = lake.read_parquet(partition_file("gold", "sales", DAYS[1]))
    lines = lake.read_parquet(partition_file("silver", "pos_transaction_lines", DAYS[1]))
    store_lines = sales.filter(pl.col("channel") == "store")
    assert store_lines.height <= lines.height
    assert store_lines["quantity"].sum() <= lines["quantity"].sum()
    assert sales.filter(pl.col("channel") == "online").height > 0
    assert sales["net_amount_usd"].null_count() == 0


def test_rerunning_a_day_changes_no_output(two_days, resources, lake):
    def snapshot() -> dict[Path, bytes]:
        return {p: p.read_bytes() for p in Path(lake.root).rglob("*") if p.is_file() and "dt=2026-11-07" in str(p)}

    before = snapshot()
    assert materialize_day(resources, DAYS[1]).success
    assert snapshot() == before


def test_missing_landing_files_fail_with_the_partition_and_the_way_out(resources):
    result = dg.materialize(
        ALL_ASSETS,
        partition_key="2026-10-01",
        resources=resources,
        selection=[dg.AssetKey(["bronze", "stores"])],
        raise_on_error=False,
    )
    assert not result.success
    message = next(e for e in result.all_events if e.is_step_failure).step_failure_data.error.message
    assert "No landing files for stores on 2026-10-01" in message
    assert "materialize landing/stores for partition 2026-10-01" in message


def test_an_unreadable_landing_file_names_the_file(resources, lake):
    spec = table_spec("products")
    lake.write_bytes(f"landing/{spec.source}/products/dt=2026-10-02/products_broken.json", b"{not json")
    result = dg.materialize(
        ALL_ASSETS,
        partition_key="2026-10-02",
        resources=resources,
        selection=[dg.AssetKey(["bronze", "products"])],
        raise_on_error=False,
    )
    message = next(e for e in result.all_events if e.is_step_failure).step_failure_data.error.message
    assert "products_broken.json" in message and "2026-10-02" in message and "Fix or remove the file" in message


def test_cdc_state_refuses_to_start_from_empty_when_yesterday_was_landed(resources, lake):
    # Land and clean 2026-11-06 but never build its orders state; then ask for 11-07's state.
    first = dg.materialize(
        ALL_ASSETS,
        partition_key=DAYS[0],
        resources=resources,
        selection=dg.AssetSelection.assets(["landing", "orders"], ["bronze", "orders"]),
    )
    assert first.success
    second = dg.materialize(
        ALL_ASSETS,
        partition_key=DAYS[1],
        resources=resources,
        selection=dg.AssetSelection.assets(
            ["landing", "orders"], ["bronze", "orders"], ["silver", "orders_history"], ["silver", "orders"]
        ),
        raise_on_error=False,
    )
    message = next(e for e in second.all_events if e.is_step_failure).step_failure_data.error.message
    assert "needs yesterday's partition (2026-11-06)" in message


def test_warehouse_load_replaces_a_day_instead_of_duplicating_it(two_days, resources, lake, warehouse):
    import duckdb

    def counts() -> dict[str, int]:
        with duckdb.connect(warehouse.path, read_only=True) as con:
            return dict(
                con.execute(
                    "select _partition_date::varchar, count(*) from silver.pos_transactions group by 1"
                ).fetchall()
            )

    first = counts()
    assert first == {day: lake.read_parquet(partition_file("silver", "pos_transactions", day)).height for day in DAYS}
    assert materialize_day(resources, DAYS[1]).success
    assert counts() == first
    with duckdb.connect(warehouse.path, read_only=True) as con:
        tables = {
            r[0]
            for r in con.execute("select table_schema || '.' || table_name from information_schema.tables").fetchall()
        }
    assert {"silver.orders", "silver.orders_history", "gold.sales", "gold.order_lifecycle"} <= tables


def test_cdc_state_refuses_to_restart_from_empty_after_a_gap(resources, lake):
    # State built for 11-06, nothing at all landed on 11-07: 11-08 must not start from empty.
    orders = dg.AssetSelection.assets(
        ["landing", "orders"], ["bronze", "orders"], ["silver", "orders_history"], ["silver", "orders"]
    )
    assert dg.materialize(ALL_ASSETS, partition_key="2026-11-06", resources=resources, selection=orders).success
    later = dg.materialize(
        ALL_ASSETS, partition_key="2026-11-08", resources=resources, selection=orders, raise_on_error=False
    )
    message = next(e for e in later.all_events if e.is_step_failure).step_failure_data.error.message
    assert "the state stops at 2026-11-06" in message and "2026-11-07 .. 2026-11-07 are missing" in message
    assert not lake.exists(partition_file("silver", "orders", "2026-11-08"))


# --- a range of days in one run ------------------------------------------------------------------


def materialize_range(resources: dict, first: str, last: str, **kwargs) -> dg.ExecuteInProcessResult:
    """What a UI backfill or the CLI launches: one run, every daily asset over the range in one step."""
    tags = {"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last}
    return dg.materialize(ALL_ASSETS, resources=resources, tags=tags, **kwargs)


def lake_bytes(lake, day: str) -> dict[str, bytes]:
    return {
        str(p.relative_to(lake.root)): p.read_bytes()
        for p in Path(lake.root).rglob("*.parquet")
        if f"dt={day}" in str(p) and "/landing/" not in str(p)
    }


def test_a_range_in_one_run_writes_what_day_by_day_runs_write(two_days, resources, lake, tmp_path):
    from retail_platform.lake.storage import LocalLake

    range_lake = LocalLake(root=str(tmp_path / "range_lake"))
    result = materialize_range({**resources, "lake": range_lake}, DAYS[0], DAYS[-1])
    assert result.success
    # One step per asset for both days: the CDC state and the order lifecycle carried day to day.
    starts = [e.step_key for e in result.all_events if e.event_type_value == "STEP_START"]
    assert len(starts) == len(set(starts))
    for day in DAYS:
        by_day, in_range = lake_bytes(lake, day), lake_bytes(range_lake, day)
        assert in_range.keys() == by_day.keys() and len(in_range) > 30
        # Lineage columns name each file's landing path and time: compare the data, not the bytes.
        for path in by_day:
            assert (
                pl.read_parquet(lake.root + "/" + path)
                .drop("_ingested_at", strict=False)
                .equals(pl.read_parquet(range_lake.root + "/" + path).drop("_ingested_at", strict=False))
            ), path


def test_each_day_of_a_range_reports_its_own_metadata_and_check_results(resources):
    result = materialize_range(resources, DAYS[0], DAYS[-1])
    rows = {
        m.partition: m.metadata["rows_in"].value
        for m in result.asset_materializations_for_node("silver__pos_transaction_lines")
    }
    assert sorted(rows) == DAYS and rows[DAYS[0]] != rows[DAYS[1]]
    evaluations = check_results(result)
    conservation = [e for e in evaluations if e.check_name == "row_conservation"]
    assert sorted({e.partition for e in conservation}) == DAYS
    assert len(conservation) == len(DAYS) * len(TABLES) and all(e.passed for e in conservation)
    # Every result points at the materialization of its own day.
    by_partition = {(m.asset_key, m.partition): m for m in result.get_asset_materialization_events() if m.partition}
    assert all(e.target_materialization_data is not None for e in conservation)
    assert len({e.target_materialization_data.storage_id for e in conservation}) == len(conservation)
    assert all((e.asset_key, e.partition) in {(k, p) for k, p in by_partition} for e in conservation)


def test_a_failed_blocking_check_in_a_range_names_the_day(resources, monkeypatch):
    import dataclasses

    from retail_platform.defs.lake import silver

    # A regression that lets one row through twice, on the second day only.
    real_clean = silver.clean

    def clean_twice_on_day_two(spec, bronze, *args):
        result = real_clean(spec, bronze, *args)
        if spec.table == "orders" and f"dt={DAYS[1]}" in bronze.select(pl.col("_source_file").first()).collect().item():
            result = dataclasses.replace(result, silver=pl.concat([result.silver, result.silver.head(1)]))
        return result

    monkeypatch.setattr(silver, "clean", clean_twice_on_day_two)
    orders = dg.AssetSelection.assets(["landing", "orders"], ["bronze", "orders"], ["silver", "orders_history"])
    result = materialize_range(resources, DAYS[0], DAYS[-1], selection=orders, raise_on_error=False)
    assert not result.success
    failed = {(e.check_name, e.partition) for e in check_results(result) if not e.passed}
    assert failed == {("unique_key", DAYS[1]), ("row_conservation", DAYS[1])}
    # Both days were written and recorded; the step fails naming the day and the checks.
    assert {m.partition for m in result.asset_materializations_for_node("silver__orders_history")} == set(DAYS)
    message = next(e for e in result.all_events if e.is_step_failure).step_failure_data.error.message
    assert f"silver/orders_history unique_key on {DAYS[1]}" in message
    assert f"silver/orders_history row_conservation on {DAYS[1]}" in message
    assert DAYS[0] not in message
