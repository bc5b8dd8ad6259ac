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
from typing import Any

from ..errors import GiprError
from ..fsio import atomic_write_bytes

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


def setting_text(sec: dict, key: str, where: str) -> str:
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
    host = setting_text(sec, "host", where)
    security = (setting_text(sec, "security", where) or default_security).lower()
    if security not in SECURITIES:
        raise GiprError(f"{where} 中的 security = “{security}” 无效，应为 ssl、starttls 或 none。", "mail.config")
    port = int(_number(sec, "port", ports[security], where, low=1, high=65535))
    cafile = setting_text(sec, "cafile", where)
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
    from_addr = setting_text(sec, "from_addr", where) or setting_text(sec, "from", where)
    login = sec.get("login", True)
    if not isinstance(login, bool):
        raise GiprError(f"{where} 中的 login 应为 true 或 false。", "mail.config")
    placeholder = preview and not from_addr
    if placeholder:
        from_addr = PREVIEW_FROM
    user = (setting_text(sec, "user", where) or from_addr) if login else ""
    if not from_addr:
        raise GiprError(f"{where} 中缺少 from_addr（发件人邮箱地址）。", "mail.config")
    if not valid_address(from_addr):
        raise GiprError(f"{where} 中的 from_addr “{from_addr}” 不是有效的邮箱地址。", "mail.config")
    reply_to = setting_text(sec, "reply_to", where)
    if reply_to and not valid_address(reply_to):
        raise GiprError(f"{where} 中的 reply_to “{reply_to}” 不是有效的邮箱地址。", "mail.config")
    if need_server and not host:
        raise GiprError(f"{where} 中缺少 host（发件服务器，如 smtp.example.gov.cn）。", "mail.config")
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
    from . import keystore

    return password_from(SMTP_PASSWORD_ENV, f"发件邮箱 {settings.user} 的密码（或授权码）：", interactive=interactive,
                         stored=lambda: keystore.get("smtp", settings.user, settings.host))


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
