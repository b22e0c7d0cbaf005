"""The Society's and the LSP admin's pages in a real browser (Debian's chromium driven by Playwright,
served by `emitra serve` with the demo district and its cases: tests/test_browser.py's fixtures):
on the counter's own 1024x600 kiosk screen and on a 360-pixel phone, in English and Hindi, with
JavaScript off, no page is wider than the screen (decision 198)."""

from __future__ import annotations

import pytest

from tests import test_browser
from tests.test_browser import PASSWORD

server = test_browser.server
browser = test_browser.browser

pytestmark = pytest.mark.browser

PAGES = {
    "society": ["/", "/society/today", "/society/dayends", "/society/settlement", "/society/reconciliation", "/reports",
                "/mis/reports", "/network", "/society/remittances", "/society/claims", "/society/watch", "/admin/fees",
                "/society/policy", "/society/inspections", "/society/cheques", "/society/holidays", "/wallets",
                "/card-refunds", "/society/upi-refunds", "/admin/audit"],
    "lsp": ["/", "/lsp/services", "/lsp/prices", "/network", "/lsp/dayends", "/lsp/statement", "/reports", "/mis/reports",
            "/wallets", "/card-refunds"],
}

#: the page's elements that reach past the screen's right edge, outside a table's own scrolling box
WIDE = """() => [...document.querySelectorAll("body *")]
  .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
  .filter(e => !(e.closest("table") && getComputedStyle(e.closest("table")).overflowX === "auto"))
  .map(e => e.tagName + (e.id ? "#" + e.id : "")).slice(0, 8)"""
#: the tables wider than the page's main column (on the kiosk's screen, every column is seen at once)
PAST_MAIN = """() => { const right = document.querySelector("main").getBoundingClientRect().right;
  return [...document.querySelectorAll("main table")].filter(t => t.getBoundingClientRect().right > right + 0.5
    || t.scrollWidth > t.clientWidth + 0.5).map(t => t.id || t.className || "table"); }"""


@pytest.mark.parametrize("width,height", [(1024, 600), (360, 640)])
@pytest.mark.parametrize("lang", ["en", "hi"])
def test_no_page_of_the_society_or_an_lsp_admin_is_wider_than_the_screen(browser, server, width, height, lang):
    context = browser.new_context(base_url=server, locale="en-IN", java_script_enabled=False,
                                  viewport={"width": width, "height": height})
    context.set_default_timeout(10_000)
    wide: dict[str, object] = {}
    try:
        for username, paths in PAGES.items():
            page = context.new_page()
            page.goto(f"/lang/{lang}?next=/login")
            page.fill("#username", username)
            page.fill("#password", PASSWORD)
            page.locator("form[action='/login'] button[type=submit]").click()
            for path in paths:
                assert page.goto(path).status == 200, (username, path)
                scroll = page.evaluate("document.documentElement.scrollWidth")
                if scroll > width:
                    wide[f"{username} {path}"] = (scroll, page.evaluate(WIDE))
                if width >= 1024 and page.evaluate(PAST_MAIN):
                    wide[f"{username} {path} (table)"] = page.evaluate(PAST_MAIN)
            page.goto("/login")
            page.close()
            context.clear_cookies()
    finally:
        context.close()
    assert wide == {}, wide
