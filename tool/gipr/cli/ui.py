"""gipr ui: the local web workbench."""

from __future__ import annotations

import socket
import sys
from pathlib import Path
from typing import Optional

import typer

from .. import messages
from .app import app, err_console

LOCAL = "127.0.0.1"


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port`` (port 0: a free one chosen by the system)."""
    from ..errors import GiprError

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        if sys.platform != "win32":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError as e:
        sock.close()
        raise GiprError(f"无法在 {host}:{port} 上启动工作台：{e.strerror or e}。请换一个端口（--port）。",
                        "ui.bind") from None
    return sock


def serve(root: Path, sock: socket.socket, token: str, extra_hosts: tuple[str, ...] = ()) -> None:
    """Serve until Ctrl-C (uvicorn handles the signal and shuts down cleanly)."""
    import uvicorn

    from ..ui.app import create_app

    port = sock.getsockname()[1]
    asgi = create_app(root, token=token, port=port, extra_hosts=extra_hosts)
    config = uvicorn.Config(asgi, log_level="warning", access_log=False, lifespan="off", server_header=False)
    uvicorn.Server(config).run(sockets=[sock])


@app.command("ui")
def ui_cmd(
    workspace: Optional[Path] = typer.Option(None, "--workspace", "-w", help="工作目录（默认：当前文件夹）"),
    port: int = typer.Option(0, "--port", help="端口（默认：自动选一个空闲端口）"),
    no_browser: bool = typer.Option(False, "--no-browser", help="不自动打开浏览器"),
    host: str = typer.Option(LOCAL, "--host", help="监听地址。默认只监听本机 127.0.0.1；其他地址会让同一网络的电脑也能连接（仍需访问令牌）"),
) -> None:
    """在浏览器中使用的本机工作台：报送情况、收集、模板与发送、汇总。只在本机运行，数据不离开这台电脑。"""
    from ..ui.core import open_ws
    from ..ui.security import new_token

    root = Path(workspace if workspace is not None else ".").expanduser()
    open_ws(root).close()  # a clear message if this is not a workspace
    root = root.resolve()
    if host != LOCAL:
        err_console.print("[yellow]" + messages.UI["open_host_warning"].format(host=host) + "[/yellow]")
    sock = bind(host, port)
    token = new_token()
    shown = LOCAL if host in (LOCAL, "0.0.0.0", "::") else host
    url = f"http://{shown}:{sock.getsockname()[1]}/?token={token}"
    sys.stdout.write(url + "\n")
    sys.stdout.flush()
    err_console.print(messages.UI["started"].format(root=root), markup=False)
    if not no_browser:
        import webbrowser

        try:
            webbrowser.open(url)
        except Exception:  # noqa: BLE001 - no browser: the printed address still works
            pass
    extra = (host,) if host not in (LOCAL, "localhost", "0.0.0.0", "::") else ()
    try:
        serve(root, sock, token, extra)
    finally:
        sock.close()
    err_console.print(messages.UI["stopped"], markup=False)
