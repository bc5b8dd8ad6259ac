"""One cell's content → number, blank, 不适用, text or error, with the raw kept.

A blank, a 0, a 不适用 and other text are four different things; nothing here turns a
blank into 0.  Every conversion that changes how a value was written (text → number,
full-width digits, thousands separators, units) is reported in ``note`` so the unit can
be told what gipr read.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from .text import SPACES, cell_text
from .vocabulary import vocabulary

__all__ = [
    "EXCEL_ERRORS",
    "NA_TOKENS",
    "Value",
    "fmt_number",
    "is_integer_type",
    "parse_printed",
    "parse_value",
    "to_json_number",
]

Number = int | Decimal

_WORDS = vocabulary()["values"]
# What units write for "not applicable" / "nothing".
NA_TOKENS = frozenset(_WORDS["na_tokens"])
EXCEL_ERRORS = frozenset({"#REF!", "#DIV/0!", "#VALUE!", "#N/A", "#NAME?", "#NUM!", "#NULL!", "#SPILL!",
                          "#CALC!", "#GETTING_DATA", "ERR:502", "ERR:504", "ERR:508", "ERR:522", "#ERR"})
COUNT_UNITS = tuple(_WORDS["count_units"])
_MONEY = vocabulary()["money"]
_YUAN, _WAN = _MONEY["yuan"], _MONEY["wan_yuan"]
_UP, _DOWN = _WORDS["increase"], _WORDS["decrease"]  # 2019's 本年增/减: a sign
_SPACES = SPACES
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
_PLAIN = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
MAX_ABS = Decimal(10) ** 12
# The built-in meaning of each value type (the 2021 format's), used only when a value is parsed
# without its format; a format file states its own (``Spec.types``, see ``spec.type_rules``).
DEFAULT_TYPES: dict[str, dict[str, Any]] = {
    "count": {"label": "件数", "min": 0, "integer": True},
    "amount": {"label": "金额", "min": 0, "integer": False, "decimals": 6},
    "delta": {"label": "增减数", "integer": True},
}  # no count or amount in a county report comes near this


@dataclass(frozen=True)
class Value:
    state: str  # "number" | "blank" | "na" | "text" | "error"
    number: Number | None = None
    raw: Any = None
    note: str | None = None  # how a number was normalised, in Chinese
    problem: str | None = None  # why it is an error, in Chinese
    code: str | None = None  # finding code for note/problem

    @property
    def raw_text(self) -> str:
        return cell_text(self.raw)


def is_integer_type(rules: dict[str, Any], ctype: str) -> bool:
    """Rule G: whether a value of type ``ctype`` must be whole: the format file's ``integer``
    (``rules``, from ``spec.type_rules``), else whole for every type but ``amount``.  The one
    place this default lives: the check, the template's validation and its status formulas."""
    return bool(rules.get("integer", ctype != "amount"))


def _err(raw: Any, problem: str, code: str) -> Value:
    return Value("error", None, raw, None, problem, code)


def _check_number(d: Decimal, raw: Any, ctype: str, notes: list[str], rules: dict[str, Any]) -> Value:
    if not d.is_finite():
        return _err(raw, "不是有效数字", "value.not_finite")
    if abs(d) >= MAX_ABS:
        return _err(raw, "数值过大", "value.too_large")
    if d == 0:
        d = Decimal(0)  # -0 → 0
    integer = is_integer_type(rules, ctype)
    mn = rules.get("min")
    if integer and d != d.to_integral_value():
        return _err(raw, "应为整数，不能有小数", "value.not_integer")
    if mn is not None and d < mn:
        if mn == 0:
            return _err(raw, "不能为负数" if integer else "金额不能为负数", "value.negative")
        return _err(raw, f"不能小于{mn}", "value.negative")
    if integer:
        n: Number = int(d)
    else:
        dec = rules.get("decimals")
        if dec is not None and d.as_tuple().exponent < -int(dec):  # type: ignore[operator]  # finite: exponent is an int
            q = d.quantize(Decimal(1).scaleb(-int(dec)))
            notes.append(f"金额 {raw} 超过{int(dec)}位小数，按 {q} 读取")
            d = q
        n = int(d) if d == d.to_integral_value() else d.normalize()
    note = "；".join(notes) if notes else None
    return Value("number", n, raw, note, None, "value.converted" if note else None)


def parse_value(raw: Any, ctype: str = "count", unit: str | None = None,
                rules: dict[str, Any] | None = None) -> Value:
    """Parse what a spreadsheet cell holds.  Total: never raises.

    ``rules`` is what the format file says a value of type ``ctype`` must be (rule G:
    ``integer``, ``min``, ``decimals``; ``spec.type_rules(spec, ctype)``); without it the
    built-in meaning (``DEFAULT_TYPES``).  An amount with more decimals than allowed is
    rounded to them and the note says so."""
    try:
        return _parse(raw, ctype, unit, rules if rules is not None else DEFAULT_TYPES.get(ctype, DEFAULT_TYPES["count"]))
    except Exception as e:
        return _err(raw, f"无法识别的内容（{type(e).__name__}）", "value.unreadable")


def _parse(raw: Any, ctype: str, unit: str | None, rules: dict[str, Any]) -> Value:
    if raw is None:
        return Value("blank", None, raw)
    if isinstance(raw, bool):
        return _err(raw, "是逻辑值（TRUE/FALSE），不是数字", "value.bool")
    if isinstance(raw, (_dt.datetime, _dt.date, _dt.time, _dt.timedelta)):
        return _err(raw, "被存成了日期或时间，不是数字", "value.date")
    if isinstance(raw, int):
        return _check_number(Decimal(raw), raw, ctype, [], rules)
    if isinstance(raw, float):
        if math.isnan(raw) or math.isinf(raw):
            return _err(raw, "不是有效数字（NaN 或无穷大）", "value.not_finite")
        return _check_number(Decimal(repr(raw)), raw, ctype, [], rules)
    if isinstance(raw, Decimal):
        return _check_number(raw, raw, ctype, [], rules)
    if not isinstance(raw, str):
        return _err(raw, f"无法识别的内容类型 {type(raw).__name__}", "value.unreadable")

    text = _SPACES.sub(" ", raw).strip()
    if not text:
        return Value("blank", None, raw)
    if text.upper() in EXCEL_ERRORS or (text.startswith("#") and text.endswith(("!", "?", "A"))):
        return _err(raw, f"是公式错误值 {text}", "value.excel_error")
    folded = unicodedata.normalize("NFKC", text).replace(" ", "")
    if folded.lower() in NA_TOKENS or text in NA_TOKENS:
        return Value("na", None, raw)
    notes: list[str] = []
    s = folded
    if s != text:
        notes.append("全角字符或空格已转换")
    for u in ((_WAN,) if unit == _WAN else (_YUAN,) if ctype == "amount" else COUNT_UNITS):
        if s.endswith(u) and len(s) > len(u):
            s = s[: -len(u)]
            notes.append(f"去掉单位“{u}”")
            break
    else:
        if ctype == "amount" and unit == _WAN and s.endswith(_YUAN) and not s.endswith(_WAN):
            return _err(raw, "写的是“元”，本栏单位为万元，请换算后填写", "value.wrong_unit")
    if _THOUSANDS.match(s):
        s = s.replace(",", "")
        notes.append("去掉千位分隔符")
    if s.lower() in ("nan", "inf", "+inf", "-inf", "infinity", "-infinity"):
        return _err(raw, "不是有效数字（NaN 或无穷大）", "value.not_finite")
    if not _PLAIN.match(s):
        return Value("text", None, raw, None, "不是数字", "value.text")
    try:
        d = Decimal(s)
    except InvalidOperation:
        return Value("text", None, raw, None, "不是数字", "value.text")
    notes.insert(0, f"文本“{raw.strip()}”按数字读取")
    return _check_number(d, raw, ctype, notes, rules)


_NOTE = re.compile(r"^\s*([^（(]*?)\s*([（(][^（()）]*[)）])\s*$")
_BARE = re.compile(r"^[-+]?[\d,]*\.?\d+$")  # digits only: no unit printed with them


def parse_printed(raw: str, ctype: str = "count", unit: str | None = None,
                  rules: dict[str, Any] | None = None) -> Value:
    """A number as printed in a published report (PDF, web page, Word): like
    :func:`parse_value`, and also a note in brackets after the number (“5（其中修订16件）”
    reads 5 and says so) and an amount printed in 元 in a 万元 cell, or in a cell without a
    unit (2019's 采购总金额), converted to 万元 and said so; an amount other than 0 printed
    without any unit in a 万元 cell is read in 万元 and said so with the digits as printed
    (whether the publisher meant 元 cannot be told).  ``rules`` as for
    :func:`parse_value`.  Total: never raises."""
    if rules is None:
        rules = DEFAULT_TYPES.get(ctype, DEFAULT_TYPES["count"])
    try:
        text = str(raw)
        extra: list[str] = []
        m = _NOTE.match(text)
        if m and m.group(1).strip():
            text = m.group(1)
            extra.append(f"括号中的说明“{m.group(2)}”未计入")
        folded = unicodedata.normalize("NFKC", _SPACES.sub("", text))
        if folded[:1] in (_UP, _DOWN) and len(folded) > 1 and folded[1].isdigit():  # 2019's 本年增/减 “减12”
            extra.append(f"“{folded}”读作 {'-' if folded[0] == _DOWN else ''}{folded[1:]}")
            text = folded = ("-" if folded[0] == _DOWN else "") + folded[1:]
        if ctype == "amount" and unit in (None, _WAN) and folded.endswith(_YUAN) and not folded.endswith(_WAN):
            v = _parse(folded[:-1], ctype, None, rules)
            if v.state == "number" and v.number is not None:
                wan = (Decimal(v.number) / 10000).normalize()
                extra.append(f"“{text.strip()}”按 {fmt_number(wan)} 万元计")
                v = _check_number(wan, raw, ctype, [], rules)
                return Value("number", v.number, raw, "；".join(extra), None, "value.converted") \
                    if v.state == "number" else v
            return Value(v.state, v.number, raw, v.note, v.problem, v.code)
        # an amount in 万元 in a cell without a unit (2019's 采购总金额 “152.2万元”): 万元 is the unit
        # the 元 above are converted to
        v = _parse(text, ctype, _WAN if ctype == "amount" and unit is None and folded.endswith(_WAN) else unit,
                   rules)
        if v.state == "number" and ctype == "amount" and unit == _WAN and v.number and \
                _BARE.match(folded):
            # an amount without its unit (元 or 万元?): read in the column's unit, never silently
            extra.append(f"“{text.strip()}”没有写单位，按本栏的万元计")
        if v.state == "number":
            # printed numbers are always text: only what changed how it reads is worth a note
            kept = [x for x in (v.note or "").split("；") if x and not x.startswith("文本“")]
            note = "；".join([*kept, *extra]) or None
            return Value("number", v.number, raw, note, None, "value.converted" if note else None)
        return Value(v.state, v.number, raw, v.note, v.problem, v.code)
    except Exception as e:
        return _err(raw, f"无法识别的内容（{type(e).__name__}）", "value.unreadable")


def fmt_number(n: Number | None) -> str:
    """A number as a clerk writes it: 12, 3.5, 24252.311082; blank for None."""
    if n is None:
        return ""
    if isinstance(n, Decimal):
        s = format(n.normalize(), "f")
        return s
    return str(n)


def to_json_number(n: Number | None) -> int | float | None:
    if n is None or isinstance(n, int):
        return n
    return int(n) if n == n.to_integral_value() else float(n)
