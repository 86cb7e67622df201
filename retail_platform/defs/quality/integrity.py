"""Referential integrity between lake objects of the same day: separate check steps, they read
the parent asset too. Blocking: a row pointing nowhere is lost (or mis-attributed) by every join
downstream."""

from dataclasses import dataclass

import dagster as dg
import polars as pl

from retail_platform.automation.conditions import daily_check
from retail_platform.lake.paths import partition_file, quarantine_file
from retail_platform.lake.ranges import DailyResults, step_days
from retail_platform.lake.storage import LakeResource
from retail_platform.partitions import daily_partitions
from retail_platform.quality import rules
from retail_platform.quality.checks import partitioned_checks
from retail_platform.sources.registry import TABLES

REFERENTIAL_INTEGRITY = "referential_integrity"


@dataclass(frozen=True)
class Reference:
    child: tuple[str, str]  # (layer, table)
    column: str
    parent: tuple[str, str]
    quarantine_of: str  # the bronze table whose quarantine explains a missing parent
    parent_column: str | None = None


REFERENCES: tuple[Reference, ...] = (
    # Declared in the registry: silver child -> silver parent of the same day.
    *(
        Reference(("silver", spec.table), column, ("silver", parent), parent)
        for spec in TABLES
        for column, parent in spec.foreign_keys.items()
    ),
    # Items of an order must belong to an order in the day's orders state.
    Reference(("silver", "order_items"), "order_id", ("silver", "orders"), "orders"),
    # Every sale line must name a product of the day's catalog (products land as a full export).
    Reference(("gold", "sales"), "product_id", ("silver", "products"), "products"),
)


def _read_if_exists(lake: LakeResource, key: str) -> pl.DataFrame | None:
    return lake.read_parquet(key) if lake.exists(key) else None


def reference_check(ref: Reference) -> dg.AssetChecksDefinition:
    child_key, parent_key = dg.AssetKey(list(ref.child)), dg.AssetKey(list(ref.parent))
    name = f"{REFERENTIAL_INTEGRITY}_{ref.column}"

    def check(context: dg.AssetCheckExecutionContext, lake: LakeResource):
        daily = DailyResults(context)
        for day in step_days(context):
            counts = rules.orphans(
                lake.read_parquet(partition_file(*ref.child, day.isoformat())),
                lake.read_parquet(partition_file(*ref.parent, day.isoformat())),
                ref.column,
                parent_column=ref.parent_column,
                quarantined_parent=_read_if_exists(lake, quarantine_file(ref.quarantine_of, day.isoformat())),
            )
            daily.checked(
                day,
                [dg.AssetCheckResult(passed=counts["orphans"] == 0, metadata=counts)],
                check_key=dg.AssetCheckKey(child_key, name),
            )
        yield from daily.events()

    # Partitioned on purpose: a result per day, and a failed day named in the UI.
    with partitioned_checks():
        return dg.asset_check(
            asset=child_key,
            name=name,
            additional_deps=[parent_key],
            partitions_def=daily_partitions,
            blocking=True,
            # A separate check step runs under automation only with a condition of its own: with
            # its asset's day, and what is downstream waits for it (blocking).
            automation_condition=daily_check(),
            description=f"every `{ref.column}` of {child_key.to_user_string()} exists in "
            f"{parent_key.to_user_string()} of the same day (a parent quarantined that day is reported, not failed)",
        )(check)


referential_integrity_checks = [reference_check(ref) for ref in REFERENCES]
