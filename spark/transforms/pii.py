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
MIN_KEY_CHARS = 16

EMAIL_MASK = "[email]"
PHONE_MASK = "[phone]"

# local@domain.tld; \w is Unicode, so accented local parts are caught too.
EMAIL = re.compile(r"[\w.+%-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}\b")

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


class Pii:
    """The classification plus the key: pseudonymize, mask, and protect whole rows."""

    def __init__(self, key: str | bytes, classification: dict[str, dict] | None = None):
        key_bytes = key.encode("utf-8") if isinstance(key, str) else bytes(key)
        if len(key_bytes) < MIN_KEY_CHARS:
            raise KeyMissing(f"the PII key must have at least {MIN_KEY_CHARS} characters (set {KEY_ENV})")
        self._key = key_bytes
        self.classification = classification if classification is not None else load_classification()

    def __repr__(self) -> str:  # never print the key
        return f"Pii(<key>, {len(self.classification)} fields)"

    # ---- pseudonymization ----
    def token(self, kind: str, value: str | None) -> str | None:
        """u_/h_ + 16 hex of HMAC-SHA256(key, kind:value). Handles are case-insensitive on
        the platform, so they are lower-cased first; None stays None."""
        if value is None:
            return None
        value = str(value)
        if kind == "handle":
            value = value.lstrip("@＠").lower()
        digest = hmac.new(self._key, f"{kind}:{value}".encode("utf-8"), hashlib.sha256).hexdigest()
        return KINDS[kind] + digest[:TOKEN_HEX]

    def user_key(self, user_id: str | None) -> str | None:
        return self.token("user", user_id)

    def handle_key(self, handle: str | None) -> str | None:
        return self.token("handle", handle)

    # ---- masking ----
    def mask_text(self, text: str | None) -> str | None:
        """E-mails and phone numbers masked, @handles and profile URLs pseudonymized."""
        if not text:
            return text
        text = EMAIL.sub(EMAIL_MASK, text)
        text = mask_phones(text)
        text = PROFILE_URL.sub(lambda m: m.group(1) + self.handle_key(m.group(2)), text)
        return HANDLE.sub(lambda m: "@" + self.handle_key(m.group(1)), text)

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
        out: dict[str, Any] = {}
        for name, value in raw.items():
            spec = self.classification.get(name)
            if spec is None:
                raise ClassificationError(f"field {name!r} is not declared in {CLASSIFICATION.name}")
            if spec["treatment"] == "drop":
                continue
            if "sub" in spec and value is not None:
                value = [self._protect_element(name, spec["sub"], e) for e in value]
            else:
                value = self._treat(spec, value)
            out[spec.get("column", name)] = value
        return out

    def _protect_element(self, field: str, subs: dict, element: dict) -> dict:
        out = {}
        for name, value in element.items():
            spec = subs.get(name)
            if spec is None:
                raise ClassificationError(f"field {field}[].{name!r} is not declared in {CLASSIFICATION.name}")
            if spec["treatment"] != "drop":
                out[spec.get("column", name)] = self._treat(spec, value)
        return out


def mask_phones(text: str) -> str:
    lo, hi = PHONE_DIGITS

    def repl(m: re.Match) -> str:
        digits = sum(c.isdigit() for c in m.group(0))
        return PHONE_MASK if lo <= digits <= hi else m.group(0)

    return PHONE.sub(repl, text)


def from_env(classification_path: Path | str = CLASSIFICATION) -> Pii:
    return Pii(load_key(), load_classification(classification_path))
