"""Reports → the county roll-up (汇总表): ``gipr merge``.

The roll-up is the cell-by-cell sum of the units' input cells; its totals are recomputed
from those sums (never taken from a file).  Numbers are exact: counts are ``int``, the
万元 amounts ``Decimal``.  The roll-up workbook is written by the template writer in the
official layout (live total formulas with correct cached values), so the roll-up is itself
a report of the same format: ``gipr check`` passes on it and ``gipr merge`` accepts it as
an input one level up (county → city → province).

Memory: a merge keeps one compact ``Entry`` per input — the numbers of its input cells in
spec order, its findings and who it is — never the whole ``Report``; files are read and
checked in a process pool.

Pipeline::

    paths / workspace ──► Entry per input (read_report + check_report, in workers)
                     ──► plan (roster match, duplicates, roll-up overlap, errors in/out)
                     ──► MergeResult (sums)  ──► write_rollup (.xlsx)  ──► publish (.html)
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import os
import sys
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Sequence

from .identity import _text  # one cell → text, shared with the identity reader
from .errors import GiprError
from .model import Finding
from .spec import Spec

__all__ = [
    "Entry",
    "MergeResult",
    "Previous",
    "YearChange",
    "STATUS_ZH",
    "INPUT_SUFFIXES",
    "input_ids",
    "complete",
    "sum_inputs",
    "entry_values",
    "find_input_files",
    "read_entries",
    "entries_from_workspace",
    "plan_merge",
    "load_previous",
    "compare_years",
    "write_rollup",
    "read_unit_sheet",
    "merge",
]

Number = int | Decimal

INPUT_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")

# status of one roster unit / input in the merge
INCLUDED = "included"
INCLUDED_ERRORS = "included_errors"
EXCLUDED_ERRORS = "excluded_errors"
UNREADABLE = "unreadable"
MISSING = "missing"
STATUS_ZH = {
    INCLUDED: "已汇总",
    INCLUDED_ERRORS: "已汇总（含错误）",
    EXCLUDED_ERRORS: "有错误，未汇总",
    UNREADABLE: "无法读取，未汇总",
    MISSING: "未报送",
}

UNIT_SHEET = "各单位明细"
STATUS_SHEET = "报送情况"
FINDINGS_SHEET = "校验结果"
YEAR_SHEET = "上年对比"
INFO_SHEET = "汇总说明"
UNIT_SHEET_ID_LABEL = "单元格编号"


# ---------------------------------------------------------------------------------
# arithmetic on value dicts (exact: int, Decimal)


_INPUT_IDS: dict[tuple[str, str], list[str]] = {}


def input_ids(spec: Spec) -> list[str]:
    """The input cells in spec order (the order of ``Entry.numbers``).  Cached per format:
    do not modify the list."""
    key = (spec.id, spec.digest)
    ids = _INPUT_IDS.get(key)
    if ids is None:
        ids = _INPUT_IDS[key] = [c.id for c in spec.cells.values() if c.input]
    return ids


def value_ids(spec: Spec) -> list[str]:
    """Every value cell (inputs and totals) in table and sheet order."""
    return [cid for t in spec.tables for cid in t.cells]


def complete(spec: Spec, inputs: Mapping[str, Number | None], *, blank_as_zero: bool = True
             ) -> dict[str, Number | None]:
    """Inputs plus every total recomputed from them.

    With ``blank_as_zero`` a missing input counts as 0 in the totals (the roll-up's
    arithmetic); without it a total with a missing part is ``None``.
    """
    out: dict[str, Number | None] = {cid: inputs.get(cid) for cid in input_ids(spec)}
    for c in spec.total_order():
        parts = [out.get(p) for p in c.parts]
        if not blank_as_zero and any(p is None for p in parts):
            out[c.id] = None
        else:
            out[c.id] = _sum(p for p in parts if p is not None)
    return out


def _sum(nums: Iterable[Number]) -> Number:
    total: Number = 0
    for n in nums:
        total = total + n
    return _norm(total)


def _norm(n: Number) -> Number:
    """A Decimal that is a whole number becomes an int; others are normalised."""
    if isinstance(n, Decimal):
        if n == n.to_integral_value():
            return int(n)
        return n.normalize()
    return n


def sum_inputs(spec: Spec, numbers: Iterable[Sequence[Number | None]]) -> dict[str, Number]:
    """Cell-by-cell sum of input-number tuples (in ``input_ids`` order); blanks add nothing."""
    ids = input_ids(spec)
    return {cid: _norm(v) for cid, v in zip(ids, _column_sums(numbers, len(ids)))}


def _column_sums(numbers: Iterable[Sequence[Number | None]], width: int, chunk: int = 512) -> list[Number]:
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
# entries


@dataclass
class Entry:
    """One input of a merge (a unit's workbook or a roll-up), or a roster unit without one.

    Compact by design: ``numbers`` holds the input cells in ``input_ids(spec)`` order
    (``None`` for a blank, 不适用, text or error); ``odd`` keeps what a non-numeric cell
    said (for the per-unit sheet), only for those cells.
    """

    code: str = ""
    name: str = ""
    category: str = ""
    status: str = INCLUDED
    kind: str = "unit"  # "unit" | "rollup" | "" (missing / unreadable)
    file: str = ""  # display path
    sha256: str = ""
    received_at: str = ""
    errors: int = 0
    warnings: int = 0
    numbers: tuple[Number | None, ...] | None = None
    odd: dict[str, str] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    covers: list[dict[str, str]] = field(default_factory=list)  # roll-up: the units it contains
    note: str = ""  # why it was left out / what the ledger said
    year: int | None = None
    format: str = ""
    county: str = ""  # the county a roll-up input is for
    ledger_status: str = ""
    in_roster: bool = False
    roster_line: int = 0

    @property
    def included(self) -> bool:
        return self.status in (INCLUDED, INCLUDED_ERRORS)

    @property
    def status_zh(self) -> str:
        return STATUS_ZH.get(self.status, self.status)

    @property
    def first_error(self) -> str:
        for f in self.findings:
            if f.severity == "error":
                return f.message
        return self.note

    def label(self) -> str:
        if self.code and self.name:
            return f"{self.name}（{self.code}）"
        return self.name or self.code or Path(self.file).name


class _TotalsPlan:
    """Totals as index arithmetic over a flat list (inputs first, then totals in
    dependency order), plus a compiled fast path for the common case (no blanks) that
    returns every value in ``value_ids`` order: it runs once per unit per sheet."""

    def __init__(self, spec: Spec):
        self.inputs = input_ids(spec)
        order = spec.total_order()
        self.ids = self.inputs + [c.id for c in order]
        idx = {cid: i for i, cid in enumerate(self.ids)}
        self.steps = [(idx[c.id], [idx[p] for p in c.parts]) for c in order]
        self.n_inputs = len(self.inputs)
        self.value_ids = value_ids(spec)
        # generated code: only integer indices taken from the spec, no user text
        lines = ["def _all(v):"]
        for i, parts in self.steps:
            lines.append(f"    t{i} = " + " + ".join(f"t{p}" if p >= self.n_inputs else f"v[{p}]" for p in parts))
        out = [f"t{idx[cid]}" if idx[cid] >= self.n_inputs else f"v[{idx[cid]}]" for cid in self.value_ids]
        lines.append("    return (" + ", ".join(out) + ",)")
        ns: dict[str, Any] = {}
        exec(compile("\n".join(lines), "<gipr totals>", "exec"), ns)  # noqa: S102 - see comment above
        self._all = ns["_all"]

    def complete(self, numbers: Sequence[Number | None] | None) -> list[Number | None]:
        """Input numbers (``input_ids`` order) → every value in ``self.ids`` order, totals
        with blanks as 0."""
        vals: list[Number | None] = list(numbers) if numbers is not None else [None] * self.n_inputs
        vals.extend([None] * len(self.steps))
        for i, parts in self.steps:
            t: Number = 0
            for p in parts:
                v = vals[p]
                if v is not None:
                    t += v
            vals[i] = t
        return vals

    def values_in_order(self, numbers: Sequence[Number | None] | None) -> tuple[Number | None, ...]:
        """Every value in ``value_ids`` order (totals with blanks as 0)."""
        if numbers is not None and None not in numbers:
            return self._all(numbers)
        full = dict(zip(self.ids, self.complete(numbers)))
        return tuple(full[cid] for cid in self.value_ids)


_PLANS: dict[tuple[str, str], _TotalsPlan] = {}


def _totals_plan(spec: Spec) -> _TotalsPlan:
    key = (spec.id, spec.digest)
    plan = _PLANS.get(key)
    if plan is None:
        plan = _PLANS[key] = _TotalsPlan(spec)
    return plan


def entry_values(spec: Spec, e: Entry) -> dict[str, Number | None]:
    """An entry's input numbers as a dict, totals recomputed (blanks count as 0 in totals)."""
    plan = _totals_plan(spec)
    return {cid: (_norm(v) if v is not None else None) for cid, v in zip(plan.ids, plan.complete(e.numbers))}


# ---------------------------------------------------------------------------------
# reading files (in worker processes)


def find_input_files(paths: Sequence[str | Path]) -> list[Path]:
    """The spreadsheet files named or inside the folders named (recursively, sorted).

    Skips Office lock files (``~$…``), hidden files and gipr's own temp files.
    """
    out: list[Path] = []
    seen: set[Path] = set()
    real_dirs: dict[Path, Path] = {}
    for p in paths:
        p = Path(p)
        if p.is_dir():
            found = _files_in(p)
        elif p.is_file():
            found = [p]
        else:
            raise GiprError(f"找不到文件或文件夹：{p}", "merge.no_input")
        for f in found:
            key = _real_path(f, real_dirs)
            if key not in seen:
                seen.add(key)
                out.append(f)
    return out


def _files_in(root: Path) -> list[Path]:
    """The spreadsheet files under ``root``, sorted like ``sorted(root.rglob("*"))``: not
    inside symlinked folders (as rglob), skipping hidden and ``~$`` names at any level
    below ``root``.  os.scandir instead of pathlib: five times faster for a thousand files."""
    found: list[tuple[tuple[str, ...], Path, str]] = []
    stack: list[tuple[Path, tuple[str, ...]]] = [(root, ())]
    while stack:
        d, rel = stack.pop()
        try:
            with os.scandir(d) as it:
                entries = list(it)
        except PermissionError:
            continue
        for e in entries:
            name = e.name
            if name.startswith((".", "~$")):
                continue
            if e.is_dir(follow_symlinks=False):
                stack.append((d / name, rel + (name,)))
            elif os.path.splitext(name)[1].lower() in INPUT_SUFFIXES and e.is_file():
                found.append((rel + (name,), d, name))
    found.sort(key=lambda t: t[0])
    return [d / name for _, d, name in found]


def _real_path(f: Path, real_dirs: dict[Path, Path]) -> Path:
    """``f.resolve()``, resolving each folder once (a thousand files in one folder: one
    resolve, not a thousand)."""
    if f.is_symlink():
        return f.resolve()
    d = f.parent
    real = real_dirs.get(d)
    if real is None:
        real = real_dirs[d] = d.resolve()
    return real / f.name


_W: dict[str, Any] = {}  # worker state: spec, check context


def _worker_init(spec_id: str | None, ctx_args: dict[str, Any]) -> None:
    from .checks import CheckContext
    from .spec import load_format

    _W["spec"] = load_format(spec_id) if spec_id else None
    _W["ctx"] = CheckContext(**ctx_args)


def _read_task(task: tuple[str, str, dict[str, Any]]) -> Entry:
    path, display, extra = task
    return read_entry(Path(path), display, _W["spec"], _W["ctx"], **extra)


def read_entry(path: Path, display: str, spec: Spec | None, ctx: Any, **extra: Any) -> Entry:
    """Read and check one file into a compact ``Entry``.  Never raises."""
    from .checks import check_report
    from .read import ReadError, read_report

    try:
        rep = read_report(path, name=display, spec=spec)
    except ReadError as e:
        return Entry(status=UNREADABLE, kind="", file=display, note=str(e), errors=1,
                     findings=[Finding(getattr(e, "code", "file.unreadable"), "error", str(e))], **extra)
    except Exception as e:  # noqa: BLE001 - a reader bug must not stop a county's merge
        msg = f"读取时发生内部错误（{type(e).__name__}: {e}）"
        return Entry(status=UNREADABLE, kind="", file=display, note=msg, errors=1,
                     findings=[Finding("file.internal", "error", msg)], **extra)
    try:
        found = check_report(rep, ctx)
    except Exception as e:  # noqa: BLE001
        found = [Finding("check.internal", "error", f"校验时发生内部错误（{type(e).__name__}: {e}）")]
    unit = _ledger_unit(extra.get("code"), ctx)
    if unit is not None:
        # the ledger identified the unit (cover short name, sender, or the clerk's pin): agree with it
        from .collect import settle_identity

        rep.findings = settle_identity(list(rep.findings), rep, None)
        found = settle_identity(found, rep, unit)
    return entry_from_report(rep, found, display, **extra)


def _ledger_unit(code: str | None, ctx: Any) -> Any:
    if not code:
        return None
    return next((u for u in (getattr(ctx, "roster", None) or ()) if u.code == code), None)


def entry_from_report(rep: Any, found: list[Finding], display: str, **extra: Any) -> Entry:
    spec: Spec = rep.spec
    findings: list[Finding] = []
    seen: set[tuple] = set()
    for f in list(rep.findings) + list(found):
        key = (f.code, f.severity, f.cell, f.message)
        if key not in seen:
            seen.add(key)
            findings.append(f)
    ids = input_ids(spec)
    got = list(map(rep.values.get, ids))
    nums: list[Number | None] = [None if v is None or v.state != "number" else v.number for v in got]
    odd: dict[str, str] = {}
    if None in nums:
        odd = {cid: v.raw_text for cid, v in zip(ids, got) if v is not None and v.state in ("text", "error", "na")}
    kind = "rollup" if rep.kind == "rollup" else "unit"
    name = (rep.unit_name or "").strip()
    county = ""
    if kind == "rollup":
        county = (rep.identity.get("county") or "").strip() or _strip_rollup_suffix(name)
        name = county or name
    e = Entry(
        code=(rep.unit_code or "").strip(),
        name=name.strip(),
        status=INCLUDED,
        kind=kind,
        file=display,
        sha256=rep.sha256 or "",
        errors=sum(1 for f in findings if f.severity == "error"),
        warnings=sum(1 for f in findings if f.severity == "warning"),
        numbers=tuple(nums),
        odd=odd,
        findings=findings,
        covers=[dict(u) for u in (rep.units or [])] if kind == "rollup" else [],
        year=rep.year,
        format=spec.id,
        county=county,
    )
    for k, v in extra.items():
        setattr(e, k, v)
    return e


ROLLUP_SUFFIX = "（汇总）"


def _strip_rollup_suffix(name: str) -> str:
    for suf in (ROLLUP_SUFFIX, "(汇总)", "汇总"):
        if name.endswith(suf):
            return name[: -len(suf)].strip()
    return name


def _jobs(n_files: int, jobs: int | None) -> int:
    if jobs is not None:
        return max(1, jobs)
    try:
        cpus = len(os.sched_getaffinity(0))  # type: ignore[attr-defined]
    except AttributeError:  # pragma: no cover - not Linux
        cpus = os.cpu_count() or 1
    if n_files < 24:
        return 1
    return max(1, min(cpus, 8))


def _prepare_workers(spec: Spec) -> None:
    """Import the reader and build its per-format tables once, before forking: the workers
    inherit them instead of each doing it again."""
    import python_calamine  # noqa: F401

    from . import checks, read

    read._table_infos(spec)
    checks._plan(spec)
    input_ids(spec)


def read_entries(tasks: Sequence[tuple[str, str, dict[str, Any]]], spec: Spec | None, ctx_args: dict[str, Any],
                 *, jobs: int | None = None) -> Iterator[Entry]:
    """Read and check files, in a process pool when there are many; yields in task order."""
    n = _jobs(len(tasks), jobs)
    spec_id = spec.id if spec is not None else None
    if n == 1:
        _worker_init(spec_id, ctx_args)
        for t in tasks:
            yield _read_task(t)
        return
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    methods = mp.get_all_start_methods()
    fork = "fork" in methods and sys.platform != "darwin"
    mpctx = mp.get_context("fork" if fork else None)
    if fork and spec is not None:
        _prepare_workers(spec)
    # small chunks: the last one decides when the pool is done (64 files ≈ 0.3 s of one core
    # idle at the end); sending a chunk costs far less than reading one file
    chunk = max(1, min(16, len(tasks) // (n * 16) or 1))
    with ProcessPoolExecutor(max_workers=n, mp_context=mpctx, initializer=_worker_init,
                             initargs=(spec_id, ctx_args)) as ex:
        yield from ex.map(_read_task, tasks, chunksize=chunk)


# ---------------------------------------------------------------------------------
# the plan: who is in, who is out, who is missing


def _norm_name(s: str) -> str:
    from .roster import normalize_name

    return normalize_name(s)


def _unit_key(code: str, name: str) -> str:
    return f"c:{code}" if code else f"n:{_norm_name(name)}"


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
    previous: "Previous | None" = None
    changes: list["YearChange"] = field(default_factory=list)
    cover: dict[str, str] = field(default_factory=dict)  # extra cover fields of the roll-up (filler, phone)

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
    by_code: dict[str, Any] = {}
    by_name: dict[str, Any] = {}
    for u in roster or []:
        by_code[u.code] = u
        by_name[_norm_name(u.name)] = u

    # roster match and category
    for e in entries:
        u = by_code.get(e.code) if e.code else None
        if u is None and e.name:
            u = by_name.get(_norm_name(e.name))
        if u is not None:
            if e.code and e.code != u.code:
                e.findings.append(Finding("merge.code_mismatch", "warning",
                                          f"文件中的单位代码“{e.code}”与名册中“{u.name}”的代码“{u.code}”不一致，按名册处理"))
                e.warnings += 1
            e.code, e.name, e.category = u.code, u.name, u.category
            e.in_roster, e.roster_line = True, u.line
        elif (roster is not None and e.kind == "unit" and e.status != UNREADABLE
              and not any(f.code == "identity.unit_unknown" for f in e.findings)):
            e.findings.append(Finding("merge.not_in_roster", "error",
                                      f"单位“{e.label()}”不在单位名册中"))
            e.errors += 1
        if not e.category:
            e.category = "下级汇总" if e.kind == "rollup" else "未分类"
    readable = [e for e in entries if e.status != UNREADABLE]

    # the same unit twice
    groups: dict[str, list[Entry]] = {}
    for e in readable:
        if e.code or e.name:
            groups.setdefault(_unit_key(e.code, e.name), []).append(e)
    dropped: set[int] = set()
    for key, es in groups.items():
        if len(es) < 2:
            continue
        shas = {x.sha256 for x in es}
        if len(shas) == 1 and es[0].sha256:
            for x in es[1:]:
                dropped.add(id(x))
            notes.append(f"{es[0].label()}：{len(es)} 个内容完全相同的文件，只计一次（"
                         + "、".join(x.file for x in es) + "）")
            continue
        if not refuse_duplicates:  # (last year's data) keep the first, never count twice
            for x in es[1:]:
                dropped.add(id(x))
            notes.append(f"{es[0].label()}：有 {len(es)} 个文件，只用了第一个（{es[0].file}）")
            continue
        if refuse_duplicates:
            files = "\n  ".join(x.file for x in es)
            raise GiprError(f"单位“{es[0].label()}”有 {len(es)} 个不同的文件，不能确定用哪一个，"
                            f"为避免重复计算已停止汇总：\n  {files}\n请只保留其中一个文件后重试"
                            "（或用 gipr collect 收集到工作目录，自动采用最新报送）。", "merge.duplicate")
    entries = [e for e in entries if id(e) not in dropped]

    # roll-ups: nothing counted twice
    claims: dict[str, list[tuple[str, Entry, Mapping[str, str]]]] = {}  # unit key -> (county, roll-up, unit)
    for r in (e for e in entries if e.kind == "rollup" and e.status != UNREADABLE):
        for u in r.covers:
            ucounty = u.get("county", "") or r.county
            for k in _keys(u.get("code", ""), u.get("name", ""), u.get("sha256", "")):
                for c2, r2, _ in claims.get(k, []):
                    if r2 is not r and _same_county(c2, ucounty, k):
                        raise GiprError(f"汇总表“{r.file}”和“{r2.file}”都包含单位“{_cover_label(u)}”，"
                                        "一起汇总会重复计算，已停止。请去掉其中之一。", "merge.overlap")
                claims.setdefault(k, []).append((ucounty, r, u))
    for e in entries:
        if e.kind != "unit" or e.status == UNREADABLE:
            continue
        for k in _keys(e.code, e.name, e.sha256):
            for c2, r2, _ in claims.get(k, []):
                if _same_county(c2, county, k):
                    raise GiprError(f"汇总表“{r2.file}”已经包含单位“{e.label()}”，不能再同时汇总该单位的报表"
                                    f"“{e.file}”，否则会重复计算。请去掉其中之一后重试。", "merge.overlap")

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
        raise GiprError("没有可以汇总的报表：" + _nobody_reason(ordered, include_errors), "merge.nothing")
    sums = sum_inputs(spec, (e.numbers for e in included if e.numbers is not None))
    values = complete(spec, sums)
    return MergeResult(spec=spec, year=year, county=county, entries=ordered, values=values,  # type: ignore[arg-type]
                       include_errors=include_errors, sources=list(sources),
                       generated=_dt.datetime.now().astimezone().replace(microsecond=0).isoformat(),
                       notes=notes)


def _nobody_reason(entries: list[Entry], include_errors: bool) -> str:
    n_err = sum(1 for e in entries if e.status == EXCLUDED_ERRORS)
    n_bad = sum(1 for e in entries if e.status == UNREADABLE)
    n_miss = sum(1 for e in entries if e.status == MISSING)
    parts = []
    if n_err:
        parts.append(f"{n_err} 个单位有错误（可加 --include-errors 强制汇总并标注）")
    if n_bad:
        parts.append(f"{n_bad} 个文件无法读取")
    if n_miss:
        parts.append(f"{n_miss} 个单位未报送")
    return "；".join(parts) or "没有找到任何报表文件"


def _cover_label(u: Mapping[str, str]) -> str:
    name, code = u.get("name", ""), u.get("code", "")
    return f"{name}（{code}）" if name and code else name or code


def _keys(code: str, name: str, sha: str) -> list[str]:
    out = [f"h:{sha}"] if sha else []
    if code:
        out.append(f"c:{code}")
    if name:
        out.append(f"n:{_norm_name(name)}")
    return out


def _same_county(a: str, b: str, key: str) -> bool:
    """Two claims on the same key are the same unit unless both name different counties.
    (A file's sha256 is the same unit whatever the county.)"""
    return key.startswith("h:") or not a or not b or _norm_name(a) == _norm_name(b)


# ---------------------------------------------------------------------------------
# sources: files and folders, or a workspace's ledger


def entries_from_paths(paths: Sequence[str | Path], *, spec: Spec, year: int, roster: list | None,
                       exclude: Sequence[Path] = (), jobs: int | None = None) -> list[Entry]:
    files = find_input_files(paths)
    skip = {Path(p).resolve() for p in exclude}
    real_dirs: dict[Path, Path] = {}
    files = [f for f in files if _real_path(f, real_dirs) not in skip]
    if not files:
        raise GiprError("没有找到要汇总的报表文件（支持 " + "、".join(INPUT_SUFFIXES) + "）："
                        + "、".join(str(p) for p in paths), "merge.no_input")
    tasks = [(str(f), str(f), {}) for f in files]
    return list(read_entries(tasks, spec, {"year": year, "roster": roster}, jobs=jobs))


def entries_from_workspace(ws: Any, *, spec: Spec, jobs: int | None = None) -> list[Entry]:
    """Each unit's current submission in the ledger, re-read and re-checked from the archive."""
    current = ws.ledger.current()
    tasks: list[tuple[str, str, dict[str, Any]]] = []
    out: list[Entry] = []
    for code, sub in current.items():
        extra = {"code": code or "", "received_at": sub.received_at or "", "ledger_status": sub.status or ""}
        path = Path(sub.archive_path) if sub.archive_path else None
        if path is None or not path.is_file():
            out.append(Entry(status=UNREADABLE, kind="", file=sub.file_name or "", errors=1,
                             note=f"台账记录的存档文件不存在：{path}", **extra))
            continue
        tasks.append((str(path), sub.file_name or path.name, extra))
    out += read_entries(tasks, spec, {"year": ws.year, "roster": ws.roster}, jobs=jobs)
    return out


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
        return self.units.get(code) or self.units.get("n:" + _norm_name(name))


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
        if code:
            units[code] = (code, name, vals)
        if name:
            units.setdefault("n:" + _norm_name(name), (code, name, vals))
    return units


def load_previous(path: str | Path, *, jobs: int | None = None) -> Previous:
    """Last year's roll-up workbook, or last year's workspace folder."""
    from .spec import load_format

    path = Path(path)
    from .workspace import find_workspace_dir

    if path.is_dir() and find_workspace_dir(path) is None or path.is_file() and _is_document(path):
        return _previous_from_reports(path)
    if path.is_dir():
        from .workspace import Workspace

        ws = Workspace.open(path)
        spec = load_format(ws.format)
        entries = entries_from_workspace(ws, spec=spec, jobs=jobs)
        res = plan_merge(spec, ws.year, ws.county or "", entries, ws.roster, refuse_duplicates=False)
        return Previous(str(path), ws.year, spec.id, dict(res.values),
                        _prev_units((e.code, e.name, entry_values(spec, e)) for e in res.included), ws.county or "")
    if not path.is_file():
        raise GiprError(f"找不到上年数据：{path}（应为上年的汇总表文件或上年的工作目录）", "merge.previous_missing")
    from .read import ReadError, read_report

    try:
        rep = read_report(path)
    except ReadError as e:
        raise GiprError(f"无法读取上年数据 {path}：{e}", "merge.previous_unreadable") from None
    spec = rep.spec
    inputs = {cid: rep.number(cid) for cid in input_ids(spec)}
    county = complete(spec, inputs)
    name = ""
    if rep.kind == "rollup":
        units = _prev_units(read_unit_sheet(path, spec))
        name = (rep.identity.get("county") or "").strip() or _strip_rollup_suffix(rep.unit_name or "")
        name = "" if name == "汇总" else name
    else:
        units = _prev_units([(rep.unit_code, rep.unit_name, county)])
    return Previous(str(path), rep.year, spec.id, county, units, name)


def _is_document(path: Path) -> bool:
    from .published import is_document

    return is_document(path)


def _previous_from_reports(path: Path) -> Previous:
    """Last year from published reports (PDF, web page, Word, text) or from workbooks made by
    ``gipr import --out``: a document, or a folder of them (not a workspace).  One report is
    the county's own; several are units, and the county is their cell-by-cell sum."""
    from . import messages
    from .checks import load_previous as load_reports

    try:
        reps = load_reports(path)
    except GiprError as e:
        raise GiprError(messages.CLI["previous_unreadable"].format(path=path, error=e),
                        "merge.previous_unreadable") from None
    if not reps:
        raise GiprError(messages.CLI["previous_empty"].format(path=path), "merge.previous_missing")
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


def read_unit_sheet(path: str | Path, spec: Spec) -> list[tuple[str, str, dict[str, Number | None]]]:
    """The per-unit rows of a gipr roll-up's 各单位明细 sheet (empty if it has none)."""
    from python_calamine import CalamineWorkbook

    from .values import parse_value

    try:
        wb = CalamineWorkbook.from_path(str(path))
        if UNIT_SHEET not in wb.sheet_names:
            return []
        rows = wb.get_sheet_by_name(UNIT_SHEET).to_python(skip_empty_area=False)
    except Exception:  # noqa: BLE001 - no per-unit data is not an error: compare county totals only
        return []
    ids: list[str | None] = []
    out = []
    for row in rows:
        if not ids:
            if len(row) > 4 and str(row[4]).strip() == UNIT_SHEET_ID_LABEL:
                ids = [str(v).strip() if str(v).strip() in spec.cells else None for v in row[5:]]
            continue
        if not row or isinstance(row[0], bool) or not isinstance(row[0], (int, float)):
            continue
        code = _text(row[1]) if len(row) > 1 else ""
        name = _text(row[2]) if len(row) > 2 else ""
        vals: dict[str, Number | None] = {}
        for cid, raw in zip(ids, row[5:]):
            if cid is None:
                continue
            c = spec.cells[cid]
            v = parse_value(None if raw == "" else raw, c.type, c.unit)
            vals[cid] = v.number if v.state == "number" else None
        out.append((code, name, vals))
    return out




def _large_change(this: Number, last: Number) -> bool:
    return last >= 10 and (this >= 5 * last or this * 5 <= last)


def compare_years(spec: Spec, result: "MergeResult", prev: Previous) -> list[YearChange]:
    """This year against last year for the county and each included unit, every cell both
    formats have (cells that are 0 in both years are left out), and every rule F instance
    (the spec's ``carry`` rules: this year's 二 against last year's 四) → error when they
    differ.  A change ×5 or ÷5 against last year's value of at least 10 → info (提示)."""
    from .spec import load_format

    try:
        pspec = load_format(prev.format)
    except Exception:  # noqa: BLE001
        pspec = spec
    common = [cid for cid in value_ids(spec) if cid in pspec.cells]
    carry = spec.rules_of("carry")
    rows: list[YearChange] = []

    def one(code: str, name: str, this: Mapping[str, Number | None], last: Mapping[str, Number | None] | None):
        if last is None:
            rows.append(YearChange(code, name, "", None, None, "", "", "上年没有该单位的数据，不作比较"))
            return
        for r in carry:
            a, b = this.get(r.lhs[0]), last.get(r.rhs[0]) if r.rhs[0] in pspec.cells else None
            bad = a is not None and b is not None and a != b
            from .values import fmt_number

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
                msg = f"{c.label_path}：较上年变化较大（上年 {_fmt(b)}，本年 {_fmt(a)}），请核实"
            rows.append(YearChange(code, name, cid, a, b, sev, "", msg))

    county_name = f"{result.county}（汇总）" if result.county else "汇总"
    one("", county_name, result.values, prev.county)
    seen: set[int] = set()
    for e in result.included:
        p = prev.unit(e.code, e.name)
        if p is not None:
            seen.add(id(p))
        one(e.code, e.name, entry_values(spec, e), p[2] if p else None)
    done_codes = {e.code for e in result.included}
    for key, p in prev.units.items():
        if id(p) in seen or (p[0] and p[0] in done_codes):
            continue
        seen.add(id(p))
        rows.append(YearChange(p[0], p[1], "", None, None, "info", "", "上年有该单位的数据，本年未汇总"))
    return rows


def _in_force_changes(spec: Spec, code: str, name: str, this: Mapping[str, Number | None],
                      last: Mapping[str, Number | None]) -> list[YearChange]:
    """Table 二's 现行有效 cross-year plausibility (gipr.checks), as warnings of the year sheet."""
    from . import messages
    from .checks import in_force_mismatches

    return [YearChange(code, name, cid, this.get(cid), last.get(cid), "warning", "",
                       messages.text("previous.in_force", **kw))
            for cid, kw in in_force_mismatches(spec, dict(this), dict(last))]


def _fmt(n: Number | None) -> str:
    from .values import fmt_number

    return fmt_number(n)


# ---------------------------------------------------------------------------------
# the roll-up workbook
#
# Sheet headers are written with xlsxwriter; the bulk rows (one per unit, per roster unit,
# per finding, per unit × cell) are streamed as XML into the finished package by
# ``xlsxsplice`` — xlsxwriter's per-cell cost would dominate a merge of thousands of units.


def _formats(wb: Any) -> dict[str, Any]:
    base = {"font_name": "宋体", "font_size": 10, "valign": "vcenter"}
    f = {
        "title": wb.add_format({**base, "bold": True, "font_size": 14}),
        "head": wb.add_format({**base, "bold": True, "border": 1, "text_wrap": True, "align": "center",
                               "bg_color": "#F2F2F2"}),
        "meta": wb.add_format({**base, "border": 1, "font_color": "#595959", "font_size": 8, "text_wrap": True}),
        "text": wb.add_format({**base, "border": 1}),
        "wrap": wb.add_format({**base, "border": 1, "text_wrap": True}),
        "num": wb.add_format({**base, "border": 1, "num_format": "0"}),
        "amount": wb.add_format({**base, "border": 1, "num_format": "General"}),
        "sub_text": wb.add_format({**base, "border": 1, "bold": True, "bg_color": "#DDEBF7"}),
        "sub_num": wb.add_format({**base, "border": 1, "bold": True, "bg_color": "#DDEBF7", "num_format": "General"}),
        "tot_text": wb.add_format({**base, "border": 1, "bold": True, "bg_color": "#BDD7EE"}),
        "tot_num": wb.add_format({**base, "border": 1, "bold": True, "bg_color": "#BDD7EE", "num_format": "General"}),
        "err_text": wb.add_format({**base, "border": 1, "bg_color": "#FFC7CE", "font_color": "#9C0006"}),
        "warn_text": wb.add_format({**base, "border": 1, "bg_color": "#FFEB9C", "font_color": "#9C5700"}),
        "info_text": wb.add_format({**base, "border": 1, "bg_color": "#E2EFDA"}),
        "miss_text": wb.add_format({**base, "border": 1, "bg_color": "#D9D9D9"}),
        "odd": wb.add_format({**base, "border": 1, "bg_color": "#FFC7CE", "font_color": "#9C0006"}),
        "key": wb.add_format({**base, "bold": True, "border": 1, "bg_color": "#F2F2F2"}),
        "note": wb.add_format({**base, "font_color": "#595959"}),
        "note_wrap": wb.add_format({**base, "font_color": "#595959", "text_wrap": True, "valign": "top"}),
    }
    return f


class _Book:
    """The extra sheets of a roll-up being written: formats, their style ids, and the
    bulk rows to splice in after xlsxwriter has closed the file."""

    def __init__(self, wb: Any):
        from .xlsxsplice import ColumnNames, style_id

        self.wb = wb
        self.f = _formats(wb)
        self.s = {k: style_id(v) for k, v in self.f.items()}
        self.cols = ColumnNames()
        self.deferred: dict[str, tuple[Any, int, int]] = {}

    def row(self, r: int):
        from .xlsxsplice import Cells

        return Cells(self.cols, r)

    def defer(self, sheet: str, source: Any, last_row: int, last_col: int) -> None:
        self.deferred[sheet] = (source, last_row, last_col)


def _page(ws: Any, header_rows: tuple[int, int] = (1, 1), fit_width: bool = True) -> None:
    """A4 landscape, header rows repeated on every printed page, one page wide if it fits."""
    ws.set_paper(9)
    ws.set_landscape()
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    ws.repeat_rows(*header_rows)
    if fit_width:
        ws.fit_to_pages(1, 0)


def _unit_layout(result: MergeResult) -> tuple[list[str], list[tuple[str, list[Entry]]]]:
    cats: dict[str, list[Entry]] = {}
    for e in result.included:
        cats.setdefault(e.category, []).append(e)
    return value_ids(result.spec), list(cats.items())


def write_unit_sheet(book: _Book, result: MergeResult) -> None:
    """各单位明细: one row per included unit, one column per value cell (headers: the
    official label paths; then the cell ids and where each sits in the roll-up), subtotal
    rows per 类别 (SUM formulas with cached values) and a 合计 row that equals the roll-up."""
    from xlsxwriter.utility import quote_sheetname

    spec, f, s = result.spec, book.f, book.s
    ids, groups = _unit_layout(result)
    ws = book.wb.add_worksheet(UNIT_SHEET)
    first = 5  # first value column
    who = rollup_name(result.county)
    ws.write_string(0, 0, f"{who} {result.year}年度 各单位明细（每个汇总数可追溯到单位；合计行等于汇总表）", f["title"])
    heads = ["序号", "单位代码", "单位名称", "类别", "汇总情况"]
    for c, h in enumerate(heads):
        ws.write_string(1, c, h, f["head"])
        ws.write_blank(2, c, None, f["meta"])
        ws.write_blank(3, c, None, f["meta"])
    ws.write_string(2, 4, UNIT_SHEET_ID_LABEL, f["meta"])
    ws.write_string(3, 4, "汇总表中的位置", f["meta"])
    for j, cid in enumerate(ids):
        cell = spec.cells[cid]
        ws.write_string(1, first + j, cell.label_path + ("（合计）" if not cell.input else ""), f["head"])
        ws.write_string(2, first + j, cid, f["meta"])
        ws.write_string(3, first + j, f"{quote_sheetname(cell.sheet)}!{cell.ref}", f["meta"])
    ws.set_row(1, 150)
    ws.set_column(0, 0, 5)
    ws.set_column(1, 1, 10)
    ws.set_column(2, 2, 28)
    ws.set_column(3, 4, 12)
    ws.set_column(first, first + len(ids) - 1, 11)
    ws.freeze_panes(4, first)
    _page(ws, header_rows=(1, 3), fit_width=False)
    ws.repeat_columns(0, 2)
    n_rows = sum(len(es) + 1 for _, es in groups)
    last_data = 4 + n_rows  # the 合计 row
    ws.autofilter(1, 0, last_data - 1, first + len(ids) - 1)
    last_col = first + len(ids) - 1
    calc = _totals_plan(spec)
    assert calc.value_ids == ids
    amounts = [spec.cells[cid].type == "amount" for cid in ids]
    is_input = [spec.cells[cid].input for cid in ids]
    num_style = [s["amount"] if amounts[j] else s["num"] for j in range(len(ids))]
    # one str.format call renders a unit's whole row of numbers ({0} is the row number)
    row_tmpl = "".join(f'<c r="{book.cols[first + j]}{{0}}" s="{num_style[j]}"><v>{{{j + 1}}}</v></c>'
                       for j in range(len(ids))) + "</row>"

    def rows() -> Iterator[str]:
        r = 4
        seq = 0
        subtotal_rows: list[int] = []
        for cat, es in groups:
            start = r
            for e in es:
                seq += 1
                vals = calc.values_in_order(e.numbers)
                marked = e.status == INCLUDED_ERRORS
                ts = s["err_text"] if marked else s["text"]
                row = book.row(r)
                row.num(0, seq, ts)
                row.text(1, e.code, ts)
                row.text(2, e.name, ts)
                row.text(3, e.category, ts)
                row.text(4, "已汇总（下级汇总表）" if e.kind == "rollup" and not marked else e.status_zh, ts)
                if None not in vals:
                    yield row.xml()[:-6] + row_tmpl.format(r + 1, *vals)
                else:
                    for j, n in enumerate(vals):
                        if n is None:
                            cid = ids[j]
                            if cid in e.odd:
                                row.text(first + j, e.odd[cid], s["odd"])
                            else:
                                row.blank(first + j, s["odd"] if marked and is_input[j] else s["num"])
                        else:
                            row.num(first + j, n, num_style[j])
                    yield row.xml()
                r += 1
            sub = calc.values_in_order(tuple(_norm(x) for x in _column_sums((e.numbers for e in es), calc.n_inputs)))
            row = book.row(r)
            row.text(0, "小计", s["sub_text"])
            row.blank(1, s["sub_text"])
            row.text(2, f"{cat} 小计", s["sub_text"])
            row.text(3, cat, s["sub_text"])
            row.num(4, r - start, s["sub_num"])
            for j in range(len(ids)):
                col = book.cols[first + j]
                row.formula(first + j, f"SUM({col}{start + 1}:{col}{r})", _cached(sub[j]), s["sub_num"])
            subtotal_rows.append(r)
            yield row.xml()
            r += 1
        row = book.row(r)
        row.text(0, "合计", s["tot_text"])
        row.blank(1, s["tot_text"])
        row.text(2, "合计（等于汇总表）", s["tot_text"])
        row.blank(3, s["tot_text"])
        row.num(4, seq, s["tot_num"])
        for j, cid in enumerate(ids):
            col = book.cols[first + j]
            refs = "+".join(f"{col}{sr + 1}" for sr in subtotal_rows)
            row.formula(first + j, refs, _cached(result.values[cid]), s["tot_num"])
        yield row.xml()
        note = book.row(r + 2)
        note.text(0, "说明：每行是一个已汇总的单位，数字为单位报表的填报数；“合计”类单元格由 gipr 按填报数重新计算。"
                     "红色行是有错误但按 --include-errors 汇总的单位，红色单元格是未填或无法识别为数字的内容。", s["note"])
        yield note.xml()

    book.defer(UNIT_SHEET, rows, last_data + 2, last_col)


def _defer_identity_units(book: _Book, n_keys: int, units: list[dict[str, str]]) -> None:
    """The unit list of the identity sheet, as ``identity.write_identity`` lays it out: after
    the key/value rows (a header row, one row per key) an empty row, a header row of the
    unit fields, then one row per unit; every cell text."""
    from .identity import IDENTITY_SHEET

    cols: list[str] = []
    for u in units:
        for k in u:
            if k not in cols:
                cols.append(str(k))
    first = 1 + n_keys + 1  # header row + key rows, then the empty row

    def rows() -> Iterator[str]:
        head = book.row(first)
        for c, k in enumerate(cols):
            head.text(c, k)
        yield head.xml()
        for i, u in enumerate(units, 1):
            row = book.row(first + i)
            for c, k in enumerate(cols):
                v = u.get(k)
                row.text(c, "" if v is None else str(v))
            yield row.xml()

    book.defer(IDENTITY_SHEET, rows, first + len(units), max(1, len(cols) - 1))


def _cached(n: Number | None) -> Any:
    if n is None:
        return 0
    return n if isinstance(n, int) else float(n)


def write_status_sheet(book: _Book, result: MergeResult) -> None:
    """报送情况: every roster unit (and every other input): submitted?, status, errors, time, file."""
    f, s = book.f, book.s
    ws = book.wb.add_worksheet(STATUS_SHEET)
    roster_n = sum(1 for e in result.entries if e.in_roster)
    ws.write_string(0, 0, (f"报送情况：名册单位 {roster_n} 个，" if roster_n else "报送情况：")
                    + f"已汇总 {len(result.included)} 个，未报送 {len(result.of_status(MISSING))} 个", f["title"])
    heads = ["序号", "单位代码", "单位名称", "类别", "是否报送", "汇总情况", "错误数", "警告数", "报送时间", "文件",
             "说明"]
    for c, h in enumerate(heads):
        ws.write_string(1, c, h, f["head"])
    for c, w in enumerate([5, 10, 28, 12, 9, 18, 7, 7, 20, 36, 70]):
        ws.set_column(c, c, w)
    ws.freeze_panes(2, 3)
    _page(ws)
    ws.autofilter(1, 0, max(2, len(result.entries) + 1), len(heads) - 1)
    any_roster = roster_n > 0
    style = {INCLUDED: s["text"], INCLUDED_ERRORS: s["warn_text"], EXCLUDED_ERRORS: s["err_text"],
             UNREADABLE: s["err_text"], MISSING: s["miss_text"]}

    def rows() -> Iterator[str]:
        for i, e in enumerate(result.entries, start=1):
            ts = style.get(e.status, s["text"])
            row = book.row(i + 1)
            row.num(0, i, ts)
            row.text(1, e.code, ts)
            row.text(2, e.name or ("（无法确定单位）" if not e.code else ""), ts)
            row.text(3, e.category, ts)
            row.text(4, "未报送" if e.status == MISSING else "已报送", ts)
            extra = "（不在名册中）" if any_roster and not e.in_roster and e.status not in (MISSING, UNREADABLE) else ""
            row.text(5, e.status_zh + extra, ts)
            if e.status == MISSING:
                row.blank(6, ts)
                row.blank(7, ts)
            else:
                row.num(6, e.errors, ts)
                row.num(7, e.warnings, ts)
            row.text(8, e.received_at, ts)
            row.text(9, e.file, ts)
            note = e.note
            if e.status in (EXCLUDED_ERRORS, INCLUDED_ERRORS):
                note = f"共 {e.errors} 个错误，例如：{e.first_error}"
            if e.ledger_status:
                note = (note + "；" if note else "") + f"台账状态：{e.ledger_status}"
            row.text(10, note, s["wrap"])
            yield row.xml()

    book.defer(STATUS_SHEET, rows, len(result.entries) + 1, len(heads) - 1)


def write_findings_sheet(book: _Book, result: MergeResult) -> None:
    """校验结果: the findings of the units that were included."""
    from .model import SEVERITY_ZH

    f, s = book.f, book.s
    ws = book.wb.add_worksheet(FINDINGS_SHEET)
    heads = ["单位代码", "单位名称", "级别", "位置", "栏目", "说明", "代码"]
    n = sum(len(e.findings) for e in result.included)
    n_err = sum(1 for e in result.included for x in e.findings if x.severity == "error")
    ws.write_string(0, 0, f"校验结果：已汇总单位的校验问题 {n} 条（其中错误 {n_err} 条）", f["title"])
    for c, h in enumerate(heads):
        ws.write_string(1, c, h, f["head"])
    for c, w in enumerate([10, 28, 6, 22, 50, 70, 22]):
        ws.set_column(c, c, w)
    ws.freeze_panes(2, 0)
    _page(ws)
    ws.autofilter(1, 0, max(2, n + 1), len(heads) - 1)
    sev_s = {"error": s["err_text"], "warning": s["warn_text"], "info": s["info_text"]}

    def rows() -> Iterator[str]:
        r = 2
        for e in result.included:
            for x in e.findings:
                row = book.row(r)
                row.text(0, e.code, s["text"])
                row.text(1, e.name, s["text"])
                row.text(2, SEVERITY_ZH.get(x.severity, x.severity), sev_s.get(x.severity, s["text"]))
                row.text(3, x.ref or "", s["text"])
                row.text(4, x.path or "", s["wrap"])
                row.text(5, x.message or "", s["wrap"])
                row.text(6, x.code or "", s["text"])
                yield row.xml()
                r += 1
        if r == 2:
            row = book.row(2)
            row.text(0, "已汇总的单位没有校验问题。", s["note"])
            yield row.xml()

    book.defer(FINDINGS_SHEET, rows, max(2, n + 1), len(heads) - 1)


def write_year_sheet(book: _Book, result: MergeResult) -> None:
    """上年对比: this year against last year for the county and each unit, every cell."""
    f, s = book.f, book.s
    spec = result.spec
    prev = result.previous
    ws = book.wb.add_worksheet(YEAR_SHEET)
    n_err = sum(1 for x in result.changes if x.severity == "error")
    n_info = sum(1 for x in result.changes if x.severity == "info" and x.cell)
    src = Path(prev.source).name if prev else ""
    ws.write_string(0, 0, f"与上年对比（上年数据：{src}"
                    + (f"，{prev.year}年度" if prev and prev.year else "")
                    + f"）：跨年度结转不一致（规则F）{n_err} 处，变化较大 {n_info} 处（可按“结果”列筛选；两年都为 0 的栏目不列出）",
                    f["title"])
    heads = ["单位代码", "单位名称", "单元格编号", "栏目", "本年", "上年", "变化", "结果", "说明"]
    for c, h in enumerate(heads):
        ws.write_string(1, c, h, f["head"])
    for c, w in enumerate([10, 26, 20, 60, 10, 10, 10, 8, 70]):
        ws.set_column(c, c, w)
    ws.freeze_panes(2, 2)
    _page(ws)
    ws.autofilter(1, 0, max(2, len(result.changes) + 1), len(heads) - 1)
    labels: dict[str, str] = {}
    for cid in value_ids(spec):
        labels[cid] = spec.cells[cid].label_path
    for r in spec.rules_of("carry"):
        c = spec.cells[r.lhs[0]]
        labels["F:" + r.id] = (f"表{c.table} / 本年“{c.row}”对上年“{_prev_label(spec, r.id)}” / "
                               + " / ".join(c.column_path))
    sev = {"error": ("错误", s["err_text"]), "warning": ("警告", s["info_text"]), "info": ("提示", s["info_text"])}

    def rows() -> Iterator[str]:
        for i, x in enumerate(result.changes):
            row = book.row(i + 2)
            row.text(0, x.code, s["text"])
            row.text(1, x.name, s["text"])
            row.text(2, x.cell, s["text"])
            row.text(3, labels.get("F:" + x.rule if x.rule else x.cell, ""), s["wrap"])
            row.num(4, x.this, s["amount"])
            row.num(5, x.last, s["amount"])
            if x.this is not None and x.last is not None and not x.rule:
                row.num(6, _norm(x.this - x.last), s["amount"])
            else:
                row.blank(6, s["text"])
            word, st = sev.get(x.severity, ("", s["text"]))
            row.text(7, word, st)
            row.text(8, x.message, s["wrap"])
            yield row.xml()

    book.defer(YEAR_SHEET, rows, max(2, len(result.changes) + 1), len(heads) - 1)


def _prev_label(spec: Spec, rule_id: str) -> str:
    for r in spec.rules:
        if r.id == rule_id and r.rhs and r.rhs[0] in spec.cells:
            return spec.cells[r.rhs[0]].row
    return ""


def info_rows(result: MergeResult) -> list[tuple[str, str]]:
    """The roll-up's cover: what it is, from what, when, by which gipr."""
    from . import __version__

    spec = result.spec
    n_roster = sum(1 for e in result.entries if e.in_roster)
    inc = result.included
    rows = [
        ("汇总单位（本级）", result.county or "（未指定）"),
        ("报告年度", str(result.year)),
        ("报表格式", f"{spec.name}（{spec.source}），格式编号 {spec.id}"),
        ("名册单位数", str(n_roster) if n_roster else "（未提供名册）"),
        ("已汇总", f"{len(inc)} 个" + (f"（其中含错误 {len(result.of_status(INCLUDED_ERRORS))} 个，"
                                     "已按 --include-errors 汇总并标注）" if result.of_status(INCLUDED_ERRORS) else "")),
        ("有错误未汇总", f"{len(result.of_status(EXCLUDED_ERRORS))} 个"),
        ("无法读取", f"{len(result.of_status(UNREADABLE))} 个"),
        ("未报送", f"{len(result.of_status(MISSING))} 个"
         + ("：" + "、".join(e.name for e in result.of_status(MISSING)) if result.of_status(MISSING) else "")),
        ("下级汇总表", f"{sum(1 for e in inc if e.kind == 'rollup')} 个"),
        ("数据来源", "；".join(result.sources)),
        ("上年数据", result.previous.source if result.previous else "（未提供）"),
        ("生成时间", result.generated),
        ("生成工具", f"gipr {__version__}"),
    ]
    return rows


def write_info(ws: Any, result: MergeResult, f: dict[str, Any], row0: int, col0: int = 0) -> int:
    r = row0
    for k, v in info_rows(result):
        ws.write_string(r, col0, k, f["key"])
        ws.write_string(r, col0 + 1, v, f["wrap"])
        width = sum(2 if ord(ch) > 0x2E7F else 1 for ch in v)  # CJK characters are two columns wide
        lines = max(1, -(-width // 70))  # column B is 72 characters wide
        if lines > 1:
            ws.set_row(r, 14 * lines)
        r += 1
    return r


def rollup_name(county: str) -> str:
    return f"{county}{ROLLUP_SUFFIX}" if county else "汇总"


def write_rollup(path: str | Path, result: MergeResult, *, overwrite: bool = False) -> Path:
    """Write the roll-up workbook atomically: the official cover and tables (template
    writer; totals are live formulas with correct cached values; identity kind "rollup"
    with the list of units covered), then 汇总说明, 各单位明细, 报送情况, 校验结果 and,
    with last year's data, 上年对比."""
    with atomic_output_path(path, overwrite) as tmp:
        build_rollup_file(tmp, result)
    return Path(path)


def atomic_output_path(path: str | Path, overwrite: bool):
    from .fsio import atomic_output

    return atomic_output(path, overwrite=overwrite)


def build_rollup_file(target: str | Path, result: MergeResult) -> None:
    """Write the roll-up workbook to ``target`` (not atomic: ``write_rollup`` is)."""
    import xlsxwriter

    from .identity import make_identity, sign
    from .template import WORKBOOK_OPTIONS, build_workbook

    import hashlib

    spec = result.spec
    units = result.covered_units()
    generated = _dt.datetime.fromisoformat(result.generated) if result.generated else _dt.datetime.now().astimezone()
    ident = make_identity(spec, result.year, None, kind="rollup", units=units)
    ident["unit_name"] = rollup_name(result.county)
    ident["county"] = result.county
    ident["created"] = generated.astimezone(_dt.timezone.utc).replace(microsecond=0).isoformat()
    # a roll-up is identified by what it covers and when it was made (reproducible)
    ident["template_id"] = hashlib.sha256("|".join(
        [spec.id, str(result.year), result.county, ident.get("units_digest", ""), ident["created"]]
    ).encode("utf-8")).hexdigest()[:32]
    ident["signature"] = sign(ident)
    day = generated.date()
    fields = {"unit_name": rollup_name(result.county), "date": f"{day.year}年{day.month}月{day.day}日"}
    known = {f.id for f in spec.cover}
    fields.update({k: v for k, v in result.cover.items() if k in known and v})
    inputs = {cid: result.values[cid] for cid in input_ids(spec)}
    from .xlsxsplice import splice_rows

    import shutil
    import tempfile

    target = Path(target)
    inner = target.with_name(target.name + ".inner")
    # xlsxwriter's own temporary files go to a hidden folder of ours, removed whatever happens
    # (it leaves them behind when it fails, e.g. on a full disk)
    tmpdir = tempfile.mkdtemp(prefix=".gipr-xlsx-", dir=target.parent)
    try:
        wb = xlsxwriter.Workbook(str(inner), {**WORKBOOK_OPTIONS, "tmpdir": tmpdir, "in_memory": True})
        try:
            # the identity sheet's unit list (a row per unit: thousands for a city) is spliced
            # in below, like the per-unit sheet, instead of cell by cell through xlsxwriter
            build_workbook(wb, spec, year=result.year, unit=None, values=inputs, identity=ident, units=None,
                           fields=fields)
            wb.doc_properties["created"] = generated.astimezone(_dt.timezone.utc).replace(tzinfo=None)
            book = _Book(wb)
            if units:
                _defer_identity_units(book, len(ident), units)
            f = book.f
            ws = wb.add_worksheet(INFO_SHEET)
            ws.activate()  # opening the roll-up shows what it covers first
            ws.merge_range(0, 0, 0, 1, "", f["title"])
            ws.write_string(0, 0, f"{rollup_name(result.county)} {result.year}年度政府信息公开工作年度报告统计表 汇总说明",
                            f["title"])
            ws.set_row(0, 24)
            ws.set_column(0, 0, 16)
            ws.set_column(1, 1, 72)
            r = write_info(ws, result, f, 2)
            note = ("表二、表三、表四是各已汇总单位填报数的逐格合计，其中“总计”为公式，由填报数重新计算；"
                    "“各单位明细”列出每个单位的数，其合计行等于汇总表；“报送情况”列出名册中每个单位的报送和汇总情况；"
                    "“校验结果”列出已汇总单位的校验问题" + ("；“上年对比”逐单位逐格对比上年。" if result.previous else "。"))
            ws.merge_range(r + 1, 0, r + 1, 1, "", f["note_wrap"])
            ws.write_string(r + 1, 0, note, f["note_wrap"])
            ws.set_row(r + 1, 60)
            ws.set_paper(9)
            ws.set_portrait()
            ws.fit_to_pages(1, 0)
            write_unit_sheet(book, result)
            write_status_sheet(book, result)
            write_findings_sheet(book, result)
            if result.previous is not None:
                write_year_sheet(book, result)
        finally:
            wb.close()
        splice_rows(inner, target, book.deferred)
    finally:
        with contextlib.suppress(OSError):
            inner.unlink()
        shutil.rmtree(tmpdir, ignore_errors=True)


# ---------------------------------------------------------------------------------
# the whole job


def check_outputs(out: Path, html: Path | None, force: bool) -> None:
    """Refuse early (before any reading) to overwrite without --force, or a wrong suffix."""
    if out.suffix.lower() != ".xlsx":
        raise GiprError(f"汇总表的文件名须以 .xlsx 结尾：{out}", "merge.out_suffix")
    if html is not None and html.suffix.lower() not in (".html", ".htm"):
        raise GiprError(f"网页文件名须以 .html 结尾：{html}", "merge.html_suffix")
    if html is not None and html.resolve() == out.resolve():
        raise GiprError("汇总表和网页不能是同一个文件。", "merge.same_output")
    for p in (out, html):
        if p is not None and p.exists() and not force:
            raise GiprError(f"文件已存在：{p}。如需替换，请加 --force，或换一个文件名。", "output.exists")
        if p is not None and p.exists() and p.is_dir():
            raise GiprError(f"{p} 是一个文件夹，不能作为输出文件。", "output.is_dir")


def merge(*, out: str | Path, paths: Sequence[str | Path] = (), workspace: str | Path | None = None,
          roster: str | Path | None = None, year: int | None = None, county: str | None = None,
          previous: str | Path | None = None, include_errors: bool = False, html: str | Path | None = None,
          force: bool = False, jobs: int | None = None, now: _dt.datetime | None = None,
          cover: Mapping[str, str] | None = None) -> MergeResult:
    """``gipr merge``: read, check, plan, sum, write the roll-up (and the HTML page).

    ``now`` fixes the generation time written into the roll-up (reproducible files);
    ``cover``: cover fields of the roll-up itself (``filler``, ``phone``), written as text."""
    from .spec import format_for_year, load_format

    out = Path(out)
    html_p = Path(html) if html is not None else None
    check_outputs(out, html_p, force)
    if workspace is not None and paths:
        raise GiprError("请在 --workspace 和文件/文件夹之间二选一。", "merge.both_sources")
    if workspace is None and not paths:
        from .workspace import find_workspace_dir

        workspace = find_workspace_dir(Path.cwd())  # run inside a workspace: merge it
        if workspace is None:
            raise GiprError("请指定要汇总的文件或文件夹，或用 --workspace 指定工作目录"
                            "（当前目录不是 gipr 工作目录）。", "merge.no_input")
    if workspace is not None:
        from .workspace import Workspace

        if roster is not None or year is not None:
            raise GiprError("使用 --workspace 时，名册和年度取自工作目录，不能再指定 --roster / --year。",
                            "merge.workspace_options")
        ws = Workspace.open(workspace)
        try:
            spec = load_format(ws.format)
            year = ws.year
            county = county if county is not None else ws.county
            units = ws.roster
            entries = entries_from_workspace(ws, spec=spec, jobs=jobs)
        finally:
            ws.close()
        sources = [f"工作目录 {Path(workspace)}（每个单位的当前报送）"]
    else:
        if not paths:
            raise GiprError("请指定要汇总的文件或文件夹，或用 --workspace 指定工作目录。", "merge.no_input")
        from .roster import load_roster

        units = load_roster(roster) if roster is not None else None
        if year is None:
            year = _guess_year(paths, [out] + ([html_p] if html_p else []))
        try:
            spec = load_format(format_for_year(int(year)))
        except Exception as e:  # noqa: BLE001 - SpecError: a year no format covers
            raise GiprError(str(e), "merge.year") from None
        entries = entries_from_paths(paths, spec=spec, year=int(year), roster=units,
                                     exclude=[out] + ([html_p] if html_p else []), jobs=jobs)
        sources = [str(p) for p in paths]
    prev = load_previous(previous, jobs=jobs) if previous is not None else None
    notes: list[str] = []
    if not county and prev is not None and prev.county_name:
        county = prev.county_name
        notes.append(f"未指定 --county，按上年汇总表取本级名称“{county}”")
    result = plan_merge(spec, int(year), county or "", entries, units, include_errors=include_errors,
                        sources=sources)
    result.notes[:0] = notes
    result.cover = {k: str(v) for k, v in (cover or {}).items() if v}
    if now is not None:
        result.generated = now.astimezone().replace(microsecond=0).isoformat()
    if prev is not None:
        if prev.year is not None and prev.year != int(year) - 1:
            result.notes.append(f"上年数据 {prev.source} 是 {prev.year} 年度的，不是 {int(year) - 1} 年度，请确认")
        result.previous = prev
        result.changes = compare_years(spec, result, prev)
    with atomic_output_path(out, force) as tmp:
        build_rollup_file(tmp, result)
        if html_p is not None:
            from .publish import write_html

            write_html(html_p, spec, result.values, overwrite=force,
                       title=f"{rollup_name(result.county)}{result.year}年度政府信息公开工作年度报告",
                       subtitle="统计表（表二至表四）")
    return result


def _guess_year(paths: Sequence[str | Path], exclude: Sequence[Path]) -> int:
    """The report year of the first readable input (when --year is not given)."""
    from .read import ReadError, read_report

    skip = {p.resolve() for p in exclude}
    for f in find_input_files(paths)[:20]:
        if f.resolve() in skip:
            continue
        try:
            rep = read_report(f)
        except ReadError:
            continue
        if rep.year:
            return rep.year
    raise GiprError("无法从文件中确定报告年度，请用 --year 指定。", "merge.no_year")
