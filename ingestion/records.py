"""The two things every ingestion source yields: an accepted `Record` or a `Rejected` unit.

Producers send records to `tweets.raw` (keyed by tweet id) and rejections to
`tweets.dlq`; keeping both as plain frozen dataclasses lets sources stay free of
any Kafka code.
"""
from __future__ import annotations

from dataclasses import dataclass

V1 = "v1"
V2 = "v2"
FORMATS = (V1, V2)

# Rejected.raw keeps at most this many bytes, so one absurd input cannot bloat the DLQ.
RAW_CAP = 64 * 1024

INVALID_UTF8 = "invalid_utf8"
INVALID_JSON = "invalid_json"
TOO_LARGE = "too_large"
CORRUPT_FILE = "corrupt_file"
UNKNOWN_SHAPE = "unknown_shape"
NOT_A_TWEET = "not_a_tweet"
UNSUPPORTED_FORMAT = "unsupported_format"
MISSING_ID = "missing_id"
BAD_ID_TYPE = "bad_id_type"
BAD_ID = "bad_id"
MISSING_USER = "missing_user"

# Every reason code with the one-line meaning the DLQ and the docs use.
REASONS = {
    INVALID_UTF8: "bytes are not valid UTF-8",
    INVALID_JSON: "not one complete JSON value (truncated, malformed, NaN, too deep)",
    TOO_LARGE: "line or array element longer than the configured byte cap",
    CORRUPT_FILE: "compressed stream unreadable from this point on; rest of the file skipped",
    UNKNOWN_SHAPE: "a whole file that is no tweet export shape the replay knows (one rejection per file)",
    NOT_A_TWEET: "valid JSON but not a tweet (counts, users, lists, compliance, control messages)",
    UNSUPPORTED_FORMAT: "a tweet in a format the lake does not ingest (Gnip Activity Streams)",
    MISSING_ID: "tweet has no id",
    BAD_ID_TYPE: "tweet id is a JSON number (v2) or v1 has a numeric id but no id_str",
    BAD_ID: "tweet id string is not a decimal 64-bit id",
    MISSING_USER: "v1 tweet without a user object, or v2 tweet without author_id",
}


@dataclass(frozen=True, slots=True)
class Record:
    """One accepted tweet: `key` is the tweet id string, `payload` the JSON bytes to land."""

    key: str
    payload: bytes
    format: str
    origin: str


@dataclass(frozen=True, slots=True)
class Rejected:
    """One input unit that cannot become a record, kept whole (up to RAW_CAP) for the DLQ."""

    reason: str
    message: str
    origin: str
    raw: bytes
    raw_size: int

    @property
    def truncated(self) -> bool:
        return len(self.raw) < self.raw_size


def reject(reason: str, message: str, origin: str, raw: bytes, raw_size: int | None = None,
           cap: int = RAW_CAP) -> Rejected:
    """Build a Rejected, truncating `raw` to `cap` bytes but remembering the true size."""
    if reason not in REASONS:
        raise ValueError(f"unknown rejection reason {reason!r}")
    size = len(raw) if raw_size is None else raw_size
    return Rejected(reason, message, origin, bytes(raw[:cap]), size)
