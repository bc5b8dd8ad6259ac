"""The roll-up's tables 二、三、四 as one self-contained HTML page, in the official layout.

The layout comes from the format's ``TableLayout.labels`` (every fixed text with its merge
range) and the cells' sheet positions, so the page has exactly the merged header cells
(rowspan/colspan) and the exact labels of the official tables.  No external resources:
the page can be pasted into the county's published annual report or printed as it is.

Every value cell carries ``data-cell="<cell id>"`` so a reader (or a test) can map the
page back to the roll-up.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path

from ..catalogue.access import say
from ..fsio import atomic_output
from ..spec import Spec
from ..values import fmt_number
from .layout import header_rows, table_grid

__all__ = ["render_html", "table_grid", "write_html"]

Number = int | Decimal

_CSS = """
:root { color-scheme: light; }
body { font-family: "SimSun", "Songti SC", "Noto Serif CJK SC", "Source Han Serif SC", serif;
       color: #000; background: #fff; margin: 24px; line-height: 1.5; }
h1 { font-size: 18pt; text-align: center; margin: 0 0 6px; font-weight: bold; }
p.gipr-sub { text-align: center; margin: 0 0 18px; font-size: 11pt; }
section.gipr-table { margin: 0 0 24px; break-inside: avoid; page-break-inside: avoid; }
h2 { font-size: 14pt; margin: 12px 0 8px; font-family: "SimHei", "Heiti SC", "Noto Sans CJK SC", sans-serif;
     font-weight: bold; }
table { border-collapse: collapse; width: 100%; table-layout: auto; font-size: 10.5pt; }
th, td { border: 1px solid #000; padding: 3px 5px; vertical-align: middle; }
th { font-weight: normal; text-align: center; }
th.gipr-row { text-align: left; }
th.gipr-heading { font-weight: bold; text-align: left; }
th.gipr-corner { font-size: 9.5pt; }
th.gipr-column { min-width: 3em; }
td.gipr-num { min-width: 3em; text-align: center; white-space: nowrap; font-variant-numeric: tabular-nums; }
p.gipr-note { font-size: 9.5pt; margin: 4px 0 0; }
@media print {
  body { margin: 0; }
  @page { size: A4; margin: 15mm 12mm; }
  thead { display: table-header-group; }
  tr { break-inside: avoid; page-break-inside: avoid; }
}
"""


def _attr(n: int, name: str) -> str:
    return f' {name}="{n}"' if n > 1 else ""


def render_html(
    spec: Spec,
    values: Mapping[str, Number | None],
    *,
    title: str | None = None,
    subtitle: str | None = None,
) -> str:
    """The tables 二、三、四 with ``values`` (cell id → number) as a complete HTML page."""
    esc = html.escape
    out: list[str] = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="generator" content="gipr">',
        f"<title>{esc(title or say('report.html.render_html.out'))}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        f'<main class="gipr-report" data-format="{esc(spec.id)}">',
    ]
    if title:
        out.append(f"<h1>{esc(title)}</h1>")
    if subtitle:
        out.append(f'<p class="gipr-sub">{esc(subtitle)}</p>')
    for t in spec.tables:
        out.append(f'<section class="gipr-table" id="{esc(t.id)}">')
        out.append(f"<h2>{esc(t.title)}</h2>")
        out.append("<table>")
        grid = table_grid(spec, t)
        nhead = header_rows(spec, t)
        for i, row in enumerate(grid):
            if i == 0 and nhead:
                out.append("<thead>")
            if i == nhead:
                out.append("<tbody>")
            cells: list[str] = []
            for e in row:
                if e is None:
                    cells.append("<td></td>")
                    continue
                kind, payload, rs, cs = e
                span = _attr(rs, "rowspan") + _attr(cs, "colspan")
                if kind == "value":
                    cell = spec.cells[payload]
                    text = fmt_number(values.get(payload))
                    cells.append(f'<td class="gipr-num" data-cell="{esc(payload)}"'
                                 f' data-type="{esc(cell.type)}"{span}>{esc(text)}</td>')
                else:
                    scope = ' scope="col"' if kind in ("column", "band") else ' scope="row"' if kind == "row" else ""
                    cells.append(f'<th class="gipr-{kind}"{scope}{span}>{esc(payload)}</th>')
            out.append("<tr>" + "".join(cells) + "</tr>")
            if i == nhead - 1 and nhead:
                out.append("</thead>")
        out.append("</tbody>")
        out.append("</table>")
        if t.note:
            out.append(say("report.html.render_html", esc=esc(t.note)))
        out.append("</section>")
    out += ["</main>", "</body>", "</html>", ""]
    return "\n".join(out)


def write_html(path: str | Path, spec: Spec, values: Mapping[str, Number | None], *,
               overwrite: bool = False, title: str | None = None, subtitle: str | None = None) -> Path:
    """Write the page atomically; an existing file is replaced only with ``overwrite``."""
    page = render_html(spec, values, title=title, subtitle=subtitle)
    path = Path(path)
    with atomic_output(path, overwrite=overwrite) as tmp:
        tmp.write_text(page, encoding="utf-8")
    return path
