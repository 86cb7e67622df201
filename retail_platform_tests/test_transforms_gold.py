from datetime import UTC, date, datetime
from decimal import Decimal

import polars as pl

from retail_platform.transforms import gold

TS = pl.Datetime("us", "UTC")
D = date(2026, 11, 3)


def ts(day: int, hour: int = 10) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=UTC)


def money(values):
    return pl.Series(values, dtype=pl.Float64).cast(pl.Decimal(18, 2))


def test_sales_unifies_store_and_online_lines_in_usd():
    pos_tx = pl.DataFrame(
        {
            "transaction_id": ["T1", "T2"],
            "store_id": ["S001", "S007"],
            "customer_id": [None, "C1"],
            "transaction_ts": [ts(3), ts(1)],
            "currency": ["USD", "EUR"],
        },
        schema_overrides={"transaction_ts": TS},
    )
    pos_lines = pl.DataFrame(
        {
            "transaction_id": ["T1", "T2", "T9"],
            "line_number": [1, 1, 1],
            "product_id": ["P1", "P2", "P3"],
            "quantity": [2, 1, 1],
            "unit_price": money([10.0, 100.0, 5.0]),
            "discount_amount": money([1.0, None, None]),
        },
        schema_overrides={"line_number": pl.Int32, "quantity": pl.Int32},
    )
    orders = pl.DataFrame(
        {
            "order_id": ["O1", "O2"],
            "customer_id": ["C2", "C3"],
            "created_at": [ts(3, 8), ts(3, 9)],
            "currency": ["GBP", "USD"],
            "is_deleted": [False, True],
        },
        schema_overrides={"created_at": TS},
    )
    items = pl.DataFrame(
        {
            "order_id": ["O1", "O2"],
            "line_number": [1, 1],
            "product_id": ["P1", "P1"],
            "quantity": [3, 1],
            "unit_price": money([20.0, 20.0]),
        },
        schema_overrides={"line_number": pl.Int32, "quantity": pl.Int32},
    )

    lines, unmatched = gold.sales(pos_tx, pos_lines, orders, items)

    assert lines.columns == list(gold.SALES_SCHEMA)
    rows = {r["sale_line_id"]: r for r in lines.iter_rows(named=True)}
    assert set(rows) == {"pos:T1:1", "pos:T2:1", "web:O1:1"}
    assert rows["pos:T1:1"]["net_amount_usd"] == Decimal("19.00")
    assert rows["pos:T2:1"]["gross_amount_usd"] == Decimal("108.00")  # 100 EUR
    assert rows["pos:T2:1"]["sale_date"] == date(2026, 11, 1)  # a late row keeps its business date
    assert rows["web:O1:1"]["net_amount_usd"] == Decimal("76.20")  # 60 GBP
    assert rows["web:O1:1"]["channel"] == "online" and rows["web:O1:1"]["customer_id"] == "C2"
    # The orphan line and the deleted order's item are counted, not silently dropped.
    assert unmatched == {"pos_lines_without_transaction": 1, "order_items_without_order": 1}


def changes(*rows):
    """(lsn, op, order_id, status, event_ts)"""
    return pl.DataFrame(
        {
            "lsn": [r[0] for r in rows],
            "op": [r[1] for r in rows],
            "order_id": [r[2] for r in rows],
            "status": [r[3] for r in rows],
            "event_ts": [r[4] for r in rows],
            "updated_at": [r[4] for r in rows],
            "customer_id": ["C1"] * len(rows),
            "currency": ["USD"] * len(rows),
            "order_total": money([50.0] * len(rows)),
        },
        schema_overrides={"event_ts": TS, "updated_at": TS},
    )


def test_order_lifecycle_merges_days_and_ignores_replays():
    day1 = gold.order_lifecycle(
        None, changes((1, "insert", "O1", "created", ts(1, 8)), (2, "update", "O1", "paid", ts(1, 9)))
    )
    day2 = gold.order_lifecycle(
        day1, changes((3, "update", "O1", "shipped", ts(2, 9)), (2, "update", "O1", "paid", ts(1, 9)))
    )  # repeated event
    day3 = gold.order_lifecycle(day2, changes((4, "update", "O1", "delivered", ts(3, 21))))
    row = day3.row(0, named=True)
    assert (row["created_at"], row["paid_at"], row["shipped_at"], row["delivered_at"]) == (
        ts(1, 8),
        ts(1, 9),
        ts(2, 9),
        ts(3, 21),
    )
    assert row["canceled_at"] is None and row["current_status"] == "delivered" and row["last_lsn"] == 4
    assert row["hours_created_to_shipped"] == 25.0
    assert row["hours_shipped_to_delivered"] == 36.0
    assert gold.order_lifecycle(day2, changes((4, "update", "O1", "delivered", ts(3, 21)))).equals(day3)


def test_inventory_position_counts_units_sold_in_store_that_day():
    snapshots = pl.DataFrame(
        {
            "snapshot_date": [D, D],
            "store_id": ["S001", "S001"],
            "product_id": ["P1", "P2"],
            "on_hand": [4, 50],
            "on_order": [10, 0],
            "reorder_point": [5, 5],
        },
        schema_overrides={c: pl.Int32 for c in ("on_hand", "on_order", "reorder_point")},
    )
    sales_lines = pl.DataFrame(
        {
            "channel": ["store", "store", "online", "store"],
            "sale_date": [D, D, D, date(2026, 11, 1)],
            "store_id": ["S001", "S001", None, "S001"],
            "product_id": ["P1", "P1", "P1", "P2"],
            "quantity": [1, 1, 9, 9],
        },
        schema_overrides={"quantity": pl.Int32},
    )
    products = pl.DataFrame(
        {
            "product_id": ["P1", "P2"],
            "category": ["toys", "food"],
            "unit_price": money([2.5, 1.0]),
            "currency": ["USD", "USD"],
        }
    )
    position = gold.inventory_position(snapshots, sales_lines, products, D)
    assert position.select("product_id", "units_sold", "below_reorder_point", "days_of_cover").rows() == [
        ("P1", 2, True, 2.0),
        ("P2", 0, False, None),
    ]
    assert position["stock_value_usd"].to_list() == [Decimal("10.00"), Decimal("50.00")]
