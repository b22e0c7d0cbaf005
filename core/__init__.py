"""The emitra core: registration, fee rules, the ledger, the plugin manager and its hook specs.

A plugin needs one import::

    from emitra.core import hookimpl, Service, FeeRule, Payer, Domain, Category
"""

from emitra.core.hookspecs import hookimpl
from emitra.core.services import (
    Cancellation,
    Category,
    Domain,
    FeeRule,
    FieldError,
    Payer,
    Quote,
    QuoteContext,
    Service,
    Workflow,
)

__all__ = [
    "Cancellation",
    "Category",
    "Domain",
    "FeeRule",
    "FieldError",
    "Payer",
    "Quote",
    "QuoteContext",
    "Service",
    "Workflow",
    "hookimpl",
]
