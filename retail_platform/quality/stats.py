"""Row-count anomaly statistics. Pure Python: no Dagster, no I/O.

A day's row count is compared with the trailing days of the same kind (weekday vs weekend:
retail volume differs between them) by its distance from their median in robust deviations
(1.4826 x the median absolute deviation, which estimates one standard deviation for normal data
without being dragged by the outliers it is meant to find).
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import date, timedelta

MAD_TO_SIGMA = 1.4826
THRESHOLD = 3.0  # robust deviations
COMPARABLE_DAYS = 14  # at most this many comparable days feed the median
LOOKBACK_DAYS = 28  # how far back comparable days are looked for (weekends: 8 of them)
MIN_HISTORY = 5  # fewer comparable days than this: not enough to judge, the check is skipped


def is_weekend(day: date) -> bool:
    return day.weekday() >= 5


def comparable_days(day: date, *, lookback_days: int = LOOKBACK_DAYS) -> list[date]:
    """The days before ``day`` within the lookback, of the same kind (weekday/weekend), newest first."""
    candidates = (day - timedelta(days=n) for n in range(1, lookback_days + 1))
    return [d for d in candidates if is_weekend(d) == is_weekend(day)]


@dataclass(frozen=True)
class RowCountAnomaly:
    row_count: int
    history_days: int
    median: float | None
    robust_deviation: float | None  # the scale: 1.4826 x MAD, floored (see row_count_anomaly)
    deviations: float | None  # |row_count - median| / robust_deviation
    threshold: float
    skipped: bool
    anomalous: bool

    def as_metadata(self) -> dict[str, float | int | bool]:
        return {k: v for k, v in asdict(self).items() if v is not None}


def row_count_anomaly(
    day: date,
    row_count: int,
    history: Mapping[date, int],
    *,
    threshold: float = THRESHOLD,
    comparable: int = COMPARABLE_DAYS,
    lookback_days: int = LOOKBACK_DAYS,
    min_history: int = MIN_HISTORY,
) -> RowCountAnomaly:
    """Is ``row_count`` more than ``threshold`` robust deviations from the median of the last
    ``comparable`` same-kind days found in ``history`` (day -> row count)? Days missing from the
    history are ignored; with fewer than ``min_history`` comparable days the result is skipped."""
    counts = [history[d] for d in comparable_days(day, lookback_days=lookback_days) if d in history][:comparable]
    if len(counts) < min_history:
        return RowCountAnomaly(row_count, len(counts), None, None, None, threshold, skipped=True, anomalous=False)
    median = float(statistics.median(counts))
    mad = float(statistics.median(abs(c - median) for c in counts))
    # Floor: identical history (a full master-data export, MAD = 0) must not make +-1 row an anomaly.
    scale = max(MAD_TO_SIGMA * mad, 0.01 * median, 1.0)
    deviations = abs(row_count - median) / scale
    return RowCountAnomaly(
        row_count,
        len(counts),
        median,
        round(scale, 3),
        round(deviations, 3),
        threshold,
        skipped=False,
        anomalous=deviations > threshold,
    )
