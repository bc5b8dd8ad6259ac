"""The figures the report's sentences state, taken from the same values as its tables.

Every figure is the sum of named value cells (the 总计 column of table 三, the groups of table
四 …), so a sentence can never say something the table does not.  ``PLACEHOLDERS`` is the whole
vocabulary a report template may use; anything else is refused by name and place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping

from .. import messages
from ..spec import Spec
from ..values import Number, fmt_number

__all__ = ["FIGURES", "PLACEHOLDERS", "TEXT_PLACEHOLDERS", "TABLE_PLACEHOLDERS", "RICH_PLACEHOLDERS", "figure_cells", "figure_value",
           "change_text", "figure_context"]


@dataclass(frozen=True)
class Figure:
    name: str  # the placeholder, e.g. 新收申请
    meaning: str  # what it counts (for the help and the template's documentation)
    cells: Callable[[Spec], list[str]]  # the value cells it sums
    yoy: bool = True  # has a {{ <name>同比 }} companion


def _ids(*candidates: str) -> Callable[[Spec], list[str]]:
    """The first of the candidate cell ids (or groups ``a+b``) that the format has."""

    def pick(spec: Spec) -> list[str]:
        for cand in candidates:
            ids = cand.split("+")
            if all(i in spec.cells for i in ids):
                return ids
        return []

    return pick


def _t3_group(label: str) -> Callable[[Spec], list[str]]:
    """The 总计 column of every value row of table 三 under the group whose label starts with
    ``label`` (e.g. （三）不予公开: its eight reasons; 2019's （六）其他处理 is itself one row)."""

    def pick(spec: Spec) -> list[str]:
        t = spec.table("t3")
        out = []
        for cid in t.cells:
            c = spec.cells[cid]
            if c.col_id == "total" and len(c.row_path) >= 2 and c.row_path[1].startswith(label):
                out.append(cid)
        return out

    return pick


def _t3_orgs(row: str) -> Callable[[Spec], list[str]]:
    """法人或其他组织 of a table 三 row: every applicant column except 自然人 and 总计."""

    def pick(spec: Spec) -> list[str]:
        t = spec.table("t3")
        return [f"t3.{row}.{col}" for col in t.value_cols if col not in ("person", "total")
                and f"t3.{row}.{col}" in spec.cells]

    return pick


def _t4(*groups_cols: str) -> Callable[[Spec], list[str]]:
    return _ids("+".join(f"t4.cases.{g}" for g in groups_cols))


FIGURES: list[Figure] = [
    Figure("新收申请", "表三 一、本年新收政府信息公开申请数量（总计）", _ids("t3.new.total")),
    Figure("自然人申请", "表三 一、本年新收申请中自然人提出的", _ids("t3.new.person")),
    Figure("法人或其他组织申请", "表三 一、本年新收申请中法人或其他组织提出的（五类之和）", _t3_orgs("new")),
    Figure("上年结转", "表三 二、上年结转政府信息公开申请数量（总计）", _ids("t3.carry.total")),
    Figure("予以公开", "表三 （一）予以公开（总计）", _ids("t3.open.total")),
    Figure("部分公开", "表三 （二）部分公开（总计）", _ids("t3.partial.total")),
    Figure("不予公开", "表三 （三）不予公开（各项总计之和）", _t3_group("（三）")),
    Figure("无法提供", "表三 （四）无法提供（各项总计之和）", _t3_group("（四）")),
    Figure("不予处理", "表三 （五）不予处理（各项总计之和）", _t3_group("（五）")),
    Figure("其他处理", "表三 （六）其他处理（各项总计之和）", _t3_group("（六）")),
    Figure("办理总计", "表三 （七）总计（总计）", _ids("t3.total.total")),
    Figure("结转下年", "表三 四、结转下年度继续办理（总计）", _ids("t3.next.total")),
    Figure("行政复议", "表四 行政复议 总计", _t4("review_total")),
    Figure("复议维持", "表四 行政复议 结果维持", _t4("review_upheld")),
    Figure("复议纠正", "表四 行政复议 结果纠正", _t4("review_corrected")),
    Figure("复议其他", "表四 行政复议 其他结果", _t4("review_other")),
    Figure("复议未审结", "表四 行政复议 尚未审结", _t4("review_pending")),
    Figure("行政诉讼", "表四 行政诉讼 两类总计之和", _t4("direct_total", "after_total")),
    Figure("直接起诉", "表四 行政诉讼 未经复议直接起诉 总计", _t4("direct_total")),
    Figure("复议后起诉", "表四 行政诉讼 复议后起诉 总计", _t4("after_total")),
    Figure("诉讼维持", "表四 行政诉讼 结果维持（两类之和）", _t4("direct_upheld", "after_upheld")),
    Figure("诉讼纠正", "表四 行政诉讼 结果纠正（两类之和）", _t4("direct_corrected", "after_corrected")),
    Figure("诉讼其他", "表四 行政诉讼 其他结果（两类之和）", _t4("direct_other", "after_other")),
    Figure("诉讼未审结", "表四 行政诉讼 尚未审结（两类之和）", _t4("direct_pending", "after_pending")),
    Figure("制发规章", "表二 规章 本年制发件数（2019 格式：本年新制作数量）",
           _ids("t2.regulation.issued", "t2.regulation.made")),
    Figure("制发规范性文件", "表二 行政规范性文件 本年制发件数（2019 格式：规范性文件 本年新制作数量）",
           _ids("t2.normative.issued", "t2.normative.made")),
    Figure("行政许可", "表二 行政许可 处理决定数量", _ids("t2.license.decisions")),
    Figure("行政处罚", "表二 行政处罚 处理决定数量", _ids("t2.penalty.decisions")),
    Figure("行政强制", "表二 行政强制 处理决定数量", _ids("t2.coercion.decisions")),
]

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


def figure_cells(spec: Spec, name: str) -> list[str]:
    return next(f.cells(spec) for f in FIGURES if f.name == name)


def figure_value(spec: Spec, name: str, values: Mapping[str, Number | None]) -> Number | None:
    """The sum of the figure's cells; None when the format has none of them or one is blank."""
    ids = figure_cells(spec, name)
    if not ids:
        return None
    nums = [values.get(i) for i in ids]
    if any(n is None for n in nums):
        return None
    return sum(nums)  # type: ignore[arg-type]


def change_text(this: Number | None, last: Number | None) -> str:
    """“（同比增加 N 件）”, “（同比减少 N 件）”, “（与上年持平）”; empty when either year is unknown."""
    if this is None or last is None:
        return ""
    if this > last:
        return messages.REPORT["yoy_up"].format(n=fmt_number(this - last))
    if this < last:
        return messages.REPORT["yoy_down"].format(n=fmt_number(last - this))
    return messages.REPORT["yoy_same"]


def figure_context(spec: Spec, values: Mapping[str, Number | None],
                   previous: tuple[Spec, Mapping[str, Number | None]] | None = None) -> dict[str, str]:
    """Every figure as text (blank → “（未填写）”), and with ``previous`` its change against
    last year's value of the same figure (last year's format may differ: 2019 → 2021)."""
    out: dict[str, str] = {}
    for f in FIGURES:
        n = figure_value(spec, f.name, values)
        out[f.name] = messages.REPORT["blank_figure"] if n is None else fmt_number(n)
        if f.yoy:
            last = figure_value(previous[0], f.name, previous[1]) if previous is not None else None
            out[f.name + YOY_SUFFIX] = change_text(n, last) if previous is not None else ""
    return out
