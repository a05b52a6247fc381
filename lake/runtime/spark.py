"""How the lake runs Spark: spark-submit arguments, the environment, the jars
archive on HDFS, and the one SparkSession factory of the Python jobs.

Jobs go to YARN by default; LAKE_SPARK_MASTER=local[*] runs them in-process.
"""
from __future__ import annotations

import os
import sys
import zipfile
from pathlib import Path

from lake import versions
from lake.runtime import jvm
from lake.runtime.process import marker
from lake.settings import SPARK_SESSION_CONF, Settings


def default_master() -> str:
    return os.environ.get("LAKE_SPARK_MASTER", "yarn")


def spark_home() -> Path:
    import pyspark

    return Path(pyspark.__file__).parent


def submit_env(s: Settings) -> dict[str, str]:
    env = dict(os.environ)
    env["JAVA_HOME"] = str(jvm.java17_home())
    env["HADOOP_CONF_DIR"] = str(s.hadoop_conf_dir)
    env["YARN_CONF_DIR"] = str(s.hadoop_conf_dir)
    env["SPARK_CONF_DIR"] = str(s.conf_dir / "spark")
    env["SPARK_HOME"] = str(spark_home())
    env["PYSPARK_PYTHON"] = sys.executable
    env["PYSPARK_DRIVER_PYTHON"] = sys.executable
    env["HADOOP_USER_NAME"] = s.user
    # Spark's web UIs bind to SPARK_LOCAL_IP, else to every interface (spark.driver.bindAddress
    # does not cover them): keep the Thrift Server's, the speed layer's and jobs' UIs local.
    if s.bind_host != "0.0.0.0":  # docker mode publishes the UIs: keep Spark's default there
        env["SPARK_LOCAL_IP"] = s.bind_host
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = f"{s.root}{os.pathsep}{env.get('PYTHONPATH', '')}".rstrip(os.pathsep)
    return env


def submit_base(s: Settings, master: str, name: str, service: str | None = None,
                driver_memory_mb: int = 1024) -> list[str]:
    argv = [str(spark_home() / "bin" / "spark-submit"), "--master", master, "--name", name,
            "--driver-memory", f"{driver_memory_mb}m"]
    if master == "yarn":
        argv += ["--deploy-mode", "client"]
    if service:
        argv += ["--driver-java-options", f"-D{marker(service)}"]
    return argv


def archive_path(s: Settings) -> Path:
    return s.lib_dir / f"spark-jars-{versions.maven('spark')}.zip"


def build_archive(s: Settings) -> Path:
    """Zip pyspark's jars once (stored, not deflated: jars are already compressed)."""
    out = archive_path(s)
    if out.exists():
        return out
    tmp = out.with_suffix(".zip.tmp")
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED) as zf:
        for jar in sorted((spark_home() / "jars").glob("*.jar")):
            zf.write(jar, jar.name)
    tmp.rename(out)
    return out


def ensure_archive_on_hdfs(s: Settings) -> str:
    """Upload the jars archive to HDFS unless an identical-size copy is there."""
    from lake.runtime import hdfs_client

    local = build_archive(s)
    remote = s.spark_archive.removeprefix(s.hdfs_uri)
    client = hdfs_client.client(s)
    status = client.status(remote, strict=False)
    if status and status["length"] == local.stat().st_size:
        return "already on HDFS"
    client.makedirs(str(Path(remote).parent))
    client.upload(remote, str(local), overwrite=True)
    return f"uploaded {local.stat().st_size / 2**20:.0f} MiB"


def session(app_name: str, conf: dict[str, str] | None = None):
    """The one SparkSession factory of the lake's jobs: Hive support, the options every session shares
    (settings.SPARK_SESSION_CONF), then the job's own. Master and environment come from spark-submit."""
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName(app_name).enableHiveSupport()
    for k, v in {**SPARK_SESSION_CONF, **(conf or {})}.items():
        builder = builder.config(k, v)
    return builder.getOrCreate()


def submit(s: Settings, script: Path, args: list[str] = (), master: str | None = None,
           name: str | None = None, timeout: float = 1800, extra_conf: dict[str, str] | None = None,
           ok_codes: tuple[int, ...] = (0,), return_code: bool = False, echo_prefix: str = "== "):
    """spark-submit a Python job (YARN by default); returns its stdout (with return_code: (exit code,
    stdout)). The job's own step lines (starting with echo_prefix) are printed as they come, so a long
    build shows where it is; an exit code outside ok_codes raises with the tail of its stderr."""
    import subprocess
    import tempfile
    import threading

    from lake.errors import LakeError

    master = master or default_master()
    argv = submit_base(s, master=master, name=name or f"lake-{script.stem}")
    for k, v in (extra_conf or {}).items():
        argv += ["--conf", f"{k}={v}"]
    argv += [str(script), *args]
    from lake.runtime import faults

    # Spark's and Hadoop's client log (stderr) goes to the command's log when there is one, else nowhere.
    log = faults.log_path()
    with (open(log, "a+") if log else tempfile.TemporaryFile("w+")) as err:
        start = err.tell()
        proc = subprocess.Popen(argv, env=submit_env(s), stdout=subprocess.PIPE, stderr=err, text=True)
        fired = threading.Event()
        timer = threading.Timer(timeout, lambda: (fired.set(), proc.kill()))
        timer.start()
        lines = []
        try:
            for line in proc.stdout:
                lines.append(line)
                if echo_prefix and line.startswith(echo_prefix):
                    print(line, end="", flush=True)
            proc.wait()
        finally:
            timer.cancel()
        if fired.is_set():
            raise LakeError(f"spark job {script.name} on {master} did not finish within {timeout:.0f}s")
        if proc.returncode not in ok_codes:
            err.seek(start)
            # the console progress bar ("[Stage 3:==>  (1 + 1) / 2]") is not what a reader of a failure needs
            tail = "\n".join([ln for ln in err.read().splitlines()
                               if ln.strip() and not ln.lstrip().startswith("[Stage")][-25:])
            where = f" (log: {log})" if log else ""
            raise LakeError(f"spark job {script.name} on {master} failed (exit {proc.returncode}){where}", tail)
    out = "".join(lines)
    return (proc.returncode, out) if return_code else out
