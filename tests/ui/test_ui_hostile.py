"""The workbench survives any upload (issue 18): a real `gipr ui` process is sent each hostile
file of issue 18 — last year's roll-up with one cell at XFD1048576 and with 99,000 detail rows
(as `previous` on the 汇总 page), a one-line mbox (60 MB, past the message limit, and a 1 GB
one, past the upload limit, streamed from memory) and a multipart body that stops mid-file.
Each is a Chinese message in the JSON the page shows; after each the server still answers
(a status request within 10 s), nothing of a refused upload is archived or left in the
upload folders, SIGTERM stops the server (POSIX only: the product relies on no signal), and
the server process never loaded a parser (its workers did the reading).
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time

import httpx
import pytest
from kit.paths import REPO
from kit.probe import RUNNER, far_cell_rollup, many_rows_rollup, parent_is_clean
from kit.uiserver import make_workspace

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGTERM") or sys.platform == "win32",
                                reason="the SIGTERM check needs POSIX signals")
CJK = "各单位明细"


def _zeros(n: int, head: bytes = b"", tail: bytes = b""):
    yield head
    block = bytes(1 << 20)
    while n > 0:
        yield block[: min(n, len(block))]
        n -= len(block)
    yield tail


def _multipart(field: str, name: str, size: int, head: bytes, boundary: bytes = b"gipr18") -> tuple[dict, object, int]:
    """A streamed multipart body of one file: ``head`` then zeros up to ``size`` bytes."""
    pre = (b"--" + boundary + b"\r\nContent-Disposition: form-data; name=\"" + field.encode() +
           b"\"; filename=\"" + name.encode() + b"\"\r\nContent-Type: application/octet-stream\r\n\r\n" + head)
    post = b"\r\n--" + boundary + b"--\r\n"
    n = size - len(head)
    headers = {"content-type": "multipart/form-data; boundary=" + boundary.decode(),
               "content-length": str(len(pre) + n + len(post))}
    return headers, _zeros(n, pre, post), len(pre) + n + len(post)


def alive(c: httpx.Client) -> None:
    r = c.get("/api/status", timeout=10)
    assert r.status_code == 200 and "totals" in r.json()


def test_hostile_uploads_are_messages_and_the_server_lives(tmp_path):
    ws = make_workspace(tmp_path)
    far = far_cell_rollup(tmp_path / "far.xlsx")
    many = many_rows_rollup(tmp_path / "many.xlsx")
    probe = tmp_path / "probe.json"  # what the server process loaded, and its peak memory (written at exit)
    p = subprocess.Popen([sys.executable, "-c", RUNNER, str(probe), "ui", "-w", str(ws), "--no-browser", "--port", "0"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env=dict(os.environ, PYTHONPATH=str(REPO / "tool")))
    try:
        line = p.stdout.readline().strip()
        assert line.startswith("http://127.0.0.1:"), p.stderr.read() if p.poll() is not None else line
        base = line.split("/?")[0]
        with httpx.Client(base_url=base, timeout=120) as c:
            assert c.get(line.removeprefix(base), follow_redirects=False).status_code == 303
            c.headers["X-CSRF-Token"] = c.get("/api/session").json()["csrf"]
            alive(c)

            # last year's roll-up, hostile: refused by the reader worker, a message on the page
            for bad in (far, many):
                r = c.post("/api/merge", files=[("previous", (bad.name, bad.read_bytes(), "application/octet-stream"))],
                           data={"include_errors": "1"})
                assert r.status_code == 400, r.text
                err = r.json()["error"]
                assert err["code"] == "merge.previous_unreadable" and CJK in err["message"], err
                alive(c)

            # a one-line mbox past the message limit: found too large by the worker's streamed scan
            headers, body, _n = _multipart("files", "一行.mbox", 60 << 20, b"From a@b.cn Mon Jan  5 09:00:00 2026\n\n")
            r = c.post("/api/collect", headers=headers, content=body)
            assert r.status_code == 200, r.text
            (o,) = r.json()["outcomes"]
            assert o["result"] == "skipped" and o["code"] == "mail.too_large" and "邮件过大" in o["reason"]
            alive(c)

            # a 1 GB one-line mbox: past the upload limit, refused before it is read
            headers, body, _n = _multipart("files", "1GB.mbox", 1 << 30, b"From a@b.cn Mon Jan  5 09:00:00 2026\n")
            try:
                r = c.post("/api/collect", headers=headers, content=body)
                assert r.status_code == 413 and r.json()["error"]["code"] == "ui.upload_too_large", r.text
            except httpx.TransportError:
                pass  # the server answered 413 and closed while the client was still sending
            alive(c)

            # a body that stops mid-file (its Content-Length is right): refused, nothing archived
            book = (REPO / "examples" / "returned" / "2025年度政府信息公开统计表_县商务局.xlsx").read_bytes()
            cut = (b"--cutb\r\nContent-Disposition: form-data; name=\"files\"; filename=\"a.xlsx\"\r\n"
                   b"Content-Type: application/octet-stream\r\n\r\n" + book[: len(book) // 2])
            r = c.post("/api/collect", content=cut, headers={"content-type": "multipart/form-data; boundary=cutb"})
            assert r.status_code == 400, r.text
            err = r.json()["error"]
            assert err["code"] == "ui.upload_truncated" and "不完整" in err["message"] and "a.xlsx" in err["message"]
            alive(c)

        con = sqlite3.connect(ws / "ledger.sqlite")
        try:
            assert con.execute("SELECT COUNT(*) FROM submissions").fetchone()[0] == 0  # nothing recorded
        finally:
            con.close()
        assert not list((ws / "archive").rglob("*.bin"))  # nothing archived (the mbox was never a message)
        assert not any((ws / "ui" / "uploads").iterdir())  # every request removed its upload folder
        assert not (ws / "ui" / "merge").is_dir() or not any((ws / "ui" / "merge").iterdir())

        t0 = time.monotonic()
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=30)
        assert time.monotonic() - t0 < 30
        err = p.stderr.read()
        assert "Traceback" not in err, err[-3000:]
        import json

        # the server itself never parsed a received byte (the standard library's http.client, which
        # the HTTP stack imports, loads email.parser for HTTP headers: gipr's own use is test_boundary's)
        parent_is_clean(json.loads(probe.read_text()), allow=("email.parser", "email.feedparser"))
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
