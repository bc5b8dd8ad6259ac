"""User-facing errors: one Chinese sentence, no traceback, exit status 2.

The one home of gipr's exception classes: every one is a :class:`GiprError` with a stable
``code``; the readers, the mail parser and the format loader raise the subclasses below."""

from __future__ import annotations

__all__ = ["DocumentError", "GiprError", "MailError", "NeedsOcr", "ReadError", "SpecError"]


class GiprError(Exception):
    """A problem the user can fix or must know about.  ``str(e)`` is shown as it is."""

    code = "error"

    def __init__(self, message: str, code: str | None = None):
        super().__init__(message)
        if code is not None:
            self.code = code


class SpecError(GiprError):
    """A format file is malformed.  The message names the file and the problem."""


class ReadError(GiprError):
    """A file gipr cannot read at all.  ``code`` is one of ``messages.READ_ERRORS``."""

    code = "file.unreadable"


class DocumentError(GiprError):
    """A published document that cannot be imported; the message names the file."""

    def __reduce__(self):  # keeps its code when it crosses the process boundary
        return (DocumentError, (str(self), self.code))


class NeedsOcr(GiprError):
    """Not an error the user sees: a scan (an image-only PDF of ``pages`` pages) or a picture
    (``pages`` None) whose text comes from OCR, in a second run behind the boundary with
    limits of its own (gipr.published.core catches it)."""

    def __init__(self, pages: int | None):
        Exception.__init__(self, pages)
        self.pages = pages


class MailError(GiprError):
    """A message that cannot be taken apart (too large, too slow, not a message)."""
