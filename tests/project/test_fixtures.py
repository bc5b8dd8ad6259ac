"""The shared session fixtures hand out copies that are workspaces of their own: a test that writes
to its copy changes nothing another test sees, and nothing in a copy points back at the workspace
it was copied from (tests/conftest.py, tests/merge/conftest.py)."""

from __future__ import annotations

import sqlite3

from kit.county import copy_county
from kit.helpers import run_cli


def _dump(ws) -> str:
    with sqlite3.connect(ws / "ledger.sqlite") as db:
        return "\n".join(db.iterdump())


def test_an_example_workspace_copy_is_a_workspace_of_its_own(tmp_path_factory, tmp_path, example_workspace):
    a = example_workspace(tmp_path / "a")
    b = example_workspace(tmp_path / "b")
    base = str(tmp_path_factory.getbasetemp())
    for f in [p for p in a.rglob("*") if p.suffix in (".toml", ".csv", ".json")]:
        assert base not in f.read_text(encoding="utf-8", errors="replace"), f
    assert base not in _dump(a)  # the ledger names no folder of the built workspace
    with sqlite3.connect(b / "ledger.sqlite") as db:
        n = db.execute("SELECT count(*) FROM submissions").fetchone()[0]
    assert n == 30
    with sqlite3.connect(a / "ledger.sqlite") as db:
        db.execute("DELETE FROM submissions")
    assert run_cli("status", "-w", b, "--json") in (0, 1)  # b is a workspace that works, unchanged by a
    with sqlite3.connect(b / "ledger.sqlite") as db:
        assert db.execute("SELECT count(*) FROM submissions").fetchone()[0] == n
    fresh = example_workspace(tmp_path / "c")  # and the built workspace did not change either
    assert _dump(fresh) == _dump(b) != _dump(a)


def test_a_county_copy_shares_no_file_and_no_value(tmp_path):
    """kit.county.copy_county, what tests/merge/conftest.py gives each module: every path in the
    copy is under the copy's folder, and changing the copy's values or files leaves the built one."""
    built = tmp_path / "built"
    (built / "returned").mkdir(parents=True)
    (built / "roster.csv").write_text("单位代码,单位名称\n001,县政府办公室\n", encoding="utf-8")
    (built / "returned" / "001.xlsx").write_bytes(b"book")
    county = {"dir": built, "roster": built / "roster.csv", "values": {"001": {"t3.new.person": 1}},
              "files": {"001": built / "returned" / "001.xlsx"}, "returned": built / "returned"}
    c = copy_county(county, tmp_path / "copy")
    paths = [c["dir"], c["roster"], c["returned"], *c["files"].values()]
    assert all(p.is_relative_to(tmp_path / "copy") and p.exists() for p in paths), paths
    c["values"]["001"]["t3.new.person"] += 5
    c["files"]["001"].write_bytes(b"edited")
    assert county["values"]["001"]["t3.new.person"] == 1
    assert (built / "returned" / "001.xlsx").read_bytes() == b"book"
