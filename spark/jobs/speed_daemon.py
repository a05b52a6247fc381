"""The speed layer's PySpark daemon (spark.python.daemon.module): loads the shared transforms once,
then forks Python workers from that warm process (pyspark.daemon).

Without it every new Python worker loads the sentiment lexicons and the gazetteer on its first
record (seconds on an idle core, far more under load), and Spark retires workers that sat idle for
a minute, so a quiet stream paid that again on the next tweet. Forked workers share the loaded
tables copy-on-write. Used when the speed layer runs in local mode (the daemon must import the
repo's packages: executors on YARN see only the shipped zip).
"""
from __future__ import annotations

from pyspark import daemon  # reads sys.argv[1] (the worker module) at import, as `python -m pyspark.daemon` does

# One tweet that exercises parsing, masking, geo (a place and a user location) and sentiment (pt).
SAMPLE = (b'{"id": "1", "author_id": "2", "created_at": "2024-01-01T00:00:00.000Z", "lang": "pt", '
          b'"text": "Adorei o atendimento do #Santander hoje", "author": {"id": "2", "username": "x", '
          b'"location": "Madrid, Spain"}, "geo": {"place_id": "p", "full_name": "S\\u00e3o Paulo, Brasil", '
          b'"country_code": "BR"}}')


def warm() -> None:
    from spark.transforms import parse, pii, silver

    meta = {"ingest_date": "2024-01-01", "ingest_hour": "00", "source_file": "warm-up", "kafka_partition": 0,
            "kafka_offset": 0}
    row, _ = parse.to_bronze(SAMPLE, meta, pii.Pii("speed-daemon-warm-up-key-0000000"))
    if row is not None:
        silver.enrich(row)
    # The micro-batches hand records over as Arrow (DataFrame.mapInArrow): each worker needs pyarrow,
    # and PySpark also imports pandas for it. Loaded here once, they cost a forked worker nothing
    # instead of ~0.6 s on its first batch (import times on this machine, 2026-11-24).
    import pandas  # noqa: F401
    import pyarrow  # noqa: F401
    from pyspark.sql.pandas.types import to_arrow_schema  # noqa: F401


if __name__ == "__main__":
    try:
        warm()
    except Exception:  # noqa: BLE001 - a failed warm-up only costs the first batch its start-up time
        pass
    daemon.manager()
