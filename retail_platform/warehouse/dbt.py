"""dbt models as Dagster assets.

Three groups of models, so that a run never has to go back and forth between them:
upstream models (staging, intermediate, dimensions; not partitioned), the date-driven incremental
facts (dbt tag ``daily``; partitioned like the lake, single-run backfills: a 30-day backfill is one
dbt invocation that receives the window as ``min_date``/``max_date`` vars) and everything
downstream (other facts and marts; not partitioned). dbt tests become asset checks.
"""

import json
import os
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets

from retail_platform.partitions import daily_partitions
from retail_platform.warehouse.project import retail_dbt_project
from retail_platform.warehouse.resources import WarehouseResource

DAILY = "tag:daily"
UPSTREAM = "path:models/staging path:models/intermediate path:models/dimensions"


class RetailDbtTranslator(DagsterDbtTranslator):
    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            # dbt sources are the warehouse-load assets: lineage runs on from the lake.
            return dg.AssetKey(["warehouse", dbt_resource_props["source_name"], dbt_resource_props["name"]])
        # Models by their name alone: the names are the contract (fct_sales, mart_order_kpis, ...).
        return dg.AssetKey([dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        fqn = dbt_resource_props.get("fqn", [])
        # models/<layer>/...: the folder is the layer.
        return fqn[1] if len(fqn) > 2 else "dbt"


translator = RetailDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


def manifest_path():
    path = retail_dbt_project.manifest_path
    if not path.exists():
        raise FileNotFoundError(
            f"dbt manifest not found at {path}. Prepare it once after changing the dbt project: "
            "`make prepare` (dagster-dbt project prepare-and-package --file retail_platform/warehouse/project.py); "
            "`dagster dev` prepares it on the fly."
        )
    return path


def _dbt_build(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource, *args: str):
    # The dbt target reads its connection from the environment (profiles.yml env_var).
    os.environ.update(warehouse.dbt_env())
    # "buildable": a test runs with the step that builds the last of its parents, so a test between
    # a fact and a dimension runs with the fact, never before the fact exists.
    yield from dbt.cli(["build", "--indirect-selection", "buildable", *args], context=context).stream()


@dbt_assets(
    manifest=manifest_path(),
    select=UPSTREAM,
    name="dbt_upstream_models",
    dagster_dbt_translator=translator,
    project=retail_dbt_project,
    pool="warehouse",
)
def dbt_upstream_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource):
    yield from _dbt_build(context, dbt, warehouse)


@dbt_assets(
    manifest=manifest_path(),
    select=DAILY,
    name="dbt_daily_models",
    dagster_dbt_translator=translator,
    project=retail_dbt_project,
    partitions_def=daily_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool="warehouse",
)
def dbt_daily_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource):
    window = context.partition_time_window
    window_vars = {
        "min_date": window.start.date().isoformat(),
        "max_date": (window.end - timedelta(days=1)).date().isoformat(),
    }
    yield from _dbt_build(context, dbt, warehouse, "--vars", json.dumps(window_vars))


@dbt_assets(
    manifest=manifest_path(),
    exclude=f"{DAILY} {UPSTREAM}",
    name="dbt_downstream_models",
    dagster_dbt_translator=translator,
    project=retail_dbt_project,
    pool="warehouse",
)
def dbt_downstream_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource):
    yield from _dbt_build(context, dbt, warehouse)


dbt_model_assets = [dbt_upstream_models, dbt_daily_models, dbt_downstream_models]
