"""The PDF of an annual report document, converted by LibreOffice (headless) where it is installed.

One ``soffice`` process converts all given documents (start-up is the expensive part), with a
private profile in a temporary folder (the user's LibreOffice settings are untouched and two
runs never collide) and a time limit (the process is killed when it is exceeded).  Each PDF is
written atomically beside nothing else: LibreOffice writes into a temporary folder and the file
is moved into place with :func:`gipr.fsio.atomic_output`.  Works the same on Windows (no
signals: ``Popen.kill``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from .. import messages
from ..catalogue.access import say
from ..errors import GiprError
from ..fsio import atomic_output

__all__ = ["convert_to_pdf", "soffice_path"]

_WINDOWS_CANDIDATES = (r"C:\Program Files\LibreOffice\program\soffice.exe",
                       r"C:\Program Files (x86)\LibreOffice\program\soffice.exe")


def soffice_path() -> str | None:
    """The LibreOffice executable: $GIPR_SOFFICE, then PATH, then the usual Windows places."""
    env = os.environ.get("GIPR_SOFFICE")
    if env:
        return env if Path(env).is_file() else None
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found:
        return found
    if sys.platform == "win32":
        for c in _WINDOWS_CANDIDATES:
            if Path(c).is_file():
                return c
    return None


def _stop(proc: subprocess.Popen) -> None:
    """Stop LibreOffice: on POSIX its whole process group (the soffice script starts
    soffice.bin), elsewhere the process itself."""
    if os.name == "posix":
        import signal

        try:
            os.killpg(proc.pid, signal.SIGKILL)
            return
        except OSError:
            pass
    proc.kill()


def convert_to_pdf(pairs: Sequence[tuple[Path, Path]], *, overwrite: bool = False, timeout: float | None = None
                   ) -> list[Path]:
    """Convert each ``(docx, pdf)``; raises GiprError (Chinese) when LibreOffice is missing or fails."""
    if not pairs:
        return []
    exe = soffice_path()
    if exe is None:
        raise GiprError(messages.say("report.pdf_missing"), "report.pdf_missing")
    for _, pdf in pairs:
        if pdf.exists() and not overwrite:
            raise GiprError(messages.say("report.skipped_exists", path=pdf), "output.exists")
    timeout = timeout if timeout is not None else 120 + 10 * len(pairs)
    with tempfile.TemporaryDirectory(prefix="gipr-pdf-") as work:
        work_p = Path(work)
        inputs = []
        for i, (docx, _) in enumerate(pairs):
            src = work_p / "in" / f"{i:05d}.docx"  # ASCII names: no locale trouble on the command line
            src.parent.mkdir(exist_ok=True)
            shutil.copyfile(docx, src)
            inputs.append(src)
        outdir = work_p / "out"
        profile = work_p / "profile"
        cmd = [exe, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--invisible", "--norestore",
               "--nologo", "--nodefault", "--nolockcheck", "--convert-to", "pdf:writer_pdf_Export",
               "--outdir", str(outdir), *map(str, inputs)]
        env = dict(os.environ, SAL_USE_VCLPLUGIN="svp")
        try:
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, cwd=work,
                                    start_new_session=os.name == "posix")
        except OSError as e:
            raise GiprError(messages.say("report.pdf_failed", docx=pairs[0][0], detail=str(e)), "report.pdf_failed"
                            ) from None
        try:
            out, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _stop(proc)
            proc.communicate()
            raise GiprError(messages.say("report.pdf_timeout", seconds=int(timeout)), "report.pdf_timeout") from None
        written = []
        for src, (docx, pdf) in zip(inputs, pairs):
            made = outdir / (src.stem + ".pdf")
            if not made.is_file() or made.stat().st_size == 0:
                detail = out.decode(errors="replace").strip().splitlines()[-1:] or [say("report.pdf.convert_to_pdf.detail",
                                                                                        returncode=proc.returncode)]
                raise GiprError(messages.say("report.pdf_failed", docx=docx, detail=detail[0][:200]),
                                "report.pdf_failed")
            with atomic_output(pdf, overwrite=overwrite) as tmp:
                shutil.copyfile(made, tmp)
            written.append(pdf)
    return written
