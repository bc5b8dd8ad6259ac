"""Every limit gipr enforces is documented in README.md (generated from the code constants:
tests/kit/limits_doc.py) and is hit here, through the command line where a user would meet
it: the message is Chinese, names the file, and the other files are still processed.

Limits measured in seconds are hit by lowering the constant in-process (a real file that
takes a minute to read would make the suite slow); everything else uses real files of the
size that crosses the limit (sparse files where the size alone matters)."""

from __future__ import annotations

import base64
import functools
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from kit.corpus import ROSTER_CSV, T3, Kit, build, members, patch_central, replace, slow_workbook, with_comment
from kit.helpers import ledger_rows
from kit.limits_doc import limits, table_en, table_zh
from kit.mailmaker import make_message
from kit.paths import README

from gipr import read as read_mod
from gipr.cli import main
from gipr.collect import collect as collect_mod
from gipr.collect import mailparse
from gipr.errors import MailError, ReadError
from gipr.read import read_report

ENV = dict(os.environ, PYTHONIOENCODING="utf-8")


@pytest.fixture(scope="module")
def kit() -> Kit:
    return Kit()


def section(text: str, heading: str) -> str:
    i = text.index(heading + "\n")
    j = min((k for k in (text.find("\n## ", i + 1), text.find("\n---", i + 1), text.find("\n# ", i + 1)) if k > 0),
            default=len(text))
    return text[i:j]


def test_readme_states_the_limits_from_the_code():
    text = README.read_text(encoding="utf-8")
    zh = section(text, "## 限制与安全")
    assert table_zh() in zh, "README 的限制表与代码常量不一致：运行 python tests/kit/limits_doc.py 重新生成"
    en = section(text, "## Limits")
    assert table_en() in en
    # the six limits the issue names are all there
    whats = {x.what for x in limits()}
    for w in ("单个文件大小", "解压后总大小", "压缩比", "压缩包内的部件数", "读取一个文件的时间", "一封邮件的大小"):
        assert w in whats


def gipr(*args: str) -> subprocess.CompletedProcess:
    p = subprocess.run([sys.executable, "-m", "gipr.cli", *args], capture_output=True, env=ENV, timeout=600)
    assert b"Traceback" not in p.stderr and b"Traceback" not in p.stdout, p.stderr.decode()
    return p


@pytest.fixture
def workspace(tmp_path) -> Path:
    (tmp_path / "roster.csv").write_text(ROSTER_CSV, encoding="utf-8")
    ws = tmp_path / "ws"
    p = gipr("init", str(ws), "--year", "2025", "--roster", str(tmp_path / "roster.csv"))
    assert p.returncode == 0
    return ws


def read_error(data: bytes, name: str = "限制.xlsx") -> ReadError:
    with pytest.raises(ReadError) as e:
        read_report(data, name=name)
    assert str(e.value).startswith(name + "：")
    return e.value


# ---------------------------------------------------------------------------------------------
# the file itself


def test_largest_file(tmp_path, workspace, kit):
    folder = tmp_path / "收件"
    folder.mkdir()
    big = folder / "超大.xlsx"
    with open(big, "wb") as f:  # sparse: only the size matters, nothing is read
        f.write(kit.good)
        f.truncate(read_mod.MAX_FILE_BYTES + 1)
    (folder / "正常.xlsx").write_bytes(kit.good)
    p = gipr("check", str(folder), "--json")
    assert p.returncode == 2
    by = {Path(f["file"]).name: f for f in json.loads(p.stdout)["files"]}
    assert by["超大.xlsx"]["error"]["code"] == "file.too_large"
    assert "超大.xlsx" in by["超大.xlsx"]["error"]["message"] and "64.0 MB" in by["超大.xlsx"]["error"]["message"]
    assert by["正常.xlsx"]["readable"] is True
    p = gipr("collect", str(folder), "-w", str(workspace))
    out = p.stdout.decode()
    assert p.returncode == 2 and "未收集：超大.xlsx：文件过大" in out
    assert collect_mod.MAX_FILE_BYTES == read_mod.MAX_FILE_BYTES  # one limit for both
    got = ledger_rows(workspace)
    assert [r["file_name"] for r in got] == ["正常.xlsx"]  # the large file is neither recorded nor archived
    assert len(list((workspace / "archive").rglob("*.bin"))) == 1


# ---------------------------------------------------------------------------------------------
# the zip container


def test_declared_member_size(kit):
    e = read_error(patch_central(kit.good, "xl/styles.xml", size=read_mod.MAX_MEMBER_BYTES + 1))
    assert e.code == "file.zip_bomb" and "xl/styles.xml" in str(e) and "声称" in str(e)


def test_total_uncompressed_size(kit):
    import random

    per = read_mod.MAX_MEMBER_BYTES - 1
    n = read_mod.MAX_TOTAL_BYTES // per + 1
    rng = random.Random(1)
    blobs = [(f"xl/media/b{i}.bin", rng.randbytes(per // read_mod.MAX_RATIO + 4096)) for i in range(n)]
    d = build(members(kit.good) + blobs, zipfile.ZIP_STORED)
    for name, _ in blobs:
        d = patch_central(d, name, size=per)
    e = read_error(d)
    assert e.code == "file.zip_bomb" and "解压后总大小超过" in str(e)


def test_compression_ratio(kit):
    floor = read_mod.RATIO_FLOOR
    ok = replace(kit.good, add=[("xl/media/zeros.bin", bytes(floor))])  # small parts may compress a lot
    assert read_report(ok, name="边界.xlsx").spec.id == "2021"
    e = read_error(replace(kit.good, add=[("xl/media/zeros.bin", bytes(floor + 1))]))
    assert e.code == "file.zip_bomb" and "压缩比" in str(e) and "zeros.bin" in str(e)


def test_number_of_members(kit):
    have = len(members(kit.good))
    at = replace(kit.good, add=[(f"xl/media/m{i}.bin", b"") for i in range(read_mod.MAX_MEMBERS - have)])
    assert read_report(at, name="边界.xlsx").spec.id == "2021"
    over = replace(kit.good, add=[(f"xl/media/m{i}.bin", b"") for i in range(read_mod.MAX_MEMBERS - have + 1)])
    e = read_error(over)
    assert e.code == "file.zip_bomb" and f"{read_mod.MAX_MEMBERS + 1} 个部件" in str(e)


def test_sheet_extent(kit):
    part = kit.part[T3]
    xml = kit.m[part]

    def far(row: int, col: str) -> bytes:
        return replace(kit.good, {part: xml.replace(
            b"</sheetData>", b'<row r="%d"><c r="%s%d"><v>1</v></c></row></sheetData>' % (row, col.encode(), row))})

    e = read_error(far(read_mod.MAX_SHEET_ROWS + 1, "A"))
    assert e.code == "file.sheet_too_large" and T3 in str(e) and f"{read_mod.MAX_SHEET_ROWS + 1}" in str(e)
    rows_ = read_mod.MAX_SHEET_CELLS // 16384 + 1  # column XFD: 16,384 columns wide
    e = read_error(far(rows_, "XFD"))
    assert e.code == "file.sheet_too_large" and "16384" in str(e)
    # an extra sheet beyond the limit is skipped, the report is read
    import io

    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(kit.good))
    wb.create_sheet("备注").cell(row=read_mod.MAX_SHEET_ROWS + 1, column=1, value="说明")
    out = io.BytesIO()
    wb.save(out)
    r = read_report(out.getvalue(), name="备注.xlsx")
    assert r.values["t3.new.person"].number == kit.values["t3.new.person"]


# ---------------------------------------------------------------------------------------------
# time


def test_read_time_limit_in_gipr_check(tmp_path, kit, monkeypatch, capsys):
    slow = tmp_path / "慢.xlsx"
    slow.write_bytes(slow_workbook(kit))
    fine = tmp_path / "正常.xlsx"
    fine.write_bytes(kit.good)
    assert read_report(slow).spec.id == "2021"  # readable with the real limit
    monkeypatch.setattr(read_mod.reader, "MAX_READ_SECONDS", 0.05)
    with pytest.raises(SystemExit) as e:
        main(["check", str(slow), str(fine), "--json"])
    assert e.value.code == 2
    by = {Path(f["file"]).name: f for f in json.loads(capsys.readouterr().out)["files"]}
    err = by["慢.xlsx"]["error"]
    assert err["code"] == "file.timeout" and "慢.xlsx" in err["message"] and "0.05 秒" in err["message"]
    assert by["正常.xlsx"]["readable"] is True  # the next file is read as usual


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="measures the worker's VmSize in /proc (Linux)")
def test_read_memory_limit_in_gipr_check(tmp_path, kit, monkeypatch, capsys):
    from kit import isolate_targets

    from gipr.isolate import run_limited

    big = tmp_path / "大.xlsx"
    big.write_bytes(slow_workbook(kit))  # 400,000 numbers: some 60 MB more to read than a report
    fine = tmp_path / "正常.xlsx"
    fine.write_bytes(kit.good)
    assert read_report(big).spec.id == "2021"  # readable with the real limit
    # a limit a little above what a warm reader worker already uses: a report fits, the big sheet not
    limit = run_limited(isolate_targets.vm_size_mb, None, seconds=60) + 30
    monkeypatch.setattr(read_mod.reader, "MAX_READ_MEMORY_MB", limit)
    with pytest.raises(SystemExit) as e:
        main(["check", str(big), str(fine), "--json"])
    assert e.value.code == 2
    by = {Path(f["file"]).name: f for f in json.loads(capsys.readouterr().out)["files"]}
    err = by["大.xlsx"]["error"]
    assert err["code"] == "file.too_large" and "大.xlsx" in err["message"] and f"{limit} MB" in err["message"]
    assert by["正常.xlsx"]["readable"] is True  # the next file is read as usual


def test_read_time_limit_in_gipr_collect(tmp_path, workspace, kit, monkeypatch, capsys):
    folder = tmp_path / "收件"
    folder.mkdir()
    (folder / "慢.xlsx").write_bytes(slow_workbook(kit))
    (folder / "正常.xlsx").write_bytes(kit.good)
    monkeypatch.setattr(collect_mod, "MAX_READ_SECONDS", 0.05)
    with pytest.raises(SystemExit) as e:
        main(["collect", str(folder), "-w", str(workspace)])
    assert e.value.code == 2
    out = capsys.readouterr().out
    assert "慢.xlsx" in out and "秒" in out
    by = {r["file_name"]: r for r in ledger_rows(workspace)}
    assert by["慢.xlsx"]["status"] == "unreadable" and by["慢.xlsx"]["reason_code"] == "file.timeout"
    assert (workspace / "archive" / by["慢.xlsx"]["sha256"][:2] / f"{by['慢.xlsx']['sha256']}.bin").is_file()
    assert by["正常.xlsx"]["status"] == "accepted"


def slow_message(kit: Kit) -> bytes:
    word = b"=?gb2312?B?" + base64.b64encode("统计表".encode("gbk")) + b"?="
    raw = make_message([("报表.xlsx", kit.good, "rfc2231")], message_id="<slow@example.cn>",
                       date="Tue, 13 Jan 2026 09:00:00 +0800")
    return b"Subject: " + b"\r\n ".join([word] * 20_000) + b"\r\n" + raw.replace(b"Subject:", b"X-Old:", 1)


def test_mail_parse_time_limit(tmp_path, workspace, kit, monkeypatch, capsys):
    raw = slow_message(kit)
    assert parse_ok(raw)  # parses with the real limit
    with pytest.raises(MailError) as e:
        mailparse.parse_message(raw, seconds=0.05)
    assert e.value.code == "mail.timeout" and "0.05 秒" in str(e.value)
    # through gipr collect
    folder = tmp_path / "邮件"
    folder.mkdir()
    (folder / "慢.eml").write_bytes(raw)
    monkeypatch.setattr(collect_mod, "parse_message", functools.partial(mailparse.parse_message, seconds=0.05))
    with pytest.raises(SystemExit) as ex:
        main(["collect", str(folder), "-w", str(workspace)])
    assert ex.value.code == 2
    [r] = ledger_rows(workspace)
    assert r["status"] == "unreadable" and r["reason_code"] == "mail.timeout" and r["file_name"] == "慢.eml"
    assert "解析邮件超过" in capsys.readouterr().out


def parse_ok(raw: bytes) -> bool:
    return len(mailparse.parse_message(raw).attachments) == 1


# ---------------------------------------------------------------------------------------------
# e-mail


def test_largest_message(tmp_path, workspace, kit):
    folder = tmp_path / "邮件"
    folder.mkdir()
    # between the mail limit and the file limit: a file collect reads, a message it refuses
    data = os.urandom(int(mailparse.MAX_MESSAGE_BYTES * 0.76))
    big = make_message([("大附件.xlsx", data, "rfc2231")], message_id="<big@example.cn>")
    assert len(big) < collect_mod.MAX_FILE_BYTES
    assert len(big) > mailparse.MAX_MESSAGE_BYTES
    (folder / "大邮件.eml").write_bytes(big)
    (folder / "小邮件.eml").write_bytes(make_message([("报表.xlsx", kit.good, "rfc2231")],
                                                   message_id="<small@example.cn>"))
    p = gipr("collect", str(folder), "-w", str(workspace))
    out = p.stdout.decode()
    assert p.returncode == 2 and "未收集：大邮件.eml：邮件过大" in out and "上限 50 MB" in out
    got = ledger_rows(workspace)
    assert [r["file_name"] for r in got] == ["报表.xlsx"]  # the other message was collected
    with pytest.raises(MailError) as e:
        mailparse.parse_message(big)
    assert e.value.code == "mail.too_large"


def test_attachments_parts_and_nesting_per_message(kit):
    data = b"PK\x03\x04 " + b"x" * 50
    many = make_message([(f"附件{i}.xlsx", data, "rfc2231") for i in range(mailparse.MAX_ATTACHMENTS + 5)])
    m = mailparse.parse_message(many)
    assert len(m.attachments) == mailparse.MAX_ATTACHMENTS and "TooManyAttachments" in m.defects
    from email.mime.multipart import MIMEMultipart
    from email.mime.text import MIMEText

    parts = MIMEMultipart()
    for i in range(mailparse.MAX_PARTS + 10):
        parts.attach(MIMEText(f"正文 {i}", "plain", "utf-8"))
    m = mailparse.parse_message(parts.as_bytes())
    assert "TooManyParts" in m.defects
    # forwarded inside forwarded …: the workbook below the limit is not taken
    def forwarded(depth: int) -> bytes:  # each message sent on as an .eml attachment of the next
        raw = make_message([("最深处.xlsx", data, "rfc2231")])
        for i in range(depth):
            raw = make_message([(f"转发{i}.eml", raw, "rfc2231")])
        return raw

    assert [a.file_name for a in mailparse.parse_message(forwarded(mailparse.MAX_NESTING - 1)).attachments] == [
        "最深处.xlsx"]
    m = mailparse.parse_message(forwarded(mailparse.MAX_NESTING))
    assert m.attachments == []  # one level deeper: not taken apart
    long = mailparse.parse_message(make_message([("统" * 400 + ".xlsx", data, "rfc2231")]))
    assert len(long.attachments[0].file_name) == mailparse.MAX_NAME_CHARS
    assert long.attachments[0].file_name.endswith(".xlsx")


def test_files_per_folder(tmp_path, workspace, kit, monkeypatch, capsys):
    folder = tmp_path / "收件"
    folder.mkdir()
    for i in range(5):
        (folder / f"{i}.xlsx").write_bytes(with_comment(kit.good, str(i)))
    monkeypatch.setattr(collect_mod, "MAX_WALK_FILES", 3)
    with pytest.raises(SystemExit) as e:
        main(["collect", str(folder), "-w", str(workspace)])
    assert e.value.code == 2
    assert "文件夹中的文件超过 3 个，其余的未收集" in capsys.readouterr().out
    assert len(ledger_rows(workspace)) == 3


def test_quoted_cell_text_is_bounded(kit):
    from gipr.check import MAX_RAW_SHOWN, check_report

    r = read_report(kit.inline("t3.new.person", "长" * 500), name="长文本.xlsx")
    [f] = [f for f in check_report(r) if f.code == "cell.text"]
    quoted = re.search(r"“(长+…)”", f.message).group(1)
    assert len(quoted) == MAX_RAW_SHOWN


# the limits of reading one returned file, and the one module that declares them
READ_LIMITS = re.compile(r"(FILE_BYTES|READ_SECONDS|READ_MEMORY_MB)$")
READ_LIMITS_HOME = "ooxml/container.py"
# gipr audit reads a published document and checks it in one worker: a limit of its own (90 s, 1 GB)
OTHER_READ_LIMITS = {"audit/run.py": {"READ_SECONDS", "READ_MEMORY_MB"}}


def test_the_limits_of_reading_a_file_are_declared_once():
    """collect once declared its own file-size limit and its own 60 s read-and-check limit beside
    the reader's (ooxml.container): a change of the reader's limits would not have reached
    collect, and the README listed both.  Every other module imports them."""
    import ast

    import gipr

    pkg = Path(gipr.__file__).parent
    found = []
    for p in sorted(pkg.rglob("*.py")):
        rel = p.relative_to(pkg).as_posix()
        for node in ast.parse(p.read_text(encoding="utf-8")).body:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target] \
                if isinstance(node, ast.AnnAssign) else []
            for t in targets:
                if isinstance(t, ast.Name) and READ_LIMITS.search(t.id) and rel != READ_LIMITS_HOME \
                        and t.id not in OTHER_READ_LIMITS.get(rel, ()):
                    found.append(f"{rel}:{node.lineno}: {t.id}")
    assert not found, f"a limit of reading one file declared outside {READ_LIMITS_HOME}: {found}"
