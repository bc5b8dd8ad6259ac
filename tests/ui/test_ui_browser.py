"""gipr ui in a real browser: Debian's headless Chromium driven by selenium (chromedriver from
the same package; nothing is downloaded).  Each page is saved as a screenshot under the
test's temporary folder (screens/) for a person reviewing the tests."""

from __future__ import annotations

import time

from kit.browser import no_alert, shot, wait
from kit.uiserver import HOSTILE_UNITS, Server, make_workspace, returned

from gipr.collect.workspace import Workspace
from gipr.read import read_report


def badge(drv, code: str) -> str:
    """A unit's status as shown (read in one script: the table is redrawn as data arrives)."""
    return drv.execute_script(
        "const b = document.querySelector(`#units tr[data-code='${arguments[0]}'] .badge`);"
        "return b ? b.textContent : '';", code)


def shown_codes(drv) -> set[str]:
    return set(drv.execute_script(
        "return Array.from(document.querySelectorAll('#units tbody tr'), r => r.dataset.code);"))


def test_workbench_in_chromium(browser, tmp_path):
    from selenium.webdriver.common.by import By

    drv = browser
    ws = make_workspace(tmp_path, hostile=True)
    books = returned(tmp_path)
    with Server(ws) as srv:
        # open: the token URL sets the cookie; the address bar loses the token
        drv.get(f"{srv.base}/?token={srv.token}")
        wait(drv, lambda d: d.find_elements(By.CSS_SELECTOR, "#units tbody tr"), what="the units table")
        assert "token" not in drv.current_url
        assert drv.title.startswith("报送情况")
        # hostile unit names are text: no <img> element, no alert
        for code, name in HOSTILE_UNITS:
            assert drv.execute_script(
                "return document.querySelector(`#units tr[data-code='${arguments[0]}'] a`).textContent", code) == name
        assert drv.execute_script("return document.querySelectorAll('img').length") == 0
        no_alert(drv)
        assert badge(drv, "102") == "未报送" and badge(drv, "105") == "未报送"
        shot(drv, "1-home-empty")

        # upload two workbooks through the file input: both units turn 已接收, no reload
        drv.execute_script("document.body.dataset.marker = 'same-page'")
        drv.find_element(By.ID, "files").send_keys("\n".join(str(p) for p in books[0:3:2]))  # 102 (.xlsx), 105 (.xls)
        wait(drv, lambda d: badge(d, "102") == "已接收" and badge(d, "105") == "已接收", what="both units 已接收")
        assert drv.execute_script("return document.body.dataset.marker") == "same-page"
        results = drv.find_element(By.ID, "collect-results").text
        assert "东河镇" in results and "北岭镇" in results
        assert drv.find_element(By.CSS_SELECTOR, '[data-total="accepted"]').text == "2"
        # the filter by status shows only those two
        from selenium.webdriver.support.ui import Select

        Select(drv.find_element(By.ID, "f-status")).select_by_value("accepted")
        assert shown_codes(drv) == {"102", "105"}
        Select(drv.find_element(By.ID, "f-status")).select_by_value("")
        Select(drv.find_element(By.ID, "f-category")).select_by_value("乡镇")
        shown = shown_codes(drv)
        assert shown and all(c.startswith("1") for c in shown)
        shot(drv, "2-home-after-upload")

        # the 收集 page: a workbook with errors and one identified by its cover name
        drv.find_element(By.LINK_TEXT, "收集").click()
        wait(drv, lambda d: d.find_elements(By.ID, "files"))
        drv.find_element(By.ID, "files").send_keys("\n".join(str(p) for p in (books[1], books[3])))
        wait(drv, lambda d: d.find_element(By.ID, "collect-results").is_displayed(), what="collect results")
        text = drv.find_element(By.ID, "collect-results").text
        assert "有错误" in text and "已接收" in text and "县交通运输局" in text and "县公安局" in text
        shot(drv, "3-collect")

        # a unit with errors: its findings, as gipr check words them
        drv.get(f"{srv.base}/unit/012")
        rows = wait(drv, lambda d: d.find_elements(By.CSS_SELECTOR, "#findings tbody tr.sev-error"), what="findings")
        with Workspace.open(ws) as w:
            cur = w.ledger.current()["012"]
            expected = [f["message"] for f in cur.findings if f["severity"] == "error"]
        shown = [r.find_elements(By.TAG_NAME, "td")[2].text for r in rows]
        assert shown == expected and len(expected) == 2
        assert drv.find_element(By.ID, "feedback").get_attribute("href").endswith(f"/download/feedback/{cur.id}")
        shot(drv, "4-unit-errors")
        # pin the current submission with a note (gipr status --use … --note)
        drv.find_element(By.ID, "pin-note").send_keys("电话确认以此份为准")
        drv.find_element(By.CSS_SELECTOR, "#pin-form button[type=submit]").click()
        history = "const h = document.querySelector('ul.history'); return h ? h.textContent : '';"
        wait(drv, lambda d: "电话确认以此份为准" in d.execute_script(history), what="the pin note (page reloaded)")
        assert "（人工指定）" in drv.execute_script("return document.body.innerText")
        with Workspace.open(ws) as w:
            assert w.ledger.overrides()["012"].note == "电话确认以此份为准"

        # the hostile unit's own page
        drv.get(f"{srv.base}/unit/901")
        wait(drv, lambda d: d.find_elements(By.TAG_NAME, "h1"))
        assert drv.find_element(By.TAG_NAME, "h1").text == HOSTILE_UNITS[0][1]
        assert drv.execute_script("return document.querySelectorAll('img').length") == 0
        no_alert(drv)

        # 模板与发送: generate the zip
        drv.get(f"{srv.base}/templates")
        drv.find_element(By.ID, "make-templates").click()
        link = wait(drv, lambda d: d.find_elements(By.ID, "templates-download"), timeout=60, what="zip link")[0]
        assert link.get_attribute("href").split("/download/templates/")[1]
        shot(drv, "5-templates")

        # 汇总: run it (errors included), see tables 二–四, download the roll-up
        drv.get(f"{srv.base}/merge")
        drv.find_element(By.NAME, "include_errors").click()
        drv.find_element(By.ID, "run-merge").click()
        wait(drv, lambda d: d.find_elements(By.ID, "download-xlsx"), timeout=60, what="merge result")
        assert drv.find_element(By.ID, "n-included").text == "4"
        run = drv.find_element(By.ID, "merge-result").get_attribute("data-run")
        shot(drv, "6-merge")
        drv.find_element(By.ID, "download-xlsx").click()
        got = wait(drv, lambda d: [p for p in d.downloads.iterdir() if p.suffix == ".xlsx"], timeout=30,
                   what="the downloaded roll-up")[0]
        time.sleep(0.2)
        server_copy = ws / "ui" / "merge" / run / "汇总表.xlsx"
        assert got.read_bytes() == server_copy.read_bytes()
        values = read_report(got).values
        assert any(v.number for v in values.values())
        # the annual report document of this merge (gipr report --workspace): generate, download
        drv.find_element(By.ID, "run-report").click()
        wait(drv, lambda d: d.find_element(By.ID, "report-result").is_displayed(), timeout=60, what="report links")
        assert "单位 4 份" in drv.find_element(By.ID, "report-summary").text
        shot(drv, "7-merge-report")
        drv.find_element(By.ID, "download-report").click()
        doc = wait(drv, lambda d: [p for p in d.downloads.iterdir() if p.suffix == ".docx"], timeout=30,
                   what="the downloaded report document")[0]
        rid = drv.find_element(By.ID, "download-report").get_attribute("href").split("/download/report/")[1]
        server_doc = ws / "ui" / "report" / rid.split("/")[0] / "county.docx"
        wait(drv, lambda d: doc.stat().st_size == server_doc.stat().st_size, what="the whole download")
        assert doc.read_bytes() == server_doc.read_bytes() and doc.name.endswith("年度报告.docx")
        no_alert(drv)
    # keep the screenshots next to the test's other files
    assert sorted(p.name for p in drv.screens.iterdir()) == [
        "1-home-empty.png", "2-home-after-upload.png", "3-collect.png", "4-unit-errors.png", "5-templates.png",
        "6-merge.png", "7-merge-report.png"]
