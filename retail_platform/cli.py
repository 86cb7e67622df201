"""Headless entry point: ``python -m retail_platform run --start D1 --end D2``.

Runs go through Dagster's own execution against the instance in ``DAGSTER_HOME`` (default
``$RETAIL_DATA_DIR/dagster_home``), so they appear in the UI afterwards like any other run.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

# The instance config shipped with the platform (automation sensor on, telemetry off).
DAGSTER_YAML = Path(__file__).with_name("instance") / "local.yaml"


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date like 2026-11-01") from None


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m retail_platform", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="materialize every asset for a date range: one lake run and one dbt run")
    yesterday = datetime.now(UTC).date() - timedelta(days=1)  # partitions are UTC days
    run.add_argument(
        "--start", type=_day, default=yesterday - timedelta(days=6), help="first day (default: 7 days ago)"
    )
    run.add_argument("--end", type=_day, default=yesterday, help="last day, inclusive (default: yesterday)")
    run.add_argument("--seed", type=int, help="source simulator seed (default RETAIL_SEED or 7)")
    run.add_argument("--volume", type=int, help="source simulator volume (default RETAIL_VOLUME or 1000)")
    run.add_argument("--log-level", default="ERROR", help="Dagster console log level (default ERROR)")
    provision = commands.add_parser(
        "provision", help="create the Snowflake objects and the S3 bucket of a cloud deployment (idempotent)"
    )
    provision.add_argument("--deployment", default=None, help="dev, qa or prod (default: RETAIL_DEPLOYMENT)")
    provision.add_argument(
        "--only",
        nargs="*",
        choices=["warehouse", "database", "schema", "role", "grant", "integration", "stage"],
        help="only these kinds of statements",
    )
    return parser.parse_args(argv)


def ensure_dagster_home() -> str:
    from retail_platform.deployments import data_dir

    home = os.environ.get("DAGSTER_HOME") or str(data_dir() / "dagster_home")
    os.makedirs(home, exist_ok=True)
    config = os.path.join(home, "dagster.yaml")
    if not os.path.exists(config):
        shutil.copyfile(DAGSTER_YAML, config)
    os.environ["DAGSTER_HOME"] = home
    return home


def daily_job():
    """The daily lake job, reconstructable in the run's process."""
    from retail_platform.definitions import defs
    from retail_platform.layers import DAILY_JOB

    return defs.resolve_job_def(DAILY_JOB)


def dbt_job():
    from retail_platform.definitions import defs
    from retail_platform.layers import DBT_JOB

    return defs.resolve_job_def(DBT_JOB)


def run_range(
    start: date, end: date, *, seed: int | None = None, volume: int | None = None, log_level: str = "ERROR"
) -> int:
    import dagster as dg

    from retail_platform import definitions
    from retail_platform.partitions import RANGE_END_TAG, RANGE_START_TAG, daily_partitions
    from retail_platform.summary import lake_summary

    if end < start:
        print(f"error: --end {end} is before --start {start}", file=sys.stderr)
        return 2
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    valid = set(daily_partitions.get_partition_keys())
    outside = [d.isoformat() for d in days if d.isoformat() not in valid]
    if outside:
        print(
            f"error: {outside[0]} is outside the daily partitions ({daily_partitions.start:%Y-%m-%d} .. yesterday)",
            file=sys.stderr,
        )
        return 2

    home = ensure_dagster_home()
    sources = {k: v for k, v in {"seed": seed, "volume": volume}.items() if v is not None}
    run_config: dict = {"loggers": {"console": {"config": {"log_level": log_level.upper()}}}}
    if sources:
        run_config["resources"] = {"sources": {"config": sources}}
    # The whole range in each run: every daily asset walks the days in order inside its step.
    tags = {
        RANGE_START_TAG: days[0].isoformat(),
        RANGE_END_TAG: days[-1].isoformat(),
        "retail/launched_by": "cli",
    }
    print(f"retail_platform: {len(days)} day(s) {start} .. {end}; Dagster home {home}")
    began = time.monotonic()
    dbt_log = os.path.join(home, "dbt-cli.log")
    with dg.DagsterInstance.get() as instance:
        for name, job in (("lake", daily_job), ("dbt", dbt_job)):
            t0 = time.monotonic()
            # dbt's own console output goes to a file; the run's events stay in the Dagster instance.
            with open(dbt_log, "a") as log, contextlib.redirect_stdout(log):
                result = dg.execute_job(dg.reconstructable(job), instance=instance, run_config=run_config, tags=tags)
            status = "ok" if result.success else "FAILED"
            print(f"  {name:<5}{days[0]}..{days[-1]}  run {result.run_id[:8]}  {status}  {time.monotonic() - t0:5.1f}s")
            if not result.success:
                _print_failures(result)
                return 1
    print(f"done in {time.monotonic() - began:.1f}s: 2 Dagster runs (dbt output: {dbt_log})\n")
    print(lake_summary(definitions.defs.resources["lake"], days))
    return 0


def _print_failures(result) -> None:
    for event in result.all_events:
        if event.is_step_failure:
            print(f"    step {event.step_key} failed: {event.step_failure_data.error.message.strip()}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.command == "provision":
        from retail_platform.deployments import current_deployment
        from retail_platform.provisioning import provision

        deployment = args.deployment or current_deployment()
        result = provision(deployment, os.environ, set(args.only) if args.only else None)
        print(
            f"provisioned {deployment}: bucket {result['bucket']} "
            f"({'created' if result['bucket_created'] else 'exists'}), {result['statements']} idempotent statements"
        )
        return 0
    if args.command == "run":
        return run_range(args.start, args.end, seed=args.seed, volume=args.volume, log_level=args.log_level)
    return 2
