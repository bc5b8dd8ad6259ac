"""Read a returned workbook into a :class:`~gipr.model.Report`.

The reader accepts what units actually send back: .xlsx/.xlsm saved by Excel, WPS or
LibreOffice, .xls (also WPS .et, and an .xls renamed to .xlsx), .ods, and Strict Open XML.
It reads each file once:

1. **Vet the container before any parser sees it** (``_open_container``): sniff the magic
   bytes; for a zip, refuse duplicate members, encrypted members, too many members, a
   declared uncompressed size or compression ratio beyond the limits below (zip bombs), and
   any XML part with a DOCTYPE/ENTITY declaration (entity bombs, external entities); every
   member is decompressed once here with its CRC checked, so the sizes are real; for an OLE2
   file, recognise a password-encrypted OOXML package (``EncryptionInfo`` +
   ``EncryptedPackage``) or an encrypted .xls (``FILEPASS``); for every sheet, bound the
   rows × columns its cells span, because a dense reader would allocate a cell for each
   (one value typed into row 1,048,576 must not cost a gigabyte; a sheet *dimension* that
   merely claims a million rows is harmless and is ignored).
2. **Read values with python-calamine** (fast, reads hidden sheets, returns cached formula
   results).  openpyxl is never used here.
3. **Locate every cell through the spec map and verify the fixed labels** at their
   positions.  If the labels are not where the spec puts them (rows inserted, a sheet
   renamed, a table pasted elsewhere), the table is found by its official labels: the
   sheet by the labels it holds, the rows by aligning the spec's rows of labels with the
   sheet's rows (an order-preserving alignment, so repeated headers are told apart), the
   columns by the column labels.  What moved is reported as a finding; what cannot be
   located unambiguously is an error finding and is not read.  A wrong cell is never read
   silently.  Label drift (spaces, full/half-width punctuation, a typo) is tolerated when
   matching and reported when a label was changed.
4. **Identity** from the very hidden ``_gipr`` sheet, else from the ``gipr.*`` custom
   document properties.

``read_report`` raises nothing but :class:`ReadError` (a ``GiprError`` with a stable
``code`` and a Chinese message naming the file).
"""

from __future__ import annotations

import difflib
import hashlib
import io
import os
import re
import struct
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from . import messages
from .errors import GiprError
from .identity import IDENTITY_SHEET, identity_from_properties, read_identity_rows
from .model import Finding, Report
from .spec import Label, Spec, SpecError, TableLayout, available_formats, format_for_year, load_format
from .values import Value, parse_value

__all__ = ["ReadError", "read_report", "read_report_limited", "LIMITS", "sniff", "normalize_label"]

# -----------------------------------------------------------------------------------------
# Limits, in one place.  A real report workbook is 20–100 KB with ~15 zip members; the
# limits leave two orders of magnitude of room and still keep a hostile file from costing
# more than a few hundred MB of memory or a second of time.
MAX_FILE_BYTES = 64 * 1024 * 1024  # the file itself
MAX_MEMBERS = 2000  # zip members
MAX_MEMBER_BYTES = 64 * 1024 * 1024  # declared uncompressed size of one member
MAX_TOTAL_BYTES = 256 * 1024 * 1024  # declared uncompressed size of all members
MAX_RATIO = 200  # uncompressed/compressed of one member …
RATIO_FLOOR = 1024 * 1024  # … checked for members above this size (small parts compress a lot)
MAX_SHEET_CELLS = 2_000_000  # rows × columns one sheet's cells may span (a dense grid)
MAX_SHEET_ROWS = 100_000  # rows a sheet may span (any width)
MAX_READ_SECONDS = 60  # wall-clock time reading one file may take (gipr.isolate's worker is killed)
MAX_READ_MEMORY_MB = 2048  # memory (address space) a reading worker may use (POSIX; gipr.isolate)
LIMITS = {
    "max_file_bytes": MAX_FILE_BYTES, "max_members": MAX_MEMBERS, "max_member_bytes": MAX_MEMBER_BYTES,
    "max_total_bytes": MAX_TOTAL_BYTES, "max_ratio": MAX_RATIO, "ratio_floor": RATIO_FLOOR,
    "max_sheet_cells": MAX_SHEET_CELLS, "max_sheet_rows": MAX_SHEET_ROWS, "max_read_seconds": MAX_READ_SECONDS,
    "max_read_memory_mb": MAX_READ_MEMORY_MB,
}

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
STRICT_NS = b"http://purl.oclc.org/ooxml/"
# Strict → transitional namespace map (ECMA-376 Part 1 vs Part 4)
_STRICT_MAP = [
    (b"http://purl.oclc.org/ooxml/spreadsheetml/main", b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"),
    (b"http://purl.oclc.org/ooxml/officeDocument/relationships",
     b"http://schemas.openxmlformats.org/officeDocument/2006/relationships"),
    (b"http://purl.oclc.org/ooxml/drawingml/main", b"http://schemas.openxmlformats.org/drawingml/2006/main"),
    (b"http://purl.oclc.org/ooxml/officeDocument/extendedProperties",
     b"http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"),
    (b"http://purl.oclc.org/ooxml/officeDocument/customProperties",
     b"http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"),
    (b"http://purl.oclc.org/ooxml/officeDocument/docPropsVTypes",
     b"http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"),
]


class ReadError(GiprError):
    """A file gipr cannot read at all.  ``code`` is one of ``messages.READ_ERRORS``."""

    code = "file.unreadable"


def _fail(code: str, name: str, **kw: Any) -> ReadError:
    return ReadError(messages.text(code, file=name, **kw), code)


def _size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / 1024 / 1024:.1f} MB"
    return f"{max(1, n // 1024)} KB"


# -----------------------------------------------------------------------------------------
# 1. the container


@dataclass
class _Container:
    kind: str  # "xlsx" | "xls" | "ods"
    data: bytes  # what calamine reads (Strict OOXML rewritten to transitional)
    members: dict[str, bytes] = field(default_factory=dict)  # zip members, decompressed
    props: dict[str, str] = field(default_factory=dict)  # custom document properties
    oversized: dict[str, tuple[int, int]] = field(default_factory=dict)  # sheet name -> (rows, cols)
    oversized_members: dict[str, tuple[int, int]] = field(default_factory=dict)  # xlsx member -> extent
    notes: list[Finding] = field(default_factory=list)
    formula_cache: dict[str, set[tuple[int, int]]] = field(default_factory=dict)
    error_cache: dict[str, dict[tuple[int, int], str]] = field(default_factory=dict)


def sniff(data: bytes) -> str:
    """What a file is by its first bytes: zip | ole | empty | other."""
    if not data:
        return "empty"
    if data.startswith(ZIP_MAGIC) or data.startswith(b"PK\x05\x06"):
        return "zip"
    if data.startswith(OLE_MAGIC):
        return "ole"
    return "other"


def _describe_other(data: bytes) -> str:
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"%pdf"):
        return messages.detail("pdf")
    if head.startswith((b"<html", b"<!doctype html", b"<table", b"<meta")) or b"<html" in head[:512]:
        return messages.detail("html")
    if head.startswith(b"<?xml") and b"urn:schemas-microsoft-com:office:spreadsheet" in data[:8192]:
        return messages.detail("xml2003")
    if head.startswith((b"rar!", b"7z\xbc\xaf")):
        return messages.detail("archive")
    if head.startswith((b"\x89png", b"\xff\xd8\xff", b"gif8")):
        return messages.detail("image")
    if head.startswith((b"{\\rtf",)):
        return messages.detail("rtf")
    try:
        data[:4096].decode("utf-8")
        return messages.detail("text")
    except UnicodeDecodeError:
        return messages.detail("unknown")


def _open_container(data: bytes, name: str) -> _Container:
    kind = sniff(data)
    if kind == "empty":
        raise _fail("file.empty", name)
    if len(data) > MAX_FILE_BYTES:
        raise _fail("file.too_large", name, size=_size(len(data)), limit=_size(MAX_FILE_BYTES))
    if kind == "zip":
        return _open_zip(data, name)
    if kind == "ole":
        return _open_ole(data, name)
    raise _fail("file.not_spreadsheet", name, detail=_describe_other(data))


def _read_member(zf: zipfile.ZipFile | None, data: bytes, info: Any) -> bytes:
    """A member's bytes, decompressed straight with zlib (several times faster than
    ZipExtFile for small parts); other compression methods go through zipfile (``zf`` is
    None only for a plain directory, whose members are all stored or deflated with a
    local header)."""
    off = info.header_offset
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) or data[off:off + 4] != ZIP_MAGIC:
        assert zf is not None
        return zf.read(info)
    n, e = struct.unpack_from("<HH", data, off + 26)
    start = off + 30 + n + e
    raw = data[start:start + info.compress_size]
    if len(raw) < info.compress_size:
        raise EOFError("member data cut short")
    if info.compress_type == zipfile.ZIP_STORED:
        blob = raw
    else:
        d = zlib.decompressobj(-15)
        blob = d.decompress(raw, info.file_size + 1)
    if len(blob) != info.file_size:
        raise zipfile.BadZipFile(messages.detail("size_mismatch", actual=len(blob), declared=info.file_size))
    if zlib.crc32(blob) != info.CRC:
        raise zipfile.BadZipFile(messages.detail("crc"))
    return blob


def _has_entities(blob: bytes) -> bool:
    if blob.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            blob = blob.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError:
            return True  # undecodable UTF-16 XML: refuse rather than guess
    return b"<!" in blob and (b"<!DOCTYPE" in blob or b"<!ENTITY" in blob or b"<!doctype" in blob)


def _bad_member_name(member: str) -> bool:
    """Not a part name any spreadsheet writer produces: empty, a ".." step, an absolute
    path, a drive letter, a NUL.  (gipr never extracts members to disk; such a name only
    says the file was crafted.)"""
    n = member.replace("\\", "/")
    return not n or n.startswith("/") or ".." in n.split("/") or re.match(r"[A-Za-z]:", n) is not None or "\x00" in n


def _check_zip_layout(data: bytes, infos: list[zipfile.ZipInfo], name: str) -> None:
    """Each central directory entry must point at its own local header, naming the same
    member, and no two members' data may overlap (overlapping entries are how
    non-recursive zip bombs reuse one compressed stream; a local header naming another
    member lets two readers see two different files)."""
    prev_end, prev = 0, None
    for info in sorted(infos, key=lambda i: i.header_offset):
        off = info.header_offset
        if off < prev_end:
            raise _fail("file.corrupt", name, detail=messages.detail("overlap", member=info.filename, other=prev))
        if data[off:off + 4] != ZIP_MAGIC or off + 30 > len(data):
            continue  # no local header there: reading the member reports it
        n, e = struct.unpack_from("<HH", data, off + 26)
        local = data[off + 30:off + 30 + n]
        want = info.orig_filename.encode("utf-8" if info.flag_bits & 0x800 else "cp437", "surrogateescape")
        if local != want:
            raise _fail("file.corrupt", name, detail=messages.detail("local_name", member=info.filename))
        prev_end, prev = off + 30 + n + e + info.compress_size, info.filename


class _Entry:
    """A central directory entry read by ``_plain_zip_entries``: the ZipInfo attributes
    the vetting uses, with zipfile's meaning."""

    __slots__ = ("filename", "orig_filename", "flag_bits", "compress_type", "compress_size", "file_size",
                 "header_offset", "CRC")

    def is_dir(self) -> bool:
        return self.filename[-1:] == "/"


_CD_ENTRY = struct.Struct("<4s6H3I5H2I")


def _plain_zip_entries(data: bytes) -> list[_Entry] | None:
    """The central directory of a plain zip (what spreadsheet programs write): no archive
    comment, no zip64, nothing before the first member or after the directory, only stored
    or deflated members each starting with a local header.  Entries as zipfile reads them
    (names decoded as UTF-8 or cp437 and cut at a NUL).  None for anything else: zipfile
    then reads the directory and reports what is wrong.  (zipfile builds a full ZipInfo
    per member: this is several times faster for the ~15 members of a workbook.)"""
    n = len(data)
    end = n - 22
    if end < 0 or data[end:end + 4] != b"PK\x05\x06":
        return None
    disk, cd_disk, n_disk, n_total, cd_size, cd_off, comment = struct.unpack_from("<4H2IH", data, end + 4)
    if disk or cd_disk or comment or n_disk != n_total or cd_off + cd_size != end or \
            n_total == 0xFFFF or cd_off == 0xFFFFFFFF or data[end - 20:end - 16] == b"PK\x06\x07":
        return None
    out: list[_Entry] = []
    pos = cd_off
    unpack = _CD_ENTRY.unpack_from
    for _ in range(n_total):
        if pos + 46 > end:
            return None
        (sig, _made, need, flags, method, _t, _d, crc, csize, usize, nlen, elen, clen, _disk, _ia, _ea,
         off) = unpack(data, pos)
        if sig != b"PK\x01\x02" or need > 63 or method not in (0, 8) or 0xFFFFFFFF in (csize, usize, off) \
                or data[off:off + 4] != ZIP_MAGIC:
            return None
        if elen:  # extra fields: well-formed and no zip64 record (as ZipInfo._decodeExtra reads them)
            extra = data[pos + 46 + nlen:pos + 46 + nlen + elen]
            while len(extra) >= 4:
                tp, ln = struct.unpack_from("<HH", extra)
                if ln + 4 > len(extra) or tp == 1:
                    return None
                extra = extra[ln + 4:]
        raw = data[pos + 46:pos + 46 + nlen]
        try:
            fname = raw.decode("utf-8" if flags & 0x800 else "cp437")
        except UnicodeDecodeError:
            return None
        e = _Entry()
        e.orig_filename = fname
        e.filename = fname.split("\x00", 1)[0]
        e.flag_bits, e.compress_type, e.compress_size, e.file_size = flags, method, csize, usize
        e.header_offset, e.CRC = off, crc
        out.append(e)
        pos += 46 + nlen + elen + clen
    return out if pos == end else None


def _open_zip(data: bytes, name: str) -> _Container:
    zf = None  # only needed when the directory is not plain
    infos: list[Any] | None = _plain_zip_entries(data)
    if infos is None:
        try:
            zf = zipfile.ZipFile(io.BytesIO(data))
        except zipfile.BadZipFile as e:
            if data.startswith(ZIP_MAGIC) and "not a zip file" in str(e).lower():
                raise _fail("file.truncated", name) from None
            raise _fail("file.corrupt", name, detail=str(e)) from None
        except (OSError, ValueError, EOFError, NotImplementedError) as e:
            raise _fail("file.truncated" if isinstance(e, EOFError) else "file.corrupt", name,
                        detail=type(e).__name__) from None
        infos = zf.infolist()
    if not infos:
        raise _fail("file.not_spreadsheet", name, detail=messages.detail("empty_zip"))
    if len(infos) > MAX_MEMBERS:
        raise _fail("file.zip_bomb", name, detail=messages.detail("members", n=len(infos), limit=MAX_MEMBERS))
    seen: set[str] = set()
    total = 0
    for info in infos:
        if _bad_member_name(info.filename):
            raise _fail("file.corrupt", name, detail=messages.detail("bad_name", member=info.filename))
        key = info.filename.replace("\\", "/").lstrip("/").casefold()  # OPC part names are case-insensitive
        if key in seen:
            raise _fail("file.duplicate_member", name, member=info.filename)
        seen.add(key)
        if info.flag_bits & 0x1:
            raise _fail("file.encrypted", name)
        if info.file_size > MAX_MEMBER_BYTES:
            raise _fail("file.zip_bomb", name, detail=messages.detail("declared", member=info.filename, size=_size(info.file_size)))
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(1, info.compress_size):
            raise _fail("file.zip_bomb", name,
                        detail=messages.detail("ratio", member=info.filename, ratio=info.file_size // max(1, info.compress_size)))
        total += info.file_size
        if total > MAX_TOTAL_BYTES:
            raise _fail("file.zip_bomb", name, detail=messages.detail("total", limit=_size(MAX_TOTAL_BYTES)))
    _check_zip_layout(data, infos, name)
    members: dict[str, bytes] = {}
    crcs: dict[str, int] = {}  # verified CRC-32 of each member
    for info in infos:
        if info.is_dir():
            continue
        try:
            # Never more than the declared size, CRC checked: the sizes vetted above are the
            # real ones, for us and for calamine.
            blob = _read_member(zf, data, info)
        except zipfile.BadZipFile as e:
            raise _fail("file.corrupt", name, detail=messages.detail("member", member=info.filename, error=e)) from None
        except (EOFError, zlib.error, struct.error) as e:
            raise _fail("file.truncated" if isinstance(e, EOFError) else "file.corrupt", name,
                        detail=messages.detail("member", member=info.filename, error=type(e).__name__)) from None
        except NotImplementedError as e:
            raise _fail("file.corrupt", name, detail=messages.detail("method", member=info.filename, error=e)) from None
        except (OSError, ValueError, RuntimeError) as e:
            raise _fail("file.corrupt", name, detail=messages.detail("member", member=info.filename, error=e)) from None
        lower = info.filename.lower()
        if lower.endswith((".xml", ".rels", ".vml")) or blob[:5] == b"<?xml" or blob[:2] in (b"\xff\xfe", b"\xfe\xff"):
            if _has_entities(blob):
                raise _fail("file.xml_entities", name, member=info.filename)
        members[info.filename] = blob
        crcs[info.filename] = info.CRC

    if "mimetype" in members:
        mt = members["mimetype"].strip()
        if mt.startswith(b"application/vnd.oasis.opendocument.spreadsheet"):
            return _ods_container(data, members, name)
        if b"opendocument.text" in mt:
            raise _fail("file.not_spreadsheet", name, detail=messages.detail("odt"))
        raise _fail("file.not_spreadsheet", name, detail=messages.detail("odf"))
    lower_names = {n.lower(): n for n in members}
    if "xl/workbook.bin" in lower_names:
        raise _fail("file.not_spreadsheet", name, detail=messages.detail("xlsb"))
    if "word/document.xml" in lower_names:
        raise _fail("file.not_spreadsheet", name, detail=messages.detail("docx"))
    if any(n.startswith("ppt/") for n in lower_names):
        raise _fail("file.not_spreadsheet", name, detail=messages.detail("ppt"))
    if "[content_types].xml" not in lower_names or not any(
            n.startswith("xl/") and n.endswith(".xml") and "workbook" in n for n in lower_names):
        raise _fail("file.not_spreadsheet", name, detail=messages.detail("zip_no_workbook"))
    return _xlsx_container(data, members, name, crcs)


# -- xlsx ---------------------------------------------------------------------------------

_REF_ATTR = re.compile(rb"\sr=\"([A-Z]{1,4})(\d{1,9})\"")


def _col_index(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n


# a cell / row tag that is not "<c r="A1".."ZZ999"" / "<row r="1".."999"" (or has a prefix)
_FAR_CELL = re.compile(rb'<c(?=[\s>/])(?! r="[A-Z]{1,2}\d{1,3}")')
_FAR_ROW = re.compile(rb'<row(?=[\s>/])(?! r="\d{1,3}")')
_PREFIXED = re.compile(rb':(?:c|row)[\s>/]')


# an attribute named r anywhere but first in a <c>/<row> tag (or the xmlns:r declaration):
# "r=" not preceded by a name character (a second r attribute after a space, a quote, a
# tab …), and "r =" with white space before the "=".  (Two literal-prefixed searches: the
# quick bound costs a fraction of counting every r attribute.)
_STRAY_R = re.compile(rb'r=(?<![A-Za-z0-9_.-]r=)(?<!<c r=)(?<!<row r=)(?<!xmlns:r=)')
_SPACED_R = re.compile(rb'r\s+=')
_CELL_REF = re.compile(r"([A-Za-z]+)([0-9]+)")


def _xlsx_extent(xml: bytes) -> tuple[int, int] | None:
    """The (rows, columns) the valued cells of a worksheet part span, as calamine places
    them (an upper bound); None if the part is not well-formed XML with readable cell
    references."""
    # Quick bound for what every writer produces (each row and cell tag starts with its r
    # attribute, double-quoted, no other r attribute anywhere, no namespace prefixes): no
    # row number of four digits and no column of three letters means < 1000 rows × 702
    # columns.
    if (_FAR_CELL.search(xml) is None and _FAR_ROW.search(xml) is None and _PREFIXED.search(xml) is None
            and _STRAY_R.search(xml) is None and _SPACED_R.search(xml) is None):
        return 999, 702
    return _xlsx_extent_parsed(xml)


def _xlsx_extent_parsed(xml: bytes) -> tuple[int, int] | None:
    """The extent with a real XML parser, placing cells the way calamine does: a row's r
    attribute (else the next row), a cell's r attribute (else the next column); only
    cells with a value (<v>, <is>) count.  Regular expressions are not enough here: a
    second r attribute (calamine takes the last), single quotes, a ">" inside another
    attribute, lower-case or 11-digit references all moved a cell to where a reader would
    allocate gigabytes.  Anything the parser refuses (a DTD, a duplicate attribute, broken
    XML) or a reference that is not letters and digits gives None: the file is refused."""
    import xml.parsers.expat as expat

    state = {"row": 0, "col": 0, "cell": None, "rows": 0, "cols": 0}

    def refuse(*_a):
        raise ValueError("declaration")

    def start(name, attrs):
        local = name.rsplit(":", 1)[-1]
        if local == "row":
            r = attrs.get("r")
            if r is None:
                state["row"] += 1
            elif r.isascii() and r.isdigit():
                state["row"] = int(r)
            else:
                raise ValueError(r)
            state["col"] = 0
        elif local == "c":
            r = attrs.get("r")
            if r is None:
                state["col"] += 1
                row = state["row"]
            else:
                m = _CELL_REF.fullmatch(r)
                if m is None or not r.isascii():
                    raise ValueError(r)
                state["col"] = _col_index(m.group(1).upper().encode())
                row = int(m.group(2))
            state["cell"] = (row, state["col"])
        elif local in ("v", "is") and state["cell"] is not None:
            row, col = state["cell"]
            state["rows"] = max(state["rows"], row)
            state["cols"] = max(state["cols"], col)

    def end(name):
        if name.rsplit(":", 1)[-1] == "c":
            state["cell"] = None

    p = expat.ParserCreate()
    p.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    p.StartDoctypeDeclHandler = refuse
    p.EntityDeclHandler = refuse
    p.StartElementHandler = start
    p.EndElementHandler = end
    try:
        p.Parse(xml, True)
    except (expat.ExpatError, ValueError, RecursionError):
        return None
    return state["rows"], state["cols"]


def _xlsx_sheet_parts(members: dict[str, bytes]) -> dict[str, str]:
    """worksheet part path -> sheet name (workbook.xml + its relationships)."""
    import defusedxml.ElementTree as ET

    out: dict[str, str] = {}
    wb_name = next((n for n in members if n.lower() == "xl/workbook.xml"), None)
    rels_name = next((n for n in members if n.lower() == "xl/_rels/workbook.xml.rels"), None)
    if wb_name is None or rels_name is None:
        return out
    try:
        wb = ET.fromstring(members[wb_name])
        rels = ET.fromstring(members[rels_name])
    except Exception:  # noqa: BLE001 - malformed XML: no mapping, callers fall back
        return out
    targets = {}
    for r in rels:
        rid, tgt = r.get("Id"), r.get("Target") or ""
        if tgt.startswith("/"):
            path = tgt.lstrip("/")
        else:
            path = "xl/" + tgt
        parts: list[str] = []
        for p in path.split("/"):
            if p == "..":
                if parts:
                    parts.pop()
            elif p and p != ".":
                parts.append(p)
        targets[rid] = "/".join(parts)
    for el in wb.iter():
        if el.tag.rsplit("}", 1)[-1] == "sheet":
            rid = next((v for k, v in el.attrib.items() if k.rsplit("}", 1)[-1] == "id"), None)
            if rid in targets:
                out[targets[rid].lower()] = el.get("name") or ""
    return out


def _stored_zip(members: dict[str, bytes], crcs: dict[str, int]) -> bytes:
    """The vetted XML parts again as a zip without compression, for calamine: it reads only
    bytes gipr has already inflated (within the limits, CRC checked) and does not inflate
    them a second time.  Binary parts (images, printer settings, macros) are left out:
    calamine reads none of them.  Names are written as UTF-8; sizes stay far below the
    zip64 limits (MAX_TOTAL_BYTES, MAX_MEMBERS)."""
    local: list[bytes] = []
    central: list[bytes] = []
    pack = struct.pack
    offset = 0
    for n, blob in members.items():
        if not n.lower().endswith((".xml", ".rels")):
            continue
        fn = n.encode("utf-8")
        crc, size = crcs[n], len(blob)
        head = pack("<4s5H3I2H", b"PK\x03\x04", 20, 0x800, 0, 0, 0x21, crc, size, size, len(fn), 0)
        central.append(pack("<4s6H3I5H2I", b"PK\x01\x02", 20, 20, 0x800, 0, 0, 0x21, crc, size, size, len(fn),
                            0, 0, 0, 0, 0, offset) + fn)
        local += (head, fn, blob)
        offset += len(head) + len(fn) + size
    cd_size = sum(map(len, central))
    local += central
    local.append(pack("<4s4H2IH", b"PK\x05\x06", 0, 0, len(central), len(central), cd_size, offset, 0))
    return b"".join(local)  # one copy of the parts


def _xlsx_container(data: bytes, members: dict[str, bytes], name: str, crcs: dict[str, int] | None = None
                    ) -> _Container:
    c = _Container("xlsx", data, members)
    wb_part = next((n for n in members if n.lower() == "xl/workbook.xml"), None)
    if wb_part is not None and STRICT_NS in members[wb_part][:4096]:
        c.data = _strict_to_transitional(members, name)
        c.members = {k: _strict_bytes(v) for k, v in members.items()}
        c.notes.append(messages.finding("format.strict"))
    elif crcs is not None:
        c.data = _stored_zip(members, crcs)
    for part, blob in c.members.items():
        if b"sheetData" not in blob:
            continue
        ext = _xlsx_extent(blob)
        if ext is None:
            raise _fail("file.corrupt", name, detail=messages.detail("member", member=part,
                                                                     error=messages.detail("bad_xml")))
        rows, cols = ext
        if rows > MAX_SHEET_ROWS or rows * max(cols, 1) > MAX_SHEET_CELLS:
            c.oversized_members[part.lower()] = (rows, cols)
    if c.oversized_members:
        names = _xlsx_sheet_parts(c.members)
        for part, ext in c.oversized_members.items():
            c.oversized[names.get(part, part)] = ext
    return c


def _strict_bytes(blob: bytes) -> bytes:
    if STRICT_NS not in blob:
        return blob
    for a, b in _STRICT_MAP:
        blob = blob.replace(a, b)
    return blob


def _strict_to_transitional(members: dict[str, bytes], name: str) -> bytes:
    """Rewrite a Strict Open XML package with the transitional namespaces (same content)."""
    out = io.BytesIO()
    try:
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
            for n, blob in members.items():
                z.writestr(n, _strict_bytes(blob))
    except (OSError, ValueError) as e:  # pragma: no cover - in-memory
        raise _fail("file.strict_ooxml", name, detail=str(e)) from None
    return out.getvalue()


def _custom_props(blob: bytes) -> dict[str, str]:
    import defusedxml.ElementTree as ET

    try:
        root = ET.fromstring(blob)
    except Exception:  # noqa: BLE001 - broken properties are just absent
        return {}
    out = {}
    for prop in root:
        pname = prop.get("name")
        if not pname:
            continue
        val = "".join(prop.itertext()).strip()
        out[pname] = val
    return out


def _xlsx_sheet_xml(c: _Container, sheet: str) -> bytes | None:
    parts = _xlsx_sheet_parts(c.members)
    part = next((p for p, n in parts.items() if n == sheet), None)
    return next((v for k, v in c.members.items() if k.lower() == part), None) if part else None


_ERROR_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*?\st=\"e\"[^>]*?)(?<!/)>(.*?)</(?:\w+:)?c>", re.S)
_ERROR_VALUE = re.compile(rb"<(?:\w+:)?v>([^<]{1,64})</(?:\w+:)?v>")


def _xlsx_error_cells(c: _Container, sheet: str) -> dict[tuple[int, int], str]:
    """(row, col) → the error value (#REF!, #DIV/0! …) of the error cells of ``sheet``;
    calamine returns those as empty strings (only used when a cell reads blank)."""
    if sheet in c.error_cache:
        return c.error_cache[sheet]
    found: dict[tuple[int, int], str] = {}
    blob = _xlsx_sheet_xml(c, sheet)
    if blob is not None and b't="e"' in blob:
        for m in _ERROR_CELL.finditer(blob):
            ref = _REF_ATTR.search(b" " + m.group(1))
            val = _ERROR_VALUE.search(m.group(2))
            if ref is not None:
                text = val.group(1).decode("utf-8", "replace").strip() if val else ""
                found[(int(ref.group(2)) - 1, _col_index(ref.group(1)) - 1)] = text or "#N/A"
    c.error_cache[sheet] = found
    return found


def _xlsx_blank(c: _Container, sheet: str, r: int, col: int, ctype: str, unit: str | None, is_input: bool,
                v: Value) -> Value:
    """A cell of an .xlsx that reads blank: an error value, a total's formula saved without
    its result, or really blank."""
    err = _xlsx_error_cells(c, sheet).get((r, col))
    if err is not None:
        return parse_value(err, ctype, unit)
    if not is_input and (r, col) in _xlsx_formula_cells(c, sheet):
        return _UNCOMPUTED
    return v


def _xlsx_formula_cells(c: _Container, sheet: str) -> set[tuple[int, int]]:
    """(row, col) of the cells of ``sheet`` that hold a formula (only used when a total reads blank)."""
    if sheet in c.formula_cache:
        return c.formula_cache[sheet]
    found: set[tuple[int, int]] = set()
    blob = _xlsx_sheet_xml(c, sheet)
    if blob is not None:
        for m in re.finditer(rb"<(?:\w+:)?c\b[^>]*?\sr=\"([A-Z]{1,4})(\d{1,9})\"[^>]*?(?<!/)>\s*<(?:\w+:)?f\b", blob):
            found.add((int(m.group(2)) - 1, _col_index(m.group(1)) - 1))
    c.formula_cache[sheet] = found
    return found


# -- ods ----------------------------------------------------------------------------------

_ODS_TABLE = re.compile(rb"<table:table\s[^>]*?table:name=\"([^\"]*)\"")
_ODS_ROW = re.compile(rb"<table:table-row\b([^>]*?)(?:/>|>(.*?)</table:table-row>)", re.S)
_ODS_CELL = re.compile(rb"<table:(?:covered-)?table-cell\b([^>]*?)(?:/>|>(.*?)</table:(?:covered-)?table-cell>)", re.S)
_ODS_ROWS_REP = re.compile(rb"table:number-rows-repeated=\"(\d+)\"")
_ODS_COLS_REP = re.compile(rb"table:number-columns-repeated=\"(\d+)\"")


def _ods_extents(content: bytes) -> dict[str, tuple[int, int]]:
    """Per table, (rows, columns) up to the last cell holding something, honouring repeats."""
    out: dict[str, tuple[int, int]] = {}
    starts = [(m.start(), m.group(1).decode("utf-8", "replace")) for m in _ODS_TABLE.finditer(content)]
    for i, (pos, tname) in enumerate(starts):
        end = starts[i + 1][0] if i + 1 < len(starts) else len(content)
        row = 0
        last_row = last_col = 0
        for rm in _ODS_ROW.finditer(content, pos, end):
            rep_m = _ODS_ROWS_REP.search(rm.group(1))
            rep = int(rep_m.group(1)) if rep_m else 1
            inner = rm.group(2) or b""
            if b"office:value-type" in inner or b"<text:" in inner:
                col = 0
                row_last_col = 0
                for cm in _ODS_CELL.finditer(inner):
                    crep_m = _ODS_COLS_REP.search(cm.group(1))
                    crep = int(crep_m.group(1)) if crep_m else 1
                    if b"office:value-type" in cm.group(1) or (cm.group(2) and b"<text:" in cm.group(2)):
                        row_last_col = col + crep
                    col += crep
                last_col = max(last_col, row_last_col)
                last_row = row + rep
            row += rep
        out[tname] = (last_row, last_col)
    return out


def _ods_container(data: bytes, members: dict[str, bytes], name: str) -> _Container:
    c = _Container("ods", data, members)
    content = members.get("content.xml")
    if content is None:
        raise _fail("file.corrupt", name, detail=messages.detail("no_content"))
    for tname, (rows, cols) in _ods_extents(content).items():
        if rows > MAX_SHEET_ROWS or rows * max(cols, 1) > MAX_SHEET_CELLS:
            c.oversized[_xml_unescape(tname)] = (rows, cols)
    meta = members.get("meta.xml")
    if meta is not None:
        for m in re.finditer(rb"<meta:user-defined\b[^>]*?meta:name=\"([^\"]*)\"[^>]*>(.*?)</meta:user-defined>",
                             meta, re.S):
            c.props[_xml_unescape(m.group(1).decode("utf-8", "replace"))] = _xml_unescape(
                m.group(2).decode("utf-8", "replace")).strip()
    return c


def _xml_unescape(s: str) -> str:
    return (s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&apos;", "'")
            .replace("&amp;", "&"))


# -- ole (xls, et, encrypted OOXML) -------------------------------------------------------

def _open_ole(data: bytes, name: str) -> _Container:
    import olefile

    try:
        ole = olefile.OleFileIO(io.BytesIO(data))
    except MemoryError:
        raise
    except Exception as e:  # noqa: BLE001 - olefile raises OSError and others for broken files
        msg = str(e).lower()
        if "incomplete" in msg or "truncat" in msg or len(data) < 1536:
            raise _fail("file.truncated", name) from None
        raise _fail("file.corrupt", name, detail=messages.detail("ole", error=e)) from None
    try:
        streams = {"/".join(p).lower(): p for p in ole.listdir(streams=True, storages=False)}
        if "encryptioninfo" in streams or "encryptedpackage" in streams:
            raise _fail("file.encrypted", name)
        wb_stream = streams.get("workbook") or streams.get("book")
        if wb_stream is None:
            if "worddocument" in streams:
                raise _fail("file.not_spreadsheet", name, detail=messages.detail("doc"))
            if "powerpoint document" in streams:
                raise _fail("file.not_spreadsheet", name, detail=messages.detail("ppt"))
            raise _fail("file.not_spreadsheet", name, detail=messages.detail("ole_no_workbook"))
        try:
            biff = ole.openstream(wb_stream).read()
        except MemoryError:
            raise
        except Exception as e:  # noqa: BLE001
            raise _fail("file.truncated" if "incomplete" in str(e).lower() else "file.corrupt", name,
                        detail=messages.detail("biff", error=e)) from None
    finally:
        ole.close()
    c = _Container("xls", data)
    try:
        extents, encrypted = _biff_scan(biff)
    except ValueError as e:
        raise _fail("file.corrupt", name, detail=messages.detail("biff", error=e)) from None
    if encrypted:
        raise _fail("file.encrypted", name)
    big = {i: e for i, e in extents.items() if e[0] > MAX_SHEET_ROWS or e[0] * max(e[1], 1) > MAX_SHEET_CELLS}
    if not big and sum(r * max(c, 1) for r, c in extents.values()) > MAX_SHEET_CELLS:
        worst = max(extents, key=lambda k: extents[k][0] * max(extents[k][1], 1))
        big = {worst: extents[worst]}
    if big:
        # calamine builds every sheet of an .xls when it opens the file (room for the declared
        # dimensions included), so an oversized sheet cannot be skipped: refuse the file, and
        # bound all its sheets together (found by fuzzing: a cell moved to column 64,271, a
        # DIMENSIONS record of 2 billion rows made it allocate 25 GB / 1.2 TB and abort)
        i, (rows, cols) = next(iter(big.items()))
        sheet = _biff_sheet_names(biff).get(i) or f"#{i + 1}"
        raise _fail("file.sheet_too_large", name, sheet=sheet, rows=rows, cols=cols, limit=f"{MAX_SHEET_CELLS:,}")
    return c


def _biff_sheet_names(biff: bytes) -> dict[int, str]:
    """Sheet index → name, from the BOUNDSHEET records of the workbook globals (BIFF8)."""
    out: dict[int, str] = {}
    pos, n, i = 0, len(biff), 0
    while pos + 4 <= n:
        rtype, rlen = struct.unpack_from("<HH", biff, pos)
        body = pos + 4
        if rtype == 0x0085 and rlen >= 8 and body + rlen <= n:
            cch, flags = biff[body + 6], biff[body + 7]
            raw = biff[body + 8:body + rlen]
            try:
                out[i] = raw[: cch * 2].decode("utf-16-le") if flags & 1 else raw[:cch].decode("latin-1")
            except UnicodeDecodeError:
                pass
            i += 1
        elif rtype == 0x000A:  # the end of the globals
            break
        pos = body + rlen
    return out


def _biff_scan(biff: bytes) -> tuple[dict[int, tuple[int, int]], bool]:
    """Walk the BIFF records: FILEPASS (encrypted) and, per sheet substream, the extent of
    the cells holding a value.  Returns ({sheet index: (rows, cols)}, encrypted)."""
    extents: dict[int, tuple[int, int]] = {}
    pos = 0
    n = len(biff)
    sheet = -1  # -1: workbook globals
    depth = 0
    rows = cols = 0
    value_records = (0x0006, 0x0203, 0x027E, 0x00FD, 0x0204, 0x00D6, 0x0205, 0x0003, 0x0002, 0x0004, 0x0005,
                     0x0406)
    while pos + 4 <= n:
        rtype, rlen = struct.unpack_from("<HH", biff, pos)
        body = pos + 4
        if body + rlen > n:
            break  # a record cut short: calamine reports the damage
        if rtype == 0x002F and sheet == -1:  # FILEPASS in the globals
            return extents, True
        if rtype in (0x0809, 0x0409, 0x0209, 0x0009):  # BOF
            depth += 1
            if depth == 1 and pos > 0:
                sheet += 1
                rows = cols = 0
        elif rtype == 0x000A:  # EOF
            if depth == 1 and sheet >= 0:
                extents[sheet] = (rows, cols)
            depth = max(0, depth - 1)
        elif sheet >= 0 and depth == 1 and rlen >= 4:
            if rtype in value_records:
                r, col = struct.unpack_from("<HH", biff, body)
                rows = max(rows, r + 1)
                cols = max(cols, col + 1)
            elif rtype == 0x0200 and rlen in (10, 14):  # DIMENSIONS: first row, last row + 1, first col, last col + 1
                r0, r1, c0, c1 = struct.unpack_from("<IIHH" if rlen == 14 else "<HHHH", biff, body)
                if r0 > r1 or c0 > c1:  # calamine would size the sheet from it (found by fuzzing: 500 GB)
                    raise ValueError(messages.detail("dimensions"))
                rows = max(rows, r1)  # calamine reserves room for the declared dimensions too
                cols = max(cols, c1)
            elif rtype == 0x00BD and rlen >= 6:  # MULRK: row, first col, ..., last col
                r, _c0 = struct.unpack_from("<HH", biff, body)
                (c1,) = struct.unpack_from("<H", biff, body + rlen - 2)
                rows = max(rows, r + 1)
                cols = max(cols, c1 + 1)
        pos = body + rlen
    return extents, False


# -----------------------------------------------------------------------------------------
# 2. labels

_WS = re.compile(r"[\s\u00a0\u3000\u2002-\u200b\ufeff]+")
_PUNCT = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'", "〔": "(", "〕": ")", "【": "[", "】": "]",
                        "、": ",", ".": ",", "。": ",", "．": ",", "－": "-", "—": "-", "–": "-", "～": "~"})


@lru_cache(maxsize=8192)
def normalize_label(s: str) -> str:
    """The form labels are compared in: NFKC (full-width → half-width), no whitespace,
    one kind of quote, comma for 、 and . (so “1、” and “1.” match)."""
    return _WS.sub("", unicodedata.normalize("NFKC", s)).translate(_PUNCT)


def _text_of(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _edit1(a: str, b: str) -> bool:
    """At most one substitution, insertion or deletion apart."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la == lb:
        return sum(x != y for x, y in zip(a, b)) == 1
    if la > lb:
        a, b = b, a
    for i in range(len(b)):
        if a == b[:i] + b[i + 1:]:
            return True
    return False


@lru_cache(maxsize=65536)
def _similar(found: str, expected: str) -> bool:
    """A changed label that is still recognisably the official one (typo, added word)."""
    if not found or not expected:
        return False
    la, lb = len(found), len(expected)
    if min(la, lb) <= 4:
        return lb >= 2 and _edit1(found, expected)
    if 2 * min(la, lb) < 0.75 * (la + lb):  # the ratio can never reach 0.75
        return False
    common = len(set(found) & set(expected))
    if 2 * common < 0.5 * (len(set(found)) + len(set(expected))):  # hardly any characters in common
        return False
    sm = difflib.SequenceMatcher(None, found, expected, autojunk=False)
    if sm.real_quick_ratio() < 0.75 or sm.quick_ratio() < 0.75:
        return False
    return sm.ratio() >= 0.75


def _status(found_raw: Any, label_text: str) -> str:
    """exact | drift | changed | different."""
    if isinstance(found_raw, str) and found_raw == label_text:
        return "exact"
    found = _text_of(found_raw)
    if not found.strip():
        return "different"
    fn = normalize_label(found)
    en = normalize_label(label_text)
    if fn == en:
        return "drift"
    if _similar(fn, en):
        return "changed"
    return "different"


# -----------------------------------------------------------------------------------------
# 3. spec-derived lookups (cached per spec)


@dataclass
class _TableInfo:
    layout: TableLayout
    leaf_of: dict[str, int]  # cell id -> index into labels of its column leaf label
    row_label_of: dict[int, list[int]]  # spec row -> label indices starting in that row
    value_rows: list[int]  # spec rows holding value cells
    labelled_value_rows: set[int]
    distinct: frozenset[str]  # normalised label texts
    label_norm: list[str]
    spec_count: dict[str, int]  # normalised text -> occurrences in the layout
    leaf_labels: list[int]
    identity_rowmap: dict[int, int]  # the spec position itself
    identity_colmap: dict[int, int]
    plan: list[tuple[str, int, int, str, str | None, bool, str]]  # cid, row, col, type, unit, input, address
    label_at: list[tuple[int, int, str]] = field(default_factory=list)  # (row, col, text) of every label
    fast: list[tuple[str, int, int, str, str | None, bool, bool]] = field(default_factory=list)  # plan + is count
    addresses: dict[str, str] = field(default_factory=dict)  # cid -> address at the spec position


_INFO_CACHE: dict[tuple[str, str], dict[str, _TableInfo]] = {}


def _table_infos(spec: Spec) -> dict[str, _TableInfo]:
    key = (spec.id, spec.digest)
    got = _INFO_CACHE.get(key)
    if got is None:
        got = _INFO_CACHE[key] = _build_infos(spec)
    return got


def _build_infos(spec: Spec) -> dict[str, _TableInfo]:
    out = {}
    for t in spec.tables:
        labels = t.labels
        leaf_of: dict[str, int] = {}
        for cid in t.cells:
            c = spec.cells[cid]
            best = None
            for i, lab in enumerate(labels):
                if lab.kind != "column" or not (lab.c0 <= c.colx <= lab.c1) or lab.r1 >= c.rowx:
                    continue
                key = (lab.r1, lab.r0)
                if best is None or key > best[0]:
                    best = (key, i)
            if best is not None:
                leaf_of[cid] = best[1]
        row_label_of: dict[int, list[int]] = {}
        for i, lab in enumerate(labels):
            row_label_of.setdefault(lab.r0, []).append(i)
        value_rows = sorted({spec.cells[cid].rowx for cid in t.cells})
        labelled = {r for r in value_rows if any(labels[i].kind == "row" for i in row_label_of.get(r, []))}
        norms = [normalize_label(lab.text) for lab in labels]
        count: dict[str, int] = {}
        for n in norms:
            count[n] = count.get(n, 0) + 1
        leaves = sorted(set(leaf_of.values()))
        plan = [(cid, spec.cells[cid].rowx, spec.cells[cid].colx, spec.cells[cid].type, spec.cells[cid].unit,
                 spec.cells[cid].input, spec.cells[cid].address) for cid in t.cells]
        out[t.id] = _TableInfo(t, leaf_of, row_label_of, value_rows, labelled, frozenset(norms), norms, count,
                               leaves, {r: r for r in range(0, t.last_row + 1)},
                               {i: labels[i].c0 for i in leaves}, plan,
                               label_at=[(lab.r0, lab.c0, lab.text) for lab in labels],
                               fast=[(cid, r, c, ct, unit, i, ct == "count") for cid, r, c, ct, unit, i, _a in plan],
                               addresses={cid: a for cid, *_x, a in plan})
    return out


# -----------------------------------------------------------------------------------------
# 4. locating a table in a sheet


@dataclass
class _Grid:
    name: str
    rows: list[list[Any]]
    _norm_index: dict[str, list[tuple[int, int]]] | None = None

    def get(self, r: int, c: int) -> Any:
        if 0 <= r < len(self.rows):
            row = self.rows[r]
            if 0 <= c < len(row):
                return row[c]
        return ""

    @property
    def norm_index(self) -> dict[str, list[tuple[int, int]]]:
        """Normalised text -> positions, for every text cell."""
        if self._norm_index is None:
            idx: dict[str, list[tuple[int, int]]] = {}
            for r, row in enumerate(self.rows):
                for c, v in enumerate(row):
                    if isinstance(v, str) and v.strip():
                        idx.setdefault(normalize_label(v), []).append((r, c))
            self._norm_index = idx
        return self._norm_index


@dataclass
class _Placement:
    """Where a table's cells are: a sheet, a row map and a column map."""

    sheet: str
    rowmap: dict[int, int]  # spec row -> grid row
    colmap: dict[int, int]  # leaf label index -> grid column
    dc: int  # column offset of the table as a whole
    findings: list[Finding]
    missing_rows: set[int] = field(default_factory=set)
    missing_leaves: set[int] = field(default_factory=set)
    exact: bool = False  # at the spec positions

    def position(self, info: _TableInfo, cell) -> tuple[int, int] | None:
        r = self.rowmap.get(cell.rowx)
        li = info.leaf_of.get(cell.id)
        if r is None or li is None or li not in self.colmap:
            return None
        lab = info.layout.labels[li]
        return r, self.colmap[li] + (cell.colx - lab.c0)


@lru_cache(maxsize=65536)
def _a1(r: int, c: int) -> str:
    s = ""
    c += 1
    while c:
        c, rem = divmod(c - 1, 26)
        s = chr(65 + rem) + s
    return f"{s}{r + 1}"


def _label_findings(info: _TableInfo, grid: _Grid, place_label) -> list[Finding]:
    out = []
    for i, lab in enumerate(info.layout.labels):
        pos = place_label(i, lab)
        if pos is None:
            continue
        found = grid.get(*pos)
        st = _status(found, lab.text)
        if st == "exact":
            continue
        ref = f"{grid.name}!{_a1(*pos)}"
        code = "label.drift" if st == "drift" else "label.changed"
        out.append(messages.finding(code, ref=ref, found=_text_of(found).strip(), expected=lab.text))
    return out


def _fast_place(info: _TableInfo, grid: _Grid) -> _Placement | None:
    """The table at exactly its spec position, if every label sits where it should
    (drift and typos allowed)."""
    labels = info.layout.labels
    rows = grid.rows
    try:  # the usual case: every label exactly where the spec puts it
        for r, c, text in info.label_at:
            if rows[r][c] != text:
                break
        else:
            return _Placement(grid.name, info.identity_rowmap, info.identity_colmap, 0, [], exact=True)
    except IndexError:
        pass
    nrows = len(rows)
    findings: list[Finding] = []
    for lab in labels:
        r, c = lab.r0, lab.c0
        v = rows[r][c] if r < nrows and c < len(rows[r]) else ""
        if v == lab.text:
            continue
        st = _status(v, lab.text)
        if st == "different":
            return None
        findings.append(messages.finding("label.drift" if st == "drift" else "label.changed",
                                         ref=f"{grid.name}!{_a1(r, c)}", found=_text_of(v).strip(),
                                         expected=lab.text))
    return _Placement(grid.name, info.identity_rowmap, info.identity_colmap, 0, findings, exact=True)


def _row_match_scores(info: _TableInfo, grid: _Grid) -> dict[int, dict[int, int]]:
    """spec row -> {grid row: score}; 2 per label found exactly (normalised), 1 per fuzzy match."""
    idx = grid.norm_index
    fuzzy_cache: dict[str, list[str]] = {}
    grid_texts = list(idx)
    scores: dict[int, dict[int, int]] = {}
    for srow, lids in info.row_label_of.items():
        acc: dict[int, int] = {}
        for i in lids:
            n = info.label_norm[i]
            hit_rows = set()
            for (g, _c) in idx.get(n, ()):
                hit_rows.add(g)
                acc[g] = acc.get(g, 0) + 2
            if n not in fuzzy_cache:
                # typos are looked for only for labels the sheet does not hold as such (or holds
                # fewer times than the layout): a sheet full of other text stays fast
                if len(idx.get(n, ())) >= info.spec_count[n]:
                    fuzzy_cache[n] = []
                else:
                    fuzzy_cache[n] = [t for t in grid_texts if t != n and _similar(t, n)]
            for t in fuzzy_cache[n]:
                for (g, _c) in idx[t]:
                    if g not in hit_rows:
                        acc[g] = acc.get(g, 0) + 1
        if acc:
            scores[srow] = acc
    return scores


def _align(spec_rows: list[int], scores: dict[int, dict[int, int]]) -> dict[int, int]:
    """Order-preserving alignment of spec rows to grid rows maximising the label score."""
    grows = sorted({g for s in spec_rows for g in scores.get(s, {})})
    if not grows:
        return {}
    S, G = len(spec_rows), len(grows)
    # dp[i][j]: best score using spec rows[:i] and grid rows[:j]
    prev = [0] * (G + 1)
    back: list[list[int]] = []  # 0 = skip spec, 1 = skip grid, 2 = match
    for i in range(1, S + 1):
        sc = scores.get(spec_rows[i - 1], {})
        cur = [0] * (G + 1)
        bk = [0] * (G + 1)
        for j in range(1, G + 1):
            best, how = prev[j], 0
            if cur[j - 1] > best:
                best, how = cur[j - 1], 1
            m = sc.get(grows[j - 1], 0)
            if m and prev[j - 1] + m > best:
                best, how = prev[j - 1] + m, 2
            cur[j] = best
            bk[j] = how
        back.append(bk)
        prev = cur
    out: dict[int, int] = {}
    i, j = S, G
    while i > 0 and j > 0:
        how = back[i - 1][j]
        if how == 2:
            out[spec_rows[i - 1]] = grows[j - 1]
            i, j = i - 1, j - 1
        elif how == 1:
            j -= 1
        else:
            i -= 1
    return out


def _search_place(info: _TableInfo, grid: _Grid) -> tuple[_Placement | None, str | None]:
    """Find the table in ``grid`` by its labels.  Returns (placement, None), or (None, reason)
    where reason is "missing" or "ambiguous"."""
    t = info.layout
    labels = t.labels
    idx = grid.norm_index
    # duplicated tables: most leaf labels (rows, or columns without row labels) occur more
    # often in the sheet than in the layout
    probe = [i for i in range(len(labels)) if labels[i].kind == "row" and labels[i].r0 in info.labelled_value_rows]
    if not probe:
        probe = list(info.leaf_labels)
    if probe:
        over = sum(1 for i in probe if len(idx.get(info.label_norm[i], ())) > info.spec_count[info.label_norm[i]])
        if over * 2 > len(probe):
            return None, "ambiguous"
    scores = _row_match_scores(info, grid)
    spec_rows = sorted(scores)
    anchors = _align(spec_rows, scores)
    if not anchors:
        return None, "missing"
    # interpolate rows without (recognisable) labels between anchors with equal gaps
    rowmap = dict(anchors)
    anchor_list = sorted(anchors.items())
    for s in range(0, t.last_row + 1):
        if s in rowmap:
            continue
        prev = next(((a, g) for a, g in reversed(anchor_list) if a < s), None)
        nxt = next(((a, g) for a, g in anchor_list if a > s), None)
        if prev and nxt:
            if nxt[1] - prev[1] == nxt[0] - prev[0]:
                rowmap[s] = prev[1] + (s - prev[0])
        elif prev:
            rowmap[s] = prev[1] + (s - prev[0])
        elif nxt and nxt[1] - (nxt[0] - s) >= 0:
            rowmap[s] = nxt[1] - (nxt[0] - s)
    used = {}
    for s, g in sorted(rowmap.items()):
        if g in used.values():
            del rowmap[s]
        else:
            used[s] = g
    # column offset: vote over labels found in their mapped rows
    votes: dict[int, int] = {}
    for i, lab in enumerate(labels):
        g = rowmap.get(lab.r0)
        if g is None:
            continue
        cols = [c for (r, c) in idx.get(info.label_norm[i], ()) if r == g]
        if len(cols) == 1:
            votes[cols[0] - lab.c0] = votes.get(cols[0] - lab.c0, 0) + 1
    dc = max(votes.items(), key=lambda kv: (kv[1], -abs(kv[0])))[0] if votes else 0
    colmap: dict[int, int] = {}
    moved_cols: list[tuple[int, int]] = []
    for li in info.leaf_labels:
        lab = labels[li]
        g = rowmap.get(lab.r0)
        if g is None:
            continue
        want = lab.c0 + dc
        st = _status(grid.get(g, want), lab.text)
        if st in ("exact", "drift", "changed"):
            colmap[li] = want
            continue
        n = info.label_norm[li]
        cols = [c for (r, c) in idx.get(n, ()) if r == g]
        if len(cols) == 1 and info.spec_count[n] == 1:
            colmap[li] = cols[0]
            moved_cols.append((li, cols[0]))
            continue
        if len(cols) > 1:
            # repeated header text (e.g. 结果维持 under each group): the one nearest to where it should be
            best = min(cols, key=lambda c: abs(c - want))
            if abs(best - want) <= 2:
                colmap[li] = best
                moved_cols.append((li, best))
    # leaves whose header text was overwritten: keep them between neighbours found in place
    for li in info.leaf_labels:
        if li in colmap:
            continue
        lab = labels[li]
        same_row = [x for x in info.leaf_labels if labels[x].r0 == lab.r0 and x in colmap]
        left = [x for x in same_row if labels[x].c0 < lab.c0]
        right = [x for x in same_row if labels[x].c0 > lab.c0]
        if left and right:
            lx = max(left, key=lambda x: labels[x].c0)
            rx = min(right, key=lambda x: labels[x].c0)
            if colmap[lx] - labels[lx].c0 == dc and colmap[rx] - labels[rx].c0 == dc:
                colmap[li] = lab.c0 + dc
    pl = _Placement(grid.name, rowmap, colmap, dc, [])
    pl.missing_rows = {r for r in info.value_rows if r not in rowmap}
    pl.missing_leaves = {li for li in info.leaf_labels if li not in colmap}

    def place_label(i: int, lab: Label) -> tuple[int, int] | None:
        g = rowmap.get(lab.r0)
        if g is None:
            return None
        return g, colmap.get(i, lab.c0 + dc)

    pl.findings = _label_findings(info, grid, place_label)
    # what moved
    offsets = {rowmap[r] - r for r in info.value_rows if r in rowmap}
    if offsets == {0} and dc == 0 and not moved_cols:
        pl.exact = True
    pl._moved_cols = moved_cols  # type: ignore[attr-defined]
    return pl, None


def _describe_moves(info: _TableInfo, pl: _Placement, spec_sheet: str) -> list[Finding]:
    t = info.layout
    out: list[Finding] = []
    if pl.sheet != spec_sheet:
        out.append(messages.finding("layout.sheet_renamed", table=t.name, expected=spec_sheet, found=pl.sheet))
    mapped = sorted((s, g) for s, g in pl.rowmap.items() if s >= t.first_row)
    offsets = [g - s for s, g in mapped]
    hows = []
    if offsets and len(set(offsets)) == 1 and offsets[0] != 0:
        d = offsets[0]
        hows.append(messages.detail("down" if d > 0 else "up", n=abs(d)))
    if pl.dc:
        hows.append(messages.detail("right" if pl.dc > 0 else "left", n=abs(pl.dc)))
    if hows:
        out.append(messages.finding("layout.shifted", sheet=pl.sheet, table=t.name, how="，".join(hows)))
    if len(set(offsets)) > 1:
        # rows inserted inside the table: grid rows between mapped rows that no spec row maps to
        lo, hi = mapped[0][1], mapped[-1][1]
        taken = {g for _, g in mapped}
        inserted = [g for g in range(lo, hi + 1) if g not in taken]
        if inserted:
            out.append(messages.finding("layout.rows_inserted", sheet=pl.sheet, table=t.name, n=len(inserted),
                                        rows="、".join(str(g + 1) for g in inserted[:10])
                                        + ("…" if len(inserted) > 10 else "")))
        else:
            base = offsets[0]
            for s, g in mapped:
                if g - s != base and s in info.labelled_value_rows:
                    lab = next(t.labels[i] for i in info.row_label_of[s] if t.labels[i].kind == "row")
                    out.append(messages.finding("layout.rows_moved", sheet=pl.sheet, table=t.name, label=lab.text,
                                                expected=s + 1, found=g + 1))
                    break
    for li, col in getattr(pl, "_moved_cols", []):
        lab = t.labels[li]
        out.append(messages.finding("layout.column_moved", sheet=pl.sheet, table=t.name, label=lab.text,
                                    expected=_a1(0, lab.c0 + pl.dc).rstrip("1"), found=_a1(0, col).rstrip("1")))
    return out


# -----------------------------------------------------------------------------------------
# 5. reading


class _Book:
    """The calamine workbook plus cached grids."""

    def __init__(self, cont: _Container, name: str):
        from python_calamine import CalamineWorkbook

        self.cont = cont
        self.name = name
        try:
            self.wb = CalamineWorkbook.from_object(io.BytesIO(cont.data))
        except Exception as e:  # noqa: BLE001 - calamine's error types vary by version
            raise _calamine_error(e, name) from None
        try:
            self.sheet_names: list[str] = list(self.wb.sheet_names)
        except Exception as e:  # noqa: BLE001
            raise _calamine_error(e, name) from None
        # xls extents were collected by sheet index
        if cont.kind == "xls" and cont.oversized:
            cont.oversized = {self.sheet_names[int(k[1:])] if int(k[1:]) < len(self.sheet_names) else k: v
                              for k, v in cont.oversized.items()}
        self.grids: dict[str, _Grid] = {}

    def has(self, sheet: str) -> bool:
        return sheet in self.sheet_names

    def safe(self, sheet: str) -> bool:
        return sheet not in self.cont.oversized

    def grid(self, sheet: str) -> _Grid:
        g = self.grids.get(sheet)
        if g is None:
            if sheet in self.cont.oversized:
                rows, cols = self.cont.oversized[sheet]
                raise _fail("file.sheet_too_large", self.name, sheet=sheet, rows=rows, cols=cols,
                            limit=f"{MAX_SHEET_CELLS:,}")
            try:
                rows = self.wb.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
            except Exception as e:  # noqa: BLE001
                raise _calamine_error(e, self.name) from None
            g = _Grid(sheet, rows)
            self.grids[sheet] = g
        return g


def _calamine_error(e: Exception, name: str) -> ReadError:
    if isinstance(e, MemoryError):
        raise e  # not a broken file: read_report reports it (file.too_large in a reader worker)
    kind = type(e).__name__
    msg = str(e)
    low = msg.lower()
    if kind == "PasswordError" or "password" in low or "encrypt" in low:
        return _fail("file.encrypted", name)
    if "eof" in low or "unexpected end" in low or "truncat" in low:
        return _fail("file.truncated", name)
    return _fail("file.corrupt", name, detail=f"{kind}: {msg[:160]}" if msg else kind)


def _field_text(v: Any) -> str:
    import datetime as _dt

    if v is None:
        return ""
    if isinstance(v, float):
        if v != v:  # NaN
            return ""
        if v.is_integer():
            return str(int(v))
        return repr(v)
    if isinstance(v, _dt.datetime):
        return v.date().isoformat() if v.time() == _dt.time() else v.isoformat(sep=" ")
    if isinstance(v, (_dt.date,)):
        return v.isoformat()
    return _WS.sub(" ", str(v)).strip()


_BLANK = Value("blank", None, "")
# a total whose formula was saved without its cached result (e.g. by openpyxl): not a blank
_UNCOMPUTED = Value("blank", None, "", messages.detail("uncomputed"), None, "formula")
_INT_CACHE: dict[float, Value] = {}  # whole numbers below 10,000 read from a float, by the float


def _value(raw: Any, ctype: str, unit: str | None) -> Value:
    """parse_value with a fast path for the common cases (empty, whole-number floats)."""
    tp = type(raw)
    if tp is float:
        if ctype != "amount" and raw.is_integer() and 0 <= raw < 1e12:
            n = int(raw)
            if n < 10000:
                v = _INT_CACHE.get(raw)
                if v is None:
                    v = _INT_CACHE[raw] = Value("number", n, float(n))
                return v
            return Value("number", n, raw)
        return parse_value(raw, ctype, unit)
    if tp is str and raw == "" or raw is None:
        return _BLANK if raw == "" else Value("blank", None, None)
    return parse_value(raw, ctype, unit)


def _choose_format(book: _Book, ident: dict[str, str], spec: Spec | None) -> tuple[Spec, list[Finding]]:
    notes: list[Finding] = []
    fid = ident.get("format", "")
    if fid and fid in available_formats():
        own = load_format(fid)
        if spec is not None and spec.id != own.id:
            notes.append(messages.finding("identity.format_mismatch", found=own.id, expected=spec.id))
        return own, notes
    # no identity: the format whose labels the workbook holds
    texts: set[str] = set()
    for s in book.sheet_names:
        if s == IDENTITY_SHEET or not book.safe(s):
            continue
        texts.update(book.grid(s).norm_index)
    scores: dict[str, float] = {}
    for f in available_formats():
        infos = _table_infos(load_format(f))
        scores[f] = sum(len(i.distinct & texts) / max(1, len(i.distinct)) for i in infos.values())
    if not scores:  # pragma: no cover - the package ships formats
        raise SpecError(messages.detail("no_formats"))
    top = max(scores.values())
    if spec is not None and scores.get(spec.id, -1) >= top - 1e-9:
        return spec, notes
    # ties go to the newest format
    best = load_format(max(f for f, sc in scores.items() if sc >= top - 1e-9))
    if spec is not None and top > 0:
        notes.append(messages.finding("identity.format_mismatch", found=best.id, expected=spec.id))
    return best, notes


def _read_identity(book: _Book) -> tuple[dict[str, str], list[dict[str, str]], str]:
    if book.has(IDENTITY_SHEET) and book.safe(IDENTITY_SHEET):
        rows = book.grid(IDENTITY_SHEET).rows
        ident, units = read_identity_rows(rows)
        if ident:
            return ident, units, "sheet"
    cont = book.cont
    if cont.kind == "xlsx":
        custom = next((n for n in cont.members if n.lower() == "docprops/custom.xml"), None)
        if custom is not None:
            cont.props = _custom_props(cont.members[custom])
    props = identity_from_properties(cont.props)
    if props:
        return props, [], "properties"
    return {}, [], ""


def _read_cover(book: _Book, spec: Spec, report: Report) -> None:
    cover_ok = book.has(spec.cover_sheet) and book.safe(spec.cover_sheet)
    if not cover_ok:
        report.findings.append(messages.finding("layout.cover_missing", sheet=spec.cover_sheet))
    for f in spec.cover:
        val = None
        where = None
        if cover_ok:
            g = book.grid(spec.cover_sheet)
            lab = g.get(f.row, f.col - 1)
            st = _status(lab, f.label)
            if st != "different" or _status(_label_part(lab), f.label) != "different":
                val, where = g.get(f.row, f.col), (spec.cover_sheet, f.row, f.col)
                if st in ("drift", "changed"):
                    report.findings.append(messages.finding(
                        "label.drift" if st == "drift" else "label.changed",
                        ref=f"{spec.cover_sheet}!{_a1(f.row, f.col - 1)}", found=_text_of(lab).strip(),
                        expected=f.label))
                if st == "different":  # "填报单位：xxx" in one cell
                    inline = _after_label(lab, f.label)
                    if inline and not _text_of(val).strip():
                        val = inline
        if where is None:
            val, where = _search_field(book, spec, f.label)
        report.fields[f.id] = _field_text(val) if val is not None else ""
        if where is not None:
            report.locations[f.id] = f"{where[0]}!{_a1(where[1], where[2])}"


def _label_part(v: Any) -> str:
    s = _text_of(v)
    for sep in ("：", ":"):
        if sep in s:
            return s.split(sep, 1)[0]
    return s


def _after_label(v: Any, label: str) -> str:
    s = _text_of(v)
    for sep in ("：", ":"):
        if sep in s and normalize_label(s.split(sep, 1)[0]) == normalize_label(label):
            return s.split(sep, 1)[1].strip()
    return ""


def _search_field(book: _Book, spec: Spec, label: str) -> tuple[Any, tuple[str, int, int] | None]:
    """A cover field anywhere: a cell holding the label (or "label：value"), value to its right."""
    target = normalize_label(label)
    order = [spec.cover_sheet] + [s for s in book.sheet_names if s != spec.cover_sheet]
    for s in order:
        if s == IDENTITY_SHEET or not book.has(s) or not book.safe(s):
            continue
        g = book.grid(s)
        for text, poss in g.norm_index.items():
            head = text.split(":", 1)[0]
            if head != target:
                continue
            for (r, c) in poss:
                inline = _after_label(g.get(r, c), label)
                if inline:
                    return inline, (s, r, c)
                for dc in (1, 2, 3):
                    v = g.get(r, c + dc)
                    if _text_of(v).strip():
                        return v, (s, r, c + dc)
                return "", (s, r, c + 1)
    return None, None


def _locate_table(book: _Book, spec: Spec, info: _TableInfo) -> tuple[_Placement | None, list[Finding]]:
    t = info.layout
    n_cells = len(t.cells)
    # 1. the spec position
    if book.has(t.sheet) and book.safe(t.sheet):
        pl = _fast_place(info, book.grid(t.sheet))
        if pl is not None:
            return pl, []
    # 2. search the sheets by labels
    candidates = []
    skipped = []
    for s in book.sheet_names:
        if s == IDENTITY_SHEET:
            continue
        if not book.safe(s):
            skipped.append(s)
            continue
        g = book.grid(s)
        score = len(info.distinct & g.norm_index.keys()) / max(1, len(info.distinct))
        if score >= 0.5:
            candidates.append((s != t.sheet, -score, s))
    notes = [messages.finding("layout.sheet_skipped", sheet=s, rows=book.cont.oversized[s][0]) for s in skipped]
    if not candidates:
        if t.sheet in skipped:
            rows, cols = book.cont.oversized[t.sheet]
            raise _fail("file.sheet_too_large", book.name, sheet=t.sheet, rows=rows, cols=cols,
                        limit=f"{MAX_SHEET_CELLS:,}")
        return None, notes + [messages.finding("layout.table_missing", table=t.name, title=t.title, n=n_cells)]
    candidates.sort()
    results = []
    ambiguous_in = []
    for _, _, s in candidates:
        pl, why = _search_place(info, book.grid(s))
        if pl is None:
            if why == "ambiguous":
                ambiguous_in.append(s)
            continue
        located = sum(1 for cid in t.cells if pl.position(info, spec.cells[cid]) is not None)
        results.append((located, s, pl))
    if ambiguous_in and not any(r[0] == n_cells for r in results):
        where = "、".join(messages.detail("sheet", sheet=s) for s in ambiguous_in)
        return None, notes + [messages.finding("layout.ambiguous", table=t.name, title=t.title, where=where, n=n_cells)]
    if not results:
        return None, notes + [messages.finding("layout.table_missing", table=t.name, title=t.title, n=n_cells)]
    best = max(r[0] for r in results)
    top = [r for r in results if r[0] == best]
    if len(top) > 1:
        named = [r for r in top if r[1] == t.sheet]
        if named:
            top = named
        else:
            where = "、".join(messages.detail("sheet", sheet=r[1]) for r in top)
            return None, notes + [messages.finding("layout.ambiguous", table=t.name, title=t.title, where=where,
                                                   n=n_cells)]
    pl = top[0][2]
    g = book.grid(pl.sheet)
    found = notes + _describe_moves(info, pl, t.sheet)
    for r in sorted(pl.missing_rows):
        lab = next((t.labels[i] for i in info.row_label_of.get(r, []) if t.labels[i].kind == "row"), None)
        n = sum(1 for cid in t.cells if spec.cells[cid].rowx == r)
        found.append(messages.finding("layout.row_missing", sheet=g.name, table=t.name,
                                      label=lab.text if lab else messages.detail("row", n=r + 1), n=n))
    for li in sorted(pl.missing_leaves):
        n = sum(1 for cid, x in info.leaf_of.items() if x == li and spec.cells[cid].rowx not in pl.missing_rows)
        found.append(messages.finding("layout.column_missing", sheet=g.name, table=t.name, label=t.labels[li].text,
                                      n=n))
    return pl, found


def _read_tables(book: _Book, spec: Spec, report: Report) -> int:
    """Fill report.values for every cell that could be located; returns the number of tables found."""
    infos = _table_infos(spec)
    found_tables = 0
    for t in spec.tables:
        info = infos[t.id]
        pl, notes = _locate_table(book, spec, info)
        if pl is None:
            report.findings.extend(notes)
            continue
        found_tables += 1
        report.findings.extend(notes)
        report.findings.extend(pl.findings)
        g = book.grid(pl.sheet)
        rows = g.rows
        nrows = len(rows)
        if pl.exact and pl.sheet == t.sheet:
            values = report.values
            xlsx = book.cont.kind == "xlsx"
            ints = _INT_CACHE
            for cid, r, col, ctype, unit, is_input, count in info.fast:
                try:
                    raw = rows[r][col]
                except IndexError:  # beyond the last row/column holding anything
                    raw = ""
                # a count typed as a whole number below 10,000 (a float to calamine) is the
                # usual content: its Value is shared (built by _value the first time)
                if count and type(raw) is float:
                    v = ints.get(raw)
                    if v is not None:
                        values[cid] = v
                        continue
                v = _value(raw, ctype, unit)
                if v.state == "blank" and xlsx:
                    v = _xlsx_blank(book.cont, pl.sheet, r, col, ctype, unit, is_input, v)
                values[cid] = v
            report.locations.update(info.addresses)
            continue
        for cid in t.cells:
            c = spec.cells[cid]
            if pl.exact:
                r, col = c.rowx, c.colx
            else:
                pos = pl.position(info, c)
                if pos is None:
                    continue  # reported as a missing row/column; not read
                r, col = pos
            raw = rows[r][col] if r < nrows and col < len(rows[r]) else ""
            v = _value(raw, c.type, c.unit)
            if v.state == "blank" and book.cont.kind == "xlsx":
                # an error value, or a formula saved without its cached value (e.g. by openpyxl): not a blank
                v = _xlsx_blank(book.cont, pl.sheet, r, col, c.type, c.unit, c.input, v)
            report.values[cid] = v
            report.locations[cid] = f"{pl.sheet}!{_a1(r, col)}"
    return found_tables


def read_report(source: Path | str | bytes, *, name: str | None = None, spec: Spec | None = None) -> Report:
    """Read one workbook.  ``source`` is a path or the file's bytes; ``name`` is how the file
    is named in messages (default: the path).  ``spec`` is the expected format: a file whose
    identity names another format is read with its own format and gets an
    ``identity.format_mismatch`` finding.  Raises only :class:`ReadError`."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        display = name or messages.detail("unnamed")
    else:
        path = Path(source)
        display = name or str(path)
        try:
            size = path.stat().st_size
            if size > MAX_FILE_BYTES:
                raise _fail("file.too_large", display, size=_size(size), limit=_size(MAX_FILE_BYTES))
            data = path.read_bytes()
        except FileNotFoundError:
            raise _fail("file.not_found", display) from None
        except IsADirectoryError:
            raise _fail("file.unreadable", display, detail=messages.detail("folder")) from None
        except PermissionError:
            raise _fail("file.unreadable", display, detail=messages.detail("permission")) from None
        except OSError as e:
            raise _fail("file.unreadable", display, detail=e.strerror or str(e)) from None
    try:
        return _read(data, display, spec)
    except ReadError:
        raise
    except RecursionError:
        raise _fail("file.corrupt", display, detail=messages.detail("nesting")) from None
    except MemoryError:
        if _IN_WORKER:
            raise  # gipr.isolate reports it as file.too_large and retires the worker
        raise _fail("file.corrupt", display, detail=messages.detail("memory")) from None
    except Exception as e:  # noqa: BLE001 - the contract: only ReadError leaves this function
        if os.environ.get("GIPR_DEBUG"):
            raise
        raise _fail("file.corrupt", display, detail=f"{type(e).__name__}: {str(e)[:160]}") from None
    except BaseException as e:
        # a panic inside calamine (Rust) arrives as pyo3's PanicException, a BaseException
        # (found by fuzzing .xls files); KeyboardInterrupt and SystemExit go on
        if type(e).__name__ != "PanicException":
            raise
        raise _fail("file.corrupt", display, detail=messages.detail("panic", error=str(e)[:160])) from None


# -----------------------------------------------------------------------------------------
# reading an untrusted file: in a worker process (gipr.isolate), with the time and memory limits

_IN_WORKER = False  # set in gipr.isolate's reader workers
_SPEC_BLOBS: dict[tuple[str, str], bytes] = {}  # (id, digest) -> pickled Spec (the sending side)
_SPECS: dict[tuple[str, str], Spec] = {}  # (id, digest) -> Spec (the worker side: unpickled once)


def spec_token(spec: Spec | None) -> tuple[tuple[str, str], bytes] | None:
    """What a worker needs to get ``spec``: its key and its pickle (unpickled once per worker)."""
    if spec is None:
        return None
    key = (spec.id, spec.digest)
    blob = _SPEC_BLOBS.get(key)
    if blob is None:
        import pickle

        blob = _SPEC_BLOBS[key] = pickle.dumps(spec, protocol=pickle.HIGHEST_PROTOCOL)
    return key, blob


def spec_from_token(token: tuple[tuple[str, str], bytes] | None) -> Spec | None:
    if token is None:
        return None
    key, blob = token
    got = _SPECS.get(key)
    if got is None:
        import pickle

        got = _SPECS[key] = pickle.loads(blob)
    return got


def warm_up() -> None:
    """Run in each reader worker before its first (timed) task: import calamine and build
    the per-format tables of the built-in formats."""
    global _IN_WORKER
    _IN_WORKER = True
    import python_calamine  # noqa: F401

    from .checks import _plan

    for fmt in available_formats():
        spec = load_format(fmt)
        _SPECS.setdefault((spec.id, spec.digest), spec)  # a token for it needs no unpickling
        _table_infos(spec)
        _plan(spec)


def _read_in_worker(source: str | bytes, name: str | None, token: Any) -> Report:
    return read_report(source, name=name, spec=spec_from_token(token))


def read_report_limited(source: Path | str | bytes, *, name: str | None = None, spec: Spec | None = None) -> Report:
    """:func:`read_report` of an untrusted file in a worker process (gipr.isolate), killed
    after MAX_READ_SECONDS (file.timeout) or when it needs more than MAX_READ_MEMORY_MB
    (file.too_large, POSIX).  Works the same on Windows and in any thread.  Raises only
    :class:`ReadError`."""
    from .isolate import run_limited

    if isinstance(source, (bytes, bytearray, memoryview)):
        src: str | bytes = bytes(source)
        display = name or messages.detail("unnamed")
    else:
        src = str(source)
        display = name or src
    try:
        return run_limited(_read_in_worker, src, name, spec_token(spec), seconds=MAX_READ_SECONDS,
                           memory_mb=MAX_READ_MEMORY_MB, what=display)
    except ReadError:
        raise
    except Exception as e:  # noqa: BLE001 - an unpicklable error from the worker: still only ReadError
        raise _fail("file.corrupt", display, detail=f"{type(e).__name__}: {str(e)[:160]}") from None


def _read(data: bytes, display: str, spec: Spec | None) -> Report:
    cont = _open_container(data, display)
    book = _Book(cont, display)
    ident, units, source = _read_identity(book)
    own_spec, notes = _choose_format(book, ident, spec)
    report = Report(spec=own_spec, file=display)
    report.sha256 = hashlib.sha256(data).hexdigest()
    report.identity = ident
    if ident.get("kind") == "rollup":
        report.kind = "rollup"
        report.units = units
    report.findings.extend(cont.notes)
    report.findings.extend(notes)
    found = _read_tables(book, own_spec, report)
    if found == 0:
        raise _fail("file.not_report", display)
    _read_cover(book, own_spec, report)
    return report


def guess_format_year(report: Report) -> str | None:
    """The format a report's year uses, if the year is known."""
    y = report.year
    if y is None:
        return None
    try:
        return format_for_year(y)
    except SpecError:
        return None
