"""gipr init / gipr collect / gipr status."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape

from ..errors import GiprError
from ..messages import SEVERITY_ZH, say
from ..messages import SUBMISSION_STATUS_ZH as STATUS_ZH
from .app import FitColumn, app, console, err_console, fit_table, print_json

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

    from ..collect.workspace import Workspace

WS_HELP = say("cli.collect.ws_help")


@app.command("init")
def init_cmd(
    directory: Path = typer.Argument(..., help="要创建的工作目录（一个年度的收集）"),
    year: int = typer.Option(..., "--year", help="报告年度，如 2025"),
    roster: Path = typer.Option(..., "--roster", help="单位名册（.csv 或 .xlsx），列：单位代码、单位名称、类别、联系人、邮箱"),
    county: str | None = typer.Option(None, "--county", help="本级名称，如“某某县”"),
    format: str | None = typer.Option(None, "--format", help="表格格式：2021 或 2019（默认按年度选择）"),
) -> None:
    """创建工作目录：配置文件、名册副本、台账（SQLite）和存档文件夹。"""
    from ..collect.workspace import Workspace  # lazy: keeps gipr --help light (benchmarks/bench_startup.py)

    ws = Workspace.create(directory, year, roster, county=county, format=format)
    try:
        console.print(say("cli.collect.init_cmd", root=escape(str(ws.root)), year=ws.year, format=ws.format,
                          n_roster=len(ws.roster)))
        if ws.county:
            how = "" if county else say("cli.collect.init_cmd.how")
            console.print(say("cli.collect.init_cmd_2", county=escape(ws.county), how=how))
        else:
            console.print(say("cli.collect.init_cmd_3"))
        console.print(say("cli.collect.init_cmd_4", config_path=escape(str(ws.config_path))))
        console.print(say("cli.collect.init_cmd_5", roster_path=escape(str(ws.roster_path))))
        console.print(say("cli.collect.init_cmd_6", ledger_path=escape(str(ws.ledger_path))))
        console.print(say("cli.collect.init_cmd_7", archive_dir=escape(str(ws.archive_dir))))
        console.print(say("cli.collect.init_cmd_8"))
    finally:
        ws.close()


class _RichProgress:
    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.bar: Progress | None = None
        self.task: TaskID | None = None

    def start(self, total: int) -> None:
        if not self.enabled or total < 5:
            return
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self.bar = Progress(TextColumn(say("cli.collect.start.bar")), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                            TextColumn("{task.description}"), console=err_console, transient=True)
        self.bar.start()
        self.task = self.bar.add_task("", total=total)

    def advance(self, label: str) -> None:
        if self.bar is not None and self.task is not None:
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
    from ..collect import Collector  # lazy: keeps gipr --help light (benchmarks/bench_startup.py)
    from ..collect.imap import imap_fetcher  # lazy: keeps gipr --help light (benchmarks/bench_startup.py)
    from ..collect.workspace import Workspace  # lazy: keeps gipr --help light (benchmarks/bench_startup.py)

    if not sources and not imap:
        raise GiprError(say("cli.collect.collect_cmd"), "usage")
    ws = Workspace.open(workspace)
    progress = _RichProgress(enabled=not as_json and err_console.is_terminal)
    try:
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
                err_console.print(say("cli.collect.collect_cmd_2", n=n))
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
    from ..collect.mailparse import (  # lazy: keeps gipr --help light (benchmarks/bench_startup.py)
        MAX_ATTACHMENTS,
        MAX_DROPPED_NOTED,
    )
    if not quiet:
        for o in result.outcomes:
            s = o.submission
            if o.result == "duplicate":
                continue
            unit = names.get(s.unit_code, s.unit_code) if s and s.unit_code else say("cli.collect.print_collect.unit")
            line = f"#{s.id} {escape(o.file_name)} → {escape(unit)}：{STATUS_ZH.get(s.status, s.status)}"
            if s.status == "errors":
                line += say("cli.collect.print_collect", errors=s.errors, warnings=s.warnings)
            elif s.status == "accepted" and s.warnings:
                line += say("cli.collect.print_collect_2", warnings=s.warnings)
            style = {"accepted": "green", "errors": "yellow", "unreadable": "red", "unidentified": "magenta"}.get(
                s.status, "")
            console.print(f"[{style}]{line}[/{style}]" if style else line)
            if s.status in ("unreadable", "unidentified") and o.reason:
                console.print(say("cli.collect.print_collect_3", reason=escape(o.reason)))
                console.print(say("cli.collect.print_collect_4", source=escape(o.source)))
        for o in result.skipped:
            console.print(say("cli.collect.print_collect_5", file_name=escape(o.file_name),
                              value=escape(o.reason or '')))
        for n in result.no_attachment:
            console.print(say("cli.collect.print_collect_6", n=escape(n)))

    for d in result.dropped:  # printed even with --quiet: attachments that were not collected
        names = d["names"][:MAX_DROPPED_NOTED]
        more = say("collect.dropped_more", n=d["total"]) if d["total"] > len(names) else ""
        console.print("[red]" + escape(say("collect.dropped_line", limit=MAX_ATTACHMENTS, n=d["total"],
                                           message=d["message"], names="、".join(names), more=more)) + "[/red]")
    c = result.counts
    console.print(
        say("cli.collect.print_collect_7", new=c['new'], accepted=c['accepted'], errors=c['errors'],
            unidentified=c['unidentified'], unreadable=c['unreadable'], duplicate=c['duplicate'])
        + (say("cli.collect.print_collect_8", skipped=c['skipped']) if c["skipped"] else "")
        + (say("cli.collect.print_collect_9", no_attachment=c['no_attachment']) if c["no_attachment"] else "")
        + (say("cli.collect.print_collect_10", ignored=c['ignored']) if c["ignored"] else "")
        + (say("collect.summary_dropped", n=c["dropped"]) if c["dropped"] else "")
        + "。")
    if c["unidentified"]:
        console.print(say("cli.collect.print_collect_11"))


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
    from ..collect.ledger import pin_submission  # lazy: keeps gipr --help light (benchmarks/bench_startup.py)
    from ..collect.workspace import Workspace, who_am_i  # lazy: keeps gipr --help light (benchmarks/bench_startup.py)
    from ..merge.status import (  # lazy: keeps gipr --help light (benchmarks/bench_startup.py)
        status_report,
        write_status_xlsx,
    )

    ws = Workspace.open(workspace)
    try:
        roster = ws.roster
        led = ws.ledger
        if use is not None or unuse is not None:
            if use is not None and unuse is not None:
                raise GiprError(say("cli.collect.status_cmd"), "usage")
            with ws.lock():
                if use is not None:
                    o = pin_submission(led, roster, use[0], int(use[1]), who_am_i(), note)
                    u = ws.unit(o.unit_code)
                    console.print(say("cli.collect.status_cmd_2", value=escape(u.name if u else o.unit_code),
                                      submission_id=o.submission_id, set_by=escape(o.set_by)))
                else:
                    assert unuse is not None  # one of the two, checked above
                    o = pin_submission(led, roster, unuse, None, who_am_i(), note)
                    u = ws.unit(o.unit_code)
                    console.print(say("cli.collect.status_cmd_3", value=escape(u.name if u else o.unit_code)))
        data = status_report(ws, verify=verify, findings=bool(unit))
        findings = data.pop("findings", None)  # the current findings for --unit (not part of --json)
        if out is not None:
            write_status_xlsx(out, data, led, {u.code: u.name for u in roster}, overwrite=force)
        if as_json:
            print_json(data)
        else:
            _print_status(ws, data, led, show_all=show_all, unit=unit, findings=findings)
            if out is not None:
                console.print(say("cli.collect.status_cmd_4", out=escape(str(out))))
        if verify and data["integrity"]:
            raise SystemExit(2)  # typer.Exit is swallowed by standalone_mode=False
    finally:
        ws.close()


# How the tables give way in a narrow terminal (one line per row): the first steps first.
STATUS_FIT = [("drop", say("cli.collect.status_fit")), ("short", say("cli.collect.status_fit_2")), ("shrink", say("cli.collect.status_fit_3")), ("drop", say("cli.collect.status_fit_4")), ("drop", say("cli.collect.status_fit_3")),
              ("drop", say("cli.collect.status_fit_5")), ("shrink", say("cli.collect.status_fit_6")), ("drop", say("cli.collect.status_fit_2"))]
SUBMISSIONS_FIT = [("drop", say("cli.collect.submissions_fit")), ("shrink", say("cli.collect.submissions_fit_2")), ("drop", say("cli.collect.status_fit")), ("short", say("cli.collect.status_fit_2")),
                   ("shrink", say("cli.collect.status_fit_3")), ("drop", say("cli.collect.submissions_fit_2")), ("shrink", say("cli.collect.status_fit_6")), ("drop", say("cli.collect.status_fit_3")), ("drop", say("cli.collect.status_fit_2"))]


def _print_status(ws: Workspace, data, led, *, show_all: bool, unit: str | None, findings: dict | None = None) -> None:
    from ..collect.ledger import (  # lazy: keeps gipr --help light (benchmarks/bench_startup.py)
        IDENTIFIED_ZH,
        local_time,
    )
    names = {u["code"]: u["name"] for u in data["units"]}
    if unit:
        code = unit if unit in names else next((c for c, n in names.items() if n == unit), None)
        if code is None:
            raise GiprError(say("cli.collect.print_status", unit=unit), "status.unknown_unit")
        _print_submissions(led.submissions(code), names, say("cli.collect.print_status_2", names=names[code],
                                                             code=code))
        cur = led.current().get(code)
        if cur is not None:
            shown = [f for f in (findings or {}).get(code, cur.findings) if f.get("severity") in ("error", "warning")]
            console.print(say("cli.collect.print_status_3", id=cur.id) + (say("cli.collect.print_status_4") if cur.pinned else "")
                          + (say("cli.collect.print_status_5", n_shown=len(shown)) if shown else say("cli.collect.print_status_6")))
            for f in shown[:50]:
                sev = say("cli.collect.print_status.sev") if f["severity"] == "error" else say("cli.collect.status_fit_5")
                where = f"{f['ref']} " if f.get("ref") else ""
                console.print(f"  [{'red' if sev == say('cli.collect.print_status.sev') else 'yellow'}]{sev}[/] {escape(where)}{escape(f['message'] or '')}")
            if len(shown) > 50:
                console.print(say("cli.collect.print_status_7", value=len(shown) - 50))
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
            what = say("cli.collect.print_status.what", submission_id=o.submission_id) if o.submission_id else say("cli.collect.print_status.what_2")
            console.print(say("cli.collect.print_status_8", local_time=local_time(o.set_at),
                              set_by=escape(o.set_by), what=what)
                          + (f"：{escape(o.note)}" if o.note else ""))
        return
    title = say("cli.collect.print_status.title", year=ws.year) + (f"（{escape(ws.county)}）" if ws.county else "")
    style = {"accepted": "green", "errors": "yellow", "unreadable": "red", "missing": "dim"}
    units = data["units"]
    states = []
    for u in units:
        st = STATUS_ZH.get(u["status"], u["status"])
        if u["pinned"]:
            st += say("cli.collect.print_status_4")
        states.append(f"[{style[u['status']]}]{escape(st)}[/]")
    t = fit_table(title, [
        FitColumn(say("cli.collect.print_status.t"), [escape(u["code"]) for u in units]),
        FitColumn(say("cli.collect.status_fit_6"), [escape(u["name"]) for u in units], min_width=10),
        FitColumn(say("cli.collect.print_status.t_2"), states),
        FitColumn(say("cli.collect.status_fit_4"), [f"#{u['submission']}" if u["submission"] else "" for u in units]),
        FitColumn(say("cli.collect.status_fit_2"), [local_time(u["received_at"]) for u in units],
                  short=[local_time(u["received_at"])[5:] for u in units]),
        FitColumn(say("cli.collect.print_status.sev"), ["" if u["errors"] is None else str(u["errors"]) for u in units], justify="right"),
        FitColumn(say("cli.collect.status_fit_5"), ["" if u["warnings"] is None else str(u["warnings"]) for u in units], justify="right"),
        FitColumn(say("cli.collect.status_fit_3"), [escape(u["file_name"] or "") for u in units], min_width=12),
        FitColumn(say("cli.collect.status_fit"), [IDENTIFIED_ZH.get(u["identified_by"] or "", "") if u["submission"] else ""
                           for u in units]),
    ] + ([FitColumn(say("cli.collect.print_status.t_3"), [escape(u["document"]["state_zh"]) for u in units])] if "documents" in data else []),
        STATUS_FIT)
    console.print(t)
    tot = data["totals"]
    console.print(say("cli.collect.print_status_9", units=tot['units'], accepted=tot['accepted'],
                      errors=tot['errors'], unreadable=tot['unreadable'], missing=tot['missing'],
                      submissions=tot['submissions']))
    if data["missing"]:
        console.print(say("cli.collect.print_status_10") + "、".join(escape(names[c]) for c in data["missing"]))
    if data["with_errors"]:
        console.print(say("cli.collect.print_status_11") + "、".join(say("cli.collect.print_status_12", names=escape(names[c]),
                                            errors=u['errors']) for c in data["with_errors"]
                                          for u in data["units"] if u["code"] == c))
    if data["unreadable"]:
        console.print(say("cli.collect.print_status_13") + "、".join(escape(names[c]) for c in data["unreadable"]))
    for u in data["units"]:
        if u.get("review"):
            console.print(say("cli.collect.print_status_14", name=escape(u['name']),
                              items=escape('；'.join(u['review']))))
    pinned = [u for u in data["units"] if u["override"]]
    for u in pinned:
        o = u["override"]
        console.print(say("cli.collect.print_status_15", name=escape(u['name']), submission=o['submission'],
                          by=escape(o['by']), local_time=local_time(o['at'])) + (f"：{escape(o['note'])}" if o["note"] else ""))
    if data["unattached"]:
        console.print(say("cli.collect.print_status_16", n_unattached=len(data['unattached'])))
        for s in data["unattached"]:
            console.print(f"  #{s['submission']} {escape(s['file_name'])}：{STATUS_ZH.get(s['status'], s['status'])}"
                          + (f"，{escape(s['reason'])}" if s["reason"] else ""))
            console.print(say("cli.collect.print_status_17", source=escape(s['source'])))
    if "integrity" in data:
        if data["integrity"]:
            console.print(say("cli.collect.print_status_18"))
            for p in data["integrity"]:
                console.print(f"  {escape(p)}")
        else:
            console.print(say("cli.collect.print_status_19"))
    if show_all:
        _print_submissions(led.submissions(), names, say("cli.collect.print_status_20"))


def _print_submissions(subs, names, title) -> None:
    from ..collect.ledger import (  # lazy: keeps gipr --help light (benchmarks/bench_startup.py)
        IDENTIFIED_ZH,
        local_time,
    )
    states = []
    for s in subs:
        st = STATUS_ZH.get(s.status, s.status)
        if s.status == "duplicate":
            st += say("cli.collect.print_submissions", duplicate_of=s.duplicate_of)
        states.append(escape(st))
    t = fit_table(title, [
        FitColumn(say("cli.collect.status_fit_4"), [f"#{s.id}" for s in subs]),
        FitColumn(say("cli.collect.status_fit_6"), [escape(names.get(s.unit_code, s.unit_code or "")) for s in subs], min_width=10),
        FitColumn(say("cli.collect.print_status.t_2"), states),
        FitColumn(say("cli.collect.status_fit_2"), [local_time(s.received_at) for s in subs],
                  short=[local_time(s.received_at)[5:] for s in subs]),
        FitColumn(say("cli.collect.print_status.sev"), [str(s.errors) for s in subs], justify="right"),
        FitColumn(say("cli.collect.status_fit_3"), [escape(s.file_name) for s in subs], min_width=12),
        FitColumn(say("cli.collect.status_fit"), [IDENTIFIED_ZH.get(s.identified_by, s.identified_by) for s in subs]),
        FitColumn(say("cli.collect.submissions_fit_2"), [escape(s.source) for s in subs], min_width=12),
        FitColumn(say("cli.collect.submissions_fit"), [escape(str(s.archive_path)) for s in subs], min_width=12),
    ], SUBMISSIONS_FIT)
    console.print(t)


def _print_fetched(r) -> None:
    console.print(say("cli.collect.print_fetched", account=escape(r.account), folder=escape(r.folder),
                      total=r.total, fetched=r.fetched, already=r.already)
                  + (say("cli.collect.print_fetched_2", too_large=r.too_large) if r.too_large else "")
                  + (say("cli.collect.print_fetched_3", own=r.own) if r.own else "")
                  + (say("cli.collect.print_fetched_4")
                     if r.uidvalidity_changed else "") + "。")
