"""Stored results (issue 14): what collect read is reused by ``gipr merge --workspace``.

Every test works on real files (the example county's workbooks, or workbooks written here
by gipr's template writer and by openpyxl) collected into a real workspace; what a merge
did is read from its own ``--json`` output: ``from_ledger`` (inputs taken from the stored
results) and ``reread`` (inputs read and checked from the archive in this merge).
"""

from __future__ import annotations

import json
import random
import shutil
import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from kit.county import SPEC, YEAR, cli, make_unit_file, rollup_table_values, write_roster
from kit.helpers import consistent_values, random_values
from kit.paths import EXAMPLES

from gipr.collect import results as stored


def merge_json(capsys, *args) -> dict:
    capsys.readouterr()
    assert cli("merge", *args, "--json", "--force") == 0
    return json.loads(capsys.readouterr().out)


def results_rows(ws: Path) -> list[tuple]:
    with sqlite3.connect(ws / "ledger.sqlite") as conn:
        return conn.execute("SELECT sha256, format_digest, code_version, context_digest, payload, digest "
                            "FROM results ORDER BY sha256").fetchall()


@pytest.fixture
def example_ws(tmp_path, example_workspace):
    """The example county's 30 returned workbooks collected into a workspace (a copy of its own)."""
    return example_workspace(tmp_path / "ws")


def test_collect_then_merge_reads_no_workbook_and_equals_a_recheck(example_ws, tmp_path, capsys):
    n = len([p for p in (EXAMPLES / "returned").iterdir() if p.is_file()])
    assert len(results_rows(example_ws)) == n  # collect stored one result per file
    a = merge_json(capsys, "-w", example_ws, "--out", tmp_path / "a.xlsx")
    assert (a["from_ledger"], a["reread"]) == (n, 0)  # nothing changed: no workbook read
    b = merge_json(capsys, "-w", example_ws, "--out", tmp_path / "b.xlsx", "--recheck")
    assert (b["from_ledger"], b["reread"]) == (0, n)
    for key in ("values", "included", "excluded", "unreadable", "missing"):
        assert a[key] == b[key], key
    assert rollup_table_values(tmp_path / "a.xlsx") == rollup_table_values(tmp_path / "b.xlsx")
    # and the same as merging the files themselves from the folder
    c = merge_json(capsys, EXAMPLES / "returned", "--roster", EXAMPLES / "roster.csv", "--year", YEAR,
                   "--out", tmp_path / "c.xlsx")
    assert c["values"] == a["values"] and (c["from_ledger"], c["reread"]) == (0, n)
    # with the errors included too (the stored findings decide who is marked)
    d = merge_json(capsys, "-w", example_ws, "--out", tmp_path / "d.xlsx", "--include-errors")
    e = merge_json(capsys, "-w", example_ws, "--out", tmp_path / "e.xlsx", "--include-errors", "--recheck")
    assert d["values"] == e["values"] and d["included"] == e["included"] and d["from_ledger"] == n
    # the text output says it
    capsys.readouterr()
    assert cli("merge", "-w", example_ws, "--out", tmp_path / "f.xlsx") == 0
    assert f"沿用收集时保存的读取和校验结果 {n} 个，重新读取存档文件 0 个" in capsys.readouterr().out


def test_a_changed_format_file_makes_the_merge_read_again(example_ws, tmp_path, capsys, monkeypatch, request):
    import gipr.spec

    request.addfinalizer(gipr.spec.load_format.cache_clear)  # after monkeypatch's undo: the real file again

    n = len(results_rows(example_ws))
    before = merge_json(capsys, "-w", example_ws, "--out", tmp_path / "a.xlsx")
    # the same format, one byte more in its file: another digest
    fmt = tmp_path / "formats"
    shutil.copytree(gipr.spec.formats_dir(), fmt)
    (fmt / "2021.json").write_bytes((fmt / "2021.json").read_bytes() + b"\n")
    monkeypatch.setattr(gipr.spec, "formats_dir", lambda: fmt)
    gipr.spec.load_format.cache_clear()
    assert gipr.spec.load_format("2021").file_digest != SPEC.file_digest
    after = merge_json(capsys, "-w", example_ws, "--out", tmp_path / "b.xlsx")
    assert (after["from_ledger"], after["reread"]) == (0, n)
    assert after["values"] == before["values"]
    # the fresh results were stored under the new digest: the next merge reads nothing
    again = merge_json(capsys, "-w", example_ws, "--out", tmp_path / "c.xlsx")
    assert (again["from_ledger"], again["reread"]) == (n, 0)
    assert {r[1] for r in results_rows(example_ws)} == {gipr.spec.load_format("2021").file_digest}


def test_a_new_code_version_makes_the_merge_read_again(example_ws, tmp_path, capsys, monkeypatch):
    n = len(results_rows(example_ws))
    monkeypatch.setattr(stored, "CODE_VERSION", stored.CODE_VERSION + ".next")
    after = merge_json(capsys, "-w", example_ws, "--out", tmp_path / "b.xlsx")
    assert (after["from_ledger"], after["reread"]) == (0, n)
    assert {r[2] for r in results_rows(example_ws)} == {stored.CODE_VERSION}


def test_a_changed_roster_makes_the_merge_read_again(example_ws, tmp_path, capsys):
    n = len(results_rows(example_ws))
    roster = (example_ws / "roster.csv").read_text(encoding="utf-8")
    (example_ws / "roster.csv").write_text(roster.replace("县交通运输局", "县交通运输管理局"), encoding="utf-8")
    after = merge_json(capsys, "-w", example_ws, "--out", tmp_path / "b.xlsx")
    assert (after["from_ledger"], after["reread"]) == (0, n)


def test_a_tampered_stored_row_is_read_again(example_ws, tmp_path, capsys):
    n = len(results_rows(example_ws))
    honest = merge_json(capsys, "-w", example_ws, "--out", tmp_path / "a.xlsx")
    rows = results_rows(example_ws)
    # 1. a number changed in one payload (the row digest no longer matches)
    sha, payload = rows[0][0], json.loads(rows[0][4])
    assert payload["ok"]
    i = next(k for k, x in enumerate(payload["numbers"]) if x is not None)
    payload["numbers"][i] = (payload["numbers"][i] if isinstance(payload["numbers"][i], int) else 0) + 1000
    # 2. a row whose digest was recomputed but whose payload has the wrong shape
    sha2, bad = rows[1][0], json.loads(rows[1][4])
    bad["numbers"] = bad["numbers"][:-1]
    bad_text = json.dumps(bad, ensure_ascii=False)
    # 3. a row whose payload is no JSON at all
    sha3 = rows[2][0]
    with sqlite3.connect(example_ws / "ledger.sqlite") as conn:
        conn.execute("UPDATE results SET payload=? WHERE sha256=?", (json.dumps(payload, ensure_ascii=False), sha))
        conn.execute("UPDATE results SET payload=?, digest=? WHERE sha256=?",
                     (bad_text, stored.row_digest(sha2, rows[1][1], rows[1][2], rows[1][3], bad_text), sha2))
        conn.execute("UPDATE results SET payload='{not json' WHERE sha256=?", (sha3,))
    after = merge_json(capsys, "-w", example_ws, "--out", tmp_path / "b.xlsx")
    assert (after["from_ledger"], after["reread"]) == (n - 3, 3)
    assert after["values"] == honest["values"]  # the tampered number was not used
    # the re-read results replaced the damaged rows
    again = merge_json(capsys, "-w", example_ws, "--out", tmp_path / "c.xlsx")
    assert (again["from_ledger"], again["reread"]) == (n, 0)


def test_a_version_1_ledger_migrates_in_place(example_ws, tmp_path, capsys):
    """A ledger written by the previous release: schema version 1, no results table."""
    db = example_ws / "ledger.sqlite"
    with sqlite3.connect(db) as conn:
        conn.execute("DROP TABLE results")
        conn.execute("UPDATE meta SET value='1' WHERE key='schema_version'")
        subs = conn.execute("SELECT * FROM submissions ORDER BY id").fetchall()
    n = len(subs)
    first = merge_json(capsys, "-w", example_ws, "--out", tmp_path / "a.xlsx")
    assert (first["from_ledger"], first["reread"]) == (0, n)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0] == "2"
        assert conn.execute("SELECT * FROM submissions ORDER BY id").fetchall() == subs  # every row kept
    second = merge_json(capsys, "-w", example_ws, "--out", tmp_path / "b.xlsx")
    assert (second["from_ledger"], second["reread"]) == (n, 0)
    assert second["values"] == first["values"]
    capsys.readouterr()
    assert cli("status", "-w", example_ws, "--verify", "--json") == 0
    assert json.loads(capsys.readouterr().out)["integrity"] == []


def test_a_missing_archive_file_is_not_taken_from_the_ledger(example_ws, tmp_path, capsys):
    sha = results_rows(example_ws)[0][0]
    (example_ws / "archive" / sha[:2] / f"{sha}.bin").unlink()
    got = merge_json(capsys, "-w", example_ws, "--out", tmp_path / "a.xlsx")
    assert len(got["unreadable"]) == 1 and "存档文件不存在" in got["unreadable"][0]["reason"]


# no shrinking phase: each example writes, collects and merges real workbooks (seconds each);
# a failure prints its seed and kinds, enough to reproduce it
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture],
          phases=(Phase.explicit, Phase.reuse, Phase.generate))
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 4), kinds=st.lists(st.sampled_from(["ok", "rand", "openpyxl"]),
                                                                          min_size=4, max_size=4))
def test_merge_from_stored_results_equals_merge_from_files(tmp_path_factory, capsys, seed, n, kinds):
    """Random workspaces: a few units with random values (consistent, or breaking rule A,
    typed with openpyxl without cached totals); merging the stored results equals merging
    the files, with and without the units that have errors."""
    d = tmp_path_factory.mktemp("prop")
    rng = random.Random(seed)
    rows = [(f"P{i:02d}", f"第{i}局", "县直部门") for i in range(n + 1)]  # one never reports
    roster = write_roster(d / "roster.csv", rows)
    files = d / "in"
    for i, (row, kind) in enumerate(zip(rows[:n], kinds)):
        kind = "ok" if i == 0 else kind  # one unit without errors: there is always something to merge
        vals = consistent_values(SPEC, rng, high=50) if kind != "rand" else random_values(SPEC, rng, high=50)
        if i and rng.random() < 0.3:  # a blank cell or a text answer now and then
            vals[rng.choice(list(vals))] = rng.choice([None, "无"] if kind == "openpyxl" else [None])
        make_unit_file(files, row, vals, via_openpyxl=kind == "openpyxl")
    ws = d / "ws"
    assert cli("init", ws, "--year", YEAR, "--roster", roster) == 0
    assert cli("collect", files, "-w", ws, "-q") in (0, 1)
    for extra in ([], ["--include-errors"]):
        a = merge_json(capsys, "-w", ws, "--out", d / "a.xlsx", *extra)
        assert (a["from_ledger"], a["reread"]) == (n, 0)
        b = merge_json(capsys, files, "--roster", roster, "--year", YEAR, "--out", d / "b.xlsx", *extra)
        c = merge_json(capsys, "-w", ws, "--out", d / "c.xlsx", "--recheck", *extra)
        for key in ("values", "included", "excluded", "unreadable", "missing"):
            assert a[key] == c[key], key
        assert a["values"] == b["values"]
        assert [e["code"] for e in a["included"]] == [e["code"] for e in b["included"]]
        assert rollup_table_values(d / "a.xlsx") == rollup_table_values(d / "b.xlsx")


def test_status_uses_the_stored_results_and_reads_again_when_the_key_changes(example_ws, capsys, monkeypatch):
    n = len(results_rows(example_ws))
    capsys.readouterr()
    assert cli("status", "-w", example_ws, "--json") == 0
    a = json.loads(capsys.readouterr().out)
    assert (a["from_ledger"], a["reread"]) == (n, 0)
    assert a["totals"]["errors"] == 2 and a["totals"]["missing"] == 1  # what collect found
    monkeypatch.setattr(stored, "CODE_VERSION", stored.CODE_VERSION + ".next")
    assert cli("status", "-w", example_ws, "--json") == 0
    b = json.loads(capsys.readouterr().out)
    assert (b["from_ledger"], b["reread"]) == (0, n)
    assert b["units"] == a["units"] and b["totals"] == a["totals"]
    # the detailed view shows the current findings of the unit
    assert cli("status", "-w", example_ws, "--unit", "012") == 0
    assert "不相等" in capsys.readouterr().out


def test_unreadable_files_and_county_rollups_come_back_the_same(tmp_path, capsys):
    """A city's workspace collects two county roll-ups and a broken file: the stored results
    (a roll-up with the units it covers; an unreadable file's reason) merge exactly as a
    re-read does."""
    files = sorted(p for p in (EXAMPLES / "returned").iterdir() if p.suffix == ".xlsx")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for i, county in enumerate(("甲县", "乙县")):
        src = tmp_path / county
        src.mkdir()
        for p in files[i::2]:
            shutil.copy(p, src / p.name)
        assert cli("merge", src, "--year", YEAR, "--county", county, "--include-errors",
                   "--out", inbox / f"{county}汇总.xlsx") == 0
    (inbox / "丙县汇总.xlsx").write_bytes((inbox / "甲县汇总.xlsx").read_bytes()[:3000])  # cut short
    roster = write_roster(tmp_path / "市名册.csv", [("C1", "甲县", "县"), ("C2", "乙县", "县"), ("C3", "丙县", "县")])
    ws = tmp_path / "ws"
    assert cli("init", ws, "--year", YEAR, "--roster", roster, "--county", "某市") == 0
    assert cli("collect", inbox, "-w", ws, "-q") in (0, 1, 2)
    capsys.readouterr()
    assert cli("status", "-w", ws, "--json") == 0
    broken = json.loads(capsys.readouterr().out)["unattached"]
    assert [u["status"] for u in broken] == ["unreadable"]
    assert cli("status", "-w", ws, "--use", "C3", broken[0]["submission"]) == 0  # the clerk: it is 丙县's
    from kit.county import sheet_rows

    for extra in ([], ["--include-errors"]):
        a = merge_json(capsys, "-w", ws, "--out", tmp_path / "a.xlsx", *extra)
        b = merge_json(capsys, "-w", ws, "--out", tmp_path / "b.xlsx", "--recheck", *extra)
        assert a["from_ledger"] == b["reread"] and a["reread"] == 0 and a["from_ledger"] >= 2
        for key in ("values", "included", "excluded", "unreadable", "missing"):
            assert a[key] == b[key], key
        assert len(a["included"]) + len(a["excluded"]) == 2 and [u["code"] for u in a["unreadable"]] == ["C3"]
        for sheet in ("各单位明细", "报送情况", "校验结果"):
            assert sheet_rows(tmp_path / "a.xlsx", sheet) == sheet_rows(tmp_path / "b.xlsx", sheet), sheet
    assert len(a["included"]) == 2  # with --include-errors: both roll-ups, with the units they cover


def test_a_file_of_another_format_is_read_again_each_time(tmp_path, capsys):
    """A unit returns last format's template (2019) into a 2021 workspace: it is read with its
    own format, and its result — whose format file is not part of the key — is not stored."""
    from gipr.spec import load_format

    spec19 = load_format("2019")
    rows = [("A01", "县一局", "县直部门"), ("A02", "县二局", "县直部门")]
    roster = write_roster(tmp_path / "roster.csv", rows)
    inbox = tmp_path / "inbox"
    rng = random.Random(5)
    make_unit_file(inbox, rows[0], consistent_values(SPEC, rng))
    make_unit_file(inbox, rows[1], consistent_values(spec19, rng), year=2020, spec=spec19)
    ws = tmp_path / "ws"
    assert cli("init", ws, "--year", YEAR, "--roster", roster) == 0
    assert cli("collect", inbox, "-w", ws, "-q") in (0, 1, 2)
    assert len(results_rows(ws)) == 1
    for _ in range(2):
        a = merge_json(capsys, "-w", ws, "--out", tmp_path / "a.xlsx", "--include-errors")
        assert (a["from_ledger"], a["reread"]) == (1, 1)
    b = merge_json(capsys, "-w", ws, "--out", tmp_path / "b.xlsx", "--include-errors", "--recheck")
    c = merge_json(capsys, inbox, "--roster", roster, "--year", YEAR, "--out", tmp_path / "c.xlsx", "--include-errors")
    for key in ("values", "included", "excluded", "unreadable", "missing"):
        assert a[key] == b[key], key
    assert a["values"] == c["values"]
    assert [e["code"] for e in a["included"] + a["excluded"]] == [e["code"] for e in c["included"] + c["excluded"]]
