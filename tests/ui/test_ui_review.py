"""需核对: a carry-over break found against last year (rule F) becomes the unit's status: on
``gipr status`` and the workbench's home and unit pages, and as a draft mark on the annual
report documents (the county's, and the unit's); the counts of the comparison are the same
on the 汇总 page, in ``merge --json`` and in the roll-up workbook's 上年对比 sheet."""

from __future__ import annotations

import io
import json
import re

import docx
import openpyxl
from kit.paths import REPO
from kit.uiserver import RETURNED, Server, make_workspace, returned

from gipr.cli import main

PREV = REPO / "examples" / "2024年度汇总.xlsx"
BROKEN = "017"  # 县卫生健康局: 上年结转 2 against last year's 结转下年度继续办理 0


def _cli(capsys, *argv) -> str:
    capsys.readouterr()
    try:
        main(list(argv))
    except SystemExit as e:
        assert e.code in (0, 1, None)
    return capsys.readouterr().out


def _text(data: bytes) -> str:
    d = docx.Document(io.BytesIO(data))
    return "\n".join(p.text for p in d.paragraphs)


def test_carry_over_break_marks_the_unit_and_its_report(tmp_path, capsys):
    ws = make_workspace(tmp_path)
    files = returned(tmp_path, sorted(p.name for p in RETURNED.iterdir()))
    _cli(capsys, "collect", *map(str, files), "-w", str(ws), "--json")
    with Server(ws) as srv, srv.client() as c:
        before = c.get("/api/status").json()
        assert before["review"] == [] and before["totals"]["review"] == 0
        r = c.post("/api/merge", files=[("previous", ("2024年度汇总.xlsx", PREV.read_bytes(), "application/octet-stream"))])
        assert r.status_code == 200, r.text
        m = r.json()
        breaks = m["previous"]["rule_f"]
        assert {b["code"] for b in breaks} == {"", BROKEN} and m["previous"]["source"] == "2024年度汇总.xlsx"
        # the status every front end shows
        st = json.loads(_cli(capsys, "status", "-w", str(ws), "--json"))
        assert st["review"] == [BROKEN] and st["totals"]["review"] == 1
        line = next(u for u in st["units"] if u["code"] == BROKEN)
        assert line["review"] == [b["message"] for b in breaks if b["code"] == BROKEN]
        assert "需核对：县卫生健康局（与上年对比：表三 自然人：本年二、上年结转=2" in \
            _cli(capsys, "status", "-w", str(ws)).replace("\n", "")
        assert c.get("/api/status").json()["review"] == [BROKEN]
        home = c.get("/").text
        assert re.search(r'需核对 <b data-total="review">1</b>', home)
        unit = c.get(f"/unit/{BROKEN}").text
        assert 'id="review"' in unit and "上年结转=2，上年四、结转下年度继续办理=0" in unit
        assert "2024年度汇总.xlsx" in unit
        assert 'id="review"' not in c.get("/unit/016").text
        # one source of the counts: the page, merge --json and the workbook's 上年对比 title
        page = c.get(m["page"]).text
        n_err, n_large = len(breaks), m["previous"]["large_changes"]
        assert f"跨年度结转不一致 {n_err} 处，变化较大 {n_large} 处" in page
        assert f'<a href="/unit/{BROKEN}">县卫生健康局</a> <span class="badge s-review">需核对</span>' in page
        wb = openpyxl.load_workbook(io.BytesIO(c.get(m["download"]).content), read_only=True)
        title = next(wb["上年对比"].iter_rows(max_row=1, values_only=True))[0]
        assert f"结转不一致 {n_err} 处" in title and f"变化较大 {n_large} 处" in title, title
        cli = json.loads(_cli(capsys, "merge", "-w", str(ws), "--out", str(tmp_path / "o.xlsx"),
                              "--previous", str(PREV), "--json"))
        assert (len(cli["previous"]["rule_f"]), cli["previous"]["large_changes"]) == (n_err, n_large)
        # each unit of last year not merged this year is listed once
        years = list(openpyxl.load_workbook(tmp_path / "o.xlsx", read_only=True)["上年对比"].values)
        gone = [row for row in years if row[8] == "上年有该单位的数据，本年未汇总"]
        assert len(gone) == len({row[0] or row[1] for row in gone}) == cli["previous"]["not_merged"]
        # the report documents of this merge: the county's and 县卫生健康局's are drafts saying why
        run = m["page"].split("run=")[1]
        rep = c.post("/api/report", json={"run": run}).json()
        docs = {d["who"]: d for d in rep["documents"]}
        assert docs["灵丘县"]["draft"] and len(docs["灵丘县"]["review"]) == 2
        assert docs["县卫生健康局"]["draft"] and docs["县卫生健康局"]["review"] == line["review"]
        assert [w for w, d in docs.items() if d["draft"]] == ["灵丘县", "县卫生健康局"]
        county = _text(c.get(rep["download"]).content)
        assert "与上年不衔接（2 处：表三 自然人" in county and "上年结转=23，上年四、结转下年度继续办理=21" in county
