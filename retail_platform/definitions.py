"""The Dagster entry point: assembles the platform, holds no logic."""

import dagster as dg

from retail_platform.deployments import current_deployment, resources_for
from retail_platform.lake.bronze import bronze_assets
from retail_platform.lake.gold import gold_assets
from retail_platform.lake.landing import source_systems
from retail_platform.lake.silver import silver_assets
from retail_platform.partitions import daily_partitions

DAILY_JOB = "retail_daily"

retail_daily = dg.define_asset_job(
    DAILY_JOB,
    selection=dg.AssetSelection.all(),
    partitions_def=daily_partitions,
    description="Every daily asset for one business date: landing -> bronze -> silver -> gold.",
)

defs = dg.Definitions(
    assets=[source_systems, *bronze_assets, *silver_assets, *gold_assets],
    jobs=[retail_daily],
    resources=resources_for(current_deployment()),
)


def daily_job() -> dg.JobDefinition:
    """The daily job, reconstructable by the headless runner (``python -m retail_platform run``)."""
    return defs.resolve_job_def(DAILY_JOB)
