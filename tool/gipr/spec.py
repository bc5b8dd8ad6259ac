"""The official formats as data.

A format file (gipr/formats/<id>.json) describes the tables as trees of row and column
labels, the type of each value column, and the rules.  This module loads such a file,
validates it, and expands it into:

* ``Cell``: one value cell of the format (not a published document's printed cell, which is
  ``published.grid.PrintedCell``), with a stable id ``<table>.<row>.<column>``, its official
  label paths, its type, whether a unit fills it (``input``) or it is a total, and where
  it sits in the generated template (``sheet``/``ref``);
* ``Rule``: one checkable instance of a rule family (``A.person``, ``C.new``, ``E.review``),
  always of the form ``sum(lhs) == sum(rhs)`` (or a cross-year / type rule);
* ``Label``: every fixed text of the layout (titles, headings, header cells, row labels),
  with its merge range, so the writer draws the official layout and the reader can verify
  that nobody changed it.

Everything else in gipr (template, reader, checks, roll-up) is derived from ``Spec``.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from xlsxwriter.utility import xl_rowcol_to_cell

from .catalogue.access import say
from .errors import SpecError
from .values import DEFAULT_TYPES

__all__ = [
    "Cell",
    "CoverField",
    "Label",
    "Rule",
    "Spec",
    "TableLayout",
    "available_formats",
    "format_for_year",
    "formats_dir",
    "load_format",
    "load_spec_file",
    "per_spec",
    "type_rules",
]

CELL_TYPES = ("count", "amount", "delta")
RULE_KINDS = ("equal", "total", "carry", "type")
SEVERITIES = ("error", "warning", "info")
_ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")

# Layout constants shared by the writer and the reader: where a table starts.
TITLE_ROW = 0  # merged title across the table
UNIT_ROW = 1  # "填报单位：…" line
HEADER_ROW = 2  # first header row of the first block
COVER_FIRST_ROW = 2  # first cover field row (0-based); label in col A, value in col B


@dataclass(frozen=True)
class CoverField:
    id: str
    label: str
    required: str | None  # "error" | "warning" | None
    prefill: bool
    row: int  # 0-based
    col: int
    sheet: str

    @property
    def ref(self) -> str:
        return xl_rowcol_to_cell(self.row, self.col)


@dataclass
class Cell:
    id: str
    table: str  # "二" | "三" | "四"
    table_id: str  # "t2" | "t3" | "t4"
    row_id: str
    col_id: str
    row: str
    row_path: list[str]
    column: str
    column_path: list[str]
    type: str
    unit: str | None
    sheet: str
    rowx: int  # 0-based sheet row
    colx: int  # 0-based sheet column
    input: bool = True
    parts: list[str] = field(default_factory=list)  # for totals: the cells it sums
    defined_by: str | None = None  # rule instance id that defines the total
    leaves: list[str] = field(default_factory=list)  # input cells it finally depends on

    @property
    def ref(self) -> str:
        return xl_rowcol_to_cell(self.rowx, self.colx)

    @property
    def address(self) -> str:
        return f"{self.sheet}!{self.ref}"

    @property
    def label_path(self) -> str:
        """The official label path as one line, e.g. 表三 / 一、… / 自然人."""
        return " / ".join([say("spec.label_path", table=self.table), *self.row_path, *self.column_path])

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "table": self.table,
            "row": self.row,
            "row_path": self.row_path,
            "column": self.column,
            "column_path": self.column_path,
            "type": self.type,
            "unit": self.unit,
            "input": self.input,
            "sheet": self.sheet,
            "ref": self.ref,
            "formula_parts": self.parts,
        }


@dataclass
class Rule:
    id: str  # instance id, e.g. "A.person"
    family: str  # "A"
    kind: str  # equal | total | carry | type
    table: str | None  # "三" …
    title: str
    description: str
    message: str  # template with {label} {lhs} {rhs}
    label: str  # what the instance is about, e.g. the column label "自然人"
    lhs: list[str] = field(default_factory=list)
    rhs: list[str] = field(default_factory=list)
    cells: list[str] = field(default_factory=list)
    over: str | None = None  # "rows" | "columns" | None
    key: str | None = None  # the row or column id the instance is for

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "family": self.family,
            "kind": self.kind,
            "table": self.table,
            "title": self.title,
            "description": self.description,
            "label": self.label,
            "lhs": self.lhs,
            "rhs": self.rhs,
            "cells": self.cells,
        }


@dataclass(frozen=True)
class Label:
    """A fixed text of the layout, occupying rows r0..r1 and columns c0..c1 (0-based)."""

    kind: str  # title | heading | corner | band | column | row | note
    text: str
    r0: int
    c0: int
    r1: int
    c1: int

    @property
    def ref(self) -> str:
        return xl_rowcol_to_cell(self.r0, self.c0)

    @property
    def merged(self) -> bool:
        return (self.r0, self.c0) != (self.r1, self.c1)


@dataclass
class TableLayout:
    id: str
    name: str
    sheet: str
    title: str
    note: str | None
    width: int  # number of sheet columns used
    label_cols: int  # number of row-label columns (of the widest block)
    first_row: int
    last_row: int  # last 0-based row of the table body
    labels: list[Label]
    cells: list[str]  # cell ids in sheet order
    value_rows: list[str]  # row ids in order (all blocks)
    value_cols: list[str]  # column ids in order of first appearance


@dataclass
class Spec:
    id: str
    name: str
    source: str
    years: tuple[int | None, int | None]
    path: str
    types: dict[str, dict[str, Any]]
    cover_sheet: str
    cover: list[CoverField]
    tables: list[TableLayout]
    cells: dict[str, Cell]
    rules: list[Rule]
    families: list[dict[str, Any]]
    digest: str  # sha256 of the format's template part (canonical JSON without SECTIONS)
    extra: dict[str, Any] | None = None  # SECTIONS as in the file: read through gipr.figures
    file_digest: str = ""  # sha256 of the whole file (figures and deadlines included)

    # -- lookups -----------------------------------------------------------------
    @property
    def inputs(self) -> list[Cell]:
        return [c for c in self.cells.values() if c.input]

    @property
    def totals(self) -> list[Cell]:
        return [c for c in self.cells.values() if not c.input]

    def table(self, key: str) -> TableLayout:
        for t in self.tables:
            if key in (t.id, t.name, t.sheet):
                return t
        raise KeyError(key)

    def cover_field(self, fid: str) -> CoverField:
        for f in self.cover:
            if f.id == fid:
                return f
        raise KeyError(fid)

    def rules_of(self, *kinds: str) -> list[Rule]:
        return [r for r in self.rules if r.kind in kinds]

    @property
    def sheets(self) -> list[str]:
        return [self.cover_sheet] + [t.sheet for t in self.tables]

    def total_order(self) -> list[Cell]:
        """Totals in an order where every total comes after the totals it sums."""
        done: set[str] = set()
        out: list[Cell] = []

        def visit(cid: str) -> None:
            if cid in done:
                return
            done.add(cid)
            cell = self.cells[cid]
            for p in cell.parts:
                visit(p)
            if not cell.input:
                out.append(cell)

        for c in self.totals:
            visit(c.id)
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "format": self.id,
            "name": self.name,
            "source": self.source,
            "years": list(self.years),
            "digest": self.digest,
            "types": self.types,
            "cover": [
                {"id": f.id, "label": f.label, "required": f.required, "sheet": f.sheet, "ref": f.ref}
                for f in self.cover
            ],
            "tables": [
                {"id": t.id, "name": t.name, "sheet": t.sheet, "title": t.title} for t in self.tables
            ],
            "cells": [c.to_json() for c in self.cells.values()],
            "rules": [r.to_json() for r in self.rules],
        }


# ---------------------------------------------------------------------------------
# loading


SECTIONS = ("figures", "in_force", "deadlines")  # format-file sections that do not shape a template
LEVELS = ("department", "county", "city", "province")  # issuer levels a deadline may name


def validate_sections(data: dict[str, Any], cells: Mapping[str, Any]) -> None:
    """Refuse a malformed figures / in_force / deadlines section (raises SpecError naming the
    problem); gipr.figures reads them."""
    seen: set[str] = set()
    for f in data.get("figures") or []:
        name = f.get("name") if isinstance(f, dict) else None
        if not isinstance(name, str) or not name or name in seen:
            raise SpecError(say("figures.validate", name=name))
        seen.add(name)
        ids = f.get("cells")
        if not isinstance(ids, list) or not ids or any(i not in cells for i in ids):
            raise SpecError(say("figures.validate_2", name=name, ids=ids))
    for r in data.get("in_force") or []:
        if not isinstance(r, dict) or any(r.get(k) not in cells for k in ("issued", "repealed", "in_force")):
            raise SpecError(say("figures.validate_3", r=r))
    dl = data.get("deadlines")
    if dl is not None:
        for lv in dl.get("levels") or []:
            try:
                assert lv["level"] in LEVELS
                _dt.date(2001, int(lv["month"]), int(lv["day"]))
            except (AssertionError, KeyError, TypeError, ValueError):
                raise SpecError(say("figures.validate_4", lv=lv, items='、'.join(LEVELS))) from None


_PER_SPEC: dict[tuple[str, str, str], Any] = {}


def per_spec(spec: Spec, name: str, build: Any) -> Any:
    """The one cache of things derived from a format: ``build(spec)`` computed once per
    format version (id and digest) and purpose ``name``.  Callers must not modify it."""
    key = (spec.id, spec.file_digest or spec.digest, name)
    got = _PER_SPEC.get(key)
    if got is None:
        got = _PER_SPEC[key] = build(spec)
    return got


def type_rules(spec: Spec | None, ctype: str) -> dict[str, Any]:
    """What a value of type ``ctype`` must be (``integer``, ``min``, ``decimals``), from the
    format file (rule G); the built-in meaning without a format."""

    if spec is not None and ctype in spec.types:
        return spec.types[ctype]
    return DEFAULT_TYPES.get(ctype, DEFAULT_TYPES["count"])


def formats_dir() -> Path:
    """The folder of the official formats: the format files (``<id>.json``) and the annual report
    document's default Word template (``report.docx``), shipped inside the package (gipr/formats)."""
    return Path(str(resources.files("gipr") / "formats"))


@lru_cache(maxsize=1)
def _format_ids() -> tuple[str, ...]:
    # the shipped format files do not change while gipr runs; listing the folder once
    # matters when thousands of files are read (gipr merge)
    # a format is named by the year it took effect (2019.json, 2021.json); the folder holds other
    # data beside them (report.docx, the readers' vocabulary)
    return tuple(sorted(p.stem for p in formats_dir().glob("*.json") if p.stem.isdigit()))


def available_formats() -> list[str]:
    return list(_format_ids())


@lru_cache(maxsize=64)
def format_for_year(year: int) -> str:
    """The format a report year uses: 2019 试行 for 2019–2020, 2021 from 2021 on."""
    best = None
    for fid in available_formats():
        spec = load_format(fid)
        lo, hi = spec.years
        if (lo is None or year >= lo) and (hi is None or year <= hi):
            best = fid
    if best is None:
        raise SpecError(say("spec.format_for_year", year=year, items='、'.join(available_formats())))
    return best


@cache
def load_format(format_id: str) -> Spec:
    path = formats_dir() / f"{format_id}.json"
    if not path.is_file():
        raise SpecError(say("spec.load_format", format_id=format_id, items='、'.join(available_formats())))
    return load_spec_file(path)


def load_spec_file(path: str | Path) -> Spec:
    path = Path(path)
    try:
        raw = path.read_bytes()
        data = json.loads(raw.decode("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise SpecError(say("spec.load_spec_file", path=path, e=e)) from None
    try:
        return _build(data, str(path), raw)
    except SpecError as e:
        raise SpecError(say("spec.load_spec_file_2", path=path, e=e)) from None
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise SpecError(say("spec.load_spec_file_3", path=path, name=type(e).__name__, e=e)) from None


def _need(obj: dict, key: str, where: str) -> Any:
    if not isinstance(obj, dict) or key not in obj:
        raise SpecError(say("spec.need", where=where, key=key))
    return obj[key]


def _leaves(nodes: list[dict], where: str, path: tuple[str, ...] = ()) -> list[tuple[dict, list[str], int]]:
    """Depth-first leaves of a label tree: (node, label path, depth)."""
    out = []
    if not isinstance(nodes, list) or not nodes:
        raise SpecError(say("spec.leaves", where=where))
    for n in nodes:
        label = _need(n, "label", where)
        if not isinstance(label, str) or not label.strip():
            raise SpecError(say("spec.leaves_2", where=where))
        if "children" in n:
            out += _leaves(n["children"], where, path + (label,))
        else:
            nid = _need(n, "id", f"{where}“{label}”")
            if not isinstance(nid, str) or not _ID_RE.match(nid):
                raise SpecError(say("spec.leaves_3", where=where, label=label, nid=nid))
            out.append((n, list(path + (label,)), len(path)))
    return out


def _depth(nodes: list[dict]) -> int:
    return max(1 + (_depth(n["children"]) if "children" in n else 0) for n in nodes)


def _build(data: dict, path: str, raw: bytes) -> Spec:
    import hashlib

    fid = _need(data, "format", say("spec.build.fid"))
    if not isinstance(fid, str) or not fid:
        raise SpecError(say("spec.build"))
    types = _need(data, "types", say("spec.build.fid"))
    for tname in types:
        if tname not in CELL_TYPES:
            raise SpecError(say("spec.build_2", tname=tname, items='、'.join(CELL_TYPES)))
    years = tuple(_need(data, "years", say("spec.build.fid")))
    if len(years) != 2:
        raise SpecError(say("spec.build_3"))

    # cover
    cov = _need(data, "cover", say("spec.build.fid"))
    cover_sheet = _need(cov, "sheet", "cover")
    cover = []
    seen_cover = set()
    for i, f in enumerate(_need(cov, "fields", "cover")):
        fid_ = _need(f, "id", "cover.fields")
        if fid_ in seen_cover:
            raise SpecError(say("spec.build_4", fid=fid_))
        seen_cover.add(fid_)
        req = f.get("required")
        if req not in (None, "error", "warning"):
            raise SpecError(say("spec.build_5", fid=fid_, req=req))
        cover.append(
            CoverField(fid_, _need(f, "label", "cover.fields"), req, bool(f.get("prefill")),
                       COVER_FIRST_ROW + i, 1, cover_sheet)
        )

    cells: dict[str, Cell] = {}
    tables: list[TableLayout] = []
    sheet_names = {cover_sheet}
    table_index: dict[str, dict] = {}
    for t in _need(data, "tables", say("spec.build.fid")):
        tid = _need(t, "id", "tables")
        if tid in table_index:
            raise SpecError(say("spec.build_6", tid=tid))
        sheet = _need(t, "sheet", say("spec.build.sheet", tid=tid))
        if sheet in sheet_names or len(sheet) > 31 or _SHEET_BAD.search(sheet):
            raise SpecError(say("spec.build_7", tid=tid, sheet=sheet))
        sheet_names.add(sheet)
        layout = _layout_table(t, types, cells)
        tables.append(layout)
        table_index[tid] = {"layout": layout, "def": t}

    rules, families = _expand_rules(_need(data, "rules", say("spec.build.fid")), cells, table_index)
    _resolve_totals(cells, rules)
    validate_sections(data, cells)
    shape = {k: v for k, v in data.items() if k not in SECTIONS}  # figures and deadlines do not change a template
    return Spec(
        id=fid,
        name=_need(data, "name", say("spec.build.fid")),
        source=data.get("source", ""),
        years=(years[0], years[1]),
        path=path,
        types=types,
        cover_sheet=cover_sheet,
        cover=cover,
        tables=tables,
        cells=cells,
        rules=rules,
        families=families,
        digest=hashlib.sha256(json.dumps(shape, ensure_ascii=False, indent=1).encode("utf-8")).hexdigest(),
        extra={k: data[k] for k in SECTIONS if k in data},
        file_digest=hashlib.sha256(raw).hexdigest(),
    )


def _layout_table(t: dict, types: dict, cells: dict[str, Cell]) -> TableLayout:
    tid = t["id"]
    name = _need(t, "name", say("spec.build.sheet", tid=tid))
    sheet = t["sheet"]
    title = _need(t, "title", say("spec.build.sheet", tid=tid))
    blocks = _need(t, "blocks", say("spec.build.sheet", tid=tid))
    if not isinstance(blocks, list) or not blocks:
        raise SpecError(say("spec.layout_table", tid=tid))
    # widths: label columns and value columns of the widest block
    label_cols = 0
    value_width = 0
    for b in blocks:
        show = b.get("show_row_labels", True)
        label_cols = max(label_cols, _depth(b["rows"]) if show else 0)
        value_width = max(value_width, len(_leaves(b["columns"], say("spec.layout_table.value_width", tid=tid))))
    width = label_cols + value_width
    labels: list[Label] = [Label("title", title, TITLE_ROW, 0, TITLE_ROW, width - 1)]
    r = HEADER_ROW
    order: list[str] = []
    value_rows: list[str] = []
    value_cols: list[str] = []
    for bi, b in enumerate(blocks):
        where = say("spec.layout_table.where", tid=tid, value=bi + 1)
        show = b.get("show_row_labels", True)
        lc = label_cols if show else 0
        col_leaves = _leaves(b["columns"], say("spec.layout_table.col_leaves", where=where))
        row_leaves = _leaves(b["rows"], say("spec.layout_table.row_leaves", where=where))
        col_ids = [n["id"] for n, _, _ in col_leaves]
        row_ids = [n["id"] for n, _, _ in row_leaves]
        for ids, what in ((col_ids, say("spec.layout_table_2")), (row_ids, say("spec.layout_table_3"))):
            if len(set(ids)) != len(ids):
                raise SpecError(say("spec.layout_table_4", where=where, what=what))
        if b.get("heading"):
            labels.append(Label("heading", b["heading"], r, 0, r, width - 1))
            r += 1
        band = b.get("column_band")
        cdepth = _depth(b["columns"]) + (1 if band else 0)
        head0 = r
        if lc:
            corner = b.get("corner", "")
            labels.append(Label("corner", corner, head0, 0, head0 + cdepth - 1, lc - 1))
        if band:
            labels.append(Label("band", band, head0, lc, head0, width - 1))
        # column headers: node at depth k in header row (head0 + band + k)
        c_start = lc
        span_last = width - 1  # the last leaf of a narrow block spans to the table's width

        def place_cols(nodes, depth, c0, head0=head0, band=band, where=where, c_start=c_start, col_leaves=col_leaves,
                       span_last=span_last, cdepth=cdepth):  # the loop's values bound: called in this iteration only
            c = c0
            for n in nodes:
                rr = head0 + (1 if band else 0) + depth
                if "children" in n:
                    n_leaves = len(_leaves(n["children"], where))
                    c_end = c + n_leaves - 1
                    if c_end == c_start + len(col_leaves) - 1:
                        c_end = span_last
                    labels.append(Label("column", n["label"], rr, c, rr, c_end))
                    place_cols(n["children"], depth + 1, c)
                    c += n_leaves
                else:
                    c_end = span_last if c == c_start + len(col_leaves) - 1 else c
                    labels.append(Label("column", n["label"], rr, c, head0 + cdepth - 1, c_end))
                    c += 1

        place_cols(b["columns"], 0, c_start)
        r = head0 + cdepth
        data0 = r

        # row labels: node at depth k in column k, spanning its leaves vertically
        def place_rows(nodes, depth, r0, where=where, show=show, lc=lc):
            rr = r0
            for n in nodes:
                if "children" in n:
                    n_leaves = len(_leaves(n["children"], where))
                    if show:
                        labels.append(Label("row", n["label"], rr, depth, rr + n_leaves - 1, depth))
                    place_rows(n["children"], depth + 1, rr)
                    rr += n_leaves
                else:
                    if show:
                        labels.append(Label("row", n["label"], rr, depth, rr, lc - 1))
                    rr += 1

        place_rows(b["rows"], 0, data0)
        for ri, (rn, rpath, _) in enumerate(row_leaves):
            if rn["id"] not in value_rows:
                value_rows.append(rn["id"])
            for ci, (cn, cpath, _) in enumerate(col_leaves):
                if cn["id"] not in value_cols:
                    value_cols.append(cn["id"])
                ctype = cn.get("type", "count")
                if ctype not in types:
                    raise SpecError(say("spec.layout_table_5", where=where, label=cn['label'], ctype=ctype,
                                        items='、'.join(types)))
                cid = f"{tid}.{rn['id']}.{cn['id']}"
                if cid in cells:
                    raise SpecError(say("spec.layout_table_6", cid=cid))
                heading = [b["heading"]] if b.get("heading") else []
                cells[cid] = Cell(
                    id=cid, table=name, table_id=tid, row_id=rn["id"], col_id=cn["id"],
                    row=rpath[-1], row_path=heading + rpath,
                    column=cpath[-1], column_path=cpath, type=ctype, unit=cn.get("unit"),
                    sheet=sheet, rowx=data0 + ri, colx=lc + ci,
                )
                order.append(cid)
        r = data0 + len(row_leaves)
    note = t.get("note")
    return TableLayout(tid, name, sheet, title, note, width, label_cols, HEADER_ROW, r - 1,
                       labels, order, value_rows, value_cols)


def _cell_ref(key: str, table: str, cells: dict[str, Cell], where: str) -> str:
    """'row.col' inside a table, or a full cell id."""
    cid = key if key.count(".") == 2 else f"{table}.{key}"
    if cid not in cells:
        raise SpecError(say("spec.cell_ref", where=where, cid=cid))
    return cid


def _expand_rules(defs: list[dict], cells: dict[str, Cell], tables: dict) -> tuple[list[Rule], list[dict]]:
    rules: list[Rule] = []
    families: list[dict] = []
    seen: set[str] = set()
    for d in defs:
        rid = _need(d, "id", "rules")
        where = say("spec.expand_rules.where", rid=rid)
        kind = _need(d, "kind", where)
        if kind not in RULE_KINDS:
            raise SpecError(say("spec.expand_rules", where=where, kind=kind, items='、'.join(RULE_KINDS)))
        family = d.get("family", rid)
        title = _need(d, "title", where)
        desc = _need(d, "description", where)
        msg = _need(d, "message", where)
        fam = {"id": family, "kind": kind, "title": title, "description": desc, "over": d.get("over"),
               "table": None}
        if kind == "type":
            inst = [Rule(rid, family, kind, None, title, desc, msg, "", cells=list(cells))]
        else:
            tid = _need(d, "table", where)
            if tid not in tables:
                raise SpecError(say("spec.expand_rules_2", where=where, tid=tid))
            lay: TableLayout = tables[tid]["layout"]
            fam["table"] = lay.name
            over = d.get("over")
            inst = []
            if over is None:
                if kind == "total":
                    lhs = [_cell_ref(_need(d, "target", where), tid, cells, where)]
                    rhs = [_cell_ref(p, tid, cells, where) for p in _need(d, "parts", where)]
                else:
                    lhs = [_cell_ref(p, tid, cells, where) for p in _need(d, "lhs", where)]
                    rhs = [_cell_ref(p, tid, cells, where) for p in _need(d, "rhs", where)]
                inst.append(Rule(rid, family, kind, lay.name, title, desc, msg, title, lhs, rhs, lhs + rhs))
            elif over in ("rows", "columns"):
                keys = lay.value_cols if over == "columns" else lay.value_rows
                if kind == "total":
                    lhs_keys = [_need(d, "target", where)]
                    rhs_keys = list(_need(d, "parts", where))
                elif kind == "equal":
                    lhs_keys, rhs_keys = list(_need(d, "lhs", where)), list(_need(d, "rhs", where))
                else:  # carry
                    lhs_keys, rhs_keys = [_need(d, "this", where)], [_need(d, "previous", where)]
                other_axis = lay.value_rows if over == "columns" else lay.value_cols
                for k in lhs_keys + rhs_keys:
                    if k not in other_axis:
                        raise SpecError(say("spec.expand_rules_3", where=where,
                                            value=say("spec.layout_table_3") if over == 'columns' else say("spec.layout_table_2"), k=k))
                for key in keys:
                    def cid(k: str, tid: str = tid, key: str = key, over: str = over) -> str:
                        return f"{tid}.{k}.{key}" if over == "columns" else f"{tid}.{key}.{k}"
                    ids = [cid(k) for k in lhs_keys + rhs_keys]
                    if not all(i in cells for i in ids):
                        continue  # the rule does not apply to this row/column
                    sample = cells[ids[0]]
                    label = sample.column if over == "columns" else sample.row
                    lhs = [cid(k) for k in lhs_keys]
                    rhs = [cid(k) for k in rhs_keys]
                    inst.append(Rule(f"{rid}.{key}", family, kind, lay.name, title, desc, msg, label,
                                     lhs, rhs, lhs + rhs, over, key))
                if not inst:
                    raise SpecError(say("spec.expand_rules_4", where=where))
            else:
                raise SpecError(say("spec.expand_rules_5", where=where, over=over))
        for r in inst:
            if r.id in seen:
                raise SpecError(say("spec.expand_rules_6", id=r.id))
            seen.add(r.id)
        rules += inst
        if not any(f["id"] == family for f in families):
            families.append(fam)
    return rules, families


def _resolve_totals(cells: dict[str, Cell], rules: list[Rule]) -> None:
    """Every target of a 'total' rule is a formula cell; the first rule defining it wins."""
    for r in rules:
        if r.kind != "total":
            continue
        target = cells[r.lhs[0]]
        if target.input:
            target.input = False
            target.parts = list(r.rhs)
            target.defined_by = r.id
    # leaves, with cycle detection
    state: dict[str, int] = {}

    def leaves(cid: str) -> list[str]:
        c = cells[cid]
        if c.input:
            return [cid]
        if state.get(cid) == 1:
            raise SpecError(say("spec.leaves_4", cid=cid))
        if state.get(cid) == 2:
            return c.leaves
        state[cid] = 1
        out: list[str] = []
        for p in c.parts:
            for x in leaves(p):
                if x not in out:
                    out.append(x)
        c.leaves = out
        state[cid] = 2
        return out

    for cid in cells:
        leaves(cid)
        if cells[cid].input:
            cells[cid].leaves = [cid]
