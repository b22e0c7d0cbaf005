"""What is waiting on the district Society today: one row per kind of work or money (decision 76).

The Society's admin handles each kind on its own page (day ends, settlement, wallet and UPI
refunds, card refunds, reconciliation, MIS vetting, escalated cases, the outbox). This module
counts them all for the Society's landing page (``/society/today``) and ``emitra society today``,
so the one morning look says where to go. Each row is one aggregate query (COUNT, SUM, MIN) over
indexes the handling pages already use; no row of the things counted is read into Python, so the
page costs the same few queries at any size of the district (docs/performance.md, "Pages at
district size"). The pages themselves stay the authority: a row is a count to act on, and the
page it links to lists the items.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

from emitra.core import config, dayend, holidays, ledger, payments, reconcile, settlement, upi_refunds
from emitra.core.db import json_array_length, json_integer
from emitra.core.refunds import cancel_entry_key

#: a day end's deposit not confirmed this many days after its business date is overdue
DEPOSIT_OVERDUE_DAYS = 3
#: a UPI refund owed to a citizen, or a wallet refund owed to an LSP, longer than this is overdue
REFUND_OVERDUE = dt.timedelta(days=3)
#: the ended weeks looked at for a reconciliation not recorded (about two months)
WEEKS_LOOKED_AT = 8
#: the days looked back for refused look-ups of citizens
LOOKUP_DAYS = 7


@dataclass
class Row:
    """One kind of thing waiting on the Society. ``amount_paise`` None: not money (or no amount
    kept in a column to sum); ``oldest`` None: nothing waiting, or no date to tell its age."""

    kind: str
    title_en: str
    title_hi: str
    link: str
    count: int = 0
    amount_paise: int | None = None
    oldest: dt.datetime | None = None
    overdue: int = 0
    rule_en: str = ""
    rule_hi: str = ""
    note_en: str = ""
    note_hi: str = ""
    extra: dict[str, int] = field(default_factory=dict)

    def age_days(self, now: dt.datetime) -> int | None:
        """Whole days the oldest item has waited (None when there is none or no date)."""
        return None if self.oldest is None else max(0, (now - self.oldest).days)

    def as_json(self, now: dt.datetime) -> dict[str, Any]:
        out = asdict(self)
        out["oldest"] = self.oldest.isoformat() if self.oldest else None
        out["age_days"] = self.age_days(now)
        out["amount"] = None if self.amount_paise is None else format_amount(self.amount_paise)
        return out


def format_amount(paise: int) -> str:
    from emitra.core.money import format_paise

    return format_paise(paise)


def _int(value: Any) -> int:
    return int(value or 0)


def _when(value: Any) -> dt.datetime | None:
    return None if value is None else ledger.as_datetime(value)


def _day(value: Any) -> dt.datetime | None:
    """A business date as the moment its day ended (its deposit is due from then)."""
    if value is None:
        return None
    day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
    return dayend.day_end_at(day)


async def _one(sql: str, params: list[Any]) -> dict[str, Any]:
    return (await ledger.rows(sql, params))[0]


async def _deposits(district_id: int, now: dt.datetime) -> Row:
    """Day ends whose deposit the bank has not been confirmed for (the Day ends page's list and its
    total row, by the same rule: :data:`dayend.AWAITING_SQL`). A day end with a bank reference but no
    confirmation is counted: its deposit is still in transit in the ledger (decision 120)."""
    late = dayend.local_date(now) - dt.timedelta(days=DEPOSIT_OVERDUE_DAYS)
    r = await _one(
        'SELECT COUNT(*) AS n, SUM("deposit_paise") AS paise, MIN("business_date") AS oldest, '
        'SUM(CASE WHEN "business_date" < ? THEN 1 ELSE 0 END) AS late, '
        'SUM(CASE WHEN "status" = \'flagged\' THEN 1 ELSE 0 END) AS flagged '
        f'FROM "day_end" WHERE "district_id" = ? AND {dayend.AWAITING_SQL}', [late, district_id])
    return Row("deposits", "Cash deposits in transit (day ends not confirmed)", "ट्रांज़िट में नकद जमा (पुष्टि न हुए दिन-अंत)",
               "/society/dayends", _int(r["n"]), _int(r["paise"]), _day(r["oldest"]), _int(r["late"]),
               f"not confirmed {DEPOSIT_OVERDUE_DAYS} days after the business day",
               f"कारोबारी दिन के {DEPOSIT_OVERDUE_DAYS} दिन बाद भी पुष्टि नहीं",
               *(_flagged(_int(r["flagged"]))), extra={"flagged": _int(r["flagged"])})


def _flagged(n: int) -> tuple[str, str]:
    return (f"{n} flagged (counted cash differs)", f"{n} चिह्नित (गिनी गई नकदी में अंतर)") if n else ("", "")


async def _settlement(district_id: int, now: dt.datetime) -> Row:
    """Card and UPI payments confirmed and not yet paid out to the LSPs (``settlement.pending``'s
    candidates, by the index on payment(method, settled_at, id)); the money is what was collected."""
    methods = payments.escrow_methods()
    marks = ", ".join("?" for _ in methods)
    r = await _one(
        'SELECT COUNT(*) AS n, SUM("amount_paise") AS paise, MIN("confirmed_at") AS oldest, '
        'SUM(CASE WHEN "confirmed_at" < ? THEN 1 ELSE 0 END) AS late '
        f'FROM "payment" WHERE "method" IN ({marks}) AND "settled_at" IS NULL AND "district_id" = ? '
        'AND "status" IN (\'received\', \'cleared\') AND "confirmed_at" IS NOT NULL AND "confirmed_at" <= ?',
        [now - settlement.LATE_AFTER, *methods, district_id, now])
    return Row("settlement", "Card and UPI payments waiting for settlement", "निपटान की प्रतीक्षा में कार्ड और यूपीआई भुगतान",
               "/society/settlement", _int(r["n"]), _int(r["paise"]), _when(r["oldest"]), _int(r["late"]),
               "confirmed more than 24 hours ago", "24 घंटे से अधिक पहले पुष्ट")


async def _wallet_refunds(district_id: int, now: dt.datetime) -> Row:
    """What the Society owes LSPs from closed counters' wallets (``wallet_refund_payable:<lsp>``,
    decision 70): the accounts' balances, by the posting(account, entry_id) index."""
    where, params = await ledger.key_prefix('p."account"', "wallet_refund_payable:")
    r = await _one(
        'SELECT COUNT(*) AS n, SUM(t."owed") AS paise, MIN(t."since") AS oldest FROM ('
        'SELECT -SUM(p."amount_paise") AS "owed", '
        '(SELECT MIN(e."created_at") FROM "ledger_entry" e WHERE e."id" = MIN(p."entry_id")) AS "since" '
        f'FROM "posting" p WHERE {where} '
        'AND p."district_id" = ? GROUP BY p."account" HAVING SUM(p."amount_paise") <> 0) t', [*params, district_id])
    oldest = _when(r["oldest"])
    late = 1 if oldest is not None and now - oldest > REFUND_OVERDUE else 0
    return Row("wallet_refunds", "Wallet refunds owed to LSPs", "एलएसपी को देय वॉलेट रिफंड", "/network",
               _int(r["n"]), _int(r["paise"]), oldest, late,
               "owed more than 3 days", "3 दिन से अधिक से देय",
               "age: since the LSP's first refund owed, if it was never paid back in full",
               "आयु: एलएसपी के पहले देय रिफंड से, यदि वह कभी पूरा न चुकाया गया हो")


async def _upi_refunds(district_id: int, now: dt.datetime) -> Row:
    """Cancelled UPI-paid bookings whose refund the Society has not sent in full (decision 71): the
    pending ``upi_refund`` payments (payment(method, ...)), what is still owed on their accounts;
    overdue by the district's working days (its holidays read once, decision 109)."""
    r = await _one(
        'SELECT COUNT(*) AS n, MIN(y."created_at") AS oldest, SUM(CASE WHEN y."created_at" < ? THEN 1 ELSE 0 END) AS late, '
        '(SELECT -SUM(p."amount_paise") FROM "posting" p WHERE p."account" IN ('
        f'SELECT \'{upi_refunds.ACCOUNT_PREFIX}\' || r."receipt_no" FROM "payment" z JOIN "service_request" r ON r."id" = z."request_id" '
        'WHERE z."method" = ? AND z."status" = \'pending\' AND z."district_id" = ?)) AS paise '
        'FROM "payment" y WHERE y."method" = ? AND y."status" = \'pending\' AND y."district_id" = ?',
        [upi_refunds.overdue_before(await holidays.closed_days(district_id)), upi_refunds.METHOD, district_id, upi_refunds.METHOD,
         district_id])
    due = config.upi_refund_due_days()  # the Society's list's rule (decision 75): working days, Monday to Saturday
    return Row("upi_refunds", "UPI refunds owed to citizens", "नागरिकों को देय यूपीआई रिफंड", "/society/upi-refunds",
               _int(r["n"]), _int(r["paise"]), _when(r["oldest"]), _int(r["late"]),
               f"owed more than {due} working days", f"{due} कार्य दिवस से अधिक से देय")


async def _card_refunds(district_id: int, now: dt.datetime) -> Row:
    """Cancels whose refund to the card was asked of Stripe but not booked (decision 73's list,
    ``refunds.waiting_cancel_refunds``): found by their ``card.cancel_refund_requested`` audit
    records (audit_log(action)), each payment by its key, once (its first attempt dates it). The
    money is what each cancel refunds, kept in the payment's details (``cancel_refund_paise``, as
    the Card refunds page shows it), read by the database's JSON functions."""
    key = cancel_entry_key("")
    paise = json_integer('y."details"', "cancel_refund_paise")
    r = await _one(
        'SELECT COUNT(*) AS n, SUM(x.paise) AS paise, MIN(x.first) AS oldest, SUM(CASE WHEN x.first < ? THEN 1 ELSE 0 END) AS late '
        f'FROM (SELECT y."id" AS id, MIN(a."at") AS first, MAX(COALESCE({paise}, 0)) AS paise '
        'FROM "audit_log" a JOIN "payment" y ON y."id" = CAST(a."object_id" AS BIGINT) '
        'JOIN "service_request" r ON r."id" = y."request_id" '
        'WHERE a."action" = \'card.cancel_refund_requested\' AND a."object_type" = \'Payment\' AND a."district_id" = ? '
        'AND y."method" = \'card\' AND y."status" = \'received\' AND r."status" <> \'cancelled\' '
        'AND CAST(y."details" AS TEXT) LIKE \'%cancel_refund_key%\' '
        f'AND NOT EXISTS (SELECT 1 FROM "ledger_entry" e WHERE e."idempotency_key" = \'{key}\' || r."receipt_no") '
        'GROUP BY y."id") x',
        [now - REFUND_OVERDUE, district_id])
    return Row("card_refunds", "Card refunds waiting to be finished", "पूरे किए जाने की प्रतीक्षा में कार्ड रिफंड", "/card-refunds",
               _int(r["n"]), _int(r["paise"]), _when(r["oldest"]), _int(r["late"]),
               "waiting more than 3 days", "3 दिन से अधिक से प्रतीक्षा में")


async def _reconciliation(district_id: int, now: dt.datetime) -> Row:
    """The weeks (of the last WEEKS_LOOKED_AT that have ended, since the district's books began)
    with no sound recorded reconciliation: none recorded, or the latest recorded one failed (its
    report has problems: an account that does not roll forward, lines dropped; findings, such as
    an unmatched line, are not problems). Every one is overdue, a week being due on its Monday
    after. One query: the first entry's date and, for each week, the number of problems of its
    latest recorded run, NULL without one (reconciliation_snapshot(district_id, period_start, recorded))."""
    today = dayend.local_date(now)
    weeks = sorted(start for start, _ in reconcile_weeks(today))
    problems = json_array_length('"report"', "problems")
    recorded_sql = ", ".join(f'(SELECT {problems} FROM "reconciliation_snapshot" WHERE "district_id" = ? AND "period_start" = ? '
                             f'AND "recorded" = ? ORDER BY "id" DESC LIMIT 1) AS w{n}' for n in range(len(weeks)))
    r = await _one(f'SELECT (SELECT MIN("created_at") FROM "ledger_entry" WHERE "district_id" = ?) AS first, {recorded_sql}',
                   [district_id, *[v for w in weeks for v in (district_id, w, True)]])
    first = _when(r["first"])
    recorded = {w.isoformat() for n, w in enumerate(weeks) if r[f"w{n}"] is not None and not int(r[f"w{n}"])}
    begun = dayend.local_date(first) if first else None
    open_weeks = [w for w in weeks if begun is not None and w + dt.timedelta(days=6) >= begun and w.isoformat() not in recorded]
    oldest = dayend.day_start(open_weeks[0] + dt.timedelta(days=7)) if open_weeks else None
    link = "/society/reconciliation" + (f"?week={open_weeks[0].isoformat()}" if open_weeks else "")
    return Row("reconciliation", "Statement weeks not reconciled", "मिलान न हुए विवरण-सप्ताह", link,
               len(open_weeks), None, oldest, len(open_weeks),
               "a week not recorded after its Monday, or whose recorded run failed",
               "अपने अगले सोमवार के बाद भी दर्ज न हुआ, या जिसका दर्ज मिलान विफल रहा, सप्ताह",
               f"of the last {WEEKS_LOOKED_AT} weeks", f"पिछले {WEEKS_LOOKED_AT} सप्ताहों में से")


def reconcile_weeks(today: dt.date) -> list[tuple[dt.date, dt.date]]:
    """The last WEEKS_LOOKED_AT Monday–Sunday weeks that have ended (the latest first)."""
    start, _ = reconcile.last_full_week(today)
    return [(start - dt.timedelta(days=7 * n), start - dt.timedelta(days=7 * n - 6)) for n in range(WEEKS_LOOKED_AT)]


async def _vetting(district_id: int, now: dt.datetime) -> Row:
    """LSPs' MIS reports submitted and not yet vetted or returned (``mis_report``: a few a month)."""
    r = await _one('SELECT COUNT(*) AS n, MIN("submitted_at") AS oldest FROM "mis_report" WHERE "district_id" = ? AND "status" = ?',
                   [district_id, "submitted"])
    return Row("vetting", "MIS reports waiting to be vetted", "जाँच की प्रतीक्षा में एमआईएस रिपोर्टें", "/mis/reports",
               _int(r["n"]), None, _when(r["oldest"]))


async def _cases(district_id: int, now: dt.datetime) -> Row:
    """Open applications and grievances escalated or past their SLA (the Office page's *flagged*
    filter), by the covering index work_case(district_id, closed_at, ..., breached, level)."""
    r = await _one(
        'SELECT COUNT(*) AS n, MIN("created_at") AS oldest, SUM(CASE WHEN "breached" = ? THEN 1 ELSE 0 END) AS late '
        'FROM "work_case" WHERE "district_id" = ? AND "closed_at" IS NULL AND ("level" > 1 OR "breached" = ?)',
        [True, district_id, True])
    return Row("cases", "Applications and grievances escalated or past their SLA", "आगे बढ़ाए गए या सेवा समय-सीमा पार आवेदन और शिकायतें",
               "/office?flagged=1", _int(r["n"]), None, _when(r["oldest"]), _int(r["late"]),
               "past the overall SLA", "कुल सेवा समय-सीमा पार")


async def _outbox(district_id: int, now: dt.datetime) -> Row:
    """Messages the outbox could not send (``status`` failed). The notification table has no index
    on its status: this one count reads the district's messages, as the Outbox page's filter does."""
    r = await _one('SELECT COUNT(*) AS n, MIN("created_at") AS oldest FROM "notification" WHERE "district_id" = ? AND "status" = ?',
                   [district_id, "failed"])
    return Row("outbox", "Messages the outbox could not send", "आउटबॉक्स जो संदेश नहीं भेज सका", "/admin/outbox?status=failed",
               _int(r["n"]), None, _when(r["oldest"]))


async def _lookups(district_id: int, now: dt.datetime) -> Row:
    """Refusals of operators' look-ups of citizens their counter had not served, in the last
    LOOKUP_DAYS (decision 96): one audit record per operator and window refused (decision 87), a
    sign of someone listing the district's citizens. Marked when one was in the last 24 hours. By
    the audit log's index on its action."""
    from emitra.core.citizen_lookups import REFUSED

    r = await _one('SELECT COUNT(*) AS n, MIN("at") AS oldest, COUNT(DISTINCT "counter_id") AS counters, '
                   'SUM(CASE WHEN "at" >= ? THEN 1 ELSE 0 END) AS recent '
                   'FROM "audit_log" WHERE "action" = ? AND "district_id" = ? AND "at" >= ?',
                   [now - dt.timedelta(hours=24), REFUSED, district_id, now - dt.timedelta(days=LOOKUP_DAYS)])
    counters = _int(r["counters"])
    return Row("lookups", f"Operators refused look-ups of citizens (last {LOOKUP_DAYS} days)",
               f"नागरिकों की खोज से रोके गए ऑपरेटर (पिछले {LOOKUP_DAYS} दिन)", f"/society/watch?lookup_days={LOOKUP_DAYS}#lookups",
               _int(r["n"]), None, _when(r["oldest"]), _int(r["recent"]), "in the last 24 hours", "पिछले 24 घंटों में",
               f"at {counters} counter{'s' if counters != 1 else ''}: ask the operators why",
               f"{counters} काउंटरों पर: ऑपरेटरों से कारण पूछें")


KINDS = (_deposits, _settlement, _wallet_refunds, _upi_refunds, _card_refunds, _reconciliation, _vetting, _cases, _outbox, _lookups)


async def waiting(district_id: int, now: dt.datetime | None = None) -> list[Row]:
    """Every kind of thing waiting on the district's Society, in the order of the day's work:
    money first (deposits, settlement, refunds), then the books, reports, cases and messages."""
    at = now or dayend.utcnow()
    return [await kind(district_id, at) for kind in KINDS]


def line(row: Row, now: dt.datetime) -> str:
    """One row as ``emitra society today`` prints it (English: a cron mail's reader may have no Hindi fonts)."""
    if not row.count:
        return f"{row.title_en}: nothing waiting"
    parts = [str(row.count)]
    if row.amount_paise is not None:
        parts.append(format_amount(row.amount_paise))
    days = row.age_days(now)
    if days is not None:
        parts.append("oldest today" if days == 0 else f"oldest {days} day{'s' if days != 1 else ''}")
    if row.note_en:
        parts.append(row.note_en)
    if row.overdue:
        parts.append(f"OVERDUE {row.overdue} ({row.rule_en})")
    return f"{row.title_en}: {', '.join(parts)}  -> {row.link}"
