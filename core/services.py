"""What a plugin declares: a ``Service`` with its form, its fee rule and payer, its workflow.

Service-specific behaviour lives on the object (``quote``, ``submit``); hooks only register it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class _Choices(enum.EnumMeta):
    """An enum whose missing member says which members there are: ``Payer.SOCIETY`` in a plugin's
    declaration raises ``AttributeError: Payer has no member 'SOCIETY'; use one of Payer.CITIZEN,
    ...``, and its refusal (the whole plugin's, as the hook raised) names the choices."""

    def __getattr__(cls, name: str) -> Any:
        if name.startswith("_"):
            return super().__getattr__(name)  # type: ignore[misc]  # Python 3.11 defines it; 3.12 no longer
        members = ", ".join(f"{cls.__name__}.{m}" for m in cls.__members__)
        raise AttributeError(f"{cls.__name__} has no member {name!r}; use one of {members}")


class Domain(str, enum.Enum, metaclass=_Choices):
    GOVERNMENT = "government"
    CENTRAL = "central"
    PRIVATE = "private"


class Payer(str, enum.Enum, metaclass=_Choices):
    """Who pays the service charge (the paper's Table 2, "From")."""

    CITIZEN = "citizen"
    DEPARTMENT = "department"
    PARTNER = "partner"


class Category(str, enum.Enum, metaclass=_Choices):
    BILL = "bill"
    LEVY = "levy"
    APPLICATION = "application"
    GRIEVANCE = "grievance"
    PRIVATE_SERVICE = "private_service"
    # Declared so that the policy can name and deny them (Government of India and Rajasthan rules):
    LOTTERY = "lottery"
    GAMBLING = "gambling"
    BETTING = "betting"


class Workflow(str, enum.Enum, metaclass=_Choices):
    """``payment``: done when paid (bills, levies, recharges).
    ``application``: paid, then processed by a department (certificates, grievances)."""

    PAYMENT = "payment"
    APPLICATION = "application"


@dataclass(frozen=True)
class FeeRule:
    """The service charge and who pays it.

    ``fee_paise=None`` means "the published default for the category" (Table 2). The state or a
    district Society may override the rate per service; see :mod:`emitra.core.fees`.
    ``commission_bp`` instead makes the charge a share of the principal (a partner's commission).
    ``payer`` is required: left out, the declaration is refused at load naming ``fee.payer`` (the
    plugin's other services still load).
    """

    payer: Payer | str | None = None
    fee_paise: int | None = None
    #: a commission in basis points of the principal (150 = 1.5%), paid by a partner; floor-rounded
    commission_bp: int | None = None


@dataclass
class Quote:
    """What the service says is due, before the core adds the service charge.

    ``principal_paise`` goes to the department or partner (the bill amount; 0 for an application
    whose whole cost is the service charge). ``details`` are shown to the operator and printed on
    the receipt, in English and Hindi (``label_en``, ``label_hi``, ``value``); a row whose value is
    words rather than a name or a number may add ``value_hi``, the value in Hindi, shown on Hindi
    pages instead of ``value``.
    """

    principal_paise: int
    reference: str = ""
    details: list[dict[str, str]] = field(default_factory=list)
    #: anything the plugin wants back in :meth:`Service.submit` (not shown, not stored)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class QuoteContext:
    """Where the quote is asked: the counter, its district and LSP.

    ``unit_price_paise`` is the LSP's own published price per unit, for services declared with
    ``priced_by_lsp=True`` (photocopy, fax, internet time); ``None`` for the others.
    """

    counter_code: str
    district_code: str
    lsp_id: int
    unit_price_paise: int | None = None


@dataclass
class Cancellation:
    """What the partner refunds when a paid booking is cancelled (at most what was paid to it)."""

    refund_paise: int
    reference: str = ""
    details: list[dict[str, str]] = field(default_factory=list)


class FieldError(Exception):
    """Bad input in one form field, with the message in English and Hindi."""

    def __init__(self, field_name: str, message_en: str, message_hi: str):
        super().__init__(f"{field_name}: {message_en}")
        self.field = field_name
        self.message_en = message_en
        self.message_hi = message_hi


class _NotGiven:
    """The value of a required field of :class:`Service` left out of ``Service(...)``: the service is
    built, and the loader refuses it naming the field, so the plugin's other services still load."""

    def __repr__(self) -> str:
        return "<not given>"

    def __bool__(self) -> bool:
        return False


NOT_GIVEN: Any = _NotGiven()
#: the fields every ``Service(...)`` gives (the loader refuses a service without one of them)
REQUIRED_FIELDS = ("code", "title_en", "title_hi", "provider", "domain", "category", "form", "fee")


@dataclass
class Service:
    """A service offered at counters. Plugins subclass this and register instances.

    Required: ``code`` (dotted, lowercase, e.g. ``gov.rj.jvvnl.bill``), ``title_en``, ``title_hi``,
    ``provider`` (the department or partner), ``domain``, ``category``, ``form`` (a JSON Schema of
    type object), ``fee`` (a :class:`FeeRule`), ``workflow``. Optional: ``provider_hi`` and
    ``departments_hi``, the Hindi names of the departments (in Devanagari).

    Form properties may carry ``x-title-hi`` and ``x-description-hi`` (the Hindi label and help)
    and ``x-error-en`` / ``x-error-hi`` (what to say when the value does not match its pattern).
    """

    # required: each defaults to NOT_GIVEN only so that a service missing one is refused by name
    # (core/plugins.declaration_problems), not the plugin's whole hook with a TypeError
    code: str = NOT_GIVEN
    title_en: str = NOT_GIVEN
    title_hi: str = NOT_GIVEN
    provider: str = NOT_GIVEN
    domain: Domain | str = NOT_GIVEN
    category: Category | str = NOT_GIVEN
    form: dict[str, Any] = NOT_GIVEN
    fee: FeeRule = NOT_GIVEN
    #: left out, it is ``Workflow.PAYMENT`` (see ``__post_init__``); an application or a grievance gives it
    workflow: Workflow | str = NOT_GIVEN
    #: ``provider`` in Hindi (Devanagari), shown on Hindi pages wherever the department a case is
    #: with is named (tracking, the case page, certificate verification); "" shows ``provider``
    provider_hi: str = ""
    #: the Hindi names of the other departments :meth:`route` sends applications to, by their
    #: English name (the grievance service's departments), e.g. ``{"Transport": "परिवहन"}``
    departments_hi: dict[str, str] = field(default_factory=dict)
    description_en: str = ""
    description_hi: str = ""
    #: counter services sold by the LSP itself at its own published price per unit
    priced_by_lsp: bool = False
    unit_en: str = ""  # "page", "minute"
    unit_hi: str = ""
    #: a paid request can be cancelled (a booking); implement :meth:`cancel`
    cancellable: bool = False
    #: a filled form the sandbox accepts: used by the catalogue tests, the API docs and demos.
    #: Document fields are left out (they are uploaded separately).
    example: dict[str, Any] | None = None
    # --- after the counter (``workflow=Workflow.APPLICATION``; see docs/workflows.md) ------------
    #: a custom :class:`emitra.core.workflow.Process`; None takes the default for the category
    process: Any = None
    #: the statute requires the applicant to appear before an official before approval
    personal_verification: bool = False
    #: days from submission to decision and deliverable (the overall SLA); None: 15
    sla_days: int | None = None
    #: ``certificate`` (issued by e-Mitra with a QR code), ``department`` (the department's own
    #: document, sent to the counter) or None (nothing to collect)
    deliverable: str | None = "department"
    #: the service's own names of its process's steps, by action: (button English, Hindi) or (button
    #: English, Hindi, as taken English, Hindi), e.g. ``{"issue": ("Issue the certified copy",
    #: "प्रमाणित नकल जारी करें", "Certified copy issued", "प्रमाणित नकल जारी की गई")}``: the officer's
    #: button, the timeline and the refusals say them (the default "Issue the document" names no kind)
    step_labels: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: the paper the counter sends to the department at day end: (English, Hindi) pairs
    paper_documents: tuple[tuple[str, str], ...] = (("Signed application form", "हस्ताक्षरित आवेदन पत्र"),)
    plugin: str = ""  # filled in by the plugin manager

    def __post_init__(self) -> None:
        # a service done when paid need not say so; whether it did is kept for the loader, which
        # refuses an application or a grievance left to this default (core/plugins, decision 139)
        self.workflow_given = self.workflow is not NOT_GIVEN
        if not self.workflow_given:
            self.workflow = Workflow.PAYMENT

    async def quote(self, data: dict[str, Any], ctx: QuoteContext) -> Quote:
        """Ask the department or partner what is due for this (already schema-valid) form.

        Raise :class:`FieldError` to reject a value (an unknown consumer number, say). Any other
        exception makes the service show as unavailable, with the reason, until it answers again.
        """
        return Quote(principal_paise=0)

    async def submit(self, request_id: int, data: dict[str, Any], quote: Quote) -> str:
        """Hand a paid request to the department or partner; return its reference."""
        return quote.reference

    def route(self, data: dict[str, Any]) -> str:
        """The department (officers' ``department``) that acts on an application with this form."""
        return self.provider

    def certificate(self, data: dict[str, Any], details: list[dict[str, str]]) -> dict[str, Any]:
        """What the certificate says: ``title_en``, ``title_hi``, ``holder`` and ``rows`` of
        (``label_en``, ``label_hi``, ``value``, optionally ``value_hi``: the value in Hindi, printed
        with ``value``). The default prints the receipt's details."""
        holder = str(data.get("applicant_name") or data.get("name") or data.get("child_name") or "")
        return {"title_en": self.title_en.split(" – ")[0], "title_hi": self.title_hi.split(" – ")[0], "holder": holder,
                "rows": [dict(r) for r in details]}

    async def refund_quote(self, request_id: int, data: dict[str, Any], reference: str, principal_paise: int) -> int | None:
        """What :meth:`cancel` would refund if called now, in paise, without cancelling anything
        (``cancellable`` services). The counter checks its drawer against it *before* asking the
        partner to cancel; None (the default) means the partner cannot say, and the drawer must then
        hold the whole principal. Raise :class:`FieldError` to refuse (an unknown booking)."""
        return None

    async def cancel(self, request_id: int, data: dict[str, Any], reference: str, principal_paise: int) -> Cancellation:
        """Cancel a paid request (``cancellable`` services only); say what the partner refunds.

        Must be idempotent: cancelling a booking the partner has already cancelled (an earlier try
        whose recording at the counter failed) returns that cancellation again, its refund and
        reference, not an error; the counter then completes its side."""
        raise NotImplementedError(f"{self.code} cannot be cancelled")


def _keeping_unknown_fields(cls: type) -> None:
    """Make ``cls(...)`` (a dataclass: :class:`Service`, :class:`FeeRule`) keep the keywords it has
    no field for in ``unknown_fields`` rather than raise ``TypeError``: a misspelt field
    (``title_hindi=``, ``FeeRule(fee_rupees=5)``) is then refused with its service alone, naming
    the field it most likely means (core/plugins.declaration_problems), as a field not given is,
    and not the plugin's whole hook with a bare TypeError. A subclass declared as a dataclass of
    its own has its own ``__init__`` and raises as before."""
    import dataclasses
    import functools

    names = frozenset(f.name for f in dataclasses.fields(cls) if f.init)
    generated = cls.__init__

    @functools.wraps(generated)
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        unknown = {name: kwargs.pop(name) for name in [n for n in kwargs if n not in names]}
        generated(self, *args, **kwargs)
        object.__setattr__(self, "unknown_fields", unknown)  # FeeRule is frozen

    cls.__init__ = __init__  # type: ignore[method-assign]


_keeping_unknown_fields(FeeRule)
_keeping_unknown_fields(Service)
