"""Table cells from word positions: PDF pages whose tables have no ruling lines.

A table laid out with spaces or tabs, or exported without borders, has no lines for
pdfplumber's table finder, and its flattened text loses every blank cell (“767 35 2 1 805”
for a row of seven).  The words' positions still hold the grid:

1. **Cells.**  The words are read line by line (pages in order).  A word directly under a
   word of an open cell (same left edge or same centre, at most a line gap below, or at the
   top of the next page under the previous page's last line) continues that cell: a label
   that wraps over several lines in a narrow column stays one cell.  A number, or a label
   that starts with a list number (“2.”, “（三）”, “四、”), always starts a new cell.
2. **Rows.**  A line with a new label cell starts a new row; so does a new number when the
   row already has a number or a cell in that column (the header row above the numbers).
   Otherwise a number joins the row (a label that wraps above and below its vertically
   centred numbers).  Cells that continue belong to the row they started in, so a group
   label spanning many rows (三、本年度办理结果) never takes the rows' labels.
3. **Columns.**  The rows are cut into blocks at text lines (a single cell that reaches
   into the number columns below it: a heading, a paragraph).  In a block, the columns are
   the clusters of the cells' left edges (or centres, or right edges: whichever groups the
   numbers into fewest columns, so left-aligned, centred and right-aligned tables all
   work), header labels included: a column left blank in every row is still a column.
   Each row becomes a grid row: its label cells, then one cell per number column, blank
   (“”) where it printed nothing.

The result is the same grid as a ruled table's, for the same locator.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from ..vocabulary import vocabulary
from .grid import PrintedCell, Table, is_value
from .pdfgeom import PDF, join_words, lines_of

__all__ = ["word_tables"]

_CN = vocabulary()["numerals"]["digits"]  # 一 … 十
_LIST_NO = re.compile(rf"^(\d+[.、．]|[(（][{_CN}]+[)）]|[{_CN}]+、)")
_X_TOL = PDF.column_edge  # points: the same column edge


@dataclass
class _WCell:
    words: list[dict]
    page: int
    numeric: bool
    row: int = -1
    blocked: bool = False  # ended a page, and its column has a new cell on the next

    @property
    def x0(self) -> float:
        return min(w["x0"] for w in self.words)

    @property
    def x1(self) -> float:
        return max(w["x1"] for w in self.words)

    @property
    def last(self) -> dict:
        return self.words[-1]

    def text(self) -> str:
        return join_words(self.words)


@dataclass
class _Row:
    cells: list[_WCell] = field(default_factory=list)

    @property
    def has_number(self) -> bool:
        return any(c.numeric for c in self.cells)


def _lines(page: int, words: list[dict]) -> list[list[dict]]:
    """A page's words as visual lines, top to bottom, each left to right."""
    return lines_of([dict(w, page=page, value=is_value(w["text"]), listno=bool(_LIST_NO.match(w["text"])))
                     for w in words])  # judged once a word


def _is_number(w: dict) -> bool:
    return w["value"] and not w["listno"]


def _same_column(w: dict, c: _WCell) -> bool:
    last = c.last
    return abs(w["x0"] - last["x0"]) <= _X_TOL or \
        abs((w["x0"] + w["x1"]) / 2 - (last["x0"] + last["x1"]) / 2) <= _X_TOL


def _continues(w: dict, c: _WCell, page_end: dict[int, float]) -> bool:
    if c.numeric or w["listno"] or w["value"] or not _same_column(w, c):
        return False
    last = c.last
    h = max(1.0, w["bottom"] - w["top"])
    if w["page"] == last["page"]:
        return 0 <= w["top"] - last["bottom"] <= PDF.continues * h
    # the cell's last line ends its page and the word is the first in that column on the next
    # (below the header rows a table repeats there; ``_alive`` keeps the cell open till then)
    return w["page"] == last["page"] + 1 and last["bottom"] >= page_end[last["page"]] - PDF.page_end


def _alive(c: _WCell, page: int, numbers_seen: bool, top: float) -> bool:
    """Can the cell still continue on the line at ``top`` of ``page``?  A cell that ended the
    previous page: until a number or another cell in its column is printed on this one."""
    last = c.last
    if last["page"] == page:
        return top - last["bottom"] <= PDF.continues * max(1.0, last["bottom"] - last["top"]) or \
            top <= last["top"] + PDF.same_line * max(1.0, last["bottom"] - last["top"])
    return last["page"] == page - 1 and not numbers_seen and not c.blocked


def _rows(pages: list[tuple[int, list[dict]]]) -> list[_Row]:
    page_end = {p: max((w["bottom"] for w in ws), default=0.0) for p, ws in pages}
    rows: list[_Row] = []
    open_cells: list[_WCell] = []
    for page, words in pages:
        numbers_seen = False
        for line in _lines(page, words):
            top = min(w["top"] for w in line)
            open_cells = [c for c in open_cells if _alive(c, page, numbers_seen, top)]
            new: list[_WCell] = []
            cur = rows[-1] if rows else None
            nums = [w for w in line if _is_number(w)]
            # numbers for a row that has its numbers already (or a header above them): the line
            # is the next row, all of it (single-spaced rows sit a line gap apart)
            fresh = bool(nums) and cur is not None and (cur.has_number or any(
                w["x0"] < o.x1 and o.x0 < w["x1"] for w in nums for o in cur.cells))
            for w in line:
                hit = None if fresh else \
                    next((c for c in reversed(open_cells) if _continues(w, c, page_end)), None)
                if hit is not None:
                    hit.words.append(w)
                    continue
                h = max(1.0, w["bottom"] - w["top"])
                prev = new[-1] if new else None
                if prev is not None and not prev.numeric and not w["value"] and not w["listno"] and \
                        w["x0"] - prev.last["x1"] <= PDF.label_gap * h and \
                        abs(w["top"] - prev.last["top"]) < PDF.same_line * h:
                    prev.words.append(w)  # two words of one label on one line (a list number starts the next label)
                    continue
                new.append(_WCell([w], page, _is_number(w)))
            numbers_seen = numbers_seen or bool(nums)
            for c in open_cells:
                if c.last["page"] == page - 1 and any(_same_column(n.words[0], c) for n in new):
                    c.blocked = True
            if not new:
                continue
            start = cur is None or fresh or any(not c.numeric for c in new) or cur.has_number or \
                any(c.x0 < o.x1 and o.x0 < c.x1 for c in new for o in cur.cells)
            if start:
                cur = _Row()
                rows.append(cur)
            assert cur is not None
            for c in new:
                c.row = len(rows) - 1
                cur.cells.append(c)
            open_cells.extend(new)
    return rows


def _blocks(rows: list[_Row]) -> list[list[_Row]]:
    """Rows cut at text lines: a row of one label cell that reaches past the first number
    column of the next row with numbers."""
    blocks: list[list[_Row]] = [[]]
    next_num: list[float | None] = [None] * len(rows)
    nxt = None
    for i in range(len(rows) - 1, -1, -1):
        next_num[i] = nxt
        nums = [c.x0 for c in rows[i].cells if c.numeric]
        if nums:
            nxt = min(nums)
    for i, r in enumerate(rows):
        only = r.cells[0] if len(r.cells) == 1 and not r.cells[0].numeric else None
        if only is not None and ((nn := next_num[i]) is None or only.x1 > nn + _X_TOL):
            if blocks[-1]:
                blocks.append([])
            continue  # the text line itself is no table row
        blocks[-1].append(r)
    return [b for b in blocks if b]


_KEYS = (lambda c: c.x0, lambda c: (c.x0 + c.x1) / 2, lambda c: c.x1)


def _clusters(xs: list[float]) -> list[float]:
    out: list[list[float]] = []
    for x in sorted(xs):
        if out and x - out[-1][-1] <= _X_TOL:
            out[-1].append(x)
        else:
            out.append([x])
    return [sum(g) / len(g) for g in out]


def _grid(block: list[_Row], where: str) -> Table:
    nums = [c for r in block for c in r.cells if c.numeric]
    if not nums:
        return Table([[PrintedCell(c.text(), _where(c)) for c in r.cells] for r in block], where)
    key = min(_KEYS, key=lambda k: len(_clusters([k(c) for c in nums])))
    first = min(c.x0 for c in nums) - _X_TOL
    cols = _clusters([key(c) for r in block for c in r.cells if c.x0 >= first])
    out: list[list[PrintedCell | None]] = []
    for r in block:
        line: list[PrintedCell | None] = [PrintedCell(c.text(), _where(c)) for c in sorted(r.cells, key=lambda c: c.x0) if c.x0 < first]
        slots: list[list[_WCell]] = [[] for _ in cols]
        for c in r.cells:
            if c.x0 >= first:
                slots[_nearest(cols, key(c))].append(c)
        anchor = r.cells[0]
        for s in slots:
            if s:
                line.append(PrintedCell("".join(c.text() for c in s), _where(s[0])))
            else:
                line.append(PrintedCell("", _where(anchor)))
        out.append(line)
    return Table(out, where)


def _nearest(cols: list[float], x: float) -> int:
    i = bisect.bisect_left(cols, x)
    if i == len(cols) or (i > 0 and x - cols[i - 1] <= cols[i] - x):
        return i - 1
    return i


def _where(c: _WCell) -> str:
    w = c.words[0]
    return f"第{c.page}页（x={w['x0']:.0f}，y={w['top']:.0f}）"


def word_tables(pages: list[tuple[int, list[dict]]]) -> list[Table]:
    """``pages``: (page number from 1, pdfplumber words) for consecutive pages → one grid per
    block of rows (see the module text)."""
    rows = _rows(pages)
    tables = []
    for block in _blocks(rows):
        p = block[0].cells[0].page
        tables.append(_grid(block, f"无框线表格（第{p}页起）"))
    return tables
