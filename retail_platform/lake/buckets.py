"""A partition larger than memory, cleaned in key-hash buckets.

Every version of a key lands in the same bucket, so each bucket is deduplicated on its own and
the buckets' silver rows never share a key: one bucket in memory at a time, the same rows as one
pass over the whole partition. The bronze file is scanned once per bucket on the streaming engine
(a filter on the key's hash), so no bucket files are written first.
"""

from collections.abc import Iterator, Sequence
from pathlib import Path

import dagster as dg
import polars as pl

from retail_platform.sources.registry import TableSpec
from retail_platform.transforms.silver import key_hash

# Rows cleaned in memory at once. The whole silver step peaks at ~0.5 GB per million POS lines
# (bench/run.py): 4M rows keep a bucket near 2 GB.
ROWS_PER_BUCKET = 4_000_000


def bucket_count(rows: int, rows_per_bucket: int = ROWS_PER_BUCKET) -> int:
    return max(1, -(-rows // rows_per_bucket))


def parquet_rows(path: Path) -> int:
    """Rows of a Parquet file, from its footer."""
    return pl.scan_parquet(path).select(pl.len()).collect().item()


def key_buckets(spec: TableSpec, path: Path, buckets: int) -> Iterator[pl.DataFrame]:
    """The rows of the Parquet file at ``path``, bucket by bucket (by the hash of the primary key)."""
    # by the key as silver types it: the versions of one key may be written differently in bronze
    bucket = key_hash(spec, pl.scan_parquet(path).collect_schema().names()) % buckets
    for number in range(buckets):
        # one chunk per column: the streaming engine returns hundreds, and later gathers on
        # hundreds of string-view chunks crashed Polars 2.1 (binview `i < self.len()`)
        yield pl.scan_parquet(path).filter(bucket == number).collect(engine="streaming").rechunk()


def merged_check_results(per_bucket: Sequence[Sequence[dg.AssetCheckResult]]) -> list[dg.AssetCheckResult]:
    """One result per check over all buckets: passed if every bucket passed, counts added up.
    (Keys never span buckets, so per-bucket duplicate and orphan counts add up exactly.)"""
    merged = []
    for results in zip(*per_bucket, strict=True):
        first = results[0]
        metadata = dict(first.metadata)
        for name in first.metadata:
            values = [getattr(r.metadata[name], "value", r.metadata[name]) for r in results]
            if isinstance(values[0], int) and not isinstance(values[0], bool):
                metadata[name] = sum(values)
            elif isinstance(values[0], dict):  # e.g. unexpected values: {column: {value: rows}}
                metadata[name] = dg.MetadataValue.json(_added(values))
        metadata["buckets"] = len(results)
        merged.append(
            dg.AssetCheckResult(
                check_name=first.check_name,
                asset_key=first.asset_key,
                passed=all(r.passed for r in results),
                metadata=metadata,
            )
        )
    return merged


def _added(counts: Sequence[dict]) -> dict:
    """Nested ``{name: count}`` mappings added up."""
    total: dict = {}
    for mapping in counts:
        for name, value in mapping.items():
            total[name] = (
                _added([total.get(name, {}), value]) if isinstance(value, dict) else total.get(name, 0) + value
            )
    return total
