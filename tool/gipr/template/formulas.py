"""The Python side of what a template's formulas compute, and the formulas themselves:
totals (``compute_totals``, by :mod:`gipr.rules`), rule status (通过 / 不通过 / 未填完), the
live SUM and status formulas, and rule G's validation and conditional formats from the
format file's ``types``."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from xlsxwriter.utility import xl_rowcol_to_cell

from .. import rules
from ..catalogue.access import say
from ..rules import Number
from ..spec import Cell, Rule, Spec, type_rules
from ..values import is_integer_type

STATUS_PASS = say("template.formulas.status_pass")
STATUS_FAIL = say("template.formulas.status_fail")
STATUS_INCOMPLETE = say("template.formulas.status_incomplete")
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
    return rules.complete(spec, {c.id: _as_number(values.get(c.id), c.id) for c in spec.inputs})


def leaves_of(spec: Spec, rule: Rule) -> list[str]:
    out: list[str] = []
    for cid in rule.cells:
        for leaf in spec.cells[cid].leaves:
            if leaf not in out:
                out.append(leaf)
    return out


def rule_status(spec: Spec, rule: Rule, computed: dict[str, Number | None]) -> str:
    """通过 / 不通过 / 未填完 for one equal/total rule instance, as the workbook formula shows it."""
    leaves = leaves_of(spec, rule)
    if any(computed.get(x) is None for x in leaves):
        return STATUS_INCOMPLETE
    return STATUS_PASS if rules.holds(spec, rule, computed) else STATUS_FAIL


def cached_value(x: Number | None) -> int | float:
    if x is None:
        return 0
    if isinstance(x, Decimal):
        return int(x) if x == x.to_integral_value() else float(x)
    return x


# ---------------------------------------------------------------------------------
# references


def ranges(cells: Iterable[Cell], absolute: bool = False) -> list[str]:
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


def refs(cells: Iterable[Cell], absolute: bool = False) -> str:
    return ",".join(ranges(cells, absolute))


def total_formula(spec: Spec, cell: Cell) -> str:
    """The formula a total cell holds in a gipr workbook, e.g. ``=SUM(D8:D28)``."""
    if cell.input:
        raise ValueError(f"{cell.id} is an input, not a total")
    return f"=SUM({refs(cells_of(spec, cell.parts))})"


def cells_of(spec: Spec, ids: Iterable[str]) -> list[Cell]:
    return [spec.cells[i] for i in ids]


def fail_expr(spec: Spec, rule: Rule) -> str:
    """Excel condition: the rule instance is complete and violated."""
    leaves = leaves_of(spec, rule)
    return (f"AND(COUNT({refs(cells_of(spec, leaves), True)})={len(leaves)},"
            f"ROUND(SUM({refs(cells_of(spec, rule.lhs), True)})-SUM({refs(cells_of(spec, rule.rhs), True)}),"
            f"{rules.decimals(spec)})<>0)")


def status_formula(spec: Spec, rules: Sequence[Rule]) -> str:
    """通过 / 不通过 / 未填完 over one or more rule instances."""
    fails = [fail_expr(spec, r) for r in rules]
    leaves: list[str] = []
    for r in rules:
        for x in leaves_of(spec, r):
            if x not in leaves:
                leaves.append(x)
    cond = fails[0] if len(fails) == 1 else f"OR({','.join(fails)})"
    return (f'=IF({cond},"{STATUS_FAIL}",IF(COUNT({refs(cells_of(spec, leaves), True)})<{len(leaves)},'
            f'"{STATUS_INCOMPLETE}","{STATUS_PASS}"))')


def combined_status(statuses: Iterable[str]) -> str:
    s = list(statuses)
    if STATUS_FAIL in s:
        return STATUS_FAIL
    if STATUS_INCOMPLETE in s:
        return STATUS_INCOMPLETE
    return STATUS_PASS


def type_message(spec: Spec, ctype: str, unit: str | None) -> tuple[str, str, str]:
    """(input title, input message, error message) for a value type, from Spec.types."""
    t = type_rules(spec, ctype)
    label = t.get("label", say("template.formulas.type_message.label"))
    integer = is_integer_type(t, ctype)
    mn = t.get("min")
    dec = t.get("decimals")
    if integer and mn is not None:
        what = say("template.formulas.type_message.what", mn=mn)
    elif integer:
        what = say("template.formulas.type_message.what_2")
    elif mn is not None:
        what = say("template.formulas.type_message.what_3", mn=mn) + (say("template.formulas.type_message.what_4", dec=dec) if dec else "")
    else:
        what = say("template.formulas.type_message.what_5") + (say("template.formulas.type_message.what_4", dec=dec) if dec else "")
    unit_txt = say("template.formulas.type_message.unit_txt", unit=unit) if unit else ""
    title = say("template.formulas.type_message.title", label=label)[:32]
    msg = say("template.formulas.type_message.msg", what=what, unit_txt=unit_txt)
    err = say("template.formulas.type_message.err", what=what, unit_txt=unit_txt)
    return title, msg[:255], err[:255]


def validation(spec: Spec, ctype: str, unit: str | None) -> dict[str, Any]:
    t = type_rules(spec, ctype)
    integer = is_integer_type(t, ctype)
    mn = t.get("min")
    title, msg, err = type_message(spec, ctype, unit)
    dv: dict[str, Any] = {"validate": "integer" if integer else "decimal"}
    if mn is not None:
        dv.update(criteria=">=", value=mn)
    else:
        dv.update(criteria="between", minimum=-999999999, maximum=999999999)
    dv.update(input_title=title, input_message=msg, error_title=say("template.formulas.validation.error_title"), error_message=err,
              error_type="stop", ignore_blank=True)
    return dv


def type_fail_expr(spec: Spec, cells: list[Cell]) -> str:
    """Excel expression counting type violations among input cells (text counts too)."""
    parts: list[str] = []
    by_type: dict[str, list[Cell]] = {}
    for c in cells:
        by_type.setdefault(c.type, []).append(c)
    for ctype, cs in by_type.items():
        t = type_rules(spec, ctype)
        integer = is_integer_type(t, ctype)
        dec = t.get("decimals")
        for rng in ranges(cs, True):
            parts.append(f"SUMPRODUCT(--ISTEXT({rng}))")
            if t.get("min") is not None:
                parts.append(f'COUNTIF({rng},"<{t["min"]}")')
            if integer:
                parts.append(f"SUMPRODUCT(--(MOD({rng},1)<>0))")
            elif dec:
                parts.append(f"SUMPRODUCT(--(ROUND({rng},{int(dec)})<>{rng}))")
    return "+".join(parts) if parts else "0"


def type_cf(spec: Spec, c: Cell, top_left: str) -> str:
    t = type_rules(spec, c.type)
    integer = is_integer_type(t, c.type)
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


def type_status(spec: Spec, cells: list[Cell], computed: dict[str, Number | None]) -> str:
    bad = 0
    for c in cells:
        v = computed.get(c.id)
        if v is None:
            continue
        t = type_rules(spec, c.type)
        integer = is_integer_type(t, c.type)
        if (t.get("min") is not None and v < t["min"]) or (integer and v != int(v)) or (not integer and t.get("decimals") is not None and \
                Decimal(v).normalize().as_tuple().exponent < -int(t["decimals"])):  # type: ignore[operator]  # finite: an int
            bad += 1
    if bad:
        return STATUS_FAIL
    return STATUS_INCOMPLETE if any(computed.get(c.id) is None for c in cells) else STATUS_PASS
