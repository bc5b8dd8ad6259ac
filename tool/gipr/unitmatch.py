"""The one matcher of a returned file (or a document) to a roster unit.

Used by check (``match_unit``: is the file's unit in the roster?), collect (``identify``:
which unit sent this, with the reasons) and merge (``roster_index``: the roster by code and
by name).  One rule for each key:

* a unit code is compared after NFKC, without spaces, case-folded (``roster.normalize_code``,
  the form the roster refuses duplicates in):
  ``a01``, ``Ａ０１`` and `` A01 `` are the roster's ``A01``;
* a unit name is compared after NFKC without spaces (``roster.normalize_name``); collect
  goes further for a name typed on a cover (``match_unit_name``: punctuation, brackets,
  seals, the county prefix, common short forms), and never guesses between candidates.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from . import messages
from .messages import say
from .roster import Unit, normalize_code, normalize_name
from .stamp import verify
from .vocabulary import alternation, vocabulary

__all__ = [
    "Identification",
    "RosterIndex",
    "identify",
    "match_unit",
    "match_unit_name",
    "normalize_code",
    "roster_index",
    "same_name",
    "settle_identity",
    "units_for_sender",
]



@dataclass
class RosterIndex:
    """A roster by normalised code and by normalised name (first unit wins)."""

    units: list[Unit]
    by_code: dict[str, Unit]
    by_name: dict[str, Unit]

    def find(self, code: str = "", name: str = "") -> Unit | None:
        """The unit with this code, else with this name."""
        u = self.by_code.get(normalize_code(code)) if code else None
        if u is None and name:
            u = self.by_name.get(normalize_name(name))
        return u


_LAST_INDEX: list[RosterIndex | None] = [None]


def roster_index(roster: list[Unit]) -> RosterIndex:
    """Built once per roster (gipr merge checks a thousand files against the same one)."""
    idx = _LAST_INDEX[0]
    if idx is None or idx.units != roster:  # a list compare: the same units (identity first), cheap
        codes: dict[str, Unit] = {}
        names: dict[str, Unit] = {}
        for u in roster:
            codes.setdefault(normalize_code(u.code), u)
            names.setdefault(normalize_name(u.name), u)
        idx = _LAST_INDEX[0] = RosterIndex(list(roster), codes, names)
    return idx


def same_name(a: str, b: str) -> bool:
    return normalize_name(a) == normalize_name(b)


def match_unit(report, roster: list[Unit]) -> Unit | None:
    """The roster unit a report belongs to: by the code in its identity or cover, else by name."""
    idx = roster_index(roster)
    for code in (report.identity.get("unit_code", ""), report.fields.get("unit_code", "")):
        u = idx.by_code.get(normalize_code(code)) if code else None
        if u is not None:
            return u
    for name in (report.fields.get("unit_name", ""), report.identity.get("unit_name", "")):
        u = idx.by_name.get(normalize_name(name)) if name else None
        if u is not None:
            return u
    return None


# --- a name typed on a cover ----------------------------------------------------------------
_PUNCT = re.compile(r"[\s\u3000·・.,，。、:：;；\"“”'‘’`~!！?？\-—–_/\\|()（）\[\]【】{}《》<>〈〉「」『』]+")
_BRACKETED = re.compile(r"[（(【\[][^（）()【】\[\]]*[）)】\]]")
_WORDS = vocabulary()["unit_names"]
_SEAL = re.compile("(" + alternation(_WORDS["seal_words"]) + ")$")
_CANON = tuple(_WORDS["short_forms"].items())  # (long, short), replaced in this order
_PARTY = _WORDS["party_prefix"]
_LEVEL_PREFIXES = tuple(_WORDS["level_prefixes"])
_COUNTY_SUFFIXES = tuple(_WORDS["county_suffixes"])


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "")


def _plain(text: str) -> str:
    return _PUNCT.sub("", _nfkc(text))


def _canon(text: str, county: str = "") -> str:
    s = _nfkc(text)
    s = _BRACKETED.sub("", s)
    s = _plain(s)
    s = _SEAL.sub("", s) if len(s) > 3 else s
    if s.startswith(_PARTY):
        s = s[len(_PARTY):]
    for pre in _county_prefixes(county):
        if s.startswith(pre) and len(s) > len(pre) + 1:
            s = s[len(pre):]
            break
    if s[:1] in _LEVEL_PREFIXES and len(s) > 2:
        s = s[1:]
    for long, short in _CANON:
        s = s.replace(long, short)
    return s


def _county_prefixes(county: str) -> list[str]:
    c = _plain(county)
    out = []
    if c:
        out.append(c)
        for suf in _COUNTY_SUFFIXES:
            if c.endswith(suf) and len(c) > len(suf) + 1:
                out.append(c[: -len(suf)])
                break
    return out


def _subsequence(short: str, long: str) -> bool:
    it = iter(long)
    return all(ch in it for ch in short)


def _related(a: str, b: str) -> bool:
    """Could the typed name ``a`` be a short or long form of the roster name ``b``?"""
    if not a or not b or min(len(a), len(b)) < 2 or a[-1] != b[-1]:
        return False
    if a in b or b in a:
        return True
    return a[0] == b[0] and (_subsequence(a, b) or _subsequence(b, a))


def match_unit_name(typed: str, roster: list, county: str = "") -> tuple[Any, list]:
    """(unit, candidates): the roster unit a typed unit name means, or None with the
    candidates when there are several (never guessed) or none."""
    if not typed or not _plain(typed):
        return None, []
    t_plain = _plain(typed)
    exact = [u for u in roster if _plain(u.name) == t_plain]
    if len(exact) == 1:
        return exact[0], exact
    t = _canon(typed, county)
    canon = [(u, _canon(u.name, county)) for u in roster]
    same = [u for u, c in canon if c and c == t]
    if len(same) == 1:
        return same[0], same
    if len(same) > 1:
        return None, same
    cands = [u for u, c in canon if _related(t, c)]
    if len(cands) == 1:
        return cands[0], cands
    return None, cands


@dataclass
class Identification:
    unit: Unit | None
    method: str  # identity|cover_name|cover_code|sender|none
    notes: list[str] = field(default_factory=list)


def identify(report, roster: list, county: str = "", sender: str | None = None) -> Identification:
    """Which roster unit a report (or None for an unreadable file) belongs to."""
    notes: list[str] = []
    by_code = roster_index(roster).by_code
    ident_unit = None
    cover_unit = None
    cover_conflict = None
    if report is not None:
        ident = dict(report.identity or {})
        if ident:
            code = ident.get("unit_code", "")
            if not verify(ident):
                notes.append(say("ident.signature"))
            elif code and normalize_code(code) in by_code:
                ident_unit = by_code[normalize_code(code)]
            elif code:
                notes.append(say("ident.code_unknown", code=code))
        typed_name = (report.fields or {}).get("unit_name", "") or ""
        typed_code = normalize_code((report.fields or {}).get("unit_code", "") or "")
        name_unit, cands = match_unit_name(typed_name, roster, county)
        code_unit = by_code.get(typed_code) if typed_code else None
        if name_unit is None and len(cands) > 1:
            notes.append(say("ident.name_candidates", name=typed_name, candidates="、".join(u.name for u in cands[:6])))
        if name_unit is not None and code_unit is not None and name_unit.code != code_unit.code:
            cover_conflict = say("ident.cover_conflict", name=typed_name, name_unit=name_unit.name, code=typed_code,
                                 code_unit=code_unit.name)
        elif name_unit is not None:
            cover_unit = (name_unit, "cover_name")
        elif code_unit is not None and not cands:
            cover_unit = (code_unit, "cover_code")
        elif typed_name and not cands:
            notes.append(say("ident.name_unknown", name=typed_name))
        if ident_unit is not None:
            if cover_unit is not None and cover_unit[0].code != ident_unit.code:
                notes.append(say("ident.other_template", ident_unit=ident_unit.name, cover_unit=cover_unit[0].name))
                return Identification(None, "none", notes)
            return Identification(ident_unit, "identity", notes + _sender_note(sender, roster, ident_unit))
        if cover_conflict:
            notes.append(say("ident.not_decided", problem=cover_conflict))
            return Identification(None, "none", notes)
        if cover_unit is not None:
            return Identification(cover_unit[0], cover_unit[1], notes + _sender_note(sender, roster, cover_unit[0]))
    if sender:
        units = units_for_sender(sender, roster)
        if len(units) == 1:
            return Identification(units[0], "sender", notes)
        if len(units) > 1:
            notes.append(say("ident.sender_many", sender=sender, units="、".join(u.name for u in units[:6])))
        else:
            notes.append(say("ident.sender_unknown", sender=sender))
    return Identification(None, "none", notes)


def units_for_sender(sender: str, roster: list) -> list:
    addr = (sender or "").strip().lower()
    if not addr:
        return []
    return [u for u in roster if addr in {e.strip().lower() for e in u.emails}]


def _sender_note(sender: str | None, roster: list, unit) -> list[str]:
    if not sender:
        return []
    units = units_for_sender(sender, roster)
    if units and all(u.code != unit.code for u in units):
        return [say("ident.sender_other", sender=sender, sender_unit=units[0].name, unit=unit.name)]
    return []



def settle_identity(findings: list, report, unit, *, as_json: bool = False) -> list:
    """Findings of a report whose unit is known from elsewhere (collect identified it, or
    the clerk pinned it): the checks' ``identity.unit_unknown`` (an error: "not in the
    roster") becomes information, and a warning says when the cover names the unit
    differently.  ``findings`` are Finding objects, or their JSON dicts with ``as_json``.
    Used by collect; anything re-checking a ledger submission (merge from a workspace)
    can use it to agree with the ledger."""
    from dataclasses import replace

    def code_of(f):
        return f.get("code") if as_json else f.code

    out = []
    for f in findings:
        if code_of(f) == "identity.unit_unknown":
            f = dict(f, severity="info") if as_json else replace(f, severity="info")
        out.append(f)
    if report is not None and unit is not None:
        typed = (report.fields or {}).get("unit_name", "") or ""
        if typed and _plain(typed) != _plain(unit.name) and not any(
                code_of(f) == "identity.unit_changed" for f in out):
            w = messages.finding("identity.unit_changed", found=typed, expected=unit.name)
            out.append(w.to_json() if as_json else w)
    return out
