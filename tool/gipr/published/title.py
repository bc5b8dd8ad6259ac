"""The issuer and the report year from a report's title.

“洪泽区人民政府2023年政府信息公开工作年度报告”, “2019年上海市人民政府办公厅政府信息公开工作
年度报告”, the issuer on the line above “2021年度政府信息公开工作报告”, and a title that wraps
over two or three lines anywhere (“宿迁市人民政府 2024 年政府信息公” / “开工作年度报告”,
“2024 年上海市科委政府信息公开工作” / “年度报告”).  A crawler's or a converter's label before
the title (“标题：”, a Markdown “#”, a stray “正文” line) is not part of the issuer.
"""

from __future__ import annotations

import re

from ..vocabulary import alternation, vocabulary

__all__ = ["find_title"]

_WORDS = vocabulary()["title"]
_TITLE = re.compile(_WORDS["title_pattern"])
_YEAR = re.compile(_WORDS["year_pattern"])
_JUNK = re.compile(_WORDS["date_only_pattern"])
# what a crawler or a converter puts before a title: “标题：”, “# ”, “正文”
_LABEL = re.compile(r"^(?:#+\s*|(?:" + alternation(_WORDS["label_words"]) + r")\s*[:：]?\s*)+")
_STRIP = " 　：:·-—_（）()《》#"
MAX_TITLE = 80  # characters: a longer line is a paragraph that mentions a report
_SENTENCE = re.compile(r"[，。；,;《》“”]")  # an issuer has none: text before it is a sentence that mentions a report


def _clean(s: str) -> str:
    s = _LABEL.sub("", s.strip())
    s = s.strip(_STRIP)
    for tail in _WORDS["issuer_tails"]:  # “××局关于（报送）2021年度…年度报告”
        if s.endswith(tail):
            s = s[:-len(tail)].strip(_STRIP)
            break
    return s


def _split(head: str) -> tuple[str, int | None]:
    """(issuer, year) from what a title prints before “政府信息公开工作年度报告”."""
    y = _YEAR.search(head)
    year = int(y.group(1)) if y else None
    unit = (head[:y.start()] + head[y.end():]) if y else head
    return _clean(unit), year


def _match(lines: list[str], i: int) -> tuple[str, re.Match] | None:
    """The title starting on line ``i``: the line itself, or it and the next one or two when
    the title's words wrap (the match starts on line ``i`` and needs every line joined)."""
    for k in (1, 2, 3):
        part = lines[i:i + k]
        if len(part) < k:
            return None
        joined = "".join(part)
        m = _TITLE.search(joined)
        if m is None:
            continue
        if k > 1 and (m.start() >= len(part[0]) or m.end() <= len(joined) - len(part[-1])):
            return None  # found in a later line alone: that line's own turn
        if m.end() > MAX_TITLE:
            return None
        return joined, m
    return None


def find_title(text: str, max_lines: int = 40) -> tuple[str, str | None, int | None]:
    """(title, issuer or None, year or None) from the first lines that name the report."""
    lines = [x.strip() for x in text.splitlines() if x.strip()][:max_lines]
    m: re.Match[str] | None
    for i, line in enumerate(lines):
        if len(line) > MAX_TITLE and not _TITLE.search(line[:MAX_TITLE]):
            continue
        got = _match(lines, i)
        if got is None:
            continue
        joined, m = got
        if len(joined[:m.start()]) > 40 or _SENTENCE.search(joined[:m.start()]):
            continue
        unit, year = _split(joined[:m.start()])
        if not unit and i > 0:
            prev = lines[i - 1]
            if len(prev) <= 40 and not _JUNK.match(prev) and not _TITLE.search(prev):
                p_unit, p_year = _split(prev)
                unit, year = p_unit, year or p_year
                joined, m = prev + joined, _TITLE.search(prev + joined)  # the title is both lines
                assert m is not None
        if year is None and i + 1 < len(lines):
            y2 = _YEAR.search(lines[i + 1])
            if y2 and len(lines[i + 1]) <= 20:
                year = int(y2.group(1))
        return (joined if len(joined) <= MAX_TITLE else joined[:m.end()]).strip(), unit or None, year
    return "", None, None
