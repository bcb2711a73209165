"""The /docs page in a real browser (Debian's chromium): it asks for nothing but itself, and
neither a wide window nor a 400 px phone scrolls sideways. Skips, saying why, without chromium."""

from tests.chromium import network_requests, skip_without_chromium

skip_without_chromium()

LAYOUT = """
const doc = document.documentElement;
return {scrollWidth: doc.scrollWidth, clientWidth: doc.clientWidth,
        heading: document.querySelector('h1').textContent,
        tables: document.querySelectorAll('table').length};
"""
PHONE = {"width": 400, "height": 800, "deviceScaleFactor": 1, "mobile": False}


def test_the_docs_page_in_chromium_asks_for_nothing_else_and_fits_a_phone(browser, qc_server):
    page = qc_server.url + "/docs"
    seen = {}
    browser.set_window_size(1200, 900)
    browser.get_log("performance")  # drop what earlier pages logged
    browser.get(page)
    requests = network_requests(browser)
    seen["wide"] = browser.execute_script(LAYOUT)
    # a headless window does not go below 500 px: the phone's width is set through DevTools
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", PHONE)
    try:
        browser.get(page)
        seen["phone"] = browser.execute_script(LAYOUT)
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    assert requests == [page]
    assert seen["phone"]["clientWidth"] == 400
    for layout in seen.values():
        assert layout["scrollWidth"] <= layout["clientWidth"], seen
        assert layout["heading"].startswith("shoprel relevance API")
        assert layout["tables"] >= 10  # request models, answers, response models
