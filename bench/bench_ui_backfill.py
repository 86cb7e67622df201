"""A backfill of every asset through the UI: `dagster dev` on a fresh instance, "Materialize all"
over N days as the webserver's GraphQL API takes it from the UI, timed from launch to completed.

    .venv/bin/python bench/bench_ui_backfill.py [days]      # default 3 days at the default volume

Uses the end-to-end tests' harness (``retail_platform_tests/dagster_dev.py``): the same `dagster
dev` a user gets, stopped with nothing left behind. Prints the backfill's wall time (the server's
creation to end timestamps, and as seen by this client), its status and its runs, as JSON.
"""

import json
import shutil
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
START = date(2026, 3, 2)
TIMEOUT_S = 1800


def measure(days: int = 3) -> dict:
    sys.path[:0] = [str(REPO_ROOT), str(REPO_ROOT / "bench")]
    from retail_platform_tests.dagster_dev import BACKFILL_SUCCEEDED, running_dagster_dev

    partitions = [(START + timedelta(days=i)).isoformat() for i in range(days)]
    with tempfile.TemporaryDirectory(prefix="bench_ui_backfill_") as tmp, running_dagster_dev(Path(tmp)) as dev:
        dev.wait_until_idle()  # whatever automation launched on the empty instance has finished
        keys = dev.materializable_asset_keys()
        began = time.time()
        backfill_id = dev.launch_backfill(keys, partitions, title=f"bench: every asset, {days} days")
        backfill = dev.wait_for_backfill(backfill_id, timeout=TIMEOUT_S, interval=1.0)
        seen = time.time() - began
        runs = dev.backfill_runs(backfill_id)
        if backfill["status"] not in BACKFILL_SUCCEEDED or any(r["status"] != "SUCCESS" for r in runs):
            statuses = [r["status"] for r in runs]
            raise RuntimeError(f"backfill {backfill_id} ended {backfill['status']}, runs {statuses}")
        server = (backfill["endTimestamp"] or 0) - (backfill["timestamp"] or 0)
    # dagster-dbt's per-invocation target folders of these runs: their instance is gone with tmp
    from bench_run import dbt_target_root

    for run in runs:
        for target in dbt_target_root().glob(f"*{run['runId'][:7]}-*"):
            shutil.rmtree(target, ignore_errors=True)
    return {
        "days": days,
        "assets": len(keys),
        "wall_s": round(server if server > 0 else seen, 1),
        "client_wall_s": round(seen, 1),
        "runs": len(runs),
        "status": backfill["status"],
    }


if __name__ == "__main__":
    print(json.dumps(measure(int(sys.argv[1]) if len(sys.argv) > 1 else 3), indent=2))
