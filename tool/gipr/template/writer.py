"""Write one template (or a roll-up's official sheets): ``build_workbook`` /
``write_template``."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.utility import quote_sheetname, xl_rowcol_to_cell

from ..errors import GiprError
from ..fsio import atomic_output, safe_filename
from ..messages import SEVERITY_ZH, say
from ..roster import Unit
from ..rules import Number
from ..spec import HEADER_ROW, TITLE_ROW, UNIT_ROW, Cell, Spec, TableLayout
from ..stamp import make_identity, write_identity
from .formulas import (
    STATUS_FAIL,
    STATUS_INCOMPLETE,
    STATUS_PASS,
    cached_value,
    cells_of,
    combined_status,
    compute_totals,
    fail_expr,
    ranges,
    refs,
    rule_status,
    status_formula,
    total_formula,
    type_cf,
    type_fail_expr,
    type_message,
    type_status,
    validation,
)
from .layout import (
    AMBER,
    FONT,
    GREEN,
    HEADER_FILL,
    INPUT_FILL,
    MARK_FILL,
    PREFILL_FILL,
    PROTECT_OPTIONS,
    RED,
    WORKBOOK_OPTIONS,
    CheckLayout,
    Formats,
    check_layout,
    fit_heights,
    unit_line,
    width_units_of,
    year_text,
)

DEFAULT_PASSWORD = "gipr"


def check_password(password: str) -> str:
    """``password`` if Excel and WPS can unlock a sheet protected with it, else GiprError.

    XlsxWriter writes only the legacy 16-bit sheet-protection hash and feeds it each
    character's code point, while the specification (ECMA-376 sheetProtection; MS-OFFCRYPTO
    2.3.7.1) first converts the password to an 8-bit code page: the two agree for printable
    ASCII only, so any other character is refused (tests/test_template_password.py checks the
    hash against the specification's algorithm)."""
    bad = [ch for ch in password if not (" " <= ch <= "~")]
    if bad:
        raise GiprError(say("usage.password_ascii", chars="".join(dict.fromkeys(bad))[:10]), "usage.password")
    return password


def password_hash(password: str) -> str:
    """The legacy 16-bit password verifier of ``sheetProtection`` and ``workbookProtection``
    (ECMA-376 Part 1 §18.2.29; MS-OFFCRYPTO 2.3.7.1) for a ``check_password`` password, the
    same value XlsxWriter writes for the sheets."""
    h = 0
    for ch in reversed(password):
        h = ((h >> 14) & 0x01) | ((h << 1) & 0x7FFF)
        h ^= ord(ch)
    h = ((h >> 14) & 0x01) | ((h << 1) & 0x7FFF)
    return f"{h ^ len(password) ^ 0xCE4B:04X}"


def lock_workbook_structure(wb: xlsxwriter.Workbook, password: str) -> None:
    """Have ``wb`` write ``<workbookProtection workbookPassword=".." lockStructure="1"/>``
    into xl/workbook.xml when it is closed, so Excel, WPS and LibreOffice refuse to add,
    delete, move, rename, hide or unhide sheets until the workbook is unprotected with
    ``password`` (the sheets' password).

    XlsxWriter has no workbook protection, so the element is written by wrapping the
    method that writes ``<workbookPr>``: in CT_Workbook's sequence (fileVersion,
    fileSharing, workbookPr, workbookProtection, bookViews, sheets, …) it comes right
    after it.  Written as the workbook is assembled, it lands in every template however it
    is finished (a file, or the in-memory package ``TemplateFactory`` renders from), with
    no second pass over the zip; tests/test_template_structure.py checks the position."""
    write_pr = getattr(wb, "_write_workbook_pr", None)
    if write_pr is None or not hasattr(wb, "_xml_empty_tag"):  # pyproject pins xlsxwriter 3.x
        raise RuntimeError("this xlsxwriter cannot be given workbook protection")
    attrs = [("workbookPassword", password_hash(password)), ("lockStructure", 1)]

    def write_pr_and_protection() -> None:
        write_pr()
        wb._xml_empty_tag("workbookProtection", attrs)

    wb._write_workbook_pr = write_pr_and_protection


def build_workbook(wb: xlsxwriter.Workbook, spec: Spec, *, year: int, unit: Unit | None,
                   values: dict[str, Any] | None = None, identity: dict | None = None,
                   units: list[dict] | None = None, protect: bool = True, password: str = DEFAULT_PASSWORD,
                   marks: dict[str, tuple[str, str]] | None = None,
                   fields: dict[str, str] | None = None, lock_structure: bool = True) -> dict:
    """Write the cover, the three tables and the identity into ``wb``.

    ``values``: input cells written as numbers (None or absent = blank); totals are always
    live formulas with the correct cached value.  ``marks``: cell id (or cover field id)
    → (severity, Chinese comment), highlighted and commented.  ``fields``: cover field
    values, always written as text.  With ``protect`` the sheets are protected and, unless
    ``lock_structure`` is False, so is the workbook's structure (``lock_workbook_structure``).
    Returns the formats made (name → Format).
    """
    year = int(year)
    computed = compute_totals(spec, values)
    marks = dict(marks or {})
    for k, (sev, _msg) in marks.items():
        if sev not in MARK_FILL:
            raise ValueError(f"unknown severity {sev!r} for mark {k}")
        if k not in spec.cells and k not in {f.id for f in spec.cover}:
            raise ValueError(f"mark for unknown cell {k!r}")
    fields = {k: ("" if v is None else str(v)) for k, v in (fields or {}).items()}
    unknown = [k for k in fields if k not in {f.id for f in spec.cover}]
    if unknown:
        raise ValueError(f"unknown cover fields: {', '.join(unknown)}")
    fmts = Formats(wb)
    if identity is None:
        identity = make_identity(spec, year, unit, kind="template", units=units)
    pw = check_password(password) if protect else None
    if pw is not None and lock_structure:
        lock_workbook_structure(wb, pw)

    cover_values: dict[str, str] = {}
    if unit is not None:
        cover_values.update(unit_name=unit.name, unit_code=unit.code)
    cover_values["year"] = year_text(year)
    cover_values.update(fields)
    unit_name = cover_values.get("unit_name", "")

    cover_ws = wb.add_worksheet(spec.cover_sheet)
    table_ws = {t.id: wb.add_worksheet(t.sheet) for t in spec.tables}
    layouts = {t.id: check_layout(spec, t) for t in spec.tables}
    statuses: dict[str, str] = {}
    for t in spec.tables:
        statuses[t.id] = _write_table(wb, table_ws[t.id], spec, t, layouts[t.id], fmts, computed, marks,
                                      year, unit_name, prefilled_unit=bool(unit_name), pw=pw)
    _write_cover(cover_ws, spec, fmts, year, cover_values, marks, layouts, statuses, pw=pw)
    cover_ws.activate()
    cover_ws.set_first_sheet()

    write_identity(wb, identity, units, password=pw)
    wb.set_properties({
        "title": say("template.writer.build_workbook.title", year=year),
        "subject": unit_name,
        "author": "gipr",
        "comments": say("template.writer.build_workbook.comments", name=spec.name, source=spec.source, id=spec.id),
        "keywords": say("template.writer.build_workbook.keywords"),
    })
    wb.set_calc_mode("auto")
    return dict(fmts.made)


def _write_table(wb, ws, spec: Spec, t: TableLayout, lay: CheckLayout, fmts: Formats,
                 computed: dict[str, Number | None], marks: dict[str, tuple[str, str]], year: int,
                 unit_name: str, prefilled_unit: bool, pw: str | None) -> str:
    width, lc = t.width, t.label_cols
    cells = [spec.cells[cid] for cid in t.cells]
    inputs = [c for c in cells if c.input]

    # --- column widths from the labels
    val_cols = sorted({c.colx for c in cells})
    widths: dict[int, float] = dict.fromkeys(range(width), 8.0)
    val_need = 10.0
    for lab in t.labels:
        if lab.kind in ("title", "heading") or lab.c0 != lab.c1:
            continue
        u = width_units_of(lab.text)
        nrows = lab.r1 - lab.r0 + 1
        if lab.c0 in val_cols and lab.kind in ("column", "band"):
            val_need = max(val_need, min(u / (2 if u > 16 else 1) + 2, 16))
        elif lab.kind in ("row", "corner"):
            need = (u / max(1, nrows) + 2) if nrows >= 3 else min(u + 2, 44)
            widths[lab.c0] = max(widths[lab.c0], min(max(need, 8), 44))
    for col in val_cols:
        widths[col] = max(widths.get(col, 0), val_need)
    # the check-area labels of a table without row labels need no extra width
    for col, w in widths.items():
        ws.set_column(col, col, w)

    heights: dict[int, float] = {}
    texts: list[tuple[str, int, int, int, int]] = []

    # --- title, unit line
    title = next(lab for lab in t.labels if lab.kind == "title")
    ws.merge_range(title.r0, title.c0, title.r1, title.c1, "", fmts.title())
    ws.write_string(title.r0, title.c0, title.text, fmts.title())
    heights[TITLE_ROW] = 32
    unit_fmt = fmts.get("unit_line", align="left")
    if width > 1:
        ws.merge_range(UNIT_ROW, 0, UNIT_ROW, width - 1, "", unit_fmt)
    if prefilled_unit:
        ws.write_string(UNIT_ROW, 0, unit_line(spec, year, unit_name), unit_fmt)
    else:
        f = spec.cover_field("unit_name")
        ref = quote_sheetname(spec.cover_sheet) + "!" + xl_rowcol_to_cell(f.row, f.col, True, True)
        ws.write_formula(UNIT_ROW, 0, say("template.writer.write_table", ref=ref), unit_fmt, unit_line(spec, year, unit_name))
    heights[UNIT_ROW] = 22

    # --- fixed labels
    for lab in t.labels:
        if lab.kind == "title":
            continue
        f = fmts.label("row_group" if lab.kind == "row" and lab.r1 > lab.r0 else lab.kind)
        if lab.merged:
            ws.merge_range(lab.r0, lab.c0, lab.r1, lab.c1, "", f)
        ws.write_string(lab.r0, lab.c0, lab.text, f)
        texts.append((lab.text, lab.r0, lab.c0, lab.r1, lab.c1))

    # --- value cells (the last cell of a narrow block spans to the table's width, like its header)
    rightmost: dict[int, int] = {}
    for c in cells:
        rightmost[c.rowx] = max(rightmost.get(c.rowx, -1), c.colx)
    for c in cells:
        mark = marks[c.id][0] if c.id in marks else None
        if c.input:
            f = fmts.value("input", mark, locked=False, amount=c.type == "amount")
        else:
            f = fmts.value("total", mark, locked=True)
        if rightmost[c.rowx] == c.colx and c.colx < width - 1:
            ws.merge_range(c.rowx, c.colx, c.rowx, width - 1, "", f)
        if c.input:
            v = computed[c.id]
            if v is None:
                ws.write_blank(c.rowx, c.colx, None, f)
            else:
                ws.write_number(c.rowx, c.colx, cached_value(v), f)
        else:
            ws.write_formula(c.rowx, c.colx, total_formula(spec, c), f, cached_value(computed[c.id]))
        if c.id in marks:
            sev, msg = marks[c.id]
            ws.write_comment(c.rowx, c.colx, f"【{SEVERITY_ZH[sev]}】{msg}",
                             {"author": "gipr", "x_scale": 2.2, "y_scale": 1.6, "font_name": FONT["font_name"],
                              "font_size": 10})

    # --- data validation, by (type, unit)
    groups: dict[tuple[str, str | None], list[Cell]] = {}
    for c in inputs:
        groups.setdefault((c.type, c.unit), []).append(c)
    for (ctype, cunit), cs in groups.items():
        rngs = ranges(cs)
        first = rngs[0].split(":")
        dv = validation(spec, ctype, cunit)
        dv["multi_range"] = " ".join(rngs)
        (r0, c0) = _a1(first[0])
        (r1, c1) = _a1(first[-1])
        ws.data_validation(r0, c0, r1, c1, dv)

    # --- note
    if t.note and lay.note_row is not None:
        nf = fmts.get("note", align="left", text_wrap=True, font_size=10)
        if width > 1:
            ws.merge_range(lay.note_row, 0, lay.note_row, width - 1, "", nf)
        ws.write_string(lay.note_row, 0, say("template.writer.write_table_2", note=t.note), nf)
        texts.append((say("template.writer.write_table_2", note=t.note), lay.note_row, 0, lay.note_row, width - 1))

    # --- check area
    status = _write_checks(ws, spec, t, lay, fmts, computed, inputs, texts, heights)

    # --- heights
    fit_heights(texts, widths, heights, 20.0)
    for r in range(HEADER_ROW, lay.last_row + 1):
        heights.setdefault(r, 20.0)
    for r, h in heights.items():
        ws.set_row(r, round(h, 1))

    # --- print set-up
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)
    ws.center_horizontally()
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    ws.set_footer(say("template.writer.write_table_3"))
    last_print = lay.note_row if lay.note_row is not None else t.last_row
    ws.print_area(0, 0, last_print, width - 1)
    blocks = sum(1 for lab in t.labels if lab.kind == "heading")
    data0 = min(c.rowx for c in cells)
    if blocks == 0:
        ws.repeat_rows(TITLE_ROW, data0 - 1)
        if lc > 0:
            ws.freeze_panes(data0, lc)
    else:
        ws.repeat_rows(TITLE_ROW, UNIT_ROW)
    if pw is not None:
        ws.protect(pw, PROTECT_OPTIONS)
    return status


def _a1(ref: str) -> tuple[int, int]:
    from xlsxwriter.utility import xl_cell_to_rowcol

    return xl_cell_to_rowcol(ref.replace("$", ""))


def _write_checks(ws, spec: Spec, t: TableLayout, lay: CheckLayout, fmts: Formats,
                  computed: dict[str, Number | None], inputs: list[Cell],
                  texts: list[tuple[str, int, int, int, int]], heights: dict[int, float]) -> str:
    width = t.width
    head_f = fmts.get("check_head", bold=True, align="left", text_wrap=True, bottom=1)
    lab_f = fmts.get("check_label", align="left", text_wrap=True, border=1, font_size=10)
    stat_f = fmts.get("check_status", align="center", bold=True, border=1, font_size=10)
    num_f = fmts.get("check_num", align="center", bold=True, border=1, font_size=10)

    def span(r, c0, c1, text, f):
        if c1 > c0:
            ws.merge_range(r, c0, r, c1, "", f)
        ws.write_string(r, c0, text, f)
        texts.append((text, r, c0, r, c1))

    head = say("template.writer.write_checks.head")
    span(lay.first_row, 0, width - 1, head, head_f)
    heights[lay.first_row] = 24

    for r, c0, c1, text in lay.row_labels:
        span(r, c0, c1, text, lab_f)
    status_refs: list[str] = []
    statuses: list[str] = []
    for it in lay.items:
        if it.label is not None:
            span(it.row, it.label_c0, it.label_c1, it.label, lab_f)
        st = combined_status(rule_status(spec, x, computed) for x in it.rules)
        statuses.append(st)
        if it.col_end > it.col:
            ws.merge_range(it.row, it.col, it.row, it.col_end, "", stat_f)
        ws.write_formula(it.row, it.col, status_formula(spec, it.rules), stat_f, st)
        status_abs = xl_rowcol_to_cell(it.row, it.col, True, True)
        status_refs.append(status_abs)
        # conditional formatting: the cells of a failing rule turn red
        for x in it.rules:
            cond = f'={status_abs}="{STATUS_FAIL}"' if len(it.rules) == 1 else f"={fail_expr(spec, x)}"
            for rng in ranges(cells_of(spec, x.cells)):
                r0, c0 = _a1(rng.split(":")[0])
                r1, c1 = _a1(rng.split(":")[-1])
                ws.conditional_format(r0, c0, r1, c1, {"type": "formula", "criteria": cond, "format": _cf(fmts, RED)})

    # data types (rule family of kind "type")
    if lay.type_row is not None and lay.type_rule is not None:
        span(lay.type_row, 0, lay.label_c1, lay.type_rule.title, lab_f)
        expr = type_fail_expr(spec, inputs)
        st = type_status(spec, inputs, computed)
        statuses.append(st)
        if lay.value_c1 > lay.value_c0:
            ws.merge_range(lay.type_row, lay.value_c0, lay.type_row, lay.value_c1, "", stat_f)
        n = len(inputs)
        ws.write_formula(lay.type_row, lay.value_c0,
                         f'=IF(IFERROR({expr},1)>0,"{STATUS_FAIL}",IF(COUNT({refs(inputs, True)})<{n},'
                         f'"{STATUS_INCOMPLETE}","{STATUS_PASS}"))', stat_f, st)
        status_refs.append(xl_rowcol_to_cell(lay.type_row, lay.value_c0, True, True))
        for rng in ranges(inputs):
            r0, c0 = _a1(rng.split(":")[0])
            r1, c1 = _a1(rng.split(":")[-1])
            top_left = xl_rowcol_to_cell(r0, c0)
            cell = next(c for c in inputs if (c.rowx, c.colx) == (r0, c0))
            ws.conditional_format(r0, c0, r1, c1, {"type": "formula", "criteria": type_cf(spec, cell, top_left),
                                                   "format": _cf(fmts, RED)})

    # unfilled count
    n = len(inputs)
    filled = sum(1 for c in inputs if computed.get(c.id) is not None)
    span(lay.unfilled_row, 0, lay.label_c1, say("template.writer.write_checks"), lab_f)
    if lay.value_c1 > lay.value_c0:
        ws.merge_range(lay.unfilled_row, lay.value_c0, lay.unfilled_row, lay.value_c1, "", num_f)
    unfilled_formula = f"={n}-COUNT({refs(inputs)})" if inputs else "=0"
    ws.write_formula(lay.unfilled_row, lay.value_c0, unfilled_formula, num_f, n - filled)

    # table status
    span(lay.status_row, 0, lay.label_c1, say("template.writer.write_checks_2"), fmts.get("check_label_b", align="left", bold=True,
                                                                   border=1, font_size=10))
    unfilled_abs = xl_rowcol_to_cell(lay.unfilled_row, lay.value_c0, True, True)
    if status_refs:
        any_fail = "OR(" + ",".join(f'{s}="{STATUS_FAIL}"' for s in status_refs) + ")"
    else:
        any_fail = "FALSE()"
    total_st = STATUS_FAIL if STATUS_FAIL in statuses else (STATUS_INCOMPLETE if n - filled > 0 else STATUS_PASS)
    if lay.value_c1 > lay.value_c0:
        ws.merge_range(lay.status_row, lay.value_c0, lay.status_row, lay.value_c1, "", stat_f)
    ws.write_formula(lay.status_row, lay.value_c0,
                     f'=IF({any_fail},"{STATUS_FAIL}",IF({unfilled_abs}>0,"{STATUS_INCOMPLETE}","{STATUS_PASS}"))',
                     stat_f, total_st)

    # colour every status cell
    top = lay.first_row + 1
    _status_cf(ws, fmts, top, 0, lay.status_row, width - 1)
    return total_st


def _cf(fmts: Formats, colors: dict[str, str]):
    key = "cf" + repr(sorted(colors.items()))
    f = fmts.made.get(key)
    if f is None:
        f = fmts.wb.add_format(dict(colors))
        fmts.made[key] = f
    return f


def _status_cf(ws, fmts: Formats, r0: int, c0: int, r1: int, c1: int) -> None:
    for text, colors in ((STATUS_PASS, GREEN), (STATUS_FAIL, RED), (STATUS_INCOMPLETE, AMBER)):
        ws.conditional_format(r0, c0, r1, c1, {"type": "cell", "criteria": "==", "value": f'"{text}"',
                                               "format": _cf(fmts, colors)})


def _write_cover(ws, spec: Spec, fmts: Formats, year: int, cover_values: dict[str, str],
                 marks: dict[str, tuple[str, str]], layouts: dict[str, CheckLayout], statuses: dict[str, str],
                 pw: str | None) -> None:
    widths = {0: 16.0, 1: 48.0, 2: 34.0}
    for c, w in widths.items():
        ws.set_column(c, c, w)
    texts: list[tuple[str, int, int, int, int]] = []
    heights: dict[int, float] = {}
    title_f = fmts.title()
    ws.merge_range(0, 0, 0, 2, "", title_f)
    ws.write_string(0, 0, say("template.writer.build_workbook.title", year=year), title_f)
    heights[0] = 36
    sub_f = fmts.get("cover_sub", align="center", font_size=10, text_wrap=True)
    ws.merge_range(1, 0, 1, 2, "", sub_f)
    sub = f"{spec.name}（{spec.source}）"
    ws.write_string(1, 0, sub, sub_f)
    texts.append((sub, 1, 0, 1, 2))

    lab_f = fmts.get("cover_label", bold=True, align="right", border=1, bg_color=HEADER_FILL)
    hint_f = fmts.get("cover_hint", align="left", font_size=9, font_color="#595959", text_wrap=True)
    last = 1
    for f in spec.cover:
        ws.write_string(f.row, f.col - 1, f.label, lab_f)
        v = cover_values.get(f.id, "")
        mark = marks.get(f.id, (None, ""))[0]
        locked = f.prefill and bool(v)
        props: dict[str, Any] = {"border": 1, "align": "left", "text_wrap": True, "locked": locked,
                                 "bg_color": PREFILL_FILL if locked else INPUT_FILL}
        if f.id == "date":
            props["num_format"] = say("template.writer.write_cover.num_format")
        else:
            props["num_format"] = "@"
        if mark:
            props.update(bg_color=MARK_FILL[mark], top=2, bottom=2, left=2, right=2, border_color="#C00000")
        vf = fmts.get(f"cover_value_{f.id}_{locked}_{mark}", **props)
        if v:
            ws.write_string(f.row, f.col, v, vf)
        else:
            ws.write_blank(f.row, f.col, None, vf)
        if locked:
            hint = say("template.writer.write_cover.hint")
        else:
            hint = say("template.writer.write_cover.hint_2") + (say("template.writer.write_cover.hint_3") if f.required == "error" else "")
            ws.data_validation(f.row, f.col, f.row, f.col, {
                "validate": "any", "input_title": say("template.writer.write_cover.input_title", label=f.label)[:32],
                "input_message": (say("template.writer.write_cover.input_message", label=f.label) + (say("template.writer.write_cover.input_message_2") if f.id == "date" else ""))[:255]})
        ws.write_string(f.row, f.col + 1, hint, hint_f)
        if f.id in marks:
            sev, msg = marks[f.id]
            ws.write_comment(f.row, f.col, f"【{SEVERITY_ZH[sev]}】{msg}", {"author": "gipr", "x_scale": 2.2,
                                                                          "y_scale": 1.6})
        heights[f.row] = 22
        last = max(last, f.row)

    r = last + 2
    head_f = fmts.get("cover_head", bold=True, align="left", font_size=12)
    ws.write_string(r, 0, say("template.writer.write_cover"), head_f)
    heights[r] = 22
    r += 1
    table_titles = "、".join(say("template.writer.write_cover.table_titles", name=t.name, title=t.title) for t in spec.tables)
    type_lines = []
    used = {c.type for c in spec.cells.values()}
    for ctype in spec.types:
        if ctype not in used:
            continue
        units = sorted({c.unit for c in spec.cells.values() if c.type == ctype and c.unit})
        _title, msg, _err = type_message(spec, ctype, units[0] if len(units) == 1 else None)
        type_lines.append(f"{spec.types[ctype].get('label', ctype)}：" + msg.split("。")[0].replace(say("template.writer.write_cover.hint_2"), say("template.writer.write_cover_2")))
    lines = [
        say("template.writer.write_cover.lines", name=spec.name, source=spec.source, n_tables=len(spec.tables),
            table_titles=table_titles),
        say("template.writer.write_cover.lines_2"),
        say("template.writer.write_cover.lines_3"),
        "；".join(type_lines) + "。",
        say("template.writer.write_cover.lines_4", year=year),
        say("template.writer.write_cover.lines_5"),
        say("template.writer.write_cover.lines_6"),
    ]
    text_f = fmts.get("cover_text", align="left", text_wrap=True, valign="top")
    for i, line in enumerate(lines, 1):
        s = f"{i}. {line}"
        ws.merge_range(r, 0, r, 2, "", text_f)
        ws.write_string(r, 0, s, text_f)
        texts.append((s, r, 0, r, 2))
        r += 1

    r += 1
    ws.write_string(r, 0, say("template.writer.write_cover_3"), head_f)
    heights[r] = 22
    r += 1
    stat_f = fmts.get("cover_status", align="center", bold=True, border=1)
    first_status = r
    refs = []
    for t in spec.tables:
        lay = layouts[t.id]
        ws.write_string(r, 0, say("template.writer.write_cover_4", name=t.name), lab_f)
        ref = quote_sheetname(t.sheet) + "!" + xl_rowcol_to_cell(lay.status_row, lay.value_c0, True, True)
        ws.write_formula(r, 1, f"={ref}", stat_f, statuses[t.id])
        ws.write_string(r, 2, t.title, hint_f)
        refs.append(xl_rowcol_to_cell(r, 1, True, True))
        heights[r] = 20
        r += 1
    ws.write_string(r, 0, say("template.writer.write_cover_5"), lab_f)
    total = combined_status(statuses.values())
    any_fail = "OR(" + ",".join(f'{x}="{STATUS_FAIL}"' for x in refs) + ")"
    any_inc = "OR(" + ",".join(f'{x}="{STATUS_INCOMPLETE}"' for x in refs) + ")"
    ws.write_formula(r, 1, f'=IF({any_fail},"{STATUS_FAIL}",IF({any_inc},"{STATUS_INCOMPLETE}","{STATUS_PASS}"))',
                     stat_f, total)
    heights[r] = 20
    _status_cf(ws, fmts, first_status, 1, r, 1)

    fit_heights(texts, widths, heights, 20.0)
    for rr, h in heights.items():
        ws.set_row(rr, round(h, 1))
    ws.set_paper(9)
    ws.set_portrait()
    ws.fit_to_pages(1, 0)
    ws.center_horizontally()
    ws.set_margins(left=0.6, right=0.6, top=0.8, bottom=0.8)
    ws.print_area(0, 0, r, 2)
    ws.hide_gridlines(2)
    if pw is not None:
        ws.protect(pw, PROTECT_OPTIONS)


# ---------------------------------------------------------------------------------
# files


def template_filename(year: int, unit: Unit | None) -> str:
    """A Windows-safe file name with the year and the unit, e.g.
    ``2025年度政府信息公开统计表_县教育科技局.xlsx``."""
    who = re.sub(r"[\\/]", "_", unit.name) if unit is not None else say("template.writer.template_filename.who")
    return safe_filename(say("template.writer.template_filename", year=int(year), who=who))


def write_template(path: str | Path, spec: Spec, *, year: int, unit: Unit | None = None, overwrite: bool = False,
                   **kw: Any) -> Path:
    """Write one workbook atomically (``build_workbook`` keyword arguments pass through)."""
    path = Path(path)
    with atomic_output(path, overwrite=overwrite) as tmp:
        wb = xlsxwriter.Workbook(str(tmp), WORKBOOK_OPTIONS)
        try:
            build_workbook(wb, spec, year=year, unit=unit, **kw)
        finally:
            wb.close()
    return path
