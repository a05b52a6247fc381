"""The scale-out harness itself (tests/integration/netns.py): namespaces on a private bridge reach each other and
the root namespace, and nothing of theirs outlives the harness, even after a run that crashed.

Needs root and `ip`; it starts no lake service. Run it under the lock like every integration test."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.integration import netns

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="network namespaces need root")

# Listens on the address and port given, answers each connection with the host's name, for 60 s at most.
SERVER = ("import socket,sys; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); "
          "s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(); s.settimeout(60); print('ready', flush=True)\n"
          "while True:\n c,_=s.accept(); c.sendall(sys.argv[3].encode()); c.close()")
CLIENT = ("import socket,sys; c=socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5); "
          "print(c.recv(100).decode())")


def _serve(host: netns.NsHost, port: int) -> subprocess.Popen:
    proc = subprocess.Popen(host.argv(sys.executable, "-c", SERVER, host.address, str(port), host.name),
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready", f"the test server in {host.netns} did not start"
    return proc


def _ask(address: str, port: int, inside: netns.NsHost | None = None) -> str:
    argv = [sys.executable, "-c", CLIENT, address, str(port)]
    r = subprocess.run(inside.argv(*argv) if inside else argv, capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, f"connect to {address}:{port} from {inside.netns if inside else 'root'}: {r.stderr}"
    return r.stdout.strip()


def test_hosts_reach_each_other_and_the_bridge_and_teardown_removes_everything():
    servers = []
    with netns.Netns(["w1", "w2"]) as net:
        w1, w2 = net.hosts
        assert net.net.is_private and w1.address != w2.address
        assert sorted(netns.namespaces()) == ["lkn-w1", "lkn-w2"]
        coord = netns.NsHost("coord", "", net.bridge_address)
        servers = [_serve(w1, 17001), _serve(w2, 17001)]
        on_bridge = subprocess.Popen([sys.executable, "-c", SERVER, coord.address, "17001", "coord"],
                                     stdout=subprocess.PIPE, text=True)
        assert on_bridge.stdout.readline().strip() == "ready"
        try:
            assert _ask(coord.address, 17001, inside=w1) == "coord"  # a host to the coordinator (root namespace)
        finally:
            on_bridge.kill()
            on_bridge.wait()
        assert _ask(w2.address, 17001, inside=w1) == "w2"     # namespace to namespace, over the bridge
        assert _ask(w1.address, 17001, inside=w2) == "w1"
        assert _ask(w1.address, 17001) == "w1"                # root namespace (the coordinator) to a host
        # Each namespace has its own loopback: nothing listens on 127.0.0.1:17001 inside w1.
        r = subprocess.run(w1.argv(sys.executable, "-c", CLIENT, "127.0.0.1", "17001"),
                           capture_output=True, text=True, timeout=30)
        assert r.returncode != 0 and "Connection refused" in r.stderr
    # The servers lived inside the namespaces: teardown killed them with the namespaces.
    for proc in servers:
        assert proc.wait(timeout=10) == -9
    assert netns.namespaces() == [] and netns.links() == []


def test_leftovers_of_a_crashed_run_are_removed_first():
    # What a run killed mid-way leaves: a namespace with a process still in it, and the bridge.
    netns.ip("netns", "add", "lkn-stale")
    netns.ip("link", "add", "lkn-br", "type", "bridge")
    stray = subprocess.Popen(netns.NsHost("stale", "lkn-stale", "").argv("sleep", "300"))
    try:
        with netns.Netns(["w1"]) as net:
            assert set(net.leftovers) == {"lkn-stale", "lkn-br"}
            assert netns.namespaces() == ["lkn-w1"]
            assert stray.wait(timeout=10) == -9
    finally:
        if stray.poll() is None:
            stray.kill()
        netns.remove()
    assert netns.namespaces() == [] and netns.links() == []


def test_teardown_runs_when_the_body_fails():
    with pytest.raises(RuntimeError, match="the test body failed"):
        with netns.Netns(["w1"]):
            raise RuntimeError("the test body failed")
    assert netns.namespaces() == [] and netns.links() == []
