"""A test county built from real workbooks: gipr's own templates filled the two ways units
return them (saved by a spreadsheet app with cached totals -- ``write_template(values=...)`` --
and typed into with openpyxl, no cached results -- ``helpers.fill_workbook``), and the
independent reading that checks a roll-up: cell by cell, with calamine, never through gipr.merge.

Used by the merge, report, publish, collect and workbench tests; the counties are built once
per session and copied to each module that uses them (tests/merge/conftest.py)."""

from __future__ import annotations

import copy
import csv
import random
import shutil
from decimal import Decimal
from pathlib import Path

import openpyxl
from python_calamine import CalamineWorkbook

from gipr.roster import Unit
from gipr.spec import load_format
from gipr.template import write_template
from kit.helpers import consistent_values, fill_workbook, run_cli

SPEC = load_format("2021")
YEAR = 2025
ROSTER = [
    # code, name, category
    ("001", "县政府办公室", "县直部门"),
    ("002", "县财政局", "县直部门"),
    ("003", "=HYPERLINK(\"http://x\",\"点我\")", "县直部门"),  # a name that looks like a formula
    ("004", "+86热线办", "县直部门"),
    ("005", "-县档案馆", "县直部门"),
    ("006", "@SUM(A1:A9)", "县直部门"),
    ("101", "城关镇人民政府", "乡镇"),
    ("102", "东河镇人民政府", "乡镇"),
    ("103", "西山镇人民政府", "乡镇"),  # broken: rule A
    ("104", "南坪镇人民政府", "乡镇"),  # missing
]
BROKEN = "103"
MISSING = "104"


cli = run_cli  # gipr in-process; its exit status


def flat(text: str) -> str:
    """Terminal output without the line breaks the console adds at its width."""
    return text.replace("\n", "")


def write_roster(path: Path, rows) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["单位代码", "单位名称", "类别", "联系人", "邮箱"])
        for code, name, cat in rows:
            w.writerow([code, name, cat, "联系人", f"u{code}@example.cn"])
    return path


def unit_of(row) -> Unit:
    code, name, cat = row
    return Unit(code, name, cat, "联系人", f"u{code}@example.cn", 0)


def make_unit_file(folder: Path, row, values, *, year=YEAR, via_openpyxl=False, spec=SPEC) -> Path:
    u = unit_of(row)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{u.code}.xlsx"
    fields = {"filler": "张三", "phone": "0999-1234567", "date": f"{year + 1}年1月10日"}
    if via_openpyxl:
        blank = folder / f".{u.code}.blank.xlsx"
        write_template(blank, spec, year=year, unit=u, overwrite=True)
        fill_workbook(blank, path, values, fields, spec=spec)
        blank.unlink()
    else:
        write_template(path, spec, year=year, unit=u, values=values, fields=fields, overwrite=True)
    return path


def county_values(seed: int, rows=ROSTER, spec=SPEC):
    rng = random.Random(seed)
    out = {}
    for row in rows:
        v = consistent_values(spec, rng, high=9)
        out[row[0]] = v
    return out


def make_county(d: Path) -> dict:
    """A county of 10 roster units in folder d: 8 clean, 1 with rule A broken, 1 missing."""
    roster = write_roster(d / "roster.csv", ROSTER)
    vals = county_values(1)
    vals[BROKEN]["t3.new.person"] += 5  # rule A broken
    files = {}
    for i, row in enumerate(ROSTER):
        if row[0] == MISSING:
            continue
        files[row[0]] = make_unit_file(d / "returned", row, vals[row[0]], via_openpyxl=(i % 2 == 1))
    return {"dir": d, "roster": roster, "values": vals, "files": files, "returned": d / "returned"}


def copy_county(county: dict, d: Path) -> dict:
    """A county made by make_county, copied into folder d: its files, and its values as a deep copy."""
    src = county["dir"]
    shutil.copytree(src, d, dirs_exist_ok=True)
    return {"dir": d, "roster": d / county["roster"].relative_to(src), "values": copy.deepcopy(county["values"]),
            "files": {code: d / p.relative_to(src) for code, p in county["files"].items()},
            "returned": d / county["returned"].relative_to(src)}


# ------------------------------------------------------------------------------------
# independent reading (calamine, straight from the files; no gipr.merge)


def raw_inputs(path: Path, spec=SPEC) -> dict[str, object]:
    """Input cells of a workbook exactly as stored, by the spec's addresses."""
    wb = CalamineWorkbook.from_path(str(path))
    out = {}
    sheets = {}
    for c in spec.inputs:
        if c.sheet not in sheets:
            sheets[c.sheet] = wb.get_sheet_by_name(c.sheet).to_python(skip_empty_area=False)
        rows = sheets[c.sheet]
        v = rows[c.rowx][c.colx] if c.rowx < len(rows) and c.colx < len(rows[c.rowx]) else ""
        out[c.id] = None if v == "" else v
    return out


def independent_sum(paths, spec=SPEC) -> dict[str, Decimal]:
    """Every value cell: inputs summed over the files, totals as the sum of their input
    leaves (spec.cells[..].leaves), in exact Decimal."""
    acc = {c.id: Decimal(0) for c in spec.inputs}
    for p in paths:
        for cid, v in raw_inputs(p, spec).items():
            if v is not None:
                acc[cid] += Decimal(repr(v)) if isinstance(v, float) else Decimal(v)
    out = dict(acc)
    for c in spec.totals:
        out[c.id] = sum((acc[leaf] for leaf in c.leaves), Decimal(0))
    return out


def rollup_table_values(path: Path, spec=SPEC) -> dict[str, Decimal]:
    """What the roll-up's official tables hold (cached values), by cell id."""
    wb = CalamineWorkbook.from_path(str(path))
    out = {}
    sheets = {}
    for cid, c in spec.cells.items():
        if c.sheet not in sheets:
            sheets[c.sheet] = wb.get_sheet_by_name(c.sheet).to_python(skip_empty_area=False)
        v = sheets[c.sheet][c.rowx][c.colx]
        out[cid] = Decimal(repr(v)) if isinstance(v, float) else Decimal(v)
    return out


def unit_sheet_rows(path: Path):
    """The 各单位明细 sheet: header cell ids, unit rows, subtotal rows, total row."""
    wb = openpyxl.load_workbook(path, data_only=True)
    ws = wb["各单位明细"]
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    ids_row = next(r for r in rows if r[4] == "单元格编号")
    ids = ids_row[5:]
    units = [r for r in rows if isinstance(r[0], int)]
    subs = [r for r in rows if r[0] == "小计"]
    total = next(r for r in rows if r[0] == "合计")
    return ids, units, subs, total


def sheet_rows(path: Path, name: str):
    wb = openpyxl.load_workbook(path)
    return [list(r) for r in wb[name].iter_rows(values_only=True)]


def make_two_counties(d: Path) -> Path:
    """Two counties (甲, 乙) of three units each in folder d, each merged into its roll-up."""
    rows_a = [("A01", "甲县财政局", "县直部门"), ("A02", "甲县公安局", "县直部门"), ("A11", "甲县城关镇", "乡镇")]
    rows_b = [("B01", "乙县财政局", "县直部门"), ("B11", "乙县河口镇", "乡镇"), ("B12", "乙县山前乡", "乡镇")]
    va, vb = county_values(11, rows_a), county_values(12, rows_b)
    va["A01"]["t2.fee.fee_amount"] = Decimal("0.1")  # exact decimal arithmetic across levels
    vb["B01"]["t2.fee.fee_amount"] = Decimal("0.2")
    for rows, vals, name in ((rows_a, va, "甲"), (rows_b, vb, "乙")):
        write_roster(d / f"{name}.csv", rows)
        for row in rows:
            make_unit_file(d / name, row, vals[row[0]])
    for name in ("甲", "乙"):
        assert cli("merge", d / name, "--roster", d / f"{name}.csv", "--year", YEAR, "--county", f"{name}县",
                   "--out", d / f"{name}县汇总.xlsx") == 0
    return d
