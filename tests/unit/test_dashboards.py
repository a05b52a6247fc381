"""The dashboards as code (superset/bundle), the bundle zip `make up` imports, the topic browser's
read-only app and value formatting, and `make demo`'s closing answers: the parts that need no service."""
from __future__ import annotations

import json
import zipfile
from pathlib import Path

import yaml

from lake import settings, superset_env
from lake.console import kafka_view
from lake.demos import answers
from lake.runtime import venvs

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = ROOT / "superset" / "bundle"


def _load(kind: str) -> list[dict]:
    return [yaml.safe_load(f.read_text()) for f in sorted((BUNDLE / kind).rglob("*.yaml"))]


def test_every_reference_in_the_bundle_resolves():
    """Datasets name the database, charts a dataset, the dashboard's layout its charts, and the
    filters a dataset and the layout's own chart ids: a broken UUID would import a half dashboard."""
    (db,) = _load("databases")
    datasets = {d["uuid"]: d for d in _load("datasets")}
    charts = {c["uuid"]: c for c in _load("charts")}
    (dash,) = _load("dashboards")
    assert all(d["database_uuid"] == db["uuid"] for d in datasets.values())
    assert all(c["dataset_uuid"] in datasets for c in charts.values())
    chart_nodes = [n for n in dash["position"].values() if isinstance(n, dict) and n.get("type") == "CHART"]
    assert sorted(n["meta"]["uuid"] for n in chart_nodes) == sorted(charts)
    layout_ids = {n["meta"]["chartId"] for n in chart_nodes}
    assert len(layout_ids) == len(chart_nodes)
    for f in dash["metadata"]["native_filter_configuration"]:
        assert set(f["scope"]["excluded"]) <= layout_ids, f["name"]
        for target in f["targets"]:
            assert not target or target["datasetUuid"] in datasets
    # every column a chart groups by, and every saved metric it names, exists in its dataset
    for c in charts.values():
        ds = datasets[c["dataset_uuid"]]
        cols = {col["column_name"] for col in ds["columns"]}
        metrics = {m["metric_name"] for m in ds["metrics"]}
        p = c["params"]
        used_cols = [*p.get("groupby", []), *([p["series"]] if "series" in p else []),
                     *([p["x_axis"]] if "x_axis" in p else []), *(f["subject"] for f in p.get("adhoc_filters", []))]
        assert set(used_cols) <= cols, (c["slice_name"], set(used_cols) - cols)
        used_metrics = [*p.get("metrics", []), *([p["metric"]] if "metric" in p else [])]
        assert set(used_metrics) <= metrics, (c["slice_name"], set(used_metrics) - metrics)


def test_bundle_zip_renders_the_trino_uri_and_the_datasets_sql(tmp_path):
    s = settings.load({"LAKE_USER": "analyst1"})
    out = superset_env.build_bundle(s, tmp_path / "b.zip")
    with zipfile.ZipFile(out) as zf:
        names = zf.namelist()
        assert "brand_monitor/metadata.yaml" in names and all(n.startswith("brand_monitor/") for n in names)
        db = yaml.safe_load(zf.read("brand_monitor/databases/lake_trino.yaml"))
        terms = yaml.safe_load(zf.read("brand_monitor/datasets/lake_trino/terms_daily.yaml"))
        serving = yaml.safe_load(zf.read("brand_monitor/datasets/lake_trino/serving_tweets.yaml"))
    # the mask, never the password: the import keeps the password it is given (superset_env.trino_uri)
    assert db["sqlalchemy_uri"] == f"trino://superset:XXXXXXXXXX@127.0.0.1:{s.ports['trino']}/hive"
    assert db["extra"]["engine_params"]["connect_args"] == {"http_scheme": "https", "verify": str(s.trino_ca_file)}
    assert "sql_file" not in terms and terms["sql"] == (ROOT / "superset/sql/terms_daily.sql").read_text()
    assert serving["sql"] is None and serving["schema"] == "serving"


def test_superset_pins_are_a_whole_exact_closure():
    pins = venvs.pins("superset")
    names = {p.split("==")[0].lower() for p in pins}
    assert all(p.count("==") == 1 for p in pins)
    assert {"apache_superset", "trino", "psycopg2-binary", "gunicorn", "flask-caching", "cachelib"} <= names
    assert "trino==0.340.0" in pins and "Flask-Caching==2.3.1" in pins and "cachelib==0.13.0" in pins


def test_pretty_indents_json_and_cuts_long_values():
    text, cut = kafka_view.pretty(json.dumps({"a": 1}).encode())
    assert (text, cut) == ('{\n  "a": 1\n}', False)
    assert kafka_view.pretty(b"\xffplain") == ("\ufffdplain", False)
    assert kafka_view.pretty(None) == (None, False)
    text, cut = kafka_view.pretty(b"x" * (kafka_view.VALUE_CHARS + 1))
    assert cut and len(text) == kafka_view.VALUE_CHARS


def test_topic_browser_has_only_read_routes_and_answers_health():
    from lake.console.app import create_app

    app = create_app(bootstrap="127.0.0.1:1")
    methods = {m for rule in app.url_map.iter_rules() for m in rule.methods} - {"HEAD", "OPTIONS"}
    assert methods == {"GET"}
    c = app.test_client()
    assert c.get("/healthz").get_json() == {"status": "ok"}
    r = c.get("/nowhere?format=json")
    assert r.status_code == 404 and r.get_json() == {"error": "no page at /nowhere; start at /"}
    r = c.get("/topics/t/partitions/0?count=abc&format=json")
    assert r.status_code == 400 and "count must be a whole number" in r.get_json()["error"]


def test_demo_answers_run_the_word_clouds_own_query():
    s = settings.get()
    qs = answers.questions(s)
    assert len(qs) == 4 and all(title and "${" not in sql for title, sql in qs)
    terms = (ROOT / "superset/sql/terms_daily.sql").read_text()
    assert terms in qs[-1][1]
    assert any("brand-monitor" in line for line in answers.links(s))
