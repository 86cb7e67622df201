"""Headless entry point: ``python -m retail_platform run --start D1 --end D2``.

Runs go through Dagster's own execution against the instance in ``DAGSTER_HOME`` (default
``$RETAIL_DATA_DIR/dagster_home``), so they appear in the UI afterwards like any other run.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

# The instance config shipped with the platform (automation sensor on, telemetry off).
DAGSTER_YAML = Path(__file__).with_name("instance") / "local.yaml"


def _day(value: str) -> date:
    # Strictly YYYY-MM-DD: fromisoformat alone also takes 20261101 and 2026-W44-7.
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            return date.fromisoformat(value)
    except ValueError:
        pass
    raise argparse.ArgumentTypeError(f"{value!r} is not a date like 2026-11-01 (YYYY-MM-DD, a real day)")


def _count(minimum: int):
    def parse(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            number = minimum - 1
        if number < minimum:
            raise argparse.ArgumentTypeError(f"{value!r} is not a whole number >= {minimum}")
        return number

    return parse


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# The deployments that have something to provision (local needs no account, a branch clones prod).
PROVISIONED = ("dev", "qa", "prod")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m retail_platform", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="materialize every asset for a date range: one lake run and one dbt run")
    yesterday = datetime.now(UTC).date() - timedelta(days=1)  # partitions are UTC days
    run.add_argument(
        "--start", type=_day, default=yesterday - timedelta(days=6), help="first day (default: 7 days ago)"
    )
    run.add_argument("--end", type=_day, default=yesterday, help="last day, inclusive (default: yesterday)")
    run.add_argument("--seed", type=_count(0), help="source simulator seed (default RETAIL_SEED or 7)")
    run.add_argument("--volume", type=_count(1), help="source simulator volume (default RETAIL_VOLUME or 1000)")
    run.add_argument(
        "--log-level",
        default="ERROR",
        type=str.upper,
        choices=LOG_LEVELS,
        help="Dagster console log level (default ERROR)",
    )
    provision = commands.add_parser(
        "provision", help="create the Snowflake objects and the S3 bucket of a cloud deployment (idempotent)"
    )
    provision.add_argument(
        "--deployment", default=None, choices=PROVISIONED, help="dev, qa or prod (default: RETAIL_DEPLOYMENT)"
    )
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
        # Whole or not at all: another CLI process starting now may read it.
        partial = f"{config}.{os.getpid()}.tmp"
        shutil.copyfile(DAGSTER_YAML, partial)
        os.replace(partial, config)
    os.environ["DAGSTER_HOME"] = home
    return home


def open_instance(home: str):
    """The Dagster instance in ``home``, created under a lock: two processes opening a new SQLite
    instance at once both create its tables, and one fails ("table already exists") or both stamp
    the schema version, after which nothing can open it again ("more than one head present")."""
    import fcntl

    import dagster as dg

    with open(Path(home) / ".instance.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        return dg.DagsterInstance.get()


# A run the CLI starts stays STARTED in the instance until its process reports the end. A process
# killed (SIGKILL, out of memory, a reboot) never does: its run stays STARTED for ever and keeps
# its slot in the `warehouse` pool, so every later run's warehouse step would wait for that slot
# for ever. While it runs, each CLI process holds an OS lock on a file its runs name in a tag; the
# OS drops the lock when the process dies, so a run whose lock can be taken has no process left.
CLI_LOCK_TAG = "retail/cli_lock"
CLI_LOCKS = "cli_locks"


@contextlib.contextmanager
def cli_process_lock(home: str):
    """Hold this process's lock for the block; yields the lock's name (for the runs' tags)."""
    import fcntl
    import uuid

    folder = Path(home) / CLI_LOCKS
    folder.mkdir(exist_ok=True)
    path = folder / f"pid{os.getpid()}-{uuid.uuid4().hex[:12]}.lock"
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield path.name
        finally:
            path.unlink(missing_ok=True)


def release_dead_cli_runs(instance, home: str) -> list[str]:
    """Mark FAILED every run a CLI process left unfinished when it died, and free its pool slots.
    Runs of live CLI processes (another run going on) and runs started elsewhere are left alone.
    Returns one line per released run, for the user."""
    import fcntl

    import dagster as dg

    unfinished = [
        dg.DagsterRunStatus.NOT_STARTED,
        dg.DagsterRunStatus.STARTING,
        dg.DagsterRunStatus.STARTED,
        dg.DagsterRunStatus.CANCELING,
    ]
    released = []
    for run in instance.get_runs(filters=dg.RunsFilter(statuses=unfinished, tags={"retail/launched_by": "cli"})):
        name = run.tags.get(CLI_LOCK_TAG)
        if not name:
            continue  # no lock to ask: cannot tell whether its process lives
        path = Path(home) / CLI_LOCKS / name
        if path.exists():
            with open(path, "a") as handle:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue  # its process is alive
        current = instance.get_run_by_id(run.run_id)
        if current is None or current.status not in unfinished:
            continue  # it ended after all
        pid = name.split("-")[0].removeprefix("pid")
        instance.report_run_failed(
            current,
            message=f"The CLI process that ran this run (pid {pid}) ended before the run did: killed or "
            "crashed. Marked failed by a later `python -m retail_platform run`; rerun the range to redo it.",
        )
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        path.unlink(missing_ok=True)
        released.append(
            f"note: run {run.run_id[:8]} ({run.job_name}) was left {current.status.value} by a CLI process that "
            f"is gone (pid {pid}: killed or crashed); marked FAILED and its warehouse slot freed."
        )
    return released


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
    with open_instance(home) as instance, cli_process_lock(home) as lock:
        for note in release_dead_cli_runs(instance, home):
            print(note)
        tags[CLI_LOCK_TAG] = lock
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
            print(
                f"    step {event.step_key} failed: {failure_message(event.step_failure_data.error)}", file=sys.stderr
            )


# Dagster's own wrappers around a step's exception: their causes say why the step failed.
STEP_ERROR_WRAPPERS = (
    "DagsterExecutionStepExecutionError",
    "RetryRequested",
    "RetryRequestedFromPolicy",
    "DagsterMaxRetriesExceededError",
)


def failure_message(error) -> str:
    """What went wrong in a step: the step's own exception, not Dagster's wrapper around it ("Error
    occurred while executing op ...", "Exceeded max_retries of 3"), which is said after it."""
    wrapper = error.message.strip() if error.message.startswith("Exceeded max_retries") else ""
    while error.cause is not None and error.cls_name in STEP_ERROR_WRAPPERS:
        error = error.cause
    message = error.message.strip()
    return f"{message} ({wrapper[0].lower()}{wrapper[1:]})" if wrapper else message


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
