"""Config rendering: every placeholder in every daemon config has a value, and
daemons' own ${lower.case} variables pass through untouched."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from lake import settings
from lake.runtime import config


@pytest.fixture
def s(tmp_path):
    return settings.load({"LAKE_VAR_DIR": str(tmp_path / "var"), "LAKE_USER": "alice"})


def test_render_fills_known_and_keeps_daemon_variables():
    out = config.render_text("a=${DATA_DIR} b=${hadoop.tmp.dir}", {"DATA_DIR": "/d"})
    assert out == "a=/d b=${hadoop.tmp.dir}"


def test_render_rejects_unknown_placeholder():
    with pytest.raises(config.TemplateError, match="NOPE"):
        config.render_text("x=${NOPE}", {}, origin="f.xml")


def test_render_all_covers_every_template(s):
    written = config.render_all(s)
    names = {p.relative_to(s.conf_dir).as_posix() for p in written}
    for expected in ("hadoop/core-site.xml", "hadoop/hdfs-site.xml", "hadoop/yarn-site.xml",
                     "kafka/server.properties", "spark/spark-defaults.conf",
                     "trino/etc/config.properties", "trino/etc/catalog/hive.properties"):
        assert expected in names
    for path in written:
        text = path.read_text()
        assert not config.PLACEHOLDER.search(text), f"unrendered placeholder in {path}"
        if path.suffix == ".xml":
            ET.fromstring(text.encode())  # well-formed


def _props(root: ET.Element) -> dict[str, str]:
    return {p.findtext("name"): p.findtext("value") for p in root.iter("property")}


def test_hadoop_binds_loopback_and_contract_ports(s):
    config.render_all(s)
    core = _props(ET.parse(s.conf_dir / "hadoop/core-site.xml").getroot())
    hdfs = _props(ET.parse(s.conf_dir / "hadoop/hdfs-site.xml").getroot())
    assert core["fs.defaultFS"] == "hdfs://127.0.0.1:8020"
    assert hdfs["dfs.namenode.http-address"] == "127.0.0.1:9870"
    assert hdfs["dfs.datanode.http.address"] == "127.0.0.1:9864"
    assert hdfs["dfs.namenode.rpc-bind-host"] == "127.0.0.1"
    assert core["hadoop.proxyuser.alice.hosts"] == "*"


def test_port_override_reaches_rendered_config(tmp_path):
    s = settings.load({"LAKE_VAR_DIR": str(tmp_path), "LAKE_PORT_KAFKA": "19092"})
    config.render_all(s)
    props = (s.conf_dir / "kafka/server.properties").read_text()
    assert "PLAINTEXT://127.0.0.1:19092" in props
    assert s.kafka_bootstrap == "127.0.0.1:19092"


def test_unknown_profile_is_one_clear_error():
    with pytest.raises(SystemExit, match="LAKE_ENV='nope'"):
        settings.load({"LAKE_ENV": "nope"})


def test_docker_profile_binds_all_interfaces_inside_the_container():
    s = settings.load({"LAKE_ENV": "docker"})
    assert s.bind_host == "0.0.0.0" and s.hdfs_uri == "hdfs://127.0.0.1:8020"
    assert str(s.var) == "/opt/lake/var"
