"""LibreOffice opens gipr's roll-ups, recalculates every formula, and gets gipr's numbers.

One soffice call converts the county roll-up, a city roll-up (a roll-up of roll-ups) and
the example county's roll-up with recalculation forced on load (tests/kit/lo.py); the
recalculated official tables and the per-unit sheet's subtotal and total rows must equal
the cached values gipr wrote.  The example county's roll-up is also printed to PDF: it
must open and lay out the official tables.
"""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from kit.county import YEAR, cli
from kit.lo import lo_convert
from kit.paths import EXAMPLES

from gipr.spec import load_format

SPEC = load_format("2021")

pytestmark = [pytest.mark.libreoffice,
              pytest.mark.skipif(shutil.which("soffice") is None and shutil.which("libreoffice") is None,
                                 reason="LibreOffice (soffice) is not installed; install libreoffice-calc to run")]


def _num(v):
    """Numbers exactly (as Decimal); text (e.g. the live check status 通过) as it is."""
    if v is None or v == "":
        return None
    if isinstance(v, (bool, str)):
        return v
    return Decimal(repr(v)) if isinstance(v, float) else Decimal(v)


def _formula_cells(path: Path) -> dict[tuple[str, str], object]:
    """(sheet, A1) of every formula cell in the workbook."""
    wb = openpyxl.load_workbook(path)
    out = {}
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.data_type == "f":
                    out[(ws.title, c.coordinate)] = c.value
    return out


def _values(path: Path, cells) -> dict[tuple[str, str], Decimal | None]:
    wb = openpyxl.load_workbook(path, data_only=True)
    return {(s, a): _num(wb[s][a].value) for s, a in cells}


@pytest.fixture(scope="module")
def rollups(county, two_counties, tmp_path_factory):
    d = tmp_path_factory.mktemp("lo")
    county_out = d / "county.xlsx"
    assert cli("merge", county["returned"], "--roster", county["roster"], "--year", YEAR, "--county", "测试县",
               "--out", county_out, "--include-errors") == 0
    city_out = d / "city.xlsx"
    assert cli("merge", two_counties / "甲县汇总.xlsx", two_counties / "乙县汇总.xlsx", "--county", "某市",
               "--out", city_out) == 0
    example_out = d / "example.xlsx"
    assert cli("merge", EXAMPLES / "returned", "--roster", EXAMPLES / "roster.csv", "--year", 2025,
               "--previous", EXAMPLES / "2024年度汇总.xlsx", "--out", example_out) == 0
    files = [county_out, city_out, example_out]
    recalculated = lo_convert(files, "xlsx", d / "recalc")
    pdf = lo_convert([example_out], "pdf", d / "pdf")[0]
    return list(zip(files, recalculated)), pdf


def test_libreoffice_recalculates_the_same_totals(rollups):
    pairs, _ = rollups
    for mine, theirs in pairs:
        formulas = _formula_cells(mine)
        # the official tables' totals and the per-unit sheet's subtotal/total rows are formulas
        table_totals = {(c.sheet, c.ref) for c in SPEC.totals}
        assert table_totals <= set(formulas), mine.name
        assert any(s == "各单位明细" for s, _ in formulas)
        ours, lo = _values(mine, formulas), _values(theirs, formulas)
        diff = {k: (ours[k], lo[k]) for k in formulas if ours[k] != lo[k]}
        assert not diff, (mine.name, list(diff.items())[:5])


def test_libreoffice_keeps_the_official_layout_and_the_numbers(rollups):
    pairs, pdf = rollups
    for mine, theirs in pairs:
        a = openpyxl.load_workbook(mine, data_only=True)
        b = openpyxl.load_workbook(theirs, data_only=True)
        assert b.sheetnames[:4] == a.sheetnames[:4] == [SPEC.cover_sheet] + [t.sheet for t in SPEC.tables]
        for t in SPEC.tables:
            for lab in t.labels:
                assert b[t.sheet].cell(lab.r0 + 1, lab.c0 + 1).value == lab.text, (t.sheet, lab.text)
            merged = {str(r) for r in b[t.sheet].merged_cells.ranges}
            for lab in t.labels:
                if lab.merged:
                    from xlsxwriter.utility import xl_range

                    assert xl_range(lab.r0, lab.c0, lab.r1, lab.c1) in merged
        for cid, c in SPEC.cells.items():
            assert _num(b[c.sheet][c.ref].value) == _num(a[c.sheet][c.ref].value), (mine.name, cid)
    assert pdf.stat().st_size > 10_000
