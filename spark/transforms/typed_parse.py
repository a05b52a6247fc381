"""Bronze's typed parse, the entry point: a raw payload -> parse.extract's row as a tuple
(typed_row.ROW_FIELDS), or None, and then columnar.bronze_batch runs parse.extract on it (every
payload the typed paths do not take, and every reject, whose reason and detail only extract gives).

Which Structs: a payload that starts `{"data"` is read as a v2 message (v2_typed.message); any other
as a flat v2 tweet (v2_typed.flat), and when that decode meets a v1.1 payload (its `id` is a number,
or it holds a v1.1 marker) as a v1.1 status (v1_typed.status). The choice is only an order of
tries: each path checks the shape itself, as parse._tweet_of does, and gives None when unsure.
"""
from __future__ import annotations

from typing import Any

import msgspec

from spark.transforms import v1_typed, v2_typed
from spark.transforms.typed_row import OtherShape, as_dict

_MESSAGE = (b'{"data"', '{"data"')  # how ingestion and X's stream write a v2 message: `data` first


def values(payload: str | bytes) -> tuple | None:
    """extract's row of the payload as a tuple, or None when extract must read it."""
    try:
        if payload[:7] in _MESSAGE:
            return v2_typed.message(payload)
        try:
            return v2_typed.flat(payload)
        except (msgspec.ValidationError, OtherShape):
            return v1_typed.status(payload)
    except (msgspec.DecodeError, RecursionError):  # msgspec.ValidationError is a DecodeError
        return None


def row(payload: str | bytes) -> dict[str, Any] | None:
    """values() as extract's dict (what the parity tests compare)."""
    v = values(payload)
    return None if v is None else as_dict(v)
