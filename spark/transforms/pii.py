"""Sensitive data in bronze: the classification file, keyed pseudonymization,
and masking of e-mails, phone numbers and @handles in free text.

Pure Python (stdlib + PyYAML on the driver only), so the batch job and a later
streaming job apply exactly the same treatments. A `Pii` object holds the
parsed classification and the key; it pickles, so a Spark job builds it once on
the driver and ships it to executors inside the task closure (executors never
need the key in their environment).
"""
from __future__ import annotations

import hashlib
import hmac
import os
import re
from pathlib import Path
from typing import Any

KEY_ENV = "LAKE_PII_KEY"
CLASSIFICATION = Path(__file__).with_name("classification.yaml")
TREATMENTS = ("keep", "pseudonymize", "mask", "drop")
KINDS = {"user": "u_", "handle": "h_"}  # token prefix per kind of identifier
MASK_METHODS = ("text", "round2")
TOKEN_HEX = 16  # 64 bits: ~3e-8 chance of any collision among a million users
TOKEN_CACHE = 1 << 16  # tokens kept per process (Pii.token); cleared whole when full
MIN_KEY_CHARS = 16

EMAIL_MASK = "[email]"
PHONE_MASK = "[phone]"

# local@domain.tld; \w is Unicode, so accented local parts are caught too.
EMAIL = re.compile(r"[\w.+%-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}\b")
# What every EMAIL match holds from the character before its '@' on. EMAIL's leading `[...]+` is
# retried from every position of every word (quadratic per word); this one fails at the first
# character that is not right before an '@', so it is a cheap test of whether EMAIL can match.
_EMAIL_AT = re.compile(r"[\w.+%-]@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}\b")

# A phone number: optional +CC, optional (area), then 2..5 groups of digits split
# by one space, dot or hyphen. Candidates are only masked with 9..15 digits in
# total (E.164 allows 15), so years, times, dates and small amounts stay. Not
# preceded by a word char, '/', '=', '#', '@', '.' or ',' (URLs, query strings,
# hashtags, decimals) and not followed by a word char or '/'.
PHONE = re.compile(
    r"(?<![\w/=#@.,+])"
    r"(?:\+\d{1,3}[ .-]?)?"
    r"(?:\(\d{1,4}\)[ .-]?)?"
    r"\d{1,5}(?:[ .-]?\d{2,5}){1,4}"
    r"(?![\w/])"
)
PHONE_DIGITS = (9, 15)

# @handle: 1..15 word chars, not glued to a word before it (w/@x is a mention), not longer
# after it. A token h_<16 hex> is 18 chars, so masking is idempotent.
HANDLE = re.compile(r"(?<![\w@＠])[@＠]([A-Za-z0-9_]{1,15})(?![\w@])")
# HANDLE with its lookbehind moved after the '@' it guards (the char before that '@' is not a word
# char or '@'; at the start of the text the 2-char lookbehind cannot fit, so it passes, as HANDLE's
# does). Same matches; starting with a character set lets the regex engine jump from '@' to '@'
# instead of trying the lookbehind at every position, which halves the time of a handle scan.
_HANDLE_SCAN = re.compile(r"[@＠](?<![\w@＠][@＠])([A-Za-z0-9_]{1,15})(?![\w@])")
# twitter.com/<handle>... and x.com/<handle>...: permalinks name their user.
_RESERVED_PATHS = ("i", "intent", "search", "hashtag", "home", "share", "explore", "settings", "messages",
                   "notifications", "login", "signup", "tos", "privacy", "who_to_follow", "compose", "status")
PROFILE_URL = re.compile(
    r"(?i)(?<![\w.])((?:www\.|mobile\.)?(?:twitter|x)\.com/)(?!(?:" + "|".join(_RESERVED_PATHS) + r")(?:[/?#]|$))"
    r"([A-Za-z0-9_]{1,15})(?![\w])"
)


class ClassificationError(ValueError):
    """The classification file is malformed, or a row has a field it does not declare."""


class KeyMissing(RuntimeError):
    pass


def load_classification(path: Path | str = CLASSIFICATION) -> dict[str, dict]:
    """field -> spec ({treatment, why, kind?, method?, column?, sub?}), validated."""
    import yaml

    doc = yaml.safe_load(Path(path).read_text())
    fields = doc.get("fields") if isinstance(doc, dict) else None
    if not isinstance(fields, dict) or not fields:
        raise ClassificationError(f"{path}: no `fields:` mapping")
    for name, spec in fields.items():
        _check_spec(f"{path}: {name}", spec, allow_sub=True)
    return fields


def _check_spec(where: str, spec: Any, allow_sub: bool) -> None:
    if not isinstance(spec, dict):
        raise ClassificationError(f"{where}: expected a mapping")
    t = spec.get("treatment")
    if t not in TREATMENTS:
        raise ClassificationError(f"{where}: treatment {t!r} is not one of {', '.join(TREATMENTS)}")
    if not isinstance(spec.get("why"), str) or not spec["why"].strip():
        raise ClassificationError(f"{where}: a one-line `why` is required")
    if t == "pseudonymize" and spec.get("kind") not in KINDS:
        raise ClassificationError(f"{where}: pseudonymize needs kind: {' | '.join(KINDS)}")
    if t == "mask" and spec.get("method") not in MASK_METHODS:
        raise ClassificationError(f"{where}: mask needs method: {' | '.join(MASK_METHODS)}")
    if "sub" in spec:
        if not allow_sub or not isinstance(spec["sub"], dict):
            raise ClassificationError(f"{where}: `sub` must be a mapping of element fields")
        for name, sub in spec["sub"].items():
            _check_spec(f"{where}.{name}", sub, allow_sub=False)


def output_columns(classification: dict[str, dict]) -> list[str]:
    """The bronze columns the treatments produce (dropped fields produce none)."""
    return [spec.get("column", name) for name, spec in classification.items() if spec["treatment"] != "drop"]


def load_key() -> str:
    """LAKE_PII_KEY, else the lake's secret store (var/secrets/pii-key, created once)."""
    key = os.environ.get(KEY_ENV)
    if not key:
        try:
            from lake import secrets, settings
        except ImportError as e:  # outside the repo (an executor without the lake package)
            raise KeyMissing(f"{KEY_ENV} is not set and the lake secret store is not importable") from e
        key = secrets.pii_key(settings.get())
    return key


# key -> {(kind, value): token}, shared by the Pii objects of one key in this process.
_TOKEN_CACHES: dict[bytes, dict[tuple[str, str], str]] = {}


class Pii:
    """The classification plus the key: pseudonymize, mask, and protect whole rows."""

    def __init__(self, key: str | bytes, classification: dict[str, dict] | None = None):
        key_bytes = key.encode("utf-8") if isinstance(key, str) else bytes(key)
        if len(key_bytes) < MIN_KEY_CHARS:
            raise KeyMissing(f"the PII key must have at least {MIN_KEY_CHARS} characters (set {KEY_ENV})")
        self._key = key_bytes
        self.classification = classification if classification is not None else load_classification()
        self._reset_caches()

    def _reset_caches(self) -> None:
        # Caches (see token and protect), never pickled: Spark ships this object to executors
        # inside every task's closure, which rebuild them. They only hold derived values, so a
        # hit is byte-identical to recomputing. Tokens depend on the key alone, so every Pii of
        # one key in a process (one per task on a reused Python worker) shares one token cache.
        # The classification is read once per field name: treat it as immutable.
        self._tokens: dict[tuple[str, str], str] = _TOKEN_CACHES.setdefault(self._key, {})
        self._plan: dict[str, tuple] = {}
        self._sub_plans: dict[str, tuple] = {}  # field -> (its elements' plan, their step compiler)

    def __getstate__(self) -> dict:
        return {"_key": self._key, "classification": self.classification}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._reset_caches()

    def __repr__(self) -> str:  # never print the key
        return f"Pii(<key>, {len(self.classification)} fields)"

    # ---- pseudonymization ----
    def token(self, kind: str, value: str | None) -> str | None:
        """u_/h_ + 16 hex of HMAC-SHA256(key, kind:value). Handles are case-insensitive on
        the platform, so they are lower-cased first; None stays None."""
        if value is None:
            return None
        # Ids and handles repeat a lot (authors, mentions, retweets of one post): an HMAC costs
        # ~5 µs, a dict hit ~0.1. Only str values are cached: 1, 1.0 and True are equal dict
        # keys but give different tokens ("1", "1.0", "True").
        cacheable = type(value) is str
        if cacheable:
            hit = self._tokens.get((kind, value))
            if hit is not None:
                return hit
        raw = value
        value = str(value)
        if kind == "handle":
            value = value.lstrip("@＠").lower()
        digest = hmac.new(self._key, f"{kind}:{value}".encode("utf-8"), hashlib.sha256).hexdigest()
        token = KINDS[kind] + digest[:TOKEN_HEX]
        if cacheable:
            if len(self._tokens) >= TOKEN_CACHE:
                self._tokens.clear()  # bounded memory; a miss only costs the HMAC again
            self._tokens[(kind, raw)] = token
        return token

    def user_key(self, user_id: str | None) -> str | None:
        return self.token("user", user_id)

    def handle_key(self, handle: str | None) -> str | None:
        return self.token("handle", handle)

    # ---- masking ----
    def mask_text(self, text: str | None) -> str | None:
        """E-mails and phone numbers masked, @handles and profile URLs pseudonymized."""
        if not text:
            return text
        # Each pattern runs only when the text holds what every match of it must contain: most
        # tweets have no '@' e-mail, no 9 digits, no profile link, so most of these scans (each a
        # regex attempt at every position, behind a lookbehind) are skipped. Same output.
        if "@" in text and _may_hold_email(text) and _EMAIL_AT.search(text):
            text = EMAIL.sub(EMAIL_MASK, text)
        if _may_hold_phone(text):
            text = mask_phones(text)
        if ".com/" in text.lower():  # PROFILE_URL is (?i): only ASCII c, o, m match c, o, m there
            text = PROFILE_URL.sub(self._profile_repl, text)
        if "@" in text or "＠" in text:
            text = _HANDLE_SCAN.sub(self._handle_repl, text)
        return text

    def _profile_repl(self, m: re.Match) -> str:
        return m.group(1) + self.handle_key(m.group(2))

    def _handle_repl(self, m: re.Match) -> str:
        return "@" + self.handle_key(m.group(1))

    def _treat(self, spec: dict, value: Any) -> Any:
        t = spec["treatment"]
        if value is None or t == "keep":
            return value
        if t == "pseudonymize":
            return self.token(spec["kind"], value)
        if spec["method"] == "round2":
            return round(float(value), 2)
        return self.mask_text(value)

    def protect(self, raw: dict[str, Any]) -> dict[str, Any]:
        """Apply the classification to a parsed row: renamed, pseudonymized, masked,
        dropped. A field the classification does not declare is an error, not a pass."""
        # The same steps as reading each field's spec every time (_treat), from a per-field plan
        # built on the field's first use: the spec look-ups and branching per field per row
        # were a third of this function's time.
        return self._apply(self._plan, self._compile, raw)

    def protect_columns(self, columns: dict[str, list]) -> dict[str, list]:
        """protect() over a batch held as columns (field -> one value per row): the same steps, each
        run once per distinct value of a column (a batch repeats authors, handles, locations and
        retweeted texts) and no dict built per row. Elements of nested lists (mentions, urls) are
        treated the same way, as columns of their own."""
        return self._apply_columns(self._plan, self._compile, columns)

    def _apply_columns(self, plan: dict[str, tuple], compile_step, columns: dict[str, list]) -> dict[str, list]:
        out: dict[str, list] = {}
        for name, values in columns.items():
            op, column, arg = _planned(plan, compile_step, name)
            if op is _DROP:
                continue
            if op is _KEEP:
                out[column] = values
            elif op is _SUB:
                out[column] = self._protect_lists(arg[0], arg[1], values)
            else:
                out[column] = _per_distinct(values, self._step_fn(op, arg))
        return out

    def _step_fn(self, op: str, arg: Any):
        """The function of one value that _apply's branch for `op` computes (None stays None)."""
        if op is _TEXT:
            return self.mask_text
        if op is _PSEUDO:
            return lambda v: self.token(arg, v)
        return lambda v: self._treat(arg, v)

    def _protect_lists(self, field: str, subs: dict, lists: list) -> list:
        """Each row's list of element dicts through _protect_element, column by column: the elements
        of the whole batch flattened into one column per key, treated, and cut back into rows."""
        elements = [e for lst in lists if lst for e in lst]
        if not elements:
            return [None if lst is None else [] for lst in lists]
        keys = list(elements[0])
        if any(list(e) != keys for e in elements):  # not one shape: element by element, as protect does
            return [None if lst is None else [self._protect_element(field, subs, e) for e in lst] for lst in lists]
        plan_and_compile = self._sub_plans.get(field)
        if plan_and_compile is None:
            self._protect_element(field, subs, {})  # builds the field's plan and step compiler
            plan_and_compile = self._sub_plans[field]
        treated = self._apply_columns(*plan_and_compile, {k: [e[k] for e in elements] for k in keys})
        names = list(treated)
        flat = [dict(zip(names, vals)) for vals in zip(*treated.values())] if names else [{} for _ in elements]
        out, i = [], 0
        for lst in lists:
            if lst is None:
                out.append(None)
            else:
                out.append(flat[i:i + len(lst)])
                i += len(lst)
        return out

    def _compile(self, name: str) -> tuple:
        """(op, column, arg) of one field; raises what reading its spec row by row raised."""
        spec = self.classification.get(name)
        if spec is None:
            raise ClassificationError(f"field {name!r} is not declared in {CLASSIFICATION.name}")
        if spec["treatment"] == "drop":
            return _DROP_STEP
        column = spec.get("column", name)
        if "sub" in spec:
            return _SUB, column, (name, spec["sub"])
        return _step(spec, column)

    def _protect_element(self, field: str, subs: dict, element: dict) -> dict:
        plan_and_compile = self._sub_plans.get(field)
        if plan_and_compile is None:
            def compile_sub(name: str) -> tuple:
                spec = subs.get(name)
                if spec is None:
                    raise ClassificationError(f"field {field}[].{name!r} is not declared in {CLASSIFICATION.name}")
                return _DROP_STEP if spec["treatment"] == "drop" else _step(spec, spec.get("column", name))

            plan_and_compile = self._sub_plans[field] = ({}, compile_sub)
        return self._apply(*plan_and_compile, element)

    def _apply(self, plan: dict[str, tuple], compile_step, fields: dict[str, Any]) -> dict[str, Any]:
        """One row (or one element of a nested list) through its plan; a field's step is compiled
        on its first use."""
        out: dict[str, Any] = {}
        for name, value in fields.items():
            op, column, arg = _planned(plan, compile_step, name)
            if op is _DROP:
                continue
            if value is None or op is _KEEP:
                out[column] = value
            elif op is _TEXT:
                out[column] = self.mask_text(value)
            elif op is _PSEUDO:
                out[column] = self.token(arg, value)
            elif op is _SUB:
                out[column] = [self._protect_element(arg[0], arg[1], e) for e in value]
            else:
                out[column] = self._treat(arg, value)
        return out


# Plan steps of Pii.protect: what _treat would do with a spec, decided once per field.
_KEEP, _DROP, _PSEUDO, _TEXT, _SUB, _GENERIC = "keep", "drop", "pseudonymize", "mask_text", "sub", "generic"
_DROP_STEP = (_DROP, None, None)


def _planned(plan: dict[str, tuple], compile_step, name: str) -> tuple:
    """A field's step from its plan, compiled on the field's first use."""
    step = plan.get(name)
    if step is None:
        step = plan[name] = compile_step(name)
    return step


def _step(spec: dict, column: str) -> tuple:
    t = spec["treatment"]
    if t == "keep":
        return _KEEP, column, None
    if t == "pseudonymize" and spec.get("kind") in KINDS:
        return _PSEUDO, column, spec["kind"]
    if t == "mask" and spec.get("method") == "text":
        return _TEXT, column, None
    return _GENERIC, column, spec  # round2, and any spec load_classification would refuse: _treat as before


def _per_distinct(values: list, fn) -> list:
    """[fn(v) for v in values], fn run once per distinct value; None stays None (as protect keeps it).
    Values are str/int/float here; 1, 1.0 and True hash alike but may treat differently, so the memo
    is keyed by (type, value)."""
    memo: dict = {}
    out = []
    for v in values:
        if v is None:
            out.append(None)
            continue
        k = (type(v), v)
        r = memo.get(k, memo)
        if r is memo:
            r = memo[k] = fn(v)
        out.append(r)
    return out


def _may_hold_email(text: str) -> bool:
    """False when _EMAIL_AT cannot match: each of its matches starts with a [\\w.+%-] character right
    before an '@' (\\w is what str.isalnum() or '_' is, as re defines it). Most '@'s in tweets start
    a handle after a space: found by str.find at C speed, where _EMAIL_AT's search tried its
    character class at every position of the text (1.4 against 0.3 µs a synthetic tweet)."""
    i = text.find("@", 1)
    while i > 0:
        c = text[i - 1]
        if c.isalnum() or c in "_.+%-":
            return True
        i = text.find("@", i + 1)
    return False


_ASCII_DIGITS = b"0123456789"
_DIGIT = re.compile(r"\d")


def _may_hold_phone(text: str) -> bool:
    """False when mask_phones cannot change the text: a masked match holds at least
    PHONE_DIGITS[0] characters that \\d matched (the only isdigit() ones in a match)."""
    lo = PHONE_DIGITS[0]
    if text.isascii():  # \d is [0-9] there: the bytes without them, counted in C (10 str.count cost 3x)
        b = text.encode("ascii")
        return len(b) - len(b.translate(None, _ASCII_DIGITS)) >= lo
    return len(_DIGIT.findall(text)) >= lo


def mask_phones(text: str) -> str:
    lo, hi = PHONE_DIGITS

    def repl(m: re.Match) -> str:
        digits = sum(c.isdigit() for c in m.group(0))
        return PHONE_MASK if lo <= digits <= hi else m.group(0)

    return PHONE.sub(repl, text)


def from_env(classification_path: Path | str = CLASSIFICATION) -> Pii:
    return Pii(load_key(), load_classification(classification_path))
