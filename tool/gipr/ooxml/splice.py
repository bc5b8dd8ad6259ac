"""Fast bulk rows for xlsxwriter worksheets: write the header with xlsxwriter, stream the
many data rows as XML straight into the finished file.

xlsxwriter costs about 15 µs per cell; a county roll-up's per-unit sheet of 1,000 units ×
200 cells would take seconds.  Here a worksheet's first rows (headers, widths, frozen
panes, autofilter — everything sheet-level) are written with xlsxwriter as usual; the
bulk rows are produced afterwards by a generator of ready-made ``<row>`` XML and spliced
into the sheet's ``<sheetData>`` while the package is copied once (about 1 µs per cell,
streamed, so memory stays flat).

Cells use inline strings (``t="inlineStr"``), so the shared-string table is untouched;
cell styles are xlsxwriter formats registered before the workbook is closed
(``style_id``).  Spreadsheet programs, openpyxl and calamine all read inline strings.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from xlsxwriter.utility import xl_col_to_name

from ..text import xml_escape, xml_unescape

__all__ = ["Cells", "ColumnNames", "splice_rows", "style_id"]

_escape, _unescape = xml_escape, xml_unescape


_BAD_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def style_id(fmt: Any) -> int:
    """The XF index of an xlsxwriter Format, registering it in the workbook's styles.

    Must be called before ``Workbook.close()``.  (Uses xlsxwriter's ``_get_xf_index``,
    the call its own ``write_*`` methods make for every cell.)
    """
    if fmt is None:
        return 0
    return fmt._get_xf_index()


class ColumnNames:
    """Column letters by 0-based index, cached."""

    def __init__(self) -> None:
        self._names: list[str] = []

    def __getitem__(self, c: int) -> str:
        while len(self._names) <= c:
            self._names.append(xl_col_to_name(len(self._names)))
        return self._names[c]


class Cells:
    """Builds one ``<row>`` of cell XML.  0-based row/column indices, like xlsxwriter."""

    __slots__ = ("cols", "parts", "r")

    def __init__(self, cols: ColumnNames, r: int):
        self.cols = cols
        self.r = r + 1
        self.parts: list[str] = []

    def num(self, c: int, n: Any, s: int = 0) -> None:
        if n is None:
            self.blank(c, s)
            return
        if isinstance(n, bool):
            n = int(n)
        self.parts.append(f'<c r="{self.cols[c]}{self.r}" s="{s}"><v>{n:.16G}</v></c>' if not isinstance(n, int)
                          else f'<c r="{self.cols[c]}{self.r}" s="{s}"><v>{n}</v></c>')

    def text(self, c: int, t: str, s: int = 0) -> None:
        t = "" if t is None else str(t)
        if not t.isprintable():  # control characters are not allowed in XML 1.0
            t = _BAD_XML.sub("", t)
        if not t:
            self.blank(c, s)
            return
        sp = ' xml:space="preserve"' if t != t.strip() else ""  # as xlsxwriter: leading/trailing space
        self.parts.append(f'<c r="{self.cols[c]}{self.r}" s="{s}" t="inlineStr"><is><t{sp}>{_escape(t)}</t></is></c>')

    def blank(self, c: int, s: int = 0) -> None:
        if s:
            self.parts.append(f'<c r="{self.cols[c]}{self.r}" s="{s}"/>')

    def formula(self, c: int, f: str, cached: Any, s: int = 0) -> None:
        f = f[1:] if f.startswith("=") else f
        v = "" if cached is None else (f"{cached}" if isinstance(cached, int) else f"{cached:.16G}")
        self.parts.append(f'<c r="{self.cols[c]}{self.r}" s="{s}"><f>{_escape(f)}</f><v>{v}</v></c>')

    def xml(self) -> str:
        return f'<row r="{self.r}">' + "".join(self.parts) + "</row>"


RowSource = Callable[[], Iterable[str]]

_NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def _sheet_members(zf: zipfile.ZipFile) -> dict[str, str]:
    """Worksheet name → zip member name, from workbook.xml and its relationships."""
    wb = zf.read("xl/workbook.xml").decode("utf-8")
    rels = zf.read("xl/_rels/workbook.xml.rels").decode("utf-8")
    targets = {m.group(1): m.group(2) for m in re.finditer(r'<Relationship Id="([^"]+)"[^>]*?Target="([^"]+)"', rels)}
    targets.update({m.group(2): m.group(1) for m in
                    re.finditer(r'<Relationship[^>]*?Target="([^"]+)"[^>]*?Id="([^"]+)"', rels)})
    out = {}
    for m in re.finditer(r"<sheet\b([^>]*)/>", wb):
        attrs = m.group(1)
        name = re.search(r'name="([^"]*)"', attrs)
        rid = re.search(r'r:id="([^"]*)"', attrs)
        if not name or not rid or rid.group(1) not in targets:
            continue
        t = targets[rid.group(1)]
        member = t.lstrip("/") if t.startswith("/") else "xl/" + t
        out[_unescape(name.group(1))] = member
    return out


def splice_rows(src: str | Path, dst: str | Path, rows: dict[str, tuple[Callable[[], Iterator[str]], int, int]],
                *, compresslevel: int = 6, bulk_compresslevel: int = 1) -> None:
    """Copy the xlsx package ``src`` to ``dst``, appending to each named worksheet the
    ``<row>`` XML strings its source yields (after the rows xlsxwriter wrote).

    ``rows``: sheet name → (row source, last row index, last column index) — the last
    row/column (0-based) the sheet will have, for its ``<dimension>``.  The spliced
    (large) sheets are deflated at ``bulk_compresslevel`` (fast), the rest at
    ``compresslevel``.
    """
    with zipfile.ZipFile(src) as zin:
        members = _sheet_members(zin)
        wanted = {}
        for name, spec in rows.items():
            if name not in members:
                raise KeyError(f"worksheet {name!r} not in {src}")
            wanted[members[name]] = spec
        with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED, compresslevel=compresslevel) as zout:
            for info in zin.infolist():
                data = zin.read(info.filename)
                if info.filename not in wanted:
                    zout.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=compresslevel)
                    continue
                source, last_row, last_col = wanted[info.filename]
                xml = data.decode("utf-8")
                dim = f"A1:{xl_col_to_name(last_col)}{last_row + 1}"
                xml = re.sub(r'<dimension ref="[^"]*"/>', f'<dimension ref="{dim}"/>', xml, count=1)
                if "<sheetData/>" in xml:
                    head, tail = xml.split("<sheetData/>", 1)
                    head += "<sheetData>"
                    tail = "</sheetData>" + tail
                else:
                    i = xml.index("</sheetData>")
                    head, tail = xml[:i], xml[i:]
                zi = zipfile.ZipInfo(info.filename, date_time=info.date_time)
                zi.compress_type = zipfile.ZIP_DEFLATED
                try:
                    zi.compress_level = bulk_compresslevel  # type: ignore[attr-defined]  # Python >= 3.13
                except AttributeError:
                    zi._compresslevel = bulk_compresslevel  # type: ignore[attr-defined]  # older: read by ZipFile.open
                zi.external_attr = info.external_attr
                with zout.open(zi, "w", force_zip64=True) as w:
                    w.write(head.encode("utf-8"))
                    buf: list[str] = []
                    size = 0
                    for row in source():
                        buf.append(row)
                        size += len(row)
                        if size > 1 << 20:
                            w.write("".join(buf).encode("utf-8"))
                            buf, size = [], 0
                    if buf:
                        w.write("".join(buf).encode("utf-8"))
                    w.write(tail.encode("utf-8"))
