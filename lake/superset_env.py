"""Superset for the lake: its virtualenv, environment, metadata database, logins and the dashboards
as code (docs/dashboards.md).

Superset runs from its own virtualenv (.venv-superset, built by `make superset-install` from the
[superset] pins in versions.toml): its pins (SQLAlchemy 1.4, pandas 2.1, numpy 1.26) are not the
lake's. Its configuration is superset/superset_config.py, which reads the environment set here.
The dashboards live in superset/bundle/ as an export bundle (YAML); `make up` renders the database
connection's placeholders, zips the bundle and imports it: objects are matched by UUID, so
importing twice leaves one copy.
"""
from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

from lake.errors import LakeError, report
from lake.runtime import probes, venvs
from lake.runtime.probes import ProbeResult
from lake.settings import Settings

DB_NAME = DB_ROLE = "superset"
# The two logins `make up` creates; passwords in var/secrets/superset-<user>-password (mode 0600).
USERS = {"admin": "Admin", "analyst": "Alpha"}
BUNDLE = "superset/bundle"
DASHBOARD_SLUG = "brand-monitor"


def venv(s: Settings) -> Path:
    return Path(os.environ.get("LAKE_SUPERSET_VENV", s.root / ".venv-superset"))


def python_bin(s: Settings) -> Path:
    return venv(s) / "bin" / "python"


def superset_bin(s: Settings) -> Path:
    path = venv(s) / "bin" / "superset"
    if not path.exists():
        raise LakeError(f"Superset is not installed in {venv(s)}: run `make superset-install` (or `make install`)")
    return path


def home(s: Settings) -> Path:
    return s.var / "superset"


def url(s: Settings) -> str:
    return f"http://{s.host}:{s.ports['superset']}"


def dashboard_url(s: Settings) -> str:
    return f"{url(s)}/superset/dashboard/{DASHBOARD_SLUG}/"


def password(s: Settings, user: str) -> str:
    from lake import secrets

    return secrets.superset_secret(s, f"{user}-password")


def password_file(s: Settings, user: str) -> Path:
    return s.secrets_dir / f"superset-{user}-password"


def login_hint(s: Settings) -> str:
    return (f"users admin, analyst; passwords in {password_file(s, 'admin')} and "
            f"{password_file(s, 'analyst')}")


def requirements() -> list[str]:
    return venvs.pins("superset")


def install(s: Settings) -> str:
    return venvs.install(venv(s), requirements(), "Superset")


def db_uri(s: Settings) -> str:
    from urllib.parse import quote

    from lake import secrets

    pw = quote(secrets.superset_secret(s, "db-password"), safe="")
    return f"postgresql+psycopg2://{DB_ROLE}:{pw}@{s.host}:{s.ports['postgres']}/{DB_NAME}"


# The dashboards' Trino login: read-only on silver, gold and serving (trino/etc/rules.json).
TRINO_USER = "superset"


# superset.constants.PASSWORD_MASK (Superset 6.1): "keep the stored password" in a database's URI
SUPERSET_PASSWORD_MASK = "X" * 10


def trino_uri(s: Settings) -> str:
    """The connection the dashboards use: Trino's hive catalog as the `superset` login (its password is
    handed to the import separately; https and the certificate are in the database's connect_args).
    The password place holds Superset's mask, as in its own exports: the import's `set_sqlalchemy_uri`
    takes the URI's password unless it is the mask, so a URI without one would erase the password the
    import was just given (Trino then answers 401)."""
    return f"trino://{TRINO_USER}:{SUPERSET_PASSWORD_MASK}@{s.host}:{s.ports['trino']}/hive"


def environment(s: Settings, base: dict[str, str] | None = None) -> dict[str, str]:
    from lake import secrets

    env = dict(os.environ if base is None else base)
    env.pop("PYTHONHOME", None)
    env.pop("PYTHONPATH", None)  # nothing of the lake's .venv may shadow Superset's pins
    # They would override the Trino connection's verify= (docs/security.md).
    env.pop("REQUESTS_CA_BUNDLE", None)
    env.pop("CURL_CA_BUNDLE", None)
    env.update({
        "SUPERSET_CONFIG_PATH": str(s.root / "superset" / "superset_config.py"),
        "SUPERSET_HOME": str(home(s)),
        "FLASK_APP": "superset",
        "LAKE_SUPERSET_SECRET_KEY": secrets.superset_secret(s, "secret-key"),
        "LAKE_SUPERSET_DB_URI": db_uri(s),
        "PATH": os.pathsep.join([str(venv(s) / "bin"), env.get("PATH", "")]),
    })
    return env


def run(s: Settings, args: list[str], timeout: float = 600, check: bool = True) -> subprocess.CompletedProcess:
    r = subprocess.run([str(superset_bin(s)), *args], env=environment(s), cwd=home(s), capture_output=True,
                       text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise LakeError(f"superset {' '.join(args[:2])} failed (exit {r.returncode})", (r.stdout + r.stderr)[-3000:])
    return r


def ensure_users(s: Settings) -> None:
    """The admin and analyst logins with the passwords under var/secrets (created or re-passworded)."""
    for user, role in USERS.items():
        pw = password(s, user)
        r = run(s, ["fab", "create-user", "--role", role, "--username", user, "--firstname", user.title(),
                    "--lastname", "Lake", "--email", f"{user}@lake.local", "--password", pw], check=False)
        if "already exists" in r.stdout + r.stderr:
            run(s, ["fab", "reset-password", "--username", user, "--password", pw])
        elif r.returncode != 0:
            raise LakeError(f"superset: could not create the {user} login", (r.stdout + r.stderr)[-3000:])


def bootstrap(s: Settings) -> None:
    """Metadata schema (idempotent migrations), roles and permissions, and the logins."""
    home(s).mkdir(parents=True, exist_ok=True)
    run(s, ["db", "upgrade"], timeout=900)
    run(s, ["init"], timeout=900)
    ensure_users(s)


def bundle_values(s: Settings) -> dict[str, str]:
    return {"TRINO_URI": trino_uri(s), "TRINO_CA_FILE": str(s.trino_ca_file)}


def build_bundle(s: Settings, out: Path) -> Path:
    """superset/bundle/ zipped the way `superset export-dashboards` writes it (every file under one
    top folder), with its placeholders rendered and each virtual dataset's `sql_file`
    (superset/sql/<name>.sql, SQL kept in .sql files) put in its `sql`."""
    import yaml

    from lake.runtime import config

    src = s.root / BUNDLE
    values = bundle_values(s)
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in sorted(src.rglob("*.yaml")):
            rel = f.relative_to(src)
            text = config.render_text(f.read_text(), values, origin=str(rel))
            doc = yaml.safe_load(text)
            if isinstance(doc, dict) and "sql_file" in doc:
                doc["sql"] = (s.root / "superset" / "sql" / doc.pop("sql_file")).read_text()
                text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
            zf.writestr(f"brand_monitor/{rel}", text)
    return out


def import_dashboards(s: Settings) -> str:
    """Import the bundle (database, datasets, charts, dashboard), each object created or overwritten by
    its UUID (superset/import_bundle.py): the repo is the truth, and a second import adds no copy."""
    zip_path = build_bundle(s, home(s) / "brand_monitor.zip")
    from lake import secrets

    env = dict(environment(s), LAKE_SUPERSET_TRINO_PASSWORD=secrets.trino_password(s, TRINO_USER))
    r = subprocess.run([str(python_bin(s)), str(s.root / "superset" / "import_bundle.py"), str(zip_path), "admin"],
                       env=env, cwd=home(s), capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        raise LakeError(f"superset: importing {BUNDLE} failed (exit {r.returncode})", (r.stdout + r.stderr)[-3000:])
    return "dashboards imported"


def probe(s: Settings) -> ProbeResult:
    return probes.http_text(f"{url(s)}/health", "OK")


def main(argv: list[str] | None = None) -> int:
    import argparse

    ap = argparse.ArgumentParser(prog="python -m lake.superset_env", description="Superset for the lake")
    sub = ap.add_subparsers(dest="verb", required=True)
    sub.add_parser("install", help="create .venv-superset from versions.toml [superset.packages] (if pins changed)")
    sub.add_parser("import", help="import the dashboards in superset/bundle (idempotent)")
    args = ap.parse_args(argv)
    from lake import settings

    s = settings.get()
    try:
        if args.verb == "install":
            print(f"  {'superset-venv':<16} {install(s)}")
        else:
            print(f"  {'superset':<16} {import_dashboards(s)}")
    except LakeError as e:
        return report("lake.superset_env", e)
    return 0


if __name__ == "__main__":
    sys.exit(main())
