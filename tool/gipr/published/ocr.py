"""Scanned reports: image-only PDFs and pictures → :class:`~gipr.published.grid.Document`.

A signed and stamped paper copy published as a scan has no text layer.  Its pages are
rasterised (PDFium, already gipr's PDF text engine), read by an offline OCR engine whose
models ship inside its package (RapidOCR's ONNX build of PP-OCR; Debian's Tesseract with
``chi_sim`` is the other engine measured by ``benchmarks/bench_ocr.py``), and the recognised
boxes become *words with positions*, the same input as a PDF table without ruling lines
(:mod:`gipr.published.words`), so the same label matching finds the tables.

Every recognised word keeps the engine's confidence.  The tables then carry their own
checksum: :func:`settle` lets the rules (A, C, D, E: every row total, column total and group
total) accept, fill or reject the OCR'd numbers, so that no number is guessed:

* a number read with low confidence that the rules confirm is kept;
* a cell that is missing or read with low confidence, whose value one rule forces (the rule's
  other cells are all read with confidence), is filled and said so;
* a rule that breaks where a number of low confidence takes part leaves that number unknown,
  with the value the rule would need as the alternative.

Bounded like every reader: the pages (:attr:`OcrSettings.max_pages`), the pixels of a page,
and a time budget inside the reader's own limit (pages that look like tables are read first,
so a 50-page scan still yields its tables).  It runs inside the reader boundary
(:func:`gipr.published.core.parse_document` is called through :mod:`gipr.isolate`).
"""

from __future__ import annotations

import io
import math
import re
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from typing import Any

from .grid import Document, Table, tokens_to_rows

__all__ = ["OcrSettings", "OcrUnavailable", "engine_available", "ocr_pdf", "ocr_images", "settle", "IMAGE_SUFFIXES"]

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff")


@dataclass(frozen=True)
class OcrSettings:
    dpi: int = 200  # pages are rendered at this resolution (the engines read 150-300 dpi well)
    engine: str = "rapidocr"  # "rapidocr" | "tesseract"
    max_pages: int = 50  # pages looked at in a scan
    max_pixels: int = 60_000_000  # a page image larger than this is refused (a picture bomb)
    seconds: float = 100.0  # OCR time budget, inside the reader's own time limit (core.OCR_SECONDS)
    low: float = 0.90  # a number read with less confidence is only kept when the rules confirm it
    table_rules: int = 6  # long horizontal lines that make a page a table page (read first)


DEFAULT = OcrSettings()


class OcrUnavailable(Exception):
    """No OCR engine is installed (the optional extra ``gipr[ocr]``)."""


def engine_available(engine: str = DEFAULT.engine) -> bool:
    if engine == "tesseract":
        return shutil.which("tesseract") is not None
    try:
        import rapidocr_onnxruntime  # noqa: F401
    except Exception:  # noqa: BLE001 - missing, or a broken install: OCR is not available
        return False
    return True


# -----------------------------------------------------------------------------------------
# pages → images


def render_pdf(data: bytes, settings: OcrSettings = DEFAULT) -> list[Any]:
    """The pages of a PDF as greyscale images at ``settings.dpi`` (PDFium)."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(data)
    try:
        out = []
        for i in range(min(len(doc), settings.max_pages)):
            page = doc[i]
            w, h = page.get_size()
            scale = settings.dpi / 72
            if w * h * scale * scale > settings.max_pixels:
                scale = math.sqrt(settings.max_pixels / (w * h))
            out.append(page.render(scale=scale, grayscale=True).to_pil().convert("L"))
        return out
    finally:
        doc.close()


def open_images(data: bytes, settings: OcrSettings = DEFAULT) -> list[Any]:
    """A picture (PNG, JPEG, TIFF with one or more pages) as greyscale images."""
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = settings.max_pixels  # larger: DecompressionBombError, refused
    img = Image.open(io.BytesIO(data))
    out = []
    for i in range(min(getattr(img, "n_frames", 1), settings.max_pages)):
        img.seek(i)
        out.append(img.convert("L"))
    return out


def _table_score(img: Any) -> int:
    """How many long horizontal lines a page draws (a ruled table has one per row)."""
    import numpy as np

    a = np.asarray(img.resize((img.width // 4, img.height // 4)))
    dark = a < 128
    runs = dark.mean(axis=1)  # share of dark pixels per row of pixels
    lines = runs > 0.45
    # count separate lines (consecutive rows of pixels are one line)
    return int(np.count_nonzero(lines[1:] & ~lines[:-1]) + (1 if lines[0] else 0))


# -----------------------------------------------------------------------------------------
# images → boxes → words


@dataclass
class Box:
    text: str
    x0: float
    top: float
    x1: float
    bottom: float
    conf: float
    angle: float = 0.0  # degrees, the box's top edge against the horizontal


def _rapidocr(img: Any) -> list[Box]:
    import numpy as np
    from rapidocr_onnxruntime import RapidOCR

    engine = _ENGINES.get("rapidocr")
    if engine is None:
        # pages are upright (deskew takes out small angles): no 180° classifier
        engine = _ENGINES["rapidocr"] = RapidOCR(use_cls=False)
    result, _elapsed = engine(np.asarray(img.convert("RGB")))
    boxes = []
    for quad, text, conf in result or []:
        xs = [p[0] for p in quad]
        ys = [p[1] for p in quad]
        (ax, ay), (bx, by) = quad[0], quad[1]
        angle = math.degrees(math.atan2(by - ay, bx - ax)) if bx != ax else 0.0
        boxes.append(Box(str(text), min(xs), min(ys), max(xs), max(ys), float(conf), angle))
    return boxes


_ENGINES: dict[str, Any] = {}


def _tesseract(img: Any) -> list[Box]:
    """Debian's tesseract (chi_sim) through its command line: words with their boxes."""
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    res = subprocess.run(["tesseract", "stdin", "stdout", "-l", "chi_sim", "--psm", "6", "tsv"],
                         input=buf.getvalue(), capture_output=True, timeout=120, check=False)
    boxes = []
    for line in res.stdout.decode("utf-8", "replace").splitlines()[1:]:
        f = line.split("\t")
        if len(f) < 12 or not f[11].strip() or float(f[10]) < 0:
            continue
        x, y, w, h = (float(v) for v in f[6:10])
        boxes.append(Box(f[11].strip(), x, y, x + w, y + h, float(f[10]) / 100))
    return _join_tesseract(boxes)


def _join_tesseract(boxes: list[Box]) -> list[Box]:
    """Tesseract gives Chinese text a character or two at a time: neighbours on one line with
    a gap smaller than a character are one word (digits stay apart from characters)."""
    out: list[Box] = []
    for b in sorted(boxes, key=lambda b: (round(b.top / 12), b.x0)):
        if out:
            p = out[-1]
            h = max(p.bottom - p.top, b.bottom - b.top)
            same_line = abs((p.top + p.bottom) / 2 - (b.top + b.bottom) / 2) < h / 2
            kind = b.text[:1].isdigit() == p.text[-1:].isdigit()
            if same_line and kind and 0 <= b.x0 - p.x1 < h * 0.6:
                out[-1] = Box(p.text + b.text, p.x0, min(p.top, b.top), b.x1, max(p.bottom, b.bottom),
                              min(p.conf, b.conf))
                continue
        out.append(b)
    return out


_READERS = {"rapidocr": _rapidocr, "tesseract": _tesseract}

_SPACE = re.compile(r"\s+")


# -----------------------------------------------------------------------------------------
# deskew and ruling lines


def deskew(img: Any, limit: float = 3.0) -> tuple[Any, float]:
    """The page turned straight: the angle (within ±``limit`` degrees, 0.1° steps) at which the
    rows of dark pixels are most uneven (text lines and ruling lines lie flat), found on a
    quarter-size copy; (image, angle)."""
    import numpy as np
    from PIL import Image

    small = img.resize((max(1, img.width // 4), max(1, img.height // 4)))
    best, score = 0.0, -1.0
    for k in range(-int(limit * 10), int(limit * 10) + 1):
        a = k / 10
        rot = small.rotate(a, resample=Image.BILINEAR, fillcolor=255)
        rows = (np.asarray(rot) < 128).sum(axis=1).astype(float)
        s = float(np.square(np.diff(rows)).sum())
        if s > score:
            best, score = a, s
    if abs(best) < 0.05:
        return img, 0.0
    return img.rotate(best, resample=Image.BICUBIC, fillcolor=255), best


def _runs(mask: Any, min_len: int) -> list[tuple[int, int, int]]:
    """(line, start, end) of every run of True of at least ``min_len`` along each row."""
    import numpy as np

    out = []
    pad = np.zeros((mask.shape[0], 1), dtype=np.int8)
    d = np.diff(np.hstack([pad, mask.astype(np.int8), pad]), axis=1)
    for y in np.nonzero((d == 1).any(axis=1))[0]:
        starts = np.nonzero(d[y] == 1)[0]
        ends = np.nonzero(d[y] == -1)[0]
        for a, b in zip(starts, ends):
            if b - a >= min_len:
                out.append((int(y), int(a), int(b)))
    return out


def ruled_cells(img: Any) -> list[list[tuple[float, float, float, float]]]:
    """The ruled tables of a page image: lists of cell boxes (x0, top, x1, bottom) in pixels,
    from its horizontal and vertical lines (pdfplumber's edge → intersection → cell steps)."""
    import numpy as np
    from pdfplumber.table import cells_to_tables, edges_to_intersections, intersections_to_cells, merge_edges

    dark = np.asarray(img) < 150
    min_len = max(40, img.width // 40)
    edges: list[dict] = []
    for y, a, b in _runs(dark, min_len):
        edges.append({"x0": a, "x1": b, "top": y, "bottom": y, "width": b - a, "height": 0, "orientation": "h"})
    for x, a, b in _runs(dark.T, min_len):
        edges.append({"x0": x, "x1": x, "top": a, "bottom": b, "width": 0, "height": b - a, "orientation": "v"})
    if len(edges) < 4 or len(edges) > 20_000:
        return []
    edges = merge_edges(edges, snap_x_tolerance=4, snap_y_tolerance=4, join_x_tolerance=6, join_y_tolerance=6)
    cells = intersections_to_cells(edges_to_intersections(edges, 4, 4))
    return [t for t in cells_to_tables(cells) if len(t) >= 2]


def _reread(img: Any, tables: list, ink: set, boxes: list[Box], settings: OcrSettings) -> list[Box]:
    """Cells with marks that the page's reading missed or read with low confidence (a lone
    digit is easily lost on a whole page) are read again on their own: the cell's inside,
    enlarged, as one line of text.  The better reading of the two stands."""
    import numpy as np
    from PIL import ImageOps

    engine = _ENGINES["rapidocr"]
    out = list(boxes)
    for t in tables:
        for c in t:
            if c not in ink:
                continue
            x0, top, x1, bottom = c
            inside = [b for b in out if x0 <= (b.x0 + b.x1) / 2 <= x1 and top <= (b.top + b.bottom) / 2 <= bottom]
            if inside and min(b.conf for b in inside) >= settings.low:
                continue
            m = max(4, int((bottom - top) * 0.12))
            crop = img.crop((int(x0) + m, int(top) + m, int(x1) - m, int(bottom) - m))
            if crop.width < 4 or crop.height < 4:
                continue
            crop = ImageOps.expand(crop.resize((crop.width * 2, crop.height * 2)), border=24, fill=255)
            res, _ = engine(np.asarray(crop.convert("RGB")), use_det=False, use_cls=False)
            if not res:
                continue
            text, conf = str(res[0][0]).strip(), float(res[0][1])
            if text and (not inside or conf > min(b.conf for b in inside)):
                out = [b for b in out if b not in inside]
                out.append(Box(text, x0 + m, top + m, x1 - m, bottom - m, conf))
    return out


def _cut(boxes: list[Box], xs: list[float]) -> list[Box]:
    """A box that runs over a column line (two cells' numbers read as one line) cut at the line,
    its text in proportion."""
    out: list[Box] = []
    for b in boxes:
        inner = sorted(x for x in xs if b.x0 + 3 < x < b.x1 - 3)
        if not inner:
            out.append(b)
            continue
        edges = [b.x0, *inner, b.x1]
        n = len(b.text)
        for a, z in zip(edges, edges[1:]):
            i = round(n * (a - b.x0) / (b.x1 - b.x0))
            j = round(n * (z - b.x0) / (b.x1 - b.x0))
            if b.text[i:j].strip():
                out.append(Box(b.text[i:j].strip(), a, b.top, z, b.bottom, b.conf))
    return out


# -----------------------------------------------------------------------------------------
# the document


@dataclass
class _Page:
    number: int  # from 1
    boxes: list[Box]
    tables: list[list[tuple[float, float, float, float]]]
    scale: float  # pixels per point
    ink: set[tuple[float, float, float, float]] = field(default_factory=set)  # cells with marks in them


def _inked(img: Any, tables: list[list[tuple[float, float, float, float]]]) -> set[tuple[float, float, float, float]]:
    """The cells that hold marks (dark pixels away from their borders): a cell where the engine
    read nothing but that is not empty is unread, not blank."""
    import numpy as np

    a = np.asarray(img) < 128
    out = set()
    for t in tables:
        for c in t:
            x0, top, x1, bottom = (int(round(v)) for v in c)
            m = max(4, int((bottom - top) * 0.15))
            inner = a[top + m:bottom - m, x0 + m:x1 - m]
            if inner.size and int(inner.sum()) >= 12:
                out.add(c)
    return out


@dataclass
class _Read:
    pages: list[_Page] = field(default_factory=list)
    skipped: int = 0  # pages not read within the budget


def _read_pages(images: list[Any], settings: OcrSettings, scale: float) -> _Read:
    """OCR the pages: the first (the title), then those that draw tables, then the others,
    within the time budget."""
    reader = _READERS[settings.engine]
    score = [_table_score(im) for im in images]
    order = sorted(range(len(images)), key=lambda i: (i != 0, score[i] < settings.table_rules, i))
    out = _Read()
    start = time.monotonic()
    for i in order:
        if time.monotonic() - start > settings.seconds:
            out.skipped += 1
            continue
        img, _angle = deskew(images[i])
        tables = ruled_cells(img)
        boxes = reader(img)
        if tables:
            boxes = _cut(boxes, sorted({x for t in tables for c in t for x in (c[0], c[2])}))
        ink = _inked(img, tables)
        if tables and settings.engine == "rapidocr":
            boxes = _reread(img, tables, ink, boxes, settings)
        out.pages.append(_Page(i + 1, boxes, tables, scale, ink))
    out.pages.sort(key=lambda p: p.number)
    return out


def _where(pno: int, x: float, y: float) -> str:
    return f"第{pno}页（x={x:.0f}，y={y:.0f}）"


def _cell_text(boxes: list[Box]) -> str:
    bs = sorted(boxes, key=lambda b: (b.top, b.x0))
    lines: list[list[Box]] = []
    for b in bs:
        if lines and abs(lines[-1][0].top - b.top) < (b.bottom - b.top) / 2:
            lines[-1].append(b)
        else:
            lines.append([b])
    return "".join(_join_words([(b.text, b.x0, b.x1, b.bottom - b.top) for b in sorted(line, key=lambda b: b.x0)])
                   for line in lines).strip()


def _join_words(parts: list[tuple[str, float, float, float]]) -> str:
    """Pieces of one line (text, x0, x1, height), left to right: a space only where two pieces of
    Latin letters or digits stand apart (Chinese text has none; a number the engine cut in two
    stays one)."""
    out = ""
    prev_x1 = None
    for text, x0, x1, h in parts:
        if out and out[-1].isascii() and out[-1].isalnum() and text[:1].isascii() and text[:1].isalnum() \
                and prev_x1 is not None and x0 - prev_x1 > h * 0.4:
            out += " "
        out += text
        prev_x1 = x1
    return out


def _grid_tables(page: _Page, conf: dict[str, float]) -> tuple[list[Table], list[Box]]:
    """The page's ruled tables as grids (each recognised box in the cell holding its centre);
    the boxes outside every table are returned for the loose text."""
    from pdfplumber.table import Table as _PTable

    used: set[int] = set()
    out: list[Table] = []
    s = page.scale
    for ti, cells in enumerate(page.tables, 1):
        rows: list[list] = []
        for row in _PTable(None, cells).rows:  # type: ignore[arg-type]
            line = []
            for bbox in row.cells:
                if bbox is None:
                    line.append(None)
                    continue
                x0, top, x1, bottom = bbox
                inside = [k for k, b in enumerate(page.boxes)
                          if x0 <= (b.x0 + b.x1) / 2 <= x1 and top <= (b.top + b.bottom) / 2 <= bottom]
                used.update(inside)
                where = _where(page.number, x0 / s, top / s)
                if inside:
                    conf[where] = min(page.boxes[k].conf for k in inside)
                elif bbox in page.ink:
                    conf[where] = 0.0  # marks the engine could not read: not a blank cell
                line.append(_cell(_cell_text([page.boxes[k] for k in inside]), where))
            rows.append(line)
        out.append(Table(rows, f"第{page.number}页 表格{ti}（扫描件）"))
    return out, [b for k, b in enumerate(page.boxes) if k not in used]


def _cell(text: str, where: str):
    from .grid import Cell

    return Cell(text, where)


def _words(boxes: list[Box], scale: float) -> list[dict]:
    words = []
    for b in boxes:
        parts = [p for p in _SPACE.split(b.text.strip()) if p]
        total = sum(len(p) for p in parts) + len(parts) - 1
        at = 0
        for p in parts:
            a = b.x0 + (b.x1 - b.x0) * at / total
            z = b.x0 + (b.x1 - b.x0) * (at + len(p)) / total
            at += len(p) + 1
            words.append({"text": p, "x0": a / scale, "x1": z / scale, "top": b.top / scale,
                          "bottom": b.bottom / scale, "conf": b.conf})
    words.sort(key=lambda w: (round(w["top"] / 4), w["x0"]))
    return words


def _document(read: _Read, kind: str, pages: int, settings: OcrSettings) -> Document:
    from .words import word_tables

    conf: dict[str, float] = {}
    tables: list[Table] = []
    run: list[tuple[int, list[dict]]] = []
    lines: list[tuple[str, str]] = []
    text_lines: list[str] = []
    for page in read.pages:
        grids, rest = _grid_tables(page, conf)
        tables.extend(grids)
        words = _words(rest, page.scale)
        for w in words:
            conf.setdefault(_where(page.number, w["x0"], w["top"]), w["conf"])
        if not grids:  # a table without ruling lines: from the words' positions
            if run and run[-1][0] != page.number - 1:
                tables.extend(word_tables(run))
                run = []
            if words:
                run.append((page.number, words))
        for k, line in enumerate(_lines(_words(page.boxes, page.scale)), 1):
            text_lines.append(line)
            if not grids:
                lines.append((line, f"第{page.number}页第{k}行"))
    if run:
        tables.extend(word_tables(run))
    if lines:
        tables.append(Table(tokens_to_rows(lines), "正文"))
    doc = Document(kind, "\n".join(text_lines), tables, pages=pages)
    doc.ocr = conf
    doc.notes.append(("published.ocr", {"pages": len(read.pages), "engine": settings.engine, "dpi": settings.dpi}))
    if read.skipped:
        doc.notes.append(("published.ocr_partial", {"pages": len(read.pages), "skipped": read.skipped,
                                                    "seconds": int(settings.seconds)}))
    return doc


def _lines(words: list[dict]) -> list[str]:
    """The words of a page as lines of text (top to bottom, left to right)."""
    out: list[list[dict]] = []
    for w in sorted(words, key=lambda w: (w["top"], w["x0"])):
        h = w["bottom"] - w["top"]
        if out and abs(out[-1][0]["top"] - w["top"]) < h / 2:
            out[-1].append(w)
        else:
            out.append([w])
    return [_join_words([(w["text"], w["x0"], w["x1"], w["bottom"] - w["top"]) for w in sorted(line, key=lambda w: w["x0"])])
            for line in out]


def ocr_pdf(data: bytes, pages: int, settings: OcrSettings = DEFAULT) -> Document:
    """An image-only PDF (``pages`` pages) → Document."""
    if not engine_available(settings.engine):
        raise OcrUnavailable(settings.engine)
    images = render_pdf(data, settings)
    return _document(_read_pages(images, settings, settings.dpi / 72), "scan", pages, settings)


def ocr_images(data: bytes, settings: OcrSettings = DEFAULT) -> Document:
    """A picture (one or more pages) → Document.  Its resolution is taken as ``settings.dpi``
    when the file does not say (positions only need to be consistent within a page)."""
    if not engine_available(settings.engine):
        raise OcrUnavailable(settings.engine)
    images = open_images(data, settings)
    return _document(_read_pages(images, settings, settings.dpi / 72), "image", len(images), settings)
