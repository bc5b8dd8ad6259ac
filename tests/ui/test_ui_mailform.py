"""邮箱设置 in the workbench, against the local SMTP (aiosmtpd) and IMAP (dovecot) servers:
the form writes the settings gipr send / collect --imap read, 测试连接 logs in to both, and a
password goes only into the operating system's credential store (keyring) - or, where this
machine has none (keyring's fail backend, as on this CI), nowhere: it is asked each time."""

from __future__ import annotations

from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail
from keyring.compat import properties
from kit.mailservers import DOVECOT, DOVECOT_REASON, Dovecot, SmtpServer
from kit.uiserver import Server, make_workspace

SMTP_USER, SMTP_PW = "gkb@county.example.cn", "smtp-授权码-77"
IMAP_PW = "imap-口令-3"
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


class CredentialStore(KeyringBackend):
    """A credential store held in memory (stands in for Windows Credential Manager: keyring
    talks to it through the same backend interface)."""

    @properties.classproperty
    def priority(cls):  # never chosen by keyring's discovery: a test sets it explicitly
        raise RuntimeError("set explicitly")

    def __init__(self):
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.items.get((service, username))

    def set_password(self, service, username, password):
        self.items[(service, username)] = password

    def delete_password(self, service, username):
        self.items.pop((service, username), None)


@pytest.fixture
def servers(tmp_path):
    if DOVECOT is None:
        pytest.skip(DOVECOT_REASON)
    smtp = SmtpServer(tmp_path, users={SMTP_USER: SMTP_PW})
    dovecot = Dovecot()
    dovecot.start()
    try:
        yield smtp, dovecot, dovecot.add_user("uiform", IMAP_PW)
    finally:
        dovecot.stop()
        smtp.stop()


def form(smtp, dovecot, imap_user, **kw) -> dict[str, str]:
    f = {"smtp_host": "127.0.0.1", "smtp_port": str(smtp.port), "smtp_security": "none", "smtp_user": "",
         "from_addr": SMTP_USER, "from_name": "灵丘县政务公开办", "deadline": "2026年1月15日",
         "contact": "县政务公开办 张三", "imap_host": "127.0.0.1", "imap_port": str(dovecot.imap_port),
         "imap_security": "none", "imap_user": imap_user, "imap_folder": "", "smtp_password": "", "imap_password": ""}
    f.update(kw)
    return f


def files_containing(root: Path, secret: str) -> list[Path]:
    needles = [secret.encode("utf-8"), secret.encode("utf-16-le")]
    return [p for p in root.rglob("*") if p.is_file() and any(n in p.read_bytes() for n in needles)]


def test_settings_form_without_a_credential_store(tmp_path, servers):
    smtp, dovecot, imap_user = servers
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())  # what keyring chooses on a machine without a store (this CI)
    try:
        _without_store(tmp_path, smtp, dovecot, imap_user)
    finally:
        keyring.set_keyring(previous)


def _without_store(tmp_path, smtp, dovecot, imap_user):
    ws = make_workspace(tmp_path)
    before = (ws / "gipr.toml").read_bytes()
    with Server(ws) as srv, srv.client() as c:
        # the buttons before any setting: a pointer to the page, gipr.toml untouched
        r = c.post("/api/mail/preview", json={"kind": "send"})
        assert r.status_code == 400 and "邮箱设置" in r.json()["error"]["message"]
        assert (ws / "gipr.toml").read_bytes() == before
        page = c.get("/mail-settings").text
        assert "没有可用的系统密码保管库" in page and "测试连接" in page
        # a field left out or wrong is named in her words
        r = c.post("/api/mailsettings/save", json=form(smtp, dovecot, imap_user, from_addr="张三"))
        assert r.status_code == 400 and r.json()["error"]["message"] == "“发件人邮箱”中的“张三”不是有效的邮箱地址。"
        r = c.post("/api/mailsettings/test", json=form(smtp, dovecot, imap_user, smtp_password=SMTP_PW,
                                                       imap_password=IMAP_PW))
        assert r.status_code == 200, r.text
        assert [(x["what"], x["ok"]) for x in r.json()["results"]] == [("smtp", True), ("imap", True)], r.text
        r = c.post("/api/mailsettings/test", json=form(smtp, dovecot, imap_user, smtp_password="wrong",
                                                       imap_password="wrong"))
        res = r.json()["results"]
        assert not r.json()["ok"] and "登录失败" in res[0]["message"] and "登录失败" in res[1]["message"]
        r = c.post("/api/mailsettings/save", json=form(smtp, dovecot, imap_user, smtp_password=SMTP_PW,
                                                       imap_password=IMAP_PW))
        assert r.status_code == 200 and r.json()["stored"] == [] and "没有保存" in r.json()["message"]
        # saved where gipr send reads them; the passwords nowhere
        page = c.get("/mail-settings").text
        assert f'value="{smtp.port}"' in page and 'value="灵丘县政务公开办"' in page
        assert files_containing(ws, SMTP_PW) == [] and files_containing(ws, IMAP_PW) == []
        # the send button now asks for the password (none kept), then sends with the one typed
        plan = c.post("/api/mail/preview", json={"kind": "send"}).json()["counts"]["written"]
        r = c.post("/api/mail/send", json={"kind": "send", "confirm": plan})
        assert r.status_code == 400 and "发件邮箱密码或授权码" in r.json()["error"]["message"]
    from gipr.account.settings import mail_settings
    from gipr.collect.workspace import Workspace

    with Workspace.open(ws) as w:
        s = mail_settings(w)
        assert (s.host, s.port, s.security, s.from_addr, s.deadline) == ("127.0.0.1", smtp.port, "none", SMTP_USER,
                                                                         "2026年1月15日")
        assert w.config["imap"]["user"] == imap_user


def test_passwords_in_the_credential_store(tmp_path, servers):
    smtp, dovecot, imap_user = servers
    store, previous = CredentialStore(), keyring.get_keyring()
    keyring.set_keyring(store)
    try:
        ws = make_workspace(tmp_path)
        with Server(ws) as srv, srv.client() as c:
            r = c.post("/api/mailsettings/save", json=form(smtp, dovecot, imap_user, smtp_password=SMTP_PW,
                                                           imap_password=IMAP_PW))
            assert r.status_code == 200 and r.json()["stored"] == ["smtp", "imap"], r.text
            assert store.items == {("gipr", f"smtp:{SMTP_USER}@127.0.0.1"): SMTP_PW,
                                   ("gipr", f"imap:{imap_user}@127.0.0.1"): IMAP_PW}
            assert "已保存（留空不修改）" in c.get("/mail-settings").text
            # 测试连接 and a send with no password typed: the stored ones
            r = c.post("/api/mailsettings/test", json=form(smtp, dovecot, imap_user))
            assert r.json()["ok"], r.text
            plan = c.post("/api/mail/preview", json={"kind": "send"}).json()["counts"]["written"]
            r = c.post("/api/mail/send", json={"kind": "send", "confirm": plan})
            assert r.status_code == 200, r.text
            assert r.json()["counts"]["sent"] == plan == len(smtp.messages) > 0
            r = c.post("/api/collect", files=[("imap", (None, "1"))])
            assert r.status_code == 200 and r.json()["imap"]["fetched"] == 0, r.text
        assert files_containing(ws, SMTP_PW) == [] and files_containing(ws, IMAP_PW) == []
    finally:
        keyring.set_keyring(previous)
