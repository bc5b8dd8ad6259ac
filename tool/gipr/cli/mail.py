"""gipr send / gipr remind: e-mail each unit its template, remind late or wrong units."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from ..catalogue.access import say
from ..messages import SEND_STATUS_ZH as STATUS_ZH
from .app import app, console, print_json

WS_HELP = say("cli.mail.ws_help")
ONLY_HELP = say("cli.mail.only_help")


def _print_outcome(o) -> None:
    who = f"{escape(o.unit_name)}（{escape(o.unit_code)}）"
    st = STATUS_ZH.get(o.status, o.status)
    if o.status == "sent":
        line = f"[green]{st}[/green] {who} → {escape(', '.join(o.recipients))}"
        if o.refused:
            line += f" [yellow]（{escape(o.error or '')}）[/yellow]"
    elif o.status == "written":
        line = f"[green]{st}[/green] {who}：{escape(o.path or '')}"
    elif o.status == "skipped":
        line = f"[dim]{st}[/dim] {who}：{escape(o.error or '')}"
    elif o.status == "uncertain":
        line = f"[magenta]{st}[/magenta] {who}：{escape(o.error or '')}"
    else:
        line = f"[red]{st}[/red] {who}：{escape(o.error or '')}"
    console.print(line)


def _summary(kind: str, outcomes, dry_run: bool, outdir: Path | None) -> None:
    n = {k: sum(1 for o in outcomes if o.status == k) for k in ("sent", "written", "failed", "uncertain", "skipped")}
    what = say("cli.mail.summary.what") if kind == "send" else say("cli.mail.summary.what_2")
    if dry_run:
        console.print(say("cli.mail.summary", what=what, written=n['written'], outdir=escape(str(outdir)))
                      + (say("cli.mail.summary_2", skipped=n['skipped']) if n["skipped"] else "")
                      + (say("cli.mail.summary_3", failed=n['failed']) if n["failed"] else "") + "。")
        return
    console.print(say("cli.mail.summary_4", what=what, sent=n['sent'], failed=n['failed'],
                      uncertain=n['uncertain'], skipped=n['skipped']))
    if n["failed"]:
        console.print(say("cli.mail.summary_5"))
    if n["uncertain"]:
        console.print(say("cli.mail.summary_6"))


def _run(kind: str, workspace: Path | None, dry_run: bool, out: Path | None, only: list[str] | None,
         resend: bool, as_json: bool) -> None:
    from ..collect.workspace import Workspace  # lazy: keeps gipr --help light (benchmarks/bench_startup.py)
    from ..mail import mail_settings, mail_units  # lazy: keeps gipr --help light (benchmarks/bench_startup.py)
    ws = Workspace.open(workspace)
    try:
        settings = mail_settings(ws, need_server=not dry_run, preview=dry_run)
        run = mail_units(ws, kind, dry_run=dry_run, out=out, only=only, resend=resend,
                         settings=settings, on_outcome=None if as_json else _print_outcome)
    finally:
        ws.close()
    if as_json:
        print_json(run.to_json())
    else:
        for note in run.notes:
            console.print(say("cli.mail.run", note=escape(note)))
        _summary(kind, run.outcomes, dry_run, run.outdir)
    if run.exit_code:
        raise SystemExit(run.exit_code)


@app.command("send")
def send_cmd(
    workspace: Path | None = typer.Option(None, "--workspace", "-w", help=WS_HELP),
    dry_run: bool = typer.Option(False, "--dry-run", help="不发送，把邮件写成 .eml 文件（可用邮件软件打开检查）"),
    out: Path | None = typer.Option(None, "--out", "-o", help="--dry-run 时 .eml 文件写入的文件夹（默认：工作目录/outbox/）"),
    only: list[str] | None = typer.Option(None, "--only", help=ONLY_HELP),
    resend: bool = typer.Option(False, "--resend", help="已发送过的单位也再发一次"),
    as_json: bool = typer.Option(False, "--json", help="以 JSON 输出结果"),
) -> None:
    """把每个单位专用的填报模板发到名册中的邮箱。每次发送都记入台账；重新运行不会重复发送。

    发件设置在工作目录的 gipr.toml [mail] 中；密码取自环境变量 GIPR_SMTP_PASSWORD 或运行时输入。
    邮件主题和正文取自工作目录中的 mail/send.txt（首次使用时生成，可修改）。

    退出状态：0 全部成功；1 有单位发送失败、无法确认或没有邮箱。
    """
    _run("send", workspace, dry_run, out, only, resend, as_json)


@app.command("remind")
def remind_cmd(
    workspace: Path | None = typer.Option(None, "--workspace", "-w", help=WS_HELP),
    dry_run: bool = typer.Option(False, "--dry-run", help="不发送，把邮件写成 .eml 文件"),
    out: Path | None = typer.Option(None, "--out", "-o", help="--dry-run 时 .eml 文件写入的文件夹"),
    only: list[str] | None = typer.Option(None, "--only", help=ONLY_HELP),
    resend: bool = typer.Option(False, "--resend", help="最近已提醒过的单位也再提醒一次"),
    as_json: bool = typer.Option(False, "--json", help="以 JSON 输出结果"),
) -> None:
    """提醒未报送的单位和报表有错误（或无法读取）的单位：邮件中写明问题，有错误的附上标注了问题的反馈表。

    同一单位同一情况在 [mail] remind_interval_hours（默认 12）小时内不重复提醒，--resend 除外。
    邮件主题和正文取自工作目录中的 mail/remind.txt（首次使用时生成，可修改）。
    """
    _run("remind", workspace, dry_run, out, only, resend, as_json)
