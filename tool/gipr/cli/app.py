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


def say_out(msg: str) -> None:
    """A line of plain text (no Rich markup, never wrapped) on stdout."""
    console.print(msg, soft_wrap=True, markup=False)


def say_err(msg: str) -> None:
    """A line of plain text (no Rich markup, never wrapped) on stderr."""
    err_console.print(msg, soft_wrap=True, markup=False)


def print_json(obj) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=1))
    sys.stdout.write("\n")


# ---------------------------------------------------------------------------------------
# tables that fit the terminal: one line per row


class FitColumn:
    """One column of :func:`fit_table`: a header and one cell (rich markup) per row;
    ``short``: shorter cells to use when the table is too wide; ``min_width``: the column
    may be cut (with …) down to this width."""

    def __init__(self, header: str, cells: list[str], *, short: list[str] | None = None,
                 min_width: int | None = None, justify: str = "left"):
        from rich.text import Text

        self.header = header
        self.cells = [Text.from_markup(c) for c in cells]
        self.short = [Text.from_markup(c) for c in short] if short is not None else None
        self.min_width = min_width
        self.justify = justify
        self.width = self.natural()

    def natural(self) -> int:
        from rich.cells import cell_len

        return max([cell_len(self.header), *(c.cell_len for c in self.cells)])


def fit_table(title: str, columns: list[FitColumn], steps: list[tuple[str, str]], *, width: int | None = None):
    """A rich Table of ``columns`` that fits ``width`` (default: the console's) with one
    line per row: while it is too wide, apply ``steps`` in order, each ("drop", header),
    ("short", header) or ("shrink", header) (cut to its min_width with …)."""
    from rich import box
    from rich.table import Table

    width = width or console.width
    cols = list(columns)

    def total() -> int:
        return sum(c.width for c in cols) + 3 * (len(cols) - 1)  # padding, separator, padding

    for action, header in steps:
        if total() <= width:
            break
        col = next((c for c in cols if c.header == header), None)
        if col is None:
            continue
        if action == "drop":
            cols.remove(col)
        elif action == "short" and col.short is not None:
            col.cells, col.short = col.short, None
            col.width = col.natural()
        elif action == "shrink" and col.min_width is not None:
            col.width = max(col.min_width, col.width - (total() - width))
    t = Table(title=title, box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, padding=(0, 1),
              collapse_padding=False)
    for c in cols:
        t.add_column(c.header, width=c.width, no_wrap=True, overflow="ellipsis", justify=c.justify)  # type: ignore[arg-type]
    for r in range(len(cols[0].cells) if cols else 0):
        t.add_row(*(c.cells[r] for c in cols))
    return t
