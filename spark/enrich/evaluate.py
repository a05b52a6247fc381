"""Measure the enrichment modules: the figures in docs/enrichment.md come from here.

    python -m spark.enrich.evaluate [--shared PATH] [--synthetic N] [--seed S] [--samples K]

Sentiment: accuracy, macro-F1 and macro-recall on TweetEval's sentiment validation
split (the neutral band is tuned on its even lines and reported on the odd lines
and on all 2,000); agreement with the synthetic firehose's planted sentiment;
throughput on one core. Geo: coverage on the synthetic users' locations and on
the real users in the shared twarc files, plus a seeded sample of resolved
real locations for a precision spot-check; throughput.
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import random
import re
import time
from collections import Counter
from pathlib import Path

from spark.enrich import geo, sentiment

CLASSES = ("negative", "neutral", "positive")  # TweetEval ids 0, 1, 2
_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")
DEFAULT_SHARED = Path(os.environ.get("LAKE_SHARED_DATA", Path(__file__).resolve().parents[3] / "shared" / "data"))


# ---------------------------------------------------------------- data
def load_tweeteval(shared: Path) -> tuple[list[str], list[str]]:
    """TweetEval sentiment validation texts (trailing space stripped) and labels as names."""
    d = shared / "sentiment" / "tweeteval"
    raw = (d / "val_text.txt").read_text(encoding="utf-8").splitlines()
    # the files keep some characters as literal escapes ("\u2019", "\u002c"): decode those, strip the trailing space
    texts = [_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), line.rstrip(" ")) for line in raw]
    labels = [CLASSES[int(x)] for x in (d / "val_labels.txt").read_text().split()]
    if len(texts) != len(labels):
        raise ValueError(f"{len(texts)} texts but {len(labels)} labels")
    return texts, labels


def synthetic_tweets(count: int, seed: int = 0) -> list[tuple[str, str, str]]:
    """(text, lang, planted sentiment) for `count` synthetic v2 tweets."""
    from ingestion.sources.synthetic import generate_with_truth

    out = []
    for record, truth in generate_with_truth(count, seed):
        d = json.loads(record.payload)
        out.append((d["text"], d.get("lang"), truth.sentiment))
    return out


def synthetic_locations(count: int, seed: int = 0) -> list[tuple[str | None, str | None, str | None, str]]:
    """(place country_code, place full_name, author location, author's home country) per synthetic v2 tweet."""
    from ingestion.sources.synthetic import generate_with_truth
    from ingestion.sources import synthetic_vocab as vocab

    home_cc = {}
    for p in vocab.PLACES:
        for alias in p[5]:
            home_cc[alias] = p[3]
    for cc, names in vocab.COUNTRY_LOCATIONS.items():
        for name in names:
            home_cc[name] = cc
    out = []
    for record, _ in generate_with_truth(count, seed):
        d = json.loads(record.payload)
        place = d.get("geo") or {}
        loc = (d.get("author") or {}).get("location")
        out.append((place.get("country_code"), place.get("full_name"), loc, home_cc.get(loc or "", "")))
    return out


def real_users(shared: Path) -> list[str]:
    """Distinct users' free-text locations ('' when unset) from the shared twarc v2 files."""
    seen: dict[str, str] = {}
    for path in sorted(glob.glob(str(shared / "tweets" / "v2-twarc" / "test-data" / "*.jsonl"))):
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                try:
                    d = json.loads(line)
                except ValueError:
                    continue
                if not isinstance(d, dict):
                    continue
                users = list((d.get("includes") or {}).get("users") or [])
                if isinstance(d.get("author"), dict):
                    users.append(d["author"])
                for u in users:
                    if isinstance(u, dict) and u.get("id") and u["id"] not in seen:
                        seen[u["id"]] = u.get("location") or ""
    return list(seen.values())


# ---------------------------------------------------------------- metrics
def metrics(pred: list[str], gold: list[str]) -> dict[str, float]:
    """Accuracy, macro-F1 and macro-recall (TweetEval's official sentiment metric) over the three classes."""
    n = len(gold)
    f1s, recalls = [], []
    for c in CLASSES:
        tp = sum(1 for p, g in zip(pred, gold) if p == c and g == c)
        fp = sum(1 for p, g in zip(pred, gold) if p == c and g != c)
        fn = sum(1 for p, g in zip(pred, gold) if p != c and g == c)
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        f1s.append(2 * prec * rec / (prec + rec) if prec + rec else 0.0)
        recalls.append(rec)
    return {"accuracy": sum(1 for p, g in zip(pred, gold) if p == g) / n,
            "macro_f1": sum(f1s) / 3, "macro_recall": sum(recalls) / 3, "n": n}


def tune_band(compounds: list[float], gold: list[str]) -> float:
    """Neutral band in 0.01 steps (0.01..0.80) with the best macro-F1 (ties: the smaller band)."""
    best, best_f1 = 0.05, -1.0
    for k in range(1, 81):
        band = k / 100
        f1 = metrics([sentiment.label(c, band) for c in compounds], gold)["macro_f1"]
        if f1 > best_f1 + 1e-12:
            best, best_f1 = band, f1
    return best


def throughput(fn, items, repeat: int = 3) -> float:
    """Best-of-`repeat` items per second of calling fn(*item) over items (tables already built)."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        for item in items:
            fn(*item)
        best = min(best, time.perf_counter() - t0)
    return len(items) / best


# ---------------------------------------------------------------- reports
def sentiment_report(shared: Path, synthetic: int, seed: int) -> dict:
    texts, gold = load_tweeteval(shared)
    comps = [sentiment.compound(t, "en") for t in texts]
    even = [i for i in range(len(texts)) if i % 2 == 0]
    odd = [i for i in range(len(texts)) if i % 2 == 1]
    tuned = tune_band([comps[i] for i in even], [gold[i] for i in even])

    def at(band, idx):
        return metrics([sentiment.label(comps[i], band) for i in idx], [gold[i] for i in idx])

    rep = {"tweeteval": {
        "tuned_band_on_even": tuned, "shipped_band": sentiment.NEUTRAL_BAND,
        "shipped_band_odd": at(sentiment.NEUTRAL_BAND, odd),
        "shipped_band_all": at(sentiment.NEUTRAL_BAND, range(len(texts))),
        "vader_band_0.05_all": at(0.05, range(len(texts))),
        "band_sweep_odd_macro_f1": {b: round(at(b, odd)["macro_f1"], 4) for b in (0.05, 0.2, 0.3, 0.4, 0.5)},
    }}
    try:  # the reference implementation, for comparison (same data, its own default band 0.05)
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        an = SentimentIntensityAnalyzer()
        vc = [an.polarity_scores(t)["compound"] for t in texts]
        rep["tweeteval"]["reference_vader_0.05_all"] = metrics([sentiment.label(c, 0.05) for c in vc], gold)
        rep["tweeteval"]["reference_vader_shipped_band_odd"] = metrics(
            [sentiment.label(vc[i], sentiment.NEUTRAL_BAND) for i in odd], [gold[i] for i in odd])
        rep["tweeteval"]["reference_vader_0.05_odd"] = metrics(
            [sentiment.label(vc[i], 0.05) for i in odd], [gold[i] for i in odd])
        rep["tweeteval"]["reference_vader_texts_per_s"] = throughput(lambda t: an.polarity_scores(t), [(t,) for t in texts])
    except ImportError:
        pass
    syn = synthetic_tweets(synthetic, seed)
    pred = [sentiment.score(t, lang)[1] for t, lang, _ in syn]
    by_lang: dict[str, list[int]] = {}
    confusion = Counter()
    for (t, lang, truth), p in zip(syn, pred):
        by_lang.setdefault(lang, [0, 0])
        by_lang[lang][0] += p == truth
        by_lang[lang][1] += 1
        confusion[(truth, p)] += 1
    rep["synthetic"] = {
        "count": len(syn), "seed": seed,
        "agreement": sum(p == truth for (_, _, truth), p in zip(syn, pred)) / len(syn),
        "by_lang": {k: round(v[0] / v[1], 4) for k, v in sorted(by_lang.items())},
        "confusion_truth_pred": {f"{a}->{b}": n for (a, b), n in sorted(confusion.items())},
        "misses": [(t, lang, truth, p) for (t, lang, truth), p in zip(syn, pred) if p != truth][:15],
    }
    rep["throughput_texts_per_s"] = {
        "tweeteval_en": throughput(sentiment.score, [(t, "en") for t in texts]),
        "synthetic_mixed": throughput(sentiment.score, [(t, lang) for t, lang, _ in syn]),
    }
    return rep


def geo_report(shared: Path, synthetic: int, seed: int, samples: int) -> dict:
    rows = synthetic_locations(synthetic, seed)
    with_loc = [r for r in rows if r[2]]
    res = [geo.resolve(None, None, loc) for _, _, loc, _ in with_loc]
    resolved = [(r, out) for r, out in zip(with_loc, res) if out[0]]
    should = [(r, out) for r, out in zip(with_loc, res) if r[3]]
    correct = sum(1 for r, out in should if out[0] == r[3])
    wrong = sorted({(r[2], out[0], r[3]) for r, out in should if out[0] and out[0] != r[3]})
    junk_hits = sorted({(r[2], out) for r, out in zip(with_loc, res) if not r[3] and out[0]})
    places = [r for r in rows if r[0]]
    place_ok = sum(1 for r in places if geo.resolve(r[0], r[1], r[2])[2] == "place")
    rep = {"synthetic": {
        "tweets": len(rows), "with_location": len(with_loc),
        "resolved_share_of_nonempty": len(resolved) / len(with_loc),
        "real_places_share_of_nonempty": len(should) / len(with_loc),
        "recall_on_real_places": correct / len(should), "wrong": wrong, "junk_resolved": junk_hits,
        "geotagged": len(places), "place_source_share": place_ok / max(1, len(places)),
        "distinct_locations": len({r[2] for r in with_loc}),
    }}
    users = real_users(shared)
    nonempty = [u for u in users if u.strip()]
    out = [(u, geo.resolve(None, None, u)) for u in nonempty]
    ok = [(u, o) for u, o in out if o[0]]
    rnd = random.Random(seed)
    rep["real"] = {
        "users": len(users), "with_location": len(nonempty), "resolved": len(ok),
        "resolved_share_of_nonempty": len(ok) / max(1, len(nonempty)),
        "distinct_with_location": len({u for u in nonempty}),
        "distinct_resolved": len({u for u, _ in ok}),
        "sample_resolved": rnd.sample(sorted(set(ok)), min(samples, len(set(ok)))),
        "sample_unresolved": rnd.sample(sorted({u for u, o in out if not o[0]}), samples),
        "countries": Counter(o[0] for _, o in ok).most_common(15),
    }
    geo.resolve_location.cache_clear()
    items = [(None, None, u) for u in nonempty] * 5
    t0 = time.perf_counter()
    for it in items:
        geo.resolve(*it)
    cached = len(items) / (time.perf_counter() - t0)
    uncached = throughput(lambda u: geo.resolve_location.__wrapped__(u), [(u,) for u in nonempty])
    syn_items = [(r[0], r[1], r[2]) for r in rows]
    rep["throughput_per_s"] = {"real_uncached": uncached, "real_cached_5x": cached,
                               "synthetic_mixed_cached": throughput(geo.resolve, syn_items)}
    return rep


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=DEFAULT_SHARED)
    ap.add_argument("--synthetic", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--samples", type=int, default=30)
    ap.add_argument("--only", choices=("sentiment", "geo"))
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    sentiment.score("warm up", "en")
    geo.resolve(None, None, "warm up")
    load_s = time.perf_counter() - t0
    rep: dict = {"table_build_seconds": round(load_s, 3)}
    if args.only in (None, "sentiment"):
        rep["sentiment"] = sentiment_report(args.shared, args.synthetic, args.seed)
    if args.only in (None, "geo"):
        rep["geo"] = geo_report(args.shared, args.synthetic, args.seed, args.samples)
    print(json.dumps(rep, ensure_ascii=False, indent=1, default=lambda o: round(o, 4) if isinstance(o, float) else str(o)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
