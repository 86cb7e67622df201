"""One declaration per source table.

Bronze assets, silver assets and their checks are generated from ``TABLES``: adding a table to
the platform is adding one ``TableSpec`` here (and teaching the generator to emit it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

import polars as pl

FileFormat = Literal["csv", "jsonl", "json"]

# The synthetic source systems' defaults (``RETAIL_SEED``, ``RETAIL_VOLUME``): the volume is ~ POS
# transaction lines on an average day; every table scales from it.
DEFAULT_SEED = 7
DEFAULT_VOLUME = 1000


@dataclass(frozen=True)
class Column:
    name: str
    dtype: pl.DataType | type[pl.DataType]
    required: bool = False
    # Values outside these send the row to quarantine (compared after normalisation).
    accepted: tuple[str, ...] | None = None
    min_value: float | None = None
    # Normalisation applied to text before casting.
    case: Literal["lower", "upper"] | None = None


@dataclass(frozen=True)
class CdcSpec:
    """Change-data-capture feed: every row is an event carrying the full after-image."""

    entity_key: tuple[str, ...]
    sequence_column: str  # log sequence number: orders events, breaks every tie
    operation_column: str  # insert | update | delete


@dataclass(frozen=True)
class TableSpec:
    source: str
    table: str
    file_format: FileFormat
    primary_key: tuple[str, ...]
    columns: tuple[Column, ...]
    # The column that picks the surviving version of a key (latest wins).
    ordering_column: str
    cdc: CdcSpec | None = None
    description: str = ""
    # Referential integrity that silver can check on its own partition.
    foreign_keys: dict[str, str] = field(default_factory=dict)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


TS = pl.Datetime("us", "UTC")
MONEY = pl.Decimal(18, 2)
CURRENCIES = ("USD", "EUR", "GBP")
# Reference FX rates (1 unit of the currency in USD). Sources price in their own currency; gold
# converts everything to USD with these (transforms.gold.usd), the warehouse with the same values
# (macro fx_rates). Exact decimals with at most FX_SCALE places, so that cents x rate is exact in
# 2 + FX_SCALE places (test_money checks the bound, and that the warehouse's copy is equal).
FX_SCALE = 6
FX_TO_USD: dict[str, Decimal] = {"USD": Decimal("1"), "EUR": Decimal("1.08"), "GBP": Decimal("1.27")}
ORDER_STATUSES = ("created", "paid", "shipped", "delivered", "canceled", "refunded")

TABLES: tuple[TableSpec, ...] = (
    TableSpec(
        source="pos",
        table="pos_transactions",
        file_format="csv",
        primary_key=("transaction_id",),
        ordering_column="updated_at",
        description="Store till transactions (header), exported as CSV by each store's POS.",
        columns=(
            Column("transaction_id", pl.String, required=True),
            Column("store_id", pl.String, required=True),
            Column("register_id", pl.String),
            Column("customer_id", pl.String),
            Column("transaction_ts", TS, required=True),
            Column("currency", pl.String, required=True, accepted=CURRENCIES, case="upper"),
            Column("payment_method", pl.String, accepted=("cash", "card", "mobile", "gift_card"), case="lower"),
            Column("total_amount", MONEY, required=True),
            Column("updated_at", TS, required=True),
        ),
    ),
    TableSpec(
        source="pos",
        table="pos_transaction_lines",
        file_format="csv",
        primary_key=("transaction_id", "line_number"),
        ordering_column="updated_at",
        description="Lines of store till transactions.",
        foreign_keys={"transaction_id": "pos_transactions"},
        columns=(
            Column("transaction_id", pl.String, required=True),
            Column("line_number", pl.Int32, required=True, min_value=1),
            Column("product_id", pl.String, required=True),
            Column("quantity", pl.Int32, required=True, min_value=1),
            Column("unit_price", MONEY, required=True, min_value=0),
            Column("discount_amount", MONEY, min_value=0),
            Column("updated_at", TS, required=True),
        ),
    ),
    TableSpec(
        source="orders",
        table="orders",
        file_format="jsonl",
        primary_key=("lsn",),
        ordering_column="lsn",
        cdc=CdcSpec(entity_key=("order_id",), sequence_column="lsn", operation_column="op"),
        description="E-commerce order change events (insert/update/delete) from the OLTP log.",
        columns=(
            Column("lsn", pl.Int64, required=True, min_value=1),
            Column("op", pl.String, required=True, accepted=("insert", "update", "delete"), case="lower"),
            Column("event_ts", TS, required=True),
            Column("order_id", pl.String, required=True),
            Column("customer_id", pl.String),
            Column("session_id", pl.String),
            Column("status", pl.String, accepted=ORDER_STATUSES, case="lower"),
            Column("currency", pl.String, accepted=CURRENCIES, case="upper"),
            Column("order_total", MONEY, min_value=0),
            Column("shipping_country", pl.String, case="upper"),
            Column("created_at", TS),
            Column("updated_at", TS, required=True),
        ),
    ),
    TableSpec(
        source="orders",
        table="order_items",
        file_format="jsonl",
        primary_key=("order_id", "line_number"),
        ordering_column="updated_at",
        description="Items of e-commerce orders, exported when the order is placed.",
        columns=(
            Column("order_id", pl.String, required=True),
            Column("line_number", pl.Int32, required=True, min_value=1),
            Column("product_id", pl.String, required=True),
            Column("quantity", pl.Int32, required=True, min_value=1),
            Column("unit_price", MONEY, required=True, min_value=0),
            Column("updated_at", TS, required=True),
        ),
    ),
    TableSpec(
        source="inventory",
        table="inventory_snapshots",
        file_format="csv",
        primary_key=("snapshot_date", "store_id", "product_id"),
        ordering_column="updated_at",
        description="End-of-day on-hand stock per store and product.",
        columns=(
            Column("snapshot_date", pl.Date, required=True),
            Column("store_id", pl.String, required=True),
            Column("product_id", pl.String, required=True),
            Column("on_hand", pl.Int32, required=True, min_value=0),
            Column("on_order", pl.Int32, min_value=0),
            Column("reorder_point", pl.Int32, min_value=0),
            Column("updated_at", TS, required=True),
        ),
    ),
    TableSpec(
        source="customers",
        table="customers",
        file_format="jsonl",
        primary_key=("customer_id",),
        ordering_column="updated_at",
        description="Customer master data: new customers and changes (address, email, loyalty tier).",
        columns=(
            Column("customer_id", pl.String, required=True),
            Column("first_name", pl.String),
            Column("last_name", pl.String),
            Column("email", pl.String, case="lower"),
            Column("phone", pl.String),
            Column("address", pl.String),
            Column("city", pl.String),
            Column("country", pl.String, case="upper"),
            Column("loyalty_tier", pl.String, accepted=("none", "silver", "gold", "platinum"), case="lower"),
            Column("signup_date", pl.Date),
            Column("updated_at", TS, required=True),
        ),
    ),
    TableSpec(
        source="products",
        table="products",
        file_format="json",
        primary_key=("product_id",),
        ordering_column="updated_at",
        description="Product catalog: new products and price/category changes.",
        columns=(
            Column("product_id", pl.String, required=True),
            Column("sku", pl.String, required=True, case="upper"),
            Column("name", pl.String),
            Column("category", pl.String, required=True),
            Column("subcategory", pl.String),
            Column("brand", pl.String),
            Column("unit_price", MONEY, required=True, min_value=0),
            Column("currency", pl.String, required=True, accepted=CURRENCIES, case="upper"),
            Column("is_active", pl.Boolean),
            Column("updated_at", TS, required=True),
        ),
    ),
    TableSpec(
        source="stores",
        table="stores",
        file_format="json",
        primary_key=("store_id",),
        ordering_column="updated_at",
        description="Store master (full export every day).",
        columns=(
            Column("store_id", pl.String, required=True),
            Column("name", pl.String),
            Column("city", pl.String),
            Column("country", pl.String, case="upper"),
            Column("region", pl.String),
            Column("currency", pl.String, required=True, accepted=CURRENCIES, case="upper"),
            Column("opened_date", pl.Date),
            Column("square_meters", pl.Int32, min_value=0),
            Column("updated_at", TS, required=True),
        ),
    ),
    TableSpec(
        source="web",
        table="web_sessions",
        file_format="jsonl",
        primary_key=("session_id",),
        ordering_column="updated_at",
        description="Web sessions; converting sessions carry the order they produced.",
        columns=(
            Column("session_id", pl.String, required=True),
            Column("customer_id", pl.String),
            Column("started_at", TS, required=True),
            Column("ended_at", TS),
            Column("device", pl.String, accepted=("desktop", "mobile", "tablet"), case="lower"),
            Column("traffic_source", pl.String, case="lower"),
            Column("pages_viewed", pl.Int32, min_value=0),
            Column("converted", pl.Boolean),
            Column("order_id", pl.String),
            Column("updated_at", TS, required=True),
        ),
    ),
    TableSpec(
        source="support",
        table="support_tickets",
        file_format="csv",
        primary_key=("ticket_id",),
        ordering_column="updated_at",
        description="Customer support tickets and their status changes.",
        columns=(
            Column("ticket_id", pl.String, required=True),
            Column("customer_id", pl.String, required=True),
            Column("order_id", pl.String),
            Column("opened_at", TS, required=True),
            Column("closed_at", TS),
            Column("status", pl.String, required=True, accepted=("open", "pending", "closed"), case="lower"),
            Column("priority", pl.String, accepted=("low", "medium", "high", "urgent"), case="lower"),
            Column("category", pl.String, case="lower"),
            Column("updated_at", TS, required=True),
        ),
    ),
)

TABLES_BY_NAME: dict[str, TableSpec] = {t.table: t for t in TABLES}


def table_spec(table: str) -> TableSpec:
    try:
        return TABLES_BY_NAME[table]
    except KeyError:
        raise KeyError(f"unknown source table {table!r}; declared tables: {sorted(TABLES_BY_NAME)}") from None
