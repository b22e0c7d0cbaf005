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
}


def label(key: str) -> str:
    return gettext_(TEXTS[key]) if key in TEXTS else key
