"""Helpers for the reader/checks tests (test_read*.py, test_check*.py): real workbooks made
from gipr templates, edited the way units edit them (openpyxl for typing, inserting rows,
renaming sheets; raw zip surgery for hostile files)."""

from __future__ import annotations

import io
import json
import random
import zipfile
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl

from gipr.model import Finding, Report
from gipr.roster import Unit
from gipr.spec import Spec, load_format
from gipr.template import write_template
from kit.helpers import consistent_values, fill_workbook
from kit.paths import FIXTURES

UNIT = Unit(code="U001", name="县教育科技局", category="部门", contact="张三", email="jky@example.cn", line=2)
OTHER = Unit(code="U002", name="县财政局", category="部门", contact="李四", email="czj@example.cn", line=3)
FIELDS = {"filler": "王五", "phone": "0351-1234567", "date": "2022-01-20"}


def spec(fid: str = "2021") -> Spec:
    return load_format(fid)


def template(path: Path, fid: str = "2021", *, unit: Unit | None = UNIT, year: int = 2021, **kw: Any) -> Path:
    return write_template(path, spec(fid), year=year, unit=unit, overwrite=True, **kw)


def good_values(fid: str = "2021", seed: int = 1) -> dict[str, Any]:
    return consistent_values(spec(fid), random.Random(seed))


def filled(tmp: Path, name: str, values: dict[str, Any] | None = None, *, fid: str = "2021", unit: Unit | None = UNIT,
           year: int = 2021, fields: dict[str, str] | None = None, seed: int = 1,
           edit: Callable[[openpyxl.Workbook], None] | None = None) -> Path:
    """A template filled by a 'unit' (openpyxl, like fill_workbook), then optionally edited."""
    src = template(tmp / f"_tpl_{name}", fid, unit=unit, year=year)
    vals = good_values(fid, seed) if values is None else values
    dst = fill_workbook(src, tmp / name, vals, FIELDS if fields is None else fields, spec=spec(fid))
    if edit is not None:
        wb = openpyxl.load_workbook(dst)
        edit(wb)
        wb.save(dst)
    return dst


def codes(findings: list[Finding]) -> list[str]:
    return [f.code for f in findings]


def only(findings: list[Finding], code: str) -> list[Finding]:
    return [f for f in findings if f.code == code]


def numbers(report: Report) -> dict[str, Any]:
    return {cid: (v.state, v.number) for cid, v in report.values.items() if report.spec.cells[cid].input}


def insert_rows(ws, idx: int, amount: int) -> None:
    """Insert rows like a spreadsheet app does: cells below move down and so do merged
    ranges (a range spanning the insertion point grows)."""
    merges = [(m.min_row, m.min_col, m.max_row, m.max_col) for m in ws.merged_cells.ranges]
    for m in list(ws.merged_cells.ranges):
        ws.unmerge_cells(str(m))
    ws.insert_rows(idx, amount)
    for r0, c0, r1, c1 in merges:
        if r0 >= idx:
            r0, r1 = r0 + amount, r1 + amount
        elif r1 >= idx:
            r1 += amount
        ws.merge_cells(start_row=r0, start_column=c0, end_row=r1, end_column=c1)


def delete_row(ws, idx: int) -> None:
    merges = [(m.min_row, m.min_col, m.max_row, m.max_col) for m in ws.merged_cells.ranges]
    for m in list(ws.merged_cells.ranges):
        ws.unmerge_cells(str(m))
    ws.delete_rows(idx, 1)
    for r0, c0, r1, c1 in merges:
        if r0 == idx == r1:
            continue
        if r0 > idx:
            r0, r1 = r0 - 1, r1 - 1
        elif r1 >= idx:
            r1 -= 1
        ws.merge_cells(start_row=r0, start_column=c0, end_row=r1, end_column=c1)


def unprotect(wb: openpyxl.Workbook) -> None:
    for ws in wb.worksheets:
        ws.protection.sheet = False


def spec_hash(password: str) -> str:
    """The legacy sheet-protection password verifier (the ``password`` attribute of
    sheetProtection in ECMA-376; the algorithm of MS-OFFCRYPTO 2.3.7.1, "Binary Document
    Password Verifier Derivation Method 1"), over the password's single-byte code-page bytes: from the last byte to the first, rotate the 15-bit value
    left by one and XOR the byte; rotate once more, XOR the length and 0xCE4B."""
    data = password.encode("cp1252")  # for printable ASCII every ANSI code page gives these bytes
    h = 0
    for b in reversed(data):
        h = ((h >> 14) & 0x01) | ((h << 1) & 0x7FFF)
        h ^= b
    h = ((h >> 14) & 0x01) | ((h << 1) & 0x7FFF)
    h ^= len(data)
    h ^= 0xCE4B
    return f"{h:04X}"


def rezip(data: bytes, replace: dict[str, bytes] | None = None, add: list[tuple[str, bytes]] | None = None,
          transform: Callable[[str, bytes], bytes] | None = None) -> bytes:
    """Rewrite a zip package: replace members, transform every member, append members."""
    replace = replace or {}
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            blob = replace.get(info.filename, zin.read(info))
            if transform is not None:
                blob = transform(info.filename, blob)
            zout.writestr(info.filename, blob)
        for name, blob in add or []:
            zout.writestr(name, blob)
    return out.getvalue()


def member(data: bytes, name: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return z.read(name)


def sheet_part(data: bytes, sheet_name: str) -> str:
    """The zip member of a worksheet, by its name."""
    import re

    wb = member(data, "xl/workbook.xml").decode()
    rels = member(data, "xl/_rels/workbook.xml.rels").decode()
    rid = re.search(r'<sheet [^>]*name="%s"[^>]*r:id="([^"]+)"' % re.escape(sheet_name), wb).group(1)
    target = re.search(r'<Relationship [^>]*Id="%s"[^>]*Target="([^"]+)"' % rid, rels)
    if target is None:
        target = re.search(r'<Relationship [^>]*Target="([^"]+)"[^>]*Id="%s"' % rid, rels)
    t = target.group(1)
    return t.lstrip("/") if t.startswith("/") else "xl/" + t


def published(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def as_typed(v: Any) -> Any:
    """A fixture value as a unit types it: numbers as numbers, "" as an empty cell, text as text."""
    if v == "":
        return None
    if isinstance(v, float):
        return Decimal(repr(v))
    return v
