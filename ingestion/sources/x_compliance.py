"""SOURCE=x-compliance: X's batch compliance jobs (API v2) through tweepy, results -> compliance events.

One job per type ("tweets", "users"), X's four steps: create the job (POST /2/compliance/jobs), upload
the ids (one per line, PUT to the job's upload_url), poll the job (GET /2/compliance/jobs/:id) until
`complete`, download the results (GET download_url: JSON Lines, one line per id needing action):

    {"id": "1170025343920402432", "action": "delete", "created_at": "...", "reason": "protected"}

A tweets-job result becomes a v2 `delete` event of that tweet (whatever the reason: the tweet must
go); a users-job result becomes `user_delete` (reason deleted or deactivated), `user_suspend` or
`user_protect`. Events are written as X's compliance stream lines, so tweets.compliance holds one
format whatever the source, and ingestion/sources/compliance.py validates them; a result the lake
cannot map goes to tweets.dlq (`unknown_event`).
"""
from __future__ import annotations

import json
import time
from typing import Callable, Iterable, Iterator

from ingestion import records as r
from ingestion.records import Record, Rejected
from ingestion.sources import compliance as c
from ingestion.sources.replay import SourceError

JOB_TYPES = ("tweets", "users")
USER_KINDS = {"deleted": c.USER_DELETE, "deactivated": c.USER_DELETE, "suspended": c.USER_SUSPEND,
              "protected": c.USER_PROTECT}
DONE, FAILED = "complete", ("failed", "expired")
DEFAULT_POLL_SECONDS = 10.0
DEFAULT_TIMEOUT_SECONDS = 3600.0


class XComplianceError(SourceError):
    pass


def result_item(line: bytes, job_type: str, origin: str) -> Record | Rejected:
    """One result line of a job -> a Record (an X compliance stream line) or a Rejected."""
    try:
        obj = json.loads(line)
    except (ValueError, RecursionError):
        return r.reject(r.INVALID_JSON, "not one complete JSON value", origin, line)
    if not isinstance(obj, dict):
        return r.reject(r.UNKNOWN_EVENT, "a compliance job result must be a JSON object", origin, line)
    action, reason = obj.get("action"), obj.get("reason")
    at = obj.get("redacted_at") or obj.get("created_at")
    if action != "delete":
        return r.reject(r.UNKNOWN_EVENT, f"compliance job action {str(action)[:40]!r} is not handled", origin, line)
    if job_type == "tweets":
        event = {"data": {c.DELETE: {"tweet": {"id": obj.get("id")}, "event_at": at}}}
    elif reason in USER_KINDS:
        event = {"data": {USER_KINDS[reason]: {"user": {"id": obj.get("id")}, "event_at": at}}}
    else:
        return r.reject(r.UNKNOWN_EVENT, f"users job reason {str(reason)[:40]!r} is not handled", origin, line)
    return c.item(json.dumps(event, separators=(",", ":")).encode(), origin)


def run_job(client, session, job_type: str, ids: Iterable[str], *, name: str | None = None,
            poll_seconds: float = DEFAULT_POLL_SECONDS, timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
            sleep: Callable[[float], None] = time.sleep) -> list[bytes]:
    """The job's result lines. `client`: x_api.make_client's tweepy client (raw responses); `session`:
    a requests session for the upload and download URLs (storage, not the API host)."""
    if job_type not in JOB_TYPES:
        raise ValueError(f"job type {job_type!r}: choose tweets or users")
    job = _data(client.create_compliance_job(type=job_type, name=name), "create a compliance job")
    body = "\n".join(str(i) for i in ids).encode() + b"\n"
    up = session.put(job["upload_url"], data=body, headers={"Content-Type": "text/plain"})
    if up.status_code >= 300:
        raise XComplianceError(f"x-compliance: uploading {job_type} ids to the job's upload_url answered "
                               f"{up.status_code}")
    waited = 0.0
    while True:
        status = _data(client.get_compliance_job(job["id"]), "poll the compliance job")
        if status.get("status") == DONE:
            break
        if status.get("status") in FAILED:
            raise XComplianceError(f"x-compliance: {job_type} job {job['id']} {status.get('status')}; run it again")
        if waited >= timeout_seconds:
            raise XComplianceError(f"x-compliance: {job_type} job {job['id']} not complete after "
                                   f"{timeout_seconds:.0f} s (status {status.get('status')}); run it again later")
        sleep(poll_seconds)
        waited += poll_seconds
    down = session.get(status.get("download_url") or job["download_url"])
    if down.status_code >= 300:
        raise XComplianceError(f"x-compliance: downloading the {job_type} job's results answered {down.status_code}")
    return [ln for ln in down.content.splitlines() if ln.strip()]


def _data(response, what: str) -> dict:
    if response.status_code >= 300:
        raise XComplianceError(f"x-compliance: could not {what}: HTTP {response.status_code}")
    try:
        data = response.json()["data"]
    except (ValueError, KeyError, TypeError):
        raise XComplianceError(f"x-compliance: could not {what}: the answer has no data object") from None
    return data


def collect(ids_by_type: dict[str, list[str]], bearer_token: str | None = None, *, api_base: str | None = None,
            **job_options) -> Iterator[Record | Rejected]:
    """Run one job per type with ids, yielding each result as an item (the token is checked now)."""
    import requests

    from ingestion.sources import x_api

    client = x_api.make_client(x_api.resolve_token(bearer_token), api_base=api_base)
    session = requests.Session()

    def items() -> Iterator[Record | Rejected]:
        for job_type, ids in ids_by_type.items():
            if not ids:
                continue
            for n, line in enumerate(run_job(client, session, job_type, ids, name=f"lake-{job_type}",
                                             **job_options)):
                yield result_item(line, job_type, f"x-compliance:{job_type}:{n + 1}")

    return items()


def read_ids(path: str) -> list[str]:
    """Ids of a text file, one per line (blank lines skipped)."""
    try:
        with open(path) as fh:
            return [ln.strip() for ln in fh if ln.strip()]
    except OSError as e:
        raise XComplianceError(f"x-compliance: cannot read ids from {path}: {e.strerror or e}") from None
