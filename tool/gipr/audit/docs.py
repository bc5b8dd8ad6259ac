"""One published report, read and checked on its own (in a reader worker): :func:`audit_one`.

It returns plain data (:class:`DocResult`): the issuer and year as printed, the publication
date and where it came from, the Report (its format is re-attached in the main process), the
findings of every check that applies to a document alone (the chain of years is checked
later, once every year of the issuer is known), and how many cells could not be read.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..check.checks import CHECKS, DOCUMENT, run_checks
from ..check.similar import sentences
from ..errors import GiprError
from ..model import Finding, Report
from ..published import import_document
from ..vocabulary import alternation, vocabulary

__all__ = ["MAX_META_BYTES", "DocResult", "audit_one", "clean_issuer", "publication_date", "unread_cells"]

MAX_META_BYTES = 65536  # how far into a file its page metadata (PubDate, 发布时间) is looked for

_WORDS = vocabulary()["audit_pages"]
_DATE = _WORDS["date_pattern"]
# page metadata as crawled page texts and government pages print it
_META_LINE = re.compile("(?:" + alternation(_WORDS["date_labels"]) + r")\s*[:：]?\s*" + _DATE)
_META_TAG = re.compile(r"<meta[^>]+(?:name|property)\s*=\s*[\"']?(?:PubDate|pubdate|publishdate|firstpublishedtime|"
                       r"article:published_time)[\"']?[^>]*>", re.I)
_CONTENT = re.compile(r"content\s*=\s*[\"']?\s*" + _DATE)
_END_DATE = re.compile(_WORDS["end_date_pattern"])
_LABEL_PREFIX = re.compile("^(?:" + alternation(_WORDS["title_labels"]) + r")\s*[:：]\s*", re.I)
END_CHARS = 160  # a date printed this close to the end of the text is the report's date


@dataclass
class DocResult:
    file: str
    sha256: str = ""
    status: str = "ok"  # ok | unreadable | not_report
    error_code: str = ""
    error: str = ""
    issuer: str = ""  # as printed in the title (a label such as 标题： removed)
    year: int | None = None  # the report year
    title: str = ""
    published: str | None = None  # ISO date
    published_from: str = ""  # meta | text_end
    report: Report | None = None  # its spec is None across the process boundary
    format: str = ""
    findings: list[Finding] = field(default_factory=list)
    unread: int = 0
    sentences: list[str] = field(default_factory=list)  # the narrative's sentences (check.similar)
    seconds: float = 0.0


_TRAILING = re.compile(r"[\s　]*(?:" + alternation(_WORDS["issuer_trailing_words"]) + ")$")


def clean_issuer(name: str) -> str:
    """The issuer as printed, without a field label (标题：) or a trailing 关于 (“X关于2021年度…报告”)."""
    return _TRAILING.sub("", _LABEL_PREFIX.sub("", (name or "").strip(" 　#")).strip(" 　：:")).strip(" 　：:")


def _date(m: re.Match) -> str | None:
    try:
        return _dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3))).isoformat()
    except ValueError:
        return None


def publication_date(data: bytes, text: str) -> tuple[str | None, str]:
    """(ISO date, where it came from): a page's PubDate meta tag or a 发布时间 line, else the
    date printed at the end of the text (the report's own date); (None, "") when neither."""
    head = data[:MAX_META_BYTES]
    for enc in ("utf-8", "gb18030"):
        try:
            page = head.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:
        page = head.decode("utf-8", "replace")
    for tag in _META_TAG.finditer(page):
        m = _CONTENT.search(tag.group(0))
        if m and _date(m):
            return _date(m), "meta"
    m = _META_LINE.search(page) or _META_LINE.search(text[:4000])
    if m and _date(m):
        return _date(m), "meta"
    tail = text.rstrip()[-END_CHARS:]
    found = list(_END_DATE.finditer(tail))
    if found and _date(found[-1]):
        return _date(found[-1]), "text_end"
    return None, ""


def unread_cells(report: Report) -> int:
    """Value cells the document did not give a number for (not printed, unreadable, glued
    digits left open, one printed row for several cells) — blanks printed as blanks are read."""
    grouped = {cid for ids, _n in report.groups for cid in ids}
    n = 0
    for cid in report.spec.cells:
        v = report.values.get(cid)
        if v is None or cid in grouped or (v.state == "blank" and v.code == "published.digits_ambiguous"):
            n += 1
    return n


def audit_one(path: str) -> DocResult:
    """Read one file as a published report and run the document checks.  Never raises for a
    bad document (its status says what happened); runs inside a reader worker."""
    import hashlib
    import time

    t0 = time.perf_counter()
    out = DocResult(file=path)
    try:
        data = Path(path).read_bytes()
    except OSError as e:
        out.status, out.error_code, out.error = "unreadable", "file.unreadable", f"{path}：{e.strerror or e}"
        return out
    out.sha256 = hashlib.sha256(data).hexdigest()
    try:
        imp = import_document(path, data=data)
    except GiprError as e:
        code = getattr(e, "code", "doc.corrupt")
        named = any(w in Path(path).name for w in _WORDS["report_file_name_words"])
        out.status = "not_report" if code in ("doc.no_tables", "file.empty") and not named and not _says_report(data) \
            else "unreadable"
        out.error_code, out.error = code, str(e)
        return out
    rep = imp.report
    out.issuer = clean_issuer(rep.unit_name)
    out.year = rep.year
    out.title = imp.title
    out.format = rep.spec.id
    out.published, out.published_from = publication_date(data, imp.text)
    out.findings = run_checks(rep, checks=[c for c in CHECKS if DOCUMENT in c.sources])
    out.unread = unread_cells(rep)

    out.sentences = sentences(imp.text)
    rep.text = ""  # checked; the chain needs only its sentences (a region's texts would fill the memory)
    rep.spec = None  # type: ignore[assignment]  # re-attached by the main process (load_format)
    out.report = rep
    out.seconds = time.perf_counter() - t0
    return out


_REPORT_WORDS = tuple(_WORDS["report_words"])


def _says_report(data: bytes) -> bool:
    """A file whose first part names an annual report (a report we failed to read, not an
    unrelated file)."""
    head = data[:MAX_META_BYTES]
    for enc in ("utf-8", "gb18030", "utf-16"):
        try:
            text = head.decode(enc)
        except UnicodeDecodeError:
            continue
        if any(w in text for w in _REPORT_WORDS):
            return True
    return any(w.encode("utf-8") in head for w in _REPORT_WORDS)
