"""Sensitive data in bronze (spark/transforms/pii.py + classification.yaml)."""
from __future__ import annotations

import json
import os
import pickle
import re
import stat
from types import SimpleNamespace

import pytest

from ingestion.sources import synthetic
from ingestion.records import Record
from ingestion.sources.replay import replay
from lake import secrets
from spark.transforms import parse, pii
from tests.pii_identifiers import identifiers, strings

KEY = "unit-test-key-0123456789abcdef"


@pytest.fixture(scope="module")
def p() -> pii.Pii:
    return pii.Pii(KEY)


# ---- the classification file ---------------------------------------------------------------
def test_classification_declares_a_treatment_and_a_why_for_every_field():
    fields = pii.load_classification()
    assert len(fields) > 40
    for name, spec in fields.items():
        assert spec["treatment"] in pii.TREATMENTS, name
        assert spec["why"].strip() and "\n" not in spec["why"].strip(), name
    assert fields["author_id"]["treatment"] == "pseudonymize" and fields["author_id"]["column"] == "author_key"
    assert fields["author_name"]["treatment"] == "drop"
    assert fields["text"]["treatment"] == "mask"
    assert fields["mentions"]["sub"]["username"]["kind"] == "handle"


@pytest.mark.parametrize("spec, message", [
    ("fields: {a: {treatment: hide, why: x}}", "treatment 'hide'"),
    ("fields: {a: {treatment: keep}}", "why"),
    ("fields: {a: {treatment: pseudonymize, why: x}}", "kind"),
    ("fields: {a: {treatment: mask, method: blur, why: x}}", "method"),
    ("nothing: here", "fields"),
])
def test_a_malformed_classification_is_refused(tmp_path, spec, message):
    f = tmp_path / "c.yaml"
    f.write_text(spec)
    with pytest.raises(pii.ClassificationError, match=message):
        pii.load_classification(f)


# ---- pseudonymization ----------------------------------------------------------------------
def test_tokens_are_keyed_stable_and_typed(p):
    assert p.user_key("2382763597") == p.user_key("2382763597")
    assert re.fullmatch(r"u_[0-9a-f]{16}", p.user_key("2382763597"))
    assert re.fullmatch(r"h_[0-9a-f]{16}", p.handle_key("ericmbudd"))
    assert pii.Pii("another-key-0123456789abcdef").user_key("2382763597") != p.user_key("2382763597")
    assert p.token("user", "42") != p.token("handle", "42")  # kinds never collide
    assert p.user_key(None) is None


def test_handles_are_case_insensitive_and_at_sign_free(p):
    assert p.handle_key("@EricMBudd") == p.handle_key("ericmbudd") == p.handle_key("ERICMBUDD")


def test_the_key_never_shows_and_the_object_pickles_for_spark(p):
    assert KEY not in repr(p)
    clone = pickle.loads(pickle.dumps(p))
    assert clone.user_key("1") == p.user_key("1")


def test_a_short_key_is_refused():
    with pytest.raises(pii.KeyMissing, match="at least"):
        pii.Pii("short")


def test_key_from_env_else_the_lake_secret_store(monkeypatch, tmp_path):
    monkeypatch.setenv(pii.KEY_ENV, "env-key-0123456789abcdef")
    assert pii.load_key() == "env-key-0123456789abcdef"
    monkeypatch.delenv(pii.KEY_ENV)
    fake = SimpleNamespace(secrets_dir=tmp_path / "secrets")
    monkeypatch.setattr("lake.settings.get", lambda: fake)
    first = pii.load_key()
    assert first == pii.load_key() == (tmp_path / "secrets" / "pii-key").read_text()
    assert len(first) >= pii.MIN_KEY_CHARS
    assert stat.S_IMODE(os.stat(tmp_path / "secrets" / "pii-key").st_mode) == 0o600
    assert secrets.pii_key(fake) == first


# ---- masking text --------------------------------------------------------------------------
PHONES = [
    "+55 11 91234-5678", "(11) 91234-5678", "+55 (11) 91234-5678", "11 91234-5678", "(21) 3456-7890",
    "+34 612 345 678", "612345678", "612 34 56 78", "+34 912 34 56 78",
    "+44 20 7946 0958", "+44 7911 123456", "07911 123456", "020 7946 0958",
    "(555) 123-4567", "555-123-4567", "555.123.4567", "+1 555 123 4567", "+1-555-123-4567",
]


@pytest.mark.parametrize("phone", PHONES)
def test_phone_numbers_are_masked(p, phone):
    masked = p.mask_text(f"Me liga no {phone}, obrigado")
    assert masked == f"Me liga no {pii.PHONE_MASK}, obrigado"


@pytest.mark.parametrize("text", [
    "Em 2024 o lucro foi de R$ 1.500 milhões", "às 20:19:24 de 10/11/2024", "2024-01-15", "ganhei 100000 pontos",
    "https://twitter.com/i/web/status/867471562613575680", "#123456789", "version 1.2.3",
    "https://t.co/a1234567890", "id=123456789012",
])
def test_numbers_that_are_not_phones_stay(p, text):
    assert p.mask_text(text) == text


@pytest.mark.parametrize("email", ["maria.silva@gmail.com", "joao_1990@yahoo.com.br", "j.o+tag@uol.com.br",
                                   "José.Pérez12@hotmail.es", "first.last12@outlook.com"])
def test_emails_are_masked_whole(p, email):
    masked = p.mask_text(f"escreve para {email}.")
    assert masked == f"escreve para {pii.EMAIL_MASK}."
    assert "@" not in masked


def test_handles_in_text_become_the_same_tokens_as_author_handles(p):
    text = "RT @EricMBudd: oi @notFromShrek e @x_1. (@Santander_br)"
    assert p.mask_text(text) == (f"RT @{p.handle_key('ericmbudd')}: oi @{p.handle_key('notFromShrek')} e "
                                 f"@{p.handle_key('x_1')}. (@{p.handle_key('Santander_br')})")


def test_profile_urls_name_no_one(p):
    text = "veja https://twitter.com/RobotPrincessFi/status/867471562613575680 e x.com/EricMBudd"
    masked = p.mask_text(text)
    assert "RobotPrincessFi" not in masked and "EricMBudd" not in masked
    assert f"twitter.com/{p.handle_key('robotprincessfi')}/status/867471562613575680" in masked
    for kept in ("https://twitter.com/i/web/status/1", "https://twitter.com/search?q=x",
                 "https://twitter.com/hashtag/Santander", "https://netflix.com/title"):
        assert p.mask_text(kept) == kept


def test_masking_is_idempotent(p):
    text = "Fala @joao, meu email é joao@gmail.com e o zap +55 11 91234-5678 https://twitter.com/joao"
    once = p.mask_text(text)
    assert p.mask_text(once) == once
    assert "joao" not in once.lower().replace(pii.EMAIL_MASK, "")


def test_an_email_is_not_read_as_a_handle(p):
    assert p.mask_text("a@b.com") == pii.EMAIL_MASK


def test_the_phone_pre_check_counts_what_the_digit_pattern_finds():
    texts = ["", "123456789", "12345678", "a1b2c3d4e5f6g7h8i9", "+55 11 91234-5678", "tel 1234 5678 x",
             "١٢٣٤٥٦٧٨٩", "12345678٩", "१२३४५६७८ a1", "é123456789", "²³¹⁴⁵⁶⁷⁸⁹ 1", "𝟏𝟐𝟑𝟒𝟓𝟔𝟕𝟖𝟗"]
    texts += [r.payload.decode() for r in synthetic.generate(300, seed=4)]
    for text in texts:
        assert pii._may_hold_phone(text) == (len(re.findall(r"\d", text)) >= pii.PHONE_DIGITS[0]), text
    assert any(pii._may_hold_phone(t) for t in texts) and not all(pii._may_hold_phone(t) for t in texts)


def test_the_email_pre_check_says_no_only_where_the_email_pattern_finds_nothing():
    """_may_hold_email skips _EMAIL_AT's search; it may say yes wrongly, never no wrongly: tried with
    every kind of character right before an '@' (ASCII, Unicode letters and digits, marks, symbols)."""
    before = "aZ09_.+%-é\u00b2\u0663\u4e2d\u0301\u200b ,;:!?/@\uff20#()[]\t\n"
    texts = [f"x{c}@{domain}" for c in before for domain in ("b.com", "b", "b-c.co.uk", "é.fr")]
    texts += [f"@{c}@b.com" for c in before] + ["@b.com", "@", "", "a @b.com c@d.org", "@@b.com", "RT @x: y@z.io"]
    for text in texts:
        found = pii._EMAIL_AT.search(text) is not None
        assert pii._may_hold_email(text) or not found, text
    assert sum(pii._EMAIL_AT.search(t) is not None for t in texts) > 20  # the pattern did match, often


# ---- applying the treatments -------------------------------------------------------------------
def test_protect_applies_every_treatment(p):
    raw = {"tweet_id": 1, "author_id": "42", "author_username": "Alice", "author_name": "Alice Real",
           "text": "oi @Bob", "geo_lat": 40.01736548, "geo_lon": -105.27786886,
           "mentions": [{"user_id": "7", "username": "Bob"}, {"user_id": None, "username": "carol"}],
           "urls": [{"url": "https://t.co/x", "expanded_url": "https://twitter.com/Bob/status/1"}]}
    out = p.protect(raw)
    assert out == {"tweet_id": 1, "author_key": p.user_key("42"), "author_handle_key": p.handle_key("alice"),
                   "text": f"oi @{p.handle_key('bob')}", "geo_lat": 40.02, "geo_lon": -105.28,
                   "mentions": [{"user_key": p.user_key("7"), "handle_key": p.handle_key("bob")},
                                {"user_key": None, "handle_key": p.handle_key("carol")}],
                   "urls": [{"url": "https://t.co/x",
                             "expanded_url": f"https://twitter.com/{p.handle_key('bob')}/status/1"}]}


def test_an_undeclared_field_is_refused_not_passed(p):
    with pytest.raises(pii.ClassificationError, match="author_email"):
        p.protect({"tweet_id": 1, "author_email": "x@y.com"})
    with pytest.raises(pii.ClassificationError, match="mentions"):
        p.protect({"mentions": [{"user_id": "1", "name": "Bob Real"}]})


# ---- real payloads ----------------------------------------------------------------------------
def test_synthetic_pii_never_reaches_bronze(p):
    """The synthetic firehose puts e-mails and phone numbers in ~2 % of tweets each."""
    meta = {"ingest_date": "2026-01-10", "ingest_hour": "00", "source_file": "f", "kafka_partition": 0,
            "kafka_offset": 0}
    email = re.compile(r"[\w.]+@[\w.]+\.\w+")
    phone = re.compile(r"\+(?:55|34|44) ?\(?\d|\(\d\d\) 9\d{4}-\d{4}|\b0?7\d{3} \d{6}\b|\b6\d\d(?: \d\d){3}\b")
    seen_email = seen_phone = 0
    for fmt in ("v1", "v2"):
        for rec in synthetic.generate(4000, seed=3, fmt=fmt):
            text = json.loads(rec.payload).get("text", "")
            seen_email += bool(email.search(text))
            seen_phone += bool(phone.search(text))
            row, _ = parse.to_bronze(rec.payload, meta, p)
            assert not email.search(row["text"]) and not phone.search(row["text"]), row["text"]
            assert row["author_handle_key"] == p.handle_key(json.loads(rec.payload).get("author", {}).get(
                "username") or json.loads(rec.payload)["user"]["screen_name"])
    assert seen_email > 50 and seen_phone > 50


def test_no_shared_payload_leaks_a_handle_or_user_id(shared_data, p):
    meta = {}
    for item in replay([shared_data / "tweets"]):
        if not isinstance(item, Record):
            continue
        payload = json.loads(item.payload)
        handles, ids = set(), set()
        identifiers(payload, handles, ids)
        row, _ = parse.to_bronze(item.payload, meta, p)
        blob = "\n".join(strings(row))
        for uid in ids:
            assert uid not in blob, (item.origin, uid)
        for h in handles:
            assert not re.search(_leak(h), blob), (item.origin, h)
        for col in ("author_key", "author_handle_key", "reply_to_user_key", "retweeted_author_key",
                    "quoted_author_key", "mentions"):
            assert all(re.fullmatch(r"[uh]_[0-9a-f]{16}", s) for s in strings(row[col])), (item.origin, col)


def _leak(handle: str) -> re.Pattern:
    """A handle as a mention or in a profile URL. A bare word is not a leak: handles are often
    brands or words (@Twitter vs the client app "Twitter", @theGrio vs thegrio.com); identifier
    columns are checked to hold tokens only."""
    h = re.escape(handle)
    return re.compile(rf"(?i)@{h}(?!\w)|(?:twitter|x)\.com/{h}(?!\w)")


