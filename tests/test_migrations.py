"""The committed migrations describe the models exactly: a model change without a migration fails here."""

import pytest
from tortoise.cli.cli import tortoise_cli_context
from tortoise.migrations.autodetector import MigrationAutodetector

from emitra.core.db import tortoise_config

pytestmark = pytest.mark.anyio


async def test_models_and_migrations_agree():
    config = tortoise_config("sqlite://:memory:")
    async with tortoise_cli_context(config) as ctx:
        writers = await MigrationAutodetector(ctx.apps, config["apps"]).changes()
    assert writers == [], "models changed without a migration: run `tortoise -c emitra.core.db.TORTOISE_ORM makemigrations`"


async def test_every_index_the_models_declare_is_in_the_migrated_database(demo_db):
    """tortoise-orm 1.x migrations left some declared indexes out (a field's db_index when the field
    came in a later migration, and on SQLite any index of a table a later migration rebuilt): the
    database must have every index the models ask for, by the name tortoise gives it."""
    import re

    from tortoise import connections
    from tortoise.utils import get_schema_sql

    conn = connections.get("default")
    wanted = set(re.findall(r'CREATE (?:UNIQUE )?INDEX (?:IF NOT EXISTS )?"(\w+)"', get_schema_sql(conn, safe=False)))
    if conn.capabilities.dialect == "sqlite":
        rows = await conn.execute_query_dict("SELECT name FROM sqlite_master WHERE type = 'index'")
    else:
        rows = await conn.execute_query_dict("SELECT indexname AS name FROM pg_indexes WHERE schemaname = current_schema()")
    have = {r["name"] for r in rows}
    assert wanted and not wanted - have, f"declared but not created: {sorted(wanted - have)}: add them in a migration (see 0019)"


async def test_0022_puts_the_bank_references_typed_before_in_capitals_without_spaces(demo_db):
    """Migration 0022, run again on the suite's database (SQLite, or PostgreSQL): the references of
    confirmed day ends typed before it are rewritten in one form; two slips that then share one are
    left as they are (the Day ends page lists them), and the migration does not fail."""
    import datetime as dt

    from emitra.core import dayend
    from emitra.core.models import Counter, DayEnd, District

    district = await District.get(code="JP")
    counters = await Counter.filter(district_id=district.id).order_by("id").limit(2)
    typed = [" utr9ab12 ", "UTR 9AB12", "neft-5", "UTR-500/1", "ẞeta", ""]  # (ẞ in capitals stays; "" is a slip not confirmed)
    for n, reference in enumerate(typed):
        await DayEnd.create(district_id=district.id, counter_id=counters[n % 2].id, business_date=dt.date(2026, 11, 1 + n),
                            expected_paise=100, counted_paise=100, retained_paise=0, deposit_paise=100, difference_paise=0,
                            slip_no=f"DSTEST{n}", closed_by="operator1", bank_reference=reference, status="confirmed" if reference else "closed")
    await _migrated_again_after("0021_statement_content")
    stored = dict(await DayEnd.filter(slip_no__startswith="DSTEST").values_list("slip_no", "bank_reference"))
    assert stored == {"DSTEST0": "UTR9AB12", "DSTEST1": "UTR9AB12", "DSTEST2": "NEFT-5", "DSTEST3": "UTR-500/1", "DSTEST4": "ẞETA", "DSTEST5": ""}
    shared = await dayend.shared_references(district.id)
    assert [(s.reference, [d.slip_no for d in s.day_ends]) for s in shared] == [("UTR9AB12", ["DSTEST0", "DSTEST1"])]


async def _migrated_again_after(name: str) -> None:
    """The suite's database (tests/conftest.py) migrated back to ``name`` and forward again, the
    ORM connected anew: the migrations after ``name`` run on the rows the test wrote."""
    import os

    from tortoise import Tortoise
    from tortoise.migrations.api import migrate

    url = os.environ["EMITRA_DATABASE_URL"]
    await Tortoise.close_connections()
    await migrate(config=tortoise_config(url), target=f"models.{name}")
    await migrate(config=tortoise_config(url))
    await Tortoise.close_connections()
    await Tortoise.init(config=tortoise_config(url))


async def test_0028_fills_in_what_the_stripe_imports_before_it_vouch_for(demo_db):
    """Migration 0028, run again on the suite's database: a Stripe import made before it gets its
    statement_entry rows from its audit record, an entry counting as posted by the import when its
    memo is the import's (a payout booked by hand was found); its withdrawal then reverses the fee
    it posted and keeps the hand's payout."""
    import json
    import time

    from emitra.core import ledger
    from emitra.core import reconcile as rec
    from emitra.core import statement_withdraw as sw
    from emitra.core.audit import Actor
    from emitra.core.models import District, LedgerEntry, StatementEntry, User

    district, actor = await District.get(code="JP"), Actor(await User.get(username="society"), via="cli")
    await ledger.post(district.id, "payout:po_m1", "Stripe payout po_m1 (from the bank's advice)",
                      [ledger.debit("society_bank", 3_000), ledger.credit("escrow:card", 3_000)])
    at = int(time.time()) - 3600
    data = json.dumps({"data": [
        {"id": "txn_m1", "amount": -3_000, "fee": 0, "net": -3_000, "type": "payout", "created": at, "source": "po_m1"},
        {"id": "txn_m2", "amount": 8_000, "fee": 200, "net": 7_800, "type": "charge", "created": at, "source": "ch_m2"}]}).encode()
    imp = await rec.import_stripe_transactions(actor, district.id, data, "m.json")
    await _migrated_again_after("0027_statement_import_withdrawn")
    rows = {(await LedgerEntry.get(id=r.entry_id)).idempotency_key: r.posted for r in await StatementEntry.filter(statement_id=imp.id)}
    assert rows == {"payout:po_m1": False, "stripe_fee:txn_m2": True}
    done = await sw.withdraw_import(actor, district.id, imp.id, "Imported into the wrong week by mistake")
    assert done.reversed == ["stripe_fee:txn_m2"] and done.kept == {"payout:po_m1": "found"}


async def test_0030_puts_on_each_case_the_counter_it_was_filed_and_paid_at(demo_db):
    """Migration 0030, run again on the suite's database: a case filed before it gets the counter of its
    request's payment, also when the case has moved to another counter since (where it is now stays its
    ``counter``); a grievance filed online (no request) gets none. A case opened after the migration is
    given it when it opens (decision 110)."""
    from tests.case_helpers import caste_case, grievance_case

    from emitra.core import workflow
    from emitra.core.models import Case, Counter

    moved, stayed = await caste_case("m0030-1"), await grievance_case("m0030-2")
    kiosk = await Counter.get(code="JP-JM-001")
    await Case.filter(id=moved.id).update(counter_id=kiosk.id)  # moved since it was filed (onboarding.move_applications)
    online = await workflow.open_case(await _society(), district_id=moved.district_id, kind="grievance", service_code=stayed.service_code,
                                      title_en="Online", title_hi="ऑनलाइन", department="phed", channel="online")
    paid_at = (await moved.request).counter_id
    assert paid_at != kiosk.id and moved.filed_counter_id == paid_at  # given when it opened
    await _migrated_again_after("0029_message_lang")
    filed = dict(await Case.filter(id__in=[moved.id, stayed.id, online.id]).values_list("id", "filed_counter_id"))
    assert filed == {moved.id: paid_at, stayed.id: (await stayed.request).counter_id, online.id: None}
    assert (await Case.get(id=moved.id)).counter_id == kiosk.id


async def _society():
    from emitra.core.audit import Actor
    from emitra.core.models import User

    return Actor(await User.get(username="society"), via="cli")


async def test_0032_removes_the_rows_by_which_an_import_vouched_for_another_districts_entries(demo_db):
    """Migration 0032, run again on the suite's database: an Ajmer import of Jaipur's Stripe file, as
    the code before decision 106 left it (its lines, and statement_entry rows for Jaipur's payout and
    fee, which it "found"), loses those rows, and an audit record on that import, chained, names what
    was removed; Jaipur's own import keeps its rows. Ajmer's import is then withdrawn, its lines only:
    nothing of Jaipur's books is reversed, nor refused as an unrecorded import's (decision 112)."""
    import json
    import time

    from emitra.core import audit, ledger
    from emitra.core import reconcile as rec
    from emitra.core import statement_withdraw as sw
    from emitra.core.models import AuditLog, District, LedgerEntry, StatementEntry, StatementImport, StatementLine

    actor, jaipur = await _society(), await District.get(code="JP")
    ajmer = await District.create(code="AJ", name_en="Ajmer", name_hi="अजमेर")
    at = int(time.time()) - 3600
    data = json.dumps({"data": [
        {"id": "txn_x1", "amount": 8_000, "fee": 200, "net": 7_800, "type": "charge", "created": at, "source": "ch_x1"},
        {"id": "txn_x2", "amount": -7_800, "fee": 0, "net": -7_800, "type": "payout", "created": at, "source": "po_x2"}]}).encode()
    mine = await rec.import_stripe_transactions(actor, jaipur.id, data, "jaipur.json")
    theirs = await StatementImport.create(district_id=ajmer.id, source="stripe", filename="jaipur.json", sha256="a" * 64, content_sha256="b" * 64,
                                          period_start=mine.period_start, period_end=mine.period_end, lines=2, imported_by="ajmer_society")
    await StatementLine.bulk_create([StatementLine(statement_id=theirs.id, line_no=l.line_no, value_date=l.value_date, amount_paise=l.amount_paise,
                                                   reference=l.reference, description=l.description)
                                     for l in await StatementLine.filter(statement_id=mine.id)])
    entries = {e.idempotency_key: e for e in await LedgerEntry.filter(idempotency_key__in=["stripe_fee:txn_x1", "payout:po_x2"])}
    await StatementEntry.bulk_create([StatementEntry(statement_id=theirs.id, entry_id=entries["stripe_fee:txn_x1"].id, posted=True),  # (0028's fill-in)
                                      StatementEntry(statement_id=theirs.id, entry_id=entries["payout:po_x2"].id, posted=False)])
    assert len((await ledger.check())["problems"]) == 2
    await _migrated_again_after("0031_district_holiday")
    assert not await StatementEntry.filter(statement_id=theirs.id).exists()
    assert await StatementEntry.filter(statement_id=mine.id).count() == 2
    record = await AuditLog.get(action="statement.other_district_entries_removed", object_id=str(theirs.id))
    assert (record.district_id, record.actor_id, record.actor_name) == (ajmer.id, None, "(migration)")
    assert record.detail["removed"] == [{"entry": "stripe_fee:txn_x1", "district": "JP", "posted": True},
                                        {"entry": "payout:po_x2", "district": "JP", "posted": False}]
    assert (await audit.verify()).intact and (await ledger.check())["balanced"]
    done = await sw.withdraw_import(actor, ajmer.id, theirs.id, "Jaipur's Stripe file, imported here by mistake")
    assert (done.lines, done.reversed, done.kept) == (2, [], {})
    assert not await LedgerEntry.filter(idempotency_key__startswith="reverse:").exists()
    assert await StatementEntry.filter(statement_id=mine.id).count() == 2 and (await ledger.check())["balanced"]


async def test_0034_gives_the_counters_an_empty_hindi_name_shown_as_their_english_one(demo_db):
    """Migration 0034, run again on the suite's database (back to 0033, which drops the column, and
    forward): the counters there get an empty ``name_hi``, so Hindi pages show their English name
    until the Society gives one; a counter written by SQL that does not name the column (an older
    tool, a restore) gets one too (the database's default)."""
    from tortoise import connections

    from emitra.core import onboarding
    from emitra.core.db import placeholders
    from emitra.core.models import Counter
    from emitra.web.i18n import counter_name, current_lang

    await Counter.filter(code="JP-JM-001").update(name_hi="जनमित्र कियोस्क, चौमूं")
    await _migrated_again_after("0033_drawer_total")
    assert set(dict(await Counter.all().values_list("code", "name_hi")).values()) == {""}
    kiosk = await Counter.get(code="JP-JM-001")
    conn = connections.get("default")
    await conn.execute_query(placeholders(conn, 'INSERT INTO "counter" ("district_id", "lsp_id", "code", "name", "kind", "owner_name", '
                                                '"address", "active", "split_lsp_bp", "split_owner_bp", "split_society_bp") '
                                                'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)'),
                             [kiosk.district_id, kiosk.lsp_id, "JP-JM-077", "JanMitra Kiosk, Renwal", "janmitra", "Owner", "", True, 10000, 0, 0])
    assert (await Counter.get(code="JP-JM-077")).name_hi == ""
    token = current_lang.set("hi")
    try:
        assert counter_name(kiosk) == "JanMitra Kiosk, Chomu"
        named = await onboarding.set_counter(await _society(), "JP-JM-001", name_hi="जनमित्र कियोस्क, चौमूं")
        assert counter_name(named) == "जनमित्र कियोस्क, चौमूं"
    finally:
        current_lang.reset(token)


async def test_0041_takes_the_stored_qr_code_out_of_the_upi_payments_started_before_it(demo_db):
    """Migration 0041, run again on the suite's database: a UPI payment started before it kept its
    QR code's SVG in its details; afterwards the SVG is gone, its link and the other fields are as
    they were, a payment of another method (whatever its details hold) is untouched, and the
    receipt's answer still shows the QR code of the pending payment's link (decision 188)."""
    from emitra.core import counter as counter_core
    from emitra.core.audit import Actor
    from emitra.core.models import Citizen, Counter, Payment, User
    from emitra.core.payment_methods import upi

    user = await User.get(username="operator1")
    counter = await Counter.get(id=user.counter_id)
    citizen = await Citizen.get(name="Ramesh Kumar Sharma")
    req = await counter_core.record_payment(Actor(user), counter, citizen, "gov.rj.jvvnl.bill", {"k_number": "210412345678"}, "m41-upi", "upi")
    payment = await Payment.get(request_id=req.id)
    before = dict(payment.details)
    assert "qr_svg" not in before and before["upi_link"].startswith("upi://pay?")
    payment.details = {**before, "qr_svg": upi.qr_svg(before["upi_link"])}  # as a payment started before 0041 stored it
    await payment.save(update_fields=["details"])
    other = await Payment.create(district_id=payment.district_id, request_id=req.id, method="cheque", amount_paise=1, tendered_paise=1,
                                 status="bounced", details={"qr_svg": "<svg>not ours to remove</svg>", "instrument_no": "000123"}, reference="x")
    await _migrated_again_after("0040_entry_figures")
    assert (await Payment.get(id=payment.id)).details == before
    assert (await Payment.get(id=other.id)).details == {"qr_svg": "<svg>not ours to remove</svg>", "instrument_no": "000123"}
    shown = upi.shown_details("upi", "pending", (await Payment.get(id=payment.id)).details)
    assert shown["qr_svg"] == upi.qr_svg(before["upi_link"]) and shown["qr_svg"].startswith("<svg")
