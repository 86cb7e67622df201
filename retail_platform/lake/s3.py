"""The lake in S3, for the cloud deployments. Imported only there: dagster-aws costs ~1.5 s."""

import hashlib
import io
import threading
from collections import Counter
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


# Retries are configured here, explicitly, not left to the client library's defaults. botocore's
# "standard" mode retries what S3 answers when it throttles (503 SlowDown) or fails (500, 502,
# 503, 504, a dropped connection) with capped exponential backoff and full jitter (throttling:
# up to 1, 2, 4 .. 20 s; other errors from 50 ms), behind a retry quota that stops one client
# hammering a store that is down. Not "adaptive": its client-side rate limiter slows every later
# request of the client after one SlowDown, and AWS calls it experimental; a lake step writes one
# object at a time, so backoff alone brings it under S3's per-prefix rates.
RETRY_MODE = "standard"
# ``S3Resource.max_attempts`` counts every attempt, the first included (dagster-aws' own client
# passes it as botocore's ``max_attempts``, which counts retries only: one attempt more).
# deployments.py sets 8: a request S3 keeps throttling gives up after ~35 s on average (71 s at
# most); the step then fails naming the object, and I/O steps retry it (``IO_RETRY_POLICY``).
# A store that accepts connections and never answers fails an attempt after the read timeout.
CONNECT_TIMEOUT_S = 10
READ_TIMEOUT_S = 60
# What the standard mode retries, by HTTP status (the rest: connection errors).
RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})


class S3RetryReport:
    """Counts the requests the client retried, by what the store answered, and says so: one log
    line per retried request (in the step's log), a summary when the run or tick ends, and for a
    request that still failed after every attempt, an error that names the object and the way out.
    Fed by botocore's own events, so every call of the client is covered."""

    def __init__(self, bucket: str, max_attempts: int):
        self.bucket = bucket
        self.max_attempts = max_attempts
        self.retried = 0  # requests that took more than one attempt
        self.failed = 0  # requests that failed on their last attempt
        self.answers: Counter[str] = Counter()  # "503 SlowDown" -> attempts answered so
        self._lock = threading.Lock()

    def attach(self, client) -> None:
        events = client.meta.events
        events.register("before-parameter-build.s3", self._remember_object)
        events.register("needs-retry.s3", self._note_attempt)
        events.register("after-call.s3", self._after_call)
        events.register("after-call-error.s3", self._after_call_error)

    @staticmethod
    def _remember_object(params, context, **_) -> None:
        context["retail_s3_object"] = (
            f"s3://{params.get('Bucket', '')}/{params.get('Key') or params.get('Prefix') or ''}"
        )

    @staticmethod
    def _note_attempt(request_dict, response=None, caught_exception=None, **_) -> None:
        if caught_exception is not None:
            answer = type(caught_exception).__name__
        elif response is not None and response[0].status_code in RETRIED_STATUSES:
            status, code = response[0].status_code, response[1].get("Error", {}).get("Code", "")
            answer = f"{status} {code}" if code and code != str(status) else str(status)
        else:
            return None  # an answer nobody retries (a success, a 404): nothing to tell
        request_dict["context"].setdefault("retail_s3_answers", []).append(answer)
        return None  # botocore's retry handler decides; this one only listens

    def _record(self, answers: list[str], attempts: int, failed: bool) -> str:
        with self._lock:
            self.retried += attempts > 1
            self.failed += failed
            self.answers.update(answers)
        return ", ".join(f"{answer} x{n}" if n > 1 else answer for answer, n in Counter(answers).items())

    def _after_call(self, http_response, parsed, model, context, **_) -> None:
        answers = context.get("retail_s3_answers")
        if not answers:
            return
        target = context.get("retail_s3_object", f"s3://{self.bucket}")
        attempts = parsed.get("ResponseMetadata", {}).get("RetryAttempts", 0) + 1
        failed = http_response.status_code in RETRIED_STATUSES
        seen = self._record(answers, attempts, failed)
        if not failed:
            dg.get_dagster_logger("s3").info(
                f"S3 {model.name} {target}: retried, answered on attempt {attempts} ({seen})"
            )
            return
        # The client raises its error from this parsed answer: the message then names the object.
        error = parsed.setdefault("Error", {})
        error["Message"] = (
            f"{error.get('Message', '')} [{model.name} {target} failed {attempts} of {self.max_attempts} attempts "
            f"({seen}). S3 is throttling or failing: re-execute the failed step once the store recovers; if S3 "
            "keeps answering SlowDown, start fewer runs against the bucket at once.]"
        )

    def _after_call_error(self, exception, context, **_) -> None:
        answers = context.get("retail_s3_answers") or [type(exception).__name__]
        target = context.get("retail_s3_object", f"s3://{self.bucket}")
        seen = self._record(answers, len(answers), True)
        dg.get_dagster_logger("s3").error(
            f"S3 {target}: no answer after {len(answers)} attempt(s) ({seen}). Check the endpoint and the "
            "network, then re-execute the failed step."
        )

    def summary(self) -> str:
        seen = ", ".join(f"{answer} x{n}" for answer, n in self.answers.most_common())
        outcome = f"{self.failed} still failed" if self.failed else "every one went through"
        return f"S3 retried {self.retried} request(s) to s3://{self.bucket} ({seen}); {outcome}"


class S3Lake(LakeResource):
    """A lake in an S3 bucket (dev / qa / prod; branch deployments under a per-branch prefix).

    The client is built from dagster-aws' ``S3Resource`` settings: boto3's usual credential chain,
    the standard ``AWS_ENDPOINT_URL`` for S3-compatible stores, ``max_attempts``; the retry mode
    and timeouts are set here (``RETRY_MODE``), and retries are reported (``S3RetryReport``).
    """

    bucket: str
    prefix: str = ""
    s3: S3Resource

    def _key(self, key: str) -> str:
        return f"{self.prefix.strip('/')}/{key}" if self.prefix.strip("/") else key

    _s3_client: Any = PrivateAttr(default=None)
    _retries: S3RetryReport | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        # One client per run or sensor tick: creating boto3 clients is slow.
        self._s3_client = self._new_client()

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._retries is not None and self._retries.answers:
            (context.log or dg.get_dagster_logger("s3")).warning(self._retries.summary())  # no run log in a sensor

    def _client(self):
        if self._s3_client is None:  # used directly, outside a Dagster step
            self._s3_client = self._new_client()
        return self._s3_client

    def _new_client(self):
        import boto3
        from botocore.config import Config
        from botocore.handlers import disable_signing

        s3 = self.s3
        client = boto3.session.Session(profile_name=s3.profile_name).client(
            "s3",
            region_name=s3.region_name,
            endpoint_url=s3.endpoint_url,
            use_ssl=s3.use_ssl,
            verify=s3.verify,
            aws_access_key_id=s3.aws_access_key_id,
            aws_secret_access_key=s3.aws_secret_access_key,
            aws_session_token=s3.aws_session_token,
            config=Config(
                retries={"mode": RETRY_MODE, "total_max_attempts": s3.max_attempts},
                connect_timeout=CONNECT_TIMEOUT_S,
                read_timeout=READ_TIMEOUT_S,
            ),
        )
        if s3.use_unsigned_session:
            client.meta.events.register("choose-signer.s3.*", disable_signing)
        self._retries = S3RetryReport(self.bucket, s3.max_attempts)
        self._retries.attach(client)
        return client

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

    def _list_pages(self, prefix: str):
        base = self._key(prefix).rstrip("/") + "/"
        yield from (
            self._client().get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=base, Delimiter="/")
        )

    def list_files(self, prefix: str, *, include_hidden: bool = False) -> list[str]:
        strip = len(self._key(""))
        keys = []
        for page in self._list_pages(prefix):
            for item in page.get("Contents", []):
                name = item["Key"].rsplit("/", 1)[-1]
                if name and (include_hidden or not name.startswith((".", "_"))):
                    keys.append(item["Key"][strip:])
        return sorted(keys)

    def list_folders(self, prefix: str) -> list[str]:
        strip = len(self._key(""))
        return sorted(
            item["Prefix"][strip:].rstrip("/")
            for page in self._list_pages(prefix)
            for item in page.get("CommonPrefixes", [])
        )

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
