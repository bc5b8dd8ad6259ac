"""A bounded fuzz run of the two readers of hostile input: the workbook reader
(read.read_report, then checks.check_report) over mutated real templates, and the e-mail
reader (mailparse.parse_message, then each attachment through the workbook reader) over
mutated real messages.  Mutations: byte flips, truncations, cut/duplicated/inserted runs,
zip members swapped, dropped, duplicated, renamed, stored, and XML edits inside members
(tags deleted, duplicated, renamed; attributes and values replaced with hostile ones;
junk inserted); for e-mail, header lines duplicated, dropped, or replaced with hostile
ones, boundaries, encodings and charsets changed.

The contract: read_report raises nothing but ReadError (GIPR_DEBUG=1 turns its catch-all
off, so a defect cannot hide behind "file.corrupt"); parse_message raises nothing but
MailError; names are display-safe; and the command line never prints a traceback (one
`gipr check` and one `gipr collect` run over a batch of mutated files).

Time: GIPR_FUZZ_SECONDS (default 150) is shared between the workbook and the e-mail
properties; the number of examples is sized from a measured example.  GIPR_FUZZ_SEED
picks the inputs (fixed by default, so CI is reproducible).
"""

from __future__ import annotations

import email
import io
import json
import os
import random
import re
import sqlite3
import subprocess
import sys
import time
import zipfile

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from kit.corpus import Kit, build, members
from kit.mailmaker import make_message

from gipr import messages
from gipr.check import CheckContext, check_report
from gipr.collect.mailparse import classify_attachment, parse_message
from gipr.errors import MailError, ReadError
from gipr.read import read_report

BUDGET = float(os.environ.get("GIPR_FUZZ_SECONDS", "150"))
SEED = int(os.environ.get("GIPR_FUZZ_SEED", "20250131"))
SHARE = {"workbook": 0.55, "email": 0.35}  # the rest: the two command-line runs
CLI_FILES = 120
MAIL_CODES = {"mail.too_large", "mail.timeout", "mail.outlook_msg", "mail.not_a_message", "mail.malformed",
              "mail.empty"}


# ---------------------------------------------------------------------------------------------
# randomness from hypothesis or from random.Random, behind one small interface


class Draw:
    """Choices drawn through hypothesis (so failures shrink)."""

    def __init__(self, data):
        self.data = data

    def randint(self, a: int, b: int) -> int:
        return self.data.draw(st.integers(a, b))

    def choice(self, seq):
        return seq[self.randint(0, len(seq) - 1)]

    def bytes(self, n: int) -> bytes:
        return self.data.draw(st.binary(min_size=n, max_size=n))


class Rng:
    def __init__(self, seed_: int):
        self.r = random.Random(seed_)

    def randint(self, a: int, b: int) -> int:
        return self.r.randint(a, b)

    def choice(self, seq):
        return self.r.choice(seq)

    def bytes(self, n: int) -> bytes:
        return self.r.randbytes(n)


# ---------------------------------------------------------------------------------------------
# byte mutations (any file)


def flip(blob: bytes, d) -> bytes:
    b = bytearray(blob)
    for _ in range(d.randint(1, 16)):
        i = d.randint(0, len(b) - 1)
        b[i] ^= d.randint(1, 255)
    return bytes(b)


def cut(blob: bytes, d) -> bytes:
    return blob[: d.randint(0, len(blob) - 1)]


def splice(blob: bytes, d) -> bytes:
    i = d.randint(0, len(blob))
    n = d.randint(1, 64)
    how = d.choice(["delete", "duplicate", "insert", "zero"])
    if how == "delete":
        return blob[:i] + blob[i + n:]
    if how == "duplicate":
        return blob[:i] + blob[i:i + n] * d.randint(2, 50) + blob[i:]
    if how == "insert":
        return blob[:i] + d.bytes(n) + blob[i:]
    return blob[:i] + bytes(n) + blob[i + n:]


# ---------------------------------------------------------------------------------------------
# zip member mutations


WEIRD_NAMES = ["../evil.xml", "XL/WORKBOOK.XML", "", "xl/worksheets/", "xl\\worksheets\\sheet1.xml",
               "xl/worksheets/sheet1.xml\x00.bin", "\u202excod.xml", "xl/" + "a" * 300 + ".xml"]


def member_op(blob: bytes, d) -> bytes:
    items = members(blob)
    names = [n for n, _ in items]
    op = d.choice(["swap", "drop", "duplicate", "rename", "random", "empty", "stored", "reorder"])
    i, j = d.randint(0, len(items) - 1), d.randint(0, len(items) - 1)
    if op == "swap":
        items[i], items[j] = (items[i][0], items[j][1]), (items[j][0], items[i][1])
    elif op == "drop":
        del items[i]
    elif op == "duplicate":
        items.insert(j, items[i])
    elif op == "rename":
        items[i] = (d.choice(names + WEIRD_NAMES), items[i][1])
    elif op == "random":
        items[i] = (items[i][0], d.bytes(d.randint(0, 200)))
    elif op == "empty":
        items[i] = (items[i][0], b"")
    elif op == "reorder":
        items = items[i:] + items[:i]
    try:
        return build(items, zipfile.ZIP_STORED if op == "stored" else zipfile.ZIP_DEFLATED)
    except (ValueError, UnicodeError, OverflowError):
        return blob


# ---------------------------------------------------------------------------------------------
# XML mutations inside a member

TAG = re.compile(rb"<[A-Za-z_][^<>]{0,200}>")
HOSTILE_VALUES = [b"NaN", b"-0", b"1e309", b"-1e309", b"99999999999999999999", b"", b"abc", b"#REF!", b"1,234",
                  b"\xef\xbc\x91", b"99999", b"-1", b"0.1", b"&amp;", b"&#0;", b"&#xD800;", b"\xff\xfe", b"]]>",
                  b"2958466", b"1E+308"]
HOSTILE_ATTRS = [b'r="A0"', b'r="XFD1048576"', b'r="ZZZZ1"', b'r="A99999999999"', b'r=""', b't="e"', b't="s"',
                 b't="str"', b't="b"', b't="inlineStr"', b't="d"', b't="zz"', b's="99999"', b'hidden="1"',
                 b'state="veryHidden"', b'ref="A1:XFD1048576"', b'date1904="1"', b'count="-1"', b'x="\xff"']
JUNK = [b"<", b">", b"&", b"&lol;", b'"', b"</x>", b"<!--", b"<![CDATA[", b"<?pi?>", b"\x00", b"\xff\xfe",
        b"<!DOCTYPE x>", b'<c r="ZZZ9"><v>1</v></c>', b"<row>", b"</row>", b"<si><t>x</t></si>",
        b"<v>1</v>" * 50]


def xml_op(blob: bytes, d) -> bytes:
    items = members(blob)
    xml_idx = [k for k, (n, b) in enumerate(items) if b.lstrip()[:1] == b"<"]
    if not xml_idx:
        return blob
    k = d.choice(xml_idx)
    name, xml = items[k]
    for _ in range(d.randint(1, 4)):
        tags = [m.span() for m in TAG.finditer(xml)]
        op = d.choice(["delete_tag", "dup_tag", "rename_tag", "attr", "value", "junk", "repeat"])
        if not tags:
            op = "junk"
        if op == "junk":
            i = d.randint(0, len(xml))
            xml = xml[:i] + d.choice(JUNK) + xml[i:]
            continue
        a, b = d.choice(tags)
        tag = xml[a:b]
        if op == "delete_tag":
            xml = xml[:a] + xml[b:]
        elif op == "dup_tag":
            xml = xml[:b] + tag + xml[b:]
        elif op == "rename_tag":
            xml = xml[:a] + re.sub(rb"^<(/?)[\w:.-]+", lambda m: b"<" + m.group(1) + d.choice(
                [b"c", b"row", b"v", b"f", b"sheet", b"si", b"t", b"x:c", b"sheetData"]), tag, count=1) + xml[b:]
        elif op == "attr":
            new = re.sub(rb'\s[\w:]+="[^"]*"', b" " + d.choice(HOSTILE_ATTRS), tag, count=1)
            if new == tag:
                new = tag[:-1] + b" " + d.choice(HOSTILE_ATTRS) + b">"
            xml = xml[:a] + new + xml[b:]
        elif op == "value":
            end = xml.find(b"<", b)
            if end != -1:
                xml = xml[:b] + d.choice(HOSTILE_VALUES) + xml[end:]
        elif op == "repeat":  # a row or cell repeated: a larger sheet, repeated references
            close = xml.find(b">", b)
            xml = xml[:b] + xml[a:b] * d.randint(2, 300) + xml[b:] if close != -1 else xml
    items[k] = (name, xml)
    try:
        return build(items)
    except (ValueError, UnicodeError):
        return blob


def mutate_workbook(seeds: list[bytes], d) -> bytes:
    blob = d.choice(seeds)
    for _ in range(d.randint(1, 3)):
        op = d.choice(["flip", "cut", "splice", "member", "xml", "xml", "xml"])
        if op in ("member", "xml") and not blob.startswith(b"PK\x03\x04"):
            op = "flip"
        try:
            if op in ("member", "xml"):
                blob = (member_op if op == "member" else xml_op)(blob, d)
                continue
        except Exception:
            op = "flip"  # keep mutating bytes
        if not blob:
            return blob
        blob = {"flip": flip, "cut": cut, "splice": splice}[op](blob, d)
    return blob


# ---------------------------------------------------------------------------------------------
# e-mail mutations

HOSTILE_HEADERS = [
    b"Content-Type: multipart/mixed; boundary=", b"Content-Type: multipart/mixed; boundary=\"\"",
    b"Content-Type: text/plain; charset=x-unknown-8bit", b"Content-Type: application/octet-stream; name*0*=gbk''%FF",
    b"Content-Transfer-Encoding: x-uuencode", b"Content-Transfer-Encoding: base64base64",
    b"Content-Disposition: attachment; filename*=utf-7''+ZeVnLA-.xlsx",
    b"Content-Disposition: attachment; filename=\"=?gb2312?B?!!!?=\"",
    b"Content-Disposition: attachment; filename*0*=utf-8''%E7%BB; filename*5*=%9F.xlsx",
    b"Subject: =?utf-8?B?" + b"QUFB" * 5000 + b"?=", b"From: =?gbk?Q?=FF=FE?= <@>", b"Date: Tue, 99 Foo 99999 99:99:99 +9999",
    b"Message-ID: <" + b"a" * 10000 + b">", b"MIME-Version: 1.0\x00", b"X-\xff\xfe: \xff", b": no name",
    b"Content-Type: message/rfc822", b"Content-Type: multipart/alternative; boundary=\"b\"\r\n\r\n--b\r\n--b--",
]


def header_op(raw: bytes, d) -> bytes:
    sep = b"\r\n" if b"\r\n" in raw[:2000] else b"\n"
    lines = raw.split(sep)
    heads = [k for k, ln in enumerate(lines) if re.match(rb"[A-Za-z-]+:", ln)]
    if not heads:
        return raw
    k = d.choice(heads)
    op = d.choice(["dup", "drop", "replace", "insert", "fold", "boundary", "cte", "charset"])
    if op == "dup":
        lines.insert(k, lines[k])
    elif op == "drop":
        del lines[k]
    elif op in ("replace", "insert"):
        new = d.choice(HOSTILE_HEADERS)
        if op == "replace":
            lines[k] = new
        else:
            lines.insert(k, new)
    elif op == "fold":
        lines[k] = lines[k] + (sep + b" " + b"x" * d.randint(1, 2000)) * d.randint(1, 50)
    elif op == "boundary":
        joined = sep.join(lines)
        return re.sub(rb'boundary="?([^";\r\n]+)"?', lambda m: b'boundary="' + m.group(1)[: d.randint(0, 8)] + b'"',
                      joined, count=1)
    elif op == "cte":
        joined = sep.join(lines)
        return joined.replace(b"Content-Transfer-Encoding: base64",
                              b"Content-Transfer-Encoding: " + d.choice([b"quoted-printable", b"7bit", b"binary",
                                                                         b"x-gzip", b"BASE64 ", b""]), 1)
    elif op == "charset":
        joined = sep.join(lines)
        return re.sub(rb"charset=\"?[\w-]+\"?", b"charset=" + d.choice([b"utf-7", b"gb2312", b"x-unknown", b"", b'"',
                                                                          b"utf-16", b"idna", b"rot13"]),
                      joined, count=1)
    return sep.join(lines)


def mutate_email(seeds: list[bytes], d) -> bytes:
    raw = d.choice(seeds)
    for _ in range(d.randint(1, 3)):
        op = d.choice(["header", "header", "flip", "cut", "splice"])
        if not raw:
            return raw
        raw = header_op(raw, d) if op == "header" else {"flip": flip, "cut": cut, "splice": splice}[op](raw, d)
    return raw


# ---------------------------------------------------------------------------------------------
# the properties


@pytest.fixture(scope="module")
def material():
    k = Kit()
    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(k.good))
    out = io.BytesIO()
    wb.save(out)  # the same workbook as openpyxl writes it (other XML, no cached totals)
    import xlsxwriter
    from kit.helpers import consistent_values

    from gipr.spec import load_format
    from gipr.template import WORKBOOK_OPTIONS, build_workbook

    s2019 = load_format("2019")  # the older format: other tables, signed deltas
    old = io.BytesIO()
    wb2019 = xlsxwriter.Workbook(old, {**WORKBOOK_OPTIONS, "in_memory": True})
    build_workbook(wb2019, s2019, year=2020, unit=k.units["U002"], values=consistent_values(s2019, random.Random(3)))
    wb2019.close()
    workbooks = [k.good, out.getvalue(), old.getvalue()]
    from kit.lo import lo_convert, soffice_path

    if soffice_path() is not None:  # the same workbook as LibreOffice writes .ods and .xls (other parsers)
        import tempfile
        from pathlib import Path

        with tempfile.TemporaryDirectory() as tmp:
            src = Path(tmp) / "报表.xlsx"
            src.write_bytes(k.good)
            for target in ("ods", "xls"):
                [o] = lo_convert([src], target, Path(tmp) / target)
                workbooks.append(o.read_bytes())
    mails = [
        make_message([("县教育科技局统计表.xlsx", k.variant(), "rfc2047-gb2312")], date="Tue, 13 Jan 2026 09:00:00 +0800",
                     message_id="<f1@example.cn>"),
        make_message([("教育（镕堃）.xlsx", k.variant(), "raw-gbk"), ("说明.xlsx", k.variant(), "rfc2231")],
                     date="Tue, 13 Jan 2026 09:00:00 +0800", message_id="<f2@example.cn>"),
        make_message([("报表.xlsx", k.variant(), "ctype-only"), ("winmail.dat", b"\x78\x9f\x3e\x22" + bytes(64),
                                                               "rfc2231")],
                     date="Tue, 13 Jan 2026 09:00:00 +0800", message_id="<f3@example.cn>"),
    ]
    from email.mime.message import MIMEMessage
    from email.mime.multipart import MIMEMultipart

    fwd = MIMEMultipart()
    fwd["From"] = "a@b.cn"
    fwd["Subject"] = "Fwd"
    fwd.attach(MIMEMessage(email.message_from_bytes(mails[0])))
    mails.append(fwd.as_bytes())
    return {"kit": k, "workbooks": workbooks, "mails": mails, "roster": list(k.units.values())}


def check_workbook(blob: bytes, roster) -> str:
    """One mutated workbook through the reader and the checks: the contract."""
    try:
        r = read_report(blob, name="模糊.xlsx")
    except ReadError as e:
        assert e.code in messages.READ_ERRORS, e.code
        assert str(e).startswith("模糊.xlsx："), str(e)
        return e.code
    for f in check_report(r, CheckContext(year=2025, roster=roster)):
        assert f.severity in ("error", "warning", "info") and isinstance(f.message, str) and f.message
    return "readable"


def check_email(raw: bytes, roster) -> str:
    try:
        m = parse_message(raw)
    except MailError as e:
        assert e.code in MAIL_CODES, e.code
        return e.code
    for att in m.attachments:
        n = att.file_name
        assert n and len(n) <= 255 and "/" not in n and "\\" not in n and not any(ord(c) < 32 for c in n), repr(n)
        kind, _code, _msg = classify_attachment(att.file_name, att.content_type, att.data)
        assert kind in ("workbook", "problem", "message", "ignore")
        if kind == "workbook" and att.problem is None:
            check_workbook(att.data, roster)
    return "parsed"


def sized(seconds: float, one_example) -> int:
    """How many examples fit in ``seconds``: a few measured first."""
    t = time.monotonic()
    n = 0
    while n < 8 or time.monotonic() - t < 1.0:
        one_example(n)
        n += 1
    per = (time.monotonic() - t) / n
    left = seconds - (time.monotonic() - t)
    return max(20, min(50_000, int(left / (per * 2.4))))  # 2.4: hypothesis's own drawing and bookkeeping


def run_property(name: str, seconds: float, mutate, check, seeds_, roster) -> None:
    """Run the property in a forked child where fork exists: a crash of native code (a Rust
    panic that aborts, an allocation failure) then fails this test with the child's output
    instead of ending the whole test session."""
    import multiprocessing as mp

    if "fork" not in mp.get_all_start_methods():  # pragma: no cover - Windows
        _property(name, seconds, mutate, check, seeds_, roster)
        return
    child = mp.get_context("fork").Process(target=_child, args=(name, seconds, mutate, check, seeds_, roster))
    child.start()
    child.join()
    assert child.exitcode == 0, (f"{name}: the fuzz run failed (exit status {child.exitcode}"
                                 + (", killed by a signal: native code crashed" if child.exitcode < 0 else "")
                                 + "); the failing example and its traceback are in the output above")


def _child(*args) -> None:
    import traceback

    try:
        _property(*args)
    except BaseException:
        traceback.print_exc()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(1)
    sys.stdout.flush()
    os._exit(0)


def _property(name: str, seconds: float, mutate, check, seeds_, roster) -> None:
    os.environ["GIPR_DEBUG"] = "1"  # read_report re-raises what its catch-all would hide
    n = sized(seconds, lambda i: check(mutate(seeds_, Rng(SEED + i)), roster))
    outcomes: dict[str, int] = {}
    slowest = [0.0]

    @seed(SEED)
    @settings(max_examples=n, deadline=None, database=None, derandomize=False,
              suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def prop(data):
        blob = mutate(seeds_, Draw(data))
        t = time.monotonic()
        got = check(blob, roster)
        slowest[0] = max(slowest[0], time.monotonic() - t)
        outcomes[got] = outcomes.get(got, 0) + 1

    t = time.monotonic()
    prop()
    print(f"\n{name}: {sum(outcomes.values())} examples in {time.monotonic() - t:.0f}s (budget {seconds:.0f}s), "
          f"slowest {slowest[0]:.2f}s: {dict(sorted(outcomes.items(), key=lambda kv: -kv[1]))}")
    assert len(outcomes) >= 3  # the mutations reach more than one outcome


def test_fuzz_the_workbook_reader(material):
    run_property("workbook reader", BUDGET * SHARE["workbook"], mutate_workbook, check_workbook,
                 material["workbooks"], material["roster"])


def test_fuzz_the_email_reader(material):
    run_property("e-mail reader", BUDGET * SHARE["email"], mutate_email, check_email, material["mails"],
                 material["roster"])


# ---------------------------------------------------------------------------------------------
# the command line over a batch of mutated files


def test_the_command_line_never_prints_a_traceback(material, tmp_path):
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    env.pop("GIPR_DEBUG", None)
    books = tmp_path / "报表"
    books.mkdir()
    rng = Rng(SEED + 999)
    for i in range(CLI_FILES):
        blob = mutate_workbook(material["workbooks"], rng)
        ext = ".xls" if blob[:4] == b"\xd0\xcf\x11\xe0" else ".ods" if b"opendocument" in blob[:200] else ".xlsx"
        (books / f"模糊{i:03d}{ext}").write_bytes(blob)
    mails = tmp_path / "邮件"
    mails.mkdir()
    for i in range(CLI_FILES // 3):
        (mails / f"模糊{i:03d}.eml").write_bytes(mutate_email(material["mails"], rng))
    p = subprocess.run([sys.executable, "-m", "gipr.cli", "check", str(books), "--json", "--year", "2025"],
                       capture_output=True, env=env, timeout=900)
    assert b"Traceback" not in p.stderr and b"Traceback" not in p.stdout, p.stderr.decode()[-3000:]
    assert p.returncode in (0, 1, 2), p.stderr.decode()[-3000:]
    files = json.loads(p.stdout)["files"]
    assert len(files) == CLI_FILES
    assert not [f for f in files if (f.get("error") or {}).get("code") == "internal.error"]
    roster = tmp_path / "roster.csv"
    from kit.corpus import ROSTER_CSV

    roster.write_text(ROSTER_CSV, encoding="utf-8")
    ws = tmp_path / "ws"
    for args in (["init", str(ws), "--year", "2025", "--roster", str(roster)],
                 ["collect", str(books), str(mails), "-w", str(ws)]):
        p = subprocess.run([sys.executable, "-m", "gipr.cli", *args], capture_output=True, env=env, timeout=900)
        assert b"Traceback" not in p.stderr and b"Traceback" not in p.stdout, p.stderr.decode()[-3000:]
        assert p.returncode in (0, 1, 2), p.stdout.decode()[-2000:] + p.stderr.decode()[-3000:]
        assert "内部错误" not in p.stdout.decode() + p.stderr.decode()
    out = p.stdout.decode()
    assert "收集完成" in out and "internal.read_failed" not in out and "内部错误" not in out
    con = sqlite3.connect(ws / "ledger.sqlite")
    try:
        assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert con.execute("SELECT count(*) FROM submissions").fetchone()[0] >= CLI_FILES
    finally:
        con.close()
