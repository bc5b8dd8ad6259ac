"""gipr merge: the county roll-up (汇总表)."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from .app import app, console, err_console, print_json


def _out(msg: str) -> None:
    console.print(msg, soft_wrap=True, markup=False)


def _err(msg: str) -> None:
    err_console.print(msg, soft_wrap=True, markup=False)


@app.command("merge")
def merge_cmd(
    paths: Optional[List[Path]] = typer.Argument(None, help="要汇总的报表文件或文件夹（可多个；也可以是下级的汇总表）"),
    out: Path = typer.Option(..., "--out", "-o", help="汇总表输出文件（.xlsx）"),
    workspace: Optional[Path] = typer.Option(None, "--workspace", "-w",
                                             help="工作目录：汇总台账中每个单位的当前报送（不给文件时默认当前目录）"),
    roster: Optional[Path] = typer.Option(None, "--roster", help="单位名册（.csv/.xlsx）：列出未报送的单位"),
    year: Optional[int] = typer.Option(None, "--year", help="报告年度（默认取自文件）"),
    county: Optional[str] = typer.Option(None, "--county", help="本级名称，如“某某县”（汇总表上显示）"),
    previous: Optional[Path] = typer.Option(None, "--previous",
                                            help="上年的汇总表或上年的工作目录：增加“上年对比”工作表"),
    include_errors: bool = typer.Option(False, "--include-errors", help="有错误的单位也汇总（在汇总表中标注）"),
    html: Optional[Path] = typer.Option(None, "--html", help="同时输出表二至表四的网页（.html），可用于公开年报"),
    force: bool = typer.Option(False, "--force", help="输出文件已存在时替换它"),
    filler: Optional[str] = typer.Option(None, "--filler", help="汇总表封面的填报人"),
    phone: Optional[str] = typer.Option(None, "--phone", help="汇总表封面的联系电话"),
    jobs: Optional[int] = typer.Option(None, "--jobs", help="读取文件的并行进程数（默认按 CPU 数）"),
    as_json: bool = typer.Option(False, "--json", help="以 JSON 输出汇总结果"),
    recheck: bool = typer.Option(False, "--recheck",
                                 help="使用 --workspace 时，重新读取和校验每个存档文件，不沿用收集时保存的结果"),
) -> None:
    """把各单位的报表逐格相加，生成汇总表（官方格式，总计为公式），并列出未汇总、未报送的单位。"""
    from ..merge import EXCLUDED_ERRORS, INCLUDED_ERRORS, MISSING, UNREADABLE, merge_json, run_merge

    result = run_merge(out=out, paths=list(paths or []), workspace=workspace, roster=roster, year=year,
                   county=county, previous=previous, include_errors=include_errors, html=html, force=force,
                   jobs=jobs, cover={"filler": filler or "", "phone": phone or ""}, recheck=recheck)
    inc = result.included
    excluded = result.of_status(EXCLUDED_ERRORS)
    marked = result.of_status(INCLUDED_ERRORS)
    bad = result.of_status(UNREADABLE)
    missing = result.of_status(MISSING)
    f_err = [c for c in result.changes if c.severity == "error"]
    f_info = [c for c in result.changes if c.severity == "info"]
    if as_json:
        print_json(merge_json(result, out=out, html=html))
        return
    for n in result.notes:
        _out(f"注意：{n}")
    if result.from_ledger:
        from ..messages import CLI

        _out(CLI["merge_reads"].format(from_ledger=result.from_ledger, reread=result.reread))
    _out(f"{result.county or ''}{result.year}年度汇总：已汇总 {len(inc)} 个"
                  + (f"（其中 {len(marked)} 个含错误，已标注）" if marked else ""))
    if excluded:
        _err(f"有错误、未汇总的单位 {len(excluded)} 个（加 --include-errors 可强制汇总并标注）：")
        for e in excluded:
            _err(f"  - {e.label()}：{e.errors} 个错误，例如：{e.first_error}（{e.file}）")
    if marked:
        _err(f"含错误但已汇总的单位 {len(marked)} 个（汇总表中已标注）：")
        for e in marked:
            _err(f"  - {e.label()}：{e.errors} 个错误（{e.file}）")
    if bad:
        _err(f"无法读取、未汇总的文件 {len(bad)} 个：")
        for e in bad:
            _err(f"  - {e.file}：{e.note}")
    if missing:
        _err(f"未报送的单位 {len(missing)} 个：" + "、".join(e.label() for e in missing))
    if result.previous is not None:
        _out(f"与上年对比（{result.previous.source}）：跨年度结转不一致（规则F）{len(f_err)} 处，"
                      f"变化较大 {len(f_info)} 处，详见“上年对比”工作表")
        for c in f_err[:10]:
            _err(f"  - {c.name or '汇总'}：{c.message}")
        if len(f_err) > 10:
            _err(f"  …… 另有 {len(f_err) - 10} 处")
    _out(f"汇总表：{out.resolve()}")
    if html is not None:
        _out(f"网页：{html.resolve()}")
