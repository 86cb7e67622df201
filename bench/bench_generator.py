"""Benchmark of the landing-file generator: one day at volume 1_000_000.

Run: python bench/bench_generator.py [--volume N] [--day YYYY-MM-DD] [--seed S]
Prints per-table row counts, the wall time of ``generate_day`` and the rows/s figure.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from retail_platform.sources import generator, registry


def data_rows(f: generator.LandingFile) -> int:
    lines = f.content.count(b"\n")
    fmt = registry.table_spec(f.table).file_format
    if fmt == "csv":
        return max(lines - 1, 0)  # header
    if fmt == "json":
        return max(lines - 2, 0)  # "[" and "]" lines; one object per line in between
    return lines


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--volume", type=int, default=1_000_000)
    ap.add_argument("--day", type=date.fromisoformat, default=date(2026, 11, 1))
    ap.add_argument("--seed", type=int, default=generator.DEFAULT_SEED)
    args = ap.parse_args()

    t0 = time.perf_counter()
    files = generator.generate_day(args.day, seed=args.seed, volume=args.volume)
    elapsed = time.perf_counter() - t0

    total_rows = total_bytes = 0
    for f in files:
        n = data_rows(f)
        total_rows += n
        total_bytes += len(f.content)
        print(f"{f.name:45s} {n:>12,d} rows {len(f.content) / 1e6:>10.1f} MB")
    print(f"volume={args.volume:,} day={args.day} seed={args.seed}")
    print(f"{total_rows:,} rows, {total_bytes / 1e6:,.1f} MB in {elapsed:.2f} s")
    print(f"{total_rows / elapsed:,.0f} rows/s")


if __name__ == "__main__":
    main()
