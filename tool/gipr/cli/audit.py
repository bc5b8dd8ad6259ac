"""gipr audit: a region's published annual reports in one run (parsing and printing; the
logic is :func:`gipr.audit.run_audit`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape

from ..catalogue.access import textkey
from ..messages import SEVERITY_ZH, say
from .app import app, console, err_console, print_json

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID


@app.command("audit")
def audit_cmd(
    paths: list[Path] = typer.Argument(..., help="公开的年报文件或文件夹（PDF、网页、网页文本、Word，可以多个）",
                                       show_default=False),
    roster: Path | None = typer.Option(None, "--roster", help="单位名册（.csv/.xlsx）：统一单位名称，类别决定发布期限"),
    year: list[int] | None = typer.Option(None, "--year", help="审核的报告年度（可多次给出；默认为文件中出现的年度）"),
    out: Path | None = typer.Option(None, "--out", "-o", help="审核工作簿（.xlsx）：汇总、问题清单、文件、每个单位逐年一页"),
    html: Path | None = typer.Option(None, "--html", help="审核摘要网页（.html，可直接打印）"),
    jobs: int | None = typer.Option(None, "--jobs", help="读取的并行进程数（默认按 CPU 数）"),
    as_json: bool = typer.Option(False, "--json", help="以 JSON 输出审核结果"),
) -> None:
    """审核一个地区公开发布的年报：逐份校验（勾稽关系、正文与表格）、逐单位跨年度核对（上年结转、现行有效、
    表格与正文是否照抄上年）、发布是否逾期，并列出缺少的年报和无法归属的文件。

    退出码：0 没有问题；1 发现问题；2 有年报无法读取（逐个列出）或用法错误。"""
    from ..audit import run_audit  # lazy: keeps gipr --help light (benchmarks/bench_startup.py)
    from ..audit.html import write_audit_html  # lazy: keeps gipr --help light (benchmarks/bench_startup.py)
    from ..audit.workbook import write_audit_xlsx  # lazy: keeps gipr --help light (benchmarks/bench_startup.py)

    bar = _Bar(enabled=not as_json)
    try:
        result = run_audit(paths, roster=roster, years=year or [], jobs=jobs, on_total=bar.start, on_doc=bar.step)
    finally:
        bar.stop()
    data = result.to_json()
    if out is not None:
        write_audit_xlsx(out, data)
    if html is not None:
        write_audit_html(html, data)
    if as_json:
        print_json(data)
        raise SystemExit(result.exit_code)
    _print(data)
    if out is not None:
        console.print(say("audit.cli.out", path=escape(str(out.resolve()))), soft_wrap=True)
    if html is not None:
        console.print(say("audit.cli.html", path=escape(str(html.resolve()))), soft_wrap=True)
    raise SystemExit(result.exit_code)


class _Bar:
    """rich's progress bar on stderr while the documents are read."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.progress: Progress | None = None
        self.task: TaskID | None = None

    def start(self, total: int) -> None:
        if not self.enabled or not total:
            return
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self.progress = Progress(TextColumn(say("audit.cli.progress")), BarColumn(), MofNCompleteColumn(),
                                 TimeRemainingColumn(), console=err_console, transient=True)
        self.progress.start()
        self.task = self.progress.add_task("", total=total)

    def step(self, _doc) -> None:
        if self.progress is not None and self.task is not None:
            self.progress.advance(self.task)

    def stop(self) -> None:
        if self.progress is not None:
            self.progress.stop()
            self.progress = None


_STYLE = {"error": "bold red", "warning": "yellow"}


def _print(data: dict) -> None:
    s = data["summary"]
    for r in data["rows"]:
        if r["state"] == "ok":
            continue
        console.print(say("audit.cli.row", issuer=escape(r["issuer"]), year=r["year"],
                          state=say(textkey("audit.state." + r["state"])), errors=r["errors"], warnings=r["warnings"]),
                      soft_wrap=True)
        for f in r["findings"]:
            if f["severity"] in _STYLE:
                sev = f"[{_STYLE[f['severity']]}]{SEVERITY_ZH[f['severity']]}[/{_STYLE[f['severity']]}]"
                console.print(f"  {sev} {escape(f['message'])}", soft_wrap=True)
    for d in data["unreadable"]:
        err_console.print(say("audit.cli.unreadable", file=escape(d["file"]), message=escape(d["message"] or "")),
                          soft_wrap=True)
    for d in data["unassigned"]:
        err_console.print(say("audit.cli.unassigned", file=escape(d["file"])), soft_wrap=True)
    for d in data["other_years"]:
        console.print(say("audit.cli.other_year", file=escape(d["file"]), year=d["year"]), soft_wrap=True)
    for c in data["conflicts"]:
        err_console.print(say("audit.cli.conflict", file=escape(c["file"]), used=escape(c["used"])), soft_wrap=True)
    if s["truncated"]:
        err_console.print(say("audit.cli.truncated", n=s["documents"]), soft_wrap=True)
    console.print(say("audit.cli.files", **s), soft_wrap=True)
    console.print(say("audit.cli.summary", **s), soft_wrap=True)
