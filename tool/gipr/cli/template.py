"""gipr template: protected Excel templates, one per roster unit or one blank."""

from __future__ import annotations

from pathlib import Path

import typer

from ..errors import GiprError, SpecError
from ..spec import available_formats, format_for_year, load_format
from ..template import DEFAULT_PASSWORD, check_password, template_filename, write_template, write_templates
from .app import app, console, err_console


def _year(year: int) -> int:
    if not 2000 <= year <= 2100:
        raise GiprError(f"报告年度“{year}”不合理（应为 2000–2100 之间的年份，例如 2025）。", "usage.year")
    return year


def _format(fmt: str | None, year: int) -> str:
    if fmt is None:
        try:
            return format_for_year(year)
        except SpecError as e:
            raise GiprError(str(e)) from None
    if fmt not in available_formats():
        raise GiprError(f"未知的报告格式“{fmt}”，可用：{'、'.join(available_formats())}", "usage.format")
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
    from ..roster import load_roster

    year = _year(year)
    spec = load_format(_format(format, year))
    if force and skip_existing:
        raise GiprError("--force 与 --skip-existing 不能同时使用。", "usage.conflict")
    protect = not no_protect
    if protect:
        check_password(password)  # before any work: a password Excel could not unlock is refused
    pw_note = f"保护密码“{password}”" if protect else "未设保护"

    if roster is None:
        if unit:
            raise GiprError("--unit 需要与 --roster 一起使用。", "usage.unit")
        path = out
        if out.suffix.lower() != ".xlsx":
            if out.exists() and not out.is_dir():
                raise GiprError(f"输出位置 {out} 不是 .xlsx 文件名，也不是文件夹。", "usage.out")
            path = out / template_filename(year, None)
        if path.exists() and skip_existing:
            console.print(f"已存在，保留不动：{path}")
            return
        write_template(path, spec, year=year, unit=None, overwrite=force, protect=protect, password=password)
        console.print(f"已生成空白模板：{path}（{year} 年度，格式 {spec.id}，{pw_note}；单位名称由填报单位在封面填写）")
        return

    units = load_roster(roster)
    if unit:
        wanted = {u.strip() for u in unit}
        missing = wanted - {u.code for u in units}
        if missing:
            raise GiprError(f"单位名册 {roster} 中没有单位代码：{'、'.join(sorted(missing))}", "usage.unit")
        units = [u for u in units if u.code in wanted]
    if out.suffix.lower() == ".xlsx":
        if len(units) != 1:
            raise GiprError(f"--out {out} 是一个文件名，但要生成 {len(units)} 个模板：请给一个文件夹，"
                            "或用 --unit 只选一个单位。", "usage.out")
        if out.exists() and skip_existing:
            console.print(f"已存在，保留不动：{out}")
            return
        write_template(out, spec, year=year, unit=units[0], overwrite=force, protect=protect, password=password)
        console.print(f"已生成 {units[0].name} 的模板：{out}（{year} 年度，格式 {spec.id}，{pw_note}）")
        return

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(TextColumn("生成模板"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=err_console, transient=True, disable=len(units) < 20) as bar:
        task = bar.add_task("template", total=len(units))
        results = write_templates(spec, year, units, out, overwrite=force, skip_existing=skip_existing,
                                  protect=protect, password=password, workers=workers,
                                  progress=lambda n: bar.advance(task, n))
    written = [r for r in results if r.status == "written"]
    skipped = [r for r in results if r.status == "skipped"]
    console.print(f"已生成 {len(written)} 个模板 → {out}（{year} 年度，格式 {spec.id}，{pw_note}）")
    if skipped:
        console.print(f"已存在、保留不动 {len(skipped)} 个：" + "、".join(r.path.name for r in skipped[:5])
                      + (" 等" if len(skipped) > 5 else ""))
