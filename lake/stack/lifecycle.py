"""The stack lifecycle behind `make up`, `make down`, `make status`, `make logs`.

`up` is idempotent and crash-safe: a service that is running and healthy is
left alone, a dead one (stale pid file, `kill -9`) is started again, and the
one-time steps (format, schema) check before they act and never destroy data.
"""
from __future__ import annotations

import dataclasses
import shutil
import subprocess
import time
from dataclasses import dataclass

from lake.cluster import WORKER_ROLES
from lake.runtime import config, probes, process, spark
from lake.errors import LakeError
from lake.stack.services import Service, by_name, host_services
from lake.settings import HDFS_FOLDERS, HDFS_MODES, Settings


def _say(msg: str) -> None:
    print(msg, flush=True)


def hdfs_layout(s: Settings) -> str:
    """The lake's top-level HDFS folders (contracts.md), created if missing."""
    from lake.runtime import hdfs_client

    c = hdfs_client.client(s)
    for path in HDFS_FOLDERS:
        c.makedirs(path)
    for path, mode in HDFS_MODES.items():
        c.set_owner(path, owner=s.user)
        c.set_permission(path, mode)
    return "HDFS layout ready (raw zone 700, owner " + s.user + ")"


def kafka_security(s: Settings) -> str:
    """Every Kafka principal's SCRAM credential and the ACLs (lake/stack/kafka_acls.py), idempotently."""
    from lake.stack import kafka_acls

    return kafka_acls.apply(s)


def kafka_topics(s: Settings) -> str:
    from ingestion import topics

    created = topics.ensure(s.kafka_bootstrap)
    return f"topics created: {', '.join(created)}" if created else "topics exist"


def kafka_replication(s: Settings) -> str:
    """tweets.raw's replicas and min.insync.replicas for the cluster's brokers (cluster.toml), once all of them
    are registered: on the coordinator's `up` and each worker broker's, whichever comes last acts."""
    from lake.stack import kafka

    return kafka.replicate_raw(s)


def raw_table(s: Settings) -> str:
    from lake.pipeline import ddl

    return ddl.apply_layer(s, "raw")


# Steps that run once their service is ready, on every `up` (each is idempotent).
POST_STEPS = {
    "datanode": [hdfs_layout],
    "nodemanager": [spark.ensure_archive_on_hdfs],
    "kafka": [kafka_security, kafka_topics, kafka_replication],
    "kafka-broker": [kafka_replication],
    "thriftserver": [raw_table],
}


def _check_ports(svc: Service) -> None:
    for key, port in zip(svc.port_keys, svc.ports):
        if not probes.port_free(svc.s.bind_host, port):
            owner = process.listener_pid(port)
            who = f"pid {owner} ({process.cmdline(owner)[:80].strip()})" if owner else "another process"
            raise LakeError(f"{svc.name}: port {port} is already in use by {who}; stop it, "
                            f"or move the lake's port with LAKE_PORT_{key.upper()}=<port>")


def _failure(svc: Service, why: str) -> LakeError:
    log = svc.log_file
    out = log.with_suffix(".out")
    details = f"--- last lines of {log} ---\n{process.tail(log, 15)}"
    if out != log:
        details += f"\n--- last lines of {out} ---\n{process.tail(out, 10)}"
    return LakeError(f"{svc.name} did not start: {why} (log: {log})", details)


def ensure_up(svc: Service) -> str:
    """Start svc unless it is already running and healthy. Returns what was done."""
    pid = svc.daemon.pid()
    action = "already running"
    if pid is None:
        # Our own daemon without a pid file (its pid file was lost): adopt it rather than fail on the port.
        owner = process.listener_pid(svc.ports[0]) if svc.ports else None
        if owner and process.is_ours(owner, svc.name):
            svc.daemon.pid_file.parent.mkdir(parents=True, exist_ok=True)
            svc.daemon.pid_file.write_text(str(owner))
            pid, action = owner, "adopted"
    for attempt in (1, 2):
        if pid is None:
            _check_ports(svc)
            svc.prepare()
            pid = svc.daemon.start(svc.argv(), svc.env(), cwd=svc.cwd(), user=svc.run_as())
            action = "started"
        watched = pid
        try:
            # Liveness of the very process watched (not a re-read of the pid file and cmdline).
            probes.wait_for(svc.probe, svc.start_timeout, svc.name, alive=lambda: process.pid_alive(watched))
            break
        except probes.WaitTimeout as e:
            why = str(e).split(": ", 1)[1]
            if attempt == 1 and action == "started" and not process.pid_alive(watched):
                # One more start for a daemon that died while starting (a JVM racing its
                # dependencies on a loaded host); the log keeps both attempts, and a
                # second death is reported with its log tail.
                _say(f"  {svc.name:<16} exited during start-up; starting it once more (log: {svc.log_file})")
                pid = None
                continue
            raise _failure(svc, why) from None
    svc.after_start()
    return action


def up(s: Settings, only: list[str] | None = None) -> None:
    config.render_all(s)
    for d in (s.data_dir, s.log_dir, s.run_dir):
        d.mkdir(parents=True, exist_ok=True)
    t_all = time.monotonic()
    for svc in host_services(s):
        if only and svc.name not in only:
            continue
        t0 = time.monotonic()
        action = ensure_up(svc)
        _say(f"  {svc.name:<16} {action:<16} {time.monotonic() - t0:6.1f}s  {svc.web_url or ''}")
        for step in POST_STEPS.get(svc.name, []):
            t0 = time.monotonic()
            result = step(s)
            _say(f"  {'':<16} {result:<16} {time.monotonic() - t0:6.1f}s")
    for line in peer_probes(s):
        _say(line)
    _say(f"stack is up in {time.monotonic() - t_all:.1f}s — `make status` for details")


def peer_probes(s: Settings) -> list[str]:
    """One line per worker role of each other host of the cluster (cluster.toml), probed once from here: each
    host starts its own roles with its own `make up`. Nothing on a single host."""
    lines = []
    for peer in s.peers:
        there = dataclasses.replace(s, bind_host=peer.address, node_host=peer.address, roles=peer.roles)
        for svc in host_services(there):
            if svc.name in WORKER_ROLES:
                r = svc.probe()
                lines.append(f"  {peer.name + ' ' + svc.name:<24} {'healthy' if r else 'not ready':<9} {r.detail}")
    return lines


def run_foreground(s: Settings, name: str) -> None:
    """Prepare and exec one service in the foreground (a container's main process)."""
    import os

    config.render_all(s)
    for d in (s.data_dir, s.log_dir, s.run_dir):
        d.mkdir(parents=True, exist_ok=True)
    svc = by_name(s, name)
    svc.prepare()
    argv, env = svc.argv(), svc.env()
    if svc.cwd():
        os.chdir(svc.cwd())
    os.execvpe(argv[0], argv, env)


def probe_once(s: Settings, name: str) -> int:
    """Exit status for a container health check: 0 when the service's probe passes."""
    result = by_name(s, name).probe()
    _say(f"{name}: {'ready' if result else 'not ready'} ({result.detail})")
    return 0 if result else 1


def post_steps(s: Settings, only: list[str] | None = None) -> None:
    """The idempotent steps that `up` runs after some services (for compose init containers)."""
    for name, steps in POST_STEPS.items():
        if only and name not in only:
            continue
        for step in steps:
            _say(f"  {name:<16} {step(s)}")


def down(s: Settings) -> None:
    for svc in reversed(host_services(s)):
        stopped = svc.daemon.stop(timeout=90 if svc.name in ("kafka", "kafka-broker") else 45)
        _say(f"  {svc.name:<16} {'stopped' if stopped else 'not running'}")


@dataclass
class Row:
    service: str
    state: str
    pid: str
    ports: str
    rss_mb: float | None
    log: str
    web: str


def status_rows(s: Settings) -> list[Row]:
    rows = []
    for svc in host_services(s):
        pid = svc.daemon.pid()
        if pid is None:
            state, rss = "down", None
        else:
            state = "healthy" if svc.probe() else "unhealthy"
            rss = process.rss_mb(pid)
        rows.append(Row(svc.name, state, str(pid or "-"), ",".join(map(str, svc.ports)), rss,
                        str(svc.log_file.relative_to(s.root) if svc.log_file.is_relative_to(s.root) else svc.log_file),
                        svc.web_url or "-"))
    return rows


def status(s: Settings) -> int:
    rows = status_rows(s)
    header = ("SERVICE", "STATE", "PID", "PORTS", "MEM MiB", "LOG", "WEB UI")
    table = [header] + [(r.service, r.state, r.pid, r.ports, f"{r.rss_mb:.0f}" if r.rss_mb else "-", r.log, r.web)
                        for r in rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for row in table:
        _say("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
    for svc in host_services(s):
        if svc.login():
            _say(f"{svc.name} login: {svc.login()}")
    total = sum(r.rss_mb or 0 for r in rows)
    _say(f"total memory (proportional set size, shared pages split between processes): {total / 1024:.2f} GiB")
    for svc, r in zip(host_services(s), rows):
        if r.state == "healthy":
            for line in svc.status_lines():
                _say(line)
    return 0 if all(r.state == "healthy" for r in rows) else 1


def logs(s: Settings, name: str, follow: bool, lines: int) -> int:
    svc = by_name(s, name)
    if not svc.log_file.exists():
        raise LakeError(f"{name} has no log yet at {svc.log_file}; has it been started (`make up`)?")
    argv = ["tail", "-n", str(lines)] + (["-F"] if follow else []) + [str(svc.log_file)]
    try:
        return subprocess.call(argv)
    except KeyboardInterrupt:
        return 0


def clean_data(s: Settings, confirmed: bool) -> None:
    if not confirmed:
        answer = input(f"This stops the stack and deletes ALL lake data under {s.var} "
                       f"(HDFS, Kafka, metastore DB, logs). Type 'yes' to continue: ")
        if answer.strip() != "yes":
            raise LakeError("clean-data cancelled; nothing was deleted")
    down(s)
    for d in (s.data_dir, s.log_dir, s.run_dir, s.conf_dir, s.secrets_dir):
        shutil.rmtree(d, ignore_errors=True)
    _say(f"deleted lake state under {s.var} (downloaded artifacts in {s.lib_dir} kept)")
