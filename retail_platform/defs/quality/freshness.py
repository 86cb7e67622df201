"""Partition freshness of the daily assets: by each group's deadline (``service_levels``), the day
that just ended must be there. Their sensor evaluates them after each deadline; it runs from the
start in the cloud deployments and is switched on by hand locally."""

import functools

import dagster as dg

from retail_platform import service_levels
from retail_platform.defs.lake import gold, silver
from retail_platform.defs.warehouse import dbt, load
from retail_platform.deployments import automation_default_status


@functools.cache
def partition_freshness_checks() -> tuple[dg.AssetChecksDefinition, ...]:
    daily = [*silver.silver_assets, *gold.gold_assets, load.warehouse_load, *dbt.dbt_model_assets()]
    return tuple(service_levels.partition_freshness_checks(daily))


@dg.definitions
def partition_freshness() -> dg.Definitions:
    checks = partition_freshness_checks()
    return dg.Definitions(
        asset_checks=list(checks),
        sensors=[service_levels.freshness_checks_sensor(checks, automation_default_status())],
    )
