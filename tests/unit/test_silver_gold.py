"""Silver enrichment (spark/transforms/silver.py), word-cloud tokens, the silver/gold DDL
contract, quality-gate plumbing (lake/pipeline/quality.py) and `make build` argument handling."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from pyspark.sql.types import _make_type_verifier

from ingestion.records import Record
from ingestion.sources.replay import replay
from lake import cli
from lake.pipeline import build, quality
from lake.errors import LakeError
from spark.enrich import words
from spark.jobs import build_gold, build_silver, common
from spark.transforms import parse, pii, silver
from spark.transforms.schema import BRONZE_SCHEMA, SILVER_SCHEMA, SILVER_TABLE_SCHEMA

ROOT = Path(__file__).resolve().parents[2]
META = {"ingest_date": "2026-01-10", "ingest_hour": "08", "source_file": "tweets.raw+1+100+199.jsonl",
        "kafka_partition": 1, "kafka_offset": 123}


@pytest.fixture(scope="module")
def bronze_rows(shared_data) -> list[dict]:
    p = pii.Pii("unit-test-key-silver-0123456789")
    rows = []
    for item in replay([shared_data / "tweets"]):
        if isinstance(item, Record):
            row, rej = parse.to_bronze(item.payload, META, p)
            if row:
                rows.append(row)
    return rows


@pytest.fixture(scope="module")
def enriched(bronze_rows) -> list[tuple[dict, dict]]:
    return [(r, silver.enrich(r)) for r in bronze_rows]


def bronze(**over) -> dict:
    row = {f: None for f in BRONZE_SCHEMA.fieldNames()}
    row.update(tweet_id=1, tweet_type="original", hashtags=[], mentions=[], urls=[], text="", lang="en")
    row.update(over)
    return row


# ---- enrichment ---------------------------------------------------------------------------------
def test_every_shared_tweet_enriches_to_a_row_of_the_silver_schema(enriched):
    verify = _make_type_verifier(SILVER_SCHEMA)
    assert len(enriched) > 1000
    for row, out in enriched:
        assert list(out) == SILVER_SCHEMA.fieldNames()
        verify(tuple(out.values()))
        assert out["tweet_id"] == row["tweet_id"] and out["author_key"] == row["author_key"]
        assert out["sentiment_label"] in ("negative", "neutral", "positive")


def test_shared_data_resolves_countries_from_places_and_locations(enriched):
    sources = {o["country_source"] for _, o in enriched}
    assert {"place", "user_location"} <= sources
    for r, o in enriched:
        if r["country"]:  # the platform's place wins
            assert o["country"] == r["country"] and o["country_source"] == "place"


@pytest.mark.parametrize("tags, expected", [
    (["Santánder", "SANTANDER", "santander"], ["santander"]),
    (["ＳａｎｔａｎｄｅｒＢｒａｓｉｌ"], ["santanderbrasil"]),  # full-width (NFKC)
    (["#Banco", "", None, "banco"], ["banco"]),
    (["Straße"], ["strasse"]),  # case-folded, not just lower-cased
    ([], []),
    (None, []),
])
def test_hashtags_are_normalized_and_distinct(tags, expected):
    assert silver.normalize_hashtags(tags) == expected


@pytest.mark.parametrize("followers, tier", [(None, None), (0, "nano"), (999, "nano"), (1_000, "micro"),
                                             (99_999, "mid"), (100_000, "macro"), (1_000_000, "mega")])
def test_follower_tiers(followers, tier):
    assert silver.follower_tier(followers) == tier


def test_flags_engagement_and_counts():
    out = silver.enrich(bronze(tweet_type="reply", quoted_tweet_id=9, like_count=3, retweet_count=2, reply_count=None,
                               quote_count=1, impression_count=1000, mentions=[{"user_key": "u_1"}],
                               urls=[{"url": "u"}, {"url": "v"}]))
    assert (out["is_reply"], out["is_retweet"], out["is_quote"]) == (True, False, True)
    assert out["engagement"] == 6 and out["mention_count"] == 1 and out["url_count"] == 2
    assert silver.enrich(bronze(tweet_type="retweet"))["is_retweet"]


def test_country_from_user_location_when_no_place():
    out = silver.enrich(bronze(author_location="Rio de Janeiro, Brasil"))
    assert (out["country"], out["country_source"]) == ("BR", "user_location")
    assert silver.enrich(bronze(author_location="somewhere over the rainbow"))["country"] is None


def test_sentiment_has_signal_in_each_language():
    pos = {"pt": "O atendimento foi ótimo, adorei!", "es": "Excelente servicio, muy contento",
           "en": "Great service, I love it"}
    neg = {"pt": "Péssimo atendimento, estou furioso", "es": "Servicio horrible, una vergüenza",
           "en": "Terrible service, I hate this bank"}
    for lang in pos:
        assert silver.enrich(bronze(text=pos[lang], lang=lang))["sentiment_label"] == "positive", lang
        assert silver.enrich(bronze(text=neg[lang], lang=lang))["sentiment_label"] == "negative", lang


# ---- word-cloud tokens --------------------------------------------------------------------------
def test_tokens_drop_urls_handles_masks_hashtags_numbers_and_stop_words():
    text = "RT @h_abc123: O #Santander NÃO funciona!!! Atenção https://t.co/x [email] [phone] 2024 ótimo de u_9f"
    assert words.tokens(text, "pt") == ["funciona", "atenção", "ótimo"]  # accents kept (issue #27)


def test_tokens_use_every_language_when_unknown():
    assert words.tokens("the bank y el banco e o banco", None) == ["bank", "banco", "banco"]
    assert words.tokens(None, "en") == []


# ---- DDL contract -------------------------------------------------------------------------------
def test_stage_ddl_has_the_silver_schema():
    text = (ROOT / "hive/ddl/silver/tweets_stage.sql").read_text()
    body = text[text.index("tweets_stage (") + len("tweets_stage ("): text.index("\n)\n")]
    cols = [c.strip().split()[:2] for c in re.split(r",\s*(?![^<]*>)", body) if c.strip()]
    part = re.search(r"PARTITIONED BY \((\w+) (\w+)", text)
    got = [(n, t.lower()) for n, t in cols] + [(part[1], part[2].lower())]
    assert got == [(f.name, f.dataType.simpleString()) for f in SILVER_TABLE_SCHEMA.fields]


def test_trino_silver_ddl_has_the_silver_columns_in_order():
    text = (ROOT / "hive/ddl/silver/tweets.sql").read_text()
    assert text.startswith("-- engine: trino")
    names = re.findall(r"^  ([a-z_]+)\s+[a-z]", text, re.M)
    assert names == SILVER_TABLE_SCHEMA.fieldNames()
    # the edit columns come after every column silver first had: an older table takes them (lake/pipeline/ddl.py)
    assert names[-3:] == ["edit_root_id", "edit_count", "created_date"]


def test_every_gold_table_says_which_question_it_answers():
    files = sorted((ROOT / "hive/ddl/gold").glob("*.sql"))
    assert {f.stem for f in files} == set(build_gold.DIMS + build_gold.PER_DATE)
    for f in files:
        comment = re.search(r"COMMENT '([^']+)'\s*\n(PARTITIONED|STORED)", f.read_text())
        assert comment and "Answers:" in comment[1], f.name


# ---- quality gates ------------------------------------------------------------------------------
def test_sql_date_lists():
    assert quality.sql_dates(["2024-01-02", "2024-01-01", "2024-01-01"], typed=True) == \
        "DATE '2024-01-01', DATE '2024-01-02'"
    assert quality.sql_dates(["2024-01-01"], typed=False) == "'2024-01-01'"
    assert quality.sql_dates([], typed=True) == "NULL"


@pytest.mark.parametrize("layer", build.LAYERS)
def test_gate_files_render_with_every_parameter(layer):
    from lake import settings
    from lake.runtime import config

    s = settings.get()
    files = quality.gate_files(s, layer)
    assert len(files) >= 3
    params = {**build.Databases("p_").params(), "INGEST_DATES": "'2024-01-01'", "CREATED_DATES": "DATE '2024-01-01'"}
    for f in files:
        sql = config.render_text(f.read_text(), params, origin=str(f))
        assert f.read_text().startswith("-- ") and "observed" in sql and "expected" in sql, f.name
        assert "${" not in sql and "hive.p_" in sql


def test_a_failed_gate_stops_with_one_line_naming_it():
    ok = quality.Gate("silver", "rows_match_bronze", "d", "silver.tweets", 5, 5)
    bad = quality.Gate("gold", "fact_finds_dim_authors", "every fact row finds its author", "gold.fact_tweets", 3, 0)
    quality.enforce([ok])
    with pytest.raises(quality.GateFailed) as e:
        quality.enforce([ok, bad, bad])
    msg = str(e.value)
    assert "gold.fact_finds_dim_authors" in msg and "observed 3, expected 0" in msg and "1 more" in msg
    assert "\n" not in msg and bad.line().strip().startswith("FAIL")


# ---- make build's arguments ---------------------------------------------------------------------
def test_build_needs_a_logical_partition_and_known_layers():
    from lake import settings

    s = settings.get()
    with pytest.raises(LakeError, match="DATE="):
        build.run(s)
    with pytest.raises(LakeError, match="unknown layer"):
        build.run(s, dates=["2024-01-01"], layers=("bronze", "platinum"))


@pytest.mark.parametrize("argv, message", [
    (["build", "--date", "2024-13-01"], "DATE='2024-13-01' is not a date"),
    (["build", "--from", "2024-01-05", "--to", "2024-01-01"], "is after TO"),
    (["build", "--from", "2024-01-05"], "FROM needs TO"),
])
def test_build_cli_rejects_bad_dates_in_one_line(argv, message, capsys):
    assert cli.main(argv) == 2  # bad arguments: exit 2 (lake/errors.py)
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


def test_databases_prefix():
    dbs = build.Databases("it_x_")
    assert (dbs.raw, dbs.gold) == ("it_x_raw", "it_x_gold")
    assert build.Databases().params()["SILVER_DB"] == "silver"
    with pytest.raises(AttributeError):
        dbs.platinum  # noqa: B018


def test_job_arguments_take_dates_never_today():
    assert build_silver.parse_args(["--dates", "2024-01-01,2024-01-02"]).dates == ["2024-01-01", "2024-01-02"]
    assert build_gold.parse_args(["--dates", ""]).dates == []
    with pytest.raises(SystemExit):
        build_silver.parse_args([])
    with pytest.raises(Exception, match="not a date"):
        common.day_list("2024-01-01,yesterday")


def test_code_zip_ships_transforms_enrichment_and_their_data(tmp_path):
    import zipfile

    names = set(zipfile.ZipFile(common.code_zip(tmp_path)).namelist())
    assert {"spark/transforms/silver.py", "spark/transforms/classification.yaml", "spark/enrich/words.py",
            "spark/enrich/data/stopwords.txt", "spark/enrich/data/sentiment_rules.tsv"} <= names
    assert not any("__pycache__" in n for n in names)
