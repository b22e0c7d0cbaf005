"""Weekly reconciliation: the bank statement and Stripe's balance report against the ledger.

Two kinds of statement come in as files (docs/reconciliation.md has the formats):

* a bank statement as CSV (``date,description,reference,debit,credit,balance``), and
* Stripe's balance transactions as JSON (the ``balance_transactions`` list object).

An import is all or nothing: every bad line is reported with its line number and the reason,
and if there is even one, nothing is stored. The same statement is refused the second time in a
district: the same file (its sha256), or the same lines in the same order saved again as another
file (a byte-order mark, CRLF line endings, other number formats: the sha256 of the lines as read).
A bank statement that repeats lines of an earlier import (a "statement to date" downloaded twice)
leaves out the lines whose running balance shows they are the same bank lines, and is refused when
no balance can tell (:func:`_repeated_lines`). A line dated after today is refused.

:func:`reconcile` then matches, for one period (normally a Monday–Sunday week), what the
statements say against what the ledger says should have happened, and puts every item in one of
four buckets: matched, differing (same reference, different amount), unmatched on the statement
side, unmatched on the ledger side. Nothing is dropped: the report counts both sides and fails if
an item is missing. It also rolls every account touched in the period forward
(opening + in − out = closing, from the postings); an account that does not roll forward fails
the report.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import datetime as dt
import hashlib
import importlib
import inspect
import io
import json
import os
import pickle
import re
import secrets
import sys
from array import array
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import aclosing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Awaitable, Callable, Coroutine, Iterable, NamedTuple
from zoneinfo import ZoneInfo

from tortoise import connections
from tortoise.exceptions import IntegrityError
from tortoise.functions import Max
from tortoise.transactions import in_transaction

from emitra.core import audit, clock, config, entry_figures, ledger, ledger_rewrites, spreadsheet
from emitra.core.db import beside, beside_possible, insert_rows, json_text, on_postgres, own_transaction, raw_rows
from emitra.core.models import BalanceCheckpoint, DayEnd, District, LedgerEntry, Society, StatementImport, StatementLine
from emitra.core.money import MAX_PAISE, AmountError, bank_reference, format_paise, parse_rupees
from emitra.core.text import NAMES as UNSTORABLE, count_en, shown, unstorable

BANK, STRIPE = "bank", "stripe"
BANK_HEADER = ("date", "description", "reference", "debit", "credit", "balance")
MAX_FILE_BYTES = 5 * 1024 * 1024
#: how far apart (in days) a statement line and a ledger item may be to match on amount alone
DATE_TOLERANCE_DAYS = 2
REFERENCE_MAX, DESCRIPTION_MAX = 100, 300
#: the dates a statement line may carry (a bank line's value date, a Stripe transaction's
#: ``created`` in the district's time zone): a year outside is a typing or export mistake, such as a
#: Stripe time in milliseconds, and a week near the calendar's ends cannot even be computed
FIRST_DATE, LAST_DATE = clock.FIRST_DAY, clock.LAST_DAY
MIN_REF_LEN = 4
#: what in ``payment.details`` identifies the payment to a bank or Stripe (the cheque number, the
#: UTR or charge id a confirmation brought, the PaymentIntent)
PAYMENT_REF_FIELDS = ("instrument_no", "provider_reference", "payment_intent", "utr")

# Stripe balance transaction types, grouped by what they are to the Society
STRIPE_CHARGES = {"charge", "payment"}
STRIPE_REFUNDS = {"refund", "payment_refund", "payment_failure_refund", "payment_reversal"}
STRIPE_PAYOUTS = {"payout", "payout_cancel", "payout_failure"}
STRIPE_FEES = {"stripe_fee", "tax_fee"}  # what Stripe charges the Society (negative amounts)
STRIPE_TRANSFERS = {"transfer", "transfer_cancel", "transfer_failure", "transfer_refund"}

#: the accounts whose movements are money in or out of the Society's bank account (core/entry_figures.py)
BANK_ACCOUNTS = entry_figures.BANK_ACCOUNTS

#: the kinds of item a report names (the web page translates them)
KINDS = ("deposit", "settlement", "remittance", "cheque", "fee_claim", "wallet_topup", "wallet_refund", "upi_refund",
         "upi_refund_return", "card_payout", "bank_charges", "bank_interest",
         "card_charge", "card_refund", "card_fee", "upi", "other")


# ---------------------------------------------------------------------------------------------
# Import


@dataclass(frozen=True)
class LineError:
    """One bad line of an imported file: where, which field, why (in English and Hindi)."""

    line: int  # the line of the file (1 is the header of a CSV); 0 for the file as a whole
    field: str
    message_en: str
    message_hi: str
    item: int | None = None  # for a JSON file: the position of the transaction in the list (1-based)

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line else "file"
        if self.item is not None:
            where = f"transaction {self.item}" + (f" (line {self.line})" if self.line else "")
        return f"{where}: {self.field}: {self.message_en}"


class StatementError(ValueError):
    """A file that cannot be imported; ``errors`` lists every problem (nothing was stored)."""

    def __init__(self, errors: list[LineError]):
        self.errors = errors
        shown = "; ".join(str(e) for e in errors[:5])
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        super().__init__(f"{count_en(len(errors), 'problem')}, nothing imported: {shown}{more}")


def _import_named(existing: StatementImport) -> tuple[str, str]:
    """An earlier import as a refusal names it: number, file name, who, when (English, Hindi)."""
    when = existing.imported_at.astimezone(ZoneInfo(config.timezone())).strftime("%d-%m-%Y %H:%M") if existing.imported_at else ""
    return (f"import #{existing.id}, {existing.filename or 'no name'}, by {existing.imported_by} on {when}",
            f"आयात #{existing.id}, {existing.filename or 'बिना नाम'}, {existing.imported_by} द्वारा {when}")


class DuplicateStatement(StatementError):
    """The same statement was already imported in this district: the same file (``how`` = ``file``:
    the same sha256), the same lines in the same order in another file (``content``: saved again
    from a spreadsheet), or a file whose every line an earlier import has (``lines``)."""

    def __init__(self, existing: StatementImport, how: str = "file"):
        self.existing, self.how = existing, how
        en, hi = _import_named(existing)
        if how == "content":
            message = (f"This statement was already imported ({en}): the same lines in the same order, in a file saved again "
                       "(a byte-order mark, other line endings or number formats make another file of the same statement); nothing was imported again.",
                       f"यह विवरण पहले ही आयात हो चुका है ({hi}): वही पंक्तियाँ उसी क्रम में, दोबारा सहेजी गई फ़ाइल में "
                       "(बाइट-ऑर्डर मार्क, अलग पंक्ति-अंत या संख्या-प्रारूप से वही विवरण दूसरी फ़ाइल बन जाता है); दोबारा कुछ आयात नहीं हुआ।")
        elif how == "lines":
            message = (f"Every line of this statement was already imported (the first in {en}); nothing was imported again.",
                       f"इस विवरण की हर पंक्ति पहले ही आयात हो चुकी है (पहली {hi} में); दोबारा कुछ आयात नहीं हुआ।")
        else:
            message = (f"This file was already imported ({en}); nothing was imported again.",
                       f"यह फ़ाइल पहले ही आयात हो चुकी है ({hi}); दोबारा कुछ आयात नहीं हुआ।")
        super().__init__([LineError(0, "file", *message)])


class WeekNotBegun(ValueError):
    """A week that has not begun cannot be run and recorded (nor its deposits confirmed): a
    ValueError with ``field``, ``message_en`` and ``message_hi`` like the other refusals (the page
    shows it; ``emitra reconcile run`` reports it as a bad --week)."""

    def __init__(self, start: dt.date, end: dt.date, today: dt.date):
        self.field = "week"
        self.message_en = (f"The week of {start:%d-%m-%Y} to {end:%d-%m-%Y} has not begun (today is {today:%d-%m-%Y}): a week is run "
                           "and recorded once it has begun, normally after it has ended. Nothing was recorded.")
        self.message_hi = (f"{start:%d-%m-%Y} से {end:%d-%m-%Y} का सप्ताह अभी शुरू नहीं हुआ है (आज {today:%d-%m-%Y} है): सप्ताह का मिलान "
                           "शुरू होने के बाद ही चलाया और दर्ज किया जाता है, सामान्यतः उसके समाप्त होने के बाद। कुछ दर्ज नहीं हुआ।")
        super().__init__(self.message_en)


@dataclass
class ParsedLine:
    line_no: int
    value_date: dt.date
    amount_paise: int  # credit positive, debit negative
    reference: str
    description: str
    balance_paise: int | None = None
    stripe: dict[str, Any] | None = None  # a Stripe transaction: type, source, fee, created (UTC datetime)
    #: (reference, description) as the line itself has them, before a narration continued below it was joined
    #: (decision 67): as an import before that change stored it, to know the line again (:func:`_repeated_lines`)
    unjoined: tuple[str, str] | None = None


def file_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def content_sha256(source: str, lines: list[ParsedLine]) -> str:
    """The statement as read, whatever the file's bytes: the SHA-256 of its lines in order (value
    date, amount in paise, reference, description). A copy saved again from a spreadsheet (with a
    byte-order mark, CRLF line endings, "1,00,000.00" as "100000.00") has the same."""
    digest = hashlib.sha256(source.encode())
    digest.update("".join([f"\n{l.value_date.isoformat()}\x1f{l.amount_paise}\x1f{l.reference}\x1f{l.description}"
                           for l in lines]).encode())  # (one update: the same digest as one a line)
    return digest.hexdigest()


def _after_today(text: str, today: dt.date) -> tuple[str, str]:
    return (f"'{text}' is after today ({today:%d-%m-%Y}): a statement lists what the bank has already done; check the date.",
            f"'{text}' आज ({today:%d-%m-%Y}) के बाद की तिथि है: विवरण में वही होता है जो बैंक कर चुका है; तिथि जाँचें।")


def _decode(data: bytes) -> str:
    if len(data) > MAX_FILE_BYTES:
        raise StatementError([LineError(0, "file", f"The file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB; split it by week.",
                                        f"फ़ाइल {MAX_FILE_BYTES // (1024 * 1024)} MB से बड़ी है; इसे सप्ताह के अनुसार बाँटें।")])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise StatementError([LineError(line, "file", "The file is not UTF-8 text; save it from the spreadsheet as 'CSV UTF-8'.",
                                        "फ़ाइल UTF-8 टेक्स्ट नहीं है; स्प्रेडशीट से 'CSV UTF-8' के रूप में सहेजें।")]) from None


_MONTH_NAMES = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december")
_DAY_FIRST = re.compile(r"(?P<d>\d{1,2})(?P<sep>[-/. ])(?P<m>\d{1,2}|[A-Za-z]{3,9})(?P=sep)(?P<y>\d{4}|\d{2})")
_TIME = re.compile(r"(?P<date>\S+(?: [A-Za-z]{3,9} \d{2,4})?)\s+\d{1,2}:\d{2}(?::\d{2})?(?:\s*[AaPp][Mm])?")
#: the year first, in four digits (so never a day), then the month and the day: 2026/11/17, 2026.11.17,
#: 2026-1-5 (decision 146); a two-digit year is read last only (24/11/25), never first
_YEAR_FIRST = re.compile(r"(?P<y>[0-9]{4})(?P<sep>[-/.])(?P<m>[0-9]{1,2})(?P=sep)(?P<d>[0-9]{1,2})")


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _iso_date(text: str) -> dt.date | None:
    """The fast path of :func:`parse_date` (nearly every line of a bank's CSV): ``text`` (stripped)
    as ``YYYY-MM-DD`` in ASCII digits, read as the general path reads it (a ValueError for 2025-02-30);
    None for any other text, which the general path reads. No time can follow: the text has no space."""
    return dt.date.fromisoformat(text) if _ISO_DATE.fullmatch(text) else None


def parse_date(text: str) -> dt.date:
    """A bank's value date, day first as Indian banks write it: ``DD-MM-YYYY``, ``DD/MM/YYYY``,
    ``DD.MM.YYYY``, ``DD-Mon-YYYY``, ``DD Mon YYYY`` (``Nov`` or ``November``), and the same with a
    two-digit year (``24/11/25`` is 2025: a statement's dates are 2000 to 2099); or year first, the
    year in four digits: ``YYYY-MM-DD``, ``YYYY/MM/DD``, ``YYYY.MM.DD`` (decision 146). A time after
    the date (``24/11/2025 10:32``) is left aside. Never month first (``11/24/2025``), nor year, day,
    month (``2026/17/11``). Anything else is a ValueError."""
    text = text.strip()
    iso = _iso_date(text)
    if iso is not None:
        return iso
    timed = _TIME.fullmatch(text)
    if timed:
        text = timed["date"]
    year_first = _YEAR_FIRST.fullmatch(text)
    if year_first:
        return dt.date(int(year_first["y"]), int(year_first["m"]), int(year_first["d"]))  # a ValueError for month 13, 31-11 ...
    found = _DAY_FIRST.fullmatch(text)
    if not found:
        raise ValueError(text)
    month_text = found["m"].lower()
    if month_text.isdigit():
        month = int(month_text)
    else:  # Nov, November (and Sept): the first three letters of a month's name, and no other letters
        month = next((i for i, name in enumerate(_MONTH_NAMES, start=1)
                      if name.startswith(month_text) or (month_text == "sept" and i == 9)), 0) if len(month_text) >= 3 else 0
    year = int(found["y"]) + (2000 if len(found["y"]) == 2 else 0)
    return dt.date(year, month, int(found["d"]))  # a ValueError for month 0 or 13, 31-11 ...


def _not_a_date(text: str) -> tuple[str, str]:
    """The refusal of a date cell :func:`parse_date` does not read: the forms it reads, and, for a date
    written year first whose month is not one (``2026/17/11``: year, day, month), the order it reads."""
    timed = _TIME.fullmatch(text)
    year_first = _YEAR_FIRST.fullmatch(timed["date"] if timed else text)
    if year_first and not 1 <= int(year_first["m"]) <= 12:
        month = year_first["m"]
        return (f"'{text}' is not a date: {month} is not a month. A date written with the year first is read year, month, day "
                "(YYYY/MM/DD, e.g. 2026/11/17), never year, day, month; write it so, or with the day first (DD/MM/YYYY).",
                f"'{text}' तिथि नहीं है: {month} कोई महीना नहीं है। वर्ष पहले लिखी तिथि वर्ष, महीना, दिन के क्रम में पढ़ी जाती है "
                "(YYYY/MM/DD, जैसे 2026/11/17), कभी वर्ष, दिन, महीना नहीं; ऐसे ही लिखें, या दिन पहले (DD/MM/YYYY)।")
    return (f"'{text}' is not a date; write the day first: DD-MM-YYYY, DD/MM/YYYY or DD-Mon-YYYY, or the year first: YYYY-MM-DD "
            "or YYYY/MM/DD; e.g. 24-11-2025, 24/11/2025, 24-Nov-2025, 2025-11-24 or 2025/11/24.",
            f"'{text}' तिथि नहीं है; दिन पहले लिखें: DD-MM-YYYY, DD/MM/YYYY या DD-Mon-YYYY, या वर्ष पहले: YYYY-MM-DD या YYYY/MM/DD; "
            "जैसे 24-11-2025, 24/11/2025, 24-Nov-2025, 2025-11-24 या 2025/11/24।")


def _unstorable(kind: str) -> tuple[str, str]:
    """The refusal of a field holding a NUL character or a lone surrogate (core/text.py): no database
    column stores either, and no bank or Stripe field has one."""
    what_en, what_hi = UNSTORABLE[kind]
    return (f"This field contains {what_en}; export the statement again, or remove it.",
            f"इस फ़ील्ड में {what_hi} है; विवरण फिर से निर्यात करें, या उसे हटा दें।")


def _date_range() -> tuple[str, str]:
    """:data:`FIRST_DATE` and :data:`LAST_DATE` as a refusal shows them."""
    return FIRST_DATE.strftime("%d-%m-%Y"), LAST_DATE.strftime("%d-%m-%Y")


def _signed_rupees(text: str) -> int:
    text = text.strip()
    negative = text.startswith("-")
    paise = parse_rupees(text[1:] if negative else text)
    return -paise if negative else paise


#: a bank statement's columns by the names banks' downloads give them (decision 57): a header cell
#: is compared in small letters with everything but letters dropped ("Withdrawal Amt." is
#: ``withdrawalamt``, "Chq./Ref.No." is ``chqrefno``). A column no name here fits is not read (the
#: import says which); a role two columns fit is refused.
BANK_COLUMNS: dict[str, tuple[str, ...]] = {
    "date": ("date", "txndate", "transactiondate", "trandate", "transdate", "postingdate", "postdate", "bookingdate"),
    "value_date": ("valuedate", "valuedt", "valdate", "valuedat"),
    "description": ("description", "narration", "particulars", "remarks", "transactionremarks", "details",
                    "transactiondetails", "transactiondescription", "transactionparticulars", "narrative"),
    "reference": ("reference", "refno", "referenceno", "referencenumber", "chqrefno", "chqrefnumber", "chqno", "chequeno",
                  "chequenumber", "refnochequeno", "chequerefno", "chqnorefno", "utr", "utrno", "instrumentno", "instrumentid"),
    "debit": ("debit", "debits", "dr", "debitamount", "debitamt", "debitinr", "withdrawal", "withdrawals", "withdrawalamt",
              "withdrawalamount", "withdrawalamountinr", "withdrawaldr", "withdrawalsinr"),
    "credit": ("credit", "credits", "cr", "creditamount", "creditamt", "creditinr", "deposit", "deposits", "depositamt",
               "depositamount", "depositamountinr", "depositcr", "depositsinr"),
    "amount": ("amount", "amountinr", "amountrs", "amt", "transactionamount", "txnamount", "tranamount"),
    "way": ("drcr", "crdr", "debitcredit", "creditdebit", "type"),
    "balance": ("balance", "bal", "balanceinr", "balancers", "closingbalance", "runningbalance", "availablebalance"),
}
_COLUMN_OF = {name: role for role, names in BANK_COLUMNS.items() for name in names}
#: a reference column's name a bank composes of the cheque's and the reference's ("Cheque No/Reference No",
#: "Ref No./Chq No.", "UTR Number"): one or two of these words, each perhaps with its "No." or "Number"
_REFERENCE_NAME = re.compile(r"(?:(?:chq|cheque|ref|reference|utr|instrument)(?:no|nos|number|num)?){1,2}")


def column_role(name: str) -> str | None:
    """The role a statement's column has by its name in the header (:data:`BANK_COLUMNS`, a reference
    by :data:`_REFERENCE_NAME` too), or None when it is not read."""
    key = _column_key(name)
    return _COLUMN_OF.get(key) or ("reference" if _REFERENCE_NAME.fullmatch(key) else None)
#: how many lines a statement's title block (the bank's name, the account, the period) may take
#: before the header
HEADER_SEARCH_LINES = 30
#: the words of a line that is a balance, not a transaction: the opening balance (or balance brought
#: forward) before the first line, the closing balance after the last
_BALANCE_WORDS = re.compile(r"\b(?:opening|closing)\s*bal(?:ance)?\b|\bbalance\s+(?:b/?f|c/?f|brought\s+forward|carried\s+forward)\b|"
                            r"\bb/f\b|\bc/f\b", re.IGNORECASE)
#: a reference a spreadsheet turned into a number and wrote back shortened ("1.23457E+15"): its digits are lost,
#: and two UTRs so written are one reference, which would confirm one deposit for another
_SPREADSHEET_NUMBER = re.compile(r"(?:^|\s/\s)\d(?:\.\d+)?E\+\d+(?:$|\s/\s)", re.IGNORECASE)
_WAY_SUFFIX = re.compile(r"(?P<amount>.*?[\d.])\s*\(?(?P<way>cr|dr)\.?\)?", re.IGNORECASE)
_WAYS = {"cr": "credit", "cr.": "credit", "credit": "credit", "c": None, "dr": "debit", "dr.": "debit", "debit": "debit"}
_SIDE = {"credit": "Cr", "debit": "Dr"}  # a side as a statement writes it
#: the bank's columns by their role, as a refusal names them (and the reconciliation page, in its table of refusals)
COLUMN_EN = {"date": "date", "description": "description", "reference": "reference", "debit": "debit", "credit": "credit",
              "amount": "amount", "way": "Dr/Cr", "balance": "balance"}
COLUMN_HI = {"date": "तिथि", "description": "विवरण", "reference": "संदर्भ", "debit": "डेबिट", "credit": "क्रेडिट", "amount": "राशि",
              "way": "Dr/Cr", "balance": "शेष"}


_NOT_A_LETTER = re.compile(r"[^a-z]")


def _column_key(text: str) -> str:
    return _NOT_A_LETTER.sub("", text.lower())


@dataclass(frozen=True)
class ReadNote:
    """What the import of a bank statement read otherwise than as a transaction, or how it read the
    file (which column is which, a line left aside and why), shown with the import: nothing is
    passed over without saying so (decision 57)."""

    lines: str  # "1-5", "9", or "" for the file as a whole
    message_en: str
    message_hi: str

    def __str__(self) -> str:
        return f"{'lines' if '-' in self.lines else 'line'} {self.lines}: {self.message_en}" if self.lines else self.message_en


@dataclass
class BankReading:
    lines: list[ParsedLine]
    notes: list[ReadNote]
    #: the account the statement's title names ("Account Number :,00000012345678"): its line and the number as printed
    account: tuple[int, str] | None = None


#: a title line naming the statement's account, and the number after it (digits, perhaps masked: XXXXXXXX5678)
_ACCOUNT_LABEL = re.compile(r"\b(?:account|a/c|acct)\.?\s*(?:no|number|num)\b\.?", re.IGNORECASE)
_ACCOUNT_NUMBER = re.compile(r"(?<![^\W_])[0-9Xx*][0-9Xx* -]*[0-9](?![^\W_])")


def _account_of(title: list[tuple[int, list[str]]]) -> tuple[int, str] | None:
    """The account a statement's title names, as (line, number as printed): the first number of at
    least four digits after "Account No." / "A/c No." / "Account Number"; None when it names none."""
    for n, row in title:
        text = " ".join(c.strip() for c in row)
        label = _ACCOUNT_LABEL.search(text)
        if label is None:
            continue
        for number in _ACCOUNT_NUMBER.finditer(text, label.end()):
            if sum(c.isdigit() for c in number.group()) >= 4:
                return n, number.group().strip()
    return None


_OUR_NUMBER = re.compile(r"(?<![^\W_])\d(?:[ -]?\d)*(?![^\W_])")


def same_account(printed: str, ours: str) -> bool | None:
    """Whether an account number as a statement prints it is the Society's (``Society.bank_account``,
    such as "SBI 0000 1234 5678"): the same digits but for leading zeros, or, where one side gives
    only the last digits (a statement's ``XXXXXXXX5678``, a Society that keeps "...5678"), the same
    last digits; None when it cannot be told (no digits on our side, or fewer than four shown). Of ours, the longest number standing alone is the account (not an IFSC
    code's digits: "SBI A/c 12345678901, IFSC SBIN0001234" is 12345678901)."""
    runs = [re.sub(r"\D", "", run) for run in _OUR_NUMBER.findall(ours)]
    digits = max(runs, key=len, default="")
    if not digits.lstrip("0"):
        return None
    number = re.sub(r"[\s-]", "", printed).upper()
    if "X" in number or "*" in number:
        shown_tail = re.search(r"\d*$", number).group()
        return digits.endswith(shown_tail) if len(shown_tail) >= 4 else None
    # (the shorter one the other's end: a Society that keeps only the last digits is not refused every statement)
    short, long = sorted((number.lstrip("0"), digits.lstrip("0")), key=len)
    return long.endswith(short) if len(short) >= 4 else None


class _Header(NamedTuple):
    line: int
    columns: dict[str, int]  # role -> index
    balance_way: int | None  # a Dr/Cr column just after the balance (the balance's side)
    names: list[str]
    joined: dict[str, tuple[int, ...]]  # more columns of a text role (a cheque number and a reference), read after the first


#: the roles several columns may have: text, joined with " / " (a cheque number and a reference
#: number are both the line's references); never money
_JOINED = ("reference", "description")


def _header(row: list[str], line: int) -> _Header | LineError | None:
    """The header a row is: the columns it names by role; a LineError when a role is named twice;
    None when it names no date, narration and money columns (not a header)."""
    roles: dict[str, list[int]] = {}
    for i, cell in enumerate(row):
        role = column_role(cell)
        if role:
            roles.setdefault(role, []).append(i)
    dated = "date" in roles or "value_date" in roles
    money = ("debit" in roles and "credit" in roles) or "amount" in roles
    if not (dated and "description" in roles and money):
        return None
    balance_way = None
    ways = roles.get("way", [])
    if "balance" in roles and roles["balance"][0] + 1 in ways:  # the balance's side, never taken for the amount's
        balance_way = roles["balance"][0] + 1
        ways.remove(balance_way)
    if not ways:
        roles.pop("way", None)
    if "amount" in roles and ("debit" in roles or "credit" in roles):
        both = [row[i] for i in roles["amount"] + roles.get("debit", []) + roles.get("credit", [])]
        return LineError(line, "header", f"The header has both an amount column and debit/credit columns ({', '.join(both)}): "
                                         "keep one way of giving the amounts.",
                         f"हेडर में राशि कॉलम और डेबिट/क्रेडिट कॉलम दोनों हैं ({', '.join(both)}): राशि देने का एक ही तरीका रखें।")
    for role, found in roles.items():
        unused = (role == "way" and "amount" not in roles) or (role == "date" and "value_date" in roles)
        if len(found) > 1 and not unused and role not in _JOINED:
            named = ", ".join(f"'{row[i]}'" for i in found)
            return LineError(line, "header", f"The header has more than one {role.replace('_', ' ')} column ({named}): "
                                             "remove or rename all but one, so that no amount is read from the wrong column.",
                             f"हेडर में एक से अधिक {COLUMN_HI.get(role, role)} कॉलम हैं ({named}): एक को छोड़कर बाकी हटाएँ या उनका नाम बदलें, "
                             "ताकि कोई राशि गलत कॉलम से न पढ़ी जाए।")
    columns = {role: found[0] for role, found in roles.items()}
    if "value_date" in columns:  # the value date is the date a statement line is matched on
        columns["date"] = columns.pop("value_date")
    joined = {role: tuple(found[1:]) for role, found in roles.items() if role in _JOINED and len(found) > 1}
    return _Header(line, columns, balance_way, [c.strip() for c in row], joined)


#: what a header lacks, as the refusal names it, with the names the import reads for it
_LACKING = {
    "date": ("a date column (Date, Txn Date or Value Date)", "तिथि का कॉलम (Date, Txn Date या Value Date)"),
    "description": ("a narration column (Description, Narration, Particulars or Remarks)",
                    "विवरण का कॉलम (Description, Narration, Particulars या Remarks)"),
    "debit": ("a debit column (Debit or Withdrawal)", "डेबिट का कॉलम (Debit या Withdrawal)"),
    "credit": ("a credit column (Credit or Deposit)", "क्रेडिट का कॉलम (Credit या Deposit)"),
    "money": ("the money columns (Debit and Credit, or Withdrawal and Deposit, or one Amount with a Dr/Cr column)",
              "राशि के कॉलम (Debit और Credit, या Withdrawal और Deposit, या Dr/Cr कॉलम के साथ एक Amount)"),
}


def _near_header(rows: list[tuple[int, list[str]]]) -> LineError | None:
    """The refusal of a file whose header names some of the columns read but not all (a money column
    the import does not know by that name, "Debit Amount INR" or a bank's misspelling): the line that
    looks like the header (the first naming the most roles, at least two), what it lacks, and the
    columns not recognised, to rename. None when no line names two roles (not a header at all)."""
    best: tuple[int, dict[str, list[int]], list[str]] | None = None
    for n, row in rows:
        roles: dict[str, list[int]] = {}
        for i, cell in enumerate(row):
            role = column_role(cell)
            if role:
                roles.setdefault("date" if role == "value_date" else role, []).append(i)
        if len(roles) >= 2 and (best is None or len(roles) > len(best[1])):
            best = (n, roles, row)
    if best is None:
        return None
    n, roles, row = best
    lacking = [role for role in ("date", "description") if role not in roles]
    if "amount" not in roles:
        if "debit" in roles and "credit" not in roles:
            lacking.append("credit")
        elif "credit" in roles and "debit" not in roles:
            lacking.append("debit")
        elif "debit" not in roles:
            lacking.append("money")
    if not lacking:
        return None
    found = sorted((i, role) for role, at in roles.items() for i in at)
    read_en = ", ".join(f"{COLUMN_EN[role]} ← '{row[i].strip()}'" for i, role in found)
    read_hi = ", ".join(f"{COLUMN_HI[role]} ← '{row[i].strip()}'" for i, role in found)
    named = {i for i, _ in found}
    others = [f"'{cell.strip()}'" for i, cell in enumerate(row) if i not in named and cell.strip()]
    need_en = " and ".join(_LACKING[role][0] for role in lacking)
    need_hi = " और ".join(_LACKING[role][1] for role in lacking)
    unknown_en = (f" Not recognised: {', '.join(others)}; if one of them is that column, rename it in the header to one of those names."
                  if others else " Add the column, or download the statement again with every column.")
    unknown_hi = (f" जो कॉलम पहचाने नहीं गए: {', '.join(others)}; यदि इनमें से कोई वही है, तो हेडर में उसका नाम इन नामों में से एक रखें।"
                  if others else " वह कॉलम जोड़ें, या सभी कॉलमों के साथ विवरण फिर से डाउनलोड करें।")
    return LineError(n, "header",
                     f"Line {n} looks like the header (it names {read_en}), but it lacks {need_en}, so it was not read as the header "
                     f"and nothing was imported.{unknown_en} E.g. {','.join(BANK_HEADER)}.",
                     f"पंक्ति {n} हेडर जैसी है (इसमें {read_hi} हैं), पर इसमें {need_hi} नहीं है, इसलिए इसे हेडर के रूप में नहीं पढ़ा गया और "
                     f"कुछ भी आयात नहीं हुआ।{unknown_hi} उदाहरण: {','.join(BANK_HEADER)}।")


#: files that are not CSV, by how they begin: what net banking offers beside CSV
_NOT_CSV = ((b"%PDF", "a PDF document", "PDF दस्तावेज़"), (b"PK\x03\x04", "an Excel workbook (.xlsx)", "Excel वर्कबुक (.xlsx)"),
            (b"\xd0\xcf\x11\xe0", "an Excel 97-2003 workbook (.xls)", "Excel 97-2003 वर्कबुक (.xls)"),
            (b"{\\rtf", "an RTF document (as WordPad saves)", "RTF दस्तावेज़ (जैसे WordPad सहेजता है)"),
            (b"\x89PNG", "a picture (PNG), as a photo or a scan of a statement is", "चित्र (PNG), जैसा विवरण का फ़ोटो या स्कैन होता है"),
            (b"\xff\xd8\xff", "a picture (JPEG), as a photo or a scan of a statement is", "चित्र (JPEG), जैसा विवरण का फ़ोटो या स्कैन होता है"))
#: what else a ZIP file (PK) may be than an Excel workbook, by what its first entries are named
_ZIPPED = ((b"mimetypeapplication/vnd.oasis.opendocument", "an OpenDocument file (.ods or .odt)", "OpenDocument फ़ाइल (.ods या .odt)"),
           (b"word/", "a Word document (.docx)", "Word दस्तावेज़ (.docx)"))


def _utf16(data: bytes) -> str | None:
    """``data`` as UTF-16 text (Excel's "Unicode Text", some banks' downloads), or None when it is not:
    with a byte-order mark, or without one when every other byte of its start is a NUL (ASCII in
    UTF-16), which UTF-8 reads as a NUL after every character and Windows-1252 likewise."""
    start = data[:512]
    if start[:2] in (b"\xff\xfe", b"\xfe\xff"):
        encoding = "utf-16"
    elif len(start) >= 4 and not any(start[1::2]) and all(start[0::2]):
        encoding = "utf-16-le"
    elif len(start) >= 4 and not any(start[0::2]) and all(start[1::2]):
        encoding = "utf-16-be"
    else:
        return None
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].decode(encoding, errors="replace").count("\n") + 1
        raise StatementError([LineError(line, "file", "The file is UTF-16 text with a broken character; download the statement again as CSV.",
                                        "फ़ाइल UTF-16 टेक्स्ट है जिसमें एक टूटा अक्षर है; विवरण को फिर से CSV के रूप में डाउनलोड करें।")]) from None


def _decode_bank(data: bytes, notes: list[ReadNote]) -> str:
    """UTF-8 (with or without a byte-order mark), UTF-16, else Windows-1252, as Excel and many banks'
    downloads on Windows write it: amounts and dates are ASCII either way, only a narration's
    letters depend on it, and the import says which it read. A PDF, a workbook or a web page is
    refused saying what it is."""
    if len(data) > MAX_FILE_BYTES:
        return _decode(data)  # (refused for its size, whatever it is)
    wide = _utf16(data)
    start = (data[:512] if wide is None else wide[:512].encode()).lstrip().lower()
    for magic, what_en, what_hi in _NOT_CSV + ((b"<", "a web page (HTML), as some banks' 'Excel' downloads are", "वेब पेज (HTML), जैसे कुछ बैंकों के 'Excel' डाउनलोड होते हैं"),):
        if start.startswith(magic.lower()) and (magic != b"<" or re.match(rb"<(!doctype|html|table|\?xml)", start)):
            if magic == b"PK\x03\x04":
                what_en, what_hi = next(((en, hi) for inside, en, hi in _ZIPPED if inside in data[:4096]), (what_en, what_hi))
            raise StatementError([LineError(0, "file", f"This file is {what_en}, not CSV or text: download the statement from the bank as CSV "
                                                       "or as text separated by tabs (TXT; State Bank's 'Excel' download is such text), "
                                                       "or open it in Excel and save it as 'CSV UTF-8'.",
                                            f"यह फ़ाइल {what_hi} है, CSV या टेक्स्ट नहीं: बैंक से विवरण CSV के रूप में या टैब से अलग किए गए "
                                            "टेक्स्ट (TXT; स्टेट बैंक का 'Excel' डाउनलोड ऐसा ही टेक्स्ट है) के रूप में डाउनलोड करें, "
                                            "या इसे Excel में खोलकर 'CSV UTF-8' के रूप में सहेजें।")])
    if start[:1] in (b"{", b"["):
        raise StatementError([LineError(0, "file", "This file is JSON (Stripe's balance transactions?), not a bank statement CSV: "
                                                   "import Stripe's file in the Stripe form, and the bank's CSV download here.",
                                        "यह फ़ाइल JSON है (Stripe के बैलेंस लेन-देन?), बैंक विवरण की CSV नहीं: Stripe की फ़ाइल Stripe वाले "
                                        "फ़ॉर्म में आयात करें, और बैंक की CSV यहाँ।")])
    if wide is not None:
        notes.append(ReadNote("", "The file is UTF-16 text, as Excel saves 'Unicode Text'; it was read so.",
                              "फ़ाइल UTF-16 टेक्स्ट है, जैसे Excel 'Unicode Text' सहेजता है; इसे वैसे ही पढ़ा गया।"))
        return wide.removeprefix("\ufeff")
    try:
        return _decode(data)
    except StatementError as exc:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            raise StatementError([LineError(exc.errors[0].line, "file",
                                            "The file is neither UTF-8 nor Windows-1252 (ANSI) text; download the statement again as CSV.",
                                            "फ़ाइल न UTF-8 टेक्स्ट है न Windows-1252 (ANSI); विवरण को फिर से CSV के रूप में डाउनलोड करें।")]) from None
        notes.append(ReadNote("", "The file is not UTF-8; it was read as Windows-1252 (ANSI) text, as Excel on Windows saves it.",
                              "फ़ाइल UTF-8 नहीं है; इसे Windows-1252 (ANSI) टेक्स्ट के रूप में पढ़ा गया, जैसे Windows पर Excel सहेजता है।"))
        return text


_GROUP = re.compile(r"[0-9]{3}(?:,[0-9]{3})*(?:\.[0-9]{1,2})?")


def _split_amount(row: list[str], money_columns: list[int]) -> int | None:
    """The money column whose amount a comma not in double quotes split in two (``1,234.50`` read as
    ``1`` and ``234.50``, the rest of the line pushed one column on): a line with more cells than the
    header, whose money cell is 1 to 3 digits and the cell after it a thousands group; else None."""
    for i in money_columns:
        if i + 1 < len(row) and re.fullmatch(r"[0-9]{1,3}", row[i].strip()) and _GROUP.fullmatch(row[i + 1].strip()):
            return i
    return None


def _role_of(columns: dict[str, int], index: int) -> str:
    return next((role for role, i in columns.items() if i == index), "columns")


def _split_amount_message(first: str, rest: str) -> tuple[str, str]:
    amount = f"{first},{rest}"
    return (f"'{first}' and '{rest}' look like the amount {amount} split at its comma: the line has more columns than the header. "
            f"Put the amount in double quotes (\"{amount}\"), or write it without the comma ({amount.replace(',', '')}).",
            f"'{first}' और '{rest}' अपने अल्पविराम पर बँटी राशि {amount} लगती हैं: पंक्ति में हेडर से अधिक कॉलम हैं। "
            f"राशि को दोहरे उद्धरण चिह्नों में लिखें (\"{amount}\"), या बिना अल्पविराम के ({amount.replace(',', '')})।")


def _csv_problem(exc: csv.Error) -> tuple[str, str]:
    """Why Python's CSV reader could not read a line, in words and in Hindi, with what to do (its own
    message, "field larger than field limit (131072)", said neither, and was English on a Hindi page)."""
    if "field limit" in str(exc):
        limit = f"{csv.field_size_limit():,}"
        return (f"one of its fields is longer than {limit} characters (a bank's narration is a few hundred). A double quote (\") "
                "that is never closed makes one field of the rest of the file: download the statement from the bank again, as CSV.",
                f"इसका एक फ़ील्ड {limit} अक्षरों से लंबा है (बैंक का विवरण कुछ सौ अक्षरों का होता है)। कभी बंद न होने वाला दोहरा "
                "उद्धरण चिह्न (\") शेष पूरी फ़ाइल को एक फ़ील्ड बना देता है: बैंक से विवरण फिर से CSV के रूप में डाउनलोड करें।")
    return (f"the file is not CSV as a bank writes it ({exc}); download the statement from the bank again, as CSV.",
            f"फ़ाइल वैसी CSV नहीं है जैसी बैंक लिखता है ({exc}); बैंक से विवरण फिर से CSV के रूप में डाउनलोड करें।")


def _columns_hint(start: int, row: list[str], width: int, sep: str = ",") -> tuple[str, str]:
    """Why a line has another number of columns than the header, when the line shows it: a double
    quote never closed (its field runs over the next lines), or a separator in a value not in double
    quotes (an amount written 1,234.50 in a file separated by commas); else nothing."""
    spread = next((i for i, value in enumerate(row) if "\n" in value), None)
    if spread is not None:
        last = start + sum(value.count("\n") for value in row[:-1]) + row[-1].rstrip("\r\n").count("\n")
        return (f" A double quote (\") opens column {spread + 1} and is not closed on this line: lines {start} to {last} were read as "
                "one. Remove the stray double quote, or close it with a second one.",
                f" कॉलम {spread + 1} में एक दोहरा उद्धरण चिह्न (\") खुलता है और इस पंक्ति में बंद नहीं होता: पंक्तियाँ {start} से {last} "
                "एक ही पढ़ी गईं। अतिरिक्त दोहरा उद्धरण चिह्न हटाएँ, या दूसरे से उसे बंद करें।")
    if len(row) > width and sep == "\t":
        return (" A value holding a tab (a narration) must be in double quotes, or the tab removed from it.",
                " टैब वाला मान (जैसे विवरण) दोहरे उद्धरण चिह्नों में होना चाहिए, या उसमें से टैब हटा दें।")
    if len(row) > width:
        return (" A value holding a comma (an amount such as 1,234.50, or a narration) must be in double quotes: \"1,234.50\".",
                " अल्पविराम वाला मान (जैसे 1,234.50 राशि, या विवरण) दोहरे उद्धरण चिह्नों में होना चाहिए: \"1,234.50\"।")
    return "", ""


#: how much of a file's start :func:`_separator` looks at: far more than the first
#: :data:`HEADER_SEARCH_LINES` lines of any bank's download
_HEAD_CHARS = 1 << 18


def _head_rows(head: str, sep: str) -> Iterable[tuple[int, list[str]]]:
    """The first :data:`HEADER_SEARCH_LINES` rows of ``head`` with a cell not blank, split at ``sep``,
    each with its line number as :func:`read_bank_csv` counts it; fewer if the CSV reader stops on an
    error (which the reading proper then reports)."""
    reader = csv.reader(io.StringIO(head, newline=""), delimiter=sep)
    end = found = 0
    while found < HEADER_SEARCH_LINES:
        start = end + 1
        try:
            row = next(reader)
        except (StopIteration, csv.Error):
            return
        end = reader.line_num
        if row and "".join(row).strip():
            found += 1
            yield start, row


def _file_head(text: str) -> str:
    """The start of ``text`` :func:`_separator` looks at, whole lines only."""
    if len(text) <= _HEAD_CHARS:
        return text
    head = text[:_HEAD_CHARS]
    return head[: head.rfind("\n") + 1]


def _separator(text: str) -> str:
    """What separates the statement's columns (decision 189): a tab when its header, the first of its
    first :data:`HEADER_SEARCH_LINES` lines that is one, is a header split at tabs, as State Bank's
    "Excel" download (an .xls that is text), banks' TXT downloads and Excel's "Unicode Text" are
    written; else a comma. A header split at commas on an earlier line keeps the comma. Only the
    file's start is looked at, and only when it holds a tab: a file separated by commas costs one
    search of its start, nothing a line."""
    head = _file_head(text)
    if "\t" not in head:
        return ","
    at = {sep: next((n for n, row in _head_rows(head, sep) if _header(row, n) is not None), None) for sep in (",", "\t")}
    return "\t" if at["\t"] is not None and (at[","] is None or at["\t"] < at[","]) else ","


def _span(first: int, last: int) -> str:
    return str(first) if first == last else f"{first}-{last}"


def parse_bank_csv(data: bytes, today: dt.date | None = None) -> list[ParsedLine]:
    """The lines of a bank statement (:func:`read_bank_csv`)."""
    return read_bank_csv(data, today).lines


def read_bank_csv(data: bytes, today: dt.date | None = None) -> BankReading:
    """Read a bank statement; raise :class:`StatementError` listing every bad line. A line dated
    after ``today`` (the counters' today by default) is a bad line.

    The file is a bank's download as it comes (decision 57, docs/reconciliation.md section 1): the
    header is the first of its first :data:`HEADER_SEARCH_LINES` lines that names a date, a narration
    and the money columns (debit and credit, or one amount with a Dr/Cr column or suffix) by
    :data:`BANK_COLUMNS`, and the lines above it are the statement's title (refused if one of them
    reads as a transaction). A line without an amount that names an opening or closing balance is
    not a transaction: its balance is checked with the lines'; a line without a date after the last
    transaction is the statement's end: a total there must equal the sums of the lines, text is left
    aside, as is a line with neither date nor amount among the transactions (a page's heading, a
    narration continued) and the header repeated. Every line left aside is named in the notes,
    shown with the import."""
    today = today or clock.today()
    notes: list[ReadNote] = []
    text = _decode_bank(data, notes)
    errors: list[LineError] = []

    def bad(line: int, fld: str, en: str, hi: str) -> None:
        errors.append(LineError(line, fld, en, hi))

    expected = ",".join(BANK_HEADER)
    sep = _separator(text)  # a comma, or a tab (State Bank's "Excel" download, banks' TXT files; decision 189)
    if sep == "\t":
        notes.append(ReadNote("", "The columns are separated by tabs, as State Bank's 'Excel' download and banks' TXT files are: "
                                  "the file was read so.",
                              "कॉलम टैब से अलग किए गए हैं, जैसे स्टेट बैंक के 'Excel' डाउनलोड और बैंकों की TXT फ़ाइलों में होते हैं: "
                              "फ़ाइल को वैसे ही पढ़ा गया।"))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    rows: list[tuple[int, list[str]]] = []
    previous_end = 0
    while True:
        start = previous_end + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            why_en, why_hi = _csv_problem(exc)
            if not rows:
                raise StatementError([LineError(start, "header", f"The header cannot be read as CSV: {why_en}",
                                                f"हेडर CSV के रूप में पढ़ा नहीं जा सका: {why_hi}")]) from None
            bad(start, "file", f"This line cannot be read as CSV, and the rest of the file was not checked: {why_en}",
                f"यह पंक्ति CSV के रूप में पढ़ी नहीं जा सकी, और शेष फ़ाइल की जाँच नहीं हुई: {why_hi}")
            break
        previous_end = reader.line_num
        rows.append((start, row))
    filled = [(n, r) for n, r in rows if r and "".join(r).strip()]  # (a cell not blank: the row joined is not)
    if not filled:
        raise StatementError([LineError(1, "header", f"The file is empty; the first line must be the header {expected}.",
                                        f"फ़ाइल खाली है; पहली पंक्ति हेडर {expected} होनी चाहिए।")])
    header: _Header | None = None
    for n, row in filled[:HEADER_SEARCH_LINES]:
        found = _header(row, n)
        if isinstance(found, LineError):
            raise StatementError([found])
        if found:
            header = found
            break
    first_line, first = filled[0]
    if header is None:
        for n, row in filled[:HEADER_SEARCH_LINES]:  # a header that is one quoted field: every line quoted whole
            if len(row) == 1 and any(s in row[0] and isinstance(_header(next(csv.reader([row[0]], delimiter=s)), n), _Header)
                                     for s in (",", "\t")):
                raise StatementError([LineError(n, "header", f"Each line is in double quotes as one field (line {n} is the header {row[0][:120]} in "
                                                             "quotes): the columns are not separated. Download the statement again, or remove "
                                                             "the double quote at the start and the end of each line.",
                                                f"हर पंक्ति दोहरे उद्धरण चिह्नों में एक ही फ़ील्ड है (पंक्ति {n} उद्धरण चिह्नों में हेडर {row[0][:120]} है): "
                                                "कॉलम अलग नहीं हैं। विवरण फिर से डाउनलोड करें, या हर पंक्ति के आरंभ और अंत का दोहरा उद्धरण चिह्न हटाएँ।")])
        for n, row in filled[:HEADER_SEARCH_LINES]:  # Stripe's Dashboard export given to the bank's form
            if {"id", "fee", "net", "source"} <= {_column_key(c) for c in row}:
                raise StatementError([LineError(n, "header", f"This is Stripe's export (line {n} names the columns id, Fee, Net and Source), not "
                                                             "a bank statement: Stripe's transactions are imported in the Stripe form, as the JSON "
                                                             "list of balance transactions; the Dashboard's CSV export is not read.",
                                                f"यह Stripe का निर्यात है (पंक्ति {n} में id, Fee, Net और Source कॉलम हैं), बैंक विवरण नहीं: Stripe "
                                                "के लेन-देन Stripe वाले फ़ॉर्म में, बैलेंस लेन-देन की JSON सूची के रूप में, आयात होते हैं; डैशबोर्ड का "
                                                "CSV निर्यात नहीं पढ़ा जाता।")])
        # a spreadsheet set to another list separator (semicolons): the first line so separated, or, below a title
        # that has no separator, the header so separated (decision 180); tabs are read (decision 189)
        at = first_line if len(first) == 1 and ";" in first[0] else next(
            (n for n, row in filled[:HEADER_SEARCH_LINES] if ";" in ",".join(row) and isinstance(_header(",".join(row).split(";"), n), _Header)),
            None)
        if at is not None:
            where_en = "" if at == first_line else f" (line {at} is the header, so separated)"
            where_hi = "" if at == first_line else f" (पंक्ति {at} हेडर है, इसी तरह अलग की गई)"
            raise StatementError([LineError(at, "header", f"The columns are separated by semicolons (;), not commas{where_en}: save the file as CSV "
                                                          f"with commas (,) between the columns, with the header {expected}.",
                                            f"कॉलम अर्धविराम (;) से अलग किए गए हैं, अल्पविराम से नहीं{where_hi}: फ़ाइल को कॉलमों के बीच अल्पविराम (,) "
                                            f"वाली CSV के रूप में सहेजें, हेडर {expected} के साथ।")])
        near = _near_header(filled[:HEADER_SEARCH_LINES])
        if near is None and sep == "," and "\t" in _file_head(text):  # a header half known, separated by tabs
            near = _near_header(list(_head_rows(_file_head(text), "\t")))
        if near is not None:
            raise StatementError([near])
        raise StatementError([LineError(first_line, "header",
            f"No header was found in the first {HEADER_SEARCH_LINES} lines (line {first_line} reads {','.join(first)[:120]}). The header names the "
            "columns: a date (Date, Txn Date or Value Date), the narration (Description, Narration, Particulars or Remarks), and Debit and "
            f"Credit (or Withdrawal and Deposit), or one Amount with a Dr/Cr column; Reference and Balance may be given too. E.g. {expected}.",
            f"पहली {HEADER_SEARCH_LINES} पंक्तियों में हेडर नहीं मिला (पंक्ति {first_line}: {','.join(first)[:120]})। हेडर कॉलमों के नाम देता है: "
            "तिथि (Date, Txn Date या Value Date), विवरण (Description, Narration, Particulars या Remarks), और Debit व Credit (या Withdrawal "
            f"व Deposit), या एक Amount के साथ Dr/Cr कॉलम; Reference और Balance भी दिए जा सकते हैं। उदाहरण: {expected}।")])
    if sep == "\t" and not header.names[-1]:  # State Bank ends its lines in a tab: no column after it
        names = list(header.names)
        while not names[-1]:
            names.pop()
        header = header._replace(names=names)
    columns, width = header.columns, len(header.names)
    if tuple(_column_key(c) for c in header.names) != BANK_HEADER:
        read = sorted(columns.items(), key=lambda c: c[1])
        read.extend((role, i) for role, more in header.joined.items() for i in more)
        read.sort(key=lambda c: c[1])
        used = {i for _, i in read}
        unread = ", ".join(f"'{name}'" for i, name in enumerate(header.names) if i not in used and i != header.balance_way and name)
        notes.append(ReadNote(str(header.line),
                              f"Columns read: {', '.join(f'{COLUMN_EN[r]} ← {header.names[i]!r}' for r, i in read)}" + (f"; not read: {unread}" if unread else "") + ".",
                              f"पढ़े गए कॉलम: {', '.join(f'{COLUMN_HI[r]} ← {header.names[i]!r}' for r, i in read)}" + (f"; नहीं पढ़े गए: {unread}" if unread else "") + "।"))

    joined = header.joined

    def cell(row: list[str], role: str) -> str:
        i = columns.get(role)
        text = row[i].strip() if i is not None and i < len(row) else ""
        if role not in joined:  # one column (nearly always): the cell itself
            return text
        more = [row[j].strip() for j in joined[role] if j < len(row) and row[j].strip()]
        return " / ".join(([text] if text else []) + more)

    date_column = columns["date"]  # (one column, never joined: the cell read directly)

    def date_text_of(row: list[str]) -> str:
        return row[date_column].strip() if date_column < len(row) else ""

    def date_of(row: list[str]) -> dt.date | None:
        try:
            return parse_date(date_text_of(row))
        except ValueError:
            return None

    money_columns = [columns[r] for r in ("debit", "credit", "amount") if r in columns]  # (never joined)

    def has_money(row: list[str]) -> bool:
        for i in money_columns:
            if i < len(row) and row[i].strip() not in ("", "-"):
                return True
        return False

    title = [(n, r) for n, r in filled if n < header.line]
    for n, row in title:
        if date_of(row) is not None and has_money(row):
            bad(n, "line", f"This line above the header (line {header.line}) reads as a transaction (a date and an amount): the header "
                           "must come before every transaction; move it or this line.",
                f"हेडर (पंक्ति {header.line}) से ऊपर की यह पंक्ति लेन-देन जैसी है (तिथि और राशि): हेडर हर लेन-देन से पहले होना चाहिए; "
                "इसे या हेडर को सही जगह रखें।")
    account = _account_of(title)
    if title:
        notes.insert(0, ReadNote(_span(title[0][0], title[-1][0]), "Above the header: the statement's title, not read.",
                              "हेडर से ऊपर: विवरण का शीर्षक, पढ़ा नहीं गया।"))
    body = []
    for n, r in filled:
        if n <= header.line:
            continue
        if _is_rule(r):  # a rule line under the header or after the lines (HDFC's "********"): no transaction, no figure
            notes.append(ReadNote(str(n), "A rule line, not a transaction: not read.", "रेखा की पंक्ति, लेन-देन नहीं: पढ़ी नहीं गई।"))
            continue
        body.append((n, r))
    summary = _summary_block(body)  # HDFC's "STATEMENT SUMMARY": its figures checked against the lines below
    if summary is not None:
        body = [(n, r) for n, r in body if n not in (summary[0][0], summary[1][0])]
    # the last line with a date: a footer after it may write in the date column ("**This is a
    # computer generated statement", "Total"), but a text with a digit there beside an amount is a
    # transaction's date mistyped, never a total
    dated = {n: date_of(r) for n, r in body}  # each line's date read once
    last_dated = max((n for n, _ in body if dated[n] is not None), default=header.line)
    dates = [d for d in (dated[n] for n, _ in body) if d is not None]
    newest_first = len(set(dates)) > 1 and all(a >= b for a, b in zip(dates, dates[1:]))
    if newest_first:
        notes.append(ReadNote("", "The statement lists the newest transaction first: each line's running balance was checked against the line above it.",
                              "विवरण में सबसे नया लेन-देन पहले है: हर पंक्ति का शेष उसके ऊपर की पंक्ति से जाँचा गया।"))
    lines: list[ParsedLine] = []
    date_texts: list[str] = []  # each line's date as the file writes it (:func:`_month_first`)
    previous_balance: int | None = None
    row_index = {n: i for i, (n, _) in enumerate(rows)}
    read_last: int | None = None  # the index in ``rows`` of the last row read into a transaction (a narration continued too)
    text_columns = {i for role in _JOINED for i in (columns.get(role), *header.joined.get(role, ())) if i is not None}
    header_date = header.names[date_column]  # a row that is the header again has it in its date column
    for start, row in body:
        follows, read_last = read_last is not None and row_index[start] == read_last + 1, None
        if len(row) > width and not any(c.strip() for c in row[width:]):
            split = _split_amount(row, money_columns) if sep == "," else None  # (a tab never splits an amount)
            if split is not None:  # 1,234.50 written without double quotes: its comma made two cells of it
                bad(start, _role_of(columns, split), *_split_amount_message(row[split].strip(), row[split + 1].strip()))
                continue
            row = row[:width]  # a spreadsheet's empty cells after the last column
        date_text = date_text_of(row)
        if date_text == header_date and [c.strip() for c in row] == header.names:  # the header again, as a download of several pages repeats it
            notes.append(ReadNote(str(start), "The header again: not read.", "हेडर फिर से: पढ़ा नहीं गया।"))
            continue
        money = has_money(row)
        not_joined = None
        if not date_text and not money and not _BALANCE_WORDS.search(" ".join(row)):
            not_joined = _continued(start, row, cell, text_columns, header.names, lines[-1] if follows else None, notes, bad)
            if not_joined is None:
                read_last = row_index[start]
                continue
        footer = start > last_dated and not (money and re.search(r"\d", date_text))
        if not date_text or (footer and date_of(row) is None) or (not money and _BALANCE_WORDS.search(" ".join(row))):
            handled, previous_balance = _not_a_transaction(start, row, cell, money, start > last_dated, lines,
                                                           previous_balance, notes, errors, header.balance_way, not_joined)
            if handled:
                continue
        if len(row) != width:
            hint_en, hint_hi = _columns_hint(start, row, width, sep)
            bad(start, "columns", f"Expected {width} columns ({','.join(header.names)[:120]}), found {len(row)}.{hint_en}",
                f"{width} कॉलम ({','.join(header.names)[:120]}) अपेक्षित थे, {len(row)} मिले।{hint_hi}")
            previous_balance = None
            continue
        description, reference = cell(row, "description"), cell(row, "reference")
        problems = len(errors)
        value_date = dated.get(start)  # read above (None: not a date, or not read: parsed here for its message)
        try:
            if value_date is None:
                value_date = parse_date(date_text)
        except ValueError:
            if not date_text:
                bad(start, "date", "The date is empty, and the line has an amount: every transaction has its date; give it.",
                    "तिथि खाली है, और पंक्ति में राशि है: हर लेन-देन की अपनी तिथि होती है; उसे लिखें।")
            else:
                bad(start, "date", *_not_a_date(date_text))
        else:
            if not FIRST_DATE <= value_date <= LAST_DATE:
                first_day, last_day = _date_range()
                bad(start, "date", f"'{date_text}' is outside the dates a statement can have ({first_day} to {last_day}); check the year.",
                    f"'{date_text}' विवरण की संभव तिथियों ({first_day} से {last_day}) से बाहर है; वर्ष जाँचें।")
            elif value_date > today:
                bad(start, "date", *_after_today(date_text, today))
        amount = _line_amount(start, row, cell, "amount" in columns, bad)
        balance = _balance(start, row, cell, header.balance_way, bad)
        if len(reference) > REFERENCE_MAX:
            bad(start, "reference", f"The reference is longer than {REFERENCE_MAX} characters.", f"संदर्भ {REFERENCE_MAX} अक्षरों से लंबा है।")
        if _SPREADSHEET_NUMBER.search(reference):
            bad(start, "reference", f"'{reference}' is a number a spreadsheet wrote in place of the reference (a long UTR or cheque number in "
                                    "scientific notation, its digits lost): import the bank's own file, not one opened and saved in a spreadsheet.",
                f"'{reference}' वह संख्या है जो स्प्रेडशीट ने संदर्भ की जगह लिख दी (लंबा UTR या चेक नंबर वैज्ञानिक संकेतन में, उसके अंक खो गए): "
                "बैंक की अपनी फ़ाइल आयात करें, स्प्रेडशीट में खोलकर सहेजी गई नहीं।")
        for name, value in (("reference", reference), ("description", description)) if unstorable(reference + description) else ():
            kind = unstorable(value)  # (a NUL: strict UTF-8 lets no lone surrogate into a CSV)
            if kind:
                bad(start, name, *_unstorable(kind))
        if len(description) > DESCRIPTION_MAX:
            bad(start, "description", f"The description is longer than {DESCRIPTION_MAX} characters.", f"विवरण {DESCRIPTION_MAX} अक्षरों से लंबा है।")
        if len(errors) > problems or amount is None or value_date is None:
            previous_balance = None  # do not check the next line's balance against a bad one
            continue
        if newest_first:  # the line above is the later one: this line's balance is the one before it
            if balance is not None and previous_balance is not None and balance != previous_balance:
                bad(start, "balance",
                    f"The balance {format_paise(balance)} is not the balance before the line above ({format_paise(previous_balance)}; "
                    "the statement lists the newest line first); a line may be missing or mistyped.",
                    f"शेष {format_paise(balance)} ऊपर की पंक्ति से पहले के शेष ({format_paise(previous_balance)}) के बराबर नहीं (विवरण में "
                    "नई पंक्ति पहले है); कोई पंक्ति छूटी या गलत लिखी हो सकती है।")
            previous_balance = None if balance is None else balance - amount
        elif balance is not None and previous_balance is not None and previous_balance + amount != balance:
            bad(start, "balance",
                f"The balance {format_paise(balance)} does not follow from the line before ({format_paise(previous_balance)} "
                f"{'+' if amount >= 0 else '−'} {format_paise(abs(amount))} = {format_paise(previous_balance + amount)}); a line may be missing or mistyped.",
                f"शेष {format_paise(balance)} पिछली पंक्ति से मेल नहीं खाता ({format_paise(previous_balance + amount)} होना चाहिए); कोई पंक्ति छूटी या गलत लिखी हो सकती है।")
            previous_balance = balance
            continue
        else:
            previous_balance = balance
        if len(errors) > problems:
            continue
        lines.append(ParsedLine(start, value_date, amount, reference, description, balance))
        date_texts.append(date_text)
        read_last = row_index[start]
    if not lines and not errors:
        errors.append(LineError(0, "file", "The statement has a header but no lines.", "विवरण में हेडर है पर कोई पंक्ति नहीं।"))
    month_first = _month_first(lines, date_texts, today)
    if month_first is not None:
        errors.append(month_first)
    if summary is not None and lines and not errors:
        errors.extend(_check_summary(summary, lines, newest_first, notes))
    if errors:
        raise StatementError(errors)
    notes.extend(_alike_lines(lines))
    return BankReading(lines, notes, account)


#: a date written in digits alone, day and month either way round (a time after it aside)
_DIGITS_DATE = re.compile(r"\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}(?:[ T].*)?")


def _month_first(lines: list[ParsedLine], texts: list[str], today: dt.date) -> LineError | None:
    """The refusal of a statement whose dates were written month first, as a spreadsheet set to US
    English saves them (``11/2/2026`` for 2 November) when every day is 12 or less, so that no date
    is refused as month first: read day first, every line falls on the same day of three or more
    different months (the 11th of February, March, April ...), where read month first they are
    days of a few weeks. None for any other statement (decision 181)."""
    if len({l.value_date for l in lines}) < 3 or not all(_DIGITS_DATE.fullmatch(t) for t in texts):
        return None
    day = lines[0].value_date.day
    if day > 12 or any(l.value_date.day != day for l in lines):
        return None
    try:
        swapped = sorted({dt.date(l.value_date.year, day, l.value_date.month) for l in lines})
    except ValueError:
        return None
    if swapped[-1] > today or (swapped[-1] - swapped[0]).days > 62:
        return None
    first, last = lines[0], lines[-1]
    return LineError(first.line_no, "date",
                     f"Every date of the file, read day first as Indian banks write them, is the {day}{_ordinal(day)} of a month "
                     f"('{texts[0]}' on line {first.line_no} is {first.value_date:%d-%m-%Y}, '{texts[-1]}' on line {last.line_no} is "
                     f"{last.value_date:%d-%m-%Y}): the dates were written month first, as a spreadsheet set to US English saves them "
                     f"('{texts[0]}' for {dt.date(first.value_date.year, day, first.value_date.month):%d-%m-%Y}), and would be imported "
                     "months apart. Import the bank's own download as it came, not a copy saved from a spreadsheet.",
                     f"फ़ाइल की हर तिथि, भारतीय बैंकों की तरह दिन पहले पढ़ने पर, किसी महीने की {day} तारीख है ('{texts[0]}' पंक्ति "
                     f"{first.line_no} पर {first.value_date:%d-%m-%Y} है, '{texts[-1]}' पंक्ति {last.line_no} पर {last.value_date:%d-%m-%Y}): "
                     "तिथियाँ महीना पहले लिखी गई हैं, जैसे US English पर सेट स्प्रेडशीट सहेजती है "
                     f"('{texts[0]}' यानी {dt.date(first.value_date.year, day, first.value_date.month):%d-%m-%Y}), और महीनों के अंतर पर "
                     "आयात हो जातीं। बैंक का अपना डाउनलोड जैसा आया वैसा आयात करें, स्प्रेडशीट से सहेजी गई प्रति नहीं।")


def _ordinal(day: int) -> str:
    return "st" if day in (1, 21, 31) else "nd" if day in (2, 22) else "rd" if day in (3, 23) else "th"


_RULE_CELL = re.compile(r"[*=_~-]{3,}")


_RULE_CHARS = "*=_~-"


def _is_rule(row: list[str]) -> bool:
    """A rule line: every filled cell a run of one drawing character (``********``, ``-----``)."""
    first = row[0].strip() if row else ""
    if first and first[0] not in _RULE_CHARS:  # (most lines: a date first; every line of a statement is asked)
        return False
    cells = [c.strip() for c in row if c.strip()]
    return bool(cells) and all(_RULE_CELL.fullmatch(c) and len(set(c)) == 1 for c in cells)


#: the statement summary's columns (HDFC's "Opening Balance, Dr Count, Cr Count, Debits, Credits,
#: Closing Bal"), by their names compared as a header's are, and what each must equal
_SUMMARY_COLUMNS = {"openingbalance": "opening", "openingbal": "opening", "drcount": "debits_count", "debitcount": "debits_count",
                    "crcount": "credits_count", "creditcount": "credits_count", "debits": "debits", "credits": "credits",
                    "closingbal": "closing", "closingbalance": "closing"}
_SUMMARY_NAMES = {"opening": ("opening balance", "प्रारंभिक शेष"), "closing": ("closing balance", "अंतिम शेष"),
                  "debits": ("total of debits", "डेबिट का योग"), "credits": ("total of credits", "क्रेडिट का योग"),
                  "debits_count": ("number of debits", "डेबिट की संख्या"), "credits_count": ("number of credits", "क्रेडिट की संख्या")}


_OPENING = re.compile(r"o\W*p\W*e\W*n", re.I)  # what every name of an opening balance has (_column_key drops the rest)


def _summary_block(body: list[tuple[int, list[str]]]) -> tuple[tuple[int, list[str]], tuple[int, list[str]]] | None:
    """The statement's summary a bank prints after its lines, as a small table of its own: a line
    naming an opening and a closing balance among the :data:`_SUMMARY_COLUMNS` (HDFC's "Opening
    Balance,Dr Count,Cr Count,Debits,Credits,Closing Bal") and the line below it with its figures;
    its columns are not the statement's, so it is read by its own names (decision 182). None when
    the file has none."""
    for k, (n, row) in enumerate(body[:-1]):
        if _OPENING.search(",".join(row)) is None:  # (one look at the line first: every line of a statement is asked)
            continue
        roles = [_SUMMARY_COLUMNS.get(_column_key(c)) for c in row]
        if "opening" in roles and "closing" in roles and sum(r is not None for r in roles) >= 3:
            return (n, row), body[k + 1]
    return None


def _check_summary(summary: tuple[tuple[int, list[str]], tuple[int, list[str]]], lines: list[ParsedLine], newest_first: bool,
                   notes: list[ReadNote]) -> list[LineError]:
    """The summary's figures, each equal to what the lines give (the balance before the earliest line,
    the latest line's balance, the sums and numbers of debits and credits), else a refusal naming the
    figure; a figure the lines cannot give (no running balance) is not checked."""
    (names_line, names), (line, values) = summary
    earliest, latest = (lines[-1], lines[0]) if newest_first else (lines[0], lines[-1])
    debits, credits = [l.amount_paise for l in lines if l.amount_paise < 0], [l.amount_paise for l in lines if l.amount_paise > 0]
    given = {"opening": None if earliest.balance_paise is None else earliest.balance_paise - earliest.amount_paise,
             "closing": latest.balance_paise, "debits": -sum(debits), "credits": sum(credits),
             "debits_count": len(debits), "credits_count": len(credits)}
    errors = []
    for i, name in enumerate(names):
        role = _SUMMARY_COLUMNS.get(_column_key(name))
        text = values[i].strip() if i < len(values) else ""
        if role is None or not text:
            continue
        label_en, label_hi = _SUMMARY_NAMES[role]
        expected = given[role]
        counted = role.endswith("_count")
        try:
            amount, side = _way_of(text)
            figure = int(text) if counted else _signed_rupees(amount) * (-1 if side == "debit" else 1)  # (a balance "250.00 Dr": overdrawn)
        except (ValueError, AmountError):
            errors.append(LineError(line, "summary", f"The statement summary's {label_en} ('{name.strip()}', line {names_line}) reads {text!r}, "
                                                     "which is not a figure: download the statement again.",
                                    f"विवरण सारांश का {label_hi} ('{name.strip()}', पंक्ति {names_line}) {text!r} है, जो अंक नहीं: "
                                    "विवरण फिर से डाउनलोड करें।"))
            continue
        if expected is None or figure == expected:
            continue
        shown, want = (str(figure), str(expected)) if counted else (format_paise(figure), format_paise(expected))
        errors.append(LineError(line, "summary", f"The statement summary's {label_en} ('{name.strip()}', line {names_line}) is {shown}, "
                                                 f"but the lines give {want}: a line may be missing or mistyped; download the statement again.",
                                f"विवरण सारांश का {label_hi} ('{name.strip()}', पंक्ति {names_line}) {shown} है, पर पंक्तियों से {want} "
                                "आता है: कोई पंक्ति छूटी या गलत लिखी हो सकती है; विवरण फिर से डाउनलोड करें।"))
    if not errors:
        notes.append(ReadNote(_span(names_line, line), "The statement summary (opening and closing balance, debits and credits), equal to "
                                                      "its lines': not a transaction.",
                              "विवरण सारांश (प्रारंभिक और अंतिम शेष, डेबिट और क्रेडिट), पंक्तियों के बराबर: लेन-देन नहीं।"))
    return errors


def _alike_lines(lines: list[ParsedLine]) -> list[ReadNote]:
    """A note for each line of the file alike in date, amount, reference and narration to an earlier
    line of it, neither with a running balance: two real transactions (two ₹500 cash deposits at one
    machine) or one line repeated by mistake, which the file cannot tell; both are imported, and the
    page says so, naming the lines and what to do if it was a mistake (decision 138)."""
    first: dict[tuple[Any, ...], int] = {}
    notes = []
    for line in lines:
        if line.balance_paise is not None:
            continue  # a running balance tells two transactions apart, and refuses a line repeated
        seen = first.setdefault((line.value_date, line.amount_paise, line.reference, line.description), line.line_no)
        if seen != line.line_no:
            notes.append(ReadNote(str(line.line_no),
                f"The same date, amount, reference and narration as line {seen}, and no running balance: both were imported, as two "
                "transactions. If the bank's file repeats the line by mistake, withdraw this import (Recent imports, below) and import "
                "the file without the repeated line.",
                f"पंक्ति {seen} जैसी ही तिथि, राशि, संदर्भ और विवरण, और कोई चालू शेष नहीं: दोनों दो लेन-देन के रूप में आयात हुईं। "
                "यदि बैंक की फ़ाइल में पंक्ति भूल से दोहराई गई है, तो यह आयात वापस लें (नीचे, हाल के आयात) और दोहराई पंक्ति के बिना "
                "फ़ाइल आयात करें।"))
    return notes


def _way_of(text: str) -> tuple[str, str | None]:
    """An amount and the side its suffix names ("1,483.50 Cr" -> "1,483.50", "credit")."""
    found = _WAY_SUFFIX.fullmatch(text)
    if not found:
        return text, None
    return found["amount"].strip(), _WAYS[found["way"].lower()]


_PLAIN_RUPEES = re.compile(r"[0-9]{1,9}(?:\.[0-9]{1,2})?")


def _plain_paise(text: str) -> int | None:
    """The fast path of an amount (nearly every cell of a bank's CSV): ``text`` (stripped) as plain
    rupees, ASCII digits without a sign, a comma, a currency or a Dr/Cr, at most nine before the
    point and two after it, in paise as :func:`emitra.core.money.parse_rupees` reads it; None for any
    other text, which the general path reads (and refuses, saying why)."""
    if _PLAIN_RUPEES.fullmatch(text) is None:
        return None
    rupees, _, paise = text.partition(".")
    return int(rupees) * 100 + int(paise.ljust(2, "0"))


def _plain_line_amount(debit: str, credit: str) -> int | None:
    """The fast path of :func:`_line_amount` for debit and credit columns: one of the two a plain
    amount above zero (:func:`_plain_paise`), the other empty or a plain zero; None for anything
    else (both, neither, a dash, a sign, a Dr/Cr ...), which the general path reads."""
    debit_paise = 0 if not debit else _plain_paise(debit)
    credit_paise = 0 if not credit else _plain_paise(credit)
    if debit_paise is None or credit_paise is None or bool(debit_paise) == bool(credit_paise):
        return None
    return credit_paise or -debit_paise


def _line_amount(start: int, row: list[str], cell: Callable[[list[str], str], str], single: bool,
                 bad: Callable[[int, str, str, str], None]) -> int | None:
    """A line's amount in paise (credit positive, debit negative) from its debit and credit columns,
    or from its amount and the side a Dr/Cr column or suffix names; None (and the reason) when none."""
    if not single:
        plain = _plain_line_amount(cell(row, "debit"), cell(row, "credit"))
        if plain is not None:
            return plain
    amounts: dict[str, int | None] = {}
    names = ("amount",) if single else ("debit", "credit")
    ways: dict[str, str | None] = {}
    for name in names:
        value = cell(row, name)
        if value == "-":  # a dash for an empty cell
            continue
        number, ways[name] = _way_of(value)
        name_hi = COLUMN_HI[name]
        if number.startswith("-"):
            bad(start, name, f"Write the {name} without a sign ('{value}'): the column says which way the money went.",
                f"{name_hi} बिना चिह्न के लिखें ('{value}'): कॉलम ही बताता है कि पैसा किस ओर गया।")
            amounts[name] = None
        elif number:
            try:
                amounts[name] = parse_rupees(number)
            except AmountError as exc:
                bad(start, name, str(exc), exc.message_hi)
                amounts[name] = None
            if not single and ways[name] not in (None, name):
                bad(start, name, f"'{value}' says {_SIDE[ways[name]]} in the {name} column: check which way the money went.",
                    f"{name_hi} कॉलम में '{value}' {_SIDE[ways[name]]} कहता है: जाँचें कि पैसा किस ओर गया।")
    if any(v is None for v in amounts.values()) or any(ways.get(n) not in (None, n) for n in ("debit", "credit") if n in amounts):
        return None
    given = {k: v for k, v in amounts.items() if v}  # a zero on the other side is as good as empty
    if single:
        if not given:
            bad(start, "amount", "The amount is empty.", "राशि खाली है।")
            return None
        way_text = cell(row, "way")
        told = _WAYS.get(way_text.lower()) if way_text else None
        if way_text and told is None:
            bad(start, "way", f"'{way_text}' is neither Dr nor Cr.", f"'{way_text}' न Dr है न Cr।")
            return None
        suffix = ways.get("amount")
        if told and suffix and told != suffix:
            bad(start, "way", f"The Dr/Cr column says {_SIDE[told]}, the amount says {_SIDE[suffix]}: check which way the money went.",
                f"Dr/Cr कॉलम {_SIDE[told]} कहता है, राशि {_SIDE[suffix]}: जाँचें कि पैसा किस ओर गया।")
            return None
        way = told or suffix
        if way is None:
            bad(start, "way", "The amount does not say whether it is a debit or a credit: give Dr or Cr in the Dr/Cr column or after the amount.",
                "राशि यह नहीं बताती कि वह डेबिट है या क्रेडिट: Dr/Cr कॉलम में या राशि के बाद Dr या Cr लिखें।")
            return None
        return given["amount"] if way == "credit" else -given["amount"]
    if len(given) == 2:
        bad(start, "debit", "Both debit and credit are given; a line is one or the other.",
            "डेबिट और क्रेडिट दोनों दिए गए हैं; एक पंक्ति में इनमें से एक ही होता है।")
        return None
    if not given:
        bad(start, "credit", "Neither debit nor credit has an amount.", "न डेबिट में राशि है, न क्रेडिट में।")
        return None
    return given.get("credit") or -given["debit"]


def _balance(start: int, row: list[str], cell: Callable[[list[str], str], str], way_column: int | None,
             bad: Callable[[int, str, str, str], None]) -> int | None:
    """A line's running balance in paise (negative when overdrawn: ``-250.00``, ``250.00 Dr``, or Dr
    in the column after it), or None when it has none or a bad one (and the reason)."""
    text = cell(row, "balance")
    if not text:
        return None
    if way_column is None or way_column >= len(row) or not row[way_column].strip():
        plain = _plain_paise(text)
        if plain is not None:  # (no sign, no Dr/Cr: a balance in credit)
            return plain
    number, way = _way_of(text)
    if way_column is not None and way_column < len(row) and row[way_column].strip():
        told = _WAYS.get(row[way_column].strip().lower())
        if told is None or (way and way != told):
            bad(start, "balance", f"The balance's Dr/Cr ('{row[way_column].strip()}') is neither Dr nor Cr, or not what the balance says.",
                f"शेष का Dr/Cr ('{row[way_column].strip()}') न Dr है न Cr, या शेष से मेल नहीं खाता।")
            return None
        way = told
    try:
        paise = _signed_rupees(number)
    except AmountError as exc:
        bad(start, "balance", str(exc), exc.message_hi)
        return None
    if way and paise < 0:
        bad(start, "balance", f"'{text}' has both a sign and Dr/Cr; give one.", f"'{text}' में चिह्न और Dr/Cr दोनों हैं; एक ही दें।")
        return None
    return -paise if way == "debit" else paise


#: a page's heading or footer a download may print in the narration column: never a narration continued
_PAGE_WORDS = re.compile(r"^\s*(?:page\s*(?:no\.?\s*)?\d+(?:\s*(?:of|/)\s*\d+)?|\(?continued\)?|contd\.?)\s*$", re.IGNORECASE)


def _continued(start: int, row: list[str], cell: Callable[[list[str], str], str], text_columns: set[int], names: list[str],
               above: ParsedLine | None, notes: list[ReadNote], bad: Callable[[int, str, str, str], None]) -> tuple[str, str] | None:
    """Join a line without a date and an amount to the transaction on the line just above it, as the
    rest of its narration (and reference) the bank wrapped onto a second line: only when nothing else
    is on it (no other column filled, no balance, not a page's heading) and the line above was read
    as a transaction (decision 67). The joined line is noted; None when joined, else why not (English,
    Hindi) for the note of the line left aside."""
    description, reference = cell(row, "description"), cell(row, "reference")
    other = next((i for i, c in enumerate(row) if c.strip() and i not in text_columns), None)
    if other is not None:
        name = names[other] if other < len(names) else f"#{other + 1}"
        return f"its column '{name}' is filled", f"इसका कॉलम '{name}' भरा है"
    if not description or _PAGE_WORDS.match(description):
        return "its narration column has no narration", "इसके विवरण कॉलम में विवरण नहीं है"
    if above is None:
        return "the line just above it is not a transaction read", "इसके ठीक ऊपर की पंक्ति पढ़ा गया लेन-देन नहीं है"
    problems: list[tuple[str, str, str]] = []
    joined_description = f"{above.description} {description}".strip()
    joined_reference = f"{above.reference} {reference}".strip() if reference else above.reference
    if len(joined_description) > DESCRIPTION_MAX:
        problems.append(("description", f"The narration, joined to line {above.line_no}'s as the rest of it, is longer than {DESCRIPTION_MAX} characters.",
                         f"विवरण, पंक्ति {above.line_no} के विवरण से जोड़ने पर, {DESCRIPTION_MAX} अक्षरों से लंबा है।"))
    if len(joined_reference) > REFERENCE_MAX:
        problems.append(("reference", f"The reference, joined to line {above.line_no}'s as the rest of it, is longer than {REFERENCE_MAX} characters.",
                         f"संदर्भ, पंक्ति {above.line_no} के संदर्भ से जोड़ने पर, {REFERENCE_MAX} अक्षरों से लंबा है।"))
    if _SPREADSHEET_NUMBER.search(reference):
        problems.append(("reference", f"'{reference}' is a number a spreadsheet wrote in place of the reference (its digits lost): "
                                      "import the bank's own file, not one opened and saved in a spreadsheet.",
                         f"'{reference}' वह संख्या है जो स्प्रेडशीट ने संदर्भ की जगह लिख दी (उसके अंक खो गए): बैंक की अपनी फ़ाइल आयात करें, "
                         "स्प्रेडशीट में खोलकर सहेजी गई नहीं।"))
    for name, value in (("reference", reference), ("description", description)):
        kind = unstorable(value)
        if kind:
            problems.append((name, *_unstorable(kind)))
    for fld, en, hi in problems:
        bad(start, fld, en, hi)
    if not problems:
        above.unjoined = above.unjoined or (above.reference, above.description)
        above.description, above.reference = joined_description, joined_reference
        what_en, what_hi = ("narration and reference", "विवरण और संदर्भ") if reference else ("narration", "विवरण")
        notes.append(ReadNote(str(start), f"No date and no amount: the rest of line {above.line_no}'s {what_en}, joined to it.",
                              f"न तिथि न राशि: पंक्ति {above.line_no} के {what_hi} का शेष भाग, उससे जोड़ा गया।"))
    return None


def _not_a_transaction(start: int, row: list[str], cell: Callable[[list[str], str], str], money: bool, after_last: bool,
                       lines: list[ParsedLine], previous_balance: int | None, notes: list[ReadNote],
                       errors: list[LineError], balance_way: int | None,
                       not_joined: tuple[str, str] | None = None) -> tuple[bool, int | None]:
    """Whether a line without a date, or without an amount but naming a balance, is one of the lines
    a statement has besides its transactions, and the running balance to check the next line
    against. Such a line is noted, and its figures checked against the transactions': an opening
    balance (before the first transaction), a closing balance, the statement's total or text after
    the last transaction. Any other line is read as a transaction, and refused as one."""
    def bad(fld: str, en: str, hi: str) -> tuple[bool, int | None]:
        errors.append(LineError(start, fld, en, hi))
        return True, previous_balance

    if money and not after_last:
        return False, previous_balance  # an amount without a date among the transactions: refused as one
    named = bool(_BALANCE_WORDS.search(" ".join(row)))
    balance = _balance(start, row, cell, balance_way, lambda line, fld, en, hi: errors.append(LineError(line, fld, en, hi)))
    if money:
        if cell(row, "amount"):
            return bad("date", "A line after the last transaction has an amount but no date: remove it, or give it its date.",
                       "अंतिम लेन-देन के बाद की पंक्ति में राशि है पर तिथि नहीं: इसे हटाएँ, या इसकी तिथि दें।")
        if errors:  # the lines summed are not all the statement's: the errors say why
            return True, previous_balance
        sums = {"debit": -sum(l.amount_paise for l in lines if l.amount_paise < 0),
                "credit": sum(l.amount_paise for l in lines if l.amount_paise > 0)}
        for name, total in sums.items():
            text = cell(row, name)
            if text in ("", "-"):
                continue
            try:
                paise = parse_rupees(_way_of(text)[0])
            except AmountError as exc:
                return bad(name, str(exc), exc.message_hi)
            if paise != total:
                return bad(name, f"The statement's total {name} {format_paise(paise)} is not the sum of its lines' ({format_paise(total)}): "
                                 "a line may be missing or mistyped; download the statement again.",
                           f"विवरण का कुल {COLUMN_HI[name]} {format_paise(paise)} उसकी पंक्तियों के योग ({format_paise(total)}) के बराबर नहीं: "
                           "कोई पंक्ति छूटी या गलत लिखी हो सकती है; विवरण फिर से डाउनलोड करें।")
        notes.append(ReadNote(str(start), "The statement's totals, equal to the sums of its lines: not a transaction.",
                              "विवरण का कुल योग, पंक्तियों के योग के बराबर: लेन-देन नहीं।"))
    elif named and not lines and balance is not None:
        notes.append(ReadNote(str(start), f"Balance {format_paise(balance)}: not a transaction; the first line's balance is checked against it.",
                              f"शेष {format_paise(balance)}: लेन-देन नहीं; पहली पंक्ति का शेष इससे जाँचा गया।"))
        return True, balance
    elif named or after_last:
        notes.append(ReadNote(str(start), "A balance, not a transaction." if named else "After the last transaction: not read.",
                              "शेष की पंक्ति, लेन-देन नहीं।" if named else "अंतिम लेन-देन के बाद: पढ़ी नहीं गई।"))
    else:  # among the transactions: a page's heading, a narration continued (the line above is read without it)
        why_en, why_hi = not_joined or ("", "")
        notes.append(ReadNote(str(start), "No date and no amount: not a transaction, not read (not joined to the line above as its narration "
                                          f"continued: {why_en}).",
                              f"न तिथि न राशि: लेन-देन नहीं, पढ़ी नहीं गई (ऊपर की पंक्ति के जारी विवरण के रूप में नहीं जोड़ी गई: {why_hi})।"))
    if balance is not None and previous_balance is not None and balance != previous_balance:
        notes.pop()
        return bad("balance", f"The balance {format_paise(balance)} on this line is not the running balance of the lines before "
                              f"({format_paise(previous_balance)}): a line may be missing or mistyped.",
                   f"इस पंक्ति का शेष {format_paise(balance)} पिछली पंक्तियों के शेष ({format_paise(previous_balance)}) के बराबर नहीं: "
                   "कोई पंक्ति छूटी या गलत लिखी हो सकती है।")
    return True, previous_balance


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def local_date(moment: dt.datetime, zone: ZoneInfo | None = None) -> dt.date:
    """The district's calendar date of ``moment`` (naive: UTC); ``zone`` saves looking it up again
    for every entry of a week."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(zone or ZoneInfo(config.timezone())).date()


def stripe_description(txn_type: str, source: str, fee: int, net: int, text: str = "") -> str:
    """How a Stripe transaction's details are kept in ``StatementLine.description``."""
    return f"stripe {txn_type} source={source or '-'} fee={fee} net={net} {text}".strip()[:DESCRIPTION_MAX]


_STRIPE_DESC = re.compile(r"^stripe (?P<type>\S+) source=(?P<source>\S+) fee=(?P<fee>-?\d+) net=(?P<net>-?\d+)")


#: a JSON string as written (its quotes and escapes): the loop unrolled (runs of plain characters
#: between escapes), which the regex engine walks several times faster than one alternation a character
_JSON_STRING = re.compile(r'"[^"\\\n]*(?:\\.[^"\\\n]*)*"')


def _stripe_created(created: Any, zone: ZoneInfo | None = None) -> dt.datetime | None:
    """A Stripe ``created`` (Unix seconds) as a UTC time, None unless it is a whole number whose
    date in the district (``zone``, looked up when not given) is between :data:`FIRST_DATE` and
    :data:`LAST_DATE`."""
    if not _is_int(created) or not 0 < created < 10**11:  # (year 5138: datetime cannot go past 9999)
        return None
    when = dt.datetime.fromtimestamp(created, dt.timezone.utc)
    return when if FIRST_DATE <= local_date(when, zone) <= LAST_DATE else None


def _first_lines(text: str) -> dict[str, int]:
    """Each string of a JSON file (one :func:`json.loads` read), as written, with its quotes and
    escapes -> the first line it is on. No string of such a file has a line break in it, so the
    strings are found line by line, the lines taken last first, each line's strings overwriting a
    later line's: one pass of the regex in C over a line (Stripe's API writes a week on one line),
    not a Python step for each of the file's million strings."""
    first_line: dict[str, int] = {}
    split = text.split("\n")
    for line_no in range(len(split), 0, -1):
        first_line.update(dict.fromkeys(_JSON_STRING.findall(split[line_no - 1]), line_no))
    return first_line


def parse_stripe_json(data: bytes, today: dt.date | None = None) -> list[ParsedLine]:
    """Read Stripe balance transactions (a list object, or a bare list); every bad one is reported
    (one created after ``today``, the counters' today by default, too)."""
    return read_stripe_json(data, today)[0]


_FETCH_STRIPE = ("GET /v1/balance_transactions", "emitra reconcile import-stripe --from-stripe --week YYYY-MM-DD")
_STRIPE_AGAIN = ("Export the list of balance transactions from Stripe again, as it comes (a file that begins with {), "
                 "without opening it in an editor or a spreadsheet.",
                 "Stripe से बैलेंस लेन-देन की सूची फिर से वैसी ही निर्यात करें जैसी वह आती है ({ से आरंभ होने वाली फ़ाइल), "
                 "उसे किसी एडिटर या स्प्रेडशीट में खोले बिना।")
#: what Python's JSON reader says of a file it cannot read (json.JSONDecodeError.msg), in words and in Hindi
_JSON_PROBLEMS = (
    ("Expecting value", "a value is missing or is not JSON (text without double quotes, a single quote, a comma at the end of a list)",
     "कोई मान नहीं है या JSON नहीं है (दोहरे उद्धरण चिह्नों के बिना टेक्स्ट, एकल उद्धरण चिह्न, सूची के अंत में अल्पविराम)"),
    ("Expecting property name enclosed in double quotes", "a key is not in double quotes, or the file ends in the middle",
     "कोई कुंजी दोहरे उद्धरण चिह्नों में नहीं है, या फ़ाइल बीच में ही समाप्त हो जाती है"),
    ("Expecting ',' delimiter", "a comma is missing between two values, or the file ends in the middle",
     "दो मानों के बीच अल्पविराम नहीं है, या फ़ाइल बीच में ही समाप्त हो जाती है"),
    ("Expecting ':' delimiter", "a colon is missing after a key", "किसी कुंजी के बाद कोलन (:) नहीं है"),
    ("Unterminated string", "a text in double quotes is not closed", "दोहरे उद्धरण चिह्नों में कोई टेक्स्ट बंद नहीं हुआ"),
    ("Extra data", "something follows the end of the list", "सूची समाप्त होने के बाद भी कुछ लिखा है"),
    ("Invalid control character", "a text holds a control character (a line break inside double quotes)",
     "किसी टेक्स्ट में नियंत्रण अक्षर है (दोहरे उद्धरण चिह्नों के भीतर पंक्ति-विराम)"),
    ("Invalid \\escape", "a backslash (\\) starts no valid escape", "बैकस्लैश (\\) से कोई मान्य एस्केप आरंभ नहीं होता"),
)


def _json_problem(msg: str) -> tuple[str, str]:
    """What the JSON reader's message says, in words a Society's clerk reads, in English and Hindi."""
    for start, en, hi in _JSON_PROBLEMS:
        if msg.startswith(start):
            return en, hi
    return "it is not written as JSON", "यह JSON के रूप में नहीं लिखी है"


def _looks_csv(text: str) -> bool:
    """Text that is CSV, not JSON: one of its first lines (a bank statement's title may come first)
    holds a comma, a semicolon or a tab."""
    return any(sep in line for line in text.lstrip().splitlines()[:HEADER_SEARCH_LINES] for sep in ",;\t")


def _decode_stripe(data: bytes) -> str:
    """The Stripe file as text; an empty file, a PDF, a workbook or a file that is not UTF-8 refused
    as what it is, with what to import instead (not as a JSON syntax error at line 1)."""
    if len(data) > MAX_FILE_BYTES:
        return _decode(data)  # (refused for its size, whatever it is)
    start = data[:512].lstrip().lower()
    if not start.strip(b"\xef\xbb\xbf \t\r\n"):
        raise StatementError([LineError(1, "file", f"The file is empty. {_STRIPE_AGAIN[0]}", f"फ़ाइल खाली है। {_STRIPE_AGAIN[1]}")])
    for magic, what_en, what_hi in _NOT_CSV:
        if start.startswith(magic.lower()):
            if magic == b"PK\x03\x04":
                what_en, what_hi = next(((en, hi) for inside, en, hi in _ZIPPED if inside in data[:4096]), (what_en, what_hi))
            raise StatementError([LineError(0, "file", f"This file is {what_en}, not the JSON list of Stripe balance transactions. "
                                                       f"{_STRIPE_AGAIN[0]}",
                                            f"यह फ़ाइल {what_hi} है, Stripe बैलेंस लेन-देन की JSON सूची नहीं। {_STRIPE_AGAIN[1]}")])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise StatementError([LineError(line, "file", f"The file is not UTF-8 text, as Stripe's JSON always is. {_STRIPE_AGAIN[0]}",
                                        f"फ़ाइल UTF-8 टेक्स्ट नहीं है, जैसी Stripe की JSON सदा होती है। {_STRIPE_AGAIN[1]}")]) from None


def read_stripe_json(data: bytes, today: dt.date | None = None) -> tuple[list[ParsedLine], list[ReadNote]]:
    """:func:`parse_stripe_json`, and what the import says of the file: that it is one page of
    Stripe's list (``"has_more": true``). Another Stripe list (charges, payouts) or an error Stripe
    answered is refused as such, not transaction by transaction."""
    today = today or clock.today()
    text = _decode_stripe(data)
    first = text.lstrip()[:1]
    if first and first not in "{[" and _looks_csv(text):  # a CSV: a bank statement (its title lines too), or the Dashboard's export
        raise StatementError([LineError(1, "file",
            "This is a CSV file, not the JSON list of Stripe balance transactions: a bank statement is imported in the bank "
            "statement's form; Stripe's Dashboard export (CSV) is not read: import the list Stripe's API gives "
            "(GET /v1/balance_transactions), or let emitra fetch it (emitra reconcile import-stripe --from-stripe --week YYYY-MM-DD).",
            "यह CSV फ़ाइल है, Stripe बैलेंस लेन-देन की JSON सूची नहीं: बैंक विवरण बैंक विवरण वाले फ़ॉर्म में आयात होता है; Stripe "
            "डैशबोर्ड का निर्यात (CSV) नहीं पढ़ा जाता: Stripe API की दी सूची (GET /v1/balance_transactions) आयात करें, या emitra से "
            "मँगवाएँ (emitra reconcile import-stripe --from-stripe --week YYYY-MM-DD)।")])
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        en, hi = _json_problem(exc.msg)
        raise StatementError([LineError(exc.lineno, "file", f"The file is not JSON: {en} (line {exc.lineno}, column {exc.colno}). "
                                                            f"{_STRIPE_AGAIN[0]}",
                                        f"फ़ाइल JSON नहीं है: {hi} (पंक्ति {exc.lineno}, कॉलम {exc.colno})। {_STRIPE_AGAIN[1]}")]) from None
    except RecursionError:
        raise StatementError([LineError(0, "file", "The file is not valid JSON: it is nested hundreds of levels deep (Stripe's list is three).",
                                        "फ़ाइल मान्य JSON नहीं है: यह सैकड़ों स्तर गहराई तक नेस्टेड है (Stripe की सूची तीन स्तर की होती है)।")]) from None
    except ValueError:  # a number of thousands of digits, which Python will not read
        raise StatementError([LineError(0, "file", "The file is not valid JSON: a number in it has thousands of digits.",
                                        "फ़ाइल मान्य JSON नहीं है: इसमें एक संख्या हज़ारों अंकों की है।")]) from None
    if isinstance(doc, dict) and isinstance(doc.get("error"), dict):  # Stripe's answer to a request it refused, saved as the file
        said = shown(str(doc["error"].get("message") or doc["error"].get("type") or "")[:200])
        raise StatementError([LineError(0, "data", f"This file is an error Stripe answered ({said}), not the list of balance transactions: "
                                                   f"ask Stripe for the list again ({_FETCH_STRIPE[0]}), or let emitra fetch it ({_FETCH_STRIPE[1]}).",
                                        f"यह फ़ाइल Stripe का दिया त्रुटि-उत्तर है ({said}), बैलेंस लेन-देन की सूची नहीं: Stripe से सूची फिर से माँगें "
                                        f"({_FETCH_STRIPE[0]}), या emitra से मँगवाएँ ({_FETCH_STRIPE[1]})।")])
    items = doc.get("data") if isinstance(doc, dict) else doc
    if not isinstance(items, list):
        raise StatementError([LineError(0, "data", "Expected Stripe's list of balance transactions: an object with a \"data\" list, or a list.",
                                        "Stripe के बैलेंस लेन-देन की सूची अपेक्षित थी: \"data\" सूची वाला ऑब्जेक्ट, या सूची।")])
    if not items:
        raise StatementError([LineError(0, "data", "The file lists no balance transactions.", "फ़ाइल में कोई बैलेंस लेन-देन नहीं है।")])
    others = [item for item in items if isinstance(item, dict) and item.get("object") not in (None, "balance_transaction")]
    if others:  # another endpoint's list (GET /v1/charges, /v1/payouts): each of its items would be refused field by field
        kinds, first = ", ".join(sorted({shown(str(i["object"]))[:40] for i in others})), shown(str(others[0].get("id") or ""))[:100]
        raise StatementError([LineError(0, "data", f"This file lists Stripe {kinds} objects ({first}), not balance transactions: export the list "
                                                   f"of balance transactions ({_FETCH_STRIPE[0]}), or let emitra fetch it ({_FETCH_STRIPE[1]}).",
                                        f"यह फ़ाइल Stripe के {kinds} ऑब्जेक्ट ({first}) सूचीबद्ध करती है, बैलेंस लेन-देन नहीं: बैलेंस लेन-देन की सूची "
                                        f"निर्यात करें ({_FETCH_STRIPE[0]}), या emitra से मँगवाएँ ({_FETCH_STRIPE[1]})।")])

    first_line = _first_lines(text)

    def line_of(txn_id: Any) -> int:
        """The line of the file where the transaction's id is (one pass over the file, not one per id)."""
        if isinstance(txn_id, str) and txn_id:
            return first_line.get(json.dumps(txn_id), 0)
        return 0

    errors: list[LineError] = []
    lines: list[ParsedLine] = []
    seen: set[str] = set()
    zone = ZoneInfo(config.timezone())  # looked up once, not twice a transaction
    for n, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            errors.append(LineError(0, "transaction", "Not an object.", "ऑब्जेक्ट नहीं है।", item=n))
            continue
        line = line_of(item.get("id"))
        problems = len(errors)

        def bad(fld: str, en: str, hi: str) -> None:
            errors.append(LineError(line, fld, en, hi, item=n))

        txn_id = item.get("id")
        if not isinstance(txn_id, str) or not txn_id.strip() or len(txn_id) > REFERENCE_MAX:
            bad("id", "Missing or invalid id (Stripe's txn_... identifier).", "id अनुपस्थित या अमान्य है (Stripe का txn_... पहचानकर्ता)।")
        elif txn_id in seen:
            bad("id", f"The transaction {shown(txn_id)} appears twice in the file.", f"लेन-देन {shown(txn_id)} फ़ाइल में दो बार है।")
        else:
            seen.add(txn_id)
        amounts = len(errors)
        for name in ("amount", "fee", "net"):
            value = item.get(name)
            if not _is_int(value):
                bad(name, f"'{name}' must be a whole number of paise (Stripe's minor units), found {value!r}.",
                    f"'{name}' पैसे (Stripe की छोटी इकाई) में पूर्ण संख्या होनी चाहिए, मिला {value!r}।")
            elif abs(value) > MAX_PAISE:  # the bank statement's limit too (core.money.MAX_PAISE)
                bad(name, f"'{name}' ({value}) is more than the largest amount a line may carry, {MAX_PAISE} paise ({format_paise(MAX_PAISE)}).",
                    f"'{name}' ({value}) किसी पंक्ति की सबसे बड़ी संभव राशि {MAX_PAISE} पैसे ({format_paise(MAX_PAISE)}) से अधिक है।")
        if len(errors) == amounts and item["amount"] - item["fee"] != item["net"]:
            bad("net", f"net ({item['net']}) is not amount ({item['amount']}) minus fee ({item['fee']}).",
                f"net ({item['net']}) राशि ({item['amount']}) घटा शुल्क ({item['fee']}) के बराबर नहीं है।")
        if not isinstance(item.get("type"), str) or not item["type"]:
            bad("type", "Missing type (charge, refund, payout, stripe_fee, ...).", "type अनुपस्थित है (charge, refund, payout, stripe_fee, ...)।")
        created = item.get("created")
        when = _stripe_created(created, zone)
        if when is None:
            first, last = _date_range()
            hint_en, hint_hi = ("", "") if not _is_int(created) or _stripe_created(created // 1000, zone) is None else (
                " This looks like milliseconds: Stripe's times are in seconds.", " यह मिलीसेकंड लगता है: Stripe का समय सेकंड में होता है।")
            bad("created", f"'created' must be a Unix timestamp in seconds, a time from {first} to {last}, found {created!r}.{hint_en}",
                f"'created' सेकंड में Unix समय होना चाहिए, {first} से {last} के बीच का, मिला {created!r}।{hint_hi}")
        elif (day := local_date(when, zone)) > today:
            bad("created", *_after_today(f"{created} ({day:%d-%m-%Y})", today))
        source = item.get("source")
        if source is not None and not isinstance(source, str):
            bad("source", "'source' must be an id (text) or null.", "'source' एक id (टेक्स्ट) या null होना चाहिए।")
        for name in ("id", "source", "type", "description"):
            kind = unstorable(item[name]) if isinstance(item.get(name), str) else None
            if kind:
                bad(name, *_unstorable(kind))
        currency = item.get("currency")
        if currency is not None and str(currency).lower() != "inr":
            bad("currency", f"Only INR is reconciled here, found {currency!r}.", f"यहाँ केवल INR का मिलान होता है, मिला {currency!r}।")
        if len(errors) > problems:
            continue
        lines.append(ParsedLine(line or n, day, item["amount"], txn_id.strip(),
                                stripe_description(item["type"], source or "", item["fee"], item["net"], str(item.get("description") or "")),
                                stripe={"type": item["type"], "source": (source or "").strip(), "fee": item["fee"], "created": when}))
    if errors:
        raise StatementError(errors)
    notes = []
    if isinstance(doc, dict) and doc.get("has_more") is True:  # Stripe gives ten a page unless asked for more
        last = lines[-1].reference
        notes.append(ReadNote("", f'Stripe says the list has more ("has_more": true): this file is one page of it, up to {last}; import the '
                                  f"next page too ({_FETCH_STRIPE[0]}?starting_after={last}), or let emitra fetch the week ({_FETCH_STRIPE[1]}).",
                              f'Stripe के अनुसार सूची में और भी हैं ("has_more": true): यह फ़ाइल उसका एक पृष्ठ है, {last} तक; अगला पृष्ठ भी आयात करें '
                              f"({_FETCH_STRIPE[0]}?starting_after={last}), या emitra से पूरा सप्ताह मँगवाएँ ({_FETCH_STRIPE[1]})।"))
    return lines, notes


class _Earlier(NamedTuple):
    statement_id: int
    line_no: int
    balance_paise: int | None


async def _repeated_lines(district_id: int, lines: list[ParsedLine]) -> tuple[list[ParsedLine], dict[int, int]]:
    """The lines of a bank statement an earlier import of the district does not have, and how many
    of the others each earlier import had (import id -> lines left out).

    A line is the same bank line as an earlier one when both have the same value date, amount,
    reference and description **and the same running balance**: a bank's "statement to date"
    downloaded again repeats the lines it had, each with its balance; two transactions alike in all
    four cannot leave the account at the same balance (the second moves it). Each earlier line
    stands for one line of the new file. Without a balance on either side nothing can tell a
    repeated line from another transaction alike in all four (two ₹500 cash deposits on one day
    without a reference): such a line is refused, naming the earlier line, rather than imported
    twice or dropped (:class:`StatementError`); a file all of whose lines are earlier lines is
    refused as already imported (:class:`DuplicateStatement`)."""
    lo, hi = min(l.value_date for l in lines), max(l.value_date for l in lines)
    earlier: dict[tuple[dt.date, int, str, str], list[_Earlier]] = {}
    for row in await StatementLine.filter(statement__district_id=district_id, statement__source=BANK, value_date__gte=lo, value_date__lte=hi
                                          ).order_by("statement_id", "line_no").values_list(
            "statement_id", "line_no", "value_date", "amount_paise", "reference", "description", "balance_paise"):
        sid, line_no, day, amount, reference, description, balance = row
        earlier.setdefault((_as_date(day), int(amount), reference, description), []).append(_Earlier(sid, line_no, balance))
    if not earlier:
        return lines, {}
    new: list[ParsedLine] = []
    left_out: dict[int, int] = {}
    unclear: list[tuple[ParsedLine, _Earlier, bool]] = []
    for line in lines:
        candidates = earlier.get((line.value_date, line.amount_paise, line.reference, line.description))
        if not candidates and line.unjoined is not None:  # as an import before narrations were joined stored it
            candidates = earlier.get((line.value_date, line.amount_paise, *line.unjoined))
        unread = False
        if not candidates and line.reference:
            # as an import that did not read the reference column stored it ("Cheque No/Reference No" before
            # decision 178, or a download of the statement without that column): no reference
            unread = True
            candidates = (earlier.get((line.value_date, line.amount_paise, "", line.description))
                          or (earlier.get((line.value_date, line.amount_paise, "", line.unjoined[1])) if line.unjoined else None))
        if not candidates:
            new.append(line)
            continue
        same = next((c for c in candidates if c.balance_paise is not None and c.balance_paise == line.balance_paise), None)
        if same is not None:
            candidates.remove(same)
            left_out[same.statement_id] = left_out.get(same.statement_id, 0) + 1
            continue
        blind = next((c for c in candidates if c.balance_paise is None or line.balance_paise is None), None)
        if blind is not None:
            candidates.remove(blind)
            unclear.append((line, blind, unread))
            continue
        new.append(line)  # the same but for the balance: another transaction
    if not new:
        first = min([*left_out, *(c.statement_id for _, c in unclear)])
        raise DuplicateStatement(await StatementImport.get(id=first), how="lines")
    if unclear:
        named = {i.id: _import_named(i) for i in await StatementImport.filter(id__in={c.statement_id for _, c, _ in unclear})}
        raise StatementError([LineError(
            line.line_no, "line",
            (f"The same date, amount and description as line {c.line_no} of {named[c.statement_id][0]}, which was imported without a reference "
             f"(its import did not read the column of the reference {line.reference!r}), and no running balance to tell them apart. "
             if unread else
             f"The same date, amount, reference and description as line {c.line_no} of {named[c.statement_id][0]}, and no running balance "
             "to tell them apart. ") +
            f"If it is that bank line, remove it from the file (import only what import #{c.statement_id} does not have); "
            "if it is another transaction, import the statement with its balance column.",
            (f"वही तिथि, राशि और विवरण जो {named[c.statement_id][1]} की पंक्ति {c.line_no} में है, जो बिना संदर्भ के आयात हुई थी (उस आयात ने "
             f"संदर्भ {line.reference!r} का कॉलम नहीं पढ़ा था), और इन्हें अलग बताने के लिए कोई शेष (बैलेंस) नहीं। "
             if unread else
             f"वही तिथि, राशि, संदर्भ और विवरण जो {named[c.statement_id][1]} की पंक्ति {c.line_no} में है, और इन्हें अलग बताने के लिए कोई "
             "शेष (बैलेंस) नहीं। ") +
            f"यदि यह वही बैंक पंक्ति है तो इसे फ़ाइल से हटाएँ (केवल वही आयात करें जो आयात #{c.statement_id} में नहीं है); "
            "यदि यह दूसरा लेन-देन है तो विवरण को शेष (balance) कॉलम के साथ आयात करें।") for line, c, unread in unclear])
    return new, left_out


def _as_date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


async def _store(actor: audit.Actor, district_id: int, source: str, filename: str, data: bytes, lines: list[ParsedLine],
                 post: Callable[[int, list[ParsedLine], int], Awaitable[dict[str, Any]]] | None = None,
                 detail: dict[str, Any] | None = None, content: str | None = None) -> StatementImport:
    """Store an import and its lines, and run ``post`` (a Stripe file's payouts and fees: given the
    district, the lines and the import's id, it returns what goes into the audit record), in one
    transaction. The same file, or the same statement as another file, is refused; of a bank
    statement, the lines an earlier import has are left out (``imp.left_out``: import id -> lines).
    ``content`` is the lines' :func:`content_sha256` when the caller has it already."""
    sha, content = file_sha256(data), content or content_sha256(source, lines)
    existing = await StatementImport.get_or_none(district_id=district_id, sha256=sha)
    if existing is not None:
        raise DuplicateStatement(existing)
    existing = await StatementImport.get_or_none(district_id=district_id, content_sha256=content)
    if existing is not None:
        raise DuplicateStatement(existing, how="content")
    left_out: dict[int, int] = {}
    if source == BANK:
        lines, left_out = await _repeated_lines(district_id, lines)
    try:
        async with in_transaction():
            imp = await StatementImport.create(
                district_id=district_id, source=source, filename=(filename or "")[-200:], sha256=sha, content_sha256=content,
                period_start=min(l.value_date for l in lines), period_end=max(l.value_date for l in lines),
                lines=len(lines), imported_by=actor.name[:60])
            await insert_rows(  # raw: a week's lines as ORM objects took seconds to build
                connections.get("default"), "statement_line",
                ["statement_id", "line_no", "value_date", "amount_paise", "reference", "description", "balance_paise", "matched_kind", "matched_id"],
                [(imp.id, l.line_no, l.value_date, l.amount_paise, l.reference, l.description, l.balance_paise, "", "") for l in lines])
            posted = await post(district_id, lines, imp.id) if post else {}
            await audit.record(actor, "statement.imported", imp, district_id=district_id, detail={
                **posted, **(detail or {}),
                **({"left_out": {str(k): v for k, v in left_out.items()}} if left_out else {}),
                "source": source, "filename": imp.filename, "sha256": sha, "content_sha256": content, "lines": len(lines),
                "credits_paise": sum(l.amount_paise for l in lines if l.amount_paise > 0),
                "debits_paise": -sum(l.amount_paise for l in lines if l.amount_paise < 0),
                "period": [imp.period_start.isoformat(), imp.period_end.isoformat()]})
    except IntegrityError:  # imported at the same moment by someone else
        existing = await StatementImport.get_or_none(district_id=district_id, sha256=sha)
        if existing is not None:
            raise DuplicateStatement(existing) from None
        existing = await StatementImport.get_or_none(district_id=district_id, content_sha256=content)
        if existing is None:
            raise
        raise DuplicateStatement(existing, how="content") from None
    imp.left_out = left_out
    return imp


async def _check_account(district_id: int, line: int, printed: str) -> None:
    """Refuse a statement whose title names an account that is not the district Society's: another
    district's statement would stay in this district's weeks (until it is withdrawn: core/statement_withdraw.py), and a
    credit of the same amount within two days would match, and could confirm, one of its deposits."""
    society = await Society.get_or_none(district_id=district_id).select_related("district")
    if society is None or same_account(printed, society.bank_account) is not False:
        return
    ours, code = society.bank_account, society.district.code
    raise StatementError([LineError(
        line, "account",
        f"This statement is of account {printed}, not the Society's account {ours} (district {code}, the account its deposit slips "
        "name): each district imports the statement of its own Society's account; download that account's statement.",
        f"यह विवरण खाता {printed} का है, सोसायटी के खाते {ours} (ज़िला {code}, जो खाता जमा पर्चियों पर छपा है) का नहीं: हर ज़िला अपनी "
        "सोसायटी के खाते का ही विवरण आयात करता है; उसी खाते का विवरण डाउनलोड करें।")])


async def import_bank_statement(actor: audit.Actor, district_id: int, data: bytes, filename: str = "") -> StatementImport:
    """Import a bank statement (CSV, or text separated by tabs), whole or not at all (:class:`StatementError` lists every bad line);
    the lines an earlier import already has are left out (see :func:`_repeated_lines`)."""
    reading = read_bank_csv(data)
    if reading.account is not None:
        await _check_account(district_id, *reading.account)
    notes = [{"lines": n.lines, "note": n.message_en} for n in reading.notes]
    imp = await _store(actor, district_id, BANK, filename, data, reading.lines, detail={"read": notes} if notes else None)
    imp.notes = reading.notes
    return imp


async def import_stripe_transactions(actor: audit.Actor, district_id: int, data: bytes, filename: str = "") -> StatementImport:
    """Import Stripe balance transactions (JSON), whole or not at all. A transaction already
    imported from another file is an error: export a range that does not overlap."""
    lines, notes = read_stripe_json(data)
    existing = await StatementImport.get_or_none(district_id=district_id, sha256=file_sha256(data))
    if existing is not None:
        raise DuplicateStatement(existing)
    content = content_sha256(STRIPE, lines)
    existing = await StatementImport.get_or_none(district_id=district_id, content_sha256=content)
    if existing is not None:
        raise DuplicateStatement(existing, how="content")
    known: dict[str, int] = {}  # (raw SQL: the ORM took longer to write a file's list of ids than the database to answer it)
    for where, chunk in _in('l."reference"', [l.reference for l in lines], on_postgres(), "text"):
        known.update((r["reference"], r["statement_id"]) for r in await ledger.rows(
            'SELECT l."reference" AS reference, l."statement_id" AS statement_id FROM "statement_line" l '
            f'JOIN "statement_import" i ON i."id" = l."statement_id" WHERE i."district_id" = ? AND i."source" = ? AND {where}',
            [district_id, STRIPE, *chunk]))
    if known:
        raise StatementError([LineError(l.line_no, "id", f"Transaction {l.reference} was already imported (import #{known[l.reference]}).",
                                        f"लेन-देन {l.reference} पहले ही आयात हो चुका है (आयात #{known[l.reference]})।",
                                        item=i) for i, l in enumerate(lines, start=1) if l.reference in known])
    imp = await _store(actor, district_id, STRIPE, filename, data, lines, post=_post_stripe, content=content,
                       detail={"read": [{"lines": n.lines, "note": n.message_en} for n in notes]} if notes else None)
    imp.notes = notes
    return imp


def _stripe_key(kind: str, ident: str) -> str:
    key = f"{kind}:{ident}"
    return key if len(key) <= 100 else f"{kind}:sha256:{hashlib.sha256(ident.encode()).hexdigest()[:64]}"


def stripe_key_again(key: str, generation: int) -> str:
    """The key a Stripe payout's or fee's entry is posted under the ``generation``-th time
    (:func:`ledger.key_again`): ``key`` itself the first time; ``<key>#<n>`` after the entries
    posted before under it were reversed when the imports that posted them were withdrawn (decision
    98): a key once used is never posted again, and the transaction's payout or fee must be in the
    books again once a live import vouches for it."""
    return ledger.key_again(key, generation)


def stripe_postings(line: ParsedLine) -> list[tuple[str, str, list[ledger.Line]]]:
    """What a Stripe balance transaction moves that nothing else posts, as (key, memo, lines):

    * a ``payout`` (a negative amount: it leaves the Stripe balance for the Society's bank):
      ``payout:<po id>`` (the transaction id when there is no source), Dr society_bank / Cr escrow:card;
    * its fee, when above zero, and a separate fee debit (``stripe_fee``, ``tax_fee``):
      ``stripe_fee:<txn id>``, Dr processor_fees / Cr escrow:card.

    Charges, refunds and transfers are posted when they happen (the card webhook, a refund, the
    settlement), so they are not posted again here."""
    info = line.stripe or {}
    txn_type, source, txn_id = info.get("type", ""), info.get("source", ""), line.reference
    out: list[tuple[str, str, list[ledger.Line]]] = []
    if txn_type == "payout" and line.amount_paise:
        paise = abs(line.amount_paise)
        po = source or txn_id
        out.append((_stripe_key("payout", po), f"Stripe payout {po} ({txn_id}) to the Society's bank",
                    [ledger.debit("society_bank", paise), ledger.credit("escrow:card", paise)]))
    fee = max(int(info.get("fee") or 0), 0)
    if txn_type in STRIPE_FEES and line.amount_paise < 0:
        fee += -line.amount_paise
    if fee > 0:
        out.append((_stripe_key("stripe_fee", txn_id), f"Stripe fee {txn_id} ({txn_type}{' ' + source if source else ''})",
                    [ledger.debit("processor_fees", fee), ledger.credit("escrow:card", fee)]))
    return out


def stored_stripe_keys(reference: str, amount_paise: int, description: str) -> list[str]:
    """The keys :func:`stripe_postings` gives the Stripe transaction a statement line keeps (its
    type, source and fee are in the line's description, :func:`stripe_description`), each in its
    first generation: what an import of the line posted or found, read back from the line."""
    m = _STRIPE_DESC.match(description or "")
    if m is None:
        return []
    line = ParsedLine(0, dt.date.min, amount_paise, reference, description,
                      stripe={"type": m["type"], "source": "" if m["source"] == "-" else m["source"], "fee": int(m["fee"])})
    return [key for key, _, _ in stripe_postings(line)]


async def _live_keys(keys: list[str], pg: bool) -> tuple[dict[str, str], dict[str, int]]:
    """Each of ``keys`` (:func:`stripe_postings`' keys) as the key its entry is posted under now
    (:func:`stripe_key_again`: the first of the key's generations not reversed), and which of those
    the books hold already, each with the district whose books hold it. A batch of look-ups a
    generation: a reversed key is a withdrawn import's, a handful in a file."""
    live = {k: k for k in keys}
    pending = {k: 1 for k in dict.fromkeys(keys)}
    existing: dict[str, int] = {}
    while pending:
        names = {k: stripe_key_again(k, n) for k, n in pending.items()}
        wanted = [*names.values(), *(ledger.reversal_key(v) for v in names.values())]
        found: dict[str, int] = {}
        for where, chunk in _in('"idempotency_key"', wanted, pg, "text"):
            found.update((r["k"], int(r["d"])) for r in await ledger.rows(
                f'SELECT "idempotency_key" AS k, "district_id" AS d FROM "ledger_entry" WHERE {where}', chunk))
        later = {}
        for k, n in pending.items():
            live[k] = names[k]
            if names[k] in found and ledger.reversal_key(names[k]) in found:
                later[k] = n + 1  # posted, and reversed when the import that posted it was withdrawn
            elif names[k] in found:
                existing[names[k]] = found[names[k]]
        pending = later
    return live, existing


def _elsewhere_error(position: int, line: ParsedLine, district: District, txns: list[str], held_en: str, held_hi: str,
                     money_en: str, money_hi: str) -> LineError:
    """The refusal of a Stripe file some of whose transactions are another district's (decisions 106
    and 112): the first five transactions, where they are held (``held_*``, naming ``district``),
    why they cannot be this district's too, and what to do."""
    more_en = f" and {len(txns) - 5} more" if len(txns) > 5 else ""
    more_hi = f" और {len(txns) - 5} अन्य" if len(txns) > 5 else ""
    where_en, where_hi = f"district {district.code} ({district.name_en})", f"ज़िला {district.code} ({district.name_hi})"
    return LineError(
        line.line_no, "id",
        f"Transactions {', '.join(txns[:5])}{more_en} of this file are already {held_en.format(where=where_en)}. "
        f"A Stripe id is Stripe's alone, so {money_en} is the money of one district, and it cannot be this district's "
        f"too; nothing was imported. If the file is {where_en}'s, import it there (it may be imported already); if it should be "
        "this district's, check that it was downloaded from this district's own Stripe account.",
        f"इस फ़ाइल के लेन-देन {', '.join(txns[:5])}{more_hi} {held_hi.format(where=where_hi)}। Stripe की हर आईडी "
        f"अनोखी है, इसलिए {money_hi} एक ही ज़िले का पैसा है, वह इस ज़िले का भी नहीं हो सकता; कुछ आयात नहीं हुआ। यदि "
        f"फ़ाइल {where_hi} की है तो उसे वहीं आयात करें (हो सकता है वह पहले ही आयात हो चुकी हो); यदि यह इसी ज़िले की होनी चाहिए "
        "तो जाँचें कि वह इसी ज़िले के अपने Stripe खाते से डाउनलोड की गई थी।", item=position)


async def _booked_elsewhere(elsewhere: dict[int, list[tuple[int, ParsedLine, str]]]) -> list[LineError]:
    """The refusal of a Stripe file whose payouts or fees another district's books hold (decision
    106): per district, the first transactions named, the live imports of that district that vouch
    for them (or "by hand"), and what to do. ``elsewhere``: district id -> (position, line, key)."""
    names = {d.id: d for d in await District.filter(id__in=list(elsewhere))}
    errors = []
    for other, hits in sorted(elsewhere.items()):
        keys = list(dict.fromkeys(key for _, _, key in hits))[:500]
        vouching = sorted({int(r["i"]) for where, chunk in _in('e."idempotency_key"', keys, on_postgres(), "text") for r in await ledger.rows(
            'SELECT DISTINCT s."statement_id" AS i FROM "statement_entry" s JOIN "ledger_entry" e ON e."id" = s."entry_id" '
            f'JOIN "statement_import" i ON i."id" = s."statement_id" WHERE i."withdrawn_at" IS NULL AND i."district_id" = e."district_id" AND {where}',
            chunk)})
        numbers = ", ".join(f"#{i}" for i in vouching[:5])
        by_en = f"by its import {numbers}" if vouching else "booked there by hand"
        by_hi = f"उसके आयात {numbers} द्वारा" if vouching else "वहाँ हाथ से दर्ज"
        position, line, _ = hits[0]
        errors.append(_elsewhere_error(position, line, names[other], list(dict.fromkeys(line.reference for _, line, _ in hits)),
                                       "booked in the books of {where}, " + by_en, "{where} की बही में पहले से दर्ज हैं, " + by_hi,
                                       "a payout or a fee", "कोई भुगतान या शुल्क"))
    return errors


async def _imported_elsewhere(district_id: int, lines: list[ParsedLine]) -> dict[int, list[tuple[int, ParsedLine, int]]]:
    """The file's transactions that another district's live Stripe import holds as lines (decision
    112): district id -> (position, line, import id). A Stripe transaction id is Stripe's alone, so
    such a line is that district's money, whether or not it moves a payout or a fee (a charge
    without a fee posts nothing, and only this look-up tells it). By the lines' ``reference`` index."""
    position = {l.reference: (n, l) for n, l in enumerate(lines, start=1)}
    held: dict[int, list[tuple[int, ParsedLine, int]]] = {}
    for where, chunk in _in('l."reference"', list(position), on_postgres(), "text"):
        for r in await ledger.rows(
                'SELECT l."reference" AS reference, l."statement_id" AS statement_id, i."district_id" AS district_id FROM "statement_line" l '
                'JOIN "statement_import" i ON i."id" = l."statement_id" WHERE i."district_id" <> ? AND i."source" = ? '
                f'AND i."withdrawn_at" IS NULL AND {where}', [district_id, STRIPE, *chunk]):
            held.setdefault(int(r["district_id"]), []).append((*position[r["reference"]], int(r["statement_id"])))
    return held


async def _held_elsewhere(held: dict[int, list[tuple[int, ParsedLine, int]]]) -> list[LineError]:
    """The refusal of a Stripe file whose transactions another district's live imports hold
    (:func:`_imported_elsewhere`, decision 112), in decision 106's words: per district, the first
    transactions, that district's imports, and what to do."""
    names = {d.id: d for d in await District.filter(id__in=list(held))}
    errors = []
    for other, hits in sorted(held.items()):
        hits.sort(key=lambda h: h[0])
        numbers = ", ".join(f"#{i}" for i in sorted({i for _, _, i in hits})[:5])
        position, line, _ = hits[0]
        errors.append(_elsewhere_error(position, line, names[other], list(dict.fromkeys(line.reference for _, line, _ in hits)),
                                       "imported in {where}, by its import " + numbers,
                                       "{where} के आयात " + numbers + " में पहले से हैं",
                                       "a transaction", "कोई लेन-देन"))
    return errors


async def _post_stripe(district_id: int, lines: list[ParsedLine], statement_id: int) -> dict[str, Any]:
    """Post the payouts and fees of imported Stripe transactions (inside the import's transaction),
    each dated when Stripe created it (written so, not updated after), so that it falls in the week
    Stripe's balance shows it.
    The keys are idempotent: an entry already posted is left as it is, when it is this district's;
    one another district's books hold refuses the file (:func:`_booked_elsewhere`, decision 106:
    finding it would book nothing here, and vouch here for that district's money), and so does a
    transaction another district's live import holds as a line, whatever it moves (a charge
    without a fee: :func:`_imported_elsewhere`, decision 112). A key whose entry a
    withdrawn import's withdrawal reversed is posted again under its next generation
    (:func:`stripe_key_again`). Every entry the file vouches for gets its ``statement_entry`` row
    (posted by this import, or found in the books). In batches: a few statements for a file of
    thousands of transactions. Returns the audit record's ``posted`` (every key vouched for) and
    ``found`` (those the books held already)."""
    from emitra.core import auth  # (not at the top: the password hasher is not needed to reconcile)

    # one import or withdrawal at a time decides what is posted or reversed (decision 98): an
    # import must not find an entry a withdrawal is reversing at this moment
    await auth.serialise("stripe-postings")
    held = await _imported_elsewhere(district_id, lines)  # (after the lock: an import of the file elsewhere at this moment is seen)
    wanted: list[tuple[int, ParsedLine, str, str, list[ledger.Line]]] = []
    for n, line in enumerate(lines, start=1):
        for key, memo, entry_lines in stripe_postings(line):
            wanted.append((n, line, key, memo, entry_lines))
    posted, errors, pg = [], [], on_postgres()
    ids: dict[str, int] = {}
    own: set[str] = set()
    elsewhere: dict[int, list[tuple[int, ParsedLine, str]]] = {}  # another district's books hold these: district -> hits
    for start in range(0, len(wanted), 2000):
        live, existing = await _live_keys([key for _, _, key, _, _ in wanted[start:start + 2000]], pg)
        batch = [(n, line, live[key], memo, entry_lines) for n, line, key, memo, entry_lines in wanted[start:start + 2000]]
        for n, line, key, memo, entry_lines in batch:
            if existing.get(key, district_id) != district_id:  # another district's money (decision 106)
                elsewhere.setdefault(existing[key], []).append((n, line, key))
                continue
            if key in existing:  # posted already (a payout booked by hand): the same lines, or an error
                try:
                    ids[key] = (await ledger.post(district_id, key, memo, entry_lines)).id
                except ledger.LedgerError as exc:
                    errors.append(LineError(line.line_no, "id", f"The ledger already has {key} with other amounts ({exc}); nothing was imported.",
                                            f"बही में {key} पहले से अलग राशियों के साथ है; कुछ आयात नहीं हुआ।", item=n))
                    continue
            posted.append(key)
        fresh, seen, again = [], set(), []
        for _, line, key, memo, entry_lines in batch:
            if key in existing:
                continue
            (again if key in seen else fresh).append((line, key, memo, entry_lines))
            seen.add(key)
        made = await ledger.post_many([ledger.NewEntry(district_id, key, memo, entry_lines, created_at=(line.stripe or {}).get("created") or None)
                                       for line, key, memo, entry_lines in fresh], fresh=True)  # (looked up just above: none is posted)
        ids.update(made)
        own.update(made)
        for _, key, memo, entry_lines in again:  # the same key twice in the file: the same lines, or an error
            try:
                await ledger.post(district_id, key, memo, entry_lines)
            except ledger.LedgerError as exc:
                errors.append(LineError(0, "id", f"The file posts {key} twice with other amounts ({exc}); nothing was imported.",
                                        f"फ़ाइल {key} को दो बार अलग राशियों के साथ दर्ज करती है; कुछ आयात नहीं हुआ।"))
    if elsewhere or held:  # in the words of the books where they hold the money (decision 106), else of the imports (112)
        raise StatementError(await _booked_elsewhere(elsewhere) + await _held_elsewhere(
            {d: hits for d, hits in held.items() if d not in elsewhere}))
    if errors:
        raise StatementError(errors)
    vouched = {ids[key]: key in own for key in dict.fromkeys(posted)}
    await insert_rows(connections.get("default"), "statement_entry", ["statement_id", "entry_id", "posted"],
                      [(statement_id, entry_id, mine) for entry_id, mine in vouched.items()])
    return {"posted": posted, "found": sorted({key for key in posted if key not in own})}


def _stripe_api():
    try:
        return importlib.import_module("emitra.core.stripe_api")
    except ModuleNotFoundError:
        return None


#: the setting that lets emitra list Stripe's balance transactions itself (core/stripe_api.py)
STRIPE_KEY_SETTING = "EMITRA_STRIPE_API_KEY"


def stripe_listing_available() -> bool:
    """Whether ``--from-stripe`` (and the page's "Fetch from Stripe") can work here:
    core/stripe_api.py lists balance transactions and a Stripe key (:data:`STRIPE_KEY_SETTING`) is configured."""
    module = _stripe_api()
    return module is not None and callable(getattr(module, "balance_transactions", None)) and module.configured()


#: why Stripe did not list the transactions, by core/stripe_api.StripeFailure's kind, and what to do
_STRIPE_FAILED = {
    "unreachable": ("Stripe could not be reached ({detail}): nothing was imported. Check this server's internet connection and "
                    "fetch again in a few minutes, or import the JSON file exported from Stripe's dashboard.",
                    "Stripe से संपर्क नहीं हो सका ({detail}): कुछ भी आयात नहीं हुआ। इस सर्वर का इंटरनेट कनेक्शन जाँचें और कुछ मिनट बाद "
                    "फिर से मँगवाएँ, या Stripe के डैशबोर्ड से निर्यात की गई JSON फ़ाइल आयात करें।"),
    "auth": ("Stripe refused the key ({detail}): nothing was imported. Set " + STRIPE_KEY_SETTING + " to the Society's secret "
             "key (sk_live_... or sk_test_...) and restart emitra.",
             "Stripe ने key अस्वीकार की ({detail}): कुछ भी आयात नहीं हुआ। " + STRIPE_KEY_SETTING + " में Society की secret key "
             "(sk_live_... या sk_test_...) रखें और emitra फिर से चालू करें।"),
    "server": ("Stripe answered with an error ({detail}): nothing was imported. Fetch again in a few minutes.",
               "Stripe ने त्रुटि लौटाई ({detail}): कुछ भी आयात नहीं हुआ। कुछ मिनट बाद फिर से मँगवाएँ।"),
    "refused": ("Stripe refused to list the balance transactions ({detail}): nothing was imported.",
                "Stripe ने बैलेंस लेन-देन की सूची देने से मना किया ({detail}): कुछ भी आयात नहीं हुआ।"),
}


async def fetch_stripe_transactions(start: dt.date, end: dt.date) -> bytes:
    """Stripe's balance transactions created in [start, end] (local dates), as the JSON list file
    :func:`import_stripe_transactions` takes, through ``core/stripe_api.balance_transactions``;
    a :class:`StatementError` (field ``stripe``) saying why in English and Hindi when Stripe
    cannot be asked (no key) or did not answer."""
    module = _stripe_api()
    if not stripe_listing_available():
        raise StatementError([LineError(0, "stripe", f"This installation cannot list Stripe balance transactions: no Stripe key is set "
                                                     f"({STRIPE_KEY_SETTING}). Set it and restart emitra, or import a JSON file instead.",
                                        f"यह इंस्टॉलेशन Stripe के बैलेंस लेन-देन सूचीबद्ध नहीं कर सकता: Stripe key नहीं है "
                                        f"({STRIPE_KEY_SETTING})। उसे रखकर emitra फिर से चालू करें, या JSON फ़ाइल आयात करें।")])
    lo, hi = period_bounds(start, end)
    try:
        rows = await module.balance_transactions(module.settings(), created_gte=int(lo.timestamp()), created_lt=int(hi.timestamp()))
    except module.StripeConfigError as exc:
        raise StatementError([LineError(0, "stripe", f"A Stripe setting is wrong: {exc.setting}: {exc.message}. Correct it and restart emitra; nothing was imported.",
                                        f"Stripe की एक सेटिंग गलत है: {exc.setting}: {exc.message}। उसे ठीक करके emitra फिर से चालू करें; "
                                        f"कुछ भी आयात नहीं हुआ।")]) from None
    except module.StripeFailure as exc:
        en, hi_text = _STRIPE_FAILED.get(exc.kind, _STRIPE_FAILED["refused"])
        raise StatementError([LineError(0, "stripe", en.format(detail=exc.message), hi_text.format(detail=exc.message))]) from None
    items = [{k: v for k, v in dict(row).items() if not k.endswith("_paise")} for row in rows]
    return json.dumps({"object": "list", "data": items, "has_more": False}, sort_keys=True, indent=1, default=str).encode()


async def import_from_stripe(actor: audit.Actor, district_id: int, start: dt.date, end: dt.date) -> StatementImport:
    """Fetch the week's balance transactions from Stripe (:func:`fetch_stripe_transactions`) and
    import them as a file is (:func:`import_stripe_transactions`: the same checks for a repeat, the
    same audit record), under :func:`fetched_name`; the command line's ``--from-stripe`` and the
    page's "Fetch from Stripe". The file fetched is kept for the Society to download
    (:func:`keep_fetched`); ``imp.kept`` says whether it could be (the import stands either way)."""
    data = await fetch_stripe_transactions(start, end)
    if not json.loads(data)["data"]:
        raise StatementError([LineError(0, "stripe", f"Stripe lists no balance transactions created from {start:%d-%m-%Y} to {end:%d-%m-%Y}: "
                                                     "nothing to import for that week.",
                                        f"Stripe में {start:%d-%m-%Y} से {end:%d-%m-%Y} तक बना कोई बैलेंस लेन-देन नहीं है: "
                                        "उस सप्ताह का आयात करने को कुछ नहीं।")])
    imp = await import_stripe_transactions(actor, district_id, data, fetched_name(start, end))
    try:
        keep_fetched(district_id, imp.id, data)
        imp.kept = True
    except (OSError, config.SettingError):
        imp.kept = False
    return imp


def fetched_name(start: dt.date, end: dt.date) -> str:
    """The name an import fetched from Stripe is recorded under (the command line's and the page's)."""
    return f"stripe-{start}-{end}.json"


def _fetched_path(district_id: int, import_id: int) -> Path:
    return config.private_dir(config.data_dir() / "stripe-fetched" / str(int(district_id))) / f"{int(import_id)}.json"


def keep_fetched(district_id: int, import_id: int, data: bytes) -> None:
    """Keep the file fetched from Stripe for an import (``<data dir>/stripe-fetched/<district>/<import>.json``,
    readable by this account only), for the Society to download: :func:`fetched_file`."""
    path = _fetched_path(district_id, import_id)
    config.private_file(path)
    path.write_bytes(data)


def fetched_kept(imp: StatementImport) -> bool:
    """Whether a file fetched from Stripe is kept for ``imp`` (the page's list of imports links it):
    a look at the folder, not a read and hash of each file at every view of the page; the download
    (:func:`fetched_file`) checks the file is the one imported."""
    return imp.source == STRIPE and _fetched_path(imp.district_id, imp.id).is_file()


def fetched_file(imp: StatementImport) -> bytes | None:
    """The file fetched from Stripe for ``imp`` as imported (its SHA-256 the import's), else None:
    not fetched here, or the file kept is not the one imported. A withdrawn import's file stays downloadable."""
    if imp.source != STRIPE:
        return None
    try:
        data = _fetched_path(imp.district_id, imp.id).read_bytes()
    except OSError:
        return None
    return data if imp.withdrawn_at is not None or file_sha256(data) == imp.sha256 else None  # (a withdrawn import's hash is cleared)


# ---------------------------------------------------------------------------------------------
# Matching


def week_of(day: dt.date) -> tuple[dt.date, dt.date]:
    """The Monday–Sunday week that contains ``day``."""
    monday = day - dt.timedelta(days=day.weekday())
    return monday, monday + dt.timedelta(days=6)


def week_given(text: str) -> tuple[dt.date, dt.date]:
    """The Monday–Sunday week of a day typed as ``YYYY-MM-DD`` (the page's and the command line's
    ``week``); a ValueError when it is not a date, or not one of :data:`FIRST_DATE` to
    :data:`LAST_DATE` (a week near the calendar's ends cannot even be computed)."""
    day = dt.date.fromisoformat(text.strip())
    if not FIRST_DATE <= day <= LAST_DATE:
        raise ValueError(f"{day} is outside {FIRST_DATE} to {LAST_DATE}")
    return week_of(day)


def last_full_week(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The last complete Monday–Sunday week before today (Asia/Kolkata)."""
    monday, _ = week_of(today or clock.today())
    return week_of(monday - dt.timedelta(days=7))


def period_bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start 00:00, the day after end 00:00) in the counters' time zone."""
    tz = ZoneInfo(config.timezone())
    return dt.datetime.combine(start, dt.time(), tz), dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tz)


class Message(str):
    """A message of the report: English as the string itself (CLI, JSON, audit), Hindi in ``hi``;
    ``account``, the ledger account it is about, if one: the page names it in words in its
    language (web/reconcile.problem_texts), where the CLI keeps the text, the account's key first."""

    hi: str
    account: str

    def __new__(cls, en: str, hi: str, account: str = "") -> "Message":
        self = super().__new__(cls, en)
        self.hi, self.account = hi, account
        return self

    def __reduce__(self) -> tuple[Any, ...]:  # pickled whole (a worker's report: core/reconcile_worker.py)
        return Message, (self.en, self.hi, self.account)

    @property
    def en(self) -> str:
        return str.__str__(self)


@dataclass(slots=True)
class Item:
    """One side of a match: a statement line (bank or Stripe) or what the ledger expects."""

    source: str  # bank, stripe or ledger
    kind: str
    key: str  # stable id: line:<id>, entry:<id>, slip:<slip no>, fees:<source>
    date: dt.date
    amount_paise: int
    reference: str = ""
    description: str = ""
    refs: tuple[str, ...] = ()  # identifiers a counterpart may quote (slip, receipt, cheque, payout id...)
    alt_amounts: tuple[int, ...] = ()  # amounts that also count as equal (a Stripe charge's net)
    line_no: int | None = None
    line_id: int | None = None
    statement_id: int | None = None
    day_end_id: int | None = None
    status: str = ""  # for a day-end deposit: closed, flagged or confirmed
    in_period: bool = True
    members: tuple[int, ...] = ()  # statement lines folded into this item (Stripe fees)
    scope: str = ""  # which statement it is compared with: bank or stripe

    @property
    def text(self) -> str:
        return f"{self.reference} {self.description}".lower()

    def as_dict(self) -> dict[str, Any]:
        return {"source": self.source, "kind": self.kind, "key": self.key, "date": self.date.isoformat(),
                "amount_paise": self.amount_paise, "reference": self.reference, "description": self.description,
                "line_no": self.line_no, "statement_id": self.statement_id, "status": self.status, "scope": self.scope}


@dataclass(slots=True)
class Pair:
    scope: str  # bank or stripe: which statement
    kind: str
    statement: Item
    ledger: Item
    how: str  # reference, amount_date or total

    @property
    def difference_paise(self) -> int:
        return self.statement.amount_paise - self.ledger.amount_paise

    def as_dict(self) -> dict[str, Any]:
        return {"scope": self.scope, "kind": self.kind, "how": self.how, "difference_paise": self.difference_paise,
                "statement": self.statement.as_dict(), "ledger": self.ledger.as_dict()}


@dataclass
class AccountRoll:
    account: str
    opening_paise: int
    in_paise: int  # debits in the period
    out_paise: int  # credits in the period, as a positive number
    closing_paise: int  # computed on its own from the postings up to the end of the period

    @property
    def ok(self) -> bool:
        return self.opening_paise + self.in_paise - self.out_paise == self.closing_paise

    def as_dict(self) -> dict[str, Any]:
        return {"account": self.account, "opening_paise": self.opening_paise, "in_paise": self.in_paise,
                "out_paise": self.out_paise, "closing_paise": self.closing_paise, "ok": self.ok}


@dataclass
class Report:
    district_id: int
    district_code: str
    period_start: dt.date
    period_end: dt.date
    matched: list[Pair] = field(default_factory=list)
    differing: list[Pair] = field(default_factory=list)
    unmatched_statement: list[Item] = field(default_factory=list)
    unmatched_ledger: list[Item] = field(default_factory=list)
    accounts: list[AccountRoll] = field(default_factory=list)
    counts: dict[str, dict[str, int]] = field(default_factory=dict)  # scope -> statement/ledger items considered
    problems: list[Message] = field(default_factory=list)  # the report fails if there is one
    confirmed: list[str] = field(default_factory=list)  # slips confirmed by this run
    notes: list[Message] = field(default_factory=list)
    recorded: bool = False
    n_matched: int = 0  # every matched pair; ``matched`` keeps the first KEEP_MATCHED to show
    deposits: list[Pair] = field(default_factory=list, repr=False)  # every day-end deposit matched exactly
    opening_from: dt.datetime | None = None  # the checkpoint the opening balances were carried from (None: the whole history)
    closing: dict[str, Any] | None = field(default=None, repr=False)  # for the recording run's checkpoint
    through_entry_id: int = 0  # the district's last ledger entry when it was computed (core/reconcile_saved.py)
    # the totals of the findings where the lists hold only the first of them (a saved report: core/reconcile_saved.py)
    n_differing: int = 0
    n_unmatched_statement: int = 0
    n_unmatched_ledger: int = 0

    @property
    def matched_count(self) -> int:
        return max(self.n_matched, len(self.matched))

    @property
    def differing_count(self) -> int:
        return max(self.n_differing, len(self.differing))

    @property
    def unmatched_statement_count(self) -> int:
        return max(self.n_unmatched_statement, len(self.unmatched_statement))

    @property
    def unmatched_ledger_count(self) -> int:
        return max(self.n_unmatched_ledger, len(self.unmatched_ledger))

    @property
    def rolls_forward(self) -> bool:
        return all(a.ok for a in self.accounts)

    @property
    def ok(self) -> bool:
        """The report is sound: nothing dropped, every account rolls forward. (Unmatched items are
        findings to act on, not a failure of the report.)"""
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {
            "district": self.district_code, "period_start": self.period_start.isoformat(), "period_end": self.period_end.isoformat(),
            "ok": self.ok, "rolls_forward": self.rolls_forward, "problems": [str(p) for p in self.problems], "counts": self.counts,
            "matched_count": self.matched_count, "matched": [p.as_dict() for p in self.matched], "differing": [p.as_dict() for p in self.differing],
            "unmatched_statement": [i.as_dict() for i in self.unmatched_statement],
            "unmatched_ledger": [i.as_dict() for i in self.unmatched_ledger],
            "accounts": [a.as_dict() for a in self.accounts], "opening_from": self.opening_from.isoformat() if self.opening_from else None,
            "confirmed": self.confirmed, "notes": [str(n) for n in self.notes],
            "recorded": self.recorded,
        }

    def _heading(self) -> list[Any]:
        return ["district", self.district_code, "period", self.period_start.isoformat(), self.period_end.isoformat(),
                "ok" if self.ok else "FAILED"]

    def _finding_rows(self, memo: Memo | None = None) -> Iterable[list[Any]]:
        """The rows after the matched pairs: the differing pairs, then each side's unmatched items
        (the ledger's memos through ``memo``: :func:`_described`)."""
        for p in self.differing:
            yield _pair_row("differing", p.scope, p.kind, p.how, p.statement, p.ledger, memo)
        for i in self.unmatched_statement:
            yield _pair_row("unmatched_statement", i.source, i.kind, "", i, None, memo)
        for i in self.unmatched_ledger:
            yield _pair_row("unmatched_ledger", i.scope, i.kind, "", None, i, memo)

    def _roll_rows(self, names: dict[str, str] | None = None) -> Iterable[list[Any]]:
        """The roll-forward table, an account a row: its name in the ledger, and in words when
        ``names`` has it (the page's language: web/reconcile.account_names), in the last column."""
        for a in self.accounts:
            yield [a.account, _csv_rupees(a.opening_paise), _csv_rupees(a.in_paise), _csv_rupees(a.out_paise),
                   _csv_rupees(a.closing_paise), "yes" if a.ok else "NO", (names or {}).get(a.account, "")]

    def _problem_rows(self) -> Iterable[list[Any]]:
        for problem in self.problems:
            yield ["problem", str(problem)]

    def csv_text(self, matched_rows: str | None = None, headers: dict[str, str] | None = None,
                 names: dict[str, str] | None = None, memo: Memo | None = None) -> str:
        """The report as CSV: one row per item or pair, then the roll-forward table. The matched
        pairs are those the report kept, or ``matched_rows`` (every one: :func:`export_csv`).
        ``headers``: each column's heading by its code (the page's words), else the code;
        ``names``: each account in words (the roll-forward's last column); ``memo``: the ledger's
        memos in the page's language (:data:`Memo`), else as stored."""
        out = io.StringIO()
        w = spreadsheet.writer(out, lineterminator="\n")
        w.writerow(self._heading())
        w.writerow(_headed(REPORT_COLUMNS, headers))
        if matched_rows is None:
            for p in self.matched:
                w.writerow(_pair_row("matched", p.scope, p.kind, p.how, p.statement, p.ledger, memo))
        else:
            out.write(matched_rows)
        w.writerows(self._finding_rows(memo))
        w.writerow([])
        w.writerow(_headed(ROLL_COLUMNS, headers))
        w.writerows(self._roll_rows(names))
        w.writerows(self._problem_rows())
        return out.getvalue()


#: the columns of a reconciliation report's export (CSV and workbook), a row per pair or item
REPORT_COLUMNS = ("bucket", "scope", "kind", "how", "statement_date", "statement_line", "statement_reference",
                  "statement_description", "statement_amount", "ledger_key", "ledger_date", "ledger_reference",
                  "ledger_description", "ledger_amount", "difference")
#: the roll-forward's columns; the account in words last (after decision 120), so that every column before keeps its place
ROLL_COLUMNS = ("account", "opening", "in", "out", "closing", "rolls_forward", "account_name")
#: the export's columns of text from outside (UTRs, card and slip numbers, narrations): text cells in the workbook,
#: never numbers, so a spreadsheet keeps every digit of a 12-digit UTR or a 16-digit reference (decision 67)
TEXT_COLUMNS = ("statement_reference", "statement_description", "ledger_key", "ledger_reference", "ledger_description")
MONEY_COLUMNS = ("statement_amount", "ledger_amount", "difference", "opening", "in", "out", "closing")


#: a function giving each account of a report in words (web/reconcile.account_names): called once per export
AccountNames = Callable[[list[str]], Awaitable[dict[str, str]]]


def _headed(columns: tuple[str, ...], headers: dict[str, str] | None) -> list[str]:
    """The headings of ``columns``: the words ``headers`` gives each (the page's language), else its code."""
    return [(headers or {}).get(c, c) for c in columns]


def _csv_rupees(paise: int | None) -> str:
    return "" if paise is None else format_paise(paise, symbol=False).replace(",", "")


#: a ledger memo in the export's language (web/i18n.memo: core/memos.hindi on a Hindi page, else the memo as stored)
Memo = Callable[[str], str]


def _described(item: Item, memo: Memo | None) -> str:
    """``item``'s description as the page shows it: a ledger item's memo, and the Stripe fees' total
    the reconciliation writes on the statement's side, through ``memo``; a narration as the bank or
    Stripe wrote it."""
    if memo is None or not item.description or (item.source != "ledger" and item.key != "fees:stripe"):
        return item.description
    return memo(item.description)


def _pair_row(bucket: str, scope: str, kind: str, how: str, s: Item | None, l: Item | None, memo: Memo | None = None) -> list[Any]:
    diff = s.amount_paise - l.amount_paise if s and l else None
    return [bucket, scope, kind, how,
            s.date.isoformat() if s else "", s.line_no if s and s.line_no else "", s.reference if s else "",
            _described(s, memo) if s else "", _csv_rupees(s.amount_paise) if s else "",
            l.key if l else "", l.date.isoformat() if l else "", l.reference if l else "",
            _described(l, memo) if l else "", _csv_rupees(l.amount_paise) if l else "", _csv_rupees(diff)]


async def export_csv(district_id: int, period_start: dt.date, period_end: dt.date, headers: dict[str, str] | None = None,
                     names: AccountNames | None = None, memo: Memo | None = None) -> tuple[Report, str]:
    """The report of a period and its CSV with every matched pair (the report itself keeps a few):
    the pairs are written as they are found, a row each. ``headers`` heads the columns in words
    (by code), ``names`` names the accounts of the roll-forward in words, ``memo`` gives the
    ledger's memos in the page's language (:meth:`Report.csv_text`)."""
    rows = io.StringIO()
    w = spreadsheet.writer(rows, lineterminator="\n")

    def on_pair(p: Pair) -> None:
        if _same_amount(p.statement, p.ledger):
            w.writerow(_pair_row("matched", p.scope, p.kind, p.how, p.statement, p.ledger, memo))

    report = await build_report(district_id, period_start, period_end, on_pair=on_pair, keep_matched=0)
    named = await names([a.account for a in report.accounts]) if names else None
    return report, report.csv_text(matched_rows=rows.getvalue(), headers=headers, names=named, memo=memo)


async def export_xlsx(district_id: int, period_start: dt.date, period_end: dt.date, headers: dict[str, str] | None = None,
                      names: AccountNames | None = None, memo: Memo | None = None) -> tuple[Report, bytes]:
    """The report of a period as an Excel workbook, for the Society's spreadsheet: the same rows as
    :func:`export_csv`, the items on sheet "Items" (every matched pair, written as found) and the
    heading, roll-forward and problems on sheet "Summary"; references and narrations are text cells
    (a 12-digit UTR keeps its digits however often the file is saved), amounts are numbers.
    ``headers``, ``names`` and ``memo`` as :func:`export_csv`'s."""
    book = spreadsheet.Book()
    summary = book.sheet("Summary")
    items = book.sheet("Items", REPORT_COLUMNS, text=TEXT_COLUMNS, money=MONEY_COLUMNS, names=_headed(REPORT_COLUMNS, headers))

    def on_pair(p: Pair) -> None:
        if _same_amount(p.statement, p.ledger):
            items.append(_pair_row("matched", p.scope, p.kind, p.how, p.statement, p.ledger, memo))

    report = await build_report(district_id, period_start, period_end, on_pair=on_pair, keep_matched=0)
    items.extend(report._finding_rows(memo))
    summary.append(report._heading())
    summary.append([])
    summary.heading(ROLL_COLUMNS, money=MONEY_COLUMNS, names=_headed(ROLL_COLUMNS, headers))
    summary.extend(report._roll_rows(await names([a.account for a in report.accounts]) if names else None))
    summary.heading(())
    summary.extend(report._problem_rows())
    return report, book.save()


_SLIP = re.compile(r"\bDS[A-Z]{2}\d{13}\b", re.IGNORECASE)  # a deposit slip number (core/dayend.make_slip_no)
_ID_IN_TEXT = re.compile(r"\b(?:ch|py|pi|po|re|txn|pyr|tr)_[A-Za-z0-9]+\b")


def _refs(*values: Any) -> tuple[str, ...]:
    """The references among ``values`` (strings of MIN_REF_LEN or more characters, stripped, in
    small letters), in order, each once."""
    out: dict[str, None] = {}  # (a loop: twice as fast as generators for the few values of a line or an entry)
    for v in values:
        if isinstance(v, str):
            v = v.strip().lower()
            if len(v) >= MIN_REF_LEN:
                out[v] = None
    return tuple(out)


def _in_text(ref: str, text: str) -> bool:
    """``ref`` occurs in ``text`` as a whole token (not inside a longer id or number)."""
    at = text.find(ref)
    while at >= 0:
        before = text[at - 1] if at else " "
        after = text[at + len(ref)] if at + len(ref) < len(text) else " "
        if not before.isalnum() and not after.isalnum():
            return True
        at = text.find(ref, at + 1)
    return False


_RUN = re.compile(r"[^\W_]+")  # a run of letters and digits (str.isalnum), as _in_text sees words
_MAY_BE_CUT = re.compile(r"\d \d")  # a quick look first: most lines have no digit on both sides of a space
#: a reference cut by a bank's wrapping is read whole again when its parts make at least this many
#: characters (a UTR has 12 digits; decision 74)
GLUED_MIN = 12
#: and it is read whole from at most this many parts: a reference cut twice (a 22-character RTGS
#: UTR in a narration column 10 to 20 characters wide) or three times (decision 102)
GLUED_PARTS = 4


def _words(text: str) -> set[str]:
    """The words a statement line quotes references by: its runs of letters and digits, and each
    run of two to GLUED_PARTS of them, each a single space from the next and cut between two
    digits, joined into one when together they have GLUED_MIN characters or more. A bank that
    wraps a narration at a fixed width may cut a UTR in the middle (``...-6123456`` /
    ``78901-BILL``), or twice when the column is narrower than the reference (``...-SBINR52026``
    / ``1201123456`` / ``78-RENT``); decision 67 joins the continued narration after a space, so
    the UTR reads as runs each quoting nothing; joined, the run is the UTR again.
    (Numbers that together happen to spell a ledger item's whole reference of 12 or more
    characters are not a risk worth refusing this for.)"""
    if not _MAY_BE_CUT.search(text):
        return set(_RUN.findall(text))
    words: set[str] = set()
    chain: list[str] = []  # the runs so far each cut from the one before it
    end = -2
    for r in _RUN.finditer(text):
        run = r.group()
        words.add(run)
        if chain and r.start() == end + 1 and text[end] == " " and chain[-1][-1].isdigit() and run[0].isdigit():
            chain.append(run)
            # every join ending with this run, of 2 to GLUED_PARTS parts, long enough
            size = len(run)
            for back in range(2, min(len(chain), GLUED_PARTS) + 1):
                size += len(chain[-back])
                if size >= GLUED_MIN:
                    words.add("".join(chain[-back:]))
        else:
            chain = [run]
        end = r.end()
    return words


def _key_run(ref: str) -> str | None:
    """The run of letters and digits that indexes ``ref``: its longest, the most selective (``ch``
    of ``ch_123...`` is in every card charge). Wherever ``ref`` occurs as a whole token, each of its
    runs occurs as a whole word. None when it has none."""
    if ref.isalnum():  # one run, itself (most references: a UTR, a slip number); [^\W_] is str.isalnum
        return ref
    runs = _RUN.findall(ref)
    return max(runs, key=len) if runs else None


class _RefIndex:
    """The ledger items' references, indexed so that finding the items a statement line quotes
    costs a look-up per word of the line, not a scan of every item."""

    def __init__(self, expected: list[Item], order: list[int]):
        self.texts = {j: " ".join(expected[j].refs) + " " + expected[j].text for j in order}
        self.exact: dict[str, list[int]] = {}
        self.by_run: dict[str, list[tuple[str, int]]] = {}
        self.odd: list[tuple[str, int]] = []  # references without a letter or digit
        self.words: dict[str, set[int]] = {}
        for j in order:
            for ref in expected[j].refs:
                self.exact.setdefault(ref, []).append(j)
                first = _key_run(ref)
                if first:
                    self.by_run.setdefault(first, []).append((ref, j))
                else:
                    self.odd.append((ref, j))
            for word in set(_RUN.findall(self.texts[j])):
                self.words.setdefault(word, set()).add(j)

    def hits(self, statement: Item) -> set[int]:
        """Items that quote the same identifier as ``statement`` (:func:`_quoted`)."""
        return _quoted(statement, self.exact, self.by_run, self.odd,
                       lambda run: ((j, self.texts[j]) for j in (self.words.get(run, ()) if run else self.texts)))


def _quoted(statement: Item, exact: dict[str, list[int]], by_run: dict[str, list[tuple[str, int]]], odd: list[tuple[str, int]],
            containing: Callable[[str | None], Iterable[tuple[int, str]]], words: set[str] | None = None) -> set[int]:
    """The ledger items that quote the same identifier as ``statement``: a reference in common
    (``exact``), one of theirs as a whole word in the line (``by_run``: by the reference's key run;
    ``odd``: those without one; a word may be two runs the bank's wrapping cut apart, :func:`_words`), or the line's reference (6+ characters) in theirs (``containing``
    gives the items whose text has a word, with their text; every item for None). ``words``: the
    line's words, when the caller has them already."""
    text = statement.text
    found: set[int] = set()
    for ref in statement.refs:
        found.update(exact.get(ref, ()))
    for word in (_words(text) if words is None else words):
        for ref, j in by_run.get(word, ()):
            # a reference that is the word itself is quoted (a run of the text, or two joined: _words)
            if j not in found and (ref == word or _in_text(ref, text)):
                found.add(j)
    for ref, j in odd:
        if j not in found and _in_text(ref, text):
            found.add(j)
    for ref in statement.refs:
        if len(ref) >= 6:
            for j, theirs in containing(_key_run(ref)):
                if j not in found and _in_text(ref, theirs):
                    found.add(j)
    return found


def _same_amount(statement: Item, ledger: Item) -> bool:
    return ledger.amount_paise == statement.amount_paise or ledger.amount_paise in statement.alt_amounts


def _same_way(statement: Item, ledger: Item) -> bool:
    """Not money moving the opposite way: a credit on the statement is never paired with a debit in
    the ledger (or the other way) on a reference alone, however alike their references (a UPI
    collection and the settlement that paid it out quote the same receipt)."""
    return statement.amount_paise * ledger.amount_paise >= 0


def match(statements: list[Item], expected: list[Item], scope: str,
          progress: Callable[[int], None] | None = None) -> tuple[list[Pair], list[Pair], list[Item], list[Item]]:
    """Pair statement items with ledger items: first by reference (equal amount: matched; else
    differing), then what is left by amount within ±DATE_TOLERANCE_DAYS. Returns matched,
    differing, unmatched statement items, unmatched ledger items (margin items left out)."""
    taken: set[int] = set()
    pairs: dict[int, Pair] = {}
    order = sorted(range(len(statements)), key=lambda i: (statements[i].date, statements[i].line_no or 0, statements[i].key))
    cand = sorted(range(len(expected)), key=lambda j: (expected[j].date, expected[j].key))
    index = _RefIndex(expected, cand)
    rank = {j: n for n, j in enumerate(cand)}
    for i in order:
        s = statements[i]
        hits = sorted((j for j in index.hits(s) if j not in taken and _same_way(s, expected[j])), key=rank.__getitem__)
        if hits:
            equal = [j for j in hits if _same_amount(s, expected[j])]
            pool = equal or hits
            j = min(pool, key=lambda j: (abs((expected[j].date - s.date).days), expected[j].date, expected[j].key))
            taken.add(j)
            pairs[i] = Pair(scope, expected[j].kind, s, expected[j], "reference")
        if progress:
            progress(1)
    by_amount: dict[int, list[int]] = {}
    for j in cand:
        if j not in taken:
            by_amount.setdefault(expected[j].amount_paise, []).append(j)
    for i in order:
        if i in pairs:
            continue
        s = statements[i]
        options = [j for a in (s.amount_paise, *s.alt_amounts) for j in by_amount.get(a, [])
                   if j not in taken and abs((expected[j].date - s.date).days) <= DATE_TOLERANCE_DAYS]
        if options:
            j = min(options, key=lambda j: (abs((expected[j].date - s.date).days), expected[j].date, expected[j].key))
            taken.add(j)
            pairs[i] = Pair(scope, expected[j].kind, s, expected[j], "amount_date")
    matched = [pairs[i] for i in order if i in pairs and _same_amount(pairs[i].statement, pairs[i].ledger)]
    differing = [pairs[i] for i in order if i in pairs and not _same_amount(pairs[i].statement, pairs[i].ledger)]
    lonely_statements = [statements[i] for i in order if i not in pairs]
    lonely_ledger = [expected[j] for j in cand if j not in taken and expected[j].in_period]
    return matched, differing, lonely_statements, lonely_ledger


# --- the ledger's side ----------------------------------------------------------------------


class _Entry(NamedTuple):
    """What matching reads of a ledger entry (a tuple, not an ORM object: a week holds tens of
    thousands), with what its postings move: the bank's accounts (BANK_ACCOUNTS) together,
    escrow:card, processor_fees, and which of the accounts it touches (core/entry_figures.py)."""

    id: int
    idempotency_key: str
    memo: str
    request_id: int | None
    created_at: dt.datetime
    bank: int = 0
    escrow: int = 0
    fee: int = 0
    accounts: frozenset[str] = frozenset()


_ACCOUNT_SETS: dict[int, frozenset[str]] = {}  # by the bits of entry_figures.TOUCHED an entry has (a few combinations)


def _accounts_of(bits: int) -> frozenset[str]:
    found = _ACCOUNT_SETS.get(bits)
    if found is None:
        found = _ACCOUNT_SETS[bits] = frozenset(name for name in entry_figures.TOUCHED if bits & entry_figures.BIT[name])
    return found


ENTRY_PAGE = 2000  # ledger items read back from a run's temporary table a query
LONELY_PAGE = 20000  # (n, day, key) of a run's ledger items read a query, looking for those no line took
ID_SPAN = 8000  # entry ids looked at a query when finding the window's entries that move an account
ID_GAP = 2000  # runs of the window's entry ids closer than this are looked at as one
ID_BLOCK = 2048  # the ids of a window's entries are found a block of this many ids at a time (_id_runs)
MAX_HOLED_BLOCKS = 64  # blocks with gaps among the window's ids beyond which _id_runs numbers them all


async def _id_runs(lo: dt.datetime, hi: dt.datetime, max_id: int, gap: int | None = None) -> list[tuple[int, int]]:
    """The ids of the entries created in [lo, hi) (ids up to ``max_id``) as runs of consecutive ids,
    runs closer than ``gap`` (ID_GAP unless given; 0: exact runs, every id of each the window's)
    merged: a week's entries are a few runs (the day's transactions, the day ends, the morning's
    settlement, the Stripe fees posted at import), however many entries of other days lie between
    them.

    Found from the created_at index alone, by blocks of ID_BLOCK ids: each block's least and
    greatest id of the window and how many it has. A block with every id between those is one run;
    the few others (where a run begins or ends among other days' entries) have their ids read by
    the primary key. A third of the time of numbering the window's ids in order (``id -
    ROW_NUMBER()``: a sort of the window's hundreds of thousands of ids), which it falls back to
    when more than MAX_HOLED_BLOCKS blocks have gaps (a window of entries made among many of other
    days')."""
    gap = ID_GAP if gap is None else gap
    blocks = await ledger.rows(
        f'SELECT "id" / {ID_BLOCK} AS b, MIN("id") AS lo, MAX("id") AS hi, COUNT(*) AS n FROM "ledger_entry" '
        'WHERE "created_at" >= ? AND "created_at" < ? AND "id" <= ? GROUP BY 1 ORDER BY 1', [lo, hi, max_id])
    exact: list[tuple[int, int]] = []
    if sum(1 for r in blocks if int(r["n"]) != int(r["hi"]) - int(r["lo"]) + 1) > MAX_HOLED_BLOCKS:
        exact = [(int(r["lo"]), int(r["hi"])) for r in await ledger.rows(
            'SELECT MIN(x."id") AS lo, MAX(x."id") AS hi FROM (SELECT "id", "id" - ROW_NUMBER() OVER (ORDER BY "id") AS g '
            'FROM "ledger_entry" WHERE "created_at" >= ? AND "created_at" < ? AND "id" <= ?) x GROUP BY x.g ORDER BY 1', [lo, hi, max_id])]
    else:
        for r in blocks:
            first, last = int(r["lo"]), int(r["hi"])
            if int(r["n"]) == last - first + 1:  # every id from first to last: one run
                spans = [(first, last)]
            else:
                spans = [(i, i) for i in (int(x["id"]) for x in await ledger.rows(
                    'SELECT "id" FROM "ledger_entry" WHERE "id" >= ? AND "id" <= ? AND "created_at" >= ? AND "created_at" < ? ORDER BY "id"',
                    [first, last, lo, hi]))]
            for a, b in spans:  # (in order of id: the blocks are, and each block's ids)
                if exact and exact[-1][1] == a - 1:
                    exact[-1] = (exact[-1][0], b)
                else:
                    exact.append((a, b))
    runs: list[tuple[int, int]] = []
    for first, last in exact:
        if runs and first - runs[-1][1] <= gap:
            runs[-1] = (runs[-1][0], last)
        else:
            runs.append((first, last))
    return runs


async def _entries_touching(district_id: int, accounts: list[str], lo: dt.datetime, hi: dt.datetime, max_id: int,
                            own: Any = None, refs: bool = False) -> AsyncIterator[tuple[list[_Entry], dict[int, list[str]]]]:
    """The entries of [lo, hi) (ids up to ``max_id``) moving one of ``accounts`` (of
    entry_figures.TOUCHED), each with what its postings move (:class:`_Entry`), those that move
    money to or from the bank or escrow:card, or touch escrow:card, only; a page of at most ID_SPAN
    entry ids at a time: what is held is a page, whatever the size of the week.

    The window's entries are found as runs of ids (:func:`_id_runs`), and within each run read by
    id with the figures written on each (core/entry_figures.py, decision 164), each then checked
    for its date: never a look at the window's postings, nor at an account's whole history
    (decision 38). An entry without stored figures (written before migration 0040) has its
    postings added up by the database instead. ``own``: the connection outside any transaction
    (:func:`core.db.beside`), to read on a connection of its own a span ahead. Each page comes
    with its entries' payments' references (:func:`_payment_refs`) when ``refs`` is true, read on
    the same connection (on a connection of its own, they are read ahead too), else with none."""
    pg = on_postgres()
    reading = sum(entry_figures.BIT[a] for a in set(accounts))
    card_bit = entry_figures.BIT[entry_figures.CARD]
    columns = 'e."id" AS id, e."idempotency_key" AS k, e."memo" AS memo, e."request_id" AS request_id, e."created_at" AS at, '
    # (by id alone, each entry's date checked here: with the dates in the question, PostgreSQL's generic
    # plan, a prepared statement asked again, read the window's created_at index for every span)
    stored = (f'SELECT {columns}e."bank_paise" AS bank, e."card_paise" AS escrow, e."fee_paise" AS fee, e."touches" AS bits '
              'FROM "ledger_entry" e WHERE e."id" >= ? AND e."id" <= ? AND e."district_id" = ? AND (e."touches" IS NULL OR '
              f'((e."touches" & {reading}) <> 0 AND (e."bank_paise" <> 0 OR e."card_paise" <> 0 OR (e."touches" & {card_bit}) <> 0))) '
              'ORDER BY e."id"')
    f = entry_figures.sql()
    summed = (f'SELECT {columns}{f["bank_paise"]} AS bank, {f["card_paise"]} AS escrow, {f["fee_paise"]} AS fee, {f["touches"]} AS bits '
              f'FROM "ledger_entry" e JOIN "posting" p ON p."entry_id" = e."id" WHERE {{where_id}} AND {entry_figures.touching()} '
              'GROUP BY e."id", e."idempotency_key", e."memo", e."request_id", e."created_at" '
              f'HAVING (({f["touches"]}) & {reading}) <> 0 AND ({f["bank_paise"]} <> 0 OR {f["card_paise"]} <> 0 '
              f'OR (({f["touches"]}) & {card_bit}) <> 0) ORDER BY e."id"')

    utc, parse, accounts_of = dt.timezone.utc, dt.datetime.fromisoformat, _ACCOUNT_SETS.get

    def entries_of(rows: list[Any], out: list[_Entry]) -> list[int]:
        """The window's entries among ``rows`` added to ``out``; the ids of those without their figures.
        (A loop of its own, written out: a week's hundred thousand entries; the columns by place,
        as ``columns`` and the queries' figures give them.)"""
        unknown = []
        for r in rows:
            id_, bits, at_ = r[0], r[8], r[4]
            if bits is None:  # written before their figures were kept: added up by the database
                unknown.append(id_)
                continue
            if not isinstance(at_, dt.datetime):  # (SQLite gives UTC text)
                at_ = parse(at_)
            if at_.tzinfo is None:
                at_ = at_.replace(tzinfo=utc)
            if id_ > max_id or not lo <= at_ < hi:
                continue
            bits = int(bits)
            out.append(_Entry(id_, r[1], r[2], r[3], at_, int(r[5]), int(r[6]), int(r[7]), accounts_of(bits) or _accounts_of(bits)))
        return unknown

    async def span(at: int, until: int) -> list[tuple[list[_Entry], dict[int, list[str]]]]:
        entries: list[_Entry] = []
        unknown = entries_of(await ledger.rows(stored, [at, until, district_id], raw=True), entries)
        if unknown:
            for where_id, chunk in _in('e."id"', unknown, pg):
                entries_of(await ledger.rows(summed.format(where_id=where_id), chunk, raw=True), entries)
            entries.sort(key=lambda e: e.id)
        if not entries:
            return []
        return [(entries, await _payment_refs(e.request_id for e in entries) if refs else {})]

    async def spans() -> AsyncIterator[list[tuple[list[_Entry], dict[int, list[str]]]]]:
        for first, last in await _id_runs(lo, hi, max_id):
            for at in range(first, last + 1, ID_SPAN):
                yield await span(at, min(at + ID_SPAN - 1, last))

    if own is None:
        async for pages in spans():
            for page in pages:
                yield page
        return
    # read on a connection of its own (:func:`core.db.beside`), a span ahead of the caller: its
    # server process answers while the caller builds and stores the items on the transaction's
    # connection (build_report asks for this on PostgreSQL only: decision 80)
    queue: asyncio.Queue[Any] = asyncio.Queue(maxsize=1)
    done = object()

    async def produce() -> None:
        try:
            async with beside(own):
                async for pages in spans():
                    await queue.put(pages)
        except Exception as exc:  # handed to the caller, raised there
            await queue.put(exc)
            return
        await queue.put(done)

    producer = asyncio.ensure_future(produce())
    try:
        while (pages := await queue.get()) is not done:
            if isinstance(pages, Exception):
                raise pages
            for page in pages:
                yield page
    finally:  # closed early (the caller's error): the reader is stopped and its connection closed
        if not producer.done():
            producer.cancel()
            with contextlib.suppress(BaseException):
                await producer


_DETAILS = 'y."details"'  # the payment's details in _payment_refs' query


async def _payment_refs(request_ids: Iterable[int]) -> dict[int, list[str]]:
    """The references a request's payments carry (the payment's own, the receipt number, and the
    instrument's in its details: each of PAYMENT_REF_FIELDS that is a string), by request id; raw
    rows, padded IN lists (a page of entries at a time, one statement text). The details' fields
    are read by the database's JSON functions (half the time of parsing each payment's details
    in Python), only where they hold a string."""
    out: dict[int, list[str]] = {}
    pg = on_postgres()
    fields = ", ".join(f"{json_text(_DETAILS, name)} AS f{i}" for i, name in enumerate(PAYMENT_REF_FIELDS))
    names = [f"f{i}" for i in range(len(PAYMENT_REF_FIELDS))]
    for where, chunk in _in('y."request_id"', sorted({r for r in request_ids if r}), pg):
        for r in await ledger.rows(
                f'SELECT y."request_id" AS request_id, y."reference" AS reference, s."receipt_no" AS receipt, {fields} '
                f'FROM "payment" y JOIN "service_request" s ON s."id" = y."request_id" WHERE {where} '
                'ORDER BY y."id"', chunk, raw=True):
            refs = out.setdefault(r["request_id"], [])
            refs += [r["reference"] or "", r["receipt"] or ""]
            for name in names:
                value = r[name]
                if value is not None and len(value) >= 6 and " " not in value.strip():
                    refs.append(value)
    return out


def _deposit_status(day_end: DayEnd) -> str:
    """confirmed, or in_transit (closed, not yet seen in the bank); flagged when the count or the
    bank's amount differed."""
    if day_end.confirmed_at is not None:
        return "confirmed_flagged" if day_end.status == "flagged" else "confirmed"
    return "in_transit_flagged" if day_end.status == "flagged" else "in_transit"


#: a bank entry's kind by what its key begins with (``settle:<reference>`` -> settlement)
_BANK_KIND_OF_KEY = {"settle": "settlement", "remit": "remittance", "cleared": "cheque", "claimpaid": "fee_claim",
                     "topup": "wallet_topup", "walletrefund": "wallet_refund",
                     "upirefund": "upi_refund",  # a cancelled UPI booking's refund sent to the citizen (decision 71)
                     "upirefund-return": "upi_refund_return",  # and the citizen's bank sending it back (decision 75)
                     "deposit": "deposit",
                     # a statement line booked as the bank's charges or interest (core/bank_lines.py, decision 156)
                     "bankcharges": "bank_charges", "bankinterest": "bank_interest"}


def _bank_kind(key: str, accounts: frozenset[str]) -> str:
    """What a bank entry is to the statement: by its key's kind (one look-up: a week holds tens of
    thousands of entries), else by the accounts it moves."""
    kind, colon, _ = key.removeprefix("reverse:").partition(":")
    if colon and kind in _BANK_KIND_OF_KEY:
        return _BANK_KIND_OF_KEY[kind]
    if "escrow:upi" in accounts and "escrow:card" not in accounts and len(accounts) == 1:
        return "upi"  # a UPI collection (its postings to the bank accounts alone are read): the most of a week
    if any(a.startswith("deposit_in_transit:") for a in accounts):
        return "deposit"
    if "escrow:card" in accounts:
        return "card_payout"
    if "escrow:upi" in accounts:
        return "upi"
    return "other"


def _card_kind(key: str, accounts: frozenset[str], escrow_amount: int) -> str:
    base = key.removeprefix("reverse:")
    if "society_bank" in accounts or base.startswith("payout:"):
        return "card_payout"
    if base.startswith(("settle:", "card_transfer:")):
        return "settlement"  # the LSP's share paid out of escrow (a Stripe transfer)
    if base.startswith("refund:"):
        return "card_refund"
    if escrow_amount > 0:
        return "card_charge"
    if "processor_fees" in accounts:
        return "card_fee"
    return "card_refund"


def _key_refs(entry: _Entry) -> list[str]:
    """What follows the entry key's kind (``deposit:<slip>`` -> the slip), the key's last part
    (``topup:<counter>:<bank ref>`` -> the bank ref), and any Stripe id its memo names."""
    key = entry.idempotency_key.removeprefix("reverse:")
    suffix = key.split(":", 1)[1] if ":" in key else key
    if key.startswith(("bankcharges:", "bankinterest:")):  # the bank line it books: its reference, quoted in the memo (decision 156)
        return [suffix, *_BOOKED_REF.findall(entry.memo or "")]
    return [suffix, key.rsplit(":", 1)[-1], *_ID_IN_TEXT.findall(entry.memo or "")]


#: the reference of the bank line an entry of core/bank_lines.py books, as its memo quotes it
_BOOKED_REF = re.compile(r"ref «([^«»]+)»")


async def _expected(district_id: int, start: dt.date, end: dt.date, lo: dt.datetime, hi: dt.datetime, max_id: int,
                    fees: list[int], own: Any = None, scopes: tuple[str, ...] = (BANK, STRIPE)
                    ) -> AsyncIterator[tuple[list[Item], list[Item]]]:
    """What the ledger expects on the statements in the period (and DATE_TOLERANCE_DAYS around it),
    a page at a time, read in one pass over the window's entries for both statements: (bank items,
    Stripe items).

    The bank: the entries moving society_bank or escrow:upi, each day-end deposit by its slip, and
    the deposits still in transit. Stripe: the escrow:card movements; the processor fees posted
    with them in the period are added up in ``fees[0]`` (compared in total with Stripe's).
    ``own``: read the entries on a connection of their own (:func:`_entries_touching`). ``scopes``:
    the sides wanted (the other's list stays empty, and its entries are not read for it): a side
    run in a process of its own reads its own (:func:`_side_alone`)."""
    margin = dt.timedelta(days=DATE_TOLERANCE_DAYS)
    want_bank, want_card = BANK in scopes, STRIPE in scopes
    dates = _LocalDates(ZoneInfo(config.timezone()))
    # the day ends still in transit (a district's counters times the days since: not the transactions)
    # (a day end with nothing to deposit is never confirmed, and is not in transit: not read)
    by_slip = {d.slip_no.upper(): d for d in await DayEnd.filter(district_id=district_id, business_date__lte=end + margin, confirmed_at=None,
                                                                 deposit_paise__gt=0)
               .select_related("counter").order_by("business_date", "id")} if want_bank else {}
    linked: set[int] = set()
    reading = [*(BANK_ACCOUNTS if want_bank else ()), *(("escrow:card",) if want_card else ())]
    # (each page with its payments' references: on PostgreSQL read ahead by the entries' own connection, 3 s of a 1M month)
    touching = _entries_touching(district_id, reading, lo - margin, hi + margin, max_id, own, refs=True)
    async with aclosing(touching):  # closed at once if this stops early: it reads ahead
        # the entries that reach the bank or move escrow:card (the others, a move between
        # society_bank and escrow:upi or a day end's deposit in transit alone, give no item)
        async for moving, payment_refs in touching:
            # the confirmed day ends whose slip a bank entry of this page names (its confirmation): one
            # search of the page's texts
            slips = {m.upper() for m in _SLIP.findall("\n".join(f"{e.idempotency_key} {e.memo}" for e in moving))} - by_slip.keys() \
                if want_bank else set()
            if slips:
                for d in await DayEnd.filter(district_id=district_id, business_date__lte=end + margin, slip_no__in=sorted(slips)
                                             ).select_related("counter"):
                    by_slip[d.slip_no.upper()] = d
            cancelled = await _cancelled_pairs(moving, max_id)
            bank: list[Item] = []
            card: list[Item] = []
            for entry in moving:
                if entry.id in cancelled:  # a payout or a bank line's booking reversed, and its reversal: neither statement shows them
                    continue
                accounts = entry.accounts
                created = dates.of(entry.created_at)
                refs = _key_refs(entry) + payment_refs.get(entry.request_id or 0, [])
                if entry.bank and want_bank:  # else nothing reached or left the bank (a move between society_bank and escrow:upi, or none)
                    bank.append(_bank_expected_item(entry, accounts, entry.bank, created, refs, by_slip, linked, start, end))
                if want_card and "escrow:card" in accounts:
                    fee, escrow = entry.fee, entry.escrow
                    if fee and start <= created <= end:
                        fees[0] += fee
                    kind = _card_kind(entry.idempotency_key, accounts, escrow)
                    # a fee alone is compared in total; so is a fee's reversal (a withdrawn Stripe import's, decision 98)
                    if escrow and not ((kind == "card_fee" or entry.idempotency_key.startswith("reverse:")) and escrow == -fee):
                        card.append(Item("ledger", kind, f"entry:{entry.id}", created, escrow, entry.idempotency_key, entry.memo,
                                         _refs(*refs), in_period=start <= created <= end, scope=STRIPE))
            yield bank, card
    in_transit = [Item("ledger", "deposit", f"slip:{d.slip_no}", d.business_date, d.deposit_paise, d.slip_no,
                       f"day end {d.counter.code} {d.business_date.isoformat()}: deposit in transit",
                       _refs(d.slip_no, d.bank_reference), day_end_id=d.id, status=_deposit_status(d),
                       in_period=d.business_date <= end, scope=BANK)
                  for d in sorted(by_slip.values(), key=lambda d: (d.business_date, d.id))
                  if d.id not in linked and d.confirmed_at is None and d.deposit_paise > 0]  # confirmed ones are in the ledger (above)
    if in_transit:
        yield in_transit, []


#: the kinds of key whose entry and its reversal cancel each other to the statements (:func:`_cancelled_pairs`)
_CANCELLING = ("payout:", "bankcharges:", "bankinterest:")
_CANCELLING_REVERSED = tuple(f"reverse:{k}" for k in _CANCELLING)


async def _cancelled_pairs(entries: list[_Entry], max_id: int) -> set[int]:
    """The ids of the Stripe payouts and the bank lines' bookings among ``entries`` that were
    reversed (by an entry up to ``max_id``), and of their reversals: a payout a withdrawn Stripe
    import posted, and the reversal its withdrawal posted (decision 98), or a payout booked by hand
    and reversed; a bank line booked as the bank's charges or interest (decision 156), and the
    reversal the withdrawal of its statement posted (decision 161), or one reversed by hand. Each
    cancels the other: the statements show neither (the bank took the charge once, and the line
    that shows it is another import's, or gone), so neither is an item of the week, wherever each
    is dated; what the books hold is the entry posted again, if a live import vouches for it or
    the line is booked again. A page's payouts and bookings are a few: one look-up."""
    out = {e.id for e in entries if e.idempotency_key.startswith(_CANCELLING_REVERSED)}
    reversible = {ledger.reversal_key(e.idempotency_key): e.id for e in entries if e.idempotency_key.startswith(_CANCELLING)}
    for where, chunk in _in('"idempotency_key"', list(reversible), on_postgres(), "text"):
        for r in await ledger.rows(f'SELECT "idempotency_key" AS k FROM "ledger_entry" WHERE {where} AND "id" <= ?', [*chunk, max_id]):
            out.add(reversible[r["k"]])
    return out


class _LocalDates:
    """:func:`local_date` of many moments (a week's entries): found once per quarter of an hour
    (UTC), within which no zone's date changes (every zone's offset, and every change of it, is
    a whole number of quarter hours)."""

    def __init__(self, zone: ZoneInfo):
        self.zone = zone
        self.known: dict[int, dt.date] = {}

    def of(self, moment: dt.datetime) -> dt.date:
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.timezone.utc)
        quarter = int(moment.timestamp() // 900)
        date = self.known.get(quarter)
        if date is None:
            date = self.known[quarter] = local_date(moment, self.zone)
        return date


def _bank_expected_item(entry: _Entry, accounts: frozenset[str], amount: int, created: dt.date, refs: list[str], by_slip: dict[str, DayEnd],
                        linked: set[int], start: dt.date, end: dt.date) -> Item:
    """A bank entry as the item the statement should show: a day-end deposit by its slip (``linked``
    notes the day end), anything else by its entry."""
    kind = _bank_kind(entry.idempotency_key, accounts)
    day_end = None
    if kind in ("deposit", "other"):
        named = [by_slip[m.upper()] for m in _SLIP.findall(f"{entry.idempotency_key} {entry.memo}") if m.upper() in by_slip]
        day_end = named[0] if named else None
    key = f"entry:{entry.id}"
    if day_end is not None and not entry.idempotency_key.startswith("reverse:"):
        kind, key = "deposit", f"slip:{day_end.slip_no}"
        refs = refs + [day_end.slip_no, day_end.bank_reference]
        linked.add(day_end.id)
    return Item("ledger", kind, key, created, amount, entry.idempotency_key, entry.memo, _refs(*refs),
                day_end_id=day_end.id if day_end else None, status=_deposit_status(day_end) if day_end else "",
                in_period=start <= created <= end, scope=BANK)


# --- the statements' side -------------------------------------------------------------------


class _Line(NamedTuple):
    """What matching reads of a statement line (a tuple, not an ORM object)."""

    id: int
    statement_id: int
    line_no: int
    value_date: dt.date
    amount_paise: int
    reference: str
    description: str


def _bank_item(line: _Line) -> Item:
    return Item(BANK, "other", f"line:{line.id}", line.value_date, line.amount_paise, line.reference, line.description,
                _refs(line.reference), line_no=line.line_no, line_id=line.id, statement_id=line.statement_id, scope=BANK)


def _stripe_item(line: _Line) -> tuple[Item, str, int]:
    """The item, its Stripe type and the fee it carries."""
    m = _STRIPE_DESC.match(line.description or "")
    txn_type, source = (m["type"], m["source"]) if m else ("", "")
    fee, net = (int(m["fee"]), int(m["net"])) if m else (0, line.amount_paise)
    if txn_type in STRIPE_CHARGES:
        kind = "card_charge"
    elif txn_type in STRIPE_REFUNDS:
        kind = "card_refund"
    elif txn_type in STRIPE_PAYOUTS:
        kind = "card_payout"
    elif txn_type in STRIPE_FEES:
        kind = "card_fee"
    elif txn_type in STRIPE_TRANSFERS:
        kind = "settlement"
    else:
        kind = "other"
    alt = (net,) if net != line.amount_paise else ()
    item = Item(STRIPE, kind, f"line:{line.id}", line.value_date, line.amount_paise, line.reference, line.description,
                _refs(line.reference, "" if source == "-" else source), alt, line.line_no, line.id, line.statement_id, scope=STRIPE)
    return item, txn_type, fee


# --- matching a week a page at a time -------------------------------------------------------
#
# :func:`match` above is the rule, over lists in memory. A district's week is hundreds of
# thousands of items on each side, so :class:`_Matching` applies the same rule holding a page at a
# time: the ledger's items go into temporary tables (with only those of their references and
# words that some statement line could quote), and each page of statement lines asks the
# database for the items it may name. What stays in memory for the whole week is a byte per
# ledger item (taken or not), the statement lines' words as a bitmap of their hashes, and the findings.

MATCH_PAGE = 500  # statement lines matched per round of queries
BULK_PAGE = 5_000  # statement items whose forced pairs are taken in bulk a query (_Matching.take_forced)
#: a word this many statement lines of a page have is the statement's wording, not a reference (_Matching.flush)
COMMON_WORD_LINES = 20
#: rows of a temporary table copied to PostgreSQL at once (_Matching._write)
COPY_ROWS = 20_000
KEEP_MATCHED = 500  # matched pairs a report keeps to show (every pair goes to ``on_pair``)
_ASKED = (50, 500, 2000)  # the lengths of the IN lists asked: padded to one of these (one statement text each)


class _Hashes:
    """A set of words as a bitmap of their hashes (1 MiB whatever the number of words): a test
    that may say yes for a word not in it (about one in a hundred for a district's week), never no
    for one in it. Used to leave out of the database the references and words no statement line
    can quote; whatever it lets through is checked again by the rule."""

    BITS = 1 << 23

    def __init__(self) -> None:
        self.bits = bytearray(self.BITS >> 3)

    def add(self, word: str) -> None:
        self.add_all((word,))

    def add_all(self, words: Iterable[str]) -> None:
        bits, mask = self.bits, self.BITS - 1
        for word in words:
            h = hash(word) & mask
            bits[h >> 3] |= 1 << (h & 7)


def _in(column: str, values: list[Any], pg: bool, sql_type: str = "bigint") -> list[tuple[str, list[Any]]]:
    """``column`` among ``values``, as (SQL condition, parameters) to ask one after the other:
    on PostgreSQL one question with an array parameter (binding a padded IN list of thousands of
    parameters cost more than the look-up: 3 s of a month's reconciliation at 1M), on SQLite IN
    lists padded to one of a few lengths (:func:`_padded`)."""
    if not values:
        return []
    if pg:
        return [(f"{column} = ANY(?::{sql_type}[])", [list(values)])]
    return [(f'{column} IN ({", ".join("?" * len(chunk))})', chunk) for chunk in _padded(values)]


def _padded(values: list[Any]) -> list[list[Any]]:
    """``values`` in chunks whose lengths are one of _ASKED (the last padded with a repeat)."""
    out = []
    for at in range(0, len(values), _ASKED[-1]):
        chunk = values[at:at + _ASKED[-1]]
        size = next(n for n in _ASKED if n >= len(chunk))
        out.append(chunk + chunk[-1:] * (size - len(chunk)))
    return out


@dataclass(slots=True)
class _Cand:
    """A ledger item as a candidate for a statement line (a row of the items table)."""

    n: int
    kind: str
    key: str
    date: dt.date
    amount_paise: int
    text: str  # its references and text, as _RefIndex.texts has it
    in_period: bool = True

    def order(self, s: Item) -> tuple[int, dt.date, str]:
        return abs((self.date - s.date).days), self.date, self.key


_ITEM_COLUMNS = ["n", "kind", "key", "day", "amount", "reference", "description", "day_end_id", "status", "in_period", "text"]


class _Matching:
    """One scope's matching (bank or Stripe) of one period, in temporary tables of its own."""

    def __init__(self, conn: Any, scope: str, period: tuple[int, dt.date, dt.date] | None = None):
        self.conn, self.scope = conn, scope
        self.period = period  # (district id, start, end): leave out the items matched by a line of another period
        self.pg = conn.capabilities.dialect == "postgres"
        tag = f"{scope}_{secrets.token_hex(4)}"
        self.items, self.refs, self.words = f"rec_item_{tag}", f"rec_ref_{tag}", f"rec_word_{tag}"
        self.text_words = _Hashes()  # every word of the statement lines' texts and references
        self.ref_runs = _Hashes()  # the key run of each statement reference of 6+ characters
        self.shortest_run = sys.maxsize  # the length of the shortest of those key runs: no shorter word can be one
        self.short_ref_run = False  # a ledger reference stored whose key run is shorter than MIN_REF_LEN (_force)
        self.common: set[str] = set()  # words of COMMON_WORD_LINES or more lines of a page: not written for _force
        self.common_ref_run = False  # a ledger reference stored whose key run is one of them (_force stands down)
        self.scan_all = False  # a statement reference of 6+ characters without letters or digits
        self.odd: list[tuple[str, int]] = []  # ledger references without a letter or digit (few)
        self.n = 0
        self.taken = bytearray(1)
        self.of_period = bytearray(1)  # a byte per ledger item: 1 when it is the period's (its in_period)
        # the forced pairs (see _force): each statement item noted gets a number k in the order
        # matching takes them; its words and references are written to two tables for the SQL
        self.lines_words, self.lines_refs = f"rec_lw_{tag}", f"rec_lr_{tag}"
        self.forced = f"rec_forced_{tag}"
        self.noted = self.asked = 0  # statement items noted (first pass), and asked by reference (pass 1)
        self.has_forced, self.n_forced = False, 0
        self.in_bulk = bytearray()  # by k: 1 for a statement item whose forced pair was taken in bulk (take_forced)
        self._held: dict[str, tuple[list[str], list[list[Any]]]] = {}  # rows not yet copied (PostgreSQL: _write)
        self._lw: list[tuple[str, int, int]] = []  # (word, k, amount) of the page being noted
        self._lr: list[tuple[str, str | None, int, int]] = []  # (reference, its key run when 6+ characters, k, amount)

    async def _sql(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        return await _on(self.conn, sql, params)

    async def create(self) -> None:
        temp = "CREATE TEMPORARY TABLE {} ({})" + (" ON COMMIT DROP" if self.pg else "")
        text = 'TEXT COLLATE "C"' if self.pg else "TEXT"
        await self._sql(temp.format(self.items, f'n INTEGER PRIMARY KEY, kind TEXT, key {text}, day TEXT, amount BIGINT, reference TEXT, '
                                                'description TEXT, day_end_id INTEGER, status TEXT, in_period INTEGER, text TEXT'))
        await self._sql(temp.format(self.refs, "ref TEXT, run TEXT, n INTEGER"))
        await self._sql(temp.format(self.words, "word TEXT, n INTEGER"))
        await self._sql(temp.format(self.lines_words, "word TEXT, k INTEGER, amount BIGINT"))
        await self._sql(temp.format(self.lines_refs, "ref TEXT, run TEXT, k INTEGER, amount BIGINT"))
        await self._sql(temp.format(self.forced, "k INTEGER PRIMARY KEY, n INTEGER, amount BIGINT"))

    async def drop(self) -> None:
        if not self.pg:  # PostgreSQL drops them at the end of the transaction
            for table in (self.items, self.refs, self.words, self.lines_words, self.lines_refs, self.forced):
                await self._sql(f"DROP TABLE IF EXISTS temp.{table}")

    def note_statement(self, s: Item) -> None:
        """First pass over the statement lines: the words and references they could quote."""
        self.note(s.text, s.refs, amount=s.amount_paise)

    def note(self, text: str, refs: Iterable[str], refs_in_text: bool = False, amount: int = 0) -> None:
        """:meth:`note_statement` of a line's text and references (no Item built); ``refs_in_text``:
        each reference is a whole token of ``text`` (its words are the text's already). Statement
        items are noted in the order matching takes them (each the next k); ``amount`` is the
        item's. :meth:`flush` writes what was noted for the forced pairs."""
        words, runs = self.text_words, self.ref_runs
        self.noted += 1
        k = self.noted
        its = _words(text)
        words.add_all(its)
        self._lw += [(w, k, amount) for w in its if len(w) >= MIN_REF_LEN]  # no key run is shorter (else _force stands down)
        for ref in refs:
            if not refs_in_text:
                words.add_all(_RUN.findall(ref))
            run = None
            if len(ref) >= 6:
                run = _key_run(ref)
                if run:
                    runs.add(run)
                    self.shortest_run = min(self.shortest_run, len(run))
                else:
                    self.scan_all = True
            self._lr.append((ref, run, k, amount))

    async def flush(self) -> None:
        """Write the words and references noted since the last call (a page of statement lines).
        A word that COMMON_WORD_LINES or more lines of the page have (``mitra`` of every UPI
        credit's narration, ``cash`` and ``slip`` of every deposit's) is a word of the statement's
        wording, not a reference: it is kept in :attr:`common` and not written (half the rows of
        a district's week). Should a ledger reference stored have one as its key run,
        :meth:`_force` stands down (:meth:`add_items` notes it): the rule does it all, as before."""
        lw = self._lw
        if lw:
            counts = Counter(w for w, _, _ in lw)
            self.common.update(w for w, c in counts.items() if c >= COMMON_WORD_LINES)
            if self.common:
                common = self.common
                lw = [row for row in lw if row[0] not in common]
        await insert_rows(self.conn, self.lines_words, ["word", "k", "amount"], lw)
        await insert_rows(self.conn, self.lines_refs, ["ref", "run", "k", "amount"], self._lr)
        self._lw, self._lr = [], []

    async def add_items(self, items: list[Item]) -> None:
        """Store a page of ledger items, with the references and words a statement line may name
        (every statement item is noted first: what they may name is known)."""
        rows, refs, words = [], [], []
        # is a word in a bitmap? its bit, as _Hashes.add sets it, tested here in the loop over every item of the window
        text_bits, run_bits, mask = self.text_words.bits, self.ref_runs.bits, _Hashes.BITS - 1
        n, odd, scan_all, findall, of_period = self.n, self.odd, self.scan_all, _RUN.findall, self.of_period
        shortest, short_ref_run, common, common_ref_run = self.shortest_run, False, self.common, False
        for item in items:
            n += 1
            text = " ".join(item.refs) + " " + item.text
            quotable = False  # does some statement reference's key run occur among its words?
            for ref in item.refs:
                run = ref if ref.isalnum() else _key_run(ref)  # (_key_run's first case written out: most references)
                if run is None:  # looked for in every line's text, and by equality
                    odd.append((ref, n))
                    refs.append([ref, None, n])
                else:
                    h = hash(run) & mask
                    if text_bits[h >> 3] & (1 << (h & 7)):
                        refs.append([ref, run, n])
                        short_ref_run = short_ref_run or len(run) < MIN_REF_LEN
                        common_ref_run = common_ref_run or run in common
            for word in set(findall(text)):
                if len(word) < shortest:  # shorter than every statement reference's key run: none of them
                    continue
                h = hash(word) & mask
                if run_bits[h >> 3] & (1 << (h & 7)):
                    words.append([word, n])
                    quotable = True
            in_period = 1 if item.in_period else 0
            of_period.append(in_period)
            rows.append([n, item.kind, item.key, item.date.isoformat(), item.amount_paise, item.reference, item.description,
                         item.day_end_id, item.status, in_period,
                         text if quotable or scan_all else ""])  # the text only where a line's reference may be in it
        self.n = n
        self.short_ref_run = self.short_ref_run or short_ref_run
        self.common_ref_run = self.common_ref_run or common_ref_run
        await self._write(self.items, _ITEM_COLUMNS, rows)
        await self._write(self.refs, ["ref", "run", "n"], refs)
        await self._write(self.words, ["word", "n"], words)

    async def _write(self, table: str, columns: list[str], rows: list[list[Any]]) -> None:
        """:func:`insert_rows`; on PostgreSQL the rows are held until COPY_ROWS wait for ``table``
        (a COPY's round trips and asyncpg's look at the table's columns cost as much as some
        thousands of rows: a page of entries' items, references and words were 1,200 COPYs of
        some 1,700 rows at 1M). :meth:`index` writes what is left first."""
        if not self.pg:
            await insert_rows(self.conn, table, columns, rows)
            return
        held = self._held.setdefault(table, (columns, []))[1]
        held += rows
        if len(held) >= COPY_ROWS:
            await self._drain(table)

    async def _drain(self, only: str | None = None) -> None:
        for table in [t for t in self._held if only is None or t == only]:
            columns, rows = self._held.pop(table)
            await insert_rows(self.conn, table, columns, rows)

    async def index(self) -> None:
        """Index the tables, and leave out the items a recorded run matched to a statement line of
        another period (they are not this period's to match)."""
        await self._drain()
        await self._sql(f"CREATE INDEX {self.refs}_ref ON {self.refs} (ref)")
        await self._sql(f"CREATE INDEX {self.refs}_run ON {self.refs} (run)")
        await self._sql(f"CREATE INDEX {self.words}_word ON {self.words} (word)")
        await self._sql(f"CREATE INDEX {self.items}_amount ON {self.items} (amount, day)")
        await self._sql(f"CREATE INDEX {self.items}_order ON {self.items} (in_period, day, key)")
        if self.pg:  # a temporary table has no statistics until asked (the question below needs them)
            for table in (self.items, self.refs, self.words):
                await self._sql(f"ANALYZE {table}")
        if self.period is not None:
            # each item's key looked up in the statement_line(matched_id) index (migration 0026):
            # the same work whatever the years of statements before it (it read every line of the
            # district marked in another period, growing with each week imported). On PostgreSQL
            # the key is compared in the index's collation (the items' keys sort in "C"), and the
            # items' statistics (above) let the planner choose the index over reading every line.
            district_id, start, end = self.period
            key = 'x.key COLLATE "default"' if self.pg else "x.key"
            await self._sql(
                f'DELETE FROM {self.items} AS x WHERE EXISTS (SELECT 1 FROM "statement_line" l JOIN "statement_import" i '
                f'ON i."id" = l."statement_id" WHERE l."matched_id" = {key} AND i."district_id" = ? AND i."source" = ? '
                'AND (l."value_date" < ? OR l."value_date" > ?))', [district_id, self.scope, start, end])
        self.taken = bytearray(self.n + 1)
        await self._force()

    async def _force(self) -> None:
        """Find the *forced* pairs in SQL, before the rule runs: a statement item k and a ledger
        item n such that, of the items moving money k's way, k may quote n alone, and of the
        statement items moving money n's way, n may be quoted by k alone; and k surely quotes n
        (a reference in common, or one of n's references is a word of k's text).

        "May quote" is the rule's look-ups (:meth:`by_reference`, :func:`_quoted`) without the
        check that a reference stands as a whole token in a text: a reference in common, one of
        n's references' key run among k's words, k's reference's key run among n's words. It is
        more than the rule finds, never less. So when the rule reaches k, n is not taken (no other
        line could take it) and k finds n alone: the rule pairs them, whatever the order of the
        lines, and setting them aside changes no other pair. Pass 1 then reads k's item with its
        page instead of looking up k's words and references (most of a district's week: a UPI
        credit quoting its UTR, a card charge its charge id).

        Stands down (no forced pairs; the rule does it all) when a look-up could miss what the
        rule finds: a ledger reference without a key run (``odd``) or whose key run is shorter
        than MIN_REF_LEN (the words noted are MIN_REF_LEN or longer) or is one of the statement's
        common words (:meth:`flush` did not write them), or a statement reference of 6+
        characters without one (``scan_all``)."""
        self.has_forced, self.n_forced = False, 0
        if self.odd or self.scan_all or self.short_ref_run or self.common_ref_run or not self.n or not self.noted:
            return
        lw, lr, refs, words, items = self.lines_words, self.lines_refs, self.refs, self.words, self.items
        cand = f"{self.forced}_c"
        temp = "CREATE TEMPORARY TABLE {} AS {}" if not self.pg else "CREATE TEMPORARY TABLE {} ON COMMIT DROP AS {}"
        same_way = "(x.amount = 0 OR i.amount = 0 OR (x.amount > 0) = (i.amount > 0))"
        await self._sql(temp.format(cand, (
            "SELECT x.k AS k, x.n AS n, x.sure AS sure, x.amount AS amount FROM ("
            f"SELECT l.k AS k, r.n AS n, 1 AS sure, l.amount AS amount FROM {lr} l JOIN {refs} r ON r.ref = l.ref "
            f"UNION ALL SELECT l.k, r.n, CASE WHEN r.ref = l.word THEN 1 ELSE 0 END, l.amount FROM {lw} l JOIN {refs} r ON r.run = l.word "
            f"UNION ALL SELECT l.k, w.n, 0, l.amount FROM {lr} l JOIN {words} w ON w.word = l.run"
            f") x JOIN {items} i ON i.n = x.n WHERE {same_way}")))
        # each statement item with one candidate it surely quotes, unless another statement item may quote that one
        # (two groupings, no index: the items quoted by two or more statement items are a few)
        await self._sql(
            f"INSERT INTO {self.forced} (k, n, amount) SELECT k, MIN(n), MIN(amount) FROM {cand} GROUP BY k "
            f"HAVING MIN(n) = MAX(n) AND MAX(sure) = 1 AND MIN(n) NOT IN "
            f"(SELECT n FROM {cand} GROUP BY n HAVING MIN(k) <> MAX(k))")
        await self._sql(f"DROP TABLE {cand}")
        if self.pg:  # (its statistics: take_forced's pages join it by key, not by reading it whole)
            await self._sql(f"ANALYZE {self.forced}")
        self.n_forced = int((await self._sql(f"SELECT COUNT(*) AS c FROM {self.forced}"))[0]["c"])
        self.has_forced = self.n_forced > 0

    async def take_forced(self, lines_table: str, marks: "_Marks", keep: int) -> tuple[int, int]:
        """Take in bulk, before pass 1, the forced pairs (:meth:`_force`) a recording run needs only
        to mark and count: those of equal amounts, but a day-end deposit's (confirmed from the
        report's pairs), after the first ``keep`` of equal amounts (the report keeps those, in the
        statement's order, from pass 1). Each line's mark goes to ``marks`` and its item is taken;
        pass 1 then skips the line (:attr:`in_bulk`, by k). Bank lines only: their k is their place
        in ``lines_table`` (every line noted, one item each, in that order). Pass 1 pairs them so
        whatever the order (a forced pair is the rule's whatever the order, and no other line may
        quote its item), so the marks, the counts and the pairs the report keeps are those of the
        line by line run; what it saves is each line's item, pair and mark built one by one (most
        of a district's week). Returns how many were taken, and how many of their items are of
        the period."""
        if not self.has_forced:
            return 0, 0
        after = 0  # the first `keep` forced pairs of equal amounts stay with pass 1
        if keep > 0:
            rows = await self._sql(f"SELECT f.k FROM {self.forced} f CROSS JOIN {self.items} i WHERE i.n = f.n AND f.amount = i.amount "
                                   f"ORDER BY f.k LIMIT 1 OFFSET {int(keep) - 1}")
            if not rows:
                return 0, 0
            after = int(rows[0]["k"])
        bulk, taken = bytearray(self.noted + 1), self.taken
        n_taken = n_in_period = 0
        while after < self.noted:
            # a page is a range of BULK_PAGE statement items (k), not the next BULK_PAGE pairs: a LIMIT
            # let PostgreSQL join every pair left and sort them for each page (0.1-0.2 s a page at 1M)
            rows = await self._sql(
                f"SELECT f.k, f.amount AS s_amount, l.amount_paise AS l_amount, l.id AS line_id, i.n, i.kind, i.key, i.in_period "
                # (CROSS JOIN: SQLite walks the forced pairs in their order, k, and looks each one's item
                # and line up by key; any other order sorted every pair of the week for each page)
                f"FROM {self.forced} f CROSS JOIN {self.items} i CROSS JOIN {lines_table} l "
                f"WHERE i.n = f.n AND l.i = f.k AND f.k > ? AND f.k <= ? AND f.amount = i.amount AND i.kind <> 'deposit' ORDER BY f.k",
                [after, after + BULK_PAGE])
            ks = []
            for r in rows:
                k, n = int(r["k"]), int(r["n"])
                if int(r["l_amount"]) != int(r["s_amount"]) or k > self.noted:
                    raise RuntimeError(f"{self.scope}: the statement lines were not noted in their order")
                bulk[k] = taken[n] = 1
                ks.append(k)
                marks.add_line(int(r["line_id"]), r["kind"], r["key"])
                n_in_period += int(r["in_period"])
            for where, chunk in _in("i", ks, self.pg):  # not read again: pass 1 reads the others, and counts their k past these
                await self._sql(f"DELETE FROM {lines_table} WHERE {where}", chunk)
            n_taken += len(rows)
            after += BULK_PAGE
        if n_taken:
            self.in_bulk = bulk
        return n_taken, n_in_period

    def _cand(self, r: dict[str, Any]) -> _Cand:
        return _Cand(r["n"], r["kind"], r["key"], dt.date.fromisoformat(r["day"]), int(r["amount"]), r["text"] or "", bool(r["in_period"]))

    async def _items(self, ns: set[int]) -> dict[int, _Cand]:
        out: dict[int, _Cand] = {}
        for where, chunk in _in("n", sorted(ns), self.pg):
            for r in await self._sql(f'SELECT n, kind, key, day, amount, text, in_period FROM {self.items} WHERE {where}', chunk):
                out[r["n"]] = self._cand(r)
        return out

    async def _lookup(self, column: str, table: str, values: set[str], extra: str = "") -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for where, chunk in _in(column, sorted(values), self.pg, "text"):
            found += await self._sql(f'SELECT {column}{extra}, n FROM {table} WHERE {where}', chunk)
        return found

    async def by_reference(self, page: list[Item]) -> list[tuple[Item, _Cand]]:
        """Pass 1 over a page of statement lines (in order): each takes the item it names, as
        :func:`match` does (same amount first, then the nearest date). Returns the pairs.

        A line of a forced pair (:meth:`_force`) takes its item without look-ups."""
        place: dict[int, int] = {}  # the page's items' k (their place in the order noted), each to its place in the page
        skip = self.in_bulk
        for at in range(len(page)):
            self.asked += 1
            while self.asked < len(skip) and skip[self.asked]:  # taken in bulk: not given to this pass
                self.asked += 1
            place[self.asked] = at
        forced: dict[int, _Cand] = {}  # by the line's place in the page
        if self.has_forced and place:
            # the page's k by range; past lines taken in bulk, by list (a range would bring back theirs too: after the
            # bulk, a page of the lines left spans most of the week)
            asked = [("f.k >= ? AND f.k <= ?", [min(place), self.asked])] if not skip else _in("f.k", sorted(place), self.pg)
            rows = [r for where, params in asked for r in await self._sql(
                f"SELECT f.k, f.amount AS s_amount, i.n, i.kind, i.key, i.day, i.amount, i.text, i.in_period "
                f"FROM {self.forced} f JOIN {self.items} i ON i.n = f.n WHERE {where}", params)]
            for r in rows:
                at = place.get(int(r["k"]))
                if at is None:  # taken in bulk
                    continue
                if int(r["s_amount"]) != page[at].amount_paise:
                    raise RuntimeError(f"{self.scope}: the statement items were not asked in the order they were noted")
                if not self.taken[r["n"]]:
                    forced[at] = self._cand(r)
        if forced:
            rest = [s for at, s in enumerate(page) if at not in forced]
            found = dict((id(s), c) for s, c in await self._by_reference(rest)) if rest else {}
            pairs: list[tuple[Item, _Cand]] = []
            for at, s in enumerate(page):
                c = forced.get(at) or found.get(id(s))
                if c is not None:
                    self.taken[c.n] = 1
                    pairs.append((s, c))
            return pairs
        return await self._by_reference(page)

    async def _by_reference(self, page: list[Item]) -> list[tuple[Item, _Cand]]:
        line_words = [_words(s.text) for s in page]  # each line's, found once for the look-up and the rule
        words = set().union(*line_words)
        # a reference that is one of the line's words (a bank line's reference begins its text) is its own key run:
        # the look-up by run below brings its rows, and the rule finds them there (_quoted): not asked twice
        refs = {ref for s, its in zip(page, line_words) for ref in s.refs if ref not in its}
        runs = {run for s in page for ref in s.refs if len(ref) >= 6 for run in [_key_run(ref)] if run}
        exact: dict[str, list[int]] = {}
        for r in await self._lookup("ref", self.refs, refs):
            exact.setdefault(r["ref"], []).append(r["n"])
        by_run: dict[str, list[tuple[str, int]]] = {}
        for r in await self._lookup("run", self.refs, words, ", ref"):
            by_run.setdefault(r["run"], []).append((r["ref"], r["n"]))
        by_word: dict[str, list[int]] = {}
        for r in await self._lookup("word", self.words, runs):
            by_word.setdefault(r["word"], []).append(r["n"])
        wanted = {n for ns in exact.values() for n in ns} | {n for pairs in by_run.values() for _, n in pairs} \
            | {n for ns in by_word.values() for n in ns} | {n for _, n in self.odd}
        cands = await self._items({n for n in wanted if not self.taken[n]})
        everything: list[_Cand] = []
        if any(len(ref) >= 6 and _key_run(ref) is None for s in page for ref in s.refs):
            everything = await self._all()  # a reference without letters or digits to look it up by
            cands.update((c.n, c) for c in everything if not self.taken[c.n])

        def containing(run: str | None) -> Iterable[tuple[int, str]]:
            if run is None:
                return ((c.n, c.text) for c in everything)
            return ((n, cands[n].text) for n in by_word.get(run, ()) if n in cands)

        pairs: list[tuple[Item, _Cand]] = []
        for s, its_words in zip(page, line_words):
            found = _quoted(s, exact, by_run, self.odd, containing, its_words)
            hits = [cands[n] for n in found if n in cands and not self.taken[n] and s.amount_paise * cands[n].amount_paise >= 0]
            if hits:
                equal = [c for c in hits if _same_amount(s, c)]
                best = min(equal or hits, key=lambda c: c.order(s))
                self.taken[best.n] = 1
                pairs.append((s, best))
        return pairs

    async def _all(self) -> list[_Cand]:
        return [self._cand(r) for r in await self._sql(f"SELECT n, kind, key, day, amount, text, in_period FROM {self.items}")]

    async def by_amount(self, page: list[Item]) -> list[tuple[Item, _Cand]]:
        """Pass 2 over a page of the statement lines pass 1 left (in order): the same amount within
        ±DATE_TOLERANCE_DAYS, the nearest date first."""
        amounts = sorted({a for s in page for a in (s.amount_paise, *s.alt_amounts)})
        lo = (min(s.date for s in page) - dt.timedelta(days=DATE_TOLERANCE_DAYS)).isoformat()
        hi = (max(s.date for s in page) + dt.timedelta(days=DATE_TOLERANCE_DAYS)).isoformat()
        by_amount: dict[int, list[_Cand]] = {}
        for where, chunk in _in("amount", amounts, self.pg):
            for r in await self._sql(f'SELECT n, kind, key, day, amount, \'\' AS text, in_period FROM {self.items} '
                                     f'WHERE {where} AND day >= ? AND day <= ?', [*chunk, lo, hi]):
                if not self.taken[r["n"]]:
                    by_amount.setdefault(int(r["amount"]), []).append(self._cand(r))
        pairs = []
        for s in page:
            options = [c for a in (s.amount_paise, *s.alt_amounts) for c in by_amount.get(a, [])
                       if not self.taken[c.n] and abs((c.date - s.date).days) <= DATE_TOLERANCE_DAYS]
            if options:
                best = min(options, key=lambda c: c.order(s))
                self.taken[best.n] = 1
                pairs.append((s, best))
        return pairs

    async def full(self, ns: list[int]) -> dict[int, Item]:
        out: dict[int, Item] = {}
        for where, chunk in _in("n", sorted(set(ns)), self.pg):
            for r in await self._sql(f'SELECT * FROM {self.items} WHERE {where}', chunk):
                out[r["n"]] = self._item(r)
        return out

    def _item(self, r: dict[str, Any]) -> Item:
        return Item("ledger", r["kind"], r["key"], dt.date.fromisoformat(r["day"]), int(r["amount"]), r["reference"] or "",
                    r["description"] or "", day_end_id=r["day_end_id"], status=r["status"] or "", in_period=bool(r["in_period"]),
                    scope=self.scope)

    async def counts(self) -> int:
        """Ledger items of the period (after leaving out those matched in another period)."""
        rows = await self._sql(f"SELECT COUNT(*) AS c FROM {self.items} WHERE in_period = 1")
        return int(rows[0]["c"])

    async def lonely(self) -> AsyncIterator[list[Item]]:
        """The items of the period no statement line took, in (date, key) order, a page at a time:
        found by the bytes of :attr:`taken` and :attr:`of_period` (not by reading back the
        (in_period, day, key) index's row of each of a week's hundreds of thousands of items), and
        only they read, by number (those :meth:`index` left out are no longer there), then sorted."""
        taken = self.taken
        left = [n for n, mine in enumerate(self.of_period) if mine and not taken[n]]
        items: list[Item] = []
        for at in range(0, len(left), LONELY_PAGE):
            chunk = left[at:at + LONELY_PAGE]
            full = await self.full(chunk)
            items += [full[n] for n in chunk if n in full]
        items.sort(key=lambda i: (i.date, i.key))  # (stable: items of one date and key in the order they were added)
        for at in range(0, len(items), LONELY_PAGE):
            yield items[at:at + LONELY_PAGE]


# --- the roll-forward -----------------------------------------------------------------------


#: the ids a checkpoint's late-commit check covers, below the last one it read (decision 159): an
#: entry given its id before the run read the books and committed after (PostgreSQL hands out ids
#: to transactions that commit in another order) is among them unless this many others were given
#: ids while its transaction stayed open (about three days of a district of a million a month)
LATE_IDS = 100_000


async def _entries_checksum(before: dt.datetime, max_id: int, above: int | None = None) -> tuple[int, int]:
    """How many entries (every district's) were created before ``before`` with ids up to
    ``max_id`` (and above ``above`` when given), and the sum of their ids. Without ``above``, read
    from the created_at index alone: a read of every entry before ``before``, which grows with the
    years; with it, the range of ids above ``above`` (:func:`_late_window`: the ids since the last
    checkpoint and the last LATE_IDS, not the years'; all of them for a district's first)."""
    if above is None:
        sql, params = 'SELECT COUNT(*) AS n, COALESCE(SUM("id"), 0) AS s FROM "ledger_entry" WHERE "created_at" < ? AND "id" <= ?', [before, max_id]
    else:
        sql = ('SELECT COUNT(*) AS n, COALESCE(SUM("id"), 0) AS s FROM "ledger_entry" WHERE "id" > ? AND "id" <= ? '
               'AND "created_at" < ?')
        params = [above, max_id, before]
    r = (await ledger.rows(sql, params))[0]
    return int(r["n"]), int(r["s"])


async def _late_window(max_id: int) -> int:
    """Where the entries a checkpoint through ``max_id`` counts begin (its ids are above it): the
    last LATE_IDS ids, and every id no earlier checkpoint covers (an edit of those is not counted
    by core/ledger_rewrites.py's triggers until this checkpoint is written)."""
    covered = (await ledger.rows('SELECT COALESCE(MAX("through_id"), 0) AS m FROM "balance_checkpoint"', []))[0]["m"]
    return max(min(max_id - LATE_IDS, int(covered or 0)), 0)


async def _usable_checkpoint(district_id: int, lo: dt.datetime, max_id: int) -> BalanceCheckpoint | None:
    """The latest checkpoint at or before ``lo`` whose entries are still those it counted (nothing
    added, re-dated, edited or deleted behind it since), or None: then the opening balances are
    summed from the whole history.

    A checkpoint taken since migration 0039 is checked by the books' rewrite count (one row: an
    update or delete of an entry or a posting some checkpoint covers moves it,
    core/ledger_rewrites.py) and by counting its own ids again (those above ``window_from``: the ids
    no earlier checkpoint covered, and its last LATE_IDS, where an entry committed after the run
    read the books would be); an older one by counting every entry created before it, as it was
    taken (decision 159)."""
    rewrites = None
    for cp in await BalanceCheckpoint.filter(district_id=district_id, as_of__lte=lo, through_id__lte=max_id).order_by("-as_of", "-id").limit(3):
        if cp.rewrites is not None:
            if rewrites is None:
                rewrites = await ledger_rewrites.count()
            if rewrites != cp.rewrites:
                continue  # an entry or a posting was edited or deleted since: every older checkpoint too
            if await _entries_checksum(cp.as_of, cp.through_id, cp.window_from or 0) == (cp.entries, cp.id_sum):
                return cp
        elif await _entries_checksum(cp.as_of, cp.through_id) == (cp.entries, cp.id_sum):
            return cp
    return None


def _sums_sql(by: str, since: bool) -> str:
    """Per account: before lo, debits and credits from lo, everything, postings from lo; of the
    entries created before hi (``since``: and at or after a checkpoint), ids up to max_id."""
    return ('SELECT p."account" AS account, '
            'SUM(CASE WHEN e."created_at" < ? THEN p."amount_paise" ELSE 0 END) AS opening, '
            'SUM(CASE WHEN e."created_at" >= ? AND p."amount_paise" > 0 THEN p."amount_paise" ELSE 0 END) AS debits, '
            'SUM(CASE WHEN e."created_at" >= ? AND p."amount_paise" < 0 THEN p."amount_paise" ELSE 0 END) AS credits, '
            'SUM(p."amount_paise") AS closing, SUM(CASE WHEN e."created_at" >= ? THEN 1 ELSE 0 END) AS moved '
            'FROM "ledger_entry" e JOIN "posting" p ON p."entry_id" = e."id" '
            f'WHERE {_SINCE if since else ""}e."created_at" < ? AND e."id" <= ? AND p."district_id" = ? GROUP BY {by}')


_SINCE = 'e."created_at" >= ? AND '



#: exact runs of a week's entry ids beyond which the roll-forward asks its join instead (_sums_by_runs)
MAX_SUM_RUNS = 200


async def _sums_by_runs(district_id: int, since: dt.datetime, lo: dt.datetime, hi: dt.datetime, max_id: int) -> list[dict[str, Any]] | None:
    """:func:`_sums_sql`'s rows (``since`` a checkpoint) on PostgreSQL: the postings of the entries of
    [since, lo) and of [lo, hi), each as exact runs of ids (:func:`_id_runs`), summed by account from
    the posting(entry_id) index, a range of ids a question. The join of the week's entries with
    their postings was planned as a hash join over every posting of the books (a read of the whole
    history each week, across PostgreSQL's parallel workers: 1.45 s at a million transactions a
    month, growing every week); the ranges read the week's postings alone (0.42 s, on one core).
    None when the ids are in more than MAX_SUM_RUNS runs (entries of the week made among many of
    other weeks: a question a run would cost more than the join)."""
    parts = [(in_period, await _id_runs(start, end, max_id, gap=0)) for in_period, (start, end) in ((False, (since, lo)), (True, (lo, hi)))
             if start < end]
    if sum(len(runs) for _, runs in parts) > MAX_SUM_RUNS:
        return None
    sums: dict[str, dict[str, int]] = {}
    period = ('SELECT "account" AS account, SUM(CASE WHEN "amount_paise" > 0 THEN "amount_paise" ELSE 0 END) AS debits, '
              'SUM(CASE WHEN "amount_paise" < 0 THEN "amount_paise" ELSE 0 END) AS credits, SUM("amount_paise") AS total, COUNT(*) AS n '
              'FROM "posting" WHERE "entry_id" >= ? AND "entry_id" <= ? AND "district_id" = ? GROUP BY "account"')
    for in_period, runs in parts:
        for first, last in runs:
            for r in await ledger.rows(period, [first, last, district_id], raw=True):
                row = sums.setdefault(r["account"], {"account": r["account"], "opening": 0, "debits": 0, "credits": 0, "closing": 0, "moved": 0})
                total = int(r["total"] or 0)
                row["closing"] += total
                if in_period:
                    row["debits"] += int(r["debits"] or 0)
                    row["credits"] += int(r["credits"] or 0)
                    row["moved"] += int(r["n"])
                else:
                    row["opening"] += total
    return list(sums.values())


async def roll_forward(district_id: int, lo: dt.datetime, hi: dt.datetime, max_id: int,
                       found: dict[str, Any] | None = None) -> tuple[list[AccountRoll], list[str]]:
    """Every account with postings in [lo, hi): opening, in, out, and the closing balance; problems
    when an account does not roll forward or the period does not balance.

    The balances before the period come from the latest usable checkpoint (a recorded run's closing
    balances, :class:`BalanceCheckpoint`) plus the entries since it (and any created later but
    dated before it), or, without one, from the whole history: one pass over the postings up to
    ``hi``. On SQLite the grouping is by a sort of the rows read (``+account``), not by walking the
    posting(account) index and reading each posting it names (4.6 s against 1.8 s over 2.5
    million postings); on PostgreSQL the postings since a checkpoint are read by ranges of entry ids
    (:func:`_sums_by_runs`), not by a join its planner answers with a read of every posting. ``found``, when given, receives ``closing`` (every account's balance at
    ``hi``, moved or not) and ``checkpoint`` (the one used, or None)."""
    from tortoise import connections

    pg = connections.get("default").capabilities.dialect == "postgres"
    by = 'p."account"' if pg else '+p."account"'
    cp = await _usable_checkpoint(district_id, lo, max_id)
    carried: dict[str, int] = {}
    if cp is None:
        rows = await ledger.rows(_sums_sql(by, False), [lo, lo, lo, lo, hi, max_id, district_id])
    else:
        rows = await _sums_by_runs(district_id, cp.as_of, lo, hi, max_id) if pg else None
        if rows is None:
            rows = await ledger.rows(_sums_sql(by, True), [lo, lo, lo, lo, cp.as_of, hi, max_id, district_id])
        carried = {a: int(v) for a, v in cp.balances.items()}
        for r in await ledger.rows(  # created after the checkpoint was taken, dated before it
                'SELECT p."account" AS account, SUM(p."amount_paise") AS total FROM "ledger_entry" e JOIN "posting" p ON p."entry_id" = e."id" '
                f'WHERE e."id" > ? AND e."id" <= ? AND e."created_at" < ? AND p."district_id" = ? GROUP BY {by}',
                [cp.through_id, max_id, cp.as_of, district_id]):
            carried[r["account"]] = carried.get(r["account"], 0) + int(r["total"] or 0)
    sums = {r["account"]: r for r in rows}
    if found is not None:
        found["checkpoint"] = cp
        found["closing"] = {a: carried.get(a, 0) + int((sums[a]["closing"] if a in sums else 0) or 0) for a in sorted(set(carried) | set(sums))}
    accounts = sorted(a for a, r in sums.items() if int(r["moved"] or 0))
    if not accounts:
        return [], []
    rows = [AccountRoll(a, carried.get(a, 0) + int(sums[a]["opening"] or 0), int(sums[a]["debits"] or 0), -int(sums[a]["credits"] or 0),
                        carried.get(a, 0) + int(sums[a]["closing"] or 0)) for a in accounts]
    problems = [Message(f"account {r.account} does not roll forward: opening {format_paise(r.opening_paise)} + in {format_paise(r.in_paise)} "
                        f"− out {format_paise(r.out_paise)} ≠ closing {format_paise(r.closing_paise)}",
                        f"खाता {r.account} आगे नहीं बढ़ता: आरंभिक {format_paise(r.opening_paise)} + आवक {format_paise(r.in_paise)} "
                        f"− जावक {format_paise(r.out_paise)} ≠ अंतिम {format_paise(r.closing_paise)}", account=r.account)
                for r in rows if not r.ok]
    total_in, total_out = sum(r.in_paise for r in rows), sum(r.out_paise for r in rows)
    if total_in != total_out:
        problems.append(Message(f"the postings of the period do not balance: in {format_paise(total_in)} ≠ out {format_paise(total_out)}",
                                f"अवधि की प्रविष्टियाँ संतुलित नहीं हैं: आवक {format_paise(total_in)} ≠ जावक {format_paise(total_out)}"))
    return rows, problems


async def balances(district_id: int, prefixes: tuple[str, ...]) -> dict[str, int]:
    """The balance now of every account of the district whose name starts with one of
    ``prefixes`` (non-zero ones), for pages that show balances: carried from the latest usable
    checkpoint of a recorded reconciliation (decision 37) with the postings of the entries it does
    not cover (created since, or after it with an earlier date), else summed from every posting.
    A page showing balances then reads the entries since the last weekly run, not the books."""
    from tortoise import connections

    max_id = (await LedgerEntry.filter(district_id=district_id).annotate(m=Max("id")).first().values("m") or {}).get("m") or 0
    cp = await _usable_checkpoint(district_id, dt.datetime.now(dt.timezone.utc), max_id)
    by = '+p."account"' if connections.get("default").capabilities.dialect == "sqlite" else 'p."account"'
    ranges = [await ledger.key_prefix('p."account"', prefix) for prefix in prefixes]
    accounts = "(" + " OR ".join(f"({sql})" for sql, _ in ranges) + ")"
    account_params = [v for _, params in ranges for v in params]
    totals: dict[str, int] = {}
    if cp is None:
        found = await ledger.rows(f'SELECT p."account" AS account, SUM(p."amount_paise") AS total FROM "posting" p '
                                  f'WHERE p."district_id" = ? AND {accounts} GROUP BY {by}', [district_id] + account_params)
    else:
        totals = {a: int(v) for a, v in cp.balances.items() if a.startswith(prefixes)}
        found = []
        for where, params in (('e."id" > ? AND e."id" <= ?', [cp.through_id, max_id]),  # created since it
                              ('e."created_at" >= ? AND e."id" <= ?', [cp.as_of, cp.through_id])):  # read by it, dated after it
            found += await ledger.rows(
                f'SELECT p."account" AS account, SUM(p."amount_paise") AS total FROM "ledger_entry" e CROSS JOIN "posting" p '
                f'WHERE p."entry_id" = e."id" AND {where} AND p."district_id" = ? AND {accounts} GROUP BY {by}',
                params + [district_id] + account_params)
    for r in found:
        totals[r["account"]] = totals.get(r["account"], 0) + int(r["total"] or 0)
    return {a: v for a, v in sorted(totals.items()) if v and a.startswith(prefixes)}


# --- the report -----------------------------------------------------------------------------


async def _on(conn: Any, sql: str, params: list[Any] | None = None) -> list[Any]:
    """A raw statement (``?`` placeholders) on ``conn``: the run's temporary tables live on the
    connection of its transaction. The driver's rows, read by column name (:func:`core.db.raw_rows`)."""
    return await raw_rows(conn, sql, params)


class _StatementLines:
    """The statement lines of the period, numbered in the order matching takes them (date, line
    number, key) into a temporary table once (one scan and one sort), then read STATEMENT_PAGE at a
    time by number, as often as asked."""

    def __init__(self, conn: Any, district_id: int, source: str, start: dt.date, end: dt.date):
        self.conn, self.args = conn, [district_id, source, start, end]
        self.pg = conn.capabilities.dialect == "postgres"
        self.table = f"rec_line_{secrets.token_hex(4)}"

    async def create(self) -> None:
        conn, table = self.conn, self.table
        key = """('line:' || CAST(l."id" AS TEXT))""" + (' COLLATE "C"' if self.pg else "")
        await _on(conn, f"CREATE TEMPORARY TABLE {table} (i BIGINT PRIMARY KEY, id BIGINT, statement_id BIGINT, "
                                      "line_no INTEGER, value_date TEXT, amount_paise BIGINT, reference TEXT, description TEXT)"
                                      + (" ON COMMIT DROP" if self.pg else ""))
        await _on(conn,
            f'INSERT INTO {table} SELECT ROW_NUMBER() OVER (ORDER BY l."value_date", l."line_no", {key}), l."id", l."statement_id", '
            'l."line_no", CAST(l."value_date" AS TEXT), l."amount_paise", l."reference", l."description" '
            'FROM "statement_line" l JOIN "statement_import" i ON i."id" = l."statement_id" '
            'WHERE i."district_id" = ? AND i."source" = ? AND l."value_date" >= ? AND l."value_date" <= ?', self.args)

    async def _rows(self, columns: str) -> AsyncIterator[list[Any]]:
        """``columns`` (with ``i``) of the lines in their order, STATEMENT_PAGE at a time: the driver's rows."""
        after = 0
        while True:
            rows = await _on(self.conn, f"SELECT {columns} FROM {self.table} WHERE i > ? ORDER BY i LIMIT {STATEMENT_PAGE}", [after])
            if rows:
                yield rows
            if len(rows) < STATEMENT_PAGE:
                return
            after = rows[-1]["i"]

    async def pages(self) -> AsyncIterator[list[_Line]]:
        async for rows in self._rows("*"):
            yield [_Line(r["id"], r["statement_id"], r["line_no"], dt.date.fromisoformat(r["value_date"][:10]), int(r["amount_paise"]),
                         r["reference"] or "", r["description"] or "") for r in rows]

    def texts(self) -> AsyncIterator[list[Any]]:
        """The lines' reference, description and amount alone (``reference``, ``description``,
        ``amount_paise``: the driver's rows), in the same order and pages as :meth:`pages`: what the
        first pass over a bank statement reads (no line built, no date read)."""
        return self._rows("i, reference, description, amount_paise")

    async def drop(self) -> None:
        if not self.pg:  # PostgreSQL drops it at the end of the transaction
            await _on(self.conn, f"DROP TABLE IF EXISTS temp.{self.table}")


STATEMENT_PAGE = 5000


def _statement_order(item: Item) -> tuple[dt.date, int, str]:
    return item.date, item.line_no or 0, item.key


class _Pairs:
    """Where the pairs of a run go: counted, kept for the report up to ``keep`` matched ones (every
    differing one), and each handed to ``on_pair`` (the recording run's marks, a CSV export)."""

    def __init__(self, report: Report, keep: int, on_pair: Callable[[Pair], Any] | None, light: bool = False,
                 marks: "_Marks | None" = None):
        self.report, self.keep, self.on_pair, self.light = report, keep, on_pair, light
        self.marks = marks  # on_pair is marks.add: the pairs a run records (_Side.match may mark some in bulk)
        self._matched_ahead = 0  # matched pairs of the page being read, not yet added

    def wants_full(self, scope: str, s: Item, c: _Cand) -> bool:
        """Whether the pair of ``s`` and ``c`` (the next to be added, in order) needs the ledger
        item read in full: always, unless ``light`` (``on_pair`` reads only the kind and key of
        the ledger's side); then only a pair the report keeps (one of the first ``keep`` matched,
        a differing one, a day-end deposit to confirm). Called once per pair of a page, in order,
        before the page's pairs are added."""
        same = c.amount_paise == s.amount_paise or c.amount_paise in s.alt_amounts
        kept = self.report.n_matched + self._matched_ahead < self.keep
        if same:
            self._matched_ahead += 1
        return not self.light or not same or kept or (c.kind == "deposit" and scope == BANK)

    async def add(self, pair: Pair) -> None:
        report = self.report
        if _same_amount(pair.statement, pair.ledger):
            report.n_matched += 1
            self._matched_ahead = max(0, self._matched_ahead - 1)
            if len(report.matched) < self.keep:
                report.matched.append(pair)
            if pair.kind == "deposit" and pair.scope == BANK and pair.ledger.day_end_id is not None:
                report.deposits.append(pair)
        else:
            report.differing.append(pair)
        if self.on_pair is not None:
            done = self.on_pair(pair)
            if inspect.isawaitable(done):
                await done


async def _two_passes(m: _Matching, pages: AsyncIterator[list[Item]],
                      emit: Callable[[list[tuple[Item, _Cand]], str], Awaitable[None]], size: int = MATCH_PAGE) -> list[Item]:
    """:func:`match`'s two passes, a page of ``size`` statement items at a time (``pages`` in the
    statement order): first by reference, then what is left by amount and date. Gives each page's
    pairs to ``emit`` and returns the statement items left unmatched."""
    async def one_pass(items: list[Item], find: Callable[[list[Item]], Awaitable[list[tuple[Item, _Cand]]]], how: str) -> list[Item]:
        left: list[Item] = []
        for at in range(0, len(items), size):
            page = items[at:at + size]
            found = await find(page)
            await emit(found, how)
            paired = {s.key for s, _ in found}
            left += [s for s in page if s.key not in paired]
        return left

    lonely: list[Item] = []
    async for items in pages:
        lonely += await one_pass(items, m.by_reference, "reference")
    left = await one_pass(lonely, m.by_amount, "amount_date")
    return left


async def match_paged(statements: list[Item], expected: list[Item], scope: str,
                      size: int = MATCH_PAGE, stats: dict[str, int] | None = None) -> tuple[list[Pair], list[Pair], list[Item], list[Item]]:
    """:func:`match` as a period's run does it (the ledger items in temporary tables, the
    statement items ``size`` at a time), on lists: the same four buckets, each in the statement's
    (or the ledger's) order. In a transaction of its own. ``stats`` (when given) gets the number
    of forced pairs (``forced``: :meth:`_Matching._force`)."""
    statements = sorted(statements, key=_statement_order)
    pairs: list[Pair] = []
    async with in_transaction() as conn:
        m = _Matching(conn, scope)
        await m.create()
        try:
            for s in statements:
                m.note_statement(s)
            await m.flush()
            for at in range(0, len(expected), ENTRY_PAGE):
                await m.add_items(expected[at:at + ENTRY_PAGE])
            await m.index()
            if stats is not None:
                stats["forced"] = m.n_forced

            async def emit(found: list[tuple[Item, _Cand]], how: str) -> None:
                full = await m.full([c.n for _, c in found])
                pairs.extend(Pair(scope, full[c.n].kind, s, full[c.n], how) for s, c in found)

            async def pages() -> AsyncIterator[list[Item]]:
                yield statements

            left = await _two_passes(m, pages(), emit, size)
            lonely = [i async for page in m.lonely() for i in page]
        finally:
            await m.drop()
    pairs.sort(key=lambda p: _statement_order(p.statement))
    return ([p for p in pairs if _same_amount(p.statement, p.ledger)], [p for p in pairs if not _same_amount(p.statement, p.ledger)],
            left, lonely)


class _Side:
    """One statement's side of a run (bank or Stripe): its lines, its matcher, its totals."""

    def __init__(self, conn: Any, report: Report, scope: str):
        self.report, self.scope = report, scope
        self.m = _Matching(conn, scope, (report.district_id, report.period_start, report.period_end))
        self.lines = _StatementLines(conn, report.district_id, scope, report.period_start, report.period_end)
        self.fee_members: list[int] = []  # Stripe's separate fee debits: compared in total with the ledger's fees
        self.stripe_fees = self.n_lines = self.n_statement = 0
        self.ledger_fees = [0]  # the processor fees the ledger posted with escrow:card in the period

    def items_of(self, lines: list[_Line], first: bool = False) -> list[Item]:
        """The statement items of a page of lines (``first``: the first pass, which counts)."""
        if self.scope == BANK:
            return [_bank_item(line) for line in lines]
        out = []
        for line in lines:
            item, _txn_type, fee = _stripe_item(line)
            if first:
                self.stripe_fees += fee + (-line.amount_paise if item.kind == "card_fee" else 0)
                self.n_lines += 1
                if item.kind == "card_fee":
                    self.fee_members.append(line.id)
            if item.kind != "card_fee":
                out.append(item)
        return out

    async def open(self) -> None:
        """The tables, and the first pass over the lines: what they could quote."""
        await self.m.create()
        await self.lines.create()
        if self.scope == BANK:  # what _bank_item would give, without building the lines or their items
            note = self.m.note
            async for rows in self.lines.texts():
                for r in rows:  # the reference begins the text: its words are the text's
                    reference = r["reference"] or ""
                    note(f"{reference} {r['description'] or ''}".lower(), _refs(reference), refs_in_text=True, amount=int(r["amount_paise"]))
                self.n_statement += len(rows)
                await self.m.flush()
            return
        async for lines in self.lines.pages():
            for s in self.items_of(lines, first=True):
                self.m.note_statement(s)
                self.n_statement += 1
            await self.m.flush()

    async def close(self) -> None:
        await self.lines.drop()
        await self.m.drop()

    async def match(self, pairs: _Pairs, problems: list[Message], progress: Callable[[int], None] | None) -> None:
        """Match the statement against the ledger items added to the matcher, a page at a time."""
        report, scope, m = self.report, self.scope, self.m
        await m.index()
        n_ledger = await m.counts()
        report.counts[scope] = {"statement": self.n_statement if scope == BANK else self.n_lines, "ledger": n_ledger}
        first_differing = len(report.differing)
        seen_statements = taken_in_period = n_bulk = 0
        if scope == BANK and pairs.light and pairs.marks is not None:  # a recording run: most forced pairs marked in bulk
            n_bulk, taken_in_period = await m.take_forced(self.lines.table, pairs.marks, max(pairs.keep - report.n_matched, 0))
            seen_statements = n_bulk
            if progress and n_bulk:
                progress(n_bulk)

        async def emit(found: list[tuple[Item, _Cand]], how: str) -> None:
            nonlocal seen_statements, taken_in_period
            full = await m.full([c.n for s, c in found if pairs.wants_full(scope, s, c)])
            for s, c in found:
                item = full.get(c.n) or Item("ledger", c.kind, c.key, c.date, c.amount_paise, in_period=c.in_period, scope=scope)
                taken_in_period += item.in_period
                seen_statements += 1
                await pairs.add(Pair(scope, item.kind, s, item, how))

        async def statement_items() -> AsyncIterator[list[Item]]:
            async for lines in self.lines.pages():  # (those taken in bulk are no longer there)
                items = self.items_of(lines)
                yield items
                if progress:
                    progress(len(items))

        left = await _two_passes(m, statement_items(), emit)
        report.n_matched += n_bulk  # (after pass 1: which pairs it keeps for the report counts from the first line)
        lonely_ledger = [i async for page in m.lonely() for i in page]
        # the report lists each bucket in the statement's order (pass 2's pairs were found after pass 1's);
        # the matched pairs kept are sorted when the sides are put together (:func:`_merge_sides`)
        report.differing[first_differing:] = sorted(report.differing[first_differing:], key=lambda p: _statement_order(p.statement))
        if seen_statements + len(left) != self.n_statement or len({i.key for i in left}) != len(left):
            problems.append(Message(f"{scope}: statement lines were dropped or counted twice", f"{scope}: विवरण की पंक्तियाँ छूटीं या दो बार गिनी गईं"))
        if taken_in_period + len(lonely_ledger) != n_ledger:
            problems.append(Message(f"{scope}: ledger items were dropped or counted twice", f"{scope}: बही की मदें छूटीं या दो बार गिनी गईं"))
        if scope == STRIPE:
            stripe_fee_total, fee_ledger_total = self.stripe_fees, self.ledger_fees[0]
            s_fee = Item(STRIPE, "card_fee", "fees:stripe", report.period_end, -stripe_fee_total, "",
                         f"Stripe fees in the period ({count_en(self.n_lines, 'transaction')})", members=tuple(self.fee_members), scope=STRIPE)
            l_fee = Item("ledger", "card_fee", "fees:ledger", report.period_end, -fee_ledger_total, "processor_fees",
                         "processor fees posted with escrow:card movements in the period", scope=STRIPE)
            if stripe_fee_total and fee_ledger_total:
                await pairs.add(Pair(STRIPE, "card_fee", s_fee, l_fee, "total"))
            elif stripe_fee_total:
                left.append(s_fee)
            elif fee_ledger_total:
                lonely_ledger.append(l_fee)
            if self.n_statement + len(self.fee_members) != self.n_lines:
                problems.append(Message("a Stripe transaction is missing from the report", "रिपोर्ट में एक Stripe लेन-देन छूट गया है"))
        report.unmatched_statement += left
        report.unmatched_ledger += lonely_ledger


async def build_report(district_id: int, period_start: dt.date, period_end: dt.date,
                       progress: Callable[[int], None] | None = None, on_total: Callable[[int], None] | None = None, *,
                       on_pair: Callable[[Pair], Any] | None = None, keep_matched: int | None = None,
                       checkpoint: bool = False, light_pairs: bool = False, pairs_any_order: bool = False,
                       marks: _Marks | None = None) -> Report:
    """The reconciliation of one period, read-only (:func:`reconcile` also records it).

    The report counts every matched pair (``n_matched``) and keeps the first ``keep_matched`` of
    them to show (KEEP_MATCHED unless given), and every finding (differing pairs, unmatched items); ``on_pair`` (a function or
    a coroutine function) is given every pair, matched or differing, as it is found, so that a run
    over a district's week holds a page at a time (:func:`export_csv` writes them all).
    ``checkpoint``: also keep every account's closing balance (``report.closing``) for
    :func:`reconcile` to record as the next period's starting point. ``light_pairs``: ``on_pair``
    reads only the kind, key, amount and date of a pair's ledger item, so the pairs the report
    does not keep come with only those (the others' reference and text are not read back).
    ``pairs_any_order``: ``on_pair`` may be given the bank's and Stripe's pairs interleaved (each
    side's in its order), so the two sides are matched side by side. ``marks``: every pair's mark
    goes there (:class:`_Marks`, what :func:`reconcile` records) instead of to ``on_pair``.

    A large period's Stripe side runs in a process of its own (:func:`worker_wanted`, decision 153)
    when the pairs need not come to ``on_pair`` one by one (none asked for, or ``marks``): its
    report, problems and marks come back when it ends, and are put together with the bank's as
    when it ran here."""
    if period_end < period_start:
        raise ValueError("the period ends before it starts")
    if marks is not None:
        on_pair = marks.add
    district = await District.get(id=district_id)
    report = Report(district_id, district.code, period_start, period_end)
    lo, hi = period_bounds(period_start, period_end)
    keep = KEEP_MATCHED if keep_matched is None else keep_matched
    base, own_connection = connections.get("default"), beside_possible()
    if base.capabilities.dialect == "postgres":
        # the statements' statistics brought up to date first (a sample: about 0.2 s at a million
        # lines): a week's lines imported since the last analysis lie past the value dates the
        # planner knows, so it took the week's lines to be a few hundred and read them once for
        # each of the period's imports (0.5 s a side, 40 ms with the statistics; decision 144)
        await base.execute_script('ANALYZE "statement_import"; ANALYZE "statement_line"')
    async with in_transaction() as conn, contextlib.AsyncExitStack() as stack:  # one consistent view of the books
        max_id = (await LedgerEntry.filter(district_id=district_id).annotate(m=Max("id")).first().values("m") or {}).get("m") or 0
        report.through_entry_id = max_id

        async def rolled() -> tuple[dict[str, Any], list[AccountRoll], list[Message], bool]:
            # a checkpoint's check (decision 159): the books' rewrite count, and the entries of its
            # own ids (_late_window), each read before and after the sums: nothing changed meanwhile
            found: dict[str, Any] = {}
            window = await _late_window(max_id) if checkpoint else 0
            before = (await ledger_rewrites.count(), await _entries_checksum(hi, max_id, window)) if checkpoint else None
            accounts, rolled_problems = await roll_forward(district_id, lo, hi, max_id, found)
            unchanged = checkpoint and not rolled_problems and before[0] is not None and \
                (await ledger_rewrites.count(), await _entries_checksum(hi, max_id, window)) == before
            found["checksum"] = before[1] if before else None
            found["rewrites"] = before[0] if before else None
            found["window_from"] = window
            return found, accounts, rolled_problems, unchanged

        async def rolled_beside() -> tuple[dict[str, Any], list[AccountRoll], list[Message], bool]:
            async with beside(base):
                return await rolled()

        # the roll-forward (the week's postings summed per account: the database's work) on a
        # connection of its own, beside the matching (mostly Python's), when there can be one
        rolling = asyncio.ensure_future(rolled_beside()) if own_connection else None
        # each side (bank, Stripe) fills a report of its own, put together in that order at the end: the
        # two sides then run side by side (one's Python while the database works for the other) when
        # the order ``on_pair`` is given the pairs in does not matter (``pairs_any_order``, or none)
        # the Stripe side in a transaction on a connection of its own when there can be one: its
        # temporary tables, and SQLite's work on them, beside the bank side's (decision 144)
        worker = None
        if own_connection and (on_pair is None or marks is not None) and await worker_wanted(base, district_id, period_start, period_end):
            worker = await _SideWorker.start(base, {"district_id": district_id, "district_code": district.code,
                                                    "period": [period_start.isoformat(), period_end.isoformat()],
                                                    "max_id": max_id, "keep": keep, "light": light_pairs, "marks": marks is not None,
                                                    "scope": WORKER_SCOPE})
        second = conn if worker is not None or not own_connection else await stack.enter_async_context(own_transaction(base))
        sides = [_Side(c, Report(district_id, district.code, period_start, period_end), scope) for c, scope in ((conn, BANK), (second, STRIPE))]
        side_pairs = [_Pairs(side.report, keep, on_pair, light_pairs, marks) for side in sides]
        side_problems: list[list[Message]] = [[], []]
        together = on_pair is None or pairs_any_order
        bank, stripe = sides
        try:
            if rolling is None:
                found, report.accounts, roll_problems, unchanged = await rolled()
            if on_total:
                on_total(await StatementLine.filter(statement__district_id=district_id, value_date__gte=period_start,
                                                    value_date__lte=period_end).count())
            reader = base if own_connection and base.capabilities.dialect == "postgres" else None
            if worker is not None:  # one side here, the other (WORKER_SCOPE) in the worker, side by side
                far = 1 if WORKER_SCOPE == STRIPE else 0
                near = 1 - far

                async def apart() -> None:
                    sides[far].report, side_problems[far], their_marks = await worker.result(progress)
                    if marks is not None and their_marks is not None:
                        marks.merge(their_marks)

                await _each(True, [_side_alone(sides[near], side_pairs[near], side_problems[near], lo, hi, max_id, progress, reader),
                                   apart()])
                if rolling is not None:
                    found, report.accounts, roll_problems, unchanged = await rolling
                return _finished(report, sides, side_problems, keep, found, roll_problems, unchanged, hi, max_id)
            await _each(together, [side.open() for side in sides])
            # on PostgreSQL the week's entries are read on a connection of their own too (its server
            # process answers while this one builds the items); not on SQLite, where the second
            # connection's thread holds Python's lock to build its rows (measured 7 s slower at 1M)
            expected = _expected(district_id, period_start, period_end, lo, hi, max_id, stripe.ledger_fees, reader)
            async with aclosing(expected):  # it reads ahead: closed at once if this stops early
                async for bank_items, card_items in expected:
                    await _each(True, [bank.m.add_items(bank_items), stripe.m.add_items(card_items)])
            await _each(together, [side.match(p, problems, progress) for side, p, problems in zip(sides, side_pairs, side_problems)])
            if rolling is not None:
                found, report.accounts, roll_problems, unchanged = await rolling
        finally:
            if worker is not None:  # ended already, or stopped here (this side failed)
                await worker.stop()
            if rolling is not None and not rolling.done():  # this failed: its own connection is let finish and closed
                with contextlib.suppress(Exception):
                    await rolling
            await stripe.close()
            await bank.close()
    return _finished(report, sides, side_problems, keep, found, roll_problems, unchanged, hi, max_id)


#: a period with at least this many statement lines (bank and Stripe) has its Stripe side matched
#: in a worker process (``EMITRA_RECONCILE_WORKER=auto``): below it, starting the process (about
#: half a second) costs more than it gives
WORKER_LINES = 20_000


async def worker_wanted(base: Any, district_id: int, start: dt.date, end: dt.date) -> bool:
    """Whether a run of the period matches its Stripe side in a process of its own, by
    ``EMITRA_RECONCILE_WORKER`` (:func:`core.config.reconcile_worker`): ``never``; ``always``; or
    ``auto`` (the default): when the period has WORKER_LINES statement lines or more. ``base``: the
    connection outside any transaction; the caller checks that another connection to the
    database is possible (:func:`core.db.beside_possible`)."""
    how = config.reconcile_worker()
    if how != "auto":
        return how == "always" and _worker_url(base) is not None
    lines = await StatementLine.filter(statement__district_id=district_id, value_date__gte=start, value_date__lte=end).count()
    return lines >= WORKER_LINES and _worker_url(base) is not None


def _worker_url(base: Any) -> str | None:
    """The database URL a worker process connects with, naming the database of ``base`` (the
    connection outside any transaction): a SQLite file's path; for PostgreSQL the configured
    ``EMITRA_DATABASE_URL`` when it names the same database, else None (no worker: the run stays
    in this process)."""
    if base.capabilities.dialect != "postgres":
        name = getattr(base, "filename", "")
        return f"sqlite://{name}" if name and name != ":memory:" else None
    url = config.database_url()
    try:
        from urllib.parse import urlsplit

        parts = urlsplit(url)
        same = (parts.hostname or "", parts.port or 5432, parts.path.strip("/"), parts.username or "") == \
            (base.host or "", int(base.port), base.database, base.user or "")
    except (ValueError, AttributeError):
        return None
    return url if same else None


#: the side matched in the worker process
WORKER_SCOPE = STRIPE
#: how a worker process is started (this Python, the same environment but for the database URL)
WORKER_COMMAND = (sys.executable, "-m", "emitra.core.reconcile_worker")


class WorkerFailed(RuntimeError):
    """The worker process of a run's Stripe side ended without its result: the run is not recorded."""


class _SideWorker:
    """A run's Stripe side in a process of its own (``python -m emitra.core.reconcile_worker``):
    the job as JSON on its input, then on its output a line ``progress <n>`` for each page of
    lines matched, and ``result`` followed by the pickled (report, problems, marks). The database
    URL goes in its environment, never on its command line (where ``ps`` would show a password)."""

    def __init__(self, proc: asyncio.subprocess.Process):
        self.proc = proc

    @classmethod
    async def start(cls, base: Any, job: dict[str, Any]) -> "_SideWorker":
        env = dict(os.environ, EMITRA_DATABASE_URL=_worker_url(base) or "")
        proc = await asyncio.create_subprocess_exec(*WORKER_COMMAND, stdin=asyncio.subprocess.PIPE,
                                                    stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env)
        assert proc.stdin is not None
        proc.stdin.write(json.dumps(job).encode())
        await proc.stdin.drain()
        proc.stdin.close()
        return cls(proc)

    async def result(self, progress: Callable[[int], None] | None) -> tuple[Report, list[Message], _Marks | None]:
        proc = self.proc
        assert proc.stdout is not None and proc.stderr is not None
        errors = asyncio.ensure_future(proc.stderr.read())  # read beside: a full pipe would stop the worker
        data = None
        while line := await proc.stdout.readline():
            if line.startswith(b"progress "):
                if progress:
                    progress(int(line.split()[1]))
            elif line == b"result\n":
                data = await proc.stdout.read()
                break
        code = await proc.wait()
        said = (await errors).decode("utf-8", "replace").strip().splitlines()
        if code != 0 or data is None:
            raise WorkerFailed(f"the reconciliation's Stripe side failed in its worker process (exit {code}): "
                               f"{said[-1] if said else 'no message'}")
        return pickle.loads(data)

    async def stop(self) -> None:
        if self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.kill()
            await self.proc.wait()


async def run_worker_job(job: dict[str, Any], say: Callable[[bytes], None]) -> bytes:
    """In the worker process (core/reconcile_worker.py): the Stripe side of the run ``job``
    describes, read and matched as :func:`build_report` does it here; returns the pickled
    (report, problems, marks). ``say`` writes a line of progress."""
    start, end = (dt.date.fromisoformat(d) for d in job["period"])
    lo, hi = period_bounds(start, end)
    base = connections.get("default")
    reader = base if base.capabilities.dialect == "postgres" else None
    marks = _Marks() if job["marks"] else None
    problems: list[Message] = []
    async with in_transaction() as conn:
        side = _Side(conn, Report(job["district_id"], job["district_code"], start, end), job["scope"])
        pairs = _Pairs(side.report, job["keep"], marks.add if marks is not None else None, job["light"], marks)
        try:
            await _side_alone(side, pairs, problems, lo, hi, job["max_id"], lambda n: say(f"progress {n}\n".encode()), reader)
        finally:
            await side.close()
    return pickle.dumps((side.report, problems, marks), protocol=pickle.HIGHEST_PROTOCOL)


def _finished(report: Report, sides: list[_Side], side_problems: list[list[Message]], keep: int, found: dict[str, Any],
              roll_problems: list[Message], unchanged: bool, hi: dt.datetime, max_id: int) -> Report:
    """The sides' reports put together into ``report``, with the roll-forward's findings."""
    _merge_sides(report, [side.report for side in sides], keep)
    problems = [p for side in side_problems for p in side]
    report.opening_from = found["checkpoint"].as_of if found.get("checkpoint") else None
    if unchanged:
        report.closing = {"as_of": hi, "through_id": max_id, "checksum": found["checksum"], "balances": found["closing"],
                          "rewrites": found["rewrites"], "window_from": found["window_from"]}
    report.problems = roll_problems + problems
    return report


async def _side_alone(side: _Side, pairs: _Pairs, problems: list[Message], lo: dt.datetime, hi: dt.datetime, max_id: int,
                      progress: Callable[[int], None] | None, reader: Any = None) -> None:
    """One side of a run on its own: its lines, the ledger's items of its side alone (one read of
    the window's entries for it), matched. The bank's here while the Stripe side runs in a worker
    process, and the Stripe side's in that process (core/reconcile_worker.py)."""
    report = side.report
    await side.open()
    expected = _expected(report.district_id, report.period_start, report.period_end, lo, hi, max_id, side.ledger_fees, reader,
                         scopes=(side.scope,))
    async with aclosing(expected):
        async for bank_items, card_items in expected:
            await side.m.add_items(bank_items if side.scope == BANK else card_items)
    await side.match(pairs, problems, progress)


async def _each(together: bool, runs: list[Coroutine[Any, Any, Any]]) -> None:
    """Await ``runs`` side by side (``together``) or one after the other, in order. Side by side,
    the first failure is raised once every run has ended (none is left running on the
    transaction's connection)."""
    if not together:
        for i, run in enumerate(runs):
            try:
                await run
            except BaseException:
                for rest in runs[i + 1:]:
                    rest.close()  # never started
                raise
        return
    done = await asyncio.gather(*runs, return_exceptions=True)
    for outcome in done:
        if isinstance(outcome, BaseException):
            raise outcome


def _merge_sides(report: Report, sides: list[Report], keep: int) -> None:
    """Put the sides' reports into ``report``, in order, as one run over both would have filled it:
    the matched pairs kept are the first ``keep`` found (the bank's before Stripe's), each side's
    in the statement's order."""
    for side in sides:
        report.n_matched += side.n_matched
        room = max(keep - len(report.matched), 0)
        report.matched += sorted(side.matched[:room], key=lambda p: _statement_order(p.statement))
        report.deposits += side.deposits
        report.differing += side.differing
        report.unmatched_statement += side.unmatched_statement
        report.unmatched_ledger += side.unmatched_ledger
        report.counts.update(side.counts)


def _dayend():
    try:
        return importlib.import_module("emitra.core.dayend")
    except ModuleNotFoundError:
        return None


def can_confirm_deposits() -> bool:
    module = _dayend()
    return module is not None and callable(getattr(module, "confirm_deposits", None))


async def reconcile(actor: audit.Actor, district_id: int, period_start: dt.date, period_end: dt.date, *,
                    confirm_deposits: bool = False, progress: Callable[[int], None] | None = None,
                    on_total: Callable[[int], None] | None = None, today: dt.date | None = None) -> Report:
    """Reconcile one period and record it: each statement line of the period keeps what it was
    matched to (``matched_kind``/``matched_id``; differing lines are marked ``differing:<kind>``),
    and the audit log keeps the summary. With ``confirm_deposits``, every day-end deposit matched
    exactly (same amount) is confirmed through ``core.dayend.confirm_deposit``, unless the run has
    problems (``report.problems``: the books do not roll forward or balance, or the run dropped
    something): then none is, and a note says why. A period that has
    not begun (after ``today``, the counters' today by default) is refused: :class:`WeekNotBegun`."""
    from emitra.core import reconcile_saved

    today = today or clock.today()
    if period_start > today:
        raise WeekNotBegun(period_start, period_end, today)

    before = await reconcile_saved.inputs(district_id, period_end)
    marks = _Marks()
    report = await build_report(district_id, period_start, period_end, progress, on_total, marks=marks, checkpoint=True,
                                light_pairs=True, pairs_any_order=True)
    async with in_transaction():
        await ledger.execute_many(  # what an earlier run of this period marked, unmarked; then this run's marks
            'UPDATE "statement_line" SET "matched_kind" = \'\', "matched_id" = \'\' WHERE "statement_id" IN '
            '(SELECT "id" FROM "statement_import" WHERE "district_id" = ?) AND "value_date" >= ? AND "value_date" <= ? '
            'AND ("matched_kind" <> \'\' OR "matched_id" <> \'\')', [[district_id, period_start, period_end]])
        await _write_marks(marks)
        if report.closing is not None:  # the next period's opening balances start here (decision 37)
            entries, id_sum = report.closing["checksum"]
            await BalanceCheckpoint.create(district_id=district_id, as_of=report.closing["as_of"], through_id=report.closing["through_id"],
                                           entries=entries, id_sum=id_sum, rewrites=report.closing["rewrites"],
                                           window_from=report.closing["window_from"],
                                           balances={a: v for a, v in report.closing["balances"].items() if v})
        await audit.record(actor, "reconciliation.run", None, district_id=district_id, detail={
            "period": [period_start.isoformat(), period_end.isoformat()], "ok": report.ok,
            "matched": report.matched_count, "differing": len(report.differing),
            "unmatched_statement": len(report.unmatched_statement), "unmatched_ledger": len(report.unmatched_ledger),
            "accounts": len(report.accounts), "problems": [str(p) for p in report.problems[:20]],
            "opening_from": report.opening_from.isoformat() if report.opening_from else None, "checkpoint": report.closing is not None})
    report.recorded = True
    if confirm_deposits and report.problems:  # the run is unsound (the books or the run itself): no entry is posted on it
        report.notes.append(Message(
            "No deposit was confirmed: this run found the problems listed. Put them right (docs/reconciliation.md, section 6) "
            "and run the week again to confirm its deposits.",
            "कोई जमा पुष्ट नहीं की गई: इस रन में ऊपर लिखी समस्याएँ मिलीं। उन्हें ठीक करें (docs/reconciliation.md, खंड 6) और "
            "सप्ताह की जमा पुष्ट करने के लिए उसे फिर से चलाएँ।"))
    elif confirm_deposits:
        await _confirm(actor, report)
    await reconcile_saved.save(report, before, recorded_by=actor.name)  # what the page shows of the week from now on
    return report


class _Marks:
    """What each statement line of a run was matched to, kept compactly until the run is recorded
    (a district's week is a hundred thousand lines): the line's id, the kind, and the ledger key,
    an entry's as its id."""

    def __init__(self) -> None:
        self.lines, self.kinds, self.keys = array("q"), array("H"), array("q")
        self.kind_names: list[str] = []
        self.kind_codes: dict[str, int] = {}  # a kind's place in kind_names
        self.texts: list[str] = []  # keys that are not entry:<id> (a deposit's slip:<no>, fees:ledger)

    def add(self, pair: Pair) -> None:
        kind = pair.kind if _same_amount(pair.statement, pair.ledger) else f"differing:{pair.kind}"[:20]
        code, at = self._code(kind), self._key(pair.ledger.key)
        for line_id in _line_ids(pair.statement):
            self.lines.append(line_id)
            self.kinds.append(code)
            self.keys.append(at)

    def add_line(self, line_id: int, kind: str, ledger_key: str) -> None:
        """The mark of one statement line: matched to the ledger's item ``ledger_key`` as ``kind``."""
        self.lines.append(line_id)
        self.kinds.append(self._code(kind))
        self.keys.append(self._key(ledger_key))

    def _code(self, kind: str) -> int:
        code = self.kind_codes.get(kind)
        if code is None:
            code = self.kind_codes[kind] = len(self.kind_names)
            self.kind_names.append(kind)
        return code

    def _key(self, ledger_key: str) -> int:
        """An entry's key as its id; another (a slip, the fees) as minus its place in :attr:`texts`."""
        key = ledger_key[:60]
        number = key.removeprefix("entry:")
        if key.startswith("entry:") and number.isdigit() and str(int(number)) == number:
            return int(number)
        self.texts.append(key)
        return -len(self.texts)

    def merge(self, other: "_Marks") -> None:
        """Add ``other``'s marks (a worker process's side, in its order) after these."""
        codes = [self._code(kind) for kind in other.kind_names]
        base = len(self.texts)
        self.texts += other.texts
        self.lines += other.lines
        self.kinds += array("H", (codes[c] for c in other.kinds))
        self.keys += array("q", (k if k >= 0 else k - base for k in other.keys))

    def rows(self, size: int = 5000) -> Iterable[list[list[Any]]]:
        for at in range(0, len(self.lines), size):
            yield [[self.kind_names[self.kinds[i]], f"entry:{self.keys[i]}" if self.keys[i] >= 0 else self.texts[-self.keys[i] - 1],
                    self.lines[i]] for i in range(at, min(at + size, len(self.lines)))]


async def _write_marks(marks: _Marks) -> None:
    """Each statement line's match, in the current transaction: an UPDATE per line on SQLite (one
    executemany), on PostgreSQL the marks copied into a temporary table and joined in one UPDATE
    (an UPDATE per line there took 2.8 s of a month's 330,000 lines)."""
    conn = connections.get("default")
    if conn.capabilities.dialect != "postgres":
        for chunk in marks.rows():
            await ledger.execute_many('UPDATE "statement_line" SET "matched_kind" = ?, "matched_id" = ? WHERE "id" = ?', chunk)
        return
    table = f"rec_mark_{secrets.token_hex(4)}"
    await conn.execute_script(f'CREATE TEMPORARY TABLE {table} (kind TEXT, key TEXT, id BIGINT) ON COMMIT DROP')
    for chunk in marks.rows(50_000):
        await insert_rows(conn, table, ["kind", "key", "id"], chunk)
    await conn.execute_script(f'UPDATE "statement_line" AS l SET "matched_kind" = m.kind, "matched_id" = m.key FROM {table} m WHERE l."id" = m.id')


def _line_ids(item: Item) -> list[int]:
    return [item.line_id] if item.line_id else list(item.members)


async def _confirm(actor: audit.Actor, report: Report) -> None:
    module = _dayend()
    if not can_confirm_deposits():
        report.notes.append(Message("Deposits cannot be confirmed here: this installation has no core/dayend.py confirm_deposits.",
                                    "यहाँ जमा की पुष्टि नहीं हो सकती: इस इंस्टॉलेशन में core/dayend.py confirm_deposits नहीं है।"))
        return
    pairs = [p for p in report.deposits if not p.ledger.status.startswith("confirmed")]
    open_ = {d.id: d for d in await DayEnd.filter(id__in=[p.ledger.day_end_id for p in pairs], confirmed_at=None)}
    pairs = [p for p in pairs if p.ledger.day_end_id in open_]
    # the bank line's reference in its stored form (money.bank_reference: capitals, no spaces); a
    # line without one: the line itself (STATEMENT#<import>LINE<n>), which no other line of any import is
    results = await module.confirm_deposits(actor, [(open_[p.ledger.day_end_id],
                                                     (bank_reference(p.statement.reference)
                                                      or bank_reference(f"statement #{p.statement.statement_id} line {p.statement.line_no}"))[:100],
                                                     p.statement.amount_paise, p.statement.date) for p in pairs])
    for p, result in zip(pairs, results):
        slip = open_[p.ledger.day_end_id].slip_no
        if isinstance(result, Exception):  # one refusal does not stop the others; it is reported
            report.notes.append(Message(f"slip {slip}: not confirmed: {getattr(result, 'message_en', None) or result}",
                                        f"पर्ची {slip}: पुष्टि नहीं हुई: {getattr(result, 'message_hi', None) or result}"))
        else:
            report.confirmed.append(slip)
            p.ledger.status = "confirmed"
