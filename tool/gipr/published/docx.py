"""Word (.docx) → Document: the paragraphs as text, every table as a grid.

Merged cells (gridSpan across columns, vMerge down rows) are resolved to one cell at the
top-left with ``None`` at the positions it covers.  The package is vetted by the workbook
reader's zip checks first (size, member count, compression ratio, DOCTYPE/ENTITY in XML),
so python-docx only ever sees a sound container.
"""

from __future__ import annotations

import io

from .. import thirdparty
from ..catalogue.access import say
from ..errors import ReadError, TooManyCells
from ..ooxml.container import open_container
from .grid import MAX_CELLS, Document, PrintedCell, Table

__all__ = ["parse_docx", "read"]


def read(data: bytes, name: str, suffix: str = "") -> Document:
    """The parser of the Word (.docx) row of :data:`gipr.media.MEDIA`."""
    return parse_docx(data, name)


def parse_docx(data: bytes, name: str) -> Document:
    try:
        open_container(data, name)
    except ReadError as e:
        if e.code != "file.not_spreadsheet":  # vetted and sound, merely not a workbook: fine here
            raise
    docx = thirdparty.docx()  # python-docx
    qn = docx.oxml.ns.qn
    doc = docx.Document(io.BytesIO(data))
    body = doc.element.body
    W_TBL, W_T, W_P = qn("w:tbl"), qn("w:t"), qn("w:p")
    budget = [MAX_CELLS]

    def outside_tables(el) -> bool:
        return next(el.iterancestors(W_TBL), None) is None

    def para_text(p) -> str:
        return "".join(t.text or "" for t in p.iter(W_T))

    # every table in document order, wherever Word or LibreOffice put it (the body, a text
    # frame, a content control, inside another table's cell)
    tables = [_table(tbl, i, qn, para_text, budget) for i, tbl in enumerate(body.iter(W_TBL), 1)]
    texts = ["".join(t.text or "" for t in p.iter(W_T) if outside_tables(t))
             for p in body.iter(W_P) if outside_tables(p)]
    return Document("docx", "\n".join(texts), tables)


def _table(tbl, index: int, qn, para_text, budget: list[int]) -> Table:
    """One w:tbl as a grid: gridSpan widens a cell, vMerge="continue" is covered by the cell above."""
    rows: list[list[PrintedCell | None]] = []
    where0 = say("published.docx.table.where0", index=index)
    for r, tr in enumerate(tbl.iterchildren(qn("w:tr"))):
        row: list[PrintedCell | None] = []
        for tc in tr.iterchildren(qn("w:tc")):
            pr = tc.find(qn("w:tcPr"))
            span, vmerge = 1, None
            if pr is not None:
                gs = pr.find(qn("w:gridSpan"))
                if gs is not None:
                    try:
                        span = max(1, min(int(gs.get(qn("w:val"))), 64))
                    except (TypeError, ValueError):
                        span = 1
                vm = pr.find(qn("w:vMerge"))
                if vm is not None:
                    vmerge = vm.get(qn("w:val")) or "continue"
            # nested tables inside a cell: their text is not this cell's text
            text = "\n".join(para_text(p) for p in tc.iterchildren(qn("w:p")))
            budget[0] -= span
            if budget[0] < 0:
                raise TooManyCells()
            if vmerge == "continue":
                row.extend([None] * span)
            else:
                row.append(PrintedCell(text.strip(), say("published.docx.table", where0=where0, value=r + 1,
                                                         value2=len(row) + 1)))
                row.extend([None] * (span - 1))
        rows.append(row)
    return Table(rows, where0)

