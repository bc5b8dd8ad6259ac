"""Plain text copied from a web page or a PDF → Document (one table of token rows)."""

from __future__ import annotations

from ..catalogue.access import say
from .grid import MAX_TEXT_CHARS, Document, Table, tokens_to_rows
from .html import decode_page

__all__ = ["parse_text", "read"]


def parse_text(data: bytes, name: str) -> Document:
    text = decode_page(data)[:MAX_TEXT_CHARS].replace("\r\n", "\n").replace("\r", "\n")
    lines = [(line, say("published.text.parse_text.lines", i=i)) for i, line in enumerate(text.split("\n"), 1)]
    return Document("text", text, [Table(tokens_to_rows(lines), say("published.text.parse_text"))])


def read(data: bytes, name: str, suffix: str = "") -> Document:
    """The parser of the plain text row of :data:`gipr.media.MEDIA`."""
    return parse_text(data, name)
