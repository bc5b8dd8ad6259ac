"""Stored results: what reading and checking found in a submission, kept in the ledger.

``gipr collect`` reads and checks every file as it arrives.  What it found — the numbers of
the input cells, the text of the odd ones, who the file says it is, the findings — is kept
in the ledger's ``results`` table, so ``gipr merge --workspace`` and ``gipr status`` need
not read the archive again.

A stored result is used only when every part of its key matches what would be computed
now, and its row passes an integrity check:

* the file's SHA-256 (the archive is content-addressed: same bytes, same result);
* the format file's digest (``Spec.digest``): a changed format means new cell ids or rules;
* the reading and checking code's version (:data:`CODE_VERSION`: gipr's version plus
  :data:`READER_VERSION`, bumped whenever reading or checking changes what it finds);
* the check context's digest: the report year and the roster's codes and names (the only
  parts of the roster the checks use), since the identity checks depend on them;
* the row's ``digest``: the SHA-256 of the key and the payload together — a row edited by
  hand, a bit flipped on disk, a payload of the wrong shape: all re-read.

Otherwise the archived file is read and checked again (``--recheck`` forces that for every
file) and the fresh result replaces the stored one.

The payload holds the result *before* the ledger's identification is applied (the unit a
clerk pinned a file to may change without the file changing); :func:`entry_from_payload`
applies it, the same way for a fresh and a stored result, so both give the same entry.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Iterable, Sequence

from . import __version__
from .model import Finding

# Bump whenever reading or checking may find something else in the same bytes (a new check,
# a changed message, another way of locating a table): every stored result is then re-read.
READER_VERSION = 1
CODE_VERSION = f"{__version__}+r{READER_VERSION}"
PAYLOAD_VERSION = 1

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


# --- the key ---------------------------------------------------------------------------------
def context_digest(year: int | None, roster: Sequence[Any] | None) -> str:
    """The check context as a digest: the year and the roster's codes and names (what the
    identity checks compare a report with)."""
    units = None if roster is None else [[u.code, u.name] for u in roster]
    raw = json.dumps([year, units], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def row_digest(sha256: str, format_digest: str, code_version: str, ctx_digest: str, payload: str) -> str:
    h = hashlib.sha256()
    for part in (sha256, format_digest, code_version, ctx_digest, payload):
        h.update(part.encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()


# --- payloads ----------------------------------------------------------------------------------
def _num_out(n: Any) -> Any:
    if n is None or type(n) is int:
        return n
    return str(n)  # Decimal: exact, as text


def _num_in(x: Any) -> Any:
    if x is None or type(x) is int:
        return x
    if type(x) is str:
        return Decimal(x)
    raise ValueError(f"not a stored number: {x!r}")


def payload_from_report(rep: Any, found: Sequence[Finding]) -> dict[str, Any]:
    """What a merge needs of a read and checked report (``found``: ``check_report``'s findings),
    before any unit the ledger knows is applied.  JSON-able but for the numbers (int,
    Decimal), which ``ResultStore`` stores as exact text."""
    from .merge import compact_numbers

    nums, odd = compact_numbers(rep.spec, rep.values)
    return {
        "v": PAYLOAD_VERSION, "ok": True, "format": rep.spec.id,
        "unit_code": rep.unit_code or "", "unit_name": rep.unit_name or "",
        "typed_name": (rep.fields or {}).get("unit_name", "") or "",
        "identity_county": (rep.identity or {}).get("county", "") or "",
        "kind": rep.kind, "year": rep.year, "sha256": rep.sha256 or "",
        "numbers": nums, "odd": odd,
        "read_findings": [f.to_json() for f in rep.findings],
        "findings": [f.to_json() for f in found],
        "units": [dict(u) for u in (rep.units or [])] if rep.kind == "rollup" else [],
    }


def payload_unreadable(code: str, message: str) -> dict[str, Any]:
    return {"v": PAYLOAD_VERSION, "ok": False, "code": code, "message": message}


def _finding(d: dict[str, Any]) -> Finding:
    return Finding(d["code"], d["severity"], d["message"], d.get("cell"), d.get("ref"), d.get("path"), d.get("rule"))


class _Fields:
    """The little of a report ``settle_identity`` looks at."""

    def __init__(self, typed_name: str):
        self.fields = {"unit_name": typed_name}


def entry_from_payload(spec: Any, p: dict[str, Any], display: str, unit: Any, **extra: Any) -> Any:
    """A merge ``Entry`` from a payload, with the unit the ledger identified (or None) settled
    in exactly as ``merge.read_entry`` does for a freshly read file."""
    from .collect import settle_identity
    from .merge import UNREADABLE, Entry, entry_from_parts

    if not p["ok"]:
        return Entry(status=UNREADABLE, kind="", file=display, note=p["message"], errors=1,
                     findings=[Finding(p["code"], "error", p["message"])], **extra)
    read_f = [_finding(d) for d in p["read_findings"]]
    found = [_finding(d) for d in p["findings"]]
    if unit is not None:
        rep = _Fields(p["typed_name"])
        read_f = settle_identity(read_f, rep, None)
        found = settle_identity(found, rep, unit)
    return entry_from_parts(spec, p, read_f, found, display, **extra)


def valid_payload(p: Any, n_inputs: int) -> bool:
    """The shape a payload must have to be used (anything else is re-read)."""
    if not isinstance(p, dict) or p.get("v") != PAYLOAD_VERSION or not isinstance(p.get("ok"), bool):
        return False
    if not p["ok"]:
        return isinstance(p.get("code"), str) and isinstance(p.get("message"), str)
    try:
        nums = p["numbers"]
        if not isinstance(nums, list) or len(nums) != n_inputs:
            return False
        p["numbers"] = [_num_in(x) for x in nums]
        for key in ("unit_code", "unit_name", "typed_name", "identity_county", "kind", "format", "sha256"):
            if not isinstance(p[key], str):
                return False
        if p["year"] is not None and type(p["year"]) is not int:
            return False
        if not isinstance(p["odd"], dict) or not all(isinstance(v, str) for v in p["odd"].values()):
            return False
        for f in p["read_findings"] + p["findings"]:
            if not (isinstance(f, dict) and all(isinstance(f.get(k), str) for k in ("code", "severity", "message"))):
                return False
        return isinstance(p["units"], list) and all(isinstance(u, dict) for u in p["units"])
    except (KeyError, TypeError, ValueError, InvalidOperation):
        return False


# --- the ledger's results table ------------------------------------------------------------------
class ResultStore:
    """Read and write stored results in a ledger for one format and check context."""

    def __init__(self, ledger: Any, spec: Any, year: int | None, roster: Sequence[Any] | None):
        from .merge import input_ids

        self.ledger = ledger
        self.spec = spec
        self.format_digest = spec.digest
        self.ctx_digest = context_digest(year, roster)
        self.n_inputs = len(input_ids(spec))

    def get_many(self, shas: Iterable[str]) -> dict[str, dict[str, Any]]:
        """sha256 → payload, for the stored results whose whole key matches and whose row is
        intact; the others are simply absent (to be re-read)."""
        want = sorted(set(shas))
        out: dict[str, dict[str, Any]] = {}
        conn = self.ledger.conn
        for i in range(0, len(want), 500):
            part = want[i:i + 500]
            try:
                rows = conn.execute(
                    "SELECT sha256, format_digest, code_version, context_digest, payload, digest FROM results "
                    f"WHERE sha256 IN ({','.join('?' * len(part))})", part).fetchall()
            except sqlite3.Error:
                return out  # an unreadable table: everything is re-read
            for sha, fd, cv, cd, payload, digest in rows:
                if (fd, cv, cd) != (self.format_digest, CODE_VERSION, self.ctx_digest):
                    continue
                if not isinstance(payload, str) or digest != row_digest(sha, fd, cv, cd, payload):
                    continue
                try:
                    p = json.loads(payload)
                except ValueError:
                    continue
                if valid_payload(p, self.n_inputs) and (not p["ok"] or p["sha256"] in ("", sha)):
                    out[sha] = p
        return out

    def put_many(self, items: Iterable[tuple[str, dict[str, Any]]]) -> None:
        """Store fresh results (replacing any older row of the same file) in one transaction."""
        rows = self.rows(items)
        if rows:
            with self.ledger.transaction() as conn:
                self.write(conn, rows)

    def rows(self, items: Iterable[tuple[str, dict[str, Any]]]) -> list[tuple]:
        from .ledger import utc_now

        now = utc_now()
        out = []
        for sha, p in items:
            if p.get("ok"):
                p = dict(p, numbers=[_num_out(n) for n in p["numbers"]])  # Decimal as exact text
            payload = json.dumps(p, ensure_ascii=False, separators=(",", ":"))
            out.append((sha, self.format_digest, CODE_VERSION, self.ctx_digest, payload,
                        row_digest(sha, self.format_digest, CODE_VERSION, self.ctx_digest, payload), now))
        return out

    @staticmethod
    def write(conn: sqlite3.Connection, rows: list[tuple]) -> None:
        """Inside the caller's transaction (collect: the one that records the submission)."""
        conn.executemany("INSERT OR REPLACE INTO results(sha256, format_digest, code_version, context_digest, "
                         "payload, digest, stored_at) VALUES(?,?,?,?,?,?,?)", rows)


def read_payload(path: Path | bytes, display: str, spec: Any, ctx: Any, sha: str | None = None) -> dict[str, Any] | None:
    """Read and check one file into a payload; None when gipr itself failed (not stored, so
    that a fixed gipr reads it again).  Never raises."""
    from .checks import check_report
    from .read import ReadError, read_report

    try:
        rep = read_report(path, name=display, spec=spec)
    except ReadError as e:
        return payload_unreadable(getattr(e, "code", "file.unreadable"), str(e))
    except Exception:  # noqa: BLE001 - a reader bug: the caller falls back to read_entry's message
        return None
    if sha and not rep.sha256:
        rep.sha256 = sha
    try:
        found = check_report(rep, ctx)
    except Exception:  # noqa: BLE001
        return None
    return payload_from_report(rep, found)


# --- a workspace merge ----------------------------------------------------------------------------
def _payload_task(task: tuple[str, str, dict[str, Any]]) -> tuple[dict[str, Any] | None, str]:
    """Worker: (payload or None, the SHA-256 of the bytes actually read) of one archived file."""
    import hashlib as _h

    from .merge import _W

    path, display, _extra = task
    try:
        data = Path(path).read_bytes()
    except OSError:
        return None, ""
    sha = _h.sha256(data).hexdigest()
    return read_payload(data, display, _W["spec"], _W["ctx"], sha=sha), sha


def workspace_entries(ws: Any, *, spec: Any, jobs: int | None = None, recheck: bool = False,
                      counts: dict[str, int] | None = None) -> list[Any]:
    """``merge.entries_from_workspace``: stored results where they hold, the rest read again
    (in the merge's process pool) and their results stored for the next merge."""
    from .errors import GiprError
    from .merge import UNREADABLE, Entry, read_entries, read_entry

    counts = counts if counts is not None else {}
    counts.setdefault("from_ledger", 0)
    counts.setdefault("reread", 0)
    ledger = ws.ledger
    current = ledger.current()
    units = {u.code: u for u in (ws.roster or ())}
    store = ResultStore(ledger, spec, ws.year, ws.roster)
    stored = {} if recheck else store.get_many(s.sha256 for s in current.values())
    out: list[Any] = []
    tasks: list[tuple[str, str, dict[str, Any]]] = []
    for code, sub in current.items():
        extra = {"code": code or "", "received_at": sub.received_at or "", "ledger_status": sub.status or ""}
        path = Path(sub.archive_path) if sub.archive_path else None
        display = sub.file_name or (path.name if path else "")
        if path is None or not path.is_file():
            out.append(Entry(status=UNREADABLE, kind="", file=sub.file_name or "", errors=1,
                             note=f"台账记录的存档文件不存在：{path}", **extra))
            continue
        p = stored.get(sub.sha256)
        if p is not None:
            out.append(entry_from_payload(spec, p, display, units.get(code), **extra))
            counts["from_ledger"] += 1
        else:
            tasks.append((str(path), display, extra))
    fresh: dict[str, dict[str, Any]] = {}
    ctx_args = {"year": ws.year, "roster": ws.roster}
    for (path, display, extra), (p, sha) in zip(tasks, read_entries(tasks, spec, ctx_args, jobs=jobs,
                                                                   task_fn=_payload_task)):
        counts["reread"] += 1
        if p is None:  # gipr failed on it: the plain reader says why, in the merge's words
            from .checks import CheckContext

            out.append(read_entry(Path(path), display, spec, CheckContext(**ctx_args), **extra))
            continue
        out.append(entry_from_payload(spec, p, display, units.get(extra["code"]), **extra))
        if sha == Path(path).stem:  # the archive file holds the bytes it is named by: worth keeping
            fresh[sha] = p
    if fresh:
        try:
            store.put_many(fresh.items())
        except GiprError:  # a read-only or busy ledger: the merge itself is not affected
            pass
    return out


# --- gipr status ------------------------------------------------------------------------------------
def refresh_status(ws: Any, data: dict[str, Any], *, recheck: bool = False) -> dict[str, list[dict[str, Any]]]:
    """``gipr status``: each unit's current submission judged as a merge would judge it now —
    from its stored result when that still holds, else read and checked again — instead of
    what was found when it was collected.  Updates ``data`` (``ledger.status_json``) in place
    (status, errors, warnings; the lists and totals; ``from_ledger``/``reread``) and returns
    each unit's findings (JSON dicts) for the detailed view."""
    from .merge import UNREADABLE

    counts: dict[str, int] = {}
    entries = workspace_entries(ws, spec=ws.spec, recheck=recheck, counts=counts)
    by_code = {e.code: e for e in entries}
    findings: dict[str, list[dict[str, Any]]] = {}
    for line in data["units"]:
        e = by_code.get(line["code"])
        if e is None or line["status"] == "missing":
            continue
        line["status"] = "unreadable" if e.status == UNREADABLE else ("errors" if e.errors else "accepted")
        line["errors"], line["warnings"] = e.errors, e.warnings
        findings[line["code"]] = [f.to_json() for f in e.findings]
    lines = data["units"]
    data["with_errors"] = [l["code"] for l in lines if l["status"] == "errors"]
    data["unreadable"] = [l["code"] for l in lines if l["status"] == "unreadable"]
    for k in ("accepted", "errors", "unreadable", "missing"):
        data["totals"][k] = sum(1 for l in lines if l["status"] == k)
    data["from_ledger"], data["reread"] = counts["from_ledger"], counts["reread"]
    return findings
