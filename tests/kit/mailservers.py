"""Real mail servers on 127.0.0.1 for the mail tests (test support).

* ``SmtpServer``: an aiosmtpd server that records every message it accepts, with knobs to
  reject recipients, drop the connection at RCPT (before the message) or right after the
  message's final dot (the message is kept but the reply never comes), and to hold a
  message until the test says so.  Plain, STARTTLS or implicit TLS, optional AUTH.
* ``Dovecot``: Debian's dovecot (dovecot-imapd) run in the foreground from a generated
  config in a temporary folder: unprivileged (as ``nobody`` when the tests run as root),
  IMAP with STARTTLS and IMAPS on free high ports of 127.0.0.1, one passwd-file per
  throwaway user, maildir mail in the same folder.  No system file is touched.
* ``make_cert``: a self-signed certificate for 127.0.0.1 (openssl).
* ``write_mail_config``: a workspace's [mail] (or [imap]) settings, sender ``FROM`` and the
  servers' password ``PASSWORD``.
"""

from __future__ import annotations

import asyncio
import imaplib
import json
import os
import pwd
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes
from email import policy as _policy
from pathlib import Path

DOVECOT = shutil.which("dovecot") or ("/usr/sbin/dovecot" if os.path.exists("/usr/sbin/dovecot") else None)
OPENSSL = shutil.which("openssl")
DOVECOT_REASON = "dovecot is not installed (Debian: apt-get install dovecot-imapd); .ci/run installs it"
OPENSSL_REASON = "openssl is not installed; it makes the test certificate"
PASSWORD = "s3cret-授权码"
FROM = "gkb@county.example.cn"


def write_mail_config(root: Path, section: str = "mail", **values) -> None:
    lines = [f"\n[{section}]"]
    for k, v in values.items():
        lines.append(f"{k} = {json.dumps(v, ensure_ascii=False) if not isinstance(v, bool) else str(v).lower()}")
    with open(root / "gipr.toml", "a", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_cert(directory: Path) -> tuple[Path, Path]:
    """(cert.pem, key.pem): self-signed for 127.0.0.1 and localhost, valid for 2 days."""
    directory = Path(directory)
    cert, key = directory / "cert.pem", directory / "key.pem"
    if not cert.exists():
        subprocess.run([OPENSSL, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                        "-days", "2", "-subj", "/CN=127.0.0.1",
                        "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                       check=True, capture_output=True, timeout=60)
    return cert, key


# --- SMTP -------------------------------------------------------------------------------------


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self):
        return message_from_bytes(self.data, policy=_policy.default)


@dataclass
class Handler:
    messages: list[Received] = field(default_factory=list)
    reject: set[str] = field(default_factory=set)  # RCPT answered 550
    drop_at_rcpt: dict[str, int] = field(default_factory=dict)  # address → times the connection is closed at its RCPT
    drop_after_data: set[str] = field(default_factory=set)  # message kept, connection closed before the reply (once)
    hold: set[str] = field(default_factory=set)  # DATA waits for ``release`` (once each)
    data_reply: dict[str, str] = field(default_factory=dict)  # address → DATA reply instead of 250 (once each);
    # a 421 reply also closes the connection
    holding: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    connections: int = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.drop_at_rcpt.get(address):
            self.drop_at_rcpt[address] -= 1
            server.transport.close()
            return "421 closing"
        if address in self.reject:
            return "550 5.1.1 <%s>: Recipient address rejected: User unknown" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        rcpts = list(envelope.rcpt_tos)
        for a in rcpts:
            if a in self.data_reply:
                reply = self.data_reply.pop(a)
                if reply.startswith("421"):
                    await server.push(reply)
                    server.transport.close()
                return reply
        self.messages.append(Received(envelope.mail_from, rcpts, envelope.original_content or envelope.content))
        held = [a for a in rcpts if a in self.hold]
        if held:  # the message is in; the reply waits (a client killed now cannot know it was taken)
            for a in held:
                self.hold.discard(a)
            self.holding.set()
            while not self.release.is_set():
                await asyncio.sleep(0.02)
        dropped = [a for a in rcpts if a in self.drop_after_data]
        if dropped:
            for a in dropped:
                self.drop_after_data.discard(a)
            server.transport.close()
        return "250 2.0.0 Ok: queued"

    def to(self, addr: str) -> list[Received]:
        return [m for m in self.messages if addr in m.rcpt_tos]


class SmtpServer:
    """An aiosmtpd Controller on a free port.  ``security``: none | starttls | ssl."""

    def __init__(self, tmp: Path, *, security: str = "none", users: dict[str, str] | None = None):
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult

        self.handler = Handler()
        self.port = free_port()
        self.users = users or {}
        self.cert = None
        kw: dict = {}
        if security != "none":
            self.cert, key = make_cert(tmp)
            ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ctx.load_cert_chain(str(self.cert), str(key))
            if security == "starttls":
                kw.update(tls_context=ctx, require_starttls=True)
            else:
                kw.update(ssl_context=ctx)
        if self.users:
            def authenticator(server, session, envelope, mechanism, auth_data):
                try:
                    user = auth_data.login.decode()
                    pw = auth_data.password.decode()
                except AttributeError:
                    return AuthResult(success=False, handled=False)
                return AuthResult(success=self.users.get(user) == pw, handled=False)

            # implicit TLS is invisible to aiosmtpd's check, so only STARTTLS may require it
            kw.update(authenticator=authenticator, auth_required=True, auth_require_tls=security == "starttls")
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, **kw)
        self.controller.start()

    @property
    def messages(self) -> list[Received]:
        return self.handler.messages

    def stop(self) -> None:
        self.handler.release.set()
        self.controller.stop()


# --- IMAP (dovecot) ---------------------------------------------------------------------------


class Dovecot:
    """A private dovecot instance; ``add_user()`` makes a fresh, empty mailbox account."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="gipr-dovecot-"))
        self.imap_port = free_port()
        self.imaps_port = free_port()
        self.proc: subprocess.Popen | None = None
        self.users: dict[str, str] = {}
        if os.geteuid() == 0:
            ent = pwd.getpwnam("nobody")
        else:
            ent = pwd.getpwuid(os.geteuid())
        self.run_uid, self.run_gid, self.run_user = ent.pw_uid, ent.pw_gid, ent.pw_name
        import grp

        self.run_group = grp.getgrgid(self.run_gid).gr_name
        self.cert, self.key = make_cert(self.root)
        # One passwd-file per user (the path has %u in it), never one shared file: dovecot 2.3
        # stats a passwd-file at most once per second and rereads it only when its mtime
        # (whole seconds) or size changed, so a user added to a shared file in the same second
        # as another login was unknown to it -- [AUTHENTICATIONFAILED] whenever a test's first
        # login came within a second of the previous test's last one.  A new user's file is
        # a path dovecot has never looked at, so it is read fresh on the first login.
        self.passwd_dir = self.root / "passwd.d"
        self.passwd_dir.mkdir()
        self.conf = self.root / "dovecot.conf"
        self.conf.write_text(self._config())
        for p in [self.root, *self.root.iterdir()]:
            os.chown(p, self.run_uid, self.run_gid)

    def _config(self) -> str:
        r, u, g = self.root, self.run_user, self.run_group
        return f"""\
base_dir = {r}/run
state_dir = {r}/state
log_path = {r}/dovecot.log
instance_name = gipr-test-{self.imap_port}
protocols = imap
listen = 127.0.0.1
default_login_user = {u}
default_internal_user = {u}
default_internal_group = {g}
ssl = yes
ssl_cert = <{self.cert}
ssl_key = <{self.key}
disable_plaintext_auth = no
auth_mechanisms = plain login
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {self.passwd_dir}/%u
}}
userdb {{
  driver = static
  args = uid={self.run_uid} gid={self.run_gid} home={r}/home/%u
}}
first_valid_uid = 1
first_valid_gid = 1
mail_location = maildir:~/Maildir
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.imap_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {self.imaps_port}
  }}
}}
service anvil {{
  chroot =
}}
service stats {{
  chroot =
}}
service auth {{
  user = {u}
}}
service auth-worker {{
  user = {u}
}}
"""

    def start(self) -> None:
        kw: dict = {}
        if os.geteuid() == 0:
            kw = {"user": self.run_uid, "group": self.run_gid, "extra_groups": []}
        self.out = open(self.root / "stdout.txt", "wb")  # noqa: SIM115 - open while dovecot runs, closed in stop()
        self.proc = subprocess.Popen([DOVECOT, "-F", "-c", str(self.conf)], stdout=self.out, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, **kw)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("dovecot exited: " + (self.root / "stdout.txt").read_text(errors="replace")
                                   + self._log())
            try:
                with socket.create_connection(("127.0.0.1", self.imap_port), timeout=1) as s:
                    if s.recv(100).startswith(b"* OK"):
                        return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("dovecot did not start: " + self._log())

    def _log(self) -> str:
        p = self.root / "dovecot.log"
        return p.read_text(errors="replace") if p.exists() else ""

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        if getattr(self, "out", None):
            self.out.close()
        shutil.rmtree(self.root, ignore_errors=True)

    def add_user(self, name: str, password: str = "secret") -> str:
        """A new account (a name never used before: dovecot would not notice a changed
        password within the same second).  Its passwd-file appears whole (write, rename)."""
        if name in self.users or not name.isascii() or not name.isalnum():
            raise ValueError(f"add_user needs a new ASCII letters-and-digits name, not {name!r}")
        self.users[name] = password
        tmp = self.passwd_dir / f".{name}.tmp"
        tmp.write_text(f"{name}:{{PLAIN}}{password}\n", encoding="utf-8")
        os.chown(tmp, self.run_uid, self.run_gid)
        os.replace(tmp, self.passwd_dir / name)
        return name

    def client(self, user: str, *, tls: bool = True) -> imaplib.IMAP4:
        ctx = ssl.create_default_context(cafile=str(self.cert))
        from gipr.collect.imap import imap_login

        c = imaplib.IMAP4_SSL("127.0.0.1", self.imaps_port, ssl_context=ctx, timeout=30)
        imap_login(c, user, self.users[user])
        return c

    def append(self, user: str, raw: bytes, folder: str = "INBOX", flags: str | None = None) -> None:
        from gipr.collect.imap import encode_mailbox

        c = self.client(user)
        try:
            if folder != "INBOX":
                c.create(encode_mailbox(folder))
            typ, data = c.append(encode_mailbox(folder), flags, None, raw)
            assert typ == "OK", data
        finally:
            c.logout()

    def flags_and_count(self, user: str, folder: str = "INBOX") -> tuple[int, list[bytes]]:
        from gipr.collect.imap import encode_mailbox

        c = self.client(user)
        try:
            _typ, data = c.select(encode_mailbox(folder), readonly=True)
            n = int(data[0])
            _typ, data = c.fetch("1:*", "(FLAGS)") if n else ("OK", [])
            return n, [d for d in data if isinstance(d, bytes)]
        finally:
            c.logout()
