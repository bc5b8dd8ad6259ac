"""Numbers stated in a published report's text, compared with its tables.

The standard facts a report's text states: the applications received (收到/受理 … 申请 N 件),
the administrative reviews (行政复议 N 件), the lawsuits (行政诉讼 N 件) and the applications
carried over (上年结转 N 件, 结转下年度 N 件).  A mismatch is a warning quoting the
sentence: the text may describe a narrower scope (one office, one kind of application).
"""

from __future__ import annotations

import re

from .. import messages
from ..figures import figure_cells
from ..model import Finding, Report
from ..values import Number, fmt_number
from ..vocabulary import vocabulary

__all__ = ["narrative_findings", "stated_facts"]
PARENT_SIDE = ("narrative_findings",)  # a check of plain data: the Report's text against its values

_N = r"\s*(\d{1,7})\s*"
_WORDS = vocabulary()["narrative"]
# (fact, words, the figure it states (gipr.figures: its cells are named in the format file), pattern)
_FACTS: list[tuple[str, str, str, re.Pattern]] = [
    (p["fact"], _WORDS["facts"][p["fact"]]["what"], _WORDS["facts"][p["fact"]]["figure"],
     re.compile(p["pattern"].replace("{n}", _N)))
    for p in _WORDS["patterns"]
]
_WRAP = re.compile(r"(?<=[\u4e00-\u9fff，、“”（）])[ \t]*\n[ \t]*(?=[\u4e00-\u9fff\d“”（）])")
_SENTENCE = re.compile(r"[^。；！？\n]*")


def stated_facts(text: str) -> list[tuple[str, str, str, int, str]]:
    """(fact, words, figure name, number, sentence) for every standard fact the text states;
    then those stated across a wrapped line (a PDF's lines: “受理政府\n信息公开申请 17 件”)."""
    out = _facts(text)
    said = {(f, n) for f, _w, _c, n, _s in out}
    return out + [x for x in _facts(_WRAP.sub("", text)) if (x[0], x[3]) not in said]


def _facts(text: str) -> list[tuple[str, str, str, int, str]]:
    out = []
    seen: set[tuple[int, str]] = set()
    for fact, what, figure, pat in _FACTS:
        for m in pat.finditer(text):
            if (m.start(1), fact) in seen:
                continue
            seen.add((m.start(1), fact))
            start = max(text.rfind(ch, 0, m.start()) for ch in "。；！？\n") + 1
            ends = [i for i in (text.find(ch, m.end()) for ch in "。；！？\n") if i != -1]
            end = min(ends) if ends else len(text)
            sentence = text[start:end].strip()
            if len(sentence) > 120:
                sentence = sentence[:119] + "…"
            out.append((fact, what, figure, int(m.group(1)), sentence))
    return out


def narrative_findings(report: Report, values: dict[str, Number | None]) -> list[Finding]:
    out = []
    told: set[tuple[str, int]] = set()
    # only the narrative before the tables' own labels is the text; the tables are not text
    for fact, what, figure, n, sentence in stated_facts(report.text):
        cells = figure_cells(report.spec, figure)
        if not cells:
            continue
        nums = [values.get(c) for c in cells]
        if fact == "suit":
            nums = [x for x in nums if x is not None] or [None]
        if any(x is None for x in nums):
            continue
        table_n = sum(x for x in nums if x is not None)
        if table_n == n or (fact, n) in told:
            continue
        told.add((fact, n))
        out.append(messages.finding("published.text_mismatch", sentence=sentence, what=what, text_n=n,
                                    table_n=fmt_number(table_n), cell=cells[0], path=report.spec.cells[cells[0]].label_path))
    return out
