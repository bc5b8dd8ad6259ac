"""Kill test: `gipr collect` in a subprocess, SIGKILLed at random moments, then the ledger
must be consistent (SQLite integrity, every archived file matches its hash, no row without
its archive file) and a re-run must converge to the ledger of an uninterrupted run.  Also:
two collects started at once on one workspace."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest
from kit.helpers import consistent_values, fill_workbook, random_values
from kit.mailmaker import make_message, write_mbox

from gipr.collect.ledger import sha256_file
from gipr.roster import load_roster
from gipr.spec import load_format
from gipr.template import write_template

ROSTER = "单位代码,单位名称,类别,联系人,邮箱\n" + "".join(
    f"U{i:02d},单位{i:02d}局,部门,联系人,u{i:02d}@example.cn\n" for i in range(1, 13))

pytestmark = pytest.mark.skipif(os.name != "posix", reason="SIGKILL is POSIX")


def variant(xlsx: bytes, i: int) -> bytes:
    """The same workbook with a different zip comment: distinct bytes, still a valid file."""
    eocd = xlsx.rfind(b"PK\x05\x06")
    comment = f"copy {i}".encode()
    return xlsx[: eocd + 20] + struct.pack("<H", len(comment)) + comment


@pytest.fixture(scope="module")
def sources(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("kill")
    (d / "roster.csv").write_text(ROSTER, encoding="utf-8")
    roster = load_roster(d / "roster.csv")
    spec = load_format("2021")
    import random as _r

    rng = _r.Random(3)
    filled = []
    for k, u in enumerate(roster[:4]):
        t = write_template(d / f"t{k}.xlsx", spec, year=2025, unit=u)
        vals = consistent_values(spec, rng) if k % 2 == 0 else random_values(spec, rng)
        filled.append(fill_workbook(t, d / f"f{k}.xlsx", vals, {"filler": "某", "phone": "1"}).read_bytes())
    blank = write_template(d / "blank.xlsx", spec, year=2025, unit=None)
    blank_filled = fill_workbook(blank, d / "bf.xlsx", consistent_values(spec, rng), {"filler": "某"}).read_bytes()
    src = d / "src"
    (src / "folder").mkdir(parents=True)
    for i in range(24):  # files on disk
        (src / "folder" / f"报表{i:02d}.xlsx").write_bytes(variant(filled[i % 4], i))
    msgs = []
    for i in range(16):  # messages: identified by identity, by sender, unidentified, broken
        atts = [(f"附件{i}.xlsx", variant(filled[i % 4], 100 + i), "rfc2047-gb2312")]
        if i % 4 == 1:
            atts.append((f"空白{i}.xlsx", variant(blank_filled, 200 + i), "raw-gbk"))
        if i % 5 == 2:
            atts.append(("坏文件.xlsx", b"PK\x03\x04 broken" + bytes([i]), "rfc2231"))
        sender = f"u{(i % 12) + 1:02d}@example.cn" if i % 3 else "stranger@qq.com"
        msgs.append(make_message(atts, sender=sender, date=f"Tue, {i + 1:02d} Jan 2026 09:00:00 +0800",
                                 message_id=f"<k{i}@example.cn>"))
    for i, m in enumerate(msgs[:8]):
        (src / "folder" / f"邮件{i}.eml").write_bytes(m)
    write_mbox(src / "导出.mbox", msgs[8:] + msgs[:2])  # two messages also in .eml: the same Message-ID
    return d


def gipr(*args: str, env_extra: dict | None = None) -> subprocess.Popen:
    env = dict(os.environ)
    env.update(env_extra or {})
    return subprocess.Popen([sys.executable, "-m", "gipr.cli", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env)


def init(root: Path, roster: Path) -> None:
    p = gipr("init", str(root), "--year", "2025", "--roster", str(roster))
    _out, err = p.communicate(timeout=120)
    assert p.returncode == 0, err.decode()


def rows(ws: Path) -> list[tuple]:
    con = sqlite3.connect(ws / "ledger.sqlite")
    try:
        cols = [r[1] for r in con.execute("PRAGMA table_info(submissions)") if r[1] != "collected_at"]
        return con.execute(f"SELECT {', '.join(cols)} FROM submissions ORDER BY id").fetchall()
    finally:
        con.close()


def count_rows(ws: Path) -> int:
    con = sqlite3.connect(ws / "ledger.sqlite", timeout=5)
    try:
        return con.execute("SELECT count(*) FROM submissions").fetchone()[0]
    except sqlite3.OperationalError:  # busy: try again on the next poll
        return -1
    finally:
        con.close()


def assert_consistent(ws: Path) -> None:
    con = sqlite3.connect(ws / "ledger.sqlite")
    try:
        assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert con.execute("PRAGMA foreign_key_check").fetchall() == []
        shas = {r[0] for r in con.execute("SELECT sha256 FROM submissions")}
    finally:
        con.close()
    for sha in shas:  # every recorded file is archived, intact
        p = ws / "archive" / sha[:2] / f"{sha}.bin"
        assert p.is_file() and sha256_file(p) == sha
    for p in (ws / "archive").rglob("*.bin"):  # every archived file matches its name
        assert sha256_file(p) == p.stem


def test_kill_at_random_moments_then_converge(sources, tmp_path):
    src = sources / "src"
    ref = tmp_path / "ref"
    init(ref, sources / "roster.csv")
    p = gipr("collect", str(src), "-w", str(ref))
    out, err = p.communicate(timeout=600)
    assert p.returncode in (0, 1, 2), err.decode()
    assert "收集完成" in out.decode()
    expected = rows(ref)
    assert len(expected) > 40
    assert_consistent(ref)

    victim = tmp_path / "victim"
    init(victim, sources / "roster.csv")
    rng = random.Random(int(os.environ.get("GIPR_KILL_SEED", "20250131")))
    kills, seen = 0, []
    for _ in range(6):
        done = len(rows(victim))
        if done == len(expected):
            break
        target = done + rng.randint(0, (len(expected) - done) // 3)  # each kill lets a random part through
        p = gipr("collect", str(src), "-w", str(victim))
        # wait until the run has recorded `target` rows, then kill it a random moment later:
        # mid-archive, mid-parse, mid-transaction or between files
        while p.poll() is None and count_rows(victim) < target:
            time.sleep(0.005)
        time.sleep(rng.uniform(0, 0.08))
        if p.poll() is None:
            p.send_signal(signal.SIGKILL)
            kills += 1
        p.communicate(timeout=120)
        assert_consistent(victim)
        got = rows(victim)
        assert got == expected[: len(got)]  # always a prefix of the uninterrupted run
        seen.append(len(got))
    assert kills >= 3, seen
    assert any(0 < n < len(expected) for n in seen), seen  # some kills landed mid-way
    print("rows after each kill:", seen, "of", len(expected))
    p = gipr("collect", str(src), "-w", str(victim))
    p.communicate(timeout=600)
    assert_consistent(victim)
    assert rows(victim) == expected
    # and once more: nothing changes
    p = gipr("collect", str(src), "-w", str(victim))
    out, _ = p.communicate(timeout=600)
    assert p.returncode == 0 and "新收 0 份" in out.decode().replace("\n", "")
    assert rows(victim) == expected


def test_two_collects_at_once(sources, tmp_path):
    ws = tmp_path / "ws"
    init(ws, sources / "roster.csv")
    src = str(sources / "src")
    a = gipr("collect", src, "-w", str(ws), env_extra={"GIPR_LOCK_WAIT": "0.2"})
    b = gipr("collect", src, "-w", str(ws), env_extra={"GIPR_LOCK_WAIT": "0.2"})
    ra, rb = a.communicate(timeout=600), b.communicate(timeout=600)
    codes = sorted([a.returncode, b.returncode])
    errs = (ra[1] + rb[1]).decode().replace("\n", "")
    if "另一个 gipr 进程正在使用" in errs:  # one waited briefly, then stopped cleanly
        assert 2 in codes
    assert_consistent(ws)
    p = gipr("collect", src, "-w", str(ws), env_extra={"GIPR_LOCK_WAIT": "30"})
    p.communicate(timeout=600)
    ref = rows(ws)
    assert len(ref) > 40
    assert_consistent(ws)


def test_ctrl_c_mid_run(sources, tmp_path):
    ws = tmp_path / "ws"
    init(ws, sources / "roster.csv")
    p = gipr("collect", str(sources / "src"), "-w", str(ws))
    while p.poll() is None and count_rows(ws) < 5:
        time.sleep(0.005)
    running = p.poll() is None
    p.send_signal(signal.SIGINT)
    _out, err = p.communicate(timeout=120)
    if running and len(rows(ws)) < 40:  # interrupted mid-way (not after its last file)
        assert p.returncode == 130, err.decode()
        assert "已中断" in err.decode() and "Traceback" not in err.decode()
    assert_consistent(ws)
    n = len(rows(ws))
    assert n >= 5
    p = gipr("collect", str(sources / "src"), "-w", str(ws))
    p.communicate(timeout=600)
    assert_consistent(ws)
    assert len(rows(ws)) > n or n > 40
