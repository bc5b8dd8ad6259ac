"""A published document as gipr sees it: its plain text and its tables as grids of cells.

Every extractor (docx, html/mhtml, pdf, text) produces a :class:`Document`; the locator
(:mod:`gipr.published.locate`) finds the three statistics tables in it by their official
labels.  All types here are plain picklable data, so a parse can run in a separate process
(the time/memory boundary) and hand its result back.

A grid cell is a :class:`PrintedCell`: the text printed in it and where it was printed (page and
position, or table row and column).  A position covered by a merged cell (rowspan/colspan,
a Word vMerge/gridSpan) is ``None`` in the grid, so a label spanning three columns does not
look like a label followed by two blank value cells.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..errors import TooManyCells
from ..values import parse_printed
from ..vocabulary import alternation, vocabulary

__all__ = [
    "MAX_CELLS",
    "MAX_DOCUMENT_BYTES",
    "MAX_PAGES",
    "MAX_TEXT_CHARS",
    "Document",
    "PrintedCell",
    "Table",
    "TooManyCells",
    "is_value",
    "tokens_to_rows",
]

MAX_DOCUMENT_BYTES = 32 * 1024 * 1024  # a published report is a few hundred KB
MAX_PAGES = 300  # PDF pages looked at
MAX_CELLS = 50_000  # grid cells over all tables (a report has about 300, a whole web page a few thousand)
MAX_TEXT_CHARS = 2_000_000  # characters of text kept


@dataclass(frozen=True)
class PrintedCell:
    """A cell of a published document's table: the text printed in it and where (not a cell of
    the format: that is :class:`gipr.spec.Cell`)."""

    text: str
    where: str  # Chinese: 第2页（x=120, y=340） / 表格1 第3行第4列 / 第12行


@dataclass
class Table:
    rows: list[list[PrintedCell | None]]
    where: str = ""  # e.g. 表格2, 第3页


@dataclass
class Document:
    kind: str  # docx | html | mhtml | pdf | text | doc | wps
    text: str  # the document's text (paragraphs; tables included where the medium mixes them)
    tables: list[Table] = field(default_factory=list)
    pages: int = 0
    notes: list[tuple[str, dict]] = field(default_factory=list)  # (finding code, kwargs) from extraction
    # an OCR'd scan: a cell's ``where`` → the engine's confidence in its text (gipr.published.ocr)
    ocr: dict[str, float] = field(default_factory=dict)


_DIGITS = re.compile(r"^\d+$")
_SIGNED = {"integer": False, "decimals": 6}  # any printed number, whatever its sign (2019's 本年增/减 “-23”)


def is_value(text: str) -> bool:
    """A value cell's text: blank, a digit run, a number as printed (with a unit or a note),
    or a not-applicable mark; anything else is a label."""

    if text == "" or _DIGITS.match(text):
        return True
    return parse_printed(text, "amount", None, _SIGNED).state in ("number", "na", "blank")


# -----------------------------------------------------------------------------------------
# flattened text → rows

# a number as printed in running text: digits, an optional decimal part, an optional unit and
# an optional note in brackets ("5（其中修订16件）"); digits that are a list number ("1." "2、")
# or part of a date/heading ("2021年", "第二十条") are not numbers
_PRINTED = vocabulary()["printed"]
_NUM = re.compile(r"(?<![\d.])((?:(?<!\w)[-−])?\d+(?:\.\d+)?)(?![\d])(" + alternation(_PRINTED["number_units"])
                  + r")?(（[^）\n]{0,40}）|\([^)\n]{0,40}\))?")
_NOT_AFTER = re.compile(r"^[.、．，,]?\s*[\u4e00-\u9fff“\"（(]")
_LIST_NO_ONLY = re.compile(r"\d{1,2}[.、．]$")
_LABEL_DIGIT_AFTER = frozenset(_PRINTED["label_digit_after"])  # “2021年”, “第二十条”: a label's digits


def tokens_to_rows(lines: list[tuple[str, str]]) -> list[list[PrintedCell | None]]:
    """Flattened text (one (line, where) per line) → rows: a new row starts at every label,
    the numbers after it (on the same or following lines) are its cells.

    A line that is only a digit run glued together ("210000021") stays one cell: the digit
    splitter (:mod:`gipr.published.digits`) takes it apart with the rules.
    """
    rows: list[list[PrintedCell | None]] = []
    cur: list[PrintedCell | None] | None = None
    for line, where in lines:
        if line.lstrip().startswith(("|", "｜")):
            cur = None  # a row of a plain-text table is a row by itself: its numbers are no earlier label's
        for piece in re.split(r"[\s|｜]+", line):
            piece = piece.strip()
            if not piece:
                continue
            label_buf: list[str] = []  # a list: a label of a million characters must not cost n² copies
            i = 0
            while i < len(piece):
                m = _NUM.match(piece, i)
                if m and not _NOT_AFTER.match(piece[m.end(1):m.end(1) + 4]) and not _is_label_digit(piece, m) \
                        and not _LIST_NO_ONLY.match(piece, m.start()):  # “1.” cut from its label: no number
                    label = "".join(label_buf).strip()
                    if label:
                        cur = [PrintedCell(label, where)]
                        rows.append(cur)
                        label_buf = []
                    if cur is None:
                        cur = []
                        rows.append(cur)
                    cur.append(PrintedCell(m.group(0), where))
                    i = m.end()
                    continue
                label_buf.append(piece[i])
                i += 1
            label = "".join(label_buf).strip()
            if label:
                cur = [PrintedCell(label, where)]
                rows.append(cur)
    return rows


def _is_label_digit(piece: str, m: re.Match) -> bool:
    """Digits that belong to a label: a year (2021年), a number inside a label's words."""
    after = piece[m.end(1):m.end(1) + 1]
    if after in _LABEL_DIGIT_AFTER:
        return True
    before = piece[m.start() - 1:m.start()] if m.start() else ""
    return bool(before) and "\u4e00" <= before <= "\u9fff" and m.group(2) is None and \
        bool(re.match(r"[\u4e00-\u9fff]", piece[m.end():m.end() + 1] or "")) and len(m.group(1)) < 3
