"""Hive: the standalone Hive Metastore on the private PostgreSQL."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from lake.errors import LakeError
from lake.runtime import jvm, probes
from lake.runtime.probes import ProbeResult
from lake.stack.service import Service


class Metastore(Service):
    """Hive Metastore 3.1.3 (standalone) on the private PostgreSQL.

    HMS 3.1.3 has no bind-host setting (it was added in Hive 4, whose removed
    Thrift calls break Spark's built-in Hive 2.3 client), so it listens on all
    interfaces; clients are told 127.0.0.1. See docs/stack.md."""

    name = "metastore"
    port_keys = ("metastore",)
    start_timeout = 180
    log_to_stdout = True  # HMS logs to stderr (metastore-log4j2.properties); the launcher keeps it

    @property
    def lib(self) -> Path:
        return self.s.lib_dir / "hive-metastore"

    @property
    def home(self) -> Path:
        """Holds only scripts/: the schema SQL ships in the -bin tarball, not in the jar."""
        return self.s.lib_dir / "hive-metastore-home"

    @property
    def conf(self) -> Path:
        return self.s.conf_dir / "hive"

    def env(self) -> dict[str, str]:
        from lake import secrets

        env = super().env()
        # metastore-site.xml reads ${env.PG_PASSWORD}: the password never lands in a file or argv.
        env["PG_PASSWORD"] = secrets.metastore_db_password(self.s)
        env["METASTORE_CONF_DIR"] = str(self.conf)
        env["METASTORE_HOME"] = str(self.home)
        return env

    def _argv(self, main: str, args: list[str]) -> list[str]:
        # The conf dir comes first: HMS finds its log4j2 file only on the classpath.
        return self.java_argv(main, jvm.classpath(self.conf, self.s.hadoop_conf_dir, f"{self.lib}/*"), args=args)

    def _unpack_scripts(self) -> None:
        if (self.home / "scripts").is_dir():
            return
        import tarfile

        (tarball,) = self.lib.glob("hive-standalone-metastore-*-bin.tar.gz")
        tmp = self.home.with_suffix(".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        with tarfile.open(tarball) as tf:
            members = [m for m in tf.getmembers() if m.name.split("/", 2)[1:2] == ["scripts"]]
            for m in members:
                m.name = m.name.split("/", 1)[1]
            tf.extractall(tmp, members=members, filter="data")
        tmp.rename(self.home)

    def prepare(self) -> None:
        # The schema is created once. `-info` exits 0 only when it exists; a
        # missing VERSION table means a fresh database; anything else (database
        # down, wrong password) must stop us rather than trigger an init.
        self._unpack_scripts()
        tool = "org.apache.hadoop.hive.metastore.tools.MetastoreSchemaTool"
        info = subprocess.run(self._argv(tool, ["-dbType", "postgres", "-info"]), env=self.env(),
                              capture_output=True, text=True, timeout=300)
        if info.returncode == 0:
            return
        if '"VERSION" does not exist' not in info.stdout + info.stderr:
            raise LakeError("metastore: cannot read the schema version from PostgreSQL "
                            "(is postgres up and LAKE_METASTORE_DB_PASSWORD unchanged?)",
                            (info.stdout + info.stderr)[-2000:])
        init = subprocess.run(self._argv(tool, ["-dbType", "postgres", "-initSchema"]), env=self.env(),
                              capture_output=True, text=True, timeout=600)
        if init.returncode != 0:
            raise LakeError("metastore: schema initialisation failed", (init.stdout + init.stderr)[-3000:])

    def argv(self) -> list[str]:
        return self._argv("org.apache.hadoop.hive.metastore.HiveMetaStore", ["-p", str(self.s.ports["metastore"])])

    def probe(self) -> ProbeResult:
        return probes.port_open(self.s.host, self.s.ports["metastore"])
