"""Installs what the stack needs, downloading only what is missing.

- Debian packages (JDK 17, PostgreSQL, Maven) when run as root and absent.
- The JVM daemons' jars from Maven Central, one lib dir per daemon, each
  resolved from a pom under hadoop-cluster/maven/ with versions from
  versions.toml. A stamp file records what a lib dir was resolved for, so a
  second run downloads nothing.
- Trino's server tarball and plugin zips, unpacked under var/lib.

The Python packages are installed by the Makefile into .venv before this runs.
"""
from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from lake import versions
from lake.errors import LakeError
from lake.settings import Settings


@dataclass(frozen=True)
class MavenLib:
    name: str           # var/lib/<name>
    pom: str            # relative to repo root
    properties: dict     # -D properties -> versions.toml [maven] keys


MAVEN_LIBS = (
    MavenLib("hadoop", "hadoop-cluster/maven/hadoop/pom.xml", {"hadoop.version": "hadoop"}),
    MavenLib("hive-metastore", "hadoop-cluster/maven/hive-metastore/pom.xml",
             {"hive.version": "hive_metastore", "hadoop.version": "hadoop",
              "postgresql.version": "postgresql_jdbc"}),
    MavenLib("kafka", "hadoop-cluster/maven/kafka/pom.xml", {"kafka.version": "kafka"}),
    MavenLib("spark-extra", "hadoop-cluster/maven/spark-extra/pom.xml", {"spark.version": "spark"}),
)

# Debian packages: (path glob or command that proves presence, package name, required).
# docker-compose only serves MODE=docker and its validation test, so a non-root
# user without it is not stopped.
APT_PACKAGES = (
    ("/usr/lib/jvm/java-17-openjdk-*/bin/java", "openjdk-17-jdk-headless", True),
    ("/usr/lib/postgresql/{pg}/bin/postgres", "postgresql-{pg}", True),
    ("mvn", "maven", True),
    ("/usr/sbin/mosquitto", "mosquitto", True),          # the MQTT broker (lake/stack/mosquitto.py)
    ("mosquitto_sub", "mosquitto-clients", True),        # the MQTT benchmark's ceiling reader
    ("docker-compose", "docker-compose", False),
    # the dashboard test's headless browser and its WebDriver (tests/integration/test_superset.py)
    ("chromium", "chromium", False),
    ("chromedriver", "chromium-driver", False),
    # the scale-out tests' network namespaces, veth pairs and bridge (tests/integration/netns.py)
    ("/usr/sbin/ip", "iproute2", False),
)


def _say(msg: str) -> None:
    print(msg, flush=True)


def _present(probe: str) -> bool:
    import glob

    return bool(glob.glob(probe)) if probe.startswith("/") else shutil.which(probe) is not None


def ensure_debian_packages() -> None:
    pg = versions.load()["debian"]["postgresql"]
    missing = [(pkg.format(pg=pg), required) for probe, pkg, required in APT_PACKAGES
               if not _present(probe.format(pg=pg))]
    if not missing:
        return
    if os.geteuid() != 0:
        needed = [p for p, required in missing if required]
        optional = [p for p, required in missing if not required]
        if optional:
            _say(f"  note: optional Debian package(s) missing: {' '.join(optional)} (only for MODE=docker "
                 f"and the dashboard test)")
        if needed:
            raise LakeError(f"missing Debian packages: {' '.join(needed)}; install them "
                            f"(sudo apt-get install -y {' '.join(needed)}) or run `make install` as root")
        return
    names = [p for p, _ in missing]
    _say(f"installing Debian packages: {' '.join(names)}")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-q"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-q", "--no-install-recommends", *names], check=True, env=env)


def _stamp(lib: MavenLib, root: Path) -> str:
    pom = (root / lib.pom).read_bytes()
    props = {k: versions.maven(v) for k, v in lib.properties.items()}
    return hashlib.sha256(pom + repr(sorted(props.items())).encode()).hexdigest()


def _check_jars(libdir: Path) -> list[Path]:
    """Jars that cannot be opened: truncated or corrupt downloads."""
    bad = []
    for jar in libdir.glob("*.jar"):
        try:
            with zipfile.ZipFile(jar):
                pass
        except (zipfile.BadZipFile, OSError):
            bad.append(jar)
    return bad


def _mvn(args: list[str], what: str) -> None:
    """Run Maven showing one progress line per downloaded artifact."""
    argv = ["mvn", "-B", "-ntp" if os.environ.get("CI") else "-B", *args]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    count, tail = 0, []
    assert proc.stdout
    for line in proc.stdout:
        tail = (tail + [line.rstrip()])[-30:]
        m = re.match(r"^\[INFO\] Downloaded from \S+: (\S+) \(([^)]*)\)", line)
        if m:
            count += 1
            _say(f"    [{what}] {count:4d} downloaded {m.group(1).rsplit('/', 1)[-1]} ({m.group(2)})")
    if proc.wait() != 0:
        raise LakeError(f"Maven could not resolve {what}; see the output above (is Maven Central reachable?)",
                        "\n".join(tail))


def resolve_maven_lib(s: Settings, lib: MavenLib) -> str:
    target = s.lib_dir / lib.name
    stamp = _stamp(lib, s.root)
    stamp_file = target / ".resolved"
    if stamp_file.exists() and stamp_file.read_text() == stamp and not _check_jars(target):
        return "cached"
    tmp = s.lib_dir / f"{lib.name}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    props = [f"-D{k}={versions.maven(v)}" for k, v in lib.properties.items()]
    _mvn(["-f", str(s.root / lib.pom), *props, "dependency:copy-dependencies",
          f"-DoutputDirectory={tmp}", "-DincludeScope=runtime"], lib.name)
    bad = _check_jars(tmp)
    if bad:
        # A partial download in ~/.m2 would be reused forever; remove it so a re-run fetches it again.
        raise LakeError(f"corrupt or partial download: {', '.join(b.name for b in bad)}; delete those jars "
                        f"from ~/.m2/repository and run `make install` again")
    shutil.rmtree(target, ignore_errors=True)
    tmp.rename(target)
    stamp_file.write_text(stamp)
    return f"resolved {len(list(target.glob('*.jar')))} jars"


def _maven_copy(s: Settings, artifact: str, dest: Path) -> Path:
    """Fetch one artifact (g:a:v:type[:classifier]) into dest via the local Maven repo."""
    dest.mkdir(parents=True, exist_ok=True)
    _mvn(["dependency:copy", f"-Dartifact={artifact}", f"-DoutputDirectory={dest}"], artifact.split(":")[1])
    g, a, v, t = artifact.split(":")[:4]
    classifier = artifact.split(":")[4] if artifact.count(":") >= 4 else None
    name = f"{a}-{v}{'-' + classifier if classifier else ''}.{t}"
    return dest / name


# The full server tarball is needed: HDFS support for the Hive connector
# (plugin/hive/hdfs) ships only there, not in the trino-hive plugin zip, and
# trino-hdfs is not published on its own. Unused plugins are pruned after unpacking; the
# password-authenticators plugin holds the file password authenticator and the file group provider
# (docs/security.md), without which Trino does not start with PASSWORD authentication.
TRINO_KEEP_PLUGINS = ("hive", "tpch", "memory", "blackhole", "password-authenticators")


def install_trino(s: Settings) -> str:
    v = versions.maven("trino")
    home = s.lib_dir / f"trino-server-{v}"
    stamp = home / ".resolved"
    want = f"trino-server:{v}:{','.join(TRINO_KEEP_PLUGINS)}"
    if stamp.exists() and stamp.read_text() == want:
        return "cached"
    downloads = s.lib_dir / "downloads"
    tmp = s.lib_dir / f"trino-server-{v}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        server = _maven_copy(s, f"io.trino:trino-server:{v}:tar.gz", downloads)
        _say(f"    [trino] unpacking {server.name} ({server.stat().st_size / 2**20:.0f} MiB)")
        with tarfile.open(server) as tf:
            tf.extractall(tmp, filter="data")
        (inner,) = [p for p in tmp.iterdir() if p.is_dir()]
        for plugin in (inner / "plugin").iterdir():
            if plugin.name not in TRINO_KEEP_PLUGINS:
                shutil.rmtree(plugin)
        cli = _maven_copy(s, f"io.trino:trino-cli:{v}:jar:executable", downloads)
        shutil.copy(cli, inner / "trino-cli.jar")
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, ValueError, OSError) as e:
        raise LakeError(f"corrupt or partial Trino download ({e}); delete ~/.m2/repository/io/trino "
                        f"and {s.lib_dir / 'downloads'}, then run `make install` again") from None
    shutil.rmtree(home, ignore_errors=True)
    inner.rename(home)
    shutil.rmtree(tmp, ignore_errors=True)
    # The tarball is unpacked; keeping a second 800 MB copy under var/lib buys nothing.
    server.unlink(missing_ok=True)
    stamp.write_text(want)
    return "installed"


def install_all(s: Settings) -> None:
    ensure_debian_packages()
    s.lib_dir.mkdir(parents=True, exist_ok=True)
    for lib in MAVEN_LIBS:
        if not (s.root / lib.pom).exists():
            continue
        _say(f"  {lib.name:<16} {resolve_maven_lib(s, lib)}")
    _say(f"  {'trino':<16} {install_trino(s)}")
    from lake.runtime import spark

    spark.build_archive(s)
    _say(f"  {'spark-archive':<16} {spark.archive_path(s).name}")
