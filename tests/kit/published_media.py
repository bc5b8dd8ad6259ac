"""Render a transcribed published report (tests/fixtures/published*.json) into the media
governments publish it in: a Word .docx with merged cells (and, through LibreOffice, its
PDF), a government web page (UTF-8 or GBK, and the .mhtml a browser saves), and flattened
text with the digits of a row glued together.

The layout is the official one (gipr.merge.html.table_grid: the format's labels with their
merge ranges), with the fixture's printed texts in the value cells and its label variants
("labels": {official: as printed}).  ``one_row_other`` prints （六）其他处理 as one row.
"""

from __future__ import annotations

import email.mime.image
import email.mime.multipart
import email.mime.text
import html as _html
import json
from pathlib import Path
from typing import Any

from gipr.merge.html import table_grid
from gipr.spec import Spec, load_format
from kit.paths import FIXTURES

Entry = tuple[str, str, int, int]  # kind, text, rowspan, colspan


def load(name: str) -> dict[str, Any]:
    """A fixture: {format, year, unit, title, narrative, printed {cid: text}, labels, ...}."""
    p = FIXTURES / name if (FIXTURES / name).exists() else FIXTURES / "published" / name
    d = json.loads(p.read_text(encoding="utf-8"))
    if "printed" not in d:
        d["printed"] = {k: "" if v is None else str(v) for k, v in d["values"].items()}
    d.setdefault("labels", {})
    d.setdefault("narrative", [])
    d.setdefault("title", f"{d['unit']}{d['year']}年政府信息公开工作年度报告")
    return d


def spec_of(fx: dict) -> Spec:
    return load_format(fx["format"])


def layout(fx: dict) -> list[tuple[str, list[list[Entry]]]]:
    """[(table title, rows of entries)] with printed texts and label variants applied; table
    二 is split into its blocks (one table each) when fx["split_t2"]."""
    spec = spec_of(fx)
    printed: dict[str, str] = fx["printed"]
    labels: dict[str, str] = fx["labels"]
    tables = []
    for t in spec.tables:
        if t.id == "t2" and not any(k.startswith("t2.") for k in printed):
            continue
        if t.id in ("t3", "t4") and not any(k.startswith(t.id + ".") for k in printed):
            continue
        rows: list[list[Entry]] = []
        for grow in table_grid(spec, t):
            row: list[Entry] = []
            for e in grow:
                if e is None:
                    row.append(("value", "", 1, 1))
                    continue
                kind, payload, rs, cs = e
                if kind == "value":
                    row.append(("value", printed.get(payload, ""), rs, cs))
                else:
                    row.append((kind, labels.get(payload, payload), rs, cs))
            rows.append(row)
        if t.id == "t3" and fx.get("one_row_other"):
            rows = _one_row_other(rows, fx["one_row_other"], labels)
        if t.id == "t2" and fx.get("split_t2"):
            block: list[list[Entry]] = []
            for row in rows:
                if row[0][0] == "heading" and block:
                    tables.append((t.title if not tables or tables[-1][0] != t.title else "", block))
                    block = []
                block.append(row)
            tables.append(("", block))
            continue
        tables.append((t.title, rows))
    return tables


def _one_row_other(rows: list[list[Entry]], values: list[str], labels: dict) -> list[list[Entry]]:
    out = []
    skip = 0
    group = labels.get("（六）其他处理", "（六）其他处理")
    for row in rows:
        if skip:
            skip -= 1
            continue
        if row and row[0][1] == group and row[0][2] == 3:
            out.append([("row", group, 1, 2)] + [("value", v, 1, 1) for v in values])
            skip = 2
            continue
        out.append(row)
    for row in out:  # 三、本年度办理结果 now spans two rows fewer
        for i, (k, text, rs, cs) in enumerate(row):
            if k == "row" and rs > 3 and text.startswith("三"):
                row[i] = (k, text, rs - 2, cs)
    return out


def place(rows: list[list[Entry]]) -> tuple[list[tuple[int, int, int, int, str, str]], int]:
    """Absolute positions (r, c, rowspan, colspan, kind, text) and the width."""
    taken: set[tuple[int, int]] = set()
    out = []
    width = 0
    for r, row in enumerate(rows):
        c = 0
        for kind, text, rs, cs in row:
            while (r, c) in taken:
                c += 1
            out.append((r, c, rs, cs, kind, text))
            for dr in range(rs):
                for dc in range(cs):
                    taken.add((r + dr, c + dc))
            c += cs
            width = max(width, c)
    return out, width


# -----------------------------------------------------------------------------------------
def write_docx(fx: dict, path: Path) -> Path:
    import docx

    d = docx.Document()
    d.add_paragraph(fx["title"])
    for para in fx["narrative"]:
        d.add_paragraph(para)
    for title, rows in layout(fx):
        if title:
            d.add_paragraph(title)
        cells, width = place(rows)
        t = d.add_table(rows=len(rows), cols=width)
        if not fx.get("borderless"):  # a table exported without borders: no ruling lines in its PDF
            t.style = "Table Grid"
        if fx.get("repeat_header") and title.startswith("三"):
            from docx.oxml import OxmlElement
            from docx.oxml.ns import qn

            for tr in t._tbl.tr_lst[:3]:  # the header repeats on every page the table runs over
                trpr = tr.get_or_add_trPr()
                el = OxmlElement("w:tblHeader")
                el.set(qn("w:val"), "true")
                trpr.append(el)
        for r, c, rs, cs, _kind, text in cells:
            cell = t.cell(r, c)
            if rs > 1 or cs > 1:
                cell = cell.merge(t.cell(r + rs - 1, c + cs - 1))
            cell.text = text
    # a report goes on after its tables (and Word never ends a document with a table)
    for para in fx.get("after", ["五、存在的主要问题及改进情况", "六、其他需要报告的事项"]):
        d.add_paragraph(para)
    d.save(str(path))
    return path


def write_tabbed(fx: dict, path: Path) -> Path:
    """The tables laid out with tabs, not as Word tables: one paragraph a row (its labels,
    then its numbers at left tab stops, a blank cell an empty tab), as reports typed by hand
    are; converted to PDF it has no ruling lines and single-spaced rows."""
    import docx
    from docx.enum.text import WD_TAB_ALIGNMENT
    from docx.shared import Pt

    d = docx.Document()
    sec = d.sections[0]
    sec.left_margin = sec.right_margin = Pt(36)
    normal = d.styles["Normal"]
    normal.font.size = Pt(7)
    normal.paragraph_format.space_after = Pt(0)
    d.add_paragraph(fx["title"])
    for para in fx["narrative"]:
        d.add_paragraph(para)
    for title, rows in layout(fx):
        if title:
            d.add_paragraph(title)
        for row in rows:
            labels = [t for k, t, _rs, _cs in row if k != "value" and t]
            vals = [t for k, t, _rs, _cs in row if k == "value"]
            if not vals:
                continue
            p = d.add_paragraph(" ".join(labels) + "\t" + "\t".join(vals))
            for i in range(15):  # table 四's fifteen columns fit; the labels end before the first
                p.paragraph_format.tab_stops.add_tab_stop(Pt(320 + 14 * i), WD_TAB_ALIGNMENT.LEFT)
    for para in fx.get("after", ["五、存在的主要问题及改进情况"]):
        d.add_paragraph(para)
    d.save(str(path))
    return path


_PAGE = """<!DOCTYPE html>
<html lang="zh-CN"><head><meta http-equiv="Content-Type" content="text/html; charset={charset}">
<title>{title}</title>
<link rel="stylesheet" href="http://127.0.0.1:9/never-fetched.css">
<script src="http://127.0.0.1:9/never-run.js"></script>
<script>document.title = "被执行了";</script>
<style>.nav li {{ display: inline; }}</style></head>
<body>
<div class="header"><img src="http://127.0.0.1:9/logo.png" alt="政府门户网站"><h3>某某县人民政府门户网站</h3></div>
<ul class="nav"><li><a href="/">首页</a></li><li><a href="/zwgk/">政务公开</a></li><li><a href="/hdjl/">互动交流</a></li></ul>
<table class="layout" width="100%"><tr><td class="side">当前位置：首页 &gt; 政府信息公开 &gt; 年报</td><td class="main">
<div class="article"><h1>{title}</h1><p class="meta">发布时间：{date}　来源：{unit}</p>
{body}
</div></td></tr></table>
<div class="footer"><p>主办单位：某某县人民政府办公室　ICP备案号：X ICP备00000000号</p></div>
</body></html>
"""


def html_page(fx: dict, charset: str = "utf-8") -> str:
    parts = [f"<p>{_html.escape(p)}</p>" for p in fx["narrative"]]
    for title, rows in layout(fx):
        if title:
            parts.append(f"<p><strong>{_html.escape(title)}</strong></p>")
        parts.append('<table border="1" cellspacing="0" cellpadding="0" style="border-collapse:collapse">')
        for row in rows:
            tds = []
            for _kind, text, rs, cs in row:
                span = (f' rowspan="{rs}"' if rs > 1 else "") + (f' colspan="{cs}"' if cs > 1 else "")
                inner = _html.escape(text) if text else "&nbsp;"
                tds.append(f'<td{span}><p style="text-align:center"><span style="font-size:14px">{inner}</span></p></td>')
            parts.append("<tr>" + "".join(tds) + "</tr>")
        parts.append("</table>")
    parts += [f"<p>{_html.escape(p)}</p>" for p in fx.get("after", [])]
    return _PAGE.format(charset=charset, title=_html.escape(fx["title"]), date=f"{fx['year'] + 1}-01-20",
                        unit=_html.escape(fx["unit"]), body="\n".join(parts))


def write_html(fx: dict, path: Path, charset: str = "utf-8") -> Path:
    enc = "gbk" if charset.lower() in ("gbk", "gb2312") else charset
    path.write_bytes(html_page(fx, charset).encode(enc))
    return path


def write_mhtml(fx: dict, path: Path, charset: str = "gbk") -> Path:
    msg = email.mime.multipart.MIMEMultipart("related", type="text/html")
    msg["Subject"] = fx["title"]
    msg["Snapshot-Content-Location"] = "http://www.example.gov.cn/zwgk/nb.html"
    part = email.mime.text.MIMEText(html_page(fx, charset), "html", charset if charset in ("gbk", "gb2312") else "utf-8")
    part["Content-Location"] = "http://www.example.gov.cn/zwgk/nb.html"
    msg.attach(part)
    img = email.mime.image.MIMEImage(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "png")
    img["Content-Location"] = "http://www.example.gov.cn/logo.png"
    msg.attach(img)
    path.write_bytes(msg.as_bytes())
    return path


def flat_text(fx: dict, glue: bool = True) -> str:
    """Each table row on one line: its labels, then its numbers run together (as copying a
    table out of a PDF viewer gives)."""
    lines = [fx["title"], *fx["narrative"]]
    for title, rows in layout(fx):
        if title:
            lines.append(title)
        for row in rows:
            labels = [t for k, t, _rs, _cs in row if k != "value" and t]
            vals = [t for k, t, _rs, _cs in row if k == "value"]
            sep = "" if glue and all(v.isdigit() for v in vals) else " "
            lines.append(" ".join(labels) + ("" if not vals else (" " if labels else "") + sep.join(vals)))
    lines += fx.get("after", [])
    return "\n".join(lines) + "\n"
