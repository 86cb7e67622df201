"""Recovering from failures through `dagster dev`, with the buttons a user reaches for in the UI.

One `dagster dev` (webserver + daemon) serves the module, at a small source volume:

- a lake run fails on an unreadable landing file; once the file is removed, the run's "Re-execute
  from failure" runs only the steps that failed or never ran, and the missing partitions appear;
- a backfill of every asset is canceled while its run's `dbt build` writes the warehouse ("Cancel
  backfill", then the run's "Terminate"): the run ends canceled with no dbt process or DuckDB lock
  left behind, and the backfill's "Re-execute from failure" builds what is missing, and only that.

The days are months before today, outside automation's late-data window: every run here is one
the test launched. The two tests' days are further apart than the CDC state looks back (31 days),
so neither depends on the other's.
"""

import json
import os
import subprocess
import time
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import duckdb
import pytest

from retail_platform.lake.paths import partition_dir
from retail_platform.layers import DAILY_JOB
from retail_platform.sources.registry import TABLES_BY_NAME
from retail_platform_tests.dagster_dev import (
    CANCEL_BACKFILL,
    LAUNCH_RUN,
    LOCATION,
    REPO_ROOT,
    DagsterDev,
    DagsterDevError,
    running_dagster_dev,
)

pytestmark = pytest.mark.xdist_group("dagster_dev")

MANIFEST = REPO_ROOT / "dbt_project" / "target" / "manifest.json"
# Small days keep each run short; the recovery paths do not depend on the volume.
VOLUME = "200"
WAREHOUSE_FILE = "warehouse.duckdb"  # deployments.resources_for("local"), under RETAIL_DATA_DIR

FAULT_DAY = "2026-03-10"
# A CDC table (JSON lines): its bronze step failing leaves the CDC state, the order lifecycle,
# sales and the warehouse load unbuilt, while the other tables' steps succeed.
FAULT_TABLE = "orders"
BACKFILL_DAYS = ["2026-01-12", "2026-01-13"]
RUN_TIMEOUT = 300
BACKFILL_TIMEOUT = 600

RUN_QUERY = """
query Run($runId: ID!) {
  runOrError(runId: $runId) {
    __typename
    ... on Run {
      runId
      status
      jobName
      parentRunId
      rootRunId
      tags { key value }
      stepKeysToExecute
      executionPlan { steps { key } }
      stepStats { stepKey status }
    }
    ... on PythonError { message stack }
    ... on Error { message }
  }
}
"""


# The run page's "Re-execute" menu.
REEXECUTE_RUN = """
mutation Reexecute($params: ReexecutionParams!) {
  launchRunReexecution(reexecutionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message stack }
    ... on Error { message }
  }
}
"""

# The backfill page's "Re-execute" menu: a new backfill of the parent's targets.
REEXECUTE_BACKFILL = """
mutation ReexecuteBackfill($params: ReexecutionParams!) {
  reexecutePartitionBackfill(reexecutionParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PythonError { message stack }
    ... on Error { message }
  }
}
"""


# The run page's "Terminate" (safe: the run is marked canceled once its process has stopped).
TERMINATE_RUN = """
mutation Terminate($runId: String!) {
  terminateRun(runId: $runId, terminatePolicy: SAFE_TERMINATE) {
    __typename
    ... on TerminateRunFailure { message run { status } }
    ... on PythonError { message stack }
    ... on Error { message }
  }
}
"""

BACKFILL_TAGS_QUERY = """
query BackfillTags($id: String!) {
  partitionBackfillOrError(backfillId: $id) {
    __typename
    ... on PartitionBackfill { id tags { key value } }
    ... on PythonError { message }
    ... on Error { message }
  }
}
"""


@pytest.fixture(scope="module")
def dagster_dev(tmp_path_factory) -> DagsterDev:
    if not MANIFEST.exists():
        subprocess.run(["make", "prepare"], cwd=REPO_ROOT, check=True)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("RETAIL_VOLUME", VOLUME)
        env.delenv("RETAIL_AUTOMATION", raising=False)  # the landing sensor stays off: runs are ours
        with running_dagster_dev(tmp_path_factory.mktemp("dagster_dev_recovery")) as dev:
            yield dev


# --- the UI's actions and what the run page shows ------------------------------------------------


def launch_job_run(dev: DagsterDev, job_name: str, partition: str) -> str:
    """The job's Launchpad with one partition selected, then "Launch run"."""
    params = {
        "selector": {"repositoryLocationName": LOCATION, "repositoryName": dev.repository, "pipelineName": job_name},
        "mode": "default",
        "runConfigData": {},
        "executionMetadata": {"tags": [{"key": "dagster/partition", "value": partition}]},
    }
    result = dev.graphql(LAUNCH_RUN, {"params": params})["launchRun"]
    if result["__typename"] != "LaunchRunSuccess":
        raise DagsterDevError(f"launchRun of {job_name} failed: {result}")
    return result["run"]["runId"]


def reexecute_run(dev: DagsterDev, run_id: str, strategy: str) -> str:
    params = {"parentRunId": run_id, "strategy": strategy}
    result = dev.graphql(REEXECUTE_RUN, {"params": params})["launchRunReexecution"]
    if result["__typename"] != "LaunchRunSuccess":
        raise DagsterDevError(f"launchRunReexecution of {run_id} failed: {result}")
    return result["run"]["runId"]


def reexecute_backfill(dev: DagsterDev, backfill_id: str, strategy: str) -> str:
    params = {"parentRunId": backfill_id, "strategy": strategy}
    result = dev.graphql(REEXECUTE_BACKFILL, {"params": params})["reexecutePartitionBackfill"]
    if result["__typename"] != "LaunchBackfillSuccess":
        raise DagsterDevError(f"reexecutePartitionBackfill of {backfill_id} failed: {result}")
    return result["backfillId"]


def request_backfill_cancel(dev: DagsterDev, backfill_id: str) -> None:
    """The backfill page's "Cancel backfill": the daemon launches nothing more, and terminates the
    backfill's runs at its next iteration."""
    result = dev.graphql(CANCEL_BACKFILL, {"id": backfill_id})["cancelPartitionBackfill"]
    if result["__typename"] != "CancelBackfillSuccess":
        raise DagsterDevError(f"cancelPartitionBackfill of {backfill_id} failed: {result}")


def terminate_run(dev: DagsterDev, run_id: str) -> None:
    result = dev.graphql(TERMINATE_RUN, {"runId": run_id})["terminateRun"]
    if result["__typename"] == "TerminateRunSuccess":
        return
    if result["__typename"] == "TerminateRunFailure" and result["run"]["status"] in ("CANCELING", "CANCELED"):
        return  # the daemon's cancellation got there first
    raise DagsterDevError(f"terminateRun of {run_id} failed: {result}")


def run_details(dev: DagsterDev, run_id: str) -> dict:
    result = dev.graphql(RUN_QUERY, {"runId": run_id})["runOrError"]
    if result["__typename"] != "Run":
        raise DagsterDevError(f"run {run_id}: {result}")
    return result


def started_steps(events: list[dict]) -> list[str]:
    return [e["stepKey"] for e in events if e["__typename"] == "ExecutionStepStartEvent"]


def materialized(events: list[dict]) -> set[tuple[tuple[str, ...], str | None]]:
    return {(tuple(e["assetKey"]["path"]), e["partition"]) for e in events if e["__typename"] == "MaterializationEvent"}


def step_failures(events: list[dict]) -> dict[str, str]:
    """Step key -> the error message of its failure."""
    return {
        e["stepKey"]: ((e.get("error") or {}).get("message") or e["message"])
        for e in events
        if e["__typename"] == "ExecutionStepFailureEvent"
    }


def summary(events: list[dict]) -> str:
    """Step starts and failures, for an assertion message."""
    lines = []
    for e in events:
        if e["__typename"] in ("ExecutionStepStartEvent", "ExecutionStepFailureEvent", "RunFailureEvent"):
            error = ((e.get("error") or {}).get("message") or "").strip()[:800]
            lines.append(f"  {e['__typename']} {e.get('stepKey') or ''} {error}".rstrip())
    return "\n".join(lines)


def latest_run_ids(dev: DagsterDev, keys: list[tuple[str, ...]], days: list[str]) -> dict[tuple, str | None]:
    """(asset key, day) -> the run of its latest materialization (None: never materialized)."""
    nodes = dev.materializations(keys, days, limit=1)
    return {
        (key, day): latest and latest["runId"]
        for key in keys
        for day, latest in zip(days, nodes[key]["latestMaterializationByPartition"], strict=True)
    }


# --- processes and the DuckDB file ---------------------------------------------------------------


def group_processes(pgid: int) -> dict[int, list[str]]:
    """pid -> argv of the live (not zombie) processes of a process group."""
    processes = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
            argv = (stat.parent / "cmdline").read_bytes().decode(errors="replace").split("\0")
        except OSError:  # the process ended while we looked
            continue
        state, _ppid, pgrp = text[text.rindex(")") + 2 :].split()[:3]
        if int(pgrp) == pgid and state != "Z":
            processes[int(stat.parent.name)] = argv
    return processes


def dbt_builds(dev: DagsterDev) -> dict[int, str]:
    """pid -> command line of the `dbt build` commands this `dagster dev` runs."""
    return {
        pid: " ".join(argv)[:300]
        for pid, argv in group_processes(dev.process.pid).items()
        if any(Path(arg).name == "dbt" for arg in argv[:2]) and "build" in argv
    }


def holders_of(path: Path, pids: Iterable[int] | None = None) -> list[str]:
    """`pid command` of the processes (all, or those of `pids`) that have the file open."""
    fd_dirs = [Path(f"/proc/{pid}/fd") for pid in pids] if pids is not None else Path("/proc").glob("[0-9]*/fd")
    holders = []
    for fd_dir in fd_dirs:
        try:
            if any(os.readlink(fd) == str(path) for fd in fd_dir.iterdir()):
                holders.append(f"{fd_dir.parent.name} {(fd_dir.parent / 'cmdline').read_bytes()[:200]!r}")
        except OSError:  # the process ended, or is not ours to look into
            continue
    return holders


def wait_for_cleanup(dev: DagsterDev, baseline: set[int], path: Path, timeout: float = 60) -> None:
    """Until `dagster dev` is back to the processes of `baseline` (what ran before the run) and no
    process holds `path` open."""
    deadline = time.monotonic() + timeout
    while True:
        extra = {
            pid: " ".join(argv)[:300] for pid, argv in group_processes(dev.process.pid).items() if pid not in baseline
        }
        holders = holders_of(path)
        if not extra and not holders:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{timeout:.0f} s after the cancel, still running: {extra}; {path} held by {holders}")
        time.sleep(1)


# --- the tests -----------------------------------------------------------------------------------


def test_a_run_that_failed_on_a_fault_is_reexecuted_from_failure(dagster_dev):
    dev = dagster_dev
    dev.wait_until_idle()
    spec = TABLES_BY_NAME[FAULT_TABLE]
    bronze_step = f"bronze__{spec.table}"

    # The day lands ("Materialize" on the landing assets for the day).
    landing = [n["assetKey"]["path"] for n in dev.asset_nodes() if n["groupName"] == "landing"]
    landed = dev.wait_for_run(dev.launch_asset_run(landing, FAULT_DAY), timeout=RUN_TIMEOUT)
    assert landed["status"] == "SUCCESS", summary(dev.run_events(landed["runId"]))
    folder = dev.data_dir / "lake" / partition_dir("landing", spec.table, FAULT_DAY, source=spec.source)
    assert sorted(p.suffix for p in folder.iterdir()) == [".jsonl"], f"landed: {list(folder.iterdir())}"

    # The fault: a late second export of the table, cut off mid-upload (landing leaves it alone).
    bad_file = folder / f"{spec.table}_{FAULT_DAY.replace('-', '')}_late.jsonl"
    bad_file.write_text('{"lsn": 900001, "op": "update", "event_ts": "2026-03-10T23:59:00Z"}\n{"lsn": 900002, "op')

    started = time.time()
    parent_id = launch_job_run(dev, DAILY_JOB, FAULT_DAY)
    parent = dev.wait_for_run(parent_id, timeout=RUN_TIMEOUT)
    parent_events = dev.run_events(parent_id)
    print(f"\n{DAILY_JOB} {FAULT_DAY} with the bad file: {parent['status']} in {time.time() - started:.0f} s")
    assert parent["status"] == "FAILURE", summary(parent_events)
    failures = step_failures(parent_events)
    assert list(failures) == [bronze_step], summary(parent_events)
    assert str(bad_file) in failures[bronze_step] and FAULT_DAY in failures[bronze_step], failures[bronze_step]

    # What the run page shows: the steps that succeeded, and the asset partitions still missing.
    details = run_details(dev, parent_id)
    plan = {s["key"] for s in details["executionPlan"]["steps"]}
    succeeded = {s["stepKey"] for s in details["stepStats"] if s["status"] == "SUCCESS"}
    planned = {
        (tuple(e["assetKey"]["path"]), FAULT_DAY)
        for e in parent_events
        if e["__typename"] == "AssetMaterializationPlannedEvent"
    }
    missing = planned - materialized(parent_events)
    to_redo = plan - succeeded
    print(f"  {len(succeeded)} of {len(plan)} steps succeeded; missing: {sorted('/'.join(k) for k, _ in missing)}")
    assert succeeded and bronze_step in to_redo and len(to_redo) > 1, f"succeeded {succeeded}, not {to_redo}"
    assert (("bronze", spec.table), FAULT_DAY) in missing and materialized(parent_events), missing

    # Fix the input, then "Re-execute from failure".
    bad_file.unlink()
    started = time.time()
    child_id = reexecute_run(dev, parent_id, "FROM_FAILURE")
    child = dev.wait_for_run(child_id, timeout=RUN_TIMEOUT)
    child_events = dev.run_events(child_id)
    print(f"  re-executed from failure: {child['status']} in {time.time() - started:.0f} s")
    assert child["status"] == "SUCCESS", summary(child_events)
    details = run_details(dev, child_id)
    tags = {t["key"]: t["value"] for t in details["tags"]}
    assert (details["parentRunId"], details["rootRunId"], details["jobName"]) == (parent_id, parent_id, DAILY_JOB)
    assert tags.get("dagster/partition") == FAULT_DAY, tags

    # Only what failed or never ran is run again; each step once.
    reran = started_steps(child_events)
    assert sorted(reran) == sorted(to_redo), (
        f"re-ran {sorted(reran)}\nexpected {sorted(to_redo)}\nalready succeeded in the parent: {sorted(succeeded)}"
    )
    assert set(details["stepKeysToExecute"] or []) == to_redo

    # The missing partitions are there now, made by the re-execution; the rest are still the parent's.
    assert materialized(child_events) == missing
    keys = sorted({key for key, _ in planned})
    latest = latest_run_ids(dev, keys, [FAULT_DAY])
    expected = {item: child_id if item in missing else parent_id for item in planned}
    assert latest == expected, {f"{'/'.join(k)}@{d}": r for (k, d), r in latest.items() if expected[(k, d)] != r}


def test_a_backfill_is_canceled_and_relaunched(dagster_dev):
    dev = dagster_dev
    dev.wait_until_idle()
    keys = [tuple(k) for k in dev.materializable_asset_keys()]
    target = {(key, day) for key in keys for day in BACKFILL_DAYS}
    baseline = set(group_processes(dev.process.pid))  # webserver, daemon, code server: no run
    started = time.time()
    backfill_id = dev.launch_backfill(keys, BACKFILL_DAYS, title="canceled, then re-executed")

    # Cancel while the run is in its last step: dbt building the warehouse, the DuckDB file open.
    warehouse = dev.data_dir / WAREHOUSE_FILE

    def dbt_writes_the_warehouse() -> dict | None:
        runs = dev.backfill_runs(backfill_id)
        if runs and runs[0]["status"] in ("SUCCESS", "FAILURE", "CANCELED"):
            raise DagsterDevError(f"the backfill's run ended before dbt was seen running: {runs[0]['status']}")
        builds = dbt_builds(dev)
        return runs and runs[0]["status"] == "STARTED" and holders_of(warehouse, builds) and runs[0]

    run = dev.wait_until("the run's `dbt build` to open the warehouse", dbt_writes_the_warehouse, BACKFILL_TIMEOUT, 0.5)
    dbt_pids = set(dbt_builds(dev))
    print(f"\nbackfill {backfill_id}: `dbt build` {sorted(dbt_pids)} writing after {time.time() - started:.0f} s")
    # "Cancel backfill" alone leaves the run to the daemon's next iteration (every 30 s), which can
    # come after the run has finished, so the run's "Terminate" too, as a user who wants it stopped
    # now. (The daemon's termination can also land while dagster-dbt sets dbt up, where dagster-dbt
    # 0.29 swallows the interrupt: the run then succeeds under a canceled backfill.)
    canceling = time.time()
    request_backfill_cancel(dev, backfill_id)
    terminate_run(dev, run["runId"])
    run = dev.wait_for_run(run["runId"], timeout=180)
    backfill = dev.wait_for_backfill(backfill_id, timeout=180)
    print(f"  canceled: run {run['status']}, backfill {backfill['status']} after {time.time() - canceling:.0f} s")
    runs = dev.backfill_runs(backfill_id)
    events = dev.run_events(run["runId"])
    assert backfill["status"] == "CANCELED", backfill
    assert [r["status"] for r in runs] == ["CANCELED"], [(r["runId"], r["status"]) for r in runs]
    assert "RunCanceledEvent" in {e["__typename"] for e in events}, summary(events)
    assert started_steps(events)[-1] == "dbt_models" and list(step_failures(events)) == ["dbt_models"]

    # Nothing of the run is left: no dbt process, nobody holding the DuckDB file, which takes a writer.
    dev.wait_until_idle()
    wait_for_cleanup(dev, baseline, warehouse)
    with duckdb.connect(str(warehouse)) as connection:  # read-write: fails if a lock is left
        connection.execute("select 1").fetchall()

    # The canceled backfill counts what the run reported before the interrupt: the lake (the dbt
    # models only if dbt had finished), every day of each.
    statuses = backfill["assetBackfillData"]["assetBackfillStatuses"]
    done = {tuple(s["assetKey"]["path"]) for s in statuses if s["numPartitionsMaterialized"] == len(BACKFILL_DAYS)}
    kept = materialized(events)
    assert kept == {(key, day) for key in done for day in BACKFILL_DAYS}, sorted(done)
    assert kept and kept < target, f"{len(kept)} of {len(target)} asset partitions materialized before the cancel"

    # "Re-execute from failure": a new backfill of what is missing, which completes.
    relaunched = time.time()
    retry_id = reexecute_backfill(dev, backfill_id, "FROM_FAILURE")
    retry = dev.wait_for_backfill(retry_id, timeout=BACKFILL_TIMEOUT)
    retry_runs = dev.backfill_runs(retry_id)
    print(
        f"  re-executed from failure: backfill {retry_id} {retry['status']} in {time.time() - relaunched:.0f} s, "
        f"{len(retry_runs)} run(s) {dict(Counter(r['status'] for r in retry_runs))}"
    )
    assert retry["status"] in ("COMPLETED", "COMPLETED_SUCCESS"), (retry, retry_runs)
    assert retry_runs and all(r["status"] == "SUCCESS" for r in retry_runs), retry_runs
    tags = dev.graphql(BACKFILL_TAGS_QUERY, {"id": retry_id})["partitionBackfillOrError"]["tags"]
    assert {"key": "dagster/parent_backfill_id", "value": backfill_id} in tags, tags
    retry_target = {
        tuple(s["assetKey"]["path"]): s["numPartitionsTargeted"]
        for s in retry["assetBackfillData"]["assetBackfillStatuses"]
        if s["numPartitionsTargeted"]
    }
    assert retry_target == Counter(key for key, _ in target - kept), "the retry does not target what was missing"
    retried = set().union(*(materialized(dev.run_events(r["runId"])) for r in retry_runs))
    assert retried == target - kept, (
        f"re-materialized: {sorted(retried & kept)}; missed: {sorted(target - kept - retried)}"
    )

    # Every asset partition of the original backfill holds the canceled run's or the retry's output.
    latest = latest_run_ids(dev, keys, BACKFILL_DAYS)
    retry_run_ids = {r["runId"] for r in retry_runs}
    wrong = {
        f"{'/'.join(k)}@{d}": r
        for (k, d), r in latest.items()
        if r not in (retry_run_ids if (k, d) not in kept else {run["runId"]})
    }
    assert not wrong, f"asset partitions not materialized by the backfill or its re-execution: {json.dumps(wrong)}"
