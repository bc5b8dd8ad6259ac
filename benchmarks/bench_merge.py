"""Benchmark: `gipr merge` on a folder of N returned workbooks, end to end from a cold start,
side by side with a workspace merge from stored results, a raw calamine read and pandas.

    /tmp/venv/bin/pip install '.[bench]'        # pandas, for the comparison only
    python benchmarks/bench_merge.py [--n 1000] [--mem-n 5000] [--pandas-n N] [--lo-n 100] [--keep DIR]

1. Generates N filled workbooks fast: K gipr workbooks are built once with xlsxwriter
   (``build_workbook`` with consistent values: totals carry their cached results, as a
   file saved by Excel) with placeholder tokens for the unit's name, code and identity;
   each unit's file is those bytes with the tokens replaced (the identity freshly signed
   for the unit) — no LibreOffice, no per-file xlsxwriter.  A roster of the N units
   (plus 3 that never report) is written too.  ``--lo-n`` of the N files (spread evenly)
   are then opened and saved again by LibreOffice (``soffice --headless --convert-to
   xlsx``, one call for all of them, recalculation forced), so that not every file is of
   gipr's own making.
2. Times ``gipr merge DIR --roster R --year Y --out OUT`` in a fresh subprocess (cold
   start: interpreter, imports, reading and checking every file in a process pool, the
   roll-up with its per-unit sheet), and samples the resident memory of the whole process
   tree (the main process and its pool workers) every 20 ms.  gipr's package is
   byte-compiled first, as ``pip install`` does (a shell with PYTHONDONTWRITEBYTECODE=1
   would otherwise recompile its source on every start).
   The merge and the raw read run ``--repeat`` times (default 3) and the best time
   counts: the machine may be shared.
3. In the same run, over the same files: a plain ``pandas.read_excel(path,
   sheet_name=None)`` loop (on a sample of ``--pandas-n`` files, default all, scaled) and a
   raw python-calamine read (open + every sheet to Python lists, single process) — the floor.
4. The same N files are collected into a workspace (``gipr init`` + ``gipr collect``,
   which reads, checks and stores each result in the ledger); ``gipr merge --workspace``
   then runs from the stored results (its ``--json`` output must say that every unit came
   from the ledger and none was re-read), timed like the folder merge.
5. With ``--mem-n`` (default 5,000) the merge is repeated on that many files for the
   peak-memory goal.
6. With ``--rollups K`` the ``--mem-n`` files are split into K counties, each merged into
   its roll-up (in this process: set-up, not measured), and the K roll-ups are merged one
   level up, timed and sampled like the others (the city / province level).

The summary prints the four ratios of issue 14 with the load average of the run: workspace
merge from stored results ≥ 3× faster than the folder merge; cold merge ≤ 1.3× the raw
calamine read; cold merge ≥ 15× faster than the pandas loop; peak memory ≤ 300 MB at 5,000.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

TOKENS = {
    "unit_name": "GIPRBENCHxNAMExQ7",
    "unit_code": "GIPRBENCHxCODExQ7",
    "template_id": "GIPRBENCHxTIDxQ7",
    "created": "GIPRBENCHxCREATEDxQ7",
    "signature": "GIPRBENCHxSIGxQ7",
}


def unit_values(spec, rng: random.Random) -> dict:
    """Valid values satisfying every rule (A, C, D, E): most cells small, some zero."""
    from decimal import Decimal

    v = {}
    for c in spec.inputs:
        if c.type == "amount":
            v[c.id] = Decimal(rng.randint(0, 10**7)) / Decimal(10**rng.randint(0, 6))
        elif c.type == "delta":
            v[c.id] = rng.randint(-9, 9)
        else:
            v[c.id] = rng.choice([0, 0, 0, 1, 2, 3, rng.randint(0, 40)])
    # rule A per column of 表三: 四 = 一 + 二 − （七）, raising 一 when needed
    for r in spec.rules_of("equal"):
        lhs_in = [x for x in r.lhs if spec.cells[x].input]
        rhs_in = [x for x in r.rhs if spec.cells[x].input]
        if not lhs_in or not rhs_in:
            continue
        leaves = lambda ids: sum(v[leaf] for x in ids for leaf in spec.cells[x].leaves)  # noqa: E731
        free = rhs_in[-1]
        v[free] = 0
        diff = leaves(r.lhs) - leaves(r.rhs)
        if diff < 0:
            v[lhs_in[0]] -= diff
            diff = 0
        v[free] = diff
    return v


class Factory:
    """K base workbooks with tokens; ``render(i, code, name)`` gives one unit's bytes."""

    def __init__(self, spec, year: int, k: int = 8, seed: int = 1):
        import xlsxwriter

        from gipr.roster import Unit
        from gipr.stamp import make_identity
        from gipr.template import WORKBOOK_OPTIONS, build_workbook

        self.spec, self.year = spec, year
        rng = random.Random(seed)
        unit = Unit(TOKENS["unit_code"], TOKENS["unit_name"], "", "", "", 0)
        ident = make_identity(spec, year, unit)
        for key, tok in TOKENS.items():
            ident[key] = tok
        self.ident_template = dict(ident)
        self.bases = []
        fields = {"filler": "张三", "phone": "0999-1234567", "date": f"{year + 1}年1月15日"}
        pat = re.compile("|".join(TOKENS.values()).encode())
        for _ in range(k):
            buf = io.BytesIO()
            wb = xlsxwriter.Workbook(buf, {**WORKBOOK_OPTIONS, "in_memory": True})
            build_workbook(wb, spec, year=year, unit=unit, values=unit_values(spec, rng), identity=ident,
                           fields=fields)
            wb.close()
            members = []
            with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as zf:
                for info in zf.infolist():
                    data = zf.read(info)
                    members.append((info, data, pat.search(data) is not None))
            self.bases.append(members)
        self.pat = pat

    def render(self, i: int, code: str, name: str) -> bytes:
        from gipr.stamp import sign

        ident = dict(self.ident_template)
        ident.update(unit_code=code, unit_name=name, template_id=f"{i:032x}", created="2025-12-01T00:00:00+00:00")
        ident["signature"] = sign(ident)
        repl = {TOKENS[k].encode(): escape(str(ident[k])).encode("utf-8") for k in TOKENS}
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
            for info, data, has in self.bases[i % len(self.bases)]:
                if has:
                    data = self.pat.sub(lambda m: repl[m.group(0)], data)
                zf.writestr(info, data)
        return out.getvalue()


def make_county(folder: Path, roster: Path, n: int, year: int) -> list[Path]:
    from gipr.spec import format_for_year, load_format

    spec = load_format(format_for_year(year))
    fac = Factory(spec, year)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    with open(roster, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["单位代码", "单位名称", "类别", "联系人", "邮箱"])
        for i in range(n + 3):
            cat = "乡镇" if i % 4 == 0 else "县直部门"
            code, name = f"U{i + 1:05d}", (f"第{i + 1:05d}乡镇人民政府" if cat == "乡镇" else f"县第{i + 1:05d}局")
            w.writerow([code, name, cat, "联系人", f"u{i + 1}@example.cn"])
            if i < n:
                p = folder / f"{year}年度统计表_{name}.xlsx"
                p.write_bytes(fac.render(i, code, name))
                paths.append(p)
    return paths


# ------------------------------------------------------------------------------------
# measurements


def _tree_pids(root: int) -> list[int]:
    """A process and all its descendants, from /proc (a scan of every process)."""
    children: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat", "rb") as f:
                ppid = int(f.read().rsplit(b")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(d))
    out, stack = [], [root]
    while stack:
        p = stack.pop()
        out.append(p)
        stack += children.get(p, [])
    return out


def _rss_kb(pids: list[int]) -> int:
    """Resident memory (kB) of these processes (those still running)."""
    total = 0
    for p in pids:
        try:
            with open(f"/proc/{p}/status", "rb") as f:
                m = re.search(rb"VmRSS:\s+(\d+)", f.read())
        except OSError:
            continue
        total += int(m.group(1)) if m else 0
    return total


def compile_package() -> None:
    """Byte-compile gipr as ``pip install`` does: a development shell with
    PYTHONDONTWRITEBYTECODE=1 (or a read-only editable checkout) would otherwise make every
    cold start compile gipr's 12,000 lines of source again (~0.15 s) — not what a user's
    installation does."""
    import compileall

    import gipr

    compileall.compile_dir(str(Path(gipr.__file__).parent), quiet=1)


def gipr_cmd() -> list[str]:
    gipr = Path(sys.executable).with_name("gipr")
    return [str(gipr)] if gipr.exists() else [sys.executable, "-m", "gipr.cli"]


def run_merge(folder: Path | None, roster: Path | None, out: Path, year: int, extra: list[str] | None = None) -> dict:
    """One cold ``gipr merge`` (of a folder, or with ``folder=None`` of what ``extra`` names)."""
    src = ([str(folder), "--roster", str(roster), "--year", str(year)] if folder is not None else [])
    cmd = [*gipr_cmd(), "merge", *src, "--out", str(out), "--force", *(extra or [])]
    peak = [0]
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    done = threading.Event()

    def sample():
        # the resident memory of the tree every 20 ms; the tree itself (the pool's workers
        # appear once) is rescanned every 0.25 s: a scan of all of /proc costs ~5 ms of CPU,
        # which every 20 ms would take a quarter of a core from the merge being measured
        pids: list[int] = []
        i = 0
        while not done.is_set():
            if i % 12 == 0:
                pids = _tree_pids(proc.pid)
            peak[0] = max(peak[0], _rss_kb(pids))
            i += 1
            done.wait(0.02)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    stdout, stderr = proc.communicate()
    dt = time.perf_counter() - t0
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)  # the merge and its pool workers (all waited for)
    cpu = (ru1.ru_utime + ru1.ru_stime) - (ru0.ru_utime + ru0.ru_stime)
    done.set()
    th.join()
    if proc.returncode != 0:
        raise SystemExit(f"gipr merge failed ({proc.returncode}):\n{stdout.decode()}\n{stderr.decode()}")
    return {"seconds": dt, "cpu": cpu, "peak_tree_mb": peak[0] / 1024, "stdout": stdout.decode()}


def lo_resave(paths: list[Path], work: Path) -> float:
    """Open and save ``paths`` again with LibreOffice (one soffice call), in place."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from kit.lo import lo_convert

    t0 = time.perf_counter()
    outs = lo_convert(paths, "xlsx", work / "lo-out")
    for src, new in zip(paths, outs):
        data = new.read_bytes()
        src.unlink()  # the N-file folder holds hard links: write a new file, not through the link
        src.write_bytes(data)
        new.unlink()
    return time.perf_counter() - t0


def make_workspace(ws: Path, folder: Path, roster: Path, year: int) -> float:
    """``gipr init`` + ``gipr collect`` of the folder; returns the collect's seconds."""
    shutil.rmtree(ws, ignore_errors=True)
    subprocess.run([*gipr_cmd(), "init", str(ws), "--year", str(year), "--roster", str(roster)], check=True,
                   capture_output=True)
    t0 = time.perf_counter()
    p = subprocess.run([*gipr_cmd(), "collect", str(folder), "-w", str(ws), "-q"], capture_output=True, text=True)
    if p.returncode not in (0, 1):
        raise SystemExit(f"gipr collect failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
    return time.perf_counter() - t0


def make_rollups(work: Path, paths: list[Path], k: int, year: int) -> Path:
    """Split ``paths`` into k counties and merge each into its roll-up (in this process)."""
    from gipr.merge import merge

    up = work / f"rollups-{k}-{len(paths)}"
    if up.is_dir() and len(list(up.glob("*.xlsx"))) == k:
        return up
    shutil.rmtree(up, ignore_errors=True)
    up.mkdir()
    t0 = time.perf_counter()
    for i in range(k):
        d = work / "county-src" / f"{i:03d}"
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir(parents=True)
        for p in paths[i::k]:
            os.link(p, d / p.name)
        merge(out=up / f"第{i + 1:03d}县汇总.xlsx", paths=[d], year=year, county=f"第{i + 1:03d}县", jobs=1)
    shutil.rmtree(work / "county-src", ignore_errors=True)
    print(f"made {k} county roll-ups of {len(paths)} units in {time.perf_counter() - t0:.0f}s")
    return up


def saved_by_lo(path: Path) -> bool:
    with zipfile.ZipFile(path) as zf:
        try:
            return b"LibreOffice" in zf.read("docProps/app.xml")
        except KeyError:
            return False


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def raw_calamine(paths: list[Path]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of opening every file and reading every sheet to lists."""
    from python_calamine import CalamineWorkbook

    t0, c0 = time.perf_counter(), time.process_time()
    for p in paths:
        wb = CalamineWorkbook.from_path(str(p))
        for name in wb.sheet_names:
            wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
    return time.perf_counter() - t0, time.process_time() - c0


def pandas_loop(paths: list[Path]) -> float:
    import warnings

    import pandas

    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for p in paths:
            pandas.read_excel(p, sheet_name=None)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--mem-n", type=int, default=5000, help="files for the peak-memory run (0: skip)")
    ap.add_argument("--pandas-n", type=int, default=None, help="pandas on this many of the files (default all)")
    ap.add_argument("--lo-n", type=int, default=100, help="of the N files, this many saved again by LibreOffice")
    ap.add_argument("--year", type=int, default=2025)
    ap.add_argument("--repeat", type=int, default=3, help="runs of each merge and of raw calamine; the best counts")
    ap.add_argument("--rollups", type=int, default=0, help="merge the --mem-n files as this many county roll-ups")
    ap.add_argument("--keep", type=Path, default=None, help="work in this folder and keep it")
    args = ap.parse_args()

    work = args.keep or Path(tempfile.mkdtemp(prefix="gipr-bench-merge-"))
    work.mkdir(parents=True, exist_ok=True)
    loads: list[str] = []
    try:
        n_all = max(args.n, args.mem_n)
        folder_all = work / f"returned-{n_all}"
        roster_all = work / f"roster-{n_all}.csv"
        t = time.perf_counter()
        marker = folder_all / f".lo-{args.n}-{args.lo_n}"
        if not folder_all.is_dir() or len(list(folder_all.glob("*.xlsx"))) != n_all or not marker.exists():
            shutil.rmtree(folder_all, ignore_errors=True)
            shutil.rmtree(work / f"returned-{args.n}", ignore_errors=True)
            paths_all = make_county(folder_all, roster_all, n_all, args.year)
            if args.lo_n:
                step = max(1, args.n // args.lo_n)
                chosen = sorted(paths_all)[: args.n][::step][: args.lo_n]
                dt = lo_resave(chosen, work)
                print(f"{len(chosen)} of the {args.n} files opened and saved again by LibreOffice in {dt:.1f}s "
                      f"(one soffice call)")
            marker.write_text("")
        else:
            paths_all = sorted(folder_all.glob("*.xlsx"))
        print(f"generated {len(paths_all)} workbooks in {time.perf_counter() - t:.1f}s "
              f"({sum(p.stat().st_size for p in paths_all[:50]) / 50 / 1024:.0f} KB each) in {work}")
        # the N-file folder: hard links to the first N files, and a roster of those N (+3 missing)
        folder = work / f"returned-{args.n}"
        roster = work / f"roster-{args.n}.csv"
        if not folder.is_dir():
            folder.mkdir()
            for p in sorted(paths_all)[: args.n]:
                os.link(p, folder / p.name)
        with open(roster_all, encoding="utf-8") as f:
            rows = list(csv.reader(f))
        names = {p.stem.split("_", 1)[1] for p in folder.glob("*.xlsx")}
        keep = [rows[0]] + [r for r in rows[1:] if r[1] in names] + rows[-3:]
        with open(roster, "w", encoding="utf-8", newline="") as f:
            csv.writer(f).writerows(keep)
        paths = sorted(folder.glob("*.xlsx"))
        n_lo = sum(1 for p in paths if saved_by_lo(p))

        cpus = len(os.sched_getaffinity(0))
        print(f"{len(paths)} files ({n_lo} saved by LibreOffice, the rest gipr's own); cores available: {cpus}; "
              f"python {sys.version.split()[0]}; load average {load()} (other processes share the cores)")
        compile_package()
        ws = work / "workspace"
        dt = make_workspace(ws, folder, roster, args.year)
        print(f"gipr collect of the {len(paths)} files into a workspace: {dt:.1f}s (reads, checks and stores each)")
        for p in paths:  # warm the page cache for every contender alike
            p.read_bytes()

        # interleaved: folder merge, workspace merge, raw read, per round; the best of each counts
        runs, wruns, raws = [], [], []
        for _ in range(args.repeat):
            loads.append(load())
            runs.append(run_merge(folder, roster, work / "汇总.xlsx", args.year))
            wruns.append(run_merge(None, None, work / "汇总-ws.xlsx", args.year, ["--workspace", str(ws), "--json"]))
            raws.append(raw_calamine(paths))
        res = min(runs, key=lambda r: r["seconds"])
        wres = min(wruns, key=lambda r: r["seconds"])
        raw = min(r[0] for r in raws)
        raw_cpu = min(r[1] for r in raws)
        cpu = min(r["cpu"] for r in runs)
        wcpu = min(r["cpu"] for r in wruns)
        import json

        got = json.loads(wres["stdout"])
        print("gipr merge runs: " + ", ".join(f"{r['seconds']:.2f}s (CPU {r['cpu']:.2f}s)" for r in runs)
              + " (best is reported)")
        rate = len(paths) / res["seconds"]
        print(f"gipr merge, {len(paths)} files, cold start: {res['seconds']:.2f}s = {rate:.0f} workbooks/s "
              f"(peak memory of the process tree {res['peak_tree_mb']:.0f} MB)")
        print("gipr merge --workspace runs: " + ", ".join(f"{r['seconds']:.2f}s (CPU {r['cpu']:.2f}s)" for r in wruns)
              + f"; from the ledger {got.get('from_ledger')}, re-read {got.get('reread')}")
        if got.get("reread") != 0 or got.get("from_ledger") != len(paths):
            print("WARNING: the workspace merge did not take every unit from the stored results")
        print("raw python-calamine read (1 process): runs " + ", ".join(f"{r[0]:.2f}s" for r in raws)
              + f"; best {raw:.2f}s = {len(paths) / raw:.0f} workbooks/s "
              f"(split over {cpus} cores: {raw / cpus:.2f}s = {len(paths) * cpus / raw:.0f}/s)")
        pd_t = None
        try:
            if args.pandas_n == 0:
                raise ImportError("--pandas-n 0")
            import pandas  # noqa: F401

            sample = paths if args.pandas_n is None else paths[:: max(1, len(paths) // args.pandas_n)][: args.pandas_n]
            loads.append(load())
            pd_t = pandas_loop(sample) * len(paths) / len(sample)
            print(f"pandas.read_excel(sheet_name=None) loop{'' if sample is paths else f' ({len(sample)} files, scaled)'}: "
                  f"{pd_t:.1f}s = {len(paths) / pd_t:.0f} workbooks/s")
        except ImportError:
            print("pandas comparison skipped (--pandas-n 0, or pandas is not installed: pip install '.[bench]')")
        res5 = None
        if args.mem_n:
            loads.append(load())
            res5 = run_merge(folder_all, roster_all, work / "汇总5000.xlsx", args.year)
            print(f"gipr merge, {len(paths_all)} files: {res5['seconds']:.1f}s = "
                  f"{len(paths_all) / res5['seconds']:.0f} workbooks/s, peak memory of the process tree "
                  f"{res5['peak_tree_mb']:.0f} MB")
        res_up = None
        if args.rollups and args.mem_n:
            up = make_rollups(work, sorted(paths_all), args.rollups, args.year)
            loads.append(load())
            res_up = run_merge(None, None, work / "汇总-上级.xlsx", args.year, [str(up), "--year", str(args.year)])
            print(f"gipr merge of {args.rollups} county roll-ups ({len(paths_all)} units in all): "
                  f"{res_up['seconds']:.1f}s, peak memory of the process tree {res_up['peak_tree_mb']:.0f} MB")
        loads.append(load())

        def verdict(ok: bool) -> str:
            return "met" if ok else "NOT met"

        n = len(paths)
        print(f"\nsummary ({n} files, {n_lo} saved by LibreOffice; load averages during the run: "
              f"{' | '.join(loads)})")
        r1 = res["seconds"] / wres["seconds"]
        print(f"  workspace merge from stored results {wres['seconds']:.2f}s vs folder merge {res['seconds']:.2f}s: "
              f"{r1:.1f}× faster (goal ≥ 3×: {verdict(r1 >= 3)}); in CPU time {wcpu:.2f}s vs {cpu:.2f}s: "
              f"{cpu / wcpu:.1f}×")
        r2 = res["seconds"] / raw
        print(f"  cold merge {res['seconds']:.2f}s vs raw python-calamine read {raw:.2f}s: {r2:.2f}× "
              f"(goal ≤ 1.3×: {verdict(r2 <= 1.3)}); in CPU time (all processes) {cpu:.2f}s vs {raw_cpu:.2f}s: "
              f"{cpu / raw_cpu:.2f}×")
        if pd_t is not None:
            r3 = pd_t / res["seconds"]
            print(f"  cold merge vs pandas.read_excel loop {pd_t:.1f}s: {r3:.1f}× faster (goal ≥ 15×: {verdict(r3 >= 15)})")
        if res5 is not None:
            mb = res5["peak_tree_mb"]
            print(f"  peak memory at {len(paths_all)} workbooks: {mb:.0f} MB (goal ≤ 300 MB: {verdict(mb <= 300)}); "
                  f"{res5['seconds']:.1f}s")
        if res_up is not None:
            print(f"  one level up: {args.rollups} county roll-ups merged in {res_up['seconds']:.1f}s, "
                  f"peak {res_up['peak_tree_mb']:.0f} MB")
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
