"""Trino's security material under var/secrets/trino/ (docs/security.md): the self-signed TLS certificate,
the bcrypt password file and the group file Trino's file authenticator and file group provider read.

Everything is generated once, at the first `make up`, and kept across restarts; `make clean-data`
removes it with the data. Files are mode 0600 in a 0700 folder; the password file holds hashes only.
"""
from __future__ import annotations

import datetime as dt
import ipaddress
import os
import re
from pathlib import Path

from lake import secrets
from lake.errors import LakeError, UsageError
from lake.settings import TRINO_GROUPS, TRINO_SERVICE_USERS, Settings

# The names the certificate is valid for: clients reach Trino on the loopback address or as localhost.
CERT_IP = "127.0.0.1"
CERT_DNS = "localhost"
CERT_DAYS = 3650
# Trino's file authenticator recognises bcrypt only by the $2y$ prefix and refuses a cost below 8.
BCRYPT_COST = 10
USER_NAME = re.compile(r"^[a-z_][a-z0-9_.-]{0,63}$")


def _write_private(path: Path, data: bytes) -> None:
    """Write a secret file atomically with mode 0600 from the start (never world-readable, not even briefly)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


# ---- TLS --------------------------------------------------------------------------------------------
def cert_addresses(s: Settings) -> list[str]:
    """The IP addresses the certificate must name: loopback (clients on the coordinator), the coordinator's and
    every Trino worker host's of cluster.toml. All Trino nodes share the one key pair, and each node checks the
    other's name on internal HTTPS. The single host: 127.0.0.1 alone, as it always was."""
    return list(dict.fromkeys([CERT_IP, s.host, *s.trino_worker_addresses]))


def certificate_addresses(pem: bytes) -> set[str]:
    """The IP-address SANs of a PEM certificate."""
    from cryptography import x509

    cert = x509.load_pem_x509_certificate(pem)
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return {str(ip) for ip in san.get_values_for_type(x509.IPAddress)}


def ensure_tls(s: Settings) -> str | None:
    """The server's key and self-signed certificate for cert_addresses(s) and localhost, created once and
    reissued (new key pair) when cluster.toml gained a Trino host the kept one does not name: a worker on an
    unnamed address would fail every internal request with a hostname mismatch. Trino reads key + certificate
    from one PEM; clients trust the certificate alone, reading it from its file on each connection. Returns
    what was done ("created", "reissued") or None when the kept pair is right."""
    wanted = cert_addresses(s)
    action = "created"
    if s.trino_keystore.exists() and s.trino_ca_file.exists():
        if set(wanted) <= certificate_addresses(s.trino_ca_file.read_bytes()):
            return None
        action = "reissued"
    key_pem, cert_pem = self_signed_certificate(addresses=wanted)
    _write_private(s.trino_keystore, key_pem + cert_pem)
    _write_private(s.trino_ca_file, cert_pem)
    return action


def self_signed_certificate(days: int = CERT_DAYS, addresses: list[str] = (CERT_IP,)) -> tuple[bytes, bytes]:
    """(private key PEM, certificate PEM) for `addresses` and localhost. The certificate is its own CA
    (basicConstraints CA:TRUE) so that OpenSSL- and Java-based clients accept it as the trust anchor they
    are pointed at."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "lake"),
                      x509.NameAttribute(NameOID.COMMON_NAME, "lake trino")])
    now = dt.datetime.now(dt.timezone.utc)
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (x509.CertificateBuilder()
            .subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=days))
            .add_extension(x509.SubjectAlternativeName([*(x509.IPAddress(ipaddress.ip_address(a)) for a in addresses),
                                                        x509.DNSName(CERT_DNS)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, content_commitment=False,
                                         key_encipherment=False, data_encipherment=False, key_agreement=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(ski, critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False)
            .sign(key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return key_pem, cert.public_bytes(serialization.Encoding.PEM)


# ---- passwords and groups ----------------------------------------------------------------------------
def hash_password(password: str) -> str:
    import bcrypt

    hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt(BCRYPT_COST)).decode()
    return "$2y$" + hashed[4:]  # $2b$ and $2y$ are the same algorithm; Trino accepts only the $2y$ spelling


def check_password(password: str, hashed: str) -> bool:
    import bcrypt

    return bcrypt.checkpw(password.encode(), ("$2b$" + hashed[4:]).encode())


def read_passwords(s: Settings) -> dict[str, str]:
    """user -> bcrypt hash, from the password file (`user:hash` lines)."""
    if not s.trino_password_file.exists():
        return {}
    out = {}
    for line in s.trino_password_file.read_text().splitlines():
        if ":" in line and not line.startswith("#"):
            user, hashed = line.split(":", 1)
            out[user.strip()] = hashed.strip()
    return out


def read_groups(s: Settings) -> dict[str, set[str]]:
    """group -> users, from the group file (`group:user1,user2` lines)."""
    groups: dict[str, set[str]] = {}
    if s.trino_group_file.exists():
        for line in s.trino_group_file.read_text().splitlines():
            if ":" in line and not line.startswith("#"):
                group, users = line.split(":", 1)
                groups[group.strip()] = {u.strip() for u in users.split(",") if u.strip()}
    return groups


def user_groups(s: Settings, user: str) -> list[str]:
    return sorted(g for g, users in read_groups(s).items() if user in users)


def _write_passwords(s: Settings, passwords: dict[str, str]) -> None:
    _write_private(s.trino_password_file, "".join(f"{u}:{h}\n" for u, h in sorted(passwords.items())).encode())


def _write_groups(s: Settings, groups: dict[str, set[str]]) -> None:
    # A group without members is left out: Trino's group file has no use for it.
    lines = [f"{g}:{','.join(sorted(users))}\n" for g, users in sorted(groups.items()) if users]
    _write_private(s.trino_group_file, "".join(lines).encode())


def check_user(name: str, groups: list[str]) -> None:
    if not USER_NAME.match(name or ""):
        raise UsageError(f"NAME={name!r}: a user name is lower-case letters, digits, '_', '.', '-' "
                         f"(starting with a letter or '_')")
    unknown = [g for g in groups if g not in TRINO_GROUPS]
    if unknown:
        raise UsageError(f"GROUP={','.join(unknown)}: not a group of trino/etc/rules.json; "
                         f"choose from {', '.join(TRINO_GROUPS)}")


def set_user(s: Settings, name: str, groups: list[str], password: str) -> bool:
    """Add a login or change its password and groups (exactly `groups`). True when it was new.
    Trino re-reads both files within file.refresh-period (5 s); no restart."""
    check_user(name, groups)
    if len(password) < 8:
        raise UsageError("the password is shorter than 8 characters")
    passwords = read_passwords(s)
    new = name not in passwords
    passwords[name] = hash_password(password)
    _write_passwords(s, passwords)
    all_groups = read_groups(s)
    for g in TRINO_GROUPS:
        members = all_groups.setdefault(g, set())
        (members.add if g in groups else members.discard)(name)
    _write_groups(s, all_groups)
    return new


def remove_user(s: Settings, name: str) -> None:
    passwords = read_passwords(s)
    passwords.pop(name, None)
    _write_passwords(s, passwords)
    _write_groups(s, {g: users - {name} for g, users in read_groups(s).items()})


def initial_users(s: Settings) -> dict[str, tuple[str, ...]]:
    """The logins `make up` creates: the lake's service users and the initial engineer (the lake's OS user)."""
    users = {name: tuple(groups) for name, groups in TRINO_SERVICE_USERS.items()}
    users.setdefault(s.user, ())
    users[s.user] = tuple(sorted({*users[s.user], "engineers"}))
    return users


def ensure_users(s: Settings) -> list[str]:
    """Each generated login is in the password file with its stored password (var/secrets/trino-<user>-password
    or LAKE_TRINO_PASSWORD_<USER>) and in its groups; users added with `make user` are left as they are.
    Returns the users created or re-hashed."""
    changed = []
    passwords = read_passwords(s)
    groups = read_groups(s)
    for user, user_groups_ in initial_users(s).items():
        pw = secrets.trino_password(s, user, create=True)  # `make up` is the one place a login is generated
        if user in passwords and check_password(pw, passwords[user]) and \
                all(user in groups.get(g, set()) for g in user_groups_):
            continue
        set_user(s, user, sorted({*user_groups_, *(g for g in TRINO_GROUPS if user in groups.get(g, set()))}), pw)
        passwords, groups = read_passwords(s), read_groups(s)
        changed.append(user)
    if not s.trino_group_file.exists():
        _write_groups(s, groups)
    return changed


def ensure_all(s: Settings) -> list[str]:
    """What `make up` needs before Trino starts; one line per thing it created."""
    said = []
    tls = ensure_tls(s)
    if tls:
        said.append(f"trino: TLS certificate for {', '.join(cert_addresses(s))} and {CERT_DNS} {tls}; clients trust "
                    f"{s.trino_ca_file}")
    if tls == "reissued":
        said.append(f"trino: copy {s.trino_secrets_dir} to every Trino worker host again (docs/scale-out.md)")
    secrets.trino_shared_secret(s, create=True)
    for user in ensure_users(s):
        said.append(f"trino: login {user!r} ({', '.join(user_groups(s, user)) or 'its own rules'}); "
                    f"password in {s.secrets_dir / secrets.trino_password_name(user)}")
    return said


def read_new_password(env_var: str = "TRINO_PASSWORD") -> str:
    """A person's new password: from the environment, else typed twice at a prompt; never from argv."""
    value = os.environ.get(env_var)
    if value:
        return value
    import getpass
    import sys

    if not sys.stdin.isatty():
        raise UsageError(f"no password: set {env_var} in the environment or run this in a terminal")
    first = getpass.getpass("new password: ")
    if first != getpass.getpass("again: "):
        raise LakeError("the two passwords differ; nothing was changed")
    return first
