"""Finding user ids, handles and strings in payloads and rows: used by the PII
unit tests and the bronze integration test to prove nothing leaks past bronze."""
from __future__ import annotations


def identifiers(o, handles: set, ids: set) -> None:
    """Every user id and handle in a payload, wherever it sits."""
    if isinstance(o, dict):
        for k, v in o.items():
            if k in ("screen_name", "username", "in_reply_to_screen_name") and isinstance(v, str):
                handles.add(v)
            elif k in ("author_id", "in_reply_to_user_id_str", "in_reply_to_user_id") and isinstance(v, str):
                ids.add(v)
            elif k in ("user", "author", "in_reply_to_user") and isinstance(v, dict):
                ids.update(str(v[f]) for f in ("id_str", "id") if isinstance(v.get(f), (str, int)))
            elif k in ("users", "user_mentions", "mentions") and isinstance(v, list):
                for u in v:
                    for f in ("id_str", "id"):
                        uid = u.get(f) if isinstance(u, dict) else None
                        if isinstance(uid, str) or (isinstance(uid, int) and k == "user_mentions"):
                            ids.add(str(uid))
            identifiers(v, handles, ids)
    elif isinstance(o, list):
        for v in o:
            identifiers(v, handles, ids)


def strings(v):
    """Every string inside nested dicts, lists and tuples."""
    if isinstance(v, str):
        yield v
    elif isinstance(v, dict):
        for x in v.values():
            yield from strings(x)
    elif isinstance(v, (list, tuple)):
        for x in v:
            yield from strings(x)
