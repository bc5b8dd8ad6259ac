"""Outgoing e-mail: each unit's template (``gipr send``) and reminders (``gipr remind``).

Settings live in the workspace config (``gipr.toml``), section ``[mail]``::

    host, port, security (ssl | starttls | none), user, login, from_addr, from_name,
    reply_to, deadline, contact, cafile, tls_verify, timeout, pause, remind_interval_hours, helo

and optionally ``[template]`` password / protect for the attached templates.

The password is never stored: it comes from ``$GIPR_SMTP_PASSWORD`` (or
``$GIPR_MAIL_PASSWORD``) or an interactive prompt.

Subject and body come from editable Chinese text templates in the workspace
(``mail/send.txt``, ``mail/remind.txt``, written with defaults on first use).

No message is sent twice: every send is a row in the ledger table ``mail_sends``,
written as ``pending`` (with its Message-ID) *before* the SMTP transaction and set to
``sent``/``failed``/``uncertain`` after it.  A unit with a ``sent`` row is skipped by the
next run; a row left ``pending`` by a killed run, or a failure after the message's final
dot went out (the server may have accepted it), becomes ``uncertain`` and is never resent
automatically: the clerk checks and uses ``--resend``.  A failure before the final dot is
``failed`` and is retried by the next run.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as _dt
import email.utils
import getpass
import os
import re
import smtplib
import socket
import ssl
import tempfile
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from email import encoders
from email.generator import BytesGenerator
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import compat32
from io import BytesIO
from pathlib import Path
from typing import Any, Callable, Iterable

from . import __version__
from .errors import GiprError
from .fsio import atomic_write_bytes, safe_filename

__all__ = [
    "MAIL_DIR", "XLSX_TYPE", "MailSettings", "mail_settings", "ensure_mail_section", "smtp_password",
    "TextTemplate", "load_text_template", "build_message", "attachment_part", "encode_rfc2047_words",
    "MailJob", "MailOutcome", "SendRecord", "Composer", "SmtpTransport", "DryRunTransport", "Delivery",
    "ensure_mail_tables", "send_history", "plan_send", "plan_remind", "run_jobs", "resolve_units",
]

MAIL_DIR = "mail"
TEMPLATE_FILES = {"send": "send.txt", "remind": "remind.txt"}
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SECURITIES = ("ssl", "starttls", "none")
DEFAULT_PORTS = {"ssl": 465, "starttls": 587, "none": 25}
SMTP_PASSWORD_ENV = ("GIPR_SMTP_PASSWORD", "GIPR_MAIL_PASSWORD")
MAX_FINDINGS_LISTED = 30  # findings listed in a reminder's body
CONNECT_ATTEMPTS = 2  # consecutive failed connections before the rest of a run is given up

_POLICY = compat32.clone(linesep="\r\n", max_line_length=998)

# --- settings -----------------------------------------------------------------------------

MAIL_SECTION_TEXT = """
[mail]
# 发件邮箱设置（gipr send / gipr remind 使用）。密码不写在这里：运行前设置环境变量
# GIPR_SMTP_PASSWORD，或在运行时按提示输入。QQ 邮箱、163 邮箱等请使用“授权码”。
# 发件服务器（SMTP），如 smtp.example.gov.cn
host = ""
# 端口：ssl 通常为 465，starttls 通常为 587
port = 465
# 加密方式：ssl、starttls 或 none（不加密，不建议）
security = "ssl"
# 登录用户名（通常就是邮箱地址；留空则用 from_addr）。内部中继服务器无需登录时写 login = false
user = ""
# 发件人邮箱地址和显示名称
from_addr = ""
from_name = ""
# 回复地址（留空则回复到发件人）
reply_to = ""
# 报送截止日期（写入邮件正文），如 2026年1月15日
deadline = ""
# 联系方式（写入邮件正文），如 县政务公开办 张三 0123-4567890
contact = ""

[imap]
# 收件邮箱设置（gipr collect --imap 使用）。密码：环境变量 GIPR_IMAP_PASSWORD 或运行时输入。
# 收件服务器（IMAP），如 imap.example.gov.cn
host = ""
# 端口：ssl 通常为 993，starttls 通常为 143
port = 993
security = "ssl"
# 登录用户名（留空则用 [mail] 的 user）
user = ""
folder = "INBOX"
"""


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
        raise GiprError(f"工作目录配置 {ws.config_path} 中的 {name} 必须是一个 [{name}] 小节。", "mail.config")
    return sec


def _text(sec: dict, key: str, where: str) -> str:
    v = sec.get(key, "")
    if v is None:
        return ""
    if not isinstance(v, (str, int)) or isinstance(v, bool):
        raise GiprError(f"{where} 中的 {key} 应为文字（用英文双引号括起来）。", "mail.config")
    return str(v).strip()


def _number(sec: dict, key: str, default: float, where: str, *, low: float = 0, high: float = 1e9) -> float:
    v = sec.get(key, default)
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        try:
            v = float(str(v).strip())
        except ValueError:
            raise GiprError(f"{where} 中的 {key} 应为数字，现在是“{v}”。", "mail.config") from None
    if not low <= v <= high:
        raise GiprError(f"{where} 中的 {key} = {v} 超出合理范围（{low:g}–{high:g}）。", "mail.config")
    return float(v)


_ADDR = re.compile(r"^[^@\s<>()\[\],;:\"]+@[A-Za-z0-9.-]+\.[A-Za-z0-9-]+$")


def valid_address(addr: str) -> bool:
    return bool(_ADDR.match(addr or "")) and len(addr) <= 254


def server_settings(sec: dict, where: str, default_security: str = "ssl",
                    ports: dict[str, int] | None = None) -> tuple[str, int, str, str, bool, float]:
    """(host, port, security, cafile, tls_verify, timeout) from a [mail] or [imap] section."""
    ports = ports or DEFAULT_PORTS
    host = _text(sec, "host", where)
    security = (_text(sec, "security", where) or default_security).lower()
    if security not in SECURITIES:
        raise GiprError(f"{where} 中的 security = “{security}” 无效，应为 ssl、starttls 或 none。", "mail.config")
    port = int(_number(sec, "port", ports[security], where, low=1, high=65535))
    cafile = _text(sec, "cafile", where)
    if cafile and not Path(cafile).expanduser().is_file():
        raise GiprError(f"{where} 中的 cafile 文件不存在：{cafile}", "mail.config")
    verify = sec.get("tls_verify", True)
    if not isinstance(verify, bool):
        raise GiprError(f"{where} 中的 tls_verify 应为 true 或 false。", "mail.config")
    timeout = _number(sec, "timeout", 60, where, low=1, high=3600)
    return host, port, security, cafile, verify, timeout


def ensure_mail_section(ws) -> bool:
    """Append an empty, commented [mail]/[imap] section to gipr.toml when it has neither.
    Returns True if it did.  The rest of the file is kept byte for byte."""
    if "mail" in ws.config or "imap" in ws.config:
        return False
    try:
        old = ws.config_path.read_bytes()
    except OSError as e:
        raise GiprError(f"无法读取 {ws.config_path}：{e.strerror or e}", "mail.config") from None
    sep = b"" if old.endswith(b"\n") else b"\n"
    atomic_write_bytes(ws.config_path, old + sep + MAIL_SECTION_TEXT.encode("utf-8"), overwrite=True)
    return True


PREVIEW_FROM = "preview@gipr.invalid"  # the placeholder sender of a preview (RFC 2606: .invalid never resolves)


def mail_settings(ws, *, need_server: bool = True, preview: bool = False) -> MailSettings:
    """The [mail] settings, validated.  A workspace without them gets an empty section in
    its gipr.toml and a message saying what to fill in.  ``preview`` (a dry run): a missing
    section or sender is no error; the settings then have the placeholder sender PREVIEW_FROM
    and ``placeholder`` set (what is filled in is still checked)."""
    where = f"{ws.config_path} 的 [mail]"
    if "mail" not in ws.config:
        added = ensure_mail_section(ws)
        if preview:
            return MailSettings(host="", port=DEFAULT_PORTS["ssl"], security="ssl", user="", from_addr=PREVIEW_FROM,
                                placeholder=True)
        raise GiprError(f"还没有设置发件邮箱。{'已在' if added else '请在'} {ws.config_path} 中"
                        f"{'加入' if added else '加入'} [mail] 小节，请填写 host（发件服务器）、port、security、"
                        "from_addr（发件人邮箱）等后再运行。", "mail.not_configured")
    sec = _section(ws, "mail")
    host, port, security, cafile, verify, timeout = server_settings(sec, where)
    from_addr = _text(sec, "from_addr", where) or _text(sec, "from", where)
    login = sec.get("login", True)
    if not isinstance(login, bool):
        raise GiprError(f"{where} 中的 login 应为 true 或 false。", "mail.config")
    placeholder = preview and not from_addr
    if placeholder:
        from_addr = PREVIEW_FROM
    user = (_text(sec, "user", where) or from_addr) if login else ""
    if not from_addr:
        raise GiprError(f"{where} 中缺少 from_addr（发件人邮箱地址）。", "mail.config")
    if not valid_address(from_addr):
        raise GiprError(f"{where} 中的 from_addr “{from_addr}” 不是有效的邮箱地址。", "mail.config")
    reply_to = _text(sec, "reply_to", where)
    if reply_to and not valid_address(reply_to):
        raise GiprError(f"{where} 中的 reply_to “{reply_to}” 不是有效的邮箱地址。", "mail.config")
    if need_server and not host:
        raise GiprError(f"{where} 中缺少 host（发件服务器，如 smtp.example.gov.cn）。", "mail.config")
    return MailSettings(
        host=host, port=port, security=security, user=user, from_addr=from_addr,
        from_name=_text(sec, "from_name", where), reply_to=reply_to, deadline=_text(sec, "deadline", where),
        contact=_text(sec, "contact", where), cafile=cafile, tls_verify=verify, timeout=timeout,
        pause=_number(sec, "pause", 0, where, high=600),
        remind_interval_hours=_number(sec, "remind_interval_hours", 12, where, high=24 * 365),
        helo=_text(sec, "helo", where), placeholder=placeholder)


def password_from(env_names: Iterable[str], prompt: str, *, interactive: bool | None = None) -> str:
    """A password from the first set environment variable, else a hidden prompt (only on a
    terminal).  Never stored anywhere."""
    names = list(env_names)
    for name in names:
        v = os.environ.get(name)
        if v:
            return v
    if interactive is None:
        interactive = _stdin_is_tty()
    if not interactive:
        raise GiprError(f"需要邮箱密码：请设置环境变量 {names[0]}，或在终端中运行以便输入密码。",
                        "mail.no_password")
    try:
        pw = getpass.getpass(prompt)
    except (EOFError, KeyboardInterrupt):
        raise GiprError("未输入密码，已取消。", "mail.no_password") from None
    if not pw:
        raise GiprError("密码为空，已取消。", "mail.no_password")
    return pw


def _stdin_is_tty() -> bool:
    try:
        import sys

        return sys.stdin is not None and sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


def smtp_password(settings: MailSettings, *, interactive: bool | None = None) -> str:
    return password_from(SMTP_PASSWORD_ENV, f"发件邮箱 {settings.user} 的密码（或授权码）：", interactive=interactive)


def tls_context(cafile: str, verify: bool) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=str(Path(cafile).expanduser()) if cafile else None)
    if not verify:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


def connection_problem(e: BaseException, host: str, port: int, what: str = "邮件服务器") -> str:
    """A Chinese sentence for a failure to reach or talk TLS to a server."""
    if isinstance(e, socket.gaierror):
        return f"找不到{what} {host}（域名无法解析），请检查 host 设置和网络。"
    if isinstance(e, ConnectionRefusedError):
        return f"{what} {host}:{port} 拒绝连接，请检查端口（port）和加密方式（security）设置。"
    if isinstance(e, (socket.timeout, TimeoutError)):
        return f"连接{what} {host}:{port} 超时，请检查网络或端口设置。"
    if isinstance(e, ssl.SSLCertVerificationError):
        return (f"{what} {host} 的证书无法验证（{e.verify_message or e}）。如服务器使用自签名证书，"
                "请在配置中设置 cafile = 证书文件路径；或（不推荐）tls_verify = false。")
    if isinstance(e, ssl.SSLError):
        return (f"与{what} {host}:{port} 的加密连接失败（{e.reason or e}）。请检查加密方式与端口是否匹配"
                "（SMTP：465 用 ssl，587 用 starttls；IMAP：993 用 ssl，143 用 starttls）。")
    if isinstance(e, (ConnectionResetError, ConnectionAbortedError, BrokenPipeError, EOFError)):
        return f"{what} {host}:{port} 断开了连接。"
    if isinstance(e, OSError):
        return f"无法连接{what} {host}:{port}：{e.strerror or e}"
    return f"与{what} {host}:{port} 通信失败：{e}"


# --- text templates --------------------------------------------------------------------------

PLACEHOLDERS = {
    "单位名称": "收件单位的名称",
    "单位代码": "收件单位的代码",
    "联系人": "收件单位的联系人（名册中的）",
    "年度": "报告年度",
    "截止日期": "报送截止日期（[mail] deadline）",
    "联系方式": "本单位联系方式（[mail] contact）",
    "本级": "本级名称（如某某县）",
    "发件人": "发件人名称（[mail] from_name）",
    "附件名": "附件文件名",
}
REMIND_PLACEHOLDERS = {
    "情况": "该单位的报送情况（未报送、有错误或无法读取）",
    "问题": "校验发现的问题清单（未报送时为空）",
}
_ALIASES = {"unit": "单位名称", "code": "单位代码", "year": "年度", "deadline": "截止日期", "contact": "联系方式",
            "county": "本级", "sender": "发件人", "attachment": "附件名", "person": "联系人",
            "situation": "情况", "problems": "问题"}
_PLACEHOLDER = re.compile(r"\{([^{}\s]{1,20})\}")

DEFAULT_TEXTS = {
    "send": """\
# 这是 gipr send 发出的邮件模板，可以用记事本修改（保存为 UTF-8）。
# 以“#”开头的行是说明，不会发出。“主题：”一行是邮件主题；空一行之后是正文。
# 可用的占位符（原样写上花括号）：{单位名称} {单位代码} {联系人} {年度} {截止日期} {联系方式} {本级} {发件人} {附件名}
主题：请填报{年度}年度政府信息公开工作年度报告统计表（{单位名称}）

{单位名称}{联系人}同志：

您好！现将{本级}{年度}年度政府信息公开工作年度报告统计表发给贵单位，附件“{附件名}”是贵单位专用的填报模板。请按以下要求填报：

1. 直接在附件中填写淡黄色单元格；灰色单元格为自动合计，无需填写。不要增删行列、修改表格结构，也不要另存为其他格式。
2. 没有发生的事项填 0，不要空着。
3. 填完后查看各表下方的“校验”区域，全部显示“通过”后再报送。
4. 请于{截止日期}前将填好的表格作为附件回复本邮件。

如有疑问，请联系：{联系方式}。

{发件人}
""",
    "remind": """\
# 这是 gipr remind 发出的催报邮件模板，可以用记事本修改（保存为 UTF-8）。
# 以“#”开头的行是说明，不会发出。“主题：”一行是邮件主题；空一行之后是正文。
# 可用的占位符：{单位名称} {单位代码} {联系人} {年度} {截止日期} {联系方式} {本级} {发件人} {附件名}
#   {情况}：该单位的报送情况；{问题}：校验发现的问题清单（未报送时为空）
主题：【提醒】{年度}年度政府信息公开工作年度报告统计表（{单位名称}）

{单位名称}{联系人}同志：

您好！{情况}

{问题}

请于{截止日期}前将填好的表格作为附件回复本邮件。如有疑问，请联系：{联系方式}。

{发件人}
""",
}


@dataclass
class TextTemplate:
    kind: str
    path: Path
    subject: str
    body: str

    def render(self, values: dict[str, str]) -> tuple[str, str]:
        """(subject, body) with every placeholder replaced."""
        def sub(text: str) -> str:
            return _PLACEHOLDER.sub(lambda m: values.get(_ALIASES.get(m.group(1), m.group(1)), m.group(0)), text)

        subject = re.sub(r"\s+", " ", sub(self.subject)).strip()
        body = sub(self.body)
        body = re.sub(r"\n{3,}", "\n\n", body).strip("\n") + "\n"
        return subject, body


def _decode_text_file(raw: bytes, path: Path) -> str:
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    elif raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16")
    for enc in ("utf-8", "gb18030"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    raise GiprError(f"邮件模板 {path} 无法识别文字编码，请用记事本另存为 UTF-8。", "mail.template")


def parse_text_template(text: str, path: Path, kind: str) -> TextTemplate:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    i = 0
    while i < len(lines) and (lines[i].lstrip().startswith("#") or not lines[i].strip()):
        i += 1
    m = re.match(r"^\s*(主题|subject)\s*[:：]\s*(.*)$", lines[i] if i < len(lines) else "", re.I)
    if not m:
        raise GiprError(f"邮件模板 {path} 的第一行（说明行之后）应为“主题：……”。", "mail.template")
    subject = m.group(2).strip()
    if not subject:
        raise GiprError(f"邮件模板 {path} 的主题是空的。", "mail.template")
    body = "\n".join(lines[i + 1:]).strip("\n")
    if not body.strip():
        raise GiprError(f"邮件模板 {path} 没有正文。", "mail.template")
    allowed = set(PLACEHOLDERS) | (set(REMIND_PLACEHOLDERS) if kind == "remind" else set())
    for part in (subject, body):
        for ph in _PLACEHOLDER.findall(part):
            if _ALIASES.get(ph, ph) not in allowed:
                order = [*PLACEHOLDERS, *REMIND_PLACEHOLDERS]
                shown = " ".join(f"{{{p}}}" for p in order if p in allowed)
                raise GiprError(f"邮件模板 {path} 中有无法识别的占位符“{{{ph}}}”。可用的有：{shown}。", "mail.template")
    return TextTemplate(kind, path, subject, body)


def load_text_template(ws, kind: str) -> TextTemplate:
    """The workspace's template for ``kind`` (send|remind), written with the default text
    the first time it is needed."""
    path = Path(ws.root) / MAIL_DIR / TEMPLATE_FILES[kind]
    if not path.exists():
        atomic_write_bytes(path, DEFAULT_TEXTS[kind].encode("utf-8"))
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise GiprError(f"无法读取邮件模板 {path}：{e.strerror or e}", "mail.template") from None
    return parse_text_template(_decode_text_file(raw, path), path, kind)


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
                  attachments: list[tuple[str, bytes]] = (), message_id: str | None = None,
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
    BytesGenerator(buf, mangle_from_=False, policy=_POLICY).flatten(msg)
    raw = buf.getvalue()
    return raw, mid


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

STATUS_ZH = {"pending": "发送中", "sent": "已发送", "failed": "发送失败", "uncertain": "无法确认是否送达",
             "skipped": "跳过", "written": "已写入文件"}


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
    from .ledger import utc_now

    with ledger.transaction() as conn:
        cur = conn.execute("UPDATE mail_sends SET status='uncertain', finished_at=?, error=? WHERE status='pending'",
                           (utc_now(), "发送过程中程序被中断，无法确认服务器是否已收下这封邮件"))
        return cur.rowcount


# --- jobs -------------------------------------------------------------------------------------


@dataclass
class MailJob:
    kind: str  # send | remind
    unit: Any  # roster Unit
    recipients: list[str]
    state_key: str  # "template" (send); "missing" | "sub:<id>" (remind)
    situation: str = ""  # remind: missing | errors | unreadable
    submission: Any = None  # remind: the current Submission, if any


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
    situation: str = ""
    record_id: int | None = None

    @property
    def ok(self) -> bool:
        return self.status in ("sent", "written")

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "unit": self.unit_code, "name": self.unit_name, "status": self.status,
                "recipients": self.recipients, "message_id": self.message_id, "subject": self.subject,
                "attachment": self.attachment_name, "refused": self.refused, "error": self.error,
                "path": self.path, "situation": self.situation or None, "record": self.record_id}


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
        raise GiprError(f"单位名册中没有：{'、'.join(unknown)}（--only 接受单位代码或完整的单位名称）。", "mail.unknown_unit")
    order = {u.code: i for i, u in enumerate(roster)}
    return sorted(picked, key=lambda u: order[u.code])


def _skip(kind: str, unit, why: str, status: str = "skipped", situation: str = "") -> MailOutcome:
    return MailOutcome(kind, unit.code, unit.name, status, list(unit.emails), error=why, situation=situation)


def plan_send(ws, *, only: Iterable[str] | None = None, resend: bool = False) -> tuple[list[MailJob], list[MailOutcome]]:
    """The units ``gipr send`` will mail, and the ones it skips (with why)."""
    from .ledger import local_time

    units = resolve_units(ws.roster, only)
    ensure_mail_tables(ws.ledger)
    history: dict[str, list[SendRecord]] = {}
    for r in send_history(ws.ledger, kind="send"):
        history.setdefault(r.unit_code, []).append(r)
    jobs, skipped = [], []
    for u in units:
        if not u.emails:
            skipped.append(_skip("send", u, "名册中没有这个单位的邮箱，未发送"))
            continue
        rows = history.get(u.code, [])
        sent = [r for r in rows if r.status == "sent"]
        if not resend and sent:
            skipped.append(_skip("send", u, f"已于 {local_time(sent[-1].finished_at)} 发送过"
                                            f"（Message-ID <{sent[-1].message_id}>）；如需再发，请加 --resend"))
            continue
        if not resend and rows and rows[-1].status in ("pending", "uncertain"):
            skipped.append(_skip("send", u, f"上次发送（{local_time(rows[-1].started_at)}）中断，无法确认是否已送达；"
                                            "请核实后用 --resend --only " + u.code + " 重发", status="uncertain"))
            continue
        jobs.append(MailJob("send", u, list(u.emails), "template"))
    return jobs, skipped


def plan_remind(ws, *, only: Iterable[str] | None = None, resend: bool = False,
                interval_hours: float = 12.0, now: _dt.datetime | None = None) -> tuple[list[MailJob], list[MailOutcome]]:
    """Units with no submission, or whose current submission has errors or cannot be read.
    A unit reminded about the same situation within ``interval_hours`` is skipped (so a
    re-run after an interruption reminds nobody twice) unless ``resend``."""
    from .ledger import local_time, unit_statuses

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
        if st.code not in chosen or st.status == "accepted":
            continue
        u = by_code[st.code]
        key = "missing" if st.submission is None else f"sub:{st.submission.id}"
        if not u.emails:
            skipped.append(_skip("remind", u, "名册中没有这个单位的邮箱，未发送", situation=st.status))
            continue
        prev = recent.get((u.code, key))
        if prev is not None and not resend:
            try:
                when = _dt.datetime.strptime(prev.started_at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=_dt.timezone.utc)
            except ValueError:
                when = now
            if now - when < _dt.timedelta(hours=interval_hours):
                what = "已提醒过" if prev.status == "sent" else "上次提醒中断、无法确认是否送达"
                skipped.append(_skip("remind", u, f"{local_time(prev.started_at)} {what}（同一情况 {interval_hours:g} 小时内"
                                                  "不重复提醒）；如需再发，请加 --resend",
                                     status="skipped" if prev.status == "sent" else "uncertain", situation=st.status))
                continue
        jobs.append(MailJob("remind", u, list(u.emails), key, situation=st.status, submission=st.submission))
    return jobs, skipped


# --- composing -----------------------------------------------------------------------------------


@dataclass
class Composed:
    raw: bytes
    message_id: str
    subject: str
    attachment_name: str | None
    attachment_sha256: str | None


class Composer:
    """Builds each job's message: text template, personalised template or feedback
    workbook attached."""

    def __init__(self, ws, settings: MailSettings, kind: str):
        self.ws = ws
        self.settings = settings
        self.kind = kind
        self.template = load_text_template(ws, kind)
        self._factory = None
        self._template_opts = _template_options(ws)

    def _template_bytes(self, unit) -> tuple[str, bytes]:
        from .template import TemplateFactory, template_filename

        if self._factory is None:
            self._factory = TemplateFactory(self.ws.spec, self.ws.year, **self._template_opts)
        return template_filename(self.ws.year, unit), self._factory.render(unit)

    def _feedback(self, job: MailJob) -> tuple[str, bytes] | None:
        """The feedback workbook for a submission with errors (annotate.write_feedback)."""
        from .annotate import write_feedback
        from .model import Finding
        from .read import ReadError, read_report_limited

        sub = job.submission
        try:
            data = self.ws.ledger.read_archived(sub.sha256)
            report = read_report_limited(data, name=sub.file_name, spec=self.ws.spec)
        except (OSError, ReadError):
            return None
        findings = []
        for d in sub.findings:
            try:
                findings.append(Finding(**{k: d.get(k) for k in ("code", "severity", "message", "cell", "ref",
                                                                   "path", "rule")}))
            except TypeError:
                continue
        with tempfile.TemporaryDirectory(prefix="gipr-feedback-") as tmp:
            path = write_feedback(report, findings, tmp, unit=job.unit, year=self.ws.year)
            return path.name, path.read_bytes()

    def values(self, job: MailJob, attachment_name: str | None) -> dict[str, str]:
        s = self.settings
        u = job.unit
        return {
            "单位名称": u.name, "单位代码": u.code, "联系人": u.contact or "", "年度": str(self.ws.year),
            "截止日期": s.deadline or "规定时间", "联系方式": s.contact or s.from_addr, "本级": self.ws.county or "",
            "发件人": s.from_name or s.from_addr, "附件名": attachment_name or "",
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
            extra = {"情况": situation, "问题": problems}
        att_name = attachments[0][0] if attachments else None
        values = self.values(job, att_name) | extra
        subject, body = self.template.render(values)
        raw, mid = build_message(self.settings, to=[(job.unit.name, a) for a in job.recipients], subject=subject,
                                 body=body, attachments=attachments)
        import hashlib

        sha = hashlib.sha256(attachments[0][1]).hexdigest() if attachments else None
        return Composed(raw, mid, subject, att_name, sha)

    def _remind_parts(self, job: MailJob) -> tuple[str, str, tuple[str, bytes] | None]:
        from .ledger import local_time

        today = _dt.date.today()
        today_text = f"{today.year}年{today.month}月{today.day}日"
        sub = job.submission
        if job.situation == "missing" or sub is None:
            name, data = self._template_bytes(job.unit)
            return (f"截至{today_text}，我们还没有收到贵单位报送的{self.ws.year}年度政府信息公开工作年度报告统计表。"
                    f"附件“{name}”是贵单位的填报模板，请填写后报送。", "", (name, data))
        y, mo, d = (local_time(sub.received_at)[:10].split("-") + ["", "", ""])[:3]
        when = f"{y}年{int(mo)}月{int(d)}日" if y and mo.isdigit() and d.isdigit() else local_time(sub.received_at)
        if job.situation == "unreadable":
            name, data = self._template_bytes(job.unit)
            reason = sub.reason or "文件无法读取"
            return (f"贵单位于{when}报送的文件“{sub.file_name}”无法读取：{reason}"
                    f"请用附件“{name}”（贵单位的填报模板）重新填写后报送。", "", (name, data))
        findings = sub.findings
        errors = [f for f in findings if f.get("severity") == "error"]
        warnings = [f for f in findings if f.get("severity") == "warning"]
        lines = []
        for i, f in enumerate((errors + warnings)[:MAX_FINDINGS_LISTED], 1):
            sev = "错误" if f.get("severity") == "error" else "警告"
            where = f"（{f['ref']}）" if f.get("ref") else ""
            lines.append(f"{i}. [{sev}]{where}{f.get('message') or ''}")
        more = len(errors) + len(warnings) - MAX_FINDINGS_LISTED
        if more > 0:
            lines.append(f"……另有 {more} 条，详见附件。")
        att = None
        try:
            att = self._feedback(job)
        except GiprError:
            att = None
        situation = (f"贵单位于{when}报送的统计表（{sub.file_name}）经校验发现 {len(errors)} 处错误"
                     + (f"、{len(warnings)} 处警告" if warnings else "") + "，请修改后重新报送。")
        if att is not None:
            situation += f"附件“{att[0]}”是按贵单位所报数据生成的反馈表，问题单元格已标出并附批注，可直接在其中修改后报送。"
        problems = "发现的问题：\n" + "\n".join(lines) if lines else ""
        return situation, problems, att


def _template_options(ws) -> dict[str, Any]:
    from .template import DEFAULT_PASSWORD

    sec = ws.config.get("template") if isinstance(ws.config.get("template"), dict) else {}
    pw = sec.get("password", DEFAULT_PASSWORD)
    protect = sec.get("protect", True)
    return {"password": str(pw), "protect": bool(protect)}


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

    def send(self, s):  # type: ignore[override]
        if isinstance(s, (bytes, bytearray)) and s.endswith(b"\r\n.\r\n"):
            self.dot_sent = True
        return super().send(s)  # type: ignore[misc]


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
        self.conn: smtplib.SMTP | None = None
        self.failed_connects = 0
        self.server = f"{settings.host}:{settings.port}"

    def open(self) -> None:
        """Connect, secure and log in; GiprError (Chinese) on failure."""
        if self.conn is not None:
            return
        s = self.settings
        ctx = tls_context(s.cafile, s.tls_verify) if s.security != "none" else None
        helo = s.helo or socket.gethostname() or "localhost"
        conn = None
        try:
            if s.security == "ssl":
                conn = _SMTPSSL(s.host, s.port, local_hostname=helo, timeout=s.timeout, context=ctx)
            else:
                conn = _SMTP(s.host, s.port, local_hostname=helo, timeout=s.timeout)
            conn.ehlo()
            if s.security == "starttls":
                if not conn.has_extn("starttls"):
                    raise GiprError(f"发件服务器 {self.server} 不支持 STARTTLS。请改用 security = \"ssl\"（端口通常 465）。",
                                    "mail.no_starttls")
                conn.starttls(context=ctx)
                conn.ehlo()
            if s.user and self.password:
                if not conn.has_extn("auth"):
                    raise GiprError(f"发件服务器 {self.server} 不提供登录（AUTH）"
                                    + ("，可能需要先加密：请设置 security = \"starttls\" 或 \"ssl\"。"
                                       if s.security == "none" else "。"), "mail.no_auth")
                _login(conn, s.user, self.password)
        except GiprError:
            _quiet_close(conn)
            raise
        except smtplib.SMTPAuthenticationError as e:
            _quiet_close(conn)
            raise GiprError(f"发件邮箱登录失败：用户名或密码不对（服务器答复 {_reply_text(e.smtp_code, e.smtp_error)}）。"
                            "QQ 邮箱、163 邮箱等需使用“授权码”而不是登录密码。", "mail.login_failed") from None
        except smtplib.SMTPResponseException as e:
            _quiet_close(conn)
            raise GiprError(f"发件服务器 {self.server} 拒绝了连接：{_reply_text(e.smtp_code, e.smtp_error)}",
                            "mail.connect_failed") from None
        except (smtplib.SMTPException, OSError, EOFError) as e:
            _quiet_close(conn)
            raise GiprError(connection_problem(e, s.host, s.port, "发件服务器"), "mail.connect_failed") from None
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
            d2.error = f"{d2.error}（重连后再试一次仍失败）"
            return d2
        return d

    def _deliver_once(self, job: MailJob, composed: Composed) -> Delivery:
        try:
            self.open()
            self.failed_connects = 0
        except GiprError as e:
            self.failed_connects += 1
            return Delivery("failed", error=f"未发送：{e}", connection_lost=True)
        conn = self.conn
        assert conn is not None
        conn.dot_sent = False  # type: ignore[attr-defined]
        try:
            refused = conn.sendmail(self.settings.from_addr, job.recipients, composed.raw)
        except smtplib.SMTPRecipientsRefused as e:
            return Delivery("failed", refused={a: _reply_text(c, m) for a, (c, m) in e.recipients.items()},
                            error="收件人被服务器拒绝：" + "；".join(f"{a}（{_reply_text(c, m)}）"
                                                           for a, (c, m) in e.recipients.items()))
        except smtplib.SMTPResponseException as e:
            if e.smtp_code == 421:  # the server is closing this connection: the next unit reconnects
                self._drop()
            if isinstance(e, smtplib.SMTPSenderRefused):
                why = f"服务器拒绝了发件人 {self.settings.from_addr}：{_reply_text(e.smtp_code, e.smtp_error)}"
            elif isinstance(e, smtplib.SMTPDataError):
                why = f"服务器拒收这封邮件：{_reply_text(e.smtp_code, e.smtp_error)}"
            else:
                why = f"服务器答复错误：{_reply_text(e.smtp_code, e.smtp_error)}"
            return Delivery("failed", error=why)
        except (smtplib.SMTPException, OSError, EOFError) as e:
            after_dot = bool(getattr(conn, "dot_sent", False))
            self._drop()
            why = connection_problem(e, self.settings.host, self.settings.port, "发件服务器")
            if after_dot:
                return Delivery("uncertain", error=f"邮件已全部发出，但在等待服务器确认时连接中断（{why}），"
                                                   "无法确认是否送达", connection_lost=True)
            return Delivery("failed", error=f"发送中连接中断，未送达：{why}", connection_lost=True)
        except BaseException:
            # Ctrl-C and the like: the caller records what is known, then stops
            after_dot = bool(getattr(conn, "dot_sent", False))
            self._drop()
            raise _Interrupted("uncertain" if after_dot else "failed") from None
        if refused:
            return Delivery("sent", refused={a: _reply_text(c, m) for a, (c, m) in refused.items()},
                            error="部分收件人被拒绝：" + "；".join(f"{a}（{_reply_text(c, m)}）"
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
        raise GiprError("用户名或密码含中文等非 ASCII 字符，但发件服务器不支持 AUTH PLAIN 登录方式，无法登录。",
                        "mail.login_failed")
    token = base64.b64encode(b"\0" + user.encode("utf-8") + b"\0" + password.encode("utf-8")).decode("ascii")
    code, resp = conn.docmd("AUTH", "PLAIN " + token)
    if code == 334:  # the server wants the response on its own line
        code, resp = conn.docmd(token)
    if code not in (235, 503):
        raise smtplib.SMTPAuthenticationError(code, resp)


class _Interrupted(BaseException):
    def __init__(self, status: str):
        super().__init__(status)
        self.status = status


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
            raise GiprError(f"{self.outdir} 已存在且不是文件夹。", "mail.out")
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


# --- running -----------------------------------------------------------------------------------------


def default_outbox(ws, kind: str) -> Path:
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path(ws.root) / "outbox" / f"{kind}-{stamp}"


def run_jobs(ws, jobs: list[MailJob], composer: Composer, transport, *, record: bool = True,
             pause: float = 0.0, on_outcome: Callable[[MailOutcome], None] | None = None) -> list[MailOutcome]:
    """Compose and deliver each job; record every send in the ledger (``record``).  One
    unit's failure never stops the others; after repeated connection failures the
    remaining units are reported as not sent.  Hold the workspace lock while calling."""
    from .ledger import utc_now

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
            base.error = f"无法生成邮件：{e}"
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
        except _Interrupted as e:  # Ctrl-C inside the SMTP transaction
            if record:
                _finish(led, rid, e.status, "发送过程中被中断（Ctrl-C）" + ("，邮件可能已送达" if e.status == "uncertain"
                                                                    else "，未送达"), {})
            raise KeyboardInterrupt from None
        except KeyboardInterrupt:  # before the transaction started: nothing went out
            if record:
                _finish(led, rid, "failed", "发送前被中断（Ctrl-C），未送达", {})
            raise
        if record:
            _finish(led, rid, d.status if d.status != "written" else "sent", d.error, d.refused)
        base.status, base.error, base.refused, base.path = d.status, d.error, d.refused, d.path
        out.append(base)
        if on_outcome:
            on_outcome(base)
        if d.connection_lost and getattr(transport, "failed_connects", 0) >= CONNECT_ATTEMPTS:
            gave_up = f"未发送：连续 {CONNECT_ATTEMPTS} 次无法连接发件服务器，其余单位本次未发送（重新运行即可继续）"
        if pause and n + 1 < len(jobs) and d.status == "sent":
            time.sleep(pause)
    return out


def _finish(led, rid: int | None, status: str, error: str | None, refused: dict[str, str]) -> None:
    from .ledger import utc_now

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

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "dry_run": self.dry_run, "outbox": str(self.outdir) if self.outdir else None,
                "counts": {k: self.count(k) for k in ("sent", "written", "failed", "uncertain", "skipped")},
                "notes": list(self.notes), "outcomes": [o.to_json() for o in self.outcomes]}


def mail_units(ws, kind: str, *, dry_run: bool = False, out: str | Path | None = None,
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
            from .messages import say

            run.notes.append(say("preview.placeholder_sender", config=str(ws.config_path), sender=PREVIEW_FROM))
        if not jobs:
            return run
        if dry_run:
            run.outdir = Path(out) if out else default_outbox(ws, kind)
            transport = DryRunTransport(run.outdir)
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
