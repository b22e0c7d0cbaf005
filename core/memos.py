"""The memos the core writes on ledger entries, read back in Hindi for a Hindi page (decision 146).

A ledger entry's memo is written once, in English, and never changed: an entry is immutable, and
the readers take a bank reference, a deposit slip or a Stripe id from its words
(``settlement._memo_reference``, the reconciliation's ``_SLIP`` and ``_ID_IN_TEXT``, migration
0028's ``_IMPORT_MEMO``). So a memo is not stored twice, nor as a kind and parameters: a Hindi page
shows :func:`hindi` of the stored text, the memo matched against the forms the core writes
(:data:`FORMS`, one for each ``ledger.post`` of the core, and the texts the reconciliation gives
its own items) and its parts (receipt, slip, counter, bank reference, Stripe id) put into a Hindi
sentence, a service its code names by its Hindi title (:func:`_service`, decision 151). The
reconciliation's CSV and workbook read the memos so too (``core/reconcile.export_csv``'s ``memo``). Every entry ever posted is read so, the memos written before this module included; a
memo no form matches (a plugin's own, one cut at 300 characters, an older wording) is shown as
stored.

A writer that changes a memo's words changes its form here too: tests/test_memos.py reads back in
Hindi every memo a week of the books holds, and the payout's and Stripe's memos from their writers.
"""

from __future__ import annotations

import re
from typing import Callable

from emitra.core.plugins import get_host

#: the payment methods' short names in Hindi, as a memo names them (``upi``, ``cheque``); a method
#: not listed keeps its code
METHODS_HI = {"cash": "नकद", "upi": "यूपीआई", "card": "कार्ड", "cheque": "चेक", "dd": "डिमांड ड्राफ़्ट"}


_METHOD = "|".join(METHODS_HI)  # a payment's memo names one of these (three words of any other kind are not taken for one)


def _method(code: str) -> str:
    return METHODS_HI.get(code, code)


def _service(code: str) -> str:
    """The service ``code`` names by its Hindi title, as the counter's pages show it (``title_hi``,
    which every service declares), a service refused by the Society's policy too; its code when no
    plugin installed declares it any more (decision 151)."""
    host = get_host()
    service = host.registry.get(code) or host.all_declared.get(code)
    return service.title_hi if service is not None and service.title_hi else code


def _lines(n: str) -> str:
    return f"{n} पंक्ति" if n == "1" else f"{n} पंक्तियाँ"


def _late(late: str | None) -> str:
    return f", {late} देर से" if late else ""


_Hindi = Callable[[re.Match[str]], str]

#: (the English memo as the core writes it, its Hindi): the first form that matches the whole memo
#: is used, so a form whose words another's would take (``cheque cleared R1`` is also three words
#: like a payment's ``svc cash R1``) comes first
FORMS: list[tuple[re.Pattern[str], _Hindi]] = [(re.compile(en), hi) for en, hi in (
    # core/dayend.py: the counter's day end, its deposit confirmed, a wallet topped up or refunded
    # a day end's count corrected (decision 162): its adjusting entry
    (r"day end (?P<counter>\S+) (?P<date>\S+) slip (?P<slip>\S+) count corrected (?P<old>\S+) to (?P<new>\S+)",
     lambda m: f"दिवस-समापन {m['counter']} {m['date']}, जमा पर्ची {m['slip']}: गिनती {m['old']} से {m['new']} सुधारी गई"),
    (r"day end (?P<counter>\S+) (?P<date>\S+) slip (?P<slip>\S+)",
     lambda m: f"दिवस-समापन {m['counter']} {m['date']}, जमा पर्ची {m['slip']}"),
    # core/reconcile.py: what the reconciliation itself says of a slip not yet in the bank, and of the fees in total
    (r"day end (?P<counter>\S+) (?P<date>\S+): deposit in transit",
     lambda m: f"दिवस-समापन {m['counter']} {m['date']}: बैंक के रास्ते में जमा राशि"),
    (r"processor fees posted with escrow:card movements in the period",
     lambda m: "अवधि में escrow:card की गतिविधियों के साथ दर्ज प्रोसेसर शुल्क"),
    (r"Stripe fees in the period \((?P<n>\d+) transactions?\)",
     lambda m: f"अवधि में Stripe के शुल्क ({m['n']} लेन-देन)"),
    (r"deposit (?P<slip>\S+) bank ref (?P<ref>.+)",
     lambda m: f"जमा पर्ची {m['slip']} की राशि बैंक में जमा, बैंक संदर्भ {m['ref']}"),
    (r"wallet top-up (?P<counter>\S+) ref (?P<ref>.+)",
     lambda m: f"काउंटर {m['counter']} का वॉलेट टॉप-अप, संदर्भ {m['ref']}"),
    (r"refund of closed counters' wallets to LSP (?P<lsp>\S+) ref (?P<ref>.+)",
     lambda m: f"बंद काउंटरों के वॉलेट की राशि एलएसपी {m['lsp']} को लौटाई, संदर्भ {m['ref']}"),
    # core/onboarding.py: a closed counter's wallet moved on
    (r"wallet of closed counter (?P<counter>\S+) to LSP (?P<lsp>\S+) \(to refund\)",
     lambda m: f"बंद काउंटर {m['counter']} का वॉलेट एलएसपी {m['lsp']} को (लौटाने के लिए)"),
    (r"wallet of closed counter (?P<counter>\S+) to (?P<target>\S+)",
     lambda m: f"बंद काउंटर {m['counter']} का वॉलेट काउंटर {m['target']} को"),
    # core/settlement.py: a payout to an LSP ("payment(s)" as written before decision 136), a remittance, service charges paid
    (r"settlement (?P<ref>\S+): (?P<n>\d+) payment(?:s|\(s\))? by (?P<method>\S+) to LSP (?P<lsp>\S+?)(?:, (?P<late>\d+) late)?",
     lambda m: f"निपटान {m['ref']}: {m['n']} भुगतान, {_method(m['method'])} से, एलएसपी {m['lsp']} को{_late(m['late'])}"),
    (r"remittance to (?P<provider>.+) (?P<start>\d{4}-\d{2}-\d{2}) to (?P<end>\d{4}-\d{2}-\d{2}): (?P<n>\d+) lines",
     lambda m: f"{m['provider']} को प्रेषण, {m['start']} से {m['end']}: {_lines(m['n'])}"),
    (r"service charges paid by (?P<provider>.+) (?P<start>\d{4}-\d{2}-\d{2}) to (?P<end>\d{4}-\d{2}-\d{2}) bank ref (?P<ref>.+)",
     lambda m: f"{m['provider']} द्वारा सेवा शुल्क का भुगतान, {m['start']} से {m['end']}, बैंक संदर्भ {m['ref']}"),
    # core/reconcile.py, core/statement_withdraw.py: what a Stripe file posts, and its withdrawal
    (r"Stripe payout (?P<po>\S+) \((?P<txn>\S+)\) to the Society's bank",
     lambda m: f"Stripe पेआउट {m['po']} ({m['txn']}) सोसायटी के बैंक खाते में"),
    (r"Stripe fee (?P<txn>\S+) \((?P<what>[^()]+)\)",
     lambda m: f"Stripe शुल्क {m['txn']} ({m['what']})"),
    (r"Stripe import #(?P<id>\d+) withdrawn: reverses (?P<key>\S+) \((?P<memo>.*)\)",
     lambda m: f"Stripe आयात #{m['id']} वापस लिया गया: {m['key']} को उलटता है ({hindi(m['memo'])})"),
    # core/bank_lines.py: a bank statement line booked as the bank's charges or interest (decision 156)
    (r"bank (?P<what>charges|interest): statement line (?P<line>\d+) of import #(?P<id>\d+) \((?P<date>[^,()]+)(?:, ref «(?P<ref>[^«»]*)»)?\): (?P<why>.*)",
     lambda m: f"{'बैंक शुल्क' if m['what'] == 'charges' else 'बैंक ब्याज'}: आयात #{m['id']} की विवरण पंक्ति {m['line']} ({m['date']}"
               f"{', संदर्भ «' + m['ref'] + '»' if m['ref'] else ''}): {m['why']}"),
    # core/bank_lines.py: such a booking reversed when its statement was withdrawn (decision 161)
    (r"bank (?P<what>charges|interest) of statement line (?P<line>\d+) of import #(?P<id>\d+) \((?P<date>[^()]+)\) reversed, "
     r"the import withdrawn \(file «(?P<file>[^«»]*)»\): reverses (?P<key>\S+)",
     lambda m: f"{'बैंक शुल्क' if m['what'] == 'charges' else 'बैंक ब्याज'} उलटा गया: आयात #{m['id']} की विवरण पंक्ति {m['line']} "
               f"({m['date']}), आयात वापस लिया गया (फ़ाइल «{m['file']}»); {m['key']} को उलटता है"),
    # core/upi_refunds.py, core/counter.py, core/refunds.py, core/payment_methods/card.py: refunds and cancellations
    (r"UPI refund to the citizen of (?P<receipt>\S+) ref (?P<transfer>\S+) returned by the bank ref (?P<ref>.+)",
     lambda m: f"रसीद {m['receipt']} के नागरिक को यूपीआई धनवापसी (संदर्भ {m['transfer']}) बैंक ने लौटाई, बैंक संदर्भ {m['ref']}"),
    (r"UPI refund to the citizen of (?P<receipt>\S+) ref (?P<ref>.+)",
     lambda m: f"रसीद {m['receipt']} के नागरिक को यूपीआई धनवापसी, संदर्भ {m['ref']}"),
    (r"(?P<service>\S+) cancelled (?P<receipt>\S+): refunded to the card (?P<refund>\S+)",
     lambda m: f"{_service(m['service'])} रद्द, रसीद {m['receipt']}: कार्ड में धनवापसी {m['refund']}"),
    (r"(?P<service>\S+) cancelled (?P<receipt>\S+): refund owed to the citizen's UPI account",
     lambda m: f"{_service(m['service'])} रद्द, रसीद {m['receipt']}: नागरिक के यूपीआई खाते में धनवापसी देय"),
    (r"(?P<service>\S+) cancelled (?P<receipt>\S+)",
     lambda m: f"{_service(m['service'])} रद्द, रसीद {m['receipt']}"),
    (r"card refunded (?P<receipt>\S+)",
     lambda m: f"कार्ड में धनवापसी, रसीद {m['receipt']}"),
    (r"card: LSP share to (?P<destination>\S+) (?P<receipt>\S+)",
     lambda m: f"कार्ड: एलएसपी का हिस्सा {m['destination']} को, रसीद {m['receipt']}"),
    # core/counter.py: a cheque, draft or UPI payment cleared, and a payment taken
    (rf"(?P<method>{_METHOD}) cleared (?P<receipt>\S+)",
     lambda m: f"{_method(m['method'])} समाशोधित, रसीद {m['receipt']}"),
    (rf"(?P<service>\S+) (?P<method>{_METHOD}) (?P<receipt>\S+)",
     lambda m: f"{_service(m['service'])}: {_method(m['method'])} से भुगतान, रसीद {m['receipt']}"),
)]


def hindi(memo: str) -> str:
    """``memo`` in Hindi when it is one the core writes (:data:`FORMS`); else ``memo`` as stored."""
    for form, said in FORMS:
        found = form.fullmatch(memo or "")
        if found:
            return said(found)
    return memo
