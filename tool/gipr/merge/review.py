"""需核对: what the comparison with last year found wrong (rule F, the carry-over: this year's
上年结转 against last year's 结转下年度) becomes part of each unit's status.

A workspace merge with last year's data records its breaks in the ledger (meta
``year_review``), each with the submission it was found in; ``gipr status`` (and the
workbench's pages, which show what it says) then marks the unit 需核对 for as long as that
submission is the current one.  The annual report document of such a unit, and the county's
when the county's own figures break, is marked as a draft saying why (report/run.py asks
``breaks`` for the same rows).  One source of these rows: merge.years.compare_years.
"""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Iterable
from typing import Any

from ..collect.workspace import Workspace
from .plan import MergeResult

META_KEY = "year_review"
COUNTY = ""  # the county's own row in compare_years' output


def breaks(changes: Iterable[Any]) -> dict[str, list[str]]:
    """Unit code (COUNTY for the county's figures) → the messages of its carry-over breaks."""
    out: dict[str, list[str]] = {}
    for c in changes:
        if c.severity == "error":
            out.setdefault(c.code, []).append(c.message)
    return out


def record(ws: Workspace, result: MergeResult, source: str) -> None:
    """Keep a workspace merge's breaks in its ledger (replacing the last merge's)."""
    found = breaks(result.changes)
    shas = {e.code: e.sha256 for e in result.included}
    data = {"source": source, "at": _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat(),
            "year": result.year,
            "units": {code: {"sha256": shas.get(code, ""), "messages": msgs} for code, msgs in found.items()}}
    ws.ledger.set_meta(META_KEY, json.dumps(data, ensure_ascii=False))


def current(ws: Workspace, current_sha: dict[str, str]) -> dict[str, Any]:
    """{"source", "at", "units": code → messages, "county": messages}: the recorded breaks that
    still hold (the unit's current submission is the one they were found in)."""
    raw = ws.ledger.get_meta(META_KEY)
    try:
        data = json.loads(raw) if raw else None
    except ValueError:
        data = None
    if not isinstance(data, dict) or data.get("year") != ws.year:
        return {"source": "", "at": "", "units": {}, "county": []}
    units = {}
    county: list[str] = []
    for code, v in (data.get("units") or {}).items():
        if not isinstance(v, dict):
            continue
        msgs = [str(m) for m in v.get("messages") or []]
        if code == COUNTY:
            county = msgs
        elif v.get("sha256") and current_sha.get(code) == v.get("sha256"):
            units[code] = msgs
    return {"source": str(data.get("source") or ""), "at": str(data.get("at") or ""), "units": units,
            "county": county}
