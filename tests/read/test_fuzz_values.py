"""Property tests (hypothesis) of the cell-value parser, values.parse_value:

* total: whatever a spreadsheet cell can hold (and more), it returns a Value, never raises;
* a number round-trips, typed as a number or as text;
* a blank is never 0, and nothing becomes 0 unless a 0 was written;
* full-width digits, thousands separators, spaces and count units give the plain number.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import unicodedata
from decimal import Decimal

from hypothesis import HealthCheck, example, given, seed, settings
from hypothesis import strategies as st

from gipr.values import COUNT_UNITS, MAX_ABS, NA_TOKENS, Value, parse_value

SEED = int(os.environ.get("GIPR_FUZZ_SEED", "20250131"))
SETTINGS = settings(max_examples=int(os.environ.get("GIPR_FUZZ_VALUE_EXAMPLES", "400")), deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow])
CTYPES = st.sampled_from(["count", "amount", "delta"])
UNITS = st.sampled_from([None, "件", "万元", "元"])
STATES = {"number", "blank", "na", "text", "error"}
SPACES = " \t\r\n\u00a0\u3000\u2002\u2003\u200b\ufeff"

anything = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=True, allow_infinity=True), st.text(), st.text(alphabet=st.characters(codec="utf-8")),
    st.datetimes(), st.dates(), st.times(), st.timedeltas(), st.binary(),
    st.lists(st.integers(), max_size=3), st.complex_numbers(),
    st.sampled_from(["#REF!", "#DIV/0!", "NaN", "inf", "-inf", "1e309", "-0", "０", "1,234", "１，２３４", "—",
                     "不适用", "12件", "3.5万元", "3.5元", "=SUM(A1:A3)", "+5", "@x", "\t7", "1e-7", "0x10",
                     "١٢٣", "۱۲", "𝟙𝟚", "¹²", "½", "Ⅻ", "10%", "(5)", "5-", "--5", "1_000", " ", ""]),
)


def well_formed(v: Value, raw) -> None:
    assert isinstance(v, Value) and v.state in STATES
    if v.state == "number":
        assert isinstance(v.number, (int, Decimal)) and not isinstance(v.number, bool)
        assert abs(v.number) < MAX_ABS
        if isinstance(v.number, Decimal):
            assert v.number.is_finite()
    else:
        assert v.number is None
    if v.state == "error":
        assert v.problem and v.code
    assert v.raw is raw or v.raw == raw or (isinstance(raw, float) and math.isnan(raw))


@seed(SEED)
@SETTINGS
@given(raw=anything, ctype=CTYPES, unit=UNITS)
def test_parsing_is_total(raw, ctype, unit):
    well_formed(parse_value(raw, ctype, unit), raw)


def _has_zero(raw) -> bool:
    if isinstance(raw, (int, float, Decimal)) and not isinstance(raw, bool):
        return raw == 0 or (isinstance(raw, (float, Decimal)) and abs(raw) < 1e-6)
    text = unicodedata.normalize("NFKC", str(raw))
    return any(unicodedata.digit(ch, None) == 0 for ch in text) or "0" in text


@seed(SEED)
@SETTINGS
@given(raw=anything, ctype=CTYPES, unit=UNITS)
@example(raw="1e-7", ctype="amount", unit="万元")
@example(raw=1e-7, ctype="amount", unit="万元")
@example(raw="", ctype="amount", unit="万元")
@example(raw="—", ctype="count", unit=None)
@example(raw="#REF!", ctype="count", unit=None)
@example(raw=False, ctype="count", unit=None)
def test_nothing_becomes_zero_unless_a_zero_was_written(raw, ctype, unit):
    """0 comes from a 0 (or -0), or from an amount rounded to 6 decimals, which is said in
    the note; never from a blank, 不适用, an error value, FALSE or text."""
    v = parse_value(raw, ctype, unit)
    if v.state == "number" and v.number == 0:
        assert _has_zero(raw) or (ctype == "amount" and "超过6位小数" in (v.note or "")), (raw, v)


@seed(SEED)
@SETTINGS
@given(raw=st.one_of(st.none(), st.text(alphabet=SPACES, max_size=20)), ctype=CTYPES, unit=UNITS)
@example(raw="", ctype="count", unit=None)
@example(raw="\u3000", ctype="amount", unit="万元")
def test_a_blank_is_never_zero(raw, ctype, unit):
    v = parse_value(raw, ctype, unit)
    assert v.state == "blank" and v.number is None


@seed(SEED)
@SETTINGS
@given(n=st.integers(0, 10**12 - 1))
def test_a_count_round_trips_as_number_and_as_text(n):
    for raw in (n, float(n), Decimal(n), str(n), f" {n} ", f"{n}.0" if n < 10**11 else str(n)):
        v = parse_value(raw, "count")
        assert v.state == "number" and v.number == n and isinstance(v.number, int), raw


@seed(SEED)
@SETTINGS
@given(n=st.integers(-(10**12) + 1, 10**12 - 1))
def test_a_delta_round_trips_signed(n):
    for raw in (n, str(n), float(n)):
        v = parse_value(raw, "delta")
        assert v.state == "number" and v.number == n, raw


@seed(SEED)
@SETTINGS
@given(d=st.decimals(min_value=0, max_value=Decimal(10**11), places=6, allow_nan=False, allow_infinity=False))
def test_an_amount_round_trips_with_up_to_six_decimals(d):
    for raw in (str(d), format(d, "f"), d):
        v = parse_value(raw, "amount", "万元")
        assert v.state == "number" and Decimal(v.number) == d, (raw, v)


@seed(SEED)
@SETTINGS
@given(x=st.floats(min_value=0, max_value=1e11, allow_nan=False))
def test_a_float_amount_is_its_shortest_decimal(x):
    v = parse_value(x, "amount")
    want = Decimal(repr(x))
    if want.as_tuple().exponent >= -6:  # more than 6 decimals are rounded, with a note
        assert v.state == "number" and Decimal(v.number) == want


FULL = str.maketrans("0123456789,.", "０１２３４５６７８９，．")


@seed(SEED)
@SETTINGS
@given(n=st.integers(0, 10**12 - 1), spaces=st.text(alphabet=" \u3000\u00a0", max_size=3),
       unit=st.sampled_from(COUNT_UNITS))
def test_full_width_thousands_spaces_and_units_give_the_plain_number(n, spaces, unit):
    plain = parse_value(str(n), "count")
    forms = [str(n).translate(FULL), f"{n:,}", f"{n:,}".translate(FULL), f"{spaces}{n}{spaces}", f"{n}{unit}",
             f"{spaces}{f'{n:,}'.translate(FULL)}{unit}{spaces}"]
    for raw in forms:
        v = parse_value(raw, "count")
        assert v.state == "number" and v.number == plain.number == n, (raw, v)
        if raw != str(n):
            assert v.note, raw  # the unit is told how its text was read


@seed(SEED)
@SETTINGS
@given(d=st.decimals(min_value=0, max_value=Decimal(10**9), places=2, allow_nan=False, allow_infinity=False))
def test_full_width_amounts_give_the_plain_number(d):
    s = format(d, "f")
    head, _, tail = s.partition(".")
    grouped = f"{int(head):,}" + (f".{tail}" if tail else "")
    for raw in (s.translate(FULL), grouped, grouped.translate(FULL), f"{s}万元"):
        v = parse_value(raw, "amount", "万元")
        assert v.state == "number" and Decimal(v.number) == d, (raw, v)


@seed(SEED)
@SETTINGS
@given(token=st.sampled_from(sorted(NA_TOKENS)), pad=st.text(alphabet=" \u3000", max_size=2), ctype=CTYPES)
def test_not_applicable_is_neither_blank_nor_zero(token, pad, ctype):
    v = parse_value(pad + token + pad, ctype)
    assert v.state == "na" and v.number is None


@seed(SEED)
@SETTINGS
@given(x=st.one_of(st.just(float("nan")), st.just(float("inf")), st.just(float("-inf")),
                   st.floats(min_value=1e12, allow_infinity=False), st.sampled_from(["NaN", "inf", "1e309", "-1e309"])),
       ctype=CTYPES)
def test_nan_infinity_and_huge_numbers_are_errors(x, ctype):
    v = parse_value(x, ctype)
    assert v.state == "error" and v.code in ("value.not_finite", "value.too_large"), v


@seed(SEED)
@SETTINGS
@given(z=st.sampled_from([-0.0, "-0", "-0.0", Decimal("-0"), "－０"]), ctype=CTYPES)
def test_negative_zero_is_zero(z, ctype):
    v = parse_value(z, ctype)
    assert v.state == "number" and v.number == 0 and not str(v.number).startswith("-")


@seed(SEED)
@SETTINGS
@given(d=st.one_of(st.datetimes(), st.dates(), st.booleans()), ctype=CTYPES)
def test_dates_and_booleans_are_errors_not_numbers(d, ctype):
    v = parse_value(d, ctype)
    assert v.state == "error" and v.code in ("value.date", "value.bool")


def test_dates_from_excel_serials_are_not_mistaken():
    # a date typed where a count belongs reads as a date (calamine returns datetime), never its serial
    assert parse_value(dt.datetime(2025, 3, 1), "count").code == "value.date"
