"""The home page says what to do next (missing, wrong, unassigned files, each with the button
that acts), the counters count the unassigned files, the collect results say why a file is
not simply accepted and link to its unit, and the mail preview shows each unit's letter."""

from __future__ import annotations

import re

from kit.clerkwords import visible_text
from kit.mailservers import SmtpServer
from kit.uiserver import Server, make_workspace, returned, upload


def test_next_steps_collect_reasons_and_the_letter(tmp_path):
    ws = make_workspace(tmp_path)
    books = returned(tmp_path)
    junk = tmp_path / "扫描件.xlsx"
    junk.write_bytes(b"this is a scanned picture, not a workbook")
    with Server(ws) as srv, srv.client() as c:
        r = upload(c, books + [junk])
        assert r.status_code == 200, r.text
        outs = {o["file_name"]: o for o in r.json()["outcomes"]}
        bad = outs["2025年度政府信息公开统计表_县交通运输局.xlsx"]
        assert bad["status"] == "errors" and bad["unit_name"] == "县交通运输局"
        first = c.get(f"/api/unit/{bad['unit']}").json()["findings"][0]
        assert bad["why"].startswith("“") and first["message"] in bad["why"] and "另有" in bad["why"]
        assert outs["扫描件.xlsx"]["why"] and outs["扫描件.xlsx"]["unit"] is None
        home = c.get("/").text
        nxt = visible_text(home.split('id="next"')[1].split("</section>")[0])
        assert "1 份文件没有归入任何单位" in nxt and "扫描件.xlsx" in nxt and "归入这个单位" in nxt
        assert re.search(r"有错误：请单位改正", nxt) and "县交通运输局：2处错误" in re.sub(r"\s+", "", nxt)
        assert f'href="/unit/{bad["unit"]}"' in home.split('id="next"')[1]
        assert "26 个单位还没有报送" in nxt and 'href="/templates#remind"' in home
        assert re.search(r'未归入单位的文件 <b data-total="unattached">1</b>', home)
        # the panel's button files it under a unit
        sub = outs["扫描件.xlsx"]["submission"]
        assert c.post("/api/pin", json={"unit": "001", "submission": str(sub), "note": ""}).status_code == 200
        home = c.get("/").text
        assert "没有归入任何单位" not in home and re.search(r'data-total="unattached">0<', home)
        # the unit's page shows that file as the one used, chosen in the form (not another one)
        unit = c.get("/unit/001").text
        assert re.search(r'<option value="%d" selected>[^<]*扫描件.xlsx' % sub, unit)
        assert "采用（人工指定）：扫描件.xlsx" in re.sub(r"\s+", "", visible_text(unit))
        assert unit.count("扫描件.xlsx（") == 2  # once in the list of submissions, once in the form
        assert "#%d" % sub not in visible_text(unit)
        # a unit that sent nothing (and has nothing to choose from) has no pin form
        assert 'id="pin-form"' not in c.get("/unit/002").text
        # the letter each unit will get
        smtp = SmtpServer(tmp_path)
        try:
            c.post("/api/mailsettings/save", json={"smtp_host": "127.0.0.1", "smtp_port": str(smtp.port),
                                                   "smtp_security": "none", "from_addr": "gk@county.example.cn",
                                                   "from_name": "灵丘县政务公开办", "deadline": "2026年1月15日"})
            d = c.post("/api/mail/preview", json={"kind": "remind"}).json()
        finally:
            smtp.stop()
        assert "outbox" not in d and all("path" not in o for o in d["outcomes"])
        written = [o for o in d["outcomes"] if o["status"] == "written"]
        assert written and all(o["letter"]["subject"] == o["subject"] for o in written)
        traffic = next(o for o in written if o["unit"] == bad["unit"])
        assert "县交通运输局" in traffic["letter"]["text"] and "2026年1月15日" in traffic["letter"]["text"]
        assert traffic["letter"]["attachments"] and traffic["letter"]["attachments"][0].endswith(".xlsx")
        assert "灵丘县政务公开办" in traffic["letter"]["from"]
        assert not any((ws / "ui" / "outbox").iterdir())
