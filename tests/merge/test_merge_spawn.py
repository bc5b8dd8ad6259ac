"""Merge's reader pool (gipr.isolate.ReaderPool) under 'spawn', the Windows start method,
gives the same entries and the same roll-up values as under 'fork' and as one worker, for
the example county's real workbooks; a file that hangs its reader is unreadable (file.timeout)
and only it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from kit.paths import EXAMPLES

from gipr import read as read_mod
from gipr.isolate import available_methods
from gipr.merge import UNREADABLE, entries_from_paths, plan_merge
from gipr.roster import load_roster
from gipr.spec import load_format


def _fields(e) -> tuple:
    return (e.code, e.name, e.status, e.kind, e.file, e.sha256, e.errors, e.warnings, e.numbers, e.odd,
            [(f.code, f.severity, f.message, f.cell, f.ref) for f in e.findings], e.year, e.format)


def _merge(method: str, jobs: int):
    spec = load_format("2021")
    roster = load_roster(EXAMPLES / "roster.csv")
    entries = entries_from_paths([EXAMPLES / "returned"], spec=spec, year=2025, roster=roster, jobs=jobs,
                                 method=method)
    return entries, plan_merge(spec, 2025, "示例县", entries, roster)


@pytest.mark.skipif("fork" not in available_methods(), reason="no 'fork' start method on this platform")
def test_spawn_gives_what_fork_gives():
    e_spawn, r_spawn = _merge("spawn", 2)
    e_fork, r_fork = _merge("fork", 2)
    e_one, r_one = _merge("spawn", 1)
    assert len(e_spawn) >= 24
    assert [_fields(e) for e in e_spawn] == [_fields(e) for e in e_fork] == [_fields(e) for e in e_one]
    assert r_spawn.values == r_fork.values == r_one.values
    assert len(r_spawn.included) >= 20


def test_a_file_over_the_time_limit_is_unreadable_and_only_it(tmp_path, monkeypatch):
    from kit.corpus import Kit, slow_workbook  # a legal workbook that takes a while to read

    kit = Kit()
    src = tmp_path / "in"
    src.mkdir()
    for p in sorted((EXAMPLES / "returned").iterdir())[:4]:
        shutil.copy(p, src / p.name)
    (src / "慢.xlsx").write_bytes(slow_workbook(kit))
    monkeypatch.setattr(read_mod.reader, "MAX_READ_SECONDS", 0.3)
    spec = load_format("2021")
    entries = entries_from_paths([src], spec=spec, year=2025, roster=None, jobs=2, method="spawn")
    by = {Path(e.file).name: e for e in entries}
    slow = by["慢.xlsx"]
    assert slow.status == UNREADABLE
    assert [f.code for f in slow.findings] == ["file.timeout"] and "慢.xlsx" in slow.note
    assert all(e.kind == "unit" for n, e in by.items() if n != "慢.xlsx")
