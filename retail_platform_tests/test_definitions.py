import ast
import difflib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from retail_platform.definitions import defs
from retail_platform.layers import DAILY_JOB, DBT_JOB
from retail_platform.partitions import daily_partitions
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


def test_every_asset_shares_one_partitioning_and_takes_a_range_in_one_run():
    graph = defs.resolve_asset_graph()
    nodes = [graph.get(k) for k in graph.get_all_asset_keys()]
    # One partitions definition and a single-run backfill policy for every asset, lake and dbt alike:
    # that is what lets a backfill of the whole graph be one run.
    assert {n.partitions_def for n in nodes} == {daily_partitions}
    assert {n.backfill_policy for n in nodes} == {dg.BackfillPolicy.single_run()}
    # Nothing waits for its own previous partition (a self-dependent asset gets runs of its own).
    assert all(n.key not in n.parent_keys for n in nodes)
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


# --- the house: layout, snapshot, tooling --------------------------------------------------------

PACKAGE = Path(__file__).resolve().parents[1] / "retail_platform"


def test_the_definitions_match_the_reviewed_snapshot():
    from retail_platform_tests.definitions_snapshot import SNAPSHOT, render

    current = render(defs)
    expected = SNAPSHOT.read_text()
    if current != expected:
        diff = "\n".join(difflib.unified_diff(expected.splitlines(), current.splitlines(), "committed", "current"))
        raise AssertionError(
            "The Dagster definitions changed. If intended, regenerate the snapshot with "
            f"`python -m retail_platform_tests.definitions_snapshot` and commit it:\n{diff}"
        )


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names |= {node.module, *(f"{node.module}.{alias.name}" for alias in node.names)}
    return names


def test_only_defs_imports_defs_and_no_module_is_long():
    outside = [p for p in PACKAGE.rglob("*.py") if "defs" not in p.relative_to(PACKAGE).parts]
    assert outside, "the scan found no modules"
    importing = {
        str(p.relative_to(PACKAGE)): sorted(m for m in _imported_modules(p) if m.startswith("retail_platform.defs"))
        for p in outside
    }
    # The entry point loads the folder as a whole (the package), never a definition from it.
    assert importing.pop("definitions.py") == ["retail_platform.defs"]
    assert {p: m for p, m in importing.items() if m} == {}
    # The defs folder holds Dagster definitions only: the pure core never imports Dagster.
    for pure in ("transforms", "sources/registry.py", "lake/paths.py", "quality/rules.py", "quality/stats.py"):
        for path in [PACKAGE / pure] if pure.endswith(".py") else (PACKAGE / pure).rglob("*.py"):
            assert not {m for m in _imported_modules(path) if m.split(".")[0] == "dagster"}, path
    long = {
        str(p.relative_to(PACKAGE)): n for p in PACKAGE.rglob("*.py") if (n := len(p.read_text().splitlines())) > 500
    }
    assert long == {}


def test_a_missing_dbt_manifest_is_a_clear_error_naming_the_fix(tmp_path, monkeypatch):
    from dagster_dbt import DbtProject

    from retail_platform.warehouse import project

    copy = tmp_path / "dbt_project"
    shutil.copytree(project.DBT_PROJECT_DIR, copy, ignore=shutil.ignore_patterns("target", "logs"))
    monkeypatch.setattr(project, "retail_dbt_project", DbtProject(project_dir=copy, profiles_dir=copy))
    monkeypatch.delenv("DAGSTER_IS_DEV_CLI", raising=False)
    with pytest.raises(project.DbtManifestMissing, match=r"dbt manifest not found at .*`make prepare`"):
        project.prepared_manifest()


def test_dagster_dev_parses_the_dbt_project_only_when_a_dbt_file_changed(tmp_path):
    from dagster_dbt import DbtProject

    from retail_platform.warehouse import project

    copy = tmp_path / "dbt_project"
    shutil.copytree(project.DBT_PROJECT_DIR, copy, ignore=shutil.ignore_patterns("target", "logs"))
    copied = DbtProject(project_dir=copy, profiles_dir=copy)
    assert not project.manifest_is_current(copied)  # none yet
    Path(copied.manifest_path).parent.mkdir(parents=True)
    Path(copied.manifest_path).write_text("{}")
    assert project.manifest_is_current(copied)
    model = next((copy / "models").rglob("*.sql"))
    later = Path(copied.manifest_path).stat().st_mtime + 5
    os.utime(model, (later, later))  # a model edited after the parse
    assert not project.manifest_is_current(copied)


@pytest.mark.parametrize("command", [["check", "defs"], ["list", "defs", "--json"]])
def test_dg_reads_the_project_from_the_repo_root(command, tmp_path):
    root = PACKAGE.parent
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path), "RETAIL_DATA_DIR": str(tmp_path / "data")}
    done = subprocess.run(
        [str(Path(sys.executable).parent / "dg"), *command],
        cwd=root,
        check=False,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    if command[0] == "list":
        listed = json.loads(done.stdout[done.stdout.index("{") :])
        keys = {asset["asset_key"] for asset in listed["assets"]}
        assert {"silver/orders", "gold/sales", "fct_sales", "mart_order_kpis"} <= keys
