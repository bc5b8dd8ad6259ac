"""The catalogue of user-facing texts (tool/gipr/catalogue): its keys as a type, every call's
fields against its text's placeholders, and no Chinese text anywhere else in the code.

``python tests/project/test_texts.py --write-keys`` rewrites catalogue/keys/ from the texts."""

from __future__ import annotations

import ast
import importlib
import re
import string
import sys
from pathlib import Path
from typing import get_args

import pytest

import gipr
from gipr.catalogue.access import CATALOGUE, TextKey
from gipr.messages import FINDINGS

PACKAGE = Path(gipr.__file__).parent
CATALOGUE_DIR = PACKAGE / "catalogue"
HAN = re.compile(r"[\u3400-\u9fff]")  # a Chinese character (CJK ideographs and extension A)

# Where Chinese text may be: the catalogue and the findings' texts (with their stable codes).
TEXT_HOMES = {"messages.py"} | {f"catalogue/{p.name}" for p in CATALOGUE_DIR.glob("*.py")}

# The words the readers match (label variants, units, header aliases, title patterns, number
# words) are data, not texts: gipr/formats/vocabulary.json, read by gipr.vocabulary
# (tests/format/test_vocabulary.py).


def data_modules():
    for p in sorted(CATALOGUE_DIR.glob("*.py")):
        if p.stem not in ("__init__", "access"):
            yield importlib.import_module(f"gipr.catalogue.{p.stem}")


def placeholders(template: str) -> set[str]:
    """The names a template fills in ({n}, {n:,}, {x!r}, {a.b} → n, x, a)."""
    out = set()
    for _, name, spec, _ in string.Formatter().parse(template):
        if name is not None:
            out.add(re.match(r"[^.\[]*", name).group(0))
            if spec:
                out |= placeholders(spec)
    return out


def modules():
    for p in sorted(PACKAGE.rglob("*.py")):
        yield p.relative_to(PACKAGE).as_posix(), ast.parse(p.read_text(encoding="utf-8"), str(p))


def chinese_literals(tree: ast.AST):
    """The string literals with a Chinese character: a plain string or an f-string (counted
    once), docstrings and typer's ``help=`` texts aside."""
    skip: set[int] = set()
    for n in ast.walk(tree):
        if isinstance(n, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and n.body \
                and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant):
            skip.add(id(n.body[0].value))
        elif isinstance(n, ast.keyword) and n.arg == "help":
            skip |= {id(m) for m in ast.walk(n.value)}
        elif isinstance(n, ast.JoinedStr):  # its text parts belong to it; its expressions are code
            skip |= {id(v) for v in n.values if isinstance(v, ast.Constant)}
            skip |= {id(m) for v in n.values if isinstance(v, ast.FormattedValue) and v.format_spec
                     for m in ast.walk(v.format_spec)}
    for n in ast.walk(tree):
        if id(n) in skip:
            continue
        text = isinstance(n, ast.Constant) and isinstance(n.value, str) and bool(HAN.search(n.value))
        fstring = isinstance(n, ast.JoinedStr) and any(
            isinstance(v, ast.Constant) and HAN.search(v.value) for v in n.values)
        if text or fstring:
            yield n


def literal_keys(node: ast.AST) -> list[str] | None:
    """The keys a call's first argument can be when it is written out (``"a"``, ``"a" if c else
    "b"``); None for a key made at run time (a TextKey variable, ``textkey(...)``)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        a, b = literal_keys(node.body), literal_keys(node.orelse)
        return None if a is None or b is None else a + b
    return None


def calls(tree: ast.AST, name: str):
    for n in ast.walk(tree):
        if isinstance(n, ast.Call) and n.args and (
                (isinstance(n.func, ast.Name) and n.func.id == name)
                or (isinstance(n.func, ast.Attribute) and n.func.attr == name)):
            yield n


def test_the_key_type_lists_exactly_the_catalogues_keys():
    merged: dict[str, str] = {}
    for mod in data_modules():
        twice = merged.keys() & mod.TEXTS.keys()
        assert not twice, f"{mod.__name__}: keys already defined elsewhere: {sorted(twice)}"
        merged.update(mod.TEXTS)
    assert merged == CATALOGUE, "a module of texts is not joined into catalogue/access.py"
    assert all(isinstance(v, str) for v in CATALOGUE.values())
    keys = {k for area in get_args(TextKey) for k in get_args(area)}
    assert keys == set(CATALOGUE), (
        f"catalogue/keys/ is out of step (missing {sorted(set(CATALOGUE) - keys)[:5]}, "
        f"stale {sorted(keys - set(CATALOGUE))[:5]}): run python tests/project/test_texts.py --write-keys")


def test_every_call_fills_exactly_its_texts_placeholders():
    problems = []
    n_say = n_finding = 0
    for name, tree in modules():
        for call in calls(tree, "say"):
            keys = literal_keys(call.args[0])
            if keys is None:
                continue
            n_say += 1
            where = f"{name}:{call.lineno}"
            missing = [k for k in keys if k not in CATALOGUE]
            if missing:
                problems.append(f"{where}: no text {missing}")
                continue
            if any(k.arg is None for k in call.keywords):  # **fields: checked when run
                continue
            given = {k.arg for k in call.keywords}
            wanted = [placeholders(CATALOGUE[k]) for k in keys]
            if not all(w <= given for w in wanted) or not given <= set().union(*wanted):
                problems.append(f"{where}: {keys} fills {sorted(given)}, the text has {sorted(set().union(*wanted))}")
        for call in calls(tree, "finding"):
            keys = literal_keys(call.args[0])
            if keys is None or any(k.arg is None for k in call.keywords):
                continue
            n_finding += 1
            where = f"{name}:{call.lineno}"
            if any(k not in FINDINGS for k in keys):
                problems.append(f"{where}: no finding code {keys}")
                continue
            given = {k.arg for k in call.keywords} - {"severity", "key"}
            named = {"cell", "ref", "path", "rule"}  # always passed to the template
            for k in keys:
                wanted = placeholders(FINDINGS[k][1])
                if not wanted <= given | named or not given - named <= wanted:
                    problems.append(f"{where}: {k} fills {sorted(given)}, the text has {sorted(wanted)}")
    assert n_say > 300 and n_finding > 50, (n_say, n_finding)  # the walk does find the calls
    assert not problems, "\n".join(problems)


def test_no_chinese_text_outside_the_catalogue():
    found = {}
    for name, tree in modules():
        if name not in TEXT_HOMES:
            lits = list(chinese_literals(tree))
            if lits:
                found[name] = [f"{n.lineno}: {ast.unparse(n)[:60]}" for n in lits]
    assert not found, "Chinese text belongs in the catalogue (gipr/catalogue), said with say(key):\n" + "\n".join(
        f"{name}: {len(lines)} literals" + "".join(f"\n    {x}" for x in lines[:8]) for name, lines in found.items())


@pytest.mark.parametrize("code", ["x = '已接收'\n", "x = f'共 {n} 个'\n", "x = ('a'\n     '汇总')\n",
                                  "x = f\"{'是' if y else 'no'}\"\n"])
def test_the_literal_finder_sees_every_kind_of_literal(code):
    assert len(list(chinese_literals(ast.parse(code)))) == 1


@pytest.mark.parametrize("code", ['"""模块说明"""\n', 'def f():\n    "函数说明"\n',
                                  'opt = typer.Option(None, help="说明")\n', "x = 'ascii only'\n"])
def test_the_literal_finder_sets_aside_docstrings_and_help(code):
    assert list(chinese_literals(ast.parse(code))) == []


def key_alias(stem: str) -> str:
    """The name of the key type of catalogue/<stem>.py: ``check`` → ``CheckKey``."""
    return stem.capitalize() + "Key"


def write_keys() -> None:
    """catalogue/keys/<area>.py for each module of texts: its keys as a ``Literal``
    (catalogue/access.py joins them into TextKey)."""
    keys_dir = CATALOGUE_DIR / "keys"
    for mod in data_modules():
        stem = mod.__name__.rsplit(".", 1)[1]
        keys = sorted(mod.TEXTS)
        (keys_dir / f"{stem}.py").write_text(
            f'"""The keys of catalogue/{stem}.py as a type, so that mypy checks ``say("…")`` at each call.\n\n'
            "Written by ``python tests/project/test_texts.py --write-keys`` from the texts; tests/project/test_texts.py\n"
            'fails when this list and the texts differ."""\n\nfrom __future__ import annotations\n\n'
            f"from typing import Literal\n\n{key_alias(stem)} = Literal[\n" + "".join(f'    "{k}",\n' for k in keys) + "]\n",
            encoding="utf-8")
        print(f"catalogue/keys/{stem}.py: {len(keys)} keys")


if __name__ == "__main__" and sys.argv[1:] == ["--write-keys"]:
    write_keys()
