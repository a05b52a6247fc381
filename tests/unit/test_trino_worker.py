"""The trino-worker role offline (issue #24; docs/scale-out.md): what a worker host renders and launches, what the
coordinator renders once a host runs one, the certificate's names, and the one-line refusals of a worker host that
lacks the coordinator's material. tests/integration/test_scale_out_trino.py runs it for real."""
from __future__ import annotations

import pytest

from lake import secrets, settings
from lake.errors import LakeError
from lake.runtime import config
from lake.runtime.probes import ProbeResult
from lake.stack import hadoop, lifecycle, trino, trino_security
from lake.stack.services import host_services

CLUSTER = """
[[hosts]]
name = "coord"
address = "10.1.0.1"
roles = ["coordinator"]

[[hosts]]
name = "w1"
address = "10.1.0.2"
roles = ["datanode", "trino-worker"]

[[hosts]]
name = "w2"
address = "10.1.0.3"
roles = ["datanode", "nodemanager", "trino-worker"]
"""


@pytest.fixture
def load(tmp_path):
    path = tmp_path / "cluster.toml"
    path.write_text(CLUSTER)

    def load_host(host: str | None) -> settings.Settings:
        env = {"LAKE_VAR_DIR": str(tmp_path / (host or "single") / "var"), "LAKE_USER": "eve"}
        if host:
            env.update(LAKE_CLUSTER=str(path), LAKE_HOST=host)
        return settings.load(env)

    return load_host


def _props(path) -> dict[str, str]:
    return dict(ln.split("=", 1) for ln in path.read_text().splitlines() if ln.strip() and not ln.startswith("#"))


def _mb(value: str) -> int:
    return int(value.removesuffix("MB")) if value.endswith("MB") else int(value.removesuffix("GB")) * 1024


def test_a_worker_host_renders_a_worker_config_for_its_own_address(load):
    s = load("w1")
    assert [svc.name for svc in host_services(s)] == ["datanode", "trino-worker"]
    config.render_all(s)
    worker = _props(s.conf_dir / "trino/worker/config.properties")
    assert worker["coordinator"] == "false"
    assert worker["discovery.uri"] == "https://10.1.0.1:8443"  # the coordinator's address
    assert worker["http-server.https.port"] == "8443" and worker["http-server.http.enabled"] == "false"
    assert worker["internal-communication.shared-secret"] == "${ENV:LAKE_TRINO_SHARED_SECRET}"  # in no file
    assert worker["internal-communication.https.required"] == "true"
    assert worker["http-server.https.keystore.path"] == str(s.trino_keystore)
    assert worker["internal-communication.https.truststore.path"] == str(s.trino_ca_file)
    assert worker["catalog.config-dir"] == str(s.conf_dir / "trino/etc/catalog")
    assert not any(k.startswith(("http-server.authentication", "password-authenticator", "access-control"))
                   for k in worker)  # users log in at the coordinator only
    node = _props(s.conf_dir / "trino/etc/node.properties")
    assert (node["node.id"], node["node.bind-ip"], node["node.internal-address"]) == \
        ("lake-native-10-1-0-2", "10.1.0.2", "10.1.0.2")
    assert node["node.data-dir"] == str(s.data_dir / "trino")
    jvm = (s.conf_dir / "trino/etc/jvm.config").read_text().splitlines()
    assert "-Xmx1024m" in jvm and s.heaps_mb["trino-worker"] == 1024
    # Trino refuses to start unless the per-node query memory plus the headroom fit in the heap.
    assert _mb(worker["query.max-memory-per-node"]) + _mb(worker["memory.heap-headroom-per-node"]) < 1024
    hive = _props(s.conf_dir / "trino/etc/catalog/hive.properties")
    assert hive["hive.metastore.uri"] == "thrift://10.1.0.1:9083"  # the coordinator's metastore
    assert "hdfs://10.1.0.1:8020" in (s.hadoop_conf_dir / "core-site.xml").read_text()


def test_a_worker_launches_the_coordinators_trino_with_its_own_config(load):
    s = load("w1")
    config.render_all(s)
    svc = trino.TrinoWorker(s)
    argv = svc.argv()
    assert argv[argv.index("-cp") + 2] == "io.trino.server.TrinoServer"
    assert f"-Dconfig={s.conf_dir / 'trino/worker/config.properties'}" in argv
    assert "-Dnode.id=lake-native-10-1-0-2" in argv and "-Xmx1024m" in argv
    assert svc.address == "10.1.0.2" and svc.ports == [8443] and svc.web_url is None
    assert svc.log_file == s.log_dir / "trino-worker.log"


def test_the_coordinator_only_coordinates_once_a_host_runs_a_trino_worker(load):
    s = load("coord")
    assert s.trino_worker_addresses == ("10.1.0.2", "10.1.0.3")
    assert "trino" in [svc.name for svc in host_services(s)]
    assert "trino-worker" not in [svc.name for svc in host_services(s)]
    values = config.template_vars(s)
    assert (values["TRINO_INCLUDE_COORDINATOR"], values["TRINO_NODE_ID"], values["TRINO_HEAP_MB"]) == \
        ("false", "lake-native", "3072")
    single = config.template_vars(load(None))
    assert (single["TRINO_INCLUDE_COORDINATOR"], single["TRINO_NODE_ID"]) == ("true", "lake-native")


def _sans(pem: bytes) -> set[str]:
    return trino_security.certificate_addresses(pem)


def test_the_certificate_names_every_trino_host_and_is_reissued_when_one_is_missing(load):
    single, coord = load(None), load("coord")
    assert trino_security.ensure_tls(single) == "created"
    assert _sans(single.trino_ca_file.read_bytes()) == {"127.0.0.1"}  # the single host: as it always was
    # The coordinator's kept certificate predates the workers: reissued for all, and `make up` says to copy it.
    coord.trino_secrets_dir.mkdir(parents=True)
    for f in (single.trino_keystore, single.trino_ca_file):
        (coord.trino_secrets_dir / f.name).write_bytes(f.read_bytes())
    said = trino_security.ensure_all(coord)
    assert _sans(coord.trino_ca_file.read_bytes()) == {"127.0.0.1", "10.1.0.1", "10.1.0.2", "10.1.0.3"}
    assert any("10.1.0.3 and localhost reissued" in x for x in said), said
    assert any("to every Trino worker host again" in x for x in said), said
    assert coord.trino_keystore.read_text().endswith(coord.trino_ca_file.read_text())
    before = coord.trino_keystore.read_bytes()
    assert trino_security.ensure_tls(coord) is None and coord.trino_keystore.read_bytes() == before


def _copy(src: settings.Settings, dst: settings.Settings) -> None:
    for target in trino.TrinoWorker(dst).copied_files():
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes((src.var / target.relative_to(dst.var)).read_bytes())


def test_a_worker_without_the_coordinators_material_fails_in_one_line(load, monkeypatch):
    monkeypatch.delenv("LAKE_TRINO_SHARED_SECRET", raising=False)
    monkeypatch.delenv("LAKE_TRINO_PASSWORD_LAKE", raising=False)
    monkeypatch.setattr(trino, "coordinator_certificate", lambda s: None)
    coord, w1 = load("coord"), load("w1")
    worker = trino.TrinoWorker(w1)
    with pytest.raises(LakeError) as e:
        worker.secure()
    assert "\n" not in str(e.value)
    assert str(e.value).startswith("trino-worker: secrets/trino/trino-keystore.pem, secrets/trino/trino-ca.pem, "
                                   "secrets/trino-shared-secret, secrets/trino-lake-password missing under ")
    assert "copy them from the coordinator's var/ (over SSH, mode 0600" in str(e.value)
    assert not w1.secrets_dir.exists()  # a worker never generates the cluster's secrets
    # The coordinator's material from before w1 was in cluster.toml: its certificate lacks w1's address.
    trino_security.ensure_all(load(None))
    _copy(load(None), w1)
    with pytest.raises(LakeError, match="does not name this host's address 10.1.0.2: .* restart Trino on the "
                                        "coordinator"):
        worker.secure()
    trino_security.ensure_all(coord)
    _copy(coord, w1)
    assert worker.secure() == []
    assert secrets.trino_shared_secret(w1) == secrets.trino_shared_secret(coord)
    # The coordinator answers with another certificate than the copy: copy again.
    monkeypatch.setattr(trino, "coordinator_certificate", lambda s: b"another")
    with pytest.raises(LakeError, match="shows another certificate than .*: copy .* from the coordinator again"):
        worker.secure()


def test_up_on_the_coordinator_probes_each_trino_worker_at_its_address(load, monkeypatch):
    asked = []

    def probe(svc):
        asked.append((svc.name, svc.address, svc.node_id))
        return ProbeResult(svc.address == "10.1.0.2", f"node {svc.node_id}")

    monkeypatch.setattr(trino.TrinoWorker, "probe", probe)
    for cls in (hadoop.DataNode, hadoop.NodeManager):  # no traffic to the made-up addresses
        monkeypatch.setattr(cls, "probe", lambda svc: ProbeResult(False, "not asked"))
    lines = [ln for ln in lifecycle.peer_probes(load("coord")) if "trino-worker" in ln]
    assert asked == [("trino-worker", "10.1.0.2", "lake-native-10-1-0-2"),
                     ("trino-worker", "10.1.0.3", "lake-native-10-1-0-3")]
    assert [ln.split()[:3] for ln in lines] == [["w1", "trino-worker", "healthy"], ["w2", "trino-worker", "not"]]
