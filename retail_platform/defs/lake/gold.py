"""Gold: conformed, business-ready daily datasets built from silver."""

import contextlib
import time
from collections.abc import Iterator
from datetime import date

import dagster as dg
import polars as pl

from retail_platform.lake.keys import gold_key, silver_key
from retail_platform.lake.metadata import previous_day, table_metadata
from retail_platform.lake.paths import history_table, partition_file
from retail_platform.lake.ranges import RANGE_BACKFILL, DailyResults, step_days
from retail_platform.lake.state import read_previous_partition
from retail_platform.lake.storage import LakeResource
from retail_platform.partitions import daily_partitions
from retail_platform.transforms import gold

_GOLD = {
    "partitions_def": daily_partitions,
    "backfill_policy": RANGE_BACKFILL,
    "group_name": "gold",
    "kinds": {"polars", "parquet"},
}


@contextlib.contextmanager
def _failing_clearly(dataset: str, day: date) -> Iterator[None]:
    """A value gold cannot hold fails the step naming the dataset, the partition and the column,
    not with Polars' cast error (which names an input column of the expression)."""
    try:
        yield
    except (gold.AmountOverflow, pl.exceptions.InvalidOperationError, pl.exceptions.ComputeError) as exc:
        raise dg.Failure(
            f"gold/{dataset} for partition {day}: {exc}. Silver accepted a value gold cannot hold: "
            "find the row in silver, tighten its bound in the registry (retail_platform/sources/registry.py, "
            f"Column max_value), then re-materialize silver and gold/{dataset} for {day}.",
            allow_retries=False,  # the same rows fail the same way
        ) from exc


def _silver(lake: LakeResource, table: str, day: str):
    return lake.read_parquet(partition_file("silver", table, day))


def _write(
    daily: DailyResults, lake: LakeResource, dataset: str, day: date, frame: pl.DataFrame, started: float, **extra
) -> None:
    path = partition_file("gold", dataset, day.isoformat())
    size = lake.write_parquet(path, frame)
    metadata = {**table_metadata(frame, uri=lake.uri(path), size_bytes=size, started=started), **extra}
    daily.materialized(gold_key(dataset), day, metadata)


@dg.asset(
    key=gold_key("sales"),
    deps=[silver_key(t) for t in ("pos_transactions", "pos_transaction_lines", "orders", "order_items")],
    description="Every sale line of the day, store and online, in one shape with amounts in USD. "
    "Rows by arrival day; `sale_date` is the business date (late store rows carry an earlier one).",
    **_GOLD,
)
def sales(context: dg.AssetExecutionContext, lake: LakeResource):
    daily = DailyResults(context)
    for day in step_days(context):
        started = time.monotonic()
        with _failing_clearly("sales", day):
            lines, unmatched = gold.sales(
                *(
                    _silver(lake, t, day.isoformat())
                    for t in ("pos_transactions", "pos_transaction_lines", "orders", "order_items")
                )
            )
        by_channel = dict(lines.group_by("channel").len().iter_rows())
        _write(
            daily,
            lake,
            "sales",
            day,
            lines,
            started,
            store_lines=by_channel.get("store", 0),
            online_lines=by_channel.get("online", 0),
            net_revenue_usd=float(lines["net_amount_usd"].sum() or 0),
            late_lines=lines.filter(pl.col("sale_date") != day).height,
            **unmatched,
        )
    yield from daily.events()


@dg.asset(
    key=gold_key("order_lifecycle"),
    # Yesterday's snapshot is read from the lake (not a self-dependency: see the CDC state in silver).
    deps=[silver_key(history_table("orders"))],
    description="Per order: when it was created, paid, shipped, delivered, canceled, refunded; its "
    "current status and the hours between steps. A snapshot as of the end of the day.",
    **_GOLD,
)
def order_lifecycle(context: dg.AssetExecutionContext, lake: LakeResource):
    daily, days = DailyResults(context), step_days(context)
    # Yesterday's snapshot from the lake for the first day, then carried from day to day in memory.
    snapshot = read_previous_partition(
        lake, "orders", "order_lifecycle", days[0].isoformat(), previous_day(days[0]).isoformat(), layer="gold"
    )
    for day in days:
        started = time.monotonic()
        snapshot = gold.order_lifecycle(snapshot, _silver(lake, history_table("orders"), day.isoformat()))
        by_status = dict(snapshot.group_by("current_status").len().iter_rows())
        _write(
            daily,
            lake,
            "order_lifecycle",
            day,
            snapshot,
            started,
            **{
                f"orders_{status or 'unknown'}": n for status, n in sorted(by_status.items(), key=lambda kv: str(kv[0]))
            },
        )
    yield from daily.events()


@dg.asset(
    key=gold_key("inventory_position"),
    deps=[silver_key("inventory_snapshots"), silver_key("products"), gold_key("sales")],
    description="End-of-day stock per store and product, with units sold that day, stock value in "
    "USD and whether it is at or below its reorder point.",
    **_GOLD,
)
def inventory_position(context: dg.AssetExecutionContext, lake: LakeResource):
    daily = DailyResults(context)
    for day in step_days(context):
        started = time.monotonic()
        with _failing_clearly("inventory_position", day):
            frame = gold.inventory_position(
                _silver(lake, "inventory_snapshots", day.isoformat()),
                lake.read_parquet(partition_file("gold", "sales", day.isoformat())),
                _silver(lake, "products", day.isoformat()),
                day,
            )
        _write(
            daily,
            lake,
            "inventory_position",
            day,
            frame,
            started,
            below_reorder_point=int(frame["below_reorder_point"].sum()),
        )
    yield from daily.events()


gold_assets = [sales, order_lifecycle, inventory_position]
