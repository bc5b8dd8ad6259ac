"""The annual report document as Word and WPS open and print it: valid OOXML (so neither
offers to repair it; checked with openxml-audit's schema and semantic validation), each table
kept together (one page in LibreOffice's PDF; a heading stays with its text), a title
that breaks after the unit's name rather than leaving “报告” alone, and 同比 after every figure
the text states when last year is known."""

from __future__ import annotations

import re

import docx
import pytest
from kit.lo import lo_convert
from kit.paths import REPO

from gipr.report.run import data_from_workspace, workspace_jobs, write_jobs

PREV = REPO / "examples" / "2024年度汇总.xlsx"


@pytest.fixture(scope="module")
def documents(tmp_path_factory, example_workspace):
    tmp = tmp_path_factory.mktemp("report")
    ws = example_workspace(tmp / "ws", county="灵丘县")
    county, units = data_from_workspace(ws, include_errors=True, previous=PREV)
    jobs = workspace_jobs(tmp / "docs", county, units)
    write_jobs(jobs)
    return {j.who: j.out for j in jobs}


def test_documents_pass_the_ooxml_schema_check(documents):
    audit = pytest.importorskip("openxml_audit", reason="openxml-audit is a test dependency (pip install -e .[test])")
    for who in ("灵丘县", "县人民政府办公室", "东河镇人民政府"):
        result = audit.OpenXmlValidator().validate(str(documents[who]))
        assert result.is_valid and not result.errors, (who, [str(e) for e in result.errors[:5]])


def test_every_stated_figure_has_its_change_against_last_year(documents):
    for who in ("灵丘县", "县交通运输局"):
        paras = [p.text for p in docx.Document(str(documents[who])).paragraphs]
        figures = [t for t in paras if t.startswith("本年度") and "件" in t and "信息处理费" not in t
                   and "逾期" not in t]
        assert len(figures) == 4, figures  # 表二, 表三 (two sentences), 表四
        for t in figures:
            marked = re.sub(r"（同比(?:增加|减少)\d+件）|（与上年持平）", "（Y）", t)
            bare = re.findall(r"\d+件(?!（Y）)", marked)
            assert bare == [], (who, t)


def test_value_headers_break_between_words(documents):
    """Table 三's value columns hold three characters of 小五 on a line: its headers break after
    whole two-character words (商业/企业, 社会/公益/组织), not where the line is full (商业企/业)."""
    heads = {"三": {"商业\n企业", "科研\n机构", "社会\n公益\n组织", "法律\n服务\n机构", "自然人", "其他", "总计"},
             "四": {"结果\n维持", "结果\n纠正", "其他\n结果", "尚未\n审结", "总计"}}
    for who in ("灵丘县", "县人民政府办公室"):
        tables = docx.Document(str(documents[who])).tables
        t3 = next(t for t in tables if "申请人情况" in t.rows[0].cells[-1].text)
        t4 = next(t for t in tables if "行政复议" in t.rows[0].cells[0].text)
        for name, t in (("三", t3), ("四", t4)):
            texts = {c.text for r in t.rows[:3] for c in r.cells}
            assert heads[name] <= texts, (who, name, sorted(texts))
        # a break is a line break inside the one run of the cell (w:br), not separate paragraphs
        cell = next(c for r in t3.rows[:3] for c in r.cells if c.text.startswith("社会"))
        assert len(cell.paragraphs) == 1 and cell._tc.xml.count("<w:br/>") == 2


def test_title_breaks_after_a_name_that_does_not_fit(documents):
    """二号 小标宋 on the body's width holds about 18 characters (the issue's 灵丘县 title left
    “报告” alone on its second line): longer titles break after the name."""
    from gipr.report.document import _title

    # a unit's document names its county: 县人民政府办公室 of 灵丘县 is 灵丘县人民政府办公室
    for who, name in (("灵丘县", "灵丘县"), ("县人民政府办公室", "灵丘县人民政府办公室"),
                      ("东河镇人民政府", "灵丘县东河镇人民政府")):
        pars = docx.Document(str(documents[who])).paragraphs
        title = next(p for p in pars if p.text.endswith("工作年度报告"))
        assert title.text == f"{name}\n2025年政府信息公开工作年度报告"
        assert any(p.text.startswith(f"本报告由{name}依照") for p in pars)
    assert "<w:br/>" not in _title("县局", 2025).xml  # fits on one line: no break


@pytest.mark.libreoffice
def test_tables_are_kept_together(documents, soffice, tmp_path):
    import pypdfium2 as pdfium

    doc = docx.Document(str(documents["灵丘县"]))
    for t in doc.tables:  # every row but the last keeps with the next one
        keep = ["<w:keepNext/>" in r._tr.xml for r in t.rows]
        assert keep == [True] * (len(keep) - 1) + [False]
    pdf = pdfium.PdfDocument(str(lo_convert([documents["灵丘县"]], "pdf", tmp_path)[0]))
    raw = [pdf[i].get_textpage().get_text_range() for i in range(len(pdf))]
    pages = [re.sub(r"\s+", "", t) for t in raw]
    # the row labels do not wrap inside a word (the 禁止公/开); a group breaks after its number
    lines = {re.sub(r"[\s\d]+$", "", re.sub(r"\s+", "", line)) for t in raw for line in t.splitlines()}
    assert {"2.其他法律行政法规禁止公开", "（三）", "不予公开", "2.没有现成信息需要另行制作"} <= lines
    # the value headers break between words (the 商业企/业)
    assert {"企业", "公益", "组织", "服务"} <= lines
    assert not [x for x in lines if re.search("商业企|科研机|社会公|益组|法律服|务机", x)], lines
    for first, last in (("第二十条第（一）项", "行政事业性收费"), ("申请人情况", "四、结转下年度继续办理"),
                        ("行政复议行政诉讼", "尚未审结")):
        on = [i for i, t in enumerate(pages) if first in t]
        assert on and last in pages[on[0]], (first, last)
