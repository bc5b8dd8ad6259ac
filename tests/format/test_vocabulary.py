"""The readers' vocabulary (gipr/formats/vocabulary.json) is complete and used: the file has
exactly the keys the types of gipr.vocabulary name, with values of those types; every group
says in its ``_comment`` which modules read it, and exactly those modules do; every key is read
by one of them; the words themselves are well-formed (one column per header spelling, patterns
that compile)."""

from __future__ import annotations

import ast
import json
import re
import typing
from pathlib import Path

import pytest

from gipr import vocabulary as vocab_module
from gipr.vocabulary import VOCABULARY_FILE, Vocabulary, alternation, vocabulary

PACKAGE = Path(vocab_module.__file__).parent
RAW = json.loads(VOCABULARY_FILE.read_text(encoding="utf-8"))
HINTS = typing.get_type_hints(Vocabulary)


def _is_typeddict(t: object) -> bool:
    return isinstance(t, type) and issubclass(t, dict) and hasattr(t, "__annotations__")


def _shape_errors(value: object, t: object, where: str) -> list[str]:
    """Where ``value`` is not of type ``t`` (a TypedDict, str, list[...] or dict[str, ...])."""
    if _is_typeddict(t):
        if not isinstance(value, dict):
            return [f"{where}: not an object"]
        want = set(typing.get_type_hints(t))
        have = set(value) - {"_comment"}
        errors = [f"{where}: missing {k}" for k in sorted(want - have)]
        errors += [f"{where}: unknown key {k}" for k in sorted(have - want)]
        for k, sub in typing.get_type_hints(t).items():
            if k in value:
                errors += _shape_errors(value[k], sub, f"{where}.{k}")
        return errors
    origin, args = typing.get_origin(t), typing.get_args(t)
    if origin is list:
        if not isinstance(value, list) or not value:
            return [f"{where}: not a non-empty list"]
        return [e for i, x in enumerate(value) for e in _shape_errors(x, args[0], f"{where}[{i}]")]
    if origin is dict:
        if not isinstance(value, dict) or not value:
            return [f"{where}: not a non-empty object"]
        return [e for k, x in value.items() for e in _shape_errors(x, args[1], f"{where}.{k}")]
    if t is str:
        return [] if isinstance(value, str) and value else [f"{where}: not a non-empty string"]
    raise AssertionError(f"{where}: a type the test does not know: {t}")


def test_the_file_has_the_keys_and_types_of_the_loader():
    assert _shape_errors(RAW, Vocabulary, "vocabulary") == []
    assert vocabulary() == _strip(RAW)


def _strip(v):
    if isinstance(v, dict):
        return {k: _strip(x) for k, x in v.items() if k != "_comment"}
    if isinstance(v, list):
        return [_strip(x) for x in v]
    return v


def test_every_group_says_who_reads_it():
    assert isinstance(RAW.get("_comment"), str)
    for group in HINTS:
        assert isinstance(RAW[group].get("_comment"), str) and RAW[group]["_comment"].startswith("gipr."), group


def _modules() -> dict[str, ast.Module]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        name = ".".join(rel.parts).removesuffix(".__init__")
        if name != "gipr.vocabulary":
            out[name] = ast.parse(path.read_text(encoding="utf-8"))
    return out


def _groups_read(tree: ast.Module) -> set[str]:
    """The groups a module reads: ``vocabulary()["group"]``."""
    return {n.slice.value for n in ast.walk(tree)
            if isinstance(n, ast.Subscript) and isinstance(n.value, ast.Call)
            and isinstance(n.value.func, ast.Name) and n.value.func.id == "vocabulary"
            and isinstance(n.slice, ast.Constant) and isinstance(n.slice.value, str)}


def _keys_read(tree: ast.Module) -> set[str]:
    return {n.slice.value for n in ast.walk(tree)
            if isinstance(n, ast.Subscript) and isinstance(n.slice, ast.Constant) and isinstance(n.slice.value, str)}


READ = {m: (_groups_read(tree), _keys_read(tree)) for m, tree in _modules().items()}


def _fields(t: object) -> set[str]:
    """Every key name the type ``t`` gives, at any depth."""
    if _is_typeddict(t):
        return {k for k, sub in typing.get_type_hints(t).items() for k in {k, *_fields(sub)}}
    return {k for a in typing.get_args(t) for k in _fields(a)}


@pytest.mark.parametrize("group", sorted(HINTS))
def test_each_group_is_read_by_the_modules_its_comment_names_and_each_key_is_read(group):
    named = set(re.findall(r"gipr(?:\.\w+)+", RAW[group]["_comment"]))
    readers = {m for m, (groups, _keys) in READ.items() if group in groups}
    assert readers == named, f"{group}: read by {sorted(readers)}, its _comment names {sorted(named)}"
    keys = set().union(*(READ[m][1] for m in readers))
    unread = sorted(_fields(HINTS[group]) - keys)
    assert unread == [], f"{group}: keys no reader reads: {unread}"


def test_the_words_are_well_formed():
    v = vocabulary()
    aliases = [a for c in v["roster"]["columns"] for a in c["aliases"]]
    assert len(aliases) == len(set(aliases)), "a header spelling names two columns"
    assert all(a == a.lower() and " " not in a for a in aliases), "headers are matched lower-cased, without spaces"
    attributes = {c["attribute"] for c in v["roster"]["columns"]}
    assert attributes == {"code", "name", "category", "contact", "email"}  # the fields of gipr.roster.Unit
    assert len(v["numerals"]["digits"]) == len(set(v["numerals"]["digits"]))
    for group in v.values():
        for key, value in group.items():
            if key.endswith("_pattern"):
                re.compile(value)  # type: ignore[arg-type]
    for p in v["narrative"]["patterns"]:
        assert p["fact"] in v["narrative"]["facts"]
        assert p["pattern"].count("{n}") == 1, p
        re.compile(p["pattern"].replace("{n}", r"(\d+)"))
    assert set(v["narrative"]["facts"]) == {p["fact"] for p in v["narrative"]["patterns"]}


def test_alternation_matches_each_word_literally_longest_first_as_given():
    assert re.fullmatch(alternation(["万元", "元"]), "万元")
    assert re.fullmatch(alternation(["e-mail", "a.b"]), "a.b") and not re.fullmatch(alternation(["a.b"]), "axb")
