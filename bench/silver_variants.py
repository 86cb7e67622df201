"""One bronze partition cleaned into silver + quarantine, five ways, each run in its own process.

    .venv/bin/python bench/silver_variants.py prepare <rows> <bronze.parquet> [--streamed]
    .venv/bin/python bench/silver_variants.py <variant> <bronze.parquet> <outdir> [--rules rules.json]
    .venv/bin/python bench/silver_variants.py step <bronze.parquet> <outdir> --rows-per-bucket <rows>

Variants (each reads the bronze Parquet file and writes Parquet, zstd; the clock runs from reading
bronze to both files written; ``result.json`` in ``outdir`` holds the seconds and the process's
peak RSS):

* ``floor``: Polars reads bronze and writes it back, the least any variant can do.
* ``polars``: ``retail_platform.transforms.silver.clean`` on a scan of the file, written with the
  lake's ``parquet_bytes``.
* ``step``: the whole asset step, ``defs.lake.silver.clean_partition`` on a ``LocalLake`` (read,
  clean, write, conservation and key checks); ``--rows-per-bucket`` sets the bucket size
  (``lake/buckets.py``; a size above the day's rows forces the day in memory), as ``run.py``'s
  ``silver_capped`` section does under a memory cap.
* ``duckdb``: the same rules as DuckDB SQL, generated from the table's declaration.
* ``pandas``: the same rules in vectorised pandas (pyarrow-backed columns).

"The same rules" are the ones of ``transforms/silver.py`` and the registry: trim, empty and the
declared null tokens -> null, declared case, casts (a decimal with more fraction digits than its
scale is invalid, not rounded), ISO 8601 timestamps (``T`` or space, optional fraction truncated to
microseconds, ``Z``, ``+HH:MM``, ``+HHMM`` or naive = UTC), required, accepted values, minimum,
maximum; the reasons joined by ``; `` in rule order; the latest ``updated_at`` per key (tie: later
file, then later row). Row order is not a rule (the project's silver keeps the landing order): no
variant pays for a sort by key (``SORT_SILVER_BY_KEY``). Not in the variants: the timestamp windows
around the partition's day (``clean`` is compared without a day), the CDC sequence step and
same-sequence conflicts (which the generated data never trips).
Known, documented gaps with Polars' parser (chrono), absent from the generated data: chrono also
takes one-digit date/time fields, spaces before a number and a leap second ``:60``; pandas parses
timestamps in nanoseconds (years 1677..2262 only). ``run.py`` asserts the outputs equal.

The SQL and pandas variants read the rules as plain JSON (``rules_from_spec``, written by
``run.py``), so their processes do not import Polars and their peak RSS is their own.
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import sys
import time
from pathlib import Path

VARIANTS = ("floor", "polars", "step", "duckdb", "pandas")
TABLE = "pos_transaction_lines"
DAY = "2026-11-04"  # the generated file's day, also the lake partition of the step variant
# Above this, a size is the base file replicated with distinct keys (generation is the slow part).
BASE_ROWS = 2_000_000
REASON = "_quarantine_reason"
LINEAGE = ("_source_file", "_row_number", "_ingested_at")
TIE_BREAK = ("_source_file", "_row_number")
# What Polars' str.strip_chars() strips: Rust's char::is_whitespace (Unicode White_Space).
WHITESPACE = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000"
)
# The text shapes a value must have before it is cast (RE2 syntax: DuckDB and pyarrow both use RE2).
INTEGER_SHAPE = r"[+-]?[0-9]+"
DATE_SHAPE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
TIMESTAMP_SHAPE = (
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]+)?"
    r"(Z|[+-]([01][0-9]|2[0-3]):?[0-5][0-9])?"
)
INTEGER_BITS = {"int8": 8, "int16": 16, "int32": 32, "int64": 64}
# The comparison does not depend on row order; True makes the SQL and pandas variants also sort
# silver by key (DuckDB pays ~1.6 s more at 2M rows for it).
SORT_SILVER_BY_KEY = False


def decimal_shape(scale: int) -> str:
    return INTEGER_SHAPE + (rf"(\.[0-9]{{1,{scale}}})?" if scale else "")


# --- the rules as plain data ---------------------------------------------------------------------


def rules_from_spec(spec) -> dict:
    """A ``TableSpec`` as JSON-able rules: what the SQL and pandas variants are generated from."""
    import polars as pl

    # The boolean words are the transform's own, so the variants cannot drift from it.
    from retail_platform.transforms.silver import _FALSE, _TRUE

    columns = []
    for c in spec.columns:
        dtype = c.dtype
        column = {
            "name": c.name,
            "required": c.required,
            "accepted": list(c.accepted) if c.accepted is not None else None,
            "min_value": c.min_value,
            "max_value": c.max_value,
            "null_tokens": list(c.null_tokens),
            "case": c.case,
        }
        if isinstance(dtype, pl.Decimal):
            column.update(type="decimal", precision=dtype.precision or 38, scale=dtype.scale or 0)
        elif isinstance(dtype, pl.Datetime) or dtype == pl.Datetime:
            column.update(type="timestamp")
        elif dtype == pl.String:
            column.update(type="string")
        elif dtype in (pl.Int8, pl.Int16, pl.Int32, pl.Int64):
            column.update(type=str(dtype).lower())
        elif dtype == pl.Date:
            column.update(type="date")
        elif dtype == pl.Boolean:
            column.update(type="boolean")
        else:
            raise NotImplementedError(f"{spec.table}.{c.name}: no SQL/pandas rule for {dtype}")
        columns.append(column)
    return {
        "table": spec.table,
        "primary_key": list(spec.primary_key),
        "ordering_column": spec.ordering_column,
        "columns": columns,
        "true": list(_TRUE),
        "false": list(_FALSE),
    }


def load_rules(path: str | None, table: str = TABLE) -> dict:
    if path:
        return json.loads(Path(path).read_text())
    from retail_platform.sources.registry import table_spec

    return rules_from_spec(table_spec(table))


def format_min(value) -> str:
    # As Polars formats the literal in the reason (an int stays an int). Minimums and maximums alike.
    return str(value)


# --- DuckDB ----------------------------------------------------------------------------------------


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _sql_text(column: dict) -> str:
    raw, whitespace = f"CAST({_ident(column['name'])} AS VARCHAR)", _literal(WHITESPACE)
    # trim() with a character set costs ~8x a plain read; only texts that start or end with
    # whitespace need it (measured: the CASE is ~9x faster on 2M rows).
    trimmed = (
        f"CASE WHEN contains({whitespace}, {raw}[1]) OR contains({whitespace}, {raw}[-1]) "
        f"THEN trim({raw}, {whitespace}) ELSE {raw} END"
    )
    text = f"nullif({trimmed}, '')"
    if column["null_tokens"]:
        text = f"CASE WHEN {text} IN ({', '.join(map(_literal, column['null_tokens']))}) THEN NULL ELSE {text} END"
    if column["case"] == "lower":
        return f"lower({text})"
    if column["case"] == "upper":
        return f"upper({text})"
    return text


def _sql_value(column: dict, rules: dict) -> str:
    text, kind = _ident(column["name"] + "__text"), column["type"]
    if kind == "string":
        return text
    if kind == "boolean":
        lowered = f"lower({text})"
        true, false = (", ".join(map(_literal, rules[k])) for k in ("true", "false"))
        return f"CASE WHEN {lowered} IN ({true}) THEN true WHEN {lowered} IN ({false}) THEN false END"
    if kind == "decimal":
        shape, sql_type = decimal_shape(column["scale"]), f"DECIMAL({column['precision']}, {column['scale']})"
    elif kind == "timestamp":
        shape, sql_type = TIMESTAMP_SHAPE, "TIMESTAMPTZ"
    elif kind == "date":
        shape, sql_type = DATE_SHAPE, "DATE"
    else:
        shape, sql_type = (
            INTEGER_SHAPE,
            {"int8": "TINYINT", "int16": "SMALLINT", "int32": "INTEGER", "int64": "BIGINT"}[kind],
        )
    return f"CASE WHEN regexp_full_match({text}, {_literal(shape)}) THEN TRY_CAST({text} AS {sql_type}) END"


def _sql_reasons(column: dict) -> list[str]:
    name = column["name"]
    text, value = _ident(name + "__text"), _ident(name + "__value")
    reasons = []
    if column["required"]:
        reasons.append(f"CASE WHEN {text} IS NULL THEN {_literal(f'missing required {name}')} END")
    if column["type"] != "string":
        prefix = _literal(f"invalid {column['type']} for {name}: '")
        reasons.append(f"CASE WHEN {text} IS NOT NULL AND {value} IS NULL THEN {prefix} || {text} || '''' END")
    if column["accepted"] is not None:
        accepted = ", ".join(map(_literal, column["accepted"]))
        prefix = _literal(f"unexpected {name}: '")
        reasons.append(
            f"CASE WHEN {value} IS NOT NULL AND {value} NOT IN ({accepted}) THEN {prefix} || {text} || '''' END"
        )
    if column["min_value"] is not None:
        prefix = _literal(f"{name} below {format_min(column['min_value'])}: ")
        reasons.append(f"CASE WHEN {value} IS NOT NULL AND {value} < {column['min_value']} THEN {prefix} || {text} END")
    if column["max_value"] is not None:
        prefix = _literal(f"{name} above {format_min(column['max_value'])}: ")
        reasons.append(f"CASE WHEN {value} IS NOT NULL AND {value} > {column['max_value']} THEN {prefix} || {text} END")
    return reasons


def checked_sql(rules: dict, bronze: str, bronze_columns: list[str]) -> str:
    """Bronze with ``<col>__text``, ``<col>__value`` and ``_quarantine_reason``, as one query."""
    columns = rules["columns"]
    missing = [c["name"] for c in columns if c["name"] not in bronze_columns]
    source = ", ".join(["*", *(f"NULL::VARCHAR AS {_ident(n)}" for n in missing)])
    texts = ", ".join(f"{_sql_text(c)} AS {_ident(c['name'] + '__text')}" for c in columns)
    values = ", ".join(f"{_sql_value(c, rules)} AS {_ident(c['name'] + '__value')}" for c in columns)
    reasons = [r for c in columns for r in _sql_reasons(c)]
    reason = f"nullif(concat_ws('; ', {', '.join(reasons)}), '')" if reasons else "NULL::VARCHAR"
    return (
        f"WITH bronze AS (SELECT {source} FROM read_parquet({_literal(bronze)})),\n"
        f"texts AS (SELECT *, {texts} FROM bronze),\n"
        f"typed AS (SELECT *, {values} FROM texts)\n"
        f"SELECT *, {reason} AS {REASON} FROM typed"
    )


def quarantine_sql(bronze_columns: list[str]) -> str:
    raw = [c for c in bronze_columns if c not in LINEAGE]
    lineage = [c for c in LINEAGE if c in bronze_columns]
    select = ", ".join(_ident(c) for c in [*raw, *lineage, REASON])
    return f"SELECT {select} FROM checked WHERE {REASON} IS NOT NULL"


def silver_sql(rules: dict, bronze_columns: list[str]) -> str:
    lineage = [c for c in LINEAGE if c in bronze_columns]
    keys = [_ident(k + "__value") for k in rules["primary_key"]]
    order = [_ident(rules["ordering_column"] + "__value"), *(_ident(c) for c in TIE_BREAK if c in bronze_columns)]
    select = ", ".join(
        [*(f"{_ident(c['name'] + '__value')} AS {_ident(c['name'])}" for c in rules["columns"]), *map(_ident, lineage)]
    )
    return (
        f"SELECT {select} FROM checked WHERE {REASON} IS NULL "
        f"QUALIFY row_number() OVER (PARTITION BY {', '.join(keys)} "
        f"ORDER BY {', '.join(f'{o} DESC NULLS LAST' for o in order)}) = 1"
        + (f" ORDER BY {', '.join(f'{k} ASC NULLS FIRST' for k in keys)}" if SORT_SILVER_BY_KEY else "")
    )


def duckdb_clean(rules: dict, bronze: str, silver_path: str, quarantine_path: str, temp_dir: str | None = None) -> None:
    import duckdb

    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")  # a naive timestamp is UTC, as in the transform
        if temp_dir:
            con.execute(f"SET temp_directory = {_literal(temp_dir)}")
        bronze_columns = [
            row[0] for row in con.execute(f"DESCRIBE SELECT * FROM read_parquet({_literal(bronze)})").fetchall()
        ]
        # Materialised once for both outputs (raw text, typed values, reason), rather than a view
        # that each COPY recomputes: measured on 2M rows, ~10 s / 980 MB against 12-15 s / 630 MB.
        kept = list(dict.fromkeys([*bronze_columns, *(c["name"] + "__value" for c in rules["columns"]), REASON]))
        checked = checked_sql(rules, bronze, bronze_columns)
        con.execute(f"CREATE TEMP TABLE checked AS SELECT {', '.join(map(_ident, kept))} FROM ({checked})")
        options = "(FORMAT parquet, COMPRESSION zstd)"
        con.execute(f"COPY ({quarantine_sql(bronze_columns)}) TO {_literal(quarantine_path)} {options}")
        con.execute(f"COPY ({silver_sql(rules, bronze_columns)}) TO {_literal(silver_path)} {options}")
    finally:
        con.close()


# --- pandas ----------------------------------------------------------------------------------------


def _pandas_text(series, column: dict):
    import pandas as pd
    import pyarrow as pa

    text = series.astype(pd.ArrowDtype(pa.large_string())).str.strip(WHITESPACE)
    text = text.mask(text.eq("").fillna(False))
    if column["null_tokens"]:
        text = text.mask(text.isin(column["null_tokens"]).fillna(False))
    if column["case"] == "lower":
        text = text.str.lower()
    elif column["case"] == "upper":
        text = text.str.upper()
    return text


def _without_plus(shaped):
    """A leading ``+`` off (pyarrow's casts refuse it), on the few rows that have one."""
    plus = shaped.str.startswith("+").fillna(False)
    if plus.any():
        shaped = shaped.copy()
        shaped[plus] = shaped[plus].str.slice(1)
    return shaped


def _magnitude_digits(shaped):
    """The digits before any fraction, sign and leading zeros off (``"-007.5"`` -> ``"7"``)."""
    return shaped.str.replace(r"^[+-]?0*|\..*$", "", regex=True)


def _pandas_value(text, column: dict, rules: dict):
    import pandas as pd
    import pyarrow as pa

    kind = column["type"]
    if kind == "string":
        return text
    if kind == "boolean":
        lowered = text.str.lower()
        value = pd.Series(pd.NA, index=text.index, dtype=pd.ArrowDtype(pa.bool_()))
        value = value.mask(lowered.isin(rules["true"]).fillna(False), True)
        return value.mask(lowered.isin(rules["false"]).fillna(False), False)
    if kind in INTEGER_BITS:
        shaped = text.where(text.str.fullmatch(INTEGER_SHAPE).fillna(False))
        bound = str(2 ** (INTEGER_BITS[kind] - 1) - 1)
        # Texts shorter than the bound fit; only the long ones are compared digit by digit (the
        # negative bound's magnitude is the positive bound + 1).
        long = (shaped.str.len() >= len(bound)).fillna(False)
        if long.any():
            digits, negative = _magnitude_digits(shaped[long]), shaped[long].str.startswith("-")
            within = (digits <= bound) | (negative & (digits <= str(int(bound) + 1)))  # same length
            fits = (digits.str.len() < len(bound)) | ((digits.str.len() == len(bound)) & within)
            shaped = shaped.mask(long & ~fits.reindex(shaped.index, fill_value=True).astype(bool))
        value = _without_plus(shaped).astype(pd.ArrowDtype(pa.int64()))
        return value.astype(pd.ArrowDtype(getattr(pa, kind)()))
    if kind == "decimal":
        precision, scale = column["precision"], column["scale"]
        shaped = text.where(text.str.fullmatch(decimal_shape(scale)).fillna(False))
        # more integer digits than the precision leaves is invalid (the cast would fail), as in Polars
        long = (shaped.str.len() > precision - scale).fillna(False)
        if long.any():
            too_big = (_magnitude_digits(shaped[long]).str.len() > precision - scale).fillna(False)
            shaped = shaped.mask(too_big.reindex(shaped.index, fill_value=False).astype(bool))
        return _without_plus(shaped).astype(pd.ArrowDtype(pa.decimal128(precision, scale)))
    if kind == "timestamp":
        shaped = text.where(text.str.fullmatch(TIMESTAMP_SHAPE).fillna(False))
        parsed = pd.to_datetime(shaped, format="ISO8601", utc=True, errors="coerce")
        return parsed.dt.floor("us").astype(pd.ArrowDtype(pa.timestamp("us", tz="UTC")))
    if kind == "date":
        shaped = text.where(text.str.fullmatch(DATE_SHAPE).fillna(False))
        parsed = pd.to_datetime(shaped, format="%Y-%m-%d", errors="coerce")
        return parsed.astype(pd.ArrowDtype(pa.timestamp("us"))).astype(pd.ArrowDtype(pa.date32()))
    raise NotImplementedError(f"no pandas rule for {kind}")


def _pandas_reasons(text, value, column: dict) -> list:
    """``(failing rows, message)`` per rule, in rule order; messages built for the failing rows only."""
    name = column["name"]
    reasons = []
    if column["required"]:
        reasons.append((text.isna(), f"missing required {name}"))
    if column["type"] != "string":
        failing = text.notna() & value.isna()
        reasons.append((failing, lambda rows: f"invalid {column['type']} for {name}: '" + text[rows] + "'"))
    if column["accepted"] is not None:
        failing = value.notna() & ~value.isin(column["accepted"])
        reasons.append((failing, lambda rows: f"unexpected {name}: '" + text[rows] + "'"))
    if column["min_value"] is not None:
        failing = value.notna() & (value < column["min_value"])
        reasons.append((failing, lambda rows: f"{name} below {format_min(column['min_value'])}: " + text[rows]))
    if column["max_value"] is not None:
        failing = value.notna() & (value > column["max_value"])
        reasons.append((failing, lambda rows: f"{name} above {format_min(column['max_value'])}: " + text[rows]))
    return reasons


def pandas_clean(rules: dict, bronze: str, silver_path: str, quarantine_path: str) -> None:
    import pandas as pd
    import pyarrow as pa

    frame = pd.read_parquet(bronze, dtype_backend="pyarrow")
    bronze_columns = list(frame.columns)
    reason = pd.Series(pd.NA, index=frame.index, dtype=pd.ArrowDtype(pa.large_string()))
    values = {}
    for column in rules["columns"]:
        name = column["name"]
        raw = frame[name] if name in frame else pd.Series(pd.NA, index=frame.index, dtype=reason.dtype)
        text = _pandas_text(raw, column)
        value = values[name] = _pandas_value(text, column, rules)
        for failing, message in _pandas_reasons(text, value, column):
            rows = failing.fillna(False).astype(bool)
            if rows.any():
                text_of = message(rows) if callable(message) else message
                reason[rows] = (reason[rows] + "; " + text_of).fillna(text_of)
    failed = reason.notna()

    lineage = [c for c in LINEAGE if c in bronze_columns]
    raw_columns = [c for c in bronze_columns if c not in LINEAGE]
    quarantine = frame.loc[failed, [*raw_columns, *lineage]].assign(**{REASON: reason[failed]})
    quarantine.to_parquet(quarantine_path, compression="zstd", index=False)

    valid = pd.DataFrame({name: value[~failed] for name, value in values.items()})
    valid[lineage] = frame.loc[~failed, lineage]
    keys, ordering = rules["primary_key"], rules["ordering_column"]
    tie_break = [c for c in TIE_BREAK if c in lineage]
    latest = valid.sort_values(
        [*keys, ordering, *tie_break], ascending=[True] * len(keys) + [False] * (1 + len(tie_break)), na_position="last"
    ).drop_duplicates(subset=keys, keep="first")
    if SORT_SILVER_BY_KEY:
        latest = latest.sort_values(keys, na_position="first", kind="stable")
    latest.to_parquet(silver_path, compression="zstd", index=False)


# --- the Polars variants ---------------------------------------------------------------------------


def write_parquet(df, path) -> None:
    """What ``lake.storage.parquet_bytes`` writes (zstd, statistics), without importing Dagster
    into the process (the test checks the bytes are the same)."""
    df.write_parquet(path, compression="zstd", statistics=True)


def step_lake(outdir: Path, table: str, bronze: str):
    """A ``LocalLake`` under ``outdir`` holding ``bronze`` as the table's bronze partition."""
    import os
    import shutil

    from retail_platform.lake.paths import partition_file
    from retail_platform.lake.storage import LocalLake

    lake = LocalLake(root=str(outdir / "lake"))
    target = Path(lake.uri(partition_file("bronze", table, DAY)))
    target.parent.mkdir(parents=True, exist_ok=True)
    target.unlink(missing_ok=True)
    try:
        os.link(bronze, target)
    except OSError:
        shutil.copyfile(bronze, target)
    return lake


# --- one variant in this process -------------------------------------------------------------------


def peak_rss_mb() -> float:
    """This process's peak resident memory, MB. Linux's ``VmHWM`` rather than ``ru_maxrss``: the
    latter carries the parent's peak over fork + exec, so a child of a big parent reads big."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux, no /proc elsewhere
    kib = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:"))
    return kib / 1024


def peak_vm_mb() -> float | None:
    """This process's peak virtual memory (``VmPeak``), MB: what an address-space cap
    (``prlimit --as``, ``ulimit -v``) holds it to. None without ``/proc``."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return None
    return next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmPeak:")) / 1024


def variant_job(variant: str, rules: dict, bronze: str, outdir: Path, rows_per_bucket: int | None = None):
    """The variant as a function of no arguments returning ``(silver, quarantine, extra)``. Every
    import and the setup happen here, before the clock starts. ``rows_per_bucket``: the step's
    bucket size (default: the product's, ``lake.buckets.ROWS_PER_BUCKET``)."""
    if rows_per_bucket is not None and variant != "step":
        raise ValueError(f"--rows-per-bucket is for the step variant, not {variant!r}")
    silver, quarantine = str(outdir / "silver.parquet"), str(outdir / "quarantine.parquet")
    table = rules["table"]
    if variant == "floor":
        import polars as pl

        return lambda: (write_parquet(pl.read_parquet(bronze), silver), (silver, None, {}))[1]
    if variant == "polars":
        import polars as pl

        from retail_platform.sources.registry import table_spec
        from retail_platform.transforms.silver import clean

        spec = table_spec(table)

        def polars_variant():
            result = clean(spec, pl.scan_parquet(bronze))
            write_parquet(result.silver, silver)
            write_parquet(result.quarantine, quarantine)
            return silver, quarantine, {"rows_in": result.rows_in, "duplicates_removed": result.duplicates_removed}

        return polars_variant
    if variant == "step":
        from retail_platform.defs.lake.silver import clean_partition
        from retail_platform.lake.paths import cleaned_table, partition_file, quarantine_file
        from retail_platform.sources.registry import table_spec

        spec, lake = table_spec(table), step_lake(outdir, table, bronze)
        bucketing = {} if rows_per_bucket is None else {"rows_per_bucket": rows_per_bucket}

        def step_variant():
            # (result, metadata, checks) or (metadata, checks): the last two are what the asset reports
            *_, metadata, checks = clean_partition(lake, spec, DAY, **bucketing)
            return (
                lake.uri(partition_file("silver", cleaned_table(table, cdc=spec.cdc is not None), DAY)),
                lake.uri(quarantine_file(table, DAY)),
                {
                    "rows_in": metadata["rows_in"],
                    "rows_out": metadata["rows_out"],
                    "duplicates_removed": metadata["duplicates_removed"],
                    "rows_quarantined": metadata["rows_quarantined"],
                    "buckets": metadata.get("buckets", 1),  # the key is there only when bucketed
                    "checks": len(checks),
                    "checks_failed": [c.check_name for c in checks if not c.passed],
                },
            )

        return step_variant
    if variant == "duckdb":
        import duckdb  # noqa: F401  (imported outside the clock)

        temp_dir = str(outdir / "duckdb_tmp")
        return lambda: (duckdb_clean(rules, bronze, silver, quarantine, temp_dir), (silver, quarantine, {}))[1]
    if variant == "pandas":
        import pandas  # noqa: F401
        import pyarrow.parquet  # noqa: F401

        return lambda: (pandas_clean(rules, bronze, silver, quarantine), (silver, quarantine, {}))[1]
    raise ValueError(f"unknown variant {variant!r}; expected one of {VARIANTS}")


def run_variant(
    variant: str, bronze: str, outdir: Path, rules_path: str | None, rows_per_bucket: int | None = None
) -> dict:
    outdir.mkdir(parents=True, exist_ok=True)
    for stale in ("silver.parquet", "quarantine.parquet", "result.json"):
        (outdir / stale).unlink(missing_ok=True)
    job = variant_job(variant, load_rules(rules_path), bronze, outdir, rows_per_bucket)
    rss_before = peak_rss_mb()
    started = time.perf_counter()
    silver, quarantine, extra = job()
    seconds = time.perf_counter() - started
    result = {
        "variant": variant,
        "seconds": seconds,
        "rss_mb": round(peak_rss_mb(), 1),
        "vm_peak_mb": round(peak_vm_mb() or 0, 1) or None,
        # what the process held before reading bronze (interpreter and imports)
        "rss_before_mb": round(rss_before, 1),
        "silver": silver,
        "quarantine": quarantine,
        **extra,
    }
    (outdir / "result.json").write_text(json.dumps(result, indent=2))
    return result


# --- the variants agree ---------------------------------------------------------------------------


class VariantMismatch(AssertionError):
    """A variant's silver or quarantine differs from the Polars transform's."""


def _differences(expected, actual, on: list[str], limit: int = 5) -> str:
    """Rows of each side missing from the other (all values as text), at most ``limit`` each."""
    import polars as pl

    as_text = [pl.col(c).cast(pl.String) for c in on]
    left, right = expected.select(as_text), actual.select(as_text)
    only_expected = left.join(right, on=on, how="anti", nulls_equal=True)
    only_actual = right.join(left, on=on, how="anti", nulls_equal=True)
    with pl.Config(tbl_cols=-1, tbl_width_chars=200, fmt_str_lengths=80):
        return (
            f"{only_expected.height} row(s) only in polars, e.g.\n{only_expected.head(limit)}\n"
            f"{only_actual.height} row(s) only in the variant, e.g.\n{only_actual.head(limit)}"
        )


def assert_same_table(expected, actual, *, what: str, variant: str, order_by: list[str]) -> None:
    """Same columns, dtypes and rows (compared in ``order_by`` order), else ``VariantMismatch``."""
    from polars.testing import assert_frame_equal

    if expected.schema != actual.schema:
        raise VariantMismatch(f"{variant} {what}: schema {dict(actual.schema)} != polars {dict(expected.schema)}")
    ordered = [expected.sort(order_by, nulls_last=False), actual.sort(order_by, nulls_last=False)]
    try:
        assert_frame_equal(*ordered, check_exact=True)
    except AssertionError as error:
        raise VariantMismatch(
            f"{variant} {what} differs from polars ({actual.height:,} vs {expected.height:,} rows): "
            f"{str(error).splitlines()[0]}\n{_differences(*ordered, on=expected.columns)}"
        ) from None


def assert_same_outputs(expected_silver, expected_quarantine, silver, quarantine, *, keys, variant: str) -> None:
    """A variant's silver and quarantine equal the Polars transform's: the same rows, values and
    dtypes (compared in key order, whatever order each wrote), the same quarantined lineage and
    reasons."""
    lineage = [c for c in TIE_BREAK if c in expected_silver.columns]
    assert_same_table(expected_silver, silver, what="silver", variant=variant, order_by=[*keys, *lineage])
    assert_same_table(expected_quarantine, quarantine, what="quarantine", variant=variant, order_by=list(TIE_BREAK))


# --- the bronze input ------------------------------------------------------------------------------


def generated_bronze(rows: int):
    """One day of the table from the project's generator and bronze parser, ``rows`` rows."""
    from datetime import UTC, date, datetime

    from retail_platform.sources.generator import generate_day
    from retail_platform.sources.registry import table_spec
    from retail_platform.transforms.bronze import read_raw_text, to_bronze

    spec = table_spec(TABLE)
    volume = rows  # ~ POS lines per day; what comes out is close to it, above or below
    for _ in range(3):
        (landed,) = [f for f in generate_day(date.fromisoformat(DAY), volume=volume) if f.table == spec.table]
        raw = read_raw_text(landed.content, spec.file_format)
        bronze = to_bronze(raw, source_file=landed.name, ingested_at=datetime(2026, 11, 5, tzinfo=UTC))
        if bronze.height >= rows:
            return bronze.head(rows)
        volume = math.ceil(volume * rows / max(bronze.height, 1) * 1.02)
    raise RuntimeError(f"the generator made {bronze.height:,} {TABLE} rows at volume {volume:,}; {rows:,} needed")


def replicated(base, rows: int):
    """``base`` stacked until ``rows`` rows, each copy with its own transaction ids and source file
    (so keys stay distinct and duplicates stay within their copy)."""
    import polars as pl

    copies = [
        base if k == 0 else base.with_columns(pl.col("transaction_id") + f"-r{k}", pl.col("_source_file") + f"-r{k}")
        for k in range(math.ceil(rows / base.height))
    ]
    return pl.concat(copies).head(rows)


def replicated_lazily(base_path: Path, rows: int):
    """``replicated`` as a query on the base file, for a sink: the same rows, in the same order,
    without the whole result in memory (a day larger than memory is made this way)."""
    import polars as pl

    base_rows = pl.scan_parquet(base_path).select(pl.len()).collect().item()
    base = pl.scan_parquet(base_path)
    copies = [
        base if k == 0 else base.with_columns(pl.col("transaction_id") + f"-r{k}", pl.col("_source_file") + f"-r{k}")
        for k in range(math.ceil(rows / base_rows))
    ]
    return pl.concat(copies).head(rows)


def prepare(rows: int, path: Path, streamed: bool = False) -> None:
    """Write the bronze file of ``rows`` rows (reused if it is already there with that many).
    ``streamed``: a size above the base is replicated by a streaming sink (``replicated_lazily``),
    never whole in memory; the same rows, in other row groups."""
    import polars as pl

    if path.exists() and pl.scan_parquet(path).select(pl.len()).collect().item() == rows:
        print(f"  reusing {path}")
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    if rows <= BASE_ROWS:
        frame = generated_bronze(rows)
    else:
        base_path = path.with_name(f"bronze_{TABLE}_{BASE_ROWS}.parquet")
        prepare(BASE_ROWS, base_path)
        if streamed:
            tmp = path.with_name(f".{path.name}.tmp")  # a stopped sink leaves no file of the wrong size
            replicated_lazily(base_path, rows).sink_parquet(tmp, compression="zstd", statistics=True)
            tmp.replace(path)
            return
        frame = replicated(pl.read_parquet(base_path), rows)
    write_parquet(frame, str(path))  # as the lake writes bronze


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("variant", choices=[*VARIANTS, "prepare"])
    parser.add_argument("bronze", help="<rows> for prepare, else the bronze Parquet file")
    parser.add_argument("out", help="the bronze file to write (prepare), else the output folder")
    parser.add_argument("--rules", help="rules JSON (rules_from_spec); default: from the registry")
    parser.add_argument("--rows-per-bucket", type=int, help="step only: rows cleaned in memory at once")
    parser.add_argument("--streamed", action="store_true", help="prepare only: replicate by a streaming sink")
    args = parser.parse_args(argv)
    if args.variant == "prepare":
        prepare(int(args.bronze), Path(args.out), streamed=args.streamed)
        return
    result = run_variant(args.variant, args.bronze, Path(args.out), args.rules, args.rows_per_bucket)
    print(json.dumps(result))


if __name__ == "__main__":
    sys.exit(main())
