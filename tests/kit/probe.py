"""gipr run as a user runs it, watched: which modules its main process loaded and its own peak
memory (``run_gipr``, ``parent_is_clean``; the reader boundary of issue 18), and the hostile
roll-ups made from the example one (a cell at XFD1048576, 99,000 unit rows).  Used by
tests/project/test_boundary.py and tests/ui/test_ui_hostile.py."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

from gipr.read import MAX_READ_MEMORY_MB
from kit.paths import EXAMPLES

ROLLUP = EXAMPLES / "2024年度汇总.xlsx"


def under(mod: str, prefixes) -> bool:
    """mod is one of the modules (or packages) named, or inside one."""
    return any(mod == p or mod.startswith(p + ".") for p in prefixes)


LOADED = ("python_calamine", "openpyxl", "pdfplumber", "pypdfium2", "mailbox", "email.feedparser", "email.parser",
          "html.parser", "olefile", "defusedxml")
RUNNER = textwrap.dedent("""
    import atexit, json, runpy, sys
    out = sys.argv.pop(1)

    def report():
        try:
            import resource
            kb = [resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss]
        except ImportError:  # Windows: no rusage (the modules are still checked)
            kb = [0, 0]
        try:  # Linux: ru_maxrss keeps the forking parent's size (the test runner's) across exec;
            # VmHWM is this program's own peak
            with open("/proc/self/status") as f:
                kb[0] = next(int(l.split()[1]) for l in f if l.startswith("VmHWM:"))
        except (OSError, StopIteration, ValueError):
            pass
        json.dump({"modules": sorted(sys.modules), "self_kb": kb[0], "children_kb": kb[1]}, open(out, "w"))

    atexit.register(report)
    import signal
    if hasattr(signal, "SIGTERM"):  # uvicorn restores this after its graceful stop and raises SIGTERM again
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    sys.argv[0] = "gipr"
    runpy.run_module("gipr.cli", run_name="__main__")
""")


def run_gipr(tmp: Path, *args: str) -> tuple[subprocess.CompletedProcess, dict]:
    out = tmp / f"probe-{len(list(tmp.glob('probe-*')))}.json"
    p = subprocess.run([sys.executable, "-c", RUNNER, str(out), *args], capture_output=True, timeout=600,
                       env=dict(os.environ, PYTHONIOENCODING="utf-8", COLUMNS="200"))
    assert b"Traceback" not in p.stderr + p.stdout, p.stderr.decode(errors="replace")[-3000:]
    return p, json.loads(out.read_text())


def parent_is_clean(probe: dict, parent_mb: int = 400, allow: tuple[str, ...] = ()) -> None:
    loaded = [m for m in probe["modules"] if under(m, LOADED) and not under(m, allow)]
    assert not loaded, f"the main process loaded a parser: {loaded}"
    assert probe["self_kb"] < parent_mb * 1024, probe["self_kb"]  # the main process: plain data only
    assert probe["children_kb"] < MAX_READ_MEMORY_MB * 1024  # the workers: under the reader's limit


def far_cell_rollup(dst: Path) -> Path:
    """The example roll-up (a genuine gipr roll-up) with one cell at XFD1048576 in 各单位明细."""
    return _with_unit_sheet(dst, lambda xml: xml.replace(
        b"</sheetData>", b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>'))


def many_rows_rollup(dst: Path, n: int = 99_000) -> Path:
    """The example roll-up with ``n`` unit rows in 各单位明细 (each as wide as a real one)."""
    def grow(xml: bytes) -> bytes:
        head, _, rest = xml.partition(b"<sheetData>")
        _, _, tail = rest.partition(b"</sheetData>")
        rows = b"".join(b'<row r="%d"><c r="A%d"><v>%d</v></c><c r="B%d" t="inlineStr"><is><t>U%d</t></is></c>'
                        b'<c r="GW%d"><v>1</v></c></row>' % (r, r, r - 2, r, r, r) for r in range(3, n + 3))
        return head + b"<sheetData>" + rows + b"</sheetData>" + tail
    return _with_unit_sheet(dst, grow)


def _with_unit_sheet(dst: Path, edit) -> Path:
    with zipfile.ZipFile(ROLLUP) as zin:
        wb = zin.read("xl/workbook.xml").decode()
        rels = zin.read("xl/_rels/workbook.xml.rels").decode()
        rid = re.search(r'<sheet name="各单位明细" sheetId="\d+" r:id="(rId\d+)"', wb).group(1)
        target = re.search(rf'Id="{rid}"[^>]*Target="([^"]+)"|Target="([^"]+)"[^>]*Id="{rid}"', rels)
        part = "xl/" + (target.group(1) or target.group(2)).lstrip("/").removeprefix("xl/")
        with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
            for info in zin.infolist():
                data = zin.read(info.filename)
                zout.writestr(info, edit(data) if info.filename == part else data)
    return dst
