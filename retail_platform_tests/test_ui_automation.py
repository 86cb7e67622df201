"""Automation with a live daemon, as it runs in production: nothing is launched by hand after the
sensor is switched on. Files land in the lake's landing zone as a source system would drop them; the
landing sensor starts bronze, declarative automation carries each day down to the marts, a blocking
check stops its day, and the failure alert reaches a webhook (a receiver on loopback).

In order, on one `dagster dev`: three days built by a backfill, then a new day, a late file for a
past day, and a file that fails a blocking check.
"""

import io
import json
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import duckdb
import polars as pl
import pytest

from retail_platform.lake.paths import partition_dir
from retail_platform.sources.registry import table_spec
from retail_platform.sources.simulator import SourceSimulator
from retail_platform_tests.dagster_dev import BACKFILL_SUCCEEDED, DagsterDev, running_dagster_dev

pytestmark = pytest.mark.xdist_group("dagster_dev")

# Partitions end yesterday (UTC); automation follows the last 14 days.
YESTERDAY = datetime.now(UTC).date() - timedelta(days=1)
BUILT = [(YESTERDAY - timedelta(days=n)).isoformat() for n in (3, 2, 1)]  # by a backfill, first
NEW_DAY = YESTERDAY.isoformat()  # lands while the sensors are on
LATE_DAY, BAD_DAY = BUILT[1], BUILT[2]
VOLUME = 300
FLOW_TIMEOUT = 900
MART = ("agg_daily_sales",)
LANDING_SENSOR = "landing_files_sensor"


class Webhook:
    """A loopback HTTP receiver standing in for the team's chat webhook."""

    def __init__(self):
        received = self.received = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def webhook():
    hook = Webhook()
    yield hook
    hook.close()


@pytest.fixture(scope="module")
def dagster_dev(tmp_path_factory, webhook) -> DagsterDev:
    with pytest.MonkeyPatch.context() as env:
        env.setenv("RETAIL_ALERT_WEBHOOK_URL", webhook.url)
        env.setenv("RETAIL_VOLUME", str(VOLUME))
        env.delenv("RETAIL_AUTOMATION", raising=False)  # switched on below, as a person does in the UI
        with running_dagster_dev(tmp_path_factory.mktemp("automation")) as dev:
            backfill = dev.wait_for_backfill(dev.launch_backfill(dev.materializable_asset_keys(), BUILT), timeout=900)
            assert backfill["status"] in BACKFILL_SUCCEEDED, backfill
            dev.wait_until_idle()
            start_sensor(dev, LANDING_SENSOR)
            yield dev


START_SENSOR = """
mutation Start($selector: SensorSelector!) {
  startSensor(sensorSelector: $selector) {
    __typename
    ... on Sensor { sensorState { status } }
    ... on Error { message }
  }
}
"""


def start_sensor(dev: DagsterDev, name: str) -> None:
    """The toggle on the UI's Automation page."""
    selector = {"repositoryName": dev.repository, "repositoryLocationName": "retail_platform", "sensorName": name}
    result = dev.graphql(START_SENSOR, {"selector": selector})["startSensor"]
    assert result.get("sensorState", {}).get("status") == "RUNNING", result


def land(dev: DagsterDev, table: str, day: str, name: str, content: bytes) -> None:
    """A source system's export: a file in the landing zone, written whole then moved into place."""
    spec = table_spec(table)
    target = dev.data_dir / "lake" / partition_dir("landing", table, day, source=spec.source) / name
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{name}.partial")
    partial.write_bytes(content)
    partial.rename(target)


def landed_csv(dev: DagsterDev, table: str, day: str) -> pl.DataFrame:
    folder = dev.data_dir / "lake" / partition_dir("landing", table, day, source=table_spec(table).source)
    return pl.concat([pl.read_csv(p, infer_schema=False) for p in sorted(folder.glob("*.csv"))])


def csv_bytes(frame: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.write_csv(buffer)
    return buffer.getvalue()


def materialized_at(dev: DagsterDev, key: tuple[str, ...], day: str) -> float:
    """When the partition was last materialized (epoch seconds; 0 when never)."""
    (latest,) = dev.materializations([key], [day], limit=1)[key]["latestMaterializationByPartition"]
    return float(latest["timestamp"]) / 1000 if latest else 0.0


def wait_for_materialization(dev: DagsterDev, key: tuple[str, ...], day: str, after: float) -> float:
    return dev.wait_until(
        f"{'/'.join(key)} {day} materialized by automation",
        lambda: (materialized_at(dev, key, day) > after) and materialized_at(dev, key, day),
        timeout=FLOW_TIMEOUT,
        interval=5,
    )


def mart_rows(dev: DagsterDev, day: str) -> int:
    dev.wait_until_idle()  # the DuckDB file takes one writer: read while no run is active
    with duckdb.connect(str(dev.data_dir / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(
            "select coalesce(sum(sale_lines), 0) from marts.agg_daily_sales where sale_date = ? and channel = 'store'",
            [day],
        ).fetchone()[0]


def runs_since(dev: DagsterDev, started: float) -> list[dict]:
    """Every run launched since `started`, once it has finished: automation may still be carrying
    the change further when a test looks (a run still STARTED is neither a success nor a failure)."""
    return [dev.wait_for_run(r["runId"]) for r in dev.all_runs() if r["creationTime"] >= started]


def test_a_newly_landed_day_reaches_the_marts_with_no_manual_step(dagster_dev):
    dev = dagster_dev
    started = time.time()
    for landed in SourceSimulator(volume=VOLUME).export_day(YESTERDAY):
        land(dev, landed.table, NEW_DAY, landed.name, landed.content)
    done = wait_for_materialization(dev, MART, NEW_DAY, started)
    runs = runs_since(dev, started)
    print(f"\nnew day {NEW_DAY}: landing -> marts in {done - started:.0f} s, {len(runs)} run(s)")
    assert mart_rows(dev, NEW_DAY) > 0
    assert runs and all(r["status"] == "SUCCESS" for r in runs), runs
    # Launched by the sensors only: the landing sensor (bronze) and declarative automation.
    launchers = {t["value"] for r in runs for t in r["tags"] if t["key"] == "dagster/sensor_name"}
    assert launchers == {LANDING_SENSOR, "retail_automation"}, launchers


def test_a_late_file_re_runs_its_past_day_down_to_the_marts(dagster_dev):
    dev = dagster_dev
    before = mart_rows(dev, LATE_DAY)
    untouched = materialized_at(dev, MART, BUILT[0])
    # Three store sales that arrive a day late, as the till's late export.
    transactions = landed_csv(dev, "pos_transactions", LATE_DAY).head(3)
    lines = landed_csv(dev, "pos_transaction_lines", LATE_DAY).join(
        transactions.select("transaction_id"), on="transaction_id"
    )
    late_id = pl.col("transaction_id") + "L"
    started = time.time()
    land(dev, "pos_transactions", LATE_DAY, "pos_transactions_late.csv", csv_bytes(transactions.with_columns(late_id)))
    land(
        dev, "pos_transaction_lines", LATE_DAY, "pos_transaction_lines_late.csv", csv_bytes(lines.with_columns(late_id))
    )
    done = wait_for_materialization(dev, MART, LATE_DAY, started)
    print(f"\nlate file for {LATE_DAY}: landing -> marts in {done - started:.0f} s")
    assert mart_rows(dev, LATE_DAY) == before + lines.height
    assert materialized_at(dev, MART, BUILT[0]) == untouched  # only the late file's day re-ran
    assert all(r["status"] == "SUCCESS" for r in runs_since(dev, started))


def test_a_file_failing_a_blocking_check_stops_its_day_and_alerts(dagster_dev, webhook):
    dev = dagster_dev
    sales_before = materialized_at(dev, ("gold", "sales"), BAD_DAY)
    mart_before = materialized_at(dev, MART, BAD_DAY)
    # Lines of a transaction the till never exported: referential integrity (blocking) must fail.
    ghost = f"T{BAD_DAY.replace('-', '')}S999000001"  # shaped like a real id: valid, but unknown
    orphans = landed_csv(dev, "pos_transaction_lines", BAD_DAY).head(2).with_columns(transaction_id=pl.lit(ghost))
    started = time.time()
    land(dev, "pos_transaction_lines", BAD_DAY, "pos_transaction_lines_resent.csv", csv_bytes(orphans))

    def failed_run():
        return next((r for r in runs_since(dev, started) if r["status"] == "FAILURE"), None)

    failed = dev.wait_until("the automation run to fail on the check", failed_run, timeout=FLOW_TIMEOUT, interval=5)
    alert = dev.wait_until(
        "the failure alert at the webhook",
        lambda: next((a for a in webhook.received if a["run_id"] == failed["runId"]), None),
        timeout=180,
    )
    print(f"\nblocking check on {BAD_DAY}: alert after {time.time() - started:.0f} s: {alert['text']}")
    assert any("referential_integrity" in s["step"] for s in alert["failed_steps"]), alert
    assert alert["run_url"].endswith(failed["runId"])
    # Nothing downstream of the failed check ran for that day, then or at a later automation tick.
    time.sleep(45)
    dev.wait_until_idle()
    assert materialized_at(dev, ("silver", "pos_transaction_lines"), BAD_DAY) > started  # written, then flagged
    assert materialized_at(dev, ("gold", "sales"), BAD_DAY) == sales_before
    assert materialized_at(dev, MART, BAD_DAY) == mart_before
