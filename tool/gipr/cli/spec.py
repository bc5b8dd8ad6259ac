"""gipr spec / gipr version."""

from __future__ import annotations

import typer

from .. import __version__
from ..catalogue.access import say
from ..errors import GiprError
from ..spec import available_formats, load_format
from .app import app, console, print_json


def format_option(fmt: str | None, default: str = "2021") -> str:
    if fmt is None:
        return default
    if fmt not in available_formats():
        raise GiprError(say("cli.spec.format_option", fmt=fmt, items='、'.join(available_formats())))
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

    console.print(say("cli.spec.spec_cmd", name=spec.name, source=spec.source, id=spec.id))
    console.print(say("cli.spec.spec_cmd_2", n_cells=len(spec.cells), n_inputs=len(spec.inputs),
                      n_totals=len(spec.totals), n_rules=len(spec.rules)))
    for t in spec.tables:
        tab = Table(title=say("cli.spec.spec_cmd.title", title=t.title, sheet=t.sheet))
        for h in (say("cli.spec.spec_cmd_3"), say("cli.spec.spec_cmd_4"), say("cli.spec.spec_cmd_5"), say("cli.spec.spec_cmd_6"), say("cli.spec.spec_cmd_7"), say("cli.spec.spec_cmd_8")):
            tab.add_column(h, overflow="fold")
        for cid in t.cells:
            c = spec.cells[cid]
            tab.add_row(c.id, c.ref, c.row, "/".join(c.column_path), c.type, say("cli.spec.spec_cmd_9") if c.input else say("cli.spec.spec_cmd_10"))
        console.print(tab)
    for fam in spec.families:
        console.print(say("cli.spec.spec_cmd_11", id=fam['id'], title=fam['title'], description=fam['description']))


@app.command("version")
def version_cmd() -> None:
    """显示 gipr 版本。"""
    console.print(f"gipr {__version__}")
