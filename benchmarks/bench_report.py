"""`gipr report --workspace` speed: N units collected into a workspace, then one annual report
document per unit plus the county's (N + 1 .docx), and the same with --pdf for the first
PDF_N units (one LibreOffice process converts them all).  Each run is a real `gipr report`
subprocess (startup, reading and checking the workbooks and the merge included).

    python benchmarks/bench_report.py [N] [PDF_N]
"""

from __future__ import annotations

import csv
import os
import random
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from benchkit import run
from kit.helpers import consistent_values

from gipr.collect.workspace import Workspace
from gipr.roster import load_roster
from gipr.spec import load_format
from gipr.template import write_template


def county(d: Path, n: int) -> Path:
    spec = load_format("2021")
    rng = random.Random(1)
    d.mkdir(parents=True)
    roster = d / "roster.csv"
    with open(roster, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["单位代码", "单位名称", "类别", "联系人", "邮箱"])
        for i in range(n):
            w.writerow([f"{i:04d}", f"测试单位{i:04d}", "县直部门", "联系人", f"u{i}@example.cn"])
    files = d / "returned"
    files.mkdir()
    for u in load_roster(roster):
        write_template(files / f"{u.code}.xlsx", spec, year=2025, unit=u, values=consistent_values(spec, rng, 30),
                       fields={"filler": "张三", "phone": "0999-1234567"})
    ws = d / "ws"
    Workspace.create(ws, 2025, roster, county="基准县").close()
    run("collect", str(files), "-w", str(ws))
    return ws


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    pdf_n = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        ws = county(d / "big", n)
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        dt = run("report", "--workspace", str(ws), "--out", str(d / "docs"))
        print(f"gipr report --workspace, {n} units: {dt:.2f} s for {n + 1} documents = {(n + 1) / dt:.1f} documents/s"
              f" (load {load:.1f})")
        ws_small = county(d / "small", pdf_n)
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        dt = run("report", "--workspace", str(ws_small), "--out", str(d / "pdf"), "--pdf")
        print(f"gipr report --workspace --pdf, {pdf_n} units: {dt:.2f} s for {pdf_n + 1} .docx + .pdf"
              f" = {(pdf_n + 1) / dt:.2f} documents/s (load {load:.1f})")


if __name__ == "__main__":
    main()
