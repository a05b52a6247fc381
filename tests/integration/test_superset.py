"""Superset on the lake (issue #20): the Brand monitor dashboard, opened in headless Chromium (Debian's
chromium driven through Debian's chromium-driver), renders every chart with data; the charts' numbers
match the same questions sent straight to Trino; importing the dashboards again leaves one copy.

The dashboard reads the lake's own gold marts and serving view (the schemas a user builds with
`make ingest` + `make build`), so this test reads what the stack has built there; on a lake that has
built nothing yet (CI) it first does a small synthetic ingest and a build, as `make demo` does. The screenshot goes to docs/brand-monitor.png (README)."""
from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest

from lake import superset_env
from lake.runtime import clients

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "brand-monitor.png"
RENDER_TIMEOUT_S = 240
BUNDLE = Path(__file__).resolve().parents[2] / "superset" / "bundle"


def _bundle(kind: str) -> list[dict]:
    import yaml

    return [yaml.safe_load(f.read_text()) for f in sorted((BUNDLE / kind).rglob("*.yaml"))]


class Api:
    """Superset's REST API as one of the lake's users (JWT login, CSRF token for POSTs)."""

    def __init__(self, s, user: str = "admin"):
        import requests

        self.base = superset_env.url(s)
        self.http = requests.Session()
        r = self.http.post(f"{self.base}/api/v1/security/login", timeout=60,
                           json={"username": user, "password": superset_env.password(s, user),
                                 "provider": "db", "refresh": False})
        assert r.status_code == 200, f"{user} login to Superset failed: {r.status_code} {r.text[:300]}"
        self.http.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
        csrf = self.get("/api/v1/security/csrf_token/")["result"]
        self.http.headers.update({"X-CSRFToken": csrf, "Referer": self.base})

    def get(self, path: str) -> dict:
        r = self.http.get(self.base + path, timeout=120)
        assert r.status_code == 200, f"GET {path}: {r.status_code} {r.text[:300]}"
        return r.json()

    def listing(self, kind: str) -> list[dict]:
        return self.get(f"/api/v1/{kind}/?q=(page_size:100)")["result"]

    def chart_data(self, chart_name: str) -> list[dict]:
        """The rows Superset's chart data API returns for a chart's own query (its saved params:
        metric(s), group-by column, row limit), computed afresh (force)."""
        (chart,) = [c for c in self.listing("chart") if c["slice_name"] == chart_name]
        full = self.get(f"/api/v1/chart/{chart['id']}")["result"]
        params = json.loads(full["params"])
        metrics = params.get("metrics") or [params["metric"]]
        columns = [params["series"]] if params.get("series") else params.get("groupby", [])
        # ordered as the chart's own buildQuery orders it (word cloud: by metric only with sort_by_metric,
        # then by term), so a chart that would draw the wrong rows fails here too
        orderby = ([[metrics[0], False]] if params.get("sort_by_metric") else []) + \
            ([[params["series"], True]] if params.get("series") else [])
        query = {"metrics": metrics, "columns": columns, "filters": [], "row_limit": params.get("row_limit", 1000),
                 "orderby": orderby}
        ds = self.get(f"/api/v1/chart/{chart['id']}")["result"]
        body = {"datasource": {"id": _datasource_id(self, ds, chart_name), "type": "table"}, "force": True,
                "queries": [query], "result_format": "json", "result_type": "full"}
        r = self.http.post(f"{self.base}/api/v1/chart/data", json=body, timeout=300)
        assert r.status_code == 200, f"chart data of {chart_name!r}: {r.status_code} {r.text[:500]}"
        return r.json()["result"][0]["data"]


def _datasource_id(api: Api, chart: dict, name: str) -> int:
    # the chart's params carry "<dataset id>__table" after the import
    return int(json.loads(chart["params"])["datasource"].split("__")[0])


def gold_tweets(s) -> int:
    try:
        return clients.trino(s, "SELECT count(*) FROM hive.gold.fact_tweets")[0][0]
    except Exception:  # noqa: BLE001 - a fresh lake has no gold schema yet
        return 0


@pytest.fixture(scope="module")
def api(lake, ui_stack) -> Api:
    """The dashboard is bound to the lake's own gold and serving schemas (not a test's prefix). On a lake
    that has built nothing (CI's fresh stack), the fixture does what `make demo` does first: a small
    synthetic ingest and `make build`; a lake with gold data is only read, never written."""
    if not gold_tweets(ui_stack):
        import subprocess
        import sys

        for argv in (["ingestion", "--count", "3000", "--seed", "20", "--days", "3"], ["lake", "build", "--pending"]):
            r = subprocess.run([sys.executable, "-m", *argv], cwd=ui_stack.root, capture_output=True, text=True,
                               timeout=1800)
            assert r.returncode == 0, f"`python -m {' '.join(argv)}` failed:\n{(r.stdout + r.stderr)[-3000:]}"
    if not gold_tweets(ui_stack):
        pytest.fail("gold.fact_tweets is empty after an ingest and a build: the dashboard has nothing to show")
    return Api(ui_stack)


def test_importing_twice_leaves_one_copy(ui_stack, api):
    """`make up` imported the bundle (the fixture); a second import overwrites it by UUID, adding no copy."""
    superset_env.import_dashboards(ui_stack)
    want = {"dashboard": [d["dashboard_title"] for d in _bundle("dashboards")],
            "chart": [c["slice_name"] for c in _bundle("charts")],
            "dataset": [d["table_name"] for d in _bundle("datasets")],
            "database": [d["database_name"] for d in _bundle("databases")]}
    name_key = {"dashboard": "dashboard_title", "chart": "slice_name", "dataset": "table_name",
                "database": "database_name"}
    for kind, names in want.items():
        have = [x[name_key[kind]] for x in api.listing(kind)]
        for name in names:
            assert have.count(name) == 1, f"{kind} {name!r} appears {have.count(name)} times after two imports"
    assert len(want["chart"]) == 8
    # ... and overwrites: every chart in Superset carries the bundle's params (an edit in the repo
    # reaches a Superset that already had the chart)
    charts = {c["slice_name"]: c["id"] for c in api.listing("chart")}
    for chart in _bundle("charts"):
        params = json.loads(api.get(f"/api/v1/chart/{charts[chart['slice_name']]}")["result"]["params"])
        differ = {k: (v, params.get(k)) for k, v in chart["params"].items() if params.get(k) != v}
        assert not differ, f"{chart['slice_name']}: Superset's params differ from the bundle's: {differ}"


def test_analyst_logs_in_and_reads_the_dashboard(ui_stack, api):
    """The analyst login (role Alpha, password under var/secrets) sees the dashboard and its data."""
    analyst = Api(ui_stack, "analyst")
    assert analyst.get(f"/api/v1/dashboard/{superset_env.DASHBOARD_SLUG}")["result"]["dashboard_title"] == "Brand monitor"
    assert analyst.chart_data("Tweets") == api.chart_data("Tweets")
    path = superset_env.password_file(ui_stack, "analyst")
    assert path.exists() and path.stat().st_mode & 0o777 == 0o600


def _driver():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not chromium or not driver:
        pytest.fail("Debian's chromium and chromium-driver are needed: `make install` as root installs them")
    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1600,2000"):
        opts.add_argument(arg)
    return webdriver.Chrome(service=Service(driver), options=opts)


# Per chart holder: its name, whether it still loads, its error text, and whether it drew anything
# (an svg or canvas of ECharts/d3, table cells, or a big number's header line).
CHART_STATE_JS = """
return Array.from(document.querySelectorAll('.dashboard-component-chart-holder')).map(h => ({
  name: (h.querySelector('[data-test="editable-title"], .header-title, [data-test="slice-header"]') || {}).innerText || '',
  loading: !!h.querySelector('[data-test="loading-indicator"], .loading'),
  error: (h.querySelector('.alert-danger, [data-test="error-message"], .ant-alert-error') || {}).innerText || '',
  empty: /No results/.test(h.innerText),
  drawn: !!h.querySelector('svg text, canvas, td, .header-line'),
}));
"""
WORDS_JS = """
return Array.from(document.querySelectorAll('.dashboard-component-chart-holder svg text'))
  .filter(t => t.closest('.dashboard-component-chart-holder').innerText.includes('Top words and hashtags'))
  .map(t => [t.textContent, parseFloat(t.style.fontSize || t.getAttribute('font-size') || '0')]);
"""


def _wait(driver, what: str, ready, timeout: float):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = ready(driver)
        if last is True:
            return
        time.sleep(0.5)  # polling interval of a probe with a deadline, not a readiness guess
    raise AssertionError(f"superset: {what} not within {timeout:.0f} s (last: {last}); "
                         f"log: {ui_log()}")


def ui_log() -> str:
    from lake import settings

    return str(settings.get().log_file("superset", stdout=True))


LOGIN_ATTEMPTS = 3


def _login(driver, s, user: str) -> None:
    """Log in through Superset's own React login form. The form can re-render while a slow machine is
    still loading the page (CI once lost keystrokes this way, and the server saw a wrong password), so
    each attempt waits until both fields hold exactly what was typed before it clicks "Sign in"; a
    rejected attempt (Superset redirects back to /login/?next=...) is retried with the page's message."""
    from selenium.webdriver.common.by import By

    password = superset_env.password(s, user)
    rejected = []
    for _ in range(LOGIN_ATTEMPTS):
        driver.get(f"{superset_env.url(s)}/login/")
        _wait(driver, "the login form", lambda d: bool(d.find_elements(By.CSS_SELECTOR, '[data-test="login-button"]'))
              or "no form", 60)

        def typed(d):
            fields = {"username": user, "password": password}
            for field_id, want in fields.items():
                box = d.find_element(By.ID, field_id)
                if box.get_attribute("value") != want:
                    box.clear()
                    box.send_keys(want)
            # read back after all typing: a re-render in between empties a field and we type again
            return all(d.find_element(By.ID, k).get_attribute("value") == v for k, v in fields.items()) or "retyping"

        _wait(driver, "the login form to hold the typed user and password", typed, 30)
        driver.find_element(By.CSS_SELECTOR, '[data-test="login-button"]').click()
        # accepted: off /login; rejected: back on /login/?next=<index> (the form itself posts to plain /login/)
        _wait(driver, "the login's answer", lambda d: "/login" not in d.current_url or "next=" in d.current_url
              or d.current_url, 60)
        if "/login" not in driver.current_url:
            return
        rejected.append(driver.find_element(By.TAG_NAME, "body").text[:200].replace("\n", " | "))
    pytest.fail(f"superset: the {user} login was rejected {LOGIN_ATTEMPTS} times (the REST login with the same "
                f"password works); the page said: {rejected}; log: {ui_log()}")


def test_dashboard_renders_and_matches_trino(ui_stack, api):
    s = ui_stack
    driver = _driver()
    try:
        _login(driver, s, "admin")

        t0 = time.monotonic()
        driver.get(superset_env.dashboard_url(s))

        def all_drawn(d):
            states = d.execute_script(CHART_STATE_JS)
            if len(states) == 8 and all(st["drawn"] and not st["loading"] for st in states):
                return True
            if any(st["error"] for st in states):
                raise AssertionError(f"a chart shows an error: {[st for st in states if st['error']]}")
            return [st["name"] for st in states if st["loading"] or not st["drawn"]]

        _wait(driver, "every chart of the Brand monitor drawn", all_drawn, RENDER_TIMEOUT_S)
        first_paint = time.monotonic() - t0
        print(f"\nBrand monitor: all 8 charts drawn with data {first_paint:.1f} s after opening the dashboard")
        states = driver.execute_script(CHART_STATE_JS)
        assert not [st for st in states if st["empty"] or st["error"]], states
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(SCREENSHOT))
        assert SCREENSHOT.stat().st_size > 50_000, "the screenshot is too small to show a dashboard"

        # The total the page shows, the chart data API's, and Trino's answer to the same question.
        (total,) = clients.trino(s, "SELECT count(*) FROM hive.serving.tweets")[0]
        assert api.chart_data("Tweets") == [{"tweets": total}]
        big = driver.execute_script("return Array.from(document.querySelectorAll('.dashboard-component-chart-holder'))"
                                    ".find(h => h.innerText.includes('batch and speed layers')).innerText")
        assert f"{total:,}" in big, f"the Tweets chart shows {big!r}, Trino counts {total:,}"

        # The word cloud's top term: chart data API, the biggest word on the page, and Trino directly.
        terms_sql = (s.root / "superset" / "sql" / "terms_daily.sql").read_text()
        top = clients.trino(s, f"SELECT term, sum(occurrences) AS n FROM ({terms_sql}) t "
                               f"GROUP BY term ORDER BY n DESC, term LIMIT 3")
        cloud = api.chart_data("Top words and hashtags")
        assert (cloud[0]["term"], cloud[0]["occurrences"]) == top[0], (cloud[:3], top)
        words = driver.execute_script(WORDS_JS)
        assert words, "the word cloud drew no words"
        biggest = max(words, key=lambda w: w[1])[0]
        assert biggest == top[0][0], f"the biggest word on the page is {biggest!r}, Trino's top term {top[0][0]!r}"
        # the cloud draws the most frequent terms, not an arbitrary 100 (Trino's top 3 are among its words)
        drawn = {w[0] for w in words}
        assert {term for term, _ in top} <= drawn, (top, sorted(drawn)[:20])
    finally:
        driver.quit()
