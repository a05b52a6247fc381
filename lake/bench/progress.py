"""tqdm bars for the long phases; redrawn rarely when stderr is not a terminal (make | tee, CI logs)."""
from __future__ import annotations

import sys


def bar(iterable=None, **kwargs):
    from tqdm import tqdm

    kwargs.setdefault("mininterval", 0.2 if sys.stderr.isatty() else 15)
    return tqdm(iterable, **kwargs)
