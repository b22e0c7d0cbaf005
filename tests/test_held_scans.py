"""Scans held for a form refused for another field (decision 149, docs/counter.md): sent again
without choosing the file, the form uses the held scan; a new file replaces it, "Remove this file
from the form" drops it; another session cannot use it; an hour after its upload it is deleted."""

import datetime as dt
import html
import re

from emitra.core import documents
from emitra.core.models import AuditLog, Citizen, Document

CASTE = "gov.rj.revenue.caste_certificate"
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')
RATION_CARD = ("ration card.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n", "application/pdf")
CLEARER = ("ration card clearer.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 2000, "image/png")


def _hidden(page: str, marker: str) -> dict[str, str]:
    form = page[page.index(marker):]
    return {k: html.unescape(v) for k, v in HIDDEN.findall(form[:form.index("</form>")])}


def form_fields(page: str) -> dict[str, str]:
    return _hidden(page, '<form method="post" action="/counter/citizens/')


def _url(web) -> str:
    async def find():
        return (await Citizen.get(name="Geeta Meena")).emitra_id

    return f"/counter/citizens/{web.run(find)}/services/{CASTE}"


def _typed(web, url: str) -> dict[str, str]:
    return {**form_fields(web.get(url).text), "applicant_name": "Geeta Meena", "father_name": "Ram Lal", "caste_category": "ST",
            "caste": "Meena", "address.village_ward": "Ward 4", "address.tehsil": "chomu", "address.district": "Jaipur"}


def _documents(web) -> list[Document]:
    async def rows():
        return list(await Document.all().order_by("id"))

    return web.run(rows)


def _refused_with_scan(web):
    """The form refused for its PIN, the ration card's scan chosen with it."""
    web.login("operator2")
    url = _url(web)
    typed = _typed(web, url)
    refused = web.client.post(url, data={**typed, "address.pin": "30370"}, files={"ration_card_scan": RATION_CARD})
    assert refused.status_code == 400 and "PIN code must be 6 digits" in refused.text
    return url, typed, refused


def test_a_form_refused_for_another_field_then_sent_without_the_file_records_it_with_the_held_scan(web):
    url, typed, refused = _refused_with_scan(web)
    # the page says the file is held, its name and size, and how to replace or remove it
    assert "<strong>ration card.pdf (PDF, 1 KB)</strong>. Choose a file only to replace it." in refused.text
    assert "It is kept for this form for an hour" in refused.text
    assert 'name="ration_card_scan.drop"' in refused.text and "Remove this file from the form" in refused.text
    held = form_fields(refused.text)["ration_card_scan"]
    assert "ration card.pdf" not in held and documents.is_public_id(held)  # a random token, never the client's name

    again = web.client.post(url, data={**form_fields(refused.text), **typed, "address.pin": "303702"})
    assert again.status_code == 200 and "ration card.pdf (PDF, 1 KB)" in again.text  # the confirmation page
    paid = web.client.post(url + "/pay", data=_hidden(again.text, 'id="pay-cash"'))
    assert paid.status_code == 303 and paid.headers["location"].startswith("/receipts/")
    [doc] = _documents(web)
    assert doc.public_id == held and doc.request_id is not None and doc.original_name == "ration card.pdf"


def test_a_held_scan_is_replaced_by_a_new_file_and_removed_when_asked(web):
    url, typed, refused = _refused_with_scan(web)
    first = form_fields(refused.text)["ration_card_scan"]
    replaced = web.client.post(url, data={**form_fields(refused.text), **typed, "address.pin": "30370"},
                               files={"ration_card_scan.replace": CLEARER})
    assert replaced.status_code == 400 and "<strong>ration card clearer.png (PNG, 2 KB)</strong>" in replaced.text
    [doc] = _documents(web)  # the replaced scan is deleted, its file too
    assert doc.public_id != first and doc.original_name == "ration card clearer.png"
    assert not documents._path(first).exists()

    web.get("/lang/hi")
    kept = web.client.post(url, data={**form_fields(replaced.text), **typed, "address.pin": "30370"})
    assert kept.status_code == 400 and "<strong>ration card clearer.png (PNG, 2 KB)</strong>" in kept.text
    assert "यह इस फ़ॉर्म के लिए एक घंटे तक रखी गई है" in kept.text and "इस फ़ाइल को फ़ॉर्म से हटाएँ" in kept.text
    dropped = web.client.post(url, data={**form_fields(replaced.text), **typed, "address.pin": "303702", "ration_card_scan.drop": "1"})
    assert dropped.status_code == 400 and "राशन कार्ड (स्कैन) आवश्यक है।" in dropped.text
    assert "इस फ़ाइल को फ़ॉर्म से हटाएँ" not in dropped.text  # nothing is held any more
    assert _documents(web) == [] and not documents._path(doc.public_id).exists()


def test_another_session_cannot_use_a_held_scan_and_the_refusal_is_audited(web):
    url, typed, refused = _refused_with_scan(web)
    held = form_fields(refused.text)["ration_card_scan"]
    web.logout()
    web.login("operator2")  # the same counter, another session (and another form)
    stolen = web.client.post(url, data={**_typed(web, url), "address.pin": "303702", "ration_card_scan": held})
    assert stolen.status_code == 400
    assert "This scan is no longer held for this form (it is held for an hour); choose the file again." in stolen.text
    assert "ration card.pdf" not in stolen.text

    async def refusals():
        return await AuditLog.filter(action="document.held_refused").values_list("object_id", "actor_name")

    assert len(web.run(refusals)) == 1
    [doc] = _documents(web)
    assert doc.request_id is None  # still only the first form's


def test_held_scans_expire_after_an_hour_and_are_deleted(web):
    url, typed, refused = _refused_with_scan(web)
    held = form_fields(refused.text)["ration_card_scan"]
    assert documents._path(held).exists()

    async def age_and_sweep():
        await Document.filter(public_id=held).update(created_at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=61))
        return await documents.sweep_held()

    assert web.run(age_and_sweep) == 1
    assert _documents(web) == [] and not documents._path(held).exists()

    async def expired():
        return await AuditLog.filter(action="document.expire").count()

    assert web.run(expired) == 1
    late = web.client.post(url, data={**form_fields(refused.text), **typed, "address.pin": "303702"})
    assert late.status_code == 400 and "This scan is no longer held for this form" in late.text


def test_the_cli_sweep_deletes_what_a_quiet_counter_left_held(web):
    """A district whose counters post nothing more keeps an hour-old held scan until one does:
    `emitra documents sweep` (cron) deletes it and its file, audited, and leaves a fresh one."""
    from tests.test_cli import run as emitra

    _url, _typed, refused = _refused_with_scan(web)
    held = form_fields(refused.text)["ration_card_scan"]

    async def age():
        await Document.filter(public_id=held).update(created_at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=61))

    fresh = emitra("documents", "sweep")
    assert fresh.returncode == 0 and fresh.stdout.strip() == "deleted: 0", fresh.stderr
    assert documents._path(held).exists()
    web.run(age)
    out = emitra("documents", "sweep")
    assert out.returncode == 0 and out.stdout.strip() == "deleted: 1", out.stderr
    assert _documents(web) == [] and not documents._path(held).exists()

    async def expired():
        return await AuditLog.filter(action="document.expire").count()

    assert web.run(expired) == 1


async def test_the_sweep_of_held_scans_reads_an_index_not_the_whole_table(demo_db):
    """Decision 158: the sweep runs with every form posted at a counter, and its question (the scans
    not attached, held, older than an hour) read every scan ever uploaded, on both databases."""
    from tortoise import connections
    from tortoise.transactions import in_transaction

    sql = documents.held_too_long(dt.datetime.now(dt.timezone.utc)).sql(params_inline=True)
    conn = connections.get("default")
    if conn.capabilities.dialect == "sqlite":
        plan = " ".join(str(r["detail"]) for r in await conn.execute_query_dict(f"EXPLAIN QUERY PLAN {sql}"))
        assert "SCAN document" not in plan and "INDEX idx_document_request" in plan, plan
    else:
        async with in_transaction() as tx:  # as on a table of millions: an index if there is one
            await tx.execute_query("SET LOCAL enable_seqscan = off")
            plan = " ".join(r["QUERY PLAN"] for r in await tx.execute_query_dict(f"EXPLAIN {sql}"))
        assert "Seq Scan" not in plan and "idx_document_request" in plan, plan
