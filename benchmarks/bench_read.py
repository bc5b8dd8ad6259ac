"""Reader speed: gipr's read_report (and check_report) against a raw python-calamine read.

    python benchmarks/bench_read.py [N] [--dir DIR]

Writes N filled templates (build_workbook with values: totals carry cached results, as a
file saved by Excel) into DIR (a temp dir by default), then times, single process:

* raw calamine: open the bytes and convert every sheet to Python lists;
* read_report: container vetting + calamine + locating/verifying labels + values;
* read_report + check_report.

Prints files/s and the ratio to raw calamine.  The files are read from memory (bytes) so
disk cache effects do not count.
"""

from __future__ import annotations

import io
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from python_calamine import CalamineWorkbook

from gipr.check import check_report
from gipr.read import read_report
from gipr.roster import Unit
from gipr.spec import load_format
from gipr.template import write_template


def make_files(n: int, outdir: Path) -> list[Path]:
    from kit.helpers import consistent_values

    spec = load_format("2021")
    rng = random.Random(7)
    paths = []
    for i in range(n):
        unit = Unit(f"U{i:04d}", f"测试单位{i:04d}", "部门", "", "", i + 2)
        p = outdir / f"u{i:04d}.xlsx"
        if not p.exists():
            write_template(p, spec, year=2021, unit=unit, values=consistent_values(spec, rng),
                           fields={"filler": "张三", "phone": "123"})
        paths.append(p)
    return paths


def raw(data: bytes) -> None:
    wb = CalamineWorkbook.from_object(io.BytesIO(data))
    for name in wb.sheet_names:
        wb.get_sheet_by_name(name).to_python(skip_empty_area=False)


def timed(label: str, fn, blobs: list[bytes], rounds: int = 3) -> float:
    best = None
    for _ in range(rounds):
        t = time.perf_counter()
        for b in blobs:
            fn(b)
        dt = time.perf_counter() - t
        best = dt if best is None else min(best, dt)
    rate = len(blobs) / best
    print(f"{label:28s} {rate:8.0f} files/s   ({best / len(blobs) * 1000:.2f} ms/file)")
    return rate


def main() -> None:
    args = sys.argv[1:]
    n = int(args[0]) if args and args[0].isdigit() else 200
    if "--dir" in args:
        d = Path(args[args.index("--dir") + 1])
        d.mkdir(parents=True, exist_ok=True)
    else:
        d = Path(tempfile.mkdtemp(prefix="gipr-bench-read-"))
    paths = make_files(n, d)
    blobs = [p.read_bytes() for p in paths]
    print(f"{n} files in {d}, {sum(map(len, blobs)) // n // 1024} KB each")
    r_raw = timed("raw calamine (all sheets)", raw, blobs)
    r_read = timed("gipr read_report", lambda b: read_report(b, name="x.xlsx"), blobs)
    r_check = timed("read_report + check_report", lambda b: check_report(read_report(b, name="x.xlsx")), blobs)
    print(f"read_report is {r_raw / r_read:.2f}x the time of a raw calamine read; with checks {r_raw / r_check:.2f}x")


if __name__ == "__main__":
    main()
