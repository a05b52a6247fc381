"""What the raw sink checks per record: a UTF-8 JSON object, on one line.

The sink lands payloads unchanged, so it only has to know *whether* a value is
a JSON object, never what it holds. Building the object (json.loads) was the
sink's most expensive step (41–56k tweets/s, below Kafka's own consumer).
msgspec decoding into a Struct with no fields checks the full JSON grammar and
that the top level is an object, but skips every member without building it:
several times faster on tweets. It does not check UTF-8 inside strings, so
non-ASCII values are decoded first (a C loop, cheap next to parsing).

Strictness matches replay's (ingestion/sources/replay.py): NaN/Infinity, lone
surrogate escapes and control characters inside strings are invalid JSON.
Rejects take the slow path (a full parse) only to name the reason.
"""
from __future__ import annotations

import json

import msgspec


class _AnyObject(msgspec.Struct):
    """A JSON object with any members; decoding skips them (forbid_unknown_fields is off)."""


_object = msgspec.json.Decoder(_AnyObject)


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def _reason(text: str) -> str:
    """Why a value that failed the fast check is rejected (rare path, so a full parse is fine)."""
    try:
        obj = json.loads(text, parse_constant=_refuse_constant)
    except (ValueError, RecursionError):
        return "invalid_json"
    return "invalid_json" if isinstance(obj, dict) else "not_an_object"


def is_plain_object(value: bytes | None) -> bool:
    """The sink's fast path: ASCII, one line, and a JSON object (what the lake's producers send).

    True means check_payload() would land the value unchanged; False only means
    "ask check_payload()", which also accepts UTF-8 and line breaks.
    """
    if not value or not value.isascii() or b"\n" in value or b"\r" in value:
        return False
    try:
        _object.decode(value)
    except (msgspec.DecodeError, RecursionError):   # ValidationError is a DecodeError
        return False
    return True


def check_payload(value: bytes | None) -> tuple[bytes | None, str | None]:
    """The payload to land (one line), or a reason to reject it.

    JSON never needs a raw line break (inside strings they are escaped), so
    replacing CR/LF outside strings with spaces keeps the value byte-for-byte
    equal as JSON while keeping one record per line.
    """
    if not value:
        return None, "empty"
    # The lake's producers send ASCII JSON (non-ASCII escaped): isascii() proves UTF-8 without decoding.
    if not value.isascii():
        try:
            value.decode("utf-8")
        except UnicodeDecodeError:
            return None, "invalid_utf8"
    try:
        _object.decode(value)
    except msgspec.ValidationError:
        # The top level is not an object; a full parse tells "not an object" from "not JSON at all".
        return None, _reason(value.decode("utf-8"))
    except (msgspec.DecodeError, RecursionError):  # RecursionError: nested deeper than the interpreter allows
        return None, "invalid_json"
    if b"\n" in value or b"\r" in value:
        value = value.replace(b"\r", b" ").replace(b"\n", b" ")
    return value, None
