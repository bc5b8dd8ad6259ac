"""Workbook → Report: read values with python-calamine, identity, cover, tables (steps 2–4).

``read_report`` raises nothing but ``ReadError``.
"""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .. import messages
from ..errors import ReadError, SpecError
from ..isolate import run_limited
from ..model import Finding, Report
from ..ooxml.container import (
    LIMITS,
    MAX_FILE_BYTES,
    MAX_READ_MEMORY_MB,
    MAX_READ_SECONDS,
    MAX_SHEET_CELLS,
    Container,
    custom_props,
    human_size,
    open_container,
    read_error,
    sniff,
    xlsx_error_cells,
    xlsx_formula_cells,
)
from ..rules import plan
from ..spec import Spec, available_formats, load_format, type_rules
from ..stamp import IDENTITY_SHEET, identity_from_properties, read_identity_rows
from ..text import SPACES, cell_text
from ..values import Value, parse_value
from .locate import (
    Grid,
    Placement,
    TableInfo,
    a1,
    describe_moves,
    fast_place,
    label_status,
    normalize_label,
    search_place,
    table_infos,
    whole_ok,
)

__all__ = ["LIMITS", "ReadError", "normalize_label", "read_report", "read_report_limited", "sniff"]
def _xlsx_blank(c: Container, sheet: str, r: int, col: int, ctype: str, unit: str | None, is_input: bool,
                v: Value, rules: dict) -> Value:
    """A cell of an .xlsx that reads blank: an error value, a total's formula saved without
    its result, or really blank."""
    err = xlsx_error_cells(c, sheet).get((r, col))
    if err is not None:
        return parse_value(err, ctype, unit, rules)
    if not is_input and (r, col) in xlsx_formula_cells(c, sheet):
        return _UNCOMPUTED
    return v


# -----------------------------------------------------------------------------------------
# 5. reading


class _Book:
    """The calamine workbook plus cached grids."""

    def __init__(self, cont: Container, name: str):
        from python_calamine import CalamineWorkbook

        self.cont = cont
        self.name = name
        try:
            self.wb = CalamineWorkbook.from_object(io.BytesIO(cont.data))
        except Exception as e:
            raise _calamine_error(e, name) from None
        try:
            self.sheet_names: list[str] = list(self.wb.sheet_names)
        except Exception as e:
            raise _calamine_error(e, name) from None
        self.grids: dict[str, Grid] = {}

    def has(self, sheet: str) -> bool:
        return sheet in self.sheet_names

    def safe(self, sheet: str) -> bool:
        return sheet not in self.cont.oversized

    def grid(self, sheet: str) -> Grid:
        g = self.grids.get(sheet)
        if g is None:
            if sheet in self.cont.oversized:
                n_rows, n_cols = self.cont.oversized[sheet]
                raise read_error("file.sheet_too_large", self.name, sheet=sheet, rows=n_rows, cols=n_cols,
                            limit=f"{MAX_SHEET_CELLS:,}")
            try:
                rows = self.wb.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
            except Exception as e:
                raise _calamine_error(e, self.name) from None
            g = Grid(sheet, rows)
            self.grids[sheet] = g
        return g


def _calamine_error(e: Exception, name: str) -> ReadError:
    if isinstance(e, MemoryError):
        raise e  # not a broken file: read_report reports it (file.too_large in a reader worker)
    kind = type(e).__name__
    msg = str(e)
    low = msg.lower()
    if kind == "PasswordError" or "password" in low or "encrypt" in low:
        return read_error("file.encrypted", name)
    if "eof" in low or "unexpected end" in low or "truncat" in low:
        return read_error("file.truncated", name)
    return read_error("file.corrupt", name, detail=f"{kind}: {msg[:160]}" if msg else kind)


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
    return SPACES.sub(" ", str(v)).strip()


_BLANK = Value("blank", None, "")
# a total whose formula was saved without its cached result (e.g. by openpyxl): not a blank
_UNCOMPUTED = Value("blank", None, "", messages.say("detail.uncomputed"), None, "formula")
_INT_CACHE: dict[float, Value] = {}  # whole numbers below 10,000 read from a float, by the float


def _value(raw: Any, ctype: str, unit: str | None, rules: dict) -> Value:
    """parse_value with a fast path for the common cases (empty, whole-number floats)."""
    tp = type(raw)
    if tp is float:
        if whole_ok(rules, ctype) and raw.is_integer() and 0 <= raw < 1e12:
            n = int(raw)
            if n < 10000:
                v = _INT_CACHE.get(raw)
                if v is None:
                    v = _INT_CACHE[raw] = Value("number", n, float(n))
                return v
            return Value("number", n, raw)
        return parse_value(raw, ctype, unit, rules)
    if (tp is str and raw == "") or raw is None:
        return _BLANK if raw == "" else Value("blank", None, None)
    return parse_value(raw, ctype, unit, rules)


def _choose_format(book: _Book, ident: dict[str, str], spec: Spec | None) -> tuple[Spec, list[Finding]]:
    notes: list[Finding] = []
    fid = ident.get("format", "")
    if spec is not None and fid == spec.id:
        return spec, notes  # the format the caller expects, as loaded (maybe from its own file)
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
        infos = table_infos(load_format(f))
        scores[f] = sum(len(i.distinct & texts) / max(1, len(i.distinct)) for i in infos.values())
    if not scores:  # pragma: no cover - the package ships formats
        raise SpecError(messages.say("detail.no_formats"))
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
            cont.props = custom_props(cont.members[custom])
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
            st = label_status(lab, f.label)
            if st != "different" or label_status(_label_part(lab), f.label) != "different":
                val, where = g.get(f.row, f.col), (spec.cover_sheet, f.row, f.col)
                if st in ("drift", "changed"):
                    report.findings.append(messages.finding(
                        "label.drift" if st == "drift" else "label.changed",
                        ref=f"{spec.cover_sheet}!{a1(f.row, f.col - 1)}", found=cell_text(lab).strip(),
                        expected=f.label))
                if st == "different":  # "填报单位：xxx" in one cell
                    inline = _after_label(lab, f.label)
                    if inline and not cell_text(val).strip():
                        val = inline
        if where is None:
            val, where = _search_field(book, spec, f.label)
        report.fields[f.id] = _field_text(val) if val is not None else ""
        if where is not None:
            report.locations[f.id] = f"{where[0]}!{a1(where[1], where[2])}"


def _label_part(v: Any) -> str:
    s = cell_text(v)
    for sep in ("：", ":"):
        if sep in s:
            return s.split(sep, 1)[0]
    return s


def _after_label(v: Any, label: str) -> str:
    s = cell_text(v)
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
                    if cell_text(v).strip():
                        return v, (s, r, c + dc)
                return "", (s, r, c + 1)
    return None, None


def _locate_table(book: _Book, spec: Spec, info: TableInfo) -> tuple[Placement | None, list[Finding]]:
    t = info.layout
    n_cells = len(t.cells)
    # 1. the spec position
    if book.has(t.sheet) and book.safe(t.sheet):
        pl = fast_place(info, book.grid(t.sheet))
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
            raise read_error("file.sheet_too_large", book.name, sheet=t.sheet, rows=rows, cols=cols,
                        limit=f"{MAX_SHEET_CELLS:,}")
        return None, notes + [messages.finding("layout.table_missing", table=t.name, title=t.title, n=n_cells)]
    candidates.sort()
    results = []
    ambiguous_in = []
    for _, _, s in candidates:
        pl, why = search_place(info, book.grid(s))
        if pl is None:
            if why == "ambiguous":
                ambiguous_in.append(s)
            continue
        located = sum(1 for cid in t.cells if pl.position(info, spec.cells[cid]) is not None)
        results.append((located, s, pl))
    if ambiguous_in and not any(r[0] == n_cells for r in results):
        where = "、".join(messages.say("detail.sheet", sheet=s) for s in ambiguous_in)
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
            where = "、".join(messages.say("detail.sheet", sheet=r[1]) for r in top)
            return None, notes + [messages.finding("layout.ambiguous", table=t.name, title=t.title, where=where,
                                                   n=n_cells)]
    pl = top[0][2]
    g = book.grid(pl.sheet)
    found = notes + describe_moves(info, pl, t.sheet)
    for r in sorted(pl.missing_rows):
        lab = next((t.labels[i] for i in info.row_label_of.get(r, []) if t.labels[i].kind == "row"), None)
        n = sum(1 for cid in t.cells if spec.cells[cid].rowx == r)
        found.append(messages.finding("layout.row_missing", sheet=g.name, table=t.name,
                                      label=lab.text if lab else messages.say("detail.row", n=r + 1), n=n))
    for li in sorted(pl.missing_leaves):
        n = sum(1 for cid, x in info.leaf_of.items() if x == li and spec.cells[cid].rowx not in pl.missing_rows)
        found.append(messages.finding("layout.column_missing", sheet=g.name, table=t.name, label=t.labels[li].text,
                                      n=n))
    return pl, found


def _read_tables(book: _Book, spec: Spec, report: Report) -> int:
    """Fill report.values for every cell that could be located; returns the number of tables found."""
    infos = table_infos(spec)
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
            for cid, r, col, rules, unit, is_input, count in info.fast:
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
                ctype = spec.cells[cid].type
                v = _value(raw, ctype, unit, rules)
                if v.state == "blank" and xlsx:
                    v = _xlsx_blank(book.cont, pl.sheet, r, col, ctype, unit, is_input, v, rules)
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
            rules = type_rules(spec, c.type)
            v = _value(raw, c.type, c.unit, rules)
            if v.state == "blank" and book.cont.kind == "xlsx":
                # an error value, or a formula saved without its cached value (e.g. by openpyxl): not a blank
                v = _xlsx_blank(book.cont, pl.sheet, r, col, c.type, c.unit, c.input, v, rules)
            report.values[cid] = v
            report.locations[cid] = f"{pl.sheet}!{a1(r, col)}"
    return found_tables


def read_report(source: Path | str | bytes, *, name: str | None = None, spec: Spec | None = None) -> Report:
    """Read one workbook.  ``source`` is a path or the file's bytes; ``name`` is how the file
    is named in messages (default: the path).  ``spec`` is the expected format: a file whose
    identity names another format is read with its own format and gets an
    ``identity.format_mismatch`` finding.  Raises only :class:`ReadError`."""
    return read_book(source, name=name, spec=spec)[0]


def read_book(source: Path | str | bytes, *, name: str | None = None, spec: Spec | None = None,
              then: Callable[[_Book, Report], Any] | None = None) -> tuple[Report, Any]:
    """:func:`read_report`, and ``then(book, report)`` on the same vetted workbook (its result
    second; None without ``then``), under the same errors: what ``read.units`` reads of a
    roll-up's per-unit sheet.  Raises only :class:`ReadError`."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        display = name or messages.say("detail.unnamed")
    else:
        path = Path(source)
        display = name or str(path)
        try:
            size = path.stat().st_size
            if size > MAX_FILE_BYTES:
                raise read_error("file.too_large", display, size=human_size(size), limit=human_size(MAX_FILE_BYTES))
            data = path.read_bytes()
        except FileNotFoundError:
            raise read_error("file.not_found", display) from None
        except IsADirectoryError:
            raise read_error("file.unreadable", display, detail=messages.say("detail.folder")) from None
        except PermissionError:
            raise read_error("file.unreadable", display, detail=messages.say("detail.permission")) from None
        except OSError as e:
            raise read_error("file.unreadable", display, detail=e.strerror or str(e)) from None
    try:
        report, book = _read(data, display, spec)
        return report, (then(book, report) if then is not None else None)
    except ReadError:
        raise
    except RecursionError:
        raise read_error("file.corrupt", display, detail=messages.say("detail.nesting")) from None
    except MemoryError:
        if _IN_WORKER:
            raise  # gipr.isolate reports it as file.too_large and retires the worker
        raise read_error("file.corrupt", display, detail=messages.say("detail.memory")) from None
    except Exception as e:
        if os.environ.get("GIPR_DEBUG"):
            raise
        raise read_error("file.corrupt", display, detail=f"{type(e).__name__}: {str(e)[:160]}") from None
    except BaseException as e:
        # a panic inside calamine (Rust) arrives as pyo3's PanicException, a BaseException
        # (found by fuzzing .xls files); KeyboardInterrupt and SystemExit go on
        if type(e).__name__ != "PanicException":
            raise
        raise read_error("file.corrupt", display, detail=messages.say("detail.panic", error=str(e)[:160])) from None


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

    for fmt in available_formats():
        spec = load_format(fmt)
        _SPECS.setdefault((spec.id, spec.digest), spec)  # a token for it needs no unpickling
        table_infos(spec)
        plan(spec)


def _read_in_worker(source: str | bytes, name: str | None, token: Any) -> Report:
    return read_report(source, name=name, spec=spec_from_token(token))


def read_report_limited(source: Path | str | bytes, *, name: str | None = None, spec: Spec | None = None) -> Report:
    """:func:`read_report` of an untrusted file in a worker process (gipr.isolate), killed
    after MAX_READ_SECONDS (file.timeout) or when it needs more than MAX_READ_MEMORY_MB
    (file.too_large, POSIX).  Works the same on Windows and in any thread.  Raises only
    :class:`ReadError`."""
    return read_limited(_read_in_worker, source, name, spec)


def worker_limits() -> tuple[float, int]:
    """(seconds, MB) a reader worker has for one file: this module's limits, read at call time."""
    return MAX_READ_SECONDS, MAX_READ_MEMORY_MB


def read_limited(task: Callable[..., Any], source: Path | str | bytes, name: str | None, spec: Spec | None) -> Any:
    """``task(source, name, spec_token(spec))`` in a reader worker with the limits of a returned
    workbook (MAX_READ_SECONDS, MAX_READ_MEMORY_MB).  Raises only :class:`ReadError`."""

    if isinstance(source, (bytes, bytearray, memoryview)):
        src: str | bytes = bytes(source)
        display = name or messages.say("detail.unnamed")
    else:
        src = str(source)
        display = name or src
    try:
        return run_limited(task, src, name, spec_token(spec), seconds=MAX_READ_SECONDS,
                           memory_mb=MAX_READ_MEMORY_MB, what=display, initializer=warm_up)
    except ReadError:
        raise
    except Exception as e:
        raise read_error("file.corrupt", display, detail=f"{type(e).__name__}: {str(e)[:160]}") from None


def _read(data: bytes, display: str, spec: Spec | None) -> tuple[Report, _Book]:
    cont = open_container(data, display)
    book = _Book(cont, display)
    ident, units, _source = _read_identity(book)
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
        raise read_error("file.not_report", display)
    _read_cover(book, own_spec, report)
    return report, book
