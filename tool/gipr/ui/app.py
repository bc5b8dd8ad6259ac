"""The web workbench's ASGI application: the JSON API, downloads and the pages.

``create_app(root, token=…, port=…)`` returns the app wrapped in the security layer
(security.Guard).  Every route calls ui/core.py, which calls the CLI's core functions.
Blocking work runs in worker threads (``run_in_threadpool``), one workspace per call.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from .. import messages, thirdparty
from ..catalogue.access import say
from ..errors import GiprError, NoWorkspace, Refused, UploadRefused
from . import core, mailform, pages, start, uploads
from .core import run_in_threadpool
from .pages import error_page
from .security import CSP_REPORT_VIEW, Guard, csrf_for

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response

HERE = Path(__file__).resolve().parent
MAX_UPLOAD_FILES = 50  # files in one upload request
MAX_UPLOAD_BYTES = 256 * 1024 * 1024  # one upload request's body; each file also meets collect's own limit
MAX_FIELDS = 20
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _json(data: Any, status: int = 200) -> JSONResponse:
    return thirdparty.starlette().responses.JSONResponse(data, status_code=status)


def _error_json(status: int, code: str, message: str) -> JSONResponse:
    return _json({"error": {"code": code, "message": message}}, status)


def _attachment(name: str, data: bytes | Path, media_type: str) -> Response:
    """A download under ``name`` (RFC 6266: an ASCII fallback and the UTF-8 name)."""
    ascii_name = "".join(ch if 32 < ord(ch) < 127 and ch not in '"\\;' else "_" for ch in name)
    disp = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"
    responses = thirdparty.starlette().responses
    if isinstance(data, Path):
        return responses.FileResponse(data, media_type=media_type, headers={"content-disposition": disp})
    return responses.Response(data, media_type=media_type, headers={"content-disposition": disp})


# --- uploads ---------------------------------------------------------------------------------
async def receive_uploads(request: Request, root: Path, field: str = "files",
                          ) -> tuple[Path, list[core.Upload], dict[str, str]]:
    """The files of ``field``, saved into a fresh temporary folder inside the workspace under
    names gipr chooses (uploads.py), and the form's text fields."""
    folder = await run_in_threadpool(core.upload_dir, root)
    try:
        got, fields = await uploads.receive(request.headers, request.stream(), folder, field=field,
                                            max_files=MAX_UPLOAD_FILES, max_fields=MAX_FIELDS,
                                            max_bytes=MAX_UPLOAD_BYTES)
    except UploadRefused as e:
        shutil.rmtree(folder, ignore_errors=True)
        raise Refused(e.status, e.code, e.message) from None
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return folder, got, fields


# --- the API ---------------------------------------------------------------------------------
def _root(request: Request) -> Path:
    return core.root_of(request)


async def api_session(request: Request) -> Response:
    return _json({"csrf": request.app.state.csrf})


async def api_status(request: Request) -> Response:
    return _json(await run_in_threadpool(core.status, _root(request)))


async def api_unit(request: Request) -> Response:
    return _json(await run_in_threadpool(core.unit_page, _root(request), request.path_params["code"]))


async def api_collect(request: Request) -> Response:
    root = _root(request)
    folder, uploads, fields = await receive_uploads(request, root)
    try:
        imap = fields.get("imap") in ("1", "true", "on")
        if not uploads and not imap:
            raise Refused(400, "ui.upload_none", messages.say("ui.upload_none"))
        data = await run_in_threadpool(core.collect_uploads, root, uploads, imap=imap,
                                       imap_password=fields.get("password") or None)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return _json(data)


async def _form(request: Request) -> dict[str, str]:
    ctype = request.headers.get("content-type", "")
    if ctype.startswith("application/json"):
        try:
            data = await request.json()
        except ValueError as e:
            raise Refused(400, "ui.bad_form", messages.say("ui.bad_form", detail=e)) from None
        if not isinstance(data, dict):
            raise Refused(400, "ui.bad_form", messages.say("ui.bad_form", detail="JSON object expected"))
        return {str(k): "" if v is None else str(v) for k, v in data.items()}
    form = await request.form(max_files=0, max_fields=MAX_FIELDS, max_part_size=64 * 1024)
    return {k: v for k, v in form.items() if isinstance(v, str)}


def _int(fields: dict[str, str], key: str, required: bool = True) -> int | None:
    v = (fields.get(key) or "").strip().lstrip("#")
    if not v and not required:
        return None
    try:
        return int(v)
    except ValueError:
        raise Refused(400, "ui.bad_form", messages.say("ui.bad_form", detail=f"{key}={v!r}")) from None


async def api_pin(request: Request) -> Response:
    f = await _form(request)
    sid = None if f.get("unuse") in ("1", "true", "on") else _int(f, "submission")
    return _json(await run_in_threadpool(core.pin, _root(request), f.get("unit", ""), sid, f.get("note")))


async def api_merge(request: Request) -> Response:
    root = _root(request)
    ctype = request.headers.get("content-type", "")
    folder = None
    previous = previous_name = None
    if ctype.startswith("multipart/form-data"):
        folder, uploads, fields = await receive_uploads(request, root, field="previous")
        if uploads:
            previous, previous_name = uploads[0].path, uploads[0].name
    else:
        fields = await _form(request)
    try:
        data = await run_in_threadpool(core.run_merge, root, include_errors=fields.get("include_errors") in (
            "1", "true", "on"), previous=previous, previous_name=previous_name)
    finally:
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
    run = data.pop("run")
    data["download"] = f"/download/merge/{run}/xlsx"
    data["download_html"] = f"/download/merge/{run}/html"
    data["page"] = f"/merge?run={run}"
    return _json(data)


async def api_report(request: Request) -> Response:
    """``gipr report --workspace … --json`` (the county's document and each merged unit's), plus
    the downloads: the county's .docx and a zip of the units' documents."""
    f = await _form(request)
    run = (f.get("run") or "").strip() or None
    data = await run_in_threadpool(core.run_report, _root(request), run=run,
                                   include_errors=f.get("include_errors") in ("1", "true", "on"))
    rid = data.pop("run")
    data["download"] = f"/download/report/{rid}/county"
    data["download_units"] = f"/download/report/{rid}/units"
    return _json(data)


async def api_templates(request: Request) -> Response:
    name, path = await run_in_threadpool(core.templates_zip, _root(request))
    return _json({"download": f"/download/templates/{path.stem}", "name": name})


async def api_mail(request: Request) -> Response:
    f = await _form(request)
    dry = request.path_params["action"] == "preview"
    confirm = None if dry else _int(f, "confirm")
    data = await run_in_threadpool(core.mail, _root(request), f.get("kind", ""), dry_run=dry,
                                   password=f.get("password") or None, confirm=confirm)
    return _json(data)


# --- downloads -------------------------------------------------------------------------------
def _not_found() -> Response:
    return _error_json(404, "ui.not_found", messages.say("ui.not_found"))


async def dl_feedback(request: Request) -> Response:
    name, data = await run_in_threadpool(core.feedback, _root(request), int(request.path_params["sid"]))
    return _attachment(name, data, XLSX)


async def dl_status(request: Request) -> Response:
    name, data = await run_in_threadpool(core.status_workbook, _root(request))
    return _attachment(name, data, XLSX)


async def dl_archive(request: Request) -> Response:
    name, data = await run_in_threadpool(core.archived, _root(request), int(request.path_params["sid"]))
    return _attachment(name, data, "application/octet-stream")


async def dl_document(request: Request) -> Response:
    name, data = await run_in_threadpool(core.archived_document, _root(request), int(request.path_params["did"]))
    return _attachment(name, data, "application/octet-stream")


async def dl_merge(request: Request) -> Response:
    run, kind = request.path_params["run"], request.path_params["kind"]
    p = core.merge_file(_root(request), run, kind)
    if p is None:
        return _not_found()
    res = core.merge_result(_root(request), run) or {}
    stem = say("ui.app.dl_merge.stem", value=res.get('county') or '', value2=res.get('year') or '')
    if kind == "html":
        return _attachment(stem + ".html", p, "text/html; charset=utf-8")
    return _attachment(stem + ".xlsx", p, XLSX)


async def dl_report(request: Request) -> Response:
    hit = core.report_file(_root(request), request.path_params["rid"], request.path_params["kind"])
    if hit is None:
        return _not_found()
    name, p = hit
    return _attachment(name, p, DOCX if p.suffix == ".docx" else "application/zip")


async def view_merge_html(request: Request) -> Response:
    """The roll-up's tables 二–四 as published (gipr merge --html), for the merge page's frame."""

    p = core.merge_file(_root(request), request.path_params["run"], "html")
    if p is None:
        return _not_found()
    return thirdparty.starlette().responses.FileResponse(p, media_type="text/html; charset=utf-8",
                                                         headers={"content-security-policy": CSP_REPORT_VIEW})


async def dl_templates(request: Request) -> Response:
    p = core.templates_file(_root(request), request.path_params["run"])
    if p is None:
        return _not_found()
    year = await run_in_threadpool(lambda: core.status(_root(request))["year"])
    return _attachment(say("ui.app.dl_templates", year=year), p, "application/zip")


# --- errors ----------------------------------------------------------------------------------
def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "application/json" in request.headers.get("accept", "")


async def on_refused(request: Request, exc: Refused) -> Response:
    return _error_json(exc.status, exc.code, exc.message)


async def on_gipr_error(request: Request, exc: GiprError) -> Response:
    status = 409 if exc.code == "workspace.locked" else 404 if exc.code.endswith(("unknown_unit", "unknown_run", "unknown_document")) else 400
    if _wants_json(request):
        return _error_json(status, exc.code, str(exc))
    return error_page(request, str(exc), status)


async def on_internal(request: Request, exc: Exception) -> Response:
    msg = messages.say("ui.internal", error=f"{type(exc).__name__}: {exc}")
    if _wants_json(request):
        return _error_json(500, "internal.error", msg)
    return error_page(request, msg, 500)


async def on_http(request: Request, exc: Exception) -> Response:
    code = getattr(exc, "status_code", 500)
    msg = messages.say("ui.not_found") if code == 404 else messages.say("ui.bad_method") if code == 405 else str(exc)
    if code == 404 and not _wants_json(request):
            return error_page(request, msg, 404)
    return _error_json(code, f"ui.{code}", msg)


def create_app(root: str | Path | None, *, token: str, port: int, extra_hosts: Iterable[str] = (),
               cookie_days: int = 0):
    """The workbench on workspace ``root`` (None: the start page first), answering on ``port``,
    behind the security layer.  ``cookie_days``: how long the browser keeps the access cookie
    (0: until it is closed; a remembered token may be kept longer)."""
    st = thirdparty.starlette()
    Route, Mount = st.routing.Route, st.routing.Mount
    if root is not None:
        root = Path(root).resolve()
        core.open_ws(root).close()  # a clear message now if this is not a workspace
        core.clean_uploads(root)
    routes = [
        Route("/api/session", api_session),
        Route("/api/status", api_status),
        Route("/api/unit/{code:str}", api_unit),
        Route("/api/collect", api_collect, methods=["POST"]),
        Route("/api/pin", api_pin, methods=["POST"]),
        Route("/api/merge", api_merge, methods=["POST"]),
        Route("/api/report", api_report, methods=["POST"]),
        Route("/api/templates", api_templates, methods=["POST"]),
        Route("/api/mail/{action:str}", api_mail, methods=["POST"]),
        Route("/download/feedback/{sid:int}", dl_feedback),
        Route("/download/archive/{sid:int}", dl_archive),
        Route("/download/document/{did:int}", dl_document),
        Route("/download/status.xlsx", dl_status),
        Route("/download/merge/{run:str}/{kind:str}", dl_merge),
        Route("/download/templates/{run:str}", dl_templates),
        Route("/download/report/{rid:str}/{kind:str}", dl_report),
        Route("/view/merge/{run:str}", view_merge_html),
        *pages.routes(),
        *start.routes(),
        *mailform.routes(),
        Mount("/static", app=st.staticfiles.StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = st.applications.Starlette(routes=routes, exception_handlers={
        Refused: on_refused, NoWorkspace: start.on_no_workspace, GiprError: on_gipr_error,
        st.exceptions.HTTPException: on_http, Exception: on_internal})
    app.state.root = root
    app.state.csrf = csrf_for(token)
    app.state.templates = pages.environment()
    return Guard(app, token=token, port=port, extra_hosts=extra_hosts, cookie_days=cookie_days)
