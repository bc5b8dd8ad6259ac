"""Scans made the way scans are made: a real published report's transcribed tables
(tests/fixtures/published*.json) rendered to Word by ``published_media``, to PDF by
LibreOffice, rasterised, then degraded as a scanner and a stamp degrade paper: a lower
resolution, a page turned by up to 2°, noise, JPEG compression and a red stamp over part of
a table.  The result is an image-only PDF (no text layer) or a picture.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from pathlib import Path

from kit import published_media as pm
from kit.lo import lo_convert


@dataclass(frozen=True)
class Degrade:
    dpi: int = 200
    angle: float = 0.0  # degrees
    noise: float = 0.0  # standard deviation of grey-level noise
    jpeg: int | None = None  # JPEG quality
    stamp: bool = False  # a red seal over the upper right of each table page
    grey: bool = False  # saved in grey (a stamp then stays as a grey mark) instead of colour
    seed: int = 7

    @property
    def name(self) -> str:
        parts = [f"{self.dpi}dpi"] + (["grey"] if self.grey else [])
        if self.angle:
            parts.append(f"rot{self.angle:g}")
        if self.noise:
            parts.append(f"noise{self.noise:g}")
        if self.jpeg:
            parts.append(f"jpeg{self.jpeg}")
        if self.stamp:
            parts.append("stamp")
        return "-".join(parts)


def text_pdf(fixture: str, outdir: Path) -> Path:
    """The fixture as a text PDF (Word file through LibreOffice)."""
    outdir.mkdir(parents=True, exist_ok=True)
    docx = pm.write_docx(pm.load(fixture), outdir / (Path(fixture).stem + ".docx"))
    return lo_convert([docx], "pdf:writer_pdf_Export", outdir)[0]


def pages(pdf: Path, d: Degrade) -> list:
    """The PDF's pages as degraded greyscale images."""
    import numpy as np
    import pypdfium2 as pdfium
    from PIL import Image, ImageDraw

    rnd = random.Random(d.seed)
    doc = pdfium.PdfDocument(pdf.read_bytes())
    out = []
    for i in range(len(doc)):
        img = doc[i].render(scale=d.dpi / 72).to_pil().convert("RGB")
        if d.stamp:
            seal = Image.new("RGBA", img.size, (0, 0, 0, 0))
            draw = ImageDraw.Draw(seal)
            r = int(d.dpi * 0.75)
            cx, cy = int(img.width * 0.62), int(img.height * (0.25 + 0.1 * (i % 3)))
            for k in range(4):
                draw.ellipse((cx - r + k, cy - r + k, cx + r - k, cy + r - k), outline=(220, 30, 30, 150))
            draw.regular_polygon((cx, cy, r // 4), 5, fill=(220, 30, 30, 130))
            img = Image.alpha_composite(img.convert("RGBA"), seal).convert("RGB")
        if d.angle:
            img = img.rotate(d.angle * (1 if i % 2 == 0 else -1), resample=Image.BICUBIC, fillcolor=(255, 255, 255))
        page = img.convert("L") if d.grey else img
        if d.noise:
            a = np.asarray(page).astype(np.float32)
            a += np.random.default_rng(d.seed + i).normal(0, d.noise, a.shape[:2])[(...,) + ((None,) if a.ndim == 3 else ())]
            page = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))
        if d.jpeg:
            buf = io.BytesIO()
            page.save(buf, format="JPEG", quality=d.jpeg)
            page = Image.open(io.BytesIO(buf.getvalue()))
            page.load()
        out.append(page)
        rnd.random()
    doc.close()
    return out


def scan_pdf(pdf: Path, d: Degrade, out: Path) -> Path:
    """An image-only PDF of the degraded pages."""
    imgs = pages(pdf, d)
    imgs[0].save(out, format="PDF", save_all=True, append_images=imgs[1:], resolution=d.dpi)
    return out


def scan_png(pdf: Path, d: Degrade, out: Path, page: int = 1) -> Path:
    """One degraded page as a PNG picture."""
    pages(pdf, d)[page - 1].save(out, format="PNG", dpi=(d.dpi, d.dpi))
    return out


def score(imported, fixture: dict) -> dict:
    """Cells of the fixture read exactly / unknown (with a finding naming the cell) / wrong."""
    from gipr.values import parse_printed

    spec = imported.report.spec
    named = {f.cell for f in imported.findings if f.cell}
    out = {"exact": 0, "unknown": 0, "unknown_unexplained": [], "wrong": []}
    for cid, printed in fixture["printed"].items():
        want = parse_printed(printed, spec.cells[cid].type, None, {"integer": False, "decimals": 6})
        got = imported.report.values.get(cid)
        if got is None or got.state not in ("number", "blank") or got.code not in (None, "value.converted"):
            out["unknown"] += 1
            label = spec.cells[cid].row_path[-1] if spec.cells[cid].row_path else ""
            table = spec.cells[cid].table
            if cid not in named and not any((f.code == "published.row_missing" and label in f.message)
                                            or (f.code == "layout.table_missing" and f"表{table}" in f.message)
                                            for f in imported.findings):
                out["unknown_unexplained"].append(cid)
            continue
        w = want.number if want.state == "number" else None
        g = got.number if got.state == "number" else None
        if w == g:
            out["exact"] += 1
        else:
            out["wrong"].append((cid, printed, g))
    return out
