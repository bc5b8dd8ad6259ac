"""The workbench shows each unit's report document (年报文稿, issue 19) beside its workbook: a
real workspace where three units sent their workbooks and 县财政局 a draft as its workbook
says (after an earlier draft differing in one cell), 县民政局 a draft differing from its
workbook in one cell, 县司法局 none; the real server's unit pages and home page say so, in the
words and from the same source as `gipr status`."""

from __future__ import annotations

import html
import json
import os
import random
import re
import time

import pytest
from kit.browser import wait
from kit.clerkwords import internal_words, visible_text
from kit.county import cli, make_unit_file
from kit.helpers import consistent_values
from kit.uiserver import Server

from gipr.cli import main
from gipr.collect.workspace import Workspace

ROSTER = """单位代码,单位名称,类别,联系人,邮箱
101,县财政局,县直部门,赵磊,czj@example.cn
102,县民政局,县直部门,马超,mzj@example.cn
103,县司法局,县直部门,胡斌,sfj@example.cn
"""
CELL = "t2.license.decisions"  # the cell 县民政局's draft differs in
DRAFT = "{name}2025年度政府信息公开工作年度报告{tail}.docx"


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    base = tmp_path_factory.mktemp("ui_docs")
    (base / "roster.csv").write_text(ROSTER, encoding="utf-8")
    root = base / "ws"
    Workspace.create(root, 2025, base / "roster.csv", county="示例县").close()
    ws = Workspace.open(root)
    spec, names = ws.spec, {u.code: u for u in ws.roster}
    ws.close()
    rng = random.Random(1919)
    values = {c: consistent_values(spec, rng, high=30) for c in names}
    for c, u in names.items():
        make_unit_file(base / "books", (u.code, u.name, u.category), values[c], year=2025, spec=spec)
    assert cli("collect", "-w", root, base / "books") == 0

    def draft(code: str, folder: str, tail: str = "", plus: int = 0):
        u = names[code]
        src = base / "books" / f"{code}.xlsx"
        if plus:
            other = dict(values[code], **{CELL: (values[code][CELL] or 0) + plus})
            src = make_unit_file(base / f"other{code}", (u.code, u.name, u.category), other, year=2025, spec=spec)
        out = base / folder / DRAFT.format(name=u.name, tail=tail)
        out.parent.mkdir(exist_ok=True)
        assert cli("report", src, "--out", out) == 0
        return out

    # 县财政局: a first draft differing in one cell (two hours older), then one as its workbook says
    first = draft("101", "first", "（初稿）", plus=3)
    old = time.time() - 7200
    os.utime(first, (old, old))
    assert cli("collect", "-w", root, first.parent) in (0, 1)
    drafts = [draft("101", "drafts"), draft("102", "drafts", plus=7)]
    assert cli("collect", "-w", root, base / "drafts") in (0, 1)
    return root, values, {"first": first, "101": drafts[0], "102": drafts[1]}


def status_json(root, capsys) -> dict:
    capsys.readouterr()
    try:
        main(["status", "-w", str(root), "--json"])
    except SystemExit:
        pass
    return json.loads(capsys.readouterr().out)


def section(page: str, id_: str) -> str:
    """The visible text of the element with this id (up to its closing tag of the same kind)."""
    m = re.search(rf'<(\w+)[^>]*\bid="{id_}"', page)
    assert m, id_
    end = page.index(f"</{m.group(1)}>", m.end())
    return re.sub(r"\s+", " ", visible_text(page[m.start():end + len(m.group(1)) + 3]))


def test_unit_pages_and_home_show_each_units_report_document(county, capsys):
    root, values, files = county
    cli_states = {u["code"]: u["document"]["state_zh"] for u in status_json(root, capsys)["units"]}
    assert cli_states == {"101": "一致", "102": "与报表不一致", "103": "未交"}
    with Server(root) as srv, srv.client() as c:
        pages = {code: c.get(f"/unit/{code}") for code in ("101", "102", "103")}
        assert all(r.status_code == 200 for r in pages.values())
        pages = {code: r.text for code, r in pages.items()}
        for code, page in pages.items():  # the same state as gipr status, beside the workbook's findings
            assert section(page, "document-state").strip() == cli_states[code]
            assert re.search(r'<div class="beside">\s*<section class="card" id="workbook-card">.*?'
                             r'<section class="card" id="document-card">', page, re.S)

        # 县民政局: its draft, when it came, and the differing cell named with both numbers
        doc = section(pages["102"], "document-file")
        assert files["102"].name in doc
        when = re.search(r"(\d{4})年(\d{1,2})月(\d{1,2})日 (\d\d):(\d\d) 收到", doc)
        mtime = time.localtime(files["102"].stat().st_mtime)
        assert when and tuple(map(int, when.groups())) == mtime[:5]
        found = section(pages["102"], "document-findings")
        cell = re.search(r"警告 表格\d+ 第\d+行第\d+列 [^。]*本年处理决定数量：公开的年报为 (\d+)，报送的统计表为 (\d+)。", found)
        assert cell, found
        assert (int(cell.group(1)), int(cell.group(2))) == ((values["102"][CELL] or 0) + 7, values["102"][CELL] or 0)
        assert found.count("公开的年报为") == 1  # one differing cell, one finding

        # 县财政局: consistent now; both versions listed, newest first, each with its own state
        assert "逐格一致" in section(pages["101"], "document-findings")
        assert "公开的年报为" not in section(pages["101"], "document-findings")
        rows = re.findall(r'<tr data-id="(\d+)"[^>]*>(.*?)</tr>', 
                          pages["101"].split('id="documents"')[1].split("</table>")[0], re.S)
        shown = [re.sub(r"\s+", " ", visible_text(r)) for _id, r in rows]
        assert len(shown) == 2
        assert files["101"].name in shown[0] and "（当前）" in shown[0] and "一致" in shown[0]
        assert files["first"].name in shown[1] and "与报表不一致" in shown[1] and "（当前）" not in shown[1]
        # each version's original file as the clerk received it
        for (did, _r), path in zip(rows, (files["101"], files["first"])):
            r = c.get(f"/download/document/{did}")
            assert r.status_code == 200 and r.content == path.read_bytes()
            assert "filename*=UTF-8''" in r.headers["content-disposition"]
        assert c.get("/download/document/99999").status_code == 404

        # 县司法局: none received, said so, nothing listed
        assert "还没有收到这个单位的年度报告文稿" in section(pages["103"], "document-card")
        assert 'id="documents"' not in pages["103"]

        # the home page: the 年报 column is shown, fed by the same status (the table is drawn from it)
        home = c.get("/").text
        assert re.search(r'<th id="th-document">年报</th>', home)
        data = json.loads(html.unescape(re.search(
            r'<script type="application/json" id="status-data">(.*?)</script>', home, re.S).group(1)))
        assert {u["code"]: u["document"]["state_zh"] for u in data["units"]} == cli_states
        api = c.get("/api/unit/102").json()
        assert api["document"]["state_zh"] == "与报表不一致" and len(api["documents"]) == 1

        # no internal words where she reads (paths, codes, ISO times, identifiers)
        bad = {p: internal_words(visible_text(t)) for p, t in [*pages.items(), ("/", home)]}
        assert {p: b for p, b in bad.items() if b} == {}


def test_without_documents_the_workbench_shows_no_document_part(tmp_path):
    """A workspace where no document was ever collected: as in gipr status, no 年报 column
    and no document section (nothing claims a unit 未交 a document nobody asked for)."""
    (tmp_path / "roster.csv").write_text(ROSTER, encoding="utf-8")
    root = tmp_path / "ws"
    Workspace.create(root, 2025, tmp_path / "roster.csv", county="示例县").close()
    with Server(root) as srv, srv.client() as c:
        assert '<th id="th-document" hidden>' in c.get("/").text
        page = c.get("/unit/101").text
        assert 'id="document-card"' not in page and 'id="documents"' not in page


def test_the_home_table_draws_the_document_column_in_a_browser(county, browser):
    """The home page's table is drawn by the page script: in a real browser each unit's row
    carries its 年报 state."""
    root, _values, _files = county
    with Server(root) as srv:
        browser.get(f"{srv.base}/?token={srv.token}")
        wait(browser, lambda d: d.execute_script("return document.querySelectorAll('#units tbody tr').length") == 3,
             what="the units table")
        cells = browser.execute_script(
            "return Array.from(document.querySelectorAll('#units tbody tr')).map("
            "(tr) => [tr.dataset.code, tr.lastElementChild.textContent]);")
        heads = browser.execute_script(
            "return Array.from(document.querySelectorAll('#units thead th')).filter((th) => !th.hidden)"
            ".map((th) => th.textContent);")
    assert dict(cells) == {"101": "一致", "102": "与报表不一致", "103": "未交"}
    assert heads[-1] == "年报"
