"""The example county (examples/): the README's main job works and shows what it should.

    gipr merge examples/returned --roster examples/roster.csv --year 2025 \\
        --previous examples/2024年度汇总.xlsx --out out/2025年度汇总.xlsx --html out/2025年度汇总.html
"""

from __future__ import annotations

import json
import shutil

import openpyxl
import pytest
from kit.county import cli, flat, independent_sum, rollup_table_values
from kit.paths import EXAMPLES

from gipr.read import read_report


@pytest.fixture(scope="module")
def main_job(tmp_path_factory):
    import contextlib
    import io

    d = tmp_path_factory.mktemp("example")
    out, html = d / "out" / "2025年度汇总.xlsx", d / "out" / "2025年度汇总.html"
    o, e = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(o), contextlib.redirect_stderr(e):
        rc = cli("merge", EXAMPLES / "returned", "--roster", EXAMPLES / "roster.csv", "--year", 2025,
                 "--previous", EXAMPLES / "2024年度汇总.xlsx", "--out", out, "--html", html)
    return rc, flat(o.getvalue() + e.getvalue()), out, html


def test_the_readme_main_job(main_job):
    rc, text, out, html = main_job
    assert rc == 0
    assert "示例县2025年度汇总：已汇总 28 个" in text
    assert "县交通运输局（012）" in text and "柳树乡人民政府（106）" in text
    assert "未报送的单位 1 个：白沙乡人民政府（109）" in text
    assert f"汇总表：{out.resolve()}" in text and f"网页：{html.resolve()}" in text
    assert out.is_file() and html.is_file()


def test_what_the_example_shows(main_job, capsys):
    _, _, out, _ = main_job
    rep = read_report(out)
    codes = {u["code"] for u in rep.units}
    assert "105" in codes  # the .xls unit is included
    assert "016" in codes  # the overwritten total is a warning: included, total recomputed
    assert not codes & {"012", "106", "109"}
    included = [p for p in (EXAMPLES / "returned").iterdir()
                if not any(k in p.name for k in ("交通运输局", "柳树乡"))]
    assert len(included) == 28
    assert rollup_table_values(out) == independent_sum(included)
    # year over year: rule F for 县卫生健康局 (and the county), a 提示 for 县住房和城乡建设局
    wb = openpyxl.load_workbook(out)
    rows = [list(r) for r in wb["上年对比"].iter_rows(values_only=True)]
    flagged = [(r[0], r[2], r[7]) for r in rows[2:] if r[7]]
    assert {(c or "", cid) for c, cid, sev in flagged if sev == "错误"} == {
        ("", "t3.carry.person"), ("", "t3.carry.total"), ("017", "t3.carry.person"), ("017", "t3.carry.total")}
    assert ("011", "t3.new.person", "提示") in flagged
    capsys.readouterr()
    assert cli("check", out, EXAMPLES / "2024年度汇总.xlsx", "--json") == 0
    data = json.loads(capsys.readouterr().out)
    assert data["summary"]["errors"] == 0 and data["summary"]["passed"] == 2


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is needed to make the .xls")
def test_make_examples_is_reproducible(tmp_path, monkeypatch):
    """Re-running the seeded generator gives the same numbers, units and files."""
    import importlib.util

    spec_ = importlib.util.spec_from_file_location("make_examples", EXAMPLES / "make_examples.py")
    mod = importlib.util.module_from_spec(spec_)
    spec_.loader.exec_module(mod)
    shutil.copy(EXAMPLES / "roster.csv", tmp_path / "roster.csv")
    mod.make(tmp_path)
    mine = sorted(p.name for p in (tmp_path / "returned").iterdir())
    assert mine == sorted(p.name for p in (EXAMPLES / "returned").iterdir())
    for name in mine:
        a, b = read_report(tmp_path / "returned" / name), read_report(EXAMPLES / "returned" / name)
        assert {k: (v.state, v.number) for k, v in a.values.items()} == \
               {k: (v.state, v.number) for k, v in b.values.items()}, name
        assert (a.unit_code, a.unit_name, a.fields) == (b.unit_code, b.unit_name, b.fields)
        # gipr's own writers are byte-reproducible; the one file re-saved by openpyxl (县文化和旅游局) is not across
        # machines: openpyxl serialises through lxml when it is installed (python-docx brings it) and through
        # et_xmlfile otherwise (`" />` against `"/>`), so only its values are compared.
        if name.endswith(".xlsx") and "文化和旅游局" not in name:
            assert (tmp_path / "returned" / name).read_bytes() == (EXAMPLES / "returned" / name).read_bytes(), name
    assert rollup_table_values(tmp_path / "2024年度汇总.xlsx") == rollup_table_values(EXAMPLES / "2024年度汇总.xlsx")
