"""What a clerk must never read (test support): internal identifiers, paths, run codes,
command-line options, ISO timestamps and English status words.  ``internal_words(text)``
returns each offending piece; e-mail addresses and file names as she chose them are hers."""

from __future__ import annotations

import html
import re

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
FILE_NAME = re.compile(r"[^\s/\\:：，,（）()“”\"']+\.(?:xlsx|xls|et|ods|csv|docx|doc|wps|pdf|eml|zip|html|txt)\b", re.I)
PATTERNS = [
    ("run code", re.compile(r"\b\d{8}-\d{6}-[0-9a-f]{6}\b")),
    ("ISO time", re.compile(r"\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")),
    ("path", re.compile(r"(?:[A-Za-z]:)?(?:[\\/][\w.\-\u4e00-\u9fff]+){2,}")),
    ("option", re.compile(r"(?<![\w-])--[a-z][a-z-]+")),
    ("command", re.compile(r"\bgipr\s+(?:init|collect|status|template|merge|check|export|send|remind|report|import|ui)\b")),
    ("identifier", re.compile(r"\b[a-z][a-z0-9]*(?:[._][a-z0-9]+)+\b")),
    ("status word", re.compile(r"\b(?:accepted|errors|unreadable|missing|duplicate|unidentified|skipped|warning|error|info"
                               r"|pending|sent|failed|uncertain|rollup|unit)\b")),
    ("rule letter", re.compile(r"规则\s?[A-Z]\b")),
    ("sheet reference", re.compile(r"!\$?[A-Z]{1,3}\$?\d+")),
    ("submission number", re.compile(r"#\d+")),
    ("account", re.compile(r"\b(?:root|nobody)@")),
]


def internal_words(text: str, allowed: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    for a in allowed:
        text = text.replace(a, " ")
    text = EMAIL.sub(" ", text)
    text = FILE_NAME.sub(" ", text)
    found = []
    for what, rx in PATTERNS:
        found += [(what, m.group(0)) for m in rx.finditer(text)]
    return found


def visible_text(page: str) -> str:
    """What a page shows: its text without scripts, styles, the head and the tags."""
    page = re.sub(r"(?s)<script.*?</script>|<style.*?</style>|<head>.*?</head>", " ", page)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))
