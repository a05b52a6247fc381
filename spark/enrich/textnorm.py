"""Matching keys for hashtags and words that every script survives (docs/text-normalisation.md).

    hashtag_key("#Santánder")          -> "santander"       Latin diacritics folded for matching
    hashtag_key("#メルカリみくじ2023")   -> "メルカリみくじ2023"  Japanese voicing marks kept
    hashtag_key("#เครดิตฟรีล่าสุด")     -> "เครดิตฟรีล่าสุด"    Thai vowels and tone marks kept
    word_key("Cartão")                 -> "cartão"          word-cloud words keep their accents
    hashtag_spellings("Viva #Atenção")  -> {"atencao": "Atenção"}  the display form's source

Plain Python (no Spark), shared by silver (hashtags) and the word-cloud tokens (spark/enrich/words.py).
A key is NFKC (full-width forms, ligatures) and casefold. Only hashtag keys fold diacritics, and only on
Latin letters: "#Atenção" and "#atencao" are one topic to a Portuguese reader, whereas a mark of
another script (Thai vowel, Japanese dakuten, Devanagari virama, Arabic harakat) makes a different word.
"""
from __future__ import annotations

import unicodedata
from functools import lru_cache

import regex

HASH_SIGNS = "#＃"

# The only escapes Twitter puts in tweet text (v1.1 and v2): &, < and > as HTML entities. Replaced in
# this order, the result equals html.unescape's on any text Twitter escaped ("&amp;lt;" -> "&lt;");
# html.unescape itself is not used because it also decodes entities Twitter never writes, some even
# without their ';' ("&para" in "R&paragraph" -> "R¶graph"), which would change text that arrives
# unescaped (synthetic tweets, scraper dumps).
TWITTER_ENTITIES = (("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&"))


def unescape_text(text: str | None) -> str | None:
    """A tweet's text as its author typed it: silver's `text` (columnar.silver_batch does it per column)."""
    if not text or "&" not in text:
        return text
    for entity, char in TWITTER_ENTITIES:
        text = text.replace(entity, char)
    return text


@lru_cache(maxsize=4096)
def is_latin_letter(ch: str) -> bool:
    """True for a letter of the Latin script (any block: Basic Latin, Latin-1, Extended-A/B, IPA...)."""
    return unicodedata.name(ch, "").startswith("LATIN ")


@lru_cache(maxsize=65536)
def fold_latin(text: str) -> str:
    """Drop the combining marks that sit on a Latin letter; marks on any other base are kept.

    Works on the canonical decomposition (NFD) and recomposes (NFC), so "ã" -> "a" while "ご", "ล่",
    "ष्" and Hangul syllables come back whole. Letters without a decomposition (ø, ł, đ) stay as they are.
    Cached: the word-cloud tokens fold every word to check it against the stop words and the brand.
    """
    if text.isascii():
        return text
    out: list[str] = []
    on_latin = False
    for ch in unicodedata.normalize("NFD", text):
        if unicodedata.category(ch)[0] == "M":
            if on_latin:
                continue
        else:
            on_latin = is_latin_letter(ch)
        out.append(ch)
    return unicodedata.normalize("NFC", "".join(out))


@lru_cache(maxsize=65536)
def hashtag_key(tag: str | None) -> str | None:
    """The matching key of one hashtag: NFKC, no leading '#', casefold, Latin diacritics folded, NFC.

    Cached: silver calls it for every hashtag of every tweet and a day has a few thousand distinct tags.
    NFC at the end keeps Korean as composed syllables, so WHERE hashtag = '세븐틴' matches.
    """
    if not tag:
        return None
    t = unicodedata.normalize("NFKC", tag).strip().lstrip(HASH_SIGNS).strip()
    if t.isascii():
        return t.lower() or None  # casefold == lower on ASCII; the common case skips the Unicode work
    return fold_latin(unicodedata.normalize("NFC", t.casefold())) or None


def hashtag_keys(tags) -> list[str]:
    """Keys of a tweet's hashtags: distinct, first-seen order kept, empty ones dropped."""
    return list(dict.fromkeys(k for k in map(hashtag_key, tags or ()) if k))


@lru_cache(maxsize=65536)
def word_key(word: str) -> str:
    """A word-cloud word: NFKC and casefold, accents kept ("cartão", "mañana" are what readers write)."""
    if word.isascii():
        return word.lower()
    return unicodedata.normalize("NFC", unicodedata.normalize("NFKC", word).casefold())


# A hashtag as written in a text: '#' then letters, marks (Thai vowels, dakuten, viramas), digits and
# connector punctuation. Python's \w has no marks (they are not alphanumeric), so `regex`'s \p{M} it is.
_HASHTAG_IN_TEXT = regex.compile(r"[#＃]([\p{L}\p{M}\p{N}\p{Pc}]+)")


@lru_cache(maxsize=65536)
def hashtag_spellings(text: str | None) -> dict[str, str]:
    """key -> how this text spells that hashtag (first occurrence, without the '#'): the display form's
    source. '#Atenção' and '#atencao' share a key; a reader should see the spelling people use.
    Cached: retweets repeat their original's text."""
    out: dict[str, str] = {}
    if not text or ("#" not in text and "＃" not in text):
        return out
    for m in _HASHTAG_IN_TEXT.finditer(text):
        spelling = unicodedata.normalize("NFKC", m.group(1))  # full-width forms read as usual; case and accents stay
        key = hashtag_key(spelling)
        if key and key not in out:
            out[key] = spelling
    return out


def display_spellings(keys, text: str | None) -> list[str]:
    """The spelling of each of a tweet's hashtag keys in its text; the key itself when the text does not
    spell it (a truncated retweet whose entities outlive its text)."""
    if not keys:
        return []
    found = hashtag_spellings(text)
    return [found.get(k, k) for k in keys]
