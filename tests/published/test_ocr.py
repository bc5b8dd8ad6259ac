"""Scanned reports (issue 22): image-only PDFs and pictures read by OCR (``gipr[ocr]``), the rules
deciding which numbers stand.  The scans are made from real published reports' transcribed
tables (tests/fixtures), rendered by LibreOffice and degraded (tests/kit/scanmaker.py): every cell
must be read exactly or be unknown with a finding that names it; none may be wrong.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from kit import published_media as pm
from kit import scanmaker as sm

from gipr.published import import_document
from gipr.published.ocr import engine_available

needs_ocr = pytest.mark.skipif(not engine_available(), reason="the OCR extra is not installed (pip install 'gipr[ocr]')")


@pytest.fixture(scope="module")
def text_pdfs(tmp_path_factory, soffice):
    d = tmp_path_factory.mktemp("ocr-src")
    return {name: sm.text_pdf(name, d) for name in ("published-shanghai-2019.json", "published-lingqiu-2021.json")}


CASES = [
    # the hard one: low resolution, turned, noisy, compressed, stamped
    ("published-shanghai-2019.json", sm.Degrade(dpi=150, angle=1.5, noise=12, jpeg=55, stamp=True)),
    # a report of zeros (the 2021 format): every printed 0 must stay 0, never blank
    ("published-lingqiu-2021.json", sm.Degrade(dpi=200, angle=-2, noise=8, jpeg=70)),
]


@needs_ocr
@pytest.mark.parametrize("name,degrade", CASES, ids=[f"{n.split('.')[0]}-{d.name}" for n, d in CASES])
def test_scanned_pdf_every_cell_exact_or_unknown_never_wrong(tmp_path, text_pdfs, name, degrade):
    scan = sm.scan_pdf(text_pdfs[name], degrade, tmp_path / "年报扫描件.pdf")
    imported = import_document(scan)
    fx = pm.load(name)
    s = sm.score(imported, fx)
    assert s["wrong"] == [], s
    assert s["unknown_unexplained"] == [], s
    # honest, and still useful: almost every cell is read
    assert s["exact"] >= 0.9 * len(fx["printed"]), s
    assert imported.report.year == fx["year"]
    assert any(f.code == "published.ocr" for f in imported.findings)
    # every OCR'd cell says so where it was read, with the engine's confidence
    read = [c for c, v in imported.report.values.items() if v.state == "number"]
    assert read and all("文字识别" in imported.provenance[c] for c in read)


@needs_ocr
def test_a_picture_of_one_page_is_read(tmp_path, text_pdfs):
    png = sm.scan_png(text_pdfs["published-lingqiu-2021.json"], sm.Degrade(dpi=200, angle=0.8), tmp_path / "第1页.png")
    imported = import_document(png)
    fx = pm.load("published-lingqiu-2021.json")
    s = sm.score(imported, fx)
    assert s["wrong"] == [] and s["unknown_unexplained"] == [], s
    t2 = [c for c in fx["printed"] if c.startswith("t2.")]
    assert all(imported.report.values[c].number == 0 for c in t2)  # table 二 is on page 1
    # the next document of the run reads as ever (the OCR's worker, grown past a text parse's
    # memory limit by its models, is not kept for it)
    docx = pm.write_docx(fx, tmp_path / "灵丘县教育科技局.docx")
    assert import_document(docx).report.values["t3.new.total"].number == 0


@needs_ocr
def test_the_rules_fill_a_lost_cell_and_say_so(tmp_path, text_pdfs):
    """A cell wiped out (a white patch over one number of a row whose other cells and total are
    printed) is forced by rule C and reported as filled, with the value."""

    from gipr.published.ocr_rules import settle
    from gipr.spec import load_format
    from gipr.values import Value

    spec = load_format("2021")
    values = {c: Value("number", 0) for c in spec.cells if c.startswith("t3.")}
    for row in ("new", "open", "total"):  # 9 applications, 7 from citizens, 2 from companies, all disclosed
        values[f"t3.{row}.person"] = Value("number", 7)
        values[f"t3.{row}.business"] = Value("number", 2)
        values[f"t3.{row}.total"] = Value("number", 9)
    where = {c: f"第1页（x={i}，y=0）" for i, c in enumerate(values)}
    conf = dict.fromkeys(where.values(), 0.99)
    conf[where["t3.new.person"]] = 0.0  # marks the engine could not read
    values["t3.new.person"] = Value("blank", None, "")
    findings = settle(spec, values, where, conf)
    assert values["t3.new.person"].number == 7
    assert [f.code for f in findings] == ["published.ocr_forced"]
    assert "7" in findings[0].message and findings[0].cell == "t3.new.person"
    # read as 1 with low confidence: the rules settle it through the total (A fixes 一's 总计
    # from the other rows, then C fixes 自然人), and say so
    values["t3.new.person"] = Value("number", 1)
    conf[where["t3.new.person"]] = 0.5
    conf[where["t3.new.total"]] = 0.5
    findings = settle(spec, values, where, conf)
    assert values["t3.new.person"].number == 7 and values["t3.new.total"].number == 9
    assert [(f.code, f.cell) for f in findings] == [("published.ocr_forced", "t3.new.person")]
    # nothing around it is sure (every cell of the table read with low confidence) and the
    # reading breaks the rules: unknown, never guessed
    values["t3.new.person"] = Value("number", 1)
    for cid in values:
        conf[where[cid]] = 0.5
    findings = settle(spec, values, where, conf)
    assert values["t3.new.person"].code == "published.ocr_unsure"
    assert values["t3.new.person"].number is None
    assert "t3.new.person" in {f.cell for f in findings if f.code == "published.ocr_unsure"}


def test_without_the_engine_a_scan_says_how_to_install_it(tmp_path):
    """The message names the file and the extra to install (run where the engine is hidden)."""
    from PIL import Image

    png = tmp_path / "扫描件.png"
    Image.new("L", (400, 300), 255).save(png)
    code = ("from gipr.errors import DocumentError\nfrom gipr.published import import_document\n"
            f"try:\n    import_document({str(png)!r})\nexcept DocumentError as e:\n    print(e.code); print(e)\n")
    env = {**os.environ, "GIPR_OCR_ENGINE": "none"}  # as where the extra is not installed
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert out.returncode == 0, out.stderr
    code_line, message = out.stdout.splitlines()[:2]
    assert code_line == "doc.image"
    assert "扫描件.png" in message and "gipr[ocr]" in message


@needs_ocr
def test_a_long_scan_ends_within_its_budget_with_the_tables(tmp_path, text_pdfs):
    """A 50-page scan whose tables are on its last pages (a report bound after 46 pages of other
    papers): the pages that draw tables are read first, the budget ends the rest, and the run
    says how many pages were not read; the tables are read all the same."""
    import pypdfium2 as pdfium
    from PIL import Image, ImageDraw

    d = sm.Degrade(dpi=150, angle=0.7)
    report = sm.pages(text_pdfs["published-lingqiu-2021.json"], d)
    prose = []
    for _ in range(50 - len(report)):
        img = Image.new("L", report[0].size, 255)
        draw = ImageDraw.Draw(img)
        for k in range(30):  # lines of 'characters' (ink without ruling lines)
            y = 120 + k * 55
            for x in range(150, img.width - 150 - (k * 37) % 300, 30):
                draw.rectangle((x, y, x + 22, y + 22), fill=40)
        prose.append(img)
    pages = prose + [p.convert("L") for p in report]
    scan = tmp_path / "装订的扫描件.pdf"
    pages[0].save(scan, format="PDF", save_all=True, append_images=pages[1:], resolution=150)
    assert len(pdfium.PdfDocument(scan.read_bytes())) == 50
    env = {**os.environ, "GIPR_OCR_SECONDS": "30"}  # a smaller CPU budget: the same logic, sooner
    code = ("import json\nfrom gipr.published import import_document\n"
            f"imp = import_document({str(scan)!r})\n"
            "print(json.dumps({'codes': [f.code for f in imp.findings], 'year': imp.report.year,"
            " 'zeros': sum(1 for v in imp.report.values.values() if v.state == 'number' and v.number == 0)}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600, env=env)
    assert out.returncode == 0, out.stderr[-2000:]
    got = __import__("json").loads(out.stdout.strip().splitlines()[-1])
    assert "published.ocr_partial" in got["codes"]
    assert got["zeros"] >= 150  # the report's tables (all zeros) were read though they come last
