"""Stored results: what reading and checking found in a submission, kept in the ledger.

``merge.stored`` turns them back into merge entries (``gipr merge --workspace``, ``gipr status``).

``gipr collect`` reads and checks every file as it arrives.  What it found — the numbers of
the input cells, the text of the odd ones, who the file says it is, the findings — is kept
in the ledger's ``results`` table, so ``gipr merge --workspace`` and ``gipr status`` need
not read the archive again.

A stored result is used only when every part of its key matches what would be computed
now, and its row passes an integrity check:

* the file's SHA-256 (the archive is content-addressed: same bytes, same result);
* the format file's digest (``Spec.file_digest``: the whole file): a changed format means new cell ids or rules;
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
from collections.abc import Iterable, Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from .. import __version__
from ..check import check_report
from ..errors import ReadError
from ..model import Finding
from ..roster import Unit
from ..rules import compact_numbers, input_ids
from ..spec import Spec
from .ledger import Ledger, utc_now

# Bump whenever reading or checking may find something else in the same bytes (a new check,
# a changed message, another way of locating a table): every stored result is then re-read.
READER_VERSION = 1
CODE_VERSION = f"{__version__}+r{READER_VERSION}"
PAYLOAD_VERSION = 1



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
    """What a merge needs of a read and checked report (``found``: ``check_report``'s findings,
    or their JSON dicts),
    before any unit the ledger knows is applied.  JSON-able but for the numbers (int,
    Decimal), which ``ResultStore`` stores as exact text."""

    nums, odd = compact_numbers(rep.spec, rep.values)
    return {
        "v": PAYLOAD_VERSION, "ok": True, "format": rep.spec.id,
        "unit_code": rep.unit_code or "", "unit_name": rep.unit_name or "",
        "typed_name": (rep.fields or {}).get("unit_name", "") or "",
        "identity_county": (rep.identity or {}).get("county", "") or "",
        "kind": rep.kind, "year": rep.year, "sha256": rep.sha256 or "",
        "numbers": nums, "odd": odd,
        "read_findings": [f.to_json() for f in rep.findings],
        "findings": [f if isinstance(f, dict) else f.to_json() for f in found],
        "units": [dict(u) for u in (rep.units or [])] if rep.kind == "rollup" else [],
    }


def payload_unreadable(code: str, message: str) -> dict[str, Any]:
    return {"v": PAYLOAD_VERSION, "ok": False, "code": code, "message": message}


def finding_from_json(d: dict[str, Any]) -> Finding:
    """A Finding from its ``to_json`` dict."""
    return Finding(d["code"], d["severity"], d["message"], d.get("cell"), d.get("ref"), d.get("path"), d.get("rule"))


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

    def __init__(self, ledger: Ledger, spec: Spec, year: int | None, roster: Sequence[Unit] | None):
        self.ledger = ledger
        self.spec = spec
        self.format_digest = spec.file_digest or spec.digest  # the whole file: figures count too
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
                if valid_payload(p, self.n_inputs) and (not p["ok"] or (p["sha256"] in ("", sha)
                                                                        and p["format"] == self.spec.id)):
                    out[sha] = p
        return out

    def put_many(self, items: Iterable[tuple[str, dict[str, Any]]]) -> None:
        """Store fresh results (replacing any older row of the same file) in one transaction."""
        rows = self.rows(items)
        if rows:
            with self.ledger.transaction() as conn:
                self.write(conn, rows)

    def keeps(self, p: dict[str, Any]) -> bool:
        """Whether a result is stored at all: not one of a file in another format than the
        workspace's (its format file's digest is not in the key; such files are rare and are
        read again each time)."""
        return not p.get("ok") or p.get("format") == self.spec.id

    def rows(self, items: Iterable[tuple[str, dict[str, Any]]]) -> list[tuple]:
        """Rows for the results table (the ones ``keeps`` accepts)."""
        now = utc_now()
        out = []
        for sha, p in items:
            if not self.keeps(p):
                continue
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
    from ..read import read_report  # worker-only: reader code runs in a worker (tests/project/test_boundary.py)

    try:
        rep = read_report(path, name=display, spec=spec)
    except ReadError as e:
        return payload_unreadable(getattr(e, "code", "file.unreadable"), str(e))
    except Exception:
        return None
    if sha and not rep.sha256:
        rep.sha256 = sha
    try:
        found = check_report(rep, ctx)
    except Exception:
        return None
    return payload_from_report(rep, found)
