"""Year over year: last year's roll-up (or workspace, or folder), rule F (this year's 二
against last year's 四, with the format's tolerance) and large changes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from .. import messages
from ..collect.workspace import Workspace, find_workspace_dir
from ..errors import GiprError, ReadError
from ..messages import say
from ..published import is_document
from ..read.units import read_rollup_limited
from ..roster import normalize_name
from ..rules import Number, agree, complete, in_force_mismatches, input_ids, sum_inputs, value_ids
from ..sources import open_reports
from ..spec import Spec, load_format
from ..values import fmt_number
from .entries import entry_values, rollup_name, strip_rollup_suffix
from .plan import MergeResult, plan_merge
from .stored import entries_from_workspace

# ---------------------------------------------------------------------------------
# year over year


@dataclass
class Previous:
    """Last year's numbers: the county's and, where known, each unit's (all value cells)."""

    source: str
    year: int | None
    format: str
    county: dict[str, Number | None]
    units: dict[str, tuple[str, str, dict[str, Number | None]]]  # code or n:name -> (code, name, values)
    county_name: str = ""

    def unit(self, code: str, name: str) -> tuple[str, str, dict[str, Number | None]] | None:
        return self.units.get(code) or self.units.get("n:" + normalize_name(name))


@dataclass
class YearChange:
    code: str  # "" for the county row
    name: str
    cell: str  # cell id (this year's)
    this: Number | None
    last: Number | None
    severity: str = ""  # "error" (rule F) | "info" (large change) | ""
    rule: str = ""
    message: str = ""


def _prev_units(pairs: Iterable[tuple[str, str, dict[str, Number | None]]]) -> dict:
    units: dict[str, tuple[str, str, dict[str, Number | None]]] = {}
    for code, name, vals in pairs:
        one = (code, name, vals)  # the same object under both keys: compare_years lists it once
        if code:
            units[code] = one
        if name:
            units.setdefault("n:" + normalize_name(name), one)
    return units


def load_previous_year(path: str | Path, *, jobs: int | None = None) -> Previous:
    """Last year's roll-up workbook, last year's workspace folder, or last year's published
    reports (a document, or a folder of documents or of ``gipr import --out`` workbooks)."""

    path = Path(path)
    if (path.is_dir() and find_workspace_dir(path) is None) or (path.is_file() and is_document(path)):
        return _previous_from_reports(path)
    if path.is_dir():
        ws = Workspace.open(path)
        spec = load_format(ws.format)
        entries = entries_from_workspace(ws, spec=spec, jobs=jobs)
        res = plan_merge(spec, ws.year, ws.county or "", entries, ws.roster, refuse_duplicates=False)
        return Previous(str(path), ws.year, spec.id, dict(res.values),
                        _prev_units((e.code, e.name, entry_values(spec, e)) for e in res.included), ws.county or "")
    if not path.is_file():
        raise GiprError(say("merge.previous_missing", path=path), "merge.previous_missing")

    try:
        # behind the boundary: the roll-up and its per-unit sheet, read in a worker (plain data back)
        rep, rows = read_rollup_limited(path)
    except ReadError as e:
        raise GiprError(say("merge.previous_unreadable", path=path, error=e), "merge.previous_unreadable") from None
    spec = rep.spec
    inputs = {cid: rep.number(cid) for cid in input_ids(spec)}
    county = complete(spec, inputs)
    name = ""
    if rep.kind == "rollup":
        units = _prev_units(rows)
        name = (rep.identity.get("county") or "").strip() or strip_rollup_suffix(rep.unit_name or "")
        name = "" if name == say("rollup.unnamed") else name
    else:
        units = _prev_units([(rep.unit_code, rep.unit_name, county)])
    return Previous(str(path), rep.year, spec.id, county, units, name)


def _previous_from_reports(path: Path) -> Previous:
    """Last year from reports read one by one (``sources.open_reports``: workbooks and
    published documents).  One report is the county's own; several are units, and the county
    is their cell-by-cell sum."""

    try:
        reps = open_reports(path)
    except GiprError as e:
        raise GiprError(messages.say("cli.previous_unreadable", path=path, error=e),
                        "merge.previous_unreadable") from None
    if not reps:
        raise GiprError(messages.say("cli.previous_empty", path=path), "merge.previous_missing")
    spec = reps[0].spec
    reps = [r for r in reps if r.spec.id == spec.id]
    per_unit = []
    for rep in reps:
        inputs = {cid: rep.number(cid) for cid in input_ids(spec)}
        per_unit.append((rep.unit_code, rep.unit_name, complete(spec, inputs)))
    if len(reps) == 1:
        county = per_unit[0][2]
        name = reps[0].unit_name or ""
    else:
        ids = input_ids(spec)
        county = complete(spec, sum_inputs(spec, [[u[2].get(cid) for cid in ids] for u in per_unit]))
        name = ""
    years = {r.year for r in reps if r.year}
    return Previous(str(path), years.pop() if len(years) == 1 else None, spec.id, county, _prev_units(per_unit), name)


def read_unit_sheet(path: str | Path, spec: Spec | None = None) -> list[tuple[str, str, dict[str, Number | None]]]:
    """The per-unit rows of a gipr roll-up's 各单位明细 sheet (empty if it has none), read in a
    reader worker with the limits of a returned workbook (``read.units``).  Raises ReadError."""

    return read_rollup_limited(path, spec=spec)[1]


def _large_change(this: Number, last: Number) -> bool:
    return last >= 10 and (this >= 5 * last or this * 5 <= last)


def compare_years(spec: Spec, result: MergeResult, prev: Previous) -> list[YearChange]:
    """This year against last year for the county and each included unit, every cell both
    formats have (cells that are 0 in both years are left out), and every rule F instance
    (the spec's ``carry`` rules: this year's 二 against last year's 四) → error when they
    differ.  A change ×5 or ÷5 against last year's value of at least 10 → info (提示)."""

    try:
        pspec = load_format(prev.format)
    except Exception:
        pspec = spec
    common = [cid for cid in value_ids(spec) if cid in pspec.cells]
    carry = spec.rules_of("carry")
    rows: list[YearChange] = []

    def one(code: str, name: str, this: Mapping[str, Number | None], last: Mapping[str, Number | None] | None):
        if last is None:
            rows.append(YearChange(code, name, "", None, None, "", "", say("years.no_previous")))
            return
        for r in carry:
            a, b = this.get(r.lhs[0]), last.get(r.rhs[0]) if r.rhs[0] in pspec.cells else None
            bad = a is not None and b is not None and not agree(spec, a, b)

            msg = r.message.format(label=r.label, lhs=fmt_number(a), rhs=fmt_number(b)) if bad else ""
            rows.append(YearChange(code, name, r.lhs[0], a, b, "error" if bad else "", r.id, msg))
        rows.extend(_in_force_changes(spec, code, name, this, last))
        for cid in common:
            a, b = this.get(cid), last.get(cid)
            if not a and not b:
                continue  # 0 (or blank) in both years: nothing to compare
            c = spec.cells[cid]
            sev, msg = "", ""
            if a is not None and b is not None and c.type != "delta" and _large_change(a, b):
                sev = "info"
                msg = say("years.large_change", label=c.label_path, last=_fmt(b), this=_fmt(a))
            rows.append(YearChange(code, name, cid, a, b, sev, "", msg))

    one("", rollup_name(result.county), result.values, prev.county)
    seen: set[int] = set()
    for e in result.included:
        p = prev.unit(e.code, e.name)
        if p is not None:
            seen.add(id(p))
        one(e.code, e.name, entry_values(spec, e), p[2] if p else None)
    done_codes = {e.code for e in result.included}
    for p in prev.units.values():
        if id(p) in seen or (p[0] and p[0] in done_codes):
            continue
        seen.add(id(p))
        rows.append(YearChange(p[0], p[1], "", None, None, "info", "", say("years.not_merged")))
    return rows


def change_counts(changes: Iterable[YearChange]) -> dict[str, int]:
    """The counts every front end states (the workbook's 上年对比 title, ``merge --json``, the
    workbench): carry-over breaks (rule F), large changes of a cell, units of last year not
    merged this year."""
    changes = list(changes)
    return {"carry": sum(1 for c in changes if c.severity == "error"),
            "large": sum(1 for c in changes if c.severity == "info" and c.cell),
            "not_merged": sum(1 for c in changes if c.severity == "info" and not c.cell)}


def _in_force_changes(spec: Spec, code: str, name: str, this: Mapping[str, Number | None],
                      last: Mapping[str, Number | None]) -> list[YearChange]:
    """Table 二's 现行有效 cross-year plausibility (``rules.in_force_mismatches``) as warnings."""

    out = []
    for cid, nums in in_force_mismatches(spec, this, last):
        msg = messages.finding("previous.in_force", row=spec.cells[cid].row,
                               **{k: _fmt(v) for k, v in nums.items()}).message
        out.append(YearChange(code, name, cid, this.get(cid), last.get(cid), "warning", "", msg))
    return out


def _fmt(n: Number | None) -> str:
    return fmt_number(n)
