"""gipr send against a real SMTP server (aiosmtpd on 127.0.0.1): every unit exactly one
message with its own template, Chinese attachment names that decode in every parser,
rejected recipients, connections lost half-way, killed runs, STARTTLS/SSL with login."""

from __future__ import annotations

import email
import email.header
import email.policy
import io
import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from kit.mailservers import FROM, OPENSSL, OPENSSL_REASON, PASSWORD, SmtpServer, write_mail_config
from kit.paths import REPO

from gipr.collect.mailparse import parse_message
from gipr.collect.workspace import Workspace
from gipr.errors import GiprError
from gipr.mail import build_message, encode_rfc2047_words, load_text_template, mail_settings, mail_units, send_history
from gipr.roster import load_roster
from gipr.stamp import IDENTITY_SHEET, read_identity_rows, verify
from gipr.template import template_filename

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

ROOT = REPO
ROSTER = ROOT / "examples" / "roster.csv"

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


def make_ws(tmp_path: Path, roster: Path = ROSTER, **mail) -> Path:
    root = tmp_path / "ws"
    Workspace.create(root, 2025, roster, county="示例县").close()
    if mail is not None:
        cfg = {"host": "127.0.0.1", "security": "none", "user": FROM, "from_addr": FROM, "from_name": "示例县政务公开办",
               "deadline": "2026年1月15日", "contact": "县政务公开办 王明 0351-1234567"}
        cfg.update(mail)
        write_mail_config(root, **cfg)
    return root


@pytest.fixture
def smtp(tmp_path):
    srv = SmtpServer(tmp_path, users={FROM: PASSWORD})
    yield srv
    srv.stop()


def run_send(root: Path, **kw):
    ws = Workspace.open(root)
    try:
        return mail_units(ws, "send", **kw)
    finally:
        ws.close()


def attachment(msg) -> tuple[str, bytes]:
    parts = list(msg.iter_attachments())
    assert len(parts) == 1
    return parts[0].get_filename(), parts[0].get_content()


def custom_props(data: bytes) -> dict[str, str]:
    """The workbook's gipr.* custom document properties (a quick look without openpyxl)."""
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        xml = zf.read("docProps/custom.xml").decode("utf-8")
    return dict(re.findall(r'name="(gipr\.[^"]+)"[^>]*>\s*<vt:\w+>([^<]*)<', xml))


def identity_of(data: bytes) -> dict:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ident, _ = read_identity_rows([list(r) for r in wb[IDENTITY_SHEET].iter_rows(values_only=True)])
    return ident


# --- message format ---------------------------------------------------------------------------

NAMES = ["2025年度政府信息公开统计表_县人力资源和社会保障局.xlsx", "教育科技局（镕堃）统计表.xlsx", "a b;c=\"d\".xlsx",
         "统计表 2025（第1版）_县行政审批服务局办公室综合科.xlsx"]


@pytest.mark.parametrize("name", NAMES)
def test_attachment_name_decodes_everywhere(tmp_path, name):
    ws = Workspace.open(make_ws(tmp_path))
    s = mail_settings(ws, need_server=False)
    ws.close()
    data = b"PK\x03\x04" + os.urandom(3000)
    raw, mid = build_message(s, to=[("县人力资源和社会保障局", "rsj@example.cn")], subject="请填报（测试）",
                             body="正文\n第二行", attachments=[(name, data)])
    assert all(b < 0x80 for b in raw), "the message is 7-bit clean"
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998
    assert b"\n" not in raw.replace(b"\r\n", b"")
    # modern parser (policy.default)
    m = email.message_from_bytes(raw, policy=email.policy.default)
    assert attachment(m) == (name, data)
    assert m["Message-ID"] == f"<{mid}>" and m["Subject"] == "请填报（测试）"
    # legacy parser (compat32): get_filename from RFC 2231, and the RFC 2047 name= on Content-Type
    legacy = email.message_from_bytes(raw)
    part = next(p for p in legacy.walk() if p.get_content_maintype() == "application")
    assert part.get_filename() == name
    ctype_name = part.get_param("name")
    decoded = "".join(t.decode(c or "ascii") if isinstance(t, bytes) else t
                      for t, c in email.header.decode_header(ctype_name))
    assert decoded == name
    for word in re.findall(r"=\?[^?]+\?[bB]\?[^?]*\?=", ctype_name):
        assert len(word) <= 75
    assert part.get_payload(decode=True) == data
    # the raw headers carry both forms for clients that read only one
    if not name.isascii():
        assert b"filename*=utf-8''" in raw and b'name="=?utf-8?B?' in raw
    # gipr's own reader (the collect path) agrees
    assert [a.file_name for a in parse_message(raw).attachments] == [name]


def test_rfc2047_words_split_on_characters():
    text = "县" * 40 + "x" + "镕" * 7
    words = encode_rfc2047_words(text).split(" ")
    assert len(words) > 2 and all(len(w) <= 75 for w in words)
    assert "".join(b.decode(c) for b, c in email.header.decode_header(" ".join(words))) == text


def test_text_template_created_editable_checked(tmp_path):
    root = make_ws(tmp_path)
    ws = Workspace.open(root)
    try:
        t = load_text_template(ws, "send")
        assert t.path == root / "mail" / "send.txt" and t.path.is_file()
        subject, body = t.render({"单位名称": "县公安局", "年度": "2025", "截止日期": "1月15日", "联系方式": "电话 1",
                                  "联系人": "刘洋", "本级": "示例县", "发件人": "办公室", "附件名": "a.xlsx",
                                  "单位代码": "004"})
        assert subject == "请填报2025年度政府信息公开工作年度报告统计表（县公安局）"
        assert "刘洋" in body and "1月15日" in body and "电话 1" in body and "a.xlsx" in body and "#" not in body
        # the clerk edits it (saved as GBK by Notepad), English aliases work
        t.path.write_bytes("主题：{year}年报表 {unit}\n\n请于{截止日期}前报送。\n".encode("gbk"))
        t2 = load_text_template(ws, "send")
        assert t2.render({"年度": "2025", "单位名称": "县公安局", "截止日期": "月底"}) == \
            ("2025年报表 县公安局", "请于月底前报送。\n")
        t.path.write_text("主题：报表\n\n请填{截至日期}\n", encoding="utf-8")  # a typo
        with pytest.raises(GiprError, match="截至日期"):
            load_text_template(ws, "send")
        t.path.write_text("没有主题行\n", encoding="utf-8")
        with pytest.raises(GiprError, match="主题"):
            load_text_template(ws, "send")
        t.path.write_text("主题：报表\n\n{问题}\n", encoding="utf-8")  # remind-only placeholder
        with pytest.raises(GiprError, match="问题"):
            load_text_template(ws, "send")
    finally:
        ws.close()


def test_missing_mail_config_adds_section(tmp_path):
    root = tmp_path / "ws"
    Workspace.create(root, 2025, ROSTER).close()
    before = (root / "gipr.toml").read_text(encoding="utf-8")
    ws = Workspace.open(root)
    with pytest.raises(GiprError, match="host"):
        mail_settings(ws)
    ws.close()
    after = (root / "gipr.toml").read_text(encoding="utf-8")
    assert after.startswith(before) and "[mail]" in after and "[imap]" in after
    cfg = tomllib.loads(after)
    assert cfg["mail"]["security"] == "ssl" and cfg["mail"]["host"] == ""
    Workspace.open(root).close()  # still a valid workspace


def test_bad_settings_are_named(tmp_path):
    root = make_ws(tmp_path, security="tls")
    ws = Workspace.open(root)
    with pytest.raises(GiprError, match="security"):
        mail_settings(ws)
    ws.close()


# --- sending ---------------------------------------------------------------------------------------


def test_send_every_unit_exactly_once(tmp_path, smtp):
    root = make_ws(tmp_path, port=smtp.port)
    units = load_roster(ROSTER)
    run = run_send(root, password=PASSWORD)
    assert run.count("sent") == len(units) == 31 and run.count("failed") == 0
    assert len(smtp.messages) == len(units)
    history = {r.unit_code: r for r in send_history(Workspace.open(root).ledger, kind="send")}
    for u in units:
        got = smtp.handler.to(u.email)
        assert len(got) == 1, u
        m = got[0].message
        assert got[0].mail_from == FROM and got[0].rcpt_tos == [u.email]
        name, data = attachment(m)
        assert name == template_filename(2025, u)
        legacy = email.message_from_bytes(got[0].data)
        assert [p.get_filename() for p in legacy.walk() if p.get_filename()] == [name]
        props = custom_props(data)
        assert props["gipr.unit_code"] == u.code and props["gipr.year"] == "2025"
        if u.code in ("001", "109"):
            ident = identity_of(data)
            assert verify(ident) and ident["unit_code"] == u.code and ident["year"] == "2025"
        assert u.name in m["Subject"] and "2025" in m["Subject"]
        body = m.get_body(("plain",)).get_content()
        assert "2026年1月15日" in body and "0351-1234567" in body and u.contact in body
        rec = history[u.code]
        assert rec.status == "sent" and m["Message-ID"] == f"<{rec.message_id}>"
    # a re-run sends nothing; --resend --only sends exactly what was asked
    again = run_send(root, password=PASSWORD)
    assert again.count("sent") == 0 and again.count("skipped") == 31 and len(smtp.messages) == 31
    more = run_send(root, password=PASSWORD, resend=True, only=["003,县公安局"])
    assert sorted(o.unit_code for o in more.outcomes if o.status == "sent") == ["003", "004"]
    assert len(smtp.messages) == 33
    recs = send_history(Workspace.open(root).ledger, unit_code="003")
    assert [r.status for r in recs] == ["sent", "sent"] and recs[0].message_id != recs[1].message_id


def test_rejected_recipient_reported_rest_sent(tmp_path, smtp):
    root = make_ws(tmp_path, port=smtp.port)
    smtp.handler.reject = {"gaj@example.cn"}
    run = run_send(root, password=PASSWORD)
    by = {o.unit_code: o for o in run.outcomes}
    assert by["004"].status == "failed" and "gaj@example.cn" in by["004"].error and "550" in by["004"].error
    assert run.count("sent") == 30 and len(smtp.messages) == 30
    assert not smtp.handler.to("gaj@example.cn")
    # fixed on the server side: the next run sends only the failed unit
    smtp.handler.reject = set()
    run2 = run_send(root, password=PASSWORD)
    assert [o.unit_code for o in run2.outcomes if o.status == "sent"] == ["004"]
    assert len(smtp.messages) == 31 and all(len(smtp.handler.to(u.email)) == 1 for u in load_roster(ROSTER))


def test_message_refused_or_server_closing_rest_sent(tmp_path, smtp):
    root = make_ws(tmp_path, port=smtp.port)
    smtp.handler.data_reply = {"fgj@example.cn": "554 5.7.1 Message rejected as spam",
                               "jykj@example.cn": "421 4.7.0 Too many messages, closing connection"}
    run = run_send(root, password=PASSWORD)
    by = {o.unit_code: o for o in run.outcomes}
    assert by["002"].status == "failed" and "554" in by["002"].error and "拒收" in by["002"].error
    assert by["003"].status == "failed" and "421" in by["003"].error
    assert run.count("sent") == 29  # 004 and on went out on a new connection
    run2 = run_send(root, password=PASSWORD)
    assert sorted(o.unit_code for o in run2.outcomes if o.status == "sent") == ["002", "003"]
    assert all(len(smtp.handler.to(u.email)) == 1 for u in load_roster(ROSTER))


def test_partly_rejected_unit_still_sent(tmp_path, smtp):
    roster = tmp_path / "roster.csv"
    roster.write_text("单位代码,单位名称,类别,联系人,邮箱\n001,县财政局,县直部门,赵磊,czj@example.cn;old@example.cn\n"
                      "002,县水利局,县直部门,马超,slj@example.cn\n", encoding="utf-8")
    root = make_ws(tmp_path, roster, port=smtp.port)
    smtp.handler.reject = {"old@example.cn"}
    run = run_send(root, password=PASSWORD)
    by = {o.unit_code: o for o in run.outcomes}
    assert by["001"].status == "sent" and "old@example.cn" in by["001"].refused
    assert smtp.handler.to("czj@example.cn")[0].rcpt_tos == ["czj@example.cn"]


def test_connection_lost_half_way(tmp_path, smtp):
    """The server hangs up at RCPT (before the message): once is retried at once on a fresh
    connection (nothing had gone out), twice makes the unit failed, resent by the next run.
    It hangs up right after another unit's message (kept, but the reply never came): that
    unit is uncertain and never resent automatically.  The rest go out."""
    root = make_ws(tmp_path, port=smtp.port)
    smtp.handler.drop_at_rcpt = {"czj@example.cn": 2, "jykj@example.cn": 1}  # 007 twice, 003 once
    smtp.handler.drop_after_data = {"slj@example.cn"}  # 013
    run = run_send(root, password=PASSWORD)
    by = {o.unit_code: o for o in run.outcomes}
    assert by["007"].status == "failed" and "未送达" in by["007"].error and "再试" in by["007"].error
    assert by["013"].status == "uncertain" and "无法确认" in by["013"].error
    assert by["003"].status == "sent"
    assert run.count("sent") == 29
    run2 = run_send(root, password=PASSWORD)
    assert [o.unit_code for o in run2.outcomes if o.status == "sent"] == ["007"]
    assert [o.unit_code for o in run2.outcomes if o.status == "uncertain"] == ["013"]
    for u in load_roster(ROSTER):
        assert len(smtp.handler.to(u.email)) == 1, u.code  # nobody got two, nobody none
    # the clerk checked: 013 did get it; --resend would send a second copy on purpose
    run3 = run_send(root, password=PASSWORD, resend=True, only=["013"])
    assert run3.count("sent") == 1 and len(smtp.handler.to("slj@example.cn")) == 2


def test_killed_run_then_rerun_sends_no_duplicates(tmp_path, smtp):
    """``gipr send`` is killed (SIGKILL) while the server holds the fifth message: the re-run
    sends the units not reached, and not the one whose fate is unknown."""
    root = make_ws(tmp_path, port=smtp.port)
    units = load_roster(ROSTER)
    smtp.handler.hold = {units[4].email}
    env = dict(os.environ, GIPR_SMTP_PASSWORD=PASSWORD)
    p = subprocess.Popen([sys.executable, "-m", "gipr.cli", "send", "-w", str(root)], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert smtp.handler.holding.wait(120), p.stderr.read().decode() if p.poll() is not None else "no hold"
        p.send_signal(signal.SIGKILL)
        p.wait(30)
    finally:
        if p.poll() is None:
            p.kill()
        p.stdout.close()
        p.stderr.close()
    smtp.handler.release.set()  # the server keeps the held message: it was delivered
    ws = Workspace.open(root)
    states = [r.status for r in send_history(ws.ledger, kind="send")]
    ws.close()
    assert states == ["sent"] * 4 + ["pending"]
    run = run_send(root, password=PASSWORD)
    by = {o.unit_code: o for o in run.outcomes}
    assert by[units[4].code].status == "uncertain"
    assert run.count("sent") == 26
    for u in units:
        assert len(smtp.handler.to(u.email)) == 1, u.code
    ws = Workspace.open(root)
    assert {r.status for r in send_history(ws.ledger, unit_code=units[4].code)} == {"uncertain"}
    ws.close()


def test_units_without_email_and_only(tmp_path, smtp):
    roster = tmp_path / "roster.csv"
    roster.write_text("单位代码,单位名称,类别,联系人,邮箱\n001,县财政局,县直部门,赵磊,czj@example.cn\n"
                      "002,县水利局,县直部门,马超,\n003,县商务局,县直部门,胡斌,swj@example.cn\n", encoding="utf-8")
    root = make_ws(tmp_path, roster, port=smtp.port)
    run = run_send(root, password=PASSWORD, only=["县水利局", "003"])
    by = {o.unit_code: o for o in run.outcomes}
    assert set(by) == {"002", "003"} and by["002"].status == "skipped" and "邮箱" in by["002"].error
    assert by["003"].status == "sent" and len(smtp.messages) == 1
    with pytest.raises(GiprError, match="999"):
        run_send(root, password=PASSWORD, only=["999"])


def test_dry_run_writes_eml_and_records_nothing(tmp_path):
    root = make_ws(tmp_path, host="")  # no server needed
    out = tmp_path / "outbox"
    run = run_send(root, dry_run=True, out=out)
    files = sorted(out.glob("*.eml"))
    assert run.count("written") == 31 and len(files) == 31
    u = load_roster(ROSTER)[2]
    f = out / f"{u.code}_{u.name}.eml"
    m = email.message_from_bytes(f.read_bytes(), policy=email.policy.default)
    name, data = attachment(m)
    assert name == template_filename(2025, u) and identity_of(data)["unit_code"] == u.code
    assert m["To"].addresses[0].addr_spec == u.email
    ws = Workspace.open(root)
    assert send_history(ws.ledger) == []
    ws.close()


@pytest.mark.skipif(OPENSSL is None, reason=OPENSSL_REASON)
@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_tls_and_login(tmp_path, security):
    srv = SmtpServer(tmp_path, security=security, users={FROM: PASSWORD})
    try:
        roster = tmp_path / "roster.csv"
        roster.write_text("单位代码,单位名称,类别,联系人,邮箱\n001,县财政局,县直部门,赵磊,czj@example.cn\n", encoding="utf-8")
        root = make_ws(tmp_path, roster, port=srv.port, security=security, cafile=str(srv.cert))
        with pytest.raises(GiprError, match="登录失败"):
            run_send(root, password="wrong")
        assert srv.messages == []
        ws = Workspace.open(root)
        assert send_history(ws.ledger) == []  # nothing was attempted
        ws.close()
        run = run_send(root, password=PASSWORD)
        assert run.count("sent") == 1 and len(srv.messages) == 1
        assert attachment(srv.messages[0].message)[0] == "2025年度政府信息公开统计表_县财政局.xlsx"
    finally:
        srv.stop()


@pytest.mark.skipif(OPENSSL is None, reason=OPENSSL_REASON)
def test_untrusted_certificate_is_explained(tmp_path):
    srv = SmtpServer(tmp_path, security="ssl", users={FROM: PASSWORD})
    try:
        root = make_ws(tmp_path, port=srv.port, security="ssl")  # no cafile
        with pytest.raises(GiprError, match="证书"):
            run_send(root, password=PASSWORD, only=["001"])
    finally:
        srv.stop()


def test_cli_send_password_from_environment_never_stored(tmp_path, smtp):
    root = make_ws(tmp_path, port=smtp.port)
    env = dict(os.environ, GIPR_SMTP_PASSWORD=PASSWORD)
    r = subprocess.run([sys.executable, "-m", "gipr.cli", "send", "-w", str(root), "--only", "001,002", "--json"],
                       env=env, capture_output=True, timeout=300, stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r.stderr.decode()
    out = json.loads(r.stdout)
    assert out["counts"]["sent"] == 2 and len(smtp.messages) == 2
    r2 = subprocess.run([sys.executable, "-m", "gipr.cli", "send", "-w", str(root), "--only", "001"],
                        env=env, capture_output=True, timeout=300, stdin=subprocess.DEVNULL)
    assert r2.returncode == 0 and "已于" in r2.stdout.decode() and len(smtp.messages) == 2
    secret = PASSWORD.encode("utf-8")
    for p in root.rglob("*"):
        if p.is_file():
            assert secret not in p.read_bytes(), p
    # no password anywhere and no terminal: a clear message, nothing sent
    env.pop("GIPR_SMTP_PASSWORD")
    env.pop("GIPR_MAIL_PASSWORD", None)
    r3 = subprocess.run([sys.executable, "-m", "gipr.cli", "send", "-w", str(root), "--resend", "--only", "003"],
                        env=env, capture_output=True, timeout=300, stdin=subprocess.DEVNULL)
    assert r3.returncode == 2 and "GIPR_SMTP_PASSWORD" in r3.stderr.decode() and len(smtp.messages) == 2


def test_cli_names_the_missing_section(tmp_path):
    root = tmp_path / "ws"
    Workspace.create(root, 2025, ROSTER).close()
    r = subprocess.run([sys.executable, "-m", "gipr.cli", "send", "-w", str(root)], capture_output=True, timeout=300,
                       stdin=subprocess.DEVNULL)
    err = r.stderr.decode()
    assert r.returncode == 2 and "[mail]" in err and "host" in err and "Traceback" not in err
    r = subprocess.run([sys.executable, "-m", "gipr.cli", "send", "-w", str(root)], capture_output=True,
                       timeout=300, stdin=subprocess.DEVNULL)
    assert r.returncode == 2 and "from_addr" in r.stderr.decode()  # the section is there now, still empty
    # a preview (--dry-run) works before [mail] is filled in: tests/mail/test_mail_preview.py


def test_relay_without_login(tmp_path):
    srv = SmtpServer(tmp_path)  # no AUTH offered
    try:
        root = make_ws(tmp_path, port=srv.port, login=False)
        env = {k: v for k, v in os.environ.items() if "PASSWORD" not in k}
        r = subprocess.run([sys.executable, "-m", "gipr.cli", "send", "-w", str(root), "--only", "001"], env=env,
                           capture_output=True, timeout=300, stdin=subprocess.DEVNULL)
        assert r.returncode == 0, r.stderr.decode()
        assert len(srv.messages) == 1
    finally:
        srv.stop()
