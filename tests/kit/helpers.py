"""Test helpers shared by every area (stable API; keep backwards compatible).

``fill_workbook(src, dst, values, fields=None)`` types values into a generated template
the way a unit would: it opens ``src`` with openpyxl (formulas, protection, validation,
conditional formats, the identity sheet and custom properties are kept), writes each
value into the cell the spec puts it in, and saves to ``dst``.

* ``values``: cell id → value.  int/float/Decimal are written as numbers; a str is
  written as the text a unit typed (like Excel, a string starting with "=" becomes a
  formula; pass ``literal_text=True`` to keep it inert text); ``None`` clears the cell.
  Totals may be given too (a unit overwriting a formula), which replaces the formula.
* ``fields``: cover field id (``filler``, ``phone``, ``date``, ``unit_name`` …) → text.
* ``spec``: the format; by default read from the workbook's identity (``gipr.format``).

openpyxl does not compute formulas: the saved file has formulas without cached values,
like a file from a spreadsheet app that never recalculated.  Use ``tests/kit/lo.py`` to let
LibreOffice recalculate it.
"""

from __future__ import annotations

import random
import sqlite3
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl

from gipr.spec import Spec, load_format
from gipr.stamp import IDENTITY_SHEET, identity_from_properties, read_identity_rows

__all__ = ["consistent_values", "fill_workbook", "random_values", "workbook_format"]


def workbook_format(wb: openpyxl.Workbook) -> str | None:
    """The format id recorded in a gipr workbook (identity sheet, then custom properties)."""
    if IDENTITY_SHEET in wb.sheetnames:
        ident, _ = read_identity_rows([list(r) for r in wb[IDENTITY_SHEET].iter_rows(values_only=True)])
        if ident.get("format"):
            return ident["format"]
    try:
        props = {p.name: p.value for p in wb.custom_doc_props.props}
    except AttributeError:  # pragma: no cover - old openpyxl
        props = {}
    return identity_from_properties(props).get("format")


def fill_workbook(src: str | Path, dst: str | Path, values: dict[str, Any],
                  fields: dict[str, str] | None = None, *, spec: Spec | None = None,
                  literal_text: bool = False) -> Path:
    wb = openpyxl.load_workbook(src)
    if spec is None:
        fid = workbook_format(wb)
        if fid is None:
            raise ValueError(f"{src}: no gipr identity; pass spec=")
        spec = load_format(fid)
    for cid, v in values.items():
        cell = spec.cells[cid]
        _put(wb[cell.sheet][cell.ref], v, literal_text)
    for fid, text in (fields or {}).items():
        f = spec.cover_field(fid)
        c = wb[f.sheet][f.ref]
        c.value = text
        if isinstance(text, str):
            c.data_type = "s"  # typed text, never a formula
    dst = Path(dst)
    wb.save(dst)
    return dst


def _put(c, v: Any, literal_text: bool) -> None:
    if isinstance(v, bool):
        raise TypeError("a unit cannot type a bool")
    if isinstance(v, Decimal):
        v = int(v) if v == v.to_integral_value() else float(v)
    c.value = v
    if isinstance(v, str) and literal_text:
        c.data_type = "s"


def random_values(spec: Spec, rng: random.Random | None = None, high: int = 30) -> dict[str, Any]:
    """Random valid values for every input cell (counts ≥ 0, amounts with up to 6 decimals,
    deltas possibly negative).  Rule A is generally NOT satisfied."""
    rng = rng or random.Random(0)
    out: dict[str, Any] = {}
    for c in spec.inputs:
        if c.type == "amount":
            out[c.id] = Decimal(rng.randint(0, 10**8)) / Decimal(10**rng.randint(0, 6))
        elif c.type == "delta":
            out[c.id] = rng.randint(-high, high)
        else:
            out[c.id] = rng.randint(0, high)
    return out


def consistent_values(spec: Spec, rng: random.Random | None = None, high: int = 30) -> dict[str, Any]:
    """Random valid values that satisfy every equal rule (rule A): for each such rule
    instance, one input leaf on its right-hand side that appears in no other rule's
    right-hand side adjustments is set so that both sides are equal (retried until all
    pass).  Works for any format whose equal rules each have an input on the right."""
    from gipr.template import compute_totals, rule_status

    rng = rng or random.Random(0)
    for _ in range(200):
        vals = random_values(spec, rng, high)
        for r in spec.rules_of("equal"):
            # the (input) cell on the right-hand side we adjust: the last input in rhs
            free = [x for x in r.rhs if spec.cells[x].input]
            if not free:
                continue
            target = free[-1]
            vals[target] = 0
            comp = compute_totals(spec, vals)
            lhs = sum(comp[x] for x in r.lhs)
            rhs = sum(comp[x] for x in r.rhs)
            diff = lhs - rhs
            if diff < 0:  # make the left side larger: raise one input leaf on the left
                left_inputs = [leaf for x in r.lhs for leaf in spec.cells[x].leaves]
                vals[left_inputs[0]] = vals[left_inputs[0]] - diff
                diff = 0
            vals[target] = diff
        comp = compute_totals(spec, vals)
        if all(rule_status(spec, r, comp) == "通过" for r in spec.rules_of("equal", "total")):
            return vals
    raise RuntimeError("could not make consistent values")


def run_cli(*args) -> int:
    """Run gipr's command line in-process; its exit status (what a shell would see)."""
    from gipr.cli import main

    try:
        main([str(a) for a in args])
    except SystemExit as e:
        return 0 if e.code is None else int(e.code)
    return 0


def ledger_rows(ws: Path) -> list[dict]:
    """Every row of a workspace's submissions ledger, in order, as plain dicts (read straight
    from the SQLite file, not through gipr)."""
    con = sqlite3.connect(ws / "ledger.sqlite")
    con.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in con.execute("SELECT * FROM submissions ORDER BY id")]
    finally:
        con.close()
