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


def daily_eager(window: timedelta = LATE_DATA_WINDOW) -> dg.AutomationCondition:
    """``eager()`` over the last ``window`` of partitions instead of the latest one only, and
    waiting for the upstream blocking checks of the same partition.

    Yesterday's CDC state and order lifecycle are read from the lake, not declared as deps: the
    asset itself refuses to start a day whose yesterday is missing while an earlier day exists.
    """
    condition = AC.eager().replace("in_latest_time_window", AC.in_latest_time_window(window))
    return (condition & AC.all_deps_blocking_checks_passed()).with_label(f"daily_eager({window.days}d)")


def marts_on_cron(cron: str = MARTS_CRON) -> dg.AutomationCondition:
    """Once per cron tick, after every upstream has updated since the tick."""
    return (AC.on_cron(cron) & AC.all_deps_blocking_checks_passed()).with_label(f"marts_on_cron({cron})")


def condition_for(group: str | None) -> dg.AutomationCondition | None:
    """Landing is external and bronze is started by the landing sensor (or the schedule). Every
    asset is daily-partitioned (one partitions definition across the graph)."""
    if group in (None, "landing", "bronze"):
        return None
    if group == "marts":
        return marts_on_cron()
    return daily_eager()
