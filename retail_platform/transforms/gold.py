"""Silver -> gold: conformed, business-ready daily datasets. Pure Polars."""

from __future__ import annotations

from datetime import date

import polars as pl

from retail_platform.sources.registry import FX_SCALE, FX_TO_USD, ORDER_STATUSES

USD = pl.Decimal(18, 2)
SALES_SCHEMA: dict[str, pl.DataType] = {
    "sale_line_id": pl.String(),
    "channel": pl.String(),
    "sale_date": pl.Date(),
    "sale_ts": pl.Datetime("us", "UTC"),
    "store_id": pl.String(),
    "transaction_id": pl.String(),
    "order_id": pl.String(),
    "line_number": pl.Int32(),
    "customer_id": pl.String(),
    "product_id": pl.String(),
    "quantity": pl.Int32(),
    "currency": pl.String(),
    "unit_price": pl.Decimal(18, 2),
    "gross_amount_usd": USD,
    "discount_usd": USD,
    "net_amount_usd": USD,
}


# Exact room for cents x a rate of FX_SCALE places: Polars types Decimal(18, 2) * Decimal(10, 4)
# as scale 4 and rounds the product there, so both operands are widened first.
_EXACT_PRODUCT = pl.Decimal(38, 2 + FX_SCALE)


def usd(amount: pl.Expr, rate: pl.Expr) -> pl.Expr:
    """``amount`` (a decimal in cents) times ``rate`` (at most FX_SCALE places), in USD.

    The money rule, the same in the warehouse (macro convert_money): the exact decimal product,
    rounded once to the cent, half away from zero. Never through floats: 5.50 x 1.27 = 6.985 is
    6.98499... as a float, which rounds to 6.98 instead of 6.99.
    """
    product = amount.cast(_EXACT_PRODUCT) * rate.cast(_EXACT_PRODUCT)
    return product.round(2, mode="half_away_from_zero").cast(USD)


def _usd(amount: pl.Expr, currency: pl.Expr) -> pl.Expr:
    """``amount`` in ``currency`` converted with the reference rates; null for an unknown currency."""
    rate = currency.replace_strict(FX_TO_USD, default=None, return_dtype=pl.Decimal(18, FX_SCALE))
    return usd(amount, rate)


def sales(
    pos_transactions: pl.DataFrame,
    pos_lines: pl.DataFrame,
    orders: pl.DataFrame,
    order_items: pl.DataFrame,
) -> tuple[pl.DataFrame, dict[str, int]]:
    """Store and online sale lines in one shape, amounts in USD.

    Returns the lines and the counts of lines that could not be conformed (no header/order),
    which the asset reports instead of losing them silently.
    """
    store = pos_lines.join(
        pos_transactions.select("transaction_id", "store_id", "customer_id", "transaction_ts", "currency"),
        on="transaction_id",
        how="inner",
    ).select(
        pl.format("pos:{}:{}", "transaction_id", "line_number").alias("sale_line_id"),
        pl.lit("store").alias("channel"),
        pl.col("transaction_ts").dt.date().alias("sale_date"),
        pl.col("transaction_ts").alias("sale_ts"),
        "store_id",
        "transaction_id",
        pl.lit(None, dtype=pl.String).alias("order_id"),
        "line_number",
        "customer_id",
        "product_id",
        "quantity",
        "currency",
        "unit_price",
        _usd(pl.col("quantity") * pl.col("unit_price"), pl.col("currency")).alias("gross_amount_usd"),
        _usd(pl.col("discount_amount").fill_null(0), pl.col("currency")).alias("discount_usd"),
    )
    live_orders = orders.filter(~pl.col("is_deleted"))
    online = order_items.join(
        live_orders.select("order_id", "customer_id", "created_at", "currency"), on="order_id", how="inner"
    ).select(
        pl.format("web:{}:{}", "order_id", "line_number").alias("sale_line_id"),
        pl.lit("online").alias("channel"),
        pl.col("created_at").dt.date().alias("sale_date"),
        pl.col("created_at").alias("sale_ts"),
        pl.lit(None, dtype=pl.String).alias("store_id"),
        pl.lit(None, dtype=pl.String).alias("transaction_id"),
        "order_id",
        "line_number",
        "customer_id",
        "product_id",
        "quantity",
        "currency",
        "unit_price",
        _usd(pl.col("quantity") * pl.col("unit_price"), pl.col("currency")).alias("gross_amount_usd"),
        pl.lit(0).cast(USD).alias("discount_usd"),
    )
    lines = (
        pl.concat([store, online], how="vertical_relaxed")
        .with_columns((pl.col("gross_amount_usd") - pl.col("discount_usd")).cast(USD).alias("net_amount_usd"))
        .select([pl.col(name).cast(dtype) for name, dtype in SALES_SCHEMA.items()])
        .sort("sale_line_id")
    )
    unmatched = {
        "pos_lines_without_transaction": pos_lines.height - store.height,
        "order_items_without_order": order_items.height - online.height,
    }
    return lines, unmatched


_LIFECYCLE_TS = [f"{status}_at" for status in ORDER_STATUSES]


def order_lifecycle(previous: pl.DataFrame | None, changes: pl.DataFrame) -> pl.DataFrame:
    """Per order: when it first reached each status, its current status and latest attributes.

    ``previous`` is yesterday's lifecycle (None on the first day); ``changes`` today's order
    change events. Merging is by earliest timestamp per status and latest LSN for attributes, so
    re-running a day or receiving events out of order gives the same result.
    """
    reached = changes.filter(pl.col("status").is_not_null()).select(
        "order_id",
        *(
            pl.when(pl.col("status") == status).then(pl.col("event_ts")).otherwise(None).alias(f"{status}_at")
            for status in ORDER_STATUSES
        ),
    )
    latest = changes.select(
        "order_id",
        "customer_id",
        "currency",
        "order_total",
        pl.col("status").alias("current_status"),
        (pl.col("op") == "delete").alias("is_deleted"),
        pl.col("lsn").alias("last_lsn"),
        pl.col("updated_at"),
    )
    today = latest.join(
        reached.group_by("order_id").agg(pl.col(c).min() for c in _LIFECYCLE_TS), on="order_id", how="left"
    )
    frames = [today] if previous is None or previous.is_empty() else [previous.select(today.columns), today]
    merged = pl.concat(frames, how="vertical_relaxed")
    firsts = merged.group_by("order_id").agg(pl.col(c).min() for c in _LIFECYCLE_TS)
    attributes = merged.sort("order_id", "last_lsn").unique(subset="order_id", keep="last")
    return (
        attributes.drop(_LIFECYCLE_TS)
        .join(firsts, on="order_id", how="left")
        .with_columns(
            ((pl.col("shipped_at") - pl.col("created_at")).dt.total_seconds() / 3600.0).alias(
                "hours_created_to_shipped"
            ),
            ((pl.col("delivered_at") - pl.col("shipped_at")).dt.total_seconds() / 3600.0).alias(
                "hours_shipped_to_delivered"
            ),
        )
        .sort("order_id")
    )


def inventory_position(
    snapshots: pl.DataFrame, sales_lines: pl.DataFrame, products: pl.DataFrame, day: date
) -> pl.DataFrame:
    """On-hand per store x product at the end of ``day``, with the day's units sold, stock value
    (USD, at the day's catalogue price) and whether it is below its reorder point."""
    sold = (
        sales_lines.filter((pl.col("channel") == "store") & (pl.col("sale_date") == day))
        .group_by("store_id", "product_id")
        .agg(pl.col("quantity").sum().cast(pl.Int64).alias("units_sold"))
    )
    prices = products.select("product_id", "category", "unit_price", "currency")
    return (
        snapshots.filter(pl.col("snapshot_date") == day)
        .join(sold, on=["store_id", "product_id"], how="left")
        .join(prices, on="product_id", how="left")
        .select(
            "snapshot_date",
            "store_id",
            "product_id",
            "category",
            "on_hand",
            "on_order",
            "reorder_point",
            pl.col("units_sold").fill_null(0),
            # rounded once, on the whole stock: not a per-unit USD price rounded then multiplied
            _usd(pl.col("on_hand") * pl.col("unit_price"), pl.col("currency")).alias("stock_value_usd"),
            (pl.col("on_hand") <= pl.col("reorder_point")).alias("below_reorder_point"),
            pl.when(pl.col("units_sold").fill_null(0) > 0)
            .then(pl.col("on_hand") / pl.col("units_sold"))
            .otherwise(None)
            .alias("days_of_cover"),
        )
        .sort("store_id", "product_id")
    )
