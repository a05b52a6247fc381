"""SQL clients for the lake's two query paths, used by the smoke run, the
tests and the benchmarks: Trino (trino-python-client) and the Spark Thrift
Server (PyHive, and the Beeline CLI from the pyspark wheel)."""
from __future__ import annotations

import csv
import io
import re
import subprocess

from lake.runtime import jvm, spark
from lake.errors import LakeError
from lake.settings import Settings


def trino(s: Settings, sql: str, catalog: str = "hive", schema: str | None = None,
          session: dict[str, str] | None = None) -> list[tuple]:
    """Rows of one Trino statement; `session` sets session properties ("hive.insert_existing_partitions_behavior")."""
    return trino_table(s, sql, catalog, schema, session)[1]


def trino_table(s: Settings, sql: str, catalog: str = "hive", schema: str | None = None,
                session: dict[str, str] | None = None) -> tuple[list[str], list[tuple]]:
    """(column names, rows) of one Trino statement."""
    import trino as trino_client

    conn = trino_client.dbapi.connect(host=s.host, port=s.ports["trino"], user=s.user,
                                      catalog=catalog, schema=schema, request_timeout=600,
                                      session_properties=session or {})
    try:
        cur = conn.cursor()
        cur.execute(sql)
        rows = [tuple(r) for r in cur.fetchall()]
        return [d[0] for d in cur.description or []], rows
    finally:
        conn.close()


def hive(s: Settings, sql: str) -> list[tuple]:
    """Through the Spark Thrift Server with PyHive (HiveServer2 protocol)."""
    from pyhive import hive as pyhive

    conn = pyhive.connect(host=s.host, port=s.ports["thrift"], username=s.user, auth="NONE")
    try:
        cur = conn.cursor()
        cur.execute(sql)
        return [tuple(r) for r in cur.fetchall()] if cur.description else []
    finally:
        conn.close()


_PROMPT = re.compile(r"^(\d+: jdbc:hive2://\S+> )+")


def beeline(s: Settings, sql: str) -> list[tuple[str, ...]]:
    """Through the Beeline CLI, exactly as a user would type it; rows as strings."""
    env = spark.submit_env(s)
    env["JAVA_HOME"] = str(jvm.java17_home())
    argv = [str(spark.spark_home() / "bin" / "beeline"), "-u", f"jdbc:hive2://{s.host}:{s.ports['thrift']}",
            "-n", s.user, "--silent=true", "--showHeader=false", "--outputformat=csv2", "-e", sql]
    r = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        raise LakeError(f"beeline failed ({r.returncode}): {(r.stderr or r.stdout).strip().splitlines()[-1:]}")
    # Without a terminal Beeline still echoes its prompt in front of the first row.
    lines = [_PROMPT.sub("", ln) for ln in r.stdout.splitlines() if ln.strip()]
    lines = [ln for ln in lines if ln.strip()]
    return [tuple(row) for row in csv.reader(io.StringIO("\n".join(lines)))]
