"""End to end through `dagster dev`: what a user gets from the UI's buttons on a fresh instance.

One `dagster dev` (webserver + daemon) serves the module, in file order: idle first, then a
backfill of every asset ("Materialize all" for three days), then one partition of one asset
("Materialize"). Everything goes through the webserver's GraphQL API, as the UI does.
"""

import json
import subprocess
import sys
import time
from collections import Counter

import duckdb
import pytest

from retail_platform_tests.dagster_dev import (
    BACKFILL_SUCCEEDED,
    REPO_ROOT,
    DagsterDev,
    DagsterDevError,
    live_group_members,
    port_is_free,
    running_dagster_dev,
)

pytestmark = pytest.mark.xdist_group("dagster_dev")

AUTOMATION_SENSOR = "retail_automation"
# The automation sensor's minimum interval is 60 s (instance/local.yaml): idle long enough for a
# second evaluation on the settled instance.
IDLE_SECONDS = 75
BACKFILL_DAYS = ["2026-03-02", "2026-03-03", "2026-03-04"]
BACKFILL_TIMEOUT = 600
MAX_BACKFILL_RUNS = 5
SINGLE_DAY = "2026-03-05"
SINGLE_TABLE = "stores"
# deployments.resources_for("local"): the DuckDB warehouse file under RETAIL_DATA_DIR.
WAREHOUSE_FILE = "warehouse.duckdb"
MANIFEST = REPO_ROOT / "dbt_project" / "target" / "manifest.json"


@pytest.fixture(scope="module")
def dagster_dev(tmp_path_factory) -> DagsterDev:
    if not MANIFEST.exists():
        subprocess.run(["make", "prepare"], cwd=REPO_ROOT, check=True)
    with running_dagster_dev(tmp_path_factory.mktemp("dagster_dev")) as dev:
        yield dev


def describe_runs(dev: DagsterDev, runs: list[dict], limit: int = 25) -> str:
    """One line per run (the first `limit`), with the step failures of the failed ones."""
    lines = [f"  ... and {len(runs) - limit} more run(s)"] if len(runs) > limit else []
    for run in runs[:limit]:
        assets = ", ".join("/".join(k["path"]) for k in run["assetSelection"] or [])
        lines.append(f"  {run['runId']} {run['status']} {run['jobName']} [{assets[:300]}]")
        if run["status"] == "FAILURE":
            for event in dev.run_events(run["runId"]):
                if event["__typename"] == "ExecutionStepFailureEvent":
                    message = ((event["error"] or {}).get("message") or event["message"]).strip()[:1500]
                    lines.append(f"    step {event['stepKey']}: " + message.replace("\n", "\n      "))
    return "\n".join(lines)


def test_idle_dagster_dev_on_an_empty_data_dir_launches_nothing_that_fails(dagster_dev):
    dev = dagster_dev
    time.sleep(max(0.0, dev.loaded_at + IDLE_SECONDS - time.time()))

    def evaluated_twice() -> dict | None:
        state = dev.sensor_ticks(AUTOMATION_SENSOR)
        return state if len(state["ticks"]) >= 2 else None

    # A test that cannot fail is worse than none: automation must really have evaluated, twice.
    state = dev.wait_until(f"two ticks of {AUTOMATION_SENSOR}", evaluated_twice, timeout=120)
    dev.wait_until_idle(timeout=300)  # judge what the daemon launched once it has finished

    runs = dev.all_runs()
    ticks = Counter(t["status"] for t in state["ticks"])
    print(
        f"\nidle dagster dev: {len(runs)} run(s) {dict(Counter(r['status'] for r in runs))}; "
        f"{AUTOMATION_SENSOR} ticks {dict(ticks)}"
    )
    for tick in state["ticks"]:
        if tick["error"]:
            print(f"  {AUTOMATION_SENSOR} tick {tick['status']}: {tick['error']['message'][:600]}")
    failed = [r for r in runs if r["status"] == "FAILURE"]
    assert not failed, f"an idle dagster dev launched {len(failed)} failing run(s):\n{describe_runs(dev, failed)}"


def test_a_three_day_backfill_of_every_asset_completes_in_a_few_runs(dagster_dev):
    dev = dagster_dev
    dev.wait_until_idle()
    keys = dev.materializable_asset_keys()
    nodes = {tuple(n["assetKey"]["path"]): n for n in dev.asset_nodes()}
    started = time.time()
    backfill_id = dev.launch_backfill(keys, BACKFILL_DAYS, title="every asset, three days")
    try:
        backfill = dev.wait_for_backfill(backfill_id, timeout=BACKFILL_TIMEOUT)
    except DagsterDevError:
        # leave the shared instance idle for the next test, and say how far it got
        runs = dev.backfill_runs(backfill_id)
        print(f"\nbackfill {backfill_id} timed out after {time.time() - started:.0f} s, canceling; runs:")
        print(describe_runs(dev, runs))
        dev.cancel_backfill(backfill_id)
        raise
    wall = time.time() - started
    runs = dev.backfill_runs(backfill_id)
    print(
        f"\nbackfill {backfill_id} of {len(keys)} assets x {len(BACKFILL_DAYS)} days: {backfill['status']} "
        f"in {wall:.0f} s, {len(runs)} run(s) {dict(Counter(r['status'] for r in runs))}"
    )

    assert backfill["status"] in BACKFILL_SUCCEEDED, (
        f"backfill {backfill['status']}: {(backfill['error'] or {}).get('message', '')}\n{describe_runs(dev, runs)}"
    )
    failed = [r for r in runs if r["status"] != "SUCCESS"]
    assert not failed, f"runs of the backfill did not succeed:\n{describe_runs(dev, failed)}"
    assert len(runs) <= MAX_BACKFILL_RUNS, (
        f"{len(runs)} runs (at most {MAX_BACKFILL_RUNS}):\n{describe_runs(dev, runs)}"
    )
    # What automation launched in reaction to the backfill must not fail either.
    dev.wait_until_idle()
    ours = {r["runId"] for r in runs}
    others = [r for r in dev.all_runs() if r["runId"] not in ours and r["creationTime"] >= started]
    print(f"{len(others)} other run(s) since the backfill started {dict(Counter(r['status'] for r in others))}")
    failed = [r for r in others if r["status"] == "FAILURE"]
    assert not failed, f"runs launched during the backfill failed:\n{describe_runs(dev, failed)}"

    # Every partitioned asset holds the three days, every unpartitioned one was rebuilt.
    since_ms = started * 1000
    materialized = dev.materializations(keys, BACKFILL_DAYS, limit=1)
    missing = []
    for key in map(tuple, keys):
        node = materialized[key]
        if nodes[key]["isPartitioned"]:
            latest = dict(zip(BACKFILL_DAYS, node["latestMaterializationByPartition"], strict=True))
            missing += [f"{'/'.join(key)}@{d}" for d, m in latest.items() if not m or float(m["timestamp"]) < since_ms]
        elif not node["assetMaterializations"] or float(node["assetMaterializations"][0]["timestamp"]) < since_ms:
            missing.append("/".join(key))
    assert not missing, f"{len(missing)} asset partition(s) not materialized by the backfill: {missing}"

    # Every check the backfill's runs evaluated: the ERROR ones pass, the WARN ones are reported.
    events = [e for run in runs for e in dev.run_events(run["runId"])]
    evaluations = [e["evaluation"] for e in events if e["__typename"] == "AssetCheckEvaluationEvent"]
    # ... and every dbt test was one of them: a blocking check that "emitted no result" gates nothing.
    assert not [e["message"] for e in events if "emitted no result" in (e.get("message") or "")]
    dbt_tests = {n["name"] for n in json.loads(MANIFEST.read_text())["nodes"].values() if n["resource_type"] == "test"}
    assert dbt_tests - {ev["checkName"] for ev in evaluations} == set()
    failing = [ev for ev in evaluations if not ev["success"]]

    def name(ev: dict) -> str:
        return f"{'/'.join(ev['assetKey']['path'])}:{ev['checkName']}@{ev['partition'] or '-'}"

    warned = [name(ev) for ev in failing if ev["severity"] == "WARN"]
    print(f"{len(evaluations)} check evaluation(s), {len(failing)} failing, of which WARN: {warned}")
    assert evaluations, "the backfill's runs evaluated no asset check"
    errors = [name(ev) for ev in failing if ev["severity"] != "WARN"]
    assert not errors, f"ERROR checks failed: {errors}"

    # The marts hold each day. The DuckDB file takes one writer: read only while no run is active.
    dev.wait_until_idle()
    schema = json.loads(MANIFEST.read_text())["nodes"]["model.retail.agg_daily_sales"]["schema"]
    path = dev.data_dir / WAREHOUSE_FILE
    assert path.exists(), f"no DuckDB warehouse at {path}"
    with duckdb.connect(str(path), read_only=True) as warehouse:
        rows = dict(
            warehouse.execute(
                f"select cast(sale_date as varchar), count(*) from {schema}.agg_daily_sales group by 1"
            ).fetchall()
        )
    assert all(rows.get(day) for day in BACKFILL_DAYS), f"agg_daily_sales rows by day: {rows}"


def test_one_partition_of_one_asset(dagster_dev):
    """The UI's "Materialize" on one asset and one partition: the landing day first, then bronze."""
    dev = dagster_dev
    dev.wait_until_idle()
    landing, bronze = ("landing", SINGLE_TABLE), ("bronze", SINGLE_TABLE)
    landed = dev.wait_for_run(dev.launch_asset_run([landing], SINGLE_DAY))
    assert landed["status"] == "SUCCESS", describe_runs(dev, [landed])

    started = time.time()
    run = dev.wait_for_run(dev.launch_asset_run([bronze], SINGLE_DAY))
    assert run["status"] == "SUCCESS", describe_runs(dev, [run])
    in_run = [
        (tuple(e["assetKey"]["path"]), e["partition"])
        for e in dev.run_events(run["runId"])
        if e["__typename"] == "MaterializationEvent"
    ]
    assert in_run == [(bronze, SINGLE_DAY)]
    history = dev.materializations([bronze], limit=20)[bronze]["assetMaterializations"]
    new = [(m["partition"], m["runId"]) for m in history if float(m["timestamp"]) >= started * 1000]
    assert new == [(SINGLE_DAY, run["runId"])]


def test_a_backfill_of_the_lake_job_is_one_run_over_the_range(dagster_dev):
    """The job's Partitions tab: a backfill of `retail_daily` for three days is one ranged run."""
    dev = dagster_dev
    dev.wait_until_idle()
    days = ["2026-03-05", "2026-03-06", "2026-03-07"]  # the day after the big backfill onwards
    backfill = dev.wait_for_backfill(dev.launch_job_backfill("retail_daily", days), timeout=BACKFILL_TIMEOUT)
    runs = dev.backfill_runs(backfill["id"])
    assert backfill["status"] in BACKFILL_SUCCEEDED, describe_runs(dev, runs)
    assert [r["status"] for r in runs] == ["SUCCESS"], describe_runs(dev, runs)
    tags = {t["key"]: t["value"] for t in runs[0]["tags"]}
    assert (tags["dagster/asset_partition_range_start"], tags["dagster/asset_partition_range_end"]) == (
        days[0],
        days[-1],
    )
    gold = ("gold", "order_lifecycle")
    latest = dev.materializations([gold], days, limit=1)[gold]["latestMaterializationByPartition"]
    assert [m and m["runId"] for m in latest] == [runs[0]["runId"]] * len(days)


SERVER_IGNORING_SIGTERM = """
import signal, socket, subprocess, sys, time
IGNORE_AND_SLEEP = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(600)"
signal.signal(signal.SIGTERM, signal.SIG_IGN)
child = subprocess.Popen([sys.executable, "-c", IGNORE_AND_SLEEP])
server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", int(sys.argv[1])))
server.listen()
print("listening", child.pid, flush=True)
time.sleep(600)
"""


def test_the_harness_leaves_nothing_behind_when_the_body_raises(tmp_path):
    """A stand-in for `dagster dev` that ignores SIGTERM, has a child, and holds the port."""

    def command(port: int) -> list[str]:
        return [sys.executable, "-c", SERVER_IGNORING_SIGTERM, str(port)]

    with pytest.raises(RuntimeError, match="the test body failed"):
        with running_dagster_dev(tmp_path, stop_grace=2, command=command) as dev:
            dev.wait_until("the stand-in to listen", lambda: not port_is_free(dev.port), timeout=30, interval=0.2)
            dev.wait_until("its child", lambda: len(live_group_members(dev.process.pid)) == 2, timeout=30)
            raise RuntimeError("the test body failed")
    assert dev.process.returncode is not None
    assert live_group_members(dev.process.pid) == []
    assert port_is_free(dev.port)
