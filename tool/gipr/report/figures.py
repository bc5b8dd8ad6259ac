"""The figures the report's sentences state, taken from the same values as its tables.

Every figure is the sum of named value cells (the 总计 column of table 三, the groups of table
四 …), named in the format file and read through :mod:`gipr.figures` (the narrative check and
``gipr audit`` read the same), so a sentence can never say something the table does not.
``PLACEHOLDERS`` is the whole vocabulary a report template may use; anything else is refused by name and place.
"""

from __future__ import annotations

from collections.abc import Mapping

from .. import messages
from ..catalogue.access import say
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
    say("report.figures"): say("report.figures_2"),
    say("report.figures_3"): say("report.figures_4"),
    say("report.figures_5"): say("report.figures_6"),
    say("report.figures_7"): say("report.figures_8"),
    say("report.figures_9"): say("report.figures_10"),
    say("report.figures_11"): say("report.figures_12"),
    say("report.figures_13"): say("report.figures_14"),
    say("report.figures_15"): say("report.figures_16"),
    say("report.figures_17"): say("report.figures_18"),
    say("report.figures_19"): say("report.figures_20"),
    say("report.figures_21"): say("report.figures_22"),
}
TABLE_PLACEHOLDERS: dict[str, str] = {say("report.figures_23"): say("report.figures_24"),
                                      say("report.figures_25"): say("report.figures_26"),
                                      say("report.figures_27"): say("report.figures_28")}
RICH_PLACEHOLDERS = frozenset({say("report.figures_9"), say("report.figures_11"), say("report.figures_3")})  # rich text (marked places): written {{r 名称 }}
YOY_SUFFIX = say("report.figures.yoy_suffix")


def _all_placeholders() -> dict[str, str]:
    out: dict[str, str] = {}
    for f in FIGURES:
        out[f.name] = f.meaning
        if f.yoy:
            out[f.name + YOY_SUFFIX] = say("report.figures.all_placeholders", name=f.name)
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
