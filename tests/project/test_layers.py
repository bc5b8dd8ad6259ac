"""gipr's layers (README.md, "Layers") hold: ``lint-imports`` (import-linter, its contracts in
pyproject.toml) finds no import of a higher layer and no import cycle among the modules of
any package — imports inside functions included.  The same run as in .ci/run, so that the
README's test command enforces it too."""

from __future__ import annotations

import ast
import subprocess
import sys

import pytest
from kit.paths import REPO

RUN = "import sys; from importlinter.cli import lint_imports_command; sys.argv[0] = 'lint-imports'; " \
      "sys.exit(lint_imports_command())"


def test_imports_follow_the_layers():
    pytest.importorskip("importlinter", reason="import-linter is not installed (it is in the [test] extra)")
    p = subprocess.run([sys.executable, "-c", RUN, "--no-cache"], cwd=REPO, capture_output=True, text=True,
                       encoding="utf-8", errors="replace", timeout=600)
    assert p.returncode == 0, "lint-imports: an upward import or an import cycle\n" + p.stdout[-6000:] + p.stderr[-3000:]
    assert "0 broken" in p.stdout, p.stdout[-3000:]


def test_gipr_modules_are_imported_at_the_top():
    """An import of a gipr module inside a function says why it cannot be at the top: a name
    a task runs in a reader worker only (``# worker-only``), or a module that loads a heavy
    library every command would then pay for (``# lazy``)."""
    bad = []
    for path in sorted((REPO / "tool" / "gipr").rglob("*.py")):
        src = path.read_text(encoding="utf-8")
        lines = src.splitlines()
        for fn in ast.walk(ast.parse(src)):
            if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(fn):
                own = (isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith("gipr"))) or \
                      (isinstance(node, ast.Import) and any(a.name.startswith("gipr") for a in node.names))
                if own and not any(w in lines[node.lineno - 1] for w in ("# worker-only", "# lazy")):
                    bad.append(f"{path.relative_to(REPO)}:{node.lineno}: {lines[node.lineno - 1].strip()}")
    assert not bad, "import gipr's own modules at the top of the module (or say why not):\n" + "\n".join(sorted(set(bad)))
