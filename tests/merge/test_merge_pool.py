"""The merge's fast paths give what the plain ones give: the process pool (forked workers
that inherit the reader's tables) reads every file exactly as reading them one by one does,
and the input files are found the way ``sorted(folder.rglob("*"))`` finds them."""

from __future__ import annotations

import os
import shutil

import pytest
from kit.paths import EXAMPLES

from gipr.errors import GiprError
from gipr.merge import INPUT_SUFFIXES, entries_from_paths, find_input_files
from gipr.roster import load_roster
from gipr.spec import load_format


def _fields(e) -> tuple:
    return (e.code, e.name, e.status, e.kind, e.file, e.sha256, e.errors, e.warnings, e.numbers, e.odd,
            [(f.code, f.severity, f.message, f.cell, f.ref) for f in e.findings], e.year, e.format)


def test_the_pool_reads_like_one_process():
    spec = load_format("2021")
    roster = load_roster(EXAMPLES / "roster.csv")
    kw = {"spec": spec, "year": 2025, "roster": roster}
    one = entries_from_paths([EXAMPLES / "returned"], jobs=1, **kw)
    pool = entries_from_paths([EXAMPLES / "returned"], jobs=2, **kw)
    assert len(one) == len(pool) >= 24
    assert [_fields(e) for e in pool] == [_fields(e) for e in one]
    assert any(e.errors for e in one) and any(not e.errors for e in one)


def test_input_files_are_found_like_rglob(tmp_path):
    root = tmp_path / "in"
    for rel in ["b.xlsx", "a.XLSX", "z/y.xls", "z/x.ods", "a-b/c.xlsm", "a/b.xlsx", "~$lock.xlsx",
                ".hidden.xlsx", ".git/h.xlsx", "sub/~$x/k.xlsx", "notes.txt", "noext", "dir.xlsx/in.xlsx"]:
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"x")
    (root / "linked").symlink_to(root / "z", target_is_directory=True)  # rglob does not enter it
    os.symlink(root / "b.xlsx", root / "link.xlsx")  # a link to a file is a file (found once)
    want = sorted(x for x in root.rglob("*") if x.is_file() and x.suffix.lower() in INPUT_SUFFIXES
                  and not any(part.startswith((".", "~$")) for part in x.relative_to(root).parts))
    got = find_input_files([root])
    assert [p for p in want if p.name != "link.xlsx"] == got  # the link is the same file as b.xlsx
    assert root / "link.xlsx" in want
    # named twice (the folder and one of its files): each file once
    assert find_input_files([root, root / "b.xlsx"]) == got
    shutil.rmtree(root)
    with pytest.raises(GiprError):
        find_input_files([root])
