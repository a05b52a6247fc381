"""The end of `make demo`: a few questions answered from gold's marts through Trino (demo/answers/*.sql),
then where to look next: the Brand monitor dashboard, its login, and the Kafka topic browser."""
from __future__ import annotations

from lake import superset_env
from lake.runtime import clients, config
from lake.settings import TOPIC_RAW, Settings


def sql_values(s: Settings) -> dict[str, str]:
    """demo/answers placeholders: ${TERMS_DAILY} is the word cloud's own query, so the demo's top
    words are the dashboard's."""
    return {"TERMS_DAILY": (s.root / "superset" / "sql" / "terms_daily.sql").read_text()}


def questions(s: Settings) -> list[tuple[str, str]]:
    """(question, SQL) for each demo/answers/*.sql, in file order; the question is its first comment."""
    out = []
    for path in sorted((s.root / "demo" / "answers").glob("*.sql")):
        text = path.read_text()
        title = next((ln.lstrip("- ").strip() for ln in text.splitlines() if ln.startswith("--")), path.stem)
        out.append((title, config.render_text(text, sql_values(s), origin=str(path.relative_to(s.root)))))
    return out


def links(s: Settings) -> list[str]:
    return [f"Brand monitor dashboard: {superset_env.dashboard_url(s)}",
            f"  login: {superset_env.login_hint(s)}",
            f"Kafka topic browser:     http://{s.host}:{s.ports['topic_browser']}/topics/{TOPIC_RAW}"]


def run(s: Settings) -> None:
    print("\n== Answers from the gold layer (Trino)")
    for title, sql in questions(s):
        cols, rows = clients.trino_table(s, sql)
        print(f"\n-- {title}")
        for row in [tuple(cols), *rows]:
            print("  " + "  ".join(f"{v!s:<14}" for v in row).rstrip())
    print("\n== Look for yourself")
    for line in links(s):
        print("  " + line)
