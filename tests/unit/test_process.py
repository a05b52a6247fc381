"""Daemon bookkeeping against real child processes."""
from __future__ import annotations

import socket
import sys
import time

import pytest

from lake import settings
from lake.runtime import process
from lake.stack import lifecycle as stack
from lake.errors import LakeError
from lake.stack.trino import Trino


def test_start_marks_pid_and_stop_kills(tmp_path):
    d = process.Daemon("sleeper", tmp_path / "run", tmp_path / "log" / "sleeper.log")
    argv = [sys.executable, "-c", "import time; time.sleep(60)", process.marker("sleeper")]
    pid = d.start(argv, env={})
    assert d.pid() == pid and process.is_ours(pid, "sleeper")
    assert not process.is_ours(pid, "other")
    # Measured right after the fork, the child may not have exec'd the interpreter yet (0.5 MiB seen
    # once in CI): probe until it has, for up to 10 s.
    deadline = time.monotonic() + 10
    while (process.rss_mb(pid) or 0) <= 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert (process.rss_mb(pid) or 0) > 1
    assert d.stop(timeout=5)
    assert d.pid() is None
    assert not process.pid_alive(pid)  # a zombie awaiting its parent counts as exited
    assert not d.pid_file.exists()


def test_stale_pid_file_is_ignored(tmp_path):
    d = process.Daemon("ghost", tmp_path, tmp_path / "ghost.log")
    d.pid_file.write_text("1")  # pid 1 exists but is not ours
    assert d.pid() is None
    assert not d.pid_file.exists()


def test_listener_pid_finds_this_process():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    try:
        assert process.listener_pid(sock.getsockname()[1]) == __import__("os").getpid()
    finally:
        sock.close()


def test_taken_port_is_one_clear_error(tmp_path):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    port = sock.getsockname()[1]
    try:
        s = settings.load({"LAKE_VAR_DIR": str(tmp_path), "LAKE_PORT_TRINO": str(port)})
        with pytest.raises(LakeError) as e:
            stack._check_ports(Trino(s))
        msg = str(e.value)
        assert f"port {port} is already in use by pid" in msg and "LAKE_PORT_TRINO" in msg
        assert "\n" not in msg
    finally:
        sock.close()


def test_tail_reads_last_lines(tmp_path):
    f = tmp_path / "x.log"
    f.write_text("\n".join(str(i) for i in range(100)))
    assert process.tail(f, 3) == "97\n98\n99"
    assert "no log" in process.tail(tmp_path / "missing.log")


def test_missing_jdk_is_one_clear_error(monkeypatch):
    from lake.runtime import jvm

    jvm.java17_home.cache_clear()
    monkeypatch.delenv("LAKE_JAVA17_HOME", raising=False)
    monkeypatch.setattr(jvm.glob, "glob", lambda pattern: [])
    try:
        with pytest.raises(LakeError, match=r"JDK 17 not found .*make install"):
            jvm.java17_home()
    finally:
        jvm.java17_home.cache_clear()
