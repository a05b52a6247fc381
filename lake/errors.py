"""The one exception type a user is meant to read: its message is the whole story."""
from __future__ import annotations

import sys

# Exit statuses a script can tell apart: 1 any other LakeError, 2 bad arguments, 3 a service that
# did not answer within the command's timeouts (6 is a failed quality gate, lake/pipeline/quality.py).
EXIT_ERROR, EXIT_USAGE, EXIT_SERVICE = 1, 2, 3


class LakeError(Exception):
    """An error the user can act on. str(e) names the cause and the fix in one line;
    ``details`` (for example the tail of a log) is printed after it; ``code`` is the exit status."""

    code = EXIT_ERROR

    def __init__(self, message: str, details: str = ""):
        super().__init__(message)
        self.details = details


class UsageError(LakeError):
    """A bad argument (a make variable), found before any work started. The message names the
    variable, the value given and the accepted range."""

    code = EXIT_USAGE


class ServiceDown(LakeError):
    """A service that did not answer within the command's timeouts (after retrying)."""

    code = EXIT_SERVICE

    def __init__(self, service: str, address: str, log: str, waited: float, make_service: str,
                 cause: str = ""):
        why = f" ({cause})" if cause else ""
        state = f"did not answer for {waited:.0f} s" if waited >= 1 else "is not answering"
        super().__init__(f"{service} at {address} {state}{why}: start it with "
                         f"`make up`; its log: `make logs SERVICE={make_service}` ({log})")
        self.service = service


def report(prog: str, e: BaseException) -> int:
    """An entry point's failure as the user reads it: `<prog>: error: <cause and fix>` on one line, then
    the details (a log's tail) when there are any. Returns the exit status (the error's code, else 1)."""
    print(f"{prog}: error: {e}", file=sys.stderr)
    details = getattr(e, "details", "")
    if details:
        print(details, file=sys.stderr)
    return getattr(e, "code", EXIT_ERROR)
