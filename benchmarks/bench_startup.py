"""gipr's start-up: the wall time of `gipr --help`, `gipr version` and `gipr check one.xlsx`
(one returned workbook of examples/, read in a reader worker), each in a fresh interpreter,
the median and best of N runs, interleaved round by round; and the modules the main process
holds at exit (how many, and which heavy libraries among them: none is the goal).  A bare
`python -c pass` is timed beside them: the interpreter's own share.

    python benchmarks/bench_startup.py [--repeat N] [--against DIR]
    python benchmarks/bench_startup.py --imports [--repeat N]

``--against DIR``: the same commands also run with DIR (a folder holding another version's
``gipr`` package, e.g. ``git archive <commit> tool templates | tar -x -C /tmp/old`` → /tmp/old/tool) first
on PYTHONPATH, interleaved with this one's, marked "against".

``--imports``: what each third-party library gipr uses costs to import on top of what
`gipr --help` already holds (best of N fresh interpreters, and the modules it adds): the
measurement behind gipr.thirdparty's choice of which libraries are heavy.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORKBOOK = ROOT / "examples" / "returned" / "2025年度政府信息公开统计表_县商务局.xlsx"
COMMANDS = {"python -c pass": None, "gipr --help": ["--help"], "gipr version": ["version"],
            "gipr check one.xlsx": ["check", str(WORKBOOK)]}
HEAVY = ("pdfplumber", "pdfminer", "pypdfium2", "docx", "docxtpl", "jinja2", "starlette", "uvicorn",
         "rapidocr_onnxruntime", "onnxruntime", "cv2", "numpy", "keyring", "PIL", "lxml", "openpyxl",
         "python_calamine")
LIBRARIES = ("openpyxl", "python_calamine", "pdfplumber", "pypdfium2", "docx", "docxtpl", "jinja2", "markupsafe",
             "starlette.applications", "uvicorn", "python_multipart", "rapidocr_onnxruntime", "numpy", "PIL.Image",
             "lxml.etree", "keyring", "olefile", "defusedxml.ElementTree", "filelock", "xlsxwriter", "typer",
             "rich.console")
PROBE = textwrap.dedent("""
    import atexit, json, runpy, sys
    out = sys.argv.pop(1)
    atexit.register(lambda: json.dump(sorted(sys.modules), open(out, "w")))
    sys.argv[0] = "gipr"
    runpy.run_module("gipr.cli", run_name="__main__")
""")
ENV = dict(os.environ, PYTHONIOENCODING="utf-8")


def load() -> str:
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "?"


def env_for(tool: Path | None) -> dict[str, str]:
    return ENV if tool is None else dict(ENV, PYTHONPATH=os.pathsep.join([str(tool), *ENV.get("PYTHONPATH", "").split(
        os.pathsep)]).rstrip(os.pathsep))


def timed(args: list[str] | None, tool: Path | None = None) -> float:
    cmd = [sys.executable, "-c", "pass"] if args is None else [sys.executable, "-m", "gipr.cli", *args]
    t = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, env=env_for(tool))
    dt = time.perf_counter() - t
    if p.returncode not in (0, 1):
        sys.exit(f"{cmd} failed ({p.returncode}):\n{(p.stdout + p.stderr).decode(errors='replace')}")
    return dt


def modules(args: list[str], tool: Path | None = None) -> list[str]:
    with tempfile.TemporaryDirectory() as d:
        out = Path(d) / "modules.json"
        subprocess.run([sys.executable, "-c", PROBE, str(out), *args], capture_output=True, env=env_for(tool),
                       check=True)
        return json.loads(out.read_text())


def startup(repeat: int, against: Path | None) -> None:
    print(f"load {load()}; {repeat} runs each, interleaved" + (f"; against {against}" if against else ""))
    runs = [(name, args, None) for name, args in COMMANDS.items()]
    if against is not None:
        runs += [(f"{name} (against)", args, against) for name, args in COMMANDS.items() if args is not None]
    for _name, args, tool in runs:  # warm: byte-compiled files, the disk cache
        timed(args, tool)
    times: dict[str, list[float]] = {name: [] for name, _a, _t in runs}
    for _ in range(repeat):
        for name, args, tool in runs:
            times[name].append(timed(args, tool))
    print(f"{'command':32s} {'median':>9s} {'best':>9s} {'modules':>8s}  heavy libraries loaded")
    for name, args, tool in runs:
        if args is None:
            mods, heavy = "", ""
        else:
            held = modules(args, tool)
            mods = str(len(held))
            heavy = ", ".join(sorted({m.split(".")[0] for m in held} & set(HEAVY))) or "none"
        print(f"{name:32s} {statistics.median(times[name]) * 1000:7.0f} ms {min(times[name]) * 1000:7.0f} ms "
              f"{mods:>8s}  {heavy}")
    print(f"load {load()}")


IMPORT_ONE = """
import importlib, json, sys, time
lib = sys.argv[1]
for m in json.loads(sys.argv[2]):
    if m.split(".")[0] != lib.split(".")[0]:
        try:
            importlib.import_module(m)
        except Exception:
            pass
n, t = len(sys.modules), time.perf_counter()
importlib.import_module(lib)
print(json.dumps([time.perf_counter() - t, len(sys.modules) - n]))
"""


def imports(repeat: int) -> None:
    base = [m for m in modules(["--help"]) if not m.startswith(("gipr", "__main__"))]
    print(f"load {load()}; on top of what `gipr --help` holds ({len(base)} modules), best of {repeat}")
    for lib in LIBRARIES:
        res = []
        for _ in range(repeat):
            p = subprocess.run([sys.executable, "-c", IMPORT_ONE, lib, json.dumps(base)], capture_output=True,
                               text=True, env=ENV)
            if p.returncode:
                print(f"{lib:24s} not installed")
                break
            res.append(json.loads(p.stdout))
        else:
            print(f"{lib:24s} {min(r[0] for r in res) * 1000:7.1f} ms  +{max(r[1] for r in res)} modules")
    print(f"load {load()}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=11)
    ap.add_argument("--imports", action="store_true", help="the import cost of each library instead")
    ap.add_argument("--against", type=Path, help="a folder holding another version's gipr package, timed beside")
    a = ap.parse_args()
    if a.imports:
        imports(a.repeat)
    else:
        startup(a.repeat, a.against.resolve() if a.against else None)


if __name__ == "__main__":
    main()
