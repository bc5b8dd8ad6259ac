"""``gipr collect --imap``: fetch returned workbooks from an IMAP mailbox.

* IMAP over SSL (port 993) or STARTTLS (143), settings in the workspace config ``[imap]``
  (host, port, security, user, folder, cafile, tls_verify, timeout); the password from
  ``$GIPR_IMAP_PASSWORD`` (or ``$GIPR_MAIL_PASSWORD``) or a prompt, never stored.
* Read-only: the folder is opened with EXAMINE and bodies are fetched with BODY.PEEK, so
  nothing is deleted, moved or even marked as read on the server.
* Every message taken is remembered in the ledger table ``imap_seen`` by account, folder,
  UIDVALIDITY and UID, so it is never fetched (or counted) twice.  Each message goes
  through ``Collector.collect_message`` exactly like an .eml file, whose own
  Message-ID/bytes key makes a message seen again by another route (an export, a changed
  UIDVALIDITY) a no-op too.
"""

from __future__ import annotations

import datetime as _dt
import imaplib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..account import keystore
from ..account.settings import (
    connection_problem,
    ensure_mail_section,
    password_from,
    server_settings,
    setting_text,
    tls_context,
)
from ..catalogue.access import say
from ..errors import GiprError
from .collect import Outcome
from .ledger import iso_utc, utc_now
from .mailparse import MAX_MESSAGE_BYTES, message_id_of
from .workspace import Workspace

__all__ = [
    "IMAP_PASSWORD_ENV",
    "ImapResult",
    "ImapSettings",
    "collect_imap",
    "encode_mailbox",
    "ensure_imap_tables",
    "imap_login",
    "imap_password",
    "imap_settings",
    "parse_since",
]

IMAP_PASSWORD_ENV = ("GIPR_IMAP_PASSWORD", "GIPR_MAIL_PASSWORD")
IMAP_PORTS = {"ssl": 993, "starttls": 143, "none": 143}
FETCH_META_CHUNK = 200  # UIDs per metadata FETCH command

_SCHEMA = """
CREATE TABLE IF NOT EXISTS imap_seen(
  account        TEXT NOT NULL,
  folder         TEXT NOT NULL,
  uidvalidity    INTEGER NOT NULL,
  uid            INTEGER NOT NULL,
  size           INTEGER,
  internal_date  TEXT,
  message_sha256 TEXT,
  outcome        TEXT NOT NULL,
  note           TEXT,
  seen_at        TEXT NOT NULL,
  PRIMARY KEY (account, folder, uidvalidity, uid)
)
"""


@dataclass
class ImapSettings:
    host: str
    port: int
    security: str
    user: str
    folder: str = "INBOX"
    cafile: str = ""
    tls_verify: bool = True
    timeout: float = 60.0

    @property
    def account(self) -> str:
        return f"{self.user}@{self.host}:{self.port}"


def imap_settings(ws) -> ImapSettings:
    """The [imap] settings (user falls back to [mail] user / from_addr)."""

    where = say("collect.imap.imap_settings.where", config_path=ws.config_path)
    if "imap" not in ws.config:
        added = ensure_mail_section(ws)
        raise GiprError(say("collect.imap.imap_settings", value=say("collect.imap.imap_settings.value") if added else say("collect.imap.imap_settings.value_2"),
                            config_path=ws.config_path), "imap.not_configured")
    sec = ws.config["imap"]
    if not isinstance(sec, dict):
        raise GiprError(say("collect.imap.imap_settings_2", where=where), "imap.config")
    host, port, security, cafile, verify, timeout = server_settings(sec, where, "ssl", IMAP_PORTS)
    if not host:
        raise GiprError(say("collect.imap.imap_settings_3", where=where), "imap.config")
    got = ws.config.get("mail")
    mail = got if isinstance(got, dict) else {}
    user = setting_text(sec, "user", where) or setting_text(mail, "user", where) or setting_text(mail, "from_addr", where)
    if not user:
        raise GiprError(say("collect.imap.imap_settings_4", where=where), "imap.config")
    folder = setting_text(sec, "folder", where) or "INBOX"
    return ImapSettings(host, port, security, user, folder, cafile, verify, timeout)


def imap_password(settings: ImapSettings, *, interactive: bool | None = None) -> str:
    return password_from(IMAP_PASSWORD_ENV, say("collect.imap.imap_password", user=settings.user), interactive=interactive,
                         stored=lambda: keystore.get("imap", settings.user, settings.host))


def encode_mailbox(name: str) -> str:
    """A folder name as an IMAP quoted string in modified UTF-7 (RFC 3501 5.1.3), so
    Chinese folder names such as 已发送 work."""
    out: list[str] = []
    buf: list[str] = []

    def flush() -> None:
        if buf:
            b = "".join(buf).encode("utf-16-be")
            import base64

            out.append("&" + base64.b64encode(b).decode("ascii").rstrip("=").replace("/", ",") + "-")
            buf.clear()

    for ch in name:
        if 0x20 <= ord(ch) <= 0x7E:
            flush()
            out.append("&-" if ch == "&" else ch)
        else:
            buf.append(ch)
    flush()
    s = "".join(out)
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def parse_since(text: str | None) -> _dt.date | None:
    """``--since``: 2025-01-13, 2025/1/13, 20250113 or 2025年1月13日."""
    if not text:
        return None
    t = text.strip()
    m = re.fullmatch(say("collect.imap.parse_since.m"), t) or re.fullmatch(r"(\d{4})(\d{2})(\d{2})", t)
    if m:
        try:
            return _dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            pass
    raise GiprError(say("collect.imap.parse_since", text=text), "usage.since")


def _imap_date(d: _dt.date) -> str:
    return f"{d.day}-{_MONTHS[d.month - 1]}-{d.year}"


def _uid_set(uids: list[int]) -> str:
    """[1,2,3,7,9,10] → '1:3,7,9:10'."""
    parts = []
    uids = sorted(set(uids))
    i = 0
    while i < len(uids):
        j = i
        while j + 1 < len(uids) and uids[j + 1] == uids[j] + 1:
            j += 1
        parts.append(str(uids[i]) if i == j else f"{uids[i]}:{uids[j]}")
        i = j + 1
    return ",".join(parts)


def ensure_imap_tables(ledger) -> None:
    with ledger.transaction() as conn:
        conn.execute(_SCHEMA)


@dataclass
class ImapResult:
    account: str
    folder: str
    uidvalidity: int = 0
    total: int = 0  # messages in the folder (matching --since)
    fetched: int = 0  # taken this run
    already: int = 0  # taken by an earlier run
    too_large: int = 0
    vanished: int = 0  # listed, then gone before it could be fetched
    own: int = 0  # copies of messages gipr itself sent (not collected)
    uidvalidity_changed: bool = False
    errors: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"account": self.account, "folder": self.folder, "uidvalidity": self.uidvalidity, "total": self.total,
                "fetched": self.fetched, "already": self.already, "too_large": self.too_large,
                "vanished": self.vanished, "own": self.own, "uidvalidity_changed": self.uidvalidity_changed, "errors": self.errors}


class _Session:
    def __init__(self, s: ImapSettings, password: str):
        self.s = s
        self.password = password
        self.conn: imaplib.IMAP4 | None = None

    def __enter__(self) -> imaplib.IMAP4:
        s = self.s
        ctx = tls_context(s.cafile, s.tls_verify) if s.security != "none" else None
        conn: imaplib.IMAP4 | None = None
        try:
            if s.security == "ssl":
                conn = imaplib.IMAP4_SSL(s.host, s.port, ssl_context=ctx, timeout=s.timeout)
            else:
                conn = imaplib.IMAP4(s.host, s.port, timeout=s.timeout)
                if s.security == "starttls":
                    if "STARTTLS" not in conn.capabilities:
                        raise GiprError(say("collect.imap.enter", host=s.host, port=s.port),
                                        "imap.no_starttls")
                    conn.starttls(ssl_context=ctx)
            imap_login(conn, s.user, self.password)
        except GiprError:
            _logout(conn)
            raise
        except imaplib.IMAP4.error as e:
            _logout(conn)
            text = _text_of(e)
            if "LOGINDISABLED" in text.upper() or "PLAINTEXT" in text.upper():
                raise GiprError(say("collect.imap.enter_2", host=s.host),
                                "imap.login_failed") from None
            raise GiprError(say("collect.imap.enter_3", text=text), "imap.login_failed") from None
        except (OSError, EOFError, imaplib.IMAP4.abort) as e:
            _logout(conn)
            raise GiprError(connection_problem(e, s.host, s.port, say("collect.imap.enter_4")), "imap.connect_failed") from None
        self.conn = conn
        return conn

    def __exit__(self, *exc) -> None:
        _logout(self.conn)


def imap_login(conn: imaplib.IMAP4, user: str, password: str) -> None:
    """LOGIN, or AUTHENTICATE PLAIN in UTF-8 when the user or password is not ASCII
    (imaplib's LOGIN can only send ASCII; a Chinese password is legal)."""
    if user.isascii() and password.isascii() and '"' not in password and "\\" not in password:
        conn.login(user, password)
        return
    if "AUTH=PLAIN" not in conn.capabilities:
        raise GiprError(say("collect.imap.imap_login"),
                        "imap.login_failed")
    token = b"\0" + user.encode("utf-8") + b"\0" + password.encode("utf-8")
    conn.authenticate("PLAIN", lambda _challenge: token)


def _logout(conn) -> None:
    if conn is None:
        return
    try:
        conn.logout()
    except Exception:
        try:
            conn.shutdown()
        except Exception:
            pass


def _text_of(e: BaseException) -> str:
    t = str(e)
    m = re.match(r"^b?['\"](.*)['\"]$", t)
    return m.group(1) if m else t


def _check(typ: str, data, what: str) -> None:
    if typ != "OK":
        detail = b" ".join(d for d in data if isinstance(d, bytes)).decode("utf-8", "replace") if data else ""
        raise GiprError(say("collect.imap.check", what=what, value=detail or typ), "imap.command_failed")


_META = re.compile(rb"UID (\d+)|RFC822\.SIZE (\d+)|INTERNALDATE \"([^\"]+)\"")


def _parse_meta(data: list) -> dict[int, tuple[int | None, str | None]]:
    """UID FETCH (RFC822.SIZE INTERNALDATE) → uid: (size, internal date)."""
    out: dict[int, tuple[int | None, str | None]] = {}
    for item in data:
        line = item[0] if isinstance(item, tuple) else item
        if not isinstance(line, bytes):
            continue
        uid = size = date = None
        for m in _META.finditer(line):
            if m.group(1):
                uid = int(m.group(1))
            elif m.group(2):
                size = int(m.group(2))
            elif m.group(3):
                date = m.group(3).decode("ascii", "replace")
        if uid is not None:
            out[uid] = (size, date)
    return out


def _internal_iso(date: str | None) -> str | None:
    if not date:
        return None
    try:
        d = _dt.datetime.strptime(date.strip(), "%d-%b-%Y %H:%M:%S %z")
    except ValueError:
        return None
    return iso_utc(d)


def _body_of(data: list) -> bytes | None:
    for item in data:
        if isinstance(item, tuple) and len(item) >= 2 and isinstance(item[1], bytes) and b"BODY[]" in item[0]:
            return item[1]
    return None


def collect_imap(ws: Workspace, collector, *, settings: ImapSettings | None = None, password: str | None = None,
                 folder: str | None = None, since: _dt.date | None = None,
                 progress: Callable[[str], None] | None = None) -> ImapResult:
    """Fetch the folder's messages not taken before and collect each one.  The caller holds
    the workspace lock and owns ``collector`` (its result gains the outcomes)."""
    s = settings or imap_settings(ws)
    if password is None:
        password = imap_password(s)
    folder = folder or s.folder or "INBOX"
    led = ws.ledger
    ensure_imap_tables(led)
    res = ImapResult(s.account, folder)
    with _Session(s, password) as conn:
        try:
            _run(conn, collector, led, s, folder, since, res, progress)
        except (imaplib.IMAP4.error, OSError, EOFError) as e:
            if isinstance(e, imaplib.IMAP4.abort) or not isinstance(e, imaplib.IMAP4.error):
                why = connection_problem(e, s.host, s.port, say("collect.imap.enter_4"))
            else:
                why = say("collect.imap.collect_imap.why", text_of=_text_of(e))
            raise GiprError(why + (say("collect.imap.collect_imap", fetched=res.fetched) if res.fetched else "")
                            + say("collect.imap.collect_imap_2"), "imap.failed") from None
    return res


def _run(conn, collector, led, s: ImapSettings, folder: str, since, res: ImapResult, progress) -> None:
    try:
        typ, data = conn.select(encode_mailbox(folder), readonly=True)  # EXAMINE: read-only
    except imaplib.IMAP4.error as e:
        raise GiprError(say("collect.imap.run", folder=folder, text_of=_text_of(e)), "imap.folder") from None
    if typ != "OK":
        raise GiprError(say("collect.imap.run_2", folder=folder,
                            decode=b' '.join(d for d in data if isinstance(d, bytes)).decode('utf-8', 'replace')),
                        "imap.folder")
    uv = conn.response("UIDVALIDITY")[1]
    try:
        res.uidvalidity = int(uv[0]) if uv and uv[0] else 0
    except (TypeError, ValueError):
        res.uidvalidity = 0
    if res.uidvalidity == 0:
        typ, data = conn.status(encode_mailbox(folder), "(UIDVALIDITY)")
        m = re.search(rb"UIDVALIDITY (\d+)", data[0] if data and isinstance(data[0], bytes) else b"")
        res.uidvalidity = int(m.group(1)) if m else 0
    known = led.conn.execute("SELECT DISTINCT uidvalidity FROM imap_seen WHERE account=? AND folder=?",
                             (s.account, folder)).fetchall()
    res.uidvalidity_changed = bool(known) and res.uidvalidity not in {r[0] for r in known}
    seen = {r[0] for r in led.conn.execute(
        "SELECT uid FROM imap_seen WHERE account=? AND folder=? AND uidvalidity=?",
        (s.account, folder, res.uidvalidity))}
    crit = ["SINCE", _imap_date(since)] if since else ["ALL"]
    typ, data = conn.uid("SEARCH", *crit)
    _check(typ, data, say("collect.imap.run_3"))
    uids = sorted({int(x) for x in b" ".join(d for d in data if isinstance(d, bytes)).split() if x.isdigit()})
    res.total = len(uids)
    new = [u for u in uids if u not in seen]
    res.already = len(uids) - len(new)
    meta: dict[int, tuple[int | None, str | None]] = {}
    for k in range(0, len(new), FETCH_META_CHUNK):
        chunk = new[k:k + FETCH_META_CHUNK]
        typ, data = conn.uid("FETCH", _uid_set(chunk), "(UID RFC822.SIZE INTERNALDATE)")
        _check(typ, data, say("collect.imap.run_4"))
        meta.update(_parse_meta(data))
    collector.progress.start(len(new))
    for uid in new:
        collector.progress.advance(f"{folder} UID {uid}")
        try:
            _take_one(conn, collector, led, s, folder, res, uid, meta, progress)
        except GiprError as e:
            res.errors.append(f"{folder} UID {uid}：{e}")
        except (imaplib.IMAP4.abort, OSError, EOFError) as e:
            res.errors.append(connection_problem(e, s.host, s.port, say("collect.imap.enter_4"))
                              + say("collect.imap.run_5"))
            break


def _take_one(conn, collector, led, s: ImapSettings, folder: str, res: ImapResult, uid: int,
              meta: dict[int, tuple[int | None, str | None]], progress) -> None:
    import hashlib

    size, idate = meta.get(uid, (None, None))
    received = _internal_iso(idate)
    origin = f"imap://{s.user}@{s.host}:{s.port}/{folder};UIDVALIDITY={res.uidvalidity}/;UID={uid}"
    label = f"{folder} UID {uid}"
    if uid not in meta:
        res.vanished += 1  # expunged by another client since the search
        return
    if size is not None and size > MAX_MESSAGE_BYTES:
        collector.result.skipped.append(Outcome(
            label, origin, "skipped", code="mail.too_large",
            reason=say("collect.imap.take_one.reason", value=size / 1048576, value2=MAX_MESSAGE_BYTES // 1048576)))
        res.too_large += 1
        _remember(led, s, folder, res.uidvalidity, uid, size, received, None, "too_large", say("collect.imap.take_one"), utc_now())
        return
    typ, data = conn.uid("FETCH", str(uid), "(BODY.PEEK[])")
    _check(typ, data, say("collect.imap.take_one_2", uid=uid))
    raw = _body_of(data)
    if raw is None:
        res.vanished += 1
        return
    res.fetched += 1
    mid = _message_id(raw)
    if mid and mid in _own_message_ids(led):
        # a copy of a message gipr sent (a Bcc to the clerk, or the Sent folder): the
        # attachment is the blank template, not a unit's submission
        res.own += 1
        _remember(led, s, folder, res.uidvalidity, uid, len(raw), received, hashlib.sha256(raw).hexdigest(),
                  "own", say("collect.imap.take_one_3"), utc_now())
        return
    collector.collect_message(raw, origin=origin, received_fallback=received, display_name=label)
    _remember(led, s, folder, res.uidvalidity, uid, len(raw), received, hashlib.sha256(raw).hexdigest(),
              "collected", None, utc_now())
    if progress:
        progress(label)


def _message_id(raw: bytes) -> str | None:
    return message_id_of(raw)


def _own_message_ids(led) -> set[str]:
    try:
        return {r[0] for r in led.conn.execute("SELECT message_id FROM mail_sends")}
    except Exception:
        return set()


def _remember(led, s: ImapSettings, folder: str, uidvalidity: int, uid: int, size: int | None, received: str | None,
              sha: str | None, outcome: str, note: str | None, now: str) -> None:
    with led.transaction() as conn:
        conn.execute("INSERT OR IGNORE INTO imap_seen(account, folder, uidvalidity, uid, size, internal_date,"
                     " message_sha256, outcome, note, seen_at) VALUES(?,?,?,?,?,?,?,?,?,?)",
                     (s.account, folder, uidvalidity, uid, size, received, sha, outcome, note, now))


def imap_fetcher(ws: Workspace, since: str | None, folder: str | None,
                 on_fetched: Callable[[ImapResult], None] | None = None, *, password: str | None = None,
                 interactive: bool | None = None) -> Callable[[Any], ImapResult]:
    """For ``gipr collect --imap``: reads the settings and asks the password now (before
    the workspace lock is taken); returns the fetch to run under the lock.  Connection
    problems met half-way become skipped outcomes (exit status 2), with what was taken
    before them kept.  ``on_fetched(result)`` is called after the fetch (a front end
    reports it); nothing here prints.  ``password``: given (a web form), else from the
    environment or, when ``interactive``, a prompt."""

    settings, day = imap_settings(ws), parse_since(since)
    password = password or imap_password(settings, interactive=interactive)

    def run(collector) -> ImapResult:
        r = collect_imap(ws, collector, settings=settings, password=password, folder=folder, since=day)
        collector.result.skipped.extend(Outcome(f"{r.folder}", r.account, "skipped", reason=e, code="imap.error")
                                        for e in r.errors)
        if on_fetched is not None:
            on_fetched(r)
        return r

    return run
