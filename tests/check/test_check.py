"""Checks on real workbooks: every rule of the format, values (blank, 不适用, text,
conversions, type errors), stale totals, cover fields, identity, the cross-year rule and
the published reports (Shanghai 2019, Lingqiu 2021)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from kit.workbooks import FIELDS, OTHER, UNIT, as_typed, codes, filled, good_values, only, published, spec, unprotect

from gipr.check import (
    CheckContext,
    check_report,
    export_record,
    pick_previous,
    recompute,
)
from gipr.read import read_report
from gipr.sources import open_reports, report_from_export

T3 = "三 依申请公开"


def person_column(new=20, carry=6, open_=15, nxt=5) -> dict:
    """Values where table 三's 自然人 column is 一=new, 二=carry, (一)=open_, everything else 0, 四=nxt."""
    vals = good_values()
    s = spec()
    for c in s.inputs:
        if c.table_id == "t3" and c.col_id == "person":
            vals[c.id] = 0
    vals.update({"t3.new.person": new, "t3.carry.person": carry, "t3.open.person": open_, "t3.next.person": nxt})
    return vals


def check(tmp_path, name, values=None, ctx=None, **kw):
    r = read_report(filled(tmp_path, name, values, **kw))
    return r, check_report(r, ctx)


# --- rules ---------------------------------------------------------------------------------


def test_consistent_file_passes(tmp_path):
    _r, found = check(tmp_path, "ok.xlsx", ctx=CheckContext(year=2021))
    assert found == []


def test_rule_a_message_with_the_numbers(tmp_path):
    _r, found = check(tmp_path, "a.xlsx", person_column())
    a = {f.rule: f for f in only(found, "rule.A")}
    assert set(a) == {"A.person", "A.total"}  # the 总计 column holds the 自然人 column
    f = a["A.person"]
    assert f.message == "表三 自然人：一+二=26，三（七）+四=20，不相等"
    assert f.severity == "error" and f.rule == "A.person" and f.cell == "t3.new.person"
    assert f.ref == f"{T3}!D6" and f.path.startswith("表三 / 一、本年新收")


def test_every_rule_instance_is_evaluated_from_the_spec(tmp_path):
    """Break every column of table 三 at once: one A finding per column, each naming it."""
    s = spec()
    vals = good_values()
    for col in s.tables[1].value_cols:
        cid = f"t3.new.{col}"
        if s.cells[cid].input:
            vals[cid] = vals[cid] + 1
    _r, found = check(tmp_path, "allcols.xlsx", vals)
    a = only(found, "rule.A")
    assert sorted(f.rule for f in a) == sorted(x.id for x in s.rules if x.family == "A")
    labels = {f.rule: f.message.split("：")[0] for f in a}
    assert labels["A.legal"] == "表三 法律服务机构"


def test_stale_total_is_a_warning_and_rules_use_the_recomputed_value(tmp_path):
    """Protection removed, a unit typed its own (七) 总计 over the formula, as in the 2020
    county report: (七) 20 against a row sum of 26.  Rule A uses the recomputed 26."""
    vals = person_column(new=20, carry=6, open_=26, nxt=0)
    vals["t3.total.person"] = 20
    _r, found = check(tmp_path, "stale.xlsx", vals, edit=unprotect)
    stale = only(found, "total.stale")
    assert [f.cell for f in stale] == ["t3.total.person"]
    assert stale[0].severity == "warning"
    assert "（七）总计=20" in stale[0].message and "26" in stale[0].message and stale[0].ref == f"{T3}!D29"
    assert not only(found, "rule.A")  # 20+6 = 26+0 with the recomputed total
    # and the other way round: a stored total that makes rule A look right does not hide it
    vals = person_column(new=20, carry=6, open_=26, nxt=6)
    vals["t3.total.person"] = 20
    _r, found = check(tmp_path, "stale2.xlsx", vals, edit=unprotect)
    assert [f.message for f in only(found, "rule.A") if f.rule == "A.person"] == [
        "表三 自然人：一+二=26，三（七）+四=32，不相等"]


def test_stale_group_total_in_table_four(tmp_path):
    vals = good_values()
    vals.update({"t4.cases.review_upheld": 5, "t4.cases.review_corrected": 0, "t4.cases.review_other": 0,
                 "t4.cases.review_pending": 2, "t4.cases.review_total": 9})
    _r, found = check(tmp_path, "t4.xlsx", vals, edit=unprotect)
    stale = only(found, "total.stale")
    assert len(stale) == 1 and stale[0].cell == "t4.cases.review_total" and stale[0].rule == "E.review"
    assert stale[0].message.startswith("表四 行政复议：总计=9，结果维持+结果纠正+其他结果+尚未审结=7，不相等")
    assert "重新计算的 7" in stale[0].message


def test_cross_year_rule_f_against_last_years_workbook_and_export(tmp_path):
    this = good_values(seed=31)
    last = good_values(seed=32)
    s = spec()
    # make the carry-over agree in every column but 自然人
    for col in s.tables[1].value_cols:
        if s.cells[f"t3.carry.{col}"].input and s.cells[f"t3.next.{col}"].input:
            this[f"t3.carry.{col}"] = last[f"t3.next.{col}"]
    this["t3.carry.person"] = last["t3.next.person"] + 3
    this = _rebalance(this)
    prev_path = filled(tmp_path, "last.xlsx", last, year=2020, fid="2021")
    cur = read_report(filled(tmp_path, "this.xlsx", this))
    prev = read_report(prev_path)
    found = check_report(cur, CheckContext(year=2021, previous=prev))
    f = only(found, "rule.F")
    assert [x.rule for x in f] == ["F.person", "F.total"], [x.message for x in found]
    n_this, n_last = this["t3.carry.person"], last["t3.next.person"]
    assert f[0].message == f"表三 自然人：本年二、上年结转={n_this}，上年四、结转下年度继续办理={n_last}，不相等"
    assert f[0].rule == "F.person"
    # the same from last year's exported JSON
    exp = tmp_path / "last.json"
    exp.write_text(json.dumps({"reports": [export_record(prev)]}, ensure_ascii=False), encoding="utf-8")
    prevs = open_reports(exp)
    assert len(prevs) == 1 and pick_previous(cur, prevs) is prevs[0]
    found2 = check_report(cur, CheckContext(year=2021, previous=prevs[0]))
    assert [x.message for x in only(found2, "rule.F")] == [x.message for x in f]
    # a previous report of the wrong year is said
    found3 = check_report(cur, CheckContext(previous=cur))
    assert only(found3, "previous.year")


def _rebalance(vals: dict) -> dict:
    """Adjust 四 of each column of table 三 so that rule A holds again."""
    s = spec()
    from gipr.template import compute_totals

    for r in s.rules_of("equal"):
        target = r.rhs[-1]
        if not s.cells[target].input:
            continue
        vals[target] = 0
        comp = compute_totals(s, vals)
        diff = sum(comp[x] for x in r.lhs) - sum(comp[x] for x in r.rhs)
        if diff < 0:
            leaf = s.cells[r.lhs[0]].leaves[0]
            vals[leaf] -= diff
            diff = 0
        vals[target] = diff
    return vals


def test_cross_year_between_formats(tmp_path):
    """2020 used the 2019 format, 2021 the 2021 format: the carry-over still compares."""
    last = good_values("2019", seed=41)
    this = good_values(seed=42)
    s = spec()
    for col in s.tables[1].value_cols:
        if s.cells[f"t3.carry.{col}"].input:
            this[f"t3.carry.{col}"] = last[f"t3.next.{col}"]
    this["t3.carry.person"] = last["t3.next.person"] + 1
    this = _rebalance(this)
    prev = read_report(filled(tmp_path, "y2020.xlsx", last, fid="2019", year=2020))
    cur = read_report(filled(tmp_path, "y2021.xlsx", this))
    f = only(check_report(cur, CheckContext(year=2021, previous=prev)), "rule.F")
    assert [x.rule for x in f] == ["F.person", "F.total"]


# --- values --------------------------------------------------------------------------------


def test_blank_na_text_and_type_errors(tmp_path):
    vals = good_values()
    vals.update({
        "t3.new.person": None,  # blank
        "t3.carry.business": "/",  # 不适用
        "t3.open.research": "无",
        "t3.partial.legal": "见附件",  # text
        "t3.deny1.person": -3,
        "t3.deny2.person": 2.5,
        "t3.deny3.person": "NaN",
        "t4.cases.review_upheld": "inf",
    })
    r, found = check(tmp_path, "values.xlsx", vals)
    by = {(f.code, f.cell): f for f in found}
    blank = by[("cell.blank", "t3.new.person")]
    assert blank.severity == "error" and "未填写" in blank.message and blank.ref == f"{T3}!D6"
    assert by[("cell.na", "t3.carry.business")].severity == "error"
    assert "“/”" in by[("cell.na", "t3.carry.business")].message
    assert ("cell.na", "t3.open.research") in by
    assert "“见附件”" in by[("cell.text", "t3.partial.legal")].message
    assert "负数" in by[("value.negative", "t3.deny1.person")].message
    assert "-3" in by[("value.negative", "t3.deny1.person")].message
    assert "整数" in by[("value.not_integer", "t3.deny2.person")].message
    assert ("value.not_finite", "t3.deny3.person") in by
    assert ("value.not_finite", "t4.cases.review_upheld") in by
    # a rule with a missing input is not evaluated: no sum error invented from a blank
    rule_cols = {f.rule.split(".")[1] for f in found if f.code.startswith("rule.")}
    assert not rule_cols & {"person", "business", "research", "legal", "total"}
    assert r.number("t3.new.person") is None and recompute(r)["t3.new.total"] is None


def test_converted_values_are_read_and_reported(tmp_path):
    vals = good_values()
    want = {"t3.new.person": ("１２", 12), "t3.carry.person": ("12件", 12), "t3.open.person": (" 7 ", 7),
            "t2.regulation.issued": ("1,234", 1234), "t2.fee.fee_amount": ("12.5万元", Decimal("12.5"))}
    for cid, (raw, _n) in want.items():
        vals[cid] = raw
    r, found = check(tmp_path, "conv.xlsx", vals)
    conv = {f.cell: f for f in only(found, "value.converted")}
    for cid, (_raw, n) in want.items():
        assert r.number(cid) == n, cid
        assert conv[cid].severity == "info" and f"读作 {n}" in conv[cid].message, conv[cid].message
    assert "全角" in conv["t3.new.person"].message and "单位“件”" in conv["t3.carry.person"].message
    assert "千位" in conv["t2.regulation.issued"].message


def test_blank_as_zero(tmp_path):
    vals = person_column(new=20, carry=6, open_=26, nxt=0)
    vals["t3.deny5.person"] = None
    vals["t3.deny6.person"] = None
    path = filled(tmp_path, "bz.xlsx", vals)
    r = read_report(path)
    strict = check_report(r)
    assert {f.cell for f in only(strict, "cell.blank")} == {"t3.deny5.person", "t3.deny6.person"}
    loose = check_report(r, CheckContext(blank_as_zero=True))
    assert not only(loose, "cell.blank") and not [f for f in loose if f.severity == "error"]
    note = only(loose, "cell.blank_as_zero")
    assert len(note) == 1 and "2 个" in note[0].message and note[0].severity == "info"
    assert recompute(r, blank_as_zero=True)["t3.total.person"] == 26


# --- cover and identity --------------------------------------------------------------------


def test_required_cover_fields(tmp_path):
    _r, found = check(tmp_path, "cover.xlsx", fields={"filler": "", "phone": ""},
                     edit=lambda wb: (wb["封面"].__setitem__("B3", None), wb["封面"].__setitem__("B5", None)))
    by = {f.cell: f for f in only(found, "field.missing")}
    assert by["unit_name"].severity == "error" and by["year"].severity == "error"
    assert by["filler"].severity == "warning" and by["phone"].severity == "warning"
    assert "填报人" in by["filler"].message and by["filler"].ref == "封面!B6"


def test_year_unit_and_signature(tmp_path):
    p = filled(tmp_path, "id.xlsx")
    r = read_report(p)
    assert check_report(r, CheckContext(year=2021, roster=[UNIT, OTHER])) == []
    wrong_year = check_report(r, CheckContext(year=2022))
    assert "identity.year_mismatch" in codes(wrong_year)
    assert [f.message for f in only(wrong_year, "identity.year_mismatch")] == ["报告年度为 2021，本次收集的是 2022 年度。"]
    unknown = check_report(r, CheckContext(roster=[OTHER]))
    f = only(unknown, "identity.unit_unknown")
    assert len(f) == 1 and "县教育科技局" in f[0].message and "U001" in f[0].message and f[0].severity == "error"

    # a copied template whose hidden identity was edited to another unit
    def tamper(wb):
        ws = wb["_gipr"]
        for row in ws.iter_rows():
            if row[0].value == "unit_code":
                row[1].value = "U002"

    r2 = read_report(filled(tmp_path, "tampered.xlsx", edit=tamper))
    found = check_report(r2, CheckContext(roster=[UNIT, OTHER]))
    assert "identity.signature" in codes(found)
    # the cover name edited by the unit
    r3 = read_report(filled(tmp_path, "renamed.xlsx", edit=lambda wb: wb["封面"].__setitem__("B3", "教育局")))
    f3 = only(check_report(r3, CheckContext(roster=[UNIT])), "identity.unit_changed")
    assert len(f3) == 1 and "教育局" in f3[0].message and UNIT.name in f3[0].message


def test_old_format_for_the_year(tmp_path):
    r = read_report(filled(tmp_path, "old.xlsx", good_values("2019"), fid="2019", year=2021))
    f = only(check_report(r, CheckContext(year=2021)), "identity.format_mismatch")
    assert len(f) == 1 and "2019" in f[0].message and "2021" in f[0].message


# --- published reports ---------------------------------------------------------------------


def _published_workbook(tmp_path, fixture: str, fields=None):
    doc = published(fixture)
    vals = {cid: as_typed(v) for cid, v in doc["values"].items()}
    path = filled(tmp_path, fixture.replace(".json", ".xlsx"), vals, fid=doc["format"], year=doc["year"],
                  fields=fields, edit=unprotect)
    return doc, read_report(path)


def test_shanghai_2019_blank_totals_are_unfilled_not_sum_errors(tmp_path):
    _doc, r = _published_workbook(tmp_path, "published-shanghai-2019.json")
    assert r.spec.id == "2019"
    found = check_report(r, CheckContext(year=2019))
    assert not [f for f in found if f.code.startswith("rule.")]
    assert not only(found, "total.stale")
    blank_totals = {f.cell for f in only(found, "cell.blank_total")}
    assert "t3.open.total" in blank_totals and "t3.other_handling.total" in blank_totals
    assert "t3.new.total" not in blank_totals  # 859 was printed
    assert all(f.severity == "warning" and "未填写" in f.message for f in only(found, "cell.blank_total"))
    blank_inputs = {f.cell for f in only(found, "cell.blank")}
    assert "t3.new.research" in blank_inputs and "t3.new.person" not in blank_inputs
    assert r.number("t3.new.person") == 821 and r.number("t3.total.total") == 805
    conv = {f.cell: f for f in only(found, "value.converted")}
    assert r.number("t2.procurement.amount") == 251000 and "t2.procurement.amount" in conv
    # counted with blanks as zero, every rule of the format holds
    loose = check_report(r, CheckContext(year=2019, blank_as_zero=True))
    assert not [f for f in loose if f.severity == "error"]
    values = recompute(r, blank_as_zero=True)
    assert values["t3.total.person"] == 767 and values["t3.total.total"] == 805
    assert values["t4.cases.review_total"] == 7 and values["t4.cases.direct_total"] == 9


def test_lingqiu_2021_all_zero_passes(tmp_path):
    doc, r = _published_workbook(tmp_path, "published-lingqiu-2021.json", fields=FIELDS)
    assert r.spec.id == "2021" and len(doc["values"]) == len(spec().cells)
    assert all(r.number(cid) == 0 for cid in spec().cells if spec().cells[cid].input)
    assert check_report(r, CheckContext(year=2021, roster=[UNIT])) == []


def test_template_made_with_another_version_of_the_format_file(tmp_path):
    """Same format id, different format file (e.g. a label fixed later): a warning."""
    import shutil

    from gipr.spec import formats_dir, load_spec_file
    from gipr.template import write_template

    src = formats_dir() / "2021.json"
    alt = tmp_path / "2021.json"
    shutil.copyfile(src, alt)
    alt.write_bytes(alt.read_bytes().replace("（2021年9月26日）".encode(), "（2021年9月26日印发）".encode(), 1))
    old = load_spec_file(alt)
    assert old.id == "2021" and old.digest != spec().digest
    p = write_template(tmp_path / "old.xlsx", old, year=2021, unit=UNIT, values=good_values(), fields=FIELDS)
    found = check_report(read_report(p), CheckContext(year=2021))
    assert codes(found) == ["identity.format_changed"]
    assert found[0].severity == "warning"


def test_figures_and_deadlines_do_not_change_the_template_digest(tmp_path):
    """The format file's figures and deadlines do not shape a template: templates signed before
    they changed (or were added) still match; the sections are read back through gipr.figures."""
    import json

    from gipr.figures import deadline_for, figure_cells
    from gipr.spec import formats_dir, load_spec_file

    data = json.loads((formats_dir() / "2021.json").read_text(encoding="utf-8"))
    data["figures"][0]["cells"] = ["t3.new.person"]
    data["deadlines"]["levels"][1]["day"] = 21
    alt = tmp_path / "2021.json"
    alt.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    changed = load_spec_file(alt)
    assert changed.digest == spec().digest
    assert figure_cells(changed, data["figures"][0]["name"]) == ["t3.new.person"]
    assert deadline_for(changed, "county").day == 21 and deadline_for(spec(), "county").day == 20
    data["figures"][0]["cells"] = ["t3.nope.total"]
    alt.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    with pytest.raises(Exception, match=r"t3\.nope\.total"):
        load_spec_file(alt)


def test_last_years_data_is_matched_by_unit_and_kind():
    def rep(unit, code, kind="unit"):
        return report_from_export({"file": f"{unit}.xlsx", "unit": unit, "unit_code": code, "year": 2020,
                                   "format": "2021", "kind": kind, "values": {}}, "last.json")

    edu, fin, county = rep("县教育科技局", "U001"), rep("县财政局", "U002"), rep("示例县（汇总）", "", "rollup")
    this = rep("县教育科技局", "U001")
    assert pick_previous(this, [fin, edu, county]) is edu
    assert pick_previous(rep("教育科技局", "U001"), [fin, edu]) is edu  # by code
    assert pick_previous(rep("县教育科技局", ""), [fin, edu]) is edu  # by name
    # a unit is never compared with last year's county roll-up, a roll-up is
    assert pick_previous(this, [county]) is None
    assert pick_previous(rep("示例县（汇总）", "", "rollup"), [county, edu]) is county
