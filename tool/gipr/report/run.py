"""``gipr report``: from a checked source to the annual report document(s).

Sources:

* a unit's workbook or a roll-up (汇总表): read (:func:`gipr.read.read_report_limited`), checked
  (:func:`gipr.check.check_report`), totals recomputed from the inputs
  (:func:`gipr.rules.recompute`); a source with errors is refused unless ``include_errors``,
  and then the document is marked 草稿（数据有误）;
* with ``unit``, one unit of a gipr roll-up (its 各单位明细 row);
* a workspace: the merge of the units' current submissions (:mod:`gipr.merge`), one document
  per included unit plus the county's.

Last year (``previous``): a roll-up, a unit's workbook or last year's workspace, read by
:func:`gipr.merge.load_previous_year` (the owner of the year-over-year comparison's data).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .. import messages
from ..catalogue.access import say
from ..check import CheckContext, check_report
from ..collect.workspace import Workspace
from ..errors import GiprError
from ..fsio import describe_os_error, safe_filename
from ..merge import (
    INCLUDED_ERRORS,
    complete,
    entries_from_workspace,
    entry_values,
    input_ids,
    load_previous_year,
    plan_merge,
)
from ..merge.entries import Entry, strip_rollup_suffix
from ..merge.review import COUNTY, breaks
from ..merge.years import compare_years
from ..read import read_report_limited
from ..read.units import read_rollup_limited
from ..roster import normalize_name
from ..rules import recompute
from ..spec import Spec, load_format
from .document import ReportData, check_template, write_report
from .pdf import convert_to_pdf

__all__ = [
    "Job",
    "data_from_file",
    "data_from_workspace",
    "jobs_json",
    "load_previous_values",
    "workspace_jobs",
    "write_jobs",
]


@dataclass
class Job:
    """One document to write (and its PDF)."""

    data: ReportData
    out: Path
    who: str  # for messages: the unit's or the county's name
    pdf: Path | None = None


def _rollup_county(rep) -> str:
    name = (rep.identity.get("county") or "").strip() or strip_rollup_suffix(rep.unit_name or "")
    return "" if name == say("report.run.rollup_county") else name


def load_previous_values(path: str | Path):
    return load_previous_year(path)


def _previous_for(prev, spec_of_prev: Spec, *, kind: str, code: str, name: str, path) -> tuple:
    if kind == "rollup":
        return spec_of_prev, prev.county
    hit = prev.unit(code, name)
    if hit is None:
        raise GiprError(messages.say("report.previous_none", path=path, who=name or code), "report.previous_none")
    return spec_of_prev, hit[2]


def data_from_file(path: str | Path, *, include_errors: bool = False, previous: str | Path | None = None,
                   unit: str | None = None) -> ReportData:
    """One document's data from a unit's workbook or a roll-up (or one unit of a roll-up)."""

    path = Path(path)
    rows: list = []
    if unit is not None:  # a roll-up's unit: its per-unit sheet too, in the same worker read
        rep, rows = read_rollup_limited(path)  # an untrusted file: in a worker, with the reader's limits
    else:
        rep = read_report_limited(path)  # an untrusted file: in a worker, with the reader's limits
    findings = check_report(rep, CheckContext(year=rep.year))
    errors = [f for f in findings if f.severity == "error"]
    if unit is not None:
        # one unit of a roll-up: the roll-up's rule errors come from units merged with errors, which
        # are marked in it (checked per unit below); other errors (tampering, unreadable cells) count
        errors = [f for f in errors if not f.code.startswith("rule.")]
    if errors and not include_errors:
        raise GiprError(messages.say("report.source_errors", file=path, errors=len(errors), first=errors[0].message),
                        "report.source_errors")
    spec = rep.spec
    year = rep.year or 0
    if unit is not None:
        return _unit_of_rollup(path, rep, rows, unit, errors=len(errors), previous=previous,
                               include_errors=include_errors)
    values = recompute(rep)
    name = _rollup_county(rep) if rep.kind == "rollup" else rep.unit_name
    prev = None
    if previous is not None:
        p = load_previous_values(previous)
        prev = _previous_for(p, load_format(p.format), kind=rep.kind, code=rep.unit_code, name=rep.unit_name,
                             path=previous)
    return ReportData(spec, values, name or messages.say("cli.no_unit"), year, filler=rep.fields.get("filler", ""),
                      phone=rep.fields.get("phone", ""), errors=len(errors), previous=prev, kind=rep.kind)


def _unit_of_rollup(path: Path, rep, rows: list, unit: str, *, errors: int, previous,
                    include_errors: bool) -> ReportData:
    spec = rep.spec
    key = normalize_name(unit)
    hit = next((r for r in rows if r[0] and r[0] == unit.strip()), None) or \
        next((r for r in rows if normalize_name(r[1]) == key), None)
    if hit is None:
        raise GiprError(messages.say("report.unit_unknown", unit=unit), "report.unit_unknown")
    code, name, vals = hit
    # a unit the merge included although it had errors (merge --include-errors)
    marked = next((u for u in rep.units if u.get("status") == INCLUDED_ERRORS
                   and ((code and u.get("code") == code) or (not code and u.get("name") == name))), None)
    if marked is not None:
        if not include_errors:
            raise GiprError(messages.say("report.unit_marked", file=path, unit=name), "report.source_errors")
        errors = max(errors, 1)
    values = complete(spec, {cid: vals.get(cid) for cid in input_ids(spec)}, blank_as_zero=False)
    prev = None
    if previous is not None:
        p = load_previous_values(previous)
        prev = _previous_for(p, load_format(p.format), kind="unit", code=code, name=name, path=previous)
    return ReportData(spec, values, name, rep.year or 0, errors=errors, previous=prev, kind="unit")


def data_from_workspace(workspace: str | Path, *, include_errors: bool = False, previous: str | Path | None = None,
                        jobs: int | None = None, left_out: list | None = None
                        ) -> tuple[ReportData, list[tuple[Entry, ReportData]]]:
    """The county's data and each included unit's (entry, data), from the merge of the workspace.

    ``left_out`` (a list) receives the merge entries that get no document: units with errors
    (without ``include_errors``), unreadable submissions, units that sent nothing."""

    ws = Workspace.open(workspace)
    try:
        spec = load_format(ws.format)
        year, county, roster = ws.year, ws.county, ws.roster
        entries = entries_from_workspace(ws, spec=spec, jobs=jobs)
    finally:
        ws.close()
    result = plan_merge(spec, int(year), county or "", entries, roster, include_errors=include_errors,
                        sources=[str(workspace)])
    prev = load_previous_values(previous) if previous is not None else None
    pspec = load_format(prev.format) if prev is not None else None
    marked = result.of_status(INCLUDED_ERRORS)
    if left_out is not None:
        left_out.extend(e for e in result.entries if not e.included)
    found: dict[str, list[str]] = {}
    if prev is not None:  # the carry-over breaks (需核对), as the merge finds them (merge.review)
        found = breaks(compare_years(spec, result, prev))
    county_data = ReportData(spec, dict(result.values), result.county or messages.say("report.rollup_who"), result.year,
                             errors=sum(e.errors for e in marked), kind="rollup",
                             previous=(pspec, prev.county) if prev is not None and pspec is not None else None,
                             review=found.get(COUNTY, []) if prev is not None else [])
    units = []
    for e in result.included:
        if e.kind == "rollup":
            continue  # a lower roll-up in the ledger: its own county writes its documents
        last = prev.unit(e.code, e.name) if prev is not None else None
        d = ReportData(spec, entry_values(spec, e), e.name or e.code, result.year,
                       errors=e.errors if e.status == INCLUDED_ERRORS else 0, kind="unit",
                       previous=(pspec, last[2]) if last is not None and pspec is not None else None, review=found.get(e.code, []),
                       county=result.county or "")
        units.append((e, d))
    return county_data, units


def workspace_jobs(folder: Path, county: ReportData, units: Sequence[tuple[Entry, ReportData]], *,
                   unit: str | None = None, pdf: bool = False) -> list[Job]:
    """The output files of a workspace run: the county's document and one per unit."""

    jobs: list[Job] = []
    if unit is None:
        name = safe_filename(messages.say("report.county_file", county=county.name, year=county.year))
        jobs.append(Job(county, folder / name, county.name))
    seen: dict[str, int] = {}
    for _, d in units:
        seen[normalize_name(d.name)] = seen.get(normalize_name(d.name), 0) + 1
    for e, d in units:
        code = getattr(e, "code", "")
        if unit is not None and unit.strip() != code and normalize_name(unit) != normalize_name(d.name):
            continue
        label = d.name if seen[normalize_name(d.name)] == 1 or not code else f"{d.name}（{code}）"  # two units, one name
        name = safe_filename(messages.say("report.unit_file", year=d.year, unit=label))
        jobs.append(Job(d, folder / name, label))
    if unit is not None and not jobs:
        raise GiprError(messages.say("report.unit_unknown", unit=unit), "report.unit_unknown")
    if pdf:
        for j in jobs:
            j.pdf = j.out.with_suffix(".pdf")
    return jobs


def check_outputs(jobs: Sequence[Job], force: bool) -> None:
    """Refuse before writing anything: a wrong suffix, or an existing file without --force."""
    for j in jobs:
        parent = j.out.parent
        if parent.exists() and not parent.is_dir():
            raise GiprError(messages.say("report.not_folder", path=parent), "output.not_folder")
        if j.out.suffix.lower() != ".docx":
            raise GiprError(messages.say("report.out_suffix", path=j.out), "report.out_suffix")
        for p in (j.out, j.pdf):
            if p is None:
                continue
            if p.exists() and p.is_dir():
                raise GiprError(messages.say("report.is_dir", path=p), "output.is_dir")
            if p.exists() and not force:
                raise GiprError(messages.say("report.skipped_exists", path=p), "output.exists")


def write_jobs(jobs: Sequence[Job], *, template: str | Path | None = None, force: bool = False) -> list[Path]:
    """Write every document, then convert those that want a PDF with one LibreOffice run.

    The PDF step raises GiprError (LibreOffice missing or failing) after the .docx files exist."""

    if template is not None:
        check_template(template)
    check_outputs(jobs, force)
    written = []
    for j in jobs:
        try:
            written.append(write_report(j.out, j.data, template=template, overwrite=force))
        except OSError as e:  # the folder cannot be made, or no temporary file beside the output
            raise GiprError(messages.say("report.write_failed", path=j.out, detail=describe_os_error(e)),
                            "output.write_failed") from None
    pairs = [(j.out, j.pdf) for j in jobs if j.pdf is not None]
    if pairs:
        written += convert_to_pdf(pairs, overwrite=force)
    return written


def jobs_json(jobs: Sequence[Job], pdf_error: BaseException | None = None) -> dict:
    """What ``gipr report --json`` prints."""
    return {"documents": [{"who": j.who, "docx": str(j.out), "pdf": str(j.pdf) if j.pdf and not pdf_error else None,
                           "draft": j.data.draft, "errors": j.data.errors, "review": j.data.review,
                           "kind": j.data.kind} for j in jobs],
            "pdf_error": str(pdf_error) if pdf_error else None}
