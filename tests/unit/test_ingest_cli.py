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
