"""Reading e-mail the way Chinese mail systems write it: messages (.eml), mbox files and
Maildir folders → the attachments that may be returned workbooks, with their file names
decoded and every mail-level hazard turned into a reason code instead of an exception.

File names are decoded from RFC 2231 (``filename*=UTF-8''…``, continuations included),
RFC 2047 encoded words inside ``name=`` (what Coremail, QQ Mail and Outlook send), charset
labels such as GB2312 on text that is really GBK (decoded as GB18030, a superset), and raw
8-bit GBK or UTF-8 bytes in the header.  A decoded name is only ever *shown*; it is never
used as a path.
"""

from __future__ import annotations

import contextlib
import email
import email.errors
import email.header
import email.policy
import email.utils
import hashlib
import mailbox
import os
import re
import unicodedata
import urllib.parse
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.message import Message
from pathlib import Path
from typing import Iterator

from ..errors import GiprError
from ..files import ATTACHMENT_SUFFIXES

# --- limits (documented in the README) -------------------------------------------------
MAX_MESSAGE_BYTES = 50 * 1024 * 1024  # one message, as received
MAX_PARTS = 500  # MIME parts walked in one message
MAX_ATTACHMENTS = 100  # candidate attachments taken from one message
MAX_NESTING = 5  # forwarded messages inside messages
MAX_HEADER_CHARS = 4000  # a decoded header value is cut here for display
MAX_NAME_CHARS = 255  # a decoded file name is cut here for display
PARSE_SECONDS = 30  # wall-clock limit for parsing one message

WORKBOOK_EXTS = ATTACHMENT_SUFFIXES
DOC_EXTS = (".docx", ".doc", ".wps", ".pdf", ".html", ".htm")  # = collect.documents.DOCUMENT_SUFFIXES
ARCHIVE_EXTS = {".zip", ".rar", ".7z", ".gz", ".tar", ".tgz", ".bz2", ".xz"}
OUTLOOK_EXTS = {".msg"}
SPREADSHEET_TYPES = {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/vnd.ms-excel": ".xls",
    "application/vnd.ms-excel.sheet.macroenabled.12": ".xlsm",
    "application/vnd.ms-excel.sheet.binary.macroenabled.12": ".xlsb",
    "application/vnd.oasis.opendocument.spreadsheet": ".ods",
    "application/x-excel": ".xls",
    "application/excel": ".xls",
    "application/x-msexcel": ".xls",
    "application/kset": ".et",
    "application/wps-office.et": ".et",
}
TNEF_TYPES = {"application/ms-tnef", "application/vnd.ms-tnef"}
OUTLOOK_TYPES = {"application/vnd.ms-outlook", "application/x-ole-storage"}
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
TNEF_MAGIC = b"\x78\x9f\x3e\x22"

# charset labels that mail systems use for GBK text; GB18030 decodes all of them
_GB_LABELS = {"gb2312", "gbk", "gb_2312-80", "gb_2312", "x-gbk", "cp936", "ms936", "euc-cn", "euccn",
              "x-euc-cn", "csgb2312", "chinese", "iso-ir-58", "gb18030", "windows-936", "gb2312-80"}
_BIG5_LABELS = {"big5", "big-5", "cn-big5", "x-x-big5", "csbig5", "big5-hkscs"}
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_ENCODED_WORD = re.compile(r"=\?[^?\s]+\?[bBqQ]\?[^?]*\?=")


class MailError(GiprError):
    """A message that cannot be taken apart (too large, too slow, not a message)."""


# --- decoding --------------------------------------------------------------------------
def _codec(label: str | None) -> str | None:
    if not label:
        return None
    lab = label.strip().strip('"').lower()
    if lab in _GB_LABELS:
        return "gb18030"
    if lab in _BIG5_LABELS:
        return "big5hkscs"
    if lab in {"unknown-8bit", "x-unknown", "8bit", "unknown"}:
        return None
    import codecs

    try:
        return codecs.lookup(lab).name
    except LookupError:
        return None


def decode_bytes(data: bytes, charset: str | None = None) -> str:
    """Decode bytes of unknown or mislabelled charset: the label (GB labels → GB18030),
    then UTF-8, then GB18030, then Latin-1.  Never raises."""
    tried = []
    for cs in (_codec(charset), "utf-8", "gb18030"):
        if cs and cs not in tried:
            tried.append(cs)
            try:
                return data.decode(cs)
            except (UnicodeDecodeError, LookupError):
                continue
    return data.decode("gb18030", errors="replace")


def _raw_bytes(value: str) -> bytes:
    """The bytes behind a header value parsed with surrogateescape (raw 8-bit headers)."""
    return value.encode("utf-8", errors="surrogateescape")


def _decode_raw(value: str) -> str:
    if any("\udc80" <= ch <= "\udcff" for ch in value):
        return decode_bytes(_raw_bytes(value))
    return value


def _decode_words(text: str) -> str:
    """RFC 2047 encoded words anywhere in ``text`` (also inside quoted parameters, where
    mail systems put them), with lenient charset handling."""
    if "=?" not in text:
        return text
    try:
        parts = email.header.decode_header(text)
    except (email.errors.HeaderParseError, ValueError, LookupError, AssertionError):
        parts = None
    if parts is None:
        return _ENCODED_WORD.sub(lambda m: _decode_one_word(m.group(0)), text)
    out = []
    for chunk, cs in parts:
        if isinstance(chunk, bytes):
            out.append(decode_bytes(chunk, cs))
        else:
            out.append(chunk)
    return "".join(out)


def _decode_one_word(word: str) -> str:
    try:
        [(chunk, cs)] = email.header.decode_header(word)
        return decode_bytes(chunk, cs) if isinstance(chunk, bytes) else chunk
    except Exception:  # noqa: BLE001 - a malformed word stays as it was
        return word


def clean_text(text: str, limit: int = MAX_HEADER_CHARS) -> str:
    """For display: NFC, no control or bidi characters, folded whitespace, bounded length."""
    text = unicodedata.normalize("NFC", text)
    text = re.sub(r"\r?\n[ \t]*", " ", text)
    text = _CONTROL.sub("", text).strip()
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


def decode_header_text(value: object, limit: int = MAX_HEADER_CHARS) -> str:
    """A header value (str from a bytes parse, possibly raw 8-bit, possibly RFC 2047) → text."""
    if value is None:
        return ""
    if isinstance(value, email.header.Header):
        value = str(value)
    text = _decode_raw(str(value))
    text = re.sub(r"\r?\n[ \t]*", " ", text)
    # adjacent encoded words separated by whitespace are joined (RFC 2047 §6.2)
    return clean_text(_decode_words(text), limit)


def clean_file_name(name: str) -> str:
    """A decoded attachment name made safe to *display* (never a path): NFC, no control
    characters, no directories, bounded length keeping the extension."""
    name = unicodedata.normalize("NFC", name)
    name = _CONTROL.sub("", name).strip().strip('"').strip()
    name = name.replace("\\", "/").rstrip("/").split("/")[-1].strip()
    if name in {"", ".", ".."}:
        return ""
    if len(name) > MAX_NAME_CHARS:
        stem, dot, ext = name.rpartition(".")
        ext = "." + ext if dot and 0 < len(ext) <= 8 else ""
        name = name[: MAX_NAME_CHARS - len(ext) - 1] + "…" + ext
    return name


def _split_params(value: str) -> list[tuple[str, str]]:
    """``type; a=1; b="x;y"`` → [("a","1"), ("b","x;y")] (first item, the value, skipped).
    Quotes are honoured; nothing is decoded here."""
    params: list[tuple[str, str]] = []
    i, n = 0, len(value)
    # skip the main value
    while i < n and value[i] != ";":
        if value[i] == '"':
            j = value.find('"', i + 1)
            i = n if j < 0 else j
        i += 1
    while i < n:
        i += 1  # past ';'
        start = i
        while i < n and value[i] not in "=;":
            i += 1
        key = value[start:i].strip().lower()
        val = ""
        if i < n and value[i] == "=":
            i += 1
            while i < n and value[i] in " \t\r\n":
                i += 1
            if i < n and value[i] == '"':
                i += 1
                buf = []
                while i < n and value[i] != '"':
                    if value[i] == "\\" and i + 1 < n:
                        i += 1
                    buf.append(value[i])
                    i += 1
                val = "".join(buf)
                while i < n and value[i] != ";":
                    i += 1
            else:
                start = i
                while i < n and value[i] != ";":
                    i += 1
                val = value[start:i].strip()
        if key:
            params.append((key, val))
        if len(params) > 200:
            break
    return params


def _param(params: list[tuple[str, str]], name: str) -> str | None:
    """One parameter decoded: RFC 2231 (``name*``, ``name*0*``/``name*1``… continuations)
    first, then the plain value with raw bytes and RFC 2047 words decoded."""
    # RFC 2231 continuations and extended values
    pieces: dict[int, tuple[str, bool]] = {}
    single_ext = None
    for key, val in params:
        if key == name + "*":
            single_ext = val
        m = re.fullmatch(re.escape(name) + r"\*(\d{1,3})(\*?)", key)
        if m:
            pieces.setdefault(int(m.group(1)), (val, bool(m.group(2))))
    if single_ext is not None or pieces:
        charset = None
        raw = bytearray()
        if single_ext is not None:
            seq = [(single_ext, True)]
        else:
            seq = [pieces[k] for k in sorted(pieces)]
        for idx, (val, extended) in enumerate(seq):
            if idx == 0 and extended and val.count("'") >= 2:
                charset, _lang, val = val.split("'", 2)
            if extended:
                raw += urllib.parse.unquote_to_bytes(_raw_bytes(val))
            else:
                raw += _raw_bytes(val)
        text = decode_bytes(bytes(raw), charset)
        return _decode_words(text)
    for key, val in params:
        if key == name:
            text = _decode_raw(val)
            text = _decode_words(text)
            if "%" in text and text.isascii() and re.search(r"%[89A-Fa-f][0-9A-Fa-f]", text):
                # some clients percent-encode UTF-8 names without saying so
                try:
                    decoded = urllib.parse.unquote_to_bytes(text).decode("utf-8")
                    if not decoded.isascii():
                        text = decoded
                except UnicodeDecodeError:
                    pass
            return text
    return None


def _raw_header(part: Message, name: str) -> str | None:
    for k, v in part.raw_items():
        if k.lower() == name:
            return v if isinstance(v, str) else str(v)
    return None


def attachment_name(part: Message) -> tuple[str | None, str | None]:
    """(decoded display name, the raw header text it came from) of a MIME part."""
    raw_cd = _raw_header(part, "content-disposition") or ""
    raw_ct = _raw_header(part, "content-type") or ""
    cd = _split_params(re.sub(r"\r?\n[ \t]*", " ", raw_cd))
    ct = _split_params(re.sub(r"\r?\n[ \t]*", " ", raw_ct))
    for params, key in ((cd, "filename"), (ct, "name")):
        try:
            name = _param(params, key)
        except Exception:  # noqa: BLE001 - a hostile header is just an unnamed part
            name = None
        if name:
            shown = clean_file_name(name)
            if shown:
                raw = raw_cd if params is cd else raw_ct
                return shown, clean_text(_decode_raw(raw), 1000)
    return None, None


# --- messages --------------------------------------------------------------------------
@dataclass
class MailAttachment:
    index: int  # position among the message's candidate attachments, from 0
    file_name: str  # decoded, display-safe; generated when the message gave none
    raw_name: str | None  # the header text the name came from
    content_type: str
    data: bytes
    problem: str | None = None  # reason code when gipr will not read it (container, …)
    problem_message: str | None = None
    defects: list[str] = field(default_factory=list)


@dataclass
class MailMessage:
    sha256: str
    size: int
    from_addr: str  # lower-case address, "" if none
    from_text: str  # decoded From header as shown
    subject: str
    date: datetime | None  # aware (UTC) or None
    date_raw: str
    message_id: str | None
    attachments: list[MailAttachment] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)  # names of attachments that are not workbooks
    # attachments that may be a unit's report document (collect.documents), by suffix: (name, bytes);
    # their names are in ``ignored`` too (not workbooks)
    documents: list[tuple[str, bytes]] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)

    @property
    def source_text(self) -> str:
        bits = [f"发件人：{self.from_text or '（无）'}", f"主题：{self.subject or '（无）'}"]
        if self.date_raw:
            bits.append(f"日期：{self.date_raw}")
        if self.message_id:
            bits.append(f"Message-ID：<{self.message_id}>")
        return "；".join(bits)


def _ext(name: str) -> str:
    return os.path.splitext(name)[1].lower()


def classify_attachment(name: str | None, ctype: str, data: bytes) -> tuple[str, str | None, str | None]:
    """→ (kind, problem code, Chinese problem) where kind is workbook|problem|message|ignore."""
    ext = _ext(name or "")
    low = (name or "").lower()
    if low == "winmail.dat" or ctype in TNEF_TYPES or data[:4] == TNEF_MAGIC:
        return ("problem", "mail.tnef",
                "这是 Outlook 的 winmail.dat（TNEF）封装，里面的附件 gipr 无法取出。"
                "请对方在 Outlook 中改用 HTML 或纯文本格式重新发送附件。")
    if ext in OUTLOOK_EXTS or ctype in OUTLOOK_TYPES:
        return ("problem", "mail.outlook_msg",
                "这是 Outlook 的 .msg 邮件文件，gipr 无法打开。请在 Outlook 中把其中的附件另存出来再收集，"
                "或请对方直接发送表格文件。")
    if ext in ARCHIVE_EXTS or ctype in {"application/zip", "application/x-zip-compressed",
                                         "application/x-rar-compressed", "application/x-7z-compressed",
                                         "application/vnd.rar", "application/gzip"}:
        return ("problem", "file.archive",
                "这是压缩包，gipr 不打开压缩包（防止压缩炸弹）。请解压后把其中的表格文件单独收集。")
    if ext in {".eml"} or ctype == "message/rfc822":
        return ("message", None, None)
    if ext in WORKBOOK_EXTS:
        return ("workbook", None, None)
    if ctype in SPREADSHEET_TYPES and not re.fullmatch(r"\.[a-z0-9]{1,5}", ext):
        return ("workbook", None, None)  # a spreadsheet type and no other extension
    if not name and ctype in {"application/octet-stream", ""}:
        # an unnamed binary part: a workbook if its bytes say so
        if data[:8] == OLE_MAGIC or (data[:2] == b"PK" and b"xl/workbook" in data[-65536:]):
            return ("workbook", None, None)
    return ("ignore", None, None)


def _default_name(index: int, ctype: str, data: bytes) -> str:
    ext = SPREADSHEET_TYPES.get(ctype)
    if not ext:
        ext = ".xls" if data[:8] == OLE_MAGIC else ".xlsx" if data[:2] == b"PK" else ".bin"
    return f"附件{index + 1}{ext}"


def _parse_date(raw: str) -> datetime | None:
    if not raw:
        return None
    try:
        d = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if d is None:
        return None
    if d.tzinfo is None:
        d = d.astimezone()  # a zone-less date is taken as local time
    try:
        return d.astimezone(timezone.utc)
    except (OverflowError, ValueError):
        return None


def looks_like_message(head: bytes) -> bool:
    """Does ``head`` (the first bytes of a file) start like an RFC 822 message?"""
    head = head.lstrip(b"\r\n")
    if head.startswith(b"From "):
        return True
    # a header field name (letters, digits, '-') and a colon, as every message starts
    return re.match(rb"[A-Za-z][A-Za-z0-9-]{0,75}:[ \t]*\S", head) is not None


def parse_message(raw: bytes, *, max_bytes: int = MAX_MESSAGE_BYTES, seconds: float = PARSE_SECONDS,
                  _depth: int = 0) -> MailMessage:
    """Take one message apart, in a worker process (gipr.isolate) killed after ``seconds``
    (on every platform, in any thread).  Raises MailError (code mail.too_large,
    mail.timeout, mail.outlook_msg, mail.not_a_message, mail.malformed); never anything else."""
    _precheck(raw, max_bytes)
    from ..isolate import run_limited
    from ..read import MAX_READ_MEMORY_MB, ReadError

    try:
        return run_limited(parse_message_here, raw, max_bytes, _depth, seconds=seconds,
                           memory_mb=MAX_READ_MEMORY_MB, what="")
    except MailError:
        raise
    except ReadError as e:  # a limit of the worker
        if e.code == "file.timeout":
            raise MailError(f"解析邮件超过 {seconds:g} 秒，已放弃（邮件结构异常）。", "mail.timeout") from None
        if e.code == "file.too_large":
            raise MailError("解析邮件时占用的内存超过上限，已放弃（邮件结构异常）。", "mail.too_large") from None
        raise MailError(f"邮件结构损坏，无法解析（{e}）。", "mail.malformed") from None
    except Exception as e:  # noqa: BLE001 - an unpicklable error from the worker
        raise MailError(f"邮件结构损坏，无法解析（{type(e).__name__}）。", "mail.malformed") from None


def _precheck(raw: bytes, max_bytes: int) -> None:
    if len(raw) > max_bytes:
        raise MailError(f"邮件过大（{len(raw) / 1048576:.1f} MB，上限 {max_bytes // 1048576} MB），未拆取附件。",
                        "mail.too_large")
    if raw[:8] == OLE_MAGIC:
        raise MailError("这不是 .eml 邮件，而是 Outlook 的 .msg 文件，gipr 无法打开。请在 Outlook 中"
                        "把附件另存出来再收集。", "mail.outlook_msg")
    if not raw.strip():
        raise MailError("邮件文件是空的。", "mail.empty")
    if not looks_like_message(raw[:2048]):
        raise MailError("这个文件不像一封邮件（开头没有邮件头）。", "mail.not_a_message")


def parse_message_here(raw: bytes, max_bytes: int = MAX_MESSAGE_BYTES, _depth: int = 0) -> MailMessage:
    """:func:`parse_message` in this process, without a time limit: for a reader worker
    (and for messages nested in a message being parsed there)."""
    _precheck(raw, max_bytes)
    sha = hashlib.sha256(raw).hexdigest()
    try:
        return _parse(raw, sha, _depth)
    except MailError:
        raise
    except RecursionError:
        raise MailError("邮件嵌套层数过多，已放弃。", "mail.malformed") from None
    except MemoryError:
        raise
    except Exception as e:  # noqa: BLE001 - the email package on hostile input
        raise MailError(f"邮件结构损坏，无法解析（{type(e).__name__}）。", "mail.malformed") from None


def _parse(raw: bytes, sha: str, depth: int) -> MailMessage:
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    from_text = decode_header_text(_raw_header(msg, "from"))
    addr = email.utils.parseaddr(from_text)[1].strip().lower()
    if "@" not in addr or len(addr) > 320:
        addr = ""
    date_raw = decode_header_text(_raw_header(msg, "date"), 200)
    mid = decode_header_text(_raw_header(msg, "message-id"), 500).strip().strip("<>").strip() or None
    out = MailMessage(
        sha256=sha,
        size=len(raw),
        from_addr=addr,
        from_text=from_text,
        subject=decode_header_text(_raw_header(msg, "subject")),
        date=_parse_date(date_raw),
        date_raw=date_raw,
        message_id=mid,
    )
    out.defects.extend(type(d).__name__ for d in msg.defects[:20])
    _collect_parts(msg, out, depth)
    return out


def _collect_parts(msg: Message, out: MailMessage, depth: int) -> None:
    count = 0
    for part in msg.walk():
        count += 1
        if count > MAX_PARTS:
            out.defects.append("TooManyParts")
            break
        if part.is_multipart():
            continue
        ctype = (part.get_content_type() or "").lower()
        disp = (part.get("Content-Disposition") or "")
        disp = str(disp).split(";")[0].strip().lower() if disp else ""
        name, raw_name = attachment_name(part)
        if name is None and disp != "attachment" and ctype.startswith(("text/", "multipart/")):
            continue  # the body
        try:
            data = part.get_payload(decode=True) or b""
        except Exception:  # noqa: BLE001
            data = b""
        kind, code, problem = classify_attachment(name, ctype, data)
        if kind == "ignore":
            if name:
                out.ignored.append(name)
                if _ext(name) in DOC_EXTS and len(out.documents) < MAX_ATTACHMENTS:
                    out.documents.append((name, data))
            continue
        if kind == "message":
            if depth + 1 >= MAX_NESTING:
                out.defects.append("TooDeep")
                continue
            try:
                inner = _parse(data, hashlib.sha256(data).hexdigest(), depth + 1)
            except Exception:  # noqa: BLE001 - a broken inner message is ignored, noted
                out.defects.append("BrokenAttachedMessage")
                continue
            for att in inner.attachments:
                if len(out.attachments) >= MAX_ATTACHMENTS:
                    break
                att.index = len(out.attachments)
                out.attachments.append(att)
            out.ignored.extend(inner.ignored)
            out.documents.extend(inner.documents[:MAX_ATTACHMENTS - len(out.documents)])
            continue
        if len(out.attachments) >= MAX_ATTACHMENTS:
            out.defects.append("TooManyAttachments")
            break
        index = len(out.attachments)
        att = MailAttachment(
            index=index,
            file_name=name or _default_name(index, ctype, data),
            raw_name=raw_name,
            content_type=ctype,
            data=data,
            problem=code,
            problem_message=problem,
            defects=[type(d).__name__ for d in part.defects[:10]],
        )
        out.attachments.append(att)


# --- mailboxes -------------------------------------------------------------------------
def is_maildir(path: Path) -> bool:
    return path.is_dir() and (path / "cur").is_dir() and (path / "new").is_dir()


def maildir_files(path: Path) -> list[Path]:
    """The message files of one Maildir folder (cur/ and new/, never tmp/), sorted."""
    files = []
    for sub in ("new", "cur"):
        d = path / sub
        with contextlib.suppress(OSError):
            for p in d.iterdir():
                if p.is_file() and not p.name.startswith("."):
                    files.append(p)
    return sorted(files, key=lambda p: (p.name, p.parent.name))


def mbox_keys(path: Path) -> list[str]:
    """Keys of the messages in an mbox file (scanned, not loaded)."""
    box = mailbox.mbox(str(path), create=False)
    try:
        return list(box.iterkeys())
    finally:
        box.close()


def iter_mbox(path: Path, max_bytes: int = MAX_MESSAGE_BYTES) -> Iterator[tuple[int, bytes | None, int]]:
    """(number from 1, raw bytes or None when too large, size) for each message in an mbox."""
    box = mailbox.mbox(str(path), create=False)
    try:
        for n, key in enumerate(box.iterkeys(), start=1):
            start, stop = box._toc[key]  # noqa: SLF001 - the size before loading it
            size = stop - start
            if size > max_bytes:
                yield n, None, size
                continue
            yield n, box.get_bytes(key, from_=False), size
    finally:
        box.close()


def sniff_file(path: Path) -> str:
    """What a single file is: 'maildir', 'mbox', 'eml', 'msg', 'workbook' or 'other'."""
    if path.is_dir():
        return "maildir" if is_maildir(path) else "folder"
    ext = path.suffix.lower()
    if ext == ".eml":
        return "eml"
    if ext in {".mbox", ".mbx"}:
        return "mbox"
    if ext in OUTLOOK_EXTS:
        return "msg"
    if ext in WORKBOOK_EXTS or ext in ARCHIVE_EXTS or path.name.lower() == "winmail.dat":
        return "workbook"
    try:
        with open(path, "rb") as f:
            head = f.read(2048)
    except OSError:
        return "other"
    if head.startswith(b"From "):
        return "mbox"
    if looks_like_message(head):
        return "eml"
    if head[:8] == OLE_MAGIC or head[:2] == b"PK":
        return "workbook"
    return "other"
