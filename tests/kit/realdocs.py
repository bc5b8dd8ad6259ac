"""Scoring gipr's reader against the real published reports in tests/realdocs/ (the test
``test_realdocs.py`` and ``benchmarks/bench_corpus.py`` share it).

Each document folder holds the files as published and ``expected.json``: the three tables
transcribed by hand (see tests/realdocs/README.md), and ``findings``: per medium file, the
complete list of error and warning findings (code, cell) that document must give.

A transcribed cell is scored against what ``gipr import`` read (as ``gipr check`` then
checks it, in the same run):

* **exact**: the same number (compared exactly), or a printed blank read as blank;
* **unknown**: no value (the row was not read, glued digits left open, a group printed as one
  row …) - allowed only when a finding gives the reason (:data:`REASONS`);
* **wrong**: anything else - a different number, a blank read as 0, a number read as blank.

"?" cells are not scored.  A transcription that is a string (“251000元”, “5（其中修订16件）”)
is compared by its meaning as the reader documents it (``gipr.values.parse_printed``).
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from kit.paths import REALDOCS

ROOT = REALDOCS

# findings that say why a cell stayed unknown
REASONS = ("published.row_missing", "published.row_unaligned", "published.digits_ambiguous",
           "published.digits_budget", "published.group_row", "layout.table_missing")


@dataclass
class Result:
    doc: str
    medium: str
    seconds: float = 0.0
    cells: int = 0
    exact: int = 0
    unknown: Counter = field(default_factory=Counter)  # reason → cells
    wrong: list[str] = field(default_factory=list)  # "cell: expected … read …"
    unexplained: list[str] = field(default_factory=list)  # unknown without a reason
    false_findings: list[tuple[str, str | None]] = field(default_factory=list)  # given, not golden
    missing_findings: list[tuple[str, str | None]] = field(default_factory=list)  # golden, not given
    given: list[tuple[str, str | None]] = field(default_factory=list)  # error/warning (code, cell) given
    error: str | None = None  # the import failed


def documents() -> list[Path]:
    return sorted(p.parent for p in ROOT.glob("*/expected.json"))


def load(doc: Path) -> dict:
    return json.loads((doc / "expected.json").read_text(encoding="utf-8"))


def media(doc: Path) -> list[str]:
    return [s["file"] for s in load(doc)["sources"]]


def issuer_key(doc: Path) -> tuple[str, int]:
    """(place-issuer, year) from the folder name ``<place>-<issuer>-<year>``."""
    head, _, year = doc.name.rpartition("-")
    return head, int(year)


def _expected_cells(spec, exp: dict) -> dict[str, object]:
    """cell id → transcription, for every printed cell; ``"group:<row>:<i>"`` for the cells
    of a group printed as one row (2021 （六）其他处理 as one row)."""
    out: dict[str, object] = {}
    for tid, rows in exp.get("tables", {}).items():
        for rid, vals in rows.items():
            cols = [c for c in spec.table(tid).cells if spec.cells[c].row_id == rid]
            if not cols:  # a group printed as one row: its leaf rows' cells, by column
                for i, v in enumerate(vals):
                    out[f"group:{rid}:{i}"] = v
                continue
            cols.sort(key=lambda c: spec.cells[c].colx)
            for cid, v in zip(cols, vals):
                out[cid] = v
    return out


def _group_number(spec, report, rid: str, i: int):
    leaves = [r for r in spec.table("t3").value_rows if r.startswith(rid) and r != rid]
    ids = set()
    for r in leaves:
        cols = sorted((c for c in spec.table("t3").cells if spec.cells[c].row_id == r),
                      key=lambda c: spec.cells[c].colx)
        ids.add(cols[i])
    for g, n in report.groups:
        if set(g) == ids:
            return n
    return None


def score(doc: Path, medium: str, previous: list | None = None) -> tuple[Result, object]:
    """Import and check one medium file of a document, in one run; (Result, the report)."""
    from gipr.check import CheckContext, check_report
    from gipr.errors import GiprError
    from gipr.published import import_document
    from gipr.spec import type_rules
    from gipr.values import parse_printed

    exp = load(doc)
    res = Result(doc.name, medium)
    t0 = time.perf_counter()
    try:
        imp = import_document(doc / medium, previous=previous)
        findings = check_report(imp.report, CheckContext())
    except GiprError as e:
        res.seconds = time.perf_counter() - t0
        res.error = f"{e.code}: {e}"
        res.given = [(e.code, None)]
        n = sum(1 for tid, rows in exp.get("tables", {}).items() for v in rows.values() for x in v if x != "?")
        res.cells = n
        res.unknown[f"import failed ({e.code})"] += n
        _compare_findings(res, exp, medium)
        return res, None
    res.seconds = time.perf_counter() - t0
    report = imp.report
    spec = report.spec
    res.given = sorted((f.code, f.cell) for f in findings if f.severity in ("error", "warning"))
    codes = {f.code for f in findings}
    reasons = [c for c in REASONS if c in codes]
    for cid, want in _expected_cells(spec, exp).items():
        if want == "?":
            continue
        res.cells += 1
        if cid.startswith("group:"):
            _, rid, i = cid.split(":")
            got_num = _group_number(spec, report, rid, int(i))
            if got_num is None:
                _unknown(res, cid, reasons)
            elif want is None or isinstance(want, str) or Decimal(str(want)) != Decimal(str(got_num)):
                res.wrong.append(f"{cid}: 印作 {want!r}，读作 {got_num}")
            else:
                res.exact += 1
            continue
        v = report.values.get(cid)
        known = v is not None and (v.state == "number" or (v.state == "blank" and v.code is None
                                                           and not _grouped(report, cid)))
        if not known:
            _unknown(res, cid, _why(spec, report, findings, cid, v) or reasons)
            continue
        if want is None:
            ok = v.state == "blank"
        else:
            if isinstance(want, str):
                c = spec.cells[cid]
                p = parse_printed(want, c.type, c.unit, type_rules(spec, c.type))
                want_state, want_num = p.state, p.number
            else:
                want_state, want_num = "number", want
            ok = v.state == want_state and (want_state != "number" or Decimal(str(v.number)) == Decimal(str(want_num)))
        if ok:
            res.exact += 1
        else:
            res.wrong.append(f"{cid}: 印作 {want!r}，读作 {v.number if v.state == 'number' else v.state}")
    _compare_findings(res, exp, medium)
    return res, report


def _why(spec, report, findings, cid: str, v) -> list[str]:
    """The finding that says why this cell is unknown, where it can be told apart."""
    codes = {f.code for f in findings}
    if v is not None and v.code in REASONS and v.code in codes:
        return [v.code]
    if _grouped(report, cid) and "published.group_row" in codes:
        return ["published.group_row"]
    label = spec.cells[cid].row_path[-1] if spec.cells[cid].row_path else ""
    if any(f.code == "published.row_missing" and f"“{label}”" in f.message for f in findings):
        return ["published.row_missing"]
    if spec.cells[cid].table_id == "t4" and "layout.table_missing" in codes:
        return ["layout.table_missing"]
    return []


def _grouped(report, cid: str) -> bool:
    return any(cid in g for g, _n in report.groups)


def _unknown(res: Result, cid: str, reasons: list[str]) -> None:
    if reasons:
        res.unknown[reasons[0]] += 1
    else:
        res.unknown["(no reason)"] += 1
        res.unexplained.append(cid)


def _compare_findings(res: Result, exp: dict, medium: str) -> None:
    golden = Counter((f["code"], f.get("cell")) for f in exp.get("findings", {}).get(medium, []))
    given = Counter(res.given)
    res.false_findings = sorted((given - golden).elements(), key=str)
    res.missing_findings = sorted((golden - given).elements(), key=str)


def previous_values(report) -> tuple[str, dict]:
    """A read report as last year's numbers for the next year's import."""
    return report.unit_name, {cid: v.number for cid, v in report.values.items() if v.state == "number"}


def run_corpus(docs: list[Path] | None = None) -> list[Result]:
    """Every medium of every document, in year order per issuer: a document's previous year
    (same issuer, read in the same run) is given as ``previous``."""
    docs = sorted(docs or documents(), key=issuer_key)
    read: dict[tuple[str, int], tuple[str, dict]] = {}
    out = []
    for d in docs:
        key = issuer_key(d)
        prev = read.get((key[0], key[1] - 1))
        for m in media(d):
            res, report = score(d, m, [prev] if prev else None)
            out.append(res)
            if report is not None and key not in read:
                read[key] = previous_values(report)
    return out
