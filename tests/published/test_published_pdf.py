"""The PDF and media side of reading published reports, on the real documents of
tests/realdocs/ (sources cited in each expected.json): a ruled table whose （六）其他处理 label
spans two columns is aligned by position; the text of a PDF is its paragraphs (the text
checks see a sentence that wraps); PDFium's words and ruling lines give pdfplumber's tables;
titles that wrap give issuer and year; an amount without a unit in a 万元 cell is said; the
one table of media."""

from __future__ import annotations

import json
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from kit.paths import REALDOCS

from gipr import files, media
from gipr.check import CheckContext, check_report
from gipr.published import import_document
from gipr.published.core import parse_document

REAL = REALDOCS
HONGZE = ("huaian-hongze-2023", "huaian-hongze-2024")


def _expected(doc: str) -> dict:
    return json.loads((REAL / doc / "expected.json").read_text(encoding="utf-8"))


def _pdfs() -> list[Path]:
    return sorted(REAL.glob("*/report.pdf"))


@pytest.mark.parametrize("doc", HONGZE)
def test_group_row_with_label_over_two_columns_is_read_by_position(doc):
    """（六）其他处理 printed as one row whose label box spans the empty sub-label column: its
    seven numbers are the group's (not eight cells that cannot be aligned), and （七）总计
    after it is read."""
    exp = _expected(doc)["tables"]["t3"]
    imp = import_document(REAL / doc / "report.pdf")
    rep = imp.report
    codes = [f.code for f in imp.findings]
    assert "published.row_unaligned" not in codes and "published.row_missing" not in codes
    assert codes.count("published.group_row") == 1
    cols = ("person", "business", "research", "nonprofit", "legal", "other", "total")
    groups = {tuple(sorted(g)): n for g, n in rep.groups}
    for i, col in enumerate(cols):
        cells = tuple(sorted(f"t3.other{k}.{col}" for k in (1, 2, 3)))
        assert groups[cells] == exp["other"][i], col
        assert rep.values[f"t3.total.{col}"].number == exp["total"][i], col


def test_text_against_table_warning_on_a_ruled_pdf():
    """The text says 受理 17 件 over a wrapped line; the table's 一、本年新收 总计 is 95."""
    imp = import_document(REAL / "huaian-hongze-2024" / "report.pdf")
    assert "受理政府信息公开申请 17 件" in imp.text  # the wrapped line is joined again
    found = check_report(imp.report, CheckContext())
    said = [f for f in found if f.code == "published.text_mismatch"]
    assert len(said) == 1 and said[0].cell == "t3.new.total" and "17" in said[0].message and "95" in said[0].message


def test_pdf_text_is_paragraphs_and_keeps_its_short_lines():
    text = parse_document((REAL / "huaian-city-2024" / "report.pdf").read_bytes(), "report.pdf", ".pdf").text
    lines = text.split("\n")
    # a paragraph over several printed lines is one line; the title's two lines and page numbers stay apart
    assert any("全市共受理政府信息公开申请 3119 件，答复 3050 件" in x for x in lines)
    assert "淮安市人民政府" in lines and "2024 年政府信息公开工作年度报告" in lines
    assert sum(1 for x in lines if x.strip() in ("- 1 -", "-1-")) <= 1 and "- 3 -" in lines


@pytest.mark.parametrize("pdf", _pdfs(), ids=lambda p: p.parent.name)
def test_pdfium_lines_give_pdfplumbers_tables(pdf):
    """The ruling lines read with PDFium and the indexed cell search give exactly the tables
    pdfplumber finds with its own (pdfminer) layout, page by page."""
    import pdfplumber
    import pypdfium2 as pdfium

    from gipr.published.pdflayout import find_tables, page_edges

    def same(a, b) -> bool:  # the same grids, boxes within a tenth of a point (float rounding)
        shape = [[[c is None for c in row] for row in t] for t in a]
        return shape == [[[c is None for c in row] for row in t] for t in b] and all(
            abs(u - v) <= 0.1 for ta, tb in zip(a, b) for ra, rb in zip(ta, tb) for ca, cb in zip(ra, rb)
            if ca is not None for u, v in zip(ca, cb))

    doc = pdfium.PdfDocument(pdf.read_bytes())
    with pdfplumber.open(pdf) as plumber:
        for i, page in enumerate(plumber.pages):
            want = [[r.cells for r in t.rows] for t in page.find_tables()]
            edges, _n = page_edges(doc[i], 5000)
            got = find_tables(doc[i], edges)
            assert same(got, want), f"page {i + 1}: {len(got)} tables, pdfplumber {len(want)}"
    doc.close()


@pytest.mark.parametrize("doc", sorted(p.parent.name for p in REAL.glob("*/expected.json")))
def test_issuer_and_year_from_the_title_of_every_real_document(doc):
    """Titles as published: on two or three lines (“淮安市洪泽区人民政府” / “2024 年…”, “2024 年上海市科委
    政府信息公开工作” / “年度报告”), after a crawler's “标题：” or a converter's “#”."""
    from gipr.published.title import find_title

    exp = _expected(doc)
    for src in exp["sources"]:
        f = REAL / doc / src["file"]
        text = parse_document(f.read_bytes(), f.name, f.suffix.lower()).text
        _title, unit, year = find_title(text)
        assert (unit, year) == (exp["issuer"], exp["year"]), src["file"]


@pytest.mark.parametrize("text,unit,year", [
    ("- 1 -\n宿迁市人民政府 2024 年政府信息公\n开工作年度报告\n本报告由宿迁市人民政府办公室编制。", "宿迁市人民政府", 2024),
    ("正文\n2025 年上海市人民政府办公厅政府信息公开\n工作年度报告\n本年度报告根据……", "上海市人民政府办公厅", 2025),
    ("2025 年上海市人民政府办公厅\n政府信息公开工作年度报告\n本年度报告根据……", "上海市人民政府办公厅", 2025),
    ("标题：沭阳县发展和改革局2023年政府信息公开年度报告-沭阳县发改局\n发布时间：2024-01-20", "沭阳县发展和改革局", 2023),
    ("# 沐阳县人民政府 2025 年 政府信息公开工作年度报告", "沐阳县人民政府", 2025),
    ("平潭综合实验区海坛片区管理局关于2021年度政府信息公开工作年度报告区管委会办公室：", "平潭综合实验区海坛片区管理局", 2021),
])
def test_title_over_lines_and_behind_labels(text, unit, year):
    from gipr.published.title import find_title

    assert find_title(text)[1:] == (unit, year)


def test_a_sentence_that_mentions_a_report_is_no_title():
    from gipr.published.title import find_title

    assert find_title("根据《条例》，现将本局2023年政府信息公开工作年度报告公布如下。\n一、总体情况") == ("", None, None)


def test_amount_without_unit_in_a_wan_yuan_cell_is_said_once():
    """行政事业性收费 printed “7545” under 本年收费金额（单位：万元）: read as 7545 万元 and said
    (info, the digits as printed), once in gipr import and once in gipr check; 0 needs no unit."""
    from gipr.values import parse_printed

    assert parse_printed("0", "amount", "万元").code is None
    imp = import_document(REAL / "huaian-hongze-2024" / "report.pdf")
    v = imp.report.values["t2.fee.fee_amount"]
    assert v.number == Decimal("7545") and v.code == "value.converted"
    said = [f for f in imp.findings if f.code == "value.converted" and f.cell == "t2.fee.fee_amount"]
    assert len(said) == 1 and "“7545”没有写单位" in said[0].message and said[0].severity == "info"
    checked = [f for f in check_report(imp.report, CheckContext()) if f.cell == "t2.fee.fee_amount"]
    assert [f.code for f in checked] == ["value.converted"]


def test_accepted_suffixes_come_from_the_table_of_media():
    rows = media.MEDIA
    assert tuple(s for m in rows for s in m.suffixes) == files.DOCUMENT_SUFFIXES
    assert set(files.CHECK_SUFFIXES) == set(files.READABLE_SUFFIXES) | {s for m in rows if m.in_folders
                                                                       for s in m.suffixes}
    assert ".txt" in files.DOCUMENT_SUFFIXES and ".txt" not in files.CHECK_SUFFIXES
    assert len(set(files.DOCUMENT_SUFFIXES)) == len(files.DOCUMENT_SUFFIXES)  # one medium a suffix


def test_a_document_is_read_by_its_bytes_not_its_name(tmp_path):
    """A real PDF saved as .html and a real page text saved as .pdf are read as what they are."""
    pdf = shutil.copy(REAL / "huaian-hongze-2024" / "report.pdf", tmp_path / "年报.html")
    assert media.sniff(Path(pdf).read_bytes(), ".html").kind == "pdf"
    imp = import_document(pdf)
    assert imp.kind == "pdf" and imp.report.values["t3.total.total"].number == 95
    txt_doc = next(p.parent for p in sorted(REAL.glob("*/page.txt")))
    txt = shutil.copy(txt_doc / "page.txt", tmp_path / "年报.pdf")
    assert media.sniff(Path(txt).read_bytes(), ".pdf").kind == "text"
    assert parse_document(Path(txt).read_bytes(), "年报.pdf", ".pdf").kind == "text"
