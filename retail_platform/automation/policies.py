"""Service levels: the automation condition and freshness policy of every asset, by layer (group).

One table, applied to the assets in ``definitions.py``; asset code stays free of scheduling.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import dagster as dg

from retail_platform.automation.conditions import condition_for

# Sources export right after midnight UTC. Silver within 2 hours of that, gold and the warehouse
# load within 3, the marts by 06:00 UTC.
FRESHNESS: dict[str, dg.FreshnessPolicy] = {
    "silver": dg.FreshnessPolicy.cron(deadline_cron="0 2 * * *", lower_bound_delta=timedelta(hours=2)),
    "gold": dg.FreshnessPolicy.cron(deadline_cron="0 3 * * *", lower_bound_delta=timedelta(hours=3)),
    "warehouse": dg.FreshnessPolicy.cron(deadline_cron="0 3 * * *", lower_bound_delta=timedelta(hours=3)),
    "marts": dg.FreshnessPolicy.cron(deadline_cron="0 6 * * *", lower_bound_delta=timedelta(hours=6)),
}


def _with_service_level(spec: dg.AssetSpec) -> dg.AssetSpec:
    attributes: dict = {}
    condition = condition_for(spec.group_name, spec.partitions_def is not None, spec.key)
    if condition is not None:
        attributes["automation_condition"] = condition
    if spec.group_name in FRESHNESS:
        attributes["freshness_policy"] = FRESHNESS[spec.group_name]
    return spec.replace_attributes(**attributes) if attributes else spec


def with_service_levels(assets: Sequence[dg.AssetsDefinition]) -> list[dg.AssetsDefinition]:
    return [asset.map_asset_specs(_with_service_level) for asset in assets]
