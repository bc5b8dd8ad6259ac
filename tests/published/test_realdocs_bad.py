"""Hostile page texts for the published-report reader (issue 17 "Bad input", issue 18 item 2):
the label search and the digit splitter run inside the reader worker with its limits, and
the splitter has a search budget.  Each file ends with a clear Chinese message (or with its
rows unknown and a finding saying why) and the other files of the run are still read."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import sys
from pathlib import Path

from kit import realdocs as rd

HEAD = "某某县人民政府2023年政府信息公开工作年度报告\n"
T3 = "三、收到和处理政府信息公开申请情况"
NEW = "一、本年新收政府信息公开申请数量"
ROWS = [NEW, "二、上年结转政府信息公开申请数量", "三、本年度办理结果（一）予以公开",
        "（二）部分公开（区分处理的，只计这一情形，不计其他情形）", "（三）不予公开1.属于国家秘密", "2.其他法律行政法规禁止公开"]


def _digits(rng: random.Random, n: int, alphabet: str = "0123456789") -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def test_hostile_page_texts_end_within_the_limits_and_the_others_are_read(tmp_path):
    rng = random.Random(17)
    bad = {
        "digits10mb.txt": HEAD + _digits(rng, 10_000_000),
        "run10000.txt": HEAD + T3 + NEW + _digits(rng, 10_000),
        "label100k.txt": HEAD + NEW * 100_000,
        "glued60.txt": HEAD + T3 + NEW + _digits(rng, 60, "123456789"),
        "glued6x80.txt": HEAD + T3 + "".join(r + _digits(rng, 80, "123456789") for r in ROWS),
        "words1m.txt": HEAD + T3 + "啊" * 1_000_000 + NEW + "12",  # a million characters before a label
    }
    for name, text in bad.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    good = tmp_path / "good.txt"
    shutil.copyfile(rd.ROOT / "pingtan-district-2023" / "page.txt", good)
    p = subprocess.run([sys.executable, "-m", "gipr.cli", "import", "--json", str(tmp_path)],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 2 and "Traceback" not in p.stderr, p.stderr[-2000:]
    out = json.loads(p.stdout)
    records = {Path(r["file"]).name: r for r in out["reports"]}
    errors = {Path(e["file"]).name: e for e in out["errors"]}
    assert set(records) | set(errors) == set(bad) | {"good.txt"}
    # the good file of the same run is read as it is alone
    assert records["good.txt"]["values"]["t3.new.total"] == 81
    assert records["words1m.txt"]["values"]["t3.new.total"] is None
    for name in ("digits10mb.txt", "label100k.txt"):
        assert errors[name]["code"] in ("doc.no_tables", "file.timeout")
        assert (name in errors[name]["message"] and "统计表" in errors[name]["message"]) or "秒" in errors[name]["message"]
    for name in ("run10000.txt", "glued60.txt", "glued6x80.txt"):
        r = records[name]
        said = [f for f in r["findings"] if f["code"] in ("published.digits_budget", "published.digits_ambiguous")]
        assert said and all("连在一起" in f["message"] for f in said), r["findings"]
        assert r["values"]["t3.new.person"] is None  # never guessed
    assert any(f["code"] == "published.digits_budget" for f in records["run10000.txt"]["findings"])


def test_the_label_search_and_the_digit_splitter_run_only_in_the_reader_worker():
    """Importing and checking a one-line page with glued digits leaves the locator, the
    label-sequence reader and the digit splitter unimported in the main process: they ran in
    the worker, behind its limits."""
    code = ("import sys; from gipr.published import import_document; from gipr.check import check_report; "
            f"imp = import_document({str(rd.ROOT / 'pingtan-district-2023' / 'page.txt')!r}); check_report(imp.report); "
            "assert imp.report.values['t3.new.total'].number == 81; "
            "print(sorted(m for m in ('gipr.published.locate', 'gipr.published.digits', 'gipr.published.sequence') "
            "if m in sys.modules))")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr[-2000:]
    assert p.stdout.strip() == "[]"
