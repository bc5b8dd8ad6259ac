"""The typer app and the terminal helpers shared by the command modules (cli_*.py)."""

from __future__ import annotations

import json
import sys

import typer
from rich.console import Console

app = typer.Typer(
    name="gipr",
    help="政府信息公开工作年度报告统计表：生成模板、收集、校验、汇总。",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)


def print_json(obj) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=1))
    sys.stdout.write("\n")
