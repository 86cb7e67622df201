"""dbt models as Dagster assets.

Every model is daily-partitioned like the lake, with a single-run backfill policy: a run over a
range of days (a UI backfill, the CLI, automation) is one ``dbt build`` of the selected models that
receives the window as ``min_date``/``max_date`` vars. The incremental facts (dbt tag ``daily``)
rebuild exactly those days; the other models (staging views, dimensions, marts) are rebuilt whole,
from every day loaded so far, and record a materialization for each day of the run. One partitions
definition across the graph is what lets Dagster's backfill planner put the lake and the warehouse
in one run, the models always after the lake partitions they read. dbt tests become asset checks.

The manifest is read when the definitions load, not when this module is imported: a missing one
is a clear error then (``make prepare``), and ``dagster dev`` parses it on the fly.
"""

import functools
import json
from collections.abc import Iterator, Mapping
from datetime import timedelta

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from retail_platform.partitions import daily_partitions
from retail_platform.warehouse.project import prepared_manifest, retail_dbt_project
from retail_platform.warehouse.resources import WarehouseResource
from retail_platform.warehouse.translator import translator


def dbt_build(
    context: dg.AssetExecutionContext,
    dbt: DbtCliResource,
    warehouse: WarehouseResource,
    run_vars: Mapping[str, str] | None = None,
) -> Iterator:
    """``dbt build`` of the step's selection against this deployment's warehouse. The connection
    goes in as dbt vars (profiles.yml reads them), the target is the resource's: nothing
    process-wide changes."""
    warehouse.prepare_for_dbt()
    dbt_vars = {**warehouse.dbt_vars(), **(run_vars or {})}
    # Every dbt test is an asset check on the model it belongs to, and it runs exactly when its check
    # is selected: when that model is built. Not by dbt's indirect selection: "eager" also runs a
    # test when another of its parents is built, before its own model has caught up (a staging view
    # ahead of its fact); "buildable" skips a fact's relationship test when the dimension is not
    # rebuilt, and a blocking check that never runs holds everything downstream under automation.
    tests = sorted(k.name for k in context.selected_asset_check_keys if k in context.assets_def.check_keys)
    args = ["build", "--indirect-selection", "empty", "--vars", json.dumps(dbt_vars)]
    if tests:
        args += ["--select", " ".join(tests)]
    invocation = dbt.cli(args, context=context, raise_on_error=False)
    events = list(invocation.stream())
    # Row counts are read once dbt has exited, not by dagster-dbt's fetch_row_counts() while it
    # runs: the local DuckDB file takes one writer at a time, and that holds the file open.
    yield from with_row_counts(events, invocation.manifest, warehouse)
    if not invocation.is_successful():
        raise invocation.get_error() or dg.Failure("dbt build failed; see the step's dbt logs")


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
        yield from dbt_build(
            context,
            dbt,
            warehouse,
            {
                "min_date": window.start.date().isoformat(),
                "max_date": (window.end - timedelta(days=1)).date().isoformat(),
            },
        )

    return (dbt_models,)


@dg.definitions
def warehouse_models() -> dg.Definitions:
    return dg.Definitions(assets=list(dbt_model_assets()))
