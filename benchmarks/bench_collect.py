"""Collect speed: 200 filled workbooks in a folder, then the same 200 as e-mail in an mbox,
then a re-collect (no-op).  Each run is a real `gipr collect` subprocess (startup included).

    python benchmarks/bench_collect.py [N]
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from benchkit import run
from kit.helpers import consistent_values
from kit.mailmaker import make_message, write_mbox

from gipr.roster import load_roster
from gipr.spec import load_format
from gipr.template import write_template


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    spec = load_format("2021")
    rng = random.Random(1)
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        roster = d / "roster.csv"
        roster.write_text("单位代码,单位名称,类别,联系人,邮箱\n" + "".join(
            f"U{i:03d},第{i:03d}局,部门,某,u{i:03d}@example.cn\n" for i in range(n)), encoding="utf-8")
        units = load_roster(roster)
        src = d / "files"
        src.mkdir()
        t0 = time.perf_counter()
        files = []
        for u in units:
            p = write_template(src / f"{u.code}.xlsx", spec, year=2025, unit=u, values=consistent_values(spec, rng),
                               fields={"filler": "某", "phone": "1"})
            files.append(p)
        print(f"made {n} filled workbooks in {time.perf_counter() - t0:.1f}s")
        msgs = [make_message([(f"{u.name}.xlsx", p.read_bytes(), "rfc2047-gb2312")], sender=u.email,
                             message_id=f"<b{i}@example.cn>") for i, (u, p) in enumerate(zip(units, files))]
        write_mbox(d / "inbox.mbox", msgs)
        for what, source in (("folder", src), ("mbox", d / "inbox.mbox")):
            ws = d / f"ws_{what}"
            subprocess.run([sys.executable, "-m", "gipr.cli", "init", str(ws), "--year", "2025", "--roster",
                            str(roster)], check=True, capture_output=True)
            dt = run("collect", str(source), "-w", str(ws), "-q")
            print(f"collect {n} workbooks from a {what}: {dt:.2f}s = {n / dt:.0f} files/s")
            dt = run("collect", str(source), "-w", str(ws), "-q")
            print(f"re-collect (no-op) {what}: {dt:.2f}s = {n / dt:.0f} files/s")
    print(f"(machine: {os.cpu_count()} CPUs; one process, sequential)")


if __name__ == "__main__":
    main()
