"""The benchmark suite (`bench/`), at sizes where speed means nothing: its silver section runs end
to end, its DuckDB and pandas versions of the silver rules give exactly what `clean` gives, and
the equality check it relies on does catch a difference. No speed is asserted here, ever."""

import importlib.util
import io
import json
import shutil
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pytest

from retail_platform.lake.storage import parquet_bytes
from retail_platform.sources.generator import generate_day
from retail_platform.sources.registry import TABLES, table_spec
from retail_platform.transforms.bronze import read_raw_text, to_bronze
from retail_platform.transforms.silver import REASON, clean

REPO_ROOT = Path(__file__).resolve().parents[1]
BENCH = REPO_ROOT / "bench"
SMOKE_ROWS = 20_000


def bench_module(name: str):
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


variants = bench_module("silver_variants")


def test_the_silver_bench_runs_at_a_tiny_size_and_every_variant_agrees(tmp_path):
    out = tmp_path / "result.json"
    args = ["--only", "silver", "--sizes", "20k", "--repeat", "1", "--out", str(out), "--work-dir", str(tmp_path)]
    done = subprocess.run(
        [sys.executable, str(BENCH / "run.py"), *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, f"bench/run.py failed:\n{done.stdout}\n{done.stderr}"

    result = json.loads(out.read_text())
    silver = result["silver_20k"]
    assert result["sections"]["silver"] == "ok"
    assert silver["variants_equal"] is True
    for key in (
        "polars_s",
        "step_s",
        "duckdb_s",
        "pandas_s",
        "floor_s",
        "polars_rss_mb",
        "step_rss_mb",
        "duckdb_rss_mb",
    ):
        assert silver[key] > 0, key
    # Every bronze row is in silver, in quarantine or a removed duplicate, and the rules had work.
    assert silver["rows"] == SMOKE_ROWS
    assert silver["silver_rows"] + silver["quarantine_rows"] + silver["duplicates_removed"] == SMOKE_ROWS
    assert silver["quarantine_rows"] > 0 and silver["duplicates_removed"] > 0
    assert silver["step_checks_failed"] == []
    assert "| silver 20k: asset step |" in done.stdout
    assert out.with_suffix(".png").read_bytes().startswith(b"\x89PNG")


def test_sizes_above_the_generated_base_are_copies_with_distinct_keys(tmp_path, monkeypatch):
    monkeypatch.setattr(variants, "BASE_ROWS", 2_000)
    path = tmp_path / "bronze.parquet"
    variants.prepare(5_000, path)
    bronze, base = pl.read_parquet(path), pl.read_parquet(tmp_path / f"bronze_{variants.TABLE}_2000.parquet")
    assert bronze.height == 5_000 and base.height == 2_000
    assert bronze.select("_source_file", "_row_number").is_unique().all()
    # each copy has the base's keys under its own suffix: as many distinct keys per row as the base
    keys = ["transaction_id", "line_number"]
    assert bronze.head(4_000).select(keys).n_unique() == 2 * base.select(keys).n_unique()
    assert (
        bronze.slice(2_000, 2_000)
        .drop("transaction_id", "_source_file")
        .equals(base.drop("transaction_id", "_source_file"))
    )


# --- the same rules, three engines ------------------------------------------------------------------


def tiny_day() -> dict[str, pl.DataFrame]:
    """Bronze of every table from a small generated day (every defect kind is in it)."""
    bronze = {}
    for landed in generate_day(date(2026, 11, 4), volume=300):
        spec = table_spec(landed.table)
        raw = read_raw_text(landed.content, spec.file_format)
        bronze[landed.table] = to_bronze(raw, source_file=landed.name, ingested_at=datetime(2026, 11, 5, tzinfo=UTC))
    return bronze


def one_odd_value_per_row(base: dict[str, str | None], odd: list[tuple[str, str | None]], key: str) -> pl.DataFrame:
    """A valid row per odd value, that value in its column; keys kept distinct."""
    rows = [{**base, key: f"K{i}", column: value} for i, (column, value) in enumerate(odd)]
    return pl.DataFrame(rows, schema=dict.fromkeys(base, pl.String))


LINE = {
    "transaction_id": "T",
    "line_number": "1",
    "product_id": "P1",
    "quantity": "2",
    "unit_price": "9.99",
    "discount_amount": None,
    "updated_at": "2026-11-04T10:00:00Z",
}
LINE_EDGES = [
    ("product_id", "\u00a0P1\u3000"),
    ("product_id", " \t "),
    ("product_id", None),
    *[
        ("quantity", q)
        for q in ["+5", "007", "-0", "2147483647", "2147483648", "-2147483649", "5.0", "1e3", "1_000", "٣", "N/A"]
    ],
    *[
        ("unit_price", p)
        for p in ["12.345", "+12.5", "-0.00", "0012.30", "12.", ".5", "99999999999999999", "9999999999999999.99", "-1"]
    ],
    ("discount_amount", "-0.01"),
    ("discount_amount", ""),
    *[
        ("updated_at", t)
        for t in [
            "2026-11-04 17:21:13",
            "2026-11-04T17:21:13.5Z",
            "2026-11-04T17:21:13.123456789Z",
            "2026-11-04T17:21:13+01:00",
            "2026-11-04T17:21:13+0100",
            "2026-11-04T17:21:13.25-02:30",
            "2026-02-30T10:00:00Z",
            "2026-11-04T24:00:00Z",
            "2026-11-04T17:21",
            "2026-11-04",
            "2026-11-04t17:21:13z",
            "31/02/2026 25:61",
            "2026-11-04T17:21:13+24:00",
        ]
    ],
]
# One key four times: the latest updated_at wins; the same instant written three ways ties, and
# the later row wins the tie.
LINE_VERSIONS = pl.DataFrame(
    {
        **{k: [v] * 4 for k, v in LINE.items()},
        "product_id": ["a", "b", "c", "d"],
        "updated_at": [
            "2026-11-04T18:21:13+01:00",
            "2026-11-04T17:21:13Z",
            "2026-11-04 17:21:13",
            "2026-11-04T17:21:12Z",
        ],
    }
)
PRODUCT = {
    "product_id": "p",
    "sku": "ab-1",
    "name": "Name",
    "category": "c",
    "unit_price": "1.00",
    "currency": "USD",
    "is_active": "true",
    "updated_at": "2026-11-04T10:00:00Z",
}
PRODUCT_EDGES = [
    ("sku", " ab-2"),
    ("currency", " usd"),
    ("currency", "Eur "),
    ("currency", "XXX"),
    *[("is_active", b) for b in ["TRUE", "yes", "0", " N ", "maybe", None]],
]
INVENTORY = {
    "snapshot_date": "2026-11-04",
    "store_id": "s",
    "product_id": "p",
    "on_hand": "1",
    "updated_at": "2026-11-04T10:00:00Z",
}  # on_order and reorder_point left out: a declared column missing from the file is all null
INVENTORY_EDGES = [("snapshot_date", d) for d in ["2026-02-30", "04/11/2026", None]] + [("on_hand", "-1")]


def edge_cases() -> list[tuple[str, pl.DataFrame]]:
    return [
        ("pos_transaction_lines", one_odd_value_per_row(LINE, LINE_EDGES, "transaction_id")),
        ("pos_transaction_lines", LINE_VERSIONS),
        ("products", one_odd_value_per_row(PRODUCT, PRODUCT_EDGES, "product_id")),
        ("inventory_snapshots", one_odd_value_per_row(INVENTORY, INVENTORY_EDGES, "product_id")),
    ]


@pytest.fixture(scope="module")
def bronze_cases() -> list[tuple[str, pl.DataFrame]]:
    edges = [
        (table, to_bronze(raw, source_file=f"edge_{i}.csv", ingested_at=datetime(2026, 11, 5, tzinfo=UTC)))
        for i, (table, raw) in enumerate(edge_cases())
    ]
    return [*tiny_day().items(), *edges]


@pytest.mark.parametrize("engine", ["duckdb", "pandas"])
def test_the_sql_and_pandas_rules_give_what_clean_gives_on_every_table(engine, bronze_cases, tmp_path):
    clean_with = variants.duckdb_clean if engine == "duckdb" else variants.pandas_clean
    assert {t.table for t in TABLES} <= {table for table, _ in bronze_cases}
    for i, (table, bronze) in enumerate(bronze_cases):
        spec = table_spec(table)
        expected = clean(spec, bronze.lazy())
        path, silver, quarantine = (str(tmp_path / f"{i}_{name}.parquet") for name in ("bronze", "s", "q"))
        bronze.write_parquet(path)
        clean_with(variants.rules_from_spec(spec), path, silver, quarantine)
        variants.assert_same_outputs(
            expected.silver,
            expected.quarantine,
            pl.read_parquet(silver),
            pl.read_parquet(quarantine),
            keys=list(spec.primary_key),
            variant=f"{engine} on {table} (case {i})",
        )
    # The edge cases did reach both sides of every rule.
    reasons = " ".join(r for t, b in bronze_cases[-4:] for r in clean(table_spec(t), b.lazy()).quarantine[REASON])
    for reason in ("missing required", "invalid int32", "invalid decimal", "invalid timestamp", "invalid boolean"):
        assert reason in reasons
    assert "unexpected currency" in reasons and "below 0" in reasons and "invalid date" in reasons


# --- the equality check can fail -------------------------------------------------------------------


@pytest.fixture(scope="module")
def reference():
    spec = table_spec("pos_transaction_lines")
    raw = one_odd_value_per_row(LINE, LINE_EDGES, "transaction_id")
    result = clean(spec, to_bronze(raw, source_file="f.csv", ingested_at=datetime(2026, 11, 5, tzinfo=UTC)).lazy())
    assert result.silver.height > 3 and result.quarantine.height > 3
    return result.silver, result.quarantine


def one_value_changed(frame: pl.DataFrame, column: str, value) -> pl.DataFrame:
    changed = frame.with_row_index("_i").with_columns(
        pl.when(pl.col("_i") == 2)
        .then(pl.lit(value, dtype=frame.schema[column]))
        .otherwise(pl.col(column))
        .alias(column)
    )
    return changed.drop("_i")


@pytest.mark.parametrize(
    "change",
    [
        "one silver value",
        "one silver timestamp",
        "one reason",
        "one quarantined row missing",
        "one silver row missing",
        "a silver dtype",
    ],
)
def test_the_equality_check_catches_a_difference(reference, change):
    silver, quarantine = reference
    if change == "one silver value":
        silver = one_value_changed(silver, "quantity", 99)
    elif change == "one silver timestamp":
        silver = one_value_changed(silver, "updated_at", datetime(2026, 11, 4, 10, 0, 1, tzinfo=UTC))
    elif change == "one reason":
        quarantine = one_value_changed(quarantine, REASON, "missing required product_id; something else")
    elif change == "one quarantined row missing":
        quarantine = quarantine.slice(1)
    elif change == "one silver row missing":
        silver = silver.slice(1)
    elif change == "a silver dtype":
        silver = silver.with_columns(pl.col("quantity").cast(pl.Int64))
    with pytest.raises(variants.VariantMismatch):
        variants.assert_same_outputs(
            *reference, silver, quarantine, keys=["transaction_id", "line_number"], variant="x"
        )
    variants.assert_same_outputs(*reference, *reference, keys=["transaction_id", "line_number"], variant="same")


def test_the_bench_writes_parquet_as_the_lake_does():
    frame = pl.DataFrame({"a": ["x", None], "b": [1, 2]})
    written = io.BytesIO()
    variants.write_parquet(frame, written)
    assert written.getvalue() == parquet_bytes(frame), "bench/silver_variants.write_parquet differs from the lake's"


# --- a day larger than memory, under a memory cap -----------------------------------------------------


def test_the_capped_silver_bench_cleans_a_day_in_buckets_under_a_memory_cap(tmp_path):
    if shutil.which("prlimit") is None:
        pytest.skip("no prlimit (util-linux) on this machine: the capped silver section cannot run")
    out = tmp_path / "result.json"
    rows, bucket_rows = 60_000, 20_000
    args = [
        *("--only", "silver_capped", "--capped-rows", str(rows), "--bucket-rows", str(bucket_rows)),
        *("--memory-cap-gb", "3", "--out", str(out), "--work-dir", str(tmp_path)),
    ]
    done = subprocess.run(
        [sys.executable, str(BENCH / "run.py"), *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, f"bench/run.py failed:\n{done.stdout}\n{done.stderr}"

    result = json.loads(out.read_text())
    capped = result["silver_capped"]
    assert result["sections"]["silver_capped"] == "ok"
    assert capped["rows"] == rows and capped["bucket_rows"] == bucket_rows and capped["cap_gb"] == 3
    assert capped["bucketed_under_cap"] == "passed"
    assert capped["buckets"] >= 3
    assert capped["rows_in"] == rows
    assert capped["rows_in"] == capped["rows_out"] + capped["duplicates_removed"] + capped["rows_quarantined"]
    assert capped["rows_quarantined"] > 0 and capped["duplicates_removed"] > 0
    assert capped["checks"] > 0 and capped["checks_failed"] == []
    assert capped["wall_s"] > 0 and capped["peak_rss_mb"] > 0
    # 60k rows fit in 3 GiB: the in-memory run is recorded as passed (at 30M it fails)
    assert capped["in_memory_under_cap"]["passed"] is True
    assert capped["in_memory_under_cap"]["buckets"] == 1
    assert capped["in_memory_need_mb_estimate"] is None  # the silver section did not run
    assert "| silver 60K under a 3 GB cap (buckets) |" in done.stdout


def test_a_day_replicated_by_the_streaming_sink_is_the_same_as_replicated_in_memory(tmp_path, monkeypatch):
    monkeypatch.setattr(variants, "BASE_ROWS", 2_000)
    streamed, in_memory = tmp_path / "streamed" / "bronze.parquet", tmp_path / "bronze.parquet"
    variants.prepare(5_000, in_memory)
    streamed.parent.mkdir()
    shutil.copyfile(
        tmp_path / f"bronze_{variants.TABLE}_2000.parquet", streamed.with_name(f"bronze_{variants.TABLE}_2000.parquet")
    )
    variants.prepare(5_000, streamed, streamed=True)
    assert pl.read_parquet(streamed).equals(pl.read_parquet(in_memory))
