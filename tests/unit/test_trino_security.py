"""Trino's security offline: the rendered config, the generated certificate and logins, and the
first-match semantics of trino/etc/rules.json for the issue's access matrix (docs/security.md)."""
from __future__ import annotations

import json
import re
import stat

import pytest

from lake import secrets, settings
from lake.errors import LakeError
from lake.runtime import clients, config
from lake.settings import ROOT, TRINO_GROUPS
from lake.stack import trino_security as ts


@pytest.fixture
def s(tmp_path):
    return settings.load({"LAKE_VAR_DIR": str(tmp_path / "var"), "LAKE_USER": "eve"})


def _props(path) -> dict[str, str]:
    return dict(ln.split("=", 1) for ln in path.read_text().splitlines() if ln.strip() and not ln.startswith("#"))


def test_rendered_config_is_https_only_with_passwords_groups_and_rules(s):
    config.render_all(s)
    etc = s.conf_dir / "trino" / "etc"
    p = _props(etc / "config.properties")
    assert p["http-server.http.enabled"] == "false" and p["http-server.https.enabled"] == "true"
    assert p["http-server.https.port"] == str(s.ports["trino"]) == "8443"
    assert p["http-server.https.keystore.path"] == str(s.trino_keystore)
    assert p["discovery.uri"] == f"https://127.0.0.1:{s.ports['trino']}"
    assert p["http-server.authentication.type"] == "PASSWORD"
    # the shared secret comes from Trino's environment, never from a rendered file
    assert p["internal-communication.shared-secret"] == "${ENV:LAKE_TRINO_SHARED_SECRET}"
    assert _props(etc / "password-authenticator.properties") == {
        "password-authenticator.name": "file", "file.password-file": str(s.trino_password_file),
        "file.refresh-period": "5s"}
    assert _props(etc / "group-provider.properties")["file.group-file"] == str(s.trino_group_file)
    ac = _props(etc / "access-control.properties")
    assert ac["access-control.name"] == "file"
    assert json.loads(open(ac["security.config-file"]).read()) == json.loads((ROOT / "trino/etc/rules.json").read_text())
    for key in ("password-authenticator.config-files", "access-control.config-files"):
        assert (etc / p[key].rsplit("/", 1)[1]).exists()
    assert "group-provider.config-file" not in p  # not a Trino property: etc/ of its working dir (trino.py)
    assert s.trino_url == "https://127.0.0.1:8443"


def test_the_installer_keeps_the_password_authenticators_plugin():
    from lake.stack import install

    assert "password-authenticators" in install.TRINO_KEEP_PLUGINS


def test_certificate_has_the_loopback_names_and_is_its_own_anchor(s):
    from cryptography import x509

    assert ts.ensure_tls(s) == "created"
    cert = x509.load_pem_x509_certificate(s.trino_ca_file.read_bytes())
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert [str(ip) for ip in san.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    assert san.get_values_for_type(x509.DNSName) == ["localhost"]
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is True
    assert cert.issuer == cert.subject
    keystore = s.trino_keystore.read_text()
    assert "PRIVATE KEY" in keystore and s.trino_ca_file.read_text() in keystore
    assert "PRIVATE KEY" not in s.trino_ca_file.read_text()
    before = s.trino_keystore.read_bytes()
    assert ts.ensure_tls(s) is None and s.trino_keystore.read_bytes() == before  # once, kept across restarts


def test_generated_logins_are_bcrypt_in_0600_files_and_stable(s):
    said = ts.ensure_all(s)
    assert any("TLS certificate" in x for x in said) and any("login 'eve'" in x for x in said)
    for f in (s.trino_keystore, s.trino_ca_file, s.trino_password_file, s.trino_group_file,
              s.secrets_dir / "trino-shared-secret", s.secrets_dir / "trino-lake-password"):
        assert stat.S_IMODE(f.stat().st_mode) == 0o600, f
    assert stat.S_IMODE(s.trino_secrets_dir.stat().st_mode) == 0o700
    hashes = ts.read_passwords(s)
    assert set(hashes) == {"eve", "lake", "superset", "airflow"}
    for user, hashed in hashes.items():
        assert re.match(r"^\$2y\$10\$", hashed), hashed
        assert ts.check_password(secrets.trino_password(s, user), hashed)
        assert secrets.trino_password(s, user) not in s.trino_password_file.read_text()
    assert ts.read_groups(s) == {"engineers": {"eve", "lake"}}
    text = s.trino_password_file.read_text()
    assert ts.ensure_all(s) == [] and s.trino_password_file.read_text() == text  # nothing rewritten


def test_make_user_adds_changes_and_removes_a_login(s, monkeypatch):
    ts.ensure_all(s)
    assert ts.set_user(s, "ana", ["analysts", "pii"], "correct horse") is True
    assert ts.user_groups(s, "ana") == ["analysts", "pii"] and ts.check_password("correct horse", ts.read_passwords(s)["ana"])
    assert ts.set_user(s, "ana", ["analysts"], "another one") is False
    assert ts.user_groups(s, "ana") == ["analysts"] and not ts.check_password("correct horse", ts.read_passwords(s)["ana"])
    assert ts.user_groups(s, "eve") == ["engineers"]  # the others are untouched
    ts.remove_user(s, "ana")
    assert "ana" not in ts.read_passwords(s) and ts.user_groups(s, "ana") == []
    with pytest.raises(LakeError, match="not a group"):
        ts.set_user(s, "bob", ["admins"], "long enough")
    with pytest.raises(LakeError, match="NAME="):
        ts.set_user(s, "Bob Smith", ["analysts"], "long enough")
    with pytest.raises(LakeError, match="shorter than 8"):
        ts.set_user(s, "bob", ["analysts"], "short")
    monkeypatch.setenv("TRINO_PASSWORD", "from the environment")
    assert ts.read_new_password() == "from the environment"


def test_make_user_cli_takes_the_password_from_the_environment_never_argv(s, monkeypatch, capsys):
    from lake import cli

    monkeypatch.setenv("LAKE_VAR_DIR", str(s.var))
    monkeypatch.setenv("LAKE_USER", "eve")
    monkeypatch.setenv("TRINO_PASSWORD", "typed elsewhere")
    monkeypatch.setattr(settings, "get", lambda: s)
    assert cli.main(["user", "--name", "carol", "--groups", "analysts"]) == 0
    assert "carol" in capsys.readouterr().out
    assert ts.check_password("typed elsewhere", ts.read_passwords(s)["carol"])
    assert cli.main(["user", "--name", "carol", "--groups", "nobody"]) == 2


def test_clients_connect_over_https_with_the_lake_login_and_ignore_ca_bundle_variables(s, monkeypatch):
    ts.ensure_all(s)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/nonexistent/bundle.pem")
    monkeypatch.delenv("LAKE_TRINO_USER", raising=False)
    session = clients.trino_http_session(s)
    assert session.verify == str(s.trino_ca_file) and session.trust_env is False
    # what requests would do per request: with trust_env off the variable is not merged in
    assert session.merge_environment_settings("https://127.0.0.1:8443", {}, None, None, None)["verify"] == \
        str(s.trino_ca_file)
    login = clients.trino_login(s)
    assert login.user == "lake" and login.password == secrets.trino_password(s, "lake")
    assert login.password not in repr(login)
    conn = clients.trino_connect(s)
    assert conn.http_scheme == "https" and conn.port == 8443 and conn.user == "lake"
    monkeypatch.setenv("LAKE_TRINO_USER", "stranger")
    with pytest.raises(LakeError, match="LAKE_TRINO_PASSWORD"):
        clients.trino_login(s)


def test_a_client_never_makes_a_login_up(s, monkeypatch):
    """Before `make up` there is no generated login: a client says so in one line (variable, file, `make up`)
    instead of generating a password Trino would refuse with a 401; a set variable still wins."""
    monkeypatch.delenv("LAKE_TRINO_USER", raising=False)
    monkeypatch.delenv("LAKE_TRINO_PASSWORD_LAKE", raising=False)
    with pytest.raises(LakeError) as e:
        clients.trino_login(s)
    msg = str(e.value)
    assert "\n" not in msg and "Trino login 'lake'" in msg and "LAKE_TRINO_PASSWORD_LAKE" in msg
    assert str(s.secrets_dir / "trino-lake-password") in msg and "run `make up`" in msg
    with pytest.raises(LakeError, match="LAKE_TRINO_SHARED_SECRET"):
        secrets.trino_shared_secret(s)
    assert not s.secrets_dir.exists()
    monkeypatch.setenv("LAKE_TRINO_PASSWORD_LAKE", "from-env")
    assert clients.trino_login(s).password == "from-env"


def test_cli_argv_has_the_truststore_and_password_prompt_and_no_secret(s, monkeypatch):
    ts.ensure_all(s)  # what `make up` does: the initial engineer's login
    monkeypatch.setattr(clients, "trino_cli_jar", lambda s: "trino-cli.jar")
    monkeypatch.delenv("TRINO_USER", raising=False)
    monkeypatch.delenv("TRINO_PASSWORD", raising=False)
    argv = clients.trino_cli_argv(s, ["--execute", "SELECT 1"])
    assert argv[argv.index("--server") + 1] == "https://127.0.0.1:8443"
    assert argv[argv.index("--truststore-path") + 1] == str(s.trino_ca_file)
    assert argv[argv.index("--user") + 1] == "eve" and "--password" in argv
    env = clients.trino_cli_env(s)
    assert env["TRINO_PASSWORD"] == secrets.trino_password(s, "eve")
    assert env["TRINO_PASSWORD"] not in " ".join(argv)


# ---- rules.json, evaluated the way Trino's file-based access control does ---------------------------
RULES = json.loads((ROOT / "trino/etc/rules.json").read_text())


def _matches(rule: dict, user: str, groups: set[str], **names: str) -> bool:
    if not re.fullmatch(rule.get("user", ".*"), user):
        return False
    if "group" in rule and not any(re.fullmatch(rule["group"], g) for g in groups):
        return False
    return all(re.fullmatch(rule.get(k, ".*"), v) for k, v in names.items())


def catalog_access(user: str, groups: set[str], catalog: str) -> str:
    for rule in RULES["catalogs"]:
        if _matches(rule, user, groups, catalog=catalog):
            return rule["allow"]
    return "none"


def table_privileges(user: str, groups: set[str], catalog: str, schema: str, table: str) -> set[str]:
    if catalog_access(user, groups, catalog) == "none":
        return set()
    for rule in RULES["tables"]:
        if _matches(rule, user, groups, catalog=catalog, schema=schema, table=table):
            privs = set(rule["privileges"])
            return privs & {"SELECT"} if catalog_access(user, groups, catalog) == "read-only" else privs
    return set()


def can(user: str, groups: set[str], privilege: str, table: str, catalog: str = "hive") -> bool:
    schema, name = table.split(".")
    return privilege in table_privileges(user, groups, catalog, schema, name)


@pytest.mark.parametrize("user, groups, privilege, table, allowed", [
    # engineers: everything, raw and bronze's rejects included
    ("eve", {"engineers"}, "SELECT", "raw.tweets", True),
    ("eve", {"engineers"}, "DELETE", "bronze.tweets_rejected", True),
    ("lake", {"engineers"}, "INSERT", "silver.tweets", True),
    # pii: raw.tweets, nothing else of raw, no writes
    ("pia", {"pii"}, "SELECT", "raw.tweets", True),
    ("pia", {"pii"}, "INSERT", "raw.tweets", False),
    ("pia", {"pii"}, "SELECT", "bronze.tweets", False),
    ("pia", {"pii", "analysts"}, "SELECT", "gold.fact_tweets", True),
    # analysts: silver, gold, serving and the bench tables, read only; no raw, no bronze
    ("ana", {"analysts"}, "SELECT", "raw.tweets", False),
    ("ana", {"analysts"}, "SELECT", "bronze.tweets", False),
    ("ana", {"analysts"}, "SELECT", "bronze.tweets_rejected", False),
    ("ana", {"analysts"}, "SELECT", "gold.fact_tweets", True),
    ("ana", {"analysts"}, "SELECT", "serving.tweets", True),
    ("ana", {"analysts"}, "SELECT", "bench_small_orc.tweets", True),
    ("ana", {"analysts"}, "INSERT", "gold.fact_tweets", False),
    ("ana", {"analysts"}, "SELECT", "ops.quality_checks", False),
    # serving.tweets is a SECURITY INVOKER view: its readers read its inputs, and no more of speed or ops
    ("ana", {"analysts"}, "SELECT", "speed.tweets", True),
    ("ana", {"analysts"}, "SELECT", "ops.batch_watermarks", True),
    ("ana", {"analysts"}, "SELECT", "speed.tweets_rejected", False),
    ("ana", {"analysts"}, "SELECT", "speed.compliance_pending", True),
    ("ana", {"analysts"}, "SELECT", "speed.compliance_pendings", False),
    ("superset", set(), "SELECT", "speed.compliance_pending", True),
    ("superset", set(), "SELECT", "speed.tweets", True),
    ("superset", set(), "SELECT", "ops.quality_checks", False),
    # the dashboard reads the served layers only
    ("superset", set(), "SELECT", "gold.fact_tweets", True),
    ("superset", set(), "SELECT", "raw.tweets", False),
    ("superset", set(), "INSERT", "gold.fact_tweets", False),
    # Airflow's own statements: speed expiry, watermarks, ANALYZE, gate read-back; no raw, no bronze
    ("airflow", set(), "DELETE", "speed.tweets", True),
    ("airflow", set(), "INSERT", "it_x_ops.batch_watermarks", True),
    ("airflow", set(), "SELECT", "raw.tweets", False),
    ("airflow", set(), "SELECT", "bronze.tweets", False),
    # a login with no group sees nothing
    ("nobody", set(), "SELECT", "gold.fact_tweets", False),
])
def test_rules_give_the_issue_access_matrix(user, groups, privilege, table, allowed):
    assert can(user, groups, privilege, table) is allowed


def test_only_engineers_own_schemas_run_procedures_or_see_others_queries():
    assert RULES["schemas"] == [{"group": "engineers", "owner": True}]
    assert RULES["procedures"] == [{"group": "engineers", "privileges": ["EXECUTE"]}]
    assert RULES["queries"][-1] == {"allow": ["execute"]}  # everyone else: run, and see only their own
    assert "impersonation" not in RULES  # nobody may act as another user
    groups_named = {g for section in RULES.values() for r in section
                    for g in re.split(r"\|", r.get("group", "")) if g}
    assert groups_named <= set(TRINO_GROUPS)


def test_a_refused_login_or_an_untrusted_certificate_is_never_retried():
    from trino import exceptions as x

    assert clients.trino_refused(x.HttpError("error 401: b'Unauthorized'"))
    assert not clients.trino_refused(x.HttpError("error 500: b'oops'"))
    bad_cert = x.TrinoConnectionError("failed to execute: HTTPSConnectionPool(host='127.0.0.1', port=8443): "
                                      "(Caused by SSLError(SSLCertVerificationError(1, '[SSL: CERTIFICATE_VERIFY_FAILED]')))")
    assert clients.trino_untrusted(bad_cert) and not clients.trino_transient(bad_cert)
    down = x.TrinoConnectionError("failed to execute: HTTPSConnectionPool(host='127.0.0.1', port=8443): "
                                  "(Caused by NewConnectionError('Connection refused'))")
    assert clients.trino_transient(down)
