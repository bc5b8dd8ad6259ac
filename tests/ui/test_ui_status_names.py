"""The workbench names a submission's status as gipr.messages.SUBMISSION_STATUS_ZH does: the
pages (Jinja) and app.js (given the names by the page) hold no copy of their own.  (ui/pages.py
and ui/static/app.js each kept one; a status renamed in the catalogue kept its old name there.)"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

from kit.uiserver import Server, make_workspace

import gipr.ui
from gipr.messages import SUBMISSION_STATUS_ZH

UI = Path(gipr.ui.__file__).parent
# a status code mapped to a Chinese text: "accepted": "已接收" (Python), accepted: "已接收" (JS)
STATUS_LITERAL = re.compile(r"""["']?\b(%s)\b["']?\s*:\s*["'][^"']*[\u4e00-\u9fff]""" % "|".join(SUBMISSION_STATUS_ZH))


def test_no_status_names_of_its_own_in_the_ui():
    copies = []
    for p in sorted([*UI.glob("*.py"), *UI.glob("templates/*.html"), *UI.glob("static/*.js")]):
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1):
            if STATUS_LITERAL.search(line):
                copies.append(f"{p.relative_to(UI)}:{n}: {line.strip()[:80]}")
    assert not copies, "status names outside gipr.messages.SUBMISSION_STATUS_ZH:\n" + "\n".join(copies)


def test_pages_and_script_take_the_names_from_the_catalogue(tmp_path, monkeypatch):
    monkeypatch.setitem(SUBMISSION_STATUS_ZH, "accepted", "已收妥")  # a status renamed
    with Server(make_workspace(tmp_path)) as srv, srv.client() as c:
        page = c.get("/").text
    given = re.search(r"<body data-status-zh='([^']*)'>", page)
    assert given, "the page gives app.js the status names"
    assert json.loads(html.unescape(given.group(1))) == SUBMISSION_STATUS_ZH
    assert '<span class="badge s-accepted">已收妥 ' in page and "已接收" not in page
