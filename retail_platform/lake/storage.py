"""The lake as a resource: every read and write of lake objects goes through here.

Asset code only ever sees relative keys (``silver/orders/dt=2026-11-01/part-0.parquet``); the
resource decides where they live, so another store slots in without touching asset code.
"""

from __future__ import annotations

import io
import os
import uuid
from pathlib import Path

import dagster as dg
import polars as pl


class LakeMissingError(FileNotFoundError):
    """A lake object an asset needs is not there."""


def parquet_bytes(df: pl.DataFrame) -> bytes:
    """How every lake object is encoded: Parquet, zstd, with statistics for predicate pushdown."""
    buffer = io.BytesIO()
    df.write_parquet(buffer, compression="zstd", statistics=True)
    return buffer.getvalue()


class LakeResource(dg.ConfigurableResource):
    """What asset code may ask of a lake. Deployments provide a concrete store."""

    def uri(self, key: str) -> str:
        raise NotImplementedError

    def exists(self, key: str) -> bool:
        raise NotImplementedError

    def list_files(self, prefix: str) -> list[str]:
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


class LocalLake(LakeResource):
    """A lake on the local filesystem (the ``local`` deployment)."""

    root: str

    def uri(self, key: str) -> str:
        return str(Path(self.root) / key)

    def _path(self, key: str) -> Path:
        return Path(self.root) / key

    def exists(self, key: str) -> bool:
        return self._path(key).exists()

    def list_files(self, prefix: str) -> list[str]:
        """Keys of the files directly under ``prefix``, sorted, hidden/temporary files excluded."""
        directory = self._path(prefix)
        if not directory.is_dir():
            return []
        return sorted(
            f"{prefix}/{p.name}" for p in directory.iterdir() if p.is_file() and not p.name.startswith((".", "_"))
        )

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
        """Replace the object at ``key`` with ``df`` in one atomic step; returns bytes written."""
        data = parquet_bytes(df)
        self._atomic_write(self._path(key), data)
        return len(data)

    def read_parquet(self, key: str) -> pl.DataFrame:
        if not self.exists(key):
            raise LakeMissingError(f"lake object {self.uri(key)} does not exist")
        return pl.read_parquet(self._path(key))

    @staticmethod
    def _atomic_write(path: Path, data: bytes) -> None:
        # Write beside the target, then rename over it: readers see the old or the new object,
        # never a half-written one, and a crash leaves only a hidden temp file behind.
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.parent / f".{path.name}.{uuid.uuid4().hex}.tmp"
        try:
            tmp.write_bytes(data)
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
