"""Spec → protected .xlsx template (xlsxwriter).

Everything in the workbook comes from the ``Spec``: the labels and merges of the official
tables (``TableLayout.labels``), where each value cell sits (``Cell.rowx/colx``), which
cells are totals and what they sum (``Cell.parts``), the data validation by type
(``Spec.types``), and the live checks under each table (``Spec.rules``).  Nothing here
names a row, a column or a rule of a particular format.

Workbook layout:

* the cover sheet (``Spec.cover_sheet``): title, the cover fields at their spec positions
  (unit name, code and year pre-filled and locked in a personalised template; the filler's
  name, phone and date to fill), short instructions, and a summary of the live checks;
* one sheet per table, in the official layout, A4 landscape, 1 page wide, header rows
  repeated; input cells coloured and unlocked; totals are live ``SUM`` formulas written
  with their cached value (what Excel would compute, so a file read before any
  recalculation is right); below the table a live check area: one status per rule
  instance (通过 / 不通过 / 未填完), a count of unfilled input cells, and conditional
  formatting that turns the cells of a failing rule red while the unit types;
* the very hidden identity sheet and custom properties (see ``identity``).

Protection is a convenience that keeps units from breaking the layout by accident, not
a security boundary (the default password is ``DEFAULT_PASSWORD``); gipr never trusts a
returned workbook and recomputes everything from the input cells.

``TemplateFactory`` renders many personalised templates fast: it builds the workbook once
per (format, year) with placeholder strings and then, per unit, rewrites only the zip
members that differ (shared strings, document properties).
"""

from __future__ import annotations

import io
import math
import re
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import xlsxwriter
from xlsxwriter.utility import quote_sheetname, xl_rowcol_to_cell

from .errors import GiprError
from .fsio import _fsync_dir, atomic_output, safe_filename
from .identity import make_identity, write_identity
from .roster import Unit
from .spec import HEADER_ROW, TITLE_ROW, UNIT_ROW, Cell, Rule, Spec, TableLayout

__all__ = [
    "DEFAULT_PASSWORD",
    "STATUS_PASS",
    "STATUS_FAIL",
    "STATUS_INCOMPLETE",
    "build_workbook",
    "write_template",
    "template_filename",
    "compute_totals",
    "total_formula",
    "rule_status",
    "check_layout",
    "CheckLayout",
    "TemplateFactory",
    "write_templates",
    "TemplateResult",
    "WORKBOOK_OPTIONS",
]

DEFAULT_PASSWORD = "gipr"


def check_password(password: str) -> str:
    """``password`` if Excel and WPS can unlock a sheet protected with it, else GiprError.

    XlsxWriter writes only the legacy 16-bit sheet-protection hash and feeds it each
    character's code point, while the specification (ECMA-376 sheetProtection; MS-OFFCRYPTO 2.3.7.1)
    first converts the password to an 8-bit code page: the two agree for printable ASCII
    only, so any other character is refused (tests/test_template_password.py checks the hash
    against the specification's algorithm)."""
    bad = [ch for ch in password if not (" " <= ch <= "~")]
    if bad:
        from .messages import say

        raise GiprError(say("usage.password_ascii", chars="".join(dict.fromkeys(bad))[:10]), "usage.password")
    return password
STATUS_PASS = "通过"
STATUS_FAIL = "不通过"
STATUS_INCOMPLETE = "未填完"


def _xml_escape(text: str) -> str:
    """&, < and > as XML entities (xml.sax.saxutils.escape without importing it: it pulls
    in urllib.request and http.client, 35 ms of every gipr start-up)."""
    return text.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;")


WORKBOOK_OPTIONS = {"strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False}

FONT = {"font_name": "宋体", "font_size": 11, "font_charset": 134}
INPUT_FILL = "#FFF2CC"  # light yellow: type here
TOTAL_FILL = "#EDEDED"  # grey: computed
PREFILL_FILL = "#F2F2F2"
HEADER_FILL = "#F7F7F7"
RED = {"bg_color": "#FFC7CE", "font_color": "#9C0006"}
GREEN = {"bg_color": "#C6EFCE", "font_color": "#006100"}
AMBER = {"bg_color": "#FFEB9C", "font_color": "#9C5700"}
MARK_FILL = {"error": "#FF9999", "warning": "#FFD966", "info": "#BDD7EE"}
SEVERITY_ZH = {"error": "错误", "warning": "警告", "info": "提示"}
PROTECT_OPTIONS = {"select_locked_cells": True, "select_unlocked_cells": True, "format_columns": True,
                   "format_rows": True}
LINE_HEIGHT = 15.0  # points per text line at 11pt
CHECK_KINDS = ("equal", "total")

Number = int | Decimal


# ---------------------------------------------------------------------------------
# values, totals and rule status (the Python side of what the formulas compute)


def _as_number(v: Any, cid: str) -> Number | None:
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, (int, float, Decimal)):
        raise ValueError(f"value for {cid} must be a number or None, not {type(v).__name__}")
    if isinstance(v, float):
        if not math.isfinite(v):
            raise ValueError(f"value for {cid} is not finite")
        d = Decimal(repr(v))
        return int(d) if d == d.to_integral_value() else d
    return v


def compute_totals(spec: Spec, values: dict[str, Any] | None) -> dict[str, Number | None]:
    """Inputs as given (None = blank) and every total as Excel computes its SUM
    (a blank part counts as 0, so a blank template's totals are 0)."""
    values = values or {}
    unknown = [k for k in values if k not in spec.cells]
    if unknown:
        raise ValueError(f"unknown cell ids: {', '.join(unknown[:5])}")
    out: dict[str, Number | None] = {}
    for c in spec.inputs:
        out[c.id] = _as_number(values.get(c.id), c.id)
    for c in spec.total_order():
        out[c.id] = sum((out[p] or 0 for p in c.parts), 0)
    return out


def _round6(x: Number) -> Decimal:
    return Decimal(x).quantize(Decimal("0.000001"))


def _leaves_of(spec: Spec, rule: Rule) -> list[str]:
    out: list[str] = []
    for cid in rule.cells:
        for leaf in spec.cells[cid].leaves:
            if leaf not in out:
                out.append(leaf)
    return out


def rule_status(spec: Spec, rule: Rule, computed: dict[str, Number | None]) -> str:
    """通过 / 不通过 / 未填完 for one equal/total rule instance, as the workbook formula shows it."""
    leaves = _leaves_of(spec, rule)
    if any(computed.get(x) is None for x in leaves):
        return STATUS_INCOMPLETE
    lhs = sum((computed[c] or 0 for c in rule.lhs), 0)
    rhs = sum((computed[c] or 0 for c in rule.rhs), 0)
    return STATUS_PASS if _round6(lhs) == _round6(rhs) else STATUS_FAIL


def _cached(x: Number | None) -> int | float:
    if x is None:
        return 0
    if isinstance(x, Decimal):
        return int(x) if x == x.to_integral_value() else float(x)
    return x


# ---------------------------------------------------------------------------------
# references


def _ranges(cells: Iterable[Cell], absolute: bool = False) -> list[str]:
    """The fewest rectangular A1 ranges covering the given cells (one sheet)."""
    pts = sorted({(c.rowx, c.colx) for c in cells}, key=lambda p: (p[1], p[0]))
    # vertical runs per column
    runs: list[list[int]] = []  # [r0, r1, col]
    for r, c in pts:
        if runs and runs[-1][2] == c and runs[-1][1] == r - 1:
            runs[-1][1] = r
        else:
            runs.append([r, r, c])
    # merge runs with equal row spans in adjacent columns
    rects: list[list[int]] = []  # [r0, r1, c0, c1]
    for r0, r1, c in sorted(runs, key=lambda x: (x[0], x[1], x[2])):
        for rect in rects:
            if rect[0] == r0 and rect[1] == r1 and rect[3] == c - 1:
                rect[3] = c
                break
        else:
            rects.append([r0, r1, c, c])
    rects.sort(key=lambda x: (x[0], x[2]))
    out = []
    for r0, r1, c0, c1 in rects:
        a = xl_rowcol_to_cell(r0, c0, absolute, absolute)
        if (r0, c0) == (r1, c1):
            out.append(a)
        else:
            out.append(f"{a}:{xl_rowcol_to_cell(r1, c1, absolute, absolute)}")
    return out


def _refs(cells: Iterable[Cell], absolute: bool = False) -> str:
    return ",".join(_ranges(cells, absolute))


def total_formula(spec: Spec, cell: Cell) -> str:
    """The formula a total cell holds in a gipr workbook, e.g. ``=SUM(D8:D28)``."""
    if cell.input:
        raise ValueError(f"{cell.id} is an input, not a total")
    return f"=SUM({_refs(_cells(spec, cell.parts))})"


def _cells(spec: Spec, ids: Iterable[str]) -> list[Cell]:
    return [spec.cells[i] for i in ids]


def _fail_expr(spec: Spec, rule: Rule) -> str:
    """Excel condition: the rule instance is complete and violated."""
    leaves = _leaves_of(spec, rule)
    return (f"AND(COUNT({_refs(_cells(spec, leaves), True)})={len(leaves)},"
            f"ROUND(SUM({_refs(_cells(spec, rule.lhs), True)})-SUM({_refs(_cells(spec, rule.rhs), True)}),6)<>0)")


def _status_formula(spec: Spec, rules: Sequence[Rule]) -> str:
    """通过 / 不通过 / 未填完 over one or more rule instances."""
    fails = [_fail_expr(spec, r) for r in rules]
    leaves: list[str] = []
    for r in rules:
        for x in _leaves_of(spec, r):
            if x not in leaves:
                leaves.append(x)
    cond = fails[0] if len(fails) == 1 else f"OR({','.join(fails)})"
    return (f'=IF({cond},"{STATUS_FAIL}",IF(COUNT({_refs(_cells(spec, leaves), True)})<{len(leaves)},'
            f'"{STATUS_INCOMPLETE}","{STATUS_PASS}"))')


def _combined_status(statuses: Iterable[str]) -> str:
    s = list(statuses)
    if STATUS_FAIL in s:
        return STATUS_FAIL
    if STATUS_INCOMPLETE in s:
        return STATUS_INCOMPLETE
    return STATUS_PASS


# ---------------------------------------------------------------------------------
# the check area layout (pure data, so tests and readers can find the status cells)


@dataclass
class CheckItem:
    """One status cell of the check area."""

    rules: list[Rule]  # rule instances it summarises
    row: int
    col: int
    col_end: int  # merged to this column
    label: str | None  # text to its left (None when the row label covers it)
    label_c0: int = 0
    label_c1: int = 0

    @property
    def ref(self) -> str:
        return xl_rowcol_to_cell(self.row, self.col)


@dataclass
class CheckLayout:
    table: TableLayout
    first_row: int  # the heading row of the check area
    note_row: int | None
    row_labels: list[tuple[int, int, int, str]]  # (row, c0, c1, text) family titles
    items: list[CheckItem]
    type_row: int | None  # the 数据类型 row (rule family of kind "type")
    type_rule: Rule | None
    unfilled_row: int
    status_row: int
    value_c0: int
    value_c1: int
    label_c1: int

    @property
    def status_ref(self) -> str:
        return xl_rowcol_to_cell(self.status_row, self.value_c0)

    @property
    def unfilled_ref(self) -> str:
        return xl_rowcol_to_cell(self.unfilled_row, self.value_c0)

    @property
    def type_ref(self) -> str | None:
        return None if self.type_row is None else xl_rowcol_to_cell(self.type_row, self.value_c0)

    @property
    def last_row(self) -> int:
        return self.status_row


def check_layout(spec: Spec, t: TableLayout) -> CheckLayout:
    """Where the live checks of table ``t`` go, derived from the rules of the spec."""
    width, lc = t.width, t.label_cols
    note_row = t.last_row + 1 if t.note else None
    r = (note_row if note_row is not None else t.last_row) + 2
    first_row = r
    r += 1
    label_c1 = lc - 1 if lc > 0 else max(0, width - 5)
    value_c0, value_c1 = label_c1 + 1, width - 1
    items: list[CheckItem] = []
    row_labels: list[tuple[int, int, int, str]] = []
    for fam in spec.families:
        if fam["kind"] not in CHECK_KINDS or fam.get("table") != t.name:
            continue
        insts = [x for x in spec.rules if x.family == fam["id"] and x.kind in CHECK_KINDS and x.table == t.name]
        if not insts:
            continue
        anchors = [spec.cells[x.lhs[0]].colx for x in insts]
        distinct = len(set(anchors)) == len(anchors)
        if distinct and fam.get("over") == "columns" and lc > 0:
            row_labels.append((r, 0, lc - 1, fam["title"]))
            for x, a in zip(insts, anchors):
                items.append(CheckItem([x], r, a, a, None))
            r += 1
            continue
        if distinct and fam.get("over") is None:
            order = sorted(zip(anchors, insts), key=lambda p: p[0])
            prev = -1
            ok = True
            for a, _ in order:
                if a - prev - 1 < 1:
                    ok = False
                prev = a
            if ok:
                prev = -1
                for a, x in order:
                    items.append(CheckItem([x], r, a, a, x.title, prev + 1, a - 1))
                    prev = a
                r += 1
                continue
        if fam.get("over") is None:
            for x in insts:  # one row per instance
                items.append(CheckItem([x], r, value_c0, value_c1, x.title, 0, label_c1))
                r += 1
        else:  # one summary row for the family
            items.append(CheckItem(insts, r, value_c0, value_c1, fam["title"], 0, label_c1))
            r += 1
    type_rule = next((x for x in spec.rules if x.kind == "type"), None)
    type_row = None
    if type_rule is not None:
        type_row = r
        r += 1
    unfilled_row = r
    status_row = r + 1
    return CheckLayout(t, first_row, note_row, row_labels, items, type_row, type_rule, unfilled_row, status_row,
                       value_c0, value_c1, label_c1)


# ---------------------------------------------------------------------------------
# text measurement for widths and heights


def _units(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


def _lines(text: str, width_units: float) -> int:
    width_units = max(width_units, 2.0)
    return sum(max(1, math.ceil(_units(part) / width_units)) for part in text.split("\n"))


def _fit_heights(texts: Iterable[tuple[str, int, int, int, int]], widths: dict[int, float],
                 heights: dict[int, float], default: float) -> None:
    """Raise row heights so every (text, r0, c0, r1, c1) fits its merged area."""
    for text, r0, c0, r1, c1 in texts:
        w = sum(widths.get(c, 8.43) for c in range(c0, c1 + 1)) - 1.5
        need = _lines(text, w) * LINE_HEIGHT + 5
        have = sum(heights.get(r, default) for r in range(r0, r1 + 1))
        if need > have:
            extra = (need - have) / (r1 - r0 + 1)
            for r in range(r0, r1 + 1):
                heights[r] = heights.get(r, default) + extra


# ---------------------------------------------------------------------------------
# formats


class _Formats:
    """Memoised xlsxwriter formats built from property dicts."""

    def __init__(self, wb: xlsxwriter.Workbook):
        self.wb = wb
        self.made: dict[str, Any] = {}

    def get(self, name: str, **props: Any):
        key = name + repr(sorted(props.items()))
        f = self.made.get(key)
        if f is None:
            f = self.wb.add_format({**FONT, "valign": "vcenter", **props})
            self.made[key] = f
        return f

    # named formats
    def title(self):
        return self.get("title", bold=True, font_size=16, align="center")

    def subtitle(self):
        return self.get("subtitle", align="left", font_size=10)

    def label(self, kind: str):
        base = {"border": 1, "text_wrap": True}
        if kind in ("corner", "band", "column"):
            return self.get("label_" + kind, align="center", bg_color=HEADER_FILL,
                            bold=kind in ("band", "column"), **base,
                            **({"font_size": 10} if kind == "corner" else {}))
        if kind == "heading":
            return self.get("label_heading", align="left", bold=True, **base)
        if kind == "row_group":  # a row label spanning several value rows
            return self.get("label_row_group", align="center", **base)
        return self.get("label_row", align="left", **base)

    def value(self, role: str, mark: str | None = None, locked: bool = True, amount: bool = False):
        props: dict[str, Any] = {"border": 1, "align": "right", "num_format": "General"}
        if role == "input":
            props.update(bg_color=INPUT_FILL)
        elif role == "total":
            props.update(bg_color=TOTAL_FILL, bold=True)
        if mark:
            props.update(bg_color=MARK_FILL[mark], bottom=2, top=2, left=2, right=2, border_color="#C00000")
        props["locked"] = locked
        return self.get(f"value_{role}_{mark}_{amount}", **props)


# ---------------------------------------------------------------------------------
# building


def _unit_line(spec: Spec, year: int, unit_name: str | None) -> str:
    return f"填报单位：{unit_name or ''}"


def _year_text(year: int) -> str:
    return str(int(year))


def _type_message(spec: Spec, ctype: str, unit: str | None) -> tuple[str, str, str]:
    """(input title, input message, error message) for a value type, from Spec.types."""
    t = spec.types.get(ctype, {})
    label = t.get("label", "数值")
    integer = bool(t.get("integer", ctype != "amount"))
    mn = t.get("min")
    dec = t.get("decimals")
    if integer and mn is not None:
        what = f"不小于{mn}的整数"
    elif integer:
        what = "整数，减少的填负数（如 -3）"
    elif mn is not None:
        what = f"不小于{mn}的数" + (f"，最多{dec}位小数" if dec else "")
    else:
        what = "数字" + (f"，最多{dec}位小数" if dec else "")
    unit_txt = f"（单位：{unit}）" if unit else ""
    title = f"填写{label}"[:32]
    msg = f"请填写{what}{unit_txt}。没有发生的请填 0，不要留空：空白不等于 0。"
    err = f"这里只能填写{what}{unit_txt}。没有发生的请填 0。"
    return title, msg[:255], err[:255]


def _validation(spec: Spec, ctype: str, unit: str | None) -> dict[str, Any]:
    t = spec.types.get(ctype, {})
    integer = bool(t.get("integer", ctype != "amount"))
    mn = t.get("min")
    title, msg, err = _type_message(spec, ctype, unit)
    dv: dict[str, Any] = {"validate": "integer" if integer else "decimal"}
    if mn is not None:
        dv.update(criteria=">=", value=mn)
    else:
        dv.update(criteria="between", minimum=-999999999, maximum=999999999)
    dv.update(input_title=title, input_message=msg, error_title="输入有误", error_message=err,
              error_type="stop", ignore_blank=True)
    return dv


def _type_fail_expr(spec: Spec, cells: list[Cell]) -> str:
    """Excel expression counting type violations among input cells (text counts too)."""
    parts: list[str] = []
    by_type: dict[str, list[Cell]] = {}
    for c in cells:
        by_type.setdefault(c.type, []).append(c)
    for ctype, cs in by_type.items():
        t = spec.types.get(ctype, {})
        integer = bool(t.get("integer", ctype != "amount"))
        dec = t.get("decimals")
        for rng in _ranges(cs, True):
            parts.append(f"SUMPRODUCT(--ISTEXT({rng}))")
            if t.get("min") is not None:
                parts.append(f'COUNTIF({rng},"<{t["min"]}")')
            if integer:
                parts.append(f"SUMPRODUCT(--(MOD({rng},1)<>0))")
            elif dec:
                parts.append(f"SUMPRODUCT(--(ROUND({rng},{int(dec)})<>{rng}))")
    return "+".join(parts) if parts else "0"


def _type_cf(spec: Spec, c: Cell, top_left: str) -> str:
    t = spec.types.get(c.type, {})
    integer = bool(t.get("integer", c.type != "amount"))
    dec = t.get("decimals")
    conds = [f"ISTEXT({top_left})"]
    num = []
    if t.get("min") is not None:
        num.append(f"{top_left}<{t['min']}")
    if integer:
        num.append(f"{top_left}<>INT({top_left})")
    elif dec:
        num.append(f"ROUND({top_left},{int(dec)})<>{top_left}")
    if num:
        conds.append(f"AND(ISNUMBER({top_left}),OR({','.join(num)}))")
    return f"=OR({','.join(conds)})"


def _type_status(spec: Spec, cells: list[Cell], computed: dict[str, Number | None]) -> str:
    bad = 0
    for c in cells:
        v = computed.get(c.id)
        if v is None:
            continue
        t = spec.types.get(c.type, {})
        integer = bool(t.get("integer", c.type != "amount"))
        if t.get("min") is not None and v < t["min"]:
            bad += 1
        elif integer and v != int(v):
            bad += 1
        elif not integer and t.get("decimals") is not None and \
                Decimal(v).normalize().as_tuple().exponent < -int(t["decimals"]):  # type: ignore[operator]
            bad += 1
    if bad:
        return STATUS_FAIL
    return STATUS_INCOMPLETE if any(computed.get(c.id) is None for c in cells) else STATUS_PASS


def build_workbook(wb: xlsxwriter.Workbook, spec: Spec, *, year: int, unit: Unit | None,
                   values: dict[str, Any] | None = None, identity: dict | None = None,
                   units: list[dict] | None = None, protect: bool = True, password: str = DEFAULT_PASSWORD,
                   marks: dict[str, tuple[str, str]] | None = None,
                   fields: dict[str, str] | None = None) -> dict:
    """Write the cover, the three tables and the identity into ``wb``.

    ``values``: input cells written as numbers (None or absent = blank); totals are always
    live formulas with the correct cached value.  ``marks``: cell id (or cover field id)
    → (severity, Chinese comment), highlighted and commented.  ``fields``: cover field
    values, always written as text.  Returns the formats made (name → Format).
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
    fmts = _Formats(wb)
    if identity is None:
        identity = make_identity(spec, year, unit, kind="template", units=units)
    pw = check_password(password) if protect else None

    cover_values: dict[str, str] = {}
    if unit is not None:
        cover_values.update(unit_name=unit.name, unit_code=unit.code)
    cover_values["year"] = _year_text(year)
    cover_values.update({k: v for k, v in fields.items()})
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
        "title": f"{year}年度政府信息公开工作年度报告统计表",
        "subject": unit_name,
        "author": "gipr",
        "comments": f"{spec.name}（{spec.source}）；格式 {spec.id}",
        "keywords": "政府信息公开,年度报告,gipr",
    })
    wb.set_calc_mode("auto")
    return dict(fmts.made)


def _write_table(wb, ws, spec: Spec, t: TableLayout, lay: CheckLayout, fmts: _Formats,
                 computed: dict[str, Number | None], marks: dict[str, tuple[str, str]], year: int,
                 unit_name: str, prefilled_unit: bool, pw: str | None) -> str:
    width, lc = t.width, t.label_cols
    cells = [spec.cells[cid] for cid in t.cells]
    inputs = [c for c in cells if c.input]

    # --- column widths from the labels
    val_cols = sorted({c.colx for c in cells})
    widths: dict[int, float] = {c: 8.0 for c in range(width)}
    val_need = 10.0
    for lab in t.labels:
        if lab.kind in ("title", "heading") or lab.c0 != lab.c1:
            continue
        u = _units(lab.text)
        nrows = lab.r1 - lab.r0 + 1
        if lab.c0 in val_cols and lab.kind in ("column", "band"):
            val_need = max(val_need, min(u / (2 if u > 16 else 1) + 2, 16))
        elif lab.kind in ("row", "corner"):
            need = (u / max(1, nrows) + 2) if nrows >= 3 else min(u + 2, 44)
            widths[lab.c0] = max(widths[lab.c0], min(max(need, 8), 44))
    for c in val_cols:
        widths[c] = max(widths.get(c, 0), val_need)
    # the check-area labels of a table without row labels need no extra width
    for c, w in widths.items():
        ws.set_column(c, c, w)

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
        ws.write_string(UNIT_ROW, 0, _unit_line(spec, year, unit_name), unit_fmt)
    else:
        f = spec.cover_field("unit_name")
        ref = quote_sheetname(spec.cover_sheet) + "!" + xl_rowcol_to_cell(f.row, f.col, True, True)
        ws.write_formula(UNIT_ROW, 0, f'="填报单位："&{ref}', unit_fmt, _unit_line(spec, year, unit_name))
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
        mark = marks.get(c.id, (None, ""))[0]
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
                ws.write_number(c.rowx, c.colx, _cached(v), f)
        else:
            ws.write_formula(c.rowx, c.colx, total_formula(spec, c), f, _cached(computed[c.id]))
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
        rngs = _ranges(cs)
        first = rngs[0].split(":")
        dv = _validation(spec, ctype, cunit)
        dv["multi_range"] = " ".join(rngs)
        (r0, c0) = _a1(first[0])
        (r1, c1) = _a1(first[-1])
        ws.data_validation(r0, c0, r1, c1, dv)

    # --- note
    if t.note and lay.note_row is not None:
        nf = fmts.get("note", align="left", text_wrap=True, font_size=10)
        if width > 1:
            ws.merge_range(lay.note_row, 0, lay.note_row, width - 1, "", nf)
        ws.write_string(lay.note_row, 0, f"注：{t.note}", nf)
        texts.append((f"注：{t.note}", lay.note_row, 0, lay.note_row, width - 1))

    # --- check area
    status = _write_checks(ws, spec, t, lay, fmts, computed, inputs, texts, heights)

    # --- heights
    _fit_heights(texts, widths, heights, 20.0)
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
    ws.set_footer("&C第 &P 页，共 &N 页")
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


def _write_checks(ws, spec: Spec, t: TableLayout, lay: CheckLayout, fmts: _Formats,
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

    head = "自动校验（随填随算，不需要填写；全部显示“通过”后再报送）"
    span(lay.first_row, 0, width - 1, head, head_f)
    heights[lay.first_row] = 24

    for r, c0, c1, text in lay.row_labels:
        span(r, c0, c1, text, lab_f)
    status_refs: list[str] = []
    statuses: list[str] = []
    for it in lay.items:
        if it.label is not None:
            span(it.row, it.label_c0, it.label_c1, it.label, lab_f)
        st = _combined_status(rule_status(spec, x, computed) for x in it.rules)
        statuses.append(st)
        if it.col_end > it.col:
            ws.merge_range(it.row, it.col, it.row, it.col_end, "", stat_f)
        ws.write_formula(it.row, it.col, _status_formula(spec, it.rules), stat_f, st)
        status_abs = xl_rowcol_to_cell(it.row, it.col, True, True)
        status_refs.append(status_abs)
        # conditional formatting: the cells of a failing rule turn red
        for x in it.rules:
            cond = f'={status_abs}="{STATUS_FAIL}"' if len(it.rules) == 1 else f"={_fail_expr(spec, x)}"
            for rng in _ranges(_cells(spec, x.cells)):
                r0, c0 = _a1(rng.split(":")[0])
                r1, c1 = _a1(rng.split(":")[-1])
                ws.conditional_format(r0, c0, r1, c1, {"type": "formula", "criteria": cond, "format": _cf(fmts, RED)})

    # data types (rule family of kind "type")
    if lay.type_row is not None and lay.type_rule is not None:
        span(lay.type_row, 0, lay.label_c1, lay.type_rule.title, lab_f)
        expr = _type_fail_expr(spec, inputs)
        st = _type_status(spec, inputs, computed)
        statuses.append(st)
        if lay.value_c1 > lay.value_c0:
            ws.merge_range(lay.type_row, lay.value_c0, lay.type_row, lay.value_c1, "", stat_f)
        n = len(inputs)
        ws.write_formula(lay.type_row, lay.value_c0,
                         f'=IF(IFERROR({expr},1)>0,"{STATUS_FAIL}",IF(COUNT({_refs(inputs, True)})<{n},'
                         f'"{STATUS_INCOMPLETE}","{STATUS_PASS}"))', stat_f, st)
        status_refs.append(xl_rowcol_to_cell(lay.type_row, lay.value_c0, True, True))
        for rng in _ranges(inputs):
            r0, c0 = _a1(rng.split(":")[0])
            r1, c1 = _a1(rng.split(":")[-1])
            top_left = xl_rowcol_to_cell(r0, c0)
            cell = next(c for c in inputs if (c.rowx, c.colx) == (r0, c0))
            ws.conditional_format(r0, c0, r1, c1, {"type": "formula", "criteria": _type_cf(spec, cell, top_left),
                                                   "format": _cf(fmts, RED)})

    # unfilled count
    n = len(inputs)
    filled = sum(1 for c in inputs if computed.get(c.id) is not None)
    span(lay.unfilled_row, 0, lay.label_c1, "尚未填写（或填写的不是数字）的填报单元格数", lab_f)
    if lay.value_c1 > lay.value_c0:
        ws.merge_range(lay.unfilled_row, lay.value_c0, lay.unfilled_row, lay.value_c1, "", num_f)
    unfilled_formula = f"={n}-COUNT({_refs(inputs)})" if inputs else "=0"
    ws.write_formula(lay.unfilled_row, lay.value_c0, unfilled_formula, num_f, n - filled)

    # table status
    span(lay.status_row, 0, lay.label_c1, "本表校验结果", fmts.get("check_label_b", align="left", bold=True,
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


def _cf(fmts: _Formats, colors: dict[str, str]):
    key = "cf" + repr(sorted(colors.items()))
    f = fmts.made.get(key)
    if f is None:
        f = fmts.wb.add_format(dict(colors))
        fmts.made[key] = f
    return f


def _status_cf(ws, fmts: _Formats, r0: int, c0: int, r1: int, c1: int) -> None:
    for text, colors in ((STATUS_PASS, GREEN), (STATUS_FAIL, RED), (STATUS_INCOMPLETE, AMBER)):
        ws.conditional_format(r0, c0, r1, c1, {"type": "cell", "criteria": "==", "value": f'"{text}"',
                                               "format": _cf(fmts, colors)})


def _write_cover(ws, spec: Spec, fmts: _Formats, year: int, cover_values: dict[str, str],
                 marks: dict[str, tuple[str, str]], layouts: dict[str, CheckLayout], statuses: dict[str, str],
                 pw: str | None) -> None:
    widths = {0: 16.0, 1: 48.0, 2: 34.0}
    for c, w in widths.items():
        ws.set_column(c, c, w)
    texts: list[tuple[str, int, int, int, int]] = []
    heights: dict[int, float] = {}
    title_f = fmts.title()
    ws.merge_range(0, 0, 0, 2, "", title_f)
    ws.write_string(0, 0, f"{year}年度政府信息公开工作年度报告统计表", title_f)
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
            props["num_format"] = 'yyyy"年"m"月"d"日"'
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
            hint = "已预填，不能修改"
        else:
            hint = "请填写" + ("（必填）" if f.required == "error" else "")
            ws.data_validation(f.row, f.col, f.row, f.col, {
                "validate": "any", "input_title": f"填写{f.label}"[:32],
                "input_message": (f"请填写{f.label}。" + ("例如：2026年1月20日。" if f.id == "date" else ""))[:255]})
        ws.write_string(f.row, f.col + 1, hint, hint_f)
        if f.id in marks:
            sev, msg = marks[f.id]
            ws.write_comment(f.row, f.col, f"【{SEVERITY_ZH[sev]}】{msg}", {"author": "gipr", "x_scale": 2.2,
                                                                          "y_scale": 1.6})
        heights[f.row] = 22
        last = max(last, f.row)

    r = last + 2
    head_f = fmts.get("cover_head", bold=True, align="left", font_size=12)
    ws.write_string(r, 0, "填报说明", head_f)
    heights[r] = 22
    r += 1
    table_titles = "、".join(f"表{t.name}（{t.title}）" for t in spec.tables)
    type_lines = []
    used = {c.type for c in spec.cells.values()}
    for ctype in spec.types:
        if ctype not in used:
            continue
        units = sorted({c.unit for c in spec.cells.values() if c.type == ctype and c.unit})
        title, msg, _err = _type_message(spec, ctype, units[0] if len(units) == 1 else None)
        type_lines.append(f"{spec.types[ctype].get('label', ctype)}：" + msg.split("。")[0].replace("请填写", "填写"))
    lines = [
        f"本表按《{spec.name}》（{spec.source}）制作，共 {len(spec.tables)} 张表：{table_titles}。",
        "只在浅黄色单元格中填写；灰色的“总计”单元格由公式自动计算，不需要填写。",
        "没有发生的事项请填 0，不要留空。空白不等于 0：留空的单元格视为未填报，汇总时会被退回。",
        "；".join(type_lines) + "。",
        f"统计期间为 {year} 年 1 月 1 日至 12 月 31 日，数据截至 {year} 年 12 月 31 日。",
        "每张表下方的“自动校验”随填随算：显示“不通过”的规则，对应单元格会变红，请核对后修改；全部显示“通过”后再报送。",
        "工作表已设保护，请不要修改标签、增删行列或工作表，也不要复制到新文件中填写；请直接保存为 .xlsx 文件报送。",
    ]
    text_f = fmts.get("cover_text", align="left", text_wrap=True, valign="top")
    for i, line in enumerate(lines, 1):
        s = f"{i}. {line}"
        ws.merge_range(r, 0, r, 2, "", text_f)
        ws.write_string(r, 0, s, text_f)
        texts.append((s, r, 0, r, 2))
        r += 1

    r += 1
    ws.write_string(r, 0, "校验汇总（自动计算）", head_f)
    heights[r] = 22
    r += 1
    stat_f = fmts.get("cover_status", align="center", bold=True, border=1)
    first_status = r
    refs = []
    for t in spec.tables:
        lay = layouts[t.id]
        ws.write_string(r, 0, f"表{t.name}", lab_f)
        ref = quote_sheetname(t.sheet) + "!" + xl_rowcol_to_cell(lay.status_row, lay.value_c0, True, True)
        ws.write_formula(r, 1, f"={ref}", stat_f, statuses[t.id])
        ws.write_string(r, 2, t.title, hint_f)
        refs.append(xl_rowcol_to_cell(r, 1, True, True))
        heights[r] = 20
        r += 1
    ws.write_string(r, 0, "全部", lab_f)
    total = _combined_status(statuses.values())
    any_fail = "OR(" + ",".join(f'{x}="{STATUS_FAIL}"' for x in refs) + ")"
    any_inc = "OR(" + ",".join(f'{x}="{STATUS_INCOMPLETE}"' for x in refs) + ")"
    ws.write_formula(r, 1, f'=IF({any_fail},"{STATUS_FAIL}",IF({any_inc},"{STATUS_INCOMPLETE}","{STATUS_PASS}"))',
                     stat_f, total)
    heights[r] = 20
    _status_cf(ws, fmts, first_status, 1, r, 1)

    _fit_heights(texts, widths, heights, 20.0)
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
    who = re.sub(r"[\\/]", "_", unit.name) if unit is not None else "空白模板"
    return safe_filename(f"{int(year)}年度政府信息公开统计表_{who}.xlsx")


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


# ---------------------------------------------------------------------------------
# fast batch rendering


_TOKENS = {
    "unit_name": "GIPRTOKxUNITxNAMExQ7",
    "unit_code": "GIPRTOKxUNITxCODExQ7",
    "template_id": "GIPRTOKxTEMPLATExIDxQ7",
    "created": "GIPRTOKxCREATEDxQ7",
    "signature": "GIPRTOKxSIGNATURExQ7",
}


@dataclass
class _Member:
    info: zipfile.ZipInfo
    data: bytes  # uncompressed
    compressed: bytes
    crc: int
    tokens: bool


class TemplateFactory:
    """Render personalised templates of one (format, year) quickly.

    The workbook is built once with xlsxwriter using placeholder tokens for the unit name,
    code and the identity values; ``render(unit)`` substitutes the real (XML-escaped)
    values in the few zip members that hold them and copies all other members
    pre-compressed.  The result is the same workbook ``build_workbook`` writes for that
    unit and identity.
    """

    def __init__(self, spec: Spec, year: int, *, protect: bool = True, password: str = DEFAULT_PASSWORD):
        self.spec = spec
        self.year = int(year)
        self.protect = protect
        self.password = password
        placeholder = Unit(_TOKENS["unit_code"], _TOKENS["unit_name"], "", "", "", 0)
        ident = make_identity(spec, self.year, placeholder)
        for k, tok in _TOKENS.items():
            ident[k] = tok
        self._ident_keys = list(ident)
        buf = io.BytesIO()
        wb = xlsxwriter.Workbook(buf, {**WORKBOOK_OPTIONS, "in_memory": True})
        build_workbook(wb, spec, year=self.year, unit=placeholder, identity=ident, protect=protect,
                       password=password)
        wb.close()
        self._members: list[_Member] = []
        toks = [t.encode() for t in _TOKENS.values()]
        with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as zf:
            for info in zf.infolist():
                data = zf.read(info)
                has = any(t in data for t in toks)
                comp = b"" if has else _deflate(data)
                self._members.append(_Member(info, data, comp, zlib.crc32(data), has))
        self._pattern = re.compile("|".join(re.escape(t) for t in _TOKENS.values()).encode())

    def render(self, unit: Unit, identity: dict[str, str] | None = None) -> bytes:
        """The .xlsx bytes for ``unit`` (a fresh signed identity unless one is given)."""
        if identity is None:
            identity = make_identity(self.spec, self.year, unit)
        if list(identity) != self._ident_keys:
            raise ValueError("identity keys differ from the factory's")
        repl = {_TOKENS[k].encode(): _xml_escape(str(identity[k] if k in identity else "")).encode("utf-8")
                for k in _TOKENS}
        repl[_TOKENS["unit_name"].encode()] = _xml_escape(unit.name).encode("utf-8")
        repl[_TOKENS["unit_code"].encode()] = _xml_escape(unit.code).encode("utf-8")
        out = io.BytesIO()
        central = []
        for m in self._members:
            if m.tokens:
                data = self._pattern.sub(lambda mo: repl[mo.group(0)], m.data)
                comp, crc = _deflate(data), zlib.crc32(data)
            else:
                data, comp, crc = m.data, m.compressed, m.crc
            central.append(_write_local(out, m.info, comp, crc, len(data)))
        _write_central(out, central)
        return out.getvalue()


def _deflate(data: bytes) -> bytes:
    co = zlib.compressobj(6, zlib.DEFLATED, -15)
    return co.compress(data) + co.flush()


def _write_local(out: io.BytesIO, info: zipfile.ZipInfo, comp: bytes, crc: int, size: int) -> bytes:
    import struct

    name = info.filename.encode("utf-8")
    flags = 0x800 if any(ord(ch) > 127 for ch in info.filename) else 0
    dt = info.date_time
    dosdate = (dt[0] - 1980) << 9 | dt[1] << 5 | dt[2]
    dostime = dt[3] << 11 | dt[4] << 5 | (dt[5] // 2)
    offset = out.tell()
    out.write(struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, flags, 8, dostime, dosdate, crc, len(comp), size,
                          len(name), 0))
    out.write(name)
    out.write(comp)
    return struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, flags, 8, dostime, dosdate, crc, len(comp),
                       size, len(name), 0, 0, 0, 0, 0, offset) + name


def _write_central(out: io.BytesIO, central: list[bytes]) -> None:
    import struct

    start = out.tell()
    for c in central:
        out.write(c)
    size = out.tell() - start
    out.write(struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(central), len(central), size, start, 0))


@dataclass
class TemplateResult:
    unit: Unit
    path: Path
    status: str  # "written" | "skipped" (exists, kept)


def plan_filenames(year: int, units: Sequence[Unit]) -> list[str]:
    """One distinct Windows-safe file name per unit (case-insensitive); the unit code is
    added where two names would collide."""
    names = [template_filename(year, u) for u in units]
    seen: dict[str, int] = {}
    for n in names:
        seen[n.casefold()] = seen.get(n.casefold(), 0) + 1
    out = []
    used: set[str] = set()
    for u, n in zip(units, names):
        if seen[n.casefold()] > 1:
            n = safe_filename(f"{int(year)}年度政府信息公开统计表_{u.name}_{u.code}.xlsx")
        k = n.casefold()
        i = 2
        base = n[:-5]
        while k in used:
            n = f"{base}_{i}.xlsx"
            k = n.casefold()
            i += 1
        used.add(k)
        out.append(n)
    return out


def _render_chunk(args: tuple) -> list[tuple[int, str]]:
    spec_id, spec_path, year, protect, password, jobs, overwrite = args
    from .spec import load_format, load_spec_file

    spec = load_format(spec_id) if spec_path is None else load_spec_file(spec_path)
    factory = _factory_cache(spec, year, protect, password)
    done = []
    for i, unit, path in jobs:
        _write_file(path, factory.render(unit), overwrite)
        done.append((i, str(path)))
    return done


def _write_file(path: Path, data: bytes, overwrite: bool) -> None:
    """Atomic write (temp file, fsync, rename) for batches: the directory is fsynced once
    per batch by the caller instead of once per file."""
    import os
    import tempfile

    def exists_error() -> GiprError:
        return GiprError(f"文件已存在：{path}。如需替换，请加 --force。", "output.exists")

    if not overwrite and path.exists():
        raise exists_error()
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name[:40]}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if not overwrite and path.exists():
            raise exists_error()
        os.replace(tmp, path)
    except OSError as e:
        _unlink(tmp)
        raise GiprError(f"无法写入 {path}：{e.strerror or e}", "output.write_failed") from None
    except BaseException:
        _unlink(tmp)
        raise


def _unlink(p: str) -> None:
    import contextlib
    import os

    with contextlib.suppress(OSError):
        os.unlink(p)


_FACTORIES: dict[tuple, TemplateFactory] = {}


def _factory_cache(spec: Spec, year: int, protect: bool, password: str) -> TemplateFactory:
    key = (spec.id, spec.digest, year, protect, password)
    f = _FACTORIES.get(key)
    if f is None:
        _FACTORIES.clear()
        f = _FACTORIES[key] = TemplateFactory(spec, year, protect=protect, password=password)
    return f


def write_templates(spec: Spec, year: int, units: Sequence[Unit], outdir: str | Path, *,
                    overwrite: bool = False, skip_existing: bool = False, protect: bool = True,
                    password: str = DEFAULT_PASSWORD, workers: int | None = None,
                    progress: Callable[[int], None] | None = None) -> list[TemplateResult]:
    """Write one personalised template per unit into ``outdir``.

    Existing files are never replaced silently: with ``overwrite`` they are replaced,
    with ``skip_existing`` they are kept (status "skipped"); otherwise nothing is written
    and ``GiprError`` lists them.  ``progress(n)`` is called as files are done.
    """
    outdir = Path(outdir)
    if outdir.exists() and not outdir.is_dir():
        raise GiprError(f"输出位置 {outdir} 已存在且不是文件夹。", "output.not_dir")
    outdir.mkdir(parents=True, exist_ok=True)
    names = plan_filenames(year, units)
    results: list[TemplateResult | None] = [None] * len(units)
    jobs = []
    existing = []
    for i, (u, n) in enumerate(zip(units, names)):
        p = outdir / n
        if p.exists() and not overwrite:
            existing.append(p)
            if skip_existing:
                results[i] = TemplateResult(u, p, "skipped")
                continue
        jobs.append((i, u, p))
    if existing and not (overwrite or skip_existing):
        shown = "、".join(p.name for p in existing[:3]) + (" 等" if len(existing) > 3 else "")
        raise GiprError(f"{outdir} 中已有 {len(existing)} 个同名模板（{shown}），未写入任何文件。"
                        "如需替换，请加 --force；如只生成缺少的，请加 --skip-existing。", "output.exists")
    if progress and len(jobs) < len(units):
        progress(len(units) - len(jobs))
    if not jobs:
        return [r for r in results if r is not None]
    if workers is None:
        workers = 1  # rendering takes < 1 ms; fsync dominates, and I/O threads overlap it
    spec_path = None if _is_builtin(spec) else spec.path
    chunk = 25
    batches = [(spec.id, spec_path, int(year), protect, password, jobs[k:k + chunk], overwrite)
               for k in range(0, len(jobs), chunk)]
    if workers <= 1:
        from collections import deque
        from concurrent.futures import ThreadPoolExecutor

        factory = _factory_cache(spec, int(year), protect, password)
        pending: deque = deque()

        def finish(block: bool) -> None:
            while pending and (block or pending[0][0].done()):
                fut, i, unit, path = pending.popleft()
                fut.result()  # re-raises a write error
                results[i] = TemplateResult(unit, path, "written")
                if progress:
                    progress(1)

        with ThreadPoolExecutor(max_workers=4, thread_name_prefix="gipr-write") as ex:
            try:
                for i, unit, path in jobs:
                    pending.append((ex.submit(_write_file, path, factory.render(unit), overwrite), i, unit, path))
                    if len(pending) > 32:
                        finish(False)
                        if len(pending) > 64:
                            pending[0][0].result()
                finish(True)
            except BaseException:
                for fut, *_ in pending:
                    fut.cancel()
                raise
    else:
        import multiprocessing as mp

        ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else mp.get_context()
        with ctx.Pool(workers) as pool:
            for done in pool.imap_unordered(_render_chunk, batches):
                for i, p in done:
                    results[i] = TemplateResult(units[i], Path(p), "written")
                if progress:
                    progress(len(done))
    _fsync_dir(outdir)
    return [r for r in results if r is not None]


def _is_builtin(spec: Spec) -> bool:
    from .spec import available_formats, load_format

    return spec.id in available_formats() and load_format(spec.id).digest == spec.digest
