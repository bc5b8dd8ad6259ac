"""Rows from text that lost its line breaks, anchored on the format's label sequence.

A crawler that keeps a page's text without its line breaks runs the whole table together:
``…现行有效件数规章000行政规范性文件77132470第二十条第（五）项…一、本年新收政府信息公开申请数量801000081二、上年结转…``.
Line breaks say nothing there, but the labels of each format are known and ordered, and no
official label holds an Arabic digit except its list number.  So the text is cut into

* **words**: a stretch without numbers, cut again at every official label it holds (the
  longest first: a title, a heading, a column label, a row label), and at a list number
  (“2.”, “（三）”, “四、”) that starts a label the format does not spell that way (a shortened
  label, “2.逾期不缴费”): such a label runs to the next official label;
* **numbers**: digit runs, with a decimal part, a unit (元, 万元) or a sign; a run followed
  by “.”/“、” and a word is a number run that ends in the next label's list number
  (“00000002.其他法律…” is ``0000000`` and the label ``2.其他法律…``): the list number is never
  read as a number.  Digits followed by 年, 条, 件, % … belong to the words (“2023年”).

Each stretch of words becomes a header row (everything but its last label) and a label row
(its last label, then the numbers up to the next words).  The locator
(:mod:`gipr.published.locate`) then matches the labels and takes the numbers as it does for
any table; a run of glued digits stays one cell for the digit splitter.
"""

from __future__ import annotations

import re

from ..read import normalize_label
from ..spec import Spec
from ..vocabulary import alternation, vocabulary
from .grid import PrintedCell

__all__ = ["sequence_rows"]

_SIGNS = vocabulary()["values"]["increase"] + vocabulary()["values"]["decrease"]
_VALUE = re.compile(rf"(?:(?<![.])[-−{_SIGNS}](?=\d))?\d+(?:\.\d+)?")  # 增/减 before digits: a sign (本年增/减)
_WORD_AFTER = tuple(vocabulary()["printed"]["word_after"])
_MONEY = vocabulary()["money"]
_UNIT = re.compile(r"\s*(" + alternation((_MONEY["wan_yuan"], _MONEY["yuan"])) + ")")
_RULES = re.compile(r":?-{3,}:?")
_PIPE = re.compile(r"[|｜]")
_LIST_END = re.compile(r"[.、．]\s*(?=[^\d\s.、．０-９])")
# a list number at the start of a normalised label
_CN = vocabulary()["numerals"]["digits"]  # 一 … 十
_NUMBERING = re.compile(rf"\d{{1,2}},|\([{_CN}]{{1,3}}\)|[{_CN}]{{1,3}},")


def _labels(spec: Spec) -> dict[str, list[str]]:
    """Every official text of the format (titles, headings, header cells, row labels, group
    labels), normalised, by first character, longest first."""
    texts = {normalize_label(lab.text) for t in spec.tables for lab in t.labels}
    for c in spec.cells.values():
        texts.update(normalize_label(x) for x in c.row_path)
        texts.update(normalize_label(x) for x in c.column_path)
    texts.discard("")
    out: dict[str, list[str]] = {}
    for t in texts:
        out.setdefault(t[0], []).append(t)
    for v in out.values():
        v.sort(key=len, reverse=True)
    return out


_TAIL_MAX = 64  # longer than any row label


def _tails(spec: Spec) -> frozenset[str]:
    """The endings (of four characters or more) of the row labels without a list number:
    “规范性文件” ends “行政规范性文件”."""
    out: set[str] = set()
    for c in spec.cells.values():
        lab = normalize_label(c.row_path[-1]) if c.row_path else ""
        if lab and not _NUMBERING.match(lab):
            out.update(lab[k:] for k in range(len(lab) - 3))
    return frozenset(out)


def _norm_map(s: str) -> tuple[str, list[int]]:
    """``normalize_label`` char by char, with the index in ``s`` of each normalised char."""
    out: list[str] = []
    idx: list[int] = []
    memo: dict[str, str] = {}
    for i, ch in enumerate(s):
        n = memo.get(ch)
        if n is None:
            n = memo[ch] = normalize_label(ch)
        out.append(n)
        if len(n) == 1:
            idx.append(i)
        elif n:
            idx.extend([i] * len(n))
    return "".join(out), idx


def _split_words(words: str, known: dict[str, list[str]], tails: frozenset[str] = frozenset()
                 ) -> list[tuple[int, int]]:
    """(start, end) in ``words`` of each label it holds (see the module text)."""
    norm, idx = _norm_map(words)
    if not norm:
        return []
    cuts: list[tuple[int, int]] = []
    frag = 0  # start of the text not yet cut (normalised positions)
    numbered = False  # that text starts with a list number: it runs to the next official label
    i = 0
    n = len(norm)
    while i < n:
        lab = next((x for x in known.get(norm[i], ()) if norm.startswith(x, i) and
                    (len(x) >= 4 or _bounded(norm, i + len(x), known))), None)
        if lab is not None and (not numbered or len(lab) >= 4):
            if frag < i:
                cuts.append((frag, i))
            cuts.append((i, i + len(lab)))
            i += len(lab)
            frag, numbered = i, False
            continue
        if not numbered:
            m = _NUMBERING.match(norm, i)
            if m is not None:
                if frag < i:
                    cuts.append((frag, i))
                frag, numbered = i, True
                i = m.end()
                continue
        i += 1
    if frag < n:
        # a label run together with unknown words before it (a typo in the header before it)
        if not numbered and tails and norm[max(frag, n - _TAIL_MAX):n] not in tails:
            k = next((k for k in range(max(frag + 1, n - _TAIL_MAX), n - 3) if norm[k:n] in tails), None)
            if k is not None:
                cuts.append((frag, k))
                frag = k
        cuts.append((frag, n))
    ends = idx + [len(words)]
    return [(idx[a], ends[b] if b < n else len(words)) for a, b in cuts]


def _bounded(norm: str, j: int, known: dict[str, list[str]]) -> bool:
    """A short label (其他, 总计) ends at ``j`` only where the words end or another label or a
    list number starts: “…法律服务机构其他一、本年新收…”, not “不计其他情形”."""
    return j >= len(norm) or _NUMBERING.match(norm, j) is not None or \
        any(norm.startswith(x, j) for x in known.get(norm[j], ()))


def _where(text: str, pos: int, lines: list[int]) -> str:
    import bisect

    k = bisect.bisect_right(lines, pos) - 1
    return f"第{k + 1}行第{pos - lines[k] + 1}字"


def sequence_rows(text: str, spec: Spec) -> list[list[PrintedCell | None]]:
    """The rows of ``text`` (the whole document's text) for the locator; see the module text."""
    known = _labels(spec)
    tails = _tails(spec)
    text = _RULES.sub(lambda m: " " * len(m.group(0)), text)  # the rule lines of plain-text tables: spaces
    lines = [0] + [m.end() for m in re.finditer("\n", text)]
    # the tokens: ("w", start, end) words, ("v", start, end) a number as printed, ("n", start) a list number
    tokens: list[tuple[str, int, int]] = []
    word_start = 0
    pos = 0
    for m in _VALUE.finditer(text):
        if m.start() < pos:
            continue
        after = text[m.end():m.end() + 1]
        if after and after in _WORD_AFTER:
            continue  # 2023年, 第711号, 81件: words
        lm = _LIST_END.match(text, m.end())
        end = m.end()
        start = m.start()
        if lm is not None:  # “…00000002.其他”: the last digit is the next label's list number
            end = m.end() - 1
            if word_start < start:
                tokens.append(("w", word_start, start))
            if text[start:end].strip("-−.") and not text[start:end].endswith("."):
                tokens.append(("v", start, end))
            word_start = end  # the list number starts the next words
            pos = m.end()
            continue
        u = _UNIT.match(text, end)
        if u is not None:
            end = u.end()
        if word_start < start:
            tokens.append(("w", word_start, start))
        tokens.append(("v", start, end))
        word_start = pos = end
    if word_start < len(text):
        tokens.append(("w", word_start, len(text)))
    # a plain-text table's “|” ends a cell: no label runs over it
    cut: list[tuple[str, int, int]] = []
    for kind, a, b in tokens:
        if kind == "w" and _PIPE.search(text, a, b):
            x = a
            for m in _PIPE.finditer(text, a, b):
                cut.append(("w", x, m.start()))
                x = m.end()
            cut.append(("w", x, b))
        else:
            cut.append((kind, a, b))
    tokens = cut
    # the tables start at their first title (二、主动公开… or 三、收到和处理…): the report's
    # text before them mentions labels (行政复议, 规范性文件) with numbers that are no cells
    titles = [normalize_label(lab.text) for t in spec.tables for lab in t.labels if lab.kind == "title"][:2]
    first = next((i for i, (kind, a, b) in enumerate(tokens) if kind == "w" and
                  any(t in normalize_label(text[a:b]) for t in titles)), 0)
    rows: list[list[PrintedCell | None]] = []
    cur: list[PrintedCell | None] | None = None
    label_end = -1  # where the current row's label ends
    last_end = 0  # where the last number ends
    for kind, a, b in tokens[first:]:
        if kind == "v":
            if cur is not None and len(cur) == 1 and label_end >= 0 and "\n" in text[label_end:a]:
                # numbers on a later line than their label: in a text that kept its lines, a
                # converter may have printed them away from their row, so they are no one's
                cur = None
            elif cur is not None and len(cur) > 1 and "\n" in text[last_end:a]:
                line = text[text.rfind("\n", 0, a) + 1:a].strip()
                if line[:1] in ("|", "｜"):
                    cur = None  # a new row of a plain-text table: no more numbers for the row above
            if cur is None:
                cur = []
                rows.append(cur)
            cur.append(PrintedCell(text[a:b].strip(), _where(text, a, lines)))
            label_end, last_end = -1, b
            continue
        words = text[a:b]
        if not words.strip():
            continue
        parts = _split_words(words, known, tails)
        if not parts:
            continue
        cells = [PrintedCell(words[x:y].strip(), _where(text, a + x, lines)) for x, y in parts]
        cells = [c for c in cells if c.text]
        if len(cells) > 1:
            rows.append(list(cells[:-1]))  # the header before the row's own label
        cur = [cells[-1]]
        rows.append(cur)
        x, y = parts[-1]
        label_end = a + x + len(words[x:y].rstrip())
    return rows
