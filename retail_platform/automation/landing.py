"""Which landing partitions have new files. Pure: no Dagster, no I/O.

The landing sensor's cursor is a JSON object ``{"<table>/<YYYY-MM-DD>": "<fingerprint>"}`` of the
file sets already handed to bronze. A (table, day) is new when its fingerprint (the sorted file
keys and modification times) differs from the cursor's: a first file, a late extra file or a
re-export of a past day all change it; a rescan of the same files does not.

Folders and files of the landing zone that bronze never reads (``date=2026-03-02``,
``dt=2026-3-2``, ``dt=2026-02-30``, a misspelt table, a file outside any ``dt=`` folder) are
reported once each: the cursor keeps them as ``"malformed:<key>"`` entries while they exist, so
one is warned about again only if it disappears and comes back.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import date, timedelta

DEFAULT_SCAN_DAYS = 7
MALFORMED = "malformed:"


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


def reported_folders(seen: Mapping[str, str]) -> set[str]:
    """The malformed landing folders already reported."""
    return {k.removeprefix(MALFORMED) for k in seen if k.startswith(MALFORMED)}


def advance_cursor(
    seen: Mapping[str, str],
    changed: Mapping[date, Mapping[str, str]],
    oldest: date,
    malformed: Iterable[str] = (),
) -> dict[str, str]:
    """The cursor after requesting ``changed``; entries older than the scan window are dropped
    (they are never scanned again), so the cursor stays small. ``malformed``: the malformed folders
    present now (reported ones that are gone are forgotten)."""
    updated = {
        k: v
        for k, v in seen.items()
        if not k.startswith(MALFORMED) and date.fromisoformat(k.rsplit("/", 1)[1]) >= oldest
    }
    for day, tables in changed.items():
        updated.update({cursor_key(table, day): digest for table, digest in tables.items()})
    updated.update({MALFORMED + folder: "reported" for folder in malformed})
    return updated


def unread_paths(
    sources: Mapping[str, Iterable[str]],
    folders: Mapping[str, Iterable[str]],
    files: Mapping[str, Iterable[str]],
    folder_problem,
) -> dict[str, str]:
    """Folders and files of the landing zone that bronze never reads -> why.

    ``sources``: source -> its tables; ``folders`` / ``files``: a folder key (``landing``,
    ``landing/<source>``, ``landing/<source>/<table>``) -> the folder / file keys directly under it;
    ``folder_problem``: a partition folder's name -> what is wrong with it, or None. Names starting
    with '.' or '_' (temporary, markers) are left alone."""
    found: dict[str, str] = {}

    def visible(key: str) -> bool:
        return not key.rsplit("/", 1)[-1].startswith((".", "_"))

    for folder in filter(visible, folders.get("landing", [])):
        if folder.rsplit("/", 1)[-1] not in sources:
            found[folder] = f"not a source system of the registry ({', '.join(sorted(sources))})"
    for source, tables in sources.items():
        tables = set(tables)
        for folder in filter(visible, folders.get(f"landing/{source}", [])):
            if folder.rsplit("/", 1)[-1] not in tables:
                found[folder] = f"not a table of source {source} ({', '.join(sorted(tables))})"
        for table in sorted(tables):
            for folder in filter(visible, folders.get(f"landing/{source}/{table}", [])):
                problem = folder_problem(folder.rsplit("/", 1)[-1])
                if problem:
                    found[folder] = problem
    for keys in files.values():
        for key in filter(visible, keys):
            found[key] = "a file outside any dt=YYYY-MM-DD partition folder"
    return found


def run_key(day: date, tables: Mapping[str, str]) -> str:
    """Idempotency key of one request: the same file sets never start a second run, even if the
    cursor were lost (Dagster skips a run key it has already seen)."""
    return f"landing:{day}:" + fingerprint((f"{t}:{d}", 0.0) for t, d in tables.items())
