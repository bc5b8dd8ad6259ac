"""`gipr send --dry-run` and `gipr remind --dry-run` preview the mails before [mail] is filled
in: the roster gives the recipients, a placeholder sender (preview@gipr.invalid) stands in
for the sender, and the command says so in Chinese.  Sending for real still refuses."""

from __future__ import annotations

import email
import email.policy
import json
import os
import subprocess
import sys
from pathlib import Path

from kit.paths import REPO

from gipr.collect.workspace import Workspace
from gipr.mail import PREVIEW_FROM, send_history
from gipr.roster import load_roster
from gipr.template import template_filename

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

ROOT = REPO
ROSTER = ROOT / "examples" / "roster.csv"


def gipr(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if "PASSWORD" not in k}
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    return subprocess.run([sys.executable, "-m", "gipr.cli", *args], capture_output=True, text=True,
                          encoding="utf-8", timeout=300, stdin=subprocess.DEVNULL, env=env)


def _flat(text: str) -> str:
    return "".join(text.split())


def _mail(path: Path):
    return email.message_from_bytes(path.read_bytes(), policy=email.policy.default)


def test_send_preview_before_mail_is_configured(tmp_path):
    root = tmp_path / "ws"
    Workspace.create(root, 2025, ROSTER, county="示例县").close()
    assert "[mail]" not in (root / "gipr.toml").read_text(encoding="utf-8")
    out = tmp_path / "outbox"
    r = gipr("send", "-w", str(root), "--dry-run", "-o", str(out))
    units = load_roster(ROSTER)
    with_mail = [u for u in units if u.email]
    assert r.returncode == (0 if len(with_mail) == len(units) else 1), r.stderr
    said = _flat(r.stdout)
    assert "还没有设置发件邮箱" in said and PREVIEW_FROM in said and "[mail]" in said and "from_addr" in said
    files = sorted(out.glob("*.eml"))
    assert len(files) == len(with_mail) >= 24
    u = with_mail[0]
    m = _mail(out / f"{u.code}_{u.name}.eml")
    assert m["From"].addresses[0].addr_spec == PREVIEW_FROM
    assert m["To"].addresses[0].addr_spec == u.email
    assert m.get_content_type() == "multipart/mixed"
    assert [p.get_filename() for p in m.iter_attachments()] == [template_filename(2025, u)]
    # the section to fill in is now in gipr.toml; nothing was recorded as sent
    cfg = tomllib.loads((root / "gipr.toml").read_text(encoding="utf-8"))
    assert "mail" in cfg
    ws = Workspace.open(root)
    try:
        assert send_history(ws.ledger) == []
    finally:
        ws.close()
    # sending for real still needs the settings
    r = gipr("send", "-w", str(root), "--only", u.code)
    assert r.returncode == 2 and "from_addr" in r.stderr and "Traceback" not in r.stderr


def test_remind_preview_and_json_say_so(tmp_path):
    root = tmp_path / "ws"
    Workspace.create(root, 2025, ROSTER, county="示例县").close()
    out = tmp_path / "eml"
    r = gipr("remind", "-w", str(root), "--dry-run", "-o", str(out), "--only", "001,002", "--json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["dry_run"] is True and data["counts"]["written"] == 2
    assert len(data["notes"]) == 1 and PREVIEW_FROM in data["notes"][0]
    for f in sorted(out.glob("*.eml")):
        m = _mail(f)
        assert m["From"].addresses[0].addr_spec == PREVIEW_FROM
        assert "报送" in m.get_body(("plain",)).get_content()


def test_a_configured_sender_is_used_and_no_note(tmp_path):
    root = tmp_path / "ws"
    Workspace.create(root, 2025, ROSTER, county="示例县").close()
    with open(root / "gipr.toml", "a", encoding="utf-8") as f:
        f.write('\n[mail]\nfrom_addr = "gkb@county.example.cn"\nfrom_name = "示例县政务公开办"\n')  # no host yet
    out = tmp_path / "eml"
    r = gipr("send", "-w", str(root), "--dry-run", "-o", str(out), "--only", "001", "--json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["notes"] == [] and data["counts"]["written"] == 1
    m = _mail(next(out.glob("*.eml")))
    assert m["From"].addresses[0].addr_spec == "gkb@county.example.cn"
