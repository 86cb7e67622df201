"""Days: the EPOCH, day numbers (days since EPOCH), how busy a day is and when in the day things happen."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

import numpy as np

from .randomness import day_rng

EPOCH = date(2024, 1, 1)  # the generated business "began" here; entity histories are defined from it
DAY_SECONDS = 86_400
EPOCH_SECONDS = int(datetime(EPOCH.year, EPOCH.month, EPOCH.day, tzinfo=UTC).timestamp())
EPOCH_UNIX_DAYS = EPOCH_SECONDS // DAY_SECONDS


def day_index(day: date) -> int:
    """Days since EPOCH; ValueError before it."""
    if isinstance(day, datetime):
        day = day.date()
    if not isinstance(day, date):
        raise TypeError(f"expected a datetime.date, got {type(day).__name__}")
    day_number = (day - EPOCH).days
    if day_number < 0:
        raise ValueError(f"{day} is before the generator EPOCH {EPOCH}")
    return day_number


def date_of(day_number: int) -> date:
    return EPOCH + timedelta(days=day_number)


def day_start(day_number):
    """Unix seconds of 00:00:00 UTC of a day number (int or array)."""
    return EPOCH_SECONDS + np.asarray(day_number, dtype=np.int64) * DAY_SECONDS


def day_number_of(unix_seconds: np.ndarray) -> np.ndarray:
    return (unix_seconds - EPOCH_SECONDS) // DAY_SECONDS


# ---------------------------------------------------------------------------------------------
# How much happens on a day
# ---------------------------------------------------------------------------------------------

_WEEKEND_BOOST = 1.3
LINES_PER_TRANSACTION = 3.5  # mean of the uniform 1..6 lines of a till transaction
_ORDERS_PER_VOLUME = 0.06


def _volume_factor(seed: int, day_number: int) -> float:
    """Relative volume of a day: weekly pattern x season (Nov/Dec peak) x small noise; mean ~1."""
    day = date_of(day_number)
    weekly = (_WEEKEND_BOOST if day.weekday() >= 5 else 1.0) / ((5 + 2 * _WEEKEND_BOOST) / 7)
    day_of_year = day.timetuple().tm_yday
    days_from_peak = ((day_of_year - 340 + 182) % 365) - 182  # circular distance to ~Dec 6
    season = 0.93 + 0.55 * math.exp(-0.5 * (days_from_peak / 22.0) ** 2)
    noise = math.exp(day_rng(seed, day_number, "volume").normal(0.0, 0.05))
    return weekly * season * noise


@dataclass(frozen=True)
class DayPlan:
    """How many facts of each kind are created on a day (before late rows and defects)."""

    transactions: int
    orders: int
    sessions: int
    tickets: int


@lru_cache(maxsize=256)
def day_plan(seed: int, day_number: int, volume: int) -> DayPlan:
    factor = _volume_factor(seed, day_number)
    rng = day_rng(seed, day_number, "plan")
    transactions = max(1, int(rng.poisson(volume * factor / LINES_PER_TRANSACTION)))
    orders = max(1, int(rng.poisson(_ORDERS_PER_VOLUME * volume * factor)))
    conversion = rng.uniform(0.032, 0.048)
    sessions = max(orders + 1, round(orders / conversion))
    tickets = max(1, int(rng.poisson(0.10 * orders + 0.004 * transactions)))
    return DayPlan(transactions, orders, sessions, tickets)


# ---------------------------------------------------------------------------------------------
# When in the day
# ---------------------------------------------------------------------------------------------


def store_time_of_day(rng: np.random.Generator, k: int) -> np.ndarray:
    """Seconds after midnight UTC for till transactions: lunch and evening peaks, 08:00-21:00."""
    component = rng.random(k)
    lunch = rng.normal(12.5, 1.6, k)
    evening = rng.normal(17.5, 1.6, k)
    anytime = rng.uniform(8.0, 21.0, k)
    hours = np.where(component < 0.4, lunch, np.where(component < 0.8, evening, anytime))
    return (np.clip(hours, 8.0, 20.9997) * 3600).astype(np.int64)


def web_time_of_day(rng: np.random.Generator, k: int) -> np.ndarray:
    """Seconds after midnight UTC for web activity: evening peak, some around the clock."""
    component = rng.random(k)
    evening = rng.normal(20.0, 2.8, k)
    anytime = rng.uniform(0.0, 24.0, k)
    hours = np.mod(np.where(component < 0.65, evening, anytime), 24.0)
    return np.minimum((hours * 3600).astype(np.int64), DAY_SECONDS - 1)
