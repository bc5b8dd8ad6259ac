"""What a roll-up is called: --county, else the workspace's county, else the region in the
roster's file name (灵丘县单位名册.csv → 灵丘县); and two roll-ups that share a name (made without
--county, both 汇总) stop the merge with a message that tells them apart (each file with the
units it covers) and says how to name them.  Real workbooks from examples/returned."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from kit.paths import EXAMPLES

from gipr.collect.workspace import Workspace
from gipr.errors import GiprError
from gipr.merge import merge
from gipr.read import read_report
from gipr.roster import region_from_roster

FILES = sorted((EXAMPLES / "returned").iterdir())


@pytest.mark.parametrize("name, region", [
    ("灵丘县单位名册.csv", "灵丘县"), ("2025年度灵丘县政府信息公开年报单位名单.xlsx", "灵丘县"),
    ("名册（城关区）.csv", "城关区"), ("示例县_units_2025.csv", "示例县"), ("roster.csv", ""), ("名册.xlsx", ""),
    ("units-2025.csv", ""),
])
def test_region_from_the_roster_file_name(name, region):
    assert region_from_roster(Path("/somewhere") / name) == region


def _folder(tmp: Path, name: str, files: list[Path]) -> Path:
    d = tmp / name
    d.mkdir()
    for p in files:
        shutil.copy(p, d / p.name)
    return d


def _named(path: Path) -> str:
    rep = read_report(path)
    assert rep.kind == "rollup"
    return rep.identity.get("county", "")


def test_the_name_comes_from_county_else_the_roster(tmp_path):
    src = _folder(tmp_path, "in", FILES[:6])
    roster = tmp_path / "灵丘县单位名册.csv"
    shutil.copy(EXAMPLES / "roster.csv", roster)
    r = merge(out=tmp_path / "a.xlsx", paths=[src], roster=roster, year=2025, jobs=1)
    assert r.county == "灵丘县" and _named(tmp_path / "a.xlsx") == "灵丘县"
    assert any("单位名册的文件名" in n and "灵丘县" in n for n in r.notes)
    r = merge(out=tmp_path / "b.xlsx", paths=[src], roster=roster, year=2025, county="浑源县", jobs=1)
    assert r.county == "浑源县" and _named(tmp_path / "b.xlsx") == "浑源县"
    r = merge(out=tmp_path / "c.xlsx", paths=[src], roster=EXAMPLES / "roster.csv", year=2025, jobs=1)
    assert r.county == "" and not any("单位名册的文件名" in n for n in r.notes)  # roster.csv names no region


def test_a_workspace_takes_its_county_from_the_roster_unless_given(tmp_path):
    roster = tmp_path / "示例县单位名册.csv"
    shutil.copy(EXAMPLES / "roster.csv", roster)
    ws = Workspace.create(tmp_path / "w1", 2025, roster)
    assert ws.county == "示例县"
    ws.close()
    ws = Workspace.create(tmp_path / "w2", 2025, roster, county="灵丘县")
    assert ws.county == "灵丘县"
    ws.close()
    ws = Workspace.create(tmp_path / "w3", 2025, EXAMPLES / "roster.csv")
    assert ws.county == ""
    ws.close()


def test_two_rollups_with_the_same_name_are_told_apart(tmp_path):
    east = _folder(tmp_path, "east", FILES[:5])
    west = _folder(tmp_path, "west", FILES[5:10])
    up = tmp_path / "up"
    up.mkdir()
    a = merge(out=up / "甲.xlsx", paths=[east], year=2025, jobs=1)
    b = merge(out=up / "乙.xlsx", paths=[west], year=2025, jobs=1)
    with pytest.raises(GiprError) as ei:
        merge(out=tmp_path / "city.xlsx", paths=[up], year=2025, jobs=1)
    msg = str(ei.value)
    assert ei.value.code == "merge.rollup_name"
    assert "“汇总”" in msg and "--county" in msg
    for f, r in (("甲.xlsx", a), ("乙.xlsx", b)):
        line = next(ln for ln in msg.splitlines() if f in ln)
        assert f"{len(r.included)} 个单位" in line
        assert r.included[0].name in line  # which units it covers
    assert not (tmp_path / "city.xlsx").exists()
    # named as the message says, they merge, and nothing is counted twice
    merge(out=up / "甲.xlsx", paths=[east], year=2025, county="东区", jobs=1, force=True)
    merge(out=up / "乙.xlsx", paths=[west], year=2025, county="西区", jobs=1, force=True)
    city = merge(out=tmp_path / "city.xlsx", paths=[up], year=2025, county="某市", jobs=1)
    direct = merge(out=tmp_path / "direct.xlsx", paths=[east, west], year=2025, jobs=1)
    assert sorted(e.name for e in city.included) == ["东区", "西区"]
    assert city.values == direct.values
