"""Secrets come from the environment, never from the repo.

When a variable is unset, a random value is generated once and kept under
var/secrets/ (mode 0600, git-ignored), so a single-machine lake works out of
the box and a real deployment sets the variable instead.
"""
from __future__ import annotations

import os
import secrets as _secrets

from lake.settings import Settings


def _get(s: Settings, env_var: str, file_name: str) -> str:
    value = os.environ.get(env_var)
    if value:
        return value
    path = s.secrets_dir / file_name
    if path.exists():
        return path.read_text().strip()
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


def trino_shared_secret(s: Settings) -> str:
    """Trino's internal-communication.shared-secret (required once authentication is on); Trino reads it
    from its environment (${ENV:...} in config.properties), so it is in no rendered file."""
    return _get(s, "LAKE_TRINO_SHARED_SECRET", "trino-shared-secret")


def trino_password(s: Settings, user: str) -> str:
    """The password of a Trino login the lake generated (its service users and the initial engineer).
    LAKE_TRINO_PASSWORD_<USER> pins one (user upper-cased, '-' as '_'); `make user` sets a person's own."""
    return _get(s, f"LAKE_TRINO_PASSWORD_{user.upper().replace('-', '_')}", trino_password_name(user))


def trino_password_name(user: str) -> str:
    return f"trino-{user}-password"


def kafka_password(s: Settings, principal: str) -> str:
    """The SASL/SCRAM-SHA-512 password of one Kafka principal (lake.settings.KAFKA_PRINCIPALS)."""
    return _get(s, f"LAKE_KAFKA_{principal.upper()}_PASSWORD", f"kafka-{principal}-password")
