"""Benchmark: gipr send to N units through a local SMTP server, then collect N replies
from a local IMAP server (default N = 200).

    python benchmarks/bench_mail.py [--n 200] [--no-imap]

* send: ``mail.mail_units(ws, "send")`` against aiosmtpd on 127.0.0.1 (plain SMTP with
  AUTH): compose (text template, personalised workbook), archive the message, record the
  send in the ledger (two transactions), SMTP transaction.  Prints messages/s and the
  message size.
* collect: N replies carrying a gipr template (the attachment as sent, not filled: reading
  and checking cost is bench_collect's business) APPENDed to a private dovecot, then
  ``imap.collect_imap``; a second run shows the cost of finding nothing new.  Needs
  dovecot (Debian: dovecot-imapd) and openssl; skipped otherwise.
"""

from __future__ import annotations

import argparse
import csv
import shutil
import sys
import tempfile
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))


def make_roster(path: Path, n: int) -> None:
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(["单位代码", "单位名称", "类别", "联系人", "邮箱"])
        for i in range(n):
            w.writerow([f"U{i + 1:05d}", f"县第{i + 1:04d}局", "县直部门", "联系人", f"u{i + 1}@example.cn"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--no-imap", action="store_true")
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    import logging

    logging.getLogger("mail.log").setLevel(logging.ERROR)

    from kit.mailservers import DOVECOT, OPENSSL, Dovecot, SmtpServer

    from gipr.collect import Collector
    from gipr.collect.imap import collect_imap
    from gipr.collect.workspace import Workspace
    from gipr.mail import mail_units

    tmp = Path(tempfile.mkdtemp(prefix="gipr-bench-mail-"))
    smtp = SmtpServer(tmp, users={"gkb@example.cn": "pw"})
    dove = None
    try:
        make_roster(tmp / "roster.csv", args.n)
        root = tmp / "ws"
        Workspace.create(root, 2025, tmp / "roster.csv", county="示例县").close()
        with open(root / "gipr.toml", "a", encoding="utf-8") as f:
            f.write(f'\n[mail]\nhost = "127.0.0.1"\nport = {smtp.port}\nsecurity = "none"\n'
                    'user = "gkb@example.cn"\nfrom_addr = "gkb@example.cn"\n')
        ws = Workspace.open(root)
        t0 = time.perf_counter()
        run = mail_units(ws, "send", password="pw")
        dt = time.perf_counter() - t0
        ws.close()
        sizes = [len(m.data) for m in smtp.messages]
        print(f"send: {run.count('sent')} messages in {dt:.2f} s = {run.count('sent') / dt:.1f} messages/s; "
              f"message {min(sizes) / 1024:.0f}–{max(sizes) / 1024:.0f} KiB")
        t0 = time.perf_counter()
        ws = Workspace.open(root)
        again = mail_units(ws, "send", password="pw")
        ws.close()
        print(f"send re-run (everything already sent): {again.count('skipped')} skipped in "
              f"{time.perf_counter() - t0:.2f} s, {len(smtp.messages)} messages on the server")
        if args.no_imap:
            return
        if DOVECOT is None or OPENSSL is None:
            print("imap: skipped (dovecot or openssl missing)")
            return
        dove = Dovecot()
        dove.start()
        dove.add_user("clerk", "pw")
        from email.policy import default  # noqa: F401

        t0 = time.perf_counter()
        for m in smtp.messages:
            dove.append("clerk", m.data.replace(b"\r\nFrom: ", b"\r\nX-Orig-From: ", 1)
                        .replace(b"\r\nMessage-ID: <", b"\r\nMessage-ID: <reply.", 1))
        print(f"imap: APPENDed {len(smtp.messages)} messages in {time.perf_counter() - t0:.2f} s (setup)")
        with open(root / "gipr.toml", "a", encoding="utf-8") as f:
            f.write(f'\n[imap]\nhost = "127.0.0.1"\nport = {dove.imaps_port}\nsecurity = "ssl"\nuser = "clerk"\n'
                    f'cafile = "{dove.cert}"\n')
        for label in ("collect", "collect re-run"):
            ws = Workspace.open(root)
            t0 = time.perf_counter()
            with ws.lock():
                c = Collector(ws)
                r = collect_imap(ws, c, password="pw")
            dt = time.perf_counter() - t0
            n = len(ws.ledger.submissions())
            ws.close()
            print(f"imap {label}: {r.fetched} fetched ({r.already} already taken) in {dt:.2f} s"
                  + (f" = {r.fetched / dt:.1f} messages/s" if r.fetched else "") + f"; ledger {n} submissions")
    finally:
        smtp.stop()
        if dove is not None:
            dove.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
