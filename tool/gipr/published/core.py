"""import_document: one published report file → :class:`Imported` (a Report and where each
number was printed).  The parse (the part that touches hostile bytes) is the module-level
:func:`parse_document`, which takes bytes and returns picklable data, so it can run inside
the time/memory boundary (``gipr.isolate.run_limited``) when that is available.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from .. import messages
from ..errors import GiprError
from ..files import DOCUMENT_SUFFIXES
from ..model import Finding, Report
from ..spec import Spec, SpecError, available_formats, format_for_year, load_format
from .grid import MAX_DOCUMENT_BYTES, Document, TooManyCells
from .locate import Located, locate
from .title import find_title

__all__ = ["DOCUMENT_SUFFIXES", "DocumentError", "Imported", "import_document", "is_document", "parse_document"]

PARSE_SECONDS = 60
PARSE_MEMORY_MB = 1024
OCR_SECONDS = 150  # a scan: the OCR engine reads the table pages first within ocr.OcrSettings.seconds
OCR_MEMORY_MB = 3072  # its models and page images (address space; about 900 MB resident)


class DocumentError(GiprError):
    """A published document that cannot be imported; the message names the file."""

    def __reduce__(self):  # keeps its code when it crosses the process boundary
        return (DocumentError, (str(self), self.code))


@dataclass
class Imported:
    report: Report
    findings: list[Finding]
    provenance: dict[str, str]
    text: str = ""  # the document's text (for the narrative checks)
    title: str = ""
    kind: str = ""
    groups: list[tuple[list[str], object]] = field(default_factory=list)


def is_document(path: str | Path) -> bool:
    return Path(path).suffix.lower() in DOCUMENT_SUFFIXES


def _kind(data: bytes, suffix: str) -> str:
    head = data[:2048].lstrip()
    if data.startswith(b"%PDF") or b"%PDF-" in data[:1024]:
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        return "docx"
    if data.startswith((b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*")):
        return "image"
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "ole"
    low = head[:2048].lower()
    if b"mime-version:" in low and b"multipart/" in low:
        return "mhtml"
    if suffix in (".mhtml", ".mht"):
        return "mhtml"
    if low.startswith((b"<!doctype html", b"<html", b"<?xml")) or b"<table" in low or b"<body" in low or \
            suffix in (".html", ".htm"):
        return "html"
    return "text"


def parse_document(data: bytes, name: str, suffix: str) -> Document:
    """Bytes of one document → Document.  Raises DocumentError (or the zip vetting's ReadError)."""
    from .convert import ConvertProblem, to_docx
    from .pdf import PdfProblem

    kind = _kind(data, suffix)
    try:
        if kind == "pdf":
            from .pdf import parse_pdf

            try:
                return parse_pdf(data, name)
            except PdfProblem as e:
                if e.code != "pdf.scanned":
                    raise
                raise NeedsOcr(int(e.detail or 0)) from None
        if kind == "image":
            raise NeedsOcr(None)
        if kind == "docx":
            from .docx import parse_docx

            return parse_docx(data, name)
        if kind == "ole":
            if b"E\x00n\x00c\x00r\x00y\x00p\x00t\x00i\x00o\x00n\x00I\x00n\x00f\x00o" in data:
                raise DocumentError(messages.text("file.encrypted", file=name), "file.encrypted")
            from .docx import parse_docx

            what = "WPS" if suffix == ".wps" else "Word 97-2003（.doc）"
            try:
                doc = parse_docx(to_docx(data, suffix if suffix in (".doc", ".wps") else ".doc"), name)
            except ConvertProblem as e:
                raise DocumentError(messages.text(e.code, file=name, kind=what, detail=e.detail), e.code) from None
            doc.kind = suffix.lstrip(".") or "doc"
            return doc
        if kind == "mhtml":
            from .html import parse_mhtml

            return parse_mhtml(data, name)
        if kind == "html":
            from .html import parse_html

            return parse_html(data, name)
        from .text import parse_text

        return parse_text(data, name)
    except NeedsOcr:
        raise
    except PdfProblem as e:
        code = {"pdf.scanned": "doc.scanned", "pdf.encrypted": "doc.encrypted",
                "pdf.too_many_pages": "doc.too_many_pages"}.get(e.code, "doc.corrupt")
        from .grid import MAX_PAGES

        raise DocumentError(messages.text(code, file=name, pages=e.detail, limit=MAX_PAGES, detail=e.detail),
                            code) from None
    except GiprError:
        raise
    except TooManyCells:
        raise DocumentError(messages.text("doc.corrupt", file=name, detail=messages.detail("too_many_cells")),
                            "doc.corrupt") from None
    except RecursionError:
        raise DocumentError(messages.text("doc.corrupt", file=name, detail=messages.detail("nesting")),
                            "doc.corrupt") from None
    except MemoryError:
        raise DocumentError(messages.text("doc.corrupt", file=name, detail=messages.detail("memory")),
                            "doc.corrupt") from None
    except Exception as e:  # noqa: BLE001 - a hostile document must never crash gipr
        raise DocumentError(messages.text("doc.corrupt", file=name, detail=f"{type(e).__name__}: {str(e)[:100]}"),
                            "doc.corrupt") from None


class NeedsOcr(Exception):
    """A scan (an image-only PDF of ``pages`` pages) or a picture (``pages`` None): its text
    comes from OCR, a second run behind the boundary with limits of its own."""

    def __init__(self, pages: int | None):
        super().__init__(pages)
        self.pages = pages


def ocr_document(data: bytes, name: str, pages: int | None) -> Document:
    """A scan or a picture → Document, by OCR when the optional engine is installed
    (``gipr[ocr]``); without it, a message that says how to install it.  Raises DocumentError."""
    from .ocr import OcrUnavailable, ocr_images, ocr_pdf

    try:
        if pages is None:
            return ocr_images(data)
        return ocr_pdf(data, pages)
    except OcrUnavailable:
        code = "doc.scanned" if pages is not None else "doc.image"
        raise DocumentError(messages.text(code, file=name, pages=pages), code) from None
    except MemoryError:
        raise DocumentError(messages.text("doc.corrupt", file=name, detail=messages.detail("memory")),
                            "doc.corrupt") from None
    except Exception as e:  # noqa: BLE001 - a hostile picture must never crash gipr
        raise DocumentError(messages.text("doc.corrupt", file=name, detail=f"{type(e).__name__}: {str(e)[:100]}"),
                            "doc.corrupt") from None


def _run_parse(data: bytes, name: str, suffix: str) -> Document:
    from ..isolate import run_limited  # the one time/memory boundary for untrusted files

    try:
        return run_limited(parse_document, data, name, suffix, seconds=PARSE_SECONDS, memory_mb=PARSE_MEMORY_MB,
                           what=name)
    except NeedsOcr as e:  # the OCR engine's models need more room and time than a text parse
        return run_limited(ocr_document, data, name, e.pages, seconds=OCR_SECONDS, memory_mb=OCR_MEMORY_MB,
                           what=name)


def _guess_spec(doc: Document) -> Spec:
    """No year in the title: the format whose own labels the document holds."""
    from ..read import normalize_label

    text = normalize_label(doc.text + "".join(c.text for t in doc.tables for r in t.rows for c in r if c))
    best, score = None, -1
    for fid in available_formats():
        spec = load_format(fid)
        cols = {normalize_label(c.column_path[-1]) for c in spec.cells.values() if c.table_id == "t2"}
        s = sum(1 for x in cols if x in text)
        if s > score:
            best, score = spec, s
    assert best is not None
    return best


def roster_unit(report: Report, roster) -> object | None:
    """The roster unit of a published report: the roster matcher's answer (code, exact name),
    else the one unit whose name ends the issuer's (a title says 灵丘县教育科技局 where the
    roster says 县教育科技局)."""
    from ..identify import match_unit
    from ..roster import normalize_name

    u = match_unit(report, roster)
    if u is not None:
        return u
    n = normalize_name(report.unit_name)
    ends = [u for u in roster if len(normalize_name(u.name)) >= 3 and n.endswith(normalize_name(u.name))]
    return ends[0] if len(ends) == 1 else None


def import_document(path: str | Path, *, data: bytes | None = None, spec: Spec | None = None,
                    year: int | None = None, unit: str | None = None, name: str | None = None,
                    roster=None) -> Imported:
    """One published report → Imported.  ``spec``/``year``/``unit`` override what the title
    says; with a ``roster`` (list of roster Units) the issuer is matched to its unit (code and
    roster name).  Raises :class:`DocumentError` (a GiprError; Chinese message naming the file)."""
    p = Path(path)
    display = name or str(path)
    if data is None:
        try:
            if p.is_dir():
                raise DocumentError(messages.text("file.unreadable", file=display, detail=messages.detail("folder")),
                                    "file.unreadable")
            size = p.stat().st_size
            if size > MAX_DOCUMENT_BYTES:
                from ..ooxml.container import human_size as _size

                raise DocumentError(messages.text("file.too_large", file=display, size=_size(size),
                                                  limit=_size(MAX_DOCUMENT_BYTES)), "file.too_large")
            data = p.read_bytes()
        except FileNotFoundError:
            raise DocumentError(messages.text("file.not_found", file=display), "file.not_found") from None
        except PermissionError:
            raise DocumentError(messages.text("file.unreadable", file=display, detail=messages.detail("permission")),
                                "file.unreadable") from None
        except OSError as e:
            raise DocumentError(messages.text("file.unreadable", file=display, detail=str(e)[:100]),
                                "file.unreadable") from None
    if not data:
        raise DocumentError(messages.text("file.empty", file=display), "file.empty")
    if len(data) > MAX_DOCUMENT_BYTES:
        from ..ooxml.container import human_size as _size

        raise DocumentError(messages.text("file.too_large", file=display, size=_size(len(data)),
                                          limit=_size(MAX_DOCUMENT_BYTES)), "file.too_large")
    doc = _run_parse(data, display, p.suffix.lower())
    title, t_unit, t_year = find_title(doc.text)
    year = year or t_year
    if spec is None:
        if year is not None:
            try:
                spec = load_format(format_for_year(year))
            except SpecError as e:
                raise DocumentError(f"{display}：{e}", "doc.no_year") from None
        else:
            spec = _guess_spec(doc)
    found: Located = locate(doc, spec)
    for code, kw in doc.notes:
        found.findings.append(messages.finding(code, **kw))
    if doc.ocr:  # a scan: the rules decide which OCR'd numbers stand (gipr.published.ocr_rules)
        from .ocr_rules import settle

        found.findings.extend(settle(spec, found.values, found.where, doc.ocr))
        for cid, w in found.where.items():
            c = doc.ocr.get(w)
            if c is not None:
                found.where[cid] = messages.detail("ocr_where", where=w, conf=f"{c:.2f}")
    if not found.tables:
        raise DocumentError(messages.text("doc.no_tables", file=display), "doc.no_tables")
    report = Report(spec=spec, file=display)
    for cid, c in spec.cells.items():
        if cid in found.values:
            report.values[cid] = found.values[cid]
    for t in spec.tables:
        if t.id not in found.tables:
            n = len(t.cells)
            found.findings.append(messages.finding("layout.table_missing", table=t.name, title=t.title, n=n))
    missing_rows = {}
    for cid, c in spec.cells.items():
        if cid not in report.values and c.table_id in found.tables:
            missing_rows.setdefault((c.table, c.row_path[-1] if c.row_path else c.column), 0)
            missing_rows[(c.table, c.row_path[-1] if c.row_path else c.column)] += 1
    for (tname, label), n in missing_rows.items():
        found.findings.append(messages.finding("published.row_missing", table=tname, label=label, n=n))
    who = unit or t_unit or ""
    report.fields = {"unit_name": who, "year": str(year) if year else ""}
    if roster is not None and who:
        u = roster_unit(report, roster)
        if u is None:
            found.findings.append(messages.finding("published.unit_unknown", unit=who))
        else:
            report.fields.update(unit_name=u.name, unit_code=u.code)  # type: ignore[attr-defined]
            if u.name != who:  # type: ignore[attr-defined]
                found.findings.append(messages.finding("published.unit_matched", found=who, unit=u.name,  # type: ignore[attr-defined]
                                                       unit_code=u.code))  # type: ignore[attr-defined]
    report.identity = {}
    report.kind = "unit"
    report.sha256 = hashlib.sha256(data).hexdigest()
    report.locations = dict(found.where)
    if title and (t_unit or t_year) and not (unit and year):
        found.findings.append(messages.finding("published.unit_from_title", unit=who or "？", year=year or "？",
                                               title=title))
    blank = _columns_blank(doc, spec, report)
    if blank is not None:
        found.findings.append(blank)
    report.findings = list(found.findings)
    report.source = "published"
    report.text = doc.text
    report.groups = list(found.groups)
    # numbers printed with a note or a unit: said here as gipr check says them (check adds its own)
    from ..values import fmt_number

    converted = [messages.finding("value.converted", note=v.note, value=fmt_number(v.number), cell=cid,
                                  ref=found.where.get(cid), path=spec.cells[cid].label_path)
                 for cid, v in report.values.items() if v.code == "value.converted" and v.note]
    return Imported(report, list(found.findings) + converted, dict(found.where), doc.text, title, doc.kind,
                    found.groups)


def _columns_blank(doc: Document, spec: Spec, report: Report) -> Finding | None:
    """Table 三's 法人或其他组织 columns all left blank (a unit that only had applications from
    citizens): an info finding naming the column label as printed."""
    from ..read import normalize_label, similar_label

    def _same_label(text: str, want: str) -> bool:
        n = normalize_label(text)
        return n == want or similar_label(n, want)

    groups: dict[str, list[str]] = {}
    for cid in spec.table("t3").cells:
        path = spec.cells[cid].column_path
        if len(path) >= 2:
            groups.setdefault(path[-2], []).append(cid)
    for label, cids in groups.items():
        read = [report.values[c] for c in cids if c in report.values]
        if len(read) < len(cids) or any(v.state != "blank" for v in read):
            continue
        want = normalize_label(label)
        printed = next((c for t in doc.tables for r in t.rows for c in r
                        if c is not None and c.text and _same_label(c.text, want)), None)
        n = len({spec.cells[c].column_path[-1] for c in cids})
        return messages.finding("published.columns_blank", found=printed.text if printed else label, n=n,
                                ref=printed.where if printed else "表三", path="表三")
    return None
