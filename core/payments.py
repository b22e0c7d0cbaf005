"""Payment methods, each a plugin, and what every method shares: where collected money sits,
how the service charge is split, pending payments confirmed or failed exactly once.

A method is registered through ``emitra_register_payment_methods(register)``. Cash is immediate:
the money is in the drawer when the receipt prints. Cheques, drafts, cards and UPI are *pending*:
the request waits (status ``payment_pending``) until the bank or the provider confirms; a bounce or
decline reverses everything the payment posted and reopens what it paid for.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from emitra.core import ledger
from emitra.core.money import split

if TYPE_CHECKING:
    from emitra.core.models import Counter, Payment, ServiceRequest


@dataclass
class PaymentMethod:
    """How a citizen pays. Subclass and register an instance from a plugin."""

    code: str  # cash, cheque, dd, card, upi
    title_en: str
    title_hi: str
    immediate: bool = False  # cash is; the rest wait for a confirmation
    #: post the collection when the payment starts (a cheque in hand) or only once confirmed (card, UPI)
    post_on_start: bool = False
    #: what the operator types (a JSON Schema object, same conventions as service forms)
    form: dict[str, Any] = field(default_factory=lambda: {"type": "object", "properties": {}})
    plugin: str = ""

    #: may the counter withdraw it while it is pending, when the citizen leaves without paying?
    #: (a card or UPI collection; never a cheque, which is the bank's to clear or bounce)
    withdrawable: bool = False

    def collection_account(self, counter: "Counter") -> str:
        """Where the money sits once received (debited when the payment is posted)."""
        return f"counter_cash:{counter.code}"

    async def withdraw(self, actor: Any, payment: "Payment", request: "ServiceRequest") -> str:
        """Stop a pending payment at its provider before the counter fails it (``withdrawable``
        methods only). Return ``"withdrawn"`` when the provider will take no money on it any more
        (or none it will not give back), ``"paid"`` when the provider says the citizen has paid
        (the method has then confirmed the payment itself). Raise :class:`PaymentError` (field
        ``payment``) when the provider cannot say yet: nothing was changed. This default tells no
        provider anything: a method whose provider cannot be asked (UPI collect by QR) relies on
        the late-success rule of its confirmations instead."""
        return "withdrawn"

    async def start(self, payment: "Payment", request: "ServiceRequest", counter: "Counter") -> dict[str, Any]:
        """Begin a pending payment: return what the counter shows (a QR code, a card client secret...).
        Stored in ``payment.details``."""
        return {}


class PaymentError(ValueError):
    """A payment refused, naming the field; ``retry_later``: the provider could not say yet, so
    the same step may work in a minute (nothing was changed)."""

    def __init__(self, field: str, message_en: str, message_hi: str, retry_later: bool = False):
        super().__init__(f"{field}: {message_en}")
        self.field = field
        self.message_en = message_en
        self.message_hi = message_hi
        self.retry_later = retry_later


def fee_shares(counter: "Counter", fee_paise: int) -> list[tuple[str, int]]:
    """The service charge split between the LSP, the kiosk owner and the Society, by the counter's
    basis points, with integer parts that always add up to the whole fee."""
    weights = [counter.split_lsp_bp, counter.split_owner_bp, counter.split_society_bp]
    if fee_paise <= 0 or sum(weights) <= 0:
        return [(f"lsp_fee_payable:{counter.lsp_id}", fee_paise)] if fee_paise else []
    accounts = [f"lsp_fee_payable:{counter.lsp_id}", f"owner_fee_payable:{counter.code}", "society_fee_income"]
    return [(a, p) for a, p in zip(accounts, split(fee_paise, weights)) if p]


def kept_at_counter(counter: "Counter", fee_paise: int) -> int:
    """Of a citizen-paid fee, what the counter keeps back from the cash (the LSP's and owner's shares)."""
    return sum(p for a, p in fee_shares(counter, fee_paise) if not a.startswith("society"))


def collection_lines(counter: "Counter", debit_account: str, total: int, principal: int, owed_to: str,
                     fee: int, payer: str, provider_slug: str, prepaid: bool) -> list[ledger.Line]:
    """The balanced lines of one collection.

    Post-paid: the money received is debited to ``debit_account`` (the drawer, clearing, escrow).
    Prepaid (cash at a wallet counter): the kiosk keeps the cash; its wallet pays the department and
    the Society's share of a citizen-paid fee instead.
    """
    lines: list[ledger.Line] = []
    if principal:
        lines.append(ledger.credit(owed_to, principal))
    shares = fee_shares(counter, fee)
    if payer == "citizen":
        if prepaid:
            society = sum(p for a, p in shares if a == "society_fee_income")
            if society:
                lines.append(ledger.credit("society_fee_income", society))
            lines.append(ledger.debit(f"kiosk_wallet:{counter.code}", principal + society))
            return lines
        lines += [ledger.credit(a, p) for a, p in shares]
    elif fee:
        receivable = "dept_fee_receivable" if payer == "department" else "partner_fee_receivable"
        lines.append(ledger.debit(f"{receivable}:{provider_slug}", fee))
        lines += [ledger.credit(a, p) for a, p in shares]
    if prepaid:
        lines.append(ledger.debit(f"kiosk_wallet:{counter.code}", principal))
    else:
        lines.append(ledger.debit(debit_account, total))
    return lines


def wallet_debit(lines: list[ledger.Line], counter: "Counter") -> int:
    return sum(l.amount_paise for l in lines if l.account == f"kiosk_wallet:{counter.code}")


_methods: dict[str, PaymentMethod] | None = None


def methods() -> dict[str, PaymentMethod]:
    """The registered payment methods, by code (loaded with the plugins)."""
    from emitra.core.plugins import get_host

    return get_host().payment_methods


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


ALWAYS_ESCROW = ("card", "upi")  # their collections wait in escrow even before their plugins are loaded


def in_escrow(method: PaymentMethod, counter: "Counter") -> bool:
    """Does ``method`` collect into escrow (card, UPI, any plugin's method collecting into ``escrow:``)?"""
    return method.code in ALWAYS_ESCROW or method.collection_account(counter).startswith("escrow:")


def escrow_methods() -> list[str]:
    """The payment methods whose collections wait in escrow, by code."""
    from emitra.core.models import Counter

    anywhere = Counter(code="")  # the collection account of these methods does not depend on the counter
    return sorted({code for code, m in methods().items() if in_escrow(m, anywhere)} | set(ALWAYS_ESCROW))


def closed_at_birth(method: PaymentMethod, counter: "Counter", charge_payer: str) -> bool:
    """Is a new payment closed for settlement as it is made? An escrow payment (card, UPI, any
    method collecting into ``escrow:``) whose service charge the citizen does not pay (a department
    or partner pays it) has no share of the LSP's to pay out of escrow: it is born closed
    (``settled_at`` set with its creation), so no settlement run has to find and mark it
    (a settlement run still closes any written before: core/settlement._candidates, decision 41)."""
    return charge_payer != "citizen" and in_escrow(method, counter)


async def set_split(actor: Any, counter: "Counter", lsp_bp: int, owner_bp: int, society_bp: int) -> "Counter":
    """Set who gets the service charge earned at ``counter`` (basis points adding up to 10000).

    Only the Society admin of the counter's district decides it; the change is audited and applies
    to transactions from now on (what was posted stays as it was)."""
    from tortoise.transactions import in_transaction

    from emitra.core import audit
    from emitra.core.models import Role

    user = actor.user
    if user is None or user.role != Role.SOCIETY_ADMIN or user.district_id != counter.district_id:
        raise PaymentError("role", "Only the Society admin of the counter's district sets the split.",
                           "केवल काउंटर के जिले की सोसायटी एडमिन हिस्सा तय करते हैं।")
    parts = {"lsp": lsp_bp, "owner": owner_bp, "society": society_bp}
    for name, bp in parts.items():
        if not isinstance(bp, int) or isinstance(bp, bool) or bp < 0:
            raise PaymentError(name, f"The {name} share must be a whole number of basis points, 0 or more.",
                               f"{name} का हिस्सा 0 या अधिक बेसिस पॉइंट की पूर्ण संख्या होना चाहिए।")
    if sum(parts.values()) != 10000:
        raise PaymentError("split", f"The shares add up to {sum(parts.values())} basis points; they must add up to 10000 (100%).",
                           f"हिस्सों का योग {sum(parts.values())} बेसिस पॉइंट है; योग 10000 (100%) होना चाहिए।")
    before = {"lsp": counter.split_lsp_bp, "owner": counter.split_owner_bp, "society": counter.split_society_bp}
    async with in_transaction():
        counter.split_lsp_bp, counter.split_owner_bp, counter.split_society_bp = lsp_bp, owner_bp, society_bp
        await counter.save(update_fields=["split_lsp_bp", "split_owner_bp", "split_society_bp"])
        await audit.record(actor, "counter.split", counter, district_id=counter.district_id, counter_id=counter.id,
                           detail={"before": before, "after": parts})
    return counter
