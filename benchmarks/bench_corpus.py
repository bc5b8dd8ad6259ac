"""gipr's reader on the real published reports of tests/realdocs/: how many printed cells it
reads exactly, how many it leaves unknown (and why), how many it reads wrong (must be 0), the
findings it gives that the document does not call for (false) or misses, and the time per
document by medium.  Each medium is imported and checked in one run, as the test does.

    python benchmarks/bench_corpus.py [-v] [--pdf-rounds N]

``-v`` lists every wrong cell, every unexplained unknown and every false or missing finding.

Then, for every real PDF, the time per page of ``gipr import`` (its warm reader worker, as
in a run of many files) and of the PDF parse alone (in this process), against the time
pypdfium2 alone takes to extract the same pages' text (the floor: open the document, each
page's text page and its text), in the same run, rounds interleaved; medians of N rounds
(default 7).
"""

from __future__ import annotations

import statistics
import sys
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from kit import realdocs as rd


def _medium(name: str) -> str:
    return Path(name).suffix.lstrip(".") or name


def main() -> None:
    verbose = "-v" in sys.argv
    results = rd.run_corpus()
    docs = {r.doc for r in results}
    cells = sum(r.cells for r in results)
    exact = sum(r.exact for r in results)
    unknown: Counter = Counter()
    for r in results:
        unknown.update(r.unknown)
    wrong = sum(len(r.wrong) for r in results)
    false = sum(len(r.false_findings) for r in results)
    missing = sum(len(r.missing_findings) for r in results)
    failed = [r for r in results if r.error]
    print(f"documents {len(docs)}, media files {len(results)} (import failed: {len(failed)})")
    print(f"cells {cells}, exact {exact} ({100 * exact / max(cells, 1):.1f}%), unknown {sum(unknown.values())}, "
          f"wrong {wrong}")
    for reason, n in unknown.most_common():
        print(f"    unknown because {reason}: {n}")
    print(f"false findings {false}, missing findings {missing}")
    times: dict[str, list[float]] = defaultdict(list)
    for r in results:
        times[_medium(r.medium)].append(r.seconds)
    print("time per document by medium (import + check, s):")
    for m, ts in sorted(times.items()):
        print(f"    {m:5s} n={len(ts):3d}  median {statistics.median(ts):.2f}  max {max(ts):.2f}")
    if verbose:
        for r in results:
            lines = ([f"import failed: {r.error}"] if r.error else []) + \
                [f"wrong {w}" for w in r.wrong] + [f"unknown without a reason {c}" for c in r.unexplained] + \
                [f"false finding {f}" for f in r.false_findings] + [f"missing finding {f}" for f in r.missing_findings]
            if lines:
                print(f"{r.doc}/{r.medium}:")
                for x in lines:
                    print("    " + x)


def _median_rounds(fns: list, rounds: int) -> list[tuple[float, float]]:
    """Each function's median (wall, CPU of this process) over ``rounds`` rounds, the
    functions interleaved."""
    import time

    times: list[list[tuple[float, float]]] = [[] for _ in fns]
    for _ in range(rounds):
        for k, fn in enumerate(fns):
            t0, c0 = time.perf_counter(), time.process_time()
            fn()
            times[k].append((time.perf_counter() - t0, time.process_time() - c0))
    return [(statistics.median(w for w, _c in t), statistics.median(c for _w, c in t)) for t in times]


def pdf_pages(rounds: int) -> None:
    """Import time per page of the real PDFs against pypdfium2's text extraction (the floor)."""
    import os

    import pypdfium2 as pdfium

    from gipr.published import import_document
    from gipr.published.core import parse_document

    def floor(data: bytes) -> None:
        doc = pdfium.PdfDocument(data)
        for i in range(len(doc)):
            page = doc[i]
            tp = page.get_textpage()
            tp.get_text_range()
            tp.close()
            page.close()
        doc.close()

    rows = []
    for d in rd.documents():
        for m in rd.media(d):
            if not m.endswith(".pdf"):
                continue
            path = d / m
            data = path.read_bytes()
            pages = len(pdfium.PdfDocument(data))
            import_document(path)  # the reader worker warm, as for every file after the first of a run
            f, p, i = _median_rounds([lambda data=data: floor(data),
                                      lambda data=data, m=m: parse_document(data, m, ".pdf"),
                                      lambda path=path: import_document(path)], rounds)
            rows.append((d.name, pages, f, p, i))
    if not rows:
        return
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    print(f"PDF pages (medians of {rounds} rounds{f', load {load[0]:.1f}' if load else ''}), ms per page: "
          "floor (pypdfium2 text) / parse in this process / gipr import (wall, its worker's CPU is not seen here);"
          " CPU in brackets")

    def ms(x: float, n: int) -> str:
        return f"{1000 * x / n:6.1f}"

    def line(name: str, n: int, f, p, i) -> str:
        return (f"    {name:30s} {n:3d} p  {ms(f[0], n)} [{ms(f[1], n)}] / {ms(p[0], n)} [{ms(p[1], n)}] "
                f"({p[0] / f[0]:.1f}x, CPU {p[1] / max(f[1], 1e-9):.1f}x) / {ms(i[0], n)} ({i[0] / f[0]:.1f}x)")

    for name, pages, f, p, i in rows:
        print(line(name, pages, f, p, i))
    n = sum(r[1] for r in rows)
    tot = [(sum(r[k][0] for r in rows), sum(r[k][1] for r in rows)) for k in (2, 3, 4)]
    print(line(f"all {len(rows)} PDFs", n, *tot) + "   goal: import <= 3x the floor")


if __name__ == "__main__":
    main()
    rounds = int(sys.argv[sys.argv.index("--pdf-rounds") + 1]) if "--pdf-rounds" in sys.argv else 7
    pdf_pages(rounds)
