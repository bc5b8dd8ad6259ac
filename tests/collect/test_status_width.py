"""`gipr status` fits the terminal: in 80 columns (COLUMNS=80, through the real command line)
every unit is one line no wider than the terminal, with its code, name and status; columns
give way in a fixed order (identification, then the long file name …) and come back when
the terminal is wide."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from kit.paths import EXAMPLES
from rich.cells import cell_len

from gipr.cli import main
from gipr.roster import load_roster


def _run(argv: list[str]) -> None:
    try:
        main(argv)
    except SystemExit as e:
        assert e.code in (None, 0, 1), e.code  # 1: some files have errors (as in the examples)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("status")
    inbox = tmp / "inbox"
    inbox.mkdir()
    files = sorted((EXAMPLES / "returned").iterdir())
    for p in files[1:]:  # the first unit has not returned its file: a 未报送 line
        shutil.copy(p, inbox / p.name)
    root = tmp / "ws"
    _run(["init", str(root), "--year", "2025", "--roster", str(EXAMPLES / "roster.csv"), "--county", "示例县"])
    _run(["collect", str(inbox), "-w", str(root)])
    return root


def status(root: Path, columns: int, *extra: str) -> list[str]:
    env = {**os.environ, "COLUMNS": str(columns), "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    env.pop("LINES", None)
    out = subprocess.run([sys.executable, "-m", "gipr.cli", "status", "-w", str(root), *extra], env=env,
                         capture_output=True, text=True, encoding="utf-8", timeout=300)
    assert out.returncode == 0, out.stderr
    return out.stdout.splitlines()


def _table(lines: list[str], first_cells: set[str], header: str = "代码") -> list[str]:
    """The table's lines: from its header to its last row (the sentences after it are
    printed as sentences: the terminal wraps them)."""
    start = next(i for i, ln in enumerate(lines) if ln.startswith(header))
    end = max(i for i, ln in enumerate(lines) if ln.split(" ", 1)[0] in first_cells)
    return lines[start:end + 1]


def _unit_lines(lines: list[str], code: str) -> list[str]:
    return [ln for ln in lines if ln.split(" ", 1)[0] == code]


@pytest.mark.parametrize("columns", [80, 64])
def test_one_line_per_unit_within_the_width(workspace, columns):
    lines = status(workspace, columns)
    roster = load_roster(EXAMPLES / "roster.csv")
    table = _table(lines, {u.code for u in roster})
    assert len(table) == len(roster) + 2  # header, rule, one line per unit
    assert all(cell_len(ln) <= columns for ln in table), [ln for ln in table if cell_len(ln) > columns]
    assert len(roster) >= 24
    for u in roster:
        mine = _unit_lines(lines, u.code)
        assert len(mine) == 1, (u.code, mine)
        assert u.name in mine[0], mine[0]  # the unit's name is not cut in 80 columns
        assert any(st in mine[0] for st in ("已接收", "有错误", "未报送", "无法读取")), mine[0]
    missing = json.loads("\n".join(status(workspace, columns, "--json")))["missing"]
    assert len(missing) >= 1
    codes = {u.code for u in roster}
    assert sorted(ln.split(" ", 1)[0] for ln in lines if "未报送" in ln and ln.split(" ", 1)[0] in codes) \
        == sorted(missing)
    header = next(ln for ln in lines if ln.startswith("代码"))
    assert "识别方式" not in header  # the first column to give way
    assert "错误" in header and "状态" in header


def test_a_wide_terminal_shows_every_column(workspace):
    lines = status(workspace, 220)
    header = next(ln for ln in lines if ln.startswith("代码"))
    for h in ("代码", "单位", "状态", "报送", "收到时间", "错误", "警告", "文件名", "识别方式"):
        assert h in header
    names = {p.name for p in sorted((EXAMPLES / "returned").iterdir())[1:]}
    assert sum(any(n in ln for n in names) for ln in lines) == len(names)  # file names in full


def test_all_submissions_fit_too(workspace):
    lines = status(workspace, 80, "--all")
    n = len(list((EXAMPLES / "returned").iterdir())) - 1
    table = _table(lines, {f"#{i}" for i in range(1, n + 1)}, "报送")
    assert len(table) == n + 2
    assert all(cell_len(ln) <= 80 for ln in table)
