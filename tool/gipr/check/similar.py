"""How much of a report's narrative repeats last year's: the share of its sentences (by length)
that last year's text already had, word for word or nearly (numbers and dates folded, so a
sentence copied with this year's figures still counts as copied).

A sentence is text between 。！？；or a line break.  Table labels and numbers are not
narrative: a sentence with fewer than ``MIN_CHARS`` characters left after removing digits,
punctuation and the official table labels is skipped.  Two sentences are "nearly" the same when
``NEAR`` of this year's sentence's 4-character shingles are in last year's sentence.
"""

from __future__ import annotations

import re
from collections import defaultdict

from ..catalogue.access import say
from ..read import normalize_label
from ..spec import available_formats, load_format

__all__ = ["MIN_CHARS", "NEAR", "repeated_share", "sentences"]

MIN_CHARS = 12
NEAR = 0.8
_SPLIT = re.compile(r"[。！？；!?;\n]+")
_FOLD = re.compile(r"[\d０-９]+(?:[.．]\d+)?")
_DROP = re.compile(r"[\s\W_a-zA-Z]+")


def _labels() -> list[str]:
    out: set[str] = set()
    for fid in available_formats():
        spec = load_format(fid)
        for c in spec.cells.values():
            for part in (*c.row_path, *c.column_path):
                n = _DROP.sub("", _FOLD.sub("", normalize_label(part)))
                if len(n) >= 2:
                    out.add(n)
        for t in spec.tables:
            out.add(_DROP.sub("", _FOLD.sub("", t.title)))
    return sorted(out, key=len, reverse=True)


_LABELS: list[str] | None = None


def _normal(sentence: str) -> str:
    global _LABELS
    if _LABELS is None:
        _LABELS = _labels()
    s = _DROP.sub("", _FOLD.sub("0", sentence))
    bare = s.replace("0", "")
    for lab in _LABELS:
        if lab in bare:
            bare = bare.replace(lab, "")
    return s if len(bare) >= MIN_CHARS else ""


# a page's or an archive's own lines, not the report's narrative: "标题: …", "发布时间：…", a link
_META = re.compile(say("check.similar.meta"))


def sentences(text: str) -> list[str]:
    """The narrative sentences of a text, normalised (digits folded to 0, no spaces or punctuation);
    a web page's metadata lines (title, date, publisher, link …) are not narrative."""
    return [n for n in (_normal(x) for x in _SPLIT.split(text) if not _META.search(x)) if n]


def _shingles(s: str) -> set[str]:
    return {s[i:i + 4] for i in range(max(1, len(s) - 3))}


def repeated_share(text: str | list[str], previous: str | list[str]) -> tuple[float, int]:
    """(share of this text's narrative found in ``previous``, by characters; its sentence count).
    Either may be given as :func:`sentences` already made (gipr audit makes them in its workers)."""
    this = sentences(text) if isinstance(text, str) else text
    if not this:
        return 0.0, 0
    before = sentences(previous) if isinstance(previous, str) else previous
    exact = set(before)
    total = sum(len(s) for s in this)
    rest = [s for s in this if s not in exact]
    repeated = total - sum(len(s) for s in rest)
    if rest and before:
        index: dict[str, list[int]] = defaultdict(list)
        for i, b in enumerate(before):
            for g in _shingles(b):
                index[g].append(i)
        for s in rest:
            sh = _shingles(s)
            hits: dict[int, int] = defaultdict(int)
            for g in sh:
                for i in index.get(g, ()):
                    hits[i] += 1
            if hits and max(hits.values()) >= NEAR * len(sh):
                repeated += len(s)
    return repeated / total, len(this)
