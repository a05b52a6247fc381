"""`make bench-comply`'s pure parts: the events it draws, the bytes it counts, the report it writes."""
from __future__ import annotations

import json

from ingestion.sources import compliance
from lake.bench import comply as bc


def records(n_users: int = 6, per_user: int = 5) -> list[tuple[str, bytes]]:
    out = []
    for u in range(n_users):
        for k in range(per_user):
            tid = str(1_000_000_000_000 + 100 * u + k)
            out.append((tid, json.dumps({"data": {"id": tid, "author_id": f"9{u}", "text": "x"}}).encode()))
    return out


def test_events_are_x_v2_lines_and_no_deleted_tweet_belongs_to_a_deleted_user():
    recs = records()
    lines, ids, users = bc.pick_events(recs, deletes=7, users=2, seed=1)
    assert len(ids) == 7 and len(users) == 2 and len(lines) == 9
    kinds = [compliance.parse_bytes(ln.encode()).kind for ln in lines]
    assert kinds.count("delete") == 7 and kinds.count("user_delete") == 2
    authors = {tid: bc.author_of(p) for tid, p in recs}
    assert not {authors[i] for i in ids} & users
    assert bc.pick_events(recs, 7, 2, seed=1) == (lines, ids, users)  # repeatable
    assert bc.pick_events(recs, 7, 2, seed=2)[1] != ids


def test_too_few_authors_for_the_user_deletes_is_one_clear_error():
    try:
        bc.pick_events(records(n_users=2), deletes=1, users=3, seed=0)
    except ValueError as e:
        assert "3 user deletes" in str(e)
    else:
        raise AssertionError("no error")


def test_bytes_written_counts_new_and_replaced_files_only():
    before = {"/t/d=1/a": (10, 1), "/t/d=2/b": (20, 1), "/t/d=3/c": (30, 1)}
    after = {"/t/d=1/a": (10, 1), "/t/d=2/b2": (15, 5), "/t/d=3/c": (25, 6)}
    assert bc.written_since(before, after) == 40
    assert bc.partition_bytes(before, {"/t/d=2", "/t/d=3"}) == 50
    assert bc.partition_bytes(before, {"/t"}) == 60
    assert bc.partition_bytes(before, {"/t/d=1x"}) == 0 and bc.partition_bytes(before, set()) == 0
    assert bc.ratio(40, 50) == 0.8 and bc.ratio(1, 0) is None


def test_report_states_each_goal_with_its_figure(tmp_path):
    res = {"stamp": "S", "scale_name": "tiny", "goals": {"seconds": 60, "bytes_ratio": 2.0},
           "lake": {"tweets": 5000, "days": 30, "raw_files": 30, "raw_mib": 5.0},
           "events": {"deletes": 50, "users": 2, "user_tweets": 9},
           "build": {"seconds": 100.0, "stages": {"bronze": 60.0, "silver": 40.0}},
           "comply": {"seconds": 75.0, "stages": {"consume": 1.0, "bronze, silver, gold in place": 70.0},
                      "table_stages": {"bronze: comply, in place": 20.0, "silver": 50.0}, "table_steps": {"x": 3.0},
                      "removed": {"raw": 59, "bronze": 59}},
           "bytes": {"tables": {"bronze.tweets": {"partitions": 3, "affected": 2 << 20, "written": 3 << 20}},
                     "affected": 2 << 20, "written": 3 << 20, "ratio": 1.5}}
    res["chart"] = bc.chart(res, tmp_path)
    text = bc.report(res)
    assert "| make comply, every layer | <= 60 s | 75 s (75% of the lake's build, 100 s) | no |" in text
    assert "| bytes written / bytes of the affected partitions | <= 2.0x | 1.5x (3 MiB / 2 MiB) | yes |" in text
    assert "| tables: silver | 50.0 |" in text and "| bronze | 59 |" in text
    assert res["chart"] == "stages.png" and (tmp_path / "stages.png").stat().st_size > 1000
    failed = bc.report({**res, "comply": {"error": "comply: boom", "seconds": 3.0}})
    assert "**make comply failed:** comply: boom" in failed and "| make comply, every layer |" not in failed
