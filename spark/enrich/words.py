"""Content words of a tweet, for the word-cloud mart (gold.mart_top_words).

    tokens(text, lang) -> list of words (repeats kept: the mart counts occurrences)

Plain Python (no Spark). Words are runs of letters, folded (lower-case, accents
dropped) so "Atenção" and "atencao" count as one word. Dropped: URLs,
pseudonymized handles (h_...) and the masks bronze put over contact data,
hashtags (they have their own mart), numbers, words under 3 letters, and the
stop words of data/stopwords.txt (the tweet's language plus "any"; all three
languages when the language is unknown).
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from importlib import resources

MIN_LEN = 3
_DROP = re.compile(r"https?://\S+|www\.\S+|[@#]\w+|\bh_\w+|\bu_\w+|\[[a-z_]+\]", re.IGNORECASE)
_WORD = re.compile(r"[^\W\d_]+")


def fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).casefold()


@lru_cache(maxsize=1)
def stopwords() -> dict[str, frozenset[str]]:
    out: dict[str, frozenset[str]] = {}
    text = resources.files("spark.enrich").joinpath("data", "stopwords.txt").read_text(encoding="utf-8")
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            lang, _, words = line.partition(":")
            out[lang.strip()] = frozenset(fold(w) for w in words.split())
    return out


@lru_cache(maxsize=16)
def _stop_for(lang: str | None) -> frozenset[str]:
    table = stopwords()
    base = (lang or "").split("-")[0].lower()
    if base in table and base != "any":
        return table[base] | table["any"]
    return frozenset().union(*table.values())


def tokens(text: str | None, lang: str | None = None) -> list[str]:
    if not text:
        return []
    stop = _stop_for(lang)
    words = _WORD.findall(fold(_DROP.sub(" ", text)))
    return [w for w in words if len(w) >= MIN_LEN and w not in stop]
