"""`dagster dev` on loopback for end-to-end tests: started in its own process group on a fresh
instance and data folder, driven through the webserver's GraphQL API the way the UI's buttons
drive it, and stopped with nothing left behind.

`dagster dev -w workspace.yaml` rather than `dg dev`: `dg dev` resolves the project's environment
and wraps `dagster dev` in one more process, and would load the location from `[tool.dg]` instead
of the workspace file; the test wants exactly the webserver and daemon a user gets, on a port it
chooses.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import requests

REPO_ROOT = Path(__file__).resolve().parents[1]
INSTANCE_YAML = REPO_ROOT / "retail_platform" / "instance" / "local.yaml"
LOCATION = "retail_platform"
# The job every asset belongs to; the UI's "Materialize" button launches its asset subsets.
ASSET_JOB = "__ASSET_JOB"

BACKFILL_DONE = {"COMPLETED", "COMPLETED_SUCCESS", "COMPLETED_FAILED", "FAILED", "CANCELED"}
BACKFILL_SUCCEEDED = {"COMPLETED", "COMPLETED_SUCCESS"}
RUN_DONE = {"SUCCESS", "FAILURE", "CANCELED"}
# Whatever the environment says, the platform under test is the local deployment.
DEPLOYMENT_ENV = ("RETAIL_DEPLOYMENT", "DAGSTER_CLOUD_DEPLOYMENT_NAME", "DAGSTER_CLOUD_IS_BRANCH_DEPLOYMENT")

AssetKey = Sequence[str]


class DagsterDevError(RuntimeError):
    """`dagster dev` did not start, or the GraphQL API answered with an error."""


def free_port() -> int:
    with contextlib.closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_is_free(port: int) -> bool:
    """Nothing listens on the port (TIME_WAIT leftovers of closed connections do not count)."""
    with contextlib.closing(socket.socket()) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def live_group_members(pgid: int) -> list[str]:
    """`pid comm` of every live (not zombie) process of a process group, from /proc."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # the process ended while we looked
            continue
        # "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses
        comm = text[text.index("(") + 1 : text.rindex(")")]
        state, _ppid, pgrp = text[text.rindex(")") + 2 :].split()[:3]
        if int(pgrp) == pgid and state != "Z":
            members.append(f"{stat.parent.name} {comm}")
    return members


def child_env(home: Path, data_dir: Path, url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in DEPLOYMENT_ENV}
    env.update(
        DAGSTER_HOME=str(home),
        RETAIL_DATA_DIR=str(data_dir),
        DAGSTER_WEBSERVER_URL=url,
        PYTHONUNBUFFERED="1",
        # dbt and dagster from this environment first, as `make dev` has them
        PATH=os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]),
    )
    return env


ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")


def _tail(path: Path, lines: int = 60) -> str:
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        return "(no log yet)"
    return ANSI_ESCAPE.sub("", "\n".join(text.splitlines()[-lines:]))


def _key(path: AssetKey) -> dict:
    return {"path": list(path)}


LOCATIONS_QUERY = """
query Locations {
  workspaceOrError {
    __typename
    ... on Workspace {
      locationEntries {
        name
        loadStatus
        locationOrLoadError {
          __typename
          ... on RepositoryLocation { name repositories { name } }
          ... on PythonError { message stack }
        }
      }
    }
    ... on PythonError { message }
  }
}
"""

ASSET_NODES_QUERY = """
query AssetNodes {
  assetNodes {
    assetKey { path }
    groupName
    isPartitioned
    isExecutable
    isMaterializable
    isObservable
    hasMaterializePermission
    assetChecksOrError {
      __typename
      ... on AssetChecks { checks { name blocking } }
    }
  }
}
"""

LAUNCH_BACKFILL = """
mutation LaunchBackfill($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId launchedRunIds }
    ... on PythonError { message stack }
    ... on Error { message }
  }
}
"""

BACKFILL_QUERY = """
query Backfill($id: String!) {
  partitionBackfillOrError(backfillId: $id) {
    __typename
    ... on PartitionBackfill {
      id
      status
      timestamp
      endTimestamp
      numPartitions
      error { message stack }
      assetBackfillData {
        assetBackfillStatuses {
          __typename
          ... on AssetPartitionsStatusCounts {
            assetKey { path }
            numPartitionsTargeted
            numPartitionsInProgress
            numPartitionsMaterialized
            numPartitionsFailed
          }
          ... on UnpartitionedAssetStatus { assetKey { path } inProgress materialized failed }
        }
      }
    }
    ... on PythonError { message stack }
    ... on Error { message }
  }
}
"""

CANCEL_BACKFILL = """
mutation CancelBackfill($id: String!) {
  cancelPartitionBackfill(backfillId: $id) {
    __typename
    ... on PythonError { message stack }
    ... on Error { message }
  }
}
"""

RUNS_QUERY = """
query Runs($filter: RunsFilter) {
  runsOrError(filter: $filter) {
    __typename
    ... on Runs {
      results {
        runId
        status
        jobName
        creationTime
        startTime
        endTime
        tags { key value }
        assetSelection { path }
      }
    }
    ... on PythonError { message stack }
    ... on Error { message }
  }
}
"""

LAUNCH_RUN = """
mutation LaunchRun($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId status } }
    ... on RunConfigValidationInvalid { errors { message } }
    ... on PythonError { message stack }
    ... on Error { message }
  }
}
"""

RUN_EVENTS_QUERY = """
query RunEvents($runId: ID!, $cursor: String) {
  logsForRun(runId: $runId, afterCursor: $cursor, limit: 1000) {
    __typename
    ... on EventConnection {
      cursor
      hasMore
      events {
        __typename
        ... on MessageEvent { stepKey message }
        ... on MaterializationEvent { assetKey { path } partition timestamp }
        ... on AssetMaterializationPlannedEvent { assetKey { path } }
        ... on AssetCheckEvaluationEvent {
          evaluation { checkName assetKey { path } severity success partition }
        }
        ... on ExecutionStepFailureEvent { error { message } }
      }
    }
    ... on PythonError { message stack }
    ... on Error { message }
  }
}
"""

MATERIALIZATIONS_QUERY = """
query Materializations($keys: [AssetKeyInput!], $partitions: [String!], $limit: Int) {
  assetNodes(assetKeys: $keys) {
    assetKey { path }
    isPartitioned
    latestMaterializationByPartition(partitions: $partitions) { partition runId timestamp }
    assetMaterializations(limit: $limit) { partition runId timestamp }
  }
}
"""

SENSOR_TICKS_QUERY = """
query SensorTicks($selector: SensorSelector!) {
  sensorOrError(sensorSelector: $selector) {
    __typename
    ... on Sensor {
      sensorState {
        status
        ticks(limit: 50) { status timestamp runIds skipReason error { message } }
      }
    }
    ... on PythonError { message stack }
    ... on Error { message }
  }
}
"""


@dataclass
class DagsterDev:
    """A running `dagster dev` and the UI's actions on it, as GraphQL calls."""

    url: str
    port: int
    home: Path
    data_dir: Path
    log_path: Path
    process: subprocess.Popen
    repository: str = "__repository__"
    loaded_at: float = 0.0  # epoch seconds when the code location was seen loaded

    # --- plumbing ---------------------------------------------------------------------------

    def graphql(self, query: str, variables: dict | None = None, timeout: float = 60) -> dict:
        """The query's `data`; raises with the GraphQL errors (or the HTTP failure) if any."""
        response = requests.post(
            f"{self.url}/graphql", json={"query": query, "variables": variables or {}}, timeout=timeout
        )
        try:
            body = response.json()
        except ValueError:
            raise DagsterDevError(f"GraphQL HTTP {response.status_code}: {response.text[:2000]}") from None
        if body.get("errors"):
            messages = "\n".join(e.get("message", str(e)) for e in body["errors"])
            raise DagsterDevError(f"GraphQL errors:\n{messages}")
        if response.status_code != 200:
            raise DagsterDevError(f"GraphQL HTTP {response.status_code}: {response.text[:2000]}")
        return body["data"]

    def log_tail(self, lines: int = 60) -> str:
        return _tail(self.log_path, lines)

    def wait_until(self, what: str, probe: Callable[[], object], timeout: float, interval: float = 2.0):
        """`probe()`'s first truthy value; a timeout names `what` and shows the log tail."""
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise DagsterDevError(
                    f"dagster dev exited with code {self.process.returncode} while waiting for {what}.\n"
                    f"--- {self.log_path} (tail) ---\n{self.log_tail()}"
                )
            value = probe()
            if value:
                return value
            if time.monotonic() > deadline:
                raise DagsterDevError(
                    f"timed out after {timeout:.0f} s waiting for {what}.\n"
                    f"--- {self.log_path} (tail) ---\n{self.log_tail()}"
                )
            time.sleep(interval)

    # --- the code location ------------------------------------------------------------------

    def location_entry(self) -> dict | None:
        try:
            data = self.graphql(LOCATIONS_QUERY, timeout=10)
        except (requests.ConnectionError, requests.Timeout):
            return None  # the webserver is not listening yet
        workspace = data["workspaceOrError"]
        if workspace["__typename"] != "Workspace":
            raise DagsterDevError(f"workspace error: {workspace}")
        return next((e for e in workspace["locationEntries"] if e["name"] == LOCATION), None)

    def wait_for_location(self, timeout: float = 300) -> dict:
        """The loaded `RepositoryLocation`; a load error fails at once with its Python error."""

        def loaded():
            entry = self.location_entry()
            if not entry or entry["loadStatus"] != "LOADED":
                return None
            location = entry["locationOrLoadError"]
            if location is None or location["__typename"] != "RepositoryLocation":
                raise DagsterDevError(
                    f"code location {LOCATION!r} failed to load: {location}\n"
                    f"--- {self.log_path} (tail) ---\n{self.log_tail()}"
                )
            return location

        location = self.wait_until(f"code location {LOCATION!r} to load", loaded, timeout)
        self.repository = location["repositories"][0]["name"]
        self.loaded_at = time.time()
        return location

    def asset_nodes(self) -> list[dict]:
        return self.graphql(ASSET_NODES_QUERY)["assetNodes"]

    def materializable_asset_keys(self) -> list[list[str]]:
        """What the UI's "Materialize all" selects: every asset it can materialize (not the
        observable source assets, not external assets)."""
        return [
            n["assetKey"]["path"]
            for n in self.asset_nodes()
            if n["isExecutable"] and n["isMaterializable"] and not n["isObservable"]
        ]

    def asset_checks(self, asset_key: AssetKey) -> list[dict]:
        node = next(n for n in self.asset_nodes() if n["assetKey"]["path"] == list(asset_key))
        checks = node["assetChecksOrError"]
        return checks["checks"] if checks["__typename"] == "AssetChecks" else []

    # --- backfills (the "Materialize all" / "Launch backfill" dialog) ------------------------

    def launch_backfill(self, asset_keys: Sequence[AssetKey], partition_names: Sequence[str], title: str = "") -> str:
        """The asset graph's "Materialize" → partition range → "Launch backfill"."""
        return self._launch_backfill({"assetSelection": [_key(k) for k in asset_keys]}, partition_names, title)

    def launch_job_backfill(self, job_name: str, partition_names: Sequence[str]) -> str:
        """A job's Partitions tab → "Launch backfill" (the job's partition set)."""
        selector = {
            "partitionSetName": f"{job_name}_partition_set",
            "repositorySelector": {"repositoryName": "__repository__", "repositoryLocationName": LOCATION},
        }
        return self._launch_backfill({"selector": selector}, partition_names)

    def _launch_backfill(self, selection: dict, partition_names: Sequence[str], title: str = "") -> str:
        params = {**selection, "partitionNames": list(partition_names), "fromFailure": False, "tags": []}
        if title:
            params["title"] = title
        result = self.graphql(LAUNCH_BACKFILL, {"params": params})["launchPartitionBackfill"]
        if result["__typename"] != "LaunchBackfillSuccess":
            raise DagsterDevError(f"launchPartitionBackfill failed: {result}")
        return result["backfillId"]

    def backfill(self, backfill_id: str) -> dict:
        result = self.graphql(BACKFILL_QUERY, {"id": backfill_id})["partitionBackfillOrError"]
        if result["__typename"] != "PartitionBackfill":
            raise DagsterDevError(f"backfill {backfill_id}: {result}")
        return result

    def wait_for_backfill(self, backfill_id: str, timeout: float = 600, interval: float = 3.0) -> dict:
        """The backfill once its status is terminal (done, failed or canceled)."""

        def done():
            backfill = self.backfill(backfill_id)
            return backfill if backfill["status"] in BACKFILL_DONE else None

        return self.wait_until(f"backfill {backfill_id} to finish", done, timeout, interval)

    def cancel_backfill(self, backfill_id: str, timeout: float = 120) -> dict:
        """The UI's "Cancel backfill": no new runs, the running ones terminated; returns the
        backfill once canceled (or otherwise finished)."""
        result = self.graphql(CANCEL_BACKFILL, {"id": backfill_id})["cancelPartitionBackfill"]
        if result["__typename"] != "CancelBackfillSuccess":
            raise DagsterDevError(f"cancelPartitionBackfill failed: {result}")
        return self.wait_for_backfill(backfill_id, timeout)

    # --- runs -----------------------------------------------------------------------------

    def runs(self, filter: dict | None = None) -> list[dict]:
        result = self.graphql(RUNS_QUERY, {"filter": filter} if filter else {})["runsOrError"]
        if result["__typename"] != "Runs":
            raise DagsterDevError(f"runsOrError: {result}")
        return result["results"]

    def all_runs(self) -> list[dict]:
        return self.runs()

    def backfill_runs(self, backfill_id: str) -> list[dict]:
        return self.runs({"tags": [{"key": "dagster/backfill", "value": backfill_id}]})

    def active_runs(self) -> list[dict]:
        return [r for r in self.all_runs() if r["status"] not in RUN_DONE]

    def wait_until_idle(self, timeout: float = 300, interval: float = 2.0) -> None:
        """Until no run is queued or in progress (e.g. before opening the single-writer DuckDB)."""
        self.wait_until("every run to finish", lambda: not self.active_runs(), timeout, interval)

    def launch_asset_run(
        self, asset_keys: Sequence[AssetKey], partition: str | None = None, with_checks: bool = True
    ) -> str:
        """The UI's "Materialize" button: the implicit asset job on the selected assets (and their
        checks), one partition tagged."""
        check_selection = [{"assetKey": _key(k), "name": c["name"]} for k in asset_keys for c in self.asset_checks(k)]
        params = {
            "selector": {
                "repositoryLocationName": LOCATION,
                "repositoryName": self.repository,
                "pipelineName": ASSET_JOB,
                "assetSelection": [_key(k) for k in asset_keys],
                "assetCheckSelection": check_selection if with_checks else [],
            },
            "mode": "default",
            "runConfigData": {},
            "executionMetadata": {"tags": [{"key": "dagster/partition", "value": partition}] if partition else []},
        }
        result = self.graphql(LAUNCH_RUN, {"params": params})["launchRun"]
        if result["__typename"] != "LaunchRunSuccess":
            raise DagsterDevError(f"launchRun failed: {result}")
        return result["run"]["runId"]

    def wait_for_run(self, run_id: str, timeout: float = 300, interval: float = 2.0) -> dict:
        def done():
            runs = self.runs({"runIds": [run_id]})
            return runs[0] if runs and runs[0]["status"] in RUN_DONE else None

        return self.wait_until(f"run {run_id} to finish", done, timeout, interval)

    def run_events(self, run_id: str) -> list[dict]:
        """Every event of the run, in order (`__typename` tells which), with its step and message
        and, by kind, the materialized asset partition, the check evaluation, the failure."""
        events, cursor = [], None
        while True:
            result = self.graphql(RUN_EVENTS_QUERY, {"runId": run_id, "cursor": cursor})["logsForRun"]
            if result["__typename"] != "EventConnection":
                raise DagsterDevError(f"logsForRun {run_id}: {result}")
            events += result["events"]
            cursor = result["cursor"]
            if not result["hasMore"]:
                return events

    # --- assets ---------------------------------------------------------------------------

    def materializations(
        self, asset_keys: Sequence[AssetKey], partitions: Sequence[str] = (), limit: int = 20
    ) -> dict[tuple[str, ...], dict]:
        """Per asset: `latestMaterializationByPartition` for `partitions` (partitioned assets)
        and its latest `limit` materializations, newest first."""
        nodes = self.graphql(
            MATERIALIZATIONS_QUERY,
            {"keys": [_key(k) for k in asset_keys], "partitions": list(partitions), "limit": limit},
        )["assetNodes"]
        return {tuple(n["assetKey"]["path"]): n for n in nodes}

    def sensor_ticks(self, sensor_name: str) -> dict:
        selector = {"repositoryName": self.repository, "repositoryLocationName": LOCATION, "sensorName": sensor_name}
        result = self.graphql(SENSOR_TICKS_QUERY, {"selector": selector})["sensorOrError"]
        if result["__typename"] != "Sensor":
            raise DagsterDevError(f"sensor {sensor_name}: {result}")
        return result["sensorState"]


def stop_process_group(process: subprocess.Popen, grace: float = 20.0) -> list[str]:
    """SIGTERM to the whole group (as Ctrl-C reaches a terminal's foreground group), SIGKILL what
    is still alive after `grace` seconds. Returns what had to be killed."""
    pgid = process.pid  # start_new_session: the leader's pid is the group id
    killed: list[str] = []
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        process.poll()  # reap the leader as soon as it exits
        if not live_group_members(pgid):
            break
        time.sleep(0.2)
    else:
        killed = live_group_members(pgid)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while live_group_members(pgid) and time.monotonic() < deadline:
            process.poll()
            time.sleep(0.2)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=10)
    return killed


def dagster_dev_command(port: int) -> list[str]:
    dagster = str(Path(sys.executable).parent / "dagster")
    return [dagster, "dev", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)]


@contextlib.contextmanager
def running_dagster_dev(
    tmp_dir: Path,
    load_timeout: float = 300,
    stop_grace: float = 20.0,
    command: Callable[[int], list[str]] | None = None,
) -> Iterator[DagsterDev]:
    """`dagster dev` (webserver + daemon) from the repository root, on a free loopback port, with
    a fresh `DAGSTER_HOME` and `RETAIL_DATA_DIR` under `tmp_dir`; yields once the code location
    is loaded. On exit, also when the body raises, the whole process group is stopped, and
    nothing of it may be left running nor listening on the port.

    `command(port)` replaces the `dagster dev` command line (to test the harness itself); the
    location is then not waited for."""
    tmp_dir = Path(tmp_dir)
    home, data_dir = tmp_dir / "dagster_home", tmp_dir / "data"
    home.mkdir(parents=True, exist_ok=True)
    data_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(INSTANCE_YAML, home / "dagster.yaml")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = tmp_dir / "dagster_dev.log"
    argv = (command or dagster_dev_command)(port)
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            argv,
            cwd=REPO_ROOT,
            env=child_env(home, data_dir, url),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    dev = DagsterDev(url=url, port=port, home=home, data_dir=data_dir, log_path=log_path, process=process)
    try:
        if command is None:
            dev.wait_for_location(load_timeout)
        yield dev
    finally:
        killed = stop_process_group(process, stop_grace)
        left = live_group_members(process.pid)
        assert not left, f"dagster dev left processes behind after SIGKILL: {left}"
        assert port_is_free(port), f"port {port} is still in use after dagster dev stopped"
        if killed:
            print(f"dagster dev: SIGKILL needed for {killed}\n--- log tail ---\n{dev.log_tail(30)}")
