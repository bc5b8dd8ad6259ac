"""Safe file output: atomic writes (temp file, fsync, rename) and safe file names."""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import unicodedata
from collections.abc import Iterator
from pathlib import Path

from .errors import GiprError
from .messages import say

_WIN_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}
_BAD_CHARS = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')


def safe_filename(name: str, default: str = say("fsio.safe_filename"), max_len: int = 120) -> str:
    """A file name that is safe on Windows and Linux: no path parts, no reserved names,
    no control characters, not too long (the extension is kept)."""
    name = unicodedata.normalize("NFC", str(name or ""))
    name = name.replace("\\", "/").split("/")[-1]
    name = _BAD_CHARS.sub("_", name).strip(" .")
    if not name:
        name = default
    stem, dot, ext = name.rpartition(".")
    if not dot or len(ext) > 8:
        stem, ext = name, ""
    if stem.upper().split(".")[0] in _WIN_RESERVED:
        stem = "_" + stem
    ext = f".{ext}" if ext else ""
    stem = stem[: max(1, max_len - len(ext))]
    return stem + ext


_ERRNO_ZH = {
    "ENOSPC": say("fsio.enospc"),
    "EDQUOT": say("fsio.edquot"),
    "EFBIG": say("fsio.efbig"),
    "EACCES": say("fsio.eacces"),
    "EPERM": say("fsio.eacces"),
    "EROFS": say("fsio.erofs"),
    "ENAMETOOLONG": say("fsio.enametoolong"),
}


def describe_os_error(e: BaseException) -> str:
    """An OSError (or an exception wrapping one, as xlsxwriter's FileCreateError does) in
    Chinese for the common causes, else the system's own text."""
    import errno as _errno

    if not isinstance(e, OSError) and e.args and isinstance(e.args[0], OSError):
        e = e.args[0]
    if isinstance(e, OSError):
        name = _errno.errorcode.get(e.errno or 0, "")
        if name in _ERRNO_ZH:
            return f"{_ERRNO_ZH[name]}（{e.strerror or name}）"
        return e.strerror or str(e)
    return str(e)


def _wrapped_os_error(e: BaseException) -> bool:
    return not isinstance(e, OSError) and isinstance(e, Exception) and bool(e.args) and isinstance(e.args[0], OSError)


def fsync_dir(path: Path) -> None:
    """Make a rename or a new file in ``path`` durable (POSIX; a no-op elsewhere)."""
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _chmod_like_a_new_file(path: Path) -> None:
    """mkstemp makes 0600 files; give the output the mode an ordinary new file gets (umask)."""
    if os.name != "posix":
        return
    mask = os.umask(0)
    os.umask(mask)
    with contextlib.suppress(OSError):
        os.chmod(path, 0o666 & ~mask)


@contextlib.contextmanager
def atomic_output(path: str | Path, *, overwrite: bool = False, sync_dir: bool = True) -> Iterator[Path]:
    """Yield a temp path beside ``path``; on success fsync it and rename it into place.

    On any error the temp file is removed and ``path`` is untouched.  An existing
    ``path`` is replaced only with ``overwrite=True``.  The result gets the mode of an
    ordinary new file (umask), never mkstemp's 0600.  ``sync_dir=False`` leaves the
    folder's fsync to the caller (a batch of files: once per batch, ``fsync_dir``).
    """
    path = Path(path)
    if path.exists() and not overwrite:
        raise GiprError(say("output.exists", path=path), "output.exists")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name[:40]}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        with open(tmp_path, "rb+") as f:
            os.fsync(f.fileno())
        _chmod_like_a_new_file(tmp_path)
        if path.exists() and not overwrite:
            raise GiprError(say("output.exists", path=path), "output.exists")
        os.replace(tmp_path, path)
        if sync_dir:
            fsync_dir(path.parent)
    except BaseException as e:
        with contextlib.suppress(OSError):
            tmp_path.unlink()
        if isinstance(e, OSError) or _wrapped_os_error(e):  # xlsxwriter wraps OSError in FileCreateError
            kept = say("fsio.atomic_output.kept") if path.exists() else say("fsio.atomic_output.kept_2")
            raise GiprError(say("fsio.atomic_output", path=path, describe_os_error=describe_os_error(e), kept=kept), "output.write_failed") from None
        raise


def atomic_write_bytes(path: str | Path, data: bytes, *, overwrite: bool = False, sync_dir: bool = True) -> None:
    with atomic_output(path, overwrite=overwrite, sync_dir=sync_dir) as tmp:
        tmp.write_bytes(data)


def write_once(dest: Path, data: bytes, *, prefix: str = ".incoming.") -> None:
    """Write ``data`` to ``dest`` read-only, never replacing a file already there (an archive
    entry named by its content hash): temp file, fsync, hard link (no clobber), else rename
    when the filesystem has no hard links.  Raises OSError."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=dest.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        with contextlib.suppress(OSError):
            os.chmod(tmp, 0o444)
        try:
            os.link(tmp, dest)  # fails if dest exists: never overwrites
        except FileExistsError:
            pass
        except OSError:  # no hard links on this filesystem
            if not dest.exists():
                os.replace(tmp, dest)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
    fsync_dir(dest.parent)
