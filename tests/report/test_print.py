"""Printing the roll-up workbook: every sheet A4 landscape (汇总说明 portrait), header rows
repeated on every page, and a sensible number of pages — stated here per sheet for the
example county with last year's comparison, counted in the PDF LibreOffice prints (each
page of gipr's sheets carries the sheet's name at the top)."""

from __future__ import annotations

import re
from collections import Counter

import openpyxl
import pytest
from kit.lo import lo_convert
from kit.paths import REPO

from gipr.merge import merge

PREV = REPO / "examples" / "2024年度汇总.xlsx"
OURS = ("汇总说明", "各单位明细", "报送情况", "校验结果", "上年对比")
# the official cover and tables 二、三、四 (the template's own print layout) come first
PAGES = {"封面和表二至表四": 4, "汇总说明": 1, "各单位明细": 13, "报送情况": 1, "校验结果": 1, "上年对比": 16}


@pytest.mark.libreoffice
def test_rollup_prints_on_a_sensible_number_of_pages(tmp_path, soffice, example_workspace):
    import pypdfium2 as pdfium

    ws = example_workspace(tmp_path / "ws", county="灵丘县")
    out = tmp_path / "汇总表.xlsx"
    merge(out=out, workspace=ws, previous=PREV, include_errors=True)
    wb = openpyxl.load_workbook(out)
    for name in OURS[1:]:
        sh = wb[name]
        assert sh.page_setup.paperSize == 9 and sh.page_setup.orientation == "landscape", name
        assert sh.print_title_rows, name  # the header rows repeat on every page
        assert sh.oddHeader.center.text == "&A" and "&P" in sh.oddFooter.center.text, name
    assert wb["汇总说明"].page_setup.paperSize == 9

    pdf = pdfium.PdfDocument(str(lo_convert([out], "pdf", tmp_path / "pdf")[0]))
    count: Counter[str] = Counter()
    for i in range(len(pdf)):
        text = re.sub(r"\s+", "", pdf[i].get_textpage().get_text_range())
        sheet = next((n for n in OURS if text.startswith(n)), "封面和表二至表四")
        count[sheet] += 1
        if sheet in OURS[1:]:
            assert "单位名称" in text, (sheet, i)  # the repeated header row
    assert dict(count) == PAGES
    assert len(pdf) == sum(PAGES.values()) == 36  # was 104 before the print layout
