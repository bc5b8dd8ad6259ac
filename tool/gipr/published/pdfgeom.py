"""The PDF tolerances in one place, and the one helper that joins a cell's words into text.

Every distance the PDF reader (:mod:`gipr.published.pdf`, ruled tables) and the word-position
reader (:mod:`gipr.published.words`, tables without ruling lines) compare against is a field
of :class:`PdfSettings`; the module-level :data:`PDF` is the one both use.  Distances in
points are absolute (a column edge is the same edge within 3 pt whatever the font); those
that depend on the type size are fractions of a word's height (a 10.5 pt and a 16 pt line
are told apart the same way).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PDF", "PdfSettings", "join_words", "lines_of"]


@dataclass(frozen=True)
class PdfSettings:
    # bounds: what a report can be; a page past them is a picture or a hostile file
    max_chars_per_page: int = 200_000
    max_table_pages: int = 40  # pages whose cells are recovered (a report's three tables take a few)
    max_paths_per_page: int = 5_000  # a page drawing more is a picture, not a table: read as text
    min_paths_ruled: int = 4  # vector paths a page needs before its ruling lines are looked for
    # geometry
    same_line: float = 0.4  # × word height: words whose tops differ less are on one visual line
    word_gap: float = 1.5  # points: a wider gap between two words of one line is a space
    word_split: float = 3.0  # points: characters further apart (or lines further off) are two words
    space_gap: float = 0.3  # × type height: where PDFium reports a space of its own, a gap this wide is one
    column_edge: float = 3.0  # points: the same column edge (or centre), a cell inside a column
    continues: float = 0.8  # × line height: a word at most this far under a cell's last line continues it
    label_gap: float = 0.6  # × word height: two words of one label printed on one line
    page_end: float = 1.0  # points: a cell whose last line is this close to its page's last line ends the page


PDF = PdfSettings()


def _height(w: dict) -> float:
    return max(1.0, w["bottom"] - w["top"])


def lines_of(words: list[dict], s: PdfSettings = PDF) -> list[list[dict]]:
    """Words (pdfplumber's dicts: x0, x1, top, bottom, text; and page, where a cell runs over
    pages) as visual lines, page by page, top to bottom, each left to right."""
    out: list[list[dict]] = []
    for w in sorted(words, key=lambda w: (w.get("page", 0), w["top"], w["x0"])):
        if out and w.get("page", 0) == out[-1][0].get("page", 0) and \
                abs(w["top"] - out[-1][0]["top"]) < s.same_line * _height(w):
            out[-1].append(w)
        else:
            out.append([w])
    for line in out:
        line.sort(key=lambda w: w["x0"])
    return out


def join_words(words: list[dict], s: PdfSettings = PDF) -> str:
    """The words of one cell as its text, in reading order: lines top to bottom, words left
    to right, a space where two words of one line stand apart; a line break inside a cell is
    no space (Chinese text wraps mid-word)."""
    out: list[str] = []
    for line in lines_of(words, s):
        prev = None
        for w in line:
            if prev is not None and w["x0"] - prev["x1"] > s.word_gap:
                out.append(" ")
            out.append(w["text"])
            prev = w
    return "".join(out).strip()
