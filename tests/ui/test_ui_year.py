"""The clerk's whole year in Chromium at 1366×768, without a terminal: the empty start page,
a year created from a roster upload (a bad roster first: its rows listed), mail settings
tested against the local SMTP (aiosmtpd) and IMAP (dovecot) servers, templates made and sent,
returns collected by upload and from the mailbox, an unassigned file filed under its unit, a
unit's submission pinned, the merge with last year's roll-up marking 需核对, and the report
downloaded.  Every page is photographed (screens/ in the test's folder) and its text scanned
for internal words."""

from __future__ import annotations

import re
import shutil

import keyring
import pytest
from keyring.backends import fail
from kit.browser import no_alert, wait
from kit.clerkwords import internal_words
from kit.mailmaker import make_message
from kit.mailservers import DOVECOT, DOVECOT_REASON, Dovecot, SmtpServer
from kit.paths import EXAMPLES
from kit.uiserver import RETURNED, Server

SMTP_USER, SMTP_PW, IMAP_PW = "zwgk@county.example.cn", "发件-授权码-1", "收件-口令-2"
BY_MAIL = "2025年度政府信息公开统计表_东河镇人民政府.xlsx"
MAIL_WORDS = ("smtp.163.com", "imap.163.com", "INBOX", "SSL", "STARTTLS")
pytestmark = [pytest.mark.skipif(DOVECOT is None, reason=DOVECOT_REASON),
              pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")]


def page(drv, name: str, *, allowed=()) -> str:
    """Photograph the page (whole height) and check its text has no internal words."""
    from selenium.webdriver.common.by import By

    text = drv.find_element(By.TAG_NAME, "body").text
    bad = internal_words(text, allowed)
    assert bad == [], (name, bad[:5])
    h = drv.execute_script("return document.documentElement.scrollHeight")
    drv.set_window_size(1366, min(max(h, 768), 6000) + 140)
    drv.save_screenshot(str(drv.screens / f"{name}.png"))
    drv.set_window_size(1366, 768)
    no_alert(drv)
    return text


def fill(drv, el_id: str, value: str) -> None:
    from selenium.webdriver.common.by import By

    e = drv.find_element(By.ID, el_id)
    e.clear()
    e.send_keys(value)


def test_the_clerks_year_without_a_terminal(browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    drv = browser
    drv.set_window_size(1366, 768)
    previous_keyring = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())  # as on a PC without a credential store: passwords asked each time
    smtp = SmtpServer(tmp_path, users={SMTP_USER: SMTP_PW})
    dovecot = Dovecot()
    dovecot.start()
    try:
        imap_user = dovecot.add_user("clerk", IMAP_PW)
        dovecot.append(imap_user, make_message([(BY_MAIL, (RETURNED / BY_MAIL).read_bytes(), "rfc2231")],
                                               sender="东河镇 <dhz@example.cn>", message_id="<year-1@example.cn>"))
        files = tmp_path / "回收的报表"
        files.mkdir()
        for p in RETURNED.iterdir():
            if p.name != BY_MAIL:
                shutil.copyfile(p, files / p.name)
        (files / "扫描件.xlsx").write_bytes(b"a scanned page, not a workbook")
        bad_roster = tmp_path / "名册（有误）.csv"
        bad_roster.write_text("单位代码,单位名称,类别,联系人,邮箱\n001,县人民政府办公室,县直部门,王丽,xzfb@example.cn\n"
                              ",县发展和改革局,县直部门,李强,fgj@example.cn\n", encoding="utf-8")
        with Server(None) as srv:
            # 1. the empty start page
            drv.get(f"{srv.base}/?token={srv.token}")
            wait(drv, lambda d: d.find_elements(By.ID, "create-form"), what="the start page")
            assert drv.current_url.endswith("/start")
            page(drv, "01-start")
            fill(drv, "new-year", "2025")
            fill(drv, "new-county", "灵丘县")
            fill(drv, "new-parent", str(tmp_path / "年报"))
            drv.find_element(By.ID, "new-roster").send_keys(str(bad_roster))
            drv.find_element(By.ID, "create-submit").click()
            wait(drv, lambda d: d.find_element(By.ID, "roster-problems").is_displayed(), what="the roster's rows")
            assert "第 3 行（县发展和改革局）：单位代码为空" in drv.find_element(By.ID, "roster-problems").text
            page(drv, "02-start-roster-rows")
            # the message stays until she closes it
            toast = drv.find_element(By.ID, "toast")
            assert toast.is_displayed() and "1 行需要修改" in toast.text
            toast.find_element(By.CSS_SELECTOR, "button.close").click()
            assert not toast.is_displayed()
            drv.find_element(By.ID, "new-roster").send_keys(str(EXAMPLES / "roster.csv"))
            drv.find_element(By.ID, "create-submit").click()
            wait(drv, lambda d: d.title.startswith("报送情况"), what="the new year's home page")
            assert "31 个单位还没有报送" in drv.find_element(By.ID, "next").text
            page(drv, "03-home-new-year")

            # 2. mail settings, tested against the local servers
            drv.find_element(By.LINK_TEXT, "邮箱设置").click()
            wait(drv, lambda d: d.find_elements(By.ID, "mail-form"))
            for k, v in (("smtp_host", "127.0.0.1"), ("smtp_port", str(smtp.port)), ("from_addr", SMTP_USER),
                         ("from_name", "灵丘县政务公开办"), ("smtp_password", SMTP_PW), ("deadline", "2026年1月15日"),
                         ("imap_host", "127.0.0.1"), ("imap_port", str(dovecot.imap_port)),
                         ("imap_user", imap_user), ("imap_password", IMAP_PW)):
                fill(drv, k, v)
            Select(drv.find_element(By.ID, "smtp_security")).select_by_value("none")
            Select(drv.find_element(By.ID, "imap_security")).select_by_value("none")
            drv.find_element(By.ID, "mail-test").click()
            wait(drv, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#mail-test-results li.ok")) == 2,
                 what="both servers answer")
            page(drv, "04-mail-settings-tested", allowed=MAIL_WORDS + (imap_user,))
            drv.find_element(By.ID, "mail-save").click()
            wait(drv, lambda d: "已保存" in d.find_element(By.ID, "mail-test-results").text, what="saved")

            # 3. templates and the letters, then send (the password typed: no store here)
            drv.find_element(By.LINK_TEXT, "模板与发送").click()
            drv.find_element(By.ID, "make-templates").click()
            wait(drv, lambda d: d.find_elements(By.ID, "templates-download"), timeout=60, what="the templates zip")
            drv.find_element(By.ID, "preview-send").click()
            wait(drv, lambda d: d.find_element(By.ID, "mail-preview").is_displayed(), what="the letters")
            drv.find_element(By.CSS_SELECTOR, "#mail-preview details.letter summary").click()
            letter = drv.find_element(By.CSS_SELECTOR, "#mail-preview details.letter").text
            assert "2026年1月15日" in letter and ".xlsx" in letter
            page(drv, "05-templates-letters")
            fill(drv, "smtp-password", SMTP_PW)
            drv.find_element(By.ID, "mail-send").click()
            drv.switch_to.alert.accept()  # 确定要发送模板吗？将给 31 个单位发送邮件
            wait(drv, lambda d: "已发送 31 个单位" in d.find_element(By.ID, "mail-summary").text, timeout=60,
                 what="31 letters sent")
            assert len(smtp.messages) == 31

            # 4. collect: the returns by upload, one from the mailbox
            drv.find_element(By.LINK_TEXT, "收集").click()
            drv.find_element(By.ID, "files").send_keys("\n".join(str(p) for p in sorted(files.iterdir())))
            wait(drv, lambda d: d.find_element(By.ID, "collect-results").is_displayed(), timeout=60,
                 what="collect results")
            row = drv.find_element(By.XPATH, "//table[@id='collect-results']//tr[td[text()="
                                             "'2025年度政府信息公开统计表_县交通运输局.xlsx']]")
            assert row.find_element(By.TAG_NAME, "a").get_attribute("href").endswith("/unit/012")
            assert "另有" in row.text  # why: the first error, and how many more
            fill(drv, "imap-password", IMAP_PW)
            drv.find_element(By.ID, "imap").click()
            wait(drv, lambda d: "本次收取 1 封" in d.find_element(By.ID, "collect-summary").text, timeout=60,
                 what="the mailbox's return")
            page(drv, "06-collect")

            # 5. the home page's next steps: file the scanned page under the unit that sent it
            drv.find_element(By.LINK_TEXT, "报送情况").click()
            nxt = wait(drv, lambda d: d.find_element(By.ID, "next"))
            assert "1 份文件没有归入任何单位" in nxt.text and "扫描件.xlsx" in nxt.text
            page(drv, "07-home-next-steps")
            form = drv.find_element(By.CSS_SELECTOR, ".assign-form")
            Select(form.find_element(By.TAG_NAME, "select")).select_by_visible_text("白沙乡人民政府")
            form.find_element(By.TAG_NAME, "button").click()
            next_text = "const n = document.getElementById('next'); return n ? n.textContent : '';"

            def filed(d) -> bool:  # the page reloads: read the panel in one script
                t = d.execute_script(next_text)
                return "下一步" in t and "没有归入任何单位" not in t

            wait(drv, filed, what="the scanned page filed under 白沙乡")

            # 6. a unit with errors: pin its submission with a note
            drv.get(f"{srv.base}/unit/012")
            wait(drv, lambda d: d.find_elements(By.ID, "findings"))
            fill(drv, "pin-note", "电话确认以此份为准")
            drv.find_element(By.ID, "pin-submit").click()
            wait(drv, lambda d: "电话确认以此份为准" in d.find_element(By.CSS_SELECTOR, "ul.history").text,
                 what="the pin in the history")
            page(drv, "08-unit-pinned")

            # 7. merge with last year's roll-up: 县卫生健康局 需核对
            drv.find_element(By.LINK_TEXT, "汇总").click()
            drv.find_element(By.NAME, "include_errors").click()
            drv.find_element(By.NAME, "previous").send_keys(str(EXAMPLES / "2024年度汇总.xlsx"))
            drv.find_element(By.ID, "run-merge").click()
            wait(drv, lambda d: d.find_elements(By.ID, "year-breaks"), timeout=60, what="the merge result")
            assert "县卫生健康局 需核对" in drv.find_element(By.ID, "year-breaks").text
            assert "2024年度汇总.xlsx" in drv.find_element(By.ID, "year-summary").text
            page(drv, "09-merge")
            drv.find_element(By.LINK_TEXT, "报送情况").click()
            wait(drv, lambda d: d.find_elements(By.CSS_SELECTOR, "#units tr[data-code='017'] .s-review"),
                 what="需核对 on the home page")
            page(drv, "10-home-review")
            drv.get(f"{srv.base}/unit/017")
            assert "与上年数据不衔接" in drv.find_element(By.ID, "review").text
            page(drv, "11-unit-review")

            # 8. the annual report, downloaded
            drv.find_element(By.LINK_TEXT, "汇总").click()
            drv.find_element(By.ID, "run-report").click()
            # the documents take a few seconds: after half a second the button says so
            busy = "const b = document.getElementById('run-report'); return [b.textContent, b.disabled];"
            wait(drv, lambda d: d.execute_script(busy) == ["正在处理…", True] or
                 d.find_element(By.ID, "report-result").is_displayed(), what="busy")
            assert drv.execute_script(busy) == ["正在处理…", True], "the report was ready before half a second"
            wait(drv, lambda d: d.find_element(By.ID, "report-result").is_displayed(), timeout=90, what="the report")
            assert drv.execute_script(busy) == ["生成年度报告（Word）", False]
            page(drv, "12-merge-report")
            drv.find_element(By.ID, "download-report").click()
            doc = wait(drv, lambda d: [p for p in d.downloads.iterdir() if p.suffix == ".docx"], timeout=30,
                       what="the downloaded report")[0]
            rid = drv.find_element(By.ID, "download-report").get_attribute("href").split("/download/report/")[1]
            server_doc = next((tmp_path / "年报").glob("*/ui/report")) / rid.split("/")[0] / "county.docx"
            wait(drv, lambda d: doc.stat().st_size == server_doc.stat().st_size, what="the whole download")
            assert doc.read_bytes() == server_doc.read_bytes() and doc.name == "灵丘县2025年政府信息公开工作年度报告.docx"
            import docx

            text = "\n".join(p.text for p in docx.Document(str(doc)).paragraphs)
            assert "与上年不衔接" in text and re.search(r"同比(增加|减少)\d+件", text)
    finally:
        keyring.set_keyring(previous_keyring)
        dovecot.stop()
        smtp.stop()
    assert len(list(drv.screens.iterdir())) == 12
