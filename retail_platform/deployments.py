"""One place that maps a deployment to its resources. Asset code never asks which one it runs in."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from retail_platform.lake.landing import SourceSimulator
from retail_platform.lake.storage import LocalLake
from retail_platform.warehouse.resources import DuckDBWarehouse

DEPLOYMENTS = ("local", "dev", "qa", "prod", "branch")


class DeploymentConfigError(RuntimeError):
    """The environment does not describe a usable deployment."""


def current_deployment() -> str:
    name = os.environ.get("RETAIL_DEPLOYMENT", "local").strip().lower() or "local"
    if name not in DEPLOYMENTS:
        raise DeploymentConfigError(f"RETAIL_DEPLOYMENT={name!r} is not one of {', '.join(DEPLOYMENTS)}")
    return name


def data_dir() -> Path:
    """``RETAIL_DATA_DIR`` (default ``./.data``): the local lake, warehouse and Dagster home."""
    return Path(os.environ.get("RETAIL_DATA_DIR", ".data")).resolve()


def _int_env(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise DeploymentConfigError(f"{name}={raw!r} is not an integer") from None


def dbt_executable() -> str:
    """dbt from this interpreter's environment, even when its bin folder is not on PATH."""
    beside = Path(sys.executable).parent / "dbt"
    return str(beside) if beside.exists() else "dbt"


def resources_for(deployment: str) -> dict[str, object]:
    if deployment == "local":
        from dagster_dbt import DbtCliResource

        from retail_platform.warehouse.project import retail_dbt_project

        return {
            "lake": LocalLake(root=str(data_dir() / "lake")),
            "sources": SourceSimulator(seed=_int_env("RETAIL_SEED", 7), volume=_int_env("RETAIL_VOLUME", 1000)),
            "warehouse": DuckDBWarehouse(path=str(data_dir() / "warehouse.duckdb")),
            "dbt": DbtCliResource(project_dir=retail_dbt_project, target="local", dbt_executable=dbt_executable()),
        }
    raise DeploymentConfigError(
        f"deployment {deployment!r} has no resources yet: only 'local' is wired up (S3 and Snowflake "
        "deployments are tracked in the deployments issue). Unset RETAIL_DEPLOYMENT to run locally."
    )
