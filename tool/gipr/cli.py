"""The gipr command line: parses arguments and prints.  No logic lives here."""

from __future__ import annotations

import json
import sys
from typing import Optional

import typer
from rich.console import Console

from . import __version__
from .spec import SpecError, available_formats, load_format

app = typer.Typer(
    name="gipr",
    help="政府信息公开工作年度报告统计表：生成模板、收集、校验、汇总。",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


class UserError(Exception):
    """A problem the user can fix; printed as one Chinese message, exit status 2."""


def print_json(obj) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=1))
    sys.stdout.write("\n")


def _format_option(fmt: Optional[str]) -> str:
    if fmt is None:
        return "2021"
    if fmt not in available_formats():
        raise UserError(f"未知的报告格式“{fmt}”，可用：{'、'.join(available_formats())}")
    return fmt


@app.command("spec")
def spec_cmd(
    format: Optional[str] = typer.Option(None, "--format", help="报告格式：2021 或 2019（默认 2021）"),
    as_json: bool = typer.Option(False, "--json", help="以 JSON 输出单元格表和校验规则"),
) -> None:
    """显示报告格式：每个单元格的编号、标签、类型、位置，以及勾稽关系规则。"""
    spec = load_format(_format_option(format))
    if as_json:
        print_json(spec.to_json())
        return
    from rich.table import Table

    console.print(f"[bold]{spec.name}[/bold]（{spec.source}），格式编号 {spec.id}")
    console.print(f"单元格 {len(spec.cells)} 个（填报 {len(spec.inputs)}，自动合计 {len(spec.totals)}），"
                  f"校验规则 {len(spec.rules)} 条")
    for t in spec.tables:
        tab = Table(title=f"{t.title}（工作表“{t.sheet}”）", show_lines=False)
        for h in ("编号", "位置", "行", "列", "类型", "填报/合计"):
            tab.add_column(h)
        for cid in t.cells:
            c = spec.cells[cid]
            tab.add_row(c.id, c.ref, c.row, "/".join(c.column_path), c.type, "填报" if c.input else "合计")
        console.print(tab)
    for fam in spec.families:
        console.print(f"规则 {fam['id']}：{fam['title']} —— {fam['description']}")


@app.command("version")
def version_cmd() -> None:
    """显示 gipr 版本。"""
    console.print(f"gipr {__version__}")


def main() -> None:
    """Entry point: no Python traceback ever reaches a user."""
    try:
        app(standalone_mode=False)
    except SystemExit:
        raise
    except (typer.Exit,) as e:
        sys.exit(e.exit_code)
    except typer.Abort:
        err_console.print("已取消。")
        sys.exit(130)
    except KeyboardInterrupt:
        err_console.print("已中断（Ctrl-C）。已完成的部分均已保存。")
        sys.exit(130)
    except (UserError, SpecError) as e:
        err_console.print(f"[red]错误：[/red]{e}")
        sys.exit(2)
    except Exception as e:  # click's usage errors (typer vendors click) and anything unexpected
        if hasattr(e, "format_message") and hasattr(e, "exit_code"):
            kind = "用法错误" if type(e).__name__ in ("UsageError", "BadParameter", "NoSuchOption",
                                                     "MissingParameter", "BadOptionUsage") else "错误"
            err_console.print(f"[red]{kind}：[/red]{e.format_message()}")
            ctx = getattr(e, "ctx", None)
            if ctx is not None:
                err_console.print(f"运行“{ctx.command_path} --help”查看用法。")
            sys.exit(2)
        err_console.print(f"[red]内部错误：[/red]{type(e).__name__}: {e}")
        err_console.print("这是 gipr 的缺陷，请把上面这行和所用的命令报告给维护者。数据未被修改。")
        sys.exit(3)


if __name__ == "__main__":  # pragma: no cover
    main()
