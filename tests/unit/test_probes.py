"""Health probes and waits, against real sockets and a real HTTP server on loopback."""
from __future__ import annotations

import http.server
import json
import socket
import threading
import time

import pytest

from lake.runtime import probes


@pytest.fixture
def listener():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    yield sock.getsockname()[1]
    sock.close()


def test_port_open_and_free(listener):
    assert probes.port_open("127.0.0.1", listener)
    assert not probes.port_free("127.0.0.1", listener)


def test_port_closed_reports_refusal():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    r = probes.port_open("127.0.0.1", port)
    assert not r and "refused" in r.detail
    assert probes.port_free("127.0.0.1", port)


@pytest.fixture
def json_server():
    body = {"starting": True}

    class H(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *a):
            pass

    srv = http.server.HTTPServer(("127.0.0.1", 0), H)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield body, f"http://127.0.0.1:{srv.server_port}/v1/info"
    srv.shutdown()


def test_http_check_follows_state(json_server):
    body, url = json_server
    judge = lambda b: (b["starting"] is False, f"starting={b['starting']}")  # noqa: E731
    assert not probes.http_check(url, judge)
    body["starting"] = False
    assert probes.http_check(url, judge).ok


def test_wait_for_returns_once_ready():
    calls = []

    def probe():
        calls.append(1)
        return probes.ProbeResult(len(calls) >= 3, f"call {len(calls)}")

    assert probes.wait_for(probe, timeout=5, what="svc", interval=0.01).detail == "call 3"


def test_wait_for_times_out_naming_service():
    with pytest.raises(probes.WaitTimeout, match=r"kafka: not ready after 0s \(last probe: nope\)"):
        probes.wait_for(lambda: probes.ProbeResult(False, "nope"), timeout=0.2, what="kafka", interval=0.05)


def test_wait_for_stops_early_when_process_dies():
    t0 = time.monotonic()
    with pytest.raises(probes.WaitTimeout, match="exited during start-up"):
        probes.wait_for(lambda: probes.ProbeResult(False, "x"), timeout=30, what="trino",
                        interval=0.01, alive=lambda: False)
    assert time.monotonic() - t0 < 5
