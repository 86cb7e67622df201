"""Gold: conformed, business-ready daily datasets built from silver."""

import time

import dagster as dg

from retail_platform.lake.keys import gold_key, silver_key
from retail_platform.lake.metadata import partition_day, previous_day, table_metadata
from retail_platform.lake.paths import history_table, partition_file
from retail_platform.lake.state import read_previous_partition
from retail_platform.lake.storage import LakeResource
from retail_platform.partitions import daily_partitions
from retail_platform.transforms import gold

_GOLD = {"partitions_def": daily_partitions, "group_name": "gold", "kinds": {"polars", "parquet"}}


def _silver(lake: LakeResource, table: str, day: str):
    return lake.read_parquet(partition_file("silver", table, day))


def _write(lake: LakeResource, dataset: str, day: str, frame, started: float, **extra) -> dg.MaterializeResult:
    path = partition_file("gold", dataset, day)
    size = lake.write_parquet(path, frame)
    return dg.MaterializeResult(
        metadata={**table_metadata(frame, uri=lake.uri(path), size_bytes=size, started=started), **extra}
    )


@dg.asset(
    key=gold_key("sales"),
    deps=[silver_key(t) for t in ("pos_transactions", "pos_transaction_lines", "orders", "order_items")],
    description="Every sale line of the day, store and online, in one shape with amounts in USD. "
    "Rows by arrival day; `sale_date` is the business date (late store rows carry an earlier one).",
    **_GOLD,
)
def sales(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
    started, day = time.monotonic(), partition_day(context).isoformat()
    lines, unmatched = gold.sales(
        _silver(lake, "pos_transactions", day),
        _silver(lake, "pos_transaction_lines", day),
        _silver(lake, "orders", day),
        _silver(lake, "order_items", day),
    )
    by_channel = dict(lines.group_by("channel").len().iter_rows())
    return _write(
        lake,
        "sales",
        day,
        lines,
        started,
        store_lines=by_channel.get("store", 0),
        online_lines=by_channel.get("online", 0),
        net_revenue_usd=float(lines["net_amount_usd"].sum() or 0),
        late_lines=lines.filter(lines["sale_date"].cast(str) != day).height,
        **unmatched,
    )


@dg.asset(
    key=gold_key("order_lifecycle"),
    deps=[
        silver_key(history_table("orders")),
        dg.AssetDep(
            gold_key("order_lifecycle"), partition_mapping=dg.TimeWindowPartitionMapping(start_offset=-1, end_offset=-1)
        ),
    ],
    description="Per order: when it was created, paid, shipped, delivered, canceled, refunded; its "
    "current status and the hours between steps. A snapshot as of the end of the day.",
    **_GOLD,
)
def order_lifecycle(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
    started, day = time.monotonic(), partition_day(context)
    changes = _silver(lake, history_table("orders"), day.isoformat())
    previous = read_previous_partition(
        lake, "orders", "order_lifecycle", day.isoformat(), previous_day(day).isoformat(), layer="gold"
    )
    frame = gold.order_lifecycle(previous, changes)
    by_status = dict(frame.group_by("current_status").len().iter_rows())
    return _write(
        lake,
        "order_lifecycle",
        day.isoformat(),
        frame,
        started,
        **{f"orders_{status or 'unknown'}": n for status, n in sorted(by_status.items(), key=lambda kv: str(kv[0]))},
    )


@dg.asset(
    key=gold_key("inventory_position"),
    deps=[silver_key("inventory_snapshots"), silver_key("products"), gold_key("sales")],
    description="End-of-day stock per store and product, with units sold that day, stock value in "
    "USD and whether it is at or below its reorder point.",
    **_GOLD,
)
def inventory_position(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
    started, day = time.monotonic(), partition_day(context)
    frame = gold.inventory_position(
        _silver(lake, "inventory_snapshots", day.isoformat()),
        lake.read_parquet(partition_file("gold", "sales", day.isoformat())),
        _silver(lake, "products", day.isoformat()),
        day,
    )
    return _write(
        lake,
        "inventory_position",
        day.isoformat(),
        frame,
        started,
        below_reorder_point=int(frame["below_reorder_point"].sum()),
    )


gold_assets = [sales, order_lifecycle, inventory_position]
