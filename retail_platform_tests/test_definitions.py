import os
import subprocess
import sys

import dagster as dg

from retail_platform.definitions import DAILY_JOB, defs
from retail_platform.sources.registry import TABLES


def test_dagster_definitions_validate_passes(tmp_path):
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path), "RETAIL_DATA_DIR": str(tmp_path / "data")}
    done = subprocess.run(
        [sys.executable, "-m", "dagster", "definitions", "validate", "-m", "retail_platform.definitions"],
        check=False, capture_output=True, text=True, env=env, timeout=300,
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


def test_every_daily_asset_shares_one_partitioning_and_the_job_covers_them():
    graph = defs.resolve_asset_graph()
    partitionings = {graph.get(k).partitions_def for k in graph.get_all_asset_keys()}
    assert len(partitionings) == 1
    job = defs.resolve_job_def(DAILY_JOB)
    assert isinstance(job.partitions_def, dg.DailyPartitionsDefinition)
    assert {k for k in job.asset_layer.selected_asset_keys} == set(graph.get_all_asset_keys())


def test_unknown_deployment_fails_with_a_clear_message(tmp_path):
    done = subprocess.run([sys.executable, "-c", "import retail_platform.definitions"], check=False, capture_output=True,
                          text=True, env={**os.environ, "RETAIL_DEPLOYMENT": "staging"}, timeout=120)
    assert done.returncode != 0
    assert "RETAIL_DEPLOYMENT='staging' is not one of local, dev, qa, prod, branch" in done.stderr
