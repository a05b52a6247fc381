"""Command-line arguments as a user of `make` sees them: one line per mistake, naming the make
variable (COUNT, DATE, TABLE, ...), the value given and what is accepted, before any work starts.

    ap = Parser(prog="make ingest", variables={"--count": "COUNT"})
    args = ap.parse_args(argv)          # argparse's own errors: one line, exit 2, no usage dump
    whole(args.count, "COUNT", low=0)   # raises UsageError("COUNT=-5 ...")
"""
from __future__ import annotations

import argparse
import functools
import math
import re
import sys
from datetime import date
from typing import Iterable, NoReturn

from lake.errors import EXIT_USAGE, UsageError


class Parser(argparse.ArgumentParser):
    """argparse with a one-line error: `<prog>: error: <message> (see --help)`, exit 2. `variables`
    maps option strings to the make variables that feed them, so the message names what was typed."""

    def __init__(self, *args, variables: dict[str, str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.variables = variables or {}

    def add_subparsers(self, **kwargs):
        kwargs.setdefault("parser_class", functools.partial(type(self), variables=self.variables))
        return super().add_subparsers(**kwargs)

    def error(self, message: str) -> NoReturn:
        for flag, var in sorted(self.variables.items(), key=lambda kv: -len(kv[0])):
            message = re.sub(rf"(?<![\w-]){re.escape(flag)}(?![\w-])", f"{flag} ({var})", message, count=1)
        print(f"{self.prog}: error: {message} (see --help)", file=sys.stderr)
        self.exit(EXIT_USAGE)


def whole(value, name: str, low: int | None = None, high: int | None = None) -> int:
    """An integer within [low, high]; the message states the range."""
    try:
        n = int(value)
        if isinstance(value, float) and n != value:
            raise ValueError
    except (TypeError, ValueError):
        raise UsageError(f"{name}={value!r} is not a whole number{_range(low, high)}") from None
    if (low is not None and n < low) or (high is not None and n > high):
        raise UsageError(f"{name}={_fmt(n)} is out of range: give a whole number{_range(low, high)}")
    return n


def number(value, name: str, low: float | None = None, high: float | None = None, unit: str = "",
           low_open: bool = False) -> float:
    """A finite number within [low, high] (or (low, high] with low_open)."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        x = math.nan
    bad = not math.isfinite(x) or (low is not None and (x <= low if low_open else x < low)) \
        or (high is not None and x > high)
    if bad:
        what = f"a number{' of ' + unit if unit else ''}{_range(low, high, low_open)}"
        shown = _fmt(x) if math.isfinite(x) else repr(value)
        raise UsageError(f"{name}={shown} is not allowed: give {what}")
    return x


def iso_date(value, name: str) -> str:
    """A calendar date YYYY-MM-DD (2024-02-30 is not one)."""
    try:
        return date.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise UsageError(f"{name}={value!r} is not a date: give YYYY-MM-DD, e.g. {date.today().isoformat()}") from None


def one_of(value: str, name: str, allowed: Iterable[str]) -> str:
    allowed = list(allowed)
    if value not in allowed:
        raise UsageError(f"{name}={value!r} is not one of {'|'.join(allowed)}")
    return value


def subset(value: str, name: str, allowed: Iterable[str]) -> tuple[str, ...]:
    """A comma-separated, non-empty subset of `allowed`, in the order given."""
    allowed = list(allowed)
    items = tuple(x.strip() for x in str(value).split(",") if x.strip())
    unknown = [x for x in items if x not in allowed]
    if unknown or not items:
        raise UsageError(f"{name}={value!r}: {'unknown ' + ', '.join(unknown) if unknown else 'empty'}; "
                         f"give a comma-separated subset of {','.join(allowed)}")
    return items


def _fmt(x) -> str:
    """1000000 -> 1,000,000; 0.5 -> 0.5."""
    return f"{int(x):,}" if float(x).is_integer() else f"{x:g}"


def _range(low, high, low_open: bool = False) -> str:
    lo = f"{'>' if low_open else '>='} {_fmt(low)}" if low is not None else ""
    if low is not None and high is not None:
        return f" {lo} and <= {_fmt(high)}" if low_open else f" from {_fmt(low)} to {_fmt(high)}"
    return f" {lo}" if lo else (f" <= {_fmt(high)}" if high is not None else "")
