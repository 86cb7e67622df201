"""The twelve stores: fixed locations, seeded sizes and opening dates."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .arrays import freeze
from .countries import COUNTRIES, COUNTRY_CURRENCY
from .randomness import entity_uniform

STORE_LOCATIONS = (  # city, country, region
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
_NAME_SUFFIXES = ("Central", "Market", "Plaza", "Outlet")


@dataclass(frozen=True)
class Stores:
    ids: list[str]
    names: list[str]
    country: np.ndarray  # index into COUNTRIES
    currency: np.ndarray  # index into registry.CURRENCIES
    square_meters: np.ndarray
    registers: np.ndarray
    sales_share: np.ndarray  # share of the day's till transactions
    opened_day: np.ndarray  # day number (negative: all stores opened before EPOCH)


@lru_cache(maxsize=8)
def stores(seed: int) -> Stores:
    k = np.arange(len(STORE_LOCATIONS))
    country = np.array([COUNTRIES.index(c) for _, c, _ in STORE_LOCATIONS])
    square_meters = (600 + entity_uniform(seed, "store:sqm", k) * 3400).astype(np.int64) // 10 * 10
    opened_day = -(200 + (entity_uniform(seed, "store:opened", k) * 4000).astype(np.int64))
    suffix = (entity_uniform(seed, "store:name", k) * len(_NAME_SUFFIXES)).astype(np.int64)
    weight = square_meters.astype(float) ** 0.8  # bigger stores sell more, less than proportionally
    result = Stores(
        ids=[f"S{i + 1:03d}" for i in k],
        names=[f"Meridian {STORE_LOCATIONS[i][0]} {_NAME_SUFFIXES[suffix[i]]}" for i in k],
        country=country,
        currency=COUNTRY_CURRENCY[country],
        square_meters=square_meters,
        registers=2 + square_meters // 700,
        sales_share=weight / weight.sum(),
        opened_day=opened_day,
    )
    freeze(result.country, result.currency, result.square_meters, result.registers, result.sales_share, opened_day)
    return result
