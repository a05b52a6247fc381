"""Trino's access matrix on a running, secured Trino (issue #21, docs/security.md): who may log in,
and what each group and service login may read and write. Both the denials and the allows are asserted.

The test's own logins (one per group, random passwords) are added with the same code as `make user`
and removed afterwards; its table in gold is created and dropped by the lake's login.

Against the stack this runs like every integration test. LAKE_IT_TRINO_RUNNING=1 points it at a Trino
that is already running with the settings in the environment (LAKE_VAR_DIR, LAKE_PORT_TRINO), for
example a private instance on other ports, without `lake up`.
"""
from __future__ import annotations

import os
import secrets as pysecrets
import subprocess
import uuid

import pytest
import requests

from lake import settings
from lake.errors import LakeError
from lake.runtime import clients, probes
from lake.settings import Settings
from lake.stack import trino_security

LOGIN_WAIT_S = 30  # Trino re-reads the password and group files every 5 s (file.refresh-period)


@pytest.fixture(scope="module")
def trino_s(request) -> Settings:
    if os.environ.get("LAKE_IT_TRINO_RUNNING"):
        s = settings.get()
        from lake.stack.trino import Trino

        probes.wait_for(Trino(s).probe, 60, f"Trino at {s.trino_url} (log {s.log_file('trino')})")
        return s
    return request.getfixturevalue("lake")


@pytest.fixture(scope="module")
def logins(trino_s):
    """name -> (login, groups): an engineer, an analyst, a pii member, and a login in no group."""
    tag = uuid.uuid4().hex[:8]
    made = {}
    for role, groups in (("engineer", ["engineers"]), ("analyst", ["analysts"]), ("pii", ["pii"]),
                         ("nogroup", [])):
        name, pw = f"it_{tag}_{role}", pysecrets.token_urlsafe(18)
        trino_security.set_user(trino_s, name, groups, pw)
        made[role] = clients.TrinoLogin(name, pw)
    try:
        for login in made.values():  # each is accepted once Trino has re-read its files
            probes.wait_for(lambda: _accepted(trino_s, login), LOGIN_WAIT_S,
                            f"Trino accepting login {login.user} (log {trino_s.log_file('trino')})")
        yield made
    finally:
        for login in made.values():
            trino_security.remove_user(trino_s, login.user)


def _accepted(s: Settings, login: clients.TrinoLogin) -> probes.ProbeResult:
    r = _post(s, "SELECT 1", auth=(login.user, login.password))
    return probes.ProbeResult(r.status_code == 200, f"HTTP {r.status_code}")


def _post(s: Settings, sql: str, auth=None, headers=None, verify=None) -> requests.Response:
    session = clients.trino_http_session(s)
    if verify is not None:
        session.verify = verify
    return session.post(f"{s.trino_url}/v1/statement", data=sql, auth=auth, timeout=30,
                        headers={"X-Trino-User": auth[0] if auth else "lake", **(headers or {})})


@pytest.fixture(scope="module")
def gold_table(trino_s):
    """A small table of the test's own in the real gold schema (the analysts' rules name gold)."""
    made_schema = not clients.trino(trino_s, "SHOW SCHEMAS FROM hive LIKE 'gold'")
    if made_schema:
        clients.trino(trino_s, "CREATE SCHEMA hive.gold")
    table = f"hive.gold.it_access_{uuid.uuid4().hex[:8]}"
    clients.trino(trino_s, f"CREATE TABLE {table} AS SELECT * FROM (VALUES (1, 'a'), (2, 'b')) AS t(id, name)")
    yield table
    clients.trino(trino_s, f"DROP TABLE IF EXISTS {table}")
    if made_schema:
        clients.trino(trino_s, "DROP SCHEMA IF EXISTS hive.gold")


def denied(s: Settings, sql: str, login: clients.TrinoLogin) -> str:
    from trino.exceptions import TrinoUserError

    with pytest.raises(TrinoUserError) as e:
        clients.trino(s, sql, login=login)
    assert e.value.error_name == "PERMISSION_DENIED", e.value
    return e.value.message


# ---- authentication ----------------------------------------------------------------------------------
def test_no_credentials_and_wrong_passwords_get_401(trino_s, logins):
    assert _post(trino_s, "SELECT 1").status_code == 401  # a user name alone is not a login
    assert _post(trino_s, "SELECT 1", auth=("lake", "not-the-password")).status_code == 401
    assert _post(trino_s, "SELECT 1", auth=(logins["analyst"].user, "wrong")).status_code == 401
    assert _post(trino_s, "SELECT 1", auth=("nosuchuser", "whatever-it-is")).status_code == 401
    with pytest.raises(LakeError, match="refused the login 'lake'.*401"):
        clients.trino(trino_s, "SELECT 1", login=clients.TrinoLogin("lake", "not-the-password"), wait=5)
    # the lake's own login, and a person's, are accepted
    assert _post(trino_s, "SELECT 1", auth=(logins["analyst"].user, logins["analyst"].password)).status_code == 200
    assert clients.trino(trino_s, "SELECT 1") == [(1,)]


def test_only_https_with_the_generated_certificate(trino_s):
    # plain HTTP: the port speaks TLS only, so no query is ever taken over HTTP
    try:
        r = requests.post(f"http://{trino_s.host}:{trino_s.ports['trino']}/v1/statement", data="SELECT 1",
                          headers={"X-Trino-User": "lake"}, timeout=10)
        assert r.status_code >= 400, r.status_code
    except requests.ConnectionError:
        pass
    # a client that does not trust the generated certificate refuses the server
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(f"{trino_s.trino_url}/v1/info", timeout=10)
    # REQUESTS_CA_BUNDLE pointing elsewhere does not override the lake's verify=
    os.environ["REQUESTS_CA_BUNDLE"] = "/nonexistent/ca.pem"
    try:
        assert clients.trino(trino_s, "SELECT 2") == [(2,)]
    finally:
        del os.environ["REQUESTS_CA_BUNDLE"]


# ---- authorization: the matrix ----------------------------------------------------------------
def test_analyst_reads_gold_but_not_raw_or_bronze_and_writes_nothing(trino_s, logins, gold_table):
    a = logins["analyst"]
    assert sorted(clients.trino(trino_s, f"SELECT id, name FROM {gold_table}", login=a)) == [(1, "a"), (2, "b")]
    assert "raw.tweets" in denied(trino_s, "SELECT * FROM hive.raw.tweets LIMIT 1", a)
    denied(trino_s, "SELECT count(*) FROM hive.bronze.tweets", a)
    denied(trino_s, f"INSERT INTO {gold_table} VALUES (3, 'c')", a)
    denied(trino_s, f"DROP TABLE {gold_table}", a)
    denied(trino_s, "CALL system.sync_partition_metadata('raw', 'tweets', 'ADD')", a)


def test_analysts_and_the_dashboard_read_the_serving_view(trino_s, logins):
    """serving.tweets is silver ∪ speed, a SECURITY INVOKER view: its readers need SELECT on its inputs
    (speed.tweets and ops.batch_watermarks too), and nothing more of speed or ops."""
    if not clients.trino(trino_s, "SHOW TABLES FROM hive.serving LIKE 'tweets'"):
        pytest.skip("no serving.tweets on this stack (lake up creates it with the speed layer)")
    engineer_sees = clients.trino(trino_s, "SELECT count(*) FROM hive.serving.tweets", login=logins["engineer"])
    assert clients.trino(trino_s, "SELECT count(*) FROM hive.serving.tweets", login=logins["analyst"]) == engineer_sees
    superset = clients.trino_login(trino_s, "superset")
    assert clients.trino(trino_s, "SELECT count(*) FROM hive.serving.tweets", login=superset) == engineer_sees
    denied(trino_s, "SELECT count(*) FROM hive.speed.tweets_rejected", logins["analyst"])
    denied(trino_s, "SELECT count(*) FROM hive.ops.quality_checks", superset)


def test_pii_member_reads_raw_tweets_and_nothing_else(trino_s, logins, gold_table):
    p = logins["pii"]
    engineer_sees = clients.trino(trino_s, "SELECT count(*) FROM hive.raw.tweets", login=logins["engineer"])
    assert clients.trino(trino_s, "SELECT count(*) FROM hive.raw.tweets", login=p) == engineer_sees
    rows = clients.trino(trino_s, "SELECT * FROM hive.raw.tweets LIMIT 3", login=p)
    assert len(rows) == min(3, engineer_sees[0][0])
    denied(trino_s, f"SELECT * FROM {gold_table}", p)  # pii alone is not analysts
    denied(trino_s, "INSERT INTO hive.raw.tweets SELECT * FROM hive.raw.tweets WHERE false", p)


def test_a_login_in_no_group_reads_nothing(trino_s, logins, gold_table):
    n = logins["nogroup"]
    denied(trino_s, f"SELECT * FROM {gold_table}", n)
    denied(trino_s, "SELECT count(*) FROM hive.raw.tweets", n)


def test_engineers_read_and_write_everything(trino_s, logins, gold_table):
    e = logins["engineer"]
    assert clients.trino(trino_s, "SELECT count(*) FROM hive.raw.tweets", login=e)[0][0] >= 0
    if clients.trino(trino_s, "SHOW TABLES FROM hive.bronze LIKE 'tweets_rejected'", login=e):
        assert clients.trino(trino_s, "SELECT count(*) FROM hive.bronze.tweets_rejected", login=e)[0][0] >= 0
    clients.trino(trino_s, f"INSERT INTO {gold_table} VALUES (3, 'c')", login=e)
    assert clients.trino(trino_s, f"SELECT count(*) FROM {gold_table}", login=e) == [(3,)]
    scratch = f"{gold_table}_eng"
    clients.trino(trino_s, f"CREATE TABLE {scratch} AS SELECT 1 AS x", login=e)
    clients.trino(trino_s, f"DROP TABLE {scratch}", login=e)


def test_service_logins_have_their_own_least_rights(trino_s, gold_table):
    superset = clients.trino_login(trino_s, "superset")
    assert len(clients.trino(trino_s, f"SELECT * FROM {gold_table}", login=superset)) >= 2
    denied(trino_s, "SELECT count(*) FROM hive.raw.tweets", superset)
    denied(trino_s, f"INSERT INTO {gold_table} VALUES (9, 'z')", superset)
    airflow = clients.trino_login(trino_s, "airflow")
    assert len(clients.trino(trino_s, f"SELECT * FROM {gold_table}", login=airflow)) >= 2
    denied(trino_s, "SELECT count(*) FROM hive.raw.tweets", airflow)
    denied(trino_s, "SELECT count(*) FROM hive.bronze.tweets", airflow)


# ---- the CLI and the secrets -----------------------------------------------------------------------------
def test_the_cli_logs_in_by_itself(trino_s):
    env = {**os.environ, "LAKE_VAR_DIR": str(trino_s.var), "LAKE_PORT_TRINO": str(trino_s.ports["trino"])}
    env.pop("TRINO_PASSWORD", None)
    env.pop("TRINO_USER", None)
    r = subprocess.run([str(trino_s.root / "bin" / "trino"), "--execute", "SELECT 40 + 2"], env=env,
                       capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert r.returncode == 0 and r.stdout.strip() == '"42"', r.stderr[-2000:]
    assert "WARNING" not in r.stderr and "assword" not in r.stderr, r.stderr  # no prompt, no chatter
    bad = subprocess.run([str(trino_s.root / "bin" / "trino"), "--execute", "SELECT 1"],
                         env={**env, "TRINO_PASSWORD": "wrong-password"}, capture_output=True, text=True,
                         timeout=120, stdin=subprocess.DEVNULL)
    assert bad.returncode != 0 and "Authentication failed" in bad.stderr and "Invalid credentials" in bad.stderr


def test_no_generated_secret_is_in_a_tracked_file(trino_s):
    # every generated one-line secret under var/secrets: Trino's shared secret and logins, Kafka's
    # principals, the metastore's, Airflow's and Superset's (certificates and keystores are not secrets
    # of this kind: the private key is checked below by its PEM body)
    files = [f for f in trino_s.secrets_dir.rglob("*") if f.is_file()]
    values = [v for f in files if f.suffix not in (".p12", ".jks") and (v := f.read_bytes().strip())
              and b"\n" not in v and len(v) <= 200]
    values += [line for f in files if f.suffix == ".pem"
               for line in f.read_bytes().splitlines() if len(line) >= 60 and not line.startswith(b"-----")]
    names = {f.name for f in files}
    assert {"trino-shared-secret", "trino-lake-password", "kafka-admin-password", "kafka-producer-password"} <= names
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=trino_s.root, capture_output=True, check=True).stdout
    for rel in tracked.decode().split("\0"):
        path = trino_s.root / rel
        if rel and path.is_file() and not path.is_symlink():
            data = path.read_bytes()
            assert not any(v in data for v in values), rel
