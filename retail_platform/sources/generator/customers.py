"""The customer base: who exists on a day, and their slowly changing attributes.

Customers ``0 .. base-1`` signed up before EPOCH; after it, customer ``j`` signs up on day
``floor((j - base) / signups_per_day)``, so the population of any day is known without
replaying history. Address, email and loyalty tier are step functions of the day number with a
per-customer random period and offset (see :func:`attribute_version`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .calendar import DAY_SECONDS, day_start
from .countries import draw_country
from .name_pools import POOL_SIZE
from .randomness import entity_uniform, weighted_choice

TIERS = ("none", "silver", "gold", "platinum")
_TIER_SHARES_CUMULATIVE = np.array([0.50, 0.80, 0.95, 1.0])
PHONE_COUNTRY_CODES = ("+1", "+49", "+33", "+44")  # in COUNTRIES order
EMAIL_DOMAINS = (  # 5 per country, in COUNTRIES order
    *("gmail.com", "yahoo.com", "outlook.com", "icloud.com", "aol.com"),
    *("gmx.de", "web.de", "gmail.com", "t-online.de", "outlook.de"),
    *("orange.fr", "free.fr", "gmail.com", "laposte.net", "outlook.fr"),
    *("btinternet.com", "gmail.com", "outlook.com", "yahoo.co.uk", "sky.com"),
)
_DOMAINS_PER_COUNTRY = 5


def _population(volume: int) -> tuple[int, float]:
    """(customers who signed up before EPOCH, signups per day after it)."""
    base = max(100, round(3000 * math.sqrt(max(volume, 1) / 1000)))
    return base, base * 0.002


@lru_cache(maxsize=256)
def customer_count(volume: int, day_number: int) -> int:
    """Number of customers whose signup day <= day_number (consistent with :func:`signup_day`)."""
    base, per_day = _population(volume)
    j = np.arange(math.ceil((day_number + 1) * per_day) + 3)
    return base + int(np.count_nonzero(np.floor(j / per_day) <= day_number))


def signup_day(seed: int, volume: int, customer: np.ndarray) -> np.ndarray:
    base, per_day = _population(volume)
    before_epoch = -1 - (entity_uniform(seed, "c:signup", customer) * 1460).astype(np.int64)
    after_epoch = np.floor((customer - base) / per_day).astype(np.int64)
    return np.where(customer < base, before_epoch, after_epoch)


def customer_country(seed: int, customer: np.ndarray) -> np.ndarray:
    return draw_country(entity_uniform(seed, "c:country", customer))


def pick_existing_customers(rng: np.random.Generator, volume: int, day_number: int, k: int) -> np.ndarray:
    """Customer indices that exist on the day, skewed towards long-standing (frequent) customers."""
    existing = customer_count(volume, day_number)
    return np.minimum((existing * rng.random(k) ** 1.3).astype(np.int64), existing - 1)


def attribute_version(seed: int, stream: str, customer: np.ndarray, day_number: int, min_period: int, period_span: int):
    """(version, day of the last change, timestamp of the last change) of one customer attribute."""
    period = min_period + (entity_uniform(seed, stream + ":per", customer) * period_span).astype(np.int64)
    offset = (entity_uniform(seed, stream + ":off", customer) * period).astype(np.int64)
    version = (day_number + offset) // period
    change_day = version * period - offset
    time_of_day = (entity_uniform(seed, stream + ":t", customer, version) * DAY_SECONDS).astype(np.int64)
    return version, change_day, day_start(change_day) + time_of_day


def _in_country_pool(country: np.ndarray, u: np.ndarray) -> np.ndarray:
    return country * POOL_SIZE + (u * POOL_SIZE).astype(np.int64)


@dataclass(frozen=True)
class Address:
    street: np.ndarray  # index into the street pool
    house_number: np.ndarray
    city: np.ndarray  # index into the city pool


def address(seed: int, customer: np.ndarray, country: np.ndarray, version: np.ndarray) -> Address:
    return Address(
        street=_in_country_pool(country, entity_uniform(seed, "c:street", customer, version)),
        house_number=1 + (entity_uniform(seed, "c:number", customer, version) * 240).astype(np.int64),
        city=_in_country_pool(country, entity_uniform(seed, "c:city", customer, version)),
    )


@dataclass(frozen=True)
class CustomerBase:
    """Every customer that exists on one day, with the attributes they have that day."""

    customer: np.ndarray  # 0 .. count-1
    country: np.ndarray  # index into COUNTRIES
    signup_day: np.ndarray
    signup_ts: np.ndarray
    updated_ts: np.ndarray  # the latest change on or before the day
    first_name: np.ndarray  # index into the first-name pool
    last_name: np.ndarray
    address_version: np.ndarray
    address: Address
    tier: np.ndarray  # index into TIERS
    email_number: np.ndarray
    email_domain: np.ndarray  # index into EMAIL_DOMAINS
    phone_area: np.ndarray
    phone_number: np.ndarray


def customer_base(seed: int, volume: int, day_number: int) -> CustomerBase:
    customer = np.arange(customer_count(volume, day_number))
    country = customer_country(seed, customer)
    signup = signup_day(seed, volume, customer)
    signup_ts = day_start(signup) + (entity_uniform(seed, "c:signup_t", customer) * DAY_SECONDS).astype(np.int64)
    address_version, address_day, address_ts = attribute_version(seed, "c:addr", customer, day_number, 90, 900)
    email_version, email_day, email_ts = attribute_version(seed, "c:email", customer, day_number, 300, 2200)
    tier_version, tier_day, tier_ts = attribute_version(seed, "c:tier", customer, day_number, 60, 360)
    updated = signup_ts.copy()
    for change_day, change_ts in ((address_day, address_ts), (email_day, email_ts), (tier_day, tier_ts)):
        # a "change" on the signup day or before it is the value the customer signed up with
        updated = np.where(change_day > signup, np.maximum(updated, change_ts), updated)
    tier_u = entity_uniform(seed, "c:tierv", customer, tier_version)
    domain_u = entity_uniform(seed, "c:domain", customer, email_version)
    return CustomerBase(
        customer=customer,
        country=country,
        signup_day=signup,
        signup_ts=signup_ts,
        updated_ts=updated,
        first_name=_in_country_pool(country, entity_uniform(seed, "c:first", customer)),
        last_name=_in_country_pool(country, entity_uniform(seed, "c:last", customer)),
        address_version=address_version,
        address=address(seed, customer, country, address_version),
        tier=weighted_choice(_TIER_SHARES_CUMULATIVE, tier_u),
        email_number=(entity_uniform(seed, "c:emailn", customer, email_version) * 100).astype(np.int64),
        email_domain=country * _DOMAINS_PER_COUNTRY + (domain_u * _DOMAINS_PER_COUNTRY).astype(np.int64),
        phone_area=100 + (entity_uniform(seed, "c:phone_a", customer) * 900).astype(np.int64),
        phone_number=(entity_uniform(seed, "c:phone_b", customer) * 10_000_000).astype(np.int64),
    )
