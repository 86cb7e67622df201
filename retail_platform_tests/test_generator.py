"""Tests of the landing-file generator (retail_platform.sources.generator).

Files are parsed here with the standard library (csv/json), independently of the polars code that
wrote them, and every value is kept as text so the tests see exactly what a reader would.
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import json
import os
import re
import subprocess
import sys
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from retail_platform.sources import generator as gen
from retail_platform.sources import registry

DAY = date(2026, 11, 1)  # a Sunday in the peak season, ~3 years after EPOCH
REPO = Path(__file__).resolve().parents[1]

ISO_TS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
MONEY = re.compile(r"^\d+\.\d{2}$")
INT = re.compile(r"^\d+$")


# ---------------------------------------------------------------------------------------------
# reading files the way a consumer would
# ---------------------------------------------------------------------------------------------


def _text(v) -> str | None:
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def read_rows(f: gen.LandingFile) -> tuple[list[str], list[dict[str, str | None]]]:
    """(columns, rows) with every value as text; CSV empty fields and JSON nulls are None."""
    spec = registry.table_spec(f.table)
    text = f.content.decode("utf-8")
    if spec.file_format == "csv":
        reader = csv.DictReader(io.StringIO(text))
        rows = [{k: (v if v != "" else None) for k, v in r.items()} for r in reader]
        return list(reader.fieldnames or []), rows
    if spec.file_format == "jsonl":
        objs = [json.loads(line, parse_float=str, parse_int=str) for line in text.splitlines() if line.strip()]
    else:
        objs = json.loads(text, parse_float=str, parse_int=str)
        assert isinstance(objs, list)
    cols: list[str] = []
    for o in objs:
        for k in o:
            if k not in cols:
                cols.append(k)
    return cols, [{k: _text(o.get(k)) for k in cols} for o in objs]


def files_of(day: date, **kw) -> dict[str, gen.LandingFile]:
    return {f.table: f for f in gen.generate_day(day, **kw)}


def rows_of(day: date, table: str, **kw) -> list[dict[str, str | None]]:
    return read_rows(files_of(day, **kw)[table])[1]


def ts(s: str) -> datetime:
    return datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ")


def cents(s: str) -> int:
    return int(Decimal(s) * 100)


def latest_by(rows, key: str, valid=lambda r: True):
    """Latest (by updated_at) valid row per key, like the silver layer would keep."""
    best: dict[str, dict] = {}
    for r in rows:
        if not r.get(key) or not valid(r) or not ISO_TS.match(r.get("updated_at") or ""):
            continue
        cur = best.get(r[key])
        if cur is None or r["updated_at"] > cur["updated_at"]:
            best[r[key]] = r
    return best


@pytest.fixture(scope="module")
def day_files() -> dict[str, gen.LandingFile]:
    return files_of(DAY)


@pytest.fixture(scope="module")
def day_rows(day_files) -> dict[str, list[dict]]:
    return {t: read_rows(f)[1] for t, f in day_files.items()}


@pytest.fixture(scope="module")
def four_weeks() -> dict[date, dict[str, gen.LandingFile]]:
    start = date(2025, 9, 1)  # a Monday, outside the Nov/Dec peak
    return {start + timedelta(days=i): files_of(start + timedelta(days=i)) for i in range(28)}


# ---------------------------------------------------------------------------------------------
# contract
# ---------------------------------------------------------------------------------------------


def test_every_registry_table_gets_a_file_with_the_declared_columns(day_files):
    assert set(day_files) == {t.table for t in registry.TABLES}
    for spec in registry.TABLES:
        f = day_files[spec.table]
        assert f.name == f"{spec.table}_20261101.{spec.file_format}"
        cols, rows = read_rows(f)
        assert rows, spec.table
        missing = set(spec.column_names) - set(cols)
        assert not missing, (spec.table, missing)


def test_days_before_epoch_are_rejected():
    with pytest.raises(ValueError):
        gen.generate_day(gen.EPOCH - timedelta(days=1))
    assert gen.generate_day(gen.EPOCH)  # the first day works (no history, no late rows)


def test_clean_values_use_the_canonical_formats(day_rows):
    for r in day_rows["pos_transaction_lines"][:200]:
        if r["unit_price"] and r["unit_price"] not in gen.BAD_NUMBERS:
            assert MONEY.match(r["unit_price"]), r
    stamps = [r["updated_at"] for r in day_rows["customers"]]
    assert sum(bool(ISO_TS.match(s)) for s in stamps) == len(stamps)
    for r in day_rows["products"]:
        assert MONEY.match(r["unit_price"]) and r["is_active"] in ("true", "false")
    for r in day_rows["inventory_snapshots"]:
        assert r["snapshot_date"] == "2026-11-01"
    pat = {"stores": r"^S\d{3}$", "products": r"^P\d{5}$", "customers": r"^C\d{7}$"}
    for table, rx in pat.items():
        key = registry.table_spec(table).primary_key[0]
        assert all(re.match(rx, r[key]) for r in day_rows[table]), table
    assert all(
        re.match(r"^T20261101S\d{3}\d{6}$", r["transaction_id"])
        for r in day_rows["pos_transactions"]
        if r["transaction_id"] and r["transaction_id"].startswith("T20261101")
    )
    assert all(re.match(r"^O\d{8}\d{6}$", r["order_id"]) for r in day_rows["orders"] if r["order_id"])
    assert all(r["session_id"].startswith("W") for r in day_rows["web_sessions"] if r["session_id"])
    assert all(r["ticket_id"].startswith("K") for r in day_rows["support_tickets"])
    assert len(day_rows["stores"]) == 12
    assert {r["currency"] for r in day_rows["stores"]} == {"USD", "EUR", "GBP"}


# ---------------------------------------------------------------------------------------------
# determinism
# ---------------------------------------------------------------------------------------------

_DAYS = [date(2025, 3, 10), date(2025, 3, 11), date(2026, 11, 1)]

_CHILD = """
import hashlib, json, sys
from datetime import date
from retail_platform.sources.generator import generate_day
out = {}
for d in [date(2026, 11, 1), date(2025, 3, 11), date(2025, 3, 10)]:  # reverse order, fresh process
    out.update({f"{d}/{f.name}": hashlib.sha256(f.content).hexdigest() for f in generate_day(d)})
json.dump(out, sys.stdout)
"""


def test_same_seed_and_day_are_byte_identical_in_any_generation_order():
    here = {}
    for d in _DAYS:
        first = gen.generate_day(d)
        here.update({f"{d}/{f.name}": hashlib.sha256(f.content).hexdigest() for f in first})
    # again in this process after other days were generated: identical bytes
    again = gen.generate_day(_DAYS[0])
    assert {f"{_DAYS[0]}/{f.name}": hashlib.sha256(f.content).hexdigest() for f in again}.items() <= here.items()
    env = {**os.environ, "PYTHONHASHSEED": "12345", "PYTHONPATH": str(REPO)}
    child = subprocess.run([sys.executable, "-c", _CHILD], capture_output=True, text=True, env=env, check=True)
    assert json.loads(child.stdout) == here


def test_different_seeds_differ():
    a = files_of(DAY, seed=1)
    b = files_of(DAY, seed=2)
    for table in ("pos_transactions", "orders", "customers", "products", "web_sessions"):
        assert a[table].content != b[table].content, table


# ---------------------------------------------------------------------------------------------
# volume
# ---------------------------------------------------------------------------------------------


def _pos_lines(files) -> int:
    return files["pos_transaction_lines"].content.count(b"\n") - 1


def test_weekends_are_busier_than_weekdays(four_weeks):
    weekend = [_pos_lines(f) for d, f in four_weeks.items() if d.weekday() >= 5]
    weekday = [_pos_lines(f) for d, f in four_weeks.items() if d.weekday() < 5]
    ratio = (sum(weekend) / len(weekend)) / (sum(weekday) / len(weekday))
    assert 1.15 < ratio < 1.45, ratio
    # an average day is about DEFAULT_VOLUME lines (outside the peak season)
    assert 800 < sum(weekend + weekday) / 28 < 1200


def test_peak_season_is_busier():
    sept = sum(_pos_lines(files_of(date(2025, 9, 1) + timedelta(days=i))) for i in range(7))
    dec = sum(_pos_lines(files_of(date(2025, 12, 1) + timedelta(days=i))) for i in range(7))
    assert dec > 1.25 * sept


def test_volume_scales_linearly():
    for d in (date(2025, 6, 3), date(2025, 6, 7)):
        small = _pos_lines(files_of(d, volume=1_000))
        big = _pos_lines(files_of(d, volume=10_000))
        assert 8.5 < big / small < 11.5, (d, small, big)


# ---------------------------------------------------------------------------------------------
# business consistency
# ---------------------------------------------------------------------------------------------


def _clean_items(rows, key):
    """{key: cents} for keys whose every (deduplicated) line is clean; dirty keys are dropped."""
    seen, sums, dirty = set(), defaultdict(int), set()
    for r in rows:
        ident = tuple(sorted(r.items()))
        if ident in seen:
            continue
        seen.add(ident)
        ok = INT.match(r["quantity"] or "") and int(r["quantity"]) >= 1 and MONEY.match(r["unit_price"] or "")
        ok = ok and r["product_id"] and ISO_TS.match(r["updated_at"] or "")
        if not ok:
            dirty.add(r[key])
            continue
        disc = r.get("discount_amount")
        sums[r[key]] += int(r["quantity"]) * cents(r["unit_price"]) - (cents(disc) if disc else 0)
    return {k: v for k, v in sums.items() if k not in dirty}


def test_order_items_sum_to_order_total(day_rows):
    items = _clean_items(day_rows["order_items"], "order_id")
    totals = defaultdict(set)
    for e in day_rows["orders"]:
        if e["order_id"] and e["order_id"].startswith("O20261101") and MONEY.match(e["order_total"] or ""):
            totals[e["order_id"]].add(cents(e["order_total"]))
    checked = [o for o in totals if o in items]
    assert len(checked) >= 30
    for o in checked:
        assert totals[o] == {items[o]}, o


def test_pos_totals_and_prices_are_consistent(day_rows):
    fx = gen.FX_TO_USD
    store_cur = {r["store_id"]: r["currency"] for r in day_rows["stores"]}
    usd = {r["product_id"]: cents(r["unit_price"]) for r in day_rows["products"]}
    lines = _clean_items(day_rows["pos_transaction_lines"], "transaction_id")
    txns = latest_by(
        day_rows["pos_transactions"], "transaction_id", lambda r: MONEY.match(r["total_amount"] or "") and r["store_id"]
    )
    checked = 0
    for tid, t in txns.items():
        if tid in lines:
            assert cents(t["total_amount"]) == lines[tid], tid
            checked += 1
    assert checked > 200
    # unit price = product USD price that day converted with the fixed FX rates
    priced = 0
    for r in day_rows["pos_transaction_lines"]:
        tid = r["transaction_id"]
        if tid.startswith("T20261101") and r["product_id"] and MONEY.match(r["unit_price"] or ""):
            cur = store_cur[tid[9:13]]
            assert cents(r["unit_price"]) == round(usd[r["product_id"]] / fx[cur]), r
            priced += 1
    assert priced > 500
    with_customer = sum(1 for t in txns.values() if t["customer_id"]) / len(txns)
    assert 0.3 < with_customer < 0.5


def test_each_order_has_exactly_one_converting_session(day_rows):
    created = {
        e["order_id"]: e
        for e in day_rows["orders"]
        if e["op"] == "insert" and e["order_id"] and e["order_id"].startswith("O20261101")
    }
    sessions = {r["session_id"]: r for r in day_rows["web_sessions"] if r["session_id"]}  # dedups copies
    converting = [r for r in sessions.values() if r["converted"] == "true"]
    by_order = Counter(r["order_id"] for r in converting)
    assert set(created) <= set(by_order)
    assert all(n == 1 for n in by_order.values())
    for oid, e in created.items():
        s = next(r for r in converting if r["order_id"] == oid)
        assert s["session_id"] == e["session_id"]
        assert s["started_at"] <= e["created_at"] <= s["ended_at"]
    assert all(r["order_id"] is None for r in sessions.values() if r["converted"] == "false")
    assert 0.025 < len(converting) / len(sessions) < 0.06
    assert any(r["customer_id"] is None for r in sessions.values())


def test_order_lifecycle_and_lsn_ordering():
    d1, d2 = date(2026, 3, 3), date(2026, 3, 4)
    e1, e2 = rows_of(d1, "orders"), rows_of(d2, "orders")
    l1, l2 = [int(e["lsn"]) for e in e1], [int(e["lsn"]) for e in e2]
    assert max(l1) < min(l2)  # lsn increases across days
    # within a day lsn order = event time order
    clean = sorted((int(e["lsn"]), e["event_ts"]) for e in e2 if ISO_TS.match(e["event_ts"] or ""))
    assert all(a[1] <= b[1] for a, b in itertools.pairwise(clean))
    assert all(e["event_ts"].startswith("2026-03-04") for e in e2 if ISO_TS.match(e["event_ts"] or ""))
    statuses = Counter((e["status"] or "").strip().lower() for e in e2)
    for s in ("created", "paid", "shipped", "delivered"):
        assert statuses[s] > 0, statuses
    assert all(e["updated_at"] == e["event_ts"] for e in e2 if ISO_TS.match(e["event_ts"] or ""))
    # over a few weeks there are cancellations, refunds and (rare) deletes
    ops, st = Counter(), Counter()
    for i in range(21):
        for e in rows_of(date(2026, 2, 1) + timedelta(days=i), "orders"):
            ops[e["op"]] += 1
            st[(e["status"] or "").strip().lower()] += 1
    assert ops["delete"] >= 1 and st["canceled"] >= 1 and st["refunded"] >= 1


def test_entities_evolve_over_time():
    early, late = date(2024, 2, 1), date(2026, 6, 1)
    p_early, p_late = rows_of(early, "products"), rows_of(late, "products")
    assert len(p_late) > len(p_early)
    c_early, c_late = rows_of(early, "customers"), rows_of(late, "customers")
    assert len({r["customer_id"] for r in c_late}) > len({r["customer_id"] for r in c_early})
    for r in c_late:
        assert r["signup_date"] <= "2026-06-01"
        assert r["updated_at"] <= "2026-06-01T23:59:59Z"
    for r in p_late:
        assert r["updated_at"] <= "2026-06-01T23:59:59Z"
    # prices change between far-apart days for most products
    pe = {r["product_id"]: r["unit_price"] for r in p_early}
    pl_ = {r["product_id"]: r["unit_price"] for r in p_late}
    changed = sum(pe[k] != pl_[k] for k in pe)
    assert changed > 0.5 * len(pe)


def test_customer_addresses_change_between_consecutive_days():
    start = date(2025, 5, 5)
    prev = None
    pairs_with_moves = 0
    for i in range(6):
        cur = latest_by(rows_of(start + timedelta(days=i), "customers"), "customer_id")
        if prev is not None:
            moved = [c for c in prev if c in cur and prev[c]["address"] != cur[c]["address"]]
            pairs_with_moves += bool(moved)
            for c in moved:  # a move is dated on the new day
                assert cur[c]["updated_at"] > prev[c]["updated_at"]
        prev = cur
    assert pairs_with_moves >= 4


def test_support_tickets_progress_over_days():
    days = [date(2026, 4, 1) + timedelta(days=i) for i in range(6)]
    seen: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for d in days:
        for r in rows_of(d, "support_tickets"):
            if ISO_TS.match(r["updated_at"] or "") and r["status"]:
                seen[r["ticket_id"]].append((r["updated_at"], r["status"].strip().lower()))
    multi_day = [t for t, ev in seen.items() if len({u[:10] for u, _ in ev}) > 1]
    assert multi_day
    closed = [t for t, ev in seen.items() if any(s == "closed" for _, s in ev)]
    assert closed


# ---------------------------------------------------------------------------------------------
# defects
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "table", ["pos_transaction_lines", "customers", "order_items", "web_sessions", "inventory_snapshots"]
)
def test_exact_duplicate_rows_exist(day_files, table):
    _, rows = read_rows(day_files[table])
    counts = Counter(tuple(r.items()) for r in rows)
    dup = sum(n - 1 for n in counts.values())
    assert 0 < dup <= 0.03 * len(rows) + 1


@pytest.mark.parametrize("table", ["pos_transactions", "inventory_snapshots", "support_tickets", "customers"])
def test_resent_rows_with_later_updated_at(day_rows, table):
    key = registry.table_spec(table).primary_key
    if table == "support_tickets":  # tickets legitimately get one row per status change
        key = key + ("status",)
    groups = defaultdict(set)
    for r in day_rows[table]:
        if ISO_TS.match(r["updated_at"] or ""):
            groups[tuple(r[k] for k in key)].add(tuple(r.items()))
    resent = [g for g in groups.values() if len({dict(x)["updated_at"] for x in g}) > 1]
    assert resent
    assert len(resent) <= 0.05 * len(day_rows[table]) + 1
    for versions in resent:  # the versions differ in more than their timestamp
        rows = [dict(v) for v in versions]
        assert len({tuple((k, v) for k, v in r.items() if k != "updated_at") for r in rows}) > 1


def test_resent_pos_transaction_later_version_is_correct(day_rows):
    lines = _clean_items(day_rows["pos_transaction_lines"], "transaction_id")
    by_id = defaultdict(list)
    for r in day_rows["pos_transactions"]:
        by_id[r["transaction_id"]].append(r)
    checked = 0
    for tid, versions in by_id.items():
        good = [v for v in versions if MONEY.match(v["total_amount"] or "") and ISO_TS.match(v["updated_at"])]
        if len({v["updated_at"] for v in good}) > 1 and tid in lines:
            latest = max(good, key=lambda v: v["updated_at"])
            earliest = min(good, key=lambda v: v["updated_at"])
            assert cents(latest["total_amount"]) == lines[tid]
            assert cents(earliest["total_amount"]) != lines[tid]
            checked += 1
    assert checked >= 1


def _bad_ts(v) -> bool:
    return v is not None and not ISO_TS.match(v)


def _bad_num(v) -> bool:
    return v is not None and not re.match(r"^-?\d+(\.\d+)?$", v)


def _negative(v) -> bool:
    return v is not None and v.startswith("-")


MALFORMED = {
    "pos_transactions": [
        ("total_amount", _bad_num),
        ("transaction_ts", _bad_ts),
        ("store_id", lambda v: not v),
        ("currency", lambda v: v == "XXX"),
    ],
    "pos_transaction_lines": [
        ("quantity", _bad_num),
        ("quantity", _negative),
        ("unit_price", _bad_num),
        ("updated_at", _bad_ts),
        ("product_id", lambda v: not v),
    ],
    "orders": [
        ("order_total", _bad_num),
        ("event_ts", _bad_ts),
        ("order_id", lambda v: not v),
        ("currency", lambda v: v == "XXX"),
    ],
    "order_items": [
        ("quantity", _bad_num),
        ("quantity", _negative),
        ("unit_price", _bad_num),
        ("updated_at", _bad_ts),
        ("product_id", lambda v: not v),
    ],
    "inventory_snapshots": [
        ("on_hand", _bad_num),
        ("on_hand", _negative),
        ("updated_at", _bad_ts),
        ("product_id", lambda v: not v),
    ],
    "web_sessions": [
        ("pages_viewed", _bad_num),
        ("pages_viewed", _negative),
        ("started_at", _bad_ts),
        ("session_id", lambda v: not v),
        ("device", lambda v: v == "smart-tv"),
    ],
    "support_tickets": [
        ("opened_at", _bad_ts),
        ("customer_id", lambda v: not v),
        ("status", lambda v: v == "escalated"),
    ],
}


@pytest.mark.parametrize("table", sorted(MALFORMED))
def test_malformed_values_of_each_kind_are_present_but_rare(table):
    for d in (DAY, date(2025, 2, 4)):
        rows = rows_of(d, table)
        bad_rows = set()
        for col, pred in MALFORMED[table]:
            hits = [i for i, r in enumerate(rows) if pred(r[col])]
            assert hits, (d, table, col)
            bad_rows.update(hits)
        limit = 0.05 if len(rows) > 300 else 0.25  # tiny tables still carry one row per kind
        assert len(bad_rows) <= limit * len(rows), (table, len(bad_rows), len(rows))


def test_cdc_repeats_and_out_of_order_events(day_rows):
    lsns = [int(e["lsn"]) for e in day_rows["orders"]]
    counts = Counter(lsns)
    repeated = [lsn for lsn, n in counts.items() if n > 1]
    assert repeated
    for lsn in repeated:  # a repeated event is the same event
        copies = {json.dumps(e, sort_keys=True) for e in day_rows["orders"] if int(e["lsn"]) == lsn}
        assert len(copies) == 1
    assert lsns != sorted(lsns)
    assert len(set(lsns)) > 0.95 * len(lsns)


def test_late_rows_are_new_and_in_the_past():
    d = DAY
    late_tx = [
        r
        for r in rows_of(d, "pos_transactions")
        if ISO_TS.match(r["transaction_ts"] or "") and r["transaction_ts"][:10] < "2026-11-01"
    ]
    assert late_tx
    for r in late_tx:
        lag = (d - date.fromisoformat(r["transaction_ts"][:10])).days
        assert 1 <= lag <= 3
    earlier_ids = set()
    for k in (1, 2, 3):
        earlier_ids |= {r["transaction_id"] for r in rows_of(d - timedelta(days=k), "pos_transactions")}
    assert not {r["transaction_id"] for r in late_tx} & earlier_ids
    late_ids = {r["transaction_id"] for r in late_tx}
    assert {r["transaction_id"] for r in rows_of(d, "pos_transaction_lines")} >= late_ids
    late_sessions = [
        r
        for r in rows_of(d, "web_sessions")
        if ISO_TS.match(r["started_at"] or "") and r["started_at"][:10] < "2026-10-31"
    ]
    assert late_sessions


def test_messy_text_normalises_to_accepted_values(day_rows):
    cur = [r["currency"] for r in day_rows["pos_transactions"] if r["currency"]]
    messy = [c for c in cur if c != c.strip().upper()]
    assert messy and all(c.strip().upper() in registry.CURRENCIES for c in messy)
    emails = [r["email"] for r in day_rows["customers"]]
    messy = [e for e in emails if e != e.strip().lower()]
    assert messy and all("@" in e for e in messy)
    status = [e["status"] for e in day_rows["orders"] if e["status"]]
    assert any(s != s.strip().lower() and s.strip().lower() in registry.ORDER_STATUSES for s in status)


def test_schema_drift_happens_on_some_days_only(four_weeks):
    drift_days = 0
    for files in four_weeks.values():
        extra = False
        for spec in registry.TABLES:
            cols, _ = read_rows(files[spec.table])
            extra |= bool(set(cols) - set(spec.column_names))
        drift_days += extra
    assert 0 < drift_days < 28 * 0.5


# ---------------------------------------------------------------------------------------------
# every row of DEFECTS is observable in the generated files
# ---------------------------------------------------------------------------------------------

NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def _column(table: str, name: str) -> registry.Column:
    return next(c for c in registry.table_spec(table).columns if c.name == name)


def _normalised(column: registry.Column, v: str) -> str:
    v = v.strip()
    return v.lower() if column.case == "lower" else v.upper() if column.case == "upper" else v


def _values(d: gen.Defect, rows) -> list[str | None]:
    (name,) = d.columns
    return [r[name] for r in rows]


def _has_exact_duplicate(d, day, cols, rows) -> bool:
    return any(n > 1 for n in Counter(tuple(r.items()) for r in rows).values())


def _has_resent_row(d, day, cols, rows) -> bool:
    """The same key twice with different updated_at, and the damaged columns differ."""
    key = registry.table_spec(d.table).primary_key
    if d.table == "support_tickets":  # a ticket legitimately has one row per status
        key = key + ("status",)
    versions = defaultdict(list)
    for r in rows:
        if all(r[k] for k in key) and ISO_TS.match(r["updated_at"] or ""):
            versions[tuple(r[k] for k in key)].append(r)
    return any(
        len({r["updated_at"] for r in vs}) > 1 and any(len({r[c] for r in vs}) > 1 for c in d.columns)
        for vs in versions.values()
    )


def _has_bad_number(d, day, cols, rows) -> bool:
    column = _column(d.table, d.columns[0])
    assert column.dtype in (pl.Int32, pl.Int64) or isinstance(column.dtype, pl.Decimal), column
    return any(v is not None and not NUMBER.match(v) for v in _values(d, rows))


def _has_negative_number(d, day, cols, rows) -> bool:
    return any(v is not None and NUMBER.match(v) and v.startswith("-") for v in _values(d, rows))


def _has_bad_timestamp(d, day, cols, rows) -> bool:
    assert isinstance(_column(d.table, d.columns[0]).dtype, pl.Datetime)
    return any(v and not ISO_TS.match(v) for v in _values(d, rows))


def _has_empty_required(d, day, cols, rows) -> bool:
    assert _column(d.table, d.columns[0]).required
    return any(not v for v in _values(d, rows))  # None (empty CSV field / JSON null) or ""


def _has_unknown_enum(d, day, cols, rows) -> bool:
    column = _column(d.table, d.columns[0])
    assert column.accepted
    return any(v and _normalised(column, v) not in column.accepted for v in _values(d, rows))


def _has_messy_text(d, day, cols, rows) -> bool:
    """A value that only normalisation (strip + the column's case) turns into a valid one."""
    column = _column(d.table, d.columns[0])
    assert column.case
    return any(
        v and v != _normalised(column, v) and (not column.accepted or _normalised(column, v) in column.accepted)
        for v in _values(d, rows)
    )


def _has_repeated_cdc_event(d, day, cols, rows) -> bool:
    """The same lsn more than once, every copy identical."""
    copies = defaultdict(list)
    for r in rows:
        copies[r["lsn"]].append(json.dumps(r, sort_keys=True))
    return any(len(c) > 1 and len(set(c)) == 1 for c in copies.values())


def _has_out_of_order_cdc(d, day, cols, rows) -> bool:
    first_seen = [int(lsn) for lsn in dict.fromkeys(r["lsn"] for r in rows)]  # repeats aside
    return any(a > b for a, b in itertools.pairwise(first_seen))


def _has_late_rows(d, day, cols, rows) -> bool:
    """A business date (of a timestamp, or inside an id) 1-3 days before the file's day."""
    earliest, today = f"{day - timedelta(days=3):%Y%m%d}", f"{day:%Y%m%d}"
    for v in _values(d, rows):
        if v and ISO_TS.match(v):
            business_day = v[:10].replace("-", "")
        elif v and (m := re.search(r"\d{8}", v)):
            business_day = m.group()
        else:
            continue
        if earliest <= business_day < today:
            return True
    return False


def _has_schema_drift(d, day, cols, rows) -> bool:
    (extra,) = d.columns
    declared = registry.table_spec(d.table).column_names
    return extra in cols and extra not in declared and any(r[extra] is not None for r in rows)


DETECTORS = {
    "exact_duplicate": _has_exact_duplicate,
    "resent": _has_resent_row,
    "bad_number": _has_bad_number,
    "negative_number": _has_negative_number,
    "bad_timestamp": _has_bad_timestamp,
    "empty_required": _has_empty_required,
    "unknown_enum": _has_unknown_enum,
    "messy_text": _has_messy_text,
    "repeated_cdc_event": _has_repeated_cdc_event,
    "out_of_order_cdc": _has_out_of_order_cdc,
    "late_rows": _has_late_rows,
    "schema_drift": _has_schema_drift,
}


@pytest.fixture(scope="module")
def drift_days() -> dict[str, tuple[date, gen.LandingFile]]:
    """For each table that can drift, the first day (from EPOCH, small volume) its file does."""
    tables = {d.table for d in gen.DEFECTS if d.kind == "schema_drift"}
    found: dict[str, tuple[date, gen.LandingFile]] = {}
    for i in range(365):
        day = gen.EPOCH + timedelta(days=i)
        for f in gen.generate_day(day, volume=50):
            if f.table in tables and f.table not in found:
                cols, _ = read_rows(f)
                if set(cols) - set(registry.table_spec(f.table).column_names):
                    found[f.table] = (day, f)
        if len(found) == len(tables):
            break
    return found


def _defect_id(d: gen.Defect) -> str:
    return f"{d.kind}-{d.table}-{'+'.join(d.columns) or 'row'}"


@pytest.mark.parametrize("defect", gen.DEFECTS, ids=_defect_id)
def test_every_declared_defect_is_present(defect, day_files, drift_days):
    detect = DETECTORS.get(defect.kind)
    assert detect is not None, f"no check for defect kind {defect.kind!r}: add one to DETECTORS"
    assert defect.table in {t.table for t in registry.TABLES}
    if defect.kind == "schema_drift":  # a few days in a hundred: search for one
        assert defect.table in drift_days, f"{defect.table} never drifts in a year"
        day, f = drift_days[defect.table]
    else:  # every other kind is in every file of the default volume
        day, f = DAY, day_files[defect.table]
    cols, rows = read_rows(f)
    assert detect(defect, day, cols, rows), (defect, day)


def test_defects_table_is_well_formed():
    keys = [(d.kind, d.table, d.columns) for d in gen.DEFECTS]
    assert len(keys) == len(set(keys))
    assert {d.kind for d in gen.DEFECTS} == set(gen.Kind) == set(DETECTORS)
    for d in gen.DEFECTS:
        assert d.rate is None or 0 < d.rate < 0.2, d
        assert d.minimum >= 1
        declared = registry.table_spec(d.table).column_names
        for c in d.columns:
            assert (c not in declared) == (d.kind == "schema_drift"), d


# ---------------------------------------------------------------------------------------------
# chunked generation and the streaming writer
# ---------------------------------------------------------------------------------------------

# sha256 prefixes of DAY's files at the default volume, as generated before the big tables were
# chunked and rendered with numpy: a day that fits in one chunk must not change (documented
# figures, defect counts and quarantine reasons elsewhere in the suite rely on these bytes).
_DEFAULT_DAY_SHA256 = {
    "customers_20261101.jsonl": "b2c513070431d37d",
    "inventory_snapshots_20261101.csv": "473a1e0968ee4d05",
    "order_items_20261101.jsonl": "79ee67795c8e24b2",
    "orders_20261101.jsonl": "7f7409cfef5a0134",
    "pos_transaction_lines_20261101.csv": "e8f0201fcd23c6d4",
    "pos_transactions_20261101.csv": "9603bcbda10d7aa2",
    "products_20261101.json": "fb592311f2363b14",
    "stores_20261101.json": "c5ce9c4c87a278a0",
    "support_tickets_20261101.csv": "45718d7e022d7c55",
    "web_sessions_20261101.jsonl": "a9e2d335c9137317",
}


def test_a_one_chunk_day_is_byte_identical_to_the_unchunked_generator(day_files):
    got = {f.name: hashlib.sha256(f.content).hexdigest()[:16] for f in day_files.values()}
    assert got == _DEFAULT_DAY_SHA256


def test_write_day_writes_the_bytes_of_generate_day(tmp_path):
    paths = gen.write_day(DAY, tmp_path, volume=2_000)
    expected = {f.table: f for f in gen.generate_day(DAY, volume=2_000)}
    assert set(paths) == set(expected)
    for table, path in paths.items():
        assert path.name == expected[table].name
        assert path.read_bytes() == expected[table].content, table
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f.name for f in expected.values())  # no leftovers


@pytest.fixture
def small_chunks(monkeypatch):
    """Chunks of a few hundred rows, so a small day spans many chunks of every chunked table."""
    from retail_platform.sources.generator import chunks

    monkeypatch.setattr(chunks, "POS_TRANSACTIONS_PER_CHUNK", 400)
    monkeypatch.setattr(chunks, "SESSIONS_PER_CHUNK", 1_500)
    monkeypatch.setattr(chunks, "ORDER_EVENTS_PER_CHUNK", 300)
    monkeypatch.setattr(chunks, "ORDER_ITEMS_PER_CHUNK", 250)


_CHUNKED_VOLUME = 5_000


def test_chunked_output_is_deterministic_and_streams_the_same_bytes(small_chunks, monkeypatch, tmp_path):
    files = files_of(DAY, volume=_CHUNKED_VOLUME)
    # several chunks each, yet one header and no chunk seam visible in the text
    assert files["pos_transactions"].content.count(b"transaction_id,") == 1
    assert files["pos_transaction_lines"].content.count(b"transaction_id,") == 1
    for table, f in files_of(DAY, volume=_CHUNKED_VOLUME).items():
        assert f.content == files[table].content, table
    for table, path in gen.write_day(DAY, tmp_path, volume=_CHUNKED_VOLUME).items():
        assert path.read_bytes() == files[table].content, table
    # the chunk size is part of the data: other chunks draw other values, for the same sales
    monkeypatch.undo()
    unchunked = files_of(DAY, volume=_CHUNKED_VOLUME)
    assert unchunked["pos_transactions"].content != files["pos_transactions"].content
    ids = [{r["transaction_id"] for r in read_rows(f["pos_transactions"])[1]} - {None} for f in (files, unchunked)]
    assert ids[0] == ids[1]


def test_chunked_days_keep_every_defect_and_the_links_between_tables(small_chunks):
    files = files_of(DAY, volume=_CHUNKED_VOLUME)
    rows = {table: read_rows(f) for table, f in files.items()}
    assert len(rows["web_sessions"][1]) > 3 * 1_500 and len(rows["orders"][1]) > 3 * 300
    for d in gen.DEFECTS:
        if d.kind != "schema_drift":
            cols, table_rows = rows[d.table]
            assert DETECTORS[d.kind](d, DAY, cols, table_rows), d
    # every line belongs to an exported transaction; sums and prices still agree
    transaction_ids = {r["transaction_id"] for r in rows["pos_transactions"][1]}
    line_ids = {r["transaction_id"] for r in rows["pos_transaction_lines"][1]}
    assert line_ids <= transaction_ids
    lines = _clean_items(rows["pos_transaction_lines"][1], "transaction_id")
    txns = latest_by(
        rows["pos_transactions"][1], "transaction_id", lambda r: MONEY.match(r["total_amount"] or "") and r["store_id"]
    )
    checked = [tid for tid in txns if tid in lines]
    assert len(checked) > 1_000
    assert all(cents(txns[tid]["total_amount"]) == lines[tid] for tid in checked)
    # transaction ids stay unique across chunks (first sends and copies aside)
    assert len(transaction_ids) > 0.97 * len(rows["pos_transactions"][1])
    # each order created today converts exactly one session, wherever its chunk
    created = {
        e["order_id"]: e["session_id"]
        for e in rows["orders"][1]
        if e["op"] == "insert" and e["order_id"] and e["order_id"].startswith("O20261101")
    }
    converting = {r["session_id"]: r for r in rows["web_sessions"][1] if r["session_id"] and r["converted"] == "true"}
    by_order = Counter(r["order_id"] for r in converting.values())
    assert set(created) <= set(by_order) and all(n == 1 for n in by_order.values())
    assert all(converting[session]["order_id"] == order for order, session in created.items())
    # lsn: one sequence across chunks, each event once (repeats aside)
    lsns = [int(e["lsn"]) for e in rows["orders"][1]]
    assert len(set(lsns)) > 0.97 * len(lsns)
    assert sorted(set(lsns)) == list(range(min(lsns), min(lsns) + len(set(lsns))))


def test_late_ids_stay_above_the_on_time_ones_at_any_volume():
    from retail_platform.sources.generator.tables import pos, web_sessions

    assert pos._late_seq_range(20_000) == (900_000, 30_000)  # unchanged where it always fitted
    assert web_sessions._late_seq_range(20_000) == (9_000_000, 300_000)
    for volume in (5_000_000, 50_000_000):
        first, _ = web_sessions._late_seq_range(volume)
        assert first > 3 * volume * 0.06 / 0.032  # sessions of the busiest day
        first, _ = pos._late_seq_range(volume)
        assert first > 3 * volume / 3.5 * 0.2  # till numbers of the busiest store's day
