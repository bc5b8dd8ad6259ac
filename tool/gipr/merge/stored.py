"""Merge entries from the results stored in the ledger (``collect.results``): what ``gipr
merge --workspace`` and ``gipr status`` use instead of reading every archived file again.

A stored result is used only when its whole key matches and its row is intact
(``ResultStore.get_many``); every other current submission is read and checked again from
the archive in the merge's process pool, and its fresh result stored for the next time.
The unit the ledger identified (or the clerk pinned) is applied to a fresh and to a stored
result in the same way (:func:`entry_from_payload`), so both give the same entry.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..collect.results import ResultStore, finding_from_json, read_payload
from ..collect.workspace import Workspace
from ..errors import GiprError
from ..messages import say
from ..model import Finding
from ..spec import Spec, load_format
from ..unitmatch import settle_identity
from .entries import _W, UNREADABLE, Entry, entry_from_parts, read_entries, read_entry, unreadable_entry


class _Fields:
    """The little of a report ``settle_identity`` looks at."""

    def __init__(self, typed_name: str):
        self.fields = {"unit_name": typed_name}


def entry_from_payload(spec: Any, p: dict[str, Any], display: str, unit: Any, **extra: Any) -> Any:
    """A merge ``Entry`` from a payload, with the unit the ledger identified (or None) settled
    in exactly as ``entries.read_entry`` does for a freshly read file."""

    if not p["ok"]:
        return Entry(status=UNREADABLE, kind="", file=display, note=p["message"], errors=1,
                     findings=[Finding(p["code"], "error", p["message"])], **extra)
    read_f = [finding_from_json(d) for d in p["read_findings"]]
    found = [finding_from_json(d) for d in p["findings"]]
    if unit is not None:
        rep = _Fields(p["typed_name"])
        read_f = settle_identity(read_f, rep, None)
        found = settle_identity(found, rep, unit)
    if p["format"] != spec.id:  # a file of another format (its identity says so): read with its own
        spec = load_format(p["format"])
    return entry_from_parts(spec, p, read_f, found, display, **extra)


# --- a workspace merge ----------------------------------------------------------------------------
def _payload_task(task: tuple[str, str, dict[str, Any]]) -> tuple[dict[str, Any] | None, str, Any]:
    """Worker: (payload, the SHA-256 of the bytes actually read, None) of one archived file;
    when gipr itself failed on it, (None, sha, the Entry ``read_entry`` makes of it)."""
    import hashlib as _h

    path, display, extra = task
    try:
        data = Path(path).read_bytes()
    except OSError:
        data = None
    sha = _h.sha256(data).hexdigest() if data is not None else ""
    p = read_payload(data, display, _W["spec"], _W["ctx"], sha=sha) if data is not None else None
    if p is None:
        return None, sha, read_entry(Path(path), display, _W["spec"], _W["ctx"], **extra)
    return p, sha, None


def workspace_entries(ws: Workspace, *, spec: Spec, jobs: int | None = None, method: str | None = None,
                      recheck: bool = False, counts: dict[str, int] | None = None) -> list[Entry]:
    """``merge.entries_from_workspace``: stored results where they hold, the rest read again
    (in the merge's process pool) and their results stored for the next merge."""

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
        extra: dict[str, Any] = {"code": code or "", "received_at": sub.received_at or "", "ledger_status": sub.status or ""}
        path = Path(sub.archive_path) if sub.archive_path else None
        display = sub.file_name or (path.name if path else "")
        if path is None or not path.is_file():
            out.append(Entry(status=UNREADABLE, kind="", file=sub.file_name or "", errors=1,
                             note=say("merge.archive_missing", path=path), **extra))
            continue
        p = stored.get(sub.sha256)
        if p is not None:
            out.append(entry_from_payload(spec, p, display, units.get(code), **extra))
            counts["from_ledger"] += 1
        else:
            tasks.append((str(path), display, extra))
    fresh: dict[str, dict[str, Any]] = {}
    ctx_args = {"year": ws.year, "roster": ws.roster}
    for (src, display, extra), got in zip(tasks, read_entries(tasks, spec, ctx_args, jobs=jobs, method=method,
                                                              task_fn=_payload_task)):
        counts["reread"] += 1
        if isinstance(got, BaseException):  # a limit of the reader worker (time, memory, crash): not stored
            out.append(unreadable_entry(got, display, **extra))
            continue
        p, sha, fallback = got
        if p is None:  # gipr failed on it: the plain reader said why (in the worker), in the merge's words
            out.append(fallback)
            continue
        out.append(entry_from_payload(spec, p, display, units.get(extra["code"]), **extra))
        if sha == Path(src).stem:  # the archive file holds the bytes it is named by: worth keeping
            fresh[sha] = p
    if fresh:
        try:
            store.put_many(fresh.items())
        except GiprError:  # a read-only or busy ledger: the merge itself is not affected
            pass
    return out


def entries_from_workspace(ws: Any, *, spec: Spec, jobs: int | None = None, method: str | None = None,
                           recheck: bool = False, counts: dict[str, int] | None = None) -> list[Entry]:
    """Each unit's current submission in the ledger: from the result stored when it was
    collected when that still holds, else read and checked again from the archive (see
    :func:`workspace_entries`).  ``counts`` gets ``from_ledger`` and ``reread``."""
    return workspace_entries(ws, spec=spec, jobs=jobs, method=method, recheck=recheck, counts=counts)
