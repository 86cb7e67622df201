"""Schedules, sensors and declarative automation, evaluated against real Dagster instances,
a temporary landing folder and a local HTTP receiver."""

import json
import os
import threading
import time
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import dagster as dg
import pytest

from retail_platform.automation import landing
from retail_platform.automation.settings import AutomationSettings
from retail_platform.definitions import defs
from retail_platform.defs.automation.sensors import landing_sensor, run_failure_alert
from retail_platform.deployments import automation_settings
from retail_platform.sources.registry import table_spec
from retail_platform_tests.platform import lake_assets

TODAY = date(2026, 11, 8)
D1, D2, D3 = "2026-11-05", "2026-11-06", "2026-11-07"


# --- landing sensor ------------------------------------------------------------------------------


def land(lake, table: str, day: str, name: str, content: bytes = b'{"x": 1}\n') -> None:
    spec = table_spec(table)
    lake.write_bytes(f"landing/{spec.source}/{table}/dt={day}/{name}", content)


def tick(lake, cursor: str | None, instance: dg.DagsterInstance | None = None) -> dg.SensorResult:
    # A fresh sensor definition each time: nothing survives between ticks but the cursor.
    sensor = landing_sensor(today=lambda: TODAY)
    context = dg.build_sensor_context(
        cursor=cursor,
        instance=instance or dg.DagsterInstance.ephemeral(),
        resources={"lake": lake, "automation": AutomationSettings()},
    )
    return sensor(context)


def requested(result: dg.SensorResult) -> dict[str, list[str]]:
    return {r.partition_key: sorted(k.to_user_string() for k in r.asset_selection) for r in result.run_requests or []}


def test_days_to_scan_is_a_bounded_window_of_complete_days():
    assert landing.days_to_scan(TODAY, 3) == [date(2026, 11, 5), date(2026, 11, 6), date(2026, 11, 7)]
    assert landing.days_to_scan(date(2024, 1, 3), 7, first_day=date(2024, 1, 1)) == [date(2024, 1, 1), date(2024, 1, 2)]


def test_landing_sensor_requests_each_new_file_set_once_and_survives_a_restart(lake):
    land(lake, "stores", D1, "stores.json")
    land(lake, "products", D1, "products.json")
    land(lake, "stores", D2, "stores.json")
    land(lake, "stores", "2026-10-01", "stores.json")  # outside the 7-day window: not scanned
    land(lake, "stores", TODAY.isoformat(), "stores.json")  # today is not a complete partition yet

    first = tick(lake, None)
    assert requested(first) == {D1: ["bronze/products", "bronze/stores"], D2: ["bronze/stores"]}
    assert len({r.run_key for r in first.run_requests}) == 2
    assert json.loads(first.cursor).keys() == {f"products/{D1}", f"stores/{D1}", f"stores/{D2}"}

    # Same files: nothing, through a new sensor instance (a daemon restart) reading the stored cursor.
    again = tick(lake, first.cursor)
    assert requested(again) == {} and again.cursor == first.cursor

    # A new day lands, and a late file lands in a past day's folder: both days, only their tables.
    land(lake, "stores", D3, "stores.json")
    land(lake, "products", D1, "products_late.json")
    later = tick(lake, again.cursor)
    assert requested(later) == {D1: ["bronze/products"], D3: ["bronze/stores"]}
    assert not {r.run_key for r in later.run_requests} & {r.run_key for r in first.run_requests}
    assert requested(tick(lake, later.cursor)) == {}


def test_landing_sensor_skips_file_sets_bronze_already_read_and_takes_a_later_file(lake):
    # A day landed and built (a backfill, or before the sensor was switched on): not ingested again.
    land(lake, "stores", D1, "stores.json")
    instance = dg.DagsterInstance.ephemeral()
    instance.report_runless_asset_event(dg.AssetMaterialization(["bronze", "stores"], partition=D1))
    first = tick(lake, None, instance)
    assert requested(first) == {}
    assert json.loads(first.cursor).keys() == {f"stores/{D1}"}  # seen, so a rescan stays quiet too
    # A file that lands after bronze read the day is new.
    land(lake, "stores", D1, "stores_late.json")
    late = Path(lake.root) / f"landing/{table_spec('stores').source}/stores/dt={D1}/stores_late.json"
    os.utime(late, (time.time() + 60, time.time() + 60))
    assert requested(tick(lake, first.cursor, instance)) == {D1: ["bronze/stores"]}


def test_landing_sensor_cursor_forgets_days_that_left_the_window():
    seen = {f"stores/{D1}": "a", "stores/2026-10-01": "b"}
    assert landing.advance_cursor(seen, {}, date(2026, 11, 1)) == {f"stores/{D1}": "a"}


# --- declarative automation ----------------------------------------------------------------------

AUTOMATED = lake_assets  # as loaded: with their automation conditions
EVALUATED_AT = datetime(2026, 11, 7, 6, tzinfo=UTC)  # latest complete partition: D2


def run(resources, instance, day: str, *keys: str) -> None:
    selection = dg.AssetSelection.assets(*(dg.AssetKey.from_user_string(k) for k in keys))
    assert dg.materialize(
        lake_assets, partition_key=day, resources=resources, instance=instance, selection=selection
    ).success


def evaluate(resources, instance, cursor=None):
    result = dg.evaluate_automation_conditions(
        defs=dg.Definitions(assets=AUTOMATED, resources=resources),
        instance=instance,
        cursor=cursor,
        evaluation_time=EVALUATED_AT,
    )
    requested_partitions = {
        r.key.to_user_string(): set(r.true_subset.expensively_compute_partition_keys())
        for r in result.results
        if r.true_subset.size
    }
    return result, requested_partitions


def test_automation_follows_new_data_including_a_late_past_day_and_rests_when_fresh(resources):
    instance = dg.DagsterInstance.ephemeral()
    for day in (D1, D2):
        run(
            resources,
            instance,
            day,
            "landing/stores",
            "landing/products",
            "bronze/stores",
            "bronze/products",
            "silver/stores",
            "silver/products",
            "warehouse/silver/stores",
            "warehouse/silver/products",
        )

    first, asked = evaluate(resources, instance)
    assert asked == {}  # everything is fresh; the first tick only takes stock

    # New data: a late file re-lands D1's stores (two days back), D2's products are re-exported.
    run(resources, instance, D1, "bronze/stores")
    run(resources, instance, D2, "bronze/products")
    second, asked = evaluate(resources, instance, first.cursor)
    # silver follows its own bronze partition, the past day included; the load follows in the same tick.
    assert asked == {
        "silver/stores": {D1},
        "silver/products": {D2},
        "warehouse/silver/stores": {D1},
        "warehouse/silver/products": {D2},
    }

    run(resources, instance, D1, "silver/stores", "warehouse/silver/stores")
    run(resources, instance, D2, "silver/products", "warehouse/silver/products")
    _, asked = evaluate(resources, instance, second.cursor)
    assert asked == {}


def test_automation_starts_the_cdc_state_on_the_first_landed_day(resources):
    # silver/orders builds on its own previous day, which does not exist on the first landed day.
    instance = dg.DagsterInstance.ephemeral()
    first, _ = evaluate(resources, instance)
    run(resources, instance, D1, "landing/orders", "bronze/orders", "silver/orders_history")
    _, asked = evaluate(resources, instance, first.cursor)
    assert asked.get("silver/orders") == {D1}


def test_automation_waits_for_blocking_checks_of_the_same_partition(resources, monkeypatch):
    from retail_platform.transforms import silver as silver_transforms

    instance = dg.DagsterInstance.ephemeral()
    keys = ("landing/stores", "bronze/stores", "silver/stores", "warehouse/silver/stores")
    run(resources, instance, D2, *keys)
    first, _ = evaluate(resources, instance)
    # silver/stores of D2 is rebuilt with duplicated keys: its blocking unique_key check fails.
    monkeypatch.setattr(silver_transforms, "latest_mask", lambda frame, keys, ordering, among: among)
    spec = table_spec("stores")
    landed = resources["lake"].list_files(f"landing/{spec.source}/stores/dt={D2}")
    resources["lake"].write_bytes(landed[0].replace(".json", "_resent.json"), resources["lake"].read_bytes(landed[0]))
    result = dg.materialize(
        lake_assets,
        partition_key=D2,
        resources=resources,
        instance=instance,
        raise_on_error=False,
        selection=dg.AssetSelection.assets(["bronze", "stores"], ["silver", "stores"]),
    )
    assert not result.success and "silver/stores" in {
        e.asset_key.to_user_string() for e in result.get_asset_materialization_events()
    }
    second, asked = evaluate(resources, instance, first.cursor)
    assert "warehouse/silver/stores" not in asked  # silver updated, but its blocking check failed

    # Fixed and re-run: the check passes and the load follows.
    monkeypatch.undo()
    run(resources, instance, D2, "silver/stores")
    _, asked = evaluate(resources, instance, second.cursor)
    assert asked == {"warehouse/silver/stores": {D2}}


def test_the_definitions_carry_the_schedule_and_the_sensors():
    names = {s.name for s in defs.sensors}
    assert {
        "landing_files_sensor",
        "retail_automation",
        "run_failure_alert",
        "freshness_checks_sensor",
        "warehouse_dbt_after_retail_daily",
    } <= names
    assert defs.resolve_sensor_def("retail_automation").default_status == dg.DefaultSensorStatus.RUNNING
    schedule = defs.resolve_schedule_def("retail_daily_schedule")
    assert schedule.cron_schedule == "0 1 * * *" and schedule.default_status == dg.DefaultScheduleStatus.STOPPED
    graph = defs.resolve_asset_graph()
    assert graph.get(dg.AssetKey(["bronze", "orders"])).automation_condition is None
    assert graph.get(dg.AssetKey("mart_order_kpis")).freshness_policy.deadline_cron == "0 6 * * *"


# --- run failure alert ---------------------------------------------------------------------------


@pytest.fixture
def receiver():
    bodies: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            bodies.append({"path": self.path, "json": json.loads(self.rfile.read(int(self.headers["Content-Length"])))})
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", bodies
    server.shutdown()
    thread.join(timeout=5)


def failed_run(resources, instance, env: dict[str, str]):
    # No landing files for that day: bronze fails (without retries: a retry would not make them arrive).
    result = dg.materialize(
        lake_assets,
        partition_key="2026-10-01",
        resources=resources,
        instance=instance,
        selection=dg.AssetSelection.assets(["bronze", "stores"], ["silver", "stores"]),
        raise_on_error=False,
    )
    assert not result.success
    return dg.build_run_status_sensor_context(
        sensor_name="run_failure_alert",
        dagster_event=result.get_run_failure_event(),
        dagster_instance=instance,
        dagster_run=result.dagster_run,
        # The settings as the deployment maps them from its environment.
        resources={"automation": automation_settings(env)},
    ).for_run_failure(), result


def test_the_failure_sensor_posts_the_run_its_assets_and_a_link(resources, receiver, monkeypatch, capfd):
    url, bodies = receiver
    env = {
        "RETAIL_ALERT_WEBHOOK_URL": f"{url}/hooks/T0KEN-SECRET",
        "DAGSTER_WEBSERVER_URL": "http://dagster.internal:3000/",
    }
    monkeypatch.setenv("RETAIL_ALERT_WEBHOOK_URL", env["RETAIL_ALERT_WEBHOOK_URL"])
    instance = dg.DagsterInstance.ephemeral()
    context, result = failed_run(resources, instance, env)
    run_failure_alert(context)

    assert len(bodies) == 1 and bodies[0]["path"] == "/hooks/T0KEN-SECRET"
    body = bodies[0]["json"]
    assert body["run_id"] == result.run_id and body["job"] == result.dagster_run.job_name
    assert body["partitions"] == ["2026-10-01"]
    assert body["failed_assets"] == ["bronze/stores", "silver/stores"]
    assert [s["step"] for s in body["failed_steps"]] == ["bronze__stores"]
    assert "No landing files for stores on 2026-10-01" in body["failed_steps"][0]["error"]
    assert body["run_url"] == f"http://dagster.internal:3000/runs/{result.run_id}"
    assert result.run_id in body["text"] and "2026-10-01" in body["text"]
    assert [e for e in result.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"] == []
    logged = capfd.readouterr()
    assert "sent to the webhook (HTTP 204)" in logged.err and "T0KEN-SECRET" not in logged.err + logged.out


def test_without_a_webhook_the_alert_is_logged_and_nothing_is_posted(resources, receiver, monkeypatch, capfd):
    _, bodies = receiver
    monkeypatch.delenv("RETAIL_ALERT_WEBHOOK_URL", raising=False)
    context, result = failed_run(resources, dg.DagsterInstance.ephemeral(), {})
    run_failure_alert(context)
    assert bodies == []
    logged = capfd.readouterr().err.splitlines()
    alert = next(line for line in logged if "no alert webhook (RETAIL_ALERT_WEBHOOK_URL) configured" in line)
    assert result.run_id in alert and "2026-10-01" in alert
