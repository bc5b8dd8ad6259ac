"""gipr remind against a real SMTP server (aiosmtpd): exactly the units that are late,
wrong or unreadable get a message saying what is wrong; a unit with errors gets its
feedback workbook; nobody is reminded twice for the same thing."""

from __future__ import annotations

import email
import email.policy
import io
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from kit.helpers import consistent_values, fill_workbook, random_values
from kit.mailmaker import make_message
from kit.mailservers import FROM, PASSWORD, SmtpServer, write_mail_config

from gipr.collect import Collector
from gipr.collect.workspace import Workspace
from gipr.mail import mail_units, send_history
from gipr.stamp import IDENTITY_SHEET, read_identity_rows, verify
from gipr.template import template_filename, write_template

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")

ROSTER = """单位代码,单位名称,类别,联系人,邮箱
001,县财政局,县直部门,赵磊,czj@example.cn
002,县水利局,县直部门,马超,slj@example.cn
003,县商务局,县直部门,胡斌,swj@example.cn
004,县司法局,县直部门,杨帆,sfj@example.cn
005,城关镇人民政府,乡镇,郑伟,cgz@example.cn
006,柳树乡人民政府,乡镇,于洁,
"""


@pytest.fixture
def smtp(tmp_path):
    srv = SmtpServer(tmp_path, users={FROM: PASSWORD})
    yield srv
    srv.stop()


def filled(ws, tmp: Path, code: str, values: dict, name: str | None = None) -> Path:
    unit = ws.unit(code)
    t = write_template(tmp / f"t_{code}.xlsx", ws.spec, year=ws.year, unit=unit, overwrite=True)
    return fill_workbook(t, tmp / (name or f"{code}_filled.xlsx"), values, {"filler": unit.contact, "phone": "123"})


@pytest.fixture
def county(tmp_path, smtp):
    """001 accepted, 002 with errors, 003 sent an unreadable file by e-mail, 004 and 005
    have sent nothing, 006 has sent nothing and has no e-mail address."""
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    root = tmp_path / "ws"
    ws = Workspace.create(root, 2025, roster, county="示例县")
    write_mail_config(root, host="127.0.0.1", port=smtp.port, security="none", user=FROM, from_addr=FROM,
                      from_name="示例县政务公开办", deadline="2026年1月20日", contact="县政务公开办 0351-1234567")
    spec = ws.spec
    files = tmp_path / "in"
    files.mkdir()
    good = filled(ws, files, "001", consistent_values(spec, random.Random(1)))
    bad = filled(ws, files, "002", random_values(spec, random.Random(7)))
    eml = files / "003.eml"
    eml.write_bytes(make_message([("商务局报表.xlsx", b"PK\x03\x04 this is not a workbook at all", "rfc2231")],
                                 sender="县商务局 <swj@example.cn>"))
    with ws.lock():
        res = Collector(ws).collect_paths([good, bad, eml])
    status = {o.submission.unit_code: o.submission.status for o in res.outcomes}
    assert status == {"001": "accepted", "002": "errors", "003": "unreadable"}, status
    ws.close()
    return root


def run_remind(root: Path, **kw):
    ws = Workspace.open(root)
    try:
        return mail_units(ws, "remind", **kw)
    finally:
        ws.close()


def only_attachment(msg) -> tuple[str, bytes]:
    parts = list(msg.iter_attachments())
    assert len(parts) == 1
    return parts[0].get_filename(), parts[0].get_content()


def identity(data: bytes) -> tuple[dict, list[str]]:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ident, _ = read_identity_rows([list(r) for r in wb[IDENTITY_SHEET].iter_rows(values_only=True)])
    return ident, wb.sheetnames


def test_remind_reaches_exactly_late_and_wrong_units(county, smtp):
    run = run_remind(county, password=PASSWORD)
    by = {o.unit_code: o for o in run.outcomes}
    assert {c for c, o in by.items() if o.status == "sent"} == {"002", "003", "004", "005"}
    assert by["006"].status == "skipped" and "邮箱" in by["006"].error
    assert "001" not in by
    assert sorted(a for m in smtp.messages for a in m.rcpt_tos) == sorted(
        ["slj@example.cn", "swj@example.cn", "sfj@example.cn", "cgz@example.cn"])

    ws = Workspace.open(county)
    cur = ws.ledger.current()
    # 002: what is wrong, in Chinese, and the feedback workbook
    m = smtp.handler.to("slj@example.cn")[0].message
    body = m.get_body(("plain",)).get_content()
    errors = [f for f in cur["002"].findings if f["severity"] == "error"]
    assert errors and f"{len(errors)} 处错误" in body
    for f in errors[:5]:
        assert f["message"] in body
    assert "2026年1月20日" in body and "马超" in body and "县水利局" in m["Subject"]
    name, data = only_attachment(m)
    assert name.endswith("_校验反馈.xlsx")
    ident, sheets = identity(data)
    assert verify(ident) and ident["kind"] == "feedback" and ident["unit_code"] == "002"
    assert "校验问题" in sheets
    # 003: the file could not be read; a fresh template attached
    m = smtp.handler.to("swj@example.cn")[0].message
    body = m.get_body(("plain",)).get_content()
    assert "无法读取" in body and "商务局报表.xlsx" in body
    name, data = only_attachment(m)
    assert name == template_filename(2025, ws.unit("003")) and identity(data)[0]["unit_code"] == "003"
    # 004: nothing received yet; its template attached
    m = smtp.handler.to("sfj@example.cn")[0].message
    body = m.get_body(("plain",)).get_content()
    assert "还没有收到" in body and "发现的问题" not in body
    name, data = only_attachment(m)
    assert name == template_filename(2025, ws.unit("004")) and identity(data)[0]["unit_code"] == "004"
    recs = send_history(ws.ledger, kind="remind")
    assert {(r.unit_code, r.state_key, r.status) for r in recs} == {
        ("002", f"sub:{cur['002'].id}", "sent"), ("003", f"sub:{cur['003'].id}", "sent"),
        ("004", "missing", "sent"), ("005", "missing", "sent")}
    ws.close()


def test_remind_twice_same_situation_sends_nothing_new_situation_does(county, smtp, tmp_path):
    run_remind(county, password=PASSWORD)
    assert len(smtp.messages) == 4
    again = run_remind(county, password=PASSWORD)  # e.g. a re-run after an interruption
    assert again.count("sent") == 0 and len(smtp.messages) == 4
    assert {o.unit_code for o in again.outcomes if o.status == "skipped"} == {"002", "003", "004", "005", "006"}
    # 002 corrects its file, 004 sends one with errors: 002 drops out, 004 is reminded of the errors at once
    ws = Workspace.open(county)
    spec = ws.spec
    fixed = filled(ws, tmp_path, "002", consistent_values(spec, random.Random(2)), "002_fixed.xlsx")
    wrong = filled(ws, tmp_path, "004", random_values(spec, random.Random(9)), "004_wrong.xlsx")
    with ws.lock():
        Collector(ws).collect_paths([fixed, wrong])
    ws.close()
    third = run_remind(county, password=PASSWORD)
    assert [o.unit_code for o in third.outcomes if o.status == "sent"] == ["004"]
    m = smtp.handler.to("sfj@example.cn")[-1].message
    assert "处错误" in m.get_body(("plain",)).get_content()
    assert only_attachment(m)[0].endswith("_校验反馈.xlsx")
    # on purpose: --resend reminds everyone still late or wrong, but not the unit now in order
    forced = run_remind(county, password=PASSWORD, resend=True)
    assert sorted(o.unit_code for o in forced.outcomes if o.status == "sent") == ["003", "004", "005"]


def test_remind_only_and_dry_run_cli(county, smtp, tmp_path):
    out = tmp_path / "eml"
    r = subprocess.run([sys.executable, "-m", "gipr.cli", "remind", "-w", str(county), "--dry-run", "-o", str(out),
                        "--json"], capture_output=True, timeout=300, stdin=subprocess.DEVNULL,
                       env={k: v for k, v in os.environ.items() if "PASSWORD" not in k})
    assert r.returncode == 1, r.stderr.decode()  # 006 has no address
    data = json.loads(r.stdout)
    assert data["counts"]["written"] == 4 and data["counts"]["skipped"] == 1
    files = sorted(p.name for p in out.glob("*.eml"))
    assert files == ["002_县水利局.eml", "003_县商务局.eml", "004_县司法局.eml", "005_城关镇人民政府.eml"]
    m = email.message_from_bytes((out / "002_县水利局.eml").read_bytes(), policy=email.policy.default)
    assert "处错误" in m.get_body(("plain",)).get_content()
    assert smtp.messages == []  # nothing sent, nothing recorded
    ws = Workspace.open(county)
    assert send_history(ws.ledger) == []
    ws.close()
    run = run_remind(county, password=PASSWORD, only=["004"])
    assert [o.unit_code for o in run.outcomes if o.status == "sent"] == ["004"] and len(smtp.messages) == 1
