"""The batch (numpy) sentiment scorer against the per-row one: labels, scores, quality, edge cases."""
from __future__ import annotations

import json
import random

import numpy as np
import pytest

from ingestion.sources import synthetic
from spark.enrich import evaluate, sentiment, sentiment_batch
from spark.enrich.sentiment_batch import scores

AGREEMENT_FLOOR = 0.99  # share of labels equal to sentiment.score's (measured: 1.0, docs/sentiment-batch.md)


def _agreement(texts, langs):
    comp, labs = scores(texts, langs)
    ref = [sentiment.score(t, lang) for t, lang in zip(texts, langs)]
    same_label = sum(r[1] == b for r, b in zip(ref, labs)) / len(texts)
    same_score = sum(r[0] == c for r, c in zip(ref, comp.tolist())) / len(texts)
    return same_label, same_score, labs


@pytest.fixture(scope="module")
def synthetic_texts():
    texts, langs = [], []
    for r in synthetic.generate(5000, seed=1, days=30):
        d = json.loads(r.payload)
        d = d["data"] if isinstance(d.get("data"), dict) else d
        texts.append(d.get("text"))
        langs.append(d.get("lang"))
    return texts, langs


def test_tweeteval_agreement_and_macro_f1(shared_data):
    texts, gold = evaluate.load_tweeteval(shared_data)
    langs = ["en"] * len(texts)
    same_label, same_score, labs = _agreement(texts, langs)
    assert same_label >= AGREEMENT_FLOOR
    assert same_score >= AGREEMENT_FLOOR
    row = evaluate.metrics([sentiment.score(t, "en")[1] for t in texts], gold)["macro_f1"]
    batch = evaluate.metrics(labs, gold)["macro_f1"]
    assert batch >= row, (batch, row)


def test_synthetic_agreement(synthetic_texts):
    texts, langs = synthetic_texts
    assert {"pt", "es", "en"} <= set(langs)
    same_label, same_score, _ = _agreement(texts, langs)
    assert same_label >= AGREEMENT_FLOOR
    assert same_score >= AGREEMENT_FLOOR


@pytest.mark.parametrize("text,lang", [
    (None, "en"), ("", "pt"), ("   ", None),
    ("http://t.co/abc https://x.com/y www.example.com", "en"),
    ("@user @other", "es"), ("@user http://t.co/x", "en"),
    ("good", "en"), ("not good", "en"), ("it is not good at all", "en"), ("not. good", "en"),
    ("not bad", "en"), ("It isn't bad", "en"),
    ("good but terrible", "en"), ("terrible but good", "en"), ("good but bad but great", "en"),
    ("it is GOOD", "en"), ("IT IS GOOD", "en"), ("GOOD good bad", "en"), ("DON'T like it", "en"),
    ("very good", "en"), ("very very good", "en"), ("kind of good", "en"), ("goood", "en"), ("baaaad!!!", "en"),
    ("good!!!!!!", "en"), ("good???", "en"), ("😍🙌", "und"), ("😡👎", None), (":)", None), ("d: sad", "en"),
    ("#MuyFeliz", "es"), ("#NotHappy #BadDay2024", "en"),
    ("O app do Santander é excelente, recomendo!", "pt"), ("O app não funciona", "pt"),
    ("O atendimento é excelente mas o app é lento", "pt"), ("muito bom", "pt-BR"), ("ruim demais", "pt"),
    ("La app funciona genial, ¡muchas gracias!", "es"), ("No me gusta nada", "es"), ("muy malo", "es_MX"),
    ("No. Me encanta", "es"), ("good", "fr"), ("bom", "und"), ("malo", "xx-YY"), ("great", "ptx"),
    ("Straße ist gut ß", "de"), ("ΣΟΦΟΣ good", None), ("A×B GOOD ×", "en"), ("NUL\x00good :)\x00", "en"),
    ("𝐆𝐎𝐎𝐃 ｇｏｏｄ", "en"), ("x" * 3000 + " good", "en"),
])
def test_edge_cases_agree_with_per_row(text, lang):
    comp, labs = scores([text], [lang])
    assert comp.tolist() == [sentiment.compound(text, lang)]
    assert labs == [sentiment.score(text, lang)[1]]


def test_negation_and_contrast_move_the_score():
    comp, labs = scores(["good", "not good", "good but terrible", "terrible but good"], ["en"] * 4)
    assert comp[0] > 0 > comp[1]
    assert labs[2] == "negative" and labs[3] == "positive"


def test_output_lengths_and_types():
    texts = ["good", None, "bad", "", "good"]
    langs = ["en", "en", None, "pt", "es"]
    comp, labs = scores(texts, langs)
    assert isinstance(comp, np.ndarray) and comp.dtype == np.float64 and comp.shape == (5,)
    assert isinstance(labs, list) and len(labs) == 5 and set(labs) <= set(sentiment.LABELS)
    assert comp[1] == 0.0 and comp[3] == 0.0 and labs[1] == labs[3] == "neutral"
    assert ((comp >= -1) & (comp <= 1)).all()
    empty = scores([], [])
    assert empty[0].shape == (0,) and empty[1] == []
    with pytest.raises(ValueError):
        scores(["a"], [])


def test_repeated_texts_and_chunks(monkeypatch, synthetic_texts):
    texts, langs = synthetic_texts
    texts, langs = texts[:1500] * 2, langs[:1500] * 2  # repeats are scored once, then spread back
    whole = scores(texts, langs)[0]
    monkeypatch.setattr(sentiment_batch, "_CHUNK_CHARS", 700)  # many chunks, same numbers
    assert (scores(texts, langs)[0] == whole).all()
    assert (whole[:1500] == whole[1500:]).all()


_PIECES = ["good", "GOOD", "bad", "BAD", "not", "no", "very", "but", "mas", "pero", " ", " ", "  ", "!", "?",
           ".", ",", ":)", ":(", "d:", ":-)", "<3", ":d", "xd", "#GoodDay", "#notGood", "#ABCdef", "#a1b", "#",
           "@user", "@", "http://t.co/x", "https://x.y/z!", "www.a.b", "http:// ", "xhttps://good", "wwww.bad",
           "://", "goood", "baaad", "don't", "DON'T", "it\u2019s", "ß", "Æ", "ΣΟΦΟΣ", "İstanbul", "×", "A×B", "÷",
           "😍", "😡", "👍", "\n", "\t", "\x00", "é", "ÉXITO", "excelente", "péssimo", "não", "nunca", "muito",
           "bom", "ruim", "demais", "no me gusta", "me encanta", "kind of", "𝐀𝐁", "ǅ", "ＧＯＯＤ", "1", "_",
           "\u2028", "\x85"]


def test_random_texts_score_exactly_as_per_row():
    """Random mixes of the awkward parts (emoticons, hashtags, URLs, caps, folds, NULs, astral
    letters): every compound equal to sentiment.compound's, so the numpy tokeniser matches."""
    rng = random.Random(7)
    texts, langs = [], []
    for _ in range(4000):
        sep = rng.choice(["", " "])
        texts.append(sep.join(rng.choice(_PIECES) for _ in range(rng.randint(0, 12))))
        langs.append(rng.choice(["en", "pt", "es", "pt-BR", "und", None, "fr"]))
    comp = scores(texts, langs)[0].tolist()
    assert comp == [sentiment.compound(t, lang) for t, lang in zip(texts, langs)]


def test_numpy_tokeniser_equals_regex_tokeniser(synthetic_texts):
    texts = [t for t in synthetic_texts[0][:2000] if t]
    joined = sentiment_batch._join(texts)
    fast = sentiment_batch._tokens_np(joined, len(texts))
    slow = sentiment_batch._tokens_re(joined, len(texts))

    def spelled(got):
        ids, uniq, caps_rows, caps_ids, repeated = got
        caps = {(r, uniq[k]) for r, k in zip(caps_rows.tolist(), caps_ids.tolist()) if k >= 0}
        return [uniq[i] for i in ids.tolist()], caps, {uniq[k] for k in repeated.tolist()}

    assert spelled(fast) == spelled(slow)


def test_regex_fallback_scores_the_same(synthetic_texts):
    texts = list(dict.fromkeys(t for t, lang in zip(*synthetic_texts) if t and lang == "pt"))[:1000]
    table = sentiment._load()["pt"]
    fast = sentiment_batch._score_group(texts, table)
    slow = sentiment_batch._score_group(texts, table, tokenizer=sentiment_batch._tokens_re)
    assert (fast == slow).all()
