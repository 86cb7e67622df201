"""The warehouse in Snowflake, for the cloud deployments. Imported only there: dagster-snowflake
costs seconds of import time that the local deployment does not pay."""

from datetime import date, datetime

import polars as pl
from dagster_snowflake import SnowflakeResource

from retail_platform.warehouse.resources import PARTITION_COLUMN, WarehouseResource

INSERT_BATCH_ROWS = 5_000


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


def _bindable(value):
    # Timestamps are bound as ISO text with their offset: the connector's native datetime binding
    # drops the zone, and TIMESTAMP_TZ must keep it.
    if isinstance(value, datetime):
        return value.isoformat()
    return value


class SnowflakeWarehouse(WarehouseResource):
    """One database per deployment; a branch deployment works on a zero-copy clone of prod."""

    snowflake: SnowflakeResource
    database: str
    # Branch deployments: the database to clone on first use.
    clone_from: str | None = None

    def prepare_for_dbt(self) -> None:
        self.ensure_database()

    def ensure_database(self) -> None:
        """Create the branch's clone of prod if it does not exist yet (zero-copy, idempotent)."""
        if not self.clone_from:
            return
        with self.snowflake.get_connection() as conn:
            conn.cursor().execute(f"create database if not exists {self.database} clone {self.clone_from}")

    def drop_database(self) -> None:
        """Drop the branch clone (when the pull request closes). Refuses to drop a non-clone."""
        if not self.clone_from:
            raise RuntimeError(f"{self.database} is not a branch clone; refusing to drop it")
        with self.snowflake.get_connection() as conn:
            conn.cursor().execute(f"drop database if exists {self.database}")

    def replace_partition(self, schema: str, table: str, day: date, frame: pl.DataFrame) -> int:
        """Delete the day and insert it again in one transaction (never duplicates a day)."""
        self.ensure_database()
        batch = frame.with_columns(pl.lit(day, dtype=pl.Date).alias(PARTITION_COLUMN))
        target = f"{self.database}.{schema}.{table}"
        columns = ", ".join(f"{name} {snowflake_type(dtype)}" for name, dtype in batch.schema.items())
        names = ", ".join(batch.columns)
        with self.snowflake.get_connection() as conn:
            cur = conn.cursor()
            cur.execute(f"create schema if not exists {self.database}.{schema}")
            cur.execute(f"create table if not exists {target} ({columns})")
            cur.execute(
                "select lower(column_name) from information_schema.columns "
                f"where table_catalog = upper('{self.database}') and table_schema = upper('{schema}') "
                f"and table_name = upper('{table}')"
            )
            existing = {row[0] for row in cur.fetchall()}
            for name, dtype in batch.schema.items():
                if name.lower() not in existing:
                    cur.execute(f"alter table {target} add column {name} {snowflake_type(dtype)}")
            cur.execute("begin")
            try:
                cur.execute(f"delete from {target} where {PARTITION_COLUMN} = %s", (day,))
                placeholders = ", ".join(["%s"] * batch.width)
                insert = f"insert into {target} ({names}) values ({placeholders})"
                for chunk in batch.iter_slices(INSERT_BATCH_ROWS):
                    cur.executemany(insert, [tuple(_bindable(v) for v in row) for row in chunk.iter_rows()])
                cur.execute("commit")
            except Exception:
                cur.execute("rollback")
                raise
        return batch.height

    def row_counts(self, relations: list[tuple[str, str]]) -> dict[tuple[str, str], int]:
        counts = {}
        with self.snowflake.get_connection() as conn:
            cur = conn.cursor()
            for schema, table in relations:
                cur.execute(
                    f"select count(*) from information_schema.tables where table_catalog = upper('{self.database}') "
                    f"and table_schema = upper('{schema}') and table_name = upper('{table}')"
                )
                if cur.fetchone()[0]:
                    cur.execute(f"select count(*) from {self.database}.{schema}.{table}")
                    counts[(schema, table)] = int(cur.fetchone()[0])
        return counts

    def dbt_vars(self) -> dict[str, str]:
        return {"snowflake_database": self.database}
