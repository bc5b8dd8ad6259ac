"""A PDF page's words and ruling lines read with PDFium, in the shapes pdfplumber uses.

pdfplumber finds a table's cells from its ruling lines well, but it lays a page out with
pdfminer, in pure Python: a quarter of a second a page, fifty times what PDFium takes to
give the same page's characters.  So the characters (with the font's box, not the glyph's)
and the painted path segments come from PDFium here, as pdfplumber's word and edge dicts
(``x0``, ``x1``, ``top``, ``bottom`` in points from the page's top left), and pdfplumber's
table finder (:func:`find_tables`: its edge merging, intersections, cells and tables) runs
on them unchanged.

Words are runs of characters on one line, left to right, without a printed space or a gap
wider than :attr:`~gipr.published.pdfgeom.PdfSettings.word_split` between them (pdfplumber's
rule; see :func:`page_words` for the spaces PDFium adds to its text).  Edges are the horizontal and vertical segments of every painted path, inside form
XObjects too, with the objects' matrices applied; curves and slanted segments are no ruling.
"""

from __future__ import annotations

import ctypes
from itertools import groupby

from .pdfgeom import PDF

__all__ = ["page_words", "page_edges", "find_tables", "paths"]

MAX_SEGMENTS = 50_000  # path segments looked at on one page (a drawing, not a table, past that)


def _top(page) -> float:
    box = page.get_mediabox()
    return float(box[3])


def page_words(page, tp) -> list[dict]:
    """The page's words as pdfplumber's ``extract_words`` gives them (text, x0, x1, top, bottom):
    characters in lines (baselines within :attr:`~gipr.published.pdfgeom.PdfSettings.word_split`),
    left to right, a new word at a printed space or a gap wider than ``word_split``.

    PDFium's text has spaces and line ends of its own (“generated”); they are no glyphs, but
    PDFium also turns some printed spaces into generated ones.  So after a generated space a
    gap of :attr:`~gipr.published.pdfgeom.PdfSettings.space_gap` of the type's height is a
    space (“结果 （一）”), a narrower one is not (“办公厅2019年” where the font changes)."""
    import pypdfium2.raw as c

    top_y = _top(page)
    raw = tp.raw
    n = c.FPDFText_CountChars(raw)
    text = tp.get_text_range(0, n) if n > 0 else ""
    if len(text) != n:  # characters PDFium returns differently from its count: one by one
        text = "".join(chr(u) if 0 < (u := c.FPDFText_GetUnicode(raw, i)) < 0x110000 else " " for i in range(n))
    rect = c.FS_RECTF()
    ox, oy = ctypes.c_double(), ctypes.c_double()
    chars: list[tuple[float, float, float, float, str, int, float]] = []  # baseline, x0, x1, bottom, char, break, top
    before = 0  # 2: a printed space before the next character, 1: a generated one
    for i, ch in enumerate(text):
        if ch.isspace() or ch in "\ufffe\uffff":
            before = max(before, 1 if c.FPDFText_IsGenerated(raw, i) == 1 else 2)
            continue
        if not c.FPDFText_GetLooseCharBox(raw, i, rect):
            before = 2
            continue
        top, bottom = top_y - float(rect.top), top_y - float(rect.bottom)
        if top > bottom:
            top, bottom = bottom, top
        base = top_y - oy.value if c.FPDFText_GetCharOrigin(raw, i, ox, oy) else bottom
        chars.append((base, float(rect.left), float(rect.right), bottom, ch, before, top))
        before = 0
    tol = PDF.word_split
    lines: list[list[tuple[float, float, float, float, str, int, float]]] = []
    for ch in sorted(chars):  # lines by the characters' baselines, whatever their fonts' heights
        if lines and ch[0] - lines[-1][-1][0] <= tol:  # chained, as pdfplumber clusters
            lines[-1].append(ch)
        else:
            lines.append([ch])
    words: list[dict] = []
    for line in lines:
        cur: dict | None = None
        px0 = px1 = pbase = ptop = 0.0  # the previous character's left and right edges, baseline and top
        for base, x0, x1, bottom, ch, brk, top in sorted(line, key=lambda t: t[1]):
            gap = x0 - px1
            # pdfplumber's test: not left of the previous character, at most word_split after its
            # end, its top (and baseline) at most word_split off; a word too many is harmless (a cell
            # joins its words), one across two cells is not
            if cur is not None and brk < 2 and px0 <= x0 and gap <= tol and abs(base - pbase) <= tol and \
                    abs(top - ptop) <= tol and \
                    not (brk == 1 and gap >= PDF.space_gap * (bottom - top)):
                cur["text"] += ch
                cur["x1"] = max(cur["x1"], x1)
                cur["top"] = min(cur["top"], top)
                cur["bottom"] = max(cur["bottom"], bottom)
            else:
                cur = {"text": ch, "x0": x0, "x1": x1, "top": top, "bottom": bottom}
                words.append(cur)
            px0, px1, pbase, ptop = x0, x1, base, top
    return words


def paths(page):
    """(path object, matrix as (a, b, c, d, e, f)) for every path on the page, forms included."""
    import pypdfium2.raw as c

    def matrix(obj) -> tuple[float, ...]:
        m = c.FS_MATRIX()
        if not c.FPDFPageObj_GetMatrix(obj, m):
            return (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
        return (m.a, m.b, m.c, m.d, m.e, m.f)

    def compose(inner, outer):  # a point: outer(inner(p))
        a, b, cc, d, e, f = inner
        A, B, C, D, E, F = outer
        return (a * A + b * C, a * B + b * D, cc * A + d * C, cc * B + d * D, e * A + f * C + E, e * B + f * D + F)

    stack = [(c.FPDFPage_GetObject(page.raw, i), (1.0, 0.0, 0.0, 1.0, 0.0, 0.0), 0)
             for i in range(c.FPDFPage_CountObjects(page.raw))]
    stack.reverse()
    while stack:
        obj, outer, depth = stack.pop()
        kind = c.FPDFPageObj_GetType(obj)
        if kind == c.FPDF_PAGEOBJ_PATH:
            yield obj, compose(matrix(obj), outer)
        elif kind == c.FPDF_PAGEOBJ_FORM and depth < 4:
            m = compose(matrix(obj), outer)
            kids = [(c.FPDFFormObj_GetObject(obj, j), m, depth + 1) for j in range(c.FPDFFormObj_CountObjects(obj))]
            stack.extend(reversed(kids))


def page_edges(page, max_paths: int) -> tuple[list[dict], int]:
    """(the horizontal and vertical segments of the page's painted paths as pdfplumber's
    edges, the number of paths): no edges past ``max_paths`` paths (a picture, not a table)."""
    import pypdfium2.raw as c

    top_y = _top(page)
    edges: list[dict] = []
    budget = MAX_SEGMENTS
    fill, stroke = ctypes.c_int(), ctypes.c_int()
    x, y = ctypes.c_float(), ctypes.c_float()
    count = 0
    for obj, (a, b, cc, d, e, f) in paths(page):
        count += 1
        if count > max_paths:
            return [], count
        if c.FPDFPath_GetDrawMode(obj, fill, stroke) and not fill.value and not stroke.value:
            continue  # painted neither way: not seen
        n = c.FPDFPath_CountSegments(obj)
        budget -= max(n, 0)
        if budget < 0:
            return [], count
        sub: list[tuple[float, float]] = []
        runs: list[list[tuple[float, float]]] = []
        for i in range(n):
            seg = c.FPDFPath_GetPathSegment(obj, i)
            if not c.FPDFPathSegment_GetPoint(seg, x, y):
                continue
            p = (a * x.value + cc * y.value + e, b * x.value + d * y.value + f)
            if c.FPDFPathSegment_GetType(seg) == c.FPDF_SEGMENT_MOVETO and sub:
                runs.append(sub)
                sub = []
            sub.append(p)
            if c.FPDFPathSegment_GetClose(seg) and sub:
                sub.append(sub[0])
                runs.append(sub)
                sub = []
        if sub:
            runs.append(sub)
        for run in runs:
            for (x0, y0), (x1, y1) in zip(run, run[1:]):
                if abs(y0 - y1) < 0.01:
                    orient = "h"
                elif abs(x0 - x1) < 0.01:
                    orient = "v"
                else:
                    continue  # a slanted segment or a curve's chord: no ruling
                top, bottom = top_y - max(y0, y1), top_y - min(y0, y1)
                edges.append({"object_type": "line", "orientation": orient, "x0": min(x0, x1), "x1": max(x0, x1),
                              "top": top, "bottom": bottom, "doctop": top, "width": abs(x1 - x0),
                              "height": abs(y1 - y0)})
    return edges, count


def find_tables(page, edges: list[dict]) -> list[list[list[tuple[float, float, float, float] | None]]]:
    """The page's tables as rows of cell boxes (x0, top, x1, bottom; ``None`` where a box
    spanning rows or columns covers the position), by pdfplumber's table finder with its
    default settings (lines, snap and join within 3 points): its edge merging, intersections
    and grouping of cells into tables; the cells from the intersections by
    :func:`_cells` (pdfplumber's rule, indexed instead of searched: a tenth of the time)."""
    from pdfplumber import utils
    from pdfplumber.table import TableSettings, cells_to_tables, edges_to_intersections, merge_edges

    s = TableSettings.resolve(None)
    base = utils.filter_edges(edges, "v", min_length=s.edge_min_length_prefilter) + \
        utils.filter_edges(edges, "h", min_length=s.edge_min_length_prefilter)
    merged = merge_edges(base, snap_x_tolerance=s.snap_x_tolerance, snap_y_tolerance=s.snap_y_tolerance,
                         join_x_tolerance=s.join_x_tolerance, join_y_tolerance=s.join_y_tolerance)
    merged = utils.filter_edges(merged, min_length=s.edge_min_length)
    points = edges_to_intersections(merged, s.intersection_x_tolerance, s.intersection_y_tolerance)
    tables = []
    for group in cells_to_tables(_cells(points)):
        xs = sorted({c[0] for c in group})  # pdfplumber's Table.rows: one entry per column edge
        rows = []
        for _top, cells in groupby(sorted(group, key=lambda c: (c[1], c[0])), key=lambda c: c[1]):
            at = {c[0]: c for c in cells}
            rows.append([at.get(x) for x in xs])
        tables.append(rows)
    return tables


def _cells(points: dict) -> list[tuple[float, float, float, float]]:
    """pdfplumber's ``intersections_to_cells``: for each intersection, the smallest box whose
    four corners are intersections joined by common edges (below first, then right)."""
    h = {p: {(e["x0"], e["top"], e["x1"], e["bottom"]) for e in v["h"]} for p, v in points.items()}
    v = {p: {(e["x0"], e["top"], e["x1"], e["bottom"]) for e in w["v"]} for p, w in points.items()}
    by_x: dict[float, list] = {}
    by_y: dict[float, list] = {}
    for p in sorted(points):
        by_x.setdefault(p[0], []).append(p)
        by_y.setdefault(p[1], []).append(p)
    out = []
    for p in sorted(points):
        below = [q for q in by_x[p[0]] if q[1] > p[1]]
        right = [q for q in by_y[p[1]] if q[0] > p[0]]
        found = None
        for b in below:
            if not v[p] & v[b]:
                continue
            for r in right:
                if not h[p] & h[r]:
                    continue
                corner = (r[0], b[1])
                if corner in points and v[corner] & v[r] and h[corner] & h[b]:
                    found = (p[0], p[1], corner[0], corner[1])
                    break
            if found:
                break
        if found:
            out.append(found)
    return out
