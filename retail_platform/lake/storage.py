"""The lake as a resource: every read and write of lake objects goes through here.

Asset code only ever sees relative keys (``silver/orders/dt=2026-11-01/part-0.parquet``); the
resource decides where they live, so another store slots in without touching asset code.
"""

from __future__ import annotations

import io
import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import polars as pl


@dataclass
class PartsWriter:
    """``append(frame)`` adds rows to an object being written; ``size``: its bytes, once written."""

    append: Callable[[pl.DataFrame], None] | None
    size: int = 0


class LakeMissingError(FileNotFoundError):
    """A lake object an asset needs is not there."""


def write_lake_parquet(df: pl.DataFrame, target) -> None:
    """How every lake object is encoded: Parquet, zstd, with statistics for predicate pushdown."""
    df.write_parquet(target, compression="zstd", statistics=True)


def parquet_bytes(df: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    write_lake_parquet(df, buffer)
    return buffer.getvalue()


class LakeResource(dg.ConfigurableResource):
    """What asset code may ask of a lake. Deployments provide a concrete store."""

    def uri(self, key: str) -> str:
        raise NotImplementedError

    def exists(self, key: str) -> bool:
        raise NotImplementedError

    def list_files(self, prefix: str, *, include_hidden: bool = False) -> list[str]:
        """Keys of the files directly under ``prefix``, sorted. Names starting with '.' or '_'
        (uploads in progress, temporary files, markers) only with ``include_hidden``."""
        raise NotImplementedError

    def list_folders(self, prefix: str) -> list[str]:
        """Keys of the folders directly under ``prefix`` (``landing/pos/pos_transactions/dt=…``), sorted."""
        raise NotImplementedError

    def read_bytes(self, key: str) -> bytes:
        raise NotImplementedError

    def last_modified(self, key: str) -> float:
        raise NotImplementedError

    def write_bytes(self, key: str, data: bytes) -> bool:
        raise NotImplementedError

    def write_parquet(self, key: str, df: pl.DataFrame) -> int:
        raise NotImplementedError

    def read_parquet(self, key: str) -> pl.DataFrame:
        raise NotImplementedError

    def local_path(self, key: str) -> Path | None:
        """Where the object is on this machine's filesystem, if it is (files can then be scanned
        in parts instead of read whole)."""
        return None

    @contextmanager
    def parquet_parts(self, key: str) -> Iterator[PartsWriter]:
        """Replace the object at ``key`` with the frames appended inside the block, in order (a
        partition cleaned in parts). This store keeps them in memory until the block ends."""
        parts = PartsWriter(append=None)
        frames: list[pl.DataFrame] = []
        parts.append = frames.append
        yield parts
        parts.size = self.write_parquet(key, pl.concat(frames))


class LocalLake(LakeResource):
    """A lake on the local filesystem (the ``local`` deployment)."""

    root: str

    def uri(self, key: str) -> str:
        return str(Path(self.root) / key)

    def _path(self, key: str) -> Path:
        return Path(self.root) / key

    def exists(self, key: str) -> bool:
        return self._path(key).exists()

    def list_files(self, prefix: str, *, include_hidden: bool = False) -> list[str]:
        directory = self._path(prefix)
        if not directory.is_dir():
            return []
        return sorted(
            f"{prefix}/{p.name}"
            for p in directory.iterdir()
            if p.is_file() and (include_hidden or not p.name.startswith((".", "_")))
        )

    def list_folders(self, prefix: str) -> list[str]:
        directory = self._path(prefix)
        if not directory.is_dir():
            return []
        return sorted(f"{prefix}/{p.name}" for p in directory.iterdir() if p.is_dir())

    def read_bytes(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise LakeMissingError(f"lake object {self.uri(key)} does not exist") from None

    def last_modified(self, key: str) -> float:
        return self._path(key).stat().st_mtime

    def write_bytes(self, key: str, data: bytes) -> bool:
        """Write atomically; leave an identical existing object untouched. True if it was written."""
        path = self._path(key)
        if path.is_file() and path.stat().st_size == len(data) and path.read_bytes() == data:
            return False
        self._atomic_write(path, data)
        return True

    def write_parquet(self, key: str, df: pl.DataFrame) -> int:
        """Replace the object at ``key`` with ``df`` in one atomic step; returns bytes written.
        Encoded straight into the file: no copy of the encoded object in memory."""
        path = self._path(key)
        return self._atomic_write(path, lambda tmp: write_lake_parquet(df, tmp))

    def read_parquet(self, key: str) -> pl.DataFrame:
        if not self.exists(key):
            raise LakeMissingError(f"lake object {self.uri(key)} does not exist")
        return pl.read_parquet(self._path(key))

    def local_path(self, key: str) -> Path | None:
        if not self.exists(key):
            raise LakeMissingError(f"lake object {self.uri(key)} does not exist")
        return self._path(key)

    @contextmanager
    def parquet_parts(self, key: str) -> Iterator[PartsWriter]:
        """Each frame is encoded into the object as it is appended (row groups of one Parquet
        file): one part in memory at a time, nothing decoded again. Atomic, as every write."""
        import pyarrow.parquet as pq

        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.parent / f".{path.name}.{uuid.uuid4().hex}.tmp"
        writer: pq.ParquetWriter | None = None

        def append(frame: pl.DataFrame) -> None:
            nonlocal writer
            table = frame.to_arrow()
            if writer is None:
                writer = pq.ParquetWriter(tmp, table.schema, compression="zstd", write_statistics=True)
            writer.write_table(table)

        parts = PartsWriter(append=append)
        try:
            yield parts
            if writer is None:
                raise ValueError(f"no part was written to {self.uri(key)}")
            writer.close()
            parts.size = tmp.stat().st_size
            os.replace(tmp, path)
        finally:
            if writer is not None:
                writer.close()
            tmp.unlink(missing_ok=True)

    @staticmethod
    def _atomic_write(path: Path, data: bytes | Callable[[Path], None]) -> int:
        """Write ``data`` (bytes, or a function that writes the file it is given) atomically;
        returns the size written."""
        # Write beside the target, then rename over it: readers see the old or the new object,
        # never a half-written one, and a crash leaves only a hidden temp file behind.
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.parent / f".{path.name}.{uuid.uuid4().hex}.tmp"
        try:
            if callable(data):
                data(tmp)
            else:
                tmp.write_bytes(data)
            size = tmp.stat().st_size
            os.replace(tmp, path)
            return size
        finally:
            tmp.unlink(missing_ok=True)
