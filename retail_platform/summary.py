"""A short text summary of what the lake holds for some days (printed by the headless runner)."""

from datetime import date

from retail_platform.lake.paths import GOLD_DATASETS, cleaned_table, partition_file, quarantine_file
from retail_platform.lake.storage import LakeResource
from retail_platform.sources.registry import TABLES


def _rows(lake: LakeResource, keys: list[str]) -> int:
    # File by file: schemas may differ between days (bronze keeps drifted columns).
    return sum(lake.read_parquet(k).height for k in keys if lake.exists(k))


def lake_summary(lake: LakeResource, days: list[date]) -> str:
    lines = [f"{'table':<24}{'bronze':>10}{'silver':>10}{'quarantined':>13}{'dup+old':>10}"]
    for spec in TABLES:
        table = cleaned_table(spec.table, cdc=spec.cdc is not None)
        bronze = _rows(lake, [partition_file("bronze", spec.table, d) for d in days])
        silver = _rows(lake, [partition_file("silver", table, d) for d in days])
        quarantined = _rows(lake, [quarantine_file(spec.table, d) for d in days])
        lines.append(f"{spec.table:<24}{bronze:>10}{silver:>10}{quarantined:>13}{bronze - silver - quarantined:>10}")
    for dataset in GOLD_DATASETS:
        last = _rows(lake, [partition_file("gold", dataset, days[-1])])
        lines.append(f"gold/{dataset:<19}{last:>10} rows on {days[-1]}")
    lines.append(f"lake: {lake.uri('')}")
    return "\n".join(lines)
