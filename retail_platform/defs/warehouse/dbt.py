"""dbt models as Dagster assets.

Every model is daily-partitioned like the lake, with a single-run backfill policy: a run over a
range of days (a UI backfill, the CLI, automation) is one ``dbt build`` of the selected models that
receives the window in its environment (``RETAIL_DBT_MIN_DATE``/``RETAIL_DBT_MAX_DATE``). The
incremental facts (dbt tag ``daily``) rebuild exactly those days; the other models (staging views,
dimensions, marts) are rebuilt whole, from every day loaded so far, and record a materialization
for each day of the run. One partitions definition across the graph is what lets Dagster's
backfill planner put the lake and the warehouse in one run, the models always after the lake
partitions they read. dbt tests become asset checks.

The manifest is read when the definitions load, not when this module is imported: a missing one
is a clear error then (``make prepare``), and ``dagster dev`` parses it on the fly.
"""

import contextlib
import functools
import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Iterator, Mapping
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from retail_platform.partitions import daily_partitions
from retail_platform.warehouse.project import prepared_manifest, retail_dbt_project
from retail_platform.warehouse.resources import WarehouseResource
from retail_platform.warehouse.translator import translator

# The run's window of days (inclusive), read by the `partition_window_filter` macro.
WINDOW_START_ENV, WINDOW_END_ENV = "RETAIL_DBT_MIN_DATE", "RETAIL_DBT_MAX_DATE"
PARTIAL_PARSE = "partial_parse.msgpack"
KEPT_STATES = 8  # connections whose parse state is kept (a test suite makes one per temporary folder)


def dbt_build(
    context: dg.AssetExecutionContext,
    dbt: DbtCliResource,
    warehouse: WarehouseResource,
    window: tuple[date, date] | None = None,
) -> Iterator:
    """``dbt build`` of the step's selection against this deployment's warehouse, over the run's
    window of days (inclusive). Where to connect and the window reach dbt as environment variables
    of its process (profiles.yml and the ``partition_window_filter`` macro read them), not as
    ``--vars``: dbt re-parses the whole project whenever its vars change, which every new window
    would do (~5 s a step)."""
    if window and (not all(type(d) is date for d in window) or window[1] < window[0]):
        raise ValueError(f"the dbt window must be two dates, first <= last; got {window!r}")
    warehouse.prepare_for_dbt()
    env = dict(warehouse.dbt_env())
    if window:
        env |= {WINDOW_START_ENV: window[0].isoformat(), WINDOW_END_ENV: window[1].isoformat()}
    # Every dbt test is an asset check on the model it belongs to, and it runs exactly when its check
    # is selected: when that model is built. Not by dbt's indirect selection: "eager" also runs a
    # test when another of its parents is built, before its own model has caught up (a staging view
    # ahead of its fact); "buildable" skips a fact's relationship test when the dimension is not
    # rebuilt, and a blocking check that never runs holds everything downstream under automation.
    tests = sorted(k.name for k in context.selected_asset_check_keys if k in context.assets_def.check_keys)
    # dbt unit tests check the SQL, not the data: they run in CI (`make test`), not in production.
    args = ["build", "--indirect-selection", "empty", "--exclude-resource-type", "unit_test"]
    if tests:
        args += ["--select", " ".join(tests)]
    target_path = Path(dbt.project_dir) / "target" / f"{context.run.run_id[:7]}-{uuid.uuid4().hex[:7]}"
    parse_state = ParseStateCache(Path(dbt.project_dir) / "target" / "parse_state", dbt.target, env)
    parse_state.seed(target_path)
    with environment(env):  # read once, when dagster-dbt starts the dbt process
        invocation = dbt.cli(args, context=context, raise_on_error=False, target_path=target_path)
    events = list(invocation.stream())
    parse_state.keep(target_path)
    # Row counts are read once dbt has exited, not by dagster-dbt's fetch_row_counts() while it
    # runs: the local DuckDB file takes one writer at a time, and that holds the file open.
    yield from with_row_counts(events, invocation.manifest, warehouse)
    if not invocation.is_successful():
        raise invocation.get_error() or dg.Failure("dbt build failed; see the step's dbt logs")


class ParseStateCache:
    """dbt's partial-parse state per connection (target and where it connects): dbt re-parses
    the whole project (~5 s) when the state it finds was made for another connection, and
    dagster-dbt gives each invocation a new target folder seeded with the prepared state, made for
    the default connection. So each connection keeps the state its last build left, and the next
    build of that connection starts from it. The window does not count: a changed environment
    variable only re-parses the files that read it."""

    def __init__(self, folder: Path, target: str | None, env: Mapping[str, str]):
        connection = {k: v for k, v in env.items() if k not in (WINDOW_START_ENV, WINDOW_END_ENV)}
        key = json.dumps([target, sorted(connection.items())])
        self.path = folder / f"{hashlib.sha256(key.encode()).hexdigest()[:16]}.msgpack"

    def seed(self, target_path: Path) -> None:
        try:
            target_path.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(self.path, target_path / PARTIAL_PARSE)
        except OSError:  # none kept yet, or pruned meanwhile: dagster-dbt seeds the prepared state
            pass

    def keep(self, target_path: Path) -> None:
        made = target_path / PARTIAL_PARSE
        if not made.exists():
            return
        try:  # atomically: another process may be seeding from it
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(f".{self.path.name}.{uuid.uuid4().hex}")
            shutil.copyfile(made, tmp)
            os.replace(tmp, self.path)
            for stale in sorted(self.path.parent.glob("*.msgpack"), key=lambda p: p.stat().st_mtime)[:-KEPT_STATES]:
                stale.unlink(missing_ok=True)
        except OSError:  # a read-only deployment image: every build parses as it did before
            pass


@contextlib.contextmanager
def environment(values: Mapping[str, str]) -> Iterator[None]:
    """``values`` in ``os.environ`` for the duration of the block, then the previous values back.
    dagster-dbt builds the dbt process's environment from ``os.environ`` and takes no other; steps
    of a run execute one at a time in its process (``in_process_executor``)."""
    previous = {name: os.environ.get(name) for name in values}
    try:
        os.environ.update(values)
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def with_row_counts(events: list, manifest: Mapping, warehouse: WarehouseResource) -> Iterator:
    """The dbt step's events, model materializations carrying ``dagster/row_count``."""
    nodes = manifest["nodes"]
    relations = {}
    for event in events:
        unique_id = _unique_id(event)
        if unique_id in nodes and nodes[unique_id]["resource_type"] in ("model", "snapshot", "seed"):
            relations[unique_id] = (nodes[unique_id]["schema"], nodes[unique_id]["alias"])
    counts = warehouse.row_counts(sorted(set(relations.values())))
    for event in events:
        relation = relations.get(_unique_id(event))
        if relation in counts and isinstance(event, (dg.Output, dg.AssetMaterialization)):
            event = event.with_metadata({**event.metadata, "dagster/row_count": counts[relation]})
        yield event


def _unique_id(event) -> str | None:
    value = (getattr(event, "metadata", None) or {}).get("unique_id")
    return getattr(value, "value", value)


@functools.cache
def dbt_model_assets() -> tuple[dg.AssetsDefinition, ...]:
    @dbt_assets(
        manifest=prepared_manifest(),
        dagster_dbt_translator=translator,
        project=retail_dbt_project,
        name="dbt_models",
        partitions_def=daily_partitions,
        backfill_policy=dg.BackfillPolicy.single_run(),
        pool="warehouse",
    )
    def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource):
        window = context.partition_time_window
        yield from dbt_build(context, dbt, warehouse, (window.start.date(), (window.end - timedelta(days=1)).date()))

    return (dbt_models,)


@dg.definitions
def warehouse_models() -> dg.Definitions:
    return dg.Definitions(assets=list(dbt_model_assets()))
