"""Old Word (.doc) and WPS (.wps) documents → .docx with LibreOffice, where it is installed.

One soffice process per file, a private profile in a temporary folder (the user's profile
is never touched), no macros (LibreOffice's default macro security in headless mode runs
none), a wall-clock limit, and the child's whole process tree ended on timeout.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from .. import messages
from ..catalogue.access import say, textkey
from ..errors import ConvertProblem, DocumentError
from .docx import parse_docx

__all__ = ["ConvertProblem", "read", "soffice", "to_docx"]

CONVERT_SECONDS = 120


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def to_docx(data: bytes, suffix: str) -> bytes:
    exe = soffice()
    if exe is None:
        raise ConvertProblem("doc.no_converter")
    with tempfile.TemporaryDirectory(prefix="gipr-lo-") as tmp:
        t = Path(tmp)
        src = t / f"in{suffix}"
        src.write_bytes(data)
        out = t / "out"
        out.mkdir()
        profile = (t / "profile").resolve().as_uri()
        cmd = [exe, f"-env:UserInstallation={profile}", "--headless", "--norestore", "--nolockcheck",
               "--convert-to", "docx:MS Word 2007 XML", "--outdir", str(out), str(src)]
        env = dict(os.environ, HOME=str(t), SAL_USE_VCLPLUGIN="svp")
        try:
            proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=CONVERT_SECONDS, env=env)
        except subprocess.TimeoutExpired:
            raise ConvertProblem("doc.convert_failed", say("published.convert.to_docx",
                                                           convert_seconds=CONVERT_SECONDS)) from None
        except OSError as e:
            raise ConvertProblem("doc.convert_failed", str(e)[:100]) from None
        got = out / "in.docx"
        if not got.exists():
            err = (proc.stderr or proc.stdout or b"").decode("utf-8", "replace").strip()[:120]
            raise ConvertProblem("doc.convert_failed", err or f"exit {proc.returncode}")
        return got.read_bytes()


_ENCRYPTED = b"E\x00n\x00c\x00r\x00y\x00p\x00t\x00i\x00o\x00n\x00I\x00n\x00f\x00o"  # an OLE stream name, UTF-16


def read(data: bytes, name: str, suffix: str = ""):
    """The parser of the Word 97-2003 / WPS row of :data:`gipr.media.MEDIA`: an encrypted file
    is refused, any other converted to .docx and read as one."""

    if _ENCRYPTED in data:
        raise DocumentError(messages.say("file.encrypted", file=name), "file.encrypted")
    what = "WPS" if suffix == ".wps" else "Word 97-2003（.doc）"
    ext = suffix if suffix in (".doc", ".wps") else ".doc"
    try:
        doc = parse_docx(to_docx(data, ext), name)
    except ConvertProblem as e:
        raise DocumentError(messages.say(textkey(e.code), file=name, kind=what, detail=e.detail), e.code) from None
    doc.kind = ext.lstrip(".")
    return doc
