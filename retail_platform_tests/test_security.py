"""Security: no credential in the repository nor in anything a run writes; every secret through
``dg.EnvVar`` / dbt's ``env_var``; every user-given value checked before it reaches a lake path,
SQL or a dbt variable; the analyst role reads the marts and nothing else."""

import io
import json
import os
import re
import secrets
import sqlite3
import subprocess
import sys
import time
import zlib
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from urllib.parse import quote

import boto3
import dagster as dg
import polars as pl
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from retail_platform.deployments import DeploymentConfigError, branch_name, cloud_settings
from retail_platform.lake.paths import (
    GOLD_DATASETS,
    InvalidPartitionKey,
    partition_dir,
    partition_file,
    quarantine_file,
)
from retail_platform.provisioning import SCHEMAS, Statement, provisioning_plan
from retail_platform_tests.cloud_servers import cloud_env, s3_server, snowflake_server
from retail_platform_tests.test_deployments import subprocess_env

REPO = Path(__file__).resolve().parents[1]

# --- no secret in the repository -------------------------------------------------------------

SECRET_VARIABLES = (
    "SNOWFLAKE_PASSWORD",
    "SNOWFLAKE_PRIVATE_KEY",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "DAGSTER_PG_PASSWORD",
    "RETAIL_ALERT_WEBHOOK_URL",
)
# A quoted literal given to anything named like a credential: a keyword argument, a dict or YAML key.
QUOTED_SECRET = re.compile(
    r"""(?i)\b(\w*(?:password|passwd|secret|private_key|access_key|session_token|api_key|token)\w*)["']?"""
    r"""\s*[:=]\s*[fbr]?["']([^"'\n]*)["']"""
)
# A shell or .env assignment of one of the secret variables, outside Python (where a keyword
# argument with a literal is caught above, and one with a variable is a reference).
SHELL_SECRET = re.compile(r"\b(" + "|".join(SECRET_VARIABLES) + r")=([^\s\"'`;)]+)")
AWS_KEY_ID = re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")
PRIVATE_KEY = re.compile(r"-{5}BEGIN (?:[A-Z]+ )*PRIVATE KEY-{5}")
# The placeholders tests hand to the loopback servers (moto and fakesnow accept any credential).
TEST_PLACEHOLDERS = {"testing", "snow", "p", "x", "fake", "correct-horse-battery-staple"}


def tracked_text_files() -> Iterator[tuple[str, str]]:
    names = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=True,
        text=True,
    ).stdout.split("\0")
    # Tracked files, and new ones not ignored (about to be committed).
    for name in sorted({n for n in names if n}):
        path = REPO / name
        if not path.is_file():
            continue
        data = path.read_bytes()
        if b"\0" in data[:8192]:  # screenshots, benchmark images
            continue
        yield name, data.decode("utf-8", errors="replace")


def secret_literals(name: str, text: str) -> list[str]:
    """Every credential-looking literal in one file."""
    is_test = name.startswith("retail_platform_tests/")
    found = [f"{name}: AWS access key id {m.group(0)}" for m in AWS_KEY_ID.finditer(text)]
    found += [f"{name}: private key block" for _ in PRIVATE_KEY.finditer(text)]
    for match in QUOTED_SECRET.finditer(text):
        value = match.group(2)
        if value.startswith("{{ env_var(") or value.startswith("${") or value == "":
            continue
        if is_test and value in TEST_PLACEHOLDERS:
            continue
        found.append(f"{name}: {match.group(1)} = {value!r}")
    for match in [] if name.endswith(".py") else SHELL_SECRET.finditer(text):
        value = match.group(2)
        if value.startswith(("$", "<")) or (is_test and value in TEST_PLACEHOLDERS):
            continue
        found.append(f"{name}: {match.group(1)}={value}")
    return found


def test_no_secret_literal_in_the_repository():
    files = list(tracked_text_files())
    assert len(files) > 150, "the scan found too few tracked files"
    found = [hit for name, text in files for hit in secret_literals(name, text)]
    assert found == []


def test_the_repository_scan_catches_what_it_looks_for():
    # Spelled in pieces, so that this file itself holds no such literal.
    word, variable = "pass" + "word", "SNOWFLAKE_" + "PASSWORD"
    planted = (
        f'{word} = "hunter2"\n'
        f"{variable}=hunter2 make run\n"
        f'aws_secret_access_{"key"}: "wJalrXUtnFEMI/K7MDENG"\n'
        f"key = '{'AKIA' + 'IOSFODNN7EXAMPLE'}'\n" + "-" * 5 + "BEGIN RSA PRIVATE KEY" + "-" * 5 + "\n"
    )
    assert len(secret_literals("Makefile", planted)) == 5
    # Placeholders are only allowed in tests, and references never count.
    assert secret_literals("retail_platform/x.py", f'{word} = "testing"\n')
    assert not secret_literals("retail_platform_tests/x.py", f'{word} = "testing"\n')
    assert not secret_literals("README.md", "SNOWFLAKE_PASSWORD=$(cat pw) and SNOWFLAKE_PASSWORD=<new one>\n")


SECRET_KEYS = {"password", "private_key", "private_key_passphrase", "token", "oauth_client_secret"}
ENV_VAR_ONLY = re.compile(r"\{\{ env_var\('([A-Z_]+)', ''\) \}\}")


def test_profiles_read_every_secret_through_env_var_with_no_default():
    outputs = yaml.safe_load((REPO / "dbt_project" / "profiles.yml").read_text())["retail"]["outputs"]
    assert set(outputs) == {"local", "dev", "qa", "prod", "branch"}
    read = set()
    for target, output in outputs.items():
        for key in SECRET_KEYS & set(output):
            match = ENV_VAR_ONLY.fullmatch(str(output[key]))
            assert match, f"{target}.{key} must be exactly {{{{ env_var('NAME', '') }}}}, not {output[key]!r}"
            read.add(match.group(1))
        if output["type"] == "snowflake":
            assert {"password", "private_key"} <= set(output), target
    assert read == {"SNOWFLAKE_PASSWORD", "SNOWFLAKE_PRIVATE_KEY"}


def cloud_variables(**extra: str) -> dict[str, str]:
    servers = {"account": "acme", "user": "loader", "password": "", "host": "127.0.0.1", "port": 1, "protocol": "http"}
    env = cloud_env("dev", "http://127.0.0.1:1", servers, **extra)
    return {k: v for k, v in env.items() if not k.startswith("AWS_ACCESS") and not k.startswith("AWS_SECRET")}


def resources_with(env: dict[str, str]) -> dict[str, object]:
    from unittest import mock

    from retail_platform.deployments import resources_for

    with mock.patch.dict(os.environ, env, clear=False):
        return resources_for(env["RETAIL_DEPLOYMENT"])


@pytest.mark.parametrize("variable", ["SNOWFLAKE_PASSWORD", "SNOWFLAKE_PRIVATE_KEY"])
def test_the_cloud_resources_hold_the_secret_variables_name_never_the_value(variable):
    value = made_up("Sup3rSecret-")
    resources = resources_with(
        cloud_variables(**{variable: value, "RETAIL_ALERT_WEBHOOK_URL": f"https://hooks.example/{value}"})
    )
    snowflake = resources["warehouse"].snowflake
    field = "password" if variable == "SNOWFLAKE_PASSWORD" else "private_key"
    held = getattr(snowflake, field)
    assert isinstance(held, dg.EnvVar) and held == variable  # resolved when the run connects
    assert getattr(snowflake, "private_key" if field == "password" else "password") is None
    webhook = resources["automation"].alert_webhook_url
    assert isinstance(webhook, dg.EnvVar) and webhook == "RETAIL_ALERT_WEBHOOK_URL"
    # S3 credentials come from boto3's chain in the run's process, never through the resource.
    s3 = resources["lake"].s3
    assert (s3.aws_access_key_id, s3.aws_secret_access_key, s3.aws_session_token) == (None, None, None)
    # What the UI shows as the resources' configuration.
    shown = repr(
        [r._get_non_default_public_field_values() for r in (snowflake, resources["automation"], resources["lake"])]
    )
    assert value not in shown and variable in shown


# --- no secret in anything a run writes -----------------------------------------------------


def readable_text(data: bytes) -> Iterator[bytes]:
    """The bytes of a file, and what a byte search would miss in it: SQLite cells (Dagster's run,
    event and snapshot storage; snapshots are zlib-compressed) and Parquet values (compressed)."""
    yield data
    if data.startswith(b"PAR1"):
        frame = pl.read_parquet(io.BytesIO(data))
        yield repr(frame.rows()).encode()
        yield repr(frame.schema).encode()


def sqlite_cells(path: Path) -> Iterator[bytes]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as con:
        tables = [r[0] for r in con.execute("select name from sqlite_master where type = 'table'")]
        for table in tables:
            for row in con.execute(f'select * from "{table}"'):
                for value in row:
                    if isinstance(value, bytes):
                        yield value
                        try:
                            yield zlib.decompress(value)
                        except zlib.error:
                            pass
                    elif value is not None:
                        yield str(value).encode()


TOKEN = re.compile(r"[0-9a-f]{16}")


def made_up(prefix: str) -> str:
    """A distinctive fake credential: found anywhere, it can only have come from the test that made
    it. Its random token is searched on its own too, so an escaped or URL-encoded copy is found."""
    return prefix + secrets.token_hex(8)


class Search:
    """Searches what a run wrote for each secret value (and its random token), counting what it
    looked at."""

    def __init__(self, values: dict[str, str]):
        self.values = {}
        for name, value in values.items():
            self.values[name] = value.encode()
            for token in TOKEN.findall(value):
                self.values[f"{name} (its token)"] = token.encode()
        self.found: list[str] = []
        self.counts: dict[str, int] = {}

    def _look(self, where: str, blobs) -> None:
        for blob in blobs:
            for name, value in self.values.items():
                if value in blob:
                    self.found.append(f"{name} in {where}")

    def file(self, path: Path, kind: str) -> None:
        try:
            data = path.read_bytes()
        except FileNotFoundError:  # dbt's target folder is shared: another build pruned it meanwhile
            return
        self.counts[kind] = self.counts.get(kind, 0) + 1
        self._look(str(path), readable_text(data))
        if data.startswith(b"SQLite format 3\0"):
            self.counts["sqlite databases"] = self.counts.get("sqlite databases", 0) + 1
            self._look(f"{path} (cells)", sqlite_cells(path))

    def tree(self, root: Path, kind: str, since: float | None = None) -> None:
        for path in sorted(root.rglob("*")):
            if path.is_file() and (since is None or path.stat().st_mtime >= since):
                self.file(path, kind)

    def text(self, where: str, text: str) -> None:
        self.counts["outputs"] = self.counts.get("outputs", 0) + 1
        self._look(where, [text.encode()])

    def bucket(self, client, bucket: str) -> None:
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for obj in page.get("Contents", []):
                self.counts["s3 objects"] = self.counts.get("s3 objects", 0) + 1
                body = client.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read()
                self._look(f"s3://{bucket}/{obj['Key']}", [obj["Key"].encode(), *readable_text(body)])


def test_the_search_finds_a_secret_wherever_a_run_could_write_it(tmp_path):
    value = made_up("Sup3r/Secret+")
    (tmp_path / "compute.err").write_text(f"connecting with {value}\n")
    pl.DataFrame({"note": [f"x{value}x"]}).write_parquet(tmp_path / "part-0.parquet", compression="zstd")
    # URL-encoded: the token alone is still found.
    (tmp_path / "dbt.log").write_text(f"GET /login?pw={quote(value + '/+', safe='')}\n")
    with sqlite3.connect(tmp_path / "runs.db") as con:
        con.execute("create table snapshots (body blob)")
        con.execute("insert into snapshots values (?)", (zlib.compress(json.dumps({"credential": value}).encode()),))
    search = Search({"SNOWFLAKE_PASSWORD": value})
    search.tree(tmp_path, "files")
    assert sorted({Path(hit.split(" in ")[1].split(" ")[0]).name for hit in search.found}) == [
        "compute.err",
        "dbt.log",
        "part-0.parquet",
        "runs.db",
    ]


@pytest.fixture(scope="module")
def servers():
    with s3_server() as s3, snowflake_server() as snowflake:
        yield s3, snowflake


def fake_secrets() -> dict[str, str]:
    return {
        "SNOWFLAKE_PASSWORD": made_up("Sup3rSecret-"),
        # moto accepts any key pair, so the run really signs its S3 requests with these.
        "AWS_ACCESS_KEY_ID": made_up("AKIA").upper(),
        "AWS_SECRET_ACCESS_KEY": made_up("FakeAws/Secret+") + "/K3y",
        "RETAIL_ALERT_WEBHOOK_URL": made_up("http://127.0.0.1:9/hooks/") + "-webhook-token",
    }


def cli(env: dict[str, str], *args: str, timeout: int = 900) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "retail_platform", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )


ONE_DAY = ("--start", "2026-11-02", "--end", "2026-11-02")


def test_a_dev_deployment_writes_no_secret_anywhere_even_when_it_fails(servers, tmp_path):
    s3, snowflake = servers
    started = time.time() - 1
    fakes = fake_secrets()
    # A key-pair deployment whose key is not a key: the run fails when the warehouse load connects.
    key_body = made_up("Fak3Key") + made_up("")
    made_up_key = "\n".join(["-" * 5 + "BEGIN PRIVATE KEY" + "-" * 5, key_body, "-" * 5 + "END PRIVATE KEY" + "-" * 5])
    fakes_with_key = {**fakes, "SNOWFLAKE_PRIVATE_KEY": key_body}
    home = tmp_path / "dagster_home"
    # A database of its own: the Snowflake emulator keeps one catalog per process, and a module that
    # ran before (test_deployments) may have built RETAIL_DEV already; dbt's incremental path is
    # what the emulator cannot run.
    env = subprocess_env(
        {
            **cloud_env("dev", s3, snowflake),
            **fakes,
            "SNOWFLAKE_DATABASE": "RETAIL_SECURITY_CHECK",
            "RETAIL_DATA_DIR": str(tmp_path),
            "DAGSTER_HOME": str(home),
        }
    )
    outputs: dict[str, subprocess.CompletedProcess] = {}

    outputs["provision"] = cli(env, "provision", "--only", "database", "schema", timeout=300)
    assert outputs["provision"].returncode == 0, outputs["provision"].stderr[-3000:]
    outputs["run"] = cli(env, "run", *ONE_DAY, "--volume", "100")
    done = outputs["run"]
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "s3://retail-dev-lake" in done.stdout

    # A missing variable, and a value refused before anything connects: the message names the
    # variable, never a secret.
    outputs["missing"] = cli({k: v for k, v in env.items() if k != "RETAIL_LAKE_BUCKET"}, "run", *ONE_DAY, timeout=300)
    assert outputs["missing"].returncode != 0
    assert "missing environment variable(s): RETAIL_LAKE_BUCKET" in outputs["missing"].stderr
    outputs["invalid"] = cli(
        {**env, "SNOWFLAKE_DATABASE": "RETAIL_DEV; drop database RETAIL_PROD"}, "run", *ONE_DAY, timeout=300
    )
    assert outputs["invalid"].returncode != 0
    assert "SNOWFLAKE_DATABASE=" in outputs["invalid"].stderr

    # A run that fails in the warehouse load, on the credential itself.
    keyed = {k: v for k, v in env.items() if k != "SNOWFLAKE_PASSWORD"} | {"SNOWFLAKE_PRIVATE_KEY": made_up_key}
    outputs["failing"] = cli(keyed, "run", "--start", "2026-11-03", "--end", "2026-11-03", "--volume", "50")
    failing = outputs["failing"]
    assert failing.returncode == 1, failing.stdout[-3000:] + failing.stderr[-3000:]
    assert "step warehouse_load failed: ValueError: Unable to load private key" in failing.stderr, failing.stderr[
        -3000:
    ]

    search = Search(fakes_with_key)
    for name, result in outputs.items():
        search.text(f"{name} stdout", result.stdout)
        search.text(f"{name} stderr", result.stderr)
    search.tree(tmp_path, "data dir and Dagster home files")
    # dbt writes its target folder, partial-parse state and logs inside the project.
    for folder in ("target", "logs"):
        search.tree(REPO / "dbt_project" / folder, f"dbt_project/{folder} files", since=started)
    client = boto3.client(
        "s3",
        endpoint_url=s3,
        aws_access_key_id=fakes["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=fakes["AWS_SECRET_ACCESS_KEY"],
        region_name="us-east-1",
    )
    for bucket in client.list_buckets()["Buckets"]:
        search.bucket(client, bucket["Name"])
    print("searched:", search.counts)
    assert search.found == []

    # The search looked where the runs wrote: the instance's storage and step logs, dbt's files, the lake.
    assert search.counts["sqlite databases"] >= 3
    assert any(p.suffix in (".err", ".out", ".complete") for p in home.rglob("*")), "no compute logs"
    assert search.counts.get("dbt_project/target files", 0) >= 2
    assert search.counts["s3 objects"] >= 30
    with dg.DagsterInstance.from_config(str(home)) as instance:
        statuses = sorted(r.status.value for r in instance.get_runs())
    assert statuses == ["FAILURE", "SUCCESS", "SUCCESS"]


# --- user-given values are checked before they reach a path, SQL or a dbt var ----------------


@pytest.mark.parametrize(
    "key",
    ["../../etc", "2026-03-02/../x", "2026-02-30", "2026-3-2", "20260302", "", "2026-03-02 ", "2026-03-02\n"],
)
def test_a_partition_key_that_is_not_a_real_day_never_becomes_a_lake_path(key):
    for build in (
        lambda: partition_dir("bronze", "orders", key),
        lambda: partition_dir("landing", "orders", key, source="orders"),
        lambda: partition_file("silver", "orders", key),
        lambda: quarantine_file("orders", key),
    ):
        with pytest.raises(InvalidPartitionKey, match="is not a date like 2026-03-02"):
            build()


def test_a_lake_path_takes_a_date_or_its_key_and_names_only_lake_tables():
    assert partition_file("silver", "orders", date(2026, 3, 2)) == "silver/orders/dt=2026-03-02/part-0.parquet"
    assert partition_dir("landing", "orders", "2026-03-02", source="orders") == "landing/orders/orders/dt=2026-03-02"
    with pytest.raises(InvalidPartitionKey, match="is a timestamp"):
        partition_file("silver", "orders", datetime(2026, 3, 2, 1))
    for table in ("../orders", "orders/../../x", "Orders", "", "orders history"):
        with pytest.raises(ValueError, match="not a lower-case name"):
            partition_file("silver", table, "2026-03-02")
        with pytest.raises(ValueError, match="not a lower-case name"):
            quarantine_file(table, "2026-03-02")
    with pytest.raises(ValueError, match="source name '../pos' is not a lower-case name"):
        partition_dir("landing", "pos_transactions", "2026-03-02", source="../pos")


def test_every_registry_name_is_a_lake_name_and_a_plain_sql_identifier():
    from retail_platform.lake.paths import history_table, lake_name
    from retail_platform.sources.registry import TABLES
    from retail_platform.warehouse.snowflake import sql_identifier

    names = [n for spec in TABLES for n in (spec.table, spec.source, history_table(spec.table))]
    names += [*GOLD_DATASETS, *(column for spec in TABLES for column in spec.column_names)]
    assert len(names) > 50
    for name in names:
        assert lake_name(name) == sql_identifier(name) == name


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "--start", "../../etc"], "is not a date like 2026-11-01"),
        (["run", "--start", "2026-11-01; rm -rf /"], "is not a date like 2026-11-01"),
        (["run", "--end", "20261101"], "is not a date like 2026-11-01"),
        (["run", "--end", "2026-W44-7"], "is not a date like 2026-11-01"),
        (["run", "--end", "2026-02-30"], "is not a date like 2026-11-01"),
        (["run", "--volume", "0"], "is not a whole number >= 1"),
        (["run", "--volume", "1e9"], "is not a whole number >= 1"),
        (["run", "--seed", "-1"], "is not a whole number >= 0"),
        (["run", "--log-level", "LOUD"], "invalid choice"),
        (["provision", "--deployment", "dev; drop database RETAIL_PROD"], "invalid choice"),
        (["provision", "--deployment", "branch"], "invalid choice"),
    ],
)
def test_the_cli_refuses_values_that_are_not_what_they_claim(args, message, capsys):
    from retail_platform.cli import parse_args

    with pytest.raises(SystemExit) as exit_:
        parse_args(args)
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err


def test_the_cli_takes_the_values_the_readme_shows():
    from retail_platform.cli import parse_args

    args = parse_args(["run", "--start", "2026-11-01", "--end", "2026-11-07", "--volume", "5000", "--seed", "7"])
    assert (args.start, args.end, args.volume, args.seed, args.log_level) == (
        date(2026, 11, 1),
        date(2026, 11, 7),
        5000,
        7,
        "ERROR",
    )
    assert parse_args(["run", "--log-level", "info"]).log_level == "INFO"
    assert parse_args(["provision", "--deployment", "qa", "--only", "database"]).deployment == "qa"


@given(st.text(max_size=300))
def test_any_branch_name_becomes_a_short_sql_and_s3_safe_name(raw):
    from retail_platform.defs.warehouse.branch import BRANCH_DATABASE

    name = branch_name({"DAGSTER_CLOUD_GIT_BRANCH": raw})
    assert re.fullmatch(r"[A-Z0-9_]{0,48}", name)
    if name:
        assert BRANCH_DATABASE.fullmatch(f"RETAIL_BRANCH_{name}")


def test_branch_names_are_normalised_and_long_ones_stay_distinct():
    assert branch_name({"DAGSTER_CLOUD_PULL_REQUEST_ID": "42"}) == "PR_42"
    assert branch_name({"DAGSTER_CLOUD_GIT_BRANCH": "feature/Add-Stores!"}) == "FEATURE_ADD_STORES"
    assert branch_name({"RETAIL_BRANCH": "x'; drop database RETAIL_PROD; --"}) == "X_DROP_DATABASE_RETAIL_PROD"
    assert branch_name({"RETAIL_BRANCH": "../../other-team"}) == "OTHER_TEAM"
    long_a, long_b = "feature/" + "a" * 80 + "-one", "feature/" + "a" * 80 + "-two"
    a, b = branch_name({"RETAIL_BRANCH": long_a}), branch_name({"RETAIL_BRANCH": long_b})
    assert len(a) <= 48 and len(b) <= 48 and a != b
    settings = cloud_settings("branch", cloud_variables(SNOWFLAKE_PASSWORD="p", RETAIL_BRANCH=long_a))
    assert settings.database == f"RETAIL_BRANCH_{a}" and settings.prefix == f"branches/{a.lower()}"
    with pytest.raises(DeploymentConfigError, match="RETAIL_BRANCH"):
        cloud_settings("branch", cloud_variables(SNOWFLAKE_PASSWORD="p", RETAIL_BRANCH="!!!"))


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("SNOWFLAKE_DATABASE", "RETAIL_DEV; drop database RETAIL_PROD"),
        ("SNOWFLAKE_DATABASE", '"retail dev"'),
        ("SNOWFLAKE_PROD_DATABASE", "RETAIL_PROD clone x"),
        ("SNOWFLAKE_ROLE", "ACCOUNTADMIN; grant"),
        ("SNOWFLAKE_WAREHOUSE", "WH'"),
        ("SNOWFLAKE_ACCOUNT", "acme.snowflakecomputing.com/evil?x="),
        ("SNOWFLAKE_HOST", "127.0.0.1:1@evil"),
        ("SNOWFLAKE_PORT", "443; x"),
        ("SNOWFLAKE_PROTOCOL", "file"),
        ("RETAIL_SNOWFLAKE_STAGE", "PUBLIC.LAKE; drop stage x"),
        ("RETAIL_LAKE_BUCKET", "Retail_Lake"),
        ("RETAIL_LAKE_BUCKET", "retail-lake/../other"),
        ("RETAIL_LAKE_PREFIX", "../other-team"),
        ("RETAIL_LAKE_PREFIX", "team/../../x"),
    ],
)
def test_deployment_values_that_reach_sql_hosts_or_keys_are_checked_before_anything_connects(variable, value):
    fake = made_up("Sup3rSecret-")
    deployment = "branch" if variable == "SNOWFLAKE_PROD_DATABASE" else "dev"
    env = cloud_variables(SNOWFLAKE_PASSWORD=fake, RETAIL_BRANCH="7", **{variable: value})
    with pytest.raises(DeploymentConfigError) as error:
        cloud_settings(deployment, env)
    assert str(error.value).startswith(f"{variable}=") and fake not in str(error.value)
    with pytest.raises(DeploymentConfigError, match="not a cloud deployment"):
        cloud_settings("dev; drop", cloud_variables(SNOWFLAKE_PASSWORD=fake))


def test_a_lake_prefix_is_normalised():
    env = cloud_variables(SNOWFLAKE_PASSWORD="p", RETAIL_LAKE_PREFIX="/team//lake/")
    assert cloud_settings("dev", env).prefix == "team/lake"


def unconnectable_warehouse(**config):
    from dagster_snowflake import SnowflakeResource

    from retail_platform.warehouse.snowflake import SnowflakeWarehouse

    resource = SnowflakeResource(
        account="acme",
        user="loader",
        password="p",
        additional_snowflake_connection_args={"host": "127.0.0.1", "port": 1, "protocol": "http", "login_timeout": 1},
    )
    return SnowflakeWarehouse(snowflake=resource, **config)


def test_sql_gets_only_plain_identifiers_and_real_dates():
    import polars as pl

    from retail_platform.warehouse.snowflake import copy_statement, sql_date, sql_identifier

    for bad in ("orders; drop table x", 'x"', "1orders", "", "a.b", "a b", "orders--"):
        with pytest.raises(ValueError, match="not a plain SQL identifier"):
            sql_identifier(bad)
    assert sql_date(date(2026, 3, 2)) == "'2026-03-02'::date"
    for bad in ("2026-03-02", "2026-03-02'; drop table x; --", datetime(2026, 3, 2)):
        with pytest.raises(TypeError, match="needs a date"):
            sql_date(bad)
    with pytest.raises(TypeError, match="needs a date"):
        copy_statement("DB.SILVER.T", {"a": pl.String()}, "@s/", "2026-03-02'); drop table x; --")
    with pytest.raises(ValueError, match="not a plain SQL identifier"):
        copy_statement("DB.SILVER.T", {"a'": pl.String()}, "@s/", date(2026, 3, 2))

    # Refused before any connection is attempted (the warehouse points at a closed port).
    evil = unconnectable_warehouse(database="RETAIL_BRANCH_X; drop database RETAIL_PROD", clone_from="RETAIL_PROD")
    for action in (evil.drop_database, evil.ensure_database, lambda: evil.row_counts([("marts", "x")])):
        with pytest.raises(ValueError, match="not a plain SQL identifier"):
            action()
    cloned_from_evil = unconnectable_warehouse(database="RETAIL_BRANCH_X", clone_from="RETAIL_PROD; drop x")
    with pytest.raises(ValueError, match="not a plain SQL identifier"):
        cloned_from_evil.ensure_database()


def test_the_drop_branch_clone_job_drops_only_a_branch_clone():
    from retail_platform.defs.warehouse.branch import drop_branch_clone

    # A clone_from set on prod by mistake: the job still refuses, before connecting.
    prod = unconnectable_warehouse(database="RETAIL_PROD", clone_from="RETAIL_PROD")
    result = drop_branch_clone.execute_in_process(resources={"warehouse": prod}, raise_on_error=False)
    (failure,) = [e for e in result.all_events if e.is_step_failure]
    assert "refusing to drop 'RETAIL_PROD'" in failure.step_failure_data.error.message
    with pytest.raises(RuntimeError, match="not a branch clone"):
        unconnectable_warehouse(database="RETAIL_BRANCH_PR_1").drop_database()


# --- the analyst role reads the marts and nothing else ----------------------------------------

ANALYST_MAY = (
    r"grant usage on warehouse {wh} to role {analyst}",
    r"grant usage on database {db} to role {analyst}",
    r"grant usage on schema {db}\.MARTS to role {analyst}",
    r"grant select on (?:all|future) (?:tables|views) in schema {db}\.MARTS to role {analyst}",
)


def analyst_overreach(plan: list[Statement], deployment: str, database: str) -> list[str]:
    """Every statement that gives the analyst role more than reading the marts."""
    env = deployment.upper()
    analyst = f"RETAIL_{env}_ANALYST"
    allowed = [
        re.compile(p.format(wh=f"RETAIL_{env}_WH", db=re.escape(database), analyst=analyst)) for p in ANALYST_MAY
    ]
    touching = [s.sql for s in plan if re.search(rf"\b{analyst}\b", s.sql)]
    return [
        sql
        for sql in touching
        if not any(p.fullmatch(sql) for p in allowed)
        # Creating the role, and placing it under SYSADMIN (which gives the analyst nothing).
        and sql not in (f"create role if not exists {analyst}", f"grant role {analyst} to role SYSADMIN")
    ]


@pytest.mark.parametrize("deployment", ["dev", "qa", "prod"])
@pytest.mark.parametrize("database", [None, "ANALYTICS_DB"])
def test_the_analyst_role_can_read_the_marts_and_nothing_else(deployment, database):
    plan = provisioning_plan(
        deployment,
        database,
        bucket=f"retail-{deployment}-lake",
        lake_role_arn="arn:aws:iam::123456789012:role/retail-snowflake-lake",
    )
    db = database or f"RETAIL_{deployment.upper()}"
    analyst = f"RETAIL_{deployment.upper()}_ANALYST"
    assert analyst_overreach(plan, deployment, db) == []
    grants = [s.sql for s in plan if s.kind == "grant" and s.sql.endswith(f"to role {analyst}")]
    # It can read the marts: usage down to the schema, select on every table and view there.
    assert f"grant usage on database {db} to role {analyst}" in grants
    assert f"grant usage on schema {db}.MARTS to role {analyst}" in grants
    assert f"grant select on future tables in schema {db}.MARTS to role {analyst}" in grants
    assert f"grant select on future views in schema {db}.MARTS to role {analyst}" in grants
    # No role is granted to it (it inherits nothing), and it owns nothing.
    assert not [s.sql for s in plan if re.fullmatch(rf"grant role \w+ to role {analyst}", s.sql)]
    assert {schema for schema in SCHEMAS if schema != "MARTS"} == {"SILVER", "GOLD", "STAGING", "INTERMEDIATE"}
    for schema in (*SCHEMAS, "PUBLIC"):
        if schema != "MARTS":
            assert not [sql for sql in grants if f"{db}.{schema}" in sql], schema


def test_dbt_grants_nothing_beyond_the_provisioning_plan():
    """dbt's ``grants`` config would give roles access outside the plan: the project sets none."""
    configs = [REPO / "dbt_project" / "dbt_project.yml", *(REPO / "dbt_project").glob("models/**/*.*")]
    assert len(configs) > 30
    assert not [p.name for p in configs if re.search(r"\bgrants\b|\bgrant\s", p.read_text(), re.IGNORECASE)]


@pytest.mark.parametrize(
    "extra",
    [
        "grant usage on schema RETAIL_PROD.SILVER to role RETAIL_PROD_ANALYST",
        "grant select on all tables in schema RETAIL_PROD.GOLD to role RETAIL_PROD_ANALYST",
        "grant select on future tables in schema RETAIL_PROD.STAGING to role RETAIL_PROD_ANALYST",
        "grant all privileges on schema RETAIL_PROD.MARTS to role RETAIL_PROD_ANALYST",
        "grant ownership on schema RETAIL_PROD.MARTS to role RETAIL_PROD_ANALYST",
        "grant create table on schema RETAIL_PROD.MARTS to role RETAIL_PROD_ANALYST",
        "grant insert on all tables in schema RETAIL_PROD.MARTS to role RETAIL_PROD_ANALYST",
        "grant usage on stage RETAIL_PROD.PUBLIC.LAKE to role RETAIL_PROD_ANALYST",
        "grant usage on integration RETAIL_PROD_LAKE to role RETAIL_PROD_ANALYST",
        "grant operate on warehouse RETAIL_PROD_WH to role RETAIL_PROD_ANALYST",
        "grant role RETAIL_PROD_TRANSFORMER to role RETAIL_PROD_ANALYST",
        "grant usage on database RETAIL_QA to role RETAIL_PROD_ANALYST",
        "grant select on all tables in schema RETAIL_PROD.MARTS to role RETAIL_PROD_ANALYST with grant option",
    ],
)
def test_the_analyst_assertion_catches_every_kind_of_overreach(extra):
    plan = [*provisioning_plan("prod"), Statement("grant", extra)]
    assert analyst_overreach(plan, "prod", "RETAIL_PROD") == [extra]
