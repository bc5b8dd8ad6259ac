"""The one reader boundary: untrusted files are read in a worker process with a hard
wall-clock limit and, on POSIX, a memory limit.

Why a process: a time limit inside the reading process (SIGALRM) does nothing on Windows,
in any thread but the main one, and while native code (calamine's Rust, zlib) is stuck.
A separate process can always be killed.  Workers are started with the 'spawn' method by
default, as on Windows, so the same code path runs everywhere and in any thread.

* :func:`run_limited` runs one call ``fn(*args)`` in a warm worker (kept between calls),
  warmed first by the caller's ``initializer`` (what its tasks need imported and built, so
  that a task's time limit is spent reading; this module imports nothing of gipr's readers).
* :class:`ReaderPool` runs ``fn`` over many items in several workers, in order; a worker
  that passes a limit (or dies) is killed and replaced, and only its item fails.  Each
  worker holds up to ``DEPTH`` items (the one it reads and the next, so that it never
  idles for a round trip); an item queued behind a failing one was never started and is
  read by another worker.

``fn`` must be a module-level (importable) function; its arguments and result must be
picklable.  What the caller gets when a limit is passed:

* wall-clock limit → ``ReadError`` code ``file.timeout`` naming the file;
* memory limit (``MemoryError`` in the worker, or the worker killed by the system for
  memory) → ``ReadError`` code ``file.too_large``;
* the worker crashed (segfault, abort) → ``ReadError`` code ``file.corrupt``;
* an exception raised by ``fn`` → the same exception, re-raised (when it survives pickling;
  otherwise a ``RuntimeError`` with its type and text).
"""

from __future__ import annotations

import atexit
import multiprocessing as mp
import os
import pickle
import signal
import sys
import threading
import time
import types
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from multiprocessing.connection import Connection, wait
from typing import Any

from . import messages
from .errors import ReadError

__all__ = ["DEFAULT_METHOD", "ReaderPool", "run_limited"]

DEFAULT_METHOD = "spawn"  # how workers start unless told otherwise: the Windows way, safe in any thread
START_SECONDS = 120.0  # a new worker must be ready within this (imports on a busy machine)
KILL_GRACE = 2.0  # seconds between terminate() and kill()
IDLE_WORKERS = 2  # warm workers kept for run_limited between calls
DEPTH = 2  # items a ReaderPool worker holds at once: the one it reads and the next
_MB = 1024 * 1024


# The modules (and packages) that parse untrusted bytes: the workbook reader and its container
# vetting, the published-document readers (PDF, Word, HTML, text, the digit splitter) and the
# e-mail parser.  They run only inside a reader worker; the main process reaches them only
# through this module, naming a task either as a function of its own module that it hands to
# run_limited / ReaderPool, or as a "module:function" string resolved in the worker.  Each reader
# module lists in PARENT_SIDE the names the main process may import from it (the limited
# wrappers, constants, error and data types, pure text helpers).  tests/test_boundary.py
# enforces this on the import graph (function-level imports included) and at run time.
READER_MODULES = (
    "gipr.read",
    "gipr.ooxml.container",
    "gipr.published",
    "gipr.collect.mailread",
)


def task_function(task: Callable[..., Any] | str) -> Callable[..., Any]:
    """A task as given to run_limited / ReaderPool: the function, or "module:function"."""
    if callable(task):
        return task
    import importlib

    mod, _, name = str(task).partition(":")
    return getattr(importlib.import_module(mod), name)


# ---------------------------------------------------------------------------------------
# the worker side


def _set_memory_limit(memory_mb: int | None) -> None:
    """Cap this process's address space / data size (POSIX); None lifts the cap again."""
    try:
        import resource
    except ImportError:  # Windows: no rlimits (the wall-clock limit still holds)
        return
    for name in ("RLIMIT_AS", "RLIMIT_DATA"):
        which = getattr(resource, name, None)
        if which is None:
            continue
        try:
            _soft, hard = resource.getrlimit(which)
            want = resource.RLIM_INFINITY if memory_mb is None else memory_mb * _MB
            if hard != resource.RLIM_INFINITY and (want == resource.RLIM_INFINITY or want > hard):
                want = hard
            resource.setrlimit(which, (want, hard))
        except (ValueError, OSError):  # e.g. macOS refuses RLIMIT_AS
            pass


def _portable(exc: BaseException) -> BaseException:
    """``exc`` if it survives a pickle round trip, else a RuntimeError with its text."""
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {str(exc)[:500]}")


def _exit_with_parent() -> None:
    """End this worker as soon as its parent process ends (killed too: SIGKILL, a crash),
    even in the middle of a long read: a daemon thread waits on the parent's sentinel."""
    parent = mp.parent_process()
    if parent is None:  # pragma: no cover - always set in a multiprocessing child
        return

    def watch() -> None:
        try:
            wait([parent.sentinel])
        finally:
            os._exit(0)

    threading.Thread(target=watch, name="gipr-parent-watch", daemon=True).start()


def _worker_main(conn: Connection, initializer: Callable[..., Any] | None, initargs: tuple) -> None:
    """A worker: run tasks from ``conn`` until it closes.  Replies ("ok", result),
    ("err", exception) or ("memory", None).  Leaves quietly when the parent is gone."""
    try:
        _serve(conn, initializer, initargs)
    except (OSError, EOFError):  # the pipe broke: the parent is gone (or killed this worker's task)
        pass


_INSIDE = False  # True in a worker process: its task already runs within the limits


def _serve(conn: Connection, initializer: Callable[..., Any] | None, initargs: tuple) -> None:
    global _INSIDE
    _INSIDE = True
    if hasattr(signal, "SIGINT"):
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    _exit_with_parent()
    try:
        if initializer is not None:
            initializer(*initargs)
    except BaseException as e:
        conn.send(("err", _portable(e)))
        return
    conn.send(("ready", os.getpid()))
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return  # the parent is gone
        if task is None:
            return
        fn, args, memory_mb = task
        _set_memory_limit(memory_mb)
        try:
            reply: tuple[str, Any] = ("ok", task_function(fn)(*args))
        except MemoryError:
            reply = ("memory", None)
        except BaseException as e:
            reply = ("err", _portable(e))
        _set_memory_limit(None)
        try:
            conn.send(reply)
        except (OSError, EOFError):
            raise
        except MemoryError:
            conn.send(("memory", None))
        except Exception as e:
            conn.send(("err", RuntimeError(f"{type(e).__name__}: {str(e)[:500]}")))
        if reply[0] == "memory":
            return  # a process that ran out of memory may be in a bad state: retire it
        del reply


# ---------------------------------------------------------------------------------------
# the parent side


def _name(what: str) -> str:
    return what or messages.say("detail.unnamed")


def timeout_error(what: str, seconds: float) -> Exception:
    return ReadError(messages.say("file.timeout", file=_name(what), seconds=f"{seconds:g}"), "file.timeout")


def memory_error(what: str, memory_mb: int | None) -> Exception:
    limit = f"{memory_mb} MB" if memory_mb else messages.say("detail.memory_system")
    return ReadError(messages.say("boundary.memory", file=_name(what), limit=limit), "file.too_large")


def crash_error(what: str, exitcode: int | None) -> Exception:
    how = messages.say("detail.crash_code", code=exitcode)
    if exitcode is not None and exitcode < 0:
        try:
            how = messages.say("detail.crash_signal", signal=signal.Signals(-exitcode).name)
        except ValueError:
            pass
    detail = messages.say("detail.crashed", how=how)
    return ReadError(messages.say("file.corrupt", file=_name(what), detail=detail), "file.corrupt")


_start_lock = threading.Lock()


def _start_without_main(proc: Any) -> None:
    """Start a 'spawn' worker without re-running the parent's main script in it.

    multiprocessing re-imports ``__main__`` in a spawned child; a script that calls gipr at
    module level (no ``if __name__ == "__main__"`` guard, e.g. a small web server) would then
    run again in every worker and fail.  A worker only runs module-level functions of real
    modules, so it is started with a bare ``__main__`` in view."""
    with _start_lock:
        real = sys.modules.get("__main__")
        sys.modules["__main__"] = types.ModuleType("__main__")
        try:
            proc.start()
        finally:
            if real is not None:
                sys.modules["__main__"] = real


class _Worker:
    """One worker process and the parent's end of its pipe."""

    def __init__(self, ctx: Any, initializer: Callable[..., Any] | None, initargs: tuple):
        self.conn, child = ctx.Pipe(duplex=True)
        self.proc = ctx.Process(target=_worker_main, args=(child, initializer, initargs), daemon=True,
                                name="gipr-reader")
        if ctx.get_start_method() == "fork":
            self.proc.start()
        else:
            _start_without_main(self.proc)
        child.close()
        self.ready = False
        self.started = time.monotonic()
        self.warmed: set[str] = set()  # run_limited's initializers this worker has run

    def warm(self, initializer: Callable[..., Any] | str) -> None:
        """Run ``initializer()`` here once (run_limited's warm-up: as a task of its own, not
        counted in the time limit of the task that follows)."""
        key = initializer if isinstance(initializer, str) else f"{initializer.__module__}:{initializer.__qualname__}"
        if key in self.warmed:
            return
        self.submit(initializer, (), None)
        if not self.conn.poll(START_SECONDS):
            self.kill()
            raise RuntimeError(f"gipr reader worker did not start within {START_SECONDS:g} s")
        ok, value = self.take("", None)
        if not ok:
            raise value
        self.warmed.add(key)

    def wait_ready(self, timeout: float) -> None:
        """Block until the worker has imported and run its initializer."""
        if self.ready:
            return
        if not self.conn.poll(timeout):
            self.kill()
            raise RuntimeError(f"gipr reader worker did not start within {timeout:g} s")
        self._take_ready()

    def _take_ready(self) -> None:
        try:
            kind, value = self.conn.recv()
        except (EOFError, OSError):
            self.kill()
            raise RuntimeError(f"gipr reader worker exited while starting (exit code {self.proc.exitcode})") from None
        if kind != "ready":
            self.kill()
            if isinstance(value, BaseException):
                raise value
            raise RuntimeError(f"gipr reader worker failed to start: {value!r}")
        self.ready = True

    def submit(self, fn: Callable[..., Any] | str, args: tuple, memory_mb: int | None) -> None:
        self.conn.send((fn, args, memory_mb))

    def take(self, what: str, memory_mb: int | None) -> tuple[bool, Any]:
        """The reply to the task in flight: (True, result) or (False, exception); a dead
        worker gives (False, crash or memory error)."""
        try:
            kind, value = self.conn.recv()
        except (EOFError, OSError):
            code = self.kill()
            if code == -getattr(signal, "SIGKILL", 9) and memory_mb:
                return False, memory_error(what, memory_mb)  # the system's out-of-memory killer
            return False, crash_error(what, code)
        if kind == "ok":
            return True, value
        if kind == "memory":
            self.kill()
            return False, memory_error(what, memory_mb)
        return False, value

    def alive(self) -> bool:
        return self.proc.is_alive()

    def kill(self) -> int | None:
        """Stop the worker at once (terminate, then kill); its exit code."""
        p = self.proc
        if p.is_alive():
            p.terminate()
            p.join(KILL_GRACE)
            if p.is_alive():
                p.kill()
                p.join(KILL_GRACE)
        else:
            p.join(KILL_GRACE)
        try:
            self.conn.close()
        except OSError:
            pass
        return p.exitcode

    def close(self) -> None:
        """Ask the worker to finish, then make sure it has."""
        try:
            self.conn.send(None)
        except (OSError, ValueError):
            pass
        self.proc.join(KILL_GRACE)
        self.kill()


def _context(method: str | None) -> Any:
    return mp.get_context(method or DEFAULT_METHOD)


# ---------------------------------------------------------------------------------------
# run_limited: one call, a warm worker

_idle: list[_Worker] = []
_idle_lock = threading.Lock()


def _take_idle() -> _Worker:
    with _idle_lock:
        while _idle:
            w = _idle.pop()
            if w.alive():
                return w
            w.kill()
    return _Worker(_context(DEFAULT_METHOD), None, ())


def _give_back(w: _Worker) -> None:
    with _idle_lock:
        if len(_idle) < IDLE_WORKERS:
            _idle.append(w)
            return
    w.close()


@atexit.register
def shutdown() -> None:
    """Stop the warm workers (also run at exit)."""
    with _idle_lock:
        workers = list(_idle)
        _idle.clear()
    for w in workers:
        w.close()


def run_limited(fn: Callable[..., Any] | str, *args: Any, seconds: float, memory_mb: int | None = None,
                what: str = "", here_in_worker: bool = False, keep: bool = True,
                initializer: Callable[..., Any] | str | None = None) -> Any:
    """``fn(*args)`` in a worker process, killed after ``seconds`` of wall-clock time
    (file.timeout) or when it needs more than ``memory_mb`` MB (file.too_large, POSIX).
    ``what`` names the file in messages.  ``fn`` may be a "module:function" string, imported
    only in the worker (how the main process names a reader it must not import itself).
    ``here_in_worker``: called from a task already running in a worker (within its own
    limits, e.g. gipr audit's pool), run ``fn`` right there instead of in a worker of its own.
    ``keep``: keep the worker warm for the next call; False for a task that leaves its worker
    larger than the next call's memory limit allows (the OCR's models).
    ``initializer``: the caller's warm-up (a module-level function or "module:function"), run
    once in each worker before its first task of this kind, outside the time limit: import the
    modules the task needs and build their tables.
    Safe to call from any thread."""
    if here_in_worker and _INSIDE:
        return task_function(fn)(*args)
    w = _take_idle()
    try:
        w.wait_ready(START_SECONDS)
        if initializer is not None:
            w.warm(initializer)
        w.submit(fn, args, memory_mb)
        if not w.conn.poll(seconds):
            w.kill()
            raise timeout_error(what, seconds)
        ok, value = w.take(what, memory_mb)
    except BaseException:
        w.kill()  # interrupted (Ctrl-C) or failed: never leave a busy worker behind
        raise
    if w.alive() and keep:
        _give_back(w)
    elif w.alive():
        w.kill()
    if ok:
        return value
    raise value


# ---------------------------------------------------------------------------------------
# ReaderPool: many items, several workers, kill and replace


def _default_what(item: Any) -> str:
    if isinstance(item, (str, os.PathLike)):
        return str(item)
    return ""


class ReaderPool:
    """Workers that read many files; use as a context manager.

    ``workers`` processes are started with ``method`` ('spawn' by default; 'fork' or
    'forkserver' where the platform has them).  ``initializer(*initargs)`` runs once in
    each worker, including replacements.  :meth:`map` yields, in the items' order, each
    result or the exception its item raised (see the module doc for the limits)."""

    def __init__(self, workers: int = 1, *, method: str | None = None,
                 initializer: Callable[..., Any] | None = None, initargs: tuple = ()):
        self.size = max(1, int(workers))
        self._ctx = _context(method)
        self.method = method or DEFAULT_METHOD
        self._init = (initializer, initargs)
        self._workers: list[_Worker] = []
        self.replaced = 0  # workers killed and replaced (timeouts, crashes, memory)
        self._closed = False

    def __enter__(self) -> ReaderPool:
        self._workers = [self._new() for _ in range(self.size)]
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _new(self) -> _Worker:
        return _Worker(self._ctx, *self._init)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for w in self._workers:
            w.close()
        self._workers = []

    def map(self, fn: Callable[[Any], Any] | str, items: Iterable[Any], *, seconds: float, memory_mb: int | None = None,
            what: str | Callable[[Any], str] = _default_what) -> Iterator[Any]:
        """``fn(item)`` for every item, in order: the result, or the exception raised."""
        if self._closed:
            raise RuntimeError("ReaderPool is closed")
        if not self._workers:
            self._workers = [self._new() for _ in range(self.size)]
        name = what if callable(what) else (lambda _item: what)
        source = iter(enumerate(items))
        window = self.size * 4  # how far ahead of the next result to yield we may read
        done: dict[int, tuple[bool, Any]] = {}
        # worker slot -> the items sent to it, oldest (the one it is reading) first; up to
        # DEPTH per worker, so that a worker finds its next item waiting in its pipe instead
        # of idling for a round trip through this process
        busy: dict[int, deque[tuple[int, Any]]] = {}
        deadline: dict[int, float] = {}  # worker slot -> when its oldest item times out
        retry: deque[tuple[int, Any]] = deque()  # items queued behind one that killed its worker
        # a pool may map several times: workers ready from an earlier map are free at once
        free: deque[int] = deque(s for s, w in enumerate(self._workers) if w.ready)
        starting: set[int] = {s for s, w in enumerate(self._workers) if not w.ready}
        next_out = 0
        exhausted = False

        def requeue(queued: deque[tuple[int, Any]]) -> None:
            # never started (its worker was still on the item before): read by another worker
            retry.extendleft(reversed(queued))

        try:
            while True:
                # hand out work to ready workers
                while free and (retry or not exhausted) and sum(map(len, busy.values())) + len(done) < window:
                    if retry:
                        i, item = retry.popleft()
                    else:
                        try:
                            i, item = next(source)
                        except StopIteration:
                            exhausted = True
                            break
                    slot = free.popleft()
                    self._workers[slot].submit(fn, (item,), memory_mb)
                    q = busy.setdefault(slot, deque())
                    if not q:
                        deadline[slot] = time.monotonic() + seconds
                    q.append((i, item))
                    if len(q) < DEPTH:
                        free.append(slot)
                # yield what is ready, in order
                while next_out in done:
                    _ok, value = done.pop(next_out)
                    next_out += 1
                    yield value
                if exhausted and not busy and not retry:
                    return
                if not busy and not starting and not free:
                    raise RuntimeError("ReaderPool has no workers")  # pragma: no cover - defensive
                # wait for a reply, a worker becoming ready, or the next deadline
                now = time.monotonic()
                deadlines = [deadline[s] for s in busy]
                deadlines += [self._workers[s].started + START_SECONDS for s in starting]
                timeout = max(0.0, min(deadlines) - now) if deadlines else None
                conns = {self._workers[s].conn: s for s in (*busy, *starting)}
                ready = wait(list(conns), timeout) if conns else []
                for c in ready:
                    slot = conns[c]
                    w = self._workers[slot]
                    if slot in starting:
                        starting.discard(slot)
                        w._take_ready()
                        free.append(slot)
                        continue
                    q = busy[slot]
                    i, item = q.popleft()
                    ok, value = w.take(name(item), memory_mb)
                    done[i] = (ok, value)
                    if w.alive():
                        if q:
                            deadline[slot] = time.monotonic() + seconds  # it starts the next one now
                        else:
                            del busy[slot]
                        if slot not in free:
                            free.append(slot)
                    else:
                        del busy[slot]
                        if slot in free:
                            free.remove(slot)
                        requeue(q)
                        self._replace(slot, starting)
                now = time.monotonic()
                for slot in list(busy):
                    if now >= deadline[slot]:
                        q = busy.pop(slot)
                        i, item = q.popleft()
                        self._workers[slot].kill()
                        done[i] = (False, timeout_error(name(item), seconds))
                        if slot in free:
                            free.remove(slot)
                        requeue(q)
                        self._replace(slot, starting)
                for slot in list(starting):
                    w = self._workers[slot]
                    if now >= w.started + START_SECONDS:
                        w.kill()
                        raise RuntimeError(f"gipr reader worker did not start within {START_SECONDS:g} s")
        finally:
            # an abandoned or failed map must not leave a worker busy with an old item
            for slot in list(busy):
                self._workers[slot].kill()
                self._replace(slot, starting)

    def _replace(self, slot: int, starting: set[int]) -> None:
        self.replaced += 1
        if self._closed:
            return
        self._workers[slot] = self._new()
        starting.add(slot)


def available_methods() -> list[str]:
    """The start methods this platform offers ('spawn' everywhere)."""
    return list(mp.get_all_start_methods())

