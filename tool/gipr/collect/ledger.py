"""The ledger (台账): every received file, in SQLite, plus a content-addressed archive.

Safety rules, in the order they are applied to each received file:

1. its raw bytes go to ``archive/<sha[:2]>/<sha>.bin`` (temp file, fsync, hard link into
   place: an existing archive file is never overwritten);
2. only then is it parsed and checked;
3. one SQLite transaction (WAL, synchronous=FULL) records it.

A kill between 1 and 3 leaves an archive file the ledger does not mention yet; the next
run finds it already archived and records it.  Nothing is ever updated in place: a
submission row, once written, stays as it is; a manual override is a new row.

A *submission* is one row: one file's bytes seen at one source (a path, or a message and
its attachment).  The same bytes at the same source are the same submission, so
collecting again adds nothing.  The same bytes at another source (the same attachment in
two e-mails) get a row with status ``duplicate`` that points at the first one.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import json
import os
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..catalogue.access import say
from ..errors import GiprError
from ..fsio import describe_os_error, write_once
from ..messages import SUBMISSION_STATUS_ZH

SCHEMA_VERSION = 2  # 2: the results table (collect/results.py); a version-1 ledger migrates in place
STATUSES = ("accepted", "errors", "unreadable", "unidentified", "duplicate")
CHECK_STATUSES = ("accepted", "errors", "unreadable")
IDENTIFIED_ZH = {
    "identity": say("collect.ledger.identity"),
    "cover_name": say("collect.ledger.cover_name"),
    "cover_code": say("collect.ledger.cover_code"),
    "sender": say("collect.ledger.sender"),
    "override": say("collect.ledger.override"),
    "none": say("collect.ledger.none"),
}

# the table of stored reading and checking results (gipr.collect.results), schema version 2
RESULTS_SCHEMA = """
CREATE TABLE IF NOT EXISTS results(
  sha256         TEXT NOT NULL CHECK (length(sha256) = 64),
  format_digest  TEXT NOT NULL,
  code_version   TEXT NOT NULL,
  context_digest TEXT NOT NULL,
  payload        TEXT NOT NULL,
  digest         TEXT NOT NULL,
  stored_at      TEXT NOT NULL,
  PRIMARY KEY (sha256)
)
"""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS submissions(
  id             INTEGER PRIMARY KEY,
  sha256         TEXT NOT NULL CHECK (length(sha256) = 64),
  size           INTEGER NOT NULL CHECK (size >= 0),
  source_key     TEXT NOT NULL,
  unit_code      TEXT,
  status         TEXT NOT NULL CHECK (status IN ('accepted','errors','unreadable','unidentified','duplicate')),
  check_status   TEXT NOT NULL CHECK (check_status IN ('accepted','errors','unreadable')),
  identified_by  TEXT NOT NULL,
  received_at    TEXT NOT NULL,
  collected_at   TEXT NOT NULL,
  file_name      TEXT NOT NULL,
  raw_name       TEXT,
  source_kind    TEXT NOT NULL CHECK (source_kind IN ('file','email')),
  source         TEXT NOT NULL,
  source_path    TEXT,
  mail_from      TEXT,
  mail_subject   TEXT,
  mail_date      TEXT,
  message_id     TEXT,
  message_sha256 TEXT,
  errors         INTEGER NOT NULL DEFAULT 0,
  warnings       INTEGER NOT NULL DEFAULT 0,
  findings       TEXT NOT NULL DEFAULT '[]',
  reason_code    TEXT,
  reason         TEXT,
  format         TEXT,
  report_year    INTEGER,
  report_kind    TEXT,
  duplicate_of   INTEGER REFERENCES submissions(id),
  UNIQUE (sha256, source_key)
);
CREATE INDEX IF NOT EXISTS submissions_unit ON submissions(unit_code);
CREATE INDEX IF NOT EXISTS submissions_sha ON submissions(sha256);
CREATE TABLE IF NOT EXISTS overrides(
  id            INTEGER PRIMARY KEY,
  unit_code     TEXT NOT NULL,
  submission_id INTEGER REFERENCES submissions(id),
  set_by        TEXT NOT NULL,
  set_at        TEXT NOT NULL,
  note          TEXT
);
CREATE INDEX IF NOT EXISTS overrides_unit ON overrides(unit_code);
"""


def utc_now() -> str:
    return iso_utc(_dt.datetime.now(_dt.timezone.utc))


def iso_utc(d: _dt.datetime) -> str:
    """An aware datetime as the ledger stores it: UTC, seconds, 'Z'."""
    if d.tzinfo is None:
        d = d.astimezone()
    return d.astimezone(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def local_time(iso: str | None) -> str:
    """'2025-01-13T02:00:00Z' → '2025-01-13 10:00' in the machine's time zone."""
    if not iso:
        return ""
    try:
        d = _dt.datetime.strptime(iso, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=_dt.timezone.utc)
    except ValueError:
        return iso
    return d.astimezone().strftime("%Y-%m-%d %H:%M")


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@dataclass
class Submission:
    id: int
    unit_code: str | None
    received_at: str  # ISO UTC
    status: str  # accepted|errors|unreadable|unidentified|duplicate
    errors: int
    warnings: int
    file_name: str
    sha256: str
    archive_path: Path
    source: str  # the path, or From/Subject/Date/Message-ID
    check_status: str = "accepted"  # accepted|errors|unreadable: what reading and checking found
    identified_by: str = "none"
    collected_at: str = ""
    size: int = 0
    source_kind: str = "file"
    source_path: str | None = None
    mail_from: str | None = None
    mail_subject: str | None = None
    mail_date: str | None = None
    message_id: str | None = None
    message_sha256: str | None = None
    reason_code: str | None = None
    reason: str | None = None
    format: str | None = None
    report_year: int | None = None
    report_kind: str | None = None
    duplicate_of: int | None = None
    raw_name: str | None = None
    findings_json: str = "[]"
    pinned: bool = False  # chosen by a manual override (gipr status --use)

    @property
    def findings(self) -> list[dict[str, Any]]:
        try:
            return json.loads(self.findings_json)
        except (TypeError, ValueError):
            return []

    @property
    def status_zh(self) -> str:
        return SUBMISSION_STATUS_ZH.get(self.status, self.status)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "unit": self.unit_code,
            "status": self.status,
            "check_status": self.check_status,
            "identified_by": self.identified_by,
            "received_at": self.received_at,
            "collected_at": self.collected_at,
            "file_name": self.file_name,
            "sha256": self.sha256,
            "size": self.size,
            "archive_path": str(self.archive_path),
            "source_kind": self.source_kind,
            "source": self.source,
            "mail_from": self.mail_from,
            "mail_subject": self.mail_subject,
            "mail_date": self.mail_date,
            "message_id": self.message_id,
            "errors": self.errors,
            "warnings": self.warnings,
            "reason_code": self.reason_code,
            "reason": self.reason,
            "duplicate_of": self.duplicate_of,
            "pinned": self.pinned,
        }


@dataclass
class Override:
    id: int
    unit_code: str
    submission_id: int | None  # None: the override was cleared
    set_by: str
    set_at: str
    note: str | None = None


_COLUMNS = ("id", "sha256", "size", "source_key", "unit_code", "status", "check_status", "identified_by",
            "received_at", "collected_at", "file_name", "raw_name", "source_kind", "source", "source_path",
            "mail_from", "mail_subject", "mail_date", "message_id", "message_sha256", "errors", "warnings",
            "findings", "reason_code", "reason", "format", "report_year", "report_kind", "duplicate_of")


class Ledger:
    """The SQLite ledger and the archive.  Open through ``Workspace.ledger``."""

    def __init__(self, path: str | Path, archive_dir: str | Path):
        self.path = Path(path)
        self.archive_dir = Path(archive_dir)
        try:
            self.conn = sqlite3.connect(str(self.path), timeout=30, isolation_level=None)
            self.conn.row_factory = sqlite3.Row
            self.conn.execute("PRAGMA busy_timeout = 30000")
            mode = self.conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":  # pragma: no cover - filesystems without shared memory
                self.conn.execute("PRAGMA journal_mode = DELETE")
            self.conn.execute("PRAGMA synchronous = FULL")
            self.conn.execute("PRAGMA foreign_keys = ON")
            if self._schema_version() == SCHEMA_VERSION:
                return  # the usual case: no write transaction just to open the ledger
            with self.transaction():
                for stmt in _SCHEMA.split(";"):
                    if stmt.strip():
                        self.conn.execute(stmt)
                row = self.conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
                if row is not None and int(row[0]) > SCHEMA_VERSION:
                    raise GiprError(say("collect.ledger.init", path=self.path, row=row[0]), "ledger.version")
                self.conn.execute(RESULTS_SCHEMA)  # version 1 → 2: in place, every row kept
                if row is None:
                    self.conn.execute("INSERT INTO meta(key, value) VALUES('schema_version', ?)", (str(SCHEMA_VERSION),))
                else:
                    self.conn.execute("UPDATE meta SET value=? WHERE key='schema_version'", (str(SCHEMA_VERSION),))
        except sqlite3.OperationalError as e:  # I/O: a full disk, a size limit, no permission, busy
            raise _ledger_io_error(self.path, e) from None
        except sqlite3.DatabaseError as e:
            raise GiprError(say("collect.ledger.init_2", path=self.path, e=e), "ledger.corrupt") from None

    def _schema_version(self) -> int | None:
        try:
            row = self.conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        except sqlite3.OperationalError:  # a new, empty ledger
            return None
        return int(row[0]) if row else None

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.conn.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (BEGIN IMMEDIATE … COMMIT; rolled back on any exception,
        Ctrl-C included)."""
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as e:
            raise _ledger_io_error(self.path, e) from None
        try:
            yield self.conn
            self.conn.execute("COMMIT")
        except BaseException as e:
            with contextlib.suppress(sqlite3.Error):
                self.conn.execute("ROLLBACK")
            if isinstance(e, sqlite3.OperationalError):
                raise _ledger_io_error(self.path, e) from None
            raise

    # --- meta -------------------------------------------------------------------------
    def set_meta(self, key: str, value: str) -> None:
        with self.transaction():
            self.conn.execute("INSERT INTO meta(key, value) VALUES(?, ?) "
                              "ON CONFLICT(key) DO UPDATE SET value=excluded.value", (key, value))

    def get_meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def count(self) -> int:
        return int(self.conn.execute("SELECT count(*) FROM submissions").fetchone()[0])

    # --- archive ----------------------------------------------------------------------
    def archive_path(self, sha256: str) -> Path:
        return self.archive_dir / sha256[:2] / f"{sha256}.bin"

    def store(self, data: bytes) -> str:
        """Archive ``data`` (idempotent; never overwrites) and return its SHA-256."""
        sha = hashlib.sha256(data).hexdigest()
        dest = self.archive_path(sha)
        if dest.exists():
            try:
                if dest.stat().st_size == len(data) and sha256_file(dest) == sha:
                    return sha
            except OSError:
                pass
            # a damaged archive file: keep it aside (never delete), then write a good one
            stamp = _dt.datetime.now().strftime("%Y%m%d%H%M%S")
            with contextlib.suppress(OSError):
                os.replace(dest, dest.with_name(f"{dest.name}.damaged-{stamp}"))
        try:
            write_once(dest, data)
        except OSError as e:
            raise GiprError(say("collect.ledger.store", archive_dir=self.archive_dir,
                                describe_os_error=describe_os_error(e)),
                            "archive.write_failed") from None
        return sha

    def read_archived(self, sha256: str) -> bytes:
        return self.archive_path(sha256).read_bytes()

    # --- rows -------------------------------------------------------------------------
    def _row(self, r: sqlite3.Row) -> Submission:
        return Submission(
            id=r["id"], unit_code=r["unit_code"], received_at=r["received_at"], status=r["status"],
            errors=r["errors"], warnings=r["warnings"], file_name=r["file_name"], sha256=r["sha256"],
            archive_path=self.archive_path(r["sha256"]), source=r["source"], check_status=r["check_status"],
            identified_by=r["identified_by"], collected_at=r["collected_at"], size=r["size"],
            source_kind=r["source_kind"], source_path=r["source_path"], mail_from=r["mail_from"],
            mail_subject=r["mail_subject"], mail_date=r["mail_date"], message_id=r["message_id"],
            message_sha256=r["message_sha256"], reason_code=r["reason_code"], reason=r["reason"],
            format=r["format"], report_year=r["report_year"], report_kind=r["report_kind"],
            duplicate_of=r["duplicate_of"], raw_name=r["raw_name"], findings_json=r["findings"],
        )

    def find(self, sha256: str, source_key: str) -> Submission | None:
        r = self.conn.execute("SELECT * FROM submissions WHERE sha256=? AND source_key=?",
                              (sha256, source_key)).fetchone()
        return self._row(r) if r else None

    def original(self, sha256: str) -> Submission | None:
        """The first non-duplicate submission of these bytes."""
        r = self.conn.execute("SELECT * FROM submissions WHERE sha256=? AND status<>'duplicate' "
                              "ORDER BY id LIMIT 1", (sha256,)).fetchone()
        return self._row(r) if r else None

    def submission(self, sid: int) -> Submission | None:
        r = self.conn.execute("SELECT * FROM submissions WHERE id=?", (int(sid),)).fetchone()
        return self._row(r) if r else None

    def submissions(self, unit_code: str | None = None) -> list[Submission]:
        if unit_code is None:
            rows = self.conn.execute("SELECT * FROM submissions ORDER BY id").fetchall()
        else:
            rows = self.conn.execute("SELECT * FROM submissions WHERE unit_code=? ORDER BY id", (unit_code,)).fetchall()
        return [self._row(r) for r in rows]

    def add(self, rec: dict[str, Any], also: Callable[[sqlite3.Connection], None] | None = None
            ) -> tuple[Submission, bool]:
        """Record one submission in its own transaction.  Returns (submission, created):
        when a row for the same bytes and source exists, that row and False.  ``also`` runs
        in the same transaction when the row is new (collect stores the file's result)."""
        if rec.get("status") not in STATUSES or rec.get("check_status") not in CHECK_STATUSES:
            raise ValueError(f"bad status in {rec!r}")
        if not self.archive_path(rec["sha256"]).is_file():
            raise GiprError(say("collect.ledger.add"), "ledger.not_archived")
        cols = [c for c in _COLUMNS if c != "id" and c in rec]
        with self.transaction():
            existing = self.conn.execute("SELECT id FROM submissions WHERE sha256=? AND source_key=?",
                                         (rec["sha256"], rec["source_key"])).fetchone()
            if existing:
                found = self.submission(existing[0])
                assert found is not None  # the row just selected, in this transaction
                return found, False
            cur = self.conn.execute(
                f"INSERT INTO submissions({', '.join(cols)}) VALUES({', '.join('?' for _ in cols)})",
                [rec[c] for c in cols])
            sid = cur.lastrowid
            if also is not None:
                also(self.conn)
        assert sid is not None  # an INSERT's row id
        added = self.submission(sid)
        assert added is not None
        return added, True

    # --- overrides --------------------------------------------------------------------
    def overrides(self) -> dict[str, Override]:
        """The override in force per unit (the latest row; cleared ones omitted)."""
        out: dict[str, Override] = {}
        for r in self.conn.execute("SELECT * FROM overrides ORDER BY id"):
            o = Override(r["id"], r["unit_code"], r["submission_id"], r["set_by"], r["set_at"], r["note"])
            if o.submission_id is None:
                out.pop(o.unit_code, None)
            else:
                out[o.unit_code] = o
        return out

    def override_history(self, unit_code: str | None = None) -> list[Override]:
        q = "SELECT * FROM overrides" + (" WHERE unit_code=?" if unit_code else "") + " ORDER BY id"
        rows = self.conn.execute(q, (unit_code,) if unit_code else ()).fetchall()
        return [Override(r["id"], r["unit_code"], r["submission_id"], r["set_by"], r["set_at"], r["note"]) for r in rows]

    def set_override(self, unit_code: str, submission_id: int | None, set_by: str, note: str | None = None) -> Override:
        with self.transaction():
            cur = self.conn.execute(
                "INSERT INTO overrides(unit_code, submission_id, set_by, set_at, note) VALUES(?,?,?,?,?)",
                (unit_code, submission_id, set_by, utc_now(), note))
            oid = cur.lastrowid
        r = self.conn.execute("SELECT * FROM overrides WHERE id=?", (oid,)).fetchone()
        return Override(r["id"], r["unit_code"], r["submission_id"], r["set_by"], r["set_at"], r["note"])

    # --- the current submission per unit ---------------------------------------------
    def resolve(self, sub: Submission) -> Submission:
        """A duplicate row → the original submission of its bytes."""
        if sub.status == "duplicate" and sub.duplicate_of:
            orig = self.submission(sub.duplicate_of)
            if orig is not None:
                return orig
        return sub

    def current(self) -> dict[str, Submission]:
        """unit code → the submission that counts for it (for merging and status).

        A manual override wins.  Otherwise the unit's newest submission by received time
        (bytes received several times count at the *earliest* time they were seen, so an old
        version saved into a folder today does not supersede a later correction, whatever
        the order of collection); within the same time a
        readable file wins over an unreadable one, then the later-recorded one.  Duplicate
        and unidentified rows are never current themselves.  A submission whose status is
        ``unreadable`` can be current: the clerk must see that the latest file is broken.
        """
        rows = self.submissions()
        first_seen: dict[int, str] = {}
        by_id = {s.id: s for s in rows}
        for s in rows:
            if s.status == "duplicate" and s.duplicate_of in by_id:
                orig = by_id[s.duplicate_of]
                if orig.unit_code == s.unit_code:
                    first_seen[orig.id] = min(first_seen.get(orig.id, orig.received_at), s.received_at)
        best: dict[str, tuple[tuple, Submission]] = {}
        for s in rows:
            if s.unit_code is None or s.status in ("duplicate", "unidentified"):
                continue
            key = (first_seen.get(s.id, s.received_at), s.check_status != "unreadable", s.id)
            if s.unit_code not in best or key > best[s.unit_code][0]:
                best[s.unit_code] = (key, s)
        out = {code: s for code, (_, s) in best.items()}
        for code, o in self.overrides().items():
            pinned = by_id.get(o.submission_id) if o.submission_id is not None else None
            if pinned is None:
                continue
            pinned = self.resolve(pinned)
            out[code] = _pinned_copy(pinned, code)
        return out

    # --- integrity --------------------------------------------------------------------
    def integrity_problems(self, verify_archive: bool = True) -> list[str]:
        """Chinese descriptions of every problem found; empty when all is well."""
        problems: list[str] = []
        res = [r[0] for r in self.conn.execute("PRAGMA integrity_check").fetchall()]
        if res != ["ok"]:
            problems.extend(say("collect.ledger.integrity_problems", r=r) for r in res[:20])
        for r in self.conn.execute("PRAGMA foreign_key_check").fetchall()[:20]:
            problems.append(say("collect.ledger.integrity_problems_2", r=r[0], r2=r[1]))
        if verify_archive:
            shas = {r[0] for r in self.conn.execute("SELECT sha256 FROM submissions")}
            shas |= {r[0] for r in self.conn.execute("SELECT message_sha256 FROM submissions "
                                                     "WHERE message_sha256 IS NOT NULL")}
            for sha in sorted(shas):
                p = self.archive_path(sha)
                if not p.is_file():
                    problems.append(say("collect.ledger.integrity_problems_3", p=p))
                elif sha256_file(p) != sha:
                    problems.append(say("collect.ledger.integrity_problems_4", p=p))
        return problems


def _ledger_io_error(path: Path, e: sqlite3.OperationalError) -> GiprError:
    """SQLite could not read or write the ledger file (not a damaged ledger): say why in Chinese."""
    msg = str(e).lower()
    if "locked" in msg or "busy" in msg:
        why = say("collect.ledger.ledger_io_error.why")
    elif "full" in msg or "disk i/o" in msg:
        why = say("collect.ledger.ledger_io_error.why_2")
    elif "readonly" in msg or "read-only" in msg or "unable to open" in msg:
        why = say("collect.ledger.ledger_io_error.why_3")
    else:
        why = say("collect.ledger.ledger_io_error.why_4")
    return GiprError(say("collect.ledger.ledger_io_error", path=path, why=why, e=e), "ledger.io")


def _pinned_copy(s: Submission, unit_code: str) -> Submission:
    from dataclasses import replace

    # pinned to this unit by the clerk: it is identified now, its status is what checking found
    return replace(s, unit_code=unit_code, pinned=True, status=s.check_status,
                   identified_by="override" if s.unit_code != unit_code else s.identified_by)


# --- status per roster unit --------------------------------------------------------------
@dataclass
class UnitStatus:
    code: str
    name: str
    category: str
    status: str  # missing|accepted|errors|unreadable
    submission: Submission | None
    override: Override | None = None

    def to_json(self) -> dict[str, Any]:
        s = self.submission
        return {
            "code": self.code,
            "name": self.name,
            "category": self.category,
            "status": self.status,
            "submission": s.id if s else None,
            "errors": s.errors if s else None,
            "warnings": s.warnings if s else None,
            "received_at": s.received_at if s else None,
            "file_name": s.file_name if s else None,
            "identified_by": s.identified_by if s else None,
            "pinned": bool(s and s.pinned),
            "override": ({"submission": self.override.submission_id, "by": self.override.set_by,
                          "at": self.override.set_at, "note": self.override.note} if self.override else None),
        }


def unit_statuses(ledger: Ledger, roster: list) -> list[UnitStatus]:
    """One line per roster unit, in roster order."""
    cur = ledger.current()
    ovr = ledger.overrides()
    out = []
    for u in roster:
        s = cur.get(u.code)
        status = "missing" if s is None else s.check_status
        out.append(UnitStatus(u.code, u.name, getattr(u, "category", ""), status, s, ovr.get(u.code)))
    return out


def status_json(ledger: Ledger, roster: list, *, year: int | None = None, county: str = "") -> dict[str, Any]:
    """What ``gipr status --json`` prints."""
    lines = unit_statuses(ledger, roster)
    codes = {u.code for u in roster}
    subs = ledger.submissions()
    current_ids = {l.submission.id for l in lines if l.submission}
    unattached = [s for s in subs if s.status in ("unidentified", "unreadable") and
                  (s.unit_code is None or s.unit_code not in codes) and s.id not in current_ids]
    totals = {k: sum(1 for l in lines if l.status == k) for k in ("accepted", "errors", "unreadable", "missing")}
    totals["units"] = len(lines)
    totals["submissions"] = len(subs)
    totals["unattached"] = len(unattached)
    return {
        "year": year,
        "county": county,
        "units": [l.to_json() for l in lines],
        "missing": [l.code for l in lines if l.status == "missing"],
        "with_errors": [l.code for l in lines if l.status == "errors"],
        "unreadable": [l.code for l in lines if l.status == "unreadable"],
        "unattached": [{"submission": s.id, "status": s.status, "file_name": s.file_name, "source": s.source,
                        "received_at": s.received_at, "reason": s.reason} for s in unattached],
        "totals": totals,
    }


def pin_submission(ledger: Ledger, roster: list, unit_code: str, submission_id: int | None, set_by: str,
                   note: str | None = None) -> Override:
    """``gipr status --use UNIT SUBMISSION`` (None clears the pin).  Refuses a submission
    identified as another unit's, or one that does not exist."""
    units = {u.code: u for u in roster}
    if unit_code not in units:
        by_name = [u for u in roster if u.name == unit_code]
        if len(by_name) == 1:
            unit_code = by_name[0].code
        else:
            raise GiprError(say("collect.ledger.pin_submission", unit_code=unit_code), "status.unknown_unit")
    if submission_id is None:
        if unit_code not in ledger.overrides():
            raise GiprError(say("collect.ledger.pin_submission_2", name=units[unit_code].name), "status.no_override")
        return ledger.set_override(unit_code, None, set_by, note)
    sub = ledger.submission(submission_id)
    if sub is None:
        raise GiprError(say("collect.ledger.pin_submission_3", submission_id=submission_id),
                        "status.unknown_submission")
    sub = ledger.resolve(sub)
    if sub.unit_code is not None and sub.unit_code != unit_code and sub.unit_code in units:
        raise GiprError(say("collect.ledger.pin_submission_4", id=sub.id, name=units[sub.unit_code].name,
                            name2=units[unit_code].name), "status.other_unit")
    for code, o in ledger.overrides().items():
        if code != unit_code and o.submission_id is not None:
            other = ledger.submission(o.submission_id)
            if other is not None and ledger.resolve(other).id == sub.id:
                raise GiprError(say("collect.ledger.pin_submission_5", id=sub.id,
                                    value=units[code].name if code in units else code), "status.already_pinned")
    return ledger.set_override(unit_code, sub.id, set_by, note)
