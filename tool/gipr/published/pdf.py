"""PDF with a text layer (as WPS, Word or LibreOffice export it) → Document.

The tables are recovered from the page geometry, not from the flattened text: pdfplumber
finds each table's ruling lines and cell boxes (a merged cell is one box, the positions it
covers are ``None``), and every word is put into the box that holds its centre.  Pages
whose tables have no ruling lines (laid out with spaces, or exported without borders) have
their cells recovered from the words' positions (:mod:`gipr.published.words`); their lines
(flattened text) are read too, after those grids, for what the positions do not give
(digits glued together in the text layer itself).

Bounded: the file size, the page count (:data:`~gipr.published.grid.MAX_PAGES`), the
characters per page.  A PDF with no text layer at all is a scan; an encrypted one is refused.
"""

from __future__ import annotations

import io
import re

from .grid import MAX_CELLS, MAX_PAGES, Cell, Document, Table, tokens_to_rows

__all__ = ["parse_pdf", "PdfProblem"]

MAX_CHARS_PER_PAGE = 200_000
MAX_TABLE_PAGES = 40  # pages whose cells are recovered (a report's three tables take a few)
MAX_PATHS_PER_PAGE = 5_000  # a page drawing more is a picture, not a table: read as text


class PdfProblem(Exception):
    """code: pdf.scanned | pdf.encrypted | pdf.too_many_pages | pdf.corrupt; detail: text."""

    def __init__(self, code: str, detail: str = ""):
        super().__init__(code)
        self.code = code
        self.detail = detail


def _triage(data: bytes) -> tuple[int, list[tuple[str, int, int]]]:
    """(pages, [(text, characters, vector paths) per page]) with PDFium: fast (a few ms a
    page), so only pages that draw lines (tables) go through the slower cell recovery."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    try:
        doc = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as e:
        if "password" in str(e).lower():
            raise PdfProblem("pdf.encrypted") from None
        raise PdfProblem("pdf.corrupt", str(e)[:100]) from None
    try:
        n = len(doc)
        if n > MAX_PAGES:
            raise PdfProblem("pdf.too_many_pages", str(n))
        pages = []
        for i in range(n):
            page = doc[i]
            tp = page.get_textpage()
            chars = tp.count_chars()
            if chars > MAX_CHARS_PER_PAGE:
                raise PdfProblem("pdf.corrupt", f"page {i + 1}")
            paths = 0
            for _obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_PATH], max_depth=2):
                paths += 1
                if paths > MAX_PATHS_PER_PAGE:
                    break
            pages.append((tp.get_text_bounded() if chars else "", chars, paths))
        return n, pages
    finally:
        doc.close()


def parse_pdf(data: bytes, name: str) -> Document:
    n, pages = _triage(data)
    if sum(chars for _t, chars, _p in pages) == 0:
        raise PdfProblem("pdf.scanned", str(n))
    ruled = [i for i, (_t, chars, paths) in enumerate(pages)
             if chars and 4 <= paths <= MAX_PATHS_PER_PAGE][:MAX_TABLE_PAGES]
    tables: list[Table] = []
    loose: list[tuple[str, str]] = []  # lines of pages without ruled tables
    found_on: set[int] = set()
    if ruled:
        tables = _ruled_tables(data, ruled, found_on)
    for i, (text, _c, _p) in enumerate(pages):
        if i not in found_on:
            loose.extend((line, f"第{i + 1}页第{k}行") for k, line in enumerate(text.splitlines(), 1) if line.strip())
    unruled = _table_pages([(t if i not in found_on else "") for i, (t, _c, _p) in enumerate(pages)])
    if unruled:
        tables.extend(_word_tables(data, unruled))
    if loose:
        tables.append(Table(tokens_to_rows(loose), "正文"))
    text = "\n".join(t.replace("\r\n", "\n") for t, _c, _p in pages)
    return Document("pdf", text, tables, pages=n)


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
    return [i for i, h in enumerate(hit) if h][:MAX_TABLE_PAGES]


def _word_tables(data: bytes, page_numbers: list[int]) -> list[Table]:
    """Grids from word positions for pages (0-based) without ruled tables; consecutive pages
    go together (a table runs on)."""
    import pdfplumber

    from .words import word_tables

    try:
        pdf = pdfplumber.open(io.BytesIO(data))
    except Exception:  # noqa: BLE001 - the text lines remain
        return []
    tables: list[Table] = []
    budget = MAX_CELLS
    with pdf:
        run: list[tuple[int, list[dict]]] = []
        for i in page_numbers:
            try:
                words = pdf.pages[i].extract_words(keep_blank_chars=False, use_text_flow=False)
            except Exception:  # noqa: BLE001 - a page pdfminer cannot lay out: its text lines remain
                words = []
            budget -= len(words)
            if budget < 0:
                raise PdfProblem("pdf.corrupt", "cells")
            if run and (not words or run[-1][0] != i):  # i is 0-based, run keeps 1-based numbers
                tables.extend(word_tables(run))
                run = []
            if words:
                run.append((i + 1, words))
        if run:
            tables.extend(word_tables(run))
    return tables


def _ruled_tables(data: bytes, page_numbers: list[int], found_on: set[int]) -> list[Table]:
    """The tables of the given pages (0-based) from their ruling lines and word positions."""
    import pdfplumber

    try:
        pdf = pdfplumber.open(io.BytesIO(data))
    except Exception as e:  # noqa: BLE001 - pdfminer raises many kinds
        kind = type(e).__name__
        if "Password" in kind or "Encrypt" in kind:
            raise PdfProblem("pdf.encrypted") from None
        raise PdfProblem("pdf.corrupt", f"{kind}: {str(e)[:100]}") from None
    tables: list[Table] = []
    budget = MAX_CELLS
    with pdf:
        for i in page_numbers:
            pno = i + 1
            page = pdf.pages[i]
            try:
                words = page.extract_words(keep_blank_chars=False, use_text_flow=False)
                found = page.find_tables()
            except Exception:  # noqa: BLE001 - a page whose drawing confuses the finder: its text remains
                continue
            if not found:
                continue
            found_on.add(i)
            for ti, t in enumerate(found, 1):
                rows: list[list[Cell | None]] = []
                for row in t.rows:
                    line: list[Cell | None] = []
                    for bbox in row.cells:
                        budget -= 1
                        if budget < 0:
                            raise PdfProblem("pdf.corrupt", "cells")
                        if bbox is None:
                            line.append(None)
                            continue
                        x0, top, x1, bottom = bbox
                        inside = [w for w in words
                                  if x0 <= (w["x0"] + w["x1"]) / 2 <= x1 and top <= (w["top"] + w["bottom"]) / 2 <= bottom]
                        line.append(Cell(_join(inside), f"第{pno}页（x={x0:.0f}，y={top:.0f}）"))
                    rows.append(line)
                # words outside every table on this page (headings, text between tables) stay text
                tables.append(Table(rows, f"第{pno}页 表格{ti}"))
    return tables


def _join(words: list[dict]) -> str:
    """Words of one cell in reading order: lines top to bottom, words left to right; a line
    break inside a cell is no space in Chinese text."""
    ws = sorted(words, key=lambda w: (round(w["top"] / 3), w["x0"]))
    out: list[str] = []
    prev = None
    for w in ws:
        if prev is not None and abs(w["top"] - prev["top"]) < 3 and w["x0"] - prev["x1"] > 1.5:
            out.append(" ")
        out.append(w["text"])
        prev = w
    return "".join(out).strip()
