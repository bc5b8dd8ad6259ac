"""Transports: SMTP (one connection per run, reconnects, refusals per recipient) and the dry run."""

from __future__ import annotations

import base64
import contextlib
import re
import smtplib
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..account.settings import MailSettings, connection_problem, tls_context
from ..catalogue.access import say
from ..errors import GiprError, Interrupted
from ..fsio import atomic_write_bytes, safe_filename

if TYPE_CHECKING:  # pragma: no cover
    from .send import Composed, MailJob

# --- transports ----------------------------------------------------------------------------------


@dataclass
class Delivery:
    status: str  # sent | failed | uncertain | written
    refused: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    path: str | None = None
    connection_lost: bool = False


class _DotMixin:
    """Notes when the message's final ``CRLF.CRLF`` is handed to the socket: a failure
    after that point may still mean the server accepted the message."""

    dot_sent = False

    def send(self, s):
        if isinstance(s, (bytes, bytearray)) and s.endswith(b"\r\n.\r\n"):
            self.dot_sent = True
        return super().send(s)  # type: ignore[misc]  # a mixin: smtplib.SMTP.send follows it in the MRO


class _SMTP(_DotMixin, smtplib.SMTP):
    pass


class _SMTPSSL(_DotMixin, smtplib.SMTP_SSL):
    pass


def _reply_text(code: int, msg: bytes | str) -> str:
    text = msg.decode("utf-8", "replace") if isinstance(msg, (bytes, bytearray)) else str(msg)
    text = re.sub(r"\s+", " ", text).strip()
    return f"{code} {text}"


class SmtpTransport:
    """One SMTP connection, reopened after it is lost."""

    def __init__(self, settings: MailSettings, password: str | None):
        self.settings = settings
        self.password = password
        self.conn: _SMTP | _SMTPSSL | None = None
        self.failed_connects = 0
        self.server = f"{settings.host}:{settings.port}"

    def open(self) -> None:
        """Connect, secure and log in; GiprError (Chinese) on failure."""
        if self.conn is not None:
            return
        s = self.settings
        ctx = tls_context(s.cafile, s.tls_verify) if s.security != "none" else None
        helo = s.helo or socket.gethostname() or "localhost"
        conn: _SMTP | _SMTPSSL | None = None
        try:
            if s.security == "ssl":
                conn = _SMTPSSL(s.host, s.port, local_hostname=helo, timeout=s.timeout, context=ctx)
            else:
                conn = _SMTP(s.host, s.port, local_hostname=helo, timeout=s.timeout)
            conn.ehlo()
            if s.security == "starttls":
                if not conn.has_extn("starttls"):
                    raise GiprError(say("mail.transport.open", server=self.server),
                                    "mail.no_starttls")
                conn.starttls(context=ctx)
                conn.ehlo()
            if s.user and self.password:
                if not conn.has_extn("auth"):
                    raise GiprError(say("mail.transport.open_2", server=self.server)
                                    + (say("mail.transport.open_3")
                                       if s.security == "none" else "。"), "mail.no_auth")
                _login(conn, s.user, self.password)
        except GiprError:
            _quiet_close(conn)
            raise
        except smtplib.SMTPAuthenticationError as e:
            _quiet_close(conn)
            raise GiprError(say("mail.transport.open_4", reply_text=_reply_text(e.smtp_code, e.smtp_error)), "mail.login_failed") from None
        except smtplib.SMTPResponseException as e:
            _quiet_close(conn)
            raise GiprError(say("mail.transport.open_5", server=self.server,
                                reply_text=_reply_text(e.smtp_code, e.smtp_error)),
                            "mail.connect_failed") from None
        except (smtplib.SMTPException, OSError, EOFError) as e:
            _quiet_close(conn)
            raise GiprError(connection_problem(e, s.host, s.port, say("mail.transport.open_6")), "mail.connect_failed") from None
        self.conn = conn

    def close(self) -> None:
        if self.conn is not None:
            with contextlib.suppress(Exception):
                self.conn.quit()
            _quiet_close(self.conn)
            self.conn = None

    def deliver(self, job: MailJob, composed: Composed) -> Delivery:
        d = self._deliver_once(job, composed)
        if d.status == "failed" and d.connection_lost and not d.refused and self.failed_connects == 0:
            # the connection was found dead before the message went out (a server that
            # closes idle or busy connections): nothing was delivered, so one more try
            # on a fresh connection is safe
            d2 = self._deliver_once(job, composed)
            if d2.status != "failed":
                return d2
            d2.error = say("mail.transport.deliver.error", error=d2.error)
            return d2
        return d

    def _deliver_once(self, job: MailJob, composed: Composed) -> Delivery:
        try:
            self.open()
            self.failed_connects = 0
        except GiprError as e:
            self.failed_connects += 1
            return Delivery("failed", error=say("mail.transport.deliver_once.error", e=e), connection_lost=True)
        conn = self.conn
        assert conn is not None
        conn.dot_sent = False
        try:
            refused = conn.sendmail(self.settings.from_addr, job.recipients, composed.raw)
        except smtplib.SMTPRecipientsRefused as e:
            return Delivery("failed", refused={a: _reply_text(c, m) for a, (c, m) in e.recipients.items()},
                            error=say("mail.transport.deliver_once.error_2") + "；".join(f"{a}（{_reply_text(c, m)}）"
                                                           for a, (c, m) in e.recipients.items()))
        except smtplib.SMTPResponseException as e:
            if e.smtp_code == 421:  # the server is closing this connection: the next unit reconnects
                self._drop()
            if isinstance(e, smtplib.SMTPSenderRefused):
                why = say("mail.transport.deliver_once.why", from_addr=self.settings.from_addr,
                          reply_text=_reply_text(e.smtp_code, e.smtp_error))
            elif isinstance(e, smtplib.SMTPDataError):
                why = say("mail.transport.deliver_once.why_2", reply_text=_reply_text(e.smtp_code, e.smtp_error))
            else:
                why = say("mail.transport.deliver_once.why_3", reply_text=_reply_text(e.smtp_code, e.smtp_error))
            return Delivery("failed", error=why)
        except (smtplib.SMTPException, OSError, EOFError) as e:
            after_dot = bool(getattr(conn, "dot_sent", False))
            self._drop()
            why = connection_problem(e, self.settings.host, self.settings.port, say("mail.transport.open_6"))
            if after_dot:
                return Delivery("uncertain", error=say("mail.transport.deliver_once.error_3", why=why), connection_lost=True)
            return Delivery("failed", error=say("mail.transport.deliver_once.error_4", why=why), connection_lost=True)
        except BaseException:
            # Ctrl-C and the like: the caller records what is known, then stops
            after_dot = bool(getattr(conn, "dot_sent", False))
            self._drop()
            raise Interrupted("uncertain" if after_dot else "failed") from None
        if refused:
            return Delivery("sent", refused={a: _reply_text(c, m) for a, (c, m) in refused.items()},
                            error=say("mail.transport.deliver_once.error_5") + "；".join(f"{a}（{_reply_text(c, m)}）"
                                                          for a, (c, m) in refused.items()))
        return Delivery("sent")

    def _drop(self) -> None:
        conn, self.conn = self.conn, None
        _quiet_close(conn)


def _login(conn: smtplib.SMTP, user: str, password: str) -> None:
    """smtplib's login, except that a non-ASCII user or password (a Chinese password) goes
    as UTF-8 in AUTH PLAIN (RFC 4616) instead of failing on an ASCII encode."""
    if user.isascii() and password.isascii():
        conn.login(user, password)
        return
    mechs = (conn.esmtp_features.get("auth") or "").upper().split()
    if "PLAIN" not in mechs:
        raise GiprError(say("mail.transport.login"),
                        "mail.login_failed")
    token = base64.b64encode(b"\0" + user.encode("utf-8") + b"\0" + password.encode("utf-8")).decode("ascii")
    code, resp = conn.docmd("AUTH", "PLAIN " + token)
    if code == 334:  # the server wants the response on its own line
        code, resp = conn.docmd(token)
    if code not in (235, 503):
        raise smtplib.SMTPAuthenticationError(code, resp)


def _quiet_close(conn) -> None:
    if conn is not None:
        with contextlib.suppress(Exception):
            conn.close()


class DryRunTransport:
    """Writes each message as an .eml file instead of sending it."""

    server = "dry-run"
    failed_connects = 0

    def __init__(self, outdir: str | Path):
        self.outdir = Path(outdir)
        if self.outdir.exists() and not self.outdir.is_dir():
            raise GiprError(say("mail.transport.init", outdir=self.outdir), "mail.out")
        self.outdir.mkdir(parents=True, exist_ok=True)

    def open(self) -> None:
        pass

    def close(self) -> None:
        pass

    def deliver(self, job: MailJob, composed: Composed) -> Delivery:
        base = safe_filename(f"{job.unit.code}_{job.unit.name}.eml")
        path = self.outdir / base
        i = 2
        while path.exists():
            path = self.outdir / f"{base[:-4]}_{i}.eml"
            i += 1
        atomic_write_bytes(path, composed.raw)
        return Delivery("written", path=str(path))
