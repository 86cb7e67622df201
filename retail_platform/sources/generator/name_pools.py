"""Per-country pools of first/last/street/city names and a pool of brand names (Faker, once per seed)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import polars as pl

LOCALES = ("en_US", "de_DE", "fr_FR", "en_GB")  # in COUNTRIES order
POOL_SIZE = 256  # entries per pool per country: country k's entries are at [k * POOL_SIZE, (k + 1) * POOL_SIZE)


@dataclass(frozen=True)
class NamePools:
    first: pl.Series
    last: pl.Series
    street: pl.Series
    city: pl.Series
    brand: pl.Series


@lru_cache(maxsize=4)
def name_pools(seed: int) -> NamePools:
    from faker import Faker  # imported lazily: only pool building needs it

    first, last, street, city = [], [], [], []
    for k, locale in enumerate(LOCALES):
        fake = Faker(locale)
        fake.seed_instance(seed * 1009 + k)
        first += [fake.first_name() for _ in range(POOL_SIZE)]
        last += [fake.last_name() for _ in range(POOL_SIZE)]
        street += [fake.street_name() for _ in range(POOL_SIZE)]
        city += [fake.city() for _ in range(POOL_SIZE)]
    fake = Faker("en_US")
    fake.seed_instance(seed * 1009 + 99)
    brands = sorted({fake.last_name() for _ in range(200)})[:POOL_SIZE]
    return NamePools(
        first=pl.Series(first, dtype=pl.String),
        last=pl.Series(last, dtype=pl.String),
        street=pl.Series(street, dtype=pl.String),
        city=pl.Series(city, dtype=pl.String),
        brand=pl.Series(brands, dtype=pl.String),
    )
