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


def _usd_exact(amount: pl.Expr, rate: pl.Expr) -> pl.Expr:
    """``usd`` before it is narrowed to Decimal(18, 2): the rounded cents, in the wide type."""
    product = amount.cast(_EXACT_PRODUCT) * rate.cast(_EXACT_PRODUCT)
    return product.round(2, mode="half_away_from_zero")


def usd(amount: pl.Expr, rate: pl.Expr) -> pl.Expr:
    """``amount`` (a decimal in cents) times ``rate`` (at most FX_SCALE places), in USD.

    The money rule, the same in the warehouse (macro convert_money): the exact decimal product,
    rounded once to the cent, half away from zero. Never through floats: 5.50 x 1.27 = 6.985 is
    6.98499... as a float, which rounds to 6.98 instead of 6.99.
    """
    return _usd_exact(amount, rate).cast(USD)


def _usd(amount: pl.Expr, currency: pl.Expr) -> pl.Expr:
    """``amount`` in ``currency`` converted with the reference rates, still in the wide type (see
    ``fitted``); null for an unknown currency."""
    rate = currency.replace_strict(FX_TO_USD, default=None, return_dtype=pl.Decimal(18, FX_SCALE))
    return _usd_exact(amount, rate)


class AmountOverflow(ValueError):
    """A gold amount that does not fit its Decimal column. Silver's plausibility bounds (registry
    ``max_value``) keep every accepted row far below the limit; this names the case that got by."""


def fitted(frame: pl.DataFrame, schema: dict[str, pl.DataType], dataset: str, row_id: str) -> pl.DataFrame:
    """``frame`` cast to ``schema``; a decimal that does not fit raises ``AmountOverflow`` naming
    the dataset, the column, the first row (by ``row_id``) and its value, not Polars' cast error."""
    for name, dtype in schema.items():
        if isinstance(dtype, pl.Decimal) and frame.schema[name] != dtype:
            limit = 10 ** ((dtype.precision or 38) - (dtype.scale or 0))
            too_big = frame.filter(pl.col(name).abs() >= limit)
            if not too_big.is_empty():
                raise AmountOverflow(
                    f"{too_big.height} value(s) of {dataset}.{name} do not fit {dtype} (limit {limit:.0e}); "
                    f"the first: {row_id} {too_big[row_id][0]} = {too_big[name][0]}"
                )
    return frame.select([pl.col(name).cast(dtype) for name, dtype in schema.items()])


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
        pl.lit(0).cast(_EXACT_PRODUCT).alias("discount_usd"),
    )
    lines = pl.concat([store, online], how="vertical_relaxed").with_columns(
        (pl.col("gross_amount_usd") - pl.col("discount_usd")).alias("net_amount_usd")
    )
    lines = fitted(lines, SALES_SCHEMA, "sales", "sale_line_id").sort("sale_line_id")
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
    position = (
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
    schema = {**position.schema, "stock_value_usd": USD}
    keyed = position.with_columns(pl.format("{}/{}", "store_id", "product_id").alias("_store_product"))
    return fitted(keyed, {**schema, "_store_product": pl.String()}, "inventory_position", "_store_product").drop(
        "_store_product"
    )
