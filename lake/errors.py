"""The one exception type a user is meant to read: its message is the whole story."""
from __future__ import annotations

import sys


class LakeError(Exception):
    """An error the user can act on. str(e) names the cause and the fix in one line;
    ``details`` (for example the tail of a log) is printed after it."""

    def __init__(self, message: str, details: str = ""):
        super().__init__(message)
        self.details = details


def report(prog: str, e: BaseException) -> int:
    """An entry point's failure as the user reads it: `<prog>: error: <cause and fix>` on one line, then
    the details (a log's tail) when there are any. Returns the exit status, 1."""
    print(f"{prog}: error: {e}", file=sys.stderr)
    details = getattr(e, "details", "")
    if details:
        print(details, file=sys.stderr)
    return 1
