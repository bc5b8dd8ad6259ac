"""gipr's layers (README.md, "Layers") hold: ``lint-imports`` (import-linter, its contracts in
pyproject.toml) finds no import of a higher layer and no import cycle among the modules of
any package — imports inside functions included.  The same run as in .ci/run, so that the
README's test command enforces it too."""

from __future__ import annotations

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
