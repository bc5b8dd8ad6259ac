"""A real ``gipr ui`` server for tests: uvicorn on 127.0.0.1 on a free port, in a thread
of the test process (so a test can lower a limit with monkeypatch), and a workspace built
from examples/ (the example roster and returned workbooks)."""

from __future__ import annotations

import contextlib
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from gipr.cli.ui import bind
from gipr.collect.workspace import Workspace
from gipr.ui.app import create_app
from gipr.ui.security import new_token
from kit.paths import EXAMPLES

RETURNED = EXAMPLES / "returned"
# a few of the example returns: two with errors, an .xls, one identified by its cover name
SOME = ["2025年度政府信息公开统计表_东河镇人民政府.xlsx", "2025年度政府信息公开统计表_县交通运输局.xlsx",
        "2025年度政府信息公开统计表_北岭镇人民政府.xls", "县公安局2025年政府信息公开统计表（终版）.xlsx",
        "2025年度政府信息公开统计表_柳树乡人民政府.xlsx"]
HOSTILE_UNITS = [("901", "<img src=x onerror=alert(1)>"), ("902", "=cmd|' /C calc'!A0")]


def make_workspace(tmp: Path, name: str = "ws", hostile: bool = False) -> Path:
    roster = (EXAMPLES / "roster.csv").read_text(encoding="utf-8-sig").rstrip("\n") + "\n"
    if hostile:
        for code, unit in HOSTILE_UNITS:
            quoted = '"' + unit.replace('"', '""') + '"'
            roster += f"{code},{quoted},县直部门,测试,t{code}@example.cn\n"
    src = tmp / f"{name}-roster.csv"
    src.write_text(roster, encoding="utf-8")
    Workspace.create(tmp / name, 2025, src, county="灵丘县").close()
    return tmp / name


def returned(tmp: Path, names=SOME) -> list[Path]:
    """Copies of example returns in a folder of their own."""
    d = tmp / "returned"
    d.mkdir(exist_ok=True)
    out = []
    for n in names:
        shutil.copyfile(RETURNED / n, d / n)
        out.append(d / n)
    return out


class Server:
    def __init__(self, root: Path):
        import uvicorn

        self.sock = bind("127.0.0.1", 0)
        self.port = self.sock.getsockname()[1]
        self.token = new_token()
        self.base = f"http://127.0.0.1:{self.port}"
        app = create_app(root, token=self.token, port=self.port)
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def __enter__(self) -> Server:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.sock.close()

    @contextlib.contextmanager
    def client(self, *, login: bool = True) -> Iterator[httpx.Client]:
        """An HTTP client; with ``login`` it has opened the token URL once (so it holds the
        cookie, as a browser does) and sends the CSRF header on every request."""
        with httpx.Client(base_url=self.base, timeout=120) as c:
            if login:
                r = c.get(f"/?token={self.token}", follow_redirects=False)
                assert r.status_code == 303 and "HttpOnly" in r.headers["set-cookie"]
                assert "SameSite=Strict" in r.headers["set-cookie"]
                c.headers["X-CSRF-Token"] = c.get("/api/session").json()["csrf"]
            yield c


def upload(c: httpx.Client, paths: list[Path], names: list[str] | None = None, **kw) -> httpx.Response:
    """POST the files to /api/collect as the workbench's upload form does."""
    names = names or [p.name for p in paths]
    files = [("files", (n, p.read_bytes(), "application/octet-stream")) for p, n in zip(paths, names)]
    return c.post("/api/collect", files=files, **kw)
