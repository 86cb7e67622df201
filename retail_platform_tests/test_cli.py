"""The README's main command, end to end: `python -m retail_platform run` through Dagster."""

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import polars as pl

START, END = "2026-11-02", "2026-11-04"


def run_cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    env["RETAIL_DATA_DIR"] = str(data_dir)
    return subprocess.run([sys.executable, "-m", "retail_platform", "run", *args], check=False, capture_output=True, text=True,
                          env=env, timeout=600)


def lake_files(data_dir: Path) -> dict[str, bytes]:
    return {str(p.relative_to(data_dir)): p.read_bytes() for p in (data_dir / "lake").rglob("*") if p.is_file()}


def test_run_materializes_the_range_records_runs_and_is_repeatable(tmp_path):
    done = run_cli(tmp_path, "--start", START, "--end", END, "--volume", "200")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "pos_transaction_lines" in done.stdout and "gold/sales" in done.stdout

    first = lake_files(tmp_path)
    for day in ("2026-11-02", "2026-11-03", "2026-11-04"):
        assert f"lake/gold/sales/dt={day}/part-0.parquet" in first
        assert f"lake/silver/_quarantine/customers/dt={day}/part-0.parquet" in first
    assert pl.read_parquet(tmp_path / "lake/gold/order_lifecycle/dt=2026-11-04/part-0.parquet").height > 0

    # The runs are in the Dagster instance the UI reads, one per day, tagged with the partition.
    os.environ["DAGSTER_HOME"] = str(tmp_path / "dagster_home")
    try:
        with dg.DagsterInstance.get() as instance:
            runs = instance.get_runs()
            assert sorted(r.tags["dagster/partition"] for r in runs) == ["2026-11-02", "2026-11-03", "2026-11-04"]
            assert {r.status for r in runs} == {dg.DagsterRunStatus.SUCCESS}
    finally:
        del os.environ["DAGSTER_HOME"]

    again = run_cli(tmp_path, "--start", START, "--end", END, "--volume", "200")
    assert again.returncode == 0, again.stdout + again.stderr
    assert lake_files(tmp_path) == first


def test_run_rejects_a_reversed_range(tmp_path):
    done = run_cli(tmp_path, "--start", END, "--end", START)
    assert done.returncode == 2
    assert f"--end {START} is before --start {END}" in done.stderr
