"""Vet a spreadsheet container before any parser sees it (the reader's step 1).

Sniff the magic bytes; for a zip (.xlsx/.xlsm/.ods), refuse duplicate or encrypted members,
too many members, a declared uncompressed size or compression ratio beyond the limits
(zip bombs), and any XML part with a DOCTYPE/ENTITY declaration; every member is
decompressed once here with its CRC checked.  For an OLE2 file, recognise an encrypted
OOXML package or an encrypted .xls.  For every sheet, bound the rows × columns its cells
span.  The limits are here, in one place (``LIMITS``).  Raises only ``ReadError``.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from typing import Any

from .. import messages
from ..catalogue.access import textkey
from ..errors import ReadError
from ..magic import ZIP_END_MAGIC, ZIP_MAGIC, sniff
from ..model import Finding
from ..text import xml_unescape

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


# what the main process may import from here (gipr.isolate.READER_MODULES; tests/test_boundary.py)
PARENT_SIDE = ("read_error", "human_size", "sniff", "LIMITS", "MAX_FILE_BYTES", "MAX_MEMBER_BYTES",
               "MAX_MEMBERS", "MAX_RATIO", "MAX_READ_MEMORY_MB", "MAX_READ_SECONDS", "MAX_SHEET_CELLS", "MAX_SHEET_ROWS",
               "MAX_TOTAL_BYTES", "RATIO_FLOOR")


def read_error(code: str, name: str, **kw: Any) -> ReadError:
    return ReadError(messages.say(textkey(code), file=name, **kw), code)


def human_size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / 1024 / 1024:.1f} MB"
    return f"{max(1, n // 1024)} KB"


# -----------------------------------------------------------------------------------------
# 1. the container


@dataclass
class Container:
    kind: str  # "xlsx" | "xls" | "ods"
    data: bytes  # what calamine reads (Strict OOXML rewritten to transitional)
    members: dict[str, bytes] = field(default_factory=dict)  # zip members, decompressed
    props: dict[str, str] = field(default_factory=dict)  # custom document properties
    # sheet name -> (rows, cols), for xlsx and ods (an oversized .xls is refused whole in _open_ole)
    oversized: dict[str, tuple[int, int]] = field(default_factory=dict)
    oversized_members: dict[str, tuple[int, int]] = field(default_factory=dict)  # xlsx member -> extent
    notes: list[Finding] = field(default_factory=list)
    formula_cache: dict[str, set[tuple[int, int]]] = field(default_factory=dict)
    error_cache: dict[str, dict[tuple[int, int], str]] = field(default_factory=dict)


def _describe_other(data: bytes) -> str:
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if sniff(data) == "pdf":
        return messages.say("detail.pdf")
    if head.startswith((b"<html", b"<!doctype html", b"<table", b"<meta")) or b"<html" in head[:512]:
        return messages.say("detail.html")
    if head.startswith(b"<?xml") and b"urn:schemas-microsoft-com:office:spreadsheet" in data[:8192]:
        return messages.say("detail.xml2003")
    if head.startswith((b"rar!", b"7z\xbc\xaf")):
        return messages.say("detail.archive")
    if head.startswith((b"\x89png", b"\xff\xd8\xff", b"gif8")):
        return messages.say("detail.image")
    if head.startswith((b"{\\rtf",)):
        return messages.say("detail.rtf")
    try:
        data[:4096].decode("utf-8")
        return messages.say("detail.text")
    except UnicodeDecodeError:
        return messages.say("detail.unknown")


def open_container(data: bytes, name: str) -> Container:
    kind = sniff(data)
    if kind == "empty":
        raise read_error("file.empty", name)
    if len(data) > MAX_FILE_BYTES:
        raise read_error("file.too_large", name, size=human_size(len(data)), limit=human_size(MAX_FILE_BYTES))
    if kind == "zip":
        return _open_zip(data, name)
    if kind == "ole":
        return _open_ole(data, name)
    raise read_error("file.not_spreadsheet", name, detail=_describe_other(data))


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
        raise zipfile.BadZipFile(messages.say("detail.size_mismatch", actual=len(blob), declared=info.file_size))
    if zlib.crc32(blob) != info.CRC:
        raise zipfile.BadZipFile(messages.say("detail.crc"))
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
            raise read_error("file.corrupt", name, detail=messages.say("detail.overlap", member=info.filename, other=prev))
        if data[off:off + 4] != ZIP_MAGIC or off + 30 > len(data):
            continue  # no local header there: reading the member reports it
        n, e = struct.unpack_from("<HH", data, off + 26)
        local = data[off + 30:off + 30 + n]
        want = info.orig_filename.encode("utf-8" if info.flag_bits & 0x800 else "cp437", "surrogateescape")
        if local != want:
            raise read_error("file.corrupt", name, detail=messages.say("detail.local_name", member=info.filename))
        prev_end, prev = off + 30 + n + e + info.compress_size, info.filename


def _open_zip(data: bytes, name: str) -> Container:
    # The central directory is zipfile's (a hand-written reader saved ~0.05 ms of a ~4 ms
    # read, about 1%, within the noise of `gipr merge`: not worth a second parser of hostile
    # input); everything below vets what it found.
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as e:
        if data.startswith(ZIP_MAGIC) and "not a zip file" in str(e).lower():
            raise read_error("file.truncated", name) from None
        raise read_error("file.corrupt", name, detail=str(e)) from None
    except (OSError, ValueError, EOFError, NotImplementedError) as e:
        raise read_error("file.truncated" if isinstance(e, EOFError) else "file.corrupt", name,
                         detail=type(e).__name__) from None
    infos = zf.infolist()
    if not infos:
        raise read_error("file.not_spreadsheet", name, detail=messages.say("detail.empty_zip"))
    if len(infos) > MAX_MEMBERS:
        raise read_error("file.zip_bomb", name, detail=messages.say("detail.members", n=len(infos), limit=MAX_MEMBERS))
    seen: set[str] = set()
    total = 0
    for info in infos:
        if _bad_member_name(info.filename):
            raise read_error("file.corrupt", name, detail=messages.say("detail.bad_name", member=info.filename))
        key = info.filename.replace("\\", "/").lstrip("/").casefold()  # OPC part names are case-insensitive
        if key in seen:
            raise read_error("file.duplicate_member", name, member=info.filename)
        seen.add(key)
        if info.flag_bits & 0x1:
            raise read_error("file.encrypted", name)
        if info.file_size > MAX_MEMBER_BYTES:
            raise read_error("file.zip_bomb", name, detail=messages.say("detail.declared", member=info.filename, size=human_size(info.file_size)))
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(1, info.compress_size):
            raise read_error("file.zip_bomb", name,
                        detail=messages.say("detail.ratio", member=info.filename, ratio=info.file_size // max(1, info.compress_size)))
        total += info.file_size
        if total > MAX_TOTAL_BYTES:
            raise read_error("file.zip_bomb", name, detail=messages.say("detail.total", limit=human_size(MAX_TOTAL_BYTES)))
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
            raise read_error("file.corrupt", name, detail=messages.say("detail.member", member=info.filename, error=e)) from None
        except (EOFError, zlib.error, struct.error) as e:
            raise read_error("file.truncated" if isinstance(e, EOFError) else "file.corrupt", name,
                        detail=messages.say("detail.member", member=info.filename, error=type(e).__name__)) from None
        except NotImplementedError as e:
            raise read_error("file.corrupt", name, detail=messages.say("detail.method", member=info.filename, error=e)) from None
        except (OSError, ValueError, RuntimeError) as e:
            raise read_error("file.corrupt", name, detail=messages.say("detail.member", member=info.filename, error=e)) from None
        lower = info.filename.lower()
        xml = lower.endswith((".xml", ".rels", ".vml")) or blob[:5] == b"<?xml" or blob[:2] in (b"\xff\xfe", b"\xfe\xff")
        if xml and _has_entities(blob):
            raise read_error("file.xml_entities", name, member=info.filename)
        members[info.filename] = blob
        crcs[info.filename] = info.CRC

    if "mimetype" in members:
        mt = members["mimetype"].strip()
        if mt.startswith(b"application/vnd.oasis.opendocument.spreadsheet"):
            return _ods_container(data, members, name)
        if b"opendocument.text" in mt:
            raise read_error("file.not_spreadsheet", name, detail=messages.say("detail.odt"))
        raise read_error("file.not_spreadsheet", name, detail=messages.say("detail.odf"))
    lower_names = {n.lower(): n for n in members}
    if "xl/workbook.bin" in lower_names:
        raise read_error("file.not_spreadsheet", name, detail=messages.say("detail.xlsb"))
    if "word/document.xml" in lower_names:
        raise read_error("file.not_spreadsheet", name, detail=messages.say("detail.docx"))
    if any(n.startswith("ppt/") for n in lower_names):
        raise read_error("file.not_spreadsheet", name, detail=messages.say("detail.ppt"))
    if "[content_types].xml" not in lower_names or not any(
            n.startswith("xl/") and n.endswith(".xml") and "workbook" in n for n in lower_names):
        raise read_error("file.not_spreadsheet", name, detail=messages.say("detail.zip_no_workbook"))
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

    state: dict[str, Any] = {"row": 0, "col": 0, "cell": None, "rows": 0, "cols": 0}

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
    except Exception:
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
        head = pack("<4s5H3I2H", ZIP_MAGIC, 20, 0x800, 0, 0, 0x21, crc, size, size, len(fn), 0)
        central.append(pack("<4s6H3I5H2I", b"PK\x01\x02", 20, 20, 0x800, 0, 0, 0x21, crc, size, size, len(fn),
                            0, 0, 0, 0, 0, offset) + fn)
        local += (head, fn, blob)
        offset += len(head) + len(fn) + size
    cd_size = sum(map(len, central))
    local += central
    local.append(pack("<4s4H2IH", ZIP_END_MAGIC, 0, 0, len(central), len(central), cd_size, offset, 0))
    return b"".join(local)  # one copy of the parts


def _xlsx_container(data: bytes, members: dict[str, bytes], name: str, crcs: dict[str, int] | None = None
                    ) -> Container:
    c = Container("xlsx", data, members)
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
            raise read_error("file.corrupt", name, detail=messages.say("detail.member", member=part,
                                                                     error=messages.say("detail.bad_xml")))
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
        raise read_error("file.strict_ooxml", name, detail=str(e)) from None
    return out.getvalue()


def custom_props(blob: bytes) -> dict[str, str]:
    import defusedxml.ElementTree as ET

    try:
        root = ET.fromstring(blob)
    except Exception:
        return {}
    out = {}
    for prop in root:
        pname = prop.get("name")
        if not pname:
            continue
        val = "".join(prop.itertext()).strip()
        out[pname] = val
    return out


def _xlsx_sheet_xml(c: Container, sheet: str) -> bytes | None:
    parts = _xlsx_sheet_parts(c.members)
    part = next((p for p, n in parts.items() if n == sheet), None)
    return next((v for k, v in c.members.items() if k.lower() == part), None) if part else None


_ERROR_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*?\st=\"e\"[^>]*?)(?<!/)>(.*?)</(?:\w+:)?c>", re.S)
_ERROR_VALUE = re.compile(rb"<(?:\w+:)?v>([^<]{1,64})</(?:\w+:)?v>")


def xlsx_error_cells(c: Container, sheet: str) -> dict[tuple[int, int], str]:
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


def xlsx_formula_cells(c: Container, sheet: str) -> set[tuple[int, int]]:
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


def _ods_container(data: bytes, members: dict[str, bytes], name: str) -> Container:
    c = Container("ods", data, members)
    content = members.get("content.xml")
    if content is None:
        raise read_error("file.corrupt", name, detail=messages.say("detail.no_content"))
    for tname, (rows, cols) in _ods_extents(content).items():
        if rows > MAX_SHEET_ROWS or rows * max(cols, 1) > MAX_SHEET_CELLS:
            c.oversized[xml_unescape(tname)] = (rows, cols)
    meta = members.get("meta.xml")
    if meta is not None:
        for m in re.finditer(rb"<meta:user-defined\b[^>]*?meta:name=\"([^\"]*)\"[^>]*>(.*?)</meta:user-defined>",
                             meta, re.S):
            c.props[xml_unescape(m.group(1).decode("utf-8", "replace"))] = xml_unescape(
                m.group(2).decode("utf-8", "replace")).strip()
    return c


# -- ole (xls, et, encrypted OOXML) -------------------------------------------------------

def _open_ole(data: bytes, name: str) -> Container:
    import olefile

    try:
        ole = olefile.OleFileIO(io.BytesIO(data))
    except MemoryError:
        raise
    except Exception as e:
        msg = str(e).lower()
        if "incomplete" in msg or "truncat" in msg or len(data) < 1536:
            raise read_error("file.truncated", name) from None
        raise read_error("file.corrupt", name, detail=messages.say("detail.ole", error=e)) from None
    try:
        streams = {"/".join(p).lower(): p for p in ole.listdir(streams=True, storages=False)}
        if "encryptioninfo" in streams or "encryptedpackage" in streams:
            raise read_error("file.encrypted", name)
        wb_stream = streams.get("workbook") or streams.get("book")
        if wb_stream is None:
            if "worddocument" in streams:
                raise read_error("file.not_spreadsheet", name, detail=messages.say("detail.doc"))
            if "powerpoint document" in streams:
                raise read_error("file.not_spreadsheet", name, detail=messages.say("detail.ppt"))
            raise read_error("file.not_spreadsheet", name, detail=messages.say("detail.ole_no_workbook"))
        try:
            biff = ole.openstream(wb_stream).read()
        except MemoryError:
            raise
        except Exception as e:
            raise read_error("file.truncated" if "incomplete" in str(e).lower() else "file.corrupt", name,
                        detail=messages.say("detail.biff", error=e)) from None
    finally:
        ole.close()
    c = Container("xls", data)
    try:
        extents, encrypted = _biff_scan(biff)
    except ValueError as e:
        raise read_error("file.corrupt", name, detail=messages.say("detail.biff", error=e)) from None
    if encrypted:
        raise read_error("file.encrypted", name)
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
        raise read_error("file.sheet_too_large", name, sheet=sheet, rows=rows, cols=cols, limit=f"{MAX_SHEET_CELLS:,}")
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
                    raise ValueError(messages.say("detail.dimensions"))
                rows = max(rows, r1)  # calamine reserves room for the declared dimensions too
                cols = max(cols, c1)
            elif rtype == 0x00BD and rlen >= 6:  # MULRK: row, first col, ..., last col
                r, _c0 = struct.unpack_from("<HH", biff, body)
                (c1,) = struct.unpack_from("<H", biff, body + rlen - 2)
                rows = max(rows, r + 1)
                cols = max(cols, c1 + 1)
        pos = body + rlen
    return extents, False
