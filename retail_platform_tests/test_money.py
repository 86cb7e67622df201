"""The money rule, wherever a USD amount is made: the exact decimal product of an amount in cents
and an FX rate, rounded once to the cent, half away from zero (``ROUND_HALF_UP`` in Python's
decimal module, which goes away from zero for negatives too).

Checked against Python's decimal on the lake's Polars expression (``gold.usd``) and on the dbt
macros as dbt renders them, run on DuckDB and on the Snowflake API emulator (fakesnow on loopback).
"""

import json
import os
import re
import subprocess
import sys
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import polars as pl
import pytest
import snowflake.connector as snowflake_connector
from hypothesis import given, settings
from hypothesis import strategies as st

from retail_platform.sources.registry import FX_SCALE, FX_TO_USD
from retail_platform.transforms import gold
from retail_platform_tests.cloud_servers import snowflake_server

# fakesnow's own notice on every result it hands over
pytestmark = pytest.mark.filterwarnings("ignore:Arrow output on a DB-API result:UserWarning")

DBT_PROJECT = Path(__file__).resolve().parents[1] / "dbt_project"
CENT = Decimal("0.01")


def reference(amount: Decimal, rate: Decimal) -> Decimal:
    return (amount * rate).quantize(CENT, rounding=ROUND_HALF_UP)


# (amount, rate, USD): ties on the half cent (GBP amounts ending in .50 always are one), the
# smallest and largest values, a negative amount.
EDGE_CASES = [
    (Decimal("5.50"), Decimal("1.27"), Decimal("6.99")),  # 6.985, a float 6.98499...
    (Decimal("2.50"), Decimal("1.27"), Decimal("3.18")),  # 3.175
    (Decimal("0.50"), Decimal("1.27"), Decimal("0.64")),  # 0.635
    (Decimal("1.00"), Decimal("1.005"), Decimal("1.01")),  # 1.005
    (Decimal("0.01"), Decimal("0.5"), Decimal("0.01")),  # 0.005
    (Decimal("0.01"), Decimal("0.000001"), Decimal("0.00")),
    (Decimal("0.00"), Decimal("1.27"), Decimal("0.00")),
    (Decimal("29.97"), Decimal("1.08"), Decimal("32.37")),  # 32.3676
    (Decimal("-2.50"), Decimal("1.27"), Decimal("-3.18")),  # away from zero
    (Decimal("999999999999.99"), Decimal("999.999999"), Decimal("999999998999990.00")),
    (Decimal("1000000000000.00"), Decimal("0.000001"), Decimal("1000000.00")),
]

amounts = st.one_of(
    st.decimals(min_value=-(10**12), max_value=10**12, places=2),
    st.decimals(min_value=0, max_value=100, places=2),
)
rates = st.one_of(
    st.decimals(min_value=Decimal("0.000001"), max_value=1000, places=6),
    # two places like the reference rates: about one product in a hundred is a tie
    st.decimals(min_value=Decimal("0.01"), max_value=10, places=2),
    # a tie at every odd cent
    st.sampled_from([*FX_TO_USD.values(), Decimal("0.5"), Decimal("1.5"), Decimal("0.125")]),
)
batches = st.lists(st.tuples(amounts, rates), min_size=1, max_size=60)


# --- the reference rates --------------------------------------------------------------------


def test_the_reference_rates_are_exact_and_fit_the_scale():
    for currency, rate in FX_TO_USD.items():
        assert isinstance(rate, Decimal) and rate > 0, currency
        assert -rate.as_tuple().exponent <= FX_SCALE, (currency, rate)


def test_the_reference_rule_is_half_away_from_zero_and_floats_break_it():
    for amount, rate, usd in EDGE_CASES:
        assert reference(amount, rate) == usd, (amount, rate)
    # The float formulas this replaced get them wrong (each engine rounds floats its own way): the
    # cases bite.
    assert pl.select((pl.lit(5.50) * pl.lit(1.27)).round(2)).item() == 6.98
    assert duckdb.connect().execute("select round(cast(2.50 as double) * 1.27, 2)").fetchone()[0] == 3.17


# --- the lake: gold.usd in Polars -----------------------------------------------------------


def polars_usd(cases) -> list[Decimal | None]:
    frame = pl.DataFrame(
        {"amount": [c[0] for c in cases], "rate": [c[1] for c in cases]},
        schema={"amount": pl.Decimal(18, 2), "rate": pl.Decimal(18, FX_SCALE)},
    )
    result = frame.select(gold.usd(pl.col("amount"), pl.col("rate")))
    assert result.dtypes == [gold.USD]
    return result.to_series().to_list()


def test_polars_edge_cases():
    assert polars_usd(EDGE_CASES) == [usd for _, _, usd in EDGE_CASES]


@settings(max_examples=500, deadline=None)
@given(batches)
def test_polars_usd_is_the_decimal_rule(cases):
    assert polars_usd(cases) == [reference(amount, rate) for amount, rate in cases]


def ts(hour: int) -> datetime:
    return datetime(2026, 11, 3, hour, tzinfo=UTC)


def test_sales_round_each_line_once():
    money = pl.Decimal(18, 2)
    pos_tx = pl.DataFrame(
        {
            "transaction_id": ["T1", "T2"],
            "store_id": ["S004", "S002"],
            "customer_id": [None, None],
            "transaction_ts": [ts(10), ts(11)],
            "currency": ["GBP", "EUR"],
        }
    )
    pos_lines = pl.DataFrame(
        {
            "transaction_id": ["T1", "T1", "T1", "T2"],
            "line_number": [1, 2, 3, 1],
            "product_id": ["P1", "P2", "P3", "P4"],
            "quantity": [1, 1, 3, 3],
            "unit_price": [Decimal("5.50"), Decimal("2.50"), Decimal("1.50"), Decimal("9.99")],
            "discount_amount": [None, Decimal("0.50"), None, Decimal("0.99")],
        },
        schema_overrides={"line_number": pl.Int32, "quantity": pl.Int32, "unit_price": money, "discount_amount": money},
    )
    orders = pl.DataFrame(
        {
            "order_id": ["O1"],
            "customer_id": ["C1"],
            "created_at": [ts(12)],
            "currency": ["GBP"],
            "is_deleted": [False],
        }
    )
    items = pl.DataFrame(
        {
            "order_id": ["O1"],
            "line_number": [1],
            "product_id": ["P1"],
            "quantity": [2],
            "unit_price": [Decimal("2.75")],
        },
        schema_overrides={"line_number": pl.Int32, "quantity": pl.Int32, "unit_price": money},
    )

    lines, _ = gold.sales(pos_tx, pos_lines, orders, items)

    assert lines.schema == pl.Schema(gold.SALES_SCHEMA)
    amounts = {
        r[0]: r[1:] for r in lines.select("sale_line_id", "gross_amount_usd", "discount_usd", "net_amount_usd").rows()
    }
    assert amounts == {
        "pos:T1:1": (Decimal("6.99"), Decimal("0.00"), Decimal("6.99")),  # £5.50: 6.985
        "pos:T1:2": (Decimal("3.18"), Decimal("0.64"), Decimal("2.54")),  # £2.50: 3.175, £0.50: 0.635
        "pos:T1:3": (Decimal("5.72"), Decimal("0.00"), Decimal("5.72")),  # 3 x £1.50 = 5.715, not 3 x 1.91
        "pos:T2:1": (Decimal("32.37"), Decimal("1.07"), Decimal("31.30")),  # 3 x €9.99: 32.3676, €0.99: 1.0692
        "web:O1:1": (Decimal("6.99"), Decimal("0.00"), Decimal("6.99")),  # 2 x £2.75
    }


def test_stock_value_is_rounded_once_on_the_whole_stock():
    day = date(2026, 11, 3)
    snapshots = pl.DataFrame(
        {
            "snapshot_date": [day] * 4,
            "store_id": ["S001"] * 4,
            "product_id": ["P1", "P2", "P3", "P4"],
            "on_hand": [3, 7, 1, 2],
            "on_order": [0] * 4,
            "reorder_point": [0] * 4,
        },
        schema_overrides={c: pl.Int32 for c in ("on_hand", "on_order", "reorder_point")},
    )
    no_sales = pl.DataFrame(
        schema={
            "channel": pl.String,
            "sale_date": pl.Date,
            "store_id": pl.String,
            "product_id": pl.String,
            "quantity": pl.Int32,
        }
    )
    products = pl.DataFrame(
        {
            "product_id": ["P1", "P2", "P3", "P4"],
            "category": ["toys"] * 4,
            "unit_price": [Decimal("1.50"), Decimal("2.99"), Decimal("5.50"), Decimal("1.00")],
            "currency": ["GBP", "EUR", "GBP", "XXX"],
        },
        schema_overrides={"unit_price": pl.Decimal(18, 2)},
    )
    position = gold.inventory_position(snapshots, no_sales, products, day)
    assert position.schema["stock_value_usd"] == gold.USD
    assert position["stock_value_usd"].to_list() == [
        Decimal("5.72"),  # 3 x £1.50 = 5.715; a rounded unit price would give 3 x 1.91 = 5.73
        Decimal("22.60"),  # 7 x €2.99 = 22.6044; 7 x 3.23 = 22.61
        Decimal("6.99"),
        None,  # unknown currency
    ]


# --- the warehouse: the dbt macros as dbt renders them --------------------------------------

INLINE = (
    "select id, {{ convert_money('amount', 'rate') }} as by_rate, {{ to_usd('amount', 'currency') }} as by_currency "
    "from money_cases order by id"
)
CASES_TABLE = "money_cases (id integer, amount decimal(18, 2), rate decimal(18, 6), currency varchar)"


@pytest.fixture(scope="module")
def snowflake():
    with snowflake_server() as kwargs:
        yield kwargs


def dbt_env(extra: dict[str, str]) -> dict[str, str]:
    kept = {k: v for k, v in os.environ.items() if not k.startswith(("SNOWFLAKE_", "RETAIL_", "DBT_"))}
    return {**kept, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", **extra}


@pytest.fixture(scope="module")
def compiled(snowflake, tmp_path_factory) -> dict[str, str]:
    """INLINE compiled by dbt for a DuckDB target and a Snowflake target (the loopback emulator:
    dbt-snowflake logs in even to compile), both at once."""
    tmp = tmp_path_factory.mktemp("dbt")
    envs = {
        "local": dbt_env({"RETAIL_WAREHOUSE_PATH": str(tmp / "warehouse.duckdb")}),
        "dev": dbt_env(
            {
                "SNOWFLAKE_ACCOUNT": snowflake["account"],
                "SNOWFLAKE_USER": snowflake["user"],
                "SNOWFLAKE_PASSWORD": snowflake["password"],
                "SNOWFLAKE_HOST": snowflake["host"],
                "SNOWFLAKE_PORT": str(snowflake["port"]),
                "SNOWFLAKE_PROTOCOL": snowflake["protocol"],
            }
        ),
    }
    dbt = str(Path(sys.executable).parent / "dbt")
    running = {
        target: subprocess.Popen(
            [dbt, "compile", "--profiles-dir", ".", "--target", target, "--no-populate-cache"]
            + ["--target-path", str(tmp / target), "--log-path", str(tmp / target), "--log-format", "json"]
            + ["--inline", INLINE],
            cwd=DBT_PROJECT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for target, env in envs.items()
    }
    sql = {}
    for target, process in running.items():
        out, _ = process.communicate(timeout=300)
        events = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
        nodes = [e["data"]["compiled"] for e in events if e["info"]["name"] == "CompiledNode"]
        assert process.returncode == 0 and len(nodes) == 1, out[-3000:]
        sql[target] = nodes[0]
    return {"duckdb": sql["local"], "snowflake": sql["dev"]}


def values(cases) -> str:
    """Rows of CASES_TABLE as SQL literals: (amount, rate) or (amount, rate, currency)."""
    rows = []
    for i, (amount, rate, *currency) in enumerate(cases):
        code = f"'{currency[0]}'" if currency and currency[0] else "null"
        rows.append(f"({i}, {amount:f}, {rate:f}, {code})")
    return ", ".join(rows)


@pytest.fixture(scope="module")
def duckdb_run(compiled):
    con = duckdb.connect()

    def run(cases) -> list[tuple]:
        con.execute(f"create or replace table {CASES_TABLE}")
        con.execute(f"insert into money_cases values {values(cases)}")
        return con.execute(compiled["duckdb"]).fetchall()

    yield run
    con.close()


@pytest.fixture(scope="module")
def snowflake_run(snowflake, compiled):
    with snowflake_connector.connect(**snowflake) as conn:
        cur = conn.cursor()
        for statement in ("create database if not exists MONEY", "create schema if not exists MONEY.CASES"):
            cur.execute(statement)
        cur.execute("use schema MONEY.CASES")

        def run(cases) -> list[tuple]:
            cur.execute(f"create or replace table {CASES_TABLE}")
            cur.execute(f"insert into money_cases values {values(cases)}")
            return cur.execute(compiled["snowflake"]).fetchall()

        yield run


@pytest.fixture(params=["duckdb", "snowflake"])
def warehouse_run(request):
    return request.getfixturevalue(f"{request.param}_run")


def test_the_macros_render_no_float(compiled):
    for sql in compiled.values():
        assert not re.search(r"double|float|real|e-\d", sql, re.IGNORECASE), sql


def test_the_warehouse_rates_are_the_registry_rates(compiled, warehouse_run):
    for sql in compiled.values():
        rendered = dict(re.findall(r"when '(\w+)' then cast\('([0-9.]+)' as decimal\(38, 6\)\)", sql))
        assert {code: Decimal(rate) for code, rate in rendered.items()} == FX_TO_USD
    # A million shows all six places of a rate in the cents; a tie in GBP; unknown currencies.
    known = [(amount, Decimal(0), code) for code in FX_TO_USD for amount in (Decimal("1000000.00"), Decimal("5.50"))]
    unknown = [(Decimal("5.50"), Decimal(0), "XXX"), (Decimal("5.50"), Decimal(0), None)]
    expected = [reference(amount, FX_TO_USD[code]) for amount, _, code in known] + [None, None]
    assert [by_currency for _, _, by_currency in warehouse_run(known + unknown)] == expected


def test_warehouse_edge_cases(warehouse_run):
    by_rate = [usd for _, usd, _ in warehouse_run([(amount, rate) for amount, rate, _ in EDGE_CASES])]
    assert by_rate == [usd for _, _, usd in EDGE_CASES]
    assert all(isinstance(usd, Decimal) for usd in by_rate)  # 0.0 == Decimal("0.00") would hide a float


@settings(max_examples=300, deadline=None)
@given(cases=batches)
def test_the_macro_on_duckdb_is_the_decimal_rule(duckdb_run, cases):
    rows = duckdb_run(cases)
    assert [by_rate for _, by_rate, _ in rows] == [reference(amount, rate) for amount, rate in cases]


@settings(max_examples=100, deadline=None)
@given(cases=batches)
def test_the_macro_on_snowflake_is_the_decimal_rule(snowflake_run, cases):
    rows = snowflake_run(cases)
    assert [by_rate for _, by_rate, _ in rows] == [reference(amount, rate) for amount, rate in cases]
