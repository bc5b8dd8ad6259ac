"""A published report against what the unit submitted (``gipr check PUBLISHED --against``).

The submission is a workbook, a folder of workbooks, or a workspace (its ledger's current
submission of the unit, matched by name through the roster), opened by the caller
(``collect.submitted.submitted_reports``).  Every cell where the published
number differs from the submitted one is a warning with both numbers; a blank on one side
and a number on the other is a difference too.
"""

from __future__ import annotations

from .. import messages
from ..model import Finding, Report
from ..rules import printed_values, recompute
from ..values import Number, fmt_number
from .findings import cell_ref, pick_previous

__all__ = ["against_findings", "compare"]


def compare(published: Report, submitted: Report) -> list[Finding]:
    pv = printed_values(published, recompute(published))
    sv = recompute(submitted)
    out = []
    for cid, c in published.spec.cells.items():
        if cid not in submitted.spec.cells:
            continue
        a: Number | None = pv.get(cid)
        b: Number | None = sv.get(cid)
        if a is None and published.values.get(cid) is None:
            continue  # not located in the document: already reported
        if a == b:
            continue
        out.append(messages.finding("published.differs", cell=cid, ref=cell_ref(published, cid), path=c.label_path,
                                    published=fmt_number(a) or messages.say("detail.unfilled"),
                                    submitted=fmt_number(b) or messages.say("detail.unfilled")))
    return out


def against_findings(published: Report, submitted: list[Report], against: str) -> list[Finding]:
    sub = pick_previous(published, submitted)
    if sub is None:
        return [messages.finding("against.missing", against=against, unit=published.unit_name or "？")]
    found = compare(published, sub)
    return found or [messages.finding("against.same", file=sub.file)]
