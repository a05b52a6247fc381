"""What the shared tweet files hold, read independently of the ingestion code:
used by the replay unit tests and by the end-to-end ingestion tests."""
from __future__ import annotations

import json
from pathlib import Path

V1 = "tweets/v1-streaming"
BROKEN = f"{V1}/broken_and_unsupported_payloads"
V2 = "tweets/v2-twarc/test-data"

# The bad records, named: (file, line) -> reason. Every other unit must become a Record.
KNOWN_BAD = {
    (f"{V2}/streaming_output_with_error.jsonl", 8): "invalid_json",  # truncated on purpose
    (f"{BROKEN}/original_format_missing_user.json", 1): "missing_user",
    (f"{BROKEN}/activity_streams_missing_field.json", 1): "unsupported_format",
    **{(f"{V1}/activity_streams_examples.json", n): "unsupported_format" for n in range(1, 26)},
    (f"{V2}/counts.jsonl", 1): "not_a_tweet",
    (f"{V2}/lists.jsonl", 1): "not_a_tweet",
    (f"{V2}/lists.jsonl", 2): "not_a_tweet",
    (f"{V2}/users.jsonl", 1): "not_a_tweet",
    (f"{V2}/tweets_compliance.jsonl", 2): "not_a_tweet",  # line 1 is blank
    (f"{V2}/tweets_compliance.jsonl", 3): "not_a_tweet",
    (f"{V2}/users_compliance.jsonl", 1): "not_a_tweet",
    (f"{V2}/users_compliance.jsonl", 2): "not_a_tweet",
}

def independent_units(path: Path) -> dict[int, int]:
    """line -> units, by the simplest reading: a page of tweets counts its tweets, any other line 1."""
    units = {}
    for number, line in enumerate(path.read_bytes().split(b"\n"), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except ValueError:
            units[number] = 1
            continue
        data = obj.get("data") if isinstance(obj, dict) else None
        tweets = isinstance(data, list) and any(isinstance(d, dict) and "text" in d for d in data)
        units[number] = len(data) if tweets else 1
    return units


def expected_records(tweets_dir: Path) -> int:
    """How many records a replay of every shared file must produce: all units minus the known-bad ones."""
    total = 0
    for path in sorted(tweets_dir.rglob("*")):
        if path.is_file() and path.suffix in (".json", ".jsonl") and not path.name.startswith("."):
            total += sum(independent_units(path).values())
    return total - len(KNOWN_BAD)


def parse_corpus(shared_data: Path) -> list[bytes]:
    """What bronze's parity tests parse: every record ingestion takes from the shared files, every
    raw line of the broken files and of the .jsonl files (the first 200 a file), a synthetic month
    in both formats, and a few hand-made bad lines."""
    from ingestion.sources import synthetic
    from ingestion.records import Record
    from ingestion.sources.replay import replay

    out = [r.payload for r in replay([shared_data / "tweets"]) if isinstance(r, Record)]
    for f in sorted((shared_data / "tweets").rglob("*")):
        if f.is_file() and ("broken" in str(f) or f.suffix == ".jsonl"):
            out += [ln for ln in f.read_bytes().split(b"\n") if ln.strip()][:200]
    out += [r.payload for r in synthetic.generate(1500, seed=11, days=30)]
    out += [r.payload for r in synthetic.generate(500, seed=12, days=30, fmt="v1")]
    out += [b"{not json", b"[]", b'{"data": []}', "{\"id\": \"1\", \"text\": \"\u00e9\"}".encode()]
    return out
