"""The Docker Compose description describes the same stack as the native launcher.

No Docker engine runs on these machines, so the compose file is checked
through `docker-compose config` (the normalised, interpolated file) against
lake.services and lake.settings: service names, one image, the lake's own
run/probe verbs, contract ports, start order, memory and volumes.
"""
from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml

from lake import services, settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "hadoop-cluster" / "docker-compose.yml"
DOCKERFILE = ROOT / "hadoop-cluster" / "docker" / "Dockerfile"
IMAGE = "lake-stack:local"
PASSWORD_VAR = "LAKE_METASTORE_DB_PASSWORD"

SERVICES = [cls.name for cls in services.SERVICE_CLASSES]
HELPERS = ("net", "postgres-init", "lake-init")  # namespace owner and one-shot steps
# The ports in shared/docs/contracts.md, plus PostgreSQL's private port.
CONTRACT_PORT_KEYS = ("postgres", "namenode_rpc", "namenode_http", "datanode_http", "rm", "rm_web",
                      "nm_web", "metastore", "kafka", "thrift", "trino")
# Also published: HDFS clients on the host stream blocks through the DataNode's
# data port, and `make status` lists the Thrift server's Spark UI.
HOST_CLIENT_PORT_KEYS = ("datanode_data", "thrift_ui")
JVM_OVERHEAD_MB = 256  # the least a JVM needs beyond -Xmx (metaspace, threads, code cache)


def _compose(*args: str, password: str | None = "compose-config-test") -> subprocess.CompletedProcess:
    binary = shutil.which("docker-compose")
    if binary is None:
        pytest.skip("docker-compose is not installed: `make install` as root installs it "
                    "(Debian package docker-compose, lake/install.py APT_PACKAGES)")
    env = {k: v for k, v in os.environ.items() if k != PASSWORD_VAR}
    if password is not None:
        env[PASSWORD_VAR] = password
    return subprocess.run([binary, "-f", str(COMPOSE_FILE), "--project-directory", str(ROOT), *args],
                          env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def config() -> dict:
    r = _compose("config")
    assert r.returncode == 0, f"docker-compose config failed:\n{r.stderr}"
    return yaml.safe_load(r.stdout)


@pytest.fixture(scope="module")
def svcs(config) -> dict:
    return config["services"]


# ---- normalisation: docker-compose v1 and v2 print some fields differently ----
def _duration_s(value) -> float:
    if isinstance(value, (int, float)):
        return value / 1e9  # nanoseconds
    units = {"h": 3600, "m": 60, "s": 1, "ms": 1e-3, "us": 1e-6, "ns": 1e-9}
    parts = re.findall(r"(\d+(?:\.\d+)?)(h|ms|us|ns|m|s)", value)
    assert parts and "".join(n + u for n, u in parts) == value, f"unparsed duration {value!r}"
    return sum(float(n) * units[u] for n, u in parts)


def _bytes(value) -> int:
    m = re.fullmatch(r"(\d+)\s*([bkmg]?)b?", str(value).lower())
    assert m, f"unparsed memory size {value!r}"
    return int(m.group(1)) * 1024 ** "bkmg".index(m.group(2) or "b")


def _ports(svc: dict) -> set[tuple[str, int, int]]:
    out = set()
    for p in svc.get("ports", []):
        if isinstance(p, dict):
            out.add((p.get("host_ip", ""), int(p["published"]), int(p["target"])))
        else:
            host_ip, published, target = str(p).split("/")[0].rsplit(":", 2)
            out.add((host_ip, int(published), int(target)))
    return out


def _deps(svc: dict) -> dict[str, str]:
    deps = svc.get("depends_on", {})
    if isinstance(deps, list):
        return {d: "service_started" for d in deps}
    return {name: (d or {}).get("condition", "service_started") for name, d in deps.items()}


def _mounts(svc: dict) -> dict[str, str]:
    out = {}
    for v in svc.get("volumes", []):
        if isinstance(v, dict):
            out[v["target"]] = v["source"]
        else:
            source, target = str(v).split(":")[:2]
            out[target] = source
    return out


def _health_cmd(svc: dict) -> list[str]:
    test = svc["healthcheck"]["test"]
    if isinstance(test, str):
        return shlex.split(test)
    if test[0] == "CMD-SHELL":
        return shlex.split(test[1])
    assert test[0] == "CMD", test
    return list(test[1:])


def _closure(svcs: dict, name: str) -> set[str]:
    seen, todo = set(), [name]
    while todo:
        for dep in _deps(svcs[todo.pop()]):
            if dep not in seen:
                seen.add(dep)
                todo.append(dep)
    return seen


# ---- (a) the file is valid and holds the whole stack ----
def test_config_is_valid_and_lists_every_service(svcs):
    missing = [name for name in [*SERVICES, *HELPERS] if name not in svcs]
    assert not missing, f"services missing from {COMPOSE_FILE.name}: {missing}"


def test_metastore_password_comes_from_the_environment_only(svcs):
    r = _compose("config", password=None)
    assert r.returncode != 0 and PASSWORD_VAR in r.stdout + r.stderr, \
        "compose must refuse to run without the metastore DB password"
    raw = yaml.safe_load(COMPOSE_FILE.read_text())["services"]
    for name in ("postgres-init", "metastore"):
        assert raw[name]["environment"][PASSWORD_VAR].startswith(f"${{{PASSWORD_VAR}:?"), name
        assert svcs[name]["environment"][PASSWORD_VAR] == "compose-config-test", name


# ---- (b) one image; the lake's own run and probe verbs ----
def test_every_container_uses_the_one_image(config, svcs):
    build = svcs["net"]["build"]
    assert Path(build["context"]).resolve() == ROOT
    assert (ROOT / build.get("dockerfile", "Dockerfile")).resolve() == DOCKERFILE
    for name, svc in svcs.items():
        assert svc.get("image") == IMAGE, f"{name} must use {IMAGE}, not {svc.get('image')}"
        assert svc.get("build", build) == build, f"{name} builds a different image"
        assert svc["environment"]["LAKE_ENV"] == "docker", name


def test_each_service_runs_and_probes_itself_through_the_lake_cli(svcs):
    for name in SERVICES:
        svc = svcs[name]
        assert svc["command"] == ["python", "-m", "lake", "run", name], name
        assert _health_cmd(svc)[:5] == ["python", "-m", "lake", "probe", name], name
    # The init containers together run every set-up step `lake up` runs between services.
    from lake.stack import POST_STEPS

    covered = set()
    for name in ("lake-init", "lake-init-ingest"):
        cmd = svcs[name]["command"]
        assert cmd[:4] == ["python", "-m", "lake", "post-steps"], name
        covered.update(cmd[4:])
    assert covered == set(POST_STEPS)


def test_health_checks_allow_each_service_its_start_timeout(svcs):
    for cls in services.SERVICE_CLASSES:
        hc = svcs[cls.name]["healthcheck"]
        assert _duration_s(hc["start_period"]) >= cls.start_timeout, cls.name
        assert int(hc["retries"]) >= 1 and _duration_s(hc["timeout"]) >= 10, cls.name


def test_dockerfile_builds_on_debian_and_repeats_no_pinned_version():
    lines = [ln.strip() for ln in DOCKERFILE.read_text().splitlines()]
    code = [ln for ln in lines if ln and not ln.startswith("#")]
    assert [ln.split()[1] for ln in code if ln.upper().startswith("FROM ")] == ["debian:bookworm-slim"]

    def values(node):
        if isinstance(node, dict):
            for v in node.values():
                yield from values(v)
        else:
            yield str(node)

    pinned = set(values(tomllib.loads((ROOT / "versions.toml").read_text())))
    for v in sorted(pinned):
        hits = [ln for ln in code if re.search(rf"(?<![\w.]){re.escape(v)}(?![\w.])", ln)]
        assert not hits, f"version {v} is repeated in the Dockerfile (take it from versions.toml): {hits}"


# ---- (c) published ports: the contract, on the host's loopback only ----
def test_published_ports_are_the_contract_ports_on_loopback(svcs):
    want = {("127.0.0.1", settings.DEFAULT_PORTS[k], settings.DEFAULT_PORTS[k])
            for k in (*CONTRACT_PORT_KEYS, *HOST_CLIENT_PORT_KEYS)}
    assert _ports(svcs["net"]) == want
    for name, svc in svcs.items():
        if name != "net":
            assert not svc.get("ports"), f"{name} publishes ports; only `net` may"
            assert svc["network_mode"] == "service:net", f"{name} must share net's network namespace"


# ---- (d) start order ----
def test_no_service_depends_on_one_that_starts_later(svcs):
    order = {name: i for i, name in enumerate(SERVICES)}
    for name in SERVICES:
        later = sorted(d for d in _closure(svcs, name) if order.get(d, -1) >= order[name])
        assert not later, f"{name} waits for {later}, which start(s) after it in SERVICE_CLASSES"


def test_services_start_one_after_another_in_launcher_order(svcs):
    for before, after in zip(SERVICES, SERVICES[1:]):
        assert before in _closure(svcs, after), f"{after} must wait for {before}, as `lake up` does"


def test_named_dependencies_wait_for_health_or_completion(svcs):
    wanted = {
        "lake-init": {"datanode": "service_healthy", "nodemanager": "service_healthy"},
        "metastore": {"postgres": "service_healthy", "datanode": "service_healthy",
                      "postgres-init": "service_completed_successfully"},
        "thriftserver": {"metastore": "service_healthy"},
        "trino": {"metastore": "service_healthy"},
    }
    for name, deps in wanted.items():
        got = _deps(svcs[name])
        for dep, condition in deps.items():
            assert got.get(dep) == condition, f"{name} -> {dep}: {got.get(dep)}, want {condition}"


# ---- memory and state ----
def test_memory_limits_cover_each_heap(svcs):
    s = settings.load({"LAKE_ENV": "docker"})
    for cls in services.SERVICE_CLASSES:
        svc = services.by_name(s, cls.name)
        limit_mb = _bytes(svcs[cls.name]["mem_limit"]) / 2**20
        heap = s.heaps_mb.get(svc.heap_key or svc.name, 0)
        need = heap + (JVM_OVERHEAD_MB if heap else 0)
        if cls.name == "nodemanager":
            need += s.nm_memory_mb  # YARN containers run inside the NodeManager's container
        assert limit_mb >= need, f"{cls.name}: mem_limit {limit_mb:.0f} MiB < {need} MiB"
    for name in HELPERS:
        assert "mem_limit" in svcs[name], name


def test_state_dirs_are_shared_named_volumes(config, svcs):
    s = settings.load({"LAKE_ENV": "docker"})
    dirs = {str(s.data_dir), str(s.log_dir), str(s.run_dir)}
    declared = set(config.get("volumes", {}))
    for name in [*SERVICES, "postgres-init", "lake-init"]:
        mounts = _mounts(svcs[name])
        assert dirs <= set(mounts), f"{name} mounts {sorted(mounts)}, needs {sorted(dirs)}"
        assert {mounts[d] for d in dirs} <= declared, f"{name} must use the named volumes"
    # Artifacts are baked into the image; a volume over them would hide them.
    assert not any(str(s.lib_dir) in _mounts(svc) for svc in svcs.values())
