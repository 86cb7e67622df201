"""The ``inventory_snapshots`` table: end-of-day stock of every active product in every store.

Stock follows a per-(store, product) replenishment cycle: full after a delivery, drawn down
until the next one, with the odd stock-out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from ..calendar import day_start
from ..defects import Kind, defect, rows_affected
from ..inject import (
    duplicate_rows,
    inject_bad_numbers,
    inject_bad_timestamps,
    inject_empty,
    inject_negative,
    insert_stale_copies,
    pick_rows,
    stale_copies,
)
from ..products import catalog, catalog_on
from ..randomness import day_rng, entity_uniform
from ..render import as_registry_text, date_expr, id_expr, lookup, ts_expr
from ..stores import stores
from ..text_frames import TextFrame

TABLE = "inventory_snapshots"
# Row sets are drawn in this order (changing it changes every generated file).
_ROW_DEFECTS = (
    _RESENT := defect(TABLE, Kind.RESENT),
    _BAD_ON_HAND := defect(TABLE, Kind.BAD_NUMBER, "on_hand"),
    _NEGATIVE_ON_HAND := defect(TABLE, Kind.NEGATIVE_NUMBER, "on_hand"),
    _NO_PRODUCT := defect(TABLE, Kind.EMPTY_REQUIRED, "product_id"),
    _BAD_TS := defect(TABLE, Kind.BAD_TIMESTAMP, "updated_at"),
)


@dataclass(frozen=True)
class _Stock:
    store: np.ndarray
    product: np.ndarray
    on_hand: np.ndarray
    on_order: np.ndarray
    reorder_point: np.ndarray
    updated_ts: np.ndarray


def _stock_on(seed: int, volume: int, day_number: int) -> _Stock:
    network = stores(seed)
    active = catalog_on(seed, volume, day_number).active
    store = np.repeat(np.arange(len(network.ids)), len(active))
    product = np.tile(active, len(network.ids))
    key = store * 1_000_000 + product
    popularity = catalog(seed, volume).popularity
    relative_popularity = popularity[product] / popularity.max()
    capacity = (
        12 + entity_uniform(seed, "inv:cap", key) * 60 + 400 * relative_popularity * network.square_meters[store] / 4000
    ).astype(np.int64)
    cycle_days = 4 + (entity_uniform(seed, "inv:cycle", key) * 18).astype(np.int64)
    offset = (entity_uniform(seed, "inv:off", key) * cycle_days).astype(np.int64)
    days_since_delivery = (day_number + offset) % cycle_days
    usage = 0.7 + 0.6 * entity_uniform(seed, "inv:use", key, day_number)
    on_hand = np.rint(capacity * (1.0 - usage * days_since_delivery / cycle_days)).astype(np.int64)
    on_hand = np.where(entity_uniform(seed, "inv:stockout", key, day_number) < 0.02, 0, np.maximum(on_hand, 0))
    reorder_point = np.rint(capacity * 0.25).astype(np.int64)
    on_order = np.where(on_hand <= reorder_point, (capacity - on_hand + 5) // 6 * 6, 0)  # cases of 6
    # each store exports shortly after 23:00, bigger stores (more registers) a little later
    jitter = (entity_uniform(seed, "inv:t", store, day_number) * 1200).astype(np.int64)
    updated_ts = day_start(day_number) + 23 * 3600 + network.registers[store] * 60 + jitter
    return _Stock(store, product, on_hand, on_order, reorder_point, updated_ts)


def _stock_frame(seed: int, day_number: int, stock: _Stock) -> TextFrame:
    frame = pl.DataFrame(
        {
            "day": np.full(len(stock.store), day_number, dtype=np.int64),
            "on_hand": stock.on_hand,
            "on_order": stock.on_order,
            "reorder_point": stock.reorder_point,
            "product": stock.product,
            "updated_ts": stock.updated_ts,
        }
    ).with_columns(
        snapshot_date=date_expr("day"),
        store_id=lookup(stores(seed).ids, stock.store),
        product_id=id_expr("product", "P", 5),
        updated_at=ts_expr("updated_ts"),
    )
    return as_registry_text(frame, TABLE)


def inventory_table(seed: int, volume: int, day_number: int) -> TextFrame:
    stock = _stock_on(seed, volume, day_number)
    frame = _stock_frame(seed, day_number, stock)
    rng = day_rng(seed, day_number, TABLE, 1)
    k = frame.height
    resent, bad_on_hand, negative, no_product, bad_ts = pick_rows(rng, np.arange(k), k, _ROW_DEFECTS)
    frame = inject_bad_numbers(frame, _BAD_ON_HAND, bad_on_hand)
    frame = inject_negative(frame, _NEGATIVE_ON_HAND, negative, magnitudes=1 + stock.on_hand[negative])
    frame = inject_empty(frame, _NO_PRODUCT, no_product)
    frame = inject_bad_timestamps(frame, _BAD_TS, bad_ts, day_number)
    # an earlier count re-sent: 5-60 minutes before the right one, with a wrong on_hand
    wrong_on_hand = stock.on_hand[resent] + rng.integers(1, 40, len(resent))
    earlier_ts = stock.updated_ts[resent] - rng.integers(300, 3600, len(resent))
    copies = stale_copies(frame, resent, earlier_ts, {"on_hand": [str(v) for v in wrong_on_hand]})
    frame = insert_stale_copies(frame, rng, resent, copies)
    duplicates = rows_affected(defect(TABLE, Kind.EXACT_DUPLICATE), k)
    return duplicate_rows(frame, rng, rng.choice(frame.height, size=min(frame.height, duplicates), replace=False))
