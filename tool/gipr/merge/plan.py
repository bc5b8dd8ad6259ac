"""The merge plan: match entries to the roster, refuse double counting (the same unit
twice, a roll-up together with a unit it contains), decide who is included, sum."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..errors import GiprError
from ..messages import say
from ..model import Finding
from ..roster import normalize_name
from ..rules import Number, complete, sum_inputs
from ..spec import Spec
from ..unitmatch import normalize_code, roster_index
from .entries import EXCLUDED_ERRORS, INCLUDED, INCLUDED_ERRORS, MISSING, UNREADABLE, Entry

if TYPE_CHECKING:  # pragma: no cover
    from .years import Previous, YearChange


# ---------------------------------------------------------------------------------
# the plan: who is in, who is out, who is missing


def _unit_key(code: str, name: str) -> str:
    return f"c:{normalize_code(code)}" if code else f"n:{normalize_name(name)}"


@dataclass
class MergeResult:
    spec: Spec
    year: int
    county: str
    entries: list[Entry]  # roster order, then inputs not in the roster; includes missing ones
    values: dict[str, Number]  # the roll-up: every value cell
    include_errors: bool = False
    sources: list[str] = field(default_factory=list)  # what was merged (paths / workspace)
    generated: str = ""
    notes: list[str] = field(default_factory=list)  # things to tell the user (Chinese)
    previous: Previous | None = None
    changes: list[YearChange] = field(default_factory=list)
    cover: dict[str, str] = field(default_factory=dict)  # extra cover fields of the roll-up (filler, phone)
    from_ledger: int = 0  # workspace merge: inputs taken from the results stored in the ledger
    reread: int = 0  # inputs read and checked from their files in this merge

    @property
    def included(self) -> list[Entry]:
        return [e for e in self.entries if e.included]

    def of_status(self, *status: str) -> list[Entry]:
        return [e for e in self.entries if e.status in status]

    def covered_units(self) -> list[dict[str, str]]:
        """Who the roll-up contains, recursively (a roll-up input contributes its own list)."""
        out: list[dict[str, str]] = []
        for e in self.included:
            if e.kind == "rollup":
                for u in e.covers:
                    d = dict(u)
                    d.setdefault("via", e.name)
                    out.append(d)
            else:
                out.append({"code": e.code, "name": e.name, "category": e.category, "county": self.county,
                            "sha256": e.sha256, "status": e.status})
        return out


def plan_merge(spec: Spec, year: int, county: str, entries: list[Entry], roster: list | None, *,
               include_errors: bool = False, sources: Sequence[str] = (), refuse_duplicates: bool = True
               ) -> MergeResult:
    """Match entries to the roster, refuse double counting, decide who is included, sum.

    Raises ``GiprError`` (in Chinese) when a unit would be counted twice: the same unit in
    two files, or a roll-up together with a unit (or roll-up) it already contains.
    """
    notes: list[str] = []
    index = roster_index(roster or [])

    # roster match and category
    for e in entries:
        u = index.find(e.code, e.name)
        if u is not None:
            if e.code and normalize_code(e.code) != normalize_code(u.code):
                e.findings.append(Finding("merge.code_mismatch", "warning",
                                          say("merge.code_mismatch", code=e.code, name=u.name, roster_code=u.code)))
                e.warnings += 1
            e.code, e.name, e.category = u.code, u.name, u.category
            e.in_roster, e.roster_line = True, u.line
        elif (roster is not None and e.kind == "unit" and e.status != UNREADABLE
              and not any(f.code == "identity.unit_unknown" for f in e.findings)):
            e.findings.append(Finding("merge.not_in_roster", "error", say("merge.not_in_roster", unit=e.label())))
            e.errors += 1
        if not e.category:
            e.category = say("merge.category_rollup" if e.kind == "rollup" else "merge.category_none")
    readable = [e for e in entries if e.status != UNREADABLE]

    # the same unit twice
    groups: dict[str, list[Entry]] = {}
    for e in readable:
        if e.code or e.name:
            groups.setdefault(_unit_key(e.code, e.name), []).append(e)
    dropped: set[int] = set()
    for es in groups.values():
        if len(es) < 2:
            continue
        shas = {x.sha256 for x in es}
        if len(shas) == 1 and es[0].sha256:
            for x in es[1:]:
                dropped.add(id(x))
            notes.append(say("merge.same_files", unit=es[0].label(), n=len(es), files="、".join(x.file for x in es)))
            continue
        if not refuse_duplicates:  # (last year's data) keep the first, never count twice
            for x in es[1:]:
                dropped.add(id(x))
            notes.append(say("merge.first_only", unit=es[0].label(), n=len(es), file=es[0].file))
            continue
        if refuse_duplicates and all(x.kind == "rollup" for x in es):
            raise GiprError(_same_rollup_name(es), "merge.rollup_name")
        if refuse_duplicates:
            files = "\n  ".join(x.file for x in es)
            raise GiprError(say("merge.duplicate", unit=es[0].label(), n=len(es), files=files), "merge.duplicate")
    entries = [e for e in entries if id(e) not in dropped]

    # roll-ups: nothing counted twice
    claims: dict[str, list[tuple[str, Entry, Mapping[str, str]]]] = {}  # unit key -> (county, roll-up, unit)
    for r in (e for e in entries if e.kind == "rollup" and e.status != UNREADABLE):
        for cov in r.covers:
            ucounty = cov.get("county", "") or r.county
            for k in _keys(cov.get("code", ""), cov.get("name", ""), cov.get("sha256", "")):
                for c2, r2, _ in claims.get(k, []):
                    if r2 is not r and _same_county(c2, ucounty, k):
                        raise GiprError(say("merge.overlap_rollups", file=r.file, other=r2.file, unit=_cover_label(cov)),
                                        "merge.overlap")
                claims.setdefault(k, []).append((ucounty, r, cov))
    for e in entries:
        if e.kind != "unit" or e.status == UNREADABLE:
            continue
        for k in _keys(e.code, e.name, e.sha256):
            for c2, r2, _ in claims.get(k, []):
                if _same_county(c2, county, k):
                    raise GiprError(say("merge.overlap_unit", rollup=r2.file, unit=e.label(), file=e.file),
                                    "merge.overlap")

    # in or out
    for e in entries:
        if e.status in (UNREADABLE, MISSING):
            continue
        if e.errors:
            e.status = INCLUDED_ERRORS if include_errors else EXCLUDED_ERRORS
        else:
            e.status = INCLUDED

    # missing roster units; order: roster, then others by file
    ordered: list[Entry] = []
    by_unit: dict[str, list[Entry]] = {}
    for e in entries:
        if e.in_roster:
            by_unit.setdefault(e.code, []).append(e)
    for u in roster or []:
        mine = by_unit.get(u.code)
        if mine:
            ordered += mine
        else:
            ordered.append(Entry(code=u.code, name=u.name, category=u.category, status=MISSING, kind="",
                                 in_roster=True, roster_line=u.line))
    ordered += [e for e in entries if not e.in_roster]

    included = [e for e in ordered if e.included]
    if not included:
        raise GiprError(say("merge.nothing", reason=_nobody_reason(ordered, include_errors)), "merge.nothing")
    sums = sum_inputs(spec, (e.numbers for e in included if e.numbers is not None))
    values = complete(spec, sums)
    return MergeResult(spec=spec, year=year, county=county, entries=ordered, values=values,  # type: ignore[arg-type]  # sums have no blanks: nor have their totals
                       include_errors=include_errors, sources=list(sources),
                       generated=_dt.datetime.now().astimezone().replace(microsecond=0).isoformat(),
                       notes=notes)


def _nobody_reason(entries: list[Entry], include_errors: bool) -> str:
    n_err = sum(1 for e in entries if e.status == EXCLUDED_ERRORS)
    n_bad = sum(1 for e in entries if e.status == UNREADABLE)
    n_miss = sum(1 for e in entries if e.status == MISSING)
    parts = []
    if n_err:
        parts.append(say("merge.nothing_errors", n=n_err))
    if n_bad:
        parts.append(say("merge.nothing_unreadable", n=n_bad))
    if n_miss:
        parts.append(say("merge.nothing_missing", n=n_miss))
    return "；".join(parts) or say("merge.nothing_found")


def _cover_label(u: Mapping[str, str]) -> str:
    name, code = u.get("name", ""), u.get("code", "")
    return f"{name}（{code}）" if name and code else name or code


def _keys(code: str, name: str, sha: str) -> list[str]:
    out = [f"h:{sha}"] if sha else []
    if code:
        out.append(f"c:{normalize_code(code)}")
    if name:
        out.append(f"n:{normalize_name(name)}")
    return out


def _same_rollup_name(es: list[Entry]) -> str:
    """Why roll-ups sharing a name stop the merge, and how to tell them apart: each file
    with the units it covers."""
    files = []
    for x in es:
        names = [str(u.get("name") or u.get("code") or "") for u in x.covers]
        shown = "、".join(n for n in names[:3] if n)
        shown = say("rollup.units_more", units=shown) if len(names) > 3 else shown
        files.append(say("rollup.same_name_file", file=x.file, n=len(names), units=shown or "—"))
    return say("rollup.same_name", n=len(es), name=es[0].name or say("rollup.unnamed"), files="\n".join(files))


def _same_county(a: str, b: str, key: str) -> bool:
    """Two claims on the same key are the same unit unless both name different counties.
    (A file's sha256 is the same unit whatever the county.)"""
    return key.startswith("h:") or not a or not b or normalize_name(a) == normalize_name(b)
