"""The till exports: ``pos_transactions`` (one row per sale) and ``pos_transaction_lines``.

A day's file holds the day's sales plus a few late ones (sold 1-3 days earlier, uploaded today),
interleaved at random positions, as a store that was offline would upload them.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from retail_platform.sources import registry

from ..arrays import Columns, concat_columns, running_number, take_rows
from ..calendar import day_plan, day_start, store_time_of_day
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
from ..products import catalog_on, sample_products
from ..randomness import day_rng, weighted_choice
from ..render import as_registry_text, compact_date_expr, id_expr, lookup, money_expr, money_text, ts_expr, ts_text
from ..stores import stores

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
    product = sample_products(catalog_day, rng, len(sale))
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


def _late_sales(seed: int, volume: int, day_number: int) -> list[tuple[Columns, Columns]]:
    """Sales made 1-3 days before the day that only reach today's file."""
    if day_number < 1:
        return []
    network = stores(seed)
    rng = day_rng(seed, day_number, "pos_late")
    count = rows_affected(defect(TRANSACTIONS, Kind.LATE_ROWS), day_plan(seed, day_number, volume).transactions)
    lag = rng.integers(1, min(3, day_number) + 1, count)
    store = rng.choice(len(network.ids), size=count, p=network.sales_share)
    batches = []
    for lag_days in np.unique(lag):
        store_sorted = np.sort(store[lag == lag_days])
        number_in_store = np.arange(len(store_sorted)) - np.searchsorted(store_sorted, store_sorted, side="left")
        seq = _LATE_SEQ_START + (int(lag_days) - 1) * _LATE_SEQ_PER_LAG_DAY + number_in_store
        batches.append(_draw_sales(seed, volume, day_number - int(lag_days), store_sorted, seq, rng))
    return batches


def _stitch(batches: list[tuple[Columns, Columns]], on_time: int, rng: np.random.Generator):
    """One (transactions, lines) pair: late sales at random positions among the ``on_time`` ones."""
    offsets = np.cumsum([0] + [len(sales["store"]) for sales, _ in batches])[:-1]
    transactions = concat_columns([sales for sales, _ in batches])
    lines = concat_columns(
        [
            {**sale_lines, "txn": sale_lines["txn"] + offset}
            for (_, sale_lines), offset in zip(batches, offsets, strict=True)
        ]
    )
    total = len(transactions["store"])
    keys = np.concatenate([np.arange(on_time, dtype=np.float64), rng.uniform(0, on_time, total - on_time)])
    order = np.argsort(keys, kind="stable")
    rank = np.empty(total, dtype=np.int64)
    rank[order] = np.arange(total)
    transactions = take_rows(transactions, order)
    lines = take_rows(lines, np.lexsort((lines["line"], rank[lines["txn"]])))
    lines["txn"] = rank[lines["txn"]]
    return transactions, lines


def _sales_of(seed: int, volume: int, day_number: int) -> tuple[Columns, Columns]:
    plan = day_plan(seed, day_number, volume)
    network = stores(seed)
    rng = day_rng(seed, day_number, "pos")
    per_store = rng.multinomial(plan.transactions, network.sales_share)
    store = np.repeat(np.arange(len(network.ids)), per_store)
    on_time = _draw_sales(seed, volume, day_number, store, running_number(per_store), rng)
    return _stitch([on_time, *_late_sales(seed, volume, day_number)], len(store), rng)


# ---------------------------------------------------------------------------------------------
# Text frames
# ---------------------------------------------------------------------------------------------


def _transactions_frame(seed: int, transactions: Columns) -> pl.DataFrame:
    frame = (
        pl.DataFrame(transactions)
        .with_columns(store_id=lookup(stores(seed).ids, transactions["store"]), yyyymmdd=compact_date_expr("day"))
        .with_columns(
            transaction_id=pl.concat_str(
                [pl.lit("T"), pl.col("yyyymmdd"), pl.col("store_id"), pl.col("seq").cast(pl.String).str.zfill(6)]
            ),
            register_id=pl.concat_str(
                [pl.col("store_id"), pl.lit("-R"), pl.col("register").cast(pl.String).str.zfill(2)]
            ),
            customer_id=id_expr("customer", "C", 7),
            transaction_ts=ts_expr("ts"),
            currency=lookup(registry.CURRENCIES, transactions["currency"]),
            payment_method=lookup(PAYMENT_METHODS, transactions["payment"]),
            total_amount=money_expr("total_cents"),
            updated_at=ts_expr("updated_ts"),
        )
    )
    return as_registry_text(frame, TRANSACTIONS)


def _lines_frame(transactions: Columns, transaction_ids: pl.Series, lines: Columns) -> pl.DataFrame:
    frame = (
        pl.DataFrame(lines)
        .with_columns(
            transaction_id=transaction_ids.gather(lines["txn"]),
            updated_ts=pl.Series(transactions["updated_ts"][lines["txn"]]),
        )
        .with_columns(
            line_number=pl.col("line"),
            product_id=id_expr("product", "P", 5),
            unit_price=money_expr("unit_cents"),
            discount_amount=pl.when(pl.col("has_discount")).then(money_expr("discount_cents")),
            updated_at=ts_expr("updated_ts"),
        )
    )
    return as_registry_text(frame, LINES)


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
    frame: pl.DataFrame, rng: np.random.Generator, rows: np.ndarray, transactions: Columns
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(frame, first sends): the first send has a wrong total, the correct row is re-sent 1-60 minutes later."""
    wrong_total = transactions["total_cents"][rows] + rng.integers(100, 2000, len(rows))
    corrected_ts = transactions["updated_ts"][rows] + rng.integers(60, 3600, len(rows))
    first_sends = stale_copies(frame, rows, transactions["updated_ts"][rows], {"total_amount": money_text(wrong_total)})
    return set_values(frame, "updated_at", rows, ts_text(corrected_ts).to_list()), first_sends


def _damage_transactions(
    seed: int, day_number: int, frame: pl.DataFrame, transactions: Columns, drift: str | None
) -> pl.DataFrame:
    rng = day_rng(seed, day_number, TRANSACTIONS, 1)
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
        odd = frame.select(pl.col("register_id").str.slice(-1).cast(pl.Int64) % 2).to_series().to_numpy()
        frame = add_drift_column(frame, "terminal_firmware", lookup(("v4.2.1", "v4.3.0"), odd))
    return frame


def _damage_lines(seed: int, day_number: int, frame: pl.DataFrame) -> pl.DataFrame:
    rng = day_rng(seed, day_number, LINES, 1)
    k = frame.height
    bad_quantity, negative_quantity, bad_price, no_product, bad_ts = pick_rows(rng, np.arange(k), k, _LINE_ROW_DEFECTS)
    frame = inject_bad_numbers(frame, _BAD_QUANTITY, bad_quantity)
    frame = inject_negative(frame, _NEGATIVE_QUANTITY, negative_quantity)
    frame = inject_bad_numbers(frame, _BAD_PRICE, bad_price, offset=1)
    frame = inject_empty(frame, _NO_PRODUCT, no_product)
    frame = inject_bad_timestamps(frame, _BAD_LINE_TS, bad_ts, day_number)
    duplicates = rows_affected(defect(LINES, Kind.EXACT_DUPLICATE), k)
    return duplicate_rows(frame, rng, rng.choice(k, size=min(k, duplicates), replace=False))


def pos_tables(seed: int, volume: int, day_number: int, drift: str | None) -> tuple[pl.DataFrame, pl.DataFrame]:
    transactions, lines = _sales_of(seed, volume, day_number)
    transactions_frame = _transactions_frame(seed, transactions)
    lines_frame = _lines_frame(transactions, transactions_frame.get_column("transaction_id"), lines)
    return (
        _damage_transactions(seed, day_number, transactions_frame, transactions, drift),
        _damage_lines(seed, day_number, lines_frame),
    )
