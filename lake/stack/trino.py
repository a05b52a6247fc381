"""Trino: the SQL engine users query, with the `hive` and `tpch` catalogs, over HTTPS with passwords,
groups and file-based access rules (docs/security.md)."""
from __future__ import annotations

import os
import ssl
from pathlib import Path

from lake import secrets, versions
from lake.errors import LakeError
from lake.runtime import jvm, probes
from lake.runtime.probes import ProbeResult
from lake.runtime.process import marker
from lake.settings import TRINO_SERVICE_USER
from lake.stack.service import Service


class Trino(Service):
    name = "trino"
    port_keys = ("trino",)
    web_port_key = "trino"
    web_path = "/ui/"
    start_timeout = 240

    @property
    def home(self) -> Path:
        return self.s.lib_dir / f"trino-server-{versions.maven('trino')}"

    @property
    def etc(self) -> Path:
        """The rendered etc/: jvm.config, node.properties, log.properties, catalog/ (this host's values)."""
        return self.s.conf_dir / "trino" / "etc"

    @property
    def config_dir(self) -> Path:
        """The folder of this Trino's config.properties, which is also the etc/ Trino finds from its working
        directory (the group provider's file)."""
        return self.etc

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["JAVA_HOME"] = str(jvm.trino_java().parent.parent)
        # config.properties reads it as ${ENV:LAKE_TRINO_SHARED_SECRET}: the secret is in no rendered file.
        env["LAKE_TRINO_SHARED_SECRET"] = secrets.trino_shared_secret(self.s)
        return env

    def argv(self) -> list[str]:
        # What Trino's bin/launcher does, minus its Python 2 era wrapper: jvm.config
        # lines are JVM options and node.properties entries become system properties.
        def lines(name: str) -> list[str]:
            return [ln.strip() for ln in (self.etc / name).read_text().splitlines()
                    if ln.strip() and not ln.lstrip().startswith("#")]

        return [str(jvm.trino_java()), f"-D{marker(self.name)}", *lines("jvm.config"),
                *[f"-D{ln}" for ln in lines("node.properties")],
                f"-Dconfig={self.config_dir / 'config.properties'}",
                f"-Dlog.levels-file={self.etc / 'log.properties'}",
                f"-Dplugin.dir={self.home / 'plugin'}",
                "-cp", f"{self.home}/lib/*", "io.trino.server.TrinoServer"]

    @property
    def web_url(self) -> str | None:
        return f"{self.s.trino_url}{self.web_path}"

    def prepare(self) -> None:
        # Trino fails with an opaque Guice error, not a clear one, when node.data-dir is missing.
        (self.s.data_dir / "trino").mkdir(parents=True, exist_ok=True)
        # Trino reads etc/group-provider.properties from its working directory (the install tree) and
        # has no property to move it: etc/ there is a link to the rendered config.
        link = self.home / "etc"
        if not (link.is_symlink() and link.resolve() == self.config_dir.resolve()):
            link.unlink(missing_ok=True)
            link.symlink_to(self.config_dir)
        for line in self.secure():
            print(f"  {line}", flush=True)

    def secure(self) -> list[str]:
        """The certificate, the shared secret and the generated logins, once (kept across restarts); one line
        per thing created."""
        from lake.stack import trino_security

        return trino_security.ensure_all(self.s)

    def login(self) -> str | None:
        return (f"user {self.s.user} (engineers), password in "
                f"{self.s.secrets_dir / secrets.trino_password_name(self.s.user)}; CLI: bin/trino or make sql "
                f"(TRINO_USER=<name> for another login); clients trust {self.s.trino_ca_file}")

    def cwd(self) -> Path | None:
        return self.home  # Trino resolves its secrets-plugin dir relative to the working dir

    def probe(self) -> ProbeResult:
        # /v1/info is public (no login) on Trino; the certificate is checked against the generated one.
        url = f"{self.s.trino_url}/v1/info"
        return probes.http_check(url, lambda b: (b.get("starting") is False, f"starting={b.get('starting')}"),
                                 cafile=self.s.trino_ca_file)


class TrinoWorker(Trino):
    """A Trino worker (cluster.toml role trino-worker; docs/scale-out.md): the coordinator's Trino, launched the
    same way, with its own config.properties (trino/worker: coordinator=false, discovery at the coordinator) and
    the worker heap. It generates no secret: the coordinator's TLS pair, shared secret and the `lake` login
    (for the readiness probe) are copied from the coordinator."""

    name = "trino-worker"
    port_keys = ("trino_worker",)  # 8443 on its own host, as the coordinator's; another beside the coordinator
    web_port_key = None  # no web UI: users reach the coordinator only

    @property
    def config_dir(self) -> Path:
        return self.s.conf_dir / "trino" / "worker"

    @property
    def web_url(self) -> str | None:
        return None

    @property
    def node_id(self) -> str:
        from lake.runtime import config

        return config.trino_node_id(self.s)

    def login(self) -> str | None:
        return None

    def copied_files(self) -> list[Path]:
        """What a worker host needs from the coordinator's var/secrets (unless set in the environment)."""
        files = [self.s.trino_keystore, self.s.trino_ca_file]
        if not os.environ.get("LAKE_TRINO_SHARED_SECRET"):
            files.append(self.s.secrets_dir / secrets.TRINO_SHARED_SECRET_FILE)
        if not os.environ.get(f"LAKE_TRINO_PASSWORD_{TRINO_SERVICE_USER.upper()}"):
            files.append(self.s.secrets_dir / secrets.trino_password_name(TRINO_SERVICE_USER))
        return files

    def secure(self) -> list[str]:
        """Checks, in one line each, that the coordinator's material is here and is the coordinator's."""
        from lake.stack import trino_security

        missing = [str(f.relative_to(self.s.var)) for f in self.copied_files() if not f.exists()]
        if missing:
            raise LakeError(f"{self.name}: {', '.join(missing)} missing under {self.s.var}: copy them from the "
                            f"coordinator's var/ (over SSH, mode 0600; docs/scale-out.md \"Credentials\")")
        named = trino_security.certificate_addresses(self.s.trino_ca_file.read_bytes())
        if self.s.node_host not in named:
            raise LakeError(f"{self.name}: the certificate {self.s.trino_ca_file} does not name this host's address "
                            f"{self.s.node_host}: with this host in cluster.toml, restart Trino on the coordinator "
                            f"(its `make up` reissues the certificate) and copy {self.s.trino_secrets_dir} here again")
        theirs = coordinator_certificate(self.s)
        if theirs is not None and theirs != ssl.PEM_cert_to_DER_cert(self.s.trino_ca_file.read_text()):
            raise LakeError(f"{self.name}: the coordinator at {self.s.trino_url} shows another certificate than "
                            f"{self.s.trino_ca_file}: copy {self.s.trino_secrets_dir} from the coordinator again")
        return []

    def probe(self) -> ProbeResult:
        """Ready means the coordinator lists this node as active (system.runtime.nodes, asked with the lake's
        login): a worker that started but cannot announce itself (wrong secret, certificate, address) runs nothing."""
        from lake.runtime import clients

        own = probes.http_check(f"https://{self.address}:{self.s.ports['trino_worker']}/v1/info",
                                lambda b: (b.get("starting") is False and b.get("coordinator") is False,
                                           f"starting={b.get('starting')}"), cafile=self.s.trino_ca_file)
        if not own:
            return own
        try:
            conn = clients.trino_connect(self.s, catalog="system", request_timeout=10)
            try:
                cur = conn.cursor()
                cur.execute("SELECT node_id, state, coordinator, http_uri FROM system.runtime.nodes")
                nodes = {r[0]: r[1:] for r in cur.fetchall()}
            finally:
                conn.close()
        except Exception as e:  # noqa: BLE001 - any failure means "not ready yet"
            return ProbeResult(False, f"the coordinator's system.runtime.nodes not answering "
                                      f"({str(e).splitlines()[0][:160] if str(e) else type(e).__name__})")
        state, coordinator, uri = nodes.get(self.node_id, ("not registered", None, None))
        ok = state == "active" and coordinator is False and f"//{self.address}:" in (uri or "")
        return ProbeResult(ok, f"node {self.node_id} at the coordinator: {state} ({uri or 'no uri'}); "
                               f"{sum(not n[1] for n in nodes.values())} worker(s) listed")


def coordinator_certificate(s) -> bytes | None:
    """The DER certificate the coordinator's Trino shows, or None when it does not answer (yet)."""
    try:
        return ssl.PEM_cert_to_DER_cert(ssl.get_server_certificate((s.host, s.ports["trino"]), timeout=5))
    except (OSError, ValueError):
        return None


def link_artifacts(installed: Path, lib: Path) -> None:
    """A host's lib/: the installed artifacts, linked entry by entry (read-only). Trino's install tree is a folder
    of links of the host's own: starting Trino links etc/ inside it to that host's config (Trino.prepare), and
    two Trinos sharing one install (the scale-out test's hosts, make bench-scale's second worker beside the
    stack's) must not overwrite each other's link."""
    lib.mkdir(parents=True)
    for entry in installed.iterdir():
        if entry.name.startswith("trino-server-") and entry.is_dir():
            (lib / entry.name).mkdir()
            for sub in entry.iterdir():
                if sub.name != "etc":
                    (lib / entry.name / sub.name).symlink_to(sub)
        else:
            (lib / entry.name).symlink_to(entry)
