"""``gipr audit``: every published report under some folders, read in parallel, grouped by
issuer and year, each checked on its own and along its issuer's chain of years, and its
publication date compared with its deadline.  :func:`run_audit` returns an :class:`Audit`
whose ``to_json()`` is what ``gipr audit --json`` prints.

Bad input never stops the run and nothing is counted twice: files that are not report
documents are counted and listed (``ignored``); byte-identical files are read once (the others
are ``duplicates``); documents that are not reports (``not_reports``), cannot be read
(``unreadable``: exit 2), name no issuer or year or an issuer the roster does not know
(``unassigned``), are of a year not audited (``other_years``: still last year's for the chain),
or claim an issuer-year another document already claims (``conflicts``: the first, by file
name, is the issuer-year's report) are each reported.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import messages
from ..catalogue.access import textkey
from ..check.checks import CHAIN, CHECKS, run_checks, subject
from ..check.findings import CheckContext, summarize
from ..check.similar import repeated_share
from ..errors import GiprError, SpecError
from ..figures import deadline_for
from ..files import DOCUMENT_SUFFIXES
from ..isolate import ReaderPool, available_methods
from ..media import REPORT_SUFFIXES
from ..model import Finding
from ..roster import load_roster
from ..spec import format_for_year, load_format
from .docs import DocResult, audit_one
from .issuers import Issuer, fold_names, level_of
from .report import audit_json

__all__ = ["MAX_FILES", "READ_MEMORY_MB", "READ_SECONDS", "Audit", "IssuerYear", "run_audit", "scan"]

READ_SECONDS = 90  # one document, read and checked, in a worker
READ_MEMORY_MB = 1024
MAX_FILES = 200_000  # files looked at under the paths given (the rest is said, not read)
CHAIN_CHECKS = [c for c in CHECKS if CHAIN in c.sources]


@dataclass
class IssuerYear:
    issuer: Issuer
    year: int
    doc: DocResult | None  # None: missing
    findings: list[Finding] = field(default_factory=list)  # the document's, the chain's, lateness
    late: dict[str, Any] | None = None
    repeated_share: float | None = None
    others: list[DocResult] = field(default_factory=list)  # other documents claiming this issuer-year

    @property
    def counts(self) -> dict[str, int]:
        return summarize(self.findings)


@dataclass
class Audit:
    years: list[int]
    rows: list[IssuerYear] = field(default_factory=list)  # one per issuer-year (missing ones too)
    issuers: list[Issuer] = field(default_factory=list)
    docs: list[DocResult] = field(default_factory=list)  # every document read (duplicates not)
    ignored: list[str] = field(default_factory=list)  # not a report document by its suffix
    duplicates: list[tuple[str, str]] = field(default_factory=list)  # (file, the same as)
    not_reports: list[DocResult] = field(default_factory=list)
    unreadable: list[DocResult] = field(default_factory=list)
    unassigned: list[DocResult] = field(default_factory=list)
    other_years: list[DocResult] = field(default_factory=list)
    conflicts: list[tuple[DocResult, DocResult]] = field(default_factory=list)  # (extra, the one used)
    truncated: bool = False
    seconds: float = 0.0
    workers: int = 1

    @property
    def missing(self) -> list[IssuerYear]:
        return [r for r in self.rows if r.doc is None]

    def all_findings(self) -> list[tuple[IssuerYear | None, DocResult | None, Finding]]:
        out: list[tuple[IssuerYear | None, DocResult | None, Finding]] = []
        for r in self.rows:
            out.extend((r, r.doc, f) for f in r.findings)
        for d in self.unassigned + self.other_years + [c[0] for c in self.conflicts]:
            out.extend((None, d, f) for f in d.findings)
        return out

    @property
    def exit_code(self) -> int:
        """2 a report could not be read; 1 any error or warning; 0 nothing wrong."""
        if self.unreadable:
            return 2
        wrong = any(f.severity in ("error", "warning") for _r, _d, f in self.all_findings())
        return 1 if wrong or self.missing or self.unassigned or self.conflicts else 0

    def to_json(self) -> dict[str, Any]:
        return audit_json(self)


# -----------------------------------------------------------------------------------------
# finding the files


def scan(paths: Sequence[str | Path]) -> tuple[list[Path], list[str], bool]:
    """(candidate documents, other files, truncated): every file under the paths, once."""
    docs: list[Path] = []
    other: list[str] = []
    seen: set[str] = set()
    n = 0
    for p in paths:
        p = Path(p)
        if not p.exists():
            raise GiprError(messages.say("input.not_found", path=p), "audit.no_input")
        walk: Iterable[Path] = [p] if p.is_file() else _walk(p)
        for f in walk:
            n += 1
            if n > MAX_FILES:
                return docs, other, True
            key = os.path.realpath(f)
            if key in seen:
                continue
            seen.add(key)
            # a picture is read when named (a scan), but in a folder it is a web page's image
            if f.suffix.lower() in (DOCUMENT_SUFFIXES if f == p else REPORT_SUFFIXES):
                docs.append(f)
            else:
                other.append(str(f))
    return docs, other, False


def _walk(root: Path) -> Iterable[Path]:
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if not name.startswith((".", "~$")):
                yield Path(dirpath) / name


def _digest(path: Path) -> str | None:
    h = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    except OSError:
        return None
    return h.hexdigest()


# -----------------------------------------------------------------------------------------
# reading in parallel


def _jobs(n_items: int, jobs: int | None) -> int:
    cpus = os.cpu_count() or 1
    return max(1, min(jobs or cpus, n_items))


def make_pool(n_items: int, jobs: int | None = None, method: str | None = None):
    """The reader pool of an audit: ``jobs`` workers (default: one per core), forked where that
    is safe and fast (POSIX but not macOS, one thread), else spawned as on Windows."""
    import sys
    import threading

    if method is None:
        fork_ok = "fork" in available_methods() and sys.platform != "darwin" and threading.active_count() == 1
        method = "fork" if fork_ok else "spawn"
    return ReaderPool(_jobs(n_items, jobs), method=method)


def read_all(files: Sequence[Path], pool, *, on_doc: Callable[[DocResult], None] | None = None) -> list[DocResult]:
    """Every file through :func:`audit_one` in the pool's workers (a file that passes the time
    or memory limit, or crashes its worker, is unreadable and only it), in order."""
    out = []
    items = [str(f) for f in files]
    for item, got in zip(items, pool.map(audit_one, items, seconds=READ_SECONDS, memory_mb=READ_MEMORY_MB,
                                         what=lambda i: i)):
        if isinstance(got, BaseException):
            code = getattr(got, "code", "file.unreadable")
            got = DocResult(file=item, status="unreadable", error_code=code, error=str(got))
        out.append(got)
        if on_doc is not None:
            on_doc(got)
    return out


def share_task(pair: tuple[list[str], list[str]]) -> tuple[float, int]:
    """The narrative share repeated from last year (check.similar), in a pool worker."""

    return repeated_share(*pair)


SHARE_SECONDS = 60


# -----------------------------------------------------------------------------------------
# the audit


def run_audit(paths: Sequence[str | Path], *, roster: str | Path | None = None, years: Sequence[int] = (),
              jobs: int | None = None, method: str | None = None,
              on_total: Callable[[int], None] | None = None,
              on_doc: Callable[[DocResult], None] | None = None) -> Audit:
    """The whole of ``gipr audit``.  ``on_total(n)`` is called once the documents to read are
    known, ``on_doc(result)`` after each (the CLI's progress bar).  Raises GiprError for a
    usage problem (a path that does not exist, a bad roster or year)."""
    import time

    t0 = time.perf_counter()
    units = None
    if roster is not None:
        units = load_roster(roster)
    for y in years:
        if not 1990 <= y <= 2100:
            raise GiprError(messages.say("cli.bad_year", year=y), "usage.year")
    files, ignored, truncated = scan(paths)
    if not files:
        raise GiprError(messages.say("audit.cli.none", suffixes="、".join(REPORT_SUFFIXES)), "audit.no_documents")
    audit = Audit(years=sorted(set(years)), ignored=ignored, truncated=truncated)
    unique: list[Path] = []
    first: dict[str, Path] = {}
    for f in files:
        d = _digest(f)
        if d is not None and d in first:
            audit.duplicates.append((str(f), str(first[d])))
            continue
        if d is not None:
            first[d] = f
        unique.append(f)
    if on_total is not None:
        on_total(len(unique))
    audit.workers = _jobs(len(unique), jobs) if unique else 0
    with make_pool(max(1, len(unique)), jobs, method) as pool:
        docs = read_all(unique, pool, on_doc=on_doc)
        for doc in docs:
            if doc.report is not None:
                doc.report.spec = load_format(doc.format)
        audit.docs = docs

        def shares(pairs: list) -> list:
            got = pool.map(share_task, pairs, seconds=SHARE_SECONDS, what="")
            return [None if isinstance(x, BaseException) else x for x in got]

        _group(audit, docs, units, shares)
    audit.seconds = time.perf_counter() - t0
    return audit


def _group(audit: Audit, docs: list[DocResult], units, shares: Callable[[list], list] | None = None) -> None:
    good = []
    for d in docs:
        if d.status == "not_report":
            audit.not_reports.append(d)
        elif d.status != "ok":
            audit.unreadable.append(d)
        elif not d.issuer or d.year is None:
            d.findings.append(messages.finding("audit.unassigned", file=d.file,
                                               issuer=d.issuer or messages.say("detail.unfilled"),
                                               year=d.year or messages.say("detail.unfilled")))
            audit.unassigned.append(d)
        else:
            good.append(d)
    by_name, unknown = fold_names([d.issuer for d in good], units)
    unknown_set = set(unknown)
    placed: dict[tuple[int, int], list[DocResult]] = {}
    issuers: dict[int, Issuer] = {}
    for d in good:
        if d.issuer in unknown_set:
            d.findings.append(messages.finding("audit.not_in_roster", issuer=d.issuer, file=d.file))
            audit.unassigned.append(d)
            continue
        iss = by_name[d.issuer]
        issuers[id(iss)] = iss
        assert d.year is not None  # good: the year is known (above)
        placed.setdefault((id(iss), d.year), []).append(d)
    if units is not None:  # every roster unit is expected, reported or not
        for iss in {id(i): i for i in by_name.values()}.values():
            issuers[id(iss)] = iss
        known = {i.code for i in issuers.values()}

        for u in units:
            if u.code not in known:
                level, src = level_of(u.name, u)
                iss = Issuer(u.name, [], u, level, src)
                issuers[id(iss)] = iss
    audit.issuers = sorted(issuers.values(), key=lambda i: (i.code or "~", i.name))
    all_years = sorted({y for (_i, y) in placed})
    wanted = audit.years or all_years
    chosen: dict[tuple[int, int], DocResult] = {}
    for key, ds in placed.items():
        ds.sort(key=lambda d: d.file)
        chosen[key] = ds[0]
        for extra in ds[1:]:
            extra.findings.append(messages.finding("audit.conflict", file=extra.file, other=ds[0].file,
                                                   issuer=issuers[key[0]].name, year=key[1]))
            audit.conflicts.append((extra, ds[0]))
    pending: list[tuple[IssuerYear, DocResult | None]] = []
    for iss in audit.issuers:
        own = sorted(y for (i, y) in chosen if i == id(iss))
        if audit.years:
            years = list(audit.years)
        elif units is not None:
            years = wanted
        else:
            years = list(range(own[0], own[-1] + 1)) if own else []
        for y in years:
            doc = chosen.get((id(iss), y))
            row = IssuerYear(iss, y, doc)
            if doc is None:
                row.findings.append(messages.finding("audit.missing", issuer=iss.name, year=y))
            else:
                row.findings = list(doc.findings)
                row.others = [c[0] for c in audit.conflicts if c[1] is doc]
                pending.append((row, chosen.get((id(iss), y - 1))))
            audit.rows.append(row)
        for (i, y), doc in chosen.items():
            if i == id(iss) and y not in years:
                doc.findings.append(messages.finding("audit.other_year", file=doc.file, year=y,
                                                     years="、".join(str(x) for x in years) or "？"))
                audit.other_years.append(doc)
    # the narratives compared with last year's in the pool (the largest part of the chain), then the chain
    pairs = [(r, p) for r, p in pending if p is not None and r.doc is not None and r.doc.sentences and p.sentences]
    made = shares([(r.doc.sentences, p.sentences) for r, p in pairs if r.doc is not None]) if shares and pairs else []
    share_of = {id(r): m for (r, _p), m in zip(pairs, made)}
    for row, prev in pending:
        _chain(row, prev, share_of.get(id(row)))
        _lateness(row)


def _chain(row: IssuerYear, prev: DocResult | None, share: tuple[float, int] | None = None) -> None:
    """The checks of the chain of years against last year's report of the same issuer (``share``:
    the narrative's repeated share when already measured)."""
    if prev is None or prev.report is None or row.doc is None or row.doc.report is None:
        return
    ctx = CheckContext(previous=prev.report)

    s = subject(row.doc.report, ctx)
    if share is not None:
        s.extra["share"] = share
    elif row.doc.sentences and prev.sentences:
        s.extra["sentences"] = (row.doc.sentences, prev.sentences)
    found = run_checks(row.doc.report, ctx, checks=CHAIN_CHECKS, into=s)
    row.repeated_share = s.extra.get("repeated_share")
    row.findings.extend(found)


def _lateness(row: IssuerYear) -> None:
    """The publication date against the deadline of the issuer's level for that report year."""

    doc = row.doc
    assert doc is not None
    if not doc.published:
        return
    try:
        spec = load_format(format_for_year(row.year))
    except SpecError:
        return
    level = row.issuer.level
    dl = deadline_for(spec, level) if level else None
    if dl is None:
        return
    due = dl.date(row.year)
    published = _dt.date.fromisoformat(doc.published)
    why = messages.say(textkey("detail.audit.level_" + row.issuer.level_from), category=row.issuer.unit.category
                          if row.issuer.unit else "", name=row.issuer.name)
    source = messages.say(textkey("detail.audit.date_" + doc.published_from))
    row.late = {"published": doc.published, "deadline": due.isoformat(), "days": (published - due).days,
                "level": level, "who": dl.label, "basis": dl.basis, "why": why, "date_from": doc.published_from,
                "late": published > due}
    if published > due:
        row.findings.append(messages.finding("audit.late", published=doc.published, source=source,
                                             deadline=due.isoformat(), days=(published - due).days, who=dl.label,
                                             basis=dl.basis, why=why))
