"""The headless path end to end: ``python -m retail_platform run`` over N days into a fresh data dir.

    .venv/bin/python bench/bench_run.py [days] [volume]     # default 30 days at the default volume

Prints the wall time of the command (process start to exit, definitions load included), the
Dagster runs it made and each run's duration, as JSON. Target on the reference machine (2 cores):
30 days at the default volume in <= 90 s and <= 3 runs. Targets live here, never in tests.
"""

import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta

TARGET_SECONDS, TARGET_RUNS = 90, 3


def main(days: int = 30, volume: int | None = None) -> dict:
    start = date(2026, 3, 1)
    end = start + timedelta(days=days - 1)
    with tempfile.TemporaryDirectory(prefix="bench_run_") as data_dir:
        env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
        env["RETAIL_DATA_DIR"] = data_dir
        args = [sys.executable, "-m", "retail_platform", "run", "--start", str(start), "--end", str(end)]
        if volume:
            args += ["--volume", str(volume)]
        began = time.perf_counter()
        done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - began
        if done.returncode != 0:
            sys.exit(done.stdout + done.stderr)
        os.environ["DAGSTER_HOME"] = os.path.join(data_dir, "dagster_home")
        import dagster as dg

        with dg.DagsterInstance.get() as instance:
            runs = []
            for run in instance.get_runs():
                stats = instance.get_run_stats(run.run_id)
                runs.append({"job": run.job_name, "seconds": round(stats.end_time - stats.start_time, 1)})
    report = {
        "days": days,
        "volume": volume or "default",
        "wall_seconds": round(wall, 1),
        "runs": sorted(runs, key=lambda r: r["job"]),
        "target": f"<= {TARGET_SECONDS} s and <= {TARGET_RUNS} runs",
        "met": wall <= TARGET_SECONDS and len(runs) <= TARGET_RUNS,
    }
    print(json.dumps(report, indent=2))
    return report


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
