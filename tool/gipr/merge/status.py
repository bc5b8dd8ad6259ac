"""The status of a collection (``gipr status``): the report every front end shows, and the
status workbook.  Here, above ``collect``, because it tells for each unit what the roll-up
would take (merge's stored entries) and how its numbers changed from last year (merge's review)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .. import messages
from ..catalogue.access import say
from ..collect.documents import STATES, current_documents
from ..collect.ledger import IDENTIFIED_ZH, local_time, status_json
from ..collect.workspace import Workspace
from ..errors import GiprError
from ..fsio import atomic_output
from ..messages import SUBMISSION_STATUS_ZH as STATUS_ZH
from .entries import UNREADABLE
from .review import current as year_review
from .stored import workspace_entries

__all__ = ["add_documents", "status_report", "write_status_xlsx"]


def status_report(ws: Workspace, *, verify: bool = False, recheck: bool = False, findings: bool = False) -> dict[str, Any]:
    """What ``gipr status --json`` prints: every roster unit's current submission, the
    totals, the missing / with-errors / unreadable units, unattached submissions; with
    ``verify`` also ``integrity`` (the ledger's and the archive's problems, [] when sound).

    Each current submission is judged as a merge would judge it now (``merge.stored``): from
    its stored result when that still holds, else read and checked again (``recheck``: every
    one); ``from_ledger`` / ``reread`` count them.  With ``findings`` also ``findings``: unit
    code → its findings (JSON dicts), for the detailed view."""
    data = status_json(ws.ledger, ws.roster, year=ws.year, county=ws.county)
    found = refresh_status(ws, data, recheck=recheck)
    add_documents(ws, data)
    if findings:
        data["findings"] = found
    if verify:
        data["integrity"] = ws.ledger.integrity_problems(verify_archive=True)
    return data


def add_documents(ws: Workspace, data: dict[str, Any]) -> None:
    """Each unit's report document (collect.documents): ``document`` per unit line (its state
    未交 / 一致 / 与报表不一致 / 有错误 / 无法读取, counts, file, findings) and ``documents``
    totals by state; nothing is added while no document was ever collected."""

    docs = current_documents(ws.ledger)
    if not docs:
        return
    for line in data["units"]:
        d = docs.get(line["code"])
        line["document"] = d.to_json() if d is not None else {
            "state": "missing", "state_zh": messages.say("document.state.missing"), "findings": []}
    data["documents"] = {k: sum(1 for l in data["units"] if l["document"]["state"] == k) for k in STATES}


def refresh_status(ws: Workspace, data: dict[str, Any], *, recheck: bool = False) -> dict[str, list[dict[str, Any]]]:
    """``gipr status``: each unit's current submission judged as a merge would judge it now —
    from its stored result when that still holds, else read and checked again — instead of
    what was found when it was collected.  Updates ``data`` (``ledger.status_json``) in place
    (status, errors, warnings; the lists and totals; ``from_ledger``/``reread``) and returns
    each unit's findings (JSON dicts) for the detailed view."""

    counts: dict[str, int] = {}
    entries = workspace_entries(ws, spec=ws.spec, recheck=recheck, counts=counts)
    by_code = {e.code: e for e in entries}
    findings: dict[str, list[dict[str, Any]]] = {}
    for line in data["units"]:
        e = by_code.get(line["code"])
        if e is None or line["status"] == "missing":
            continue
        line["status"] = "unreadable" if e.status == UNREADABLE else ("errors" if e.errors else "accepted")
        line["errors"], line["warnings"] = e.errors, e.warnings
        findings[line["code"]] = [f.to_json() for f in e.findings]
    lines = data["units"]

    rev = year_review(ws, {e.code: e.sha256 for e in entries if e.sha256})
    for line in lines:  # 需核对: a carry-over break against last year in the current submission
        line["review"] = rev["units"].get(line["code"], []) if line["status"] in ("accepted", "errors") else []
    data["review"] = [l["code"] for l in lines if l["review"]]
    data["year_review"] = {"source": Path(rev["source"]).name if rev["source"] else "", "at": rev["at"],
                           "county": rev["county"]}
    data["totals"]["review"] = len(data["review"])
    data["with_errors"] = [l["code"] for l in lines if l["status"] == "errors"]
    data["unreadable"] = [l["code"] for l in lines if l["status"] == "unreadable"]
    for k in ("accepted", "errors", "unreadable", "missing"):
        data["totals"][k] = sum(1 for l in lines if l["status"] == k)
    data["from_ledger"], data["reread"] = counts["from_ledger"], counts["reread"]
    return findings


def write_status_xlsx(path: Path, data: dict, led, names: dict[str, str], *, overwrite: bool = False) -> None:
    """The status as a workbook (atomic; every value written as text or number, never a formula)."""
    import xlsxwriter

    if path.suffix.lower() != ".xlsx":
        raise GiprError(say("collect.status.write_status_xlsx", path=path), "status.out_type")
    with atomic_output(path, overwrite=overwrite) as tmp:
        wb = xlsxwriter.Workbook(str(tmp), {"strings_to_formulas": False, "strings_to_urls": False})
        head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
        ws = wb.add_worksheet(say("collect.status.write_status_xlsx.ws"))
        cols = (say("collect.status.write_status_xlsx.cols"), say("collect.status.write_status_xlsx.cols_2"), say("collect.status.write_status_xlsx.cols_3"), say("collect.status.write_status_xlsx.cols_4"), say("collect.status.write_status_xlsx.cols_5"), say("collect.status.write_status_xlsx.cols_6"), say("collect.status.write_status_xlsx.cols_7"), say("collect.status.write_status_xlsx.cols_8"), say("collect.status.write_status_xlsx.cols_9"), say("collect.status.write_status_xlsx.cols_10"))
        for c, h in enumerate(cols):
            ws.write_string(0, c, h, head)
        for r, u in enumerate(data["units"], start=1):
            ws.write_string(r, 0, u["code"])
            ws.write_string(r, 1, u["name"])
            ws.write_string(r, 2, STATUS_ZH.get(u["status"], u["status"]))
            if u["submission"]:
                ws.write_number(r, 3, u["submission"])
                ws.write_string(r, 4, local_time(u["received_at"]))
                ws.write_number(r, 5, u["errors"] or 0)
                ws.write_number(r, 6, u["warnings"] or 0)
                ws.write_string(r, 7, u["file_name"] or "")
                ws.write_string(r, 8, IDENTIFIED_ZH.get(u["identified_by"] or "", ""))
            if u["override"]:
                o = u["override"]
                ws.write_string(r, 9, f"{o['by']} {local_time(o['at'])}" + (f" {o['note']}" if o["note"] else ""))
        tot = data["totals"]
        r = len(data["units"]) + 2
        ws.write_string(r, 0, say("collect.status.write_status_xlsx_2"))
        ws.write_string(r, 1, say("collect.status.write_status_xlsx_3", units=tot['units'],
                                  accepted=tot['accepted'], errors=tot['errors'], unreadable=tot['unreadable'],
                                  missing=tot['missing']))
        ws.set_column(0, 0, 12)
        ws.set_column(1, 1, 28)
        ws.set_column(2, 6, 10)
        ws.set_column(4, 4, 17)
        ws.set_column(7, 7, 36)
        ws.freeze_panes(1, 0)
        ws.autofilter(0, 0, len(data["units"]), len(cols) - 1)
        ws2 = wb.add_worksheet(say("collect.status.write_status_xlsx.ws2"))
        cols2 = (say("collect.status.write_status_xlsx.cols_4"), say("collect.status.write_status_xlsx.cols"), say("collect.status.write_status_xlsx.cols_2"), say("collect.status.write_status_xlsx.cols_3"), say("collect.status.write_status_xlsx.cols_5"), say("collect.status.write_status_xlsx.cols2"), say("collect.status.write_status_xlsx.cols_6"), say("collect.status.write_status_xlsx.cols_7"), say("collect.status.write_status_xlsx.cols_8"),
                 say("collect.status.write_status_xlsx.cols_9"), say("collect.status.write_status_xlsx.cols2_2"), say("collect.status.write_status_xlsx.cols2_3"), say("collect.status.write_status_xlsx.cols2_4"), "Message-ID", "SHA-256", say("collect.status.write_status_xlsx.cols2_5"), say("collect.status.write_status_xlsx.cols2_6"), say("collect.status.write_status_xlsx.cols2_7"))
        for c, h in enumerate(cols2):
            ws2.write_string(0, c, h, head)
        for r, s in enumerate(led.submissions(), start=1):
            vals = (s.id, s.unit_code or "", names.get(s.unit_code, "") if s.unit_code else "",
                    STATUS_ZH.get(s.status, s.status), local_time(s.received_at), local_time(s.collected_at),
                    s.errors, s.warnings, s.file_name, IDENTIFIED_ZH.get(s.identified_by, s.identified_by), s.source,
                    s.mail_from or "", s.mail_subject or "", s.message_id or "", s.sha256, str(s.archive_path),
                    s.reason or "", s.duplicate_of or "")
            for c, v in enumerate(vals):
                if isinstance(v, int) and not isinstance(v, bool):
                    ws2.write_number(r, c, v)
                else:
                    ws2.write_string(r, c, str(v))
        ws2.freeze_panes(1, 0)
        ws2.set_column(8, 8, 30)
        ws2.set_column(10, 10, 40)
        wb.close()
