"""Reads versions.toml, the one place where every version is pinned.

Stdlib only: the Makefile calls this with the system python3 to build the
virtualenv, before any third-party package exists.
"""
from __future__ import annotations

import sys
import tomllib
from functools import lru_cache
from pathlib import Path

VERSIONS_FILE = Path(__file__).resolve().parent.parent / "versions.toml"


@lru_cache(maxsize=1)
def load() -> dict:
    with VERSIONS_FILE.open("rb") as fh:
        return tomllib.load(fh)


def maven(name: str) -> str:
    return load()["maven"][name]


def python_requirements() -> list[str]:
    return [f"{name}=={version}" for name, version in load()["python"]["packages"].items()]


if __name__ == "__main__":
    # `python3 lake/versions.py requirements` prints pip requirement lines.
    if sys.argv[1:] == ["requirements"]:
        print("\n".join(python_requirements()))
    else:
        sys.exit("usage: versions.py requirements")
