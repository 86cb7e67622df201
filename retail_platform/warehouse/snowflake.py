"""The warehouse in Snowflake, for the cloud deployments. Imported only there: dagster-snowflake
costs seconds of import time that the local deployment does not pay.

A day is loaded in bulk: its Parquet file is staged and copied in with one ``COPY INTO`` inside
the delete-and-reload transaction. In production the stage is the external stage over the lake
bucket that ``provision`` creates, so the file is never uploaded again; without one (the emulator,
or a frame with no lake object behind it) the frame is ``PUT`` to a temporary internal stage.
"""

import re
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import polars as pl
from dagster_snowflake import SnowflakeResource
from pydantic import PrivateAttr

from retail_platform.warehouse.resources import PARTITION_COLUMN, WarehouseResource

IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
STAGE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*")  # SCHEMA.NAME
STAGE_KEY = re.compile(r"[A-Za-z0-9_=.-]+(/[A-Za-z0-9_=.-]+)*")  # silver/orders/dt=2026-11-10/part-0.parquet
TIME_ZONE = re.compile(r"[A-Za-z0-9_/+-]+")
# Temporary: it lives as long as the connection, so nothing is left behind in the account.
LOAD_STAGE = "RETAIL_LOAD"


def sql_identifier(name: str) -> str:
    """``name`` if it is a plain identifier; anything else never reaches the SQL text."""
    if not IDENTIFIER.fullmatch(name):
        raise ValueError(f"{name!r} is not a plain SQL identifier (letters, digits, _): refusing to use it in SQL")
    return name


def sql_date(day: date) -> str:
    """A date as a SQL literal; only a real ``date`` (not a string, not a datetime) becomes one."""
    if not isinstance(day, date) or isinstance(day, datetime):
        raise TypeError(f"a SQL date literal needs a date, not {day!r}")
    return f"'{day.isoformat()}'::date"


def snowflake_type(dtype: pl.DataType) -> str:
    if isinstance(dtype, pl.Decimal):
        return f"number({dtype.precision or 38},{dtype.scale or 0})"
    if isinstance(dtype, pl.Datetime):
        return "timestamp_tz" if dtype.time_zone else "timestamp_ntz"
    if dtype.is_integer():
        return "number(38,0)"
    if dtype.is_float():
        return "float"
    if dtype == pl.Boolean:
        return "boolean"
    if dtype == pl.Date:
        return "date"
    return "varchar"


def staged_value(name: str, dtype: pl.DataType) -> str:
    """One column of a staged Parquet file, read by name and cast to its warehouse type."""
    value = f'$1:"{sql_identifier(name)}"::{snowflake_type(dtype)}'
    if isinstance(dtype, pl.Datetime) and dtype.time_zone:
        # Parquet keeps the instant, not the zone: give it back the frame's zone as its offset.
        if not TIME_ZONE.fullmatch(dtype.time_zone):
            raise ValueError(f"time zone {dtype.time_zone!r} of column {name!r} is not a zone name")
        return f"convert_timezone('{dtype.time_zone}', {value})"
    return value


def copy_statement(
    target: str, columns: Mapping[str, pl.DataType], location: str, day: date, *, purge: bool = False
) -> str:
    """``COPY INTO`` from the staged folder of one day, with ``_partition_date`` set in the copy.
    The columns are matched by name in the transform: MATCH_BY_COLUMN_NAME cannot be combined with
    one."""
    names = [sql_identifier(name) for name in columns] + [PARTITION_COLUMN]
    values = [staged_value(name, dtype) for name, dtype in columns.items()] + [sql_date(day)]
    return (
        f"copy into {target} ({', '.join(names)}) from (select {', '.join(values)} from {location}) "
        # FORCE: a reloaded day must be copied again although its file was "loaded before".
        "file_format = (type = parquet use_logical_type = true) force = true" + (" purge = true" if purge else "")
    )


def rows_loaded(cursor) -> int:
    """The rows a ``COPY INTO`` loaded, from its result (one row per file)."""
    names = [column[0].lower() for column in cursor.description]
    rows = cursor.fetchall()
    if "rows_loaded" not in names:  # "Copy executed with 0 files processed."
        return 0
    index = names.index("rows_loaded")
    return sum(int(row[index]) for row in rows)


@dataclass
class _Connection:
    """An open connection and what it has already made sure of, so a range step asks once."""

    conn: Any
    cloned: bool = False
    columns: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    stages: set[str] = field(default_factory=set)


class SnowflakeWarehouse(WarehouseResource):
    """One database per deployment; a branch deployment works on a zero-copy clone of prod."""

    snowflake: SnowflakeResource
    database: str
    # Branch deployments: the database to clone on first use.
    clone_from: str | None = None
    # The external stage over the lake bucket, as SCHEMA.NAME in ``database`` (``provision``
    # creates PUBLIC.LAKE), and the URL it is over (``s3://<bucket>/``). None: every day is PUT
    # to a temporary internal stage first (the emulator cannot read S3).
    stage: str | None = None
    stage_url: str | None = None
    _open: _Connection | None = PrivateAttr(default=None)

    @contextmanager
    def _connect(self) -> Iterator[_Connection]:
        if self._open is not None:  # inside a session: its connection
            yield self._open
            return
        # Checked before connecting: both names are written into SQL text.
        sql_identifier(self.database)
        if self.clone_from:
            sql_identifier(self.clone_from)
        with self.snowflake.get_connection() as conn:
            yield _Connection(conn)

    @contextmanager
    def session(self) -> Iterator[None]:
        """One connection for the whole step instead of one per table and day (a login, the
        clone check, the DDL checks and the stage are then paid once per step)."""
        with self._connect() as connection:
            self._open = connection
            try:
                yield
            finally:
                self._open = None

    def prepare_for_dbt(self) -> None:
        self.ensure_database()

    def ensure_database(self) -> None:
        """Create the branch's clone of prod if it does not exist yet (zero-copy, idempotent)."""
        if self.clone_from:
            with self._connect() as connection:
                self._ensure_clone(connection)

    def _ensure_clone(self, connection: _Connection) -> None:
        if self.clone_from and not connection.cloned:
            connection.conn.cursor().execute(
                f"create database if not exists {sql_identifier(self.database)} clone {sql_identifier(self.clone_from)}"
            )
            connection.cloned = True

    def drop_database(self) -> None:
        """Drop the branch clone (when the pull request closes). Refuses to drop a non-clone."""
        if not self.clone_from:
            raise RuntimeError(f"{self.database} is not a branch clone; refusing to drop it")
        with self._connect() as connection:
            connection.conn.cursor().execute(f"drop database if exists {sql_identifier(self.database)}")

    def replace_partition(
        self, schema: str, table: str, day: date, frame: pl.DataFrame, source: str | None = None
    ) -> int:
        """Delete the day and copy it in again in one transaction: reloading a day replaces it,
        never duplicates it, and a failed copy leaves the previous load in place."""
        if not isinstance(day, date) or isinstance(day, datetime):
            raise TypeError(f"day must be a date, not {day!r}")
        schema, table = sql_identifier(schema), sql_identifier(table)
        target = f"{self.database}.{schema}.{table}"
        columns = {name: dtype for name, dtype in frame.schema.items() if name != PARTITION_COLUMN}
        with self._connect() as connection:
            self._ensure_clone(connection)
            self._ensure_columns(connection, schema, table, {**columns, PARTITION_COLUMN: pl.Date()})
            # Staged before the transaction: a PUT is not part of one.
            location, purge = (
                self._staged(connection, schema, table, day, frame, source) if frame.height else ("", False)
            )
            cur = connection.conn.cursor()
            cur.execute("begin")
            try:
                cur.execute(f"delete from {target} where {PARTITION_COLUMN} = %s", (day,))
                if location:
                    cur.execute(copy_statement(target, columns, location, day, purge=purge))
                    loaded = rows_loaded(cur)
                    if loaded != frame.height:
                        raise RuntimeError(
                            f"COPY INTO {target} for {day} loaded {loaded} of {frame.height} rows from {location}; "
                            "the previous load of the day is kept. A partition folder holds one file: check it "
                            "and the stage's URL."
                        )
                cur.execute("commit")
            except Exception:
                cur.execute("rollback")
                raise
        return frame.height

    def _ensure_columns(
        self, connection: _Connection, schema: str, table: str, columns: Mapping[str, pl.DataType]
    ) -> None:
        """Create the schema and table on first sight; a column that appears later is added, never
        dropped. DDL commits on its own in Snowflake, so it stays out of the load's transaction."""
        cur = connection.conn.cursor()
        target = f"{self.database}.{schema}.{table}"
        known = connection.columns.get((schema, table))
        if known is None:
            definition = ", ".join(f"{sql_identifier(name)} {snowflake_type(dtype)}" for name, dtype in columns.items())
            cur.execute(f"create schema if not exists {self.database}.{schema}")
            cur.execute(f"create table if not exists {target} ({definition})")
            cur.execute(
                "select lower(column_name) from information_schema.columns "
                f"where table_catalog = upper('{self.database}') and table_schema = upper('{schema}') "
                f"and table_name = upper('{table}')"
            )
            known = connection.columns[(schema, table)] = {row[0] for row in cur.fetchall()}
        for name, dtype in columns.items():
            if name.lower() not in known:
                cur.execute(f"alter table {target} add column {sql_identifier(name)} {snowflake_type(dtype)}")
                known.add(name.lower())

    def _staged(
        self, connection: _Connection, schema: str, table: str, day: date, frame: pl.DataFrame, source: str | None
    ) -> tuple[str, bool]:
        """The staged folder the COPY reads the day from (the lake's partition folder holds one
        file, and the row count is checked), and whether the COPY may delete what it loaded."""
        if self.stage and source:
            folder = self._stage_key(source).rpartition("/")[0]
            return f"@{self.database}.{self._external_stage()}/{folder}/", False
        stage = f"{self.database}.{schema}.{LOAD_STAGE}"
        cur = connection.conn.cursor()
        if stage not in connection.stages:
            cur.execute(f"create temporary stage if not exists {stage}")
            connection.stages.add(stage)
        folder = f"{table}/{day.isoformat()}"
        with tempfile.TemporaryDirectory(prefix="retail-load-") as tmp:
            path = Path(tmp) / "part-0.parquet"
            if "'" in path.as_posix():  # it is quoted in the PUT
                raise ValueError(f"temporary folder {tmp!r} has a quote in its path: set TMPDIR to a plain path")
            frame.write_parquet(path)
            cur.execute(f"put 'file://{path.as_posix()}' @{stage}/{folder}/ overwrite = true auto_compress = false")
        return f"@{stage}/{folder}/", True

    def _external_stage(self) -> str:
        if not (self.stage and STAGE_NAME.fullmatch(self.stage)):
            raise ValueError(f"stage {self.stage!r} is not SCHEMA.NAME of a stage in {self.database}")
        return self.stage

    def _stage_key(self, source: str) -> str:
        """The path of a lake object under the external stage (which is over the bucket's root)."""
        if not self.stage_url:
            raise ValueError(f"stage {self.stage} is set but stage_url is not: say which bucket it is over")
        root = self.stage_url.rstrip("/") + "/"
        key = source[len(root) :] if source.startswith(root) else ""
        if not STAGE_KEY.fullmatch(key) or ".." in key.split("/") or "/" not in key:
            raise ValueError(
                f"{source} is not an object under {root}, the URL of stage {self.database}.{self.stage}: "
                "the external stage must be over the lake's bucket"
            )
        return key

    def row_counts(self, relations: list[tuple[str, str]]) -> dict[tuple[str, str], int]:
        counts = {}
        with self._connect() as connection:
            cur = connection.conn.cursor()
            for schema, table in relations:
                schema, table = sql_identifier(schema), sql_identifier(table)
                cur.execute(
                    f"select count(*) from information_schema.tables where table_catalog = upper('{self.database}') "
                    f"and table_schema = upper('{schema}') and table_name = upper('{table}')"
                )
                if cur.fetchone()[0]:
                    cur.execute(f"select count(*) from {self.database}.{schema}.{table}")
                    counts[(schema, table)] = int(cur.fetchone()[0])
        return counts

    def dbt_env(self) -> dict[str, str]:
        return {"SNOWFLAKE_DATABASE": self.database}
