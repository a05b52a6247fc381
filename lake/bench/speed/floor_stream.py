"""bench-speed's floor: the speed layer's own streaming job with its per-record transforms taken out.

    spark-submit ... lake/bench/speed/floor_stream.py <stream_speed.py's arguments>

Everything else is the real job (spark/jobs/stream_speed.py): the Kafka source, the Arrow hand-off
to Python and back, the Parquet write, the publish into the table's partitions, the checkpoint.
Only `convert_batch` changes: each Arrow batch converts its first record for real and emits
a copy of that row for every other record, so the rows cost what Spark charges for them and
nothing more. At the goal's rate this answers one question: could any speed-up of the shared
transforms meet the throughput goal on this host? If the floor misses the goal, none could.

A benchmark's baseline, never a service: bench-speed starts it in its own sandbox only
(benchmarks/speed/run.py, FLOOR_JOB), and the rows it writes are copies.
"""
from __future__ import annotations

import sys

from spark.jobs import stream_speed

_real_convert = stream_speed.convert_partition
_real_batch = stream_speed.convert_batch


def batch_floor(pii):
    """convert_batch's contract (a SPEED_SCHEMA table and the rejects) at almost no cost per record:
    the batch's first record that is a tweet is converted for real and repeated."""
    import pyarrow as pa

    real = _real_batch(pii)

    def run(records):
        rejects = []
        for i, record in enumerate(records):
            rows, bad = real([record])
            rejects += bad
            if rows.num_rows:
                return rows.take(pa.array([0] * (len(records) - i))), rejects
        return rows, rejects

    return run


def convert_floor(pii):
    """convert_partition's contract (one (row, reject) pair per record) at almost no cost per record."""
    real = _real_convert(pii)

    def run(records):
        row = None
        for record in records:
            if row is None:
                out = next(iter(real([record])))
                if out[0] is not None:
                    row = out   # later records repeat it; a reject is converted for real, and the next tried
                yield out
            else:
                yield row

    return run


if __name__ == "__main__":
    # rows_only() looks convert_partition up when the driver builds a batch's function, and the
    # closure it returns is shipped to the Python workers by value: patching the module is enough.
    stream_speed.convert_partition = convert_floor
    stream_speed.convert_batch = batch_floor
    sys.exit(stream_speed.main())
