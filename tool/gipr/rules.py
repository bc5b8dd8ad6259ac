"""The one evaluator of totals and rules.

Every total is the sum of its parts and every rule compares two sums, to the tolerance the
format file allows (the most decimals any of its value types allows, ``types.*.decimals``).
The check (``recompute`` of a returned file), the template (cached values and the live
status cells) and the merge (the roll-up's totals, rule F against last year) all count here.

Numbers are exact: counts are ``int``, 万元 amounts ``Decimal``.  A blank is ``None``, never
0: ``blank_as_zero`` says explicitly where a blank counts as 0 (the roll-up's sums, Excel's
SUM in a template).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal

from .figures import in_force_rows
from .model import Report
from .spec import Rule, Spec, per_spec
from .values import Value, is_integer_type

__all__ = [
    "Number",
    "Plan",
    "agree",
    "column_sums",
    "complete",
    "decimals",
    "holds",
    "in_force_mismatches",
    "input_ids",
    "known_total",
    "norm",
    "plan",
    "printed_values",
    "quantize",
    "recompute",
    "sides",
    "sum_inputs",
    "total",
    "value_ids",
]


Number = int | Decimal

# Cells printed together as one number in a published table (（六）其他处理 as one row): the
# cell ids and the number.  A sum that needs all of them while they are unknown uses it.
Groups = Sequence[tuple[Sequence[str], Number]]

DEFAULT_DECIMALS = 6  # a format without any non-integer type: amounts of gipr's own formats


def decimals(spec: Spec) -> int:
    """The decimals two sums are compared to: the most any value type of the format allows."""
    return per_spec(spec, "rules.decimals", _decimals)


def _decimals(spec: Spec) -> int:
    found = [int(t["decimals"]) for name, t in spec.types.items()
             if not is_integer_type(t, name) and t.get("decimals") is not None]
    return max(found) if found else DEFAULT_DECIMALS


def quantize(spec: Spec, n: Number) -> Decimal | int:
    if isinstance(n, Decimal):
        return n.quantize(Decimal(1).scaleb(-decimals(spec)))
    return n


def agree(spec: Spec, a: Number, b: Number) -> bool:
    """Two sums are equal to the format's tolerance."""
    return a == b or quantize(spec, a) == quantize(spec, b)


def norm(n: Number) -> Number:
    """A Decimal that is a whole number becomes an int; others are normalised."""
    if isinstance(n, Decimal):
        if n == n.to_integral_value():
            return int(n)
        return n.normalize()
    return n


# ---------------------------------------------------------------------------------
# the per-format plan


class Plan:
    """Per-format lookups, computed once per format version (``plan(spec)``).

    Totals are index arithmetic over a flat list: the inputs (``inputs``, spec order), then
    the totals in dependency order (``steps``)."""

    def __init__(self, spec: Spec):
        self.inputs = [c.id for c in spec.cells.values() if c.input]
        order = spec.total_order()
        self.totals = [(c.id, tuple(c.parts)) for c in order]
        self.ids = self.inputs + [c.id for c in order]
        idx = {cid: i for i, cid in enumerate(self.ids)}
        self.steps = [(idx[c.id], [idx[p] for p in c.parts]) for c in order]
        self.n_inputs = len(self.inputs)
        self.value_ids = [cid for t in spec.tables for cid in t.cells]
        self._out = [idx[cid] for cid in self.value_ids]
        self.cells = list(spec.cells.items())
        self.rules_by_id = {r.id: r for r in spec.rules}
        self.type_rule = next((r for r in spec.rules if r.kind == "type"), None)
        self.value_rules = [r for r in spec.rules if r.kind in ("equal", "total", "carry")]
        self.rule_sides = [(r, tuple(r.lhs), tuple(r.rhs)) for r in self.value_rules]

    def complete(self, numbers: Sequence[Number | None] | None) -> list[Number | None]:
        """Input numbers (``inputs`` order) → every value in ``ids`` order, totals with
        blanks as 0."""
        vals: list[Number | None] = list(numbers) if numbers is not None else [None] * self.n_inputs
        vals.extend([None] * len(self.steps))
        for i, parts in self.steps:
            try:
                vals[i] = sum([vals[p] for p in parts])  # type: ignore[misc]  # a None raises TypeError, caught
            except TypeError:  # a blank part: counts as 0 here
                vals[i] = sum(v for v in (vals[p] for p in parts) if v is not None)
        return vals

    def values_in_order(self, numbers: Sequence[Number | None] | None) -> tuple[Number | None, ...]:
        """Every value in ``value_ids`` order (totals with blanks as 0)."""
        vals = self.complete(numbers)
        return tuple([vals[i] for i in self._out])


def plan(spec: Spec) -> Plan:
    return per_spec(spec, "rules.plan", Plan)


def input_ids(spec: Spec) -> list[str]:
    """The input cells in spec order.  Cached per format: do not modify the list."""
    return plan(spec).inputs


def value_ids(spec: Spec) -> list[str]:
    """Every value cell (inputs and totals) in table and sheet order (cached)."""
    return plan(spec).value_ids


def compact_numbers(spec: Spec, values: Mapping[str, Value]) -> tuple[list[Number | None], dict[str, str]]:
    """A report's input cells (``values``: cell id → Value) in ``input_ids`` order, None unless
    a number, and what the non-numeric ones said (text, error, 不适用), only when there are
    such cells: what a merge keeps of a report (merge entries, results stored by collect)."""
    ids = input_ids(spec)
    got = list(map(values.get, ids))
    nums: list[Number | None] = [None if v is None or v.state != "number" else v.number for v in got]
    odd: dict[str, str] = {}
    if None in nums:
        odd = {cid: v.raw_text for cid, v in zip(ids, got) if v is not None and v.state in ("text", "error", "na")}
    return nums, odd


# ---------------------------------------------------------------------------------
# totals


def recompute(report: Report, blank_as_zero: bool = False) -> dict[str, Number | None]:
    """A returned file's numbers the way gipr trusts them: inputs as parsed (None unless a
    number; a blank is 0 only with ``blank_as_zero``) and every total recomputed from them
    (None if any input it depends on is None)."""
    p = plan(report.spec)
    vals = report.values
    ids = p.inputs
    out: dict[str, Number | None] = {
        cid: None if v is None else v.number if v.state == "number" else 0 if blank_as_zero and v.state == "blank"
        else None for cid, v in zip(ids, map(vals.get, ids))}
    get = out.__getitem__
    for cid, parts in p.totals:
        try:
            out[cid] = sum(map(get, parts))  # type: ignore[arg-type]  # a None part raises TypeError, caught
        except TypeError:
            out[cid] = None
    return out


def complete(spec: Spec, inputs: Mapping[str, Number | None], *, blank_as_zero: bool = True
             ) -> dict[str, Number | None]:
    """Inputs plus every total recomputed from them.

    With ``blank_as_zero`` a missing input counts as 0 in the totals (the roll-up's
    arithmetic, Excel's SUM); without it a total with a missing part is ``None``.
    """
    p = plan(spec)
    out: dict[str, Number | None] = {cid: inputs.get(cid) for cid in p.inputs}
    for cid, parts in p.totals:
        got = [out.get(x) for x in parts]
        if not blank_as_zero and any(x is None for x in got):
            out[cid] = None
        else:
            out[cid] = _sum(x for x in got if x is not None)
    return out


def _sum(nums: Iterable[Number]) -> Number:
    total: Number = 0
    for n in nums:
        total = total + n
    return norm(total)


def sum_inputs(spec: Spec, numbers: Iterable[Sequence[Number | None]]) -> dict[str, Number]:
    """Cell-by-cell sum of input-number tuples (in ``input_ids`` order); blanks add nothing."""
    ids = input_ids(spec)
    return {cid: norm(v) for cid, v in zip(ids, column_sums(numbers, len(ids)))}


def column_sums(numbers: Iterable[Sequence[Number | None]], width: int, chunk: int = 512) -> list[Number]:
    """Column sums of rows of numbers (None adds nothing), exact, in chunks so that a long
    stream is never held at once; ``sum`` runs in C for columns without blanks."""
    acc: list[Number] = [0] * width
    it = iter(numbers)
    while True:
        block = [n for _, n in zip(range(chunk), it)]
        if not block:
            return acc
        for i, col in enumerate(zip(*block)):
            try:
                acc[i] += sum(col)
            except TypeError:  # a blank (None) in this column
                acc[i] += sum(x for x in col if x is not None)


# ---------------------------------------------------------------------------------
# rules


def sides(rule: Rule, values: Mapping[str, Number | None],
          previous: Mapping[str, Number | None] | None = None,
          groups: Groups | None = None) -> tuple[Number, Number] | None:
    """The two sums a rule compares, or None when it cannot be evaluated: an input is missing,
    or (a ``carry`` rule, F) there is no previous year's value.  ``groups``: cells printed as
    one number (see ``Groups``)."""
    if rule.kind == "carry":
        if previous is None:
            return None
        lhs = total(rule.lhs, values)
        rhs = total(rule.rhs, previous)
    elif rule.kind in ("equal", "total"):
        lhs = total(rule.lhs, values, groups)
        rhs = total(rule.rhs, values, groups)
    else:
        return None  # "type": per cell, see values.parse_value
    if lhs is None or rhs is None:
        return None
    return lhs, rhs


def total(ids: Sequence[str], values: Mapping[str, Number | None], groups: Groups | None = None
          ) -> Number | None:
    """The sum of some cells' values, None if any of them is None (unless it is one of a
    group printed as one number, all of whose cells are among ``ids``)."""
    try:
        return sum(map(values.get, ids))  # type: ignore[arg-type]  # a None raises TypeError, caught; map: the loop in C
    except TypeError:  # a None
        if not groups:
            return None
    acc: Number = 0
    left = set()
    for i in ids:
        n = values.get(i)
        if n is None:
            left.add(i)
        else:
            acc += n
    for gids, gval in groups:
        g = set(gids)
        if g <= left:
            left -= g
            acc += gval
    return None if left else acc


def known_total(ids: Sequence[str], values: Mapping[str, Number | None]) -> Number:
    """The sum of the cells that have a number (a lower bound of the sum: counts and amounts
    are never negative)."""
    return sum(n for n in (values.get(i) for i in ids) if n is not None)


def printed_values(report: Report, values: Mapping[str, Number | None]) -> dict[str, Number | None]:
    """A published report's numbers: inputs as parsed, each total as printed where a number was
    printed (a printed total is checked, never replaced), else recomputed from the others."""
    out = dict(values)
    groups = report.groups
    for c in report.spec.total_order():
        v = report.values.get(c.id)
        if v is not None and v.state == "number":
            out[c.id] = v.number
        elif groups:
            out[c.id] = total(c.parts, out, groups)
    return out


def in_force_mismatches(spec: Spec, values: Mapping[str, Number | None], previous: Mapping[str, Number | None]
                        ) -> list[tuple[str, dict[str, Number]]]:
    """Across years, table 二 per row: this year's 现行有效 against last year's 现行有效 +
    本年制发 − 本年废止 (a plausibility check: documents also lapse for other reasons).
    (cell id of 现行有效, the numbers) per row where it does not hold."""

    out = []
    for row in in_force_rows(spec):
        ids = [row.issued, row.repealed, row.in_force]
        issued, repealed, now = (values.get(i) for i in ids)
        prev = previous.get(ids[2])
        if issued is None or repealed is None or now is None or prev is None:
            continue
        expected = prev + issued - repealed
        if not agree(spec, expected, now):
            out.append((ids[2], {"now": now, "prev": prev, "issued": issued, "repealed": repealed,
                                 "expected": expected}))
    return out


def holds(spec: Spec, rule: Rule, values: Mapping[str, Number | None],
          previous: Mapping[str, Number | None] | None = None, groups: Groups | None = None) -> bool | None:
    """True / False for a rule instance, None when it cannot be evaluated.  ``groups``: cells
    printed as one number (see ``Groups``)."""
    s = sides(rule, values, previous, groups)
    if s is None:
        return None
    return agree(spec, *s)
