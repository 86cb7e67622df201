"""Benchmark of the landing-file generator: one day, rows/s and peak memory, in a fresh process.

Run: python bench/bench_generator.py [--volume N] [--day YYYY-MM-DD] [--seed S] [--out-dir DIR] [--in-memory]

The day is generated in a child process (so the peak RSS is the generator's own), streamed to
files chunk by chunk with ``write_day`` (into ``--out-dir``, or a temporary folder removed
afterwards), or kept in memory with ``generate_day`` (``--in-memory``). Rows are the data rows of
all files; the time is the wall time of generating and writing them (counting rows is not timed).
From Python: ``measure(volume)`` returns the same figures as a dict.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

DEFAULT_DAY = date(2026, 11, 1)  # a Sunday in the peak season: one of the busiest days


def _data_rows(file_format: str, newlines: int) -> int:
    if file_format == "csv":
        return max(newlines - 1, 0)  # header
    if file_format == "json":
        return max(newlines - 2, 0)  # "[" and "]" lines; one object per line in between
    return newlines


def _count_newlines(path: Path) -> int:
    count = 0
    with path.open("rb") as f:
        while block := f.read(1 << 24):
            count += block.count(b"\n")
    return count


def _run(volume: int, day: date, seed: int, out_dir: str | None, in_memory: bool) -> dict:
    """Generate one day in this process; the figures as a dict (see :func:`measure`)."""
    from retail_platform.sources import generator, registry

    with tempfile.TemporaryDirectory(prefix="bench_generator_") as scratch:
        directory = Path(out_dir or scratch)
        t0 = time.perf_counter()
        if in_memory:
            files = generator.generate_day(day, seed=seed, volume=volume)
            seconds = time.perf_counter() - t0
            sizes = {f.table: (f.content.count(b"\n"), len(f.content)) for f in files}
        else:
            paths = generator.write_day(day, directory, seed=seed, volume=volume)
            seconds = time.perf_counter() - t0
            sizes = {table: (_count_newlines(path), path.stat().st_size) for table, path in paths.items()}
    tables = {
        table: {"rows": _data_rows(registry.table_spec(table).file_format, newlines), "bytes": size}
        for table, (newlines, size) in sizes.items()
    }
    rows = sum(t["rows"] for t in tables.values())
    return {
        "volume": volume,
        "day": day.isoformat(),
        "seed": seed,
        "mode": "in_memory" if in_memory else "streamed",
        "rows": rows,
        "bytes": sum(t["bytes"] for t in tables.values()),
        "seconds": seconds,
        "rows_per_s": rows / seconds,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,  # KiB on Linux
        "tables": tables,
    }


def measure(
    volume: int,
    *,
    day: date = DEFAULT_DAY,
    seed: int | None = None,
    out_dir: str | None = None,
    in_memory: bool = False,
) -> dict:
    """Generate one day in a fresh child process: {"rows", "seconds", "rows_per_s", "peak_rss_mb", ...}.

    ``peak_rss_mb`` is the child's own peak resident memory (imports included).
    """
    command = [sys.executable, str(Path(__file__).resolve()), "--child", "--volume", str(volume), "--day", str(day)]
    if seed is not None:
        command += ["--seed", str(seed)]
    if out_dir is not None:
        command += ["--out-dir", str(out_dir)]
    if in_memory:
        command.append("--in-memory")
    child = subprocess.run(command, capture_output=True, text=True, check=False, cwd=REPO)
    if child.returncode != 0:
        raise RuntimeError(f"the generator benchmark child failed ({child.returncode}):\n{child.stderr}")
    return json.loads(child.stdout)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--volume", type=int, default=1_000_000, help="about the POS lines of an average day")
    ap.add_argument("--day", type=date.fromisoformat, default=DEFAULT_DAY)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--out-dir", default=None, help="keep the files here (default: a temporary folder)")
    ap.add_argument("--in-memory", action="store_true", help="generate_day (bytes in memory) instead of write_day")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.child:
        from retail_platform.sources.generator import DEFAULT_SEED

        seed = DEFAULT_SEED if args.seed is None else args.seed
        print(json.dumps(_run(args.volume, args.day, seed, args.out_dir, args.in_memory)))
        return

    result = measure(args.volume, day=args.day, seed=args.seed, out_dir=args.out_dir, in_memory=args.in_memory)
    for table, figures in result["tables"].items():
        print(f"{table:25s} {figures['rows']:>12,d} rows {figures['bytes'] / 1e6:>10.1f} MB")
    print(f"volume={result['volume']:,} day={result['day']} seed={result['seed']} mode={result['mode']}")
    print(f"{result['rows']:,} rows, {result['bytes'] / 1e6:,.1f} MB in {result['seconds']:.2f} s")
    print(f"{result['rows_per_s']:,.0f} rows/s, peak RSS {result['peak_rss_mb']:,.0f} MB")


if __name__ == "__main__":
    main()
