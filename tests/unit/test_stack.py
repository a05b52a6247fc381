"""The launcher's start logic with throw-away services made of real processes."""
from __future__ import annotations

import socket
import sys

import pytest

from lake import settings
from lake.runtime import probes, process
from lake.stack import lifecycle as stack
from lake.errors import LakeError
from lake.stack.service import Service


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Toy(Service):
    """A tiny TCP server (or a crasher) standing in for a daemon in launcher tests."""

    name = "toy"
    port_keys = ("toy",)
    start_timeout = 20
    crash = False

    def argv(self):
        code = ("import sys; print('boom: bad config', flush=True); sys.exit(3)" if self.crash else
                "import socket,time; s=socket.socket(); s.bind(('127.0.0.1', %d)); s.listen(); time.sleep(120)"
                % self.ports[0])
        return [sys.executable, "-c", code, process.marker(self.name)]

    def env(self):
        return {}

    def probe(self):
        return probes.port_open("127.0.0.1", self.ports[0])


@pytest.fixture
def s(tmp_path):
    base = settings.load({"LAKE_VAR_DIR": str(tmp_path)})
    return settings.Settings(**{**base.__dict__, "ports": {**base.ports, "toy": _free_port()}})


def test_start_then_reuse(s):
    svc = Toy(s)
    try:
        assert stack.ensure_up(svc) == "started"
        pid = svc.daemon.pid()
        assert stack.ensure_up(Toy(s)) == "already running"
        assert Toy(s).daemon.pid() == pid
    finally:
        svc.daemon.stop(timeout=5)


def test_dead_daemon_is_restarted(s):
    svc = Toy(s)
    try:
        stack.ensure_up(svc)
        old = svc.daemon.pid()
        svc.daemon.stop(timeout=5)
        svc.daemon.pid_file.write_text(str(old))  # as a kill -9 would leave it
        assert stack.ensure_up(Toy(s)) == "started"
        assert Toy(s).daemon.pid() != old
    finally:
        svc.daemon.stop(timeout=5)


def test_crash_during_startup_names_service_probe_and_log(s):
    class Crasher(Toy):
        crash = True

    with pytest.raises(LakeError) as e:
        stack.ensure_up(Crasher(s))
    msg = str(e.value)
    assert msg.startswith("toy did not start: the process exited during start-up")
    assert "refused" in msg and "toy.log" in msg
    assert "boom: bad config" in e.value.details
    # It was started twice (one retry), and no more.
    assert svc_log_starts(s) == 2


def svc_log_starts(s) -> int:
    return Toy(s).daemon.log_file.with_suffix(".out").read_text().count("==== ")


def test_a_daemon_that_dies_once_while_starting_gets_one_more_start(s, tmp_path):
    flag = tmp_path / "crashed-once"

    class FlakyOnce(Toy):
        def argv(self):
            # First start: record it and die, as a JVM racing a dependency would; second: serve.
            code = ("import os,socket,sys,time\n"
                    f"if not os.path.exists({str(flag)!r}):\n"
                    f"    open({str(flag)!r}, 'w').close(); print('boom: first start', flush=True); sys.exit(3)\n"
                    f"s=socket.socket(); s.bind(('127.0.0.1', {self.ports[0]})); s.listen(); time.sleep(120)")
            return [sys.executable, "-c", code, process.marker(self.name)]

    svc = FlakyOnce(s)
    try:
        assert stack.ensure_up(svc) == "started"
        assert flag.exists() and svc.daemon.pid() is not None
        assert svc_log_starts(s) == 2
    finally:
        svc.daemon.stop(timeout=5)


def test_clean_data_removes_secrets_only_with_the_data(s, monkeypatch):
    """Certificates, logins and credentials live under var/secrets and go with the data (issue #21);
    the downloaded artifacts stay."""
    stopped = []
    monkeypatch.setattr(stack, "down", lambda st: stopped.append(st))
    for d in (s.data_dir, s.secrets_dir / "trino", s.lib_dir):
        d.mkdir(parents=True, exist_ok=True)
    (s.secrets_dir / "kafka-admin-password").write_text("x")
    (s.secrets_dir / "trino" / "keystore.p12").write_bytes(b"x")
    (s.lib_dir / "artifact.tgz").write_bytes(b"x")
    with pytest.raises(LakeError, match="cancelled"):
        monkeypatch.setattr("builtins.input", lambda prompt: "no")
        stack.clean_data(s, confirmed=False)
    assert (s.secrets_dir / "kafka-admin-password").exists() and not stopped  # kept without a yes
    stack.clean_data(s, confirmed=True)
    assert stopped == [s] and not s.secrets_dir.exists() and not s.data_dir.exists()
    assert (s.lib_dir / "artifact.tgz").exists()
