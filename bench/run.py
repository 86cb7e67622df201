"""The benchmark suite: one command, every figure in one JSON file and one chart.

    .venv/bin/python bench/run.py --out docs/bench/result.json            # everything (~30-40 min on 2 cores)
    .venv/bin/python bench/run.py --only silver --sizes 2m --repeat 1     # one section, small

Sections (``--only``, comma-separated; default all):

* ``silver``: one day of ``pos_transaction_lines`` (the project's generator and bronze parser; sizes
  above 2M rows are the 2M file replicated with distinct keys) cleaned into silver + quarantine by
  five variants, each in a fresh process: the project's asset step, its ``clean``, DuckDB SQL and
  pandas versions of the same rules, and the Parquet floor (read + write). The outputs are asserted
  equal to ``clean``'s; a difference fails the bench.
* ``silver_capped``: a day larger than memory (``--capped-rows``, default 30M: the 2M bronze
  replicated with distinct keys, by a streaming sink) cleaned by the asset step in key-hash buckets
  (``--bucket-rows``) in a fresh process under an address-space cap (``prlimit --as``,
  ``--memory-cap-gb``, default 4 GiB), then the same step forced in memory under the same cap, which
  is expected to fail (its exit and last error line are recorded, not a bench failure). The
  bucketed run's counts must add up and its checks pass. Needs ``prlimit`` (util-linux).
* ``generator``: ``bench_generator.measure``: rows/s and peak RSS of one day's landing files.
* ``defs``: ``bench_defs.measure``: definitions load next to the ``import dagster, dagster_dbt`` floor.
* ``snowflake``: ``bench_snowflake.measure``: the warehouse load's rows/s on the fakesnow emulator.
* ``backfill_30d``: ``bench_run.measure``: ``python -m retail_platform run`` over 30 days (wall,
  runs) and, inside it, the dbt step's wall time over the time dbt reports for its work.
* ``ui_backfill_3d``: ``bench_ui_backfill.measure``: `dagster dev` and a backfill of every asset
  over 3 days through the UI's GraphQL API (wall from launch to completed, runs).

Every measured thing runs in a fresh process; ``--repeat`` times (default 5) with the median as the
figure and the minimum beside it; the two end-to-end sections, the Snowflake load and the capped
silver run ``--repeat-e2e`` times (default 1: they take minutes). Peak RSS is the measured process's
own high water mark (Linux ``VmHWM``), the largest over the repetitions.
Targets are printed as met / missed, never asserted: a slow figure is a finding, not a failure.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO_ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

import silver_variants  # noqa: E402  (bench/ is not a package)

SECTIONS = ("silver", "silver_capped", "generator", "defs", "snowflake", "backfill_30d", "ui_backfill_3d")
VARIANTS = silver_variants.VARIANTS
# Targets on the reference machine (2 cores); the silver ones are set for 10M rows.
TARGET_STEP_OVER_DUCKDB = 0.8
TARGET_STEP_OVER_FLOOR = 2.5
TARGET_DEFS_OVER_FLOOR_S = 0.5
TARGET_DBT_OVERHEAD = 1.5
TARGET_GENERATOR_ROWS_PER_S = 2_000_000
TARGET_GENERATOR_MB_PER_10M_ROWS = 1024
# The capped silver run. An address-space cap counts reserved, untouched address space too, which
# a container's memory limit (resident memory) does not: glibc reserves 64 MB per thread that
# allocates (up to 8 per core) and pyarrow's mimalloc pool 1 GiB at once. These two allocator
# settings, common in containers, make the cap hold the process to what it uses; measured on 30M
# rows they take ~1.5-2 GB off its peak virtual memory. Recorded in the JSON.
# Polars' jemalloc keeps freed address space mapped by default (retain): harmless for RSS, but an
# address-space cap counts it, and each bucket's scan would add ~200 MB of it.
CAPPED_ENV = {"MALLOC_ARENA_MAX": "2", "ARROW_DEFAULT_MEMORY_POOL": "system", "_RJEM_MALLOC_CONF": "retain:false"}
DEFAULT_CAPPED_ROWS = 30_000_000
DEFAULT_MEMORY_CAP_GB = 4.0
DEFAULT_BUCKET_ROWS = 2_000_000


class BenchError(RuntimeError):
    """A section could not produce its figures (a variant disagreed, a run failed)."""


# --- helpers ---------------------------------------------------------------------------------------


def parse_size(text: str) -> int:
    text = text.strip().lower().replace("_", "")
    scale = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    return int(float(text[:-1] if scale > 1 else text) * scale)


def size_label(rows: int) -> str:
    for unit, scale in (("m", 1_000_000), ("k", 1_000)):
        if rows >= scale and rows % scale == 0:
            return f"{rows // scale}{unit}"
    return str(rows)


def summary(values: list[float], digits: int = 3) -> dict:
    return {
        "min": round(min(values), digits),
        "median": round(statistics.median(values), digits),
        "max": round(max(values), digits),
        "runs": [round(v, digits) for v in values],
    }


def run_child(args: list[str], what: str) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, *args], cwd=REPO_ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BenchError(f"{what} failed (exit {done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-6000:]}")
    return done


def measure_in_child(module: str, call: str, what: str) -> dict:
    """``module.<call>`` in a fresh interpreter; its dict plus that process's peak RSS."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as out:
        path = out.name
    code = (
        "import json, sys\n"
        f"sys.path[:0] = [{str(BENCH)!r}, {str(REPO_ROOT)!r}]\n"
        f"import silver_variants, {module}\n"
        f"result = {module}.{call}\n"
        "result['process_rss_mb'] = round(silver_variants.peak_rss_mb(), 1)\n"
        f"open({path!r}, 'w').write(json.dumps(result))\n"
    )
    try:
        run_child(["-c", code], what)
        return json.loads(Path(path).read_text())
    finally:
        Path(path).unlink(missing_ok=True)


def available(module: str) -> str | None:
    """None if ``bench/<module>.py`` can be used, else why not."""
    if not (BENCH / f"{module}.py").exists():
        return f"not available: bench/{module}.py does not exist"
    if "def measure(" not in (BENCH / f"{module}.py").read_text():
        return f"not available: bench/{module}.py has no measure()"
    return None


def machine() -> dict:
    import duckdb
    import pandas
    import polars

    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        platform.processor() or platform.machine(),
    )
    meminfo = dict(line.split(":", 1) for line in Path("/proc/meminfo").read_text().splitlines() if ":" in line)
    memory_gb = int(meminfo.get("MemTotal", "0 kB").split()[0]) / 1024**2
    return {
        "platform": platform.platform(),
        "cpu": cpu,
        "cpu_count": os.cpu_count(),
        "memory_gb": round(memory_gb, 1),
        "python": platform.python_version(),
        "polars": polars.__version__,
        "duckdb": duckdb.__version__,
        "pandas": pandas.__version__,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
    }


# --- silver ----------------------------------------------------------------------------------------


def silver_section(rows: int, repeat: int, work: Path, keep: bool) -> dict:
    import polars as pl

    from retail_platform.sources.registry import table_spec

    spec = table_spec(silver_variants.TABLE)
    bronze = work / f"bronze_{spec.table}_{rows}.parquet"
    print(f"silver {size_label(rows)}: bronze {bronze}", flush=True)
    prepared = run_child([str(BENCH / "silver_variants.py"), "prepare", str(rows), str(bronze)], "prepare bronze")
    print(prepared.stdout, end="", flush=True)
    rules = work / f"rules_{spec.table}.json"
    rules.write_text(json.dumps(silver_variants.rules_from_spec(spec), indent=2))

    out = work / f"silver_{size_label(rows)}"
    results: dict[str, list[dict]] = {v: [] for v in VARIANTS}
    # Interleaved, so that a busy moment on a shared machine weighs on every variant alike.
    for rep in range(repeat):
        for variant in VARIANTS:
            done = run_child(
                [str(BENCH / "silver_variants.py"), variant, str(bronze), str(out / variant), "--rules", str(rules)],
                f"silver variant {variant} at {rows:,} rows",
            )
            result = json.loads(done.stdout.strip().splitlines()[-1])
            results[variant].append(result)
            print(
                f"  {rep + 1}/{repeat} {variant:>6}: {result['seconds']:7.2f} s  {result['rss_mb']:8,.0f} MB",
                flush=True,
            )

    # The outputs of the last repetition, against clean's.
    reference = results["polars"][-1]
    expected_silver, expected_quarantine = (
        pl.read_parquet(reference["silver"]),
        pl.read_parquet(reference["quarantine"]),
    )
    for variant in ("step", "duckdb", "pandas"):
        last = results[variant][-1]
        silver_variants.assert_same_outputs(
            expected_silver,
            expected_quarantine,
            pl.read_parquet(last["silver"]),
            pl.read_parquet(last["quarantine"]),
            keys=list(spec.primary_key),
            variant=variant,
        )
    print(f"  all variants agree: {expected_silver.height:,} silver, {expected_quarantine.height:,} quarantined")
    figures: dict = {
        "rows": rows,
        "repeat": repeat,
        "stat": "median seconds; peak RSS is the max over the repetitions",
        "silver_rows": expected_silver.height,
        "quarantine_rows": expected_quarantine.height,
        "duplicates_removed": reference["duplicates_removed"],
        "variants_equal": True,
        "step_checks_failed": sorted({c for r in results["step"] for c in r.get("checks_failed", [])}),
    }
    del expected_silver, expected_quarantine
    details = {}
    for variant, runs in results.items():
        seconds = summary([r["seconds"] for r in runs])
        figures[f"{variant}_s"] = seconds["median"]
        figures[f"{variant}_rss_mb"] = max(r["rss_mb"] for r in runs)
        details[variant] = {
            "seconds": seconds,
            "rss_mb": max(r["rss_mb"] for r in runs),
            "rss_before_mb": max(r["rss_before_mb"] for r in runs),
        }
    figures["variants"] = details
    if not keep:
        shutil.rmtree(out, ignore_errors=True)
    return figures


# --- silver under a memory cap ---------------------------------------------------------------------


def capped_child(args: list[str], cap_bytes: int) -> tuple[subprocess.CompletedProcess, float]:
    """``python <args>`` under ``prlimit --as=<cap_bytes>``, with ``CAPPED_ENV``, not checked; and
    its wall time in seconds, process start included."""
    command = ["prlimit", f"--as={cap_bytes}", "--", sys.executable, *args]
    env = {**os.environ, **CAPPED_ENV}
    started = time.monotonic()
    done = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, check=False, env=env)
    return done, round(time.monotonic() - started, 1)


def failure(done: subprocess.CompletedProcess) -> str:
    """``failed: exit <code> (<signal>): <error>``, on one line: the last line of stderr that names
    a memory error (an abort prints a backtrace after it), else its last line."""
    import re
    import signal

    code = done.returncode
    how = f"exit {code}"
    if code < 0:
        try:
            how += f" ({signal.Signals(-code).name})"
        except ValueError:
            pass
    lines = [line.strip() for line in done.stderr.splitlines() if line.strip()] or ["no stderr"]
    memory = re.compile(r"memory allocation of|MemoryError|Unable to allocate|out of memory|Cannot allocate", re.I)
    last = next((line for line in reversed(lines) if memory.search(line)), lines[-1])
    return f"failed: {how}: {last[:300]}"


def in_memory_estimate(result: dict, rows: int) -> dict:
    """What the step would need to clean ``rows`` rows in memory, scaled linearly from the silver
    section (its imports counted once): the step at the largest size it cleaned in one piece
    (at most ``ROWS_PER_BUCKET`` rows), else ``clean`` in memory (no checks: a lower bound)."""
    from retail_platform.lake.buckets import ROWS_PER_BUCKET

    sizes = silver_sizes(result)
    basis = [(n, key, "step") for n, key in sizes if n <= ROWS_PER_BUCKET]
    basis = basis or [(n, key, "polars") for n, key in sizes]
    if not basis:
        return {"in_memory_need_mb_estimate": None, "in_memory_need_basis": "the silver section did not run"}
    n, key, variant = basis[-1]
    figures = result[key]["variants"][variant]
    before, peak = figures["rss_before_mb"], figures["rss_mb"]
    what = "the asset step in memory" if variant == "step" else "`clean` in memory (no checks: a lower bound)"
    return {
        "in_memory_need_mb_estimate": round(before + (peak - before) * rows / n),
        "in_memory_need_basis": f"{key}: {what}, {peak:,.0f} MB peak RSS ({before:,.0f} MB before reading), "
        f"scaled from {n:,} to {rows:,} rows",
    }


def capped_section(
    rows: int, cap_gb: float, bucket_rows: int, repeat: int, work: Path, keep: bool, result: dict
) -> dict:
    from retail_platform.lake.buckets import bucket_count
    from retail_platform.sources.registry import table_spec

    spec = table_spec(silver_variants.TABLE)
    cap_bytes = int(cap_gb * 1024**3)
    bronze = work / f"bronze_{spec.table}_{rows}.parquet"
    print(f"silver {size_label(rows)} under a {cap_gb:g} GiB cap: bronze {bronze}", flush=True)
    prepared = run_child(
        [str(BENCH / "silver_variants.py"), "prepare", str(rows), str(bronze), "--streamed"], "prepare bronze"
    )
    print(prepared.stdout, end="", flush=True)
    rules = work / f"rules_{spec.table}.json"
    rules.write_text(json.dumps(silver_variants.rules_from_spec(spec), indent=2))
    out = work / f"silver_capped_{size_label(rows)}"
    step = [str(BENCH / "silver_variants.py"), "step", str(bronze)]

    figures: dict = {
        "rows": rows,
        "cap_gb": cap_gb,
        "cap_bytes": cap_bytes,
        "cap": "address space (prlimit --as), GiB",
        "child_env": CAPPED_ENV,
        "bucket_rows": bucket_rows,
        "buckets": bucket_count(rows, bucket_rows),
        "repeat": repeat,
    }
    runs, failed = [], None
    for rep in range(repeat):
        done, seconds = capped_child(
            [*step, str(out / "buckets"), "--rules", str(rules), "--rows-per-bucket", str(bucket_rows)], cap_bytes
        )
        if done.returncode != 0:
            failed = failure(done)
            figures["bucketed_failed_after_s"] = seconds
            print(f"  {rep + 1}/{repeat} buckets: {failed}", flush=True)
            break
        run = json.loads(done.stdout.strip().splitlines()[-1])
        runs.append(run)
        print(
            f"  {rep + 1}/{repeat} buckets: {run['seconds']:7.2f} s  {run['rss_mb']:8,.0f} MB"
            f"  ({run['vm_peak_mb'] or 0:,.0f} MB virtual), {run['buckets']} buckets",
            flush=True,
        )
    figures["bucketed_under_cap"] = failed or "passed"
    if runs:
        last = runs[-1]
        counts = {k: last[k] for k in ("rows_in", "rows_out", "duplicates_removed", "rows_quarantined")}
        problems = []
        if last["buckets"] != figures["buckets"] or last["buckets"] < 2:
            problems.append(f"{last['buckets']} bucket(s), {figures['buckets']} expected")
        if counts["rows_in"] != rows:
            problems.append(f"rows_in {counts['rows_in']:,} != {rows:,} bronze rows")
        if counts["rows_in"] != counts["rows_out"] + counts["duplicates_removed"] + counts["rows_quarantined"]:
            problems.append(f"the counts do not add up: {counts}")
        if last["checks_failed"] or not last["checks"]:
            problems.append(f"checks failed: {last['checks_failed']} (of {last['checks']})")
        if problems:
            raise BenchError(f"the bucketed step at {rows:,} rows is wrong: " + "; ".join(problems))
        seconds = summary([r["seconds"] for r in runs])
        figures.update(
            wall_s=seconds["median"],
            peak_rss_mb=max(r["rss_mb"] for r in runs),
            peak_vm_mb=max(r["vm_peak_mb"] or 0 for r in runs) or None,
            wall=seconds,
            **counts,
            checks=last["checks"],
            checks_failed=[],
        )
    else:
        figures.update(wall_s=None, peak_rss_mb=None, peak_vm_mb=None)

    # The whole day in one piece, under the same cap: expected to run out of memory.
    done, seconds = capped_child(
        [*step, str(out / "in_memory"), "--rules", str(rules), "--rows-per-bucket", str(rows)], cap_bytes
    )
    if done.returncode != 0:
        figures["in_memory_under_cap"] = failure(done)
        figures["in_memory_failed_after_s"] = seconds
    else:
        run = json.loads(done.stdout.strip().splitlines()[-1])
        figures["in_memory_under_cap"] = {
            "passed": True,
            "wall_s": round(run["seconds"], 3),
            "peak_rss_mb": run["rss_mb"],
            "peak_vm_mb": run["vm_peak_mb"],
            "buckets": run["buckets"],
        }
    print(f"  in memory: {figures['in_memory_under_cap']}", flush=True)
    figures.update(in_memory_estimate(result, rows))
    estimate = figures["in_memory_need_mb_estimate"]
    figures["in_memory_need_over_cap"] = round(estimate * 1024**2 / cap_bytes, 2) if estimate else None
    figures["met"] = bool(runs) and failed is None and isinstance(figures["in_memory_under_cap"], str)
    if not keep:
        shutil.rmtree(out, ignore_errors=True)
    return figures


# --- the other sections ----------------------------------------------------------------------------


def generator_section(volume: int, repeat: int) -> dict:
    runs = [
        measure_in_child("bench_generator", f"measure({volume})", f"generator at volume {volume:,}")
        for _ in range(repeat)
    ]
    for i, r in enumerate(runs):
        print(f"  {i + 1}/{repeat} generator: {r['rows_per_s']:,.0f} rows/s  {r['peak_rss_mb']:,.0f} MB", flush=True)
    rates = summary([r["rows_per_s"] for r in runs], 0)
    rows = runs[0]["rows"]
    rss = max(r["peak_rss_mb"] for r in runs)
    return {
        "volume": volume,
        "repeat": repeat,
        "rows": rows,
        "generator_rows_per_s": rates["median"],
        "generator_rss_mb": rss,
        "generator_rss_mb_per_10m_rows": round(rss * 10_000_000 / rows, 1),
        "rows_per_s": rates,
        "runs": runs,
    }


def defs_section(repeat: int) -> dict:
    result = measure_in_child("bench_defs", f"measure({repeat})", "definitions load")
    return {"repeat": repeat, **result}


def snowflake_section(rows: int, repeat: int) -> dict:
    runs = [measure_in_child("bench_snowflake", f"measure({rows})", "Snowflake load") for _ in range(repeat)]
    copy = summary([r["copy_rows_per_s"] for r in runs], 0)
    insert = summary([r["insert_rows_per_s"] for r in runs], 0)
    return {
        "rows": rows,
        "repeat": repeat,
        # the path the platform's load takes (SnowflakeWarehouse.replace_partition: PUT + COPY INTO)
        "snowflake_load_rows_per_s": copy["median"],
        "copy_rows_per_s": copy,
        "insert_rows_per_s": insert,
    }


def backfill_section(days: int, repeat: int) -> dict:
    runs = [measure_in_child("bench_run", f"measure({days})", f"{days}-day headless run") for _ in range(repeat)]
    for i, r in enumerate(runs):
        print(
            f"  {i + 1}/{repeat} {counted(days, 'day')}: {r['wall_s']:.1f} s, {counted(r['runs'], 'run')}", flush=True
        )
    walls = summary([r["wall_s"] for r in runs], 1)
    ratios = [r["dbt_overhead_ratio"] for r in runs if r.get("dbt_overhead_ratio")]
    return {
        "days": days,
        "repeat": repeat,
        "wall_s": walls["median"],
        "runs": max(r["runs"] for r in runs),
        "wall": walls,
        "dbt_step_s": statistics.median(r["dbt_step_s"] for r in runs),
        "dbt_reported_s": statistics.median(r["dbt_reported_s"] for r in runs),
        "dbt_overhead_ratio": round(statistics.median(ratios), 3) if ratios else None,
        "details": runs,
    }


def ui_backfill_section(days: int, repeat: int) -> dict:
    runs = [measure_in_child("bench_ui_backfill", f"measure({days})", f"{days}-day UI backfill") for _ in range(repeat)]
    for i, r in enumerate(runs):
        print(
            f"  {i + 1}/{repeat} UI backfill, {counted(days, 'day')}: {r['wall_s']:.1f} s, {counted(r['runs'], 'run')}",
            flush=True,
        )
    walls = summary([r["wall_s"] for r in runs], 1)
    return {
        "days": days,
        "repeat": repeat,
        "wall_s": walls["median"],
        "runs": max(r["runs"] for r in runs),
        "wall": walls,
        "details": runs,
    }


# --- the report ------------------------------------------------------------------------------------


def counted(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def days(n: int) -> str:
    return counted(n, "day")


def verdict(ok: bool | None) -> str:
    return "—" if ok is None else ("met" if ok else "**missed**")


def silver_sizes(result: dict) -> list[tuple[int, str]]:
    """``(rows, key)`` of the silver section's sizes (``silver_2m``, ...), smallest first."""
    return sorted(
        (v["rows"], k) for k, v in result.items() if k.startswith("silver_") and isinstance(v, dict) and "step_s" in v
    )


def summary_rows(result: dict) -> list[tuple[str, str, str, str]]:
    """(figure, value, target, met?) for the markdown table."""
    rows: list[tuple[str, str, str, str]] = []
    for n, key in silver_sizes(result):
        s = result[key]
        label = size_label(n)
        for variant, name in (
            ("step", "asset step"),
            ("polars", "`clean`"),
            ("duckdb", "DuckDB SQL"),
            ("pandas", "pandas"),
            ("floor", "Parquet floor"),
        ):
            rows.append(
                (f"silver {label}: {name}", f"{s[f'{variant}_s']:.2f} s, {s[f'{variant}_rss_mb']:,.0f} MB", "", "")
            )
        targeted = "" if label == "10m" else " (target set at 10m)"
        step, duckdb, floor = s["step_s"], s["duckdb_s"], s["floor_s"]
        rows += [
            (
                f"silver {label}: step / DuckDB time{targeted}",
                f"{step / duckdb:.2f}×",
                f"≤ {TARGET_STEP_OVER_DUCKDB}×",
                verdict(step <= TARGET_STEP_OVER_DUCKDB * duckdb),
            ),
            (
                f"silver {label}: step / DuckDB peak RSS{targeted}",
                f"{s['step_rss_mb']:,.0f} / {s['duckdb_rss_mb']:,.0f} MB",
                "≤ 1×",
                verdict(s["step_rss_mb"] <= s["duckdb_rss_mb"]),
            ),
            (
                f"silver {label}: step / Parquet floor{targeted}",
                f"{step / floor:.2f}×",
                f"≤ {TARGET_STEP_OVER_FLOOR}×",
                verdict(step <= TARGET_STEP_OVER_FLOOR * floor),
            ),
        ]
    if result.get("silver_capped"):
        c = result["silver_capped"]
        if c["bucketed_under_cap"] == "passed":
            value = (
                f"{c['wall_s']:.1f} s, {c['peak_rss_mb']:,.0f} MB peak RSS ({c['peak_vm_mb'] or 0:,.0f} MB virtual), "
                f"{c['buckets']} buckets of {size_label(c['bucket_rows'])}"
            )
        else:
            value = f"buckets of {size_label(c['bucket_rows'])}: {c['bucketed_under_cap']}"
        in_memory = c["in_memory_under_cap"]
        value += "; in memory: " + (in_memory if isinstance(in_memory, str) else "passed (unexpected)")
        estimate = c.get("in_memory_need_mb_estimate")
        need = f" (in memory needs ~{estimate / 1024:.1f} GB)" if estimate else ""
        rows.append(
            (
                f"silver {size_label(c['rows']).upper()} under a {c['cap_gb']:g} GB cap (buckets)",
                value.replace("|", "/"),
                f"passes under the cap; in memory fails{need}",
                verdict(c["met"]),
            )
        )
    if result.get("generator_rows_per_s") is not None:
        g = result["generator"]
        rows += [
            (
                "generator rows/s",
                f"{result['generator_rows_per_s']:,.0f} ({g['rows']:,} rows)",
                f"≥ {TARGET_GENERATOR_ROWS_PER_S:,}",
                verdict(result["generator_rows_per_s"] >= TARGET_GENERATOR_ROWS_PER_S),
            ),
            (
                "generator peak RSS per 10M rows",
                f"{g['generator_rss_mb_per_10m_rows']:,.0f} MB ({result['generator_rss_mb']:,.0f} MB peak)",
                f"≤ {TARGET_GENERATOR_MB_PER_10M_ROWS:,} MB",
                verdict(g["generator_rss_mb_per_10m_rows"] <= TARGET_GENERATOR_MB_PER_10M_ROWS),
            ),
        ]
    if result.get("defs_load_s") is not None:
        over = result["defs_load_s"] - result["defs_floor_s"]
        rows.append(
            (
                "definitions load vs `import dagster, dagster_dbt`",
                f"{result['defs_load_s']:.2f} s vs {result['defs_floor_s']:.2f} s (+{over:.2f} s)",
                f"≤ floor + {TARGET_DEFS_OVER_FLOOR_S} s",
                verdict(over <= TARGET_DEFS_OVER_FLOOR_S),
            )
        )
    if result.get("dbt_overhead_ratio") is not None:
        b = result["backfill_30d"]
        rows.append(
            (
                f"dbt step / dbt's own time ({b['days']}-day headless run, run again: parse state reused)",
                f"{result['dbt_overhead_ratio']:.2f} ({b['dbt_step_s']:.1f} s / {b['dbt_reported_s']:.1f} s)",
                f"≤ {TARGET_DBT_OVERHEAD}",
                verdict(result["dbt_overhead_ratio"] <= TARGET_DBT_OVERHEAD),
            )
        )
        first = [d["first_run"] for d in b.get("details", []) if d.get("first_run")]
        if first:
            f = first[0]
            rows.append(
                (
                    "dbt step / dbt's own time (first run in a new data dir: full parse)",
                    f"{f['dbt_overhead_ratio']:.2f} ({f['dbt_step_s']:.1f} s / {f['dbt_reported_s']:.1f} s)",
                    "—",
                    "—",
                )
            )
    if result.get("backfill_30d"):
        import bench_run

        b = result["backfill_30d"]
        targeted = "" if b["days"] == 30 else " (target set at 30 days)"
        rows.append(
            (
                f"headless run, {days(b['days'])}{targeted}",
                f"{b['wall_s']:.1f} s, {counted(b['runs'], 'run')}",
                f"≤ {bench_run.TARGET_SECONDS} s, ≤ {bench_run.TARGET_RUNS} runs",
                verdict(b["wall_s"] <= bench_run.TARGET_SECONDS and b["runs"] <= bench_run.TARGET_RUNS),
            )
        )
    if result.get("ui_backfill_3d"):
        u = result["ui_backfill_3d"]
        rows.append(
            (
                f"UI backfill of every asset, {days(u['days'])}",
                f"{u['wall_s']:.1f} s, {counted(u['runs'], 'run')}",
                "",
                "",
            )
        )
    if result.get("snowflake_load_rows_per_s") is not None:
        s = result["snowflake"]
        rows.append(
            (
                "Snowflake load rows/s (emulator)",
                f"{result['snowflake_load_rows_per_s']:,.0f} (row inserts: {s['insert_rows_per_s']['median']:,.0f})",
                "",
                "",
            )
        )
    for name, status in result["sections"].items():
        if status != "ok":
            rows.append((name, status, "", ""))
    return rows


def markdown_table(result: dict) -> str:
    m = result["machine"]
    lines = [
        f"Measured {m['date'][:10]} on {m['cpu']}, {m['cpu_count']} cores, {m['memory_gb']:.0f} GB, "
        f"Python {m['python']}, Polars {m['polars']}, DuckDB {m['duckdb']}, pandas {m['pandas']}.",
        "",
        "| figure | value | target | met? |",
        "| --- | --- | --- | --- |",
    ]
    lines += [f"| {a} | {b} | {c or '—'} | {d or '—'} |" for a, b, c, d in summary_rows(result)]
    return "\n".join(lines)


def chart(result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = silver_sizes(result)
    fixed = [
        (label, result.get(key))
        for label, key in (
            ("definitions load", "defs_load_s"),
            ("import dagster, dagster_dbt", "defs_floor_s"),
        )
    ]
    if result.get("backfill_30d"):
        b = result["backfill_30d"]
        fixed += [
            (f"dbt step ({days(b['days'])} run)", b.get("dbt_step_s")),
            ("dbt's own time", b.get("dbt_reported_s")),
            (f"headless run, {days(b['days'])}", b["wall_s"]),
        ]
    if result.get("ui_backfill_3d"):
        u = result["ui_backfill_3d"]
        fixed.append((f"UI backfill, {days(u['days'])}", u["wall_s"]))
    fixed = [(label, value) for label, value in fixed if value is not None]

    fig, axes = plt.subplots(1, 3, figsize=(16, 5.2), gridspec_kw={"width_ratios": [3, 3, 2.4]})
    colors = dict(zip(VARIANTS, ("#9e9e9e", "#4c72b0", "#1f3d7a", "#dd8452", "#55a868"), strict=True))
    names = {
        "floor": "Parquet floor",
        "polars": "clean",
        "step": "asset step",
        "duckdb": "DuckDB SQL",
        "pandas": "pandas",
    }
    width = 0.8 / len(VARIANTS)
    for ax, metric, unit in ((axes[0], "_s", "median seconds"), (axes[1], "_rss_mb", "peak RSS, MB")):
        for i, variant in enumerate(VARIANTS):
            values = [result[key][f"{variant}{metric}"] for _, key in sizes]
            xs = [j + (i - (len(VARIANTS) - 1) / 2) * width for j in range(len(sizes))]
            bars = ax.bar(xs, values, width, label=names[variant], color=colors[variant])
            labels = [f"{v:.2f}" if metric == "_s" and v < 10 else f"{v:,.0f}" for v in values]
            ax.bar_label(bars, labels=labels, fontsize=7, padding=1)
        ax.set_xticks(range(len(sizes)), [f"{size_label(n).upper()} rows" for n, _ in sizes])
        ax.set_ylabel(unit)
        ax.spines[["top", "right"]].set_visible(False)
    axes[0].set_title("silver: bronze -> silver + quarantine")
    axes[1].set_title("silver: peak memory of the process")
    axes[0].legend(fontsize=8, frameon=False)
    if fixed:
        labels, values = zip(*fixed, strict=True)
        bars = axes[2].barh(range(len(values)), values, color="#8172b3")
        axes[2].bar_label(bars, fmt="%.1f s", fontsize=8, padding=2)
        axes[2].set_yticks(range(len(values)), labels, fontsize=8)
        axes[2].invert_yaxis()
        axes[2].set_xscale("log")
        axes[2].set_xlim(right=max(values) * 4)
    else:
        axes[2].text(0.5, 0.5, "fixed costs not measured", ha="center", va="center", transform=axes[2].transAxes)
        axes[2].set_xticks([])
        axes[2].set_yticks([])
    axes[2].set_title("fixed costs (seconds, log scale)")
    axes[2].spines[["top", "right"]].set_visible(False)
    m = result["machine"]
    fig.suptitle(
        f"retail_platform benchmarks, {m['date'][:10]}: {m['cpu']}, {m['cpu_count']} cores, "
        f"{m['memory_gb']:.0f} GB, Python {m['python']}, Polars {m['polars']}, DuckDB {m['duckdb']}, "
        f"pandas {m['pandas']}",
        fontsize=9,
    )
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


# --- main ------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "docs" / "bench" / "result.json", help="JSON file")
    parser.add_argument("--chart", type=Path, help="PNG chart (default: the --out path with .png)")
    parser.add_argument("--only", default=",".join(SECTIONS), help=f"sections, comma-separated: {','.join(SECTIONS)}")
    parser.add_argument("--sizes", default="2m,10m", help="silver sizes in rows, e.g. 20k,2m,10m (default 2m,10m)")
    parser.add_argument("--repeat", type=int, default=5, help="repetitions of each measurement (default 5)")
    parser.add_argument("--repeat-e2e", type=int, default=1, help="repetitions of the end-to-end runs (default 1)")
    parser.add_argument("--generator-volume", type=int, default=2_000_000, help="generator volume (default 2000000)")
    parser.add_argument("--snowflake-rows", type=int, default=50_000, help="rows loaded into Snowflake (default 50000)")
    parser.add_argument(
        "--capped-rows",
        default=str(DEFAULT_CAPPED_ROWS),
        help=f"rows of the day cleaned under the memory cap (default {DEFAULT_CAPPED_ROWS:_})",
    )
    parser.add_argument(
        "--memory-cap-gb",
        type=float,
        default=DEFAULT_MEMORY_CAP_GB,
        help=f"address-space cap of the capped silver runs, GiB (default {DEFAULT_MEMORY_CAP_GB:g})",
    )
    parser.add_argument(
        "--bucket-rows",
        default=str(DEFAULT_BUCKET_ROWS),
        help=f"rows per key-hash bucket of the capped silver run (default {DEFAULT_BUCKET_ROWS:_})",
    )
    parser.add_argument("--days", type=int, default=30, help="days of the headless run (default 30)")
    parser.add_argument("--ui-days", type=int, default=3, help="days of the UI backfill (default 3)")
    parser.add_argument(
        "--work-dir", type=Path, help="where bronze files and outputs go (kept, and bronze reused); default: a temp dir"
    )
    args = parser.parse_args(argv)
    args.only = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = sorted(set(args.only) - set(SECTIONS))
    if unknown:
        parser.error(f"unknown section(s) {unknown}; choose from {', '.join(SECTIONS)}")
    args.sizes = [parse_size(s) for s in args.sizes.split(",") if s.strip()]
    args.capped_rows, args.bucket_rows = parse_size(args.capped_rows), parse_size(args.bucket_rows)
    if args.bucket_rows < 1 or args.capped_rows <= args.bucket_rows:
        parser.error("--capped-rows must be more than --bucket-rows (at least two buckets), both positive")
    if args.memory_cap_gb <= 0:
        parser.error("--memory-cap-gb must be positive")
    if args.repeat < 1 or args.repeat_e2e < 1:
        parser.error("--repeat and --repeat-e2e must be at least 1")
    args.chart = args.chart or args.out.with_suffix(".png")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    work = args.work_dir or Path(tempfile.mkdtemp(prefix="retail_bench_"))
    work.mkdir(parents=True, exist_ok=True)
    began = time.monotonic()
    result: dict = {"machine": machine(), "sections": {}}
    # Every figure named by the issue is present: null when its section did not run.
    for key in (
        "defs_load_s",
        "defs_floor_s",
        "dbt_overhead_ratio",
        "generator_rows_per_s",
        "generator_rss_mb",
        "snowflake_load_rows_per_s",
        "silver_capped",
    ):
        result[key] = None
    errors = []

    def section(name: str, needs: str | None, body, missing: str | None = None) -> None:
        if name not in args.only:
            result["sections"][name] = "not run (--only)"
            return
        missing = missing or (available(needs) if needs else None)
        if missing:
            result["sections"][name] = missing
            print(f"{name}: {missing}", flush=True)
            return
        print(f"{name}:", flush=True)
        try:
            body()
            result["sections"][name] = "ok"
        except Exception as error:  # one broken section must not lose the others' figures
            lines = [line.strip() for line in str(error).splitlines() if line.strip()] or [type(error).__name__]
            headline = lines[0] if len(lines) == 1 else f"{lines[0]} ... {lines[-1]}"
            result["sections"][name] = f"failed: {headline[:400]}"
            errors.append(f"{name}: {error}\n{traceback.format_exc() if not isinstance(error, BenchError) else ''}")
            print(f"{name} FAILED: {error}", file=sys.stderr, flush=True)

    def silver():
        failures = []
        for rows in args.sizes:
            try:
                result[f"silver_{size_label(rows)}"] = silver_section(rows, args.repeat, work, keep=bool(args.work_dir))
            except silver_variants.VariantMismatch as error:
                failures.append(str(error))
        if failures:
            raise BenchError("the silver variants disagree:\n" + "\n".join(failures))

    def silver_capped():
        result["silver_capped"] = capped_section(
            args.capped_rows,
            args.memory_cap_gb,
            args.bucket_rows,
            args.repeat_e2e,
            work,
            keep=bool(args.work_dir),
            result=result,
        )

    def generator():
        g = result["generator"] = generator_section(args.generator_volume, args.repeat)
        result["generator_rows_per_s"], result["generator_rss_mb"] = g["generator_rows_per_s"], g["generator_rss_mb"]

    def defs():
        d = result["defs"] = defs_section(args.repeat)
        result["defs_load_s"], result["defs_floor_s"] = d["defs_load_s"], d["defs_floor_s"]

    def snowflake():
        # --repeat-e2e: each measurement also loads the rows through the old row inserts, ~400 rows/s
        # on the emulator (two minutes at the default rows)
        s = result["snowflake"] = snowflake_section(args.snowflake_rows, args.repeat_e2e)
        result["snowflake_load_rows_per_s"] = s["snowflake_load_rows_per_s"]

    def backfill():
        b = result["backfill_30d"] = backfill_section(args.days, args.repeat_e2e)
        result["dbt_overhead_ratio"] = b["dbt_overhead_ratio"]

    def ui_backfill():
        result["ui_backfill_3d"] = ui_backfill_section(args.ui_days, args.repeat_e2e)

    section("silver", None, silver)
    no_prlimit = None if shutil.which("prlimit") else "not available: no `prlimit` (util-linux) to cap memory with"
    section("silver_capped", None, silver_capped, missing=no_prlimit)
    section("generator", "bench_generator", generator)
    section("defs", "bench_defs", defs)
    section("snowflake", "bench_snowflake", snowflake)
    section("backfill_30d", "bench_run", backfill)
    section("ui_backfill_3d", "bench_ui_backfill", ui_backfill)
    result["bench_seconds"] = round(time.monotonic() - began, 1)

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    chart(result, args.chart)
    print(f"\n{markdown_table(result)}\n\nwrote {args.out} and {args.chart} in {result['bench_seconds']:.0f} s")
    if errors:
        print("\n".join(["", "ERRORS:", *errors, f"the inputs and outputs are kept in {work}"]), file=sys.stderr)
        return 1
    if not args.work_dir:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
