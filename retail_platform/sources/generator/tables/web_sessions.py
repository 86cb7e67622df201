"""The ``web_sessions`` table: the day's visits to the web shop, plus a few late ones.

Each order created on the day has exactly one converting session (its ``session_seq``); defects
never touch converting sessions, so the order -> session link always holds.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from ..arrays import Columns, concat_columns, take_rows
from ..calendar import day_plan, day_start, web_time_of_day
from ..customers import pick_existing_customers
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
    pick_rows,
)
from ..lifecycles import orders_created_on
from ..randomness import day_rng, entity_uniform, weighted_choice
from ..render import as_registry_text, bool_expr, id_expr, lookup, order_id_expr, session_id_expr, ts_expr

TABLE = "web_sessions"
DEVICES = ("desktop", "mobile", "tablet")
TRAFFIC_SOURCES = ("direct", "organic", "paid_search", "social", "email", "referral")
_LATE_SEQ_START = 9_000_000  # late sessions get ids from a range never used on time
_LATE_SEQ_PER_LAG_DAY = 300_000
# Row sets are drawn in this order (changing it changes every generated file).
_ROW_DEFECTS = (
    _BAD_PAGES := defect(TABLE, Kind.BAD_NUMBER, "pages_viewed"),
    _NEGATIVE_PAGES := defect(TABLE, Kind.NEGATIVE_NUMBER, "pages_viewed"),
    _BAD_START := defect(TABLE, Kind.BAD_TIMESTAMP, "started_at"),
    _NO_SESSION_ID := defect(TABLE, Kind.EMPTY_REQUIRED, "session_id"),
    _UNKNOWN_DEVICE := defect(TABLE, Kind.UNKNOWN_ENUM, "device"),
    _MESSY_DEVICE := defect(TABLE, Kind.MESSY_TEXT, "device"),
    _MESSY_SOURCE := defect(TABLE, Kind.MESSY_TEXT, "traffic_source"),
)


def _draw_sessions(seed: int, volume: int, business_day: int, seq: np.ndarray, rng: np.random.Generator) -> Columns:
    k = len(seq)
    start = day_start(business_day) + web_time_of_day(rng, k)
    pages = np.minimum(1 + rng.geometric(0.22, k), 80)
    duration = (pages * (8 + rng.exponential(35.0, k))).astype(np.int64)
    logged_in = rng.random(k) < 0.55
    customer = np.where(logged_in, pick_existing_customers(rng, volume, business_day, k), -1)
    device = weighted_choice([0.42, 0.9, 1.0], rng.random(k))
    traffic = weighted_choice([0.25, 0.55, 0.72, 0.85, 0.95, 1.0], rng.random(k))
    return {
        "day": np.full(k, business_day, dtype=np.int64),
        "seq": seq,
        "start": start,
        "end": start + duration,
        "pages": pages,
        "customer": customer,
        "device": device,
        "traffic": traffic,
        "converted": np.zeros(k, dtype=bool),
        "order": np.full(k, -1, dtype=np.int64),
    }


def _convert(seed: int, volume: int, day_number: int, sessions: Columns, rng: np.random.Generator) -> None:
    """Turn the session of each order created today into the converting one (in place)."""
    orders = orders_created_on(seed, volume, day_number)
    j = orders.session_seq - 1
    lead_time = (sessions["pages"][j] * (15 + rng.exponential(30.0, len(j)))).astype(np.int64)
    sessions["pages"][j] = np.maximum(sessions["pages"][j], 3)
    sessions["start"][j] = np.maximum(orders.created_ts - lead_time, day_start(day_number))
    sessions["end"][j] = orders.created_ts + rng.integers(20, 300, len(j))
    sessions["customer"][j] = orders.customer
    sessions["converted"][j] = True
    sessions["order"][j] = np.arange(len(j))


def _late_sessions(seed: int, volume: int, day_number: int) -> list[Columns]:
    """Sessions of 1-3 days ago that only reach today's file."""
    if day_number < 1:
        return []
    rng = day_rng(seed, day_number, "web_late")
    count = rows_affected(defect(TABLE, Kind.LATE_ROWS), day_plan(seed, day_number, volume).sessions)
    lag = rng.integers(1, min(3, day_number) + 1, count)
    batches = []
    for lag_days in np.unique(lag):
        first = _LATE_SEQ_START + (int(lag_days) - 1) * _LATE_SEQ_PER_LAG_DAY
        seq = first + np.arange(1, int((lag == lag_days).sum()) + 1, dtype=np.int64)
        batches.append(_draw_sessions(seed, volume, day_number - int(lag_days), seq, rng))
    return batches


def _sessions_of(seed: int, volume: int, day_number: int) -> Columns:
    """Today's sessions with the late ones interleaved at random positions."""
    on_time = day_plan(seed, day_number, volume).sessions
    rng = day_rng(seed, day_number, TABLE)
    today = _draw_sessions(seed, volume, day_number, np.arange(1, on_time + 1, dtype=np.int64), rng)
    _convert(seed, volume, day_number, today, rng)
    sessions = concat_columns([today, *_late_sessions(seed, volume, day_number)])
    late = len(sessions["seq"]) - on_time
    keys = np.concatenate([np.arange(on_time, dtype=np.float64), rng.uniform(0, on_time, late)])
    return take_rows(sessions, np.argsort(keys, kind="stable"))


def _sessions_frame(sessions: Columns) -> pl.DataFrame:
    frame = pl.DataFrame(sessions).with_columns(
        session_id=session_id_expr("day", "seq"),
        customer_id=id_expr("customer", "C", 7),
        started_at=ts_expr("start"),
        ended_at=ts_expr("end"),
        device=lookup(DEVICES, sessions["device"]),
        traffic_source=lookup(TRAFFIC_SOURCES, sessions["traffic"]),
        pages_viewed=pl.col("pages"),
        converted=bool_expr("converted"),
        order_id=pl.when(pl.col("converted")).then(order_id_expr("day", "order")),
        updated_at=ts_expr("end"),
    )
    return as_registry_text(frame, TABLE)


def web_sessions_table(seed: int, volume: int, day_number: int, drift: str | None) -> pl.DataFrame:
    sessions = _sessions_of(seed, volume, day_number)
    frame = _sessions_frame(sessions)
    rng = day_rng(seed, day_number, TABLE, 1)
    k = frame.height
    plain = np.flatnonzero(~sessions["converted"])
    rows = pick_rows(rng, plain, k, _ROW_DEFECTS)
    bad_pages, negative_pages, bad_start, no_id, unknown_device, messy_device, messy_source = rows
    frame = inject_bad_numbers(frame, _BAD_PAGES, bad_pages)
    frame = inject_negative(frame, _NEGATIVE_PAGES, negative_pages)
    frame = inject_bad_timestamps(frame, _BAD_START, bad_start, day_number)
    frame = inject_empty(frame, _NO_SESSION_ID, no_id)
    frame = inject_unknown_enum(frame, _UNKNOWN_DEVICE, unknown_device)
    frame = inject_messy_text(frame, _MESSY_DEVICE, messy_device, rng)
    frame = inject_messy_text(frame, _MESSY_SOURCE, messy_source, rng)
    # duplicates are copies of sessions whose values are intact (messy text aside)
    may_duplicate = ~sessions["converted"]
    may_duplicate[np.concatenate([bad_pages, negative_pages, bad_start, no_id, unknown_device])] = False
    candidates = np.flatnonzero(may_duplicate)
    duplicates = rows_affected(defect(TABLE, Kind.EXACT_DUPLICATE), k)
    duplicated = rng.choice(candidates, size=min(len(candidates), duplicates), replace=False)
    if drift == TABLE:
        campaign = (entity_uniform(seed, "utm", sessions["day"], sessions["seq"]) * 4).astype(np.int64)
        names = lookup(("", "black_friday", "newsletter_w45", "spring_sale"), campaign)
        frame = add_drift_column(frame, "utm_campaign", names.replace("", None))
    return duplicate_rows(frame, rng, np.sort(duplicated))
