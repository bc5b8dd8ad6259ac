"""gipr init / gipr collect / gipr status."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from ..collect.workspace import who_am_i
from ..errors import GiprError
from ..messages import SEVERITY_ZH, say
from .app import FitColumn, app, console, err_console, fit_table, print_json

WS_HELP = "工作目录（默认：当前文件夹）"


@app.command("init")
def init_cmd(
    directory: Path = typer.Argument(..., help="要创建的工作目录（一个年度的收集）"),
    year: int = typer.Option(..., "--year", help="报告年度，如 2025"),
    roster: Path = typer.Option(..., "--roster", help="单位名册（.csv 或 .xlsx），列：单位代码、单位名称、类别、联系人、邮箱"),
    county: str | None = typer.Option(None, "--county", help="本级名称，如“某某县”"),
    format: str | None = typer.Option(None, "--format", help="表格格式：2021 或 2019（默认按年度选择）"),
) -> None:
    """创建工作目录：配置文件、名册副本、台账（SQLite）和存档文件夹。"""
    from ..collect.workspace import Workspace

    ws = Workspace.create(directory, year, roster, county=county, format=format)
    try:
        console.print(f"已创建工作目录 {escape(str(ws.root))}：{ws.year} 年度，格式 {ws.format}，"
                      f"名册 {len(ws.roster)} 个单位。")
        if ws.county:
            how = "" if county else "（取自名册文件名；可在 gipr.toml 中修改）"
            console.print(f"  本级名称：{escape(ws.county)}{how}")
        else:
            console.print("  本级名称：未设置（汇总表将只叫“汇总”；可在 gipr.toml 的 county 中填写）")
        console.print(f"  配置：{escape(str(ws.config_path))}")
        console.print(f"  名册：{escape(str(ws.roster_path))}")
        console.print(f"  台账：{escape(str(ws.ledger_path))}")
        console.print(f"  存档：{escape(str(ws.archive_dir))}")
        console.print("下一步：把收到的文件或导出的邮箱交给“gipr collect 文件夹 -w 工作目录”。")
    finally:
        ws.close()


class _RichProgress:
    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.bar = None
        self.task = None

    def start(self, total: int) -> None:
        if not self.enabled or total < 5:
            return
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self.bar = Progress(TextColumn("收集中"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                            TextColumn("{task.description}"), console=err_console, transient=True)
        self.bar.start()
        self.task = self.bar.add_task("", total=total)

    def advance(self, label: str) -> None:
        if self.bar is not None:
            self.bar.update(self.task, advance=1, description=escape(label[:40]))

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None


@app.command("collect")
def collect_cmd(
    sources: list[Path] | None = typer.Argument(None, help="文件夹（含子文件夹）、表格文件、.eml 邮件、.mbox 邮箱或 Maildir 文件夹"),
    workspace: Path | None = typer.Option(None, "--workspace", "-w", help=WS_HELP),
    as_json: bool = typer.Option(False, "--json", help="以 JSON 输出收集结果"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="只输出汇总"),
    imap: bool = typer.Option(False, "--imap", help="从收件邮箱（gipr.toml [imap]）取邮件；只读，不删除、不移动、不标记已读"),
    folder: str | None = typer.Option(None, "--folder", help="--imap 的邮箱文件夹（默认 [imap] folder 或 INBOX）"),
    since: str | None = typer.Option(None, "--since", help="--imap 只取此日期（含）以后收到的邮件，如 2025-01-13"),
    previous: Path | None = typer.Option(None, "--previous", help="上年的工作目录、单位报表（文件夹）或公开的年报："
                                            "单位的年报文稿按上年核对上年结转和现行有效"),
) -> None:
    """收集报表：先存档原始文件，再读取、校验、识别单位，记入台账。重复收集不会重复记录。

    退出状态：0 全部正常；1 有报表存在错误或无法识别单位；2 有文件无法读取或未能收集。
    """
    from ..collect import Collector
    from ..collect.workspace import Workspace

    if not sources and not imap:
        raise GiprError("请给出要收集的文件或文件夹，或加 --imap 从收件邮箱收取。", "usage")
    ws = Workspace.open(workspace)
    progress = _RichProgress(enabled=not as_json and err_console.is_terminal)
    try:
        from ..collect.imap import imap_fetcher

        # asks the password before the lock
        imap_job = imap_fetcher(ws, since, folder, None if as_json else _print_fetched) if imap else None
        with ws.lock():
            collector = Collector(ws, progress)
            collector.previous = previous
            try:
                result = collector.collect_paths(sources or [])
                if imap_job is not None:
                    imap_job(collector)
            except KeyboardInterrupt:
                # typer turns Ctrl-C into a silent return code: say here what was kept
                progress.stop()
                n = collector.result.counts["new"]
                err_console.print(f"已中断（Ctrl-C）。中断前已记入台账的 {n} 份新报送均已保存；"
                                  "重新运行同一命令即可继续，已收集的不会重复记录。")
                raise SystemExit(130) from None
            finally:
                progress.stop()
        names = {u.code: u.name for u in ws.roster}
    finally:
        ws.close()
    if as_json:
        print_json(result.to_json())
    else:
        _print_collect(result, names, quiet)
    if result.exit_code:
        raise SystemExit(result.exit_code)  # typer.Exit is swallowed by standalone_mode=False


def _print_collect(result, names: dict[str, str], quiet: bool) -> None:
    from ..messages import SUBMISSION_STATUS_ZH as STATUS_ZH

    if not quiet:
        for o in result.outcomes:
            s = o.submission
            if o.result == "duplicate":
                continue
            unit = names.get(s.unit_code, s.unit_code) if s and s.unit_code else "未识别单位"
            line = f"#{s.id} {escape(o.file_name)} → {escape(unit)}：{STATUS_ZH.get(s.status, s.status)}"
            if s.status == "errors":
                line += f"（错误 {s.errors} 处，警告 {s.warnings} 处）"
            elif s.status == "accepted" and s.warnings:
                line += f"（警告 {s.warnings} 处）"
            style = {"accepted": "green", "errors": "yellow", "unreadable": "red", "unidentified": "magenta"}.get(
                s.status, "")
            console.print(f"[{style}]{line}[/{style}]" if style else line)
            if s.status in ("unreadable", "unidentified") and o.reason:
                console.print(f"    原因：{escape(o.reason)}")
                console.print(f"    来源：{escape(o.source)}")
        for o in result.skipped:
            console.print(f"[red]未收集：{escape(o.file_name)}：{escape(o.reason or '')}[/red]")
        for n in result.no_attachment:
            console.print(f"没有表格附件的邮件：{escape(n)}")
    from ..collect.mailparse import MAX_ATTACHMENTS, MAX_DROPPED_NOTED
    from ..messages import say

    for d in result.dropped:  # printed even with --quiet: attachments that were not collected
        names = d["names"][:MAX_DROPPED_NOTED]
        more = say("collect.dropped_more", n=d["total"]) if d["total"] > len(names) else ""
        console.print("[red]" + escape(say("collect.dropped_line", limit=MAX_ATTACHMENTS, n=d["total"],
                                           message=d["message"], names="、".join(names), more=more)) + "[/red]")
    c = result.counts
    console.print(
        f"收集完成：新收 {c['new']} 份（无误 {c['accepted']}，有错误 {c['errors']}，"
        f"未识别单位 {c['unidentified']}，无法读取 {c['unreadable']}）；重复 {c['duplicate']} 份"
        + (f"；未收集 {c['skipped']} 个" if c["skipped"] else "")
        + (f"；无表格附件的邮件 {c['no_attachment']} 封" if c["no_attachment"] else "")
        + (f"；忽略非表格文件 {c['ignored']} 个" if c["ignored"] else "")
        + (say("collect.summary_dropped", n=c["dropped"]) if c["dropped"] else "")
        + "。")
    if c["unidentified"]:
        console.print("未识别单位的报送可用“gipr status --use 单位代码 报送编号”人工指定。")


@app.command("status")
def status_cmd(
    workspace: Path | None = typer.Option(None, "--workspace", "-w", help=WS_HELP),
    as_json: bool = typer.Option(False, "--json", help="以 JSON 输出"),
    out: Path | None = typer.Option(None, "--out", "-o", help="另存为 Excel 文件（.xlsx）"),
    force: bool = typer.Option(False, "--force", help="--out 文件已存在时替换它"),
    use: tuple[str, int] | None = typer.Option(None, "--use", help="人工指定某单位采用哪一份报送：--use 单位代码 报送编号"),
    unuse: str | None = typer.Option(None, "--unuse", help="取消某单位的人工指定，恢复为最新报送"),
    note: str | None = typer.Option(None, "--note", help="人工指定的说明（记入台账）"),
    show_all: bool = typer.Option(False, "--all", help="同时列出全部报送（含重复、旧版本）"),
    unit: str | None = typer.Option(None, "--unit", help="只看这个单位的全部报送"),
    verify: bool = typer.Option(False, "--verify", help="检查台账完整性和存档文件的哈希"),
) -> None:
    """报送情况：每个单位的当前报送、时间、状态和错误数；未报送和有错误的单位。"""
    from ..collect.ledger import pin_submission
    from ..collect.workspace import Workspace
    from ..merge.status import status_report, write_status_xlsx

    ws = Workspace.open(workspace)
    try:
        roster = ws.roster
        led = ws.ledger
        if use is not None or unuse is not None:
            if use is not None and unuse is not None:
                raise GiprError("--use 和 --unuse 不能同时使用。", "usage")
            with ws.lock():
                if use is not None:
                    o = pin_submission(led, roster, use[0], int(use[1]), who_am_i(), note)
                    u = ws.unit(o.unit_code)
                    console.print(f"已指定：{escape(u.name if u else o.unit_code)} 采用报送 #{o.submission_id}"
                                  f"（{escape(o.set_by)}，记入台账）。")
                else:
                    o = pin_submission(led, roster, unuse, None, who_am_i(), note)  # type: ignore[arg-type]
                    u = ws.unit(o.unit_code)
                    console.print(f"已取消 {escape(u.name if u else o.unit_code)} 的人工指定，恢复为最新报送。")
        data = status_report(ws, verify=verify, findings=bool(unit))
        findings = data.pop("findings", None)  # the current findings for --unit (not part of --json)
        if out is not None:
            write_status_xlsx(out, data, led, {u.code: u.name for u in roster}, overwrite=force)
        if as_json:
            print_json(data)
        else:
            _print_status(ws, data, led, show_all=show_all, unit=unit, findings=findings)
            if out is not None:
                console.print(f"已写入 {escape(str(out))}")
        if verify and data["integrity"]:
            raise SystemExit(2)  # typer.Exit is swallowed by standalone_mode=False
    finally:
        ws.close()


# How the tables give way in a narrow terminal (one line per row): the first steps first.
STATUS_FIT = [("drop", "识别方式"), ("short", "收到时间"), ("shrink", "文件名"), ("drop", "报送"), ("drop", "文件名"),
              ("drop", "警告"), ("shrink", "单位"), ("drop", "收到时间")]
SUBMISSIONS_FIT = [("drop", "存档"), ("shrink", "来源"), ("drop", "识别方式"), ("short", "收到时间"),
                   ("shrink", "文件名"), ("drop", "来源"), ("shrink", "单位"), ("drop", "文件名"), ("drop", "收到时间")]


def _print_status(ws, data, led, *, show_all: bool, unit: str | None, findings: dict | None = None) -> None:
    from ..collect.ledger import IDENTIFIED_ZH, local_time
    from ..messages import SUBMISSION_STATUS_ZH as STATUS_ZH

    names = {u["code"]: u["name"] for u in data["units"]}
    if unit:
        code = unit if unit in names else next((c for c, n in names.items() if n == unit), None)
        if code is None:
            raise GiprError(f"单位名册中没有“{unit}”。", "status.unknown_unit")
        _print_submissions(led.submissions(code), names, f"{names[code]}（{code}）的全部报送")
        cur = led.current().get(code)
        if cur is not None:
            shown = [f for f in (findings or {}).get(code, cur.findings) if f.get("severity") in ("error", "warning")]
            console.print(f"当前采用报送 #{cur.id}" + ("（人工指定）" if cur.pinned else "")
                          + (f"，校验问题 {len(shown)} 条：" if shown else "，没有校验问题。"))
            for f in shown[:50]:
                sev = "错误" if f["severity"] == "error" else "警告"
                where = f"{f['ref']} " if f.get("ref") else ""
                console.print(f"  [{'red' if sev == '错误' else 'yellow'}]{sev}[/] {escape(where)}{escape(f['message'] or '')}")
            if len(shown) > 50:
                console.print(f"  ……另有 {len(shown) - 50} 条，用 gipr check 查看存档文件的全部问题。")
        doc = next((u.get("document") for u in data["units"] if u["code"] == code), None)
        if doc is not None:
            console.print(say("document.status_line", state=doc["state_zh"], errors=doc.get("errors", 0),
                              warnings=doc.get("warnings", 0), file=f"：{escape(doc['file_name'])}"
                              if doc.get("file_name") else ""))
            for f in [f for f in doc["findings"] if f.get("severity") in ("error", "warning")][:50]:
                sev = SEVERITY_ZH[f["severity"]]
                console.print(f"  [{'red' if f['severity'] == 'error' else 'yellow'}]{sev}[/] {escape(f['message'] or '')}")
        hist = led.override_history(code)
        for o in hist:
            what = f"指定报送 #{o.submission_id}" if o.submission_id else "取消指定"
            console.print(f"人工指定记录：{local_time(o.set_at)} {escape(o.set_by)} {what}"
                          + (f"：{escape(o.note)}" if o.note else ""))
        return
    title = f"{ws.year} 年度报送情况" + (f"（{escape(ws.county)}）" if ws.county else "")
    style = {"accepted": "green", "errors": "yellow", "unreadable": "red", "missing": "dim"}
    units = data["units"]
    states = []
    for u in units:
        st = STATUS_ZH.get(u["status"], u["status"])
        if u["pinned"]:
            st += "（人工指定）"
        states.append(f"[{style[u['status']]}]{escape(st)}[/]")
    t = fit_table(title, [
        FitColumn("代码", [escape(u["code"]) for u in units]),
        FitColumn("单位", [escape(u["name"]) for u in units], min_width=10),
        FitColumn("状态", states),
        FitColumn("报送", [f"#{u['submission']}" if u["submission"] else "" for u in units]),
        FitColumn("收到时间", [local_time(u["received_at"]) for u in units],
                  short=[local_time(u["received_at"])[5:] for u in units]),
        FitColumn("错误", ["" if u["errors"] is None else str(u["errors"]) for u in units], justify="right"),
        FitColumn("警告", ["" if u["warnings"] is None else str(u["warnings"]) for u in units], justify="right"),
        FitColumn("文件名", [escape(u["file_name"] or "") for u in units], min_width=12),
        FitColumn("识别方式", [IDENTIFIED_ZH.get(u["identified_by"] or "", "") if u["submission"] else ""
                           for u in units]),
    ] + ([FitColumn("年报", [escape(u["document"]["state_zh"]) for u in units])] if "documents" in data else []),
        STATUS_FIT)
    console.print(t)
    tot = data["totals"]
    console.print(f"共 {tot['units']} 个单位：无误 {tot['accepted']}，有错误 {tot['errors']}，"
                  f"无法读取 {tot['unreadable']}，未报送 {tot['missing']}。台账共 {tot['submissions']} 份报送。")
    if data["missing"]:
        console.print("未报送：" + "、".join(escape(names[c]) for c in data["missing"]))
    if data["with_errors"]:
        console.print("有错误：" + "、".join(f"{escape(names[c])}（{u['errors']} 处）" for c in data["with_errors"]
                                          for u in data["units"] if u["code"] == c))
    if data["unreadable"]:
        console.print("最新报送无法读取：" + "、".join(escape(names[c]) for c in data["unreadable"]))
    for u in data["units"]:
        if u.get("review"):
            console.print(f"需核对：{escape(u['name'])}（与上年对比：{escape('；'.join(u['review']))}）")
    pinned = [u for u in data["units"] if u["override"]]
    for u in pinned:
        o = u["override"]
        console.print(f"人工指定：{escape(u['name'])} 采用报送 #{o['submission']}（{escape(o['by'])}，"
                      f"{local_time(o['at'])}）" + (f"：{escape(o['note'])}" if o["note"] else ""))
    if data["unattached"]:
        console.print(f"[magenta]未归入任何单位的报送 {len(data['unattached'])} 份[/magenta]"
                      "（可用“gipr status --use 单位代码 报送编号”人工指定）：")
        for s in data["unattached"]:
            console.print(f"  #{s['submission']} {escape(s['file_name'])}：{STATUS_ZH.get(s['status'], s['status'])}"
                          + (f"，{escape(s['reason'])}" if s["reason"] else ""))
            console.print(f"      来源：{escape(s['source'])}")
    if "integrity" in data:
        if data["integrity"]:
            console.print("[red]台账完整性检查发现问题：[/red]")
            for p in data["integrity"]:
                console.print(f"  {escape(p)}")
        else:
            console.print("台账完整性检查：正常；所有存档文件与哈希一致。")
    if show_all:
        _print_submissions(led.submissions(), names, "全部报送")


def _print_submissions(subs, names, title) -> None:
    from ..collect.ledger import IDENTIFIED_ZH, local_time
    from ..messages import SUBMISSION_STATUS_ZH as STATUS_ZH

    states = []
    for s in subs:
        st = STATUS_ZH.get(s.status, s.status)
        if s.status == "duplicate":
            st += f"（同 #{s.duplicate_of}）"
        states.append(escape(st))
    t = fit_table(title, [
        FitColumn("报送", [f"#{s.id}" for s in subs]),
        FitColumn("单位", [escape(names.get(s.unit_code, s.unit_code or "")) for s in subs], min_width=10),
        FitColumn("状态", states),
        FitColumn("收到时间", [local_time(s.received_at) for s in subs],
                  short=[local_time(s.received_at)[5:] for s in subs]),
        FitColumn("错误", [str(s.errors) for s in subs], justify="right"),
        FitColumn("文件名", [escape(s.file_name) for s in subs], min_width=12),
        FitColumn("识别方式", [IDENTIFIED_ZH.get(s.identified_by, s.identified_by) for s in subs]),
        FitColumn("来源", [escape(s.source) for s in subs], min_width=12),
        FitColumn("存档", [escape(str(s.archive_path)) for s in subs], min_width=12),
    ], SUBMISSIONS_FIT)
    console.print(t)


def _print_fetched(r) -> None:
    console.print(f"收件邮箱 {escape(r.account)} 文件夹“{escape(r.folder)}”：共 {r.total} 封，"
                  f"本次收取 {r.fetched} 封，以前已收取 {r.already} 封"
                  + (f"，过大未收取 {r.too_large} 封" if r.too_large else "")
                  + (f"，其中 {r.own} 封是 gipr 自己发出的邮件（未作为报送收集）" if r.own else "")
                  + ("（文件夹的 UIDVALIDITY 已变化：邮件按 Message-ID 和内容去重，不会重复计数）"
                     if r.uidvalidity_changed else "") + "。")
