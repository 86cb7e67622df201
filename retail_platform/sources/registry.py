"""One declaration per source table.

Bronze assets, silver assets and their checks are generated from ``TABLES``: adding a table to
the platform is adding one ``TableSpec`` here (and teaching the generator to emit it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Literal

import polars as pl

FileFormat = Literal["csv", "jsonl", "json"]

# The synthetic source systems' defaults (``RETAIL_SEED``, ``RETAIL_VOLUME``): the volume is ~ POS
# transaction lines on an average day; every table scales from it.
DEFAULT_SEED = 7
DEFAULT_VOLUME = 1000


# Texts that mean "no value" in a text column, as exports write them (compared after trimming,
# before the declared case). Not "NA": it is Namibia's country code. A token that is one of a
# column's accepted values ("none" is a loyalty tier) is a value there. In a typed column (number,
# date, timestamp, boolean) a token is not a value either: it fails the type rule and the row is
# quarantined with the text, which is what the generator's "N/A" numbers must be.
NULL_TOKENS: tuple[str, ...] = ("NULL", "null", "Null", "None", "none", "nil", "N/A", "n/a", "#N/A", "\\N", "-")

# How far after the end of the partition's day a timestamp may fall: the source systems' clocks and
# the exports' cut-off (a web session ends a few minutes after midnight, a ticket event is exported
# with its day up to ~2 h later). Later than this is the future: quarantined.
FUTURE_SKEW = timedelta(hours=6)
# Before this, a date is not a business date of this retailer (1900-01-01, 0001-01-01 defaults).
EARLIEST = date(1970, 1, 1)


@dataclass(frozen=True)
class TimeWindow:
    """Where a timestamp or date may fall around the partition's day: from ``days_before`` days
    before the day starts (None: from EARLIEST) to FUTURE_SKEW after it ends (a date: the day itself).
    Business time (when the sale happened) has a late-row allowance; audit and master-data time
    (``updated_at``, a signup date) only refuses the future and the distant past."""

    days_before: int | None = None


# Audit and master-data time: never in the future, never before EARLIEST.
AUDIT = TimeWindow()


@dataclass(frozen=True)
class Column:
    name: str
    dtype: pl.DataType | type[pl.DataType]
    required: bool = False
    # Values outside these send the row to quarantine (compared after normalisation).
    accepted: tuple[str, ...] | None = None
    # Plausible bounds (inclusive): generous, but finite so that gold's Decimal(18, 2) amounts
    # (quantity x price, stock x price) can never overflow for a row silver accepted.
    min_value: float | None = None
    max_value: float | None = None
    # Normalisation applied to text before casting.
    case: Literal["lower", "upper"] | None = None
    # Timestamps and dates: the window around the partition's day (see TimeWindow).
    window: TimeWindow | None = None

    @property
    def null_tokens(self) -> tuple[str, ...]:
        """The texts read as null in this column (text columns only; see NULL_TOKENS)."""
        if self.dtype != pl.String:
            return ()
        accepted = {a.lower() for a in self.accepted or ()}
        return tuple(t for t in NULL_TOKENS if t.lower() not in accepted)


@dataclass(frozen=True)
class CdcSpec:
    """Change-data-capture feed: every row is an event carrying the full after-image."""

    entity_key: tuple[str, ...]
    sequence_column: str  # log sequence number: orders events, breaks every tie
    operation_column: str  # insert | update | delete
    # How far an event's sequence number may lie above the partition's median one. The greatest
    # number wins an entity for good, so one absurd number (1e15 in a feed at 7.5e9) would freeze
    # the entity's state: such an event is quarantined instead. (The generator's numbers advance
    # 1e7 a day; a real log's by its bytes, well under 1e12 a day.)
    max_sequence_step: int = 10**12


@dataclass(frozen=True)
class FeedExpectations:
    """What a day's feed of a table must look like as a whole (checked per partition in silver).

    ``blocking``: the table is required for gold, so a failed expectation stops the day's
    downstream; otherwise the check warns. ``max_quarantined_share``: more quarantined rows than
    this is a broken export, not a few bad rows; judged from ``min_rows`` rows on (on a tiny day a
    couple of bad rows are a large share of nothing)."""

    blocking: bool
    max_quarantined_share: float = 0.2
    min_rows: int = 100
    # Business time that is mostly before the day means another day's export in this day's folder
    # (gold would count it twice, or on the wrong day); a few late rows are normal (~1-4%).
    late_column: str | None = None
    max_late_share: float = 0.2


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
    feed: FeedExpectations = FeedExpectations(blocking=False)

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

# Plausibility bounds, far above anything the source systems send (the generator's maxima: 5 units
# a line, a 340 price, 1,730 a ticket, 400 units on hand, 80 pages a session) and far below what
# gold's Decimal(18, 2) holds: quantity x unit price <= 1e9, on hand x price <= 1e11 (limit 1e16).
MAX_QUANTITY = 10_000
MAX_LINES = 10_000  # line numbers of one transaction or order
MAX_PRICE = 100_000  # a unit price, in its currency
MAX_AMOUNT = 10_000_000  # a transaction or order total, a discount
MAX_STOCK = 1_000_000  # units on hand, on order, reorder point
MAX_PAGES = 10_000
# Late-row allowances of business time, in days before the partition's day (the generator: store
# sales and web sessions 1-3 days late, order events of orders created up to 20 days before,
# ticket events of tickets opened up to 10 days before).
LATE_SALES = TimeWindow(days_before=14)
ORDER_EVENTS = TimeWindow(days_before=7)
ORDER_CREATION = TimeWindow(days_before=60)
TICKET_OPENING = TimeWindow(days_before=90)

# The tables gold is built from: a failed feed expectation there blocks the day downstream.
REQUIRED_FOR_GOLD = FeedExpectations(blocking=True)

TABLES: tuple[TableSpec, ...] = (
    TableSpec(
        source="pos",
        table="pos_transactions",
        file_format="csv",
        primary_key=("transaction_id",),
        ordering_column="updated_at",
        description="Store till transactions (header), exported as CSV by each store's POS.",
        feed=FeedExpectations(blocking=True, late_column="transaction_ts"),
        columns=(
            Column("transaction_id", pl.String, required=True),
            Column("store_id", pl.String, required=True),
            Column("register_id", pl.String),
            Column("customer_id", pl.String),
            Column("transaction_ts", TS, required=True, window=LATE_SALES),
            Column("currency", pl.String, required=True, accepted=CURRENCIES, case="upper"),
            Column("payment_method", pl.String, accepted=("cash", "card", "mobile", "gift_card"), case="lower"),
            Column("total_amount", MONEY, required=True, max_value=MAX_AMOUNT),
            Column("updated_at", TS, required=True, window=AUDIT),
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
        feed=FeedExpectations(blocking=True, late_column="updated_at"),
        columns=(
            Column("transaction_id", pl.String, required=True),
            Column("line_number", pl.Int32, required=True, min_value=1, max_value=MAX_LINES),
            Column("product_id", pl.String, required=True),
            Column("quantity", pl.Int32, required=True, min_value=1, max_value=MAX_QUANTITY),
            Column("unit_price", MONEY, required=True, min_value=0, max_value=MAX_PRICE),
            Column("discount_amount", MONEY, min_value=0, max_value=MAX_AMOUNT),
            Column("updated_at", TS, required=True, window=AUDIT),
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
        feed=FeedExpectations(blocking=True, late_column="event_ts"),
        columns=(
            Column("lsn", pl.Int64, required=True, min_value=1),
            Column("op", pl.String, required=True, accepted=("insert", "update", "delete"), case="lower"),
            Column("event_ts", TS, required=True, window=ORDER_EVENTS),
            Column("order_id", pl.String, required=True),
            Column("customer_id", pl.String),
            Column("session_id", pl.String),
            Column("status", pl.String, accepted=ORDER_STATUSES, case="lower"),
            Column("currency", pl.String, accepted=CURRENCIES, case="upper"),
            Column("order_total", MONEY, min_value=0, max_value=MAX_AMOUNT),
            Column("shipping_country", pl.String, case="upper"),
            Column("created_at", TS, window=ORDER_CREATION),
            Column("updated_at", TS, required=True, window=AUDIT),
        ),
    ),
    TableSpec(
        source="orders",
        table="order_items",
        file_format="jsonl",
        primary_key=("order_id", "line_number"),
        ordering_column="updated_at",
        description="Items of e-commerce orders, exported when the order is placed.",
        feed=FeedExpectations(blocking=True, late_column="updated_at"),
        columns=(
            Column("order_id", pl.String, required=True),
            Column("line_number", pl.Int32, required=True, min_value=1, max_value=MAX_LINES),
            Column("product_id", pl.String, required=True),
            Column("quantity", pl.Int32, required=True, min_value=1, max_value=MAX_QUANTITY),
            Column("unit_price", MONEY, required=True, min_value=0, max_value=MAX_PRICE),
            Column("updated_at", TS, required=True, window=AUDIT),
        ),
    ),
    TableSpec(
        source="inventory",
        table="inventory_snapshots",
        file_format="csv",
        primary_key=("snapshot_date", "store_id", "product_id"),
        ordering_column="updated_at",
        description="End-of-day on-hand stock per store and product.",
        feed=REQUIRED_FOR_GOLD,
        columns=(
            # A snapshot is of the file's day: another day's export in this folder is refused.
            Column("snapshot_date", pl.Date, required=True, window=TimeWindow(days_before=0)),
            Column("store_id", pl.String, required=True),
            Column("product_id", pl.String, required=True),
            Column("on_hand", pl.Int32, required=True, min_value=0, max_value=MAX_STOCK),
            Column("on_order", pl.Int32, min_value=0, max_value=MAX_STOCK),
            Column("reorder_point", pl.Int32, min_value=0, max_value=MAX_STOCK),
            Column("updated_at", TS, required=True, window=AUDIT),
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
            Column("signup_date", pl.Date, window=AUDIT),
            Column("updated_at", TS, required=True, window=AUDIT),
        ),
    ),
    TableSpec(
        source="products",
        table="products",
        file_format="json",
        primary_key=("product_id",),
        ordering_column="updated_at",
        description="Product catalog: new products and price/category changes.",
        feed=REQUIRED_FOR_GOLD,
        columns=(
            Column("product_id", pl.String, required=True),
            Column("sku", pl.String, required=True, case="upper"),
            Column("name", pl.String),
            Column("category", pl.String, required=True),
            Column("subcategory", pl.String),
            Column("brand", pl.String),
            Column("unit_price", MONEY, required=True, min_value=0, max_value=MAX_PRICE),
            Column("currency", pl.String, required=True, accepted=CURRENCIES, case="upper"),
            Column("is_active", pl.Boolean),
            Column("updated_at", TS, required=True, window=AUDIT),
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
            Column("opened_date", pl.Date, window=AUDIT),
            Column("square_meters", pl.Int32, min_value=0, max_value=1_000_000),
            Column("updated_at", TS, required=True, window=AUDIT),
        ),
    ),
    TableSpec(
        source="web",
        table="web_sessions",
        file_format="jsonl",
        primary_key=("session_id",),
        ordering_column="updated_at",
        description="Web sessions; converting sessions carry the order they produced.",
        feed=FeedExpectations(blocking=False, late_column="started_at"),
        columns=(
            Column("session_id", pl.String, required=True),
            Column("customer_id", pl.String),
            Column("started_at", TS, required=True, window=LATE_SALES),
            Column("ended_at", TS, window=LATE_SALES),
            Column("device", pl.String, accepted=("desktop", "mobile", "tablet"), case="lower"),
            Column("traffic_source", pl.String, case="lower"),
            Column("pages_viewed", pl.Int32, min_value=0, max_value=MAX_PAGES),
            Column("converted", pl.Boolean),
            Column("order_id", pl.String),
            Column("updated_at", TS, required=True, window=AUDIT),
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
            Column("opened_at", TS, required=True, window=TICKET_OPENING),
            Column("closed_at", TS, window=TICKET_OPENING),
            Column("status", pl.String, required=True, accepted=("open", "pending", "closed"), case="lower"),
            Column("priority", pl.String, accepted=("low", "medium", "high", "urgent"), case="lower"),
            Column("category", pl.String, case="lower"),
            Column("updated_at", TS, required=True, window=AUDIT),
        ),
    ),
)

TABLES_BY_NAME: dict[str, TableSpec] = {t.table: t for t in TABLES}


def table_spec(table: str) -> TableSpec:
    try:
        return TABLES_BY_NAME[table]
    except KeyError:
        raise KeyError(f"unknown source table {table!r}; declared tables: {sorted(TABLES_BY_NAME)}") from None
