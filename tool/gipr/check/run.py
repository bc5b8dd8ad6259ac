"""``gipr check`` and ``gipr export`` as core functions: paths and options in, a result
whose JSON is exactly what ``--json`` prints (so a web page or a script gets the same)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import messages
from ..errors import GiprError, ReadError, SpecError
from ..files import CHECK_SUFFIXES, find_input_files
from ..model import Finding, Report
from ..roster import Unit, load_roster, normalize_name
from ..sources import open_report, open_reports
from ..spec import Spec, available_formats, format_for_year, load_format
from .checks import check_report
from .feedback import write_feedback
from .findings import (
    CheckContext,
    export_record,
    match_unit,
    pick_previous,
    summarize,
)

__all__ = [
    "CheckRun",
    "collect_paths",
    "expected_spec",
    "export_records",
    "file_entry",
    "run_check",
    "year_format_roster",
]


def collect_paths(paths: list[Path]) -> list[Path]:
    """Files as given (a missing one is kept: reading it reports it), and the workbooks and
    published documents inside given folders (``files.CHECK_SUFFIXES``)."""
    return find_input_files(paths, suffixes=CHECK_SUFFIXES, missing="keep", empty_folder="error",
                            empty_message="cli.empty_folder_check")


def expected_spec(fmt: str | None, year: int | None) -> Spec | None:
    if fmt is not None:
        if fmt not in available_formats():
            raise GiprError(messages.say("cli.bad_format", format=fmt, formats="、".join(available_formats())),
                            "usage.format")
        return load_format(fmt)
    if year is not None:
        try:
            return load_format(format_for_year(year))
        except SpecError as e:
            raise GiprError(str(e), "usage.year") from None
    return None


def year_format_roster(year: int | None, fmt: str | None, roster: str | Path | None
                       ) -> tuple[Spec | None, list[Unit] | None]:
    """The --year / --format / --roster options that ``gipr check`` and ``gipr import`` share:
    (the format expected, or None to recognise each file's; the roster's units, or None).
    Raises GiprError for a bad year, format or roster."""
    if year is not None and not (1990 <= year <= 2100):
        raise GiprError(messages.say("cli.bad_year", year=year), "usage.year")
    spec = expected_spec(fmt, year)
    units = None
    if roster is not None:
        units = load_roster(roster)
    return spec, units


def file_entry(path: Path, report: Report | None, findings: list[Finding], error: GiprError | None) -> dict:
    if report is None:
        return {"file": str(path), "unit": None, "unit_code": None, "year": None, "format": None, "kind": None,
                "readable": False, "errors": 1, "warnings": 0, "infos": 0,
                "error": {"code": error.code if error else "file.unreadable", "message": str(error)},
                "findings": [{"code": error.code if error else "file.unreadable", "severity": "error", "cell": None,
                              "ref": None, "path": None, "rule": None, "message": str(error)}],
                "feedback": None}
    s = summarize(findings)
    return {"file": str(path), "unit": report.unit_name or None, "unit_code": report.unit_code or None,
            "year": report.year, "format": report.spec.id, "kind": report.kind, "readable": True,
            "errors": s["error"], "warnings": s["warning"], "infos": s["info"],
            "findings": [f.to_json() for f in findings], "feedback": None}


@dataclass
class CheckRun:
    """The result of ``run_check``: one entry per file (as ``gipr check --json`` lists them)."""

    entries: list[dict[str, Any]] = field(default_factory=list)
    unreadable: int = 0
    with_errors: int = 0

    @property
    def summary(self) -> dict[str, int]:
        n = len(self.entries)
        totals = {k: sum(e[k] for e in self.entries) for k in ("errors", "warnings", "infos")}
        return {"files": n, "passed": n - self.unreadable - self.with_errors, "with_errors": self.with_errors,
                "unreadable": self.unreadable, **totals}

    @property
    def exit_code(self) -> int:
        """0 no errors; 1 a file has errors; 2 a file is unreadable (or its feedback could not be written)."""
        return 2 if self.unreadable else (1 if self.with_errors else 0)

    def to_json(self) -> dict[str, Any]:
        return {"files": self.entries, "summary": self.summary}


def run_check(paths: Sequence[str | Path], *, previous: str | Path | None = None, year: int | None = None,
              roster: str | Path | None = None, blank_as_zero: bool = False, annotate: str | Path | None = None,
              fmt: str | None = None, on_file: Callable[[dict], None] | None = None,
              against: str | Path | None = None,
              open_submitted: Callable[[Path], list[Report]] = open_reports) -> CheckRun:
    """Read and check files (and folders of files): the whole of ``gipr check``.  ``against``:
    what the units submitted (a workbook, a folder, a workspace), compared cell by cell with
    the published reports checked; ``open_submitted`` opens it (the CLI gives
    ``collect.submitted.submitted_reports``, which also opens a workspace).

    ``on_file(entry)`` is called after each file (the CLI prints it).  Raises GiprError
    for a usage problem (bad year, format, roster, previous data, an empty folder)."""
    spec, units = year_format_roster(year, fmt, roster)
    prev_reports: list[Report] | None = None
    if previous is not None:
        try:
            prev_reports = open_reports(previous)
        except GiprError as e:
            raise GiprError(messages.say("cli.bad_previous", error=e), getattr(e, "code", "usage.previous")) from None
    submitted = None
    if against is not None:
        try:
            submitted = open_submitted(Path(against))
        except GiprError as e:
            raise GiprError(messages.say("cli.bad_previous", error=e), getattr(e, "code", "usage.against")) from None
    result = CheckRun()
    seen: dict[tuple[str, int], Report] = {}  # published reports read in this run, by issuer and year
    for path in collect_paths([Path(p) for p in paths]):
        report = None
        err: GiprError | None = None
        findings: list[Finding] = []
        try:
            report = open_report(path, spec, year, units, prev_reports)
            if report.source == "published" and prev_reports is None:
                report = _with_year_before(path, report, seen, spec, year, units)
        except GiprError as e:  # ReadError, or a published document's DocumentError
            err = e
        if report is not None:
            try:
                prev = pick_previous(report, prev_reports) if prev_reports is not None else None
                ctx = CheckContext(year=year, roster=units, previous=prev, blank_as_zero=blank_as_zero,
                                   submitted=submitted, against_name=str(against or ""))
                findings = check_report(report, ctx)
                if prev_reports is not None and prev is None:
                    findings.append(messages.finding("previous.missing"))
            except Exception as e:
                err = ReadError(messages.say("cli.internal", file=path, error=f"{type(e).__name__}: {e}"),
                                "internal.error")
                report = None
        entry = file_entry(path, report, findings, err)
        if report is None:
            result.unreadable += 1
        elif entry["errors"]:
            result.with_errors += 1
        if report is not None and annotate is not None and findings:
            try:
                unit = match_unit(report, units) if units else None
                entry["feedback"] = str(write_feedback(report, findings, annotate, unit=unit, year=year))
            except GiprError as e:
                entry["feedback_error"] = str(e)
                result.unreadable += 1  # the output could not be written: a usage-level failure
        result.entries.append(entry)
        if on_file is not None:
            on_file(entry)
    return result


def _with_year_before(path: Path, report: Report, seen: dict, spec: Spec | None, year: int | None,
                      units) -> Report:
    """A published report whose glued digits were left open, read again with the report of
    the year before of the same issuer when that one was read earlier in this run (it chooses
    among table 二's cuts); remembers the report for the years after."""

    if not report.unit_name or not report.year:
        return report
    key = (normalize_name(report.unit_name), int(report.year))
    before = seen.get((key[0], key[1] - 1))
    if before is not None and any(f.code == "published.digits_ambiguous" for f in report.findings):
        report = open_report(path, spec, year, units, [before])
    seen.setdefault(key, report)
    return report


def export_records(paths: Sequence[str | Path], *, blank_as_zero: bool = False, fmt: str | None = None,
                   on_error: Callable[[GiprError], None] | None = None
                   ) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """``gipr export``: (records, errors); ``{"reports": records, "errors": errors}`` is its JSON."""
    spec = expected_spec(fmt, None)
    records: list[dict[str, Any]] = []
    errors: list[dict[str, str]] = []
    for path in collect_paths([Path(p) for p in paths]):
        try:
            report = open_report(path, spec)
        except GiprError as e:  # ReadError, DocumentError
            errors.append({"file": str(path), "code": e.code, "message": str(e)})
            if on_error is not None:
                on_error(e)
            continue
        rec = export_record(report, blank_as_zero=blank_as_zero)
        rec["file"] = str(path)
        records.append(rec)
    return records, errors
