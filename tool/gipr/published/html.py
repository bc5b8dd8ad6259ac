"""Saved web pages (.html/.htm, and .mhtml as a browser saves it) → Document.

The page is parsed with the standard library's HTMLParser: nothing is fetched (an <img>,
<link> or <script src> is only a tag), nothing is executed (<script>/<style> content is
dropped).  Every <table> becomes a grid with its rowspan/colspan resolved; a table nested
inside a cell (government sites lay pages out with tables) is its own grid, and its text is
not the outer cell's text.  The encoding comes from a BOM, the <meta charset>, else UTF-8
if it decodes, else GB18030 (a superset of GBK/GB2312).
"""

from __future__ import annotations

import email
import email.policy
import re
from html.parser import HTMLParser

from ..catalogue.access import say
from ..errors import TooManyCells
from .grid import MAX_CELLS, Document, PrintedCell, Table

__all__ = ["decode_page", "parse_html", "parse_mhtml", "read", "read_mhtml"]

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.I)
_BLOCK = {"p", "div", "br", "tr", "td", "th", "li", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "table",
          "title", "header", "footer", "nav", "ul", "ol", "dd", "dt", "blockquote", "pre"}
_SKIP = {"script", "style", "noscript", "template", "head", "object", "iframe", "svg", "math"}
MAX_SPAN = 64


def decode_page(data: bytes, declared: str | None = None) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", "replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", "replace")
    names = [declared] if declared else []
    m = _META_CHARSET.search(data[:4096])
    if m:
        names.append(m.group(1).decode("ascii", "replace"))
    for n in names:
        n = (n or "").strip().lower()
        if n in ("gbk", "gb2312", "gb_2312-80", "x-gbk", "gb18030", "cp936"):
            n = "gb18030"
        try:
            return data.decode(n)
        except (LookupError, UnicodeDecodeError):
            continue
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("gb18030", "replace")


class _Builder:
    """One <table> being read: rows of (text, rowspan, colspan, row, col)."""

    def __init__(self, index: int):
        self.index = index
        self.rows: list[list[tuple[str, int, int]]] = []
        self.cell: list[str] | None = None
        self.span = (1, 1)

    def grid(self, budget: list[int]) -> Table:
        where0 = say("published.html.grid.where0", index=self.index)
        out: list[list[PrintedCell | None]] = []
        pending: dict[tuple[int, int], bool] = {}  # positions covered by a rowspan from above
        for r, row in enumerate(self.rows):
            line: list[PrintedCell | None] = []
            c = 0
            for text, rs, cs in row:
                while pending.pop((r, c), False):
                    line.append(None)
                    c += 1
                budget[0] -= rs * cs
                if budget[0] < 0:
                    raise TooManyCells()
                line.append(PrintedCell(text, say("published.html.grid", where0=where0, value=r + 1, value2=c + 1)))
                line.extend([None] * (cs - 1))
                for dr in range(1, rs):
                    for dc in range(cs):
                        pending[(r + dr, c + dc)] = True
                c += cs
            while pending.pop((r, c), False):
                line.append(None)
                c += 1
            out.append(line)
        return Table(out, where0)



class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[_Builder] = []
        self.done: list[tuple[int, _Builder]] = []
        self.text: list[str] = []
        self.skip = 0
        self.count = 0
        self.cells = 0

    def handle_starttag(self, tag, attrs):
        if tag in _SKIP:
            self.skip += 1
            return
        if self.skip:
            return
        if tag in _BLOCK:
            self._emit("\n")
        if tag == "table":
            self.count += 1
            self.stack.append(_Builder(self.count))
        elif not self.stack:
            return
        elif tag == "tr":
            self.stack[-1].rows.append([])
            self.stack[-1].cell = None
        elif tag in ("td", "th"):
            self.cells += 1
            if self.cells > MAX_CELLS:  # stop reading at once, not after the whole page
                raise TooManyCells()
            b = self.stack[-1]
            self._close_cell(b)
            if not b.rows:
                b.rows.append([])
            a = dict(attrs)
            b.cell = []
            b.span = (_span(a.get("rowspan")), _span(a.get("colspan")))

    def handle_endtag(self, tag):
        if tag in _SKIP:
            self.skip = max(0, self.skip - 1)
            return
        if self.skip:
            return
        if tag in _BLOCK:
            self._emit("\n")
        if not self.stack:
            return
        b = self.stack[-1]
        if tag in ("td", "th") or tag == "tr":
            self._close_cell(b)
        elif tag == "table":
            self._close_cell(b)
            self.stack.pop()
            self.done.append((b.index, b))

    def handle_startendtag(self, tag, attrs):
        if tag == "br" and not self.skip:
            self._emit("\n")

    def _close_cell(self, b: _Builder) -> None:
        if b.cell is not None:
            text = re.sub(r"[ \t\r\f\v\u00a0\u3000]+", " ", "".join(b.cell))
            text = "\n".join(x.strip() for x in text.split("\n") if x.strip())
            b.rows[-1].append((text, *b.span))
            b.cell = None

    def _emit(self, s: str) -> None:
        if self.stack and self.stack[-1].cell is not None:
            self.stack[-1].cell.append(s)
        self.text.append(s)

    def handle_data(self, data):
        if not self.skip:
            self._emit(data)


def _span(v) -> int:
    if v is None:
        return 1
    try:
        return max(1, min(int(str(v).strip()), MAX_SPAN))
    except (TypeError, ValueError):
        return 1


def parse_html(data: bytes, name: str, *, charset: str | None = None, kind: str = "html") -> Document:
    page = decode_page(data, charset)
    p = _Parser()
    p.feed(page)
    p.close()
    while p.stack:  # unclosed tables
        b = p.stack.pop()
        p._close_cell(b)
        p.done.append((b.index, b))
    budget = [MAX_CELLS]
    tables = [b.grid(budget) for _i, b in sorted(p.done, key=lambda x: x[0])]
    text = re.sub(r"[ \t\u00a0\u3000]+", " ", "".join(p.text))
    text = "\n".join(x.strip() for x in text.split("\n") if x.strip())
    return Document(kind, text, tables)


def read(data: bytes, name: str, suffix: str = "") -> Document:
    """The parser of the web page row of :data:`gipr.media.MEDIA`."""
    return parse_html(data, name)


def read_mhtml(data: bytes, name: str, suffix: str = "") -> Document:
    """The parser of the saved web archive (.mhtml) row of :data:`gipr.media.MEDIA`."""
    return parse_mhtml(data, name)


def parse_mhtml(data: bytes, name: str) -> Document:
    """The first text/html part of a MIME archive (as Chrome/Edge/IE save .mhtml)."""
    msg = email.message_from_bytes(data, policy=email.policy.compat32)
    for part in msg.walk():
        if part.get_content_type() == "text/html":
            payload = part.get_payload(decode=True)  # bytes: a text/html part is a leaf
            body = payload if isinstance(payload, bytes) else b""
            return parse_html(body, name, charset=part.get_content_charset(), kind="mhtml")
    raise _NoHtml()


class _NoHtml(Exception):  # not a GiprError: parse_document names its type in the doc.corrupt message
    pass
