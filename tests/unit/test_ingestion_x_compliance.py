"""SOURCE=x-compliance against a local HTTP server speaking X's batch compliance API.

The server (http.server in a thread on 127.0.0.1) answers the four steps with the documented job
objects, and serves as results the real job results recorded in the shared twarc test data
(tweets_compliance.jsonl, users_compliance.jsonl). tweepy is not mocked: only its base URL moves.
"""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ingestion import records as r
from ingestion.records import Record, Rejected
from ingestion.sources import compliance as c
from ingestion.sources import x_compliance as xc

TOKEN = "test-bearer-token"


class FakeJobs:
    def __init__(self, results: dict[str, bytes], polls_before_done: int = 1, final: str = "complete"):
        self.results, self.polls_before_done, self.final = results, polls_before_done, final
        self.jobs: dict[str, dict] = {}
        self.uploads: dict[str, bytes] = {}
        self.requests: list[tuple[str, str]] = []

    def serve(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, code: int, body: bytes, ctype: str = "application/json"):
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _body(self) -> bytes:
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def do_POST(self):
                fake.requests.append(("POST", self.path))
                assert self.headers["Authorization"] == f"Bearer {TOKEN}"
                req = json.loads(self._body())
                job_id = str(1460000000000000000 + len(fake.jobs))
                job = {"id": job_id, "type": req["type"], "name": req.get("name"), "status": "created",
                       "resumable": False, "created_at": "2026-12-07T02:00:00.000Z",
                       "upload_url": f"{fake.base}/upload/{job_id}", "download_url": f"{fake.base}/download/{job_id}"}
                fake.jobs[job_id] = {**job, "polls": 0}
                self._send(200, json.dumps({"data": job}).encode())

            def do_PUT(self):
                fake.requests.append(("PUT", self.path))
                fake.uploads[self.path.rsplit("/", 1)[1]] = self._body()
                self._send(200, b"", "text/plain")

            def do_GET(self):
                fake.requests.append(("GET", self.path))
                if self.path.startswith("/download/"):
                    job = fake.jobs[self.path.rsplit("/", 1)[1]]
                    return self._send(200, fake.results[job["type"]], "application/octet-stream")
                job = fake.jobs[self.path.rsplit("/", 1)[1]]
                job["polls"] += 1
                status = fake.final if job["polls"] > fake.polls_before_done else "in_progress"
                data = {k: v for k, v in job.items() if k != "polls"}
                self._send(200, json.dumps({"data": {**data, "status": status}}).encode())

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{server.server_address[1]}"
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server


@pytest.fixture
def recorded(shared_data) -> dict[str, bytes]:
    d = shared_data / "tweets" / "v2-twarc" / "test-data"
    return {"tweets": (d / "tweets_compliance.jsonl").read_bytes(), "users": (d / "users_compliance.jsonl").read_bytes()}


def run(fake: FakeJobs, ids: dict[str, list[str]]) -> list:
    server = fake.serve()
    try:
        return list(xc.collect(ids, TOKEN, api_base=fake.base, poll_seconds=0.0, sleep=lambda s: None))
    finally:
        server.shutdown()


def test_jobs_run_the_four_steps_and_results_become_events(recorded):
    fake = FakeJobs(recorded)
    items = run(fake, {"tweets": ["1170025343920402432", "1170147183095664640", "20"], "users": ["1482680858"]})
    assert [m for m, _ in fake.requests] == ["POST", "PUT", "GET", "GET", "GET"] * 2
    assert sorted(fake.uploads.values()) == [b"1170025343920402432\n1170147183095664640\n20\n", b"1482680858\n"]
    assert all(isinstance(i, Record) for i in items) and len(items) == 4
    events = [c.parse_bytes(i.payload) for i in items]
    assert [(e.kind, e.key) for e in events] == [("delete", "1170025343920402432"), ("delete", "1170147183095664640"),
                                                 ("user_protect", "1482680858"), ("user_protect", "1482680858")]
    assert events[1].event_at == "2021-08-17T17:26:15.788Z"  # redacted_at, when X gives it


def test_results_the_lake_cannot_map_go_to_the_dlq():
    assert isinstance(xc.result_item(b'{"id":"5","action":"delete","reason":"suspended"}', "users", "o"), Record)
    bad = [xc.result_item(b'{"id":"5","action":"scrub_geo"}', "tweets", "o"),
           xc.result_item(b'{"id":"5","action":"delete","reason":"withheld"}', "users", "o"),
           xc.result_item(b'{"action":"delete"}', "tweets", "o"), xc.result_item(b"{", "tweets", "o")]
    assert [b.reason for b in bad if isinstance(b, Rejected)] == [r.UNKNOWN_EVENT, r.UNKNOWN_EVENT, r.MISSING_ID,
                                                                  r.INVALID_JSON]


def test_a_failed_job_is_one_line(recorded):
    with pytest.raises(xc.XComplianceError, match="failed; run it again"):
        run(FakeJobs(recorded, final="failed"), {"tweets": ["1"]})


def test_a_job_that_never_completes_times_out(recorded):
    fake = FakeJobs(recorded, polls_before_done=10**6)
    server = fake.serve()
    try:
        with pytest.raises(xc.XComplianceError, match="not complete after"):
            list(xc.collect({"users": ["1"]}, TOKEN, api_base=fake.base, poll_seconds=1.0, timeout_seconds=3,
                            sleep=lambda s: None))
    finally:
        server.shutdown()
