"""The official layout of tables 二、三、四 as a grid of merged regions: the one owner of the
header grid, the merged regions and the label tree of a printed table, shared by the roll-up's HTML page
(merge/html.py) and the annual report document (report/document.py).

Everything comes from the format's ``TableLayout.labels`` (every fixed text with its merge
range) and the value cells' sheet positions.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..spec import Spec, TableLayout, per_spec

__all__ = ["Region", "header_rows", "table_grid", "table_regions"]


@dataclass(frozen=True)
class Region:
    """One printed cell of a table: a label or a value cell, with its merge extent.

    ``row``/``col`` are 0-based within the table (row 0 = the table's first header row);
    ``kind`` is the label kind (heading, corner, band, column, row) or ``"value"``, and
    ``payload`` the label text or the value cell's id.
    """

    kind: str
    payload: str
    row: int
    col: int
    rowspan: int
    colspan: int


def table_regions(spec: Spec, t: TableLayout) -> tuple[Region, ...]:
    """Every printed cell of the table, in row then column order (computed once per format).

    A value cell followed by empty positions in its row is widened over them (the narrow
    blocks of table 二, whose last header spans to the table's width).
    """
    return per_spec(spec, f"report.regions.{t.id}", lambda s: _regions(s, s.table(t.id)))


def _regions(spec: Spec, t: TableLayout) -> tuple[Region, ...]:
    r_first, r_last, width = t.first_row, t.last_row, t.width
    nrows = r_last - r_first + 1
    covered = [[False] * width for _ in range(nrows)]
    anchors: dict[tuple[int, int], list] = {}

    def place(kind: str, payload: str, r0: int, c0: int, r1: int, c1: int) -> None:
        if r0 < r_first or r1 > r_last:
            return
        anchors[(r0, c0)] = [kind, payload, r1 - r0 + 1, c1 - c0 + 1]
        for r in range(r0, r1 + 1):
            for c in range(c0, c1 + 1):
                covered[r - r_first][c] = True

    for lab in t.labels:
        if lab.kind == "title":
            continue
        place(lab.kind, lab.text, lab.r0, lab.c0, lab.r1, lab.c1)
    for cid in t.cells:
        cell = spec.cells[cid]
        place("value", cid, cell.rowx, cell.colx, cell.rowx, cell.colx)
    for r in range(r_first, r_last + 1):
        for c in range(width):
            e = anchors.get((r, c))
            if e is None or e[0] != "value":
                continue
            cc = c + 1
            while cc < width and not covered[r - r_first][cc]:
                covered[r - r_first][cc] = True
                e[3] += 1
                cc += 1
    return tuple(Region(e[0], e[1], r - r_first, c, e[2], e[3]) for (r, c), e in sorted(anchors.items()))


def table_grid(spec: Spec, t: TableLayout) -> list[list[tuple | None]]:
    """The table as a grid of rows from its first header row to its last body row.

    Each grid row is a list of entries ``(kind, text_or_cell_id, rowspan, colspan)`` in
    column order; positions covered by a merged cell are left out (as HTML wants), an
    uncovered empty position is ``None``.
    """
    nrows, width = t.last_row - t.first_row + 1, t.width
    covered = [[False] * width for _ in range(nrows)]
    at: dict[tuple[int, int], Region] = {}
    for g in table_regions(spec, t):
        at[(g.row, g.col)] = g
        for r in range(g.row, g.row + g.rowspan):
            for c in range(g.col, g.col + g.colspan):
                covered[r][c] = True
    grid: list[list[tuple | None]] = []
    for r in range(nrows):
        row: list[tuple | None] = []
        for c in range(width):
            here = at.get((r, c))
            if here is not None:
                row.append((here.kind, here.payload, here.rowspan, here.colspan))
            elif not covered[r][c]:
                row.append(None)  # an empty position (should not happen with a sane format)
        grid.append(row)
    return grid


def header_rows(spec: Spec, t: TableLayout) -> int:
    """How many leading grid rows are column headers (for <thead>), 0 for multi-block tables."""
    first_value = min(spec.cells[cid].rowx for cid in t.cells)
    heads = [lab for lab in t.labels if lab.kind in ("heading", "corner", "band", "column")]
    if any(lab.r0 > first_value for lab in heads):
        return 0  # several blocks each with its own header: no repeating header
    return first_value - t.first_row
