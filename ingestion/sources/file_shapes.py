"""What a replayed file holds, decided from its content: wrappers (gzip, zip), then the layout.

    streams(path)            -> the byte streams inside one file (itself, gunzipped, or zip members)
    detect(stream)           -> Shape: JSON Lines, JSON array(s), JSON document(s), X archive, unknown
    stream.account()         -> the `user` an X archive's tweets.js needs (from account.js beside it)

Only the first SNIFF_BYTES of a stream are read to decide; the units are then streamed by
framing.stream_units, which reopens the stream (a gzip or zip member is decompressed again: cheaper
than holding a sniff buffer in front of every reader).
"""
from __future__ import annotations

import gzip
import json
import os
import posixpath
import re
import zipfile
from dataclasses import dataclass
from typing import BinaryIO, Callable, Iterator

from ingestion.sources import framing

SNIFF_BYTES = 256 << 10
SNIFF_LINES = 8  # JSON Lines if one of the first 8 non-blank lines is a JSON object by itself
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # a zip with members, an empty zip

# File shapes (ReplayStats counts streams and records per shape; docs/ingestion.md lists them).
JSON_LINES = "JSON Lines"
JSON_ARRAY = "JSON array"
JSON_DOCUMENT = "JSON document"
X_ARCHIVE = "X archive tweets.js"
UNKNOWN = "unknown shape"
EMPTY = "empty"

# `window.YTD.tweets.part0 = [` : the X account archive's data/*.js files are JavaScript assignments.
_JS_ASSIGNMENT = re.compile(rb"\s*([A-Za-z_$][\w$]*(?:\.[\w$]+)*)\s*=\s*(?=[\[{])")
_YTD_NAME = re.compile(r"window\.YTD\.(\w+)\.part\d+\Z")
ARCHIVE_TWEET_FILES = ("tweets", "tweet")  # YTD names of the archive's own tweets (older archives: tweet)
_ARCHIVE_MEMBER = re.compile(r"(?:^|/)data/(?:tweets?)(?:-part\d+)?\.js\Z")
_NON_WS = re.compile(rb"[^ \t\r\n]")


def is_archive_tweets_name(name: str) -> bool:
    """tweets.js, tweet.js, tweets-part1.js (optionally .gz): the archive files that hold tweets."""
    return bool(_ARCHIVE_MEMBER.search("data/" + posixpath.basename(name.removesuffix(".gz"))))


@dataclass(frozen=True)
class Stream:
    """One readable byte stream inside a replayed file; `open()` returns it decompressed, from byte 0."""

    origin: str
    open: Callable[[], BinaryIO]
    account: Callable[[], dict | None] = lambda: None  # an X archive's author, looked up on demand


@dataclass(frozen=True)
class Shape:
    name: str
    layout: str | None = None  # framing.LINES / VALUES; None when there is nothing to read
    skip: int = 0              # bytes before the JSON value (an archive's `window.YTD... = `)
    seen: str = ""             # for UNKNOWN: what the start of the file looked like


class UnreadableWrapper(Exception):
    """A wrapper that cannot be opened (corrupt zip, zip inside gzip); one corrupt_file per file."""


def streams(path: str) -> Iterator[Stream]:
    """The file itself, its gunzipped content, or each member of a zip (gzip inside zip too).

    A zip that is an X account archive (it has data/tweets.js) gives only its tweets files:
    likes, followers and direct messages are not tweets to land.
    """
    magic = _head(lambda: open(path, "rb"), 4)
    if magic.startswith(framing.GZIP_MAGIC):
        yield Stream(path, lambda: gzip.open(path, "rb"), lambda: _account_beside(path))
    elif magic in ZIP_MAGIC:
        yield from _zip_streams(path)
    else:
        yield Stream(path, lambda: open(path, "rb"), lambda: _account_beside(path))


def _zip_streams(path: str) -> Iterator[Stream]:
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, EOFError) as exc:
        raise UnreadableWrapper(f"zip {type(exc).__name__}: {exc}") from None
    with zf:
        names = [i.filename for i in zf.infolist() if not i.is_dir() and not i.filename.startswith("__MACOSX/")
                 and not posixpath.basename(i.filename).startswith(".")]
        tweets = [n for n in names if _ARCHIVE_MEMBER.search(n)]
        for name in sorted(tweets) if tweets else names:
            opener = _member_opener(zf, name)
            account = posixpath.join(posixpath.dirname(name), "account.js")
            yield Stream(f"{path}!{name}", opener,
                         (lambda a=account: _account_of(lambda: zf.open(a)) if a in names else None))


def _member_opener(zf: zipfile.ZipFile, name: str) -> Callable[[], BinaryIO]:
    if _head(lambda: zf.open(name), 2) == framing.GZIP_MAGIC:
        return lambda: gzip.GzipFile(fileobj=zf.open(name), mode="rb")
    return lambda: zf.open(name)


def _head(opener: Callable[[], BinaryIO], size: int) -> bytes:
    """Up to `size` first bytes; for a damaged compressed stream, what decompressed before the damage
    (the reader then reports the damage itself as corrupt_file, after the units before it)."""
    out = bytearray()
    with opener() as f:
        try:
            while len(out) < size:
                piece = f.read1(size - len(out))
                if not piece:
                    break
                out += piece
        except framing.CORRUPT_COMPRESSED:
            pass
    return bytes(out)


def detect(stream: Stream) -> Shape:
    """The shape of a stream from its first SNIFF_BYTES (after a UTF-8 BOM)."""
    head = _head(stream.open, SNIFF_BYTES)
    bom = len(framing.UTF8_BOM) if head.startswith(framing.UTF8_BOM) else 0
    first = _NON_WS.search(head, bom)
    if first is None:  # blank; read as lines all the same, so damage after an empty start is still reported
        return Shape(EMPTY, framing.LINES)
    lead = head[first.start():first.start() + 1]
    if lead == b"[":
        return Shape(JSON_ARRAY, framing.VALUES)
    if lead == b"{":
        # A first line longer than the sniff is read as JSON Lines (its cap then applies, as it did
        # before shapes were sniffed): one huge line is likelier a bad record than a compact document.
        if _has_object_line(head) or (len(head) >= SNIFF_BYTES and head.find(b"\n", first.start()) < 0):
            return Shape(JSON_LINES, framing.LINES)
        return Shape(JSON_DOCUMENT, framing.VALUES)
    js = _JS_ASSIGNMENT.match(head, bom)
    if js:
        name = js.group(1).decode("ascii", "replace")
        ytd = _YTD_NAME.match(name)
        if ytd and ytd.group(1) in ARCHIVE_TWEET_FILES:
            return Shape(X_ARCHIVE, framing.VALUES, skip=js.end() - bom)
        what = f"X archive file of {ytd.group(1)!r}" if ytd else f"a JavaScript assignment to {name}"
        return Shape(UNKNOWN, seen=f"{what}, not tweets (replay data/tweets.js or the archive's zip)")
    return Shape(UNKNOWN, seen=_describe(head[first.start():]))


def _has_object_line(head: bytes) -> bool:
    """True if one of the first 8 non-blank lines is a JSON object on its own (JSON Lines, even when
    its first line is damaged), or two of them when the first line opens a structure: a
    pretty-printed document spreads every non-empty object over several lines, and one printed with
    one compact element per line has at most one such line near its top (the last element)."""
    lines = head.split(b"\n", SNIFF_LINES * 4)[:SNIFF_LINES * 4]
    if len(head) >= SNIFF_BYTES:
        lines = lines[:-1]  # the last line may be cut by the sniff
    checked = found = 0
    needed = 1
    for line in lines:
        line = line.strip()
        if not line:
            continue
        checked += 1
        if checked == 1 and line.endswith((b"{", b"[", b",", b":")):
            needed = 2  # opens a structure, as a pretty-printed document's first line does
        if _is_object(line):
            found += 1
            if checked == 1 or found >= needed:
                return True
        if checked >= SNIFF_LINES:
            break
    return False


def _is_object(line: bytes) -> bool:
    if not (line.startswith(b"{") and line.endswith(b"}") and len(line) > 2):
        return False
    try:
        return isinstance(json.loads(line.decode("utf-8", "replace")), dict)
    except (ValueError, RecursionError):
        return False


def _describe(start: bytes) -> str:
    """One line saying what a file that is no tweet export starts with."""
    if start.startswith((b"\xff\xfe", b"\xfe\xff")) or (len(start) > 1 and (start[0] == 0 or start[1] == 0)):
        return "UTF-16/32 text or binary data, not UTF-8 JSON (save it as UTF-8)"
    if start.startswith(framing.GZIP_MAGIC) or start[:4] in ZIP_MAGIC:
        return "a compressed file inside a compressed file (unpack the outer one)"
    if b"\x00" in start[:4096]:
        return "binary data, not JSON"
    first_line = start.split(b"\n", 1)[0][:60].decode("utf-8", "replace")
    if start.startswith(b"<"):
        kind = "HTML or XML"
    elif first_line.count(",") >= 2 or first_line.count("\t") >= 2:
        kind = "CSV or TSV"
    else:
        kind = "text that is not JSON"
    return f"{kind}, starting {first_line!r}"


def _account_beside(path: str) -> dict | None:
    """The author of an archive's tweets.js named directly: account.js in the same folder."""
    account = os.path.join(os.path.dirname(os.path.abspath(path)), "account.js")
    return _account_of(lambda: open(account, "rb")) if os.path.isfile(account) else None


def _account_of(opener: Callable[[], BinaryIO]) -> dict | None:
    """`user` for archive tweets from account.js: its id, handle and display name (nothing else:
    the file also holds the owner's e-mail and phone, which must not reach the lake)."""
    try:
        data = _head(opener, SNIFF_BYTES)
    except (OSError, KeyError, *framing.CORRUPT_COMPRESSED):
        return None
    js = _JS_ASSIGNMENT.match(data.removeprefix(framing.UTF8_BOM))
    try:
        value = json.loads(data.removeprefix(framing.UTF8_BOM)[js.end() if js else 0:])
    except (ValueError, RecursionError):
        return None
    entry = value[0] if isinstance(value, list) and value else value
    account = entry.get("account", entry) if isinstance(entry, dict) else None
    if not isinstance(account, dict) or not isinstance(account.get("accountId"), str):
        return None
    user = {"id_str": account["accountId"]}
    for key, field in (("username", "screen_name"), ("accountDisplayName", "name")):
        if isinstance(account.get(key), str):
            user[field] = account[key]
    return user
