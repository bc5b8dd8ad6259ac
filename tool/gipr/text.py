"""Text helpers every stage uses, each written once: a cell as text, white space, decoding
a text file of unknown encoding, XML escaping."""

from __future__ import annotations

import re
from typing import Any

__all__ = ["SPACES", "cell_text", "collapse_spaces", "decode_text", "xml_escape", "xml_unescape"]

# Any run of white space, including the no-break, ideographic (全角) and zero-width spaces and
# the BOM that Office and WPS leave in cells.
SPACES = re.compile(r"[\s\u00a0\u3000\u2002-\u200b\ufeff]+")


def cell_text(v: Any) -> str:
    """A spreadsheet cell's content as text: blank for None, a whole-number float without
    ``.0`` (calamine reads 2024 as 2024.0), anything else as ``str``."""
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def collapse_spaces(s: str) -> str:
    """Every run of white space as one space, none at either end."""
    return SPACES.sub(" ", s).strip()


def decode_text(raw: bytes) -> str:
    """A text file a clerk saved (roster CSV, mail template): UTF-8 or UTF-16 with a BOM,
    else UTF-8, else GB18030 (Excel / Notepad on a Chinese Windows).  Raises
    UnicodeDecodeError when none fits."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("gb18030")


def xml_escape(text: str) -> str:
    """&, < and > as XML entities (xml.sax.saxutils.escape without importing it: it pulls
    in urllib.request and http.client, 35 ms of every gipr start-up)."""
    return text.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;")


def xml_unescape(text: str) -> str:
    """The five predefined XML entities back to characters (an attribute value)."""
    return (text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&apos;", "'")
            .replace("&amp;", "&"))
