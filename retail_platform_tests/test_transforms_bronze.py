from datetime import UTC, datetime

import polars as pl
import pytest

from retail_platform.transforms.bronze import MalformedFileError, concat_bronze, read_raw_text, to_bronze

LANDED = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)


def test_csv_values_stay_text_exactly_as_landed():
    raw = read_raw_text(b"id,qty,price\n001, 2 ,12.50\n002,N/A,\n", "csv")
    assert raw.schema == {"id": pl.String, "qty": pl.String, "price": pl.String}
    assert raw.rows() == [("001", " 2 ", "12.50"), ("002", "N/A", None)]


def test_jsonl_keeps_columns_that_appear_late_in_the_file():
    lines = [b'{"id": 1, "amount": 2.5}'] * 3 + [b'{"id": "x", "amount": "abc", "loyalty_points": 7}']
    raw = read_raw_text(b"\n".join(lines), "jsonl")
    assert raw.columns == ["id", "amount", "loyalty_points"]
    assert raw["id"].to_list() == ["1", "1", "1", "x"]
    assert raw["loyalty_points"].to_list() == [None, None, None, "7"]


def test_json_array_document():
    raw = read_raw_text(b'[{"store_id": "S001", "square_meters": 1200}, {"store_id": "S002"}]', "json")
    assert raw.rows() == [("S001", "1200"), ("S002", None)]


def test_json_that_is_not_records_is_a_file_error():
    with pytest.raises(MalformedFileError):
        read_raw_text(b"[1, 2, 3]", "json")


def test_lineage_numbers_rows_per_file_and_stacks_drifting_schemas():
    a = to_bronze(pl.DataFrame({"id": ["1", "2"]}), source_file="landing/x/a.csv", ingested_at=LANDED)
    b = to_bronze(pl.DataFrame({"id": ["3"], "extra": ["e"]}), source_file="landing/x/b.csv", ingested_at=LANDED)
    both = concat_bronze([a, b])
    assert both.select("_source_file", "_row_number", "extra").rows() == [
        ("landing/x/a.csv", 1, None),
        ("landing/x/a.csv", 2, None),
        ("landing/x/b.csv", 1, "e"),
    ]
    assert both["_ingested_at"].to_list() == [LANDED] * 3
