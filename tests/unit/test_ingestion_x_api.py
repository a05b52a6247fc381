"""SOURCE=x against a real local HTTP server speaking the v2 recent-search API with real pages.

The server (http.server in a thread on 127.0.0.1) serves whole response pages from
the shared twarc test data (`__twarc` stripped, `meta.next_token` re-chained); the
only hook into tweepy is the base URL (`api_base`). Nothing of tweepy is mocked.
"""
from __future__ import annotations

import json
import logging
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable
from urllib.parse import parse_qs, urlsplit

import pytest

from ingestion.sources import x_api
from ingestion.records import Record, Rejected
from ingestion.sources.replay import SourceError, items_from_json
from ingestion.sources.x_api import (AuthError, CollectStats, MissingTokenError, XSourceError, collect,
                                     load_checkpoint, save_checkpoint)

TOKEN = "test-bearer-token"
ROUTE = "/2/tweets/search/recent"
# Real search/recent pages, newest first: 2sets.jsonl has two, noflat.jsonl one (older).
PAGE_LINES = [("2sets.jsonl", 0), ("2sets.jsonl", 1), ("noflat.jsonl", 0)]
UNAUTHORIZED = {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"}

Fault = Callable[[], tuple[int, dict, bytes]]


@pytest.fixture(scope="module")
def real_pages(shared_data) -> list[dict]:
    """The API's own pages as the server keeps them (twarc's `__twarc` bookkeeping removed)."""
    pages = []
    for name, index in PAGE_LINES:
        lines = (shared_data / "tweets" / "v2-twarc" / "test-data" / name).read_text().splitlines()
        page = json.loads(lines[index])
        page.pop("__twarc", None)
        assert page["data"] and page["meta"]["next_token"]
        pages.append(page)
    return pages


class FakeX:
    """The recent-search endpoint over a timeline of pages (newest first).

    Pages are chained by their own real `meta.next_token`s (the last page loses
    its token). With `since_id` only newer tweets are served, re-paged the same way,
    and a page-less answer is the API's `{"meta": {"result_count": 0}}`.
    `faults[n]` answers the n-th request (1-based) instead of the normal handler.
    """

    def __init__(self, pages: list[dict], token: str = TOKEN) -> None:
        self.pages = pages
        self.token = token
        self.requests: list[dict] = []
        self.faults: dict[int, Fault] = {}
        self.served: list[dict] = []  # the JSON bodies of the 200 answers, in order
        self.lock = threading.Lock()

    def view(self, since_id: int | None) -> list[dict]:
        pages = []
        for page in self.pages:
            data = [t for t in page["data"] if since_id is None or int(t["id"]) > since_id]
            if not data:
                continue
            page = dict(page, data=data)
            ids = [int(t["id"]) for t in data]
            page["meta"] = dict(page["meta"], result_count=len(data), newest_id=str(max(ids)),
                                oldest_id=str(min(ids)))
            pages.append(page)
        for i, page in enumerate(pages):
            if i == len(pages) - 1:
                page["meta"] = {k: v for k, v in page["meta"].items() if k != "next_token"}
        return pages

    def answer(self, path: str, params: dict, headers: dict) -> tuple[int, dict, bytes]:
        with self.lock:
            self.requests.append({"path": path, "params": params, "headers": headers})
            n = len(self.requests)
        if n in self.faults:
            return self.faults[n]()
        if headers.get("Authorization") != f"Bearer {self.token}":
            return 401, {}, json.dumps(UNAUTHORIZED).encode()
        if path != ROUTE:
            return 404, {}, b'{"title":"Not Found Error","status":404}'
        since = params.get("since_id")
        pages = self.view(int(since) if since else None)
        if not pages:
            body = {"meta": {"result_count": 0}}
        else:
            index = 0
            if "next_token" in params:
                tokens = [p["meta"].get("next_token") for p in pages]
                index = tokens.index(params["next_token"]) + 1
            body = pages[index]
        with self.lock:
            self.served.append(body)
        return 200, {}, json.dumps(body).encode()


@pytest.fixture
def fake_x(real_pages):
    api = FakeX(list(real_pages))

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            url = urlsplit(self.path)
            params = {k: v[0] if len(v) == 1 else v for k, v in parse_qs(url.query).items()}
            status, headers, body = api.answer(url.path, params, dict(self.headers))
            self.send_response(status)
            self.send_header("content-type", "application/json; charset=utf-8")
            self.send_header("content-length", str(len(body)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            try:
                self.wfile.write(body)
            except OSError:
                pass  # the client gave up (timeout test)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.handle_error = lambda *args: None
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    api.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield api
    server.shutdown()
    server.server_close()


def run(api: FakeX, **kwargs) -> tuple[list, CollectStats]:
    kwargs.setdefault("bearer_token", TOKEN)
    stats = CollectStats()
    items = list(collect(api_base=api.url, stats=stats, **kwargs))
    assert stats.reconciles and stats.read == len(items)
    return items, stats


def tweet_ids(pages: list[dict]) -> list[str]:
    return [t["id"] for p in pages for t in p.get("data", [])]


def one_line(exc: BaseException) -> str:
    text = str(exc)
    assert text and "\n" not in text
    return text


# --------------------------------------------------------------------------- pagination


def test_pages_all_fetched_with_the_expected_request(fake_x, real_pages):
    items, stats = run(fake_x)
    served = fake_x.served
    assert len(served) == len(real_pages) == stats.pages == len(fake_x.requests) == 3
    assert all(isinstance(i, Record) for i in items)
    assert len(items) == sum(len(p["data"]) for p in served) == 300
    assert [i.key for i in items] == tweet_ids(served)
    assert stats.complete and stats.since_id is None
    assert stats.newest_id == real_pages[0]["meta"]["newest_id"]

    first = fake_x.requests[0]
    assert first["path"] == ROUTE
    assert first["headers"]["Authorization"] == f"Bearer {TOKEN}"
    params = first["params"]
    assert params["query"] == "#Santander"
    assert params["max_results"] == "100"
    assert set(params["expansions"].split(",")) == {
        "author_id", "geo.place_id", "referenced_tweets.id", "entities.mentions.username"}
    assert set(params["tweet.fields"].split(",")) == {
        "created_at", "lang", "public_metrics", "entities", "geo", "referenced_tweets", "conversation_id",
        "in_reply_to_user_id", "author_id", "possibly_sensitive", "source", "note_tweet"}
    assert set(params["user.fields"].split(",")) == {
        "username", "name", "location", "verified", "public_metrics", "created_at"}
    assert set(params["place.fields"].split(",")) == {
        "full_name", "country", "country_code", "geo", "place_type", "name"}
    assert "next_token" not in params and "since_id" not in params
    for previous, request in zip(served, fake_x.requests[1:]):
        assert request["headers"]["Authorization"] == f"Bearer {TOKEN}"
        assert request["params"]["next_token"] == previous["meta"]["next_token"]
        assert {k: v for k, v in request["params"].items() if k != "next_token"} == params
    assert "next_token" not in served[-1]["meta"]


def test_page_items_are_exactly_what_replay_makes_of_the_same_page(fake_x):
    items, _ = run(fake_x, query="brexit OR kpop")
    assert fake_x.requests[0]["params"]["query"] == "brexit OR kpop"
    expected = []
    for n, page in enumerate(fake_x.served, start=1):
        expected += list(items_from_json(json.dumps(page).encode(), f"api:page={n}"))
    assert items == expected
    assert items[0].origin == "api:page=1:data[0]" and items[-1].origin == "api:page=3:data[99]"
    message = json.loads(items[0].payload)
    assert set(message) <= {"data", "includes", "errors"}  # meta dropped, includes per tweet
    assert message["data"]["author_id"] in {u["id"] for u in message["includes"]["users"]}


def test_max_pages_stops_early_and_says_so(fake_x, tmp_path, capsys):
    checkpoint = tmp_path / "x.json"
    items, stats = run(fake_x, max_pages=2, checkpoint_path=checkpoint)
    assert stats.pages == 2 and len(fake_x.requests) == 2 and len(items) == 200
    assert not stats.complete and stats.committed
    assert json.loads(checkpoint.read_text())["since_id"] == fake_x.served[0]["meta"]["newest_id"]
    assert "stopped after 2 page(s)" in capsys.readouterr().err


def test_default_client_talks_to_the_real_host_only():
    client = x_api.make_client("t")
    adapter = client.session.get_adapter(x_api.TWEEPY_HOST + ROUTE)
    assert isinstance(adapter, x_api._XAdapter) and adapter.api_base is None
    assert x_api.options_from_env({"X_BEARER_TOKEN": "t"})["api_base"] is None
    env = {"X_API_BASE": "http://127.0.0.1:1/", "X_MAX_PAGES": "3", "X_QUERY": "q", "LAKE_VAR_DIR": "/v"}
    options = x_api.options_from_env(env)
    assert options["api_base"] == "http://127.0.0.1:1/" and options["max_pages"] == 3
    assert options["query"] == "q" and options["checkpoint_path"] == Path("/v/data/ingestion/x_checkpoint.json")


def test_api_base_with_trailing_slash_and_token_from_env(fake_x, monkeypatch):
    monkeypatch.setenv("X_BEARER_TOKEN", TOKEN)
    items = list(collect(api_base=fake_x.url + "/", max_pages=1))
    assert len(items) == 100 and fake_x.requests[0]["path"] == ROUTE


# --------------------------------------------------------------------------- since_id checkpoint


def test_checkpoint_makes_the_next_run_fetch_only_newer_posts(fake_x, real_pages, tmp_path):
    checkpoint = tmp_path / "state" / "x_checkpoint.json"
    fake_x.pages = [real_pages[2]]  # only the older page exists yet
    items, stats = run(fake_x, checkpoint_path=checkpoint)
    assert len(items) == 100 and stats.committed
    state = json.loads(checkpoint.read_text())
    assert state["since_id"] == real_pages[2]["meta"]["newest_id"] == stats.newest_id
    assert state["query"] == "#Santander" and state["version"] == 1
    assert list(checkpoint.parent.iterdir()) == [checkpoint]  # no temp file left

    fake_x.pages = list(real_pages)  # newer posts arrived
    fake_x.requests.clear(); fake_x.served.clear()
    items, stats = run(fake_x, checkpoint_path=checkpoint)
    assert all(r["params"]["since_id"] == state["since_id"] for r in fake_x.requests)
    assert len(fake_x.requests) == 2  # the old page had nothing newer
    assert [i.key for i in items] == tweet_ids(real_pages[:2])
    assert all(int(i.key) > int(state["since_id"]) for i in items)
    newest = real_pages[0]["meta"]["newest_id"]
    assert json.loads(checkpoint.read_text())["since_id"] == newest == stats.newest_id

    fake_x.requests.clear()
    items, stats = run(fake_x, checkpoint_path=checkpoint)  # nothing new: empty answer
    assert items == [] and fake_x.requests[0]["params"]["since_id"] == newest
    assert stats.pages == 1 and stats.complete
    assert json.loads(checkpoint.read_text())["since_id"] == newest


def test_failed_or_abandoned_run_does_not_advance_the_checkpoint(fake_x, real_pages, tmp_path):
    checkpoint = tmp_path / "x_checkpoint.json"
    fake_x.pages = [real_pages[2]]
    run(fake_x, checkpoint_path=checkpoint)
    before = checkpoint.read_bytes()

    fake_x.pages = list(real_pages)
    fake_x.requests.clear()
    fake_x.faults[2] = lambda: (503, {}, b'{"title":"Service Unavailable","detail":"Service Unavailable","status":503}')
    got = []
    with pytest.raises(XSourceError) as failed:
        for item in collect(bearer_token=TOKEN, checkpoint_path=checkpoint, api_base=fake_x.url):
            got.append(item)
    assert len(got) == 100  # page 1 was handed out before page 2 failed
    assert "503" in one_line(failed.value) and "not advanced" in str(failed.value)
    assert checkpoint.read_bytes() == before

    fake_x.faults.clear()
    items = collect(bearer_token=TOKEN, checkpoint_path=checkpoint, api_base=fake_x.url)
    next(items)
    items.close()  # the consumer stopped: not a finished run
    assert checkpoint.read_bytes() == before
    assert list(tmp_path.iterdir()) == [checkpoint]

    items, stats = run(fake_x, checkpoint_path=checkpoint)  # the retry catches up
    assert len(items) == 200 and stats.committed
    assert json.loads(checkpoint.read_text())["since_id"] == real_pages[0]["meta"]["newest_id"]


def test_commit_false_leaves_the_write_to_the_caller(fake_x, tmp_path):
    checkpoint = tmp_path / "x.json"
    items, stats = run(fake_x, checkpoint_path=checkpoint, commit=False)
    assert len(items) == 300 and not checkpoint.exists() and not stats.committed
    save_checkpoint(checkpoint, "#Santander", stats.newest_id)
    assert load_checkpoint(checkpoint, "#Santander") == stats.newest_id


def test_checkpoint_of_another_query_is_ignored_and_a_corrupt_one_refused(fake_x, tmp_path, capsys):
    checkpoint = tmp_path / "x.json"
    save_checkpoint(checkpoint, "#other", "1440717170493689866")
    run(fake_x, checkpoint_path=checkpoint, max_pages=1)
    assert "since_id" not in fake_x.requests[0]["params"]
    assert "is for query '#other'" in capsys.readouterr().err
    assert json.loads(checkpoint.read_text())["query"] == "#Santander"

    checkpoint.write_text('{"since_id": 12')
    with pytest.raises(XSourceError) as bad:
        collect(bearer_token=TOKEN, checkpoint_path=checkpoint, api_base=fake_x.url)
    assert "delete it" in one_line(bad.value)


# --------------------------------------------------------------------------- rate limits


def test_429_waits_for_the_reset_then_completes(fake_x, capsys, caplog):
    caplog.set_level(logging.WARNING)
    fake_x.faults[2] = lambda: (429, {"x-rate-limit-reset": str(int(time.time()) + 1),
                                      "x-rate-limit-remaining": "0"},
                                b'{"title":"Too Many Requests","detail":"Too Many Requests","status":429}')
    started = time.monotonic()
    items, stats = run(fake_x)
    waited = time.monotonic() - started
    assert len(items) == 300 and stats.complete and stats.rate_limit_waits == 1
    assert len(fake_x.requests) == 4
    assert fake_x.requests[2]["params"] == fake_x.requests[1]["params"]  # the same page, retried
    assert 1.0 <= waited < 6
    lines = [line for line in capsys.readouterr().err.splitlines() if "rate limit" in line.lower()]
    assert len(lines) == 1 and re.fullmatch(r"x: rate limited, waiting [12]s \(x-rate-limit-reset .*\)", lines[0])
    assert not any("Rate limit exceeded" in r.getMessage() for r in caplog.records)


def test_429_without_reset_header_does_not_hammer(fake_x, capsys, monkeypatch):
    monkeypatch.setattr(x_api, "FALLBACK_RATE_LIMIT_WAIT", 0.2)
    fake_x.faults[1] = lambda: (429, {}, b"{}")
    items, stats = run(fake_x, max_pages=1)
    assert len(items) == 100 and len(fake_x.requests) == 2
    assert "x: rate limited, waiting 0.2s (no usable x-rate-limit-reset" in capsys.readouterr().err


# --------------------------------------------------------------------------- errors


def test_missing_token_is_one_clear_line(monkeypatch, tmp_path):
    monkeypatch.delenv("X_BEARER_TOKEN", raising=False)
    for token in (None, "", "   "):
        with pytest.raises(MissingTokenError) as missing:
            collect(bearer_token=token, checkpoint_path=tmp_path / "x.json")
        message = one_line(missing.value)
        assert "X_BEARER_TOKEN" in message and "SOURCE=synthetic" in message
        assert isinstance(missing.value, SourceError)
    assert not (tmp_path / "x.json").exists()


def test_bad_token_401_is_one_clear_line(fake_x, tmp_path):
    with pytest.raises(AuthError) as refused:
        list(collect(bearer_token="wrong", checkpoint_path=tmp_path / "x.json", api_base=fake_x.url))
    message = one_line(refused.value)
    assert "401" in message and "X_BEARER_TOKEN" in message
    assert fake_x.requests[0]["headers"]["Authorization"] == "Bearer wrong"
    assert not (tmp_path / "x.json").exists()


def test_403_and_400_and_unreachable_are_one_line_source_errors(fake_x, tmp_path):
    fake_x.faults[1] = lambda: (403, {}, json.dumps({
        "client_id": "1", "reason": "client-not-enrolled", "title": "Client Forbidden",
        "detail": "When authenticating requests to the Twitter API v2 endpoints, you must use keys and "
                  "tokens from a Twitter developer App that is attached to a Project.",
        "status": 403}).encode())
    with pytest.raises(AuthError) as forbidden:
        list(collect(bearer_token=TOKEN, api_base=fake_x.url))
    assert "403" in one_line(forbidden.value) and "attached to a Project" in str(forbidden.value)

    checkpoint = tmp_path / "x.json"
    save_checkpoint(checkpoint, "#Santander", "1")
    # request 2 is the first request of this second run
    fake_x.faults[2] = lambda: (400, {}, json.dumps({"errors": [{"parameters": {"since_id": ["1"]},
                                "message": "Invalid 'since_id':'1'."}], "title": "Invalid Request",
                                "detail": "One or more parameters to your request was invalid.",
                                "status": 400}).encode())
    with pytest.raises(XSourceError) as bad:
        list(collect(bearer_token=TOKEN, checkpoint_path=checkpoint, api_base=fake_x.url))
    assert "400" in one_line(bad.value) and "Invalid 'since_id'" in str(bad.value)

    with pytest.raises(XSourceError) as unreachable:
        list(collect(bearer_token=TOKEN, api_base="http://127.0.0.1:9"))
    assert "cannot reach" in one_line(unreachable.value)


def test_a_hung_server_times_out(fake_x):
    def slow():
        time.sleep(1.0)
        return 200, {}, b'{"meta":{"result_count":0}}'
    fake_x.faults[1] = slow
    with pytest.raises(XSourceError) as hung:
        list(collect(bearer_token=TOKEN, api_base=fake_x.url, timeout=0.3))
    assert "cannot reach" in one_line(hung.value)


def test_a_bad_tweet_in_a_page_is_rejected_not_fatal(fake_x, real_pages):
    page = json.loads(json.dumps(real_pages[2]))
    page["data"][5]["id"] = int(page["data"][5]["id"])  # a number: bad_id_type, as in replay
    del page["meta"]["next_token"]
    fake_x.faults[1] = lambda: (200, {}, json.dumps(page).encode())
    items, stats = run(fake_x)
    assert len(items) == 100 and stats.produced == 99 and stats.by_reason == {"bad_id_type": 1}
    assert isinstance(items[5], Rejected) and items[5].origin == "api:page=1:data[5]"


def test_a_repeated_next_token_stops_instead_of_looping(fake_x, real_pages, tmp_path):
    fake_x.faults[2] = lambda: (200, {}, json.dumps(real_pages[0]).encode())  # page 1 again
    with pytest.raises(XSourceError) as looping:
        list(collect(bearer_token=TOKEN, api_base=fake_x.url, checkpoint_path=tmp_path / "x.json"))
    assert "repeats next_token" in one_line(looping.value) and len(fake_x.requests) == 2
    assert not (tmp_path / "x.json").exists()


def test_a_non_json_page_stops_the_run(fake_x, tmp_path):
    fake_x.faults[1] = lambda: (200, {}, b"<html>captive portal</html>")
    with pytest.raises(XSourceError) as bad:
        list(collect(bearer_token=TOKEN, api_base=fake_x.url, checkpoint_path=tmp_path / "x.json"))
    assert "page 1 is not JSON" in one_line(bad.value)
    assert not (tmp_path / "x.json").exists()
