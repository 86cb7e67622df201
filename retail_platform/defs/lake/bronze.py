"""Bronze: the day's landing files as Parquet, every value as text, with lineage. One asset per
source table, generated from the registry.

Every file found in the day's landing folder is either read or reported as skipped with the
reason (metadata ``skipped_files`` and a warning in the run log); a file that cannot be read, or
another day's export in this day's folder, fails the step with the file, the line, the partition
and the way out."""

import time
from dataclasses import dataclass
from datetime import UTC, date, datetime

import dagster as dg
import polars as pl

from retail_platform.lake.keys import bronze_key, landing_key
from retail_platform.lake.metadata import IO_RETRY_POLICY, table_metadata
from retail_platform.lake.paths import partition_dir, partition_file
from retail_platform.lake.ranges import RANGE_BACKFILL, DailyResults, step_days
from retail_platform.lake.storage import LakeResource
from retail_platform.partitions import daily_partitions
from retail_platform.sources.registry import TABLES, TableSpec
from retail_platform.transforms.bronze import (
    LINEAGE_COLUMNS,
    MalformedFileError,
    concat_bronze,
    loose_folder_day,
    misdated,
    partition_folder_problem,
    read_landing_file,
    skip_reason,
    to_bronze,
)


@dataclass(frozen=True)
class ReadFile:
    key: str
    rows: int
    encoding: str
    compression: str | None = None
    empty: str | None = None  # why it holds no data rows


@dataclass(frozen=True)
class SkippedFile:
    key: str
    reason: str
    action: str


@dataclass(frozen=True)
class LandingRead:
    """One day's landing folder as bronze saw it: the rows, the files read, the files skipped."""

    frame: pl.DataFrame
    read: list[ReadFile]
    skipped: list[SkippedFile]


def _name(key: str) -> str:
    return key.rsplit("/", 1)[-1]


def read_landing_partition(lake: LakeResource, spec: TableSpec, day: str) -> LandingRead:
    """All landing files of one table and day, stacked, with lineage columns."""
    directory = partition_dir("landing", spec.table, day, source=spec.source)
    redo = f"re-materialize bronze/{spec.table} for {day}"
    found = lake.list_files(directory, include_hidden=True)
    skipped = [
        SkippedFile(key, skip.reason, f"{skip.action}; then {redo}")
        for key in found
        if (skip := skip_reason(_name(key), spec.file_format))
    ]
    skipped += [
        SkippedFile(
            folder,
            "a folder: bronze reads only the files directly in the partition folder",
            f"move the export's files up into {lake.uri(directory)}/, then {redo}",
        )
        for folder in lake.list_folders(directory)
    ]
    keys = [key for key in found if skip_reason(_name(key), spec.file_format) is None]
    _refuse_other_days(lake, spec, day, directory, keys)
    if not keys:
        raise dg.Failure(_no_files_message(lake, spec, day, directory, skipped), allow_retries=False)
    frames, read = [], []
    for key in keys:
        content = lake.read_bytes(key)
        try:
            raw = read_landing_file(content, spec.file_format)
        except Exception as exc:  # any parser error: name the file, the line and the way out
            line = exc.line if isinstance(exc, MalformedFileError) else None
            reason = str(exc) if isinstance(exc, MalformedFileError) else _first_line(exc)
            raise dg.Failure(
                f"Cannot read landing file {lake.uri(key)} ({spec.file_format}) for {spec.table}, "
                f"partition {day}: {reason}. Fix or remove the file, then re-materialize bronze/{spec.table} "
                f"for {day}.",
                metadata={"file": lake.uri(key), "partition": day, **({"line": line} if line else {})},
                allow_retries=False,  # the same bytes will fail the same way
            ) from exc
        # The file's landing time, not the wall clock: re-running bronze gives identical output.
        landed = datetime.fromtimestamp(lake.last_modified(key), tz=UTC)
        frames.append(to_bronze(raw.frame, source_file=key, ingested_at=landed))
        read.append(ReadFile(key, raw.frame.height, raw.encoding, raw.compression, raw.empty))
    return LandingRead(concat_bronze(frames), read, skipped)


def _first_line(exc: Exception) -> str:
    # A parser's hints name options users cannot set: its first line only.
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _refuse_other_days(lake: LakeResource, spec: TableSpec, day: str, directory: str, keys: list[str]) -> None:
    """Another day's export in this day's folder fails the step: read as this day's rows it would
    double that day in gold (or be filtered out of it), and which of the two days is wrong is for a
    person to say."""
    wrong = [(key, dates) for key in keys if (dates := misdated(_name(key), date.fromisoformat(day)))]
    if not wrong:
        return
    lines = []
    for key, dates in wrong:
        other = dates[0].isoformat()
        target = partition_dir("landing", spec.table, other, source=spec.source)
        lines.append(
            f"- {lake.uri(key)}: its name carries {', '.join(d.isoformat() for d in dates)}, but it is in the "
            f"partition folder dt={day}. If it is {other}'s export, move it to {lake.uri(target)}/ and materialize "
            f"bronze/{spec.table} for {other}; if it holds {day}'s rows, put {day.replace('-', '')} in its name."
        )
    raise dg.Failure(
        f"Landing files of another day in {lake.uri(directory)} ({spec.table}, partition {day}); bronze does "
        "not read another day's export as this day's rows:\n" + "\n".join(lines) + f"\nThen re-materialize "
        f"bronze/{spec.table} for {day}.",
        metadata={"files": ", ".join(lake.uri(k) for k, _ in wrong), "partition": day},
        allow_retries=False,
    )


def _no_files_message(lake: LakeResource, spec: TableSpec, day: str, directory: str, skipped: list[SkippedFile]) -> str:
    if skipped:
        listed = "; ".join(f"{_name(s.key)} ({s.reason})" for s in skipped)
        head = (
            f"No landing files for {spec.table} on {day} that bronze can read under {lake.uri(directory)}: "
            f"{len(skipped)} skipped: {listed}. Fix the names (or land the export), then re-materialize "
            f"bronze/{spec.table} for {day}."
        )
    else:
        head = (
            f"No landing files for {spec.table} on {day} under {lake.uri(directory)}. "
            f"Land the day first (materialize landing/{spec.table} for partition {day}) "
            "or check that the source export arrived."
        )
    # An export landed under a malformed folder name for this day (dt=2026-3-2, date=2026-03-02).
    table_dir = directory.rsplit("/", 1)[0]
    misnamed = [
        folder
        for folder in lake.list_folders(table_dir)
        if partition_folder_problem(_name(folder)) and loose_folder_day(_name(folder)) == date.fromisoformat(day)
    ]
    if misnamed:
        head += " " + " ".join(
            f"The folder {lake.uri(f)} looks like this day: rename it to {directory.rsplit('/', 1)[-1]}."
            for f in misnamed
        )
    return head if skipped else f"{head} Then re-materialize bronze/{spec.table} for {day}."


def _markdown(header: tuple[str, ...], rows: list[tuple[object, ...]]) -> dg.MetadataValue:
    if not rows:
        return dg.MetadataValue.md("_none_")
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(v).replace("|", "\\|") for v in row) + " |" for row in rows]
    return dg.MetadataValue.md("\n".join(lines))


def landing_metadata(landing: LandingRead) -> dict[str, object]:
    """What bronze read and what it did not: every file of the folder is in one of the tables."""
    read_rows = [
        (_name(f.key), f.rows, f.encoding, ", ".join(filter(None, [f.compression, f.empty])) or "")
        for f in landing.read
    ]
    return {
        "source_files": len(landing.read),
        "files": _markdown(("file", "rows", "encoding", "note"), read_rows),
        "encodings": ", ".join(sorted({f.encoding for f in landing.read})),
        "files_skipped": len(landing.skipped),
        "skipped_files": _markdown(
            ("file", "reason", "what to do"), [(_name(s.key), s.reason, s.action) for s in landing.skipped]
        ),
        "files_empty": sum(1 for f in landing.read if f.empty),
        "empty_files": ", ".join(f"{_name(f.key)} ({f.empty})" for f in landing.read if f.empty) or "none",
    }


def log_landing(context: dg.AssetExecutionContext, lake: LakeResource, spec: TableSpec, day: str, landing: LandingRead):
    where = f"bronze/{spec.table} {day}"
    for s in landing.skipped:
        context.log.warning(f"{where}: skipped {lake.uri(s.key)}: {s.reason}. What to do: {s.action}.")
    for f in landing.read:
        if f.empty:
            context.log.warning(
                f"{where}: {lake.uri(f.key)} has no data rows ({f.empty}); if the day had data, re-send the export"
            )
        if f.encoding == "cp1252":
            context.log.warning(
                f"{where}: {lake.uri(f.key)} is not UTF-8; read as Windows-1252 (Latin-1). Ask the source for "
                "UTF-8 if the accented characters look wrong in silver."
            )
        elif f.encoding != "utf-8" or f.compression:
            compressed = f", {f.compression}-compressed" if f.compression else ""
            context.log.info(f"{where}: {lake.uri(f.key)} read as {f.encoding}{compressed}")


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
        "`_row_number`, `_ingested_at`). Nothing dropped; every landing file is read or reported as skipped.",
    )
    def _bronze(context: dg.AssetExecutionContext, lake: LakeResource):
        daily = DailyResults(context)
        for day in step_days(context):
            started = time.monotonic()
            landing = read_landing_partition(lake, spec, day.isoformat())
            log_landing(context, lake, spec, day.isoformat(), landing)
            frame = landing.frame
            key = partition_file("bronze", spec.table, day.isoformat())
            size = lake.write_parquet(key, frame)
            undeclared = sorted(set(frame.columns) - set(spec.column_names) - set(LINEAGE_COLUMNS))
            missing = sorted(set(spec.column_names) - set(frame.columns))
            metadata = {
                **table_metadata(frame, uri=lake.uri(key), size_bytes=size, started=started),
                "rows": frame.height,
                **landing_metadata(landing),
                "undeclared_columns": ", ".join(undeclared) or "none",
                "missing_columns": ", ".join(missing) or "none",
            }
            daily.materialized(bronze_key(spec), day, metadata)
        yield from daily.events()

    return _bronze


bronze_assets = [build_bronze_asset(spec) for spec in TABLES]
