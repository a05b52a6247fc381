"""One build at a time per set of schemas, whoever starts it: `make build`, an Airflow task of
lake_batch (which runs the same `python -m lake build`), a test's sandbox.

Two builds of the same schemas can both rewrite a created-date partition of silver and gold (dates
share them), so the second waits for the first. The lock is an flock(2) on a file under var/run: the
kernel releases it when its holder dies, even by kill -9, so a crashed build never leaves a stale
lock. A holder file beside it says who holds it, for the one line a waiting build prints.
Builds of different schema prefixes (the tests' sandboxes) do not block each other.
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from lake.errors import LakeError
from lake.settings import Settings

# How long a build waits for another one before giving up (seconds). Airflow's layer tasks and a
# person's `make build` both wait: a build takes minutes, and refusing would only make someone retry.
TIMEOUT_ENV = "LAKE_BUILD_LOCK_TIMEOUT"
DEFAULT_TIMEOUT = 3600.0


def lock_path(s: Settings, prefix: str = "") -> Path:
    name = re.sub(r"[^\w-]", "_", prefix.rstrip("_")) or "lake"
    return s.run_dir / f"build-{name}.lock"


def holder(path: Path) -> dict:
    """Who holds (or last held) the lock: {"pid", "what", "since"}; {} when unknown."""
    try:
        return json.loads(path.with_suffix(".holder.json").read_text())
    except (OSError, ValueError):
        return {}


def describe(info: dict) -> str:
    if not info:
        return "another build"
    return f"another build (pid {info.get('pid')}, `{info.get('what')}`, since {info.get('since')})"


def timeout_from_env() -> float:
    raw = os.environ.get(TIMEOUT_ENV, "")
    if not raw:
        return DEFAULT_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        raise LakeError(f"{TIMEOUT_ENV}={raw!r} is not a number of seconds (0 = do not wait)") from None
    if value < 0:
        raise LakeError(f"{TIMEOUT_ENV}={raw!r} must be 0 or more seconds")
    return value


@contextlib.contextmanager
def build_lock(s: Settings, prefix: str = "", timeout: float | None = None, what: str | None = None,
               echo=print, poll: float = 1.0):
    """Hold the build lock of `prefix`'s schemas for the block; wait up to `timeout` s for it."""
    timeout = timeout_from_env() if timeout is None else timeout
    path = lock_path(s, prefix)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + timeout
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise LakeError(f"build: {describe(holder(path))} is writing these tables; gave up after "
                                    f"{timeout:.0f} s ({TIMEOUT_ENV}); retry when it is done (lock: {path})") from None
                if not told:
                    echo(f"build: {describe(holder(path))} is writing these tables; waiting up to {timeout:.0f} s "
                         f"(lock: {path})")
                    told = True
                time.sleep(poll)  # polling a lock, not waiting for readiness: flock has no timeout of its own
        info = {"pid": os.getpid(), "what": what or " ".join(["lake", *sys.argv[1:]])[:200],
                "since": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")}
        tmp = path.with_suffix(".holder.tmp")
        tmp.write_text(json.dumps(info))
        tmp.replace(path.with_suffix(".holder.json"))
        yield info
    finally:
        os.close(fd)  # releases the flock


def is_held(s: Settings, prefix: str = "") -> bool:
    """True while some process holds the lock (probes it without taking it for long)."""
    path = lock_path(s, prefix)
    if not path.exists():
        return False
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
