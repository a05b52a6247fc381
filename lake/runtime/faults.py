"""How a command meets a fault. Client libraries (librdkafka, the Trino and Hive clients, Spark's
and Hadoop's client JVMs) log into the command's own log file at their own level; the terminal gets
one line per condition, at most every few seconds; transient errors are retried until the command's
deadline, and giving up is one ServiceDown line naming the service, the fix and the logs.

    log = faults.command_log(s, "ingest")          # var/log/commands/ingest.log
    faults.retry(lambda: admin.list_topics(timeout=10), clients.kafka_endpoint(s), 60, clients.kafka_transient)
"""
from __future__ import annotations

import logging
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, TypeVar

from lake.errors import ServiceDown
from lake.settings import Settings

T = TypeVar("T")

# Python loggers of the client libraries a command uses; their records go to the command's log only.
# "lake.client" receives librdkafka's log lines (clients.kafka_config passes it as `logger`).
CLIENT_LOGGERS = ("lake.client", "trino", "urllib3", "pyhive", "thrift", "hdfs", "py4j")
# A condition that persists is repeated on the terminal at most this often.
NOTICE_EVERY_S = 5.0

log = logging.getLogger("lake.client")
_state: dict[str, object] = {"path": None, "prog": "lake", "last": {}}


@dataclass(frozen=True)
class Endpoint:
    """A service as a user finds it: its name, its address, its log, and its `make logs SERVICE=` name."""
    service: str
    name: str
    address: str
    log: Path


def command_log(s: Settings, command: str, prog: str | None = None) -> Path:
    """Send the client libraries' logs to var/log/commands/<command>.log (appended, one per command)
    instead of the terminal; returns the path. `prog` prefixes the terminal notices."""
    path = s.log_dir / "commands" / f"{command}.log"
    if _state["path"] == path:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    for name in CLIENT_LOGGERS:
        lg = logging.getLogger(name)
        lg.addHandler(handler)
        lg.propagate = False
        if lg.level == logging.NOTSET:
            lg.setLevel(logging.DEBUG if name == "lake.client" else logging.INFO)
    _state.update(path=path, prog=prog or command)
    log.info("---- %s started: %s", command, " ".join(sys.argv))
    return path


def log_path() -> Path | None:
    """The current command's log, or None outside a command (services, tests in-process)."""
    return _state["path"]


def notice(key: str, line: str, every: float = NOTICE_EVERY_S) -> bool:
    """Print `line` on stderr unless the same condition (`key`) was printed less than `every` s ago;
    always logs it. Returns whether it was printed."""
    log.warning("%s", line)
    last: dict = _state["last"]
    now = time.monotonic()
    if now - last.get(key, -1e9) < every:
        return False
    last[key] = now
    print(f"{_state['prog']}: {line}", file=sys.stderr, flush=True)
    return True


def where_logged(ep: Endpoint) -> str:
    return str(log_path() or ep.log)


def not_answering(ep: Endpoint, window: float) -> None:
    notice(ep.name, f"{ep.service} at {ep.address} is not answering (retrying for {window:.0f} s; "
                    f"log: {where_logged(ep)})")


def short(cause: BaseException | str) -> str:
    """An error's first line, without a client library's wrapping (KafkaError{code=..,str="..."} -> its str)."""
    inner = cause.args[0] if isinstance(cause, BaseException) and cause.args else cause
    text = inner.str() if callable(getattr(inner, "str", None)) else str(cause)
    return (text.splitlines() or [""])[0][:160]


def gave_up(ep: Endpoint, waited: float, cause: BaseException | str = "") -> ServiceDown:
    err = ServiceDown(ep.service, ep.address, str(ep.log), waited, ep.name, short(cause))
    if log_path():
        err.args = (f"{err.args[0]}; this command's log: {log_path()}",)
    return err


def retry(call: Callable[[], T], ep: Endpoint, timeout: float, transient: Callable[[BaseException], bool],
          pause: float = 1.0) -> T:
    """call() until it succeeds, retrying errors `transient` accepts for up to `timeout` s (a notice
    on the terminal while it waits); then ServiceDown. Other errors pass through at once."""
    t0 = time.monotonic()
    while True:
        try:
            return call()
        except Exception as e:  # noqa: BLE001 - classified by `transient`
            if not transient(e):
                raise
            log.warning("%s at %s: %s", ep.service, ep.address, e)
            waited = time.monotonic() - t0
            if waited >= timeout:
                raise gave_up(ep, waited, e) from None
            not_answering(ep, timeout)
            time.sleep(min(pause, max(0.0, timeout - waited)))
            pause = min(pause * 2, 5.0)
