"""PDF with a text layer (as WPS, Word or LibreOffice export it) → Document.

The tables are recovered from the page geometry, not from the flattened text: pdfplumber
finds each table's ruling lines and cell boxes (a merged cell is one box, the positions it
covers are ``None``), and every word is put into the box that holds its centre.  A page
whose tables have no ruling lines falls back to the words' lines (flattened text), which the
token reader and the digit splitter handle.

Bounded: the file size, the page count (:data:`~gipr.published.grid.MAX_PAGES`), the
characters per page.  A PDF with no text layer at all is a scan; an encrypted one is refused.
"""

from __future__ import annotations

import io

from .grid import MAX_CELLS, MAX_PAGES, Cell, Document, Table, tokens_to_rows

__all__ = ["parse_pdf", "PdfProblem"]

MAX_CHARS_PER_PAGE = 200_000


class PdfProblem(Exception):
    """code: pdf.scanned | pdf.encrypted | pdf.too_many_pages | pdf.corrupt; detail: text."""

    def __init__(self, code: str, detail: str = ""):
        super().__init__(code)
        self.code = code
        self.detail = detail


def parse_pdf(data: bytes, name: str) -> Document:
    import pdfplumber

    try:
        pdf = pdfplumber.open(io.BytesIO(data))
    except Exception as e:  # noqa: BLE001 - pdfminer raises many kinds
        kind = type(e).__name__
        if "Password" in kind or "Encrypt" in kind:
            raise PdfProblem("pdf.encrypted") from None
        raise PdfProblem("pdf.corrupt", f"{kind}: {str(e)[:100]}") from None
    with pdf:
        try:
            n = len(pdf.pages)
        except Exception as e:  # noqa: BLE001
            kind = type(e).__name__
            if "Password" in kind or "Encrypt" in kind:
                raise PdfProblem("pdf.encrypted") from None
            raise PdfProblem("pdf.corrupt", f"{kind}: {str(e)[:100]}") from None
        if n > MAX_PAGES:
            raise PdfProblem("pdf.too_many_pages", str(n))
        tables: list[Table] = []
        lines: list[tuple[str, str]] = []
        loose: list[tuple[str, str]] = []  # lines of pages without ruled tables
        chars = 0
        budget = MAX_CELLS
        for pno, page in enumerate(pdf.pages, 1):
            try:
                words = page.extract_words(keep_blank_chars=False, use_text_flow=False)
            except Exception as e:  # noqa: BLE001
                raise PdfProblem("pdf.corrupt", f"{type(e).__name__}: {str(e)[:100]}") from None
            chars += sum(len(w["text"]) for w in words)
            if len(words) > MAX_CHARS_PER_PAGE:
                raise PdfProblem("pdf.corrupt", f"page {pno}")
            page_lines = _lines(words, pno)
            lines.extend(page_lines)
            try:
                found = page.find_tables()
            except Exception:  # noqa: BLE001 - a page whose lines confuse the finder: its text remains
                found = []
            if not found:
                loose.extend(page_lines)
                continue
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
                        text = _join(inside)
                        line.append(Cell(text, f"第{pno}页（x={x0:.0f}，y={top:.0f}）"))
                    rows.append(line)
                tables.append(Table(rows, f"第{pno}页 表格{ti}"))
        if chars == 0:
            raise PdfProblem("pdf.scanned", str(n))
        if loose:
            tables.append(Table(tokens_to_rows(loose), "正文"))
        return Document("pdf", "\n".join(t for t, _w in lines), tables, pages=n)


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


def _lines(words: list[dict], pno: int) -> list[tuple[str, str]]:
    rows: dict[int, list[dict]] = {}
    for w in words:
        rows.setdefault(round(w["top"] / 3), []).append(w)
    out = []
    for key in sorted(rows):
        ws = sorted(rows[key], key=lambda w: w["x0"])
        parts = []
        prev = None
        for w in ws:
            if prev is not None and w["x0"] - prev["x1"] > 6:
                parts.append("  ")  # a column gap: a cell boundary for the token reader
            parts.append(w["text"])
            prev = w
        out.append(("".join(parts), f"第{pno}页（y={ws[0]['top']:.0f}）"))
    return out
