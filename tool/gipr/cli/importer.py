"""gipr import: published annual reports (PDF, web page, Word, text) → numbers; the logic is
in gipr.published (``import_document``)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from .. import messages
from ..errors import GiprError
from ..messages import SEVERITY_ZH
from ..values import to_json_number
from .app import app, console, print_json

_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}


def import_record(imp, file: str) -> dict:
    """One imported report in the shape of ``gipr export --json`` plus provenance and findings:
    values are the numbers as printed (null where unknown); totals as printed, else recomputed."""
    from ..rules import printed_values, recompute  # lazy: keeps gipr --help light (benchmarks/bench_startup.py)
    report = imp.report
    shown = printed_values(report, recompute(report))
    values = {cid: to_json_number(shown.get(cid)) for cid in report.spec.cells}
    return {"file": file, "unit": report.unit_name or None, "unit_code": report.unit_code or None,
            "year": report.year, "format": report.spec.id, "kind": report.kind, "medium": imp.kind,
            "sha256": report.sha256, "values": values,
            "provenance": {cid: imp.provenance[cid] for cid in report.spec.cells if cid in imp.provenance},
            "findings": [f.to_json() for f in imp.findings]}


@app.command("import")
def import_cmd(
    paths: list[Path] = typer.Argument(..., help="公开的年报：PDF、网页（.html/.mhtml）、Word（.docx/.doc）、WPS、纯文本，或其所在文件夹",
                                       show_default=False),
    year: int | None = typer.Option(None, "--year", help="报告年度（默认取自标题）"),
    fmt: str | None = typer.Option(None, "--format", help="报告格式（2021 或 2019；默认按年度）"),
    unit: str | None = typer.Option(None, "--unit", help="发布单位（默认取自标题）"),
    roster: Path | None = typer.Option(None, "--roster", help="单位名册：把发布单位对应到名册中的单位（代码和名称）"),
    as_json: bool = typer.Option(False, "--json", help="以 JSON 输出（键 reports，与 gipr export --json 相同，另有 provenance）"),
    out: Path | None = typer.Option(None, "--out", help="把每份年报写成该年度格式的 gipr 统计表，放入此文件夹"),
    force: bool = typer.Option(False, "--force", help="允许覆盖 --out 中已有的同名工作簿"),
    previous: Path | None = typer.Option(None, "--previous", help="上年的年报或统计表：表二连在一起的数字按“现行有效 = 上年 + 制发 − 废止”拆分（同一次导入中同一单位上一年度的年报也会用到）"),
) -> None:
    """读取公开发布的年报（PDF、网页、Word、文本）中的统计表，转成数字；可写成 gipr 统计表。

    退出码：0 全部完整导入；2 有文件无法导入或有表格无法对齐（其他文件照常处理）。"""
    from ..check.run import year_format_roster  # lazy: keeps gipr --help light (benchmarks/bench_startup.py)
    from ..files import (  # lazy: keeps gipr --help light (benchmarks/bench_startup.py)
        DOCUMENT_SUFFIXES,
        files_in,
        find_input_files,
    )
    from ..published import import_document  # lazy: keeps gipr --help light (benchmarks/bench_startup.py)
    from ..published.core import (  # lazy: keeps gipr --help light (benchmarks/bench_startup.py)
        previous_in_run,
        previous_numbers,
    )
    from ..published.workbook import write_workbook  # lazy: keeps gipr --help light (benchmarks/bench_startup.py)
    from ..sources import open_reports  # lazy: keeps gipr --help light (benchmarks/bench_startup.py)

    spec, units = year_format_roster(year, fmt, roster)
    for p in paths:
        if p.is_dir() and not files_in(p, DOCUMENT_SUFFIXES):
            raise GiprError(messages.say("cli.empty_folder_docs", folder=p), "usage.empty_folder")
    files = find_input_files(paths, suffixes=DOCUMENT_SUFFIXES, missing="keep")
    given = None
    if previous is not None:
        try:
            given = [previous_numbers(r) for r in open_reports(previous)]
        except GiprError as e:
            raise GiprError(messages.say("cli.bad_previous", error=e),
                            getattr(e, "code", "usage.previous")) from None

    def one(path: Path, prev=None):
        try:
            return import_document(path, spec=spec, year=year, unit=unit, roster=units, previous=prev or given)
        except GiprError as e:  # DocumentError, or the zip vetting's ReadError
            return e
        except Exception as e:
            return GiprError(messages.say("cli.internal", file=path, error=f"{type(e).__name__}: {e}"),
                             "internal.error")

    results = [one(p) for p in files]
    if given is None:  # another year of the same issuer in this run is last year's report
        for i, prev in previous_in_run(results):
            results[i] = one(files[i], [prev])
    records, errors = [], []
    ok = partial = failed = 0
    for path, imp in zip(files, results):
        try:
            if isinstance(imp, GiprError):
                raise imp
        except GiprError as e:  # DocumentError, or the zip vetting's ReadError
            failed += 1
            errors.append({"file": str(path), "code": e.code, "message": str(e)})
            if not as_json:
                console.print(f"[bold red]{messages.say('cli.import_failed')}[/bold red] {escape(str(path))}")
                console.print(f"    [bold red]{SEVERITY_ZH['error']}[/bold red] {escape(str(e))}", soft_wrap=True)
            continue
        rec = import_record(imp, str(path))
        n_err = sum(1 for f in imp.findings if f.severity == "error")
        n = sum(1 for v in imp.report.values.values() if v.state == "number")
        if n_err:
            partial += 1
        else:
            ok += 1
        if out is not None:
            try:
                rec["workbook"] = str(write_workbook(imp.report, out, overwrite=force))
            except GiprError as e:
                rec["workbook_error"] = str(e)
                failed += 1
        records.append(rec)
        if not as_json:
            style = "yellow" if n_err else "green"
            console.print(f"[{style}]" + escape(messages.say(
                "cli.import_partial" if n_err else "cli.import_ok",
                file=path, unit=imp.report.unit_name or messages.say("cli.no_unit"),
                year=imp.report.year or messages.say("cli.no_year"), format=imp.report.spec.id, n=n,
                errors=n_err)) + f"[/{style}]", soft_wrap=True)
            for f in imp.findings:
                sev = f.severity
                console.print(f"    [{_STYLE[sev]}]{SEVERITY_ZH[sev]}[/{_STYLE[sev]}]  {escape(f.message)}",
                              soft_wrap=True)
            if rec.get("workbook"):
                console.print(escape(messages.say("cli.import_written", path=rec["workbook"])), soft_wrap=True)
            if rec.get("workbook_error"):
                console.print(f"    [bold red]{escape(rec['workbook_error'])}[/bold red]", soft_wrap=True)
    if as_json:
        print_json({"reports": records, "errors": errors})
    else:
        console.print(messages.say("cli.import_summary", files=len(files), ok=ok, partial=partial, failed=failed))
    raise SystemExit(2 if (failed or partial) else 0)
