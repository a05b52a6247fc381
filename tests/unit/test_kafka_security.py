"""Kafka's SASL/SCRAM broker config, the clients' login and the ACL specs (issue 21), without a broker."""
from __future__ import annotations

import stat

import pytest

from lake import secrets, settings
from lake.errors import LakeError
from lake.runtime import clients, config
from lake.settings import (KAFKA_ADMIN, KAFKA_BROWSER, KAFKA_PRINCIPALS, KAFKA_PRODUCER, KAFKA_SINK, KAFKA_SPEED,
                           KAFKA_SUPER_USERS, TOPIC_DLQ, TOPIC_RAW)
from lake.stack import kafka_acls
from lake.stack.kafka import write_secret


@pytest.fixture
def s(tmp_path):
    return settings.load({"LAKE_VAR_DIR": str(tmp_path), "LAKE_PORT_KAFKA": "19092",
                          "LAKE_PORT_KAFKA_CONTROLLER": "19093"})


def _props(s) -> dict[str, str]:
    config.render_all(s)
    lines = (s.conf_dir / "kafka/server.properties").read_text().splitlines()
    return dict(ln.split("=", 1) for ln in lines if ln and not ln.startswith("#"))


def test_broker_takes_scram_on_loopback_and_closes_what_no_acl_allows(s):
    p = _props(s)
    assert p["listeners"] == "SASL_PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093"
    assert p["advertised.listeners"] == "SASL_PLAINTEXT://127.0.0.1:19092"
    assert p["listener.security.protocol.map"] == "CONTROLLER:SASL_PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT"
    assert p["sasl.mechanism.controller.protocol"] == p["listener.name.controller.sasl.enabled.mechanisms"] == "PLAIN"
    assert p["sasl.enabled.mechanisms"] == p["sasl.mechanism.inter.broker.protocol"] == "SCRAM-SHA-512"
    assert p["authorizer.class.name"] == "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
    assert p["allow.everyone.if.no.acl.found"] == "false"
    assert p["super.users"].split(";") == [f"User:{u}" for u in KAFKA_SUPER_USERS] == ["User:broker", "User:admin"]


def test_rendered_config_holds_no_password(s, monkeypatch):
    for p in KAFKA_PRINCIPALS:
        monkeypatch.setenv(f"LAKE_KAFKA_{p.upper()}_PASSWORD", f"secret-of-{p}")
    text = "".join(f.read_text() for f in config.render_all(s) if "kafka" in str(f))
    assert "secret-of-" not in text


def _no_kafka_env(monkeypatch) -> None:
    for p in KAFKA_PRINCIPALS:
        monkeypatch.delenv(f"LAKE_KAFKA_{p.upper()}_PASSWORD", raising=False)


def test_make_up_generates_every_password_once_with_mode_0600(s, monkeypatch):
    """`make up`'s bootstrap (the storage format's --add-scram list) creates them; clients then read them."""
    _no_kafka_env(monkeypatch)
    args = kafka_acls.format_scram_args(s)
    for p in KAFKA_PRINCIPALS:
        path = s.secrets_dir / f"kafka-{p}-password"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
        assert f"SCRAM-SHA-512=[name={p},password={path.read_text()}]" in args
    assert stat.S_IMODE(s.secrets_dir.stat().st_mode) == 0o700
    first = secrets.kafka_password(s, KAFKA_SINK)
    assert kafka_acls.format_scram_args(s) == args  # generated once, kept
    assert secrets.kafka_password(s, KAFKA_SINK, create=True) == first and len(first) >= 24
    assert secrets.kafka_password(s, KAFKA_SPEED) != first
    assert clients.kafka_config(s, principal=KAFKA_SINK)["sasl.password"] == first


def test_a_client_without_a_credential_fails_in_one_line_and_makes_none_up(s, monkeypatch):
    _no_kafka_env(monkeypatch)
    for read in (lambda: clients.kafka_config(s, principal=KAFKA_SINK), lambda: secrets.kafka_password(s, KAFKA_SINK),
                 lambda: clients.spark_kafka_options(s, KAFKA_SINK)):
        with pytest.raises(LakeError) as e:
            read()
        msg = str(e.value)
        assert "\n" not in msg and e.value.details == "", msg
        assert "Kafka principal 'sink'" in msg and "LAKE_KAFKA_SINK_PASSWORD" in msg, msg
        assert str(s.secrets_dir / "kafka-sink-password") in msg, msg
        assert msg.endswith("run `make up` (it creates the lake's credentials)"), msg
    assert not s.secrets_dir.exists()  # nothing was made up


def test_the_environment_wins_over_the_file(s, monkeypatch):
    _no_kafka_env(monkeypatch)
    monkeypatch.setenv("LAKE_KAFKA_SINK_PASSWORD", "from-env")
    assert secrets.kafka_password(s, KAFKA_SINK) == "from-env"  # no file needed
    assert not s.secrets_dir.exists()
    monkeypatch.delenv("LAKE_KAFKA_SINK_PASSWORD")
    kafka_acls.format_scram_args(s)
    monkeypatch.setenv("LAKE_KAFKA_SINK_PASSWORD", "from-env")
    assert secrets.kafka_password(s, KAFKA_SINK) == "from-env" != (s.secrets_dir / "kafka-sink-password").read_text()


def test_broker_jaas_is_a_private_file(s, monkeypatch):
    monkeypatch.setenv("LAKE_KAFKA_BROKER_PASSWORD", "b-pw")
    path = s.secrets_dir / "kafka-broker-jaas.conf"
    write_secret(path, kafka_acls.jaas(s, "broker"))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text()
    assert 'ScramLoginModule required\n  username="broker" password="b-pw";' in text
    # the controller listener's one PLAIN user: the broker
    assert 'controller.KafkaServer {\n  org.apache.kafka.common.security.plain.PlainLoginModule required\n' \
           '  username="broker" password="b-pw" user_broker="b-pw";' in text


def test_format_adds_every_principal(s, monkeypatch):
    monkeypatch.setenv("LAKE_KAFKA_ADMIN_PASSWORD", "a-pw")
    args = kafka_acls.format_scram_args(s)
    assert args[::2] == ["--add-scram"] * len(KAFKA_PRINCIPALS)
    assert "SCRAM-SHA-512=[name=admin,password=a-pw]" in args[1::2]
    assert [a.split("name=")[1].split(",")[0] for a in args[1::2]] == list(KAFKA_PRINCIPALS)


def test_clients_log_in_as_their_role(s, monkeypatch):
    monkeypatch.setenv("LAKE_KAFKA_SINK_PASSWORD", "s-pw")
    monkeypatch.setenv("LAKE_KAFKA_ADMIN_PASSWORD", "a-pw")
    conf = clients.kafka_config(s, principal=KAFKA_SINK, **{"group.id": "g"})
    assert conf["security.protocol"] == "SASL_PLAINTEXT" and conf["sasl.mechanism"] == "SCRAM-SHA-512"
    assert (conf["sasl.username"], conf["sasl.password"], conf["group.id"]) == ("sink", "s-pw", "g")
    assert clients.kafka_config(s)["sasl.username"] == KAFKA_ADMIN


def test_sandbox_topics_are_the_admins(s):
    assert clients.kafka_principal(KAFKA_PRODUCER, TOPIC_RAW) == KAFKA_PRODUCER
    assert clients.kafka_principal(KAFKA_PRODUCER, "it.abc." + TOPIC_RAW) == KAFKA_ADMIN


def test_spark_gets_a_jaas_option_not_an_argument(s, monkeypatch):
    monkeypatch.setenv("LAKE_KAFKA_SPEED_PASSWORD", "sp-pw")
    opts = clients.spark_kafka_options(s, KAFKA_SPEED)
    assert opts["kafka.security.protocol"] == "SASL_PLAINTEXT" and opts["kafka.sasl.mechanism"] == "SCRAM-SHA-512"
    assert opts["kafka.sasl.jaas.config"] == ('org.apache.kafka.common.security.scram.ScramLoginModule required '
                                              'username="speed" password="sp-pw";')


def _ops(principal: str, resource: str = "TOPIC") -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for g in kafka_acls.GRANTS:
        if g.principal == principal and g.resource == resource:
            out.setdefault(g.name, set()).update(g.operations)
    return out


def test_producer_writes_raw_dlq_compliance_and_reads_nothing():
    assert _ops(KAFKA_PRODUCER) == {"tweets.raw": {"WRITE"}, "tweets.dlq": {"WRITE"}, "tweets.compliance": {"WRITE"}}
    assert _ops(KAFKA_PRODUCER, "GROUP") == {"lake-raw-sink": {"DESCRIBE"}}


def test_readers_read_and_never_write():
    assert _ops(KAFKA_SINK) == {TOPIC_RAW: {"READ"}}
    # the speed layer reads the compliance events too: serving.tweets hides their removals within a trigger
    assert _ops(KAFKA_SPEED) == {TOPIC_RAW: {"READ"}, "tweets.compliance": {"READ"}}
    assert _ops(KAFKA_SINK, "GROUP") == {"lake-raw-sink": {"READ"}}
    speed_groups = [g for g in kafka_acls.GRANTS if g.principal == KAFKA_SPEED and g.resource == "GROUP"]
    assert [(g.name, g.pattern) for g in speed_groups] == [("lake-speed", "PREFIXED")]


def test_browser_only_describes_and_reads():
    ops = {op for g in kafka_acls.GRANTS if g.principal == KAFKA_BROWSER for op in g.operations}
    assert ops <= {"READ", "DESCRIBE", "DESCRIBE_CONFIGS"}


def test_grants_name_no_super_user_no_cluster_and_no_wildcard_write():
    assert not [g for g in kafka_acls.GRANTS if g.principal in KAFKA_SUPER_USERS or g.resource == "CLUSTER"]
    assert not [g for g in kafka_acls.GRANTS if g.name == "*" and g.principal != KAFKA_BROWSER]
    roles = set(KAFKA_PRINCIPALS) - set(KAFKA_SUPER_USERS)
    assert {g.principal for g in kafka_acls.GRANTS} == roles  # every role has its grants


def test_bindings_are_one_allow_per_operation():
    b = kafka_acls.bindings()
    assert len(b) == sum(len(g.operations) for g in kafka_acls.GRANTS)
    assert {x.permission_type.name for x in b} == {"ALLOW"} and {x.host for x in b} == {"*"}
    assert len({kafka_acls._key(x) for x in b}) == len(b)


def test_retarget_moves_topic_grants_to_a_sandbox():
    moved = kafka_acls.retarget("it.x.")
    assert moved and all(g.resource == "TOPIC" and g.name.startswith("it.x.tweets.") for g in moved)
    assert ("producer", "it.x." + TOPIC_DLQ) in {(g.principal, g.name) for g in moved}


def test_make_ups_bootstrap_on_a_fresh_var_dir_leaves_every_credential_its_clients_read(s, monkeypatch):
    """Kafka's first start (storage format, JAAS file) and Trino's (logins, shared secret) create what every
    later reader in `make up` and after it asks for; no reader has to generate anything."""
    import os
    from types import SimpleNamespace

    from lake import airflow_env
    from lake.stack import kafka as kafka_stack
    from lake.stack import trino_security

    _no_kafka_env(monkeypatch)
    for k in [k for k in os.environ if k.startswith(("LAKE_TRINO_", "TRINO_"))]:
        monkeypatch.delenv(k)
    formats = []  # the storage format's command line, instead of running it (no JVM needed)
    monkeypatch.setattr(kafka_stack.Kafka, "java_argv", lambda self, main, cp, args=(), opts=(): [main, *args])
    monkeypatch.setattr(kafka_stack.Kafka, "env", lambda self: {})

    def fake_run(argv, **kw):
        formats.append(argv)
        return SimpleNamespace(returncode=0, stdout="", stderr="")

    monkeypatch.setattr(kafka_stack, "subprocess", SimpleNamespace(run=fake_run))
    kafka_stack.Kafka(s).prepare()
    trino_security.ensure_all(s)
    assert len(formats) == 1 and formats[0].count("--add-scram") == len(KAFKA_PRINCIPALS)
    assert stat.S_IMODE((s.secrets_dir / "kafka-broker-jaas.conf").stat().st_mode) == 0o600
    for p in KAFKA_PRINCIPALS:
        assert stat.S_IMODE((s.secrets_dir / f"kafka-{p}-password").stat().st_mode) == 0o600
        assert clients.kafka_config(s, principal=p)["sasl.password"] == secrets.kafka_password(s, p)
    assert clients.spark_kafka_options(s, KAFKA_SPEED)["kafka.sasl.jaas.config"]
    assert secrets.trino_shared_secret(s)  # what Trino's env() hands it
    assert clients.trino_login(s).user == "lake"
    assert "AIRFLOW_CONN_LAKE_TRINO" in airflow_env.connections(s)
