"""邮箱设置: the workbench's form for the [mail] (SMTP) and [imap] settings, with a 测试连接
button.  The settings go into the workspace's gipr.toml (as ``gipr send`` and ``gipr collect
--imap`` read them); the passwords go only into the operating system's credential store
(account/keystore.py), never into a file of the workspace.  Where there is no such store the
password is asked each time (the send and collect forms have a password box)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from .. import messages, thirdparty
from ..account import keystore
from ..account.settings import mail_settings, valid_address
from ..catalogue.access import say, textkey
from ..collect.imap import _Session, encode_mailbox, imap_settings
from ..collect.workspace import dump_toml
from ..errors import GiprError
from ..fsio import atomic_write_bytes
from ..mail.transport import SmtpTransport
from . import core
from .core import run_in_threadpool
from .pages import render

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

# form field → (section, key); the labels are what a problem names
FIELDS = {
    "smtp_host": ("mail", "host"), "smtp_port": ("mail", "port"), "smtp_security": ("mail", "security"),
    "smtp_user": ("mail", "user"), "from_addr": ("mail", "from_addr"), "from_name": ("mail", "from_name"),
    "deadline": ("mail", "deadline"), "contact": ("mail", "contact"), "smtp_cafile": ("mail", "cafile"),
    "imap_host": ("imap", "host"), "imap_port": ("imap", "port"), "imap_security": ("imap", "security"),
    "imap_user": ("imap", "user"), "imap_folder": ("imap", "folder"), "imap_cafile": ("imap", "cafile"),
}
DEFAULT_PORTS = {"mail": {"ssl": 465, "starttls": 587, "none": 25}, "imap": {"ssl": 993, "starttls": 143, "none": 143}}


def _label(field: str) -> str:
    """The label of a form field, as a problem names it."""
    return messages.say(textkey("mailform." + field))


def form_values(root: Path) -> dict[str, Any]:
    """What the form shows: the saved settings, whether a password is kept, whether it can be."""
    with core.open_ws(root) as ws:
        cfg = ws.config
    out: dict[str, Any] = {}
    for field, (sec, key) in FIELDS.items():
        v = (cfg.get(sec) or {}).get(key, "") if isinstance(cfg.get(sec), dict) else ""
        out[field] = "" if v is None else str(v)
    out["smtp_security"] = out["smtp_security"] or "ssl"
    out["imap_security"] = out["imap_security"] or "ssl"
    out["store"] = keystore.available()
    smtp_user = out["smtp_user"] or out["from_addr"]
    out["smtp_saved"] = bool(keystore.get("smtp", smtp_user, out["smtp_host"]))
    out["imap_saved"] = bool(keystore.get("imap", out["imap_user"] or smtp_user, out["imap_host"]))
    return out


def _sections(f: dict[str, str], old: dict[str, Any]) -> tuple[dict, dict | None]:
    """The new [mail] and [imap] tables from the form (keys the form has no field for are
    kept); a GiprError naming the field in her words when something is wrong."""

    def val(k: str) -> str:
        return (f.get(k) or "").strip()

    mail = dict(old.get("mail") or {}) if isinstance(old.get("mail"), dict) else {}
    imap = dict(old.get("imap") or {}) if isinstance(old.get("imap"), dict) else {}
    if not val("smtp_host"):
        raise GiprError(messages.say("mailform.need", what=messages.say("mailform.smtp_host")), "mailform.need")
    if not valid_address(val("from_addr")):
        raise GiprError(messages.say("mailform.bad_address", what=messages.say("mailform.from_addr"), value=val("from_addr")), "mailform.address")
    for field, (sec, key) in FIELDS.items():
        target = mail if sec == "mail" else imap
        v = val(field)
        if key == "security":
            v = v or "ssl"
            if v not in DEFAULT_PORTS[sec]:
                raise GiprError(messages.say("mailform.bad_choice", what=_label(field), value=v), "mailform.choice")
        if key == "port":
            sec_choice = val(f"{'smtp' if sec == 'mail' else 'imap'}_security") or "ssl"
            if not v:
                v = str(DEFAULT_PORTS[sec].get(sec_choice, 0))
            if not v.isdigit() or not 1 <= int(v) <= 65535:
                raise GiprError(messages.say("mailform.bad_port", what=_label(field), value=v), "mailform.port")
            target[key] = int(v)
            continue
        if key == "cafile" and v and not Path(v).expanduser().is_file():
            raise GiprError(messages.say("mailform.no_file", what=_label(field), value=v), "mailform.cafile")
        if v or key in target:
            target[key] = v
    if not imap.get("host"):
        return mail, None
    return mail, imap


def _settings(root: Path, f: dict[str, str]):
    """(config with the form's sections, MailSettings, ImapSettings or None), all checked."""

    with core.open_ws(root) as ws:
        cfg = dict(ws.config)
    mail, imap = _sections(f, cfg)
    cfg["mail"] = mail
    if imap is not None:
        cfg["imap"] = imap
    else:
        cfg.pop("imap", None)
    probe = SimpleNamespace(config=cfg, config_path=messages.say("mailform.where"))
    return cfg, mail_settings(probe, need_server=True), (imap_settings(probe) if imap is not None else None)


def save(root: Path, f: dict[str, str]) -> dict[str, Any]:
    cfg, smtp, imap = _settings(root, f)
    stored = []
    for kind, s, pw in (("smtp", smtp, f.get("smtp_password")), ("imap", imap, f.get("imap_password"))):
        if s is not None and pw and keystore.available():
            keystore.put(kind, s.user, s.host, pw)
            stored.append(kind)
    with core.open_ws(root) as ws, ws.lock(purpose=core.PURPOSE):
        atomic_write_bytes(ws.config_path, dump_toml(cfg).encode("utf-8"), overwrite=True)
    return {"saved": True, "stored": stored, "store": keystore.available(),
            "message": messages.say("mailform.saved") + (messages.say("mailform.saved_pw") if stored else "" if keystore.available() else messages.say("mailform.no_store_note"))}


def test(root: Path, f: dict[str, str]) -> dict[str, Any]:
    """Connect and log in to each server the form names (nothing is saved, nothing is sent)."""

    _, smtp, imap = _settings(root, f)
    results = []
    pw = f.get("smtp_password") or keystore.get("smtp", smtp.user, smtp.host)
    try:
        if smtp.user and not pw:
            raise GiprError(messages.say("mailform.need_password", what=messages.say("mailform.smtp_password")), "mailform.password")
        t = SmtpTransport(smtp, pw)
        t.open()
        t.close()
        results.append({"what": "smtp", "ok": True, "message": messages.say("mailform.smtp_ok", host=smtp.host, port=smtp.port)})
    except GiprError as e:
        results.append({"what": "smtp", "ok": False, "message": str(e)})
    if imap is not None:
        pw = f.get("imap_password") or keystore.get("imap", imap.user, imap.host)
        try:
            if not pw:
                raise GiprError(messages.say("mailform.need_password", what=messages.say("mailform.imap_password")), "mailform.password")
            with _Session(imap, pw) as conn:
                typ, _ = conn.select(_mailbox(imap.folder), readonly=True)
                if typ != "OK":
                    raise GiprError(messages.say("mailform.no_folder", folder=imap.folder), "mailform.folder")
            results.append({"what": "imap", "ok": True, "message": messages.say("mailform.imap_ok", host=imap.host, port=imap.port)})
        except GiprError as e:
            results.append({"what": "imap", "ok": False, "message": str(e)})
    return {"results": results, "ok": all(r["ok"] for r in results)}


def _mailbox(folder: str) -> str:
    return encode_mailbox(folder)


# --- routes --------------------------------------------------------------------------------------
async def _fields(request: Request) -> dict[str, str]:
    try:
        data = await request.json()
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise GiprError(messages.say("ui.bad_form", detail="JSON"), "ui.bad_form")
    return {str(k): "" if v is None else str(v) for k, v in data.items()}


async def api_save(request: Request) -> Response:
    data = await run_in_threadpool(save, core.root_of(request), await _fields(request))
    return thirdparty.starlette().responses.JSONResponse(data)


async def api_test(request: Request) -> Response:
    data = await run_in_threadpool(test, core.root_of(request), await _fields(request))
    return thirdparty.starlette().responses.JSONResponse(data)


async def page(request: Request) -> Response:
    values = await run_in_threadpool(form_values, core.root_of(request))
    return render(request, "mail_settings.html", title=say("ui.mailform.page.title"), v=values,
                  M={f: _label(f) for f in (*FIELDS, "smtp_password", "imap_password")})


def routes() -> list[Route]:
    route = thirdparty.starlette().routing.Route
    return [route("/mail-settings", page), route("/api/mailsettings/save", api_save, methods=["POST"]),
            route("/api/mailsettings/test", api_test, methods=["POST"])]
