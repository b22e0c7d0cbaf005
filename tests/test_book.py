"""The LokMitra centres' complaint and suggestion book, and its weekly digest to the nodal officer."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from emitra.core import book
from emitra.core.audit import Actor
from emitra.core.models import AuditLog, BookEntry, Counter, CounterKind, Notification, Society, User

IST = ZoneInfo("Asia/Kolkata")
MONDAY = dt.date(2025, 11, 3)
EMITRA = str(Path(sys.executable).parent / "emitra")


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=IST)


async def operator(username: str = "operator1") -> tuple[Actor, Counter]:
    user = await User.get(username=username)
    return Actor(user), await Counter.get(id=user.counter_id)


def test_a_lokmitra_operator_records_entries_and_sees_them_masked(web):
    web.login("operator1")
    page = web.get("/counter/book")
    assert page.status_code == 200 and "LokMitra Centre, Malviya Nagar" in page.text
    saved = web.post_form("/counter/book", {"kind": "complaint", "text": "The queue was not in order; people jumped it.",
                                            "name": "Mohammed Iqbal", "mobile": "9783011122"})
    assert saved.status_code == 303
    listing = web.get(saved.headers["location"])
    assert "Entry recorded" in listing.text and "people jumped it" in listing.text
    assert "97XXXXXX22" in listing.text and "9783011122" not in listing.text
    bad = web.post_form("/counter/book", {"kind": "suggestion", "text": "ok", "name": "", "mobile": "12"})
    assert bad.status_code == 400 and "Entry: copy what the citizen wrote, 5 to 2000 characters (now 2)" in bad.text

    async def check():
        entries = await BookEntry.all()
        assert len(entries) == 1 and entries[0].kind == "complaint"
        log = await AuditLog.get(action="book.entry")
        assert log.actor_name == "operator1" and "9783011122" not in str(log.detail)

    web.run(check)


def test_the_janmitra_operator_keeps_no_book(web):
    web.login("operator2")
    page = web.get("/counter/book")
    assert page.status_code == 200 and "kept at LokMitra centres" in page.text and 'name="text"' not in page.text
    refused = web.post_form("/counter/book", {"kind": "complaint", "text": "The kiosk was closed at noon.", "name": "", "mobile": ""})
    assert refused.status_code == 403
    assert web.run(lambda: BookEntry.all().count()) == 0
    web.logout()
    web.login("citizen")
    assert web.get("/counter/book").status_code == 403


@pytest.mark.anyio
async def test_a_janmitra_kiosk_cannot_add_an_entry_in_core_either(demo_db):
    who, kiosk = await operator("operator2")
    with pytest.raises(book.BookError) as err:
        await book.add_entry(who, kiosk, "complaint", "The kiosk was closed at noon.")
    assert err.value.field == "counter" and "JanMitra" in err.value.message_en
    assert await BookEntry.all().count() == 0


async def _second_centre() -> tuple[Actor, Counter]:
    first = await Counter.get(code="JP-LM-001")
    centre = await Counter.create(district_id=first.district_id, lsp_id=first.lsp_id, code="JP-LM-002", name="LokMitra Centre, Sanganer",
                                  kind=CounterKind.LOKMITRA, owner_name="Pink City e-Services Pvt Ltd", address="Sanganer, Jaipur")
    return Actor(await User.get(username="operator1")), centre


@pytest.mark.anyio
async def test_the_weekly_digest_groups_by_centre_masks_mobiles_and_is_sent_once(demo_db):
    who, malviya = await operator()
    _, sanganer = await _second_centre()
    await book.add_entry(who, malviya, "complaint", "Charged Rs 20 for a Rs 10 photocopy.", "Geeta Meena", "8003344556",
                         at=at(MONDAY, 0, 0))
    await book.add_entry(who, malviya, "suggestion", "Please add a second printer.", at=at(MONDAY + dt.timedelta(days=6), 23, 59))
    await book.add_entry(who, sanganer, "complaint", "No drinking water for the queue.", mobile="9414098765",
                         at=at(MONDAY + dt.timedelta(days=3), 12))
    before = await book.add_entry(who, malviya, "complaint", "Late opening on Sunday.", at=at(MONDAY - dt.timedelta(days=1), 23, 59))
    after = await book.add_entry(who, malviya, "complaint", "Closed on Monday morning.", at=at(MONDAY + dt.timedelta(days=7), 0, 0))

    note = await book.weekly_digest(Actor(None, via="cli"), malviya.district_id, MONDAY)
    assert note is not None and (note.channel, note.event) == ("email", "book_digest")
    assert note.recipient == "nodal.jaipur@demo.emitra.invalid"
    body = note.body_en
    assert "week 03-11-2025 to 09-11-2025" in body and "3 entries at 2 of 2 LokMitra centres" in body
    assert "LokMitra Centre, Malviya Nagar (JP-LM-001): 1 complaint, 1 suggestion" in body
    assert "LokMitra Centre, Sanganer (JP-LM-002): 1 complaint, 0 suggestions" in body
    assert "- 03-11-2025 complaint: Charged Rs 20 for a Rs 10 photocopy. (Geeta Meena, 80XXXXXX56)" in body
    assert "94XXXXXX65" in body and "8003344556" not in body + note.body_hi and "9414098765" not in body + note.body_hi
    assert "Late opening" not in body and "Closed on Monday" not in body  # outside the week
    assert "शिकायत" in note.body_hi
    marked = {e.id: e.digest_sent_at for e in await BookEntry.all()}
    assert marked[before.id] is None and marked[after.id] is None
    assert sum(1 for v in marked.values() if v is not None) == 3
    assert await AuditLog.filter(action="book.digest").count() == 1

    assert await book.weekly_digest(Actor(None, via="cli"), malviya.district_id, MONDAY) is None
    assert await Notification.filter(event="book_digest").count() == 1


@pytest.mark.anyio
async def test_an_empty_week_gets_one_short_digest_and_the_admins_get_it_without_a_nodal_officer(demo_db):
    _, malviya = await operator()
    society = await Society.get(district_id=malviya.district_id)
    society.nodal_officer_email = ""
    await society.save(update_fields=["nodal_officer_email"])
    note = await book.weekly_digest(Actor(None, via="cli"), malviya.district_id, MONDAY)
    assert note is not None and note.recipient == "society@demo.emitra.invalid"
    assert "No entries were written in any centre's book this week" in note.body_en and "JP-LM-001" in note.body_en
    assert await book.weekly_digest(Actor(None, via="cli"), malviya.district_id, MONDAY) is None
    with pytest.raises(book.BookError) as err:
        await book.weekly_digest(Actor(None, via="cli"), malviya.district_id, MONDAY + dt.timedelta(days=2))
    assert err.value.field == "week"
    assert await Notification.filter(event="book_digest").count() == 1


def test_the_society_reads_the_books_and_sends_the_digest_now(web):
    last = book.last_complete_week()

    async def setup():
        who, malviya = await operator()
        await book.add_entry(who, malviya, "suggestion", "Open the centre on Sunday mornings.", mobile="9829012345",
                             at=at(last + dt.timedelta(days=2), 11))

    web.run(setup)
    web.login("society")
    page = web.get("/society/book")
    assert page.status_code == 200 and "Open the centre on Sunday mornings." in page.text and "98XXXXXX45" in page.text
    assert "9829012345" not in page.text
    assert "Open the centre" not in web.get(f"/society/book?week={(last - dt.timedelta(days=7)).isoformat()}").text
    sent = web.post_form("/society/book/digest", {}, token_from="/society/book")
    assert sent.status_code == 303 and sent.headers["location"].endswith("digest=sent")
    again = web.post_form("/society/book/digest", {}, token_from="/society/book")
    assert again.headers["location"].endswith("digest=none")
    listing = web.get("/society/book")
    assert last.isoformat() in listing.text and "n***@demo.emitra.invalid" in listing.text
    assert web.run(lambda: Notification.filter(event="book_digest").count()) == 1
    web.logout()
    web.login("operator1")
    assert web.get("/society/book").status_code == 403


@pytest.mark.anyio
async def test_the_cron_command_sends_the_weeks_digest_once(demo_db):
    who, malviya = await operator()
    await book.add_entry(who, malviya, "complaint", "The printer was out of ink all day.", at=at(MONDAY + dt.timedelta(days=1), 10))

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([EMITRA, "book", "digest", *args], capture_output=True, text=True, env=dict(os.environ), timeout=120)

    first = cli("--week", MONDAY.isoformat(), "--district", "JP")
    assert first.returncode == 0, first.stderr
    assert "JP: sent to n***@demo.emitra.invalid" in first.stdout and "1 entry at 1 of 1 LokMitra centre" in first.stdout
    second = cli("--week", MONDAY.isoformat(), "--district", "jp")
    assert second.returncode == 0 and "already sent, nothing new" in second.stdout
    wrong = cli("--week", "2025-11-05")
    assert wrong.returncode != 0 and "give the Monday" in wrong.stderr
    assert await Notification.filter(event="book_digest").count() == 1
    assert (await BookEntry.get()).digest_sent_at is not None
