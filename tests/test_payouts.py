"""Every payment a settlement payout paid, page by page, and which payout paid a receipt (decision
68's limit lifted: the settlement page showed the first 100 of a run's payments): the pages, the
command line, and who may see them."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys

import pytest

from emitra.core import counter as counter_core
from emitra.core import ledger, settlement
from emitra.core.audit import Actor
from emitra.core.models import District, Payment
from tests.case_helpers import run_commands
from tests.test_settlement import BIRTH, _example, _operator, _system, second_lsp


async def _paid_by_upi(username: str, n: int, confirm: bool = True) -> str:
    """A birth certificate paid by UPI at ``username``'s counter (confirmed by the bank unless not
    ``confirm``): its receipt number. The LSP's share is ₹10.00 at a LokMitra centre."""
    actor, counter, citizen = await _operator(username)
    request = await counter_core.record_payment(actor, counter, citizen, BIRTH, {**_example(BIRTH), "child_name": f"Child {n}"},
                                                f"po-{username}-{n}", "upi")
    if confirm:
        await counter_core.confirm_payment(Actor(None, via="webhook"), await Payment.get(request=request), "upi", f"evt-po-{username}-{n}",
                                           provider_reference=f"UTR{n:08d}")
    return request.receipt_no


def _rows(html: str) -> list[str]:
    """The receipt numbers of a payout page's table of payments, in order."""
    table = html[html.index('id="payout-items"'):html.index("</table>", html.index('id="payout-items"'))]
    return re.findall(r'<tr id="r-([A-Z]{2}\d{13})"', table)


def test_a_payout_of_more_than_a_page_shows_every_payment_across_its_pages(web, monkeypatch):
    """The settlement page listed the first 100 of a run's payments and no more: at a district, a
    run of thousands left Society staff unable to see most of what a transfer paid. Each payout now
    links to a page of every payment it paid, a page at a time, with the payout's totals on top."""
    monkeypatch.setattr(settlement, "PAYOUT_PAGE", 3)

    async def pay():
        return sorted([await _paid_by_upi("operator1", n) for n in range(7)])
    receipts = web.run(pay)
    web.login("society")
    report = web.post_form("/society/settlement", {})
    [reference] = re.findall(r"<code>(STLJP\d{12}L1UPI)</code>", report.text)
    assert f'<a href="/payouts/{reference}">' in report.text
    url, seen, pages = f"/payouts/{reference}", [], 0
    while url:
        got = web.get(url)
        assert got.status_code == 200
        pages += 1
        assert f"Page {pages} of 3" in got.text
        totals = got.text[got.text.index('id="payout-totals"'):got.text.index("</table>", got.text.index('id="payout-totals"'))]
        assert "Pink City e-Services Pvt Ltd" in totals and "UPI (QR code)" in totals and "<td class=\"num\">7</td>" in totals
        assert "<strong>₹70.00</strong>" in totals
        seen += _rows(got.text)
        assert 'class="pager no-print"' in got.text  # the links do not print
        found = re.search(r'<a href="([^"]+)" rel="next">', got.text)
        url = found.group(1).replace("&amp;", "&") if found else ""
    assert pages == 3 and seen == receipts  # every payment, once, in receipt order
    assert "Payments paid: 7 to 7 of 7" in got.text and 'rel="prev"' in got.text
    assert _rows(web.get(f"/payouts/{reference}?page=99").text) == receipts[6:]  # past the last page: the last
    assert web.get(f"/payouts/{reference}?page=x").status_code == 400
    assert web.get(f"/payouts/{reference.lower()}").status_code == 200  # as typed from a bank statement
    assert web.get("/payouts/STLJP000000000000L1UPI").status_code == 404
    hindi = web.get(f"/payouts/{reference}?lang=hi")
    assert "पृष्ठ 1, कुल 3" in hindi.text and "चुकाए गए भुगतान: 7 में से 1 से 3" in hindi.text
    assert "Payments paid" not in hindi.text




@pytest.mark.anyio
async def test_the_receipt_search_names_the_payout_that_paid_it_or_why_none_has(demo_db):
    """"Was receipt X paid, and in which transfer?": the payout's reference and date, the page of
    the payout that lists it; a payment settled by its own entry before payouts; else why not."""
    first = [await _paid_by_upi("operator1", n) for n in range(3)]
    now = dt.datetime.now(dt.timezone.utc)
    one = await settlement.settle(_system(), now + dt.timedelta(seconds=1))
    later = await _paid_by_upi("operator1", 10)
    two = await settlement.settle(_system(), now + dt.timedelta(seconds=2))
    [p1], [p2] = one.payouts, two.payouts
    waiting = await _paid_by_upi("operator1", 11)  # confirmed after the runs
    pending = await _paid_by_upi("operator1", 12, confirm=False)
    actor, counter, citizen = await _operator()
    cash = (await counter_core.record_cash(actor, counter, citizen, BIRTH, {**_example(BIRTH), "child_name": "Cash child"}, "po-cash")).receipt_no
    withdrawn_request = await counter_core.record_payment(actor, counter, citizen, BIRTH, {**_example(BIRTH), "child_name": "Gone"}, "po-gone", "upi")
    await counter_core.withdraw_payment(actor, counter, withdrawn_request, "left without paying")
    old = await _paid_by_upi("operator1", 13)  # settled by its own entry, as before decision 68
    old_payment = await Payment.get(request__receipt_no=old)
    await ledger.post(old_payment.district_id, f"settle:{old}", f"settlement {old} upi to LSP 1",
                      [ledger.debit("lsp_fee_payable:1", 1_000), ledger.credit("escrow:upi", 1_000)], old_payment.request_id)
    district = (await District.get(code="JP")).id

    for receipt in first:
        found = await settlement.find_receipt(receipt, district)
        assert found.settled and found.reference == p1.reference and found.share_paise == 1_000 and not found.legacy
        assert found.at is not None and found.counter_code == "JP-LM-001" and found.lsp_id == 1
    spaced = f"{later[:2].lower()} {later[2:6]}-{later[6:]}"  # as typed, small letters, a space and a dash
    assert (await settlement.find_receipt(spaced, district)).reference == p2.reference != p1.reference
    assert (await settlement.find_receipt(sorted(first)[2], district)).page == 1
    settlement_page = settlement.PAYOUT_PAGE
    try:
        settlement.PAYOUT_PAGE = 2  # the third receipt of the payout is on its second page
        assert (await settlement.find_receipt(sorted(first)[2], district)).page == 2
    finally:
        settlement.PAYOUT_PAGE = settlement_page
    legacy = await settlement.find_receipt(old, district)
    assert legacy.settled and legacy.legacy and legacy.reference == "" and legacy.share_paise == 1_000

    def why(receipt):
        return settlement.find_receipt(receipt, district)
    assert "waits for the next settlement run" in (await why(waiting)).why_en and not (await why(waiting)).settled
    late = await settlement.find_receipt(waiting, district, now=dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=30))
    assert "more than 24 hours ago" in late.why_en and "विलंबित" in late.why_hi
    assert "pending" in (await why(pending)).why_en
    assert "Not paid by card or UPI" in (await why(cash)).why_en
    assert "failed" in (await why(withdrawn_request.receipt_no)).why_en
    nothing = await why("JP0001000000000")
    assert not nothing.found and ("not a receipt number" in nothing.why_en or "No receipt" in nothing.why_en)
    assert "not a receipt number" in (await why("12345")).why_en
    assert "two letters and 13 to 20 digits" in (await why("12345")).why_en and "13 से 20 अंक" in (await why("12345")).why_hi
    # an LSP admin asks only about its own counters' receipts: another's is "no such receipt"
    assert not (await settlement.find_receipt(first[0], district, lsp_id=999)).found
    assert (await settlement.find_receipt(first[0], district, lsp_id=1)).reference == p1.reference
    # and the list of payouts, newest first
    rows, page, pages = await settlement.payouts(district)
    assert [r["reference"] for r in rows] == [p2.reference, p1.reference] and (page, pages) == (1, 1)
    assert rows[1]["payments"] == 3 and rows[1]["amount_paise"] == 3_000 and rows[1]["method"] == "upi" and rows[1]["lsp_id"] == 1
    assert (await settlement.payouts(district, lsp_id=999))[0] == []


def test_an_lsp_admin_sees_only_its_own_payouts_and_an_operator_none(web):
    """Society staff see the district's payouts; an LSP admin its own only (another's payout is not
    found, and its receipts are "no such receipt"); an operator is refused."""
    async def pay_and_settle():
        lsp2 = (await second_lsp(admin=True)).id
        mine = await _paid_by_upi("operator1", 1)
        theirs = await _paid_by_upi("operator9", 2)
        report = await settlement.settle(_system(), dt.datetime.now(dt.timezone.utc))
        refs = {p.lsp_id: p.reference for p in report.payouts}
        return refs[1], refs[lsp2], mine, theirs
    my_ref, their_ref, mine, theirs = web.run(pay_and_settle)

    web.login("lsp")
    listing = web.get("/payouts")
    assert listing.status_code == 200 and my_ref in listing.text and their_ref not in listing.text
    assert web.get(f"/payouts/{my_ref}").status_code == 200
    assert web.get(f"/payouts/{their_ref}").status_code == 404
    found = web.get(f"/payouts?receipt={mine}")
    assert f"Paid in payout {my_ref}" in found.text and f"/payouts/{my_ref}?page=1&amp;receipt={mine}#r-{mine}" in found.text
    hidden = web.get(f"/payouts?receipt={theirs}")
    assert hidden.status_code == 200 and their_ref not in hidden.text and "No receipt with this number at your counters." in hidden.text
    assert web.get(f"/payouts?receipt={their_ref}").status_code == 200  # another's reference is not opened
    assert "Receipt" in web.get(f"/payouts?receipt={their_ref}").text
    opened = web.get(f"/payouts?receipt={my_ref.lower()}", follow_redirects=False)  # its own reference opens it
    assert opened.status_code == 303 and opened.headers["location"] == f"/payouts/{my_ref}"
    statement = web.get("/lsp/statement")
    assert f'<a href="/payouts/{my_ref}">' in statement.text
    web.logout()

    web.login("marwar")
    assert their_ref in web.get("/payouts").text and my_ref not in web.get("/payouts").text
    assert web.get(f"/payouts/{my_ref}").status_code == 404
    web.logout()

    web.login("society")
    listing = web.get("/payouts")
    assert my_ref in listing.text and their_ref in listing.text and "Marwar Seva Kendra" in listing.text
    assert f"Paid in payout {their_ref}" in web.get(f"/payouts?receipt={theirs}").text
    hindi = web.get(f"/payouts?receipt={theirs}&lang=hi")
    assert "Paid in payout" not in hindi.text and their_ref in hindi.text
    web.logout()

    for username in ("operator1", "officer", "state"):
        web.login(username)
        for url in ("/payouts", f"/payouts/{my_ref}", f"/payouts?receipt={mine}"):
            assert web.get(url).status_code == 403, (username, url)
        web.logout()


SETUP = """
import datetime as dt, json
from emitra.core import counter as counter_core, settlement
from emitra.core.audit import Actor
from emitra.core.cli import run
from emitra.core.models import Citizen, Counter, Payment, User
from emitra.core.plugins import get_host

BIRTH = "gov.rj.pehchan.birth_certificate"


async def setup():
    user = await User.get(username="operator1")
    actor, counter, citizen = Actor(user, via="test"), await Counter.get(id=user.counter_id), await Citizen.get(name="Ramesh Kumar Sharma")
    receipts = []
    for n in range(3):
        request = await counter_core.record_payment(actor, counter, citizen, BIRTH, {**get_host().registry.get(BIRTH).example,
                                                                                      "child_name": f"Child {n}"}, f"cli-{n}", "upi")
        if n < 2:
            await counter_core.confirm_payment(Actor(None, via="webhook"), await Payment.get(request=request), "upi", f"evt-cli-{n}",
                                               provider_reference=f"UTR{n:08d}")
        receipts.append(request.receipt_no)
    report = await settlement.settle(Actor(None, via="test"), dt.datetime.now(dt.timezone.utc))
    return receipts, report.payouts[0].reference

print(json.dumps(run(setup)))
"""


def test_the_command_line_finds_a_receipt_and_lists_a_payout(tmp_path):
    """`emitra settle find RECEIPT` and `emitra settle payout REFERENCE`, as the Society, an LSP admin
    and the system run them; an operator is refused; `emitra settle` still runs settlement."""
    env = {**os.environ, "EMITRA_DATA_DIR": str(tmp_path / "data"), "EMITRA_DATABASE_URL": ""}

    def driver(calls):
        return run_commands(tmp_path, calls)

    driver([["db", "migrate"], ["demo"]])
    done = subprocess.run([sys.executable, "-c", SETUP], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    (paid, other, pending), reference = json.loads(done.stdout.strip().splitlines()[-1])
    found, as_lsp, refused, not_yet, listing, page, settled = driver([
        ["settle", "find", paid, "--as", "society"], ["settle", "find", other.lower(), "--as", "lsp"],
        ["settle", "find", paid, "--as", "operator1"], ["settle", "find", pending],
        ["settle", "payout", reference, "--all"], ["settle", "payout", reference.lower(), "--page", "9", "--as", "lsp"],
        ["settle", "--now", "2026-11-21T10:00:00+05:30"]])
    assert found[0] == 0 and found[1].startswith(f"{paid}: paid in payout {reference} on ") and "₹10.00 to LSP 1" in found[1]
    assert as_lsp[0] == 0 and f"paid in payout {reference}" in as_lsp[1]
    assert refused[0] != 0 and "--as: only the district Society or an LSP admin" in refused[1]
    assert not_yet[0] == 0 and "not settled yet. The payment is pending" in not_yet[1]
    assert listing[0] == 0 and "2 payments, ₹20.00" in listing[1]
    assert [line.split()[0] for line in listing[1].splitlines() if line.startswith(f"  {paid[:2]}")] == sorted([paid, other])
    assert page[0] == 0 and "page 1 of 1" in page[1]
    assert settled[0] == 0 and "settled 0 payments" in settled[1]


def test_paging_the_payouts_keeps_the_receipt_searched_for(web, monkeypatch):
    """The pager's links dropped ``?receipt=``: turning a page lost the answer to "which payout paid
    this receipt?" shown above the list."""
    monkeypatch.setattr(settlement, "PAYOUTS_PAGE", 1)

    async def two_payouts():
        receipt = await _paid_by_upi("operator1", 1)
        now = dt.datetime.now(dt.timezone.utc)
        await settlement.settle(_system(), now + dt.timedelta(seconds=1))
        await _paid_by_upi("operator1", 2)
        await settlement.settle(_system(), now + dt.timedelta(seconds=2))
        return receipt
    receipt = web.run(two_payouts)
    web.login("society")
    first = web.get(f"/payouts?receipt={receipt[:2].lower()}%20{receipt[2:]}")
    assert "Page 1 of 2" in first.text and f"Receipt {receipt}" in first.text and "Paid in payout" in first.text
    older = re.search(r'<a href="([^"]+)" rel="next">', first.text).group(1).replace("&amp;", "&")
    second = web.get(older)
    assert "Page 2 of 2" in second.text and f"Receipt {receipt}" in second.text and "Paid in payout" in second.text
    newer = re.search(r'<a href="([^"]+)" rel="prev">', second.text).group(1).replace("&amp;", "&")
    assert f"Receipt {receipt}" in web.get(newer).text
    plain = web.get("/payouts")  # no search: the links carry the page alone
    assert '<a href="/payouts?page=2" rel="next">' in plain.text
