"""`make ingest` fails with one clear line, before touching Kafka, when the source cannot be read."""
from __future__ import annotations

from ingestion.__main__ import main


def test_missing_replay_file_exits_2_with_one_line(capsys, tmp_path):
    assert main(["--source", "replay", "--files", str(tmp_path / "nope.jsonl")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "replay source not found" in err and "FILES" in err


def test_replay_without_files_exits_2(capsys):
    assert main(["--source", "replay"]) == 2
    assert "FILES=" in capsys.readouterr().err


def test_x_without_token_names_the_variable(capsys, monkeypatch):
    monkeypatch.delenv("X_BEARER_TOKEN", raising=False)
    assert main(["--source", "x"]) == 2
    err = capsys.readouterr().err.strip()
    assert "X_BEARER_TOKEN" in err and "SOURCE=synthetic" in err and err.count("\n") == 0


def test_the_summary_counts_records_per_reason_and_per_file_shape(tmp_path):
    """A pretty-printed search response and a CSV: 2 tweets, one unknown_shape, not one reject per line."""
    import json

    from ingestion.__main__ import summary_rows
    from ingestion.producer import ProduceStats
    from ingestion.sources.replay import ReplayStats, replay

    tweet = {"id_str": "11", "text": "hi", "user": {"id_str": "7"}, "created_at": "Wed Oct 10 20:19:24 +0000 2018"}
    (tmp_path / "search.json").write_text(json.dumps({"statuses": [tweet, {**tweet, "id_str": "12"}],
                                                      "search_metadata": {}}, indent=2))
    (tmp_path / "export.csv").write_text("id,text,created_at\n" + "1,hi,2024\n" * 500)
    stats = ReplayStats()
    items = list(replay([tmp_path / "search.json", tmp_path / "export.csv"], stats=stats))
    result = ProduceStats(read=len(items), produced=stats.produced, rejected=stats.rejected,
                          by_reason=stats.by_reason.copy())
    rows = dict(summary_rows(result, stats, landed=None, land_s=None))
    assert rows["read"] == 3 and rows["rejected to tweets.dlq"] == 1 and rows["  unknown_shape"] == 1
    assert rows["  JSON document"] == "1 file(s): 2 tweets, 0 rejected"
    assert rows["  unknown shape"] == "1 file(s): 0 tweets, 1 rejected"
    assert len(stats.problems) == 1 and "export.csv" in stats.problems[0] and "CSV" in stats.problems[0]
