"""gipr import speed: a 10-page text PDF (the goal: under 1 s), the same PDF with its tables
exported without borders (cells from word positions), one web page (under 0.2 s), a Word
file and flattened text, each imported from memory, single process.

    python benchmarks/bench_import.py [--repeat N] [--dir DIR]

The documents are the real Shanghai 2019 tables (tests/fixtures) with enough report text
around them to make the PDF ten pages; the PDF is made by LibreOffice from the .docx (once,
kept in DIR).  Prints the best and the median of N runs per medium.
"""

from __future__ import annotations

import argparse
import copy
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from kit import published_media as pm

from gipr.published import import_document


def make(d: Path) -> dict[str, Path]:
    fx = copy.deepcopy(pm.load("published-shanghai-2019.json"))
    fx["narrative"] = ["一、总体情况。" + "本年度，本机关认真贯彻落实政府信息公开条例，持续推进政务公开标准化"
                       "规范化建设，不断提升公开质量和实效。" * 8] * 18
    fx["after"] = ["五、存在的主要问题及改进情况。" + "下一步将进一步完善制度机制，加强培训，提升公开工作水平。" * 10] * 8
    out = {"docx": pm.write_docx(fx, d / "report.docx"), "html": pm.write_html(fx, d / "report.html"),
           "gbk.html": pm.write_html(fx, d / "report-gbk.html", "gbk"), "mhtml": pm.write_mhtml(fx, d / "report.mhtml")}
    out["txt"] = d / "report.txt"
    out["txt"].write_text(pm.flat_text(fx), encoding="utf-8")
    one = pm.write_docx(pm.load("songmutang-2022.json"), d / "one-page.docx")  # table 二 on one page
    bare = pm.write_docx(dict(fx, borderless=True), d / "no-lines.docx")  # no ruling lines
    pdf, pdf1, pdf0 = d / "report.pdf", d / "one-page.pdf", d / "no-lines.pdf"
    if not (pdf.exists() and pdf1.exists() and pdf0.exists()):
        from kit.lo import lo_convert

        lo_convert([out["docx"], one, bare], "pdf:writer_pdf_Export", d)
    out["pdf"] = pdf
    out["pdf no lines"] = pdf0
    out["pdf 1 page"] = pdf1
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--dir", type=Path)
    a = ap.parse_args()
    d = a.dir or Path(tempfile.mkdtemp(prefix="gipr-bench-import-"))
    d.mkdir(parents=True, exist_ok=True)
    files = make(d)
    import pdfplumber

    with pdfplumber.open(files["pdf"]) as pdf:
        pages = len(pdf.pages)
    print(f"documents in {d}; the PDF has {pages} pages; load {Path('/proc/loadavg').read_text().split()[0]}"
          if Path("/proc/loadavg").exists() else f"documents in {d}; the PDF has {pages} pages")
    for medium, path in files.items():
        data = path.read_bytes()
        import_document(path, data=data)  # warm: imports, spec cache
        times = []
        for _ in range(a.repeat):
            t = time.perf_counter()
            imp = import_document(path, data=data)
            times.append(time.perf_counter() - t)
        n = sum(1 for v in imp.report.values.values() if v.state == "number")
        print(f"{medium:12s} {len(data) / 1024:7.0f} KB  best {min(times) * 1000:7.1f} ms  "
              f"median {statistics.median(times) * 1000:7.1f} ms  ({n} numbers)")


if __name__ == "__main__":
    main()
