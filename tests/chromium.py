"""Debian's chromium through selenium, for the tests that look at a page in a real browser.

A test module calls skip_without_chromium() at its top: where chromium, chromedriver or selenium
are missing, it is skipped, saying why (``scripts/install-chromium`` installs the first two, the
``dev`` extra the third).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

BROWSER = next((p for p in map(shutil.which, ("chromium", "chromium-browser")) if p), None)
DRIVER = shutil.which("chromedriver")


def skip_without_chromium() -> None:
    pytest.importorskip("selenium.webdriver",
                        reason="selenium not installed (pip install -e '.[dev]')")
    if BROWSER is None or DRIVER is None:
        pytest.skip("chromium and chromium-driver not installed (run scripts/install-chromium "
                    "as root)", allow_module_level=True)


def headless_chromium(scratch: Path):
    """A headless chromium that logs every request it makes (network_requests reads them).

    Its profile and the driver's and browser's temporary folders go under ``scratch`` (a pytest
    temporary folder): left to themselves they pile up in /tmp, ~60 folders a day of test runs.
    """
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = BROWSER
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--hide-scrollbars", f"--user-data-dir={scratch / 'profile'}"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    service = Service(DRIVER, env={**os.environ, "TMPDIR": str(scratch)})
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_page_load_timeout(60)  # a page waiting on the network fails, it does not hang
    return driver


def network_requests(driver) -> list[str]:
    """Every URL the page asked for since the last call, from the DevTools performance log."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls
