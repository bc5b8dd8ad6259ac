"""Feedback workbooks: the unit's own values in a fresh template, problem cells marked.

For a checked file with findings, ``write_feedback`` writes a new workbook of the same
format, year and unit (``template.build_workbook``) holding the numbers the unit sent,
each problem cell highlighted and commented with the finding's sentence, and a sheet
``校验问题`` listing every finding.  The unit corrects that file and sends it back: it is
a normal template (identity kind "feedback"), so it is read and checked like any other.
Values that were not numbers (text, 不适用) cannot be carried over as numbers; their cell
is left blank and its comment quotes what the unit had written.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import xlsxwriter

from .. import messages
from ..catalogue.access import say
from ..errors import ReadError
from ..fsio import atomic_output, safe_filename
from ..messages import SEVERITY_ZH
from ..model import Finding, Report
from ..read import read_report_limited
from ..roster import Unit
from ..stamp import make_identity
from ..template import WORKBOOK_OPTIONS, build_workbook

if TYPE_CHECKING:
    from ..collect.ledger import Submission
    from ..collect.workspace import Workspace

__all__ = ["FINDINGS_SHEET", "feedback_filename", "feedback_marks", "write_feedback"]

FINDINGS_SHEET = messages.say("cli.feedback_sheet")
_RANK = {"error": 0, "warning": 1, "info": 2}
MAX_COMMENT = 1500  # characters per cell comment (Excel shows about that much comfortably)


def feedback_marks(report: Report, findings: list[Finding]) -> dict[str, tuple[str, str]]:
    """cell id / cover field id → (worst severity, the findings' sentences).  A rule finding
    marks every cell of the rule."""
    spec = report.spec
    rules = {r.id: r for r in spec.rules}
    cover_ids = {f.id for f in spec.cover}
    acc: dict[str, tuple[str, list[str]]] = {}

    def add(key: str, sev: str, msg: str) -> None:
        cur = acc.get(key)
        if cur is None:
            acc[key] = (sev, [msg])
        else:
            best = sev if _RANK[sev] < _RANK[cur[0]] else cur[0]
            if msg not in cur[1]:
                cur[1].append(msg)
            acc[key] = (best, cur[1])

    for f in findings:
        if f.severity == "info" and f.code != "value.converted":
            continue
        targets: list[str] = []
        if f.rule and f.rule in rules and f.code.startswith("rule."):
            targets = [c for c in rules[f.rule].cells if c in spec.cells]
        elif f.cell and (f.cell in spec.cells or f.cell in cover_ids):
            targets = [f.cell]
        for t in targets:
            add(t, f.severity, f.message)
    out = {}
    for k, (sev, msgs) in acc.items():
        text = "\n".join(msgs)
        if len(text) > MAX_COMMENT:
            text = text[:MAX_COMMENT - 1] + "…"
        out[k] = (sev, text)
    return out


def feedback_filename(report: Report) -> str:
    stem = Path(report.file).stem or messages.say("cli.feedback_stem")
    return safe_filename(messages.say("cli.feedback_file", stem=stem))


def _free_path(outdir: Path, name: str) -> Path:
    p = outdir / name
    if not p.exists():
        return p
    stem, suffix = p.stem, p.suffix
    for i in range(2, 1000):
        q = outdir / f"{stem}_{i}{suffix}"
        if not q.exists():
            return q
    return outdir / f"{stem}_{len(list(outdir.iterdir()))}{suffix}"


def _unit_of(report: Report, unit: Unit | None) -> Unit:
    if unit is not None:
        return unit
    code = report.unit_code or ""
    name = report.unit_name or messages.say("cli.no_unit")
    return Unit(code=code, name=name, category="", contact="", email="", line=0)


def write_feedback(report: Report, findings: list[Finding], outdir: str | Path, *, unit: Unit | None = None,
                   year: int | None = None) -> Path:
    """Write the feedback workbook into ``outdir`` (never replacing an existing file: a
    numbered name is chosen instead).  Returns its path."""
    spec = report.spec
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    y = report.year or year or spec.years[0] or 2021
    u = _unit_of(report, unit)
    values = {c.id: report.values[c.id].number for c in spec.inputs
              if c.id in report.values and report.values[c.id].state == "number"}
    prefilled = {f.id for f in spec.cover if f.prefill}
    fields = {k: v for k, v in report.fields.items() if k not in prefilled and v and k in {f.id for f in spec.cover}}
    marks = feedback_marks(report, findings)
    identity = make_identity(spec, y, u, kind="feedback")
    path = _free_path(outdir, feedback_filename(report))
    with atomic_output(path) as tmp:
        wb = xlsxwriter.Workbook(str(tmp), WORKBOOK_OPTIONS)
        try:
            build_workbook(wb, spec, year=y, unit=u, values=values, identity=identity, marks=marks, fields=fields)
            _findings_sheet(wb, report, findings)
        finally:
            wb.close()
    return path


def _findings_sheet(wb: xlsxwriter.Workbook, report: Report, findings: list[Finding]) -> None:
    ws = wb.add_worksheet(FINDINGS_SHEET)
    font = say("check.feedback.font")
    title = wb.add_format({"bold": True, "font_size": 14, "font_name": font})
    head = wb.add_format({"bold": True, "border": 1, "bg_color": "#F2F2F2", "font_name": font, "text_wrap": True,
                          "valign": "vcenter"})
    cell = wb.add_format({"border": 1, "font_name": font, "text_wrap": True, "valign": "top"})
    sev_f = {
        "error": wb.add_format({"border": 1, "font_name": font, "bg_color": "#FF9999", "valign": "top"}),
        "warning": wb.add_format({"border": 1, "font_name": font, "bg_color": "#FFD966", "valign": "top"}),
        "info": wb.add_format({"border": 1, "font_name": font, "bg_color": "#BDD7EE", "valign": "top"}),
    }
    n_err = sum(1 for f in findings if f.severity == "error")
    n_warn = sum(1 for f in findings if f.severity == "warning")
    ws.write_string(0, 0, messages.say("cli.feedback_title", who=report.unit_name or Path(report.file).name), title)
    ws.write_string(1, 0, messages.say("cli.feedback_intro", file=Path(report.file).name, errors=n_err,
                                                                warnings=n_warn))
    heads = messages.say("cli.feedback_heads").split("|")
    widths = (6, 10, 22, 48, 70, 22)
    for c, (h, w) in enumerate(zip(heads, widths)):
        ws.write_string(3, c, h, head)
        ws.set_column(c, c, w)
    for i, f in enumerate(findings, 1):
        r = 3 + i
        ws.write_number(r, 0, i, cell)
        ws.write_string(r, 1, SEVERITY_ZH.get(f.severity, f.severity), sev_f.get(f.severity, cell))
        ws.write_string(r, 2, f.ref or "", cell)
        ws.write_string(r, 3, f.path or "", cell)
        ws.write_string(r, 4, f.message, cell)
        ws.write_string(r, 5, f.code, cell)
    if not findings:
        ws.write_string(4, 0, messages.say("cli.feedback_none"))
    ws.freeze_panes(4, 0)
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    ws.activate()


def submission_feedback(ws: Workspace, sub: Submission, unit: Unit | None = None) -> tuple[str, bytes] | None:
    """The feedback workbook of ledger submission ``sub`` as (file name, bytes): its archived
    bytes read again, marked with the findings the ledger recorded.  None when the archived
    file cannot be read.  (What ``gipr remind`` attaches and the workbench downloads.)"""
    import tempfile

    try:
        data = ws.ledger.read_archived(sub.sha256)
        report = read_report_limited(data, name=sub.file_name, spec=ws.spec)  # an archived file is still hostile
    except (OSError, ReadError):
        return None
    findings = []
    for d in sub.findings:
        try:
            fields: dict[str, Any] = {k: d.get(k) for k in ("code", "severity", "message", "cell", "ref", "path", "rule")}
            findings.append(Finding(**fields))
        except TypeError:
            continue
    with tempfile.TemporaryDirectory(prefix="gipr-feedback-") as tmp:
        path = write_feedback(report, findings, tmp, unit=unit, year=ws.year)
        return path.name, path.read_bytes()
