"""The one place that maps a deployment (and the environment) to resources and switches. Asset,
check and sensor code never asks which deployment it runs in, nor reads the environment."""

from __future__ import annotations

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
from retail_platform.provisioning import LAKE_STAGE
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


def branch_name(env: Mapping[str, str]) -> str:
    """A stable, SQL- and S3-safe name for a branch deployment: the pull request when known."""
    raw = (
        env.get("DAGSTER_CLOUD_PULL_REQUEST_ID") or env.get("DAGSTER_CLOUD_GIT_BRANCH") or env.get("RETAIL_BRANCH", "")
    )
    safe = re.sub(r"[^A-Za-z0-9]+", "_", raw).strip("_").upper()
    return f"PR_{safe}" if raw and raw.isdigit() else safe


def cloud_settings(deployment: str, env: Mapping[str, str]) -> CloudSettings:
    """Read and check every variable a cloud deployment needs; one error names all that are missing.
    The error names variables only, never values."""
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
    prod_database = env.get("SNOWFLAKE_PROD_DATABASE", "RETAIL_PROD")
    if deployment == "branch":
        database = f"RETAIL_BRANCH_{branch}"
        prefix = "/".join(p for p in (env.get("RETAIL_LAKE_PREFIX", "").strip("/"), "branches", branch.lower()) if p)
    else:
        database = env.get("SNOWFLAKE_DATABASE", "").strip() or f"RETAIL_{deployment.upper()}"
        prefix = env.get("RETAIL_LAKE_PREFIX", "").strip("/")
    port = env.get("SNOWFLAKE_PORT", "").strip()
    stage = env.get("RETAIL_SNOWFLAKE_STAGE", "").strip() or LAKE_STAGE
    return CloudSettings(
        deployment=deployment,
        bucket=env["RETAIL_LAKE_BUCKET"].strip(),
        prefix=prefix,
        endpoint_url=env.get("AWS_ENDPOINT_URL", "").strip() or None,
        region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or None,
        account=env["SNOWFLAKE_ACCOUNT"].strip(),
        user=env["SNOWFLAKE_USER"].strip(),
        uses_password=uses_password,
        role=env["SNOWFLAKE_ROLE"].strip(),
        warehouse=env["SNOWFLAKE_WAREHOUSE"].strip(),
        database=database,
        clone_from=prod_database if deployment == "branch" else None,
        connection_args={
            "host": env.get("SNOWFLAKE_HOST", "").strip() or None,
            "port": int(port) if port else None,
            "protocol": env.get("SNOWFLAKE_PROTOCOL", "").strip() or None,
        },
        stage=None if stage.lower() == "none" else stage,
    )
