"""import_document: one published report file → :class:`Imported` (a Report and where each
number was printed).  Everything whose cost grows with the hostile bytes runs in a reader
worker, always (``gipr.isolate.run_limited``, via :func:`_run_read`): :func:`read_document`
parses the document by the parser of its medium (:func:`parse_document`), finds its title and
its format and locates the tables, and hands back plain picklable data (``_Read``).  A scan or
a picture is read again by OCR (:func:`ocr_document`) in a worker of its own, with the OCR's
larger time and memory limits.  The main process builds the Report and its findings from that.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .. import messages
from ..catalogue.access import say, textkey
from ..errors import DocumentError, GiprError, NeedsOcr, OcrUnavailable, PdfProblem, SpecError, TooManyCells
from ..isolate import run_limited
from ..media import DOCUMENT_SUFFIXES, parser_of, sniff
from ..model import Finding, Report
from ..ooxml.container import human_size as _size
from ..read import normalize_label, similar_label
from ..roster import Unit, normalize_name
from ..rules import Number
from ..spec import Spec, available_formats, format_for_year, load_format
from ..unitmatch import match_unit
from ..values import fmt_number
from .grid import MAX_DOCUMENT_BYTES, MAX_PAGES, Document, Table
from .ocr import ocr_images, ocr_pdf
from .ocr_rules import settle
from .title import find_title

if TYPE_CHECKING:  # the locator and the digit splitter are imported in the reader worker only
    from .located import Located

__all__ = ["DOCUMENT_SUFFIXES", "Imported", "import_document", "is_document", "parse_document"]
# what the main process may take from here: the limited import, its types, and helpers over plain
# Reports (parse_document, read_document and ocr_document run only in a reader worker)
PARENT_SIDE = ("import_document", "Imported", "DOCUMENT_SUFFIXES", "is_document", "previous_numbers",
               "previous_in_run", "roster_unit", "PARSE_SECONDS", "PARSE_MEMORY_MB", "OCR_SECONDS", "OCR_MEMORY_MB")

PARSE_SECONDS = 60
PARSE_MEMORY_MB = 1024
OCR_SECONDS = 300  # a scan, wall clock: the OCR reads the table pages first, within its CPU budget (ocr.OcrSettings)
WARM_UP = "gipr.read:warm_up"  # a reader worker's warm-up before its first document (the label tables)
OCR_MEMORY_MB = 3072  # its models and page images (address space; about 900 MB resident)


@dataclass
class Imported:
    report: Report
    findings: list[Finding]
    provenance: dict[str, str]
    text: str = ""  # the document's text (for the narrative checks)
    title: str = ""
    kind: str = ""
    groups: list[tuple[list[str], Number]] = field(default_factory=list)


def is_document(path: str | Path) -> bool:
    return Path(path).suffix.lower() in DOCUMENT_SUFFIXES


def parse_document(data: bytes, name: str, suffix: str) -> Document:
    """Bytes of one document → Document, by the parser of its medium (:data:`gipr.media.MEDIA`,
    recognised by its bytes).  Raises DocumentError (or the zip vetting's ReadError), or
    :class:`NeedsOcr` for a scan or a picture."""

    try:
        return parser_of(sniff(data, suffix))(data, name, suffix)
    except NeedsOcr:
        raise
    except PdfProblem as e:
        if e.code == "pdf.scanned":
            raise NeedsOcr(int(e.detail or 0)) from None
        code = {"pdf.encrypted": "doc.encrypted",
                "pdf.too_many_pages": "doc.too_many_pages"}.get(e.code, "doc.corrupt")

        raise DocumentError(messages.say(textkey(code), file=name, pages=e.detail, limit=MAX_PAGES, detail=e.detail),
                            code) from None
    except TooManyCells:  # (a GiprError too: before the clause below)
        raise _corrupt(name, messages.say("detail.too_many_cells")) from None
    except GiprError:
        raise
    except RecursionError:
        raise _corrupt(name, messages.say("detail.nesting")) from None
    except MemoryError:
        raise _corrupt(name, messages.say("detail.memory")) from None
    except Exception as e:
        raise _corrupt(name, f"{type(e).__name__}: {str(e)[:100]}") from None


def _corrupt(name: str, detail: str) -> DocumentError:
    return DocumentError(messages.say("doc.corrupt", file=name, detail=detail), "doc.corrupt")


@dataclass
class _Read:
    """What the reader worker hands back: plain data (the document, its title, the format,
    and the tables located in it)."""

    doc: Document
    title: str
    t_unit: str | None
    t_year: int | None
    spec: Spec
    found: Located


def ocr_document(data: bytes, name: str, pages: int | None) -> Document:
    """A scan (``pages`` pages) or a picture (``pages`` None) → Document, by OCR when the
    optional engine is installed (``gipr[ocr]``); without it, a message that says how to
    install it.  Raises DocumentError."""

    try:
        return ocr_images(data) if pages is None else ocr_pdf(data, pages)
    except OcrUnavailable:
        code = "doc.scanned" if pages is not None else "doc.image"
        raise DocumentError(messages.say(textkey(code), file=name, pages=pages), code) from None
    except MemoryError:
        raise _corrupt(name, messages.say("detail.memory")) from None
    except Exception as e:
        raise _corrupt(name, f"{type(e).__name__}: {str(e)[:100]}") from None


def read_document(data: bytes, name: str, suffix: str, spec: Spec | None, year: int | None,
                  previous: list[tuple[str, dict]] | None = None, scan: tuple[int | None] | None = None) -> _Read:
    """Parse, find the title and the format, and locate the tables: everything whose cost
    grows with the input (the extractors, the label search, the digit splitter, OCR) runs
    here, inside the reader boundary (:func:`_run_read`).  ``previous``: last year's reports
    of this issuer or of any issuer (issuer name, cell id → number), for table 二's cuts.
    ``scan``: (pages,) to read the document by OCR (see :class:`NeedsOcr`)."""

    doc = parse_document(data, name, suffix) if scan is None else ocr_document(data, name, scan[0])
    title, t_unit, t_year = find_title(doc.text)
    year = year or t_year
    printed_as = None
    if spec is None:
        if year is not None:
            try:
                spec = load_format(format_for_year(year))
            except SpecError as e:
                raise DocumentError(f"{name}：{e}", "doc.no_year") from None
            other = _guess_spec(doc)
            if other.id != spec.id and _format_score(doc, other) > _format_score(doc, spec):
                printed_as, spec = spec.id, other  # a 2021 report printed in the 2019 table format
        else:
            spec = _guess_spec(doc)
    prev = _previous_for(previous, t_unit)
    from .locate import locate  # worker-only: the label search runs behind the worker's limits
    from .sequence import sequence_rows  # worker-only: so does the label-sequence reader
    found = locate(doc, spec, prev)
    if doc.kind == "text" or len(found.tables) < len(spec.tables):
        # the text (or a page whose tables were flattened into it) may have lost its line
        # breaks: then the label sequence reads it, when it reads more

        alt = locate(Document("text", doc.text, [Table(sequence_rows(doc.text, spec), say("published.core.read_document.alt"))]), spec, prev)
        if _score(alt) > _score(found) or (alt.tables and not found.tables):
            found = alt
    if printed_as is not None:
        found.findings.insert(0, messages.finding("published.format_printed", year=year, format=spec.id,
                                                  expected=printed_as))
    for code, kw in doc.notes:
        found.findings.append(messages.finding(code, **kw))
    if doc.ocr:  # a scan: the rules decide which OCR'd numbers stand (gipr.published.ocr_rules)
        found.findings.extend(settle(spec, found.values, found.where, doc.ocr))
        for cid, w in found.where.items():
            c = doc.ocr.get(w)
            if c is not None:
                found.where[cid] = messages.say("detail.ocr_where", where=w, conf=f"{c:.2f}")
    return _Read(doc, title, t_unit, t_year, spec, found)


def _score(found: Located) -> tuple[int, int, int]:
    """More cells read (a number or a printed blank), then more cells whose row the reader
    could say something about (a row seen but not aligned is better said than lost), then
    fewer errors."""
    read = sum(1 for v in found.values.values() if v.code is None or v.state == "number")
    seen = len(set(found.values) | found.reported)
    return read, seen, -sum(1 for f in found.findings if f.severity == "error")


def _previous_for(previous: list[tuple[str, dict]] | None, unit: str | None) -> dict | None:
    """Last year's numbers of this issuer: the one whose name is the title's, else the only one."""
    if not previous:
        return None

    same = [v for n, v in previous if n and unit and normalize_name(n) == normalize_name(unit)]
    if same:
        return same[0]
    return previous[0][1] if len(previous) == 1 else None


def previous_numbers(report: Report) -> tuple[str, dict]:
    """A report as last year's numbers for :func:`import_document`'s ``previous``."""
    return report.unit_name, {cid: v.number for cid, v in report.values.items() if v.state == "number"}


def previous_in_run(results: list) -> list[tuple[int, tuple[str, dict]]]:
    """(index, last year's numbers) for each imported document of a run whose glued digits
    were left open and whose issuer's report of the year before is in the same run."""

    by_key: dict[tuple[str, int], Imported] = {}
    for r in results:
        if isinstance(r, Imported) and r.report.unit_name and r.report.year:
            by_key.setdefault((normalize_name(r.report.unit_name), int(r.report.year)), r)
    out = []
    for i, r in enumerate(results):
        if not isinstance(r, Imported) or not r.report.year or \
                not any(f.code == "published.digits_ambiguous" for f in r.findings):
            continue
        prev = by_key.get((normalize_name(r.report.unit_name), int(r.report.year) - 1))
        if prev is not None:
            out.append((i, previous_numbers(prev.report)))
    return out


def _run_read(data: bytes, name: str, suffix: str, spec: Spec | None, year: int | None,
              previous: list[tuple[str, dict]] | None) -> _Read:
    try:  # (in gipr audit's pool the document is read in the worker that checks it)
        return run_limited(read_document, data, name, suffix, spec, year, previous, seconds=PARSE_SECONDS,
                           memory_mb=PARSE_MEMORY_MB, what=name, here_in_worker=True, initializer=WARM_UP)
    except NeedsOcr as e:  # the OCR needs more room and time than a text parse (or an audit worker) has
        return run_limited(read_document, data, name, suffix, spec, year, previous, (e.pages,),
                           seconds=OCR_SECONDS, memory_mb=OCR_MEMORY_MB, what=name, keep=False, initializer=WARM_UP)


def _format_score(doc: Document, spec: Spec) -> int:
    """How many of the format's own table 二 column labels the document holds."""

    text = normalize_label(doc.text + "".join(c.text for t in doc.tables for r in t.rows for c in r if c))
    cols = {normalize_label(c.column_path[-1]) for c in spec.cells.values() if c.table_id == "t2"}
    return sum(1 for x in cols if x in text)


def _guess_spec(doc: Document) -> Spec:
    """No year in the title: the format whose own labels the document holds."""
    best, score = None, -1
    for fid in available_formats():
        spec = load_format(fid)
        s = _format_score(doc, spec)
        if s > score:
            best, score = spec, s
    assert best is not None
    return best


def roster_unit(report: Report, roster: list[Unit]) -> Unit | None:
    """The roster unit of a published report: the roster matcher's answer (code, exact name),
    else the one unit whose name ends the issuer's (a title says 灵丘县教育科技局 where the
    roster says 县教育科技局)."""

    u = match_unit(report, roster)
    if u is not None:
        return u
    n = normalize_name(report.unit_name)
    ends = [u for u in roster if len(normalize_name(u.name)) >= 3 and n.endswith(normalize_name(u.name))]
    return ends[0] if len(ends) == 1 else None


def import_document(path: str | Path, *, data: bytes | None = None, spec: Spec | None = None,
                    year: int | None = None, unit: str | None = None, name: str | None = None,
                    roster=None, previous: list[tuple[str, dict]] | None = None) -> Imported:
    """One published report → Imported.  ``spec``/``year``/``unit`` override what the title
    says; with a ``roster`` (list of roster Units) the issuer is matched to its unit (code and
    roster name).  ``previous``: last year's reports as (issuer, cell id → number), used to
    choose among table 二's cuts of glued digits (现行有效 = 上年 + 制发 − 废止).  Raises
    :class:`DocumentError` (a GiprError; Chinese message naming the file)."""
    p = Path(path)
    display = name or str(path)
    if data is None:
        try:
            if p.is_dir():
                raise DocumentError(messages.say("file.unreadable", file=display, detail=messages.say("detail.folder")),
                                    "file.unreadable")
            size = p.stat().st_size
            if size > MAX_DOCUMENT_BYTES:
                raise DocumentError(messages.say("file.too_large", file=display, size=_size(size),
                                                  limit=_size(MAX_DOCUMENT_BYTES)), "file.too_large")
            data = p.read_bytes()
        except FileNotFoundError:
            raise DocumentError(messages.say("file.not_found", file=display), "file.not_found") from None
        except PermissionError:
            raise DocumentError(messages.say("file.unreadable", file=display, detail=messages.say("detail.permission")),
                                "file.unreadable") from None
        except OSError as e:
            raise DocumentError(messages.say("file.unreadable", file=display, detail=str(e)[:100]),
                                "file.unreadable") from None
    if not data:
        raise DocumentError(messages.say("file.empty", file=display), "file.empty")
    if len(data) > MAX_DOCUMENT_BYTES:
        raise DocumentError(messages.say("file.too_large", file=display, size=_size(len(data)),
                                          limit=_size(MAX_DOCUMENT_BYTES)), "file.too_large")
    r = _run_read(data, display, p.suffix.lower(), spec, year, previous)
    doc, title, t_unit, t_year, spec, found = r.doc, r.title, r.t_unit, r.t_year, r.spec, r.found
    year = year or t_year
    if not found.tables:
        raise DocumentError(messages.say("doc.no_tables", file=display), "doc.no_tables")
    report = Report(spec=spec, file=display)
    for cid in spec.cells:
        if cid in found.values:
            report.values[cid] = found.values[cid]
    for t in spec.tables:
        if t.id not in found.tables:
            n = len(t.cells)
            found.findings.append(messages.finding("layout.table_missing", table=t.name, title=t.title, n=n))
    missing_rows: dict[tuple[str, str], int] = {}
    for cid, c in spec.cells.items():
        if cid not in report.values and c.table_id in found.tables and cid not in found.reported:
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
            report.fields.update(unit_name=u.name, unit_code=u.code)
            if u.name != who:
                found.findings.append(messages.finding("published.unit_matched", found=who, unit=u.name,
                                                       unit_code=u.code))
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

    converted = [messages.finding("value.converted", note=v.note, value=fmt_number(v.number), cell=cid,
                                  ref=found.where.get(cid), path=spec.cells[cid].label_path)
                 for cid, v in report.values.items() if v.code == "value.converted" and v.note]
    return Imported(report, list(found.findings) + converted, dict(found.where), doc.text, title, doc.kind,
                    found.groups)


def _columns_blank(doc: Document, spec: Spec, report: Report) -> Finding | None:
    """Table 三's 法人或其他组织 columns all left blank (a unit that only had applications from
    citizens): an info finding naming the column label as printed."""

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
                                ref=printed.where if printed else say("published.core.columns_blank.ref"), path=say("published.core.columns_blank.ref"))
    return None
