"""gipr check / gipr export: argument parsing and printing; the logic is in read.py,
checks.py and annotate.py."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path
from typing import Any, Optional

import typer
from rich.markup import escape

from . import messages
from .checks import (CheckContext, check_report, export_record, load_previous, match_unit, pick_previous,
                     summarize)
from .cliapp import app, console, err_console, print_json
from .errors import GiprError
from .fsio import atomic_output
from .model import SEVERITY_ZH, Finding, Report
from .read import ReadError, read_report
from .spec import Spec, available_formats, load_format

SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods", ".et", ".xltx", ".ett")
_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}


def collect_paths(paths: list[Path]) -> list[Path]:
    """Files as given, and the spreadsheet files inside given folders (recursively, sorted,
    without lock files and hidden files).  A missing path is kept: reading it reports it."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            found = [q for q in sorted(p.rglob("*")) if q.is_file() and q.suffix.lower() in SPREADSHEET_SUFFIXES
                     and not q.name.startswith(("~$", ".~lock", "."))]
            if not found:
                raise GiprError(messages.CLI["empty_folder"].format(folder=p), "usage.empty_folder")
            out.extend(found)
        else:
            out.append(p)
    seen = set()
    uniq = []
    for p in out:
        k = str(p.resolve()) if p.exists() else str(p)
        if k not in seen:
            seen.add(k)
            uniq.append(p)
    return uniq


def read_any(path: Path, spec: Spec | None) -> Report:
    """A returned workbook, or a published report document (PDF, web page, Word, text)."""
    from .published import import_document, is_document

    if is_document(path):
        return import_document(path, spec=spec).report
    return read_report(path, spec=spec)


def _expected_spec(fmt: Optional[str], year: Optional[int]) -> Spec | None:
    from .spec import SpecError, format_for_year

    if fmt is not None:
        if fmt not in available_formats():
            raise GiprError(messages.CLI["bad_format"].format(format=fmt, formats="、".join(available_formats())),
                            "usage.format")
        return load_format(fmt)
    if year is not None:
        try:
            return load_format(format_for_year(year))
        except SpecError as e:
            raise GiprError(str(e), "usage.year") from None
    return None


def _file_entry(path: Path, report: Report | None, findings: list[Finding], error: ReadError | None) -> dict:
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


@app.command("check")
def check_cmd(
    paths: list[Path] = typer.Argument(..., help="要校验的文件或文件夹（可以多个）", show_default=False),
    as_json: bool = typer.Option(False, "--json", help="以 JSON 输出（键 files）"),
    previous: Optional[Path] = typer.Option(None, "--previous", help="上年数据：工作簿、汇总表、文件夹或 gipr export 的 JSON，用于跨年度校验"),
    year: Optional[int] = typer.Option(None, "--year", help="本次收集的报告年度"),
    roster: Optional[Path] = typer.Option(None, "--roster", help="单位名册（.csv/.xlsx），核对填报单位"),
    blank_as_zero: bool = typer.Option(False, "--blank-as-zero", help="把未填写的单元格按 0 计算（报告中会注明）"),
    annotate: Optional[Path] = typer.Option(None, "--annotate", help="为有问题的文件生成标注了问题的反馈工作簿，写入此文件夹"),
    fmt: Optional[str] = typer.Option(None, "--format", help="报告格式（2021 或 2019）；默认按文件中的标识或年度判断"),
    against: Optional[Path] = typer.Option(None, "--against", help="公开的年报与报送的统计表比对：统计表、其文件夹或工作目录"),
) -> None:
    """校验报送的统计表，或公开的年报（PDF、网页、Word、文本）：勾稽关系、数据类型、必填项、单位与年度；可生成反馈工作簿。

    退出码：0 没有错误；1 有文件存在错误；2 有文件无法读取或用法错误。"""
    if year is not None and not (1990 <= year <= 2100):
        raise GiprError(messages.CLI["bad_year"].format(year=year), "usage.year")
    spec = _expected_spec(fmt, year)
    units = None
    if roster is not None:
        from .roster import load_roster

        units = load_roster(roster)
    prev_reports: list[Report] | None = None
    if previous is not None:
        try:
            prev_reports = load_previous(previous)
        except GiprError as e:
            raise GiprError(messages.CLI["bad_previous"].format(error=e), getattr(e, "code", "usage.previous")) from None
    files = collect_paths(paths)
    submitted = None
    if against is not None:
        from .published.against import load_submitted

        try:
            submitted, _roster = load_submitted(against)
        except GiprError as e:
            raise GiprError(messages.CLI["bad_previous"].format(error=e), getattr(e, "code", "usage.against")) from None

    entries: list[dict] = []
    unreadable = 0
    with_errors = 0
    for path in files:
        report = None
        err: ReadError | None = None
        findings: list[Finding] = []
        try:
            report = read_any(path, spec)
        except GiprError as e:  # ReadError, or a published document's DocumentError
            err = e  # type: ignore[assignment]
        if report is not None:
            try:
                prev = pick_previous(report, prev_reports) if prev_reports is not None else None
                ctx = CheckContext(year=year, roster=units, previous=prev, blank_as_zero=blank_as_zero)
                findings = check_report(report, ctx)
                if prev_reports is not None and prev is None:
                    findings.append(messages.finding("previous.missing"))
                if submitted is not None:
                    from .published.against import against_findings

                    findings.extend(against_findings(report, submitted, str(against)))
            except Exception as e:  # noqa: BLE001 - one bad file must not stop the others
                err = ReadError(messages.CLI["internal"].format(file=path, error=f"{type(e).__name__}: {e}"),
                                "internal.error")
                report = None
        entry = _file_entry(path, report, findings, err)
        if report is None:
            unreadable += 1
        elif entry["errors"]:
            with_errors += 1
        if report is not None and annotate is not None and findings:
            try:
                from .annotate import write_feedback

                unit = match_unit(report, units) if units else None
                entry["feedback"] = str(write_feedback(report, findings, annotate, unit=unit, year=year))
            except GiprError as e:
                entry["feedback_error"] = str(e)
                unreadable += 1  # the output could not be written: a usage-level failure
        entries.append(entry)
        if not as_json:
            _print_file(entry)

    n = len(entries)
    totals = {k: sum(e[k] for e in entries) for k in ("errors", "warnings", "infos")}
    summary = {"files": n, "passed": n - unreadable - with_errors, "with_errors": with_errors,
               "unreadable": unreadable, **totals}
    if as_json:
        print_json({"files": entries, "summary": summary})
    else:
        console.print(messages.CLI["summary"].format(**summary), soft_wrap=True)
    code = 2 if unreadable else (1 if with_errors else 0)
    raise SystemExit(code)


def _print_file(entry: dict) -> None:
    name = escape(entry["file"])
    if not entry["readable"]:
        console.print(f"[bold red]{messages.CLI['unreadable']}[/bold red] {name}", soft_wrap=True)
        console.print(f"    [bold red]{SEVERITY_ZH['error']}[/bold red] {escape(entry['error']['message'])}", soft_wrap=True)
        return
    who = entry["unit"] or messages.CLI["no_unit"]
    meta = messages.CLI["meta"].format(unit=escape(who), year=entry["year"] or messages.CLI["no_year"],
                                       format=entry["format"])
    if entry["kind"] == "rollup":
        meta += messages.CLI["rollup"]
    if entry["errors"]:
        status = "[bold red]" + messages.CLI["status_errors"].format(**entry) + "[/bold red]"
    elif entry["warnings"]:
        status = "[yellow]" + messages.CLI["status_warnings"].format(**entry) + "[/yellow]"
    else:
        status = "[green]" + messages.CLI["status_ok"] + "[/green]"
    console.print(f"{status} {name}  {meta}", soft_wrap=True)
    for f in entry["findings"]:
        sev = f["severity"]
        where = f" {escape(f['ref'])}" if f.get("ref") and f["ref"] not in f["message"] else ""
        console.print(f"    [{_STYLE[sev]}]{SEVERITY_ZH[sev]}[/{_STYLE[sev]}]{where}  {escape(f['message'])}",
                      soft_wrap=True)
    if entry.get("feedback"):
        console.print("    " + messages.CLI["feedback_written"].format(path=escape(entry["feedback"])), soft_wrap=True)
    if entry.get("feedback_error"):
        console.print("    [bold red]" + messages.CLI["feedback_failed"] + "[/bold red]" + escape(entry["feedback_error"]),
                      soft_wrap=True)


@app.command("export")
def export_cmd(
    paths: list[Path] = typer.Argument(..., help="文件或文件夹（可以多个）", show_default=False),
    as_json: bool = typer.Option(False, "--json", help="以 JSON 输出（键 reports）"),
    as_csv: bool = typer.Option(False, "--csv", help="以 CSV 输出（每个文件一行）"),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="写入文件（默认输出到屏幕）"),
    force: bool = typer.Option(False, "--force", help="允许覆盖已有的输出文件"),
    blank_as_zero: bool = typer.Option(False, "--blank-as-zero", help="把未填写的单元格按 0 计算"),
    fmt: Optional[str] = typer.Option(None, "--format", help="报告格式（2021 或 2019）"),
) -> None:
    """导出各文件的数值（按单元格编号），供其他系统使用。

    退出码：0 全部导出；2 有文件无法读取或用法错误。"""
    if as_json == as_csv:
        raise GiprError(messages.CLI["export_format"], "usage.export_format")
    spec = _expected_spec(fmt, None)
    files = collect_paths(paths)
    records: list[dict[str, Any]] = []
    errors: list[dict[str, str]] = []
    for path in files:
        try:
            report = read_any(path, spec)
        except GiprError as e:
            errors.append({"file": str(path), "code": e.code, "message": str(e)})
            err_console.print("[red]" + messages.CLI["export_unreadable"] + "[/red]" + escape(str(e)), soft_wrap=True)
            continue
        rec = export_record(report, blank_as_zero=blank_as_zero)
        rec["file"] = str(path)
        records.append(rec)
    if as_json:
        text = json.dumps({"reports": records, "errors": errors}, ensure_ascii=False, indent=1) + "\n"
    else:
        text = _csv_text(records)
    if output is None:
        sys.stdout.write(text)
    else:
        with atomic_output(output, overwrite=force) as tmp:
            tmp.write_bytes(text.encode("utf-8-sig" if as_csv else "utf-8"))
        err_console.print(messages.CLI["export_written"].format(path=output, n=len(records)), soft_wrap=True)
    raise SystemExit(2 if errors else 0)


def _csv_text(records: list[dict[str, Any]]) -> str:
    cols: list[str] = []
    seen: set[str] = set()
    for rec in records:
        for cid in rec["values"]:
            if cid not in seen:
                seen.add(cid)
                cols.append(cid)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["file", "unit", "unit_code", "year", "format", *cols])
    for rec in records:
        vals = rec["values"]
        w.writerow([rec["file"], rec["unit"] or "", rec["unit_code"] or "", rec["year"] or "", rec["format"],
                    *["" if vals.get(c) is None else vals[c] for c in cols]])
    return buf.getvalue()
