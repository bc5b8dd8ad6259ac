"""Report × rules → findings.

``recompute`` gives every cell's number the way gipr trusts it: inputs as parsed, every
total recomputed from its inputs (never the stored value; None when an input it depends
on is missing).  ``check_report`` runs the list of checks (:mod:`gipr.check.checks`, one named
function each, with the sources it applies to); for a workbook they give the reading findings plus:

* cell values: blank → 未填写 (error; ``blank_as_zero`` counts blanks as 0 and says so once),
  不适用 and text in a number cell → error, type problems (rule kind "type") → error,
  converted values (text numbers, full-width digits, units, separators) → info;
* stored totals: blank → warning, different from the recomputed sum → warning (stale
  total; the rules use the recomputed value);
* every rule of the format (iterating ``spec.rules``; kinds equal / total / carry), with the
  sentence from ``Rule.message``; a rule with a missing input is not evaluated (the missing
  input is already reported);
* required cover fields, identity (signature, format version, year, unit against the
  roster), cross-year rule against ``CheckContext.previous``.

A document gets no cover or identity check (it has neither), but its printed totals as
printed, its text against its tables and, with ``submitted``, its tables against the unit's
workbook.  Every text comes from :mod:`gipr.messages`.  Also here: the helpers the checks
share, the export record (``gipr export``)
and the loader of last year's data (workbook, roll-up or exported JSON) for rule F.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .. import messages, rules
from ..errors import SpecError
from ..model import Finding, Report
from ..roster import Unit, normalize_name
from ..rules import recompute
from ..spec import format_for_year
from ..stamp import verify
from ..unitmatch import match_unit, normalize_code
from ..values import Number, Value, fmt_number, to_json_number

__all__ = [
    "CheckContext",
    "cell_ref",
    "export_record",
    "has_errors",
    "match_unit",
    "recompute",
    "summarize",
]

EXPORT_VERSION = 1


@dataclass
class CheckContext:
    year: int | None = None  # the report year being collected
    roster: list[Unit] | None = None
    previous: Report | None = None  # last year's report of the same unit (rule F)
    blank_as_zero: bool = False
    submitted: list[Report] | None = None  # a document is compared with these (its unit's workbook)
    against_name: str = ""  # where ``submitted`` came from, for the messages


def cell_ref(report: Report, cid: str) -> str:
    """Where cell ``cid`` is in this report as read (it may have moved), else the format's address."""
    loc = report.locations.get(cid)
    if loc:
        return loc
    cell = report.spec.cells.get(cid)
    return cell.address if cell else ""


MAX_RAW_SHOWN = 80  # characters of what a unit typed that a message quotes


def _raw(v: Value) -> str:
    text = v.raw_text.strip()
    return text if len(text) <= MAX_RAW_SHOWN else text[: MAX_RAW_SHOWN - 1] + "…"


def _rule_finding(report: Report, r, lhs: str, rhs: str) -> Finding:
    sentence = r.message.format(label=r.label, lhs=lhs, rhs=rhs)
    anchor = r.lhs[0] if r.lhs else None
    cell = report.spec.cells.get(anchor) if anchor else None
    return messages.finding("rule", key=f"rule.{r.family}", rule=r.id, cell=anchor,
                            ref=cell_ref(report, anchor) if anchor else None,
                            path=cell.label_path if cell else None, text=sentence)


def in_force_findings(report: Report, values: dict[str, Number | None],
                      prev_values: dict[str, Number | None]) -> list[Finding]:
    """The 现行有效 cross-year plausibility (``rules.in_force_mismatches``) as warnings."""
    out = []
    for cid, nums in rules.in_force_mismatches(report.spec, values, prev_values):
        cell = report.spec.cells[cid]
        out.append(messages.finding("previous.in_force", cell=cid, ref=cell_ref(report, cid), path=cell.label_path,
                                    row=cell.row, **{k: fmt_number(v) for k, v in nums.items()}))
    return out


def _stored_number(v: Value) -> Number | None:
    """A stored total that is a number but not of the cell's type (a decimal or negative
    sum of bad inputs): still a number to compare, its inputs carry the type errors."""
    if v.state == "error" and v.code in ("value.not_integer", "value.negative") and \
            isinstance(v.raw, (int, float)) and not isinstance(v.raw, bool):
        d = Decimal(repr(v.raw)) if isinstance(v.raw, float) else Decimal(v.raw)
        return int(d) if d == d.to_integral_value() else d
    return None


def _type_finding(type_rule, v: Value, kw: dict) -> Finding:
    problem = v.problem or messages.say("detail.bad_content")
    raw = _raw(v)
    if type_rule is not None:
        sentence = type_rule.message.format(label=kw["path"], problem=problem, lhs="", rhs="")
        msg = messages.say("detail.typed", sentence=sentence, raw=raw) if raw else f"{sentence}。"
        f = Finding(v.code or "value.invalid", "error", msg, kw["cell"], kw["ref"], kw["path"], type_rule.id)
        return f
    return messages.finding("cell.value", key=v.code or "value.invalid", problem=problem, raw=raw, **kw)


def _parse_year(text: str) -> int | None:
    digits = "".join(ch for ch in text if ch.isdigit())
    if len(digits) == 4 and 1990 <= int(digits) <= 2100:
        return int(digits)
    return None


def _identity_findings(report: Report, ctx: CheckContext) -> list[Finding]:
    out: list[Finding] = []
    spec = report.spec
    ident = report.identity
    if report.source == "published":
        return out  # no hidden identity and no cover: the issuer and year are the title's (or --year, --roster)
    if not ident:
        out.append(messages.finding("identity.missing"))
    else:
        if not verify(ident):
            out.append(messages.finding("identity.signature"))
        if ident.get("format") == spec.id and ident.get("format_digest") and ident["format_digest"] != spec.digest:
            out.append(messages.finding("identity.format_changed"))
    if ctx.year is not None:
        try:
            expected = format_for_year(ctx.year)
        except SpecError:
            expected = None
        if expected and expected != spec.id:
            out.append(messages.finding("identity.format_mismatch", found=spec.id, expected=expected))
    cover_year = _parse_year(report.fields.get("year", "") or "")
    ident_year = _parse_year(ident.get("year", "") or "") if ident else None
    year = cover_year or ident_year
    if ctx.year is not None and year is not None and year != ctx.year:
        out.append(messages.finding("identity.year_mismatch", found=year, expected=ctx.year))
    elif cover_year and ident_year and cover_year != ident_year:
        out.append(messages.finding("identity.year_changed", found=cover_year, expected=ident_year))
    if report.kind == "rollup":
        out.append(messages.finding("identity.rollup", n=len(report.units)))
        return out
    cover_name = (report.fields.get("unit_name") or "").strip()
    if ctx.roster is not None:
        unit = match_unit(report, ctx.roster)
        if unit is None:
            name = cover_name or ident.get("unit_name", "") or messages.say("detail.unfilled")
            code = ident.get("unit_code") or report.fields.get("unit_code") or ""
            out.append(messages.finding("identity.unit_unknown", name=name,
                                            unit_code=messages.say("detail.code", code=code) if code else ""))
        elif cover_name and normalize_name(cover_name) != normalize_name(unit.name):
            out.append(messages.finding("identity.unit_changed", found=cover_name, expected=unit.name))
    elif ident.get("unit_name") and cover_name and normalize_name(cover_name) != normalize_name(ident["unit_name"]):
        out.append(messages.finding("identity.unit_changed", found=cover_name, expected=ident["unit_name"]))
    return out


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen = set()
    out = []
    for f in findings:
        key = (f.code, f.cell, f.message)
        if key in seen:
            continue
        seen.add(key)
        out.append(f)
    return out


def _sorted(findings: list[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: messages.SEVERITY_ORDER.get(f.severity, 9))


def has_errors(findings: list[Finding]) -> bool:
    return any(f.severity == "error" for f in findings)


def summarize(findings: list[Finding]) -> dict[str, int]:
    out = {"error": 0, "warning": 0, "info": 0}
    for f in findings:
        out[f.severity] = out.get(f.severity, 0) + 1
    return out


# -----------------------------------------------------------------------------------------
# export and last year's data


def export_record(report: Report, *, blank_as_zero: bool = False) -> dict[str, Any]:
    """One report as ``gipr export --json`` writes it: values by cell id (totals recomputed;
    null where a number is missing)."""
    values = recompute(report, blank_as_zero)
    return {
        "file": report.file,
        "unit": report.unit_name,
        "unit_code": report.unit_code,
        "year": report.year,
        "format": report.spec.id,
        "kind": report.kind,
        "sha256": report.sha256,
        "values": {cid: to_json_number(values.get(cid)) for cid in report.spec.cells},
    }


def pick_previous(report: Report, previous: list[Report]) -> Report | None:
    """Last year's report of the same unit: by code, else by name, of the same kind (a unit's
    file is never compared with a county roll-up).  A single previous roll-up applies to a
    roll-up, and a single previous report without any unit to a file without one."""
    if not previous:
        return None
    same_kind = [p for p in previous if p.kind == report.kind]
    code = normalize_code(report.unit_code)
    name = normalize_name(report.unit_name)
    for p in same_kind:
        if code and normalize_code(p.unit_code) == code:
            return p
    for p in same_kind:
        if name and normalize_name(p.unit_name) == name:
            return p
    if len(same_kind) == 1:
        only_one = same_kind[0]
        if report.kind == "rollup" or (not code and not name) or (not only_one.unit_code and not only_one.unit_name):
            return only_one
    return None
