"""A counter's name in Hindi (decision 128, migration 0033). Before, a counter had its English name
only, so "JanMitra Kiosk, Chomu" stood on the Hindi receipt, the citizen's tracking page, the
operator's pages, the reports and the Hindi SMS. The Society gives the Hindi name when it licenses a
counter or later (`emitra counter add | set --name-hi`, the Network page); without one, Hindi pages
show the English name."""

from __future__ import annotations

import datetime as dt
import html
import re

from emitra.core import onboarding, reports
from emitra.core.models import AuditLog, Counter, Notification
from tests.case_helpers import as_user, caste_case, pay, run_commands
from tests.conftest import DB_URL

BILL, K = "gov.rj.jvvnl.bill", "210412345678"
CHOMU_HI = "जनमित्र कियोस्क, चौमूं बस स्टैंड"


def _words(text: str) -> str:
    inline = re.sub(r"</?(span|strong|small)[^>]*>", "", text)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", inline)))


def _counter(web, code: str) -> Counter:
    return web.run(lambda: Counter.get(code=code))


def test_the_society_names_a_counter_in_hindi_on_the_network_page_and_hindi_pages_show_it(web):
    web.login("society")
    page = web.get("/network")
    assert 'id="counter-name_hi"' in page.text  # the licensing form asks for it too
    assert 'id="names-JP-JM-001-name_hi"' in page.text and 'value="जनमित्र कियोस्क, चौमूं"' in page.text  # the demo's
    rename = {"action": "rename", "code": "JP-JM-001", "name": "JanMitra Kiosk, Chomu Bus Stand", "name_hi": "JanMitra Chomu"}
    bad = web.post_form("/network", rename)
    assert bad.status_code == 400
    error = re.search(r'id="names-JP-JM-001-name_hi-error"[^>]*>([^<]*)<', bad.text)
    assert error and html.unescape(error.group(1)).startswith("Counter name in Hindi: 'JanMitra Chomu' is not written in Hindi (Devanagari)")  # after the box's label
    assert 'value="JanMitra Chomu"' in bad.text and re.search(r'<details class="no-print" id="names-JP-JM-001" open>', bad.text)
    assert _counter(web, "JP-JM-001").name == "JanMitra Kiosk, Chomu"  # nothing written
    hindi = web.client.post("/network?lang=hi", data={**rename, "csrf_token": web.csrf("/network")})
    assert hindi.status_code == 400 and "हिंदी (देवनागरी) में नहीं लिखा है" in html.unescape(hindi.text)
    web.get("/network?lang=en")

    done = web.post_form("/network", {**rename, "name_hi": f"  {CHOMU_HI} "})
    assert done.status_code == 303
    assert "Counter JP-JM-001's names are saved" in html.unescape(web.get(done.headers["location"]).text)
    kiosk = _counter(web, "JP-JM-001")
    assert (kiosk.name, kiosk.name_hi) == ("JanMitra Kiosk, Chomu Bus Stand", CHOMU_HI)
    record = web.run(lambda: AuditLog.filter(action="counter.updated").order_by("-id").first())
    assert record.actor_name == "society" and record.counter_id == kiosk.id
    assert record.detail["name"] == ["JanMitra Kiosk, Chomu", "JanMitra Kiosk, Chomu Bus Stand"]
    assert record.detail["name_hi"] == ["जनमित्र कियोस्क, चौमूं", CHOMU_HI]
    web.logout()
    web.login("lsp")  # the Society licenses and names counters: an LSP admin has no such form, and a post is refused
    assert 'id="names-JP-JM-001"' not in web.get("/network").text
    assert web.post_form("/network", {**rename, "name_hi": "जनमित्र"}).status_code == 403
    assert _counter(web, "JP-JM-001").name_hi == CHOMU_HI
    web.logout()

    # the kiosk's Hindi pages: its home, a receipt, the citizen's tracking page, the SMS
    web.login("operator2")
    paid = web.run(lambda: pay(BILL, {"k_number": K}, "chomu-hindi", "operator2"))
    receipt = _words(web.get(f"/receipts/{paid.receipt_no}?lang=hi").text)
    assert f"{CHOMU_HI} (JP-JM-001)" in receipt and "Chomu Bus Stand" not in receipt
    assert CHOMU_HI in _words(web.get("/counter?lang=hi").text)
    english = _words(web.get(f"/receipts/{paid.receipt_no}?lang=en").text)
    assert "JanMitra Kiosk, Chomu Bus Stand (JP-JM-001)" in english and CHOMU_HI not in english
    case = web.run(lambda: caste_case("chomu-caste", "operator2"))
    web.logout()
    tracked = web.client.post("/track?lang=hi", data={"number": case.number, "mobile": "9829012345", "csrf_token": web.csrf("/track")})
    assert f"{CHOMU_HI} (JP-JM-001)" in _words(tracked.text) and "Chomu Bus Stand" not in _words(tracked.text)


async def test_without_a_hindi_name_hindi_pages_and_messages_show_the_english_one(demo_db):
    from emitra.core import workflow
    from tests.case_helpers import actor

    centre = await Counter.get(code="JP-LM-001")
    assert centre.name_hi == "लोकमित्र केंद्र, मालवीय नगर"  # the demo's counters have Hindi names
    labels = await reports.labels("counter", {centre.id})
    assert labels[centre.id]["label_hi"] == "JP-LM-001 · लोकमित्र केंद्र, मालवीय नगर"
    assert labels[centre.id]["label_en"] == "JP-LM-001 · LokMitra Centre, Malviya Nagar"
    case = await caste_case("names-1")
    case = await workflow.act(await actor("tehsildar"), case, "return", "Father's name differs")
    returned = await Notification.filter(case_id=case.id).order_by("-id").first()
    assert "रसीद लेकर लोकमित्" in returned.body_hi and "(JP-LM-001) जाएँ।" in returned.body_hi  # shortened to fit two parts

    cleared = await as_user("society", onboarding.set_counter, "jp-lm-001", name_hi="")
    assert cleared.name_hi == "" and cleared.name == "LokMitra Centre, Malviya Nagar"
    assert (await reports.labels("counter", {centre.id}))[centre.id]["label_hi"] == "JP-LM-001 · LokMitra Centre, Malviya Nagar"
    case = await workflow.act(await actor("operator1"), case, "resubmit", "Corrected")
    case = await workflow.act(await actor("tehsildar"), case, "return", "Still differs")
    again = await Notification.filter(case_id=case.id).order_by("-id").first()
    assert "रसीद लेकर LokMitr" in again.body_hi and "(JP-LM-001) जाएँ।" in again.body_hi
    unchanged = await as_user("society", onboarding.set_counter, "JP-LM-001", name_hi="")
    assert unchanged.name_hi == "" and await AuditLog.filter(action="counter.updated").count() == 1  # nothing changed: no record


def test_the_society_names_counters_in_hindi_from_the_shell(web, tmp_path):
    lsp_id = str(_counter(web, "JP-LM-001").lsp_id)
    add = ["counter", "add", "JP-JM-050", "--name", "JanMitra Kiosk, Phagi", "--lsp", lsp_id, "--owner", "Mahesh Saini"]
    english, added, hindi_later, listed, by_lsp = run_commands(tmp_path, [
        [*add, "--name-hi", "Phagi kiosk", "--as", "society"],
        [*add, "--name-hi", "जनमित्र कियोस्क, फागी", "--as", "society"],
        ["counter", "set", "JP-JM-050", "--name-hi", "जनमित्र कियोस्क, फागी (तहसील)", "--as", "society"],
        ["counter", "list"],
        ["counter", "set", "JP-JM-050", "--name", "Phagi", "--as", "lsp"],
    ], database_url=DB_URL)
    assert english[0] == 1 and "Error: --name-hi: 'Phagi kiosk' is not written in Hindi (Devanagari)" in english[1]
    assert added[0] == 0 and "counter JP-JM-050: JanMitra Kiosk, Phagi (janmitra)" in added[1] and "in Hindi: जनमित्र कियोस्क, फागी" in added[1]
    assert hindi_later[0] == 0 and "counter JP-JM-050: JanMitra Kiosk, Phagi; in Hindi: जनमित्र कियोस्क, फागी (तहसील)" in hindi_later[1]
    assert "JanMitra Kiosk, Phagi / जनमित्र कियोस्क, फागी (तहसील)" in listed[1]
    assert by_lsp[0] == 1 and "Error: --as: 'lsp' is not an admin of the e-Mitra Society that licensed JP-JM-050" in by_lsp[1]
    kiosk = _counter(web, "JP-JM-050")
    assert (kiosk.name, kiosk.name_hi) == ("JanMitra Kiosk, Phagi", "जनमित्र कियोस्क, फागी (तहसील)")
    created = web.run(lambda: AuditLog.filter(action="counter.created").order_by("-id").first())
    assert created.detail["name_hi"] == "जनमित्र कियोस्क, फागी"


async def test_a_complaint_about_a_counter_filed_for_messages_in_hindi_names_the_counter_in_hindi(demo_db):
    """The line a complaint about a counter begins with was English whatever the citizen ticked,
    naming "JanMitra Kiosk, Chomu" to a citizen who reads Hindi; it is now in the language of their
    messages, with the counter's Hindi name (its English one when it has none). Sent again with the
    other language ticked, it is still filed once, and the watch list still counts it as overcharging."""
    from emitra.core import grievances, watch
    from emitra.core.audit import Actor
    from emitra.core.models import Case

    kiosk = await Counter.get(code="JP-JM-001")
    complaint = dict(about="counter", counter_code="JP-JM-001", complaint_type="overcharging", name="Sunita Devi",
                     mobile="9414098765", subject="Rs 50 more than the receipt",
                     body="The operator asked for Rs 50 more than the receipt showed for the electricity bill.")
    case = await grievances.file_online(Actor(None), kiosk.district_id, lang="hi", **complaint)
    assert case.body.startswith("शिकायत: अधिक राशि लेना (रसीद या शुल्क सूची से अधिक)। काउंटर: JP-JM-001 (जनमित्र कियोस्क, चौमूं)।\n\n")
    again = await grievances.file_online(Actor(None), kiosk.district_id, lang="en", **complaint)
    assert again.id == case.id and again.filed_before and await Case.filter(service_code=grievances.COUNTER_COMPLAINT).count() == 1
    assert (await Case.get(id=case.id)).lang == "en"
    assert watch.OVERCHARGING_HEADERS[1] in case.body
    await AuditLog.filter(action="grievance.filed_online").delete()  # the body alone says it is overcharging
    found = await watch._overcharging_cases(kiosk.district_id, case.created_at - dt.timedelta(minutes=1), case.created_at + dt.timedelta(minutes=1))
    assert found == {kiosk.id: [(case.id, case.number)]}

    english = await grievances.file_online(Actor(None), kiosk.district_id, lang="en", **{**complaint, "counter_code": "JP-LM-001",
                                                                                         "complaint_type": "rude"})
    assert english.body.startswith("Complaint: Rude behaviour. Counter: JP-LM-001 (LokMitra Centre, Malviya Nagar).\n\n")
    await as_user("society", onboarding.set_counter, "JP-LM-001", name_hi="")
    unnamed = await grievances.file_online(Actor(None), kiosk.district_id, lang="hi", **{**complaint, "counter_code": "JP-LM-001"})
    assert unnamed.body.startswith("शिकायत: अधिक राशि लेना (रसीद या शुल्क सूची से अधिक)। काउंटर: JP-LM-001 (LokMitra Centre, Malviya Nagar)।")
