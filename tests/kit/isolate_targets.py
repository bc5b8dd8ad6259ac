"""Functions run inside gipr.isolate's worker processes by tests/read/test_isolate.py.  They live
in their own small module because a 'spawn' worker imports the module of the function it
runs (a module-level, importable function) and this one imports nothing heavy."""

from __future__ import annotations

import ctypes
import os
import threading


def echo(x):
    return x


def pid(_item=None) -> int:
    return os.getpid()


def sleep_in_c(seconds: int) -> str:
    """Block inside libc's sleep(3): native code that no Python signal handler interrupts."""
    libc = ctypes.CDLL(None) if os.name != "nt" else None
    if libc is None:  # pragma: no cover - Windows: kernel32's Sleep (milliseconds)
        ctypes.windll.kernel32.Sleep(seconds * 1000)
    else:
        libc.sleep(seconds)
    return "woke up"


def block_on_pipe(_item=None) -> bytes:
    """A blocking read of a pipe nobody writes to (this process holds the write end too)."""
    r, _w = os.pipe()
    return os.read(r, 1)


def hog(mb: int) -> int:
    """Allocate ``mb`` MB, touching it page by page."""
    blocks = []
    for _ in range(mb):
        b = bytearray(1024 * 1024)
        b[::4096] = b"x" * len(b[::4096])
        blocks.append(b)
    return len(blocks)


def abort(_item=None):
    os.abort()


def segfault(_item=None):
    ctypes.string_at(0)


def raise_read_error(name: str):
    from gipr.errors import ReadError

    raise ReadError(f"{name}：测试用的读取错误。", "file.encrypted")


class _Unpicklable(Exception):
    def __init__(self, a, b):
        super().__init__(a)
        self.lock = threading.Lock()


def raise_unpicklable(_item=None):
    raise _Unpicklable("无法传回的异常", 2)


def by_item(item):
    """The pool's mixed workload: ("echo", x) | ("sleep", s) | ("abort", _) | ("hog", mb) | ("error", name)."""
    kind, arg = item
    return {"echo": echo, "sleep": sleep_in_c, "abort": abort, "hog": hog, "error": raise_read_error,
            "pid": pid}[kind](arg)


def read_report_file(path: str):
    from gipr.read import read_report

    return read_report(path)


def read_report_or_error(path: str):
    """read_report's result, or the ReadError it raised (as a value, not raised)."""
    from gipr.errors import ReadError
    from gipr.read import read_report

    try:
        return read_report(path)
    except ReadError as e:
        return ("error", e.code, str(e))


def vm_size_mb(_item=None) -> int:
    """This worker's address space (VmSize, MB): what RLIMIT_AS counts (Linux)."""
    with open("/proc/self/status") as f:
        kb = next(int(line.split()[1]) for line in f if line.startswith("VmSize:"))
    return kb // 1024


WARMED: list[str] = []  # what this worker's warm-ups did (run_limited's initializer)


def warm_slowly() -> None:
    import time

    time.sleep(1.5)
    WARMED.append("slow")


def warmed(_item=None) -> list[str]:
    return list(WARMED)
