"""Building a message: RFC 2047/2231 headers for Chinese names, the workbook attachment, CRLF."""

from __future__ import annotations

import base64
import datetime as _dt
import email.utils
import re
import urllib.parse
import uuid
from collections.abc import Sequence
from email import encoders
from email.generator import BytesGenerator
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from io import BytesIO

from .. import __version__
from ..account.settings import SMTP_POLICY, XLSX_TYPE, MailSettings

# --- building messages ---------------------------------------------------------------------


def encode_rfc2047_words(text: str, charset: str = "utf-8", max_bytes: int = 45) -> str:
    """``text`` as RFC 2047 base64 encoded words of at most 75 characters each, split on
    character boundaries, separated by single spaces."""
    words, chunk = [], ""
    for ch in text:
        if len((chunk + ch).encode(charset)) > max_bytes:
            words.append(chunk)
            chunk = ch
        else:
            chunk += ch
    if chunk or not words:
        words.append(chunk)
    return " ".join(f"=?{charset}?B?{base64.b64encode(w.encode(charset)).decode('ascii')}?=" for w in words)


def _rfc2231(text: str) -> str:
    return "utf-8''" + urllib.parse.quote(text.encode("utf-8"), safe="")


def attachment_part(name: str, data: bytes, content_type: str = XLSX_TYPE) -> MIMEBase:
    """A base64 attachment whose Chinese file name every common client shows: an RFC 2231
    ``filename*`` in Content-Disposition (Outlook 2007+, Thunderbird, Apple Mail, Gmail,
    Python) and an RFC 2047 ``name=`` in Content-Type (Coremail, QQ Mail, Foxmail, old
    Outlook read that one)."""
    maintype, _, subtype = content_type.partition("/")
    part = MIMEBase(maintype, subtype)
    del part["MIME-Version"]
    part.set_payload(data)
    encoders.encode_base64(part)
    del part["Content-Type"]
    if name.isascii() and '"' not in name and "\\" not in name:
        part["Content-Type"] = f'{content_type}; name="{name}"'
        part["Content-Disposition"] = f'attachment; filename="{name}"'
    else:
        part["Content-Type"] = f'{content_type};\r\n name="{encode_rfc2047_words(name)}"'
        part["Content-Disposition"] = f"attachment;\r\n filename*={_rfc2231(name)}"
    # keep Content-Transfer-Encoding after Content-Type, as clients write it
    cte = part["Content-Transfer-Encoding"]
    del part["Content-Transfer-Encoding"]
    part["Content-Transfer-Encoding"] = cte
    return part


def _header(text: str) -> str:
    """A header value: ASCII as is, otherwise RFC 2047 encoded words (folded)."""
    text = re.sub(r"[\r\n\t]+", " ", text).strip()
    if text.isascii():
        return text
    return "\r\n ".join(encode_rfc2047_words(text).split(" "))


def _address(name: str, addr: str) -> str:
    name = re.sub(r"[\r\n\t]+", " ", name or "").strip()
    if not name:
        return addr
    if name.isascii():
        return email.utils.formataddr((name, addr))
    return f"{encode_rfc2047_words(name)} <{addr}>"


def make_message_id(domain: str) -> str:
    """A fresh Message-ID (without angle brackets)."""
    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y%m%d%H%M%S")
    return f"gipr.{stamp}.{uuid.uuid4().hex}@{domain}"


def build_message(settings: MailSettings, *, to: list[tuple[str, str]], subject: str, body: str,
                  attachments: Sequence[tuple[str, bytes]] = (), message_id: str | None = None,
                  date: _dt.datetime | None = None, extra_headers: dict[str, str] | None = None) -> tuple[bytes, str]:
    """(raw message bytes with CRLF line ends, Message-ID without brackets)."""
    mid = message_id or make_message_id(settings.domain)
    msg = MIMEMultipart("mixed")
    msg["From"] = _address(settings.from_name, settings.from_addr)
    msg["To"] = ",\r\n ".join(_address(n, a) for n, a in to)
    if settings.reply_to:
        msg["Reply-To"] = settings.reply_to
    msg["Subject"] = _header(subject)
    msg["Date"] = email.utils.format_datetime((date or _dt.datetime.now()).astimezone())
    msg["Message-ID"] = f"<{mid}>"
    msg["X-Mailer"] = f"gipr {__version__}"
    for k, v in (extra_headers or {}).items():
        msg[k] = _header(v)
    msg.preamble = "This is a multi-part message in MIME format."
    text = MIMEText(body.replace("\r\n", "\n").replace("\n", "\r\n"), "plain", "utf-8")
    del text["MIME-Version"]
    msg.attach(text)
    for name, data in attachments:
        msg.attach(attachment_part(name, data))
    buf = BytesIO()
    BytesGenerator(buf, mangle_from_=False, policy=SMTP_POLICY).flatten(msg)
    raw = buf.getvalue()
    return raw, mid
