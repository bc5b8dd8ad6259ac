"""Generated templates read back with openpyxl: layout, protection, validation, formulas,
live checks, identity, file names and the CLI."""

from __future__ import annotations

import io
import random
import re
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from kit.helpers import consistent_values, fill_workbook, random_values, run_cli
from kit.paths import REPO
from openpyxl.utils import range_boundaries

from gipr.errors import GiprError
from gipr.roster import Unit, load_roster
from gipr.spec import load_format
from gipr.stamp import (
    IDENTITY_SHEET,
    identity_from_properties,
    make_identity,
    read_identity_rows,
    units_digest,
    verify,
)
from gipr.template import (
    DEFAULT_PASSWORD,
    WORKBOOK_OPTIONS,
    TemplateFactory,
    build_workbook,
    check_layout,
    compute_totals,
    plan_filenames,
    rule_status,
    template_filename,
    total_formula,
    write_template,
    write_templates,
)

ROOT = REPO
ROSTER = ROOT / "examples" / "roster.csv"
YEAR = {"2021": 2025, "2019": 2020}
UNIT = Unit("003", "县教育科技局", "县直部门", "张敏", "jykj@example.cn", 4)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("tpl")
    out = {}
    for fmt, year in YEAR.items():
        spec = load_format(fmt)
        out[("unit", fmt)] = write_template(d / f"unit{fmt}.xlsx", spec, year=year, unit=UNIT)
        out[("blank", fmt)] = write_template(d / f"blank{fmt}.xlsx", spec, year=year)
        good = consistent_values(spec, random.Random(7))
        out[("good", fmt)] = write_template(d / f"good{fmt}.xlsx", spec, year=year, unit=UNIT, values=good)
        bad = dict(good)
        bad["t3.new.person"] += 1
        out[("bad", fmt)] = write_template(d / f"bad{fmt}.xlsx", spec, year=year, unit=UNIT, values=bad)
        out[("values", "good", fmt)] = good
        out[("values", "bad", fmt)] = bad
    return out


cli = run_cli  # gipr in-process; its exit status


_CACHE: dict = {}


def _wb(path, data_only: bool = False, fresh: bool = False):
    """openpyxl workbook; cached per (file, mtime) unless ``fresh`` (for tests that modify it)."""
    path = Path(path)
    if fresh:
        return openpyxl.load_workbook(path, data_only=data_only)
    key = (str(path), path.stat().st_mtime_ns, data_only)
    if key not in _CACHE:
        _CACHE[key] = openpyxl.load_workbook(path, data_only=data_only)
    return _CACHE[key]


def _merges(ws) -> set[tuple[int, int, int, int]]:
    return {(m.min_row - 1, m.min_col - 1, m.max_row - 1, m.max_col - 1) for m in ws.merged_cells.ranges}


# --------------------------------------------------------------------------------
# layout


@pytest.mark.parametrize("fmt", list(YEAR))
@pytest.mark.parametrize("kind", ["unit", "blank"])
def test_labels_and_merges_equal_the_spec(files, fmt, kind):
    spec = load_format(fmt)
    wb = _wb(files[(kind, fmt)])
    assert wb.sheetnames == [spec.cover_sheet, *[t.sheet for t in spec.tables], IDENTITY_SHEET]
    for t in spec.tables:
        ws = wb[t.sheet]
        merges = _merges(ws)
        for lab in t.labels:
            assert ws.cell(lab.r0 + 1, lab.c0 + 1).value == lab.text, (t.sheet, lab)
            if lab.merged:
                assert (lab.r0, lab.c0, lab.r1, lab.c1) in merges, (t.sheet, lab)
        # labels only where the spec puts them, inside the table
        label_pos = {(lab.r0, lab.c0) for lab in t.labels}
        for row in ws.iter_rows(min_row=3, max_row=t.last_row + 1):
            for c in row:
                if isinstance(c.value, str) and not c.value.startswith("="):
                    assert (c.row - 1, c.column - 1) in label_pos, (t.sheet, c.coordinate, c.value)
    cover = wb[spec.cover_sheet]
    for f in spec.cover:
        assert cover.cell(f.row + 1, f.col).value == f.label


def test_print_setup_and_font(files):
    spec = load_format("2021")
    wb = _wb(files[("unit", "2021")])
    for t in spec.tables:
        ws = wb[t.sheet]
        assert ws.page_setup.orientation == "landscape"
        assert str(ws.page_setup.paperSize) == "9"  # A4
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.page_setup.fitToWidth in (1, None) and ws.page_setup.fitToHeight == 0  # 1 is the default
        assert ws.print_title_rows and ws.print_title_rows.startswith("$1:")
        lab = next(x for x in t.labels if x.kind == "row" or x.kind == "column")
        assert ws.cell(lab.r0 + 1, lab.c0 + 1).font.name == "宋体"
        widths = [ws.column_dimensions[openpyxl.utils.get_column_letter(c + 1)].width for c in range(t.width)]
        assert all(w and w >= 8 for w in widths), widths
    assert wb[spec.cover_sheet].page_setup.paperSize in (9, "9")


# --------------------------------------------------------------------------------
# protection


def _unlocked(ws) -> set[str]:
    return {c.coordinate for row in ws.iter_rows() for c in row if c.protection.locked is False}


def _merged_owner(ws) -> dict[str, str]:
    owner = {}
    for m in ws.merged_cells.ranges:
        tl = ws.cell(m.min_row, m.min_col).coordinate
        for r in range(m.min_row, m.max_row + 1):
            for c in range(m.min_col, m.max_col + 1):
                owner[ws.cell(r, c).coordinate] = tl
    return owner


@pytest.mark.parametrize("fmt", list(YEAR))
@pytest.mark.parametrize("kind", ["unit", "blank"])
def test_every_sheet_protected_only_inputs_unlocked(files, fmt, kind):
    spec = load_format(fmt)
    wb = _wb(files[(kind, fmt)])
    for ws in wb.worksheets:
        assert ws.protection.sheet is True, ws.title
        assert ws.protection.password, ws.title  # a password hash is set
    for t in spec.tables:
        ws = wb[t.sheet]
        inputs = {spec.cells[c].ref for c in t.cells if spec.cells[c].input}
        owner = _merged_owner(ws)
        unlocked = {owner.get(x, x) for x in _unlocked(ws)}
        assert unlocked == inputs, (t.sheet, sorted(unlocked ^ inputs)[:5])
        for cid in t.cells:
            c = spec.cells[cid]
            if not c.input:
                assert ws[c.ref].protection.locked is not False
    cover = wb[spec.cover_sheet]
    fill = {f.ref for f in spec.cover if not f.prefill}
    if kind == "blank":
        fill |= {spec.cover_field("unit_name").ref, spec.cover_field("unit_code").ref}
    assert _unlocked(cover) == fill
    assert _unlocked(wb[IDENTITY_SHEET]) == set()


def test_no_protect_option(tmp_path):
    p = write_template(tmp_path / "x.xlsx", load_format("2021"), year=2025, protect=False)
    wb = _wb(p)
    assert not any(ws.protection.sheet for ws in wb.worksheets)


def test_password_is_configurable(tmp_path):
    """The sheet password hash changes with the password (Excel's legacy hash)."""
    from openpyxl.worksheet.protection import hash_password

    spec = load_format("2021")
    a = _wb(write_template(tmp_path / "a.xlsx", spec, year=2025))
    b = _wb(write_template(tmp_path / "b.xlsx", spec, year=2025, password="Xian-2025!"))  # ASCII only: see
    # tests/format/test_template_password.py
    sheet = spec.tables[1].sheet
    assert a[sheet].protection.password == hash_password(DEFAULT_PASSWORD)
    assert b[sheet].protection.password == hash_password("Xian-2025!")


# --------------------------------------------------------------------------------
# validation


@pytest.mark.parametrize("fmt", list(YEAR))
def test_validation_on_every_input_by_type(files, fmt):
    spec = load_format(fmt)
    wb = _wb(files[("unit", fmt)])
    for t in spec.tables:
        ws = wb[t.sheet]
        dvs = ws.data_validations.dataValidation
        for cid in t.cells:
            c = spec.cells[cid]
            hits = [dv for dv in dvs if c.ref in dv.sqref]
            if not c.input:
                assert not hits, cid
                continue
            assert len(hits) == 1, cid
            dv = hits[0]
            assert dv.showErrorMessage and dv.errorStyle in (None, "stop")
            assert re.search(r"[\u4e00-\u9fff]", dv.prompt or "") and re.search(r"[\u4e00-\u9fff]", dv.error or "")
            assert "0" in dv.prompt and "不要留空" in dv.prompt
            if c.type == "count":
                assert (dv.type, dv.operator, dv.formula1) == ("whole", "greaterThanOrEqual", "0"), cid
            elif c.type == "amount":
                assert (dv.type, dv.operator, dv.formula1) == ("decimal", "greaterThanOrEqual", "0"), cid
                if c.unit:
                    assert c.unit in dv.prompt
            else:  # delta may be negative
                assert dv.type == "whole" and dv.operator in ("between", None) and int(dv.formula1) < 0, cid
                assert "负数" in dv.prompt


# --------------------------------------------------------------------------------
# formulas and cached values


def _refs_in(formula: str) -> set[tuple[int, int]]:
    out = set()
    for part in re.findall(r"\$?[A-Z]{1,3}\$?\d+(?::\$?[A-Z]{1,3}\$?\d+)?", formula):
        c0, r0, c1, r1 = range_boundaries(part.replace("$", ""))
        out |= {(r - 1, c - 1) for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)}
    return out


@pytest.mark.parametrize("fmt", list(YEAR))
@pytest.mark.parametrize("kind", ["good", "bad", "blank"])
def test_totals_are_sum_formulas_with_correct_cached_values(files, fmt, kind):
    spec = load_format(fmt)
    path = files[(kind, fmt)]
    values = files.get(("values", kind, fmt), {})
    expected = compute_totals(spec, values)
    wf, wv = _wb(path), _wb(path, data_only=True)
    for c in spec.cells.values():
        f = wf[c.sheet][c.ref].value
        v = wv[c.sheet][c.ref].value
        if c.input:
            assert f == (None if values.get(c.id) is None else pytest.approx(float(values[c.id])))
            continue
        assert isinstance(f, str) and f.startswith("=SUM(") and f == total_formula(spec, c), c.id
        parts = {(spec.cells[p].rowx, spec.cells[p].colx) for p in c.parts}
        assert _refs_in(f) == parts, c.id
        want = expected[c.id]
        assert v is not None, c.id
        assert Decimal(str(v)) == Decimal(want), (c.id, v, want)
        if kind == "blank":
            assert v == 0


@pytest.mark.parametrize("fmt", list(YEAR))
def test_live_check_cached_statuses(files, fmt):
    spec = load_format(fmt)
    t3 = spec.table("t3")
    lay = check_layout(spec, t3)
    for kind, expect_a_person in (("good", "通过"), ("bad", "不通过"), ("blank", "未填完")):
        wb = _wb(files[(kind, fmt)], data_only=True)
        ws = wb[t3.sheet]
        item = next(it for it in lay.items if it.rules[0].id == "A.person")
        assert ws[item.ref].value == expect_a_person, kind
        comp = compute_totals(spec, files.get(("values", kind, fmt), {}))
        for it in lay.items:
            assert ws[it.ref].value in ("通过", "不通过", "未填完")
            if len(it.rules) == 1:
                assert ws[it.ref].value == rule_status(spec, it.rules[0], comp)
        assert ws[lay.status_ref].value == {"good": "通过", "bad": "不通过", "blank": "未填完"}[kind]
        assert ws[lay.unfilled_ref].value == (len([c for c in spec.inputs if c.table_id == "t3"])
                                              if kind == "blank" else 0)
        assert wb[spec.cover_sheet].cell(1, 1).value.startswith(str(YEAR[fmt]))


def test_check_rows_cover_the_rules_and_cf_marks_rule_cells(files):
    spec = load_format("2021")
    t3 = spec.table("t3")
    lay = check_layout(spec, t3)
    wf = _wb(files[("unit", "2021")])
    ws = wf[t3.sheet]
    covered = {r.id for it in lay.items for r in it.rules}
    for r in spec.rules:
        if r.table == "三" and r.kind in ("equal", "total"):
            assert r.id in covered, r.id
    # the row of rule A is labelled with the rule title from the spec
    a_title = next(f["title"] for f in spec.families if f["id"] == "A")
    assert any(text == a_title for (_r, _c0, _c1, text) in lay.row_labels)
    item = next(it for it in lay.items if it.rules[0].id == "A.person")
    status_formula = ws[item.ref].value
    leaves = {x for cid in spec.rules[0].cells for x in spec.cells[cid].leaves} | set(spec.rules[0].cells)
    assert set(_refs_in(status_formula)) == {(spec.cells[x].rowx, spec.cells[x].colx) for x in leaves}
    # conditional formatting: the four cells of A.person are marked when its status says 不通过
    status_abs = "$" + re.sub(r"(\d+)", r"$\1", item.ref)
    rule_ranges = []
    for cf in ws.conditional_formatting:
        for rule in cf.rules:
            if rule.formula and f'{status_abs}="不通过"' in rule.formula[0]:
                rule_ranges.append(cf.sqref)
    marked = set()
    for sq in rule_ranges:
        for rng in str(sq).split():
            marked |= {(r, c) for r, c in _refs_in(rng)}
    assert marked == {(spec.cells[x].rowx, spec.cells[x].colx) for x in spec.rules[0].cells}


# --------------------------------------------------------------------------------
# identity


def _identity(path, fresh: bool = False):
    wb = _wb(path, fresh=fresh)
    ws = wb[IDENTITY_SHEET]
    ident, units = read_identity_rows([list(r) for r in ws.iter_rows(values_only=True)])
    props = identity_from_properties({p.name: p.value for p in wb.custom_doc_props.props})
    return wb, ident, units, props


@pytest.mark.parametrize("fmt", list(YEAR))
def test_identity_verifies_and_matches_properties(files, fmt):
    spec = load_format(fmt)
    wb, ident, units, props = _identity(files[("unit", fmt)])
    assert wb[IDENTITY_SHEET].sheet_state == "veryHidden"
    assert verify(ident) and ident == props and units == []
    assert ident["format"] == fmt and ident["format_digest"] == spec.digest
    assert ident["year"] == str(YEAR[fmt]) and ident["kind"] == "template"
    assert (ident["unit_code"], ident["unit_name"]) == (UNIT.code, UNIT.name)
    _wb2, blank, _u, _p = _identity(files[("blank", fmt)])
    assert verify(blank) and blank["unit_code"] == "" and blank["template_id"] != ident["template_id"]


def test_tampered_identity_does_not_verify(files, tmp_path):
    wb, ident, _u, _p = _identity(files[("unit", "2021")], fresh=True)
    for key, new in (("unit_code", "004"), ("unit_name", "县公安局"), ("year", "2024"), ("format", "2019"),
                     ("signature", "0" * 64)):
        t = dict(ident)
        t[key] = new
        assert not verify(t), key
    assert not verify({k: v for k, v in ident.items() if k != "signature"})
    # edited in the file itself
    ws = wb[IDENTITY_SHEET]
    for row in ws.iter_rows():
        if row[0].value == "unit_code":
            row[1].value = "004"
    wb.save(tmp_path / "tampered.xlsx")
    _wb2, ident2, _u2, _p2 = _identity(tmp_path / "tampered.xlsx")
    assert ident2["unit_code"] == "004" and not verify(ident2)


def test_rollup_identity_with_unit_list(tmp_path):
    spec = load_format("2021")
    units = [{"code": "001", "name": "县人民政府办公室", "status": "accepted"},
             {"code": "101", "name": "城关镇人民政府", "status": "accepted"}]
    ident = make_identity(spec, 2025, None, kind="rollup", units=units)
    p = write_template(tmp_path / "r.xlsx", spec, year=2025, identity=ident, units=units,
                       fields={"unit_name": "某县（汇总）"})
    _wb2, got, got_units, props = _identity(p)
    assert verify(got) and got["kind"] == "rollup" and got_units == units
    assert got["units_digest"] == units_digest(got_units) and props["units_count"] == "2"


# --------------------------------------------------------------------------------
# values, fields, marks


def test_values_numbers_fields_and_names_stay_text(tmp_path):
    spec = load_format("2021")
    evil = Unit("=1+1", "=HYPERLINK(\"http://x\",\"点我\")", "县直部门", "", "", 2)
    vals = {"t2.fee.fee_amount": Decimal("24252.311082"), "t3.new.person": 5, "t4.cases.review_upheld": 0}
    fields = {"filler": "=cmd|' /C calc'!A0", "phone": "+86 0351-1234567", "date": "@2026年1月20日"}
    p = write_template(tmp_path / "v.xlsx", spec, year=2025, unit=evil, values=vals, fields=fields)
    wb = _wb(p)
    cover = wb[spec.cover_sheet]
    for fid, text in [("unit_name", evil.name), ("unit_code", evil.code), *fields.items()]:
        c = cover[spec.cover_field(fid).ref]
        assert c.value == text and c.data_type == "s", fid
    assert wb[spec.tables[0].sheet].cell(2, 1).data_type == "s"
    for cid, v in vals.items():
        c = wb[spec.cells[cid].sheet][spec.cells[cid].ref]
        assert c.data_type == "n" and Decimal(str(c.value)) == v
    # the shared strings hold the texts; no formula anywhere mentions them
    with zipfile.ZipFile(p) as z:
        sheets = b"".join(z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/"))
    assert b"HYPERLINK" not in sheets and b"cmd|" not in sheets


def test_bad_values_fields_marks_are_refused(tmp_path):
    spec = load_format("2021")
    for kw in ({"values": {"t9.nope": 1}}, {"values": {"t3.new.person": "5"}}, {"values": {"t3.new.person": True}},
               {"fields": {"nope": "x"}}, {"marks": {"t3.nope": ("error", "x")}},
               {"marks": {"t3.new.person": ("fatal", "x")}}):
        with pytest.raises(ValueError):
            write_template(tmp_path / "x.xlsx", spec, year=2025, **kw)
        assert not (tmp_path / "x.xlsx").exists()  # atomic: nothing left behind


def test_marks_highlight_and_comment(tmp_path):
    spec = load_format("2021")
    marks = {"t3.total.person": ("error", "（七）总计与（一）至（六）之和不相等"), "filler": ("warning", "请填写填报人")}
    p = write_template(tmp_path / "m.xlsx", spec, year=2025, unit=UNIT, marks=marks)
    wb = _wb(p)
    c = spec.cells["t3.total.person"]
    cell = wb[c.sheet][c.ref]
    plain = wb[c.sheet][spec.cells["t3.total.business"].ref]
    assert cell.comment is not None and "总计" in cell.comment.text and "错误" in cell.comment.text
    assert cell.fill.fgColor.rgb != plain.fill.fgColor.rgb
    f = wb[spec.cover_sheet][spec.cover_field("filler").ref]
    assert f.comment is not None and "填报人" in f.comment.text


def test_caller_may_add_sheets(tmp_path):
    spec = load_format("2021")
    p = tmp_path / "fb.xlsx"
    wb = xlsxwriter.Workbook(str(p), WORKBOOK_OPTIONS)
    fmts = build_workbook(wb, spec, year=2025, unit=UNIT, identity=make_identity(spec, 2025, UNIT, kind="feedback"))
    assert fmts
    ws = wb.add_worksheet("校验问题")
    ws.write_string(0, 0, "问题")
    wb.close()
    got = _wb(p)
    assert "校验问题" in got.sheetnames
    assert verify(_identity(p)[1])


def test_blank_template_leaves_unit_to_the_filler(files):
    spec = load_format("2021")
    wf = _wb(files[("blank", "2021")])
    wv = _wb(files[("blank", "2021")], data_only=True)
    cover = wf[spec.cover_sheet]
    name = spec.cover_field("unit_name")
    assert cover[name.ref].value is None and cover[name.ref].protection.locked is False
    year = spec.cover_field("year")
    assert cover[year.ref].value == "2025" and cover[year.ref].protection.locked is not False
    t = spec.tables[1]
    assert wf[t.sheet]["A2"].value.startswith('="填报单位："&')
    assert wv[t.sheet]["A2"].value == "填报单位："
    assert any("0" in str(c.value) and "空白不等于 0" in str(c.value) for row in cover.iter_rows() for c in row)


# --------------------------------------------------------------------------------
# fast batch rendering = direct build


def _snapshot(data: bytes) -> dict:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    snap = {"props": sorted((p.name, p.value) for p in wb.custom_doc_props.props), "sheets": wb.sheetnames}
    for ws in wb.worksheets:
        snap[ws.title] = [(c.coordinate, c.value, c.protection.locked, c.fill.fgColor.rgb, c.data_type)
                          for row in ws.iter_rows() for c in row]
        snap[ws.title + "/merged"] = sorted(str(m) for m in ws.merged_cells.ranges)
        snap[ws.title + "/state"] = ws.sheet_state
    return snap


@pytest.mark.parametrize("fmt", list(YEAR))
def test_factory_render_equals_direct_build(tmp_path, fmt):
    spec = load_format(fmt)
    factory = TemplateFactory(spec, YEAR[fmt])
    unit = Unit("X&<1>", "县\"市场\"监督&管理局<测试>", "县直部门", "", "", 2)
    ident = make_identity(spec, YEAR[fmt], unit)
    fast = factory.render(unit, identity=ident)
    direct = write_template(tmp_path / "d.xlsx", spec, year=YEAR[fmt], unit=unit, identity=ident).read_bytes()
    assert _snapshot(fast) == _snapshot(direct)
    with zipfile.ZipFile(io.BytesIO(fast)) as z:
        assert z.testzip() is None
        assert not any(b"GIPRTOK" in z.read(n) for n in z.namelist())


# --------------------------------------------------------------------------------
# file names and the CLI


def test_template_filenames_are_safe():
    bad = Unit("9", 'A/B\\C:D*E?F"G<H>I|J', "", "", "", 2)
    name = template_filename(2025, bad)
    assert not re.search(r'[<>:"/\\|?*]', name) and name.startswith("2025年度") and name.endswith(".xlsx")
    assert template_filename(2025, UNIT) == "2025年度政府信息公开统计表_县教育科技局.xlsx"
    assert template_filename(2025, Unit("1", "CON", "", "", "", 2)) != "CON.xlsx"
    a, b = Unit("1", "A/B", "", "", "", 2), Unit("2", "A:B", "", "", "", 3)
    names = plan_filenames(2025, [a, b])
    assert len({n.casefold() for n in names}) == 2 and "_1.xlsx" in names[0] and "_2.xlsx" in names[1]


def test_cli_roster_writes_one_safe_file_per_unit(tmp_path):
    out = tmp_path / "模板"
    assert cli(*["template", "--year", "2025", "--roster", str(ROSTER), "--out", str(out)]) == 0
    units = load_roster(ROSTER)
    files = sorted(out.iterdir())
    assert len(files) == len(units)
    for u in units:
        p = out / template_filename(2025, u)
        assert p.is_file() and "2025" in p.name and u.name in p.name
        assert not re.search(r'[<>:"\\|?*]', p.name)
    _wb2, ident, _u, _p = _identity(out / template_filename(2025, units[3]))
    assert verify(ident) and ident["unit_code"] == units[3].code and ident["format"] == "2021"
    wb = _wb(out / template_filename(2025, units[3]))
    assert wb["封面"][load_format("2021").cover_field("unit_name").ref].value == units[3].name


def test_cli_never_overwrites_silently(tmp_path):
    out = tmp_path / "out"
    args = ["template", "--year", "2025", "--roster", str(ROSTER), "--out", str(out)]
    assert cli(*args) == 0
    target = out / template_filename(2025, load_roster(ROSTER)[0])
    before = target.read_bytes()
    (out / template_filename(2025, load_roster(ROSTER)[1])).unlink()
    assert cli(*args) == 2 and target.read_bytes() == before
    assert not (out / template_filename(2025, load_roster(ROSTER)[1])).exists()  # nothing written
    assert cli(*args + ["--skip-existing"]) == 0 and target.read_bytes() == before
    assert (out / template_filename(2025, load_roster(ROSTER)[1])).exists()
    assert cli(*args + ["--force"]) == 0 and target.read_bytes() != before
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temp files left
    # the library refuses too
    with pytest.raises(GiprError):
        write_templates(load_format("2021"), 2025, load_roster(ROSTER)[:2], out)


def test_cli_blank_template_format_override_and_password(tmp_path):
    p = tmp_path / "blank.xlsx"
    assert cli(*["template", "--year", "2025", "--format", "2019", "--password", "abc", "--out", str(p)]) == 0
    wb, ident, _u, _p = _identity(p)
    assert ident["format"] == "2019" and ident["year"] == "2025" and ident["unit_code"] == ""
    assert "其他对外管理服务事项" in [c.value for row in wb["二 主动公开"].iter_rows() for c in row]
    from openpyxl.worksheet.protection import hash_password

    assert wb["三 依申请公开"].protection.password == hash_password("abc")
    assert cli(*["template", "--year", "2025", "--out", str(p)]) == 2
    # the year picks the format
    p2 = tmp_path / "b2020.xlsx"
    assert cli(*["template", "--year", "2020", "--out", str(p2)]) == 0
    assert _identity(p2)[1]["format"] == "2019"


@pytest.mark.parametrize("args", [["--year", "1999"], ["--year", "2025", "--format", "2030"],
                                  ["--year", "2025", "--unit", "001"]])
def test_cli_usage_errors(tmp_path, capsys, args):
    assert cli(*["template", *args, "--out", str(tmp_path / "x.xlsx")]) == 2
    assert "Traceback" not in capsys.readouterr().err
    assert not (tmp_path / "x.xlsx").exists()


def test_cli_single_unit_to_file(tmp_path):
    p = tmp_path / "one.xlsx"
    assert cli(*["template", "--year", "2025", "--roster", str(ROSTER), "--unit", "004", "--out", str(p)]) == 0
    assert _identity(p)[1]["unit_code"] == "004"


def test_fill_helper_round_trip(files, tmp_path):
    """kit.helpers.fill_workbook keeps formulas, protection and identity."""
    spec = load_format("2021")
    vals = random_values(spec, random.Random(3))
    dst = fill_workbook(files[("unit", "2021")], tmp_path / "filled.xlsx", vals, {"filler": "张三"})
    wb, ident, _u, _p = _identity(dst)
    assert verify(ident) and wb[IDENTITY_SHEET].sheet_state == "veryHidden"
    c = spec.cells["t3.total.person"]
    assert str(wb[c.sheet][c.ref].value).startswith("=SUM(")
    assert wb[c.sheet].protection.sheet
    for cid, v in list(vals.items())[:20]:
        cell = spec.cells[cid]
        assert Decimal(str(wb[cell.sheet][cell.ref].value)) == Decimal(v)
