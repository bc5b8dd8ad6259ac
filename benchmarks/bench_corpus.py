"""gipr's reader on the real published reports of tests/realdocs/: how many printed cells it
reads exactly, how many it leaves unknown (and why), how many it reads wrong (must be 0), the
findings it gives that the document does not call for (false) or misses, and the time per
document by medium.  Each medium is imported and checked in one run, as the test does.

    python benchmarks/bench_corpus.py [-v]

``-v`` lists every wrong cell, every unexplained unknown and every false or missing finding.
"""

from __future__ import annotations

import statistics
import sys
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import realdocs_kit as kit  # noqa: E402


def _medium(name: str) -> str:
    return Path(name).suffix.lstrip(".") or name


def main() -> None:
    verbose = "-v" in sys.argv
    results = kit.run_corpus()
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


if __name__ == "__main__":
    main()
