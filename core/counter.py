"""One service taken at a counter: check, quote, price, take cash, record, hand over.

Recording is one database transaction: the request, the payment, the ledger entries and the
audit record are all written, or none is.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from tortoise import connections
from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from emitra.core import audit, cache, clock, documents, fees, forms, ledger, mis, privacy, workflow
from emitra.core.db import placeholders
from emitra.core.ids import make_receipt_no
from emitra.core.money import format_paise, paise_problem
from emitra.core.models import Case, Citizen, Counter, CounterService, District, Document, LspPrice, Payment, RequestStatus, ServiceRequest
from emitra.core.plugins import get_host
from emitra.core.services import Cancellation, FieldError, Payer, Quote, QuoteContext, Service

log = logging.getLogger(__name__)


class CounterError(ValueError):
    """A request the counter cannot take; ``field`` names what to fix."""

    def __init__(self, field: str, message_en: str, message_hi: str):
        super().__init__(f"{field}: {message_en}")
        self.field = field
        self.message_en = message_en
        self.message_hi = message_hi


class IdempotencyConflict(CounterError):
    """The idempotency key was already used for a different request."""


def check_message_lang(value: Any) -> str:
    """``value`` as a request's message language (``en`` or ``hi``: ``notify.MESSAGE_LANGS``, decision 99);
    refused naming ``message_lang``."""
    from emitra.core import notify

    if isinstance(value, str) and value in notify.MESSAGE_LANGS:
        return value
    raise CounterError("message_lang", notify.MESSAGE_LANG_REFUSED_EN, notify.MESSAGE_LANG_REFUSED_HI)


async def last_message_lang(citizen_id: int) -> str:
    """The language the citizen chose for messages the last time one was asked, or "" when never:
    the next form offers it first, and a payment without one keeps it (decision 99). Read from the
    citizen's latest request alone (one step of the citizen_id, id index): every request recorded
    after a choice stores that choice or, given none, this one, so the latest holds the last choice
    if any was made. (Looking back for the latest request that stores one read every request of a
    citizen who never chose, at each of their payments: a frequent payer through the API.)"""
    rows = await ServiceRequest.filter(citizen_id=citizen_id).order_by("-id").limit(1).values_list("message_lang", flat=True)
    return rows[0] if rows else ""


#: the audit action of a request's message language changed after it was recorded (decision 108)
MESSAGE_LANG_CHANGED = "request.message_lang"
#: the audit action of an online grievance's message language changed by the citizen who filed it (decision 111)
CASE_MESSAGE_LANG_CHANGED = "case.message_lang"


async def change_message_lang(actor: audit.Actor, about: ServiceRequest | Case, lang: Any) -> bool:
    """Set the language of the citizen's messages about ``about`` after it was recorded (a wrong
    tick at the counter, the citizen's own choice later; decision 108): a request and the case
    opened from it, or a case that has no request (a grievance filed online, decision 111), in one
    transaction with the audit record (who, from, to). The messages queued from then on follow it;
    those already queued or sent keep theirs. A request's choice, on the latest, is also the one
    the next form offers first (:func:`last_message_lang`). ``lang`` is checked as at the counter
    (refused naming ``message_lang``). Returns False, writing nothing, when it is already that
    language. Who may change which request or case is the caller's to check."""
    chosen = check_message_lang(lang)
    if isinstance(about, Case) and about.request_id is not None:
        raise ValueError("a counter's case takes its language from its request: change the request's")
    async with in_transaction():
        if isinstance(about, Case):  # its acknowledgement and steps: sent in the case's lang
            case = await Case.select_for_update().get(id=about.id)
            locked, before, action, district_id, detail = case, case.lang, CASE_MESSAGE_LANG_CHANGED, case.district_id, {}
        else:
            locked = await ServiceRequest.select_for_update().get(id=about.id)
            before, action, detail = locked.message_lang, MESSAGE_LANG_CHANGED, {"receipt_no": locked.receipt_no}
            case = await Case.get_or_none(request_id=locked.id)
            district_id = (await Counter.filter(id=locked.counter_id).values_list("district_id", flat=True))[0]
        if before == chosen:
            return False
        if isinstance(about, ServiceRequest):
            await ServiceRequest.filter(id=locked.id).update(message_lang=chosen)
        if case is not None:
            await Case.filter(id=case.id).update(lang=chosen)
        await audit.record(actor, action, locked, district_id=district_id, detail={
            **detail, "from": before, "to": chosen, "case": case.number if case else None})
    if isinstance(about, Case):
        about.lang = chosen
    else:
        about.message_lang = chosen
    return True


async def message_lang_changes(about: ServiceRequest | Case) -> list[Any]:
    """The changes of the message language of ``about`` (a request, or a case without one), oldest
    first (their audit records)."""
    from emitra.core.models import AuditLog

    action = MESSAGE_LANG_CHANGED if isinstance(about, ServiceRequest) else CASE_MESSAGE_LANG_CHANGED
    return list(await AuditLog.filter(action=action, object_type=type(about).__name__, object_id=str(about.id)).order_by("id"))


def jsonable(data: dict[str, Any]) -> dict[str, Any]:
    """Form data as it is stored (JSON): decimals become text, so nothing is lost or rounded."""
    return json.loads(json.dumps(data, default=str))


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


async def enabled_codes(counter: Counter) -> set[str]:
    return set(await CounterService.filter(counter=counter, enabled=True).values_list("service_code", flat=True))


async def enabled_services(counter: Counter) -> list[Service]:
    """Services loaded from plugins, enabled at this counter and allowed by policy today, by title."""
    from emitra.core import compliance

    codes = await enabled_codes(counter)
    services = [s for s in get_host().registry if s.code in codes]
    decisions = await compliance.decide_many(services, counter.district_id, counter.lsp_id)
    return sorted((s for s in services if decisions[s.code].allowed), key=lambda s: s.title_en)


class PolicyRefused(CounterError):
    """The policy does not allow this service here today; ``decision`` says which rule."""

    def __init__(self, decision: Any, service: Service):
        self.decision = decision
        if decision.decision == "deny":
            en = f"{service.title_en} is prohibited by rule {decision.rule}: {decision.citation}."
            hi = f"{service.title_hi} नियम {decision.rule} के अंतर्गत प्रतिबंधित है: {decision.citation}।"
        else:
            en = (f"{service.title_en} is restricted by rule {decision.rule} ({decision.citation}); "
                  "your LSP needs the district Society's recorded approval to offer it.")
            hi = (f"{service.title_hi} नियम {decision.rule} के अंतर्गत प्रतिबंधित सेवा है; "
                  "इसे देने के लिए आपके एलएसपी को जिला सोसायटी की दर्ज स्वीकृति चाहिए।")
        super().__init__("service_code", en, hi)


async def check_policy(counter: Counter, service: Service) -> None:
    """Raise :class:`PolicyRefused` unless the policy allows ``service`` at ``counter`` today."""
    from emitra.core import compliance

    decision = await compliance.decide(service, counter.district_id, counter.lsp_id)
    if not decision.allowed:
        raise PolicyRefused(decision, service)


async def set_enabled(actor: audit.Actor, counter: Counter, code: str, enabled: bool) -> Any:
    """Enable or disable the service ``code`` at ``counter`` (audited). Enabling an application
    service some of whose departments have no active officer in the counter's district is done, and
    answered with that :class:`~emitra.core.officers.NoOfficer` for the caller to warn with (the
    officer may be added later: decision 128); otherwise None."""
    service = get_host().registry.get(code)
    if service is None and not enabled and not await CounterService.exists(counter_id=counter.id, service_code=code):
        # disabling what no plugin offers and was never enabled here wrote a row (and an audit
        # record) for a service that does not exist; one left by a removed plugin may still be disabled
        raise CounterError("service_code", f"No loaded plugin offers a service {code!r}, and it is not enabled at {counter.code}.",
                           f"कोई प्लगइन {code!r} सेवा नहीं देता, और यह {counter.code} पर सक्षम नहीं है।")
    if service is None and enabled:
        refused = next((r for r in get_host().registry.refusals if r.service_code == code and r.field == "policy"), None)
        if refused:
            raise CounterError("service_code", f"{code} was refused at plugin load: {refused.message}", f"{code} प्रतिबंधित है: {refused.message}")
        raise CounterError("service_code", f"No loaded plugin offers a service {code!r}.", f"कोई प्लगइन {code!r} सेवा नहीं देता।")
    if enabled:
        try:
            await check_policy(counter, service)
        except PolicyRefused as exc:
            await audit.record(actor, "policy.refused", counter, district_id=counter.district_id, counter_id=counter.id,
                               detail={"service": code, "at": "enable", **exc.decision.as_dict()})
            raise
    from emitra.core import officers

    gap = (await officers.without_officers(counter.district_id, [service])).get(code) if enabled else None
    async with in_transaction():
        row, created = await CounterService.get_or_create(
            counter=counter, service_code=code, defaults={"district_id": counter.district_id, "enabled": enabled}
        )
        if not created and row.enabled != enabled:
            row.enabled = enabled
            await row.save(update_fields=["enabled"])
        await audit.record(
            actor, "counter.service_enabled" if enabled else "counter.service_disabled", counter,
            district_id=counter.district_id, counter_id=counter.id,
            detail={"service": code, **({"no_officer": list(gap.missing)} if gap else {}),
                    **({"no_officer_level": gap.level} if gap and gap.level > 1 else {})},
        )
    return gap


async def operator_counter(counter_id: int) -> Counter:
    """An operator's counter with its LSP (a payment needs both: one query, then the cache's)."""
    return await cache.get("counter+lsp", counter_id, lambda: Counter.get(id=counter_id).select_related("lsp"))


async def service_at(counter: Counter, code: str) -> Service:
    """The service, if loaded and enabled at this (active) counter; else :class:`CounterError`."""
    if not counter.active:
        raise CounterError(
            "counter",
            f"Counter {counter.code} is closed by the Society; it takes no payment until the Society reopens it.",
            f"काउंटर {counter.code} सोसायटी द्वारा बंद किया गया है; सोसायटी द्वारा फिर से खोले जाने तक यह कोई भुगतान नहीं ले सकता।",
        )
    service = get_host().registry.get(code)
    if service is None or not await cache.get("enabled", (counter.id, code),
                                              lambda: CounterService.exists(counter_id=counter.id, service_code=code, enabled=True)):
        raise CounterError(
            "service_code",
            f"Service {code!r} is not offered at counter {counter.code}. Pick one from the list of services enabled here.",
            f"सेवा {code!r} काउंटर {counter.code} पर उपलब्ध नहीं है। यहाँ उपलब्ध सेवाओं में से चुनें।",
        )
    await check_policy(counter, service)
    return service


@dataclass
class Priced:
    """A quote with the published service charge added: what the operator confirms."""

    service: Service
    data: dict[str, Any]
    quote: Quote
    rate: fees.Rate
    ctx: QuoteContext | None = None
    documents: list[Any] = field(default_factory=list)

    @property
    def citizen_total_paise(self) -> int:
        charge = self.rate.fee_paise if self.rate.payer == Payer.CITIZEN else 0
        return self.quote.principal_paise + charge


class ServiceUnavailable(CounterError):
    """The department's or partner's system failed; the service shows as unavailable."""


_district_codes: dict[int, str] = {}


async def district_code(district_id: int) -> str:
    """A district's two-letter code (codes never change, so they are cached per process)."""
    code = _district_codes.get(district_id)
    if code is None:
        code = (await District.get(id=district_id)).code
        _district_codes[district_id] = code
    return code


async def context(counter: Counter, service: Service) -> QuoteContext:
    unit_price = None
    if service.priced_by_lsp:
        row = await cache.get("lsp_price", (counter.lsp_id, service.code),
                              lambda: LspPrice.get_or_none(lsp_id=counter.lsp_id, service_code=service.code))
        if row is None:
            raise CounterError(
                "service_code",
                f"Your LSP has not published its price for {service.title_en}; the LSP admin sets it on the Prices page.",
                f"आपके एलएसपी ने {service.title_hi} का मूल्य प्रकाशित नहीं किया है; एलएसपी एडमिन इसे मूल्य पृष्ठ पर तय करते हैं।",
            )
        unit_price = row.unit_price_paise
    return QuoteContext(counter_code=counter.code, district_code=await district_code(counter.district_id),
                        lsp_id=counter.lsp_id, unit_price_paise=unit_price)


async def price(counter: Counter, service: Service, data: dict[str, Any]) -> Priced:
    """Validate the form against its schema, ask the service for a quote, add the published fee.

    Raises :class:`~emitra.core.forms.FormErrors` naming the wrong fields, and
    :class:`ServiceUnavailable` when the service's system fails, its form cannot be checked or its
    quote is not an amount of paise (logged with the plugin's name).
    """
    check_form(service, data)
    docs = await documents.check_references(counter, service, data)
    ctx = await context(counter, service)
    registry = get_host().registry
    try:
        quote = await service.quote(data, ctx)
    except FieldError as exc:
        registry.mark_available(service.code)
        raise forms.FormErrors([forms.FieldMessage(exc.field, exc.message_en, exc.message_hi)]) from None
    except Exception as exc:
        log.exception("plugin %s failed to quote %s", service.plugin, service.code)
        reason = f"{type(exc).__name__}: {exc}"[:200]
        registry.mark_unavailable(service.code, reason)
        raise ServiceUnavailable(
            "service_code",
            f"{service.provider} is not answering ({reason}). Nothing was charged; try again later or offer another service.",
            f"{service.provider} जवाब नहीं दे रहा ({reason})। कोई शुल्क नहीं लिया गया; बाद में प्रयास करें।",
        ) from None
    shape = (quote_shape_problem(quote) if isinstance(quote, Quote) else
             (f"quote() returned {type(quote).__name__}, not a Quote", f"quote() ने Quote के बजाय {type(quote).__name__} लौटाया"))
    if shape:
        raise _unsound_quote(service, "quote", shape, ("returned an invalid quote", "ने अमान्य कोटेशन लौटाया"))
    wrong = paise_problem(quote.principal_paise)
    if wrong:
        raise _unsound_quote(service, "principal_paise", wrong, ("quoted an invalid amount", "ने अमान्य राशि बताई"))
    registry.mark_available(service.code)
    rate = await fees.published_rate(service, counter.district_id)
    share = fees.commission(service, quote.principal_paise)
    if share is not None:
        rate = fees.Rate(share, rate.payer, "commission")
    return Priced(service, data, quote, rate, ctx, docs)


def _partner_failed(service: Service, method: str, exc: Exception) -> CounterError:
    """A cancellable service's ``refund_quote`` or ``cancel`` raised (the partner's system is down,
    or the plugin is wrong): logged with the plugin's name; the request stays as it was."""
    log.error("plugin %s failed in %s for %s", service.plugin, method, service.code, exc_info=exc)
    why = f"{type(exc).__name__}: {exc}"[:200]
    return CounterError(
        "refund",
        f"Plugin {service.plugin} failed in {method}: {why}. Nothing was cancelled at the counter; cancel again once {service.provider} answers.",
        f"प्लगइन {service.plugin} {method} में विफल रहा: {why}। काउंटर पर कुछ भी रद्द नहीं हुआ; "
        f"{service.provider_hi or service.provider} के जवाब देने पर फिर से रद्द करें।")


def _unsound_quote(service: Service, field: str, wrong: tuple[str, str], did: tuple[str, str]) -> ServiceUnavailable:
    """A quote the counter cannot take (``wrong``, in English and Hindi): logged with the plugin's
    name, the service marked unavailable until a later quote is sound; nothing is charged."""
    log.error("plugin %s %s for %s: %s %s", service.plugin, did[0], service.code, field, wrong[0])
    get_host().registry.mark_unavailable(service.code, f"{did[0]}: {wrong[0]}"[:200])
    return ServiceUnavailable(
        field,
        f"Plugin {service.plugin} {did[0]}: {wrong[0]}. Nothing was charged; the service is unavailable until its plugin is corrected.",
        f"प्लगइन {service.plugin} {did[1]}: {wrong[1]}। कोई शुल्क नहीं लिया गया; प्लगइन ठीक होने तक यह सेवा उपलब्ध नहीं है।")


def quote_shape_problem(quote: Quote) -> tuple[str, str] | None:
    """What in a quote's ``reference`` and ``details`` the confirmation page and the receipt could
    not show (English, Hindi), or None: the reference is text, and each detail a dict with the text
    ``label_en``, ``label_hi`` and ``value`` (a whole number is shown as it is), ``value_hi`` text if given."""
    if not isinstance(quote.reference, str):
        return (f"reference is {type(quote.reference).__name__}, not text",
                f"reference ({type(quote.reference).__name__}) पाठ नहीं है")
    if not isinstance(quote.details, list):
        return (f"details is {type(quote.details).__name__}, not a list of {{'label_en', 'label_hi', 'value'}}",
                f"details ({type(quote.details).__name__}) {{'label_en', 'label_hi', 'value'}} की सूची नहीं है")
    for i, row in enumerate(quote.details):
        got = row if isinstance(row, dict) else {}
        bad = [k for k in ("label_en", "label_hi", "value") if not isinstance(got.get(k), str)
               and not (k == "value" and isinstance(got.get(k), int) and not isinstance(got.get(k), bool))]
        if isinstance(row, dict) and "value_hi" in row and not isinstance(row["value_hi"], str):
            bad.append("value_hi")
        if bad:
            return (f"details[{i}] has no text {', '.join(repr(k) for k in bad)}; each detail is {{'label_en', 'label_hi', 'value'}}",
                    f"details[{i}] में {', '.join(repr(k) for k in bad)} पाठ नहीं है")
    return None


def check_form(service: Service, data: dict[str, Any], step: int | None = None) -> None:
    """Validate ``data`` against the service's form (only the fields of steps up to ``step``, when
    given). Raise :class:`~emitra.core.forms.FormErrors` naming the wrong fields; a form that cannot
    be checked at all (a schema its plugin got wrong) makes the service unavailable, logged with the
    plugin's name: never an error page."""
    try:
        if step is None:
            forms.validate(service.form, data)
        else:
            forms.validate_step(service.form, data, step)
    except forms.FormErrors:
        raise
    except Exception as exc:
        log.exception("plugin %s: the form of %s cannot be checked", service.plugin, service.code)
        reason = f"its form cannot be checked ({type(exc).__name__})"
        get_host().registry.mark_unavailable(service.code, reason)
        raise ServiceUnavailable(
            "service_code",
            f"{service.title_en} is unavailable: {reason}; plugin {service.plugin} must correct it. Nothing was charged; "
            "offer another service.",
            f"{service.title_hi} उपलब्ध नहीं है: इसका फ़ॉर्म जाँचा नहीं जा सकता; प्लगइन {service.plugin} को इसे ठीक करना होगा। "
            "कोई शुल्क नहीं लिया गया; कोई अन्य सेवा दें।",
        ) from None


def new_idempotency_key() -> str:
    return uuid.uuid4().hex


async def record_cash(
    actor: audit.Actor,
    counter: Counter,
    citizen: Citizen,
    service_code: str,
    data: dict[str, Any],
    idempotency_key: str,
    expected_total_paise: int | None = None,
    tendered_paise: int | None = None,
) -> ServiceRequest:
    """Take a cash payment for a service and record it, once (see :func:`record_payment`)."""
    return await record_payment(actor, counter, citizen, service_code, data, idempotency_key, "cash",
                                expected_total_paise=expected_total_paise, tendered_paise=tendered_paise)


class WalletShort(CounterError):
    """A prepaid counter's wallet would go below zero."""


async def record_payment(actor: audit.Actor, counter: Counter, citizen: Citizen, service_code: str, data: dict[str, Any],
                         idempotency_key: str, *args: Any, **kwargs: Any) -> ServiceRequest:
    """Take a payment for a service and record it, once: see :func:`_record_payment` for the arguments.

    Two copies of one request sent at the same moment (a client retrying before its first try was
    answered, two workers) both pass the idempotency check; the database's unique key lets only one
    write, and the other then answers as a replay of it instead of failing."""
    try:
        return await _record_payment(actor, counter, citizen, service_code, data, idempotency_key, *args, **kwargs)
    except IntegrityError:
        if not isinstance(idempotency_key, str) or not await ServiceRequest.exists(idempotency_key=idempotency_key):
            raise
        return await _record_payment(actor, counter, citizen, service_code, data, idempotency_key, *args, **kwargs)


async def _refuse_another_counters_key(counter: Counter, key: str) -> None:
    """Refuse a key that begins with another counter's code (``JP-LM-001-…`` sent by JP-JM-001).

    Keys are unique across every counter, and the keys the API documents are predictable (the
    counter's code, the date, a serial): a counter that took another's next keys first would hold
    them, and that counter's own payments with them would be refused. A key without a hyphen (the
    confirmation page's random ones) or beginning with this counter's own code costs no query."""
    if "-" not in key or key.upper().startswith(counter.code.upper() + "-"):
        return
    parts = key.split("-")
    prefixes = {"-".join(parts[:n]).upper() for n in range(1, len(parts))}

    async def codes() -> frozenset[str]:
        return frozenset(c.upper() for c in await Counter.all().values_list("code", flat=True))

    # every counter's code, read once per cache generation (a load's or a client's keys, "load-…", ask no more)
    owner = max(prefixes & await cache.get("counter_codes", None, codes), key=len, default="")
    if not owner or owner.upper() == counter.code.upper():
        return
    example = f"{counter.code}-{clock.today():%Y%m%d}-0001"
    raise CounterError(
        "idempotency_key",
        f"This idempotency key begins with another counter's code ({owner}); begin your keys with this counter's code "
        f"(for example {example}) and use a new key for each payment.",
        f"यह idempotency key किसी अन्य काउंटर के कोड ({owner}) से शुरू होती है; अपनी keys इस काउंटर के कोड से शुरू करें "
        f"(जैसे {example}) और हर भुगतान के लिए नई key दें।")


async def _record_payment(
    actor: audit.Actor,
    counter: Counter,
    citizen: Citizen,
    service_code: str,
    data: dict[str, Any],
    idempotency_key: str,
    method_code: str = "cash",
    expected_total_paise: int | None = None,
    tendered_paise: int | None = None,
    payment_details: dict[str, Any] | None = None,
    checked: Service | None = None,
    message_lang: str | None = None,
) -> ServiceRequest:
    """Take a payment for a service and record it, once, in one database transaction.

    ``idempotency_key`` comes from the confirmation page (or the API caller): sending the same
    request twice returns the first receipt and writes nothing more. ``expected_total_paise`` is
    what the operator saw and collected; if the amount due has changed since, nothing is written.
    Cash is posted at once and the request handed to the department; a pending method (cheque,
    card, UPI) leaves the request ``payment_pending`` until :func:`confirm_payment`.

    A replay returns the first request with its attribute ``replayed`` set to True.
    ``checked`` is the service as :func:`service_at` returned it a moment ago for this same
    request (the API looks it up first to answer 404 or 403); it is then not looked up again.
    ``message_lang`` (``en`` or ``hi``) is the language the citizen chose for the messages about
    this request; None takes the citizen's last choice, if any (decision 99).
    """
    from emitra.core import payments

    if not isinstance(idempotency_key, str) or not 1 <= len(idempotency_key) <= 64:
        raise CounterError("idempotency_key", "Every payment needs an idempotency key of 1 to 64 characters.", "हर भुगतान के लिए 1 से 64 अक्षरों की idempotency key चाहिए।")
    chosen = check_message_lang(message_lang) if message_lang is not None else None
    previous = await ServiceRequest.get_or_none(idempotency_key=idempotency_key)
    if previous is None or previous.counter_id != counter.id:  # (a replay of this counter's own payment is answered as ever)
        await _refuse_another_counters_key(counter, idempotency_key)
    if previous is not None:
        if previous.counter_id != counter.id:  # nothing of another counter's request is told
            raise IdempotencyConflict(
                "idempotency_key",
                f"This idempotency key was already used at another counter; begin your keys with this counter's code "
                f"(for example {counter.code}-{clock.today():%Y%m%d}-0001) and use a new key for each payment.",
                f"यह idempotency key किसी अन्य काउंटर पर उपयोग हो चुकी है; अपनी keys इस काउंटर के कोड से शुरू करें "
                f"(जैसे {counter.code}-{clock.today():%Y%m%d}-0001) और हर भुगतान के लिए नई key दें।")
        first = await Payment.filter(request_id=previous.id).order_by("id").first()
        cash_given = tendered_paise is not None and getattr(payments.methods().get(method_code), "immediate", False)
        same = (previous.citizen_id, previous.service_code) == (citizen.id, service_code) and (
            first is None or (first.method == method_code and (not cash_given or first.tendered_paise == tendered_paise))) \
            and chosen in (None, previous.message_lang)
        if not same or json.dumps(previous.form_data, sort_keys=True) != json.dumps(jsonable(data), sort_keys=True):
            raise IdempotencyConflict(
                "idempotency_key",
                f"This idempotency key was already used for another request (receipt {previous.receipt_no}); use a new key for a new payment.",
                f"यह idempotency key किसी अन्य अनुरोध (रसीद {previous.receipt_no}) के लिए उपयोग हो चुकी है; नए भुगतान के लिए नई key दें।")
        if previous.status == RequestStatus.PAID:  # recorded, but the server stopped before the hand-over (a crash): finish it now
            await retry_hand_over(actor, previous)
        previous.replayed = True
        return previous
    method = payments.methods().get(method_code)
    if method is None:
        raise CounterError("payment.method", f"{method_code!r} is not a payment method here; use one of: {', '.join(sorted(payments.methods()))}.",
                           f"{method_code!r} यहाँ भुगतान का तरीका नहीं है।")
    if citizen.district_id != counter.district_id:
        raise CounterError("citizen", "This citizen is registered in another district.", "यह नागरिक किसी अन्य जिले में पंजीकृत है।")
    try:
        service = checked if checked is not None and checked.code == service_code else await service_at(counter, service_code)
    except PolicyRefused as exc:
        await audit.record(actor, "policy.refused", counter, district_id=counter.district_id, counter_id=counter.id,
                           detail={"service": service_code, "at": "transaction", **exc.decision.as_dict()})
        raise
    priced = await price(counter, service, data)
    total = priced.citizen_total_paise
    if expected_total_paise is not None and expected_total_paise != total:
        raise CounterError(
            "amount",
            f"The amount to collect is {format_paise(total)}, not {format_paise(expected_total_paise)} (the bill or the fee may have changed); show the citizen the amount and confirm again.",
            f"वसूल की जाने वाली राशि {format_paise(total)} है, {format_paise(expected_total_paise)} नहीं (बिल या शुल्क बदल गया हो सकता है); नागरिक को राशि दिखाकर फिर से पुष्टि करें।",
        )
    if tendered_paise is None or not method.immediate:
        tendered_paise = total
    if tendered_paise < total:
        raise CounterError(
            "tendered",
            f"Cash received ({format_paise(tendered_paise)}) is less than the amount to collect ({format_paise(total)}).",
            f"प्राप्त नकद ({format_paise(tendered_paise)}) वसूल की जाने वाली राशि ({format_paise(total)}) से कम है।",
        )
    code = await district_code(counter.district_id)
    lsp = await counter.lsp if hasattr(counter.lsp, "__await__") else counter.lsp
    prepaid = getattr(lsp, "mode", "postpaid") == "prepaid" and method.immediate
    lines = _collection_lines(counter, service, priced, method.collection_account(counter), prepaid)
    async with in_transaction():
        request = await ServiceRequest.create(
            district_id=counter.district_id,
            idempotency_key=idempotency_key,
            counter=counter,
            operator=actor.user,
            citizen=citizen,
            service_code=service.code,
            service_title_en=service.title_en,
            service_title_hi=service.title_hi,
            provider=service.provider,
            form_data=jsonable(priced.data),
            # a receipt and a certificate print these: an Aadhaar number typed into a text the quote echoes is kept masked
            quote_details=[{**d, **{k: privacy.mask_aadhaar_in_text(d[k]) for k in ("value", "value_hi") if isinstance(d.get(k), str)}}
                           for d in priced.quote.details],
            reference=priced.quote.reference,
            principal_paise=priced.quote.principal_paise,
            service_charge_paise=priced.rate.fee_paise,
            charge_payer=priced.rate.payer.value,
            citizen_total_paise=total,
            status=RequestStatus.PAID if method.immediate else RequestStatus.PAYMENT_PENDING,
            business_date=clock.today(),
            message_lang=chosen if chosen is not None else "",
        )
        request.receipt_no = make_receipt_no(code, counter.id, request.id)
        if chosen is None:  # an API client that does not send it, a script: the citizen's last choice, else none (decision 99)
            request.message_lang = await _numbered_with_last_lang(request)
        else:
            await _update_request(request, "receipt_no")
        payment = await Payment.create(
            district_id=counter.district_id, request=request, method=method.code, amount_paise=total,
            tendered_paise=tendered_paise, status="received" if method.immediate else "pending",
            reference=str((payment_details or {}).get("reference", ""))[:100], details=jsonable(payment_details or {}),
            confirmed_at=payments.now() if method.immediate else None,
            settled_at=payments.now() if payments.closed_at_birth(method, counter, priced.rate.payer.value) else None)
        for doc in priced.documents:  # each scan attached once: of two payments naming it at the same moment, the second is refused
            if not await Document.filter(id=doc.id, request_id=None).update(request_id=request.id):
                raise forms.FormErrors([forms.FieldMessage(getattr(doc, "form_field", "documents"), documents.ALREADY_ATTACHED_EN,
                                                           documents.ALREADY_ATTACHED_HI)])
            doc.request_id = request.id
        debit = payments.wallet_debit(lines, counter)
        if debit:
            from emitra.core.models import Wallet

            moved = await Wallet.filter(counter_id=counter.id, balance_paise__gte=debit).update(balance_paise=F("balance_paise") - debit)
            if not moved:
                balance = await Wallet.filter(counter_id=counter.id).values_list("balance_paise", flat=True)
                have = balance[0] if balance else 0
                raise WalletShort(
                    "wallet",
                    f"The counter's wallet has {format_paise(have)}; this needs {format_paise(debit)}. Top up the wallet first.",
                    f"काउंटर के वॉलेट में {format_paise(have)} हैं; इसके लिए {format_paise(debit)} चाहिए। पहले वॉलेट टॉप-अप करें।")
        if method.post_on_start and (total or priced.rate.fee_paise):
            await ledger.post(counter.district_id, f"request:{request.receipt_no}", f"{service.code} {method.code} {request.receipt_no}", lines,
                              request.id, fresh=True, charge_payer=request.charge_payer)
        # the rows every payment at this counter today updates (its MIS figures, the audit chain's head)
        # come last: on PostgreSQL their locks are then held only until the commit that follows
        await mis.status_changed(request, "", request.status, getattr(service.category, "value", service.category), counter)
        await audit.record(
            actor, "request.paid" if method.immediate else "request.payment_pending", request,
            district_id=counter.district_id, counter_id=counter.id,
            detail={"receipt_no": request.receipt_no, "service": service.code, "citizen": citizen.emitra_id,
                    "method": method.code, "citizen_total_paise": total, "service_charge_paise": priced.rate.fee_paise,
                    "charge_payer": priced.rate.payer.value, "wallet_debit_paise": debit, "message_lang": request.message_lang},
        )
    if method.immediate:
        # final: the receipt shows it without reading it back (web/api.py); values, not the Payment,
        # which refers to the request: a cycle would keep both until a full garbage collection
        request.receipt_payment = {"method": payment.method, "status": payment.status, "amount_paise": payment.amount_paise,
                                   "reference": payment.reference, "details": payment.details}
        await _hand_over(actor, request, service, priced)
        get_host().transaction_recorded(receipt(request, counter, citizen))
    else:
        started = await method.start(payment, request, counter)
        if started:
            payment.details = {**payment.details, **jsonable(started)}
            await payment.save(update_fields=["details"])
    return request


async def _update_request(request: ServiceRequest, *columns: str) -> None:
    """Write ``columns`` of the request as they are on the object (text columns and the status):
    ``request.save(update_fields=...)`` in one prepared statement, for the two updates every payment
    makes (its receipt number, the hand-over), where building the ORM's query cost more than running it."""
    conn = connections.get("default")
    sets = ", ".join(f'"{c}" = ?' for c in columns)
    values = [getattr(getattr(request, c), "value", getattr(request, c)) for c in columns]
    await conn.execute_query(placeholders(conn, f'UPDATE "service_request" SET {sets} WHERE "id" = ?'), [*values, request.id])


async def _numbered_with_last_lang(request: ServiceRequest) -> str:
    """Write the new request's receipt number and, as its message language, the one the citizen's
    request before it stores (:func:`last_message_lang`, read within the same statement: one round
    trip on the payment's transaction instead of a read before it, decision 172); that language."""
    conn = connections.get("default")
    rows = await conn.execute_query_dict(placeholders(
        conn, 'UPDATE "service_request" SET "receipt_no" = ?, "message_lang" = COALESCE((SELECT p."message_lang" FROM "service_request" p '
              'WHERE p."citizen_id" = ? AND p."id" < ? ORDER BY p."id" DESC LIMIT 1), \'\') WHERE "id" = ? RETURNING "message_lang"'),
        [request.receipt_no, request.citizen_id, request.id, request.id])
    return rows[0]["message_lang"] or ""


def _collection_lines(counter: Counter, service: Service, priced: Priced, debit_account: str, prepaid: bool) -> list[ledger.Line]:
    from emitra.core import payments

    owed_to = f"lsp_sales:{counter.lsp_id}" if service.priced_by_lsp else f"dept_payable:{slug(service.provider)}"
    return payments.collection_lines(counter, debit_account, priced.citizen_total_paise, priced.quote.principal_paise, owed_to,
                                     priced.rate.fee_paise, priced.rate.payer.value, slug(service.provider), prepaid)


def _quote_of(request: ServiceRequest) -> Quote:
    return Quote(principal_paise=request.principal_paise, reference=request.reference, details=request.quote_details)


async def confirm_payment(actor: audit.Actor, payment: Payment, provider: str = "", event_id: str = "",
                          provider_reference: str = "", at: dt.datetime | None = None, payer_vpa: str = "") -> ServiceRequest:
    """A pending payment is confirmed (cheque cleared, card or UPI captured): post what it has not
    posted yet, mark the request paid, hand it over. Each event once; confirming twice changes nothing.
    ``at`` is when it was confirmed (``Payment.confirmed_at``; a naive datetime is the counters' local time), now if not given.
    ``payer_vpa``: the UPI address the citizen paid from, when the bank's confirmation gives it
    (kept in the payment's details for a refund; masked in the audit log)."""
    from emitra.core import payments
    from emitra.core.models import ProcessedEvent
    from tortoise.exceptions import IntegrityError

    request = await ServiceRequest.get(id=payment.request_id).prefetch_related("counter", "citizen")
    counter = request.counter
    method = payments.methods()[payment.method]
    service = get_host().registry.get(request.service_code) or get_host().all_declared.get(request.service_code)
    async with in_transaction():
        if event_id:
            try:
                await ProcessedEvent.create(provider=provider or payment.method, event_id=event_id, kind="confirm")
            except IntegrityError:
                return request  # this event was processed already
        # locked: two events for one payment at the same moment (a card's success delivered twice,
        # under different event ids) must not both find it pending (PostgreSQL; SQLite has one writer)
        fresh = await Payment.select_for_update().get(id=payment.id)
        if fresh.status not in ("pending",):
            return request  # already confirmed, failed or refunded: nothing more to do
        priced = Priced(service, request.form_data, _quote_of(request), fees.Rate(request.service_charge_paise, Payer(request.charge_payer), "recorded"))
        lines = _collection_lines(counter, service, priced, method.collection_account(counter), prepaid=False)
        if method.post_on_start:  # the collection was posted when it started: move it from clearing to the bank
            await ledger.post(request.district_id, f"cleared:{request.receipt_no}", f"{payment.method} cleared {request.receipt_no}",
                              [ledger.debit("society_bank", payment.amount_paise), ledger.credit(method.collection_account(counter), payment.amount_paise)],
                              request.id)
        elif payment.amount_paise or request.service_charge_paise:
            await ledger.post(request.district_id, f"request:{request.receipt_no}", f"{service.code} {payment.method} {request.receipt_no}", lines, request.id,
                              charge_payer=request.charge_payer)
        if at is not None and at.tzinfo is None:
            from zoneinfo import ZoneInfo

            from emitra.core import config
            at = at.replace(tzinfo=ZoneInfo(config.timezone()))
        fresh.status, fresh.confirmed_at = "cleared" if method.post_on_start else "received", at or payments.now()
        if provider_reference:
            fresh.details = {**fresh.details, "provider_reference": provider_reference}
        if payer_vpa:
            fresh.details = {**fresh.details, "payer_vpa": payer_vpa}
        await fresh.save(update_fields=["status", "confirmed_at", "details"])
        request.status = RequestStatus.PAID
        await request.save(update_fields=["status"])
        await mis.status_changed(request, RequestStatus.PAYMENT_PENDING, RequestStatus.PAID)
        await audit.record(actor, "payment.confirmed", fresh, district_id=request.district_id, counter_id=counter.id,
                           detail={"receipt_no": request.receipt_no, "method": payment.method, "event": event_id, "provider_reference": provider_reference,
                                   **({"payer_vpa": privacy.mask_vpa(payer_vpa)} if payer_vpa else {})})
    await _hand_over(actor, request, service, priced)
    get_host().transaction_recorded(receipt(request, counter, request.citizen))
    return request


async def fail_payment(actor: audit.Actor, payment: Payment, reason: str, provider: str = "", event_id: str = "") -> ServiceRequest:
    """A pending payment bounced or was declined: reverse everything it posted, reopen the request."""
    from emitra.core import payments
    from emitra.core.models import LedgerEntry, ProcessedEvent
    from tortoise.exceptions import IntegrityError

    reason = privacy.mask_aadhaar_in_text(str(reason or ""))  # the bank's or the Society's words: kept in the ledger and audit masked
    request = await ServiceRequest.get(id=payment.request_id)
    async with in_transaction():
        if event_id:
            try:
                await ProcessedEvent.create(provider=provider or payment.method, event_id=event_id, kind="fail")
            except IntegrityError:
                return request
        fresh = await Payment.select_for_update().get(id=payment.id)  # locked, as in confirm_payment
        if fresh.status != "pending":
            return request
        for entry in await LedgerEntry.filter(request_id=request.id).order_by("id"):
            if not entry.idempotency_key.startswith("reverse:"):
                await ledger.reverse(entry, f"{payment.method} failed {request.receipt_no}: {reason}"[:300])
        fresh.status = "bounced" if payment.method in ("cheque", "dd") else "failed"
        fresh.details = {**fresh.details, "failure": reason[:300]}
        if fresh.settled_at is None:  # nothing reached escrow: closed for settlement, no run reads it again
            fresh.settled_at = payments.now()
        await fresh.save(update_fields=["status", "details", "settled_at"])
        previous = request.status
        request.status = RequestStatus.PAYMENT_FAILED
        await request.save(update_fields=["status"])
        await mis.status_changed(request, previous, RequestStatus.PAYMENT_FAILED)
        await audit.record(actor, "payment.failed", fresh, district_id=request.district_id, counter_id=request.counter_id,
                           detail={"receipt_no": request.receipt_no, "method": payment.method, "reason": reason[:300], "event": event_id})
    return request


async def _hand_over(actor: audit.Actor, request: ServiceRequest, service: Service, priced: Priced) -> None:
    """After the money is safely recorded, hand the request to the department or partner.

    An application also opens its case (core/workflow.py) in the same transaction; a successful
    hand-over forwards it to the department at once. Nothing here fails the payment, which stands:
    a failure of the department's system, or of the case's workflow (a process its plugin got
    wrong), leaves the request ``submission_failed`` with its case, if one could be opened, in its
    initial state, where the counter's Applications page and ``emitra cases retry`` find it.
    """
    try:
        ref = await service.submit(request.id, priced.data, priced.quote)
        request.status, request.department_ref = RequestStatus.SUBMITTED, str(ref or "")[:100]
    except Exception as exc:  # the payment stands; the back office retries the hand-over
        log.exception("plugin %s: hand-over of %s to %s failed", service.plugin, request.receipt_no, service.provider)
        request.status = RequestStatus.SUBMISSION_FAILED
        ref = f"{type(exc).__name__}"
    try:
        await _record_hand_over(actor, request, service, priced, str(ref))
        return
    except Exception as exc:  # rolled back: nothing of it was written, the request is still "paid"
        log.exception("plugin %s: the case of %s could not be opened or forwarded; the request waits for a retry",
                      service.plugin, request.receipt_no)
        failure = f"{type(exc).__name__} in the workflow"
    request.status = RequestStatus.SUBMISSION_FAILED
    try:
        await _record_hand_over(actor, request, service, priced, failure)  # the case opened, not forwarded
    except Exception:
        log.exception("plugin %s: the case of %s could not be opened", service.plugin, request.receipt_no)
        await _record_hand_over(actor, request, service, priced, failure, open_case=False)


async def _record_hand_over(actor: audit.Actor, request: ServiceRequest, service: Service, priced: Priced, ref: str,
                            open_case: bool = True) -> None:
    """Write the hand-over's outcome, and open (and forward, when it succeeded) an application's case: one transaction."""
    async with in_transaction():
        await _update_request(request, "status", "department_ref")
        await audit.record(actor, f"request.{request.status.value}", request, district_id=request.district_id,
                           counter_id=request.counter_id, detail={"receipt_no": request.receipt_no, "department_ref": ref})
        if open_case and getattr(service.workflow, "value", service.workflow) == "application":
            case = await open_case_for(actor, request, service, priced.data)
            if request.status == RequestStatus.SUBMITTED:
                said, said_hi = workflow.received_remark(request.department_ref) if request.department_ref else ("", "")
                await workflow.act(audit.Actor(None, via="system"), case, "forward", said, remark_hi=said_hi)


async def open_case_for(actor: audit.Actor, request: ServiceRequest, service: Service, data: dict[str, Any]) -> Any:
    """The case of a paid application (opened once: a second call returns the first)."""
    existing = await Case.get_or_none(request_id=request.id)
    if existing is not None:
        return existing
    citizen = await Citizen.get(id=request.citizen_id)
    category = getattr(service.category, "value", service.category)
    mobile = str(data.get("mobile") or citizen.mobile or "")
    return await workflow.open_case(
        actor, district_id=request.district_id, kind="grievance" if category == "grievance" else "application",
        service_code=service.code, title_en=service.title_en, title_hi=service.title_hi, department=service.route(data),
        number=request.receipt_no, request=request, counter_id=request.counter_id,
        applicant_name=str(data.get("applicant_name") or data.get("name") or citizen.name),
        # the citizen's choice (decision 99); a request from before it was asked: the operator's language
        mobile=mobile if mobile.isdigit() else "", lang=request.message_lang or getattr(actor.user, "lang", "hi") or "hi",
        subject=str(data.get("subject") or "")[:200], body=str(data.get("description") or ""),
        paper_documents=[{"en": en, "hi": hi} for en, hi in service.paper_documents],
        process=workflow.process_for(service))


async def retry_hand_over(actor: audit.Actor, request: ServiceRequest) -> ServiceRequest:
    """Hand a paid request whose hand-over failed, or never ran because the server stopped in
    between, to the department again (the back office's retry, and a replayed payment)."""
    if request.status not in (RequestStatus.SUBMISSION_FAILED, RequestStatus.PAID):
        return request
    service = get_host().registry.get(request.service_code) or get_host().all_declared.get(request.service_code)
    if service is None:
        raise CounterError("service", f"{request.service_code} is not loaded here; the hand-over cannot be retried.",
                           f"{request.service_code} यहाँ लोड नहीं है।")
    priced = Priced(service, request.form_data, _quote_of(request), fees.Rate(request.service_charge_paise, Payer(request.charge_payer), "recorded"))
    await _hand_over(actor, request, service, priced)
    return request


def receipt(request: ServiceRequest, counter: Counter, citizen: Citizen) -> dict[str, Any]:
    return {
        "receipt_no": request.receipt_no,
        "service_code": request.service_code,
        "service_title_en": request.service_title_en,
        "service_title_hi": request.service_title_hi,
        "provider": request.provider,
        "counter": counter.code,
        "citizen": citizen.emitra_id,
        "reference": request.reference,
        "principal_paise": request.principal_paise,
        "service_charge_paise": request.service_charge_paise,
        "charge_payer": request.charge_payer,
        "citizen_total_paise": request.citizen_total_paise,
        "status": request.status.value if hasattr(request.status, "value") else request.status,
        "recorded_at": request.created_at.isoformat() if request.created_at else None,
    }


#: what a payment's status says of the money: received (cash, a captured card or UPI payment, a
#: cleared cheque) or not
_RECEIVED = ("received", "cleared")
#: the payments a cancel writes for its refund (negative amounts): paid from the drawer, to the card,
#: or owed to the citizen's UPI account by the Society (decision 71)
REFUND_METHODS = ("cash_refund", "card_refund", "upi_refund")


def card_paid(payments: list[Payment]) -> Payment | None:
    """The received card payment a booking was paid with, whose refund goes back to the card; None
    when it was paid otherwise (cash, cheque: refunded in cash from the drawer; UPI: :func:`upi_paid`)."""
    return next((p for p in payments if p.method == "card" and p.status in _RECEIVED), None)


def upi_paid(payments: list[Payment]) -> Payment | None:
    """The received UPI payment a booking was paid with, whose refund the Society sends back to the
    citizen's UPI account by bank transfer (decision 71); None when it was paid otherwise."""
    return next((p for p in payments if p.method == "upi" and p.status in _RECEIVED), None)


def unpaid_refusal(request: ServiceRequest, payments: list[Payment]) -> CounterError | None:
    """Why a request cannot be cancelled and refunded in cash yet, if its payment has not been
    received (a UPI or card payment not confirmed, a cheque or draft in clearing, one that bounced
    or failed): refunding it would pay out money that never came in. None when it has been received."""
    paid = [p for p in payments if p.method not in REFUND_METHODS]
    pending = next((p for p in paid if p.status not in _RECEIVED), None)
    if pending is None and request.status not in (RequestStatus.PAYMENT_PENDING, RequestStatus.PAYMENT_FAILED):
        return None
    method = pending.method if pending else ""
    status = pending.status if pending else ("pending" if request.status == RequestStatus.PAYMENT_PENDING else "failed")
    if status == "pending":
        what_en, what_hi, until_en, until_hi = {
            "cheque": ("the cheque is still in clearing", "चेक अभी क्लियरिंग में है",
                       "the Society's bank clears it", "सोसायटी का बैंक इसे क्लियर न कर दे"),
            "dd": ("the demand draft is still in clearing", "डिमांड ड्राफ्ट अभी क्लियरिंग में है",
                   "the Society's bank clears it", "सोसायटी का बैंक इसे क्लियर न कर दे"),
            "card": ("the card payment has not been confirmed yet", "कार्ड भुगतान की अभी पुष्टि नहीं हुई है",
                     "Stripe confirms it", "स्ट्राइप इसकी पुष्टि न कर दे"),
        }.get(method, ("the UPI payment has not been received yet", "यूपीआई भुगतान अभी प्राप्त नहीं हुआ है",
                       "the bank confirms it", "बैंक इसकी पुष्टि न कर दे"))
        return CounterError(
            "payment",
            f"This booking cannot be cancelled yet: {what_en}, so nothing has been paid that could be refunded in cash. "
            f"Wait until {until_en} (the receipt then shows \"Paid\") and cancel then. If the citizen does not pay, "
            "nothing is owed and nothing is booked: withdraw the payment instead (\"The citizen did not pay\" on a card or UPI "
            "receipt).",
            f"यह बुकिंग अभी रद्द नहीं हो सकती: {what_hi}, इसलिए ऐसा कोई भुगतान नहीं हुआ जो नकद लौटाया जा सके। "
            f"जब तक {until_hi} (तब रसीद पर \"भुगतान हो गया\" दिखेगा) प्रतीक्षा करें, फिर रद्द करें। "
            "यदि नागरिक भुगतान नहीं करता, तो न कुछ देय है न कुछ बुक है: इसके बजाय भुगतान वापस लें (कार्ड या यूपीआई रसीद पर "
            "\"नागरिक ने भुगतान नहीं किया\")।")
    bounced = status == "bounced"
    return CounterError(
        "payment",
        f"This booking cannot be cancelled: its payment {'bounced' if bounced else 'failed'}, so nothing was received, "
        "nothing was booked and nothing is refunded. If the citizen still wants it, take a new payment for a new booking.",
        f"यह बुकिंग रद्द नहीं हो सकती: इसका भुगतान {'बाउंस हो गया' if bounced else 'विफल रहा'}, इसलिए न कुछ प्राप्त हुआ, "
        "न कुछ बुक हुआ और न कुछ लौटाया जाता है। नागरिक को अब भी चाहिए तो नई बुकिंग के लिए नया भुगतान लें।")


class ProviderBusy(CounterError):
    """The payment's provider could not be asked or is still deciding: nothing was changed; the
    same step may work in a minute (the API answers 503)."""


WITHDRAW_REASON_MAX = 200
#: how a withdrawn payment's failure reason begins (``payment.details["failure"]``)
WITHDRAWN = "withdrawn at the counter:"


def withdrawable_payment(request: ServiceRequest, payments: list[Payment]) -> Payment | None:
    """The request's payment the counter may withdraw (the citizen left without paying): a card
    or UPI payment still awaited; None if there is none."""
    from emitra.core import payments as methods

    if request.status != RequestStatus.PAYMENT_PENDING:
        return None
    for payment in payments:
        method = methods.methods().get(payment.method)
        if payment.status == "pending" and method is not None and method.withdrawable:
            return payment
    return None


async def withdraw_payment(actor: audit.Actor, counter: Counter, request: ServiceRequest, reason: str = "") -> tuple[ServiceRequest, str]:
    """The citizen left without paying: withdraw the request's awaited card or UPI payment at the
    counter that took it. The method stops it at its provider first (a card's PaymentIntent is
    cancelled at Stripe); then the payment is failed as a decline fails it: nothing had been
    posted, the request is ``payment_failed``, what it paid for is open again, and a confirmation
    arriving later is never applied (a card's is refunded to the card; a UPI credit is the
    Society's to return, docs/payments.md). Returns the request and ``"withdrawn"``, or
    ``"paid"`` when the provider says the citizen has paid after all (the payment is then
    confirmed, not withdrawn). Withdrawing twice changes nothing the second time."""
    from emitra.core import payments as methods

    if request.counter_id != counter.id:
        raise CounterError("receipt_no", "No receipt with this number at your counter.", "आपके काउंटर पर इस नंबर की कोई रसीद नहीं है।")
    reason = privacy.mask_aadhaar_in_text(" ".join(str(reason or "").split()))  # kept on the payment, in the ledger and the audit log
    if len(reason) > WITHDRAW_REASON_MAX:
        raise CounterError("reason", f"The reason is too long: at most {WITHDRAW_REASON_MAX} characters.",
                           f"कारण बहुत लंबा है: अधिकतम {WITHDRAW_REASON_MAX} अक्षर।")
    all_payments = list(await Payment.filter(request_id=request.id).order_by("id"))
    payment = withdrawable_payment(request, all_payments)
    if payment is None:
        done = next((p for p in all_payments if str(p.details.get("failure", "")).startswith(WITHDRAWN)), None)
        if done is not None and request.status == RequestStatus.PAYMENT_FAILED:
            return request, "withdrawn"  # asked twice (a double click, a retried API call)
        state = request.status.value if hasattr(request.status, "value") else str(request.status)
        raise CounterError("payment", f"Only a card or UPI payment that is still awaited can be withdrawn; this receipt is {state}.",
                           f"केवल प्रतीक्षित कार्ड या यूपीआई भुगतान ही वापस लिया जा सकता है; यह रसीद {state} है।")
    method = methods.methods()[payment.method]
    try:
        outcome = await method.withdraw(actor, payment, request)
    except methods.PaymentError as exc:
        raise (ProviderBusy if exc.retry_later else CounterError)(exc.field, exc.message_en, exc.message_hi) from None
    if outcome == "withdrawn":
        await fail_payment(actor, payment, f"{WITHDRAWN} {reason or 'the citizen did not pay'}", payment.method, f"withdraw:{payment.id}")
    fresh = await Payment.get(id=payment.id)
    request = await ServiceRequest.get(id=request.id)
    return request, ("paid" if fresh.status in _RECEIVED else "withdrawn")


async def cancel(actor: audit.Actor, counter: Counter, request: ServiceRequest, reason: str = "", finishing: bool = False) -> ServiceRequest:
    """Cancel a paid booking at the counter that sold it; the partner's refund is paid back the
    way the citizen paid: to the card for a card payment (through Stripe, decision 69), to the
    citizen's UPI account by the Society for a UPI payment (booked as owed to the citizen, the
    drawer untouched, decision 71), in cash from the drawer otherwise (cash, a cleared cheque).

    The service charge is not refunded. Cancelling twice changes nothing the second time.

    Everything that can refuse is checked before the partner is asked to cancel: the service, the
    counter, the payment received (:func:`unpaid_refusal`), and, for a refund in cash, the drawer
    holding the refund the partner quotes (:meth:`Service.refund_quote`; the whole principal when
    it cannot say); for a refund to the card, Stripe's settings; for a UPI payment, nothing more
    (the Society pays it later, core/upi_refunds.py). If the partner cancels but Stripe
    then fails or does not answer, or the counter's write fails, the request stays as it was,
    nothing is booked, and the error says so; cancelling again asks the partner again, which
    answers its earlier cancellation (``Service.cancel`` is idempotent), asks Stripe again with the
    same idempotency key (one refund), and the counter records it then.

    ``finishing``: this is not the operator at the counter but the finishing of such a cancel by
    ``refunds.finish_cancel_refunds`` (decision 73), the citizen long gone: the audit record says
    so, and the citizen is told of the refund to the card by SMS, through the outbox, in the same
    transaction (at the counter the receipt tells them).
    """
    from emitra.core import refunds, stripe_api, upi_refunds

    reason = privacy.mask_aadhaar_in_text(reason or "")  # sent to the partner, kept in the audit log
    if request.status == RequestStatus.CANCELLED:
        return request
    service = get_host().registry.get(request.service_code)
    if service is None or not service.cancellable:
        raise CounterError("receipt_no", "This service cannot be cancelled.", "यह सेवा रद्द नहीं की जा सकती।")
    if request.counter_id != counter.id:
        raise CounterError("receipt_no", "A booking is cancelled at the counter that sold it.", "बुकिंग उसी काउंटर पर रद्द होती है जहाँ बेची गई थी।")
    paid = list(await Payment.filter(request_id=request.id).order_by("id"))
    refused = unpaid_refusal(request, paid)
    if refused is not None:
        raise refused
    by_card = card_paid(paid)
    by_upi = upi_paid(paid) if by_card is None else None
    if by_card is not None:
        try:
            stripe_api.settings()
        except stripe_api.StripeConfigError as exc:
            raise CounterError("refund", f"This booking was paid by card, and its refund goes back to the card through Stripe, which is "
                                         f"not set up here ({exc.setting}): nothing was cancelled.",
                               "यह बुकिंग कार्ड से भुगतान की गई थी और इसका रिफंड Stripe से कार्ड पर ही जाता है, जिसकी व्यवस्था यहाँ नहीं "
                               f"है ({exc.setting}): कुछ भी रद्द नहीं हुआ।") from None
    reference = request.department_ref or request.reference
    try:
        quoted = await service.refund_quote(request.id, request.form_data, reference, request.principal_paise)
    except FieldError as exc:
        raise CounterError(exc.field, exc.message_en, exc.message_hi) from None
    except Exception as exc:
        raise _partner_failed(service, "refund_quote", exc) from None
    if quoted is not None and (wrong := paise_problem(quoted)):
        log.error("plugin %s: refund_quote for %s: %s", service.plugin, request.receipt_no, wrong[0])
        raise CounterError("refund", f"Plugin {service.plugin} quoted an impossible refund: {wrong[0]}. Nothing was cancelled.",
                           f"प्लगइन {service.plugin} ने असंभव रिफंड बताया: {wrong[1]}। कुछ भी रद्द नहीं हुआ।")
    needed = request.principal_paise if quoted is None else quoted
    if needed > request.principal_paise:
        raise CounterError("refund", f"Plugin {service.plugin} quoted an impossible refund of {needed} paise.", "प्लगइन ने असंभव रिफंड बताया।")
    from_drawer = by_card is None and by_upi is None  # a card's or UPI payment's refund goes back the way it came
    drawer = await ledger.balance(f"counter_cash:{counter.code}") if from_drawer else 0
    if from_drawer and needed > drawer:
        raise CounterError(
            "refund",
            f"The refund is {format_paise(needed)} but the drawer holds {format_paise(max(drawer, 0))} since the last day end; "
            "cancel once there is enough cash in the drawer (nothing was cancelled).",
            f"रिफंड {format_paise(needed)} है पर पिछले दिवस अंत के बाद दराज़ में {format_paise(max(drawer, 0))} हैं; "
            "दराज़ में पर्याप्त नकद होने पर रद्द करें (कुछ भी रद्द नहीं हुआ)।")
    try:
        result = await service.cancel(request.id, request.form_data, reference, request.principal_paise)
    except FieldError as exc:
        raise CounterError(exc.field, exc.message_en, exc.message_hi) from None
    except Exception as exc:
        raise _partner_failed(service, "cancel", exc) from None
    if not isinstance(result, Cancellation):
        wrong = (f"cancel() returned {type(result).__name__}, not a Cancellation", f"cancel() ने Cancellation के बजाय {type(result).__name__} लौटाया")
    elif paid_wrong := paise_problem(result.refund_paise):
        wrong = (f"refund_paise: {paid_wrong[0]}", f"refund_paise: {paid_wrong[1]}")
    else:
        wrong = None
    if wrong:  # the partner may have cancelled: as for a refund over the price, nothing is booked here
        log.error("plugin %s: %s cancelled at the partner with an impossible answer (%s); not recorded", service.plugin, request.receipt_no,
                  wrong[0])
        raise CounterError("refund", f"Plugin {service.plugin} offered an impossible refund: {wrong[0]}.",
                           f"प्लगइन {service.plugin} ने असंभव रिफंड बताया: {wrong[1]}।")
    refund = result.refund_paise
    if refund > request.principal_paise:
        log.error("plugin %s: %s cancelled at the partner with an impossible refund of %s paise; not recorded",
                  service.plugin, request.receipt_no, refund)
        raise CounterError("refund", f"Plugin {service.plugin} offered an impossible refund of {refund} paise.", "प्लगइन ने असंभव रिफंड बताया।")
    provider = slug(service.provider)
    to_card: dict[str, Any] = {}
    if by_card is not None and refund:  # Stripe first: nothing is booked until the card is refunded
        to_card = await refunds.refund_cancelled_booking(actor, by_card, request, refund, service.provider, result.reference or reference)
    previous = request.status
    try:
        async with in_transaction():
            # locked: two cancels of one booking at the same moment both reach here (the partner answers
            # both, the second with the first's cancellation); only the first records it
            fresh = await ServiceRequest.select_for_update().get(id=request.id)
            if fresh.status == RequestStatus.CANCELLED:
                request.status = fresh.status
                return request
            request.status = RequestStatus.CANCELLED
            await request.save(update_fields=["status"])
            await mis.status_changed(request, previous, RequestStatus.CANCELLED)
            if to_card:
                await _book_card_refund(request, service, by_card, refund, to_card)
            elif by_upi is not None:
                if refund:  # owed to the citizen, sent by the Society from its UPI collection account
                    await upi_refunds.book_owed(request, provider, service.code, by_upi, refund)
            elif refund:
                await Payment.create(district_id=request.district_id, request=request, method="cash_refund", amount_paise=-refund)
                await ledger.post(request.district_id, f"cancel:{request.receipt_no}", f"{service.code} cancelled {request.receipt_no}",
                                  [ledger.debit(f"dept_payable:{provider}", refund), ledger.credit(f"counter_cash:{counter.code}", refund)],
                                  request.id)
            await audit.record(actor, "request.cancelled", request, district_id=request.district_id, counter_id=counter.id,
                               detail={"receipt_no": request.receipt_no, "refund_paise": refund, "quoted_refund_paise": quoted,
                                       "refund_to": "card" if by_card is not None else "upi" if by_upi is not None else "cash",
                                       "stripe_refund": to_card.get("id", ""),
                                       "reference": result.reference, "reason": reason[:200],
                                       **({"finished_by": actor.name} if finishing else {})})
            if finishing and to_card:
                await _tell_card_refunded(request, refund, to_card)
    except Exception:
        request.status = previous  # rolled back: the object says what the database says
        log.exception("%s was cancelled at %s (reference %s, refund %s paise) but could not be recorded; cancelling again records it",
                      request.receipt_no, service.provider, result.reference, refund)
        if to_card:
            raise CounterError(
                "receipt_no",
                f"{service.provider} cancelled the booking (reference {result.reference or reference}) and Stripe refunded "
                f"{format_paise(refund)} to the card (refund {to_card.get('id', '')}), but it could not be recorded here. No cash is to "
                "be paid. Cancel it again to record it: the card is not refunded twice.",
                f"{service.provider} ने बुकिंग रद्द कर दी (संदर्भ {result.reference or reference}) और Stripe ने कार्ड पर "
                f"{format_paise(refund)} वापस कर दिए (रिफंड {to_card.get('id', '')}), पर यहाँ दर्ज नहीं हो सका। कोई नकद नहीं देना है। "
                "इसे दर्ज करने के लिए फिर से रद्द करें: कार्ड पर दोबारा रिफंड नहीं होगा।") from None
        if by_upi is not None:
            raise CounterError(
                "receipt_no",
                f"{service.provider} cancelled the booking (reference {result.reference or reference}), but it could not be recorded "
                f"here. No cash is to be paid: the booking was paid by UPI. Cancel it again to record it; the refund of "
                f"{format_paise(refund)} is then owed to the citizen's UPI account, which the Society pays.",
                f"{service.provider} ने बुकिंग रद्द कर दी (संदर्भ {result.reference or reference}), पर यहाँ दर्ज नहीं हो सकी। "
                f"कोई नकद नहीं देना है: बुकिंग यूपीआई से भुगतान की गई थी। इसे दर्ज करने के लिए फिर से रद्द करें; तब "
                f"{format_paise(refund)} का रिफंड नागरिक के यूपीआई खाते में देय होगा, जिसे सोसायटी भेजती है।") from None
        raise CounterError(
            "receipt_no",
            f"{service.provider} cancelled the booking (reference {result.reference or reference}), but it could not be recorded here, "
            f"so no refund was paid. Cancel it again to record the cancellation and pay the refund of {format_paise(refund)}.",
            f"{service.provider} ने बुकिंग रद्द कर दी (संदर्भ {result.reference or reference}), पर यहाँ दर्ज नहीं हो सकी, "
            f"इसलिए कोई रिफंड नहीं दिया गया। रद्दीकरण दर्ज करने और {format_paise(refund)} का रिफंड देने के लिए इसे फिर से रद्द करें।") from None
    return request


async def _book_card_refund(request: ServiceRequest, service: Service, paid_by: Payment, refund: int, stripe_refund: dict[str, Any]) -> None:
    """Book a cancelled booking's refund that Stripe has made to the card (inside the cancel's
    transaction): the partner owes back what it refunded, and it leaves ``escrow:card`` (Stripe's
    balance), where the citizen's money went; the drawer is not touched. The fee shares stay: the
    service charge is not refunded, and the LSP's share is paid out by settlement (or already was)
    either way (decision 69)."""
    from emitra.core import refunds
    from emitra.core.payment_methods.card import COLLECTION_ACCOUNT

    refund_id = str(stripe_refund.get("id", ""))[:100]
    await Payment.create(district_id=request.district_id, request=request, method="card_refund", amount_paise=-refund,
                         reference=refund_id, confirmed_at=dt.datetime.now(dt.timezone.utc),
                         details={"payment_intent": paid_by.reference, "refund_state": str(stripe_refund.get("status", "")),
                                  "idempotency_key": refunds.cancel_refund_key(request.receipt_no or "")})
    await ledger.post(request.district_id, refunds.cancel_entry_key(request.receipt_no or ""),
                      f"{service.code} cancelled {request.receipt_no}: refunded to the card {refund_id}",
                      [ledger.debit(f"dept_payable:{slug(service.provider)}", refund), ledger.credit(COLLECTION_ACCOUNT, refund)],
                      request.id)


async def _tell_card_refunded(request: ServiceRequest, refund: int, stripe_refund: dict[str, Any]) -> None:
    """Queue the citizen's SMS (English and Hindi) that a booking cancelled earlier has now been
    refunded to their card (decision 73): they left the counter told nothing was refunded yet."""
    from emitra.core import notify

    citizen = await Citizen.get(id=request.citizen_id)
    if not citizen.mobile:
        return
    values = {"number": request.receipt_no, "title": request.service_title_en, "amount": format_paise(refund),
              "refund": str(stripe_refund.get("id", ""))}
    await notify.queue_sms("card_refunded", citizen.mobile, values,
                           {"title": request.service_title_hi or request.service_title_en},
                           lang=notify.request_lang(request), district_id=request.district_id)
