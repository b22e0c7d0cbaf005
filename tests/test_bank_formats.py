"""Bank statements as Indian banks' downloads come (decision 57, docs/reconciliation.md section 1):
a title block above the header, the bank's own column names, an opening balance, totals and a
closing balance at the end, day-first dates, "Cr"/"Dr" suffixes or an amount with a Dr/Cr column,
Windows-1252 text and Excel's CRLF. Each is read to the same lines as the statement written in
emitra's own header, whatever is not a transaction is named, and totals and balances are checked
against the lines: a file that does not add up is refused, nothing imported."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from typing import Any

import pytest
from openpyxl import load_workbook

from emitra.core import clock
from emitra.core import counter as counter_core
from emitra.core import reconcile as rec
from emitra.core.audit import Actor
from emitra.core.models import AuditLog, Citizen, Counter, District, Payment, Society, StatementImport, StatementLine, User

pytestmark = pytest.mark.anyio
TODAY = dt.date(2026, 1, 1)

#: the statement of tests/data/bank_good.csv, as emitra's header writes it
CANONICAL = (b"date,description,reference,debit,credit,balance\n"
             b'2025-11-24,BY CASH DEP SLIP DSJP0001202511243,CDM123,,"1,483.50","1,01,483.50"\n'
             b'2025-11-26,NEFT JVVNL REMITTANCE,NEFT0099,"1,000.00",,"1,00,483.50"\n')
LINES = [(dt.date(2025, 11, 24), 148_350, "CDM123", "BY CASH DEP SLIP DSJP0001202511243", 10_148_350),
         (dt.date(2025, 11, 26), -100_000, "NEFT0099", "NEFT JVVNL REMITTANCE", 10_048_350)]

#: a State Bank style download of the demo Society's account (SBI 0000 1234 5678): its details above the header, a transaction date and a
#: value date, "24 Nov 2025", a line of text at the end
TITLED = (b"Account Name       :,EMITRA SOCIETY JAIPUR\r\n"
          b"Account Number     :,00000000012345678\r\n"
          b"IFS Code           :,SBIN0000001\r\n"
          b'Balance as on 24 Nov 2025 :,"1,00,000.00"\r\n'
          b"\r\n"
          b"Txn Date,Value Date,Description,Ref No./Cheque No.,Debit,Credit,Balance\r\n"
          b'24 Nov 2025,24 Nov 2025,BY CASH DEP SLIP DSJP0001202511243,CDM123,,"1,483.50","1,01,483.50"\r\n'
          b'26 Nov 2025,26 Nov 2025,NEFT JVVNL REMITTANCE,NEFT0099,"1,000.00",,"1,00,483.50"\r\n'
          b"**This is a computer generated statement and does not require a signature.\r\n")
#: a Bank of Baroda style download: an opening balance line, "Cr" after the balances, the totals
#: and the closing balance on the last line, DD-Mon-YYYY dates
TOTALLED = (b"TRAN DATE,VALUE DATE,NARRATION,CHQ.NO.,WITHDRAWAL(DR),DEPOSIT(CR),BALANCE(INR)\n"
            b',,Opening Balance,,,,"1,00,000.00 Cr"\n'
            b'24-Nov-2025,24-Nov-2025,BY CASH DEP SLIP DSJP0001202511243,CDM123,,"1,483.50","1,01,483.50 Cr"\n'
            b'26-Nov-2025,26-Nov-2025,NEFT JVVNL REMITTANCE,NEFT0099,"1,000.00",,"1,00,483.50 Cr"\n'
            b',,Closing Balance,,"1,000.00","1,483.50","1,00,483.50 Cr"\n')
#: a Kotak style download: one amount column and a Dr/Cr column (and another for the balance)
SIGNED = (b"Sl. No.,Date,Description,Chq / Ref number,Amount,Dr / Cr,Balance,Dr / Cr\n"
          b'1,24/11/2025,BY CASH DEP SLIP DSJP0001202511243,CDM123,"1,483.50",CR,"1,01,483.50",CR\n'
          b'2,26/11/2025,NEFT JVVNL REMITTANCE,NEFT0099,"1,000.00",DR,"1,00,483.50",CR\n')
#: an HDFC style download: two-digit years, "Narration", "Withdrawal Amt."/"Deposit Amt."
SHORT_YEARS = (b"Date,Narration,Chq./Ref.No.,Value Dt,Withdrawal Amt.,Deposit Amt.,Closing Balance\n"
               b"24/11/25,BY CASH DEP SLIP DSJP0001202511243,CDM123,24/11/25,,1483.50,101483.50\n"
               b"26/11/25,NEFT JVVNL REMITTANCE,NEFT0099,26/11/25,1000.00,,100483.50\n")
#: a net-banking export that writes its dates year first with slashes (2025/11/24), one with dots and a time
YEAR_FIRST = (b"Date,Narration,Chq./Ref.No.,Value Dt,Withdrawal Amt.,Deposit Amt.,Closing Balance\n"
              b"2025/11/24,BY CASH DEP SLIP DSJP0001202511243,CDM123,2025/11/24,,1483.50,101483.50\n"
              b"2025/11/26,NEFT JVVNL REMITTANCE,NEFT0099,2025.11.26 10:32,1000.00,,100483.50\n")

#: an ICICI style download: the newest line first, the opening balance at the bottom
NEWEST_FIRST = (b"S No.,Value Date,Transaction Date,Cheque Number,Transaction Remarks,Withdrawal Amount (INR ),Deposit Amount (INR ),Balance (INR )\n"
                b'1,26/11/2025,26/11/2025,NEFT0099,NEFT JVVNL REMITTANCE,"1,000.00",,"1,00,483.50"\n'
                b'2,24/11/2025,24/11/2025,CDM123,BY CASH DEP SLIP DSJP0001202511243,,"1,483.50","1,01,483.50"\n'
                b',,,,Opening Balance,,,"1,00,000.00"\n')


def _read(data: bytes) -> list[tuple]:
    return [(l.value_date, l.amount_paise, l.reference, l.description, l.balance_paise) for l in rec.read_bank_csv(data, TODAY).lines]


def _refused(data: bytes) -> list[tuple[int, str, str]]:
    with pytest.raises(rec.StatementError) as caught:
        rec.read_bank_csv(data, TODAY)
    return [(e.line, e.field, e.message_en) for e in caught.value.errors]


@pytest.mark.parametrize("data", [CANONICAL, TITLED, TOTALLED, SIGNED, SHORT_YEARS, YEAR_FIRST],
                         ids=["own", "titled", "totalled", "signed", "short-years", "year-first"])
def test_a_banks_download_reads_to_the_same_lines_as_the_statement_in_emitras_header(data):
    assert _read(data) == LINES


def test_what_is_not_a_transaction_is_named_with_the_columns_read():
    notes = [str(n) for n in rec.read_bank_csv(TITLED, TODAY).notes]
    assert notes == ["lines 1-4: Above the header: the statement's title, not read.",
                     "line 6: Columns read: date ← 'Value Date', description ← 'Description', reference ← 'Ref No./Cheque No.', "
                     "debit ← 'Debit', credit ← 'Credit', balance ← 'Balance'; not read: 'Txn Date'.",
                     "line 9: After the last transaction: not read."]
    notes = [str(n) for n in rec.read_bank_csv(TOTALLED, TODAY).notes]
    assert notes[1:] == ["line 2: Balance ₹1,00,000.00: not a transaction; the first line's balance is checked against it.",
                         "line 5: The statement's totals, equal to the sums of its lines: not a transaction."]
    assert rec.read_bank_csv(CANONICAL, TODAY).notes == []  # emitra's own header: nothing to say


def test_a_statement_with_the_newest_line_first_is_checked_from_the_bottom_up():
    assert sorted(_read(NEWEST_FIRST)) == LINES
    assert "The statement lists the newest transaction first" in str(rec.read_bank_csv(NEWEST_FIRST, TODAY).notes[1])
    [(line, field, message), *_] = _refused(NEWEST_FIRST.replace(b'"1,01,483.50"', b'"1,01,583.50"'))
    assert (line, field) == (3, "balance") and "not the balance before the line above (₹1,01,483.50" in message
    assert [(n, f) for n, f, _ in _refused(NEWEST_FIRST.replace(b'"1,00,000.00"', b'"1,00,001.00"'))] == [(4, "balance")]


def test_a_page_heading_or_a_repeated_header_is_named_and_not_read_and_a_continued_narration_is_joined():
    pages = TITLED.replace(b"26 Nov 2025,26 Nov 2025,NEFT",
                           b",,(continued) REF DSJP0001202511243,,,,\r\n"
                           b"Page 2 of 2\r\n"
                           b"Txn Date,Value Date,Description,Ref No./Cheque No.,Debit,Credit,Balance\r\n"
                           b"26 Nov 2025,26 Nov 2025,NEFT")
    reading = rec.read_bank_csv(pages, TODAY)
    joined = (LINES[0][:3] + ("BY CASH DEP SLIP DSJP0001202511243 (continued) REF DSJP0001202511243",) + LINES[0][4:])
    assert [(l.value_date, l.amount_paise, l.reference, l.description, l.balance_paise) for l in reading.lines] == [joined, LINES[1]]
    assert [str(n) for n in reading.notes][2:5] == [
        "line 8: No date and no amount: the rest of line 7's narration, joined to it.",
        "line 9: No date and no amount: not a transaction, not read (not joined to the line above as its narration continued: "
        "its column 'Txn Date' is filled).",
        "line 10: The header again: not read."]
    assert reading.notes[2].message_hi == "न तिथि न राशि: पंक्ति 7 के विवरण का शेष भाग, उससे जोड़ा गया।"


#: a State Bank style download whose narrations the bank wrapped: a UPI credit's UTR and payer on
#: a second line (description only), a NEFT's on two more (the reference wrapped too)
SBI_WRAPPED = (b"Account Name       :,EMITRA SOCIETY JAIPUR\r\n"
               b"Account Number     :,00000000012345678\r\n"
               b"\r\n"
               b"Txn Date,Value Date,Description,Ref No./Cheque No.,Debit,Credit,Balance\r\n"
               b'24 Nov 2025,24 Nov 2025,BY TRANSFER-UPI/CR/,TRANSFER FROM,,"1,483.50","1,01,483.50"\r\n'
               b",,612345678901/RAMESH K/SBIN/ramesh@sbi/Bill--,,,,\r\n"
               b'25 Nov 2025,25 Nov 2025,TO TRANSFER-NEFT*HDFC0000001*,TRANSFER TO,"1,000.00",,"1,00,483.50"\r\n'
               b",,N329251234567890*JVVNL REMITTANCE,4897691162093 /,,,\r\n"
               b",,JAIPUR--,,,,\r\n"
               b'26 Nov 2025,26 Nov 2025,DEBIT-ATMCard AMC,,"236.00",,"1,00,247.50"\r\n'
               b"**This is a computer generated statement and does not require a signature.\r\n")
#: an HDFC style download: the narration wrapped onto a line with nothing else, the last line's too
HDFC_WRAPPED = (b"Date,Narration,Chq./Ref.No.,Value Dt,Withdrawal Amt.,Deposit Amt.,Closing Balance\r\n"
                b"24/11/25,UPI-RAMESH KUMAR-RAMESH@OKSBI-SBIN0001234-,0000612345678901,24/11/25,,1483.50,101483.50\r\n"
                b",612345678901-BILL PAYMENT,,,,,\r\n"
                b"26/11/25,NEFT DR-HDFC0000001-JVVNL REMITTANCE-,N329251234567890,26/11/25,1000.00,,100483.50\r\n"
                b",NETBANK MUM-N329251234567890-JAIPUR,,,,,\r\n")


def test_a_narration_the_bank_wrapped_onto_the_next_lines_is_joined_to_its_transaction():
    reading = rec.read_bank_csv(SBI_WRAPPED, TODAY)
    assert [(l.line_no, l.amount_paise, l.reference, l.description) for l in reading.lines] == [
        (5, 148_350, "TRANSFER FROM", "BY TRANSFER-UPI/CR/ 612345678901/RAMESH K/SBIN/ramesh@sbi/Bill--"),
        (7, -100_000, "TRANSFER TO 4897691162093 /", "TO TRANSFER-NEFT*HDFC0000001* N329251234567890*JVVNL REMITTANCE JAIPUR--"),
        (10, -23_600, "", "DEBIT-ATMCard AMC")]
    assert [str(n) for n in reading.notes][2:] == [
        "line 6: No date and no amount: the rest of line 5's narration, joined to it.",
        "line 8: No date and no amount: the rest of line 7's narration and reference, joined to it.",
        "line 9: No date and no amount: the rest of line 7's narration, joined to it.",
        "line 11: After the last transaction: not read."]
    assert [(l.amount_paise, l.reference, l.description) for l in rec.read_bank_csv(HDFC_WRAPPED, TODAY).lines] == [
        (148_350, "0000612345678901", "UPI-RAMESH KUMAR-RAMESH@OKSBI-SBIN0001234- 612345678901-BILL PAYMENT"),
        (-100_000, "N329251234567890", "NEFT DR-HDFC0000001-JVVNL REMITTANCE- NETBANK MUM-N329251234567890-JAIPUR")]


def test_a_line_that_may_not_be_a_narration_continued_is_not_joined_and_says_why():
    header = b"Txn Date,Value Date,Description,Ref No./Cheque No.,Debit,Credit,Balance\r\n"
    first = b'24 Nov 2025,24 Nov 2025,BY TRANSFER-UPI/CR/,,,"1,483.50","1,01,483.50"\r\n'
    last = b'26 Nov 2025,26 Nov 2025,NEFT JVVNL REMITTANCE,NEFT0099,"1,000.00",,"1,00,483.50"\r\n'
    cases = {  # the line after the first transaction -> why it is not joined
        b"Sl 2,,612345678901/RAMESH K,,,,\r\n": "its column 'Txn Date' is filled",
        b',,612345678901/RAMESH K,,,,"1,01,483.50"\r\n': "its column 'Balance' is filled",
        b",,Page 2 of 3,,,,\r\n": "its narration column has no narration",
        b",,,4897691162093,,,\r\n": "its narration column has no narration",
        b"\r\n,,612345678901/RAMESH K,,,,\r\n": "the line just above it is not a transaction read",  # a blank line between
    }
    for line, why in cases.items():
        reading = rec.read_bank_csv(header + first + line + last, TODAY)
        assert [l.description for l in reading.lines] == ["BY TRANSFER-UPI/CR/", "NEFT JVVNL REMITTANCE"], line
        assert f"not joined to the line above as its narration continued: {why})." in str(reading.notes[-1]), line
        assert reading.notes[-1].message_hi.startswith("न तिथि न राशि: लेन-देन नहीं"), line
    # after an opening balance (no transaction above): not joined
    opening = header + b',,Opening Balance,,,,"1,00,000.00"\r\n,,BROUGHT FORWARD FROM OLD A/C,,,,\r\n' + first + last
    reading = rec.read_bank_csv(opening, TODAY)
    assert "the line just above it is not a transaction read" in str(reading.notes[-1]) and len(reading.lines) == 2
    # a transaction refused: the line after it is not joined, and the file is refused for the transaction alone
    assert [(n, f) for n, f, _ in _refused(header + first.replace(b"24 Nov 2025,B", b"31 Nov 2025,B") + b",,612345678901,,,,\r\n" + last)] == [
        (2, "date")]
    # joined, the narration must still fit: refused naming the continued line
    [(line, field, message)] = _refused(header + first + b",," + b"X" * 290 + b",,,,\r\n" + last)
    assert (line, field) == (3, "description") and "joined to line 2's as the rest of it, is longer than 300 characters" in message


async def _upi_payment_of_the_day(key: str, event: str) -> tuple[District, Any, dt.date, str]:
    """Ramesh's JVVNL bill paid by UPI at operator1's counter today, confirmed with the UTR
    612345678901 (of ₹1,483.50): the district, the request, today, and today as the bank writes it."""
    district = await District.get(code="JP")
    operator = await User.get(username="operator1")
    counter, citizen = await Counter.get(id=operator.counter_id), await Citizen.get(name="Ramesh Kumar Sharma")
    req = await counter_core.record_payment(Actor(operator), counter, citizen, "gov.rj.jvvnl.bill", {"k_number": "210412345678"}, key, "upi")
    await counter_core.confirm_payment(Actor(None, via="webhook"), await Payment.get(request=req), "upi", event, provider_reference="612345678901")
    today = clock.today()
    return district, req, today, f"{today:%d/%m/%y}"


async def test_a_upi_credit_whose_utr_the_bank_wrapped_onto_the_next_line_matches_by_reference(demo_db):
    """A UPI payment, and two UPI credits of its amount on its day that name their UTRs only on the
    narration's second line: joined, the payment is matched to its own credit by its UTR, the
    other credit is left for the Society to look into; read without the continuation, the first
    credit (a stranger's) was taken on amount and date."""
    district, req, today, day = await _upi_payment_of_the_day("upi-w", "evt-w")
    data = (f"Date,Narration,Chq./Ref.No.,Value Dt,Withdrawal Amt.,Deposit Amt.,Closing Balance\r\n"
            f"{day},UPI-SUNITA DEVI-SUNITA@OKAXIS-UTIB0000001-,,{day},,1483.50,\r\n"
            f",699999999999-RENT,,,,,\r\n"
            f"{day},UPI-RAMESH KUMAR-RAMESH@OKSBI-SBIN0001234-,,{day},,1483.50,\r\n"
            f",612345678901-BILL PAYMENT,,,,,\r\n").encode()
    actor = Actor(await User.get(username="society"), via="cli")
    imp = await rec.import_bank_statement(actor, district.id, data, "hdfc.csv")
    assert "line 5: No date and no amount: the rest of line 4's narration, joined to it." in [str(n) for n in imp.notes]
    report = await rec.build_report(district.id, *rec.week_of(today))
    [pair] = [p for p in report.matched if p.kind == "upi"]
    assert (pair.statement.line_no, pair.how) == (4, "reference") and req.receipt_no in pair.ledger.reference
    assert [i.line_no for i in report.unmatched_statement] == [2]


async def test_a_utr_the_banks_wrapping_cut_in_the_middle_is_read_whole_and_matches_by_reference(demo_db):
    """A bank that wraps its narration at a fixed width cuts a UTR in two: ``...-6123456`` on the
    transaction's line, ``78901-BILL PAYMENT`` on the next (decision 74). Joined, the two runs are
    read as the UTR again, so the payment is matched to its own credit by reference, not to a
    stranger's credit of the same amount on the same day whose UTR was cut the same way; and the
    parts alone (short numbers) quote nothing."""
    district, req, today, day = await _upi_payment_of_the_day("upi-c", "evt-c")
    data = (f"Date,Narration,Chq./Ref.No.,Value Dt,Withdrawal Amt.,Deposit Amt.,Closing Balance\r\n"
            f"{day},UPI-SUNITA DEVI-SUNITA@OKAXIS-UTIB0000001-6999999,,{day},,1483.50,\r\n"
            f",99999-RENT,,,,,\r\n"
            f"{day},UPI-RAMESH KUMAR-RAMESH@OKSBI-SBIN0001234-6123456,,{day},,1483.50,\r\n"
            f",78901-BILL PAYMENT,,,,,\r\n").encode()
    imp = await _line_4_takes_its_payment(district, req, today, data, "sbi.csv",
                                          "UPI-RAMESH KUMAR-RAMESH@OKSBI-SBIN0001234-6123456 78901-BILL PAYMENT")
    assert "line 5: No date and no amount: the rest of line 4's narration, joined to it." in [str(n) for n in imp.notes]


async def _line_4_takes_its_payment(district: District, req: Any, today: dt.date, data: bytes, filename: str, stored: str) -> StatementImport:
    """Import ``data``: its line 4 (Ramesh's credit, its narration stored as ``stored``, as the bank
    wrote it) is matched to his payment by reference and line 2 (a stranger's credit of the same
    amount) is left; recorded, the line is marked with its payment's entry and the stranger's is not."""
    actor = Actor(await User.get(username="society"), via="cli")
    imp = await rec.import_bank_statement(actor, district.id, data, filename)
    assert (await StatementLine.get(statement=imp, line_no=4)).description == stored
    report = await rec.build_report(district.id, *rec.week_of(today))
    [pair] = [p for p in report.matched if p.kind == "upi"]
    assert (pair.statement.line_no, pair.how) == (4, "reference") and req.receipt_no in pair.ledger.reference
    assert [i.line_no for i in report.unmatched_statement] == [2]
    recorded = await rec.reconcile(actor, district.id, *rec.week_of(today))
    assert recorded.matched_count == report.matched_count
    marked = dict(await StatementLine.filter(statement=imp).values_list("line_no", "matched_kind"))
    assert marked == {2: "", 4: "upi"}
    return imp


def test_two_runs_are_read_as_one_reference_only_when_a_wrap_could_have_cut_one():
    """What :func:`core.reconcile._words` joins: two runs of letters and digits a single space
    apart, cut between two digits, together 12 characters or more. Not runs apart by anything
    else, not a cut beside a letter, not shorter; and every run stays a word of its own."""
    def pair(ref: str, text: str) -> tuple[bool, list[str]]:
        line = rec.Item("bank", "other", "line:1", dt.date(2025, 11, 24), 148_350, "", text, line_no=1, line_id=1)
        item = rec.Item("ledger", "upi", "entry:1", dt.date(2025, 11, 24), 148_350, "request:R1", "", rec._refs(ref))
        matched, _differing, _lonely_s, _lonely_l = rec.match([line], [item], "bank")
        return bool(matched) and matched[0].how == "reference", sorted(rec._words(text.lower()))

    assert pair("612345678901", "UPI/CR/6123456 78901/RAMESH")[0]
    assert pair("n329251234567890", "NEFT N3292512 34567890 JVVNL")[0]
    assert not pair("612345678901", "UPI/CR/6123456/78901/RAMESH")[0]  # apart by a slash: two references
    assert not pair("612345678901", "UPI/CR/6123456  78901")[0]  # two spaces: not a wrap's one
    assert not pair("61234567890", "UPI 612345 67890")[0]  # 11 characters: too short to be read whole
    assert not pair("612345678901", "UPI/CR/612345 A678901")[0]  # a letter after the space: not a number cut
    assert not pair("utr0000000049", "UTR 0000000049")[0]  # nor a letter before it
    assert "rameshkumarsharma" not in pair("x", "RAMESHKUMAR SHARMA")[1]  # letters alone are never joined
    assert {"6123456", "78901", "612345678901"} <= set(pair("x", "6123456 78901")[1])


def test_a_reference_cut_twice_by_a_narrow_column_is_read_whole_from_its_three_parts():
    """A narration column narrower than the reference cuts it twice (decision 102): the three runs,
    each a single space from the next and cut between digits, are read as the reference again;
    and every join of two of them that is long enough, as before. Not more than GLUED_PARTS parts,
    not across a letter or a double space, and a run of short numbers is not a reference."""
    def quoted(ref: str, text: str) -> bool:
        line = rec.Item("bank", "other", "line:1", dt.date(2025, 11, 24), 148_350, "", text, line_no=1, line_id=1)
        item = rec.Item("ledger", "upi", "entry:1", dt.date(2025, 11, 24), 148_350, "request:R1", "", rec._refs(ref))
        matched, _differing, _lonely_s, _lonely_l = rec.match([line], [item], "bank")
        return bool(matched) and matched[0].how == "reference"

    assert quoted("sbinr52026120112345678", "RTGS-SBINR52026 1201123456 78-JVVNL")  # 22 characters in three parts
    assert quoted("612345678901", "UPI/CR/6123 4567 8901/RAMESH")
    assert quoted("612345678901", "UPI/CR/61 23 45 678901")  # four parts
    assert not quoted("612345678901", "UPI/CR/6 1 2 3 4 5 678901")  # seven parts: not a wrap's cuts
    assert not quoted("612345678901", "UPI/CR/6123 4567  8901")  # two spaces before the third part
    assert not quoted("612345678901", "UPI/CR/6123 A4567 8901")  # a letter after a space
    words = rec._words("no 1 2 3 4 5 6 7 8 9 10 11 12 13 14")
    assert words == {"no", *(str(n) for n in range(1, 15))}  # short numbers: nothing joined
    # each join of the parts long enough, and none shorter
    assert rec._words("6123 456789 01") == {"6123", "456789", "01", "612345678901"}
    assert rec._words("6123 456789 01 2") == {"6123", "456789", "01", "2", "612345678901", "6123456789012"}


async def test_a_utr_cut_twice_over_three_lines_of_narration_matches_by_reference(demo_db):
    """A bank whose narration column is narrow wraps a UPI credit's narration over three lines and
    cuts its UTR twice: the import joins the lines (decision 67), and the payment is matched to its
    own credit by reference, not to a stranger's credit of the same amount the same day."""
    district, req, today, day = await _upi_payment_of_the_day("upi-d", "evt-d")
    data = (f"Date,Narration,Chq./Ref.No.,Value Dt,Withdrawal Amt.,Deposit Amt.,Closing Balance\r\n"
            f"{day},UPI-SUNITA DEVI-6999,,{day},,1483.50,\r\n"
            f",9999 99-RENT,,,,,\r\n"
            f"{day},UPI-RAMESH KUMAR-6123,,{day},,1483.50,\r\n"
            f",45678,,,,,\r\n"
            f",901-BILL PAYMENT,,,,,\r\n").encode()
    await _line_4_takes_its_payment(district, req, today, data, "narrow.csv", "UPI-RAMESH KUMAR-6123 45678 901-BILL PAYMENT")


async def test_a_statement_to_date_imported_before_narrations_were_joined_is_known_again(demo_db):
    """An import made before wrapped narrations were joined stored each line with its first line of
    narration only: the same lines in a statement to date downloaded later are still its lines
    (left out, not imported twice), the new ones imported."""
    district = await District.get(code="JP")
    actor = Actor(await User.get(username="society"), via="cli")
    as_read_before = b"".join(line + b"\r\n" for line in SBI_WRAPPED.split(b"\r\n") if not line.startswith(b",,"))
    before = await rec.import_bank_statement(actor, district.id, as_read_before.replace(b'26 Nov 2025,26 Nov 2025,DEBIT-ATMCard AMC,,"236.00",,"1,00,247.50"\r\n', b""),
                                             "sbi-to-25.csv")
    assert before.lines == 2
    later = await rec.import_bank_statement(actor, district.id, SBI_WRAPPED, "sbi-to-26.csv")
    assert later.lines == 1 and later.left_out == {before.id: 2}
    assert await StatementLine.filter(statement=later).values_list("description", flat=True) == ["DEBIT-ATMCard AMC"]


def test_a_footer_in_the_date_column_is_the_statements_end_but_a_mistyped_date_is_not():
    footer = CANONICAL + (b'Total,,,"1,000.00","1,483.50",\n'
                          b"**This is a computer generated statement and does not require a signature.\n")
    reading = rec.read_bank_csv(footer, TODAY)
    assert _read(footer) == LINES
    assert [str(n) for n in reading.notes] == ["line 4: The statement's totals, equal to the sums of its lines: not a transaction.",
                                               "line 5: After the last transaction: not read."]
    # the last transaction with its date mistyped, even of the amount of the lines before it: refused
    mistyped = CANONICAL + b"2025-11-31,NEFT CR,N3,,1483.50,\n"  # the credits before it: 1,483.50
    assert [(n, f) for n, f, _ in _refused(mistyped)] == [(4, "date")]


def test_totals_and_balances_that_do_not_follow_from_the_lines_are_refused():
    wrong_total = TOTALLED.replace(b',,Closing Balance,,"1,000.00","1,483.50"', b',,Closing Balance,,"1,000.00","1,843.50"')
    assert _refused(wrong_total) == [(5, "credit", "The statement's total credit ₹1,843.50 is not the sum of its lines' (₹1,483.50): "
                                                   "a line may be missing or mistyped; download the statement again.")]
    wrong_opening = TOTALLED.replace(b'"1,00,000.00 Cr"', b'"1,00,100.00 Cr"')
    assert [(n, f) for n, f, _ in _refused(wrong_opening)] == [(3, "balance")]
    wrong_closing = TOTALLED.replace(b'"1,483.50","1,00,483.50 Cr"', b'"1,483.50","1,00,583.50 Cr"')
    assert [(n, f) for n, f, _ in _refused(wrong_closing)] == [(5, "balance")]
    closing = SIGNED + b',,Closing Balance,,,,"1,00,483.50",CR\n'
    assert _read(closing) == LINES and str(rec.read_bank_csv(closing, TODAY).notes[-1]) == "line 4: A balance, not a transaction."
    for wrong in (b'"1,00,483.50",DR', b'"abc",CR'):  # overdrawn by as much as it had, or no amount at all
        assert [(n, f) for n, f, _ in _refused(SIGNED + b",,Closing Balance,,,," + wrong + b"\n")] == [(4, "balance")]
    overdrawn = SIGNED.replace(b'"1,00,483.50",CR\n', b'"1,00,483.50",DR\n')  # the second balance is read as -1,00,483.50
    assert [(n, f) for n, f, _ in _refused(overdrawn)] == [(3, "balance")]


def test_a_line_that_cannot_be_told_apart_is_refused_not_guessed():
    # an amount with no Dr/Cr column and no suffix: which way did the money go?
    no_way = b"Date,Narration,Amount,Balance\n24-11-2025,CASH DEP,1483.50,101483.50\n"
    assert _refused(no_way) == [(2, "way", "The amount does not say whether it is a debit or a credit: "
                                           "give Dr or Cr in the Dr/Cr column or after the amount.")]
    assert _read(no_way.replace(b",1483.50,", b",1483.50 Cr,")) == [(dt.date(2025, 11, 24), 148_350, "", "CASH DEP", 10_148_350)]
    # a Dr/Cr column right after the balance is the balance's side, not the amount's
    balance_side = b"Date,Narration,Amount,Balance,Dr/Cr\n24-11-2025,NEFT DR,100.00,900.00,Cr\n"
    assert [(n, f) for n, f, _ in _refused(balance_side)] == [(2, "way")]
    # a suffix saying the other side of its column
    assert [(n, f) for n, f, _ in _refused(CANONICAL.replace(b'"1,000.00",,', b'"1,000.00 Cr",,'))] == [(3, "debit")]
    # two columns for one amount: never pick one
    two_debits = b"Date,Narration,Debit,Withdrawal,Credit\n24-11-2025,X,1.00,,\n"
    assert _refused(two_debits) == [(1, "header", "The header has more than one debit column ('Debit', 'Withdrawal'): remove or rename "
                                                  "all but one, so that no amount is read from the wrong column.")]
    # month first, as a spreadsheet set to US dates writes it
    month_first = _refused(CANONICAL.replace(b"2025-11-26", b"11/26/2025"))
    assert month_first[0][:2] == (3, "date") and "write the day first" in month_first[0][2]
    # a transaction above the header, or an amount without a date among the lines
    above = _refused(b"24-11-2025,early,,,5.00,\n" + CANONICAL)
    assert above == [(1, "line", "This line above the header (line 2) reads as a transaction (a date and an amount): the header must "
                                 "come before every transaction; move it or this line.")]
    undated = _refused(CANONICAL.replace(b"2025-11-24,BY", b",BY"))
    assert [(n, f) for n, f, _ in undated] == [(2, "date")] and undated[0][2].startswith("The date is empty, and the line has an amount")
    # no header at all: what one looks like
    nothing = _refused(b"Statement of account\nfoo,bar\n")
    assert nothing[0][:2] == (1, "header") and "No header was found in the first 30 lines" in nothing[0][2]



def test_a_date_written_year_first_is_read_and_one_that_cannot_be_is_refused_naming_the_fix():
    """Some banks' net-banking exports write 2026/11/17: it was refused as not a date (decision 146)."""
    for written in (b"2025/11/24", b"2025.11.24", b"2025-11-24", b"2025/1/5", b"2025/11/24 09:15"):
        data = CANONICAL.replace(b"2025-11-24", written)
        assert _read(data)[0][0] == (dt.date(2025, 1, 5) if written == b"2025/1/5" else dt.date(2025, 11, 24)), written
    # year, day, month: never guessed, the order named
    [(line, field, message)] = _refused(CANONICAL.replace(b"2025-11-26", b"2025/26/11"))
    assert (line, field) == (3, "date")
    assert message == ("'2025/26/11' is not a date: 26 is not a month. A date written with the year first is read year, month, day "
                       "(YYYY/MM/DD, e.g. 2026/11/17), never year, day, month; write it so, or with the day first (DD/MM/YYYY).")
    with pytest.raises(rec.StatementError) as caught:
        rec.read_bank_csv(CANONICAL.replace(b"2025-11-26", b"2025/26/11"), TODAY)
    assert "26 कोई महीना नहीं है" in caught.value.errors[0].message_hi
    # a day the month has not, separators mixed, or a two-digit year first (26/11/25 stays 26-11-2025, day first)
    for wrong in (b"2025/11/31", b"2025/11-26", b"2025/011/26", b"20251/1/26"):
        [(line, field, message)] = _refused(CANONICAL.replace(b"2025-11-26", wrong))
        assert (line, field) == (3, "date") and message.startswith(f"'{wrong.decode()}' is not a date; write the day first"), message
        assert "or the year first: YYYY-MM-DD or YYYY/MM/DD" in message
    assert _read(CANONICAL.replace(b"2025-11-26", b"26/11/25"))[1][0] == dt.date(2025, 11, 26)

def test_two_reference_columns_are_both_the_lines_references():
    data = (b"Tran Date,Chq No,Ref No,Particulars,Amount(Rs.),Dr/Cr,Balance(Rs.)\n"
            b"24-11-2025,,UTR99,NEFT IN,500.00,Cr,500.00\n"
            b"25-11-2025,000123,CLG77,CHQ PAID,100.00,Dr,400.00\n")
    assert [(l.reference, l.amount_paise) for l in rec.read_bank_csv(data, TODAY).lines] == [("UTR99", 50_000), ("000123 / CLG77", -10_000)]


@pytest.mark.parametrize("start, what", [(b"%PDF-1.4\n%\xe2\xe3", "a PDF document"), (b"PK\x03\x04\x14\x00\x06\x00", "an Excel workbook (.xlsx)"),
                                         (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an Excel 97-2003 workbook (.xls)"),
                                         (b"<html><body><table><tr><td>Date</td>", "a web page (HTML)"),
                                         (b"{\\rtf1\\ansi\\deff0 Date Narration", "an RTF document"),
                                         # a ZIP file that is not a workbook: OpenDocument (its mimetype stored first), Word
                                         (b"PK\x03\x04\x14\x00\x00\x00\x00\x00" + b"\x00" * 20 + b"mimetypeapplication/vnd.oasis.opendocument.spreadsheet",
                                          "an OpenDocument file (.ods or .odt)"),
                                         (b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 22 + b"word/document.xml", "a Word document (.docx)"),
                                         # a photo or a scan of the printed statement (was "No header was found ... line 1 reads ‰PNG")
                                         (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "a picture (PNG)"),
                                         (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "a picture (JPEG)")])
def test_a_pdf_or_a_workbook_is_named_for_what_it_is(start, what):
    [(line, field, message)] = _refused(start + b"\x00" * 64)
    assert (line, field) == (0, "file") and message.startswith(f"This file is {what}") and "download the statement from the bank as CSV" in message
    assert "not CSV or text" in message and "or as text separated by tabs (TXT; State Bank's 'Excel' download is such text)" in message


def test_a_file_whose_every_line_is_quoted_as_one_field_is_told_so():
    """Each line in double quotes, one field ("2025-11-24,BY CASH DEP,..."), as a tool that quotes
    lines writes it: refused as having no header, "line 1 reads date,description,...", the very
    header the message then gave as the example."""
    quoted = b"".join(b'"' + line + b'"\n' for line in CANONICAL.replace(b'"', b"").splitlines())
    [(line, field, message)] = _refused(b"Statement of account\n" + quoted)
    assert (line, field) == (2, "header")
    assert message.startswith("Each line is in double quotes as one field (line 2 is the header date,description,reference,debit,credit,balance "
                              "in quotes): the columns are not separated.")


def test_a_reference_a_spreadsheet_turned_into_a_number_is_refused():
    """Two UTRs shown as 1.23457E+15 are one reference: the second deposit would be refused, or
    confirmed for the first, on a reference the bank never printed."""
    saved = CANONICAL.replace(b",CDM123,", b",1.23457E+15,").replace(b",NEFT0099,", b",4.12346e+11,")
    refused = _refused(saved)
    assert [(n, f) for n, f, _ in refused] == [(2, "reference"), (3, "reference")]
    assert refused[0][2].startswith("'1.23457E+15' is a number a spreadsheet wrote in place of the reference")
    assert _read(CANONICAL.replace(b",CDM123,", b",E+15 1.2 REF,"))[0][2] == "E+15 1.2 REF"  # a reference that only looks alike


def test_a_windows_1252_file_is_read_and_says_so():
    data = b"date,description,reference,debit,credit,balance\r\n24/11/2025,NEFT \x96 CAF\xc9 JAIPUR,N1,,10.00,\r\n"
    reading = rec.read_bank_csv(data, TODAY)
    assert [l.description for l in reading.lines] == ["NEFT – CAFÉ JAIPUR"]
    assert [str(n) for n in reading.notes] == ["The file is not UTF-8; it was read as Windows-1252 (ANSI) text, as Excel on Windows saves it."]


@pytest.mark.parametrize("data", [b"\xff\xfe" + CANONICAL.decode().encode("utf-16-le"), b"\xfe\xff" + CANONICAL.decode().encode("utf-16-be"),
                                  CANONICAL.decode().encode("utf-16-le"), TITLED.decode().encode("utf-16")],
                         ids=["le-with-mark", "be-with-mark", "le-without-mark", "titled"])
def test_a_utf_16_file_is_read_and_says_so(data):
    """A UTF-16 file (Excel's "Unicode Text", some banks' downloads) was read as Windows-1252: every
    character followed by a NUL, and the refusal named 'ÿþd a t e' columns. It reads to the same lines."""
    reading = rec.read_bank_csv(data, TODAY)
    assert [(l.value_date, l.amount_paise, l.reference, l.description, l.balance_paise) for l in reading.lines] == LINES
    assert "The file is UTF-16 text, as Excel saves 'Unicode Text'; it was read so." in [str(n) for n in reading.notes]


def test_a_utf_16_file_separated_by_tabs_is_read_and_a_utf_16_web_page_is_named():
    """Excel's "Unicode Text" is UTF-16 separated by tabs: it was told to use commas (decision 189)."""
    reading = rec.read_bank_csv(_tabbed(CANONICAL).decode().encode("utf-16"), TODAY)
    assert [(l.value_date, l.amount_paise, l.reference, l.description, l.balance_paise) for l in reading.lines] == LINES
    assert [str(n) for n in reading.notes] == ["The file is UTF-16 text, as Excel saves 'Unicode Text'; it was read so.", TABS_NOTE]
    [(line, field, message)] = _refused("<html><body><table><tr><td>Date</td>".encode("utf-16"))
    assert (line, field) == (0, "file") and message.startswith("This file is a web page (HTML)")


def test_a_side_the_amount_does_not_belong_to_is_named_dr_or_cr():
    """'100.00 Dr' in the credit column was said to say "De"."""
    [(_, _, credit)] = _refused(CANONICAL.replace(b',,"1,483.50",', b',,"1,483.50 Dr",'))
    assert credit == "'1,483.50 Dr' says Dr in the credit column: check which way the money went."
    signed = SIGNED.replace(b'"1,483.50",CR', b'"1,483.50 Dr",CR')
    assert ("The Dr/Cr column says Cr, the amount says Dr: check which way the money went."
            in [m for _, _, m in _refused(signed)])


@pytest.mark.parametrize("amount", ["1483,50", "1,4,83.50", "14,83.50", "1,483.5,0", "1483.50,", ",1483.50", "1,483,50"])
def test_an_amount_whose_commas_are_not_thousands_is_refused_not_read_as_another_amount(amount):
    """'1483,50' (a decimal comma) was read as ₹1,48,350.00, a hundred times the amount: a comma
    groups thousands (1,483.50, 1,00,000.00, 100,000.00), nothing else."""
    data = CANONICAL.replace(b'"1,483.50"', f'"{amount}"'.encode())
    [(line, field, message)] = [e for e in _refused(data) if e[1] == "credit"]
    assert line == 2 and message.startswith(f"'{amount}' has a comma where no thousands end")
    balance = CANONICAL.replace(b'"1,01,483.50"', f'"1,01,{amount}"'.encode())
    assert [(2, "balance")] == [(n, f) for n, f, _ in _refused(balance)]


@pytest.mark.parametrize("amount, paise", [("1,483.50", 148_350), ("1,00,000.00", 10_000_000), ("100,000.00", 10_000_000),
                                           ("12,34,56,789.00", 123_456_789_00), ("1,234,567.00", 123_456_700), ("₹1,483.50", 148_350),
                                           ("1,483.50 Cr", 148_350), ("999", 99_900)])
def test_thousands_grouped_the_indian_or_the_international_way_are_read(amount, paise):
    data = CANONICAL.replace(b'"1,483.50","1,01,483.50"', f'"{amount}",'.encode())
    assert _read(data)[0][1] == paise


@pytest.mark.parametrize("printed", ["00000087654321", "A/c No. 0000 8765 4321", "XXXXXXXX4321", "00000012345670"])
async def test_a_statement_of_another_account_is_refused_naming_both_accounts(demo_db, printed):
    """Ajmer's statement (or any account but the Society's) imported in Jaipur was imported: its
    lines then sat in Jaipur's weeks for good (an import cannot be taken back), and a credit of the
    same amount within two days matched, and with "confirm deposits" confirmed, a Jaipur deposit."""
    district = await District.get(code="JP")
    actor = Actor(await User.get(username="society"), via="cli")
    title = f"Account No.,{printed}" if not printed.startswith("A/c") else printed
    other = TITLED.replace(b"Account Number     :,00000000012345678", title.encode())
    with pytest.raises(rec.StatementError) as caught:
        await rec.import_bank_statement(actor, district.id, other, "ajmer.csv")
    [error] = caught.value.errors
    assert (error.line, error.field) == (2, "account")
    assert error.message_en.startswith(f"This statement is of account {printed.removeprefix('A/c No. ')}, not the Society's account "
                                       "SBI 0000 1234 5678 (district JP, the account its deposit slips name)")
    assert "सोसायटी के खाते" in error.message_hi
    assert await StatementImport.all().count() == 0 and await AuditLog.filter(action="statement.imported").count() == 0


@pytest.mark.parametrize("printed", ["00000000012345678", "XXXXXXXXX5678", "SBI 0000 1234 5678", "**** **** 5678"])
async def test_a_statement_of_the_societys_account_is_imported_however_the_bank_prints_the_number(demo_db, printed):
    district = await District.get(code="JP")
    actor = Actor(await User.get(username="society"), via="cli")
    own = TITLED.replace(b"Account Number     :,00000000012345678", f"Account Number :,{printed}".encode())
    assert (await rec.import_bank_statement(actor, district.id, own, "sbi.csv")).lines == 2


def test_the_societys_account_is_its_number_not_the_digits_of_its_ifsc_code():
    assert rec.same_account("00000012345678901", "SBI A/c 12345678901, IFSC SBIN0001234") is True
    assert rec.same_account("XXXXXXX8901", "SBI A/c 1234-5678-8901 (Jaipur main)") is True
    assert rec.same_account("00000087654321", "SBI A/c 12345678901, IFSC SBIN0001234") is False
    assert rec.same_account("00000087654321", "SBI main branch") is None and rec.same_account("XXXX21", "SBI 0000 1234 5678") is None
    assert rec.same_account("00000012345678901", "SBI A/c ending 8901") is True  # a Society that keeps the last digits


async def test_a_statement_is_not_checked_against_an_account_the_society_has_not_given(demo_db):
    """No account on the Society (none set up yet), or none in the file (emitra's own header): imported."""
    district = await District.get(code="JP")
    actor = Actor(await User.get(username="society"), via="cli")
    assert (await rec.import_bank_statement(actor, district.id, CANONICAL, "own.csv")).lines == 2
    await Society.filter(district=district).update(bank_account="")
    other = TITLED.replace(b"00000000012345678", b"00000087654321")
    assert (await rec.import_bank_statement(actor, district.id, other.replace(b"Nov 2025", b"Dec 2025"), "other.csv")).lines == 2


async def test_the_same_statement_in_the_banks_format_is_the_same_statement(demo_db):
    """A bank's download and the same statement in emitra's header are one statement: the second is
    refused as already imported; the import's audit record says how the file was read."""
    district = await District.get(code="JP")
    actor = Actor(await User.get(username="society"), via="cli")
    imp = await rec.import_bank_statement(actor, district.id, TOTALLED, "bob.csv")
    assert imp.lines == 2 and [str(n) for n in imp.notes][1].startswith("line 2: Balance ₹1,00,000.00")
    stored = await StatementLine.filter(statement_id=imp.id).order_by("line_no").values_list("line_no", "amount_paise", "reference")
    assert [tuple(r) for r in stored] == [(3, 148_350, "CDM123"), (4, -100_000, "NEFT0099")]
    record = await AuditLog.get(action="statement.imported")
    assert {"lines": "5", "note": "The statement's totals, equal to the sums of its lines: not a transaction."} in record.detail["read"]
    with pytest.raises(rec.DuplicateStatement):
        await rec.import_bank_statement(actor, district.id, CANONICAL, "own.csv")
    assert await StatementImport.all().count() == 1


def test_the_page_imports_a_banks_download_and_lists_what_it_did_not_read(web):
    web.login("society")
    token = web.csrf("/society/reconciliation")
    page = web.post("/society/reconciliation", data={"action": "import_bank", "csrf_token": token},
                    files={"file": ("sbi.csv", TITLED, "text/csv")})
    assert page.status_code == 200 and "Imported" in page.text
    text = re.sub(r"\s+", " ", page.text).replace("&#39;", "'")
    assert "Lines 1-4: Above the header: the statement's title, not read." in text
    assert "Line 9: After the last transaction: not read." in text
    hindi = web.post("/society/reconciliation?lang=hi", data={"action": "import_bank", "csrf_token": token},
                     files={"file": ("sbi-copy.csv", TITLED.replace(b"\r\n", b"\n"), "text/csv")})
    assert hindi.status_code == 400 and "पहले ही आयात" in hindi.text


def test_the_export_of_a_week_opens_in_a_spreadsheet_with_its_narrations_as_the_bank_wrote_them(web):
    """A narration with a dash and an accent (a Windows-1252 statement) comes out of the week's CSV
    as the bank wrote it: the file says it is UTF-8 (a byte-order mark, which Excel needs); a
    narration beginning with = stays text."""
    web.login("society")
    token = web.csrf("/society/reconciliation")
    data = (b"Date,Narration,Chq./Ref.No.,Withdrawal Amt.,Deposit Amt.,Closing Balance\r\n"
            b"24/11/2025,NEFT \x96 CAF\xc9 JAIPUR,N1,,10.00,10.00\r\n"
            b'25/11/2025,"=HYPERLINK(""http://x.example/"")",N2,,5.00,15.00\r\n')
    assert web.post("/society/reconciliation", data={"action": "import_bank", "csrf_token": token},
                    files={"file": ("hdfc.csv", data, "text/csv")}).status_code == 200
    export = web.get("/society/reconciliation/export.csv?week=2025-11-24")
    assert export.content.startswith(b"\xef\xbb\xbf")
    rows = export.content.decode("utf-8-sig").splitlines()
    assert any(",NEFT – CAFÉ JAIPUR," in r for r in rows)
    assert any(",'=HYPERLINK(\"\"http://x.example/\"\")\"," in r or ",\"'=HYPERLINK(\"\"http://x.example/\"\")\"," in r for r in rows)


def test_the_export_of_a_week_as_a_workbook_keeps_every_digit_of_its_references(web):
    """Excel shows a 12-digit UTR or a 16-digit reference of a CSV in scientific notation and loses
    digits when the file is saved again: the workbook has them as text cells (formatted as text),
    its amounts as numbers, the same rows as the CSV, and a narration beginning with = is text."""
    web.login("society")
    token = web.csrf("/society/reconciliation")
    data = (b"Date,Narration,Chq./Ref.No.,Value Dt,Withdrawal Amt.,Deposit Amt.,Closing Balance\r\n"
            b"24/11/25,UPI-RAMESH KUMAR-RAMESH@OKSBI-SBIN0001234-612345678901,612345678901,24/11/25,,1483.50,1483.50\r\n"
            b"25/11/25,POS 4591XXXXXXXX1234 CARD SETTLEMENT,0000612345678901,25/11/25,,10.00,1493.50\r\n"
            b'25/11/25,"=HYPERLINK(""http://x.example/"")",000123,25/11/25,,5.00,1498.50\r\n')
    assert web.post("/society/reconciliation", data={"action": "import_bank", "csrf_token": token},
                    files={"file": ("hdfc.csv", data, "text/csv")}).status_code == 200
    export = web.get("/society/reconciliation/export.xlsx?week=2025-11-24")
    assert export.status_code == 200 and export.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "reconciliation-JP-2025-11-24-2025-11-30.xlsx" in export.headers["content-disposition"]
    book = load_workbook(io.BytesIO(export.content))
    assert book.sheetnames == ["Summary", "Items"]
    items = list(book["Items"].iter_rows())
    # headed in words (decision 120), read here by the CSV's codes, which the columns keep in order
    assert [c.value for c in items[0]][:5] == ["Bucket", "Source", "Kind", "Matched by", "Statement date"]
    columns = list(rec.REPORT_COLUMNS)
    assert len(items[0]) == len(columns)
    by_line = {row[columns.index("statement_line")].value: row for row in items[1:] if row[columns.index("statement_line")].value}
    for line, reference in ((2, "612345678901"), (3, "0000612345678901"), (4, "000123")):
        ref = by_line[line][columns.index("statement_reference")]
        assert (ref.value, ref.data_type, ref.number_format) == (reference, "s", "@"), line
    amount = by_line[2][columns.index("statement_amount")]
    assert amount.value == 1483.5 and amount.data_type == "n"
    narration = by_line[4][columns.index("statement_description")]
    assert narration.data_type == "s" and narration.value == "'=HYPERLINK(\"http://x.example/\")"
    # the same rows as the CSV, whose references Excel would turn into 6.12346E+11
    rows = list(csv.reader(io.StringIO(web.get("/society/reconciliation/export.csv?week=2025-11-24").text.lstrip("\ufeff"))))
    assert [r for r in rows[2:] if r][:len(items) - 1] == [["" if c.value is None else f"{c.value:.2f}" if c.data_type == "n" and
                                                           columns[i].endswith(("amount", "difference")) else str(c.value)
                                                           for i, c in enumerate(r)] for r in items[1:]]
    summary = [[c.value for c in r] for r in book["Summary"].iter_rows()]
    assert summary[0][:len(rows[0])] == rows[0] and summary[2] == ["Account", "Opening (₹)", "In (debits) (₹)", "Out (credits) (₹)", "Closing (₹)",
                                                    "Rolls forward", "Account name"]
    # for the Society admin only
    web.logout()
    web.login("operator1")
    assert web.get("/society/reconciliation/export.xlsx?week=2025-11-24").status_code == 403


def test_a_narration_with_a_control_character_is_exported_to_the_workbook_with_it_shown(web):
    """A narration with a vertical tab or an escape (a bank's download printed for a line printer)
    was imported, and the week's workbook was then a server error for good (openpyxl refuses such
    characters in a cell, and an import is not taken back). The workbook writes each as its escape."""
    web.login("society")
    token = web.csrf("/society/reconciliation")
    data = CANONICAL.replace(b"NEFT JVVNL REMITTANCE", b"NEFT JVVNL\x0bREMIT\x1bTANCE\x0cJAIPUR")
    assert web.post("/society/reconciliation", data={"action": "import_bank", "csrf_token": token},
                    files={"file": ("printed.csv", data, "text/csv")}).status_code == 200
    export = web.get("/society/reconciliation/export.xlsx?week=2025-11-24")
    assert export.status_code == 200
    cells = [c.value for row in load_workbook(io.BytesIO(export.content))["Items"].iter_rows() for c in row]
    assert "NEFT JVVNL\\x0bREMIT\\x1bTANCE\\x0cJAIPUR" in cells
    assert "NEFT JVVNL\x0bREMIT\x1bTANCE\x0cJAIPUR" in web.get("/society/reconciliation/export.csv?week=2025-11-24").text  # as the bank wrote it


def test_a_file_given_to_the_wrong_form_is_told_which_form_it_belongs_to():
    [(line, field, message)] = _refused(b'{"object": "list", "data": []}')
    assert (line, field) == (0, "file") and message.startswith("This file is JSON (Stripe's balance transactions?), not a bank statement CSV")
    for csv_file in (CANONICAL, b"id,Type,Source,Amount,Fee,Net,Currency,Created (UTC)\ntxn_1,charge,ch_1,500.00,10.00,490.00,inr,2025-11-24 10:00\n"):
        with pytest.raises(rec.StatementError) as caught:
            rec.parse_stripe_json(csv_file, TODAY)
        [error] = caught.value.errors
        assert error.message_en.startswith("This is a CSV file, not the JSON list of Stripe balance transactions")


#: a Yes Bank style download: the reference column named for both the cheque and the reference number
CHEQUE_OR_REFERENCE = (b"Transaction Date,Value Date,Cheque No/Reference No,Description,Withdrawals,Deposits,Running Balance\n"
                       b'24/11/2025,24/11/2025,CDM123,BY CASH DEP SLIP DSJP0001202511243,,"1,483.50","1,01,483.50"\n'
                       b'26/11/2025,26/11/2025,NEFT0099,NEFT JVVNL REMITTANCE,"1,000.00",,"1,00,483.50"\n')
#: HDFC's "delimited" download: the columns padded with spaces, the value date's name cut to "Value Dat",
#: the transaction date (the day before) in "Date", zero in the side a line does not move
HDFC_DELIMITED = (b"Date     ,Narration                         ,Value Dat,Debit Amount       ,Credit Amount      ,Chq/Ref Number   ,Closing Balance\n"
                  b"23/11/25 ,BY CASH DEP SLIP DSJP0001202511243,24/11/25 ,0.00               ,1483.50            ,CDM123           ,101483.50\n"
                  b"25/11/25 ,NEFT JVVNL REMITTANCE             ,26/11/25 ,1000.00            ,0.00               ,NEFT0099         ,100483.50\n")


@pytest.mark.parametrize("data", [CHEQUE_OR_REFERENCE, HDFC_DELIMITED], ids=["cheque-or-reference", "hdfc-delimited"])
def test_a_reference_or_value_date_column_under_another_banks_name_is_read(data):
    """The reference was left unread ("not read: 'Cheque No/Reference No'"), so a deposit could not be
    matched by its slip or UTR; HDFC's "Value Dat" was not the value date, and lines were dated the day before."""
    assert _read(data) == LINES
    assert "not read" not in str(rec.read_bank_csv(CHEQUE_OR_REFERENCE, TODAY).notes[0]).replace("not read: 'Transaction Date'", "")


def test_a_header_lacking_a_column_names_its_line_what_it_lacks_and_the_columns_to_rename():
    """A header the import half knows (a bank's misspelt "Withdrawl") was refused as "No header was
    found ... (line 1 reads Account Name :,...)": neither the header's line nor the column to rename."""
    misspelt = TITLED.replace(b"Debit,Credit", b"Withdrawl,Deposit")
    with pytest.raises(rec.StatementError) as caught:
        rec.read_bank_csv(misspelt, TODAY)
    [error] = caught.value.errors
    assert (error.line, error.field) == (6, "header")
    assert error.message_en.startswith("Line 6 looks like the header (it names date ← 'Txn Date', date ← 'Value Date', description ← 'Description', "
                                       "reference ← 'Ref No./Cheque No.', credit ← 'Deposit', balance ← 'Balance'), but it lacks a debit column "
                                       "(Debit or Withdrawal)"), error.message_en
    assert "Not recognised: 'Withdrawl'; if one of them is that column, rename it in the header" in error.message_en
    assert error.message_hi.startswith("पंक्ति 6 हेडर जैसी है") and "डेबिट का कॉलम (Debit या Withdrawal)" in error.message_hi
    assert "'Withdrawl'" in error.message_hi
    # no narration and no money column: both named, and every column is known, so nothing to rename
    [(line, field, message)] = _refused(b"Bank of Rajasthan\nDate,Ref No,Balance\n24-11-2025,CDM1,500.00\n")
    assert (line, field) == (2, "header")
    assert ("it lacks a narration column (Description, Narration, Particulars or Remarks) and the money columns (Debit and Credit, "
            "or Withdrawal and Deposit, or one Amount with a Dr/Cr column)") in message
    assert "Add the column, or download the statement again with every column." in message
    # a file with no line like a header is told what a header is, as before
    [(line, field, message)] = _refused(b"Foo,Bar,Baz\n1,2,3\n")
    assert (line, field) == (1, "header") and message.startswith("No header was found in the first 30 lines (line 1 reads Foo,Bar,Baz)")


def _refused_on_the_hindi_page(web, name: str, data: bytes) -> str:
    """The Hindi page's text after the bank form refused ``data``: nothing imported."""
    web.login("society")
    token = web.csrf("/society/reconciliation")
    page = web.post("/society/reconciliation?lang=hi", data={"action": "import_bank", "csrf_token": token},
                    files={"file": (name, data, "text/csv")})
    assert page.status_code == 400
    assert web.run(lambda: StatementImport.all().count()) == 0
    return re.sub(r"\s+", " ", page.text).replace("&#39;", "'")


def test_the_page_names_the_line_of_a_header_it_could_not_read_in_hindi(web):
    text = _refused_on_the_hindi_page(web, "sbi.csv", TITLED.replace(b"Debit,Credit", b"Withdrawl,Deposit"))
    assert "पंक्ति 6 हेडर जैसी है" in text and "'Withdrawl'" in text and "No header was found" not in text


async def test_a_statement_to_date_imported_without_its_reference_is_known_again(demo_db):
    """Monday's statement downloaded without the reference column (or imported before that column was
    read) stored its lines without a reference: the statement to date, with the references, has those
    lines left out as Monday's, not imported twice; without a running balance it is refused, saying so."""
    district = await District.get(code="JP")
    actor = Actor(await User.get(username="society"), via="cli")
    without = CANONICAL.replace(b",reference", b"").replace(b",CDM123", b"").replace(b",NEFT0099", b"")
    before = await rec.import_bank_statement(actor, district.id, without.split(b"2025-11-26")[0], "to-monday.csv")
    assert before.lines == 1
    later = await rec.import_bank_statement(actor, district.id, CANONICAL, "to-wednesday.csv")
    assert later.lines == 1 and later.left_out == {before.id: 1}
    assert await StatementLine.filter(statement=later).values_list("reference", flat=True) == ["NEFT0099"]
    # the same, no balances: nothing tells the lines apart, so the file is refused, nothing imported
    blind = await rec.import_bank_statement(actor, district.id, without.replace(b'"1,01,483.50"', b"").replace(b'"1,00,483.50"', b"")
                                            .replace(b"2025-11-2", b"2025-12-0").split(b"2025-12-06")[0], "dec-no-balance.csv")
    with pytest.raises(rec.StatementError) as caught:
        await rec.import_bank_statement(actor, district.id, CANONICAL.replace(b"2025-11-2", b"2025-12-0")
                                        .replace(b'"1,01,483.50"', b"").replace(b'"1,00,483.50"', b""), "dec-to-date.csv")
    [error] = caught.value.errors
    assert (error.line, error.field) == (2, "line")
    assert error.message_en.startswith(f"The same date, amount and description as line 2 of import #{blind.id}")
    assert "which was imported without a reference (its import did not read the column of the reference 'CDM123')" in error.message_en
    assert "बिना संदर्भ के आयात" in error.message_hi
    assert await StatementImport.all().count() == 3


@pytest.mark.parametrize("sep, named", [(b";", "semicolons (;)")])
def test_a_header_separated_by_semicolons_below_the_banks_name_is_told_to_use_commas_naming_its_line(sep, named):
    """A header separated by semicolons below a title line without one was refused "No header was found in the
    first 30 lines (line 1 reads STATE BANK OF INDIA)", as if the header were missing; only a first line so
    separated was seen (decision 180). Tabs, so refused until decision 189, are read: see the tests below."""
    data = b"STATE BANK OF INDIA\r\n" + TITLED.replace(b",", sep)
    [(line, field, message)] = _refused(data)
    assert (line, field) == (7, "header")
    assert message.startswith(f"The columns are separated by {named}, not commas (line 7 is the header, so separated): save the file as CSV"), message
    with pytest.raises(rec.StatementError) as caught:
        rec.read_bank_csv(data, TODAY)
    assert "(पंक्ति 7 हेडर है, इसी तरह अलग की गई)" in caught.value.errors[0].message_hi


#: HDFC's download opened in a spreadsheet set to US English and saved again: the dates month first
#: (3, 4 and 5 November 2025), each day 12 or less, so that none is refused as month first
MONTH_FIRST = (b"Date,Narration,Chq./Ref.No.,Value Dt,Withdrawal Amt.,Deposit Amt.,Closing Balance\n"
               b"11/3/2025,BY CASH DEP SLIP DSJP0001202511033,CDM123,11/3/2025,,1483.5,101483.5\n"
               b"11/4/2025,NEFT JVVNL REMITTANCE,NEFT0099,11/4/2025,1000,,100483.5\n"
               b"11/5/2025,BY CASH DEP SLIP DSJP0001202511053,CDM124,11/5/2025,,500,100983.5\n")


def test_dates_a_spreadsheet_wrote_month_first_are_refused_not_imported_months_apart():
    """They were read as 11 March, 11 April and 11 May 2025: a week's deposits imported into three
    weeks months before, where no day end matches them, and nothing said."""
    with pytest.raises(rec.StatementError) as caught:
        rec.read_bank_csv(MONTH_FIRST, TODAY)
    [error] = caught.value.errors
    assert (error.line, error.field) == (2, "date")
    assert error.message_en.startswith("Every date of the file, read day first as Indian banks write them, is the 11th of a month "
                                       "('11/3/2025' on line 2 is 11-03-2025, '11/5/2025' on line 4 is 11-05-2025): the dates were written "
                                       "month first, as a spreadsheet set to US English saves them ('11/3/2025' for 03-11-2025)"), error.message_en
    assert "Import the bank's own download as it came" in error.message_en and "महीना पहले लिखी गई हैं" in error.message_hi
    # day first, the same digits are read: days that differ, two dates only, or one date
    assert [l.value_date for l in rec.read_bank_csv(MONTH_FIRST.replace(b"11/5/2025", b"12/5/2025"), TODAY).lines] == [
        dt.date(2025, 3, 11), dt.date(2025, 4, 11), dt.date(2025, 5, 12)]
    two = b"\n".join(MONTH_FIRST.split(b"\n")[:3]) + b"\n"
    assert len(rec.read_bank_csv(two, TODAY).lines) == 2
    one_day = MONTH_FIRST.replace(b"11/4/2025", b"11/3/2025").replace(b"11/5/2025", b"11/3/2025")
    assert {l.value_date for l in rec.read_bank_csv(one_day, TODAY).lines} == {dt.date(2025, 3, 11)}
    # a bank's day-first dates with the month's name are never taken for month first
    assert len(rec.read_bank_csv(MONTH_FIRST.replace(b"11/3/", b"11-Mar-").replace(b"11/4/", b"11-Apr-").replace(b"11/5/", b"11-May-"),
                                 TODAY).lines) == 3


#: HDFC's download as it comes: a rule of asterisks under the header and after the lines, then the
#: statement summary, a small table of its own (opening balance, counts, debits, credits, closing)
HDFC_SUMMARY = (SHORT_YEARS.replace(b"Closing Balance\n", b"Closing Balance\n********,********,********,********,********,********,********\n")
                + b"********,********,********,********,********,********,********\n"
                  b"STATEMENT SUMMARY  :-,,,,,,\n"
                  b"Opening Balance,Dr Count,Cr Count,Debits,Credits,Closing Bal,\n"
                  b"100000.00,1,1,1000.00,1483.50,100483.50,\n")


def test_hdfcs_rule_lines_and_statement_summary_are_read_and_the_summary_checked_against_the_lines():
    """They were refused seven times over: the asterisks as a date and amounts that are not, the
    summary's figures as a transaction whose date is '100000.00' with both a debit and a credit."""
    reading = rec.read_bank_csv(HDFC_SUMMARY, TODAY)
    assert [(l.value_date, l.amount_paise, l.reference, l.description, l.balance_paise) for l in reading.lines] == LINES
    assert [str(n) for n in reading.notes][1:] == [
        "line 2: A rule line, not a transaction: not read.", "line 5: A rule line, not a transaction: not read.",
        "line 6: After the last transaction: not read.",
        "lines 7-8: The statement summary (opening and closing balance, debits and credits), equal to its lines': not a transaction."]
    # each figure is checked: a line missing or mistyped refuses the file, naming the figure
    for old, new, figure in ((b"1000.00,1483.50,", b"1000.00,1483.00,", "total of credits ('Credits', line 7) is ₹1,483.00, but the lines give ₹1,483.50"),
                             (b"100000.00,1,1,", b"100000.00,2,1,", "number of debits ('Dr Count', line 7) is 2, but the lines give 1"),
                             (b"100000.00,1,1,", b"99000.00,1,1,", "opening balance ('Opening Balance', line 7) is ₹99,000.00, but the lines give ₹1,00,000.00")):
        data = HDFC_SUMMARY.replace(old, new)
        with pytest.raises(rec.StatementError) as caught:
            rec.read_bank_csv(data, TODAY)
        [error] = caught.value.errors
        assert (error.line, error.field) == (8, "summary") and f"The statement summary's {figure}" in error.message_en, error.message_en
        assert "विवरण सारांश" in error.message_hi
    with pytest.raises(rec.StatementError) as caught:
        rec.read_bank_csv(HDFC_SUMMARY.replace(b"100483.50,\n", b"\"1,00,583.50\",\n"), TODAY)
    assert "closing balance ('Closing Bal', line 7) is ₹1,00,583.50, but the lines give ₹1,00,483.50" in caught.value.errors[0].message_en


def test_the_page_names_a_statement_summary_that_does_not_add_up_in_hindi(web):
    text = _refused_on_the_hindi_page(web, "hdfc.csv", HDFC_SUMMARY.replace(b"1,1,1000.00", b"1,1,1001.00"))
    assert "विवरण का सारांश" in text and "विवरण सारांश का डेबिट का योग ('Debits', पंक्ति 7) ₹1,001.00 है" in text


# --------------------------------------------------------------------------------------------
# Statements separated by tabs (decision 189): State Bank's "Excel" download (an .xls that is text),
# banks' TXT downloads, Excel's "Unicode Text"

TABS_NOTE = "The columns are separated by tabs, as State Bank's 'Excel' download and banks' TXT files are: the file was read so."

#: State Bank's "Excel" download as it comes: text separated by tabs (CRLF), the bank's title block
#: above the header (the account number written after an underscore, so that Excel keeps its zeros),
#: the header's Debit padded with spaces, amounts with commas, a blank debit or credit cell a space,
#: lines ending in a tab or in spaces, a remark after the lines
SBI_TAB = ("Account Name       :\tEMITRA SOCIETY JAIPUR\t\r\n"
           "Address            :\tSOCIETY BHAWAN, TONK ROAD\t\r\n"
           "                    \tJAIPUR-302015\t\r\n"
           "Date               :\t2 Dec 2025\t\r\n"
           "Account Number     :\t_00000000012345678\t\r\n"
           "Account Description:\tCURRENT ACCOUNT\t\r\n"
           "Branch             :\tJAIPUR MAIN\t\r\n"
           "Drawing Power      :\t0.00\t\r\n"
           "Interest Rate(% p.a.):\t0.0\t\r\n"
           "CIF No.            :\t_81234567890\t\r\n"
           "IFS Code           :\tSBIN0000001\t\r\n"
           "MICR Code          :\t302002001\t\r\n"
           "Nomination Registered :\tNo\t\r\n"
           "Balance as on 24 Nov 2025     :\t1,00,000.00\t\r\n"
           " \r\n"
           "Account Statement from 24 Nov 2025 to 30 Nov 2025\r\n"
           " \r\n"
           "Txn Date\tValue Date\tDescription\tRef No./Cheque No.\t        Debit\tCredit\tBalance\t\r\n"
           "24 Nov 2025\t24 Nov 2025\tBY CASH DEP SLIP DSJP0001202511243\tCDM123\t \t1,483.50\t1,01,483.50\t\r\n"
           "26 Nov 2025\t26 Nov 2025\tNEFT JVVNL REMITTANCE\tNEFT0099\t1,000.00\t \t1,00,483.50   \r\n"
           "**This is a computer generated statement and does not require a signature.\r\n").encode()


def _tabbed(data: bytes, end: str = "") -> bytes:
    """``data``, a statement separated by commas, as the same statement separated by tabs: each value
    as it is (its commas kept, no double quotes), each line ending in ``end`` and CRLF."""
    return "".join("\t".join(row) + end + "\r\n" for row in csv.reader(io.StringIO(data.decode(), newline=""))).encode()


def test_state_banks_excel_download_separated_by_tabs_is_read_as_its_csv_is():
    """It was refused "The columns are separated by tabs, not commas (line 18 is the header, so
    separated): save the file as CSV ..." (decision 180): the clerk had to open it in a spreadsheet
    and save it again, the path on which UTRs become 1.23457E+15."""
    reading = rec.read_bank_csv(SBI_TAB, TODAY)
    assert [(l.value_date, l.amount_paise, l.reference, l.description, l.balance_paise) for l in reading.lines] == LINES
    assert [l.line_no for l in reading.lines] == [19, 20]
    assert [str(n) for n in reading.notes] == [
        "lines 1-16: Above the header: the statement's title, not read.", TABS_NOTE,
        "line 18: Columns read: date ← 'Value Date', description ← 'Description', reference ← 'Ref No./Cheque No.', "
        "debit ← 'Debit', credit ← 'Credit', balance ← 'Balance'; not read: 'Txn Date'.",
        "line 21: After the last transaction: not read."]
    assert "कॉलम टैब से अलग किए गए हैं" in reading.notes[1].message_hi
    assert reading.account == (5, "00000000012345678")  # checked against the Society's account as a CSV's is
    # the same statement as emitra's own header writes it: the same lines, to the digest
    assert rec.content_sha256(rec.BANK, reading.lines) == rec.content_sha256(rec.BANK, rec.read_bank_csv(CANONICAL, TODAY).lines)


#: State Bank's layout over two pages: a narration continued, the page's heading, the header again
PAGES = TITLED.replace(b"26 Nov 2025,26 Nov 2025,NEFT", b",,(continued) REF DSJP0001202511243,,,,\r\nPage 2 of 2\r\n"
                       b"Txn Date,Value Date,Description,Ref No./Cheque No.,Debit,Credit,Balance\r\n26 Nov 2025,26 Nov 2025,NEFT")


@pytest.mark.parametrize("data", [CANONICAL, TITLED, TOTALLED, SIGNED, SHORT_YEARS, YEAR_FIRST, NEWEST_FIRST, HDFC_SUMMARY, PAGES],
                         ids=["own", "titled", "totalled", "signed", "short-years", "year-first", "newest-first", "hdfc-summary", "pages"])
@pytest.mark.parametrize("end", ["", "\t", "  "], ids=["bare", "tab-at-end", "spaces-at-end"])
def test_every_banks_layout_separated_by_tabs_reads_as_it_does_separated_by_commas(data, end):
    """Title lines, opening and closing balances, totals, Dr/Cr columns, newest line first, HDFC's rules
    and summary, a narration continued and the header repeated: the same lines and the same notes, and
    the note that tabs were read."""
    comma, tab = rec.read_bank_csv(data, TODAY), rec.read_bank_csv(_tabbed(data, end), TODAY)
    assert tab.lines == comma.lines and tab.account == comma.account
    notes = [str(n) for n in tab.notes]
    assert TABS_NOTE in notes
    assert [n for n in notes if n != TABS_NOTE] == [str(n) for n in comma.notes]


@pytest.mark.parametrize("data", [
    CANONICAL.replace(b'"1,00,483.50"', b'"1,00,583.50"'),  # a balance that does not follow
    CANONICAL.replace(b"2025-11-26", b"2026-11-26"),  # after today
    CANONICAL.replace(b'"1,483.50"', b'"1483,50"'),  # a decimal comma
    CANONICAL.replace(b",CDM123,", b",1.23457E+15,").replace(b"2025-11-26", b""),  # a spreadsheet's number; an amount without a date
    TOTALLED.replace(b',,Closing Balance,,"1,000.00","1,483.50"', b',,Closing Balance,,"1,000.00","1,843.50"'),  # totals
    MONTH_FIRST,  # dates written month first
    HDFC_SUMMARY.replace(b"1000.00,1483.50,", b"1000.00,1483.00,"),  # a summary that does not add up
    TITLED.replace(b"Debit,Credit", b"Withdrawl,Deposit"),  # a header half known
], ids=["balance", "after-today", "decimal-comma", "reference-and-date", "totals", "month-first", "summary", "half-header"])
def test_a_statement_separated_by_tabs_is_refused_as_its_csv_is_line_field_and_message(data):
    assert _refused(_tabbed(data, "\t")) == _refused(data)


async def test_a_statement_separated_by_tabs_is_the_same_statement_as_its_csv(demo_db):
    """Imported once as CSV, the same statement downloaded as State Bank's "Excel" text is refused as
    already imported (the same lines: the content's digest); a statement to date in tabs has the lines
    of the earlier import left out, and the new line imported."""
    district = await District.get(code="JP")
    actor = Actor(await User.get(username="society"), via="cli")
    first = await rec.import_bank_statement(actor, district.id, TITLED, "sbi.csv")
    with pytest.raises(rec.DuplicateStatement):
        await rec.import_bank_statement(actor, district.id, SBI_TAB, "sbi.xls")
    to_date = SBI_TAB.replace(b"**This", b"27 Nov 2025\t27 Nov 2025\tBY CASH DEP SLIP DSJP0001202511263\tCDM124\t \t500.00\t1,00,983.50\t\r\n**This")
    second = await rec.import_bank_statement(actor, district.id, to_date, "sbi-to-date.xls")
    assert second.lines == 1 and second.left_out == {first.id: 2}
    assert [tuple(r) for r in await StatementLine.filter(statement_id=second.id).values_list("line_no", "amount_paise", "reference")] == [
        (21, 50_000, "CDM124")]
    record = await AuditLog.get(action="statement.imported", object_id=str(second.id))
    assert {"lines": "", "note": TABS_NOTE} in record.detail["read"]


def test_double_quotes_and_tabs_in_a_value_of_a_file_separated_by_tabs():
    """A narration holding a tab or a double quote is in double quotes, as Excel's "Text (Tab delimited)"
    writes it: read whole. A tab in a narration not in quotes, or a double quote never closed, refuses the
    line, saying which; a comma is only a comma (the rule of a CSV's amount split at its comma is not
    applied: a credit of 500 beside a balance of 100,483.50 is not one amount)."""
    header = b"Txn Date\tValue Date\tDescription\tRef No./Cheque No.\tDebit\tCredit\tBalance\r\n"
    quoted = header + b'24 Nov 2025\t24 Nov 2025\t"NEFT\tJVVNL ""REMITTANCE"", JAIPUR"\tNEFT0099\t\t500.00\t"100,483.50"\r\n'
    [line] = rec.read_bank_csv(quoted, TODAY).lines
    assert (line.description, line.amount_paise, line.balance_paise) == ('NEFT\tJVVNL "REMITTANCE", JAIPUR', 50_000, 10_048_350)
    plain = header + b"24 Nov 2025\t24 Nov 2025\tNEFT JVVNL\tNEFT0099\t\t500\t100,483.50\t\r\n"
    assert [(l.amount_paise, l.balance_paise) for l in rec.read_bank_csv(plain, TODAY).lines] == [(50_000, 10_048_350)]
    [(line, field, message)] = _refused(header + b"24 Nov 2025\t24 Nov 2025\tNEFT\tJVVNL\tNEFT0099\t\t500.00\t500.00\r\n")
    assert (line, field) == (2, "columns")
    assert message == ("Expected 7 columns (Txn Date,Value Date,Description,Ref No./Cheque No.,Debit,Credit,Balance), found 8. "
                       "A value holding a tab (a narration) must be in double quotes, or the tab removed from it.")
    stray = header + (b'24 Nov 2025\t24 Nov 2025\t"NEFT JVVNL\tNEFT0099\t\t500.00\t500.00\r\n'
                      b"25 Nov 2025\t25 Nov 2025\tBY CASH\tCDM1\t\t100.00\t600.00\r\n")
    [(line, field, message)] = _refused(stray)
    assert (line, field) == (2, "columns") and "A double quote (\") opens column 3 and is not closed on this line: lines 2 to 3" in message


def test_a_file_separated_by_tabs_is_told_what_its_header_lacks_or_that_its_lines_are_quoted_whole():
    [(line, field, message)] = _refused(SBI_TAB.replace(b"        Debit", b"Withdrawl"))
    assert (line, field) == (18, "header") and message.startswith("Line 18 looks like the header (it names date ← 'Txn Date'")
    assert "Not recognised: 'Withdrawl'" in message
    quoted = b"".join(b'"' + line + b'"\r\n' for line in _tabbed(CANONICAL).splitlines())
    [(line, field, message)] = _refused(b"Statement of account\r\n" + quoted)
    assert (line, field) == (2, "header") and message.startswith("Each line is in double quotes as one field (line 2 is the header date\t")


def test_a_csv_with_a_tab_in_a_value_is_read_as_a_csv():
    """A tab in a narration of a file separated by commas, or in its title, does not make it a file
    separated by tabs: its header is split at commas."""
    data = b"Statement\tof account\r\n" + CANONICAL.replace(b"BY CASH DEP", b"BY CASH\tDEP")
    reading = rec.read_bank_csv(data, TODAY)
    assert [l.description for l in reading.lines] == ["BY CASH\tDEP SLIP DSJP0001202511243", "NEFT JVVNL REMITTANCE"]
    assert TABS_NOTE not in [str(n) for n in reading.notes]


def test_the_page_imports_state_banks_excel_download_and_offers_such_files(web):
    web.login("society")
    page = web.get("/society/reconciliation")
    assert 'accept=".csv,.txt,.xls,.tsv,text/csv,text/plain,text/tab-separated-values,application/vnd.ms-excel"' in page.text
    token = web.csrf("/society/reconciliation")
    page = web.post("/society/reconciliation", data={"action": "import_bank", "csrf_token": token},
                    files={"file": ("AccountStatement.xls", SBI_TAB, "application/vnd.ms-excel")})
    assert page.status_code == 200 and "Imported" in page.text
    assert TABS_NOTE in re.sub(r"\s+", " ", page.text).replace("&#39;", "'")
    hindi = web.get("/society/reconciliation?lang=hi")
    assert "टैब से अलग" in hindi.text
