"""Replay tweet files (JSON Lines or JSON arrays, plain or gzip) as Records and Rejected units.

Bad content never raises: every unit becomes exactly one Record or Rejected, so
`read == produced + rejected` holds by construction (see ReplayStats). Only a
source that cannot be opened at all raises SourceError, before anything is yielded.
"""
from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable, Iterator, Union

from ingestion.sources import framing
from ingestion import records as r
from ingestion.sources import tweet_formats as tf
from ingestion.records import Record, Rejected

DEFAULT_MAX_LINE_BYTES = 1 << 20  # 1 MiB; the largest shared v2 page line is ~760 KB
REPLAY_SUFFIXES = (".json", ".jsonl", ".ndjson", ".json.gz", ".jsonl.gz", ".ndjson.gz")

PathLike = Union[str, os.PathLike]
Item = Union[Record, Rejected]


class SourceError(Exception):
    """A replay source that cannot be read at all (as opposed to bad content inside it)."""


@dataclass
class ReplayStats:
    """Running counts; `read` is incremented together with exactly one of the other two."""

    files: int = 0
    read: int = 0
    produced: int = 0
    rejected: int = 0
    by_reason: Counter = field(default_factory=Counter)

    def count(self, item: Item) -> Item:
        self.read += 1
        if isinstance(item, Record):
            self.produced += 1
        else:
            self.rejected += 1
            self.by_reason[item.reason] += 1
        return item

    @property
    def reconciles(self) -> bool:
        return self.read == self.produced + self.rejected == self.produced + sum(self.by_reason.values())


def expand_paths(paths: PathLike | Iterable[PathLike]) -> list[str]:
    """Files named directly, plus files under directories (recursively, sorted by path).

    Directory walks take only REPLAY_SUFFIXES and skip dot-files, so a LICENSE or
    README beside the data is not replayed; a file named explicitly is always read.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    files: list[str] = []
    for path in map(os.fspath, paths):
        if os.path.isdir(path):
            found = []
            for root, dirs, names in os.walk(path):
                dirs[:] = [d for d in dirs if not d.startswith(".")]
                found.extend(os.path.join(root, n) for n in names
                             if not n.startswith(".") and n.lower().endswith(REPLAY_SUFFIXES))
            files.extend(sorted(found))
        elif os.path.isfile(path):
            files.append(path)
        elif os.path.exists(path):
            raise SourceError(f"replay source is not a regular file or directory: {path}")
        else:
            raise SourceError(f"replay source not found: {path} (check FILES=...)")
    for path in files:
        if not os.access(path, os.R_OK):
            raise SourceError(f"replay source not readable: {path} (check its permissions)")
    return files


def replay(paths: PathLike | Iterable[PathLike], *, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
           raw_cap: int = r.RAW_CAP, stats: ReplayStats | None = None) -> Iterator[Item]:
    """Check every source exists now (raising SourceError), then stream its items lazily."""
    if max_line_bytes <= 0:
        raise ValueError("max_line_bytes must be positive")
    files = expand_paths(paths)
    return _replay(files, max_line_bytes, raw_cap, stats if stats is not None else ReplayStats())


def _replay(files: list[str], max_line_bytes: int, raw_cap: int, stats: ReplayStats) -> Iterator[Item]:
    for path in files:
        stats.files += 1
        units = framing.iter_units(path, max_line_bytes, raw_cap)
        while True:
            try:
                unit = next(units)
            except StopIteration:
                break
            except OSError as exc:  # the disk, not the content: stop loudly
                raise SourceError(f"cannot read replay source {path}: {exc.strerror or exc}") from None
            for item in unit_items(unit, raw_cap):
                yield stats.count(item)


def items_from_json(data: bytes, origin: str, raw_cap: int = r.RAW_CAP) -> Iterator[Item]:
    """The same rules for bytes from elsewhere, e.g. one API response page (origin "api:page=3")."""
    return unit_items(framing.Unit(origin, data, len(data)), raw_cap)


def unit_items(unit: framing.Unit, raw_cap: int = r.RAW_CAP) -> Iterator[Item]:
    """Decode one unit and turn it into one item, or one item per tweet of a v2 page."""
    if unit.problem:
        yield r.reject(unit.problem, unit.detail, unit.origin, unit.data, unit.size, raw_cap)
        return
    try:
        text = unit.data.decode("utf-8")
    except UnicodeDecodeError as exc:
        yield r.reject(r.INVALID_UTF8, f"invalid UTF-8 at byte {exc.start}", unit.origin, unit.data, cap=raw_cap)
        return
    try:
        obj = json.loads(text, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as exc:
        yield r.reject(r.INVALID_JSON, _one_line(exc), unit.origin, unit.data, cap=raw_cap)
        return
    kind = tf.classify(obj)
    entries = tf.page_entries(obj) if kind == tf.V2_PAGE else None
    if entries is not None:
        yield from _page_items(obj, entries, unit.origin, raw_cap)
    elif kind == tf.V1_TWEET:
        yield _keyed(tf.v1_key, obj, r.V1, unit.data, unit.origin, raw_cap)
    elif kind == tf.V2_TWEET or (kind == tf.V2_PAGE and tf.is_stream_message(obj)):
        tweet = obj["data"] if kind == tf.V2_PAGE else obj
        yield _keyed(tf.v2_key, tweet, r.V2, unit.data, unit.origin, raw_cap)
    elif kind == tf.ACTIVITY_STREAMS:
        yield r.reject(r.UNSUPPORTED_FORMAT, "Gnip Activity Streams tweet; replay v1.1 or v2 JSON instead",
                       unit.origin, unit.data, cap=raw_cap)
    else:
        yield r.reject(r.NOT_A_TWEET, _describe_other(obj), unit.origin, unit.data, cap=raw_cap)


def _page_items(page: dict, entries: list, origin: str, raw_cap: int) -> Iterator[Item]:
    """One item per `data` entry; each tweet travels with the includes it references."""
    includes = tf.PageIncludes(page)
    for i, entry in enumerate(entries):
        here = f"{origin}:data[{i}]"
        try:
            if not tf.looks_like_tweet(entry):
                raise tf.InvalidTweet(r.NOT_A_TWEET, "non-tweet entry in a tweet page")
            item: Item = Record(tf.v2_key(entry), _dumps(includes.message_for(entry)), r.V2, here)
        except tf.InvalidTweet as bad:
            item = r.reject(bad.reason, bad.message, here, _dumps(entry), cap=raw_cap)
        except RecursionError:  # re-encoding one level deeper than the page parsed
            item = r.reject(r.INVALID_JSON, "tweet nested too deeply to re-encode", here, b"", cap=raw_cap)
        yield item


def _keyed(key_of, tweet: dict, fmt: str, payload: bytes, origin: str, raw_cap: int) -> Item:
    try:
        return Record(key_of(tweet), payload, fmt, origin)
    except tf.InvalidTweet as bad:
        return r.reject(bad.reason, bad.message, origin, payload, cap=raw_cap)


def _describe_other(obj: object) -> str:
    if not isinstance(obj, dict):
        return f"top-level JSON {type(obj).__name__}, not a tweet object"
    if "data" in obj:
        return "v2 response page without tweets (counts, users, lists or empty)"
    keys = ", ".join(sorted(map(str, obj))[:6])
    return f"object without tweet text (keys: {keys})"


def _dumps(obj: object) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode("ascii")


def _refuse_constant(name: str) -> float:
    raise ValueError(f"non-standard JSON constant {name}")


def _one_line(exc: BaseException) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0][:200]
