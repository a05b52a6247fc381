"""The cluster description: which hosts the lake runs on and which roles each one runs (cluster.toml).

The first host is the coordinator: it runs every service that is not a worker role (NameNode,
ResourceManager, PostgreSQL and the metastore, Kafka, Trino, the Thrift Server, Airflow, Superset and
the lake's own daemons). The worker roles can run on any host, the coordinator included, except a Trino
worker (the coordinator's Trino already works as one). The default, with no cluster.toml or the one in the
repo, is today's lake: one host on 127.0.0.1 that runs all.

`make up` starts the roles of the host it runs on: LAKE_HOST=<name> names it, else the one host whose
address belongs to this machine. LAKE_CLUSTER=<file> reads another description (the scale-out test
harness, tests/integration/netns.py, writes its own). Stdlib only, like lake/versions.py.
"""
from __future__ import annotations

import ipaddress
import socket
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from lake.errors import LakeError

CLUSTER_FILE = Path(__file__).resolve().parent.parent / "cluster.toml"

COORDINATOR = "coordinator"
# The roles a worker host can run, named after the services (lake/stack/services.py) they start.
TRINO_WORKER = "trino-worker"
WORKER_ROLES = ("datanode", "nodemanager", "kafka-broker", TRINO_WORKER)
ROLES = (COORDINATOR, *WORKER_ROLES)
# Worker roles a coordinator already fills with its own service: its Kafka is a broker (and the controller),
# so a host with the coordinator role never starts a second broker beside it.
COORDINATOR_FILLS = ("kafka-broker",)
# Worker roles the coordinator's host cannot hold: its own Trino already works when no other host runs a
# Trino worker (node-scheduler.include-coordinator), and a second Trino there would need the same port.
NOT_ON_COORDINATOR = (TRINO_WORKER,)


@dataclass(frozen=True)
class Host:
    name: str
    address: str
    roles: tuple[str, ...]
    # What this host's NodeManager offers YARN (None: the lake's default, lake/settings.py).
    yarn_memory_mb: int | None = None
    yarn_vcores: int | None = None

    def runs(self, service: str) -> bool:
        """Whether this host starts `service` (a service name): a worker role by name, anything else
        when the host is the coordinator."""
        if service in WORKER_ROLES:
            return service in self.roles and not (service in COORDINATOR_FILLS and COORDINATOR in self.roles)
        return COORDINATOR in self.roles


@dataclass(frozen=True)
class Cluster:
    hosts: tuple[Host, ...]
    replication: int  # HDFS dfs.replication

    @property
    def coordinator(self) -> Host:
        return self.hosts[0]

    def host(self, name: str) -> Host:
        for h in self.hosts:
            if h.name == name:
                return h
        raise LakeError(f"LAKE_HOST={name!r} is not in the cluster description; hosts: "
                        f"{', '.join(h.name for h in self.hosts)}")

    def with_role(self, role: str) -> list[Host]:
        return [h for h in self.hosts if role in h.roles]


SINGLE_HOST = Cluster(hosts=(Host("lake1", "127.0.0.1",
                                  tuple(r for r in ROLES if r not in (*COORDINATOR_FILLS, *NOT_ON_COORDINATOR))),),
                      replication=1)


def parse(doc: dict, origin: str = "cluster.toml") -> Cluster:
    """A cluster from a parsed TOML document, checked: one line names what is wrong and where."""
    def bad(why: str) -> LakeError:
        return LakeError(f"{origin}: {why}")

    rows = doc.get("hosts")
    if not isinstance(rows, list) or not rows:
        raise bad("no [[hosts]]: describe at least the coordinator host")
    hosts = []
    for i, row in enumerate(rows, 1):
        name, address, roles = row.get("name"), row.get("address"), row.get("roles")
        if not isinstance(name, str) or not name:
            raise bad(f"host {i} has no name")
        try:
            ipaddress.IPv4Address(address)
        except (ipaddress.AddressValueError, ValueError):
            raise bad(f"host {name!r}: address {address!r} is not an IPv4 address") from None
        if not isinstance(roles, list) or not roles:
            raise bad(f"host {name!r} has no roles; known roles: {', '.join(ROLES)}")
        unknown = [r for r in roles if r not in ROLES]
        if unknown:
            raise bad(f"host {name!r}: unknown role(s) {', '.join(map(str, unknown))}; known roles: "
                      f"{', '.join(ROLES)}")
        sizes = {k: row.get(k) for k in ("yarn_memory_mb", "yarn_vcores")}
        for key, value in sizes.items():
            if value is not None and (not isinstance(value, int) or value < 1):
                raise bad(f"host {name!r}: {key}={value!r} is not a positive whole number")
        hosts.append(Host(name, address, tuple(roles), **sizes))
    for attr in ("name", "address"):
        values = [getattr(h, attr) for h in hosts]
        twice = sorted({v for v in values if values.count(v) > 1})
        if twice:
            raise bad(f"{attr} {', '.join(twice)} used by more than one host")
    if len(hosts) > 1:
        looped = [h.name for h in hosts if ipaddress.IPv4Address(h.address).is_loopback]
        if looped:
            raise bad(f"host(s) {', '.join(looped)} on a loopback address: other hosts cannot reach it; "
                      f"give each host an address of its network")
    coordinators = [h.name for h in hosts if COORDINATOR in h.roles]
    if coordinators != [hosts[0].name]:
        raise bad(f"the first host, and only it, must have the coordinator role (found on: "
                  f"{', '.join(coordinators) or 'none'})")
    doubled = [r for r in hosts[0].roles if r in NOT_ON_COORDINATOR]
    if doubled:
        raise bad(f"host {hosts[0].name!r}: the coordinator cannot also have the role(s) {', '.join(doubled)} "
                  f"(its own Trino already runs queries when no other host has a Trino worker); put them on "
                  f"another host")
    datanodes = sum("datanode" in h.roles for h in hosts)
    if datanodes == 0:
        raise bad("no host runs a datanode")
    replication = doc.get("hdfs", {}).get("replication", 1)
    if not isinstance(replication, int) or not 1 <= replication <= datanodes:
        raise bad(f"hdfs.replication={replication!r}: choose 1 to {datanodes} (the hosts with a datanode)")
    return Cluster(tuple(hosts), replication)


def read(path: Path) -> Cluster:
    try:
        with path.open("rb") as fh:
            doc = tomllib.load(fh)
    except FileNotFoundError:
        raise LakeError(f"LAKE_CLUSTER={path}: no such file") from None
    except tomllib.TOMLDecodeError as e:
        raise LakeError(f"{path}: not valid TOML ({e})") from None
    return parse(doc, origin=str(path))


def is_local_address(address: str) -> bool:
    """True when this machine (this network namespace) owns the address: binding to it succeeds."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((address, 0))
        except OSError:
            return False
    return True


def this_host(cluster: Cluster, env: dict[str, str],
              is_local: Callable[[str], bool] = is_local_address) -> Host:
    """The host `make up` runs on: LAKE_HOST by name, else the one host whose address is local."""
    if env.get("LAKE_HOST"):
        return cluster.host(env["LAKE_HOST"])
    if len(cluster.hosts) == 1:
        return cluster.hosts[0]
    local = [h for h in cluster.hosts if is_local(h.address)]
    if len(local) != 1:
        found = ", ".join(h.name for h in local) or "none"
        raise LakeError(f"cannot tell which host of the cluster this is (hosts with a local address: {found}); "
                        f"set LAKE_HOST=<name>")
    return local[0]


def load(env: dict[str, str]) -> tuple[Cluster, Host]:
    """The cluster (LAKE_CLUSTER, else cluster.toml beside versions.toml, else one host) and this host."""
    if env.get("LAKE_CLUSTER"):
        cluster = read(Path(env["LAKE_CLUSTER"]))
    elif CLUSTER_FILE.exists():
        cluster = read(CLUSTER_FILE)
    else:
        cluster = SINGLE_HOST
    return cluster, this_host(cluster, env)


def dumps(cluster: Cluster) -> str:
    """The TOML text of a cluster (what the test harness writes for its hosts); read() reads it back."""
    lines = ["[hdfs]", f"replication = {cluster.replication}", ""]
    for h in cluster.hosts:
        roles = ", ".join(f'"{r}"' for r in h.roles)
        lines += ["[[hosts]]", f'name = "{h.name}"', f'address = "{h.address}"', f"roles = [{roles}]"]
        lines += [f"{k} = {getattr(h, k)}" for k in ("yarn_memory_mb", "yarn_vcores") if getattr(h, k) is not None]
        lines.append("")
    return "\n".join(lines)

