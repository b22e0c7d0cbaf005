"""Saved reconciliation reports: the Society's page shows a week's report again at once while
nothing it was computed from has changed (decision 39).

A district's week is hundreds of thousands of statement lines and ledger items: computing its
report takes seconds to tens of seconds (docs/performance.md), and the page used to do it on every
visit, for every week looked at. Now each report computed for the page, and each recorded run
(``core.reconcile.reconcile``, from the page or the command line), is kept in
``reconciliation_snapshot`` with the summary, the first findings of each kind (:data:`SHOWN`; the
CSV download recomputes every one) and a description of what it read:

- ``through_entry_id``: the district's last ledger entry. A later entry created before the end of
  the week's window (the period and DATE_TOLERANCE_DAYS after it) makes the report stale: a
  counter's payment of today does not, for last week (the ledger is append-only; an entry is never
  edited, a correction is a new entry, dated when it is made);
- ``through_import_id``: the district's last statement import (a new bank or Stripe file); and an
  import withdrawn after the report was computed (core/statement_withdraw.py: its lines are gone);
- ``day_ends``: a digest of the district's day ends up to the end of the window (a new one, a
  deposit confirmed or flagged);
- a recorded run of the district after it (the statement lines it marked, the balances it kept);
- :data:`VERSION`, raised when the matching rules change.

Anything else that changes a report goes through one of these. A "Compute again" button on the
page recomputes whatever the check says.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from tortoise.functions import Max

from emitra.core import ledger
from emitra.core import reconcile as rec
from emitra.core.models import District, LedgerEntry, ReconciliationSnapshot, StatementImport

VERSION = 2  # of the rules and of the stored form: a snapshot of another version is recomputed (2: decision 98)
SHOWN = 500  # differing pairs, and unmatched items of each side, a saved report keeps to show
SHOWN_MATCHED = 200  # matched pairs it keeps to show


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class Inputs:
    """What a report is about to be computed from (read before computing it: whatever changes
    meanwhile makes it stale, never the other way round)."""

    def __init__(self, computed_at: dt.datetime, import_id: int, day_ends: str):
        self.computed_at, self.import_id, self.day_ends = computed_at, import_id, day_ends


async def _day_ends(district_id: int, end: dt.date) -> str:
    """A digest of the district's day ends a report of a period ending ``end`` can read: how many,
    and the sums of their ids, of the unconfirmed ones' and of the flagged ones'."""
    last = end + dt.timedelta(days=rec.DATE_TOLERANCE_DAYS)
    # summed in SQL: a district's day ends are its counters times every day of its history
    r = (await ledger.rows(
        'SELECT COUNT(*) AS n, COALESCE(SUM("id"), 0) AS ids, COALESCE(SUM(CASE WHEN "confirmed_at" IS NULL THEN "id" ELSE 0 END), 0) AS open, '
        'COALESCE(SUM(CASE WHEN "status" = \'flagged\' THEN "id" ELSE 0 END), 0) AS flagged '
        'FROM "day_end" WHERE "district_id" = ? AND "business_date" <= ?', [district_id, last]))[0]
    return f"{int(r['n'])}:{int(r['ids'])}:{int(r['open'])}:{int(r['flagged'])}"


async def _last_import(district_id: int) -> int:
    row = await StatementImport.filter(district_id=district_id).annotate(m=Max("id")).first().values("m")
    return int((row or {}).get("m") or 0)


async def inputs(district_id: int, end: dt.date) -> Inputs:
    return Inputs(utcnow(), await _last_import(district_id), await _day_ends(district_id, end))


async def is_current(snap: ReconciliationSnapshot) -> bool:
    """Would the report be computed the same now?"""
    if (snap.report or {}).get("version") != VERSION:
        return False
    district_id = snap.district_id  # type: ignore[attr-defined]
    if await ReconciliationSnapshot.filter(district_id=district_id, recorded=True, id__gt=snap.id).exists():
        return False  # a later run marked statement lines and kept balances
    if await _last_import(district_id) != snap.through_import_id:
        return False
    if await StatementImport.filter(district_id=district_id, withdrawn_at__gte=snap.computed_at).exists():
        return False  # an import withdrawn since (decision 89): its lines are gone
    if await _day_ends(district_id, snap.period_end) != snap.day_ends:
        return False
    _lo, hi = rec.period_bounds(snap.period_start, snap.period_end)
    window_end = hi + dt.timedelta(days=rec.DATE_TOLERANCE_DAYS)
    # the entries since it, by the primary key: about a day's for yesterday's report
    return not await LedgerEntry.filter(district_id=district_id, id__gt=snap.through_entry_id, created_at__lt=window_end).exists()


# --- the stored form --------------------------------------------------------------------------------


def _message(m: Any) -> dict[str, str]:
    """A message as stored: its two texts, and the account it is about when it names one (the page
    names it in words from it; a message kept before has none, and :func:`_from_message` reads it
    from the text)."""
    kept = {"en": str(m), "hi": getattr(m, "hi", str(m))}
    if getattr(m, "account", ""):
        kept["account"] = m.account
    return kept


#: the roll-forward's failure as kept before decision 132 kept its account beside it: the key first
_KEY_FIRST = re.compile(r"^account (?P<account>\S+) does not roll forward: ")


def _from_message(d: dict[str, str]) -> rec.Message:
    """A message as kept. One kept before its account was (decision 132) is read for the account its
    text names first, so that the page names it in words as it does a new one's (decision 135); the
    stored report is left as it is."""
    account = d.get("account", "")
    if not account and (old := _KEY_FIRST.match(d["en"])) is not None:
        account = old["account"]
    return rec.Message(d["en"], d["hi"], account)


def _item(i: rec.Item) -> dict[str, Any]:
    return {"source": i.source, "kind": i.kind, "key": i.key, "date": i.date.isoformat(), "amount_paise": i.amount_paise,
            "reference": i.reference, "description": i.description, "line_no": i.line_no, "statement_id": i.statement_id,
            "status": i.status, "scope": i.scope}


def _pair(p: rec.Pair) -> dict[str, Any]:
    return {"scope": p.scope, "kind": p.kind, "how": p.how, "statement": _item(p.statement), "ledger": _item(p.ledger)}


def to_dict(report: rec.Report) -> dict[str, Any]:
    """The report as stored: everything the page shows, the findings cut at SHOWN."""
    return {
        "version": VERSION,
        "problems": [_message(m) for m in report.problems], "notes": [_message(m) for m in report.notes],
        "counts": report.counts, "confirmed": report.confirmed, "recorded": report.recorded,
        "opening_from": report.opening_from.isoformat() if report.opening_from else None,
        "matched_count": report.matched_count, "differing_count": report.differing_count,
        "unmatched_statement_count": report.unmatched_statement_count, "unmatched_ledger_count": report.unmatched_ledger_count,
        "matched": [_pair(p) for p in report.matched[:SHOWN_MATCHED]],
        "differing": [_pair(p) for p in report.differing[:SHOWN]],
        "unmatched_statement": [_item(i) for i in report.unmatched_statement[:SHOWN]],
        "unmatched_ledger": [_item(i) for i in report.unmatched_ledger[:SHOWN]],
        "accounts": [[a.account, a.opening_paise, a.in_paise, a.out_paise, a.closing_paise] for a in report.accounts],
    }


def _from_item(d: dict[str, Any]) -> rec.Item:
    return rec.Item(d["source"], d["kind"], d["key"], dt.date.fromisoformat(d["date"]), int(d["amount_paise"]), d["reference"],
                    d["description"], line_no=d["line_no"], statement_id=d["statement_id"], status=d["status"], scope=d["scope"])


def _from_pair(d: dict[str, Any]) -> rec.Pair:
    return rec.Pair(d["scope"], d["kind"], _from_item(d["statement"]), _from_item(d["ledger"]), d["how"])


def from_snapshot(snap: ReconciliationSnapshot, district_code: str) -> rec.Report:
    """The report a snapshot keeps, as the page shows a computed one."""
    d = snap.report
    report = rec.Report(snap.district_id, district_code, snap.period_start, snap.period_end,  # type: ignore[attr-defined]
                        matched=[_from_pair(p) for p in d["matched"]], differing=[_from_pair(p) for p in d["differing"]],
                        unmatched_statement=[_from_item(i) for i in d["unmatched_statement"]],
                        unmatched_ledger=[_from_item(i) for i in d["unmatched_ledger"]],
                        accounts=[rec.AccountRoll(*a) for a in d["accounts"]], counts=d["counts"],
                        problems=[_from_message(m) for m in d["problems"]],
                        confirmed=list(d["confirmed"]), notes=[_from_message(m) for m in d["notes"]],
                        recorded=bool(d["recorded"]), n_matched=int(d["matched_count"]),
                        opening_from=dt.datetime.fromisoformat(d["opening_from"]) if d["opening_from"] else None,
                        through_entry_id=snap.through_entry_id, n_differing=int(d["differing_count"]),
                        n_unmatched_statement=int(d["unmatched_statement_count"]), n_unmatched_ledger=int(d["unmatched_ledger_count"]))
    return report


async def save(report: rec.Report, before: Inputs, *, recorded_by: str = "") -> ReconciliationSnapshot:
    """Keep a report just computed from ``before``; a recorded run's when ``recorded_by`` names who
    ran it. Only the latest unrecorded snapshot of a week is kept; recorded ones stay (each run)."""
    snap = await ReconciliationSnapshot.create(
        district_id=report.district_id, period_start=report.period_start, period_end=report.period_end, computed_at=before.computed_at,
        recorded=bool(recorded_by), recorded_by=recorded_by[:60], through_entry_id=report.through_entry_id,
        through_import_id=before.import_id, day_ends=before.day_ends, report=to_dict(report))
    await ReconciliationSnapshot.filter(district_id=report.district_id, period_start=report.period_start, period_end=report.period_end,
                                        recorded=False, id__lt=snap.id).delete()
    return snap


async def latest(district_id: int, start: dt.date, end: dt.date, *, recorded: bool | None = None) -> ReconciliationSnapshot | None:
    q = ReconciliationSnapshot.filter(district_id=district_id, period_start=start, period_end=end)
    if recorded is not None:
        q = q.filter(recorded=recorded)
    return await q.order_by("-id").first()


async def week_report(district_id: int, start: dt.date, end: dt.date, *, fresh: bool = False
                      ) -> tuple[rec.Report, ReconciliationSnapshot]:
    """The week's report: the latest one kept while it is current (unless ``fresh``), else computed
    now and kept. Returns it with the snapshot it comes from."""
    if not fresh:
        snap = await latest(district_id, start, end)
        if snap is not None and await is_current(snap):
            return from_snapshot(snap, (await District.get(id=district_id)).code), snap
    before = await inputs(district_id, end)
    report = await rec.build_report(district_id, start, end)
    snap = await save(report, before)
    return from_snapshot(snap, report.district_code), snap  # shown as kept: the first findings of each kind
