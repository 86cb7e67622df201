"""The Dagster entry point: assembles the platform, holds no logic."""

import dagster as dg

from retail_platform.automation.policies import with_service_levels
from retail_platform.automation.sensors import (
    automation_sensor,
    daily_schedule,
    dbt_after_daily,
    landing_sensor,
    run_failure_alert,
)
from retail_platform.deployments import current_deployment, resources_for
from retail_platform.lake.bronze import bronze_assets
from retail_platform.lake.gold import gold_assets
from retail_platform.lake.landing import source_systems
from retail_platform.lake.silver import silver_assets
from retail_platform.partitions import daily_partitions
from retail_platform.quality.checks import referential_integrity_checks, schema_change_checks
from retail_platform.quality.freshness import freshness_checks_sensor, partition_freshness_checks
from retail_platform.warehouse.branch import drop_branch_clone
from retail_platform.warehouse.dbt import dbt_model_assets
from retail_platform.warehouse.load import warehouse_load

DAILY_JOB = "retail_daily"
DBT_JOB = "warehouse_dbt"

lake_assets = [source_systems, *bronze_assets, *silver_assets, *gold_assets, warehouse_load]
# Freshness checks are evaluated by their sensor at each deadline, not by the runs they watch.
FRESHNESS_CHECKS = dg.AssetSelection.checks(*partition_freshness_checks)

retail_daily = dg.define_asset_job(
    DAILY_JOB,
    selection=dg.AssetSelection.assets(*lake_assets) - FRESHNESS_CHECKS,
    partitions_def=daily_partitions,
    description="One business date through the lake: landing -> bronze -> silver -> gold -> warehouse load.",
)

warehouse_dbt = dg.define_asset_job(
    DBT_JOB,
    selection=dg.AssetSelection.assets(*dbt_model_assets) - FRESHNESS_CHECKS,
    partitions_def=daily_partitions,
    description="The dbt models: staging, intermediate, dimensions, then the daily facts for the run's "
    "partition range (one dbt invocation), then the other facts and the marts.",
)

DEPLOYMENT = current_deployment()

# Local: the schedule drives the lake (stopped until switched on); cloud: the landing sensor does.
CLOUD = DEPLOYMENT != "local"
ON, OFF = dg.DefaultSensorStatus.RUNNING, dg.DefaultSensorStatus.STOPPED

defs = dg.Definitions(
    assets=with_service_levels([*lake_assets, *dbt_model_assets]),
    asset_checks=[
        *referential_integrity_checks,
        *schema_change_checks([*silver_assets, *gold_assets]),
        *partition_freshness_checks,
    ],
    jobs=[retail_daily, warehouse_dbt, *([drop_branch_clone] if DEPLOYMENT == "branch" else [])],
    schedules=[daily_schedule(retail_daily)],
    sensors=[
        dbt_after_daily(retail_daily, warehouse_dbt),
        landing_sensor(ON if CLOUD else OFF),
        automation_sensor(),
        freshness_checks_sensor(ON if CLOUD else OFF),
        run_failure_alert,
    ],
    resources=resources_for(DEPLOYMENT),
)


def daily_job() -> dg.JobDefinition:
    """The daily job, reconstructable by the headless runner (``python -m retail_platform run``)."""
    return defs.resolve_job_def(DAILY_JOB)


def dbt_job() -> dg.JobDefinition:
    return defs.resolve_job_def(DBT_JOB)
