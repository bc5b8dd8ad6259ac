"""The reader's time limit holds inside gipr ui, where handlers run in worker threads (a
SIGALRM-style limit would not fire there): an uploaded workbook that takes longer to read
than the limit is recorded as unreadable (file.timeout), the request ends, and the next
file of the same request is collected as usual."""

from __future__ import annotations

import time

from kit.corpus import Kit, slow_workbook
from kit.uiserver import Server, make_workspace

from gipr.collect import collect as collect_mod


def test_slow_upload_ends_within_the_read_limit(tmp_path, monkeypatch):
    kit = Kit()
    slow = slow_workbook(kit)
    ws = make_workspace(tmp_path)
    monkeypatch.setattr(collect_mod, "MAX_READ_SECONDS", 0.05)
    with Server(ws) as srv, srv.client() as c:
        t = time.monotonic()
        r = c.post("/api/collect", files=[("files", ("慢.xlsx", slow, "application/octet-stream")),
                                          ("files", ("正常.xlsx", kit.good, "application/octet-stream"))])
        took = time.monotonic() - t
        assert r.status_code == 200, r.text
        by = {o["file_name"]: o for o in r.json()["outcomes"]}
        assert by["慢.xlsx"]["status"] == "unreadable" and by["慢.xlsx"]["code"] == "file.timeout"
        assert by["正常.xlsx"]["status"] in ("accepted", "errors", "unidentified")
        assert took < 60, took  # generous: the point is that the request ends at all
