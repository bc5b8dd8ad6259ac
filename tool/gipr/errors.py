"""User-facing errors: one Chinese sentence, no traceback, exit status 2.

The one home of gipr's exception classes: every one is a :class:`GiprError` with a stable
``code`` (but ``Interrupted``, a Ctrl-C, below); the readers, the mail parser and the format
loader raise the user-facing ones, the published-document readers and the web workbench the
others, each caught where its docstring says."""

from __future__ import annotations

__all__ = ["ConvertProblem", "DocumentError", "GiprError", "Interrupted", "MailError", "NeedsOcr", "NoWorkspace",
           "OcrUnavailable", "OverBudget", "PdfProblem", "ReadError", "Refused", "RosterRows", "SpecError",
           "TooManyCells", "UploadRefused"]


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


# --- the published-document readers' own signals: each is caught (and turned into a
# DocumentError or a finding) by gipr.published before it reaches a user


class TooManyCells(GiprError):
    """More table cells than any report has (a hostile or broken document)."""

    def __init__(self, *args: object) -> None:  # raised without a message
        Exception.__init__(self, *args)


class OverBudget(GiprError):
    """The digit search for a document ran past its budget."""

    def __init__(self, *args: object) -> None:  # raised without a message
        Exception.__init__(self, *args)


class OcrUnavailable(GiprError):
    """No OCR engine is installed (the optional extra ``gipr[ocr]``)."""


class PdfProblem(GiprError):
    """code: pdf.scanned | pdf.encrypted | pdf.too_many_pages | pdf.corrupt; detail: text."""

    def __init__(self, code: str, detail: str = ""):
        Exception.__init__(self, code)
        self.code = code
        self.detail = detail


class ConvertProblem(GiprError):
    """LibreOffice could not convert a .doc/.wps (code doc.no_converter | doc.convert_failed)."""

    def __init__(self, code: str, detail: str = ""):
        Exception.__init__(self, code)
        self.code = code
        self.detail = detail


# --- the web workbench's (gipr ui): each has its own response


class Refused(GiprError):
    """A request refused with an HTTP ``status`` (bad form, upload refused …)."""

    def __init__(self, status: int, code: str, message: str):
        Exception.__init__(self, message)
        self.status, self.code, self.message = status, code, message


class UploadRefused(Refused):
    """An upload refused while it streams in (too large, too many files, a broken body)."""


class NoWorkspace(GiprError):
    """A page or API call that needs a workspace, before one is open."""

    def __init__(self, *args: object) -> None:  # raised without a message
        Exception.__init__(self, *args)


class RosterRows(GiprError):
    """The roster has bad rows: each is listed."""

    def __init__(self, message: str, rows: list[str]):
        super().__init__(message, "start.roster_rows")
        self.rows = rows


# --- not an error: Ctrl-C inside an SMTP transaction.  A BaseException like KeyboardInterrupt
# (not a GiprError), so that no ``except Exception`` on the way swallows it.


class Interrupted(BaseException):
    """Ctrl-C during a send; ``status`` is what is known of the message (sent / uncertain)."""

    def __init__(self, status: str):
        super().__init__(status)
        self.status = status
