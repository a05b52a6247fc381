"""Every file shape the replay takes (docs/ingestion.md, "Accepted file shapes"), one small example each.

Each example is written here, from the shared v1.1 tweets where a real tweet helps; the counts are
records by shape, and a file of no known shape is one rejection, never one per line.
"""
from __future__ import annotations

import gzip
import io
import json
import zipfile
from pathlib import Path

import pytest

from ingestion.records import Record, Rejected
from ingestion.sources import file_shapes
from ingestion.sources.replay import ReplayStats, iter_records, replay

# Text that must survive byte for byte: CJK, emoji (outside the BMP), RTL, a ZWJ sequence, HTML escapes.
TEXTS = ["東京で銀行 #Santander &amp; 😀", "مرحبا بالعالم &lt;3", "שלום 👩‍👩‍👧 &gt; אבג", "plain &amp;amp; text"]


def v1(i: int, text: str = "hello") -> dict:
    return {"created_at": "Wed Oct 10 20:19:24 +0000 2018", "id": 1500000000000000000 + i,
            "id_str": str(1500000000000000000 + i), "full_text": text, "truncated": False,
            "user": {"id": 7, "id_str": "7", "screen_name": "ana", "name": "Ana"}, "lang": "und",
            "retweet_count": 0, "favorite_count": 1}


def v2(i: int, text: str = "olá") -> dict:
    return {"id": str(1600000000000000000 + i), "text": text, "author_id": "42", "lang": "pt",
            "created_at": "2024-01-01T00:00:00.000Z"}


def pretty(obj) -> bytes:
    return json.dumps(obj, ensure_ascii=False, indent=2).encode()


def run(path, **kwargs) -> tuple[list, ReplayStats]:
    stats = ReplayStats()
    items = list(replay(path, stats=stats, **kwargs))
    assert stats.reconciles and stats.read == len(items)
    return items, stats


def records(items) -> list[Record]:
    assert all(isinstance(i, Record) for i in items), [i for i in items if isinstance(i, Rejected)][:3]
    return items


def texts_survive(payloads: list[bytes], texts=TEXTS) -> None:
    """Each text's UTF-8 bytes appear unchanged in its payload (no \\u escapes, no unescaping)."""
    for payload, text in zip(payloads, texts):
        assert text.encode() in payload, (text, payload[:200])


# ---- JSON Lines -------------------------------------------------------------------------------------
def test_json_lines_of_tweets_and_of_response_pages(tmp_path):
    search = {"statuses": [v1(1), v1(2)], "search_metadata": {"count": 2}}
    page = {"data": [v2(1), v2(2)], "includes": {"users": [{"id": "42", "username": "ana"}]}, "meta": {}}
    lines = [json.dumps(v1(0)), json.dumps(search), json.dumps(page), json.dumps([v1(3), v1(4)])]
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join(lines) + "\n")
    items, stats = run(path)
    assert [i.origin.removeprefix(str(path)) for i in records(items)] == [
        ":1", ":2:statuses[0]", ":2:statuses[1]", ":3:data[0]", ":3:data[1]", ":4:[0]", ":4:[1]"]
    assert stats.streams_by_shape == {file_shapes.JSON_LINES: 1}
    assert stats.produced_by_shape[file_shapes.JSON_LINES] == 7


# ---- one JSON document, compact or pretty-printed ------------------------------------------------------
def test_pretty_printed_v11_search_response_is_its_tweets_not_its_lines(tmp_path, shared_data):
    """The issue's case: a saved search response, pretty-printed, was 15,482 line rejects."""
    shared = [json.loads(ln) for ln in
              (shared_data / "tweets/v1-streaming/original_format_examples.json").read_text().splitlines()]
    path = tmp_path / "search.json"
    path.write_bytes(pretty({"statuses": shared, "search_metadata": {"count": 100, "max_id_str": "1"}}))
    items, stats = run(path)
    assert len(records(items)) == len(shared) == 25 and stats.rejected == 0
    assert [json.loads(r.payload) for r in items] == shared
    assert all(b"\n" not in r.payload for r in items)
    assert items[3].origin == f"{path}:statuses[3]" and items[3].key == shared[3]["id_str"]
    assert stats.streams_by_shape == {file_shapes.JSON_DOCUMENT: 1}


def test_compact_search_response_and_v11_lookup_map(tmp_path):
    compact = tmp_path / "compact.json"
    compact.write_text(json.dumps({"statuses": [v1(1, TEXTS[0])], "search_metadata": {}}, ensure_ascii=False))
    lookup = tmp_path / "lookup.json"
    lookup.write_bytes(pretty({"id": {"1500000000000000002": v1(2), "1500000000000000003": None}}))
    (one,), _ = run(compact)
    texts_survive([one.payload], TEXTS[:1])
    items, _ = run(lookup)
    assert isinstance(items[0], Record) and items[0].key == "1500000000000000002"
    assert isinstance(items[1], Rejected) and items[1].reason == "not_a_tweet"


def test_pretty_printed_single_tweets_one_after_another(tmp_path):
    """`jq . tweets.jsonl > out.json`: documents back to back, each pretty-printed."""
    path = tmp_path / "jq.json"
    path.write_bytes(b"\n".join(pretty(v1(i, t)) for i, t in enumerate(TEXTS)) + b"\n")
    items, stats = run(path)
    assert [r.origin for r in records(items)] == [str(path)] + [f"{path}:doc[{k}]" for k in (1, 2, 3)]
    texts_survive([r.payload for r in items])
    # landed as received, minus the whitespace between tokens: the payload is one line
    assert items[0].payload == json.dumps(v1(0, TEXTS[0]), ensure_ascii=False, separators=(",", ":")).encode()


def test_v2_page_pretty_printed_inlines_its_includes(tmp_path):
    page = {"data": [v2(1, TEXTS[0]), {**v2(2), "author_id": "43"}],
            "includes": {"users": [{"id": "42", "username": "ana"}, {"id": "43", "username": "bia"}]},
            "meta": {"result_count": 2, "next_token": "x"}}
    path = tmp_path / "page.json"
    path.write_bytes(pretty(page))
    items, _ = run(path)
    messages = [json.loads(r.payload) for r in records(items)]
    assert [m["includes"]["users"] for m in messages] == [[{"id": "42", "username": "ana"}],
                                                          [{"id": "43", "username": "bia"}]]
    assert messages[0]["data"]["text"] == TEXTS[0] and "meta" not in messages[0]


# ---- JSON arrays -------------------------------------------------------------------------------------
@pytest.mark.parametrize("layout", ["compact", "pretty"])
def test_arrays_of_tweets_timeline_or_tweepy_dump(tmp_path, layout):
    tweets = [v1(i, t) for i, t in enumerate(TEXTS)] + [v2(9)]
    path = tmp_path / "timeline.json"
    path.write_bytes(pretty(tweets) if layout == "pretty" else json.dumps(tweets, ensure_ascii=False).encode())
    items, stats = run(path)
    assert [r.origin for r in records(items)] == [f"{path}:[{i}]" for i in range(5)]
    assert [r.format for r in items] == ["v1"] * 4 + ["v2"]
    texts_survive([r.payload for r in items])
    assert [json.loads(r.payload) for r in items] == tweets
    assert stats.streams_by_shape == {file_shapes.JSON_ARRAY: 1}


def test_an_array_of_saved_response_pages(tmp_path):
    pages = [{"statuses": [v1(1)], "search_metadata": {}}, {"data": [v2(1)], "meta": {}}]
    path = tmp_path / "pages.json"
    path.write_bytes(pretty(pages))
    items, _ = run(path)
    assert [r.origin.removeprefix(str(path)) for r in records(items)] == [":[0]:statuses[0]", ":[1]:data[0]"]


# ---- the X account archive ------------------------------------------------------------------------------
ACCOUNT_JS = b"""window.YTD.account.part0 = [
  {
    "account" : {
      "email" : "owner@example.com",
      "createdVia" : "web",
      "username" : "owner_handle",
      "accountId" : "990000000000000007",
      "createdAt" : "2012-03-04T05:06:07.000Z",
      "accountDisplayName" : "Owner Name"
    }
  }
]"""


def archive_tweet(i: int, text: str) -> dict:
    """An entry of data/tweets.js as X writes it: numbers as strings, no user, a `tweet` wrapper."""
    tid = str(1700000000000000000 + i)
    return {"tweet": {"edit_info": {"initial": {"editTweetIds": [tid], "editableUntil": "2023-01-01T00:30:00.000Z",
                                                "editsRemaining": "5", "isEditEligible": False}},
                      "retweeted": False, "source": "<a href=\"https://mobile.twitter.com\">Twitter Web App</a>",
                      "entities": {"hashtags": [], "symbols": [], "user_mentions": [], "urls": []},
                      "display_text_range": ["0", str(len(text))], "favorite_count": "3", "id_str": tid,
                      "truncated": False, "retweet_count": "0", "id": tid,
                      "created_at": "Sun Jan 01 00:00:00 +0000 2023", "favorited": False,
                      "full_text": text, "lang": "en",
                      "coordinates": {"type": "Point", "coordinates": ["-3.70379", "40.41678"]}}}


def tweets_js(texts=TEXTS, name: str = "tweets") -> bytes:
    # X's own layout: `window.YTD.tweets.part0 = [ {...}, ... ]`, spaces before the colons
    body = json.dumps([archive_tweet(i, t) for i, t in enumerate(texts)], ensure_ascii=False, indent=2)
    return f"window.YTD.{name}.part0 = ".encode() + body.replace('": ', '" : ').encode()


def check_archive_records(items) -> None:
    payloads = [json.loads(r.payload) for r in records(items)]
    assert [p["full_text"] for p in payloads] == TEXTS  # raw keeps &amp; as X wrote it
    assert all(p["user"] == {"id_str": "990000000000000007", "screen_name": "owner_handle", "name": "Owner Name"}
               for p in payloads)
    assert all(b"owner@example.com" not in r.payload for r in items)
    assert payloads[0]["favorite_count"] == 3 and payloads[0]["coordinates"]["coordinates"] == [-3.70379, 40.41678]
    assert [r.key for r in items] == [str(1700000000000000000 + i) for i in range(len(TEXTS))]
    texts_survive([r.payload for r in items])


def test_x_archive_tweets_js_with_account_js_beside_it(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "tweets.js").write_bytes(tweets_js())
    (data / "account.js").write_bytes(ACCOUNT_JS)
    items, stats = run(data / "tweets.js")
    check_archive_records(items)
    assert stats.streams_by_shape == {file_shapes.X_ARCHIVE: 1}


def test_x_archive_tweets_js_alone_is_one_rejection_naming_the_fix(tmp_path):
    (tmp_path / "tweet.js").write_bytes(tweets_js(name="tweet"))  # older archives: tweet.js
    (item,), _ = run(tmp_path / "tweet.js")
    assert item.reason == "missing_user" and "account.js" in item.message


def test_x_archive_zip_replays_only_its_tweets(tmp_path):
    path = tmp_path / "twitter-2023-01-02-abc.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("data/tweets.js", tweets_js())
        z.writestr("data/account.js", ACCOUNT_JS)
        z.writestr("data/like.js", b'window.YTD.like.part0 = [ { "like" : { "tweetId" : "1", "fullText" : "x" } } ]')
        z.writestr("data/direct-messages.js", b"window.YTD.direct_messages.part0 = [ ]")
        z.writestr("data/tweets_media/1-a.jpg", b"\xff\xd8\xff")
        z.writestr("Your archive.html", b"<html></html>")
    items, stats = run(path)
    check_archive_records(items)
    assert items[0].origin == f"{path}!data/tweets.js:[0]"
    assert stats.streams_by_shape == {file_shapes.X_ARCHIVE: 1}


def test_other_archive_files_are_one_rejection_each(tmp_path):
    path = tmp_path / "like.js"
    path.write_bytes(b'window.YTD.like.part0 = [\n  {\n    "like" : {\n      "tweetId" : "1"\n    }\n  }\n]')
    (item,), _ = run(path)
    assert item.reason == "unknown_shape" and "'like'" in item.message and "tweets.js" in item.message


# ---- wrappers ------------------------------------------------------------------------------------------
def test_gzip_and_zip_wrap_any_shape(tmp_path):
    search = pretty({"statuses": [v1(1, TEXTS[1]), v1(2)], "search_metadata": {}})
    gz = tmp_path / "search.json.gz"
    gz.write_bytes(gzip.compress(search))
    (a, b), stats = run(gz)
    assert (a.origin, b.key) == (f"{gz}:statuses[0]", "1500000000000000002")
    texts_survive([a.payload], TEXTS[1:2])
    assert stats.streams_by_shape == {file_shapes.JSON_DOCUMENT: 1}

    z = tmp_path / "export.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("a/search.json", search)
        zf.writestr("b/lines.jsonl.gz", gzip.compress(json.dumps(v2(1)).encode() + b"\n"))
        zf.writestr("c/notes.txt", b"these are my notes, not tweets, sorry")
        zf.writestr("__MACOSX/a/._search.json", b"\x00\x05\x16\x07")
    items, stats = run(z)
    assert [i.origin.removeprefix(str(z)) for i in items] == [
        "!a/search.json:statuses[0]", "!a/search.json:statuses[1]", "!b/lines.jsonl.gz:1", "!c/notes.txt"]
    assert items[-1].reason == "unknown_shape"
    assert stats.streams_by_shape == {file_shapes.JSON_DOCUMENT: 1, file_shapes.JSON_LINES: 1,
                                      file_shapes.UNKNOWN: 1}


def test_corrupt_zip_is_one_rejection(tmp_path):
    path = tmp_path / "broken.zip"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    (item,), _ = run(path)
    assert item.reason == "corrupt_file" and item.origin == f"{path}:zip"


# ---- what is not a tweet export ------------------------------------------------------------------------
@pytest.mark.parametrize("content, seen", [
    (b"id,text,created_at\n1,hello,2024-01-01\n" * 5000, "CSV"),
    (b"<!DOCTYPE html><html><body>saved page</body></html>\n" * 100, "HTML"),
    ("[1, 2]".encode("utf-16"), "UTF-16"),
    (b"just some notes\nabout tweets\n" * 1000, "not JSON"),
])
def test_a_file_of_no_known_shape_is_one_error_naming_it(tmp_path, content, seen):
    path = tmp_path / "export.json"
    path.write_bytes(content)
    (item,), stats = run(path)
    assert item.reason == "unknown_shape" and str(path) in item.message and seen in item.message
    assert stats.streams_by_shape == {file_shapes.UNKNOWN: 1}


def test_partly_bad_files_keep_every_valid_tweet(tmp_path):
    good = [v1(i, t) for i, t in enumerate(TEXTS)]
    broken = b'{"id_str": "1500000000000000099", "text": "cut", "user": {"id_str": nope}}'
    latin1 = json.dumps(v1(8, "caf\u00e9"), ensure_ascii=False).encode("latin-1")
    path = tmp_path / "partly.json"
    path.write_bytes(b"[\n" + b",\n".join([pretty(good[0]), broken, pretty(good[1]), latin1, pretty(good[2]),
                                            pretty(good[3])]) + b"\n]\n")
    items, stats = run(path)
    assert [i.reason if isinstance(i, Rejected) else "ok" for i in items] == [
        "ok", "invalid_json", "ok", "invalid_utf8", "ok", "ok"]
    texts_survive([i.payload for i in items if isinstance(i, Record)])
    assert stats.by_reason == {"invalid_json": 1, "invalid_utf8": 1}


@pytest.mark.parametrize("indent", [2, 0])
def test_a_document_over_the_cap_is_streamed_member_by_member(tmp_path, indent):
    """Over max_document_bytes, a search response or v2 page is read twice, never whole: its small
    members first (a page's includes), then its array of tweets element by element. (A compact
    document on one line is a JSON Lines file of one line: its cap is max_line_bytes.)"""
    def dump(obj) -> bytes:
        return json.dumps(obj, ensure_ascii=False, indent=indent).encode()

    search = tmp_path / "big-search.json"
    search.write_bytes(dump({"search_metadata": {"count": 50}, "statuses": [v1(i, TEXTS[i % 4]) for i in range(50)],
                             "extra": [1, "]", {"a": "}"}]}))
    items, _ = run(search, max_document_bytes=4096)
    assert [r.origin for r in records(items)] == [f"{search}:statuses[{i}]" for i in range(50)]
    assert [json.loads(r.payload) for r in items] == [v1(i, TEXTS[i % 4]) for i in range(50)]
    texts_survive([r.payload for r in items[:4]])

    page = tmp_path / "big-page.json"
    users = [{"id": str(40 + i), "username": f"u{i}"} for i in range(3)]
    page.write_bytes(dump({"data": [{**v2(i), "author_id": str(40 + i % 3)} for i in range(40)] + ["not a tweet"],
                           "includes": {"users": users}, "meta": {"result_count": 40}}))
    items, stats = run(page, max_document_bytes=4096)
    assert [i.reason if isinstance(i, Rejected) else "ok" for i in items] == ["ok"] * 40 + ["not_a_tweet"]
    assert [json.loads(r.payload)["includes"]["users"] for r in items[:3]] == [[u] for u in users]
    assert items[7].origin == f"{page}:data[7]"


def test_a_big_document_without_tweets_to_stream_is_one_rejection(tmp_path):
    path = tmp_path / "big.json"
    path.write_bytes(pretty({"users": [{"id": str(i), "name": "x" * 50} for i in range(100)]}))
    (item,), _ = run(path, max_document_bytes=4096)
    assert item.reason == "too_large" and "keys: users" in item.message
    broken = tmp_path / "broken.json"
    broken.write_bytes(pretty({"statuses": [v1(i) for i in range(30)]})[:-40])
    (item,), _ = run(broken, max_document_bytes=4096)
    assert item.reason == "too_large" and "member by member" in item.message


# ---- nested tweets ---------------------------------------------------------------------------------------
def test_retweeted_and_quoted_tweets_stay_inside_their_tweet(tmp_path):
    rt = {**v1(1, "RT @b: original"), "retweeted_status": v1(2, "original"), "quoted_status": v1(3, "quoted")}
    path = tmp_path / "rt.json"
    path.write_bytes(pretty([rt]))
    (item,), _ = run(path)
    assert item.key == rt["id_str"] and json.loads(item.payload)["retweeted_status"] == v1(2, "original")


# ---- the reader other sources reuse ----------------------------------------------------------------------
def test_iter_records_reads_one_file_with_the_same_rules(tmp_path):
    path = tmp_path / "s.json"
    path.write_bytes(pretty({"statuses": [v1(1)], "search_metadata": {}}))
    stats = ReplayStats()
    (item,) = list(iter_records(path, stats=stats))
    assert item.key == "1500000000000000001" and stats.produced_by_shape == {file_shapes.JSON_DOCUMENT: 1}


# ---- bounded memory -------------------------------------------------------------------------------------
def test_a_big_pretty_printed_array_streams_in_bounded_memory(tmp_path):
    """8 MiB here (the 1 GiB case is lake/bench/ingest/replay_stream.py): the peak of what Python
    allocates stays a small constant, far below the file, whatever its size."""
    import tracemalloc

    from lake.bench.ingest.replay_stream import write_pretty_array

    path = tmp_path / "big.json"
    count = write_pretty_array(path, 8 << 20)
    tracemalloc.start()
    try:
        stats = ReplayStats()
        for _ in replay(path, stats=stats):
            pass
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert stats.produced == count and stats.rejected == 0
    assert peak < 2 << 20, f"peak {peak / 2**20:.1f} MiB while replaying a {path.stat().st_size >> 20} MiB array"


def test_a_folder_walk_takes_an_unzipped_archive_s_tweets_only(tmp_path):
    data = tmp_path / "archive" / "data"
    data.mkdir(parents=True)
    (data / "tweets.js").write_bytes(tweets_js())
    (data / "tweets-part1.js").write_bytes(tweets_js(TEXTS[:1]).replace(b"part0", b"part1"))
    (data / "account.js").write_bytes(ACCOUNT_JS)
    (data / "direct-messages.js").write_bytes(b"window.YTD.direct_messages.part0 = [ ]")
    (data / "like.js").write_bytes(b"window.YTD.like.part0 = [ ]")
    items, stats = run(tmp_path / "archive")
    assert len(records(items)) == len(TEXTS) + 1 and stats.files == 2


def test_a_gzip_broken_from_its_first_bytes_is_reported_not_skipped(tmp_path):
    path = tmp_path / "cut.json.gz"
    path.write_bytes(gzip.compress(pretty([v1(1)]))[:12])
    (item,), _ = run(path)
    assert item.reason == "corrupt_file" and item.origin == f"{path}:gzip"


def test_an_encrypted_or_damaged_zip_member_is_one_rejection(tmp_path):
    path = tmp_path / "damaged.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("a.json", pretty([v1(1)]))
    data = bytearray(path.read_bytes())
    data[0:4] = b"PK\x03\x04"
    data[26:28] = b"\xff\xff"  # the member's local header now claims a 65,535-byte name
    path.write_bytes(bytes(data))
    items, _ = run(path)
    assert [i.reason for i in items] == ["corrupt_file"]


def test_json_lines_or_document_is_decided_by_whole_lines(tmp_path):
    """JSON Lines whose first line is cut still reads line by line; a document with one compact
    element per line is still one document."""
    cut = tmp_path / "cut.jsonl"
    cut.write_bytes(json.dumps(v1(0)).encode()[:40] + b"\n" + b"\n".join(json.dumps(v1(i)).encode() for i in (1, 2)))
    items, stats = run(cut)
    assert [i.reason if isinstance(i, Rejected) else "ok" for i in items] == ["invalid_json", "ok", "ok"]
    assert stats.streams_by_shape == {file_shapes.JSON_LINES: 1}
    doc = tmp_path / "doc.json"
    doc.write_bytes(b'{"statuses": [\n' + json.dumps(v1(1)).encode() + b"\n], \"search_metadata\": {}}\n")
    (item,), stats = run(doc)
    assert item.origin == f"{doc}:statuses[0]" and stats.streams_by_shape == {file_shapes.JSON_DOCUMENT: 1}
