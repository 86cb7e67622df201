"""Yesterday's partition of a self-dependent lake object (the CDC state, the order lifecycle)."""

from datetime import date, timedelta

import dagster as dg
import polars as pl

from retail_platform.lake.paths import partition_file
from retail_platform.lake.storage import LakeResource

# How far back a self-dependent asset looks for an earlier state before treating a day as the first.
GAP_LOOKBACK_DAYS = 31


def read_previous_partition(
    lake: LakeResource, bronze_table: str, table: str, day: str, previous: str, layer: str = "silver"
) -> pl.DataFrame | None:
    """Yesterday's partition of ``layer/table``, or None when there is nothing before this day (the
    first landed day). Missing while yesterday was landed (``bronze/<bronze_table>`` has it), or
    while an earlier partition exists (a gap), is an error: starting from empty would silently drop
    every row not touched today."""
    path = partition_file(layer, table, previous)
    if lake.exists(path):
        return lake.read_parquet(path)
    if lake.exists(partition_file("bronze", bronze_table, previous)):
        raise dg.Failure(
            f"{layer}/{table} for {day} needs yesterday's partition ({previous}), which is missing at "
            f"{lake.uri(path)} although bronze/{bronze_table} has data for {previous}. "
            f"Materialize {layer}/{table} for {previous} first (or backfill the range in order)."
        )
    earlier = date.fromisoformat(previous)
    for _ in range(GAP_LOOKBACK_DAYS):
        earlier -= timedelta(days=1)
        if lake.exists(partition_file(layer, table, earlier.isoformat())):
            raise dg.Failure(
                f"{layer}/{table} for {day} needs yesterday's partition ({previous}), but the state stops at "
                f"{earlier}: days {earlier + timedelta(days=1)} .. {previous} are missing. Backfill them in order "
                f"(landing through {layer}/{table}) before {day}."
            )
    return None
