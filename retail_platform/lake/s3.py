"""The lake in S3, for the cloud deployments. Imported only there: dagster-aws costs ~1.5 s."""

import hashlib
import io
from typing import Any

import dagster as dg
import polars as pl
from dagster_aws.s3 import S3Resource
from pydantic import PrivateAttr

from retail_platform.lake.storage import LakeMissingError, LakeResource, parquet_bytes

# What S3 (and S3-compatible stores) answer for a missing object or bucket, by API call.
NOT_FOUND_CODES = frozenset({"404", "NoSuchKey", "NoSuchBucket", "NotFound"})


def is_not_found(exc: Exception) -> bool:
    """A botocore ``ClientError`` that says the object (or bucket) does not exist."""
    response = getattr(exc, "response", None) or {}
    return response.get("Error", {}).get("Code") in NOT_FOUND_CODES


class S3Lake(LakeResource):
    """A lake in an S3 bucket (dev / qa / prod; branch deployments under a per-branch prefix).

    The client comes from dagster-aws' ``S3Resource``: boto3's usual credential chain, the standard
    ``AWS_ENDPOINT_URL`` for S3-compatible stores, and botocore's standard retry mode
    (exponential backoff with jitter on throttling and 5xx) with ``max_attempts``.
    """

    bucket: str
    prefix: str = ""
    s3: S3Resource

    def _key(self, key: str) -> str:
        return f"{self.prefix.strip('/')}/{key}" if self.prefix.strip("/") else key

    _s3_client: Any = PrivateAttr(default=None)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        # One client per step or sensor tick: creating boto3 clients is slow.
        self._s3_client = self.s3.get_client()

    def _client(self):
        if self._s3_client is None:  # used directly, outside a Dagster step
            self._s3_client = self.s3.get_client()
        return self._s3_client

    def uri(self, key: str) -> str:
        return f"s3://{self.bucket}/{self._key(key)}"

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self._client().head_object(Bucket=self.bucket, Key=self._key(key))
            return True
        except ClientError as exc:
            if is_not_found(exc):
                return False
            raise

    def list_files(self, prefix: str) -> list[str]:
        base = self._key(prefix).rstrip("/") + "/"
        strip = len(self._key(""))
        keys = []
        for page in (
            self._client().get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=base, Delimiter="/")
        ):
            for item in page.get("Contents", []):
                name = item["Key"].rsplit("/", 1)[-1]
                if name and not name.startswith((".", "_")):
                    keys.append(item["Key"][strip:])
        return sorted(keys)

    def read_bytes(self, key: str) -> bytes:
        from botocore.exceptions import ClientError

        try:
            return self._client().get_object(Bucket=self.bucket, Key=self._key(key))["Body"].read()
        except ClientError as exc:
            if is_not_found(exc):
                raise LakeMissingError(f"lake object {self.uri(key)} does not exist") from None
            raise

    def last_modified(self, key: str) -> float:
        head = self._client().head_object(Bucket=self.bucket, Key=self._key(key))
        return head["LastModified"].timestamp()

    def write_bytes(self, key: str, data: bytes) -> bool:
        """A PUT is atomic in S3. An identical object is left untouched, judged by a SHA-256 kept in
        the object's metadata (an ETag is not the MD5 under SSE-KMS or multipart uploads)."""
        from botocore.exceptions import ClientError

        digest = hashlib.sha256(data).hexdigest()
        try:
            head = self._client().head_object(Bucket=self.bucket, Key=self._key(key))
            if head["ContentLength"] == len(data) and head.get("Metadata", {}).get("sha256") == digest:
                return False
        except ClientError as exc:
            if not is_not_found(exc):
                raise
        self._client().put_object(Bucket=self.bucket, Key=self._key(key), Body=data, Metadata={"sha256": digest})
        return True

    def write_parquet(self, key: str, df: pl.DataFrame) -> int:
        data = parquet_bytes(df)
        self._client().put_object(Bucket=self.bucket, Key=self._key(key), Body=data)
        return len(data)

    def read_parquet(self, key: str) -> pl.DataFrame:
        return pl.read_parquet(io.BytesIO(self.read_bytes(key)))
