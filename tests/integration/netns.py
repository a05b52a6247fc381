"""Extra hosts on this machine for the scale-out tests (issue #24): Linux network namespaces on a private bridge.

Each host is a network namespace with a veth pair whose other end sits on a bridge in the root namespace;
the bridge holds the first address of a private /24 the harness picks among ranges no interface or route of
this machine uses, and the hosts the next ones. Traffic stays between this machine's own namespaces: no
forwarding, no route out. Every name starts with the harness's prefix, so a run that crashed leaves nothing
the next run cannot find: `Netns.__enter__` first removes what a previous run of the same prefix left (its
namespaces and the processes in them, its bridge), and `__exit__` always tears down. Needs root and `ip`.
"""
from __future__ import annotations

import ipaddress
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass

IP = shutil.which("ip") or "/usr/sbin/ip"
PREFIX = "lkn"  # the harness's names: <prefix>-br (bridge), <prefix>-<host> (namespace), <prefix>-<i>h (veth)
# Candidate /24s, each checked against this machine's addresses and routes before use.
CANDIDATE_NETS = tuple(f"10.{a}.{b}.0/24" for a, b in ((213, 24), (213, 124), (214, 24), (172, 24)))


class NetnsError(RuntimeError):
    pass


def ip(*args: str, netns: str | None = None, check: bool = True) -> str:
    argv = [IP, *(("netns", "exec", netns, IP) if netns else ()), *args]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    if check and r.returncode != 0:
        raise NetnsError(f"{' '.join(argv)} failed ({r.returncode}): {r.stderr.strip()}")
    return r.stdout


def namespaces(prefix: str = PREFIX) -> list[str]:
    """This prefix's namespaces that exist now (`ip netns list` prints `name (id: n)`)."""
    names = [line.split()[0] for line in ip("netns", "list").splitlines() if line.strip()]
    return [n for n in names if n.startswith(f"{prefix}-")]


def links(prefix: str = PREFIX) -> list[str]:
    """This prefix's interfaces in the root namespace (`ip -o link` prints `n: name@peer: ...`)."""
    names = [line.split(":")[1].strip().split("@")[0] for line in ip("-o", "link").splitlines() if line.strip()]
    return [n for n in names if n.startswith(f"{prefix}-")]


def pids_in(netns: str) -> list[int]:
    return [int(p) for p in ip("netns", "pids", netns, check=False).split()]


def kill_all_in(netns: str, timeout: float = 20.0) -> None:
    """SIGKILL every process inside the namespace (only a harness's own processes live there) and wait."""
    deadline = time.monotonic() + timeout
    while (pids := pids_in(netns)) and time.monotonic() < deadline:
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.1)
    if pids_in(netns):
        raise NetnsError(f"processes {pids_in(netns)} in {netns} survived SIGKILL for {timeout:.0f} s")


def remove(prefix: str = PREFIX) -> list[str]:
    """Remove every namespace (and the processes in it) and interface of this prefix; returns what was removed."""
    removed = []
    for ns in namespaces(prefix):
        kill_all_in(ns)
        ip("netns", "del", ns)
        removed.append(ns)
    for link in links(prefix):  # veth host ends vanish with their namespace; the bridge stays until here
        ip("link", "del", link, check=False)
        removed.append(link)
    return removed


def free_net(candidates: tuple[str, ...] = CANDIDATE_NETS) -> ipaddress.IPv4Network:
    """The first candidate /24 that overlaps no address and no route of this machine."""
    used = []
    for line in ip("-o", "-4", "addr").splitlines() + ip("-4", "route").splitlines():
        for token in line.split():
            try:
                used.append(ipaddress.IPv4Network(token, strict=False))
            except ValueError:
                continue
    for cand in map(ipaddress.IPv4Network, candidates):
        if not any(cand.overlaps(u) for u in used):
            return cand
    raise NetnsError(f"every candidate range ({', '.join(candidates)}) is in use on this machine")


@dataclass(frozen=True)
class NsHost:
    name: str      # the host's name (cluster.toml)
    netns: str     # its namespace
    address: str

    def argv(self, *argv: str) -> list[str]:
        """A command line that runs argv inside this host's namespace."""
        return [IP, "netns", "exec", self.netns, *argv]


class Netns:
    """`with Netns(["w1", "w2"]) as net:` makes the bridge (net.bridge_address, in the root namespace) and
    one namespace per host name (net.hosts), each with loopback up and an address on the bridge's /24."""

    def __init__(self, names: list[str], prefix: str = PREFIX):
        self.prefix = prefix
        self.bridge = f"{prefix}-br"
        self.names = list(names)
        self.hosts: list[NsHost] = []
        self.net: ipaddress.IPv4Network | None = None
        self.leftovers: list[str] = []

    @property
    def bridge_address(self) -> str:
        return str(self.net.network_address + 1)

    def __enter__(self) -> Netns:
        self.leftovers = remove(self.prefix)
        try:
            self._create()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _create(self) -> None:
        self.net = free_net()
        plen = self.net.prefixlen
        ip("link", "add", self.bridge, "type", "bridge")
        ip("addr", "add", f"{self.bridge_address}/{plen}", "dev", self.bridge)
        ip("link", "set", self.bridge, "up")
        for i, name in enumerate(self.names, 1):
            host = NsHost(name, f"{self.prefix}-{name}", str(self.net.network_address + 1 + i))
            outside, inside = f"{self.prefix}-{i}h", f"{self.prefix}-{i}n"
            ip("netns", "add", host.netns)
            self.hosts.append(host)
            ip("link", "add", outside, "type", "veth", "peer", "name", inside)
            ip("link", "set", inside, "netns", host.netns)
            ip("link", "set", outside, "master", self.bridge)
            ip("link", "set", outside, "up")
            ip("link", "set", "lo", "up", netns=host.netns)
            ip("addr", "add", f"{host.address}/{plen}", "dev", inside, netns=host.netns)
            ip("link", "set", inside, "up", netns=host.netns)

    def host(self, name: str) -> NsHost:
        return next(h for h in self.hosts if h.name == name)

    def close(self) -> None:
        remove(self.prefix)
        self.hosts = []
