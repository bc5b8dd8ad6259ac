"""gipr report: the annual report document (.docx, PDF).

Everything is checked on real files read back: the unit workbooks are gipr templates filled
by ``write_template(values=…)``; the expected numbers come straight from those workbooks with
calamine (``test_merge.independent_sum``), never through gipr's reader; the document is read
back with python-docx (its table XML: gridSpan / vMerge) and the PDF with pdfplumber.  The
expected layout is the format file's label tree (``TableLayout.labels``: text and merge range).
LibreOffice runs once per PDF fixture (it converts several documents in one process).
"""

from __future__ import annotations

import random
import re
from decimal import Decimal
from pathlib import Path

import pytest
from docx import Document
from docx.oxml.ns import qn
from kit.county import cli, flat, independent_sum, make_unit_file, rollup_table_values
from kit.helpers import consistent_values
from kit.paths import EXAMPLES

from gipr.report.figures import change_text
from gipr.spec import formats_dir, load_format

TEMPLATE = formats_dir() / "report.docx"
SPECS = {"2021": load_format("2021"), "2019": load_format("2019")}
YEARS = {"2021": 2025, "2019": 2020}
UNIT = ("U01", "县测试局", "县直部门")
HANGING = "，。、；：？！）》」』”"


# ------------------------------------------------------------------------------------
# reading a document back


def docx_tables(path: Path) -> list[dict[tuple[int, int], tuple[str, int, int]]]:
    """Each table as {(row, col): (text, rowspan, colspan)} of its merged regions' top-left
    cells, computed from the XML (w:gridSpan across, w:vMerge restart/continue down)."""
    doc = Document(str(path))
    out = []
    for tbl in doc.element.body.iter(qn("w:tbl")):
        regions: dict[tuple[int, int], list] = {}
        open_v: dict[int, tuple[int, int]] = {}  # column -> anchor of a vertical merge in progress
        for r, tr in enumerate(tbl.iter(qn("w:tr"))):
            c = 0
            for tc in tr.iter(qn("w:tc")):
                pr = tc.find(qn("w:tcPr"))
                span_el = pr.find(qn("w:gridSpan")) if pr is not None else None
                span = int(span_el.get(qn("w:val"))) if span_el is not None else 1
                vm = pr.find(qn("w:vMerge")) if pr is not None else None
                text = "".join(t.text or "" for t in tc.iter(qn("w:t")))
                if vm is not None and vm.get(qn("w:val")) != "restart":
                    anchor = open_v[c]
                    regions[anchor][1] += 1
                    assert text == "", f"text in a merged-away cell at {(r, c)}: {text}"
                else:
                    regions[(r, c)] = [text, 1, span]
                    if vm is not None:
                        open_v[c] = (r, c)
                c += span
        out.append({k: (v[0], v[1], v[2]) for k, v in regions.items()})
    return out


def need_writer(soffice: str) -> None:
    program = Path(soffice).resolve().parent
    if not any(program.glob("libswlo.*")) and not any(program.glob("swlo.dll")):
        pytest.skip("LibreOffice Writer is not installed (Debian: apt-get install libreoffice-writer-nogui)")


def paragraphs(path: Path) -> list[str]:
    return [p.text for p in Document(str(path)).paragraphs]


def number(text: str) -> Decimal | None:
    return None if text == "" else Decimal(text)


def table_values(path: Path, spec) -> dict[str, Decimal | None]:
    """Every value cell of the document's three tables, by cell id (by its official position)."""
    tables = docx_tables(path)
    out = {}
    for t, regions in zip(spec.tables, tables):
        for cid in t.cells:
            c = spec.cells[cid]
            out[cid] = number(regions[(c.rowx - t.first_row, c.colx)][0])
    return out


# ------------------------------------------------------------------------------------
# fixtures


def unit_values(spec, seed: int) -> dict:
    return consistent_values(spec, random.Random(seed), high=40)


@pytest.fixture(scope="module")
def units(tmp_path_factory):
    """A clean 2021 unit (2025) with last year's file, and a clean 2019 unit (2020)."""
    d = tmp_path_factory.mktemp("report_units")
    out = {}
    for fmt, spec in SPECS.items():
        vals = unit_values(spec, 7 if fmt == "2021" else 8)
        out[fmt] = make_unit_file(d / fmt, UNIT, vals, year=YEARS[fmt], spec=spec)
    return d, out


@pytest.fixture(scope="module")
def documents(units, tmp_path_factory):
    _d, files = units
    outd = tmp_path_factory.mktemp("report_docs")
    docs = {}
    for fmt, f in files.items():
        docs[fmt] = outd / f"{fmt}.docx"
        assert cli("report", f, "--out", docs[fmt]) == 0
    return docs


# ------------------------------------------------------------------------------------
# tables


@pytest.mark.parametrize("fmt", ["2021", "2019"])
def test_every_table_cell_and_merged_region_matches_the_format_and_the_source(fmt, units, documents):
    spec = SPECS[fmt]
    expected = independent_sum([units[1][fmt]], spec)
    tables = docx_tables(documents[fmt])
    assert len(tables) == 3
    for t, regions in zip(spec.tables, tables):
        want_labels = {(lab.r0 - t.first_row, lab.c0): (lab.text, lab.r1 - lab.r0 + 1, lab.c1 - lab.c0 + 1)
                       for lab in t.labels if lab.kind != "title"}
        value_pos = {(spec.cells[cid].rowx - t.first_row, spec.cells[cid].colx): cid for cid in t.cells}
        # every region of the document is a label of the format (exact text and merge range) or a value cell
        assert set(regions) == set(want_labels) | set(value_pos), t.id
        for pos, want in want_labels.items():
            assert regions[pos] == want, (t.id, pos)
        for pos, cid in value_pos.items():
            text, rowspan, _ = regions[pos]
            assert rowspan == 1
            assert number(text) == expected[cid], (cid, text, expected[cid])


def test_header_rows_repeat_and_the_page_is_government_style(documents):
    doc = Document(str(documents["2021"]))
    sec = doc.sections[0]
    assert (round(sec.page_width.cm, 1), round(sec.page_height.cm, 1)) == (21.0, 29.7)
    assert [round(x.cm, 1) for x in (sec.top_margin, sec.bottom_margin, sec.left_margin, sec.right_margin)] == \
        [3.7, 3.5, 2.8, 2.6]
    body = doc.element.body
    tbls = list(body.iter(qn("w:tbl")))
    heads = [[tr.find(qn("w:trPr")) is not None and tr.find(qn("w:trPr")).find(qn("w:tblHeader")) is not None
              for tr in tbl.iter(qn("w:tr"))] for tbl in tbls]
    assert heads[1][:3] == [True, True, True] and not any(heads[1][3:])  # table 三: three header rows
    assert heads[2][:3] == [True, True, True] and not any(heads[2][3:])  # table 四
    assert not any(heads[0])  # table 二: blocks with their own headers
    text_width = round(21.0 - 2.8 - 2.6, 2)
    for tbl in tbls:
        cols = [int(g.get(qn("w:w"))) for g in tbl.find(qn("w:tblGrid")).iter(qn("w:gridCol"))]
        assert abs(sum(cols) / 567.0 - text_width) < 0.02  # twips → cm
    xml = body.xml
    title = doc.paragraphs[0]
    assert "年政府信息公开工作年度报告" in title.text
    run = title.runs[0]
    assert run.font.size.pt == 22
    assert run._r.rPr.rFonts.get(qn("w:eastAsia")) == "方正小标宋简体"
    body_par = next(p for p in doc.paragraphs if p.text.startswith("本报告由"))
    assert body_par.runs[0].font.size.pt == 16
    assert body_par.runs[0]._r.rPr.rFonts.get(qn("w:eastAsia")) == "仿宋_GB2312"
    footer = sec.footer._element.xml
    assert "PAGE" in footer
    assert "{{" not in xml and "{%" not in xml


def test_the_official_structure_in_order(documents):
    for fmt in ("2021", "2019"):
        pars = paragraphs(documents[fmt])
        heads = ["一、总体情况", "二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况",
                 "四、政府信息公开行政复议、行政诉讼情况", "五、存在的主要问题及改进情况", "六、其他需要报告的事项"]
        at = [pars.index(h) for h in heads]
        assert at == sorted(at)
        year = YEARS[fmt]
        assert pars[0] == f"县测试局\n{year}年政府信息公开工作年度报告"  # broken after the name: it would wrap
        pre = pars[1]
        assert "《中华人民共和国政府信息公开条例》" in pre and f"{year}年1月1日至{year}年12月31日" in pre
        assert "填报人：张三，联系电话：0999-1234567" in pre  # the contact, from the workbook's cover
        # the places people write, marked (highlighted) in 一、五、六
        for h in ("一、总体情况", "五、存在的主要问题及改进情况"):
            assert pars[pars.index(h) + 1].startswith("【请在此填写")
        assert pars[-1].startswith("【请在此填写") and "无" in pars[-1]
    doc = Document(str(documents["2021"]))
    mark = next(p for p in doc.paragraphs if p.text.startswith("【请在此填写"))
    assert mark.runs[0].font.highlight_color is not None  # yellow: visible in WPS/Word


def test_json_output(units, tmp_path, capsys):
    import json

    out = tmp_path / "j.docx"
    capsys.readouterr()
    assert cli("report", units[1]["2021"], "--out", out, "--json") == 0
    data = json.loads(capsys.readouterr().out)
    assert data["documents"] == [{"who": "县测试局", "docx": str(out), "pdf": None, "draft": False, "errors": 0,
                                  "review": [], "kind": "unit"}]


def test_the_fee_sentence_where_the_data_allows_it():
    from gipr.merge import complete
    from gipr.report.document import fee_sentence

    spec = SPECS["2021"]
    zero = complete(spec, {c.id: 0 for c in spec.inputs})
    assert fee_sentence(spec, zero) == "本年度未收到政府信息公开申请，未收取信息处理费。"
    some = dict(zero, **{"t3.new.person": 3})
    assert fee_sentence(spec, complete(spec, some)).startswith("【请填写")
    unpaid = dict(zero, **{"t3.new.person": 3, "t3.other2.person": 2})
    text = fee_sentence(spec, complete(spec, unpaid))
    assert text.startswith("本年度有2件申请因申请人逾期未按收费通知要求缴纳费用") and "【请填写" in text


# ------------------------------------------------------------------------------------
# sentences


def _sum(vals, *ids):
    return sum(vals[i] for i in ids)


SENTENCES = [
    # (pattern, cells of the table that it states)
    (r"新收政府信息公开申请(\d+)件", ["t3.new.total"]),
    (r"其中自然人提出(\d+)件", ["t3.new.person"]),
    (r"法人或其他组织提出(\d+)件", ["t3.new.business", "t3.new.research", "t3.new.nonprofit", "t3.new.legal",
                              "t3.new.other"]),
    (r"上年结转政府信息公开申请(\d+)件", ["t3.carry.total"]),
    (r"予以公开(\d+)件", ["t3.open.total"]),
    (r"部分公开(\d+)件", ["t3.partial.total"]),
    (r"不予公开(\d+)件", [f"t3.deny{i}.total" for i in range(1, 9)]),
    (r"无法提供(\d+)件", [f"t3.unable{i}.total" for i in range(1, 4)]),
    (r"不予处理(\d+)件", [f"t3.ignore{i}.total" for i in range(1, 6)]),
    (r"共计(\d+)件", ["t3.total.total"]),
    (r"结转下年度继续办理(\d+)件", ["t3.next.total"]),
    (r"被申请行政复议(\d+)件", ["t4.cases.review_total"]),
    (r"行政复议\d+件(?:（[^）]*）)?，其中结果维持(\d+)件", ["t4.cases.review_upheld"]),
    (r"被提起行政诉讼(\d+)件", ["t4.cases.direct_total", "t4.cases.after_total"]),
    (r"未经复议直接起诉(\d+)件", ["t4.cases.direct_total"]),
    (r"复议后起诉(\d+)件", ["t4.cases.after_total"]),
    (r"起诉\d+件），其中结果维持(\d+)件、结果纠正(\d+)件、其他结果(\d+)件、尚未审结(\d+)件",
     [["t4.cases.direct_upheld", "t4.cases.after_upheld"], ["t4.cases.direct_corrected", "t4.cases.after_corrected"],
      ["t4.cases.direct_other", "t4.cases.after_other"], ["t4.cases.direct_pending", "t4.cases.after_pending"]]),
    (r"制发规章(\d+)件", ["t2.regulation.issued"]),
    (r"规范性文件(\d+)件", ["t2.normative.issued"]),
    (r"行政许可决定(\d+)件", ["t2.license.decisions"]),
    (r"行政处罚决定(\d+)件", ["t2.penalty.decisions"]),
    (r"行政强制决定(\d+)件", ["t2.coercion.decisions"]),
]


def test_every_number_in_the_sentences_equals_the_table(documents):
    path = documents["2021"]
    text = "".join(paragraphs(path))
    table = table_values(path, SPECS["2021"])
    for pattern, cells in SENTENCES:
        m = re.search(pattern, text)
        assert m, pattern
        groups = cells if isinstance(cells[0], list) else [cells]
        for g, ids in zip(m.groups(), groups):
            assert Decimal(g) == _sum(table, *ids), (pattern, g)
    # no year-over-year words without --previous
    assert "同比" not in text and "持平" not in text
    # 其他处理 of 2021 sums its three rows
    m = re.search(r"其他处理(\d+)件", text)
    assert Decimal(m.group(1)) == _sum(table, "t3.other1.total", "t3.other2.total", "t3.other3.total")


def test_year_over_year_wording_increase_decrease_unchanged(units, tmp_path):
    spec = SPECS["2021"]
    this = unit_values(spec, 7)  # the values of the 2021 unit of the fixture
    last = dict(this)
    last["t3.new.person"] = this["t3.new.person"] - 2 if this["t3.new.person"] >= 2 else 0
    up = this["t3.new.person"] - last["t3.new.person"]
    last["t3.open.person"] = this["t3.open.person"] + 3  # 予以公开: 3 fewer this year
    prev = make_unit_file(tmp_path / "2024", UNIT, last, year=2024, spec=spec)
    out = tmp_path / "yoy.docx"
    assert cli("report", units[1]["2021"], "--previous", prev, "--out", out) == 0
    text = "".join(paragraphs(out))
    table = table_values(out, spec)
    new = table["t3.new.total"]
    wording = f"（同比增加{up}件）" if up else "（与上年持平）"
    assert f"新收政府信息公开申请{new}件{wording}" in text
    assert f"予以公开{table['t3.open.total']}件（同比减少3件）" in text
    assert f"部分公开{table['t3.partial.total']}件（与上年持平）" in text
    assert f"行政复议{table['t4.cases.review_total']}件（与上年持平）" in text
    assert change_text(5, 3) == "（同比增加2件）" and change_text(3, 5) == "（同比减少2件）"
    assert change_text(4, 4) == "（与上年持平）" and change_text(4, None) == ""
    assert change_text(Decimal("2.5"), 1) == "（同比增加1.5件）"


def test_previous_without_the_unit_is_refused(units, tmp_path, capsys):
    spec = SPECS["2021"]
    other = make_unit_file(tmp_path / "2024", ("Z99", "别的局", "县直部门"), unit_values(spec, 3), year=2024, spec=spec)
    out = tmp_path / "x.docx"
    capsys.readouterr()
    assert cli("report", units[1]["2021"], "--previous", other, "--out", out) == 2
    assert "没有“县测试局”的数据" in flat(capsys.readouterr().err)
    assert not out.exists()


# ------------------------------------------------------------------------------------
# errors, drafts, blanks, overwriting


@pytest.fixture(scope="module")
def broken(tmp_path_factory):
    """A unit whose 自然人 新收 is blank (an error) — blank must print as blank."""
    spec = SPECS["2021"]
    vals = unit_values(spec, 11)
    vals["t3.new.person"] = None
    d = tmp_path_factory.mktemp("broken")
    return make_unit_file(d, ("U02", "县有误局", "县直部门"), vals, year=2025, spec=spec)


def test_a_source_with_errors_is_refused_and_drafted_with_include_errors(broken, tmp_path, capsys):
    out = tmp_path / "b.docx"
    capsys.readouterr()
    assert cli("report", broken, "--out", out) == 2
    err = flat(capsys.readouterr().err)
    assert "未生成年度报告" in err and "--include-errors" in err
    assert not out.exists()
    assert cli("report", broken, "--out", out, "--include-errors") == 0
    assert "草稿（数据有误）" in flat(capsys.readouterr().err)
    pars = paragraphs(out)
    assert pars[0].startswith("草稿（数据有误）")
    table = table_values(out, SPECS["2021"])
    assert table["t3.new.person"] is None  # blank prints as blank, never 0
    assert table["t3.new.total"] is None  # a total over a blank is not a number either
    assert table["t3.new.business"] is not None
    assert "新收政府信息公开申请（未填写）件" in "".join(pars)


def test_a_clean_document_has_no_draft_mark(documents):
    assert not any("草稿" in p for p in paragraphs(documents["2021"]))


def test_an_existing_output_is_not_overwritten(units, tmp_path, capsys):
    out = tmp_path / "keep.docx"
    out.write_bytes(b"the clerk's own document")
    capsys.readouterr()
    assert cli("report", units[1]["2021"], "--out", out) == 2
    assert "文件已存在" in flat(capsys.readouterr().err)
    assert out.read_bytes() == b"the clerk's own document"
    assert cli("report", units[1]["2021"], "--out", out, "--force") == 0
    assert out.read_bytes()[:2] == b"PK"
    assert list(tmp_path.iterdir()) == [out]  # no temporary file left behind
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    assert cli("report", units[1]["2021"], "--out", blocker / "r.docx") == 2  # no traceback
    assert "不是文件夹" in flat(capsys.readouterr().err)
    blocker.unlink()
    bad = tmp_path / "x.pdf"
    assert cli("report", units[1]["2021"], "--out", bad) == 2
    assert ".docx" in flat(capsys.readouterr().err) and not bad.exists()


# ------------------------------------------------------------------------------------
# templates


def _edited_template(tmp_path: Path, edit) -> Path:
    doc = Document(str(TEMPLATE))
    edit(doc)
    path = tmp_path / "county-template.docx"
    doc.save(str(path))
    return path


def test_the_shipped_template_is_what_the_builder_makes(tmp_path):
    from gipr.report.blank import build_template
    from gipr.report.document import check_template

    fresh = build_template(tmp_path / "fresh.docx")
    a, b = Document(str(fresh)), Document(str(TEMPLATE))
    assert a.element.body.xml == b.element.body.xml, "run: python -m gipr.report.blank tool/gipr/formats/report.docx"
    check_template(TEMPLATE)


def test_a_reworded_template_is_used(units, tmp_path):
    def reword(doc):
        p = next(p for p in doc.paragraphs if p.text.startswith("本年度新收政府信息公开申请"))
        p.runs[0].text = p.runs[0].text.replace("本年度新收政府信息公开申请", "今年我局共收到公开申请")
        doc.add_paragraph("报告格式：{{ 报告格式 }}；复议后起诉{{复议后起诉}}件。")

    tpl = _edited_template(tmp_path, reword)
    out = tmp_path / "custom.docx"
    assert cli("report", units[1]["2021"], "--template", tpl, "--out", out) == 0
    text = "".join(paragraphs(out))
    table = table_values(out, SPECS["2021"])
    assert f"今年我局共收到公开申请{table['t3.new.total']}件" in text
    assert "本年度新收政府信息公开申请" not in text
    assert f"报告格式：2021；复议后起诉{table['t4.cases.after_total']}件。" in text


@pytest.mark.parametrize("bad, expect", [
    ("本单位共有{{ 工作人员数 }}人。", ["未知的占位符“工作人员数”", "正文第"]),
    ("{{ 新收申请 + }}", ["占位符写法有误", "正文第"]),
    ("见下表：{{ 表三 }}", ["{{p 表三 }}"]),
    ("{% if 办公室电话 %}有{% endif %}", ["未知的占位符“办公室电话”"]),
    ("联系：{{ 联系方式 }}", ["须写作 {{r 联系方式 }}", "正文第"]),
    ("{{r 新收申请 }}件", ["须写作 {{ 新收申请 }}", "正文第"]),
])
def test_a_template_with_an_unknown_or_malformed_placeholder_is_refused(units, tmp_path, capsys, bad, expect):
    tpl = _edited_template(tmp_path, lambda doc: doc.add_paragraph(bad))
    n = len(Document(str(tpl)).paragraphs)
    out = tmp_path / "x.docx"
    capsys.readouterr()
    assert cli("report", units[1]["2021"], "--template", tpl, "--out", out) == 2
    err = flat(capsys.readouterr().err)
    for e in expect:
        assert e in err, err
    if "正文第" in expect:
        assert f"正文第 {n} 段" in err  # the place: the paragraph that was added last
    assert not out.exists()


def test_a_template_that_is_not_a_word_document_is_refused(units, tmp_path, capsys):
    tpl = tmp_path / "t.docx"
    tpl.write_bytes(b"not a zip")
    capsys.readouterr()
    assert cli("report", units[1]["2021"], "--template", tpl, "--out", tmp_path / "x.docx") == 2
    assert "无法打开" in flat(capsys.readouterr().err)


def test_placeholders_are_listed(capsys):
    capsys.readouterr()
    assert cli("report", "--placeholders") == 0
    out = capsys.readouterr().out
    assert "{{ 新收申请 }}" in out and "{{ 表三 }}" in out and "{{ 新收申请同比 }}" in out


# ------------------------------------------------------------------------------------
# the example county, from a workspace


@pytest.fixture(scope="module")
def county_docs(tmp_path_factory, example_workspace):
    d = tmp_path_factory.mktemp("county_report")
    ws = example_workspace(d / "ws")
    assert cli("merge", "--workspace", ws, "--out", d / "汇总.xlsx") == 0
    import contextlib
    import io

    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        assert cli("report", "--workspace", ws, "--out", d / "docs", "--previous", EXAMPLES / "2024年度汇总.xlsx") == 0
    d.joinpath("stderr.txt").write_text(err.getvalue(), encoding="utf-8")
    return d


def test_workspace_writes_the_countys_document_and_one_per_accepted_unit(county_docs):
    d = county_docs
    docs = sorted(p.name for p in (d / "docs").iterdir())
    assert "示例县2025年政府信息公开工作年度报告.docx" in docs
    units = [n for n in docs if n.startswith("2025年政府信息公开工作年度报告_")]
    assert len(units) == 28 and len(docs) == 29
    assert not [n for n in docs if "交通运输局" in n or "柳树乡" in n]  # units with errors: not accepted
    said = flat((d / "stderr.txt").read_text(encoding="utf-8"))
    assert "没有生成年度报告的单位 3 个" in said
    assert "县交通运输局（012）：有错误" in said and "白沙乡人民政府（109）：未报送" in said
    spec = SPECS["2021"]
    county = table_values(d / "docs" / "示例县2025年政府信息公开工作年度报告.docx", spec)
    assert county == rollup_table_values(d / "汇总.xlsx")
    text = "".join(paragraphs(d / "docs" / "示例县2025年政府信息公开工作年度报告.docx"))
    assert "同比" in text  # --previous: the county's figures against last year's roll-up
    one = next(p for p in (EXAMPLES / "returned").iterdir() if "县财政局" in p.name)
    assert table_values(d / "docs" / "2025年政府信息公开工作年度报告_县财政局.docx", spec) == independent_sum([one])


def test_workspace_refuses_to_overwrite_and_writes_nothing(county_docs, capsys):
    d = county_docs
    before = {p.name: p.stat().st_mtime_ns for p in (d / "docs").iterdir()}
    capsys.readouterr()
    assert cli("report", "--workspace", d / "ws", "--out", d / "docs") == 2
    assert "文件已存在" in flat(capsys.readouterr().err)
    assert {p.name: p.stat().st_mtime_ns for p in (d / "docs").iterdir()} == before


def test_one_unit_of_a_rollup(county_docs, tmp_path):
    out = tmp_path / "one.docx"
    assert cli("report", county_docs / "汇总.xlsx", "--unit", "县财政局", "--out", out) == 0
    one = next(p for p in (EXAMPLES / "returned").iterdir() if "县财政局" in p.name)
    assert table_values(out, SPECS["2021"]) == independent_sum([one])
    assert paragraphs(out)[0].startswith("县财政局\n2025年")


# ------------------------------------------------------------------------------------
# PDF (LibreOffice)


@pytest.fixture(scope="module")
def pdfs(soffice, units, tmp_path_factory):
    """``gipr report --pdf`` for the 2021 unit: one LibreOffice run."""
    need_writer(soffice)
    d = tmp_path_factory.mktemp("report_pdf")
    out = d / "unit.docx"
    assert cli("report", units[1]["2021"], "--out", out, "--pdf") == 0
    return out, d / "unit.pdf"


def test_the_pdf_is_a4_with_cjk_text_and_every_table_word_inside_the_text_area(pdfs):
    import pdfplumber

    docx, pdf = pdfs
    cm = 72 / 2.54
    left, right = 2.8 * cm, (21.0 - 2.6) * cm
    top, bottom = 3.7 * cm, (29.7 - 3.5) * cm
    spec = SPECS["2021"]
    table = table_values(docx, spec)
    with pdfplumber.open(pdf) as doc:
        assert len(doc.pages) >= 2
        text = ""
        n_boxes = n_table_words = 0
        fonts: set[str] = set()
        for page in doc.pages:
            assert abs(page.width - 595.3) < 1 and abs(page.height - 841.9) < 1  # A4
            boxes = [tbl.bbox for tbl in page.find_tables()]
            for x0, y0, x1, y1 in boxes:
                assert x0 >= left - 2 and x1 <= right + 2 and y0 >= top - 2 and y1 <= bottom + 2
            words = page.extract_words()
            in_tables = 0
            for w in words:
                in_table = any(b[0] - 1 <= w["x0"] and w["x1"] <= b[2] + 1 and b[1] - 1 <= w["top"] <= b[3] + 1
                               for b in boxes)
                in_tables += in_table
                if w["bottom"] < bottom + 2:  # the footer's page number lies below the text area
                    assert w["top"] >= top - 2, (page.page_number, w["text"])
                assert w["x0"] >= left - 2, (page.page_number, w["text"], w["x0"])
                if w["x1"] > right + 2:
                    # body text only: LibreOffice lets one closing CJK punctuation mark hang past
                    # the margin (Chinese typography; Word/WPS obey the paragraph's overflowPunct=0)
                    assert not in_table and w["text"][-1] in HANGING and w["x1"] - right <= 17, \
                        (page.page_number, w["text"], w["x1"])
            n_boxes += len(boxes)
            n_table_words += in_tables
            text += page.extract_text() or ""
            fonts.update(c["fontname"] for c in page.chars if "\u4e00" <= c["text"] <= "\u9fff")
        assert n_boxes >= 3 and n_table_words > 150  # the three tables (two of them cross a page)
        assert fonts and all("CJK" in f or "Song" in f or "Fang" in f or "Hei" in f for f in fonts), fonts  # real CJK fonts
        flat_text = re.sub(r"\s+", "", text)
        assert "三、收到和处理政府信息公开申请情况" in flat_text  # CJK text is there (not boxes)
        assert f"新收政府信息公开申请{table['t3.new.total']}件" in flat_text
        assert "—1—" in flat_text  # the page number in the footer


def test_pdf_without_libreoffice_says_so_and_keeps_the_docx(units, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GIPR_SOFFICE", str(tmp_path / "no-such-soffice"))
    out = tmp_path / "r.docx"
    capsys.readouterr()
    assert cli("report", units[1]["2021"], "--out", out, "--pdf") == 2
    cap = capsys.readouterr()
    assert "未找到 LibreOffice" in flat(cap.err)
    assert out.is_file() and not out.with_suffix(".pdf").exists()


def test_a_unit_name_with_markup_control_characters_and_template_syntax_is_printed_as_text(tmp_path):
    spec = SPECS["2021"]
    name = "A&B<局>\x01{{ 新收申请 }}{% if %}"
    f = make_unit_file(tmp_path, ("H1", name, "县直部门"), unit_values(spec, 5), year=2025, spec=spec)
    out = tmp_path / "h.docx"
    assert cli("report", f, "--out", out) == 0
    pars = paragraphs(out)
    assert pars[0] == "A&B<局>{{ 新收申请 }}{% if %}\n2025年政府信息公开工作年度报告"
    assert Document(str(out)).core_properties.title == pars[0].replace("\n", "")


def test_a_unit_merged_with_errors_is_refused_and_drafted_from_the_rollup(tmp_path, capsys):
    rollup = tmp_path / "汇总.xlsx"
    assert cli("merge", EXAMPLES / "returned", "--roster", EXAMPLES / "roster.csv", "--year", 2025,
               "--county", "示例县", "--include-errors", "--out", rollup) == 0
    out = tmp_path / "jt.docx"
    capsys.readouterr()
    assert cli("report", rollup, "--unit", "县交通运输局", "--out", out) == 2
    assert "带着错误汇总" in flat(capsys.readouterr().err) and not out.exists()
    assert cli("report", rollup, "--unit", "县交通运输局", "--out", out, "--include-errors") == 0
    assert paragraphs(out)[0].startswith("草稿（数据有误）")
    clean = tmp_path / "cz.docx"  # a clean unit of the same roll-up is no draft
    assert cli("report", rollup, "--unit", "县财政局", "--out", clean) == 0
    assert not any("草稿" in p for p in paragraphs(clean))
    assert cli("report", rollup, "--out", tmp_path / "county.docx") == 2  # the roll-up itself breaks rule A


def test_a_template_resaved_by_an_office_application_still_works(soffice, units, tmp_path):
    """LibreOffice Writer opens the shipped template and saves it as .docx again (as a clerk's
    WPS or Word would after rewording): its XML is rewritten, the placeholders still work."""
    from kit.lo import lo_convert

    need_writer(soffice)
    src = tmp_path / "src" / "tpl.docx"
    src.parent.mkdir()
    src.write_bytes(TEMPLATE.read_bytes())
    (resaved,) = lo_convert([src], "docx:MS Word 2007 XML", tmp_path / "lo")
    assert Document(str(resaved)).element.body.xml != Document(str(TEMPLATE)).element.body.xml
    out = tmp_path / "r.docx"
    assert cli("report", units[1]["2021"], "--template", resaved, "--out", out) == 0
    expected = independent_sum([units[1]["2021"]], SPECS["2021"])
    table = table_values(out, SPECS["2021"])
    assert table == expected
    text = "".join(paragraphs(out))
    assert f"新收政府信息公开申请{table['t3.new.total']}件" in text and "{{" not in text


def test_a_template_with_xml_entities_is_refused(units, tmp_path, capsys):
    import zipfile

    tpl = tmp_path / "evil.docx"
    with zipfile.ZipFile(TEMPLATE) as src, zipfile.ZipFile(tpl, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "word/document.xml":
                data = data.replace(b"?>", b'?><!DOCTYPE w:document [<!ENTITY x SYSTEM "file:///etc/passwd">]>', 1)
            dst.writestr(item, data)
    capsys.readouterr()
    assert cli("report", units[1]["2021"], "--template", tpl, "--out", tmp_path / "x.docx") == 2
    err = flat(capsys.readouterr().err)
    assert "无法打开" in err and "ENTITY" in err
    assert not (tmp_path / "x.docx").exists()


def test_gipr_import_reads_the_document_and_its_pdf_back_to_the_source_values(pdfs, units):
    """Closes the loop with `gipr import` (gipr.published): the 2021 .docx and its PDF give
    exactly the source values."""
    from gipr import published
    docx, pdf = pdfs
    spec = SPECS["2021"]
    expected = independent_sum([units[1]["2021"]], spec)
    for path in (docx, pdf):
        got = published.import_document(path).report
        assert got.spec.id == "2021"
        assert {cid: got.number(cid) for cid in spec.cells} == expected, path.name


def test_gipr_import_reads_a_2019_document_back_with_its_signed_deltas(documents, units):
    """The 2019 format's 本年增/减 is signed: a document printing “-23” imports back exactly
    (a negative delta was once taken for a label and the row dropped)."""
    from gipr import published
    spec = SPECS["2019"]
    expected = independent_sum([units[1]["2019"]], spec)
    assert any(v is not None and v < 0 for v in expected.values()), "the fixture should hold a negative delta"
    got = published.import_document(documents["2019"]).report
    assert got.spec.id == "2019"
    assert {cid: got.number(cid) for cid in spec.cells} == expected
