"""ruff and mypy, as configured in pyproject.toml, find nothing: the README's test command fails
on a new finding, with the tools' own report (.ci/run also runs both first, to fail fast)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = next(p for p in Path(__file__).resolve().parents if (p / "pyproject.toml").is_file())


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=900)


def test_ruff_finds_nothing():
    p = _run("ruff", "check", "--output-format", "concise")
    assert p.returncode == 0, f"ruff check (see [tool.ruff] in pyproject.toml):\n{p.stdout}{p.stderr}"


def test_mypy_finds_nothing():
    p = _run("mypy")
    assert p.returncode == 0, f"mypy (see [tool.mypy] in pyproject.toml):\n{p.stdout}{p.stderr}"
