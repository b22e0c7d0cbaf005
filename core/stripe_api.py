"""Every call emitra makes to Stripe, in one module, through the official ``stripe`` library.

Nothing here keeps state between calls: each function takes a :class:`StripeSettings` (the API
key, the API base, the timeout...) and builds its own ``stripe.StripeClient`` for that call, so
tests and districts with different keys never share a global ``stripe.api_key``. The library is
synchronous (``requests`` underneath); each call runs in a worker thread, so a slow Stripe never
blocks the event loop that serves the counters.

Money crosses the border in exactly one place: :func:`minor_units` turns our integer paise into
Stripe's minor units (and :func:`paise_from_minor` reads them back). INR's minor unit *is* the
paisa, so the number does not change, but the currency is checked every time: no float, no
rounding, no other currency slips in.

Errors come back as :class:`StripeFailure` with a ``kind`` the caller can act on:

- ``unreachable``: a timeout or a lost connection: Stripe may or may not have done it. Retry
  with the same idempotency key; Stripe returns what it did the first time.
- ``server``: Stripe answered 5xx after the library's own retries.
- ``refused``: Stripe answered 4xx (bad request, declined, idempotency key reused differently).
- ``auth``: a wrong or missing API key, or a key without the permission.

Settings (environment, read on every call through :func:`settings`):

- ``EMITRA_STRIPE_API_KEY``: the secret key (``sk_live_...``/``sk_test_...``); card payments are
  off without it;
- ``EMITRA_STRIPE_API_BASE``: where the API is (default ``https://api.stripe.com``; the tests
  point it at their fake server on 127.0.0.1);
- ``EMITRA_STRIPE_WEBHOOK_SECRET``: the endpoint's signing secret (``whsec_...``);
- ``EMITRA_STRIPE_LSP_ACCOUNTS``: ``<lsp id>=acct_...,<lsp id>=acct_...``: each LSP's Stripe
  connected account, which receives the LSP's share of a card payment as a destination charge;
- ``EMITRA_STRIPE_TIMEOUT`` (seconds, default 30) and ``EMITRA_STRIPE_MAX_RETRIES`` (default 2).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Mapping

import anyio

if TYPE_CHECKING:  # the library itself is imported when first used: it takes about a second to import
    import stripe

DEFAULT_API_BASE = "https://api.stripe.com"
CURRENCY = "inr"
#: currencies whose minor unit is 1/100 of the major one (the only ones we take)
_TWO_DECIMAL = {"inr"}
_ACCOUNT = re.compile(r"^acct_[A-Za-z0-9]{1,64}$")


class StripeConfigError(ValueError):
    """A setting is missing or malformed; ``setting`` names the environment variable."""

    def __init__(self, setting: str, message: str):
        super().__init__(f"{setting}: {message}")
        self.setting = setting
        self.message = message


class StripeFailure(Exception):
    """A Stripe call that did not succeed; ``kind`` is unreachable, server, refused or auth."""

    def __init__(self, kind: str, message: str, http_status: int | None = None, code: str = ""):
        super().__init__(f"{kind}: {message}")
        self.kind = kind
        self.message = message
        self.http_status = http_status
        self.code = code

    @property
    def outcome_unknown(self) -> bool:
        """Stripe may have done it: only a retry with the same idempotency key can tell."""
        return self.kind == "unreachable"


class WebhookSignatureError(ValueError):
    """A webhook whose ``Stripe-Signature`` does not verify (or is missing, or too old)."""


@dataclass(frozen=True)
class StripeSettings:
    api_key: str
    api_base: str = DEFAULT_API_BASE
    webhook_secret: str = ""
    lsp_accounts: Mapping[int, str] = field(default_factory=dict)
    timeout: float = 30.0
    max_retries: int = 2


def parse_lsp_accounts(text: str) -> dict[int, str]:
    """``"1=acct_1AbC,2=acct_2XyZ"`` -> ``{1: "acct_1AbC", 2: "acct_2XyZ"}``; a bad pair is an error."""
    out: dict[int, str] = {}
    for part in (p.strip() for p in (text or "").split(",")):
        if not part:
            continue
        lsp, sep, account = (s.strip() for s in part.partition("="))
        if not sep or not lsp.isdigit() or not _ACCOUNT.match(account):
            raise StripeConfigError("EMITRA_STRIPE_LSP_ACCOUNTS",
                                    f"{part!r} is not '<lsp id>=acct_...' (e.g. 1=acct_1Nv0FGQ9RKHgCVdK)")
        if int(lsp) in out:
            raise StripeConfigError("EMITRA_STRIPE_LSP_ACCOUNTS", f"LSP {lsp} is given twice")
        out[int(lsp)] = account
    return out


def _number(name: str, default: float, kind: Callable[[str], float]) -> Any:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise StripeConfigError(name, f"{raw!r} is not a number") from None
    if value < 0:
        raise StripeConfigError(name, "must not be negative")
    return value


def configured() -> bool:
    """Whether card payments can be taken here (an API key is set)."""
    return bool(os.environ.get("EMITRA_STRIPE_API_KEY", "").strip())


def webhook_secret() -> str:
    """The webhook endpoint's signing secret (``EMITRA_STRIPE_WEBHOOK_SECRET``); required."""
    secret = os.environ.get("EMITRA_STRIPE_WEBHOOK_SECRET", "").strip()
    if not secret:
        raise StripeConfigError("EMITRA_STRIPE_WEBHOOK_SECRET", "the webhook endpoint's signing secret is not set")
    return secret


def api_base() -> str:
    """Where Stripe is (``EMITRA_STRIPE_API_BASE``; tests point it at a fake), checked."""
    base = os.environ.get("EMITRA_STRIPE_API_BASE", "").strip().rstrip("/") or DEFAULT_API_BASE
    if not re.match(r"^https?://[^\s/]+$", base):
        raise StripeConfigError("EMITRA_STRIPE_API_BASE", f"{base!r} is not a base URL such as https://api.stripe.com")
    return base


def settings() -> StripeSettings:
    """The Stripe settings from the environment (see the module's docstring)."""
    key = os.environ.get("EMITRA_STRIPE_API_KEY", "").strip()
    if not key:
        raise StripeConfigError("EMITRA_STRIPE_API_KEY", "card payments need the Stripe secret key")
    return StripeSettings(
        api_key=key, api_base=api_base(),
        webhook_secret=os.environ.get("EMITRA_STRIPE_WEBHOOK_SECRET", "").strip(),
        lsp_accounts=parse_lsp_accounts(os.environ.get("EMITRA_STRIPE_LSP_ACCOUNTS", "")),
        timeout=float(_number("EMITRA_STRIPE_TIMEOUT", 30.0, float)),
        max_retries=int(_number("EMITRA_STRIPE_MAX_RETRIES", 2, int)),
    )


# -- money at the border ------------------------------------------------------------------------

def minor_units(paise: int, currency: str = CURRENCY) -> int:
    """Our amount (integer paise) as Stripe's ``amount`` in the currency's minor unit.

    The one place an amount is converted for Stripe. Only whole, non-negative paise in INR.
    """
    if not isinstance(paise, int) or isinstance(paise, bool):
        raise TypeError("amounts are whole paise (int), never float")
    if paise < 0:
        raise ValueError("a Stripe amount cannot be negative")
    if currency.lower() not in _TWO_DECIMAL:
        raise ValueError(f"emitra takes card payments in INR only, not {currency!r}")
    return paise  # 1 INR = 100 paise = 100 minor units


def paise_from_minor(amount: Any, currency: str) -> int:
    """A Stripe amount read back as paise (the inverse of :func:`minor_units`)."""
    if not isinstance(amount, int) or isinstance(amount, bool):
        raise ValueError(f"Stripe sent a non-integer amount {amount!r}")
    if str(currency).lower() not in _TWO_DECIMAL:
        raise ValueError(f"Stripe sent an amount in {currency!r}; emitra books INR only")
    return amount


# -- the calls ----------------------------------------------------------------------------------

def _client(s: StripeSettings) -> tuple[stripe.StripeClient, stripe.HTTPClient]:
    import stripe

    http = stripe.RequestsClient(timeout=s.timeout)
    client = stripe.StripeClient(s.api_key, base_addresses={"api": s.api_base}, http_client=http,
                                 max_network_retries=s.max_retries)
    return client, http


def _failure(exc: stripe.StripeError) -> StripeFailure:
    import stripe

    message = (exc.user_message or str(exc) or type(exc).__name__).strip()
    code = str(getattr(exc, "code", "") or "")
    if isinstance(exc, stripe.APIConnectionError):
        return StripeFailure("unreachable", message.splitlines()[-1] if message else "no answer", None, code)
    if isinstance(exc, (stripe.AuthenticationError, stripe.PermissionError)):
        return StripeFailure("auth", message, exc.http_status, code)
    if exc.http_status is not None and exc.http_status >= 500:
        return StripeFailure("server", message, exc.http_status, code)
    return StripeFailure("refused", message, exc.http_status, code)


async def _call(s: StripeSettings, fn: Callable[[stripe.StripeClient], Any]) -> Any:
    """Run one library call in a worker thread with a client of its own; translate its errors."""
    import stripe

    def run() -> Any:
        client, http = _client(s)
        try:
            result = fn(client)
            return result.to_dict() if hasattr(result, "to_dict") else result
        except stripe.StripeError as exc:
            raise _failure(exc) from None
        finally:
            http.close()

    return await anyio.to_thread.run_sync(run)


async def create_payment_intent(
    s: StripeSettings, *, amount_paise: int, idempotency_key: str, description: str,
    metadata: Mapping[str, str], destination: str | None = None, application_fee_paise: int | None = None,
) -> dict[str, Any]:
    """Create a card PaymentIntent. With ``destination``, a destination charge: Stripe moves the
    amount less ``application_fee_paise`` to that connected account when the charge succeeds."""
    params: dict[str, Any] = {
        "amount": minor_units(amount_paise), "currency": CURRENCY, "payment_method_types": ["card"],
        "description": description[:350], "metadata": dict(metadata),
    }
    if destination:
        params["transfer_data"] = {"destination": destination}
        if application_fee_paise:
            params["application_fee_amount"] = minor_units(application_fee_paise)
    return await _call(s, lambda c: c.v1.payment_intents.create(params, {"idempotency_key": idempotency_key}))


async def retrieve_payment_intent(s: StripeSettings, intent_id: str) -> dict[str, Any]:
    return await _call(s, lambda c: c.v1.payment_intents.retrieve(intent_id))


async def cancel_payment_intent(s: StripeSettings, intent_id: str, idempotency_key: str) -> dict[str, Any]:
    return await _call(s, lambda c: c.v1.payment_intents.cancel(
        intent_id, {"cancellation_reason": "abandoned"}, {"idempotency_key": idempotency_key}))


async def create_refund(s: StripeSettings, *, intent_id: str, idempotency_key: str, metadata: Mapping[str, str],
                        reverse_transfer: bool, amount_paise: int | None = None) -> dict[str, Any]:
    """Refund a PaymentIntent, in full or, with ``amount_paise``, that much of it (a cancelled
    booking's refund, which leaves the service charge). ``reverse_transfer`` takes the LSP's share
    back from its connected account (a destination charge), with the application fee."""
    params: dict[str, Any] = {"payment_intent": intent_id, "reason": "requested_by_customer", "metadata": dict(metadata)}
    if amount_paise is not None:
        params["amount"] = minor_units(amount_paise)
    if reverse_transfer:
        params["reverse_transfer"] = True
        params["refund_application_fee"] = True
    return await _call(s, lambda c: c.v1.refunds.create(params, {"idempotency_key": idempotency_key}))


async def balance_transactions(s: StripeSettings, created_gte: int | None = None, created_lt: int | None = None) -> list[dict[str, Any]]:
    """Every balance transaction in the period (unix seconds), all pages, amounts in paise."""
    params: dict[str, Any] = {"limit": 100}
    created = {k: v for k, v in (("gte", created_gte), ("lt", created_lt)) if v is not None}
    if created:
        params["created"] = created

    def fetch(c: stripe.StripeClient) -> list[dict[str, Any]]:
        return [t.to_dict() for t in c.v1.balance_transactions.list(params).auto_paging_iter()]

    rows = await _call(s, fetch)
    for row in rows:
        for name in ("amount", "fee", "net"):
            row[f"{name}_paise"] = paise_from_minor(row.get(name, 0), row.get("currency", ""))
    return rows


def verify_webhook(payload: bytes, signature_header: str | None, secret: str, tolerance: int = 300) -> dict[str, Any]:
    """Check the ``Stripe-Signature`` header with the library's helper; return the event as a dict."""
    import stripe

    if not secret:
        raise StripeConfigError("EMITRA_STRIPE_WEBHOOK_SECRET", "the webhook endpoint's signing secret is not set")
    try:  # the library signs the body's text: bytes that are not UTF-8 (a surrogate's, say) would raise inside it
        payload.decode("utf-8")
    except UnicodeDecodeError:
        raise WebhookSignatureError("the body is not UTF-8 text, as every Stripe event is") from None
    try:
        stripe.WebhookSignature.verify_header(payload, signature_header, secret, tolerance)
    except stripe.SignatureVerificationError as exc:
        raise WebhookSignatureError(str(exc).splitlines()[0]) from None
    try:  # ValueError: also a number Python will not convert (over 4,300 digits); RecursionError: nesting too deep
        event = json.loads(payload)
    except (ValueError, RecursionError):
        raise WebhookSignatureError("the body is not JSON") from None
    if not isinstance(event, dict) or not isinstance(event.get("data"), dict) or not isinstance(event["data"].get("object"), dict) \
            or not isinstance(event.get("id"), str) or not isinstance(event.get("type"), str):
        raise WebhookSignatureError("the body is not a Stripe event (id, type, data.object)")
    return event
