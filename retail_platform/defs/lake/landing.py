"""Landing: the source systems' raw exports.

Locally the sources are simulated: one step runs the deterministic generator for each day and
drops each table's file where the real export would land. Re-landing a day writes identical
bytes and leaves existing identical files untouched, so bronze lineage stays stable.
"""

import dagster as dg

from retail_platform.lake.keys import landing_key
from retail_platform.lake.metadata import IO_RETRY_POLICY
from retail_platform.lake.paths import partition_dir
from retail_platform.lake.ranges import RANGE_BACKFILL, DailyResults, step_days
from retail_platform.lake.storage import LakeResource
from retail_platform.partitions import daily_partitions
from retail_platform.sources.registry import TABLES
from retail_platform.sources.simulator import SourceSimulator


@dg.multi_asset(
    name="source_systems",
    specs=[
        dg.AssetSpec(
            landing_key(spec),
            group_name="landing",
            description=f"{spec.description} Raw {spec.file_format} files as exported by `{spec.source}`.",
            kinds={spec.file_format},
            metadata={"source": spec.source, "file_format": spec.file_format},
        )
        for spec in TABLES
    ],
    partitions_def=daily_partitions,
    backfill_policy=RANGE_BACKFILL,
    can_subset=True,
    retry_policy=IO_RETRY_POLICY,
)
def source_systems(context: dg.AssetExecutionContext, lake: LakeResource, sources: SourceSimulator):
    """Every source system's export for each day of the step (simulated), one day at a time."""
    daily = DailyResults(context)
    for day in step_days(context):
        by_table: dict[str, list] = {}
        for landed in sources.export_day(day):
            by_table.setdefault(landed.table, []).append(landed)
        for spec in TABLES:
            if landing_key(spec) not in context.selected_asset_keys:
                continue
            directory = partition_dir("landing", spec.table, day, source=spec.source)
            files = by_table.get(spec.table, [])
            written = sum(lake.write_bytes(f"{directory}/{f.name}", f.content) for f in files)
            metadata = {
                "files": len(files),
                "files_written": written,
                "bytes": sum(len(f.content) for f in files),
                "dagster/uri": lake.uri(directory),
                "seed": sources.seed,
                "volume": sources.volume,
            }
            daily.materialized(landing_key(spec), day, metadata)
    yield from daily.events()
