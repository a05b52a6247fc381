"""Readiness probes. Every wait in the lake goes through ``wait_for``: it polls a
probe until it passes or a timeout expires, never a blind ``sleep``."""
from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Callable


@dataclass
class ProbeResult:
    ok: bool
    detail: str = ""

    def __bool__(self) -> bool:
        return self.ok


Probe = Callable[[], ProbeResult]


def port_open(host: str, port: int, timeout: float = 1.0) -> ProbeResult:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return ProbeResult(True, f"{host}:{port} accepts connections")
    except OSError as e:
        return ProbeResult(False, f"{host}:{port} refused ({e.strerror or e})")


def port_free(host: str, port: int) -> bool:
    """True when nothing listens on host:port and we could bind it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def http_json(url: str, timeout: float = 3.0, cafile=None):
    """GET url as JSON; an https URL is verified against `cafile` when given (a self-signed service)."""
    import ssl

    req = urllib.request.Request(url, headers={"Accept": "application/json"})
    context = ssl.create_default_context(cafile=str(cafile)) if cafile else None
    with urllib.request.urlopen(req, timeout=timeout, context=context) as resp:
        return json.loads(resp.read().decode())


def http_check(url: str, predicate: Callable[[object], tuple[bool, str]], cafile=None) -> ProbeResult:
    """GET url as JSON and judge it with predicate -> (ok, detail)."""
    try:
        body = http_json(url, cafile=cafile)
    except (urllib.error.URLError, OSError, ValueError) as e:
        return ProbeResult(False, f"GET {url} failed: {e}")
    ok, detail = predicate(body)
    return ProbeResult(ok, detail)


def http_text(url: str, expected: str, timeout: float = 3.0) -> ProbeResult:
    """GET url and pass when its body, stripped, is `expected` (a plain-text health endpoint)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            body = resp.read(200).decode(errors="replace").strip()
    except (urllib.error.URLError, OSError) as e:
        return ProbeResult(False, f"GET {url} failed: {e}")
    return ProbeResult(body == expected, f"GET {url}: {body[:40]!r}")


class WaitTimeout(RuntimeError):
    pass


def wait_for(probe: Probe, timeout: float, what: str, interval: float = 0.5,
             alive: Callable[[], bool] | None = None) -> ProbeResult:
    """Poll ``probe`` until it passes. ``alive`` lets the caller stop early when
    the process being waited on has died, instead of waiting out the timeout."""
    deadline = time.monotonic() + timeout
    last = ProbeResult(False, "not probed yet")
    while True:
        last = probe()
        if last:
            return last
        if alive is not None and not alive():
            raise WaitTimeout(f"{what}: the process exited during start-up (last probe: {last.detail})")
        if time.monotonic() >= deadline:
            raise WaitTimeout(f"{what}: not ready after {timeout:.0f}s (last probe: {last.detail})")
        time.sleep(interval)
