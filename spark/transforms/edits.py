"""Edited tweets: which version of an edit chain silver and gold keep, and with how many edits.

X API v2 gives every version of an edited tweet its own id and tweet, each carrying
`edit_history_tweet_ids` (oldest..newest). Bronze keeps every version, one row each, with the chain's
key `edit_root_id` (the first id of the history: the original tweet's, the one id no later edit
changes), the version's place in it (`edit_version`) and how many versions its history lists
(`edit_versions`) -- parse._edit_chain. v1.1 tweets and v2 tweets without a history are chains of one.

Silver keeps one row per chain (spark/jobs/build_silver.py runs these rules on the driver over the
bronze rows of edited chains only, a small set):
* the latest version is the one with the highest tweet id: ids are snowflakes, growing with time, so
  this is the history's own order, and it holds across ingest dates and created dates;
* edit_count = max(the longest history any version listed, the versions bronze holds) - 1: X's history
  counts versions the lake never received (a sampled stream), and a version fetched before a later
  edit lists a shorter history than the last one;
* a chain whose versions sit in several created_date partitions is rebuilt in all of them, so a newer
  version arriving on a later ingest date removes the older one from its (older) silver partition.

The speed layer sees versions one at a time, as they stream: each of its rows carries its own version's
chain key and count (of_version), and serving.tweets keeps the newest version of each chain across silver
and speed by the same highest-id rule (hive/ddl/serving/tweets.sql, docs/serving.md).
"""
from __future__ import annotations

from typing import Iterable, NamedTuple


class Member(NamedTuple):
    """One bronze row of an edited chain: what the rules read of it."""
    tweet_id: int
    edit_root_id: int
    edit_versions: int
    created_date: str  # 'YYYY-MM-DD'


class Chain(NamedTuple):
    latest_id: int
    edit_count: int
    created_dates: frozenset[str]  # every partition holding a version


def chains(members: Iterable[Member]) -> dict[int, Chain]:
    """root -> its chain, over the bronze rows of edited chains (every version bronze holds, any date)."""
    ids: dict[int, list[int]] = {}
    listed: dict[int, int] = {}
    dates: dict[int, set[str]] = {}
    for m in members:
        ids.setdefault(m.edit_root_id, []).append(m.tweet_id)
        listed[m.edit_root_id] = max(listed.get(m.edit_root_id, 1), m.edit_versions or 1)
        dates.setdefault(m.edit_root_id, set()).add(m.created_date)
    return {root: Chain(max(v), max(listed[root], len(set(v))) - 1, frozenset(dates[root])) for root, v in ids.items()}


def superseded(found: dict[int, Chain], members: Iterable[Member]) -> set[int]:
    """Tweet ids of versions a newer one replaces: bronze keeps them, silver does not."""
    return {m.tweet_id for m in members if m.tweet_id != found[m.edit_root_id].latest_id}


def dates_to_rebuild(found: dict[int, Chain], dates: Iterable[str]) -> list[str]:
    """The created dates asked for, plus every other date holding a version of a chain that has one in them:
    silver rebuilds per date, and a chain must end with one row whichever dates a build touched."""
    asked = set(dates)
    out = set(asked)
    for chain in found.values():
        if chain.created_dates & asked:  # not `& out`: a chain with no version in the asked dates did not change
            out |= chain.created_dates
    return sorted(out)


def of_version(tweet_id: int, edit_root_id: int | None, edit_versions: int | None) -> tuple[int, int]:
    """(edit_root_id, edit_count) of one version known alone, as silver names them: chains()' rule over a
    chain of that one version (the versions its history lists - 1). What the speed layer's rows carry; the
    batch build recounts over every version bronze holds. NULLs (a row from before the edit columns) are a
    chain of one, as in build_silver.edit_chains."""
    root = tweet_id if edit_root_id is None else edit_root_id
    return root, chains([Member(tweet_id, root, edit_versions or 1, "")])[root].edit_count
