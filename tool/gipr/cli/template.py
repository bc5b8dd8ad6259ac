"""gipr template: protected Excel templates, one per roster unit or one blank."""

from __future__ import annotations

from pathlib import Path

import typer

from ..catalogue.access import say
from ..errors import GiprError, SpecError
from ..spec import available_formats, format_for_year, load_format
from ..template import DEFAULT_PASSWORD
from .app import app, console, err_console


def _year(year: int) -> int:
    if not 2000 <= year <= 2100:
        raise GiprError(say("cli.template.year", year=year), "usage.year")
    return year


def _format(fmt: str | None, year: int) -> str:
    if fmt is None:
        try:
            return format_for_year(year)
        except SpecError as e:
            raise GiprError(str(e)) from None
    if fmt not in available_formats():
        raise GiprError(say("cli.template.format", fmt=fmt, items='、'.join(available_formats())), "usage.format")
    return fmt


@app.command("template")
def template_cmd(
    year: int = typer.Option(..., "--year", help="报告年度，例如 2025（决定默认格式：2019–2020 用 2019 试行格式，2021 起用 2021 格式）"),
    out: Path = typer.Option(..., "--out", help="输出：有 --roster 时为文件夹（每个单位一个文件）；无 --roster 时为一个 .xlsx 空白模板"),
    roster: Path | None = typer.Option(None, "--roster", help="单位名册（.csv 或 .xlsx，列：单位代码、单位名称、类别、联系人、邮箱）"),
    unit: list[str] | None = typer.Option(None, "--unit", help="只生成这些单位（单位代码，可重复）"),
    format: str | None = typer.Option(None, "--format", help="报告格式（2021 或 2019），默认按年度选择"),
    password: str = typer.Option(DEFAULT_PASSWORD, "--password", help=f"工作表和工作簿结构的保护密码（默认“{DEFAULT_PASSWORD}”；保护只防误改，不是安全措施）"),
    no_protect: bool = typer.Option(False, "--no-protect", help="不设工作表保护和工作簿结构保护"),
    force: bool = typer.Option(False, "--force", help="替换已存在的同名文件"),
    skip_existing: bool = typer.Option(False, "--skip-existing", help="已存在的同名文件保留不动，只生成缺少的"),
    workers: int | None = typer.Option(None, "--workers", help="渲染进程数（默认 1：渲染很快，写文件已用多线程并行）"),
) -> None:
    """生成填报模板（受保护的 Excel 工作簿）：每个单位一个，或一个空白模板。"""
    from ..roster import load_roster  # lazy: keeps gipr --help light (benchmarks/bench_startup.py)
    from ..template import (  # lazy: keeps gipr --help light (benchmarks/bench_startup.py)
        check_password,
        template_filename,
        write_template,
        write_templates,
    )

    year = _year(year)
    spec = load_format(_format(format, year))
    if force and skip_existing:
        raise GiprError(say("cli.template.template_cmd"), "usage.conflict")
    protect = not no_protect
    if protect:
        check_password(password)  # before any work: a password Excel could not unlock is refused
    pw_note = say("cli.template.template_cmd.pw_note", password=password) if protect else say("cli.template.template_cmd.pw_note_2")

    if roster is None:
        if unit:
            raise GiprError(say("cli.template.template_cmd_2"), "usage.unit")
        path = out
        if out.suffix.lower() != ".xlsx":
            if out.exists() and not out.is_dir():
                raise GiprError(say("cli.template.template_cmd_3", out=out), "usage.out")
            path = out / template_filename(year, None)
        if path.exists() and skip_existing:
            console.print(say("cli.template.template_cmd_4", path=path))
            return
        write_template(path, spec, year=year, unit=None, overwrite=force, protect=protect, password=password)
        console.print(say("cli.template.template_cmd_5", path=path, year=year, id=spec.id, pw_note=pw_note))
        return

    units = load_roster(roster)
    if unit:
        wanted = {u.strip() for u in unit}
        missing = wanted - {u.code for u in units}
        if missing:
            raise GiprError(say("cli.template.template_cmd_6", roster=roster, items='、'.join(sorted(missing))), "usage.unit")
        units = [u for u in units if u.code in wanted]
    if out.suffix.lower() == ".xlsx":
        if len(units) != 1:
            raise GiprError(say("cli.template.template_cmd_7", out=out, n_units=len(units)), "usage.out")
        if out.exists() and skip_existing:
            console.print(say("cli.template.template_cmd_8", out=out))
            return
        write_template(out, spec, year=year, unit=units[0], overwrite=force, protect=protect, password=password)
        console.print(say("cli.template.template_cmd_9", name=units[0].name, out=out, year=year, id=spec.id,
                          pw_note=pw_note))
        return

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(TextColumn(say("cli.template.template_cmd_10")), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=err_console, transient=True, disable=len(units) < 20) as bar:
        task = bar.add_task("template", total=len(units))
        results = write_templates(spec, year, units, out, overwrite=force, skip_existing=skip_existing,
                                  protect=protect, password=password, workers=workers,
                                  progress=lambda n: bar.advance(task, n))
    written = [r for r in results if r.status == "written"]
    skipped = [r for r in results if r.status == "skipped"]
    console.print(say("cli.template.template_cmd_11", n_written=len(written), out=out, year=year, id=spec.id,
                      pw_note=pw_note))
    if skipped:
        console.print(say("cli.template.template_cmd_12", n_skipped=len(skipped)) + "、".join(r.path.name for r in skipped[:5])
                      + (say("cli.template.template_cmd_13") if len(skipped) > 5 else ""))
