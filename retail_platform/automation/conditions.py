"""Declarative automation: which asset runs when.

Daily assets follow their upstream partition by partition, for every day of a trailing window,
not only the latest: a late file for last Tuesday re-runs last Tuesday's silver, gold, warehouse
load and daily facts. Nothing runs while an upstream blocking check of its partition is failing.
"""

from __future__ import annotations

from datetime import timedelta

import dagster as dg

AC = dg.AutomationCondition

# How far back a late file still re-materializes its day automatically (older: a manual backfill).
LATE_DATA_WINDOW = timedelta(days=14)
# Marts: built once a day from the nightly facts, after midnight UTC (service level: by 06:00).
MARTS_CRON = "0 0 * * *"


def daily_eager(key: dg.AssetKey | None = None, window: timedelta = LATE_DATA_WINDOW) -> dg.AutomationCondition:
    """``eager()`` over the last ``window`` of partitions instead of the latest one only, and
    waiting for the upstream blocking checks of the same partition.

    The asset's own previous partition (the CDC state and the order lifecycle build on
    yesterday's) does not count as a missing dependency: on the first landed day it never
    exists, and ``eager()`` would wait forever. The asset itself refuses a real gap.
    """
    condition = AC.eager().replace("in_latest_time_window", AC.in_latest_time_window(window))
    checks_passed = AC.all_deps_blocking_checks_passed()
    if key is not None:
        itself = dg.AssetSelection.assets(key)
        condition = condition.replace("any_deps_missing", AC.any_deps_missing().ignore(itself))
        checks_passed = checks_passed.ignore(itself)
    return (condition & checks_passed).with_label(f"daily_eager({window.days}d)")


def follow_upstream() -> dg.AutomationCondition:
    """For unpartitioned models over daily assets: run when any upstream updates.

    ``eager()`` would wait forever here: it refuses to run while any dep is missing, and an
    unpartitioned model depends on every daily partition since 2024-01-01, most never landed.
    """
    return (
        (AC.newly_missing() | AC.any_deps_updated()).since_last_handled()
        & ~AC.any_deps_in_progress()
        & ~AC.in_progress()
        & AC.all_deps_blocking_checks_passed()
    ).with_label("follow_upstream")


def marts_on_cron(cron: str = MARTS_CRON) -> dg.AutomationCondition:
    """Once per cron tick, after every upstream has updated since the tick."""
    return (AC.on_cron(cron) & AC.all_deps_blocking_checks_passed()).with_label(f"marts_on_cron({cron})")


def condition_for(
    group: str | None, partitioned: bool, key: dg.AssetKey | None = None
) -> dg.AutomationCondition | None:
    """Landing is external and bronze is started by the landing sensor (or the schedule)."""
    if group in (None, "landing", "bronze"):
        return None
    if group == "marts":
        return marts_on_cron()
    return daily_eager(key) if partitioned else follow_upstream()
