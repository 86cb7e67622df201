"""The till exports: ``pos_transactions`` (one row per sale) and ``pos_transaction_lines``.

A day's file holds the day's sales plus a few late ones (sold 1-3 days earlier, uploaded today),
interleaved at random positions, as a store that was offline would upload them. Both files are
generated chunk by chunk of on-time transactions (:mod:`..chunks`), a chunk's lines with it.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from retail_platform.sources import registry

from .. import chunks
from ..arrays import Columns, concat_columns, running_number, take_rows
from ..calendar import LINES_PER_TRANSACTION, day_plan, day_start, store_time_of_day
from ..chunks import chunk_bounds, late_rows_in
from ..countries import USD_PER_UNIT
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
    insert_stale_copies,
    pick_rows,
    set_values,
    stale_copies,
)
from ..products import bucket_starts, catalog_on, sample_products
from ..randomness import chunk_rng as chunk_rng_for
from ..randomness import day_rng, weighted_choice
from ..render import registry_frame
from ..stores import stores
from ..text_columns import TextColumn, compact_day_text, entity_id, integer, join, lookup, money, timestamp, zfill
from ..text_frames import TextFrame

TRANSACTIONS = "pos_transactions"
LINES = "pos_transaction_lines"
PAYMENT_METHODS = ("cash", "card", "mobile", "gift_card")
_LATE_SEQ_START = 900_000  # late sales get ids from a range never used on time
_LATE_SEQ_PER_LAG_DAY = 30_000


# ---------------------------------------------------------------------------------------------
# Sales (typed columns)
# ---------------------------------------------------------------------------------------------


def _draw_lines(
    seed: int, volume: int, business_day: int, rng: np.random.Generator, currency: np.ndarray
) -> tuple[Columns, np.ndarray]:
    """(lines, total_cents per transaction) of transactions paid in ``currency``."""
    lines_per_sale = rng.integers(1, 7, len(currency))
    sale = np.repeat(np.arange(len(currency)), lines_per_sale)
    catalog_day = catalog_on(seed, volume, business_day)
    product = sample_products(catalog_day, rng, len(sale), bucket_starts(seed, volume, business_day))
    quantity = rng.choice(np.array([1, 2, 3, 4, 5]), size=len(sale), p=[0.70, 0.18, 0.07, 0.03, 0.02])
    unit_cents = np.rint(catalog_day.price_cents[product] / USD_PER_UNIT[currency[sale]]).astype(np.int64)
    has_discount = rng.random(len(sale)) < 0.12
    percent = rng.choice(np.array([5, 10, 15, 20, 25]), size=len(sale))
    discount = np.where(has_discount, np.rint(unit_cents * quantity * percent / 100.0).astype(np.int64), 0)
    total = np.bincount(sale, weights=quantity * unit_cents - discount, minlength=len(currency)).astype(np.int64)
    lines = {
        "txn": sale,
        "line": running_number(lines_per_sale),
        "product": product,
        "quantity": quantity,
        "unit_cents": unit_cents,
        "discount_cents": np.where(has_discount, discount, -1),
        "has_discount": has_discount,
    }
    return lines, total


def _draw_sales(
    seed: int, volume: int, business_day: int, store: np.ndarray, seq: np.ndarray, rng: np.random.Generator
) -> tuple[Columns, Columns]:
    """(transactions, lines) of sales made on ``business_day`` in ``store`` with those till numbers."""
    network = stores(seed)
    k = len(store)
    ts = day_start(business_day) + store_time_of_day(rng, k)
    register = 1 + (rng.random(k) * network.registers[store]).astype(np.int64)
    known_customer = rng.random(k) < 0.4
    customer = np.where(known_customer, pick_existing_customers(rng, volume, business_day, k), -1)
    payment = weighted_choice([0.2, 0.75, 0.95, 1.0], rng.random(k))
    currency = network.currency[store]
    lines, total = _draw_lines(seed, volume, business_day, rng, currency)
    transactions = {
        "day": np.full(k, business_day, dtype=np.int64),
        "store": store,
        "seq": seq,
        "register": register,
        "customer": customer,
        "ts": ts,
        "currency": currency,
        "payment": payment,
        "total_cents": total,
        "updated_ts": ts + rng.integers(0, 180, k),
    }
    return transactions, lines


def _late_sales(seed: int, volume: int, day_number: int) -> tuple[Columns, Columns] | None:
    """Sales made 1-3 days before the day that only reach today's file (one batch per lag, one after the other)."""
    if day_number < 1:
        return None
    network = stores(seed)
    rng = day_rng(seed, day_number, "pos_late")
    count = rows_affected(defect(TRANSACTIONS, Kind.LATE_ROWS), day_plan(seed, day_number, volume).transactions)
    lag = rng.integers(1, min(3, day_number) + 1, count)
    store = rng.choice(len(network.ids), size=count, p=network.sales_share)
    first_seq, per_lag_day = _late_seq_range(volume)
    batches = []
    for lag_days in np.unique(lag):
        store_sorted = np.sort(store[lag == lag_days])
        number_in_store = np.arange(len(store_sorted)) - np.searchsorted(store_sorted, store_sorted, side="left")
        seq = first_seq + (int(lag_days) - 1) * per_lag_day + number_in_store
        batches.append(_draw_sales(seed, volume, day_number - int(lag_days), store_sorted, seq, rng))
    return _concat_sales(batches)


def _late_seq_range(volume: int) -> tuple[int, int]:
    """(first till number of late sales, numbers per lag day): above any store's on-time numbers.

    Scaled by a power of ten once a busy day's store could reach the base range (volume ~ 5M).
    """
    busiest_store_day = 3 * volume / LINES_PER_TRANSACTION * 0.2
    scale = 1
    while busiest_store_day >= _LATE_SEQ_START * scale:
        scale *= 10
    return _LATE_SEQ_START * scale, _LATE_SEQ_PER_LAG_DAY * scale


def _concat_sales(batches: list[tuple[Columns, Columns]]) -> tuple[Columns, Columns]:
    """One (transactions, lines) pair, the lines' ``txn`` renumbered."""
    offsets = np.cumsum([0] + [len(sales["store"]) for sales, _ in batches])[:-1]
    transactions = concat_columns([sales for sales, _ in batches])
    lines = concat_columns(
        [
            {**sale_lines, "txn": sale_lines["txn"] + offset}
            for (_, sale_lines), offset in zip(batches, offsets, strict=True)
        ]
    )
    return transactions, lines


def _subset(sales: tuple[Columns, Columns], rows: np.ndarray) -> tuple[Columns, Columns]:
    """The transactions ``rows`` (sorted) and their lines."""
    transactions, lines = sales
    renumber = np.full(len(transactions["store"]), -1, dtype=np.int64)
    renumber[rows] = np.arange(len(rows))
    kept = renumber[lines["txn"]] >= 0
    kept_lines = take_rows(lines, np.flatnonzero(kept))
    kept_lines["txn"] = renumber[kept_lines["txn"]]
    return take_rows(transactions, rows), kept_lines


def _stitch(batches: list[tuple[Columns, Columns]], keys: np.ndarray):
    """One (transactions, lines) pair in file order: each transaction at its position key.

    On-time sales have keys start, start+1, ...; a late one goes after the on-time one below its key.
    """
    transactions, lines = _concat_sales(batches)
    total = len(transactions["store"])
    order = np.argsort(keys, kind="stable")
    rank = np.empty(total, dtype=np.int64)
    rank[order] = np.arange(total)
    transactions = take_rows(transactions, order)
    lines = take_rows(lines, np.lexsort((lines["line"], rank[lines["txn"]])))
    lines["txn"] = rank[lines["txn"]]
    return transactions, lines


def _sales_chunks(seed: int, volume: int, day_number: int) -> Iterator[tuple[Columns, Columns]]:
    """The day's sales, chunk by chunk of on-time transactions, the late ones at random positions among them."""
    plan = day_plan(seed, day_number, volume)
    network = stores(seed)
    rng = day_rng(seed, day_number, "pos")
    per_store = rng.multinomial(plan.transactions, network.sales_share)
    store = np.repeat(np.arange(len(network.ids)), per_store)
    seq = running_number(per_store)
    late = _late_sales(seed, volume, day_number)
    bounds = chunk_bounds(len(store), chunks.POS_TRANSACTIONS_PER_CHUNK)
    late_keys = np.zeros(0)
    for chunk, (start, stop) in enumerate(bounds):
        chunk_rng = rng if chunk == 0 else chunk_rng_for(seed, day_number, "pos", chunk)
        on_time = _draw_sales(seed, volume, day_number, store[start:stop], seq[start:stop], chunk_rng)
        if chunk == 0 and late is not None:
            # drawn after the first chunk's sales: a one-chunk day draws exactly as before chunking
            late_keys = rng.uniform(0, len(store), len(late[0]["store"]))
        batches, keys = [on_time], [np.arange(start, stop, dtype=np.float64)]
        if late is not None:
            rows = late_rows_in(late_keys, start, stop, last=chunk == len(bounds) - 1)
            batches.append(_subset(late, rows))
            keys.append(late_keys[rows])
        yield _stitch(batches, np.concatenate(keys))


# ---------------------------------------------------------------------------------------------
# Text frames
# ---------------------------------------------------------------------------------------------


def _transactions_frame(seed: int, transactions: Columns) -> TextFrame:
    store_id = lookup(stores(seed).ids, transactions["store"])
    return registry_frame(
        TRANSACTIONS,
        {
            "transaction_id": join("T", compact_day_text(transactions["day"]), store_id, zfill(transactions["seq"], 6)),
            "store_id": store_id,
            "register_id": join(store_id, "-R", zfill(transactions["register"], 2)),
            "customer_id": entity_id(transactions["customer"], "C", 7),
            "transaction_ts": timestamp(transactions["ts"]),
            "currency": lookup(registry.CURRENCIES, transactions["currency"]),
            "payment_method": lookup(PAYMENT_METHODS, transactions["payment"]),
            "total_amount": money(transactions["total_cents"]),
            "updated_at": timestamp(transactions["updated_ts"]),
        },
    )


def _lines_frame(transactions: Columns, transaction_ids: TextColumn, lines: Columns) -> TextFrame:
    return registry_frame(
        LINES,
        {
            "transaction_id": transaction_ids.take(lines["txn"]),
            "line_number": integer(lines["line"]),
            "product_id": entity_id(lines["product"], "P", 5),
            "quantity": integer(lines["quantity"]),
            "unit_price": money(lines["unit_cents"]),
            "discount_amount": money(lines["discount_cents"]).where(lines["has_discount"]),
            "updated_at": timestamp(transactions["updated_ts"][lines["txn"]]),
        },
    )


# ---------------------------------------------------------------------------------------------
# Defects
# ---------------------------------------------------------------------------------------------


# Row sets are drawn in this order (changing it changes every generated file).
_TRANSACTION_ROW_DEFECTS = (
    _RESENT := defect(TRANSACTIONS, Kind.RESENT),
    _BAD_TOTAL := defect(TRANSACTIONS, Kind.BAD_NUMBER, "total_amount"),
    _BAD_SALE_TS := defect(TRANSACTIONS, Kind.BAD_TIMESTAMP, "transaction_ts"),
    _NO_STORE := defect(TRANSACTIONS, Kind.EMPTY_REQUIRED, "store_id"),
    _UNKNOWN_CURRENCY := defect(TRANSACTIONS, Kind.UNKNOWN_ENUM, "currency"),
    _UNKNOWN_PAYMENT := defect(TRANSACTIONS, Kind.UNKNOWN_ENUM, "payment_method"),
    _MESSY_CURRENCY := defect(TRANSACTIONS, Kind.MESSY_TEXT, "currency"),
    _MESSY_PAYMENT := defect(TRANSACTIONS, Kind.MESSY_TEXT, "payment_method"),
)
_LINE_ROW_DEFECTS = (
    _BAD_QUANTITY := defect(LINES, Kind.BAD_NUMBER, "quantity"),
    _NEGATIVE_QUANTITY := defect(LINES, Kind.NEGATIVE_NUMBER, "quantity"),
    _BAD_PRICE := defect(LINES, Kind.BAD_NUMBER, "unit_price"),
    _NO_PRODUCT := defect(LINES, Kind.EMPTY_REQUIRED, "product_id"),
    _BAD_LINE_TS := defect(LINES, Kind.BAD_TIMESTAMP, "updated_at"),
)


def _resend_with_correction(
    frame: TextFrame, rng: np.random.Generator, rows: np.ndarray, transactions: Columns
) -> tuple[TextFrame, TextFrame]:
    """(frame, first sends): the first send has a wrong total, the correct row is re-sent 1-60 minutes later."""
    wrong_total = transactions["total_cents"][rows] + rng.integers(100, 2000, len(rows))
    corrected_ts = transactions["updated_ts"][rows] + rng.integers(60, 3600, len(rows))
    first_sends = stale_copies(frame, rows, transactions["updated_ts"][rows], {"total_amount": money(wrong_total)})
    return set_values(frame, "updated_at", rows, timestamp(corrected_ts)), first_sends


def _damage_transactions(
    seed: int, day_number: int, chunk: int, frame: TextFrame, transactions: Columns, drift: str | None
) -> TextFrame:
    rng = chunk_rng_for(seed, day_number, TRANSACTIONS, chunk, 1)
    k = frame.height
    resent, bad_total, bad_ts, no_store, unknown_currency, unknown_payment, messy_currency, messy_payment = pick_rows(
        rng, np.arange(k), k, _TRANSACTION_ROW_DEFECTS
    )
    frame = inject_bad_numbers(frame, _BAD_TOTAL, bad_total)
    frame = inject_bad_timestamps(frame, _BAD_SALE_TS, bad_ts, day_number)
    frame = inject_empty(frame, _NO_STORE, no_store)
    frame = inject_unknown_enum(frame, _UNKNOWN_CURRENCY, unknown_currency)
    frame = inject_unknown_enum(frame, _UNKNOWN_PAYMENT, unknown_payment)
    frame, first_sends = _resend_with_correction(frame, rng, resent, transactions)
    frame = inject_messy_text(frame, _MESSY_CURRENCY, messy_currency, rng)
    frame = inject_messy_text(frame, _MESSY_PAYMENT, messy_payment, rng)
    frame = insert_stale_copies(frame, rng, resent, first_sends)
    if drift == TRANSACTIONS:
        register_id = frame["register_id"]
        odd = (register_id.data[np.arange(frame.height), register_id.length - 1].astype(np.int64) - 48) % 2
        frame = add_drift_column(frame, "terminal_firmware", lookup(("v4.2.1", "v4.3.0"), odd))
    return frame


def _damage_lines(seed: int, day_number: int, chunk: int, frame: TextFrame) -> TextFrame:
    rng = chunk_rng_for(seed, day_number, LINES, chunk, 1)
    k = frame.height
    bad_quantity, negative_quantity, bad_price, no_product, bad_ts = pick_rows(rng, np.arange(k), k, _LINE_ROW_DEFECTS)
    frame = inject_bad_numbers(frame, _BAD_QUANTITY, bad_quantity)
    frame = inject_negative(frame, _NEGATIVE_QUANTITY, negative_quantity)
    frame = inject_bad_numbers(frame, _BAD_PRICE, bad_price, offset=1)
    frame = inject_empty(frame, _NO_PRODUCT, no_product)
    frame = inject_bad_timestamps(frame, _BAD_LINE_TS, bad_ts, day_number)
    duplicates = rows_affected(defect(LINES, Kind.EXACT_DUPLICATE), k)
    return duplicate_rows(frame, rng, rng.choice(k, size=min(k, duplicates), replace=False))


def pos_chunks(seed: int, volume: int, day_number: int, drift: str | None) -> Iterator[tuple[TextFrame, TextFrame]]:
    """(transactions, lines) chunk by chunk: the two files written side by side."""
    for chunk, (transactions, lines) in enumerate(_sales_chunks(seed, volume, day_number)):
        transactions_frame = _transactions_frame(seed, transactions)
        lines_frame = _lines_frame(transactions, transactions_frame["transaction_id"], lines)
        yield (
            _damage_transactions(seed, day_number, chunk, transactions_frame, transactions, drift),
            _damage_lines(seed, day_number, chunk, lines_frame),
        )
