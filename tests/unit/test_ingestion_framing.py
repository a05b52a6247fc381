"""Cutting files into units: JSON Lines, JSON arrays at any chunk boundary, gzip, size caps."""
from __future__ import annotations

import gzip
import json

import pytest

from ingestion.sources.framing import iter_units

CAP, KEEP = 1000, 64
TRICKY = [
    {"id": "1", "text": "commas, [brackets] and {braces}", "n": [1, [2, {"a": "]"}]]},
    {"id": "2", "text": "escaped \"quote\" and backslash \\", "e": "\\\\\"]"},
    {"id": "3", "text": "unicode ção 🙂 \u2028", "empty": {}, "list": []},
]


def units(path, max_bytes=CAP, keep=KEEP, chunk_size=1 << 16):
    return list(iter_units(str(path), max_bytes, keep, chunk_size))


@pytest.mark.parametrize("chunk_size", [1, 2, 3, 7, 64, 1 << 16])
def test_array_elements_split_exactly_at_any_chunk_size(tmp_path, chunk_size):
    path = tmp_path / "a.json"
    elements = [json.dumps(o, ensure_ascii=False, indent=1).encode() for o in TRICKY]
    path.write_bytes(b"\xef\xbb\xbf [\n" + b" ,\n".join(elements) + b"\n]\n")
    got = units(path, chunk_size=chunk_size)
    assert [u.data for u in got] == elements
    assert [u.origin for u in got] == [f"{path}:[{i}]" for i in range(3)]
    assert all(u.problem is None for u in got)


@pytest.mark.parametrize("chunk_size", [1, 5, 1 << 16])
def test_array_oversized_element_is_skipped_not_buffered(tmp_path, chunk_size):
    path = tmp_path / "big.json"
    big = json.dumps({"id": "9", "text": "x" * 5000}).encode()
    path.write_bytes(b"[" + big + b',{"id":"10"}]')
    first, second = units(path, chunk_size=chunk_size)
    assert first.problem == "too_large" and first.size == len(big) and first.data == big[:KEEP]
    assert second.data == b'{"id":"10"}' and second.problem is None


def test_array_edge_shapes(tmp_path):
    cases = {
        b"[]": [],
        b"  [ ]  ": [],
        b"[1,,2]": [b"1", b"", b"2"],
        b"[1,]": [b"1", b""],
        b'[{"a":1}': [b'{"a":1}'],  # unterminated array: the element is still whole
        b'[{"a":1},{"b":': [b'{"a":1}', b'{"b":'],
        b"[1][2]": [b"1", b"2"],  # concatenated arrays continue the index
        b"[1] junk": [b"1", b"junk"],
    }
    for content, expected in cases.items():
        path = tmp_path / "case.json"
        path.write_bytes(content)
        assert [u.data for u in units(path)] == expected, content


def test_lines_skip_blanks_strip_crlf_and_bom(tmp_path):
    path = tmp_path / "l.jsonl"
    path.write_bytes(b'\xef\xbb\xbf{"a":1}\r\n\r\n   \n  {"b":2}  \n{"c":3}')
    got = units(path)
    assert [(u.origin.rsplit(":", 1)[1], u.data) for u in got] == [
        ("1", b'{"a":1}'), ("4", b'{"b":2}'), ("5", b'{"c":3}')]


def test_line_at_the_cap_passes_and_one_byte_more_is_too_large(tmp_path):
    path = tmp_path / "cap.jsonl"
    fits, over = b"x" * CAP, b"y" * (CAP + 1)
    path.write_bytes(fits + b"\r\n" + over + b"\n" + fits)
    got = units(path)
    assert [(u.problem, u.size) for u in got] == [(None, CAP), ("too_large", CAP + 1), (None, CAP)]
    assert got[1].data == over[:KEEP]


def test_gzip_is_detected_by_content_and_corruption_ends_the_file(tmp_path):
    lines = b"".join(b'{"n":%d}\n' % i for i in range(2000))
    whole = gzip.compress(lines)
    good, cut = tmp_path / "named-plain.jsonl", tmp_path / "cut.jsonl.gz"
    good.write_bytes(whole)
    cut.write_bytes(whole[: len(whole) // 2])
    assert len(units(good)) == 2000
    got = units(cut)
    assert got[-1].problem == "corrupt_file" and got[-1].origin == f"{cut}:gzip"
    assert all(u.problem is None for u in got[:-1]) and 0 < len(got) - 1 < 2000


def test_empty_and_blank_files_have_no_units(tmp_path):
    for name, content in {"e.json": b"", "b.jsonl": b" \n\n\t\n", "g.json.gz": gzip.compress(b"")}.items():
        path = tmp_path / name
        path.write_bytes(content)
        assert units(path) == []


@pytest.mark.parametrize("chunk_size", [1, 2, 3, 7, 64, 1 << 16])
def test_object_members_and_one_member_s_array_at_any_chunk_size(tmp_path, chunk_size):
    from ingestion.sources.framing import array_members, object_members

    doc = {"meta": {"a": "} ] , \\\" x"}, "n": -1.5e3, "t": True, "s": 'a\\"b',
           "statuses": TRICKY, "after": [1, {"b": "]"}]}
    path = tmp_path / "doc.json"
    path.write_bytes(b"\xef\xbb\xbf " + json.dumps(doc, ensure_ascii=False, indent=1).encode())
    members = list(object_members(lambda: open(path, "rb"), 1000, frozenset({"statuses"}), chunk_size))
    assert [m.key for m in members] == list(doc)
    assert [json.loads(m.value) for m in members if m.key != "statuses"] == [v for k, v in doc.items()
                                                                            if k != "statuses"]
    statuses = next(m for m in members if m.key == "statuses")
    assert statuses.value is None and statuses.first == ord("[")
    got = list(array_members(lambda: open(path, "rb"), f"{path}:statuses", statuses.offset, CAP, KEEP, chunk_size))
    assert [json.loads(u.data) for u in got] == TRICKY
    assert [u.origin for u in got] == [f"{path}:statuses[{i}]" for i in range(3)]
