"""Benchmark: generate N personalised templates end to end (default 1,000).

    python benchmarks/bench_template.py [--n 1000] [--workers auto|1|2] [--format 2021] [--keep DIR]

End to end = what `gipr template --year Y --roster R --out DIR` does: read a roster of N
units (CSV written first, not timed), choose the format, build the workbook once,
personalise it per unit, and write each file atomically (temp file, fsync, rename).
Prints templates/s.  Goal: ≥ 100 templates/s on a 2-core machine.
"""

from __future__ import annotations

import argparse
import csv
import shutil
import sys
import tempfile
import time
from pathlib import Path


def make_roster(path: Path, n: int) -> None:
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(["单位代码", "单位名称", "类别", "联系人", "邮箱"])
        for i in range(n):
            kind = "乡镇" if i % 3 == 0 else "县直部门"
            name = f"第{i + 1:04d}镇人民政府" if kind == "乡镇" else f"县第{i + 1:04d}局"
            w.writerow([f"U{i + 1:05d}", name, kind, "联系人", f"u{i + 1}@example.cn"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--year", type=int, default=2025)
    ap.add_argument("--format", default=None)
    ap.add_argument("--workers", default="auto", help="auto (gipr's default), or a number of processes")
    ap.add_argument("--keep", type=Path, default=None, help="write into this folder and keep the files")
    args = ap.parse_args()

    from gipr.cli import main as gipr_main

    tmp = Path(tempfile.mkdtemp(prefix="gipr-bench-"))
    try:
        roster = tmp / "roster.csv"
        make_roster(roster, args.n)
        out = args.keep if args.keep else tmp / "out"
        cmd = ["template", "--year", str(args.year), "--roster", str(roster), "--out", str(out), "--force"]
        if args.format:
            cmd += ["--format", args.format]
        if args.workers != "auto":
            cmd += ["--workers", args.workers]
        t0 = time.perf_counter()
        try:
            gipr_main(cmd)
        except SystemExit as e:
            if e.code not in (0, None):
                sys.exit(e.code)
        dt = time.perf_counter() - t0
        files = list(Path(out).glob("*.xlsx"))
        assert len(files) == args.n, f"expected {args.n} files, found {len(files)}"
        size = sum(p.stat().st_size for p in files) / len(files)
        print(f"{args.n} templates in {dt:.2f} s = {args.n / dt:.0f} templates/s "
              f"(workers={args.workers}, {size / 1024:.0f} KiB each)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
