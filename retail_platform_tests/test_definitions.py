import os
import subprocess
import sys

import dagster as dg

from retail_platform.definitions import DAILY_JOB, DBT_JOB, defs
from retail_platform.sources.registry import TABLES


def test_dagster_definitions_validate_passes(tmp_path):
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path), "RETAIL_DATA_DIR": str(tmp_path / "data")}
    done = subprocess.run(
        [sys.executable, "-m", "dagster", "definitions", "validate", "-m", "retail_platform.definitions"],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "All code locations passed validation" in done.stdout + done.stderr


def test_every_registry_table_has_its_layers_and_checks():
    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    for spec in TABLES:
        assert {f"landing/{spec.table}", f"bronze/{spec.table}", f"silver/{spec.table}"} <= keys
    assert {"silver/orders_history", "gold/sales", "gold/order_lifecycle", "gold/inventory_position"} <= keys
    checks = {(c.asset_key.to_user_string(), c.name) for c in graph.asset_check_keys}
    assert ("silver/pos_transactions", "row_conservation") in checks
    assert ("silver/orders_history", "row_conservation") in checks
    assert ("silver/orders", "unique_key") in checks


def test_every_daily_asset_shares_one_partitioning_and_the_jobs_cover_the_graph():
    graph = defs.resolve_asset_graph()
    partitioned = {k.to_user_string(): graph.get(k).partitions_def for k in graph.get_all_asset_keys()}
    assert len({p for p in partitioned.values() if p is not None}) == 1
    # Everything in the lake and the incremental facts are daily; the other dbt models are not.
    assert partitioned["fct_sales"] is not None and partitioned["fct_inventory_daily"] is not None
    assert partitioned["mart_order_kpis"] is None and partitioned["stg_pos__transactions"] is None
    assert all(
        partitioned[k] is not None
        for k in partitioned
        if k.split("/")[0] in ("landing", "bronze", "silver", "gold", "warehouse")
    )
    daily = defs.resolve_job_def(DAILY_JOB)
    dbt = defs.resolve_job_def(DBT_JOB)
    assert isinstance(daily.partitions_def, dg.DailyPartitionsDefinition)
    covered = set(daily.asset_layer.selected_asset_keys) | set(dbt.asset_layer.selected_asset_keys)
    assert covered == set(graph.get_all_asset_keys())


def test_dbt_models_are_grouped_by_layer_and_sources_are_the_warehouse_load():
    graph = defs.resolve_asset_graph()
    groups = {k.to_user_string(): graph.get(k).group_name for k in graph.get_all_asset_keys()}
    assert groups["stg_pos__transactions"] == "staging"
    assert groups["dim_customers"] == "dimensions"
    assert groups["fct_sales"] == "facts"
    assert groups["mart_order_kpis"] == "marts"
    assert groups["warehouse/silver/pos_transactions"] == "warehouse"
    upstream = {k.to_user_string() for k in graph.get(dg.AssetKey("stg_pos__transactions")).parent_keys}
    assert upstream == {"warehouse/silver/pos_transactions"}
    assert {
        k.to_user_string() for k in graph.get(dg.AssetKey(["warehouse", "silver", "pos_transactions"])).parent_keys
    } == {"silver/pos_transactions"}
    assert graph.get(dg.AssetKey("fct_sales")).backfill_policy == dg.BackfillPolicy.single_run()


def test_unknown_deployment_fails_with_a_clear_message(tmp_path):
    done = subprocess.run(
        [sys.executable, "-c", "import retail_platform.definitions"],
        check=False,
        capture_output=True,
        text=True,
        env={**os.environ, "RETAIL_DEPLOYMENT": "staging"},
        timeout=120,
    )
    assert done.returncode != 0
    assert "RETAIL_DEPLOYMENT='staging' is not one of local, dev, qa, prod, branch" in done.stderr


def test_the_shipped_instance_configs_are_valid_dagster_instance_configs(tmp_path, monkeypatch):
    import shutil
    from pathlib import Path

    from dagster._core.instance.config import dagster_instance_config

    instance_dir = Path(__file__).resolve().parents[1] / "retail_platform" / "instance"
    for name, env in (
        ("local", {}),
        (
            "prod",
            {
                "DAGSTER_PG_HOST": "db",
                "DAGSTER_PG_PORT": "5432",
                "DAGSTER_PG_DB": "dagster",
                "DAGSTER_PG_USER": "dagster",
                "DAGSTER_PG_PASSWORD": "x",
            },
        ),
    ):
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        home = tmp_path / name
        home.mkdir()
        shutil.copy(instance_dir / f"{name}.yaml", home / "dagster.yaml")
        config, _ = dagster_instance_config(str(home))
        assert config["auto_materialize"]["enabled"] is True
    # prod keeps runs and events in Postgres through dagster-postgres, with run queue limits.
    assert "postgres" in config["storage"]
    assert config["concurrency"]["runs"]["max_concurrent_runs"] == 8
    import dagster_postgres  # noqa: F401  (the storage class the prod config names is installed)
