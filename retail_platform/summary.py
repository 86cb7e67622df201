"""A short text summary of what the lake holds for some days (printed by the headless runner)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl

from retail_platform.deployments import data_dir
from retail_platform.lake.paths import partition_file, quarantine_file
from retail_platform.sources.registry import TABLES


def _rows(root: Path, keys: list[str]) -> int:
    # File by file: schemas may differ between days (bronze keeps drifted columns).
    return sum(pl.scan_parquet(root / k).select(pl.len()).collect().item() for k in keys if (root / k).exists())


def lake_summary(days: list[date]) -> str:
    root = data_dir() / "lake"
    lines = [f"{'table':<24}{'bronze':>10}{'silver':>10}{'quarantined':>13}{'dup+old':>10}"]
    for spec in TABLES:
        table = f"{spec.table}_history" if spec.cdc else spec.table
        bronze = _rows(root, [partition_file("bronze", spec.table, d) for d in days])
        silver = _rows(root, [partition_file("silver", table, d) for d in days])
        quarantined = _rows(root, [quarantine_file(spec.table, d) for d in days])
        lines.append(f"{spec.table:<24}{bronze:>10}{silver:>10}{quarantined:>13}{bronze - silver - quarantined:>10}")
    for dataset in ("sales", "order_lifecycle", "inventory_position"):
        last = _rows(root, [partition_file("gold", dataset, days[-1])])
        lines.append(f"gold/{dataset:<19}{last:>10} rows on {days[-1]}")
    lines.append(f"lake: {root}")
    return "\n".join(lines)
