"""E-mail parsing: attachment names as Chinese mail systems encode them, hostile names,
containers, limits.  Messages are real, built with Python's email package."""

from __future__ import annotations

import time

import pytest
from kit.mailmaker import make_message, write_maildir, write_mbox

from gipr.collect.mailparse import (
    clean_file_name,
    decode_header_text,
    is_maildir,
    iter_mbox,
    maildir_files,
    parse_message,
    sniff_file,
)
from gipr.errors import MailError

NAME = "灵丘县教育科技局2025年政府信息公开统计表.xlsx"
NAME_GBK_ONLY = "教育科技局（镕堃）统计表.xlsx"  # 镕 堃 are GBK but not GB2312
DATA = b"PK\x03\x04 not really a workbook"


@pytest.mark.parametrize("style", ["rfc2231", "rfc2231-gb", "rfc2047-gb2312", "rfc2047-gbk", "rfc2047-utf8-q",
                                   "raw-gbk", "raw-utf8", "ctype-only"])
@pytest.mark.parametrize("name", [NAME, NAME_GBK_ONLY])
def test_chinese_attachment_names_decode(style, name):
    raw = make_message([(name, DATA, style)])
    m = parse_message(raw)
    assert [a.file_name for a in m.attachments] == [name]
    assert m.attachments[0].data == DATA
    assert m.attachments[0].problem is None


def test_headers_decoded_gbk_labelled_gb2312():
    raw = make_message([(NAME, DATA, "rfc2231")], sender="教育科技局 镕 <Jiao@Example.CN>",
                       subject="报表（镕）", date="Mon, 13 Jan 2025 10:00:00 +0800", message_id="<m1@example.cn>")
    raw = raw.replace(b"=?gbk?", b"=?gb2312?")  # what Coremail does
    m = parse_message(raw)
    assert m.from_addr == "jiao@example.cn"
    assert "教育科技局 镕" in m.from_text
    assert m.subject == "报表（镕）"
    assert m.message_id == "m1@example.cn"
    assert m.date.isoformat() == "2025-01-13T02:00:00+00:00"
    assert "Message-ID" in m.source_text and "报表" in m.source_text


def test_rfc2231_continuations():
    from urllib.parse import quote

    raw = make_message([("x.xlsx", DATA, "rfc2231")])
    a, b = quote(NAME[:5].encode()), quote(NAME[5:].encode())
    raw = raw.replace(b"filename*=utf-8''x.xlsx",
                      f"filename*0*=utf-8''{a};\r\n filename*1*={b}".encode())
    assert [x.file_name for x in parse_message(raw).attachments] == [NAME]


@pytest.mark.parametrize("hostile,expected", [
    ("../../../etc/passwd.xlsx", "passwd.xlsx"),
    ("..\\\\..\\\\windows\\\\system32\\\\x.xlsx", "x.xlsx"),
    ("/abs/path/y.xlsx", "y.xlsx"),
    ("a\\x01b\\x1bc.xlsx", None),  # control characters removed
])
def test_hostile_names_never_paths(hostile, expected):
    raw = make_message([(hostile, DATA, "literal")])
    raw = raw.replace(b"\\x01", b"\x01").replace(b"\\x1b", b"\x1b")
    [att] = parse_message(raw).attachments
    assert "/" not in att.file_name and "\\" not in att.file_name
    assert not any(ord(ch) < 32 for ch in att.file_name)
    if expected:
        assert att.file_name == expected
    else:
        assert att.file_name == "abc.xlsx"


def test_very_long_name_is_bounded_and_keeps_extension():
    long = "统" * 400 + ".xlsx"
    [att] = parse_message(make_message([(long, DATA, "rfc2231")])).attachments
    assert len(att.file_name) <= 255 and att.file_name.endswith(".xlsx")
    assert clean_file_name("..") == "" and clean_file_name("a/..") == ""


def test_no_attachment_and_non_workbook_attachments():
    m = parse_message(make_message([]))
    assert m.attachments == [] and m.ignored == []
    m = parse_message(make_message([("盖章扫描件.pdf", b"%PDF-1.4", "rfc2231")]))
    assert m.attachments == [] and m.ignored == ["盖章扫描件.pdf"]


def test_unnamed_workbook_part_is_taken():
    m = parse_message(make_message([("", b"PK\x03\x04" + b"x" * 100 + b"xl/workbook.xml", "none")]))
    assert len(m.attachments) == 1 and m.attachments[0].file_name == "附件1.xlsx"


def test_same_attachment_twice_both_seen():
    m = parse_message(make_message([(NAME, DATA, "rfc2231"), (NAME, DATA, "rfc2047-gb2312")]))
    assert [a.file_name for a in m.attachments] == [NAME, NAME]


@pytest.mark.parametrize("name,code", [("winmail.dat", "mail.tnef"), ("报表.msg", "mail.outlook_msg"),
                                       ("报表.zip", "file.archive"), ("报表.rar", "file.archive")])
def test_containers_are_flagged(name, code):
    data = b"\x78\x9f\x3e\x22rest" if name == "winmail.dat" else b"PK\x03\x04container"
    [att] = parse_message(make_message([(name, data, "rfc2231")])).attachments
    assert att.problem == code and att.problem_message


def test_msg_named_eml_and_junk():
    with pytest.raises(MailError) as e:
        parse_message(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    assert e.value.code == "mail.outlook_msg"
    with pytest.raises(MailError) as e:
        parse_message(b"")
    assert e.value.code == "mail.empty"
    with pytest.raises(MailError) as e:
        parse_message(b"\x00\x01random bytes that are no mail")
    assert e.value.code == "mail.not_a_message"


def test_size_limit():
    raw = make_message([(NAME, b"x" * 5000, "rfc2231")])
    with pytest.raises(MailError) as e:
        parse_message(raw, max_bytes=1000)
    assert e.value.code == "mail.too_large"


def test_truncated_base64_and_pathological_headers_do_not_raise():
    raw = make_message([(NAME, b"y" * 3000, "rfc2231")])
    cut = raw[: len(raw) - 900]  # base64 cut mid-way, closing boundary lost
    m = parse_message(cut)
    assert len(m.attachments) == 1 and len(m.attachments[0].data) < 3000
    many = b"".join(b"X-H%d: %s\r\n" % (i, b"v" * 50) for i in range(20000))
    t0 = time.monotonic()
    m = parse_message(many + raw)
    assert len(m.attachments) == 1
    deep = b"Content-Type: multipart/mixed; boundary=a\r\n\r\n" + b"".join(
        b"--a\r\nContent-Type: multipart/mixed; boundary=a\r\n\r\n" for _ in range(3000))
    m = parse_message(b"From: x@y.cn\r\n" + deep)
    assert m.attachments == []
    assert time.monotonic() - t0 >= 0  # (no timing assertion: the time limit is enforced inside)


def test_header_decoding_is_total():
    assert decode_header_text(None) == ""
    assert decode_header_text("=?bogus-charset?B?5rWL6K+V?=") == "测试"
    assert decode_header_text("=?utf-8?B?!!!notbase64?=")  # kept, not raised
    assert decode_header_text("a\r\n b") == "a b"
    assert decode_header_text("\u202eevil\x07") == "evil"


def test_mbox_and_maildir(tmp_path):
    msgs = [make_message([(f"单位{i}.xlsx", DATA + bytes([i]), "rfc2047-gb2312")]) for i in range(3)]
    mb = write_mbox(tmp_path / "收件箱.mbox", msgs)
    got = [(n, parse_message(raw).attachments[0].file_name) for n, raw, _ in iter_mbox(mb)]
    assert got == [(1, "单位0.xlsx"), (2, "单位1.xlsx"), (3, "单位2.xlsx")]
    md = write_maildir(tmp_path / "Maildir", msgs)
    assert is_maildir(md) and len(maildir_files(md)) == 3
    assert sniff_file(mb) == "mbox" and sniff_file(md) == "maildir"
    noext = tmp_path / "Inbox"
    noext.write_bytes(mb.read_bytes())
    assert sniff_file(noext) == "mbox"
    eml = tmp_path / "a"
    eml.write_bytes(msgs[0])
    assert sniff_file(eml) == "eml"


def test_parse_time_limit_holds_in_any_thread():
    """parse_message runs in a reader worker (gipr.isolate), killed at its limit: from the
    main thread and from another one (a web server's handler), where SIGALRM did nothing."""
    import base64
    import threading

    from gipr.collect.mailparse import parse_message
    from gipr.errors import MailError

    word = b"=?gb2312?B?" + base64.b64encode("统计表".encode("gbk")) + b"?="
    slow = b"Subject: " + b"\r\n ".join([word] * 20_000) + b"\r\n" + make_message([], message_id="<slow@example.cn>")
    assert parse_message(slow).subject.startswith("统计表")  # parses with the real limit
    got: dict = {}

    def handler():
        try:
            parse_message(slow, seconds=0.05)
        except MailError as e:
            got["error"] = e

    handler()  # the main thread
    assert got["error"].code == "mail.timeout" and "0.05 秒" in str(got["error"])
    got.clear()
    t = threading.Thread(target=handler)
    t.start()
    t.join(120)
    assert not t.is_alive()
    assert got["error"].code == "mail.timeout" and "0.05 秒" in str(got["error"])


def test_attachments_past_the_limit_are_named_not_dropped_silently(tmp_path):
    """An .eml with 700 attachments (past both the attachment limit and the parts looked at):
    100 taken; the other 600 named, in order, in the message's ``dropped`` — also those in
    parts past MAX_PARTS, from their headers only — and counted in the run's JSON."""
    import contextlib
    import io
    import json
    import sqlite3

    from gipr.cli import main
    from gipr.collect.mailparse import MAX_ATTACHMENTS, MAX_PARTS, parse_message

    n = 700
    atts = [(f"表{i:03d}.xlsx", b"%d" % i, "rfc2231") for i in range(1, n + 1)]
    raw = make_message(atts, message_id="<many@example.cn>")
    msg = parse_message(raw)
    assert n > MAX_PARTS and len(msg.attachments) == MAX_ATTACHMENTS
    assert msg.dropped_total == n - MAX_ATTACHMENTS
    assert msg.dropped == [f"表{i:03d}.xlsx" for i in range(MAX_ATTACHMENTS + 1, n + 1)]
    # through the command line: named in the run's JSON and in the ledger rows' note, exit 2
    roster = tmp_path / "roster.csv"
    roster.write_text("单位代码,单位名称,类别,联系人,邮箱\n001,县民政局,县直部门,王五,mzj@example.cn\n", encoding="utf-8")
    assert main(["init", str(tmp_path / "ws"), "--year", "2025", "--roster", str(roster)]) in (None, 0)
    (tmp_path / "m.eml").write_bytes(raw)
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf), pytest.raises(SystemExit) as e:
        main(["collect", "-w", str(tmp_path / "ws"), str(tmp_path / "m.eml"), "--json"])
    assert e.value.code == 2
    res = json.loads(buf.getvalue())
    assert res["counts"]["dropped"] == n - MAX_ATTACHMENTS
    (d,) = res["dropped"]
    assert d["total"] == n - MAX_ATTACHMENTS and d["names"][0] == "表101.xlsx" and d["names"][-1] == "表700.xlsx"
    con = sqlite3.connect(tmp_path / "ws" / "ledger.sqlite")
    try:
        notes = [r[0] for r in con.execute("SELECT reason FROM submissions")]
    finally:
        con.close()
    assert len(notes) == MAX_ATTACHMENTS
    assert all("另有 600 个附件超过每封邮件 100 个附件的上限，未收取：表101.xlsx、表102.xlsx" in x for x in notes)
    assert all("等（共 600 个）" in x for x in notes)
