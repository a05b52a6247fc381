"""The one exception type a user is meant to read: its message is the whole story."""


class LakeError(Exception):
    """An error the user can act on. str(e) names the cause and the fix in one line;
    ``details`` (for example the tail of a log) is printed after it."""

    def __init__(self, message: str, details: str = ""):
        super().__init__(message)
        self.details = details
