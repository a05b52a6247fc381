"""Cut one file (plain or gzip) into candidate units with bounded memory.

A unit is one non-blank JSON Lines line, one element of a top-level JSON array, or one top-level
JSON object (a document); a document too big to hold is read member by member instead
(object_members, then array_members for the array of tweets).
No unit is ever held in memory beyond `max_bytes` (+ one read chunk): an oversized
line or element is skipped while keeping only its first `keep` bytes for the DLQ.
JSON is not parsed here; that is the caller's job.
"""
from __future__ import annotations

import gzip
import json
import re
import zipfile
import zlib
from dataclasses import dataclass
from typing import BinaryIO, Callable, Iterator

from ingestion.records import CORRUPT_FILE, TOO_LARGE

GZIP_MAGIC = b"\x1f\x8b"
UTF8_BOM = b"\xef\xbb\xbf"
_WS = b" \t\r\n"
_CHUNK = 1 << 16
_SNIFF_LIMIT = 1 << 20

# Structural bytes of JSON. Multi-byte UTF-8 sequences never contain ASCII bytes,
# so scanning bytes (not characters) is safe.
_OUTSIDE_STRING = re.compile(rb'[\[\]{}",]')
# Inside an element only brackets matter: skip every other byte and every whole string in one C call.
# It stops at the next bracket, at a string not closed within the chunk (a '"'), or at the chunk's end.
_TO_BRACKET = re.compile(rb'[^"\[\]{}]*(?:"[^"\\]*(?:\\.[^"\\]*)*"[^"\[\]{}]*)*', re.DOTALL)
_INSIDE_STRING = re.compile(rb'["\\]')
_NON_WS = re.compile(rb"[^ \t\r\n]")

# Exceptions that mean "the compressed bytes are bad", as opposed to the disk failing.
_CORRUPT_GZIP = (gzip.BadGzipFile, EOFError, zlib.error)
CORRUPT_COMPRESSED = _CORRUPT_GZIP + (zipfile.BadZipFile,)

LINES = "lines"    # JSON Lines: one unit per non-blank line
VALUES = "values"  # top-level JSON values: an array's elements, or a whole object


@dataclass(frozen=True, slots=True)
class Unit:
    """One candidate input: `data` is its bytes, or only the first `keep` bytes if `problem` is set."""

    origin: str
    data: bytes
    size: int
    problem: str | None = None  # None, TOO_LARGE or CORRUPT_FILE (reason codes)
    detail: str = ""


def is_gzip(path: str) -> bool:
    with open(path, "rb") as f:
        return f.read(2) == GZIP_MAGIC


def _open(path: str, gz: bool) -> BinaryIO:
    return gzip.open(path, "rb") if gz else open(path, "rb")


def _chunks(f: BinaryIO, size: int, skip: int = 0) -> Iterator[bytes]:
    """The file's bytes without a leading UTF-8 BOM and the `skip` bytes after it, in pieces of at
    most `size` (>= 1).

    read1 returns what is already decompressed, so a truncated gzip still yields
    everything before the damage before the error surfaces.
    """
    head = b""
    while len(head) < len(UTF8_BOM):
        piece = f.read1(len(UTF8_BOM) - len(head))
        if not piece:
            break
        head += piece
    if head and head != UTF8_BOM:
        if skip < len(head):
            yield head[skip:]
        skip = max(0, skip - len(head))
    while True:
        chunk = f.read1(size)
        if not chunk:
            return
        if skip:
            cut = min(skip, len(chunk))
            chunk, skip = chunk[cut:], skip - cut
            if not chunk:
                continue
        yield chunk


def _first_significant_byte(path: str, gz: bool) -> bytes:
    """b'[' for a JSON array document, another byte for JSON Lines, b'' if blank/empty."""
    seen = 0
    with _open(path, gz) as f:
        for chunk in _chunks(f, 512):
            m = _NON_WS.search(chunk)
            if m:
                return chunk[m.start():m.start() + 1]
            seen += len(chunk)
            if seen > _SNIFF_LIMIT:
                break
    return b"{" if seen else b""


def iter_units(path: str, max_bytes: int, keep: int, chunk_size: int = _CHUNK) -> Iterator[Unit]:
    """The units of one plain or gzip file by its first byte alone: `[` values, else lines.

    The replay decides the layout from a wider sniff (file_shapes.py) and calls stream_units.
    """
    gz = is_gzip(path)
    try:
        first = _first_significant_byte(path, gz)
    except _CORRUPT_GZIP as exc:
        if not gz:
            raise
        yield Unit(f"{path}:gzip", b"", 0, CORRUPT_FILE, f"{type(exc).__name__}: {exc}")
        return
    if first:
        yield from stream_units(lambda: _open(path, gz), path, VALUES if first == b"[" else LINES,
                                max_bytes, keep, chunk_size)


def stream_units(opener: Callable[[], BinaryIO], origin: str, layout: str, max_bytes: int, keep: int,
                 chunk_size: int = _CHUNK, *, skip: int = 0, doc_bytes: int | None = None) -> Iterator[Unit]:
    """Yield the units of one byte stream laid out as LINES or VALUES (after `skip` bytes).

    Corrupt compressed content ends the stream with one corrupt_file unit. OSError other
    than bad compressed data (missing file, permission, I/O) propagates: the source itself
    is unreadable, which the caller reports, not the DLQ.
    """
    try:
        with opener() as f:
            if layout == VALUES:
                yield from _array_units(f, origin, max_bytes, keep, chunk_size, doc_bytes, skip)
            else:
                yield from _line_units(f, origin, max_bytes, keep)
    except CORRUPT_COMPRESSED as exc:
        yield Unit(f"{origin}:{'zip' if isinstance(exc, zipfile.BadZipFile) else 'gzip'}", b"", 0,
                   CORRUPT_FILE, f"{type(exc).__name__}: {exc}")


def _line_units(f: BinaryIO, path: str, max_bytes: int, keep: int) -> Iterator[Unit]:
    limit = max_bytes + 2  # room for the content plus "\r\n"
    line_no = 0
    while True:
        chunk = f.readline(limit)
        if not chunk:
            return
        line_no += 1
        complete = chunk.endswith(b"\n") or len(chunk) < limit  # ended by newline or EOF
        if line_no == 1 and chunk.startswith(UTF8_BOM):
            chunk = chunk[len(UTF8_BOM):]
        origin = f"{path}:{line_no}"
        if complete:
            content = chunk.strip(_WS)
            if not content:
                continue
            if len(content) <= max_bytes:
                yield Unit(origin, content, len(content))
                continue
        size = len(chunk.rstrip(b"\r\n"))
        head = chunk.lstrip(_WS)[:keep]
        while not chunk.endswith(b"\n"):
            chunk = f.readline(_CHUNK)
            if not chunk:
                break
            size += len(chunk.rstrip(b"\r\n"))
        yield Unit(origin, head, size, TOO_LARGE, f"{size} bytes > cap {max_bytes}")


class _Element:
    """Accumulates one array element's bytes up to `max_bytes`, then only counts them."""

    __slots__ = ("buf", "size", "over", "max_bytes", "keep")

    def __init__(self, max_bytes: int, keep: int) -> None:
        self.max_bytes, self.keep = max_bytes, keep
        self.buf = bytearray()
        self.size = 0
        self.over = False

    def add(self, piece: bytes) -> None:
        if not self.size:
            piece = piece.lstrip(_WS)
        if not piece:
            return
        self.size += len(piece)
        if self.over:
            return
        if len(self.buf) + len(piece) <= self.max_bytes:
            self.buf += piece
        else:
            self.over = True
            self.buf = (self.buf + piece)[:self.keep]

    def unit(self, origin: str) -> Unit:
        if self.over:
            return Unit(origin, bytes(self.buf), self.size, TOO_LARGE,
                        f"about {self.size} bytes > cap {self.max_bytes}")
        data = bytes(self.buf).rstrip(_WS)
        return Unit(origin, data, len(data))


def _array_units(f: BinaryIO, path: str, max_bytes: int, keep: int, chunk_size: int,
                 doc_bytes: int | None = None, skip: int = 0, first_only: bool = False) -> Iterator[Unit]:
    """Split a sequence of top-level JSON values into units by scanning structure bytes.

    An array's elements are units one by one (concatenated arrays `[..][..]` continue the
    element index); an object at the top level (a pretty-printed document) is one unit of at
    most `doc_bytes` (origin `path`, then `path:doc[k]` for the k-th one after the first);
    anything else at the top level becomes one unit that fails JSON decoding downstream.
    first_only: the stream starts at one array (an object's member); its elements are units
    `path[i]`, and reading stops where it closes.
    """
    doc_bytes = max_bytes if doc_bytes is None else doc_bytes

    def element_origin(i: int) -> str:
        return f"{path}[{i}]" if first_only else f"{path}:[{i}]"

    depth = 0
    in_string = escaped = False
    index = docs = 0
    elem: _Element | None = None  # the element (or whole object) being collected, None between values
    in_object = False  # collecting a top-level object whole, not an array's elements
    after_comma = False
    trailing: _Element | None = None
    for chunk in _chunks(f, chunk_size, skip):
        if trailing is not None:
            trailing.add(chunk)
            continue
        pos, n = 0, len(chunk)
        seg = 0  # start of the current unit's bytes within this chunk
        while pos < n:
            if in_string:
                if escaped:
                    escaped = False
                    pos += 1
                    continue
                m = _INSIDE_STRING.search(chunk, pos)
                if m is None:
                    pos = n
                    break
                pos = m.end()
                if chunk[m.start()] == 0x5C:  # backslash: skip the escaped byte
                    escaped = True
                else:
                    in_string = False
                continue
            if depth == 0:
                m = _NON_WS.search(chunk, pos)
                if m is None:
                    pos = n
                    break
                c = chunk[m.start()]
                if c == 0x7B:  # '{': a whole document
                    depth, in_object = 1, True
                    seg, pos = m.start(), m.end()
                    elem = _Element(doc_bytes, keep)
                    continue
                if c != 0x5B:  # not '[': junk after the value
                    trailing = _Element(max_bytes, keep)
                    trailing.add(chunk[m.start():])
                    pos = seg = n
                    break
                depth, in_object = 1, False
                pos = seg = m.end()
                elem = _Element(max_bytes, keep)
                after_comma = False
                continue
            if in_object or depth > 1:
                at = _TO_BRACKET.match(chunk, pos).end()
                if at >= n:
                    pos = n
                    break
                c, pos = chunk[at], at + 1
            else:
                m = _OUTSIDE_STRING.search(chunk, pos)
                if m is None:
                    pos = n
                    break
                c, pos = chunk[m.start()], m.end()
            if c == 0x22:  # '"'
                in_string = True
            elif c in (0x5B, 0x7B):  # '[' '{'
                depth += 1
            elif c in (0x5D, 0x7D):  # ']' '}'
                depth -= 1
                if depth == 0 and in_object:
                    elem.add(chunk[seg:pos])
                    yield elem.unit(path if not docs else f"{path}:doc[{docs}]")
                    docs += 1
                    elem = None
                    seg = pos
                elif depth == 0:
                    elem.add(chunk[seg:pos - 1])
                    if elem.size or after_comma:
                        yield elem.unit(element_origin(index))
                        index += 1
                    elem = None
                    seg = pos
                    if first_only:
                        return
            elif c == 0x2C:  # ',' between elements (only searched for at depth 1 of an array)
                elem.add(chunk[seg:pos - 1])
                yield elem.unit(element_origin(index))
                index += 1
                elem = _Element(max_bytes, keep)
                after_comma = True
                seg = pos
        if elem is not None:
            elem.add(chunk[seg:pos])
    if elem is not None and in_object:
        yield elem.unit(path if not docs else f"{path}:doc[{docs}]")  # unterminated: decoding judges it
    elif elem is not None and (elem.size or after_comma):
        yield elem.unit(element_origin(index))  # unterminated array: let decoding judge it
    if trailing is not None and trailing.size:
        yield trailing.unit(f"{path}:after-array")


# ---- the members of one big JSON object --------------------------------------------------------------
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_SCALAR_END = re.compile(rb'[,}\] \t\r\n]')


class BadStructure(ValueError):
    """The object is not well-formed JSON where its members meet (the caller rejects it whole)."""


@dataclass(frozen=True, slots=True)
class Member:
    """One member of a top-level object: where its value starts (offset after a BOM) and, when it is at
    most the cap (and not skipped), its bytes."""

    key: str
    offset: int
    first: int  # the value's first byte: ord('[') for an array
    value: bytes | None
    size: int


class _Reader:
    """A byte stream read through a buffer that keeps only what is not consumed yet."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self.chunks, self.buf, self.pos, self.base = chunks, b"", 0, 0

    def fill(self) -> bool:
        chunk = next(self.chunks, None)
        if chunk is None:
            return False
        self.base += self.pos
        self.buf, self.pos = self.buf[self.pos:] + chunk, 0
        return True

    def peek(self) -> int | None:
        """The next non-whitespace byte (not consumed), None at the end."""
        while True:
            m = _NON_WS.search(self.buf, self.pos)
            if m:
                self.pos = m.start()
                return self.buf[self.pos]
            self.pos = len(self.buf)
            if not self.fill():
                return None

    def expect(self, byte: int) -> None:
        if self.peek() != byte:
            raise BadStructure(f"expected {chr(byte)!r} at byte {self.base + self.pos}")
        self.pos += 1

    def value(self, cap: int) -> tuple[bytes | None, int]:
        """Consume one JSON value: (its bytes, or None if over `cap`; its size)."""
        first = self.peek()
        if first is None:
            raise BadStructure("the document ends inside a member")
        kept, size, over = bytearray(), 0, False

        def take(end: int) -> None:
            nonlocal size, over
            size += end - self.pos
            if not over:
                if size <= cap:
                    kept.extend(self.buf[self.pos:end])
                else:
                    over = True
                    kept.clear()
            self.pos = end

        if first == 0x22:  # a string: complete in the buffer before it is taken
            while (m := _STRING.match(self.buf, self.pos)) is None:
                if len(self.buf) - self.pos > max(cap, 1 << 20) or not self.fill():
                    raise BadStructure("a string that does not end")
            take(m.end())
        elif first in (0x5B, 0x7B):  # '[' '{'
            depth = 0
            while True:
                at = _TO_BRACKET.match(self.buf, self.pos).end()
                if at >= len(self.buf) or self.buf[at] == 0x22:  # buffer ends, or a string it cuts
                    take(at)
                    if not self.fill():
                        raise BadStructure("the document ends inside a value")
                    continue
                depth += 1 if self.buf[at] in (0x5B, 0x7B) else -1
                take(at + 1)
                if depth == 0:
                    break
        else:  # number, true, false, null
            while (m := _SCALAR_END.search(self.buf, self.pos)) is None:
                take(len(self.buf))
                if not self.fill():
                    break
            if m is not None:
                take(m.start())
        return (None if over else bytes(kept)), size


def object_members(opener: Callable[[], BinaryIO], cap: int, streamed: frozenset[str] = frozenset(),
                   chunk_size: int = _CHUNK) -> Iterator[Member]:
    """The members of the JSON object a stream starts with, one by one, never holding more than `cap`
    bytes of a value (values of keys in `streamed` are not kept at all: their arrays are read again by
    array_members). BadStructure where the members do not fit together."""
    with opener() as f:
        reader = _Reader(_chunks(f, chunk_size))
        reader.expect(0x7B)
        if reader.peek() == 0x7D:
            return
        while True:
            raw_key, _ = reader.value(1 << 16)
            try:
                key = json.loads(raw_key) if raw_key and raw_key[:1] == b'"' else None
            except ValueError:
                key = None
            if not isinstance(key, str):
                raise BadStructure(f"a member name that is not a string at byte {reader.base + reader.pos}")
            reader.expect(0x3A)  # ':'
            first = reader.peek()
            offset = reader.base + reader.pos
            value, size = reader.value(0 if key in streamed else cap)
            yield Member(key, offset, first if first is not None else -1, value, size)
            nxt = reader.peek()
            reader.pos += 1
            if nxt == 0x7D:
                return
            if nxt != 0x2C:
                raise BadStructure(f"expected ',' or '}}' at byte {reader.base + reader.pos - 1}")


def array_members(opener: Callable[[], BinaryIO], origin: str, offset: int, max_bytes: int, keep: int,
                  chunk_size: int = _CHUNK) -> Iterator[Unit]:
    """The elements of the array at `offset` (object_members' Member.offset), as `origin[i]` units."""
    with opener() as f:
        yield from _array_units(f, origin, max_bytes, keep, chunk_size, skip=offset, first_only=True)
