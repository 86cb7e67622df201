"""The ``web_sessions`` table: the day's visits to the web shop, plus a few late ones.

Each order created on the day has exactly one converting session (its ``session_seq``); defects
never touch converting sessions, so the order -> session link always holds. The file is generated
chunk by chunk of on-time sessions (:mod:`..chunks`).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from .. import chunks
from ..arrays import Columns, concat_columns, take_rows
from ..calendar import day_plan, day_start, web_time_of_day
from ..chunks import chunk_bounds, late_rows_in
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
from ..randomness import chunk_rng as chunk_rng_for
from ..randomness import day_rng, entity_uniform, weighted_choice
from ..render import registry_frame
from ..text_columns import boolean, compact_day_text, entity_id, integer, join, lookup, timestamp, zfill
from ..text_frames import TextFrame

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


def _convert(
    seed: int, volume: int, day_number: int, sessions: Columns, first_seq: int, rng: np.random.Generator
) -> None:
    """Turn the session of each order created today into the converting one (in place).

    ``sessions`` are today's sessions from ``first_seq`` on (a chunk): the orders placed in them.
    """
    orders = orders_created_on(seed, volume, day_number)
    j = orders.session_seq - first_seq
    placed = np.flatnonzero((j >= 0) & (j < len(sessions["seq"])))
    j = j[placed]
    created_ts = orders.created_ts[placed]
    lead_time = (sessions["pages"][j] * (15 + rng.exponential(30.0, len(j)))).astype(np.int64)
    sessions["pages"][j] = np.maximum(sessions["pages"][j], 3)
    sessions["start"][j] = np.maximum(created_ts - lead_time, day_start(day_number))
    sessions["end"][j] = created_ts + rng.integers(20, 300, len(j))
    sessions["customer"][j] = orders.customer[placed]
    sessions["converted"][j] = True
    sessions["order"][j] = placed


def _late_seq_range(volume: int) -> tuple[int, int]:
    """(first sequence number of late sessions, numbers per lag day): above any day's on-time ones.

    Scaled by a power of ten once a busy day could reach the base range (volume ~ 1.6M).
    """
    busiest_day = 3 * volume * 0.06 / 0.032
    scale = 1
    while busiest_day >= _LATE_SEQ_START * scale:
        scale *= 10
    return _LATE_SEQ_START * scale, _LATE_SEQ_PER_LAG_DAY * scale


def _late_sessions(seed: int, volume: int, day_number: int) -> Columns | None:
    """Sessions of 1-3 days ago that only reach today's file."""
    if day_number < 1:
        return None
    rng = day_rng(seed, day_number, "web_late")
    count = rows_affected(defect(TABLE, Kind.LATE_ROWS), day_plan(seed, day_number, volume).sessions)
    lag = rng.integers(1, min(3, day_number) + 1, count)
    first_seq, per_lag_day = _late_seq_range(volume)
    batches = []
    for lag_days in np.unique(lag):
        first = first_seq + (int(lag_days) - 1) * per_lag_day
        seq = first + np.arange(1, int((lag == lag_days).sum()) + 1, dtype=np.int64)
        batches.append(_draw_sessions(seed, volume, day_number - int(lag_days), seq, rng))
    return concat_columns(batches)


def _sessions_chunks(seed: int, volume: int, day_number: int) -> Iterator[Columns]:
    """Today's sessions chunk by chunk, with the late ones interleaved at random positions."""
    on_time = day_plan(seed, day_number, volume).sessions
    rng = day_rng(seed, day_number, TABLE)
    late = _late_sessions(seed, volume, day_number)
    bounds = chunk_bounds(on_time, chunks.SESSIONS_PER_CHUNK)
    late_keys = np.zeros(0)
    for chunk, (start, stop) in enumerate(bounds):
        chunk_rng = rng if chunk == 0 else chunk_rng_for(seed, day_number, TABLE, chunk)
        today = _draw_sessions(seed, volume, day_number, np.arange(start + 1, stop + 1, dtype=np.int64), chunk_rng)
        _convert(seed, volume, day_number, today, start + 1, chunk_rng)
        if late is None:
            yield today
            continue
        if chunk == 0:
            # drawn after the first chunk's sessions: a one-chunk day draws exactly as before chunking
            late_keys = rng.uniform(0, on_time, len(late["seq"]))
        rows = late_rows_in(late_keys, start, stop, last=chunk == len(bounds) - 1)
        sessions = concat_columns([today, take_rows(late, rows)])
        keys = np.concatenate([np.arange(start, stop, dtype=np.float64), late_keys[rows]])
        yield take_rows(sessions, np.argsort(keys, kind="stable"))


def _sessions_frame(sessions: Columns) -> TextFrame:
    converted = sessions["converted"]
    end = timestamp(sessions["end"])
    return registry_frame(
        TABLE,
        {
            "session_id": join("W", compact_day_text(sessions["day"]), zfill(sessions["seq"], 7)),
            "customer_id": entity_id(sessions["customer"], "C", 7),
            "started_at": timestamp(sessions["start"]),
            "ended_at": end,
            "device": lookup(DEVICES, sessions["device"]),
            "traffic_source": lookup(TRAFFIC_SOURCES, sessions["traffic"]),
            "pages_viewed": integer(sessions["pages"]),
            "converted": boolean(converted),
            "order_id": join(
                "O", compact_day_text(sessions["day"]), zfill(np.maximum(sessions["order"], 0) + 1, 6)
            ).where(converted),
            "updated_at": end,
        },
    )


def web_sessions_chunks(seed: int, volume: int, day_number: int, drift: str | None) -> Iterator[TextFrame]:
    for chunk, sessions in enumerate(_sessions_chunks(seed, volume, day_number)):
        yield _damaged(seed, day_number, chunk, sessions, drift)


def _damaged(seed: int, day_number: int, chunk: int, sessions: Columns, drift: str | None) -> TextFrame:
    frame = _sessions_frame(sessions)
    rng = chunk_rng_for(seed, day_number, TABLE, chunk, 1)
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
        frame = add_drift_column(frame, "utm_campaign", names.where(campaign != 0))
    return duplicate_rows(frame, rng, np.sort(duplicated))
