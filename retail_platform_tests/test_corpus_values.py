"""Bad input at the value and feed level: each case lands a small file as a source system would
send it, runs it through bronze's parsing and the silver step (``clean_partition``: clean, write,
check), and states the outcome: which rows are quarantined with which reason, which feed checks
fail and whether they block. Rows are conserved in every case (bronze = silver + duplicates +
quarantined, every quarantined row with its reason)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import dagster as dg
import polars as pl
import pytest

from retail_platform.defs.lake.silver import clean_partition
from retail_platform.lake.paths import cleaned_table, partition_dir, partition_file, quarantine_file
from retail_platform.sources.registry import table_spec
from retail_platform.transforms import gold
from retail_platform.transforms.bronze import read_raw_text, to_bronze
from retail_platform.transforms.silver import REASON

DAY = date(2026, 3, 3)
AT = "2026-03-03T10:00:00Z"
FEED_CHECKS = ("feed_not_empty", "feed_columns", "feed_quarantine_share", "feed_late_share")
YESTERDAY = "2026-03-02T15:00:00Z"


# --- rows as the sources write them -----------------------------------------------------------


def pos_tx(i: int, **changes) -> dict:
    return {
        "transaction_id": f"T{i}",
        "store_id": "S001",
        "register_id": "R1",
        "customer_id": f"C{i}",
        "transaction_ts": AT,
        "currency": "USD",
        "payment_method": "card",
        "total_amount": "20.00",
        "updated_at": AT,
    } | changes


def pos_line(i: int, **changes) -> dict:
    return {
        "transaction_id": f"T{i}",
        "line_number": "1",
        "product_id": "P1",
        "quantity": "2",
        "unit_price": "10.00",
        "discount_amount": "1.00",
        "updated_at": AT,
    } | changes


def order_event(i: int, **changes) -> dict:
    return {
        "lsn": str(7_500_000_000 + i),
        "op": "insert",
        "event_ts": AT,
        "order_id": f"O{i}",
        "customer_id": f"C{i}",
        "session_id": f"W{i}",
        "status": "created",
        "currency": "USD",
        "order_total": "30.00",
        "shipping_country": "US",
        "created_at": AT,
        "updated_at": AT,
    } | changes


def order_item(i: int, **changes) -> dict:
    return {
        "order_id": f"O{i}",
        "line_number": "1",
        "product_id": "P1",
        "quantity": "1",
        "unit_price": "30.00",
        "updated_at": AT,
    } | changes


def snapshot(i: int, **changes) -> dict:
    return {
        "snapshot_date": DAY.isoformat(),
        "store_id": "S001",
        "product_id": f"P{i}",
        "on_hand": "12",
        "on_order": "0",
        "reorder_point": "3",
        "updated_at": "2026-03-03T23:05:00Z",
    } | changes


def customer(i: int, **changes) -> dict:
    return {
        "customer_id": f"C{i}",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "ada@example.com",
        "phone": "555",
        "address": "1 Main St",
        "city": "Windhoek",
        "country": "US",
        "loyalty_tier": "gold",
        "signup_date": "2025-06-01",
        "updated_at": AT,
    } | changes


def session(i: int, **changes) -> dict:
    return {
        "session_id": f"W{i}",
        "customer_id": f"C{i}",
        "started_at": AT,
        "ended_at": "2026-03-03T10:20:00Z",
        "device": "mobile",
        "traffic_source": "search",
        "pages_viewed": "5",
        "converted": "false",
        "order_id": None,
        "updated_at": "2026-03-03T10:20:00Z",
    } | changes


def ticket(i: int, **changes) -> dict:
    return {
        "ticket_id": f"K{i}",
        "customer_id": f"C{i}",
        "order_id": None,
        "opened_at": AT,
        "closed_at": None,
        "status": "open",
        "priority": "low",
        "category": "delivery",
        "updated_at": AT,
    } | changes


ROW = {
    "pos_transactions": pos_tx,
    "pos_transaction_lines": pos_line,
    "orders": order_event,
    "order_items": order_item,
    "inventory_snapshots": snapshot,
    "customers": customer,
    "web_sessions": session,
    "support_tickets": ticket,
}


def rows(table: str, n: int, **changes) -> list[dict]:
    return [ROW[table](i, **changes) for i in range(1, n + 1)]


def drop(records: list[dict], column: str) -> list[dict]:
    return [{k: v for k, v in r.items() if k != column} for r in records]


def rename(records: list[dict], old: str, new: str) -> list[dict]:
    return [{(new if k == old else k): v for k, v in r.items()} for r in records]


def file_bytes(table: str, records: list[dict]) -> bytes:
    """The file as the source exports it: CSV with a header, or JSON lines."""
    if not records:
        return b""
    if table_spec(table).file_format == "csv":
        return pl.DataFrame(records, schema=dict.fromkeys(records[0], pl.String)).write_csv().encode()
    return "".join(json.dumps(r) + "\n" for r in records).encode()


# --- the corpus -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    id: str
    table: str
    records: list[dict] | None = None  # None: ``content`` as given
    content: bytes | None = None
    # Expected: rows quarantined per reason (a substring of it); every other row in silver or a duplicate.
    quarantined: dict[str, int] = field(default_factory=dict)
    duplicates: int = 0
    # Expected: the feed checks that fail, and how ("blocking" / "warn"); the others pass.
    failed: dict[str, str] = field(default_factory=dict)
    # Expected silver values: {column: value} on every silver row.
    silver: dict[str, object] = field(default_factory=dict)
    metadata: dict[str, str] = field(default_factory=dict)  # "check.key": substring of the value


CORPUS = [
    # maxima: bounds far above the sources' values and below gold's Decimal(18, 2)
    Case(
        "quantity_above_max",
        "pos_transaction_lines",
        [*rows("pos_transaction_lines", 3), pos_line(4, quantity="99999999")],
        quarantined={"quantity above 10000: 99999999": 1},
    ),
    Case(
        "unit_price_above_max",
        "order_items",
        [*rows("order_items", 3), order_item(4, unit_price="9999999999999.99")],
        quarantined={"unit_price above 100000: 9999999999999.99": 1},
    ),
    Case(
        "decimal_too_long_for_the_column",
        "pos_transaction_lines",
        [pos_line(1), pos_line(2, unit_price="99999999999999999999")],
        quarantined={"invalid decimal for unit_price: '99999999999999999999'": 1},
    ),
    Case(
        "on_hand_above_max",
        "inventory_snapshots",
        [snapshot(1), snapshot(2, on_hand="2000000000")],
        quarantined={"on_hand above 1000000: 2000000000": 1},
    ),
    Case(
        "pages_viewed_above_max",
        "web_sessions",
        [session(1), session(2, pages_viewed="123456")],
        quarantined={"pages_viewed above 10000: 123456": 1},
    ),
    # business time within its window around the partition's day
    Case(
        "business_time_in_the_future",
        "pos_transactions",
        [pos_tx(1), pos_tx(2, transaction_ts="2999-01-01T00:00:00Z")],
        quarantined={
            "transaction_ts outside its window 2026-02-17T00:00:00Z .. 2026-03-04T06:00:00Z of 2026-03-03: "
            "'2999-01-01T00:00:00Z'": 1
        },
    ),
    Case(
        "business_time_in_the_distant_past",
        "web_sessions",
        [session(1), session(2, started_at="1900-01-01 00:00:00")],
        quarantined={"started_at outside its window 2026-02-17T00:00:00Z .. ": 1},
    ),
    Case(
        "late_rows_within_the_window_are_accepted",
        "pos_transactions",
        [pos_tx(1), pos_tx(2, transaction_ts="2026-02-28T09:00:00Z", updated_at="2026-02-28T09:00:00Z")],
    ),
    Case(
        "event_after_the_day_beyond_the_skew",
        "orders",
        [order_event(1, event_ts="2026-03-04T05:59:00Z"), order_event(2, event_ts="2026-03-04T06:01:00+00:00")],
        quarantined={"event_ts outside its window 2026-02-24T00:00:00Z .. 2026-03-04T06:00:00Z": 1},
    ),
    Case(
        "order_created_in_1900",
        "orders",
        [order_event(1), order_event(2, created_at="1900-01-01T00:00:00Z")],
        quarantined={"created_at outside its window 2026-01-02T00:00:00Z": 1},
    ),
    Case(
        "audit_time_in_the_future",
        "customers",
        [customer(1), customer(2, updated_at="2999-12-31T00:00:00Z")],
        quarantined={"updated_at outside its window 1970-01-01T00:00:00Z .. 2026-03-04T06:00:00Z": 1},
    ),
    Case(
        "another_days_snapshot_in_todays_folder",
        "inventory_snapshots",
        rows("inventory_snapshots", 120, snapshot_date="2026-03-02"),
        quarantined={"snapshot_date outside its window 2026-03-03 .. 2026-03-03 of 2026-03-03: '2026-03-02'": 120},
        failed={"feed_quarantine_share": "blocking"},
    ),
    # null tokens
    Case(
        "null_token_as_a_key",
        "pos_transactions",
        [pos_tx(1), pos_tx(2, transaction_id="NULL"), pos_tx(3, transaction_id=" null ")],
        quarantined={"missing required transaction_id": 2},
    ),
    Case(
        "null_token_in_an_optional_text_column_is_null",
        "pos_transactions",
        [pos_tx(1, customer_id="N/A"), pos_tx(2, customer_id="\\N"), pos_tx(3, customer_id="None")],
        silver={"customer_id": None},
    ),
    Case(
        "null_token_in_a_number_is_refused",
        "order_items",
        [order_item(1), order_item(2, quantity="NULL")],
        quarantined={"invalid int32 for quantity: 'NULL'": 1},
    ),
    Case(
        "tokens_that_are_values_stay_values",
        "customers",
        [customer(1, country="NA", loyalty_tier="None")],
        silver={"country": "NA", "loyalty_tier": "none"},
    ),
    # CDC sequence numbers
    Case(
        "lsn_jump",
        "orders",
        [*rows("orders", 3), order_event(4, lsn="1000000000000000")],
        quarantined={
            "lsn too far ahead of the feed (more than 1000000000000 above the partition's median 7500000002): "
            "1000000000000000": 1
        },
    ),
    Case(
        "same_lsn_different_content",
        "orders",
        [order_event(1), order_event(2), order_event(2, status="paid", op="update")],
        quarantined={"conflicting events with the same lsn: 7500000002 carried by 2 events with different content": 2},
    ),
    Case(
        "same_lsn_same_content_is_a_duplicate",
        "orders",
        [order_event(1), order_event(2), order_event(2, status=" Created ")],
        duplicates=1,
    ),
    # feed-level expectations
    Case("empty_file_required_table", "pos_transaction_lines", content=b"", failed={"feed_not_empty": "blocking"}),
    Case("empty_file_optional_table", "support_tickets", content=b"", failed={"feed_not_empty": "warn"}),
    Case(
        "header_only_csv",
        "pos_transactions",
        content=(",".join(pos_tx(1)) + "\n").encode(),
        failed={"feed_not_empty": "blocking"},
    ),
    Case(
        "mostly_quarantined",
        "order_items",
        [*rows("order_items", 80), *(order_item(i, unit_price="12,5x") for i in range(81, 121))],
        quarantined={"invalid decimal for unit_price: '12,5x'": 40},
        failed={"feed_quarantine_share": "blocking"},
        metadata={"feed_quarantine_share.quarantined_share": "0.3333"},
    ),
    Case(
        "a_few_bad_rows_in_a_small_feed_are_not_judged",
        "order_items",
        [*rows("order_items", 3), order_item(4, unit_price="12,5x"), order_item(5, unit_price="12,5x")],
        quarantined={"invalid decimal for unit_price": 2},
    ),
    Case(
        "missing_required_column",
        "pos_transaction_lines",
        drop(rows("pos_transaction_lines", 120), "product_id"),
        quarantined={"missing required product_id": 120},
        failed={"feed_columns": "blocking", "feed_quarantine_share": "blocking"},
        metadata={"feed_columns.missing_columns": "product_id"},
    ),
    Case(
        "missing_required_column_small_feed",
        "orders",
        drop(rows("orders", 5), "order_id"),
        quarantined={"missing required order_id": 5},
        failed={"feed_columns": "blocking"},
    ),
    Case(
        "missing_optional_column",
        "pos_transaction_lines",
        drop(rows("pos_transaction_lines", 5), "discount_amount"),
        failed={"feed_columns": "blocking"},
        silver={"discount_amount": None},
        metadata={"feed_columns.missing_columns": "discount_amount", "feed_columns.action": "fix the export"},
    ),
    Case(
        "missing_optional_column_warn_table",
        "web_sessions",
        drop(rows("web_sessions", 5), "traffic_source"),
        failed={"feed_columns": "warn"},
    ),
    Case(
        "renamed_optional_column",
        "pos_transactions",
        rename(rows("pos_transactions", 5), "customer_id", "cust_id"),
        failed={"feed_columns": "blocking"},
        metadata={"feed_columns.possibly_renamed": "customer_id -> cust_id?"},
    ),
    Case(
        "renamed_required_column",
        "order_items",
        rename(rows("order_items", 5), "quantity", "qty"),
        quarantined={"missing required quantity": 5},
        failed={"feed_columns": "blocking"},
        metadata={"feed_columns.possibly_renamed": "quantity -> qty?"},
    ),
    Case(
        "another_days_export_in_todays_folder",
        "pos_transactions",
        rows("pos_transactions", 100, transaction_ts=YESTERDAY, updated_at=YESTERDAY),
        failed={"feed_late_share": "blocking"},
        metadata={"feed_late_share.late_share": "1.0", "feed_late_share.action": "another day's export"},
    ),
    Case(
        "another_days_export_next_to_todays",
        "web_sessions",
        [session(i, started_at=YESTERDAY, updated_at=YESTERDAY, ended_at=YESTERDAY) for i in range(1, 61)]
        + [session(i) for i in range(61, 121)],
        failed={"feed_late_share": "warn"},
        metadata={"feed_late_share.late_share": "0.5"},
    ),
    Case(
        "a_few_late_rows_are_normal",
        "pos_transaction_lines",
        [*rows("pos_transaction_lines", 110), *(pos_line(i, updated_at=YESTERDAY) for i in range(111, 116))],
        metadata={"feed_late_share.late_rows": "5"},
    ),
    Case(
        "drifted_extra_column_is_listed_not_failed",
        "pos_transactions",
        [pos_tx(i, terminal_firmware="v4.2.1") for i in range(1, 4)],
        metadata={"feed_columns.undeclared_columns": "terminal_firmware"},
    ),
]


def _land(lake, case: Case) -> tuple[str, pl.DataFrame]:
    """Write the landing file and the bronze partition bronze would make of it."""
    spec = table_spec(case.table)
    content = file_bytes(case.table, case.records) if case.records is not None else case.content
    key = f"{partition_dir('landing', case.table, DAY, source=spec.source)}/{case.table}.{spec.file_format}"
    lake.write_bytes(key, content)
    landed = datetime(2026, 3, 4, 1, tzinfo=UTC)
    bronze = to_bronze(read_raw_text(content, spec.file_format), source_file=key, ingested_at=landed)
    lake.write_parquet(partition_file("bronze", case.table, DAY), bronze)
    return key, bronze


def _value(metadata_value):
    return getattr(metadata_value, "value", metadata_value)


@pytest.mark.parametrize("case", CORPUS, ids=[c.id for c in CORPUS])
def test_corpus_case(case: Case, lake):
    spec = table_spec(case.table)
    key, bronze = _land(lake, case)

    metadata, checks = clean_partition(lake, spec, DAY.isoformat())

    table = cleaned_table(spec.table, cdc=spec.cdc is not None)
    silver = lake.read_parquet(partition_file("silver", table, DAY.isoformat()))
    quarantine = lake.read_parquet(quarantine_file(spec.table, DAY.isoformat()))
    # conservation, by count and by lineage, and every quarantined row says why
    assert bronze.height == silver.height + metadata["duplicates_removed"] + quarantine.height
    assert metadata["rows_in"] == bronze.height and metadata["rows_quarantined"] == quarantine.height
    results = {c.check_name: c for c in checks}
    assert results["row_conservation"].passed, results["row_conservation"].metadata
    assert quarantine[REASON].null_count() == 0
    # the quarantine, reason by reason
    reasons = quarantine[REASON].to_list()
    for expected, count in case.quarantined.items():
        assert sum(expected in r for r in reasons) == count, (expected, reasons)
    assert quarantine.height == sum(case.quarantined.values()), reasons
    assert metadata["duplicates_removed"] == case.duplicates
    for column, value in case.silver.items():
        assert silver.height > 0 and silver[column].to_list() == [value] * silver.height, silver[column]
    # the feed checks: exactly the expected ones fail, blocking or warning as the registry says
    failed = {name: results[name] for name in FEED_CHECKS if name in results and not results[name].passed}
    assert sorted(failed) == sorted(case.failed), {n: r.metadata for n, r in failed.items()}
    for name, how in case.failed.items():
        severity = dg.AssetCheckSeverity.ERROR if how == "blocking" else dg.AssetCheckSeverity.WARN
        assert failed[name].severity == severity and spec.feed.blocking == (how == "blocking")
        # the metadata names the file and says what to do
        assert key in _value(failed[name].metadata["files"])
        assert f"re-materialize bronze/{spec.table} and silver for {DAY}" in _value(failed[name].metadata["action"])
    for path, expected in case.metadata.items():
        name, entry = path.split(".", 1)
        assert expected in str(_value(results[name].metadata[entry])), (path, results[name].metadata)
    # the other checks of the step still judge the rows silver kept
    assert results["unique_key"].passed and results["not_null_keys"].passed


def test_the_corpus_covers_every_class():
    ids = {c.id for c in CORPUS}
    assert len(CORPUS) >= 15 and len(ids) == len(CORPUS)
    failing = {name for c in CORPUS for name in c.failed}
    assert failing == set(FEED_CHECKS)
    assert {"blocking", "warn"} == {how for c in CORPUS for how in c.failed.values()}


# --- gold never crashes on a row silver accepted, and names what it cannot hold ----------------


def test_an_absurd_quantity_is_stopped_in_silver_and_gold_builds(lake):
    for table, records in {
        "pos_transactions": [pos_tx(1), pos_tx(2)],
        "pos_transaction_lines": [pos_line(1), pos_line(2, quantity="2000000000", unit_price="99999.99")],
        "orders": [order_event(1)],
        "order_items": [order_item(1, quantity="10000", unit_price="100000.00")],  # at the bounds: accepted
    }.items():
        _land(lake, Case("gold", table, records))
        clean_partition(lake, table_spec(table), DAY.isoformat())
    silver = {
        t: lake.read_parquet(partition_file("silver", t, DAY.isoformat()))
        for t in ("pos_transactions", "pos_transaction_lines", "orders_history", "order_items")
    }
    orders = silver["orders_history"].with_columns(is_deleted=pl.lit(False))
    lines, _ = gold.sales(silver["pos_transactions"], silver["pos_transaction_lines"], orders, silver["order_items"])
    assert sorted(lines["sale_line_id"]) == ["pos:T1:1", "web:O1:1"]
    assert lines.filter(pl.col("channel") == "online")["gross_amount_usd"].item() == Decimal("1000000000.00")


def test_gold_fails_naming_the_partition_the_dataset_and_the_column(lake):
    from retail_platform.defs.lake.gold import sales

    ts = pl.Datetime("us", "UTC")
    at = datetime(2026, 3, 3, 10, tzinfo=UTC)
    written = {
        "pos_transactions": pl.DataFrame(
            {"transaction_id": ["T1"], "store_id": ["S1"], "customer_id": ["C1"], "transaction_ts": [at]},
            schema_overrides={"transaction_ts": ts},
        ).with_columns(currency=pl.lit("USD")),
        # a row that got by silver: 2e9 x 1e15 does not fit Decimal(18, 2)
        "pos_transaction_lines": pl.DataFrame(
            {"transaction_id": ["T1"], "line_number": [1], "product_id": ["P1"], "quantity": [2_000_000_000]},
            schema_overrides={"line_number": pl.Int32, "quantity": pl.Int32},
        ).with_columns(
            unit_price=pl.lit("1000000000000000.00").cast(pl.Decimal(18, 2)),
            discount_amount=pl.lit(None, dtype=pl.Decimal(18, 2)),
        ),
        "orders": pl.DataFrame(
            schema={
                "order_id": pl.String,
                "customer_id": pl.String,
                "created_at": ts,
                "currency": pl.String,
                "is_deleted": pl.Boolean,
            }
        ),
        "order_items": pl.DataFrame(
            schema={
                "order_id": pl.String,
                "line_number": pl.Int32,
                "product_id": pl.String,
                "quantity": pl.Int32,
                "unit_price": pl.Decimal(18, 2),
            }
        ),
    }
    for table, frame in written.items():
        lake.write_parquet(partition_file("silver", table, DAY.isoformat()), frame)

    result = dg.materialize([sales], partition_key=DAY.isoformat(), resources={"lake": lake}, raise_on_error=False)

    assert not result.success
    message = next(e for e in result.all_events if e.is_step_failure).step_failure_data.error.message
    assert f"gold/sales for partition {DAY}" in message
    assert "sales.gross_amount_usd do not fit" in message and "pos:T1:1" in message
    assert "max_value" in message  # the way out
    assert not lake.exists(partition_file("gold", "sales", DAY.isoformat()))


def test_the_window_moves_with_the_partition():
    # The same late row is accepted in the partition of its own week and refused a month later.
    from retail_platform.transforms.silver import clean

    spec = table_spec("pos_transactions")
    raw = pl.DataFrame([pos_tx(1, transaction_ts="2026-02-28T09:00:00Z")])
    bronze = to_bronze(raw, source_file="f.csv", ingested_at=datetime(2026, 3, 4, tzinfo=UTC)).lazy()
    assert clean(spec, bronze, DAY).rows_out == 1
    later = clean(spec, bronze, DAY + timedelta(days=30))
    assert later.rows_quarantined == 1 and "transaction_ts outside its window" in later.quarantine[REASON].item()
    assert clean(spec, bronze).rows_out == 1  # without a day the windows are not checked


# --- CDC: a day's sequence numbers against yesterday's state ----------------------------------

SEQUENCE_CASES = {
    # id: (yesterday's greatest lsn or None, today's lsns, passes)
    "next_day_of_the_log": (7_490_000_900, [7_500_000_001, 7_500_000_002, 7_490_000_850], True),
    "first_day_not_judged": (None, [7_500_000_001], True),
    "old_export_replayed": (7_500_000_900, [7_490_000_001, 7_490_000_002, 7_490_000_003], False),
    "log_restarted_at_one": (7_500_000_900, [1, 2, 3], False),
    "whole_day_jumped": (7_500_000_900, [10**15 + 1, 10**15 + 2, 10**15 + 3], False),
}


@pytest.mark.parametrize("case", list(SEQUENCE_CASES), ids=list(SEQUENCE_CASES))
def test_sequence_step_of_a_cdc_day(case):
    from retail_platform.quality.checks import sequence_step_result

    previous_max, lsns, passes = SEQUENCE_CASES[case]
    cdc = table_spec("orders").cdc
    previous = None if previous_max is None else pl.DataFrame({"lsn": [previous_max - 5, previous_max]})
    result = sequence_step_result(dg.AssetKey(["silver", "orders"]), cdc, previous, pl.DataFrame({"lsn": lsns}), "D")
    assert result.passed == passes, result.metadata
    if not passes:
        assert "re-materialize from D" in _value(result.metadata["action"])


def test_a_feed_missing_a_required_column_fails_the_run_instead_of_a_green_one(resources, lake):
    # Before: every row quarantined, every check green, gold built without the day's store lines.
    from retail_platform_tests.platform import lake_assets

    spec = table_spec("pos_transaction_lines")
    key = f"{partition_dir('landing', spec.table, DAY, source=spec.source)}/{spec.table}.csv"
    lake.write_bytes(key, file_bytes(spec.table, drop(rows(spec.table, 120), "product_id")))
    selection = dg.AssetSelection.assets(["bronze", spec.table], ["silver", spec.table])

    result = dg.materialize(
        lake_assets, partition_key=DAY.isoformat(), resources=resources, selection=selection, raise_on_error=False
    )

    assert not result.success
    message = next(e for e in result.all_events if e.is_step_failure).step_failure_data.error.message
    assert f"silver/{spec.table} feed_columns on {DAY}" in message
    assert f"silver/{spec.table} feed_quarantine_share on {DAY}" in message
    quarantine = lake.read_parquet(quarantine_file(spec.table, DAY.isoformat()))
    assert quarantine.height == 120 and set(quarantine[REASON]) == {"missing required product_id"}
