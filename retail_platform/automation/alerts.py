"""Run-failure alerts: the payload and its delivery. No Dagster import.

The webhook URL may embed a token: it reaches the sensor through its resource (from the
environment, ``deployments.py``), is never logged nor put in metadata, and errors name only the host.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Sequence
from urllib.parse import urlsplit

DEFAULT_WEBSERVER = "http://127.0.0.1:3000"


def run_url(run_id: str, base_url: str | None = None) -> str:
    return f"{(base_url or DEFAULT_WEBSERVER).rstrip('/')}/runs/{run_id}"


def alert_payload(
    *,
    run_id: str,
    job_name: str,
    failed_steps: Sequence[dict],
    assets_not_materialized: Sequence[dict],
    partition: str | None,
    base_url: str | None = None,
) -> dict:
    assets = sorted({a["asset"] for a in assets_not_materialized})
    partitions = sorted(
        {a["partition"] for a in assets_not_materialized if a.get("partition")} | ({partition} if partition else set())
    )
    text = (
        f"Dagster run {run_id} of job {job_name} failed"
        + (f" for partition(s) {', '.join(partitions)}" if partitions else "")
        + f": {len(failed_steps)} step(s) failed, {len(assets)} asset(s) not materialized. {run_url(run_id, base_url)}"
    )
    return {
        "text": text,
        "run_id": run_id,
        "job": job_name,
        "partitions": partitions,
        "failed_steps": list(failed_steps),
        "failed_assets": assets,
        "assets_not_materialized": list(assets_not_materialized),
        "run_url": run_url(run_id, base_url),
    }


def post_json(url: str, payload: dict, timeout: float = 10.0) -> int:
    """POST the payload; returns the HTTP status. Errors name the host, never the full URL."""
    request = urllib.request.Request(
        url, data=json.dumps(payload).encode(), method="POST", headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status
    except (urllib.error.URLError, OSError) as exc:
        raise RuntimeError(f"alert webhook at host {urlsplit(url).hostname!r} failed: {type(exc).__name__}") from None
