"""The send loop of ``gipr send`` / ``gipr remind``: the ledger's record of sends, jobs, composing, running."""

from __future__ import annotations

import datetime as _dt
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import messages
from ..account.settings import (
    CONNECT_ATTEMPTS,
    MAX_FINDINGS_LISTED,
    PREVIEW_FROM,
    TEMPLATE_FILES,
    MailSettings,
    mail_settings,
    smtp_password,
)
from ..catalogue.access import textkey
from ..check.feedback import submission_feedback
from ..collect.documents import DocumentRow, current_documents
from ..collect.ledger import Submission, local_time, unit_statuses, utc_now
from ..collect.workspace import Workspace
from ..errors import GiprError, Interrupted
from ..messages import say
from ..roster import Unit
from ..template import DEFAULT_PASSWORD, TemplateFactory, template_filename
from .mime import build_message
from .texts import load_text_template
from .transport import DryRunTransport, SmtpTransport

# --- the ledger's record of sends -------------------------------------------------------------

_SCHEMA = """
CREATE TABLE IF NOT EXISTS mail_sends(
  id                INTEGER PRIMARY KEY,
  kind              TEXT NOT NULL CHECK (kind IN ('send','remind')),
  unit_code         TEXT NOT NULL,
  state_key         TEXT NOT NULL,
  recipients        TEXT NOT NULL,
  message_id        TEXT NOT NULL UNIQUE,
  subject           TEXT NOT NULL,
  attachment_name   TEXT,
  attachment_sha256 TEXT,
  message_sha256    TEXT NOT NULL,
  status            TEXT NOT NULL CHECK (status IN ('pending','sent','failed','uncertain')),
  refused           TEXT,
  error             TEXT,
  started_at        TEXT NOT NULL,
  finished_at       TEXT,
  server            TEXT
);
CREATE INDEX IF NOT EXISTS mail_sends_unit ON mail_sends(unit_code, kind)
"""



def ensure_mail_tables(ledger) -> None:
    with ledger.transaction() as conn:
        for stmt in _SCHEMA.split(";"):
            if stmt.strip():
                conn.execute(stmt)


@dataclass
class SendRecord:
    id: int
    kind: str
    unit_code: str
    state_key: str
    recipients: str
    message_id: str
    subject: str
    attachment_name: str | None
    status: str
    error: str | None
    started_at: str
    finished_at: str | None
    refused: str | None = None
    message_sha256: str = ""

    def to_json(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in ("id", "kind", "unit_code", "state_key", "recipients", "message_id",
                                               "subject", "attachment_name", "status", "error", "refused",
                                               "started_at", "finished_at", "message_sha256")}


def send_history(ledger, unit_code: str | None = None, kind: str | None = None) -> list[SendRecord]:
    ensure_mail_tables(ledger)
    q = "SELECT * FROM mail_sends WHERE 1=1"
    args: list[Any] = []
    if unit_code is not None:
        q += " AND unit_code=?"
        args.append(unit_code)
    if kind is not None:
        q += " AND kind=?"
        args.append(kind)
    rows = ledger.conn.execute(q + " ORDER BY id", args).fetchall()
    return [SendRecord(r["id"], r["kind"], r["unit_code"], r["state_key"], r["recipients"], r["message_id"],
                       r["subject"], r["attachment_name"], r["status"], r["error"], r["started_at"],
                       r["finished_at"], r["refused"], r["message_sha256"]) for r in rows]


def _settle_interrupted(ledger) -> int:
    """Rows left ``pending`` by a process that died mid-send (the caller holds the
    workspace lock, so no live process owns them) become ``uncertain``."""

    with ledger.transaction() as conn:
        cur = conn.execute("UPDATE mail_sends SET status='uncertain', finished_at=?, error=? WHERE status='pending'",
                           (utc_now(), say("mail.send.settle_interrupted.cur")))
        return cur.rowcount


# --- jobs -------------------------------------------------------------------------------------


@dataclass
class MailJob:
    kind: str  # send | remind
    unit: Unit
    recipients: list[str]
    state_key: str  # "template" (send); "missing" | "sub:<id>" (remind)
    situation: str = ""  # remind: missing | errors | unreadable
    submission: Submission | None = None  # remind: the current submission, if any
    document: DocumentRow | None = None  # remind: the unit's report document with problems, if any


@dataclass
class MailOutcome:
    kind: str
    unit_code: str
    unit_name: str
    status: str  # sent | failed | uncertain | skipped | written
    recipients: list[str] = field(default_factory=list)
    message_id: str | None = None
    subject: str | None = None
    attachment_name: str | None = None
    refused: dict[str, str] = field(default_factory=dict)
    error: str | None = None  # Chinese
    path: str | None = None  # dry run: the .eml written
    letter: dict[str, Any] | None = None  # dry run: what the unit will read (Composed.letter)
    situation: str = ""
    record_id: int | None = None
    code: str | None = None  # stable code of a problem (e.g. "mail.no_address"); not in the JSON

    @property
    def ok(self) -> bool:
        return self.status in ("sent", "written")

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "unit": self.unit_code, "name": self.unit_name, "status": self.status,
                "recipients": self.recipients, "message_id": self.message_id, "subject": self.subject,
                "attachment": self.attachment_name, "refused": self.refused, "error": self.error,
                "path": self.path, "letter": self.letter, "situation": self.situation or None,
                "record": self.record_id}


def resolve_units(roster: list, only: Iterable[str] | None) -> list:
    """Roster units selected by code or exact name (``--only``, comma-separated allowed)."""
    if not only:
        return list(roster)
    wanted = [w.strip() for item in only for w in re.split(r"[,，;；\s]+", item) if w.strip()]
    by_code = {u.code: u for u in roster}
    by_name = {u.name: u for u in roster}
    picked, unknown = [], []
    for w in wanted:
        u = by_code.get(w) or by_name.get(w)
        if u is None:
            unknown.append(w)
        elif u not in picked:
            picked.append(u)
    if unknown:
        raise GiprError(say("mail.send.resolve_units", items='、'.join(unknown)), "mail.unknown_unit")
    order = {u.code: i for i, u in enumerate(roster)}
    return sorted(picked, key=lambda u: order[u.code])


def _skip(kind: str, unit, why: str, status: str = "skipped", situation: str = "", code: str | None = None
          ) -> MailOutcome:
    return MailOutcome(kind, unit.code, unit.name, status, list(unit.emails), error=why, situation=situation,
                       code=code)


def plan_send(ws: Workspace, *, only: Iterable[str] | None = None, resend: bool = False) -> tuple[list[MailJob], list[MailOutcome]]:
    """The units ``gipr send`` will mail, and the ones it skips (with why)."""

    units = resolve_units(ws.roster, only)
    ensure_mail_tables(ws.ledger)
    history: dict[str, list[SendRecord]] = {}
    for r in send_history(ws.ledger, kind="send"):
        history.setdefault(r.unit_code, []).append(r)
    jobs, skipped = [], []
    for u in units:
        if not u.emails:
            skipped.append(_skip("send", u, say("mail.send.plan_send"), code="mail.no_address"))
            continue
        rows = history.get(u.code, [])
        sent = [r for r in rows if r.status == "sent"]
        if not resend and sent:
            skipped.append(_skip("send", u, say("mail.send.plan_send_2",
                                                local_time=local_time(sent[-1].finished_at),
                                                message_id=sent[-1].message_id)))
            continue
        if not resend and rows and rows[-1].status in ("pending", "uncertain"):
            skipped.append(_skip("send", u, say("mail.send.plan_send_3",
                                                local_time=local_time(rows[-1].started_at)) + u.code + say("mail.send.plan_send_4"), status="uncertain"))
            continue
        jobs.append(MailJob("send", u, list(u.emails), "template"))
    return jobs, skipped


def plan_remind(ws: Workspace, *, only: Iterable[str] | None = None, resend: bool = False,
                interval_hours: float = 12.0, now: _dt.datetime | None = None) -> tuple[list[MailJob], list[MailOutcome]]:
    """Units with no submission, or whose current submission has errors or cannot be read.
    A unit reminded about the same situation within ``interval_hours`` is skipped (so a
    re-run after an interruption reminds nobody twice) unless ``resend``."""

    docs = current_documents(ws.ledger)
    units = resolve_units(ws.roster, only)
    chosen = {u.code for u in units}
    ensure_mail_tables(ws.ledger)
    now = now or _dt.datetime.now(_dt.timezone.utc)
    recent: dict[tuple[str, str], SendRecord] = {}
    for r in send_history(ws.ledger, kind="remind"):
        if r.status in ("sent", "pending", "uncertain"):
            recent[(r.unit_code, r.state_key)] = r
    jobs, skipped = [], []
    by_code = {u.code: u for u in ws.roster}
    for st in unit_statuses(ws.ledger, ws.roster):
        doc = docs.get(st.code)
        if doc is not None and doc.state not in ("errors", "differs", "unreadable"):
            doc = None  # its report document is fine (or there is none): nothing to say about it
        if st.code not in chosen or (st.status == "accepted" and doc is None):
            continue
        u = by_code[st.code]
        key = "missing" if st.submission is None else f"sub:{st.submission.id}"
        if doc is not None:
            key += f"+doc:{doc.id}"
        if not u.emails:
            skipped.append(_skip("remind", u, say("mail.send.plan_send"), situation=st.status,
                                 code="mail.no_address"))
            continue
        prev = recent.get((u.code, key))
        if prev is not None and not resend:
            try:
                when = _dt.datetime.strptime(prev.started_at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=_dt.timezone.utc)
            except ValueError:
                when = now
            if now - when < _dt.timedelta(hours=interval_hours):
                what = say("mail.send.plan_remind.what") if prev.status == "sent" else say("mail.send.plan_remind.what_2")
                skipped.append(_skip("remind", u, say("mail.send.plan_remind",
                                                      local_time=local_time(prev.started_at), what=what,
                                                      interval_hours=interval_hours),
                                     status="skipped" if prev.status == "sent" else "uncertain", situation=st.status))
                continue
        jobs.append(MailJob("remind", u, list(u.emails), key, situation=st.status, submission=st.submission,
                            document=doc))
    return jobs, skipped


# --- composing -----------------------------------------------------------------------------------


@dataclass
class Composed:
    raw: bytes
    message_id: str
    subject: str
    attachment_name: str | None
    attachment_sha256: str | None
    # what the unit will read (the preview shows it): subject, from, to, text, attachments' names
    letter: dict[str, Any] = field(default_factory=dict)


class Composer:
    """Builds each job's message: text template, personalised template or feedback
    workbook attached."""

    def __init__(self, ws: Workspace, settings: MailSettings, kind: str):
        self.ws = ws
        self.settings = settings
        self.kind = kind
        self.template = load_text_template(ws, kind)
        self._factory: TemplateFactory | None = None
        self._template_opts = template_options(ws)

    def _template_bytes(self, unit) -> tuple[str, bytes]:
        if self._factory is None:
            self._factory = TemplateFactory(self.ws.spec, self.ws.year, **self._template_opts)
        return template_filename(self.ws.year, unit), self._factory.render(unit)

    def _feedback(self, job: MailJob) -> tuple[str, bytes] | None:
        """The feedback workbook for a submission with errors."""

        assert job.submission is not None  # a reminder about a submission
        return submission_feedback(self.ws, job.submission, job.unit)

    def values(self, job: MailJob, attachment_name: str | None) -> dict[str, str]:
        s = self.settings
        u = job.unit
        return {
            say("mail.send.values"): u.name, say("mail.send.values_2"): u.code, say("mail.send.values_3"): u.contact or "", say("mail.send.values_4"): str(self.ws.year),
            say("mail.send.values_5"): s.deadline or say("mail.send.values_6"), say("mail.send.values_7"): s.contact or s.from_addr, say("mail.send.values_8"): self.ws.county or "",
            say("mail.send.values_9"): s.from_name or s.from_addr, say("mail.send.values_10"): attachment_name or "",
        }

    def compose(self, job: MailJob) -> Composed:
        attachments: list[tuple[str, bytes]] = []
        extra: dict[str, str] = {}
        if job.kind == "send":
            attachments.append(self._template_bytes(job.unit))
        else:
            situation, problems, att = self._remind_parts(job)
            if att is not None:
                attachments.append(att)
            extra = {say("mail.send.compose"): situation, say("mail.send.compose_2"): problems}
        att_name = attachments[0][0] if attachments else None
        values = self.values(job, att_name) | extra
        subject, body = self.template.render(values)
        raw, mid = build_message(self.settings, to=[(job.unit.name, a) for a in job.recipients], subject=subject,
                                 body=body, attachments=attachments)
        import hashlib

        sha = hashlib.sha256(attachments[0][1]).hexdigest() if attachments else None
        s = self.settings

        def shown(name: str, addr: str) -> str:  # as a mail program shows an address
            return f"{name} <{addr}>" if name else addr

        letter = {"subject": subject, "from": shown(s.from_name or "", s.from_addr),
                  "to": ", ".join(shown(job.unit.name, a) for a in job.recipients), "text": body.strip(),
                  "attachments": [name for name, _data in attachments]}
        return Composed(raw, mid, subject, att_name, sha, letter)

    def _remind_parts(self, job: MailJob) -> tuple[str, str, tuple[str, bytes] | None]:
        doc = job.document
        if doc is None:
            return self._workbook_parts(job)

        lines = [f"{i}. [{messages.SEVERITY_ZH[f['severity']]}]{f.get('message') or ''}" for i, f in
                 enumerate([f for f in doc.findings if f.get("severity") in ("error", "warning")][:MAX_FINDINGS_LISTED], 1)]
        part = messages.say("document.remind_head", file=doc.file_name) + "\n" + "\n".join(lines)
        if job.situation == "accepted":
            situation = messages.say("document.remind_only", file=doc.file_name,
                                     state=messages.say(textkey("document.state." + doc.state)))
            return situation, part, None
        situation, problems, att = self._workbook_parts(job)
        return situation, (problems + "\n\n" if problems else "") + part, att

    def _workbook_parts(self, job: MailJob) -> tuple[str, str, tuple[str, bytes] | None]:
        today = _dt.date.today()
        today_text = say("mail.send.workbook_parts.today_text", year=today.year, month=today.month, day=today.day)
        sub = job.submission
        if job.situation == "missing" or sub is None:
            name, data = self._template_bytes(job.unit)
            return (say("mail.send.workbook_parts", today_text=today_text, year=self.ws.year, name=name), "", (name, data))
        y, mo, d = (local_time(sub.received_at)[:10].split("-") + ["", "", ""])[:3]
        when = say("mail.send.workbook_parts.when", y=y, mo=int(mo), d=int(d)) if y and mo.isdigit() and d.isdigit() else local_time(sub.received_at)
        if job.situation == "unreadable":
            name, data = self._template_bytes(job.unit)
            reason = sub.reason or say("mail.send.workbook_parts.reason")
            return (say("mail.send.workbook_parts_2", when=when, file_name=sub.file_name, reason=reason, name=name), "", (name, data))
        findings = sub.findings
        errors = [f for f in findings if f.get("severity") == "error"]
        warnings = [f for f in findings if f.get("severity") == "warning"]
        lines = []
        for i, f in enumerate((errors + warnings)[:MAX_FINDINGS_LISTED], 1):
            sev = say("mail.send.workbook_parts.sev") if f.get("severity") == "error" else say("mail.send.workbook_parts.sev_2")
            where = f"（{f['ref']}）" if f.get("ref") else ""
            lines.append(f"{i}. [{sev}]{where}{f.get('message') or ''}")
        more = len(errors) + len(warnings) - MAX_FINDINGS_LISTED
        if more > 0:
            lines.append(say("mail.send.workbook_parts_3", more=more))
        att = None
        try:
            att = self._feedback(job)
        except GiprError:
            att = None
        situation = (say("mail.send.workbook_parts.situation", when=when, file_name=sub.file_name,
                         n_errors=len(errors))
                     + (say("mail.send.workbook_parts.situation_2", n_warnings=len(warnings)) if warnings else "") + say("mail.send.workbook_parts.situation_3"))
        if att is not None:
            situation += say("mail.send.workbook_parts_4", att=att[0])
        problems = say("mail.send.workbook_parts.problems") + "\n".join(lines) if lines else ""
        return situation, problems, att


def template_options(ws: Workspace) -> dict[str, Any]:
    got = ws.config.get("template")
    sec = got if isinstance(got, dict) else {}
    pw = sec.get("password", DEFAULT_PASSWORD)
    protect = sec.get("protect", True)
    return {"password": str(pw), "protect": bool(protect)}


# --- running -----------------------------------------------------------------------------------------


def default_outbox(ws: Workspace, kind: str) -> Path:
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path(ws.root) / "outbox" / f"{kind}-{stamp}"


def run_jobs(ws: Workspace, jobs: list[MailJob], composer: Composer, transport: SmtpTransport | DryRunTransport, *, record: bool = True,
             pause: float = 0.0, on_outcome: Callable[[MailOutcome], None] | None = None) -> list[MailOutcome]:
    """Compose and deliver each job; record every send in the ledger (``record``).  One
    unit's failure never stops the others; after repeated connection failures the
    remaining units are reported as not sent.  Hold the workspace lock while calling."""

    led = ws.ledger
    if record:
        ensure_mail_tables(led)
        _settle_interrupted(led)
    out: list[MailOutcome] = []
    gave_up: str | None = None
    for n, job in enumerate(jobs):
        u = job.unit
        base = MailOutcome(job.kind, u.code, u.name, "failed", list(job.recipients), situation=job.situation)
        if gave_up is not None:
            base.error = gave_up
            out.append(base)
            if on_outcome:
                on_outcome(base)
            continue
        try:
            composed = composer.compose(job)
        except GiprError as e:
            base.error = say("mail.send.run_jobs.error", e=e)
            out.append(base)
            if on_outcome:
                on_outcome(base)
            continue
        base.message_id, base.subject, base.attachment_name = composed.message_id, composed.subject, composed.attachment_name
        rid = None
        if record:
            msg_sha = led.store(composed.raw)  # the exact message is evidence
            with led.transaction() as conn:
                cur = conn.execute(
                    "INSERT INTO mail_sends(kind, unit_code, state_key, recipients, message_id, subject, attachment_name,"
                    " attachment_sha256, message_sha256, status, started_at, server) VALUES(?,?,?,?,?,?,?,?,?,?,?,?)",
                    (job.kind, u.code, job.state_key, ";".join(job.recipients), composed.message_id, composed.subject,
                     composed.attachment_name, composed.attachment_sha256, msg_sha, "pending", utc_now(),
                     getattr(transport, "server", "")))
                rid = cur.lastrowid
            base.record_id = rid
        try:
            d = transport.deliver(job, composed)
        except Interrupted as e:  # Ctrl-C inside the SMTP transaction
            if record:
                _finish(led, rid, e.status, say("mail.send.run_jobs") + (say("mail.send.run_jobs_2") if e.status == "uncertain"
                                                                    else say("mail.send.run_jobs_3")), {})
            raise KeyboardInterrupt from None
        except KeyboardInterrupt:  # before the transaction started: nothing went out
            if record:
                _finish(led, rid, "failed", say("mail.send.run_jobs_4"), {})
            raise
        if record:
            _finish(led, rid, d.status if d.status != "written" else "sent", d.error, d.refused)
        base.status, base.error, base.refused, base.path = d.status, d.error, d.refused, d.path
        if d.status == "written":
            base.letter = composed.letter
        out.append(base)
        if on_outcome:
            on_outcome(base)
        if d.connection_lost and getattr(transport, "failed_connects", 0) >= CONNECT_ATTEMPTS:
            gave_up = say("mail.send.run_jobs.gave_up", connect_attempts=CONNECT_ATTEMPTS)
        if pause and n + 1 < len(jobs) and d.status == "sent":
            time.sleep(pause)
    return out


def _finish(led, rid: int | None, status: str, error: str | None, refused: dict[str, str]) -> None:
    if rid is None:
        return
    with led.transaction() as conn:
        conn.execute("UPDATE mail_sends SET status=?, error=?, refused=?, finished_at=? WHERE id=?",
                     (status, error, "；".join(f"{a} {m}" for a, m in refused.items()) or None, utc_now(), rid))


@dataclass
class MailRun:
    kind: str
    dry_run: bool
    outcomes: list[MailOutcome]  # skipped units first, then one per job in roster order
    outdir: Path | None = None
    planned: int = 0  # jobs attempted (not skipped)
    notes: list[str] = field(default_factory=list)  # what the user should know about this run (Chinese)

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def exit_code(self) -> int:
        """0 all done; 1 a unit failed, is uncertain, or has no address in the roster."""
        return 1 if any(o.status in ("failed", "uncertain") or o.code == "mail.no_address"
                        for o in self.outcomes) else 0

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "dry_run": self.dry_run, "outbox": str(self.outdir) if self.outdir else None,
                "counts": {k: self.count(k) for k in ("sent", "written", "failed", "uncertain", "skipped")},
                "notes": list(self.notes), "outcomes": [o.to_json() for o in self.outcomes]}


def mail_units(ws: Workspace, kind: str, *, dry_run: bool = False, out: str | Path | None = None,
               only: Iterable[str] | None = None, resend: bool = False, password: str | None = None,
               settings: MailSettings | None = None,
               on_outcome: Callable[[MailOutcome], None] | None = None) -> MailRun:
    """``gipr send`` (kind "send") or ``gipr remind`` (kind "remind") on workspace ``ws``,
    under its lock.  ``password``: asked (environment, prompt) when None and needed."""
    if kind not in TEMPLATE_FILES:
        raise ValueError(kind)
    settings = settings or mail_settings(ws, need_server=not dry_run, preview=dry_run)
    if settings.placeholder and not dry_run:
        raise ValueError("placeholder mail settings are for a dry run only")
    with ws.lock():
        if kind == "send":
            jobs, skipped = plan_send(ws, only=only, resend=resend)
        else:
            jobs, skipped = plan_remind(ws, only=only, resend=resend, interval_hours=settings.remind_interval_hours)
        composer = Composer(ws, settings, kind)  # checks the text template before anything goes out
        if on_outcome:
            for o in skipped:
                on_outcome(o)
        run = MailRun(kind, dry_run, list(skipped), planned=len(jobs))
        if settings.placeholder:
            run.notes.append(say("preview.placeholder_sender", config=str(ws.config_path), sender=PREVIEW_FROM))
        if not jobs:
            return run
        if dry_run:
            run.outdir = Path(out) if out else default_outbox(ws, kind)
            transport: DryRunTransport | SmtpTransport = DryRunTransport(run.outdir)
            run.outcomes += run_jobs(ws, jobs, composer, transport, record=False, on_outcome=on_outcome)
            return run
        if password is None and settings.user:
            password = smtp_password(settings)
        transport = SmtpTransport(settings, password)
        transport.open()  # a wrong password or server stops here, before any unit
        try:
            run.outcomes += run_jobs(ws, jobs, composer, transport, pause=settings.pause, on_outcome=on_outcome)
        finally:
            transport.close()
        return run
