"""Scanned reports: seconds per page and cells exact / unknown / wrong, per OCR engine and
resolution (issue 22).

    python benchmarks/bench_ocr.py                  # both engines, 150/200/300 dpi
    python benchmarks/bench_ocr.py --engines rapidocr --dpi 200

The scans are made as the tests make them (tests/kit/scanmaker.py): real published reports'
transcribed tables (tests/fixtures) rendered by LibreOffice, rasterised at the resolution
measured, turned by 1.5°, with noise, JPEG compression and a red seal.  Each scan is imported
through gipr (the reader boundary, OCR, the rules) with ``GIPR_OCR_ENGINE`` set to the engine;
"wrong" must be 0.  Needs LibreOffice, ``pip install '.[ocr]'`` and, for Tesseract, Debian's
tesseract-ocr and tesseract-ocr-chi-sim.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from kit import published_media as pm  # noqa: E402
from kit import scanmaker as sm  # noqa: E402

FIXTURES = ("published-shanghai-2019.json", "published-lingqiu-2021.json")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--engines", default="rapidocr,tesseract")
    ap.add_argument("--dpi", default="150,200,300")
    ap.add_argument("--no-header", action="store_true")
    args = ap.parse_args()
    engines = args.engines.split(",")
    if len(engines) > 1:  # one process per engine: the reader worker is kept warm, with its engine
        print(f"{'engine':<10} {'dpi':>4} {'pages':>5} {'s/page':>7} {'cells':>6} {'exact':>6} {'unknown':>8} {'wrong':>6}")
        for e in engines:
            subprocess.run([sys.executable, __file__, "--engines", e, "--dpi", args.dpi, "--no-header"], check=True,
                           env={**os.environ, "GIPR_OCR_ENGINE": e})
        return
    os.environ["GIPR_OCR_ENGINE"] = engines[0]
    import pypdfium2 as pdfium

    from gipr.errors import DocumentError
    from gipr.published import import_document

    with tempfile.TemporaryDirectory() as tmp:
        tmpd = Path(tmp)
        pdfs = {f: sm.text_pdf(f, tmpd / "src") for f in FIXTURES}
        if not args.no_header:
            print(f"{'engine':<10} {'dpi':>4} {'pages':>5} {'s/page':>7} {'cells':>6} {'exact':>6} {'unknown':>8} {'wrong':>6}")
        for engine in engines:
            for dpi in (int(d) for d in args.dpi.split(",")):
                d = sm.Degrade(dpi=dpi, angle=1.5, noise=10, jpeg=60, stamp=True)
                pages = seconds = cells = exact = unknown = wrong = 0
                for f, pdf in pdfs.items():
                    scan = sm.scan_pdf(pdf, d, tmpd / f"{engine}-{dpi}-{Path(f).stem}.pdf")
                    fx = pm.load(f)
                    t0 = time.perf_counter()
                    try:
                        imp = import_document(scan)
                    except DocumentError as e:
                        print(f"   {f}: {e}")
                        continue
                    seconds += time.perf_counter() - t0
                    pages += len(pdfium.PdfDocument(scan.read_bytes()))
                    s = sm.score(imp, fx)
                    cells += len(fx["printed"])
                    exact += s["exact"]
                    unknown += s["unknown"]
                    wrong += len(s["wrong"])
                print(f"{engine:<10} {dpi:>4} {pages:>5} {seconds / max(pages, 1):>7.1f} {cells:>6} "
                      f"{exact:>6} {unknown:>8} {wrong:>6}   ({100 * exact / max(cells, 1):.1f}% exact)", flush=True)


if __name__ == "__main__":
    main()
