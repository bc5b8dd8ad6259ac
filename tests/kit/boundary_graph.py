"""The import graph of gipr's own modules, read from their source (every import statement,
at module level and inside functions, ``importlib.import_module("…")`` with a literal, and a
call of an adapter of gipr.thirdparty, which counts as importing the library it returns),
for tests/project/test_boundary.py: which modules import a parser of untrusted bytes, and what the
main process takes from the reader modules (gipr.isolate.READER_MODULES)."""

from __future__ import annotations

import ast
import functools
from dataclasses import dataclass
from pathlib import Path

from kit.paths import PACKAGE

TASK_CALLS = {"run_limited", "read_limited", "map", "_limited"}  # f(task, …): the task runs in a worker
TASK_KEYWORDS = {"initializer", "task_fn"}
ADAPTER = "gipr.thirdparty"  # one function per heavy library: ``thirdparty.pdfplumber()`` imports pdfplumber


@dataclass(frozen=True)
class Import:
    module: str  # the importing module, e.g. gipr.merge.years
    target: str  # the module imported, resolved, e.g. gipr.read.units or python_calamine
    names: tuple[str, ...]  # names taken from it (from-imports); () for a plain import
    function: str | None  # the module-level function (or class) it is in; None at module level
    line: int


def module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _resolve(mod: str, is_pkg: bool, level: int, name: str | None) -> str:
    if level == 0:
        return name or ""
    base = mod.split(".")
    if not is_pkg:
        base = base[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join(base + ([name] if name else []))


@functools.cache
def adapter_imports() -> dict[str, tuple[str, ...]]:
    """Each function of gipr.thirdparty -> the modules it imports."""
    tree = ast.parse((PACKAGE / "thirdparty.py").read_text(encoding="utf-8"))
    return {f.name: tuple(a.name for n in ast.walk(f) if isinstance(n, ast.Import) for a in n.names)
            + tuple(n.module for n in ast.walk(f) if isinstance(n, ast.ImportFrom) and n.module and not n.level)
            for f in tree.body if isinstance(f, ast.FunctionDef)}


def _adapter_names(mod: str, is_pkg: bool, tree: ast.AST) -> tuple[set[str], dict[str, str]]:
    """(the names gipr.thirdparty is bound to in the module, name -> adapter function for the
    functions imported from it), wherever the import statement stands."""
    whole: set[str] = set()
    fns: dict[str, str] = {}
    for n in ast.walk(tree):
        if isinstance(n, ast.ImportFrom):
            target = _resolve(mod, is_pkg, n.level, n.module)
            for a in n.names:
                if f"{target}.{a.name}" == ADAPTER:
                    whole.add(a.asname or a.name)
                elif target == ADAPTER:
                    fns[a.asname or a.name] = a.name
        elif isinstance(n, ast.Import):
            whole.update(a.asname for a in n.names if a.name == ADAPTER and a.asname)
    return whole, fns


def _adapter_called(call: ast.Call, whole: set[str], fns: dict[str, str]) -> str | None:
    f = call.func
    if isinstance(f, ast.Name):
        return fns.get(f.id)
    if isinstance(f, ast.Attribute) and ((isinstance(f.value, ast.Name) and f.value.id in whole)
                                         or ast.unparse(f.value) == ADAPTER):
        return f.attr
    return None


def imports_of(mod: str, path: Path) -> list[Import]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    is_pkg = path.name == "__init__.py"
    out: list[Import] = []
    whole, fns = _adapter_names(mod, is_pkg, tree)

    def visit(node: ast.AST, top: str | None) -> None:
        for child in ast.iter_child_nodes(node):
            here = top
            if top is None and isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                here = child.name
            if isinstance(child, ast.Import):
                for a in child.names:
                    out.append(Import(mod, a.name, (), here, child.lineno))
            elif isinstance(child, ast.ImportFrom):
                target = _resolve(mod, is_pkg, child.level, child.module)
                names = tuple(a.name for a in child.names)
                out.append(Import(mod, target, names, here, child.lineno))
                # "from . import x" / "from .pkg import sub": a submodule is imported too
                for n in names:
                    if f"{target}.{n}" in ALL:
                        out.append(Import(mod, f"{target}.{n}", (), here, child.lineno))
            elif isinstance(child, ast.Call) and _call_name(child) in ("import_module", "__import__") and \
                    child.args and isinstance(child.args[0], ast.Constant) and isinstance(child.args[0].value, str):
                out.append(Import(mod, child.args[0].value, (), here, child.lineno))
            elif isinstance(child, ast.Call) and (fn := _adapter_called(child, whole, fns)) is not None:
                # thirdparty.pdfplumber(): the library is imported here, through its adapter
                out.extend(Import(mod, lib, (), here, child.lineno) for lib in adapter_imports().get(fn, ()))
            elif isinstance(child, ast.Constant) and isinstance(child.value, str) and \
                    child.value.startswith("gipr.") and ":" in child.value:
                # a task named "module:function" (run_limited resolves it in the worker)
                target, _, fn = child.value.partition(":")
                out.append(Import(mod, target, (fn,), "<task>", child.lineno))
            visit(child, here)

    visit(tree, None)
    return out


def _call_name(call: ast.Call) -> str:
    f = call.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""


@functools.cache
def task_functions(path: Path) -> set[str]:
    """The module-level functions a module hands to gipr.isolate (the first argument of
    run_limited / read_limited / ReaderPool.map, ``initializer=``, ``task_fn=``), and the
    module-level functions they call by name, transitively: code that runs in a worker."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    defs = {n.name: n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    tasks: set[str] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        cands = []
        if _call_name(node) in TASK_CALLS and node.args:
            cands.append(node.args[0])
        cands += [k.value for k in node.keywords if k.arg in TASK_KEYWORDS]
        for c in cands:
            for n in ast.walk(c):  # "task_fn or _read_task" too
                if isinstance(n, ast.Name) and n.id in defs:
                    tasks.add(n.id)
    todo = list(tasks)
    while todo:
        fn = defs[todo.pop()]
        for n in ast.walk(fn):
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in defs and \
                    n.func.id not in tasks:
                tasks.add(n.func.id)
                todo.append(n.func.id)
    return tasks


ALL = modules()


@functools.cache
def _graph() -> tuple[Import, ...]:
    return tuple(i for mod, path in ALL.items() for i in imports_of(mod, path))


def graph() -> list[Import]:
    return list(_graph())


@functools.cache
def called_names(path: Path) -> dict[str, set[str]]:
    """Module-level function -> the bare names it calls."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    return {n.name: {c.func.id for c in ast.walk(n) if isinstance(c, ast.Call) and isinstance(c.func, ast.Name)}
            for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}


# --- what a function reaches in this process ------------------------------------------------

def _defs(path: Path) -> dict[str, ast.AST]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    return {n.name: n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}


def _aliases(mod: str, is_pkg: bool, body) -> dict[str, tuple[str, str | None]]:
    """name -> (module, attribute or None for the module itself), from the import statements
    directly in ``body`` (not nested deeper)."""
    out: dict[str, tuple[str, str | None]] = {}
    for node in body:
        if isinstance(node, ast.Import):
            for a in node.names:
                out[a.asname or a.name.split(".")[0]] = (a.name if a.asname else a.name.split(".")[0], None)
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(mod, is_pkg, node.level, node.module)
            for a in node.names:
                sub = f"{target}.{a.name}"
                out[a.asname or a.name] = (sub, None) if sub in ALL else (target, a.name)
    return out


@functools.cache
def _module_info(mod: str) -> tuple[dict[str, ast.AST], dict[str, tuple[str, str | None]]]:
    path = ALL[mod]
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    return _defs(path), _aliases(mod, path.name == "__init__.py", tree.body)


def resolve(mod: str, name: str, seen: frozenset = frozenset()) -> tuple[str, str] | None:
    """The (module, def name) that ``name`` in ``mod`` is, following re-exports; None if it is
    not a function or class of gipr."""
    if mod not in ALL or (mod, name) in seen:
        return None
    defs, al = _module_info(mod)
    if name in defs:
        return mod, name
    if name in al and al[name][1] is not None:
        return resolve(al[name][0], al[name][1], seen | {(mod, name)})
    return None


@functools.cache
def uses(mod: str, name: str) -> tuple[set[tuple[str, str]], set[str]]:
    """What the def ``name`` of ``mod`` calls in this process (gipr functions and classes it
    calls by name or as ``module.function``) and the outside modules it refers to (imported
    at module level or in the def itself).  A function handed to gipr.isolate is an argument,
    not a call: it is not followed."""
    defs, al = _module_info(mod)
    node = defs[name]
    local = dict(al)
    path = ALL[mod]
    for n in ast.walk(node):
        if isinstance(n, (ast.Import, ast.ImportFrom)):
            local.update(_aliases(mod, path.name == "__init__.py", [n]))
    calls: set[tuple[str, str]] = set()
    libs: set[str] = set()
    for n in ast.walk(node):
        if isinstance(n, ast.Name) and n.id in local:
            target, attr = local[n.id]
            if target.split(".")[0] != "gipr":
                libs.add(target)
        if isinstance(n, ast.Call):
            f = n.func
            hit = None
            if isinstance(f, ast.Name):
                if f.id in defs:
                    hit = (mod, f.id)
                elif f.id in local and local[f.id][1] is not None:
                    hit = resolve(local[f.id][0], local[f.id][1])
            elif isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id in local:
                target, attr = local[f.value.id]
                if attr is None:
                    hit = resolve(target, f.attr)
            if hit is not None:
                calls.add(hit)
    return calls, libs
