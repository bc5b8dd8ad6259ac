"""The ledger and the workspace without workbooks: archive, rows, current submission,
overrides, integrity, locking, init/open errors."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap

import pytest

from gipr.collect.ledger import Ledger, pin_submission, status_json, unit_statuses
from gipr.collect.workspace import Workspace
from gipr.errors import GiprError

ROSTER = """单位代码,单位名称,类别,联系人,邮箱
U01,教育科技局,部门,张三,jiao@example.cn
U02,县公安局,部门,李四,gongan@example.cn
U03,财政局,部门,王五,caizheng@example.cn;cz2@example.cn
"""


@pytest.fixture
def roster_csv(tmp_path):
    p = tmp_path / "名册.csv"
    p.write_text(ROSTER, encoding="utf-8")
    return p


@pytest.fixture
def ws(tmp_path, roster_csv):
    w = Workspace.create(tmp_path / "ws", 2025, roster_csv, county="灵丘县")
    yield w
    w.close()


def rec(led: Ledger, data: bytes, key: str, **kw):
    sha = led.store(data)
    r = {"sha256": sha, "size": len(data), "source_key": key, "unit_code": None, "status": "accepted",
         "check_status": "accepted", "identified_by": "identity", "received_at": "2025-01-10T00:00:00Z",
         "collected_at": "2025-01-20T00:00:00Z", "file_name": "a.xlsx", "source_kind": "file", "source": key}
    r.update(kw)
    return led.add(r)


def test_archive_is_content_addressed_idempotent_and_never_overwritten(ws):
    led = ws.ledger
    sha = led.store(b"hello")
    p = led.archive_path(sha)
    assert p == ws.archive_dir / sha[:2] / f"{sha}.bin" and p.read_bytes() == b"hello"
    assert not os.access(p, os.W_OK) or os.geteuid() == 0  # read-only (root may write anyway)
    ino = p.stat().st_ino
    assert led.store(b"hello") == sha and p.stat().st_ino == ino
    # a damaged archive file is set aside, never deleted, and a good copy written
    os.chmod(p, 0o644)
    p.write_bytes(b"hellx")
    assert led.store(b"hello") == sha and p.read_bytes() == b"hello"
    assert [q.name.split(".bin.")[1][:7] for q in p.parent.iterdir() if ".damaged-" in q.name] == ["damaged"]
    assert not [q for q in p.parent.iterdir() if q.name.startswith(".incoming")]


def test_add_is_idempotent_per_bytes_and_source(ws):
    led = ws.ledger
    s1, new1 = rec(led, b"A", "file:/x/a.xlsx", unit_code="U01")
    s2, new2 = rec(led, b"A", "file:/x/a.xlsx", unit_code="U01")
    assert new1 and not new2 and s1.id == s2.id and led.count() == 1
    with pytest.raises(ValueError):
        rec(led, b"B", "k", status="bogus")
    # a row can never be written for bytes that are not archived
    with pytest.raises(GiprError):
        led.add({"sha256": "0" * 64, "size": 1, "source_key": "k", "status": "accepted", "check_status": "accepted",
                 "identified_by": "none", "received_at": "x", "collected_at": "x", "file_name": "f",
                 "source_kind": "file", "source": "s"})
    with pytest.raises(sqlite3.IntegrityError):  # the schema itself refuses bad statuses
        led.conn.execute("INSERT INTO submissions(sha256,size,source_key,status,check_status,identified_by,"
                         "received_at,collected_at,file_name,source_kind,source) VALUES(?,?,?,?,?,?,?,?,?,?,?)",
                         ("1" * 64, 1, "k", "maybe", "accepted", "none", "x", "x", "f", "file", "s"))


def test_current_newest_wins_older_kept(ws):
    led = ws.ledger
    old, _ = rec(led, b"v1", "k1", unit_code="U01", received_at="2025-01-10T00:00:00Z")
    new, _ = rec(led, b"v2", "k2", unit_code="U01", received_at="2025-01-12T00:00:00Z", status="errors",
                 check_status="errors", errors=3)
    # collected later but received earlier: does not supersede
    late, _ = rec(led, b"v0", "k3", unit_code="U01", received_at="2025-01-05T00:00:00Z")
    assert led.current()["U01"].id == new.id
    assert [s.id for s in led.submissions("U01")] == [old.id, new.id, late.id]
    # v1's bytes seen again later (saved into a folder today): v1 does not come back
    rec(led, b"v1", "k4", unit_code="U01", received_at="2025-01-15T00:00:00Z", status="duplicate",
        duplicate_of=old.id)
    assert led.current()["U01"].id == new.id
    # v2's bytes first recorded from a late source, then seen with an earlier date: counts at the earliest
    v3, _ = rec(led, b"v3", "k6", unit_code="U01", received_at="2025-01-20T00:00:00Z")
    assert led.current()["U01"].id == v3.id
    rec(led, b"v3", "k7", unit_code="U01", received_at="2025-01-11T00:00:00Z", status="duplicate",
        duplicate_of=v3.id)
    assert led.current()["U01"].id == new.id
    # unidentified and duplicate rows are never current themselves
    rec(led, b"x", "k5", unit_code=None, status="unidentified", received_at="2025-02-01T00:00:00Z")
    assert set(led.current()) == {"U01"}


def test_same_time_readable_beats_unreadable(ws):
    led = ws.ledger
    good, _ = rec(led, b"xlsx", "m1", unit_code="U02", received_at="2025-01-10T00:00:00Z")
    rec(led, b"zip", "m1", unit_code="U02", received_at="2025-01-10T00:00:00Z", status="unreadable",
        check_status="unreadable", identified_by="sender")
    assert led.current()["U02"].id == good.id
    later, _ = rec(led, b"zip2", "m2", unit_code="U02", received_at="2025-01-11T00:00:00Z", status="unreadable",
                   check_status="unreadable", identified_by="sender")
    assert led.current()["U02"].id == later.id  # the latest file is broken: the clerk must see it


def test_override_pin_unidentified_and_clear(ws):
    led, roster = ws.ledger, ws.roster
    a, _ = rec(led, b"a", "k1", unit_code="U01", received_at="2025-01-10T00:00:00Z")
    b, _ = rec(led, b"b", "k2", unit_code="U01", received_at="2025-01-12T00:00:00Z")
    u, _ = rec(led, b"u", "k3", unit_code=None, status="unidentified", check_status="errors", errors=2,
               received_at="2025-01-13T00:00:00Z", identified_by="none")
    o = pin_submission(led, roster, "U01", a.id, "clerk@host", "对方来电确认")
    assert o.submission_id == a.id and o.set_by == "clerk@host"
    cur = led.current()["U01"]
    assert cur.id == a.id and cur.pinned
    # a correction from an unknown address: pin it to 公安局, counted with the status checking found
    pin_submission(led, roster, "U02", u.id, "clerk@host")
    cur = led.current()["U02"]
    assert cur.id == u.id and cur.unit_code == "U02" and cur.status == "errors" and cur.identified_by == "override"
    js = status_json(led, roster)
    assert js["units"][1]["status"] == "errors" and js["units"][1]["pinned"]
    assert js["unattached"] == []
    with pytest.raises(GiprError, match="已识别为"):
        pin_submission(led, roster, "U03", b.id, "clerk")
    with pytest.raises(GiprError, match="已人工指定"):
        pin_submission(led, roster, "U03", u.id, "clerk")
    with pytest.raises(GiprError, match="没有报送"):
        pin_submission(led, roster, "U01", 999, "clerk")
    with pytest.raises(GiprError, match="没有代码"):
        pin_submission(led, roster, "U99", a.id, "clerk")
    pin_submission(led, roster, "U01", None, "clerk")
    assert led.current()["U01"].id == b.id and not led.current()["U01"].pinned
    hist = led.override_history("U01")
    assert [h.submission_id for h in hist] == [a.id, None]  # the history is kept


def test_status_lines(ws):
    led = ws.ledger
    rec(led, b"a", "k1", unit_code="U01")
    rec(led, b"b", "k2", unit_code="U03", status="unreadable", check_status="unreadable", errors=1)
    rec(led, b"c", "k3", unit_code=None, status="unidentified")
    lines = unit_statuses(led, ws.roster)
    assert [(l.code, l.status) for l in lines] == [("U01", "accepted"), ("U02", "missing"), ("U03", "unreadable")]
    js = status_json(led, ws.roster, year=2025)
    assert js["missing"] == ["U02"] and js["unreadable"] == ["U03"]
    assert [x["submission"] for x in js["unattached"]] == [3]
    assert js["totals"] == {"accepted": 1, "errors": 0, "unreadable": 1, "missing": 1, "units": 3,
                            "submissions": 3, "unattached": 1}


def test_integrity_check_finds_tampering(ws):
    led = ws.ledger
    s, _ = rec(led, b"payload", "k1", unit_code="U01")
    assert led.integrity_problems() == []
    p = s.archive_path
    os.chmod(p, 0o644)
    p.write_bytes(b"tampered")
    assert any("哈希不符" in x for x in led.integrity_problems())
    p.unlink()
    assert any("存档缺失" in x for x in led.integrity_problems())


def test_workspace_create_open_errors(tmp_path, roster_csv):
    with pytest.raises(GiprError, match="不是 gipr 工作目录"):
        Workspace.open(tmp_path)
    with pytest.raises(GiprError, match="不存在"):
        Workspace.open(tmp_path / "nope")
    w = Workspace.create(tmp_path / "w", 2025, roster_csv)
    assert w.format == "2021" and w.year == 2025 and len(w.roster) == 3
    assert (w.root / "roster.csv").read_bytes() == roster_csv.read_bytes()
    cfg = (w.root / "gipr.toml").read_text(encoding="utf-8")
    assert "year = 2025" in cfg and "报告年度" in cfg
    w.close()
    with pytest.raises(GiprError, match="已经是 gipr 工作目录"):
        Workspace.create(tmp_path / "w", 2025, roster_csv)
    w2 = Workspace.create(tmp_path / "w19", 2020, roster_csv, county="某县")
    assert w2.format == "2019" and w2.county == "某县"
    w2.close()
    bad = tmp_path / "bad.csv"
    bad.write_text("单位代码,单位名称\nU1,甲\n", encoding="utf-8")
    with pytest.raises(GiprError, match="缺少列"):
        Workspace.create(tmp_path / "w3", 2025, bad)
    assert not (tmp_path / "w3").exists()  # nothing made for a bad roster
    (tmp_path / "w4").mkdir()
    (tmp_path / "w4" / "roster.csv").write_text("something else", encoding="utf-8")
    with pytest.raises(GiprError, match="内容不同"):
        Workspace.create(tmp_path / "w4", 2025, roster_csv)
    assert (tmp_path / "w4" / "roster.csv").read_text(encoding="utf-8") == "something else"


def test_second_process_waits_then_stops(ws):
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys, time
            from gipr.collect.workspace import Workspace
            w = Workspace.open({str(ws.root)!r})
            with w.lock():
                print("held", flush=True)
                sys.stdin.readline()
        """)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(GiprError, match="另一个 gipr 进程正在使用") as e, ws.lock(wait=0.3):
            pass
        assert e.value.code == "workspace.locked"
    finally:
        holder.stdin.write("\n")
        holder.stdin.flush()
        holder.wait(timeout=30)
    with ws.lock(wait=0.3):  # released when the holder ends
        pass
    # a killed holder never leaves the lock held
    holder = subprocess.Popen(
        [sys.executable, "-c", f"from gipr.collect.workspace import Workspace\nw=Workspace.open({str(ws.root)!r})\n"
                               "import time\nwith w.lock():\n print('held', flush=True)\n time.sleep(600)\n"],
        stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    holder.kill()
    holder.wait()
    with ws.lock(wait=2):
        pass


def test_ledger_file_not_sqlite(tmp_path, roster_csv):
    w = Workspace.create(tmp_path / "w", 2025, roster_csv)
    w.close()
    for suffix in ("", "-wal", "-shm"):
        q = w.ledger_path.with_name(w.ledger_path.name + suffix)
        if q.exists():
            q.unlink()
    w.ledger_path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(GiprError) as e:
        _ = Workspace.open(w.root).ledger
    assert e.value.code == "ledger.corrupt"
