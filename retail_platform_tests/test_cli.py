"""The README's main command, end to end: `python -m retail_platform run` through Dagster, from
landing to the dbt marts in the DuckDB warehouse."""

import json
import os
import shutil
import subprocess
import sys
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
import pytest

START, END = "2026-11-02", "2026-11-04"
DAYS = ["2026-11-02", "2026-11-03", "2026-11-04"]
VOLUME = "200"


def run_cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    env["RETAIL_DATA_DIR"] = str(data_dir)
    return subprocess.run(
        [sys.executable, "-m", "retail_platform", "run", *args],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )


def lake_files(data_dir: Path) -> dict[str, bytes]:
    return {str(p.relative_to(data_dir)): p.read_bytes() for p in (data_dir / "lake").rglob("*") if p.is_file()}


def query(data_dir: Path, sql: str) -> pl.DataFrame:
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        return con.sql(sql).pl()


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    data_dir = tmp_path_factory.mktemp("platform")
    done = run_cli(data_dir, "--start", START, "--end", END, "--volume", VOLUME)
    assert done.returncode == 0, done.stdout + done.stderr
    return data_dir


def test_run_prints_a_summary_and_writes_every_layer(built):
    files = lake_files(built)
    for day in DAYS:
        assert f"lake/gold/sales/dt={day}/part-0.parquet" in files
        assert f"lake/silver/_quarantine/customers/dt={day}/part-0.parquet" in files
    assert pl.read_parquet(built / "lake/gold/order_lifecycle/dt=2026-11-04/part-0.parquet").height > 0


def test_the_range_is_two_runs_recorded_in_the_dagster_instance(built, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", str(built / "dagster_home"))
    with dg.DagsterInstance.get() as instance:
        runs = sorted(instance.get_runs(), key=lambda r: instance.get_run_record_by_id(r.run_id).create_timestamp)
        # One lake run and one dbt run, each over the whole range.
        assert [r.job_name for r in runs] == ["retail_daily", "warehouse_dbt"]
        assert {
            (r.tags["dagster/asset_partition_range_start"], r.tags["dagster/asset_partition_range_end"]) for r in runs
        } == {(START, END)}
        assert {r.status for r in runs} == {dg.DagsterRunStatus.SUCCESS}
        # ... and yet every day has its own materialization, with its own row count.
        records = instance.fetch_materializations(dg.AssetKey(["silver", "pos_transaction_lines"]), limit=100).records
        counts = {r.partition_key: r.asset_materialization.metadata["dagster/row_count"].value for r in records}
        assert sorted(counts) == DAYS
        assert len(set(counts.values())) == len(DAYS)  # the generator's days differ in size
        checks = instance.event_log_storage.get_asset_check_execution_history(
            dg.AssetCheckKey(dg.AssetKey(["silver", "pos_transaction_lines"]), "row_conservation"), limit=100
        )
        assert sorted(c.partition for c in checks) == DAYS


def test_every_contract_model_is_built(built):
    tables = set(query(built, "select table_schema || '.' || table_name as t from information_schema.tables")["t"])
    for model in (
        "dim_customers",
        "dim_products",
        "dim_stores",
        "dim_date",
        "fct_sales",
        "fct_orders",
        "fct_inventory_daily",
        "fct_support_tickets",
        "agg_daily_sales",
        "agg_sales_by_category",
        "mart_customer_360",
        "mart_order_kpis",
        "mart_product_ranking",
    ):
        assert f"marts.{model}" in tables, model
    for table in ("pos_transactions", "orders_history", "orders", "customers"):
        assert f"silver.{table}" in tables
    assert "staging.stg_pos__transactions" in tables
    counts = query(built, "select count(*) as n from marts.fct_sales")["n"].item()
    lake = pl.concat([pl.read_parquet(built / f"lake/gold/sales/dt={d}/part-0.parquet") for d in DAYS])
    assert counts == lake.height


def test_a_customer_whose_address_changes_has_two_versions(built):
    day1 = pl.read_parquet(built / f"lake/silver/customers/dt={DAYS[0]}/part-0.parquet")
    day2 = pl.read_parquet(built / f"lake/silver/customers/dt={DAYS[1]}/part-0.parquet")
    day3 = pl.read_parquet(built / f"lake/silver/customers/dt={DAYS[2]}/part-0.parquet")
    attributes = ["first_name", "last_name", "email", "phone", "address", "city", "country", "loyalty_tier"]
    both = day1.join(day2, on="customer_id", suffix="_2").join(day3, on="customer_id", suffix="_3")
    moved = both.filter(
        (pl.col("address") != pl.col("address_2"))
        # exactly one change in the range: day 2 equals day 3 in every attribute
        & pl.all_horizontal(pl.col(a + "_2").eq_missing(pl.col(a + "_3")) for a in attributes)
        & pl.all_horizontal(pl.col(a).eq_missing(pl.col(a + "_2")) for a in attributes if a not in ("address", "city"))
    )
    assert moved.height > 0, "the generator should move some customers between two days"
    customer = moved.row(0, named=True)

    rows = query(
        built,
        f"""
        select customer_sk, address, valid_from, valid_to, is_current from marts.dim_customers
        where customer_id = '{customer["customer_id"]}' order by valid_from""",
    )
    assert rows.height == 2
    old, new = rows.row(0, named=True), rows.row(1, named=True)
    assert (old["address"], new["address"]) == (customer["address"], customer["address_2"])
    # The warehouse keeps UTC timestamps without a zone.
    assert old["valid_from"] == customer["updated_at"].replace(tzinfo=None)
    assert new["valid_from"] == customer["updated_at_2"].replace(tzinfo=None)
    assert old["valid_to"] == new["valid_from"]
    assert new["valid_to"] is None
    assert (old["is_current"], new["is_current"]) == (False, True)
    assert old["customer_sk"] != new["customer_sk"]


def test_mart_order_kpis_match_an_independent_computation_from_silver(built):
    fx = {"USD": Decimal("1"), "EUR": Decimal("1.08"), "GBP": Decimal("1.27")}
    orders = pl.read_parquet(built / f"lake/silver/orders/dt={END}/part-0.parquet").filter(~pl.col("is_deleted"))
    lifecycle = pl.read_parquet(built / f"lake/gold/order_lifecycle/dt={END}/part-0.parquet")
    sessions = (
        pl.concat([pl.read_parquet(built / f"lake/silver/web_sessions/dt={d}/part-0.parquet") for d in DAYS])
        .sort("updated_at")
        .unique("session_id", keep="last")  # a session counts once, in its latest version
    )
    cents = Decimal("0.01")
    usd = [
        (t * fx[c]).quantize(cents, ROUND_HALF_UP)
        for t, c in zip(orders["order_total"], orders["currency"], strict=True)
    ]
    per_order = orders.with_columns(pl.Series("usd", usd, dtype=pl.Decimal(18, 2))).join(
        lifecycle.select("order_id", "shipped_at", "delivered_at"), on="order_id", how="left"
    )
    expected = (
        per_order.with_columns(pl.col("created_at").dt.date().alias("order_date"))
        .group_by("order_date")
        .agg(
            pl.len().alias("orders_created"),
            pl.col("usd").sum().alias("order_value_usd"),
            pl.col("usd").filter(pl.col("status") != "canceled").sum().alias("net_revenue"),
            (pl.col("status") == "canceled").mean().alias("cancel_rate"),
            (pl.col("status") == "refunded").mean().alias("refund_rate"),
            ((pl.col("shipped_at") - pl.col("created_at")).dt.total_seconds() / 3600).mean().alias("h_ship"),
            ((pl.col("delivered_at") - pl.col("shipped_at")).dt.total_seconds() / 3600).mean().alias("h_deliver"),
        )
        .join(
            sessions.group_by(pl.col("started_at").dt.date().alias("order_date")).agg(
                pl.len().alias("sessions"), pl.col("converted").sum().alias("converted")
            ),
            on="order_date",
        )
        .with_columns(
            (pl.col("converted") / pl.col("sessions")).alias("conversion_rate"),
            (pl.col("orders_created") / pl.col("sessions")).alias("orders_per_session"),
        )
        .filter(pl.col("order_date").cast(pl.String).is_in(DAYS))
        .sort("order_date")
    )
    actual = query(built, "select * from marts.mart_order_kpis order by order_date")
    # Only the loaded days: orders the CDC feed mentioned from before the lake began make no day.
    assert actual["order_date"].cast(pl.String).to_list() == DAYS == expected["order_date"].cast(pl.String).to_list()
    assert actual["orders_created"].to_list() == expected["orders_created"].to_list()
    # Money is exact: decimal products rounded once to the cent, half away from zero.
    assert actual["net_revenue"].to_list() == expected["net_revenue"].to_list()
    assert actual["order_value_usd"].to_list() == expected["order_value_usd"].to_list()
    for column in ("cancel_rate", "refund_rate", "conversion_rate", "orders_per_session"):
        assert actual[column].to_list() == pytest.approx(expected[column].to_list(), abs=1e-9), column
    assert actual["sessions_converted"].to_list() == expected["converted"].to_list()
    assert actual["avg_hours_created_to_shipped"].to_list() == pytest.approx(expected["h_ship"].to_list(), abs=0.006)
    assert actual["avg_hours_shipped_to_delivered"].to_list() == pytest.approx(
        expected["h_deliver"].fill_nan(None).to_list(), abs=0.006
    )


def test_daily_marts_report_the_loaded_days_with_rates_and_shares_in_range(built):
    days = query(built, "select date_day, is_provisional from marts.dim_date where is_loaded order by date_day")
    assert days["date_day"].cast(pl.String).to_list() == DAYS
    # late rows can still arrive for 3 days after a day: none of 3 loaded days has 3 loaded successors
    assert days["is_provisional"].to_list() == [True] * len(DAYS)
    for mart, day_column in (
        ("agg_daily_sales", "sale_date"),
        ("agg_sales_by_category", "sale_date"),
        ("mart_order_kpis", "order_date"),
    ):
        reported = query(built, f"select distinct {day_column} as d from marts.{mart} order by d")
        assert reported["d"].cast(pl.String).to_list() == DAYS, mart
    # A late sale line dated before the first loaded day is in the facts, not in a reported day.
    late = query(built, f"select count(*) as n from marts.fct_sales where sale_date < '{START}'")["n"].item()
    assert late > 0, "the generator sends late store lines: the first day's file carries some"
    columns = query(
        built, "select table_name, column_name from information_schema.columns where table_schema = 'marts'"
    )
    bounded = columns.filter(pl.col("column_name").str.contains(r"(_rate$|^share_)"))
    assert {"conversion_rate", "cancel_rate", "refund_rate", "share_of_net_revenue"} <= set(bounded["column_name"])
    for table, column in bounded.iter_rows():
        outside = query(built, f"select count(*) as n from marts.{table} where {column} not between 0 and 1")
        assert outside["n"].item() == 0, f"{table}.{column}"


def test_every_dbt_test_ran_as_a_check_and_passed_on_clean_data(built, monkeypatch):
    manifest = json.loads((Path(__file__).parents[1] / "dbt_project/target/manifest.json").read_text())
    dbt_tests = {n["name"] for n in manifest["nodes"].values() if n["resource_type"] == "test"}
    monkeypatch.setenv("DAGSTER_HOME", str(built / "dagster_home"))
    with dg.DagsterInstance.get() as instance:
        (dbt_run,) = [r for r in instance.get_runs() if r.job_name == "warehouse_dbt"]
        logs = instance.all_logs(dbt_run.run_id)
    # Dagster's word for a blocking check that never ran, which would hold automation back.
    assert not [e.user_message for e in logs if "emitted no result" in (e.user_message or "")]
    evaluations = [
        e.dagster_event.event_specific_data
        for e in logs
        if e.dagster_event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION
    ]
    assert sorted(c.check_name for c in evaluations) == sorted(dbt_tests)
    assert [c.check_name for c in evaluations if not c.passed] == []


def test_dbt_unit_tests_pass_on_the_built_warehouse(built, tmp_path):
    from retail_platform.warehouse.project import dbt_executable, retail_dbt_project

    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(built / "warehouse.duckdb", warehouse)
    manifest = json.loads(retail_dbt_project.manifest_path.read_text())
    unit_tests = manifest["unit_tests"]
    assert {u["model"] for u in unit_tests.values()} >= {"int_customers_versioned", "dim_customers", "mart_order_kpis"}
    done = subprocess.run(
        [dbt_executable(), "test", "--select", "test_type:unit", "--target", "local", "--profiles-dir", "."]
        + ["--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")],
        cwd=retail_dbt_project.project_dir,
        env={**os.environ, "RETAIL_WAREHOUSE_PATH": str(warehouse)},
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:]
    assert f"PASS={len(unit_tests)} " in done.stdout


def test_rerun_and_extension_take_the_incremental_path_without_duplicates(built, tmp_path):
    data_dir = tmp_path / "copy"
    shutil.copytree(built, data_dir)
    before = lake_files(data_dir)
    loaded = query(data_dir, "select sale_line_id, _dbt_loaded_at from marts.fct_sales")

    again = run_cli(data_dir, "--start", START, "--end", END, "--volume", VOLUME)
    assert again.returncode == 0, again.stdout + again.stderr
    assert lake_files(data_dir) == before  # the lake did not change

    extended = run_cli(data_dir, "--start", "2026-11-05", "--end", "2026-11-05", "--volume", VOLUME)
    assert extended.returncode == 0, extended.stdout + extended.stderr
    facts = query(data_dir, "select sale_line_id, _partition_date, _dbt_loaded_at from marts.fct_sales")
    assert facts["sale_line_id"].is_unique().all()
    assert facts.filter(pl.col("_partition_date") == pl.date(2026, 11, 5)).height > 0
    # The extension only touched its own day: earlier rows kept the load time of the re-run.
    rerun_rows = facts.filter(pl.col("_partition_date") < pl.date(2026, 11, 5))
    assert rerun_rows.height == loaded.height
    assert (
        rerun_rows["_dbt_loaded_at"].max()
        < facts.filter(pl.col("_partition_date") == pl.date(2026, 11, 5))["_dbt_loaded_at"].min()
    )
    assert (
        query(data_dir, "select count(*) - count(distinct customer_sk) as d from marts.dim_customers")["d"].item() == 0
    )


def test_run_rejects_a_reversed_range(tmp_path):
    done = run_cli(tmp_path, "--start", END, "--end", START)
    assert done.returncode == 2
    assert f"--end {START} is before --start {END}" in done.stderr


def build_models(warehouse_path: Path, partition: str) -> dg.ExecuteInProcessResult:
    """The dbt models' step over one partition of a copy of the built warehouse."""
    from dagster_dbt import DbtCliResource

    from retail_platform.defs.warehouse.dbt import dbt_model_assets
    from retail_platform.warehouse.project import dbt_executable, retail_dbt_project
    from retail_platform.warehouse.resources import DuckDBWarehouse

    return dg.materialize(
        dbt_model_assets(),
        partition_key=partition,
        resources={
            "dbt": DbtCliResource(project_dir=retail_dbt_project, target="local", dbt_executable=dbt_executable()),
            "warehouse": DuckDBWarehouse(path=str(warehouse_path)),
        },
        raise_on_error=False,
    )


def failing_error_checks(result: dg.ExecuteInProcessResult) -> set[tuple[str, str]]:
    checks = [
        e.asset_check_evaluation_data for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"
    ]
    return {
        (c.asset_key.to_user_string(), c.check_name)
        for c in checks
        if not c.passed and c.severity == dg.AssetCheckSeverity.ERROR
    }


def test_a_failing_error_severity_dbt_test_stops_the_downstream_assets(built, tmp_path):
    from retail_platform.warehouse.project import retail_dbt_project

    warehouse_path = tmp_path / "warehouse.duckdb"
    shutil.copy(built / "warehouse.duckdb", warehouse_path)
    with duckdb.connect(str(warehouse_path)) as con:
        # A sale line from a channel nobody declared: fct_sales' accepted_values test must fail.
        con.execute(f"""
            insert into gold.sales
            select * replace ('bad:' || sale_line_id as sale_line_id, 'kiosk' as channel)
            from gold.sales where _partition_date = '{END}' limit 1""")
        revenue_before = con.execute("select sum(net_revenue_usd) from marts.agg_daily_sales").fetchone()[0]

    result = build_models(warehouse_path, END)
    assert not result.success
    # The staging model of gold.sales carries the test: dbt builds nothing downstream of it.
    failing = failing_error_checks(result)
    assert failing == {("stg_gold__sales", "accepted_values_stg_gold__sales_channel__store__online")}
    assert [e.step_key for e in result.all_events if e.is_step_failure] == ["dbt_models"]
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    # Exactly what lies downstream of the failed test was held back; everything else was built.
    manifest = json.loads(retail_dbt_project.manifest_path.read_text())
    downstream, frontier = set(), ["model.retail.stg_gold__sales"]
    while frontier:
        for child in manifest["child_map"][frontier.pop()]:
            if child.startswith("model.") and child not in downstream:
                downstream.add(child)
                frontier.append(child)
    held_back = {manifest["nodes"][m]["name"] for m in downstream}
    assert {"fct_sales", "agg_daily_sales"} <= held_back
    assert not materialized & held_back
    assert "stg_pos__transactions" in materialized and "dim_customers" in materialized
    with duckdb.connect(str(warehouse_path), read_only=True) as con:
        assert con.execute("select sum(net_revenue_usd) from marts.agg_daily_sales").fetchone()[0] == revenue_before


def test_a_sale_dated_in_2999_fails_the_calendar_check_and_holds_the_marts(built, tmp_path):
    warehouse_path = tmp_path / "warehouse.duckdb"
    shutil.copy(built / "warehouse.duckdb", warehouse_path)
    with duckdb.connect(str(warehouse_path)) as con:
        con.execute(f"""
            insert into gold.sales
            select * replace (
                'future:' || sale_line_id as sale_line_id,
                date '2999-01-01' as sale_date,
                timestamptz '2999-01-01 10:00:00+00' as sale_ts
            )
            from gold.sales where _partition_date = '{END}' limit 1""")
    result = build_models(warehouse_path, END)
    assert not result.success
    # The calendar ends at the last loaded day: the date does not stretch it, the fact's test fails.
    assert failing_error_checks(result) == {("fct_sales", "relationships_fct_sales_sale_date__date_day__ref_dim_date_")}
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert "fct_sales" in materialized and "dim_date" in materialized
    assert not materialized & {"agg_daily_sales", "agg_sales_by_category", "mart_customer_360"}
