"""The units' report documents in a workspace (issue 19): three units send a workbook and a
draft annual report (.docx made by `gipr report` from a workbook, then edited as a clerk would):
one consistent, one whose table differs from the accepted workbook in one cell, one whose text
contradicts its own table.  `gipr collect` archives, identifies and checks them; `gipr status`
and the reminder letters (`gipr remind --dry-run`, real .eml files) say so."""

from __future__ import annotations

import email
import email.policy
import json
import random
import re
from pathlib import Path

import pytest
from docx import Document
from kit.county import cli, make_unit_file
from kit.helpers import consistent_values
from kit.mailservers import FROM, write_mail_config

from gipr.cli import main
from gipr.collect.workspace import Workspace

ROSTER = """单位代码,单位名称,类别,联系人,邮箱
101,县财政局,县直部门,赵磊,czj@example.cn
102,县民政局,县直部门,马超,mzj@example.cn
103,县司法局,县直部门,胡斌,sfj@example.cn
104,县商务局,县直部门,杨帆,swj@example.cn
"""


def run_json(capsys, *argv) -> dict:
    capsys.readouterr()
    try:
        main([*map(str, argv), "--json"])
    except SystemExit:
        pass
    return json.loads(capsys.readouterr().out)


def edit_sentence(path: Path) -> int:
    """Change the number of applications the text states (收到…申请 N 件) → the new number."""
    doc = Document(path)
    for p in doc.paragraphs:
        m = re.search(r"((?:收到|新收)[^。]{0,20}?申请)(\d+)(件)", p.text)
        if m:
            new = int(m.group(2)) + 5
            for run in p.runs:
                if m.group(2) in run.text:
                    run.text = run.text.replace(m.group(2), str(new), 1)
                    doc.save(path)
                    return new
    raise AssertionError("no sentence states the applications received")


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    base = tmp_path_factory.mktemp("docs_ws")
    (base / "roster.csv").write_text(ROSTER, encoding="utf-8")
    root = base / "ws"
    Workspace.create(root, 2025, base / "roster.csv", county="示例县").close()
    write_mail_config(root, host="", user=FROM, from_addr=FROM, from_name="示例县政务公开办",
                      deadline="2026年1月15日", contact="县政务公开办 王明")
    ws = Workspace.open(root)
    spec = ws.spec
    rng = random.Random(19)
    books, drafts = base / "books", base / "drafts"
    drafts.mkdir()
    values = {}
    for code in ("101", "102", "103"):
        u = ws.unit(code)
        values[code] = consistent_values(spec, rng, high=30)
        values[code]["t3.new.person"] = values[code]["t3.new.person"] or 0
        make_unit_file(books, (u.code, u.name, u.category), values[code], year=2025, spec=spec)
    ws.close()
    assert cli("collect", "-w", root, books) == 0
    # the drafts: 101 as its workbook says; 102 from a workbook with one other number; 103 edited text
    for code in ("101", "102", "103"):
        u = Workspace.open(root).unit(code)
        src = books / f"{code}.xlsx"
        if code == "102":
            other = dict(values[code])
            other["t2.license.decisions"] = values[code]["t2.license.decisions"] + 7
            src = make_unit_file(base / "other", (u.code, u.name, u.category), other, year=2025, spec=spec)
        assert cli("report", src, "--out", drafts / f"{u.name}2025年度政府信息公开工作年度报告.docx") == 0
    stated = edit_sentence(drafts / "县司法局2025年度政府信息公开工作年度报告.docx")
    assert cli("collect", "-w", root, drafts) in (0, 1)
    return root, values, stated, drafts


def test_collect_records_each_document_for_its_unit(county, capsys):
    root, _values, _stated, drafts = county
    ws = Workspace.open(root)
    try:
        rows = ws.ledger.conn.execute("SELECT unit_code, state, file_name, sha256 FROM documents ORDER BY unit_code").fetchall()
        assert [(r[0], r[1]) for r in rows] == [("101", "consistent"), ("102", "differs"), ("103", "errors")]
        for r in rows:  # archived as received
            assert ws.ledger.archive_path(r[3]).read_bytes() == (drafts / r[2]).read_bytes()
    finally:
        ws.close()
    # a corrected version of 102's draft: a new row, the old one kept, the new one current
    assert cli("report", root / ".." / "books" / "102.xlsx", "--out",
               drafts / "县民政局2025年度政府信息公开工作年度报告（修改）.docx") == 0
    assert cli("collect", "-w", root, drafts) in (0, 1)
    data = run_json(capsys, "status", "-w", root)
    states = {u["code"]: u["document"]["state"] for u in data["units"]}
    assert states == {"101": "consistent", "102": "consistent", "103": "errors", "104": "missing"}
    ws = Workspace.open(root)
    try:
        assert ws.ledger.conn.execute("SELECT count(*) FROM documents WHERE unit_code='102'").fetchone()[0] == 2
    finally:
        ws.close()
    # collecting the same folder again records nothing new
    assert cli("collect", "-w", root, drafts) in (0, 1)
    ws = Workspace.open(root)
    try:
        assert ws.ledger.conn.execute("SELECT count(*) FROM documents").fetchone()[0] == 4
    finally:
        ws.close()


def test_the_differing_cell_and_the_contradicting_sentence_are_named(county, capsys):
    root, values, stated, _drafts = county
    ws = Workspace.open(root)
    try:
        found = {r[0]: json.loads(r[1]) for r in ws.ledger.conn.execute(
            "SELECT unit_code, findings FROM documents WHERE id IN (SELECT min(id) FROM documents GROUP BY unit_code)")}
    finally:
        ws.close()
    differs = [f for f in found["102"] if f["code"] == "published.differs"]
    assert len(differs) == 1 and differs[0]["cell"] == "t2.license.decisions"
    assert str(values["102"]["t2.license.decisions"] + 7) in differs[0]["message"]
    assert str(values["102"]["t2.license.decisions"]) in differs[0]["message"]
    text = [f for f in found["103"] if f["code"] == "published.text_mismatch"]
    assert len(text) == 1 and str(stated) in text[0]["message"]
    assert any(f["code"] == "against.same" for f in found["101"])
    # a document has no cover and no identity: no such finding, by construction
    assert not [f for fs in found.values() for f in fs if f["code"].startswith(("identity.", "field."))]


def test_status_and_remind_say_so(county, capsys, tmp_path):
    root, _values, stated, _drafts = county
    from gipr.collect.workspace import Workspace as W
    from gipr.mail import mail_units

    capsys.readouterr()
    try:
        main(["status", "-w", str(root), "--unit", "103"])
    except SystemExit:
        pass
    out = capsys.readouterr().out
    assert "年报：有错误" in out and str(stated) in out
    ws = W.open(root)
    try:
        run = mail_units(ws, "remind", dry_run=True, out=tmp_path / "outbox")
    finally:
        ws.close()
    letters = {}
    for f in (tmp_path / "outbox").glob("*.eml"):
        m = email.message_from_bytes(f.read_bytes(), policy=email.policy.default)
        letters[f.name.split("_")[0]] = m.get_body(preferencelist=("plain",)).get_content()
    assert set(letters) == {"103", "104"}  # 101 and 102 are fine now; 104 sent nothing
    assert "年度报告" in letters["103"] and "有错误" in letters["103"] and str(stated) in letters["103"]
    assert run.count("written") == 2


def test_a_document_attached_to_a_mail_is_collected_and_identified_by_its_sender(tmp_path, capsys):
    """A draft sent as an attachment, its file name saying nothing about the unit, its title's
    issuer not in the roster's words: the sender's address identifies it; a scanned stamp page
    (.pdf, not a report) beside it stays ignored."""
    from kit.mailmaker import make_message

    from gipr.collect import Collector

    (tmp_path / "roster.csv").write_text(ROSTER, encoding="utf-8")
    root = tmp_path / "ws"
    Workspace.create(root, 2025, tmp_path / "roster.csv", county="示例县").close()
    ws = Workspace.open(root)
    u = ws.unit("104")
    book = make_unit_file(tmp_path / "b", (u.code, "商务和经济信息化局", u.category),
                          consistent_values(ws.spec, random.Random(4), high=9), year=2025, spec=ws.spec)
    ws.close()
    draft = tmp_path / "draft.docx"
    assert cli("report", book, "--out", draft) == 0
    raw = make_message([("年报初稿.docx", draft.read_bytes(), "rfc2231"), ("盖章页.pdf", b"%PDF-1.4", "rfc2231")],
                       sender="杨帆 <swj@example.cn>")
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "m.eml").write_bytes(raw)
    ws = Workspace.open(root)
    try:
        with ws.lock():
            res = Collector(ws).collect_paths([tmp_path / "in"])
        assert [(d["unit"], d["file_name"]) for d in res.documents] == [("104", "年报初稿.docx")]
        assert len(res.ignored) == 1 and res.ignored[0].startswith("盖章页.pdf")
        # no workbook from this unit yet: the document cannot be compared with it
        assert res.documents[0]["state"] == "differs"
        assert any(f["code"] == "against.missing" for f in res.documents[0]["findings"])
    finally:
        ws.close()


def test_previous_gives_the_document_its_chain_of_years(tmp_path, capsys):
    """`gipr collect --previous` (last year's workbooks): the draft's 上年结转 is compared with
    last year's 结转下年度 of the same unit."""
    (tmp_path / "roster.csv").write_text(ROSTER, encoding="utf-8")
    root = tmp_path / "ws"
    Workspace.create(root, 2025, tmp_path / "roster.csv", county="示例县").close()
    ws = Workspace.open(root)
    u, spec = ws.unit("101"), ws.spec
    ws.close()
    this = consistent_values(spec, random.Random(5), high=20)
    last = dict(consistent_values(spec, random.Random(6), high=20))
    for col in ("person", "business", "research", "nonprofit", "legal", "other"):
        last[f"t3.next.{col}"] = this[f"t3.carry.{col}"]
    last["t3.next.person"] = this["t3.carry.person"] + 3  # last year carried 3 more than this year took over
    book = make_unit_file(tmp_path / "books", (u.code, u.name, u.category), this, year=2025, spec=spec)
    make_unit_file(tmp_path / "last", (u.code, u.name, u.category), last, year=2024, spec=spec)
    (tmp_path / "drafts").mkdir()
    assert cli("report", book, "--out", tmp_path / "drafts" / "县财政局2025年度政府信息公开工作年度报告.docx") == 0
    assert cli("collect", "-w", root, book) == 0
    assert cli("collect", "-w", root, tmp_path / "drafts", "--previous", tmp_path / "last") in (0, 1)
    data = run_json(capsys, "status", "-w", root)
    doc = next(u["document"] for u in data["units"] if u["code"] == "101")
    carry = [f for f in doc["findings"] if f["code"] == "rule.F"]
    assert doc["state"] == "errors" and [f["cell"] for f in carry] == ["t3.carry.person", "t3.carry.total"]
    assert str(this["t3.carry.person"] + 3) in carry[0]["message"]
