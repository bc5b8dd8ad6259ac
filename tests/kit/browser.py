"""Debian's headless Chromium driven by selenium (chromedriver from the same package; nothing
is downloaded), for the workbench's browser tests: ``chromium`` (the ``browser`` fixture of
tests/ui/conftest.py), ``wait``, ``shot`` (a screenshot of the whole page under the test's
temporary folder, screens/), ``no_alert``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
         "--window-size=1280,1000", "--lang=zh-CN"]


def chromium(tmp_path: Path) -> Iterator:
    """Headless Chromium (selenium) with its downloads and screenshots under tmp_path; skips the
    test when selenium, Chromium or chromedriver is missing."""
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install selenium)")
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.skip("Chromium and chromedriver are not installed (Debian: apt-get install chromium chromium-driver)")
    from selenium.webdriver.chrome.service import Service

    downloads = tmp_path / "downloads"
    downloads.mkdir()
    opts = webdriver.ChromeOptions()
    opts.binary_location = str(CHROMIUM)
    for f in FLAGS:
        opts.add_argument(f)
    opts.add_argument(f"--user-data-dir={tmp_path / 'profile'}")
    opts.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                           "download.prompt_for_download": False})
    drv = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=opts)
    drv.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    drv.set_page_load_timeout(60)
    drv.downloads = downloads
    drv.screens = tmp_path / "screens"
    drv.screens.mkdir()
    try:
        yield drv
    finally:
        drv.quit()


def wait(drv, cond, timeout=30.0, what="condition"):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(drv, timeout, poll_frequency=0.1).until(lambda d: cond(d), message=what)


def shot(drv, name: str) -> None:
    """The whole page (the window is stretched to its height for the picture)."""
    h = drv.execute_script("return document.documentElement.scrollHeight")
    drv.set_window_size(1280, min(max(h, 800), 5000) + 140)
    drv.save_screenshot(str(drv.screens / f"{name}.png"))
    drv.set_window_size(1280, 1000)


def no_alert(drv) -> None:
    from selenium.common.exceptions import NoAlertPresentException

    try:
        text = drv.switch_to.alert.text
    except NoAlertPresentException:
        return
    pytest.fail(f"an alert fired: {text!r}")
