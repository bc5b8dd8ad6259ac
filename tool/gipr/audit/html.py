"""The audit's HTML summary: one self-contained page (no script, no outside file), readable as
it is and printable: the counts, two inline SVG bar charts (findings by kind, issuers by
number of problems), one table per issuer's chain of years and the documents not audited."""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

from .. import messages
from ..catalogue.access import textkey
from ..fsio import atomic_write_bytes
from .report import KINDS

__all__ = ["audit_html", "bar_chart", "write_audit_html"]

MAX_BARS = 25  # issuers shown in the problems chart
_CSS = """
body{font-family:"Noto Sans CJK SC","Microsoft YaHei","PingFang SC",sans-serif;margin:2em;color:#222;max-width:1100px}
h1{font-size:1.5em}h2{font-size:1.2em;border-bottom:1px solid #ccc;margin-top:1.6em}
table{border-collapse:collapse;margin:.5em 0;font-size:.9em;width:100%}
th,td{border:1px solid #bbb;padding:.25em .5em;vertical-align:top;text-align:left}
th{background:#eef3f8}.num{text-align:right}.bad{color:#b00000}.warn{color:#8a5a00}.ok{color:#2a6e2a}
.cards{display:flex;flex-wrap:wrap;gap:.6em}.card{border:1px solid #ccc;border-radius:4px;padding:.4em .8em}
.card b{font-size:1.3em;display:block}svg text{font-size:12px;font-family:inherit}
@media print{body{margin:0;max-width:none}h2{break-after:avoid}table,svg{break-inside:avoid}}
"""


def bar_chart(items: list[tuple[str, int]], *, title: str, color: str = "#4a7ab5") -> str:
    """A horizontal bar chart as inline SVG (labels left, values right)."""
    if not items:
        return ""
    top = max(v for _l, v in items) or 1
    row, label_w, bar_w = 22, 260, 520
    h = row * len(items) + 30
    out = [f'<svg role="img" aria-label="{escape(title)}" width="{label_w + bar_w + 60}" height="{h}" '
           f'viewBox="0 0 {label_w + bar_w + 60} {h}" xmlns="http://www.w3.org/2000/svg">',
           f'<text x="0" y="14" font-weight="bold">{escape(title)}</text>']
    for i, (label, v) in enumerate(items):
        y = 24 + i * row
        w = round(bar_w * v / top)
        short = label if len(label) <= 20 else label[:19] + "…"
        out.append(f'<text x="{label_w - 6}" y="{y + 14}" text-anchor="end">{escape(short)}</text>'
                   f'<rect x="{label_w}" y="{y + 3}" width="{max(w, 1)}" height="{row - 8}" fill="{color}"/>'
                   f'<text x="{label_w + w + 4}" y="{y + 14}">{v}</text>')
    out.append("</svg>")
    return "".join(out)


def _cls(state: str) -> str:
    return {"errors": "bad", "missing": "bad", "warnings": "warn"}.get(state, "ok")


def audit_html(data: dict[str, Any]) -> str:
    say = messages.say
    s = data["summary"]
    years = "、".join(str(y) for y in data["years"]) or "、".join(str(y) for y in sorted({r["year"] for r in data["rows"]}))
    parts = [f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{escape(say("audit.html.title"))}'
             f'</title><style>{_CSS}</style></head><body>',
             f'<h1>{escape(say("audit.html.title"))}</h1><p>{escape(say("audit.html.lead", years=years or "？", **s))}</p>',
             '<div class="cards">']
    for key in ("issuers", "reported", "missing", "with_errors", "late", "copied", "unreadable", "unassigned",
                "duplicates", "conflicts", "other_years"):
        parts.append(f'<div class="card"><b>{s[key]}</b>{escape(say(textkey("audit.html.card." + key)))}</div>')
    parts.append("</div>")
    kinds = [(say(textkey("audit.kind." + k)), s["findings_by_kind"][k]) for k in KINDS]
    parts.append(f"<h2>{escape(say('audit.html.charts'))}</h2>")
    parts.append(bar_chart(kinds, title=say("audit.html.by_kind")))
    per: dict[str, int] = {}
    for r in data["rows"]:
        per[r["issuer"]] = per.get(r["issuer"], 0) + r["errors"] + r["warnings"]
    worst = sorted(((k, v) for k, v in per.items() if v), key=lambda kv: (-kv[1], kv[0]))[:MAX_BARS]
    if worst:
        parts.append(bar_chart(worst, title=say("audit.html.by_issuer", n=len(worst)), color="#b5574a"))
    parts.append(f"<h2>{escape(say('audit.html.chains'))}</h2>")
    rows_by: dict[str, list[dict]] = {}
    for r in data["rows"]:
        rows_by.setdefault(r["issuer"], []).append(r)
    head = "".join(f"<th>{escape(x)}</th>" for x in messages.say("heading.audit.html_chain").split("|"))
    for issuer, rows in rows_by.items():
        level = say(textkey("audit.level." + (rows[0]["level"] or "unknown")))
        parts.append(f"<h3>{escape(issuer)}（{escape(level)}）</h3><table><tr>{head}</tr>")
        for r in rows:
            share = "" if r["repeated_share"] is None else f"{r['repeated_share']:.0%}"
            late = r["late"]
            late_t = "" if not late else (say("audit.sheet.late_days", days=late["days"], deadline=late["deadline"])
                                          if late["late"] else say("audit.sheet.on_time", deadline=late["deadline"]))
            problems = "".join(f'<li class="{"bad" if f["severity"] == "error" else "warn"}">{escape(f["message"])}</li>'
                               for f in r["findings"] if f["severity"] != "info")
            parts.append(f'<tr><td>{r["year"]}</td><td class="{_cls(r["state"])}">{escape(say(textkey("audit.state." + r["state"])))}'
                         f'</td><td>{escape(Path(r["document"]).name if r["document"] else "")}</td>'
                         f'<td class="num">{r["errors"]}</td><td class="num">{r["warnings"]}</td>'
                         f'<td class="num">{share}</td><td>{escape(late_t)}</td>'
                         f'<td>{"<ul>" + problems + "</ul>" if problems else ""}</td></tr>')
        parts.append("</table>")
    lists = [("unreadable", [(d["file"], d["message"] or "") for d in data["unreadable"]]),
             ("unassigned", [(d["file"], d["issuer"] or "") for d in data["unassigned"]]),
             ("other_years", [(d["file"], str(d["year"])) for d in data["other_years"]]),
             ("conflicts", [(c["file"], c["used"]) for c in data["conflicts"]]),
             ("duplicates", [(d["file"], d["same_as"]) for d in data["duplicates"]]),
             ("not_reports", [(d["file"], d["code"] or "") for d in data["not_reports"]])]
    if any(items for _k, items in lists) or data["ignored"]:
        parts.append(f"<h2>{escape(say('audit.html.files'))}</h2><table>")
        parts.append("".join(f"<th>{escape(x)}</th>" for x in messages.say("heading.audit.files").split("|")))
        for key, items in lists:
            for file, note in items:
                parts.append(f"<tr><td>{escape(say(textkey('audit.file.' + key)))}</td><td>{escape(file)}</td>"
                             f"<td>{escape(note)}</td></tr>")
        if data["ignored"]:
            parts.append(f"<tr><td>{escape(say('audit.file.ignored'))}</td>"
                         f"<td colspan=2>{escape(say('audit.html.ignored', n=len(data['ignored'])))}</td></tr>")
        parts.append("</table>")
    parts.append(f"<p>{escape(say('audit.html.foot', seconds=s['seconds'], workers=s['workers']))}</p></body></html>")
    return "".join(parts)


def write_audit_html(path: str | Path, data: dict[str, Any]) -> None:
    atomic_write_bytes(path, audit_html(data).encode("utf-8"), overwrite=True)
