"""The analyst who distrusts the platform: the sales marts recomputed from the raw landing files
alone (``recompute.py``: its own parsing, cleaning, CDC replay and money arithmetic, sharing only
the registry's declarations) equal the warehouse's, every money column to the cent with no
tolerance, the counts beside them, and the set of reported days."""

import os
import subprocess
import sys
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from retail_platform.sources.registry import table_spec
from retail_platform_tests import recompute as rc

START, END = "2026-03-02", "2026-03-05"
DAYS = [date(2026, 3, d) for d in (2, 3, 4, 5)]
DAILY_MONEY = ("gross_revenue_usd", "discount_usd", "net_revenue_usd", "avg_basket_usd")
DAILY_COUNTS = ("sale_lines", "units_sold", "orders_or_transactions", "distinct_customers")
CATEGORY_MONEY = ("gross_revenue_usd", "net_revenue_usd")
CATEGORY_COUNTS = ("sale_lines", "units_sold", "orders_or_transactions", "distinct_products")
CUSTOMER_MONEY = ("lifetime_revenue_usd", "lifetime_canceled_or_refunded_usd")
CUSTOMER_COUNTS = ("lifetime_orders", "canceled_or_refunded_orders", "lifetime_store_transactions")


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """The platform after `python -m retail_platform run` over the four days, default volume."""
    data_dir = tmp_path_factory.mktemp("platform")
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    env["RETAIL_DATA_DIR"] = str(data_dir)
    done = subprocess.run(
        [sys.executable, "-m", "retail_platform", "run", "--start", START, "--end", END],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return data_dir


@pytest.fixture(scope="module")
def recomputed(built) -> rc.Recomputed:
    return rc.recompute(built / "lake" / "landing")


def warehouse(built: Path, sql: str, key: tuple[str, ...]) -> dict[object, dict[str, object]]:
    """The mart's rows by key, values as DuckDB hands them to Python (DECIMAL -> Decimal)."""
    with duckdb.connect(str(built / "warehouse.duckdb"), read_only=True) as con:
        cursor = con.execute(sql)
        names = [d[0] for d in cursor.description]
        rows = [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]
    by_key = {tuple(row[k] for k in key) if len(key) > 1 else row[key[0]]: row for row in rows}
    assert len(by_key) == len(rows), f"{sql}: key {key} is not unique"
    return by_key


def mismatches(expected: dict, actual: dict, columns: tuple[str, ...]) -> list[str]:
    """Every key present on one side only, and every (key, column) whose values differ."""
    found = [f"{k}: only in the recomputation" for k in sorted(expected.keys() - actual.keys(), key=str)]
    found += [f"{k}: only in the warehouse" for k in sorted(actual.keys() - expected.keys(), key=str)]
    for k in sorted(expected.keys() & actual.keys(), key=str):
        found += [
            f"{k} {c}: recomputed {expected[k][c]!r}, warehouse {actual[k][c]!r}"
            for c in columns
            if expected[k][c] != actual[k][c]
        ]
    return found


def assert_money_is_decimal(actual: dict, columns: tuple[str, ...]) -> None:
    # exact comparison only means something between decimals
    assert all(isinstance(row[c], Decimal) for row in actual.values() for c in columns)


# --- the analyst's own rules, on hand-made rows ----------------------------------------------


def test_money_is_converted_exactly_and_rounded_once_half_away_from_zero():
    assert rc.to_usd(Decimal("5.50"), "GBP") == Decimal("6.99")  # 6.985
    assert rc.to_usd(Decimal("2.50"), "GBP") == Decimal("3.18")  # 3.175
    assert rc.to_usd(Decimal("10.18"), "EUR") == Decimal("10.99")  # 10.9944
    assert rc.float_to_usd(Decimal("5.50"), "GBP") == Decimal("6.98")  # what floats make of it
    assert rc.money_ratio(Decimal("10.00"), 3) == Decimal("3.33")
    assert rc.money_ratio(Decimal("0.05"), 2) == Decimal("0.03")
    assert rc.money_ratio(Decimal("-0.05"), 2) == Decimal("-0.03")


def test_cleaning_keeps_the_latest_valid_version_and_quarantines_the_rest():
    spec = table_spec("pos_transaction_lines")
    base = {"transaction_id": "T1", "product_id": "P1", "quantity": "1", "unit_price": "5.50"}
    rows = [
        {**base, "line_number": "1", "discount_amount": "", "updated_at": "2026-03-02T10:00:00Z"},
        # re-sent later with a corrected price: this version wins
        {
            **base,
            "line_number": "1",
            "unit_price": " 6.50 ",
            "discount_amount": "",
            "updated_at": "2026-03-02 10:05:00",
        },
        # a later version that is invalid does not hide the valid one
        {**base, "line_number": "1", "unit_price": "12,5x", "updated_at": "2026-03-02T11:00:00Z"},
        {**base, "line_number": "2", "quantity": "N/A", "updated_at": "2026-03-02T10:00:00Z"},
        {**base, "line_number": "3", "quantity": "-1", "updated_at": "2026-03-02T10:00:00Z"},
        {**base, "line_number": "4", "product_id": " ", "updated_at": "2026-03-02T10:00:00Z"},
        {**base, "line_number": "5", "unit_price": "1.005", "updated_at": "2026-03-02T10:00:00Z"},
        {**base, "line_number": "6", "updated_at": "2026-03-02 25:61:00"},
        {**base, "line_number": "7", "discount_amount": "0.50", "updated_at": "2026-03-02T10:00:00+01:00"},
    ]
    cleaned = rc.clean(spec, rows)
    assert [(r["line_number"], r["unit_price"], r["discount_amount"]) for r in cleaned.rows] == [
        (1, Decimal("6.50"), None),
        (7, Decimal("5.50"), Decimal("0.50")),
    ]
    assert cleaned.rows[1]["updated_at"] == datetime(2026, 3, 2, 9, tzinfo=UTC)
    assert len(cleaned.quarantined) == 6

    transactions = rc.clean(
        table_spec("pos_transactions"),
        [
            {"transaction_id": "T1", "store_id": "S1", "transaction_ts": "2026-03-02T10:00:00Z"}
            | {"currency": currency, "total_amount": "1.00", "updated_at": "2026-03-02T10:00:00Z"}
            for currency in (" gbp ", "XXX")
        ],
    )
    assert [t["currency"] for t in transactions.rows] == ["GBP"]  # trimmed and upper-cased; XXX refused


def test_cdc_replay_takes_the_greatest_lsn_and_keeps_tombstones():
    def event(lsn: int, op: str, status: str) -> dict[str, str]:
        return {
            "lsn": str(lsn),
            "op": op,
            "event_ts": "2026-03-02T10:00:00Z",
            "order_id": "O1",
            "status": status,
            "currency": "EUR",
            "order_total": "10.00",
            "created_at": "2026-03-02T09:00:00Z",
            "updated_at": "2026-03-02T10:00:00Z",
        }

    spec = table_spec("orders")
    day1 = rc.clean(spec, [event(3, "update", "shipped"), event(1, "insert", "created"), event(3, "update", "shipped")])
    day2 = rc.clean(spec, [event(5, "delete", "shipped"), event(4, "update", "delivered")])
    assert rc.order_states({date(2026, 3, 2): day1})["O1"]["status"] == "shipped"
    state = rc.order_states({date(2026, 3, 3): day2, date(2026, 3, 2): day1})["O1"]
    assert (state["lsn"], state["is_deleted"]) == (5, True)


# --- the platform against the recomputation ---------------------------------------------------


def test_the_recomputation_met_the_dirty_data(recomputed):
    # the generator's defects were there and were handled, not absent
    for table in ("pos_transactions", "pos_transaction_lines", "orders", "order_items"):
        assert recomputed.quarantined[table] > 0, table
    first = recomputed.reported_days[0]
    assert any(line.sale_date < first for line in recomputed.lines), "late lines from before the lake began"
    assert any(first <= line.sale_date < line.partition for line in recomputed.lines), "late lines of loaded days"


def test_the_reported_days_are_the_loaded_partitions(built, recomputed):
    assert recomputed.reported_days == DAYS
    for mart in ("agg_daily_sales", "agg_sales_by_category"):
        days = warehouse(built, f"select distinct sale_date from marts.{mart}", ("sale_date",))
        assert sorted(days) == DAYS, mart


def test_agg_daily_sales_equals_the_recomputation_to_the_cent(built, recomputed):
    expected = rc.agg_daily_sales(recomputed)
    actual = warehouse(built, "select * from marts.agg_daily_sales", ("sale_date", "channel"))
    assert_money_is_decimal(actual, DAILY_MONEY)
    assert len(expected) == len(DAYS) * 2  # every day has store and online sales
    assert mismatches(expected, actual, DAILY_MONEY + DAILY_COUNTS) == []


def test_agg_sales_by_category_equals_the_recomputation_to_the_cent(built, recomputed):
    expected = rc.agg_sales_by_category(recomputed)
    actual = warehouse(built, "select * from marts.agg_sales_by_category", ("sale_date", "category"))
    assert_money_is_decimal(actual, CATEGORY_MONEY)
    assert mismatches(expected, actual, CATEGORY_MONEY + CATEGORY_COUNTS) == []


def test_mart_customer_360_equals_the_recomputation_to_the_cent(built, recomputed):
    expected = rc.mart_customer_360(recomputed)
    actual = warehouse(built, "select * from marts.mart_customer_360", ("customer_id",))
    assert_money_is_decimal(actual, CUSTOMER_MONEY)
    # every column is exercised: customers with store, online and canceled/refunded figures
    for column in CUSTOMER_MONEY + CUSTOMER_COUNTS:
        assert any(row[column] for row in expected.values()), column
    assert mismatches(expected, actual, CUSTOMER_MONEY + CUSTOMER_COUNTS) == []


def test_a_float_conversion_would_not_match(built, recomputed):
    """The comparison bites: converting through floats is off by a cent on a few lines, and the
    marts built from those lines would not equal the warehouse's."""
    off = [line for line in recomputed.lines if line.usd(rc.float_to_usd) != line.usd()]
    assert off, "no line where floats and decimals disagree: the exact comparison proves nothing"
    assert len(off) < len(recomputed.lines) / 100  # a few lines, each off by one cent
    assert {abs(a - b) for line in off for a, b in zip(line.usd(rc.float_to_usd), line.usd(), strict=True)} <= {
        Decimal("0.00"),
        Decimal("0.01"),
    }
    with_floats = rc.agg_daily_sales(recomputed, convert=rc.float_to_usd)
    actual = warehouse(built, "select * from marts.agg_daily_sales", ("sale_date", "channel"))
    assert mismatches(with_floats, actual, ("net_revenue_usd",)) != []
