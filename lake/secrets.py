"""Secrets come from the environment, never from the repo.

When a variable is unset, a random value is generated once and kept under
var/secrets/ (mode 0600, git-ignored), so a single-machine lake works out of
the box and a real deployment sets the variable instead.

A login a server checks (Kafka's SCRAM principals, Trino's generated logins and shared secret) is generated
only by `make up`'s bootstrap (create=True: lake/stack/kafka_acls.py, lake/stack/trino_security.py). Any
other reader that finds none fails with one line: a password it made up would only be refused later, with
an obscure SASL or HTTP 401 error.
"""
from __future__ import annotations

import os
import secrets as _secrets

from lake.errors import LakeError
from lake.settings import Settings

# What a reader of a missing login is told to do: the one command that creates the lake's credentials.
CREATE_HINT = "run `make up` (it creates the lake's credentials)"


def _get(s: Settings, env_var: str, file_name: str, create: bool = True, what: str = "") -> str:
    """The variable's value, else the file's under var/secrets, else (create) a new one kept there;
    without `create`, a LakeError naming `what`, the variable and the file."""
    value = os.environ.get(env_var)
    if value:
        return value
    path = s.secrets_dir / file_name
    if path.exists():
        return path.read_text().strip()
    if not create:
        raise LakeError(f"no {what}: {env_var} is not set and {path} does not exist; {CREATE_HINT}")
    s.secrets_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(s.secrets_dir, 0o700)
    value = _secrets.token_urlsafe(24)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(value)
    return value


def metastore_db_password(s: Settings) -> str:
    return _get(s, "LAKE_METASTORE_DB_PASSWORD", "metastore-db-password")


def pii_key(s: Settings) -> str:
    """The key of bronze's keyed-hash pseudonymization (HMAC-SHA256). Changing it
    changes every author_key/handle token, so a real deployment pins it."""
    return _get(s, "LAKE_PII_KEY", "pii-key")


def airflow_db_password(s: Settings) -> str:
    return _get(s, "LAKE_AIRFLOW_DB_PASSWORD", "airflow-db-password")


def airflow_secret(s: Settings, name: str) -> str:
    """Airflow's own signing keys (API JWT, web session), one per name."""
    # LAKE_AIRFLOW_FERNET_SEED for "fernet-seed": a shell cannot export a name with a hyphen.
    return _get(s, f"LAKE_AIRFLOW_{name.upper().replace('-', '_')}", f"airflow-{name}")


def superset_secret(s: Settings, name: str) -> str:
    """Superset's secrets, one per name: "db-password" (its PostgreSQL role), "secret-key" (session
    signing), "admin-password" and "analyst-password" (the two logins `make up` creates)."""
    return _get(s, f"LAKE_SUPERSET_{name.upper().replace('-', '_')}", f"superset-{name}")


TRINO_SHARED_SECRET_FILE = "trino-shared-secret"  # under var/secrets; a Trino worker host gets a copy


def trino_shared_secret(s: Settings, create: bool = False) -> str:
    """Trino's internal-communication.shared-secret (required once authentication is on); Trino reads it
    from its environment (${ENV:...} in config.properties), so it is in no rendered file.
    `create`: only Trino's preparation in `make up` (trino_security.ensure_all)."""
    return _get(s, "LAKE_TRINO_SHARED_SECRET", TRINO_SHARED_SECRET_FILE, create, "Trino internal shared secret")


def trino_password(s: Settings, user: str, create: bool = False) -> str:
    """The password of a Trino login the lake generated (its service users and the initial engineer).
    LAKE_TRINO_PASSWORD_<USER> pins one (user upper-cased, '-' as '_'); `make user` sets a person's own.
    `create`: only `make up`'s login bootstrap (trino_security.ensure_users); a client never makes one up."""
    return _get(s, f"LAKE_TRINO_PASSWORD_{user.upper().replace('-', '_')}", trino_password_name(user), create,
                f"password for the Trino login {user!r}")


def trino_password_name(user: str) -> str:
    return f"trino-{user}-password"


def kafka_password(s: Settings, principal: str, create: bool = False) -> str:
    """The SASL/SCRAM-SHA-512 password of one Kafka principal (lake.settings.KAFKA_PRINCIPALS).
    `create`: only `make up`'s credential bootstrap (lake/stack/kafka_acls.py); a client never makes one up."""
    return _get(s, f"LAKE_KAFKA_{principal.upper()}_PASSWORD", f"kafka-{principal}-password", create,
                f"password for the Kafka principal {principal!r}")
