"""gipr merge: the county roll-up.

The county is built from real workbooks: gipr's own templates filled the two ways units
return them (saved by a spreadsheet app with cached totals — ``write_template(values=…)`` —
and typed into with openpyxl, no cached results — ``helpers.fill_workbook``).  Every sum
is checked against an independent cell-by-cell sum computed here straight from the files
with calamine (never through merge.py).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from kit.county import (
    BROKEN,
    MISSING,
    ROSTER,
    SPEC,
    YEAR,
    cli,
    county_values,
    flat,
    independent_sum,
    make_unit_file,
    raw_inputs,
    rollup_table_values,
    sheet_rows,
    unit_sheet_rows,
    write_roster,
)
from kit.helpers import fill_workbook

from gipr.spec import load_format
from gipr.template import write_template

# ------------------------------------------------------------------------------------
# the main path


@pytest.fixture(scope="module")
def merged(county, tmp_path_factory):
    out = tmp_path_factory.mktemp("out") / "汇总.xlsx"
    html = out.with_suffix(".html")
    rc = cli("merge", county["returned"], "--roster", county["roster"], "--year", YEAR, "--county", "测试县",
             "--out", out, "--html", html)
    assert rc == 0
    return out


def test_rollup_sums_equal_an_independent_sum_of_the_included_units(county, merged):
    included = [p for code, p in county["files"].items() if code != BROKEN]
    expected = independent_sum(included)
    got = rollup_table_values(merged)
    assert got == expected
    # and the excluded unit really would have changed the sums
    assert independent_sum(list(county["files"].values())) != expected


def test_per_unit_sheet_traces_every_number(county, merged):
    ids, units, subs, total = unit_sheet_rows(merged)
    tables = rollup_table_values(merged)
    assert set(ids) == set(SPEC.cells)
    names = {r[1]: r for r in units}
    assert set(names) == {c for c in county["files"] if c != BROKEN}
    # each unit row holds that unit's inputs as stored in its file
    for code, row in names.items():
        raw = raw_inputs(county["files"][code])
        for j, cid in enumerate(ids):
            if cid in raw:
                assert row[5 + j] == raw[cid], (code, cid)
    # subtotals per category (县直部门, 乡镇) and the total equal the tables
    assert sorted(s[3] for s in subs) == ["乡镇", "县直部门"]
    for j, cid in enumerate(ids):
        col = [Decimal(repr(r[5 + j])) for r in units]
        assert Decimal(repr(total[5 + j])) == sum(col) == tables[cid]
        assert sum(Decimal(repr(s[5 + j])) for s in subs) == tables[cid]
        for s in subs:
            cat_rows = [r for r in units if r[3] == s[3]]
            assert Decimal(repr(s[5 + j])) == sum(Decimal(repr(r[5 + j])) for r in cat_rows)


def test_status_sheet_lists_every_roster_unit(county, merged):
    rows = sheet_rows(merged, "报送情况")
    head = rows[1]
    body = [dict(zip(head, r)) for r in rows[2:] if r[0] is not None]
    by_code = {r["单位代码"]: r for r in body}
    assert set(by_code) == {r[0] for r in ROSTER}
    assert by_code[MISSING]["是否报送"] == "未报送" and by_code[MISSING]["汇总情况"] == "未报送"
    assert by_code[BROKEN]["汇总情况"] == "有错误，未汇总" and by_code[BROKEN]["错误数"] >= 1
    assert "不相等" in by_code[BROKEN]["说明"]
    for code in county["files"]:
        if code != BROKEN:
            assert by_code[code]["汇总情况"] == "已汇总"
            assert by_code[code]["文件"].endswith(f"{code}.xlsx")


def test_cover_and_identity_of_the_rollup(county, merged):
    from gipr.read import read_report

    rep = read_report(merged)
    assert rep.kind == "rollup"
    assert rep.identity["county"] == "测试县"
    assert {u["code"] for u in rep.units} == {c for c in county["files"] if c != BROKEN}
    info = {r[0]: r[1] for r in sheet_rows(merged, "汇总说明") if r[0]}
    assert info["汇总单位（本级）"] == "测试县"
    assert info["报告年度"] == str(YEAR)
    assert "2021" in info["报表格式"]
    assert info["已汇总"].startswith("8 个")
    assert info["未报送"].startswith("1 个") and "南坪镇人民政府" in info["未报送"]
    assert info["生成工具"].startswith("gipr ")


def test_unit_names_that_look_like_formulas_stay_text(merged):
    names = [r[1] for r in ROSTER if r[1][0] in "=+-@"]
    wb = openpyxl.load_workbook(merged)  # formulas as written
    for sheet in ("各单位明细", "报送情况"):
        ws = wb[sheet]
        cells = {c.value: c for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
        for n in names:
            assert n in cells, (sheet, n)
            assert cells[n].data_type == "s"
    # no formula in the package mentions them
    with zipfile.ZipFile(merged) as zf:
        for m in zf.namelist():
            if m.startswith("xl/worksheets/"):
                xml = zf.read(m).decode()
                assert "<f>HYPERLINK" not in xml and "<f>SUM(A1:A9)" not in xml


def test_gipr_check_passes_on_the_rollup_and_export_reads_it(merged, capsys):
    import json

    capsys.readouterr()
    assert cli("check", merged, "--json") == 0
    checked = json.loads(capsys.readouterr().out)
    assert checked["summary"]["errors"] == 0 and checked["summary"]["passed"] == 1
    assert cli("export", merged, "--json") == 0
    data = json.loads(capsys.readouterr().out)
    items = data if isinstance(data, list) else next(v for v in data.values() if isinstance(v, list))
    values = items[0]["values"]
    assert {k: Decimal(repr(v)) for k, v in values.items()} == rollup_table_values(merged)


def test_excluded_units_are_printed_and_missing_listed(county, tmp_path, capsys):
    out = tmp_path / "r.xlsx"
    capsys.readouterr()
    assert cli("merge", county["returned"], "--roster", county["roster"], "--year", YEAR, "--out", out) == 0
    cap = capsys.readouterr()
    text = flat(cap.out + cap.err)
    assert "西山镇人民政府（103）" in text and "--include-errors" in text
    assert "未报送的单位 1 个：南坪镇人民政府（104）" in text
    assert str(out.resolve()) in text


def test_include_errors_includes_and_marks_them(county, tmp_path):
    out = tmp_path / "r.xlsx"
    assert cli("merge", county["returned"], "--roster", county["roster"], "--year", YEAR, "--out", out,
               "--include-errors") == 0
    assert rollup_table_values(out) == independent_sum(list(county["files"].values()))
    _, units, _, _ = unit_sheet_rows(out)
    marked = {r[1]: r[4] for r in units}
    assert marked[BROKEN] == "已汇总（含错误）"
    assert marked["001"] == "已汇总"
    rows = sheet_rows(out, "校验结果")
    assert any(r[0] == BROKEN and r[2] == "错误" for r in rows)
    info = {r[0]: r[1] for r in sheet_rows(out, "汇总说明") if r[0]}
    assert "含错误 1 个" in info["已汇总"]


def test_json_summary(county, tmp_path, capsys):
    import json

    out = tmp_path / "r.xlsx"
    capsys.readouterr()
    assert cli("merge", county["returned"], "--roster", county["roster"], "--year", YEAR, "--out", out,
               "--json") == 0
    data = json.loads(capsys.readouterr().out)
    assert [m["code"] for m in data["missing"]] == [MISSING]
    assert [e["code"] for e in data["excluded"]] == [BROKEN]
    assert len(data["included"]) == 8
    exp = independent_sum([p for c, p in county["files"].items() if c != BROKEN])
    assert {k: Decimal(repr(v)) for k, v in data["values"].items()} == exp


# ------------------------------------------------------------------------------------
# roll-ups of roll-ups


def test_merging_two_county_rollups_equals_merging_all_their_units(two_counties, capsys):
    d = two_counties
    assert cli("merge", d / "甲县汇总.xlsx", d / "乙县汇总.xlsx", "--county", "某市", "--out", d / "市.xlsx") == 0
    assert cli("merge", d / "甲", d / "乙", "--year", YEAR, "--out", d / "全部.xlsx") == 0
    city, direct = rollup_table_values(d / "市.xlsx"), rollup_table_values(d / "全部.xlsx")
    assert city == direct == independent_sum(sorted((d / "甲").glob("*.xlsx")) + sorted((d / "乙").glob("*.xlsx")))
    assert city["t2.fee.fee_amount"] - direct["t2.fee.fee_amount"] == 0
    from gipr.read import read_report

    rep = read_report(d / "市.xlsx")
    assert rep.kind == "rollup"
    assert sorted(u["code"] for u in rep.units) == ["A01", "A02", "A11", "B01", "B11", "B12"]
    # the per-unit sheet of the city lists the two counties
    _, units, _, _total = unit_sheet_rows(d / "市.xlsx")
    assert sorted(r[2] for r in units) == ["乙县", "甲县"]
    capsys.readouterr()
    assert cli("check", d / "市.xlsx") == 0


def test_a_rollup_mixed_with_one_of_its_units_is_refused(two_counties, tmp_path, capsys):
    d = two_counties
    capsys.readouterr()
    out = tmp_path / "x.xlsx"
    rc = cli("merge", d / "甲县汇总.xlsx", d / "甲" / "A02.xlsx", "--year", YEAR, "--out", out)
    assert rc == 2
    err = flat(capsys.readouterr().err)
    assert "甲县汇总.xlsx" in err and "甲县公安局" in err and "重复计算" in err
    assert not out.exists()


def test_overlapping_rollups_are_refused(two_counties, tmp_path, capsys):
    d = two_counties
    # a second roll-up of county 甲 made from part of its units
    part = tmp_path / "part"
    part.mkdir()
    shutil.copy(d / "甲" / "A01.xlsx", part)
    assert cli("merge", part, "--year", YEAR, "--county", "甲县", "--out", tmp_path / "甲县部分.xlsx") == 0
    capsys.readouterr()
    rc = cli("merge", d / "甲县汇总.xlsx", tmp_path / "甲县部分.xlsx", "--out", tmp_path / "x.xlsx")
    assert rc == 2
    assert "重复计算" in flat(capsys.readouterr().err)


def test_two_different_files_of_one_unit_are_refused(county, tmp_path, capsys):
    folder = tmp_path / "dup"
    shutil.copytree(county["returned"], folder)
    vals = dict(county["values"]["001"])
    vals["t2.license.decisions"] += 1
    other = make_unit_file(tmp_path / "other", ROSTER[0], vals)
    shutil.copy(other, folder / "001-修改版.xlsx")
    capsys.readouterr()
    rc = cli("merge", folder, "--year", YEAR, "--out", tmp_path / "x.xlsx")
    assert rc == 2
    err = flat(capsys.readouterr().err)
    assert "县政府办公室" in err and "001-修改版.xlsx" in err
    # an identical copy is counted once
    shutil.copy(county["files"]["001"], folder / "001-副本.xlsx")
    (folder / "001-修改版.xlsx").unlink()
    capsys.readouterr()
    assert cli("merge", folder, "--year", YEAR, "--out", tmp_path / "y.xlsx") == 0
    assert "只计一次" in flat(capsys.readouterr().out)
    assert rollup_table_values(tmp_path / "y.xlsx") == independent_sum(
        [p for c, p in county["files"].items() if c != BROKEN])


def test_unreadable_and_foreign_files_do_not_stop_the_merge(county, tmp_path, capsys):
    folder = tmp_path / "in"
    shutil.copytree(county["returned"], folder)
    (folder / "坏文件.xlsx").write_bytes(b"PK\x03\x04 this is not a workbook")
    (folder / "~$001.xlsx").write_bytes(b"lock file")  # Office lock files are skipped
    out = tmp_path / "r.xlsx"
    capsys.readouterr()
    assert cli("merge", folder, "--roster", county["roster"], "--year", YEAR, "--out", out) == 0
    cap = capsys.readouterr()
    assert "坏文件.xlsx" in flat(cap.err) and "~$001" not in cap.out + cap.err
    rows = sheet_rows(out, "报送情况")
    assert any(r[9] and r[9].endswith("坏文件.xlsx") and r[5] == "无法读取，未汇总" for r in rows)


# ------------------------------------------------------------------------------------
# safe output


def test_existing_output_is_replaced_only_with_force(county, tmp_path, capsys):
    out = tmp_path / "r.xlsx"
    out.write_bytes(b"precious")
    capsys.readouterr()
    rc = cli("merge", county["returned"], "--year", YEAR, "--out", out)
    assert rc == 2
    assert "--force" in flat(capsys.readouterr().err)
    assert out.read_bytes() == b"precious"
    html = tmp_path / "r.html"
    html.write_text("keep")
    rc = cli("merge", county["returned"], "--year", YEAR, "--out", tmp_path / "new.xlsx", "--html", html)
    assert rc == 2 and html.read_text() == "keep" and not (tmp_path / "new.xlsx").exists()
    assert cli("merge", county["returned"], "--year", YEAR, "--out", out, "--force") == 0
    assert zipfile.is_zipfile(out)


def test_an_exception_mid_write_leaves_the_existing_rollup_intact(county, tmp_path, monkeypatch, capsys):
    import gipr.merge.writer as M

    out = tmp_path / "r.xlsx"
    assert cli("merge", county["returned"], "--year", YEAR, "--out", out) == 0
    before = out.read_bytes()

    def boom(*a, **k):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(M, "write_findings_sheet", boom)
    rc = cli("merge", county["returned"], "--year", YEAR, "--out", out, "--force", "--html", tmp_path / "r.html")
    assert rc == 3  # an internal error, reported without a traceback
    assert out.read_bytes() == before
    assert not (tmp_path / "r.html").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.xlsx"]


def test_sigkill_mid_write_leaves_no_partial_output(county, tmp_path):
    out = tmp_path / "r.xlsx"
    assert cli("merge", county["returned"], "--year", YEAR, "--out", out) == 0
    before = out.read_bytes()
    # a gipr process killed (SIGKILL: no cleanup at all) while it writes the spliced package
    code = (
        "import os, signal, sys\n"
        "import gipr.ooxml.splice as X\n"
        "orig = X.splice_rows\n"
        "def killed(src, dst, rows, **kw):\n"
        "    def dying():\n"
        "        yield '<row r=\"5\"/>'\n"
        "        os.kill(os.getpid(), signal.SIGKILL)\n"
        "    rows = {k: (dying, a, b) for k, (s, a, b) in rows.items()}\n"
        "    return orig(src, dst, rows, **kw)\n"
        "X.splice_rows = killed\n"
        "from gipr.cli import main\n"
        "main(sys.argv[1:])\n"
    )
    proc = subprocess.run([sys.executable, "-c", code, "merge", str(county["returned"]), "--year", str(YEAR),
                           "--out", str(out), "--force"], capture_output=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL
    assert out.read_bytes() == before  # the existing roll-up is intact
    # whatever the killed process left is hidden temp files, never the output name
    for p in tmp_path.iterdir():
        assert p == out or p.name.startswith("."), p


# ------------------------------------------------------------------------------------
# year over year


@pytest.fixture(scope="module")
def two_years(tmp_path_factory):
    """2024 and 2025 for four units; 2025 二 = 2024 四 except for unit X02 (rule F),
    X03's 行政许可 grows from 20 to 200 (a 提示)."""
    d = tmp_path_factory.mktemp("years")
    rows = [("X01", "县一局", "县直部门"), ("X02", "县二局", "县直部门"), ("X03", "县三局", "县直部门"),
            ("X11", "一镇", "乡镇")]
    write_roster(d / "roster.csv", rows)
    last = county_values(21, rows)
    last["X03"]["t2.license.decisions"] = 20
    for row in rows:
        make_unit_file(d / "2024", row, last[row[0]], year=2024)
    assert cli("merge", d / "2024", "--roster", d / "roster.csv", "--year", 2024, "--county", "测试县",
               "--out", d / "2024年度汇总.xlsx") == 0
    this = {}
    cols = ["person", "business", "research", "nonprofit", "legal", "other"]
    for row in rows:
        v = county_values(22 + int(row[0][1:]), [row])[row[0]]
        # carry over = last year's 四, then rebalance rule A with the 予以公开 row
        for c in cols:
            carry = last[row[0]][f"t3.next.{c}"] + (3 if row[0] == "X02" and c == "person" else 0)
            v[f"t3.carry.{c}"] = carry
            handled = sum(v[leaf] for leaf in SPEC.cells[f"t3.total.{c}"].leaves)
            nxt = v[f"t3.new.{c}"] + carry - handled
            if nxt < 0:  # more handled than received: receive more this year
                v[f"t3.new.{c}"] -= nxt
                nxt = 0
            v[f"t3.next.{c}"] = nxt
        this[row[0]] = v
    this["X03"]["t2.license.decisions"] = 200
    for row in rows:
        make_unit_file(d / "2025", row, this[row[0]], year=2025)
    return d


def _year_rows(path):
    rows = sheet_rows(path, "上年对比")
    head = rows[1]
    return [dict(zip(head, r)) for r in rows[2:] if any(v is not None for v in r)]


def test_previous_rollup_flags_rule_f_and_large_changes(two_years, tmp_path, capsys):
    d = two_years
    out = tmp_path / "2025.xlsx"
    capsys.readouterr()
    assert cli("merge", d / "2025", "--roster", d / "roster.csv", "--year", 2025, "--previous",
               d / "2024年度汇总.xlsx", "--out", out) == 0
    cap = capsys.readouterr()
    assert "按上年汇总表取本级名称“测试县”" in flat(cap.out)
    assert "跨年度结转不一致 4 处" in flat(cap.out)  # X02 自然人 and 总计, and the county's two
    rows = _year_rows(out)
    errors = [r for r in rows if r["结果"] == "错误"]
    assert sorted((r["单位代码"] or "", r["单元格编号"]) for r in errors) == [
        ("", "t3.carry.person"), ("", "t3.carry.total"), ("X02", "t3.carry.person"), ("X02", "t3.carry.total")]
    x02 = next(r for r in errors if r["单位代码"] == "X02" and r["单元格编号"] == "t3.carry.person")
    assert x02["本年"] - x02["上年"] == 3
    hints = [r for r in rows if r["结果"] == "提示"]
    assert any(r["单位代码"] == "X03" and r["单元格编号"] == "t2.license.decisions" and r["上年"] == 20
               and r["本年"] == 200 for r in hints)
    # the other units' carry-over matches: no error rows for them
    assert not [r for r in errors if r["单位代码"] in ("X01", "X03", "X11")]


def test_previous_workspace(two_years, tmp_path, capsys):
    from gipr.collect.workspace import Workspace

    d = two_years
    ws_dir = tmp_path / "ws2024"
    Workspace.create(ws_dir, 2024, d / "roster.csv", county="测试县").close()
    capsys.readouterr()
    assert cli("collect", d / "2024", "-w", ws_dir) in (0, 1)
    out = tmp_path / "2025.xlsx"
    assert cli("merge", d / "2025", "--roster", d / "roster.csv", "--year", 2025, "--previous", ws_dir,
               "--out", out) == 0
    errors = [r for r in _year_rows(out) if r["结果"] == "错误"]
    assert {(r["单位代码"] or "", r["单元格编号"]) for r in errors} == {
        ("", "t3.carry.person"), ("", "t3.carry.total"), ("X02", "t3.carry.person"), ("X02", "t3.carry.total")}


def test_workspace_mode_uses_each_units_current_submission(two_years, tmp_path, capsys, monkeypatch):
    from gipr.collect.workspace import Workspace

    d = two_years
    ws_dir = tmp_path / "ws2025"
    Workspace.create(ws_dir, 2025, d / "roster.csv", county="测试县").close()
    # X01 first sends an old version, then the final one
    old = tmp_path / "old"
    vals = county_values(99, [("X01", "县一局", "县直部门")])["X01"]
    make_unit_file(old, ("X01", "县一局", "县直部门"), vals, year=2025)
    capsys.readouterr()
    assert cli("collect", old, "-w", ws_dir) in (0, 1)
    folder = tmp_path / "final"
    shutil.copytree(d / "2025", folder)
    (folder / "X11.xlsx").unlink()  # 一镇 never sends
    os.utime(folder / "X01.xlsx")
    assert cli("collect", folder, "-w", ws_dir) in (0, 1)
    out = tmp_path / "w.xlsx"
    capsys.readouterr()
    assert cli("merge", "--workspace", ws_dir, "--out", out) == 0
    text = flat(capsys.readouterr().out)
    # inside the workspace folder, no source is needed
    monkeypatch.chdir(ws_dir)
    assert cli("merge", "--out", tmp_path / "w2.xlsx") == 0
    assert rollup_table_values(tmp_path / "w2.xlsx") == rollup_table_values(out)
    assert "测试县" in text
    expected = independent_sum([d / "2025" / f"{c}.xlsx" for c in ("X01", "X02", "X03")])
    assert rollup_table_values(out) == expected
    rows = sheet_rows(out, "报送情况")
    by = {r[1]: r for r in rows[2:] if r[1]}
    assert by["X11"][4] == "未报送"
    assert by["X01"][8]  # the submission time from the ledger


# ------------------------------------------------------------------------------------
# 2019 format, arithmetic


def test_2019_format_with_signed_deltas(tmp_path, capsys):
    spec = load_format("2019")
    rows = [("P1", "甲单位", "县直部门"), ("P2", "乙单位", "乡镇")]
    vals = county_values(31, rows, spec)
    vals["P1"]["t2.license.delta"] = -7
    vals["P2"]["t2.license.delta"] = 3
    files = [make_unit_file(tmp_path / "in", row, vals[row[0]], year=2020, spec=spec) for row in rows]
    out = tmp_path / "r.xlsx"
    assert cli("merge", tmp_path / "in", "--year", 2020, "--out", out) == 0
    got = rollup_table_values(out, spec)
    assert got == independent_sum(files, spec)
    assert got["t2.license.delta"] == -4
    capsys.readouterr()
    assert cli("check", out) == 0


def test_sums_are_exact():
    from gipr.merge import complete, sum_inputs

    spec = SPEC
    ids = [c.id for c in spec.inputs]
    fee = ids.index("t2.fee.fee_amount")
    rows = []
    for x in ("0.1", "0.2", "24252.311082", "0.000001"):
        r = [0] * len(ids)
        r[fee] = Decimal(x)
        rows.append(tuple(r))
    blank = [1] * len(ids)
    blank[0] = None
    rows.append(tuple(blank))
    s = sum_inputs(spec, rows)
    assert s["t2.fee.fee_amount"] == Decimal("24253.611083")  # the last row adds 1
    assert s[ids[0]] == 0 and s[ids[1]] == 1
    full = complete(spec, s)
    assert full["t3.total.total"] == sum(s[leaf] for leaf in spec.cells["t3.total.total"].leaves)
    assert complete(spec, {**s, "t3.new.person": None}, blank_as_zero=False)["t3.new.total"] is None


def test_bad_arguments_are_clear(county, tmp_path, capsys, monkeypatch):
    capsys.readouterr()
    assert cli("merge", county["returned"], "--year", YEAR, "--out", tmp_path / "r.csv") == 2
    assert ".xlsx" in flat(capsys.readouterr().err)
    assert cli("merge", tmp_path / "nothing-here", "--year", YEAR, "--out", tmp_path / "r.xlsx") == 2
    assert "找不到" in flat(capsys.readouterr().err)
    monkeypatch.chdir(tmp_path)
    assert cli("merge", "--out", tmp_path / "r.xlsx") == 2
    assert "当前目录不是 gipr 工作目录" in flat(capsys.readouterr().err)
    empty = tmp_path / "empty"
    empty.mkdir()
    assert cli("merge", empty, "--year", YEAR, "--out", tmp_path / "r.xlsx") == 2
    assert "没有找到" in flat(capsys.readouterr().err)


def test_a_city_roster_of_counties_matches_rollups_and_lists_missing_counties(two_counties, tmp_path, capsys):
    d = two_counties
    roster = write_roster(tmp_path / "市名册.csv", [("C1", "甲县", "县"), ("C2", "乙县", "县"), ("C3", "丙县", "县")])
    out = tmp_path / "市.xlsx"
    capsys.readouterr()
    assert cli("merge", d / "甲县汇总.xlsx", d / "乙县汇总.xlsx", "--roster", roster, "--county", "某市",
               "--out", out) == 0
    text = flat(capsys.readouterr().err)
    assert "未报送的单位 1 个：丙县（C3）" in text
    rows = sheet_rows(out, "报送情况")
    by = {r[1]: r for r in rows[2:] if r[1]}
    assert by["C1"][2] == "甲县" and by["C1"][5] == "已汇总" and by["C3"][4] == "未报送"


def test_a_unit_not_in_the_roster_is_left_out_and_said_so(county, tmp_path, capsys):
    folder = tmp_path / "in"
    shutil.copytree(county["returned"], folder)
    stranger = make_unit_file(tmp_path / "s", ("999", "邻县财政局", "县直部门"), county["values"]["001"])
    shutil.copy(stranger, folder / "邻县.xlsx")
    out = tmp_path / "r.xlsx"
    capsys.readouterr()
    assert cli("merge", folder, "--roster", county["roster"], "--year", YEAR, "--out", out) == 0
    err = flat(capsys.readouterr().err)
    assert "邻县财政局（999）" in err and "不在单位名册中" in err
    rows = sheet_rows(out, "报送情况")
    row = next(r for r in rows if r[1] == "999")
    assert row[5] == "有错误，未汇总（不在名册中）"
    assert rollup_table_values(out) == independent_sum([p for c, p in county["files"].items() if c != BROKEN])


def test_workspace_mode_includes_a_unit_the_ledger_identified_by_its_short_name(tmp_path, capsys):
    """A unit fills the BLANK template and types a short name (教科局); collect identifies it
    by the roster, so merge from the workspace must include it, not call it unknown."""
    from gipr.collect.workspace import Workspace

    rows = [("E01", "县教育科技局", "县直部门"), ("E02", "县公安局", "县直部门")]
    roster = write_roster(tmp_path / "roster.csv", rows)
    ws_dir = tmp_path / "ws"
    Workspace.create(ws_dir, YEAR, roster, county="测试县").close()
    vals = county_values(7, rows)
    blank = tmp_path / "blank.xlsx"
    write_template(blank, SPEC, year=YEAR, unit=None)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    fields = {"unit_name": "教科局", "year": str(YEAR), "filler": "张三", "phone": "0999-1234567"}
    fill_workbook(blank, inbox / "a.xlsx", vals["E01"], fields, spec=SPEC)
    make_unit_file(inbox, rows[1], vals["E02"])
    capsys.readouterr()
    assert cli("collect", inbox, "-w", ws_dir) == 0
    out = tmp_path / "r.xlsx"
    assert cli("merge", "--workspace", ws_dir, "--out", out) == 0
    assert rollup_table_values(out) == independent_sum([inbox / "a.xlsx", inbox / "E02.xlsx"])
    by = {r[1]: r for r in sheet_rows(out, "报送情况")[2:] if r[1]}
    assert by["E01"][4] != "未报送"
