"""The ``support_tickets`` table: one row per status change of a ticket, dated on the file's day."""

from __future__ import annotations

import numpy as np
import polars as pl

from ..arrays import Columns, empty_columns, take_rows
from ..calendar import day_number_of
from ..defects import Kind, defect
from ..inject import (
    inject_bad_timestamps,
    inject_empty,
    inject_messy_text,
    inject_unknown_enum,
    insert_stale_copies,
    pick_rows,
    stale_copies,
)
from ..lifecycles import (
    CLOSED,
    TICKET_CATEGORIES,
    TICKET_PRIORITIES,
    TICKET_STATUS,
    TICKET_WINDOW,
    tickets_opened_on,
)
from ..randomness import day_rng
from ..render import as_registry_text, compact_date_expr, id_expr, lookup, order_id_expr, ts_expr
from ..text_frames import TextFrame

TABLE = "support_tickets"
# Row sets are drawn in this order (changing it changes every generated file).
_ROW_DEFECTS = (
    _BAD_OPENED := defect(TABLE, Kind.BAD_TIMESTAMP, "opened_at"),
    _NO_CUSTOMER := defect(TABLE, Kind.EMPTY_REQUIRED, "customer_id"),
    _UNKNOWN_STATUS := defect(TABLE, Kind.UNKNOWN_ENUM, "status"),
    _MESSY_STATUS := defect(TABLE, Kind.MESSY_TEXT, "status"),
    _MESSY_PRIORITY := defect(TABLE, Kind.MESSY_TEXT, "priority"),
)
_EVENT_COLUMNS = (
    "opened_day",
    "ticket",
    "status",
    "ts",
    "opened",
    "customer",
    "order_day",
    "order",
    "priority",
    "category",
)


def _events_on(seed: int, volume: int, day_number: int) -> Columns:
    """Status changes dated ``day_number`` of the tickets opened on day_number-10..day_number, in time order."""
    batches = []
    for opened_day in range(max(0, day_number - TICKET_WINDOW), day_number + 1):
        tickets = tickets_opened_on(seed, volume, opened_day)
        today = day_number_of(tickets.event_ts) == day_number
        if not today.any():
            continue
        ticket = tickets.event_ticket[today]
        batches.append(
            {
                "opened_day": np.full(len(ticket), opened_day, dtype=np.int64),
                "ticket": ticket,
                "status": tickets.event_status[today],
                "ts": tickets.event_ts[today],
                "opened": tickets.opened_ts[ticket],
                "customer": tickets.customer[ticket],
                "order_day": tickets.order_day[ticket],
                "order": tickets.order[ticket],
                "priority": tickets.priority[ticket],
                "category": tickets.category[ticket],
            }
        )
    events = {
        name: (np.concatenate([b[name] for b in batches]) if batches else empty)
        for name, empty in empty_columns(_EVENT_COLUMNS).items()
    }
    return take_rows(events, np.lexsort((events["status"], events["ticket"], events["opened_day"], events["ts"])))


def _tickets_frame(events: Columns) -> TextFrame:
    frame = pl.DataFrame(events).with_columns(
        ticket_id=pl.concat_str(
            [pl.lit("K"), compact_date_expr("opened_day"), (pl.col("ticket") + 1).cast(pl.String).str.zfill(5)]
        ),
        customer_id=id_expr("customer", "C", 7),
        order_id=pl.when(pl.col("order_day") >= 0).then(order_id_expr("order_day", "order")),
        opened_at=ts_expr("opened"),
        closed_at=pl.when(pl.col("status") == CLOSED).then(ts_expr("ts")),
        status=lookup(TICKET_STATUS, events["status"]),
        priority=lookup(TICKET_PRIORITIES, events["priority"]),
        category=lookup(TICKET_CATEGORIES, events["category"]),
        updated_at=ts_expr("ts"),
    )
    return as_registry_text(frame, TABLE)


def _earlier_copies(frame: TextFrame, events: Columns, rows: np.ndarray, rng: np.random.Generator) -> TextFrame:
    """Copies of ``rows`` with another priority, dated between the opening and the status change."""
    other_priority = (events["priority"][rows] + 1 + rng.integers(0, 3, len(rows))) % len(TICKET_PRIORITIES)
    since_opened = events["ts"][rows] - events["opened"][rows]
    gap = np.minimum(rng.integers(300, 2 * 3600, len(rows)), since_opened // 2)
    return stale_copies(frame, rows, events["ts"][rows] - gap, {"priority": lookup(TICKET_PRIORITIES, other_priority)})


def support_tickets_table(seed: int, volume: int, day_number: int) -> TextFrame:
    events = _events_on(seed, volume, day_number)
    frame = _tickets_frame(events)
    rng = day_rng(seed, day_number, TABLE, 1)
    k = frame.height
    # only changes >= 10 min after opening leave room for an earlier copy
    room_for_a_copy = np.flatnonzero(events["ts"] - events["opened"] >= 600)
    (resent,) = pick_rows(rng, room_for_a_copy, k, [defect(TABLE, Kind.RESENT)])
    untouched = np.ones(k, dtype=bool)
    untouched[resent] = False
    bad_opened, no_customer, unknown_status, messy_status, messy_priority = pick_rows(
        rng, np.flatnonzero(untouched), k, _ROW_DEFECTS
    )
    frame = inject_bad_timestamps(frame, _BAD_OPENED, bad_opened, day_number)
    frame = inject_empty(frame, _NO_CUSTOMER, no_customer)
    frame = inject_unknown_enum(frame, _UNKNOWN_STATUS, unknown_status)
    copies = _earlier_copies(frame, events, resent, rng)
    frame = inject_messy_text(frame, _MESSY_STATUS, messy_status, rng)
    frame = inject_messy_text(frame, _MESSY_PRIORITY, messy_priority, rng)
    return insert_stale_copies(frame, rng, resent, copies)
