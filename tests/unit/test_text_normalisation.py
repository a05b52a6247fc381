"""Hashtag keys and word-cloud words that every script survives (spark/enrich/textnorm.py, words.py;
docs/text-normalisation.md). Fast: no services; the segmenters load once per session."""
from __future__ import annotations

import gzip
import json
import subprocess
import sys
import unicodedata
from collections import Counter
from pathlib import Path

import pytest

from spark.enrich import words
from spark.enrich.textnorm import (display_spellings, fold_latin, hashtag_key, hashtag_keys, hashtag_spellings,
                                   is_latin_letter, word_key)

ROOT = Path(__file__).resolve().parents[2]


def nfc(s: str) -> str:
    return unicodedata.normalize("NFC", s)


def non_latin_marks(s: str) -> Counter:
    """The combining marks of s (decomposed) that sit on a base letter of a script other than Latin."""
    out: Counter = Counter()
    base_latin = False
    for ch in unicodedata.normalize("NFD", s):
        if unicodedata.category(ch)[0] == "M":
            if not base_latin:
                out[ch] += 1
        else:
            base_latin = is_latin_letter(ch)
    return out


# ---- hashtag keys, one language at a time ------------------------------------------------------------
@pytest.mark.parametrize(("lang", "tag", "key"), [
    ("pt", "#CartãoSantander", "cartaosantander"),
    ("pt", "#Atenção", "atencao"),
    ("es", "#MañanaSANTÁNDER", "mananasantander"),
    ("ja", "#メルカリみくじ2023", "メルカリみくじ2023"),
    ("ja", "#ご参加ありがとうございます", "ご参加ありがとうございます"),
    ("ja", "#ﾒﾙｶﾘ", "メルカリ"),  # half-width kana: NFKC gives the full-width letters, dakuten composed
    ("th", "#เครดิตฟรีล่าสุด", "เครดิตฟรีล่าสุด"),
    ("hi", "#नंबर_1_मध्यप्रदेश", "नंबर_1_मध्यप्रदेश"),
    ("ar", "#مَرْحَبًا_بالعالم", "مَرْحَبًا_بالعالم"),
    ("he", "#שָׁלוֹם", nfc("שָׁלוֹם")),
    ("ko", "#세븐틴", "세븐틴"),
    ("zh", "＃桑坦德银行", "桑坦德银行"),
    ("ru", "#Сбербанк", "сбербанк"),
])
def test_hashtag_key_keeps_every_non_latin_mark(lang, tag, key):
    got = hashtag_key(tag)
    assert got == key, lang
    assert non_latin_marks(got) == non_latin_marks(unicodedata.normalize("NFKC", tag)), lang
    # round trip: the key is its own key, and the display spelling (the original) gives the same key
    assert hashtag_key(got) == got and hashtag_key(tag.lstrip("#＃")) == got
    assert unicodedata.is_normalized("NFC", got)


@pytest.mark.parametrize(("lang", "text", "shown"), [
    ("pt", "Fui à agência hoje #CartãoSantander #Atenção", {"cartaosantander": "CartãoSantander", "atencao": "Atenção"}),
    ("es", "Mañana abre #MañanaSANTÁNDER!", {"mananasantander": "MañanaSANTÁNDER"}),
    ("ja", "みんな #メルカリみくじ2023 #ﾒﾙｶﾘ", {"メルカリみくじ2023": "メルカリみくじ2023", "メルカリ": "メルカリ"}),
    ("th", "โปร #เครดิตฟรีล่าสุด วันนี้", {"เครดิตฟรีล่าสุด": "เครดิตฟรีล่าสุด"}),
    ("hi", "खबर #नंबर_1_मध्यप्रदेश.", {"नंबर_1_मध्यप्रदेश": "नंबर_1_मध्यप्रदेश"}),
    ("ar", "أهلا #مَرْحَبًا_بالعالم", {"مَرْحَبًا_بالعالم": "مَرْحَبًا_بالعالم"}),
    ("zh", "银行 ＃桑坦德银行", {"桑坦德银行": "桑坦德银行"}),
])
def test_display_spellings_round_trip_to_their_key_with_every_mark(lang, text, shown):
    got = hashtag_spellings(text)
    assert got == shown, lang
    for key, spelling in got.items():
        assert hashtag_key(spelling) == key  # the display form and the key round-trip
        assert non_latin_marks(spelling) == non_latin_marks(unicodedata.normalize("NFKC", spelling))
        assert spelling in unicodedata.normalize("NFKC", text)  # a spelling the tweet really wrote


def test_display_spellings_follow_the_keys_and_fall_back_to_the_key():
    text = "#ATENÇÃO agora, depois #atenção de novo"
    assert display_spellings(["atencao", "santander"], text) == ["ATENÇÃO", "santander"]  # first spelling wins
    assert display_spellings([], text) == [] and display_spellings(["x"], None) == ["x"]


def test_the_damage_the_issue_reported_is_gone():
    assert "じ" in hashtag_key("#メルカリみくじ2023")            # was メルカリみくし2023
    assert hashtag_key("#เครดิตฟรีล่าสุด") != "เครดิตฟรีลาสด"
    assert "्" in hashtag_key("#नंबर_1_मध्यप्रदेश")                 # virama, was मधयपरदेश
    k = hashtag_key("#세븐틴")
    assert k == "세븐틴" and len(k) == 3 and all("\uac00" <= c <= "\ud7a3" for c in k)  # syllables, not jamo


def test_latin_folding_stops_at_the_latin_script():
    assert fold_latin("Santánder cartão mañana agência") == "Santander cartao manana agencia"
    assert fold_latin("ごじ ล่า ष्ट مَ") == "ごじ ล่า ष्ट مَ"
    assert fold_latin("łódź ø") == "łodz ø"  # no decomposition, no folding
    assert is_latin_letter("é") and is_latin_letter("ß") and not is_latin_letter("じ") and not is_latin_letter("1")


def test_hashtag_keys_are_distinct_in_order_without_empties():
    assert hashtag_keys(["Santander", "#santánder", None, "", "#", "BANCO", "banco", "세븐틴"]) == \
        ["santander", "banco", "세븐틴"]
    assert hashtag_keys(None) == [] and hashtag_key(None) is None and hashtag_key(" ＃ ") is None


def test_hashtag_key_is_cached():
    assert hasattr(hashtag_key, "cache_info")


def test_word_key_keeps_accents():
    assert [word_key(w) for w in ("Cartão", "MAÑANA", "Agência", "ＡＴＥＮÇÃＯ", "세븐틴")] == \
        ["cartão", "mañana", "agência", "atenção", "세븐틴"]


# ---- every hashtag entity of the shared data ---------------------------------------------------------
def _documents(path: Path):
    raw = (gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()).decode("utf-8", "replace")
    try:
        yield json.loads(raw)
        return
    except ValueError:
        pass
    for line in raw.splitlines():
        try:
            yield json.loads(line)
        except ValueError:
            continue  # broken on purpose (streaming_output_with_error.jsonl line 8)


def _walk(node, tags: list[str], texts: list[tuple[str, str | None]]):
    if isinstance(node, dict):
        for entity in node.get("hashtags") if isinstance(node.get("hashtags"), list) else ():
            tag = entity.get("tag", entity.get("text")) if isinstance(entity, dict) else None
            if isinstance(tag, str):
                tags.append(tag)
        for field in ("text", "full_text"):
            if isinstance(node.get(field), str) and "id" in node:
                texts.append((node[field], node.get("lang")))
        for v in node.values():
            _walk(v, tags, texts)
    elif isinstance(node, list):
        for v in node:
            _walk(v, tags, texts)


@pytest.fixture(scope="module")
def shared_entities(shared_data) -> tuple[list[str], list[tuple[str, str | None]]]:
    tags: list[str] = []
    texts: list[tuple[str, str | None]] = []
    for path in sorted((shared_data / "tweets").rglob("*")):
        if path.is_file() and path.name.endswith((".json", ".jsonl", ".json.gz", ".jsonl.gz")):
            for doc in _documents(path):
                _walk(doc, tags, texts)
    return sorted(set(tags)), sorted(set(texts), key=repr)


def test_every_shared_hashtag_key_is_its_entity_after_nfkc_and_casefold(shared_entities):
    tags, _ = shared_entities
    assert len(tags) > 1000 and sum(not t.isascii() for t in tags) > 30  # the test saw real non-ASCII tags
    for tag in tags:
        key = hashtag_key(tag)
        expected = nfc(unicodedata.normalize("NFKC", tag).casefold())
        assert fold_latin(key) == fold_latin(expected), tag
        assert non_latin_marks(key) == non_latin_marks(unicodedata.normalize("NFKC", tag)), tag


def test_every_shared_word_appears_in_its_tweet_once_normalised(shared_entities):
    _, texts = shared_entities
    assert len(texts) > 1000
    for text, lang in texts:
        normalised = word_key(unicodedata.normalize("NFKC", text))
        for w in words.tokens(text, lang):
            assert w in normalised, (w, text)


# ---- word-cloud tokens ---------------------------------------------------------------------------------
JA = "ご参加ありがとうございます！メルカリみくじで運試しをしてください"
ZH = "我们今天去银行开户了，服务很好，信用卡也办好了"
TH = "เครดิตฟรีล่าสุดสำหรับสมาชิกใหม่ ธนาคารออนไลน์"


def _segmenter_words(script: str, text: str) -> set[str]:
    """The segmenter's own words for the text as written, as keys."""
    if script == "ja":
        from janome.tokenizer import Tokenizer
        return {word_key(t.surface) for t in Tokenizer().tokenize(text)}
    if script == "zh":
        import rjieba
        return {word_key(w) for w in rjieba.cut(text)}
    from pythainlp.tokenize import word_tokenize
    return {word_key(w) for w in word_tokenize(text, engine="newmm")}


@pytest.mark.parametrize(("script", "text"), [("ja", JA), ("zh", ZH), ("th", TH)])
def test_cjk_and_thai_words_are_the_segmenters_words(script, text):
    got = words.tokens(text, script)
    assert len(got) >= 3, got
    assert set(got) <= _segmenter_words(script, text)
    assert max(map(len, got)) < len(text) / 2  # words, not the whole sentence


def test_words_in_each_script_keep_their_marks():
    assert {"参加", "くじ"} <= set(words.tokens(JA, "ja"))              # voicing mark of じ kept
    assert {"银行", "开户", "服务"} <= set(words.tokens(ZH, "zh"))
    assert {"ล่าสุด", "สมาชิก"} <= set(words.tokens(TH, "th"))         # tone mark and vowel kept
    assert "मध्यप्रदेश" in words.tokens("मध्यप्रदेश में बैंक का नया खाता", "hi")
    assert "المدينة" in words.tokens("البنك الجديد في المدينة", "ar")
    assert "세븐틴" in words.tokens("세븐틴 콘서트", "ko")


def test_thai_sara_am_survives_nfkc_for_the_segmenter():
    # NFKC splits ำ into ํ + า, which the Thai dictionary does not know: words.py recomposes it to segment
    got = words.tokens("พนักงานธนาคารทำงานหนักมาก", "th")
    assert word_key("ธนาคาร") in got and word_key("ทำงานหนัก") in got and "ธนา" not in got


def test_script_decides_the_segmenter_not_lang():
    assert words.tokens(JA, "en") == words.tokens(JA, "ja") == words.tokens(JA, None)
    assert words.tokens(ZH, "und") == words.tokens(ZH, "zh")
    assert words.tokens("銀行口座", "ja") == ["銀行", "口座"]  # Han only: lang tells Japanese from Chinese
    assert "运" not in words.tokens("运气", "zh") and words.tokens("运", "zh") == []  # single Han chars go


def test_portuguese_and_spanish_keep_accents_and_drop_stop_words_and_brand():
    pt = words.tokens("Atenção: o cartão do SANTÁNDER não chegou e você nao respondeu, Santander!", "pt")
    assert pt == ["atenção", "cartão", "chegou", "respondeu"]
    es = words.tokens("Mañana voy a la agencia del Banco santander por mi tarjeta", "es")
    assert es == ["mañana", "agencia", "banco", "tarjeta"]
    assert "santander" in words.BRAND_TERMS


def test_tokens_drop_urls_mentions_hashtags_handles_masks_and_numbers():
    text = "@banco #เครดิตฟรีล่าสุด #メルカリみくじ2023 h_1a2b u_9f https://t.co/x www.x.com [email] 2024 serviço"
    assert words.tokens(text, "pt") == ["serviço"]


def test_tokens_batch_segments_each_distinct_text_once(monkeypatch):
    calls = []
    real = words.tokens
    monkeypatch.setattr(words, "tokens", lambda t, l=None: calls.append((t, l)) or real(t, l))
    texts, langs = [JA, JA, ZH, None, JA], ["ja", "ja", "zh", None, "en"]
    got = words.tokens_batch(texts, langs)
    assert got == [real(t, l) for t, l in zip(texts, langs)]
    assert len(calls) == 4  # (JA, ja) once for its two rows
    got[0].append("x")
    assert got[1] != got[0]  # rows do not share a list


def test_segmenters_load_only_for_their_script():
    code = ("import sys; from spark.enrich import words; words.tokens('O cartão chegou, obrigado', 'pt'); "
            "print(sorted(m for m in ('janome', 'rjieba', 'pythainlp') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
