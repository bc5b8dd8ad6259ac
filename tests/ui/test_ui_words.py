"""No internal words where a clerk reads: every page of the workbench and every visible cell
of every sheet of the roll-up workbook, for the example county's whole year (all returns
collected, a merge with last year's roll-up), are scanned for ASCII identifiers, paths, run
codes, command-line options, ISO times and English status words (tests/kit/clerkwords.py)."""

from __future__ import annotations

import io
import re

import openpyxl
from kit.clerkwords import internal_words, visible_text
from kit.paths import REPO
from kit.uiserver import RETURNED, Server, make_workspace, returned

from gipr.cli import main

PREV = REPO / "examples" / "2024年度汇总.xlsx"
# the mail settings page names servers and encryption as the mail provider does
MAIL_WORDS = ("smtp.163.com", "imap.163.com", "INBOX", "SSL", "STARTTLS")


def workbook_texts(data: bytes):
    """(sheet, cell, text) of every visible cell with text: hidden sheets, rows and columns
    (the identity sheet, the cell ids used to read the sheet back) are not read by a person;
    formulas as their values."""
    wb = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    for ws in wb.worksheets:
        if ws.sheet_state != "visible":
            continue
        hidden_rows = {r for r, d in ws.row_dimensions.items() if d.hidden}
        hidden_cols = {k for k, d in ws.column_dimensions.items() if d.hidden}
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.row not in hidden_rows and \
                        cell.column_letter not in hidden_cols:
                    yield ws.title, cell.coordinate, cell.value


def test_no_internal_words_on_pages_or_in_the_rollup(tmp_path, capsys):
    ws = make_workspace(tmp_path)
    files = returned(tmp_path, sorted(p.name for p in RETURNED.iterdir()))
    try:
        main(["collect", *map(str, files), "-w", str(ws), "--json"])
    except SystemExit:
        pass
    capsys.readouterr()
    with Server(ws) as srv, srv.client() as c:
        c.post("/api/merge", data={"include_errors": "1"})
        m = c.post("/api/merge", files=[("previous", (PREV.name, PREV.read_bytes(), "application/octet-stream"))])
        assert m.status_code == 200, m.text
        m = m.json()
        c.post("/api/pin", json={"unit": "012", "submission": str(next(
            s["id"] for s in c.get("/api/unit/012").json()["submissions"])), "note": "电话确认"})
        units = [u["code"] for u in c.get("/api/status").json()["units"]]
        pages = ["/", "/collect", "/templates", "/merge", m["page"], "/mail-settings"] + [f"/unit/{u}" for u in units]
        found = {}
        for p in pages:
            r = c.get(p)
            assert r.status_code == 200, p
            bad = internal_words(visible_text(r.text), MAIL_WORDS if p == "/mail-settings" else ())
            if bad:
                found[p] = bad[:5]
        assert found == {}
        assert "以前的汇总" in c.get(m["page"]).text and re.search(r"\d{4}年\d{1,2}月\d{1,2}日 \d\d:\d\d",
                                                                     c.get(m["page"]).text)
        book = c.get(m["download"]).content
    bad = {}
    sheets = set()
    for sheet, ref, text in workbook_texts(book):
        sheets.add(sheet)
        for w in internal_words(text):
            bad.setdefault(sheet, []).append((ref, w))
    assert {"汇总说明", "各单位明细", "报送情况", "校验结果", "上年对比", "封面"} <= sheets
    assert {k: v[:5] for k, v in bad.items()} == {}
