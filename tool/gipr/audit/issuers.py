"""Who issued a report: names as printed folded into one issuer, the roster's name when a
roster is given, and the issuer's level (department / county / city / province), which decides
its publication deadline (``gipr.figures.deadlines``).

Names vary: “区公安局”, “平潭综合实验区公安局”, “平潭综合实验区 公安局”.  Without a roster,
a name and a longer name that ends with it (after a leading 区/县/市/本 of the short one) are
one issuer when the longer one is the only such name; the longest is kept.  With a roster the
roster matcher decides (``published.core.roster_unit``: code, exact name, the one unit whose
name ends the printed one), and the unit's 类别 gives its level.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..roster import Unit, normalize_name
from ..vocabulary import alternation, vocabulary

__all__ = ["Issuer", "fold_names", "issuer_key", "level_of"]

_WORDS = vocabulary()["issuers"]
_BODY_SUFFIX = re.compile("(?:" + alternation(_WORDS["body_suffixes"]) + ")$")
_SHORT_PREFIX = re.compile("^(?:" + alternation(_WORDS["short_prefixes"]) + ")")
MIN_CORE = 3  # characters a short name must keep to be folded into a longer one

# level from a roster's 类别 (first match wins); the words a roster uses for its categories
_CATEGORY_LEVELS = tuple((c["level"], tuple(c["words"])) for c in _WORDS["category_levels"])
# level from the issuer's own name (what a title says)
_NAME_LEVELS = tuple((n["level"], re.compile(n["pattern"])) for n in _WORDS["name_levels"])
_GOVERNMENT_OFFICES = tuple(_WORDS["government_offices"])


def issuer_key(name: str) -> str:
    """The form two printed names are compared in."""
    return _BODY_SUFFIX.sub("", normalize_name(name))


@dataclass
class Issuer:
    name: str  # the name used in the audit (the roster's, else the longest printed)
    printed: list[str]  # every name printed for it
    unit: Unit | None = None
    level: str | None = None  # department | county | city | province | None (unknown)
    level_from: str = ""  # roster | name

    @property
    def code(self) -> str:
        return self.unit.code if self.unit else ""


def level_of(name: str, unit: Unit | None) -> tuple[str | None, str]:
    """(level, where it came from): the roster's 类别 when it says, else the name's ending."""
    if unit is not None and unit.category:
        for level, words in _CATEGORY_LEVELS:
            if any(w in unit.category for w in words):
                return level, "roster"
    n = normalize_name(unit.name if unit is not None else name)
    if n.endswith(_GOVERNMENT_OFFICES):
        return None, ""  # the government's own office: its deadline depends on the government
    for level, pat in _NAME_LEVELS:
        if pat.search(n):
            return level, "name"
    return None, ""


def fold_names(names: list[str], roster: list[Unit] | None = None) -> tuple[dict[str, Issuer], list[str]]:
    """(printed name → Issuer, names that could not be assigned).  With a roster, a name the
    roster does not know is unassigned; without one every name is an issuer."""
    out: dict[str, Issuer] = {}
    unassigned: list[str] = []
    distinct = sorted({n for n in names if n}, key=lambda n: (-len(issuer_key(n)), n))
    if roster is not None:
        by_code: dict[str, Issuer] = {}
        for n in distinct:
            u = _roster_match(n, roster)
            if u is None:
                unassigned.append(n)
                continue
            iss = by_code.get(u.code)
            if iss is None:
                level, src = level_of(u.name, u)
                iss = by_code[u.code] = Issuer(u.name, [], u, level, src)
            iss.printed.append(n)
            out[n] = iss
        return out, unassigned
    by_key: dict[str, Issuer] = {}
    for n in distinct:  # longest first: a short name finds its long one
        key = issuer_key(n)
        iss = by_key.get(key)
        if iss is None:
            core = _SHORT_PREFIX.sub("", key)
            longer = [i for k, i in by_key.items() if len(core) >= MIN_CORE and k.endswith(core) and k != key]
            if len({id(i) for i in longer}) == 1:
                iss = longer[0]
        if iss is None:
            level, src = level_of(n, None)
            iss = Issuer(n, [], None, level, src)
        by_key.setdefault(key, iss)
        iss.printed.append(n)
        out[n] = iss
    return out, unassigned


def _roster_match(name: str, roster: list[Unit]) -> Unit | None:
    key = issuer_key(name)
    exact = [u for u in roster if issuer_key(u.name) == key]
    if len(exact) == 1:
        return exact[0]
    core = _SHORT_PREFIX.sub("", key)
    ends = [u for u in roster if len(issuer_key(u.name)) >= MIN_CORE and key.endswith(issuer_key(u.name))]
    if len(ends) == 1:
        return ends[0]
    back = [u for u in roster if len(core) >= MIN_CORE and issuer_key(u.name).endswith(core)]
    return back[0] if len(back) == 1 else None
