"""Which landing partitions have new files. Pure: no Dagster, no I/O.

The landing sensor's cursor is a JSON object ``{"<table>/<YYYY-MM-DD>": "<fingerprint>"}`` of the
file sets already handed to bronze. A (table, day) is new when its fingerprint (the sorted file
keys and modification times) differs from the cursor's: a first file, a late extra file or a
re-export of a past day all change it; a rescan of the same files does not.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import date, timedelta

DEFAULT_SCAN_DAYS = 7


def days_to_scan(today: date, scan_days: int = DEFAULT_SCAN_DAYS, first_day: date | None = None) -> list[date]:
    """The last ``scan_days`` complete days (today's partition does not exist yet), oldest first."""
    days = [today - timedelta(days=n) for n in range(scan_days, 0, -1)]
    return [d for d in days if first_day is None or d >= first_day]


def fingerprint(files: Iterable[tuple[str, float]]) -> str:
    """A stable digest of a file set: (key, modification time) pairs, order-independent."""
    digest = hashlib.sha256()
    for key, modified in sorted(files):
        digest.update(f"{key}\t{modified:.6f}\n".encode())
    return digest.hexdigest()[:16]


def cursor_key(table: str, day: date | str) -> str:
    return f"{table}/{day}"


def load_cursor(text: str | None) -> dict[str, str]:
    return dict(json.loads(text)) if text else {}


def dump_cursor(seen: Mapping[str, str]) -> str:
    return json.dumps(dict(sorted(seen.items())), separators=(",", ":"))


def new_file_sets(seen: Mapping[str, str], scanned: Mapping[tuple[str, date], str]) -> dict[date, dict[str, str]]:
    """Per day, the tables whose landed files differ from what the cursor recorded (table -> fingerprint)."""
    changed: dict[date, dict[str, str]] = {}
    for (table, day), digest in sorted(scanned.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        if seen.get(cursor_key(table, day)) != digest:
            changed.setdefault(day, {})[table] = digest
    return changed


def not_yet_ingested(
    changed: Mapping[date, Mapping[str, str]],
    newest_file: Mapping[tuple[str, date], float],
    ingested: Mapping[tuple[str, date], float],
) -> dict[date, dict[str, str]]:
    """``changed`` without the file sets bronze already read: its latest materialization of the
    (table, day) is later than the set's newest file (a day landed and built before the sensor was
    switched on, or by a backfill, is not ingested a second time)."""
    fresh: dict[date, dict[str, str]] = {}
    for day, tables in changed.items():
        for table, digest in tables.items():
            if ingested.get((table, day), float("-inf")) < newest_file[(table, day)]:
                fresh.setdefault(day, {})[table] = digest
    return fresh


def advance_cursor(seen: Mapping[str, str], changed: Mapping[date, Mapping[str, str]], oldest: date) -> dict[str, str]:
    """The cursor after requesting ``changed``; entries older than the scan window are dropped
    (they are never scanned again), so the cursor stays small."""
    updated = {k: v for k, v in seen.items() if date.fromisoformat(k.rsplit("/", 1)[1]) >= oldest}
    for day, tables in changed.items():
        updated.update({cursor_key(table, day): digest for table, digest in tables.items()})
    return updated


def run_key(day: date, tables: Mapping[str, str]) -> str:
    """Idempotency key of one request: the same file sets never start a second run, even if the
    cursor were lost (Dagster skips a run key it has already seen)."""
    return f"landing:{day}:" + fingerprint((f"{t}:{d}", 0.0) for t, d in tables.items())
