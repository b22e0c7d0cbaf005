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
                "/card-refunds", "/society/upi-refunds", "/admin/audit", "/network/officers"],
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


def test_the_society_adds_an_officer_on_the_officers_page_without_javascript_and_they_log_in(browser, server):
    """The Society's admin, on a kiosk browser with JavaScript off, opens the Officers page from the
    Network page, sees the PAN department (offered at the counters, no officer) named first, follows
    its link to the form with the department chosen, is refused a password typed differently twice
    (beside the box, what was typed kept but the password), then adds the officer; the page lists
    them as active, the warning no longer names the department, and the officer logs in."""
    from playwright.sync_api import expect

    department = "Income Tax Department PAN (Protean/NSDL)"
    context = browser.new_context(base_url=server, locale="en-IN", java_script_enabled=False, viewport={"width": 1024, "height": 600})
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        test_browser.log_in(page, "society", lands=r"/")
        page.goto("/network")
        page.locator("#officers-link a").click()
        expect(page.locator("h1")).to_have_text("Department officers of Jaipur district")
        short = page.locator("#short li", has_text=department)
        expect(short).to_contain_text("New PAN card application")
        short.get_by_role("link", name="Add an officer of this department").click()
        expect(page.locator("#add-department")).to_have_value(department)

        page.fill("#add-username", "pan_desk")
        page.fill("#add-name", "PAN desk, Jaipur")
        page.fill("#add-name_hi", "पैन डेस्क, जयपुर")
        page.fill("#add-password", "pan-desk-Secret-77")
        page.fill("#add-password2", "pan-desk-Secret-78")
        page.locator("#add button[type=submit]").click()
        expect(page.locator("#add-password-error")).to_contain_text("the two passwords differ")
        expect(page.locator("#add-password")).to_have_attribute("aria-invalid", "true")
        expect(page.locator("#add-username")).to_have_value("pan_desk")
        expect(page.locator("#add-password")).to_have_value("")

        page.fill("#add-password", "pan-desk-Secret-77")
        page.fill("#add-password2", "pan-desk-Secret-77")
        page.locator("#add button[type=submit]").click()
        expect(page.locator("#done")).to_contain_text("pan_desk added")
        expect(page.locator("#officer-pan_desk-state")).to_have_text("active")
        expect(page.locator("#short li", has_text=department)).to_have_count(0)

        page.emulate_media(media="print")  # the list prints; the forms do not
        expect(page.locator("#officer-list")).to_be_visible()
        expect(page.locator("#add")).to_be_hidden()
        page.emulate_media(media="screen")

        page.locator("header form[action='/logout'] button").click()
        page.goto("/login")
        page.fill("#username", "pan_desk")
        page.fill("#password", "pan-desk-Secret-77")
        page.locator("form[action='/login'] button[type=submit]").click()
        expect(page.locator("header .who")).to_contain_text("PAN desk, Jaipur")
    finally:
        context.close()
