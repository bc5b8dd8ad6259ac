"""The media a published annual report comes in: one table, one row a medium.

Each row says which file suffixes the medium has, how its bytes are recognised (the
sniffer: a file is read by what it is, not by what it is called; a PDF saved as .html is
read as a PDF) and which parser turns its bytes into a :class:`gipr.published.grid.Document`
(named as ``module:function`` and imported only when a file of that medium is read, so this
module stays light enough for :mod:`gipr.files`).  The accepted suffixes
(``files.DOCUMENT_SUFFIXES``, the documents part of ``files.CHECK_SUFFIXES``) are derived
from the table: a new medium is one new row.

The rows are in sniffing order: the first whose sniffer accepts the bytes reads them; plain
text accepts anything and is last.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from .magic import sniff as sniff_bytes

__all__ = ["DOCUMENT_SUFFIXES", "DRAFT_SUFFIXES", "FOLDER_DOCUMENT_SUFFIXES", "MEDIA", "REPORT_SUFFIXES", "Medium", "parser_of", "sniff"]

HEAD = 2048  # bytes looked at by the sniffers


def _pdf(data: bytes, head: bytes, suffix: str) -> bool:
    return sniff_bytes(data) == "pdf"


def _zip(data: bytes, head: bytes, suffix: str) -> bool:
    return sniff_bytes(data) == "zip"


def _ole(data: bytes, head: bytes, suffix: str) -> bool:
    return sniff_bytes(data) == "ole"


def _mhtml(data: bytes, head: bytes, suffix: str) -> bool:
    return (b"mime-version:" in head and b"multipart/" in head) or suffix in (".mhtml", ".mht")


def _html(data: bytes, head: bytes, suffix: str) -> bool:
    return head.startswith((b"<!doctype html", b"<html", b"<?xml")) or b"<table" in head or b"<body" in head or \
        suffix in (".html", ".htm")


def _image(data: bytes, head: bytes, suffix: str) -> bool:
    return data.startswith((b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*"))


def _any(data: bytes, head: bytes, suffix: str) -> bool:
    return True


@dataclass(frozen=True)
class Medium:
    kind: str  # Document.kind of what it gives: pdf | docx | ole | mhtml | html | image | text
    suffixes: tuple[str, ...]
    sniff: Callable[[bytes, bytes, str], bool]  # (bytes, first HEAD bytes stripped and lower-cased, suffix)
    parser: str  # "module:function", called as function(data, name, suffix) -> Document
    in_folders: bool = True  # picked up where gipr check / export / --previous look through a folder
    picture: bool = False  # a picture: a scan when named, but in a folder of reports a site's image


MEDIA: tuple[Medium, ...] = (
    Medium("pdf", (".pdf",), _pdf, "gipr.published.pdf:read"),
    Medium("docx", (".docx",), _zip, "gipr.published.docx:read"),
    # Word 97-2003 and WPS: converted to .docx by LibreOffice
    Medium("ole", (".doc", ".wps"), _ole, "gipr.published.convert:read"),
    Medium("mhtml", (".mhtml", ".mht"), _mhtml, "gipr.published.html:read_mhtml"),
    Medium("html", (".html", ".htm"), _html, "gipr.published.html:read"),
    # a scan saved as a picture: read by OCR (gipr[ocr]) when named, not from a folder (where
    # pictures are usually screenshots)
    Medium("image", (".png", ".jpg", ".jpeg", ".tif", ".tiff"), _image, "gipr.published.ocr:read_image",
           in_folders=False, picture=True),
    # a .txt beside the returned workbooks is usually a note: read when named, not from a folder
    Medium("text", (".txt",), _any, "gipr.published.text:read", in_folders=False),
)

DOCUMENT_SUFFIXES: tuple[str, ...] = tuple(s for m in MEDIA for s in m.suffixes)
FOLDER_DOCUMENT_SUFFIXES: tuple[str, ...] = tuple(s for m in MEDIA if m.in_folders for s in m.suffixes)
# every medium but pictures: what gipr audit reads in a folder of published reports
REPORT_SUFFIXES: tuple[str, ...] = tuple(s for m in MEDIA if not m.picture for s in m.suffixes)
# a unit's draft report as it is sent with its workbook (Word, WPS, PDF, a web page): what gipr
# collect takes as a report document (collect.documents), from folders, uploads and e-mail
DRAFT_SUFFIXES: tuple[str, ...] = tuple(s for m in MEDIA if m.kind in ("pdf", "docx", "ole", "html")
                                        for s in m.suffixes)


def sniff(data: bytes, suffix: str) -> Medium:
    """The medium of these bytes (``suffix``: the file's, lower case, with its dot)."""
    head = data[:HEAD].lstrip().lower()
    return next(m for m in MEDIA if m.sniff(data, head, suffix))


def parser_of(medium: Medium) -> Callable:
    module, func = medium.parser.split(":")
    return getattr(importlib.import_module(module), func)
