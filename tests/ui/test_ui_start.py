"""The workbench without a terminal: the start page (create a year's workspace from a roster
upload, or open a recent one), the token remembered for this user so that a restart keeps
the address, ``gipr ui --print-url`` and the desktop launcher ``--install-launcher`` writes."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from kit.mailservers import free_port
from kit.paths import EXAMPLES, REPO
from kit.uiserver import Server, make_workspace

from gipr.collect.workspace import Workspace
from gipr.ui import userconf

ROSTER = EXAMPLES / "roster.csv"


def roster_files(c: httpx.Client, data: bytes, name: str, **fields):
    return c.post("/api/workspace/create", data=fields, files=[("roster", (name, data, "text/csv"))])


def test_launcher_for_each_platform(tmp_path):
    cmd = [r"C:\Program Files\Python312\python.exe", "-m", "gipr.cli", "ui"]
    name, body = userconf.launcher_text("win32", cmd)
    text = body.decode("utf-8")
    assert name == "gipr 年报工作台.cmd"
    assert text.startswith("@echo off\r\n") and "\n" not in text.replace("\r\n", "")
    assert 'chcp 65001' in text  # the Chinese title and messages show in the console window
    assert text.rstrip("\r\n").endswith(r'"C:\Program Files\Python312\python.exe" -m gipr.cli ui')

    cmd = ["/home/李丽/gipr env/bin/python", "-m", "gipr.cli", "ui"]
    name, body = userconf.launcher_text("linux", cmd)
    lines = body.decode("utf-8").splitlines()
    assert name == "gipr-ui.desktop" and lines[0] == "[Desktop Entry]"
    keys = dict(line.split("=", 1) for line in lines[1:])
    assert keys["Type"] == "Application" and keys["Terminal"] == "false" and keys["Name"] == "gipr 年报工作台"
    assert keys["Exec"] == '"/home/李丽/gipr env/bin/python" -m gipr.cli ui'

    # written where each platform looks for it, the Linux one executable
    env = {"USERPROFILE": str(tmp_path / "win-user"), "XDG_DATA_HOME": str(tmp_path / "xdg")}
    assert userconf.launcher_folder("win32", env) == tmp_path / "win-user" / "Desktop"
    assert userconf.launcher_folder("linux", env) == tmp_path / "xdg" / "applications"
    for platform in ("win32", "linux"):
        p = userconf.install_launcher(platform, userconf.launcher_folder(platform, env), cmd)
        assert p.read_bytes() == userconf.launcher_text(platform, cmd)[1]
        if platform == "linux" and sys.platform != "win32":
            assert p.stat().st_mode & 0o111


def test_install_launcher_command_runs_this_python(tmp_path, monkeypatch):
    """The written launcher's command starts this gipr (the start page opens)."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("USERPROFILE", str(tmp_path / "home"))
    r = subprocess.run([sys.executable, "-m", "gipr.cli", "ui", "--install-launcher"], capture_output=True,
                       text=True, env=dict(os.environ, PYTHONPATH=str(REPO / "tool")), timeout=60)
    assert r.returncode == 0, r.stderr
    written = userconf.launcher_folder(sys.platform)
    name = userconf.launcher_text(sys.platform, [])[0]
    assert (written / name).is_file() and str(written / name) in r.stderr.replace("\n", "")
    assert sys.executable in (written / name).read_text(encoding="utf-8")


def test_config_folder_per_platform(tmp_path):
    home = tmp_path / "h"
    assert userconf.config_dir("win32", {"APPDATA": r"C:\Users\li\AppData\Roaming"}, home) == \
        Path(r"C:\Users\li\AppData\Roaming") / "gipr"
    assert userconf.config_dir("linux", {}, home) == home / ".config" / "gipr"
    assert userconf.config_dir("linux", {"XDG_CONFIG_HOME": "/x"}, home) == Path("/x/gipr")
    assert userconf.config_dir("linux", {"GIPR_CONFIG_HOME": "/t"}, home) == Path("/t")


def test_token_is_remembered_owner_only(tmp_path):
    tok = userconf.remembered_token()
    assert userconf.remembered_token() == tok and len(tok) >= 32
    p = userconf.config_dir() / userconf.TOKEN_FILE
    assert p.read_text().strip() == tok
    if sys.platform != "win32":
        assert stat.S_IMODE(p.stat().st_mode) == 0o600
        assert stat.S_IMODE(p.parent.stat().st_mode) == 0o700


def _start(args, cwd):
    return subprocess.Popen([sys.executable, "-m", "gipr.cli", "ui", "--no-browser", *args], cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, PYTHONPATH=str(REPO / "tool")))


def _stop(p) -> str:
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=30)
    assert "Traceback" not in err
    return err


@pytest.mark.skipif(sys.platform == "win32", reason="stops the server with SIGINT")
def test_same_address_after_a_restart(tmp_path):
    """The address (port and token) is the same after a restart, so the bookmark and the cookie
    still work; a second start while one runs opens the running one; --print-url says it."""
    port = free_port()
    printed = subprocess.run([sys.executable, "-m", "gipr.cli", "ui", "--print-url", "--port", str(port)],
                             capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=str(REPO / "tool")),
                             timeout=60).stdout.strip()
    assert printed == f"http://127.0.0.1:{port}/?token={userconf.remembered_token()}"
    default = subprocess.run([sys.executable, "-m", "gipr.cli", "ui", "--print-url"], capture_output=True, text=True,
                             env=dict(os.environ, PYTHONPATH=str(REPO / "tool")), timeout=60).stdout.strip()
    assert default.startswith(f"http://127.0.0.1:{userconf.DEFAULT_PORT}/?token=")
    p = _start(["--port", str(port)], tmp_path)
    try:
        assert p.stdout.readline().strip() == printed
        c = httpx.Client(timeout=30, follow_redirects=True)
        r = c.get(printed)
        assert r.status_code == 200 and "新建一个年度" in r.text  # no workspace here: the start page
        assert "Max-Age=" in r.history[0].headers["set-cookie"]
        second = _start(["--port", str(port)], tmp_path)
        _out, err = second.communicate(timeout=60)
        assert second.returncode == 0 and "已在运行" in err
        # gipr ui -w YEAR while it runs: the running workbench opens that year
        ws = make_workspace(tmp_path)
        third = _start(["--port", str(port), "-w", str(ws)], tmp_path)
        _out, err = third.communicate(timeout=60)
        assert third.returncode == 0 and "已在运行" in err
        assert "报送情况" in c.get(f"http://127.0.0.1:{port}/").text
    finally:
        _stop(p)
    p = _start(["--port", str(port)], tmp_path)
    try:
        assert p.stdout.readline().strip() == printed
        assert c.get(f"http://127.0.0.1:{port}/start").status_code == 200  # yesterday's cookie still works
    finally:
        _stop(p)
        c.close()


def test_create_from_the_start_page_then_open_recent(tmp_path):
    bad = ("单位代码,单位名称,类别,联系人,邮箱\n001,县人民政府办公室,县直部门,王丽,xzfb@example.cn\n"
           ",县发展和改革局,县直部门,李强,fgj@example.cn\n003,县人民政府办公室,县直部门,张敏,jykj@example.cn\n"
           "004,县公安局,县直部门,刘洋,gaj@example\n").encode()
    parent = tmp_path / "我的年报"
    with Server(None) as srv, srv.client() as c:
        r = c.get("/", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/start"
        assert c.get("/api/status").status_code == 409
        # every bad row at once, by row number, named by the file she chose
        r = roster_files(c, bad, "灵丘县单位名册.csv", year="2025", county="灵丘县", parent=str(parent))
        assert r.status_code == 400
        rows = r.json()["error"]["rows"]
        assert [x.split("：")[0] for x in rows] == ["单位名册 灵丘县单位名册.csv 第 3 行（县发展和改革局）",
                                                    "单位名册 灵丘县单位名册.csv 第 4 行",
                                                    "单位名册 灵丘县单位名册.csv 第 5 行（县公安局）"]
        assert "3 行需要修改" in r.json()["error"]["message"] and not parent.exists()
        assert "gipr-roster" not in r.text and "/tmp" not in r.text
        r = roster_files(c, ROSTER.read_bytes(), "名册.csv", year="2025", county="灵丘县", parent=str(parent))
        assert r.status_code == 200, r.text
        root = parent / "灵丘县2025年度政府信息公开年报"
        with Workspace.open(root) as ws:
            assert (ws.year, ws.county, len(ws.roster)) == (2025, "灵丘县", 31)
        assert c.get("/api/status").json()["totals"]["units"] == 31
        again = roster_files(c, ROSTER.read_bytes(), "名册.csv", year="2025", county="灵丘县", parent=str(parent))
        assert again.status_code == 400 and "已经是一个年度工作目录" in again.json()["error"]["message"]
    assert userconf.recent()[0] == {"path": str(root.resolve()), "county": "灵丘县", "year": 2025}
    with Server(None) as srv, srv.client() as c:
        page = c.get("/start").text
        assert "打开 灵丘县 2025 年度" in page
        assert c.post("/api/workspace/open", json={"path": str(root)}).json()["page"] == "/"
        assert "报送情况" in c.get("/").text
        r = c.post("/api/workspace/open", json={"path": str(tmp_path)})
        assert r.status_code == 400 and "不是 gipr 工作目录" in r.json()["error"]["message"]
