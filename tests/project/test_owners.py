"""One owner per concept: the places where copies used to disagree (issue 10, item 3).

* rule G (value types) comes from the format file on both sides: a format file with other
  ``types`` changes the template's validation and live checks *and* the check;
* ``gipr merge`` takes the same files as ``gipr check`` (.et included);
* a batch of templates gets the same ordinary file mode as a single template;
* a unit code is matched the same way by check, collect and merge (case and width folded).
"""

from __future__ import annotations

import json
import os
import shutil
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from kit.helpers import consistent_values, fill_workbook

from gipr.check import CheckContext, check_report, match_unit
from gipr.check.run import collect_paths
from gipr.files import READABLE_SUFFIXES, find_input_files
from gipr.merge import entries_from_paths, plan_merge
from gipr.read import read_report
from gipr.roster import Unit
from gipr.spec import formats_dir, load_format, load_spec_file
from gipr.template import write_template, write_templates
from gipr.unitmatch import identify, normalize_code, roster_index

YEAR = 2025
COUNT_CELL = "t2.regulation.issued"  # a count input (二 主动公开 B5)
AMOUNT_CELL = "t2.fee.fee_amount"  # an amount input in 万元 (二 主动公开 B16)


def _modified_format(tmp_path: Path) -> Path:
    """The 2021 format file with other value types: amounts with at most 2 decimals, counts
    without a minimum."""
    data = json.loads((formats_dir() / "2021.json").read_text(encoding="utf-8"))
    data["types"]["amount"]["decimals"] = 2
    del data["types"]["count"]["min"]
    p = tmp_path / "2021-modified.json"
    p.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return p


def _validation_of(ws, ref: str):
    for dv in ws.data_validations.dataValidation:
        if any(ref in str(r) or _in_range(ref, str(r)) for r in dv.sqref.ranges):
            return dv
    return None


def _in_range(ref: str, rng: str) -> bool:
    from openpyxl.utils.cell import range_boundaries

    c0, r0, c1, r1 = range_boundaries(rng)
    col, row = range_boundaries(ref)[:2]
    return c0 <= col <= c1 and r0 <= row <= r1


def _findings_for(spec, path: Path, cell: str):
    rep = read_report(path, spec=spec)
    assert rep.spec is spec
    return rep, [f for f in check_report(rep, CheckContext(year=YEAR)) if f.cell == cell]


@pytest.mark.parametrize("modified", [False, True])
def test_rule_g_comes_from_the_format_file_in_template_and_check(tmp_path, modified):
    spec = load_spec_file(_modified_format(tmp_path)) if modified else load_format("2021")
    blank = write_template(tmp_path / "t.xlsx", spec, year=YEAR)

    # the template: validation of a count cell and the wording of an amount cell, the decimals
    # of the live rule formulas
    wb = openpyxl.load_workbook(blank)
    cnt, amt = spec.cells[COUNT_CELL], spec.cells[AMOUNT_CELL]
    dv_count = _validation_of(wb[cnt.sheet], cnt.ref)
    dv_amount = _validation_of(wb[amt.sheet], amt.ref)
    assert dv_count is not None and dv_amount is not None
    formulas = " ".join(str(c.value) for row in wb[amt.sheet].iter_rows() for c in row
                        if isinstance(c.value, str) and c.value.startswith("=IF("))
    if modified:
        assert dv_count.operator in (None, "between") and dv_count.formula1 == "-999999999"  # no minimum
        assert "最多2位小数" in (dv_amount.prompt or "")
        assert ",2)<>" in formulas and ",6)<>" not in formulas
    else:
        assert dv_count.operator == "greaterThanOrEqual" and dv_count.formula1 == "0"
        assert "最多6位小数" in (dv_amount.prompt or "")
        assert ",6)<>" in formulas

    # the check, on a filled copy: what the template refuses, the check reports
    values = consistent_values(spec)
    values[COUNT_CELL] = -3
    values[AMOUNT_CELL] = 1.234
    filled = fill_workbook(blank, tmp_path / "filled.xlsx", values, {"unit_name": "教科局", "year": str(YEAR)},
                           spec=spec)
    rep, count_findings = _findings_for(spec, filled, COUNT_CELL)
    _, amount_findings = _findings_for(spec, filled, AMOUNT_CELL)
    if modified:
        assert rep.values[COUNT_CELL].number == -3
        assert not [f for f in count_findings if f.code == "value.negative"]
        assert rep.values[AMOUNT_CELL].number == Decimal("1.23")
        assert any("超过2位小数" in f.message for f in amount_findings)
    else:
        assert [f.severity for f in count_findings if f.code == "value.negative"] == ["error"]
        assert rep.values[AMOUNT_CELL].number == Decimal("1.234")
        assert not [f for f in amount_findings if "位小数" in f.message]


def test_merge_takes_the_files_check_takes(tmp_path):
    spec = load_format("2021")
    folder = tmp_path / "in"
    folder.mkdir()
    blank = write_template(tmp_path / "t.xlsx", spec, year=YEAR, unit=Unit("A01", "教科局", "", "", "", 1))
    fill_workbook(blank, folder / "教科局.xlsx", consistent_values(spec), {"unit_name": "教科局", "year": str(YEAR)})
    shutil.copy(folder / "教科局.xlsx", folder / "教科局副本.et")  # WPS's own suffix
    shutil.move(folder / "教科局.xlsx", tmp_path / "kept.xlsx")
    assert ".et" in READABLE_SUFFIXES
    assert find_input_files([folder]) == collect_paths([folder]) == [folder / "教科局副本.et"]
    entries = entries_from_paths([folder], spec=spec, year=YEAR, roster=None, jobs=1)
    assert [e.status for e in entries] == ["included"]
    res = plan_merge(spec, YEAR, "示例县", entries, None)
    assert len(res.included) == 1


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_batch_and_single_templates_get_the_same_ordinary_mode(tmp_path):
    spec = load_format("2021")
    units = [Unit("A01", "教科局", "", "", "", 1), Unit("A02", "卫健局", "", "", "", 2)]
    single = write_template(tmp_path / "one.xlsx", spec, year=YEAR, unit=units[0])
    results = write_templates(spec, YEAR, units, tmp_path / "batch", workers=1)
    mask = os.umask(0)
    os.umask(mask)
    want = 0o666 & ~mask
    assert single.stat().st_mode & 0o777 == want
    batch = sorted((tmp_path / "batch").glob("*.xlsx"))
    assert len(batch) == len(results) == 2
    assert {p.stat().st_mode & 0o777 for p in batch} == {want}


def test_a_unit_code_is_matched_the_same_way_everywhere(tmp_path):
    """Decided: a code is compared after NFKC, without spaces, case-folded (check used to
    upper-case, collect and merge compared exactly)."""
    roster = [Unit("A01", "教科局", "", "", "", 1), Unit("B02", "卫健局", "", "", "", 2)]
    assert normalize_code(" ａ０１ ") == normalize_code("a01") == "A01"
    assert roster_index(roster).find("a01", "") is roster[0]

    spec = load_format("2021")
    blank = write_template(tmp_path / "t.xlsx", spec, year=YEAR)  # no identity unit
    path = fill_workbook(blank, tmp_path / "f.xlsx", consistent_values(spec),
                         {"unit_name": "某某单位", "unit_code": "ａ０１", "year": str(YEAR)})
    rep = read_report(path)
    assert match_unit(rep, roster) is roster[0]  # check
    got = identify(rep, roster)  # collect
    assert got.unit is roster[0] and got.method == "cover_code"
    entries = entries_from_paths([path], spec=spec, year=YEAR, roster=roster, jobs=1)  # merge
    res = plan_merge(spec, YEAR, "示例县", entries, roster)
    assert [(e.code, e.in_roster) for e in res.entries if e.file] == [("A01", True)]
