"""The units' report documents (年报 drafts: Word, WPS, PDF, web page) in a workspace.

``gipr collect`` hands every file with a document suffix (``DOCUMENT_SUFFIXES``) here instead of
to the workbook reader.  Each is archived as received (the ledger's archive, by SHA-256),
read as a published report (``gipr.published.import_document``, through the reader boundary),
identified to a roster unit with the workbook matcher (``unitmatch.identify`` on the issuer in
its title, then the roster's “name ends the issuer” rule, then the file name), checked with the
list of checks (:mod:`gipr.check.checks`: its rules, its text against its tables, its tables
against the unit's current workbook in the ledger) and recorded in the ``documents`` table of
the ledger — every version kept; the unit's current document is its newest.

A document's state: ``consistent`` (一致: its tables equal the workbook, no error), ``differs``
(与报表不一致: a cell differs, or there is no readable workbook to compare with), ``errors``
(有错误: an error, or its text contradicts its tables), ``unreadable``; a unit without any is
``missing`` (未交).  A file with a document suffix that gipr cannot read as a report and whose
name and first bytes do not say 年报 / 年度报告 / 政府信息公开 is ignored, as other files are.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import messages
from ..catalogue.access import say, textkey
from ..check import CheckContext, check_report, pick_previous
from ..errors import GiprError, ReadError
from ..media import DRAFT_SUFFIXES
from ..published import import_document
from ..published.core import roster_unit
from ..read import read_report_limited
from ..unitmatch import identify, match_unit_name
from .ledger import utc_now
from .workspace import Workspace

__all__ = [
    "DOCUMENTS_SCHEMA",
    "DOCUMENT_SUFFIXES",
    "STATES",
    "DocumentRow",
    "collect_document",
    "current_documents",
    "document_file",
    "document_state",
    "is_report_document",
    "unit_documents",
]

DOCUMENT_SUFFIXES = DRAFT_SUFFIXES  # from the table of media (gipr.media)
STATES = ("missing", "consistent", "differs", "errors", "unreadable")
DOCUMENTS_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents(
  id           INTEGER PRIMARY KEY,
  sha256       TEXT NOT NULL CHECK (length(sha256) = 64),
  source_key   TEXT NOT NULL,
  unit_code    TEXT,
  file_name    TEXT NOT NULL,
  source       TEXT NOT NULL,
  received_at  TEXT NOT NULL,
  collected_at TEXT NOT NULL,
  state        TEXT NOT NULL CHECK (state IN ('consistent','differs','errors','unreadable')),
  issuer       TEXT,
  report_year  INTEGER,
  against      INTEGER,
  errors       INTEGER NOT NULL DEFAULT 0,
  warnings     INTEGER NOT NULL DEFAULT 0,
  findings     TEXT NOT NULL DEFAULT '[]',
  UNIQUE (sha256, source_key)
)"""
_NAMED = (say("collect.documents.named"), say("collect.documents.named_2"), say("collect.documents.named_3"))


@dataclass
class DocumentRow:
    id: int
    unit_code: str | None
    file_name: str
    source: str
    received_at: str
    state: str
    issuer: str
    report_year: int | None
    errors: int
    warnings: int
    findings: list[dict[str, Any]]

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "unit": self.unit_code, "file_name": self.file_name, "source": self.source,
                "received_at": self.received_at, "state": self.state,
                "state_zh": messages.say(textkey("document.state." + self.state)), "issuer": self.issuer,
                "year": self.report_year, "errors": self.errors, "warnings": self.warnings,
                "findings": self.findings}


def is_report_document(path: Path) -> bool:
    return path.suffix.lower() in DOCUMENT_SUFFIXES


def _ensure(ledger) -> None:
    ledger.conn.execute(DOCUMENTS_SCHEMA)


def document_state(findings: list[dict[str, Any]]) -> str:
    codes = {f["code"] for f in findings}
    if any(f["severity"] == "error" for f in findings) or "published.text_mismatch" in codes:
        return "errors"
    if "published.differs" in codes or "against.missing" in codes:
        return "differs"
    return "consistent"


def _unit_of(report, ws, file_name: str, sender: str | None):
    """The roster unit of a document: the workbook matcher on its issuer, the roster's “name
    ends the issuer” rule, the file name, the sender."""

    if report is not None:
        ident = identify(report, ws.roster, ws.county, sender)
        if ident.unit is not None:
            return ident.unit
        u = roster_unit(report, ws.roster)
        if u is not None:
            return u
    stem = Path(file_name).stem
    for cut in (stem, stem.split("2")[0]):
        u, _cands = match_unit_name(cut, ws.roster, ws.county)
        if u is not None:
            return u
    ends = [u for u in ws.roster if len(u.name) >= 3 and u.name in stem]
    if len(ends) == 1:
        return ends[0]
    if sender:
        ident = identify(None, ws.roster, ws.county, sender)
        return ident.unit
    return None


def _submitted(ws: Workspace, code: str):
    """The unit's current workbook in the ledger, read (None when it has none or it cannot be read)."""

    sub = ws.ledger.current().get(code)
    if sub is None or sub.check_status == "unreadable":
        return None
    try:
        rep = read_report_limited(sub.archive_path, name=sub.file_name)
    except ReadError:
        return None
    u = ws.unit(code)
    if u is not None:
        rep.fields.setdefault("unit_name", u.name)
        if not rep.fields.get("unit_name"):
            rep.fields["unit_name"] = u.name
    return rep, sub


def collect_document(ws: Workspace, data: bytes, *, file_name: str, source: str, source_key: str, received_at: str,
                     sender: str | None = None, previous: list | None = None
                     ) -> tuple[str, DocumentRow | None, str | None]:
    """Record one report document: ("new" | "duplicate" | "ignored", its row, a reason).
    ``previous``: last year's reports; the unit's one is its chain (上年结转, 现行有效)."""

    ledger = ws.ledger
    _ensure(ledger)
    got = ledger.conn.execute("SELECT id FROM documents WHERE sha256=? AND source_key=?",
                              (_sha(data), source_key)).fetchone()
    if got is not None:
        return "duplicate", _row(ledger, got[0]), None
    report = None
    try:
        imp = import_document(Path(file_name), data=data, name=file_name, roster=ws.roster)
        report = imp.report
    except GiprError as e:
        code = getattr(e, "code", "doc.corrupt")
        if not _says_report(file_name, data):
            return "ignored", None, str(e)  # not read, and nothing says it is a report: another file
        findings = [{"code": code, "severity": "error", "message": str(e), "cell": None, "ref": None, "path": None,
                     "rule": None}]
        sha = ledger.store(data)
        unit = _unit_of(None, ws, file_name, sender)
        return "new", _insert(ledger, sha, source_key, unit, file_name, source, received_at, "unreadable", "", None,
                              None, findings), str(e)
    sha = ledger.store(data)  # archived as received, before it is recorded
    unit = _unit_of(report, ws, file_name, sender)
    if unit is not None:
        report.fields["unit_name"], report.fields["unit_code"] = unit.name, unit.code
    sub = _submitted(ws, unit.code) if unit is not None else None
    last = pick_previous(report, previous) if previous else None
    ctx = CheckContext(year=ws.year, roster=ws.roster, submitted=[sub[0]] if sub else [], previous=last,
                       against_name=messages.say("document.against_ledger"))
    found = [f.to_json() for f in check_report(report, ctx)]
    if previous is not None and last is None:
        found.append(messages.finding("previous.missing").to_json())
    state = document_state(found)
    row = _insert(ledger, sha, source_key, unit, file_name, source, received_at, state, report.unit_name,
                  report.year, sub[1].id if sub else None, found)
    return "new", row, None


def _says_report(file_name: str, data: bytes) -> bool:
    """A file whose name or first bytes say it is an annual report (one gipr could not read)."""
    if any(w in file_name for w in _NAMED):
        return True
    head = data[:65536]
    return any(w.encode(enc) in head for w in _NAMED[1:] for enc in ("utf-8", "gb18030"))


def _sha(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def _insert(ledger, sha, source_key, unit, file_name, source, received_at, state, issuer, year, against,
            findings) -> DocumentRow:
    errors = sum(1 for f in findings if f["severity"] == "error")
    warnings = sum(1 for f in findings if f["severity"] == "warning")
    with ledger.transaction() as conn:
        cur = conn.execute(
            "INSERT INTO documents(sha256, source_key, unit_code, file_name, source, received_at, collected_at, state, "
            "issuer, report_year, against, errors, warnings, findings) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (sha, source_key, unit.code if unit else None, file_name, source, received_at, utc_now(), state, issuer,
             year, against, errors, warnings, json.dumps(findings, ensure_ascii=False)))
        rid = cur.lastrowid
    return _row(ledger, rid)


def _row(ledger, rid: int) -> DocumentRow:
    r = ledger.conn.execute("SELECT id, unit_code, file_name, source, received_at, state, issuer, report_year, "
                            "errors, warnings, findings FROM documents WHERE id=?", (rid,)).fetchone()
    return DocumentRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6] or "", r[7], r[8], r[9], json.loads(r[10]))


def current_documents(ledger) -> dict[str, DocumentRow]:
    """unit code → its newest report document (by received time, then the later recorded)."""
    try:
        rows = ledger.conn.execute("SELECT id FROM documents WHERE unit_code IS NOT NULL "
                                   "ORDER BY received_at, id").fetchall()
    except Exception:
        return {}
    out: dict[str, DocumentRow] = {}
    for (rid,) in rows:
        row = _row(ledger, rid)
        assert row.unit_code is not None  # the query's condition
        out[row.unit_code] = row
    return out


def unit_documents(ledger, code: str) -> list[DocumentRow]:
    """Every report document of a unit, newest first (the first is ``current_documents``' one)."""
    try:
        rows = ledger.conn.execute("SELECT id FROM documents WHERE unit_code=? ORDER BY received_at DESC, id DESC",
                                   (code,)).fetchall()
    except Exception:
        return []
    return [_row(ledger, rid) for (rid,) in rows]


def document_file(ledger, rid: int) -> tuple[str, bytes] | None:
    """A recorded document's file name as received and its archived bytes (None: no such row)."""
    try:
        r = ledger.conn.execute("SELECT file_name, sha256 FROM documents WHERE id=?", (rid,)).fetchone()
    except Exception:
        return None
    return None if r is None else (r[0], ledger.read_archived(r[1]))
