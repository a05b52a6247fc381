"""The Docker Compose description describes the same stack as the native launcher.

No Docker engine runs on these machines, so the compose file is checked
through `docker-compose config` (the normalised, interpolated file) against
lake.services and lake.settings: service names, one image, the lake's own
run/probe verbs, contract ports, start order, memory and volumes. The service
list is the native launcher's own (lake.services.host_services of the single host
in native mode: a worker role only another host starts, kafka-broker or trino-worker, has no
container), so a service added there without a compose counterpart fails here.
"""
from __future__ import annotations

import inspect
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from lake import airflow_env, secrets, settings
from lake.stack import services

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "hadoop-cluster" / "docker-compose.yml"
DOCKERFILE = ROOT / "hadoop-cluster" / "docker" / "Dockerfile"
IMAGE = "lake-stack:local"
PASSWORD_VAR = "LAKE_METASTORE_DB_PASSWORD"
PII_VAR = "LAKE_PII_KEY"


def _airflow_secret_vars() -> dict[str, str]:
    """{variable lake/secrets.py reads: host variable compose takes it from} for every secret the
    Airflow environment (lake/airflow_env.py) asks for: names read from the code, not copied."""
    names = sorted(set(re.findall(r'airflow_secret\(s, "([\w-]+)"\)', inspect.getsource(airflow_env))))
    assert names, "no airflow_secret(s, ...) calls found in lake/airflow_env.py"
    seen: list[str] = []
    real_get = secrets._get
    try:
        secrets._get = lambda _s, env_var, _file: seen.append(env_var) or "x"
        secrets.airflow_db_password(None)
        for name in names:
            secrets.airflow_secret(None, name)
    finally:
        secrets._get = real_get
    return {var: var.replace("-", "_") for var in seen}


AIRFLOW_SECRET_VARS = _airflow_secret_vars()
# Superset's secrets (lake/secrets.py superset_secret), which compose takes from the host's environment.
SUPERSET_SECRET_VARS = tuple(f"LAKE_SUPERSET_{n}" for n in ("DB_PASSWORD", "SECRET_KEY", "ADMIN_PASSWORD",
                                                              "ANALYST_PASSWORD"))
# Every variable compose refuses to run without: {host variable: value used by the tests}.
REQUIRED_VARS = {PASSWORD_VAR: "compose-config-test", PII_VAR: "compose-config-test-pii-key",
                 **{host: f"compose-config-test-{host.lower()}" for host in AIRFLOW_SECRET_VARS.values()},
                 **{host: f"compose-config-test-{host.lower()}" for host in SUPERSET_SECRET_VARS}}

# Every service the native launcher (`lake up`) runs on the single host, in its start order.
NATIVE = services.host_services(settings.load({"LAKE_ENV": "native"}))
SERVICES = [svc.name for svc in NATIVE]
CLASSES = {type(svc).__name__: type(svc) for svc in NATIVE}
CLASS_OF = {svc.name: type(svc) for svc in NATIVE}
AIRFLOW = [svc.name for svc in NATIVE if isinstance(svc, services.AirflowService)]
# Services whose after_start step `lake up` runs once they are ready (postgres roles, serving view):
# a one-shot `<name>-init` container runs it in compose.
AFTER_START = [svc.name for svc in NATIVE if type(svc).after_start is not services.Service.after_start]
HELPERS = ("net", "postgres-init", "lake-init", "lake-init-ingest",   # namespace owner, one-shot steps
           *(f"{name}-init" for name in AFTER_START if name != "postgres"))
# The ports in shared/docs/contracts.md, plus PostgreSQL's private port.
CONTRACT_PORT_KEYS = ("postgres", "namenode_rpc", "namenode_http", "datanode_http", "rm", "rm_web",
                      "nm_web", "metastore", "kafka", "thrift", "trino", "mqtt")
# Also published: HDFS clients on the host stream blocks through the DataNode's
# data port, and `make status` lists the Thrift server's Spark UI.
HOST_CLIENT_PORT_KEYS = ("datanode_data", "thrift_ui")
JVM_OVERHEAD_MB = 256  # the least a JVM needs beyond -Xmx (metaspace, threads, code cache)


def _compose(*args: str, unset: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    """docker-compose with every required variable set to a test value, except those in `unset`."""
    binary = shutil.which("docker-compose")
    if binary is None:
        pytest.skip("docker-compose is not installed: `make install` as root installs it "
                    "(Debian package docker-compose, lake/install.py APT_PACKAGES)")
    env = {k: v for k, v in os.environ.items() if k not in REQUIRED_VARS and k != "X_BEARER_TOKEN"}
    env.update({k: v for k, v in REQUIRED_VARS.items() if k not in unset})
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
    assert {"speed-layer", "airflow-apiserver", "airflow-scheduler", "airflow-dag-processor"} <= set(SERVICES)
    missing = [name for name in [*SERVICES, *HELPERS] if name not in svcs]
    assert not missing, f"services missing from {COMPOSE_FILE.name}: {missing}"
    unknown = sorted(set(svcs) - set(SERVICES) - set(HELPERS))
    assert not unknown, f"{COMPOSE_FILE.name} has services the launcher does not know: {unknown}"


@pytest.mark.parametrize("name", SERVICES)
def test_the_lake_cli_finds_each_service_in_docker_mode(name):
    # `python -m lake run|probe|after-start <name>` resolve the name with by_name under LAKE_ENV=docker.
    assert services.by_name(settings.load({"LAKE_ENV": "docker"}), name).name == name


def test_metastore_password_comes_from_the_environment_only(svcs):
    r = _compose("config", unset=(PASSWORD_VAR,))
    assert r.returncode != 0 and PASSWORD_VAR in r.stdout + r.stderr, \
        "compose must refuse to run without the metastore DB password"
    raw = yaml.safe_load(COMPOSE_FILE.read_text())["services"]
    for name in ("postgres-init", "metastore"):
        assert raw[name]["environment"][PASSWORD_VAR].startswith(f"${{{PASSWORD_VAR}:?"), name
        assert svcs[name]["environment"][PASSWORD_VAR] == "compose-config-test", name


def test_shared_secrets_come_from_the_environment_only(svcs):
    """Each container has its own var/secrets/, so a secret lake/secrets.py would generate there must
    be given, the same to every container that uses it: the PII key (speed layer and batch build)
    and Airflow's database password and signing keys (all three components)."""
    raw = yaml.safe_load(COMPOSE_FILE.read_text())["services"]
    wanted = {PII_VAR: (PII_VAR, ["speed-layer", "airflow-scheduler"])}
    wanted.update({var: (host, AIRFLOW) for var, host in AIRFLOW_SECRET_VARS.items()})
    for var, (host, users) in wanted.items():
        r = _compose("config", unset=(host,))
        assert r.returncode != 0 and host in r.stdout + r.stderr, f"compose must refuse to run without {host}"
        for name in users:
            assert str(raw[name]["environment"][var]).startswith(f"${{{host}:?"), (name, var)
            assert svcs[name]["environment"][var] == REQUIRED_VARS[host], (name, var)
    # Optional: without a token lake_batch's collect_x task is skipped. Never a value in the file.
    assert raw["airflow-scheduler"]["environment"]["X_BEARER_TOKEN"] == "${X_BEARER_TOKEN:-}"
    assert svcs["airflow-scheduler"]["environment"]["X_BEARER_TOKEN"] == ""
    # No value in the file that is not a reference to the environment.
    for name, svc in raw.items():
        for var, value in (svc.get("environment") or {}).items():
            if var != "<<" and re.search(r"PASSWORD|SECRET|KEY|TOKEN|SEED", var):
                assert str(value).startswith("${"), f"{name}: {var} is written in the file"


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
    # The set-up `lake up` runs once a service is ready (after_start): a one-shot container per such
    # service runs the same code, once that service is healthy.
    for name in AFTER_START:
        init = svcs[f"{name}-init"]
        assert init["command"] == ["python", "-m", "lake", "after-start", name], name
        assert _deps(init).get(name) == "service_healthy", name
        assert init.get("restart") == "no", name
    # The init containers together run every set-up step `lake up` runs between services.
    from lake.stack.lifecycle import POST_STEPS

    covered = set()
    for name in ("lake-init", "lake-init-ingest"):
        cmd = svcs[name]["command"]
        assert cmd[:4] == ["python", "-m", "lake", "post-steps"], name
        covered.update(cmd[4:])
    assert covered == set(POST_STEPS) & set(SERVICES)


def test_health_checks_allow_each_service_its_start_timeout(svcs):
    for cls in CLASS_OF.values():
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


def _dockerfile_instructions() -> list[str]:
    """The Dockerfile's instructions, continuation lines joined, comments dropped."""
    out, cur = [], ""
    for ln in DOCKERFILE.read_text().splitlines():
        s = ln.strip()
        if not s or s.startswith("#"):
            continue
        cur = f"{cur} {s.rstrip(chr(92)).strip()}".strip()
        if not s.endswith("\\"):
            out.append(cur)
            cur = ""
    return out


def test_dockerfile_builds_the_airflow_virtualenv_from_the_pins(tmp_path):
    """.venv-airflow is built by the same entry point as `make airflow-install` (pins from
    versions.toml), from only the files COPY'd before that step: this checks they are enough."""
    inst = _dockerfile_instructions()
    (step,) = [i for i, ins in enumerate(inst) if ins.startswith("RUN ") and "lake.airflow_env install" in ins]
    assert re.search(r"(^|\s)python -m lake\.airflow_env install(\s|$)", inst[step]), inst[step]
    copied = []
    for ins in inst[:step]:
        if ins.startswith("COPY "):
            *sources, dest = ins.split()[1:]
            copied += [(src, dest) for src in sources if not src.startswith("--")]
    for src, dest in copied:
        target = tmp_path / dest / (Path(src).name if dest.endswith("/") else "")
        target.parent.mkdir(parents=True, exist_ok=True)
        if (ROOT / src).is_dir():
            shutil.copytree(ROOT / src, tmp_path / dest, dirs_exist_ok=True)
        else:
            shutil.copy(ROOT / src, target)
    code = ("from lake import airflow_env, settings; s = settings.get(); "
            "print(airflow_env.venv(s), len(airflow_env.requirements()))")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "LAKE_AIRFLOW_VENV")}
    r = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                       env={**env, "LAKE_ENV": "docker"}, timeout=60)
    assert r.returncode == 0, f"the files copied before the Airflow step do not suffice:\n{r.stderr}"
    venv, count = r.stdout.split()
    assert venv == "/opt/lake/app/.venv-airflow" and int(count) == len(airflow_env.requirements())


def test_dockerfile_copies_what_the_services_read_at_run_time():
    copied = {src.rstrip("/") for ins in _dockerfile_instructions() if ins.startswith("COPY ")
              for src in ins.split()[1:-1]}
    # hive/: the DDL (raw, speed, serving view) and the builds' SQL; airflow/: the DAG folder.
    for folder in ("lake", "hadoop-cluster", "spark", "trino", "ingestion", "hive", "airflow"):
        assert folder in copied, f"the image lacks {folder}/"
    assert airflow_env.venv(settings.load({"LAKE_ENV": "docker"})).parent == Path("/opt/lake/app")


# ---- (c) published ports: the contract, on the host's loopback only ----
def test_published_ports_are_the_contract_ports_on_loopback(svcs):
    # ... plus every web UI `make status` lists (the speed layer's Spark UI, Airflow's).
    web_keys = {cls.web_port_key for cls in CLASS_OF.values() if cls.web_port_key}
    want = {("127.0.0.1", settings.DEFAULT_PORTS[k], settings.DEFAULT_PORTS[k])
            for k in (*CONTRACT_PORT_KEYS, *HOST_CLIENT_PORT_KEYS, *web_keys)}
    assert _ports(svcs["net"]) == want
    assert {("127.0.0.1", 4041, 4041), ("127.0.0.1", 8090, 8090)} <= want
    for name, svc in svcs.items():
        if name != "net":
            assert not svc.get("ports"), f"{name} publishes ports; only `net` may"
            assert svc["network_mode"] == "service:net", f"{name} must share net's network namespace"


def test_new_services_listen_where_net_publishes():
    """What the daemons bind in docker mode matches the published ports: the api-server on every
    interface (so Docker's port publishing reaches it) on the airflow port, the scheduler without the
    log server, the speed layer's Spark UI on speed_ui."""
    s = settings.load({"LAKE_ENV": "docker"})
    assert s.ports["speed_ui"] == 4041 and s.ports["airflow"] == 8090
    assert CLASSES["SpeedLayer"].port_keys == ("speed_ui",)
    api = CLASSES["AirflowApiServer"](s).extra_args()
    assert api[api.index("--host") + 1] == "0.0.0.0" and api[api.index("--port") + 1] == "8090"
    assert CLASSES["AirflowScheduler"](s).extra_args() == ["--skip-serve-logs"]
    assert {cls.component for cls in CLASS_OF.values() if issubclass(cls, services.AirflowService)} == \
        {"api-server", "scheduler", "dag-processor"}


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
        "speed-layer": {"kafka": "service_healthy", "thriftserver": "service_healthy",
                        "lake-init": "service_completed_successfully",
                        "lake-init-ingest": "service_completed_successfully"},
        "speed-layer-init": {"speed-layer": "service_healthy", "trino": "service_healthy"},
        "airflow-apiserver": {"postgres": "service_healthy",
                              "speed-layer-init": "service_completed_successfully"},
        "airflow-scheduler": {"airflow-apiserver": "service_healthy"},
        "airflow-dag-processor": {"airflow-apiserver": "service_healthy"},
    }
    for name, deps in wanted.items():
        got = _deps(svcs[name])
        for dep, condition in deps.items():
            assert got.get(dep) == condition, f"{name} -> {dep}: {got.get(dep)}, want {condition}"


# ---- memory and state ----
def test_memory_limits_cover_each_heap(svcs):
    s = settings.load({"LAKE_ENV": "docker"})
    for cls in CLASS_OF.values():
        limit_mb = _bytes(svcs[cls.name]["mem_limit"]) / 2**20
        heap = s.heaps_mb.get(cls.heap_key or cls.name, 0)
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
    for name in [*SERVICES, *(h for h in HELPERS if h != "net")]:
        mounts = _mounts(svcs[name])
        assert dirs <= set(mounts), f"{name} mounts {sorted(mounts)}, needs {sorted(dirs)}"
        assert {mounts[d] for d in dirs} <= declared, f"{name} must use the named volumes"
    # Artifacts are baked into the image; a volume over them would hide them.
    assert not any(str(s.lib_dir) in _mounts(svc) for svc in svcs.values())
