"""Partition-aware freshness: by each layer's deadline, the day that just ended must be there.

Dagster's time-partition freshness checks fail (red in the UI) when the latest complete
partition has not been materialized by the deadline; their sensor evaluates them after each
deadline.
"""

from __future__ import annotations

import dagster as dg

from retail_platform.lake.gold import gold_assets
from retail_platform.lake.silver import silver_assets
from retail_platform.warehouse.dbt import dbt_daily_models
from retail_platform.warehouse.load import warehouse_load

# Same deadlines as the freshness policies (automation/policies.py); daily facts by 05:00.
DEADLINES = {
    "0 2 * * *": silver_assets,
    "0 3 * * *": [*gold_assets, warehouse_load],
    "0 5 * * *": [dbt_daily_models],
}

partition_freshness_checks: list[dg.AssetChecksDefinition] = [
    check
    for deadline, assets in DEADLINES.items()
    for check in dg.build_time_partition_freshness_checks(assets=assets, deadline_cron=deadline, timezone="UTC")
]


def freshness_checks_sensor(default_status: dg.DefaultSensorStatus) -> dg.SensorDefinition:
    return dg.build_sensor_for_freshness_checks(
        freshness_checks=partition_freshness_checks, name="freshness_checks_sensor", default_status=default_status
    )
