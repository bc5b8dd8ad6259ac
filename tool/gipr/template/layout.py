"""Where things go in a template and how they look: the check block under each table
(``check_layout``), row heights for wrapped labels, the workbook's formats."""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import xlsxwriter
from xlsxwriter.utility import xl_rowcol_to_cell

from ..catalogue.access import say
from ..spec import Rule, Spec, TableLayout

WORKBOOK_OPTIONS = {"strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False}

FONT = {"font_name": say("template.layout.font_name"), "font_size": 11, "font_charset": 134}
INPUT_FILL = "#FFF2CC"  # light yellow: type here
TOTAL_FILL = "#EDEDED"  # grey: computed
PREFILL_FILL = "#F2F2F2"
HEADER_FILL = "#F7F7F7"
RED = {"bg_color": "#FFC7CE", "font_color": "#9C0006"}
GREEN = {"bg_color": "#C6EFCE", "font_color": "#006100"}
AMBER = {"bg_color": "#FFEB9C", "font_color": "#9C5700"}
MARK_FILL = {"error": "#FF9999", "warning": "#FFD966", "info": "#BDD7EE"}
PROTECT_OPTIONS = {"select_locked_cells": True, "select_unlocked_cells": True, "format_columns": True,
                   "format_rows": True}
LINE_HEIGHT = 15.0  # points per text line at 11pt
CHECK_KINDS = ("equal", "total")



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


def width_units_of(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


def text_lines(text: str, width_units: float) -> int:
    width_units = max(width_units, 2.0)
    return sum(max(1, math.ceil(width_units_of(part) / width_units)) for part in text.split("\n"))


def fit_heights(texts: Iterable[tuple[str, int, int, int, int]], widths: dict[int, float],
                 heights: dict[int, float], default: float) -> None:
    """Raise row heights so every (text, r0, c0, r1, c1) fits its merged area."""
    for text, r0, c0, r1, c1 in texts:
        w = sum(widths.get(c, 8.43) for c in range(c0, c1 + 1)) - 1.5
        need = text_lines(text, w) * LINE_HEIGHT + 5
        have = sum(heights.get(r, default) for r in range(r0, r1 + 1))
        if need > have:
            extra = (need - have) / (r1 - r0 + 1)
            for r in range(r0, r1 + 1):
                heights[r] = heights.get(r, default) + extra


# ---------------------------------------------------------------------------------
# formats


class Formats:
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


def unit_line(spec: Spec, year: int, unit_name: str | None) -> str:
    return say("template.layout.unit_line", value=unit_name or '')


def year_text(year: int) -> str:
    return str(int(year))
