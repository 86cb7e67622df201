"""Deterministic, vectorised generator of the raw files the source systems export each day.

``generate_day(day)`` returns one :class:`LandingFile` per table declared in
:mod:`retail_platform.sources.registry`. The output is a pure function of ``(seed, day, volume)``:

* every random stream is either ``numpy.random.default_rng([seed, day_index, table_code, ...])``
  (facts of one day: transactions, orders, sessions, tickets) or a counter-based hash of
  ``(seed, stream, entity_index, version)`` (entity attributes: product price on day d, customer
  address on day d, ...). ``table_code`` is ``zlib.crc32`` of a stream name, never ``hash()``;
* nothing reads the wall clock and nothing depends on which days were generated before (the
  ``lru_cache``-d helpers only memoise pure functions and hand out read-only arrays).

Entity histories start at :data:`EPOCH`: customers and products that exist "before the business
began" get pre-EPOCH signup / launch dates, and every attribute that changes over time is a step
function ``version = floor((days_since_epoch + offset) / period)`` with per-entity random
offset/period, so the attributes on any day are computable directly for that day.

Canonical value formats (what a clean value looks like):

* timestamps ``2026-11-01T10:15:03Z`` (UTC), dates ``2026-11-01``, money ``12.50``,
  booleans ``true``/``false``; CSV nulls are empty fields, JSON nulls are ``null``;
* JSON(L): money / integers are written as JSON numbers (``12.50``, ``3``), booleans as JSON
  booleans, everything else (and every malformed value) as JSON strings.

Defects (deterministic, small rates, see :data:`DEFECTS` for the exact list per table):

* exact duplicate rows; re-sent rows (same key, the row with the later ``updated_at`` is right);
* malformed values: ``N/A`` and ``12,5x`` in numeric columns, negative quantities,
  unparseable timestamps ``31/02/2026 25:61`` / ``2026-11-01 25:61:00``, a required
  column left empty (``""`` in JSON, empty field in CSV), unknown enum values (``XXX`` ...);
* CDC: repeated events (same ``lsn`` twice) and an lsn order that is not sorted;
* late rows (business timestamp 1-3 days before the file's day, ids never sent before);
* schema drift on some days (one undeclared extra column in one table);
* messy text: surrounding spaces and wrong case in emails, codes, statuses.
"""

from __future__ import annotations

import io
import math
import zlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

import numpy as np
import polars as pl

from retail_platform.sources import registry

__all__ = [
    "DEFAULT_SEED",
    "DEFAULT_VOLUME",
    "DEFECTS",
    "EPOCH",
    "FX_TO_USD",
    "LandingFile",
    "file_name",
    "generate_day",
]

DEFAULT_SEED = 7
DEFAULT_VOLUME = 1000  # ~ POS transaction lines on an average day; every table scales from it
EPOCH = date(2024, 1, 1)  # the generated business "began" here; entity histories are defined from it

# Fixed FX: 1 unit of the currency is worth this many USD.
# unit_price_local = round(usd_price / FX_TO_USD[currency], 2)
FX_TO_USD = registry.FX_TO_USD

# Malformed timestamp texts (``{y}`` = the file's year, ``{d}`` = the file's date).
BAD_TIMESTAMPS = ("31/02/{y} 25:61", "{d} 25:61:00")
# Malformed numeric texts.
BAD_NUMBERS = ("N/A", "12,5x")

# What each table's file may contain besides clean rows. Every kind except "drift" is present in
# every day's file at the default volume (each kind has at least one row), except on the EPOCH day
# itself, which has no late rows and no re-sent tickets. Empty required values are an empty CSV
# field or "" in JSON. At most one table per day drifts (an extra column placed before updated_at).
DEFECTS: dict[str, dict[str, str]] = {
    "pos_transactions": {
        "resent": "same transaction_id twice: first send with a wrong total_amount, then the correction "
        "with an updated_at 1-60 min later",
        "bad_number": "total_amount is 'N/A' or '12,5x'",
        "bad_timestamp": "transaction_ts unparseable",
        "empty_required": "store_id empty",
        "unknown_enum": "currency 'XXX'; payment_method 'bitcoin'",
        "late": "transactions whose transaction_ts is 1-3 days before the file day (seq >= 900000)",
        "messy": "currency / payment_method with spaces or wrong case",
        "drift": "extra column terminal_firmware (before updated_at) on ~4% of days",
    },
    "pos_transaction_lines": {
        "duplicate": "exact duplicate lines",
        "bad_number": "quantity 'N/A' and '12,5x'; unit_price 'N/A' or '12,5x'",
        "negative": "quantity < 0",
        "bad_timestamp": "updated_at unparseable",
        "empty_required": "product_id empty",
        "late": "lines of the late transactions",
    },
    "orders": {
        "repeated_event": "an event (same lsn, identical row) sent twice",
        "out_of_order": "rows not sorted by lsn",
        "bad_number": "order_total 'N/A' / '12,5x'",
        "bad_timestamp": "event_ts unparseable",
        "empty_required": "order_id empty",
        "unknown_enum": "currency 'XXX'; status 'on_hold'",
        "messy": "status / currency / shipping_country with spaces or wrong case",
        "drift": "extra column coupon_code on ~2% of days",
    },
    "order_items": {
        "duplicate": "exact duplicate items",
        "bad_number": "quantity 'N/A' or '12,5x'; unit_price 'N/A' or '12,5x'",
        "negative": "quantity < 0",
        "bad_timestamp": "updated_at unparseable",
        "empty_required": "product_id empty",
    },
    "inventory_snapshots": {
        "duplicate": "exact duplicate rows",
        "resent": "same (snapshot_date, store_id, product_id) twice; the copy 5-60 min earlier has a wrong on_hand",
        "bad_number": "on_hand 'N/A' / '12,5x'",
        "negative": "on_hand < 0",
        "bad_timestamp": "updated_at unparseable",
        "empty_required": "product_id empty",
    },
    "customers": {
        "duplicate": "exact duplicate rows",
        "resent": "same customer_id twice; the copy with the earlier updated_at (between signup and the "
        "latest change) carries the previous address/city and another tier",
        "messy": "email / country / loyalty_tier with spaces or wrong case",
        "drift": "extra column loyalty_points (integer) on ~1 day in 10",
    },
    "products": {"messy": "sku lower case, currency ' usd'"},
    "stores": {},
    "web_sessions": {
        "duplicate": "exact duplicate rows (non-converting sessions only)",
        "bad_number": "pages_viewed 'N/A' / '12,5x'",
        "negative": "pages_viewed < 0",
        "bad_timestamp": "started_at unparseable",
        "empty_required": "session_id empty",
        "unknown_enum": "device 'smart-tv'",
        "late": "sessions whose started_at is 1-3 days before the file day (seq >= 9000000)",
        "messy": "device / traffic_source with spaces or wrong case",
        "drift": "extra column utm_campaign on ~3% of days",
    },
    "support_tickets": {
        "resent": "a pending/closed row sent twice (same ticket_id and status); the copy with the earlier "
        "updated_at carries a wrong priority",
        "bad_timestamp": "opened_at unparseable",
        "empty_required": "customer_id empty",
        "unknown_enum": "status 'escalated'",
        "messy": "status / priority with spaces or wrong case",
    },
}


@dataclass(frozen=True)
class LandingFile:
    table: str  # registry table name
    name: str  # file name, e.g. "pos_transactions_20261101.csv"
    content: bytes


def file_name(table: str, day: date) -> str:
    spec = registry.table_spec(table)
    return f"{table}_{day:%Y%m%d}.{spec.file_format}"


# ---------------------------------------------------------------------------------------------
# Deterministic randomness
# ---------------------------------------------------------------------------------------------

_DAY_S = 86_400
_EPOCH_S = int(datetime(EPOCH.year, EPOCH.month, EPOCH.day, tzinfo=UTC).timestamp())
_EPOCH_UNIX_DAYS = _EPOCH_S // _DAY_S

_U64 = np.uint64
_GOLD = _U64(0x9E3779B97F4A7C15)
_C1 = _U64(0xBF58476D1CE4E5B9)
_C2 = _U64(0x94D049BB133111EB)
_MASK64 = (1 << 64) - 1


def _code(name: str) -> int:
    return zlib.crc32(name.encode("utf-8"))


def _mix(z: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser (vectorised, wraps modulo 2**64)."""
    z = z + _GOLD
    z = (z ^ (z >> _U64(30))) * _C1
    z = (z ^ (z >> _U64(27))) * _C2
    return z ^ (z >> _U64(31))


def _hash(seed: int, stream: str, *keys) -> np.ndarray:
    """Counter-based hash of (seed, stream, *keys): the per-entity random source."""
    with np.errstate(over="ignore"):
        h = _mix(np.array([(seed ^ (_code(stream) << 32)) & _MASK64], dtype=np.uint64))
        for k in keys:
            ku = np.asarray(k).astype(np.int64).astype(np.uint64)
            h = _mix(h ^ ku)
    return h


def _u(seed: int, stream: str, *keys) -> np.ndarray:
    """Uniform [0, 1) floats from the hash."""
    return (_hash(seed, stream, *keys) >> _U64(11)).astype(np.float64) * (1.0 / (1 << 53))


def _rng(seed: int, n: int, stream: str, *extra: int) -> np.random.Generator:
    return np.random.default_rng([seed, n, _code(stream), *extra])


def _frozen(*arrays: np.ndarray) -> None:
    for a in arrays:
        a.flags.writeable = False


# ---------------------------------------------------------------------------------------------
# Calendar and volume
# ---------------------------------------------------------------------------------------------


def _day_date(n: int) -> date:
    return EPOCH + timedelta(days=n)


def _day_start(n):
    """Unix seconds of 00:00:00 UTC of day index ``n`` (int or array)."""
    return _EPOCH_S + np.asarray(n, dtype=np.int64) * _DAY_S


def _ts_day(ts: np.ndarray) -> np.ndarray:
    return (ts - _EPOCH_S) // _DAY_S


def _day_factor(seed: int, n: int) -> float:
    """Relative volume of day n: weekly pattern x season (Nov/Dec peak) x small noise; mean ~1."""
    d = _day_date(n)
    weekly = (1.3 if d.weekday() >= 5 else 1.0) / ((5 + 2 * 1.3) / 7)
    doy = d.timetuple().tm_yday
    dist = ((doy - 340 + 182) % 365) - 182  # circular distance to ~Dec 6
    season = 0.93 + 0.55 * math.exp(-0.5 * (dist / 22.0) ** 2)
    noise = math.exp(_rng(seed, n, "volume").normal(0.0, 0.05))
    return weekly * season * noise


@dataclass(frozen=True)
class _Plan:
    n_txn: int
    n_orders: int
    n_sessions: int
    n_tickets: int


_LINES_PER_TXN = 3.5  # mean of uniform 1..6
_ORDERS_PER_VOLUME = 0.06


@lru_cache(maxsize=256)
def _plan(seed: int, n: int, volume: int) -> _Plan:
    f = _day_factor(seed, n)
    rng = _rng(seed, n, "plan")
    n_txn = max(1, int(rng.poisson(volume * f / _LINES_PER_TXN)))
    n_orders = max(1, int(rng.poisson(_ORDERS_PER_VOLUME * volume * f)))
    conversion = rng.uniform(0.032, 0.048)
    n_sessions = max(n_orders + 1, round(n_orders / conversion))
    n_tickets = max(1, int(rng.poisson(0.10 * n_orders + 0.004 * n_txn)))
    return _Plan(n_txn, n_orders, n_sessions, n_tickets)


def _tod_store(rng: np.random.Generator, k: int) -> np.ndarray:
    """Seconds after midnight UTC for till transactions: lunch and evening peaks, 08:00-21:00."""
    comp = rng.random(k)
    a = rng.normal(12.5, 1.6, k)
    b = rng.normal(17.5, 1.6, k)
    c = rng.uniform(8.0, 21.0, k)
    h = np.where(comp < 0.4, a, np.where(comp < 0.8, b, c))
    return (np.clip(h, 8.0, 20.9997) * 3600).astype(np.int64)


def _tod_web(rng: np.random.Generator, k: int) -> np.ndarray:
    """Seconds after midnight UTC for web activity: evening peak, some around the clock."""
    comp = rng.random(k)
    a = rng.normal(20.0, 2.8, k)
    c = rng.uniform(0.0, 24.0, k)
    h = np.mod(np.where(comp < 0.65, a, c), 24.0)
    return np.minimum((h * 3600).astype(np.int64), _DAY_S - 1)


# ---------------------------------------------------------------------------------------------
# Attribute pools (Faker, once per seed)
# ---------------------------------------------------------------------------------------------

COUNTRIES = ("US", "DE", "FR", "GB")
_COUNTRY_CURRENCY = np.array([0, 1, 1, 2], dtype=np.int64)  # index into registry.CURRENCIES
_CUR_FX = np.array([FX_TO_USD[c] for c in registry.CURRENCIES])
_LOCALES = ("en_US", "de_DE", "fr_FR", "en_GB")
_PHONE_CC = ("+1", "+49", "+33", "+44")
_POOL_N = 256  # entries per pool per country
_EMAIL_DOMAINS = (  # 5 per country, in COUNTRIES order
    "gmail.com",
    "yahoo.com",
    "outlook.com",
    "icloud.com",
    "aol.com",
    "gmx.de",
    "web.de",
    "gmail.com",
    "t-online.de",
    "outlook.de",
    "orange.fr",
    "free.fr",
    "gmail.com",
    "laposte.net",
    "outlook.fr",
    "btinternet.com",
    "gmail.com",
    "outlook.com",
    "yahoo.co.uk",
    "sky.com",
)
_ACCENTS = (
    ["ä", "ö", "ü", "ß", "é", "è", "ê", "ë", "à", "â", "ç", "î", "ï", "ô", "û", "ù", "ÿ", "œ", "æ"],
    ["ae", "oe", "ue", "ss", "e", "e", "e", "e", "a", "a", "c", "i", "i", "o", "u", "u", "y", "oe", "ae"],
)


@lru_cache(maxsize=4)
def _pools(seed: int) -> dict[str, pl.Series]:
    """Small name/street/city pools per country, concatenated (country k at [k*_POOL_N, ...))."""
    from faker import Faker  # imported lazily: only pool building needs it

    first, last, street, city = [], [], [], []
    for k, loc in enumerate(_LOCALES):
        fk = Faker(loc)
        fk.seed_instance(seed * 1009 + k)
        first += [fk.first_name() for _ in range(_POOL_N)]
        last += [fk.last_name() for _ in range(_POOL_N)]
        street += [fk.street_name() for _ in range(_POOL_N)]
        city += [fk.city() for _ in range(_POOL_N)]
    fk = Faker("en_US")
    fk.seed_instance(seed * 1009 + 99)
    brands = sorted({fk.last_name() for _ in range(200)})[:_POOL_N]
    return {
        "first": pl.Series(first, dtype=pl.String),
        "last": pl.Series(last, dtype=pl.String),
        "street": pl.Series(street, dtype=pl.String),
        "city": pl.Series(city, dtype=pl.String),
        "brand": pl.Series(brands, dtype=pl.String),
    }


# ---------------------------------------------------------------------------------------------
# Stores
# ---------------------------------------------------------------------------------------------

_STORE_DEFS = (
    ("New York", "US", "US-East"),
    ("Chicago", "US", "US-Central"),
    ("Austin", "US", "US-South"),
    ("Seattle", "US", "US-West"),
    ("Berlin", "DE", "DACH"),
    ("Munich", "DE", "DACH"),
    ("Hamburg", "DE", "DACH"),
    ("Paris", "FR", "France"),
    ("Lyon", "FR", "France"),
    ("London", "GB", "UK"),
    ("Manchester", "GB", "UK"),
    ("Edinburgh", "GB", "UK"),
)
_STORE_SUFFIX = ("Central", "Market", "Plaza", "Outlet")


@dataclass(frozen=True)
class _Stores:
    ids: list[str]
    country: np.ndarray  # index into COUNTRIES
    currency: np.ndarray  # index into registry.CURRENCIES
    sqm: np.ndarray
    registers: np.ndarray
    weight: np.ndarray
    opened_day: np.ndarray  # days since EPOCH (negative)
    names: list[str]


@lru_cache(maxsize=8)
def _stores(seed: int) -> _Stores:
    k = np.arange(len(_STORE_DEFS))
    country = np.array([COUNTRIES.index(c) for _, c, _ in _STORE_DEFS])
    sqm = (600 + _u(seed, "store:sqm", k) * 3400).astype(np.int64) // 10 * 10
    opened = -(200 + (_u(seed, "store:opened", k) * 4000).astype(np.int64))
    suffix = (_u(seed, "store:name", k) * len(_STORE_SUFFIX)).astype(np.int64)
    w = sqm.astype(float) ** 0.8
    st = _Stores(
        ids=[f"S{i + 1:03d}" for i in k],
        country=country,
        currency=_COUNTRY_CURRENCY[country],
        sqm=sqm,
        registers=2 + sqm // 700,
        weight=w / w.sum(),
        opened_day=opened,
        names=[f"Meridian {_STORE_DEFS[i][0]} {_STORE_SUFFIX[suffix[i]]}" for i in k],
    )
    _frozen(st.country, st.currency, st.sqm, st.registers, st.weight, st.opened_day)
    return st


# ---------------------------------------------------------------------------------------------
# Product catalogue
# ---------------------------------------------------------------------------------------------

_CATEGORIES = (  # name, subcategories, min USD, max USD, share
    ("electronics", ("headphones", "chargers", "speakers", "cables", "smart home"), 8.0, 350.0, 0.16),
    ("home", ("kitchenware", "bedding", "lighting", "decor"), 4.0, 180.0, 0.18),
    ("apparel", ("t-shirts", "jeans", "jackets", "socks", "shoes"), 6.0, 160.0, 0.20),
    ("beauty", ("skincare", "haircare", "fragrance", "makeup"), 4.0, 90.0, 0.12),
    ("grocery", ("snacks", "coffee", "tea", "beverages"), 1.0, 30.0, 0.14),
    ("sports", ("fitness", "outdoor", "cycling", "running"), 8.0, 280.0, 0.10),
    ("toys", ("puzzles", "board games", "plush", "building sets"), 5.0, 90.0, 0.10),
)
_CAT_NAMES = [c[0] for c in _CATEGORIES]
_SUB_NAMES = [s for c in _CATEGORIES for s in c[1]]
_SUB_START = np.cumsum([0] + [len(c[1]) for c in _CATEGORIES])[:-1]
_SUB_COUNT = np.array([len(c[1]) for c in _CATEGORIES])
_CAT_LO = np.array([c[2] for c in _CATEGORIES])
_CAT_HI = np.array([c[3] for c in _CATEGORIES])
_CAT_CUM = np.cumsum([c[4] for c in _CATEGORIES])
_ADJECTIVES = ("Classic", "Essential", "Pro", "Eco", "Urban", "Premium", "Everyday", "Compact", "Signature", "Active")


def _n_products(volume: int) -> int:
    return max(60, round(300 * (max(volume, 1) / 1000) ** 0.25))


@dataclass(frozen=True)
class _CatalogStatic:
    n: int
    launch_day: np.ndarray
    launch_ts: np.ndarray
    cat: np.ndarray
    sub: np.ndarray
    alt_cat: np.ndarray
    alt_sub: np.ndarray
    recat: np.ndarray
    cat_period: np.ndarray
    cat_off: np.ndarray
    base_usd: np.ndarray
    price_period: np.ndarray
    price_off: np.ndarray
    disc: np.ndarray
    disc_day: np.ndarray
    popularity: np.ndarray
    brand: np.ndarray
    adjective: np.ndarray


@lru_cache(maxsize=8)
def _catalog_static(seed: int, volume: int) -> _CatalogStatic:
    n = _n_products(volume)
    i = np.arange(n)
    n0 = round(0.7 * n)
    spacing = 1200.0 / max(1, n - n0)
    launch = np.where(
        i < n0,
        -1 - (_u(seed, "p:launch", i) * 1500).astype(np.int64),
        np.floor((i - n0 + 0.5 + 0.8 * (_u(seed, "p:launch", i) - 0.5)) * spacing).astype(np.int64),
    )
    launch_ts = _day_start(launch) + (9 * 3600 + _u(seed, "p:launch_t", i) * 8 * 3600).astype(np.int64)
    cat = np.searchsorted(_CAT_CUM, _u(seed, "p:cat", i) * _CAT_CUM[-1], side="right")
    cat = np.minimum(cat, len(_CATEGORIES) - 1)
    sub = _SUB_START[cat] + (_u(seed, "p:sub", i) * _SUB_COUNT[cat]).astype(np.int64)
    alt_cat = (cat + 1 + (_u(seed, "p:altcat", i) * (len(_CATEGORIES) - 1)).astype(np.int64)) % len(_CATEGORIES)
    alt_sub = _SUB_START[alt_cat] + (_u(seed, "p:altsub", i) * _SUB_COUNT[alt_cat]).astype(np.int64)
    recat = _u(seed, "p:recat", i) < 0.10
    cat_period = 120 + (_u(seed, "p:catper", i) * 420).astype(np.int64)
    cat_off = (_u(seed, "p:catoff", i) * cat_period).astype(np.int64)
    lo, hi = np.log(_CAT_LO[cat]), np.log(_CAT_HI[cat])
    base_usd = np.exp(lo + _u(seed, "p:price", i) * (hi - lo))
    price_period = 40 + (_u(seed, "p:priceper", i) * 200).astype(np.int64)
    price_off = (_u(seed, "p:priceoff", i) * price_period).astype(np.int64)
    disc = _u(seed, "p:disc", i) < 0.06
    disc_day = launch + 150 + (_u(seed, "p:discday", i) * 700).astype(np.int64)
    rank = np.argsort(np.argsort(_u(seed, "p:pop", i)))
    popularity = 1.0 / (rank + 1.0) ** 0.85
    st = _CatalogStatic(
        n=n,
        launch_day=launch,
        launch_ts=launch_ts,
        cat=cat,
        sub=sub,
        alt_cat=alt_cat,
        alt_sub=alt_sub,
        recat=recat,
        cat_period=cat_period,
        cat_off=cat_off,
        base_usd=base_usd,
        price_period=price_period,
        price_off=price_off,
        disc=disc,
        disc_day=disc_day,
        popularity=popularity,
        brand=(_u(seed, "p:brand", i) * len(_pools(seed)["brand"])).astype(np.int64),
        adjective=(_u(seed, "p:adj", i) * len(_ADJECTIVES)).astype(np.int64),
    )
    _frozen(*(v for v in st.__dict__.values() if isinstance(v, np.ndarray)))
    return st


@dataclass(frozen=True)
class _CatalogDay:
    exported: np.ndarray  # product indices launched on or before the day
    active: np.ndarray  # product indices sellable that day
    active_cdf: np.ndarray  # popularity CDF over ``active``
    price_cents: np.ndarray  # USD cents, all products
    cat: np.ndarray
    sub: np.ndarray
    is_active: np.ndarray  # bool, all products
    updated_ts: np.ndarray


@lru_cache(maxsize=64)
def _catalog_day(seed: int, volume: int, n: int) -> _CatalogDay:
    s = _catalog_static(seed, volume)
    i = np.arange(s.n)
    launched = s.launch_day <= n
    # price: step function of the day
    pv = (n + s.price_off) // s.price_period
    mult = 0.85 + 0.30 * _u(seed, "p:mult", i, pv)
    price_cents = np.floor(s.base_usd * mult).astype(np.int64) * 100 + 99
    price_change_day = pv * s.price_period - s.price_off
    price_change_ts = _day_start(price_change_day) + (_u(seed, "p:pricet", i, pv) * _DAY_S).astype(np.int64)
    # category: some products are re-categorised back and forth
    cv = (n + s.cat_off) // s.cat_period
    use_alt = s.recat & (cv % 2 == 1)
    cat = np.where(use_alt, s.alt_cat, s.cat)
    sub = np.where(use_alt, s.alt_sub, s.sub)
    cat_change_day = cv * s.cat_period - s.cat_off
    cat_change_ts = _day_start(cat_change_day) + (_u(seed, "p:catt", i, cv) * _DAY_S).astype(np.int64)
    # discontinuation
    discontinued = s.disc & (s.disc_day <= n)
    disc_ts = _day_start(s.disc_day) + (_u(seed, "p:disct", i) * _DAY_S).astype(np.int64)
    updated = s.launch_ts.copy()
    updated = np.where(price_change_day >= s.launch_day, np.maximum(updated, price_change_ts), updated)
    updated = np.where(s.recat & (cat_change_day >= s.launch_day), np.maximum(updated, cat_change_ts), updated)
    updated = np.where(discontinued, np.maximum(updated, disc_ts), updated)
    is_active = launched & ~discontinued
    active = np.flatnonzero(is_active)
    cdf = np.cumsum(s.popularity[active])
    day = _CatalogDay(
        exported=np.flatnonzero(launched),
        active=active,
        active_cdf=cdf / cdf[-1],
        price_cents=price_cents,
        cat=cat,
        sub=sub,
        is_active=is_active,
        updated_ts=updated,
    )
    _frozen(*(v for v in day.__dict__.values() if isinstance(v, np.ndarray)))
    return day


def _sample_products(cd: _CatalogDay, rng: np.random.Generator, k: int) -> np.ndarray:
    pos = np.searchsorted(cd.active_cdf, rng.random(k), side="right")
    return cd.active[np.minimum(pos, len(cd.active) - 1)]


# ---------------------------------------------------------------------------------------------
# Customers
# ---------------------------------------------------------------------------------------------

_COUNTRY_CUM = np.array([0.45, 0.65, 0.80, 1.0])
_TIERS = ("none", "silver", "gold", "platinum")
_TIER_CUM = np.array([0.50, 0.80, 0.95, 1.0])


def _cust_params(volume: int) -> tuple[int, float]:
    base = max(100, round(3000 * math.sqrt(max(volume, 1) / 1000)))
    return base, base * 0.002  # base population before EPOCH, signups per day after


@lru_cache(maxsize=256)
def _n_customers(volume: int, n: int) -> int:
    """Number of customers whose signup day <= n (consistent with ``_cust_signup_day``)."""
    base, g = _cust_params(volume)
    j = np.arange(math.ceil((n + 1) * g) + 3)
    return base + int(np.count_nonzero(np.floor(j / g) <= n))


def _cust_signup_day(seed: int, volume: int, idx: np.ndarray) -> np.ndarray:
    base, g = _cust_params(volume)
    pre = -1 - (_u(seed, "c:signup", idx) * 1460).astype(np.int64)
    post = np.floor((idx - base) / g).astype(np.int64)
    return np.where(idx < base, pre, post)


def _cust_country(seed: int, idx: np.ndarray) -> np.ndarray:
    return np.minimum(np.searchsorted(_COUNTRY_CUM, _u(seed, "c:country", idx), side="right"), 3)


def _pick_existing_customers(rng: np.random.Generator, volume: int, n: int, k: int) -> np.ndarray:
    """Customer indices that exist on day n, skewed towards long-standing (frequent) customers."""
    nc = _n_customers(volume, n)
    return np.minimum((nc * rng.random(k) ** 1.3).astype(np.int64), nc - 1)


def _version(seed: int, stream: str, idx: np.ndarray, n: int, lo: int, span: int):
    period = lo + (_u(seed, stream + ":per", idx) * span).astype(np.int64)
    off = (_u(seed, stream + ":off", idx) * period).astype(np.int64)
    v = (n + off) // period
    change_day = v * period - off
    change_ts = _day_start(change_day) + (_u(seed, stream + ":t", idx, v) * _DAY_S).astype(np.int64)
    return v, change_day, change_ts


# ---------------------------------------------------------------------------------------------
# Orders (one creation day) and tickets (one opening day): memoised pure functions
# ---------------------------------------------------------------------------------------------

_EV_STATUS = ("created", "paid", "canceled", "shipped", "delivered", "refunded", "created")
_EV_OP = ("insert", "update", "update", "update", "update", "update", "delete")
_ORDER_WINDOW = 20  # orders created d-20..d can have events on d
_TICKET_WINDOW = 10


@dataclass(frozen=True)
class _OrdersDay:
    c: int
    created: np.ndarray
    cust: np.ndarray  # -1 = guest
    country: np.ndarray
    cur: np.ndarray
    session_seq: np.ndarray
    total: np.ndarray  # cents, order currency
    item_order: np.ndarray
    item_line: np.ndarray
    item_product: np.ndarray
    item_qty: np.ndarray
    item_unit: np.ndarray
    ev_order: np.ndarray
    ev_kind: np.ndarray
    ev_ts: np.ndarray
    deleted: np.ndarray


@lru_cache(maxsize=24)
def _orders_day(seed: int, volume: int, c: int) -> _OrdersDay:
    plan = _plan(seed, c, volume)
    k = plan.n_orders
    rng = _rng(seed, c, "orders")
    created = _day_start(c) + _tod_web(rng, k)
    guest = rng.random(k) < 0.08
    cust = np.where(guest, -1, _pick_existing_customers(rng, volume, c, k))
    guest_country = np.minimum(np.searchsorted(_COUNTRY_CUM, rng.random(k), side="right"), 3)
    country = np.where(guest, guest_country, _cust_country(seed, np.maximum(cust, 0)))
    cur = _COUNTRY_CURRENCY[country]
    session_seq = rng.choice(plan.n_sessions, size=k, replace=False).astype(np.int64) + 1
    # items
    nl = rng.integers(1, 5, k)
    item_order = np.repeat(np.arange(k), nl)
    item_line = np.arange(len(item_order)) - np.repeat(np.cumsum(nl) - nl, nl) + 1
    cd = _catalog_day(seed, volume, c)
    item_product = _sample_products(cd, rng, len(item_order))
    item_qty = rng.choice(np.array([1, 2, 3]), size=len(item_order), p=[0.75, 0.2, 0.05])
    item_unit = np.rint(cd.price_cents[item_product] / _CUR_FX[cur[item_order]]).astype(np.int64)
    total = np.bincount(item_order, weights=item_qty * item_unit, minlength=k).astype(np.int64)
    # lifecycle
    r = rng.random(k)
    deleted = r < 0.01
    cancel_pre = (r >= 0.01) & (r < 0.04)
    paid = r >= 0.04
    t_paid = created + rng.integers(60, 1800, k)
    cancel_post = paid & (rng.random(k) < 0.02)
    shipped = paid & ~cancel_post
    t_cancel_pre = created + rng.integers(600, 6 * 3600, k)
    t_cancel_post = t_paid + rng.integers(3600, 12 * 3600, k)
    t_ship = t_paid + rng.integers(12 * 3600, 48 * 3600, k)
    t_deliv = t_ship + rng.integers(24 * 3600, 96 * 3600, k)
    refunded = shipped & (rng.random(k) < 0.03)
    t_refund = t_deliv + rng.integers(_DAY_S, 10 * _DAY_S, k)
    t_delete = created + rng.integers(60, 1800, k)
    ones = np.ones(k, dtype=bool)
    parts = [  # (kind, mask, ts)
        (0, ones, created),
        (6, deleted, t_delete),
        (2, cancel_pre, t_cancel_pre),
        (1, paid, t_paid),
        (2, cancel_post, t_cancel_post),
        (3, shipped, t_ship),
        (4, shipped, t_deliv),
        (5, refunded, t_refund),
    ]
    ev_order = np.concatenate([np.flatnonzero(m) for _, m, _ in parts])
    ev_kind = np.concatenate([np.full(int(m.sum()), kd) for kd, m, _ in parts])
    ev_ts = np.concatenate([t[m] for _, m, t in parts])
    od = _OrdersDay(
        c=c,
        created=created,
        cust=cust,
        country=country,
        cur=cur,
        session_seq=session_seq,
        total=total,
        item_order=item_order,
        item_line=item_line,
        item_product=item_product,
        item_qty=item_qty,
        item_unit=item_unit,
        ev_order=ev_order,
        ev_kind=ev_kind,
        ev_ts=ev_ts,
        deleted=deleted,
    )
    _frozen(*(v for v in od.__dict__.values() if isinstance(v, np.ndarray)))
    return od


_TICKET_CATS_ORDER = ("delivery", "refund", "damaged_item", "wrong_item")
_TICKET_CATS_OTHER = ("account", "billing", "product_question", "other")
_PRIORITIES = ("low", "medium", "high", "urgent")
_TICKET_STATUS = ("open", "pending", "closed")


@dataclass(frozen=True)
class _TicketsDay:
    c: int
    opened: np.ndarray
    cust: np.ndarray
    order_day: np.ndarray  # -1 = no order
    order_idx: np.ndarray
    priority: np.ndarray
    category: np.ndarray  # index into _TICKET_CATS_ORDER + _TICKET_CATS_OTHER
    ev_ticket: np.ndarray
    ev_status: np.ndarray
    ev_ts: np.ndarray


@lru_cache(maxsize=24)
def _tickets_day(seed: int, volume: int, c: int) -> _TicketsDay:
    k = _plan(seed, c, volume).n_tickets
    rng = _rng(seed, c, "support_tickets")
    opened = _day_start(c) + rng.integers(7 * 3600, 21 * 3600, k)
    about_order = (rng.random(k) < 0.7) & (c >= 1)
    lag = rng.integers(1, min(7, max(c, 1)) + 1, k)
    pick = rng.random(k)
    order_day = np.full(k, -1, dtype=np.int64)
    order_idx = np.full(k, -1, dtype=np.int64)
    cust = _pick_existing_customers(rng, volume, c, k)
    for lg in np.unique(lag[about_order]):
        sel = np.flatnonzero(about_order & (lag == lg))
        od = _orders_day(seed, volume, c - int(lg))
        eligible = np.flatnonzero((od.cust >= 0) & ~od.deleted)
        if len(eligible) == 0:
            continue
        chosen = eligible[np.minimum((pick[sel] * len(eligible)).astype(np.int64), len(eligible) - 1)]
        order_day[sel] = c - int(lg)
        order_idx[sel] = chosen
        cust[sel] = od.cust[chosen]
    has_order = order_day >= 0
    priority = np.minimum(np.searchsorted([0.35, 0.75, 0.95, 1.0], rng.random(k), side="right"), 3)
    category = np.where(has_order, rng.integers(0, 4, k), 4 + rng.integers(0, 4, k))
    r = rng.random(k)
    via_pending = r < 0.60
    direct = (r >= 0.60) & (r < 0.88)
    t_pending = opened + rng.integers(3600, 48 * 3600, k)
    t_close_p = t_pending + rng.integers(2 * 3600, 5 * _DAY_S, k)
    t_close_d = opened + rng.integers(1800, 72 * 3600, k)
    ones = np.ones(k, dtype=bool)
    parts = [(0, ones, opened), (1, via_pending, t_pending), (2, via_pending, t_close_p), (2, direct, t_close_d)]
    td = _TicketsDay(
        c=c,
        opened=opened,
        cust=cust,
        order_day=order_day,
        order_idx=order_idx,
        priority=priority,
        category=category,
        ev_ticket=np.concatenate([np.flatnonzero(m) for _, m, _ in parts]),
        ev_status=np.concatenate([np.full(int(m.sum()), s) for s, m, _ in parts]),
        ev_ts=np.concatenate([t[m] for _, m, t in parts]),
    )
    _frozen(*(v for v in td.__dict__.values() if isinstance(v, np.ndarray)))
    return td


# ---------------------------------------------------------------------------------------------
# Text rendering helpers (polars expressions over typed columns)
# ---------------------------------------------------------------------------------------------


def _ts_expr(col: str) -> pl.Expr:
    return pl.from_epoch(pl.col(col), time_unit="s").dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def _date_expr(col: str) -> pl.Expr:
    return pl.from_epoch(pl.col(col) + _EPOCH_UNIX_DAYS, time_unit="d").dt.strftime("%Y-%m-%d")


def _money_expr(col: str) -> pl.Expr:
    e = pl.col(col)
    a = e.abs()
    sign = pl.when(e < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    return pl.concat_str([sign, (a // 100).cast(pl.String), pl.lit("."), (a % 100).cast(pl.String).str.zfill(2)])


def _id_expr(col: str, prefix: str, width: int) -> pl.Expr:
    e = pl.col(col)
    return pl.when(e >= 0).then(pl.lit(prefix) + (e + 1).cast(pl.String).str.zfill(width))


def _lookup(values, idx: np.ndarray) -> pl.Series:
    return pl.Series(list(values), dtype=pl.String).gather(np.asarray(idx, dtype=np.int64))


def _day_text(n: int, fmt: str) -> str:
    return f"{_day_date(n):{fmt}}"


# ---------------------------------------------------------------------------------------------
# Defect helpers (operate on all-String frames)
# ---------------------------------------------------------------------------------------------


def _count(rate: float, k: int, minimum: int = 1) -> int:
    if k <= 0:
        return 0
    return max(minimum, round(rate * k))


def _split(rng: np.random.Generator, candidates: np.ndarray, sizes: list[int]) -> list[np.ndarray]:
    """Disjoint random subsets of ``candidates`` of the given sizes (truncated if too few)."""
    perm = rng.permutation(np.asarray(candidates, dtype=np.int64))
    out, pos = [], 0
    for s in sizes:
        out.append(np.sort(perm[pos : pos + s]))
        pos += s
    return out


def _set(df: pl.DataFrame, col: str, idx: np.ndarray, values) -> pl.DataFrame:
    if len(idx) == 0:
        return df
    if isinstance(values, str) or values is None:
        values = [values] * len(idx)
    s = df.get_column(col).clone()
    s.scatter(np.asarray(idx, dtype=np.int64), pl.Series(values, dtype=pl.String))
    return df.with_columns(s)


def _cycle(options, k: int, offset: int = 0) -> list[str]:
    return [options[(offset + j) % len(options)] for j in range(k)]


def _bad_ts(n: int, k: int) -> list[str]:
    y, d = _day_text(n, "%Y"), _day_text(n, "%Y-%m-%d")
    return [BAD_TIMESTAMPS[j % 2].format(y=y, d=d) for j in range(k)]


def _messy(values: pl.Series, rng: np.random.Generator) -> list[str | None]:
    """Same values with surrounding spaces and/or wrong case (never identical to the input)."""
    out = []
    variants = rng.integers(0, 4, len(values))
    for v, kind in zip(values.to_list(), variants, strict=True):
        if v is None:
            out.append(None)
            continue
        if kind == 0:
            out.append(f" {v.upper() if v.islower() else v.lower()} ")
        elif kind == 1:
            out.append(v.upper() + " " if v.islower() else v.lower() + " ")
        elif kind == 2:
            out.append(v.title() if v.title() != v else v.lower())
        else:
            out.append(f"  {v}")
    return out


def _insert_rows(df: pl.DataFrame, extra: pl.DataFrame, positions: np.ndarray) -> pl.DataFrame:
    """Insert ``extra`` rows before the (fractional) positions of the existing rows."""
    if extra.height == 0:
        return df
    keys = np.concatenate([np.arange(df.height, dtype=np.float64), np.asarray(positions, dtype=np.float64)])
    order = np.argsort(keys, kind="stable")
    return pl.concat([df, extra.select(df.columns)], how="vertical").select(pl.all().gather(order))


def _duplicate(df: pl.DataFrame, rng: np.random.Generator, idx: np.ndarray) -> pl.DataFrame:
    """Exact copies of rows ``idx`` re-sent a little later in the file."""
    pos = np.minimum(idx + 0.5 + rng.integers(0, 40, len(idx)), df.height + 0.5)
    return _insert_rows(df, df.select(pl.all().gather(idx)), pos)


def _with_drift(df: pl.DataFrame, name: str, values: pl.Series) -> pl.DataFrame:
    cols = df.columns
    at = cols.index("updated_at") if "updated_at" in cols else len(cols)
    df = df.with_columns(values.alias(name).cast(pl.String))
    return df.select(cols[:at] + [name] + cols[at:])


def _drift_table(seed: int, n: int) -> str | None:
    u = float(_u(seed, "drift", n)[0])
    if u < 0.10:
        return "customers"
    if u < 0.14:
        return "pos_transactions"
    if u < 0.17:
        return "web_sessions"
    if u < 0.19:
        return "orders"
    return None


# ---------------------------------------------------------------------------------------------
# Serialisation
# ---------------------------------------------------------------------------------------------

_NUMERIC_DTYPES = (pl.Int32, pl.Int64)
_NUMBER_RE = r"^-?[0-9]+(\.[0-9]+)?$"


def _json_kinds(table: str, columns: list[str]) -> tuple[set[str], set[str]]:
    spec = registry.table_spec(table)
    numeric, boolean = set(), set()
    for c in spec.columns:
        if c.dtype == pl.Boolean:
            boolean.add(c.name)
        elif c.dtype in _NUMERIC_DTYPES or isinstance(c.dtype, pl.Decimal) or c.dtype == pl.Decimal:
            numeric.add(c.name)
    numeric |= {c for c in columns if c in ("loyalty_points",)}
    return numeric, boolean


def _json_lines(table: str, df: pl.DataFrame) -> pl.Series:
    numeric, boolean = _json_kinds(table, df.columns)
    parts: list[pl.Expr] = []
    for j, c in enumerate(df.columns):
        col = pl.col(c)
        quoted = pl.concat_str(
            [
                pl.lit('"'),
                col.str.replace_all("\\", "\\\\", literal=True).str.replace_all('"', '\\"', literal=True),
                pl.lit('"'),
            ]
        )
        if c in numeric:
            val = pl.when(col.str.contains(_NUMBER_RE)).then(col).otherwise(quoted)
        elif c in boolean:
            val = pl.when(col.is_in(["true", "false"])).then(col).otherwise(quoted)
        else:
            val = quoted
        val = pl.when(col.is_null()).then(pl.lit("null")).otherwise(val)
        parts.append(pl.lit(("{" if j == 0 else ", ") + f'"{c}": '))
        parts.append(val)
    parts.append(pl.lit("}"))
    return df.select(pl.concat_str(parts).alias("line")).get_column("line")


def _serialise(table: str, df: pl.DataFrame) -> bytes:
    fmt = registry.table_spec(table).file_format
    buf = io.BytesIO()
    if fmt == "csv":
        df.write_csv(buf, line_terminator="\n")
        return buf.getvalue()
    lines = _json_lines(table, df).to_frame()
    if fmt == "json":
        if lines.height == 0:
            return b"[]\n"
        lines = lines.with_columns(pl.col("line") + pl.lit(","))
        lines[-1, "line"] = lines[-1, "line"][:-1]
        buf.write(b"[\n")
    # one pre-rendered JSON document per line, written verbatim
    lines.write_csv(buf, include_header=False, quote_style="never", line_terminator="\n")
    if fmt == "json":
        buf.write(b"]\n")
    return buf.getvalue()


def _strings(df: pl.DataFrame, table: str) -> pl.DataFrame:
    """Cast every column to String and order the declared columns as in the registry."""
    spec = registry.table_spec(table)
    return df.select([pl.col(c).cast(pl.String) for c in spec.column_names])


# ---------------------------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------------------------


def _stores_frame(seed: int, n: int) -> pl.DataFrame:
    st = _stores(seed)
    df = pl.DataFrame(
        {
            "store_id": st.ids,
            "name": st.names,
            "city": [d[0] for d in _STORE_DEFS],
            "country": [COUNTRIES[c] for c in st.country],
            "region": [d[2] for d in _STORE_DEFS],
            "currency": [registry.CURRENCIES[c] for c in st.currency],
            "od": st.opened_day,
            "square_meters": st.sqm,
            "ut": _day_start(st.opened_day) + 8 * 3600,
        }
    )
    df = df.with_columns(opened_date=_date_expr("od"), updated_at=_ts_expr("ut"))
    return _strings(df, "stores")


def _products_frame(seed: int, volume: int, n: int) -> pl.DataFrame:
    s = _catalog_static(seed, volume)
    cd = _catalog_day(seed, volume, n)
    p = cd.exported
    pools = _pools(seed)
    cat_names = _lookup(_CAT_NAMES, cd.cat[p])
    sub_names = _lookup(_SUB_NAMES, cd.sub[p])
    base_sub = _lookup(_SUB_NAMES, s.sub[p])
    brand = pools["brand"].gather(s.brand[p])
    adj = _lookup(_ADJECTIVES, s.adjective[p])
    sku_tail = (_hash(seed, "p:sku", p) % _U64(4096)).astype(np.int64)
    df = pl.DataFrame(
        {
            "pid": p,
            "cents": cd.price_cents[p],
            "active": cd.is_active[p],
            "ut": cd.updated_ts[p],
            "sku_tail": sku_tail,
            "base_cat": _lookup(_CAT_NAMES, s.cat[p]),
        }
    ).with_columns(category=cat_names, subcategory=sub_names, brand=brand, adj=adj, base_sub=base_sub)
    df = df.with_columns(
        product_id=_id_expr("pid", "P", 5),
        sku=pl.concat_str(
            [
                pl.col("base_cat").str.slice(0, 3).str.to_uppercase(),
                pl.lit("-"),
                (pl.col("pid") + 1).cast(pl.String).str.zfill(5),
                pl.lit("-"),
                pl.col("sku_tail").cast(pl.String).str.zfill(4),
            ]
        ),
        name=pl.concat_str([pl.col("brand"), pl.col("adj"), pl.col("base_sub").str.to_titlecase()], separator=" "),
        unit_price=_money_expr("cents"),
        currency=pl.lit("USD"),
        is_active=pl.when(pl.col("active")).then(pl.lit("true")).otherwise(pl.lit("false")),
        updated_at=_ts_expr("ut"),
    )
    df = _strings(df, "products")
    rng = _rng(seed, n, "products", 1)
    a, b = _split(rng, np.arange(df.height), [_count(0.01, df.height), _count(0.01, df.height)])
    df = _set(df, "sku", a, df.get_column("sku").gather(a).str.to_lowercase().to_list())
    df = _set(df, "currency", b, _cycle((" usd", "Usd", "USD "), len(b)))
    return df


def _customers_frame(seed: int, volume: int, n: int, drift: str | None = None) -> pl.DataFrame:
    nc = _n_customers(volume, n)
    i = np.arange(nc)
    pools = _pools(seed)
    country = _cust_country(seed, i)
    signup = _cust_signup_day(seed, volume, i)
    signup_ts = _day_start(signup) + (_u(seed, "c:signup_t", i) * _DAY_S).astype(np.int64)
    first = country * _POOL_N + (_u(seed, "c:first", i) * _POOL_N).astype(np.int64)
    last = country * _POOL_N + (_u(seed, "c:last", i) * _POOL_N).astype(np.int64)
    va, a_day, a_ts = _version(seed, "c:addr", i, n, 90, 900)
    ve, e_day, e_ts = _version(seed, "c:email", i, n, 300, 2200)
    vt, t_day, t_ts = _version(seed, "c:tier", i, n, 60, 360)
    updated = signup_ts.copy()
    for day_, ts_ in ((a_day, a_ts), (e_day, e_ts), (t_day, t_ts)):
        updated = np.where(day_ > signup, np.maximum(updated, ts_), updated)

    def address_parts(v):
        street = country * _POOL_N + (_u(seed, "c:street", i, v) * _POOL_N).astype(np.int64)
        number = 1 + (_u(seed, "c:number", i, v) * 240).astype(np.int64)
        city = country * _POOL_N + (_u(seed, "c:city", i, v) * _POOL_N).astype(np.int64)
        return street, number, city

    street, number, city = address_parts(va)
    tier = np.minimum(np.searchsorted(_TIER_CUM, _u(seed, "c:tierv", i, vt), side="right"), 3)
    email_n = (_u(seed, "c:emailn", i, ve) * 100).astype(np.int64)
    domain = country * 5 + (_u(seed, "c:domain", i, ve) * 5).astype(np.int64)
    phone_a = 100 + (_u(seed, "c:phone_a", i) * 900).astype(np.int64)
    phone_b = (_u(seed, "c:phone_b", i) * 10_000_000).astype(np.int64)
    df = pl.DataFrame(
        {
            "cid": i,
            "country_i": country,
            "signup": signup,
            "ut": updated,
            "number": number,
            "email_n": email_n,
            "phone_a": phone_a,
            "phone_b": phone_b,
        }
    ).with_columns(
        first_name=pools["first"].gather(first),
        last_name=pools["last"].gather(last),
        street=pools["street"].gather(street),
        city=pools["city"].gather(city),
        country=_lookup(COUNTRIES, country),
        loyalty_tier=_lookup(_TIERS, tier),
        domain=_lookup(_EMAIL_DOMAINS, domain),
        cc=_lookup(_PHONE_CC, country),
    )
    local = pl.concat_str([pl.col("first_name"), pl.lit("."), pl.col("last_name")]).str.to_lowercase()
    local = local.str.replace_many(*_ACCENTS).str.replace_all(r"[^a-z0-9.]", "")
    street_first = pl.col("country_i").is_in([1])  # German style: "Street 12"
    df = df.with_columns(
        customer_id=_id_expr("cid", "C", 7),
        email=pl.concat_str([local, pl.col("email_n").cast(pl.String), pl.lit("@"), pl.col("domain")]),
        phone=pl.concat_str(
            [pl.col("cc"), pl.col("phone_a").cast(pl.String), pl.col("phone_b").cast(pl.String).str.zfill(7)],
            separator=" ",
        ),
        address=pl.when(street_first)
        .then(pl.concat_str([pl.col("street"), pl.col("number").cast(pl.String)], separator=" "))
        .otherwise(pl.concat_str([pl.col("number").cast(pl.String), pl.col("street")], separator=" ")),
        signup_date=_date_expr("signup"),
        updated_at=_ts_expr("ut"),
    )
    out = _strings(df, "customers")

    rng = _rng(seed, n, "customers", 1)
    k = out.height
    changed = np.flatnonzero(updated - signup_ts >= 2 * 3600)
    (stale,) = _split(rng, changed, [_count(0.01, k)])
    rest = np.ones(k, dtype=bool)
    rest[stale] = False
    m_email, m_country, m_tier = _split(
        rng, np.flatnonzero(rest), [_count(0.015, k), _count(0.008, k), _count(0.008, k)]
    )
    # re-sent: an older copy (previous address version, another tier, earlier updated_at)
    s_street, s_number, s_city = (x[stale] for x in address_parts(va - 1))
    older = pl.DataFrame(
        {
            "street": pools["street"].gather(s_street),
            "number": np.asarray(s_number, dtype=np.int64),
            "country_i": country[stale],
        }
    ).select(
        address=pl.when(street_first)
        .then(pl.concat_str([pl.col("street"), pl.col("number").cast(pl.String)], separator=" "))
        .otherwise(pl.concat_str([pl.col("number").cast(pl.String), pl.col("street")], separator=" ")),
    )
    # the stale version is dated between signup and the latest change
    gap = np.minimum(rng.integers(3600, 30 * _DAY_S, len(stale)), (updated[stale] - signup_ts[stale]) // 2)
    out = _resend(
        out,
        rng,
        stale,
        updated[stale] - gap,
        {
            "address": older.get_column("address"),
            "city": pools["city"].gather(np.asarray(s_city, dtype=np.int64)),
            "loyalty_tier": _lookup(_TIERS, (tier[stale] + 1) % 4),
        },
        messy=[
            ("email", m_email, _messy(out.get_column("email").gather(m_email), rng)),
            ("country", m_country, _messy(out.get_column("country").gather(m_country), rng)),
            ("loyalty_tier", m_tier, _messy(out.get_column("loyalty_tier").gather(m_tier), rng)),
        ],
    )
    if drift == "customers":
        cid = out.get_column("customer_id").str.slice(1).cast(pl.Int64).to_numpy()
        pts = (_u(seed, "c:points", cid, n) * 5000).astype(np.int64)
        out = _with_drift(out, "loyalty_points", pl.Series(pts))
    return _duplicate(out, rng, rng.choice(out.height, size=min(out.height, _count(0.01, k)), replace=False))


def _ts_text(ts: np.ndarray) -> pl.Series:
    return pl.from_epoch(pl.Series(np.asarray(ts, dtype=np.int64)), time_unit="s").dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def _resend(
    df: pl.DataFrame,
    rng: np.random.Generator,
    idx: np.ndarray,
    stale_ts: np.ndarray,
    changes: dict[str, pl.Series | list],
    messy: list[tuple[str, np.ndarray, list]] = (),
    corrected_ts: np.ndarray | None = None,
) -> pl.DataFrame:
    """Add, for rows ``idx``, another version of the same key with wrong values and ``stale_ts``.

    ``corrected_ts`` (if given) moves the correct rows' updated_at (a correction re-sent later);
    either way the correct row has the later updated_at. ``messy`` edits apply to the correct
    rows after the stale copies were taken.
    """
    idx = np.asarray(idx, dtype=np.int64)
    older = df.select(pl.all().gather(idx))
    if len(idx):
        older = older.with_columns(
            *[
                pl.Series(c, v, dtype=pl.String) if not isinstance(v, pl.Series) else v.alias(c).cast(pl.String)
                for c, v in changes.items()
            ],
            updated_at=_ts_text(stale_ts),
        )
        if corrected_ts is not None:
            df = _set(df, "updated_at", idx, _ts_text(corrected_ts).to_list())
    for col, rows, values in messy:
        df = _set(df, col, rows, values)
    before = rng.random(len(idx)) < 0.6
    pos = np.where(before, idx - 0.5, idx + 0.5)
    return _insert_rows(df, older, pos)


def _pos_batch(seed: int, volume: int, x: int, store: np.ndarray, seq: np.ndarray, rng: np.random.Generator):
    st = _stores(seed)
    t = len(store)
    ts = _day_start(x) + _tod_store(rng, t)
    register = 1 + (rng.random(t) * st.registers[store]).astype(np.int64)
    has_c = rng.random(t) < 0.4
    cust = np.where(has_c, _pick_existing_customers(rng, volume, x, t), -1)
    pay = np.minimum(np.searchsorted([0.2, 0.75, 0.95, 1.0], rng.random(t), side="right"), 3)
    nl = rng.integers(1, 7, t)
    lt = np.repeat(np.arange(t), nl)
    line_no = np.arange(len(lt)) - np.repeat(np.cumsum(nl) - nl, nl) + 1
    cd = _catalog_day(seed, volume, x)
    prod = _sample_products(cd, rng, len(lt))
    qty = rng.choice(np.array([1, 2, 3, 4, 5]), size=len(lt), p=[0.70, 0.18, 0.07, 0.03, 0.02])
    cur = st.currency[store]
    unit = np.rint(cd.price_cents[prod] / _CUR_FX[cur[lt]]).astype(np.int64)
    has_d = rng.random(len(lt)) < 0.12
    pct = rng.choice(np.array([5, 10, 15, 20, 25]), size=len(lt))
    disc = np.where(has_d, np.rint(unit * qty * pct / 100.0).astype(np.int64), 0)
    total = np.bincount(lt, weights=qty * unit - disc, minlength=t).astype(np.int64)
    updated = ts + rng.integers(0, 180, t)
    txn = {
        "day": np.full(t, x, dtype=np.int64),
        "store": store,
        "seq": seq,
        "register": register,
        "cust": cust,
        "ts": ts,
        "cur": cur,
        "pay": pay,
        "total": total,
        "ut": updated,
    }
    lines = {
        "txn": lt,
        "line": line_no,
        "prod": prod,
        "qty": qty,
        "unit": unit,
        "disc": np.where(has_d, disc, -1),
        "has_d": has_d,
    }
    return txn, lines


_PAYMENTS = ("cash", "card", "mobile", "gift_card")


def _cat(dicts: list[dict]) -> dict:
    return {k: np.concatenate([d[k] for d in dicts]) for k in dicts[0]}


def _pos_tables(seed: int, volume: int, n: int, drift: str | None) -> tuple[pl.DataFrame, pl.DataFrame]:
    plan = _plan(seed, n, volume)
    st = _stores(seed)
    n_st = len(st.ids)
    rng = _rng(seed, n, "pos")
    counts = rng.multinomial(plan.n_txn, st.weight)
    store = np.repeat(np.arange(n_st), counts)
    seq = np.arange(len(store)) - np.repeat(np.cumsum(counts) - counts, counts) + 1
    batches = [_pos_batch(seed, volume, n, store, seq, rng)]
    n_main = len(store)
    # late transactions: business day n-1..n-3, uploaded today, ids from a range never used on time
    if n >= 1:
        lrng = _rng(seed, n, "pos_late")
        n_late = _count(0.01, plan.n_txn)
        lag = lrng.integers(1, min(3, n) + 1, n_late)
        lstore = lrng.choice(n_st, size=n_late, p=st.weight)
        for kv in np.unique(lag):
            s_sorted = np.sort(lstore[lag == kv])
            cc = np.arange(len(s_sorted)) - np.searchsorted(s_sorted, s_sorted, side="left")
            lseq = 900_000 + (int(kv) - 1) * 30_000 + cc
            batches.append(_pos_batch(seed, volume, n - int(kv), s_sorted, lseq, lrng))
    # stitch batches (line -> global transaction index)
    offs = np.cumsum([0] + [len(b[0]["store"]) for b in batches])[:-1]
    txn = _cat([b[0] for b in batches])
    lines = _cat([{**b[1], "txn": b[1]["txn"] + o} for b, o in zip(batches, offs, strict=True)])
    t_all = len(txn["store"])
    keys = np.concatenate([np.arange(n_main, dtype=np.float64), rng.uniform(0, n_main, t_all - n_main)])
    order = np.argsort(keys, kind="stable")
    rank = np.empty(t_all, dtype=np.int64)
    rank[order] = np.arange(t_all)
    txn = {k: v[order] for k, v in txn.items()}
    lorder = np.lexsort((lines["line"], rank[lines["txn"]]))
    lines = {k: v[lorder] for k, v in lines.items()}
    lines["txn"] = rank[lines["txn"]]

    tdf = (
        pl.DataFrame(txn)
        .with_columns(
            sid=_lookup(st.ids, txn["store"]),
            ymd=pl.from_epoch(pl.col("day") + _EPOCH_UNIX_DAYS, time_unit="d").dt.strftime("%Y%m%d"),
        )
        .with_columns(
            transaction_id=pl.concat_str(
                [pl.lit("T"), pl.col("ymd"), pl.col("sid"), pl.col("seq").cast(pl.String).str.zfill(6)]
            ),
        )
    )
    tids = tdf.get_column("transaction_id")
    tdf = tdf.with_columns(
        store_id=pl.col("sid"),
        register_id=pl.concat_str([pl.col("sid"), pl.lit("-R"), pl.col("register").cast(pl.String).str.zfill(2)]),
        customer_id=_id_expr("cust", "C", 7),
        transaction_ts=_ts_expr("ts"),
        currency=_lookup(registry.CURRENCIES, txn["cur"]),
        payment_method=_lookup(_PAYMENTS, txn["pay"]),
        total_amount=_money_expr("total"),
        updated_at=_ts_expr("ut"),
    )
    tx = _strings(tdf, "pos_transactions")
    ldf = (
        pl.DataFrame(lines)
        .with_columns(
            transaction_id=tids.gather(lines["txn"]),
            ut=pl.Series(txn["ut"][lines["txn"]]),
        )
        .with_columns(
            line_number=pl.col("line"),
            product_id=_id_expr("prod", "P", 5),
            quantity=pl.col("qty"),
            unit_price=_money_expr("unit"),
            discount_amount=pl.when(pl.col("has_d")).then(_money_expr("disc")),
            updated_at=_ts_expr("ut"),
        )
    )
    ln = _strings(ldf, "pos_transaction_lines")

    # --- defects: transactions
    drng = _rng(seed, n, "pos_transactions", 1)
    k = tx.height
    stale, bad_amt, bad_ts, no_store, bad_cur, bad_pay, m_cur, m_pay = _split(
        drng,
        np.arange(k),
        [
            _count(0.01, k),
            _count(0.004, k, 2),
            _count(0.003, k),
            _count(0.003, k),
            _count(0.003, k),
            _count(0.002, k),
            _count(0.005, k),
            _count(0.005, k),
        ],
    )
    tx = _set(tx, "total_amount", bad_amt, _cycle(BAD_NUMBERS, len(bad_amt)))
    tx = _set(tx, "transaction_ts", bad_ts, _bad_ts(n, len(bad_ts)))
    tx = _set(tx, "store_id", no_store, None)
    tx = _set(tx, "currency", bad_cur, "XXX")
    tx = _set(tx, "payment_method", bad_pay, "bitcoin")
    wrong_total = txn["total"][stale] + drng.integers(100, 2000, len(stale))
    corrected = txn["ut"][stale] + drng.integers(60, 3600, len(stale))
    # the first send carries a wrong total; the correction is re-sent 1-60 minutes later
    tx = _resend(
        tx,
        drng,
        stale,
        txn["ut"][stale],
        {"total_amount": pl.DataFrame({"c": wrong_total}).select(_money_expr("c")).to_series()},
        messy=[
            ("currency", m_cur, _messy(tx.get_column("currency").gather(m_cur), drng)),
            ("payment_method", m_pay, _messy(tx.get_column("payment_method").gather(m_pay), drng)),
        ],
        corrected_ts=corrected,
    )
    if drift == "pos_transactions":
        odd = tx.select(pl.col("register_id").str.slice(-1).cast(pl.Int64) % 2).to_series().to_numpy()
        tx = _with_drift(tx, "terminal_firmware", _lookup(("v4.2.1", "v4.3.0"), odd))

    # --- defects: lines
    drng = _rng(seed, n, "pos_transaction_lines", 1)
    k = ln.height
    bad_q, neg_q, bad_p, no_prod, bad_ts = _split(
        drng,
        np.arange(k),
        [
            _count(0.003, k, 2),
            _count(0.003, k),
            _count(0.002, k),
            _count(0.002, k),
            _count(0.002, k),
        ],
    )
    ln = _set(ln, "quantity", bad_q, _cycle(BAD_NUMBERS, len(bad_q)))
    ln = _set(ln, "quantity", neg_q, [f"-{q}" for q in ln.get_column("quantity").gather(neg_q).to_list()])
    ln = _set(ln, "unit_price", bad_p, _cycle(BAD_NUMBERS, len(bad_p), 1))
    ln = _set(ln, "product_id", no_prod, None)
    ln = _set(ln, "updated_at", bad_ts, _bad_ts(n, len(bad_ts)))
    ln = _duplicate(ln, drng, drng.choice(k, size=min(k, _count(0.01, k)), replace=False))
    return tx, ln


def _order_id_expr(day_col: str, idx_col: str) -> pl.Expr:
    return pl.concat_str(
        [
            pl.lit("O"),
            pl.from_epoch(pl.col(day_col) + _EPOCH_UNIX_DAYS, time_unit="d").dt.strftime("%Y%m%d"),
            (pl.col(idx_col) + 1).cast(pl.String).str.zfill(6),
        ]
    )


def _session_id_expr(day_col: str, seq_col: str) -> pl.Expr:
    return pl.concat_str(
        [
            pl.lit("W"),
            pl.from_epoch(pl.col(day_col) + _EPOCH_UNIX_DAYS, time_unit="d").dt.strftime("%Y%m%d"),
            pl.col(seq_col).cast(pl.String).str.zfill(7),
        ]
    )


_LSN_PER_DAY = 10_000_000


def _orders_table(seed: int, volume: int, n: int, drift: str | None) -> pl.DataFrame:
    cols: dict[str, list[np.ndarray]] = {
        k: [] for k in ("c", "o", "kind", "ts", "cust", "sess", "cur", "total", "country", "created")
    }
    for c in range(max(0, n - _ORDER_WINDOW), n + 1):
        od = _orders_day(seed, volume, c)
        m = _ts_day(od.ev_ts) == n
        if not m.any():
            continue
        o = od.ev_order[m]
        cols["c"].append(np.full(len(o), c, dtype=np.int64))
        cols["o"].append(o)
        cols["kind"].append(od.ev_kind[m])
        cols["ts"].append(od.ev_ts[m])
        cols["cust"].append(od.cust[o])
        cols["sess"].append(od.session_seq[o])
        cols["cur"].append(od.cur[o])
        cols["total"].append(od.total[o])
        cols["country"].append(od.country[o])
        cols["created"].append(od.created[o])
    ev = {k: (np.concatenate(v) if v else np.zeros(0, dtype=np.int64)) for k, v in cols.items()}
    order = np.lexsort((ev["kind"], ev["o"], ev["c"], ev["ts"]))
    ev = {k: v[order] for k, v in ev.items()}
    ev["lsn"] = n * _LSN_PER_DAY + np.arange(1, len(order) + 1, dtype=np.int64)
    df = pl.DataFrame(ev).with_columns(
        op=_lookup(_EV_OP, ev["kind"]),
        event_ts=_ts_expr("ts"),
        order_id=_order_id_expr("c", "o"),
        customer_id=_id_expr("cust", "C", 7),
        session_id=_session_id_expr("c", "sess"),
        status=_lookup(_EV_STATUS, ev["kind"]),
        currency=_lookup(registry.CURRENCIES, ev["cur"]),
        order_total=_money_expr("total"),
        shipping_country=_lookup(COUNTRIES, ev["country"]),
        created_at=_ts_expr("created"),
        updated_at=_ts_expr("ts"),
    )
    out = _strings(df, "orders")
    drng = _rng(seed, n, "orders", 1)
    k = out.height
    bad_amt, bad_ts, no_id, bad_cur, bad_status, m_status, m_cur, m_country = _split(
        drng,
        np.arange(k),
        [
            _count(0.004, k, 2),
            _count(0.003, k),
            _count(0.003, k),
            _count(0.003, k),
            _count(0.002, k),
            _count(0.01, k),
            _count(0.005, k),
            _count(0.005, k),
        ],
    )
    out = _set(out, "order_total", bad_amt, _cycle(BAD_NUMBERS, len(bad_amt)))
    out = _set(out, "event_ts", bad_ts, _bad_ts(n, len(bad_ts)))
    out = _set(out, "order_id", no_id, "")
    out = _set(out, "currency", bad_cur, "XXX")
    out = _set(out, "status", bad_status, "on_hold")
    out = _set(out, "status", m_status, _messy(out.get_column("status").gather(m_status), drng))
    out = _set(out, "currency", m_cur, _messy(out.get_column("currency").gather(m_cur), drng))
    out = _set(out, "shipping_country", m_country, _messy(out.get_column("shipping_country").gather(m_country), drng))
    if k >= 2:
        # out of order: a few events delivered later than their lsn says
        moved = drng.choice(k, size=min(k - 1, _count(0.02, k, 2)), replace=False)
        keys = np.arange(k, dtype=np.float64)
        keys[moved] += drng.integers(2, 60, len(moved)) + 0.5
        keys[moved[0]] = k + 0.5  # at least one lands after a higher lsn
        out = out.select(pl.all().gather(np.argsort(keys, kind="stable")))
        # repeated events: the same event (same lsn) sent again a bit later
        rep = drng.choice(k, size=min(k, _count(0.01, k)), replace=False)
        out = _insert_rows(
            out, out.select(pl.all().gather(rep)), np.minimum(rep + 1.5 + drng.integers(0, 100, len(rep)), k + 0.5)
        )
    if drift == "orders":
        lsn = out.get_column("lsn").cast(pl.Int64).to_numpy()  # a function of the event: copies agree
        codes = _lookup(("", "WELCOME10", "BF2024", "FREESHIP"), (_u(seed, "coupon", lsn) * 4).astype(np.int64))
        out = _with_drift(out, "coupon_code", codes.replace("", None))
    return out


def _order_items_table(seed: int, volume: int, n: int) -> pl.DataFrame:
    od = _orders_day(seed, volume, n)
    df = pl.DataFrame(
        {
            "c": np.full(len(od.item_order), n, dtype=np.int64),
            "o": od.item_order,
            "line": od.item_line,
            "prod": od.item_product,
            "qty": od.item_qty,
            "unit": od.item_unit,
            "ut": od.created[od.item_order],
        }
    ).with_columns(
        order_id=_order_id_expr("c", "o"),
        line_number=pl.col("line"),
        product_id=_id_expr("prod", "P", 5),
        quantity=pl.col("qty"),
        unit_price=_money_expr("unit"),
        updated_at=_ts_expr("ut"),
    )
    out = _strings(df, "order_items")
    drng = _rng(seed, n, "order_items", 1)
    k = out.height
    bad_q, bad_p, neg_q, no_prod, bad_ts = _split(
        drng,
        np.arange(k),
        [
            _count(0.003, k),
            _count(0.003, k),
            _count(0.003, k),
            _count(0.002, k),
            _count(0.002, k),
        ],
    )
    out = _set(out, "quantity", bad_q, _cycle(BAD_NUMBERS, len(bad_q), n))
    out = _set(out, "unit_price", bad_p, _cycle(BAD_NUMBERS, len(bad_p), n + 1))
    out = _set(out, "quantity", neg_q, [f"-{q}" for q in out.get_column("quantity").gather(neg_q).to_list()])
    out = _set(out, "product_id", no_prod, "")
    out = _set(out, "updated_at", bad_ts, _bad_ts(n, len(bad_ts)))
    return _duplicate(out, drng, drng.choice(k, size=min(k, _count(0.01, k)), replace=False))


def _inventory_table(seed: int, volume: int, n: int) -> pl.DataFrame:
    st = _stores(seed)
    cd = _catalog_day(seed, volume, n)
    s_idx = np.repeat(np.arange(len(st.ids)), len(cd.active))
    p_idx = np.tile(cd.active, len(st.ids))
    key = s_idx * 1_000_000 + p_idx
    cat = _catalog_static(seed, volume)
    pop = cat.popularity[p_idx] / cat.popularity.max()
    cap = (12 + _u(seed, "inv:cap", key) * 60 + 400 * pop * st.sqm[s_idx] / 4000).astype(np.int64)
    cycle = 4 + (_u(seed, "inv:cycle", key) * 18).astype(np.int64)
    off = (_u(seed, "inv:off", key) * cycle).astype(np.int64)
    phase = (n + off) % cycle
    use = 0.7 + 0.6 * _u(seed, "inv:use", key, n)
    on_hand = np.rint(cap * (1.0 - use * phase / cycle)).astype(np.int64)
    on_hand = np.where(_u(seed, "inv:stockout", key, n) < 0.02, 0, np.maximum(on_hand, 0))
    reorder = np.rint(cap * 0.25).astype(np.int64)
    on_order = np.where(on_hand <= reorder, (cap - on_hand + 5) // 6 * 6, 0)
    ut = _day_start(n) + 23 * 3600 + st.registers[s_idx] * 60 + (_u(seed, "inv:t", s_idx, n) * 1200).astype(np.int64)
    df = pl.DataFrame(
        {
            "d": np.full(len(key), n, dtype=np.int64),
            "on_hand": on_hand,
            "on_order": on_order,
            "reorder_point": reorder,
            "prod": p_idx,
            "ut": ut,
        }
    ).with_columns(
        snapshot_date=_date_expr("d"),
        store_id=_lookup(st.ids, s_idx),
        product_id=_id_expr("prod", "P", 5),
        updated_at=_ts_expr("ut"),
    )
    out = _strings(df, "inventory_snapshots")
    drng = _rng(seed, n, "inventory_snapshots", 1)
    k = out.height
    stale, bad_n, neg, no_prod, bad_ts = _split(
        drng,
        np.arange(k),
        [
            _count(0.005, k),
            _count(0.002, k, 2),
            _count(0.001, k),
            _count(0.001, k),
            _count(0.001, k),
        ],
    )
    out = _set(out, "on_hand", bad_n, _cycle(BAD_NUMBERS, len(bad_n)))
    out = _set(out, "on_hand", neg, [f"-{1 + v}" for v in on_hand[neg]])
    out = _set(out, "product_id", no_prod, None)
    out = _set(out, "updated_at", bad_ts, _bad_ts(n, len(bad_ts)))
    wrong = on_hand[stale] + drng.integers(1, 40, len(stale))
    out = _resend(
        out, drng, stale, ut[stale] - drng.integers(300, 3600, len(stale)), {"on_hand": [str(v) for v in wrong]}
    )
    return _duplicate(out, drng, drng.choice(out.height, size=min(out.height, _count(0.005, k)), replace=False))


_DEVICES = ("desktop", "mobile", "tablet")
_TRAFFIC = ("direct", "organic", "paid_search", "social", "email", "referral")


def _sessions_batch(seed: int, volume: int, x: int, seq: np.ndarray, rng: np.random.Generator) -> dict:
    s = len(seq)
    start = _day_start(x) + _tod_web(rng, s)
    pages = np.minimum(1 + rng.geometric(0.22, s), 80)
    dur = (pages * (8 + rng.exponential(35.0, s))).astype(np.int64)
    logged = rng.random(s) < 0.55
    cust = np.where(logged, _pick_existing_customers(rng, volume, x, s), -1)
    device = np.minimum(np.searchsorted([0.42, 0.9, 1.0], rng.random(s), side="right"), 2)
    traffic = np.minimum(np.searchsorted([0.25, 0.55, 0.72, 0.85, 0.95, 1.0], rng.random(s), side="right"), 5)
    return {
        "day": np.full(s, x, dtype=np.int64),
        "seq": seq,
        "start": start,
        "end": start + dur,
        "pages": pages,
        "cust": cust,
        "device": device,
        "traffic": traffic,
        "conv": np.zeros(s, dtype=bool),
        "o": np.full(s, -1, dtype=np.int64),
    }


def _web_sessions_table(seed: int, volume: int, n: int, drift: str | None) -> pl.DataFrame:
    plan = _plan(seed, n, volume)
    rng = _rng(seed, n, "web_sessions")
    main = _sessions_batch(seed, volume, n, np.arange(1, plan.n_sessions + 1, dtype=np.int64), rng)
    # converting sessions: the one session of each order created today
    od = _orders_day(seed, volume, n)
    j = od.session_seq - 1
    lead = (main["pages"][j] * (15 + rng.exponential(30.0, len(j)))).astype(np.int64)
    main["pages"][j] = np.maximum(main["pages"][j], 3)
    main["start"][j] = np.maximum(od.created - lead, _day_start(n))
    main["end"][j] = od.created + rng.integers(20, 300, len(j))
    main["cust"][j] = od.cust
    main["conv"][j] = True
    main["o"][j] = np.arange(len(j))
    batches = [main]
    if n >= 1:
        lrng = _rng(seed, n, "web_late")
        n_late = _count(0.01, plan.n_sessions)
        lag = lrng.integers(1, min(3, n) + 1, n_late)
        for kv in np.unique(lag):
            m = int((lag == kv).sum())
            seq = 9_000_000 + (int(kv) - 1) * 300_000 + np.arange(1, m + 1, dtype=np.int64)
            batches.append(_sessions_batch(seed, volume, n - int(kv), seq, lrng))
    ss = _cat(batches)
    n_main = plan.n_sessions
    keys = np.concatenate([np.arange(n_main, dtype=np.float64), rng.uniform(0, n_main, len(ss["seq"]) - n_main)])
    order = np.argsort(keys, kind="stable")
    ss = {k: v[order] for k, v in ss.items()}
    df = pl.DataFrame(ss).with_columns(
        session_id=_session_id_expr("day", "seq"),
        customer_id=_id_expr("cust", "C", 7),
        started_at=_ts_expr("start"),
        ended_at=_ts_expr("end"),
        device=_lookup(_DEVICES, ss["device"]),
        traffic_source=_lookup(_TRAFFIC, ss["traffic"]),
        pages_viewed=pl.col("pages"),
        converted=pl.when(pl.col("conv")).then(pl.lit("true")).otherwise(pl.lit("false")),
        order_id=pl.when(pl.col("conv")).then(_order_id_expr("day", "o")),
        updated_at=_ts_expr("end"),
    )
    out = _strings(df, "web_sessions")
    drng = _rng(seed, n, "web_sessions", 1)
    k = out.height
    plain = np.flatnonzero(~ss["conv"])  # defects never touch the converting sessions
    bad_p, neg_p, bad_ts, no_id, bad_dev, m_dev, m_src = _split(
        drng,
        plain,
        [
            _count(0.002, k, 2),
            _count(0.002, k),
            _count(0.002, k),
            _count(0.002, k),
            _count(0.002, k),
            _count(0.005, k),
            _count(0.005, k),
        ],
    )
    out = _set(out, "pages_viewed", bad_p, _cycle(BAD_NUMBERS, len(bad_p)))
    out = _set(out, "pages_viewed", neg_p, [f"-{v}" for v in ss["pages"][neg_p]])
    out = _set(out, "started_at", bad_ts, _bad_ts(n, len(bad_ts)))
    out = _set(out, "session_id", no_id, "")
    out = _set(out, "device", bad_dev, "smart-tv")
    out = _set(out, "device", m_dev, _messy(out.get_column("device").gather(m_dev), drng))
    out = _set(out, "traffic_source", m_src, _messy(out.get_column("traffic_source").gather(m_src), drng))
    keep = ~ss["conv"]
    keep[np.concatenate([bad_p, neg_p, bad_ts, no_id, bad_dev])] = False
    rest = np.flatnonzero(keep)
    dup = drng.choice(rest, size=min(len(rest), _count(0.01, k)), replace=False)
    if drift == "web_sessions":
        camp = _lookup(
            ("", "black_friday", "newsletter_w45", "spring_sale"),
            (_u(seed, "utm", ss["day"], ss["seq"]) * 4).astype(np.int64),
        )
        out = _with_drift(out, "utm_campaign", camp.replace("", None))
    return _duplicate(out, drng, np.sort(dup))


def _support_tickets_table(seed: int, volume: int, n: int) -> pl.DataFrame:
    parts = []
    for c in range(max(0, n - _TICKET_WINDOW), n + 1):
        td = _tickets_day(seed, volume, c)
        m = _ts_day(td.ev_ts) == n
        if not m.any():
            continue
        t = td.ev_ticket[m]
        parts.append(
            {
                "c": np.full(len(t), c, dtype=np.int64),
                "t": t,
                "status": td.ev_status[m],
                "ts": td.ev_ts[m],
                "opened": td.opened[t],
                "cust": td.cust[t],
                "od": td.order_day[t],
                "oi": td.order_idx[t],
                "prio": td.priority[t],
                "cat": td.category[t],
            }
        )
    ev = (
        _cat(parts)
        if parts
        else {
            k: np.zeros(0, dtype=np.int64)
            for k in ("c", "t", "status", "ts", "opened", "cust", "od", "oi", "prio", "cat")
        }
    )
    order = np.lexsort((ev["status"], ev["t"], ev["c"], ev["ts"]))
    ev = {k: v[order] for k, v in ev.items()}
    df = pl.DataFrame(ev).with_columns(
        ticket_id=pl.concat_str(
            [
                pl.lit("K"),
                pl.from_epoch(pl.col("c") + _EPOCH_UNIX_DAYS, time_unit="d").dt.strftime("%Y%m%d"),
                (pl.col("t") + 1).cast(pl.String).str.zfill(5),
            ]
        ),
        customer_id=_id_expr("cust", "C", 7),
        order_id=pl.when(pl.col("od") >= 0).then(_order_id_expr("od", "oi")),
        opened_at=_ts_expr("opened"),
        closed_at=pl.when(pl.col("status") == 2).then(_ts_expr("ts")),
        status=_lookup(_TICKET_STATUS, ev["status"]),
        priority=_lookup(_PRIORITIES, ev["prio"]),
        category=_lookup(_TICKET_CATS_ORDER + _TICKET_CATS_OTHER, ev["cat"]),
        updated_at=_ts_expr("ts"),
    )
    out = _strings(df, "support_tickets")
    drng = _rng(seed, n, "support_tickets", 1)
    k = out.height
    # re-sent: a pending/closed row sent twice, the earlier copy (between opening and the change)
    # carries a wrong priority
    (stale,) = _split(drng, np.flatnonzero(ev["ts"] - ev["opened"] >= 600), [_count(0.02, k)])
    rest = np.ones(k, dtype=bool)
    rest[stale] = False
    bad_ts, no_cust, bad_status, m_status, m_prio = _split(
        drng,
        np.flatnonzero(rest),
        [
            _count(0.005, k),
            _count(0.005, k),
            _count(0.005, k),
            _count(0.02, k),
            _count(0.02, k),
        ],
    )
    out = _set(out, "opened_at", bad_ts, _bad_ts(n, len(bad_ts)))
    out = _set(out, "customer_id", no_cust, None)
    out = _set(out, "status", bad_status, "escalated")
    wrong = _lookup(_PRIORITIES, (ev["prio"][stale] + 1 + drng.integers(0, 3, len(stale))) % 4)
    gap = np.minimum(drng.integers(300, 2 * 3600, len(stale)), (ev["ts"][stale] - ev["opened"][stale]) // 2)
    return _resend(
        out,
        drng,
        stale,
        ev["ts"][stale] - gap,
        {"priority": wrong},
        messy=[
            ("status", m_status, _messy(out.get_column("status").gather(m_status), drng)),
            ("priority", m_prio, _messy(out.get_column("priority").gather(m_prio), drng)),
        ],
    )


# ---------------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------------


def day_index(day: date) -> int:
    """Days since EPOCH; ValueError before it."""
    if isinstance(day, datetime):
        day = day.date()
    if not isinstance(day, date):
        raise TypeError(f"expected a datetime.date, got {type(day).__name__}")
    n = (day - EPOCH).days
    if n < 0:
        raise ValueError(f"{day} is before the generator EPOCH {EPOCH}")
    return n


def generate_day(day: date, *, seed: int = DEFAULT_SEED, volume: int = DEFAULT_VOLUME) -> list[LandingFile]:
    """All landing files the source systems export for ``day`` (one per registry table)."""
    n = day_index(day)
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    if not isinstance(volume, (int, np.integer)) or volume < 1:
        raise ValueError(f"volume must be a positive integer, got {volume!r}")
    seed, volume = int(seed), int(volume)
    drift = _drift_table(seed, n)
    builders = {
        "orders": lambda: _orders_table(seed, volume, n, drift),
        "order_items": lambda: _order_items_table(seed, volume, n),
        "inventory_snapshots": lambda: _inventory_table(seed, volume, n),
        "customers": lambda: _customers_frame(seed, volume, n, drift),
        "products": lambda: _products_frame(seed, volume, n),
        "stores": lambda: _stores_frame(seed, n),
        "web_sessions": lambda: _web_sessions_table(seed, volume, n, drift),
        "support_tickets": lambda: _support_tickets_table(seed, volume, n),
    }
    d = _day_date(n)
    content: dict[str, bytes] = {}
    # one table at a time (frames are dropped once serialised: keeps the peak memory down)
    pos_tx, pos_lines = _pos_tables(seed, volume, n, drift)
    content["pos_transactions"] = _serialise("pos_transactions", pos_tx)
    content["pos_transaction_lines"] = _serialise("pos_transaction_lines", pos_lines)
    del pos_tx, pos_lines
    for table, build in builders.items():
        content[table] = _serialise(table, build())
    missing = [t.table for t in registry.TABLES if t.table not in content]
    if missing:
        raise NotImplementedError(f"the generator does not emit registry tables {missing}")
    return [LandingFile(table=t.table, name=file_name(t.table, d), content=content[t.table]) for t in registry.TABLES]
