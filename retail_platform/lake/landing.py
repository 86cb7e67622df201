"""Landing: the source systems' raw exports.

Locally the sources are simulated: one step runs the deterministic generator for the day and
drops each table's file where the real export would land. Re-landing a day writes identical
bytes and leaves existing identical files untouched, so bronze lineage stays stable.
"""

import dagster as dg

from retail_platform.lake.common import IO_RETRY_POLICY, partition_day
from retail_platform.lake.paths import partition_dir
from retail_platform.lake.storage import LakeResource
from retail_platform.partitions import daily_partitions
from retail_platform.sources.registry import TABLES, TableSpec


def landing_key(spec: TableSpec) -> dg.AssetKey:
    return dg.AssetKey(["landing", spec.table])


class SourceSimulator(dg.ConfigurableResource):
    """Seed and volume of the synthetic source systems (``RETAIL_SEED``, ``RETAIL_VOLUME``)."""

    seed: int = 7
    volume: int = 1000


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
    can_subset=True,
    retry_policy=IO_RETRY_POLICY,
)
def source_systems(context: dg.AssetExecutionContext, lake: LakeResource, sources: SourceSimulator):
    """Every source system's export for the day (simulated)."""
    # Imported here: Faker is only needed by the step that simulates the sources.
    from retail_platform.sources.generator import generate_day

    day = partition_day(context)
    specs = {spec.table: spec for spec in TABLES}
    files = generate_day(day, seed=sources.seed, volume=sources.volume)
    by_table: dict[str, list] = {}
    for landed in files:
        by_table.setdefault(landed.table, []).append(landed)
    for table, spec in specs.items():
        if landing_key(spec) not in context.selected_asset_keys:
            continue
        directory = partition_dir("landing", table, day, source=spec.source)
        written = sum(lake.write_bytes(f"{directory}/{f.name}", f.content) for f in by_table.get(table, []))
        yield dg.MaterializeResult(
            asset_key=landing_key(spec),
            metadata={
                "files": len(by_table.get(table, [])),
                "files_written": written,
                "bytes": sum(len(f.content) for f in by_table.get(table, [])),
                "dagster/uri": lake.uri(directory),
                "seed": sources.seed,
                "volume": sources.volume,
            },
        )
