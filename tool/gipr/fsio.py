"""Safe file output: atomic writes (temp file, fsync, rename) and safe file names."""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import unicodedata
from pathlib import Path
from typing import Iterator

from .errors import GiprError

_WIN_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}
_BAD_CHARS = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')


def safe_filename(name: str, default: str = "未命名", max_len: int = 120) -> str:
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


def _fsync_dir(path: Path) -> None:
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def atomic_output(path: str | Path, *, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temp path beside ``path``; on success fsync it and rename it into place.

    On any error the temp file is removed and ``path`` is untouched.  An existing
    ``path`` is replaced only with ``overwrite=True``.
    """
    path = Path(path)
    if path.exists() and not overwrite:
        raise GiprError(f"文件已存在：{path}。如需替换，请加 --force，或换一个文件名。", "output.exists")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name[:40]}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        with open(tmp_path, "rb+") as f:
            os.fsync(f.fileno())
        if path.exists() and not overwrite:
            raise GiprError(f"文件已存在：{path}。如需替换，请加 --force，或换一个文件名。", "output.exists")
        os.replace(tmp_path, path)
        _fsync_dir(path.parent)
    except OSError as e:
        with contextlib.suppress(OSError):
            tmp_path.unlink()
        raise GiprError(f"无法写入 {path}：{e.strerror or e}", "output.write_failed") from None
    except BaseException:
        with contextlib.suppress(OSError):
            tmp_path.unlink()
        raise


def atomic_write_bytes(path: str | Path, data: bytes, *, overwrite: bool = False) -> None:
    with atomic_output(path, overwrite=overwrite) as tmp:
        tmp.write_bytes(data)
