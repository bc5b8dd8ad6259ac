"""The one finder of input files, and the file suffixes gipr accepts.

``READABLE_SUFFIXES`` is what the workbook reader opens (``gipr check``, ``gipr merge``,
last year's folder for rule F all take the same files).  Named subsets and supersets, where
a command really needs a different set:

* ``ROSTER_SUFFIXES``: the spreadsheet kinds a roster can be (besides .csv/.txt);
* ``DOCUMENT_SUFFIXES``: published annual reports (PDF, web pages, Word, WPS, text) that
  ``gipr import`` reads: derived from the table of media (:data:`gipr.media.MEDIA`);
* ``CHECK_SUFFIXES``: what ``gipr check`` / ``gipr export`` and ``--previous`` pick up in a
  folder: the workbooks and the published documents of the media read from folders, which
  are all but plain text (a .txt beside the returned workbooks is usually a note; a text
  copy of a report is read when named);
* ``ATTACHMENT_SUFFIXES``: what collect recognises as a returned workbook in a mail or a
  folder, including kinds it cannot read (.xlsb, .fods, …): those are archived and reported
  as unreadable instead of being ignored.

``find_input_files`` walks folders the same way for every command: recursively, sorted,
not into symlinked folders, skipping hidden names (``.x``, LibreOffice's ``.~lock``) and
Office lock files (``~$x``) at any level below the folder named.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from . import media as _media
from . import messages
from .catalogue.access import TextKey
from .errors import GiprError

__all__ = [
    "ATTACHMENT_SUFFIXES",
    "CHECK_SUFFIXES",
    "DOCUMENT_SUFFIXES",
    "READABLE_SUFFIXES",
    "ROSTER_SUFFIXES",
    "files_in",
    "find_input_files",
    "is_skipped_name",
    "real_path",
]

READABLE_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods", ".et", ".xltx", ".ett")
ROSTER_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
# published annual reports (``gipr import``; check's documents and --previous/--against): from
# the table of media (gipr.media.MEDIA, one row a medium)
DOCUMENT_SUFFIXES = _media.DOCUMENT_SUFFIXES
# gipr check / export / --previous: workbooks and the published documents found in a folder
CHECK_SUFFIXES = READABLE_SUFFIXES + _media.FOLDER_DOCUMENT_SUFFIXES
ATTACHMENT_SUFFIXES = frozenset(READABLE_SUFFIXES) | {".xltm", ".xlt", ".xlsb", ".fods"}


def is_skipped_name(name: str) -> bool:
    """A hidden file or folder, or an Office / LibreOffice lock file."""
    return name.startswith((".", "~$"))


def files_in(root: Path, suffixes: Sequence[str] = READABLE_SUFFIXES) -> list[Path]:
    """The files with one of ``suffixes`` under ``root``, sorted like
    ``sorted(root.rglob("*"))``: not inside symlinked folders (as rglob), skipping hidden and
    lock names at any level.  os.scandir instead of pathlib: five times faster for a
    thousand files."""
    suffixes = tuple(s.lower() for s in suffixes)
    found: list[tuple[tuple[str, ...], Path, str]] = []
    stack: list[tuple[Path, tuple[str, ...]]] = [(root, ())]
    while stack:
        d, rel = stack.pop()
        try:
            with os.scandir(d) as it:
                entries = list(it)
        except PermissionError:
            continue
        for e in entries:
            name = e.name
            if is_skipped_name(name):
                continue
            if e.is_dir(follow_symlinks=False):
                stack.append((d / name, rel + (name,)))
            elif os.path.splitext(name)[1].lower() in suffixes and e.is_file():
                found.append((rel + (name,), d, name))
    found.sort(key=lambda t: t[0])
    return [d / name for _, d, name in found]


def find_input_files(paths: Sequence[str | Path], *, suffixes: Sequence[str] = READABLE_SUFFIXES,
                     missing: str = "error", empty_folder: str = "ignore",
                     empty_message: TextKey = "cli.empty_folder") -> list[Path]:
    """The files named, and the files inside the folders named, each once (by real path).

    ``missing``: "error" raises GiprError (``input.not_found``) for a path that does not
    exist, "keep" keeps it (reading it then reports it).  ``empty_folder``: "error" raises
    GiprError (``usage.empty_folder``, the CLI message ``empty_message``) for a folder without
    any such file."""

    out: list[Path] = []
    seen: set[Path] = set()
    real_dirs: dict[Path, Path] = {}
    for p in paths:
        p = Path(p)
        if p.is_dir():
            found = files_in(p, suffixes)
            if not found and empty_folder == "error":
                raise GiprError(messages.say(empty_message, folder=p), "usage.empty_folder")
        elif p.is_file() or missing == "keep":
            found = [p]
        else:
            raise GiprError(messages.say("input.not_found", path=p), "merge.no_input")
        for f in found:
            key = real_path(f, real_dirs) if f.exists() else f
            if key not in seen:
                seen.add(key)
                out.append(f)
    return out


def real_path(f: Path, real_dirs: dict[Path, Path]) -> Path:
    """``f.resolve()``, resolving each folder once (a thousand files in one folder: one
    resolve, not a thousand)."""
    if f.is_symlink():
        return f.resolve()
    d = f.parent
    real = real_dirs.get(d)
    if real is None:
        real = real_dirs[d] = d.resolve()
    return real / f.name
