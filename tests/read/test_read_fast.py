"""The reader's fast paths read exactly what the general paths read, and never skip a
safety check:

* calamine gets the vetted, already inflated XML parts as an uncompressed zip: it must see
  the same cells as in the file itself (templates, files filled with openpyxl, files
  re-saved by LibreOffice, with a picture added);
* the quick bound of a worksheet's extent is only taken for cells written the way every
  writer writes them; any other r attribute (a second one, after a quote, a tab, with a
  space before "=") goes to the XML parser, which refuses what it cannot place;
* the exactly placed table's whole-number fast path gives the Value parse_value gives;
"""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from kit.workbooks import filled, good_values, member, rezip, sheet_part, spec, template
from python_calamine import CalamineWorkbook

from gipr.errors import ReadError
from gipr.ooxml.container import _xlsx_extent
from gipr.ooxml.container import open_container as _open_container
from gipr.read import read_report
from gipr.values import parse_value

T3 = "三 依申请公开"


def _grids(data: bytes) -> dict[str, list[list]]:
    wb = CalamineWorkbook.from_object(io.BytesIO(data))
    return {n: wb.get_sheet_by_name(n).to_python(skip_empty_area=False) for n in wb.sheet_names}


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("fast")
    vals = good_values(seed=31)
    vals.update({"t3.new.person": "12件", "t3.carry.person": "/", "t3.open.business": None,
                 "t2.fee.fee_amount": Decimal("12.5"), "t4.cases.review_upheld": 12345})
    out = {
        "template": template(tmp / "tpl.xlsx", values=good_values(seed=32)),
        "openpyxl": filled(tmp, "filled.xlsx", vals),
    }
    data = out["openpyxl"].read_bytes()
    png = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                        "1f15c4890000000d49444154789c6360000002000185d3e9b30000000049454e44ae426082")
    out["picture"] = tmp / "picture.xlsx"
    out["picture"].write_bytes(rezip(data, add=[("xl/media/image1.png", png)]))
    return out


@pytest.mark.parametrize("kind", ["template", "openpyxl", "picture"])
def test_calamine_reads_the_repacked_parts_like_the_file(files, kind):
    data = files[kind].read_bytes()
    cont = _open_container(data, kind)
    assert cont.data != data and cont.data[:4] == b"PK\x03\x04"
    assert _grids(cont.data) == _grids(data)


@pytest.mark.libreoffice
def test_calamine_reads_the_repacked_parts_like_a_libreoffice_file(files, tmp_path, soffice):
    from kit.lo import lo_convert

    (saved,) = lo_convert([files["openpyxl"]], "xlsx", tmp_path / "lo")
    data = saved.read_bytes()
    assert _grids(_open_container(data, "lo").data) == _grids(data)


STRAY = {
    "after a quote": b'<c r="A40"r="O1048576"><v>1</v></c>',
    "second attribute": b'<c r="A40" s="1" r="O1048576"><v>1</v></c>',
    "after a tab": b'<c r="A40"\tr="O1048576"><v>1</v></c>',
    "space before =": b'<c r="A40" r ="O1048576"><v>1</v></c>',
    "single quotes": b"<c r='O1048576'><v>1</v></c>",
    "eleven digits": b'<c r="A10485760000"><v>1</v></c>',
    "prefixed": b'<x:c xmlns:x="urn:x" r="O1048576"><v>1</v></x:c>',
}


@pytest.fixture(scope="module")
def good(tmp_path_factory) -> bytes:
    return template(tmp_path_factory.mktemp("good") / "good.xlsx", values=good_values(seed=33)).read_bytes()


def test_the_quick_extent_bound_holds_for_what_writers_write(good):
    part = sheet_part(good, T3)
    assert _xlsx_extent(member(good, part)) == (999, 702)


@pytest.mark.parametrize("case", list(STRAY))
def test_a_far_cell_written_any_other_way_is_never_read(good, case):
    part = sheet_part(good, T3)
    xml = member(good, part).replace(b"</sheetData>", b'<row r="40">' + STRAY[case] + b"</row></sheetData>")
    ext = _xlsx_extent(xml)
    assert ext != (999, 702)  # not the quick bound: the parser placed it, or refused it
    assert ext is None or ext[0] >= 1_048_576 or ext[1] >= 15
    with pytest.raises(ReadError) as e:
        read_report(rezip(good, replace={part: xml}), name="远处.xlsx")
    assert e.value.code in ("file.corrupt", "file.sheet_too_large")


def test_the_whole_number_fast_path_gives_what_parse_value_gives(files):
    r = read_report(files["openpyxl"])
    grids = _grids(files["openpyxl"].read_bytes())
    s = spec()
    seen_fast = 0
    for cid, c in s.cells.items():
        raw = grids[c.sheet][c.rowx][c.colx] if c.rowx < len(grids[c.sheet]) else ""
        got = r.values[cid]
        if raw in ("", None):
            assert got.state == "blank", cid
            continue
        want = parse_value(raw, c.type, c.unit)
        assert (got.state, got.number, got.note, got.code) == (want.state, want.number, want.note, want.code), cid
        assert type(got.number) is type(want.number), cid
        seen_fast += isinstance(raw, float) and c.type == "count" and 0 <= raw < 10000 and raw.is_integer()
    assert seen_fast > 50
    assert r.values["t4.cases.review_upheld"].number == 12345
    assert r.values["t2.fee.fee_amount"].number == Decimal("12.5")
    assert r.values["t3.carry.person"].state == "na"
