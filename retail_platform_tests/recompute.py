"""The distrustful analyst's recomputation of the sales marts from the raw landing files alone.

Independent of the platform's code: the only thing shared is the contract, the table declarations
of ``retail_platform.sources.registry`` (columns, types, required, accepted values, minimums,
primary keys, ordering column, FX rates). Plain Python with ``decimal`` and the standard csv/json
readers: no Polars cast, no DuckDB, nothing of the lake, so no parsing or rounding behaviour is
borrowed from what is being checked.

Rules the README/docs leave open, and the reading chosen here (GUESS):
- a money text is a plain decimal with at most the declared scale ("12.345" is invalid, not
  rounded); an integer text is ``[+-]digits`` within the type's range;
- a timestamp is ISO 8601 with ``T`` or a space, optional fraction, ``Z``, an offset or none (UTC);
- a version is picked among the VALID rows only (an invalid later row does not hide a valid one);
  ties on the ordering value go to the later row of the file, then to the later partition;
- a POS line joins its transaction's latest valid version over all partitions, an order item
  its order's current state (every CDC event of every partition); then one line per sale_line_id,
  the latest partition winning;
- a customer's store transactions are counted from their sale lines (a basket, as in
  ``orders_or_transactions``), not from transaction headers without a valid line;
- current customers: every customer_id with a valid row in any partition.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import polars as pl

from retail_platform.sources.registry import FX_TO_USD, Column, TableSpec, table_spec

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
CANCELED_OR_REFUNDED = ("canceled", "refunded")
# A day is loaded when one of the daily feeds has rows in its partition (docs/metrics.md, dim_date).
DAILY_FEEDS = ("pos_transactions", "orders", "web_sessions", "inventory_snapshots")

_INT_RANGES = ((pl.Int32, -(2**31), 2**31 - 1), (pl.Int64, -(2**63), 2**63 - 1))
_INTEGER = re.compile(r"[+-]?\d+")
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})?")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TRUE, _FALSE = {"true", "t", "yes", "y", "1"}, {"false", "f", "no", "n", "0"}


class Invalid(ValueError):
    """A text that is not a value of its column's declared type."""


Row = dict[str, object]
Convert = Callable[[Decimal, str], Decimal]


# ---------------------------------------------------------------------------------------------
# Landing files -> text rows
# ---------------------------------------------------------------------------------------------


def landing_partitions(landing: Path, table: str) -> dict[date, list[Path]]:
    """The table's landing files per partition day: ``<source>/<table>/dt=YYYY-MM-DD/*.<format>``."""
    spec = table_spec(table)
    partitions: dict[date, list[Path]] = {}
    for folder in sorted((landing / spec.source / table).glob("dt=*")):
        partitions[date.fromisoformat(folder.name.removeprefix("dt="))] = sorted(folder.glob(f"*.{spec.file_format}"))
    return partitions


def _json_text(value: object) -> str | None:
    # Numbers were parsed as their literal text (parse_float/parse_int=str): nothing goes through a float.
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value)


def read_text_rows(path: Path, file_format: str) -> list[dict[str, str | None]]:
    """Every row of a landing file, every value as the text it was written (JSON null -> None)."""
    content = path.read_text(encoding="utf-8")
    if not content.strip():
        return []
    if file_format == "csv":
        return list(csv.DictReader(io.StringIO(content, newline="")))
    if file_format == "jsonl":
        records = [json.loads(line, parse_float=str, parse_int=str) for line in content.splitlines() if line.strip()]
    elif file_format == "json":
        records = json.loads(content, parse_float=str, parse_int=str)
    else:
        raise ValueError(f"{path}: unknown format {file_format}")
    return [{k: _json_text(v) for k, v in record.items()} for record in records]


# ---------------------------------------------------------------------------------------------
# Cleaning: normalise, cast, validate, latest version per key
# ---------------------------------------------------------------------------------------------


def normalise(column: Column, raw: str | None) -> str | None:
    """Trim, empty -> None, the declared case."""
    if raw is None:
        return None
    text = raw.strip()
    if text == "":
        return None
    if column.case == "lower":
        return text.lower()
    if column.case == "upper":
        return text.upper()
    return text


def cast(column: Column, text: str) -> object:
    """The text as a value of the declared type; ``Invalid`` if it is not one."""
    dtype = column.dtype
    if dtype == pl.String:
        return text
    if isinstance(dtype, pl.Decimal):
        # GUESS: at most the declared scale; more digits are invalid, not rounded.
        scale = dtype.scale or 0
        pattern = rf"[+-]?\d+(\.\d{{1,{scale}}})?" if scale else r"[+-]?\d+"
        if not re.fullmatch(pattern, text):
            raise Invalid(text)
        return Decimal(text)
    for int_type, low, high in _INT_RANGES:
        if dtype == int_type:
            if not _INTEGER.fullmatch(text) or not low <= int(text) <= high:
                raise Invalid(text)
            return int(text)
    if isinstance(dtype, pl.Datetime) or dtype == pl.Datetime:
        if not _TIMESTAMP.fullmatch(text):
            raise Invalid(text)
        try:
            parsed = datetime.fromisoformat(text.replace(" ", "T", 1))
        except ValueError:  # "2026-03-02T25:61:00Z": the right shape, not a time
            raise Invalid(text) from None
        # GUESS: a timestamp without zone is UTC (as the export's own "Z" ones are).
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    if dtype == pl.Date:
        if not _DATE.fullmatch(text):
            raise Invalid(text)
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise Invalid(text) from None
    if dtype == pl.Boolean:
        if text.lower() in _TRUE:
            return True
        if text.lower() in _FALSE:
            return False
        raise Invalid(text)
    raise NotImplementedError(f"no cast for {column.name}: {dtype}")


def problems(spec: TableSpec, raw: dict[str, str | None]) -> tuple[Row, list[str]]:
    """The row typed by the declaration (undeclared columns dropped, a missing column is null), and
    every rule it breaks."""
    row: Row = {}
    broken: list[str] = []
    for column in spec.columns:
        text = normalise(column, raw.get(column.name))
        value = None
        if text is None:
            if column.required:
                broken.append(f"missing required {column.name}")
        else:
            try:
                value = cast(column, text)
            except Invalid:
                broken.append(f"invalid {column.name}: {text!r}")
        if value is not None and column.accepted is not None and value not in column.accepted:
            broken.append(f"unexpected {column.name}: {text!r}")
        if value is not None and column.min_value is not None and value < column.min_value:
            broken.append(f"{column.name} below {column.min_value}: {text!r}")
        row[column.name] = value
    return row, broken


@dataclass
class CleanPartition:
    rows: list[Row]  # one per primary key: the latest valid version
    quarantined: list[tuple[dict[str, str | None], list[str]]] = field(default_factory=list)


def clean(spec: TableSpec, raw_rows: list[dict[str, str | None]]) -> CleanPartition:
    """A partition's valid rows, latest version per primary key by the ordering column (ties: the
    later row); the invalid rows with their reasons."""
    latest: dict[tuple, tuple[tuple, Row]] = {}
    quarantined = []
    for position, raw in enumerate(raw_rows):
        row, broken = problems(spec, raw)
        if broken:
            quarantined.append((raw, broken))
            continue
        key = tuple(row[k] for k in spec.primary_key)
        rank = (row[spec.ordering_column], position)
        if key not in latest or rank >= latest[key][0]:
            latest[key] = (rank, row)
    # landing order of the survivors
    survivors = sorted(latest.values(), key=lambda ranked: ranked[0][1])
    return CleanPartition(rows=[row for _, row in survivors], quarantined=quarantined)


def latest_over_partitions(spec: TableSpec, partitions: dict[date, CleanPartition]) -> dict[tuple, Row]:
    """Primary key -> the latest valid version over every partition (ties: the later partition)."""
    latest: dict[tuple, tuple[tuple, Row]] = {}
    for day in sorted(partitions):
        for row in partitions[day].rows:
            key = tuple(row[k] for k in spec.primary_key)
            rank = (row[spec.ordering_column], day)
            if key not in latest or rank >= latest[key][0]:
                latest[key] = (rank, row)
    return {key: row for key, (_, row) in latest.items()}


def clean_table(landing: Path, table: str) -> dict[date, CleanPartition]:
    spec = table_spec(table)
    return {
        day: clean(spec, [row for path in paths for row in read_text_rows(path, spec.file_format)])
        for day, paths in landing_partitions(landing, table).items()
    }


# ---------------------------------------------------------------------------------------------
# Money
# ---------------------------------------------------------------------------------------------


def to_usd(amount: Decimal, currency: str) -> Decimal:
    """The exact product with the reference rate, rounded once to the cent, half away from zero."""
    return (amount * FX_TO_USD[currency]).quantize(CENT, rounding=ROUND_HALF_UP)


def float_to_usd(amount: Decimal, currency: str) -> Decimal:
    """The conversion the money rule forbids, as float libraries round (numpy, Polars' Float64
    ``round(2)``): amount x rate as floats, scaled to cents, ties to even. 5.50 x 1.27 x 100 is
    698.5 as a float, so 6.98 instead of 6.99."""
    return Decimal(round(float(amount) * float(FX_TO_USD[currency]) * 100)) * CENT


def money_ratio(amount: Decimal, count: int) -> Decimal:
    """``amount / count`` rounded once to the cent, half away from zero, in exact integer arithmetic."""
    cents = int(amount * 100)
    quotient, remainder = divmod(abs(cents), count)
    if 2 * remainder >= count:
        quotient += 1
    return (Decimal(quotient if cents >= 0 else -quotient) * CENT).quantize(CENT)


# ---------------------------------------------------------------------------------------------
# Orders: CDC replay
# ---------------------------------------------------------------------------------------------


def order_states(events_by_day: dict[date, CleanPartition]) -> dict[str, Row]:
    """Every order's current state: its event with the greatest LSN over every partition; a delete
    is a tombstone (``is_deleted``), never resurrected by an older event."""
    states: dict[str, Row] = {}
    for day in sorted(events_by_day):
        for event in events_by_day[day].rows:
            current = states.get(event["order_id"])
            if current is None or event["lsn"] > current["lsn"]:
                states[event["order_id"]] = {**event, "is_deleted": event["op"] == "delete"}
    return states


# ---------------------------------------------------------------------------------------------
# Sale lines
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SaleLine:
    sale_line_id: str
    channel: str
    sale_ts: datetime | None  # an order without created_at has no sale date
    basket_id: str  # store transaction or online order
    customer_id: str | None
    product_id: str
    quantity: int
    currency: str
    gross_local: Decimal  # quantity x unit price, in the sale's currency
    discount_local: Decimal
    partition: date

    @property
    def sale_date(self) -> date | None:
        return None if self.sale_ts is None else self.sale_ts.astimezone(UTC).date()

    def usd(self, convert: Convert = to_usd) -> tuple[Decimal, Decimal, Decimal]:
        """(gross, discount, net) in USD: each amount converted once, net = gross - discount."""
        gross, discount = convert(self.gross_local, self.currency), convert(self.discount_local, self.currency)
        return gross, discount, gross - discount


def store_lines(day: date, lines: CleanPartition, transactions: dict[str, Row]) -> list[SaleLine]:
    """The partition's POS lines that have a valid transaction: date, customer and currency come
    from the transaction."""
    sale_lines = []
    for line in lines.rows:
        header = transactions.get(line["transaction_id"])
        if header is None:
            continue
        sale_lines.append(
            SaleLine(
                sale_line_id=f"pos:{line['transaction_id']}:{line['line_number']}",
                channel="store",
                sale_ts=header["transaction_ts"],
                basket_id=line["transaction_id"],
                customer_id=header["customer_id"],
                product_id=line["product_id"],
                quantity=line["quantity"],
                currency=header["currency"],
                gross_local=line["quantity"] * line["unit_price"],
                discount_local=line["discount_amount"] or Decimal(0),
                partition=day,
            )
        )
    return sale_lines


def online_lines(day: date, items: CleanPartition, orders: dict[str, Row]) -> list[SaleLine]:
    """The partition's order items whose order is not deleted: dated at the order's creation, in
    its currency, for its customer; online lines carry no discount."""
    sale_lines = []
    for item in items.rows:
        order = orders.get(item["order_id"])
        if order is None or order["is_deleted"]:
            continue
        sale_lines.append(
            SaleLine(
                sale_line_id=f"web:{item['order_id']}:{item['line_number']}",
                channel="online",
                sale_ts=order["created_at"],
                basket_id=item["order_id"],
                customer_id=order["customer_id"],
                product_id=item["product_id"],
                quantity=item["quantity"],
                currency=order["currency"],
                gross_local=item["quantity"] * item["unit_price"],
                discount_local=Decimal(0),
                partition=day,
            )
        )
    return sale_lines


def latest_arrival(lines: list[SaleLine]) -> list[SaleLine]:
    """One line per sale_line_id: a line re-sent in a later partition replaces the earlier one."""
    latest: dict[str, SaleLine] = {}
    for line in sorted(lines, key=lambda line: line.partition):
        latest[line.sale_line_id] = line
    return sorted(latest.values(), key=lambda line: line.sale_line_id)


# ---------------------------------------------------------------------------------------------
# Products: SCD2 by updated_at
# ---------------------------------------------------------------------------------------------


def product_versions(products_by_day: dict[date, CleanPartition]) -> dict[str, list[Row]]:
    """Every product's versions in updated_at order (the same updated_at seen again: the later
    partition's copy)."""
    by_time: dict[str, dict[datetime, Row]] = defaultdict(dict)
    for day in sorted(products_by_day):
        for product in products_by_day[day].rows:
            by_time[product["product_id"]][product["updated_at"]] = product
    return {pid: [versions[t] for t in sorted(versions)] for pid, versions in by_time.items()}


def version_at(versions: list[Row], ts: datetime) -> Row:
    """The version in force at ``ts``; a sale before the first known version gets the first."""
    in_force = [v for v in versions if v["updated_at"] <= ts]
    return in_force[-1] if in_force else versions[0]


# ---------------------------------------------------------------------------------------------
# The recomputation
# ---------------------------------------------------------------------------------------------


@dataclass
class Recomputed:
    reported_days: list[date]
    lines: list[SaleLine]  # every sale line (any sale date)
    orders: dict[str, Row]  # the current state of every order, tombstones included
    customers: set[str]  # current customers
    category_of: dict[str, str]  # sale_line_id -> category of the product version at the sale
    quarantined: dict[str, int]

    @property
    def reported_lines(self) -> list[SaleLine]:
        days = set(self.reported_days)
        return [line for line in self.lines if line.sale_date in days]


def recompute(landing: Path) -> Recomputed:
    tables = {
        table: clean_table(landing, table)
        for table in (*DAILY_FEEDS, "pos_transaction_lines", "order_items", "products", "customers")
    }
    reported_days = sorted({day for table in DAILY_FEEDS for day, partition in tables[table].items() if partition.rows})
    transactions = {
        key[0]: row
        for key, row in latest_over_partitions(table_spec("pos_transactions"), tables["pos_transactions"]).items()
    }
    # Not-deleted by the order's CURRENT state: a deleted order is no order (docs/metrics.md).
    orders = order_states(tables["orders"])
    lines: list[SaleLine] = []
    for day, partition in tables["pos_transaction_lines"].items():
        lines += store_lines(day, partition, transactions)
    for day, partition in tables["order_items"].items():
        lines += online_lines(day, partition, orders)
    lines = latest_arrival(lines)

    versions = product_versions(tables["products"])
    category_of = {
        line.sale_line_id: version_at(versions[line.product_id], line.sale_ts)["category"]
        for line in lines
        if line.sale_ts is not None
    }
    customers = {key[0] for key in latest_over_partitions(table_spec("customers"), tables["customers"])}
    return Recomputed(
        reported_days=reported_days,
        lines=lines,
        orders=orders,
        customers=customers,
        category_of=category_of,
        quarantined={t: sum(len(p.quarantined) for p in parts.values()) for t, parts in tables.items()},
    )


# ---------------------------------------------------------------------------------------------
# The marts
# ---------------------------------------------------------------------------------------------


def _sums(lines: list[SaleLine], convert: Convert) -> dict[str, object]:
    amounts = [line.usd(convert) for line in lines]
    return {
        "sale_lines": len(lines),
        "units_sold": sum(line.quantity for line in lines),
        "gross_revenue_usd": sum((gross for gross, _, _ in amounts), ZERO),
        "discount_usd": sum((discount for _, discount, _ in amounts), ZERO),
        "net_revenue_usd": sum((net for _, _, net in amounts), ZERO),
        "orders_or_transactions": len({line.basket_id for line in lines}),
    }


def _grouped(lines: list[SaleLine], key: Callable[[SaleLine], object]) -> dict[object, list[SaleLine]]:
    groups: dict[object, list[SaleLine]] = defaultdict(list)
    for line in lines:
        groups[key(line)].append(line)
    return groups


def agg_daily_sales(r: Recomputed, convert: Convert = to_usd) -> dict[tuple[date, str], dict[str, object]]:
    """(sale_date, channel) -> the figures of agg_daily_sales."""
    rows = {}
    for key, lines in _grouped(r.reported_lines, lambda line: (line.sale_date, line.channel)).items():
        row = _sums(lines, convert)
        row["distinct_customers"] = len({line.customer_id for line in lines} - {None})
        row["avg_basket_usd"] = money_ratio(row["net_revenue_usd"], row["orders_or_transactions"])
        rows[key] = row
    return rows


def agg_sales_by_category(r: Recomputed, convert: Convert = to_usd) -> dict[tuple[date, str], dict[str, object]]:
    """(sale_date, category) -> the figures of agg_sales_by_category (no discount column there)."""
    rows = {}
    for key, lines in _grouped(
        r.reported_lines, lambda line: (line.sale_date, r.category_of[line.sale_line_id])
    ).items():
        row = _sums(lines, convert)
        del row["discount_usd"]
        row["distinct_products"] = len({line.product_id for line in lines})
        rows[key] = row
    return rows


def mart_customer_360(r: Recomputed, convert: Convert = to_usd) -> dict[str, dict[str, object]]:
    """customer_id -> lifetime figures over the reported days, for every current customer."""
    days = set(r.reported_days)
    rows = {
        customer: {
            "lifetime_orders": 0,
            "canceled_or_refunded_orders": 0,
            "lifetime_store_transactions": 0,
            "lifetime_revenue_usd": ZERO,
            "lifetime_canceled_or_refunded_usd": ZERO,
        }
        for customer in r.customers
    }
    for order in r.orders.values():
        # orders count by creation date, in their current state; a deleted order is no order
        created = order["created_at"]
        if order["customer_id"] in rows and not order["is_deleted"] and created is not None and created.date() in days:
            row = rows[order["customer_id"]]
            row["lifetime_orders"] += 1
            row["canceled_or_refunded_orders"] += order["status"] in CANCELED_OR_REFUNDED
    for customer, lines in _grouped(r.reported_lines, lambda line: line.customer_id).items():
        if customer not in rows:
            continue
        row = rows[customer]
        row["lifetime_store_transactions"] = len({line.basket_id for line in lines if line.channel == "store"})
        row["lifetime_revenue_usd"] = sum((line.usd(convert)[2] for line in lines), ZERO)
        # by the order's CURRENT status, not the one it had when the line was sold
        row["lifetime_canceled_or_refunded_usd"] = sum(
            (
                line.usd(convert)[2]
                for line in lines
                if line.channel == "online" and r.orders[line.basket_id]["status"] in CANCELED_OR_REFUNDED
            ),
            ZERO,
        )
    return rows
