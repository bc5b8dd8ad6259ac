"""The list of checks: each a named function that says which sources it applies to.

A *source* is what is being checked:

* ``workbook`` — a returned statistics workbook (cover sheet, signed identity, stored totals);
* ``document`` — a report document (published or a draft: Word, PDF, web page, text): its
  printed totals are checked as printed, its sentences against its tables; it has no cover
  sheet and no identity, so no cover or identity check applies to it;
* ``chain`` — a report together with last year's report of the same issuer (rule F's
  carry-over, table 二's stock, the year, tables or text repeated from last year).

``gipr check``, the workspace's review (collect, merge, status) and ``gipr audit`` all call
:func:`run_checks` with the same :data:`CHECKS`; a new check is one function and one line
in that list.  Every finding's text comes from :mod:`gipr.messages`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from .. import messages, rules
from ..catalogue.access import say
from ..model import Finding, Report
from ..published.narrative import narrative_findings
from ..values import Number, fmt_number
from .against import against_findings
from .findings import (
    CheckContext,
    _dedupe,
    _identity_findings,
    _parse_year,
    _raw,
    _rule_finding,
    _sorted,
    _stored_number,
    _type_finding,
    cell_ref,
    in_force_findings,
)
from .similar import repeated_share

__all__ = [
    "CHAIN",
    "CHECKS",
    "DOCUMENT",
    "SOURCES",
    "WORKBOOK",
    "Check",
    "Subject",
    "check_names",
    "check_report",
    "run_checks",
    "source_of",
]

WORKBOOK, DOCUMENT, CHAIN = "workbook", "document", "chain"
SOURCES = (WORKBOOK, DOCUMENT, CHAIN)

# a report of last year whose tables are all stocks or zeros is not "copied" when unchanged:
# these columns carry a stock that legitimately stays the same
_STOCK_COLUMNS = ("in_force", "public_total", "prev_items")


def source_of(report: Report) -> str:
    """``document`` for a report read from a document, else ``workbook``."""
    return DOCUMENT if report.source == "published" else WORKBOOK


@dataclass
class Subject:
    """One report being checked, with what every check needs computed once."""

    report: Report
    ctx: CheckContext
    values: dict[str, Number | None]  # recomputed (workbook) or as printed (document)
    plan: rules.Plan
    source: str
    prev_values: dict[str, Number | None] | None = None
    extra: dict = field(default_factory=dict)

    @property
    def previous(self) -> Report | None:
        return self.ctx.previous


@dataclass(frozen=True)
class Check:
    name: str  # stable: it names the check in the audit workbook and the docs
    sources: frozenset[str]
    run: Callable[[Subject], Iterable[Finding]]
    about: str = ""  # one line for developers

    def applies(self, subject: Subject) -> bool:
        if CHAIN in self.sources:
            return subject.previous is not None and (subject.source in self.sources or self.sources == {CHAIN})
        return subject.source in self.sources


# -----------------------------------------------------------------------------------------
# the checks


def reading(s: Subject) -> list[Finding]:
    """What the reader found (moved tables, converted cells, rows not printed …)."""
    return list(s.report.findings)


def values(s: Subject) -> list[Finding]:
    """Each value cell: blank, 不适用, text, type; each stored total against its recomputed sum."""
    report, ctx, spec = s.report, s.ctx, s.report.spec
    out: list[Finding] = []
    printed = s.source == DOCUMENT
    grouped: set[str] = {cid for ids, _n in report.groups for cid in ids}
    vals = s.values
    rules_by_id = s.plan.rules_by_id
    type_rule = s.plan.type_rule
    zeroed: list[str] = []
    rvalues = report.values
    for cid, c in s.plan.cells:
        v = rvalues.get(cid)
        if v is None:
            continue  # not located: already reported by the reader
        if v.state == "number" and not v.note:
            if c.input:
                continue
            new = vals[cid]
            if new is None or v.number == new:
                continue
        path = c.label_path
        ref = cell_ref(report, cid)
        kw = {"cell": cid, "ref": ref, "path": path}
        if c.input:
            if v.state == "blank" and (cid in grouped or v.code == "published.digits_ambiguous"):
                continue  # one row printed as one number, or glued digits left open: unknown, already reported
            if v.state == "blank":
                if ctx.blank_as_zero:
                    zeroed.append(ref)
                else:
                    out.append(messages.finding("cell.blank", **kw))
            elif v.state == "na":
                out.append(messages.finding("cell.na", raw=_raw(v), **kw))
            elif v.state == "text":
                out.append(messages.finding("cell.text", raw=_raw(v), **kw))
            elif v.state == "error":
                out.append(_type_finding(type_rule, v, kw))
            elif v.note:
                out.append(messages.finding("value.converted", note=v.note, value=fmt_number(v.number), **kw))
            continue
        # a total: the stored value is only compared with the recomputed one
        new = vals.get(cid)
        recomputed = messages.say("detail.recomputed", value=fmt_number(new)) if new is not None else ""
        if v.state == "blank":
            if v.code not in ("formula", "published.digits_ambiguous") and cid not in grouped:  # a live formula
                # saved without its cached result is not a blank; glued digits left open and the totals of a
                # group printed as one row are unknown, said once by the reader
                out.append(messages.finding("cell.blank_total", recomputed=recomputed, **kw))
        elif v.state == "number" or _stored_number(v) is not None:
            stored = v.number if v.state == "number" else _stored_number(v)
            if v.note:
                out.append(messages.finding("value.converted", note=v.note, value=fmt_number(v.number), **kw))
            if not printed and new is not None and stored is not None and not rules.agree(spec, stored, new):
                rule = rules_by_id.get(c.defined_by or "")
                parts_sum = rules.total(c.parts, vals)
                if rule is not None:
                    sentence = rule.message.format(label=rule.label, lhs=fmt_number(stored),
                                                   rhs=fmt_number(parts_sum))
                else:  # pragma: no cover - every total is defined by a rule
                    sentence = messages.say("detail.stale_plain", path=path, stored=fmt_number(stored),
                                               parts=fmt_number(parts_sum))
                out.append(messages.finding("total.stale", value=fmt_number(new), text=sentence,
                                            rule=rule.id if rule else None, **kw))
        else:
            problem = v.problem or messages.say("detail.na" if v.state == "na" else "detail.not_number")
            out.append(messages.finding("total.invalid", raw=_raw(v), problem=problem, recomputed=recomputed, **kw))
    if zeroed:
        shown = "、".join(zeroed[:5]) + (messages.say("detail.etc") if len(zeroed) > 5 else "")
        out.append(messages.finding("cell.blank_as_zero", n=len(zeroed), cells=shown))
    return out


def previous_year(s: Subject) -> list[Finding]:
    """Last year's report is of the year before this one."""
    report, ctx = s.report, s.ctx
    want = (report.year - 1) if report.year else (ctx.year - 1 if ctx.year else None)
    prev = s.previous
    if want is not None and prev is not None and prev.year is not None and prev.year != want:
        return [messages.finding("previous.year", found=prev.year, expected=want)]
    return []


def _value_rules(s: Subject, kinds: tuple[str, ...]) -> list[Finding]:
    out = []
    report, spec = s.report, s.report.spec
    printed = s.source == DOCUMENT
    groups = report.groups
    for r in s.plan.value_rules:
        if r.kind not in kinds:
            continue
        both = rules.sides(r, s.values, s.prev_values, groups)
        if both is None:
            if printed and r.kind == "total":
                # a printed total below the parts that were printed is wrong whatever its
                # blank parts are (counts and amounts are never negative)
                lhs = rules.total(r.lhs, s.values, groups)
                known = rules.known_total(r.rhs, s.values)
                if lhs is not None and known > lhs and not rules.agree(spec, known, lhs):
                    out.append(_rule_finding(report, r, fmt_number(lhs),
                                             fmt_number(known) + messages.say("detail.blank_parts")))
            continue  # an input is missing: reported as such, the rule is not evaluated
        lhs, rhs = both
        if not rules.agree(spec, lhs, rhs):
            out.append(_rule_finding(report, r, fmt_number(lhs), fmt_number(rhs)))
    return out


def table_rules(s: Subject) -> list[Finding]:
    """Every rule of the format within one report (A, C, D, E …: kinds equal and total)."""
    return _value_rules(s, ("equal", "total"))


def carry(s: Subject) -> list[Finding]:
    """Rule F: this year's 上年结转 equals last year's 结转下年度, column by column."""
    return _value_rules(s, ("carry",))


def in_force(s: Subject) -> list[Finding]:
    """Table 二: 现行有效 = last year's + 本年制发 − 本年废止 (a warning: documents also lapse)."""
    assert s.prev_values is not None
    return in_force_findings(s.report, s.values, s.prev_values)


def narrative(s: Subject) -> list[Finding]:
    """The numbers the text states (收到申请 N 件, 行政复议 N 件 …) against the tables."""
    if not s.report.text:
        return []

    return narrative_findings(s.report, s.values)


def against(s: Subject) -> list[Finding]:
    """A document's tables against what the unit submitted (every differing cell, named)."""
    if s.ctx.submitted is None:
        return []

    return against_findings(s.report, s.ctx.submitted, s.ctx.against_name)


def cover(s: Subject) -> list[Finding]:
    """A workbook's cover sheet: required fields filled, a valid year."""
    report, spec = s.report, s.report.spec
    out = []
    for f in spec.cover:
        text = (report.fields.get(f.id) or "").strip()
        ref = report.locations.get(f.id) or f"{f.sheet}!{f.ref}"
        if not text:
            if f.required:
                out.append(messages.finding("field.missing", severity=f.required, label=f.label, ref=ref,
                                            cell=f.id, path=f"{spec.cover_sheet} / {f.label}"))
            continue
        if f.id == "year" and _parse_year(text) is None:
            out.append(messages.finding("field.year_invalid", raw=text, cell=f.id, ref=ref,
                                        path=f"{spec.cover_sheet} / {f.label}"))
    return out


def identity(s: Subject) -> list[Finding]:
    """A workbook's signed identity: signature, format version, year, unit against the roster."""
    return _identity_findings(s.report, s.ctx)


def same_tables(s: Subject) -> list[Finding]:
    """Tables identical to last year's, with figures that are not stocks: most likely copied."""
    prev = s.previous
    assert prev is not None and s.prev_values is not None
    if prev.spec.id != s.report.spec.id:
        return []
    cells = s.report.spec.cells
    flows = 0
    for cid, c in cells.items():
        a, b = s.values.get(cid), s.prev_values.get(cid)
        if a is None or b is None or a != b:
            return []
        if a and c.col_id not in _STOCK_COLUMNS:
            flows += 1
    if not flows:
        return []
    return [messages.finding("chain.same_tables", year=prev.year or "？", n=flows)]


REPEAT_FLAG = 0.8  # share of the narrative's sentences found in last year's text that is flagged


def repeated_text(s: Subject) -> list[Finding]:
    """The share of the narrative repeated from last year's report (the format forbids 五 being
    年年雷同); a warning at ``REPEAT_FLAG`` or more."""
    prev = s.previous
    assert prev is not None
    made = s.extra.get("sentences")  # (this year's, last year's) when the caller made them already
    if "share" in s.extra:  # or even measured them (gipr audit, in its pool)
        share, n = s.extra["share"]
    elif made is None and (not s.report.text or not prev.text):
        return []
    else:
        share, n = repeated_share(*(made or (s.report.text, prev.text)))
    s.extra["repeated_share"] = share
    if n and share >= REPEAT_FLAG:
        return [messages.finding("chain.repeated_text", share=f"{share:.0%}", n=n, year=prev.year or "？")]
    return []


_W, _D, _C = frozenset({WORKBOOK}), frozenset({DOCUMENT}), frozenset({CHAIN})
_WD = frozenset({WORKBOOK, DOCUMENT})

CHECKS: list[Check] = [
    Check("reading", _WD, reading, "what the reader found"),
    Check("values", _WD, values, say("check.checks.checks")),
    Check("previous_year", _C, previous_year, "last year's report is of the year before"),
    Check("table_rules", _WD, table_rules, "rules A, C, D, E of the format"),
    Check("carry", _C, carry, say("check.checks.checks_2")),
    Check("in_force", _C, in_force, say("check.checks.checks_3")),
    Check("narrative", _D, narrative, "the text's numbers against the tables"),
    Check("against", _D, against, "the document against the submitted workbook"),
    Check("cover", _W, cover, "the workbook's cover fields"),
    Check("identity", _W, identity, "the workbook's signed identity"),
    Check("same_tables", frozenset({CHAIN, DOCUMENT}), same_tables, "tables identical to last year's"),
    Check("repeated_text", frozenset({CHAIN, DOCUMENT}), repeated_text, "narrative repeated from last year"),
]


def check_names(source: str | None = None) -> list[str]:
    return [c.name for c in CHECKS if source is None or source in c.sources]


def subject(report: Report, ctx: CheckContext | None = None) -> Subject:
    ctx = ctx or CheckContext()
    vals = rules.recompute(report, ctx.blank_as_zero)
    source = source_of(report)
    if source == DOCUMENT:
        # a published table's totals are checked as printed, not replaced by recomputed sums
        vals = rules.printed_values(report, vals)
    prev_values = None
    if ctx.previous is not None:
        prev_values = rules.recompute(ctx.previous, ctx.blank_as_zero)
        if ctx.previous.source == "published":
            prev_values = rules.printed_values(ctx.previous, prev_values)
    return Subject(report, ctx, vals, rules.plan(report.spec), source, prev_values)


def check_report(report: Report, ctx: CheckContext | None = None) -> list[Finding]:
    """All findings for one report: every check of :data:`gipr.check.checks.CHECKS` that applies
    to it (a workbook, a document; with ``ctx.previous``, the chain of years).  Sorted by
    severity (errors first), otherwise in the list's order."""
    return run_checks(report, ctx)


def run_checks(report: Report, ctx: CheckContext | None = None, checks: Sequence[Check] | None = None,
               into: Subject | None = None) -> list[Finding]:
    """Every check that applies to this report, in list order; deduplicated, errors first."""
    s = into or subject(report, ctx)
    out: list[Finding] = []
    for c in (CHECKS if checks is None else checks):
        if c.applies(s):
            out.extend(c.run(s))
    return _sorted(_dedupe(out))
