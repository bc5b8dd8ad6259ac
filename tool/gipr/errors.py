"""User-facing errors: one Chinese sentence, no traceback, exit status 2."""

from __future__ import annotations


class GiprError(Exception):
    """A problem the user can fix or must know about.  ``str(e)`` is shown as it is."""

    code = "error"

    def __init__(self, message: str, code: str | None = None):
        super().__init__(message)
        if code is not None:
            self.code = code
