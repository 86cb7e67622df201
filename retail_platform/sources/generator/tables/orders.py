"""The web shop exports: ``orders`` (a CDC feed of order events) and ``order_items``.

The orders file of day d holds every event dated d of the orders created on d-20..d, numbered by
a log sequence number (lsn) that increases across days. Items are exported once, on the day
their order is created. Both files are generated chunk by chunk of rows (:mod:`..chunks`).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from retail_platform.sources import registry

from .. import chunks
from ..arrays import Columns, empty_columns, take_rows
from ..calendar import day_number_of
from ..chunks import chunk_bounds
from ..countries import COUNTRIES
from ..defects import Kind, defect, rows_affected
from ..inject import (
    add_drift_column,
    duplicate_rows,
    inject_bad_numbers,
    inject_bad_timestamps,
    inject_empty,
    inject_messy_text,
    inject_negative,
    inject_unknown_enum,
    insert_rows,
    pick_rows,
)
from ..lifecycles import ORDER_EVENT_OP, ORDER_EVENT_STATUS, ORDER_WINDOW, order_links, orders_created_on
from ..randomness import chunk_rng, entity_uniform
from ..render import registry_frame
from ..text_columns import (
    TextColumn,
    compact_day_text,
    digits_value,
    entity_id,
    integer,
    join,
    lookup,
    money,
    timestamp,
    zfill,
)
from ..text_frames import TextFrame

ORDERS = "orders"
ITEMS = "order_items"
_LSN_PER_DAY = 10_000_000

# Row sets are drawn in these orders (changing one changes every generated file).
_ORDER_ROW_DEFECTS = (
    _BAD_TOTAL := defect(ORDERS, Kind.BAD_NUMBER, "order_total"),
    _BAD_EVENT_TS := defect(ORDERS, Kind.BAD_TIMESTAMP, "event_ts"),
    _NO_ORDER_ID := defect(ORDERS, Kind.EMPTY_REQUIRED, "order_id"),
    _UNKNOWN_CURRENCY := defect(ORDERS, Kind.UNKNOWN_ENUM, "currency"),
    _UNKNOWN_STATUS := defect(ORDERS, Kind.UNKNOWN_ENUM, "status"),
    _MESSY_STATUS := defect(ORDERS, Kind.MESSY_TEXT, "status"),
    _MESSY_CURRENCY := defect(ORDERS, Kind.MESSY_TEXT, "currency"),
    _MESSY_COUNTRY := defect(ORDERS, Kind.MESSY_TEXT, "shipping_country"),
)
_ITEM_ROW_DEFECTS = (
    _BAD_QUANTITY := defect(ITEMS, Kind.BAD_NUMBER, "quantity"),
    _BAD_PRICE := defect(ITEMS, Kind.BAD_NUMBER, "unit_price"),
    _NEGATIVE_QUANTITY := defect(ITEMS, Kind.NEGATIVE_NUMBER, "quantity"),
    _NO_PRODUCT := defect(ITEMS, Kind.EMPTY_REQUIRED, "product_id"),
    _BAD_ITEM_TS := defect(ITEMS, Kind.BAD_TIMESTAMP, "updated_at"),
)
_EVENT_COLUMNS = (
    "created_day",
    "order",
    "kind",
    "ts",
    "customer",
    "session",
    "currency",
    "total",
    "country",
    "created",
)


# ---------------------------------------------------------------------------------------------
# orders
# ---------------------------------------------------------------------------------------------


def _events_on(seed: int, volume: int, day_number: int) -> Columns:
    """The events dated ``day_number``, in lsn order (event time, then creation day, order, kind)."""
    batches = []
    for created_day in range(max(0, day_number - ORDER_WINDOW), day_number + 1):
        orders = orders_created_on(seed, volume, created_day)
        order_links(seed, volume, created_day)  # kept for the tickets about these orders
        today = day_number_of(orders.event_ts) == day_number
        if not today.any():
            continue
        order = orders.event_order[today]
        batches.append(
            {
                "created_day": np.full(len(order), created_day, dtype=np.int64),
                "order": order,
                "kind": orders.event_kind[today],
                "ts": orders.event_ts[today],
                "customer": orders.customer[order],
                "session": orders.session_seq[order],
                "currency": orders.currency[order],
                "total": orders.total_cents[order],
                "country": orders.country[order],
                "created": orders.created_ts[order],
            }
        )
    events = {
        name: (np.concatenate([b[name] for b in batches]) if batches else empty)
        for name, empty in empty_columns(_EVENT_COLUMNS).items()
    }
    events = take_rows(events, np.lexsort((events["kind"], events["order"], events["created_day"], events["ts"])))
    events["lsn"] = day_number * _LSN_PER_DAY + np.arange(1, len(events["ts"]) + 1, dtype=np.int64)
    return events


def _order_id(created_day: np.ndarray, order: np.ndarray) -> TextColumn:
    return join("O", compact_day_text(created_day), zfill(order + 1, 6))


def _orders_frame(events: Columns) -> TextFrame:
    return registry_frame(
        ORDERS,
        {
            "lsn": integer(events["lsn"]),
            "op": lookup(ORDER_EVENT_OP, events["kind"]),
            "event_ts": timestamp(events["ts"]),
            "order_id": _order_id(events["created_day"], events["order"]),
            "customer_id": entity_id(events["customer"], "C", 7),
            "session_id": join("W", compact_day_text(events["created_day"]), zfill(events["session"], 7)),
            "status": lookup(ORDER_EVENT_STATUS, events["kind"]),
            "currency": lookup(registry.CURRENCIES, events["currency"]),
            "order_total": money(events["total"]),
            "shipping_country": lookup(COUNTRIES, events["country"]),
            "created_at": timestamp(events["created"]),
            "updated_at": timestamp(events["ts"]),
        },
    )


def _damage_values(frame: TextFrame, rng: np.random.Generator, day_number: int) -> TextFrame:
    k = frame.height
    rows = pick_rows(rng, np.arange(k), k, _ORDER_ROW_DEFECTS)
    bad_total, bad_ts, no_id, unknown_currency, unknown_status, messy_status, messy_currency, messy_country = rows
    frame = inject_bad_numbers(frame, _BAD_TOTAL, bad_total)
    frame = inject_bad_timestamps(frame, _BAD_EVENT_TS, bad_ts, day_number)
    frame = inject_empty(frame, _NO_ORDER_ID, no_id)
    frame = inject_unknown_enum(frame, _UNKNOWN_CURRENCY, unknown_currency)
    frame = inject_unknown_enum(frame, _UNKNOWN_STATUS, unknown_status)
    frame = inject_messy_text(frame, _MESSY_STATUS, messy_status, rng)
    frame = inject_messy_text(frame, _MESSY_CURRENCY, messy_currency, rng)
    return inject_messy_text(frame, _MESSY_COUNTRY, messy_country, rng)


def _damage_delivery(frame: TextFrame, rng: np.random.Generator) -> TextFrame:
    """Out of order: a few events delivered later than their lsn says; repeated: a few sent twice."""
    k = frame.height
    if k < 2:
        return frame
    moved = rng.choice(k, size=min(k - 1, rows_affected(defect(ORDERS, Kind.OUT_OF_ORDER_CDC), k)), replace=False)
    keys = np.arange(k, dtype=np.float64)
    keys[moved] += rng.integers(2, 60, len(moved)) + 0.5
    keys[moved[0]] = k + 0.5  # at least one lands after a higher lsn
    frame = frame.take(np.argsort(keys, kind="stable"))
    repeated = rng.choice(k, size=min(k, rows_affected(defect(ORDERS, Kind.REPEATED_CDC_EVENT), k)), replace=False)
    positions = np.minimum(repeated + 1.5 + rng.integers(0, 100, len(repeated)), k + 0.5)
    return insert_rows(frame, frame.take(repeated), positions)


def orders_chunks(seed: int, volume: int, day_number: int, drift: str | None) -> Iterator[TextFrame]:
    """The day's CDC events chunk by chunk of lsn (each chunk delivered with its own defects)."""
    events = _events_on(seed, volume, day_number)
    for chunk, (start, stop) in enumerate(chunk_bounds(len(events["lsn"]), chunks.ORDER_EVENTS_PER_CHUNK)):
        frame = _orders_frame({name: values[start:stop] for name, values in events.items()})
        rng = chunk_rng(seed, day_number, ORDERS, chunk, 1)
        frame = _damage_values(frame, rng, day_number)
        frame = _damage_delivery(frame, rng)
        if drift == ORDERS:
            lsn = digits_value(frame["lsn"])  # a function of the event: copies agree
            coupon = (entity_uniform(seed, "coupon", lsn) * 4).astype(np.int64)
            codes = lookup(("", "WELCOME10", "BF2024", "FREESHIP"), coupon)
            frame = add_drift_column(frame, "coupon_code", codes.where(coupon != 0))
        yield frame


# ---------------------------------------------------------------------------------------------
# order_items
# ---------------------------------------------------------------------------------------------


def _items_frame(day_number: int, orders, start: int, stop: int) -> TextFrame:
    order = orders.item_order[start:stop]
    return registry_frame(
        ITEMS,
        {
            "order_id": _order_id(np.full(len(order), day_number, dtype=np.int64), order),
            "line_number": integer(orders.item_line[start:stop]),
            "product_id": entity_id(orders.item_product[start:stop], "P", 5),
            "quantity": integer(orders.item_quantity[start:stop]),
            "unit_price": money(orders.item_unit_cents[start:stop]),
            "updated_at": timestamp(orders.created_ts[order]),
        },
    )


def order_items_chunks(seed: int, volume: int, day_number: int) -> Iterator[TextFrame]:
    """The items of the orders created on the day, chunk by chunk of rows."""
    orders = orders_created_on(seed, volume, day_number)
    for chunk, (start, stop) in enumerate(chunk_bounds(len(orders.item_order), chunks.ORDER_ITEMS_PER_CHUNK)):
        frame = _items_frame(day_number, orders, start, stop)
        rng = chunk_rng(seed, day_number, ITEMS, chunk, 1)
        k = frame.height
        bad_quantity, bad_price, negative_quantity, no_product, bad_ts = pick_rows(
            rng, np.arange(k), k, _ITEM_ROW_DEFECTS
        )
        # the bad-number texts alternate from a day-dependent start
        frame = inject_bad_numbers(frame, _BAD_QUANTITY, bad_quantity, offset=day_number)
        frame = inject_bad_numbers(frame, _BAD_PRICE, bad_price, offset=day_number + 1)
        frame = inject_negative(frame, _NEGATIVE_QUANTITY, negative_quantity)
        frame = inject_empty(frame, _NO_PRODUCT, no_product)
        frame = inject_bad_timestamps(frame, _BAD_ITEM_TS, bad_ts, day_number)
        duplicates = rows_affected(defect(ITEMS, Kind.EXACT_DUPLICATE), k)
        yield duplicate_rows(frame, rng, rng.choice(k, size=min(k, duplicates), replace=False))
