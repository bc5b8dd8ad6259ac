"""Build real e-mail messages the way Chinese mail systems write them (test support).

``make_message(attachments, ...)`` returns the bytes of a multipart message built with
Python's email package; each attachment is ``(name, data, style)`` where style says how
the file name is encoded:

* ``"rfc2231"``      filename*=UTF-8''… (what Python, Thunderbird, Gmail send)
* ``"rfc2231-gb"``   filename*=gb2312''… with GBK bytes
* ``"rfc2047-gb2312"`` name="=?GB2312?B?…?=" in Content-Type and Content-Disposition
  (Coremail, QQ Mail, Outlook on Chinese Windows); the bytes are GBK, so characters
  outside GB2312 are mislabelled exactly as those clients do
* ``"rfc2047-gbk"``  the same labelled GBK
* ``"rfc2047-utf8-q"`` quoted-printable UTF-8 encoded words
* ``"raw-gbk"``      raw 8-bit GBK bytes in the quoted parameter (old Foxmail, webmail)
* ``"raw-utf8"``     raw 8-bit UTF-8 bytes
* ``"ctype-only"``   the name only in Content-Type (no Content-Disposition)
* ``"none"``         no name at all
"""

from __future__ import annotations

import base64
import email.utils
import mailbox
from email import encoders
from email.header import Header
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from pathlib import Path

XLSX_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def _placeholder(i: int) -> str:
    return f"GIPRNAMEPLACEHOLDER{i:03d}.xlsx"


def make_message(attachments: list[tuple[str, bytes, str]], *, sender: str = "单位 <unit@example.cn>",
                 subject: str = "2025年政府信息公开工作年度报告统计表", date: str | None = None,
                 message_id: str | None = None, body: str = "请查收。", to: str = "county@example.cn") -> bytes:
    msg = MIMEMultipart()
    name, addr = email.utils.parseaddr(sender)
    msg["From"] = email.utils.formataddr((str(Header(name, "gbk")) if name else "", addr)) if name else addr
    msg["To"] = to
    msg["Subject"] = Header(subject, "gbk")
    msg["Date"] = date or email.utils.formatdate(localtime=True)
    if message_id != "":
        msg["Message-ID"] = message_id or email.utils.make_msgid(domain="example.cn")
    msg.attach(MIMEText(body, "plain", "gbk"))
    raw_names: dict[str, bytes] = {}
    for i, (fname, data, style) in enumerate(attachments):
        part = MIMEBase(*XLSX_TYPE)
        part.set_payload(data)
        encoders.encode_base64(part)
        if style == "rfc2231":
            part.add_header("Content-Disposition", "attachment", filename=("utf-8", "", fname))
        elif style == "rfc2231-gb":
            # labelled gb2312, bytes GBK (Python's own encoder would refuse GBK-only characters)
            from urllib.parse import quote

            part["Content-Disposition"] = f"attachment; filename*=gb2312''{quote(fname.encode('gbk'))}"
        elif style.startswith("rfc2047"):
            if style == "rfc2047-utf8-q":
                word = "=?utf-8?Q?" + "".join(f"={b:02X}" for b in fname.encode("utf-8")) + "?="
            else:
                label = "GB2312" if style == "rfc2047-gb2312" else "GBK"
                word = f"=?{label}?B?{base64.b64encode(fname.encode('gbk')).decode()}?="
            del part["Content-Type"]
            part["Content-Type"] = f'{"/".join(XLSX_TYPE)}; name="{word}"'
            part["Content-Disposition"] = f'attachment; filename="{word}"'
        elif style in ("raw-gbk", "raw-utf8"):
            ph = _placeholder(i)
            raw_names[ph] = fname.encode("gbk" if style == "raw-gbk" else "utf-8")
            del part["Content-Type"]
            part["Content-Type"] = f'{"/".join(XLSX_TYPE)}; name="{ph}"'
            part["Content-Disposition"] = f'attachment; filename="{ph}"'
        elif style == "ctype-only":
            del part["Content-Type"]
            part["Content-Type"] = f'application/octet-stream; name="{fname}"' if fname.isascii() else \
                f'application/octet-stream; name="=?UTF-8?B?{base64.b64encode(fname.encode()).decode()}?="'
        elif style == "none":
            pass
        elif style == "literal":  # the name exactly as given (hostile names), ASCII only
            part["Content-Disposition"] = f'attachment; filename="{fname}"'
        else:
            raise ValueError(style)
        msg.attach(part)
    raw = msg.as_bytes()
    for ph, b in raw_names.items():
        raw = raw.replace(ph.encode(), b)
    return raw


def write_mbox(path: Path, messages: list[bytes]) -> Path:
    box = mailbox.mbox(str(path), create=True)
    try:
        for m in messages:
            box.add(m)
        box.flush()
    finally:
        box.close()
    return path


def write_maildir(path: Path, messages: list[bytes]) -> Path:
    box = mailbox.Maildir(str(path), create=True)
    try:
        for m in messages:
            box.add(m)
    finally:
        box.close()
    return path
