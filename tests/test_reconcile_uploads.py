"""What a Society's clerk is told of a wrong file given to the reconciliation page's two forms, and of
a deposit confirmed with another amount than its slip: the line, the field and the fix, in English
and Hindi, never Python's own words; and nothing imported from a refused file."""

from __future__ import annotations

import html
import re

from emitra.core import reconcile as rec
from emitra.core.models import DayEnd, StatementImport, StatementLine

from tests.test_dayend import _close_today, _take_cash

HEADER = b"date,description,reference,debit,credit,balance\n"
#: a bank's download with its title above the header, as State Bank's is
SBI = (b"STATE BANK OF INDIA\nAccount Number : 00000012345678\n\n"
       b"Txn Date,Value Date,Description,Ref No./Cheque No.,Debit,Credit,Balance\n"
       b"24 Nov 2025,24 Nov 2025,BY CASH DEP,CDM1,,500.00,\"1,500.00\"\n")
PYTHONS = ("Expecting", "field limit", "Extra data", "delimiter")


def _refusal(read, data: bytes) -> rec.LineError:
    try:
        read(data)
    except rec.StatementError as exc:
        assert len(exc.errors) == 1, exc.errors
        return exc.errors[0]
    raise AssertionError("the file was read")


def _words_only(error: rec.LineError) -> None:
    """Neither language quotes Python's reader: the Hindi page used to show 'Expecting value'."""
    for said in PYTHONS:
        assert said not in error.message_en and said not in error.message_hi, error


def _stripe(data: bytes) -> rec.LineError:
    return _refusal(rec.read_stripe_json, data)


def test_the_stripe_form_names_a_file_that_is_not_json_for_what_it_is():
    # a bank statement with its title lines first (the CSV check looked at line 1 only: "STATE BANK OF INDIA")
    bank = _stripe(SBI)
    assert bank.message_en.startswith("This is a CSV file, not the JSON list of Stripe balance transactions"), bank
    for data, en, hi in ((b"PK\x03\x04" + b"\0" * 40 + b"xl/workbook.xml", "an Excel workbook (.xlsx)", "Excel वर्कबुक"),
                         (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "a PDF document", "PDF दस्तावेज़")):
        error = _stripe(data)
        assert error.message_en.startswith(f"This file is {en}, not the JSON list of Stripe balance transactions"), error
        assert hi in error.message_hi and "Export the list of balance transactions from Stripe again" in error.message_en
    empty = _stripe(b"\xef\xbb\xbf \r\n")
    assert empty.line == 1 and empty.message_en.startswith("The file is empty.") and empty.message_hi.startswith("फ़ाइल खाली है")
    for error in (bank, empty):
        _words_only(error)


def test_a_stripe_file_that_is_not_json_says_why_in_words_with_its_line():
    cut = _stripe(b'{"object": "list", "data": [\n  {"id": "txn_1",')  # a download cut short
    assert (cut.line, cut.field) == (2, "file")
    assert "the file ends in the middle (line 2, column 18)" in cut.message_en and "फ़ाइल बीच में ही समाप्त" in cut.message_hi
    extra = _stripe(b'{"object": "list", "data": []}\n}')
    assert "something follows the end of the list" in extra.message_en and "सूची समाप्त होने के बाद" in extra.message_hi
    for error in (cut, extra):
        _words_only(error)


def _bank(data: bytes) -> rec.LineError:
    return _refusal(rec.read_bank_csv, data)


def test_a_huge_field_is_refused_in_words_not_as_the_csv_readers_limit():
    error = _bank(HEADER + b"2025-11-24," + b"A" * 200_000 + b",R1,,500,\n")
    assert (error.line, error.field) == (2, "file")
    assert "longer than 131,072 characters" in error.message_en and "download the statement from the bank again" in error.message_en
    assert "131,072 अक्षरों से लंबा" in error.message_hi
    _words_only(error)


def test_a_double_quote_never_closed_is_named_with_the_lines_it_swallowed():
    error = _bank(HEADER + b'2025-11-24,BY CASH,"CDM1,,500,\n2025-11-25,BY CASH,CDM2,,600,\n')
    assert (error.line, error.field) == (2, "columns")
    assert 'A double quote (") opens column 3 and is not closed on this line: lines 2 to 3 were read as one.' in error.message_en
    assert "पंक्तियाँ 2 से 3 एक ही पढ़ी गईं" in error.message_hi


def test_an_amount_whose_comma_split_it_is_refused_not_read_as_one_rupee():
    """``1,234.50`` without double quotes, the line ending in a comma: its cells were trimmed to the
    header's six and read as a credit of ₹1.00 with a balance of ₹234.50."""
    error = _bank(HEADER + b"2025-11-24,BY CASH DEP,CDM1,,1,234.50,\n")
    assert (error.line, error.field) == (2, "credit")
    assert "'1' and '234.50' look like the amount 1,234.50 split at its comma" in error.message_en
    assert '("1,234.50")' in error.message_en and "1,234.50" in error.message_hi
    # quoted, it is the amount
    assert [line.amount_paise for line in rec.read_bank_csv(HEADER + b'2025-11-24,BY CASH DEP,CDM1,,"1,234.50",\n').lines] == [123450]


def test_lines_alike_without_a_balance_are_imported_and_named():
    reading = rec.read_bank_csv(HEADER + b"2025-11-24,BY CASH DEP,CDM1,,500,\n2025-11-24,BY CASH DEP,CDM1,,500,\n")
    assert [line.amount_paise for line in reading.lines] == [50000, 50000]
    alike = [note for note in reading.notes if note.lines == "3"]
    assert len(alike) == 1 and "as line 2, and no running balance: both were imported" in alike[0].message_en
    assert "पंक्ति 2 जैसी ही" in alike[0].message_hi
    # with a running balance the repetition cannot pass as a transaction: refused, as before
    assert _bank(HEADER + b"2025-11-24,BY CASH DEP,CDM1,,500,1500\n2025-11-24,BY CASH DEP,CDM1,,500,1500\n").field == "balance"


def _text(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def test_the_page_refuses_a_split_amount_imports_nothing_and_counts_one_line_in_hindi(web):
    web.login("society")
    token = web.csrf("/society/reconciliation")
    split = web.post("/society/reconciliation", data={"action": "import_bank", "csrf_token": token},
                     files={"file": ("bank.csv", HEADER + b"2025-11-24,BY CASH DEP,CDM1,,1,234.50,\n", "text/csv")})
    assert split.status_code == 400 and "look like the amount 1,234.50 split at its comma" in _text(split.text)
    assert web.run(lambda: StatementImport.all().count()) == 0 and web.run(lambda: StatementLine.all().count()) == 0
    one = web.post("/society/reconciliation", data={"action": "import_bank", "csrf_token": token},
                   files={"file": ("bank.csv", HEADER + b'2025-11-24,BY CASH DEP,CDM1,,"1,234.50",\n', "text/csv")})
    assert one.status_code == 200 and "Imported: bank.csv · 1 line · 24-11-2025 – 24-11-2025" in _text(one.text)
    assert "1 lines" not in _text(one.text)
    # a bank charge without a reference, unmatched: its line number stands alone, no "·" after it
    charge = web.post("/society/reconciliation", data={"action": "import_bank", "csrf_token": token},
                      files={"file": ("charges.csv", HEADER + b"2025-11-25,SMS ALERT CHARGES,,118.00,,\n", "text/csv")})
    said = re.sub(r"\s+", " ", _text(charge.text))
    assert charge.status_code == 200 and "line 2 SMS ALERT CHARGES" in said and "· SMS ALERT" not in said, said[said.find("SMS") - 80:][:200]
    web.get("/lang/hi?next=/")
    stripe = web.post("/society/reconciliation", data={"action": "import_stripe", "csrf_token": web.csrf("/society/reconciliation")},
                      files={"file": ("sbi.csv", SBI, "text/csv")})
    said = _text(stripe.text)
    assert stripe.status_code == 400 and "यह CSV फ़ाइल है" in said and "Expecting" not in said


def test_a_deposit_confirmed_with_another_amount_says_so_beside_the_confirmation(web):
    _take_cash(web, "operator1", "x-1")
    slip = _close_today(web, "operator1", "1483.50")
    web.login("society")
    day_end = web.run(lambda: DayEnd.get(slip_no=slip))
    short = web.post_form(f"/society/dayends/{day_end.id}/confirm", {"bank_reference": "UTR-9", "amount": "1483.00"},
                          token_from="/society/dayends")
    assert short.status_code == 303
    page = _text(web.get(short.headers["location"]).text)
    assert f"Deposit confirmed for slip {slip}." in page
    assert "The bank credited ₹1,483.00, ₹0.50 less than the slip's ₹1,483.50. The day end is flagged" in page
    web.get("/lang/hi?next=/")
    hindi = _text(web.get(short.headers["location"]).text)
    assert "बैंक ने ₹1,483.00 जमा किए, पर्ची के ₹1,483.50 से ₹0.50 कम" in hindi and "The bank credited" not in hindi


def test_stripes_dashboard_export_given_to_the_bank_form_is_named_so():
    error = _bank(b"id,Type,Source,Amount,Fee,Net,Currency,Created (UTC),Available On (UTC),Description\n"
                  b"txn_1,charge,ch_1,500.00,10.00,490.00,inr,2025-11-24 10:00,2025-11-26 00:00,JP0001000000421\n")
    assert (error.line, error.field) == (1, "header")
    assert error.message_en.startswith("This is Stripe's export (line 1 names the columns id, Fee, Net and Source), not a bank statement")
    assert error.message_hi.startswith("यह Stripe का निर्यात है")


def test_the_bank_form_says_a_utf16_file_is_read(web):
    """The page's help listed UTF-8 and Windows-1252 only; Excel's 'Unicode Text' (UTF-16) is read too."""
    web.login("society")
    assert "UTF-8, UTF-16 or Windows-1252" in web.get("/society/reconciliation").text
    utf16 = (HEADER + b"2025-11-24,BY CASH DEP,CDM1,,500,\n").decode().encode("utf-16")
    assert [line.amount_paise for line in rec.read_bank_csv(utf16).lines] == [50000]


def test_the_bank_form_imports_dates_written_year_first_and_says_it_reads_them(web):
    """A net-banking export's 2025/11/24 was refused as not a date; the page's help names the form (decision 146)."""
    web.login("society")
    page = web.get("/society/reconciliation").text
    assert "2025/11/24" in html.unescape(page)
    token = web.csrf("/society/reconciliation")
    done = web.post("/society/reconciliation", data={"action": "import_bank", "csrf_token": token},
                    files={"file": ("netbanking.csv", HEADER + b"2025/11/24,BY CASH DEP,CDM1,,500.00,\n", "text/csv")})
    assert done.status_code == 200 and "Imported: netbanking.csv · 1 line · 24-11-2025 – 24-11-2025" in _text(done.text)
    web.get("/lang/hi?next=/")
    wrong = web.post("/society/reconciliation", data={"action": "import_bank", "csrf_token": web.csrf("/society/reconciliation")},
                     files={"file": ("netbanking2.csv", HEADER + b"2025/25/11,BY CASH DEP,CDM2,,600.00,\n", "text/csv")})
    said = _text(wrong.text)
    assert wrong.status_code == 400 and "'2025/25/11' तिथि नहीं है: 25 कोई महीना नहीं है" in said
    assert "2025/11/24" in html.unescape(web.get("/society/reconciliation").text)
