"""The defects the generator injects, as data: one row per (kind, table, column) with its rate.

The injection code (:mod:`.inject` and the table builders) reads every rate from :data:`DEFECTS`
through :func:`defect`; nothing else holds a rate. Every kind except schema drift is present in
every day's file at the default volume (each row affects at least ``minimum`` rows), except on
the EPOCH day itself, which has no late rows and no re-sent tickets.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from .randomness import entity_uniform

# Malformed numeric texts.
BAD_NUMBERS = ("N/A", "12,5x")
# Malformed timestamp texts (``{y}`` = the file's year, ``{d}`` = the file's date).
BAD_TIMESTAMPS = ("31/02/{y} 25:61", "{d} 25:61:00")


class Kind(StrEnum):
    EXACT_DUPLICATE = "exact_duplicate"  # the same row twice
    RESENT = "resent"  # the same key twice; the row with the later updated_at is right
    BAD_NUMBER = "bad_number"  # a numeric column holds text that is not a number
    NEGATIVE_NUMBER = "negative_number"  # a count below zero
    BAD_TIMESTAMP = "bad_timestamp"  # a timestamp column holds an unparseable text
    EMPTY_REQUIRED = "empty_required"  # a required column left empty ("" in JSON, empty field in CSV)
    UNKNOWN_ENUM = "unknown_enum"  # a value outside the column's accepted values
    REPEATED_CDC_EVENT = "repeated_cdc_event"  # the same event (same lsn, identical row) sent twice
    OUT_OF_ORDER_CDC = "out_of_order_cdc"  # events not in lsn order
    LATE_ROWS = "late_rows"  # business time 1-3 days before the file's day, ids never sent before
    SCHEMA_DRIFT = "schema_drift"  # one undeclared extra column, placed before updated_at
    MESSY_TEXT = "messy_text"  # surrounding spaces and/or wrong case


@dataclass(frozen=True)
class Defect:
    kind: Kind
    table: str
    columns: tuple[str, ...]  # the columns damaged; () = whole rows
    # Share of the table's rows affected; for late rows, of the day's planned rows; for schema
    # drift, of days. None: not drawn on its own (a consequence of another row).
    rate: float | None
    description: str = ""
    minimum: int = 1  # rows affected even on a tiny day
    values: tuple[str, ...] = ()  # the fixed texts written, if any


DEFECTS: tuple[Defect, ...] = (
    Defect(Kind.EXACT_DUPLICATE, "pos_transaction_lines", (), 0.01, "copies 0-40 rows later"),
    Defect(Kind.EXACT_DUPLICATE, "order_items", (), 0.01, "copies 0-40 rows later"),
    Defect(Kind.EXACT_DUPLICATE, "inventory_snapshots", (), 0.005, "copies 0-40 rows later"),
    Defect(Kind.EXACT_DUPLICATE, "customers", (), 0.01, "copies 0-40 rows later"),
    Defect(Kind.EXACT_DUPLICATE, "web_sessions", (), 0.01, "clean non-converting sessions only"),
    Defect(Kind.RESENT, "pos_transactions", ("total_amount",), 0.01, "wrong total, fixed 1-60 min later"),
    Defect(Kind.RESENT, "inventory_snapshots", ("on_hand",), 0.005, "wrong copy 5-60 min earlier"),
    Defect(Kind.RESENT, "customers", ("address", "city", "loyalty_tier"), 0.01, "older copy: previous values"),
    Defect(Kind.RESENT, "support_tickets", ("priority",), 0.02, "earlier copy of a pending/closed row"),
    Defect(Kind.BAD_NUMBER, "pos_transactions", ("total_amount",), 0.004, minimum=2, values=BAD_NUMBERS),
    Defect(Kind.BAD_NUMBER, "pos_transaction_lines", ("quantity",), 0.003, minimum=2, values=BAD_NUMBERS),
    Defect(Kind.BAD_NUMBER, "pos_transaction_lines", ("unit_price",), 0.002, values=BAD_NUMBERS),
    Defect(Kind.BAD_NUMBER, "orders", ("order_total",), 0.004, minimum=2, values=BAD_NUMBERS),
    Defect(Kind.BAD_NUMBER, "order_items", ("quantity",), 0.003, values=BAD_NUMBERS),
    Defect(Kind.BAD_NUMBER, "order_items", ("unit_price",), 0.003, values=BAD_NUMBERS),
    Defect(Kind.BAD_NUMBER, "inventory_snapshots", ("on_hand",), 0.002, minimum=2, values=BAD_NUMBERS),
    Defect(Kind.BAD_NUMBER, "web_sessions", ("pages_viewed",), 0.002, minimum=2, values=BAD_NUMBERS),
    Defect(Kind.NEGATIVE_NUMBER, "pos_transaction_lines", ("quantity",), 0.003),
    Defect(Kind.NEGATIVE_NUMBER, "order_items", ("quantity",), 0.003),
    Defect(Kind.NEGATIVE_NUMBER, "inventory_snapshots", ("on_hand",), 0.001),
    Defect(Kind.NEGATIVE_NUMBER, "web_sessions", ("pages_viewed",), 0.002),
    Defect(Kind.BAD_TIMESTAMP, "pos_transactions", ("transaction_ts",), 0.003, values=BAD_TIMESTAMPS),
    Defect(Kind.BAD_TIMESTAMP, "pos_transaction_lines", ("updated_at",), 0.002, values=BAD_TIMESTAMPS),
    Defect(Kind.BAD_TIMESTAMP, "orders", ("event_ts",), 0.003, values=BAD_TIMESTAMPS),
    Defect(Kind.BAD_TIMESTAMP, "order_items", ("updated_at",), 0.002, values=BAD_TIMESTAMPS),
    Defect(Kind.BAD_TIMESTAMP, "inventory_snapshots", ("updated_at",), 0.001, values=BAD_TIMESTAMPS),
    Defect(Kind.BAD_TIMESTAMP, "web_sessions", ("started_at",), 0.002, values=BAD_TIMESTAMPS),
    Defect(Kind.BAD_TIMESTAMP, "support_tickets", ("opened_at",), 0.005, values=BAD_TIMESTAMPS),
    Defect(Kind.EMPTY_REQUIRED, "pos_transactions", ("store_id",), 0.003),
    Defect(Kind.EMPTY_REQUIRED, "pos_transaction_lines", ("product_id",), 0.002),
    Defect(Kind.EMPTY_REQUIRED, "orders", ("order_id",), 0.003),
    Defect(Kind.EMPTY_REQUIRED, "order_items", ("product_id",), 0.002),
    Defect(Kind.EMPTY_REQUIRED, "inventory_snapshots", ("product_id",), 0.001),
    Defect(Kind.EMPTY_REQUIRED, "web_sessions", ("session_id",), 0.002),
    Defect(Kind.EMPTY_REQUIRED, "support_tickets", ("customer_id",), 0.005),
    Defect(Kind.UNKNOWN_ENUM, "pos_transactions", ("currency",), 0.003, values=("XXX",)),
    Defect(Kind.UNKNOWN_ENUM, "pos_transactions", ("payment_method",), 0.002, values=("bitcoin",)),
    Defect(Kind.UNKNOWN_ENUM, "orders", ("currency",), 0.003, values=("XXX",)),
    Defect(Kind.UNKNOWN_ENUM, "orders", ("status",), 0.002, values=("on_hold",)),
    Defect(Kind.UNKNOWN_ENUM, "web_sessions", ("device",), 0.002, values=("smart-tv",)),
    Defect(Kind.UNKNOWN_ENUM, "support_tickets", ("status",), 0.005, values=("escalated",)),
    Defect(Kind.REPEATED_CDC_EVENT, "orders", ("lsn",), 0.01, "sent again 1-100 rows later"),
    Defect(Kind.OUT_OF_ORDER_CDC, "orders", ("lsn",), 0.02, "2-60 rows late, one at the end", minimum=2),
    Defect(Kind.LATE_ROWS, "pos_transactions", ("transaction_ts",), 0.01, "seq in the id >= 900000"),
    Defect(Kind.LATE_ROWS, "pos_transaction_lines", ("transaction_id",), None, "lines of the late transactions"),
    Defect(Kind.LATE_ROWS, "web_sessions", ("started_at",), 0.01, "seq in the id >= 9000000"),
    Defect(Kind.SCHEMA_DRIFT, "customers", ("loyalty_points",), 0.10, "an integer"),
    Defect(Kind.SCHEMA_DRIFT, "pos_transactions", ("terminal_firmware",), 0.04, "v4.2.1 or v4.3.0"),
    Defect(Kind.SCHEMA_DRIFT, "web_sessions", ("utm_campaign",), 0.03, "a campaign name or null"),
    Defect(Kind.SCHEMA_DRIFT, "orders", ("coupon_code",), 0.02, "a coupon code or null"),
    Defect(Kind.MESSY_TEXT, "pos_transactions", ("currency",), 0.005),
    Defect(Kind.MESSY_TEXT, "pos_transactions", ("payment_method",), 0.005),
    Defect(Kind.MESSY_TEXT, "orders", ("status",), 0.01),
    Defect(Kind.MESSY_TEXT, "orders", ("currency",), 0.005),
    Defect(Kind.MESSY_TEXT, "orders", ("shipping_country",), 0.005),
    Defect(Kind.MESSY_TEXT, "customers", ("email",), 0.015),
    Defect(Kind.MESSY_TEXT, "customers", ("country",), 0.008),
    Defect(Kind.MESSY_TEXT, "customers", ("loyalty_tier",), 0.008),
    Defect(Kind.MESSY_TEXT, "products", ("sku",), 0.01, "lower case"),
    Defect(Kind.MESSY_TEXT, "products", ("currency",), 0.01, values=(" usd", "Usd", "USD ")),
    Defect(Kind.MESSY_TEXT, "web_sessions", ("device",), 0.005),
    Defect(Kind.MESSY_TEXT, "web_sessions", ("traffic_source",), 0.005),
    Defect(Kind.MESSY_TEXT, "support_tickets", ("status",), 0.02),
    Defect(Kind.MESSY_TEXT, "support_tickets", ("priority",), 0.02),
)


def defect(table: str, kind: Kind, column: str | None = None) -> Defect:
    """The one row of DEFECTS for (table, kind), or (table, kind, one of its columns)."""
    found = [d for d in DEFECTS if d.table == table and d.kind == kind and (column is None or column in d.columns)]
    if len(found) != 1:
        raise LookupError(f"{len(found)} DEFECTS rows match {(table, kind, column)}")
    return found[0]


def rows_affected(d: Defect, rows: int) -> int:
    """How many of ``rows`` rows get the defect: its rate, but at least its minimum (none of none)."""
    if rows <= 0:
        return 0
    return max(d.minimum, round(d.rate * rows))


# A day drifts in at most one table: one uniform draw per day, compared with the cumulative
# drift rates in this order.
_DRIFT_ORDER = ("customers", "pos_transactions", "web_sessions", "orders")
if {d.table for d in DEFECTS if d.kind == Kind.SCHEMA_DRIFT} != set(_DRIFT_ORDER):
    raise RuntimeError("_DRIFT_ORDER must list exactly the tables with a schema_drift row in DEFECTS")


def drift_table(seed: int, day_number: int) -> str | None:
    """The table that gets an extra column on this day, if any."""
    u = float(entity_uniform(seed, "drift", day_number)[0])
    threshold = 0.0
    for table in _DRIFT_ORDER:
        threshold += defect(table, Kind.SCHEMA_DRIFT).rate
        if u < threshold:
            return table
    return None
