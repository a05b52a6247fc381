"""Trino: the SQL engine users query, with the `hive` and `tpch` catalogs, over HTTPS with passwords,
groups and file-based access rules (docs/security.md)."""
from __future__ import annotations

import os
from pathlib import Path

from lake import secrets, versions
from lake.runtime import jvm, probes
from lake.runtime.probes import ProbeResult
from lake.runtime.process import marker
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
        return self.s.conf_dir / "trino" / "etc"

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
                f"-Dconfig={self.etc / 'config.properties'}",
                f"-Dlog.levels-file={self.etc / 'log.properties'}",
                f"-Dplugin.dir={self.home / 'plugin'}",
                "-cp", f"{self.home}/lib/*", "io.trino.server.TrinoServer"]

    @property
    def web_url(self) -> str | None:
        return f"{self.s.trino_url}{self.web_path}"

    def prepare(self) -> None:
        from lake.stack import trino_security

        # Trino fails with an opaque Guice error, not a clear one, when node.data-dir is missing.
        (self.s.data_dir / "trino").mkdir(parents=True, exist_ok=True)
        # Trino reads etc/group-provider.properties from its working directory (the install tree) and
        # has no property to move it: etc/ there is a link to the rendered config.
        link = self.home / "etc"
        if not (link.is_symlink() and link.resolve() == self.etc.resolve()):
            link.unlink(missing_ok=True)
            link.symlink_to(self.etc)
        # The certificate, the shared secret and the generated logins, once (kept across restarts).
        for line in trino_security.ensure_all(self.s):
            print(f"  {line}", flush=True)

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
