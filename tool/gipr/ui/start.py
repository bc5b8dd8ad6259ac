"""The start page (``gipr ui`` without a workspace, or the desktop launcher): create a year's
workspace (year, county, roster upload; every bad row of the roster is listed) or open a
recently used one.  The workbench then switches to that workspace (``app.state.root``);
until one is open, every page leads here."""

from __future__ import annotations

import datetime as _dt
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from .. import messages, thirdparty
from ..catalogue.access import say
from ..collect.workspace import Workspace
from ..errors import GiprError, NoWorkspace, RosterRows, UploadRefused
from ..roster import load_roster
from . import core, uploads, userconf
from .core import run_in_threadpool
from .pages import render

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

MAX_ROSTER_BYTES = 16 * 1024 * 1024


async def on_no_workspace(request: Request, exc: NoWorkspace) -> Response:
    responses = thirdparty.starlette().responses
    if request.url.path.startswith("/api/") or "application/json" in request.headers.get("accept", ""):
        error = {"code": "ui.no_workspace", "message": messages.say("start.no_workspace")}
        return responses.JSONResponse({"error": error}, status_code=409)
    return responses.RedirectResponse("/start", status_code=303)


def default_year(today: _dt.date | None = None) -> int:
    """The year whose report is being prepared: from October on this year's, before that last year's."""
    today = today or _dt.date.today()
    return today.year if today.month >= 10 else today.year - 1


def folder_name(county: str, year: int) -> str:
    return messages.say("start.folder_name", county=county, year=year)


def switch_to(app, root: Path) -> dict:
    """Open ``root`` as this workbench's workspace and remember it as recently used."""

    with core.open_ws(root) as ws:
        county, year = ws.county, ws.year
    root = root.resolve()
    core.clean_uploads(root)
    app.state.root = root
    userconf.remember_workspace(root, county, year)
    return {"page": "/", "county": county, "year": year}


def create_workspace(app, *, year: str, county: str, parent: str, roster: Path, roster_name: str) -> dict:
    try:
        y = int((year or "").strip())
    except ValueError:
        raise GiprError(messages.say("start.bad_year", year=year), "start.bad_year") from None
    county = (county or "").strip()
    if not county:
        raise GiprError(messages.say("start.no_county"), "start.no_county")
    if any(c in county for c in '\\/:*?"<>|') or len(county) > 40:
        raise GiprError(messages.say("start.bad_county", county=county), "start.bad_county")
    problems: list[str] = []
    load_roster(roster, problems=problems, shown=roster_name)
    if problems:
        raise RosterRows(messages.say("start.roster_rows", name=roster_name, n=len(problems)), problems)
    base = Path(parent.strip()).expanduser() if parent and parent.strip() else userconf.default_parent()
    if not base.is_absolute():
        raise GiprError(messages.say("start.bad_parent", parent=parent), "start.bad_parent")
    root = base / folder_name(county, y)
    if (root / "gipr.toml").exists():
        raise GiprError(messages.say("start.exists", path=root), "start.exists")
    Workspace.create(root, y, roster, county=county).close()
    return switch_to(app, root)


def _error(status: int, code: str, message: str, **extra) -> JSONResponse:
    return thirdparty.starlette().responses.JSONResponse({"error": {"code": code, "message": message, **extra}},
                                                         status_code=status)


async def api_create(request: Request) -> Response:

    folder = Path(tempfile.mkdtemp(prefix="gipr-roster-"))
    try:
        try:
            got, fields = await uploads.receive(request.headers, request.stream(), folder, field="roster",
                                                max_files=1, max_fields=10, max_bytes=MAX_ROSTER_BYTES)
        except UploadRefused as e:
            return _error(e.status, e.code, e.message)
        if not got:
            return _error(400, "start.no_roster", messages.say("start.no_roster"))
        try:
            data = await run_in_threadpool(
                create_workspace, request.app, year=fields.get("year", ""), county=fields.get("county", ""),
                parent=fields.get("parent", ""), roster=got[0].path, roster_name=got[0].name)
        except RosterRows as e:
            return _error(400, e.code, str(e), rows=e.rows)
        return thirdparty.starlette().responses.JSONResponse(data)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


async def api_open(request: Request) -> Response:
    try:
        data = await request.json()
    except ValueError:
        data = None
    path = data.get("path") if isinstance(data, dict) else None
    if not isinstance(path, str) or not path.strip():
        return _error(400, "start.no_path", messages.say("start.no_path"))
    data = await run_in_threadpool(switch_to, request.app, Path(path.strip()).expanduser())
    return thirdparty.starlette().responses.JSONResponse(data)


async def page(request: Request) -> Response:
    recent = await run_in_threadpool(userconf.recent)
    current = request.app.state.root
    return render(request, "start.html", title=say("ui.start.page.title"), recent=recent, current=str(current) if current else "",
                  year=default_year(), parent=str(userconf.default_parent()))


def routes() -> list[Route]:
    route = thirdparty.starlette().routing.Route
    return [route("/start", page), route("/api/workspace/create", api_create, methods=["POST"]),
            route("/api/workspace/open", api_open, methods=["POST"])]
