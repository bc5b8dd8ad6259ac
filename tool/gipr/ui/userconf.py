"""What the workbench keeps for this user on this machine (never inside a workspace):

* the access token, so that a bookmark, the launcher and ``gipr ui --print-url`` still work
  after a restart: a file only its owner can read (POSIX: mode 0600; Windows: the per-user
  AppData folder, whose ACL already admits only that user and the administrators);
* the recently opened workspaces, for the start page;
* the desktop launcher ``gipr ui --install-launcher`` writes (``launcher_text`` takes the
  platform as a parameter, so both kinds are tested on every platform).

The folder: ``GIPR_CONFIG_HOME`` if set (tests), else ``%APPDATA%\\gipr`` on Windows,
``~/Library/Application Support/gipr`` on macOS, ``$XDG_CONFIG_HOME/gipr`` (``~/.config/gipr``)
elsewhere.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path

from ..catalogue.access import say
from ..fsio import atomic_write_bytes
from .security import new_token

DEFAULT_PORT = 8620  # fixed, so the address (and a bookmark) stays the same from one start to the next
TOKEN_FILE = "ui-token"
RECENT_FILE = "recent.json"
MAX_RECENT = 8


def config_dir(platform: str | None = None, env: Mapping[str, str] | None = None, home: Path | None = None) -> Path:
    env = os.environ if env is None else env
    platform = platform or sys.platform
    home = home or Path.home()
    if env.get("GIPR_CONFIG_HOME"):
        return Path(env["GIPR_CONFIG_HOME"])
    if platform == "win32":
        return Path(env.get("APPDATA") or home / "AppData" / "Roaming") / "gipr"
    if platform == "darwin":
        return home / "Library" / "Application Support" / "gipr"
    return Path(env.get("XDG_CONFIG_HOME") or home / ".config") / "gipr"


def _private_dir() -> Path:
    d = config_dir()
    d.mkdir(parents=True, exist_ok=True)
    if sys.platform != "win32":
        os.chmod(d, 0o700)
    return d


def remembered_token() -> str:
    """This user's workbench token: read from the config folder, or made and kept there."""

    p = config_dir() / TOKEN_FILE
    try:
        tok = p.read_text(encoding="ascii").strip()
        if len(tok) >= 32 and tok.replace("-", "").replace("_", "").isalnum():
            return tok
    except (OSError, UnicodeDecodeError):
        pass
    tok = new_token()
    d = _private_dir()
    tmp = d / f".{TOKEN_FILE}.{os.getpid()}.tmp"
    # created owner-only from the first byte (no window in which another user could read it)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(tok + "\n")
    os.replace(tmp, p)
    return tok


def url_for(port: int, token: str, host: str = "127.0.0.1") -> str:
    return f"http://{host}:{port}/?token={token}"


# --- recently opened workspaces ----------------------------------------------------------------
def recent() -> list[dict]:
    """[{"path", "county", "year"}], newest first; those no longer there are left out."""
    try:
        data = json.loads((config_dir() / RECENT_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    out = []
    for e in data if isinstance(data, list) else []:
        if isinstance(e, dict) and isinstance(e.get("path"), str) and (Path(e["path"]) / "gipr.toml").is_file():
            out.append({"path": e["path"], "county": str(e.get("county") or ""), "year": e.get("year")})
    return out


def remember_workspace(root: Path, county: str, year: int) -> None:
    root_s = str(Path(root).resolve())
    items = [e for e in recent() if e["path"] != root_s]
    items.insert(0, {"path": root_s, "county": county, "year": year})
    atomic_write_bytes(_private_dir() / RECENT_FILE,
                       json.dumps(items[:MAX_RECENT], ensure_ascii=False, indent=1).encode("utf-8"), overwrite=True)


def default_parent(home: Path | None = None) -> Path:
    """Where the start page proposes to create a year's workspace: 文档/gipr (Documents/gipr)."""
    home = home or Path.home()
    docs = next((home / n for n in ("Documents", say("ui.userconf.default_parent.docs"), "My Documents") if (home / n).is_dir()), home)
    return docs / "gipr"


# --- the desktop launcher ------------------------------------------------------------------------
LAUNCHER_NAME = say("ui.userconf.launcher_name")


def launcher_command(python: str | None = None) -> list[str]:
    """The command a launcher runs: this Python, ``-m gipr.cli ui`` (the start page opens in the
    browser; a workbench already running is reused)."""
    return [python or sys.executable, "-m", "gipr.cli", "ui"]


def launcher_text(platform: str, command: list[str]) -> tuple[str, bytes]:
    """(file name, content) of the launcher for ``platform`` (``win32`` or another one)."""
    if platform == "win32":
        quoted = " ".join(f'"{c}"' if (" " in c or not c) else c for c in command)
        body = (say("ui.userconf.launcher_text.body", launcher_name=LAUNCHER_NAME, quoted=quoted))
        return f"{LAUNCHER_NAME}.cmd", body.encode("utf-8")

    def q(c: str) -> str:  # the Exec key's quoting (Desktop Entry Specification)
        if not any(ch in c for ch in ' \t"`$\\\'><~|&;*?#()'):
            return c
        return '"' + c.replace("\\", "\\\\").replace('"', '\\"').replace("`", "\\`").replace("$", "\\$") + '"'

    body = (say("ui.userconf.launcher_text.body_2", launcher_name=LAUNCHER_NAME,
                items=' '.join(q(c) for c in command)))
    return "gipr-ui.desktop", body.encode("utf-8")


def launcher_folder(platform: str, env: Mapping[str, str] | None = None, home: Path | None = None) -> Path:
    """Windows: the user's desktop; elsewhere the applications menu (~/.local/share/applications)."""
    env = os.environ if env is None else env
    home = home or Path.home()
    if platform == "win32":
        return Path(env.get("USERPROFILE") or home) / "Desktop"
    return Path(env.get("XDG_DATA_HOME") or home / ".local" / "share") / "applications"


def install_launcher(platform: str | None = None, folder: Path | None = None,
                     command: list[str] | None = None) -> Path:
    platform = platform or sys.platform
    folder = folder or launcher_folder(platform)
    folder.mkdir(parents=True, exist_ok=True)
    name, body = launcher_text(platform, command or launcher_command())
    path = folder / name
    atomic_write_bytes(path, body, overwrite=True)
    if platform != "win32":
        os.chmod(path, 0o755)  # desktops run only launchers marked executable
    return path
