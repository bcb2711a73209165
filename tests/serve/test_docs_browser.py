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


def test_the_docs_open_in_chromium_on_a_server_with_a_key(browser, qc_run, start_server):
    """A browser sends no Authorization header: with --api-key the page (through the /redoc
    link too) and its schema open all the same, while /metrics still answers 401."""
    import json

    from shoprel.serve import ServeSettings, create_app

    text = "return document.body.innerText"
    with start_server(create_app(qc_run, ServeSettings(api_key="s3cret-key"))) as live:
        browser.get(live.url + "/redoc")
        assert browser.current_url == live.url + "/docs"
        heading = browser.execute_script("return document.querySelector('h1').textContent")
        browser.get(live.url + "/openapi.json")
        schema = json.loads(browser.execute_script(text))
        browser.get(live.url + "/metrics")
        metrics = browser.execute_script(text)
    assert heading.startswith("shoprel relevance API")
    assert set(schema["paths"]) == {"/v1/score", "/healthz", "/readyz", "/metrics"}
    assert "missing or wrong API key" in metrics
