"""Collect what units return into the workspace's ledger: workbook files, e-mail (.eml,
.mbox, Maildir, IMAP through ``collect``'s ``fetch``), uploads of gipr ui (``collect_upload``),
from folders walked or files named.  A unit's annual report document (.docx, .pdf, …) goes to
``collect.documents`` instead (``document_bytes``).

For every workbook file or attachment, in this order (``Collector._collect_bytes``):

1. archive the raw bytes (``Ledger.store``), before anything looks inside them (a message
   itself is archived too);
2. if these bytes from this source are already recorded: nothing to do (a re-run is a
   no-op); if these bytes came from another source before: a ``duplicate`` row (recorded
   fully instead when only this copy's sender tells the unit);
3. a file gipr will not open (``mailparse.classify_attachment``: not a workbook, encrypted,
   a broken container) is recorded as ``unreadable``; any other is read (``read.read_report``)
   and checked (``check.check_report``) in a worker process with the reader's time and memory
   limits (``isolate.run_limited``);
4. identify the unit (``unitmatch.identify``): the template's signed identity; the unit code
   or name typed on the cover matched to the roster; the sender's address; otherwise
   unidentified; ``unitmatch.settle_identity`` then adjusts the identity findings;
5. record one row and the file's stored result (``results``, for merge and status) in one
   transaction (``Ledger.add``).
"""

from __future__ import annotations

import datetime as _dt
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from .. import messages
from ..check import CheckContext, check_report
from ..errors import MailError, ReadError
from ..isolate import run_limited
from ..messages import say
from ..read import MAX_FILE_BYTES, MAX_READ_MEMORY_MB, MAX_READ_SECONDS, spec_token
from ..unitmatch import identify, settle_identity, units_for_sender
from .documents import DOCUMENT_SUFFIXES, collect_document, is_report_document
from .ledger import Ledger, Submission, iso_utc, utc_now
from .mailparse import (
    MAX_ATTACHMENTS,
    MAX_DROPPED_NOTED,
    MAX_MESSAGE_BYTES,
    MailMessage,
    classify_attachment,
    clean_file_name,
    decode_bytes,
    is_maildir,
    iter_mbox,
    maildir_files,
    mbox_spans,
    parse_message,
    sniff_file,
)
from .results import ResultStore, payload_from_report, payload_unreadable
from .submitted import submitted_reports
from .workspace import Workspace

MAX_WALK_FILES = 200_000

# --- outcomes -------------------------------------------------------------------------
@dataclass
class Outcome:
    """What happened to one file or attachment."""

    file_name: str
    source: str
    result: str  # new | duplicate (bytes already recorded) | skipped (not recorded at all)
    submission: Submission | None = None
    reason: str | None = None  # Chinese, for unreadable/unidentified/skipped
    code: str | None = None

    @property
    def status(self) -> str:
        if self.submission is None:
            return "skipped"
        return self.submission.status


@dataclass
class CollectResult:
    outcomes: list[Outcome] = field(default_factory=list)
    no_attachment: list[str] = field(default_factory=list)  # messages without a workbook attachment
    ignored: list[str] = field(default_factory=list)  # attachments and files that are not workbooks
    skipped: list[Outcome] = field(default_factory=list)  # not recorded: too large, unreadable source
    # attachments past the per-message limit, per message: {"message", "origin", "total", "names"}
    dropped: list[dict[str, Any]] = field(default_factory=list)
    documents: list[dict[str, Any]] = field(default_factory=list)  # report documents (collect.documents)

    def count(self, what: str) -> int:
        if what == "new":
            return sum(1 for o in self.outcomes if o.result == "new")
        if what == "duplicate":
            return sum(1 for o in self.outcomes if o.result == "duplicate")
        return sum(1 for o in self.outcomes if o.result == "new" and o.submission and o.submission.status == what)

    @property
    def counts(self) -> dict[str, int]:
        return {k: self.count(k) for k in ("new", "accepted", "errors", "unidentified", "unreadable", "duplicate")} | {
            "skipped": len(self.skipped), "no_attachment": len(self.no_attachment), "ignored": len(self.ignored),
            "dropped": sum(d["total"] for d in self.dropped)}

    @property
    def exit_code(self) -> int:
        """0 all well; 1 a report has errors or no unit; 2 a file is unreadable or was not collected."""
        c = self.counts
        if c["unreadable"] or c["skipped"] or c["dropped"]:
            return 2
        return 1 if c["errors"] or c["unidentified"] else 0

    def to_json(self) -> dict[str, Any]:
        return {
            "counts": self.counts,
            "outcomes": [
                {"file_name": o.file_name, "source": o.source, "result": o.result, "status": o.status,
                 "submission": o.submission.id if o.submission else None,
                 "unit": o.submission.unit_code if o.submission else None,
                 "errors": o.submission.errors if o.submission else None,
                 "reason": o.reason, "code": o.code}
                for o in self.outcomes + self.skipped
            ],
            "no_attachment": self.no_attachment,
            "ignored": self.ignored,
            "dropped": self.dropped,
            "documents": self.documents,
        }


@dataclass
class _Item:
    kind: str  # file | eml | mbox | maildir | msg
    path: Path
    explicit: bool = False


class ProgressLike(Protocol):
    """What :class:`Collector` calls: a :class:`Progress` or the CLI's rich-backed one."""

    def start(self, total: int) -> None: ...

    def advance(self, label: str) -> None: ...


class Progress:
    """Progress callbacks; the CLI passes a rich-backed one."""

    def start(self, total: int) -> None:  # pragma: no cover - trivial
        pass

    def advance(self, label: str) -> None:  # pragma: no cover - trivial
        pass


def _shown(p: str | Path) -> str:
    """A path as text: a name whose bytes are not UTF-8 (GBK from a Windows zip or disk)
    is decoded as GB18030 instead of carrying surrogates into messages and the ledger."""
    s = str(p)
    if any("\udc80" <= ch <= "\udcff" for ch in s):
        return decode_bytes(os.fsencode(s))
    return s


def _mtime_iso(path: Path) -> str:
    try:
        return iso_utc(_dt.datetime.fromtimestamp(path.stat().st_mtime, _dt.timezone.utc))
    except (OSError, OverflowError, ValueError):
        return utc_now()


def _received(msg: MailMessage, fallback: str) -> str:
    if msg.date is None:
        return fallback
    now = _dt.datetime.now(_dt.timezone.utc)
    if msg.date > now + _dt.timedelta(days=1):  # a date in the future is not trusted
        return fallback if fallback <= iso_utc(now) else iso_utc(now)
    if msg.date.year < 1990:
        return fallback
    return iso_utc(msg.date)


class Collector:
    """Collects into one workspace.  Hold the workspace lock while using it."""

    def __init__(self, ws: Workspace, progress: ProgressLike | None = None):
        self.ws = ws
        self.ledger: Ledger = ws.ledger
        self.roster = ws.roster
        self.progress: ProgressLike = progress or Progress()
        self.result = CollectResult()
        self._ctx: CheckContext | None = None
        self._results: ResultStore | None = None  # made on first use
        self._payload: dict[str, Any] | None = None  # the last file's result, to store with its row
        self.previous: str | Path | None = None  # last year's reports, for the report documents' chain
        self._previous_reports: list | None = None

    # --- planning ---------------------------------------------------------------------
    def plan(self, sources: Iterable[str | Path]) -> list[_Item]:
        items: list[_Item] = []
        seen: set[str] = set()
        skip_dirs = {os.path.realpath(self.ws.archive_dir)}

        def add(kind: str, p: Path, explicit: bool = False) -> None:
            key = os.path.realpath(p)
            if key in seen:
                return
            seen.add(key)
            items.append(_Item(kind, p, explicit))

        for src in sources:
            p = Path(src).expanduser()
            if not p.exists():
                self.result.skipped.append(Outcome(_shown(p), _shown(p), "skipped", reason=say("collect.collect.plan.reason"),
                                                   code="source.missing"))
                continue
            if p.is_dir():
                self._walk(p, add, skip_dirs)  # a Maildir and its Maildir++ subfolders included
            elif not p.is_file():
                self.result.skipped.append(Outcome(_shown(p), _shown(p), "skipped", code="source.not_a_file",
                                                   reason=say("collect.collect.plan.reason_2")))
            elif is_report_document(p):
                add("document", p, True)
            else:
                kind = sniff_file(p)
                add({"eml": "eml", "mbox": "mbox", "msg": "msg"}.get(kind, "file"), p, True)
        return items

    def _walk(self, root: Path, add, skip_dirs: set[str]) -> None:
        count = 0
        for dirpath, dirnames, filenames in os.walk(root):
            # hidden folders are skipped, except Maildir++ subfolders (".Sent", ".INBOX.报表")
            dirnames[:] = sorted(d for d in dirnames
                                 if (not d.startswith(".") or is_maildir(Path(dirpath) / d))
                                 and os.path.realpath(os.path.join(dirpath, d)) not in skip_dirs)
            here = Path(dirpath)
            if is_maildir(here):
                for f in maildir_files(here):
                    add("maildir", f)
                dirnames[:] = [d for d in dirnames if d not in ("cur", "new", "tmp")]
                continue  # the rest of a Maildir's files are the mail server's index files
            for name in sorted(filenames):
                count += 1
                if count > MAX_WALK_FILES:
                    self.result.skipped.append(Outcome(
                        str(root), str(root), "skipped", code="source.too_many_files",
                        reason=say("collect.collect.walk.reason", max_walk_files=MAX_WALK_FILES)))
                    return
                if name.startswith(("~$", ".")):
                    continue
                p = here / name
                if p.is_symlink() or not p.is_file():
                    continue
                if is_report_document(p):
                    add("document", p)
                    continue
                kind = sniff_file(p)
                if kind in ("eml", "mbox", "msg"):
                    add(kind, p)
                elif kind == "workbook" or name.lower() == "winmail.dat":
                    add("file", p)
                else:
                    self.result.ignored.append(_shown(p))

    # --- running ----------------------------------------------------------------------
    def collect_paths(self, sources: Iterable[str | Path]) -> CollectResult:
        items = self.plan(sources)
        total = 0
        spans: dict[int, Any] = {}  # item -> its mbox's messages (found once, in a reader worker), or the error
        for k, it in enumerate(items):
            n = 1
            if it.kind == "mbox":
                try:
                    spans[k] = mbox_spans(it.path)
                    n = max(1, len(spans[k]))
                except (OSError, MailError) as e:  # reported when it is processed
                    spans[k] = e
            total += n
        self.progress.start(total)
        for k, it in enumerate(items):
            if it.kind == "file":
                self.collect_file(it.path)
                self.progress.advance(_shown(it.path.name))
            elif it.kind in ("eml", "maildir", "msg"):
                self._collect_message_file(it.path)
                self.progress.advance(_shown(it.path.name))
            elif it.kind == "mbox":
                self._collect_mbox(it.path, spans.get(k))
            elif it.kind == "document":
                self.collect_document_file(it.path)
                self.progress.advance(_shown(it.path.name))
        return self.result

    def collect_document_file(self, path: Path, name: str | None = None, source: str | None = None) -> None:
        """A unit's report document (collect.documents): archived, identified, checked, recorded."""
        data = self._read_file(path, name, source)
        if data is None:
            return
        import hashlib

        where = source or _shown(path.resolve())
        key = f"upload:{hashlib.sha256(data).hexdigest()}" if source else f"file:{where}"
        self.document_bytes(data, file_name=clean_file_name(name or _shown(path.name)) or say("collect.collect.collect_document_file.file_name"), source=where,
                            source_key=key, received_at=utc_now() if source else _mtime_iso(path))

    def previous_reports(self) -> list | None:
        """Last year's reports (``previous``: a workspace, workbooks, published documents), read once."""
        if self.previous is None:
            return None
        if self._previous_reports is None:
            self._previous_reports = submitted_reports(Path(self.previous))
        return self._previous_reports

    def document_bytes(self, data: bytes, *, file_name: str, source: str, source_key: str, received_at: str,
                       sender: str | None = None, listed: bool = True) -> bool:
        """One report document's bytes → recorded (True), or not a report (False: listed among the
        ignored files unless ``listed`` is False, when the caller lists it)."""

        try:
            result, row, reason = collect_document(self.ws, data, file_name=file_name, source=source,
                                                   source_key=source_key, received_at=received_at, sender=sender,
                                                   previous=self.previous_reports())
        except Exception as e:
            self.result.skipped.append(Outcome(file_name, source, "skipped", code="internal.read_failed",
                                               reason=messages.say("document.internal",
                                                                   error=f"{type(e).__name__}: {str(e)[:200]}")))
            return True
        if result == "ignored":
            if listed:
                self.result.ignored.append(_shown(file_name))
            return False
        entry = {"file_name": file_name, "source": source, "result": result, "reason": reason}
        entry.update(row.to_json() if row is not None else {})
        self.result.documents.append(entry)
        return True

    def _read_file(self, path: Path, name: str | None = None, source: str | None = None) -> bytes | None:
        """The file's bytes, or None with a skipped outcome (too large, unreadable) that
        names it as ``name``/``source`` when given (an upload: the client's name)."""
        label, where = name or _shown(path.name), source or _shown(path)
        try:
            size = path.stat().st_size
            if size > MAX_FILE_BYTES:
                self.result.skipped.append(Outcome(
                    label, where, "skipped", code="file.too_large",
                    reason=say("collect.collect.read_file.reason", value=size / 1048576,
                               value2=MAX_FILE_BYTES // 1048576)))
                return None
            return path.read_bytes()
        except OSError as e:
            self.result.skipped.append(Outcome(label, where, "skipped", code="source.unreadable",
                                               reason=say("collect.collect.read_file.reason_2",
                                                          value=e.strerror or e)))
            return None

    def collect_file(self, path: Path) -> Outcome | None:
        """One workbook-like file from disk."""
        data = self._read_file(path)
        if data is None:
            return None
        abspath = _shown(path.resolve())
        return self._collect_bytes(
            data, file_name=clean_file_name(_shown(path.name)) or say("collect.collect.collect_document_file.file_name"), raw_name=None, content_type="",
            source_kind="file", source_key=f"file:{abspath}", source=abspath, source_path=abspath,
            received_at=_mtime_iso(path), mail=None)

    def collect_upload(self, path: Path, name: str) -> None:
        """A file received by upload (gipr ui) and saved under a name gipr chose: collected
        as an explicitly named file is (a message as a message, anything else as a workbook),
        recording the client's ``name`` only as the file name, like an attachment's, and the
        upload as the source.  The same bytes uploaded again are not recorded twice."""
        import hashlib

        name = clean_file_name(name) or say("collect.collect.collect_document_file.file_name")
        source = messages.say("ui.upload_source", name=name)
        data = self._read_file(path, name, source)
        if data is None:
            return
        kind = sniff_file(path)
        if Path(name).suffix.lower() in DOCUMENT_SUFFIXES:
            self.collect_document_file(path, name, source)
            return
        if kind in ("eml", "msg"):
            self.collect_message(data, origin=source, received_fallback=utc_now(), display_name=name)
        elif kind == "mbox":
            self._collect_mbox(path)
        else:
            self._collect_bytes(data, file_name=name, raw_name=None, content_type="", source_kind="file",
                                source_key=f"upload:{hashlib.sha256(data).hexdigest()}", source=source,
                                source_path=None, received_at=utc_now(), mail=None)

    def _collect_message_file(self, path: Path) -> None:
        data = self._read_file(path)
        if data is None:
            return
        self.collect_message(data, origin=_shown(path.resolve()), received_fallback=_mtime_iso(path),
                             display_name=_shown(path.name))

    def _collect_mbox(self, path: Path, spans: Any = None) -> None:
        """The messages of an mbox file: found by a streamed scan in a reader worker (with its
        time and memory limits), then each read by its offsets (none larger than the limit)."""
        try:
            if isinstance(spans, BaseException):
                raise spans
            for n, raw, size in iter_mbox(path, spans=spans):
                label = f"{_shown(path.name)} #{n}"
                origin = f"{_shown(path.resolve())}#{n}"
                if raw is None:
                    self.result.skipped.append(Outcome(
                        label, origin, "skipped", code="mail.too_large",
                        reason=say("collect.collect.collect_mbox.reason", value=size / 1048576,
                                   value2=MAX_MESSAGE_BYTES // 1048576)))
                else:
                    self.collect_message(raw, origin=origin, received_fallback=_mtime_iso(path), display_name=label)
                self.progress.advance(label)
        except (OSError, ValueError, UnicodeError, MailError) as e:
            self.result.skipped.append(Outcome(_shown(path.name), _shown(path), "skipped",
                                               code=e.code if isinstance(e, MailError) else "mail.mbox",
                                               reason=say("collect.collect.collect_mbox.reason_2", e=e)))

    def collect_message(self, raw: bytes, *, origin: str, received_fallback: str | None = None,
                        display_name: str | None = None, source_key: str | None = None) -> list[Outcome]:
        """One e-mail message (from a file, an mbox, a Maildir, or IMAP).  ``origin`` says
        where it came from (a path, ``mbox#n``, ``imap://…``); ``source_key`` overrides the
        key that makes re-collecting a no-op (default: the Message-ID, else the bytes)."""
        fallback = received_fallback or utc_now()
        if len(raw) > MAX_MESSAGE_BYTES:
            o = Outcome(display_name or origin, origin, "skipped", code="mail.too_large",
                        reason=say("collect.collect.collect_mbox.reason", value=len(raw) / 1048576,
                                   value2=MAX_MESSAGE_BYTES // 1048576))
            self.result.skipped.append(o)
            return [o]
        msg_sha = self.ledger.store(raw)  # the message itself is evidence: archive it first
        try:
            msg = parse_message(raw)
        except MailError as e:
            name = clean_file_name(display_name or "") or say("collect.collect.collect_message.name")
            return [self._record_problem(
                raw, sha=msg_sha, file_name=name, raw_name=None, source_kind="email",
                source_key=source_key or f"mail-file:{origin}", source=origin, source_path=origin,
                received_at=fallback, mail=None, code=e.code, reason=str(e))]
        key = source_key or (f"mail:{msg.message_id}" if msg.message_id else f"mail-sha:{msg.sha256}")
        received = _received(msg, fallback)
        outs: list[Outcome] = []
        recorded = set()
        for n, data in msg.documents:  # a unit's report document attached beside (or instead of) its workbook
            if self.document_bytes(data, file_name=clean_file_name(n) or say("collect.collect.collect_document_file.file_name"), source=msg.source_text,
                                   source_key=f"{key}#{n}", received_at=received, sender=msg.from_addr,
                                   listed=False):
                recorded.add(n)
        if not msg.attachments and not recorded:
            who = units_for_sender(msg.from_addr, self.roster)
            unit = f"（{who[0].name}）" if len(who) == 1 else ""
            note = f"{msg.from_text or say('collect.collect.collect_message.note')}{unit}：{msg.subject or say('collect.collect.collect_message.note_2')}"
            if msg.ignored:
                note += say("collect.collect.collect_message", items='、'.join(msg.ignored[:5]))
            self.result.no_attachment.append(note)
        self.result.ignored.extend(f"{n}（{msg.subject or msg.from_text}）" for n in msg.ignored if n not in recorded)
        dropped = self._dropped(msg, origin)
        for att in msg.attachments:
            kw = {"file_name": att.file_name, "raw_name": att.raw_name, "content_type": att.content_type,
                  "source_kind": "email", "source_key": key, "source": msg.source_text, "source_path": origin,
                  "received_at": received, "mail": msg, "note": dropped}
            if att.problem:
                outs.append(self._record_problem(att.data, sha=None, code=att.problem, reason=att.problem_message,
                                                 **kw))
            else:
                outs.append(self._collect_bytes(att.data, **kw))
        return outs

    def _dropped(self, msg: MailMessage, origin: str) -> str | None:
        """Attachments past the per-message limit: named in the run's result, and the note
        (up to MAX_DROPPED_NOTED names) for the ledger rows of the message's attachments."""
        if not msg.dropped_total:
            return None

        self.result.dropped.append({"message": msg.source_text, "origin": origin, "total": msg.dropped_total,
                                    "names": list(msg.dropped)})
        names = msg.dropped[:MAX_DROPPED_NOTED]
        more = say("collect.dropped_more", n=msg.dropped_total) if msg.dropped_total > len(names) else ""
        return say("collect.dropped_note", n=msg.dropped_total, limit=MAX_ATTACHMENTS, names="、".join(names),
                   more=more)

    # --- one file's bytes -----------------------------------------------------------------
    def _base(self, data: bytes, sha: str, *, file_name, raw_name, source_kind, source_key, source, source_path,
              received_at, mail: MailMessage | None, **_ignored) -> dict[str, Any]:
        rec = {
            "sha256": sha, "size": len(data), "source_key": source_key, "file_name": file_name or say("collect.collect.collect_document_file.file_name"),
            "raw_name": raw_name, "source_kind": source_kind, "source": source, "source_path": source_path,
            "received_at": received_at, "collected_at": utc_now(), "findings": "[]", "errors": 0, "warnings": 0,
        }
        if mail is not None:
            rec.update(mail_from=mail.from_text, mail_subject=mail.subject, mail_date=mail.date_raw,
                       message_id=mail.message_id, message_sha256=mail.sha256)
        return rec

    def _seen(self, data: bytes, sha: str, kw: dict[str, Any]) -> Outcome | None:
        """Already recorded?  Same source → nothing; other source → a duplicate row."""
        found = self.ledger.find(sha, kw["source_key"])
        if found is not None:
            o = Outcome(kw["file_name"], kw["source"], "duplicate", found, reason=say("collect.collect.seen.reason",
                                                                                      id=found.id))
            self.result.outcomes.append(o)
            return o
        orig = self.ledger.original(sha)
        if orig is None:
            return None
        sender = kw["mail"].from_addr if kw.get("mail") is not None else None
        if orig.unit_code is None and sender:
            ident_units = units_for_sender(sender, self.roster)
            if len(ident_units) == 1:
                return None  # this copy's sender identifies what the first copy could not: record it fully
        rec = self._base(data, sha, **kw)
        rec.update(unit_code=orig.unit_code, status="duplicate", check_status=orig.check_status,
                   identified_by=orig.identified_by, errors=orig.errors, warnings=orig.warnings,
                   findings=orig.findings_json, reason_code=orig.reason_code, reason=orig.reason,
                   format=orig.format, report_year=orig.report_year, report_kind=orig.report_kind,
                   duplicate_of=orig.id)
        sub, _created = self.ledger.add(rec)
        o = Outcome(kw["file_name"], kw["source"], "duplicate", sub, reason=say("collect.collect.seen.reason_2",
                                                                                id=orig.id))
        self.result.outcomes.append(o)
        return o

    def _record_problem(self, data: bytes, *, sha: str | None, code: str, reason: str | None, **kw) -> Outcome:
        """A file gipr will not open (container, broken message): archived and recorded."""
        sha = sha or self.ledger.store(data)
        seen = self._seen(data, sha, kw)
        if seen is not None:
            return seen
        sender = kw["mail"].from_addr if kw.get("mail") is not None else None
        ident = identify(None, self.roster, self.ws.county, sender)
        rec = self._base(data, sha, **kw)
        noted = "；".join(x for x in (reason, kw.get("note")) if x) or None
        rec.update(unit_code=ident.unit.code if ident.unit else None, status="unreadable",
                   check_status="unreadable", identified_by=ident.method, reason_code=code, reason=noted,
                   findings=_json([{"code": code, "severity": "error", "message": reason, "cell": None,
                                    "ref": None, "path": None, "rule": None}]), errors=1)
        sub, created = self.ledger.add(rec)
        o = Outcome(kw["file_name"], kw["source"], "new" if created else "duplicate", sub, reason=reason, code=code)
        self.result.outcomes.append(o)
        return o

    def _collect_bytes(self, data: bytes, **kw) -> Outcome:
        sha = self.ledger.store(data)  # 1. archive first
        seen = self._seen(data, sha, kw)  # 2. already recorded?
        if seen is not None:
            return seen
        kind, code, problem = classify_attachment(kw["file_name"], kw.get("content_type") or "", data)
        if kind == "problem":
            assert code is not None  # a problem comes with its code
            return self._record_problem(data, sha=sha, code=code, reason=problem, **kw)
        sender = kw["mail"].from_addr if kw.get("mail") is not None else None
        rec = self._base(data, sha, **kw)
        try:
            report, findings, read_code, read_msg = self._read_and_check(data, kw["file_name"], sha)
        except Exception as e:
            # not recorded, so that a fixed gipr reads it on the next run; the bytes are archived
            o = Outcome(kw["file_name"], kw["source"], "skipped", code="internal.read_failed",
                        reason=say("collect.collect.collect_bytes.reason", name=type(e).__name__, e=str(e)[:200],
                                   archive_path=self.ledger.archive_path(sha)))
            self.result.skipped.append(o)
            return o
        ident = identify(report, self.roster, self.ws.county, sender)
        findings = settle_identity(findings, report, ident.unit, as_json=True)
        errors = sum(1 for f in findings if f.get("severity") == "error")
        warnings = sum(1 for f in findings if f.get("severity") == "warning")
        if report is None:
            check_status = "unreadable"
        else:
            check_status = "errors" if errors else "accepted"
        status = check_status if ident.unit is not None or check_status == "unreadable" else "unidentified"
        notes = ([read_msg] if read_msg else []) + ident.notes + ([kw["note"]] if kw.get("note") else [])
        rec.update(
            unit_code=ident.unit.code if ident.unit else None, status=status, check_status=check_status,
            identified_by=ident.method, errors=errors, warnings=warnings, findings=_json(findings),
            reason_code=read_code or (None if ident.unit else "unit.unidentified"),
            reason="；".join(notes) or None,
            format=report.spec.id if report is not None else None,
            report_year=report.year if report is not None else None,
            report_kind=report.kind if report is not None else None,
        )
        also = None
        if self._payload is not None:  # its result, for merge and status (results.py): in the same transaction
            store = self._result_store()
            rows = store.rows([(sha, self._payload)])
            also = lambda conn: store.write(conn, rows)  # noqa: E731
        sub, created = self.ledger.add(rec, also)  # 5. one transaction
        o = Outcome(kw["file_name"], kw["source"], "new" if created else "duplicate", sub,
                    reason=rec["reason"], code=rec["reason_code"])
        self.result.outcomes.append(o)
        return o

    def _context(self):
        if self._ctx is None:
            self._ctx = CheckContext(year=self.ws.year, roster=self.roster)
        return self._ctx

    def _result_store(self):
        if self._results is None:
            self._results = ResultStore(self.ledger, self.ws.spec, self.ws.year, self.roster)
        return self._results

    def _read_and_check(self, data: bytes, name: str, sha: str):
        """→ (report or None, findings as JSON dicts, problem code, Chinese problem).  The file
        is read and checked in a worker process (gipr.isolate) with the time and memory limits.
        The result to store (``results``' payload) is left in ``self._payload``; None when a
        limit of the worker stopped it (that depends on the machine: merge reads it again)."""

        self._payload = None
        try:
            got = run_limited(_read_and_check, data, name, sha, spec_token(self.ws.spec), self._context(),
                              seconds=MAX_READ_SECONDS, memory_mb=MAX_READ_MEMORY_MB, what=name, initializer=_warm_up)
        except ReadError as e:  # a limit of the worker (timeout, memory, crash)
            msg = say("collect.collect.read_and_check.msg", read_seconds=MAX_READ_SECONDS) if e.code == "file.timeout" else str(e)
            return None, [_problem(e.code, msg)], e.code, msg
        report, findings, code, msg = got
        if report is not None:
            self._payload = payload_from_report(report, findings)
        elif code:  # the reader's own verdict on these bytes
            self._payload = payload_unreadable(code, msg)
        return got


def _problem(code: str, msg: str) -> dict:
    return {"code": code, "severity": "error", "message": msg, "cell": None, "ref": None, "path": None, "rule": None}


def _warm_up() -> None:
    """A reader worker's warm-up for _read_and_check: this module is imported (to find this
    function) and the reader's tables are built, before the first timed file."""
    from ..read import warm_up  # worker-only: reader code runs in a worker (tests/project/test_boundary.py)

    warm_up()


def _read_and_check(data: bytes, name: str, sha: str, token, ctx):
    """Collector._read_and_check's work, in the worker."""
    from ..read import (  # worker-only: reader code runs in a worker (tests/project/test_boundary.py)
        read_report,
        spec_from_token,
    )

    try:
        report = read_report(data, name=name, spec=spec_from_token(token))
        report.sha256 = report.sha256 or sha
        findings = check_report(report, ctx)
    except ReadError as e:
        msg = str(e)
        return None, [_problem(e.code, msg)], e.code, msg
    return report, [f.to_json() for f in findings], None, None


def _json(obj) -> str:
    import json

    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def collect(ws: Workspace, sources: Iterable[str | Path], progress: ProgressLike | None = None,
            fetch: Callable[[Collector], Any] | None = None) -> CollectResult:
    """Collect ``sources`` (and what ``fetch(collector)`` adds, e.g. ``imap.imap_fetcher``'s
    job) into workspace ``ws`` under its lock.  ``result.to_json()`` is what
    ``gipr collect --json`` prints, ``result.exit_code`` its exit status."""
    with ws.lock():
        collector = Collector(ws, progress)
        result = collector.collect_paths(list(sources))
        if fetch is not None:
            fetch(collector)
        return result
