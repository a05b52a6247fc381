"""lake/runtime/faults.py and the Kafka side of clients.py: what is retried, how often the terminal hears
of it, and where librdkafka's lines go (issue #26)."""
from __future__ import annotations

import pytest
from confluent_kafka import KafkaError, KafkaException

from lake import settings
from lake.errors import ServiceDown
from lake.runtime import clients, faults


@pytest.fixture
def command(tmp_path, monkeypatch):
    """A command's log under tmp_path; the module state and the client loggers are put back afterwards."""
    import logging

    monkeypatch.setattr(faults, "_state", {"path": None, "prog": "lake", "last": {}})
    saved = {n: (list(logging.getLogger(n).handlers), logging.getLogger(n).propagate, logging.getLogger(n).level)
             for n in faults.CLIENT_LOGGERS}
    s = settings.load({"LAKE_VAR_DIR": str(tmp_path)})
    yield faults.command_log(s, "unit", prog="make unit")
    for n, (handlers, propagate, level) in saved.items():
        lg = logging.getLogger(n)
        for h in lg.handlers[:]:
            if h not in handlers:
                lg.removeHandler(h)
                h.close()
        lg.propagate, lg.level = propagate, level


@pytest.mark.parametrize("code, transient", [
    (KafkaError.NOT_COORDINATOR, True), (KafkaError.COORDINATOR_LOAD_IN_PROGRESS, True),
    (KafkaError._TRANSPORT, True), (KafkaError._ALL_BROKERS_DOWN, True), (KafkaError._TIMED_OUT, True),
    (KafkaError.TOPIC_AUTHORIZATION_FAILED, False), (KafkaError.INVALID_CONFIG, False),
])
def test_kafka_transient_errors(code, transient):
    assert clients.kafka_transient(KafkaException(KafkaError(code))) is transient
    assert clients.kafka_transient(ValueError("not kafka")) is False


def test_notice_is_throttled_per_condition(command, capsys):
    assert faults.notice("kafka", "Kafka at x is not answering")
    assert not faults.notice("kafka", "Kafka at x is not answering")  # within 5 s: logged, not printed
    assert faults.notice("trino", "Trino at y is not answering")      # another condition
    assert faults.notice("kafka", "again", every=0)
    err = capsys.readouterr().err.splitlines()
    assert err == ["make unit: Kafka at x is not answering", "make unit: Trino at y is not answering",
                   "make unit: again"]
    assert command.read_text().count("Kafka at x is not answering") == 2


def test_kafka_config_routes_librdkafka_logs_inside_a_command_only(command, monkeypatch):
    monkeypatch.setenv("LAKE_KAFKA_ADMIN_PASSWORD", "pw")  # no secret file is written
    login = {"security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "SCRAM-SHA-512", "sasl.username": "admin",
             "sasl.password": "pw"}
    conf = clients.kafka_config("127.0.0.1:1", **{"acks": "all"})
    assert conf["bootstrap.servers"] == "127.0.0.1:1" and conf["acks"] == "all"
    assert conf["logger"] is faults.log and callable(conf["error_cb"])
    monkeypatch.setattr(faults, "_state", {"path": None, "prog": "lake", "last": {}})
    assert clients.kafka_config("127.0.0.1:1") == {"bootstrap.servers": "127.0.0.1:1", **login}  # services


def test_retry_recovers_from_a_transient_error(command, capsys, monkeypatch):
    monkeypatch.setattr(faults.time, "sleep", lambda s: None)
    calls = []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise KafkaException(KafkaError(KafkaError.NOT_COORDINATOR))
        return "ok"

    ep = faults.Endpoint("Kafka", "kafka", "127.0.0.1:9092", command)
    assert faults.retry(flaky, ep, 60, clients.kafka_transient) == "ok" and len(calls) == 3
    assert capsys.readouterr().err.count("is not answering (retrying for 60 s") == 1


def test_retry_gives_up_with_one_line_and_passes_other_errors_through(command):
    ep = faults.Endpoint("Kafka", "kafka", "127.0.0.1:9092", command.parent / "kafka.log")

    def down():
        raise KafkaException(KafkaError(KafkaError._TRANSPORT, "Failed to get metadata"))

    with pytest.raises(ServiceDown) as e:
        faults.retry(down, ep, 0, clients.kafka_transient)
    msg = str(e.value)
    assert "\n" not in msg and msg.startswith("Kafka at 127.0.0.1:9092 ") and "(Failed to get metadata)" in msg
    assert "`make up`" in msg and "`make logs SERVICE=kafka`" in msg and str(command) in msg

    def bug():
        raise KeyError("x")

    with pytest.raises(KeyError):
        faults.retry(bug, ep, 60, clients.kafka_transient)


def test_parser_names_the_make_variable(capsys):
    from lake.arguments import Parser

    ap = Parser(prog="make ingest", variables={"--count": "COUNT"})
    ap.add_argument("--count", type=int)
    with pytest.raises(SystemExit) as e:
        ap.parse_args(["--count", "x"])
    assert e.value.code == 2
    assert capsys.readouterr().err == "make ingest: error: argument --count (COUNT): invalid int value: 'x' (see --help)\n"
