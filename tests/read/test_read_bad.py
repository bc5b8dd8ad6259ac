"""Bad input: every case ends in a ReadError with a stable code and a Chinese message naming
the file, never a traceback; `gipr check` gives exit 2 for it and still checks the other
files of the same run."""

from __future__ import annotations

import io
import json
import os
import random
import re
import struct
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path

import openpyxl
import pytest
from kit.workbooks import good_values, member, numbers, rezip, sheet_part, template

from gipr.errors import ReadError
from gipr.ooxml.container import _STRICT_MAP
from gipr.read import LIMITS, read_report

T3 = "三 依申请公开"


@pytest.fixture(scope="module")
def good(tmp_path_factory) -> bytes:
    tmp = tmp_path_factory.mktemp("good")
    return template(tmp / "good.xlsx", values=good_values(seed=21)).read_bytes()


def _patch_declared_size(data: bytes, name: str, size: int) -> bytes:
    """Change a member's uncompressed size in the central directory (what a zip bomb lies about)."""
    b = bytearray(data)
    i = b.find(b"PK\x01\x02")
    while i != -1:
        (nlen,) = struct.unpack_from("<H", b, i + 28)
        if bytes(b[i + 46:i + 46 + nlen]).decode() == name:
            struct.pack_into("<I", b, i + 24, size)
        i = b.find(b"PK\x01\x02", i + 4)
    return bytes(b)


def _encrypted(data: bytes) -> bytes:
    from msoffcrypto.format.ooxml import OOXMLFile

    out = io.BytesIO()
    OOXMLFile(io.BytesIO(data)).encrypt("mima2021", out)
    return out.getvalue()


def _duplicate_member(data: bytes, name: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, zin.read(info))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            zout.writestr(name, zin.read(name))
    return out.getvalue()


LAUGHS = (b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
          + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
                     for i in range(1, 10))
          + b"]>\n")


def _with_entities(data: bytes) -> bytes:
    ss = member(data, "xl/sharedStrings.xml")
    return rezip(data, replace={"xl/sharedStrings.xml": LAUGHS + ss[ss.index(b"<sst"):]})


def _with_external_entity(data: bytes) -> bytes:
    wb = member(data, "xl/workbook.xml")
    xxe = b'<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
    return rezip(data, replace={"xl/workbook.xml": xxe + wb[wb.index(b"<workbook"):]})


def _far_cell(data: bytes) -> bytes:
    part = sheet_part(data, T3)
    xml = member(data, part)
    return rezip(data, replace={part: xml.replace(b"</sheetData>",
                                                  b'<row r="1048576"><c r="O1048576"><v>1</v></c></row></sheetData>')})


def _to_strict(data: bytes) -> bytes:
    def tr(_name: str, blob: bytes) -> bytes:
        for strict, transitional in _STRICT_MAP:
            blob = blob.replace(transitional, strict)
        return blob.replace(b"<workbook ", b'<workbook conformance="strict" ', 1)

    return rezip(data, transform=tr)


BAD_CASES = {
    # name: (make bytes from the good file, expected code, words the message must contain)
    "空文件.xlsx": (lambda d: b"", "file.empty", ["空的"]),
    "截断.xlsx": (lambda d: d[: len(d) // 2], "file.truncated", ["不完整"]),
    "截断尾部.xlsx": (lambda d: d[:-10], "file.truncated", ["不完整"]),
    "乱码.xlsx": (lambda d: random.Random(5).randbytes(4096), "file.not_spreadsheet", ["不是"]),
    "加密.xlsx": (_encrypted, "file.encrypted", ["密码", "加密"]),
    "压缩炸弹.xlsx": (lambda d: rezip(d, add=[("xl/media/image1.bin", b"\0" * 8_000_000)]), "file.zip_bomb",
                  ["压缩比"]),
    "声明过大.xlsx": (lambda d: _patch_declared_size(d, "xl/sharedStrings.xml", 3_000_000_000), "file.zip_bomb",
                  ["sharedStrings"]),
    "大小不符.xlsx": (lambda d: _patch_declared_size(d, "xl/sharedStrings.xml", 100), "file.corrupt",
                  ["sharedStrings"]),
    "实体炸弹.xlsx": (_with_entities, "file.xml_entities", ["xl/sharedStrings.xml", "实体"]),
    "外部实体.xlsx": (_with_external_entity, "file.xml_entities", ["xl/workbook.xml"]),
    "重复部件.xlsx": (lambda d: _duplicate_member(d, "xl/sharedStrings.xml"), "file.duplicate_member",
                  ["xl/sharedStrings.xml", "两次"]),
    "百万行.xlsx": (_far_cell, "file.sheet_too_large", [T3, "1048576"]),
    "网页.xls": (lambda d: b"<html><head><meta charset=utf-8></head><body><table><tr><td>1</td></tr></table></body></html>",
               "file.not_spreadsheet", ["网页"]),
    "文档.xlsx": (lambda d: rezip(b"PK\x05\x06" + b"\0" * 18, add=[("[Content_Types].xml", b"<Types/>"),
                                                                 ("word/document.xml", b"<w:document/>")]),
                "file.not_spreadsheet", ["Word"]),
}


@pytest.mark.parametrize("name", list(BAD_CASES))
def test_bad_input_is_a_clear_read_error(good, name):
    make, code, words = BAD_CASES[name]
    with pytest.raises(ReadError) as e:
        read_report(make(good), name=name)
    assert e.value.code == code
    msg = str(e.value)
    assert msg.startswith(name + "：")
    for w in words:
        assert w in msg
    if code == "file.encrypted":
        assert "zip" not in msg.lower() and "压缩" not in msg


def test_encrypted_message_names_encryption_even_with_xls_extension(good):
    with pytest.raises(ReadError) as e:
        read_report(_encrypted(good), name="报表.xls")
    assert e.value.code == "file.encrypted"


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(ReadError) as e:
        read_report(tmp_path / "没有.xlsx")
    assert e.value.code == "file.not_found" and "没有.xlsx" in str(e.value)
    with pytest.raises(ReadError) as e:
        read_report(tmp_path)
    assert e.value.code == "file.unreadable"


def test_limits_are_documented_constants():
    assert LIMITS["max_ratio"] > 10 and LIMITS["max_member_bytes"] >= 16 * 1024 * 1024
    assert LIMITS["max_sheet_cells"] >= 100_000


def test_dimension_claiming_a_million_rows_is_read_normally(good):
    part = sheet_part(good, T3)
    xml = member(good, part)
    huge = re.sub(rb'<dimension ref="[^"]+"/>', b'<dimension ref="A1:XFD1048576"/>', xml)
    assert huge != xml
    r = read_report(rezip(good, replace={part: huge}), name="维度.xlsx")
    assert numbers(r) == numbers(read_report(good))


def test_far_cell_in_an_extra_sheet_does_not_matter(tmp_path, good):
    p = tmp_path / "extra.xlsx"
    p.write_bytes(good)
    wb = openpyxl.load_workbook(p)
    wb.create_sheet("备注")["A1048576"] = "说明"
    wb.save(p)
    r = read_report(p)
    assert numbers(r) == numbers(read_report(good))


def test_strict_open_xml_is_read(good):
    strict = _to_strict(good)
    assert b"purl.oclc.org/ooxml/spreadsheetml/main" in member(strict, "xl/workbook.xml")
    r = read_report(strict, name="strict.xlsx")
    assert numbers(r) == numbers(read_report(good))
    assert [f.code for f in r.findings] == ["format.strict"]


def test_one_cli_run_over_bad_and_good_files(tmp_path, good):
    folder = tmp_path / "收件"
    folder.mkdir()
    for name, (make, _code, _w) in BAD_CASES.items():
        (folder / name).write_bytes(make(good))
    (folder / "正常.xlsx").write_bytes(good)
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    proc = subprocess.run([sys.executable, "-m", "gipr.cli", "check", str(folder), "--json"], capture_output=True,
                          env=env, timeout=300)
    assert proc.returncode == 2
    assert b"Traceback" not in proc.stderr and b"Traceback" not in proc.stdout
    out = json.loads(proc.stdout)
    by = {Path(f["file"]).name: f for f in out["files"]}
    assert set(by) == set(BAD_CASES) | {"正常.xlsx"}
    for name, (_make, code, _w) in BAD_CASES.items():
        f = by[name]
        assert f["readable"] is False and f["error"]["code"] == code, name
        assert f["findings"][0]["severity"] == "error" and name in f["findings"][0]["message"]
    ok = by["正常.xlsx"]
    assert ok["readable"] is True and ok["format"] == "2021" and ok["unit"] == "县教育科技局"
    assert out["summary"]["unreadable"] == len(BAD_CASES)
    # the terminal report too: no traceback, every file named
    proc = subprocess.run([sys.executable, "-m", "gipr.cli", "check", str(folder)], capture_output=True, env=env,
                          timeout=300)
    assert proc.returncode == 2 and b"Traceback" not in proc.stderr
    text = proc.stdout.decode()
    for name in BAD_CASES:
        assert name in text
    assert "无法读取 %d 个" % len(BAD_CASES) in text


from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=80, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_damaged_files_never_crash_the_reader(good, data, monkeypatch):
    """Flipped bytes, cut files and mangled XML: a Report or a ReadError, nothing else.
    GIPR_DEBUG makes the reader re-raise unexpected exceptions instead of wrapping them in
    "file.corrupt", so a defect cannot hide behind the catch-all."""
    monkeypatch.setenv("GIPR_DEBUG", "1")
    kind = data.draw(st.sampled_from(["flip", "cut", "xml"]))
    if kind == "flip":
        blob = bytearray(good)
        for _ in range(data.draw(st.integers(1, 8))):
            i = data.draw(st.integers(0, len(blob) - 1))
            blob[i] ^= data.draw(st.integers(1, 255))
        blob = bytes(blob)
    elif kind == "cut":
        blob = good[: data.draw(st.integers(0, len(good) - 1))]
    else:
        part = data.draw(st.sampled_from(["xl/workbook.xml", "xl/sharedStrings.xml", sheet_part(good, T3),
                                          "xl/_rels/workbook.xml.rels", "[Content_Types].xml", "docProps/custom.xml"]))
        xml = member(good, part)
        i = data.draw(st.integers(0, len(xml) - 1))
        junk = data.draw(st.sampled_from([b"<", b"&", b'"', b"\xff\xfe", b"</x>", b"", b"<c r=\"ZZZ9\"><v>1</v></c>"]))
        cut = data.draw(st.integers(0, 40))
        blob = rezip(good, replace={part: xml[:i] + junk + xml[i + cut:]})
    try:
        r = read_report(blob, name="损坏.xlsx")
    except ReadError as e:
        assert str(e).startswith("损坏.xlsx：") and e.code.startswith("file.")
    else:
        assert r.spec.id == "2021"
