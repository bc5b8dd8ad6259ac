"""A PDF page's words and ruling lines read with PDFium, in the shapes pdfplumber uses.

pdfplumber finds a table's cells from its ruling lines well, but it lays a page out with
pdfminer, in pure Python: a quarter of a second a page, fifty times what PDFium takes to
give the same page's characters.  So the characters (with the font's box, not the glyph's)
and the painted path segments come from PDFium here, as pdfplumber's word and edge dicts
(``x0``, ``x1``, ``top``, ``bottom`` in points from the page's top left) and its edges (as
tuples), and pdfplumber's table finder (:func:`find_tables`: its edge merging,
intersections, cells and tables) runs on them, rewritten on tuples and indexed.

Words are runs of characters on one line, left to right, without a printed space or a gap
wider than :attr:`~gipr.published.pdfgeom.PdfSettings.word_split` between them (pdfplumber's
rule; see :func:`page_words` for the spaces PDFium adds to its text).  Edges are the horizontal and vertical segments of every painted path, inside form
XObjects too, with the objects' matrices applied; curves and slanted segments are no ruling.
"""

from __future__ import annotations

import ctypes
from itertools import groupby, pairwise

from .. import thirdparty
from .pdfgeom import PDF

__all__ = ["find_tables", "page_edges", "page_words", "paths"]

MAX_SEGMENTS = 50_000  # path segments looked at on one page (a drawing, not a table, past that)


def _top(page) -> float:
    box = page.get_mediabox()
    return float(box[3])


def page_words(page, tp) -> list[dict]:
    """The page's words as pdfplumber's ``extract_words`` gives them (text, x0, x1, top, bottom):
    characters in lines (bottoms within :attr:`~gipr.published.pdfgeom.PdfSettings.word_split`),
    left to right, a new word at a printed space or a gap wider than ``word_split``.

    PDFium's text has spaces and line ends of its own (“generated”); they are no glyphs, but
    PDFium also turns some printed spaces into generated ones.  So after a generated space a
    gap of :attr:`~gipr.published.pdfgeom.PdfSettings.space_gap` of the type's height is a
    space (“结果 （一）”), a narrower one is not (“办公厅2019年” where the font changes)."""
    c = thirdparty.pypdfium2().raw

    top_y = _top(page)
    raw = tp.raw
    n = c.FPDFText_CountChars(raw)
    text = tp.get_text_range(0, n) if n > 0 else ""
    if len(text) != n:  # characters PDFium returns differently from its count: one by one
        text = "".join(chr(u) if 0 < (u := c.FPDFText_GetUnicode(raw, i)) < 0x110000 else " " for i in range(n))
    rect = c.FS_RECTF()
    chars: list[tuple[float, float, float, float, str, int, float]] = []  # bottom, x0, x1, bottom, char, break, top
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
        chars.append((bottom, float(rect.left), float(rect.right), bottom, ch, before, top))
        before = 0
    tol = PDF.word_split
    lines: list[list[tuple[float, float, float, float, str, int, float]]] = []
    for ch in sorted(chars):  # lines by the characters' bottoms (fonts differ in ascent more than descent)
        if lines and ch[0] - lines[-1][-1][0] <= tol:  # chained, as pdfplumber clusters
            lines[-1].append(ch)
        else:
            lines.append([ch])
    words: list[dict] = []
    for line in lines:
        cur: dict | None = None
        px0 = px1 = pbot = ptop = 0.0  # the previous character's left and right edges, bottom and top
        for _key, x0, x1, bottom, ch, brk, top in sorted(line, key=lambda t: t[1]):
            gap = x0 - px1
            # pdfplumber's test: not left of the previous character, at most word_split after its
            # end, its top (and bottom) at most word_split off; a word too many is harmless (a cell
            # joins its words), one across two cells is not
            if cur is not None and brk < 2 and px0 <= x0 and gap <= tol and abs(bottom - pbot) <= tol and \
                    abs(top - ptop) <= tol and \
                    not (brk == 1 and gap >= PDF.space_gap * (bottom - top)):
                cur["text"] += ch
                cur["x1"] = max(cur["x1"], x1)
                cur["top"] = min(cur["top"], top)
                cur["bottom"] = max(cur["bottom"], bottom)
            else:
                cur = {"text": ch, "x0": x0, "x1": x1, "top": top, "bottom": bottom}
                words.append(cur)
            px0, px1, pbot, ptop = x0, x1, bottom, top
    return words


def paths(page):
    """(path object, matrix as (a, b, c, d, e, f)) for every path on the page, forms included."""
    c = thirdparty.pypdfium2().raw

    def matrix(obj) -> tuple[float, ...]:
        m = c.FS_MATRIX()
        if not c.FPDFPageObj_GetMatrix(obj, m):
            return (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
        return (m.a, m.b, m.c, m.d, m.e, m.f)

    def compose(inner, outer):  # a point: outer(inner(p))
        a, b, cc, d, e, f = inner
        A, B, C, D, E, F = outer
        return (a * A + b * C, a * B + b * D, cc * A + d * C, cc * B + d * D, e * A + f * C + E, e * B + f * D + F)

    get_type, path_kind, form_kind = c.FPDFPageObj_GetType, c.FPDF_PAGEOBJ_PATH, c.FPDF_PAGEOBJ_FORM
    unit = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)

    def walk(count: int, get, outer: tuple[float, ...], depth: int):
        for i in range(count):
            obj = get(i)
            kind = get_type(obj)
            if kind == path_kind:
                yield obj, (compose(matrix(obj), outer) if outer is not unit or depth else matrix(obj))
            elif kind == form_kind and depth < 4:
                yield from walk(c.FPDFFormObj_CountObjects(obj), lambda j, o=obj: c.FPDFFormObj_GetObject(o, j),
                                compose(matrix(obj), outer), depth + 1)

    raw = page.raw
    yield from walk(c.FPDFPage_CountObjects(raw), lambda i: c.FPDFPage_GetObject(raw, i), unit, 0)


Edges = tuple[list[tuple[float, float, float]], list[tuple[float, float, float]]]  # h (y, x0, x1), v (x, top, bottom)


def page_edges(page, max_paths: int) -> tuple[Edges, int]:
    """((the horizontal segments (y, x0, x1) and the vertical ones (x, top, bottom) of the
    page's painted paths, in points from the top left), the number of paths): no edges past
    ``max_paths`` paths (a picture, not a table)."""
    c = thirdparty.pypdfium2().raw

    get_mode, count_segs, get_seg = c.FPDFPath_GetDrawMode, c.FPDFPath_CountSegments, c.FPDFPath_GetPathSegment
    get_point, get_type, get_close, moveto = (c.FPDFPathSegment_GetPoint, c.FPDFPathSegment_GetType,
                                              c.FPDFPathSegment_GetClose, c.FPDF_SEGMENT_MOVETO)
    top_y = _top(page)
    h: list[tuple[float, float, float]] = []
    v: list[tuple[float, float, float]] = []
    budget = MAX_SEGMENTS
    fill, stroke = ctypes.c_int(), ctypes.c_int()
    x, y = ctypes.c_float(), ctypes.c_float()
    count = 0
    for obj, (a, b, cc, d, e, f) in paths(page):
        count += 1
        if count > max_paths:
            return ([], []), count
        if get_mode(obj, fill, stroke) and not fill.value and not stroke.value:
            continue  # painted neither way: not seen
        n = count_segs(obj)
        budget -= max(n, 0)
        if budget < 0:
            return ([], []), count
        sub: list[tuple[float, float]] = []
        runs: list[list[tuple[float, float]]] = []
        for i in range(n):
            seg = get_seg(obj, i)
            if not get_point(seg, x, y):
                continue
            px, py = x.value, y.value
            p = (a * px + cc * py + e, top_y - (b * px + d * py + f))
            if sub and get_type(seg) == moveto:
                runs.append(sub)
                sub = []
            sub.append(p)
            if get_close(seg):
                sub.append(sub[0])
                runs.append(sub)
                sub = []
        if sub:
            runs.append(sub)
        for run in runs:
            for (x0, y0), (x1, y1) in pairwise(run):
                if abs(y0 - y1) < 0.01:
                    h.append((y0, min(x0, x1), max(x0, x1)))
                elif abs(x0 - x1) < 0.01:
                    v.append((x0, min(y0, y1), max(y0, y1)))
                # else: a slanted segment or a curve's chord: no ruling
    return (h, v), count


def find_tables(page, edges: Edges) -> list[list[list[tuple[float, float, float, float] | None]]]:
    """The page's tables as rows of cell boxes (x0, top, x1, bottom; ``None`` where a box
    spanning rows or columns covers the position), by pdfplumber's table finder with its
    default settings: edges snapped and joined within 3 points (:func:`_merge`), their
    intersections within 3 points, the cells from the intersections (:func:`_cells`), and
    pdfplumber's grouping of cells into tables.  The same steps as pdfplumber's, on tuples
    and indexed: a tenth of the time, the same tables (tests/test_published_pdf.py)."""
    cells_to_tables = thirdparty.pdfplumber().table.cells_to_tables
    tol = PDF.column_edge  # pdfplumber's snap, join and intersection tolerances
    h, v = _merge(edges, tol)
    points: dict[tuple[float, float], dict[str, set]] = {}
    for vx, vtop, vbottom in sorted(v):
        for hy, hx0, hx1 in sorted(h):
            if vtop <= hy + tol and vbottom >= hy - tol and hx0 - tol <= vx <= hx1 + tol:
                p = points.setdefault((vx, hy), {"v": set(), "h": set()})
                p["v"].add((vx, vtop, vx, vbottom))
                p["h"].add((hx0, hy, hx1, hy))
    tables = []
    for group in cells_to_tables(_cells(points)):
        xs = sorted({c[0] for c in group})  # pdfplumber's Table.rows: one entry per column edge
        rows = []
        for _top, cells in groupby(sorted(group, key=lambda c: (c[1], c[0])), key=lambda c: c[1]):
            at = {c[0]: c for c in cells}
            rows.append([at.get(x) for x in xs])
        tables.append(rows)
    return tables


def _merge(edges: Edges, tol: float) -> Edges:
    """pdfplumber's ``merge_edges``: horizontal edges (y, x0, x1) and vertical ones (x, top,
    bottom) of at least 1 point, each snapped to the mean of its cluster of lines (lines
    within ``tol`` of the next), collinear ones joined where at most ``tol`` apart; then
    those of at least 3 points."""
    def snap(items: list[tuple[float, float, float]]) -> list[tuple[float, float, float]]:
        cluster: dict[float, int] = {}
        k, last = 0, None
        for c in sorted({i[0] for i in items}):
            if last is not None and c > last + tol:
                k += 1
            cluster[c] = k
            last = c
        total: dict[int, float] = {}
        count: dict[int, int] = {}
        for c, _a, _b in items:
            total[cluster[c]] = total.get(cluster[c], 0.0) + c
            count[cluster[c]] = count.get(cluster[c], 0) + 1
        return [(total[cluster[c]] / count[cluster[c]], a, b) for c, a, b in items]

    def join(items: list[tuple[float, float, float]]) -> list[tuple[float, float, float]]:
        out: list[tuple[float, float, float]] = []
        for c, a, b in sorted(items):
            if out and out[-1][0] == c and a <= out[-1][2] + tol:
                if b > out[-1][2]:
                    out[-1] = (c, out[-1][1], b)
            else:
                out.append((c, a, b))
        return [e for e in out if e[2] - e[1] >= 3]

    h = [e for e in edges[0] if e[2] - e[1] >= 1]
    v = [e for e in edges[1] if e[2] - e[1] >= 1]
    return join(snap(h)), join(snap(v))


def _cells(points: dict) -> list[tuple[float, float, float, float]]:
    """pdfplumber's ``intersections_to_cells``: for each intersection, the smallest box whose
    four corners are intersections joined by common edges (below first, then right)."""
    h = {p: e["h"] for p, e in points.items()}
    v = {p: e["v"] for p, e in points.items()}
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
