"""Asset keys of the lake objects: they mirror the lake path (``["silver", "orders"]``)."""

import dagster as dg

from retail_platform.lake.paths import cleaned_table
from retail_platform.sources.registry import TableSpec


def landing_key(spec: TableSpec) -> dg.AssetKey:
    return dg.AssetKey(["landing", spec.table])


def bronze_key(spec: TableSpec) -> dg.AssetKey:
    return dg.AssetKey(["bronze", spec.table])


def silver_key(table: str) -> dg.AssetKey:
    return dg.AssetKey(["silver", table])


def cleaned_key(spec: TableSpec) -> dg.AssetKey:
    """Where a bronze table's cleaned rows go: the table itself, or a CDC table's change history."""
    return silver_key(cleaned_table(spec.table, cdc=spec.cdc is not None))


def gold_key(dataset: str) -> dg.AssetKey:
    return dg.AssetKey(["gold", dataset])


def warehouse_key(layer: str, table: str) -> dg.AssetKey:
    return dg.AssetKey(["warehouse", layer, table])
