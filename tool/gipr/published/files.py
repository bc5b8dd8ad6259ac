"""The documents ``gipr import`` (and check's --previous/--against) accept, found in folders."""

from __future__ import annotations

from pathlib import Path

from .. import messages
from ..errors import GiprError
from .core import DOCUMENT_SUFFIXES

__all__ = ["collect_documents"]


def collect_documents(paths: list[Path]) -> list[Path]:
    """Files as given, and the documents inside given folders (recursively, sorted, without
    lock files and hidden files).  A missing path is kept: importing it reports it."""
    out: list[Path] = []
    seen: set[str] = set()
    for p in paths:
        if p.is_dir():
            found = [q for q in sorted(p.rglob("*")) if q.is_file() and q.suffix.lower() in DOCUMENT_SUFFIXES
                     and not q.name.startswith(("~$", ".~lock", "."))]
            if not found:
                raise GiprError(messages.CLI["empty_folder_docs"].format(folder=p), "usage.empty_folder")
        else:
            found = [p]
        for q in found:
            k = str(q.resolve()) if q.exists() else str(q)
            if k not in seen:
                seen.add(k)
                out.append(q)
    return out
