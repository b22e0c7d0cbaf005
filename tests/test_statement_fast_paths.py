"""The statement imports' fast paths read what the general paths read (docs/performance.md,
"Eleventh session"): a bank CSV's ISO dates and plain amounts (:func:`reconcile._iso_date`,
:func:`reconcile._plain_paise`) give the same lines, notes and refusals as the general readers on
any file; the strings of a Stripe file found line by line (:func:`reconcile._first_lines`) are on
the lines the one pass over the whole file found; the fee entries a Stripe import posts are dated
when Stripe created them, written so in one insert with the look-up not made twice."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tortoise.exceptions import IntegrityError

from emitra.core import ledger
from emitra.core import reconcile as rec
from emitra.core.models import District, LedgerEntry

TODAY = dt.date(2026, 1, 1)

#: headers of the shapes banks give: emitra's own, a Dr/Cr after the balance, one amount with a
#: Dr/Cr column, two reference columns joined
HEADERS = (
    ("date", "description", "reference", "debit", "credit", "balance"),
    ("Txn Date", "Narration", "Chq./Ref.No.", "Withdrawal Amt.", "Deposit Amt.", "Closing Balance", "Dr/Cr"),
    ("Date", "Particulars", "Amount", "Dr/Cr", "Balance"),
    ("Value Date", "Description", "Ref No", "UTR", "Debit", "Credit", "Balance"),
)
DATES = ("2025-11-24", "2025-11-25", " 2025-11-26 ", "24/11/2025", "24-Nov-2025", "25 Nov 2025", "26/11/25", "2025-11-24 10:32",
         "2025-02-30", "2025-13-01", "2026-12-31", "1899-01-01", "٢٠٢٥-١١-٢٤", "２０２５-11-24", "2025-1-24", "11/24/2025", "", "Total", "x")
AMOUNTS = ("", "", "-", "0", "0.00", "1483.50", "1,483.50", "100", "5.5", "007", "12.345", "999999999.99", "1234567890.00",
           "0001234567890", "-5", "+5", "5 Cr", "5.00 Dr", "5.00(Cr)", "₹ 12", "Rs.12", "١٢٣", "1.2.3", "abc", " 42.10 ")
BALANCES = ("", "101483.50", "1,00,000.00", "-250.00", "250.00 Dr", "250.00 Cr", "0", "x", "١٠٠")
WAYS = ("", "Dr", "Cr", "CR.", "debit", "C", "x")
TEXTS = ("", "BY CASH DEP SLIP DSJP0001", "NEFT JVVNL", "UPI/CR/512345678901", "1.23457E+15", "Opening Balance", "Closing Bal",
         "Page 2 of 3", "a\x00b", "B/F")


def _kind(name: str) -> str:
    key = rec._column_key(name)
    role = rec._COLUMN_OF.get(key, "")
    return {"date": "date", "value_date": "date", "debit": "amount", "credit": "amount", "amount": "amount", "balance": "balance",
            "way": "way"}.get(role, "text")


#: what a bank writes nearly always: a file of these is read, not refused
TIDY = {"date": ("2025-11-24", "2025-11-25", " 2025-11-26 ", "24/11/2025", "25 Nov 2025"), "amount": ("1483.50", "1,483.50", "100", "5.5", "0.75"),
        "balance": ("",), "way": ("Dr", "Cr"), "text": ("BY CASH DEP SLIP DSJP0001", "NEFT JVVNL", "UPI/CR/512345678901", "")}


@st.composite
def bank_files(draw) -> bytes:
    """A header of :data:`HEADERS` and lines of cells of every kind (most files refused), or lines
    as a bank writes them, now and then a cell of any kind (most files read)."""
    header = draw(st.sampled_from(HEADERS))
    tidy = draw(st.booleans())
    odd = {"date": DATES, "amount": AMOUNTS, "balance": BALANCES, "way": WAYS, "text": TEXTS}
    amounts = [i for i, name in enumerate(header) if _kind(name) == "amount"]
    rows = [list(header)]
    for _ in range(draw(st.integers(0, 8))):
        row = [draw(st.sampled_from(odd[_kind(name)] if not tidy or draw(st.integers(0, 30)) == 0 else TIDY[_kind(name)]))
               for name in header]
        if tidy and len(amounts) == 2:  # a debit or a credit: the other side empty, a dash or a zero
            row[amounts[draw(st.integers(0, 1))]] = draw(st.sampled_from(("", "", "-", "0.00")))
        cut = draw(st.sampled_from((0, 0, 0, -1, 1))) if not tidy else 0  # a cell missing or one more
        rows.append(row[:cut] if cut < 0 else row + [""] * cut)
    out = io.StringIO()
    csv.writer(out, lineterminator=draw(st.sampled_from(("\n", "\r\n")))).writerows(rows)
    return out.getvalue().encode()


def _read(data: bytes):
    try:
        reading = rec.read_bank_csv(data, TODAY)
    except rec.StatementError as exc:
        return "refused", exc.errors
    return reading.lines, reading.notes


def test_the_fast_paths_are_taken_for_what_a_bank_writes_and_only_for_it():
    assert rec._iso_date("2025-11-24") == dt.date(2025, 11, 24) and rec._iso_date("24/11/2025") is None
    assert rec._iso_date("٢٠٢٥-١١-٢٤") is None  # (Arabic-Indic digits: the general path's to read or refuse)
    with pytest.raises(ValueError):
        rec._iso_date("2025-02-30")
    assert rec._plain_paise("1483.50") == 148_350 and rec._plain_paise("5.5") == 550 and rec._plain_paise("007") == 700
    assert [rec._plain_paise(t) for t in ("1,483.50", "-5", "5 Cr", "12.345", "1234567890", "١٢٣", "")] == [None] * 7
    assert rec._plain_line_amount("", "1483.50") == 148_350 and rec._plain_line_amount("0.00", "") is None


@settings(max_examples=400, deadline=None)
@given(data=bank_files())
def test_a_bank_file_reads_the_same_through_the_fast_paths_as_through_the_general_ones(data):
    fast = _read(data)
    with pytest.MonkeyPatch.context() as general:  # every date and amount through parse_date's and _line_amount's general readers
        general.setattr(rec, "_iso_date", lambda text: None)
        general.setattr(rec, "_plain_paise", lambda text: None)
        slow = _read(data)
    assert fast == slow


def _first_lines_in_one_pass(text: str) -> dict[str, int]:
    """What the import did before: one pass of the regex over the whole file, counting lines."""
    first, line_no, counted = {}, 1, 0
    for m in re.finditer(r'"(?:[^"\\\n]|\\.)*"', text):
        line_no += text.count("\n", counted, m.start())
        counted = m.start()
        first.setdefault(m.group(), line_no)
    return first


texts = st.text(alphabet='ab"\\\n\t/é\u2028 ,:{}[]', max_size=6)
documents = st.recursive(st.none() | st.integers(-5, 5) | texts,
                         lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4), max_leaves=12)


@settings(max_examples=400, deadline=None)
@given(doc=documents, indent=st.sampled_from((None, 0, 1, 2, "\t")), ascii_only=st.booleans())
def test_the_strings_of_a_json_file_found_line_by_line_are_on_the_lines_one_pass_found(doc, indent, ascii_only):
    text = json.dumps({"data": doc, "again": doc}, indent=indent, ensure_ascii=ascii_only)
    assert rec._first_lines(text) == _first_lines_in_one_pass(text)


@pytest.mark.anyio
async def test_entries_posted_many_at_once_keep_their_own_moment_and_a_fresh_batch_is_not_looked_up(demo_db):
    d = (await District.get(code="JP")).id
    when = dt.datetime(2025, 11, 24, 3, 31, tzinfo=dt.timezone.utc)
    lines = [ledger.debit("processor_fees", 310), ledger.credit("escrow:card", 310)]
    made = await ledger.post_many([ledger.NewEntry(d, "stripe_fee:txn_1", "fee", lines, created_at=when),
                                   ledger.NewEntry(d, "stripe_fee:txn_2", "fee", lines)])
    first, second = [await LedgerEntry.get(id=made[k]) for k in ("stripe_fee:txn_1", "stripe_fee:txn_2")]
    assert first.created_at == when and second.created_at > when + dt.timedelta(days=30)
    assert await ledger.post_many([ledger.NewEntry(d, "stripe_fee:txn_1", "fee", lines)]) == {"stripe_fee:txn_1": first.id}
    with pytest.raises(IntegrityError):  # fresh: not looked up again; the unique key is the guard
        await ledger.post_many([ledger.NewEntry(d, "stripe_fee:txn_1", "fee", lines)], fresh=True)


def test_a_dash_is_no_amount_and_a_line_of_blank_cells_is_no_line():
    """Two checks the reader now makes otherwise (the money columns read by index, a line's cells
    joined to see that all are blank), pinned: a dash in the debit column of a line without a date
    is not an amount, so the line is noted, not refused; a line of spaces is passed over unnoted."""
    data = (b"date,description,reference,debit,credit,balance\n"
            b"2025-11-24,BY CASH DEP SLIP DSJP0001,CDM123,,1483.50,\n"
            b",,,-,,\n"
            b"  ,   , ,,\t,\n"
            b"2025-11-25,NEFT JVVNL,NEFT0099,100.00,,\n")
    reading = rec.read_bank_csv(data, TODAY)
    assert [(l.line_no, l.amount_paise) for l in reading.lines] == [(2, 148_350), (5, -10_000)]
    assert [str(n) for n in reading.notes] == [
        "line 3: No date and no amount: not a transaction, not read (not joined to the line above as its narration continued: "
        "its column 'debit' is filled)."]
