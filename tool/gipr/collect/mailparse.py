"""Reading e-mail the way Chinese mail systems write it: messages (.eml), mbox files and
Maildir folders → the attachments that may be returned workbooks, with their file names
decoded and every mail-level hazard turned into a reason code instead of an exception.

File names are decoded from RFC 2231 (``filename*=UTF-8''…``, continuations included),
RFC 2047 encoded words inside ``name=`` (what Coremail, QQ Mail and Outlook send), charset
labels such as GB2312 on text that is really GBK (decoded as GB18030, a superset), and raw
8-bit GBK or UTF-8 bytes in the header.  A decoded name is only ever *shown*; it is never
used as a path.

This module is the main process's side of e-mail: the limits, the data types, file-name and
header-text decoding, and the calls that take a message or an mbox apart in a reader worker
(``parse_message``, ``mbox_spans``, ``message_id_of``).  The parsing itself (the ``email``
parser, the mbox scan) is in ``mailread``, which only a worker imports.
"""

from __future__ import annotations

import contextlib
import email
import email.errors
import email.header
import email.utils
import os
import re
import unicodedata
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from ..catalogue.access import say
from ..errors import MailError, ReadError
from ..files import ATTACHMENT_SUFFIXES
from ..isolate import run_limited
from ..magic import sniff
from ..media import DRAFT_SUFFIXES
from ..read import MAX_READ_MEMORY_MB

# --- limits (documented in the README) -------------------------------------------------
MAX_MESSAGE_BYTES = 50 * 1024 * 1024  # one message, as received
MAX_PARTS = 500  # MIME parts walked in one message
MAX_ATTACHMENTS = 100  # candidate attachments taken from one message
MAX_NESTING = 5  # forwarded messages inside messages
MAX_HEADER_CHARS = 4000  # a decoded header value is cut here for display
MAX_NAME_CHARS = 255  # a decoded file name is cut here for display
PARSE_SECONDS = 30  # wall-clock limit for parsing one message
MBOX_SCAN_SECONDS = 120  # wall-clock limit for finding the messages of one mbox file (streamed, in a worker)
MAX_DROPPED_NAMED = 1000  # attachments past MAX_ATTACHMENTS named in the run's output (the rest counted)
MAX_DROPPED_NOTED = 20  # of those, named in the ledger's note of each of the message's rows

WORKBOOK_EXTS = ATTACHMENT_SUFFIXES
DOC_EXTS = DRAFT_SUFFIXES  # a unit's report document attached to its mail (collect.documents)
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
TNEF_MAGIC = b"\x78\x9f\x3e\x22"

# charset labels that mail systems use for GBK text; GB18030 decodes all of them
_GB_LABELS = {"gb2312", "gbk", "gb_2312-80", "gb_2312", "x-gbk", "cp936", "ms936", "euc-cn", "euccn",
              "x-euc-cn", "csgb2312", "chinese", "iso-ir-58", "gb18030", "windows-936", "gb2312-80"}
_BIG5_LABELS = {"big5", "big-5", "cn-big5", "x-x-big5", "csbig5", "big5-hkscs"}
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_ENCODED_WORD = re.compile(r"=\?[^?\s]+\?[bBqQ]\?[^?]*\?=")


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
    except Exception:
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
        _stem, dot, ext = name.rpartition(".")
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
    dropped: list[str] = field(default_factory=list)  # attachments past MAX_ATTACHMENTS (up to MAX_DROPPED_NAMED)
    dropped_total: int = 0  # how many attachments were past MAX_ATTACHMENTS (named or not)
    # attachments that may be a unit's report document (collect.documents), by suffix: (name, bytes);
    # their names are in ``ignored`` too (not workbooks)
    documents: list[tuple[str, bytes]] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)

    @property
    def source_text(self) -> str:
        bits = [say("collect.mailparse.source_text.bits", value=self.from_text or say("collect.mailparse.source_text.value")), say("collect.mailparse.source_text.bits_2",
                                                      value=self.subject or say("collect.mailparse.source_text.value"))]
        if self.date_raw:
            bits.append(say("collect.mailparse.source_text", date_raw=self.date_raw))
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
                say("collect.mailparse.classify_attachment"))
    if ext in OUTLOOK_EXTS or ctype in OUTLOOK_TYPES:
        return ("problem", "mail.outlook_msg",
                say("collect.mailparse.classify_attachment_2"))
    if ext in ARCHIVE_EXTS or ctype in {"application/zip", "application/x-zip-compressed",
                                         "application/x-rar-compressed", "application/x-7z-compressed",
                                         "application/vnd.rar", "application/gzip"}:
        return ("problem", "file.archive",
                say("collect.mailparse.classify_attachment_3"))
    if ext in {".eml"} or ctype == "message/rfc822":
        return ("message", None, None)
    if ext in WORKBOOK_EXTS:
        return ("workbook", None, None)
    if ctype in SPREADSHEET_TYPES and not re.fullmatch(r"\.[a-z0-9]{1,5}", ext):
        return ("workbook", None, None)  # a spreadsheet type and no other extension
    if not name and ctype in {"application/octet-stream", ""}:
        # an unnamed binary part: a workbook if its bytes say so
        kind = sniff(data)
        if kind == "ole" or (kind == "zip" and b"xl/workbook" in data[-65536:]):
            return ("workbook", None, None)
    return ("ignore", None, None)


def _default_name(index: int, ctype: str, data: bytes) -> str:
    ext = SPREADSHEET_TYPES.get(ctype)
    if not ext:
        ext = {"ole": ".xls", "zip": ".xlsx"}.get(sniff(data), ".bin")
    return say("collect.mailparse.default_name", value=index + 1, ext=ext)


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
    return _limited("gipr.collect.mailread:parse_message_here", raw, max_bytes, _depth, seconds=seconds)


def _limited(task: str, *args, seconds: float):
    """A mail reader's task in a reader worker; a limit of the worker as a MailError."""

    try:
        return run_limited(task, *args, seconds=seconds, memory_mb=MAX_READ_MEMORY_MB, what="",
                           initializer="gipr.collect.mailread:warm_up")
    except MailError:
        raise
    except ReadError as e:  # a limit of the worker
        if e.code == "file.timeout":
            raise MailError(say("collect.mailparse.limited", seconds=seconds), "mail.timeout") from None
        if e.code == "file.too_large":
            raise MailError(say("collect.mailparse.limited_2"), "mail.too_large") from None
        raise MailError(say("collect.mailparse.limited_3", e=e), "mail.malformed") from None
    except Exception as e:
        raise MailError(say("collect.mailparse.limited_4", name=type(e).__name__), "mail.malformed") from None


def message_id_of(raw: bytes) -> str | None:
    """The Message-ID of a message's header (read in a reader worker); None if it has none or
    the header cannot be read."""
    try:
        return _limited("gipr.collect.mailread:message_id", raw[:262144], seconds=PARSE_SECONDS)
    except MailError:
        return None


def _precheck(raw: bytes, max_bytes: int) -> None:
    if len(raw) > max_bytes:
        raise MailError(say("collect.mailparse.precheck", value=len(raw) / 1048576, value2=max_bytes // 1048576),
                        "mail.too_large")
    if sniff(raw) == "ole":
        raise MailError(say("collect.mailparse.precheck_2"), "mail.outlook_msg")
    if not raw.strip():
        raise MailError(say("collect.mailparse.precheck_3"), "mail.empty")
    if not looks_like_message(raw[:2048]):
        raise MailError(say("collect.mailparse.precheck_4"), "mail.not_a_message")


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


def mbox_spans(path: Path) -> list[tuple[int, int, int]]:
    """(start, body start, stop) of each message of an mbox file, found by a streamed scan in a
    reader worker (never a whole line in memory: a 1 GB message on one line costs nothing).
    Raises MailError (mail.timeout, mail.too_large, mail.malformed) or OSError."""
    return _limited("gipr.collect.mailread:scan_mbox", str(path), seconds=MBOX_SCAN_SECONDS)


def mbox_keys(path: Path) -> list[int]:
    """The message numbers of an mbox file (from 0)."""
    return list(range(len(mbox_spans(path))))


def iter_mbox(path: Path, max_bytes: int = MAX_MESSAGE_BYTES, *,
              spans: list[tuple[int, int, int]] | None = None) -> Iterator[tuple[int, bytes | None, int]]:
    """(number from 1, raw bytes or None when too large, size) for each message in an mbox: the
    messages are found in a worker (``mbox_spans``, unless given); this process only reads
    each one's bytes."""
    spans = mbox_spans(path) if spans is None else spans
    with open(path, "rb") as f:
        for n, (start, body, stop) in enumerate(spans, start=1):
            size = stop - start
            if size > max_bytes:
                yield n, None, size
                continue
            f.seek(body)
            raw = f.read(max(0, stop - body))
            yield n, raw if os.linesep == "\n" else raw.replace(os.linesep.encode(), b"\n"), size


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
    if sniff(head) in ("ole", "zip"):
        return "workbook"
    return "other"
