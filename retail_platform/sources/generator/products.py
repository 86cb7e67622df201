"""The product catalogue: fixed traits per product and the attributes that change over time.

A product's price, category and discontinuation are step functions of the day number
(``version = (day_number + offset) // period`` with per-product offset and period), so the
catalogue of any day is computed directly for that day.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .arrays import freeze, freeze_fields
from .calendar import DAY_SECONDS, day_start
from .name_pools import name_pools
from .randomness import entity_uniform, weighted_choice

CATEGORIES = (  # name, subcategories, min USD, max USD, share of the catalogue
    ("electronics", ("headphones", "chargers", "speakers", "cables", "smart home"), 8.0, 350.0, 0.16),
    ("home", ("kitchenware", "bedding", "lighting", "decor"), 4.0, 180.0, 0.18),
    ("apparel", ("t-shirts", "jeans", "jackets", "socks", "shoes"), 6.0, 160.0, 0.20),
    ("beauty", ("skincare", "haircare", "fragrance", "makeup"), 4.0, 90.0, 0.12),
    ("grocery", ("snacks", "coffee", "tea", "beverages"), 1.0, 30.0, 0.14),
    ("sports", ("fitness", "outdoor", "cycling", "running"), 8.0, 280.0, 0.10),
    ("toys", ("puzzles", "board games", "plush", "building sets"), 5.0, 90.0, 0.10),
)
CATEGORY_NAMES = [c[0] for c in CATEGORIES]
SUBCATEGORY_NAMES = [s for c in CATEGORIES for s in c[1]]
_FIRST_SUBCATEGORY = np.cumsum([0] + [len(c[1]) for c in CATEGORIES])[:-1]
_SUBCATEGORY_COUNT = np.array([len(c[1]) for c in CATEGORIES])
_MIN_USD = np.array([c[2] for c in CATEGORIES])
_MAX_USD = np.array([c[3] for c in CATEGORIES])
_CATEGORY_SHARES_CUMULATIVE = np.cumsum([c[4] for c in CATEGORIES])
ADJECTIVES = ("Classic", "Essential", "Pro", "Eco", "Urban", "Premium", "Everyday", "Compact", "Signature", "Active")


def product_count(volume: int) -> int:
    return max(60, round(300 * (max(volume, 1) / 1000) ** 0.25))


@dataclass(frozen=True)
class Catalog:
    """What never changes about a product, and the parameters of what does."""

    count: int
    launch_day: np.ndarray
    launch_ts: np.ndarray
    category: np.ndarray  # index into CATEGORIES
    subcategory: np.ndarray  # index into SUBCATEGORY_NAMES
    alt_category: np.ndarray  # where a re-categorised product goes on odd versions
    alt_subcategory: np.ndarray
    recategorised: np.ndarray  # bool: flips between category and alt_category
    category_period: np.ndarray
    category_offset: np.ndarray
    base_usd: np.ndarray
    price_period: np.ndarray
    price_offset: np.ndarray
    discontinues: np.ndarray  # bool
    discontinued_day: np.ndarray
    popularity: np.ndarray
    brand: np.ndarray  # index into the brand pool
    adjective: np.ndarray  # index into ADJECTIVES


def _launch_days(seed: int, i: np.ndarray, count: int) -> np.ndarray:
    """70% of the products predate EPOCH; the rest launch evenly spread over the next 1200 days."""
    existing = round(0.7 * count)
    spacing = 1200.0 / max(1, count - existing)
    u = entity_uniform(seed, "p:launch", i)
    return np.where(
        i < existing,
        -1 - (u * 1500).astype(np.int64),
        np.floor((i - existing + 0.5 + 0.8 * (u - 0.5)) * spacing).astype(np.int64),
    )


def _within(first: np.ndarray, count: np.ndarray, u: np.ndarray) -> np.ndarray:
    return first + (u * count).astype(np.int64)


@lru_cache(maxsize=8)
def catalog(seed: int, volume: int) -> Catalog:
    count = product_count(volume)
    i = np.arange(count)
    launch_day = _launch_days(seed, i, count)
    category = weighted_choice(
        _CATEGORY_SHARES_CUMULATIVE, entity_uniform(seed, "p:cat", i) * _CATEGORY_SHARES_CUMULATIVE[-1]
    )
    shift = 1 + (entity_uniform(seed, "p:altcat", i) * (len(CATEGORIES) - 1)).astype(np.int64)
    alt_category = (category + shift) % len(CATEGORIES)
    category_period = 120 + (entity_uniform(seed, "p:catper", i) * 420).astype(np.int64)
    price_period = 40 + (entity_uniform(seed, "p:priceper", i) * 200).astype(np.int64)
    log_min, log_max = np.log(_MIN_USD[category]), np.log(_MAX_USD[category])
    popularity_rank = np.argsort(np.argsort(entity_uniform(seed, "p:pop", i)))
    launch_time = (9 * 3600 + entity_uniform(seed, "p:launch_t", i) * 8 * 3600).astype(np.int64)  # 09:00-17:00
    result = Catalog(
        count=count,
        launch_day=launch_day,
        launch_ts=day_start(launch_day) + launch_time,
        category=category,
        subcategory=_within(
            _FIRST_SUBCATEGORY[category], _SUBCATEGORY_COUNT[category], entity_uniform(seed, "p:sub", i)
        ),
        alt_category=alt_category,
        alt_subcategory=_within(
            _FIRST_SUBCATEGORY[alt_category], _SUBCATEGORY_COUNT[alt_category], entity_uniform(seed, "p:altsub", i)
        ),
        recategorised=entity_uniform(seed, "p:recat", i) < 0.10,
        category_period=category_period,
        category_offset=(entity_uniform(seed, "p:catoff", i) * category_period).astype(np.int64),
        base_usd=np.exp(log_min + entity_uniform(seed, "p:price", i) * (log_max - log_min)),
        price_period=price_period,
        price_offset=(entity_uniform(seed, "p:priceoff", i) * price_period).astype(np.int64),
        discontinues=entity_uniform(seed, "p:disc", i) < 0.06,
        discontinued_day=launch_day + 150 + (entity_uniform(seed, "p:discday", i) * 700).astype(np.int64),
        popularity=1.0 / (popularity_rank + 1.0) ** 0.85,
        brand=(entity_uniform(seed, "p:brand", i) * len(name_pools(seed).brand)).astype(np.int64),
        adjective=(entity_uniform(seed, "p:adj", i) * len(ADJECTIVES)).astype(np.int64),
    )
    freeze_fields(result)
    return result


@dataclass(frozen=True)
class CatalogDay:
    """The catalogue as it stands on one day."""

    exported: np.ndarray  # product indices launched on or before the day
    active: np.ndarray  # product indices sellable that day
    active_cdf: np.ndarray  # popularity CDF over ``active``
    price_cents: np.ndarray  # USD cents, all products
    category: np.ndarray
    subcategory: np.ndarray
    is_active: np.ndarray  # bool, all products
    updated_ts: np.ndarray


def _change_ts(seed: int, stream: str, i: np.ndarray, version: np.ndarray, change_day: np.ndarray) -> np.ndarray:
    return day_start(change_day) + (entity_uniform(seed, stream, i, version) * DAY_SECONDS).astype(np.int64)


@lru_cache(maxsize=64)
def catalog_on(seed: int, volume: int, day_number: int) -> CatalogDay:
    products = catalog(seed, volume)
    i = np.arange(products.count)
    launched = products.launch_day <= day_number
    price_version = (day_number + products.price_offset) // products.price_period
    multiplier = 0.85 + 0.30 * entity_uniform(seed, "p:mult", i, price_version)
    price_cents = np.floor(products.base_usd * multiplier).astype(np.int64) * 100 + 99
    price_change_day = price_version * products.price_period - products.price_offset
    price_change_ts = _change_ts(seed, "p:pricet", i, price_version, price_change_day)
    # re-categorised products move to their alternative category on odd versions and back
    category_version = (day_number + products.category_offset) // products.category_period
    use_alt = products.recategorised & (category_version % 2 == 1)
    category_change_day = category_version * products.category_period - products.category_offset
    category_change_ts = _change_ts(seed, "p:catt", i, category_version, category_change_day)
    discontinued = products.discontinues & (products.discontinued_day <= day_number)
    discontinued_ts = day_start(products.discontinued_day) + (entity_uniform(seed, "p:disct", i) * DAY_SECONDS).astype(
        np.int64
    )
    # changes before the launch are not changes: the product first appears with those values
    updated = products.launch_ts.copy()
    updated = np.where(price_change_day >= products.launch_day, np.maximum(updated, price_change_ts), updated)
    recategorised_since_launch = products.recategorised & (category_change_day >= products.launch_day)
    updated = np.where(recategorised_since_launch, np.maximum(updated, category_change_ts), updated)
    updated = np.where(discontinued, np.maximum(updated, discontinued_ts), updated)
    is_active = launched & ~discontinued
    active = np.flatnonzero(is_active)
    cdf = np.cumsum(products.popularity[active])
    result = CatalogDay(
        exported=np.flatnonzero(launched),
        active=active,
        active_cdf=cdf / cdf[-1],
        price_cents=price_cents,
        category=np.where(use_alt, products.alt_category, products.category),
        subcategory=np.where(use_alt, products.alt_subcategory, products.subcategory),
        is_active=is_active,
        updated_ts=updated,
    )
    freeze_fields(result)
    return result


_BUCKETS = 1 << 16


@lru_cache(maxsize=64)
def bucket_starts(seed: int, volume: int, day_number: int) -> np.ndarray:
    """For each of _BUCKETS equal slices of [0, 1): where ``searchsorted`` of its lower end lands."""
    edges = np.arange(_BUCKETS + 1) / _BUCKETS
    starts = np.searchsorted(catalog_on(seed, volume, day_number).active_cdf, edges, "right")
    freeze(starts)
    return starts


def _searchsorted_right(cdf: np.ndarray, starts: np.ndarray, u: np.ndarray) -> np.ndarray:
    """``np.searchsorted(cdf, u, side="right")`` for u in [0, 1), from the bucket of each u.

    Exact: u * _BUCKETS is exact (a power of two), so the answer lies between the bucket's start
    and the next one's; the few steps between are taken for all values at once.
    """
    position = starts[(u * _BUCKETS).astype(np.int64)]
    bounded = np.append(cdf, np.inf)
    while True:
        step = bounded[position] <= u
        if not step.any():
            return position
        position += step


def sample_products(catalog_day: CatalogDay, rng: np.random.Generator, k: int, starts: np.ndarray) -> np.ndarray:
    """``k`` active products drawn by popularity (``starts``: :func:`bucket_starts` of the day)."""
    position = _searchsorted_right(catalog_day.active_cdf, starts, rng.random(k))
    return catalog_day.active[np.minimum(position, len(catalog_day.active) - 1)]
