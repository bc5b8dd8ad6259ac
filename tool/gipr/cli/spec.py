"""gipr spec / gipr version."""

from __future__ import annotations

import typer

from .. import __version__
from ..errors import GiprError
from ..spec import available_formats, load_format
from .app import app, console, print_json


def format_option(fmt: str | None, default: str = "2021") -> str:
    if fmt is None:
        return default
    if fmt not in available_formats():
        raise GiprError(f"未知的报告格式“{fmt}”，可用：{'、'.join(available_formats())}")
    return fmt


@app.command("spec")
def spec_cmd(
    format: str | None = typer.Option(None, "--format", help="报告格式：2021 或 2019（默认 2021）"),
    as_json: bool = typer.Option(False, "--json", help="以 JSON 输出单元格表和校验规则"),
) -> None:
    """显示报告格式：每个单元格的编号、标签、类型、位置，以及勾稽关系规则。"""
    spec = load_format(format_option(format))
    if as_json:
        print_json(spec.to_json())
        return
    from rich.table import Table

    console.print(f"{spec.name}（{spec.source}），格式编号 {spec.id}")
    console.print(f"单元格 {len(spec.cells)} 个（填报 {len(spec.inputs)}，自动合计 {len(spec.totals)}），"
                  f"校验规则 {len(spec.rules)} 条")
    for t in spec.tables:
        tab = Table(title=f"{t.title}（工作表“{t.sheet}”）")
        for h in ("编号", "位置", "行", "列", "类型", "填报/合计"):
            tab.add_column(h, overflow="fold")
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
