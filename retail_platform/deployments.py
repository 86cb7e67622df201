"""The one place that maps a deployment (and the environment) to resources and switches. Asset,
check and sensor code never asks which deployment it runs in, nor reads the environment."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from retail_platform.automation.alerts import DEFAULT_WEBSERVER
from retail_platform.automation.landing import DEFAULT_SCAN_DAYS
from retail_platform.automation.settings import AutomationSettings
from retail_platform.lake.storage import LocalLake
from retail_platform.provisioning import BUCKET, LAKE_STAGE
from retail_platform.sources.registry import DEFAULT_SEED, DEFAULT_VOLUME
from retail_platform.sources.simulator import SourceSimulator
from retail_platform.warehouse.resources import DuckDBWarehouse

DEPLOYMENTS = ("local", "dev", "qa", "prod", "branch")


class DeploymentConfigError(RuntimeError):
    """The environment does not describe a usable deployment."""


def current_deployment() -> str:
    """``RETAIL_DEPLOYMENT``, or on Dagster+ the deployment it runs in (branch deployments are
    ``branch``; a full deployment named dev/qa/prod is that one)."""
    explicit = os.environ.get("RETAIL_DEPLOYMENT", "").strip().lower()
    if not explicit:
        if os.environ.get("DAGSTER_CLOUD_IS_BRANCH_DEPLOYMENT", "").strip().lower() in ("1", "true"):
            explicit = "branch"
        else:
            explicit = os.environ.get("DAGSTER_CLOUD_DEPLOYMENT_NAME", "").strip().lower() or "local"
    if explicit not in DEPLOYMENTS:
        raise DeploymentConfigError(f"RETAIL_DEPLOYMENT={explicit!r} is not one of {', '.join(DEPLOYMENTS)}")
    return explicit


def data_dir() -> Path:
    """``RETAIL_DATA_DIR`` (default ``./.data``): the local lake, warehouse and Dagster home."""
    return Path(os.environ.get("RETAIL_DATA_DIR", ".data")).resolve()


AUTOMATION_ENV = "RETAIL_AUTOMATION"


def automation_default_status() -> dg.DefaultSensorStatus:
    """The landing and freshness sensors run from the start in the cloud deployments. Locally they
    wait to be switched on: in the UI (Automation), or from the start with ``RETAIL_AUTOMATION=on``."""
    local = current_deployment() == "local"
    switched_on = os.environ.get(AUTOMATION_ENV, "").strip().lower() in ("on", "1", "true", "yes")
    return dg.DefaultSensorStatus.STOPPED if local and not switched_on else dg.DefaultSensorStatus.RUNNING


def _int_env(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise DeploymentConfigError(f"{name}={raw!r} is not an integer") from None


def resources_for(deployment: str) -> dict[str, object]:
    """The resources of a deployment. Cloud-only client libraries are imported only here, for the
    cloud deployments, so the local definitions load without them."""
    from retail_platform.warehouse.project import dbt_resource

    shared = {
        "sources": SourceSimulator(
            seed=_int_env("RETAIL_SEED", DEFAULT_SEED), volume=_int_env("RETAIL_VOLUME", DEFAULT_VOLUME)
        ),
        "automation": automation_settings(os.environ),
    }
    if deployment == "local":
        return {
            **shared,
            "lake": LocalLake(root=str(data_dir() / "lake")),
            "warehouse": DuckDBWarehouse(path=str(data_dir() / "warehouse.duckdb")),
            "dbt": dbt_resource("local"),
        }
    settings = cloud_settings(deployment, os.environ)
    from dagster_aws.s3 import S3Resource
    from dagster_snowflake import SnowflakeResource

    from retail_platform.lake.s3 import S3Lake
    from retail_platform.warehouse.snowflake import SnowflakeWarehouse

    connection = {k: v for k, v in settings.connection_args.items() if v is not None}
    return {
        "lake": S3Lake(
            bucket=settings.bucket,
            prefix=settings.prefix,
            s3=S3Resource(endpoint_url=settings.endpoint_url, region_name=settings.region, max_attempts=8),
        ),
        **shared,
        "warehouse": SnowflakeWarehouse(
            snowflake=SnowflakeResource(
                account=settings.account,
                user=settings.user,
                password=dg.EnvVar("SNOWFLAKE_PASSWORD") if settings.uses_password else None,
                private_key=dg.EnvVar("SNOWFLAKE_PRIVATE_KEY") if not settings.uses_password else None,
                role=settings.role,
                warehouse=settings.warehouse,
                database=settings.database,
                additional_snowflake_connection_args=connection or None,
            ),
            database=settings.database,
            clone_from=settings.clone_from,
            stage=settings.stage,
            stage_url=f"s3://{settings.bucket}/" if settings.stage else None,
        ),
        "dbt": dbt_resource(deployment),
    }


WEBHOOK_ENV = "RETAIL_ALERT_WEBHOOK_URL"


def automation_settings(env: Mapping[str, str]) -> AutomationSettings:
    """The sensors' settings. The webhook URL may embed a token: it stays an ``EnvVar``, resolved
    only when the sensor runs, so its value never appears in the UI."""
    return AutomationSettings(
        landing_scan_days=_int_env("RETAIL_LANDING_SCAN_DAYS", DEFAULT_SCAN_DAYS),
        alert_webhook_url=dg.EnvVar(WEBHOOK_ENV) if env.get(WEBHOOK_ENV, "").strip() else None,
        webserver_url=env.get("DAGSTER_WEBSERVER_URL", "").strip() or DEFAULT_WEBSERVER,
    )


@dataclass(frozen=True)
class CloudSettings:
    deployment: str
    bucket: str
    prefix: str
    endpoint_url: str | None
    region: str | None
    account: str
    user: str
    uses_password: bool
    role: str
    warehouse: str
    database: str
    clone_from: str | None
    connection_args: dict[str, object]
    # The external stage the warehouse load copies from (``provision`` creates it over the lake
    # bucket); None: each day is PUT to an internal stage first (an emulator, an unprovisioned account).
    stage: str | None = None


REQUIRED = ("RETAIL_LAKE_BUCKET", "SNOWFLAKE_ACCOUNT", "SNOWFLAKE_USER", "SNOWFLAKE_ROLE", "SNOWFLAKE_WAREHOUSE")


# A branch's name ends up in a Snowflake database name and an S3 prefix: kept short, and a long
# git branch name keeps a hash of the whole so that two long names never share a clone.
BRANCH_NAME_MAX = 48
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,254}")
STAGE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*")
HOST = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,252}")
PREFIX_PART = re.compile(r"[A-Za-z0-9_.=-]+")
PROTOCOL = re.compile(r"https?")


def branch_name(env: Mapping[str, str]) -> str:
    """A stable, SQL- and S3-safe name for a branch deployment: the pull request when known. Only
    ``[A-Z0-9_]``, at most ``BRANCH_NAME_MAX`` characters."""
    raw = (
        env.get("DAGSTER_CLOUD_PULL_REQUEST_ID") or env.get("DAGSTER_CLOUD_GIT_BRANCH") or env.get("RETAIL_BRANCH", "")
    ).strip()
    safe = re.sub(r"[^A-Za-z0-9]+", "_", raw).strip("_").upper()
    if raw.isdigit():
        safe = f"PR_{safe}"
    if len(safe) > BRANCH_NAME_MAX:
        digest = hashlib.sha256(raw.encode()).hexdigest()[:8].upper()
        safe = f"{safe[: BRANCH_NAME_MAX - 9].rstrip('_')}_{digest}"
    return safe


def _checked(name: str, value: str, pattern: re.Pattern, what: str) -> str:
    """A variable's value that becomes part of SQL, a host or a path; the message names the
    variable (these are not secrets)."""
    if not pattern.fullmatch(value):
        raise DeploymentConfigError(f"{name}={value!r} is not {what}")
    return value


def _lake_prefix(value: str) -> str:
    parts = [p for p in value.strip().strip("/").split("/") if p]
    for part in parts:
        if part in (".", "..") or not PREFIX_PART.fullmatch(part):
            raise DeploymentConfigError(
                f"RETAIL_LAKE_PREFIX={value!r} is not a key prefix like team/lake (letters, digits, _ . = -, "
                "no '..' segments)"
            )
    return "/".join(parts)


def cloud_settings(deployment: str, env: Mapping[str, str]) -> CloudSettings:
    """Read and check every variable a cloud deployment needs; one error names all that are missing.
    The error names variables only, never values. A value that becomes part of SQL, a host or an
    S3 key is checked here, before anything connects."""
    if deployment not in DEPLOYMENTS or deployment == "local":
        raise DeploymentConfigError(f"{deployment!r} is not a cloud deployment ({', '.join(DEPLOYMENTS[1:])})")
    missing = [name for name in REQUIRED if not env.get(name, "").strip()]
    uses_password = bool(env.get("SNOWFLAKE_PASSWORD", "").strip())
    if not uses_password and not env.get("SNOWFLAKE_PRIVATE_KEY", "").strip():
        missing.append("SNOWFLAKE_PASSWORD or SNOWFLAKE_PRIVATE_KEY")
    branch = branch_name(env) if deployment == "branch" else ""
    if deployment == "branch" and not branch:
        missing.append("DAGSTER_CLOUD_PULL_REQUEST_ID (or DAGSTER_CLOUD_GIT_BRANCH / RETAIL_BRANCH)")
    if missing:
        raise DeploymentConfigError(
            f"deployment {deployment!r} cannot start: missing environment variable(s): {', '.join(missing)}. "
            "Set them in the deployment's environment (see README, Deployments)."
        )
    identifier = "a plain Snowflake identifier (letters, digits, _; not starting with a digit)"
    prod_database = _checked(
        "SNOWFLAKE_PROD_DATABASE",
        env.get("SNOWFLAKE_PROD_DATABASE", "").strip() or "RETAIL_PROD",
        IDENTIFIER,
        identifier,
    )
    configured_prefix = _lake_prefix(env.get("RETAIL_LAKE_PREFIX", ""))
    if deployment == "branch":
        database = f"RETAIL_BRANCH_{branch}"
        prefix = "/".join(p for p in (configured_prefix, "branches", branch.lower()) if p)
    else:
        database = _checked(
            "SNOWFLAKE_DATABASE",
            env.get("SNOWFLAKE_DATABASE", "").strip() or f"RETAIL_{deployment.upper()}",
            IDENTIFIER,
            identifier,
        )
        prefix = configured_prefix
    port = env.get("SNOWFLAKE_PORT", "").strip()
    if port and not (port.isdigit() and 0 < int(port) < 65536):
        raise DeploymentConfigError(f"SNOWFLAKE_PORT={port!r} is not a port number")
    stage = env.get("RETAIL_SNOWFLAKE_STAGE", "").strip() or LAKE_STAGE
    if stage.lower() != "none":
        _checked("RETAIL_SNOWFLAKE_STAGE", stage, STAGE_NAME, "SCHEMA.NAME of a stage, or none")
    host, protocol = env.get("SNOWFLAKE_HOST", "").strip(), env.get("SNOWFLAKE_PROTOCOL", "").strip()
    return CloudSettings(
        deployment=deployment,
        bucket=_checked("RETAIL_LAKE_BUCKET", env["RETAIL_LAKE_BUCKET"].strip(), BUCKET, "an S3 bucket name"),
        prefix=prefix,
        endpoint_url=env.get("AWS_ENDPOINT_URL", "").strip() or None,
        region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or None,
        account=_checked("SNOWFLAKE_ACCOUNT", env["SNOWFLAKE_ACCOUNT"].strip(), HOST, "a Snowflake account identifier"),
        user=env["SNOWFLAKE_USER"].strip(),
        uses_password=uses_password,
        role=_checked("SNOWFLAKE_ROLE", env["SNOWFLAKE_ROLE"].strip(), IDENTIFIER, identifier),
        warehouse=_checked("SNOWFLAKE_WAREHOUSE", env["SNOWFLAKE_WAREHOUSE"].strip(), IDENTIFIER, identifier),
        database=database,
        clone_from=prod_database if deployment == "branch" else None,
        connection_args={
            "host": _checked("SNOWFLAKE_HOST", host, HOST, "a host name") if host else None,
            "port": int(port) if port else None,
            "protocol": _checked("SNOWFLAKE_PROTOCOL", protocol, PROTOCOL, "http or https") if protocol else None,
        },
        stage=None if stage.lower() == "none" else stage,
    )
