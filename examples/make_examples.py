"""Generate the example county (示例县) from examples/roster.csv — deterministic, seeded.

    python examples/make_examples.py            # rewrites examples/returned/ and examples/2024年度汇总.xlsx

What it makes (all numbers fictional):

* ``examples/returned/``: the workbooks the units sent back for 2025 — realistic numbers
  (most units small or zero, a few busy departments), filled into gipr's own templates
  (cover filled in, totals as formulas with their values), with the usual accidents:

  - 县交通运输局: rule A broken (results do not add up to 一+二−四);
  - 柳树乡人民政府: one cell left blank;
  - 县文化和旅游局: a 总计 formula typed over with a wrong number (saved by another tool,
    so the file has no cached formula results);
  - 白沙乡人民政府: never sent anything (missing);
  - 北岭镇人民政府: sent an .xls (converted with LibreOffice each time this script runs;
    without LibreOffice an existing .xls is kept, else the .xlsx stays, with a message);
  - 县卫生健康局: its 二、上年结转 does not match last year's 四、结转下年度 (rule F);
  - 县住房和城乡建设局: applications jumped more than five-fold (a 提示 against last year).

* ``examples/2024年度汇总.xlsx``: last year's roll-up, made by ``gipr merge`` from the
  2024 workbooks (generated in a temporary folder), so this year's 二、上年结转 equals last
  year's 四、结转下年度继续办理 for every unit but 县卫生健康局.

The README's main job merges it::

    gipr merge examples/returned --roster examples/roster.csv --year 2025 \\
        --previous examples/2024年度汇总.xlsx --out out/2025年度汇总.xlsx --html out/2025年度汇总.html
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import xlsxwriter

from gipr.roster import Unit, load_roster
from gipr.spec import Spec, load_format
from gipr.stamp import make_identity, sign
from gipr.template import WORKBOOK_OPTIONS, build_workbook, compute_totals, template_filename

HERE = Path(__file__).resolve().parent
COUNTY = "示例县"
YEAR = 2025
SEED = 20250131

# how busy each unit is with 依申请公开 (0 = hardly ever an application)
BUSY = {"009": 3, "011": 3, "004": 2, "020": 2, "014": 1, "017": 1, "022": 1, "001": 1, "010": 1, "101": 1}
# 行政许可 / 行政处罚 / 行政强制 decisions and fees (万元) of the units that have them (base for 2025)
LICENSE = {"022": 4200, "020": 900, "009": 310, "011": 260, "017": 180, "012": 150, "016": 60, "013": 45,
           "010": 40, "014": 120}
PENALTY = {"004": 2300, "020": 160, "012": 210, "009": 45, "010": 32, "019": 25, "017": 30, "016": 8, "013": 6}
COERCION = {"004": 120, "020": 12, "009": 4, "010": 3}
FEES = {"009": Decimal("1234.567891"), "004": Decimal("12.3456"), "011": Decimal("45.6"), "017": Decimal("3.21"),
        "020": Decimal("0.85")}

BROKEN_A = "012"  # 县交通运输局
BLANK = "106"  # 柳树乡人民政府
OVERWRITTEN = "016"  # 县文化和旅游局
MISSING = "109"  # 白沙乡人民政府
AS_XLS = "105"  # 北岭镇人民政府
CARRY_MISMATCH = "017"  # 县卫生健康局
JUMP = "011"  # 县住房和城乡建设局
# a few units name their file their own way
FILE_NAMES = {
    "004": "县公安局2025年政府信息公开统计表（终版）.xlsx",
    "101": "城关镇-政务公开年报表格.xlsx",
    "014": "农业农村局 年报统计表.xlsx",
}


def _unit_rng(year: int, code: str) -> random.Random:
    return random.Random(f"{SEED}/{year}/{code}")


def _split(total: int, weights: list[float], rng: random.Random) -> list[int]:
    """``total`` spread over len(weights) parts at random in proportion to the weights."""
    out = [0] * len(weights)
    s = sum(weights)
    for _ in range(total):
        x = rng.random() * s
        for i, w in enumerate(weights):
            x -= w
            if x < 0:
                out[i] += 1
                break
        else:
            out[-1] += 1
    return out


def unit_values(spec: Spec, unit: Unit, year: int, carry: dict[str, int] | None) -> dict[str, object]:
    """One unit's input values for a year; ``carry``: last year's 四、结转下年度 by column."""
    rng = _unit_rng(year, unit.code)
    level = BUSY.get(unit.code, 0)
    growth = 1.0 if year >= YEAR else 0.85
    v: dict[str, object] = {c.id: 0 for c in spec.inputs}
    town = unit.category == "乡镇"

    # 二 主动公开: no 规章 at county level; normative documents; decisions; fees
    if not town or rng.random() < 0.3:
        v["t2.normative.issued"] = rng.choice([0, 0, 1, 1, 2, 3]) if not town else rng.choice([0, 1])
        v["t2.normative.repealed"] = rng.choice([0, 0, 0, 1])
        v["t2.normative.in_force"] = rng.randint(3, 35) if not town else rng.randint(0, 6)
    base = LICENSE.get(unit.code, rng.choice([0, 0, 0, 3, 12]) if town else rng.choice([0, 0, 5]))
    v["t2.license.decisions"] = int(base * growth * rng.uniform(0.9, 1.15))
    base = PENALTY.get(unit.code, rng.choice([0, 0, 2, 6]) if town else 0)
    v["t2.penalty.decisions"] = int(base * growth * rng.uniform(0.85, 1.2))
    v["t2.coercion.decisions"] = int(COERCION.get(unit.code, 0) * growth * rng.uniform(0.8, 1.2))
    fee = FEES.get(unit.code)
    if fee is not None:
        v["t2.fee.fee_amount"] = (fee * Decimal(str(round(growth * rng.uniform(0.9, 1.1), 4)))).quantize(
            Decimal("0.000001"))

    # 三 依申请公开: new applications by applicant column; carry from last year; results
    cols = ["person", "business", "research", "nonprofit", "legal", "other"]
    new = {
        "person": [rng.choice([0, 0, 0, 0, 1, 2]), rng.randint(2, 8), rng.randint(10, 30), rng.randint(40, 110)][level],
        "business": [0, rng.randint(0, 2), rng.randint(1, 5), rng.randint(5, 18)][level],
        "research": [0, 0, rng.choice([0, 0, 1]), rng.randint(0, 2)][level],
        "nonprofit": [0, 0, 0, rng.choice([0, 1])][level],
        "legal": [0, rng.choice([0, 1]), rng.randint(0, 3), rng.randint(1, 6)][level],
        "other": [0, 0, rng.choice([0, 1]), rng.randint(0, 3)][level],
    }
    if unit.code == JUMP and year == YEAR:
        new["person"] *= 6  # an unusual year: a demolition project drew many applications
    carry = carry or {c: (rng.choice([0, 1, 2]) if level >= 2 else 0) for c in cols}
    weights = [40, 10, 0.5, 0.5, 0.8, 2, 1, 2, 1, 0.5, 14, 3, 2, 4, 2, 0.5, 0.5, 0.5, 3, 0.5, 2]
    rows = ["open", "partial", "deny1", "deny2", "deny3", "deny4", "deny5", "deny6", "deny7", "deny8", "unable1",
            "unable2", "unable3", "ignore1", "ignore2", "ignore3", "ignore4", "ignore5", "other1", "other2", "other3"]
    for c in cols:
        total_in = new[c] + carry.get(c, 0)
        nxt = min(total_in, rng.choice([0, 0, 1, 2, 3])) if level >= 2 and total_in else 0
        handled = total_in - nxt
        for r, n in zip(rows, _split(handled, weights, rng)):
            v[f"t3.{r}.{c}"] = n
        v[f"t3.new.{c}"] = new[c]
        v[f"t3.carry.{c}"] = carry.get(c, 0)
        v[f"t3.next.{c}"] = nxt

    # 四 复议诉讼: a few cases in the busy departments
    if level >= 2:
        for group, n in (("review", rng.randint(0, 3)), ("direct", rng.randint(0, 2)), ("after", rng.choice([0, 0, 1]))):
            parts = _split(n, [6, 1, 1, 2], rng)
            for key, k in zip(("upheld", "corrected", "other", "pending"), parts):
                v[f"t4.cases.{group}_{key}"] = k
    return v


def next_of(spec: Spec, values: dict[str, object]) -> dict[str, int]:
    return {cid.split(".")[2]: int(values[cid]) for cid in values if cid.startswith("t3.next.")}  # type: ignore[arg-type]


def _identity(spec: Spec, year: int, unit: Unit, created: dt.datetime) -> dict[str, str]:
    ident = make_identity(spec, year, unit, kind="template")
    ident["template_id"] = hashlib.sha256(f"{SEED}/{year}/{unit.code}/template".encode()).hexdigest()[:32]
    ident["created"] = created.isoformat()
    ident["signature"] = sign(ident)
    return ident


def write_unit(path: Path, spec: Spec, year: int, unit: Unit, values: dict[str, object], filled_on: dt.date) -> None:
    """A unit's returned workbook: gipr's template for the unit, filled in and saved."""
    created = dt.datetime(year, 12, 10, 9, 0, tzinfo=dt.timezone.utc)
    phone = f"0999-{int(hashlib.sha256(unit.code.encode()).hexdigest()[:6], 16) % 9000000 + 1000000}"
    fields = {"filler": unit.contact, "phone": phone, "date": f"{filled_on.year}年{filled_on.month}月{filled_on.day}日"}
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(path), WORKBOOK_OPTIONS)
    try:
        build_workbook(wb, spec, year=year, unit=unit, values=values, identity=_identity(spec, year, unit, created),
                       fields=fields)
        wb.doc_properties["created"] = created.replace(tzinfo=None)
    finally:
        wb.close()


def overwrite_total(path: Path, spec: Spec, cid: str, number: int) -> None:
    """A unit unprotected the sheet and typed a number over a 总计 formula; the file was
    then saved by a tool that does not recalculate (no cached formula results)."""
    wb = openpyxl.load_workbook(path)
    c = spec.cells[cid]
    ws = wb[c.sheet]
    ws.protection.sheet = False
    ws[c.ref].value = number
    stamp = dt.datetime(YEAR + 1, 1, 12, 16, 30)
    wb.properties.created = wb.properties.modified = stamp
    wb.save(path)
    # openpyxl stamps the zip members with the current time: fix them (reproducible file)
    with zipfile.ZipFile(path) as zin:
        members = [(i, zin.read(i)) for i in zin.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for info, data in members:
            if info.filename == "docProps/core.xml":  # openpyxl sets "modified" to now on save
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                              rb"\g<1>" + stamp.strftime("%Y-%m-%dT%H:%M:%SZ").encode() + rb"\g<2>", data)
            zi = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            zout.writestr(zi, data)


def to_xls(path: Path, outdir: Path) -> Path | None:
    """Convert with LibreOffice (headless, private profile); None if soffice is missing."""
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if exe is None:
        return None
    with tempfile.TemporaryDirectory(prefix="gipr-ex-") as prof:
        subprocess.run([exe, f"-env:UserInstallation={Path(prof).as_uri()}", "--headless", "--invisible",
                        "--norestore", "--nologo", "--convert-to", "xls", "--outdir", str(outdir), str(path)],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=180,
                       env={"HOME": prof, "PATH": "/usr/bin:/bin", "SAL_USE_VCLPLUGIN": "svp"})
    out = outdir / (path.stem + ".xls")
    return out if out.is_file() else None


def make(root: Path = HERE) -> dict[str, object]:
    spec = load_format("2021")
    roster = load_roster(root / "roster.csv")
    rng = random.Random(SEED)

    # last year: every unit reported, all clean
    last: dict[str, dict[str, object]] = {u.code: unit_values(spec, u, YEAR - 1, None) for u in roster}
    # this year
    this: dict[str, dict[str, object]] = {}
    for u in roster:
        carry = next_of(spec, last[u.code])
        if u.code == CARRY_MISMATCH:
            carry["person"] = carry.get("person", 0) + 2  # restated carry-over: rule F against last year
        this[u.code] = unit_values(spec, u, YEAR, carry)
    # rule A broken: results counted twice in one column
    this[BROKEN_A]["t3.open.person"] = int(this[BROKEN_A]["t3.open.person"]) + 3  # type: ignore[arg-type]
    # a blank cell
    this[BLANK]["t3.new.business"] = None

    returned = root / "returned"
    old_xls = returned / (template_filename(YEAR, next(u for u in roster if u.code == AS_XLS))[:-5] + ".xls")
    saved_xls = old_xls.read_bytes() if old_xls.is_file() else None
    if returned.exists():
        shutil.rmtree(returned)
    returned.mkdir(parents=True)
    made = []
    for u in roster:
        if u.code == MISSING:
            continue
        name = FILE_NAMES.get(u.code) or template_filename(YEAR, u)
        path = returned / name
        filled_on = dt.date(YEAR + 1, 1, 5) + dt.timedelta(days=rng.randint(0, 25))
        write_unit(path, spec, YEAR, u, this[u.code], filled_on)
        if u.code == OVERWRITTEN:
            comp = compute_totals(spec, this[u.code])
            overwrite_total(path, spec, "t3.new.total", int(comp["t3.new.total"]) + 4)  # type: ignore[arg-type]
        if u.code == AS_XLS:
            with tempfile.TemporaryDirectory() as tmp:
                xls = to_xls(path, Path(tmp))
                if xls is not None:
                    path.unlink()
                    path = returned / xls.name
                    shutil.copyfile(xls, path)
                elif saved_xls is not None:
                    print("注意：未安装 LibreOffice，保留原有的北岭镇 .xls", file=sys.stderr)
                    path.unlink()
                    old_xls.write_bytes(saved_xls)
                    path = old_xls
                else:
                    print("注意：未安装 LibreOffice，北岭镇的 .xls 未生成（保留 .xlsx）", file=sys.stderr)
        made.append(path)

    # last year's roll-up, made by gipr merge itself
    from gipr.merge import merge

    out = (root / f"{YEAR - 1}年度汇总.xlsx").resolve()
    cwd = Path.cwd()
    with tempfile.TemporaryDirectory(prefix="gipr-2024-") as tmp:
        folder = Path(tmp) / f"{YEAR - 1}年度退回报表"
        for u in roster:
            write_unit(folder / template_filename(YEAR - 1, u), spec, YEAR - 1, u, last[u.code],
                       dt.date(YEAR, 1, 10) + dt.timedelta(days=rng.randint(0, 15)))
        os.chdir(tmp)  # so the roll-up names its source folder without a temporary path
        try:
            merge(out=out, paths=[Path(folder.name)], roster=(root / "roster.csv").resolve(), year=YEAR - 1,
                  county=COUNTY, force=True, jobs=1, cover={"filler": "王丽", "phone": "0999-6012345"},
                  now=dt.datetime(YEAR, 2, 15, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))))
        finally:
            os.chdir(cwd)
    return {"returned": made, "previous": out, "this": this, "last": last}


def main() -> None:
    ap = argparse.ArgumentParser(description="生成示例县的退回报表和上年汇总表（固定随机种子，可重复）")
    ap.add_argument("--root", type=Path, default=HERE, help="examples 目录（默认本脚本所在目录）")
    args = ap.parse_args()
    res = make(args.root)
    print(f"已生成 {len(res['returned'])} 个退回报表：{args.root / 'returned'}")
    print(f"上年汇总表：{res['previous']}")


if __name__ == "__main__":
    main()
