"""Property tests (hypothesis) of the arithmetic: totals, rules (勾稽关系) and merging.

* recompute: every total equals the sum of its input leaves (from the format file), and is
  unknown (None) as soon as one leaf is blank — never a blank counted as 0;
* the rules: for ANY fill, the rules check_report says fail are exactly those whose two
  sides, summed independently from the leaves, differ; for a consistent fill, none fails;
* a merge equals the sum of its parts (checked against checks.recompute, an independent
  implementation), a merge of merges equals the merge of all units, and merging consistent
  fills gives a consistent roll-up.
"""

from __future__ import annotations

import os
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, assume, given, seed, settings
from hypothesis import strategies as st

from gipr.check import check_report, recompute
from gipr.merge import INCLUDED, Entry, input_ids, plan_merge, value_ids
from gipr.model import Report
from gipr.spec import load_format
from gipr.values import Value

SEED = int(os.environ.get("GIPR_FUZZ_SEED", "20250131"))
N = int(os.environ.get("GIPR_FUZZ_RULE_EXAMPLES", "40"))
SETTINGS = settings(max_examples=N, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])
SPECS = {f: load_format(f) for f in ("2021", "2019")}


def number(ctype: str, blanks: bool):
    if ctype == "amount":
        s = st.decimals(min_value=0, max_value=10**6, places=6, allow_nan=False, allow_infinity=False).map(
            lambda d: int(d) if d == d.to_integral_value() else d.normalize())
    elif ctype == "delta":
        s = st.integers(-500, 500)
    else:
        s = st.integers(0, 10**5)
    return st.one_of(st.none(), s) if blanks else s


def fills(spec, blanks: bool = True):
    return st.fixed_dictionaries({c.id: number(c.type, blanks) for c in spec.inputs})


def report_of(spec, inputs: dict) -> Report:
    r = Report(spec=spec, file="属性测试.xlsx")
    for c in spec.inputs:
        n = inputs.get(c.id)
        r.values[c.id] = Value("blank", None, None) if n is None else Value("number", n, n)
    for c in spec.totals:
        r.values[c.id] = Value("blank", None, "", code="formula")  # a live formula without a cached value
    return r


def leaf_sum(spec, cid: str, inputs: dict):
    total = 0
    for leaf in spec.cells[cid].leaves:
        if inputs.get(leaf) is None:
            return None
        total += inputs[leaf]
    return total


def side(spec, ids, inputs):
    parts = [leaf_sum(spec, x, inputs) for x in ids]
    return None if any(p is None for p in parts) else sum(parts)


def failing_rules_independently(spec, inputs) -> set[str]:
    out = set()
    for r in spec.rules:
        if r.kind not in ("equal", "total"):
            continue
        a, b = side(spec, r.lhs, inputs), side(spec, r.rhs, inputs)
        if a is not None and b is not None and Decimal(a) != Decimal(b):
            out.add(r.id)
    return out


def rule_findings(findings) -> set[str]:
    return {f.rule for f in findings if f.code.startswith("rule.")}


def make_consistent(spec, inputs: dict) -> dict | None:
    """Repair a fill so that every equal rule holds (the way kit.helpers.consistent_values
    does, deterministically): per rule, the last input of its right side takes the
    difference; a negative difference raises an input of the left side.  None if the
    repairs do not settle."""
    vals = {k: (0 if v is None else v) for k, v in inputs.items()}
    for _ in range(6):
        for r in spec.rules_of("equal"):
            free = [x for x in r.rhs if spec.cells[x].input]
            if not free:
                continue
            target = free[-1]
            vals[target] = 0
            diff = side(spec, r.lhs, vals) - side(spec, r.rhs, vals)
            if diff < 0:
                left = [leaf for x in r.lhs for leaf in spec.cells[x].leaves]
                vals[left[0]] -= diff
                diff = 0
            vals[target] = diff
        if not failing_rules_independently(spec, vals):
            return vals
    return None


@pytest.mark.parametrize("fid", sorted(SPECS))
def test_recompute_sums_the_leaves_and_never_counts_a_blank(fid):
    spec = SPECS[fid]

    @seed(SEED)
    @SETTINGS
    @given(inputs=fills(spec))
    def prop(inputs):
        got = recompute(report_of(spec, inputs))
        for c in spec.totals:
            want = leaf_sum(spec, c.id, inputs)
            assert got[c.id] == want or (want is not None and Decimal(got[c.id]) == Decimal(want)), c.id
        for c in spec.inputs:
            assert got[c.id] == inputs[c.id]

    prop()


@pytest.mark.parametrize("fid", sorted(SPECS))
def test_rules_that_fail_are_exactly_those_whose_sides_differ(fid):
    spec = SPECS[fid]

    @seed(SEED)
    @SETTINGS
    @given(inputs=fills(spec))
    def prop(inputs):
        findings = check_report(report_of(spec, inputs))
        assert rule_findings(findings) == failing_rules_independently(spec, inputs)

    prop()


@pytest.mark.parametrize("fid", sorted(SPECS))
def test_a_consistent_fill_passes_every_rule(fid):
    spec = SPECS[fid]

    @seed(SEED)
    @SETTINGS
    @given(inputs=fills(spec, blanks=False))
    def prop(inputs):
        fixed = make_consistent(spec, inputs)
        assume(fixed is not None)
        findings = check_report(report_of(spec, fixed))
        assert rule_findings(findings) == set()
        # and the only errors are the cover fields nobody filled in (no value problem)
        assert {f.code for f in findings if f.severity == "error"} <= {"field.missing"}

    prop()


def entry(spec, i: int, inputs: dict, *, kind: str = "unit", covers=None) -> Entry:
    return Entry(code=f"U{i:03d}" if kind == "unit" else "", name=f"单位{i}" if kind == "unit" else f"县{i}",
                 status=INCLUDED, kind=kind, file=f"{i}.xlsx", sha256=f"{i:064d}",
                 numbers=tuple(inputs.get(cid) for cid in input_ids(spec)), covers=covers or [],
                 county=f"县{i}" if kind == "rollup" else "")


def equal(a, b) -> bool:
    if a is None or b is None:
        return a is b
    return Decimal(a) == Decimal(b)


@pytest.mark.parametrize("fid", sorted(SPECS))
def test_a_merge_equals_the_sum_of_its_parts(fid):
    spec = SPECS[fid]

    @seed(SEED)
    @SETTINGS
    @given(units=st.lists(fills(spec), min_size=1, max_size=6), cut=st.integers(1, 5))
    def prop(units, cut):
        res = plan_merge(spec, 2025, "某县", [entry(spec, i, u) for i, u in enumerate(units)], None)
        # independently: each unit recomputed by the checks (blank as 0), summed cell by cell
        per_unit = [recompute(report_of(spec, u), blank_as_zero=True) for u in units]
        for cid in value_ids(spec):
            assert equal(res.values[cid], sum(p[cid] for p in per_unit)), cid
        # a merge of merges (two counties, then the city) equals the merge of all units
        if len(units) >= 2:
            cut = min(cut, len(units) - 1)
            groups = [list(enumerate(units))[:cut], list(enumerate(units))[cut:]]
            rollups = []
            for g, members in enumerate(groups):
                part = plan_merge(spec, 2025, f"县{g}", [entry(spec, i, u) for i, u in members], None)
                covers = [{"code": f"U{i:03d}", "name": f"单位{i}", "county": f"县{g}"} for i, _ in members]
                rollups.append(entry(spec, 900 + g, part.values, kind="rollup", covers=covers))
            city = plan_merge(spec, 2025, "某市", rollups, None)
            for cid in value_ids(spec):
                assert equal(city.values[cid], res.values[cid]), cid

    prop()


@pytest.mark.parametrize("fid", sorted(SPECS))
def test_merging_consistent_fills_gives_a_consistent_rollup(fid):
    spec = SPECS[fid]

    @seed(SEED)
    @SETTINGS
    @given(units=st.lists(fills(spec, blanks=False), min_size=1, max_size=4))
    def prop(units):
        fixed = [make_consistent(spec, u) for u in units]
        assume(all(f is not None for f in fixed))
        res = plan_merge(spec, 2025, "某县", [entry(spec, i, u) for i, u in enumerate(fixed)], None)
        merged = {cid: res.values[cid] for cid in input_ids(spec)}
        assert rule_findings(check_report(report_of(spec, merged))) == set()

    prop()
