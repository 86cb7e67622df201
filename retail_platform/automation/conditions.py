"""Declarative automation: which asset runs when.

Daily assets follow their upstream partition by partition, for every day of a trailing window,
not only the latest: a late file for last Tuesday re-runs last Tuesday's silver, gold, warehouse
load, facts and marts. Nothing runs while an upstream blocking check of its partition is failing.
The marts follow too (their service level, a freshness deadline, is in ``service_levels``): a day
reaches them as soon as its facts are built, not at the next cron tick.
"""

from __future__ import annotations

from datetime import timedelta

import dagster as dg

AC = dg.AutomationCondition

# How far back a late file still re-materializes its day automatically (older: a manual backfill).
LATE_DATA_WINDOW = timedelta(days=14)


def daily_eager(window: timedelta = LATE_DATA_WINDOW) -> dg.AutomationCondition:
    """``eager()`` over the last ``window`` of partitions instead of the latest one only, and
    waiting for the upstream blocking checks of the same partition.

    Yesterday's CDC state and order lifecycle are read from the lake, not declared as deps: the
    asset itself refuses to start a day whose yesterday is missing while an earlier day exists.
    """
    return (daily_check(window) & AC.all_deps_blocking_checks_passed()).with_label(f"daily_eager({window.days}d)")


def daily_check(window: timedelta = LATE_DATA_WINDOW) -> dg.AutomationCondition:
    """For a check that runs as a step of its own: with each new day of its asset, over the same
    window. Not waiting for blocking checks: its asset's blocking checks include itself."""
    return AC.eager().replace("in_latest_time_window", AC.in_latest_time_window(window))


def condition_for(group: str | None) -> dg.AutomationCondition | None:
    """Landing is external and bronze is started by the landing sensor (or the schedule); every
    other asset follows its upstream, day by day (one partitions definition across the graph)."""
    return None if group in (None, "landing", "bronze") else daily_eager()
