"""A workspace (工作目录): one year's collection in one folder.

    gipr.toml        the configuration, plain TOML a clerk can read and edit
    roster.csv       the workspace's own copy of the roster (edit this one)
    ledger.sqlite    the ledger (台账): every received file, SQLite in WAL mode
    archive/         every received file's raw bytes, by SHA-256, never overwritten
    .gipr.lock       held by the one gipr process that is writing (.gipr.lock.owner: who)

The config is written last and atomically, so a folder with a ``gipr.toml`` is always a
complete workspace.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .. import __version__, messages
from ..catalogue.access import say
from ..errors import GiprError
from ..fsio import atomic_write_bytes
from ..roster import Unit, load_roster, region_from_roster
from ..spec import Spec, available_formats, format_for_year, load_format
from .ledger import Ledger

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the same parser, as the package it came from
    import tomli as tomllib


CONFIG_NAME = "gipr.toml"
LEDGER_NAME = "ledger.sqlite"
ARCHIVE_NAME = "archive"
LOCK_NAME = ".gipr.lock"
LOCK_OWNER_NAME = ".gipr.lock.owner"  # who holds the lock, for the message a waiting process shows
DEFAULT_LOCK_WAIT = 10.0  # seconds a second gipr process waits for the first


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    s = str(v)
    out = ['"']
    for ch in s:
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


_COMMENTS = {
    "year": say("collect.workspace.year"),
    "format": say("collect.workspace.format"),
    "county": say("collect.workspace.county"),
    "roster": say("collect.workspace.roster"),
    "created": say("collect.workspace.created"),
    "gipr_version": say("collect.workspace.gipr_version"),
}


def dump_toml(config: dict[str, Any]) -> str:
    """A small TOML writer for the config: top-level tables of scalars and lists."""
    lines = [say("collect.workspace.dump_toml.lines"), ""]
    for section, body in config.items():
        if not isinstance(body, dict):
            raise ValueError(f"config section {section!r} must be a table")
        lines.append(f"[{section}]")
        for k, v in body.items():
            if isinstance(v, dict):
                raise ValueError("nested tables are not supported in the config")
            if k in _COMMENTS and section == "gipr":
                lines.append(f"# {_COMMENTS[k]}")
            lines.append(f"{k} = {_toml_value(v)}")
        lines.append("")
    return "\n".join(lines)


def who_am_i() -> str:
    """user@host of this process (recorded with pins, shown to a process waiting for the lock)."""
    import getpass
    import socket

    try:
        user = getpass.getuser()
    except Exception:
        user = "unknown"
    try:
        host = socket.gethostname()
    except Exception:
        host = ""
    return f"{user}@{host}" if host else user


def find_workspace_dir(start: Path) -> Path | None:
    start = Path(start)
    return start if (start / CONFIG_NAME).is_file() else None


class Workspace:
    """An open workspace.  Use ``Workspace.open(dir)`` or ``Workspace.create(...)``."""

    def __init__(self, root: Path, config: dict[str, Any]):
        self.root = Path(root)
        self.config = config
        g = config.get("gipr", {})
        try:
            self.year = int(g["year"])
        except (KeyError, TypeError, ValueError):
            raise GiprError(say("collect.workspace.init", config_path=self.config_path), "workspace.config") from None
        self.format = str(g.get("format") or "")
        if not self.format:
            self.format = format_for_year(self.year)
        self.county = str(g.get("county") or "")
        self.roster_file = str(g.get("roster") or "roster.csv")
        self._roster: list[Unit] | None = None
        self._ledger: Ledger | None = None
        self._spec: Spec | None = None

    # --- paths ------------------------------------------------------------------------
    @property
    def config_path(self) -> Path:
        return self.root / CONFIG_NAME

    @property
    def roster_path(self) -> Path:
        return self.root / self.roster_file

    @property
    def ledger_path(self) -> Path:
        return self.root / LEDGER_NAME

    @property
    def archive_dir(self) -> Path:
        return self.root / ARCHIVE_NAME

    @property
    def lock_path(self) -> Path:
        return self.root / LOCK_NAME

    # --- loading ----------------------------------------------------------------------
    @property
    def roster(self) -> list[Unit]:
        if self._roster is None:
            self._roster = load_roster(self.roster_path)
        return self._roster

    def unit(self, code: str) -> Unit | None:
        for u in self.roster:
            if u.code == code:
                return u
        return None

    @property
    def spec(self) -> Spec:
        if self._spec is None:
            self._spec = load_format(self.format)
        return self._spec

    @property
    def ledger(self) -> Ledger:
        if self._ledger is None:
            self._ledger = Ledger(self.ledger_path, self.archive_dir)
        return self._ledger

    def close(self) -> None:
        if self._ledger is not None:
            self._ledger.close()
            self._ledger = None

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- lock -------------------------------------------------------------------------
    @property
    def lock_owner_path(self) -> Path:
        return self.root / LOCK_OWNER_NAME

    def lock_holder(self) -> str:
        """Who holds the lock, as its holder wrote it (empty when unknown)."""
        try:
            return self.lock_owner_path.read_text(encoding="utf-8").strip()[:300]
        except (OSError, UnicodeDecodeError):
            return ""

    @contextlib.contextmanager
    def lock(self, wait: float | None = None, purpose: str | None = None) -> Iterator[None]:
        """Hold the workspace's write lock.  A second process waits ``wait`` seconds
        (default $GIPR_LOCK_WAIT or 10) and then stops with a clear message naming the
        holder (``purpose``: what the holder is doing, default the gipr command).  The lock
        is an OS lock, so a killed process never leaves it held."""
        from filelock import FileLock, Timeout

        if wait is None:
            try:
                wait = float(os.environ.get("GIPR_LOCK_WAIT", DEFAULT_LOCK_WAIT))
            except ValueError:
                wait = DEFAULT_LOCK_WAIT
        lk = FileLock(str(self.lock_path), timeout=max(0.0, wait))
        try:
            lk.acquire()
        except Timeout:
            holder = self.lock_holder()
            raise GiprError(say("collect.workspace.lock", root=self.root)
                            + (messages.say("lock.holder", holder=holder) if holder else "")
                            + say("collect.workspace.lock_2", wait=wait),
                            "workspace.locked") from None
        except OSError as e:
            raise GiprError(say("collect.workspace.lock_3", root=self.root, value=e.strerror or e), "workspace.lock_failed") from None
        try:
            with contextlib.suppress(OSError):  # telling others who holds it is a courtesy, not the lock
                cmd = next((a for a in sys.argv[1:] if not a.startswith("-")), "")
                atomic_write_bytes(self.lock_owner_path, messages.say("lock.owner", 
                    purpose=purpose or f"gipr {cmd}".strip(), who=who_am_i(), pid=os.getpid(),
                    since=_dt.datetime.now().strftime("%H:%M:%S")).encode("utf-8"), overwrite=True)
            yield
        finally:
            with contextlib.suppress(OSError):
                self.lock_owner_path.unlink()
            lk.release()

    # --- open / create ----------------------------------------------------------------
    @classmethod
    def open(cls, root: str | Path | None = None) -> Workspace:
        root = Path(root if root is not None else ".").expanduser()
        cfg = root / CONFIG_NAME
        if not root.is_dir():
            raise GiprError(say("collect.workspace.open", root=root),
                            "workspace.missing")
        if not cfg.is_file():
            raise GiprError(say("collect.workspace.open_2", root=root.resolve(), config_name=CONFIG_NAME), "workspace.not_a_workspace")
        try:
            config = tomllib.loads(cfg.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
            raise GiprError(say("collect.workspace.open_3", cfg=cfg, e=e), "workspace.config") from None
        ws = cls(root, config)
        if not ws.ledger_path.is_file():
            raise GiprError(say("collect.workspace.open_4", root=root, ledger_name=LEDGER_NAME), "workspace.no_ledger")
        return ws

    @classmethod
    def create(cls, root: str | Path, year: int, roster_path: str | Path, county: str | None = None,
               format: str | None = None) -> Workspace:
        root = Path(root).expanduser()
        roster_path = Path(roster_path).expanduser()
        if not (1990 <= int(year) <= 2200):
            raise GiprError(say("collect.workspace.create", year=year), "workspace.year")
        if (root / CONFIG_NAME).exists():
            raise GiprError(say("collect.workspace.create_2", root=root, config_name=CONFIG_NAME), "workspace.exists")
        fmt = format or format_for_year(int(year))
        if fmt not in available_formats():
            raise GiprError(say("collect.workspace.create_3", fmt=fmt, items='、'.join(available_formats())), "workspace.format")
        load_roster(roster_path)  # validate before touching anything
        if root.exists() and not root.is_dir():
            raise GiprError(say("collect.workspace.create_4", root=root), "workspace.not_dir")
        root.mkdir(parents=True, exist_ok=True)

        ext = roster_path.suffix.lower() or ".csv"
        roster_copy = root / f"roster{ext}"
        src_bytes = roster_path.read_bytes()
        if roster_copy.exists():
            if roster_copy.read_bytes() != src_bytes:
                raise GiprError(say("collect.workspace.create_5", roster_copy=roster_copy, roster_path=roster_path), "workspace.roster_exists")
        else:
            atomic_write_bytes(roster_copy, src_bytes)
            with contextlib.suppress(OSError):
                shutil.copystat(roster_path, roster_copy)
        (root / ARCHIVE_NAME).mkdir(exist_ok=True)

        led = Ledger(root / LEDGER_NAME, root / ARCHIVE_NAME)
        try:
            if led.count() > 0:
                raise GiprError(say("collect.workspace.create_6", value=root / LEDGER_NAME), "workspace.ledger_exists")
            led.set_meta("year", str(int(year)))
        finally:
            led.close()

        config = {
            "gipr": {
                "year": int(year),
                "format": fmt,
                "county": county or region_from_roster(roster_path),  # the roll-up's name: --county, else the roster's
                "roster": roster_copy.name,
                "created": _dt.datetime.now().astimezone().replace(microsecond=0).isoformat(),
                "gipr_version": __version__,
            }
        }
        atomic_write_bytes(root / CONFIG_NAME, dump_toml(config).encode("utf-8"))
        return cls.open(root)
