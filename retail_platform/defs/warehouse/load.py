"""Warehouse load: silver and gold partitions become warehouse tables (schema = lake layer).

dbt sources (``source('silver', ...)``, ``source('gold', ...)``) map onto these assets, so the
lineage in the UI runs unbroken from landing to the marts.
"""

import dagster as dg

from retail_platform.lake.keys import warehouse_key
from retail_platform.lake.metadata import IO_RETRY_POLICY
from retail_platform.lake.paths import GOLD_DATASETS, history_table, partition_file
from retail_platform.lake.ranges import RANGE_BACKFILL, DailyResults, step_days
from retail_platform.lake.storage import LakeResource
from retail_platform.partitions import daily_partitions
from retail_platform.sources.registry import TABLES
from retail_platform.warehouse.resources import WarehouseResource

# A CDC table has two silver objects: its change history and its current state.
SILVER_TABLES = tuple(
    name for spec in TABLES for name in ((history_table(spec.table), spec.table) if spec.cdc else (spec.table,))
)
LOADED: tuple[tuple[str, str], ...] = tuple(("silver", t) for t in SILVER_TABLES) + tuple(
    ("gold", d) for d in GOLD_DATASETS
)


@dg.multi_asset(
    name="warehouse_load",
    specs=[
        dg.AssetSpec(
            warehouse_key(layer, table),
            deps=[dg.AssetKey([layer, table])],
            group_name="warehouse",
            kinds={"duckdb"},
            description=f"`{layer}/{table}` in the warehouse as `{layer}.{table}`, "
            "one `_partition_date` per lake partition.",
        )
        for layer, table in LOADED
    ],
    partitions_def=daily_partitions,
    backfill_policy=RANGE_BACKFILL,
    can_subset=True,
    # One step for every table: an embedded warehouse takes one writer at a time.
    pool="warehouse",
    retry_policy=IO_RETRY_POLICY,
)
def warehouse_load(context: dg.AssetExecutionContext, lake: LakeResource, warehouse: WarehouseResource):
    daily = DailyResults(context)
    with warehouse.session():
        for day in step_days(context):
            for layer, table in LOADED:
                key = warehouse_key(layer, table)
                if key not in context.selected_asset_keys:
                    continue
                file = partition_file(layer, table, day.isoformat())
                frame = lake.read_parquet(file)
                rows = warehouse.replace_partition(layer, table, day, frame, source=lake.uri(file))
                daily.materialized(key, day, {"dagster/row_count": rows, "table": f"{layer}.{table}"})
    yield from daily.events()
