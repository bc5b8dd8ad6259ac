"""What an audit says, as data: :func:`audit_json` (``gipr audit --json``; the workbook and the
HTML summary are written from the same dict), the kind of each finding, the summary counts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import messages
from ..catalogue.access import textkey
from ..model import Finding

if TYPE_CHECKING:
    from .docs import DocResult
    from .run import Audit, IssuerYear

__all__ = ["KINDS", "audit_json", "kind_of", "row_json"]

# the kinds a finding is counted under (in this order): its code's family
KINDS = ("rules", "narrative", "chain", "late", "missing", "reading")


def kind_of(f: Finding) -> str:
    code = f.code
    if code in ("rule.F", "previous.in_force", "previous.year") or code.startswith("chain."):
        return "chain"
    if code.startswith("rule."):
        return "rules"
    if code == "published.text_mismatch":
        return "narrative"
    if code == "audit.late":
        return "late"
    if code.startswith("audit."):
        return "missing"
    return "reading"


def kind_name(kind: str) -> str:
    return messages.say(textkey("audit.kind." + kind))


def _finding_json(f: Finding, doc: DocResult | None) -> dict[str, Any]:
    out = f.to_json()
    out["kind"] = kind_of(f)
    out["document"] = doc.file if doc is not None else None
    if doc is not None and doc.report is not None and f.cell:
        out["where"] = doc.report.locations.get(f.cell) or f.ref
    else:
        out["where"] = f.ref
    return out


def row_json(r: IssuerYear) -> dict[str, Any]:
    by_kind: dict[str, dict[str, int]] = {k: {"error": 0, "warning": 0} for k in KINDS}
    for f in r.findings:
        if f.severity in ("error", "warning"):
            by_kind[kind_of(f)][f.severity] += 1
    d = r.doc
    c = r.counts
    return {"issuer": r.issuer.name, "code": r.issuer.code or None, "level": r.issuer.level, "year": r.year,
            "document": d.file if d else None, "title": d.title if d else None, "format": d.format if d else None,
            "published": d.published if d else None, "published_from": d.published_from if d else None,
            "state": "missing" if d is None else ("errors" if c["error"] else ("warnings" if c["warning"] else "ok")),
            "errors": c["error"], "warnings": c["warning"], "infos": c["info"], "by_kind": by_kind,
            "late": r.late, "repeated_share": None if r.repeated_share is None else round(r.repeated_share, 3),
            "unread": d.unread if d else None, "other_documents": [o.file for o in r.others],
            "findings": [_finding_json(f, d) for f in r.findings]}


def _doc_json(d: DocResult) -> dict[str, Any]:
    return {"file": d.file, "issuer": d.issuer or None, "year": d.year, "code": d.error_code or None,
            "message": d.error or None, "findings": [_finding_json(f, d) for f in d.findings]}


def audit_json(a: Audit) -> dict[str, Any]:
    rows = [row_json(r) for r in a.rows]
    chains: dict[str, list[dict[str, Any]]] = {}
    for r, j in zip(a.rows, rows):
        chains.setdefault(r.issuer.name, []).append({k: j[k] for k in ("year", "document", "state", "errors",
                                                                       "warnings", "repeated_share", "late")})
    kinds = dict.fromkeys(KINDS, 0)
    for _r, _d, f in a.all_findings():
        if f.severity in ("error", "warning"):
            kinds[kind_of(f)] += 1
    summary = {"documents": len(a.docs), "issuers": len(a.issuers), "issuer_years": len(a.rows),
               "reported": sum(1 for r in a.rows if r.doc is not None), "missing": len(a.missing),
               "with_errors": sum(1 for j in rows if j["errors"]), "late": sum(1 for r in a.rows if r.late and r.late["late"]),
               "copied": sum(1 for r in a.rows if any(f.code == "chain.repeated_text" for f in r.findings)),
               "ignored": len(a.ignored), "duplicates": len(a.duplicates), "not_reports": len(a.not_reports),
               "unreadable": len(a.unreadable), "unassigned": len(a.unassigned), "other_years": len(a.other_years),
               "conflicts": len(a.conflicts), "findings_by_kind": kinds, "seconds": round(a.seconds, 2),
               "workers": a.workers, "truncated": a.truncated}
    return {"years": a.years, "summary": summary, "rows": rows, "chains": chains,
            "unreadable": [_doc_json(d) for d in a.unreadable],
            "unassigned": [_doc_json(d) for d in a.unassigned],
            "other_years": [_doc_json(d) for d in a.other_years],
            "conflicts": [{"file": x.file, "used": y.file, "findings": [_finding_json(f, x) for f in x.findings]}
                          for x, y in a.conflicts],
            "duplicates": [{"file": f, "same_as": s} for f, s in a.duplicates],
            "not_reports": [{"file": d.file, "code": d.error_code} for d in a.not_reports],
            "ignored": a.ignored, "exit_code": a.exit_code}
