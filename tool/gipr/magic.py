"""THE sniffer of a file's first bytes: what kind of container it is, whatever it is called.

The workbook reader's container vetting (``ooxml.container``), the table of published media
(``media``) and the mail side of collect (``collect.mailparse``) all ask :func:`sniff`; the
signatures live here only (tests/project/test_magic.py fails on a copy elsewhere).
"""

from __future__ import annotations

__all__ = ["OLE_MAGIC", "PDF_MAGIC", "ZIP_END_MAGIC", "ZIP_MAGIC", "sniff"]

ZIP_MAGIC = b"PK\x03\x04"  # a zip's first local file header (xlsx, docx, ods)
ZIP_END_MAGIC = b"PK\x05\x06"  # a zip's end of central directory: all an empty zip holds
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an OLE2 compound file (xls, doc, wps, msg, encrypted OOXML)
PDF_MAGIC = b"%PDF-"
PDF_SEARCH = 1024  # some PDF writers put bytes before the header; readers look this far for it


def sniff(data: bytes) -> str:
    """What ``data`` (a file's bytes, or at least its first ``PDF_SEARCH`` bytes) is by its first
    bytes: ``empty`` | ``zip`` | ``ole`` | ``pdf`` | ``other``."""
    if not data:
        return "empty"
    if data.startswith((ZIP_MAGIC, ZIP_END_MAGIC)):
        return "zip"
    if data.startswith(OLE_MAGIC):
        return "ole"
    if data.startswith(b"%PDF") or PDF_MAGIC in data[:PDF_SEARCH]:
        return "pdf"
    return "other"
