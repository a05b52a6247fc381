"""SOURCE=x: collect recent posts matching a query from the X API v2 recent search.

`collect(query, bearer_token, checkpoint_path, max_pages)` pages through
`GET /2/tweets/search/recent` with tweepy (`wait_on_rate_limit=True`, raw
`requests.Response` pages) and turns every page into items with the very rules
replay applies to a v2 page line (`replay.items_from_json`), so an API page and
the same page replayed from a twarc file land identical payloads.

A run is incremental: the checkpoint file holds the newest tweet id seen, sent
as `since_id` next time, and is replaced atomically only once every page of the
run has been fetched and handed out. A failed or abandoned run leaves it alone,
so the next run re-fetches (the lake de-duplicates by key downstream).

Errors that stop a run raise `XSourceError` (a `replay.SourceError`) with one line.
"""
from __future__ import annotations

import json
import logging
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator, Mapping

import requests
import tweepy
from requests.adapters import HTTPAdapter

from ingestion import records as r
from ingestion.records import Record
from ingestion.sources.replay import Item, ReplayStats, SourceError, items_from_json
from lake.settings import ROOT

TOKEN_ENV = "X_BEARER_TOKEN"
API_BASE_ENV = "X_API_BASE"
QUERY_ENV = "X_QUERY"
CHECKPOINT_ENV = "X_CHECKPOINT"
MAX_PAGES_ENV = "X_MAX_PAGES"

DEFAULT_QUERY = "#Santander"
# tweepy 4.17 hard-codes this host in BaseClient.request; `api_base` redirects it.
TWEEPY_HOST = "https://api.twitter.com"
SEARCH_ROUTE = "/2/tweets/search/recent"
MAX_RESULTS = 100  # the endpoint's maximum per page
DEFAULT_TIMEOUT = (10.0, 60.0)  # (connect, read) seconds; tweepy itself sets none
# Used when a 429 carries no usable x-rate-limit-reset (tweepy would retry at once).
FALLBACK_RATE_LIMIT_WAIT = 15.0

EXPANSIONS = ("author_id", "geo.place_id", "referenced_tweets.id", "entities.mentions.username")
TWEET_FIELDS = ("created_at", "lang", "public_metrics", "entities", "geo", "referenced_tweets",
                "conversation_id", "in_reply_to_user_id", "author_id", "possibly_sensitive",
                "source", "note_tweet")
USER_FIELDS = ("username", "name", "location", "verified", "public_metrics", "created_at")
PLACE_FIELDS = ("full_name", "country", "country_code", "geo", "place_type", "name")

CHECKPOINT_VERSION = 1

Report = Callable[[str], None]


class XSourceError(SourceError):
    """The X source cannot go on (credentials, API refusal, network); the message is one line."""


class MissingTokenError(XSourceError):
    """No bearer token was given or found in X_BEARER_TOKEN."""


class AuthError(XSourceError):
    """The API refused the bearer token (401) or the access it grants (403)."""


@dataclass
class CollectStats(ReplayStats):
    """ReplayStats (`read = produced + rejected`) plus what the API run did."""

    pages: int = 0
    since_id: str | None = None    # sent to the API (from the checkpoint), or None
    newest_id: str | None = None   # what the checkpoint holds after this run
    rate_limit_waits: int = 0
    complete: bool = False         # every page fetched (not cut short by max_pages)
    committed: bool = False        # checkpoint written by this run


def stderr_report(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------
# public entry points


def collect(query: str = DEFAULT_QUERY, bearer_token: str | None = None,
            checkpoint_path: str | os.PathLike | None = None, max_pages: int | None = None, *,
            api_base: str | None = None, stats: CollectStats | None = None, commit: bool = True,
            timeout: float | tuple[float, float] = DEFAULT_TIMEOUT, raw_cap: int = r.RAW_CAP,
            report: Report = stderr_report) -> Iterator[Item]:
    """Check the token and checkpoint now (raising XSourceError), then page through the API lazily.

    - `bearer_token`: None reads X_BEARER_TOKEN.
    - `checkpoint_path`: JSON file holding `since_id`; None = no checkpoint (fetch the whole
      7-day window, remember nothing).
    - `max_pages`: stop after this many pages (a budget cap; reported on stderr).
    - `api_base`: send the requests there instead of https://api.twitter.com (tests, proxies).
    - `commit=False`: do not write the checkpoint; call `save_checkpoint(path, query,
      stats.newest_id)` yourself once the items are safely stored (e.g. after a Kafka flush).
    API errors surface while iterating, as XSourceError.
    """
    token = resolve_token(bearer_token)
    if max_pages is not None and max_pages < 1:
        raise ValueError("max_pages must be at least 1 (or None for all pages)")
    path = Path(checkpoint_path) if checkpoint_path is not None else None
    stats = stats if stats is not None else CollectStats()
    stats.since_id = load_checkpoint(path, query, report) if path is not None else None
    client = make_client(token, api_base=api_base, timeout=timeout, stats=stats, report=report)
    return _collect(client, query, path, max_pages, stats, commit, raw_cap, report)


def options_from_env(environ: Mapping[str, str] | None = None) -> dict:
    """collect() keyword arguments from X_QUERY, X_BEARER_TOKEN, X_CHECKPOINT, X_MAX_PAGES, X_API_BASE."""
    env = os.environ if environ is None else environ
    max_pages = env.get(MAX_PAGES_ENV, "").strip()
    if max_pages and not max_pages.isdigit():
        raise XSourceError(f"x: {MAX_PAGES_ENV}={max_pages!r} is not a whole number")
    return {
        "query": env.get(QUERY_ENV) or DEFAULT_QUERY,
        "bearer_token": env.get(TOKEN_ENV),
        "checkpoint_path": Path(env.get(CHECKPOINT_ENV) or default_checkpoint_path(env)),
        "max_pages": int(max_pages) if max_pages else None,
        "api_base": env.get(API_BASE_ENV) or None,
    }


def default_checkpoint_path(environ: Mapping[str, str] | None = None) -> Path:
    """$LAKE_VAR_DIR/data/ingestion/x_checkpoint.json (var/ of the checkout by default)."""
    env = os.environ if environ is None else environ
    var = Path(env.get("LAKE_VAR_DIR") or ROOT / "var")
    return var / "data" / "ingestion" / "x_checkpoint.json"


def resolve_token(bearer_token: str | None) -> str:
    token = bearer_token if bearer_token is not None else os.environ.get(TOKEN_ENV, "")
    token = token.strip()
    if not token:
        raise MissingTokenError(f"x: no bearer token: set {TOKEN_ENV}=<your X API v2 app bearer token>, "
                                "or use SOURCE=synthetic (or SOURCE=replay) to run without the X API")
    return token


# ---------------------------------------------------------------------------
# the run


def _collect(client: tweepy.Client, query: str, path: Path | None, max_pages: int | None,
             stats: CollectStats, commit: bool, raw_cap: int, report: Report) -> Iterator[Item]:
    newest: int | None = None
    next_token: str | None = None
    seen_tokens: set[str] = set()
    page_no = 0
    while True:
        page_no += 1
        response = _search(client, query, stats.since_id, next_token, page_no)
        page = _decode_page(response, page_no)
        stats.pages += 1
        meta = page.get("meta") if isinstance(page.get("meta"), dict) else {}
        if page_no == 1:
            newest = _max_id(newest, meta.get("newest_id"))
        if "data" in page:  # a page without results has only meta
            for item in items_from_json(response.content, f"api:page={page_no}", raw_cap):
                if isinstance(item, Record):
                    newest = _max_id(newest, item.key)  # in case meta lacks newest_id
                yield stats.count(item)
        next_token = meta.get("next_token")
        if not isinstance(next_token, str) or not next_token:
            stats.complete = True
            break
        if next_token in seen_tokens:  # a misbehaving server/proxy must not loop us forever
            raise XSourceError(f"x: page {page_no} repeats next_token {next_token[:40]!r}; stopping, "
                               "the checkpoint was not advanced")
        seen_tokens.add(next_token)
        if max_pages is not None and page_no >= max_pages:
            report(f"x: stopped after {page_no} page(s) (max_pages); older posts matching "
                   f"{query!r} were not fetched")
            break
    newest = _max_id(newest, stats.since_id)
    stats.newest_id = str(newest) if newest is not None else None
    if commit and path is not None and stats.newest_id is not None:
        save_checkpoint(path, query, stats.newest_id)
        stats.committed = True


def _search(client: tweepy.Client, query: str, since_id: str | None, next_token: str | None,
            page_no: int) -> requests.Response:
    params = {
        "expansions": list(EXPANSIONS),
        "tweet_fields": list(TWEET_FIELDS),
        "user_fields": list(USER_FIELDS),
        "place_fields": list(PLACE_FIELDS),
        "max_results": MAX_RESULTS,
    }
    if since_id is not None:
        params["since_id"] = since_id
    if next_token is not None:
        params["next_token"] = next_token
    where = f"page {page_no} of recent search"
    try:
        return client.search_recent_tweets(query, **params)
    except tweepy.Unauthorized as exc:
        raise AuthError(f"x: the API refused the bearer token (401 Unauthorized{_detail(exc)}); "
                        f"check {TOKEN_ENV}, or use SOURCE=synthetic") from None
    except tweepy.Forbidden as exc:
        raise AuthError(f"x: the API refused recent search for this token (403 Forbidden{_detail(exc)}); "
                        "its app/access level may not include it, or use SOURCE=synthetic") from None
    except tweepy.BadRequest as exc:
        hint = f" (since_id={since_id} from the checkpoint may be outside the 7-day window)" if since_id else ""
        raise XSourceError(f"x: {where} rejected (400 Bad Request{_detail(exc)}){hint}") from None
    except tweepy.HTTPException as exc:
        status = f"{exc.response.status_code} {exc.response.reason}".strip()
        raise XSourceError(f"x: {where} failed ({status}{_detail(exc)}); the checkpoint was not "
                           "advanced, re-run to retry") from None
    except requests.RequestException as exc:
        raise XSourceError(f"x: cannot reach the API for {where}: {_one_line(exc)}") from None


def _decode_page(response: requests.Response, page_no: int) -> dict:
    try:
        page = json.loads(response.content)
    except (ValueError, RecursionError) as exc:
        kind = response.headers.get("content-type", "unknown content type")
        raise XSourceError(f"x: page {page_no} is not JSON (HTTP {response.status_code}, {kind}): "
                           f"{_one_line(exc)}") from None
    if not isinstance(page, dict):
        raise XSourceError(f"x: page {page_no} is a JSON {type(page).__name__}, not a v2 response object")
    return page


def _max_id(current: int | None, candidate: object) -> int | None:
    """The larger of two tweet ids (ints / decimal strings); non-ids are ignored."""
    if isinstance(candidate, str) and candidate.isdigit():
        candidate = int(candidate)
    if not isinstance(candidate, int) or isinstance(candidate, bool) or not 0 < candidate < 2**63:
        return current
    return candidate if current is None or candidate > current else current


def _detail(exc: tweepy.HTTPException) -> str:
    """The API's own error messages, minus ones that only repeat the status (401 "Unauthorized")."""
    reason = str(getattr(exc.response, "reason", "") or "").lower()
    messages = [str(m) for m in getattr(exc, "api_messages", None) or [] if m and str(m).lower() != reason]
    return f": {_one_line('; '.join(messages))}" if messages else ""


def _one_line(value: object, limit: int = 300) -> str:
    return " ".join(str(value).split())[:limit]


# ---------------------------------------------------------------------------
# checkpoint: {"version": 1, "query": ..., "since_id": "<decimal id>", "updated_at": "...Z"}


def load_checkpoint(path: Path, query: str, report: Report = stderr_report) -> str | None:
    """The since_id to send, or None (no file yet, or a checkpoint of another query)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise XSourceError(f"x: cannot read checkpoint {path}: {exc.strerror or exc}") from None
    try:
        state = json.loads(text)
        since_id = state["since_id"]
        if not (isinstance(since_id, str) and _max_id(None, since_id) is not None):
            raise ValueError(f"since_id {since_id!r} is not a tweet id")
    except (ValueError, KeyError, TypeError) as exc:
        raise XSourceError(f"x: checkpoint {path} is unreadable ({_one_line(exc, 120)}); "
                           "delete it to fetch the whole 7-day window again") from None
    if state.get("query") != query:
        report(f"x: checkpoint {path} is for query {state.get('query')!r}, not {query!r}; "
               "ignoring it (fetching the whole 7-day window)")
        return None
    return since_id


def save_checkpoint(path: str | os.PathLike, query: str, since_id: str) -> None:
    """Write the checkpoint atomically: a temp file in the same directory, fsync, rename."""
    path = Path(path)
    state = {"version": CHECKPOINT_VERSION, "query": query, "since_id": str(since_id),
             "updated_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(state, f, indent=1)
                f.write("\n")
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
        _fsync_dir(path.parent)
    except OSError as exc:
        raise XSourceError(f"x: cannot write checkpoint {path}: {exc.strerror or exc}") from None


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some filesystems refuse fsync on directories; the rename is still atomic
    finally:
        os.close(fd)


# ---------------------------------------------------------------------------
# the tweepy client: raw pages, base-URL hook, timeouts, rate-limit reporting


class _XAdapter(HTTPAdapter):
    """Transport for the client's session: a default timeout, and optionally another base URL.

    tweepy 4.17 builds every URL as "https://api.twitter.com" + route inside
    BaseClient.request, with no setting to change it; but it sends through its own
    public `requests.Session`, so an adapter mounted for that prefix can rewrite the
    URL just before it goes on the wire, leaving tweepy's request, auth and
    rate-limit code untouched.
    """

    def __init__(self, api_base: str | None, timeout) -> None:
        super().__init__()
        self.api_base = api_base
        self.timeout = timeout

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        if self.api_base and request.url.startswith(TWEEPY_HOST + "/"):
            request.url = self.api_base + request.url[len(TWEEPY_HOST):]
            if proxies:  # were chosen for api.twitter.com; choose again for the new host
                proxies = requests.utils.get_environ_proxies(request.url)
        return super().send(request, stream=stream, timeout=self.timeout if timeout is None else timeout,
                            verify=verify, cert=cert, proxies=proxies)


class _DropTweepyRateLimitWarning(logging.Filter):
    """tweepy logs its own "Rate limit exceeded. Sleeping for N seconds."; we report it instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Rate limit exceeded. Sleeping")


def make_client(bearer_token: str, *, api_base: str | None = None,
                timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
                stats: CollectStats | None = None, report: Report = stderr_report) -> tweepy.Client:
    """A tweepy v2 client returning raw `requests.Response` pages and sleeping through 429s."""
    client = tweepy.Client(bearer_token=bearer_token, wait_on_rate_limit=True,
                           return_type=requests.Response)
    session = getattr(client, "session", None)
    if not isinstance(session, requests.Session):  # tweepy changed its internals
        raise RuntimeError(f"tweepy {tweepy.__version__}: Client.session is not a requests.Session")
    base = _check_base(api_base) if api_base else None
    session.mount(TWEEPY_HOST + "/", _XAdapter(base, timeout))
    session.hooks["response"].append(_rate_limit_reporter(stats, report))
    tweepy_log = logging.getLogger("tweepy.client")
    if not any(isinstance(f, _DropTweepyRateLimitWarning) for f in tweepy_log.filters):
        tweepy_log.addFilter(_DropTweepyRateLimitWarning())
    return client


def _check_base(api_base: str) -> str:
    base = api_base.strip().rstrip("/")
    if not base.startswith(("http://", "https://")) or len(base.split("//", 1)[1]) == 0:
        raise XSourceError(f"x: {API_BASE_ENV}/api_base {api_base!r} is not an http(s) URL")
    return base


def _rate_limit_reporter(stats: CollectStats | None, report: Report):
    """Session response hook: one stderr line per 429, saying how long tweepy will sleep.

    tweepy 4.17 sleeps `x-rate-limit-reset - int(now) + 1` seconds and retries; when
    that is not positive (header missing or already past) it retries at once, so
    here we wait FALLBACK_RATE_LIMIT_WAIT instead of letting it hammer the API.
    """
    def hook(response: requests.Response, *args, **kwargs) -> None:
        if response.status_code != 429:
            return
        if stats is not None:
            stats.rate_limit_waits += 1
        reset = response.headers.get("x-rate-limit-reset", "")
        wait = int(reset) - int(time.time()) + 1 if reset.strip().isdigit() else 0
        if wait > 0:
            until = datetime.fromtimestamp(int(reset), timezone.utc).strftime("%H:%M:%SZ")
            report(f"x: rate limited, waiting {wait}s (x-rate-limit-reset {until})")
        else:
            report(f"x: rate limited, waiting {FALLBACK_RATE_LIMIT_WAIT:g}s "
                   "(no usable x-rate-limit-reset in the 429)")
            time.sleep(FALLBACK_RATE_LIMIT_WAIT)
    return hook


# ---------------------------------------------------------------------------
# python -m ingestion.x_api: print the payloads (one JSON per line) for a manual look


def main(argv: list[str] | None = None) -> int:
    """Run one collection with the X_* environment; payloads to stdout, rejections and totals to stderr."""
    if argv:
        print("usage: X_BEARER_TOKEN=... [X_QUERY=...] [X_MAX_PAGES=N] [X_CHECKPOINT=path] "
              "[X_API_BASE=url] python -m ingestion.x_api", file=sys.stderr)
        return 2
    stats = CollectStats()
    try:
        for item in collect(**options_from_env(), stats=stats):
            if isinstance(item, Record):
                sys.stdout.buffer.write(item.payload + b"\n")
            else:
                stderr_report(f"x: rejected {item.origin}: {item.reason}: {item.message}")
    except SourceError as exc:
        stderr_report(str(exc))
        return 1
    stderr_report(f"x: {stats.pages} page(s), {stats.produced} records, {stats.rejected} rejected, "
                  f"since_id {stats.since_id} -> {stats.newest_id}"
                  f"{'' if stats.committed else ' (checkpoint not written)'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
