"""Schedules and sensors: the local daily schedule, the dbt run after it, the landing-zone sensor
(cloud), declarative automation and the run-failure alert."""

import os
from collections.abc import Callable
from datetime import UTC, date, datetime

import dagster as dg

from retail_platform.automation import alerts, landing
from retail_platform.lake.bronze import bronze_assets, bronze_key
from retail_platform.lake.paths import partition_dir
from retail_platform.lake.storage import LakeResource
from retail_platform.partitions import FIRST_DAY
from retail_platform.sources.registry import TABLES, TABLES_BY_NAME

SCAN_DAYS_ENV = "RETAIL_LANDING_SCAN_DAYS"


def daily_schedule(
    job, default_status: dg.DefaultScheduleStatus = dg.DefaultScheduleStatus.STOPPED
) -> dg.ScheduleDefinition:
    """Yesterday's partition of ``job`` at 01:00 UTC (after the sources' midnight export)."""
    return dg.build_schedule_from_partitioned_job(
        job, hour_of_day=1, minute_of_hour=0, default_status=default_status, name=f"{job.name}_schedule"
    )


def dbt_after_daily(daily_job, dbt_job, default_status: dg.DefaultSensorStatus = dg.DefaultSensorStatus.STOPPED):
    """The dbt models for a day once that day's lake run succeeded (the dbt step of the schedule)."""

    @dg.run_status_sensor(
        run_status=dg.DagsterRunStatus.SUCCESS,
        monitored_jobs=[daily_job],
        request_job=dbt_job,
        name=f"{dbt_job.name}_after_{daily_job.name}",
        default_status=default_status,
    )
    def _after(context: dg.RunStatusSensorContext):
        partition = context.dagster_run.tags.get("dagster/partition")
        if partition:
            return dg.RunRequest(run_key=context.dagster_run.run_id, partition_key=partition)
        return dg.SkipReason(f"run {context.dagster_run.run_id} has no partition")

    return _after


def landing_sensor(
    default_status: dg.DefaultSensorStatus = dg.DefaultSensorStatus.STOPPED,
    today: Callable[[], date] = lambda: datetime.now(UTC).date(),
    minimum_interval_seconds: int = 60,
) -> dg.SensorDefinition:
    """Starts the bronze partitions of newly landed file sets, once per file set (cloud deployments).

    Scans ``landing/<source>/<table>/dt=D/`` for the last ``RETAIL_LANDING_SCAN_DAYS`` (default 7)
    complete days, so a late file in a past day's folder triggers that day again. One run per day,
    for the tables whose files changed; silver and downstream follow by declarative automation.
    """

    @dg.sensor(
        name="landing_files_sensor",
        target=dg.AssetSelection.assets(*bronze_assets),
        default_status=default_status,
        minimum_interval_seconds=minimum_interval_seconds,
        description="Bronze partitions for newly landed files (once per file set).",
    )
    def _landing(context: dg.SensorEvaluationContext, lake: LakeResource) -> dg.SensorResult:
        scan_days = int(os.environ.get(SCAN_DAYS_ENV, landing.DEFAULT_SCAN_DAYS))
        days = landing.days_to_scan(today(), scan_days, date.fromisoformat(FIRST_DAY))
        seen = landing.load_cursor(context.cursor)
        scanned: dict[tuple[str, date], str] = {}
        for day in days:
            for spec in TABLES:
                keys = lake.list_files(partition_dir("landing", spec.table, day, source=spec.source))
                if keys:
                    scanned[(spec.table, day)] = landing.fingerprint((k, lake.last_modified(k)) for k in keys)
        changed = landing.new_file_sets(seen, scanned)
        requests = [
            dg.RunRequest(
                run_key=landing.run_key(day, tables),
                partition_key=day.isoformat(),
                asset_selection=[bronze_key(TABLES_BY_NAME[t]) for t in sorted(tables)],
                tags={"retail/launched_by": "landing_files_sensor"},
            )
            for day, tables in changed.items()
        ]
        cursor = landing.dump_cursor(landing.advance_cursor(seen, changed, days[0] if days else today()))
        if not requests:
            return dg.SensorResult(skip_reason=f"no new landing files in {len(days)} day(s) scanned", cursor=cursor)
        return dg.SensorResult(run_requests=requests, cursor=cursor)

    return _landing


def automation_sensor(default_status: dg.DefaultSensorStatus = dg.DefaultSensorStatus.RUNNING):
    """Evaluates every asset's automation condition (on by default, also locally)."""
    return dg.AutomationConditionSensorDefinition(
        "retail_automation",
        target=dg.AssetSelection.all(),
        default_status=default_status,
        minimum_interval_seconds=60,
    )


def _unmaterialized_assets(instance: dg.DagsterInstance, run_id: str) -> list[dict]:
    planned: set[tuple[str, str | None]] = set()
    done: set[tuple[str, str | None]] = set()
    records = instance.get_records_for_run(
        run_id, of_type={dg.DagsterEventType.ASSET_MATERIALIZATION_PLANNED, dg.DagsterEventType.ASSET_MATERIALIZATION}
    ).records
    for record in records:
        event = record.event_log_entry.dagster_event
        if event is None or event.asset_key is None:
            continue
        item = (event.asset_key.to_user_string(), event.partition)
        (planned if event.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION_PLANNED else done).add(item)
    return [{"asset": asset, "partition": partition} for asset, partition in sorted(planned - done, key=str)]


@dg.run_failure_sensor(name="run_failure_alert", default_status=dg.DefaultSensorStatus.RUNNING)
def run_failure_alert(context: dg.RunFailureSensorContext) -> None:
    """Posts the failed run (job, steps, assets and partitions not materialized, UI link) to the
    webhook in ``RETAIL_ALERT_WEBHOOK_URL``; without one, logs the alert."""
    run = context.dagster_run
    failed_steps = [
        {
            "step": event.step_key,
            "error": (event.step_failure_data.error.message.strip().splitlines() or [""])[0]
            if event.step_failure_data and event.step_failure_data.error
            else "",
        }
        for event in context.get_step_failure_events()
    ]
    payload = alerts.alert_payload(
        run_id=run.run_id,
        job_name=run.job_name,
        failed_steps=failed_steps,
        assets_not_materialized=_unmaterialized_assets(context.instance, run.run_id),
        partition=run.tags.get("dagster/partition"),
    )
    url = os.environ.get(alerts.WEBHOOK_ENV, "").strip()
    if not url:
        context.log.warning(f"{alerts.WEBHOOK_ENV} is not set; alert not sent: {payload['text']}")
        return
    status = alerts.post_json(url, payload)
    context.log.info(f"alert for run {run.run_id} sent to the webhook (HTTP {status})")
