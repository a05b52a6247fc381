"""Content words of a tweet, for the word-cloud mart (gold.mart_top_words). See docs/text-normalisation.md.

    tokens(text, lang)         -> list of words (repeats kept: the mart counts occurrences)
    tokens_batch(texts, langs) -> one list per text, each distinct (text, lang) worked out once

Plain Python (no Spark). The text is NFKC-normalised, then cut into runs by script, found from the
characters themselves (the tweet's `lang` is often "und" or wrong for mixed text):
  - Han and kana: Japanese (janome) when the run or the tweet has kana or the tweet is "ja", else
    Chinese (rjieba). Thai: pythainlp's newmm. The segmenters load on the first text that needs them.
  - Every other script (Latin, Cyrillic, Arabic, Hebrew, Devanagari, Hangul...): runs of letters and
    their combining marks, as space-separated words.
Words are word_key'd (lower-case, accents kept: "cartão", not "cartao"). Dropped: URLs, @mentions,
#hashtags (they have their own mart), pseudonymized handles (h_..., u_...) and the masks bronze put over
contact data, numbers, BRAND_TERMS, stop words (stopwordsiso: the tweet's language, or DEFAULT_LANGS when
unknown, plus the SCRIPT_LANGS, plus the tweet jargon of data/stopwords.txt), and short words: under
MIN_LEN code points, or MIN_LEN_DENSE for Han, kana, Hangul and Thai (one character there is already
a syllable or a morpheme: single ones go, two-character words such as 銀行 or 은행 stay).
"""
from __future__ import annotations

import os
import unicodedata
from functools import lru_cache
from importlib import resources

import regex

from spark.enrich.textnorm import fold_latin, word_key

BRAND_TERMS = frozenset({"santander"})  # the ingest query's own terms (#Santander), Latin-folded
MIN_LEN = 3
MIN_LEN_DENSE = 2
DEFAULT_LANGS = ("pt", "es", "en")  # the bank's markets: the stop words of a tweet whose language is unknown
# Languages whose script tells them apart: their lists apply to every tweet, since their words can
# never be mistaken for a Latin-script word (a Japanese phrase in a tweet tagged "en" still loses its particles).
SCRIPT_LANGS = ("ja", "zh", "th", "ko", "hi", "ar", "he", "ru")
LANG_ALIASES = {"in": "id", "iw": "he", "ji": "yi", "nb": "no"}  # Twitter's legacy codes -> ISO 639-1

_CJK = r"\p{Han}\p{Hiragana}\p{Katakana}ー〆"
_NOT_SPACED = _CJK + r"\p{Thai}"
_DROP = regex.compile(r"https?://\S+|www\.\S+|[#@][\p{L}\p{M}\p{N}_]+|\b[hu]_\w+|\[[a-z_]+\]", regex.IGNORECASE)
_RUN = regex.compile(
    rf"(?P<cjk>[{_CJK}][{_CJK}\p{{M}}]*)"
    r"|(?P<thai>[\p{Thai}&&\p{L}][\p{Thai}&&[\p{L}\p{M}]]*)"
    rf"|(?P<word>[\p{{L}}--[{_NOT_SPACED}]][[\p{{L}}\p{{M}}]--[{_NOT_SPACED}]]*)",
    regex.V1)
_LETTERS = regex.compile(r"\p{L}[\p{L}\p{M}]*")
_NOT_SPACED_ANY = regex.compile(rf"[{_NOT_SPACED}]")
_KANA = regex.compile(r"[\p{Hiragana}\p{Katakana}ー]")
_HANGUL = regex.compile(r"\p{Hangul}")
_SARA_AM_NFKC = unicodedata.normalize("NFKC", "\u0e33")
# janome (IPADIC) parts of speech kept as content words; the second field drops their function forms
_JA_CONTENT = frozenset({"名詞", "動詞", "形容詞", "感動詞"})
_JA_FUNCTION = frozenset({"非自立", "代名詞", "数", "接尾"})


# ---- stop words -----------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def _jargon() -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    text = resources.files("spark.enrich").joinpath("data", "stopwords.txt").read_text(encoding="utf-8")
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            lang, _, words = line.partition(":")
            out[lang.strip()] = tuple(words.split())
    return out


@lru_cache(maxsize=None)
def _stop_list(lang: str) -> frozenset[str]:
    """One language's stop words as keys, accented and Latin-folded ("não" also drops the informal "nao")."""
    import stopwordsiso

    keys = {word_key(w) for w in (*stopwordsiso.stopwords(lang), *_jargon().get(lang, ()))}
    return frozenset(keys | {fold_latin(k) for k in keys})


def base_lang(lang: str | None) -> str | None:
    """"pt-BR" -> "pt", "in" -> "id"; None for "und", "qst" and anything without stop words."""
    import stopwordsiso

    base = (lang or "").replace("_", "-").split("-")[0].lower()
    base = LANG_ALIASES.get(base, base)
    return base if base and stopwordsiso.has_lang(base) else None


@lru_cache(maxsize=128)
def stop_words(lang: str | None) -> frozenset[str]:
    base = base_lang(lang)
    langs = (base,) if base else DEFAULT_LANGS
    return frozenset().union(*(_stop_list(x) for x in (*langs, *SCRIPT_LANGS, "any")))


# ---- segmenters (each loads its dictionary on first use) ---------------------------------------------
@lru_cache(maxsize=1)
def _janome():
    from janome.tokenizer import Tokenizer

    return Tokenizer()


@lru_cache(maxsize=1)
def _jieba():
    import rjieba

    return rjieba


@lru_cache(maxsize=1)
def _thai_tokenize():
    # read-only: pythainlp would otherwise create ~/pythainlp-data, which a YARN container may not write
    os.environ.setdefault("PYTHAINLP_READ_ONLY", "1")
    os.environ.setdefault("PYTHAINLP_OFFLINE", "1")
    from pythainlp.tokenize import word_tokenize

    return word_tokenize


@lru_cache(maxsize=8192)
def segment_japanese(run: str) -> tuple[str, ...]:
    """Content words of a Han/kana run (nouns, verbs, adjectives, interjections), as written."""
    out = []
    for t in _janome().tokenize(run):
        pos = t.part_of_speech.split(",")
        if pos[0] in _JA_CONTENT and pos[1] not in _JA_FUNCTION:
            out.append(t.surface)
    return tuple(out)


@lru_cache(maxsize=8192)
def segment_chinese(run: str) -> tuple[str, ...]:
    return tuple(_jieba().cut(run))


@lru_cache(maxsize=8192)
def segment_thai(run: str) -> tuple[str, ...]:
    """Words of a Thai run. NFKC split SARA AM (ำ) into NIKHAHIT + SARA AA, which the dictionary does
    not know, so it is put back for segmenting; word_key() splits it again, like every other key."""
    run = run.replace(_SARA_AM_NFKC, "\u0e33")
    return tuple(_thai_tokenize()(run, engine="newmm", keep_whitespace=False))


# ---- tokens ---------------------------------------------------------------------------------------
def _runs(text: str):
    """(kind, run) of each run of letters and marks: "word" (spaced scripts), "cjk" or "thai" (to segment)."""
    for run in _LETTERS.findall(text):
        if run.isascii() or _NOT_SPACED_ANY.search(run) is None:
            yield "word", run
        else:
            for m in _RUN.finditer(run):
                yield m.lastgroup, m.group()


@lru_cache(maxsize=16384)
def _tokens(text: str, lang: str | None) -> tuple[str, ...]:
    text = _DROP.sub(" ", unicodedata.normalize("NFKC", text))
    stop = stop_words(lang)
    japanese = None  # whether Han runs are Japanese: decided once per tweet, only if it has Han
    out: list[str] = []
    for kind, run in _runs(text):
        if kind == "word":
            parts, min_len = (run,), (MIN_LEN_DENSE if _HANGUL.match(run) else MIN_LEN)
        elif kind == "thai":
            parts, min_len = segment_thai(run), MIN_LEN_DENSE
        else:
            if japanese is None:
                japanese = base_lang(lang) == "ja" or _KANA.search(text) is not None
            parts, min_len = (segment_japanese(run) if japanese else segment_chinese(run)), MIN_LEN_DENSE
        for w in parts:
            k = word_key(w)
            if len(k) < min_len or k in stop:
                continue
            folded = fold_latin(k)  # "Santánder", and "nao" for the stop word "não"
            if folded in BRAND_TERMS or folded in stop:
                continue
            out.append(k)
    return tuple(out)


def tokens(text: str | None, lang: str | None = None) -> list[str]:
    if not text:
        return []
    return list(_tokens(text, lang))


def tokens_batch(texts, langs) -> list[list[str]]:
    """tokens() over the columns of an Arrow batch; a retweet's repeated text is segmented once."""
    seen: dict[tuple[str | None, str | None], list[str]] = {}
    out = []
    for text, lang in zip(texts, langs, strict=True):
        key = (text, lang)
        if key not in seen:
            seen[key] = tokens(text, lang)
        out.append(list(seen[key]))
    return out


# ---- cost per script: python -m spark.enrich.words [../shared/data/tweets] (docs/text-normalisation.md) ----
_BENCH_SCRIPTS = {"Latin": r"\p{Latin}", "Chinese": r"\p{Han}", "Japanese": r"[\p{Hiragana}\p{Katakana}]",
                  "Thai": r"\p{Thai}", "Hangul": r"\p{Hangul}", "Devanagari": r"\p{Devanagari}", "Arabic": r"\p{Arabic}"}
# The shared data has no Chinese tweet: ten tweet-like sentences written for this measurement stand in.
_BENCH_ZH = ("今天去银行开户，排队等了一个小时，服务态度还不错。", "信用卡额度终于提高了，感谢客服的耐心解答！",
             "手机银行又打不开了，转账失败三次，太让人失望了。", "这家银行的理财产品收益率比去年低了不少。",
             "刚收到短信说我的账户有异常登录，吓了一跳，赶紧改了密码。", "西班牙的桑坦德银行在巴西和墨西哥也有很多分行。",
             "明天要去办理房贷手续，需要准备身份证和收入证明。", "汇率变化太快了，换欧元的时候亏了一点。",
             "客服电话一直占线，网上留言也没有人回复。", "新开的网点环境很好，自助机器也很方便。")


def _bench(root: str, repeats: int = 9) -> None:
    """Median and min µs per text of tokens(), per script, one core; per-text and per-run caches cleared
    each pass (word caches stay warm, as in a running worker). Scarce scripts add user bios to the tweets."""
    import json
    import pathlib
    import resource
    import statistics
    import time

    def strings(node, key=""):
        if isinstance(node, dict):
            for k, v in node.items():
                yield from strings(v, k)
        elif isinstance(node, list):
            for v in node:
                yield from strings(v, key)
        elif isinstance(node, str) and key in ("text", "description"):
            yield key, node

    found = {s: {"text": set(), "description": set()} for s in _BENCH_SCRIPTS}
    found["Chinese"]["text"].update(_BENCH_ZH)
    for path in sorted(pathlib.Path(root).rglob("*.json*")):
        raw = path.read_text("utf-8", "replace")
        try:
            docs = [json.loads(raw)]
        except ValueError:
            docs = []
            for line in raw.splitlines():
                try:
                    docs.append(json.loads(line))
                except ValueError:
                    continue
        for key, s in (pair for d in docs for pair in strings(d)):
            counts = {n: len(regex.findall(r, s)) for n, r in _BENCH_SCRIPTS.items() if n != "Latin"}
            if counts["Japanese"]:
                counts["Japanese"] += counts.pop("Chinese")
            name, n = max(counts.items(), key=lambda kv: kv[1])
            if n >= 5:
                found[name][key].add(s)
            elif regex.search(r"\p{Latin}", s):
                found["Latin"][key].add(s)
    print("| script | texts | chars/text | µs/text median | µs/text min | first text (load) ms | RSS + MB |")
    print("|---|---|---|---|---|---|---|")
    found["all tweets"] = {"text": set().union(*(g["text"] for g in found.values())) - set(_BENCH_ZH)}
    for name, got in found.items():
        texts = sorted(got["text"])[:1000] if name == "Latin" else sorted(got["text"])
        what = f"{len(_BENCH_ZH)} written" if name == "Chinese" else f"{len(texts)} tweets"
        if len(texts) < 20:
            texts += sorted(got["description"])
            what += f" + {len(got['description'])} bios"
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        t = time.perf_counter()
        tokens(texts[0], None)
        first = time.perf_counter() - t
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss
        runs = []
        for _ in range(repeats):
            for f in (_tokens, segment_japanese, segment_chinese, segment_thai):
                f.cache_clear()
            t = time.perf_counter()
            for text in texts:
                tokens(text, None)
            runs.append((time.perf_counter() - t) / len(texts) * 1e6)
        print(f"| {name} | {what} | {statistics.mean(map(len, texts)):.0f} | {statistics.median(runs):,.0f} | "
              f"{min(runs):,.0f} | {first * 1000:,.0f} | {rss / 1024:.0f} |")


if __name__ == "__main__":
    import sys

    _bench(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/tweets")
