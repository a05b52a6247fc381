"""Every class of bad input a user can type into a `make` variable ends in one line on stderr and an exit
code, before any work starts and without a traceback (issue #26). Each case runs the real entry point
as a subprocess, exactly as the Makefile calls it; none of them needs a running service."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import pytest

from lake.settings import ROOT


def run(args: list[str], tmp_path, timeout: float = 120, **env) -> subprocess.CompletedProcess:
    e = {**os.environ, "PYTHONPATH": str(ROOT), "LAKE_VAR_DIR": str(tmp_path / "var"), **env}
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=e, capture_output=True, text=True,
                          timeout=timeout)


def one_line(r: subprocess.CompletedProcess, code: int, *words: str) -> str:
    assert "Traceback" not in r.stderr, r.stderr
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, r.stderr
    assert r.returncode == code, (r.returncode, r.stderr)
    for w in words:
        assert w in lines[0], (w, lines[0])
    return lines[0]


CASES = {
    # class: (argv, exit code, words the one line must hold: the variable, the value, the accepted range)
    "count negative": (["-m", "ingestion", "--count", "-5"], 2, ["COUNT=-5", "from 0 to 1,000,000,000"]),
    "count not a number": (["-m", "ingestion", "--count", "abc"], 2, ["COUNT", "'abc'"]),
    "count missing": (["-m", "ingestion", "--count"], 2, ["COUNT", "expected one argument"]),
    "days zero": (["-m", "ingestion", "--days", "0"], 2, ["DAYS=0", "from 1 to 3,650"]),
    "rate negative": (["-m", "ingestion", "--rate", "-1"], 2, ["RATE=-1", "from 0"]),
    "rate not finite": (["-m", "ingestion", "--rate", "inf"], 2, ["RATE=", "tweets per second"]),
    "source unknown": (["-m", "ingestion", "--source", "carrier-pigeon"], 2, ["SOURCE", "synthetic"]),
    "format unknown": (["-m", "ingestion", "--format", "v3"], 2, ["FORMAT", "v2"]),
    "replay file missing": (["-m", "ingestion", "--source", "replay", "--files", "/nonexistent/tweets.jsonl"], 2,
                            ["/nonexistent/tweets.jsonl", "FILES"]),
    "replay without files": (["-m", "ingestion", "--source", "replay"], 2, ["FILES="]),
    "date not a date": (["-m", "lake", "build", "--date", "2024-13-01"], 2, ["DATE='2024-13-01'", "YYYY-MM-DD"]),
    "date impossible": (["-m", "lake", "build", "--date", "2024-02-30"], 2, ["DATE='2024-02-30'"]),
    "date range reversed": (["-m", "lake", "build", "--from", "2024-01-05", "--to", "2024-01-01"], 2,
                            ["FROM=2024-01-05", "TO=2024-01-01", "FROM <= TO"]),
    "date range open": (["-m", "lake", "build", "--from", "2024-01-05"], 2, ["FROM needs TO"]),
    "date missing": (["-m", "lake", "build", "--date"], 2, ["DATE", "expected one argument"]),
    "airflow date": (["-m", "lake.airflow_env", "run-batch", "--date", "yesterday"], 2, ["DATE='yesterday'"]),
    "layers unknown": (["-m", "lake", "build", "--date", "2024-01-01", "--layers", "bronze,platinum"], 2,
                       ["LAYERS=", "platinum", "bronze,silver,gold"]),
    "layers empty": (["-m", "lake", "build", "--date", "2024-01-01", "--layers", ","], 2, ["LAYERS=", "empty"]),
    "table not schema.table": (["-m", "lake.pipeline.compact", "--table", "tweets"], 2, ["TABLE=", "schema.table"]),
    "table missing": (["-m", "lake.pipeline.compact", "--table", ""], 2, ["TABLE=schema.table"]),
    "table target size": (["-m", "lake.pipeline.compact", "--table", "speed.tweets", "--target-mb", "0"], 2,
                          ["TARGET_MB=0", "> 0"]),
    "table grace": (["-m", "lake.pipeline.compact", "--table", "speed.tweets", "--grace-seconds", "-3"], 2,
                    ["GRACE=-3", "from 0"]),
    "table partitions": (["-m", "lake.pipeline.compact", "--table", "speed.tweets", "--partitions", "2024-01-01"],
                         2, ["PARTITIONS", "k=v"]),
    "scale query bench": (["-m", "benchmarks.query.run", "--scale", "huge"], 2, ["SCALE='huge'", "tiny, small"]),
    "scale build bench": (["-m", "benchmarks.build.run", "--scale", "huge"], 2, ["SCALE=huge", "tiny, small"]),
    "scale ingest bench": (["-m", "benchmarks.ingest.run", "--scale", "huge"], 1, ["SCALE='huge'", "tiny, small"]),
    "service unknown": (["-m", "lake", "logs", "nosuch"], 1, ["'nosuch'", "kafka"]),
    "verb unknown": (["-m", "lake", "frobnicate"], 2, ["'frobnicate'", "build"]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input_is_one_line_and_an_exit_code(name, tmp_path):
    argv, code, words = CASES[name]
    t0 = time.monotonic()
    r = run(argv, tmp_path)
    line = one_line(r, code, *words)
    assert line.split(": error: ", 1)[0] in ("make ingest", "lake", "lake build", "make compact", "make bench",
                                             "make bench-build", "make bench-ingest", "python -m lake.airflow_env",
                                             "lake.airflow_env"), line
    # checked before any work: no Kafka, Trino or Spark was asked anything
    assert time.monotonic() - t0 < 60 and not r.stdout.strip(), r.stdout


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


KAFKA_LOGINS = {f"LAKE_KAFKA_{p.upper()}_PASSWORD": f"pw-{p}" for p in ("admin", "producer")}


def test_kafka_client_without_a_credential_is_one_line_naming_make_up(tmp_path, monkeypatch):
    """A client run from a var dir `make up` never set up makes no password up (the broker would refuse it
    later with an obscure SASL error): one line names the principal, its variable and file, and `make up`."""
    for k in [k for k in os.environ if k.startswith("LAKE_KAFKA_")]:
        monkeypatch.delenv(k)
    r = run(["-m", "ingestion", "--count", "10", "--kafka-timeout", "5"], tmp_path, LAKE_PORT_KAFKA=str(free_port()))
    line = one_line(r, 1, "Kafka principal", "make up", "it creates the lake's credentials")
    principal = line.split("Kafka principal '")[1].split("'")[0]
    assert f"LAKE_KAFKA_{principal.upper()}_PASSWORD" in line, line
    assert str(tmp_path / "var" / "secrets" / f"kafka-{principal}-password") in line, line
    assert not (tmp_path / "var" / "secrets").exists()  # nothing made up


def test_kafka_down_is_retried_then_one_line_naming_the_fix(tmp_path):
    """Nothing listens on the Kafka port: the terminal gets a throttled notice while the ingest retries,
    then one error line naming Kafka, `make up`, `make logs SERVICE=kafka` and the logs; exit 3.
    librdkafka's own lines (one every 50 ms) go to the command's log, not the terminal."""
    port = free_port()
    t0 = time.monotonic()
    # the private var dir holds no credentials (only `make up` creates them): handed over as a deployment would
    r = run(["-m", "ingestion", "--count", "10", "--kafka-timeout", "12"], tmp_path, LAKE_PORT_KAFKA=str(port),
            **KAFKA_LOGINS)
    waited = time.monotonic() - t0
    assert r.returncode == 3 and "Traceback" not in r.stderr, r.stderr
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    errors = [ln for ln in lines if ": error: " in ln]
    notices = [ln for ln in lines if "is not answering (retrying for 12 s; log: " in ln]
    assert len(errors) == 1 and len(lines) == len(errors) + len(notices), r.stderr
    assert all(w in errors[0] for w in (f"Kafka at 127.0.0.1:{port}", "make up", "make logs SERVICE=kafka",
                                         "kafka.log", "commands/ingest.log")), errors[0]
    assert 1 <= len(notices) <= waited / 5 + 1, r.stderr  # at most one every 5 s
    assert not any(ln.startswith("%") for ln in lines), r.stderr  # no raw librdkafka line
    log = tmp_path / "var" / "log" / "commands" / "ingest.log"
    assert "is not answering" in log.read_text()


@pytest.mark.parametrize("client, service", [("sql", "trino"), ("beeline", "thriftserver")])
def test_sql_client_with_its_service_down_is_one_line(client, service, tmp_path):
    key = {"trino": "TRINO", "thriftserver": "THRIFT"}[service]
    r = run(["-m", "lake", client, "-e", "SELECT 1"], tmp_path, **{f"LAKE_PORT_{key}": str(free_port())})
    one_line(r, 3, "is not answering", "make up", f"make logs SERVICE={service}")


def test_trino_statement_with_trino_down_gives_up_after_its_window(tmp_path, monkeypatch):
    from lake import settings
    from lake.errors import ServiceDown
    from lake.runtime import clients

    s = settings.load({**os.environ, "LAKE_VAR_DIR": str(tmp_path), "LAKE_PORT_TRINO": str(free_port())})
    monkeypatch.delenv("LAKE_TRINO_USER", raising=False)
    monkeypatch.setenv("LAKE_TRINO_PASSWORD_LAKE", "pw")  # no `make up` here: the login handed over
    t0 = time.monotonic()
    with pytest.raises(ServiceDown, match=r"Trino at https://127.0.0.1:\d+ did not answer for [23] s.*make up.*"
                                          r"make logs SERVICE=trino") as e:
        clients.trino(s, "SELECT 1", wait=2)
    assert 2 <= time.monotonic() - t0 < 15 and e.value.code == 3 and "\n" not in str(e.value)
