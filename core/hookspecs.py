"""Every hook emitra calls, in one module. Each spec's docstring is its documentation.

Hooks are for registration and cross-cutting events. What a service does (look up a bill,
submit an application) is a method on its :class:`~emitra.core.services.Service` object.
Call hooks with keyword arguments only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

import pluggy

if TYPE_CHECKING:
    from emitra.core.services import Service

#: The version of the plugin API: these hook specs and what a :class:`~emitra.core.services.Service`
#: declares. A plugin says which it is written for with a module-level ``__emitra_plugin_api__ = 1``
#: (a number written out, not imported from here), and the plugin host refuses one that declares
#: another (docs/plugins.md, "The plugin API version"). It is raised, with emitra's minor version
#: (major from 1.0), by a change that would break a plugin written for the one before: a hook renamed
#: or given another argument, a Service field required or read differently. ``emitra plugin new``
#: pins a new plugin to the releases of emitra that keep it (``emitra>=0.1.0,<0.2``).
PLUGIN_API = 1

hookspec = pluggy.HookspecMarker("emitra")
hookimpl = pluggy.HookimplMarker("emitra")


@hookspec
def emitra_register_services(register: Callable[["Service"], None]) -> None:
    """Register the services this plugin offers by calling ``register(service)`` once per service.

    Each declaration is checked when it is registered: a valid JSON Schema form of type object,
    a unique dotted code, English and Hindi titles, a known domain, category, payer and workflow,
    and a fee that is a whole, non-negative number of paise. A bad declaration is refused with a
    message naming the plugin and the field; the plugin's other services, and other plugins,
    still load.
    """


@hookspec
def emitra_transaction_recorded(transaction: dict[str, Any]) -> None:
    """Called after a counter transaction has been committed to the database.

    ``transaction`` is the receipt as a dict: ``receipt_no``, ``service_code``, ``counter``,
    ``citizen``, ``principal_paise``, ``service_charge_paise``, ``charge_payer``,
    ``citizen_total_paise``, ``recorded_at`` (ISO 8601). Use it for notifications or to feed an
    outside system. An exception raised here is logged and does not undo the transaction.
    """


@hookspec
def emitra_register_policy_rules(register: Callable[[Any], None]) -> None:
    """Register policy rules written in code by calling ``register(CodeRule(...))``.

    A :class:`emitra.policy.CodeRule` has an ``id``, a ``citation`` and ``check(service, on)``,
    which returns ``"deny"``, ``"restricted"`` or ``None`` for the service on date ``on``. Rules in
    code are asked with the rules files at plugin load, at counter enablement and at every
    transaction; the strictest decision wins (deny, then restricted, then allow).
    """


@hookspec
def emitra_register_payment_methods(register: Callable[[Any], None]) -> None:
    """Register payment methods by calling ``register(method)`` with an
    :class:`emitra.core.payments.PaymentMethod` (cash, cheque, card, UPI...).

    A method says whether it is immediate (cash) or pending until confirmed, where collected money
    sits (``collection_account``), and what a pending payment shows the counter (``start``).
    Confirmations and failures go through :func:`emitra.core.counter.confirm_payment` and
    :func:`emitra.core.counter.fail_payment`, which post, reverse and hand over exactly once.
    """


@hookspec
def emitra_send_notification(message: Any) -> Any:
    """Send one message from the outbox (an SMS gateway, an email server).

    ``message`` is an :class:`emitra.core.notify.Message`: ``channel`` (``sms`` or ``email``),
    ``recipient``, ``lang``, ``subject``, ``body`` (in ``lang``), ``body_en``, ``body_hi``,
    ``event`` and ``unicode`` (send ``body`` as a Unicode SMS; else it is in the GSM alphabet). Return True (or the transport's name) when sent, None when this transport does not
    handle the channel; raise when sending failed (the message stays queued and is retried). With
    no transport installed, messages are kept in the outbox for the Society's admin to read.
    Never log the recipient or the body.
    """
