"""gipr merge: the county roll-up (汇总表)."""

from __future__ import annotations

from pathlib import Path

import typer

from ..messages import say
from .app import app, print_json, say_err, say_out


@app.command("merge")
def merge_cmd(
    paths: list[Path] | None = typer.Argument(None, help="要汇总的报表文件或文件夹（可多个；也可以是下级的汇总表）"),
    out: Path = typer.Option(..., "--out", "-o", help="汇总表输出文件（.xlsx）"),
    workspace: Path | None = typer.Option(None, "--workspace", "-w",
                                             help="工作目录：汇总台账中每个单位的当前报送（不给文件时默认当前目录）"),
    roster: Path | None = typer.Option(None, "--roster", help="单位名册（.csv/.xlsx）：列出未报送的单位"),
    year: int | None = typer.Option(None, "--year", help="报告年度（默认取自文件）"),
    county: str | None = typer.Option(None, "--county", help="本级名称，如“某某县”（汇总表上显示）"),
    previous: Path | None = typer.Option(None, "--previous",
                                            help="上年的汇总表或上年的工作目录：增加“上年对比”工作表"),
    include_errors: bool = typer.Option(False, "--include-errors", help="有错误的单位也汇总（在汇总表中标注）"),
    html: Path | None = typer.Option(None, "--html", help="同时输出表二至表四的网页（.html），可用于公开年报"),
    force: bool = typer.Option(False, "--force", help="输出文件已存在时替换它"),
    filler: str | None = typer.Option(None, "--filler", help="汇总表封面的填报人"),
    phone: str | None = typer.Option(None, "--phone", help="汇总表封面的联系电话"),
    jobs: int | None = typer.Option(None, "--jobs", help="读取文件的并行进程数（默认按 CPU 数）"),
    as_json: bool = typer.Option(False, "--json", help="以 JSON 输出汇总结果"),
    recheck: bool = typer.Option(False, "--recheck",
                                 help="使用 --workspace 时，重新读取和校验每个存档文件，不沿用收集时保存的结果"),
) -> None:
    """把各单位的报表逐格相加，生成汇总表（官方格式，总计为公式），并列出未汇总、未报送的单位。"""
    from ..merge import (  # lazy: keeps gipr --help light (benchmarks/bench_startup.py)
        EXCLUDED_ERRORS,
        INCLUDED_ERRORS,
        MISSING,
        UNREADABLE,
        merge_json,
        run_merge,
    )
    from ..merge.years import change_counts  # lazy: keeps gipr --help light (benchmarks/bench_startup.py)

    result = run_merge(out=out, paths=list(paths or []), workspace=workspace, roster=roster, year=year,
                   county=county, previous=previous, include_errors=include_errors, html=html, force=force,
                   jobs=jobs, cover={"filler": filler or "", "phone": phone or ""}, recheck=recheck)
    inc = result.included
    excluded = result.of_status(EXCLUDED_ERRORS)
    marked = result.of_status(INCLUDED_ERRORS)
    bad = result.of_status(UNREADABLE)
    missing = result.of_status(MISSING)
    f_err = [c for c in result.changes if c.severity == "error"]

    n_large = change_counts(result.changes)["large"]  # the count the workbook and the workbench state
    if as_json:
        print_json(merge_json(result, out=out, html=html))
        return
    for n in result.notes:
        say_out(say("merge.summary.note", note=n))
    if result.from_ledger:
        say_out(say("cli.merge_reads", from_ledger=result.from_ledger, reread=result.reread))
    say_out(say("merge.summary.done", county=result.county or "", year=result.year, n=len(inc),
                marked=say("merge.summary.done_marked", n=len(marked)) if marked else ""))
    if excluded:
        say_err(say("merge.summary.excluded", n=len(excluded)))
        for e in excluded:
            say_err(say("merge.summary.excluded_one", unit=e.label(), n=e.errors, first=e.first_error, file=e.file))
    if marked:
        say_err(say("merge.summary.marked", n=len(marked)))
        for e in marked:
            say_err(say("merge.summary.marked_one", unit=e.label(), n=e.errors, file=e.file))
    if bad:
        say_err(say("merge.summary.unreadable", n=len(bad)))
        for e in bad:
            say_err(say("merge.summary.unreadable_one", file=e.file, note=e.note))
    if missing:
        say_err(say("merge.summary.missing", n=len(missing), units="、".join(e.label() for e in missing)))
    if result.previous is not None:
        say_out(say("merge.summary.years", source=result.previous.source, n_err=len(f_err), n_info=n_large))
        for c in f_err[:10]:
            say_err(say("merge.summary.years_one", name=c.name or say("rollup.unnamed"), message=c.message))
        if len(f_err) > 10:
            say_err(say("merge.summary.years_more", n=len(f_err) - 10))
    say_out(say("merge.summary.out", path=out.resolve()))
    if html is not None:
        say_out(say("merge.summary.html", path=html.resolve()))
