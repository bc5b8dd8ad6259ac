"""The roll-up workbook: the official layout by the template writer (live totals with correct
cached values), then the per-unit, status, findings, year and info sheets spliced in."""

from __future__ import annotations

import contextlib
import datetime as _dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .. import __version__
from ..fsio import atomic_output
from ..messages import SEVERITY_ZH, SUBMISSION_STATUS_ZH, cell_place, say, when
from ..ooxml.splice import Cells, ColumnNames, splice_rows, style_id
from ..rules import Number, column_sums, input_ids, norm, plan, value_ids
from ..spec import Spec
from ..stamp import IDENTITY_SHEET, make_identity, sign
from ..template import WORKBOOK_OPTIONS, build_workbook
from .entries import (
    EXCLUDED_ERRORS,
    FINDINGS_SHEET,
    INCLUDED,
    INCLUDED_ERRORS,
    INFO_SHEET,
    MISSING,
    STATUS_SHEET,
    UNIT_SHEET,
    UNIT_SHEET_ID_LABEL,
    UNREADABLE,
    YEAR_SHEET,
    Entry,
    rollup_name,
)
from .plan import MergeResult
from .years import change_counts

# ---------------------------------------------------------------------------------
# the roll-up workbook
#
# Sheet headers are written with xlsxwriter; the bulk rows (one per unit, per roster unit,
# per finding, per unit × cell) are streamed as XML into the finished package by
# ``xlsxsplice`` — xlsxwriter's per-cell cost would dominate a merge of thousands of units.


def _formats(wb: Any) -> dict[str, Any]:
    base = {"font_name": say("merge.writer.formats.font_name"), "font_size": 10, "valign": "vcenter"}
    f = {
        "title": wb.add_format({**base, "bold": True, "font_size": 14}),
        "head": wb.add_format({**base, "bold": True, "border": 1, "text_wrap": True, "align": "center",
                               "bg_color": "#F2F2F2"}),
        "meta": wb.add_format({**base, "border": 1, "font_color": "#595959", "font_size": 8, "text_wrap": True}),
        "text": wb.add_format({**base, "border": 1}),
        "wrap": wb.add_format({**base, "border": 1, "text_wrap": True}),
        "num": wb.add_format({**base, "border": 1, "num_format": "0"}),
        "amount": wb.add_format({**base, "border": 1, "num_format": "General"}),
        "sub_text": wb.add_format({**base, "border": 1, "bold": True, "bg_color": "#DDEBF7"}),
        "sub_num": wb.add_format({**base, "border": 1, "bold": True, "bg_color": "#DDEBF7", "num_format": "General"}),
        "tot_text": wb.add_format({**base, "border": 1, "bold": True, "bg_color": "#BDD7EE"}),
        "tot_num": wb.add_format({**base, "border": 1, "bold": True, "bg_color": "#BDD7EE", "num_format": "General"}),
        "err_text": wb.add_format({**base, "border": 1, "bg_color": "#FFC7CE", "font_color": "#9C0006"}),
        "warn_text": wb.add_format({**base, "border": 1, "bg_color": "#FFEB9C", "font_color": "#9C5700"}),
        "info_text": wb.add_format({**base, "border": 1, "bg_color": "#E2EFDA"}),
        "miss_text": wb.add_format({**base, "border": 1, "bg_color": "#D9D9D9"}),
        "odd": wb.add_format({**base, "border": 1, "bg_color": "#FFC7CE", "font_color": "#9C0006"}),
        "key": wb.add_format({**base, "bold": True, "border": 1, "bg_color": "#F2F2F2"}),
        "note": wb.add_format({**base, "font_color": "#595959"}),
        "note_wrap": wb.add_format({**base, "font_color": "#595959", "text_wrap": True, "valign": "top"}),
    }
    return f


class _Book:
    """The extra sheets of a roll-up being written: formats, their style ids, and the
    bulk rows to splice in after xlsxwriter has closed the file."""

    def __init__(self, wb: Any):
        self.wb = wb
        self.f = _formats(wb)
        self.s = {k: style_id(v) for k, v in self.f.items()}
        self.cols = ColumnNames()
        self.deferred: dict[str, tuple[Any, int, int]] = {}

    def row(self, r: int):
        return Cells(self.cols, r)

    def defer(self, sheet: str, source: Any, last_row: int, last_col: int) -> None:
        self.deferred[sheet] = (source, last_row, last_col)


def _page(ws: Any, header_rows: tuple[int, int] = (1, 1), fit_width: bool = True) -> None:
    """A4 landscape, header rows repeated on every printed page, one page wide if it fits;
    the sheet's name at the top of each page and 第 n 页，共 m 页 at the bottom."""
    ws.set_paper(9)
    ws.set_landscape()
    ws.set_margins(left=0.4, right=0.4, top=0.7, bottom=0.7)
    ws.set_header("&C&A", {"margin": 0.3})
    ws.set_footer(say("print.footer"), {"margin": 0.3})
    ws.repeat_rows(*header_rows)
    if fit_width:
        ws.fit_to_pages(1, 0)


def _unit_layout(result: MergeResult) -> tuple[list[str], list[tuple[str, list[Entry]]]]:
    cats: dict[str, list[Entry]] = {}
    for e in result.included:
        cats.setdefault(e.category, []).append(e)
    return value_ids(result.spec), list(cats.items())


def write_unit_sheet(book: _Book, result: MergeResult) -> None:
    """各单位明细: one row per included unit, one column per value cell (headers: the
    official label paths; then the cell ids and where each sits in the roll-up), subtotal
    rows per 类别 (SUM formulas with cached values) and a 合计 row that equals the roll-up."""
    from xlsxwriter.utility import quote_sheetname

    spec, f, s = result.spec, book.f, book.s
    ids, groups = _unit_layout(result)
    ws = book.wb.add_worksheet(UNIT_SHEET)
    first = 5  # first value column
    who = rollup_name(result.county)
    ws.write_string(0, 0, say("units.title", name=result.county or who, year=result.year), f["title"])
    heads = say("heading.units").split("|")
    for c, h in enumerate(heads):
        ws.write_string(1, c, h, f["head"])
        ws.write_blank(2, c, None, f["meta"])
        ws.write_blank(3, c, None, f["meta"])
    ws.write_string(2, 4, UNIT_SHEET_ID_LABEL, f["meta"])
    ws.write_string(3, 4, say("units.where"), f["meta"])
    for j, cid in enumerate(ids):
        cell = spec.cells[cid]
        ws.write_string(1, first + j, cell.label_path + (say("units.computed") if not cell.input else ""), f["head"])
        ws.write_string(2, first + j, cid, f["meta"])
        ws.write_string(3, first + j, f"{quote_sheetname(cell.sheet)}!{cell.ref}", f["meta"])
    ws.set_row(1, 150)
    # the cell ids and their places are for reading the sheet back, not for a reader: hidden
    ws.set_row(2, None, None, {"hidden": True})
    ws.set_row(3, None, None, {"hidden": True})
    ws.set_column(0, 0, 5)
    ws.set_column(1, 1, 10)
    ws.set_column(2, 2, 28)
    ws.set_column(3, 4, 12)
    ws.set_column(first, first + len(ids) - 1, 11)
    ws.freeze_panes(4, first)
    _page(ws, header_rows=(1, 3), fit_width=False)
    ws.repeat_columns(0, 2)
    # about 16 figures (of ~100) per page beside the units' names, every unit on one page's height
    # (tests/test_print.py states the page count)
    ws.fit_to_pages(max(1, -(-len(ids) // 16)), 0)
    n_rows = sum(len(es) + 1 for _, es in groups)
    last_data = 4 + n_rows  # the 合计 row
    ws.autofilter(1, 0, last_data - 1, first + len(ids) - 1)
    last_col = first + len(ids) - 1
    calc = plan(spec)
    assert calc.value_ids == ids
    amounts = [spec.cells[cid].type == "amount" for cid in ids]
    is_input = [spec.cells[cid].input for cid in ids]
    num_style = [s["amount"] if amounts[j] else s["num"] for j in range(len(ids))]
    # one str.format call renders a unit's whole row of numbers ({0} is the row number)
    row_tmpl = "".join(f'<c r="{book.cols[first + j]}{{0}}" s="{num_style[j]}"><v>{{{j + 1}}}</v></c>'
                       for j in range(len(ids))) + "</row>"

    def rows() -> Iterator[str]:
        r = 4
        seq = 0
        subtotal_rows: list[int] = []
        for cat, es in groups:
            start = r
            for e in es:
                seq += 1
                vals = calc.values_in_order(e.numbers)
                marked = e.status == INCLUDED_ERRORS
                ts = s["err_text"] if marked else s["text"]
                row = book.row(r)
                row.num(0, seq, ts)
                row.text(1, e.code, ts)
                row.text(2, e.name, ts)
                row.text(3, e.category, ts)
                row.text(4, say("units.rollup_included") if e.kind == "rollup" and not marked else e.status_zh, ts)
                if None not in vals:
                    yield row.xml()[:-6] + row_tmpl.format(r + 1, *vals)
                else:
                    for j, n in enumerate(vals):
                        if n is None:
                            cid = ids[j]
                            if cid in e.odd:
                                row.text(first + j, e.odd[cid], s["odd"])
                            else:
                                row.blank(first + j, s["odd"] if marked and is_input[j] else s["num"])
                        else:
                            row.num(first + j, n, num_style[j])
                    yield row.xml()
                r += 1
            sub = calc.values_in_order(tuple(norm(x) for x in column_sums((e.numbers for e in es if e.numbers is not None), calc.n_inputs)))
            row = book.row(r)
            row.text(0, say("units.subtotal"), s["sub_text"])
            row.blank(1, s["sub_text"])
            row.text(2, say("units.category_subtotal", category=cat), s["sub_text"])
            row.text(3, cat, s["sub_text"])
            row.num(4, r - start, s["sub_num"])
            for j in range(len(ids)):
                col = book.cols[first + j]
                row.formula(first + j, f"SUM({col}{start + 1}:{col}{r})", _cached(sub[j]), s["sub_num"])
            subtotal_rows.append(r)
            yield row.xml()
            r += 1
        row = book.row(r)
        row.text(0, say("units.total"), s["tot_text"])
        row.blank(1, s["tot_text"])
        row.text(2, say("units.total_long"), s["tot_text"])
        row.blank(3, s["tot_text"])
        row.num(4, seq, s["tot_num"])
        for j, cid in enumerate(ids):
            col = book.cols[first + j]
            refs = "+".join(f"{col}{sr + 1}" for sr in subtotal_rows)
            row.formula(first + j, refs, _cached(result.values[cid]), s["tot_num"])
        yield row.xml()
        note = book.row(r + 2)
        note.text(0, say("units.note"), s["note"])
        yield note.xml()

    book.defer(UNIT_SHEET, rows, last_data + 2, last_col)


def _defer_identity_units(book: _Book, n_keys: int, units: list[dict[str, str]]) -> None:
    """The unit list of the identity sheet, as ``stamp.write_identity`` lays it out: after
    the key/value rows (a header row, one row per key) an empty row, a header row of the
    unit fields, then one row per unit; every cell text."""

    cols: list[str] = []
    for u in units:
        for k in u:
            if k not in cols:
                cols.append(str(k))
    first = 1 + n_keys + 1  # header row + key rows, then the empty row

    def rows() -> Iterator[str]:
        head = book.row(first)
        for c, k in enumerate(cols):
            head.text(c, k)
        yield head.xml()
        for i, u in enumerate(units, 1):
            row = book.row(first + i)
            for c, k in enumerate(cols):
                v = u.get(k)
                row.text(c, "" if v is None else str(v))
            yield row.xml()

    book.defer(IDENTITY_SHEET, rows, first + len(units), max(1, len(cols) - 1))


def _cached(n: Number | None) -> Any:
    if n is None:
        return 0
    return n if isinstance(n, int) else float(n)


def write_status_sheet(book: _Book, result: MergeResult) -> None:
    """报送情况: every roster unit (and every other input): submitted?, status, errors, time, file."""
    f, s = book.f, book.s
    ws = book.wb.add_worksheet(STATUS_SHEET)
    roster_n = sum(1 for e in result.entries if e.in_roster)
    ws.write_string(0, 0, say("status.title", roster=say("status.title_roster", n=roster_n) if roster_n else "",
                              included=len(result.included), missing=len(result.of_status(MISSING))), f["title"])
    heads = say("heading.status").split("|")
    for c, h in enumerate(heads):
        ws.write_string(1, c, h, f["head"])
    for c, w in enumerate([5, 10, 28, 12, 9, 18, 7, 7, 20, 36, 70]):
        ws.set_column(c, c, w)
    ws.freeze_panes(2, 3)
    _page(ws)
    ws.autofilter(1, 0, max(2, len(result.entries) + 1), len(heads) - 1)
    any_roster = roster_n > 0
    style = {INCLUDED: s["text"], INCLUDED_ERRORS: s["warn_text"], EXCLUDED_ERRORS: s["err_text"],
             UNREADABLE: s["err_text"], MISSING: s["miss_text"]}

    def rows() -> Iterator[str]:
        for i, e in enumerate(result.entries, start=1):
            ts = style.get(e.status, s["text"])
            row = book.row(i + 1)
            row.num(0, i, ts)
            row.text(1, e.code, ts)
            row.text(2, e.name or (say("status.unknown_unit") if not e.code else ""), ts)
            row.text(3, e.category, ts)
            row.text(4, say("status.missing" if e.status == MISSING else "status.submitted"), ts)
            extra = say("status.not_in_roster") if any_roster and not e.in_roster and e.status not in (MISSING, UNREADABLE) else ""
            row.text(5, e.status_zh + extra, ts)
            if e.status == MISSING:
                row.blank(6, ts)
                row.blank(7, ts)
            else:
                row.num(6, e.errors, ts)
                row.num(7, e.warnings, ts)
            row.text(8, when(e.received_at), ts)
            row.text(9, e.file, ts)
            note = e.note
            if e.status in (EXCLUDED_ERRORS, INCLUDED_ERRORS):
                note = say("status.errors", n=e.errors, first=e.first_error)
            if e.ledger_status:
                note = (note + "；" if note else "") + say("status.ledger", status=SUBMISSION_STATUS_ZH.get(
                    e.ledger_status, e.ledger_status))
            row.text(10, note, s["wrap"])
            yield row.xml()

    book.defer(STATUS_SHEET, rows, len(result.entries) + 1, len(heads) - 1)


def write_findings_sheet(book: _Book, result: MergeResult) -> None:
    """校验结果: the findings of the units that were included."""
    f, s = book.f, book.s
    ws = book.wb.add_worksheet(FINDINGS_SHEET)
    heads = say("heading.findings").split("|")
    n = sum(len(e.findings) for e in result.included)
    n_err = sum(1 for e in result.included for x in e.findings if x.severity == "error")
    ws.write_string(0, 0, say("findings.title", n=n, n_err=n_err), f["title"])
    for c, h in enumerate(heads):
        ws.write_string(1, c, h, f["head"])
    for c, w in enumerate([10, 28, 6, 22, 50, 70, 22]):
        ws.set_column(c, c, w, None, {"hidden": True} if c == 6 else None)  # 代码: for tools, hidden
    ws.freeze_panes(2, 0)
    _page(ws)
    ws.autofilter(1, 0, max(2, n + 1), len(heads) - 1)
    sev_s = {"error": s["err_text"], "warning": s["warn_text"], "info": s["info_text"]}

    def rows() -> Iterator[str]:
        r = 2
        for e in result.included:
            for x in e.findings:
                row = book.row(r)
                row.text(0, e.code, s["text"])
                row.text(1, e.name, s["text"])
                row.text(2, SEVERITY_ZH.get(x.severity, x.severity), sev_s.get(x.severity, s["text"]))
                row.text(3, cell_place(x.ref), s["text"])
                row.text(4, x.path or "", s["wrap"])
                row.text(5, x.message or "", s["wrap"])
                row.text(6, x.code or "", s["text"])
                yield row.xml()
                r += 1
        if r == 2:
            row = book.row(2)
            row.text(0, say("findings.none"), s["note"])
            yield row.xml()

    book.defer(FINDINGS_SHEET, rows, max(2, n + 1), len(heads) - 1)


def write_year_sheet(book: _Book, result: MergeResult) -> None:
    """上年对比: this year against last year for the county and each unit, every cell."""
    f, s = book.f, book.s
    spec = result.spec
    prev = result.previous
    ws = book.wb.add_worksheet(YEAR_SHEET)

    counts = change_counts(result.changes)
    n_err, n_info = counts["carry"], counts["large"]
    src = Path(prev.source).name if prev else ""
    ws.write_string(0, 0, say("years.title", source=src, n_err=n_err, n_info=n_info,
                              year=say("years.title_year", year=prev.year) if prev and prev.year else ""), f["title"])
    heads = say("heading.years").split("|")
    for c, h in enumerate(heads):
        ws.write_string(1, c, h, f["head"])
    for c, w in enumerate([10, 26, 20, 60, 10, 10, 10, 8, 70]):
        ws.set_column(c, c, w, None, {"hidden": True} if c == 2 else None)  # 单元格编号: for tools, hidden
    ws.freeze_panes(2, 2)
    _page(ws)
    ws.autofilter(1, 0, max(2, len(result.changes) + 1), len(heads) - 1)
    labels: dict[str, str] = {}
    for cid in value_ids(spec):
        labels[cid] = spec.cells[cid].label_path
    for r in spec.rules_of("carry"):
        cell = spec.cells[r.lhs[0]]
        labels["F:" + r.id] = say("years.carry_label", table=cell.table, row=cell.row, previous=_prev_label(spec, r.id),
                                  columns=" / ".join(cell.column_path))
    sev = {k: (SEVERITY_ZH[k], s["err_text" if k == "error" else "info_text"]) for k in ("error", "warning", "info")}

    def rows() -> Iterator[str]:
        for i, x in enumerate(result.changes):
            row = book.row(i + 2)
            row.text(0, x.code, s["text"])
            row.text(1, x.name, s["text"])
            row.text(2, x.cell, s["text"])
            row.text(3, labels.get("F:" + x.rule if x.rule else x.cell, ""), s["wrap"])
            row.num(4, x.this, s["amount"])
            row.num(5, x.last, s["amount"])
            if x.this is not None and x.last is not None and not x.rule:
                row.num(6, norm(x.this - x.last), s["amount"])
            else:
                row.blank(6, s["text"])
            word, st = sev.get(x.severity, ("", s["text"]))
            row.text(7, word, st)
            row.text(8, x.message, s["wrap"])
            yield row.xml()

    book.defer(YEAR_SHEET, rows, max(2, len(result.changes) + 1), len(heads) - 1)


def _prev_label(spec: Spec, rule_id: str) -> str:
    for r in spec.rules:
        if r.id == rule_id and r.rhs and r.rhs[0] in spec.cells:
            return spec.cells[r.rhs[0]].row
    return ""


def info_rows(result: MergeResult) -> list[tuple[str, str]]:
    """The roll-up's cover: what it is, from what, when, by which gipr."""

    spec = result.spec
    n_roster = sum(1 for e in result.entries if e.in_roster)
    inc = result.included
    n_err, missing = len(result.of_status(INCLUDED_ERRORS)), result.of_status(MISSING)
    rows = [
        (say("info.county"), result.county or say("info.unspecified")),
        (say("info.year"), str(result.year)),
        (say("info.format"), say("info.format_value", name=spec.name, source=spec.source, id=spec.id)),
        (say("info.roster"), str(n_roster) if n_roster else say("info.no_roster")),
        (say("info.included"), say("info.count", n=len(inc)) + (say("info.with_errors", n=n_err) if n_err else "")),
        (say("info.excluded"), say("info.count", n=len(result.of_status(EXCLUDED_ERRORS)))),
        (say("info.unreadable"), say("info.count", n=len(result.of_status(UNREADABLE)))),
        (say("info.missing"), say("info.count", n=len(missing))
         + (say("info.missing_names", names="、".join(e.name for e in missing)) if missing else "")),
        (say("info.rollups"), say("info.count", n=sum(1 for e in inc if e.kind == "rollup"))),
        (say("info.sources"), "；".join(result.sources)),
        (say("info.previous"), result.previous.source if result.previous else say("info.not_given")),
        (say("info.generated"), when(result.generated)),
        (say("info.tool"), f"gipr {__version__}"),
    ]
    return rows


def write_info(ws: Any, result: MergeResult, f: dict[str, Any], row0: int, col0: int = 0) -> int:
    r = row0
    for k, v in info_rows(result):
        ws.write_string(r, col0, k, f["key"])
        ws.write_string(r, col0 + 1, v, f["wrap"])
        width = sum(2 if ord(ch) > 0x2E7F else 1 for ch in v)  # CJK characters are two columns wide
        lines = max(1, -(-width // 70))  # column B is 72 characters wide
        if lines > 1:
            ws.set_row(r, 14 * lines)
        r += 1
    return r


def write_rollup(path: str | Path, result: MergeResult, *, overwrite: bool = False) -> Path:
    """Write the roll-up workbook atomically: the official cover and tables (template
    writer; totals are live formulas with correct cached values; identity kind "rollup"
    with the list of units covered), then 汇总说明, 各单位明细, 报送情况, 校验结果 and,
    with last year's data, 上年对比."""
    with atomic_output_path(path, overwrite) as tmp:
        build_rollup_file(tmp, result)
    return Path(path)


def atomic_output_path(path: str | Path, overwrite: bool):
    return atomic_output(path, overwrite=overwrite)


def build_rollup_file(target: str | Path, result: MergeResult) -> None:
    """Write the roll-up workbook to ``target`` (not atomic: ``write_rollup`` is)."""
    import hashlib

    import xlsxwriter

    spec = result.spec
    units = result.covered_units()
    generated = _dt.datetime.fromisoformat(result.generated) if result.generated else _dt.datetime.now().astimezone()
    ident = make_identity(spec, result.year, None, kind="rollup", units=units)
    ident["unit_name"] = rollup_name(result.county)
    ident["county"] = result.county
    ident["created"] = generated.astimezone(_dt.timezone.utc).replace(microsecond=0).isoformat()
    # a roll-up is identified by what it covers and when it was made (reproducible)
    ident["template_id"] = hashlib.sha256("|".join(
        [spec.id, str(result.year), result.county, ident.get("units_digest", ""), ident["created"]]
    ).encode("utf-8")).hexdigest()[:32]
    ident["signature"] = sign(ident)
    day = generated.date()
    fields = {"unit_name": rollup_name(result.county), "date": say("rollup.date", year=day.year, month=day.month, day=day.day)}
    known = {f.id for f in spec.cover}
    fields.update({k: v for k, v in result.cover.items() if k in known and v})
    inputs = {cid: result.values[cid] for cid in input_ids(spec)}
    import shutil
    import tempfile

    target = Path(target)
    inner = target.with_name(target.name + ".inner")
    # xlsxwriter's own temporary files go to a hidden folder of ours, removed whatever happens
    # (it leaves them behind when it fails, e.g. on a full disk)
    tmpdir = tempfile.mkdtemp(prefix=".gipr-xlsx-", dir=target.parent)
    try:
        wb = xlsxwriter.Workbook(str(inner), {**WORKBOOK_OPTIONS, "tmpdir": tmpdir, "in_memory": True})
        try:
            # the identity sheet's unit list (a row per unit: thousands for a city) is spliced
            # in below, like the per-unit sheet, instead of cell by cell through xlsxwriter
            # the county's own workbook: its sheets are protected, its structure is not
            build_workbook(wb, spec, year=result.year, unit=None, values=inputs, identity=ident, units=None,
                           fields=fields, lock_structure=False)
            wb.doc_properties["created"] = generated.astimezone(_dt.timezone.utc).replace(tzinfo=None)
            book = _Book(wb)
            if units:
                _defer_identity_units(book, len(ident), units)
            f = book.f
            ws = wb.add_worksheet(INFO_SHEET)
            ws.activate()  # opening the roll-up shows what it covers first
            ws.merge_range(0, 0, 0, 1, "", f["title"])
            ws.write_string(0, 0, say("info.title", name=result.county or rollup_name(""), year=result.year),
                            f["title"])
            ws.set_row(0, 24)
            ws.set_column(0, 0, 16)
            ws.set_column(1, 1, 72)
            r = write_info(ws, result, f, 2)
            note = say("info.note", years=say("info.note_years" if result.previous else "info.note_end"))
            ws.merge_range(r + 1, 0, r + 1, 1, "", f["note_wrap"])
            ws.write_string(r + 1, 0, note, f["note_wrap"])
            ws.set_row(r + 1, 60)
            ws.set_paper(9)
            ws.set_portrait()
            ws.fit_to_pages(1, 0)
            ws.set_header("&C&A", {"margin": 0.3})
            ws.set_footer(say("print.footer"), {"margin": 0.3})
            write_unit_sheet(book, result)
            write_status_sheet(book, result)
            write_findings_sheet(book, result)
            if result.previous is not None:
                write_year_sheet(book, result)
        finally:
            wb.close()
        splice_rows(inner, target, book.deferred)
    finally:
        with contextlib.suppress(OSError):
            inner.unlink()
        shutil.rmtree(tmpdir, ignore_errors=True)
