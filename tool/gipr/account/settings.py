"""[mail] settings of a workspace: the SMTP server, sender, password, TLS."""

from __future__ import annotations

import getpass
import os
import re
import socket
import ssl
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from email.policy import compat32
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..catalogue.access import say
from ..errors import GiprError
from ..fsio import atomic_write_bytes
from . import keystore

if TYPE_CHECKING:
    from ..collect.workspace import Workspace

MAIL_DIR = "mail"
TEMPLATE_FILES = {"send": "send.txt", "remind": "remind.txt"}
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SECURITIES = ("ssl", "starttls", "none")
DEFAULT_PORTS = {"ssl": 465, "starttls": 587, "none": 25}
SMTP_PASSWORD_ENV = ("GIPR_SMTP_PASSWORD", "GIPR_MAIL_PASSWORD")
MAX_FINDINGS_LISTED = 30  # findings listed in a reminder's body
CONNECT_ATTEMPTS = 2  # consecutive failed connections before the rest of a run is given up

SMTP_POLICY = compat32.clone(linesep="\r\n", max_line_length=998)

# --- settings -----------------------------------------------------------------------------

MAIL_SECTION_TEXT = say("mail.settings.mail_section_text")


@dataclass
class MailSettings:
    host: str
    port: int
    security: str
    user: str
    from_addr: str
    from_name: str = ""
    reply_to: str = ""
    deadline: str = ""
    contact: str = ""
    cafile: str = ""
    tls_verify: bool = True
    timeout: float = 60.0
    pause: float = 0.0
    remind_interval_hours: float = 12.0
    helo: str = ""
    placeholder: bool = False  # from_addr is PREVIEW_FROM: [mail] not filled in yet (a dry run only)

    @property
    def domain(self) -> str:
        return self.from_addr.rpartition("@")[2] or "gipr.invalid"


def _section(ws, name: str) -> dict[str, Any]:
    sec = ws.config.get(name)
    if sec is None:
        return {}
    if not isinstance(sec, dict):
        raise GiprError(say("mail.settings.section", config_path=ws.config_path, name=name), "mail.config")
    return sec


def setting_text(sec: dict, key: str, where: str) -> str:
    v = sec.get(key, "")
    if v is None:
        return ""
    if not isinstance(v, (str, int)) or isinstance(v, bool):
        raise GiprError(say("mail.settings.setting_text", where=where, key=key), "mail.config")
    return str(v).strip()


def _number(sec: dict, key: str, default: float, where: str, *, low: float = 0, high: float = 1e9) -> float:
    v = sec.get(key, default)
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        try:
            v = float(str(v).strip())
        except ValueError:
            raise GiprError(say("mail.settings.number", where=where, key=key, v=v), "mail.config") from None
    if not low <= v <= high:
        raise GiprError(say("mail.settings.number_2", where=where, key=key, v=v, low=low, high=high), "mail.config")
    return float(v)


_ADDR = re.compile(r"^[^@\s<>()\[\],;:\"]+@[A-Za-z0-9.-]+\.[A-Za-z0-9-]+$")


def valid_address(addr: str) -> bool:
    return bool(_ADDR.match(addr or "")) and len(addr) <= 254


def server_settings(sec: dict, where: str, default_security: str = "ssl",
                    ports: dict[str, int] | None = None) -> tuple[str, int, str, str, bool, float]:
    """(host, port, security, cafile, tls_verify, timeout) from a [mail] or [imap] section."""
    ports = ports or DEFAULT_PORTS
    host = setting_text(sec, "host", where)
    security = (setting_text(sec, "security", where) or default_security).lower()
    if security not in SECURITIES:
        raise GiprError(say("mail.settings.server_settings", where=where, security=security), "mail.config")
    port = int(_number(sec, "port", ports[security], where, low=1, high=65535))
    cafile = setting_text(sec, "cafile", where)
    if cafile and not Path(cafile).expanduser().is_file():
        raise GiprError(say("mail.settings.server_settings_2", where=where, cafile=cafile), "mail.config")
    verify = sec.get("tls_verify", True)
    if not isinstance(verify, bool):
        raise GiprError(say("mail.settings.server_settings_3", where=where), "mail.config")
    timeout = _number(sec, "timeout", 60, where, low=1, high=3600)
    return host, port, security, cafile, verify, timeout


def ensure_mail_section(ws: Workspace) -> bool:
    """Append an empty, commented [mail]/[imap] section to gipr.toml when it has neither.
    Returns True if it did.  The rest of the file is kept byte for byte."""
    if "mail" in ws.config or "imap" in ws.config:
        return False
    try:
        old = ws.config_path.read_bytes()
    except OSError as e:
        raise GiprError(say("mail.settings.ensure_mail_section", config_path=ws.config_path, value=e.strerror or e), "mail.config") from None
    sep = b"" if old.endswith(b"\n") else b"\n"
    atomic_write_bytes(ws.config_path, old + sep + MAIL_SECTION_TEXT.encode("utf-8"), overwrite=True)
    return True


PREVIEW_FROM = "preview@gipr.invalid"  # the placeholder sender of a preview (RFC 2606: .invalid never resolves)


def mail_settings(ws, *, need_server: bool = True, preview: bool = False) -> MailSettings:
    """The [mail] settings, validated.  A workspace without them gets an empty section in
    its gipr.toml and a message saying what to fill in.  ``preview`` (a dry run): a missing
    section or sender is no error; the settings then have the placeholder sender PREVIEW_FROM
    and ``placeholder`` set (what is filled in is still checked)."""
    where = say("mail.settings.mail_settings.where", config_path=ws.config_path)
    if "mail" not in ws.config:
        added = ensure_mail_section(ws)
        if preview:
            return MailSettings(host="", port=DEFAULT_PORTS["ssl"], security="ssl", user="", from_addr=PREVIEW_FROM,
                                placeholder=True)
        raise GiprError(say("mail.settings.mail_settings", value=say("mail.settings.mail_settings.value") if added else say("mail.settings.mail_settings.value_2"),
                            config_path=ws.config_path, value2=say("mail.settings.mail_settings.value2")), "mail.not_configured")
    sec = _section(ws, "mail")
    host, port, security, cafile, verify, timeout = server_settings(sec, where)
    from_addr = setting_text(sec, "from_addr", where) or setting_text(sec, "from", where)
    login = sec.get("login", True)
    if not isinstance(login, bool):
        raise GiprError(say("mail.settings.mail_settings_2", where=where), "mail.config")
    placeholder = preview and not from_addr
    if placeholder:
        from_addr = PREVIEW_FROM
    user = (setting_text(sec, "user", where) or from_addr) if login else ""
    if not from_addr:
        raise GiprError(say("mail.settings.mail_settings_3", where=where), "mail.config")
    if not valid_address(from_addr):
        raise GiprError(say("mail.settings.mail_settings_4", where=where, from_addr=from_addr), "mail.config")
    reply_to = setting_text(sec, "reply_to", where)
    if reply_to and not valid_address(reply_to):
        raise GiprError(say("mail.settings.mail_settings_5", where=where, reply_to=reply_to), "mail.config")
    if need_server and not host:
        raise GiprError(say("mail.settings.mail_settings_6", where=where), "mail.config")
    return MailSettings(
        host=host, port=port, security=security, user=user, from_addr=from_addr,
        from_name=setting_text(sec, "from_name", where), reply_to=reply_to, deadline=setting_text(sec, "deadline", where),
        contact=setting_text(sec, "contact", where), cafile=cafile, tls_verify=verify, timeout=timeout,
        pause=_number(sec, "pause", 0, where, high=600),
        remind_interval_hours=_number(sec, "remind_interval_hours", 12, where, high=24 * 365),
        helo=setting_text(sec, "helo", where), placeholder=placeholder)


def password_from(env_names: Iterable[str], prompt: str, *, interactive: bool | None = None,
                  stored: Callable[[], str | None] | None = None) -> str:
    """A password from the first set environment variable, else the one kept in the
    operating system's credential store (``stored``, account/keystore.py), else a hidden prompt
    (only on a terminal).  Never written to a file by gipr."""
    names = list(env_names)
    for name in names:
        v = os.environ.get(name)
        if v:
            return v
    if stored is not None:
        v = stored()
        if v:
            return v
    if interactive is None:
        interactive = _stdin_is_tty()
    if not interactive:
        raise GiprError(say("mail.settings.password_from", names=names[0]),
                        "mail.no_password")
    try:
        pw = getpass.getpass(prompt)
    except (EOFError, KeyboardInterrupt):
        raise GiprError(say("mail.settings.password_from_2"), "mail.no_password") from None
    if not pw:
        raise GiprError(say("mail.settings.password_from_3"), "mail.no_password")
    return pw


def _stdin_is_tty() -> bool:
    try:
        import sys

        return sys.stdin is not None and sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


def smtp_password(settings: MailSettings, *, interactive: bool | None = None) -> str:
    return password_from(SMTP_PASSWORD_ENV, say("mail.settings.smtp_password", user=settings.user), interactive=interactive,
                         stored=lambda: keystore.get("smtp", settings.user, settings.host))


def tls_context(cafile: str, verify: bool) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=str(Path(cafile).expanduser()) if cafile else None)
    if not verify:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


def connection_problem(e: BaseException, host: str, port: int, what: str = say("mail.settings.connection_problem")) -> str:
    """A Chinese sentence for a failure to reach or talk TLS to a server."""
    if isinstance(e, socket.gaierror):
        return say("mail.settings.connection_problem_2", what=what, host=host)
    if isinstance(e, ConnectionRefusedError):
        return say("mail.settings.connection_problem_3", what=what, host=host, port=port)
    if isinstance(e, (socket.timeout, TimeoutError)):
        return say("mail.settings.connection_problem_4", what=what, host=host, port=port)
    if isinstance(e, ssl.SSLCertVerificationError):
        return (say("mail.settings.connection_problem_5", what=what, host=host, value=e.verify_message or e))
    if isinstance(e, ssl.SSLError):
        return (say("mail.settings.connection_problem_6", what=what, host=host, port=port, value=e.reason or e))
    if isinstance(e, (ConnectionResetError, ConnectionAbortedError, BrokenPipeError, EOFError)):
        return say("mail.settings.connection_problem_7", what=what, host=host, port=port)
    if isinstance(e, OSError):
        return say("mail.settings.connection_problem_8", what=what, host=host, port=port, value=e.strerror or e)
    return say("mail.settings.connection_problem_9", what=what, host=host, port=port, e=e)
