"""Golden test: the rows gipr splices into a workbook (gipr.ooxml.splice) are byte for byte the
rows xlsxwriter itself writes for the same cells (in its constant_memory mode, which also
writes inline strings).  If an xlsxwriter release changes how it writes cells, this fails
before a roll-up differs from what Excel expects."""

from __future__ import annotations

import re
import zipfile
from decimal import Decimal

import xlsxwriter

from gipr.ooxml.splice import Cells, ColumnNames, splice_rows, style_id

ROWS = [
    [1, "教科局 <A&B>", 2.5, None, "=SUM(A2:A3)", Decimal("24252.311082")],
    [12345678901, " 前导空格", 0.1, None, "=A2*2", 0],
    [0, "多行\n文字", 1e-7, "", "=C3+1", -3],
]
LAST_COL = len(ROWS[0]) - 1


def _sheet_data(path) -> tuple[str, list[str]]:
    xml = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml").decode("utf-8")
    dim = re.search(r'<dimension ref="([^"]*)"/>', xml).group(1)
    return dim, re.findall(r"<row [^>]*>.*?</row>", xml, re.S)


def test_spliced_rows_equal_xlsxwriters_own(tmp_path):
    ref = tmp_path / "ref.xlsx"
    wb = xlsxwriter.Workbook(str(ref), {"constant_memory": True})
    fmt = wb.add_format({"bold": True, "num_format": "0.######"})
    ws = wb.add_worksheet("表")
    ws.write_string(0, 0, "标题", fmt)
    for r, row in enumerate(ROWS, start=1):
        for c, v in enumerate(row):
            if v is None or v == "":
                ws.write_blank(r, c, None, fmt)
            elif isinstance(v, str) and v.startswith("="):
                ws.write_formula(r, c, v, fmt, 0)
            elif isinstance(v, str):
                ws.write_string(r, c, v, fmt)
            else:
                ws.write_number(r, c, v, fmt)
    wb.close()

    src, out = tmp_path / "src.xlsx", tmp_path / "out.xlsx"
    wb = xlsxwriter.Workbook(str(src))
    fmt = wb.add_format({"bold": True, "num_format": "0.######"})
    ws = wb.add_worksheet("表")
    ws.write_string(0, 0, "标题", fmt)
    s = style_id(fmt)
    wb.close()
    cols = ColumnNames()

    def rows():
        for r, row in enumerate(ROWS, start=1):
            x = Cells(cols, r)
            for c, v in enumerate(row):
                if v is None:
                    x.blank(c, s)
                elif isinstance(v, str) and v.startswith("="):
                    x.formula(c, v, 0, s)
                elif isinstance(v, str):
                    x.text(c, v, s)
                else:
                    x.num(c, v, s)
            yield x.xml()

    splice_rows(src, out, {"表": (rows, len(ROWS), LAST_COL)})
    ref_dim, ref_rows = _sheet_data(ref)
    got_dim, got_rows = _sheet_data(out)
    assert got_dim == ref_dim
    assert got_rows[1:] == ref_rows[1:]  # the header row differs only in shared vs inline string
    assert len(got_rows) == len(ROWS) + 1
