"""The bad-input corpus: files and e-mails that strangers could send, generated here.

    python tests/kit/corpus.py OUTDIR            # writes the files and OUTDIR/manifest.json
    python tests/kit/corpus.py --manifest        # prints the manifest (no files written)

Every case is made from a real gipr template (xlsxwriter, values that pass every rule,
the cover filled) by the edit its name says: zip surgery, XML surgery, openpyxl editing
the way a unit edits, LibreOffice re-saving (``tests/kit/lo.py``), or a real e-mail built with
Python's email package (``tests/kit/mailmaker.py``).  Nothing is committed as a blob.

Each case records what gipr must do with it (``Expect``), for ``gipr check`` (workbook
cases) and for ``gipr collect`` (all cases):

* ``exit``: what this file alone contributes to the exit status (0 fine, 1 errors or an
  unidentified unit, 2 unreadable);
* ``code``: the ReadError / reason code of an unreadable file (exact), and ``findings``: the
  finding codes that must be among the findings of a readable one;
* ``status``: the ledger status of the submission ``gipr collect`` records; every recorded
  file's raw bytes must be in the archive (``archived``);
* for an e-mail, one ``Row`` per submission the message must produce (a message gipr
  cannot take apart is itself one unreadable submission; a message is archived first).

The generator is deterministic: the same cases with the same expected outcomes on every
run (the workbooks' bytes are identical too, except where LibreOffice or openpyxl stamp
the time of saving and the MIME boundaries of e-mails).
"""

from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import io
import json
import os
import random
import re
import struct
import sys
import tempfile
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

YEAR = 2025
SEED = 20250131
ROSTER_CSV = (
    "单位代码,单位名称,类别,联系人,邮箱\n"
    "U001,县教育科技局,县直部门,张三,jky@example.cn\n"
    "U002,县财政局,县直部门,李四,czj@example.cn\n"
    "U005,县民政局,县直部门,王五,mzj@example.cn\n"
    "U006,县司法局,县直部门,赵六,sfj@example.cn\n"
    "U007,东河镇人民政府,乡镇,钱七,dhz@example.cn\n"
    "U008,西山乡人民政府,乡镇,孙八,xsx@example.cn\n"
)
CORPUS_UNIT = "U001"  # the unit whose (damaged) returns the corpus holds
OTHER_UNIT = "U002"
BEFORE_UNITS = ("U005", "U006", "U007", "U008")  # collected before the corpus; must stay untouched
STRANGER = "某人 <stranger@qq.com>"  # not in the roster: only the file itself can identify its unit
FIELDS = {"filler": "王五", "phone": "0351-1234567", "date": "2026-01-20"}
T2, T3, T4, COVER, IDENT = "二 主动公开", "三 依申请公开", "四 复议诉讼", "封面", "_gipr"
GROUPS = ("container", "xml", "format", "cells", "template", "email")


# ---------------------------------------------------------------------------------------------
# expectations


@dataclass
class Expect:
    """What one tool must do with one file."""

    exit: int  # 0 | 1 | 2: this file's contribution to the exit status
    code: str | None = None  # unreadable: the exact ReadError / reason code
    findings: tuple[str, ...] = ()  # readable: finding codes that must be present
    status: str | None = None  # collect: the ledger status (accepted|errors|unreadable|unidentified)
    archived: bool = True  # collect: the raw bytes are in the archive


@dataclass
class Row:
    """One ledger submission an e-mail must produce."""

    status: str
    code: str | None = None
    findings: tuple[str, ...] = ()
    file_name: str | None = None  # exact decoded name
    name_prefix: str | None = None  # or: the name starts with this …
    name_suffix: str | None = None  # … and ends with this
    max_name: int | None = None  # … and is at most this long
    note: str | None = None  # text the submission's note (the ledger's reason) must contain


@dataclass
class Case:
    name: str  # the file name in the corpus folder (unique)
    group: str
    what: str  # what the case is, in a few words
    kind: str  # workbook | email
    check: Expect | None = None  # gipr check (workbook cases)
    collect: Expect | None = None  # gipr collect of a workbook file
    rows: list[Row] | None = None  # gipr collect of an e-mail: the submissions, in order
    needs: str | None = None  # "soffice" when LibreOffice makes the file
    same_values: bool = False  # read in-process: the input cells equal the base workbook's
    fields: dict[str, str] = field(default_factory=dict)  # read in-process: cover fields
    max_message: int | None = None  # every finding message at most this long
    make: Callable[[Kit], bytes] | None = field(default=None, repr=False)

    def manifest(self) -> dict:
        d = asdict(self)
        d.pop("make")
        return d


def unreadable(code: str, collect_code: str | None = None) -> dict:
    """check and collect both: exit 2, the code (collect may name it differently)."""
    return {"check": Expect(2, code=code), "collect": Expect(2, code=collect_code or code, status="unreadable")}


def readable(*findings: str, exit: int = 0, collect_status: str | None = None, collect_findings=None,
             collect_exit: int | None = None) -> dict:
    status = collect_status or ("errors" if exit == 1 else "accepted")
    cexit = collect_exit if collect_exit is not None else (1 if status in ("errors", "unidentified") else 0)
    cf = tuple(findings) if collect_findings is None else tuple(collect_findings)
    return {"check": Expect(exit, findings=tuple(findings)), "collect": Expect(cexit, findings=cf, status=status)}


# ---------------------------------------------------------------------------------------------
# materials: deterministic real workbooks


class Kit:
    """The base workbooks every case starts from (built once per corpus)."""

    def __init__(self) -> None:
        from gipr.roster import Unit
        from gipr.spec import load_format

        self.spec = load_format("2021")
        self.units = {
            "U001": Unit(code="U001", name="县教育科技局", category="县直部门", contact="张三", email="jky@example.cn", line=2),
            "U002": Unit(code="U002", name="县财政局", category="县直部门", contact="李四", email="czj@example.cn", line=3),
            "U005": Unit(code="U005", name="县民政局", category="县直部门", contact="王五", email="mzj@example.cn", line=4),
            "U006": Unit(code="U006", name="县司法局", category="县直部门", contact="赵六", email="sfj@example.cn", line=5),
            "U007": Unit(code="U007", name="东河镇人民政府", category="乡镇", contact="钱七", email="dhz@example.cn", line=6),
            "U008": Unit(code="U008", name="西山乡人民政府", category="乡镇", contact="孙八", email="xsx@example.cn", line=7),
        }
        self.values = self.consistent(1)
        self.good = self.workbook("U001", 1)
        self.m = dict(members(self.good))
        self.part = {name: sheet_part(self.good, name) for name in (COVER, T2, T3, T4, IDENT)}
        self._variants = 0
        # an input cell of table 3 that holds 0 (for -0)
        self.zero_cell = next(c.id for c in self.spec.inputs if c.sheet == T3 and self.values[c.id] == 0)

    def consistent(self, seed: int) -> dict:
        from kit.helpers import consistent_values

        return consistent_values(self.spec, random.Random(seed))

    def identity(self, unit_code: str | None, seed: int, year: int = YEAR) -> dict:
        from gipr.stamp import make_identity, sign

        unit = self.units.get(unit_code) if unit_code else None
        ident = make_identity(self.spec, year, unit)
        ident["template_id"] = hashlib.sha256(f"{unit_code}/{seed}/{year}".encode()).hexdigest()[:32]
        ident["created"] = "2026-01-05T00:00:00+00:00"
        ident["signature"] = sign(ident)
        return ident

    def workbook(self, unit_code: str | None, seed: int, *, year: int = YEAR, values: dict | None = None,
                 fields: dict | None = None) -> bytes:
        """A template of ``unit_code`` filled with consistent values, as Excel would save it
        (totals are formulas with their cached results)."""
        import xlsxwriter

        from gipr.template import WORKBOOK_OPTIONS, build_workbook

        vals = self.consistent(seed) if values is None else values
        out = io.BytesIO()
        wb = xlsxwriter.Workbook(out, {**WORKBOOK_OPTIONS, "in_memory": True})
        build_workbook(wb, self.spec, year=year, unit=self.units.get(unit_code) if unit_code else None,
                       values=vals, identity=self.identity(unit_code, seed, year),
                       fields=FIELDS if fields is None else fields)
        wb.set_properties({"created": _dt.datetime(2026, 1, 5)})
        wb.close()
        return out.getvalue()

    def variant(self, data: bytes | None = None) -> bytes:
        """The base workbook with another zip comment: distinct bytes, the same valid file."""
        self._variants += 1
        return with_comment(self.good if data is None else data, f"variant {self._variants}")

    # -- editing ----------------------------------------------------------------------------
    def ref(self, cid: str) -> str:
        return self.spec.cells[cid].ref

    def set_cell(self, cid: str, inner: bytes, t: str | None = None, data: bytes | None = None) -> bytes:
        """The base with the XML of one cell of the tables replaced."""
        data = self.good if data is None else data
        c = self.spec.cells[cid]
        part = sheet_part(data, c.sheet)
        xml = dict(members(data))[part]
        tattr = b' t="%s"' % t.encode() if t else b""
        return replace(data, {part: set_cell_xml(xml, c.ref, b'<c r="%s"%s>%s</c>' % (c.ref.encode(), tattr, inner))})

    def set_cached(self, cid: str, value: bytes) -> bytes:
        """The base with the cached value of one (formula) cell replaced; the formula kept."""
        c = self.spec.cells[cid]
        part = sheet_part(self.good, c.sheet)
        xml = self.m[part]
        pat = re.compile(rb'(<c r="' + c.ref.encode() + rb'"[^>]*>.*?<v>)[^<]*(</v>)', re.S)
        new, n = pat.subn(rb"\g<1>" + value + rb"\g<2>", xml, count=1)
        if n != 1:
            raise ValueError(cid)
        return replace(self.good, {part: new})

    def inline(self, cid: str, text: str) -> bytes:
        esc = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return self.set_cell(cid, b'<is><t xml:space="preserve">%s</t></is>' % esc.encode(), "inlineStr")

    def openpyxl_edit(self, edit: Callable, data: bytes | None = None) -> bytes:
        """Edit with openpyxl, like a unit typing in a spreadsheet app (formulas keep no cached values)."""
        import openpyxl

        wb = openpyxl.load_workbook(io.BytesIO(self.good if data is None else data))
        edit(wb)
        out = io.BytesIO()
        wb.save(out)
        return stable(out.getvalue())


# ---------------------------------------------------------------------------------------------
# zip and XML surgery


FIXED_TIME = (1980, 1, 1, 0, 0, 0)


def members(data: bytes) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return [(i.filename, z.read(i)) for i in z.infolist()]


def build(items: list[tuple[str, bytes]], method: int = zipfile.ZIP_DEFLATED, comment: bytes = b"") -> bytes:
    out = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # duplicate names are the point of some cases
        with zipfile.ZipFile(out, "w", method) as z:
            for name, blob in items:
                zi = zipfile.ZipInfo(name, FIXED_TIME)
                zi.compress_type = method
                zi.external_attr = 0o644 << 16
                z.writestr(zi, blob)
            z.comment = comment
    return out.getvalue()


def replace(data: bytes, repl: dict[str, bytes] | None = None, add: list[tuple[str, bytes]] = (),
            drop: tuple[str, ...] = (), method: int = zipfile.ZIP_DEFLATED) -> bytes:
    repl = repl or {}
    items = [(n, repl.get(n, b)) for n, b in members(data) if n not in drop]
    return build(items + list(add), method)


def with_comment(data: bytes, comment: str) -> bytes:
    eocd = data.rfind(b"PK\x05\x06")
    c = comment.encode()
    return data[: eocd + 20] + struct.pack("<H", len(c)) + c


def slow_workbook(kit: Kit) -> bytes:
    """A legal workbook that takes a while to read: 40,000 rows of numbers under table 3."""
    part = kit.part[T3]
    rows_ = b"".join(b'<row r="%d">' % r + b"".join(b'<c r="%s%d"><v>%d</v></c>' % (c, r, r) for c in
                                                    (b"A", b"B", b"C", b"D", b"E", b"F", b"G", b"H", b"I", b"J"))
                     + b"</row>" for r in range(60, 40_060))
    return replace(kit.good, {part: kit.m[part].replace(b"</sheetData>", rows_ + b"</sheetData>")})


def stable(data: bytes) -> bytes:
    """Fixed zip timestamps and document dates (openpyxl stamps the time of saving)."""
    items = []
    for n, b in members(data):
        if n == "docProps/core.xml":
            b = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*", rb"\g<1>2026-01-05T00:00:00Z", b)
        items.append((n, b))
    return build(items)


def sheet_part(data: bytes, sheet_name: str) -> str:
    m = dict(members(data))
    wb = m["xl/workbook.xml"].decode()
    rels = m["xl/_rels/workbook.xml.rels"].decode()
    rid = re.search(r'<sheet [^>]*name="%s"[^>]*r:id="([^"]+)"' % re.escape(sheet_name), wb).group(1)
    t = re.search(r'<Relationship [^>]*Id="%s"[^>]*Target="([^"]+)"' % rid, rels)
    if t is None:
        t = re.search(r'<Relationship [^>]*Target="([^"]+)"[^>]*Id="%s"' % rid, rels)
    target = t.group(1)
    return target.lstrip("/") if target.startswith("/") else "xl/" + target


def set_cell_xml(xml: bytes, ref: str, new: bytes) -> bytes:
    pat = re.compile(rb'<c r="' + ref.encode() + rb'"(?:[^>]*/>|[^>]*>.*?</c>)', re.S)
    out, n = pat.subn(new.replace(b"\\", b"\\\\"), xml, count=1)
    if n != 1:
        raise ValueError(f"cell {ref} not found")
    return out


def patch_central(data: bytes, name: str, *, size: int | None = None, crc: int | None = None,
                  method: int | None = None, flags: int | None = None) -> bytes:
    """Change fields of one member's central directory entry (what a crafted file lies about)."""
    b = bytearray(data)
    i = b.find(b"PK\x01\x02")
    while i != -1:
        (nlen,) = struct.unpack_from("<H", b, i + 28)
        if bytes(b[i + 46:i + 46 + nlen]).decode("utf-8", "replace") == name:
            if size is not None:
                struct.pack_into("<I", b, i + 24, size)
            if crc is not None:
                struct.pack_into("<I", b, i + 16, crc)
            if method is not None:
                struct.pack_into("<H", b, i + 10, method)
            if flags is not None:
                struct.pack_into("<H", b, i + 8, flags)
        i = b.find(b"PK\x01\x02", i + 4)
    return bytes(b)


def overlapping(data: bytes, name: str, alias: str) -> bytes:
    """Add a central directory entry ``alias`` that points at the local header of ``name``
    (overlapping entries: the trick behind non-recursive zip bombs)."""
    assert len(alias) == len(name)
    eocd = data.rfind(b"PK\x05\x06")
    n_disk, n_total, cd_size, cd_off = struct.unpack_from("<HHII", data, eocd + 8)
    cd = data[cd_off:cd_off + cd_size]
    i = 0
    extra = b""
    while i < len(cd):
        nlen, elen, clen = struct.unpack_from("<HHH", cd, i + 28)
        ent = cd[i:i + 46 + nlen + elen + clen]
        if ent[46:46 + nlen] == name.encode():
            extra = ent[:46] + alias.encode() + ent[46 + nlen:]
        i += 46 + nlen + elen + clen
    assert extra
    new_cd = cd + extra
    eo = bytearray(data[eocd:eocd + 22])
    struct.pack_into("<HHII", eo, 8, n_disk + 1, n_total + 1, len(new_cd), cd_off)
    return data[:cd_off] + new_cd + bytes(eo)


def rename_local(data: bytes, name: str, other: str) -> bytes:
    """The local header of ``name`` says ``other`` (the central directory still says ``name``)."""
    assert len(other) == len(name)
    b = bytearray(data)
    i = b.find(b"PK\x03\x04")
    while i != -1:
        (nlen,) = struct.unpack_from("<H", b, i + 26)
        if bytes(b[i + 30:i + 30 + nlen]) == name.encode():
            b[i + 30:i + 30 + nlen] = other.encode()
            return bytes(b)
        i = b.find(b"PK\x03\x04", i + 4)
    raise ValueError(name)


def with_doctype(xml: bytes, doctype: bytes) -> bytes:
    i = xml.index(b"?>") + 2 if xml.startswith(b"<?xml") else 0
    return xml[:i] + b"\n" + doctype + xml[i:]


LAUGHS = (b'<!DOCTYPE lolz [<!ENTITY lol "lol">'
          + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
                     for i in range(1, 10))
          + b"]>")
XXE = b'<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
EXTERNAL_DTD = b'<!DOCTYPE sst SYSTEM "http://dtd.example.invalid/sst.dtd">'
PARAMETER_ENTITY = b'<!DOCTYPE x [<!ENTITY % p SYSTEM "http://dtd.example.invalid/p.dtd"> %p;]>'


def use_laughs(xml: bytes) -> bytes:
    """Entity bomb with the entity used in the text (not only declared)."""
    x = with_doctype(xml, LAUGHS)
    return re.sub(rb"(<t[^>]*>)", rb"\1&lol9;", x, count=1)


def utf16(xml: bytes, bom: bool, be: bool = False) -> bytes:
    text = xml.decode("utf-8").replace('encoding="UTF-8"', 'encoding="UTF-16"')
    enc = text.encode("utf-16-be" if be else "utf-16-le")
    return ((b"\xfe\xff" if be else b"\xff\xfe") if bom else b"") + enc


def utf7_doctype(xml: bytes) -> bytes:
    """A UTF-7 declaration with a DOCTYPE written in UTF-7 (invisible to a byte search for "<!")."""
    x = xml.replace(b'encoding="UTF-8"', b'encoding="UTF-7"')
    i = x.index(b"?>") + 2
    return x[:i] + b"+ADwAIQ-DOCTYPE x +AFsAPAAh-ENTITY a +ACI-aaaa+ACIAPgBd-+AD4-" + x[i:]


# ---------------------------------------------------------------------------------------------
# the cases

CASES: list[Case] = []


def case(name: str, group: str, what: str, *, kind: str = "workbook", **kw):
    def deco(fn: Callable[[Kit], bytes]) -> Callable[[Kit], bytes]:
        CASES.append(Case(name=name, group=group, what=what, kind=kind, make=fn, **kw))
        return fn
    return deco


# -- container -----------------------------------------------------------------------------------

case("空文件.xlsx", "container", "an empty file (0 bytes)", **unreadable("file.empty"))(lambda k: b"")
case("截断一半.xlsx", "container", "the first half of a workbook", **unreadable("file.truncated"))(
    lambda k: k.good[: len(k.good) // 2])
case("截断尾部.xlsx", "container", "a workbook without its last 10 bytes (central directory cut)",
     **unreadable("file.truncated"))(lambda k: k.good[:-10])
case("随机字节.xlsx", "container", "4 KB of random bytes", **unreadable("file.not_spreadsheet"))(
    lambda k: random.Random(SEED).randbytes(4096))
case("随机字节带zip头.xlsx", "container", "the zip magic followed by random bytes", **unreadable("file.truncated"))(
    lambda k: b"PK\x03\x04" + random.Random(SEED + 1).randbytes(4096))
case("压缩炸弹_大部件.xlsx", "container", "zip bomb: one member of 40 MB of zeros (ratio ~1000:1)",
     **unreadable("file.zip_bomb"))(lambda k: replace(k.good, add=[("xl/media/image1.bin", bytes(40_000_000))]))
case("压缩炸弹_声明3GB.xlsx", "container", "zip bomb: a member declaring 3 GB uncompressed",
     **unreadable("file.zip_bomb"))(lambda k: patch_central(k.good, "xl/sharedStrings.xml", size=3_000_000_000))
case("压缩炸弹_部件过多.xlsx", "container", "zip bomb: 2,100 members", **unreadable("file.zip_bomb"))(
    lambda k: replace(k.good, add=[(f"xl/media/p{i}.bin", b"") for i in range(2100)]))


@case("压缩炸弹_总量超限.xlsx", "container", "zip bomb: 5 members each declaring 60 MB (300 MB in all, ratio < 200)",
      **unreadable("file.zip_bomb"))
def _total(k: Kit) -> bytes:
    rng = random.Random(SEED + 2)
    blobs = [(f"xl/media/big{i}.bin", rng.randbytes(330_000)) for i in range(5)]
    d = build(members(k.good) + blobs, zipfile.ZIP_STORED)
    for n, _ in blobs:
        d = patch_central(d, n, size=60 * 1024 * 1024)
    return d


case("重叠部件.xlsx", "container", "overlapping zip entries: two central directory names for one local entry",
     **unreadable("file.corrupt"))(
    lambda k: overlapping(k.good, "xl/worksheets/sheet3.xml", "xl/worksheets/sheet9.xml"))
case("声明大小偏小.xlsx", "container", "a declared uncompressed size smaller than the real data",
     **unreadable("file.corrupt"))(lambda k: patch_central(k.good, "xl/sharedStrings.xml", size=100))
case("CRC错误.xlsx", "container", "a member whose CRC does not match", **unreadable("file.corrupt"))(
    lambda k: patch_central(k.good, "xl/sharedStrings.xml", crc=0x12345678))
case("重复部件.xlsx", "container", "a member twice (two different sharedStrings.xml)",
     **unreadable("file.duplicate_member"))(
    lambda k: build(members(k.good) + [("xl/sharedStrings.xml", k.m["xl/sharedStrings.xml"].replace(
        "县教育科技局".encode(), "县财政局".encode()))]))
case("重复部件_大小写.xlsx", "container", "a member twice, names differing only by case",
     **unreadable("file.duplicate_member"))(
    lambda k: build(members(k.good) + [("XL/Workbook.xml", k.m["xl/workbook.xml"])]))
case("本地头不一致.xlsx", "container", "a local file header naming another member than the central directory",
     **unreadable("file.corrupt"))(
    lambda k: rename_local(k.good, "xl/worksheets/sheet3.xml", "xl/worksheets/sheetX.xml"))
case("不支持的压缩方式.xlsx", "container", "a member with an unknown compression method (99)",
     **unreadable("file.corrupt"))(lambda k: patch_central(k.good, "xl/styles.xml", method=99))
case("zip加密部件.xlsx", "container", "a member with the zip encryption flag", **unreadable("file.encrypted"))(
    lambda k: patch_central(k.good, "xl/styles.xml", flags=0x1))
case("空zip.xlsx", "container", "an empty zip archive", **unreadable("file.not_spreadsheet"))(
    lambda k: build([]))
case("嵌套zip.xlsx", "container", "the report zipped, and the zip named .xlsx", **unreadable("file.not_spreadsheet"))(
    lambda k: build([("统计表.xlsx", k.good)]))
case("内嵌zip炸弹.xlsx", "container", "a zip bomb embedded as a member (never opened)",
     same_values=True, **readable())(
    lambda k: replace(k.good, add=[("xl/embeddings/oleObject1.bin", build([("a.bin", bytes(20_000_000))]))]))
case("部件名上级目录.xlsx", "container", "a member named ../../evil.xml", **unreadable("file.corrupt"))(
    lambda k: replace(k.good, add=[("../../evil.xml", b"<x/>")]))
case("部件名绝对路径.xlsx", "container", "a member named /etc/cron.d/gipr", **unreadable("file.corrupt"))(
    lambda k: replace(k.good, add=[("/etc/cron.d/gipr", b"* * * * * root true\n")]))
case("部件名反斜杠上级.xlsx", "container", "a member named ..\\..\\evil.xml", **unreadable("file.corrupt"))(
    lambda k: replace(k.good, add=[("..\\..\\evil.xml", b"<x/>")]))
case("部件名为空.xlsx", "container", "a member with an empty name (found by fuzzing)", **unreadable("file.corrupt"))(
    lambda k: replace(k.good, add=[("", b"<x/>")]))
case("部件名盘符.xlsx", "container", "a member named C:/Windows/evil.xml", **unreadable("file.corrupt"))(
    lambda k: replace(k.good, add=[("C:/Windows/evil.xml", b"<x/>")]))

# -- XML -----------------------------------------------------------------------------------------

case("实体炸弹_工作表.xlsx", "xml", "billion laughs in a worksheet", **unreadable("file.xml_entities"))(
    lambda k: replace(k.good, {k.part[T3]: with_doctype(k.m[k.part[T3]], LAUGHS)}))
case("实体炸弹_共享字符串.xlsx", "xml", "billion laughs in sharedStrings.xml, the entity used",
     **unreadable("file.xml_entities"))(
    lambda k: replace(k.good, {"xl/sharedStrings.xml": use_laughs(k.m["xl/sharedStrings.xml"])}))
case("实体炸弹_工作簿.xlsx", "xml", "billion laughs in workbook.xml", **unreadable("file.xml_entities"))(
    lambda k: replace(k.good, {"xl/workbook.xml": with_doctype(k.m["xl/workbook.xml"], LAUGHS)}))
case("外部实体_工作簿.xlsx", "xml", "XXE: an entity with SYSTEM file:///etc/passwd in workbook.xml",
     **unreadable("file.xml_entities"))(
    lambda k: replace(k.good, {"xl/workbook.xml": with_doctype(k.m["xl/workbook.xml"], XXE)}))
case("外部实体_自定义属性.xlsx", "xml", "XXE in docProps/custom.xml (the identity properties)",
     **unreadable("file.xml_entities"))(
    lambda k: replace(k.good, {"docProps/custom.xml": with_doctype(k.m["docProps/custom.xml"], XXE)}))
case("外部DTD.xlsx", "xml", "an external DTD (DOCTYPE SYSTEM http://…)", **unreadable("file.xml_entities"))(
    lambda k: replace(k.good, {"xl/sharedStrings.xml": with_doctype(k.m["xl/sharedStrings.xml"], EXTERNAL_DTD)}))
case("参数实体.xlsx", "xml", "a parameter entity fetching an external DTD", **unreadable("file.xml_entities"))(
    lambda k: replace(k.good, {"xl/styles.xml": with_doctype(k.m["xl/styles.xml"], PARAMETER_ENTITY)}))
case("UTF-7声明.xlsx", "xml", "sharedStrings.xml declaring UTF-7 with a DOCTYPE written in UTF-7 (inert)",
     same_values=True, **readable())(
    lambda k: replace(k.good, {"xl/sharedStrings.xml": utf7_doctype(k.m["xl/sharedStrings.xml"])}))
case("UTF-16实体.xlsx", "xml", "sharedStrings.xml in UTF-16 with a BOM and an entity bomb",
     **unreadable("file.xml_entities"))(
    lambda k: replace(k.good, {"xl/sharedStrings.xml": utf16(with_doctype(k.m["xl/sharedStrings.xml"], LAUGHS), True)}))
case("UTF-16无BOM实体.xlsx", "xml", "a worksheet in UTF-16 without a BOM, with an entity bomb",
     **unreadable("file.corrupt"))(
    lambda k: replace(k.good, {k.part[T3]: utf16(with_doctype(k.m[k.part[T3]], LAUGHS), False)}))
case("UTF-16BE工作簿.xlsx", "xml", "workbook.xml in UTF-16BE with a BOM", **unreadable("file.corrupt"))(
    lambda k: replace(k.good, {"xl/workbook.xml": utf16(k.m["xl/workbook.xml"], True, be=True)}))
case("深层嵌套_工作表.xlsx", "xml", "100,000 nested elements in a worksheet", same_values=True, **readable())(
    lambda k: replace(k.good, {k.part[T3]: k.m[k.part[T3]].replace(
        b"</worksheet>", b"<extLst>" + b"<a>" * 100_000 + b"</a>" * 100_000 + b"</extLst></worksheet>")}))
case("深层嵌套_工作簿.xlsx", "xml", "100,000 nested elements in workbook.xml", same_values=True, **readable())(
    lambda k: replace(k.good, {"xl/workbook.xml": k.m["xl/workbook.xml"].replace(
        b"</workbook>", b"<extLst>" + b"<a>" * 100_000 + b"</a>" * 100_000 + b"</extLst></workbook>")}))


def _far_row(k: Kit, row: bytes) -> bytes:
    """A row appended to table 3's sheet (found by the fuzz run: each of these made calamine
    allocate tens of gigabytes and abort the whole process)."""
    return replace(k.good, {k.part[T3]: k.m[k.part[T3]].replace(b"</sheetData>", row + b"</sheetData>")})


case("单元格引用11位.xlsx", "xml", "a cell reference A99999999999 (11 digits)", **unreadable("file.sheet_too_large"))(
    lambda k: _far_row(k, b'<row r="40"><c r="A99999999999"><v>1</v></c></row>'))
case("单元格引用单引号.xlsx", "xml", "a far cell reference in single quotes", **unreadable("file.sheet_too_large"))(
    lambda k: _far_row(k, b"<row r='40'><c r='A999999999'><v>1</v></c></row>"))
case("单元格引用小写.xlsx", "xml", "a far cell reference in lower case (xfd999999)",
     **unreadable("file.sheet_too_large"))(lambda k: _far_row(k, b'<row r="40"><c r="xfd999999"><v>1</v></c></row>'))
case("单元格两个r属性.xlsx", "xml", "a cell with two r attributes (the last one far)", **unreadable("file.corrupt"))(
    lambda k: _far_row(k, b'<row r="40"><c r="A40" r="A9999999"><v>1</v></c></row>'))
case("属性值含大于号.xlsx", "xml", "a far cell reference after an attribute holding \">\"",
     **unreadable("file.sheet_too_large"))(
    lambda k: _far_row(k, b'<row r="40"><c s=">" r="A9999999"><v>1</v></c></row>'))
case("XML不完整.xlsx", "xml", "a worksheet cut in the middle of a tag", **unreadable("file.corrupt"))(
    lambda k: replace(k.good, {k.part[T3]: k.m[k.part[T3]][: len(k.m[k.part[T3]]) // 2]}))


@case("超大文本节点.xlsx", "xml", "one 300,000-character text node typed into an input cell",
      max_message=400, **readable("cell.text", exit=1))
def _huge_text(k: Kit) -> bytes:
    rng = random.Random(SEED + 3)
    return k.inline("t3.new.person", "".join(chr(0x4E00 + rng.randrange(3000)) for _ in range(300_000)))


@case("超大共享字符串.xlsx", "xml", "a 4 MB text node in sharedStrings.xml (unused)", same_values=True,
      **readable())
def _huge_sst(k: Kit) -> bytes:
    rng = random.Random(SEED + 4)
    big = "".join(chr(0x4E00 + rng.randrange(3000)) for _ in range(1_400_000)).encode()
    ss = k.m["xl/sharedStrings.xml"].replace(b"</sst>", b"<si><t>" + big + b"</t></si></sst>")
    return replace(k.good, {"xl/sharedStrings.xml": ss})


# -- format --------------------------------------------------------------------------------------


@case("加密.xlsx", "format", "an OOXML workbook encrypted with a password (Agile encryption)",
      **unreadable("file.encrypted"))
def _encrypted(k: Kit) -> bytes:
    from msoffcrypto.format.ooxml import OOXMLFile

    out = io.BytesIO()
    OOXMLFile(io.BytesIO(k.good)).encrypt("mima2025", out)
    return out.getvalue()


case("xlsb伪装.xlsx", "format", "an .xlsb package (binary workbook) named .xlsx", **unreadable("file.not_spreadsheet"))(
    lambda k: build([("[Content_Types].xml", b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                                             b'package/2006/content-types"/>'),
                     ("_rels/.rels", b"<Relationships/>"), ("xl/workbook.bin", b"\x83\x01\x00\x84\x01\x00")]))


@case("Strict格式.xlsx", "format", "Strict Open XML (ISO 29500 strict namespaces)", same_values=True,
      **readable("format.strict"))
def _strict(k: Kit) -> bytes:
    from gipr.ooxml.container import _STRICT_MAP

    out = []
    for n, b in members(k.good):
        for strict, transitional in _STRICT_MAP:
            b = b.replace(transitional, strict)
        if n == "xl/workbook.xml":
            b = b.replace(b"<workbook ", b'<workbook conformance="strict" ', 1)
        out.append((n, b))
    return build(out)


case("网页另存.xls", "format", "an HTML table saved as .xls", **unreadable("file.not_spreadsheet"))(
    lambda k: '<html xmlns:o="urn:schemas-microsoft-com:office:office"><head><meta charset="utf-8"></head><body>'
              '<table><tr><td>县教育科技局</td><td>1</td></tr></table></body></html>'.encode())
case("CSV另存_GBK.xls", "format", "a GBK CSV saved as .xls", **unreadable("file.not_spreadsheet"))(
    lambda k: "单位,自然人,法人\n县教育科技局,3,4\n".encode("gbk"))
case("CSV另存_UTF8.xls", "format", "a UTF-8 CSV saved as .xls", **unreadable("file.not_spreadsheet"))(
    lambda k: "\ufeff单位,自然人,法人\n县教育科技局,3,4\n".encode("utf-8"))
case("Excel2003XML.xls", "format", "an Excel 2003 XML spreadsheet named .xls", **unreadable("file.not_spreadsheet"))(
    lambda k: b'<?xml version="1.0"?>\n<?mso-application progid="Excel.Sheet"?>\n'
              b'<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"><Worksheet/></Workbook>')
case("PDF改名.xlsx", "format", "a PDF renamed .xlsx", **unreadable("file.not_spreadsheet"))(
    lambda k: b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n")
case("Word改名.xlsx", "format", "a .docx renamed .xlsx", **unreadable("file.not_spreadsheet"))(
    lambda k: build([("[Content_Types].xml", b"<Types/>"), ("word/document.xml", b"<w:document/>")]))
case("ODT改名.ods", "format", "an OpenDocument text renamed .ods", **unreadable("file.not_spreadsheet"))(
    lambda k: build([("mimetype", b"application/vnd.oasis.opendocument.text"), ("content.xml", b"<x/>")],
                    zipfile.ZIP_STORED))


@case("带宏.xlsm", "format", "an .xlsm with a VBA project (macros are never run)", same_values=True, **readable())
def _xlsm(k: Kit) -> bytes:
    ct = k.m["[Content_Types].xml"].replace(
        b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        b"application/vnd.ms-excel.sheet.macroEnabled.main+xml").replace(
        b"</Types>", b'<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/></Types>')
    rels = k.m["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>", b'<Relationship Id="rId99" Type="http://schemas.microsoft.com/office/2006/relationships/'
                             b'vbaProject" Target="vbaProject.bin"/></Relationships>')
    vba = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + b"Attribute VB_Name = \"Module1\"\nSub AutoOpen()\nEnd Sub\n"
    return replace(k.good, {"[Content_Types].xml": ct, "xl/_rels/workbook.xml.rels": rels},
                   add=[("xl/vbaProject.bin", vba)])


case("winmail.dat", "format", "an Outlook TNEF winmail.dat saved from a mail",
     check=Expect(2, code="file.not_spreadsheet"), collect=Expect(2, code="mail.tnef", status="unreadable"))(
    lambda k: b"\x78\x9f\x3e\x22\x01\x00" + random.Random(SEED + 5).randbytes(2000))
case("压缩包.zip", "format", "the report inside a .zip", check=Expect(2, code="file.not_spreadsheet"),
     collect=Expect(2, code="file.archive", status="unreadable"))(lambda k: build([("报表.xlsx", k.good)]))
# LibreOffice-made files (see _LO below)
case("xls维度记录颠倒.xls", "format", "an .xls whose DIMENSIONS record starts after it ends (found by fuzzing)",
     needs="soffice", **unreadable("file.corrupt"))(None)
case("xls远端列.xls", "format", "an .xls with a text cell in column 64,271 (found by fuzzing)", needs="soffice",
     **unreadable("file.sheet_too_large"))(None)
case("xls维度20亿行.xls", "format", "an .xls whose DIMENSIONS record declares 2 billion rows (found by fuzzing)",
     needs="soffice", **unreadable("file.sheet_too_large"))(None)
case("xls改名.xlsx", "format", "a real .xls (LibreOffice) renamed .xlsx", needs="soffice", same_values=True,
     **readable())(None)
case("LibreOffice另存.ods", "format", "the workbook saved by LibreOffice as .ods", needs="soffice", same_values=True,
     **readable())(None)

# -- cells ---------------------------------------------------------------------------------------

J = "t3.new.total"  # a total (live SUM formula)
D = "t3.new.person"  # an input cell


def _base_num(k: Kit, cid: str) -> bytes:
    return str(k.values[cid]).encode()


case("缓存值与公式不符.xlsx", "cells", "a total whose cached value disagrees with its formula",
     **readable("total.stale"))(
    lambda k: k.set_cached(J, b"99999"))
case("总计公式无缓存值.xlsx", "cells", "totals saved as formulas without cached values", same_values=True,
     **readable())(
    lambda k: replace(k.good, {k.part[T3]: re.sub(rb"(</f>)<v>[^<]*</v>", rb"\1", k.m[k.part[T3]])}))
case("填报格公式无缓存值.xlsx", "cells", "an input cell holding a formula without a cached value",
     **readable("cell.blank", exit=1))(lambda k: k.set_cell(D, b"<f>1+2</f>"))
case("DDE公式.xlsx", "cells", "a DDE formula (cmd|' /C calc'!A0) in an input cell, cached value kept",
     same_values=True, **readable())(
    lambda k: k.set_cell(D, b"<f>cmd|' /C calc'!A0</f><v>" + _base_num(k, D) + b"</v>"))
case("DDE公式无缓存值.xlsx", "cells", "a DDE formula without a cached value", **readable("cell.blank", exit=1))(
    lambda k: k.set_cell(D, b"<f>cmd|' /C calc'!A0</f>"))
case("HYPERLINK公式.xlsx", "cells", "a HYPERLINK formula whose cached value is the number as text",
     **readable("value.converted"))(
    lambda k: k.set_cell(D, b'<f>HYPERLINK("http://evil.example.invalid/","' + _base_num(k, D) + b'")</f><v>'
                         + _base_num(k, D) + b"</v>", "str"))
case("文本以等号开头.xlsx", "cells", "text =1+1 typed into an input cell", **readable("cell.text", exit=1))(
    lambda k: k.inline(D, "=1+1"))
case("文本以加号开头.xlsx", "cells", "text +N (the right number) typed into an input cell",
     **readable("value.converted"))(lambda k: k.inline(D, "+" + str(k.values[D])))
case("文本以减号开头.xlsx", "cells", "text -3 typed into an input cell", **readable("value.negative", exit=1))(
    lambda k: k.inline(D, "-3"))
case("文本以@开头.xlsx", "cells", "text @SUM(A1) typed into an input cell", **readable("cell.text", exit=1))(
    lambda k: k.inline(D, "@SUM(A1)"))
case("文本以制表符开头.xlsx", "cells", "a tab then the number typed into an input cell",
     **readable("value.converted"))(lambda k: k.inline(D, "\t" + str(k.values[D])))
case("封面单位名称为公式文本.xlsx", "cells", "the cover's unit name typed as =HYPERLINK(…) text",
     **readable("identity.unit_changed"))(
    lambda k: k.openpyxl_edit(lambda wb: _set_text(wb[COVER], "B3", '=HYPERLINK("http://evil.example.invalid","x")')))
case("NaN.xlsx", "cells", "NaN stored as a number", **readable("value.not_finite", exit=1))(
    lambda k: k.set_cell(D, b"<v>NaN</v>"))
case("1e309.xlsx", "cells", "1e309 (infinity) stored as a number", **readable("value.not_finite", exit=1))(
    lambda k: k.set_cell(D, b"<v>1e309</v>"))
case("负零.xlsx", "cells", "-0 stored in an input cell that holds 0", same_values=True, **readable())(
    lambda k: k.set_cell(k.zero_cell, b"<v>-0</v>"))
case("错误值REF.xlsx", "cells", "#REF! (an error cell) in an input cell", **readable("value.excel_error", exit=1))(
    lambda k: k.set_cell(D, b"<v>#REF!</v>", "e"))
case("错误值DIV0.xlsx", "cells", "=1/0 with its cached #DIV/0! in an input cell",
     **readable("value.excel_error", exit=1))(lambda k: k.set_cell(D, b"<f>1/0</f><v>#DIV/0!</v>", "e"))
case("共享字符串越界.xlsx", "cells", "a shared-string index far beyond the table", **unreadable("file.corrupt"))(
    lambda k: k.set_cell(D, b"<v>99999</v>", "s"))
case("逻辑值.xlsx", "cells", "TRUE (a boolean) in an input cell", **readable("value.bool", exit=1))(
    lambda k: k.set_cell(D, b"<v>1</v>", "b"))
case("全角数字.xlsx", "cells", "full-width digits typed as text", **readable("value.converted"))(
    lambda k: k.inline(D, str(k.values[D]).translate(str.maketrans("0123456789", "０１２３４５６７８９"))))


def _set_text(ws, ref: str, text: str) -> None:
    ws[ref].value = text
    ws[ref].data_type = "s"


def _date1904(k: Kit, *, input_date: bool) -> bytes:
    from openpyxl.utils.datetime import CALENDAR_MAC_1904

    def edit(wb):
        wb.epoch = CALENDAR_MAC_1904
        wb[COVER]["B8"] = _dt.datetime(2026, 1, 20)
        wb[COVER]["B8"].number_format = "yyyy-mm-dd"
        if input_date:
            c = wb[T3][k.ref(D)]
            c.value = _dt.datetime(2025, 3, 1)
            c.number_format = "yyyy-mm-dd"
    return k.openpyxl_edit(edit)


case("1904日期系统.xlsx", "cells", "the 1904 date system, the cover date a real date", same_values=True,
     fields={"date": "2026-01-20"}, **readable())(lambda k: _date1904(k, input_date=False))
case("1904日期系统_填报格日期.xlsx", "cells", "the 1904 date system and a date typed into an input cell",
     fields={"date": "2026-01-20"}, **readable("value.date", exit=1))(lambda k: _date1904(k, input_date=True))
case("虚假维度.xlsx", "cells", "a sheet dimension claiming A1:XFD1048576", same_values=True, **readable())(
    lambda k: replace(k.good, {k.part[T3]: re.sub(rb'<dimension ref="[^"]+"/>', b'<dimension ref="A1:XFD1048576"/>',
                                                  k.m[k.part[T3]])}))
case("真实远端单元格.xlsx", "cells", "a value typed into row 1,048,576 of a table sheet",
     **unreadable("file.sheet_too_large"))(
    lambda k: replace(k.good, {k.part[T3]: k.m[k.part[T3]].replace(
        b"</sheetData>", b'<row r="1048576"><c r="O1048576"><v>1</v></c></row></sheetData>')}))
case("隐藏行.xlsx", "cells", "table rows holding values are hidden (values still read)", same_values=True,
     **readable())(
    lambda k: replace(k.good, {k.part[T3]: re.sub(rb'(<row r="(?:6|7|8)")', rb'\1 hidden="1"', k.m[k.part[T3]])}))


@case("隐藏工作表.xlsx", "cells", "the official table sheet hidden, a visible copy with other numbers",
      same_values=True, **readable())
def _hidden_sheet(k: Kit) -> bytes:
    def edit(wb):
        decoy = wb.copy_worksheet(wb[T3])
        decoy.title = "三 依申请公开（修改）"
        decoy[k.ref(D)] = 999
        wb[T3].sheet_state = "hidden"
    return k.openpyxl_edit(edit)


# -- template ------------------------------------------------------------------------------------

case("去掉保护.xlsx", "template", "sheet and workbook protection removed", same_values=True, **readable())(
    lambda k: replace(k.good, {p: re.sub(rb"<sheetProtection[^>]*/>", b"", k.m[p]) for p in
                               (k.part[COVER], k.part[T2], k.part[T3], k.part[T4], k.part[IDENT])}))


def _insert_rows(k: Kit) -> bytes:
    from kit.workbooks import insert_rows

    return k.openpyxl_edit(lambda wb: insert_rows(wb[T3], 12, 2))


case("插入行.xlsx", "template", "two rows inserted inside table 3", **readable("layout.rows_inserted"))(_insert_rows)


def _rename(wb, old: str, new: str) -> None:
    wb[old].title = new


case("工作表改名.xlsx", "template", "the sheet of table 3 renamed", **readable("layout.sheet_renamed"))(
    lambda k: k.openpyxl_edit(lambda wb: _rename(wb, T3, "表三")))
case("工作表换序.xlsx", "template", "the table sheets in reverse order", same_values=True, **readable())(
    lambda k: k.openpyxl_edit(lambda wb: wb._sheets.reverse()))


@case("另一单位的身份.xlsx", "template", "the identity sheet of another unit's template pasted in",
      **readable("identity.unit_changed", collect_status="unidentified", collect_findings=()))
def _other_identity(k: Kit) -> bytes:
    import openpyxl

    other = openpyxl.load_workbook(io.BytesIO(k.workbook(OTHER_UNIT, 2)))

    def edit(wb):
        for row in other[IDENT].iter_rows():
            for c in row:
                wb[IDENT][c.coordinate].value = c.value
    return k.openpyxl_edit(edit)


@case("身份被篡改.xlsx", "template", "the identity's unit code edited (signature no longer matches)",
      **readable("identity.signature", exit=1))
def _tampered(k: Kit) -> bytes:
    def edit(wb):
        for row in wb[IDENT].iter_rows():
            if row[0].value == "unit_code":
                row[1].value = OTHER_UNIT
        for p in list(wb.custom_doc_props.props):
            if p.name == "gipr.unit_code":
                p.value = OTHER_UNIT
    return k.openpyxl_edit(edit)




@case("身份签名含中文.xlsx", "template", "a forged identity signature in Chinese characters (found by fuzzing)",
      **readable("identity.signature", exit=1))
def _forged_signature(k: Kit) -> bytes:
    def edit(wb):
        for row in wb[IDENT].iter_rows():
            if row[0].value == "signature":
                row[1].value = "伪造的签名"
    return k.openpyxl_edit(edit)


case("上年模板.xlsx", "template", "last year's template filled in", **readable("identity.year_mismatch", exit=1))(
    lambda k: k.workbook(CORPUS_UNIT, 3, year=YEAR - 1, fields={**FIELDS, "date": "2025-01-20"}))
case("未填写模板.xlsx", "template", "the template sent back blank", **readable("cell.blank", exit=1))(
    lambda k: k.workbook(CORPUS_UNIT, 4, values={}))
case("LibreOffice另存.xlsx", "template", "re-saved by LibreOffice (identity kept)", needs="soffice",
     same_values=True, **readable())(None)
case("LibreOffice另存_身份丢失.xlsx", "template",
     "the identity sheet and properties dropped, then re-saved by LibreOffice: identified by the cover",
     needs="soffice", same_values=True, **readable("identity.missing"))(None)

def _patch_biff(xls: bytes, rtype: int, sheet: int, patch: Callable[[bytearray, int], None]) -> bytes:
    """Patch the first record of type ``rtype`` in sheet ``sheet`` (from 0: cover, table 2,
    table 3 …) of the Workbook stream of an .xls."""
    import olefile

    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / "x.xls"
        p.write_bytes(xls)
        ole = olefile.OleFileIO(str(p), write_mode=True)
        wb = bytearray(ole.openstream("Workbook").read())
        pos, bof, done = 0, -1, False
        while pos + 4 <= len(wb) and not done:
            t, ln = struct.unpack_from("<HH", wb, pos)
            if t == 0x0809:
                bof += 1
            elif t == rtype and bof - 1 == sheet:  # BOF 0 opens the workbook globals
                patch(wb, pos + 4)
                done = True
            pos += 4 + ln
        assert done, (rtype, sheet)
        ole.write_stream("Workbook", bytes(wb))
        ole.close()
        return p.read_bytes()


def _xls_dimensions_inverted(xls: bytes) -> bytes:
    """The DIMENSIONS record of table 3's sheet says its first row comes after its last."""
    return _patch_biff(xls, 0x0200, 2, lambda b, at: struct.pack_into("<II", b, at, 0x00D50000, 23))


def _xls_huge_dimensions(xls: bytes) -> bytes:
    """The DIMENSIONS record of table 3's sheet declares 2 billion rows (calamine reserves them)."""
    return _patch_biff(xls, 0x0200, 2, lambda b, at: struct.pack_into("<I", b, at + 4, 0x7900000D))


def _xls_far_column(xls: bytes) -> bytes:
    """A text cell (LABELSST) of table 3's sheet moved to column 64,271."""
    return _patch_biff(xls, 0x00FD, 2, lambda b, at: struct.pack_into("<H", b, at + 2, 64271))


# LibreOffice cases: (case name, source bytes, target[, what to do with LibreOffice's file])
_LO = {
    "xls维度记录颠倒.xls": (lambda k: k.good, "xls", _xls_dimensions_inverted),
    "xls远端列.xls": (lambda k: k.good, "xls", _xls_far_column),
    "xls维度20亿行.xls": (lambda k: k.good, "xls", _xls_huge_dimensions),
    "xls改名.xlsx": (lambda k: k.good, "xls"),
    "LibreOffice另存.ods": (lambda k: k.good, "ods"),
    "LibreOffice另存.xlsx": (lambda k: k.good, "xlsx"),
    "LibreOffice另存_身份丢失.xlsx": (
        lambda k: replace(k.good, {"xl/workbook.xml": re.sub(rb'<sheet name="_gipr"[^>]*/>', b"", k.m["xl/workbook.xml"])},
                          drop=("docProps/custom.xml",)), "xlsx"),
}

# -- e-mail --------------------------------------------------------------------------------------

NAME = "县教育科技局2025年政府信息公开统计表.xlsx"
NAME_GBK_ONLY = "教育科技局（镕堃）统计表.xlsx"  # 镕 堃 are GBK, not GB2312


def _mail(k: Kit, atts: list[tuple[str, bytes, str]], n: int, **kw) -> bytes:
    from kit.mailmaker import make_message

    return make_message(atts, sender=kw.pop("sender", STRANGER), date=f"Tue, {n:02d} Jan 2026 09:00:00 +0800",
                        message_id=f"<corpus{n}@example.cn>", **kw)


def email(name: str, what: str, rows: list[Row]):
    return case(name, "email", what, kind="email", rows=rows)


email("附件名含上级目录.eml", "an attachment named ../../../etc/passwd.xlsx",
      [Row("accepted", file_name="passwd.xlsx")])(
    lambda k: _mail(k, [("../../../etc/passwd.xlsx", k.variant(), "literal")], 1))
email("附件名Windows路径.eml", "an attachment named ..\\..\\Windows\\报表.xlsx (backslashes)",
      [Row("accepted", file_name="x.xlsx")])(
    lambda k: _mail(k, [("..\\\\..\\\\Windows\\\\x.xlsx", k.variant(), "literal")], 2))


@email("附件名含控制字符.eml", "control characters (\\x01, ESC, RTL override) in the attachment name",
       [Row("accepted", file_name="abc.xlsx")])
def _ctrl(k: Kit) -> bytes:
    raw = _mail(k, [("aCTRL1bCTRL2c.xlsx", k.variant(), "literal")], 3)
    return raw.replace(b"CTRL1", b"\x01").replace(b"CTRL2", b"\x1b")


email("附件名300字.eml", "an attachment name of 300 characters",
      [Row("accepted", name_prefix="统统统", name_suffix=".xlsx", max_name=255)])(
    lambda k: _mail(k, [("统" * 300 + ".xlsx", k.variant(), "rfc2231")], 4))
email("GB2312标注GBK字符.eml", "a GB2312 label on GBK-only characters (RFC 2047)",
      [Row("accepted", file_name=NAME_GBK_ONLY)])(
    lambda k: _mail(k, [(NAME_GBK_ONLY, k.variant(), "rfc2047-gb2312")], 5))
email("原始GBK字节文件名.eml", "raw 8-bit GBK bytes in the file name", [Row("accepted", file_name=NAME_GBK_ONLY)])(
    lambda k: _mail(k, [(NAME_GBK_ONLY, k.variant(), "raw-gbk")], 6))


@email("RFC2231续行.eml", "an RFC 2231 name split into continuations", [Row("accepted", file_name=NAME)])
def _continuations(k: Kit) -> bytes:
    from urllib.parse import quote

    raw = _mail(k, [("x.xlsx", k.variant(), "rfc2231")], 7)
    a, b, c = quote(NAME[:5].encode()), quote(NAME[5:12].encode()), quote(NAME[12:].encode())
    return raw.replace(b"filename*=utf-8''x.xlsx",
                       f"filename*0*=utf-8''{a};\r\n filename*1*={b};\r\n filename*2*={c}".encode())


email("仅Content-Type有文件名.eml", "the name only in Content-Type (no Content-Disposition)",
      [Row("accepted", file_name=NAME)])(lambda k: _mail(k, [(NAME, k.variant(), "ctype-only")], 8))


@email("同一附件两次.eml", "the same attachment twice in one message: one submission",
       [Row("accepted", file_name=NAME)])
def _twice(k: Kit) -> bytes:
    v = k.variant()
    return _mail(k, [(NAME, v, "rfc2231"), (NAME, v, "rfc2047-gb2312")], 9)


def _cut_base64(raw: bytes, extra: int) -> bytes:
    """The message cut in the middle of the base64 body of its last attachment: after half
    of its lines (whole groups of four characters), plus ``extra`` characters."""
    i = raw.rindex(b"Content-Disposition")
    body = raw.index(b"\n\n", i) + 2
    lines = raw[body:].split(b"\n")
    half = b"\n".join(lines[: len(lines) // 2]) + b"\n"
    return raw[:body] + half + lines[len(lines) // 2][:extra]


email("base64截断.eml", "the message cut in the middle of the attachment's base64",
      [Row("unreadable", code="file.truncated", file_name=NAME)])(
    lambda k: _cut_base64(_mail(k, [(NAME, k.variant(), "rfc2231")], 10), 0))
email("base64截断不成组.eml", "base64 cut one character after a group of four (undecodable: the text is kept)",
      [Row("unreadable", code="file.not_spreadsheet", file_name=NAME)])(
    lambda k: _cut_base64(_mail(k, [(NAME, k.variant(), "rfc2231")], 11), 1))
email("msg伪装eml.eml", "an Outlook .msg (OLE2) named .eml",
      [Row("unreadable", code="mail.outlook_msg", file_name="msg伪装eml.eml")])(
    lambda k: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512 - 8) + random.Random(SEED + 6).randbytes(1024))
email("winmail附件.eml", "a winmail.dat (TNEF) attachment", [Row("unreadable", code="mail.tnef", file_name="winmail.dat")])(
    lambda k: _mail(k, [("winmail.dat", b"\x78\x9f\x3e\x22\x01\x00" + bytes(300), "rfc2231")], 12))
email("压缩包附件.eml", "a .zip attachment holding the report", [Row("unreadable", code="file.archive", file_name="报表.zip")])(
    lambda k: _mail(k, [("报表.zip", build([("附件/报表.xlsx", k.good)]), "rfc2231")], 13))
email("坏附件.eml", "an .xlsx attachment of random bytes",
      [Row("unreadable", code="file.not_spreadsheet", file_name="报表.xlsx")])(
    lambda k: _mail(k, [("报表.xlsx", random.Random(SEED + 7).randbytes(3000), "rfc2231")], 14))


@email("大量Received头.eml", "20,000 Received: headers and a 5 MB header line", [Row("accepted", file_name=NAME)])
def _many_headers(k: Kit) -> bytes:
    hdrs = b"".join(b"Received: from relay%d.example.invalid by mx; Tue, 1 Jan 2026 00:00:00 +0000\r\n" % i
                    for i in range(20_000))
    return hdrs + b"X-Long: " + b"a" * 5_000_000 + b"\r\n" + _mail(k, [(NAME, k.variant(), "rfc2231")], 15)


@email("超长编码主题.eml", "a Subject of 5,000 GB2312 encoded words", [Row("accepted", file_name=NAME)])
def _long_subject(k: Kit) -> bytes:
    word = b"=?gb2312?B?" + base64.b64encode("统计表".encode("gbk")) + b"?="
    raw = _mail(k, [(NAME, k.variant(), "rfc2231")], 16)
    return b"Subject: " + b"\r\n ".join([word] * 5000) + b"\r\n" + raw.replace(b"Subject:", b"X-Old-Subject:", 1)


@email("深层嵌套MIME.eml", "multipart nested 2,000 levels deep",
       [Row("unreadable", code="mail.malformed", file_name="深层嵌套MIME.eml")])
def _deep_mime(k: Kit) -> bytes:
    body = b"Content-Type: text/plain\r\n\r\nhi\r\n"
    for d in range(2000):
        b = b"b%d" % d
        body = (b'Content-Type: multipart/mixed; boundary="' + b + b'"\r\n\r\n--' + b + b"\r\n" + body
                + b"\r\n--" + b + b"--\r\n")
    return b"From: stranger@qq.com\r\nSubject: deep\r\nMIME-Version: 1.0\r\n" + body


@email("转发邮件内的附件.eml", "the report inside a forwarded message (message/rfc822)",
       [Row("accepted", file_name=NAME)])
def _forwarded(k: Kit) -> bytes:
    from email.mime.message import MIMEMessage
    from email.mime.multipart import MIMEMultipart

    inner = _mail(k, [(NAME, k.variant(), "rfc2231")], 17)
    outer = MIMEMultipart()
    outer["From"] = "stranger@qq.com"
    outer["Subject"] = "Fwd: 统计表"
    outer["Date"] = "Tue, 18 Jan 2026 09:00:00 +0800"
    outer["Message-ID"] = "<corpus-fwd@example.cn>"
    import email as _email

    outer.attach(MIMEMessage(_email.message_from_bytes(inner)))
    return outer.as_bytes()


email("没有表格附件.eml", "a message whose only attachment is a PDF: no submission", [])(
    lambda k: _mail(k, [("盖章扫描件.pdf", b"%PDF-1.4\n%%EOF\n", "rfc2231")], 19))
email("发件人识别的坏附件.eml", "a broken attachment from a unit's own address: unreadable, attributed to the unit",
      [Row("unreadable", code="file.truncated", file_name="统计表.xlsx")])(
    lambda k: _mail(k, [("统计表.xlsx", k.good[:5000], "rfc2231")], 20, sender="县财政局 <czj@example.cn>"))



@email("五千个附件.eml", "5,000 attachments: 100 taken, the 4,900 past the limit named in the run and the ledger",
       [Row("accepted", file_name=NAME, note="另有 4900 个附件超过每封邮件 100 个附件的上限，未收取：报表0101.xlsx、"),
        Row("unreadable", code="file.not_spreadsheet", file_name="报表0002.xlsx", note="等（共 4900 个）")])
def _five_thousand(k: Kit) -> bytes:
    junk = random.Random(SEED + 18).randbytes(48)  # the same bytes each time: one submission
    atts = [(NAME, k.variant(), "rfc2231")] + [(f"报表{i:04d}.xlsx", junk, "rfc2231") for i in range(2, 5001)]
    return _mail(k, atts, 21)


# ---------------------------------------------------------------------------------------------
# writing


def manifest(cases: list[Case] | None = None) -> dict:
    cases = CASES if cases is None else cases
    return {"year": YEAR, "roster": ROSTER_CSV, "corpus_unit": CORPUS_UNIT, "before_units": list(BEFORE_UNITS),
            "cases": [c.manifest() for c in cases]}


def make_before(outdir: Path) -> list[Path]:
    """Good returns of the BEFORE_UNITS, collected before the corpus."""
    k = Kit()
    outdir.mkdir(parents=True, exist_ok=True)
    out = []
    for i, code in enumerate(BEFORE_UNITS):
        p = outdir / f"{code}.xlsx"
        p.write_bytes(k.workbook(code, 10 + i))
        out.append(p)
    return out


def make_corpus(outdir: str | Path, *, soffice: bool | None = None) -> dict:
    """Write every case into ``outdir`` (and ``outdir/manifest.json``); returns the manifest.
    Cases that need LibreOffice are left out when it is not installed."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    k = Kit()
    if soffice is None:
        from kit.lo import soffice_path

        soffice = soffice_path() is not None
    written: list[Case] = []
    for c in CASES:
        if c.needs == "soffice":
            continue
        data = c.make(k)
        (outdir / c.name).write_bytes(data)
        written.append(c)
    if soffice:
        written.extend(_libreoffice_cases(k, outdir))
    order = {c.name: i for i, c in enumerate(CASES)}
    written.sort(key=lambda c: order[c.name])
    m = manifest(written)
    m["base_values"] = {cid: str(v) for cid, v in k.values.items()}
    (outdir / "manifest.json").write_text(json.dumps(m, ensure_ascii=False, indent=1), encoding="utf-8")
    stamp = _dt.datetime(2026, 1, 10, 9, 0).timestamp()
    for c in written:
        os.utime(outdir / c.name, (stamp, stamp))
    return m


def _libreoffice_cases(k: Kit, outdir: Path) -> list[Case]:
    from kit.lo import lo_convert

    by_name = {c.name: c for c in CASES}
    done = []
    with tempfile.TemporaryDirectory(prefix="gipr-corpus-lo-") as tmp:
        tmp = Path(tmp)
        jobs: dict[str, list[tuple[str, Path]]] = {}
        post = {}
        for i, (name, spec) in enumerate(_LO.items()):
            make, target = spec[0], spec[1]
            post[name] = spec[2] if len(spec) > 2 else None
            src = tmp / "in" / f"c{i}.xlsx"
            src.parent.mkdir(exist_ok=True)
            src.write_bytes(make(k))
            jobs.setdefault(target, []).append((name, src))
        for target, items in jobs.items():
            outs = lo_convert([p for _, p in items], target, tmp / f"out-{target}")
            for (name, _), o in zip(items, outs):
                data = o.read_bytes()
                (outdir / name).write_bytes(post[name](data) if post[name] else data)
                done.append(by_name[name])
    return done


def counts(m: dict) -> dict[str, int]:
    out = dict.fromkeys(GROUPS, 0)
    for c in m["cases"]:
        out[c["group"]] += 1
    return out


if __name__ == "__main__":
    import argparse

    # run as a script: tests/, where the kit package is
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

    ap = argparse.ArgumentParser(description="Generate gipr's bad-input corpus.")
    ap.add_argument("outdir", nargs="?", help="folder to write the files and manifest.json into")
    ap.add_argument("--manifest", action="store_true", help="print the manifest of every case and exit")
    ap.add_argument("--no-soffice", action="store_true", help="leave out the LibreOffice-made cases")
    a = ap.parse_args()
    if a.manifest or not a.outdir:
        print(json.dumps(manifest(), ensure_ascii=False, indent=1))
    else:
        m = make_corpus(a.outdir, soffice=False if a.no_soffice else None)
        print(f"{len(m['cases'])} cases in {a.outdir}: {counts(m)}")
