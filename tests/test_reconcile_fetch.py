"""The reconciliation page's "Fetch a week from Stripe" (docs/reconciliation.md section 7): the week's
balance transactions listed from the local fake Stripe server (tests/fake_stripe.py) through the
real ``stripe`` library, imported as ``import-stripe --from-stripe`` does, the file kept to download."""

from __future__ import annotations

import hashlib
import html
import json
import socket
import sys
from pathlib import Path

from emitra.core import clock
from emitra.core import counter as counter_core
from emitra.core import reconcile as rec
from emitra.core.audit import Actor
from emitra.core.models import AuditLog, Citizen, Counter, Payment, StatementImport, User

sys.path.insert(0, str(Path(__file__).parent))  # tests/fake_stripe.py, for the ``fake`` fixture

PAGE = "/society/reconciliation"


def _card_payment(web, fake) -> int:
    """A citizen pays a bill by card at operator1's counter and Stripe confirms it: one charge in Stripe's balance."""
    from emitra.core.payment_methods import card

    async def go() -> int:
        who = await User.get(username="operator1")
        counter = await Counter.get(id=who.counter_id)
        citizen = await Citizen.get(name="Ramesh Kumar Sharma")
        req = await counter_core.record_payment(Actor(who), counter, citizen, "gov.rj.jvvnl.bill", {"k_number": "210412345678"},
                                                "fetch-card-1", "card")
        payment = await Payment.get(request=req)
        assert await card.handle_event(fake.pay(payment.reference)) == "confirmed"
        return req.citizen_total_paise

    return web.run(go)


def _fetch(web, week: str, lang: str = "en", token: str | None = None):
    data = {"action": "fetch_stripe", "week": week}
    if token is not False:
        data["csrf_token"] = token or web.csrf(PAGE)
    return web.post(f"{PAGE}?lang={lang}", data=data)


def _nowhere() -> str:
    """A base URL on a local port nothing listens on: Stripe unreachable."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def _imports(web) -> list[StatementImport]:
    async def go():
        return await StatementImport.all().order_by("id")
    return web.run(go)


def test_the_society_fetches_a_week_from_stripe_imports_it_once_and_downloads_the_file(web, fake):
    paid = _card_payment(web, fake)
    web.login("society")
    page = web.get(PAGE)
    assert 'value="fetch_stripe"' in page.text and "Fetch from Stripe and import" in page.text
    today = web.run(lambda: _today())
    start, end = rec.week_of(today)

    done = _fetch(web, today.isoformat())
    assert done.status_code == 200, done.text
    name = f"stripe-{start}-{end}.json"
    assert f"Imported: {name} · 1 line · " in done.text
    [imp] = _imports(web)
    assert (imp.source, imp.filename, imp.lines) == ("stripe", name, 1)
    audit = web.run(lambda: AuditLog.filter(action="statement.imported").values_list("actor_name", flat=True))
    assert audit == ["society"]  # the same audit record as an uploaded file's, the Society's user named

    link = f"{PAGE}/fetched/{imp.id}.json"
    assert f'href="{link}"' in done.text and "Download the file fetched from Stripe" in done.text
    got = web.get(link)
    assert got.status_code == 200 and got.headers["content-disposition"] == f'attachment; filename="{name}"'
    assert hashlib.sha256(got.content).hexdigest() == imp.sha256  # the very file imported
    [txn] = json.loads(got.content)["data"]
    assert txn["type"] == "charge" and txn["amount"] == paid and txn["id"] == fake.balance[0]["id"]
    assert f'href="{link}"' in web.get(PAGE).text  # the list of imports links it too

    again = _fetch(web, start.isoformat(), lang="hi")  # the same week again: refused, in Hindi, nothing imported twice
    assert again.status_code == 400
    assert "Stripe से कुछ भी आयात नहीं हुआ" in again.text and "यह फ़ाइल पहले ही आयात हो चुकी है" in again.text
    assert len(_imports(web)) == 1

    assert _fetch(web, today.isoformat(), token="forged").status_code == 403  # CSRF
    assert web.get(f"{PAGE}/fetched/{imp.id + 1}.json").status_code == 404
    web.logout()
    web.login("operator1")  # not the Society's role: neither the form nor the file
    assert web.post(PAGE, data={"action": "fetch_stripe", "week": today.isoformat(), "csrf_token": web.csrf("/no-such-page")}).status_code == 403
    assert web.get(link).status_code == 403
    assert len(_imports(web)) == 1


async def _today():
    return clock.today()


def test_stripe_unreachable_or_failing_is_said_plainly_and_nothing_is_imported(web, fake, monkeypatch):
    _card_payment(web, fake)
    web.login("society")
    today = web.run(_today).isoformat()
    fake.fail("list_balance", "500", times=5)
    failed = _fetch(web, today)
    assert failed.status_code == 400
    assert "Nothing was imported from Stripe" in failed.text and "Stripe answered with an error" in failed.text

    monkeypatch.setenv("EMITRA_STRIPE_API_BASE", _nowhere())
    down = _fetch(web, today)
    assert down.status_code == 400 and "Stripe could not be reached" in html.unescape(down.text)
    assert "check this server's internet connection" in html.unescape(down.text).lower()
    hindi = _fetch(web, today, lang="hi")
    assert "Stripe से संपर्क नहीं हो सका" in hindi.text
    assert _imports(web) == [] and not web.run(lambda: AuditLog.filter(action="statement.imported").exists())


def test_without_a_stripe_key_the_page_says_how_to_enable_fetching_instead_of_the_form(web, monkeypatch):
    monkeypatch.delenv("EMITRA_STRIPE_API_KEY", raising=False)
    web.login("society")
    page = web.get(PAGE)
    assert page.status_code == 200
    assert 'value="fetch_stripe"' not in page.text
    assert 'id="fetch-stripe-off"' in page.text and "EMITRA_STRIPE_API_KEY" in page.text
    refused = _fetch(web, "2026-11-23")  # a form kept from before: refused, saying why
    assert refused.status_code == 400 and "no Stripe key is set (EMITRA_STRIPE_API_KEY)" in refused.text
    assert _imports(web) == []


def test_a_week_stripe_has_nothing_for_is_said_so_in_english_and_hindi(web, fake):
    web.login("society")
    empty = _fetch(web, "2026-11-23")
    assert empty.status_code == 400 and "Stripe lists no balance transactions created from 23-11-2026 to 29-11-2026" in empty.text
    assert "कोई बैलेंस लेन-देन नहीं है" in _fetch(web, "2026-11-23", lang="hi").text
    assert _imports(web) == []


def test_the_command_line_imports_the_same_way_keeps_the_file_and_says_when_stripe_is_down(fake, monkeypatch):
    """`emitra reconcile import-stripe --from-stripe` is the page's fetch: the same import, the file kept, the same messages."""
    import asyncio
    import re

    from click.testing import CliRunner
    from tests.conftest import DB_URL, truncate
    from tortoise import Tortoise

    from emitra.core import config, db, demo
    from emitra.core.cli import main
    from emitra.core.payment_methods import card

    async def prepare():
        await Tortoise.init(config=db.tortoise_config(DB_URL))
        try:
            await truncate()
            await demo.load()
            who = await User.get(username="operator1")
            req = await counter_core.record_payment(Actor(who), await Counter.get(id=who.counter_id), await Citizen.get(name="Ramesh Kumar Sharma"),
                                                    "gov.rj.jvvnl.bill", {"k_number": "210412345678"}, "fetch-cli-1", "card")
            await card.handle_event(fake.pay((await Payment.get(request=req)).reference))
            return clock.today(), who.district_id
        finally:
            await Tortoise.close_connections()

    today, district_id = asyncio.run(prepare())
    cli = CliRunner()
    args = ["reconcile", "import-stripe", "--from-stripe", "--week", today.isoformat(), "--district", "JP", "--as", "society"]
    with monkeypatch.context() as m:
        m.setenv("EMITRA_STRIPE_API_BASE", _nowhere())
        down = cli.invoke(main, args)
    assert down.exit_code == 1 and "Stripe could not be reached" in down.output and "nothing was imported" in down.output
    done = cli.invoke(main, args)
    assert done.exit_code == 0, done.output
    import_id = int(re.search(r"imported 1 Stripe balance transaction .* as import #(\d+)", done.output).group(1))
    kept = config.data_dir() / "stripe-fetched" / str(district_id) / f"{import_id}.json"
    assert json.loads(kept.read_bytes())["data"][0]["id"] == fake.balance[0]["id"]
    again = cli.invoke(main, args)
    assert again.exit_code == 1 and f"This file was already imported (import #{import_id}" in again.output
