"""Cloud deployments against real protocol servers on loopback: moto's S3 server and fakesnow's
Snowflake server. Nothing here mocks a client library."""

import io
import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import dagster as dg
import polars as pl
import pytest
import snowflake.connector as snowflake_connector

from retail_platform.deployments import DeploymentConfigError, cloud_settings, current_deployment
from retail_platform.provisioning import LAKE_ROLE_ARN_ENV, apply_plan, ensure_bucket, provision, provisioning_plan
from retail_platform_tests.cloud_servers import cloud_env, s3_client, s3_server, snowflake_server

REPO = Path(__file__).resolve().parents[1]
SECRET = "correct-horse-battery-staple"
LAKE_ROLE = "arn:aws:iam::123456789012:role/retail-snowflake-lake"


@pytest.fixture(scope="module")
def servers():
    with s3_server() as s3, snowflake_server() as snowflake:
        yield s3, snowflake


def snowflake_rows(snowflake: dict, sql: str) -> list[tuple]:
    with snowflake_connector.connect(**snowflake) as conn:
        cur = conn.cursor()
        cur.execute(sql)
        return cur.fetchall()


def subprocess_env(extra: dict[str, str]) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SNOWFLAKE_", "RETAIL_", "AWS_", "DAGSTER_CLOUD_")) and k != "DAGSTER_HOME"
    }
    return {**env, **extra}


# --- configuration --------------------------------------------------------------------------


def test_missing_variables_are_named_together_with_the_deployment_and_no_secret():
    with pytest.raises(DeploymentConfigError) as error:
        cloud_settings("qa", {"SNOWFLAKE_ACCOUNT": "acme", "SNOWFLAKE_USER": SECRET})
    message = str(error.value)
    assert "deployment 'qa'" in message
    for name in (
        "RETAIL_LAKE_BUCKET",
        "SNOWFLAKE_ROLE",
        "SNOWFLAKE_WAREHOUSE",
        "SNOWFLAKE_PASSWORD or SNOWFLAKE_PRIVATE_KEY",
    ):
        assert name in message
    assert "SNOWFLAKE_ACCOUNT" not in message and SECRET not in message


def test_deployment_follows_dagster_cloud(monkeypatch):
    monkeypatch.delenv("RETAIL_DEPLOYMENT", raising=False)
    monkeypatch.setenv("DAGSTER_CLOUD_DEPLOYMENT_NAME", "prod")
    assert current_deployment() == "prod"
    monkeypatch.setenv("DAGSTER_CLOUD_IS_BRANCH_DEPLOYMENT", "1")
    assert current_deployment() == "branch"
    monkeypatch.setenv("RETAIL_DEPLOYMENT", "qa")  # explicit wins
    assert current_deployment() == "qa"


def test_a_branch_gets_its_own_prefix_and_a_clone_of_prod():
    env = cloud_env(
        "branch",
        "http://127.0.0.1:1",
        {"account": "a", "user": "u", "password": "p", "host": "h", "port": 1, "protocol": "http"},
        DAGSTER_CLOUD_PULL_REQUEST_ID="42",
        RETAIL_LAKE_PREFIX="lake",
    )
    settings = cloud_settings("branch", env)
    assert (settings.database, settings.clone_from, settings.prefix) == (
        "RETAIL_BRANCH_PR_42",
        "RETAIL_PROD",
        "lake/branches/pr_42",
    )
    assert cloud_settings("prod", env).database == "RETAIL_PROD"


def test_the_cloud_load_copies_from_the_provisioned_stage_unless_told_otherwise():
    servers = {"account": "a", "user": "u", "password": "p", "host": "h", "port": 1, "protocol": "http"}
    env = {k: v for k, v in cloud_env("prod", "http://127.0.0.1:1", servers).items() if k != "RETAIL_SNOWFLAKE_STAGE"}
    warehouse = resources_for_env("prod", env)["warehouse"]
    assert (warehouse.stage, warehouse.stage_url) == ("PUBLIC.LAKE", "s3://retail-prod-lake/")
    assert cloud_settings("prod", {**env, "RETAIL_SNOWFLAKE_STAGE": "none"}).stage is None


def resources_for_env(deployment: str, env: dict[str, str]) -> dict[str, object]:
    from unittest import mock

    from retail_platform.deployments import resources_for

    with mock.patch.dict(os.environ, env, clear=False):
        return resources_for(deployment)


def test_definitions_load_for_every_deployment_and_fail_clearly_without_variables(tmp_path):
    snowflake = {
        "account": "acme",
        "user": "loader",
        "password": SECRET,
        "host": "127.0.0.1",
        "port": 1,
        "protocol": "http",
    }
    script = (
        "import retail_platform.definitions as d; from retail_platform.deployments import current_deployment; "
        "g = d.defs.resolve_asset_graph(); print(current_deployment(), "
        "type(d.defs.resources['lake']).__name__, type(d.defs.resources['warehouse']).__name__, "
        "len(list(g.get_all_asset_keys())), sorted(j.name for j in d.defs.resolve_all_job_defs()))"
    )
    for deployment in ("dev", "qa", "prod", "branch"):
        env = subprocess_env(
            cloud_env(
                deployment,
                "http://127.0.0.1:1",
                snowflake,
                DAGSTER_CLOUD_PULL_REQUEST_ID="7",
                RETAIL_DATA_DIR=str(tmp_path),
            )
        )
        done = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=REPO, check=False, timeout=300
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith(f"{deployment} S3Lake SnowflakeWarehouse")
        # Everywhere, and refusing to drop anything but a branch clone (see the branch test).
        assert "drop_branch_clone" in done.stdout
    bare = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
        env=subprocess_env({"RETAIL_DEPLOYMENT": "prod", "SNOWFLAKE_PASSWORD": SECRET}),
        timeout=300,
    )
    assert bare.returncode != 0
    assert (
        "deployment 'prod' cannot start: missing environment variable(s): RETAIL_LAKE_BUCKET, SNOWFLAKE_ACCOUNT"
        in bare.stderr
    )
    assert SECRET not in bare.stderr
    local = subprocess.run(
        [
            sys.executable,
            "-c",
            script + "; import sys; print(sorted(m for m in sys.modules if m.startswith(("
            "'dagster_snowflake', 'dagster_aws', 'snowflake.connector', 'botocore'))))",
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
        env=subprocess_env({"RETAIL_DATA_DIR": str(tmp_path)}),
        timeout=300,
    )
    assert local.returncode == 0, local.stderr
    assert local.stdout.startswith("local LocalLake DuckDBWarehouse")
    assert local.stdout.strip().endswith("[]")  # the local deployment never imports the cloud clients


def test_dbt_parses_for_every_target(tmp_path):
    env = subprocess_env({"SNOWFLAKE_ACCOUNT": "acme", "SNOWFLAKE_USER": "loader"})
    dbt = str(Path(sys.executable).parent / "dbt")
    for target in ("local", "dev", "qa", "prod", "branch"):
        done = subprocess.run(
            [dbt, "parse", "--profiles-dir", ".", "--target", target, "--target-path", str(tmp_path / target)],
            cwd=REPO / "dbt_project",
            capture_output=True,
            text=True,
            env=env,
            check=False,
            timeout=300,
        )
        assert done.returncode == 0, done.stdout[-2000:]
        assert (tmp_path / target / "manifest.json").exists()


# --- provisioning ---------------------------------------------------------------------------


def test_every_provisioning_statement_is_idempotent_and_the_analyst_only_reads_marts():
    plan = provisioning_plan("prod", bucket="retail-prod-lake", lake_role_arn=LAKE_ROLE)
    for statement in plan:
        assert " if not exists " in statement.sql or statement.sql.startswith("grant "), statement.sql
    analyst = [s.sql for s in plan if "RETAIL_PROD_ANALYST" in s.sql and s.kind == "grant" and " on " in s.sql]
    assert all(
        "MARTS" in sql or sql.startswith(("grant usage on database", "grant usage on warehouse")) for sql in analyst
    )
    assert not [sql for sql in analyst if "all privileges" in sql]


def test_the_lake_stage_is_over_the_bucket_and_only_the_transformer_uses_it():
    plan = provisioning_plan("prod", bucket="retail-prod-lake", lake_role_arn=LAKE_ROLE)
    (integration,) = [s.sql for s in plan if s.kind == "integration"]
    assert integration.startswith("create storage integration if not exists RETAIL_PROD_LAKE type = external_stage")
    assert f"storage_aws_role_arn = '{LAKE_ROLE}'" in integration
    assert "storage_allowed_locations = ('s3://retail-prod-lake/')" in integration
    (stage,) = [s.sql for s in plan if s.kind == "stage"]
    assert stage.startswith(
        "create stage if not exists RETAIL_PROD.PUBLIC.LAKE url = 's3://retail-prod-lake/' "
        "storage_integration = RETAIL_PROD_LAKE"
    )
    assert [s.sql for s in plan if "PUBLIC" in s.sql and s.kind == "grant"] == [
        "grant usage on schema RETAIL_PROD.PUBLIC to role RETAIL_PROD_TRANSFORMER",
        "grant usage on stage RETAIL_PROD.PUBLIC.LAKE to role RETAIL_PROD_TRANSFORMER",
    ]
    assert not [s for s in provisioning_plan("prod") if s.kind in ("integration", "stage")]  # no bucket, no stage
    with pytest.raises(ValueError, match=LAKE_ROLE_ARN_ENV):
        provisioning_plan("prod", bucket="retail-prod-lake")
    with pytest.raises(ValueError, match=LAKE_ROLE_ARN_ENV):
        provisioning_plan("prod", bucket="retail-prod-lake", lake_role_arn=f"{LAKE_ROLE}') enabled = false --")
    with pytest.raises(ValueError, match="not an S3 bucket name"):
        provisioning_plan("prod", bucket="retail-prod-lake/') --", lake_role_arn=LAKE_ROLE)


def test_provisioning_twice_changes_nothing(servers):
    s3, snowflake = servers
    client = s3_client(s3)
    assert ensure_bucket(client, "retail-qa-lake") is True
    assert ensure_bucket(client, "retail-qa-lake") is False

    # fakesnow parses databases, schemas and stages; warehouses, roles, grants and storage
    # integrations are untested here.
    supported = {"database", "schema", "stage"}
    plan = provisioning_plan("qa", bucket="retail-qa-lake", lake_role_arn=LAKE_ROLE)
    state = []
    for _ in range(2):
        with snowflake_connector.connect(**snowflake) as conn:
            apply_plan(conn.cursor(), plan, supported)
        state.append(
            (
                snowflake_rows(snowflake, "show databases like 'RETAIL_QA'"),
                sorted(r[1] for r in snowflake_rows(snowflake, "show schemas in database RETAIL_QA")),
                [(r[3], r[1], r[4]) for r in snowflake_rows(snowflake, "show stages in database RETAIL_QA")],
            )
        )
    assert state[0] == state[1]
    assert set(state[0][1]) >= {"SILVER", "GOLD", "STAGING", "INTERMEDIATE", "MARTS"}
    assert state[0][2] == [("PUBLIC", "LAKE", "s3://retail-qa-lake/")]


def test_provision_names_the_missing_lake_role_before_it_touches_anything(servers, monkeypatch):
    s3, snowflake = servers
    env = cloud_env("qa", s3, snowflake, RETAIL_LAKE_BUCKET="retail-unprovisioned-lake")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv(LAKE_ROLE_ARN_ENV, raising=False)
    with pytest.raises(DeploymentConfigError, match=f"missing environment variable {LAKE_ROLE_ARN_ENV}"):
        provision("qa", env)
    assert ensure_bucket(s3_client(s3), "retail-unprovisioned-lake") is True  # it did not exist yet


# --- S3 lake --------------------------------------------------------------------------------


def test_lake_in_s3_for_two_days(servers, tmp_path):
    from dagster_aws.s3 import S3Resource

    from retail_platform.defs.warehouse.load import warehouse_load
    from retail_platform.lake.s3 import S3Lake
    from retail_platform.sources.simulator import SourceSimulator
    from retail_platform.warehouse.resources import DuckDBWarehouse
    from retail_platform_tests.platform import lake_assets

    s3, _ = servers
    client = s3_client(s3)
    ensure_bucket(client, "retail-s3-test")
    lake = S3Lake(
        bucket="retail-s3-test",
        prefix="team",
        s3=S3Resource(
            endpoint_url=s3, aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
        ),
    )
    resources = {
        "lake": lake,
        "sources": SourceSimulator(seed=3, volume=150),
        "warehouse": DuckDBWarehouse(path=str(tmp_path / "w.duckdb")),
    }
    selection = dg.AssetSelection.assets(*lake_assets) - dg.AssetSelection.assets(warehouse_load)
    for day in ("2026-11-09", "2026-11-10"):
        assert dg.materialize(lake_assets, partition_key=day, resources=resources, selection=selection).success

    keys = [
        o["Key"]
        for page in client.get_paginator("list_objects_v2").paginate(Bucket="retail-s3-test")
        for o in page.get("Contents", [])
    ]
    assert all(k.startswith("team/") for k in keys)
    for day in ("2026-11-09", "2026-11-10"):
        for layer_key in (
            f"team/bronze/orders/dt={day}/part-0.parquet",
            f"team/silver/orders/dt={day}/part-0.parquet",
            f"team/silver/_quarantine/orders/dt={day}/part-0.parquet",
            f"team/gold/sales/dt={day}/part-0.parquet",
        ):
            assert layer_key in keys

    def read(key: str) -> pl.DataFrame:
        return pl.read_parquet(io.BytesIO(client.get_object(Bucket="retail-s3-test", Key=key)["Body"].read()))

    bronze, silver = (
        read("team/bronze/pos_transactions/dt=2026-11-10/part-0.parquet"),
        read("team/silver/pos_transactions/dt=2026-11-10/part-0.parquet"),
    )
    quarantine = read("team/silver/_quarantine/pos_transactions/dt=2026-11-10/part-0.parquet")
    assert 0 < silver.height < bronze.height
    assert bronze.height >= silver.height + quarantine.height
    assert bronze["_source_file"].str.starts_with("landing/pos/pos_transactions/dt=2026-11-10/").all()
    # Polars reads the same objects natively over the S3 API.
    native = pl.read_parquet(
        "s3://retail-s3-test/team/silver/pos_transactions/dt=2026-11-10/part-0.parquet",
        storage_options={
            "aws_endpoint_url": s3,
            "aws_access_key_id": "testing",
            "aws_secret_access_key": "testing",
            "aws_region": "us-east-1",
        },
    )
    assert native.equals(silver)

    landing = "team/landing/pos/pos_transactions/dt=2026-11-10/"
    before = {
        o["Key"]: o["LastModified"] for o in client.list_objects_v2(Bucket="retail-s3-test", Prefix=landing)["Contents"]
    }
    assert dg.materialize(lake_assets, partition_key="2026-11-10", resources=resources, selection=selection).success
    after = {
        o["Key"]: o["LastModified"] for o in client.list_objects_v2(Bucket="retail-s3-test", Prefix=landing)["Contents"]
    }
    assert after == before  # identical re-landing leaves the objects untouched
    assert read("team/silver/pos_transactions/dt=2026-11-10/part-0.parquet").equals(silver)


# --- Snowflake warehouse ---------------------------------------------------------------------

# fakesnow hands a NULL timestamp_tz back as the epoch (Snowflake hands back NULL).
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def loadtest_warehouse(snowflake: dict, **config):
    from dagster_snowflake import SnowflakeResource

    from retail_platform.warehouse.snowflake import SnowflakeWarehouse

    snowflake_rows(snowflake, "create database if not exists RETAIL_LOADTEST")
    resource = SnowflakeResource(
        account="fakesnow",
        user="fake",
        password="snow",
        database="RETAIL_LOADTEST",
        additional_snowflake_connection_args={"host": snowflake["host"], "port": snowflake["port"], "protocol": "http"},
    )
    return SnowflakeWarehouse(snowflake=resource, **{"database": "RETAIL_LOADTEST", **config})


def silver_pos_transactions() -> pl.DataFrame:
    """A real silver partition: strings, Decimal(18,2), UTC timestamps, int64."""
    from retail_platform.sources.generator import generate_day
    from retail_platform.sources.registry import table_spec
    from retail_platform.transforms.bronze import read_raw_text, to_bronze
    from retail_platform.transforms.silver import clean

    spec = table_spec("pos_transactions")
    (landed,) = [f for f in generate_day(date(2026, 11, 10), volume=150) if f.table == spec.table]
    bronze = to_bronze(
        read_raw_text(landed.content, spec.file_format),
        source_file=landed.name,
        ingested_at=datetime(2026, 11, 11, tzinfo=UTC),
    )
    return clean(spec, bronze.lazy()).silver


def loaded_day(snowflake: dict, table: str, day: str, columns: list[str]) -> list[tuple]:
    rows = snowflake_rows(
        snowflake,
        f"select {', '.join(columns)} from RETAIL_LOADTEST.SILVER.{table} "
        f"where _partition_date = '{day}' order by transaction_id",
    )
    return [tuple(None if value == EPOCH else value for value in row) for row in rows]


def test_snowflake_load_replaces_a_day_and_branch_clones_come_and_go(servers):
    from retail_platform.defs.warehouse.branch import drop_branch_clone

    _, snowflake = servers
    warehouse = loadtest_warehouse(snowflake)
    silver = silver_pos_transactions()
    for _ in range(2):
        assert warehouse.replace_partition("silver", "pos_transactions", date(2026, 11, 10), silver) == silver.height
    warehouse.replace_partition("silver", "pos_transactions", date(2026, 11, 11), silver.head(3))
    counts = dict(
        snowflake_rows(
            snowflake, "select _partition_date, count(*) from RETAIL_LOADTEST.SILVER.POS_TRANSACTIONS group by 1"
        )
    )
    assert counts == {date(2026, 11, 10): silver.height, date(2026, 11, 11): 3}
    total = snowflake_rows(
        snowflake,
        "select sum(total_amount) from RETAIL_LOADTEST.SILVER.POS_TRANSACTIONS where _partition_date = '2026-11-10'",
    )[0][0]
    assert float(total) == pytest.approx(float(silver["total_amount"].sum()))
    # Every value as the frame holds it: exact decimals, microseconds, and UTC as the offset.
    loaded = loaded_day(snowflake, "POS_TRANSACTIONS", "2026-11-10", silver.columns)
    assert loaded == silver.sort("transaction_id").rows()
    stamps = [value for row in loaded for value in row if isinstance(value, datetime)]
    assert stamps and all(value.utcoffset() == timedelta(0) for value in stamps)

    branch = loadtest_warehouse(snowflake, database="RETAIL_BRANCH_PR_9", clone_from="RETAIL_LOADTEST")
    branch.ensure_database()
    assert snowflake_rows(snowflake, "show databases like 'RETAIL_BRANCH_PR_9'")
    # fakesnow cannot parse DROP DATABASE (untested on the emulator): check that the job sent exactly
    # that statement for the branch database over the wire, and that the server is what refused it.
    dropped = drop_branch_clone.execute_in_process(resources={"warehouse": branch}, raise_on_error=False)
    failure = next(e for e in dropped.all_events if e.is_step_failure).step_failure_data.error
    assert "DROP DATABASE IF EXISTS RETAIL_BRANCH_PR_9" in str(failure.cause or failure)
    with pytest.raises(RuntimeError, match="not a branch clone"):
        warehouse.drop_database()


def test_a_snowflake_load_step_logs_in_once_adds_new_columns_and_keeps_a_day_whose_copy_fails(servers):
    from fakesnow.server import sessions  # the emulator's sessions, one per login

    _, snowflake = servers
    warehouse = loadtest_warehouse(snowflake)
    silver = silver_pos_transactions()
    days = [date(2026, 11, 10), date(2026, 11, 11), date(2026, 11, 12)]
    before = set(sessions)
    with warehouse.session():
        warehouse.replace_partition("silver", "pos_step", days[0], silver)
        warehouse.replace_partition("silver", "pos_step", days[1], silver.with_columns(channel=pl.lit("web")))
        # Text where the table holds money: the copy fails inside the transaction.
        unreadable = silver.with_columns(total_amount=pl.lit("n/a"))
        with pytest.raises(snowflake_connector.errors.Error):
            warehouse.replace_partition("silver", "pos_step", days[0], unreadable)
        warehouse.replace_partition("silver", "pos_step", days[2], silver.head(5))  # the connection carries on
    assert len(set(sessions) - before) == 1  # one login for the whole step

    counts = dict(
        snowflake_rows(snowflake, "select _partition_date, count(*) from RETAIL_LOADTEST.SILVER.POS_STEP group by 1")
    )
    assert counts == {days[0]: silver.height, days[1]: silver.height, days[2]: 5}
    assert loaded_day(snowflake, "POS_STEP", "2026-11-10", silver.columns) == silver.sort("transaction_id").rows()
    channels = dict(
        snowflake_rows(
            snowflake, "select _partition_date, max(channel) from RETAIL_LOADTEST.SILVER.POS_STEP group by 1"
        )
    )
    assert channels == {days[0]: None, days[1]: "web", days[2]: None}

    # Names that are not plain identifiers never reach the SQL; the day must be a date.
    with pytest.raises(ValueError, match="not a plain SQL identifier"):
        warehouse.replace_partition("silver", "pos_step; drop table pos_step", days[0], silver)
    with pytest.raises(ValueError, match="not a plain SQL identifier"):
        warehouse.replace_partition("silver", "pos_step", days[0], silver.rename({"currency": 'x" int, y'}))
    with pytest.raises(TypeError, match="must be a date"):
        warehouse.replace_partition("silver", "pos_step", "2026-11-10", silver)


def test_snowflake_copies_a_day_straight_from_the_lake_through_an_external_stage(servers, tmp_path):
    from retail_platform.lake.paths import partition_file
    from retail_platform.lake.storage import LocalLake

    _, snowflake = servers
    silver = silver_pos_transactions()
    lake = LocalLake(root=str(tmp_path / "lake"))
    key = partition_file("silver", "pos_transactions", "2026-11-10")
    lake.write_parquet(key, silver)
    # Production's stage is over s3://<bucket>/, which fakesnow cannot read (no S3 access from its
    # DuckDB); it reads file:// URLs, so a stage over the local lake stands in for it here.
    root = f"file://{tmp_path / 'lake'}/"
    warehouse = loadtest_warehouse(snowflake, stage="PUBLIC.LAKE", stage_url=root)
    snowflake_rows(snowflake, f"create stage if not exists RETAIL_LOADTEST.PUBLIC.LAKE url = '{root}'")

    day = date(2026, 11, 10)
    assert warehouse.replace_partition("silver", "from_lake", day, silver, source=root + key) == silver.height
    assert loaded_day(snowflake, "FROM_LAKE", "2026-11-10", silver.columns) == silver.sort("transaction_id").rows()
    assert lake.exists(key)  # read in place, never purged

    # The copy reads the lake, not the frame: without the object it loads nothing, and the
    # row count check keeps the previous load of the day.
    Path(lake.uri(key)).unlink()
    with pytest.raises(RuntimeError, match=f"loaded 0 of {silver.height} rows"):
        warehouse.replace_partition("silver", "from_lake", day, silver, source=root + key)
    with pytest.raises(ValueError, match="not an object under"):
        warehouse.replace_partition("silver", "from_lake", day, silver, source=f"s3://another-lake/{key}")
    count = snowflake_rows(snowflake, "select count(*) from RETAIL_LOADTEST.SILVER.FROM_LAKE")[0][0]
    assert count == silver.height


# --- end to end -----------------------------------------------------------------------------


def test_dev_deployment_end_to_end_with_only_environment_variables(servers, tmp_path):
    s3, snowflake = servers
    env = subprocess_env(
        {**cloud_env("dev", s3, snowflake), "RETAIL_DATA_DIR": str(tmp_path), "SNOWFLAKE_PASSWORD": SECRET}
    )
    provisioned = subprocess.run(
        [sys.executable, "-m", "retail_platform", "provision", "--only", "database", "schema"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert provisioned.returncode == 0, provisioned.stderr[-3000:]
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "retail_platform",
            "run",
            "--start",
            "2026-11-02",
            "--end",
            "2026-11-02",
            "--volume",
            "100",
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "s3://retail-dev-lake" in done.stdout
    assert SECRET not in done.stdout + done.stderr

    client = s3_client(s3)
    gold = pl.read_parquet(
        io.BytesIO(
            client.get_object(Bucket="retail-dev-lake", Key="gold/sales/dt=2026-11-02/part-0.parquet")["Body"].read()
        )
    )
    assert not (tmp_path / "lake").exists()  # nothing went to the local folder
    facts = snowflake_rows(snowflake, "select count(*), count(distinct sale_line_id) from RETAIL_DEV.MARTS.FCT_SALES")
    assert facts == [(gold.height, gold.height)]
    kpis = snowflake_rows(
        snowflake, "select orders_created from RETAIL_DEV.MARTS.MART_ORDER_KPIS where order_date = '2026-11-02'"
    )
    assert kpis and kpis[0][0] > 0
    current = snowflake_rows(snowflake, "select count(*) from RETAIL_DEV.MARTS.DIM_CUSTOMERS where is_current")[0][0]
    assert (
        current
        == snowflake_rows(snowflake, "select count(distinct customer_id) from RETAIL_DEV.SILVER.CUSTOMERS")[0][0]
    )
