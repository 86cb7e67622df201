"""The Dagster entry point: assembles the platform, holds no logic."""

import dagster as dg

from retail_platform.deployments import current_deployment, resources_for
from retail_platform.lake.bronze import bronze_assets
from retail_platform.lake.gold import gold_assets
from retail_platform.lake.landing import source_systems
from retail_platform.lake.silver import silver_assets
from retail_platform.partitions import daily_partitions
from retail_platform.warehouse.dbt import dbt_model_assets
from retail_platform.warehouse.load import warehouse_load

DAILY_JOB = "retail_daily"
DBT_JOB = "warehouse_dbt"

lake_assets = [source_systems, *bronze_assets, *silver_assets, *gold_assets, warehouse_load]

retail_daily = dg.define_asset_job(
    DAILY_JOB,
    selection=dg.AssetSelection.assets(*lake_assets),
    partitions_def=daily_partitions,
    description="One business date through the lake: landing -> bronze -> silver -> gold -> warehouse load.",
)

warehouse_dbt = dg.define_asset_job(
    DBT_JOB,
    selection=dg.AssetSelection.assets(*dbt_model_assets),
    partitions_def=daily_partitions,
    description="The dbt models: staging, intermediate, dimensions, then the daily facts for the run's "
    "partition range (one dbt invocation), then the other facts and the marts.",
)

defs = dg.Definitions(
    assets=[*lake_assets, *dbt_model_assets],
    jobs=[retail_daily, warehouse_dbt],
    resources=resources_for(current_deployment()),
)


def daily_job() -> dg.JobDefinition:
    """The daily job, reconstructable by the headless runner (``python -m retail_platform run``)."""
    return defs.resolve_job_def(DAILY_JOB)


def dbt_job() -> dg.JobDefinition:
    return defs.resolve_job_def(DBT_JOB)
