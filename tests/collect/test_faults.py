"""Fault injection: `gipr collect` and `gipr merge` killed with SIGKILL at random moments
(seeded: GIPR_FAULT_SEED), a full disk while writing, and two collects at once.

After every kill: SQLite's integrity_check passes, every archived file matches its hash,
every recorded row is one the uninterrupted run records too, the previous roll-up (and
last year's roll-up it reads) is byte-identical or replaced by a complete one, and no
stray file appears next to the output.  A final re-run converges to the ledger (same
sha256/source/status/unit rows, same current submission per unit) and the roll-up (same
cell values) of an uninterrupted run.

Each kill moment is chosen by observed progress, not by wall time, so the test measures the
same thing whatever the machine's load: the test watches what the command leaves on disk
(read-only: the files in the workspace's archive/, the hidden temporary file and the two outputs
in the roll-up's folder), waits until a random progress mark is reached, then a random fraction
of the time between marks as observed in this run, and kills.  So kills land in start-up,
archiving, reading, checking, the SQLite transaction, writing the workbook and renaming it.
"""

from __future__ import annotations

import hashlib
import os
import random
import re
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from kit.corpus import ROSTER_CSV, Kit, with_comment
from kit.mailmaker import make_message, write_mbox

pytestmark = pytest.mark.skipif(os.name != "posix", reason="SIGKILL and RLIMIT_FSIZE are POSIX")

SEED = int(os.environ.get("GIPR_FAULT_SEED", "20250207"))
COLLECT_KILLS = 30
MERGE_KILLS = 25
UNITS = ("U001", "U002", "U005", "U006", "U007", "U008")


def gipr(*args: str, preexec=None, env_extra: dict | None = None) -> subprocess.Popen:
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    env.update(env_extra or {})
    return subprocess.Popen([sys.executable, "-m", "gipr.cli", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env, preexec_fn=preexec)


def run(*args: str, **kw) -> tuple[int, str, str]:
    p = gipr(*args, **kw)
    out, err = p.communicate(timeout=600)
    assert b"Traceback" not in err and b"Traceback" not in out, err.decode()
    return p.returncode, out.decode(), err.decode()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(scope="module")
def sources(tmp_path_factory) -> dict:
    """A small collection: every unit's return on disk (two units sent a correction
    later), a return with errors, a broken file, a blank template, and e-mails (an .eml and
    an mbox) with attachments identified by the template or by the sender."""
    d = tmp_path_factory.mktemp("faults")
    k = Kit()
    (d / "roster.csv").write_text(ROSTER_CSV, encoding="utf-8")
    src = d / "src"
    (src / "文件夹").mkdir(parents=True)
    day = 86400
    t0 = 1767225600  # 2026-01-01
    for i, code in enumerate(UNITS):
        p = src / "文件夹" / f"{code}.xlsx"
        p.write_bytes(k.workbook(code, 40 + i))
        os.utime(p, (t0 + i * day, t0 + i * day))
    for i, code in enumerate(("U001", "U005")):  # corrections, received later
        p = src / "文件夹" / f"{code}_更正.xlsx"
        p.write_bytes(k.workbook(code, 50 + i))
        os.utime(p, (t0 + 20 * day, t0 + 20 * day))
    for i in range(40):  # older copies (other bytes, received earlier): submissions that never become current
        code = UNITS[i % len(UNITS)]
        p = src / "旧版本" / f"{code}_{i}.xlsx"
        p.parent.mkdir(exist_ok=True)
        p.write_bytes(with_comment(k.workbook(code, 40 + i % len(UNITS)), f"old {i}"))
        os.utime(p, (t0 - (i + 1) * day, t0 - (i + 1) * day))
    bad = dict(k.values)
    bad["t3.new.person"] = bad["t3.new.person"] + 5  # rule A broken
    (src / "文件夹" / "U006_有错.xlsx").write_bytes(k.workbook("U006", 60, values=bad))
    (src / "文件夹" / "坏文件.xlsx").write_bytes(k.good[:3000])
    (src / "文件夹" / "空白模板.xlsx").write_bytes(k.workbook(None, 61, fields={}))
    msgs = []
    for i in range(4):
        code = UNITS[i]
        atts = [(f"{code}统计表.xlsx", with_comment(k.workbook(code, 70 + i), f"m{i}"), "rfc2047-gb2312")]
        if i == 1:
            atts.append(("坏附件.xlsx", b"PK\x03\x04broken", "rfc2231"))
        sender = f"<{k.units[code].email}>" if i % 2 else "某人 <stranger@qq.com>"
        msgs.append(make_message(atts, sender=sender, date=f"Tue, {i + 10:02d} Jan 2026 09:00:00 +0800",
                                 message_id=f"<fault{i}@example.cn>"))
    (src / "文件夹" / "邮件.eml").write_bytes(msgs[0])
    write_mbox(src / "导出.mbox", msgs[1:])
    # last year's roll-up (read by merge --previous: must never change)
    last = d / "last"
    last.mkdir()
    for i, code in enumerate(UNITS):
        (last / f"{code}.xlsx").write_bytes(k.workbook(code, 80 + i, year=2024,
                                                       fields={"filler": "某", "phone": "1", "date": "2025-01-20"}))
    rc, out, err = run("merge", str(last), "--roster", str(d / "roster.csv"), "--year", "2024", "--county", "示例县",
                       "--out", str(d / "2024年度汇总.xlsx"))
    assert rc == 0, out + err
    shutil.rmtree(last)
    # a fresh workspace, copied for every run that needs one
    rc, out, err = run("init", str(d / "empty"), "--year", "2025", "--roster", str(d / "roster.csv"),
                       "--county", "示例县")
    assert rc == 0, err
    return {"dir": d, "src": src, "empty": d / "empty", "previous": d / "2024年度汇总.xlsx"}


def fresh_workspace(sources: dict, where: Path) -> Path:
    shutil.copytree(sources["empty"], where)
    return where


# ---------------------------------------------------------------------------------------------
# ledger helpers


def ledger_rows(ws: Path) -> dict[tuple[str, str], tuple]:
    """(sha256, source_key) → (status, unit, check status, errors, reason code, file name)."""
    con = sqlite3.connect(ws / "ledger.sqlite", timeout=30)
    try:
        return {(r[0], r[1]): tuple(r[2:]) for r in con.execute(
            "SELECT sha256, source_key, status, unit_code, check_status, errors, reason_code, file_name "
            "FROM submissions")}
    finally:
        con.close()


def current(ws: Path) -> dict[str, tuple[str, str]]:
    """unit → (sha256 of the current submission, its status)."""
    from gipr.collect.workspace import Workspace

    with Workspace.open(ws) as w:
        return {code: (s.sha256, s.status) for code, s in w.ledger.current().items()}


def assert_consistent(ws: Path) -> None:
    con = sqlite3.connect(ws / "ledger.sqlite", timeout=30)
    try:
        assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert con.execute("PRAGMA foreign_key_check").fetchall() == []
        shas = {r[0] for r in con.execute("SELECT sha256 FROM submissions")}
        shas |= {r[0] for r in con.execute("SELECT message_sha256 FROM submissions WHERE message_sha256 IS NOT NULL")}
    finally:
        con.close()
    for s in shas:  # every recorded file is archived, intact
        p = ws / "archive" / s[:2] / f"{s}.bin"
        assert p.is_file(), p
    for p in (ws / "archive").rglob("*.bin"):  # every archived file matches its name
        assert sha(p.read_bytes()) == p.stem, p


@pytest.fixture(scope="module")
def reference(sources, tmp_path_factory) -> dict:
    """The uninterrupted runs: a collect, then a merge of the workspace."""
    ws = fresh_workspace(sources, tmp_path_factory.mktemp("ref") / "ws")
    rc, out, err = run("collect", str(sources["src"]), "-w", str(ws))
    assert rc == 2 and "收集完成" in out, out + err  # a broken file: exit 2
    assert_consistent(ws)
    rows = ledger_rows(ws)
    assert len(rows) >= 15
    cur = current(ws)
    assert set(cur) == set(UNITS)
    out_dir = tmp_path_factory.mktemp("ref-out")
    rc, out, err = run("merge", "-w", str(ws), "--out", str(out_dir / "汇总.xlsx"), "--html",
                       str(out_dir / "汇总.html"), "--previous", str(sources["previous"]))
    assert rc == 0, out + err
    t = time.monotonic()
    run("--help")
    startup_s = time.monotonic() - t  # Python and gipr's imports, before any work
    return {"ws": ws, "rows": rows, "current": cur, "startup_s": startup_s,
            "archived": archived(ws), "values": rollup_values(out_dir / "汇总.xlsx")}


def rollup_values(path: Path) -> dict:
    from gipr.read import read_report

    r = read_report(path)
    assert r.kind == "rollup"
    return {cid: (v.state, v.number) for cid, v in r.values.items()}


# ---------------------------------------------------------------------------------------------
# SIGKILL


def archived(ws: Path) -> int:
    """How many files the workspace has archived (a progress mark of `gipr collect`)."""
    return sum(1 for _ in (ws / "archive").glob("*/*.bin"))


def merge_progress(out_dir: Path, out: Path, html: Path) -> Callable[[], int]:
    """A progress mark of `gipr merge`: 0 start-up and reading, 1 a new hidden temporary file is in
    the output folder (writing), 2 the web page was replaced, 3 the roll-up was renamed into place."""
    def ident(p: Path):
        try:
            st = p.stat()
        except FileNotFoundError:
            return None
        return st.st_ino, st.st_mtime_ns

    before_out, before_html = ident(out), ident(html)
    before_hidden = {n for n in os.listdir(out_dir) if n.startswith(".")}  # left by an earlier SIGKILL
    stage = 0

    def progress() -> int:
        nonlocal stage
        if stage < 1 and any(n.startswith(".") and n not in before_hidden for n in os.listdir(out_dir)):
            stage = 1
        if stage < 2 and ident(html) != before_html:
            stage = 2
        if stage < 3 and ident(out) != before_out:
            stage = 3
        return stage

    return progress


def kill_at_progress(p: subprocess.Popen, progress: Callable[[], int], target: int, frac: float,
                     expect: Callable[[int, float | None], float]) -> tuple[bool, dict[int, float]]:
    """SIGKILL ``p`` once ``progress()`` has risen to ``target`` (a target at or below its value
    when ``p`` started means "in start-up") and then ``frac`` of the time the next mark is
    expected to take has passed: ``expect(level, last gap seen in this run or None)``, in
    seconds, from what earlier runs took under the load of now.  Returns (True if it was a
    real kill, {level: seconds from reaching it to the next mark, or to the exit}) for the
    intervals this run completed."""
    t0 = time.monotonic()
    level = progress()
    last_mark, gap, deadline = t0, None, None
    times: dict[int, float] = {}
    while p.poll() is None:
        now = time.monotonic()
        n = progress()
        if n > level:
            times[level] = gap = now - last_mark
            last_mark, level = now, n
        if deadline is None and level >= target:
            deadline = now + frac * expect(level, gap)
        if deadline is not None and now >= deadline:
            break
        time.sleep(0.004)
    killed = p.poll() is None
    if killed:
        p.send_signal(signal.SIGKILL)
    else:
        times[level] = time.monotonic() - last_mark
    _out, err = p.communicate(timeout=120)
    assert b"Traceback" not in _without_orphan_spawn(err), err.decode()
    return killed, times


def _without_orphan_spawn(err: bytes) -> bytes:
    """stderr less the one traceback a SIGKILL of gipr itself can leave: a reader worker that was
    being started when its parent died finds no start-up data to read (multiprocessing's
    spawn_main, EOFError before any gipr code runs in it).  Every other traceback still counts."""
    text = err.decode("utf-8", "replace")
    blocks = re.split(r"(?=Traceback \(most recent call last\):)", text)
    keep = [b for b in blocks if not ("spawn_main" in b and "preparation_data = reduction.pickle.load(from_parent)" in b
                                      and "EOFError: Ran out of input" in b)]
    return "".join(keep).encode()


def test_collect_killed_at_random_moments_converges(sources, reference, tmp_path):
    rng = random.Random(SEED)
    ref_rows, ref_cur, total = reference["rows"], reference["current"], reference["archived"]
    first_gap = reference["startup_s"]  # until a run shows how long start-up takes now

    def expect(level: int, gap: float | None) -> float:  # files are alike: the last gap, else start-up
        return gap if gap is not None else first_gap

    kills = midway = episodes = startup = 0
    while kills < COLLECT_KILLS:
        episodes += 1
        assert episodes <= 20, "too many runs finished before their kill"
        ws = fresh_workspace(sources, tmp_path / f"ws{episodes}")
        for _ in range(8):  # up to 8 kills into one workspace, each run resuming the last
            have = archived(ws)
            target, frac = rng.randint(have, total), rng.random()
            p = gipr("collect", str(sources["src"]), "-w", str(ws))
            killed, times = kill_at_progress(p, lambda ws=ws: archived(ws), target, frac, expect)
            first_gap = times.get(have, first_gap)
            assert_consistent(ws)
            rows = ledger_rows(ws)
            for key, row in rows.items():  # only rows the uninterrupted run records, exactly as it does
                assert ref_rows.get(key) == row, (key, row, ref_rows.get(key))
            if not killed:
                break
            kills += 1
            startup += archived(ws) == have
            midway += 0 < len(rows) < len(ref_rows)
            if kills >= COLLECT_KILLS:
                break
        rc, out, err = run("collect", str(sources["src"]), "-w", str(ws))
        assert rc in (0, 1, 2) and "收集完成" in out, err  # what is left decides the status
        assert_consistent(ws)
        assert ledger_rows(ws) == ref_rows
        assert current(ws) == ref_cur
    print(f"collect: {kills} kills in {episodes} workspaces, {midway} with a partly filled ledger, "
          f"{startup} before the run archived anything ({total} files archived by an uninterrupted run)")
    assert midway >= COLLECT_KILLS // 4, midway  # the kills did land mid-way, not only at start-up


def test_merge_killed_at_random_moments_never_loses_the_previous_rollup(sources, reference, tmp_path):
    rng = random.Random(SEED + 1)
    ws = reference["ws"]
    out_dir = tmp_path / "输出"
    out_dir.mkdir()
    out, html = out_dir / "汇总.xlsx", out_dir / "汇总.html"
    previous = sources["previous"]
    previous_bytes = previous.read_bytes()
    args = ["merge", "-w", str(ws), "--out", str(out), "--html", str(html), "--previous", str(previous), "--force"]
    rc, o, e = run(*args)
    assert rc == 0, o + e
    assert rollup_values(out) == reference["values"]
    p = gipr(*args)  # uninterrupted, watched: how long each stage takes under the load of now
    killed, took = kill_at_progress(p, merge_progress(out_dir, out, html), 99, 0.0, lambda level, gap: 0.0)
    assert not killed and p.returncode == 0 and {0, 3} <= set(took), took  # (two stages may pass in one poll)
    kills = replaced = runs = 0
    stages = [0, 0, 0, 0]
    while kills < MERGE_KILLS:
        runs += 1
        assert runs <= 4 * MERGE_KILLS
        before_out, before_html = out.read_bytes(), html.read_bytes()
        target, frac = rng.randint(0, 3), rng.random()
        progress = merge_progress(out_dir, out, html)
        # the stages differ (reading takes long, writing short): wait a fraction of this stage's duration
        killed, times = kill_at_progress(gipr(*args), progress, target, frac, lambda level, gap: took.get(level, 0.0))
        took.update(times)
        kills += killed
        stages[progress()] += killed
        assert previous.read_bytes() == previous_bytes  # last year's roll-up: only read
        assert sorted(p.name for p in out_dir.iterdir() if not p.name.startswith(".")) == ["汇总.html", "汇总.xlsx"]
        now = out.read_bytes()
        if now != before_out:  # the kill came after the rename: a complete new roll-up
            replaced += killed
            assert rollup_values(out) == reference["values"]
        h = html.read_bytes()
        if h != before_html:
            assert h.rstrip().endswith(b"</html>")
    rc, o, e = run(*args)
    assert rc == 0, o + e
    assert rollup_values(out) == reference["values"]
    assert previous.read_bytes() == previous_bytes
    leftovers = [p.name for p in out_dir.iterdir() if p.name.startswith(".")]
    print(f"merge: {kills} kills in {runs} runs (by stage reached: start-up/reading {stages[0]}, writing {stages[1]}, "
          f"page replaced {stages[2]}, roll-up renamed {stages[3]}); {replaced} after the new roll-up was in place; "
          f"hidden temporary files left by SIGKILL: {len(leftovers)}")
    assert stages[0] and sum(stages[1:]), stages  # the kills did land both before and during the writing


# ---------------------------------------------------------------------------------------------
# a full disk (RLIMIT_FSIZE: writes beyond the limit fail with EFBIG)


def file_size_limit(n: int):
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (n, n))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of being killed
    return apply


def test_full_disk_while_writing_the_rollup(sources, reference, tmp_path):
    ws = reference["ws"]
    out_dir = tmp_path / "满盘"
    out_dir.mkdir()
    out, html = out_dir / "汇总.xlsx", out_dir / "汇总.html"
    rc, o, e = run("merge", "-w", str(ws), "--out", str(out), "--html", str(html))
    assert rc == 0, o + e
    old_out, old_html = out.read_bytes(), html.read_bytes()
    # the ledger's shared-memory file needs 32 KB; the roll-up needs more than 40 KB
    limit = 40_000
    assert len(old_out) > limit
    for args in (["--out", str(out), "--html", str(html), "--force"], ["--out", str(out_dir / "新汇总.xlsx")]):
        rc, o, e = run("merge", "-w", str(ws), *args, preexec=file_size_limit(limit))
        assert rc == 2, o + e
        assert "无法写入" in e and "文件大小超过" in e, e
        assert "内部错误" not in e
        assert out.read_bytes() == old_out and html.read_bytes() == old_html  # the existing output intact
        assert sorted(p.name for p in out_dir.iterdir()) == ["汇总.html", "汇总.xlsx"]  # nothing partial, no temp files
    rc, o, e = run("merge", "-w", str(ws), "--out", str(out), "--html", str(html), "--force")
    assert rc == 0 and rollup_values(out) == reference["values"]


@pytest.mark.parametrize("limit", [8_000, 70_000, 150_000])
def test_full_disk_while_collecting(sources, reference, tmp_path, limit):
    """The archive or the ledger cannot grow: a clear message, exit 2, the ledger consistent,
    and collecting again with room converges to the uninterrupted run."""
    ws = fresh_workspace(sources, tmp_path / "ws")
    rc, o, e = run("collect", str(sources["src"]), "-w", str(ws), preexec=file_size_limit(limit))
    assert rc == 2, o + e
    assert "内部错误" not in e
    assert ("无法读写台账" in e or "无法把文件写入存档" in e) and "磁盘" in e, e
    assert_consistent(ws)
    got = ledger_rows(ws)
    for key, row in got.items():
        assert reference["rows"][key] == row
    rc, o, e = run("collect", str(sources["src"]), "-w", str(ws))
    assert rc in (0, 1, 2) and "收集完成" in o
    assert_consistent(ws)
    assert ledger_rows(ws) == reference["rows"] and current(ws) == reference["current"]


# ---------------------------------------------------------------------------------------------
# two collects at once


def test_two_collects_at_once_one_waits(sources, reference, tmp_path):
    """Started together: one holds the workspace lock, the other waits for it and then
    finds everything already recorded.  The ledger ends complete and consistent."""
    ws = fresh_workspace(sources, tmp_path / "ws")
    a = gipr("collect", str(sources["src"]), "-w", str(ws), env_extra={"GIPR_LOCK_WAIT": "120"})
    b = gipr("collect", str(sources["src"]), "-w", str(ws), env_extra={"GIPR_LOCK_WAIT": "120"})
    (oa, ea), (ob, eb) = a.communicate(timeout=600), b.communicate(timeout=600)
    for o, e in ((oa, ea), (ob, eb)):
        assert b"Traceback" not in e and "收集完成" in o.decode()
    assert sorted([a.returncode, b.returncode]) == [0, 2]  # the first reports the broken file
    news = sorted(int(o.decode().split("新收 ")[1].split(" 份")[0]) for o in (oa, ob))
    assert news == [0, len(reference["rows"])]  # one recorded everything, the other nothing new
    assert_consistent(ws)
    assert ledger_rows(ws) == reference["rows"] and current(ws) == reference["current"]


def test_second_collect_stops_with_a_clear_message_while_the_first_runs(sources, reference, tmp_path):
    """Started together without waiting (GIPR_LOCK_WAIT=0): one collects, the other stops at
    once with a clear message and changes nothing."""
    for attempt in range(3):
        ws = fresh_workspace(sources, tmp_path / f"ws{attempt}")
        procs = [gipr("collect", str(sources["src"]), "-w", str(ws), env_extra={"GIPR_LOCK_WAIT": "0"})
                 for _ in range(2)]
        res = [(p.communicate(timeout=600), p.returncode) for p in procs]
        stopped = [(o.decode(), e.decode(), rc) for (o, e), rc in res if "另一个 gipr 进程正在使用" in e.decode()]
        ran = [(o.decode(), e.decode(), rc) for (o, e), rc in res if "收集完成" in o.decode()]
        for (_o, e), _rc in res:
            assert b"Traceback" not in e
        if len(stopped) == 1:
            break  # else the first finished before the second started: try again
    assert len(stopped) == 1 and len(ran) == 1, res
    o, e, rc = stopped[0]
    assert rc == 2 and "没有做任何修改" in e and "收集完成" not in o
    assert ran[0][2] == 2 and f"新收 {len(reference['rows'])} 份" in ran[0][0]
    assert_consistent(ws)
    assert ledger_rows(ws) == reference["rows"] and current(ws) == reference["current"]
