"""The words gipr's readers match (header spellings, units, blank markers, numerals, title and
narrative phrases), read from ``formats/vocabulary.json`` beside the format files.

``vocabulary()`` reads the file once and returns it typed; a reader builds its sets and
regular expressions from it at import.  What each group holds and who reads it is said in the
file's ``_comment`` keys; tests/test_vocabulary.py checks that the file has every key the
types below name, no other, and that each is read somewhere.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import TypedDict, cast

__all__ = ["VOCABULARY_FILE", "Vocabulary", "alternation", "vocabulary"]

VOCABULARY_FILE = Path(__file__).with_name("formats") / "vocabulary.json"


class Numerals(TypedDict):
    digits: str


class Money(TypedDict):
    yuan: str
    wan_yuan: str


class ValueWords(TypedDict):
    na_tokens: list[str]
    count_units: list[str]
    increase: str
    decrease: str


class RosterColumn(TypedDict):
    attribute: str
    aliases: list[str]


class RosterWords(TypedDict):
    columns: list[RosterColumn]
    file_name_words: list[str]
    file_name_year_pattern: str


class LabelWords(TypedDict):
    punctuation: dict[str, str]


class PrintedWords(TypedDict):
    number_units: list[str]
    label_digit_after: list[str]
    word_after: str


class PublishedTables(TypedDict):
    review_label: str
    suit_label: str
    table2_header_skipped: list[str]


class TitleWords(TypedDict):
    title_pattern: str
    year_pattern: str
    date_only_pattern: str
    label_words: list[str]
    issuer_tails: list[str]


class NarrativeFact(TypedDict):
    what: str
    figure: str


class NarrativePattern(TypedDict):
    fact: str
    pattern: str


class NarrativeWords(TypedDict):
    facts: dict[str, NarrativeFact]
    patterns: list[NarrativePattern]


class UnitNameWords(TypedDict):
    seal_words: list[str]
    party_prefix: str
    level_prefixes: list[str]
    county_suffixes: list[str]
    short_forms: dict[str, str]


class CategoryLevel(TypedDict):
    level: str
    words: list[str]


class NameLevel(TypedDict):
    level: str
    pattern: str


class IssuerWords(TypedDict):
    body_suffixes: list[str]
    short_prefixes: list[str]
    category_levels: list[CategoryLevel]
    name_levels: list[NameLevel]
    government_offices: list[str]


class AuditPageWords(TypedDict):
    date_pattern: str
    date_labels: list[str]
    end_date_pattern: str
    title_labels: list[str]
    issuer_trailing_words: list[str]
    report_file_name_words: list[str]
    report_words: list[str]


class Vocabulary(TypedDict):
    numerals: Numerals
    money: Money
    values: ValueWords
    roster: RosterWords
    labels: LabelWords
    printed: PrintedWords
    published_tables: PublishedTables
    title: TitleWords
    narrative: NarrativeWords
    unit_names: UnitNameWords
    issuers: IssuerWords
    audit_pages: AuditPageWords


def _without_comments(v: object) -> object:
    if isinstance(v, dict):
        return {k: _without_comments(x) for k, x in v.items() if k != "_comment"}
    if isinstance(v, list):
        return [_without_comments(x) for x in v]
    return v


@lru_cache(maxsize=1)
def vocabulary() -> Vocabulary:
    """The vocabulary file, read once (its ``_comment`` keys left out)."""
    with VOCABULARY_FILE.open(encoding="utf-8") as f:
        return cast(Vocabulary, _without_comments(json.load(f)))


def alternation(words: Iterable[str]) -> str:
    """Words as one regular-expression alternation, each matched literally, in the order given
    (put a longer word before a word it starts with)."""
    return "|".join(re.escape(w) for w in words)
