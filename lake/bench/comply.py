"""`make bench-comply`'s parts that need no running lake (benchmarks/comply/run.py is the runner): which
events the run sends, how the bytes comply wrote are counted against the bytes of the partitions it had
to touch, the report and its chart."""
from __future__ import annotations

import json
import posixpath
import random
from pathlib import Path

from lake.bench.report import stacked_stages
from lake.settings import ROOT

CASES = ROOT / "benchmarks" / "comply" / "cases.yaml"
EVENT_AT = "2030-03-02T12:00:00.000Z"


def author_of(payload: bytes) -> str | None:
    obj = json.loads(payload)
    tweet = obj["data"] if isinstance(obj.get("data"), dict) else obj
    return tweet.get("author_id") or (tweet.get("user") or {}).get("id_str")


def pick_events(records: list[tuple[str, bytes]], deletes: int, users: int, seed: int,
                min_user_tweets: int = 2) -> tuple[list[str], set[str], set[str]]:
    """(event lines in X's v2 compliance format, tweet ids deleted, user ids deleted) for `records`
    [(tweet id, payload)]: `deletes` tweets drawn evenly at random (spread over every day the lake
    holds), and `users` authors with at least `min_user_tweets` tweets, none of them the author of a
    deleted tweet (so each event's rows are its own)."""
    rng = random.Random(seed)
    by_user: dict[str, list[str]] = {}
    for tid, payload in records:
        by_user.setdefault(author_of(payload), []).append(tid)
    candidates = sorted(u for u, tids in by_user.items() if u and len(tids) >= min_user_tweets)
    if len(candidates) < users:
        raise ValueError(f"only {len(candidates)} authors have {min_user_tweets}+ tweets; {users} user deletes asked")
    gone_users = set(rng.sample(candidates, users))
    pool = [tid for tid, payload in records if author_of(payload) not in gone_users]
    gone_ids = set(rng.sample(pool, deletes))
    lines = [json.dumps({"data": {"delete": {"tweet": {"id": tid}, "event_at": EVENT_AT}}}) for tid in sorted(gone_ids)]
    lines += [json.dumps({"data": {"user_delete": {"user": {"id": u}, "event_at": EVENT_AT}}}) for u in sorted(gone_users)]
    return lines, gone_ids, gone_users


# ---- bytes ------------------------------------------------------------------------------------------
def written_since(before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]]) -> int:
    """Bytes of the files that are new or changed (size, modification time) between two listings."""
    return sum(size for path, (size, mtime) in after.items() if before.get(path) != (size, mtime))


def partition_bytes(files: dict[str, tuple[int, int]], dirs: set[str]) -> int:
    """Bytes of the files under the folders `dirs` (partition folders, or a table's whole folder)."""
    prefixes = tuple(d.rstrip("/") + "/" for d in dirs)
    return sum(size for path, (size, _) in files.items() if prefixes and path.startswith(prefixes))


def ratio(written: int, affected: int) -> float | None:
    return round(written / affected, 2) if affected else None


# ---- report -------------------------------------------------------------------------------------------
def chart(res: dict, out: Path) -> str | None:
    rows = [(f"make build of the lake ({res['lake']['tweets']:,} tweets)", res["build"]["stages"])]
    if res.get("comply"):
        stages = dict(res["comply"]["stages"])
        inner = stages.pop("bronze, silver, gold in place", None)
        if inner is not None:  # the table step's own stages, so both bars use one vocabulary
            stages.update({f"tables: {k}": v for k, v in res["comply"]["table_stages"].items()})
        rows.append((f"make comply ({res['events']['deletes']:,} deletes, {res['events']['users']} users)", stages))
    return stacked_stages(rows, "make comply against the build of the same lake, by stage", out / "stages.png")


def _n(v) -> str:
    return f"{v:,}" if isinstance(v, int) else str(v)


def report(res: dict) -> str:
    g, lake, ev = res["goals"], res["lake"], res["events"]
    c = res.get("comply") or {}
    lines = [f"# make bench-comply {res['stamp']}", "",
             f"SCALE={res['scale_name']}: a lake of {lake['tweets']:,} synthetic tweets created over {lake['days']} days, "
             f"each landed on its creation day ({lake['raw_files']} raw files, {lake['raw_mib']:,.0f} MiB of raw JSON), "
             "built raw -> gold with gates; the newest day's silver rows copied into a speed table. Then "
             f"{ev['deletes']:,} tweet deletes drawn at random over every day and {ev['users']} user deletes "
             f"({ev['user_tweets']:,} tweets) went through `tweets.compliance`, and `make comply`'s code applied them. "
             "Host: 2 cores, the whole stack running.", ""]
    if c.get("error"):
        lines += [f"**make comply failed:** {c['error']}", ""]
    lines += ["## Goals", "", "| measure | goal | measured | met |", "|---|---|---|---|"]
    if c and not c.get("error"):
        lines.append(f"| make comply, every layer | <= {g['seconds']} s | {c['seconds']:.0f} s "
                     f"({c['seconds'] / res['build']['seconds']:.0%} of the lake's build, {res['build']['seconds']:.0f} s) "
                     f"| {'yes' if c['seconds'] <= g['seconds'] else 'no'} |")
        r = res["bytes"]["ratio"]
        lines.append(f"| bytes written / bytes of the affected partitions | <= {g['bytes_ratio']}x | {r}x "
                     f"({res['bytes']['written'] / 2**20:,.0f} MiB / {res['bytes']['affected'] / 2**20:,.0f} MiB) | "
                     f"{'yes' if r is not None and r <= g['bytes_ratio'] else 'no'} |")
    lines += ["", "## Where the time goes", "", "![stages](stages.png)" if res.get("chart") else "", "",
              "| stage | seconds |", "|---|---|"]
    for k, v in (c.get("stages") or {}).items():
        lines.append(f"| {k} | {v:.1f} |")
    for k, v in (c.get("table_stages") or {}).items():
        lines.append(f"| tables: {k} | {v:.1f} |")
    if c.get("table_steps"):
        top = sorted(c["table_steps"].items(), key=lambda kv: -kv[1])[:12]
        lines += ["", "Slowest steps inside the table step's Spark application (seconds): "
                  + ", ".join(f"{k} {v:.1f}" for k, v in top)]
    lines += ["", "## Bytes, per table", "",
              "`affected`: the partitions (a whole table for one without partitions) that held a removed row before "
              "comply, their bytes then; `written`: every file comply created or replaced.", "",
              "| table | partitions affected | affected MiB | written MiB |", "|---|---|---|---|"]
    for t, b in sorted(res["bytes"]["tables"].items()):
        lines.append(f"| {t} | {_n(b['partitions'])} | {b['affected'] / 2**20:,.1f} | {b['written'] / 2**20:,.1f} |")
    if c and not c.get("error"):
        lines += ["", "## Rows removed", "", "| layer | rows |", "|---|---|"]
        lines += [f"| {k} | {v:,} |" for k, v in c["removed"].items()]
    if res.get("reading"):
        lines += ["", "## Reading", "", *res["reading"]]
    return "\n".join(lines) + "\n"
