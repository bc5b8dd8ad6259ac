"""Roster loading: encodings, spreadsheets, and bad rosters named by file and line."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import openpyxl
import pytest
from kit.paths import REPO

from gipr.cli import main
from gipr.errors import GiprError
from gipr.roster import Unit, load_roster

ROOT = REPO
HEADER = "单位代码,单位名称,类别,联系人,邮箱"
ROWS = ["001,县教育科技局,县直部门,张敏,jykj@example.cn", "101,城关镇人民政府,乡镇,郑伟,cgz@example.cn"]


def _csv(tmp_path: Path, text: str, encoding: str = "utf-8", name: str = "r.csv") -> Path:
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


def test_example_roster():
    units = load_roster(ROOT / "examples" / "roster.csv")
    assert (ROOT / "examples" / "roster.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert 25 <= len(units) <= 40
    cats = {u.category for u in units}
    assert {"县直部门", "乡镇"} <= cats
    assert sum(u.category == "乡镇" for u in units) >= 8
    assert len({u.code for u in units}) == len(units)
    assert all("@" in u.email and u.email.endswith("example.cn") for u in units)
    assert any(u.name == "县教育科技局" for u in units)
    assert units[0].line == 2


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"])
def test_csv_encodings(tmp_path, encoding):
    text = "\r\n".join([HEADER, *ROWS, "102,𠀾山乡人民政府,乡镇,李四,a@example.cn" if encoding in
                        ("utf-8", "utf-8-sig", "gb18030", "utf-16") else "102,石门乡人民政府,乡镇,李四,a@example.cn"]) + "\r\n"
    units = load_roster(_csv(tmp_path, text, encoding))
    assert [u.code for u in units] == ["001", "101", "102"]
    assert units[0] == Unit("001", "县教育科技局", "县直部门", "张敏", "jykj@example.cn", 2)
    assert units[2].name.endswith("乡人民政府")


def test_unit_is_frozen():
    u = Unit("1", "a", "", "", "", 2)
    with pytest.raises(dataclasses.FrozenInstanceError):
        u.name = "b"  # type: ignore[misc]


def test_xlsx_roster_with_title_row_and_numeric_codes(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["某县政府信息公开单位名册"])
    ws.append(["单位名称", "单位代码", "类别", "联系人", "邮箱"])  # other column order
    ws.append(["县公安局", 4, "县直部门", "刘洋", "gaj@example.cn"])
    ws.append([None, None, None, None, None])  # blank row is skipped
    ws.append(["东河镇人民政府", "0102", "乡镇", "谢芳", "dhz@example.cn; dhz2@example.cn"])
    p = tmp_path / "名册.xlsx"
    wb.save(p)
    units = load_roster(p)
    assert [(u.code, u.name, u.line) for u in units] == [("4", "县公安局", 3), ("0102", "东河镇人民政府", 5)]
    assert units[1].emails == ["dhz@example.cn", "dhz2@example.cn"]


@pytest.mark.parametrize("text, line, needle", [
    ("单位代码,单位名称,类别,联系人\r\n001,县公安局,县直部门,刘洋\r\n", 1, "邮箱"),
    (f"{HEADER}\r\n{ROWS[0]}\r\n{ROWS[1]}\r\n001,县民政局,县直部门,陈静,mzj@example.cn\r\n", 4, "001"),
    (f"{HEADER}\r\n{ROWS[0]}\r\n{ROWS[1]}\r\n003,县教育 科技局,县直部门,陈静,mzj@example.cn\r\n", 4, "重复"),
    (f"{HEADER}\r\n{ROWS[0]}\r\n\r\n005, ,县直部门,陈静,mzj@example.cn\r\n", 4, "单位名称为空"),
    (f"{HEADER}\r\n{ROWS[0]}\r\n,县民政局,县直部门,陈静,mzj@example.cn\r\n", 3, "单位代码为空"),
    (f"{HEADER}\r\n{ROWS[0]}\r\n005,县民政局,县直部门,陈静,mzj at example.cn\r\n", 3, "邮箱"),
])
def test_bad_roster_names_file_and_line(tmp_path, text, line, needle):
    p = _csv(tmp_path, text, "utf-8-sig", "bad roster.csv")
    with pytest.raises(GiprError) as e:
        load_roster(p)
    msg = str(e.value)
    assert str(p) in msg and f"第 {line} 行" in msg and needle in msg, msg


def test_duplicate_names_both_lines(tmp_path):
    p = _csv(tmp_path, f"{HEADER}\r\n{ROWS[0]}\r\n{ROWS[1]}\r\n009,县教育科技局,县直部门,x,x@example.cn\r\n")
    with pytest.raises(GiprError) as e:
        load_roster(p)
    assert "第 4 行" in str(e.value) and "第 2 行" in str(e.value)


@pytest.mark.parametrize("content, name", [(b"\x00\x01garbage" * 50, "r.xlsx"), (b"", "r.csv"),
                                           (b"just,some,text\r\n1,2,3\r\n", "r.csv"), (b"\xff\xfe\x00", "r.txt")])
def test_unreadable_roster_is_a_clear_error(tmp_path, content, name):
    p = tmp_path / name
    p.write_bytes(content)
    with pytest.raises(GiprError) as e:
        load_roster(p)
    assert str(p) in str(e.value)


def test_missing_roster_file(tmp_path):
    with pytest.raises(GiprError, match="找不到单位名册"):
        load_roster(tmp_path / "nope.csv")


def test_cli_bad_roster_exit_2_without_traceback(tmp_path, capsys):
    p = _csv(tmp_path, f"{HEADER}\r\n{ROWS[0]}\r\n{ROWS[0]}\r\n", "gbk")
    with pytest.raises(SystemExit) as e:
        main(["template", "--year", "2025", "--roster", str(p), "--out", str(tmp_path / "out")])
    assert e.value.code == 2
    err = capsys.readouterr().err.replace("\n", "")  # rich wraps long lines
    assert "第 3 行" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_a_code_the_unit_matcher_cannot_tell_apart_is_a_duplicate(tmp_path):
    """The roster and the unit matcher compare codes in one form (roster.normalize_code: width-folded,
    no white space, upper case): a roster with A01 and ａ０１ was accepted, and the matcher then gave
    every file of either code to the first."""
    p = _csv(tmp_path, "\n".join([HEADER, "A01,县教育科技局,县直部门,张敏,a@example.cn",
                                  "ａ０１,县公安局,县直部门,李明,b@example.cn"]))
    with pytest.raises(GiprError) as e:
        load_roster(p)
    assert e.value.code == "roster.duplicate_code" and "第 3 行" in str(e.value) and "第 2 行" in str(e.value)


def test_a_full_width_lower_case_code_in_roster_and_cover_is_one_unit(tmp_path):
    """A roster code typed full-width in lower case, a returned file whose cover gives it with another
    width, case and spaces (and a name the roster does not know): the file is that unit's."""
    from kit.helpers import fill_workbook

    from gipr.check import CheckContext, check_report
    from gipr.read import read_report
    from gipr.spec import load_format
    from gipr.template import write_template
    from gipr.unitmatch import identify

    p = _csv(tmp_path, "\n".join([HEADER, "ａ０１,县教育科技局,县直部门,张敏,a@example.cn", ROWS[1]]))
    roster = load_roster(p)
    assert roster[0].code == "a01"  # kept as written, width-folded
    spec = load_format("2021")
    blank = write_template(tmp_path / "blank.xlsx", spec, year=2025)
    filled = fill_workbook(blank, tmp_path / "returned.xlsx", {}, {"unit_code": " Ａ０1 ", "unit_name": "教育局"},
                           spec=spec)
    rep = read_report(filled)
    assert identify(rep, roster).unit == roster[0]
    codes = [f.code for f in check_report(rep, CheckContext(year=2025, roster=roster))]
    assert "identity.unit_unknown" not in codes
