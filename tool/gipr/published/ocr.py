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

import bisect
import io
import itertools
import math
import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from typing import Any

from .. import thirdparty
from ..catalogue.access import say
from ..errors import NeedsOcr, OcrUnavailable
from .grid import Document, PrintedCell, Table, tokens_to_rows
from .words import word_tables

__all__ = ["IMAGE_SUFFIXES", "OcrSettings", "OcrUnavailable", "engine_available", "ocr_images", "ocr_pdf"]

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff")


@dataclass(frozen=True)
class OcrSettings:
    dpi: int = 200  # pages are rendered at this resolution (the engines read 150-300 dpi well)
    engine: str = "rapidocr"  # "rapidocr" | "tesseract"
    max_pages: int = 50  # pages looked at in a scan
    max_pixels: int = 60_000_000  # a page image larger than this is refused (a picture bomb)
    # the OCR's budget in CPU seconds of the reader worker (the same on a busy machine as on an
    # idle one), inside the worker's wall-clock limit (core.OCR_SECONDS)
    seconds: float = 120.0
    low: float = 0.90  # a number read with less confidence is only kept when the rules confirm it
    table_rules: int = 3  # long vertical lines that make a page a table page (read first)


DEFAULT = OcrSettings()


def chosen_engine() -> str:
    """The engine to use: ``GIPR_OCR_ENGINE`` (none to read no scans; tesseract only for the
    comparison in benchmarks/bench_ocr.py, which found it reading digits wrong), else RapidOCR."""
    return os.environ.get("GIPR_OCR_ENGINE", "").strip().lower() or DEFAULT.engine


def engine_available(engine: str | None = None) -> bool:
    engine = engine or chosen_engine()
    if engine not in _READERS:
        return False
    if engine == "tesseract":
        return shutil.which("tesseract") is not None
    try:
        thirdparty.rapidocr_onnxruntime()
    except Exception:
        return False
    return True


# -----------------------------------------------------------------------------------------
# pages → images


def _grey(img: Any) -> Any:
    """A page in grey: from a colour scan, its red channel, in which a red seal (公章) over the
    table is as light as the paper and the black print stays black."""
    if img.mode in ("RGB", "RGBA", "P", "CMYK"):
        return img.convert("RGB").split()[0]
    return img.convert("L")


def render_pdf(data: bytes, settings: OcrSettings = DEFAULT) -> list[Any]:
    """The pages of a PDF as grey images at ``settings.dpi`` (PDFium)."""
    doc = thirdparty.pypdfium2().PdfDocument(data)
    try:
        out = []
        for i in range(min(len(doc), settings.max_pages)):
            page = doc[i]
            w, h = page.get_size()
            scale = settings.dpi / 72
            if w * h * scale * scale > settings.max_pixels:
                scale = math.sqrt(settings.max_pixels / (w * h))
            out.append(_grey(page.render(scale=scale).to_pil()))
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
        out.append(_grey(img))
    return out


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
    np = thirdparty.numpy()
    engine = _ENGINES.get("rapidocr")
    if engine is None:
        # pages are upright (deskew takes out small angles): no 180° classifier
        engine = _ENGINES["rapidocr"] = thirdparty.rapidocr_onnxruntime().RapidOCR(use_cls=False)
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


def skew(img: Any, limit: float = 3.0) -> tuple[float, int]:
    """(angle, lines): the page's skew in degrees (within ±``limit``, to 0.1°) — the angle at which
    the dark pixels, projected on the page's height, pile up most sharply (text lines and ruling
    lines lie flat) — and how many long vertical lines it draws (a ruled table draws one per
    column; text draws none).  The angle is found on the pixels' coordinates, so thin lines
    count as much as thick ones and no angle is favoured by resampling."""
    np = thirdparty.numpy()
    ys, xs = np.nonzero(np.asarray(img) < 128)
    if len(ys) < 100:
        return 0.0, 0
    if len(ys) > 120_000:  # a sample is enough
        pick = np.random.default_rng(0).choice(len(ys), 120_000, replace=False)
        ys, xs = ys[pick], xs[pick]
    ys = ys.astype(np.float64)
    xs = xs.astype(np.float64)

    def hist(deg: float):
        t = math.radians(deg)
        proj = ys * math.cos(t) + xs * math.sin(t)
        return np.bincount((proj - proj.min()).astype(np.int64))

    def score(deg: float) -> float:
        h = hist(deg)
        return float(np.dot(h, h))

    coarse = max((k / 5 for k in range(-int(limit * 5), int(limit * 5) + 1)), key=score)
    best = max((round(coarse + d, 1) for d in (-0.1, 0.0, 0.1)), key=score)
    return best, _column_lines(img, best)


def _column_lines(img: Any, angle: float) -> int:
    """How many unbroken vertical lines run down a good part of the page (a ruled table draws
    one per column; text, whose characters stand apart, none), on a half-size straight copy."""
    np = thirdparty.numpy()
    half = straighten(img.resize((max(1, img.width // 2), max(1, img.height // 2))), angle)
    dark = np.asarray(half) < 170
    runs = _runs(dark.T, max(20, half.height // 8))
    xs = sorted({x for x, _a, _b in runs})
    return sum(1 for i, x in enumerate(xs) if i == 0 or x - xs[i - 1] > 2)


def straighten(img: Any, angle: float) -> Any:
    from PIL import Image

    if abs(angle) < 0.05:
        return img
    return img.rotate(-angle, resample=Image.Resampling.BICUBIC, fillcolor=255)


def _runs(mask: Any, min_len: int) -> list[tuple[int, int, int]]:
    """(line, start, end) of every run of True of at least ``min_len`` along each row."""
    np = thirdparty.numpy()
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
    np = thirdparty.numpy()
    table = thirdparty.pdfplumber().table  # pdfplumber's edge → intersection → cell steps
    dark = np.asarray(img) < 190  # a thin line, blurred by scanning and straightening, is grey
    min_len = max(40, img.width // 40)
    edges: list[dict] = []
    for y, a, b in _runs(dark, min_len):
        edges.append({"x0": a, "x1": b, "top": y, "bottom": y, "width": b - a, "height": 0, "orientation": "h"})
    vertical = _runs(dark.T, 12)
    # a short vertical run is a column line only where a long one stands at the same x (a row
    # cut by the page's edge; a character's stroke stands nowhere near a column line)
    columns = sorted({x for x, a, b in vertical if b - a >= min_len})
    for x, a, b in vertical:
        k = bisect.bisect_left(columns, x - 2)
        if b - a >= min_len or (k < len(columns) and columns[k] <= x + 2):
            edges.append({"x0": x, "x1": x, "top": a, "bottom": b, "width": 0, "height": b - a, "orientation": "v"})
    if len(edges) < 4 or len(edges) > 20_000:
        return []
    edges = table.merge_edges(edges, snap_x_tolerance=4, snap_y_tolerance=4, join_x_tolerance=6, join_y_tolerance=6)
    cells = table.intersections_to_cells(table.edges_to_intersections(edges, 4, 4))
    return [t for t in table.cells_to_tables(cells) if len(t) >= 2]


_NUMERIC = re.compile(r"^[\d\s.,，。\-−]*$")


def _reread(img: Any, tables: list, ink: set, boxes: list[Box], settings: OcrSettings, m: int) -> list[Box]:
    """Every number cell is read a second time on its own (the cell's marks, cropped tight, as
    one line; all of a page's cells in batches), and the two readings must agree: a lone digit
    is easily lost on a whole page, and two neighbours' digits are easily read as one number.
    Where the readings differ, the cell's own stands with a confidence below ``settings.low``,
    so that the rules decide."""
    np = thirdparty.numpy()
    engine = _ENGINES["rapidocr"]  # made by the page's reading
    jobs = []  # (cell box, boxes inside it, page text, crop)
    for t in tables:
        for c in t:
            if c not in ink:
                continue
            x0, top, x1, bottom = c
            inside = [b for b in boxes if x0 <= (b.x0 + b.x1) / 2 <= x1 and top <= (b.top + b.bottom) / 2 <= bottom]
            page_text = "".join(b.text for b in sorted(inside, key=lambda b: b.x0)).replace(" ", "")
            if page_text and not _NUMERIC.match(page_text):
                continue  # a label: read as a whole page reads it
            crop = _ink_crop(img, (int(x0) + m, int(top) + m, int(x1) - m, int(bottom) - m))
            if crop is not None:
                jobs.append((c, inside, page_text, np.asarray(crop.convert("RGB"))))
    if not jobs:
        return boxes
    results, _ = engine.text_rec([j[3] for j in jobs])
    drop: set[int] = set()
    new_boxes = []
    for (c, inside, page_text, _img), (text, conf) in zip(jobs, results):
        text, conf = str(text).replace(" ", ""), float(conf)
        x0, top, x1, bottom = c
        page_conf = min((b.conf for b in inside), default=0.0)
        if not text and not page_text:
            continue
        if text == page_text:
            new = Box(text, x0 + m, top + m, x1 - m, bottom - m, max(conf, page_conf))
        else:  # two readings: the cell's own, doubted
            best = text if (conf >= page_conf or not page_text) and text else page_text
            new = Box(best, x0 + m, top + m, x1 - m, bottom - m, min(conf, page_conf, settings.low / 2))
        drop.update(id(b) for b in inside)
        new_boxes.append(new)
    return [b for b in boxes if id(b) not in drop] + new_boxes


def _doubted(b: Box, settings: OcrSettings) -> Box:
    """A number read once, by an engine without a second reading: below ``settings.low``, so
    that it stands only where the rules confirm or force it."""
    if _NUMERIC.match(b.text.replace(" ", "")) and b.conf >= settings.low:
        return Box(b.text, b.x0, b.top, b.x1, b.bottom, settings.low * 0.99, b.angle)
    return b


def _ink_crop(img: Any, box: tuple[int, int, int, int]) -> Any:
    """The marks inside ``box``, cropped tight, on a white margin, at a height the recogniser
    reads best (a number top-aligned in a tall cell is otherwise a speck)."""
    from PIL import Image, ImageOps

    np = thirdparty.numpy()

    x0, top, x1, bottom = box
    if x1 - x0 < 4 or bottom - top < 4:
        return None
    part = img.crop(box)
    ys, xs = np.nonzero(np.asarray(part) < 160)
    if len(ys) < 6:
        return None
    pad = 3
    tight = part.crop((max(0, int(xs.min()) - pad), max(0, int(ys.min()) - pad),
                       min(part.width, int(xs.max()) + pad + 1), min(part.height, int(ys.max()) + pad + 1)))
    k = 40 / max(1, tight.height)
    tight = tight.resize((max(1, round(tight.width * k)), 40), resample=Image.Resampling.BICUBIC)
    return ImageOps.expand(tight, border=12, fill=255)


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
        for a, z in itertools.pairwise(edges):
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


def _margin(scale: float) -> int:
    """Pixels kept clear of a cell's ruling lines (1.5 points: a line and its blur)."""
    return max(3, int(round(scale * 1.5)))  # noqa: RUF046 - scale may be a numpy float (round keeps it one before numpy 2)


def _inked(img: Any, tables: list[list[tuple[float, float, float, float]]], scale: float
           ) -> set[tuple[float, float, float, float]]:
    """The cells that hold marks (dark pixels away from their borders): a cell where the engine
    read nothing but that is not empty is unread, not blank."""
    np = thirdparty.numpy()
    a = np.asarray(img) < 128
    m = _margin(scale)
    out = set()
    for t in tables:
        for c in t:
            x0, top, x1, bottom = (int(round(v)) for v in c)  # noqa: RUF046 - v may be a numpy float
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
    skews = [skew(im) for im in images]
    order = sorted(range(len(images)), key=lambda i: (i != 0, skews[i][1] < settings.table_rules, i))
    out = _Read()
    start = time.process_time()  # this process's CPU time, its threads' included
    for i in order:
        if time.process_time() - start > settings.seconds:
            out.skipped += 1
            continue
        img = straighten(images[i], skews[i][0])
        tables = ruled_cells(img)
        boxes = reader(img)
        if tables:
            boxes = _cut(boxes, sorted({x for t in tables for c in t for x in (c[0], c[2])}))
        ink = _inked(img, tables, scale)
        if tables and settings.engine == "rapidocr":
            boxes = _reread(img, tables, ink, boxes, settings, _margin(scale))
        elif settings.engine != "rapidocr":  # one reading only (measured: confidently wrong digits):
            boxes = [_doubted(b, settings) for b in boxes]  # every number must be confirmed by the rules
        out.pages.append(_Page(i + 1, boxes, tables, scale, ink))
    out.pages.sort(key=lambda p: p.number)
    return out


def _where(pno: int, x: float, y: float) -> str:
    return say("published.ocr.where", pno=pno, x=x, y=y)


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
    _PTable = thirdparty.pdfplumber().table.Table

    used: set[int] = set()
    out: list[Table] = []
    s = page.scale
    for ti, cells in enumerate(page.tables, 1):
        rows: list[list] = []
        for row in _PTable(None, cells).rows:  # no page: only the rows of the cells are used
            line: list = []
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
                else:
                    conf[where] = 1.0  # looked at: no marks in it, a blank cell
                line.append(_cell(_cell_text([page.boxes[k] for k in inside]), where))
            rows.append(line)
        out.append(Table(rows, say("published.ocr.grid_tables", number=page.number, ti=ti)))
    return out, [b for k, b in enumerate(page.boxes) if k not in used]


def _cell(text: str, where: str):
    return PrintedCell(text, where)


def _words(boxes: list[Box], scale: float) -> list[dict]:
    words: list[dict[str, Any]] = []
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
                lines.append((line, say("published.ocr.document", number=page.number, k=k)))
    if run:
        tables.extend(word_tables(run))
    if lines:
        tables.append(Table(tokens_to_rows(lines), say("published.ocr.document_2")))
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


def _settings(settings: OcrSettings | None) -> OcrSettings:
    """The settings of a run: ``GIPR_OCR_ENGINE`` and ``GIPR_OCR_SECONDS`` (the CPU budget,
    never above the default: the worker's wall-clock limit is set for it) over the defaults."""
    if settings is not None:
        return settings
    from dataclasses import replace

    seconds = DEFAULT.seconds
    try:
        seconds = min(seconds, max(1.0, float(os.environ.get("GIPR_OCR_SECONDS", seconds))))
    except ValueError:
        pass
    return replace(DEFAULT, engine=chosen_engine(), seconds=seconds)


def ocr_pdf(data: bytes, pages: int, settings: OcrSettings | None = None) -> Document:
    """An image-only PDF (``pages`` pages) → Document."""
    settings = _settings(settings)
    if not engine_available(settings.engine):
        raise OcrUnavailable(settings.engine)
    images = render_pdf(data, settings)
    return _document(_read_pages(images, settings, settings.dpi / 72), "scan", pages, settings)


def ocr_images(data: bytes, settings: OcrSettings | None = None) -> Document:
    """A picture (one or more pages) → Document.  Its resolution is taken as ``settings.dpi``
    when the file does not say (positions only need to be consistent within a page)."""
    settings = _settings(settings)
    if not engine_available(settings.engine):
        raise OcrUnavailable(settings.engine)
    images = open_images(data, settings)
    return _document(_read_pages(images, settings, settings.dpi / 72), "image", len(images), settings)


def read_image(data: bytes, name: str, suffix: str) -> Document:
    """The parser of the table of media's picture row: a picture is read by OCR, in a run with
    the OCR's own limits (:class:`gipr.errors.NeedsOcr`)."""
    raise NeedsOcr(None)
