"""Benchmark: gipr ui's API on the example county, against the CLI's core doing the same.

    python benchmarks/bench_ui.py [--repeat 50]

A workspace from examples/roster.csv; a real server (uvicorn on a free port of 127.0.0.1,
in a thread, as the tests run it).  Times, best of --repeat where it is repeated:

1. GET /api/status (31 units) and GET / (the home page, rendered);
2. POST /api/collect with the 30 example returns in one request, against the same files
   collected in-process (gipr.collect.Collector.collect_paths) into a second workspace;
3. POST /api/merge of the result.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
sys.path.insert(0, str(HERE.parent / "tool"))


def main() -> None:
    from kit.uiserver import RETURNED, Server, make_workspace

    from gipr.collect import Collector
    from gipr.collect.workspace import Workspace

    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=50)
    a = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="gipr-bench-ui-"))
    files = sorted(p for p in RETURNED.iterdir() if p.is_file())
    ws_ui, ws_cli = make_workspace(tmp, "ui"), make_workspace(tmp, "cli")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    with Server(ws_ui) as srv, srv.client() as c:
        def best(url: str) -> tuple[float, float]:
            times = []
            for _ in range(a.repeat):
                t = time.perf_counter()
                assert c.get(url).status_code == 200
                times.append(time.perf_counter() - t)
            return min(times), statistics.median(times)

        t = time.perf_counter()
        r = c.post("/api/collect", files=[("files", (p.name, p.read_bytes(), "application/octet-stream"))
                                          for p in files])
        t_up = time.perf_counter() - t
        assert r.status_code == 200 and r.json()["counts"]["new"] == len(files), r.text
        t = time.perf_counter()
        with Workspace.open(ws_cli) as w, w.lock():
            n = Collector(w).collect_paths(files).counts["new"]
        t_core = time.perf_counter() - t
        assert n == len(files)
        s_best, s_med = best("/api/status")
        h_best, h_med = best("/")
        t = time.perf_counter()
        assert c.post("/api/merge", data={"include_errors": "1"}).status_code == 200
        t_merge = time.perf_counter() - t
    print(f"load {load:.2f}")
    print(f"GET /api/status (31 units): best {s_best * 1000:.1f} ms, median {s_med * 1000:.1f} ms")
    print(f"GET / (home page): best {h_best * 1000:.1f} ms, median {h_med * 1000:.1f} ms")
    print(f"POST /api/collect, {len(files)} files in one request: {t_up:.2f} s "
          f"({len(files) / t_up:.0f} files/s); same files collected in-process: {t_core:.2f} s")
    print(f"POST /api/merge: {t_merge:.2f} s")


if __name__ == "__main__":
    main()
