"""The typer app and the terminal helpers shared by the command modules of this package (check.py, collect.py, …)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import UnionType
from typing import Any, Union, get_args, get_origin

import typer
from rich.console import Console, JustifyMethod

from ..catalogue.access import say

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


# --- light option handling -------------------------------------------------------------------
# typer (0.2x) converts every option's value through a pydantic TypeAdapter built on first
# use; importing pydantic alone costs ~0.23 s of CPU on every gipr command.  gipr's options
# are all plain — str, Path, int, bool, Optional/List of those, Tuple[str, int] — and are
# converted here; anything else (and a typer without this hook) is left to typer.

def _bool(v: Any) -> bool:
    if isinstance(v, bool):
        return v
    t = str(v).strip().lower()
    if t in ("1", "true", "t", "yes", "y", "on"):
        return True
    if t in ("0", "false", "f", "no", "n", "off"):
        return False
    raise ValueError(v)


_PLAIN: dict[Any, Callable[[Any], Any]] = {str: str, Path: Path, int: int, bool: _bool}
_PATH_CHECKS = ("exists", "resolve_path", "writable", "allow_dash", "path_type", "parser", "click_type",
                "min", "max")


def _converter(annotation: Any, info: Any) -> Callable[[Any], Any] | None:
    if any(getattr(info, a, None) not in (None, False) for a in _PATH_CHECKS):
        return None
    if getattr(info, "file_okay", True) is not True or getattr(info, "dir_okay", True) is not True:
        return None
    origin, args = get_origin(annotation), get_args(annotation)
    if origin in (Union, UnionType) and len(args) == 2 and type(None) in args:  # Optional[X]
        return _converter(next(a for a in args if a is not type(None)), info)
    if origin is list and len(args) == 1 and args[0] in _PLAIN:
        one = _PLAIN[args[0]]
        return lambda v: [one(x) for x in v]
    if origin is tuple and args and Ellipsis not in args and all(a in _PLAIN for a in args):
        convs = [_PLAIN[a] for a in args]

        def conv(v: Any) -> tuple:
            if len(v) != len(convs):
                raise ValueError(v)
            return tuple(c(x) for c, x in zip(convs, v))

        return conv
    return _PLAIN.get(annotation)


def _install_light_params() -> None:
    try:
        from typer import _coercion, core
        from typer._click.exceptions import BadParameter
    except ImportError:  # another typer: it keeps its own handling
        return
    cls = getattr(core, "_TyperParameter", None)
    base = getattr(_coercion, "RuntimeParam", None)
    original = getattr(cls, "get_runtime_param", None)
    if cls is None or base is None or original is None or getattr(original, "_gipr", False):
        return

    @dataclass(frozen=True)
    class PlainParam(base):  # type: ignore[misc, valid-type]  # typer's parameter class, found at run time
        convert: Callable[[Any], Any] = str

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            if isinstance(value, str) and self.convert is str:
                return value
            try:
                return self.convert(value)
            except (TypeError, ValueError):
                raise BadParameter(say("cli.bad_option_value", value=value), ctx=ctx, param=param) from None

    def get_runtime_param(self: Any) -> Any:
        if getattr(self, "_runtime_param", None) is None:
            desc = getattr(self, "type_descriptor", None)
            conv = None
            if desc is not None and getattr(desc, "file_annotation", None) is None:
                conv = _converter(desc.annotation, desc.parameter_info)
            if desc is not None and conv is not None:
                self._runtime_param = PlainParam(parameter_info=desc.parameter_info, annotation=desc.annotation,
                                                 convert=conv)
        return original(self)

    get_runtime_param._gipr = True  # type: ignore[attr-defined]  # a mark on the function: patched once
    cls.get_runtime_param = get_runtime_param


_install_light_params()

# ---------------------------------------------------------------------------------------
# tables that fit the terminal: one line per row


class FitColumn:
    """One column of :func:`fit_table`: a header and one cell (rich markup) per row;
    ``short``: shorter cells to use when the table is too wide; ``min_width``: the column
    may be cut (with …) down to this width."""

    def __init__(self, header: str, cells: list[str], *, short: list[str] | None = None,
                 min_width: int | None = None, justify: JustifyMethod = "left"):
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
        t.add_column(c.header, width=c.width, no_wrap=True, overflow="ellipsis", justify=c.justify)
    for r in range(len(cols[0].cells) if cols else 0):
        t.add_row(*(c.cells[r] for c in cols))
    return t
