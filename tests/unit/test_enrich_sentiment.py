"""Sentiment enrichment: clear pt/es/en cases, rules, thresholds, determinism, measured quality floors."""
from __future__ import annotations


import pytest

from spark.enrich import evaluate, sentiment
from spark.enrich.sentiment import label, score

# Measured (docs/enrichment.md): TweetEval val, band 0.40 tuned on the even lines:
# all 2,000 accuracy 0.6125 / macro-F1 0.588; odd (held-out) 1,000 accuracy 0.604 / macro-F1 0.579.
# Synthetic agreement 0.994 on 5,000 tweets (seed 0). The floors sit just below those figures.
TWEETEVAL_ACC_FLOOR = 0.59
TWEETEVAL_F1_FLOOR = 0.57
TWEETEVAL_HELDOUT_F1_FLOOR = 0.56
SYNTHETIC_FLOOR = 0.98
SYNTHETIC_LANG_FLOOR = 0.97


@pytest.mark.parametrize("text,lang,expected", [
    ("O app do Santander é excelente, recomendo!", "pt", "positive"),
    ("Adorei o atendimento 😍", "pt", "positive"),
    ("O Pix caiu de novo. Que raiva 😡", "pt", "negative"),
    ("Atendimento péssimo, nunca mais!", "pt", "negative"),
    ("O app não funciona", "pt", "negative"),
    ("Não gostei", "pt", "negative"),
    ("A agência abre às 10h amanhã", "pt", "neutral"),
    ("La app funciona genial, ¡muchas gracias!", "es", "positive"),
    ("Me encanta 😍", "es", "positive"),
    ("Es una vergüenza, estoy harto", "es", "negative"),
    ("No me gusta nada", "es", "negative"),
    ("El cajero está en la calle mayor", "es", "neutral"),
    ("The app is great, thanks!", "en", "positive"),
    ("Customer service was really helpful :)", "en", "positive"),
    ("Worst bank ever. So angry 😡", "en", "negative"),
    ("The app is not good", "en", "negative"),
    ("The branch opens at 9 tomorrow", "en", "neutral"),
    ("😍🙌", "und", "positive"),
    ("😡👎", None, "negative"),
    (":(", None, "negative"),
    ("#MuyFeliz", "es", "positive"),
    ("@user http://t.co/x", "en", "neutral"),
])
def test_clear_examples(text, lang, expected):
    value, lab = score(text, lang)
    assert -1.0 <= value <= 1.0
    assert lab == expected, (text, value)


def test_negation_flips_praise_fully_and_blame_mildly():
    pos = sentiment.compound("o serviço é bom", "pt")
    neg = sentiment.compound("o serviço não é bom", "pt")
    assert pos > 0 > neg and abs(neg) < abs(pos)
    assert sentiment.compound("not happy", "en") < 0 < sentiment.compound("happy", "en")
    # "not bad" is mildly good: positive score, but inside the neutral band
    for text, lang in (("Não é ruim", "pt"), ("No está mal", "es"), ("It isn't bad", "en")):
        assert 0 < sentiment.compound(text, lang) < sentiment.NEUTRAL_BAND, text
    # scope ends at punctuation: the second clause is not negated
    assert sentiment.compound("No. Me encanta", "es") > 0
    for phrase, lang in (("Nunca mais!", "pt"), ("¡Nunca más!", "es"), ("Never again!", "en"),
                         ("is down again", "en")):
        assert score(phrase, lang)[1] == "negative", phrase


def test_intensifiers_caps_and_exclamation_raise_magnitude():
    base = sentiment.compound("it is good", "en")
    assert sentiment.compound("it is very good", "en") > base
    assert sentiment.compound("it is GOOD", "en") > base
    assert sentiment.compound("it is good!!!", "en") > base
    assert sentiment.compound("muito bom", "pt") > sentiment.compound("bom", "pt")
    assert sentiment.compound("ruim demais", "pt") < sentiment.compound("ruim", "pt")
    assert sentiment.compound("muy malo", "es") < sentiment.compound("malo", "es")


def test_contrast_word_shifts_weight_to_the_second_clause():
    # the same two opinions, in either order: the one after "but" wins
    assert sentiment.compound("The fees are awful but the app is great", "en") > 0
    assert sentiment.compound("The app is great but the fees are awful", "en") < 0
    assert sentiment.compound("O app é lento mas o atendimento é excelente", "pt") > 0
    assert sentiment.compound("O atendimento é excelente mas o app é lento", "pt") < 0
    assert score("Es caro pero funciona genial", "es")[1] == "positive"


def test_accent_case_and_repeats_insensitive():
    assert sentiment.compound("PÉSSIMO", "pt") < 0 and sentiment.compound("pessimo", "pt") < 0
    assert sentiment.compound("goooood", "en") > 0
    assert sentiment.compound("kkkkkkk", "pt") > 0


def test_language_tags_and_unknown_languages():
    assert score("Excelente", "pt-BR") == score("Excelente", "pt")
    assert score("excelente", "es_ES") == score("excelente", "es")
    # unknown or missing language: the union of the three lexicons
    for lang in (None, "und", "fr", ""):
        assert score("excelente, recomendo", lang)[1] == "positive"
    # "no" negates in Spanish but is "in the" in Portuguese
    assert sentiment.compound("no app ótimo", "pt") > 0


def test_label_thresholds():
    band = sentiment.NEUTRAL_BAND
    assert 0 < band < 1
    assert label(band) == "positive" and label(-band) == "negative"
    assert label(band - 1e-6) == "neutral" and label(-band + 1e-6) == "neutral" and label(0.0) == "neutral"
    assert label(1.0) == "positive" and label(-1.0) == "negative"
    assert label(0.1, band=0.05) == "positive"
    assert score("", "en") == (0.0, "neutral") and score(None, None) == (0.0, "neutral")


def test_deterministic_and_pure():
    texts = ["Ótimo serviço! 👏", "¡Qué rabia! 😡", "Meh.", "I love it but it's slow"]
    first = [score(t, lang) for t in texts for lang in ("pt", "es", "en", None)]
    again = [score(t, lang) for t in texts for lang in ("pt", "es", "en", None)]
    assert first == again
    assert all(isinstance(v, float) and round(v, 4) == v for v, _ in first)


def test_tweeteval_accuracy_and_macro_f1_floor(shared_data):
    texts, gold = evaluate.load_tweeteval(shared_data)
    assert len(texts) == 2000
    pred = [score(t, "en")[1] for t in texts]
    m = evaluate.metrics(pred, gold)
    assert m["accuracy"] >= TWEETEVAL_ACC_FLOOR, m
    assert m["macro_f1"] >= TWEETEVAL_F1_FLOOR, m
    odd = [i for i in range(len(texts)) if i % 2]
    held_out = evaluate.metrics([pred[i] for i in odd], [gold[i] for i in odd])
    assert held_out["macro_f1"] >= TWEETEVAL_HELDOUT_F1_FLOOR, held_out


def test_synthetic_agreement_floor():
    tweets = evaluate.synthetic_tweets(5000, seed=0)
    hits: dict[str, list[int]] = {}
    for text, lang, truth in tweets:
        h = hits.setdefault(lang, [0, 0])
        h[0] += score(text, lang)[1] == truth
        h[1] += 1
    overall = sum(h[0] for h in hits.values()) / len(tweets)
    assert overall >= SYNTHETIC_FLOOR, overall
    for lang, (ok, n) in hits.items():
        assert ok / n >= SYNTHETIC_LANG_FLOOR, (lang, ok / n)


def test_every_planted_lexicon_word_carries_its_polarity():
    from ingestion.sources import synthetic_vocab as vocab

    for lang, sides in vocab.LEXICON.items():
        for polarity, words in sides.items():
            for word in words:
                if word in ("nunca", "never", "down"):  # scored in phrases: "Nunca mais!", "is down"
                    continue
                c = sentiment.compound(word, lang)
                assert (c > 0) if polarity == "positive" else (c < 0), (lang, word, c)
