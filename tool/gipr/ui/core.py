"""The workbench's calls into gipr's core: every page and API route goes through here, and
everything here calls the same core functions the CLI commands call (no second
implementation): ``merge.status.status_report``, ``Collector.collect_upload`` under the lock as
``collect.collect_paths`` does, ``merge.merge`` + ``merge.merge_json``, ``mail.mail_units``,
``template.write_templates``, ``check.feedback.submission_feedback``, ``ledger.pin_submission``.

Each function opens the workspace itself, because handlers run in worker threads and a
ledger connection belongs to the thread that opened it.  Writes take the workspace lock
(``Workspace.lock``), the same OS lock the CLI takes, so the UI and a CLI collect never
write at once.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
import secrets
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import messages, thirdparty
from ..catalogue.access import say
from ..check.feedback import submission_feedback
from ..collect import Collector
from ..collect.documents import document_file, unit_documents
from ..collect.imap import imap_fetcher
from ..collect.ledger import IDENTIFIED_ZH, pin_submission
from ..collect.workspace import Workspace
from ..errors import GiprError, NoWorkspace
from ..fsio import atomic_write_bytes
from ..mail import mail_settings, mail_units, smtp_password, template_options
from ..merge import merge, merge_json
from ..merge.status import status_report, write_status_xlsx
from ..messages import SUBMISSION_STATUS_ZH as STATUS_ZH
from ..report.figures import figure_cells, figure_value
from ..template import write_templates
from ..values import to_json_number

if TYPE_CHECKING:
    from collections.abc import Callable

    from starlette.requests import Request

UI_DIR = "ui"  # the workbench's own outputs inside the workspace: uploads (temporary), merges, zips
RUN_ID = re.compile(r"^[0-9]{8}-[0-9]{6}-[0-9a-f]{6}$")
# an uploaded file keeps only its suffix, and only a known one (it tells collect what the bytes are)
_SUFFIX = re.compile(r"^\.[a-z0-9]{1,8}$")


def open_ws(root: Path):
    return Workspace.open(root)


PURPOSE = say("ui.core.purpose")


def who() -> str:
    import getpass

    try:
        user = getpass.getuser()
    except Exception:
        user = ""
    return say("ui.core.who", user=user) if user and user != "root" else say("ui.core.who_2")


def new_run_id() -> str:
    return _dt.datetime.now().strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(3)


def ui_dir(ws: Workspace, *parts: str) -> Path:
    p = ws.root.joinpath(UI_DIR, *parts)
    p.mkdir(parents=True, exist_ok=True)
    return p


# --- status ----------------------------------------------------------------------------------
def status(root: Path) -> dict[str, Any]:
    """Exactly what ``gipr status --json`` prints."""

    with open_ws(root) as ws:
        return status_report(ws)


def status_workbook(root: Path) -> tuple[str, bytes]:
    """``gipr status --out 报送情况.xlsx``: the status as a workbook."""
    import tempfile

    with open_ws(root) as ws:
        data = status_report(ws)
        with tempfile.TemporaryDirectory(prefix="gipr-status-") as tmp:
            path = Path(tmp) / "status.xlsx"
            write_status_xlsx(path, data, ws.ledger, {u.code: u.name for u in ws.roster})
            return say("ui.core.status_workbook", county=ws.county, year=ws.year), path.read_bytes()


def unit_page(root: Path, code: str) -> dict[str, Any]:
    """A roster unit: its line in the status, every submission (newest first), the current
    one's findings (the texts ``gipr check`` prints) and the pin history; and its report
    document (年报): the state ``gipr status`` shows (its line's ``document``, from
    ``merge.status.add_documents``), with every version received (newest first)."""

    with open_ws(root) as ws:
        u = ws.unit(code)
        if u is None:
            raise GiprError(messages.say("ui.unknown_unit", code=code), "status.unknown_unit")
        led = ws.ledger
        data = status_report(ws)
        line = next(x for x in data["units"] if x["code"] == code)
        cur = led.current().get(code)
        subs = sorted(led.submissions(code), key=lambda s: (s.received_at, s.id), reverse=True)
        if cur is not None and all(s.id != cur.id for s in subs):  # a file of no unit, pinned here
            subs.insert(0, cur)
        codes = {x.code for x in ws.roster}
        taken = {o.submission_id for o in led.overrides().values()}  # files of no unit pinned to some unit
        unattached = [s for s in led.submissions() if (s.unit_code is None or s.unit_code not in codes)
                      and s.id not in taken]
        hist = led.override_history(code)
        described = {s.id: say("ui.core.unit_page.described", when=messages.when(s.received_at),
                               file_name=s.file_name) for s in led.submissions()
                     if s.id in {o.submission_id for o in hist}}
        return {
            "unit": {"code": u.code, "name": u.name, "category": getattr(u, "category", ""),
                     "contact": getattr(u, "contact", ""), "emails": list(getattr(u, "emails", []) or [])},
            "line": line,
            "year_review": data.get("year_review") or {},
            "status_zh": STATUS_ZH,
            "current": cur.to_json() if cur else None,
            "current_local": messages.when(cur.received_at) if cur else "",
            "findings": [dict(f, place=messages.cell_place(f.get("ref"))) for f in (cur.findings if cur else [])
                         if f.get("severity") in ("error", "warning", "info")],
            "submissions": [dict(s.to_json(), received_local=messages.when(s.received_at), source_zh=source_zh(s),
                                 identified_zh=IDENTIFIED_ZH.get(s.identified_by, s.identified_by),
                                 status_zh=STATUS_ZH.get(s.status, s.status)) for s in subs],
            "pinnable": [dict(s.to_json(), received_local=messages.when(s.received_at)) for s in unattached
                         if s.status != "duplicate"],
            "overrides": [{"submission": o.submission_id, "by": o.set_by, "at": messages.when(o.set_at),
                           "note": o.note, "what": described.get(o.submission_id, "")} for o in hist],
            # the document's part is there only once the workspace has documents, as in gipr status
            "document": document_view(line["document"]) if "document" in line else None,
            "documents": [document_view(d.to_json()) for d in unit_documents(led, code)],
        }


def document_view(doc: dict[str, Any]) -> dict[str, Any]:
    """A report document (``DocumentRow.to_json``, or a unit line's ``document``) as the unit
    page shows it: the time in her words, where it came from, its findings with their place."""
    return dict(doc, received_local=messages.when(doc.get("received_at")),
                source_zh=document_source_zh(doc.get("source") or ""),
                findings=[dict(f, place=messages.cell_place(f.get("ref"))) for f in doc.get("findings") or []
                          if f.get("severity") in ("error", "warning", "info")])


def document_source_zh(src: str) -> str:
    """Where a document came from (its ledger ``source``: a file's path, an upload, a mail's
    sender and subject), in her words, as ``source_zh`` says it for a workbook."""
    upload = messages.say("ui.upload_source", name="")
    if src.startswith(upload):
        return messages.say("ui.upload_source_short")
    if src.startswith(say("ui.core.document_source_zh")):
        bits = dict(b.split("：", 1) for b in src.split("；") if "：" in b)
        subject = bits.get(say("ui.core.document_source_zh.subject"), "")
        return say("ui.core.document_source_zh_2", bits=bits.get(say("ui.core.document_source_zh.bits"), ''),
                   value='，' + subject if subject and subject != say("ui.core.document_source_zh.value") else '')
    parts = src.replace("\\", "/").rstrip("/").split("/")
    return say("ui.core.document_source_zh_3", parts=parts[-2]) if len(parts) >= 2 and parts[-2] else say("ui.core.document_source_zh_4")


def archived_document(root: Path, did: int) -> tuple[str, bytes]:
    """The original bytes of report document ``did`` as received, under its file name."""

    with open_ws(root) as ws:
        got = document_file(ws.ledger, did)
        if got is None:
            raise GiprError(messages.say("ui.unknown_document", id=did), "status.unknown_document")
        return got


def source_zh(sub) -> str:
    """Where a submission came from, in her words: the file's folder name or the mail's sender."""
    if sub.source_kind == "email":
        return say("ui.core.source_zh", value=sub.mail_from or '',
                   value2='，' + sub.mail_subject if sub.mail_subject else '')
    src = sub.source or ""
    if src.startswith(messages.say("ui.upload_source", name="")):
        return messages.say("ui.upload_source_short")
    parts = src.replace("\\", "/").rstrip("/").split("/")
    return say("ui.core.document_source_zh_3", parts=parts[-2]) if len(parts) >= 2 and parts[-2] else say("ui.core.document_source_zh_4")


def pin(root: Path, code: str, submission: int | None, note: str | None) -> dict[str, Any]:
    """``gipr status --use CODE N --note …`` (``submission`` None: ``--unuse``)."""

    with open_ws(root) as ws:
        with ws.lock(purpose=PURPOSE):
            o = pin_submission(ws.ledger, ws.roster, code, submission, who(), note or None)
        return {"unit": o.unit_code, "submission": o.submission_id, "by": o.set_by, "at": o.set_at, "note": o.note}


def feedback(root: Path, sid: int) -> tuple[str, bytes]:
    """The annotated feedback workbook of submission ``sid`` (what ``gipr remind`` attaches)."""

    with open_ws(root) as ws:
        sub = ws.ledger.submission(sid)
        if sub is None:
            raise GiprError(messages.say("ui.unknown_submission", id=sid), "status.unknown_submission")
        got = submission_feedback(ws, sub, ws.unit(sub.unit_code) if sub.unit_code else None)
        if got is None:
            raise GiprError(messages.say("ui.no_feedback", id=sid), "ui.no_feedback")
        return got


def archived(root: Path, sid: int) -> tuple[str, bytes]:
    """The original bytes of submission ``sid`` as received."""
    with open_ws(root) as ws:
        sub = ws.ledger.submission(sid)
        if sub is None:
            raise GiprError(messages.say("ui.unknown_submission", id=sid), "status.unknown_submission")
        return sub.file_name, ws.ledger.read_archived(sub.sha256)


# --- collect ---------------------------------------------------------------------------------
@dataclass
class Upload:
    """One uploaded file, already saved under a name gipr chose; ``name`` is the client's."""

    path: Path
    name: str


def upload_dir(root: Path) -> Path:
    """A fresh temporary folder for one request's uploads, inside the workspace."""
    with open_ws(root) as ws:
        d = ui_dir(ws, "uploads") / new_run_id()
    d.mkdir()
    return d


def clean_uploads(root: Path, older_than: float = 0) -> int:
    """Remove upload folders left behind by a workbench that was killed mid-request (the
    files were archived or were never collected), whatever their age: at start-up none is in
    use (each request removes its own folder in a ``finally``)."""
    import time

    base = root / UI_DIR / "uploads"
    n = 0
    if base.is_dir():
        for d in base.iterdir():
            try:
                if RUN_ID.match(d.name) and time.time() - d.stat().st_mtime >= older_than:
                    shutil.rmtree(d, ignore_errors=True)
                    n += 1
            except OSError:
                continue
    return n


def server_name(i: int, client_name: str) -> str:
    """The name an upload is saved under: a number, and the client's suffix if it is a
    plain one (collect tells workbooks from messages by it, as for any file)."""
    suffix = Path(client_name.replace("\\", "/").split("/")[-1]).suffix.lower()
    return f"{i:04d}{suffix if _SUFFIX.match(suffix) else '.bin'}"


def collect_uploads(root: Path, uploads: list[Upload], *, imap: bool = False,
                    imap_password: str | None = None) -> dict[str, Any]:
    """What ``gipr collect --json`` prints for these files (and, with ``imap``, for the
    configured mailbox: ``gipr collect --imap``): each archived first, checked, identified,
    under the workspace lock, as ``collect.collect_paths`` does for files named on the
    command line."""

    if imap:
        require_imap(root)
    with open_ws(root) as ws:
        fetched: list[Any] = []
        try:
            fetch = imap_fetcher(ws, None, None, fetched.append, password=imap_password,
                                 interactive=False) if imap else None  # the settings are checked before the lock
        except GiprError as e:
            if e.code != "mail.no_password":
                raise
            raise GiprError(messages.say("mailform.need_imap_password"), e.code) from None
        with ws.lock(purpose=PURPOSE):
            c = Collector(ws)
            for up in uploads:
                c.collect_upload(up.path, up.name)
            if fetch is not None:
                fetch(c)
        out = c.result.to_json()
        names = {u.code: u.name for u in ws.roster}
        for o_json, o in zip(out["outcomes"], c.result.outcomes + c.result.skipped):
            o_json["why"] = _why(o)
            o_json["unit_name"] = names.get(o_json.get("unit") or "", "")
        if fetched:
            out["imap"] = fetched[0].to_json()
        return out


def _why(outcome) -> str:
    """Why a collected file is not simply 已接收, in a sentence: its first error (and how many
    more), or the reason collect gave (unreadable, no unit)."""
    sub = outcome.submission
    if sub is not None and sub.status == "errors":
        errs = [f for f in (sub.findings or []) if f.get("severity") == "error"]
        if errs:
            first = errs[0]
            place = messages.cell_place(first.get("ref"))
            text = (place + "：" if place else "") + str(first.get("message") or "")
            return text + (messages.say("ui.why_more", n=len(errs) - 1) if len(errs) > 1 else "")
    return outcome.reason or ""


# --- merge -----------------------------------------------------------------------------------
MERGE_FILES = {"xlsx": say("ui.core.xlsx"), "html": say("ui.core.html")}
PREVIOUS_STEM = say("ui.core.previous_stem")


def run_merge(root: Path, *, include_errors: bool = False, previous: Path | None = None,
              previous_name: str | None = None) -> dict[str, Any]:
    """``gipr merge -w ROOT --out … --html … [--include-errors] [--previous …] --json`` into a
    new folder of its own (nothing earlier is replaced); the JSON is kept beside the files."""

    with open_ws(root) as ws:
        run = new_run_id()
        d = ui_dir(ws, "merge", run)
    out, html = d / MERGE_FILES["xlsx"], d / MERGE_FILES["html"]
    label = _client_name(previous_name) if previous is not None and previous_name else None
    try:
        if previous is not None:  # kept beside the run: the report document compares with the same last year
            kept = d / f"{PREVIOUS_STEM}{previous.suffix.lower()}"
            shutil.copyfile(previous, kept)
            previous = kept
        result = merge(out=out, workspace=root, previous=previous, include_errors=include_errors, html=html,
                       previous_label=label or (f"{PREVIOUS_STEM}{previous.suffix.lower()}" if previous else None))
    except BaseException:  # a failed run (an unreadable last year) leaves no folder, nor the file, behind
        shutil.rmtree(d, ignore_errors=True)
        raise
    data = merge_json(result, out=out, html=html)
    atomic_write_bytes(d / "options.json", json.dumps(
        {"include_errors": include_errors, "previous": previous.name if previous is not None else None,
         "previous_name": label, "at": _dt.datetime.now().astimezone().replace(microsecond=0).isoformat()},
        ensure_ascii=False).encode("utf-8"))
    atomic_write_bytes(d / "chart.json", json.dumps(main_figures(result), ensure_ascii=False).encode("utf-8"))
    atomic_write_bytes(d / "result.json", json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8"))
    return {"run": run, **data}


# the county's main figures for the merge page's chart, this year and last: figures of the
# report's sentences (gipr.report.figures owns what each one sums), named as the sentences name them
CHART_FIGURES = (say("ui.core.chart_figures"), say("ui.core.chart_figures_2"), say("ui.core.chart_figures_3"), say("ui.core.chart_figures_4"), say("ui.core.chart_figures_5"))


def main_figures(result) -> dict[str, Any]:
    spec = result.spec
    names = [n for n in CHART_FIGURES if figure_cells(spec, n)]
    prev = result.previous.county if result.previous is not None else None
    return {"year": result.year, "labels": names,
            "this": [to_json_number(figure_value(spec, n, result.values)) for n in names],
            "last": [to_json_number(figure_value(spec, n, prev)) for n in names] if prev is not None else None}


def _client_name(name: str) -> str:
    """The last part of a name a browser sent (some send a whole path), as text."""
    return name.replace("\\", "/").split("/")[-1].strip()[:200]


def merge_runs(root: Path) -> list[str]:
    base = root / UI_DIR / "merge"
    if not base.is_dir():
        return []
    return sorted((p.name for p in base.iterdir() if RUN_ID.match(p.name) and (p / "result.json").is_file()),
                  reverse=True)


def zh_time(when: str | _dt.datetime | None) -> str:
    """A time as a clerk writes it, in local time: 2026年1月5日 14:32."""
    if not when:
        return ""
    if isinstance(when, str):
        text = when
        try:
            when = _dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return text
    if when.tzinfo is not None:
        when = when.astimezone()
    return say("ui.core.zh_time", year=when.year, month=when.month, day=when.day, hour=when.hour,
               minute=when.minute)


def merge_run_list(root: Path) -> list[dict[str, str]]:
    """The earlier merges as she would name them: when, and with which choices."""
    out = []
    for run in merge_runs(root):
        when = zh_time(_dt.datetime.strptime(run[:15], "%Y%m%d-%H%M%S"))
        opts_p = root / UI_DIR / "merge" / run / "options.json"
        try:
            opts = json.loads(opts_p.read_text(encoding="utf-8")) if opts_p.is_file() else {}
        except (OSError, ValueError):
            opts = {}
        res = merge_result(root, run) or {}
        parts = [messages.say("ui.run_units", n=len(res.get("included") or []))]
        parts.append(messages.say("ui.run_with_errors") if opts.get("include_errors") else messages.say("ui.run_no_errors"))
        if opts.get("previous"):
            parts.append(messages.say("ui.run_previous", name=opts.get("previous_name") or opts["previous"]))
        out.append({"run": run, "when": when, "what": "，".join(parts)})
    return out


def merge_result(root: Path, run: str) -> dict[str, Any] | None:
    if not RUN_ID.match(run or ""):
        return None
    p = root / UI_DIR / "merge" / run / "result.json"
    if not p.is_file():
        return None
    chart = p.parent / "chart.json"
    return {"run": run, **json.loads(p.read_text(encoding="utf-8")),
            "chart": json.loads(chart.read_text(encoding="utf-8")) if chart.is_file() else None}


def merge_file(root: Path, run: str, kind: str) -> Path | None:
    if not RUN_ID.match(run or "") or kind not in MERGE_FILES:
        return None
    p = root / UI_DIR / "merge" / run / MERGE_FILES[kind]
    return p if p.is_file() else None


def merge_options(root: Path, run: str) -> dict[str, Any] | None:
    """The choices a merge run was made with: include_errors and its copy of last year's file."""
    if not RUN_ID.match(run or ""):
        return None
    d = root / UI_DIR / "merge" / run
    p = d / "options.json"
    if not p.is_file():  # a run made before the choices were kept: what its result shows
        res = merge_result(root, run)
        if res is None:
            return None
        return {"include_errors": any(e.get("marked") for e in res.get("included", [])), "previous": None}
    opts = json.loads(p.read_text(encoding="utf-8"))
    prev = opts.get("previous")
    prev_path = d / prev if isinstance(prev, str) and prev.startswith(PREVIOUS_STEM) and "/" not in prev \
        and "\\" not in prev else None
    return {"include_errors": bool(opts.get("include_errors")),
            "previous": prev_path if prev_path is not None and prev_path.is_file() else None}


# --- the annual report document --------------------------------------------------------------
REPORT_FILES = {"county": "county.docx", "units": "units.zip"}


def run_report(root: Path, *, run: str | None = None, include_errors: bool = False) -> dict[str, Any]:
    """``gipr report -w ROOT --out FOLDER [--include-errors] [--previous …] --json`` into a new
    folder of its own: the county's document and one per merged unit (the same core functions
    as the CLI: report.run.data_from_workspace, workspace_jobs, write_jobs, jobs_json).  With
    ``run`` (a merge run of this workbench) its choices are used: include_errors and last year.
    The units' documents are also packed into one zip."""
    from ..report.run import (  # lazy: it loads docx, lxml (heavy), needed only here
        data_from_workspace,
        jobs_json,
        workspace_jobs,
        write_jobs,
    )

    previous = None
    if run:
        opts = merge_options(root, run)
        if opts is None:
            raise GiprError(messages.say("ui.unknown_run", run=run), "ui.unknown_run")
        include_errors, previous = opts["include_errors"], opts["previous"]
    with open_ws(root) as ws:
        rid = new_run_id()
        d = ui_dir(ws, "report", rid)
    county, units = data_from_workspace(root, include_errors=include_errors, previous=previous)
    jobs = workspace_jobs(d / "docs", county, units)
    write_jobs(jobs)
    data = jobs_json(jobs)
    tmp = d / (REPORT_FILES["units"] + ".part")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        for j in jobs[1:]:
            zf.write(j.out, j.out.name)
    tmp.replace(d / REPORT_FILES["units"])
    # the county's document under a fixed name too, so that a download never takes a path from the client
    shutil.copyfile(jobs[0].out, d / REPORT_FILES["county"])

    meta = {"county_name": jobs[0].out.name, "units": len(jobs) - 1, "year": county.year, "county": county.name}
    atomic_write_bytes(d / "report.json", json.dumps(meta, ensure_ascii=False).encode("utf-8"))
    return {"run": rid, **data}


def report_file(root: Path, rid: str, kind: str) -> tuple[str, Path] | None:
    """A report run's download: (the name to offer, the file), or None."""
    if not RUN_ID.match(rid or "") or kind not in REPORT_FILES:
        return None
    d = root / UI_DIR / "report" / rid
    p, meta = d / REPORT_FILES[kind], d / "report.json"
    if not p.is_file() or not meta.is_file():
        return None
    m = json.loads(meta.read_text(encoding="utf-8"))
    if kind == "county":
        return str(m.get("county_name") or say("ui.core.report_file")), p
    return say("ui.core.report_file_2", value=m.get('year') or ''), p


# --- templates and mail ----------------------------------------------------------------------
def templates_zip(root: Path) -> tuple[str, Path]:
    """Every roster unit's template (``gipr template --roster``), as one zip in the workspace."""

    with open_ws(root) as ws:
        run = new_run_id()
        d = ui_dir(ws, "templates", run)
        results = write_templates(ws.spec, ws.year, ws.roster, d, **template_options(ws))
        name = say("ui.core.templates_zip.name", year=ws.year)
        z = d.parent / f"{run}.zip"
        tmp = z.with_suffix(".zip.part")
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
            for r in results:
                zf.write(r.path, r.path.name)
        tmp.replace(z)
        shutil.rmtree(d, ignore_errors=True)
        return name, z


def templates_file(root: Path, run: str) -> Path | None:
    if not RUN_ID.match(run or ""):
        return None
    p = root / UI_DIR / "templates" / f"{run}.zip"
    return p if p.is_file() else None


def mail(root: Path, kind: str, *, dry_run: bool, password: str | None = None,
         confirm: int | None = None) -> dict[str, Any]:
    """``gipr send|remind [--dry-run] --json``.  A real send first plans (a dry run into a
    scratch folder) and goes ahead only if ``confirm`` equals the number of units planned."""
    import tempfile

    if kind not in ("send", "remind"):
        raise GiprError(messages.say("ui.bad_form", detail=kind), "ui.bad_form")
    require_mail(root)
    with open_ws(root) as ws:
        if dry_run:
            out = ui_dir(ws, "outbox", f"{kind}-{new_run_id()}")
            data = mail_units(ws, kind, dry_run=True, out=out, settings=mail_settings(ws, need_server=False)).to_json()
            for o in data.get("outcomes", []):
                o.pop("path", None)
            data.pop("outbox", None)
            shutil.rmtree(out, ignore_errors=True)  # the letters are on the page; nothing else reads them
            return data
        with tempfile.TemporaryDirectory(prefix="gipr-plan-") as tmp:
            plan = mail_units(ws, kind, dry_run=True, out=tmp, settings=mail_settings(ws, need_server=False))
        planned = plan.count("written")
        if confirm != planned:
            raise GiprError(messages.say("ui.confirm_mismatch", confirm=confirm, planned=planned),
                            "ui.confirm_mismatch")
        settings = mail_settings(ws, need_server=True)
        if not password and settings.user:
            try:
                password = smtp_password(settings, interactive=False)
            except GiprError as e:
                raise GiprError(messages.say("mailform.need_smtp_password"), e.code) from None
        return mail_units(ws, kind, dry_run=False, settings=settings, password=password).to_json()


def root_of(request: Request) -> Path:
    """The workspace the workbench has open (``app.state.root``); NoWorkspace before one is."""
    root = request.app.state.root
    if root is None:
        raise NoWorkspace()
    return root


async def run_in_threadpool(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """starlette's ``run_in_threadpool`` (the workbench's blocking work in a worker thread),
    through gipr.thirdparty: importing a gipr.ui module does not load starlette."""
    return await thirdparty.starlette().concurrency.run_in_threadpool(func, *args, **kwargs)


def require_mail(root: Path) -> None:
    """The send/remind buttons before the settings are filled in: a pointer to this page
    (instead of an edit of gipr.toml)."""
    with open_ws(root) as ws:
        sec = ws.config.get("mail")
    if not isinstance(sec, dict) or not (sec.get("from_addr") or sec.get("from")):
        raise GiprError(messages.say("mailform.not_set_mail"), "mailform.not_set")


def require_imap(root: Path) -> None:
    with open_ws(root) as ws:
        sec = ws.config.get("imap")
    if not isinstance(sec, dict) or not sec.get("host"):
        raise GiprError(messages.say("mailform.not_set_imap"), "mailform.not_set")
