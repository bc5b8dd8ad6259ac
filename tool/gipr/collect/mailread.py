"""The e-mail parser: one message taken apart (the standard library's ``email`` parser), an
mbox file split into messages (a streamed scan), a header's Message-ID.  Runs only inside a
reader worker (gipr.isolate, see READER_MODULES): the main process calls ``mailparse``'s
``parse_message``, ``mbox_spans`` and ``message_id_of``, which name these tasks by string.

Limits (``mailparse``): MAX_PARTS parts are looked at, MAX_ATTACHMENTS attachments taken;
attachments past that are named (up to MAX_DROPPED_NAMED) so that the run can say so.
"""

from __future__ import annotations

import email
import email.policy
import email.utils
import hashlib
import os
import re
from email.message import Message

from ..catalogue.access import say
from ..errors import MailError
from .mailparse import (
    DOC_EXTS,
    MAX_ATTACHMENTS,
    MAX_DROPPED_NAMED,
    MAX_MESSAGE_BYTES,
    MAX_NESTING,
    MAX_PARTS,
    MailAttachment,
    MailMessage,
    _decode_raw,
    _default_name,
    _ext,
    _param,
    _parse_date,
    _precheck,
    _split_params,
    classify_attachment,
    clean_file_name,
    clean_text,
    decode_header_text,
)

PARENT_SIDE = ()  # nothing here is for the main process: it names the tasks by string


def warm_up() -> None:
    """A reader worker's warm-up for the tasks below (``run_limited(initializer=…)``): importing
    this module (and with it the e-mail parser) is the work, before the first timed message."""

SCAN_CHUNK = 1 << 20  # an mbox is scanned in pieces of this size


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
        except Exception:
            name = None
        if name:
            shown = clean_file_name(name)
            if shown:
                raw = raw_cd if params is cd else raw_ct
                return shown, clean_text(_decode_raw(raw), 1000)
    return None, None



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
        raise MailError(say("collect.mailread.parse_message_here"), "mail.malformed") from None
    except MemoryError:
        raise
    except Exception as e:
        raise MailError(say("collect.mailread.parse_message_here_2", name=type(e).__name__), "mail.malformed") from None


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
    full = False  # MAX_ATTACHMENTS taken: the rest are only named
    for part in msg.walk():
        count += 1
        if count > MAX_PARTS and not full:
            out.defects.append("TooManyParts")
            full = True  # past the parts looked at: attachments are only named, never decoded
        if part.is_multipart():
            continue
        ctype = (part.get_content_type() or "").lower()
        disp = (part.get("Content-Disposition") or "")
        disp = str(disp).split(";")[0].strip().lower() if disp else ""
        name, raw_name = attachment_name(part)
        if name is None and disp != "attachment" and ctype.startswith(("text/", "multipart/")):
            continue  # the body
        if full:
            _drop(out, name, ctype)
            continue
        try:
            payload = part.get_payload(decode=True)  # bytes for a leaf part, None for a container
            data = payload if isinstance(payload, bytes) else b""
        except Exception:
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
            except Exception:
                out.defects.append("BrokenAttachedMessage")
                continue
            for att in inner.attachments:
                if len(out.attachments) >= MAX_ATTACHMENTS:
                    _drop(out, att.file_name, att.content_type, named=True)
                    continue
                att.index = len(out.attachments)
                out.attachments.append(att)
            for n in inner.dropped:
                _drop(out, n, "", named=True)
            out.dropped_total += inner.dropped_total - len(inner.dropped)
            out.ignored.extend(inner.ignored)
            out.documents.extend(inner.documents[:MAX_ATTACHMENTS - len(out.documents)])
            continue
        if len(out.attachments) >= MAX_ATTACHMENTS:
            if "TooManyAttachments" not in out.defects:
                out.defects.append("TooManyAttachments")
            _drop(out, name, ctype, named=True, index=len(out.attachments) + out.dropped_total, data=data)
            continue
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


def _drop(out: MailMessage, name: str | None, ctype: str, *, named: bool = False, index: int | None = None,
          data: bytes = b"") -> None:
    """An attachment not taken (past MAX_ATTACHMENTS, or in a part past MAX_PARTS): named in
    ``out.dropped`` (up to MAX_DROPPED_NAMED) and counted.  Past MAX_PARTS only the part's
    headers are looked at: a part with neither a workbook's name nor a spreadsheet type is not
    counted (it would not have been taken either)."""
    if not named and classify_attachment(name, ctype, b"")[0] == "ignore":
        return
    out.dropped_total += 1
    if len(out.dropped) < MAX_DROPPED_NAMED:
        n = index if index is not None else len(out.attachments) + out.dropped_total - 1
        out.dropped.append(name or _default_name(n, ctype, data))


# --- mbox ------------------------------------------------------------------------------------
def scan_mbox(path: str) -> list[tuple[int, int, int]]:
    """(start, body start, stop) of each message of an mbox file, as the standard library's
    ``mailbox.mbox`` delimits them (a message starts at a line beginning "From "; a blank line
    before the next one is not part of it), found by reading the file in pieces of SCAN_CHUNK
    bytes: a line is never held whole, so a 1 GB message on one line costs one piece of memory."""
    sep = os.linesep.encode()
    starts: list[int] = []
    bodies: list[int] = []
    stops: list[int] = []
    tail = b""  # the last bytes of the previous piece (a "\nFrom " or a blank line across pieces)
    pos = 0  # file offset of the end of what was read
    with open(path, "rb") as f:
        while True:
            piece = f.read(SCAN_CHUNK)
            if not piece:
                break
            buf = tail + piece
            base = pos - len(tail)  # file offset of buf[0]
            i = 0
            while True:
                if len(bodies) < len(starts):  # the end of the last "From " line
                    j = buf.find(b"\n", max(i, starts[-1] - base))
                    if j < 0:
                        break
                    bodies.append(base + j + 1)
                    i = j  # the "\n" may begin the next "\nFrom "
                if base + i == 0 and buf.startswith(b"From "):
                    k = 0
                else:
                    k = buf.find(b"\nFrom ", i)
                    if k < 0:
                        break
                    k += 1
                at = base + k
                if starts and at <= starts[-1]:  # seen in the previous piece's tail
                    i = k + 1
                    continue
                if len(stops) < len(starts):  # a blank line before "From " ends the message before it
                    stops.append(at - len(sep) if buf[:k].endswith(sep + sep) else at)
                starts.append(at)
                i = k + 5
            pos += len(piece)
            tail = buf[-8:]
    if len(stops) < len(starts):
        stops.append(pos - len(sep) if tail.endswith(sep + sep) else pos)
    while len(bodies) < len(starts):  # a "From " line that runs to the end of the file
        bodies.append(pos)
    return list(zip(starts, bodies, stops))


def message_id(head: bytes) -> str | None:
    """The Message-ID in a message's header block (the first 256 KB at most)."""
    from email.parser import BytesHeaderParser

    end = head.find(b"\r\n\r\n")
    head = head[: end if 0 <= end < 262144 else 262144]
    try:
        value = BytesHeaderParser(policy=email.policy.compat32).parsebytes(head).get("Message-ID")
    except Exception:
        return None
    m = re.search(r"<([^<>\s]+)>", str(value or ""))
    return m.group(1) if m else None
