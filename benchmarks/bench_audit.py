"""`gipr audit` speed and memory: N published reports (default 1,000), made of the real page
texts of tests/realdocs repeated under distinct issuers (the region's name
in every copy replaced by another one, so each copy is another issuer's report with its own
bytes and its own chain of years), audited with 1 worker and with 2 (or --jobs) workers.

Each run is a fresh Python process calling gipr.audit.run_audit (the CLI's core); it prints
the wall time, the main process's peak RSS and the largest worker's peak RSS.

    python benchmarks/bench_audit.py [N] [--jobs 1,2]
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = [ROOT / "tests" / "realdocs"]
REGION = "平潭综合实验区"

CHILD = r"""
import json, os, resource, sys, time
from gipr.audit import run_audit
t = time.perf_counter()
load0 = os.getloadavg()[0]
a = run_audit([sys.argv[1]], jobs=int(sys.argv[2]))
wall = time.perf_counter() - t
d = a.to_json()["summary"]
me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"wall": wall, "documents": d["documents"], "issuer_years": d["issuer_years"],
                  "cpu_main": me.ru_utime + me.ru_stime, "cpu_workers": kids.ru_utime + kids.ru_stime,
                  "load": [load0, os.getloadavg()[0]],
                  "main_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "worker_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))
"""


def make_region(dst: Path, n: int) -> int:
    texts = {}
    for root in SOURCES:
        for d in sorted(root.glob("pingtan-*")):
            p = d / "page.txt"
            if p.is_file() and d.name not in texts:
                texts[d.name] = p.read_text(encoding="utf-8")
    made = 0
    copy = 0
    while made < n:
        place = f"样本{copy:03d}综合实验区"
        for name, text in texts.items():
            if made >= n:
                break
            out = dst / place / f"{name}.txt"
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(text.replace(REGION, place), encoding="utf-8")
            made += 1
        copy += 1
    return made


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    n = int(args[0]) if args else 1000
    jobs = [1, 2]
    if "--jobs" in sys.argv:
        jobs = [int(x) for x in sys.argv[sys.argv.index("--jobs") + 1].split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        made = make_region(Path(tmp), n)
        print(f"{made} documents (real page texts under distinct issuers)")
        results = {}
        for j in jobs:
            p = subprocess.run([sys.executable, "-c", CHILD, tmp, str(j)], capture_output=True, text=True, check=True)
            r = json.loads(p.stdout.strip().splitlines()[-1])
            results[j] = r
            print(f"jobs={j}: {r['wall']:.1f} s ({made / r['wall']:.1f} documents/s), main peak {r['main_mb']:.0f} MB, "
                  f"largest worker peak {r['worker_mb']:.0f} MB; {r['issuer_years']} issuer-years; CPU main "
                  f"{r['cpu_main']:.1f} s, workers {r['cpu_workers']:.1f} s; load {r['load'][0]:.1f} → {r['load'][1]:.1f}")
        if 1 in results and len(results) > 1:
            for j, r in results.items():
                if j != 1:
                    print(f"speed-up with {j} workers: {results[1]['wall'] / r['wall']:.2f}x")


if __name__ == "__main__":
    started = time.perf_counter()
    main()
    print(f"(bench total {time.perf_counter() - started:.0f} s)")
