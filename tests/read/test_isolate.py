"""gipr.isolate, the reader boundary, with real worker processes: a reader stuck in native
code is killed at its wall-clock limit (from any thread), a memory hog and a crashing reader
are reported as file.too_large / file.corrupt naming the file, and the pool reads real
workbooks exactly as reading them in-process does, under 'spawn' (as on Windows) and 'fork'."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest
from kit import isolate_targets as t
from kit.paths import EXAMPLES

from gipr import isolate
from gipr.errors import ReadError
from gipr.isolate import ReaderPool, run_limited
from gipr.read import read_report

HANG = 3600  # how long the hanging readers would block if nobody killed them
BOUND = 60  # a killed reader comes back well within this (a correctness bound, not a speed test)
POSIX_ONLY = pytest.mark.skipif(os.name != "posix", reason="memory limits use POSIX rlimits (none on Windows)")


def _timed(fn, *args, **kw):
    t0 = time.monotonic()
    try:
        return fn(*args, **kw), time.monotonic() - t0
    except BaseException as e:
        return e, time.monotonic() - t0


def test_a_reader_hanging_in_c_is_killed_and_the_next_call_works():
    err, took = _timed(run_limited, t.sleep_in_c, HANG, seconds=1, what="挂起的报表.xlsx")
    assert isinstance(err, ReadError), err
    assert err.code == "file.timeout"
    assert "挂起的报表.xlsx" in str(err) and "1 秒" in str(err)
    assert took < BOUND
    assert run_limited(t.echo, {"单位": "县财政局"}, seconds=BOUND) == {"单位": "县财政局"}


def test_a_blocking_read_on_a_pipe_is_killed():
    err, took = _timed(run_limited, t.block_on_pipe, None, seconds=0.5, what="管道.xls")
    assert isinstance(err, ReadError) and err.code == "file.timeout", err
    assert "管道.xls" in str(err) and "0.5 秒" in str(err)
    assert took < BOUND


def test_the_limit_holds_in_a_thread_that_is_not_the_main_one():
    out: dict = {}

    def handler():
        out["thread"] = threading.current_thread() is threading.main_thread()
        out["err"], out["took"] = _timed(run_limited, t.sleep_in_c, HANG, seconds=1, what="网页上传.xlsx")
        out["after"] = run_limited(t.echo, 7, seconds=BOUND)

    th = threading.Thread(target=handler)
    th.start()
    th.join(BOUND * 2)
    assert not th.is_alive()
    assert out["thread"] is False
    assert isinstance(out["err"], ReadError) and out["err"].code == "file.timeout"
    assert "网页上传.xlsx" in str(out["err"]) and out["took"] < BOUND
    assert out["after"] == 7


def test_calls_from_several_threads_at_once_each_get_their_own_answer():
    results: dict[int, object] = {}

    def call(i):
        results[i] = _timed(run_limited, t.sleep_in_c if i % 2 else t.echo, HANG if i % 2 else i,
                            seconds=1 if i % 2 else BOUND, what=f"文件{i}.xlsx")[0]

    threads = [threading.Thread(target=call, args=(i,)) for i in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(BOUND * 2)
    assert results[0] == 0 and results[2] == 2
    for i in (1, 3):
        assert isinstance(results[i], ReadError) and results[i].code == "file.timeout"
        assert f"文件{i}.xlsx" in str(results[i])


def test_the_callers_warm_up_runs_once_per_worker_outside_the_time_limit():
    """run_limited's initializer (the caller's warm-up) runs before the first task of its kind,
    not within that task's limit, and once per worker (named as a function or as "module:function")."""
    assert run_limited(t.warmed, None, seconds=1, initializer=t.warm_slowly) == ["slow"]  # 1.5 s, a 1 s limit
    assert run_limited(t.warmed, None, seconds=1, initializer=t.warm_slowly) == ["slow"]  # not again
    assert run_limited(t.warmed, None, seconds=1, initializer=f"{t.__name__}:warm_slowly") == ["slow"]  # the same, by name


def test_a_warm_worker_is_reused():
    first = run_limited(t.pid, None, seconds=BOUND)
    second = run_limited(t.pid, None, seconds=BOUND)
    assert first == second != os.getpid()


@POSIX_ONLY
def test_a_memory_hog_is_reported_as_too_large():
    err, _took = _timed(run_limited, t.hog, 4000, seconds=BOUND * 2, memory_mb=300, what="炸弹.xlsx")
    assert isinstance(err, ReadError), err
    assert err.code == "file.too_large"
    assert "炸弹.xlsx" in str(err) and "300 MB" in str(err)
    # under the limit the same reader succeeds, in a worker that was replaced
    assert run_limited(t.hog, 20, seconds=BOUND * 2, memory_mb=300) == 20


@pytest.mark.parametrize("crash, signal_name", [(t.abort, "SIGABRT"), (t.segfault, "SIGSEGV")])
def test_a_crashing_reader_is_a_corrupt_file_not_a_hang(crash, signal_name):
    err, took = _timed(run_limited, crash, None, seconds=BOUND * 2, what="坏文件.xls")
    assert isinstance(err, ReadError), err
    assert err.code == "file.corrupt"
    assert "坏文件.xls" in str(err)
    if os.name == "posix":
        assert signal_name in str(err)
    assert took < BOUND * 2
    assert run_limited(t.echo, "ok", seconds=BOUND) == "ok"


def test_exceptions_come_back_as_themselves():
    with pytest.raises(ReadError) as ei:
        run_limited(t.raise_read_error, "加密.xlsx", seconds=BOUND)
    assert ei.value.code == "file.encrypted" and str(ei.value) == "加密.xlsx：测试用的读取错误。"
    with pytest.raises(RuntimeError, match="_Unpicklable: 无法传回的异常"):
        run_limited(t.raise_unpicklable, None, seconds=BOUND)


def test_the_pool_kills_and_replaces_only_the_failing_worker():
    items = [("echo", 1), ("sleep", HANG), ("echo", 2), ("abort", None), ("echo", 3), ("error", "乙.xlsx"),
             ("echo", 4), ("sleep", HANG), ("echo", 5)]
    names = {i: f"第{i}个.xlsx" for i in range(len(items))}
    index = {id(it): i for i, it in enumerate(items)}
    with ReaderPool(2) as pool:
        out, took = _timed(lambda: list(pool.map(t.by_item, items, seconds=2, what=lambda it: names[index[id(it)]])))
        replaced = pool.replaced
        again = list(pool.map(t.echo, range(5), seconds=BOUND))
    assert took < BOUND * 2
    assert [out[i] for i in (0, 2, 4, 6, 8)] == [1, 2, 3, 4, 5]
    for i in (1, 7):
        assert isinstance(out[i], ReadError) and out[i].code == "file.timeout" and names[i] in str(out[i])
    assert isinstance(out[3], ReadError) and out[3].code == "file.corrupt" and names[3] in str(out[3])
    assert isinstance(out[5], ReadError) and out[5].code == "file.encrypted"
    assert replaced == 3
    assert again == [0, 1, 2, 3, 4]


def test_an_item_queued_behind_a_failing_one_is_read_by_the_replacement():
    # one worker holds the item it reads and the next: when the first kills the worker
    # (a crash, a timeout), the next was never started and is read by the replacement
    items = [("echo", 1), ("abort", None), ("echo", 2), ("sleep", HANG), ("echo", 3), ("echo", 4)]
    with ReaderPool(1) as pool:
        out = list(pool.map(t.by_item, items, seconds=2))
        replaced = pool.replaced
    assert [out[i] for i in (0, 2, 4, 5)] == [1, 2, 3, 4]
    assert isinstance(out[1], ReadError) and out[1].code == "file.corrupt"
    assert isinstance(out[3], ReadError) and out[3].code == "file.timeout"
    assert replaced == 2


def test_the_pool_reuses_its_workers():
    with ReaderPool(2) as pool:
        pids = list(pool.map(t.pid, range(12), seconds=BOUND))
    assert len(set(pids)) <= 2 and os.getpid() not in pids


def test_an_abandoned_map_leaves_no_busy_worker():
    with ReaderPool(1) as pool:
        it = pool.map(t.by_item, [("echo", 1), ("sleep", HANG), ("echo", 2)], seconds=BOUND)
        assert next(it) == 1
        it.close()  # the hanging item is in flight: its worker is killed, not left running
        assert list(pool.map(t.echo, [9], seconds=BOUND)) == [9]


def _fields(rep) -> tuple:
    return (rep.spec.id, rep.file, rep.values, rep.fields, rep.identity, rep.findings, rep.kind, rep.units,
            rep.sha256, rep.locations)


def _expected(path: Path):
    try:
        return _fields(read_report(str(path)))
    except ReadError as e:
        return ("error", e.code, str(e))


@pytest.mark.parametrize("method", [m for m in ("spawn", "fork") if m in isolate.available_methods()])
def test_the_pool_reads_real_workbooks_as_in_process(method):
    files = sorted((EXAMPLES / "returned").iterdir())
    assert len(files) >= 24
    with ReaderPool(2, method=method) as pool:
        got = list(pool.map(t.read_report_or_error, [str(p) for p in files], seconds=BOUND))
    want = [_expected(p) for p in files]
    got = [g if isinstance(g, tuple) else _fields(g) for g in got]
    assert got == want
    assert sum(1 for w in want if w[0] != "error") >= 24


def test_run_limited_returns_a_real_report():
    path = sorted((EXAMPLES / "returned").glob("*.xlsx"))[0]
    assert _fields(run_limited(t.read_report_file, str(path), seconds=BOUND, memory_mb=2048)) == _expected(path)


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status") as f:
            return any(line.startswith("State:") and "Z" in line.split()[1] for line in f)  # a zombie is gone
    except FileNotFoundError:
        return True


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="watches the worker in /proc (Linux)")
def test_a_killed_parent_takes_its_worker_along_quietly():
    """SIGKILL of gipr (a user's kill, the system's) while its worker hangs in C: the worker
    ends too (it watches its parent) and prints no traceback."""
    import signal
    import subprocess
    import sys

    code = ("from kit import isolate_targets as t\nfrom gipr.isolate import run_limited\n"
            "print(run_limited(t.pid, None, seconds=60), flush=True)\n"
            "run_limited(t.sleep_in_c, 3600, seconds=3600)\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    p = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    worker = int(p.stdout.readline())
    time.sleep(0.5)  # the worker is now in sleep(3)
    assert not _gone(worker)
    p.send_signal(signal.SIGKILL)
    _out, err = p.communicate(timeout=BOUND)
    deadline = time.monotonic() + BOUND
    while not _gone(worker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _gone(worker)
    assert b"Traceback" not in err, err.decode()


def test_a_script_without_a_main_guard_can_use_it(tmp_path):
    """A spawned worker does not re-run the parent's script (multiprocessing would, and a
    script calling gipr at module level -- a small web server -- would start workers from
    its workers and fail)."""
    import subprocess
    import sys

    script = tmp_path / "server.py"
    script.write_text("from kit import isolate_targets as t\nfrom gipr.isolate import run_limited\n"
                      "print(run_limited(t.echo, '无需 main 保护', seconds=60))\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    p = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, encoding="utf-8", env=env,
                       timeout=BOUND * 2)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "无需 main 保护"
