"""Twitter snowflake ids: 41 bits of milliseconds since 2010-11-04, 10 worker bits, 12 sequence bits.

Ids made this way sort by creation time, so synthetic ids behave like real ones
(bronze can derive or check created_at from the id).
"""
from __future__ import annotations

TWEPOCH_MS = 1288834974657
WORKER_BITS = 10
SEQUENCE_BITS = 12
MAX_WORKER = (1 << WORKER_BITS) - 1
MAX_SEQUENCE = (1 << SEQUENCE_BITS) - 1


def make_id(ms: int, worker: int, sequence: int) -> int:
    if ms < TWEPOCH_MS:
        raise ValueError(f"snowflake ids start at {TWEPOCH_MS} ms (2010-11-04); got {ms}")
    if not 0 <= worker <= MAX_WORKER or not 0 <= sequence <= MAX_SEQUENCE:
        raise ValueError("worker or sequence out of range")
    return ((ms - TWEPOCH_MS) << (WORKER_BITS + SEQUENCE_BITS)) | (worker << SEQUENCE_BITS) | sequence


def timestamp_ms(snowflake: int) -> int:
    return (snowflake >> (WORKER_BITS + SEQUENCE_BITS)) + TWEPOCH_MS
