"""gipr ui: the local web workbench."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import typer

from .. import messages, thirdparty
from ..catalogue.access import say
from ..errors import GiprError
from .app import app, err_console

LOCAL = "127.0.0.1"


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port`` (port 0: a free one chosen by the system)."""

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        if sys.platform != "win32":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError as e:
        sock.close()
        raise GiprError(say("cli.ui.bind", host=host, port=port, value=e.strerror or e),
                        "ui.bind") from None
    return sock


def serve(root: Path | None, sock: socket.socket, token: str, extra_hosts: tuple[str, ...] = ()) -> None:
    """Serve until Ctrl-C (uvicorn handles the signal and shuts down cleanly)."""
    from ..ui.app import create_app  # lazy: keeps gipr --help light (benchmarks/bench_startup.py)
    from ..ui.core import open_ws  # lazy: keeps gipr --help light (benchmarks/bench_startup.py)
    from ..ui.userconf import remember_workspace  # lazy: keeps gipr --help light (benchmarks/bench_startup.py)
    uvicorn = thirdparty.uvicorn()

    port = sock.getsockname()[1]
    if root is not None:
        with open_ws(root) as ws:
            remember_workspace(root, ws.county, ws.year)
    # the token is remembered for this user, so the cookie may outlive the browser session
    asgi = create_app(root, token=token, port=port, extra_hosts=extra_hosts, cookie_days=30)
    config = uvicorn.Config(asgi, log_level="warning", access_log=False, lifespan="off", server_header=False)
    uvicorn.Server(config).run(sockets=[sock])


def already_running(port: int, token: str) -> bool:
    """Whether a gipr workbench with this token answers on ``port`` (a second start just opens it)."""
    import http.client

    try:
        conn = http.client.HTTPConnection(LOCAL, port, timeout=3)
        conn.request("GET", "/api/session", headers={"Authorization": f"Bearer {token}",
                                                     "Host": f"{LOCAL}:{port}"})
        ok = conn.getresponse().status == 200
        conn.close()
        return ok
    except OSError:
        return False


def switch_running(port: int, token: str, root: Path) -> bool:
    """Ask the workbench running on ``port`` to open workspace ``root`` (``gipr ui -w …`` while
    one is already running: the same address, now on this workspace)."""
    import http.client
    import json

    from ..ui.security import csrf_for  # lazy: keeps gipr --help light (benchmarks/bench_startup.py)

    try:
        conn = http.client.HTTPConnection(LOCAL, port, timeout=30)
        conn.request("POST", "/api/workspace/open", body=json.dumps({"path": str(root)}).encode("utf-8"),
                     headers={"Authorization": f"Bearer {token}", "Host": f"{LOCAL}:{port}",
                              "X-CSRF-Token": csrf_for(token), "Content-Type": "application/json"})
        ok = conn.getresponse().status == 200
        conn.close()
        return ok
    except OSError:
        return False


def _open_browser(url: str) -> None:
    import webbrowser

    try:
        webbrowser.open(url)
    except Exception:
        pass


@app.command("ui")
def ui_cmd(
    workspace: Path | None = typer.Option(None, "--workspace", "-w",
                                             help="工作目录（默认：当前文件夹；当前文件夹不是工作目录时显示开始页面）"),
    port: int | None = typer.Option(None, "--port", help="端口（默认 8620，每次相同，书签一直有效；0：自动选一个空闲端口）"),
    no_browser: bool = typer.Option(False, "--no-browser", help="不自动打开浏览器"),
    host: str = typer.Option(LOCAL, "--host", help="监听地址。默认只监听本机 127.0.0.1；其他地址会让同一网络的电脑也能连接（仍需访问令牌）"),
    print_url: bool = typer.Option(False, "--print-url", help="只显示工作台的网址（含本机记住的访问令牌），不启动"),
    install_launcher: bool = typer.Option(False, "--install-launcher",
                                          help="在桌面（Windows）或应用程序菜单（Linux）中放一个启动图标，以后双击即可打开工作台"),
) -> None:
    """在浏览器中使用的本机工作台：报送情况、收集、模板与发送、汇总。只在本机运行，数据不离开这台电脑。"""
    from ..ui import userconf  # lazy: keeps gipr --help light (benchmarks/bench_startup.py)
    from ..ui.core import open_ws  # lazy: keeps gipr --help light (benchmarks/bench_startup.py)

    if install_launcher:
        path = userconf.install_launcher()
        err_console.print(messages.say("start.launcher_written", path=path), markup=False)
        return
    chosen = userconf.DEFAULT_PORT if port is None else port
    token = userconf.remembered_token()
    if print_url:
        sys.stdout.write(userconf.url_for(chosen, token) + "\n")
        return
    here = Path(workspace if workspace is not None else ".").expanduser()
    root: Path | None = None  # None: the start page, to create a year's workspace or open a recent one
    if workspace is not None or (here / "gipr.toml").is_file():
        open_ws(here).close()  # a clear message if this is not a workspace
        root = here.resolve()
    if host != LOCAL:
        err_console.print("[yellow]" + messages.say("ui.open_host_warning", host=host) + "[/yellow]")
    shown = LOCAL if host in (LOCAL, "0.0.0.0", "::") else host
    try:
        sock = bind(host, chosen)
    except GiprError:
        if chosen and already_running(chosen, token):
            if root is not None:
                switch_running(chosen, token, root)
            url = userconf.url_for(chosen, token, shown)
            err_console.print(messages.say("start.already_running", url=url), markup=False)
            if not no_browser:
                _open_browser(url)
            return
        if port is None:
            raise GiprError(messages.say("start.port_busy", port=chosen), "ui.bind") from None
        raise
    url = userconf.url_for(sock.getsockname()[1], token, shown)
    sys.stdout.write(url + "\n")
    sys.stdout.flush()
    if root is None:
        err_console.print(messages.say("start.started_start"), markup=False)
    else:
        err_console.print(messages.say("ui.started", root=root), markup=False)
    if not no_browser:
        _open_browser(url)
    extra = (host,) if host not in (LOCAL, "localhost", "0.0.0.0", "::") else ()
    try:
        serve(root, sock, token, extra)
    finally:
        sock.close()
    err_console.print(messages.say("ui.stopped"), markup=False)
