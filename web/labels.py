"""Texts chosen at run time (a role, a payer, a counter kind), listed so gettext extracts them."""

from __future__ import annotations

from emitra.web.i18n import gettext_


def N_(message: str) -> str:
    """Mark a string for extraction without translating it now."""
    return message


TEXTS = {
    "role.state_admin": N_("State admin"),
    "role.society_admin": N_("Society admin"),
    "role.lsp_admin": N_("LSP admin"),
    "role.operator": N_("Counter operator"),
    "role.department_officer": N_("Department officer"),
    "role.citizen": N_("Citizen"),
    "payer.citizen": N_("paid by the citizen"),
    "payer.department": N_("paid by the department"),
    "payer.partner": N_("paid by the partner"),
    "who.citizen": N_("Citizen"),
    "who.department": N_("Department"),
    "who.partner": N_("Partner"),
    "kind.lokmitra": N_("LokMitra centre (urban)"),
    "kind.janmitra": N_("JanMitra kiosk (rural)"),
    "method.cash": N_("Cash"),
    # a receipt's state in the counter's lists (the receipt itself says more)
    "request.paid": N_("Paid"),
    "request.submitted": N_("Paid"),
    "request.submission_failed": N_("Paid"),
    "request.cancelled": N_("Cancelled"),
    "request.payment_pending": N_("Payment awaited"),
    "request.payment_failed": N_("Payment failed"),
    "share.lsp": N_("of which to the LSP"),
    "share.owner": N_("of which to the kiosk owner"),
    "share.society": N_("of which to the e-Mitra Society"),
    # a date's day of the week (date.weekday(): Monday is 0), on the Holidays page
    "weekday.0": N_("Monday"),
    "weekday.1": N_("Tuesday"),
    "weekday.2": N_("Wednesday"),
    "weekday.3": N_("Thursday"),
    "weekday.4": N_("Friday"),
    "weekday.5": N_("Saturday"),
    "weekday.6": N_("Sunday"),
    # who made an audit entry when no user did (core/audit.Actor.name: "(" + via + ")")
    "by.(system)": N_("(e-Mitra itself)"),
    "by.(cli)": N_("(command line)"),
    "by.(webhook)": N_("(payment gateway)"),
    "by.(web)": N_("(web page, not logged in)"),
    "by.(api)": N_("(API)"),
}


def label(key: str) -> str:
    return gettext_(TEXTS[key]) if key in TEXTS else key


#: What each ledger account holds, by its kind (the part of ``kind:party`` before the colon) or, for
#: an account whose parties differ in kind (``escrow:card``, ``escrow:upi``), by its whole name: the
#: accounts of docs/money.md ("The accounts"). The pages name an account by this, its party after it
#: and the ledger's name small beside it for the accountant; an account not listed shows its name.
ACCOUNTS = {
    "counter_cash": N_("Cash in the counter's drawer"),
    "deposit_in_transit": N_("Cash deposits in transit"),
    "cash_over_short": N_("Cash shortages and excesses"),
    "society_bank": N_("Society's bank account"),
    "escrow:card": N_("Card collections not yet paid onwards"),
    "escrow:upi": N_("UPI collections not yet paid onwards"),
    "escrow": N_("Card and UPI collections not yet paid onwards"),
    "cheques_in_clearing": N_("Cheques and drafts in clearing"),
    "processor_fees": N_("Card processing fees"),
    "kiosk_wallet": N_("Prepaid counter's wallet"),
    "wallet_refund_payable": N_("Wallet balances of closed counters, to be refunded"),
    "upi_refund_payable": N_("UPI refund owed to a citizen"),
    "dept_payable": N_("Principal owed to the department or partner"),
    "dept_fee_receivable": N_("Service charges the department owes"),
    "partner_fee_receivable": N_("Service charges and commissions the partner owes"),
    "lsp_fee_payable": N_("LSP's share of service charges"),
    "owner_fee_payable": N_("Kiosk owner's share of service charges"),
    "lsp_sales": N_("LSP's own sales (photocopy, fax, internet)"),
    "society_fee_income": N_("Society's share of service charges"),
    "bank_charges": N_("Bank charges"),
    "bank_interest": N_("Interest paid by the bank"),
}


def account_label(account: str, party: str | None = None) -> str:
    """An account in words in the page's language: what it holds, and after it whose it is (``party``:
    the party's name where the caller knows it, else the party of the name: a counter's code, a
    receipt number); the account's own name when it is not listed. ``escrow:upi`` names no party."""
    kind, _sep, own = account.partition(":")
    if account in ACCOUNTS:
        return gettext_(ACCOUNTS[account])
    if kind not in ACCOUNTS:
        return account
    party = party or own
    return f"{gettext_(ACCOUNTS[kind])}: {party}" if party else gettext_(ACCOUNTS[kind])


#: What each audit action did, for the audit log on the home page (decision 118). The code stays
#: beside it, small, for the auditor; a code missing here shows as itself. ``tests/test_audit_labels.py``
#: checks every action the code records is listed.
AUDIT_ACTIONS = {
    "auth.code_failed": N_("Sign-in code wrong or expired"),
    "auth.code_locked": N_("Sign-in by code locked after wrong codes"),
    "auth.code_lock_lifted": N_("Sign-in by code: the day's lock lifted at a counter, the citizen's identity seen"),
    "auth.code_login": N_("Citizen signed in with a code sent by SMS"),
    "auth.code_sent": N_("Sign-in code sent by SMS"),
    "auth.code_unregistered": N_("Sign-in code asked for a mobile no one is registered with: none sent"),
    "auth.login": N_("Logged in"),
    "auth.login_failed": N_("Log-in failed"),
    "auth.locked": N_("Log-in locked after failures"),
    "auth.logout": N_("Logged out"),
    "auth.sessions_ended": N_("Sessions ended: counter closed or mobile changed"),
    "auth.token_issued": N_("API token issued"),
    "book.digest": N_("Complaint book digest sent"),
    "book.entry": N_("Complaint book entry recorded"),
    "statement.line_booked": N_("Bank statement line booked as bank charges or interest"),
    "card.amount_mismatch": N_("Card payment of a different amount"),
    "card.cancel_refund_confirmed": N_("Card refund of a cancellation confirmed"),
    "card.cancel_refund_created": N_("Card refund of a cancellation made"),
    "card.cancel_refund_not_made": N_("Card refund of a cancellation not made"),
    "card.cancel_refund_requested": N_("Card refund of a cancellation requested"),
    "card.intent_created": N_("Card payment started"),
    "card.intent_found": N_("Card payment found at the gateway"),
    "card.intent_requested": N_("Card payment requested"),
    "card.intent_unknown": N_("Card payment's outcome unknown"),
    "card.late_success_refund_refused": N_("Refund of a late card payment refused"),
    "card.late_success_refunded": N_("Late card payment refunded"),
    "card.partial_refund": N_("Card payment partly refunded"),
    "card.refund_created": N_("Card refund made"),
    "card.refund_not_booked": N_("Card refund of an unbooked payment"),
    "card.refund_not_made": N_("Card refund not made"),
    "card.refund_requested": N_("Card refund requested"),
    "card.transfer_booked": N_("Card transfer to the LSP booked"),
    "case.acknowledge": N_("Application acknowledged"),
    "case.approve": N_("Application approved"),
    "case.call_for_verification": N_("Called for verification"),
    "case.close": N_("Case closed"),
    "case.collect": N_("Handed over to the citizen"),
    "case.correction_attached": N_("Corrected document attached"),
    "case.escalated": N_("Case escalated"),
    "case.overdue_at_top": N_("Case overdue at the top level"),
    "case.forward": N_("Case forwarded"),
    "case.inspected": N_("Inspection done"),
    "case.issue": N_("Certificate issued for the case"),
    "case.message_lang": N_("Case's message language changed"),
    "case.moved": N_("Case moved to another counter"),
    "case.opened": N_("Case opened"),
    "case.reject": N_("Application rejected"),
    "case.remark": N_("Remark added"),
    "case.resolve": N_("Grievance resolved"),
    "case.resubmit": N_("Application resubmitted"),
    "case.return": N_("Returned for correction"),
    "case.revoke": N_("Certificate revoked for the case"),
    "case.sla_breached": N_("Case past its time limit"),
    "certificate.issued": N_("Certificate issued"),
    "certificate.revoked": N_("Certificate revoked"),
    "citizen.lookups_refused": N_("Citizen look-ups refused"),
    "citizen.mobile_change_asked": N_("Code sent to a new mobile number, to change the citizen's"),
    "citizen.mobile_change_refused": N_("Change of mobile refused: the new number is someone else's"),
    "citizen.mobile_changed": N_("Citizen's registered mobile changed"),
    "citizen.register": N_("Citizen registered"),
    "claim.paid": N_("Department fee claim paid"),
    "counter.closed": N_("Counter closed"),
    "counter.created": N_("Counter licensed"),
    "counter.reopened": N_("Counter reopened"),
    "counter.service_disabled": N_("Service turned off at a counter"),
    "counter.service_enabled": N_("Service turned on at a counter"),
    "counter.split": N_("Service charge split changed"),
    "counter.updated": N_("Counter's name changed"),
    "dayend.closed": N_("Day closed"),
    "dayend.count_corrected": N_("Day end count corrected"),
    "dayend.deposit_confirmed": N_("Deposit confirmed"),
    "demo.district": N_("Demo district loaded"),
    "demo.load": N_("Demo data loaded"),
    "demo.month": N_("Demo month loaded"),
    "dispatch.acknowledged": N_("Dispatch acknowledged"),
    "dispatch.prepared": N_("Dispatch prepared"),
    "district.created": N_("District created"),
    "document.drop": N_("Held scan removed from its form"),
    "document.expire": N_("Held scan deleted (its hour passed or its form was recorded)"),
    "document.held_refused": N_("Held scan refused: another session's or form's"),
    "document.upload": N_("Document uploaded"),
    "fee.override": N_("Fee changed for the district"),
    "grievance.filed_online": N_("Grievance filed online"),
    "holiday.added": N_("Holiday added"),
    "holiday.removed": N_("Holiday removed"),
    "ledger.drawer_totals_rebuilt": N_("Cash drawer totals written again from the books"),
    "ledger.entry_figures_rebuilt": N_("Ledger entries' reconciliation figures written again from the postings"),
    "inspection.closed": N_("Inspection closed"),
    "inspection.recorded": N_("Inspection recorded"),
    "lsp.created": N_("LSP appointed"),
    "lsp.price": N_("LSP's price changed"),
    "mis.rebuild": N_("MIS figures rebuilt"),
    "mis_report.return": N_("MIS report returned"),
    "mis_report.submit": N_("MIS report submitted"),
    "mis_report.vet": N_("MIS report vetted"),
    "payment.confirmed": N_("Payment confirmed"),
    "payment.failed": N_("Payment failed"),
    "payment.refunded": N_("Payment refunded"),
    "policy.approved": N_("Policy approval given"),
    "policy.refused": N_("Service refused by policy"),
    "policy.revoked": N_("Policy approval withdrawn"),
    "policy.rule_added": N_("Policy rule added"),
    "policy.rule_changed": N_("Policy rule changed"),
    "reconciliation.run": N_("Reconciliation run"),
    "remittance.posted": N_("Remittance to a department posted"),
    "request.cancelled": N_("Receipt cancelled"),
    "request.message_lang": N_("Receipt's message language changed"),
    "request.paid": N_("Service paid"),
    "request.payment_failed": N_("Payment failed"),
    "request.payment_pending": N_("Service taken, payment awaited"),
    "request.submission_failed": N_("Hand-over to the department failed"),
    "request.submitted": N_("Handed over to the department"),
    "settlement.paid": N_("Settlement paid to the LSP"),
    "society.updated": N_("Society's details changed"),
    "statement.imported": N_("Bank statement imported"),
    "statement.withdrawn": N_("Bank statement withdrawn"),
    "upi.late_success": N_("Late UPI payment received"),
    "upi.refund_returned": N_("UPI refund returned"),
    "upi.refund_sent": N_("UPI refund sent"),
    "user.created": N_("User added"),
    "user.deactivated": N_("User deactivated"),
    "user.citizen_login_created": N_("Citizen's sign-in made at their first code"),
    "user.language": N_("Language changed"),
    "user.moved": N_("Operator moved to another counter"),
    "user.password_changed": N_("Password changed"),
    "user.reactivated": N_("User reactivated"),
    "user.renamed": N_("User's names changed"),
    "wallet.refunded": N_("Wallet refunded to the LSP"),
    "wallet.topped_up": N_("Wallet topped up"),
}

#: What an audit entry is about (its model's class name), read as "Day end 427".
AUDIT_OBJECTS = {
    "BookEntry": N_("Complaint book entry"),
    "Case": N_("Case"),
    "Certificate": N_("Certificate"),
    "Citizen": N_("Citizen"),
    "CitizenCode": N_("Sign-in code"),
    "Counter": N_("Counter"),
    "DayEnd": N_("Day end"),
    "Dispatch": N_("Dispatch"),
    "District": N_("District"),
    "DistrictHoliday": N_("Holiday"),
    "Document": N_("Document"),
    "FeeOverride": N_("Fee"),
    "Inspection": N_("Inspection"),
    "LSP": N_("LSP"),
    "LspPrice": N_("LSP price"),
    "MisReport": N_("MIS report"),
    "Payment": N_("Payment"),
    "PolicyApproval": N_("Policy approval"),
    "PolicyRule": N_("Policy rule"),
    "ServiceRequest": N_("Service request"),
    "Society": N_("Society"),
    "StatementImport": N_("Bank statement"),
    "User": N_("User"),
    "Wallet": N_("Wallet"),
}


def audit_action(code: str) -> str:
    """An audit action's label in the page's language; the code itself when it has none."""
    return gettext_(AUDIT_ACTIONS[code]) if code in AUDIT_ACTIONS else code


def audit_by(actor_name: str) -> str:
    """Who made an audit entry, in the page's language where it was no user (decision 201)."""
    return label(f"by.{actor_name}") if f"by.{actor_name}" in TEXTS else actor_name


def audit_object(object_type: str, object_id: str) -> str:
    """What an audit entry is about ("Day end 427"); the class name for an unlisted kind."""
    kind = gettext_(AUDIT_OBJECTS[object_type]) if object_type in AUDIT_OBJECTS else object_type
    return f"{kind} {object_id}".strip()
