"""Replay tweet files of any common export shape as Records and Rejected units.

    replay(FILES)        -> items of every file (files and directories), counted in a ReplayStats
    iter_records(path)   -> items of one file or directory: the reader other sources reuse (MQTT)

A file's shape is found from its content (file_shapes.py): JSON Lines, JSON arrays, pretty-printed
or compact JSON documents (v1.1 search responses, v2 pages, lookups), the X account archive's
tweets.js, each plain, gzip or in a zip (docs/ingestion.md lists them with examples).
Bad content never raises: every unit becomes exactly one Record or Rejected, so
`read == produced + rejected` holds by construction (see ReplayStats); a file of no known shape
is one `unknown_shape` rejection. Only a source that cannot be opened at all raises SourceError,
before anything is yielded.
"""
from __future__ import annotations

import dataclasses
import json
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable, Iterator, Union

from ingestion.sources import file_shapes, framing
from ingestion import records as r
from ingestion.sources import tweet_formats as tf
from ingestion.records import Record, Rejected

DEFAULT_MAX_LINE_BYTES = 1 << 20  # 1 MiB; the largest shared v2 page line is ~760 KB
# One top-level JSON object (a pretty-printed response) is decoded whole up to this size (a search
# response or v2 page is 0.1-3 MB; decoding 31 MB took 268 MiB RSS); a bigger first document is
# read member by member and its `statuses` / `data` array streamed (_big_document_items).
DEFAULT_MAX_DOCUMENT_BYTES = 8 << 20
REPLAY_SUFFIXES = (".json", ".jsonl", ".ndjson", ".json.gz", ".jsonl.gz", ".ndjson.gz", ".zip")

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
    streams_by_shape: Counter = field(default_factory=Counter)   # file_shapes name -> files (zip members)
    problems: list = field(default_factory=list)  # one line per file taken as a whole (unknown shape, ...)
    produced_by_shape: Counter = field(default_factory=Counter)
    rejected_by_shape: Counter = field(default_factory=Counter)

    def count(self, item: Item, shape: str | None = None) -> Item:
        self.read += 1
        if isinstance(item, Record):
            self.produced += 1
            if shape:
                self.produced_by_shape[shape] += 1
        else:
            self.rejected += 1
            self.by_reason[item.reason] += 1
            if shape:
                self.rejected_by_shape[shape] += 1
        return item

    def shape_rows(self) -> list[tuple[str, str]]:
        """(shape, "N file(s): P tweets, R rejected") for the ingest summary."""
        return [(shape, f"{n} file(s): {self.produced_by_shape[shape]} tweets, "
                        f"{self.rejected_by_shape[shape]} rejected")
                for shape, n in sorted(self.streams_by_shape.items())]

    @property
    def reconciles(self) -> bool:
        return self.read == self.produced + self.rejected == self.produced + sum(self.by_reason.values())


def expand_paths(paths: PathLike | Iterable[PathLike]) -> list[str]:
    """Files named directly, plus files under directories (recursively, sorted by path).

    Directory walks take only REPLAY_SUFFIXES and an X archive's tweets.js files, and skip
    dot-files, so a LICENSE, README or the archive's like.js or direct-messages.js beside the
    data is not replayed; a file named explicitly is always read.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    files: list[str] = []
    for path in map(os.fspath, paths):
        if os.path.isdir(path):
            found = []
            for root, dirs, names in os.walk(path):
                dirs[:] = [d for d in dirs if not d.startswith(".")]
                found.extend(os.path.join(root, n) for n in names if not n.startswith(".") and (
                    n.lower().endswith(REPLAY_SUFFIXES) or file_shapes.is_archive_tweets_name(n)))
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
           raw_cap: int = r.RAW_CAP, max_document_bytes: int = DEFAULT_MAX_DOCUMENT_BYTES,
           stats: ReplayStats | None = None) -> Iterator[Item]:
    """Check every source exists now (raising SourceError), then stream its items lazily."""
    if max_line_bytes <= 0 or max_document_bytes <= 0:
        raise ValueError("max_line_bytes and max_document_bytes must be positive")
    files = expand_paths(paths)
    return _replay(files, max_line_bytes, raw_cap, max_document_bytes,
                   stats if stats is not None else ReplayStats())


def iter_records(path: PathLike, *, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES, raw_cap: int = r.RAW_CAP,
                 max_document_bytes: int = DEFAULT_MAX_DOCUMENT_BYTES,
                 stats: ReplayStats | None = None) -> Iterator[Item]:
    """The Records and Rejected of one file (or of the files under a directory), whatever its shape.

    The reader other sources reuse (e.g. an MQTT publisher replaying FILES): same shapes, same
    payloads, same rejections as `make ingest SOURCE=replay`. SourceError when it cannot be read.
    """
    return replay([path], max_line_bytes=max_line_bytes, raw_cap=raw_cap,
                  max_document_bytes=max_document_bytes, stats=stats)


def _replay(files: list[str], max_line_bytes: int, raw_cap: int, doc_bytes: int,
            stats: ReplayStats) -> Iterator[Item]:
    for path in files:
        stats.files += 1
        shaped = _file_items(path, max_line_bytes, raw_cap, doc_bytes, stats)
        while True:
            try:
                shape, item = next(shaped)
            except StopIteration:
                break
            except OSError as exc:  # the disk, not the content: stop loudly
                raise SourceError(f"cannot read replay source {path}: {exc.strerror or exc}") from None
            yield stats.count(item, shape)


def _file_items(path: str, max_line_bytes: int, raw_cap: int, doc_bytes: int,
                stats: ReplayStats) -> Iterator[tuple[str, Item]]:
    """(shape, item) for every stream inside one file (itself, gunzipped, or zip members)."""
    try:
        for stream in file_shapes.streams(path):
            shape = file_shapes.detect(stream)
            stats.streams_by_shape[shape.name] += 1
            for item in _stream_items(stream, shape, max_line_bytes, raw_cap, doc_bytes):
                if isinstance(item, Rejected) and item.raw_size == 0 and item.origin == stream.origin:
                    stats.problems.append(f"{item.message} ({item.reason})")  # the whole file, said once
                yield shape.name, item
    except (file_shapes.UnreadableWrapper, *framing.CORRUPT_COMPRESSED, NotImplementedError, RuntimeError) as exc:
        # a zip that cannot be opened, a member that cannot be (bad header, encrypted, unknown method)
        detail = _one_line(exc) if not isinstance(exc, file_shapes.UnreadableWrapper) else str(exc)
        stats.streams_by_shape[file_shapes.UNKNOWN] += 1
        stats.problems.append(f"{path}: {detail} (corrupt_file)")
        yield file_shapes.UNKNOWN, r.reject(r.CORRUPT_FILE, detail, f"{path}:zip", b"", cap=raw_cap)


def _stream_items(stream: file_shapes.Stream, shape: file_shapes.Shape, max_line_bytes: int, raw_cap: int,
                  doc_bytes: int) -> Iterator[Item]:
    if shape.name == file_shapes.UNKNOWN:
        yield r.reject(r.UNKNOWN_SHAPE, f"{stream.origin} is not a tweet export: {shape.seen}", stream.origin,
                       b"", cap=raw_cap)  # raw empty: the DLQ gets the reason, not a copy of a foreign file
        return
    account = None
    if shape.name == file_shapes.X_ARCHIVE:
        account = stream.account()
        if account is None:
            yield r.reject(r.MISSING_USER, f"{stream.origin} is an X archive tweets.js without the archive's "
                           "data/account.js beside it (its tweets name no author); replay the archive's zip, "
                           "or keep account.js next to tweets.js", stream.origin, b"", cap=raw_cap)
            return
    units = framing.stream_units(stream.open, stream.origin, shape.layout, max_line_bytes, raw_cap,
                                 skip=shape.skip, doc_bytes=doc_bytes)
    for unit in units:
        if unit.problem == r.TOO_LARGE and unit.origin == stream.origin and shape.name == file_shapes.JSON_DOCUMENT:
            yield from _big_document_items(stream, unit, max_line_bytes, raw_cap, doc_bytes)
            continue
        if unit.problem == r.TOO_LARGE and ":doc[" in unit.origin:
            unit = dataclasses.replace(unit, detail=f"JSON document of {unit.size} bytes > cap {doc_bytes}; "
                                       "convert it to JSON Lines first, e.g. jq -c '.statuses[]' or '.data[]'")
        yield from unit_items(unit, raw_cap, account)


# Arrays of tweets a big response document is streamed by; every other member is small and held.
_TWEET_ARRAYS = frozenset({"statuses", "data"})
_PAGE_CONTEXT = ("includes", "errors", "matching_rules", "__twarc")


def _big_document_items(stream: file_shapes.Stream, unit: framing.Unit, max_line_bytes: int, raw_cap: int,
                        doc_bytes: int) -> Iterator[Item]:
    """A file's first document when it is over the cap: read twice, member by member, never whole.

    First pass: every member's offset, and the bytes of the small ones (a v2 page's `includes`);
    second pass: the `statuses` (v1.1 search) or `data` (v2 page) array, element by element, each
    element with the page's includes as in a small page. Anything else is one rejection.
    """
    origin = stream.origin
    try:
        members = {m.key: m for m in framing.object_members(stream.open, doc_bytes, _TWEET_ARRAYS)}
        context = {k: json.loads(members[k].value) for k in _PAGE_CONTEXT
                   if k in members and members[k].value is not None}
    except (framing.BadStructure, ValueError, RecursionError, *framing.CORRUPT_COMPRESSED) as exc:
        yield r.reject(r.TOO_LARGE, f"JSON document of {unit.size} bytes > cap {doc_bytes}, not readable member by "
                       f"member ({_one_line(exc)})", origin, unit.data, unit.size, raw_cap)
        return
    key = next((k for k in ("statuses", "data") if k in members and members[k].first == 0x5B), None)
    if key is None:
        keys = ", ".join(sorted(members)[:8])
        yield r.reject(r.TOO_LARGE, f"JSON document of {unit.size} bytes > cap {doc_bytes} without a `statuses` "
                       f"or `data` array to stream (keys: {keys})", origin, unit.data, unit.size, raw_cap)
        return
    includes = tf.PageIncludes(context) if key == "data" else None
    for element in framing.array_members(stream.open, f"{origin}:{key}", members[key].offset, max_line_bytes,
                                         raw_cap):
        if includes is None:
            yield from unit_items(element, raw_cap)
        else:
            yield _page_element_item(element, includes, raw_cap)


def _page_element_item(unit: framing.Unit, includes: tf.PageIncludes, raw_cap: int) -> Item:
    """One `data` entry of a streamed v2 page: the message a small page's entry becomes (_page_items)."""
    if unit.problem:
        return r.reject(unit.problem, unit.detail, unit.origin, unit.data, unit.size, raw_cap)
    try:
        entry = json.loads(unit.data.decode("utf-8"), parse_constant=_refuse_constant)
    except UnicodeDecodeError as exc:
        return r.reject(r.INVALID_UTF8, f"invalid UTF-8 at byte {exc.start}", unit.origin, unit.data, cap=raw_cap)
    except (ValueError, RecursionError) as exc:
        return r.reject(r.INVALID_JSON, _one_line(exc), unit.origin, unit.data, cap=raw_cap)
    return _page_item(includes, entry, unit.origin, raw_cap)


def items_from_json(data: bytes, origin: str, raw_cap: int = r.RAW_CAP) -> Iterator[Item]:
    """The same rules for bytes from elsewhere, e.g. one API response page (origin "api:page=3")."""
    return unit_items(framing.Unit(origin, data, len(data)), raw_cap)


def unit_items(unit: framing.Unit, raw_cap: int = r.RAW_CAP, account: dict | None = None) -> Iterator[Item]:
    """Decode one unit and turn it into its items: one per tweet it holds (a tweet, a v2 page, a
    search response, an array of tweets, a lookup map, an archive entry), or one rejection.

    `account`: the `user` of X archive entries (file_shapes.Stream.account); None outside an archive.
    """
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
    if isinstance(obj, list):  # a v1.1 timeline/lookup response, or any array of tweets, as one unit
        for i, entry in enumerate(obj):
            yield from _value_items(entry, None, f"{unit.origin}:[{i}]", raw_cap, account)
    else:
        yield from _value_items(obj, unit.data, unit.origin, raw_cap, account)


def _value_items(obj: object, data: bytes | None, origin: str, raw_cap: int, account: dict | None) -> Iterator[Item]:
    """Items of one decoded value; `data` its exact bytes, or None when it is part of a larger unit."""
    statuses = tf.search_statuses(obj)
    if statuses is not None:  # v1.1 search response
        for i, status in enumerate(statuses):
            yield _tweet_item(status, None, f"{origin}:statuses[{i}]", raw_cap, account)
        return
    lookup = tf.lookup_map(obj)
    if lookup is not None:  # v1.1 statuses/lookup?map=true: deleted or protected tweets are null
        for tid, tweet in lookup.items():
            here = f"{origin}:id[{tid}]"
            if tweet is None:
                yield r.reject(r.NOT_A_TWEET, "lookup map entry is null (tweet deleted or not visible)", here,
                               b"null", cap=raw_cap)
            else:
                yield _tweet_item(tweet, None, here, raw_cap, account)
        return
    kind = tf.classify(obj)
    entries = tf.page_entries(obj) if kind == tf.V2_PAGE else None
    if entries is not None:
        yield from _page_items(obj, entries, origin, raw_cap)
    else:
        yield _tweet_item(obj, data, origin, raw_cap, account)


def _tweet_item(obj: object, data: bytes | None, origin: str, raw_cap: int, account: dict | None) -> Item:
    """One tweet (v1.1, v2, v2 message, archive entry) -> its Record, or why it is not one."""
    archived = tf.archive_tweet(obj)
    if archived is not None:
        if account is None:
            return r.reject(r.MISSING_USER, "X archive entry outside an archive's tweets.js (no account.js)",
                            origin, data if data is not None else _dumps_utf8(obj), cap=raw_cap)
        tweet = tf.from_archive(archived, account)
        return _keyed(tf.v1_key, tweet, r.V1, _dumps_utf8(tweet), origin, raw_cap)
    payload = _payload(data) if data is not None else None
    kind = tf.classify(obj)
    if kind == tf.V1_TWEET:
        return _keyed(tf.v1_key, obj, r.V1, payload or _dumps_utf8(obj), origin, raw_cap)
    if kind == tf.V2_TWEET or (kind == tf.V2_PAGE and tf.is_stream_message(obj)):
        tweet = obj["data"] if kind == tf.V2_PAGE else obj
        return _keyed(tf.v2_key, tweet, r.V2, payload or _dumps_utf8(obj), origin, raw_cap)
    raw = data if data is not None else _dumps_utf8(obj)
    if kind == tf.ACTIVITY_STREAMS:
        return r.reject(r.UNSUPPORTED_FORMAT, "Gnip Activity Streams tweet; replay v1.1 or v2 JSON instead",
                        origin, raw, cap=raw_cap)
    if kind == tf.V2_PAGE and tf.page_entries(obj) is not None:  # a page inside a larger unit
        return r.reject(r.NOT_A_TWEET, "v2 page nested inside another value", origin, raw, cap=raw_cap)
    return r.reject(r.NOT_A_TWEET, _describe_other(obj), origin, raw, cap=raw_cap)


def _page_items(page: dict, entries: list, origin: str, raw_cap: int) -> Iterator[Item]:
    """One item per `data` entry; each tweet travels with the includes it references."""
    includes = tf.PageIncludes(page)
    for i, entry in enumerate(entries):
        yield _page_item(includes, entry, f"{origin}:data[{i}]", raw_cap)


def _page_item(includes: tf.PageIncludes, entry: object, here: str, raw_cap: int) -> Item:
    try:
        if not tf.looks_like_tweet(entry):
            raise tf.InvalidTweet(r.NOT_A_TWEET, "non-tweet entry in a tweet page")
        return Record(tf.v2_key(entry), _dumps(includes.message_for(entry)), r.V2, here)
    except tf.InvalidTweet as bad:
        return r.reject(bad.reason, bad.message, here, _dumps(entry), cap=raw_cap)
    except RecursionError:  # re-encoding one level deeper than the page parsed
        return r.reject(r.INVALID_JSON, "tweet nested too deeply to re-encode", here, b"", cap=raw_cap)


# JSON tokens that whitespace may separate: strings (kept whole, escapes and all) and the bytes between.
_TOKENS = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[^ \t\r\n"]+')


def _payload(data: bytes) -> bytes:
    """A unit's bytes as landed: unchanged, except that a value spread over several lines (a
    pretty-printed array element or document) loses the whitespace between its tokens, so it is
    one line; every string and number keeps its exact bytes."""
    if b"\n" not in data and b"\r" not in data:
        return data
    return b"".join(_TOKENS.findall(data))


def _dumps_utf8(obj: object) -> bytes:
    """A value taken out of a larger unit, re-encoded compactly: UTF-8 text stays UTF-8 (CJK, emoji,
    RTL are not turned into escapes); a lone surrogate escape (not encodable) keeps ASCII escapes."""
    try:
        return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    except UnicodeEncodeError:
        return _dumps(obj)
    except RecursionError:
        return b""


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
