"""The jobs (selected by layer group), the local daily schedule and the dbt run after it."""

import dagster as dg

from retail_platform.defs.quality.freshness import partition_freshness_checks
from retail_platform.layers import DAILY_JOB, DBT_JOB, LAKE_GROUPS, WAREHOUSE_GROUPS
from retail_platform.partitions import RANGE_END_TAG, RANGE_START_TAG


@dg.definitions
def jobs() -> dg.Definitions:
    # Freshness checks are evaluated by their sensor at each deadline, not by the runs they watch.
    freshness = dg.AssetSelection.checks(*partition_freshness_checks())
    retail_daily = dg.define_asset_job(
        DAILY_JOB,
        selection=dg.AssetSelection.groups(*LAKE_GROUPS) - freshness,
        description="A day or a range of days through the lake, in one run: landing -> bronze -> silver -> gold -> "
        "warehouse load.",
    )
    warehouse_dbt = dg.define_asset_job(
        DBT_JOB,
        selection=dg.AssetSelection.groups(*WAREHOUSE_GROUPS) - freshness,
        description="The dbt models: staging, intermediate, dimensions, then the daily facts for the run's "
        "partition range (one dbt invocation), then the other facts and the marts.",
    )
    return dg.Definitions(
        jobs=[retail_daily, warehouse_dbt],
        schedules=[daily_schedule(retail_daily)],
        sensors=[dbt_after_daily(retail_daily, warehouse_dbt)],
    )


def daily_schedule(job, default_status=dg.DefaultScheduleStatus.STOPPED) -> dg.ScheduleDefinition:
    """Yesterday's partition of ``job`` at 01:00 UTC (after the sources' midnight export)."""
    return dg.build_schedule_from_partitioned_job(
        job, hour_of_day=1, minute_of_hour=0, default_status=default_status, name=f"{job.name}_schedule"
    )


def dbt_after_daily(daily_job, dbt_job, default_status=dg.DefaultSensorStatus.STOPPED) -> dg.SensorDefinition:
    """The dbt models for a day (or a range) once the lake run of that day (or range) succeeded."""

    @dg.run_status_sensor(
        run_status=dg.DagsterRunStatus.SUCCESS,
        monitored_jobs=[daily_job],
        request_job=dbt_job,
        name=f"{dbt_job.name}_after_{daily_job.name}",
        default_status=default_status,
    )
    def _after(context: dg.RunStatusSensorContext):
        tags = context.dagster_run.tags
        if "dagster/partition" in tags:
            return dg.RunRequest(run_key=context.dagster_run.run_id, partition_key=tags["dagster/partition"])
        if RANGE_START_TAG in tags and RANGE_END_TAG in tags:  # a range run: the same range, one dbt run
            return dg.RunRequest(
                run_key=context.dagster_run.run_id,
                tags={RANGE_START_TAG: tags[RANGE_START_TAG], RANGE_END_TAG: tags[RANGE_END_TAG]},
            )
        return dg.SkipReason(f"run {context.dagster_run.run_id} has no partition")

    return _after
