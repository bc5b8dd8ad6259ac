"""gipr ui's 从收件邮箱收取 button (POST /api/collect with imap=1) against a real IMAP server
(Debian's dovecot, as in test_imap.py): the same path as `gipr collect --imap`."""

from __future__ import annotations

import pytest
from kit.mailmaker import make_message
from kit.mailservers import DOVECOT, DOVECOT_REASON, OPENSSL, OPENSSL_REASON, Dovecot, write_mail_config
from kit.uiserver import RETURNED, SOME, Server, make_workspace

pytestmark = [pytest.mark.skipif(DOVECOT is None, reason=DOVECOT_REASON),
              pytest.mark.skipif(OPENSSL is None, reason=OPENSSL_REASON)]
IMAP_PW = "imap-口令-2"


def test_imap_button_collects_like_the_cli(tmp_path):
    dovecot = Dovecot()
    dovecot.start()
    try:
        user = dovecot.add_user("uiimap", IMAP_PW)
        ws = make_workspace(tmp_path)
        write_mail_config(ws, "imap", host="127.0.0.1", port=dovecot.imaps_port, security="ssl", user=user,
                          cafile=str(dovecot.cert))
        name = SOME[0]  # 东河镇 (102)
        dovecot.append(user, make_message([(name, (RETURNED / name).read_bytes(), "rfc2231")],
                                          sender="东河镇 <dhz@example.cn>", message_id="<ui-imap-1@example.cn>"))
        with Server(ws) as srv, srv.client() as c:
            r = c.post("/api/collect", files=[("imap", (None, "1")), ("password", (None, "wrong"))])
            assert r.status_code == 400 and "Traceback" not in r.text
            r = c.post("/api/collect", files=[("imap", (None, "1")), ("password", (None, IMAP_PW))])
            assert r.status_code == 200, r.text
            d = r.json()
            assert d["imap"]["fetched"] == 1 and d["counts"]["new"] == 1
            assert [(o["unit"], o["status"]) for o in d["outcomes"]] == [("102", "accepted")]
            again = c.post("/api/collect", files=[("imap", (None, "1")), ("password", (None, IMAP_PW))]).json()
            assert again["imap"]["fetched"] == 0 and again["counts"]["new"] == 0
            line = next(u for u in c.get("/api/status").json()["units"] if u["code"] == "102")
            assert line["status"] == "accepted"
    finally:
        dovecot.stop()
