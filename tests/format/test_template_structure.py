"""A unit's template locks its workbook structure, not only its sheets: xl/workbook.xml holds
``<workbookProtection workbookPassword=".." lockStructure="1"/>`` at its place in CT_Workbook's
sequence, so Excel and WPS refuse to add, delete, move, rename, hide or unhide sheets until the
workbook is unprotected with the sheets' password.  The package stays schema-valid
(openxml-audit), a filled template still reads and checks clean, and a template sent before
the lock (no workbookProtection) is still accepted.  (LibreOffice ignores workbookProtection
in .xlsx files; its opening and recalculating of the templates is tests/format/test_template_libreoffice.py.)"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
import zipfile

import pytest
from kit.helpers import fill_workbook
from kit.workbooks import FIELDS, UNIT, filled, good_values, rezip, spec, spec_hash, template

from gipr.check import CheckContext, check_report
from gipr.check.feedback import write_feedback
from gipr.read import read_report
from gipr.template import DEFAULT_PASSWORD, TemplateFactory, write_template

# CT_Workbook's child sequence (ECMA-376 Part 1, sml.xsd): each at most once here, in this order
CT_WORKBOOK = ("fileVersion", "fileSharing", "workbookPr", "workbookProtection", "bookViews", "sheets",
               "functionGroups", "externalReferences", "definedNames", "calcPr", "oleSize", "customWorkbookViews",
               "pivotCaches", "smartTagPr", "smartTagTypes", "webPublishing", "fileRecoveryPr", "webPublishObjects",
               "extLst")
NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def _package(data: bytes | str) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(data) if isinstance(data, bytes) else data)


def _children(path_or_bytes) -> list[ET.Element]:
    with _package(path_or_bytes) as zf:
        root = ET.fromstring(zf.read("xl/workbook.xml"))
    assert root.tag == NS + "workbook"
    return list(root)


def _protection(path_or_bytes) -> dict[str, str] | None:
    """The workbookProtection attributes, after checking every child of <workbook> sits at
    its place in the schema's sequence."""
    kids = _children(path_or_bytes)
    names = [k.tag.removeprefix(NS) for k in kids]
    assert all(n in CT_WORKBOOK for n in names), names
    order = [CT_WORKBOOK.index(n) for n in names]
    assert order == sorted(order) and len(set(order)) == len(order), names
    prot = [k for k in kids if k.tag == NS + "workbookProtection"]
    return dict(prot[0].attrib) if prot else None


def _sheet_hashes(path_or_bytes) -> set[str]:
    with _package(path_or_bytes) as zf:
        xml = "".join(zf.read(n).decode() for n in zf.namelist() if n.startswith("xl/worksheets/sheet"))
    return set(re.findall(r'<sheetProtection password="([0-9A-F]{4})"', xml))


def _locked(prot: dict[str, str] | None, password: str) -> bool:
    return (prot is not None and prot.get("lockStructure") in ("1", "true")
            and prot.get("workbookPassword") == spec_hash(password)
            and prot.get("lockWindows") in (None, "0", "false"))  # windows are the clerk's own


@pytest.mark.parametrize("password", [DEFAULT_PASSWORD, "Xian-2025!"])
def test_every_template_locks_its_structure_with_the_sheets_password(tmp_path, password):
    s = spec()
    blank = write_template(tmp_path / "blank.xlsx", s, year=2025, password=password)
    personal = TemplateFactory(s, 2025, password=password).render(UNIT)  # `gipr template --roster`, mail
    for made in (blank, personal):
        prot = _protection(made)
        assert _locked(prot, password), prot
        # the same password unlocks the structure and every sheet
        assert _sheet_hashes(made) == {prot["workbookPassword"]}
        names = [k.tag.removeprefix(NS) for k in _children(made)]
        assert names.index("workbookProtection") == names.index("workbookPr") + 1
        assert names.index("workbookProtection") < names.index("bookViews") < names.index("sheets")


def test_the_feedback_workbook_is_locked_too(tmp_path):
    """The workbook sent back to a unit to correct is a template to fill in again."""
    r = read_report(filled(tmp_path, "f.xlsx"))
    fb = write_feedback(r, check_report(r, CheckContext(year=2021)), tmp_path / "fb")
    assert _locked(_protection(fb), DEFAULT_PASSWORD)


def test_no_protection_means_no_lock(tmp_path):
    p = write_template(tmp_path / "open.xlsx", spec(), year=2025, protect=False)
    assert _protection(p) is None and _sheet_hashes(p) == set()
    # a caller may keep the sheets protected and the structure open (the county's roll-up)
    q = write_template(tmp_path / "sheets.xlsx", spec(), year=2025, lock_structure=False)
    assert _protection(q) is None and _sheet_hashes(q) == {spec_hash(DEFAULT_PASSWORD)}


def test_the_locked_template_passes_the_ooxml_schema_check(tmp_path):
    audit = pytest.importorskip("openxml_audit", reason="openxml-audit is a test dependency (pip install -e .[test])")
    s = spec()
    blank = write_template(tmp_path / "blank.xlsx", s, year=2025)
    personal = tmp_path / "personal.xlsx"
    personal.write_bytes(TemplateFactory(s, 2025).render(UNIT))
    for p in (blank, personal):
        result = audit.OpenXmlValidator().validate(str(p))
        assert result.is_valid and not result.errors, (p.name, [str(e) for e in result.errors[:5]])
    # the check would see the element out of place (after bookViews instead of before it)
    moved = tmp_path / "moved.xlsx"
    moved.write_bytes(rezip(personal.read_bytes(), transform=lambda n, b: re.sub(
        rb"(<workbookProtection[^>]*/>)(<bookViews>.*?</bookViews>)", rb"\2\1", b) if n == "xl/workbook.xml" else b))
    assert [k.tag.removeprefix(NS) for k in _children(moved)][1:4] == ["workbookPr", "bookViews", "workbookProtection"]
    result = audit.OpenXmlValidator().validate(str(moved))
    assert not result.is_valid and any("workbookProtection" in str(e) for e in result.errors)


def test_a_filled_template_keeps_the_lock_and_reads_back_clean(tmp_path):
    p = filled(tmp_path, "filled.xlsx")  # typed in and saved (openpyxl, like a spreadsheet app)
    assert _locked(_protection(p), DEFAULT_PASSWORD)
    r = read_report(p)
    values = good_values()
    assert {cid: r.number(cid) for cid in values} == values
    assert r.unit_code == UNIT.code and r.fields["filler"] == FIELDS["filler"]
    assert check_report(r, CheckContext(year=2021)) == []


def test_a_template_sent_before_the_lock_is_still_accepted(tmp_path):
    """Templates already with the units have no workbookProtection: the lock is not part of a
    template's identity (format, format digest, signature), so they read and check as before."""
    old = fill_workbook(template(tmp_path / "sent.xlsx", lock_structure=False), tmp_path / "old.xlsx", good_values(),
                        FIELDS, spec=spec())
    new = filled(tmp_path, "new.xlsx")
    assert _protection(old) is None and _locked(_protection(new), DEFAULT_PASSWORD)
    r_old, r_new = read_report(old), read_report(new)
    assert check_report(r_old, CheckContext(year=2021)) == [] == check_report(r_new, CheckContext(year=2021))
    assert r_old.identity["format_digest"] == r_new.identity["format_digest"] == spec().digest
    assert {c: r_old.number(c) for c in good_values()} == {c: r_new.number(c) for c in good_values()}

