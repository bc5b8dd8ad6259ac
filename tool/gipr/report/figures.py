"""The figures the report's sentences state, taken from the same values as its tables.

Every figure is the sum of named value cells (the 总计 column of table 三, the groups of table
四 …), named in the format file and read through :mod:`gipr.figures` (the narrative check and
``gipr audit`` read the same), so a sentence can never say something the table does not.
``PLACEHOLDERS`` is the whole vocabulary a report template may use; anything else is refused by name and place.
"""

from __future__ import annotations

from collections.abc import Mapping

from .. import messages
from ..figures import Figure, figure_cells, figure_value, figures
from ..spec import Spec, available_formats, load_format
from ..values import Number, fmt_number

__all__ = [
    "FIGURES",
    "PLACEHOLDERS",
    "RICH_PLACEHOLDERS",
    "TABLE_PLACEHOLDERS",
    "TEXT_PLACEHOLDERS",
    "change_text",
    "figure_cells",
    "figure_context",
    "figure_value",
]


def _figures() -> list[Figure]:
    """Every figure of the shipped formats, once by name (the first format's meaning)."""
    out: dict[str, Figure] = {}
    for fid in available_formats():
        for name, f in figures(load_format(fid)).items():
            out.setdefault(name, f)
    return list(out.values())


FIGURES: list[Figure] = _figures()

TEXT_PLACEHOLDERS: dict[str, str] = {
    "单位名称": "本机关（单位）名称；汇总报告为本级名称",
    "标题": "报告的标题（单位名称、年度、“政府信息公开工作年度报告”；一行放不下时在单位名称后换行；写作 {{r 标题 }}）",
    "年度": "报告年度，如 2025",
    "报告格式": "统计表格式，如 2021",
    "联系方式": "封面的填报人和联系电话；没有时为待填写的标记（写作 {{r 联系方式 }}）",
    "信息处理费": "收取信息处理费情况的句子；数据不能说明时为待填写的标记（写作 {{r 信息处理费 }}）",
    "草稿": "数据有误、仍生成（--include-errors）时为真",
    "草稿说明": "草稿的原因（错误条数）",
    "表二标题": "表二的标题（按格式文件）",
    "表三标题": "表三的标题（按格式文件）",
    "表四标题": "表四的标题（按格式文件）",
}
TABLE_PLACEHOLDERS: dict[str, str] = {"表二": "表二（写作 {{p 表二 }}，独占一段）",
                                      "表三": "表三（写作 {{p 表三 }}，独占一段）",
                                      "表四": "表四（写作 {{p 表四 }}，独占一段）"}
RICH_PLACEHOLDERS = frozenset({"联系方式", "信息处理费", "标题"})  # rich text (marked places): written {{r 名称 }}
YOY_SUFFIX = "同比"


def _all_placeholders() -> dict[str, str]:
    out: dict[str, str] = {}
    for f in FIGURES:
        out[f.name] = f.meaning
        if f.yoy:
            out[f.name + YOY_SUFFIX] = f"{f.name}与上年相比（--previous），如“（同比增加3件）”；无上年数据时为空"
    out.update(TEXT_PLACEHOLDERS)
    out.update(TABLE_PLACEHOLDERS)
    return out


PLACEHOLDERS: dict[str, str] = _all_placeholders()


def change_text(this: Number | None, last: Number | None) -> str:
    """“（同比增加 N 件）”, “（同比减少 N 件）”, “（与上年持平）”; empty when either year is unknown."""
    if this is None or last is None:
        return ""
    if this > last:
        return messages.say("report.yoy_up", n=fmt_number(this - last))
    if this < last:
        return messages.say("report.yoy_down", n=fmt_number(last - this))
    return messages.say("report.yoy_same")


def figure_context(spec: Spec, values: Mapping[str, Number | None],
                   previous: tuple[Spec, Mapping[str, Number | None]] | None = None) -> dict[str, str]:
    """Every figure as text (blank → “（未填写）”), and with ``previous`` its change against
    last year's value of the same figure (last year's format may differ: 2019 → 2021)."""
    out: dict[str, str] = {}
    for f in FIGURES:
        n = figure_value(spec, f.name, values)
        out[f.name] = messages.say("report.blank_figure") if n is None else fmt_number(n)
        if f.yoy:
            last = figure_value(previous[0], f.name, previous[1]) if previous is not None else None
            out[f.name + YOY_SUFFIX] = change_text(n, last) if previous is not None else ""
    return out
