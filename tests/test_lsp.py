"""The LSP admin's pages: services per counter, and nothing of another LSP."""

import re

from emitra.core.models import LSP, AuditLog, Counter, CounterKind, CounterService

BILL = "gov.rj.jvvnl.bill"


def enabled(web, code="JP-JM-001"):
    async def q():
        return await CounterService.filter(counter__code=code, service_code=BILL, enabled=True).exists()

    return web.run(q)


def test_an_lsp_admin_disables_and_enables_a_service_at_one_counter(web):
    web.login("lsp")
    page = web.get("/lsp/services")
    assert page.status_code == 200 and "JP-LM-001" in page.text and "JP-JM-001" in page.text and BILL in page.text
    off = web.post_form("/lsp/services", {"counter": "JP-JM-001", "service_code": BILL, "enabled": "0"})
    assert off.status_code == 303 and not enabled(web) and enabled(web, "JP-LM-001")
    web.logout()
    web.login("operator2")  # the kiosk no longer offers it, by page or by API

    async def ramesh():
        from emitra.core.models import Citizen

        return (await Citizen.get(name="Ramesh Kumar Sharma")).emitra_id

    eid = web.run(ramesh)
    assert f"/services/{BILL}" not in web.get(f"/counter/citizens/{eid}").text
    assert web.get(f"/counter/citizens/{eid}/services/{BILL}").status_code == 404
    h = web.api_token("operator2")
    assert web.post("/api/v1/quotes", headers=h, json={"service_code": BILL, "form": {"k_number": "210412345678"}}).status_code == 404
    web.logout()
    web.login("lsp")
    assert web.post_form("/lsp/services", {"counter": "JP-JM-001", "service_code": BILL, "enabled": "1"}).status_code == 303
    assert enabled(web)

    async def audited():
        return await AuditLog.filter(action__in=["counter.service_disabled", "counter.service_enabled"]).count()

    assert web.run(audited) == 2


def test_an_lsp_admin_cannot_touch_another_lsps_counter(web):
    async def other():
        jaipur = await Counter.get(code="JP-LM-001").prefetch_related("district")
        rival = await LSP.create(district_id=jaipur.district_id, name="Rival LSP")
        await Counter.create(district_id=jaipur.district_id, lsp=rival, code="JP-LM-099", name="Rival centre",
                             kind=CounterKind.LOKMITRA, owner_name="Rival")

    web.run(other)
    web.login("lsp")
    assert "JP-LM-099" not in web.get("/lsp/services").text
    r = web.post_form("/lsp/services", {"counter": "JP-LM-099", "service_code": BILL, "enabled": "1"}, token_from="/lsp/services")
    assert r.status_code == 403
    assert not enabled(web, "JP-LM-099")
    # said on the services page, naming the field and the counters it may use (was "Your role does not allow this page.")
    assert ("Counter: JP-LM-099 is not one of your LSP&#39;s counters, so nothing was changed. Press the button in the column "
            "of one of your counters: JP-JM-001, JP-LM-001.") in r.text and "Services at your counters" in r.text
    assert "Your role does not allow" not in r.text
    web.get("/lang/hi")
    hi = web.post_form("/lsp/services", {"counter": "JP-LM-099", "service_code": BILL, "enabled": "1"}, token_from="/lsp/services")
    assert hi.status_code == 403 and "काउंटर: JP-LM-099 आपके एलएसपी का काउंटर नहीं है" in hi.text
    assert web.run(lambda: AuditLog.filter(action="counter.service_enabled").count()) == 0
    web.get("/lang/en")
    web.logout()
    web.login("operator1")
    assert web.get("/lsp/services").status_code == 403


def test_a_refused_price_stays_in_its_box_with_the_reason_beside_it(web):
    web.login("lsp")
    bad = web.post_form("/lsp/prices", {"service_code": "pvt.lsp.photocopy", "price_rupees": "2.505"})
    assert bad.status_code == 400
    box = re.search(r'<input id="(p-\d+)" name="price_rupees"[^>]*>', re.sub(r"\s+", " ", bad.text.split('value="pvt.lsp.photocopy"')[1])).group(0)
    assert 'value="2.505"' in box and 'aria-invalid="true"' in box  # was an empty box: the LSP retyped it from memory
    assert "New price (₹): Amount has more than two decimals" in bad.text
    other = re.search(r'<input id="p-\d+" name="price_rupees"[^>]*>', bad.text.split('value="pvt.lsp.fax"')[1]).group(0)
    assert 'value=""' in other  # only the refused row keeps its text
    empty = web.post_form("/lsp/prices", {"service_code": "pvt.lsp.photocopy", "price_rupees": "  "})
    assert empty.status_code == 400  # was "'' is not an amount in rupees; type digits such as 125 or 125.50."
    assert "New price (₹): the box is empty: type the new price in rupees, for example 2.50." in empty.text
    web.get("/lang/hi")
    hi = web.post_form("/lsp/prices", {"service_code": "pvt.lsp.photocopy", "price_rupees": "abc"})
    assert hi.status_code == 400 and 'value="abc"' in hi.text and "रुपये" in hi.text


def test_a_counter_the_society_closed_is_marked_closed_in_the_services_matrix(web):
    """Its column looked like any open counter's: the LSP admin enabled services at a counter that
    takes no payment and wondered why its operator could not use them."""
    async def close():
        await Counter.filter(code="JP-JM-001").update(active=False)

    web.login("lsp")
    assert 'id="closed-JP-JM-001"' not in web.get("/lsp/services").text
    web.run(close)
    page = web.get("/lsp/services").text
    assert re.search(r'id="closed-JP-JM-001">closed<', page) and 'id="closed-JP-LM-001"' not in page


def test_disabling_a_service_no_plugin_offers_writes_nothing_unless_it_was_enabled(web):
    """It wrote a counter_service row and an audit record for a service that does not exist."""
    async def counts():
        return (await CounterService.filter(service_code="gov.rj.gone.service").count(),
                await AuditLog.filter(action="counter.service_disabled").count())

    web.login("lsp")
    r = web.post_form("/lsp/services", {"counter": "JP-JM-001", "service_code": "gov.rj.gone.service", "enabled": "0"})
    assert r.status_code == 400
    assert "No loaded plugin offers a service &#39;gov.rj.gone.service&#39;, and it is not enabled at JP-JM-001." in r.text
    assert web.run(counts) == (0, 0)

    async def left_by_a_removed_plugin():
        counter = await Counter.get(code="JP-JM-001")
        await CounterService.create(counter=counter, district_id=counter.district_id, service_code="gov.rj.gone.service", enabled=True)

    web.run(left_by_a_removed_plugin)
    r = web.post_form("/lsp/services", {"counter": "JP-JM-001", "service_code": "gov.rj.gone.service", "enabled": "0"})
    assert r.status_code == 303 and web.run(counts) == (1, 1)  # still disabled, and audited


def test_a_change_on_the_services_or_prices_page_is_said_on_the_page_it_comes_back_to(web):
    """The cell of a wide matrix, or a price in a long list, changing alone was easily missed: the
    page the change comes back to says what was done; an address naming another LSP's counter or no
    service says nothing."""
    web.login("lsp")
    off = web.post_form("/lsp/services", {"counter": "JP-JM-001", "service_code": BILL, "enabled": "0"})
    assert off.status_code == 303
    page = web.get(off.headers["location"] + "&lang=en")
    assert re.search(r'id="saved">[^<]*is no longer offered at JP-JM-001\.<', page.text)
    on = web.post_form("/lsp/services", {"counter": "JP-JM-001", "service_code": BILL, "enabled": "1"})
    assert "is now offered at JP-JM-001." in web.get(on.headers["location"]).text
    for forged in ("done=1&counter=JP-LM-099&service=" + BILL, "done=1&counter=JP-JM-001&service=nothing.such", "done=x"):
        assert 'id="saved"' not in web.get(f"/lsp/services?{forged}").text
    price = web.post_form("/lsp/prices", {"service_code": "pvt.lsp.photocopy", "price_rupees": "2.50"})
    assert price.status_code == 303
    saved = web.get(price.headers["location"])
    assert re.search(r'id="saved">Saved: [^<]*at ₹2\.50 per', saved.text)
    assert "सहेजा गया" in web.get(price.headers["location"] + "&lang=hi").text
    assert 'id="saved"' not in web.get("/lsp/prices?saved=nothing.such").text  # no such service: nothing said


def test_each_service_button_says_its_service_counter_state_and_what_pressing_does(web):
    """The matrix's buttons show the state ("Enabled"), and pressing one switches it: the button's
    accessible name and tooltip say which service at which counter, its state and what pressing does,
    in the page's language. It used to be "JP-JM-001 gov.rj.jvvnl.bill" in English and Hindi alike: a
    screen reader read the codes and never whether the service was on."""
    from emitra.core.plugins import get_host

    bill = get_host().registry.get(BILL)
    web.login("lsp")
    web.post_form("/lsp/services", {"counter": "JP-JM-001", "service_code": BILL, "enabled": "0"})

    def button(html, counter):
        form = re.search(r'<form method="post" action="/lsp/services">(?:(?!</form>).)*?name="counter" value="%s">'
                         r'<input type="hidden" name="service_code" value="%s">(?:(?!</form>).)*?(<button[^>]*>[^<]*</button>)'
                         % (counter, re.escape(BILL)), html, re.S)
        assert form, f"no button for {counter}"
        return form.group(1)

    page = web.get("/lsp/services").text
    on, off = button(page, "JP-LM-001"), button(page, "JP-JM-001")
    assert f'aria-label="{bill.title_en} at JP-LM-001: enabled. Press to stop offering it there."' in on and ">Enabled<" in on
    assert f'title="{bill.title_en} at JP-JM-001: disabled. Press to offer it there."' in off and ">Disabled<" in off
    assert "pressing it switches it" in page
    web.get("/lang/hi")
    page = web.get("/lsp/services").text
    on, off = button(page, "JP-LM-001"), button(page, "JP-JM-001")
    assert f'aria-label="JP-LM-001 पर {bill.title_hi}: चालू। वहाँ यह सेवा बंद करने के लिए दबाएँ।"' in on
    assert f'aria-label="JP-JM-001 पर {bill.title_hi}: बंद। वहाँ यह सेवा चालू करने के लिए दबाएँ।"' in off
    assert BILL not in re.search(r'aria-label="([^"]*)"', off).group(1)


def test_the_statements_total_row_adds_up_every_column(web):
    """The LSP's statement, "Earned by counter": its Total row showed the grand total alone, so the
    kiosk owners' share (what the LSP pays on) had to be added up by hand. Each column now has its
    total, and each equals the sum of the counters' figures above it."""
    import html

    from tests.case_helpers import pay

    for n, who in enumerate(("operator1", "operator2")):
        web.run(lambda who=who, n=n: pay("gov.rj.pehchan.birth_certificate", _birth_form(), f"stmt-{n}", who))
    web.login("lsp")
    page = web.get("/lsp/statement")
    table = page.text.split("Earned by counter", 1)[1].split("</table>", 1)[0]

    def figures(row: str) -> list[int]:
        return [int(html.unescape(v).replace(",", "").replace(".", "")) for v in re.findall(r'<td class="num"[^>]*>₹?([\d,.]+)</td>', row)]

    rows = [figures(r) for r in re.findall(r"<tr><td>JP-.*?</tr>", table, re.S)]
    total = figures(re.search(r'<tr class="total" id="earned-totals">.*?</tr>', table, re.S).group(0))
    assert len(rows) >= 2 and len(total) == 5 and all(len(r) == 5 for r in rows)
    assert total == [sum(column) for column in zip(*rows)] and total[0] == 2 * 1000  # two counters, Rs 10 each


def _birth_form():
    from emitra.core.plugins import get_host

    return dict(get_host().registry.get("gov.rj.pehchan.birth_certificate").example)


def test_a_service_the_policy_restricts_is_said_in_the_pages_language_and_marked_where_enabled(web, monkeypatch):
    """The services page printed the policy engine's English explanation ("restricted (needs the
    district Society's approval) by rule ... Matched: service code '...'") on the Hindi page too, and
    the counters where the service was still switched on said only "Enabled", though none offers it."""
    from emitra.core import compliance
    from emitra.core.audit import Actor
    from emitra.core.models import User

    monkeypatch.setenv("EMITRA_TODAY", "2026-11-28")

    async def restrict():
        await compliance.add_rule(Actor(await User.get(username="society")), {
            "id": "JP-DTH-REVIEW", "citation": "Society resolution 21/2026", "decision": "restricted",
            "effective_from": "2026-11-01", "codes": ["pvt.recharge.dth"]})

    web.run(restrict)
    web.login("lsp")
    page = web.get("/lsp/services").text
    assert "Matched:" not in page
    assert re.search(r'id="policy-pvt.recharge.dth">DTH recharge[^<]* is restricted by rule JP-DTH-REVIEW \(Society resolution '
                     r"21/2026\); your LSP needs the district Society&#39;s recorded approval to offer it.<", page)
    assert re.search(r'id="policy-JP-LM-001-pvt.recharge.dth">not offered: rule JP-DTH-REVIEW<', page)
    web.get("/lang/hi")
    hi = web.get("/lsp/services").text
    assert "restricted" not in hi and "Matched:" not in hi
    assert "नियम JP-DTH-REVIEW के अंतर्गत प्रतिबंधित सेवा है" in hi
    assert re.search(r'id="policy-JP-LM-001-pvt.recharge.dth">उपलब्ध नहीं: नियम JP-DTH-REVIEW<', hi)


def test_a_price_of_nothing_or_past_the_ceiling_is_refused_naming_the_box_and_the_range(web, monkeypatch):
    """₹0 and ₹10,00,00,000 a page were published: a counter would then hand photocopies over for nothing
    (a sale of ₹0 in the books), or charge the next citizen crores for a page typed with extra zeros.
    Each is refused beside its box, the typed text kept, the range said, nothing written (decision 145)."""
    from emitra.core.models import LspPrice

    async def state():
        return (sorted(await LspPrice.filter(service_code="pvt.lsp.photocopy").values_list("unit_price_paise", flat=True)),
                await AuditLog.filter(action="lsp.price").count())

    def box(page):
        return re.search(r'<input id="p-\d+" name="price_rupees"[^>]*>', re.sub(r"\s+", " ", page.split('value="pvt.lsp.photocopy"')[1])).group(0)

    web.login("lsp")
    before = web.run(state)
    assert "A price per unit is from ₹0.01 to ₹1,000.00" in web.get("/lsp/prices").text  # said before anything is typed
    for typed, shown in (("0", "₹0.00"), ("0.00", "₹0.00"), ("10,00,00,000", "₹10,00,00,000.00"), ("1000.01", "₹1,000.01")):
        bad = web.post_form("/lsp/prices", {"service_code": "pvt.lsp.photocopy", "price_rupees": typed})
        assert bad.status_code == 400, typed
        assert f"New price (₹): the price per page must be from ₹0.01 to ₹1,000.00, not {shown}" in bad.text
        assert f'value="{typed}"' in box(bad.text) and 'aria-invalid="true"' in box(bad.text)
    zero = web.post_form("/lsp/prices", {"service_code": "pvt.lsp.photocopy", "price_rupees": "0"})
    assert "To stop selling Photocopy, disable it at your counters on the Services at counters page." in zero.text
    assert web.run(state) == before  # nothing written, nothing audited
    web.get("/lang/hi")
    hi = web.post_form("/lsp/prices", {"service_code": "pvt.lsp.photocopy", "price_rupees": "₹ 0"})
    assert hi.status_code == 400 and 'value="₹ 0"' in box(hi.text)
    assert "नया मूल्य (₹): प्रति पृष्ठ मूल्य ₹0.01 से ₹1,000.00 तक होना चाहिए, ₹0.00 नहीं।" in hi.text
    assert web.run(state) == before
    # the bounds themselves are prices
    web.get("/lang/en")
    for typed in ("1000", "0.01"):
        assert web.post_form("/lsp/prices", {"service_code": "pvt.lsp.photocopy", "price_rupees": typed}).status_code == 303, typed
    assert web.run(state)[1] == before[1] + 2
    # the ceiling is the deployment's setting
    monkeypatch.setenv("EMITRA_LSP_MAX_UNIT_PRICE_RUPEES", "20")
    assert "A price per unit is from ₹0.01 to ₹20.00" in web.get("/lsp/prices").text
    over = web.post_form("/lsp/prices", {"service_code": "pvt.lsp.internet", "price_rupees": "25"})
    assert over.status_code == 400 and "New price (₹): the price per minute must be from ₹0.01 to ₹20.00, not ₹25.00" in over.text
