"""PDF with a text layer (as WPS, Word or LibreOffice export it) → Document.

The tables are recovered from the page geometry, not from the flattened text: each page's
words and ruling lines come from PDFium (:mod:`gipr.published.pdflayout`), pdfplumber's table
finder turns the lines into cell boxes (a merged cell is one box, the positions it covers
are ``None``), every word goes into the box that holds its centre, and the boxes are aligned
to the table's value columns by position (:func:`align_columns`).  Pages whose tables have
no ruling lines (laid out with spaces, or exported without borders) have their cells
recovered from the words' positions (:mod:`gipr.published.words`); their lines (flattened
text) are read too, after those grids, for what the positions do not give (digits glued
together in the text layer itself).  The document's text is its paragraphs (:func:`_reflow`).

Bounded: the file size, the page count (:data:`~gipr.published.grid.MAX_PAGES`), the
characters and drawings per page (:data:`~gipr.published.pdfgeom.PDF`), the cells.  A PDF
with no text layer at all is a scan; an encrypted one is refused.
"""

from __future__ import annotations

import bisect
import itertools
import re

from .. import thirdparty
from ..errors import PdfProblem
from ..vocabulary import vocabulary
from .grid import MAX_CELLS, MAX_PAGES, Document, PrintedCell, Table, is_value, tokens_to_rows
from .pdfgeom import PDF, join_words
from .pdflayout import find_tables, page_edges, page_words
from .words import word_tables

__all__ = ["PdfProblem", "align_columns", "parse_pdf", "read"]


def read(data: bytes, name: str, suffix: str = "") -> Document:
    """The parser of the PDF row of :data:`gipr.media.MEDIA`."""
    return parse_pdf(data, name)


def _open(data: bytes):
    pdfium = thirdparty.pypdfium2()
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as e:
        if "password" in str(e).lower():
            raise PdfProblem("pdf.encrypted") from None
        raise PdfProblem("pdf.corrupt", str(e)[:100]) from None


def parse_pdf(data: bytes, name: str) -> Document:
    """One pass over the pages with PDFium: text, paragraphs, and the tables of the pages
    that draw lines; then the pages whose text looks like a table without lines."""

    doc = _open(data)
    try:
        n = len(doc)
        if n > MAX_PAGES:
            raise PdfProblem("pdf.too_many_pages", str(n))
        texts: list[str] = []
        paragraphs: list[str] = []
        tables: list[Table] = []
        found_on: set[int] = set()
        budget = [MAX_CELLS]
        ruled = 0
        total = 0
        for i in range(n):
            page = doc[i]
            tp = page.get_textpage()
            chars = tp.count_chars()
            if chars > PDF.max_chars_per_page:
                raise PdfProblem("pdf.corrupt", f"page {i + 1}")
            total += chars
            text = tp.get_text_range(0, chars) if chars else ""
            texts.append(text)
            paragraphs.append(_reflow(tp, text, chars) if chars else "")
            if chars and ruled < PDF.max_table_pages:
                try:
                    edges, n_paths = page_edges(page, PDF.max_paths_per_page)
                except Exception:
                    continue
                if not PDF.min_paths_ruled <= n_paths <= PDF.max_paths_per_page:
                    continue  # no lines drawn (text), or a picture's thousands: no ruled table
                ruled += 1
                got = _ruled_tables(page, tp, edges, i + 1, budget)
                if got:
                    found_on.add(i)
                    tables.extend(got)
        if total == 0:
            raise PdfProblem("pdf.scanned", str(n))
        unruled = _table_pages([(t if i not in found_on else "") for i, t in enumerate(texts)])
        if unruled:
            tables.extend(_word_tables(doc, unruled, budget))
    finally:
        doc.close()
    loose = [(line, f"第{i + 1}页第{k}行") for i, text in enumerate(texts) if i not in found_on
             for k, line in enumerate(text.splitlines(), 1) if line.strip()]  # lines of pages without ruled tables
    if loose:
        tables.append(Table(tokens_to_rows(loose), "正文"))
    return Document("pdf", "\n".join(paragraphs), tables, pages=n)


_ENDS = frozenset("。！？；：!?;:")
_CN = vocabulary()["numerals"]["digits"]  # 一 … 十
_HEADING = re.compile(rf"^\s*(?:[{_CN}]+、|[(（][{_CN}]+[)）]|\d+[.、．])")


def _reflow(tp, text: str, chars: int) -> str:
    """A page's text with the lines a paragraph wraps over joined again: a full line (from
    the left edge or a paragraph's indent) that reaches the text's right edge and is followed by a line that starts at its left edge (not
    indented, not smaller or larger type, not a numbered heading) goes on in that line.  Chinese text wraps anywhere
    (“受理政府⏎信息公开申请 17 件”), so its flattened lines cut words the text checks look for."""
    if len(text) != chars:  # characters PDFium returns differently from its count: as printed
        return text.replace("\r\n", "\n")
    lines: list[tuple[str, float, float, float]] = []  # text, left, right, height
    start = 0
    for raw in text.split("\r\n"):
        idx = [start + k for k, ch in enumerate(raw) if not ch.isspace()]
        if idx:
            x0, b0, _x, t0 = tp.get_charbox(idx[0], loose=True)  # loose: the font's height, not the glyph's
            _x0, _b, x1, _t = tp.get_charbox(idx[-1], loose=True)
            lines.append((raw, x0, x1, max(1.0, t0 - b0)))
        else:
            lines.append((raw, 0.0, 0.0, 0.0))
        start += len(raw) + 2
    body = [x for x in lines if len(x[0].strip()) >= 8]
    if not body:
        return text.replace("\r\n", "\n")
    left, right = min(x[1] for x in body), max(x[2] for x in body)
    out = [lines[0][0]]
    for (a, l0, r0, h0), (b, l1, _r1, h1) in itertools.pairwise(lines):
        # a full line (from the left edge, or indented as a paragraph's first line) that reaches the right edge
        wraps = h0 and h1 and l0 <= left + 2.5 * h0 and r0 >= right - 1.5 * h0 and l1 <= left + 0.5 * h1 \
            and abs(h0 - h1) <= 0.25 * h0 \
            and a.strip() and a.rstrip()[-1] not in _ENDS and not _HEADING.match(b)
        out.append(b if wraps else "\n" + b)
    return "".join(out)


_NUMBER_TOKEN = re.compile(r"(?<!\S)\d+(?:\.\d+)?(?!\S)")
_ROW_END = re.compile(r"[\u4e00-\u9fff）)”\s]\d+\r?$", re.M)  # a label and its numbers with tabs between (no spaces in the text)


def _table_pages(texts: list[str]) -> list[int]:
    """Pages (0-based) that may hold unruled table rows: three numbers standing alone in the
    text or ending a line (a paragraph's numbers run into its words), and a page between two such pages (a
    table's page of labels and blanks).  Report text pages are not laid out word by word."""
    hit = [len(_NUMBER_TOKEN.findall(t)) + len(_ROW_END.findall(t)) >= 3 for t in texts]
    for i in range(1, len(hit) - 1):
        if texts[i] and hit[i - 1] and hit[i + 1]:
            hit[i] = True
    return [i for i, h in enumerate(hit) if h][:PDF.max_table_pages]


def _word_tables(doc, page_numbers: list[int], budget: list[int]) -> list[Table]:
    """Grids from word positions for pages (0-based) without ruled tables; consecutive pages
    go together (a table runs on)."""

    tables: list[Table] = []
    run: list[tuple[int, list[dict]]] = []
    for i in page_numbers:
        page = doc[i]
        try:
            words = page_words(page, page.get_textpage())
        except Exception:
            words = []
        budget[0] -= len(words)
        if budget[0] < 0:
            raise PdfProblem("pdf.corrupt", "cells")
        if run and (not words or run[-1][0] != i):  # i is 0-based, run keeps 1-based numbers
            tables.extend(word_tables(run))
            run = []
        if words:
            run.append((i + 1, words))
    if run:
        tables.extend(word_tables(run))
    return tables


def _ruled_tables(page, tp, edges, pno: int, budget: list[int]) -> list[Table]:
    """The tables of one page from its ruling lines and word positions."""

    try:
        found = find_tables(page, edges)
        words = sorted(page_words(page, tp), key=lambda w: (w["top"] + w["bottom"]) / 2) if found else []
    except Exception:
        return []
    if not found:
        return []
    mids = [(w["top"] + w["bottom"]) / 2 for w in words]
    tables: list[Table] = []
    for ti, t in enumerate(found, 1):
        boxes: list[list[Box | None]] = []
        for row in t:
            line: list[Box | None] = []
            cells = [b for b in row if b is not None]
            lo = bisect.bisect_left(mids, min((b[1] for b in cells), default=0.0))
            hi = bisect.bisect_right(mids, max((b[3] for b in cells), default=0.0))
            near = words[lo:hi]  # the words at the height of this row's boxes
            for bbox in row:
                budget[0] -= 1
                if budget[0] < 0:
                    raise PdfProblem("pdf.corrupt", "cells")
                if bbox is None:
                    line.append(None)
                    continue
                x0, top, x1, bottom = bbox
                inside = [w for w in near
                          if x0 <= (w["x0"] + w["x1"]) / 2 <= x1 and top <= (w["top"] + w["bottom"]) / 2 <= bottom]
                line.append((bbox, join_words(inside)))
            boxes.append(line)
        # words outside every table on this page (headings, text between tables) stay text
        tables.append(Table(align_columns(boxes, pno), f"第{pno}页 表格{ti}"))
    return tables


Box = tuple[tuple[float, float, float, float], str]  # (x0, top, x1, bottom), text


def align_columns(rows: list[list[Box | None]], pno: int) -> list[list[PrintedCell | None]]:
    """A ruled table's cells (pdfplumber's rows: one entry per column edge of the table, the
    box starting there or ``None``) → grid rows aligned to its value columns BY POSITION.

    The value columns are where the table prints its numbers: from the left edge of the
    leftmost number to the right, every header, number and blank box there gives an x
    range, and the narrowest ranges (those holding no other) are the columns (自然人, 商业企业
    … 总计; 本年制发件数 …).  Each row is then its label area (one entry per column edge left
    of the numbers; an empty box there is part of the label's area, as when “（六）其他处理”
    spans the label column and the empty sub-label column beside it) followed by one entry per
    value column: the box printed there, ``None`` where a box spanning several columns or
    rows covers it.  So every row has as many value cells as the header has columns, whatever
    boxes its ruling lines drew.  Where the ranges do not form columns (they overlap partly),
    only the empty label boxes are dropped."""
    def cell(box: Box) -> PrintedCell:
        (x0, top, _x1, _b), text = box
        return PrintedCell(text, f"第{pno}页（x={x0:.0f}，y={top:.0f}）")

    tol = PDF.column_edge
    nums = [b[0][0] for r in rows for b in r if b is not None and b[1] and is_value(b[1])]
    if not nums:
        return [[None if b is None else cell(b) for b in r] for r in rows]
    first = min(nums)
    spans = sorted({(round(b[0][0], 1), round(b[0][2], 1)) for r in rows for b in r
                    if b is not None and b[0][0] >= first - tol})
    cols = sorted({(a, z) for a, z in spans
                   if not any((a2, z2) != (a, z) and a - tol <= a2 and z2 <= z + tol for a2, z2 in spans)})
    ok = bool(cols) and all(z <= b + tol for (_a, z), (b, _y) in itertools.pairwise(cols))
    # pdfplumber's rows have one entry per column edge of the whole table, left to right
    edges = sorted({b[0][0] for r in rows for b in r if b is not None})
    ok = ok and all(len(r) == len(edges) for r in rows)
    out: list[list[PrintedCell | None]] = []
    for r in rows:
        if not ok:
            out.append([None if b is None or (not b[1] and b[0][2] <= first + tol) else cell(b) for b in r])
            continue
        line: list[PrintedCell | None] = []  # the label area: one entry per column edge left of the numbers
        starts: dict[int, list[Box]] = {}
        extra: list[PrintedCell | None] = []
        for x, b in zip(edges, r):
            if x < first - tol:
                line.append(cell(b) if b is not None and b[1] else None)  # a label, or text across the table
            elif b is not None:
                hit = [i for i, (a, z) in enumerate(cols) if b[0][0] - tol <= (a + z) / 2 <= b[0][2] + tol]
                if hit:
                    starts.setdefault(hit[0], []).append(b)
                else:
                    extra.append(cell(b))  # in no column: kept, the row will not align
        for i in range(len(cols)):
            got = starts.get(i, [])
            printed = [b for b in got if b[1]]
            if len(printed) > 1:  # two boxes with text in one column: both kept (the row will not align)
                line.extend(cell(b) for b in printed)
            elif got:
                line.append(cell(printed[0] if printed else got[0]))
            else:
                line.append(None)  # covered by a box spanning columns or rows
        out.append(line + extra)
    return out
