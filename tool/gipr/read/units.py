"""A gipr roll-up's per-unit sheet (各单位明细): each unit's code, name and values, read in the
same reader worker and from the same vetted workbook as the roll-up itself.

Last year's roll-up (``merge --previous``, ``report --previous``, the workbench's 汇总 page) is
a received file like any other: :func:`read_rollup_limited` reads it behind the boundary
(``gipr.isolate``) with the limits of a returned workbook, and the main process gets plain data:
the Report and ``[(code, name, {cell id: number or None})]``.  The per-unit sheet meets the
container's sheet-extent limit before calamine sees it (a cell at XFD1048576 is refused, not
allocated).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .. import messages
from ..catalogue.access import say
from ..errors import ReadError
from ..model import Report
from ..rules import Number
from ..spec import Spec, type_rules
from ..text import cell_text
from ..values import parse_value
from .reader import _Book, read_book, read_limited, spec_from_token

UnitRow = tuple[str, str, dict[str, "Number | None"]]

__all__ = ["UnitRow", "first_sheet_rows", "read_rollup", "read_rollup_limited"]
PARENT_SIDE = ("read_rollup_limited", "UnitRow")  # what the main process may import from here


def unit_rows(book: _Book, spec: Spec) -> list[UnitRow]:
    """The rows of the per-unit sheet of an open workbook (reader._Book); [] if it has none.
    An oversized sheet raises ReadError (file.sheet_too_large) like a table's sheet."""
    sheet = messages.say("sheet.units")
    if not book.has(sheet):
        return []
    id_label = messages.say("sheet.units_id_label")
    ids: list[str | None] = []
    out: list[UnitRow] = []
    for row in book.grid(sheet).rows:
        if not ids:
            if len(row) > 4 and str(row[4]).strip() == id_label:
                ids = [str(v).strip() if str(v).strip() in spec.cells else None for v in row[5:]]
            continue
        if not row or isinstance(row[0], bool) or not isinstance(row[0], (int, float)):
            continue
        code = cell_text(row[1]).strip() if len(row) > 1 else ""
        name = cell_text(row[2]).strip() if len(row) > 2 else ""
        vals: dict[str, Number | None] = {}
        for cid, raw in zip(ids, row[5:]):
            if cid is None:
                continue
            c = spec.cells[cid]
            v = parse_value(None if raw == "" else raw, c.type, c.unit, type_rules(spec, c.type))
            vals[cid] = v.number if v.state == "number" else None
        out.append((code, name, vals))
    return out


def read_rollup(source: Path | str | bytes, *, name: str | None = None,
                spec: Spec | None = None) -> tuple[Report, list[UnitRow]]:
    """A workbook (in this process: a worker's task) and, for a roll-up, its per-unit rows."""

    return read_book(source, name=name, spec=spec,
                     then=lambda book, rep: unit_rows(book, rep.spec) if rep.kind == "rollup" else [])


def _rollup_in_worker(source: str | bytes, name: str | None, token: Any) -> tuple[Report, list[UnitRow]]:
    return read_rollup(source, name=name, spec=spec_from_token(token))


def read_rollup_limited(source: Path | str | bytes, *, name: str | None = None,
                        spec: Spec | None = None) -> tuple[Report, list[UnitRow]]:
    """:func:`read_rollup` of an untrusted file in a reader worker, with the limits of a
    returned workbook (MAX_READ_SECONDS, MAX_READ_MEMORY_MB).  Raises only ReadError."""

    return read_limited(_rollup_in_worker, source, name, spec)


def first_sheet_rows(path: str, max_rows: int) -> list[list[Any]]:
    """The rows of a workbook's first sheet (a roster), as calamine gives them: a worker's task
    (``roster``).  Raises ReadError: roster.empty, roster.too_large, or what calamine said."""
    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_path(path)
        if not wb.sheet_names:
            raise ReadError("", "roster.empty")
        rows = wb.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except ReadError:
        raise
    except MemoryError:
        raise  # gipr.isolate: file.too_large
    except Exception as e:
        raise ReadError(say("read.units.first_sheet_rows", name=type(e).__name__), "roster.unreadable") from None
    if len(rows) > max_rows:
        raise ReadError("", "roster.too_large")
    return [list(r) for r in rows]
