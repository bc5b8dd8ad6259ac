"""The inputs of a merge: one compact ``Entry`` per file (read and checked in a process
pool), or per ledger submission of a workspace.

Memory: a merge keeps one ``Entry`` per input — the numbers of its input cells in spec
order, its findings and who it is — never the whole ``Report``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..check import CheckContext, check_report
from ..errors import GiprError, ReadError
from ..files import READABLE_SUFFIXES as INPUT_SUFFIXES
from ..files import find_input_files, real_path
from ..isolate import ReaderPool, available_methods
from ..messages import MERGE_STATUS_ZH, say
from ..model import Finding, Report
from ..read import prepare, spec_token, worker_limits
from ..roster import Unit
from ..rules import Number, compact_numbers, norm, plan
from ..spec import Spec
from ..unitmatch import settle_identity

# status of one roster unit / input in the merge
INCLUDED = "included"
INCLUDED_ERRORS = "included_errors"
EXCLUDED_ERRORS = "excluded_errors"
UNREADABLE = "unreadable"
MISSING = "missing"

UNIT_SHEET = say("sheet.units")
STATUS_SHEET = say("sheet.status")
FINDINGS_SHEET = say("sheet.findings")
YEAR_SHEET = say("sheet.years")
INFO_SHEET = say("sheet.info")
UNIT_SHEET_ID_LABEL = say("sheet.units_id_label")


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
        return MERGE_STATUS_ZH.get(self.status, self.status)

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


def entry_values(spec: Spec, e: Entry) -> dict[str, Number | None]:
    """An entry's input numbers as a dict, totals recomputed (blanks count as 0 in totals)."""
    p = plan(spec)
    return {cid: (norm(v) if v is not None else None) for cid, v in zip(p.ids, p.complete(e.numbers))}


# ---------------------------------------------------------------------------------
# reading files (in worker processes)


_W: dict[str, Any] = {}  # worker state: spec, check context


def _worker_init(token: Any, ctx_args: dict[str, Any]) -> None:
    from ..read import (  # worker-only: reader code runs in a worker (tests/project/test_boundary.py)
        spec_from_token,
        warm_up,
    )

    warm_up()
    _W["spec"] = spec_from_token(token)
    _W["ctx"] = CheckContext(**ctx_args)


def _read_task(task: tuple[str, str, dict[str, Any]]) -> Entry:
    path, display, extra = task
    return read_entry(Path(path), display, _W["spec"], _W["ctx"], **extra)


def read_entry(path: Path, display: str, spec: Spec | None, ctx: CheckContext, **extra: Any) -> Entry:
    """Read and check one file into a compact ``Entry``.  Never raises."""
    from ..read import read_report  # worker-only: reader code runs in a worker (tests/project/test_boundary.py)

    try:
        rep = read_report(path, name=display, spec=spec)
    except ReadError as e:
        return unreadable_entry(e, display, **extra)
    except MemoryError:
        raise  # in a reader worker: gipr.isolate reports file.too_large and replaces the worker
    except Exception as e:
        msg = say("merge.read_internal", error=f"{type(e).__name__}: {e}")
        return Entry(status=UNREADABLE, kind="", file=display, note=msg, errors=1,
                     findings=[Finding("file.internal", "error", msg)], **extra)
    try:
        found = check_report(rep, ctx)
    except Exception as e:
        found = [Finding("check.internal", "error", say("merge.check_internal", error=f"{type(e).__name__}: {e}"))]
    unit = _ledger_unit(extra.get("code"), ctx)
    if unit is not None:
        # the ledger identified the unit (cover short name, sender, or the clerk's pin): agree with it

        rep.findings = settle_identity(list(rep.findings), rep, None)
        found = settle_identity(found, rep, unit)
    return entry_from_report(rep, found, display, **extra)


def unreadable_entry(e: BaseException, display: str, **extra: Any) -> Entry:
    """The Entry of a file that could not be read (a ReadError, or a limit of the reader worker)."""
    return Entry(status=UNREADABLE, kind="", file=display, note=str(e), errors=1,
                 findings=[Finding(getattr(e, "code", "file.unreadable"), "error", str(e))], **extra)


def _ledger_unit(code: str | None, ctx: CheckContext) -> Unit | None:
    if not code:
        return None
    return next((u for u in (getattr(ctx, "roster", None) or ()) if u.code == code), None)


def entry_from_report(rep: Report, found: list[Finding], display: str, **extra: Any) -> Entry:
    nums, odd = compact_numbers(rep.spec, rep.values)
    parts = {"numbers": nums, "odd": odd, "unit_code": rep.unit_code or "", "unit_name": rep.unit_name or "",
             "identity_county": rep.identity.get("county") or "", "kind": rep.kind, "sha256": rep.sha256 or "",
             "year": rep.year, "units": rep.units or []}
    return entry_from_parts(rep.spec, parts, rep.findings, found, display, **extra)


def entry_from_parts(spec: Spec, p: Any, read_findings: Sequence[Finding], found: Sequence[Finding],
                     display: str, **extra: Any) -> Entry:
    """The Entry of one read and checked input, from its compact parts (a fresh report's, or a
    result stored in the ledger: ``collect.results.payload_from_report`` has the same keys)."""
    findings: list[Finding] = []
    seen: set[tuple] = set()
    for f in list(read_findings) + list(found):
        key = (f.code, f.severity, f.cell, f.message)
        if key not in seen:
            seen.add(key)
            findings.append(f)
    kind = "rollup" if p["kind"] == "rollup" else "unit"
    name = p["unit_name"].strip()
    county = ""
    if kind == "rollup":
        county = p["identity_county"].strip() or strip_rollup_suffix(name)
        name = county or name
    e = Entry(
        code=p["unit_code"].strip(),
        name=name.strip(),
        status=INCLUDED,
        kind=kind,
        file=display,
        sha256=p["sha256"],
        errors=sum(1 for f in findings if f.severity == "error"),
        warnings=sum(1 for f in findings if f.severity == "warning"),
        numbers=tuple(p["numbers"]),
        odd=dict(p["odd"]),
        findings=findings,
        covers=[dict(u) for u in p["units"]] if kind == "rollup" else [],
        year=p["year"],
        format=spec.id,
        county=county,
    )
    for k, v in extra.items():
        setattr(e, k, v)
    return e


ROLLUP_SUFFIX = say("rollup.suffix")


def rollup_name(county: str) -> str:
    """A roll-up's unit name: the county's with the roll-up suffix, else the bare word."""
    return f"{county}{ROLLUP_SUFFIX}" if county else say("rollup.unnamed")


def strip_rollup_suffix(name: str) -> str:
    for suf in (ROLLUP_SUFFIX, say("merge.entries.strip_rollup_suffix"), say("rollup.unnamed")):
        if name.endswith(suf):
            return name[: -len(suf)].strip()
    return name


def _jobs(n_files: int, jobs: int | None) -> int:
    if jobs is not None:
        return max(1, jobs)
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cpus = os.cpu_count() or 1
    if n_files < 24:
        return 1
    return max(1, min(cpus, 8))


def _prepare_workers(spec: Spec) -> None:
    """Build the reader's per-format tables once, before forking: the workers inherit them
    instead of each doing it again (each imports calamine itself: no parser in this process)."""

    prepare(spec)
    plan(spec)


def read_entries(tasks: Sequence[tuple[str, str, dict[str, Any]]], spec: Spec | None, ctx_args: dict[str, Any],
                 *, jobs: int | None = None, method: str | None = None, task_fn: Any = None) -> Iterator[Any]:
    """Read and check files in reader workers (gipr.isolate.ReaderPool: a file that passes
    the time or memory limit, or crashes its worker, is unreadable and only it); yields in
    task order.  ``method``: how workers start ('spawn', 'fork'; default: fork where it is
    safe and fast -- POSIX but not macOS, one thread -- else spawn, as on Windows).
    ``task_fn`` (a module-level function of one task, run in the workers with the spec and
    check context of ``_W``) replaces the default, one ``Entry`` per file; its results are
    yielded as they are, a worker's limit or crash as the exception."""
    import threading

    if not tasks:
        return
    n = _jobs(len(tasks), jobs)
    if method is None:
        fork_ok = "fork" in available_methods() and sys.platform != "darwin" and threading.active_count() == 1
        method = "fork" if fork_ok else "spawn"
    if method == "fork" and spec is not None:
        _prepare_workers(spec)  # forked workers inherit the reader's tables
    seconds, memory_mb = worker_limits()
    with ReaderPool(n, method=method, initializer=_worker_init, initargs=(spec_token(spec), ctx_args)) as pool:
        for task, got in zip(tasks, pool.map(task_fn or _read_task, tasks, seconds=seconds,
                                             memory_mb=memory_mb, what=lambda t: t[1])):
            if isinstance(got, BaseException) and task_fn is None:
                got = unreadable_entry(got, task[1], **task[2])
            yield got


# ---------------------------------------------------------------------------------
# sources: files and folders, or a workspace's ledger


def entries_from_paths(paths: Sequence[str | Path], *, spec: Spec, year: int, roster: list | None,
                       exclude: Sequence[Path] = (), jobs: int | None = None,
                       method: str | None = None) -> list[Entry]:
    files = find_input_files(paths)
    skip = {Path(p).resolve() for p in exclude}
    real_dirs: dict[Path, Path] = {}
    files = [f for f in files if real_path(f, real_dirs) not in skip]
    if not files:
        raise GiprError(say("merge.no_files", suffixes="、".join(INPUT_SUFFIXES), paths="、".join(str(p) for p in paths)),
                        "merge.no_input")
    tasks: list[tuple[str, str, dict[str, Any]]] = [(str(f), str(f), {}) for f in files]
    return list(read_entries(tasks, spec, {"year": year, "roster": roster}, jobs=jobs, method=method))
