"""The issuer and the report year from a report's title.

“洪泽区人民政府2023年政府信息公开工作年度报告”, “2019年上海市人民政府办公厅政府信息公开工作
年度报告”, or the issuer on the line above “2021年度政府信息公开工作报告”.
"""

from __future__ import annotations

import re

__all__ = ["find_title"]

_TITLE = re.compile(r"政府信息公开(?:工作)?(?:年度)?(?:工作)?报告")
_YEAR = re.compile(r"((?:19|20)\d{2})\s*年度?")
_JUNK = re.compile(r"^[\s\d\-—/:：.年月日]*$")


def find_title(text: str, max_lines: int = 40) -> tuple[str, str | None, int | None]:
    """(title line, issuer or None, year or None) from the first lines that name the report."""
    lines = [x.strip() for x in text.splitlines() if x.strip()][:max_lines]
    for i, line in enumerate(lines):
        m = _TITLE.search(line)
        if not m or len(line) > 80:
            continue
        head = line[:m.start()]
        y = _YEAR.search(head)
        year = int(y.group(1)) if y else None
        unit = (head[:y.start()] + head[y.end():]) if y else head
        unit = unit.strip(" 　：:·-—_（）()《》")
        if not unit and i > 0:
            prev = lines[i - 1]
            if len(prev) <= 40 and not _JUNK.match(prev) and not _TITLE.search(prev):
                unit = prev.strip(" 　：:")
        if year is None and i + 1 < len(lines):
            y2 = _YEAR.search(lines[i + 1])
            if y2 and len(lines[i + 1]) <= 20:
                year = int(y2.group(1))
        return line, unit or None, year
    return "", None, None
