"""Withdrawing a bank statement imported by mistake (docs/reconciliation.md §7, decision 89).

A statement import is all or nothing, and it was never taken back: a file imported into the wrong
district, a statement of the Society's other account without a title to tell it by, a download
cut short, or a spreadsheet someone edited before uploading, stayed in the district's weeks for
good. Its credits could be matched to this district's deposits, and its lines kept a week's
report FAILED with lines nobody could explain.

:func:`withdraw_import` takes one back, in one database transaction: the import's lines are
deleted (with the marks recorded runs gave them, so the ledger items they took are free again), the
import's row stays, marked withdrawn with who, when and why, and its file's hashes move to the
``statement.withdrawn`` audit record (so that the right file, or this same file after a mistaken
withdrawal, can be imported). A week's kept report computed before the withdrawal is computed
again at the next look (core/reconcile_saved.is_current).

A Stripe file (decision 98) posted Stripe's payouts and fees when it was imported
(core/reconcile._post_stripe), and its ``statement_entry`` rows say which entries it vouches for
and whether it posted each or found it in the books. Its withdrawal also reverses, in the same
transaction, each of those entries that an import posted (this one or another, since withdrawn)
and that no import still imported vouches for: a mirror entry ``reverse:<key>``, dated as the
entry it reverses, so that each week's books come out as if the entry had never been posted. An
entry found in the books by every import that vouched for it (a payout booked by hand) is left,
and so is one another live import vouches for. The next import of the same transactions posts
them again under the key's next generation (``payout:<po>#2``: reconcile.stripe_key_again), and
the reconciliation leaves a reversed payout and its reversal out of both statements' items
(reconcile._cancelled_pairs). A bank statement's line that a recorded run matched to a payout
reversed here is unmarked in the same transaction (decision 107), and its week named to run again.

A bank statement's lines booked as the bank's charges or interest (core/bank_lines.py, decision
156) leave with it only when the user asks for it (the page's "Also reverse its N bookings", the
command's ``--reverse-bookings``, decision 161): each booking is then reversed in the same
transaction by its mirror entry ``reverse:<key>``, dated at the withdrawal (the charge was in the
books when the week was closed; the correction is today's), its memo naming the file withdrawn, and
listed in the audit record; the reconciliation leaves a reversed booking and its reversal out of
the statements' items, as a reversed payout (reconcile._cancelled_pairs). The same line imported
again is booked under the key's next generation. Without the choice, the withdrawal is refused,
naming each booking: nothing is reversed silently, and no booking stays without its line.

Refused, with nothing changed, and a message that names the import and what to do:

* an import of another district, or one already withdrawn;
* an import whose lines a later import left out as this one's (a "statement to date" downloaded
  again): withdrawn alone, those lines would be in neither; withdraw the later one first;
* an import one of whose lines confirmed a day-end deposit (the run's *confirm deposits*, or the
  Day ends page with the line's reference): the confirmation is an entry in the books, which a
  withdrawal does not take back;
* a Stripe import without ``statement_entry`` rows whose lines move payouts or fees the books
  hold, not reversed (decision 107): one from before migration 0028 whose audit record was lost,
  so that whether it posted them or found them cannot be told;
* a bank statement with bookings of its lines, without the choice to reverse them (above);
* a reason shorter than ten characters (it is kept, Aadhaar numbers masked, in the audit log).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any, Iterable

from tortoise.transactions import in_transaction

from emitra.core import audit, bank_lines, ledger, privacy
from emitra.core.db import on_postgres
from emitra.core.models import AuditLog, DayEnd, LedgerEntry, Posting, StatementEntry, StatementImport, StatementLine
from emitra.core.money import bank_reference
from emitra.core.reconcile import STRIPE, local_date, stored_stripe_keys, week_of

MIN_REASON, MAX_REASON = 10, 300


class WithdrawRefused(ValueError):
    """A withdrawal refused: ``field`` (``import``, ``reason`` or ``reverse_bookings``),
    ``message_en``, ``message_hi``; ``bookings``: how many bookings of its lines the user was not
    asked to reverse (``reverse_bookings``). Nothing was changed."""

    def __init__(self, field: str, message_en: str, message_hi: str, bookings: int = 0):
        self.field, self.message_en, self.message_hi, self.bookings = field, message_en, message_hi, bookings
        super().__init__(f"{field}: {message_en}")


@dataclass(frozen=True)
class Withdrawal:
    """What a withdrawal took back."""

    import_id: int
    lines: int  # statement lines deleted
    marked: int  # of them, lines a recorded run had matched
    weeks: list[tuple[dt.date, dt.date]]  # the Monday–Sunday weeks its lines fell in (to run again)
    # a Stripe import's (decision 98): the keys of the entries reversed, and of those left in the
    # books, each with why ("found": booked by hand, found by every import; "import #N": vouched
    # for by that live import; "reversed already": a reversal was posted before)
    reversed: list[str] = field(default_factory=list)
    kept: dict[str, str] = field(default_factory=dict)
    # other imports' lines (a bank statement's credit of a payout reversed) whose recorded match to
    # an entry reversed was cleared (decision 107): unmatched again, their weeks in ``weeks``
    unmarked: int = 0
    # a bank statement's (decision 161): the bookings of its lines as the bank's charges or interest
    # reversed with it, as the user asked, each by an entry dated at the withdrawal
    bookings: list[bank_lines.LineBooking] = field(default_factory=list)


def _when(moment: dt.datetime | None) -> str:
    if moment is None:
        return ""
    return f"{local_date(moment):%d-%m-%Y}"


def clean_reason(text: Any) -> str:
    """The reason as kept: spaces run together, Aadhaar numbers masked; refused when too short or long."""
    reason = privacy.mask_aadhaar_in_text(" ".join(str(text or "").split()))
    if len(reason) < MIN_REASON:
        raise WithdrawRefused("reason", f"Say why the import is withdrawn, in at least {MIN_REASON} characters (it is kept in the audit log).",
                              f"आयात वापस लेने का कारण कम से कम {MIN_REASON} अक्षरों में लिखें (यह ऑडिट लॉग में रखा जाता है)।")
    if len(reason) > MAX_REASON:
        raise WithdrawRefused("reason", f"The reason is {len(reason)} characters long; keep it to {MAX_REASON}.",
                              f"कारण {len(reason)} अक्षरों का है; इसे {MAX_REASON} अक्षरों तक रखें।")
    return reason


async def _later_left_out(imp: StatementImport) -> dict[int, int]:
    """Later imports of the district that left out lines as this import's: import id -> lines."""
    found: dict[int, int] = {}
    records = AuditLog.filter(district_id=imp.district_id, action="statement.imported", at__gte=imp.imported_at
                              ).values_list("object_id", "detail")  # type: ignore[attr-defined]
    for object_id, detail in await records:
        if isinstance(detail, str):  # (a JSON text on a database without a JSON type)
            detail = json.loads(detail)
        n = ((detail or {}).get("left_out") or {}).get(str(imp.id))
        if n and str(object_id).isdigit() and int(object_id) != imp.id:
            found[int(object_id)] = int(n)
    if found:  # only those still imported
        live = set(await StatementImport.filter(id__in=list(found), withdrawn_at__isnull=True).values_list("id", flat=True))
        found = {k: v for k, v in found.items() if k in live}
    return found


async def _confirmed_by(imp: StatementImport) -> list[DayEnd]:
    """The district's confirmed day ends whose bank reference is one of this import's lines' (a
    credit's reference as the run or the Day ends page stores it, or the run's
    ``STATEMENT#<import>LINE<n>`` for a line without one)."""
    rows = await StatementLine.filter(statement_id=imp.id, amount_paise__gt=0).values_list("line_no", "reference")
    references = {bank_reference(r)[:100] for _, r in rows if r and r.strip()} | {f"STATEMENT#{imp.id}LINE{n}" for n, _ in rows}
    references.discard("")
    if not references:
        return []
    found: list[DayEnd] = []
    wanted = sorted(references)
    for start in range(0, len(wanted), 500):
        found.extend(await DayEnd.filter(district_id=imp.district_id, bank_reference__in=wanted[start:start + 500],
                                         confirmed_at__isnull=False).order_by("business_date", "id"))
    return found


def _weeks(first: dt.date | None, last: dt.date | None, also: Iterable[dt.date] = ()) -> list[tuple[dt.date, dt.date]]:
    """The weeks from ``first`` to ``last``, and those of the days ``also``, in order."""
    weeks = {week_of(day) for day in also}
    if first is not None and last is not None:
        day = week_of(first)[0]
        while day <= last:
            weeks.add(week_of(day))
            day += dt.timedelta(days=7)
    return sorted(weeks)


async def withdraw_import(actor: audit.Actor, district_id: int, import_id: int, reason: Any, reverse_bookings: bool = False) -> Withdrawal:
    """Withdraw bank statement import ``import_id`` of district ``district_id`` (see the module's
    docstring for what is refused). One transaction: the lines deleted, the import marked, the
    bookings of its lines reversed when ``reverse_bookings`` (refused without it when there are
    any: :func:`_refuse_bookings`), the audit record written; or nothing."""
    reason = clean_reason(reason)
    imp = await StatementImport.get_or_none(id=import_id, district_id=district_id) if 0 < import_id < 2**31 else None
    if imp is None:
        raise WithdrawRefused("import", f"There is no statement import #{import_id} in this district; give the number the list of imports shows.",
                              f"इस ज़िले में विवरण आयात #{import_id} नहीं है; आयातों की सूची में दिखाई गई संख्या दें।")
    _refuse_withdrawn(imp)
    later = await _later_left_out(imp)
    if later:
        named = ", ".join(f"#{k} ({v} line{'s' if v != 1 else ''})" for k, v in sorted(later.items()))
        raise WithdrawRefused(
            "import", f"Later imports left out lines as import #{imp.id}'s: {named}. Withdrawn alone, those lines would be in no import. "
            "Withdraw the later import first, then this one, then import the later file again.",
            f"बाद के आयातों ने कुछ पंक्तियाँ आयात #{imp.id} की मानकर छोड़ दी थीं: {named}। अकेले इसे वापस लेने पर वे पंक्तियाँ किसी आयात में "
            "नहीं रहेंगी। पहले बाद वाला आयात वापस लें, फिर यह, फिर बाद वाली फ़ाइल दोबारा आयात करें।")
    confirmed = await _confirmed_by(imp)
    if confirmed:
        slips = ", ".join(f"{d.slip_no} ({d.bank_reference})" for d in confirmed[:10]) + (f" and {len(confirmed) - 10} more" if len(confirmed) > 10 else "")
        slips_hi = ", ".join(f"{d.slip_no} ({d.bank_reference})" for d in confirmed[:10]) + (f" और {len(confirmed) - 10} अन्य" if len(confirmed) > 10 else "")
        raise WithdrawRefused(
            "import", f"Deposit slips were confirmed with lines of import #{imp.id}: {slips}. A confirmed deposit is an entry in the "
            "books, which withdrawing the statement would not take back; nothing was withdrawn. If those confirmations are wrong, "
            "the Society's accountant books their reversal by hand, and the statement stays.",
            f"आयात #{imp.id} की पंक्तियों से जमा पर्चियों की पुष्टि हो चुकी है: {slips_hi}। पुष्टि हुई जमा बही की प्रविष्टि है, जिसे विवरण "
            "वापस लेने से वापस नहीं लिया जाता; कुछ वापस नहीं लिया गया। यदि ये पुष्टियाँ गलत हैं तो सोसायटी का लेखाकार उन्हें हाथ से "
            "उलटता है, और विवरण बना रहता है।")
    unknown = await _unrecorded(imp) if imp.source == STRIPE else []
    if unknown:
        shown = ", ".join(unknown[:10])
        more_en, more_hi = (f" and {len(unknown) - 10} more", f" और {len(unknown) - 10} अन्य") if len(unknown) > 10 else ("", "")
        raise WithdrawRefused(
            "import", f"Import #{imp.id} was made before emitra recorded which ledger entries a Stripe import posted, and the audit "
            "record that would tell was not found, so it cannot be known whether the import posted these entries in the books or "
            f"found them booked by hand: {shown}{more_en}. Withdrawn, its lines would go and those payouts and fees would stay in the "
            "books; nothing was withdrawn. The Society's accountant checks each against the Stripe file: an entry this import posted "
            "is reversed by hand (key reverse:<key>), and once every entry named is reversed the import can be withdrawn. If one "
            "was booked by hand and must stay, leave the import, and ask the administrator who runs emitra for the district.",
            f"आयात #{imp.id} उस समय का है जब emitra यह दर्ज नहीं करता था कि Stripe आयात ने बही में कौन-सी प्रविष्टियाँ दर्ज कीं, और "
            "जो ऑडिट रिकॉर्ड यह बताता वह नहीं मिला, इसलिए यह नहीं जाना जा सकता कि आयात ने ये प्रविष्टियाँ दर्ज कीं या इन्हें हाथ से "
            f"दर्ज पाया: {shown}{more_hi}। वापस लेने पर इसकी पंक्तियाँ हट जातीं और ये भुगतान व शुल्क बही में रह जाते; कुछ वापस नहीं "
            "लिया गया। सोसायटी का लेखाकार हर प्रविष्टि को Stripe फ़ाइल से मिलाए: जो प्रविष्टि इस आयात ने दर्ज की उसे हाथ से उलटे "
            "(कुंजी reverse:<key>), और नाम दी गई हर प्रविष्टि उलट जाने पर आयात वापस लिया जा सकता है। यदि कोई प्रविष्टि हाथ से दर्ज "
            "थी और उसे रहना है, तो आयात रहने दें और ज़िले में emitra चलाने वाले व्यवस्थापक से संपर्क करें।")
    async with in_transaction():
        if imp.source == STRIPE:  # one import or withdrawal of Stripe's postings at a time (reconcile._post_stripe)
            from emitra.core import auth  # (not at the top: the password hasher is not needed here otherwise)

            await auth.serialise("stripe-postings")
        if on_postgres():  # two staff withdrawing at once: the second waits, then finds it withdrawn
            imp = await StatementImport.select_for_update().get(id=imp.id)
            _refuse_withdrawn(imp)
        reversed_keys, kept, reversed_ids = await _reverse_postings(imp) if imp.source == STRIPE else ([], {}, [])
        # (read after the import's lock: a booking of one of its lines at this moment is waited for, and found)
        bookings = await bank_lines.bookings_of(imp)
        if bookings and not reverse_bookings:
            raise _refuse_bookings(imp, bookings)
        reversals = await bank_lines.reverse_bookings(imp, bookings) if bookings else {}
        unmarked = await _unmark(imp, reversed_ids + [b.entry_id for b in bookings])
        totals = (await ledger.rows(
            'SELECT COUNT(*) AS n, COALESCE(SUM(CASE WHEN "matched_kind" <> \'\' THEN 1 ELSE 0 END), 0) AS marked, '
            'COALESCE(SUM(CASE WHEN "amount_paise" > 0 THEN "amount_paise" ELSE 0 END), 0) AS credits, '
            'COALESCE(SUM(CASE WHEN "amount_paise" < 0 THEN -"amount_paise" ELSE 0 END), 0) AS debits '
            'FROM "statement_line" WHERE "statement_id" = ?', [imp.id]))[0]
        deleted = await StatementLine.filter(statement_id=imp.id).delete()
        now = dt.datetime.now(dt.timezone.utc)
        sha256, content = imp.sha256, imp.content_sha256
        changed = await StatementImport.filter(id=imp.id, withdrawn_at__isnull=True).update(
            withdrawn_at=now, withdrawn_by=actor.name[:60], withdrawn_reason=reason,
            sha256=f"withdrawn-{imp.id}", content_sha256=None)
        if not changed:  # withdrawn by someone else at this moment (SQLite: after our reads)
            raise WithdrawRefused("import", f"Import #{imp.id} was withdrawn just now by someone else.",
                                  f"आयात #{imp.id} अभी किसी और ने वापस ले लिया।")
        await audit.record(actor, "statement.withdrawn", imp, district_id=district_id, detail={
            "reason": reason, "source": imp.source, "filename": imp.filename, "sha256": sha256, "content_sha256": content,
            "lines": int(deleted), "marked": int(totals["marked"]), "credits_paise": int(totals["credits"]),
            "debits_paise": int(totals["debits"]),
            "period": [imp.period_start.isoformat(), imp.period_end.isoformat()] if imp.period_start and imp.period_end else None,
            **({"reversed": reversed_keys, "kept": kept, "unmarked": len(unmarked)} if imp.source == STRIPE else {}),
            **({"bookings_reversed": [
                {"key": b.key, "entry_id": b.entry_id, "reversal_key": ledger.reversal_key(b.key),
                 "reversal_id": reversals[ledger.reversal_key(b.key)], "book_as": b.book_as, "line_no": b.line_no,
                 "value_date": b.value_date.isoformat(), "amount_paise": b.amount_paise} for b in bookings],
                "unmarked": len(unmarked)} if imp.source != STRIPE else {})})
    return Withdrawal(imp.id, int(deleted), int(totals["marked"]), _weeks(imp.period_start, imp.period_end, unmarked), reversed_keys, kept,
                      len(unmarked), bookings)


def _refuse_bookings(imp: StatementImport, bookings: list[bank_lines.LineBooking]) -> WithdrawRefused:
    """The refusal of a bank statement whose lines were booked as the bank's charges or interest,
    the user not having asked for the bookings to be reversed with it (decision 161): each booking
    named, and the choice that withdraws it with them (the page's box, the command's flag)."""
    n = len(bookings)
    named_en = "; ".join(b.named_en() for b in bookings[:20]) + (f"; and {n - 20} more" if n > 20 else "")
    named_hi = "; ".join(b.named_hi() for b in bookings[:20]) + (f"; और {n - 20} अन्य" if n > 20 else "")
    its = f"its {n} booking{'s' if n != 1 else ''}"
    its_hi = f"इसकी {n} दर्ज {'प्रविष्टि' if n == 1 else 'प्रविष्टियाँ'}"
    return WithdrawRefused(
        "reverse_bookings", f"Lines of import #{imp.id} were booked as the bank's charges or interest: {named_en}. Withdrawn alone, its "
        "lines would go and these entries would stay in the books with no statement line to show them; nothing was withdrawn. "
        f"Tick \"Also reverse {its}\" (on the command line: --reverse-bookings) to reverse each in the same step, by an entry "
        "dated today; the same lines imported again can then be booked again.",
        f"आयात #{imp.id} की पंक्तियाँ बैंक शुल्क या ब्याज के रूप में दर्ज की गई थीं: {named_hi}। अकेले वापस लेने पर इसकी पंक्तियाँ हट "
        "जातीं और ये प्रविष्टियाँ बिना किसी विवरण पंक्ति के बही में रह जातीं; कुछ वापस नहीं लिया गया। "
        f"\"{its_hi} भी उलटें\" चुनें (कमांड लाइन पर: --reverse-bookings) ताकि हर एक इसी चरण में आज की तारीख़ की "
        "प्रविष्टि से उलट जाए; वही पंक्तियाँ दोबारा आयात होने पर फिर दर्ज की जा सकती हैं।", bookings=n)


async def _unrecorded(imp: StatementImport) -> list[str]:
    """Of a Stripe import without ``statement_entry`` rows, the keys of the payouts and fees its
    lines move (read back from the lines, :func:`reconcile.stored_stripe_keys`) that the books hold
    and that are not reversed (decision 107). Every import since migration 0028 has a row for each
    entry it posted or found, and the migration filled them in from each earlier import's audit
    record: an import without rows moved nothing, or is one whose audit record was lost. For the
    latter, who posted these entries cannot be told, and they are not reversed blindly. Only the
    import's own district's books are read: another district's entry is none of this import's
    doing (an import posts in its own district), and an import whose only rows vouched for another
    district's entries, removed by migration 0032, is withdrawn (decision 112)."""
    if await StatementEntry.filter(statement_id=imp.id).exists():
        return []
    keys: list[str] = []
    for reference, amount, description in await StatementLine.filter(statement_id=imp.id).order_by("line_no").values_list(
            "reference", "amount_paise", "description"):
        keys += stored_stripe_keys(reference, amount, description)
    keys = list(dict.fromkeys(keys))
    held: set[str] = set()
    for at in range(0, len(keys), 2500):
        chunk = keys[at:at + 2500]
        held.update(await LedgerEntry.filter(district_id=imp.district_id, idempotency_key__in=[*chunk, *(ledger.reversal_key(k) for k in chunk)]
                                             ).values_list("idempotency_key", flat=True))
    return [k for k in keys if k in held and ledger.reversal_key(k) not in held]


async def _unmark(imp: StatementImport, entry_ids: list[int]) -> list[dt.date]:
    """Clear what recorded runs matched (or found differing) to the entries ``entry_ids``, reversed
    just now, on other imports' statement lines (a bank statement's credit of a Stripe payout): those
    lines are unmatched again at once, as a withdrawn import's own lines leave with their marks,
    not at their week's next run. A line's mark is ``entry:<id>`` (reconcile._write_marks), the
    entry's district's alone. The kept reports computed before are stale already (the withdrawal:
    reconcile_saved.is_current). Returns the lines' value dates, for their weeks to be run again."""
    keys = [f"entry:{i}" for i in entry_ids]
    found: list[tuple[int, dt.date]] = []
    for at in range(0, len(keys), 5000):
        found += await StatementLine.filter(matched_id__in=keys[at:at + 5000]).exclude(statement_id=imp.id).values_list("id", "value_date")
    for at in range(0, len(found), 5000):
        await StatementLine.filter(id__in=[i for i, _ in found[at:at + 5000]]).update(matched_kind="", matched_id="")
    return [day for _, day in found]


async def _reverse_postings(imp: StatementImport) -> tuple[list[str], dict[str, str], list[int]]:
    """Reverse the entries Stripe import ``imp`` vouches for (its ``statement_entry`` rows) that an
    import posted and that no other import still imported vouches for, each by its mirror entry
    (:func:`ledger.reversal_key`) dated as the entry itself; inside the withdrawal's transaction.
    Only an import of the entry's own district vouches for it: another district's import that
    "found" it, before such a file was refused (decision 106), does not keep it in the books.
    Returns the keys reversed, the keys kept, each with why, and the ids of the entries reversed."""
    rows = await ledger.rows(
        'SELECT e."id" AS id, e."idempotency_key" AS k, e."memo" AS memo, e."created_at" AS at, e."district_id" AS district_id, '
        'e."request_id" AS request_id, '
        '(SELECT MIN(o."statement_id") FROM "statement_entry" o JOIN "statement_import" i ON i."id" = o."statement_id" '
        'WHERE o."entry_id" = e."id" AND o."statement_id" <> s."statement_id" AND i."withdrawn_at" IS NULL '
        'AND i."district_id" = e."district_id") AS vouched_by, '
        '(SELECT COUNT(*) FROM "statement_entry" o WHERE o."entry_id" = e."id" AND o."posted" = ?) AS posted_by_imports '
        'FROM "statement_entry" s JOIN "ledger_entry" e ON e."id" = s."entry_id" WHERE s."statement_id" = ? ORDER BY e."id"',
        [True, imp.id])
    kept: dict[str, str] = {}
    due = []
    for r in rows:
        if r["vouched_by"] is not None:
            kept[r["k"]] = f"import #{r['vouched_by']}"  # still in the books by that import's word
        elif not int(r["posted_by_imports"]):
            kept[r["k"]] = "found"  # booked by hand: every import found it in the books
        else:
            due.append(r)
    wanted = [ledger.reversal_key(r["k"]) for r in due]
    already: set[str] = set()
    for at in range(0, len(wanted), 5000):  # (a reversal booked by hand before)
        already.update(await LedgerEntry.filter(idempotency_key__in=wanted[at:at + 5000]).values_list("idempotency_key", flat=True))
    for r in due:
        if ledger.reversal_key(r["k"]) in already:
            kept[r["k"]] = "reversed already"
    due = [r for r in due if r["k"] not in kept]
    lines: dict[int, list[ledger.Line]] = {}
    for at in range(0, len(due), 5000):
        for entry_id, account, amount in await Posting.filter(entry_id__in=[r["id"] for r in due[at:at + 5000]]).values_list(
                "entry_id", "account", "amount_paise"):
            lines.setdefault(entry_id, []).append(ledger.Line(account, -amount))
    await ledger.post_many([ledger.NewEntry(
        r["district_id"], ledger.reversal_key(r["k"]), f"Stripe import #{imp.id} withdrawn: reverses {r['k']} ({r['memo']})",
        lines[r["id"]], r["request_id"], created_at=ledger.as_datetime(r["at"])) for r in due], fresh=True)
    return [r["k"] for r in due], kept, [r["id"] for r in due]


def _refuse_withdrawn(imp: StatementImport) -> None:
    if imp.withdrawn_at is not None:
        raise WithdrawRefused("import", f"Import #{imp.id} was already withdrawn, by {imp.withdrawn_by} on {_when(imp.withdrawn_at)}.",
                              f"आयात #{imp.id} पहले ही {_when(imp.withdrawn_at)} को {imp.withdrawn_by} द्वारा वापस लिया जा चुका है।")
