"""The reader on real workbooks: gipr templates filled by a unit (openpyxl), the same files
re-saved by LibreOffice as .xlsx, .xls and .ods, and layouts a unit broke (rows inserted,
sheets renamed and reordered, a table moved, labels edited, a row deleted, a table
copied)."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from kit.workbooks import (
    FIELDS,
    UNIT,
    codes,
    delete_row,
    filled,
    good_values,
    insert_rows,
    numbers,
    only,
    spec,
    template,
)

from gipr.check import check_report
from gipr.errors import ReadError
from gipr.read import read_report
from gipr.stamp import make_identity, verify
from gipr.template import WORKBOOK_OPTIONS, build_workbook

T3 = "三 依申请公开"
T4 = "四 复议诉讼"


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> tuple[Path, dict]:
    tmp = tmp_path_factory.mktemp("base")
    vals = good_values()
    return filled(tmp, "base.xlsx", vals), vals


@pytest.fixture(scope="module")
def base_report(base):
    return read_report(base[0])


def test_filled_template_reads_every_cell_through_the_spec_map(base, base_report):
    _path, vals = base
    r = base_report
    s = spec()
    assert r.spec.id == "2021" and r.kind == "unit"
    for c in s.inputs:
        assert r.values[c.id].state == "number", c.id
        assert r.values[c.id].number == vals[c.id], c.id
        assert r.locations[c.id] == c.address
    # openpyxl saved the totals' formulas without cached results: not blanks, just uncomputed
    for c in s.totals:
        assert r.values[c.id].state == "blank" and r.values[c.id].code == "formula"
    assert r.fields["unit_name"] == UNIT.name and r.fields["year"] == "2021"
    assert r.fields["filler"] == FIELDS["filler"] and r.fields["phone"] == FIELDS["phone"]
    assert r.identity["unit_code"] == UNIT.code and verify(r.identity)
    assert r.findings == []
    assert len(r.sha256) == 64
    assert check_report(r) == []


def test_template_written_with_values_has_cached_totals_equal_to_the_recomputed_ones(tmp_path):
    vals = good_values(seed=5)
    p = template(tmp_path / "t.xlsx", values=vals)
    r = read_report(p)
    from gipr.check import recompute

    again = recompute(r)
    for c in spec().totals:
        assert r.values[c.id].number == again[c.id], c.id
    assert check_report(r) == [f for f in check_report(r) if f.code.startswith("field.")]


def test_bytes_source_and_display_name(base):
    r = read_report(base[0].read_bytes(), name="单位报送.xlsx")
    assert r.file == "单位报送.xlsx"
    assert numbers(r) == numbers(read_report(base[0]))


def test_2019_format_is_read_with_its_own_spec(tmp_path):
    vals = good_values("2019", seed=3)
    p = filled(tmp_path, "y2019.xlsx", vals, fid="2019", year=2020)
    r = read_report(p)
    assert r.spec.id == "2019" and r.year == 2020
    assert all(r.values[c.id].number == vals[c.id] for c in spec("2019").inputs)
    # with another format expected, the file is still read with its own, and that is said
    r2 = read_report(p, spec=spec("2021"))
    assert r2.spec.id == "2019"
    assert "identity.format_mismatch" in codes(r2.findings)


def test_roll_up_identity(tmp_path):
    s = spec()
    units = [{"code": "U001", "name": "县教育科技局"}, {"code": "U002", "name": "县财政局"}]
    ident = make_identity(s, 2021, None, kind="rollup", units=units)
    p = tmp_path / "rollup.xlsx"
    wb = xlsxwriter.Workbook(str(p), WORKBOOK_OPTIONS)
    build_workbook(wb, s, year=2021, unit=None, values=good_values(), identity=ident, units=units)
    wb.close()
    r = read_report(p)
    assert r.kind == "rollup"
    assert [u["code"] for u in r.units] == ["U001", "U002"]
    assert verify(r.identity)


def test_format_found_by_labels_when_the_identity_is_gone(tmp_path):
    def strip_identity(wb):
        del wb["_gipr"]
        from openpyxl.packaging.custom import CustomPropertyList

        wb.custom_doc_props = CustomPropertyList()

    for fid in ("2021", "2019"):
        vals = good_values(fid, seed=7)
        p = filled(tmp_path, f"noid{fid}.xlsx", vals, fid=fid, year=2021 if fid == "2021" else 2020,
                   edit=strip_identity)
        r = read_report(p)
        assert r.identity == {}
        assert r.spec.id == fid
        assert all(r.values[c.id].number == vals[c.id] for c in spec(fid).inputs)
        assert "identity.missing" in codes(check_report(r))


def test_identity_from_document_properties_when_the_sheet_is_gone(tmp_path):
    p = filled(tmp_path, "props.xlsx", edit=lambda wb: wb.remove(wb["_gipr"]))
    r = read_report(p)
    assert r.identity["unit_code"] == UNIT.code
    assert verify(r.identity)


# --- layouts a unit changed -------------------------------------------------------------


def _read_edit(tmp_path, name, edit):
    vals = good_values()
    return read_report(filled(tmp_path, name, vals, edit=edit)), vals


def _assert_all_inputs(r, vals, skip=()):
    for c in spec().inputs:
        if c.id in skip:
            continue
        assert r.values[c.id].state == "number" and r.values[c.id].number == vals[c.id], c.id


def test_rows_inserted_inside_a_table_are_skipped_and_reported(tmp_path):
    def edit(wb):
        insert_rows(wb[T3], 12, 2)
        wb[T3]["D12"] = "（插入的说明行）"
        wb[T3]["D13"] = 99

    r, vals = _read_edit(tmp_path, "inserted.xlsx", edit)
    _assert_all_inputs(r, vals)
    f = only(r.findings, "layout.rows_inserted")
    assert len(f) == 1 and "第 12、13 行" in f[0].message and "表三" in f[0].message
    # cells below the insertion are read two rows lower
    c = spec().cells["t3.deny4.person"]
    assert r.locations[c.id] == f"{T3}!D{c.rowx + 1 + 2}"
    assert r.locations["t3.new.person"] == spec().cells["t3.new.person"].address
    assert not [x for x in check_report(r) if x.severity == "error"]


def test_sheet_renamed_and_moved_to_the_end(tmp_path):
    def edit(wb):
        ws = wb[T3]
        ws.title = "表三"
        wb.move_sheet(ws, offset=len(wb.sheetnames))

    r, vals = _read_edit(tmp_path, "renamed.xlsx", edit)
    _assert_all_inputs(r, vals)
    f = only(r.findings, "layout.sheet_renamed")
    assert len(f) == 1 and "“表三”" in f[0].message and f"“{T3}”" in f[0].message
    assert r.locations["t3.new.person"] == "表三!D6"


def test_table_moved_down_and_right(tmp_path):
    r, vals = _read_edit(tmp_path, "moved.xlsx", lambda wb: wb[T4].move_range("A1:O6", rows=3, cols=2))
    _assert_all_inputs(r, vals)
    f = only(r.findings, "layout.shifted")
    assert len(f) == 1 and "下移 3 行" in f[0].message and "右移 2 列" in f[0].message
    assert r.locations["t4.cases.review_upheld"] == f"{T4}!C9"


def test_label_drift_is_tolerated_and_reported(tmp_path):
    def edit(wb):
        wb[T3]["E5"] = "商业 企业"  # stray space
        wb[T3]["C10"] = "1、属于国家秘密"  # punctuation
        wb[T4]["A3"] = "行政法复议"  # typo

    r, vals = _read_edit(tmp_path, "drift.xlsx", edit)
    _assert_all_inputs(r, vals)
    drift = {f.ref: f for f in only(r.findings, "label.drift")}
    changed = {f.ref: f for f in only(r.findings, "label.changed")}
    assert set(drift) == {f"{T3}!E5", f"{T3}!C10"}
    assert set(changed) == {f"{T4}!A3"}
    assert "行政法复议" in changed[f"{T4}!A3"].message and "“行政复议”" in changed[f"{T4}!A3"].message
    assert drift[f"{T3}!E5"].severity == "info" and changed[f"{T4}!A3"].severity == "warning"
    assert not only(r.findings, "layout.shifted")


def test_cover_label_changed(tmp_path):
    r = read_report(filled(tmp_path, "coverlabel.xlsx", edit=lambda wb: wb["封面"].__setitem__("A6", "填表人")))
    f = only(r.findings, "label.changed")
    assert len(f) == 1 and f[0].ref == "封面!A6" and "填表人" in f[0].message and "“填报人”" in f[0].message
    assert r.fields["filler"] == FIELDS["filler"]


def test_a_label_overwritten_in_place_keeps_its_row(tmp_path):
    r, vals = _read_edit(tmp_path, "overwritten.xlsx", lambda wb: wb[T3].__setitem__("C10", "其他内容"))
    _assert_all_inputs(r, vals)
    f = only(r.findings, "label.changed")
    assert len(f) == 1 and f[0].ref == f"{T3}!C10" and "1.属于国家秘密" in f[0].message


def test_a_deleted_row_is_an_error_and_nothing_else_is_read_wrongly(tmp_path):
    s = spec()
    row = s.cells["t3.deny3.person"].rowx + 1
    r, vals = _read_edit(tmp_path, "deleted.xlsx", lambda wb: delete_row(wb[T3], row))
    missing = [cid for cid in s.tables[1].cells if s.cells[cid].row_id == "deny3"]
    for cid in missing:
        assert cid not in r.values
    _assert_all_inputs(r, vals, skip=missing)
    f = only(r.findings, "layout.row_missing")
    assert len(f) == 1 and f[0].severity == "error" and "3.危及“三安全一稳定”" in f[0].message
    # the rules that need the missing row are not evaluated: no invented sum errors
    found = check_report(r)
    assert not [x for x in found if x.code.startswith("rule.")]


def test_a_table_copied_to_two_sheets_is_ambiguous_and_not_read(tmp_path):
    def edit(wb):
        ws = wb[T3]
        wb.copy_worksheet(ws).title = "三（2）"
        ws.title = "旧表"

    r, vals = _read_edit(tmp_path, "ambiguous.xlsx", edit)
    f = only(r.findings, "layout.ambiguous")
    assert len(f) == 1 and f[0].severity == "error" and "旧表" in f[0].message and "三（2）" in f[0].message
    assert not [cid for cid in r.values if cid.startswith("t3.")]
    assert r.values["t2.regulation.issued"].number == vals["t2.regulation.issued"]


def test_a_copy_beside_the_official_sheet_does_not_matter(tmp_path):
    r, vals = _read_edit(tmp_path, "copy.xlsx", lambda wb: wb.copy_worksheet(wb[T3]))
    _assert_all_inputs(r, vals)
    assert r.findings == []


def test_a_workbook_without_the_tables_is_not_a_report(tmp_path):
    p = tmp_path / "other.xlsx"
    wb = openpyxl.Workbook()
    wb.active["A1"] = "会议签到表"
    wb.save(p)
    with pytest.raises(ReadError) as e:
        read_report(p)
    assert e.value.code == "file.not_report" and "other.xlsx" in str(e.value)


def test_cover_in_one_cell_and_moved(tmp_path):
    def edit(wb):
        ws = wb["封面"]
        ws["A3"] = None
        ws["B3"] = None
        ws["A12"] = "填报单位：县教育科技局（盖章）"

    r = read_report(filled(tmp_path, "cover.xlsx", edit=edit))
    assert r.fields["unit_name"] == "县教育科技局（盖章）"
    assert r.locations["unit_name"] == "封面!A12"


# --- LibreOffice: the same files re-saved as .xlsx, .xls and .ods -----------------------


@pytest.fixture(scope="module")
def lo_files(tmp_path_factory, soffice):
    from kit.lo import lo_convert

    tmp = tmp_path_factory.mktemp("lo")
    good = filled(tmp, "good.xlsx", good_values(seed=11))
    vals = good_values(seed=12)
    vals.update({"t3.new.person": "12件", "t3.carry.person": "/", "t3.open.business": None, "t3.total.person": 999,
                 "t2.fee.fee_amount": "１２.５", "t4.cases.review_upheld": Decimal("2.5")})
    bad = filled(tmp, "bad.xlsx", vals)
    moved = filled(tmp, "moved.xlsx", good_values(seed=13), edit=lambda wb: insert_rows(wb[T3], 20, 1))
    srcs = [good, bad, moved]
    out = {"orig": srcs}
    for ext in ("xlsx", "xls", "ods"):
        out[ext] = lo_convert(srcs, ext, tmp / ext)
    # an .xls renamed .xlsx, as units do
    renamed = tmp / "renamed_xls.xlsx"
    shutil.copyfile(out["xls"][0], renamed)
    out["renamed"] = [renamed]
    return out


def _summary(r):
    return numbers(r), sorted(codes(check_report(r))), r.identity.get("unit_code"), r.fields.get("unit_name")


@pytest.mark.libreoffice
@pytest.mark.parametrize("ext", ["xlsx", "xls", "ods"])
def test_libreoffice_resaved_files_read_identically(lo_files, ext):
    for orig, conv in zip(lo_files["orig"], lo_files[ext]):
        a, b = read_report(orig), read_report(conv)
        na, ca, ua, fa = _summary(a)
        nb, cb, ub, fb = _summary(b)
        assert nb == na, conv.name
        assert ub == ua == UNIT.code and fb == fa
        assert verify(b.identity)
        # LibreOffice recalculated the totals: a total whose parts hold text now differs from
        # our sum (LibreOffice's SUM skips text), everything else is the same
        assert set(cb) - {"total.stale"} == set(ca) - {"total.stale"}, conv.name


@pytest.mark.libreoffice
def test_libreoffice_recalculated_totals_equal_the_recomputed_ones(lo_files):
    for ext in ("xlsx", "xls", "ods"):
        r = read_report(lo_files[ext][0])
        assert not only(check_report(r), "total.stale")
        assert all(r.values[c.id].state == "number" for c in spec().totals)


@pytest.mark.libreoffice
def test_bad_values_survive_every_format(lo_files):
    for ext in ("orig", "xlsx", "xls", "ods"):
        found = check_report(read_report(lo_files[ext][1]))
        by = {(f.code, f.cell) for f in found}
        assert ("cell.na", "t3.carry.person") in by
        assert ("cell.blank", "t3.open.business") in by
        assert ("value.not_integer", "t4.cases.review_upheld") in by
        assert ("value.converted", "t3.new.person") in by
        assert ("value.converted", "t2.fee.fee_amount") in by
        stale = [f for f in found if f.code == "total.stale" and f.cell == "t3.total.person"]
        assert stale and "999" in stale[0].message


@pytest.mark.libreoffice
def test_xls_renamed_xlsx_is_read_as_xls(lo_files):
    a = read_report(lo_files["orig"][0])
    b = read_report(lo_files["renamed"][0])
    assert numbers(b) == numbers(a)


@pytest.mark.libreoffice
def test_inserted_row_found_in_every_format(lo_files):
    for ext in ("orig", "xlsx", "xls", "ods"):
        r = read_report(lo_files[ext][2])
        f = only(r.findings, "layout.rows_inserted")
        assert len(f) == 1 and "第 20 行" in f[0].message, ext
        assert len([c for c in spec().inputs if c.id in r.values]) == len(spec().inputs)


@pytest.mark.libreoffice
def test_password_protected_xls_is_reported_as_encrypted(lo_files, tmp_path):
    """An .xls with "password to open" carries a FILEPASS record in its workbook globals."""
    import olefile

    src = lo_files["xls"][0]
    dst = tmp_path / "加密.xls"
    shutil.copyfile(src, dst)
    with olefile.OleFileIO(str(dst), write_mode=True) as ole:
        biff = bytearray(ole.openstream("Workbook").read())
        import struct

        _t, ln = struct.unpack_from("<HH", biff, 0)
        struct.pack_into("<H", biff, 4 + ln, 0x002F)  # the record after BOF becomes FILEPASS
        ole.write_stream("Workbook", bytes(biff))
    with pytest.raises(ReadError) as e:
        read_report(dst)
    assert e.value.code == "file.encrypted" and "加密.xls" in str(e.value)


@pytest.mark.libreoffice
def test_ods_row_repeated_a_million_times_is_refused(lo_files):
    import re

    from kit.workbooks import member, rezip

    data = lo_files["ods"][0].read_bytes()
    content = member(data, "content.xml")
    start = content.index('table:name="三 依申请公开"'.encode())
    m = re.compile(rb"<table:table-row( [^>]*)?>").search(content, start)
    row = m.group(0)
    assert b"repeated" not in row
    huge = content[:m.start()] + row[:-1] + b' table:number-rows-repeated="2000000">' + content[m.end():]
    with pytest.raises(ReadError) as e:
        read_report(rezip(data, replace={"content.xml": huge}), name="重复行.ods")
    assert e.value.code == "file.sheet_too_large" and T3 in str(e.value)
