"""The list of checks (gipr.check.checks): stable names, the sources each applies to, one
runner; a document gets no cover or identity check by construction, a chain check runs only
with last year's report.  On real files: a filled template and a real published page text."""

from __future__ import annotations

from kit.paths import REALDOCS
from kit.workbooks import FIELDS, UNIT, good_values, spec

from gipr.check import CheckContext, check_report
from gipr.check.checks import CHAIN, CHECKS, DOCUMENT, WORKBOOK, check_names, run_checks, subject
from gipr.published import import_document
from gipr.read import read_report
from gipr.template import write_template

REAL = REALDOCS


def test_names_and_sources_are_stable():
    assert check_names() == ["reading", "values", "previous_year", "table_rules", "carry", "in_force", "narrative",
                             "against", "cover", "identity", "same_tables", "repeated_text"]
    by = {c.name: c.sources for c in CHECKS}
    assert by["cover"] == {WORKBOOK} and by["identity"] == {WORKBOOK}
    assert by["narrative"] == {DOCUMENT} and by["against"] == {DOCUMENT}
    assert all(CHAIN in by[n] for n in ("previous_year", "carry", "in_force", "same_tables", "repeated_text"))
    assert DOCUMENT not in set().union(*(c.sources for c in CHECKS if c.name in ("cover", "identity")))


def test_a_document_gets_no_cover_or_identity_check(tmp_path):
    imp = import_document(REAL / "pingtan-czj-2021" / "page.txt")
    rep = imp.report
    rep.fields = {}  # no issuer, no year: a workbook would get 封面 errors; a document has no cover
    s = subject(rep, CheckContext(year=2021))
    ran = [c.name for c in CHECKS if c.applies(s)]
    assert "cover" not in ran and "identity" not in ran and "carry" not in ran and "narrative" in ran
    codes = {f.code for f in run_checks(rep, CheckContext(year=2021))}
    assert not {c for c in codes if c.startswith(("field.", "identity."))}


def test_check_report_is_the_runner_and_a_workbook_gets_its_cover_and_chain(tmp_path):
    p = write_template(tmp_path / "u.xlsx", spec(), year=2025, unit=UNIT, values=good_values(),
                       fields={**FIELDS, "filler": ""})
    rep = read_report(p)
    assert check_report(rep, CheckContext(year=2025)) == run_checks(rep, CheckContext(year=2025))
    assert [f.code for f in check_report(rep, CheckContext(year=2025))] == ["field.missing"]
    last = read_report(write_template(tmp_path / "last.xlsx", spec(), year=2024, unit=UNIT, values=good_values(),
                                      fields=FIELDS))
    s = subject(rep, CheckContext(year=2025, previous=last))
    assert {"carry", "in_force", "previous_year"} <= {c.name for c in CHECKS if c.applies(s)}
    assert "same_tables" not in {c.name for c in CHECKS if c.applies(s)}  # a document's chain check
