"""Batch (vectorised) version of spark/enrich/sentiment.py's scorer: a whole batch of tweets at once.

    scores(texts, langs) -> (compound: numpy float64 array, labels: list[str])

The same tables (sentiment._load(), imported, never copied), the same rules and, on every text
tried so far, the same numbers as `sentiment.score` (docs/sentiment-batch.md: agreement, speed).
Instead of regexes and a per-token Python loop per text, per language table and chunk of texts:

1. the texts are joined with a separator "\n\x00\n" and turned into one numpy array of code
   points; per code point table look-ups give the character classes the regexes test (\w, \s,
   letters, digits, [A-ZÀ-Þ], emoji, ...) and fold() (lower case, accents, apostrophes). URL and
   mention removal, the hashtag camelCase split, ALL-CAPS words, emoticons and the token
   boundaries are array operations over the whole chunk (sentiment's regexes remain the
   reference: _tokens_re, and the fallback when a table is unusual);
2. tokens get integer ids through a 64-bit hash of their code points (Arrow's dictionary_encode),
   the separator being a token of its own; per DISTINCT token, C-level dict look-ups give its
   flags, valence, degree-adverb and "post" values, with the repeated-letter collapse ("goood" ->
   "good") and the two-word phrases looked up once per distinct token / pair;
3. the rules are numpy over the flat token arrays: phrases (greedy, left to right), negation scope
   (the last negator / punctuation / contrast word before each scored word, within 3 tokens),
   degree adverbs before and after, the ALL-CAPS increment, the first contrast word per row (x0.5
   before, x1.5 after), "!" and "?" counts, compound normalisation, clipping and rounding, with
   additions in the per-row loop's order so that the floats come out identical.

The separator carries no flags, so looking one or two tokens back or ahead never crosses a row (it
behaves like the start/end of a text in the per-row loop). Identical (text, table) pairs in a batch
(retweets) are scored once. Nothing is approximated except that two distinct tokens in one chunk
are taken for the same if their 64-bit hashes (length included) collide.
"""
from __future__ import annotations

import re
import unicodedata
from itertools import compress, repeat

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from spark.enrich import sentiment as _s
from spark.enrich.sentiment import (ALPHA, B_INCR, C_INCR, EXCLAIM_INCR, LABELS, N_SCALAR_NEG,
                                    N_SCALAR_POS, NEG_SCOPE, NEUTRAL_BAND, _F_BOOST, _F_BUT, _F_LEX,
                                    _F_NEG, _F_PHRASE, _F_STOP, _CAPS_RE, _REPEAT_RE, _Tables, _table_key,
                                    fold)

__all__ = ["scores", "compounds", "labels"]

_SEP_CHAR = "\x00"
_SEP = "\n\x00\n"  # whitespace on both sides: emoticons see a text start/end, \S+ and \w+ stop here
_NAN = float("nan")
_RE: dict[str, re.Pattern] = {}  # token and caps regexes extended with the separator, built once
_LABELS_OBJ = np.array(LABELS, dtype=object)


def _regexes() -> tuple[re.Pattern, re.Pattern]:
    if not _RE:
        _s._load()
        # the separator matches none of the original alternatives, so these find exactly what the
        # originals find in each text, plus one "\x00" token per row boundary
        _RE["tok"] = re.compile(_s._TOKEN_RE.pattern + "|" + _SEP_CHAR)
        _RE["caps"] = re.compile(_CAPS_RE.pattern + "|" + _SEP_CHAR)
    return _RE["tok"], _RE["caps"]


def _collapsed(tok: str, lex: dict[str, float]) -> float:
    """sentiment._compound's repeated-letter fallback for a token that is not in the lexicon."""
    for rep in (r"\1\1", r"\1", r"\1\1\1"):
        val = lex.get(_REPEAT_RE.sub(rep, tok))
        if val is not None:
            return val
    return _NAN


# ---------------------------------------------------------------- tokenising, numpy version
# Character classes as bits, per code point: the classes the per-row regexes test.
_W, _SP, _LET, _DIG, _UP, _LO = 1, 2, 4, 8, 16, 32  # \w, \s, [^\W\d_], \d, [A-ZÀ-Þ], [a-zà-ÿ]
_TOK, _EMO1, _EMO2 = 64, 128, 256  # one-character token (emoji, [.,;:!?]); emoticon 1st / 2nd character
_LOWT = 512  # lower or title case letter: a row holding one is not str.isupper()
_PAD = " " * 8  # after the last separator: look-ahead of up to 8 characters never leaves the array
_NONSPACE = re.compile(r"\S+")
_PUA = 0xF0000  # emoticon k becomes the single character chr(_PUA + k) before splitting
_NP: dict = {}


def _class_patterns() -> list[tuple[int, re.Pattern]]:
    emo = _NP["emoticons"]
    first = "".join(sorted({e[0] for e in emo}))
    second = "".join(sorted({e[1] for e in emo}))
    return [(_W, re.compile(r"\w")), (_SP, re.compile(r"\s")), (_LET, re.compile(r"[^\W\d_]")),
            (_DIG, re.compile(r"\d")), (_UP, re.compile("[A-ZÀ-Þ]")), (_LO, re.compile("[a-zà-ÿ]")),
            (_TOK, re.compile(rf"[{_s._EMOJI}]|[.,;:!?]")),
            (_EMO1, re.compile("[" + re.escape(first) + "]")), (_EMO2, re.compile("[" + re.escape(second) + "]")),
            (_LOWT, _LowerOrTitle())]


class _LowerOrTitle:
    """A stand-in pattern: is this character lower or title case (what makes str.isupper() false)."""

    @staticmethod
    def fullmatch(ch: str) -> bool:
        return ch.islower() or unicodedata.category(ch) == "Lt"


def _classify(chars: list[str]) -> np.ndarray:
    out = np.zeros(len(chars), np.uint16)
    for bit, pat in _NP["patterns"]:
        out |= np.fromiter(map(bool, map(pat.fullmatch, chars)), bool, len(chars)).astype(np.uint16) * bit
    return out


_DELETE = 0xFFFFFFFF  # fold() drops this character (apostrophes)
_SPECIAL = 0xFFFFFFFE  # fold() makes it 2+ characters ("ß" -> "ss") or lower() depends on context ("Σ")
_PREFILLED = 0x20000  # planes 0 and 1 (letters, emoji) are classified up front; others when first seen


def _folded(chars: list[str]) -> np.ndarray:
    """Per character: the code point of fold(char) when that is one character, else a marker."""
    out = np.empty(len(chars), np.uint32)
    for k, ch in enumerate(chars):
        to = fold(ch)
        if ch == "\u03a3":  # str.lower() turns a word-final capital sigma into "ς": context
            out[k] = _SPECIAL
        elif len(to) == 1:
            out[k] = ord(to)
        else:
            out[k] = _DELETE if not to else _SPECIAL
    return out


def _fill(cps: np.ndarray) -> None:
    """Classify these code points (and their folded forms) into the lazily filled tables."""
    chars = [chr(x) for x in cps.tolist()]
    _NP["lut"][cps] = _classify(chars)
    f = _folded(chars)
    _NP["fold"][cps] = f
    single = f < _SPECIAL
    targets = f[single]
    unknown = np.unique(targets[~_NP["known"][targets]])
    if unknown.size:  # fold() of a character outside the filled planes (rare): classify it too
        _NP["lut"][unknown] = _classify([chr(x) for x in unknown.tolist()])
    cf = np.zeros(len(chars), np.uint16)
    cf[single] = _NP["lut"][targets]
    _NP["fold_class"][cps] = cf
    _NP["known"][cps] = True
    _NP["known"][unknown] = True


def _np_tables() -> dict:
    """Built once: the emoticons and, per code point, its classes, its folded form and the classes
    of that (planes 0-1 up front, the rest when first seen)."""
    if _NP:
        return _NP
    _s._load()
    emo = sorted({term for lang, _, term, _ in _s._curated_rules()
                  if lang == "*" and term.isascii() and not term.isalpha()}, key=lambda e: (-len(e), e))
    # the numpy tokeniser implements these regexes: if sentiment's ever differ, use them instead
    implemented = {
        "_URL_RE": r"https?://\S+|www\.\S+", "_MENTION_RE": r"@\w+", "_HASHTAG_RE": r"#(\w+)",
        "_CAMEL_RE": r"(?<=[a-zà-ÿ])(?=[A-ZÀ-Þ])|(?<=[A-ZÀ-Þ])(?=[A-ZÀ-Þ][a-zà-ÿ])|(?<=[^\W\d_])(?=\d)",
        "_CAPS_RE": r"(?<![^\W\d_])[A-ZÀ-Þ]{2,}(?![^\W\d_])", "_REPEAT_RE": r"([^\W\d_])\1\1+",
    }
    token_tail = r")(?=\s|$|[.,!?])|[^\W\d_]+|[" + _s._EMOJI + r"]|[.,;:!?]"
    same = all(getattr(_s, name).pattern == pattern for name, pattern in implemented.items()) \
        and _s._TOKEN_RE.pattern.startswith(r"(?<!\S)(?:") and _s._TOKEN_RE.pattern.endswith(token_tail)
    # the same emoticons as sentiment's token regex (its alternation is sorted longest first too)
    if not same or not emo or not all(re.escape(e) in _s._TOKEN_RE.pattern for e in emo) \
            or min(map(len, emo)) < 2:
        _NP["ok"] = False
        return _NP
    _NP["emoticons"] = emo
    _NP["emo_index"] = {e: k for k, e in enumerate(emo)}
    _NP["emo_re"] = re.compile("(?:" + "|".join(map(re.escape, emo)) + r")(?=\s|$|[.,!?])")
    _NP["patterns"] = _class_patterns()
    _NP["lut"] = np.zeros(0x110000, np.uint16)
    _NP["fold"] = np.zeros(0x110000, np.uint32)
    _NP["fold_class"] = np.zeros(0x110000, np.uint16)
    _NP["known"] = np.zeros(0x110000, bool)
    # planes 0-1 first, then their folded forms are all inside (fold() maps into Latin letters)
    cps = np.arange(_PREFILLED, dtype=np.int64)
    _NP["lut"][cps] = _classify([chr(x) for x in cps.tolist()])
    _NP["known"][cps] = True
    _fill(cps)
    fold_lut = np.arange(0x250, dtype=np.uint32)  # for the string path (batches with a _SPECIAL)
    for ch, to in _s._FOLD_STR.items():
        if len(to) == 1 and ord(ch) < 0x250:
            fold_lut[ord(ch)] = ord(to)
    _NP["fold_lut"] = fold_lut
    _NP["delete"] = [ch for ch, to in _s._FOLD_STR.items() if not to]
    _NP["delete_codes"] = np.array([ord(c) for c in _NP["delete"]], np.uint32)
    _NP["expand"] = [(ch, to) for ch, to in _s._FOLD_STR.items() if len(to) > 1]
    _NP["pow"] = _NP["inv"] = np.ones(1, np.uint64)
    _NP["ok"] = True
    return _NP


def _classes(a: np.ndarray) -> np.ndarray:
    """Class bits of every code point in `a` (rare high code points classified when first seen)."""
    if a.size and a.max() >= _PREFILLED:
        cps = np.unique(a[a >= _PREFILLED])
        new = cps[~_NP["known"][cps]]
        if new.size:
            _fill(new.astype(np.int64))
    return np.take(_NP["lut"], a)


def _ranges(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """All positions in the half-open ranges [starts[i], ends[i])."""
    lens = ends - starts
    keep = lens > 0
    starts, lens = starts[keep], lens[keep]
    if not lens.size:
        return np.zeros(0, np.int64)
    offs = np.cumsum(lens) - lens
    return np.arange(int(lens.sum()), dtype=np.int64) + np.repeat(starts - offs, lens)


def _encode(text: str, pad: int = 0) -> np.ndarray:
    a = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), np.uint32)
    return np.concatenate([a, np.full(pad, 32, np.uint32)])  # a writable copy, padded with spaces


def _decode(a: np.ndarray) -> str:
    return a.tobytes().decode("utf-32-le", "surrogatepass")


_HASH_B = 0x9E3779B97F4A7C15  # odd: invertible modulo 2**64
_HASH_L = np.uint64(0xC2B2AE3D27D4EB4F)
_CHUNK_CHARS = 1 << 20  # texts are scored in chunks of about this many characters (bounded memory)


def _powers(m: int) -> tuple[np.ndarray, np.ndarray]:
    """B**k and B**-k modulo 2**64 for k < m (cached; chunks keep m near _CHUNK_CHARS)."""
    pw, inv = _NP["pow"], _NP["inv"]
    if pw.size < m:
        size = max(m, _CHUNK_CHARS + 4096)
        pw = np.full(size, _HASH_B, np.uint64)
        pw[0] = 1
        np.multiply.accumulate(pw, out=pw)
        inv = np.full(size, pow(_HASH_B, -1, 1 << 64), np.uint64)
        inv[0] = 1
        np.multiply.accumulate(inv, out=inv)
        if size <= 4 * _CHUNK_CHARS:  # a text far longer than a chunk is not worth keeping them for
            _NP["pow"], _NP["inv"] = pw, inv
    return pw, inv


def _hashes(chars: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """A 64-bit polynomial hash (with the length mixed in) of each chars[starts[i]:ends[i]]:
    prefix sums of c_k * B**k, shifted back by B**-start."""
    m = chars.size
    pw, inv = _powers(m + 1)
    acc = np.empty(m + 1, np.uint64)
    acc[0] = 0
    np.multiply(chars, pw[:m], out=acc[1:], dtype=np.uint64)
    np.cumsum(acc, out=acc)
    h = (acc[ends] - acc[starts]) * inv[starts]
    return h * _HASH_L + (ends - starts).astype(np.uint64)


def _tokens_np(joined: str, nrows: int):
    """What _tokens_re finds, with numpy over code points instead of regexes; None if the tables
    do not allow it: (ids, distinct tokens, caps rows, caps token ids, repeated).

    ids: one id per token in text order, a "\x00" token at every row boundary; distinct tokens:
    the strings of those ids (emoticons included); caps: the ALL-CAPS words that count in
    sentiment._compound (row, token id; -1 when the word is no token of the batch); repeated: ids
    of the tokens with a letter three times in a row. Distinct tokens are told apart by a 64-bit
    hash of their code points and length."""
    np_t = _np_tables()
    if not np_t["ok"]:
        return None
    a = _encode(joined, len(_PAD))
    c = _classes(a)
    # URLs: https?://\S+ and www\.\S+, blanked (spaces instead of one space: same tokens after).
    # Few per tweet: found with str.find, their ends with one \S+ match each (C)
    if "://" in joined or "www." in joined:
        spans = []
        for needle, back in (("://", (5, 4)), ("www.", (0,))):
            i = joined.find(needle)
            while i >= 0:
                after = i + len(needle)
                tail = _NONSPACE.match(joined, after)
                if tail is not None:
                    for k in back:  # "https://" before "http://": the longer prefix, as the regex
                        s0 = i - k
                        if s0 >= 0 and (k == 0 or joined.startswith(("https", "http")[k == 4], s0)):
                            spans.append((s0, tail.end()))
                            break
                i = joined.find(needle, after)
        if spans:
            starts, ends = np.array(spans, np.int64).T
            idx = _ranges(starts, ends)
            a[idx] = 32
            c[idx] = _SP
    nonword = None
    if "@" in joined:  # @\w+
        m = np.flatnonzero(a == 64)
        m = m[(c[m + 1] & _W) != 0]
        if m.size:
            nonword = np.flatnonzero((c & _W) == 0)
            ends = nonword[np.searchsorted(nonword, m + 1)]
            idx = _ranges(m, ends)
            a[idx] = 32
            c[idx] = _SP
    if "#" in joined:  # #(\w+) -> " " + camelCase split + " "
        hs = np.flatnonzero(a == 35)
        hs = hs[(c[hs + 1] & _W) != 0]
        if hs.size:
            if nonword is None:  # mentions blank only \w after "@": a body still ends where it did
                nonword = np.flatnonzero((c & _W) == 0)
            ends = nonword[np.searchsorted(nonword, hs + 1)]
            k = _ranges(hs + 2, ends)  # a space may go before the 2nd..last character of a body
            body_end = np.repeat(ends, np.maximum(ends - hs - 2, 0))
            cp, ck = c[k - 1], c[k]
            nxt = np.where(k + 1 < body_end, c[k + 1], 0)
            split = (((cp & _LO) != 0) & ((ck & _UP) != 0)) \
                | (((cp & _UP) != 0) & ((ck & _UP) != 0) & ((nxt & _LO) != 0)) \
                | (((cp & _LET) != 0) & ((ck & _DIG) != 0))
            a[hs] = 32
            c[hs] = _SP
            before = np.sort(np.concatenate([k[split], ends]))  # distinct: splits lie inside bodies
            a = np.insert(a, before, 32)
            c = np.insert(c, before, _SP)
    seps = np.flatnonzero(a == 0)  # nrows + 1 row boundaries
    # ALL-CAPS words: maximal runs of [A-ZÀ-Þ] letters, 2+ long, no letter either side, in a row
    # whose text is not all upper case; folded, they are lower case + the accent table
    caps_rows = np.zeros(0, np.int64)
    caps_hash = np.zeros(0, np.uint64)
    up = (c & (_UP | _LET)) == (_UP | _LET)
    edge = np.diff(up.view(np.int8))
    run_s = np.flatnonzero(edge == 1) + 1
    if run_s.size:
        run_e = np.flatnonzero(edge == -1) + 1
        keep = (run_e - run_s >= 2) & ((c[run_s - 1] & _LET) == 0) & ((c[run_e] & _LET) == 0)
        run_s, run_e = run_s[keep], run_e[keep]
        if run_s.size:
            rows = np.searchsorted(seps, run_s) - 1
            lower_rows = np.logical_or.reduceat((c & _LOWT) != 0, seps[:-1])
            keep = lower_rows[rows]  # the row is not str.isupper(): it holds a lower/title case letter
            run_s, run_e, rows = run_s[keep], run_e[keep], rows[keep]
            if run_s.size:
                lens = run_e - run_s
                ends = np.cumsum(lens)
                caps_hash = _hashes(np.take(np_t["fold"], a[_ranges(run_s, run_e)]), ends - lens, ends)
                caps_rows = rows
    if (a == 0xD7).any():  # "×" sits inside [A-ZÀ-Þ] but is no letter: those rows by the regex
        processed = _decode(a)
        bad = np.unique(np.searchsorted(seps, np.flatnonzero(a == 0xD7)) - 1)
        keep = ~np.isin(caps_rows, bad)
        caps_rows, caps_hash = caps_rows[keep], caps_hash[keep]
        for r in bad.tolist():
            row_text = processed[seps[r] + 1:seps[r + 1]]
            if not row_text.isupper():
                for w in _CAPS_RE.findall(row_text):
                    fw = _encode(fold(w))
                    caps_rows = np.append(caps_rows, r)
                    caps_hash = np.append(caps_hash, _hashes(fw, np.zeros(1, np.int64), np.array([fw.size])))
    # fold: lower() and the accent table, one table look-up a character; apostrophes dropped
    f = np.take(np_t["fold"], a)
    cf = np.take(np_t["fold_class"], a)
    if (f >= _SPECIAL).any():
        if (f == _SPECIAL).any():  # "ß", "æ", "œ", "Σ", ...: the string functions (rare)
            low = _decode(a).lower()
            for ch, to in np_t["expand"]:
                if ch in low:
                    low = low.replace(ch, to)
            f = _encode(low)
            f = f[~np.isin(f, np_t["delete_codes"])]
            acc = np.flatnonzero((f >= 0xC0) & (f < 0x250))
            f[acc] = np_t["fold_lut"][f[acc]]
            cf = _classes(f)
        else:
            kept = f != _DELETE
            f, cf = f[kept], cf[kept]
    # emoticons: whitespace before, then the longest one whose look-ahead holds (rare: Python)
    tok1 = ((cf & _TOK) != 0) | (f == 0)
    cand = np.flatnonzero(((cf[1:-1] & _EMO1) != 0) & ((cf[:-2] & _SP) != 0) & ((cf[2:] & _EMO2) != 0)) + 1
    if cand.size:
        emo_re, emo_ix = np_t["emo_re"], np_t["emo_index"]
        for p in cand.tolist():
            hit = emo_re.match(_decode(f[p:p + 4]))
            if hit is not None:
                e = hit.group()
                f[p] = _PUA + emo_ix[e]
                tok1[p] = True
                tok1[p + 1:p + len(e)] = False
                cf[p + 1:p + len(e)] = _SP
    letter = ((cf & _LET) != 0) & ~tok1
    # a token: one tok1 character, or a maximal run of letters
    start = tok1.copy()
    start[1:] |= letter[1:] & ~letter[:-1]
    start[0] |= letter[0]
    end = tok1.copy()
    end[:-1] |= letter[:-1] & ~letter[1:]
    end[-1] |= letter[-1]
    starts = np.flatnonzero(start)
    ends = np.flatnonzero(end) + 1
    enc = pa.array(_hashes(f, starts, ends)).dictionary_encode()
    ids = enc.indices.to_numpy().astype(np.int64)
    # the dictionary is in order of first appearance: a token's string from its first occurrence
    prev_max = np.maximum.accumulate(np.concatenate([[-1], ids[:-1]]))
    first = np.flatnonzero(ids > prev_max)
    # their strings: the first occurrences' code points, "\n" after each, decoded and split in C
    s_first, e_first = starts[first], ends[first]
    lens = e_first - s_first
    chars = np.full(int(lens.sum()) + first.size, 10, np.uint32)
    at = _ranges(s_first, e_first)
    chars[np.arange(at.size) + np.repeat(np.arange(first.size), lens)] = f[at]
    uniq = _decode(chars).split("\n")[:-1]
    # tokens with a letter three times in a row: the only ones the repeated-letter fallback can change
    three = letter[2:] & letter[1:-1] & letter[:-2] & (f[2:] == f[1:-1]) & (f[1:-1] == f[:-2])
    repeated = np.unique(ids[np.searchsorted(starts, np.flatnonzero(three) + 2, "right") - 1])
    emo = np_t["emoticons"]
    for k, w in enumerate(uniq):  # the stand-ins back to the emoticons (a few distinct tokens)
        if len(w) == 1 and _PUA <= ord(w) < _PUA + len(emo):
            uniq[k] = emo[ord(w) - _PUA]
    if caps_rows.size:
        caps_ids = pc.index_in(pa.array(caps_hash), value_set=enc.dictionary).to_numpy(zero_copy_only=False)
        caps_ids = np.nan_to_num(caps_ids.astype(np.float64), nan=-1).astype(np.int64)
    else:
        caps_ids = np.zeros(0, np.int64)
    return ids, uniq, caps_rows, caps_ids, repeated


def _tokens_re(joined: str, nrows: int):
    """The same as _tokens_np with sentiment's regexes over the joined text (reference, fallback)."""
    tok_re, caps_re = _regexes()
    text = _s.strip_links(joined)
    caps_words = []
    found = caps_re.findall(text)
    if len(found) > nrows + 1:
        pieces = text.split(_SEP_CHAR)
        r = -1
        for w in found:
            if w == _SEP_CHAR:
                r += 1
            elif not pieces[r + 1].isupper():
                caps_words.append((r, fold(w)))
    toks = tok_re.findall(fold(text))
    uniq = list(dict.fromkeys(toks))
    vocab = dict(zip(uniq, range(len(uniq))))
    ids = np.fromiter(map(vocab.__getitem__, toks), np.int64, len(toks))
    caps_rows = np.array([r for r, _ in caps_words], np.int64)
    caps_ids = np.array([vocab.get(w, -1) for _, w in caps_words], np.int64)
    repeated = np.array([k for k, w in enumerate(uniq) if _REPEAT_RE.search(w)], np.int64)
    return ids, uniq, caps_rows, caps_ids, repeated


def _join(texts: list[str]) -> str:
    """The texts with a separator before, between and after them."""
    joined = _SEP.join(["", *texts, ""])
    if joined.count(_SEP_CHAR) != len(texts) + 1:
        # a NUL inside a text would split its row: "\x01" is in every class the regexes test what
        # "\x00" is (no space, word, letter, digit, token, case), so it scores the same
        joined = _SEP.join(["", *(x.replace(_SEP_CHAR, "\x01") for x in texts), ""])
    return joined


def _index(items: list[str], item: str) -> int | None:
    try:
        return items.index(item)
    except ValueError:
        return None


def _score_group(texts: list[str], t: _Tables, tokenizer=None) -> np.ndarray:
    """Compound scores of non-empty texts, all scored with the tables `t`."""
    nrows = len(texts)
    joined = _join(texts)
    got = (tokenizer or _tokens_np)(joined, nrows)
    ids, uniq, caps_rows, caps_ids, repeated = got if got is not None else _tokens_re(joined, nrows)

    # ---- per distinct token: flags, valence, degree-adverb and "post" values
    nu = len(uniq)
    flags_u = np.fromiter(map(t.flags.get, uniq, repeat(0)), np.int64, nu)
    val_u = np.fromiter(map(t.lex.get, uniq, repeat(_NAN)), np.float64, nu)
    boost_u = np.fromiter(map(t.boost.get, uniq, repeat(_NAN)), np.float64, nu)
    post_u = np.fromiter(map(t.post.get, uniq, repeat(_NAN)), np.float64, nu)
    # repeated letters collapsed, for tokens the per-row loop sends to that fallback (a 3-letter
    # run implies len(tok) > 2)
    if repeated.size:
        for k in repeated[(flags_u[repeated] & (_F_LEX | _F_STOP | _F_NEG | _F_BUT)) == 0].tolist():
            val_u[k] = _collapsed(uniq[k], t.lex)
    has_boost_u = ~np.isnan(boost_u)
    has_post_u = ~np.isnan(post_u)

    # ---- flat per-position arrays (position 0 and the last are separators)
    n = ids.size
    sep_id = uniq.index(_SEP_CHAR)
    is_sep = ids == sep_id
    sep_pos = np.flatnonzero(is_sep)  # nrows + 1 of them
    fl = flags_u[ids]

    # two-word phrases of kind "lex" / "post" starting at each position (raw, before overlaps)
    pk = np.zeros(n, np.int8)  # 0 none, 1 lex, 2 post
    pv = np.zeros(n, np.float64)
    cand = np.flatnonzero(fl & _F_PHRASE)
    if cand.size:
        pair = ids[cand] * nu + ids[cand + 1]
        upair, inv = np.unique(pair, return_inverse=True)
        kind_p = np.zeros(upair.size, np.int8)
        val_p = np.zeros(upair.size, np.float64)
        words = uniq.__getitem__
        keys = map("{} {}".format, map(words, (upair // nu).tolist()), map(words, (upair % nu).tolist()))
        hits = list(map(t.phrase.get, keys))  # C-level look-ups; Python only for the hits below
        for m in compress(range(len(hits)), hits):
            kind, value = hits[m]
            if kind == "lex":
                kind_p[m], val_p[m] = 1, value
            elif kind == "post":
                kind_p[m], val_p[m] = 2, value
        pk[cand] = kind_p[inv]
        pv[cand] = val_p[inv]
    start = pk > 0
    valid = start  # a phrase start is valid unless its first word was taken by the phrase before it
    starts = np.flatnonzero(start)
    if starts.size > 1 and np.any(np.diff(starts) == 1):
        while True:
            prev_valid = np.empty_like(valid)
            prev_valid[0] = False
            prev_valid[1:] = valid[:-1]
            new = start & ~prev_valid
            if np.array_equal(new, valid):
                break
            valid = new
    consumed = np.zeros(n, bool)
    consumed[1:] = valid[:-1]
    single = ~valid & ~consumed & ~is_sep
    stop_u = single & ((fl & _F_STOP) != 0)
    rest = single & ~stop_u
    neg_u = rest & ((fl & _F_NEG) != 0)
    rest &= ~neg_u
    but_u = rest & ((fl & _F_BUT) != 0)
    rest &= ~but_u
    fl_next = np.zeros(n, np.int64)
    fl_next[:-1] = fl[1:]
    skip = ((fl & _F_BOOST) != 0) & ((fl_next & (_F_LEX | _F_BOOST)) != 0)
    tokval = val_u[ids]
    scored_single = rest & ~skip & ~np.isnan(tokval)
    scored_phrase = valid & (pk == 1)
    S = np.flatnonzero(scored_single | scored_phrase)
    compound = np.zeros(nrows, np.float64)
    if S.size == 0:
        return compound

    row = np.cumsum(is_sep) - 1  # row of every non-separator position
    rS = row[S]
    # ---- valence of each scored word with its modifiers, in sentiment._compound's order
    base = np.where(scored_phrase[S], pv[S], tokval[S])
    sign = np.where(base > 0, 1.0, -1.0)
    val = base
    # ALL-CAPS: the folded _CAPS_RE matches of its row, unless the whole row text is upper case
    if caps_rows.size:
        known = caps_ids >= 0
        if known.any():
            caps = np.isin(rS * nu + ids[S], caps_rows[known] * nu + caps_ids[known])
            val = np.where(caps, val + sign * C_INCR, val)
    prev = ids[S - 1]
    hb = has_boost_u[prev]
    val = np.where(hb, val + sign * boost_u[prev], val)
    prev2 = ids[S - 2]
    hb2 = hb & has_boost_u[prev2]
    val = np.where(hb2, val + sign * boost_u[prev2] * 0.95, val)
    j = S + np.where(valid[S], 2, 1)
    nxt = ids[j]
    hp = has_post_u[nxt]
    p = np.where(hp, post_u[nxt], pv[j] * B_INCR)
    hp |= pk[j] == 2
    val = np.where(hp, val + sign * p, val)
    # negation: the last scope event (negator, punctuation, contrast word, row start) before each
    # scored word is a negator no more than NEG_SCOPE tokens back
    event = np.where(is_sep | stop_u | but_u | neg_u, np.arange(n), 0)
    last = np.maximum.accumulate(event)[S - 1]
    negated = neg_u[last] & (S - last <= NEG_SCOPE)
    val = np.where(negated, val * np.where(val > 0, N_SCALAR_POS, N_SCALAR_NEG), val)

    # ---- per row: contrast split, sums in token order (as the loop adds them), punctuation
    cb = np.cumsum(but_u)
    row_but = cb[sep_pos[1:]] - cb[sep_pos[:-1]] > 0
    before = row_but[rS] & (cb[S] == cb[sep_pos[rS]])
    total_before = np.bincount(rS[before], val[before], nrows)
    total_after = np.bincount(rS[~before], val[~before], nrows)
    total = np.where(row_but, total_before * 0.5 + total_after * 1.5, total_after)
    bang = _index(uniq, "!")
    if bang is not None:
        bangs = np.bincount(row[ids == bang], None, nrows + 1)[:nrows]
        total = np.where((bangs > 0) & (total != 0),
                         total + np.copysign(np.minimum(bangs, 4) * EXCLAIM_INCR, total), total)
    qm = _index(uniq, "?")
    if qm is not None:
        qms = np.bincount(row[ids == qm], None, nrows + 1)[:nrows]
        total = np.where((qms > 1) & (total != 0),
                         total + np.copysign(np.minimum(qms * 0.18, 0.96), total), total)
    nz = np.flatnonzero(total)
    tz = total[nz]
    c = np.clip(tz / np.sqrt(tz * tz + ALPHA), -1.0, 1.0)
    # np.round is x*1e4 -> rint -> /1e4: the same as Python's (correctly rounded) round(x, 4) unless
    # x*1e4 sits next to a half; those few take Python's round, as the per-row scorer does
    scaled = c * 1e4
    r = np.round(c, 4)
    tie = np.flatnonzero(np.abs(scaled - np.floor(scaled) - 0.5) < 1e-6)
    if tie.size:
        r[tie] = [round(x, 4) for x in c[tie].tolist()]
    compound[nz] = r
    return compound


def compounds(texts: list[str | None], langs: list[str | None]) -> np.ndarray:
    """Compound scores in [-1, 1] (float64), one per text; 0.0 for None/empty or no sentiment."""
    n = len(texts)
    if n != len(langs):
        raise ValueError(f"{n} texts but {len(langs)} langs")
    out = np.zeros(n, np.float64)
    if not n:
        return out
    tables = _s._load()
    # rows -> table ("pt-BR" -> pt, anything else -> the union), one look-up per distinct tag
    table_of = {lang: _table_key(lang) for lang in set(langs)}
    names = sorted(set(table_of.values()))
    code = {lang: names.index(k) for lang, k in table_of.items()}
    group = np.fromiter(map(code.__getitem__, langs), np.int64, n)
    group[~np.fromiter(map(bool, texts), bool, n)] = -1  # None and "" score 0.0
    for g, name in enumerate(names):
        rows = np.flatnonzero(group == g)
        if not rows.size:
            continue
        these = [texts[i] for i in rows.tolist()]
        distinct = list(dict.fromkeys(these))  # retweets: each distinct text scored once
        vals = np.empty(len(distinct), np.float64)
        # chunks of about _CHUNK_CHARS characters: bounded memory whatever the batch size
        ends = np.cumsum(np.fromiter(map(len, distinct), np.int64, len(distinct)))
        cuts = np.searchsorted(ends, np.arange(_CHUNK_CHARS, int(ends[-1]), _CHUNK_CHARS), "right")
        bounds = [0, *sorted(set(cuts.tolist()) - {0, len(distinct)}), len(distinct)]
        for lo, hi in zip(bounds, bounds[1:]):
            vals[lo:hi] = _score_group(distinct[lo:hi], tables[name])
        if len(distinct) == len(these):
            out[rows] = vals
        else:
            index = dict(zip(distinct, range(len(distinct))))
            out[rows] = vals[np.fromiter(map(index.__getitem__, these), np.int64, len(these))]
    return out


def labels(compound: np.ndarray, band: float = NEUTRAL_BAND) -> list[str]:
    """sentiment.label for every value: positive if >= band, negative if <= -band, else neutral."""
    idx = 1 + (compound >= band).astype(np.int8) - (compound <= -band).astype(np.int8)
    return _LABELS_OBJ[idx].tolist()


def scores(texts: list[str | None], langs: list[str | None]) -> tuple[np.ndarray, list[str]]:
    """(compound float64 array, labels) for a batch; the batch form of sentiment.score."""
    c = compounds(texts, langs)
    return c, labels(c)
