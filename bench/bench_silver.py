"""Silver cleaning at scale: the same `clean` (cast, validate, keep latest per key) on a bronze
partition of N rows, with Polars' in-memory engine (what the assets use) and its streaming engine.

    .venv/bin/python bench/bench_silver.py [rows]      # default 2_000_000 pos_transaction_lines rows

Each engine runs in its own process (so peak memory is its own): prints wall time of the clean
step and the process's peak RSS. Speed targets live here, never in tests.
"""

import resource
import subprocess
import sys
import time
from datetime import UTC, date, datetime

import polars as pl

from retail_platform.sources.generator import generate_day
from retail_platform.sources.registry import table_spec
from retail_platform.transforms.bronze import read_raw_text, to_bronze
from retail_platform.transforms.silver import clean, latest_per_key, quarantine_reasons


def bronze_frame(rows: int) -> pl.DataFrame:
    spec = table_spec("pos_transaction_lines")
    volume = max(1000, rows)  # volume ~ POS lines per day
    (landed,) = [f for f in generate_day(date(2026, 11, 4), volume=volume) if f.table == spec.table]
    raw = read_raw_text(landed.content, spec.file_format)
    return to_bronze(raw, source_file=landed.name, ingested_at=datetime(2026, 11, 5, tzinfo=UTC))


def run(frame: pl.DataFrame, engine: str) -> tuple[float, int]:
    if engine == "clean":  # what the silver assets run (transforms.silver.clean)
        t0 = time.perf_counter()
        result = clean(table_spec("pos_transaction_lines"), frame.lazy())
        return time.perf_counter() - t0, result.rows_out
    spec = table_spec("pos_transaction_lines")
    t0 = time.perf_counter()
    checked = quarantine_reasons(spec, frame.lazy())
    valid = checked.filter(pl.col("_quarantine_reason").is_null()).select(
        *(pl.col(f"{n}__value").alias(n) for n in spec.column_names), "_source_file", "_row_number"
    )
    out = latest_per_key(valid, spec.primary_key, spec.ordering_column).collect(engine=engine)
    return time.perf_counter() - t0, out.height


BRONZE = "/tmp/bench_silver_bronze.parquet"


def measure(rows: int, engine: str) -> None:
    if engine == "prepare":  # generation has its own process: its memory must not count
        bronze_frame(rows).write_parquet(BRONZE)
        return
    frame = pl.read_parquet(BRONZE)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    seconds, kept = run(frame, engine)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        f"{engine:>10}: {seconds:6.2f} s  {frame.height / seconds:>12,.0f} rows/s  kept {kept:,}  "
        f"peak RSS {peak / 1024:,.0f} MB (+{(peak - before) / 1024:,.0f} MB during the clean)"
    )


def main() -> None:
    if len(sys.argv) > 2:
        measure(int(sys.argv[1]), sys.argv[2])
        return
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 2_000_000
    for engine in ("prepare", "in-memory", "streaming", "clean"):
        subprocess.run([sys.executable, __file__, str(rows), engine], check=True)


if __name__ == "__main__":
    main()
