"""Native mode keeps every service on loopback: no listening socket of the stack's processes
(each daemon and its children: Spark's UIs, Airflow's helpers, Trino's internals) is reachable
from another host. One documented exception: Hive Metastore 3.1.3 has no bind-host setting."""
from __future__ import annotations

import shutil
import subprocess

import pytest

from lake.runtime import process
from lake.stack import services

# metastore: HMS 3.1.3 binds its Thrift port to the wildcard address (hadoop-cluster/etc/hive/metastore-site.xml)
WILDCARD_ALLOWED = {"metastore"}


def _listeners() -> list[tuple[str, int]]:
    """(local address, pid) of every listening TCP socket."""
    out = subprocess.run(["ss", "-ltnpH"], capture_output=True, text=True, check=True).stdout
    rows = []
    for line in out.splitlines():
        fields = line.split()
        local, users = fields[3], " ".join(fields[5:])
        for part in users.split("pid=")[1:]:
            rows.append((local, int(part.split(",", 1)[0])))
    return rows


@pytest.mark.skipif(shutil.which("ss") is None, reason="needs ss (iproute2)")
def test_every_listening_socket_of_the_stack_is_on_loopback(lake):
    if lake.bind_host != "127.0.0.1":
        pytest.skip(f"bind host is {lake.bind_host} (not native mode)")
    owner: dict[int, str] = {}
    for svc in services.all_services(lake):
        pid = svc.daemon.pid()
        if pid is not None:
            for p in (pid, *process.descendants(pid)):
                owner[p] = svc.name
    assert {"namenode", "kafka", "trino", "thriftserver", "airflow-scheduler"} <= set(owner.values()), \
        "the stack is not fully up"
    ours = [(addr, owner[pid]) for addr, pid in _listeners() if pid in owner]
    assert len(ours) >= 10
    exposed = sorted({(name, addr) for addr, name in ours
                      if not (addr.startswith("127.") or addr.startswith("[::1]") or addr.startswith("[::ffff:127."))
                      and name not in WILDCARD_ALLOWED})
    assert exposed == [], f"listening beyond loopback: {exposed}"
