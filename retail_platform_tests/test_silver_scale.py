"""The silver step's paths for large days: the cheap/full validation split, dedup of only the
repeated keys, and a partition cleaned in key-hash buckets, each giving the one-pass result."""

import shutil

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from retail_platform.defs.lake.silver import clean_partition
from retail_platform.lake.buckets import merged_check_results
from retail_platform.lake.paths import partition_file, quarantine_file
from retail_platform.lake.storage import LocalLake
from retail_platform.sources.generator import generate_day
from retail_platform.transforms.bronze import read_raw_text, to_bronze
from retail_platform.transforms.silver import duplicate_keys, quarantine_reasons
from retail_platform_tests.test_transforms_silver import LINES

DAY = "2026-11-04"


@pytest.fixture(scope="module")
def bronze_lines(tmp_path_factory):
    """One generated day of POS lines (with its duplicates, re-sent rows and bad values) as bronze."""
    from datetime import UTC, date, datetime

    (landed,) = [f for f in generate_day(date(2026, 11, 4), volume=3000) if f.table == LINES.table]
    raw = read_raw_text(landed.content, "csv")
    frame = to_bronze(raw, source_file=landed.name, ingested_at=datetime(2026, 11, 5, tzinfo=UTC))
    path = tmp_path_factory.mktemp("bronze") / "part-0.parquet"
    frame.write_parquet(path)
    return path


def cleaned(root, bronze_path, rows_per_bucket: int):
    lake = LocalLake(root=str(root))
    target = root / partition_file("bronze", LINES.table, DAY)
    target.parent.mkdir(parents=True)
    shutil.copy(bronze_path, target)
    metadata, checks = clean_partition(lake, LINES, DAY, rows_per_bucket=rows_per_bucket)
    silver = lake.read_parquet(partition_file("silver", LINES.table, DAY))
    quarantine = lake.read_parquet(quarantine_file(LINES.table, DAY))
    return metadata, checks, silver, quarantine


def test_a_day_cleaned_in_buckets_equals_the_day_cleaned_at_once(bronze_lines, tmp_path):
    whole = cleaned(tmp_path / "whole", bronze_lines, rows_per_bucket=10**9)
    buckets = cleaned(tmp_path / "buckets", bronze_lines, rows_per_bucket=500)
    assert buckets[0]["buckets"] >= 6 and "buckets" not in whole[0]
    lineage = ["_source_file", "_row_number"]
    for one, other in zip(whole[2:], buckets[2:], strict=True):
        assert one.height > 0
        assert_frame_equal(one.sort(lineage), other.sort(lineage))
    for name in ("rows_in", "rows_out", "duplicates_removed", "rows_quarantined", "dagster/row_count"):
        assert whole[0][name] == buckets[0][name], name
    assert whole[0]["duplicates_removed"] > 0 and whole[0]["rows_quarantined"] > 0
    assert [(c.check_name, c.passed) for c in whole[1]] == [(c.check_name, c.passed) for c in buckets[1]]
    assert all(c.passed for c in buckets[1])
    conservation = {c.check_name: c for c in buckets[1]}["row_conservation"].metadata
    assert conservation["bronze_rows"].value == pl.read_parquet(bronze_lines).height


def test_merged_bucket_checks_fail_when_one_bucket_fails_and_add_up_counts():
    import dagster as dg

    def result(passed: bool, duplicates: int, values: dict) -> list[dg.AssetCheckResult]:
        metadata = {"duplicate_key_rows": duplicates, "values": dg.MetadataValue.json(values)}
        return [dg.AssetCheckResult(check_name="unique_key", asset_key=key, passed=passed, metadata=metadata)]

    key = dg.AssetKey(["silver", "x"])
    buckets = [result(True, 0, {"a": {"x": 2, "y": 1}}), result(False, 3, {}), result(True, 1, {"a": {"x": 1}})]
    (merged,) = merged_check_results(buckets)
    assert not merged.passed
    assert merged.metadata["duplicate_key_rows"].value == 4
    assert merged.metadata["values"].value == {"a": {"x": 3, "y": 1}}
    assert merged.metadata["buckets"].value == 3


@pytest.mark.parametrize("ordered", [True, False])
def test_duplicate_keys_counts_every_repeat_whatever_the_order(ordered):
    frame = pl.DataFrame({"k": ["a", "b", "a", "c", "a", "b"], "n": [1, 1, 1, 2, 1, 1]})
    frame = frame.sort("k", "n") if ordered else frame
    assert duplicate_keys(frame, ["k", "n"]) == frame.height - frame.unique().height == 3
    assert duplicate_keys(frame.unique(maintain_order=True), ["k", "n"]) == 0


def test_the_cheap_path_sends_every_odd_timestamp_through_the_full_rules():
    # Valid only by the full path's formats (space, offset, naive), or invalid by any.
    stamps = ["2026-11-01T10:00:00Z", "2026-11-01 10:00:00", "2026-11-01T10:00:00+02:00", "2026-11-01T10:00:00", "x"]
    from retail_platform.transforms.silver import clean
    from retail_platform_tests.test_transforms_silver import bronze, line

    result = clean(LINES, bronze([line(tx=f"T{i}", updated=s) for i, s in enumerate(stamps)]))
    full = quarantine_reasons(LINES, bronze([line(tx=f"T{i}", updated=s) for i, s in enumerate(stamps)])).collect()
    assert result.silver["updated_at"].to_list() == full["updated_at__value"].drop_nulls().to_list()
    assert result.silver.height == 4 and result.quarantine["_quarantine_reason"].to_list() == [
        "invalid timestamp for updated_at: 'x'"
    ]


def test_versions_of_a_key_written_differently_share_a_bucket(tmp_path):
    # " 1", "01" and "+1" are line 1 once typed: bucketing on the raw text would keep one per bucket.
    from datetime import UTC, datetime

    from retail_platform_tests.test_transforms_silver import line

    rows = [line(n=n, qty=str(q), updated=f"2026-11-01T10:0{q}:00Z") for q, n in enumerate(["1", " 1", "01", "+1"])]
    frame = pl.DataFrame(rows, schema=dict.fromkeys(rows[0], pl.String)).with_columns(
        pl.lit("landing/pos/f.csv").alias("_source_file"),
        pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("_row_number"),
        pl.lit(datetime(2026, 11, 2, tzinfo=UTC)).alias("_ingested_at"),
    )
    path = tmp_path / "bronze.parquet"
    frame.write_parquet(path)
    metadata, checks, silver, _ = cleaned(tmp_path / "lake", path, rows_per_bucket=1)
    assert metadata["buckets"] == 4 and all(c.passed for c in checks)
    assert silver.select("line_number", "quantity").rows() == [(1, 3)]


def test_both_paths_agree_on_the_window_the_bounds_and_the_null_tokens():
    # The edges of the new rules, in every timestamp format: the cheap path's verdict and values
    # must be the full path's on every row (the cheap path parses the canonical format only).
    from datetime import date

    from retail_platform.transforms.silver import Partition, clean
    from retail_platform_tests.test_transforms_silver import bronze, line

    day = date(2026, 11, 1)
    odd = [
        {"updated": "2026-11-02T06:00:00Z"},  # the last instant of the window: valid
        {"updated": "2026-11-02 06:00:01"},  # a second past it, naive: refused
        {"updated": "2026-11-02T08:00:01+02:00"},  # the same instant with an offset: refused
        {"updated": "2026-11-02T07:00:00+02:00"},  # 05:00Z: valid by the full path only
        {"updated": "1969-12-31T23:59:59Z"},  # before the earliest: refused
        {"qty": "10000"},  # at the bound: valid
        {"qty": "10001"},  # above it: refused
        {"price": "100000.00"},
        {"price": "100000.01"},
        {"product_id": "NULL"},  # a null token in a required text column: refused as missing
        {"product_id": " n/a "},
        {"qty": "None"},  # a null token in a number: refused as not a number
    ]
    rows = [line(tx=f"T{i}", **{k: v for k, v in o.items() if k != "product_id"}) for i, o in enumerate(odd)]
    for row, o in zip(rows, odd, strict=True):
        row["product_id"] = o.get("product_id", row["product_id"])
    result = clean(LINES, bronze(rows), day)
    full = quarantine_reasons(LINES, bronze(rows), Partition(day=day)).collect()
    valid = full.filter(pl.col("_quarantine_reason").is_null())
    assert (
        result.silver["transaction_id"].to_list()
        == valid["transaction_id__value"].to_list()
        == [
            "T0",
            "T3",
            "T5",
            "T7",
        ]
    )
    assert result.silver["updated_at"].to_list() == valid["updated_at__value"].to_list()
    assert sorted(result.quarantine["_quarantine_reason"]) == sorted(full["_quarantine_reason"].drop_nulls())
    assert result.rows_quarantined == len(odd) - 4
