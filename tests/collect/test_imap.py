"""gipr collect --imap against a real IMAP server: Debian's dovecot, started by the fixture
as an unprivileged process on free high ports of 127.0.0.1 with throwaway users.  Messages
are put in with APPEND and collected; nothing is fetched or counted twice, nothing on the
server changes.  Ends with the round trip: gipr send → units fill in and reply → gipr
collect --imap → every unit of the example county accepted."""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from kit.helpers import consistent_values, fill_workbook
from kit.mailmaker import make_message
from kit.mailservers import (
    DOVECOT,
    DOVECOT_REASON,
    FROM,
    OPENSSL,
    OPENSSL_REASON,
    PASSWORD,
    Dovecot,
    SmtpServer,
    write_mail_config,
)
from kit.paths import REPO

from gipr.collect import Collector
from gipr.collect.imap import collect_imap, encode_mailbox, imap_settings, parse_since
from gipr.collect.workspace import Workspace
from gipr.errors import GiprError
from gipr.roster import load_roster
from gipr.template import write_template

pytestmark = [pytest.mark.skipif(DOVECOT is None, reason=DOVECOT_REASON),
              pytest.mark.skipif(OPENSSL is None, reason=OPENSSL_REASON),
              pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")]

ROOT = REPO
ROSTER = "单位代码,单位名称,类别,联系人,邮箱\n001,县财政局,县直部门,赵磊,czj@example.cn\n002,县水利局,县直部门,马超,slj@example.cn\n"
IMAP_PW = "imap-口令-1"


@pytest.fixture(scope="module")
def dovecot():
    d = Dovecot()
    d.start()
    yield d
    d.stop()


@pytest.fixture
def account(dovecot, request):
    name = re.sub(r"[^a-z0-9]+", "", request.node.name.lower())[-40:] + str(len(dovecot.users))
    return dovecot.add_user(name, IMAP_PW)


def make_ws(tmp_path: Path, dovecot: Dovecot, user: str, *, security: str = "ssl", roster_text: str = ROSTER,
            roster: Path | None = None) -> Path:
    if roster is None:
        roster = tmp_path / "roster.csv"
        roster.write_text(roster_text, encoding="utf-8")
    root = tmp_path / "ws"
    Workspace.create(root, 2025, roster, county="示例县").close()
    write_mail_config(root, "imap", host="127.0.0.1",
                      port=dovecot.imaps_port if security == "ssl" else dovecot.imap_port,
                      security=security, user=user, cafile=str(dovecot.cert))
    return root


def filled_message(ws, tmp: Path, code: str, seed: int, style: str = "rfc2231", **kw) -> bytes:
    unit = ws.unit(code)
    t = write_template(tmp / f"t_{code}_{seed}.xlsx", ws.spec, year=ws.year, unit=unit, overwrite=True)
    f = fill_workbook(t, tmp / f"f_{code}_{seed}.xlsx", consistent_values(ws.spec, random.Random(seed)),
                      {"filler": unit.contact, "phone": "0351-1111111"})
    return make_message([(f"{unit.name}2025年统计表.xlsx", f.read_bytes(), style)],
                        sender=f"{unit.name} <{unit.email}>", **kw)


def mutf7_decode(name: bytes) -> str:
    """Modified UTF-7 → text (an independent decoder for checking gipr's encoder)."""
    import base64

    out, i, s = [], 0, name.decode("ascii")
    while i < len(s):
        if s[i] == "&":
            j = s.index("-", i)
            chunk = s[i + 1:j]
            if chunk == "":
                out.append("&")
            else:
                b = chunk.replace(",", "/")
                out.append(base64.b64decode(b + "=" * (-len(b) % 4)).decode("utf-16-be"))
            i = j + 1
        else:
            out.append(s[i])
            i += 1
    return "".join(out)


def collect(root: Path, **kw):
    ws = Workspace.open(root)
    try:
        with ws.lock():
            c = Collector(ws)
            r = collect_imap(ws, c, password=IMAP_PW, **kw)
        return r, c.result, len(ws.ledger.submissions())
    finally:
        ws.close()


def test_a_new_account_logs_in_right_after_another_login(dovecot):
    """The fixture's accounts are usable at once: a test's first login often comes within
    the same second as the previous test's last one (dovecot rereads a passwd-file at most
    once a second, so one shared file made this fail every time)."""
    for i in range(3):
        first = dovecot.add_user(f"samesecond{i}a", IMAP_PW)
        dovecot.client(first).logout()
        second = dovecot.add_user(f"samesecond{i}b", IMAP_PW)
        dovecot.client(second).logout()  # raised [AUTHENTICATIONFAILED] with the shared file


def test_each_message_taken_once_and_server_untouched(tmp_path, dovecot, account):
    root = make_ws(tmp_path, dovecot, account)
    ws = Workspace.open(root)
    dovecot.append(account, filled_message(ws, tmp_path, "001", 1, "rfc2047-gb2312"))
    dovecot.append(account, filled_message(ws, tmp_path, "002", 2, "raw-gbk"))
    dovecot.append(account, make_message([], sender="someone@example.org", subject="会议通知"))
    ws.close()
    before = dovecot.flags_and_count(account)
    r, result, n = collect(root)
    assert (r.total, r.fetched, r.already) == (3, 3, 0) and r.uidvalidity > 0
    assert sorted((o.submission.unit_code, o.submission.status) for o in result.outcomes) == [
        ("001", "accepted"), ("002", "accepted")]
    assert all(o.submission.source_kind == "email" and "imap://" in o.submission.source_path
               for o in result.outcomes)
    assert len(result.no_attachment) == 1 and n == 2
    # again: nothing fetched, nothing counted
    r2, result2, n2 = collect(root)
    assert (r2.total, r2.fetched, r2.already) == (3, 0, 3) and result2.outcomes == [] and n2 == 2
    # the server is as it was: same messages, none marked \Seen, none deleted
    after = dovecot.flags_and_count(account)
    assert after == before and after[0] == 3 and not any(b"\\Seen" in f for f in after[1])
    # a new message: exactly that one is taken
    ws = Workspace.open(root)
    dovecot.append(account, filled_message(ws, tmp_path, "001", 3))
    ws.close()
    r3, result3, n3 = collect(root)
    assert (r3.fetched, r3.already) == (1, 3) and n3 == 3
    assert [o.submission.unit_code for o in result3.outcomes] == ["001"]
    ws = Workspace.open(root)
    seen = ws.ledger.conn.execute("SELECT uidvalidity, uid, outcome FROM imap_seen ORDER BY uid").fetchall()
    ws.close()
    assert [tuple(x) for x in seen] == [(r.uidvalidity, u, "collected") for u in (1, 2, 3, 4)]


def test_starttls_chinese_folder_and_since(tmp_path, dovecot, account):
    root = make_ws(tmp_path, dovecot, account, security="starttls")
    ws = Workspace.open(root)
    folder = "报表 2025年&回执"
    old = filled_message(ws, tmp_path, "001", 4, date="Sun, 05 Jan 2025 09:00:00 +0800")
    new = filled_message(ws, tmp_path, "002", 5, date="Mon, 20 Jan 2025 09:00:00 +0800")
    ws.close()
    from gipr.collect.imap import encode_mailbox as enc

    c = dovecot.client(account)
    try:
        assert c.create(enc(folder))[0] == "OK"
        tz = dt.timezone(dt.timedelta(hours=8))
        c.append(enc(folder), None, dt.datetime(2025, 1, 5, 9, 0, tzinfo=tz), old)
        c.append(enc(folder), None, dt.datetime(2025, 1, 20, 9, 0, tzinfo=tz), new)
        names = [x for x in c.list()[1] if isinstance(x, bytes)]
    finally:
        c.logout()
    listed = [mutf7_decode(re.sub(rb'^\(.*?\) "\." ', b"", n).strip(b'"')) for n in names]
    assert folder in listed, listed  # the server took the name as meant (modified UTF-7, RFC 3501)
    r, result, _n = collect(root, folder=folder, since=parse_since("2025-01-10"))
    assert (r.total, r.fetched) == (1, 1) and [o.submission.unit_code for o in result.outcomes] == ["002"]
    assert result.outcomes[0].submission.received_at == "2025-01-20T01:00:00Z"
    r2, _result2, n2 = collect(root, folder=folder)
    assert (r2.total, r2.fetched, r2.already) == (2, 1, 1) and n2 == 2
    with pytest.raises(GiprError, match="没有文件夹"):
        collect(root, folder="不存在的文件夹")


def test_uidvalidity_change_counts_nothing_twice(tmp_path, dovecot, account):
    root = make_ws(tmp_path, dovecot, account)
    ws = Workspace.open(root)
    msgs = [filled_message(ws, tmp_path, "001", 6, message_id="<r1@example.cn>"),
            filled_message(ws, tmp_path, "002", 7, message_id="<r2@example.cn>")]
    ws.close()
    for m in msgs:
        dovecot.append(account, m, folder="回执")
    r, _result, n = collect(root, folder="回执")
    assert r.fetched == 2 and n == 2
    # the folder is rebuilt (a server migration): same messages, new UIDVALIDITY
    c = dovecot.client(account)
    try:
        assert c.delete(encode_mailbox("回执"))[0] == "OK"
    finally:
        c.logout()
    time.sleep(1.1)  # dovecot derives UIDVALIDITY from the clock
    for m in msgs:
        dovecot.append(account, m, folder="回执")
    r2, result2, n2 = collect(root, folder="回执")
    assert r2.uidvalidity != r.uidvalidity and r2.uidvalidity_changed
    assert r2.fetched == 2 and result2.count("new") == 0 and n2 == 2  # fetched again, counted once


def test_login_and_settings_errors(tmp_path, dovecot, account):
    root = make_ws(tmp_path, dovecot, account)
    ws = Workspace.open(root)
    with ws.lock(), pytest.raises(GiprError, match="登录失败"):
        collect_imap(ws, Collector(ws), password="wrong")
    ws.close()
    bare = tmp_path / "bare"
    Workspace.create(bare, 2025, tmp_path / "roster.csv").close()
    ws = Workspace.open(bare)
    with pytest.raises(GiprError, match=r"\[imap\]"):
        imap_settings(ws)
    ws.close()
    assert "[imap]" in (bare / "gipr.toml").read_text(encoding="utf-8")
    with pytest.raises(GiprError, match="--since"):
        parse_since("去年")


def test_cli_collect_imap(tmp_path, dovecot, account):
    root = make_ws(tmp_path, dovecot, account)
    ws = Workspace.open(root)
    dovecot.append(account, filled_message(ws, tmp_path, "001", 8))
    ws.close()
    env = {k: v for k, v in os.environ.items() if "PASSWORD" not in k} | {"GIPR_IMAP_PASSWORD": IMAP_PW}
    args = [sys.executable, "-m", "gipr.cli", "collect", "--imap", "-w", str(root)]
    r = subprocess.run(args, env=env, capture_output=True, timeout=300, stdin=subprocess.DEVNULL)
    out = r.stdout.decode()
    assert r.returncode == 0, r.stderr.decode() + out
    assert "本次收取 1 封" in out and "县财政局" in out
    r2 = subprocess.run(args, env=env, capture_output=True, timeout=300, stdin=subprocess.DEVNULL)
    assert r2.returncode == 0 and "本次收取 0 封，以前已收取 1 封" in r2.stdout.decode()
    env.pop("GIPR_IMAP_PASSWORD")
    r3 = subprocess.run(args, env=env, capture_output=True, timeout=300, stdin=subprocess.DEVNULL)
    assert r3.returncode == 2 and "GIPR_IMAP_PASSWORD" in r3.stderr.decode()


def test_round_trip_send_then_collect_imap(tmp_path, dovecot, account):
    """The example county: gipr send through the local SMTP server; each unit fills in its
    own attachment and replies (into the IMAP mailbox); gipr collect --imap takes them all."""
    smtp = SmtpServer(tmp_path, users={FROM: PASSWORD})
    try:
        root = make_ws(tmp_path, dovecot, account, roster=ROOT / "examples" / "roster.csv")
        write_mail_config(root, host="127.0.0.1", port=smtp.port, security="none", user=FROM, from_addr=FROM,
                          from_name="示例县政务公开办", deadline="2026年1月15日", contact="0351-1234567")
        env = {k: v for k, v in os.environ.items() if "PASSWORD" not in k}
        env |= {"GIPR_SMTP_PASSWORD": PASSWORD, "GIPR_IMAP_PASSWORD": IMAP_PW}
        r = subprocess.run([sys.executable, "-m", "gipr.cli", "send", "-w", str(root)], env=env, capture_output=True,
                           timeout=600, stdin=subprocess.DEVNULL)
        assert r.returncode == 0, r.stderr.decode()
        units = load_roster(ROSTER_EXAMPLE)
        assert len(smtp.messages) == len(units) == 31
        styles = ["rfc2231", "rfc2047-gb2312", "rfc2047-gbk", "raw-gbk", "rfc2047-utf8-q"]
        expected, jobs, received = {}, [], {}
        for i, u in enumerate(units):
            [got] = smtp.handler.to(u.email)
            m = got.message
            [part] = list(m.iter_attachments())
            src = tmp_path / f"in_{u.code}.xlsx"
            src.write_bytes(part.get_content())
            expected[u.code] = consistent_values(load_spec(), random.Random(100 + i))
            jobs.append((src, tmp_path / f"out_{u.code}.xlsx", expected[u.code],
                         {"filler": u.contact, "phone": "0351-2222222"}))
            received[u.code] = (m, part.get_filename())
        with _pool() as pool:  # each unit types its numbers into its own attachment (openpyxl is slow: 2 workers)
            done = list(pool.map(_fill, jobs))
        for i, (u, path) in enumerate(zip(units, done)):
            m, name = received[u.code]
            reply = make_message([(name, Path(path).read_bytes(), styles[i % len(styles)])],
                                 sender=f"{u.name} <{u.email}>", subject="回复：" + str(m["Subject"]), to=FROM)
            reply = reply.replace(b"\r\nMessage-ID:", f"\r\nIn-Reply-To: {m['Message-ID']}\r\nMessage-ID:".encode(), 1)
            dovecot.append(account, reply)
        dovecot.append(account, smtp.messages[0].data)  # the clerk's Bcc copy of a sent message: not a submission
        r = subprocess.run([sys.executable, "-m", "gipr.cli", "collect", "--imap", "-w", str(root), "--json"],
                           env=env, capture_output=True, timeout=600, stdin=subprocess.DEVNULL)
        assert r.returncode == 0, r.stderr.decode()
        res = json.loads(r.stdout)
        assert res["counts"]["new"] == 31 and res["counts"]["accepted"] == 31  # the sent copy was left out
        st = json.loads(subprocess.run([sys.executable, "-m", "gipr.cli", "status", "-w", str(root), "--json"],
                                       env=env, capture_output=True, timeout=300).stdout)
        assert st["missing"] == [] and st["with_errors"] == [] and st["totals"]["accepted"] == 31
        assert {u["code"]: u["identified_by"] for u in st["units"]} == {u.code: "identity" for u in units}
        # the numbers that arrived are the numbers the units typed
        from gipr.read import read_report

        ws = Workspace.open(root)
        cur = ws.ledger.current()
        for code in ("001", "012", "109"):
            rep = read_report(ws.ledger.read_archived(cur[code].sha256), name=cur[code].file_name, spec=ws.spec)
            assert {k: rep.values[k].number for k in expected[code]} == expected[code]
        ws.close()
        # collecting again takes nothing
        r = subprocess.run([sys.executable, "-m", "gipr.cli", "collect", "--imap", "-w", str(root), "--json"],
                           env=env, capture_output=True, timeout=600, stdin=subprocess.DEVNULL)
        assert r.returncode == 0 and json.loads(r.stdout)["counts"]["new"] == 0
    finally:
        smtp.stop()


ROSTER_EXAMPLE = ROOT / "examples" / "roster.csv"


def load_spec():
    from gipr.spec import load_format

    return load_format("2021")


def _fill(job) -> str:
    src, dst, values, fields = job
    return str(fill_workbook(src, dst, values, fields))


def _pool():
    import concurrent.futures
    import multiprocessing

    ctx = multiprocessing.get_context("fork") if "fork" in multiprocessing.get_all_start_methods() else None
    return concurrent.futures.ProcessPoolExecutor(max_workers=min(2, os.cpu_count() or 1), mp_context=ctx)
