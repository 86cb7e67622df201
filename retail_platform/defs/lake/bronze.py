"""Bronze: the day's landing files as Parquet, every value as text, with lineage. One asset per
source table, generated from the registry."""

import time
from datetime import UTC, datetime

import dagster as dg
import polars as pl

from retail_platform.lake.keys import bronze_key, landing_key
from retail_platform.lake.metadata import IO_RETRY_POLICY, table_metadata
from retail_platform.lake.paths import partition_dir, partition_file
from retail_platform.lake.ranges import RANGE_BACKFILL, DailyResults, step_days
from retail_platform.lake.storage import LakeResource
from retail_platform.partitions import daily_partitions
from retail_platform.sources.registry import TABLES, TableSpec
from retail_platform.transforms.bronze import LINEAGE_COLUMNS, concat_bronze, read_raw_text, to_bronze


def read_landing_partition(lake: LakeResource, spec: TableSpec, day: str) -> tuple[pl.DataFrame, list[str]]:
    """All landing files of one table and day, stacked, with lineage columns."""
    directory = partition_dir("landing", spec.table, day, source=spec.source)
    keys = lake.list_files(directory)
    if not keys:
        raise dg.Failure(
            f"No landing files for {spec.table} on {day} under {lake.uri(directory)}. "
            f"Land the day first (materialize landing/{spec.table} for partition {day}) "
            "or check that the source export arrived.",
            allow_retries=False,  # retrying in seconds will not make the export arrive
        )
    frames = []
    for key in keys:
        try:
            raw = read_raw_text(lake.read_bytes(key), spec.file_format)
        except Exception as exc:  # any parser error: name the file and the way out
            raise dg.Failure(
                f"Cannot read landing file {lake.uri(key)} ({spec.file_format}) for {spec.table}, "
                f"partition {day}: {exc}. Fix or remove the file, then re-materialize bronze/{spec.table} "
                f"for {day}.",
                allow_retries=False,  # the same bytes will fail the same way
            ) from exc
        # The file's landing time, not the wall clock: re-running bronze gives identical output.
        landed = datetime.fromtimestamp(lake.last_modified(key), tz=UTC)
        frames.append(to_bronze(raw, source_file=key, ingested_at=landed))
    return concat_bronze(frames), keys


def build_bronze_asset(spec: TableSpec) -> dg.AssetsDefinition:
    @dg.asset(
        key=bronze_key(spec),
        deps=[landing_key(spec)],
        partitions_def=daily_partitions,
        backfill_policy=RANGE_BACKFILL,
        group_name="bronze",
        kinds={"polars", "parquet"},
        retry_policy=IO_RETRY_POLICY,
        description=f"Raw `{spec.table}` rows as text with lineage columns (`_source_file`, "
        "`_row_number`, `_ingested_at`). Nothing dropped.",
    )
    def _bronze(context: dg.AssetExecutionContext, lake: LakeResource):
        daily = DailyResults(context)
        for day in step_days(context):
            started = time.monotonic()
            frame, files = read_landing_partition(lake, spec, day.isoformat())
            key = partition_file("bronze", spec.table, day.isoformat())
            size = lake.write_parquet(key, frame)
            undeclared = sorted(set(frame.columns) - set(spec.column_names) - set(LINEAGE_COLUMNS))
            missing = sorted(set(spec.column_names) - set(frame.columns))
            metadata = {
                **table_metadata(frame, uri=lake.uri(key), size_bytes=size, started=started),
                "rows": frame.height,
                "source_files": len(files),
                "undeclared_columns": ", ".join(undeclared) or "none",
                "missing_columns": ", ".join(missing) or "none",
            }
            daily.materialized(bronze_key(spec), day, metadata)
        yield from daily.events()

    return _bronze


bronze_assets = [build_bronze_asset(spec) for spec in TABLES]
