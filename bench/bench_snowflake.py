"""Loading one day into Snowflake: the old row inserts (batched ``executemany``) against the bulk
load (``PUT`` to a stage + ``COPY INTO``) of ``SnowflakeWarehouse.replace_partition``, on the
fakesnow emulator on loopback.

    .venv/bin/python bench/bench_snowflake.py [--rows N]      # default 200_000 rows

Both paths load the same silver-like frame (strings, Decimal(18,2), UTC timestamps, int32, dates,
some nulls) into their own table; the bench then checks the two tables hold the same values and
prints ``{"rows": N, "insert_rows_per_s": ..., "copy_rows_per_s": ...}`` as its last line. The
emulator measures the client and protocol side only: on Snowflake a COPY also runs in parallel
on the warehouse, row inserts do not.
"""

import argparse
import contextlib
import json
import logging
import socket
import sys
import time
import warnings
from datetime import UTC, date, datetime

import polars as pl

from retail_platform.warehouse.resources import PARTITION_COLUMN
from retail_platform.warehouse.snowflake import SnowflakeWarehouse, snowflake_type

DAY = date(2026, 11, 10)
DATABASE = "RETAIL_BENCH"
INSERT_BATCH_ROWS = 5_000  # what the row-insert load used


def silver_frame(rows: int) -> pl.DataFrame:
    """A pos_transactions-like silver partition with the project's dtypes."""
    i = pl.int_range(rows, dtype=pl.Int64)
    start = datetime(2026, 11, 10, tzinfo=UTC)
    return pl.select(
        transaction_id=pl.format("TX-{}", i),
        store_id=pl.format("S{}", i % 40),
        customer_id=pl.when(i % 9 == 0).then(None).otherwise(pl.format("C{}", i % 50_000)),
        transaction_ts=pl.lit(start) + pl.duration(microseconds=(i * 431_017) % 86_400_000_000),
        business_date=pl.lit(DAY) - pl.duration(days=i % 3),
        item_count=(i % 12 + 1).cast(pl.Int32),
        total_amount=pl.format("{}.{}", i % 9_999, (i % 100).cast(pl.String).str.zfill(2)).cast(pl.Decimal(18, 2)),
        payment_method=pl.when(i % 13 == 0).then(None).otherwise(pl.lit("card")),
        updated_at=pl.when(i % 11 == 0).then(None).otherwise(pl.lit(start) + pl.duration(seconds=i % 86_400)),
    )


def insert_rows(warehouse: SnowflakeWarehouse, schema: str, table: str, day: date, frame: pl.DataFrame) -> int:
    """The load before the bulk path: delete the day and insert its rows in batches of bound
    parameters, one connection per call. Kept here only to measure against."""
    batch = frame.with_columns(pl.lit(day, dtype=pl.Date).alias(PARTITION_COLUMN))
    target = f"{warehouse.database}.{schema}.{table}"
    columns = ", ".join(f"{name} {snowflake_type(dtype)}" for name, dtype in batch.schema.items())
    with warehouse.snowflake.get_connection() as conn:
        cur = conn.cursor()
        cur.execute(f"create schema if not exists {warehouse.database}.{schema}")
        cur.execute(f"create table if not exists {target} ({columns})")
        cur.execute("begin")
        try:
            cur.execute(f"delete from {target} where {PARTITION_COLUMN} = %s", (day,))
            insert = f"insert into {target} ({', '.join(batch.columns)}) values ({', '.join(['%s'] * batch.width)})"
            for chunk in batch.iter_slices(INSERT_BATCH_ROWS):
                # Timestamps as ISO text with their offset: native binding drops the zone.
                cur.executemany(
                    insert,
                    [tuple(v.isoformat() if isinstance(v, datetime) else v for v in row) for row in chunk.iter_rows()],
                )
            cur.execute("commit")
        except Exception:
            cur.execute("rollback")
            raise
    return batch.height


@contextlib.contextmanager
def emulator():
    """fakesnow's server on loopback: the tests' fixture when importable (run from the repository
    root), else the same server started here. Its per-request logs are silenced: stdout is the
    bench's result."""
    try:
        from retail_platform_tests.cloud_servers import snowflake_server
    except ImportError:
        import fakesnow

        @contextlib.contextmanager
        def snowflake_server():
            with contextlib.closing(socket.socket()) as sock:
                sock.bind(("127.0.0.1", 0))
                port = sock.getsockname()[1]
            with fakesnow.server(port=port) as kwargs:
                yield kwargs

    with snowflake_server() as kwargs:
        for name in ("uvicorn.access", "uvicorn.error", "fakesnow.server"):
            logging.getLogger(name).setLevel(logging.WARNING)
        warnings.filterwarnings("ignore", message="Arrow output on a DB-API result")
        yield kwargs


def table_values(warehouse: SnowflakeWarehouse, table: str) -> list[tuple]:
    with warehouse.snowflake.get_connection() as conn:
        cur = conn.cursor()
        cur.execute(f"select * from {DATABASE}.SILVER.{table} order by transaction_id")
        return cur.fetchall()


def measure(rows: int) -> dict:
    import snowflake.connector
    from dagster_snowflake import SnowflakeResource

    frame = silver_frame(rows)
    with emulator() as server:
        with snowflake.connector.connect(**server) as conn:
            conn.cursor().execute(f"create database if not exists {DATABASE}")
        resource = SnowflakeResource(
            account=server["account"],
            user=server["user"],
            password=server["password"],
            database=DATABASE,
            additional_snowflake_connection_args={k: server[k] for k in ("host", "port", "protocol")},
        )
        warehouse = SnowflakeWarehouse(snowflake=resource, database=DATABASE)
        # Warm up both paths (first connection, first statements of each kind) outside the timings.
        insert_rows(warehouse, "silver", "warmup_insert", DAY, frame.head(10))
        warehouse.replace_partition("silver", "warmup_copy", DAY, frame.head(10))

        began = time.perf_counter()
        insert_rows(warehouse, "silver", "bench_insert", DAY, frame)
        insert_seconds = time.perf_counter() - began
        began = time.perf_counter()
        warehouse.replace_partition("silver", "bench_copy", DAY, frame)
        copy_seconds = time.perf_counter() - began

        inserted, copied = table_values(warehouse, "BENCH_INSERT"), table_values(warehouse, "BENCH_COPY")
    if len(copied) != rows or copied != inserted:
        raise SystemExit(f"the bulk load differs from the row inserts ({len(copied)} vs {len(inserted)} rows)")
    return {
        "rows": rows,
        "insert_seconds": round(insert_seconds, 2),
        "copy_seconds": round(copy_seconds, 2),
        "insert_rows_per_s": round(rows / insert_seconds),
        "copy_rows_per_s": round(rows / copy_seconds),
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000, help="rows in the day (default 200000)")
    args = parser.parse_args(argv)
    result = measure(args.rows)
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
