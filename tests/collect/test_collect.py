"""gipr collect end to end with real filled templates as attachments of real messages:
identification (identity, cover name, sender), resubmission, duplicates, re-collect no-op,
mbox and Maildir, unreadable and hostile files, status JSON/xlsx, the --use override."""

from __future__ import annotations

import json
import mailbox
import random
import sqlite3
import zipfile
from pathlib import Path

import openpyxl
import pytest
from kit.helpers import consistent_values, fill_workbook, random_values
from kit.mailmaker import make_message, write_maildir, write_mbox

from gipr.cli import main
from gipr.collect import Collector
from gipr.collect.workspace import Workspace
from gipr.roster import Unit, load_roster
from gipr.spec import load_format
from gipr.template import write_template
from gipr.unitmatch import match_unit_name

ROSTER = """单位代码,单位名称,类别,联系人,邮箱
U01,教育科技局,县直部门,张三,jiao@example.cn
U02,县公安局,县直部门,李四,gongan@example.cn
U03,财政局,县直部门,王五,caizheng@example.cn;cz2@example.cn
U04,民政局,县直部门,赵六,minzheng@example.cn
U05,城关镇人民政府,乡镇,钱七,cgz@example.cn
"""


def _date(day: int) -> str:
    return f"Mon, {day:02d} Jan 2026 10:00:00 +0800"


@pytest.fixture(scope="module")
def books(tmp_path_factory):
    """Real filled templates (bytes), made once for the module."""
    d = tmp_path_factory.mktemp("books")
    (d / "roster.csv").write_text(ROSTER, encoding="utf-8")
    roster = {u.code: u for u in load_roster(d / "roster.csv")}
    spec = load_format("2021")
    rng = random.Random(7)
    out: dict[str, bytes] = {}

    def make(key: str, unit: Unit | None, values, fields) -> None:
        t = write_template(d / f"t_{key}.xlsx", spec, year=2025, unit=unit)
        out[key] = fill_workbook(t, d / f"{key}.xlsx", values, fields).read_bytes()

    base = {"filler": "张三", "phone": "0351-1234567", "date": "2026-01-10"}
    make("u01_v1", roster["U01"], consistent_values(spec, rng), base)
    make("u01_v2", roster["U01"], consistent_values(spec, rng), base | {"date": "2026-01-15"})
    bad = random_values(spec, rng)
    make("u02_err", roster["U02"], bad, base)
    make("cover_caizheng", None, consistent_values(spec, rng), base | {"unit_name": "县财政局"})
    make("cover_short_gongan", None, consistent_values(spec, rng), base | {"unit_name": "公安局"})
    make("blank_sender", None, consistent_values(spec, rng), base | {"filler": "赵六"})
    make("blank_nobody", None, consistent_values(spec, rng), base | {"filler": "某人", "unit_name": "县档案馆"})
    make("u05_town", roster["U05"], consistent_values(spec, rng), base)
    return out


@pytest.fixture
def ws(tmp_path):
    (tmp_path / "roster.csv").write_text(ROSTER, encoding="utf-8")
    w = Workspace.create(tmp_path / "ws", 2025, tmp_path / "roster.csv", county="灵丘县")
    yield w
    w.close()


def inbox(tmp_path: Path, books) -> tuple[Path, list[bytes]]:
    """A folder of .eml files as a mail client exports them."""
    msgs = [
        make_message([("2025年报表-教育科技局.xlsx", books["u01_v1"], "rfc2231")],
                     sender="教育科技局 <jiao@example.cn>", date=_date(10), message_id="<m1@example.cn>"),
        make_message([("公安局统计表.xlsx", books["u02_err"], "rfc2047-gb2312")],
                     sender="公安 <gongan@example.cn>", date=_date(11), message_id="<m2@example.cn>"),
        # a correction from a personal address, identified by the template's identity
        make_message([("教育科技局（更正）.xlsx", books["u01_v2"], "raw-gbk")],
                     sender="小张 <zhang123@qq.com>", date=_date(15), message_id="<m3@qq.com>"),
        make_message([], sender="财政 <caizheng@example.cn>", date=_date(12), message_id="<m4@example.cn>",
                     body="表格明天发。"),
        # the same attachment twice in one message; unit typed on the cover of a blank template
        make_message([("财政局.xlsx", books["cover_caizheng"], "rfc2047-gbk"),
                      ("财政局.xlsx", books["cover_caizheng"], "rfc2047-gbk")],
                     sender="cz2@example.cn", date=_date(13), message_id="<m5@example.cn>"),
        # a blank template with no unit name: only the sender says who it is
        make_message([("统计表.xlsx", books["blank_sender"], "rfc2231")],
                     sender="民政 <minzheng@example.cn>", date=_date(14), message_id="<m6@example.cn>"),
        # nothing says who it is
        make_message([("表.xlsx", books["blank_nobody"], "raw-utf8")],
                     sender="someone@163.com", date=_date(14), message_id="<m7@163.com>"),
    ]
    d = tmp_path / "收件箱"
    d.mkdir()
    for i, m in enumerate(msgs, start=1):
        (d / f"邮件{i}.eml").write_bytes(m)
    return d, msgs


def ledger_rows(ws) -> list[tuple]:
    con = sqlite3.connect(ws.ledger_path)
    try:
        return con.execute("SELECT id, sha256, source_key, unit_code, status, check_status, identified_by, "
                           "received_at, file_name, errors, warnings, duplicate_of FROM submissions ORDER BY id"
                           ).fetchall()
    finally:
        con.close()


def test_collect_folder_of_eml(tmp_path, ws, books):
    d, _ = inbox(tmp_path, books)
    with ws.lock():
        res = Collector(ws).collect_paths([d])
    by_name = {(o.file_name, o.result): o for o in res.outcomes}
    s1 = by_name[("2025年报表-教育科技局.xlsx", "new")].submission
    assert (s1.unit_code, s1.status, s1.identified_by) == ("U01", "accepted", "identity")
    assert s1.mail_from.endswith("<jiao@example.cn>") and s1.message_id == "m1@example.cn"
    assert s1.received_at == "2026-01-10T02:00:00Z"
    s2 = by_name[("公安局统计表.xlsx", "new")].submission
    assert (s2.unit_code, s2.status) == ("U02", "errors") and s2.errors > 0
    assert any(f["severity"] == "error" and f["message"] for f in s2.findings)
    s3 = by_name[("教育科技局（更正）.xlsx", "new")].submission
    assert (s3.unit_code, s3.identified_by) == ("U01", "identity")
    assert "zhang123@qq.com" in s3.source and s3.reason is None
    s5 = by_name[("财政局.xlsx", "new")].submission
    assert (s5.unit_code, s5.identified_by, s5.status) == ("U03", "cover_name", "accepted")
    assert by_name[("财政局.xlsx", "duplicate")].submission.id == s5.id  # twice in one message: one row
    s6 = by_name[("统计表.xlsx", "new")].submission
    assert (s6.unit_code, s6.identified_by) == ("U04", "sender")
    # …but its cover has no unit name: a real error the unit must fix
    assert s6.status == "errors" and [f["code"] for f in s6.findings if f["severity"] == "error"] == ["field.missing"]
    s7 = by_name[("表.xlsx", "new")].submission
    assert (s7.unit_code, s7.status, s7.check_status) == (None, "unidentified", "accepted")
    assert "someone@163.com" in s7.reason and "县档案馆" in s7.reason
    c = res.counts
    assert (c["new"], c["accepted"], c["errors"], c["unidentified"], c["unreadable"], c["duplicate"]) == \
        (6, 3, 2, 1, 0, 1)
    assert len(res.no_attachment) == 1 and "表格明天发" not in res.no_attachment[0] and "财政" in res.no_attachment[0]
    # every received file is in the archive, byte for byte
    for o in res.outcomes:
        assert o.submission.archive_path.read_bytes() in books.values()
    cur = ws.ledger.current()
    assert cur["U01"].id == s3.id  # the correction supersedes; the first version stays
    assert {s.id for s in ws.ledger.submissions("U01")} == {s1.id, s3.id}
    assert set(cur) == {"U01", "U02", "U03", "U04"}
    assert ws.ledger.integrity_problems() == []

    # collecting again is a no-op
    before = ledger_rows(ws)
    with ws.lock():
        res2 = Collector(ws).collect_paths([d])
    assert ledger_rows(ws) == before
    assert res2.counts["new"] == 0 and res2.counts["duplicate"] == 7

    # the same attachments saved from the mail client into a folder: duplicates, nothing changes
    saved = tmp_path / "附件"
    saved.mkdir()
    (saved / "a.xlsx").write_bytes(books["u01_v1"])
    (saved / "b.xlsx").write_bytes(books["blank_nobody"])
    (saved / "说明.pdf").write_bytes(b"%PDF-1.4")
    (saved / "~$a.xlsx").write_bytes(b"lock file of Excel")
    with ws.lock():
        res3 = Collector(ws).collect_paths([saved])
    assert res3.counts["new"] == 0 and res3.counts["duplicate"] == 2 and len(res3.ignored) == 1
    dups = [o.submission for o in res3.outcomes]
    assert {d.duplicate_of for d in dups} == {s1.id, s7.id} and {d.status for d in dups} == {"duplicate"}
    assert ws.ledger.current()["U01"].id == s3.id
    # the unidentified file, pinned by the clerk
    assert main_json(["status", "-w", str(ws.root), "--use", "U05", str(s7.id), "--note", "电话确认"]) is None
    assert ws.ledger.current()["U05"].id == s7.id


def main_json(argv: list[str], capsys=None):
    try:
        main(argv)
    except SystemExit as e:
        if e.code not in (0, None):
            raise
    return None


def test_mbox_and_maildir_give_the_same_ledger(tmp_path, books):
    d, msgs = inbox(tmp_path, books)
    results = []
    for kind in ("eml", "mbox", "maildir"):
        (tmp_path / "roster.csv").write_text(ROSTER, encoding="utf-8")
        w = Workspace.create(tmp_path / f"ws_{kind}", 2025, tmp_path / "roster.csv")
        if kind == "eml":
            src = d
        elif kind == "mbox":
            src = write_mbox(tmp_path / "导出.mbox", msgs)
        else:  # a Maildir with a Maildir++ subfolder (".报表"), as Dovecot keeps it
            src = write_maildir(tmp_path / "Maildir", msgs[:3])
            sub = mailbox.Maildir(str(src)).add_folder("报表")
            for m in msgs[3:]:
                sub.add(m)
            (src / "dovecot-uidlist").write_text("3 V1 N4\n")
        with w.lock():
            Collector(w).collect_paths([src])
            again = Collector(w).collect_paths([src])
        assert again.counts["new"] == 0
        results.append(sorted((r[1], r[3], r[4], r[6], r[7], r[8]) for r in ledger_rows(w)))
        w.close()
    assert results[0] == results[1] == results[2]
    assert len(results[0]) == 6


def test_unreadable_and_hostile_files(tmp_path, ws, books):
    good = books["u02_err"]
    truncated = good[: len(good) // 2]
    msgs = [
        make_message([("公安局.xlsx", truncated, "rfc2231")], sender="gongan@example.cn", date=_date(20),
                     message_id="<bad1@example.cn>"),
        make_message([("winmail.dat", b"\x78\x9f\x3e\x22" + b"\0" * 200, "rfc2231")], sender="minzheng@example.cn",
                     date=_date(20), message_id="<bad2@example.cn>"),
        make_message([("../../../../tmp/evil\x01.xlsx", b"random bytes, not a workbook", "rfc2231")],
                     sender="nobody@evil.example", date=_date(20), message_id="<bad3@example.cn>"),
    ]
    d = tmp_path / "in"
    d.mkdir()
    for i, m in enumerate(msgs):
        (d / f"{i}.eml").write_bytes(m)
    (d / "outlook.eml").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 1000)  # a .msg named .eml
    enc = zipfile.ZipFile(d / "压缩包.zip", "w")
    enc.writestr("a.xlsx", good)
    enc.close()
    with ws.lock():
        res = Collector(ws).collect_paths([d])
    subs = {o.file_name: o.submission for o in res.outcomes}
    assert subs["公安局.xlsx"].status == "unreadable" and subs["公安局.xlsx"].unit_code == "U02"
    assert subs["公安局.xlsx"].reason and "公安局.xlsx" in subs["公安局.xlsx"].reason
    assert subs["winmail.dat"].reason_code == "mail.tnef" and subs["winmail.dat"].unit_code == "U04"
    evil = next(s for n, s in subs.items() if "evil" in n)
    assert evil.file_name == "evil.xlsx" and evil.status == "unreadable" and evil.unit_code is None
    assert subs["outlook.eml"].reason_code == "mail.outlook_msg"
    assert subs["压缩包.zip"].reason_code == "file.archive"
    for s in subs.values():  # raw bytes kept
        assert s.archive_path.is_file()
    assert not (Path("/tmp") / "evil.xlsx").exists()
    assert res.counts["unreadable"] == 5
    # the latest from 公安局 is broken: status says so (the clerk can pin an older one)
    st = ws.ledger.current()["U02"]
    assert st.check_status == "unreadable"

    # nothing already collected changes when a later good file arrives; the good one is current
    ok = make_message([("公安局.xlsx", good, "rfc2231")], sender="gongan@example.cn", date=_date(21),
                      message_id="<good@example.cn>")
    (d / "ok.eml").write_bytes(ok)
    before = ledger_rows(ws)
    with ws.lock():
        Collector(ws).collect_paths([d])
    after = ledger_rows(ws)
    assert after[: len(before)] == before and len(after) == len(before) + 1
    assert ws.ledger.current()["U02"].status == "errors"


def test_cli_collect_status_json_out_and_use(tmp_path, ws, books, capsys):
    d, _ = inbox(tmp_path, books)
    with pytest.raises(SystemExit) as e:
        main(["collect", str(d), "-w", str(ws.root)])
    assert e.value.code == 1  # a report with errors and an unidentified one
    out = flat(capsys.readouterr().out)
    assert "收集完成：新收 6 份" in out and "重复 1 份" in out and "未识别单位 1" in out
    main(["status", "-w", str(ws.root), "--json"])
    js = json.loads(flat(capsys.readouterr().out))
    assert [(u["code"], u["status"]) for u in js["units"]] == [
        ("U01", "accepted"), ("U02", "errors"), ("U03", "accepted"), ("U04", "errors"), ("U05", "missing")]
    assert js["missing"] == ["U05"]
    assert all(set(u) >= {"code", "name", "status", "submission", "errors"} for u in js["units"])
    u02 = js["units"][1]
    assert u02["errors"] > 0 and isinstance(u02["submission"], int)
    unatt = js["unattached"]
    assert len(unatt) == 1
    # pin the unidentified file to 城关镇 (a correction sent from another address)
    main(["status", "-w", str(ws.root), "--use", "U05", str(unatt[0]["submission"]), "--note", "电话确认"])
    assert "已指定" in flat(capsys.readouterr().out)
    main(["status", "-w", str(ws.root), "--json"])
    js = json.loads(flat(capsys.readouterr().out))
    assert js["units"][4]["status"] == "accepted" and js["units"][4]["pinned"] and js["missing"] == []
    assert js["units"][4]["override"]["note"] == "电话确认" and js["units"][4]["override"]["by"]
    # first version of 教育科技局 pinned over the correction, then un-pinned
    first = min(s.id for s in ws.ledger.submissions("U01"))
    main(["status", "-w", str(ws.root), "--use", "U01", str(first)])
    main(["status", "-w", str(ws.root)])
    text = flat(capsys.readouterr().out)
    assert "人工指定" in text and "未报送：" not in text
    main(["status", "-w", str(ws.root), "--unit", "U02"])
    text = flat(capsys.readouterr().out)
    assert "县公安局（U02）的全部报送" in text and "校验问题" in text and "错误" in text
    main(["status", "-w", str(ws.root), "--unuse", "U01"])
    assert ws.ledger.current()["U01"].id != first
    # status.xlsx, written atomically, refuses to overwrite without --force
    xl = tmp_path / "报送情况.xlsx"
    main(["status", "-w", str(ws.root), "--out", str(xl)])
    wb = openpyxl.load_workbook(xl)
    rows = list(wb["报送情况"].iter_rows(values_only=True))
    assert rows[0][:3] == ("单位代码", "单位名称", "状态") and rows[2][:3] == ("U02", "县公安局", "有错误")
    assert len(list(wb["全部报送"].iter_rows())) == 1 + ws.ledger.count()
    with pytest.raises(SystemExit) as e:
        main(["status", "-w", str(ws.root), "--out", str(xl)])
    assert e.value.code == 2
    main(["status", "-w", str(ws.root), "--out", str(xl), "--force", "--verify"])
    assert "完整性检查：正常" in flat(capsys.readouterr().out)
    # not a workspace
    with pytest.raises(SystemExit) as e:
        main(["status", "-w", str(tmp_path)])
    assert e.value.code == 2 and "不是 gipr 工作目录" in flat(capsys.readouterr().err)


def test_init_command(tmp_path, capsys):
    (tmp_path / "r.csv").write_text(ROSTER, encoding="utf-8")
    main(["init", str(tmp_path / "w"), "--year", "2025", "--roster", str(tmp_path / "r.csv"), "--county", "灵丘县"])
    assert "已创建工作目录" in flat(capsys.readouterr().out)
    w = Workspace.open(tmp_path / "w")
    assert (w.year, w.county, w.format, len(w.roster)) == (2025, "灵丘县", "2021", 5)
    w.close()
    with pytest.raises(SystemExit) as e:
        main(["init", str(tmp_path / "w"), "--year", "2025", "--roster", str(tmp_path / "r.csv")])
    assert e.value.code == 2 and "已经是 gipr 工作目录" in flat(capsys.readouterr().err)


def flat(text: str) -> str:
    """Console output without rich's line wrapping."""
    return text.replace("\n", "")


def _u(code, name):
    return Unit(code, name, "", "", "", 0)


def test_match_unit_names():
    roster = [_u("1", "县教育科技局"), _u("2", "县公安局"), _u("3", "县人民政府办公室"), _u("4", "城关镇人民政府"),
              _u("5", "县发展和改革局"), _u("6", "县市场监督管理局"), _u("7", "县人力资源和社会保障局"),
              _u("8", "县规划和自然资源局"), _u("9", "县教育局"), _u("10", "县文化和旅游局")]

    def m(t):
        u, c = match_unit_name(t, roster, "灵丘县")
        return u.code if u else [x.code for x in c]

    assert m("县教育科技局") == "1"
    assert m("灵丘县教育科技局（盖章）") == "1"
    assert m("教科局") == "1"
    assert m("公安局") == "2" and m("灵丘县公安局") == "2" and m("山西省灵丘县公安局") == "2"
    assert m("政府办") == "3" and m("县政府办公室") == "3"
    assert m("城关镇") == "4" and m("城关镇政府") == "4"
    assert m("发改局") == "5" and m("市场监管局") == "6" and m("人社局") == "7" and m("文旅局") == "10"
    assert m("教育局") == "9"  # exact beats the short form of 教育科技局
    assert isinstance(m("局"), list)  # never guessed
    assert sorted(m("教局")) == ["1", "9"]  # ambiguous: not guessed
    assert m("资源局") == "8"  # the only one
    assert m("") == [] and m("税务局") == []


def test_settle_identity_on_findings():
    from gipr.model import Finding, Report
    from gipr.unitmatch import settle_identity

    spec = load_format("2021")
    rep = Report(spec=spec, file="x.xlsx", fields={"unit_name": "公安局"})
    found = [Finding("identity.unit_unknown", "error", "填报单位“公安局”不在单位名册中。"),
             Finding("rule.A", "error", "不相等")]
    unit = _u("U02", "县公安局")
    out = settle_identity(found, rep, unit)
    assert [(f.code, f.severity) for f in out] == [("identity.unit_unknown", "info"), ("rule.A", "error"),
                                                   ("identity.unit_changed", "warning")]
    js = settle_identity([f.to_json() for f in found], rep, unit, as_json=True)
    assert [(f["code"], f["severity"]) for f in js] == [(f.code, f.severity) for f in out]
    assert settle_identity(found, rep, None)[0].severity == "info"


def test_gbk_file_names_on_disk_and_odd_sources(tmp_path, ws, books):
    """A folder unpacked from a Windows zip: file names in GBK bytes, not UTF-8."""
    import os

    d = tmp_path / "unzipped"
    d.mkdir()
    name = "县公安局统计表.xlsx".encode("gbk")
    with open(os.path.join(os.fsencode(d), name), "wb") as f:
        f.write(books["u02_err"])
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with ws.lock():
        res = Collector(ws).collect_paths([d, fifo, tmp_path / "nope"])
    [o] = res.outcomes
    assert o.file_name == "县公安局统计表.xlsx" and o.submission.unit_code == "U02"
    assert "县公安局统计表.xlsx" in o.submission.source
    assert sorted(x.code for x in res.skipped) == ["source.missing", "source.not_a_file"]
