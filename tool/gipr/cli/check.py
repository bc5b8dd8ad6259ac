"""gipr check / gipr export: argument parsing and printing; the logic is in
``gipr.check.run`` (``run_check``, ``export_records``)."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape

from .. import messages
from ..errors import GiprError
from ..fsio import atomic_output
from ..messages import SEVERITY_ZH
from .app import app, console, err_console, print_json

_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}


@app.command("check")
def check_cmd(
    paths: list[Path] = typer.Argument(..., help="要校验的文件或文件夹（可以多个）", show_default=False),
    as_json: bool = typer.Option(False, "--json", help="以 JSON 输出（键 files）"),
    previous: Path | None = typer.Option(None, "--previous", help="上年数据：工作簿、汇总表、公开的年报（PDF/网页/Word）、文件夹或 gipr export 的 JSON，用于跨年度校验"),
    year: int | None = typer.Option(None, "--year", help="本次收集的报告年度"),
    roster: Path | None = typer.Option(None, "--roster", help="单位名册（.csv/.xlsx），核对填报单位"),
    blank_as_zero: bool = typer.Option(False, "--blank-as-zero", help="把未填写的单元格按 0 计算（报告中会注明）"),
    annotate: Path | None = typer.Option(None, "--annotate", help="为有问题的文件生成标注了问题的反馈工作簿，写入此文件夹"),
    fmt: str | None = typer.Option(None, "--format", help="报告格式（2021 或 2019）；默认按文件中的标识或年度判断"),
    against: Path | None = typer.Option(None, "--against", help="公开的年报与报送的统计表比对：统计表、其文件夹或工作目录"),
) -> None:
    """校验报送的统计表，或公开的年报（PDF、网页、Word、文本）：勾稽关系、数据类型、必填项、单位与年度；可生成反馈工作簿。

    退出码：0 没有错误；1 有文件存在错误；2 有文件无法读取或用法错误。"""
    from ..check.run import run_check  # lazy: keeps gipr --help light (benchmarks/bench_startup.py)
    from ..collect.submitted import submitted_reports  # lazy: keeps gipr --help light (benchmarks/bench_startup.py)
    result = run_check(paths, previous=previous, year=year, roster=roster, blank_as_zero=blank_as_zero,
                       annotate=annotate, fmt=fmt, on_file=None if as_json else _print_file, against=against,
                       open_submitted=submitted_reports)
    if as_json:
        print_json(result.to_json())
    else:
        console.print(messages.say("cli.summary", **result.summary), soft_wrap=True)
    raise SystemExit(result.exit_code)


def _print_file(entry: dict) -> None:
    name = escape(entry["file"])
    if not entry["readable"]:
        console.print(f"[bold red]{messages.say('cli.unreadable')}[/bold red] {name}", soft_wrap=True)
        console.print(f"    [bold red]{SEVERITY_ZH['error']}[/bold red] {escape(entry['error']['message'])}", soft_wrap=True)
        return
    who = entry["unit"] or messages.say("cli.no_unit")
    meta = messages.say("cli.meta", unit=escape(who), year=entry["year"] or messages.say("cli.no_year"),
                                       format=entry["format"])
    if entry["kind"] == "rollup":
        meta += messages.say("cli.rollup")
    if entry["errors"]:
        status = "[bold red]" + messages.say("cli.status_errors", **entry) + "[/bold red]"
    elif entry["warnings"]:
        status = "[yellow]" + messages.say("cli.status_warnings", **entry) + "[/yellow]"
    else:
        status = "[green]" + messages.say("cli.status_ok") + "[/green]"
    console.print(f"{status} {name}  {meta}", soft_wrap=True)
    for f in entry["findings"]:
        sev = f["severity"]
        where = f" {escape(f['ref'])}" if f.get("ref") and f["ref"] not in f["message"] else ""
        console.print(f"    [{_STYLE[sev]}]{SEVERITY_ZH[sev]}[/{_STYLE[sev]}]{where}  {escape(f['message'])}",
                      soft_wrap=True)
    if entry.get("feedback"):
        console.print("    " + messages.say("cli.feedback_written", path=escape(entry["feedback"])), soft_wrap=True)
    if entry.get("feedback_error"):
        console.print("    [bold red]" + messages.say("cli.feedback_failed") + "[/bold red]" + escape(entry["feedback_error"]),
                      soft_wrap=True)


@app.command("export")
def export_cmd(
    paths: list[Path] = typer.Argument(..., help="文件或文件夹（可以多个）", show_default=False),
    as_json: bool = typer.Option(False, "--json", help="以 JSON 输出（键 reports）"),
    as_csv: bool = typer.Option(False, "--csv", help="以 CSV 输出（每个文件一行）"),
    output: Path | None = typer.Option(None, "--output", "-o", help="写入文件（默认输出到屏幕）"),
    force: bool = typer.Option(False, "--force", help="允许覆盖已有的输出文件"),
    blank_as_zero: bool = typer.Option(False, "--blank-as-zero", help="把未填写的单元格按 0 计算"),
    fmt: str | None = typer.Option(None, "--format", help="报告格式（2021 或 2019）"),
) -> None:
    """导出各文件的数值（按单元格编号），供其他系统使用。

    退出码：0 全部导出；2 有文件无法读取或用法错误。"""
    from ..check.run import export_records  # lazy: keeps gipr --help light (benchmarks/bench_startup.py)
    if as_json == as_csv:
        raise GiprError(messages.say("cli.export_format"), "usage.export_format")
    records, errors = export_records(paths, blank_as_zero=blank_as_zero, fmt=fmt,
                                     on_error=lambda e: err_console.print(
                                         "[red]" + messages.say("cli.export_unreadable") + "[/red]" + escape(str(e)),
                                         soft_wrap=True))
    if as_json:
        text = json.dumps({"reports": records, "errors": errors}, ensure_ascii=False, indent=1) + "\n"
    else:
        text = _csv_text(records)
    if output is None:
        sys.stdout.write(text)
    else:
        with atomic_output(output, overwrite=force) as tmp:
            tmp.write_bytes(text.encode("utf-8-sig" if as_csv else "utf-8"))
        err_console.print(messages.say("cli.export_written", path=output, n=len(records)), soft_wrap=True)
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
