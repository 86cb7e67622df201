"""Sensors: the landing-zone sensor (on in the cloud deployments), declarative automation and the
run-failure alert."""

from collections.abc import Callable
from datetime import UTC, date, datetime

import dagster as dg

from retail_platform.automation import alerts, landing
from retail_platform.automation.settings import AutomationSettings
from retail_platform.deployments import automation_default_status
from retail_platform.lake.keys import bronze_key
from retail_platform.lake.paths import partition_dir
from retail_platform.lake.storage import LakeResource
from retail_platform.partitions import FIRST_DAY, RANGE_END_TAG, RANGE_START_TAG
from retail_platform.sources.registry import TABLES, TABLES_BY_NAME
from retail_platform.transforms.bronze import partition_folder_problem


def landing_sensor(
    default_status: dg.DefaultSensorStatus = dg.DefaultSensorStatus.STOPPED,
    today: Callable[[], date] = lambda: datetime.now(UTC).date(),
    minimum_interval_seconds: int = 30,
) -> dg.SensorDefinition:
    """Starts the bronze partitions of newly landed file sets, once per file set (cloud deployments).

    Scans ``landing/<source>/<table>/dt=D/`` for the last ``automation.landing_scan_days`` (default 7,
    ``RETAIL_LANDING_SCAN_DAYS``) complete days, so a late file in a past day's folder triggers that
    day again. One run per day,
    for the tables whose files changed; silver and downstream follow by declarative automation.
    Folders and files bronze never reads (a malformed ``dt=`` folder, an unknown table, a file
    outside any ``dt=`` folder) are warned about in the tick's log and skip reason, once each.
    """

    @dg.sensor(
        name="landing_files_sensor",
        target=dg.AssetSelection.groups("bronze"),
        default_status=default_status,
        minimum_interval_seconds=minimum_interval_seconds,
        description="Bronze partitions for newly landed files (once per file set).",
    )
    def _landing(
        context: dg.SensorEvaluationContext, lake: LakeResource, automation: AutomationSettings
    ) -> dg.SensorResult:
        days = landing.days_to_scan(today(), automation.landing_scan_days, date.fromisoformat(FIRST_DAY))
        seen = landing.load_cursor(context.cursor)
        scanned: dict[tuple[str, date], str] = {}
        newest: dict[tuple[str, date], float] = {}
        for day in days:
            for spec in TABLES:
                keys = lake.list_files(partition_dir("landing", spec.table, day, source=spec.source))
                if keys:
                    modified = [(k, lake.last_modified(k)) for k in keys]
                    scanned[(spec.table, day)] = landing.fingerprint(modified)
                    newest[(spec.table, day)] = max(m for _, m in modified)
        changed = landing.new_file_sets(seen, scanned)
        unread = landing.unread_paths(SOURCE_TABLES, *_landing_listing(lake), partition_folder_problem)
        new_unread = sorted(set(unread) - landing.reported_folders(seen))
        for folder in new_unread:
            context.log.warning(
                f"{lake.uri(folder)} in the landing zone is never read by bronze: {unread[folder]}. Rename or move it "
                "to landing/<source>/<table>/dt=YYYY-MM-DD, then materialize bronze/<table> for that day (this "
                f"sensor does it when the day is within the last {automation.landing_scan_days} days)."
            )
        ingested = bronze_ingested_at(context.instance, {(t, d) for d, tables in changed.items() for t in tables})
        requests = [
            dg.RunRequest(
                run_key=landing.run_key(day, tables),
                partition_key=day.isoformat(),
                asset_selection=[bronze_key(TABLES_BY_NAME[t]) for t in sorted(tables)],
                tags={"retail/launched_by": "landing_files_sensor"},
            )
            for day, tables in landing.not_yet_ingested(changed, newest, ingested).items()
        ]
        cursor = landing.dump_cursor(landing.advance_cursor(seen, changed, days[0] if days else today(), unread))
        if not requests:
            reason = f"no new landing files in {len(days)} day(s) scanned"
            if new_unread:
                reason += f"; {len(new_unread)} landing path(s) never read (see the log): " + ", ".join(new_unread)
            return dg.SensorResult(skip_reason=reason, cursor=cursor)
        return dg.SensorResult(run_requests=requests, cursor=cursor)

    return _landing


SOURCE_TABLES = {s: [t.table for t in TABLES if t.source == s] for s in dict.fromkeys(t.source for t in TABLES)}


def _landing_listing(lake: LakeResource) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """The landing zone's folders and files above the partition folders (landing, sources, tables)."""
    parents = ["landing"]
    for source, tables in SOURCE_TABLES.items():
        parents += [f"landing/{source}", *(f"landing/{source}/{table}" for table in tables)]
    return {p: lake.list_folders(p) for p in parents}, {p: lake.list_files(p) for p in parents}


def bronze_ingested_at(instance: dg.DagsterInstance, wanted: set[tuple[str, date]]) -> dict[tuple[str, date], float]:
    """When bronze last materialized each (table, day): one query per table."""
    ingested: dict[tuple[str, date], float] = {}
    for table in sorted({t for t, _ in wanted}):
        days = sorted(d for t, d in wanted if t == table)
        records = instance.fetch_materializations(
            dg.AssetRecordsFilter(
                asset_key=bronze_key(TABLES_BY_NAME[table]), asset_partitions=[d.isoformat() for d in days]
            ),
            limit=10 * len(days),
        ).records
        for record in records:  # newest first
            key = (table, date.fromisoformat(record.partition_key)) if record.partition_key else None
            if key is not None and key not in ingested:
                ingested[key] = record.timestamp
    return ingested


def automation_sensor(default_status: dg.DefaultSensorStatus = dg.DefaultSensorStatus.RUNNING):
    """Evaluates every asset's automation condition (on by default, also locally)."""
    return dg.AutomationConditionSensorDefinition(
        "retail_automation",
        # Assets and the checks that run as steps of their own (referential integrity): those have
        # a condition too, and what is downstream of a blocking one waits for its result.
        target=dg.AssetSelection.all() | dg.AssetSelection.all_asset_checks(),
        default_status=default_status,
        # Each tick can carry a day one step further down the graph: twice a minute.
        minimum_interval_seconds=30,
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


def run_partitions(tags: dict[str, str]) -> str | None:
    """The run's partition, or its range ("2026-11-01..2026-11-07")."""
    start, end = tags.get(RANGE_START_TAG), tags.get(RANGE_END_TAG)
    return tags.get("dagster/partition") or (f"{start}..{end}" if start and end else None)


@dg.run_failure_sensor(name="run_failure_alert", default_status=dg.DefaultSensorStatus.RUNNING)
def run_failure_alert(context: dg.RunFailureSensorContext, automation: AutomationSettings) -> None:
    """Posts the failed run (job, steps, assets and partitions not materialized, UI link) to the
    deployment's webhook (``RETAIL_ALERT_WEBHOOK_URL``); without one, logs the alert."""
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
        partition=run_partitions(run.tags),
        base_url=automation.webserver_url,
    )
    url = (automation.alert_webhook_url or "").strip()
    if not url:
        context.log.warning(f"no alert webhook (RETAIL_ALERT_WEBHOOK_URL) configured; not sent: {payload['text']}")
        return
    status = alerts.post_json(url, payload)
    context.log.info(f"alert for run {run.run_id} sent to the webhook (HTTP {status})")


landing_files_sensor = landing_sensor(automation_default_status())
retail_automation = automation_sensor()
