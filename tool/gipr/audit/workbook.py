"""The audit workbook: 汇总 (one row per issuer-year), 问题清单 (every finding with its document,
page and position), 文件 (what was not audited and why), and one sheet per issuer's chain of
years.  Written from :func:`gipr.audit.report.audit_json`'s dict; atomically (gipr.fsio)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from .. import messages
from ..catalogue.access import textkey
from ..fsio import atomic_output
from .report import KINDS

__all__ = ["write_audit_xlsx"]

_BAD_SHEET = re.compile(r"[\[\]:*?/\\]")


def _sheet_name(name: str, used: set[str]) -> str:
    base = _BAD_SHEET.sub("_", name)[:28] or "_"
    out, i = base, 2
    while out.lower() in used:
        out = f"{base[:26]}~{i}"
        i += 1
    used.add(out.lower())
    return out


def _late_text(late: dict | None) -> str:
    if not late:
        return ""
    if late["late"]:
        return messages.say("audit.sheet.late_days", days=late["days"], deadline=late["deadline"])
    return messages.say("audit.sheet.on_time", deadline=late["deadline"])


def write_audit_xlsx(path: str | Path, data: dict[str, Any], *, overwrite: bool = True) -> None:
    import xlsxwriter

    with atomic_output(path, overwrite=overwrite) as tmp:
        wb = xlsxwriter.Workbook(str(tmp), {"strings_to_formulas": False, "strings_to_urls": False})
        bold = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "valign": "top"})
        wrap = wb.add_format({"text_wrap": True, "valign": "top"})
        red = wb.add_format({"font_color": "#C00000", "valign": "top"})
        used: set[str] = set()

        ws = wb.add_worksheet(_sheet_name(messages.say("audit.sheet.rows"), used))
        kinds = [messages.say(textkey("audit.kind." + k)) for k in KINDS]
        head = list(messages.say("heading.audit.rows").split("|")[:8]) + [f"{k}{s}" for k in kinds for s in messages.say("heading.audit.severity_pair").split("|")] + \
            list(messages.say("heading.audit.rows").split("|")[8:])
        ws.write_row(0, 0, head, bold)
        for i, r in enumerate(data["rows"], start=1):
            share = r["repeated_share"]
            row = [r["issuer"], r["code"] or "", messages.say(textkey("audit.level." + (r["level"] or "unknown"))), r["year"],
                   messages.say(textkey("audit.state." + r["state"])), r["document"] or "", r["published"] or "",
                   _late_text(r["late"])]
            for k in KINDS:
                row += [r["by_kind"][k]["error"], r["by_kind"][k]["warning"]]
            row += [r["errors"], r["warnings"], "" if share is None else share,
                    "" if r["unread"] is None else r["unread"], "、".join(r["other_documents"])]
            ws.write_row(i, 0, row, red if r["state"] in ("missing", "errors") else None)
        ws.freeze_panes(1, 1)
        ws.autofilter(0, 0, max(1, len(data["rows"])), len(head) - 1)
        ws.set_column(0, 0, 30)
        ws.set_column(5, 5, 40)

        fs = wb.add_worksheet(_sheet_name(messages.say("audit.sheet.findings"), used))
        fs.write_row(0, 0, messages.say("heading.audit.findings").split("|"), bold)
        n = 1
        groups = [(r["issuer"], r["year"], r["findings"]) for r in data["rows"]]
        for key in ("unassigned", "other_years", "unreadable"):
            groups += [(d["issuer"] or "", d["year"] or "", d["findings"]) for d in data[key]]
        groups += [("", "", c["findings"]) for c in data["conflicts"]]
        for issuer, year, found in groups:
            for f in found:
                fs.write_row(n, 0, [issuer, year, messages.SEVERITY_ZH.get(f["severity"], f["severity"]),
                                    messages.say(textkey("audit.kind." + f["kind"])), f["code"], f["document"] or "",
                                    f["where"] or "", f["path"] or "", f["message"]], wrap)
                n += 1
        for d in data["unreadable"]:
            if not d["findings"]:
                fs.write_row(n, 0, ["", "", messages.SEVERITY_ZH["error"], messages.say("audit.kind.reading"),
                                    d["code"] or "", d["file"], "", "", d["message"] or ""], wrap)
                n += 1
        fs.freeze_panes(1, 0)
        fs.autofilter(0, 0, max(1, n - 1), len(messages.say("heading.audit.findings").split("|")) - 1)
        fs.set_column(0, 0, 28)
        fs.set_column(5, 5, 36)
        fs.set_column(6, 7, 22)
        fs.set_column(8, 8, 90)

        xs = wb.add_worksheet(_sheet_name(messages.say("audit.sheet.files"), used))
        xs.write_row(0, 0, messages.say("heading.audit.files").split("|"), bold)
        n = 1
        for what, items in (("unreadable", [(d["file"], d["message"] or "") for d in data["unreadable"]]),
                            ("unassigned", [(d["file"], d["issuer"] or "") for d in data["unassigned"]]),
                            ("other_years", [(d["file"], str(d["year"])) for d in data["other_years"]]),
                            ("conflicts", [(c["file"], c["used"]) for c in data["conflicts"]]),
                            ("duplicates", [(d["file"], d["same_as"]) for d in data["duplicates"]]),
                            ("not_reports", [(d["file"], d["code"] or "") for d in data["not_reports"]]),
                            ("ignored", [(f, "") for f in data["ignored"]])):
            for file, note in items:
                xs.write_row(n, 0, [messages.say(textkey("audit.file." + what)), file, note], wrap)
                n += 1
        xs.set_column(0, 0, 16)
        xs.set_column(1, 2, 60)

        for issuer, chain in data["chains"].items():
            cs = wb.add_worksheet(_sheet_name(issuer, used))
            cs.write(0, 0, issuer, bold)
            cs.write_row(1, 0, messages.say("heading.audit.chain").split("|"), bold)
            rows = {r["year"]: r for r in data["rows"] if r["issuer"] == issuer}
            for i, link in enumerate(chain, start=2):
                r = rows[link["year"]]
                breaks = [f["message"] for f in r["findings"] if f["kind"] == "chain"]
                share = link["repeated_share"]
                cs.write_row(i, 0, [link["year"], messages.say(textkey("audit.state." + link["state"])), link["document"] or "",
                                    link["errors"], link["warnings"], "" if share is None else share,
                                    _late_text(link["late"]), "\n".join(breaks)], wrap)
            cs.set_column(2, 2, 40)
            cs.set_column(7, 7, 90)
        wb.close()
