"""Real-client round trip: LibreOffice opens every generated template (both formats),
prints it on A4, and — after values are typed in with openpyxl — recalculates totals and
live checks to exactly what gipr computes.

Two soffice processes in all (one PDF export, one xlsx→xlsx recalculation), see tests/kit/lo.py.
"""

from __future__ import annotations

import random
import re
from decimal import Decimal

import openpyxl
import pytest
from kit.helpers import consistent_values, fill_workbook, random_values
from kit.lo import lo_convert

from gipr.roster import Unit
from gipr.spec import load_format
from gipr.stamp import IDENTITY_SHEET, identity_from_properties, read_identity_rows, verify
from gipr.template import TemplateFactory, check_layout, compute_totals, rule_status, write_template

pytestmark = pytest.mark.libreoffice

YEAR = {"2021": 2025, "2019": 2020}
UNIT = Unit("101", "城关镇人民政府", "乡镇", "郑伟", "cgz@example.cn", 24)


@pytest.fixture(scope="module")
def made(tmp_path_factory, soffice):
    d = tmp_path_factory.mktemp("lo")
    templates, fills = [], {}
    for fmt, year in YEAR.items():
        spec = load_format(fmt)
        personal = d / f"unit{fmt}.xlsx"
        personal.write_bytes(TemplateFactory(spec, year).render(UNIT))  # what `gipr template --roster` writes
        blank = write_template(d / f"blank{fmt}.xlsx", spec, year=year)
        templates += [personal, blank]
        rng = random.Random(int(fmt))
        good = consistent_values(spec, rng)
        bad = dict(good)
        bad["t3.new.person"] += 3  # breaks rule A for 自然人 (and the 总计 column)
        partial = dict(good)
        partial["t3.next.other"] = None
        partial["t4.cases.direct_pending"] = None
        text = dict(good)
        text["t3.deny4.legal"] = "无"
        cases = {"good": good, "bad": bad, "random": random_values(spec, rng), "partial": partial, "text": text}
        for name, vals in cases.items():
            src = blank if name == "random" else personal
            p = fill_workbook(src, d / f"{name}{fmt}.xlsx", vals, {"filler": "张三", "phone": "0351-1234567"},
                              literal_text=True)
            fills[(name, fmt)] = (p, vals)
    pdfs = lo_convert(templates, "pdf", d / "pdf")
    recalced = lo_convert([p for p, _ in fills.values()], "xlsx", d / "recalc")
    out = {k: (r, vals) for (k, (_p, vals)), r in zip(fills.items(), recalced)}
    return {"templates": templates, "pdfs": pdfs, "recalc": out}


def _pages(pdf: bytes) -> list[tuple[float, float]]:
    boxes = re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", pdf)
    return [(float(w), float(h)) for w, h in boxes]


def test_every_template_opens_and_prints_on_a4(made):
    assert len(made["pdfs"]) == 4
    for pdf in made["pdfs"]:
        data = pdf.read_bytes()
        assert data.startswith(b"%PDF")
        pages = [p for p in _pages(data) if p[0] != p[1]]  # skip LibreOffice's square form XObject box
        assert len(pages) >= 4, (pdf.name, pages)
        for w, h in pages:
            assert {round(w), round(h)} == {595, 842}, (pdf.name, w, h)  # A4
        assert pages[0][0] < pages[0][1]  # the cover: portrait
        assert sum(w > h for w, h in pages) >= 3  # the three tables: landscape
        assert len(pages) <= 6  # each table fits one page wide (and the check area is not printed)


def _num(v):
    return None if v is None else Decimal(str(v))


@pytest.mark.parametrize("fmt", list(YEAR))
@pytest.mark.parametrize("case", ["good", "bad", "random", "partial"])
def test_libreoffice_totals_equal_python_sums(made, fmt, case):
    spec = load_format(fmt)
    path, vals = made["recalc"][(case, fmt)]
    expected = compute_totals(spec, vals)
    wb = openpyxl.load_workbook(path, data_only=True)
    for c in spec.totals:
        got = wb[c.sheet][c.ref].value
        assert got is not None, (case, c.id)
        assert _num(got) == Decimal(expected[c.id]), (case, c.id, got, expected[c.id])


@pytest.mark.parametrize("fmt", list(YEAR))
def test_libreoffice_live_check(made, fmt):
    spec = load_format(fmt)
    t3 = spec.table("t3")
    lay = {t.id: check_layout(spec, t) for t in spec.tables}
    results = {}
    for case in ("good", "bad", "partial", "text"):
        path, vals = made["recalc"][(case, fmt)]
        wb = openpyxl.load_workbook(path, data_only=True)
        results[case] = wb
        comp = compute_totals(spec, {k: (v if not isinstance(v, str) else None) for k, v in vals.items()})
        for t in spec.tables:
            ws = wb[t.sheet]
            for it in lay[t.id].items:
                got = ws[it.ref].value
                assert got in ("通过", "不通过", "未填完"), (case, it.ref, got)
                if len(it.rules) == 1 and case != "text":
                    assert got == rule_status(spec, it.rules[0], comp), (case, it.rules[0].id)
    a_person = next(it for it in lay["t3"].items if it.rules[0].id == "A.person")
    a_business = next(it for it in lay["t3"].items if it.rules[0].id == "A.business")
    good, bad, partial, text = (results[k] for k in ("good", "bad", "partial", "text"))
    # a consistent fill: every check says 通过, everywhere
    for t in spec.tables:
        ws = good[t.sheet]
        assert all(ws[it.ref].value == "通过" for it in lay[t.id].items), t.sheet
        assert ws[lay[t.id].status_ref].value == "通过" and ws[lay[t.id].unfilled_ref].value == 0
        assert ws[lay[t.id].type_ref].value == "通过"
    cover = good[spec.cover_sheet]
    cover_status = [r[1].value for r in cover.iter_rows() if r[0].value == "全部"]
    assert cover_status == ["通过"]
    # a fill that breaks rule A
    assert bad[t3.sheet][a_person.ref].value == "不通过"
    assert bad[t3.sheet][a_business.ref].value == "通过"
    assert bad[t3.sheet][lay["t3"].status_ref].value == "不通过"
    assert [r[1].value for r in bad[spec.cover_sheet].iter_rows() if r[0].value == "全部"] == ["不通过"]
    # blanks are not 0: 未填完, and they are counted
    assert partial[t3.sheet][lay["t3"].status_ref].value == "未填完"
    assert partial[t3.sheet][lay["t3"].unfilled_ref].value == 1
    assert partial[spec.table("t4").sheet][lay["t4"].unfilled_ref].value == 1
    # text in a number cell: the data-type check fails and the cell counts as unfilled
    assert text[t3.sheet][lay["t3"].type_ref].value == "不通过"
    assert text[t3.sheet][lay["t3"].unfilled_ref].value == 1
    assert text[t3.sheet][lay["t3"].status_ref].value == "不通过"


def test_identity_survives_a_libreoffice_resave(made):
    path, _ = made["recalc"][("good", "2021")]
    wb = openpyxl.load_workbook(path)
    props = identity_from_properties({p.name: p.value for p in wb.custom_doc_props.props})
    assert verify(props) and props["unit_code"] == UNIT.code and props["format"] == "2021"
    if IDENTITY_SHEET in wb.sheetnames:
        ident, _ = read_identity_rows([list(r) for r in wb[IDENTITY_SHEET].iter_rows(values_only=True)])
        assert ident == props
        assert wb[IDENTITY_SHEET].sheet_state != "visible"
