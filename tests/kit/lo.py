"""LibreOffice (headless) for tests: open, recalculate and convert spreadsheets.

    from tests.lo import lo_convert            # or: from lo import lo_convert
    outs = lo_convert([a_xlsx, b_xlsx], "xlsx", tmp_path / "lo")

* ONE ``soffice`` process converts all given files (start-up is the expensive part:
  batch your files into one call).
* Each call uses its own private profile (``-env:UserInstallation``) in a temporary
  directory, so concurrent test runs never collide and the user's profile is untouched.
  The profile forces recalculation of every formula on load (Calc settings
  ``OOXMLRecalcMode=0`` and ``ODFRecalcMode=0``), so converting xlsx → xlsx yields the
  values LibreOffice computes, not the cached values gipr wrote.
* ``to`` is a target extension (``"xlsx"``, ``"ods"``, ``"pdf"``, ``"csv"``) or a full
  LibreOffice filter spec (``"xlsx:Calc MS Excel 2007 XML"``).
* Raises ``LOError`` (with soffice's output) when soffice fails, times out (the whole
  process group is killed) or does not produce an output file.

``soffice_path()`` returns the soffice executable or None; ``tests/conftest.py`` has a
``soffice`` fixture that skips a test with a clear reason when it is missing.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterable
from pathlib import Path

__all__ = ["RECALC_XCU", "LOError", "lo_convert", "soffice_path"]

RECALC_XCU = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Misc"><prop oor:name="FirstRun" oor:op="fuse"><value>false</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Misc"><prop oor:name="ShowTipOfTheDay" oor:op="fuse"><value>false</value></prop></item>
</oor:items>
"""

_FILTERS = {
    "xlsx": "xlsx:Calc MS Excel 2007 XML",
    "ods": "ods",
    "pdf": "pdf:calc_pdf_Export",
    "csv": "csv:Text - txt - csv (StarCalc):44,34,76,1",
}


class LOError(RuntimeError):
    """soffice failed, timed out or produced no output."""


def soffice_path() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def lo_convert(paths: Iterable[str | Path], to: str, outdir: str | Path, *, timeout: float | None = None) -> list[Path]:
    """Convert ``paths`` with one soffice process; return the output paths in input order."""
    paths = [Path(p).resolve() for p in paths]
    if not paths:
        return []
    exe = soffice_path()
    if exe is None:
        raise LOError("soffice not found on PATH")
    outdir = Path(outdir).resolve()
    outdir.mkdir(parents=True, exist_ok=True)
    ext = to.split(":", 1)[0]
    filt = _FILTERS.get(to, to)
    outs = [outdir / f"{p.stem}.{ext}" for p in paths]
    if len({o.name for o in outs}) != len(outs):
        raise ValueError("input files must have distinct names (outputs would collide)")
    for p, o in zip(paths, outs):
        if p == o:
            raise ValueError(f"output would overwrite its input: {p}")
        if o.exists():
            o.unlink()
    if timeout is None:
        timeout = 120 + 5 * len(paths)
    with tempfile.TemporaryDirectory(prefix="gipr-lo-") as prof:
        user = Path(prof) / "user"
        user.mkdir()
        (user / "registrymodifications.xcu").write_text(RECALC_XCU, encoding="utf-8")
        cmd = [exe, f"-env:UserInstallation={Path(prof).as_uri()}", "--headless", "--invisible", "--norestore",
               "--nologo", "--nodefault", "--nolockcheck", "--convert-to", filt, "--outdir", str(outdir),
               *map(str, paths)]
        env = dict(os.environ, HOME=prof, SAL_USE_VCLPLUGIN="svp")
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                                start_new_session=True)
        try:
            out, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            out, _ = proc.communicate()
            raise LOError(f"soffice timed out after {timeout:.0f}s converting {len(paths)} file(s)\n"
                          f"{out.decode(errors='replace')}") from None
    text = out.decode(errors="replace")
    missing = [o for o in outs if not o.is_file() or o.stat().st_size == 0]
    if proc.returncode != 0 or missing:
        raise LOError(f"soffice exit {proc.returncode}; missing outputs: {[m.name for m in missing]}\n{text}")
    return outs
