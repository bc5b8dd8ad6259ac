"""gipr report: the annual report document (政府信息公开工作年度报告, .docx and PDF)."""

from __future__ import annotations

from pathlib import Path

import typer

from .. import messages
from ..catalogue.access import say
from ..errors import GiprError
from .app import app, print_json, say_err, say_out


@app.command("report")
def report_cmd(
    source: Path | None = typer.Argument(None, help="单位的报表或汇总表（.xlsx/.xls/.ods/.et）"),
    out: Path | None = typer.Option(None, "--out", "-o",
                                       help="输出的年度报告（.docx）；用 --workspace 时为输出文件夹"),
    workspace: Path | None = typer.Option(None, "--workspace", "-w",
                                             help="工作目录：按汇总结果为本级和每个已汇总的单位各生成一份"),
    previous: Path | None = typer.Option(None, "--previous",
                                            help="上年的汇总表、单位报表或上年的工作目录：写出同比变化"),
    unit: str | None = typer.Option(None, "--unit", help="只生成这个单位（代码或名称）的年度报告"
                                                            "（来源为汇总表或工作目录）"),
    template: Path | None = typer.Option(None, "--template", help="自己的报告模板（.docx，默认用 gipr 自带的）"),
    pdf: bool = typer.Option(False, "--pdf", help="同时用 LibreOffice 生成 PDF"),
    include_errors: bool = typer.Option(False, "--include-errors",
                                        help="数据有错误也生成（文档标注“草稿（数据有误）”）"),
    force: bool = typer.Option(False, "--force", help="输出文件已存在时替换它"),
    placeholders: bool = typer.Option(False, "--placeholders", help="列出报告模板可用的占位符后退出"),
    as_json: bool = typer.Option(False, "--json", help="以 JSON 输出结果"),
) -> None:
    """生成政府信息公开工作年度报告（Word，可选 PDF）：表格和句子中的数字取自同一份已校验的数据，第五、六部分留待填写。"""
    from ..report.document import default_template  # lazy: it loads docx, lxml (heavy), needed only here
    from ..report.figures import PLACEHOLDERS  # lazy: keeps gipr --help light (benchmarks/bench_startup.py)
    from ..report.run import (  # lazy: it loads docx, lxml (heavy), needed only here
        Job,
        data_from_file,
        data_from_workspace,
        jobs_json,
        workspace_jobs,
        write_jobs,
    )

    if placeholders:
        if as_json:
            print_json(PLACEHOLDERS)
        else:
            say_out(say("cli.report.report_cmd", default_template=default_template()))
            for k, v in PLACEHOLDERS.items():
                say_out(f"{{{{ {k} }}}}\t{v}")
        return
    if source is not None and workspace is not None:
        raise GiprError(messages.say("report.both_sources"), "report.both_sources")
    if source is None and workspace is None:
        raise GiprError(messages.say("report.no_source"), "report.no_source")
    if out is None:
        raise GiprError(messages.say("report.no_out_ws" if workspace is not None else "report.no_out"), "report.no_out")
    if workspace is not None:
        if out.suffix.lower() == ".docx" and unit is None:
            raise GiprError(messages.say("report.workspace_out", path=out), "report.workspace_out")
        left_out: list = []
        county, units = data_from_workspace(workspace, include_errors=include_errors, previous=previous,
                                            left_out=left_out)
        if unit is not None and out.suffix.lower() == ".docx":
            jobs = workspace_jobs(out.parent, county, units, unit=unit, pdf=pdf)[:1]
            jobs[0].out = out
            if pdf:
                jobs[0].pdf = out.with_suffix(".pdf")
        else:
            jobs = workspace_jobs(out, county, units, unit=unit, pdf=pdf)
    else:
        assert source is not None  # one of the two, checked above
        data = data_from_file(source, include_errors=include_errors, previous=previous, unit=unit)
        jobs = [Job(data, out, data.name, out.with_suffix(".pdf") if pdf else None)]
    pdf_error = None
    try:
        write_jobs(jobs, template=template, force=force)
    except GiprError as e:
        if e.code not in ("report.pdf_missing", "report.pdf_failed", "report.pdf_timeout"):
            raise
        pdf_error = e
    if as_json:
        print_json(jobs_json(jobs, pdf_error))
    else:
        for j in jobs:
            if j.data.errors:
                say_err(messages.say("report.draft_written", who=j.who, errors=j.data.errors, path=j.out.resolve()))
            elif j.data.review:
                say_err(messages.say("report.review_written", who=j.who, n=len(j.data.review), first=j.data.review[0],
                                                   path=j.out.resolve()))
            else:
                say_out(messages.say("report.written", path=j.out.resolve()))
            if j.pdf is not None and pdf_error is None:
                say_out(messages.say("report.written_pdf", path=j.pdf.resolve()))
        if workspace is not None and unit is None:
            say_out(messages.say("report.workspace_done", n=len(jobs), units=len(jobs) - 1, folder=out.resolve()))
            if left_out:
                say_err(messages.say("report.left_out", n=len(left_out)))
                for entry in left_out:
                    detail = entry.first_error or entry.note or ""
                    say_err(messages.say("report.left_out_one", who=entry.label(), why=entry.status_zh,
                                                  detail=messages.say("report.left_out_detail", detail=detail) if detail else ""))
        if pdf_error is not None:
            say_err(messages.say("report.pdf_error", error=pdf_error))
    if pdf_error is not None:
        raise typer.Exit(2)
