"""Fixed-size chunks of the big fact tables: what bounds the generator's memory at any volume.

The chunk sizes are part of the generated data (each chunk draws its own random stream), so they
are constants, never derived from memory settings: a partition lands the same bytes everywhere.
A day whose table fits in one chunk is generated exactly as it was before chunking.
"""

from __future__ import annotations

import numpy as np

# Rows (or, for POS, on-time transactions) per chunk. A chunk of any table renders in ~100 MB or
# less; every day up to a volume of ~60_000 (sessions: ~3 per unit of volume on the busiest days)
# fits in one chunk of every table, so its files are those of the unchunked generator.
POS_TRANSACTIONS_PER_CHUNK = 100_000
SESSIONS_PER_CHUNK = 200_000
ORDER_EVENTS_PER_CHUNK = 200_000
ORDER_ITEMS_PER_CHUNK = 250_000


def chunk_bounds(rows: int, per_chunk: int) -> list[tuple[int, int]]:
    """[start, stop) of each chunk of ``rows`` rows (one empty chunk for no rows)."""
    if rows <= 0:
        return [(0, 0)]
    return [(start, min(start + per_chunk, rows)) for start in range(0, rows, per_chunk)]


def late_rows_in(keys: np.ndarray, start: int, stop: int, last: bool) -> np.ndarray:
    """The late rows (by position key in [0, on-time rows)) that a chunk of on-time rows [start, stop) holds.

    A late row with key x goes after on-time row floor(x): in the chunk holding that row.
    """
    inside = keys >= start
    if not last:
        inside &= keys < stop
    return np.flatnonzero(inside)
