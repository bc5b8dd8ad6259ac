"""`gipr check` and `gipr export` as a user runs them: JSON contracts, the terminal report,
exit statuses, --previous/--roster/--year/--blank-as-zero, feedback workbooks (--annotate)."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from kit.workbooks import OTHER, filled, good_values, spec

from gipr.check import check_report
from gipr.check.feedback import FINDINGS_SHEET
from gipr.read import read_report

T3 = "三 依申请公开"


def gipr(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONIOENCODING="utf-8", COLUMNS="200")
    proc = subprocess.run([sys.executable, "-m", "gipr.cli", *map(str, args)], capture_output=True, env=env,
                          timeout=300, cwd=cwd)
    assert b"Traceback" not in proc.stderr and b"Traceback" not in proc.stdout, proc.stderr.decode()
    return proc


@pytest.fixture(scope="module")
def inbox(tmp_path_factory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("inbox")
    box = tmp / "收件箱"
    box.mkdir()
    ok = filled(box, "县教育科技局.xlsx", good_values(seed=51))
    vals = good_values(seed=52)
    vals["t3.new.person"] = vals["t3.new.person"] + 4  # rule A breaks in 自然人 and 总计
    vals["t3.open.business"] = None  # blank
    bad = filled(box, "县财政局.xlsx", vals, unit=OTHER)
    for p in box.glob("_tpl_*"):
        p.unlink()
    roster = tmp / "roster.csv"
    roster.write_text("单位代码,单位名称,类别,联系人,邮箱\nU001,县教育科技局,部门,张三,jky@example.cn\n"
                      "U002,县财政局,部门,李四,czj@example.cn\n", encoding="utf-8")
    broken = tmp / "坏文件.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    return {"dir": box, "ok": ok, "bad": bad, "roster": roster, "broken": broken, "tmp": tmp}


def test_check_json_contract_and_exit_1(inbox):
    p = gipr("check", inbox["dir"], "--json", "--year", "2021", "--roster", inbox["roster"])
    assert p.returncode == 1
    out = json.loads(p.stdout)
    assert set(out) >= {"files"}
    files = {Path(f["file"]).name: f for f in out["files"]}
    assert set(files) == {"县教育科技局.xlsx", "县财政局.xlsx"}
    for f in files.values():
        assert {"file", "unit", "year", "format", "readable", "findings"} <= set(f)
        assert f["year"] == 2021 and f["format"] == "2021" and f["readable"] is True
        for x in f["findings"]:
            assert {"code", "severity", "cell", "ref", "message"} <= set(x)
            assert x["severity"] in ("error", "warning", "info")
    assert files["县教育科技局.xlsx"]["findings"] == [] and files["县教育科技局.xlsx"]["unit"] == "县教育科技局"
    bad = files["县财政局.xlsx"]
    assert bad["unit"] == "县财政局"
    by = {(x["code"], x["cell"]): x for x in bad["findings"]}
    assert by[("cell.blank", "t3.open.business")]["ref"] == f"{T3}!E8"
    assert by[("rule.A", "t3.new.person")]["message"].startswith("表三 自然人：一+二=")
    assert ("rule.A", "t3.new.total") not in by  # 总计 depends on the blank 商业企业 cell: not evaluated


def test_check_exit_codes(inbox):
    assert gipr("check", inbox["ok"]).returncode == 0
    assert gipr("check", inbox["bad"]).returncode == 1
    p = gipr("check", inbox["ok"], inbox["broken"], "--json")
    assert p.returncode == 2
    out = json.loads(p.stdout)
    assert [f["readable"] for f in out["files"]] == [True, False]
    assert out["files"][1]["findings"][0]["code"] == "file.truncated"
    # bad usage: exit 2, a Chinese message, no traceback
    for args in (["check"], ["check", inbox["ok"], "--year", "abc"], ["check", inbox["ok"], "--roster", "没有.csv"],
                 ["check", inbox["ok"], "--format", "1999"], ["check", inbox["tmp"] / "空文件夹"]):
        if str(args[-1]).endswith("空文件夹"):
            (inbox["tmp"] / "空文件夹").mkdir(exist_ok=True)
        p = gipr(*args)
        assert p.returncode == 2, args
        assert p.stderr.decode().strip(), args


def test_check_terminal_report(inbox):
    p = gipr("check", inbox["dir"], "--year", "2021")
    text = p.stdout.decode()
    assert "县教育科技局.xlsx" in text and "县财政局.xlsx" in text
    assert "✓ 通过" in text and "✗ 有错误" in text
    assert f"{T3}!E8" in text and "未填写" in text
    assert "共检查 2 个文件：通过 1 个，有错误 1 个，无法读取 0 个" in text


def test_rule_a_in_the_report(tmp_path):
    vals = good_values(seed=53)
    vals["t3.new.person"] = vals["t3.new.person"] + 4
    p = filled(tmp_path, "a.xlsx", vals)
    out = json.loads(gipr("check", p, "--json").stdout)
    msgs = [x["message"] for x in out["files"][0]["findings"] if x["code"] == "rule.A"]
    r = read_report(p)
    from gipr.check import recompute

    v = recompute(r)
    lhs = v["t3.new.person"] + v["t3.carry.person"]
    rhs = v["t3.total.person"] + v["t3.next.person"]
    assert lhs == rhs + 4
    assert f"表三 自然人：一+二={lhs}，三（七）+四={rhs}，不相等" in msgs
    assert len(msgs) == 2


def test_roster_and_year_mismatch(inbox):
    roster = inbox["tmp"] / "only_other.csv"
    roster.write_text("单位代码,单位名称,类别,联系人,邮箱\nU002,县财政局,部门,李四,czj@example.cn\n", encoding="utf-8")
    out = json.loads(gipr("check", inbox["ok"], "--json", "--roster", roster, "--year", "2022").stdout)
    codes = [x["code"] for x in out["files"][0]["findings"]]
    assert "identity.unit_unknown" in codes and "identity.year_mismatch" in codes


def test_previous_as_export_json(inbox, tmp_path):
    # last year's export of both units; this year's files checked against it
    last = tmp_path / "2020.json"
    p = gipr("export", inbox["dir"], "--json", "-o", last)
    assert p.returncode == 0 and last.is_file()
    out = json.loads(gipr("check", inbox["ok"], "--json", "--previous", last).stdout)
    f = out["files"][0]["findings"]
    # the unit's own "last year" is found by its code; rule F compares this year's 二 with
    # that file's 四, column by column, with the numbers in the sentence
    assert not any(x["code"] == "previous.missing" for x in f)
    vals = good_values(seed=51)
    fcols = {x["rule"]: x["message"] for x in f if x["code"] == "rule.F"}
    for col in ("person", "business", "research", "nonprofit", "legal", "other"):
        carry, nxt = vals[f"t3.carry.{col}"], vals[f"t3.next.{col}"]
        if carry != nxt:
            assert f"本年二、上年结转={carry}，上年四、结转下年度继续办理={nxt}" in fcols[f"F.{col}"]
        else:
            assert f"F.{col}" not in fcols
    p = gipr("check", inbox["ok"], "--previous", tmp_path / "没有.json")
    assert p.returncode == 2 and "上年数据" in p.stderr.decode()


def test_export_json_and_csv(inbox, tmp_path):
    p = gipr("export", inbox["ok"], inbox["bad"], "--json")
    assert p.returncode == 0
    out = json.loads(p.stdout)
    assert len(out["reports"]) == 2
    r = out["reports"][0]
    assert {"file", "unit", "year", "format", "values"} <= set(r)
    assert r["unit"] == "县教育科技局" and r["year"] == 2021 and r["format"] == "2021"
    assert set(r["values"]) == set(spec().cells)
    vals = good_values(seed=51)
    for cid, v in vals.items():
        assert r["values"][cid] == (float(v) if isinstance(v, Decimal) else v), cid
    rep = read_report(inbox["ok"])
    from gipr.check import recompute

    assert r["values"]["t3.total.total"] == recompute(rep)["t3.total.total"]
    bad = out["reports"][1]
    assert bad["values"]["t3.open.business"] is None and bad["values"]["t3.total.business"] is None
    # CSV: one row per file, a column per cell id
    p = gipr("export", inbox["ok"], inbox["bad"], "--csv")
    assert p.returncode == 0
    rows = list(csv.DictReader(io.StringIO(p.stdout.decode())))
    assert len(rows) == 2 and rows[0]["unit"] == "县教育科技局" and rows[0]["format"] == "2021"
    assert int(rows[0]["t3.new.person"]) == vals["t3.new.person"] and rows[1]["t3.open.business"] == ""
    # unreadable file: exit 2, listed, the others exported
    p = gipr("export", inbox["ok"], inbox["broken"], "--json")
    assert p.returncode == 2
    out = json.loads(p.stdout)
    assert len(out["reports"]) == 1 and out["errors"][0]["code"] == "file.truncated"
    # usage
    assert gipr("export", inbox["ok"]).returncode == 2
    assert gipr("export", inbox["ok"], "--json", "--csv").returncode == 2
    # no silent overwrite of an output file
    target = tmp_path / "out.csv"
    target.write_text("mine", encoding="utf-8")
    p = gipr("export", inbox["ok"], "--csv", "-o", target)
    assert p.returncode == 2 and target.read_text(encoding="utf-8") == "mine"
    assert gipr("export", inbox["ok"], "--csv", "-o", target, "--force").returncode == 0
    assert target.read_text(encoding="utf-8-sig").startswith("file,unit")


def test_annotate_writes_a_feedback_workbook_the_unit_can_send_back(inbox, tmp_path):
    outdir = tmp_path / "反馈"
    p = gipr("check", inbox["dir"], "--json", "--annotate", outdir, "--roster", inbox["roster"])
    assert p.returncode == 1
    out = json.loads(p.stdout)
    files = {Path(f["file"]).name: f for f in out["files"]}
    assert files["县教育科技局.xlsx"]["feedback"] is None  # nothing to say
    fb = Path(files["县财政局.xlsx"]["feedback"])
    assert fb.parent == outdir and fb.name == "县财政局_校验反馈.xlsx"
    # it is a gipr workbook of the same unit with the unit's own numbers
    r = read_report(fb)
    orig = read_report(inbox["bad"])
    assert r.identity["kind"] == "feedback" and r.identity["unit_code"] == "U002"
    assert r.fields["unit_name"] == "县财政局"
    for c in spec().inputs:
        assert r.values[c.id].state == orig.values[c.id].state and r.number(c.id) == orig.number(c.id), c.id
    # problem cells commented, findings listed on their own sheet
    with zipfile.ZipFile(fb) as z:
        comments = "".join(z.read(n).decode() for n in z.namelist() if "comments" in n)
    assert "未填写" in comments and "一+二=" in comments
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(str(fb))
    assert FINDINGS_SHEET in wb.sheet_names
    rows = wb.get_sheet_by_name(FINDINGS_SHEET).to_python()
    listed = [row[5] for row in rows[4:] if len(row) > 5]
    assert "cell.blank" in listed and "rule.A" in listed
    # checking the feedback workbook gives the same problems again (nothing was lost)
    again = {(f.code, f.cell) for f in check_report(r)}
    assert ("cell.blank", "t3.open.business") in again
    # a second run never replaces the first file
    p = gipr("check", inbox["bad"], "--json", "--annotate", outdir)
    fb2 = Path(json.loads(p.stdout)["files"][0]["feedback"])
    assert fb2 != fb and fb.is_file() and fb2.is_file()
