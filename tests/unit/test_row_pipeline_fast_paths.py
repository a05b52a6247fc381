"""The row pipeline's caches and fast paths (parse -> pii -> silver) give exactly what the plain
code gives: each is checked against a reference that does the work the straightforward way, on
the shared tweet files, synthetic tweets and hand-made edge cases."""
from __future__ import annotations

import hashlib
import hmac
import pickle
import random
import re
from datetime import datetime, timezone

import pytest

from ingestion.sources import synthetic
from ingestion.records import Record
from ingestion.sources.replay import replay
from spark.enrich import sentiment
from spark.transforms import parse, pii, silver

KEY = "unit-test-key-fast-paths-0123456789"

EDGE_TEXTS = [
    "mail me: ana.souza+tw@exemplo.com.br or JOSE@Mail.ES", "no email @ here. nor there", "a@b.c", "x@y.io",
    "@user.name.com", "ring +55 (11) 98765-4321 now", "year 2024, 12:30, 3.14", "٠١٢٣٤٥٦٧٨٩ ٠١٢",
    "１２３４５６７８９０", "see TWITTER.COM/SomeOne and x.com/i/status/1 and Mobile.X.com/abc_d",
    "https://twitter.com/jack/status/20", "full-width ＠Handle_1 and @@double and w/@x",
    "🇧🇷 RT @h_0123456789abcdef: oi", "", "   ", "plain words only", "İstanbul ＠ K.COM/ab",
    "call 98765 4321 now", "@start of text", "mid_@no e@no ＠＠x @@y .@ok (@ok2) ＠ok3",
    "só ＠Fulano aqui", "٠١٢ ٣٤٥ ٦٧٨٩", "tel. 0800 123 4567 / 0800.123.4567 / 12345678", "1234567890123456",
    "+1 (800) 555-0199",
]


def ref_token(key: bytes, kind: str, value) -> str | None:
    if value is None:
        return None
    value = str(value)
    if kind == "handle":
        value = value.lstrip("@＠").lower()
    return pii.KINDS[kind] + hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()[:pii.TOKEN_HEX]


def ref_mask(key: bytes, text):
    if not text:
        return text
    text = pii.EMAIL.sub(pii.EMAIL_MASK, text)
    text = pii.mask_phones(text)
    text = pii.PROFILE_URL.sub(lambda m: m.group(1) + ref_token(key, "handle", m.group(2)), text)
    return pii.HANDLE.sub(lambda m: "@" + ref_token(key, "handle", m.group(1)), text)


def ref_treat(key: bytes, spec: dict, value):
    if value is None or spec["treatment"] == "keep":
        return value
    if spec["treatment"] == "pseudonymize":
        return ref_token(key, spec["kind"], value)
    if spec["method"] == "round2":
        return round(float(value), 2)
    return ref_mask(key, value)


def ref_protect(key: bytes, classification: dict, raw: dict) -> dict:
    out = {}
    for name, value in raw.items():
        spec = classification[name]
        if spec["treatment"] == "drop":
            continue
        if "sub" in spec and value is not None:
            value = [{s.get("column", n): ref_treat(key, s, v) for n, v in e.items()
                      for s in [spec["sub"][n]] if s["treatment"] != "drop"} for e in value]
        else:
            value = ref_treat(key, spec, value)
        out[spec.get("column", name)] = value
    return out


@pytest.fixture(scope="module")
def payloads(shared_data) -> list[bytes]:
    out = [it.payload for it in replay(shared_data / "tweets") if isinstance(it, Record)]
    out += [r.payload for r in synthetic.generate(400, seed=11, fmt="v2")]
    out += [r.payload for r in synthetic.generate(400, seed=12, fmt="v1")]
    return out


@pytest.fixture(scope="module")
def raws(payloads) -> list[dict]:
    rows = []
    for p in payloads:
        try:
            rows.append(parse.extract(p))
        except parse.Bad:
            pass
    assert len(rows) > 2000
    return rows


def test_protect_plan_and_token_cache_match_the_plain_reading(raws):
    p = pii.Pii(KEY)
    key = KEY.encode()
    for _ in range(2):  # cold caches, then warm
        for raw in raws:
            got = p.protect(raw)
            want = ref_protect(key, p.classification, raw)
            assert got == want and list(got) == list(want)


def test_mask_text_fast_paths_match_the_four_substitutions(raws):
    p = pii.Pii(KEY)
    key = KEY.encode()
    texts = EDGE_TEXTS + [r[f] for r in raws for f in ("text", "author_location") if r[f]]
    texts += [u["expanded_url"] for r in raws for u in r["urls"] if u["expanded_url"]]
    for t in texts:
        assert p.mask_text(t) == ref_mask(key, t), t


def test_handle_scan_finds_what_handle_finds(raws):
    texts = EDGE_TEXTS + [r["text"] for r in raws if r["text"]]
    for t in texts:
        assert [m.span(1) for m in pii._HANDLE_SCAN.finditer(t)] == [m.span(1) for m in pii.HANDLE.finditer(t)], t


def test_token_cache_keeps_types_apart_and_is_not_pickled():
    p = pii.Pii(KEY)
    key = KEY.encode()
    for v in ("1", 1, True, 1.0, "True", "@Ana", "ana", "ANA"):
        for kind in ("user", "handle"):
            assert p.token(kind, v) == ref_token(key, kind, v), (kind, v)
    p.user_key("42")
    assert set(p.__getstate__()) == {"_key", "classification"}  # caches stay behind: rebuilt on the executor
    blob = pickle.dumps(p)
    assert pickle.loads(blob).user_key("42") == ref_token(key, "user", "42")
    other = pii.Pii("another-key-for-the-cache-test-00")
    assert other.user_key("42") == ref_token(b"another-key-for-the-cache-test-00", "user", "42") != p.user_key("42")


def test_protect_still_refuses_an_undeclared_field_every_time():
    p = pii.Pii(KEY)
    for _ in range(2):
        with pytest.raises(pii.ClassificationError, match="nope"):
            p.protect({"tweet_id": 1, "nope": 2})
        with pytest.raises(pii.ClassificationError, match="mentions"):
            p.protect({"mentions": [{"user_id": "1", "nope": "x"}]})


def test_v1_time_fast_path_is_strptime():
    rnd = random.Random(5)
    names = ["Mon", "Wed", "Sun", "mon", "WED", "Xyz"]
    months = ["Jan", "Feb", "Apr", "Dec", "jan", "Foo"]
    values = ["Wed Oct 10 20:19:24 +0000 2018", "Thu Feb 29 00:00:00 -0330 2024", "Fri Feb 29 00:00:00 +0000 2023",
              "Mon Jan 01 00:00:00 +2400 2018", "Mon Jan 01 24:00:00 +0000 2018", "Mon Jan 1 00:00:00 +0000 2018",
              "Mon Jan 01 00:00:60 +0000 2018", "Mon Jan 01 00:00:00 Z 2018", "Mon Jan 01 00:00:00 +00:00 2018"]
    values += [f"{rnd.choice(names)} {rnd.choice(months)} {rnd.randint(0, 32):02d} {rnd.randint(0, 25):02d}:"
               f"{rnd.randint(0, 61):02d}:{rnd.randint(0, 61):02d} {rnd.choice('+-')}{rnd.randint(0, 25):02d}"
               f"{rnd.randint(0, 61):02d} {rnd.randint(1, 9999):04d}" for _ in range(5000)]

    def outcome(fn, v):
        try:
            t = fn(v)
        except ValueError:
            return "error"
        return repr(t), t.utcoffset()

    for v in values:
        want = outcome(lambda s: datetime.strptime(s, parse._V1_TIME), v)
        got = outcome(lambda s: parse._v1_time_fast(s) or datetime.strptime(s, parse._V1_TIME), v)
        assert got == want, v
    assert parse._time("Wed Oct 10 20:19:24 -0300 2018", "created_at", parse._V1_TIME) == \
        datetime(2018, 10, 10, 23, 19, 24, tzinfo=timezone.utc)


def test_sentiment_fold_is_the_translate_table_for_every_code_point():
    everything = "".join(chr(cp) for cp in range(0x110000) if not 0xD800 <= cp < 0xE000)
    assert sentiment.fold(everything) == everything.lower().translate(sentiment._FOLD)
    for s in ("Don't", "ÀÉÎÕÜ ß ø æ œ ´`’", "plain", "KELVIN \u212a"):
        assert sentiment.fold(s) == s.lower().translate(sentiment._FOLD)


def test_sentiment_cache_and_caps_test_change_no_score(raws):
    texts = [(r["text"], r["lang"]) for r in raws] + [(t, lang) for t in EDGE_TEXTS for lang in ("pt", "en", None)]
    texts += [("NOT GOOD AT ALL!!", "en"), ("Não é BOM", "pt"), ("×× muito bom ××", "pt"), ("ÉÓ bueno", "es-419")]
    sentiment.compound("warm", "en")
    for text, lang in texts:
        uncached = sentiment._compound.__wrapped__(text, sentiment._table_key(lang)) if text else 0.0
        assert sentiment.compound(text, lang) == uncached
        assert sentiment.compound(text, lang) == uncached  # a cache hit
    for lang in ("pt", "pt-BR", "PT_br", "es", "en-GB", "en", "und", "ptx", "fr", None, "", "p"):
        old = lang[:2].lower() if lang and lang[:2].lower() in ("pt", "es", "en") and (
            len(lang) == 2 or lang[2] in "-_") else "*"
        assert sentiment._table_key(lang) == old
        assert sentiment._tables_for(lang) is sentiment._load()[old]


def test_sentiment_token_flags_are_the_tables_memberships():
    for t in sentiment._load().values():
        words = set(t.flags) | set(t.lex) | t.neg | t.but | set(t.boost) | t.phrase_first | sentiment._STOP
        for w in words:
            f = t.flags.get(w, 0)
            assert bool(f & sentiment._F_PHRASE) == (w in t.phrase_first), w
            assert bool(f & sentiment._F_STOP) == (w in sentiment._STOP), w
            assert bool(f & sentiment._F_NEG) == (w in t.neg), w
            assert bool(f & sentiment._F_BUT) == (w in t.but), w
            assert bool(f & sentiment._F_BOOST) == (w in t.boost), w
            assert bool(f & sentiment._F_LEX) == (w in t.lex), w


def test_cached_hashtag_normalisation_and_silver_rows_keep_their_order(raws):
    p = pii.Pii(KEY)
    tags = {h for r in raws for h in r["hashtags"]} | {"#Santánder", "＃ＳＡＮＴＡＮＤＥＲ", "ﬁnance", "", "  #x "}
    for t in tags:
        assert silver.normalize_hashtag(t) == silver.normalize_hashtag.__wrapped__(t)
    for raw in raws[:300]:
        row = p.protect(raw)
        row["created_date"] = row["created_at"].date()
        assert tuple(silver.enrich(row)) == silver.SILVER_FIELDS
