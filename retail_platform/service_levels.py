"""Service levels: by when each layer must hold the day that just ended, and what keeps it so.

One table of deadlines (``SERVICE_LEVELS``, by asset group) feeds both freshness mechanisms:
the ``FreshnessPolicy`` on every asset of the group (evaluated by the daemon) and, for the daily
assets, the partition freshness checks (``defs/quality/freshness.py``). Automation conditions
come from the group too. Applied to the whole platform in ``definitions.py``; asset code stays
free of scheduling.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

import dagster as dg

from retail_platform.automation.conditions import condition_for


@dataclass(frozen=True)
class ServiceLevel:
    deadline_cron: str  # UTC; by this tick the day that just ended must be materialized
    window: timedelta  # how long before the deadline a materialization counts as today's


# Sources export right after midnight UTC. Silver within 2 hours of that, gold and the warehouse
# load within 3, the daily facts by 05:00, the marts by 06:00.
SERVICE_LEVELS: dict[str, ServiceLevel] = {
    "silver": ServiceLevel("0 2 * * *", timedelta(hours=2)),
    "gold": ServiceLevel("0 3 * * *", timedelta(hours=3)),
    "warehouse": ServiceLevel("0 3 * * *", timedelta(hours=3)),
    "facts": ServiceLevel("0 5 * * *", timedelta(hours=5)),
    "marts": ServiceLevel("0 6 * * *", timedelta(hours=6)),
}
TIMEZONE = "UTC"


def freshness_policy(group: str | None) -> dg.FreshnessPolicy | None:
    level = SERVICE_LEVELS.get(group or "")
    return None if level is None else _cron_policy(level)


# One policy per service level, shared by every asset held to it: building one walks 1,000 ticks
# of its cron to validate it (~25 ms), and dozens of assets share four service levels.
@functools.cache
def _cron_policy(level: ServiceLevel) -> dg.FreshnessPolicy:
    return dg.FreshnessPolicy.cron(deadline_cron=level.deadline_cron, lower_bound_delta=level.window, timezone=TIMEZONE)


def with_service_level(spec: dg.AssetSpec) -> dg.AssetSpec:
    attributes: dict = {}
    condition = condition_for(spec.group_name)
    if condition is not None:
        attributes["automation_condition"] = condition
    policy = freshness_policy(spec.group_name)
    if policy is not None:
        attributes["freshness_policy"] = policy
    return spec.replace_attributes(**attributes) if attributes else spec


def with_service_levels(defs: dg.Definitions) -> dg.Definitions:
    """``defs`` with every asset's automation condition and freshness policy set from its group."""
    assets = [
        asset.map_asset_specs(with_service_level) if isinstance(asset, dg.AssetsDefinition) else asset
        for asset in defs.assets or []
    ]
    return dg.Definitions(
        assets=assets,
        asset_checks=defs.asset_checks,
        jobs=defs.jobs,
        schedules=defs.schedules,
        sensors=defs.sensors,
        resources=defs.resources,
        executor=defs.executor,
        loggers=defs.loggers,
        metadata=defs.metadata,
        component_tree=defs.component_tree,
    )


def partition_freshness_checks(assets: Sequence[dg.AssetsDefinition]) -> list[dg.AssetChecksDefinition]:
    """Per deadline, a check that the latest complete day of every daily asset of the groups with
    that deadline exists.

    Kept on purpose beside the ``FreshnessPolicy``: the policy looks at the latest materialization
    of *any* partition, so a backfill of last month at 01:30 would make silver look fresh while
    yesterday's partition is missing. Dagster's time-partition freshness check asks the question a
    daily platform has ("does yesterday's partition exist by 02:00?"); it is superseded in Dagster
    1.13 with no partition-aware replacement, so exactly that warning is filtered here.
    """
    keys_by_deadline: dict[str, list[dg.AssetKey]] = {}
    for asset in assets:
        for spec in asset.specs:
            level = SERVICE_LEVELS.get(spec.group_name or "")
            if level is not None and spec.partitions_def is not None:
                keys_by_deadline.setdefault(level.deadline_cron, []).append(spec.key)
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", category=dg.SupersessionWarning, message=".*build_time_partition_freshness_checks.*"
        )
        return [
            check
            for deadline, keys in keys_by_deadline.items()
            for check in dg.build_time_partition_freshness_checks(
                assets=keys, deadline_cron=deadline, timezone=TIMEZONE
            )
        ]


def freshness_checks_sensor(
    checks: Sequence[dg.AssetChecksDefinition], default_status: dg.DefaultSensorStatus
) -> dg.SensorDefinition:
    """Evaluates the partition freshness checks after each deadline (same supersession as above)."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", category=dg.SupersessionWarning, message=".*build_sensor_for_freshness_checks.*"
        )
        return dg.build_sensor_for_freshness_checks(
            freshness_checks=checks, name="freshness_checks_sensor", default_status=default_status
        )
