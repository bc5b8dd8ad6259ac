"""Taking apart digits that flattened text glued together, with the rules.

“210000021” under 一、本年新收… (seven columns) can be 21|0|0|0|0|0|21 or 2|10|0|0|0|0|21 or
…: every way of cutting the run into the row's number of cells, without leading zeros, is a
candidate.  The rules then choose: a row's 总计 is the sum of its other columns (rule C for
table 三, rule E for the groups of table 四, both read from the format's total rules), and the
columns of table 三 must satisfy the column rules (A, D).  Exactly one consistent split → it
is taken (and said so); more than one → the candidates are listed and the cells stay
unknown.  Nothing is ever guessed.

Table 二 has no rule inside a row; when last year's report of the issuer is given, its
现行有效 chooses among the cuts of 规章 / 行政规范性文件 (现行有效 = 上年现行有效 + 制发 −
废止), and its 结转下年 among the cuts of 上年结转 (rule F); :func:`by_previous`.

The search is bounded (:class:`Budget`): past a number of steps, or a time, or for a run
longer than :data:`MAX_RUN` digits, the row stays unknown with a finding that says so.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from itertools import product

from ..errors import OverBudget
from ..rules import Groups, holds
from ..spec import Spec

__all__ = [
    "MAX_RUN",
    "Budget",
    "OverBudget",
    "blank_doubt",
    "by_previous",
    "cuts_at",
    "resolve",
    "row_ok",
    "row_rules",
    "splits",
    "with_signs",
]

MAX_CANDIDATES = 20_000  # splits of one run
MAX_COMBOS = 20_000  # combinations of ambiguous rows tried against the column rules
MAX_RUN = 120  # digits in one glued run (15 cells of 8 digits): longer is no table row
MAX_STEPS = 1_000_000  # search steps for one document (about two seconds)
MAX_SECONDS = 5.0  # and at most this long


class Budget:
    """Steps and time the digit search of one document may take."""

    def __init__(self, steps: int = MAX_STEPS, seconds: float = MAX_SECONDS) -> None:
        self.left = steps
        self.deadline = time.monotonic() + seconds

    def tick(self, n: int = 1) -> None:
        self.left -= n
        if self.left < 0 or ((self.left & 0x3FF) == 0 and time.monotonic() > self.deadline):
            self.left = -1
            raise OverBudget



def splits(run: str, n: int, budget: Budget | None = None) -> list[tuple[int, ...]] | None:
    """Every cut of ``run`` into ``n`` numbers without leading zeros; None when too many."""
    out: list[tuple[int, ...]] = []
    if not run.isdigit() or n <= 0 or len(run) < n:
        return out
    if len(run) > MAX_RUN:
        raise OverBudget
    for cand in _cuts(run, n, None, (), budget or Budget()):
        out.append(cand)
        if len(out) > MAX_CANDIDATES:
            return None
    return out


def _cuts(s: str, m: int, target: int | None, acc: tuple[int, ...], budget: Budget):
    """Cuts of ``s`` into ``m`` numbers (no leading zeros); with ``target``, only cuts whose
    numbers add up to it (pruned as it goes: no part, and no partial sum, may exceed it)."""
    budget.tick()
    if m == 0:
        if not s and (target is None or target == 0):
            yield acc
        return
    if len(s) < m:
        return
    if m == 1:
        if s == "0" or s[0] != "0":
            v = int(s)
            if target is None or v == target:
                yield (*acc, v)
        return
    longest = len(s) - (m - 1)
    if s[0] == "0":
        longest = 1
    if target is not None:
        longest = min(longest, len(str(target)))
    for j in range(1, longest + 1):
        v = int(s[:j])
        if target is not None and v > target:
            break
        yield from _cuts(s[j:], m - 1, None if target is None else target - v, (*acc, v), budget)


def _total_rules(spec: Spec, cids: list[str]) -> list[tuple[int, list[int]]]:
    """(index of the total, indexes of its parts) among ``cids`` for every total rule whose
    cells all lie in this row."""
    pos = {c: i for i, c in enumerate(cids)}
    out = []
    for r in spec.rules_of("total"):
        if len(r.lhs) == 1 and r.lhs[0] in pos and all(x in pos for x in r.rhs):
            out.append((pos[r.lhs[0]], [pos[x] for x in r.rhs]))
    return out


def row_ok(spec: Spec, cids: list[str], cand: tuple[int, ...]) -> bool:
    return all(cand[t] == sum(cand[p] for p in parts) for t, parts in _total_rules(spec, cids))


def candidates(spec: Spec, cids: list[str], run: str, budget: Budget | None = None) -> list[tuple[int, ...]] | None:
    """The cuts of ``run`` into the row's cells that satisfy the row's total rules (C: the
    last cell is the sum of the others; E: each group of four and its 总计).  Groups that
    end in their total are cut total-first, so only sums that can hold are tried.  None
    when there are more than :data:`MAX_CANDIDATES`.  Raises :class:`OverBudget` past the
    budget (or for a run longer than :data:`MAX_RUN`)."""
    n = len(cids)
    if not run.isdigit() or len(run) < n:
        return []
    if len(run) == n:  # one digit a cell: the only cut of a row printed in full (see blank_doubt)
        return [tuple(int(c) for c in run)]
    if len(run) > MAX_RUN:
        raise OverBudget
    budget = budget or Budget()
    rules = _total_rules(spec, cids)
    # consecutive groups [parts…, total] covering the row (table 三 rows: one; table 四: three)
    groups: list[tuple[int, int]] = []
    i = 0
    for t, parts in sorted(rules):
        if sorted(parts) == list(range(i, t)):
            groups.append((i, t))
            i = t + 1
    if not groups or i != n:
        out = []
        for cand in _cuts(run, n, None, (), budget):
            if row_ok(spec, cids, cand):
                out.append(cand)
                if len(out) > MAX_CANDIDATES:
                    return None
        return out
    found: list[tuple[int, ...]] = []

    def rec(s: str, g: int, acc: tuple[int, ...]) -> bool:
        budget.tick()
        if g == len(groups):
            if not s:
                found.append(acc)
            return len(found) <= MAX_CANDIDATES
        a, t = groups[g]
        width = t - a + 1
        rest = sum(tt - aa + 1 for aa, tt in groups[g + 1:])
        for glen in range(width, len(s) - rest + 1):  # the digits this group takes
            chunk = s[:glen]
            for k in range(1, glen - (width - 1) + 1):  # the digits of its total
                tail = chunk[glen - k:]
                if len(tail) > 1 and tail[0] == "0":
                    continue
                total = int(tail)
                for parts in _cuts(chunk[:glen - k], width - 1, total, (), budget):
                    if not rec(s[glen:], g + 1, (*acc, *parts, total)):
                        return False
        return True

    if not rec(run, 0, ()):
        return None
    return found


def cuts_at(cand: tuple[int, ...], pieces: list[str]) -> bool:
    """Does the cut ``cand`` cut between every two of the printed ``pieces`` (digit runs a
    space kept apart)?"""
    bounds, pos = set(), 0
    for x in cand:
        pos += len(str(x))
        bounds.add(pos)
    pos = 0
    for p in pieces[:-1]:
        pos += len(p)
        if pos not in bounds:
            return False
    return True


def blank_doubt(spec: Spec, cids: list[str], run: str) -> bool:
    """A run of one digit a cell (“215” for three cells) is the only cut of a row printed in
    full, but a cell printed blank leaves no trace in glued text: “215” may be 2 | blank | 15.
    Certain only when the row's rules confirm the cut, or when no two digits can make one
    number (a run of zeros)."""
    if len(run) != len(cids) or not any(ch != "0" for ch in run[:-1]):
        return False
    cut = tuple(int(c) for c in run)
    return not (_total_rules(spec, cids) and row_ok(spec, cids, cut))


def with_signs(cand: tuple[int, ...], pieces: list[str], signed: list[int]) -> tuple[int, ...]:
    """The cut ``cand`` of the printed ``pieces`` with the sign printed before the pieces
    ``signed`` given to the cell each of them starts."""
    starts, pos = [], 0
    for p in pieces:
        starts.append(pos)
        pos += len(p)
    neg = {starts[i] for i in signed}
    out, pos = [], 0
    for x in cand:
        out.append(-x if pos in neg else x)
        pos += len(str(x))
    return tuple(out)


def row_rules(spec: Spec, cids: list[str]) -> bool:
    """Does a rule hold inside this row (rule C, rule E)?"""
    return bool(_total_rules(spec, cids))


def by_previous(spec: Spec, cids: list[str], cands: list[tuple[int, ...]], previous: dict | None
                ) -> list[tuple[int, ...]] | None:
    """The cuts that agree with last year's report (``previous``: cell id → number): table
    二's 现行有效 = 上年现行有效 + 制发 − 废止, table 三's 上年结转 = 上年的结转下年 (rule F).
    None when last year says nothing about this row, or no cut agrees (documents also lapse
    for other reasons: then the rule does not choose)."""
    if not previous:
        return None
    pos = {c: i for i, c in enumerate(cids)}
    tests: list[Callable[..., bool]] = []
    for c in cids:
        if c.startswith("t2.") and c.endswith(".in_force"):
            row = c[:-len(".in_force")]
            ids = (f"{row}.issued", f"{row}.repealed")
            if all(i in pos for i in ids) and previous.get(c) is not None:
                p = previous[c]
                tests.append(lambda x, i=pos[c], a=pos[ids[0]], b=pos[ids[1]], p=p: x[i] == p + x[a] - x[b])
    for r in spec.rules_of("carry"):
        if len(r.lhs) == 1 and r.lhs[0] in pos and len(r.rhs) == 1 and previous.get(r.rhs[0]) is not None:
            p = previous[r.rhs[0]]
            tests.append(lambda x, i=pos[r.lhs[0]], p=p: x[i] == p)
    if not tests:
        return None
    kept = [c for c in cands if all(t(c) for t in tests)]
    return kept or None


def resolve(spec: Spec, known: dict[str, int | None], rows: dict[str, tuple[list[str], list[tuple[int, ...]]]],
            groups: Groups | None = None, budget: Budget | None = None
            ) -> tuple[dict[str, int], dict[str, list[tuple[int, ...]]]]:
    """Choose among the row candidates (already filtered by the row rules) with the column
    rules (equal and total rules whose cells span several rows).

    ``known``: cell id → number (None unknown) for the cells read directly; ``rows``: a key →
    (its cell ids, its candidates).  Returns (cell id → number for rows decided, key → the
    remaining candidates for rows left undecided).
    """
    decided: dict[str, int] = {}
    open_rows: dict[str, tuple[list[str], list[tuple[int, ...]]]] = {}
    for key, (cids, cands) in rows.items():
        if len(cands) == 1:
            decided.update(zip(cids, cands[0]))
        elif cands:
            open_rows[key] = (cids, cands)
    if not open_rows:
        return decided, {}
    keys = list(open_rows)
    combos = 1
    for k in keys:
        combos *= len(open_rows[k][1])
    if combos > MAX_COMBOS:
        return decided, {k: open_rows[k][1] for k in keys}
    base = dict(known)
    base.update(decided)
    rules = list(spec.rules_of("equal", "total"))
    involved = {c for k in keys for c in open_rows[k][0]}
    rules = [r for r in rules if involved & (set(r.lhs) | set(r.rhs))]

    good: list[tuple[tuple[int, ...], ...]] = []
    budget = budget or Budget()
    for combo in product(*(open_rows[k][1] for k in keys)):
        budget.tick(len(rules) + 1)
        env = dict(base)
        for k, cand in zip(keys, combo):
            env.update(zip(open_rows[k][0], cand))
        # (rules.total: a group printed as one row stands for its cells)
        if all(holds(spec, r, env, groups=groups) is not False for r in rules):
            good.append(combo)
            if len(good) > 50:
                break
    remaining: dict[str, list[tuple[int, ...]]] = {}
    for i, k in enumerate(keys):
        options = sorted({g[i] for g in good})
        if len(options) == 1:
            decided.update(zip(open_rows[k][0], options[0]))
        else:
            remaining[k] = options if options else open_rows[k][1]
    return decided, remaining
