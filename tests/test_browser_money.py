"""The settlement payouts and the Network page's wallet refund and move-applications forms, in a
real browser (Debian's chromium driven by Playwright), served as in production by `emitra serve`
(tests/test_browser.py starts it; its fixtures are reused here).

The data these pages need is made before the server starts, by :data:`SETUP` run with the server's
settings: a settlement run whose payout to Pink City pays one payment more than a payout's page
lists (so it has two pages), and, Pink City made prepaid, a counter of theirs closed with ₹5,000.00
in its wallet and no counter to take it (owed back to the LSP, for the Society to refund).
"""

from __future__ import annotations

import re

import pytest

from tests import test_browser
from tests.test_browser import PASSWORD, serve

browser = test_browser.browser  # the fixture: chromium, for this module's server

pytestmark = pytest.mark.browser

CENTRE = "JP-LM-001"  # operator1's, where the payments are made; its open applications are moved
CLOSED = "JP-LM-009"  # the counter closed with its wallet owed back to Pink City
OWED = "₹5,000.00"
SETUP = "import asyncio; from tests.test_browser_money import setup; from emitra.core.cli import run; print(run(setup))"


async def setup() -> str:
    """Payments, a settlement run, a closed prepaid counter: see the module's docstring."""
    import datetime as dt

    from emitra.core import dayend, dispatch, settlement
    from emitra.core.models import LSP, Counter
    from emitra.core.onboarding import add_counter, close_counter
    from tests.case_helpers import actor
    from tests.test_payouts import _paid_by_upi
    from tests.test_settlement import _system

    for n in range(settlement.PAYOUT_PAGE + 1):
        await _paid_by_upi("operator1", n)
    report = await settlement.settle(_system(), dt.datetime.now(dt.timezone.utc))
    centre = await Counter.get(code=CENTRE)  # the payments are birth certificate applications, still open
    await dispatch.prepare(await actor("operator1"), centre)  # their papers sent: they may move
    lsp = await LSP.get(name="Pink City e-Services Pvt Ltd")
    lsp.mode = "prepaid"
    await lsp.save()
    society = await actor("society")
    await add_counter(society, code=CLOSED, name="LokMitra, Sanganer", lsp_id=lsp.id, owner_name="Pink City")
    await dayend.top_up(await actor("lsp"), await Counter.get(code=CLOSED), 5_000_00, "NEFT-K9")
    await close_counter(society, CLOSED, "")
    return " ".join(p.reference for p in report.payouts)


@pytest.fixture(scope="module")
def server():
    yield from serve(SETUP)


def _context(browser, server, javascript: bool = True):
    context = browser.new_context(base_url=server, locale="en-IN", viewport={"width": 1200, "height": 900},
                                  java_script_enabled=javascript)
    context.set_default_timeout(10_000)
    return context


def _society(browser, server, javascript: bool = True, lang: str = "en"):
    """A page logged in as the district Society's admin (in ``lang``), as tests/test_browser.py logs in."""
    from playwright.sync_api import expect

    page = _context(browser, server, javascript).new_page()
    page.goto(f"/lang/{lang}?next=/login")  # the session's language outlives the login
    page.fill("#username", "society")
    page.fill("#password", PASSWORD)
    page.locator("form[action='/login'] button[type=submit]").click()
    expect(page).not_to_have_url(re.compile(r"/login"))
    return page


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_receipt_found_in_its_payout_paged_through_and_printed_without_the_links(browser, server, javascript):
    from playwright.sync_api import expect

    page = _society(browser, server, javascript)
    try:
        page.goto("/payouts")
        expect(page.locator("h1")).to_have_text("Settlement payouts")
        row = page.locator("#payout-list tbody tr").first
        expect(row).to_contain_text("Pink City e-Services Pvt Ltd")
        reference = row.locator("code").inner_text().strip()
        assert re.fullmatch(r"STLJP\d{12}L1UPI", reference), reference

        # The payout's last receipt, typed as from a receipt: it is on the payout's second page.
        row.get_by_role("link").click()
        expect(page).to_have_url(re.compile(rf"/payouts/{reference}$"))
        expect(page.locator(".pager")).to_contain_text("Page 1 of 2")
        page.get_by_role("link", name="Next page").click()
        expect(page).to_have_url(re.compile(rf"/payouts/{reference}\?page=2$"))
        last = page.locator("#payout-items tbody tr td").first.inner_text().strip()
        page.goto("/payouts")
        page.fill("#receipt", f"{last[:2].lower()} {last[2:6]}-{last[6:]}")
        page.get_by_role("button", name="Find the payout").click()
        expect(page).to_have_url(re.compile(r"/payouts\?receipt="))
        expect(page.locator("#finding")).to_contain_text(f"Paid in payout {reference}")
        page.get_by_role("link", name="Open the payout at this receipt").click()
        expect(page).to_have_url(re.compile(rf"/payouts/{reference}\?page=2&receipt={last}#r-{last}$"))
        expect(page.locator("h1")).to_have_text(f"Payout {reference}")
        expect(page.locator(f"#r-{last}")).to_have_class(re.compile(r"\bmarked\b"))
        expect(page.locator("#payout-items tbody tr")).to_have_count(1)
        expect(page.locator("h2", has_text="Payments paid")).to_contain_text("101 to 101 of 101")

        # Back to the first page, and forward again, by the links.
        page.get_by_role("link", name="Previous page").click()
        expect(page).to_have_url(re.compile(rf"/payouts/{reference}\?page=1$"))
        expect(page.locator(".pager")).to_contain_text("Page 1 of 2")
        expect(page.locator("#payout-items tbody tr")).to_have_count(100)
        expect(page.get_by_role("link", name="Previous page")).to_have_count(0)
        page.get_by_role("link", name="Next page").click()
        expect(page.locator(".pager")).to_contain_text("Page 2 of 2")
        expect(page.get_by_role("link", name="Next page")).to_have_count(0)

        # Printed: the payments, without the paging links.
        pager = page.locator(".pager")
        display = "el => getComputedStyle(el).display"
        assert pager.evaluate(display) != "none"
        page.emulate_media(media="print")
        assert pager.evaluate(display) == "none"
        expect(page.locator("#payout-items")).to_be_visible()
        page.emulate_media(media="screen")
    finally:
        page.context.close()


def _refund_form(page):
    return page.locator("#refund-1")


def test_the_society_records_a_wallet_refund_and_an_over_refund_is_refused_beside_the_amount(browser, server):
    from playwright.sync_api import expect

    page = _society(browser, server, javascript=False)  # a plain form: no script needed
    try:
        page.goto("/network")
        form = _refund_form(page)
        expect(form.locator("#refund-1-owed")).to_have_text(OWED)

        # More than is owed: refused beside the amount, what was typed kept, nothing recorded.
        form.locator("#refund-1-amount").fill("5000.01")
        form.locator("#refund-1-reference").fill("NEFT-R1")
        form.get_by_role("button", name="Record the refund").click()
        error = page.locator("#refund-1-amount-error")
        expect(error).to_be_visible()
        expect(error).to_contain_text("Amount refunded")
        expect(error).to_contain_text("5,000.00")
        expect(page.locator("#refund-1-amount")).to_have_attribute("aria-invalid", "true")
        expect(page.locator("#refund-1-amount")).to_have_value("5000.01")
        expect(page.locator("#refund-1-owed")).to_have_text(OWED)

        # A part of it: recorded, said, and what is still owed shown.
        page.locator("#refund-1-amount").fill("3,000")
        page.locator("#refund-1-reference").fill("NEFT-R1")
        page.get_by_role("button", name="Record the refund").click()
        expect(page).to_have_url(re.compile(r"/network\?refunded=1&reference=NEFT-?R1#lsp-1$"))
        expect(page.locator("#refunded")).to_contain_text("Refund of ₹3,000.00 to Pink City e-Services Pvt Ltd recorded")
        expect(page.locator("#refunded")).to_contain_text("Still owed back to it: ₹2,000.00")
        expect(page.locator("#refund-1-owed")).to_have_text("₹2,000.00")
        expect(page.locator("#refund-1 table")).to_contain_text("₹3,000.00")
    finally:
        page.context.close()


def test_in_hindi_the_over_refund_is_refused_in_hindi(browser, server):
    from playwright.sync_api import expect

    page = _society(browser, server, lang="hi")
    try:
        page.goto("/network")
        expect(page.locator("html")).to_have_attribute("lang", "hi")
        page.locator("#refund-1-amount").fill("99999")
        page.locator("#refund-1-reference").fill("NEFT-R9")
        page.locator("#refund-1 button[type=submit]").click()
        error = page.locator("#refund-1-amount-error")
        expect(error).to_be_visible()
        expect(error).to_have_text(re.compile(r"[\u0900-\u097F]"))
        assert not re.search(r"\b(Amount|refund|owed|more)\b", error.inner_text()), error.inner_text()
    finally:
        page.locator("header .langs button[lang=en]").click()  # the Society admin's saved preference back to English
        page.context.close()


def test_the_open_applications_move_to_another_counter(browser, server):
    from playwright.sync_api import expect

    page = _society(browser, server)
    try:
        page.goto("/network")
        code, target = CENTRE, "JP-JM-001"
        form = page.locator(f"#counter-{code} form", has=page.locator("input[name=action][value=move_cases]"))
        moving = int(page.locator(f"#counter-{code}-open").inner_text())
        before = page.locator(f"#counter-{target}-open")
        already = int(before.inner_text()) if before.count() else 0
        form.get_by_label("Move the open applications to counter").select_option(target)
        form.get_by_role("button", name="Move the applications").click()
        expect(page).to_have_url(re.compile(r"/network\?done=move_cases"))
        expect(page.locator("p.ok[role=status]")).to_contain_text(f"The open applications of {code} moved to the counter chosen")
        expect(page.locator(f"#counter-{code}-open")).to_have_count(0)
        expect(page.locator(f"#counter-{target}-open")).to_have_text(str(already + moving))
    finally:
        page.context.close()
