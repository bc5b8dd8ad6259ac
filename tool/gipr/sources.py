"""Any input as a :class:`~gipr.model.Report`: a returned workbook, a published report
document (PDF, web page, Word, text) or a ``gipr export --json`` file — the one place that
knows which reader opens what.  Every untrusted file is read in a reader worker (gipr.isolate)
with its limits; ``check``, ``collect``, ``merge`` and ``gipr import`` open their inputs here.

* :func:`open_report`: one file given to ``gipr check`` / ``gipr export`` (a workbook or a
  document);
* :func:`open_reports`: last year's data or a submission to compare with (``--previous``,
  ``--against``): a workbook, a document, a folder of them, or an export JSON file;
* :func:`report_from_export`: one item of an export JSON file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from . import messages
from .errors import GiprError
from .files import CHECK_SUFFIXES, files_in
from .model import Report
from .published import import_document, is_document
from .published.core import previous_numbers
from .read import read_report_limited
from .spec import Spec, available_formats, load_format, type_rules
from .values import parse_value

__all__ = ["open_report", "open_reports", "report_from_export"]


def open_report(path: Path, spec: Spec | None, year: int | None = None, roster: list | None = None,
                previous: list[Report] | None = None) -> Report:
    """A returned workbook, or a published report document (PDF, web page, Word, text):
    ``gipr check`` and ``gipr export`` take both.  ``year``, ``roster`` and ``previous`` help
    to read a document (its format, its issuer, table 二's cuts)."""
    if is_document(path):
        prev = [previous_numbers(r) for r in previous] if previous else None  # chooses table 二's cuts
        return import_document(path, spec=spec, year=year, roster=roster, previous=prev).report  # in a worker
    return read_report_limited(path, spec=spec)  # untrusted: in a worker, with the limits


def open_reports(path: str | Path) -> list[Report]:
    """Last year's data for rule F: a workbook (unit or roll-up), a published report (PDF, web
    page, Word, text), a folder of them, or a ``gipr export --json`` file.  Raises GiprError
    (ReadError for a bad workbook, DocumentError for a bad document)."""
    path = Path(path)
    if path.is_dir():
        # workbooks, and last year's published reports
        return [import_document(p).report if is_document(p) else read_report_limited(p)
                for p in files_in(path, CHECK_SUFFIXES)]
    if is_document(path):
        return [import_document(path).report]
    if path.suffix.lower() == ".json":
        try:
            obj = json.loads(path.read_text(encoding="utf-8-sig"))
        except FileNotFoundError:
            raise GiprError(messages.say("file.not_found", file=str(path)), "file.not_found") from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
            raise GiprError(messages.say("file.previous_json", file=str(path), detail=str(e)[:120]),
                            "file.previous_json") from None
        items = obj.get("reports") if isinstance(obj, dict) else obj
        if not isinstance(items, list):
            raise GiprError(messages.say("file.previous_json", file=str(path), detail=messages.say("detail.json_reports")),
                            "file.previous_json")
        return [report_from_export(it, str(path)) for it in items]
    return [read_report_limited(path)]


def report_from_export(item: dict[str, Any], file: str) -> Report:
    """A Report from one item of an export (``{"file","unit","year","format","values"}``)."""
    if not isinstance(item, dict):
        raise GiprError(messages.say("file.previous_json", file=file, detail=messages.say("detail.json_item")), "file.previous_json")
    fmt = str(item.get("format") or "")
    if fmt not in available_formats():
        raise GiprError(messages.say("file.previous_json", file=file, detail=messages.say("detail.json_format", format=fmt)),
                        "file.previous_json")
    spec: Spec = load_format(fmt)
    vals = item.get("values")
    if not isinstance(vals, dict):
        raise GiprError(messages.say("file.previous_json", file=file, detail=messages.say("detail.json_values")), "file.previous_json")
    report = Report(spec=spec, file=f"{file}（{item.get('file') or item.get('unit') or ''}）")
    for cid, c in spec.cells.items():
        raw = vals.get(cid)
        if isinstance(raw, bool) or not (raw is None or isinstance(raw, (int, float, str))):
            raw = str(raw)
        report.values[cid] = parse_value(raw, c.type, c.unit, type_rules(spec, c.type))
    year = item.get("year")
    report.fields = {"unit_name": str(item.get("unit") or ""), "unit_code": str(item.get("unit_code") or ""),
                     "year": "" if year is None else str(year)}
    report.identity = {}
    report.kind = "rollup" if item.get("kind") == "rollup" else "unit"
    return report
