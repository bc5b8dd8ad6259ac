"""The figures a format names, and its publication deadlines: the one accessor of the format
file's ``figures``, ``in_force`` and ``deadlines`` sections.

A figure (新收申请, 行政诉讼 = 直接起诉 + 复议后起诉, 不予公开 = the 总计 of its eight reasons …)
is the sum of named value cells.  The annual report's sentences (:mod:`gipr.report.figures`),
the narrative check (text against tables) and ``gipr audit`` all read them here, so they
cannot disagree.  ``in_force`` names table 二's rows whose 现行有效 continues last year's
(+ 本年制发 − 本年废止); ``deadlines`` says by when each level of issuer publishes its report
(条例 第四十九条 and the format's 报告方式及时间).

The sections are data in ``gipr/formats/<format>.json``; :func:`validate` is called when the
format file is loaded, so a figure naming a cell the format does not have is refused there.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .spec import Spec, available_formats, load_format, per_spec
from .values import Number

__all__ = [
    "Deadline",
    "Figure",
    "InForce",
    "deadline_for",
    "deadlines",
    "figure_cells",
    "figure_names",
    "figure_value",
    "figures",
    "in_force_rows",
]



@dataclass(frozen=True)
class Figure:
    name: str  # as the sentences and the report template name it, e.g. 新收申请
    meaning: str  # what it counts
    cells: tuple[str, ...]  # the value cells it sums
    yoy: bool = True  # the report template has a {{ <name>同比 }} companion


@dataclass(frozen=True)
class InForce:
    row: str
    issued: str
    repealed: str
    in_force: str


@dataclass(frozen=True)
class Deadline:
    level: str  # one of spec.LEVELS
    label: str  # who, in words (县级人民政府 …)
    month: int
    day: int
    basis: str  # the provision it comes from

    def date(self, report_year: int) -> _dt.date:
        """The last day to publish the report of ``report_year`` (in the next year)."""
        return _dt.date(report_year + 1, self.month, self.day)


def _section(spec: Spec, key: str) -> Any:
    return (spec.extra or {}).get(key)


def figures(spec: Spec) -> dict[str, Figure]:
    """Every figure of the format, by name, in the file's order."""
    def build(s: Spec) -> dict[str, Figure]:
        return {f["name"]: Figure(f["name"], f.get("meaning", ""), tuple(f["cells"]), bool(f.get("yoy", True)))
                for f in _section(s, "figures") or []}

    return per_spec(spec, "figures", build)


def figure_names() -> list[str]:
    """The figure names of every shipped format (union, in order): the report template's vocabulary."""
    out: dict[str, None] = {}
    for fid in available_formats():
        for name in figures(load_format(fid)):
            out.setdefault(name)
    return list(out)


def figure_cells(spec: Spec, name: str) -> list[str]:
    """The cells figure ``name`` sums in this format; [] when the format has no such figure."""
    f = figures(spec).get(name)
    return list(f.cells) if f else []


def figure_value(spec: Spec, name: str, values: Mapping[str, Number | None]) -> Number | None:
    """The sum of the figure's cells; None when the format has none of them or one is blank."""
    ids = figure_cells(spec, name)
    if not ids:
        return None
    nums = [values.get(i) for i in ids]
    if any(n is None for n in nums):
        return None
    return sum(n for n in nums if n is not None)


def in_force_rows(spec: Spec) -> list[InForce]:
    return per_spec(spec, "in_force", lambda s: [InForce(r.get("row", ""), r["issued"], r["repealed"], r["in_force"])
                                                 for r in _section(s, "in_force") or []])


def deadlines(spec: Spec) -> dict[str, Deadline]:
    """The publication deadline of each issuer level, by level."""
    def build(s: Spec) -> dict[str, Deadline]:
        dl = _section(s, "deadlines") or {}
        basis = str(dl.get("basis", ""))
        return {lv["level"]: Deadline(lv["level"], str(lv.get("label", "")), int(lv["month"]), int(lv["day"]), basis)
                for lv in dl.get("levels") or []}

    return per_spec(spec, "deadlines", build)


def deadline_for(spec: Spec, level: str) -> Deadline | None:
    return deadlines(spec).get(level)
